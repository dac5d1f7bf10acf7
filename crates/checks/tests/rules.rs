//! Per-rule fixtures: `tests/rules/<code>_pass_*.json` must give no finding of the rule,
//! `<code>_fail_*.json` at least one; the findings of each fixture are snapshotted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use chrono::NaiveDate;
use rolecall_catalog::catalog;
use rolecall_checks::{rules::docs_markdown, scan, Config, Finding, Severity, RULES};
use rolecall_inventory::{demo::demo_inventory, load_file, Inventory};
use std::path::{Path, PathBuf};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

/// The configuration fixtures run with: defaults, plus the approved templates of
/// `examples/golden` for LR701.
fn fixture_config() -> Config {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/golden");
    Config {
        golden: rolecall_checks::golden::Golden::load_dir(&dir, catalog()).unwrap(),
        // examples/baseline.json: `rolecall baseline --input tests/rules/lr101_pass_scoped.json`.
        baseline: Some(std::sync::Arc::new(
            rolecall_checks::drift::Baseline::load(
                &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/baseline.json"),
                catalog(),
            )
            .unwrap(),
        )),
        ..Config::default()
    }
}

fn findings_of(inv: &Inventory, code: &str) -> Vec<Finding> {
    scan(inv, catalog(), &fixture_config(), today())
        .findings
        .into_iter()
        .filter(|f| f.code == code)
        .collect()
}

#[test]
fn every_rule_has_pass_and_fail_fixtures() {
    let names: Vec<String> = fixtures()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for r in RULES {
        let c = r.meta.code.to_ascii_lowercase();
        assert!(
            names.iter().any(|n| n.starts_with(&format!("{c}_pass_"))),
            "{} has no pass fixture",
            r.meta.code
        );
        assert!(
            names.iter().any(|n| n.starts_with(&format!("{c}_fail_"))),
            "{} has no fail fixture",
            r.meta.code
        );
    }
}

#[test]
fn fixtures_pass_and_fail_as_named() {
    let mut problems = Vec::new();
    for path in fixtures() {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let code = stem.split('_').next().unwrap().to_ascii_uppercase();
        let kind = stem.split('_').nth(1).unwrap();
        assert!(
            kind == "pass" || kind == "fail",
            "{stem}: fixture names are <code>_pass_* or <code>_fail_*"
        );
        let inv = load_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let found = findings_of(&inv, &code);
        if kind == "pass" && !found.is_empty() {
            problems.push(format!(
                "{stem}: expected no {code} finding, got {:?}",
                found.iter().map(|f| &f.title).collect::<Vec<_>>()
            ));
        }
        if kind == "fail" && found.is_empty() {
            problems.push(format!("{stem}: expected a {code} finding, got none"));
        }
        insta::assert_json_snapshot!(stem.clone(), found, {
            "[].account" => "[account]",
        });
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn conditions_lower_severity_and_are_shown() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules");
    let plain = findings_of(
        &load_file(&dir.join("lr204_fail_secrets_on_star.json")).unwrap(),
        "LR204",
    );
    assert_eq!(plain[0].severity, Severity::High);
    for (file, key) in [
        ("lr204_fail_conditional_source_vpc.json", "aws:SourceVpc"),
        (
            "lr204_fail_conditional_requested_region.json",
            "aws:RequestedRegion",
        ),
        ("lr204_fail_conditional_s3_prefix.json", "s3:prefix"),
        (
            "lr204_fail_conditional_resource_tag.json",
            "aws:ResourceTag/team",
        ),
    ] {
        let f = findings_of(&load_file(&dir.join(file)).unwrap(), "LR204");
        assert_eq!(f.len(), 1, "{file}");
        assert_eq!(
            f[0].severity,
            Severity::Medium,
            "{file}: a condition lowers the severity one step"
        );
        assert!(
            f[0].evidence[0].conditions.iter().any(|c| c.contains(key)),
            "{file}: the condition is shown: {:?}",
            f[0].evidence
        );
    }
}

#[test]
fn aws_baseline_is_reported_only_when_asked() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules");
    let inv = load_file(&dir.join("lr103_pass_aws_vpc_execution_role.json")).unwrap();
    let config = Config {
        report_aws_baseline: true,
        ..fixture_config()
    };
    let r = scan(&inv, catalog(), &config, today());
    assert!(
        r.findings.iter().any(|f| f.code == "LR103"),
        "report_aws_baseline = true reports the baseline's breadth"
    );
    assert!(findings_of(&inv, "LR103").is_empty());
}

#[test]
fn rule_codes_are_permanent() {
    let codes: Vec<String> = RULES
        .iter()
        .map(|r| format!("{} {}", r.meta.code, r.meta.name))
        .collect();
    insta::assert_snapshot!("rule_codes", codes.join("\n"));
    for r in RULES {
        let doc = r.doc();
        for h in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Remediation",
            "## References",
        ] {
            assert!(
                doc.contains(h),
                "{}: documentation lacks {h:?}",
                r.meta.code
            );
        }
    }
}

#[test]
fn rules_docs_are_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let want = docs_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/rules.md is stale: run `UPDATE_DOCS=1 cargo test -p rolecall-checks --test rules` (or `rolecall rules --format markdown > docs/rules.md`)");
}

#[test]
fn demo_scan_finds_each_risky_pattern_and_spares_clean_roles() {
    let inv = demo_inventory();
    let r = scan(&inv, catalog(), &Config::default(), today());
    let has = |code: &str, resource_part: &str| {
        r.findings
            .iter()
            .any(|f| f.code == code && f.resource_arn.contains(resource_part))
    };
    for (code, res) in [
        ("LR101", "role/legacy-etl-runner-role"),
        ("LR102", "role/report-exporter-role"),
        ("LR103", "role/report-exporter-role"),
        ("LR104", "role/ops-automation-role"),
        ("LR105", "role/media-transcoder-role"),
        ("LR106", "role/crm-sync-role"),
        ("LR201", "role/deploy-helper-role"),
        ("LR201", "role/role-tagger-role"),
        ("LR202", "role/role-tagger-role"),
        ("LR203", "role/token-broker-role"),
        ("LR204", "role/secrets-rotator-role"),
        ("LR205", "role/autoscaler-role"),
        ("LR206", "role/deploy-helper-role"),
        ("LR301", "role/shared-worker-role"),
        ("LR302", "role/lambda-migration-2023-role"),
        ("LR303", "role/lambda-payments-legacy-paypal-ipn-role"),
        ("LR304", "role/legacy-etl-runner-role"),
        ("LR305", "role/lambda-platform-experiment-role"),
        ("LR306", "SearchStack-IndexerFunctionServiceRole"),
        ("LR307", "function:platform-hello-world"),
        ("LR401", "role/debug-shell-role"),
        ("LR402", "role/partner-feed-ingest-role"),
        ("LR403", "role/partner-feed-ingest-role"),
        ("LR501", "function:checkout-webhook-receiver"),
        ("LR502", "function:search-public-suggest"),
        ("LR503", "function:search-public-suggest"),
        ("LR901", "role/lambda-analytics-export-csv-role"),
        ("LR902", "role/lambda-analytics-export-csv-role"),
    ] {
        assert!(has(code, res), "{code} on {res}");
    }
    // The engine decides: PassRole to one low-privilege role is not escalation; a capped admin is
    // not critical; what the SCP denies is not granted; a VPC-conditioned read is lower.
    assert!(!has("LR201", "lambda-platform-canary-deployer-role"));
    assert!(r
        .findings
        .iter()
        .filter(|f| f
            .resource_arn
            .ends_with("role/lambda-payments-reconciler-role"))
        .all(|f| f.severity < Severity::Critical));
    assert!(!r.findings.iter().any(|f| f
        .resource_arn
        .ends_with("lambda-security-break-glass-role")
        && (f.code == "LR201" || f.code == "LR203")));
    let vault = r
        .findings
        .iter()
        .find(|f| {
            f.code == "LR204"
                && f.resource_arn
                    .ends_with("lambda-payments-card-vault-reader-role")
        })
        .unwrap();
    assert_eq!(vault.severity, Severity::Medium);
    // Clean roles: nothing above low.
    let clean = r.findings.iter().filter(|f| {
        f.resource_arn
            .contains("role/lambda-payments-invoice-render-role")
            || f.resource_arn.contains("function:payments-invoice-render")
    });
    assert!(
        clean.clone().all(|f| f.severity <= Severity::Low),
        "{:?}",
        clean.map(|f| &f.title).collect::<Vec<_>>()
    );
    // Ranked: a finding's own severity first, risk within it; so no low or info finding ranks
    // above a high or critical one.
    assert!(r.findings.windows(2).all(|w| w[0].severity > w[1].severity
        || (w[0].severity == w[1].severity && w[0].risk_score >= w[1].risk_score)));
    let first_minor = r
        .findings
        .iter()
        .position(|f| f.severity <= Severity::Low)
        .unwrap();
    assert!(r.findings[first_minor..]
        .iter()
        .all(|f| f.severity <= Severity::Low));
    assert_eq!(r.findings[0].severity, Severity::Critical);
    let top = &r.functions[0];
    assert_eq!(
        top.risk.score,
        top.risk.permission.score
            + top.risk.blast_radius.score
            + top.risk.exposure.score
            + top.risk.data.score
    );
    assert!(r.coverage.complete);
}

#[test]
fn configuration_overrides_disables_and_suppresses() {
    let inv = demo_inventory();
    let cfg = Config::parse(
        Path::new("rolecall.toml"),
        r#"
[rules]
disabled = ["role-naming"]
severity = { LR304 = "info" }

[[suppressions]]
rule = "LR101"
resource = "arn:aws:iam::222222222222:role/legacy-*"
reason = "being replaced in INC-123"
expires = "2027-03-01"

[[suppressions]]
rule = "LR303"
resource = "arn:aws:iam::*:role/nothing-matches-*"
reason = "left over"

[[suppressions]]
rule = "LR501"
resource = "*"
reason = "expired exception"
expires = "2026-01-01"
"#,
    )
    .unwrap();
    let r = scan(&inv, catalog(), &cfg, today());
    assert!(!r.findings.iter().any(|f| f.code == "LR306"));
    assert!(r.skipped_rules.iter().any(|s| s.starts_with("LR306")));
    assert!(r
        .findings
        .iter()
        .filter(|f| f.code == "LR304")
        .all(|f| f.severity == Severity::Info));
    assert!(!r
        .findings
        .iter()
        .any(|f| f.code == "LR101" && f.resource_arn.contains("legacy-etl")));
    assert!(r
        .suppressed
        .iter()
        .any(|s| s.finding.code == "LR101" && s.reason.contains("INC-123")));
    assert!(
        r.findings.iter().any(|f| f.code == "LR501"),
        "an expired suppression stops applying"
    );
    assert!(r.suppression_notes.iter().any(|n| n.contains("expired")));
    assert!(r
        .suppression_notes
        .iter()
        .any(|n| n.contains("matched no finding")));
}

#[test]
fn finding_ids_are_deterministic_and_unique() {
    let inv = demo_inventory();
    let a = scan(&inv, catalog(), &Config::default(), today());
    let b = scan(&inv, catalog(), &Config::default(), today());
    let ids = |r: &rolecall_checks::ScanResult| {
        r.findings.iter().map(|f| f.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&a), ids(&b));
    let mut sorted = ids(&a);
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), a.findings.len(), "finding ids are unique");
}
