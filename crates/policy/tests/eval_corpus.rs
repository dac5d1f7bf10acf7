//! Runs every case of `data/eval-cases.json`: policies, a request, the expected decision and a
//! sentence naming the rule of AWS's evaluation logic the case shows (quoting the AWS
//! documentation where a case was added for a documented rule).
//!
//! A case holds `policies` (`identity`, `boundary`, `session`, `scps` and `rcps` as lists of levels,
//! `resource`, `trust`), a `request` (`principal`, `action`, `resource`, `context`, and optionally
//! `resource_account`, `management_account`, `principal_facts` with `path`, `tags`, `org_id`,
//! `org_paths`, `unique_id`, `session_name`), the `expected` decision, and optionally the statements
//! that must be cited (`expected_matched`) and text that a reason or warning must contain
//! (`expected_reason`, `expected_warning`).
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
        let levels = |key: &str, kind: PolicyKind| -> Vec<Vec<Policy>> {
            p.get(key)
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
                                .map(|(i, d)| policy(format!("{key}-{l}-{i}"), kind, d))
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let rcps = levels("rcps", PolicyKind::Rcp);
        let session = p
            .get("session")
            .map(|d| policy("session".into(), PolicyKind::Session, d));
        let resource = p
            .get("resource")
            .map(|d| policy("resource".into(), PolicyKind::Resource, d))
            .or_else(|| {
                p.get("trust")
                    .map(|d| policy("trust".into(), PolicyKind::Trust, d))
            });
        let set = PolicySet {
            identity: identity.iter().collect(),
            boundary: boundary.as_ref(),
            session: session.as_ref(),
            scp_levels: scps.iter().map(|l| l.iter().collect()).collect(),
            rcp_levels: rcps.iter().map(|l| l.iter().collect()).collect(),
            resource_policy: resource.as_ref(),
        };
        let r = &case["request"];
        let mut context = Context::new();
        for (k, vs) in r["context"].as_object().unwrap() {
            for v in vs.as_array().unwrap() {
                context.insert(k, v.as_str().unwrap());
            }
        }
        let facts = r.get("principal_facts");
        let fact = |k: &str| {
            facts
                .and_then(|f| f.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let req = Request {
            principal: r["principal"].as_str().map(str::to_string),
            action: r["action"].as_str().unwrap().to_string(),
            resource: r["resource"].as_str().unwrap().to_string(),
            context,
            principal_facts: PrincipalFacts {
                path: fact("path"),
                tags: facts.and_then(|f| f.get("tags")).map(|t| {
                    t.as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                        .collect()
                }),
                org_id: fact("org_id"),
                org_paths: facts
                    .and_then(|f| f.get("org_paths"))
                    .and_then(|v| v.as_array())
                    .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
                unique_id: fact("unique_id"),
                session_name: fact("session_name"),
            },
            resource_account: r["resource_account"].as_str().map(str::to_string),
            management_account: r["management_account"].as_str().map(str::to_string),
            aws_managed_key: r["aws_managed_key"].as_bool().unwrap_or(false),
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
        for (key, list) in [
            ("expected_reason", &resp.reasons),
            ("expected_warning", &resp.warnings),
        ] {
            if let Some(want) = case.get(key).and_then(|v| v.as_str()) {
                if !list.iter().any(|r| r.contains(want)) {
                    failures.push(format!("{name}: no {key} containing {want:?} in {list:?}"));
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
