//! Runs every case of `data/eval-cases.json`: policies, a request, the expected decision and a
//! sentence naming the rule of AWS's evaluation logic the case shows.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rolecall_policy::*;
use serde_json::Value;

fn policy(name: String, kind: PolicyKind, v: &Value) -> Policy {
    parse_policy_value(&name, kind, v).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn evaluation_corpus() {
    let text = include_str!("data/eval-cases.json");
    let cases: Vec<Value> = serde_json::from_str(text).unwrap();
    assert!(cases.len() >= 100, "the corpus shrank: {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let why = case["why"].as_str().unwrap();
        assert!(
            !why.is_empty(),
            "{name}: every case says which rule it shows"
        );
        let p = &case["policies"];
        let identity: Vec<Policy> = p["identity"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, d)| policy(format!("identity-{i}"), PolicyKind::Identity, d))
            .collect();
        let boundary = p
            .get("boundary")
            .map(|d| policy("boundary".into(), PolicyKind::Boundary, d));
        let scps: Vec<Vec<Policy>> = p
            .get("scps")
            .map(|levels| {
                levels
                    .as_array()
                    .unwrap()
                    .iter()
                    .enumerate()
                    .map(|(l, docs)| {
                        docs.as_array()
                            .unwrap()
                            .iter()
                            .enumerate()
                            .map(|(i, d)| policy(format!("scp-{l}-{i}"), PolicyKind::Scp, d))
                            .collect()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let resource = p
            .get("resource")
            .map(|d| policy("resource".into(), PolicyKind::Resource, d));
        let set = PolicySet {
            identity: identity.iter().collect(),
            boundary: boundary.as_ref(),
            scp_levels: scps.iter().map(|l| l.iter().collect()).collect(),
            resource_policy: resource.as_ref(),
        };
        let r = &case["request"];
        let mut context = Context::new();
        for (k, vs) in r["context"].as_object().unwrap() {
            for v in vs.as_array().unwrap() {
                context.insert(k, v.as_str().unwrap());
            }
        }
        let req = Request {
            principal: r["principal"].as_str().map(str::to_string),
            action: r["action"].as_str().unwrap().to_string(),
            resource: r["resource"].as_str().unwrap().to_string(),
            context,
        };
        let resp = evaluate(&set, &req);
        let got = serde_json::to_value(resp.decision).unwrap();
        if got != case["expected"] {
            failures.push(format!(
                "{name}: expected {}, got {got} ({why}); reasons: {:?}",
                case["expected"], resp.reasons
            ));
            continue;
        }
        if let Some(m) = case.get("expected_matched") {
            for sid in m.as_array().unwrap() {
                let sid = sid.as_str().unwrap();
                if !resp.matched.iter().any(|x| x.statement == sid) {
                    failures.push(format!(
                        "{name}: statement {sid} should be cited, got {:?}",
                        resp.matched
                    ));
                }
            }
        }
        if resp.decision != Decision::ImplicitDeny && resp.matched.is_empty() {
            failures.push(format!(
                "{name}: a decision other than implicit deny must cite statements"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
