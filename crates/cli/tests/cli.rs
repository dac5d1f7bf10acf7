//! The `rolecall` binary end to end: arguments, output shapes, exit codes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn rolecall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolecall-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn expand_json_lists_actions_with_access_levels() {
    let o = rolecall(&["expand", "s3:get*", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(rows.len() > 50);
    assert!(rows
        .iter()
        .all(|r| r["action"].as_str().unwrap().starts_with("s3:Get")));
    assert!(rows
        .iter()
        .any(|r| r["action"] == "s3:GetObject" && r["access_level"] == "Read"));

    let o = rolecall(&["expand", "iam:*Policy*", "iam:PassRole"]);
    let text = stdout(&o);
    assert!(text.contains("iam:PutRolePolicy") && text.contains("Permissions management"));
    assert!(text.contains("iam:PassRole"));
}

#[test]
fn expand_reports_unknown_and_rejects_malformed() {
    let o = rolecall(&["expand", "s3:GetObjekt"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("matches no action"));
    let o = rolecall(&["expand", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nonsense"));
}

#[test]
fn simulate_decisions_and_cited_statements() {
    let pol = tmp(
        "identity.json",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadData","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"},
            {"Sid":"NoSecrets","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::data/secret/*"}]}"#,
    );
    let p = pol.to_str().unwrap();
    let run = |resource: &str| -> Value {
        let o = rolecall(&[
            "simulate",
            "--policy",
            p,
            "--action",
            "s3:GetObject",
            "--resource",
            resource,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let v = run("arn:aws:s3:::data/report.csv");
    assert_eq!(v["decision"], "allow");
    assert_eq!(v["matched"][0]["statement"], "ReadData");
    assert_eq!(v["matched"][0]["effect"], "Allow");
    assert_eq!(v["matched"][0]["policy"], p);
    let v = run("arn:aws:s3:::data/secret/key");
    assert_eq!(v["decision"], "explicit_deny");
    assert_eq!(v["matched"][0]["statement"], "NoSecrets");
    let v = run("arn:aws:s3:::elsewhere/x");
    assert_eq!(v["decision"], "implicit_deny");
    assert_eq!(v["matched"], serde_json::json!([]));
}

#[test]
fn simulate_boundary_scp_resource_policy_and_context() {
    let admin = tmp(
        "admin.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let boundary = tmp(
        "boundary.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
    );
    let scp = tmp(
        "scp.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Sid":"Tags","Effect":"Deny","Action":"s3:PutObject","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["forbidden"]}}}]}"#,
    );
    let (a, b, s) = (
        admin.to_str().unwrap(),
        boundary.to_str().unwrap(),
        scp.to_str().unwrap(),
    );
    let sim = |extra: &[&str]| -> Value {
        let mut args = vec![
            "simulate",
            "--policy",
            a,
            "--boundary",
            b,
            "--scp",
            s,
            "--resource",
            "arn:aws:s3:::b/k",
        ];
        args.extend_from_slice(extra);
        let o = rolecall(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    assert_eq!(
        sim(&["--action", "ec2:RunInstances"])["decision"],
        "implicit_deny"
    );
    assert_eq!(sim(&["--action", "s3:PutObject"])["decision"], "allow");
    // a repeated --context key is multi-valued
    let v = sim(&[
        "--action",
        "s3:PutObject",
        "--context",
        "aws:TagKeys=team",
        "--context",
        "aws:TagKeys=forbidden",
    ]);
    assert_eq!(v["decision"], "explicit_deny");
    assert_eq!(v["matched"][0]["statement"], "Tags");
    assert_eq!(
        sim(&["--action", "s3:PutObject", "--context", "aws:TagKeys=team"])["decision"],
        "allow"
    );

    let rp = tmp(
        "bucket.json",
        r#"{"Version":"2012-10-17","Statement":{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    );
    let o = rolecall(&[
        "simulate",
        "--resource-policy",
        rp.to_str().unwrap(),
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
        "--principal",
        "arn:aws:iam::123456789012:role/nobody",
    ]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["decision"], "allow");
    assert_eq!(v["matched"][0]["statement"], "Public");
}

#[test]
fn simulate_bad_input_exits_2_with_a_clear_message() {
    let o = rolecall(&[
        "simulate",
        "--policy",
        "/no/such/file.json",
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/no/such/file.json"));

    let bad = tmp(
        "bad.json",
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":["x"]}}]}"#,
    );
    let o = rolecall(&[
        "simulate",
        "--policy",
        bad.to_str().unwrap(),
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("bad.json") && e.contains("Statement[2].Condition.StringEquals"),
        "{e}"
    );

    let ok = tmp(
        "ok.json",
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let o = rolecall(&[
        "simulate",
        "--policy",
        ok.to_str().unwrap(),
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
        "--context",
        "novalue",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("KEY=VALUE"));

    let o = rolecall(&[
        "simulate",
        "--policy",
        ok.to_str().unwrap(),
        "--action",
        "s3:GetObjekt",
        "--resource",
        "*",
    ]);
    assert!(o.status.success());
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["warnings"][0]
        .as_str()
        .unwrap()
        .contains("not in the action catalogue"));
}

#[test]
fn demo_effective_permissions() {
    let o = rolecall(&["effective", "--demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let admin_line = text
        .lines()
        .find(|l| l.contains("legacy-etl-runner-role"))
        .unwrap();
    assert!(admin_line.contains("ADMIN"));
    // capped by its boundary: AdministratorAccess attached, but not admin in effect
    let capped = text
        .lines()
        .find(|l| l.contains("lambda-payments-reconciler-role"))
        .unwrap();
    assert!(!capped.contains("ADMIN"), "{capped}");

    let o = rolecall(&[
        "effective",
        "--demo",
        "--role",
        "lambda-security-break-glass-role",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["roles"][0]["allowed_actions"], 0,
        "the SCP denies what the role grants"
    );

    let o = rolecall(&[
        "effective",
        "--demo",
        "--role",
        "lambda-payments-card-vault-reader-role",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let g = &v["roles"][0]["grants"][0];
    assert_eq!(
        g["actions"],
        serde_json::json!(["secretsmanager:GetSecretValue"])
    );
    assert_eq!(
        g["conditions"][0],
        "StringEquals aws:SourceVpc [vpc-0a1b2c3d]"
    );
    assert_eq!(g["source"]["statement"], "SecretsFromVpcOnly");

    let o = rolecall(&["effective", "--demo", "--role", "no-such-role"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn demo_scan_table_and_exit_codes() {
    let o = rolecall(&["scan", "--demo"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("60 functions, 58 roles"), "{text}");
    assert!(text.contains("Coverage: complete"));
    assert!(text.contains("Remediation queue"));
    let first = text
        .lines()
        .skip_while(|l| !l.starts_with("RISK"))
        .nth(1)
        .unwrap();
    assert!(
        first.contains("critical") && first.contains("LR101"),
        "the riskiest first: {first}"
    );
    assert!(!text.contains("\x1b["), "no colour when not a terminal");

    assert_eq!(
        rolecall(&["scan", "--demo", "--fail-on", "critical"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        rolecall(&["scan", "--demo", "--fail-on", "low"])
            .status
            .code(),
        Some(1)
    );
    let clean = tmp(
        "clean.json",
        include_str!("../../checks/tests/rules/lr101_pass_scoped.json"),
    );
    assert_eq!(
        rolecall(&[
            "scan",
            "--input",
            clean.to_str().unwrap(),
            "--fail-on",
            "medium"
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        rolecall(&[
            "scan",
            "--input",
            clean.to_str().unwrap(),
            "--fail-on",
            "low"
        ])
        .status
        .code(),
        Some(0)
    );
    // No source given: a live collection; with no credentials it stops with a clear error.
    let o = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args([
            "scan",
            "--regions",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--quiet",
        ])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot identify the caller"),
        "{}",
        stderr(&o)
    );
    let o = rolecall(&["collect", "--accounts", "12345", "--output", "/tmp/x.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("12-digit"));
}

#[test]
fn demo_scan_json_has_the_documented_shape() {
    let o = rolecall(&["scan", "--demo", "--format", "json"]);
    assert!(o.status.success());
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    for key in [
        "schema_version",
        "coverage",
        "summary",
        "functions",
        "roles",
        "findings",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["schema_version"], 1);
    let f = &v["findings"][0];
    for key in [
        "id",
        "code",
        "name",
        "severity",
        "title",
        "account",
        "region",
        "resource_arn",
        "function_arns",
        "evidence",
        "remediation",
        "references",
        "risk_score",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}");
    }
    let fun = &v["functions"][0];
    for key in ["score", "permission", "blast_radius", "exposure", "data"] {
        assert!(fun["risk"].get(key).is_some(), "risk lacks {key}");
    }
    assert!(v["summary"]["by_severity"]["critical"].as_u64().unwrap() > 0);
    assert!(v["summary"]["by_code"]["LR201"].as_u64().unwrap() >= 2);
}

#[test]
fn outputs_go_to_files_atomically_and_bad_pairs_are_refused() {
    let dir = std::env::temp_dir().join(format!("rolecall-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("r.json");
    let table = dir.join("r.txt");
    let o = rolecall(&[
        "scan",
        "--demo",
        "--format",
        "json",
        "--output",
        json.to_str().unwrap(),
        "--format",
        "table",
        "--output",
        table.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(v["findings"].as_array().unwrap().len() > 50);
    assert!(std::fs::read_to_string(&table)
        .unwrap()
        .contains("Remediation queue"));
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".tmp")));
    let o = rolecall(&["scan", "--demo", "--format", "json", "--format", "table"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("standard output"));
}

#[test]
fn rules_explain_and_config_errors() {
    let o = rolecall(&["rules"]);
    let text = stdout(&o);
    assert_eq!(text.lines().count(), rolecall_checks::rules::RULES.len());
    assert!(text.contains("LR201  privilege-escalation"));
    let o = rolecall(&["explain", "LR201"]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("## Why is this bad?") && text.contains("PassRole"));
    assert!(rolecall(&["explain", "privilege-escalation"])
        .status
        .success());
    assert_eq!(rolecall(&["explain", "LR999"]).status.code(), Some(2));

    let bad = tmp("rolecall.toml", "[thresholds]\ndormant_days = \"ninety\"\n");
    let o = rolecall(&["scan", "--demo", "--config", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("rolecall.toml: line 2"), "{e}");
}

#[test]
fn hostile_strings_stay_data_in_the_table() {
    let mut inv: Value = serde_json::from_str(include_str!(
        "../../checks/tests/rules/lr201_fail_put_role_policy.json"
    ))
    .unwrap();
    let evil = "evil\u{1b}[31m<script>alert(1)</script>\nrole";
    inv["roles"][0]["name"] = Value::String(evil.into());
    let p = tmp("evil.json", &inv.to_string());
    let o = rolecall(&["scan", "--input", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        !text.contains('\u{1b}'),
        "control characters are not passed to the terminal"
    );
    assert!(
        text.contains("alert(1)"),
        "the name is shown as text: {text}"
    );
    assert!(
        text.contains("\\u{1b}"),
        "the escape is shown, escaped: {text}"
    );
}

#[test]
fn usage_from_cloudtrail_gives_the_gap_and_sorts_by_it() {
    let event = |role: &str, source: &str, name: &str| {
        serde_json::json!({
            "eventSource": source, "eventName": name, "eventTime": "2026-11-20T10:00:00Z",
            "userIdentity": {"type": "AssumedRole", "arn": format!("arn:aws:sts::{}:assumed-role/{}/fn", &role[13..25], role.rsplit('/').next().unwrap()),
                             "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role}}}
        })
    };
    let log = serde_json::json!({"Records": [
        event("arn:aws:iam::222222222222:role/legacy-etl-runner-role", "s3.amazonaws.com", "GetObject"),
        event("arn:aws:iam::111111111111:role/shared-worker-role", "sqs.amazonaws.com", "ReceiveMessage"),
        event("arn:aws:iam::111111111111:role/shared-worker-role", "dynamodb.amazonaws.com", "GetItem"),
    ]});
    let dir = std::env::temp_dir().join(format!("rolecall-usage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("log.json"), log.to_string()).unwrap();
    let arg = format!("cloudtrail={}", dir.display());
    let o = rolecall(&[
        "scan", "--demo", "--usage", &arg, "--format", "json", "--sort", "gap",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("usage: 1 file(s), 3 event(s), 3 attributed"),
        "{}",
        stderr(&o)
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let legacy = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["code"] == "LR601"
                && f["resource_arn"]
                    .as_str()
                    .unwrap()
                    .ends_with("legacy-etl-runner-role")
        })
        .unwrap();
    assert!(
        legacy["title"].as_str().unwrap().contains("used 1 of"),
        "{}",
        legacy["title"]
    );
    // The queue starts with the role whose gap is largest (the administrator using one action).
    assert!(
        v["findings"][0]["resource_arn"]
            .as_str()
            .unwrap()
            .contains("legacy-etl-runner"),
        "{}",
        v["findings"][0]
    );
    let roles = v["roles"].as_array().unwrap();
    assert!(
        roles[0]["gap"]["score"].as_f64().unwrap() >= roles[1]["gap"]["score"].as_f64().unwrap()
    );
    // Without usage data the LR6 rules say why they did not run.
    let o = rolecall(&["scan", "--demo", "--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["skipped_rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().starts_with("LR601")));
    assert_eq!(
        rolecall(&["scan", "--demo", "--usage", "cloudtrail=/no/such/dir"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        rolecall(&["scan", "--demo", "--usage", "athena=x"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn suggest_writes_a_policy_from_observed_use() {
    let role = "arn:aws:iam::222222222222:role/legacy-etl-runner-role";
    let log = serde_json::json!({"Records": [{
        "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventTime": "2026-11-20T10:00:00Z", "awsRegion": "us-east-1",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::222222222222:assumed-role/legacy-etl-runner-role/legacy-etl-runner",
                         "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role}}},
        "resources": [{"ARN": "arn:aws:s3:::acme-data-lake/raw/2026/11/20/part-0.parquet"}]
    }]});
    let dir = std::env::temp_dir().join(format!("rolecall-suggest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("log.json"), log.to_string()).unwrap();
    let usage = format!("cloudtrail={}", dir.display());
    let o = rolecall(&["suggest", "legacy-etl-runner", "--demo", "--usage", &usage]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let p = &v["policy"];
    let object = p["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Action"] == serde_json::json!(["s3:GetObject"]))
        .unwrap_or_else(|| panic!("{p:#}"));
    assert_eq!(
        object["Resource"],
        "arn:aws:s3:::acme-data-lake/raw/2026/11/20/part-0.parquet"
    );
    // The function's own log group, which CloudTrail never shows.
    assert!(
        p.to_string()
            .contains("log-group:/aws/lambda/legacy-etl-runner"),
        "{p:#}"
    );
    // Warnings and the engine's replay, as data.
    assert!(v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["kind"] == "window-partial"));
    assert_eq!(v["check"]["observed_calls"], v["check"]["observed_allowed"]);
    assert!(
        v["check"]["unused_granted"].as_u64().unwrap() > 100,
        "{}",
        v["check"]
    );
    assert_eq!(v["check"]["unused_granted"], v["check"]["unused_denied"]);
    assert!(
        stderr(&o).contains("check: 1 of 1 observed call(s) allowed"),
        "{}",
        stderr(&o)
    );
    // --document: the bare policy, for `aws iam put-role-policy`.
    let o = rolecall(&["suggest", role, "--demo", "--usage", &usage, "--document"]);
    let d: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(&d, p);
    let o = rolecall(&[
        "suggest",
        role,
        "--demo",
        "--usage",
        &usage,
        "--format",
        "terraform",
    ]);
    let tf = stdout(&o);
    assert!(
        tf.contains("resource \"aws_iam_role_policy\"")
            && tf.contains("resource \"aws_iam_policy\"")
            && tf.contains("s3:GetObject"),
        "{tf}"
    );
    let o = rolecall(&[
        "suggest",
        role,
        "--demo",
        "--usage",
        &usage,
        "--format",
        "cloudformation",
    ]);
    let cfn: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        cfn["Resources"]["LeastPrivilegePolicy"]["Type"],
        "AWS::IAM::RolePolicy"
    );
    let o = rolecall(&["suggest", role, "--demo", "--usage", &usage, "--boundary"]);
    let b: Value = serde_json::from_str(&stdout(&o)).unwrap();
    // The services in use, the function's log writes among them: the boundary never blocks the
    // baseline.
    assert_eq!(
        b["Statement"][0]["Action"],
        serde_json::json!(["logs:*", "s3:*"])
    );
    // A role of an account the logs do not cover: no usage data, and never "remove it".
    let o = rolecall(&["suggest", "crm-sync", "--demo", "--usage", &usage]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no usage data for account 111111111111")
            && !stderr(&o).contains("consider removing"),
        "{}",
        stderr(&o)
    );
    // A role of the covered account that did nothing in the one day the logs cover: not enough
    // to build a policy, nor to call it unused.
    let o = rolecall(&["suggest", "report-exporter", "--demo", "--usage", &usage]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("was not seen doing anything, but the logs cover only 1 of")
            && !stderr(&o).contains("consider removing"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        rolecall(&["suggest", "no-such", "--demo", "--usage", &usage])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn simulate_rcps_session_policies_resource_account_and_principal_facts() {
    let admin = tmp(
        "sim-admin.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let rcp = tmp(
        "sim-rcp.json",
        r#"{"Version":"2012-10-17","Statement":{"Sid":"OrgOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*",
            "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-ours"}}}}"#,
    );
    let session = tmp(
        "sim-session.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
    );
    let guard = tmp(
        "sim-guard.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Sid":"TeamOnly","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"data"}}}]}"#,
    );
    let sim_action = |action: &str, extra: &[&str]| -> Value {
        let mut args = vec![
            "simulate",
            "--policy",
            admin.to_str().unwrap(),
            "--action",
            action,
            "--resource",
            "arn:aws:s3:::b/k",
            "--principal",
            "arn:aws:sts::111111111111:assumed-role/app/s",
            "--principal-path",
            "/",
        ];
        args.extend_from_slice(extra);
        let o = rolecall(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let sim = |extra: &[&str]| sim_action("s3:GetObject", extra);
    let r = rcp.to_str().unwrap();
    assert_eq!(
        sim(&["--rcp", r, "--org-id", "o-other"])["decision"],
        "explicit_deny"
    );
    assert_eq!(
        sim(&["--rcp", r, "--org-id", "o-ours"])["decision"],
        "allow"
    );
    // The S3 ARN names no account: the answer says what it assumed.
    let v = sim(&[]);
    assert!(v["reasons"].to_string().contains("names no account"));
    // In another account, the bucket policy must allow too.
    let v = sim(&["--resource-account", "222222222222"]);
    assert_eq!(v["decision"], "implicit_deny");
    let s = session.to_str().unwrap();
    assert_eq!(sim(&["--session-policy", s])["decision"], "allow");
    assert_eq!(
        sim_action("s3:PutObject", &["--session-policy", s])["decision"],
        "implicit_deny"
    );
    let g = guard.to_str().unwrap();
    assert_eq!(
        sim(&["--scp", g, "--principal-tag", "team=data"])["decision"],
        "allow"
    );
    assert_eq!(
        sim(&["--scp", g, "--principal-tag", "team=web"])["decision"],
        "explicit_deny"
    );
    // Bad facts are errors naming the flag.
    let o = rolecall(&[
        "simulate",
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
        "--resource-account",
        "12",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--resource-account"));
}

#[test]
fn simulate_batch_answers_each_line_and_names_bad_ones() {
    let cases = tmp(
        "batch.jsonl",
        concat!(
            r#"{"name":"ok","request":{"principal":"arn:aws:iam::111111111111:role/app","action":"s3:GetObject","resource":"arn:aws:s3:::b/k"},"policies":{"identity":[{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}]}}"#,
            "\n\n",
            r#"{"name":"bad-policy","request":{"action":"s3:GetObject","resource":"*"},"policies":{"identity":[{"Statement":{"Effect":"Allow"}}]}}"#,
            "\n",
            "not json\n",
        ),
    );
    let o = rolecall(&["simulate", "--batch", cases.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["name"], "ok");
    assert!(lines[1]["error"].as_str().unwrap().contains("line 3"));
    assert!(lines[1]["error"]
        .as_str()
        .unwrap()
        .contains("Statement[0].Action"));
    assert!(lines[2]["error"]
        .as_str()
        .unwrap()
        .contains("line 4: not a case"));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    for args in [
        vec!["rules"],
        vec!["explain", "LR201", "--methods"],
        vec!["scan", "--demo", "--limit", "0"],
        vec!["scan", "--demo", "--format", "json"],
        vec!["effective", "--demo"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rolecall"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then close the pipe, as `| head -c1` does.
        let mut out = child.stdout.take().unwrap();
        let mut one = [0u8; 1];
        let _ = out.read(&mut one);
        drop(out);
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn the_table_fits_the_width_and_colour_follows_the_flags() {
    for cols in ["60", "100", "200"] {
        let o = Command::new(env!("CARGO_BIN_EXE_rolecall"))
            .args(["scan", "--demo", "--color", "always"])
            .env("COLUMNS", cols)
            .output()
            .unwrap();
        let text = stdout(&o);
        let w: usize = cols.parse().unwrap();
        for line in text.lines() {
            let visible: String = {
                let mut v = String::new();
                let mut esc = false;
                for c in line.chars() {
                    match (esc, c) {
                        (false, '\x1b') => esc = true,
                        (true, 'm') => esc = false,
                        (true, _) => {}
                        (false, c) => v.push(c),
                    }
                }
                v
            };
            assert!(visible.chars().count() <= w, "COLUMNS={cols}: {visible:?}");
        }
        assert!(text.contains('\x1b'), "--color always colours");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(["scan", "--demo", "--color", "auto"])
        .output()
        .unwrap();
    assert!(!stdout(&o).contains('\x1b'), "not a terminal: no colour");
    // `--output -` is standard output; the queue puts no low finding above a high one.
    let o = rolecall(&["scan", "--demo", "--format", "csv", "--output", "-"]);
    let text = stdout(&o);
    assert!(text.starts_with("rank,"));
    let sev: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    let rank = |s: &str| {
        ["critical", "high", "medium", "low", "info"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    assert!(sev.windows(2).all(|w| rank(w[0]) <= rank(w[1])), "{sev:?}");
}

#[test]
fn the_configuration_is_found_in_a_parent_directory() {
    let base = std::env::temp_dir().join(format!("rolecall-cfgdisc-{}", std::process::id()));
    let deep = base.join("infra/stacks");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::create_dir_all(base.join(".git")).unwrap();
    std::fs::write(
        base.join("rolecall.toml"),
        "[rules]\ndisabled = [\"LR3O6\"]\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(["scan", "--demo"])
        .current_dir(&deep)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "the parent's rolecall.toml is read"
    );
    assert!(stderr(&o).contains("LR3O6"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn scan_history_records_scans_and_gives_findings_a_status() {
    let db = std::env::temp_dir().join(format!(
        "rolecall-cli-history-{}.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&db);
    let h = db.to_string_lossy().into_owned();
    let o = rolecall(&["scan", "--demo", "--history", &h, "--format", "json"]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["status"] == "new" && f["first_seen"].is_string()));
    assert!(
        stderr(&o).contains("(the first scan of this scope)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(v["history"]["scan_id"], 1);
    assert_eq!(v["history"]["new"], v["findings"].as_array().unwrap().len());
    assert!(v["history"]["previous_scan"].is_null());
    // A filtered report does not mark what it leaves out as fixed.
    let o = rolecall(&[
        "scan",
        "--demo",
        "--history",
        &h,
        "--severity",
        "critical",
        "--format",
        "json",
    ]);
    assert!(
        stderr(&o).contains("0 new, 0 fixed, 0 regressed since scan 1"),
        "{}",
        stderr(&o)
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["status"] == "open"));
    let o = rolecall(&["history", "--history", &h, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let scans: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(scans.as_array().unwrap().len(), 2);
    assert_eq!(scans[0]["id"], 2);
    assert_eq!(scans[1]["new"], scans[1]["findings"]);
    assert_eq!(
        rolecall(&["history", "--history", "/no/such.sqlite"])
            .status
            .code(),
        Some(2)
    );
    // The baseline gate: the demo's critical findings are open now, not new.
    assert_eq!(
        rolecall(&[
            "scan",
            "--demo",
            "--history",
            &h,
            "--fail-on-new",
            "critical"
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        rolecall(&["scan", "--demo", "--fail-on", "critical"])
            .status
            .code(),
        Some(1)
    );
    let fresh = std::env::temp_dir().join(format!(
        "rolecall-cli-history-new-{}.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&fresh);
    let o = rolecall(&[
        "scan",
        "--demo",
        "--history",
        &fresh.to_string_lossy(),
        "--fail-on-new",
        "critical",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "everything is new in a new history"
    );
    assert!(
        stderr(&o).contains("new or regressed since"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_file(&fresh);
    // The history can come from rolecall.toml; --fail-on-new needs one.
    let cfg =
        std::env::temp_dir().join(format!("rolecall-cli-history-{}.toml", std::process::id()));
    std::fs::write(&cfg, format!("[history]\npath = {:?}\n", h)).unwrap();
    let o = rolecall(&[
        "scan",
        "--demo",
        "--config",
        &cfg.to_string_lossy(),
        "--fail-on-new",
        "critical",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("history: scan 4 recorded"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_file(&cfg);
    let o = rolecall(&["scan", "--demo", "--fail-on-new", "critical"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--fail-on-new compares with the previous scan"),
        "{}",
        stderr(&o)
    );
    // The metrics over time.
    let o = rolecall(&["trend", "--history", &h, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let points = t["scans"].as_array().unwrap();
    assert!(points.len() >= 3);
    assert!(points
        .iter()
        .all(|p| p["unique_role_share"].as_f64().unwrap() > 0.0
            && p["roles_with_wildcard_grants"].as_i64().unwrap() > 0));
    let o = rolecall(&["trend", "--history", &h, "--format", "openmetrics"]);
    let text = stdout(&o);
    assert!(text.ends_with("# EOF\n"), "{text}");
    let mut seen = std::collections::HashSet::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with("rolecall_unique_role_share{"))
    {
        assert!(
            seen.insert(line.rsplit(' ').next().unwrap().to_string()),
            "timestamps repeat: {text}"
        );
    }
    // Nothing changed between the two demo scans.
    let o = rolecall(&["diff", "1", "2", "--history", &h, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let d: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!((d["from"].as_i64(), d["to"].as_i64()), (Some(1), Some(2)));
    assert_eq!(d["new"], serde_json::json!([]));
    assert_eq!(d["fixed"], serde_json::json!([]));
    let o = rolecall(&[
        "deployments",
        "--function",
        "legacy-etl-runner",
        "--history",
        &h,
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 4);
    assert!(rows[0]["role_arn"]
        .as_str()
        .unwrap()
        .ends_with("legacy-etl-runner-role"));
    assert!(
        rows[0]["allowed_actions"].as_i64().unwrap() > 1000,
        "the administrator role"
    );
    assert_eq!(rows[0]["policies_hash"], rows[1]["policies_hash"]);
    let _ = std::fs::remove_file(&db);
}
