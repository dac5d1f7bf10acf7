//! The parser and evaluator never panic, whatever the document: random JSON built from the policy
//! vocabulary (the shapes a fuzzer would reach slowly), run on every test run. The cargo-fuzz target
//! in fuzz/ explores further; see docs/policy-engine.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use rolecall_catalog::catalog;
use rolecall_policy::effective::PrincipalPolicies;
use rolecall_policy::*;
use serde_json::{json, Map, Value};

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Version".to_string()),
        Just("Statement".to_string()),
        Just("Effect".to_string()),
        Just("Allow".to_string()),
        Just("Deny".to_string()),
        Just("Action".to_string()),
        Just("NotAction".to_string()),
        Just("Resource".to_string()),
        Just("NotResource".to_string()),
        Just("Principal".to_string()),
        Just("NotPrincipal".to_string()),
        Just("Condition".to_string()),
        Just("Sid".to_string()),
        Just("AWS".to_string()),
        Just("Service".to_string()),
        Just("*".to_string()),
        Just("s3:Get*".to_string()),
        Just("iam:PassRole".to_string()),
        Just("2012-10-17".to_string()),
        Just("StringEquals".to_string()),
        Just("ForAllValues:StringLike".to_string()),
        Just("NotIpAddress".to_string()),
        Just("DateLessThanIfExists".to_string()),
        Just("Null".to_string()),
        Just("aws:SourceIp".to_string()),
        Just("arn:aws:s3:::b/${aws:username}/*".to_string()),
        Just("${*}${?}${$}${".to_string()),
        Just("10.0.0.0/8".to_string()),
        "[ -~]{0,12}",
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        word().prop_map(Value::String),
        any::<i64>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((word(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Documents that look like policies: a Statement list of random statements.
fn document() -> impl Strategy<Value = Value> {
    prop_oneof![
        value(),
        prop::collection::vec(value(), 0..4)
            .prop_map(|s| json!({"Version": "2012-10-17", "Statement": s})),
        prop::collection::vec(prop::collection::vec((word(), value()), 0..6), 0..4).prop_map(
            |stmts| {
                let s: Vec<Value> = stmts
                    .into_iter()
                    .map(|kv| Value::Object(kv.into_iter().collect()))
                    .collect();
                json!({"Version": "2012-10-17", "Statement": s})
            }
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parse_evaluate_expand_never_panic(doc in document()) {
        let text = doc.to_string();
        for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust, PolicyKind::Boundary, PolicyKind::Scp] {
            match parse_policy("random", kind, &text) {
                Err(e) => prop_assert!(!e.path.is_empty(), "an error names a path: {e}"),
                Ok(p) => {
                    let mut ctx = Context::new();
                    ctx.insert("aws:username", "alice");
                    ctx.insert("aws:SourceIp", "10.1.2.3");
                    let req = Request { principal: Some("arn:aws:iam::123456789012:role/r".into()), action: "s3:GetObject".into(),
                        resource: "arn:aws:s3:::b/alice/x".into(), context: ctx, ..Default::default() };
                    let set = PolicySet { identity: vec![&p], boundary: Some(&p), session: Some(&p), scp_levels: vec![vec![&p]], rcp_levels: vec![vec![&p]], resource_policy: Some(&p) };
                    let _ = evaluate(&set, &req);
                    let mut an = Analyzer::new(catalog());
                    let _ = an.effective(&PrincipalPolicies { identity: vec![&p], boundary: Some(&p), scp_levels: vec![vec![&p]], rcp_levels: vec![vec![&p]], known: Some(KnownContext::for_role("arn:aws:iam::123456789012:role/r", &PrincipalFacts::default())) });
                }
            }
        }
        // URL-encoded and truncated forms too
        let _ = parse_policy("random", PolicyKind::Identity, &text.replace('{', "%7B"));
        let cut = text.char_indices().nth(text.chars().count() / 2).map(|(i, _)| i).unwrap_or(0);
        let _ = parse_policy("random", PolicyKind::Identity, &text[..cut]);
    }
}
