//! The history through the command line: three days of the demo against a baseline from day 1,
//! with the posture metrics computed by hand from the demo's definition
//! (`rolecall_inventory::demo::demo_inventory_day`), the trend dashboard in headless Chromium,
//! history on `lint`, and a store written by two processes at once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Output};

fn rolecall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_of(o: &Output) -> Value {
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn python() -> Option<String> {
    match std::env::var("ROLECALL_PYTHON") {
        Ok(p) => Some(p),
        Err(_) if std::env::var_os("ROLECALL_SKIP_EXTERNAL_TESTS").is_some() => None,
        Err(_) => panic!("ROLECALL_PYTHON is not set: run the suite with scripts/test, or set ROLECALL_SKIP_EXTERNAL_TESTS=1"),
    }
}

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("history-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Three days of the demo, each scanned against the baseline of day 1.
fn three_days(d: &std::path::Path) -> (String, Vec<Value>) {
    let db = d.join("h.sqlite").to_string_lossy().into_owned();
    let baseline = d.join("baseline.json").to_string_lossy().into_owned();
    let o = rolecall(&["baseline", "--demo", "--output", &baseline]);
    assert!(o.status.success(), "{}", stderr(&o));
    let days = (1..=3)
        .map(|day| {
            json_of(&rolecall(&[
                "scan",
                "--demo",
                "--demo-day",
                &day.to_string(),
                "--history",
                &db,
                "--baseline",
                &baseline,
                "--format",
                "json",
            ]))
        })
        .collect();
    (db, days)
}

/// The demo's definition, counted by hand:
/// - day 1: 60 functions; 58 execution roles: `shared-worker-role` runs 4 functions,
///   `lambda-migration-2023-role` none (an orphan), the other 56 one each; 62 policies attached.
/// - day 2: `webhook-retry` leaves `shared-worker-role` (now 3 functions) for a new role of its
///   own with one inline policy; the sms sender gains a `hotfix` inline policy; the experiment
///   role's policy is replaced by one; the media transcoder loses its boundary.
/// - day 3: the hotfix is gone, the experiment role's old policy is back.
#[test]
fn three_demo_days_give_the_metrics_counted_by_hand() {
    let d = dir("days");
    let (db, days) = three_days(&d);
    // Statuses: day 2 fixes the experiment role's 6 findings and brings 9 new ones (the
    // hotfix's, the new role's and the three drift findings); day 3 regresses the 6 and fixes
    // the hotfix's 6.
    let h: Vec<(i64, i64, i64)> = days
        .iter()
        .map(|v| {
            let h = &v["history"];
            (
                h["new"].as_i64().unwrap(),
                h["fixed"].as_i64().unwrap(),
                h["regressed"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(h, [(110, 0, 0), (9, 6, 0), (0, 6, 6)]);
    let status = |v: &Value, code: &str, role: &str| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == code && f["resource_arn"].as_str().unwrap().ends_with(role))
            .map(|f| f["status"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        status(&days[1], "LR801", "/lambda-notifications-sms-sender-role"),
        ["new"],
        "the hotfix widens the sms sender beyond its baseline"
    );
    assert_eq!(
        status(&days[1], "LR802", "/lambda-checkout-webhook-retry-role"),
        ["new"]
    );
    assert_eq!(status(&days[1], "LR803", "/media-transcoder-role"), ["new"]);
    assert_eq!(
        status(&days[2], "LR803", "/media-transcoder-role"),
        ["open"]
    );
    assert!(status(&days[2], "LR801", "/lambda-notifications-sms-sender-role").is_empty());
    let experiment: Vec<String> = days[2]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["resource_arn"]
                .as_str()
                .unwrap()
                .ends_with("/lambda-platform-experiment-role")
                && f["severity"] == "critical"
        })
        .map(|f| f["status"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !experiment.is_empty() && experiment.iter().all(|s| s == "regressed"),
        "{experiment:?}"
    );

    let t = json_of(&rolecall(&["trend", "--history", &db, "--format", "json"]));
    let m = t["metrics"].as_array().unwrap();
    assert_eq!(m.len(), 3);
    let f = |i: usize, k: &str| m[i][k].as_f64().unwrap_or(f64::NAN);
    // 1. a role of their own: 56 of 60, then 57 of 60 (webhook-retry alone on its new role;
    //    the 3 left on shared-worker-role still share it).
    assert!(close(f(0, "unique_role_share"), 56.0 / 60.0));
    assert!(close(f(1, "unique_role_share"), 57.0 / 60.0));
    assert!(close(f(2, "unique_role_share"), 57.0 / 60.0));
    // 3. policies per role: 62/58, then 64/59 (the new role's policy and the hotfix), 63/59.
    assert!(close(f(0, "average_policies_per_role"), 62.0 / 58.0));
    assert!(close(f(1, "average_policies_per_role"), 64.0 / 59.0));
    assert!(close(f(2, "average_policies_per_role"), 63.0 / 59.0));
    // 2. wildcard roles stay 11: the hotfix's `dynamodb:*` lands on a role that already had
    //    one, the fixed experiment role loses its, the reassigned role has none.
    assert_eq!(
        (0..3)
            .map(|i| m[i]["roles_with_wildcard_grants"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [11, 11, 11]
    );
    // 4. no usage data in the demo scan: unknown, not zero.
    assert!(m.iter().all(|x| x["unused_permissions"].is_null()));
    // 6. drift rate: day 2 deploys 4 changes (experiment, sms sender, webhook-retry, media
    //    transcoder), 2 beyond the baseline (sms sender LR801, webhook-retry's role LR802);
    //    day 3 deploys 2 (experiment, sms sender), both back within the baseline.
    assert_eq!(
        (0..3)
            .map(|i| (
                m[i]["deployments_changed"].as_i64().unwrap(),
                m[i]["deployments_widened"].as_i64().unwrap()
            ))
            .collect::<Vec<_>>(),
        [(0, 0), (4, 2), (2, 0)]
    );
    assert!(m[0]["drift_rate"].is_null(), "nothing deployed yet");
    assert!(close(f(1, "drift_rate"), 0.5));
    assert!(close(f(2, "drift_rate"), 0.0));
    // Baseline compliance: every role on day 1; day 2 has 3 drifted roles of 59, day 3 two
    // (the unreviewed role and the missing boundary).
    assert!(close(f(0, "baseline_compliance"), 1.0));
    assert!(close(f(1, "baseline_compliance"), 56.0 / 59.0));
    assert!(close(f(2, "baseline_compliance"), 57.0 / 59.0));
    // Severity counts agree with the scan's own summary, info apart from low.
    for (i, v) in days.iter().enumerate() {
        for s in ["critical", "high", "medium", "low", "info"] {
            assert_eq!(m[i][s], v["summary"]["by_severity"][s], "day {} {s}", i + 1);
        }
        assert_eq!(m[i]["open_findings"], v["summary"]["findings"]);
    }
    // 5. time to remediation: the 6 hotfix findings, first seen 2026-12-07, fixed 2026-12-14;
    //    the experiment role's findings regressed, so they are open, not remediated.
    let ttr = t["time_to_remediation"].as_array().unwrap();
    assert_eq!(
        ttr.iter()
            .map(|r| r["fixed"].as_i64().unwrap())
            .sum::<i64>(),
        6
    );
    assert!(ttr
        .iter()
        .all(|r| r["median_days"] == 7.0 && r["p90_days"] == 7.0));
    // Aging at day 3 (2026-12-14): what day 1 saw is 14 days old, what day 2 brought 7.
    let age = t["open_by_age"].as_array().unwrap();
    let total: i64 = age
        .iter()
        .map(|a| {
            ["days_0_7", "days_8_30", "days_31_90", "days_over_90"]
                .iter()
                .map(|k| a[k].as_i64().unwrap())
                .sum::<i64>()
        })
        .sum();
    assert_eq!(total, days[2]["summary"]["findings"].as_i64().unwrap());
    let young: i64 = age.iter().map(|a| a["days_0_7"].as_i64().unwrap()).sum();
    assert_eq!(young, 3, "the 9 new on day 2 less the 6 fixed on day 3");
    assert_eq!(t["oldest_open_critical"].as_array().unwrap().len(), 6);

    // Per team: the groups add up to the whole.
    let t = json_of(&rolecall(&[
        "trend",
        "--history",
        &db,
        "--by",
        "team",
        "--format",
        "json",
    ]));
    let per_team: i64 = t["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["scan_id"] == 3)
        .map(|x| x["functions"].as_i64().unwrap())
        .sum();
    assert_eq!(per_team, 60);
    // diff of day 1 and 2: the reassignment and the widening.
    let o = rolecall(&["diff", "1", "2", "--history", &db, "--format", "json"]);
    let diff = json_of(&o);
    let changed = diff["role_changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0][0].as_str().unwrap().ends_with(":webhook-retry"));
    assert!(diff["widened"].as_array().unwrap().iter().any(|w| w[0]
        .as_str()
        .unwrap()
        .ends_with("/lambda-notifications-sms-sender-role")));
}

#[test]
fn the_trend_dashboard_works_in_a_real_browser() {
    let Some(py) = python() else { return };
    let d = dir("dashboard");
    let (db, _) = three_days(&d);
    let page = d.join("trend.html");
    let o = rolecall(&[
        "trend",
        "--history",
        &db,
        "--format",
        "html",
        "--output",
        &page.to_string_lossy(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The numbers under the charts, computed by hand as in the test above.
    let expected = json!({
        "charts": {
            "unique-role-share": {"all": ["93%", "95%", "95%"]},
            "baseline-compliance": {"all": ["100%", "95%", "97%"]},
            "drift-rate": {"all": ["50%", "0%"]},
            "open-critical": {"all": ["6", "3", "6"]},
            "wildcard-roles": {"all": ["11", "11", "11"]},
        },
        "aging_rows": 5,
        "oldest_critical": 6,
    });
    let exp = d.join("expected.json");
    std::fs::write(&exp, expected.to_string()).unwrap();
    let shot = d.join("trend.png");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../report/tests/browser_check.py"
    );
    let out = Command::new(&py)
        .arg(script)
        .args([
            "dashboard",
            page.to_str().unwrap(),
            shot.to_str().unwrap(),
            exp.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}

#[test]
fn lint_records_history_with_suppressions() {
    let d = dir("lint");
    let db = d.join("h.sqlite").to_string_lossy().into_owned();
    let tpl = d.join("template.yaml");
    let template = |suppress: bool| {
        format!(
            r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: orders
      Runtime: python3.12
      Handler: app.handler
      Code: {{ZipFile: "def handler(e, c): pass"}}
      Role: !GetAtt Role.Arn
  Role:
    Type: AWS::IAM::Role
    {}Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {{Service: lambda.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: app
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: "*"
                Resource: "*"
"#,
            if suppress {
                "Metadata:\n      rolecall:\n        ignore:\n          LR101: break-glass administrator, approved in SEC-1234\n    "
            } else {
                ""
            }
        )
    };
    let lint = || {
        json_of(&rolecall(&[
            "lint",
            &tpl.to_string_lossy(),
            "--history",
            &db,
            "--format",
            "json",
        ]))
    };
    std::fs::write(&tpl, template(false)).unwrap();
    let v1 = lint();
    let codes = |v: &Value, key: &str| -> Vec<(String, String)> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                // A suppressed entry holds its finding with the reason.
                let f = if f["finding"].is_object() {
                    &f["finding"]
                } else {
                    f
                };
                (
                    f["code"].as_str().unwrap().to_string(),
                    f["status"].as_str().unwrap_or("-").to_string(),
                )
            })
            .collect()
    };
    let first = codes(&v1, "findings");
    assert!(first.contains(&("LR101".into(), "new".into())), "{first:?}");
    assert!(first.iter().all(|(_, s)| s == "new"));
    // Suppressed inline: the finding is not fixed, it is suppressed, and keeps its history.
    std::fs::write(&tpl, template(true)).unwrap();
    let v2 = lint();
    assert!(!codes(&v2, "findings").iter().any(|(c, _)| c == "LR101"));
    assert_eq!(v2["history"]["fixed"], 0, "{}", v2["history"]);
    let sup = codes(&v2, "suppressed");
    assert!(
        sup.contains(&("LR101".into(), "suppressed".into())),
        "{sup:?}"
    );
    let o = rolecall(&["diff", "--history", &db, "--format", "json"]);
    let diff = json_of(&o);
    assert_eq!(diff["fixed"], json!([]));
    assert_eq!(diff["suppressed"].as_array().unwrap().len(), 1);
    // The suppression lifted: the finding is back, as new, not regressed.
    std::fs::write(&tpl, template(false)).unwrap();
    let v3 = lint();
    let back = codes(&v3, "findings");
    assert!(back.contains(&("LR101".into(), "new".into())), "{back:?}");
    let o = rolecall(&["history", "--history", &db, "--format", "json"]);
    let scans = json_of(&o);
    assert_eq!(scans.as_array().unwrap().len(), 3);
    assert!(scans
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["source"] == "iac"));
}

#[test]
fn two_processes_write_one_store() {
    let d = dir("concurrent");
    let db = d.join("h.sqlite").to_string_lossy().into_owned();
    let spawn = |day: &str| {
        Command::new(env!("CARGO_BIN_EXE_rolecall"))
            .args([
                "scan",
                "--demo",
                "--demo-day",
                day,
                "--history",
                &db,
                "--format",
                "json",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children: Vec<_> = (0..6)
        .map(|i| spawn(if i % 2 == 0 { "1" } else { "2" }))
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
    }
    let o = rolecall(&["history", "--history", &db, "--format", "json"]);
    let scans = json_of(&o);
    let ids: Vec<i64> = scans
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [6, 5, 4, 3, 2, 1], "every run recorded once");
    let o = rolecall(&["trend", "--history", &db, "--format", "json"]);
    assert_eq!(json_of(&o)["metrics"].as_array().unwrap().len(), 6);
}

/// The export read back with DuckDB, as a data lake query engine would: the row counts and a
/// metric agree with the store, and exporting again changes nothing.
#[test]
fn the_export_reads_back_in_duckdb() {
    let Some(py) = python() else { return };
    let d = dir("export");
    let (db, days) = three_days(&d);
    let trend = json_of(&rolecall(&["trend", "--history", &db, "--format", "json"]));
    for format in ["parquet", "jsonl"] {
        let out = d.join(format!("lake-{format}"));
        let files = |p: &std::path::Path| -> Vec<(String, u64)> {
            let mut v = Vec::new();
            let mut stack = vec![p.to_path_buf()];
            while let Some(x) = stack.pop() {
                for e in std::fs::read_dir(&x).unwrap() {
                    let e = e.unwrap();
                    if e.file_type().unwrap().is_dir() {
                        stack.push(e.path());
                    } else {
                        v.push((
                            e.path().strip_prefix(p).unwrap().display().to_string(),
                            e.metadata().unwrap().len(),
                        ));
                    }
                }
            }
            v.sort();
            v
        };
        let mut listings = Vec::new();
        for _ in 0..2 {
            let o = rolecall(&[
                "export",
                "--history",
                &db,
                "--format",
                format,
                "--output",
                &out.to_string_lossy(),
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
            assert!(stderr(&o).contains("export: 3 scan(s)"), "{}", stderr(&o));
            listings.push(files(&out));
        }
        assert_eq!(listings[0], listings[1], "{format}: re-export replaces");
        // 3 scans × (scan + metrics + 3 accounts of findings) + the finding state.
        assert_eq!(listings[0].len(), 3 * 5 + 1, "{:?}", listings[0]);
        let o = Command::new(&py)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/duckdb_check.py"
            ))
            .args([out.to_str().unwrap(), format])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let got: Value = serde_json::from_slice(&o.stdout).unwrap();
        let per_scan: Vec<i64> = days
            .iter()
            .map(|v| v["findings"].as_array().unwrap().len() as i64)
            .collect();
        assert_eq!(
            got["findings_per_scan"],
            json!([[1, per_scan[0]], [2, per_scan[1]], [3, per_scan[2]]]),
            "{format}"
        );
        assert_eq!(
            got["scans"],
            json!([
                [1, per_scan[0], 110, 0, 0],
                [2, per_scan[1], 9, 6, 0],
                [3, per_scan[2], 0, 6, 6]
            ])
        );
        assert_eq!(
            got["accounts"],
            json!([["111111111111"], ["222222222222"], ["333333333333"]])
        );
        assert_eq!(
            got["dates"],
            json!([["2026-11-30"], ["2026-12-07"], ["2026-12-14"]])
        );
        let regressed = got["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[0] == 3 && r[1] == "regressed")
            .map(|r| r[2].as_i64().unwrap());
        assert_eq!(regressed, Some(6), "{}", got["statuses"]);
        // A metric against the store's own trend.
        let store_drift: Vec<Value> = trend["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| json!([m["scan_id"], m["drift_rate"]]))
            .collect();
        assert_eq!(got["drift_rate"], json!(store_drift), "{format}");
        let share = got["unique_role_share"][0][1].as_f64().unwrap();
        assert!((share - 56.0 / 60.0).abs() < 1e-9);
        let metric_rows = json_of(&rolecall(&[
            "trend",
            "--history",
            &db,
            "--by",
            "team",
            "--format",
            "json",
        ]))["metrics"]
            .as_array()
            .unwrap()
            .len()
            + json_of(&rolecall(&[
                "trend",
                "--history",
                &db,
                "--by",
                "account",
                "--format",
                "json",
            ]))["metrics"]
                .as_array()
                .unwrap()
                .len()
            + 3;
        assert_eq!(got["metric_rows"], metric_rows as i64);
        // The finding state: the 6 fixed on day 3 are fixed, the 6 regressed are regressed.
        let state: std::collections::HashMap<String, i64> = got["state"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_i64().unwrap()))
            .collect();
        assert_eq!(state.get("fixed"), Some(&6), "{state:?}");
        assert_eq!(state.get("regressed"), Some(&6), "{state:?}");
    }
    // Bad input is named.
    let o = rolecall(&[
        "export",
        "--history",
        "/no/such.sqlite",
        "--output",
        &d.join("x").to_string_lossy(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/no/such.sqlite"), "{}", stderr(&o));
}

/// `scan --format ocsf`: Detection Findings that Prowler's OCSF models accept, suppressed ones
/// included as Suppressed, and with history the second sighting is an Update with the first
/// sighting's time.
#[test]
fn ocsf_findings_validate_and_carry_history() {
    let d = dir("ocsf");
    let db = d.join("h.sqlite").to_string_lossy().into_owned();
    let cfg = d.join("rolecall.toml");
    std::fs::write(
        &cfg,
        "[[suppressions]]\nrule = \"LR101\"\nresource = \"arn:aws:iam::222222222222:role/legacy-etl-runner-role\"\nreason = \"replaced in INC-1\"\n",
    )
    .unwrap();
    let scan = || {
        let o = rolecall(&[
            "scan",
            "--demo",
            "--config",
            &cfg.to_string_lossy(),
            "--history",
            &db,
            "--format",
            "ocsf",
        ]);
        (json_of(&o), o.stdout)
    };
    let (first, _) = scan();
    let (second, bytes) = scan();
    let plain = json_of(&rolecall(&[
        "scan",
        "--demo",
        "--config",
        &cfg.to_string_lossy(),
        "--format",
        "json",
    ]));
    let records = second.as_array().unwrap();
    let found = plain["findings"].as_array().unwrap().len();
    assert_eq!(
        records.len(),
        found + 1,
        "the findings and the suppressed one"
    );
    let suppressed: Vec<&Value> = records.iter().filter(|r| r["status_id"] == 3).collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["metadata"]["event_code"], "LR101");
    assert_eq!(suppressed[0]["status_detail"], "replaced in INC-1");
    assert!(first
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status_id"] != 3)
        .all(|r| r["activity_id"] == 1 && r["type_uid"] == 200401));
    assert!(records
        .iter()
        .all(|r| r["activity_id"] == 2 && r["type_uid"] == 200402));
    assert!(records.iter().all(|r| r["class_uid"] == 2004
        && r["finding_info"]["first_seen_time"].as_i64().unwrap() <= r["time"].as_i64().unwrap()));
    // The same finding keeps its id between runs (Security Hub updates, never duplicates).
    let ids = |v: &Value| -> Vec<String> {
        let mut x: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["finding_info"]["uid"].as_str().unwrap().to_string())
            .collect();
        x.sort();
        x
    };
    assert_eq!(ids(&first), ids(&second));
    let Some(py) = python() else { return };
    let path = d.join("ocsf.json");
    std::fs::write(&path, bytes).unwrap();
    let o = Command::new(&py)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../report/tests/ocsf_check.py"
        ))
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(got, json!({"records": found + 1, "suppressed": 1}));
}

/// With history, every report format says what is new: day 2 of the demo after day 1 has 6 new
/// findings and 6 fixed (no baseline here, so no drift findings).
#[test]
fn every_report_format_carries_the_status() {
    let d = dir("formats");
    for format in ["table", "csv", "markdown", "html", "sarif", "json"] {
        let db = d
            .join(format!("{format}.sqlite"))
            .to_string_lossy()
            .into_owned();
        let o = rolecall(&["scan", "--demo", "--history", &db, "--format", "json"]);
        assert!(o.status.code().is_some_and(|c| c <= 1));
        let o = rolecall(&[
            "scan",
            "--demo",
            "--demo-day",
            "2",
            "--history",
            &db,
            "--format",
            format,
            "--limit",
            "0",
        ]);
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let count = |needle: &str| text.matches(needle).count();
        match format {
            "table" => {
                assert!(
                    text.contains("Since scan 1: 6 new, 6 fixed, 0 regressed"),
                    "{text}"
                );
                assert!(count("[new] ") >= 1, "{text}");
            }
            "csv" => {
                let header = text.lines().next().unwrap();
                assert!(header.ends_with(",status,first_seen"), "{header}");
                assert_eq!(count(",new,2026-12-07T06:00:00Z"), 6, "{text}");
                assert_eq!(
                    count(",open,2026-11-30T06:00:00Z"),
                    text.lines().count() - 1 - 6
                );
            }
            "markdown" => {
                assert!(text.contains("Since scan 1: 6 new, 6 fixed, 0 regressed"));
                assert!(count("**new** ") >= 1, "{text}");
            }
            "html" => {
                assert!(text.contains("6 new, 6 fixed, 0 regressed"));
                assert_eq!(count("<span class=\"chip status-new\">new</span>"), 6);
                assert!(text.contains("first seen 2026-11-30"));
            }
            "sarif" => {
                let v: Value = serde_json::from_str(&text).unwrap();
                let results = v["runs"][0]["results"].as_array().unwrap();
                let state = |s: &str| results.iter().filter(|r| r["baselineState"] == s).count();
                assert_eq!(state("new"), 6);
                assert_eq!(state("unchanged"), results.len() - 6);
                assert!(results
                    .iter()
                    .all(|r| r["properties"]["first_seen"].is_string()));
            }
            _ => {
                let v: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["history"]["new"], 6);
                assert_eq!(v["history"]["fixed"], 6);
            }
        }
    }
}

/// `trend --format emf`: CloudWatch Embedded Metric Format lines for the newest scan, checked
/// against the format's specification (every metric a directive names is a number at the root,
/// every dimension a string there, at most 30 dimensions and 100 metrics) and the values counted
/// by hand above.
#[test]
fn emf_lines_follow_the_specification() {
    let d = dir("emf");
    let (db, _) = three_days(&d);
    let o = rolecall(&["trend", "--history", &db, "--format", "emf"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let day3 = 1_797_228_000_000i64; // 2026-12-14T06:00:00Z
    let mut by_dim: std::collections::HashMap<String, Vec<&Value>> = Default::default();
    for l in &lines {
        let aws = &l["_aws"];
        assert!(aws["Timestamp"].as_i64().unwrap() == day3, "{l}");
        let directives = aws["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 1);
        let dir = &directives[0];
        assert_eq!(dir["Namespace"], "rolecall");
        let sets = dir["Dimensions"].as_array().unwrap();
        for set in sets {
            let set = set.as_array().unwrap();
            assert!(!set.is_empty() && set.len() <= 30);
            for k in set {
                let v = l[k.as_str().unwrap()].as_str().unwrap();
                assert!(!v.is_empty() && v.chars().count() <= 1024);
                by_dim
                    .entry(k.as_str().unwrap().to_string())
                    .or_default()
                    .push(l);
            }
        }
        let metrics = dir["Metrics"].as_array().unwrap();
        assert!(!metrics.is_empty() && metrics.len() <= 100);
        for m in metrics {
            let name = m["Name"].as_str().unwrap();
            assert!(l[name].is_number(), "{name} in {l}");
            assert!(matches!(
                m["Unit"].as_str().unwrap(),
                "Percent" | "Count" | "None"
            ));
        }
    }
    let whole = &by_dim["Source"];
    assert_eq!(whole.len(), 1);
    assert_eq!(whole[0]["Source"], "demo");
    assert!((whole[0]["UniqueRoleShare"].as_f64().unwrap() - 5700.0 / 60.0).abs() < 1e-9);
    assert!((whole[0]["BaselineCompliance"].as_f64().unwrap() - 5700.0 / 59.0).abs() < 1e-9);
    assert_eq!(whole[0]["DriftRate"], 0.0);
    assert!(
        whole[0].get("UnusedPermissions").is_none(),
        "not measured, not zero"
    );
    assert_eq!(by_dim["Account"].len(), 3);
    let teams = json_of(&rolecall(&[
        "trend",
        "--history",
        &db,
        "--by",
        "team",
        "--format",
        "json",
    ]))["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["scan_id"] == 3)
        .count();
    assert_eq!(by_dim["Team"].len(), teams);
    let open: f64 = by_dim["Team"]
        .iter()
        .map(|l| l["OpenFindings"].as_f64().unwrap())
        .sum();
    assert_eq!(open, whole[0]["OpenFindings"].as_f64().unwrap());
    let severities = &by_dim["Severity"];
    assert!(!severities.is_empty());
    assert!(severities
        .iter()
        .all(|l| l["RemediationDaysMedian"] == 7.0 && l["RemediationDaysP90"] == 7.0));
}

/// `baseline --template` then `lint --baseline`: drift is caught in the template before it
/// deploys, at the line of the policy that widened.
#[test]
fn lint_reports_drift_from_a_template_baseline() {
    let d = dir("lint-baseline");
    let tpl = d.join("template.yaml");
    let template = |extra: &str, boundary: bool, second_role: bool| {
        format!(
            r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: orders
      Runtime: python3.12
      Handler: app.handler
      Code: {{ZipFile: "def handler(e, c): pass"}}
      Role: !GetAtt Role.Arn
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: orders-role
{boundary}      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {{Service: lambda.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: app
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: arn:aws:s3:::orders-bucket/*
{extra}{second}"#,
            boundary = if boundary {
                "      PermissionsBoundary: arn:aws:iam::111111111111:policy/lambda-boundary\n"
            } else {
                ""
            },
            second = if second_role {
                r#"  Other:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: other
      Runtime: python3.12
      Handler: app.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: !GetAtt OtherRole.Arn
  OtherRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: other-role
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
"#
            } else {
                ""
            }
        )
    };
    std::fs::write(&tpl, template("", true, false)).unwrap();
    let baseline = d.join("baseline.json");
    let o = rolecall(&[
        "baseline",
        "--template",
        &tpl.to_string_lossy(),
        "--output",
        &baseline.to_string_lossy(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lint = || {
        json_of(&rolecall(&[
            "lint",
            &tpl.to_string_lossy(),
            "--baseline",
            &baseline.to_string_lossy(),
            "--format",
            "json",
        ]))
    };
    let drift = |v: &Value| -> Vec<(String, u64)> {
        let mut x: Vec<(String, u64)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"].as_str().unwrap().starts_with("LR80"))
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_string(),
                    f["location"]["line"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        x.sort();
        x
    };
    assert_eq!(drift(&lint()), [], "the template is its own baseline");
    // Widened: a second statement; the finding names what was added, at its line.
    let widen = "              - Effect: Allow\n                Action: dynamodb:*\n                Resource: \"*\"\n";
    std::fs::write(&tpl, template(widen, true, false)).unwrap();
    let v = lint();
    let found = drift(&v);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "LR801");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "LR801")
        .unwrap();
    assert!(
        f["title"].as_str().unwrap().contains("dynamodb")
            || f["evidence"].to_string().contains("dynamodb:"),
        "{f}"
    );
    // Boundary removed, and a role the baseline never saw.
    std::fs::write(&tpl, template("", false, true)).unwrap();
    let codes: Vec<String> = drift(&lint()).into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes, ["LR802", "LR803"]);
}

/// Scans killed at random moments while writing: the store still opens, passes SQLite's
/// integrity check, and every scan it holds is whole (its finding rows match its count).
#[test]
fn scans_killed_mid_write_leave_the_store_whole() {
    let d = dir("killed");
    let db = d.join("h.sqlite").to_string_lossy().into_owned();
    // A first scan, then runs killed after 0 to 600 ms.
    let o = rolecall(&["scan", "--demo", "--history", &db, "--format", "json"]);
    assert!(o.status.code().is_some_and(|c| c <= 1));
    for i in 0..8u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rolecall"))
            .args([
                "scan",
                "--demo",
                "--demo-day",
                if i % 2 == 0 { "2" } else { "3" },
                "--history",
                &db,
                "--format",
                "json",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(i * 75));
        let _ = child.kill();
        let _ = child.wait();
    }
    let c = store_check(&db);
    assert_eq!(c.0, "ok", "integrity_check");
    assert!(c.1 >= 1, "the first scan is kept");
    for (id, declared, rows) in c.2 {
        assert_eq!(declared, rows, "scan {id} is whole");
    }
    // And the store takes the next scan.
    let o = rolecall(&["scan", "--demo", "--history", &db, "--format", "json"]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
}

/// Reads the store with Python's sqlite3 module, a second SQLite reader besides rolecall: the
/// integrity check, and each scan's declared finding count against its finding rows.
fn store_check(db: &str) -> (String, i64, Vec<(i64, i64, i64)>) {
    let script = "import sqlite3, sys, json\n\
c = sqlite3.connect(sys.argv[1])\n\
ok = c.execute('PRAGMA integrity_check').fetchone()[0]\n\
rows = c.execute(\"SELECT s.id, s.findings, (SELECT count(*) FROM findings f WHERE f.scan_id = s.id AND f.status != 'suppressed') FROM scans s\").fetchall()\n\
print(json.dumps([ok, len(rows), rows]))\n";
    let py = std::env::var("ROLECALL_PYTHON").unwrap_or_else(|_| "python3".into());
    let o = Command::new(py).args(["-c", script, db]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    (
        v[0].as_str().unwrap().to_string(),
        v[1].as_i64().unwrap(),
        v[2].as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r[0].as_i64().unwrap(),
                    r[1].as_i64().unwrap(),
                    r[2].as_i64().unwrap(),
                )
            })
            .collect(),
    )
}
