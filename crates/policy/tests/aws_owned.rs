//! AWS's own resources are not another account's: an AWS managed policy
//! (`arn:aws:iam::aws:policy/...`) is read with the caller's identity policies alone, as IAM's
//! GetPolicy and GetPolicyVersion documentation describes for managed policies, while a customer
//! managed policy of another account still needs that account's consent (IAM has no resource
//! policies for policies, so it is refused).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rolecall_policy::{evaluate, parse_policy, Decision, PolicyKind, PolicySet, Request};

fn decide(resource: &str) -> Decision {
    let p = parse_policy(
        "reader",
        PolicyKind::Identity,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:GetPolicy","iam:GetPolicyVersion"],"Resource":"*"}}"#,
    )
    .unwrap();
    let set = PolicySet {
        identity: vec![&p],
        ..Default::default()
    };
    evaluate(
        &set,
        &Request {
            principal: Some("arn:aws:iam::111111111111:role/auditor".into()),
            action: "iam:GetPolicyVersion".into(),
            resource: resource.into(),
            ..Default::default()
        },
    )
    .decision
}

#[test]
fn aws_managed_policies_are_read_with_identity_policies_alone() {
    assert_eq!(
        decide("arn:aws:iam::aws:policy/ReadOnlyAccess"),
        Decision::Allow
    );
    assert_eq!(
        decide("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
        Decision::Allow
    );
    // The caller's own customer managed policy: allowed.
    assert_eq!(
        decide("arn:aws:iam::111111111111:policy/app"),
        Decision::Allow
    );
    // Another account's: cross-account, and nothing of that account allows it.
    assert_eq!(
        decide("arn:aws:iam::222222222222:policy/app"),
        Decision::ImplicitDeny
    );
}
