//! Template resolution in detail: intrinsics, Terraform expressions, plans with modules, and
//! robustness (no input makes the loader panic).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use rolecall_iac::{load, Level, Lint};
use serde_json::Value;
use std::path::PathBuf;

fn write(dir: &str, files: &[(&str, &str)]) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rolecall-iac-{}-{dir}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    for (name, text) in files {
        let p = d.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    d
}

fn lint(dir: &str, files: &[(&str, &str)]) -> Lint {
    load(&[write(dir, files)])
}

fn policy_text(l: &Lint, role_suffix: &str) -> String {
    let r = l
        .inventory
        .roles
        .iter()
        .find(|r| r.name.ends_with(role_suffix))
        .unwrap_or_else(|| {
            panic!(
                "no role {role_suffix}: {:?}",
                l.inventory
                    .roles
                    .iter()
                    .map(|r| &r.name)
                    .collect::<Vec<_>>()
            )
        });
    r.inline_policies
        .iter()
        .map(|p| p.document.text().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

const TRUST: &str = "      AssumeRolePolicyDocument:\n        Statement:\n          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}\n";

#[test]
fn cloudformation_intrinsics() {
    let t = format!(
        "Mappings:\n  Env:\n    prod: {{Bucket: prod-data}}\nParameters:\n  Env: {{Type: String}}\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n{TRUST}      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n              - Effect: Allow\n                Action: s3:GetObject\n                Resource:\n                  - !Sub ['arn:${{AWS::Partition}}:s3:::${{B}}/*', {{B: !FindInMap [Env, prod, Bucket]}}]\n                  - !Join ['', ['arn:aws:s3:::', !Select [1, !Split [',', 'a,b,c']], '/${{!literal}}']]\n                  - !Sub 'arn:aws:s3:::${{Env}}-${{AWS::Region}}-${{AWS::AccountId}}/x'\n                  - !Sub '${{Other.Arn}}'\n                  - !Sub 'arn:aws:s3:::x/${{!aws:username}}'\n"
    );
    let l = lint("cfn", &[("t.yaml", &t)]);
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let text = policy_text(&l, "-R");
    for want in [
        "arn:aws:s3:::prod-data/*",
        "arn:aws:s3:::b/${!literal}", // Fn::Join does not substitute
        "arn:aws:s3:::x/${aws:username}",
        "arn:aws:s3:::{{Env}}-{{Region}}-{{AccountId}}/x",
        "{{Other.Arn}}",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
}

#[test]
fn if_in_lists_takes_both_branches_and_novalue_disappears() {
    let t = format!(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n{TRUST}      ManagedPolicyArns:\n        - !If [C, arn:aws:iam::aws:policy/ReadOnlyAccess, !Ref AWS::NoValue]\n        - !If [C, arn:aws:iam::aws:policy/AmazonS3FullAccess, arn:aws:iam::aws:policy/AdministratorAccess]\n"
    );
    let l = lint("if", &[("t.yaml", &t)]);
    let r = &l.inventory.roles[0];
    assert_eq!(
        r.managed_policy_arns,
        vec![
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/AmazonS3FullAccess",
            "arn:aws:iam::aws:policy/AdministratorAccess"
        ]
    );
}

#[test]
fn statements_remember_where_they_were_written() {
    let t = format!(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n{TRUST}      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n              - Sid: First\n                Effect: Allow\n                Action: s3:GetObject\n                Resource: '*'\n              - Effect: Allow\n                Action: sqs:SendMessage\n                Resource: '*'\n"
    );
    let l = lint("locs", &[("t.yaml", &t)]);
    let role = &l.inventory.roles[0].arn;
    let first = l.locations.locate(role, Some(("p", "First")));
    assert_eq!((first[0].loc.line, first[0].loc.col), (12, 17));
    let second = l.locations.locate(role, Some(("p", "1")));
    assert_eq!((second[0].loc.line, second[0].loc.col), (16, 17));
    // The role itself, at its logical id.
    let r = l.locations.locate(role, None);
    assert_eq!((r[0].loc.line, r[0].loc.col), (2, 3));
}

#[test]
fn terraform_expressions() {
    let tf = r#"
locals {
  bucket = "reports"
  actions = ["s3:GetObject"]
}
variable "env" {}
resource "aws_iam_role" "r" {
  name_prefix = "x"
  assume_role_policy = <<POLICY
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
POLICY
}
resource "aws_iam_role_policy" "p" {
  role = aws_iam_role.r.name
  policy = jsonencode({
    Statement = [{
      Effect   = "Allow"
      Action   = concat(local.actions, ["s3:PutObject"])
      Resource = ["arn:aws:s3:::${local.bucket}-${var.env}/*", format("arn:aws:s3:::%s", local.bucket)]
    }]
  })
}
"#;
    let l = lint("tf", &[("m/main.tf", tf)]);
    assert!(
        l.diagnostics.iter().all(|d| d.level != Level::Error),
        "{:?}",
        l.diagnostics
    );
    let text = policy_text(&l, "m-r");
    for want in [
        "s3:GetObject",
        "s3:PutObject",
        "arn:aws:s3:::reports-{{var.env}}/*",
        "arn:aws:s3:::reports\"",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    let trust: Value = serde_json::from_str(l.inventory.roles[0].trust_policy.text()).unwrap();
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
}

#[test]
fn terraform_modules_are_directories() {
    // Two directories may both call a role "r": they are two roles.
    let role = "resource \"aws_iam_role\" \"r\" {\n  assume_role_policy = \"{}\"\n}\n";
    let l = lint("mods", &[("a/main.tf", role), ("b/main.tf", role)]);
    let mut names: Vec<&str> = l.inventory.roles.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["a-r", "b-r"]);
}

#[test]
fn plan_child_modules_resolve_their_own_references() {
    let plan = serde_json::json!({
        "format_version": "1.2", "terraform_version": "1.9.5",
        "planned_values": {"root_module": {"child_modules": [{"address": "module.fn", "resources": [
            {"address": "module.fn.aws_iam_role.this", "mode": "managed", "type": "aws_iam_role", "name": "this",
             "values": {"name": "mod-role", "assume_role_policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"}},
            {"address": "module.fn.aws_iam_role_policy_attachment.admin", "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "admin",
             "values": {"policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}},
            {"address": "module.fn.aws_lambda_function.this", "mode": "managed", "type": "aws_lambda_function", "name": "this",
             "values": {"function_name": "mod-fn"}}
        ]}]}},
        "configuration": {"root_module": {"module_calls": {"fn": {"module": {"resources": [
            {"address": "aws_iam_role_policy_attachment.admin", "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "admin",
             "expressions": {"role": {"references": ["aws_iam_role.this.name", "aws_iam_role.this"]}}},
            {"address": "aws_lambda_function.this", "mode": "managed", "type": "aws_lambda_function", "name": "this",
             "expressions": {"role": {"references": ["aws_iam_role.this.arn", "aws_iam_role.this"]}}}
        ]}}}}}
    });
    let l = lint("plan", &[("plan.json", &plan.to_string())]);
    let role = &l.inventory.roles[0];
    assert_eq!(role.name, "mod-role");
    assert_eq!(
        role.managed_policy_arns,
        vec!["arn:aws:iam::aws:policy/AdministratorAccess"]
    );
    assert_eq!(l.inventory.functions[0].role_arn, role.arn);
}

#[test]
fn serverless_variables() {
    let sls = "service: s\ncustom:\n  table: orders\n  arn: arn:aws:dynamodb:us-east-1:1:table/${self:custom.table}\nprovider:\n  name: aws\n  iamRoleStatements:\n    - Effect: Allow\n      Action: dynamodb:GetItem\n      Resource:\n        - ${self:custom.arn}\n        - arn:aws:dynamodb:us-east-1:1:table/${opt:stage, 'dev'}-x\n        - !Sub arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:q\nfunctions:\n  f:\n    handler: h\n";
    let l = lint("sls", &[("serverless.yml", sls)]);
    let text = policy_text(&l, "IamRoleLambdaExecution");
    for want in [
        "arn:aws:dynamodb:us-east-1:1:table/orders\"",
        "table/{{opt:stage}}-x",
        "arn:aws:sqs:{{Region}}:{{AccountId}}:q",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    assert_eq!(l.inventory.functions[0].name, "s-f");
}

#[test]
fn unreadable_inputs_are_diagnostics_not_panics() {
    let l = lint(
        "bad",
        &[
            ("a.yaml", "Resources: [\n"),
            ("b.tf", "resource \"x\" {"),
            ("c.json", "{\"Resources\": {\"R\": {\"Type\": \"AWS::IAM::Role\", \"Properties\": 7}}}"),
            ("d.yaml", "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies:\n        - DynamoDBReadPolicy: {}\n        - NoSuchTemplate: {}\n"),
        ],
    );
    let errors: Vec<String> = l
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| {
            format!(
                "{}:{}: {}",
                d.loc.file.rsplit('/').next().unwrap(),
                d.loc.line,
                d.message
            )
        })
        .collect();
    assert!(
        errors.iter().any(|e| e.starts_with("a.yaml:")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.starts_with("b.tf:")), "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("DynamoDBReadPolicy") && e.contains("missing parameter TableName")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("NoSuchTemplate") && e.contains("not a SAM policy template")),
        "{errors:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_yaml_or_hcl_text_loads_without_panicking(text in "(Resources|Type|AWS::IAM::Role|Properties|Policies|Statement|resource|\"aws_iam_role\"|!Ref|!Sub|!If|\\$\\{|\\}|\\{|\\[|\\]|:|-|\n|  |\"|x|=|#|rolecall:ignore LR101){0,60}") {
        let d = write("prop", &[("t.yaml", &text), ("t.tf", &text), ("serverless.yml", &format!("service: s\nprovider: {{}}\n{text}"))]);
        let _ = load(&[d]);
    }
}

#[test]
fn functions_find_roles_by_name_or_real_arn_across_templates() {
    let roles = format!("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app-role\n{TRUST}");
    let fns = "Resources:\n  A:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: arn:aws:iam::123456789012:role/app-role\n  B:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: arn:aws:iam::123456789012:role/elsewhere\n";
    // "a-functions.yaml" sorts before "b-roles.yaml": linking does not depend on file order.
    let l = lint(
        "byname",
        &[("a-functions.yaml", fns), ("b-roles.yaml", &roles)],
    );
    let role = &l.inventory.roles[0].arn;
    let a = l
        .inventory
        .functions
        .iter()
        .find(|f| f.name.ends_with("-A"))
        .unwrap();
    assert_eq!(&a.role_arn, role);
    let notes: Vec<&str> = l
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Note)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("role/elsewhere is not defined in the templates read"),
        "{notes:?}"
    );
}

#[test]
fn invoke_permissions_become_the_functions_resource_policy() {
    let cfn = format!(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n{TRUST}  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: f\n      Role: !GetAtt R.Arn\n  P:\n    Type: AWS::Lambda::Permission\n    Properties:\n      FunctionName: !Ref F\n      Action: lambda:InvokeFunctionUrl\n      Principal: '*'\n      FunctionUrlAuthType: NONE\n      SourceAccount: '123456789012'\n"
    );
    let tf = "resource \"aws_lambda_function\" \"g\" {\n  function_name = \"g\"\n  role = \"arn:aws:iam::1:role/x\"\n}\nresource \"aws_lambda_permission\" \"sns\" {\n  statement_id = \"FromSns\"\n  function_name = aws_lambda_function.g.function_name\n  principal = \"sns.amazonaws.com\"\n  source_arn = var.topic_arn\n}\n";
    let l = lint("perm", &[("t.yaml", &cfn), ("tf/main.tf", tf)]);
    let policy = |name: &str| -> Value {
        let f = l
            .inventory
            .functions
            .iter()
            .find(|f| f.name == name)
            .unwrap();
        serde_json::from_str(f.resource_policy.as_ref().unwrap().text()).unwrap()
    };
    let f = policy("f");
    let s = &f["Statement"][0];
    assert_eq!(s["Principal"], "*");
    assert_eq!(s["Action"], "lambda:InvokeFunctionUrl");
    // Both conditions under one StringEquals.
    assert_eq!(
        s["Condition"]["StringEquals"]["lambda:FunctionUrlAuthType"],
        "NONE"
    );
    assert_eq!(
        s["Condition"]["StringEquals"]["AWS:SourceAccount"],
        "123456789012"
    );
    let g = policy("g");
    let s = &g["Statement"][0];
    assert_eq!(s["Sid"], "FromSns");
    assert_eq!(s["Principal"]["Service"], "sns.amazonaws.com");
    assert_eq!(
        s["Condition"]["ArnLike"]["AWS:SourceArn"],
        "{{var.topic_arn}}"
    );
    let farn = &l
        .inventory
        .functions
        .iter()
        .find(|f| f.name == "g")
        .unwrap()
        .arn;
    let at = l
        .locations
        .locate(farn, Some(("g resource policy", "FromSns")));
    assert_eq!(at[0].loc.line, 5);
}
