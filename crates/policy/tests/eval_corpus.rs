//! Runs every case of `data/eval-cases.json`: policies, a request, the expected decision and a
//! sentence naming the rule of AWS's evaluation logic the case shows (quoting the AWS
//! documentation where a case was added for a documented rule).
//!
//! A case is a [`rolecall_policy::case::Case`] plus `why`, the `expected` decision, and optionally
//! the statements that must be cited (`expected_matched`) and text that a reason or a warning must
//! contain (`expected_reason`, `expected_warning`); `"expected_warning": null` asserts there is
//! none.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rolecall_policy::case::Case;
use rolecall_policy::*;
use serde_json::Value;

#[test]
fn evaluation_corpus() {
    let text = include_str!("data/eval-cases.json");
    let cases: Vec<Value> = serde_json::from_str(text).unwrap();
    assert!(cases.len() >= 100, "the corpus shrank: {}", cases.len());
    let mut failures = Vec::new();
    let mut names = std::collections::HashSet::new();
    for raw in &cases {
        let name = raw["name"].as_str().unwrap();
        assert!(names.insert(name), "{name}: duplicate case name");
        let why = raw["why"].as_str().unwrap();
        assert!(
            !why.is_empty(),
            "{name}: every case says which rule it shows"
        );
        let case: Case =
            serde_json::from_value(raw.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let resp = case.evaluate().unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = serde_json::to_value(resp.decision).unwrap();
        if got != raw["expected"] {
            failures.push(format!(
                "{name}: expected {}, got {got} ({why}); reasons: {:?}",
                raw["expected"], resp.reasons
            ));
            continue;
        }
        if let Some(m) = raw.get("expected_matched") {
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
            match raw.get(key) {
                Some(Value::String(want)) if !list.iter().any(|r| r.contains(want.as_str())) => {
                    failures.push(format!("{name}: no {key} containing {want:?} in {list:?}"));
                }
                Some(Value::Null) if !list.is_empty() => {
                    failures.push(format!("{name}: expected no {key}, got {list:?}"));
                }
                _ => {}
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
