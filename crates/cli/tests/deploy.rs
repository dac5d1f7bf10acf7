//! deploy/: rolecall's own templates pass its own lint at `--fail-on medium` and cfn-lint (the
//! version scripts/test pins), the member accounts' audit role carries exactly the collector's
//! read-only policy and trusts only the central function's role within the Organization, and every
//! event the function subscribes to is one the handler understands.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn rolecalls_own_templates_pass_its_lint_at_medium() {
    let out = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(["lint", "deploy/", "--fail-on", "medium"])
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The templates were read: three roles, the function among them.
    assert!(text.contains("3 role(s), 1 function(s)"), "{text}");
}

#[test]
fn the_templates_pass_cfn_lint() {
    let python = match std::env::var("ROLECALL_PYTHON") {
        Ok(p) => PathBuf::from(p),
        Err(_) if std::env::var_os("ROLECALL_SKIP_AWS_TESTS").is_some() => return,
        Err(_) => panic!("ROLECALL_PYTHON is not set: run the suite with scripts/test"),
    };
    let cfn_lint = python.parent().unwrap().join("cfn-lint");
    let out = Command::new(&cfn_lint)
        .args([
            "deploy/template.yaml",
            "deploy/member-role.yaml",
            "deploy/stackset.yaml",
        ])
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", cfn_lint.display()));
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The statements, with a single `Action` or `Resource` written as a list (the template loader
/// writes lists; IAM reads both the same).
fn statements(doc: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(doc).unwrap();
    let list = match &v["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    list.into_iter()
        .map(|mut s| {
            for k in ["Action", "Resource"] {
                if let Some(x @ Value::String(_)) = s.get(k).cloned() {
                    s[k] = Value::Array(vec![x]);
                }
            }
            s
        })
        .collect()
}

#[test]
fn the_audit_role_is_the_read_only_policy_and_trusts_only_the_central_function() {
    let lint = rolecall_iac::load(&[root().join("deploy/member-role.yaml")]);
    let role = lint
        .inventory
        .roles
        .iter()
        .find(|r| r.name == "rolecall-audit")
        .unwrap_or_else(|| panic!("{:?}", lint.inventory.roles));
    let read_only = std::fs::read_to_string(root().join("docs/read-only-policy.json")).unwrap();
    let want: Vec<Value> = statements(&read_only)
        .into_iter()
        .filter(|s| s["Sid"] != "ReachMemberAccounts")
        .collect();
    assert_eq!(role.inline_policies.len(), 1);
    let got = statements(role.inline_policies[0].document.text());
    assert_eq!(
        got, want,
        "member-role.yaml's policy drifted from docs/read-only-policy.json"
    );
    assert!(role.managed_policy_arns.is_empty());
    let trust = statements(role.trust_policy.text());
    assert_eq!(trust.len(), 1);
    assert_eq!(trust[0]["Action"], serde_json::json!(["sts:AssumeRole"]));
    assert!(
        trust[0]["Condition"]["StringEquals"]
            .get("aws:PrincipalOrgID")
            .is_some(),
        "{trust:?}"
    );
    // The principal is the central function role parameter, nothing else.
    let principal = trust[0]["Principal"].to_string();
    assert!(principal.contains("CentralFunctionRoleArn"), "{principal}");
    assert!(!principal.contains('*'), "{principal}");

    // The central function reads its own account with the same statements.
    let central = rolecall_iac::load(&[root().join("deploy/template.yaml")]);
    let f = central
        .inventory
        .roles
        .iter()
        .find(|r| r.name.contains("FunctionRole"))
        .unwrap();
    let reads = f
        .inline_policies
        .iter()
        .find(|p| p.name == "read-this-account")
        .unwrap();
    assert_eq!(statements(reads.document.text()), want);
}

#[test]
fn every_event_the_function_subscribes_to_is_one_the_handler_reads() {
    let template = std::fs::read_to_string(root().join("deploy/template.yaml")).unwrap();
    // The IAM event names in the rule are exactly the handler's.
    let line = template
        .lines()
        .find(|l| l.contains("eventName: [CreateRole"))
        .unwrap();
    let names: Vec<&str> = line
        .split('[')
        .nth(1)
        .unwrap()
        .trim_end_matches(']')
        .split(',')
        .map(str::trim)
        .collect();
    assert_eq!(names, rolecall_lambda::events::IAM_EVENTS);
    // Lambda prefixes: each one the handler accepts.
    for l in template.lines().filter(|l| l.contains("- prefix: ")) {
        let p = l.trim().trim_start_matches("- prefix: ");
        assert!(
            rolecall_lambda::events::LAMBDA_EVENT_PREFIXES.contains(&p),
            "{p}"
        );
    }
    // The schedule's input is a task the handler knows.
    let input = template
        .lines()
        .find(|l| l.trim_start().starts_with("Input: "))
        .unwrap()
        .trim()
        .trim_start_matches("Input: ")
        .trim_matches('\'');
    let v: Value = serde_json::from_str(input).unwrap();
    assert_eq!(
        rolecall_lambda::events::parse(&v).unwrap().kind(),
        "scheduled-scan"
    );
}
