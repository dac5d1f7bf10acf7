//! `docs/read-only-policy.json` is exactly what the collector needs: every operation it can call is
//! allowed (checked with rolecall's own policy engine), and the policy allows nothing else.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rolecall_catalog::catalog;
use rolecall_collect::OPERATIONS;
use rolecall_policy::{evaluate, parse_policy, Decision, PolicyKind, PolicySet, Request};

fn policy() -> rolecall_policy::Policy {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/read-only-policy.json"
    );
    parse_policy(
        "read-only-policy.json",
        PolicyKind::Identity,
        &std::fs::read_to_string(path).unwrap(),
    )
    .unwrap()
}

#[test]
fn every_operation_is_allowed() {
    let p = policy();
    for (service, op, action, resource) in OPERATIONS {
        if action.is_empty() {
            continue; // sts:GetCallerIdentity needs no permission
        }
        assert!(
            catalog().lookup(action).is_some(),
            "{action} is not an IAM action"
        );
        // The member role's trust policy is not this policy's to give: a trust policy that
        // delegates to the auditing account stands in for it, so the identity side decides.
        let trust = parse_policy(
            "member role trust",
            PolicyKind::Trust,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}}"#,
        )
        .unwrap();
        let set = PolicySet {
            identity: vec![&p],
            resource_policy: action.starts_with("sts:AssumeRole").then_some(&trust),
            ..Default::default()
        };
        // Member-account reads run as the member role's session; AssumeRole as the auditor.
        let principal = if action.starts_with("sts:AssumeRole") {
            "arn:aws:iam::123456789012:role/rolecall-auditor"
        } else {
            "arn:aws:iam::210987654321:role/OrganizationAccountAccessRole"
        };
        let req = Request {
            principal: Some(principal.into()),
            action: action.to_string(),
            resource: resource.to_string(),
            ..Default::default()
        };
        assert_eq!(
            evaluate(&set, &req).decision,
            Decision::Allow,
            "{service}:{op} needs {action} on {resource}"
        );
    }
}

#[test]
fn the_policy_allows_nothing_more() {
    let p = policy();
    let needed: Vec<&str> = OPERATIONS
        .iter()
        .map(|o| o.2)
        .filter(|a| !a.is_empty())
        .collect();
    for s in &p.statements {
        assert_eq!(s.effect, rolecall_policy::Effect::Allow);
        assert!(
            !s.action.is_not(),
            "no NotAction in a least-privilege policy"
        );
        for pat in s.action.patterns() {
            assert!(
                !rolecall_catalog::wildcard::has_wildcard(pat),
                "{pat}: no wildcards in actions"
            );
            assert!(
                needed.iter().any(|n| n.eq_ignore_ascii_case(pat)),
                "{pat} is granted but the collector never calls it"
            );
            let writes = catalog()
                .lookup(pat)
                .and_then(|a| catalog().access_level(a));
            assert!(
                matches!(
                    writes,
                    Some(rolecall_catalog::AccessLevel::List | rolecall_catalog::AccessLevel::Read)
                ) || pat == "sts:AssumeRole",
                "{pat} is not a read: {writes:?}"
            );
        }
    }
}

/// The policy for `--usage athena=...` and `--usage cloudtrail-lake=...` (docs/usage.md): a query
/// writes its result, so it is kept apart from the read-only collection policy. Every action it
/// names is a real action, and each call the sources make is allowed on a representative ARN.
#[test]
fn the_query_policy_allows_the_calls_the_query_sources_make() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/usage-query-policy.json"
    );
    let p = parse_policy(
        "usage-query-policy.json",
        PolicyKind::Identity,
        &std::fs::read_to_string(path).unwrap(),
    )
    .unwrap();
    for s in &p.statements {
        for pat in s.action.patterns() {
            assert!(
                catalog().lookup(pat).is_some(),
                "{pat} is not an IAM action"
            );
        }
    }
    let set = PolicySet {
        identity: vec![&p],
        ..Default::default()
    };
    for (action, resource) in [
        ("athena:StartQueryExecution", "arn:aws:athena:us-east-1:111111111111:workgroup/primary"),
        ("athena:GetQueryResults", "arn:aws:athena:us-east-1:111111111111:workgroup/primary"),
        ("glue:GetTable", "arn:aws:glue:us-east-1:111111111111:table/cloudtrail/org_trail"),
        ("s3:GetObject", "arn:aws:s3:::org-cloudtrail-logs/AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/30/x.json.gz"),
        ("s3:PutObject", "arn:aws:s3:::athena-results-111111111111/rolecall/q.csv"),
        ("cloudtrail:StartQuery", "arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/EXAMPLE"),
        ("cloudtrail:GetQueryResults", "arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/EXAMPLE"),
    ] {
        let req = Request {
            principal: Some("arn:aws:iam::111111111111:role/rolecall-auditor".into()),
            action: action.into(),
            resource: resource.into(),
            ..Default::default()
        };
        assert_eq!(evaluate(&set, &req).decision, Decision::Allow, "{action} on {resource}");
    }
    // Writes go only to the result location.
    let req = Request {
        principal: Some("arn:aws:iam::111111111111:role/rolecall-auditor".into()),
        action: "s3:PutObject".into(),
        resource: "arn:aws:s3:::org-cloudtrail-logs/AWSLogs/x".into(),
        ..Default::default()
    };
    assert_ne!(evaluate(&set, &req).decision, Decision::Allow);
}
