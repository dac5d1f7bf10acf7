//! The handler on recorded event shapes (tests/events/, see its README), dry: no AWS call is
//! needed for a Config item that carries everything (inline policies, AWS managed policies
//! rolecall embeds), a deleted resource, or a failed API call. Reads and writes against moto are
//! in crates/cli/tests/lambda_moto.rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rolecall_lambda::events::{self, Trigger};
use rolecall_lambda::{handle, Settings};
use serde_json::{json, Value};

fn event(name: &str) -> Value {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn dry() -> Settings {
    Settings {
        dry_run: true,
        // An endpoint that refuses connections: a test that should make no AWS call fails
        // loudly (coverage gaps) if it makes one.
        endpoint_url: Some("http://127.0.0.1:9".into()),
        timeout: std::time::Duration::from_secs(2),
        ..Settings::default()
    }
}

async fn run(name: &str) -> Value {
    let h = handle(&event(name), &dry()).await.unwrap();
    assert!(h.ok, "{name}: {:#}", h.output);
    h.output
}

#[test]
fn every_recorded_event_is_understood() {
    let cases = [
        ("config-role-change.json", "config-change"),
        ("config-role-clean.json", "config-change"),
        ("config-role-deleted.json", "config-change"),
        ("config-role-change-medium.json", "config-change"),
        ("config-function-change.json", "config-change"),
        ("config-role-oversized.json", "config-oversized-change"),
        ("config-scheduled.json", "config-scheduled"),
        ("cloudtrail-iam-put-role-policy.json", "api-call"),
        ("cloudtrail-iam-put-role-policy-denied.json", "api-call"),
        ("cloudtrail-iam-create-policy-version.json", "api-call"),
        (
            "cloudtrail-lambda-update-function-configuration.json",
            "api-call",
        ),
        (
            "cloudtrail-lambda-create-function-url-config.json",
            "api-call",
        ),
        (
            "securityhub-findings-imported.json",
            "security-hub-imported",
        ),
        ("scheduler-scan.json", "scheduled-scan"),
    ];
    // Step Functions' tasks; a Map item may be the account id or an account object.
    for (e, kind) in [
        (json!({"rolecall": {"task": "plan-scan"}}), "plan-scan"),
        (
            json!({"rolecall": {"task": "collect-account", "account": "123456789012", "run": "20261201t060000z"}}),
            "collect-account",
        ),
        (
            json!({"rolecall": {"task": "collect-account", "account": {"id": "123456789012"}, "run": "r-1"}}),
            "collect-account",
        ),
        (
            json!({"rolecall": {"task": "merge-scan", "run": "20261201t060000z"}}),
            "merge-scan",
        ),
    ] {
        assert_eq!(events::parse(&e).unwrap().kind(), kind, "{e}");
    }
    for (file, kind) in cases {
        let t = events::parse(&event(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(t.kind(), kind, "{file}");
    }
}

#[test]
fn api_calls_name_the_role_policy_or_function_they_changed() {
    let Trigger::ApiCall(c) = events::parse(&event("cloudtrail-iam-put-role-policy.json")).unwrap()
    else {
        panic!()
    };
    assert_eq!(c.target.roles, vec!["orders-deployer"]);
    assert_eq!(
        c.caller,
        "arn:aws:sts::123456789012:assumed-role/developer/alice"
    );
    assert_eq!(c.account, "123456789012");
    let Trigger::ApiCall(c) =
        events::parse(&event("cloudtrail-iam-create-policy-version.json")).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        c.target.policies,
        vec!["arn:aws:iam::123456789012:policy/orders-data"]
    );
    assert!(c.target.roles.is_empty());
    let Trigger::ApiCall(c) = events::parse(&event(
        "cloudtrail-lambda-update-function-configuration.json",
    ))
    .unwrap() else {
        panic!()
    };
    assert_eq!(
        c.target.functions,
        vec![("us-east-1".to_string(), "orders-api".to_string())]
    );
    // The response names the role: no GetFunctionConfiguration needed.
    assert_eq!(
        c.target.roles,
        vec!["arn:aws:iam::123456789012:role/orders-deployer"]
    );
    // Every IAM event the issue lists is accepted; a read-only one is not.
    for name in events::IAM_EVENTS {
        let mut e = event("cloudtrail-iam-put-role-policy.json");
        e["detail"]["eventName"] = json!(name);
        e["detail"]["requestParameters"]["policyArn"] = json!("arn:aws:iam::1:policy/p");
        events::parse(&e).unwrap_or_else(|x| panic!("{name}: {x}"));
    }
    let mut e = event("cloudtrail-iam-put-role-policy.json");
    e["detail"]["eventName"] = json!("GetRole");
    let err = events::parse(&e).unwrap_err();
    assert!(err.contains("GetRole"), "{err}");
    for name in [
        "CreateFunction20150331",
        "UpdateFunctionConfiguration20150331v2",
        "AddPermission20150331v2",
        "CreateFunctionUrlConfig20211031",
        "UpdateFunctionUrlConfig20211031",
    ] {
        let mut e = event("cloudtrail-lambda-update-function-configuration.json");
        e["detail"]["eventName"] = json!(name);
        events::parse(&e).unwrap_or_else(|x| panic!("{name}: {x}"));
    }
    let mut e = event("cloudtrail-lambda-update-function-configuration.json");
    e["detail"]["eventName"] = json!("Invoke");
    assert!(events::parse(&e).is_err());
}

#[test]
fn malformed_events_are_errors_that_name_the_field() {
    let cases: Vec<(Value, &str)> = vec![
        (json!([1, 2]), "not a JSON object"),
        (json!({"hello": "world"}), "unrecognised event"),
        (
            json!({"detail-type": "EC2 Instance State-change Notification"}),
            "EC2 Instance",
        ),
        (
            json!({"invokingEvent": "{not json", "resultToken": "t"}),
            "`invokingEvent` is not JSON",
        ),
        (
            json!({"invokingEvent": "{\"messageType\":\"ConfigurationItemChangeNotification\"}", "resultToken": "t"}),
            "configurationItem",
        ),
        (
            json!({"invokingEvent": "{\"messageType\":\"ScheduledNotification\"}"}),
            "resultToken",
        ),
        (
            json!({"detail-type": "AWS API Call via CloudTrail", "detail": {"eventSource": "iam.amazonaws.com", "eventName": "PutRolePolicy", "requestParameters": {}}}),
            "roleName",
        ),
        (json!({"rolecall": {"task": "reboot"}}), "reboot"),
        (
            json!({"rolecall": {"task": "collect-account", "account": "12345", "run": "r1"}}),
            "12-digit",
        ),
        (
            json!({"rolecall": {"task": "merge-scan", "run": "../../other-prefix"}}),
            "rolecall.run",
        ),
        (json!({"rolecall": {"task": "merge-scan"}}), "rolecall.run"),
    ];
    for (e, needle) in cases {
        let err = events::parse(&e).unwrap_err();
        assert!(err.contains(needle), "{e}: {err}");
    }
}

#[tokio::test]
async fn a_role_that_can_escalate_is_non_compliant_with_its_codes_in_the_annotation() {
    let out = run("config-role-change.json").await;
    let ev = &out["evaluations"][0];
    assert_eq!(ev["resource_type"], "AWS::IAM::Role");
    // The configuration item's resourceId (a role's id), as Config expects it back.
    assert_eq!(ev["resource_id"], "AROAORDERSDEPLOYER");
    assert_eq!(ev["compliance"], "NON_COMPLIANT");
    assert_eq!(ev["ordering_timestamp"], "2026-12-01T09:30:00.000Z");
    let annotation = ev["annotation"].as_str().unwrap();
    assert!(annotation.len() <= 256, "{annotation}");
    // Every high or critical finding's code is in the annotation; nothing below high is.
    for f in out["findings"].as_array().unwrap() {
        let code = f["code"].as_str().unwrap();
        let counts = matches!(f["severity"].as_str().unwrap(), "high" | "critical");
        assert_eq!(annotation.contains(code), counts, "{code}: {annotation}");
    }
    assert!(out["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["severity"] == "high"));
    assert_eq!(out["actions"][0]["action"], "config:PutEvaluations");
    assert_eq!(out["actions"][0]["status"], "would do");
}

#[tokio::test]
async fn a_narrow_role_is_compliant_and_rule_parameters_can_lower_the_bar() {
    let out = run("config-role-clean.json").await;
    assert_eq!(out["evaluations"][0]["compliance"], "COMPLIANT");
    let low = out["findings"].as_array().unwrap().len();
    assert!(low > 0, "the clean role still has low findings: {out:#}");
    // The same role with `failOn: low` in the rule's parameters.
    let out = run("config-role-change-medium.json").await;
    assert_eq!(out["evaluations"][0]["compliance"], "NON_COMPLIANT");
    // And a code list: only those codes count.
    let mut e = event("config-role-change.json");
    e["ruleParameters"] = json!(json!({"codes": "LR901"}).to_string());
    let h = handle(&e, &dry()).await.unwrap();
    assert_eq!(h.output["evaluations"][0]["compliance"], "COMPLIANT");
    // A parameter that does not parse stops the invocation with its name.
    e["ruleParameters"] = json!(json!({"failOn": "urgent"}).to_string());
    let err = handle(&e, &dry()).await.err().unwrap();
    assert!(err.contains("failOn"), "{err}");
}

#[tokio::test]
async fn deleted_or_out_of_scope_resources_are_not_applicable() {
    let out = run("config-role-deleted.json").await;
    assert_eq!(out["evaluations"][0]["compliance"], "NOT_APPLICABLE");
    let mut e = event("config-role-change.json");
    e["eventLeftScope"] = json!(true);
    let h = handle(&e, &dry()).await.unwrap();
    assert_eq!(h.output["evaluations"][0]["compliance"], "NOT_APPLICABLE");
    // A role that does not trust Lambda and no function uses: not audited, so not applicable.
    let mut e = event("config-role-clean.json");
    let mut invoking: Value = serde_json::from_str(e["invokingEvent"].as_str().unwrap()).unwrap();
    invoking["configurationItem"]["configuration"]["assumeRolePolicyDocument"] = json!(
        "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"
    );
    e["invokingEvent"] = json!(invoking.to_string());
    let h = handle(&e, &dry()).await.unwrap();
    assert_eq!(h.output["evaluations"][0]["compliance"], "NOT_APPLICABLE");
}

#[tokio::test]
async fn a_failed_api_call_changed_nothing_and_reads_nothing() {
    let out = run("cloudtrail-iam-put-role-policy-denied.json").await;
    assert!(out["note"].as_str().unwrap().contains("AccessDenied"));
    assert!(out["actions"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn when_aws_cannot_be_reached_the_invocation_fails_and_says_why() {
    // The function event needs IAM and Lambda reads; the endpoint refuses them.
    let err = handle(&event("config-function-change.json"), &dry())
        .await
        .err()
        .unwrap();
    assert!(err.contains("cannot identify the caller"), "{err}");
}

#[test]
fn security_hub_findings_are_traced_to_roles_and_rolecalls_own_are_skipped() {
    let Trigger::SecurityHubImported { findings } =
        events::parse(&event("securityhub-findings-imported.json")).unwrap()
    else {
        panic!()
    };
    let targets = events::finding_targets(&findings);
    assert_eq!(targets.len(), 1);
    assert_eq!(
        targets[0].roles,
        vec!["arn:aws:iam::123456789012:role/orders-deployer"]
    );
    // Only rolecall's own finding: nothing to enrich.
    assert!(events::finding_targets(&findings[1..]).is_empty());
}

#[test]
fn settings_come_from_the_environment_and_bad_values_are_named() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    let s = Settings::from_env(env(&[
        ("ROLECALL_DRY_RUN", "true"),
        ("ROLECALL_REGIONS", "us-east-1, eu-west-1"),
        ("ROLECALL_FAIL_ON", "medium"),
        ("ROLECALL_MEMBER_ROLE", "audit"),
        ("AWS_REGION", "eu-west-1"),
    ]))
    .unwrap();
    assert!(s.dry_run);
    assert_eq!(
        s.regions,
        rolecall_collect::Regions::List(vec!["us-east-1".into(), "eu-west-1".into()])
    );
    assert_eq!(s.compliance.min_severity, rolecall_checks::Severity::Medium);
    assert_eq!(s.member_role, "audit");
    assert_eq!(s.home_region, "eu-west-1");
    let err = Settings::from_env(env(&[("ROLECALL_FAIL_ON", "loud")])).unwrap_err();
    assert!(err.contains("ROLECALL_FAIL_ON"), "{err}");
    let err =
        Settings::from_env(env(&[("ROLECALL_CONFIG", "/nonexistent/rolecall.toml")])).unwrap_err();
    assert!(err.contains("/nonexistent/rolecall.toml"), "{err}");
}
