//! Three scans of the demo: a role fixed, then broken again; statuses and first sightings by
//! scope; a scan of another scope fixes nothing of this one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rolecall_catalog::catalog;
use rolecall_checks::{scan, Config, ScanResult};
use rolecall_history::{ScanRecord, Store};
use rolecall_inventory::demo::demo_inventory;
use rolecall_inventory::Inventory;

fn run(inv: &Inventory) -> ScanResult {
    scan(
        inv,
        catalog(),
        &Config::default(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    )
}

/// A scan recorded with nothing but its scope and time.
fn plain<'a>(scope: &'a str, at: &'a str) -> ScanRecord<'a> {
    static NONE: std::sync::LazyLock<std::collections::HashSet<String>> =
        std::sync::LazyLock::new(Default::default);
    ScanRecord {
        scope,
        inventory_hash: at,
        at,
        deployments: &[],
        roles: &[],
        unread_accounts: &NONE,
        baseline: false,
    }
}

fn status_of<'a>(r: &'a ScanResult, code: &str, resource_end: &str) -> Option<&'a str> {
    r.findings
        .iter()
        .find(|f| f.code == code && f.resource_arn.ends_with(resource_end))
        .and_then(|f| f.status.as_deref())
}

#[test]
fn findings_are_new_then_open_fixed_and_regressed_within_their_scope() {
    let path = std::env::temp_dir().join(format!("rolecall-history-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut store = Store::open(&path).unwrap();
    let demo = demo_inventory();

    let mut first = run(&demo);
    let r1 = store
        .record(&mut first, &plain("demo", "2026-11-28T00:00:00Z"))
        .unwrap();
    assert_eq!(r1.previous, None);
    assert_eq!(r1.new, first.findings.len());
    assert!(first
        .findings
        .iter()
        .all(|f| f.status.as_deref() == Some("new")));

    // The administrator policy comes off the legacy ETL role.
    let mut fixed = demo.clone();
    let role = fixed
        .roles
        .iter_mut()
        .find(|r| r.name == "legacy-etl-runner-role")
        .unwrap();
    role.managed_policy_arns.clear();
    let mut second = run(&fixed);
    let r2 = store
        .record(&mut second, &plain("demo", "2026-11-29T00:00:00Z"))
        .unwrap();
    assert_eq!(r2.previous, Some(r1.scan_id));
    assert!(r2.fixed >= 1, "{r2:?}");
    assert_eq!(
        status_of(&second, "LR101", "legacy-etl-runner-role"),
        None,
        "gone"
    );
    let open = second.findings.iter().find(|f| f.code == "LR301").unwrap();
    assert_eq!(open.status.as_deref(), Some("open"));
    assert_eq!(open.first_seen.as_deref(), Some("2026-11-28T00:00:00Z"));
    assert_eq!(r2.open + r2.new, second.findings.len());
    // Fixed one day after first seen.
    let ttr = store.time_to_remediation().unwrap();
    assert!(!ttr.is_empty());
    assert!(
        ttr.iter()
            .all(|r| r.median_days == 1.0 && r.p90_days == 1.0),
        "{ttr:?}"
    );
    assert_eq!(ttr.iter().map(|r| r.fixed).sum::<usize>(), r2.fixed);
    let trend = store.trend(None).unwrap();
    assert_eq!(trend.len(), 2);
    assert!(trend[1].open_findings < trend[0].open_findings);
    assert_eq!(trend[1].fixed as usize, r2.fixed);

    // And goes back on: regressed, first seen on the first day.
    let mut third = run(&demo);
    let r3 = store
        .record(&mut third, &plain("demo", "2026-11-30T00:00:00Z"))
        .unwrap();
    assert!(r3.regressed >= 1, "{r3:?}");
    assert_eq!(
        status_of(&third, "LR101", "legacy-etl-runner-role"),
        Some("regressed")
    );
    let lr101 = third
        .findings
        .iter()
        .find(|f| f.code == "LR101" && f.resource_arn.ends_with("legacy-etl-runner-role"))
        .unwrap();
    assert_eq!(lr101.first_seen.as_deref(), Some("2026-11-28T00:00:00Z"));

    // A scan of another scope starts its own history and fixes nothing here.
    let mut other = run(&fixed);
    let r4 = store
        .record(&mut other, &plain("one-account", "2026-11-30T01:00:00Z"))
        .unwrap();
    assert_eq!(
        (r4.previous, r4.fixed, r4.new),
        (None, 0, other.findings.len())
    );

    let scans = store.scans().unwrap();
    assert_eq!(scans.len(), 4);
    assert_eq!(scans[0].id, r4.scan_id, "newest first");
    assert_eq!(scans[2].fixed as usize, r2.fixed);
    drop(store);
    // Reopening keeps everything, and the schema is not applied twice.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.scans().unwrap().len(), 4);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn diff_names_new_fixed_widened_roles_and_changed_deployments() {
    use rolecall_history::{Deployment, RoleVersion};
    let path = std::env::temp_dir().join(format!(
        "rolecall-history-diff-{}.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let mut store = Store::open(&path).unwrap();
    let demo = demo_inventory();
    let dep = |role: &str| {
        vec![Deployment {
            function_arn: "arn:aws:lambda:us-east-1:1:function:orders".into(),
            role_arn: role.into(),
            last_modified: None,
        }]
    };
    let ver = |hash: &str, n: i64| {
        vec![RoleVersion {
            role_arn: "arn:aws:iam::1:role/a".into(),
            policies_hash: hash.into(),
            allowed_actions: n,
        }]
    };
    let mut s1 = run(&demo);
    store
        .record(
            &mut s1,
            &ScanRecord {
                scope: "demo",
                inventory_hash: "h1",
                at: "2026-11-28T00:00:00Z",
                deployments: &dep("arn:aws:iam::1:role/a"),
                roles: &ver("p1", 10),
                unread_accounts: &Default::default(),
                baseline: false,
            },
        )
        .unwrap();
    let mut fixed = demo.clone();
    fixed
        .roles
        .iter_mut()
        .find(|r| r.name == "legacy-etl-runner-role")
        .unwrap()
        .managed_policy_arns
        .clear();
    let mut s2 = run(&fixed);
    store
        .record(
            &mut s2,
            &ScanRecord {
                scope: "demo",
                inventory_hash: "h2",
                at: "2026-11-29T00:00:00Z",
                deployments: &dep("arn:aws:iam::1:role/b"),
                roles: &ver("p2", 400),
                unread_accounts: &Default::default(),
                baseline: false,
            },
        )
        .unwrap();
    let d = store.diff(None, None).unwrap();
    assert_eq!((d.from, d.to), (1, 2));
    assert!(
        d.fixed
            .iter()
            .any(|(_, code, res)| code == "LR101" && res.ends_with("legacy-etl-runner-role")),
        "{d:?}"
    );
    assert_eq!(d.widened, [("arn:aws:iam::1:role/a".to_string(), 10, 400)]);
    assert_eq!(d.role_changed.len(), 1);
    let deps = store.deployments("orders").unwrap();
    assert_eq!(
        deps.iter().map(|r| r.role_arn.as_str()).collect::<Vec<_>>(),
        ["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"]
    );
    // Scans of different scopes are not compared.
    let mut s3 = run(&fixed);
    store
        .record(&mut s3, &plain("other", "2026-11-30T00:00:00Z"))
        .unwrap();
    assert!(store
        .diff(Some(2), Some(3))
        .unwrap_err()
        .contains("different scopes"));
    assert!(store
        .diff(None, Some(3))
        .unwrap_err()
        .contains("first of its scope"));
    let _ = std::fs::remove_file(&path);
}

/// A write that fails half way (here a trigger refuses one finding, as a full disk or a kill
/// would stop the run) leaves the store exactly as it was: one transaction per scan.
#[test]
fn a_scan_that_fails_mid_write_leaves_the_store_as_it_was() {
    let path = std::env::temp_dir().join(format!(
        "rolecall-history-abort-{}.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let demo = demo_inventory();
    let mut store = Store::open(&path).unwrap();
    let mut s1 = run(&demo);
    store
        .record(&mut s1, &plain("demo", "2026-11-28T00:00:00Z"))
        .unwrap();
    drop(store);
    let count = |sql: &str| -> i64 {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    let before = (
        count("SELECT count(*) FROM scans"),
        count("SELECT count(*) FROM findings"),
        count("SELECT count(*) FROM finding_state WHERE status = 'new'"),
    );
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON findings WHEN NEW.code = 'LR301' BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        )
        .unwrap();
    let mut store = Store::open(&path).unwrap();
    let mut s2 = run(&demo);
    let e = store.record(&mut s2, &plain("demo", "2026-11-29T00:00:00Z"));
    assert!(e.is_err(), "the trigger must stop the write");
    drop(store);
    let after = (
        count("SELECT count(*) FROM scans"),
        count("SELECT count(*) FROM findings"),
        count("SELECT count(*) FROM finding_state WHERE status = 'new'"),
    );
    assert_eq!(before, after, "nothing of the failed scan is kept");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn an_account_the_scan_could_not_read_fixes_nothing() {
    let path = std::env::temp_dir().join(format!(
        "rolecall-history-gap-{}.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let mut store = Store::open(&path).unwrap();
    let demo = demo_inventory();
    let mut s1 = run(&demo);
    store
        .record(&mut s1, &plain("demo", "2026-11-28T00:00:00Z"))
        .unwrap();
    // The next scan read nothing of account 222222222222 (a coverage gap): its findings are
    // missing from the result, not fixed.
    let mut gap = demo.clone();
    gap.roles.retain(|r| r.account != "222222222222");
    gap.functions.retain(|f| f.account != "222222222222");
    let mut s2 = run(&gap);
    let unread = ["222222222222".to_string()].into_iter().collect();
    let r2 = store
        .record(
            &mut s2,
            &ScanRecord {
                scope: "demo",
                inventory_hash: "h2",
                at: "2026-11-29T00:00:00Z",
                deployments: &[],
                roles: &[],
                unread_accounts: &unread,
                baseline: false,
            },
        )
        .unwrap();
    assert_eq!(r2.fixed, 0, "{r2:?}");
    let mut s3 = run(&gap);
    let r3 = store
        .record(&mut s3, &plain("demo", "2026-11-30T00:00:00Z"))
        .unwrap();
    assert!(
        r3.fixed > 0,
        "read in full, the account's findings are gone: fixed"
    );
    let _ = std::fs::remove_file(&path);
}

/// Stores of older schema versions, made from a current one the way those versions wrote them,
/// migrate forward on open and keep every scan.
#[test]
fn older_stores_migrate_forward() {
    use rolecall_history::Dimension;
    let demo = demo_inventory();
    let make = |name: &str| {
        let path = std::env::temp_dir().join(format!(
            "rolecall-history-{name}-{}.sqlite",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        let mut store = Store::open(&path).unwrap();
        for at in ["2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z"] {
            let mut r = run(&demo);
            store.record(&mut r, &plain("demo", at)).unwrap();
        }
        let now = store.metrics(Dimension::All, None).unwrap();
        drop(store);
        (path, now)
    };
    let info = run(&demo)
        .findings
        .iter()
        .filter(|f| f.severity.as_str() == "info")
        .count() as i64;
    assert!(info > 0, "the demo has informational findings");

    // Version 3 counted informational findings as low.
    let (path, now) = make("v3");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "UPDATE metrics SET low = low + info; ALTER TABLE metrics DROP COLUMN info; PRAGMA user_version = 3;
             ALTER TABLE scans DROP COLUMN complete; ALTER TABLE scans DROP COLUMN coverage_gaps;
             ALTER TABLE scans DROP COLUMN unread_accounts;",
        )
        .unwrap();
    let store = Store::open(&path).unwrap();
    let after = store.metrics(Dimension::All, None).unwrap();
    assert_eq!(after, now, "low and info recounted from the findings");
    assert!(after.iter().all(|m| m.metrics.info == info));
    assert!(!store.metrics(Dimension::Team, None).unwrap().is_empty());
    drop(store);
    let _ = std::fs::remove_file(&path);

    // Version 2 had no metrics table and no teams: the whole-scan rows are rebuilt.
    let (path, now) = make("v2");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "DROP TABLE metrics; ALTER TABLE findings DROP COLUMN team;
             ALTER TABLE finding_state DROP COLUMN team; PRAGMA user_version = 2;
             ALTER TABLE scans DROP COLUMN complete; ALTER TABLE scans DROP COLUMN coverage_gaps;
             ALTER TABLE scans DROP COLUMN unread_accounts;",
        )
        .unwrap();
    let store = Store::open(&path).unwrap();
    let after = store.metrics(Dimension::All, None).unwrap();
    assert_eq!(after.len(), 2);
    for (a, b) in after.iter().zip(&now) {
        let (a, b) = (&a.metrics, &b.metrics);
        assert_eq!(
            (
                a.functions,
                a.roles,
                a.open_findings,
                a.critical,
                a.low,
                a.info
            ),
            (
                b.functions,
                b.roles,
                b.open_findings,
                b.critical,
                b.low,
                b.info
            )
        );
    }
    let scans = store.scans().unwrap();
    assert_eq!(scans.len(), 2);
    assert!(
        scans.iter().all(|s| s.complete.is_none()),
        "coverage unknown before v5"
    );
    drop(store);
    let _ = std::fs::remove_file(&path);

    // A store newer than this rolecall is refused, not damaged.
    let (path, _) = make("v99");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99;")
        .unwrap();
    let e = Store::open(&path).err().unwrap().to_string();
    assert!(e.contains("schema version 99 is newer"), "{e}");
    let _ = std::fs::remove_file(&path);
}
