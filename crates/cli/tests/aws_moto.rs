//! The collector and the scan against moto server (started by scripts/test, which exports
//! ROLECALL_MOTO_ENDPOINT and ROLECALL_PYTHON), through the real AWS SDK.
//!
//! The Organization is seeded by crates/collect/tests/moto_seed.py. moto does not enforce trust
//! policies (and its IAM enforcement breaks REST services' signatures), so
//! crates/collect/tests/deny_proxy.py stands in front of it and refuses AssumeRole into the `broken`
//! account with AWS's own AccessDenied response; every other call is moto's answer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

fn env_or_fail(key: &str) -> Option<String> {
    match std::env::var(key) {
        Ok(v) => Some(v),
        Err(_) if std::env::var_os("ROLECALL_SKIP_AWS_TESTS").is_some() => None,
        Err(_) => panic!("{key} is not set: run the suite with scripts/test (it starts moto), or set ROLECALL_SKIP_AWS_TESTS=1 to skip the AWS tests"),
    }
}

fn collect_tests() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../collect/tests")
}

struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn rolecall(args: &[&str], seed: &Value) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(args)
        .env("AWS_ACCESS_KEY_ID", seed["access_key_id"].as_str().unwrap())
        .env(
            "AWS_SECRET_ACCESS_KEY",
            seed["secret_access_key"].as_str().unwrap(),
        )
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap()
}

/// The tests share one moto server: one at a time.
static MOTO: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn collect_and_scan_an_organization_in_moto() {
    let _one = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let (Some(endpoint), Some(python)) = (
        env_or_fail("ROLECALL_MOTO_ENDPOINT"),
        env_or_fail("ROLECALL_PYTHON"),
    ) else {
        return;
    };
    let seeded = Command::new(&python)
        .arg(collect_tests().join("moto_seed.py"))
        .arg(&endpoint)
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "seeding moto failed: {}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let seed: Value = serde_json::from_slice(&seeded.stdout).unwrap();
    let broken = seed["broken"].as_str().unwrap();
    let workloads = seed["workloads"].as_str().unwrap();

    let port = free_port();
    let mut child = Command::new(&python)
        .arg(collect_tests().join("deny_proxy.py"))
        .args([&port.to_string(), &endpoint, broken])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    let _proxy = Proxy(child);
    let via = format!("http://127.0.0.1:{port}");

    let dir = std::env::temp_dir().join(format!("rolecall-moto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snap = dir.join("snapshot.json");
    let history = dir.join("history.sqlite");
    let _ = std::fs::remove_file(&history);
    let out = rolecall(
        &[
            "collect",
            "--org",
            "--regions",
            "us-east-1,eu-west-1",
            "--endpoint-url",
            &via,
            "--output",
            snap.to_str().unwrap(),
            "--history",
            history.to_str().unwrap(),
            "--stats",
            "--quiet",
        ],
        &seed,
    );
    // One account cannot be read: partial coverage is exit 2, after the snapshot is written.
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("coverage is incomplete") && stderr.contains("--allow-partial"),
        "{stderr}"
    );
    assert!(snap.exists(), "the snapshot is written before the exit");
    let inv: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    assert_eq!(inv["schema_version"], 1);
    assert_eq!(inv["source"], "aws");

    // Three accounts; the one whose role cannot be assumed is a coverage gap, not a crash.
    let accounts: Vec<&str> = inv["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(accounts.len(), 3, "{accounts:?}");
    let gaps = inv["coverage"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0]["account"], broken);
    assert_eq!(gaps[0]["api"], "sts:AssumeRole");
    assert!(gaps[0]["error"].as_str().unwrap().contains("AccessDenied"));
    // The collection is in the history, partial, the unread account named.
    let o = rolecall(
        &[
            "history",
            "--history",
            history.to_str().unwrap(),
            "--format",
            "json",
        ],
        &seed,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let scans: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(scans.as_array().unwrap().len(), 1, "{scans}");
    assert_eq!(scans[0]["source"], "aws");
    assert_eq!(scans[0]["complete"], false);
    assert_eq!(scans[0]["coverage_gaps"], 1);
    assert_eq!(scans[0]["unread_accounts"], serde_json::json!([broken]));
    assert!(scans[0]["findings"].as_i64().unwrap() > 0);
    assert_eq!(scans[0]["new"], scans[0]["findings"]);

    // Functions in two regions, with their exposure and triggers.
    let functions = inv["functions"].as_array().unwrap();
    let f = |name: &str| {
        functions
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no function {name}"))
    };
    assert_eq!(functions.len(), 5);
    assert_eq!(f("worker-c")["region"], "eu-west-1");
    assert_eq!(f("public-api")["region"], "us-east-1");
    assert!(functions.iter().all(|x| x["account"] == workloads));
    assert_eq!(f("public-api")["url"]["auth_type"], "NONE");
    assert_eq!(f("public-api")["tags"]["data-sensitivity"], "confidential");
    let policy: Value =
        serde_json::from_str(f("open-invoke")["resource_policy"].as_str().unwrap()).unwrap();
    let principal = &policy["Statement"][0]["Principal"];
    assert!(principal == "*" || principal["AWS"] == "*", "{policy}");
    assert_eq!(f("worker-a")["triggers"][0]["kind"], "sqs");
    assert_eq!(
        f("worker-a")["triggers"][0]["source_arn"],
        seed["queue_arn"]
    );
    let apigw = &f("public-api")["triggers"][0];
    assert_eq!(apigw["kind"], "apigateway-rest");
    assert!(apigw["source_arn"]
        .as_str()
        .unwrap()
        .contains(seed["rest_api"].as_str().unwrap()));
    let shared: Vec<_> = functions
        .iter()
        .filter(|x| {
            x["role_arn"]
                .as_str()
                .unwrap()
                .ends_with("role/shared-worker-role")
        })
        .collect();
    assert_eq!(shared.len(), 3);

    // Roles with their policies; SCPs on the member's path (root, OU, account), none on the management account.
    let roles = inv["roles"].as_array().unwrap();
    let web = roles
        .iter()
        .find(|r| r["name"] == "lambda-web-public-api-role")
        .unwrap();
    assert!(web["permissions_boundary_arn"]
        .as_str()
        .unwrap()
        .ends_with(":policy/lambda-boundary"));
    assert!(web["managed_policy_arns"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a.as_str().unwrap().ends_with("AWSLambdaBasicExecutionRole")));
    let acct = |id: &str| {
        inv["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap()
            .clone()
    };
    let levels = acct(workloads)["scp_levels"].as_array().unwrap().clone();
    assert_eq!(levels.len(), 3);
    assert_eq!(levels[0]["target"], seed["root"]);
    assert_eq!(levels[1]["target"], seed["prod_ou"]);
    assert!(levels[1]["policies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "prod-guardrails"));
    assert!(acct("123456789012")
        .get("scp_levels")
        .is_none_or(|l| l.as_array().unwrap().is_empty()));
    // RCPs likewise, read with the RESOURCE_CONTROL_POLICY filter; none on the management account.
    let rcps = acct(workloads)["rcp_levels"].as_array().unwrap().clone();
    assert_eq!(rcps.len(), 3);
    assert!(rcps[1]["policies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "prod-data-perimeter"));
    assert!(!levels[1]["policies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "prod-data-perimeter"));
    assert!(acct("123456789012").get("rcp_levels").is_none());
    assert!(inv["organization"]["id"]
        .as_str()
        .unwrap()
        .starts_with("o-"));

    // Every API call the collector made is one it declares (and the read-only policy grants).
    let declared: Vec<String> = rolecall_collect::OPERATIONS
        .iter()
        .map(|(s, o, _, _)| format!("{s}:{o}"))
        .collect();
    let mut seen = 0;
    for line in stderr.lines().filter(|l| l.starts_with("  ")) {
        // "  API Gateway:GetRestApis      4      4": the operation, then calls and attempts
        let toks: Vec<&str> = line.split_whitespace().collect();
        let op = toks[..toks.len() - 2].join(" ");
        let (svc, name) = op.rsplit_once(':').unwrap();
        let svc: String = svc
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let key = format!("{svc}:{name}");
        assert!(
            declared.iter().any(|d| d.eq_ignore_ascii_case(&key)),
            "undeclared operation {key} (from {line:?})"
        );
        seen += 1;
    }
    assert!(seen >= 10, "stats listed {seen} operations:\n{stderr}");
    // At most two calls per function (URL configuration, resource policy).
    let per_function = |op: &str| {
        stderr
            .lines()
            .find(|l| l.contains(op))
            .and_then(|l| l.split_whitespace().rev().nth(1))
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    assert_eq!(per_function("Lambda:GetFunctionUrlConfig"), 5);
    assert_eq!(per_function("Lambda:GetPolicy"), 5);

    // The scan of the snapshot, and a live scan: findings and the coverage gap.
    for args in [
        vec![
            "scan",
            "--input",
            snap.to_str().unwrap(),
            "--format",
            "json",
        ],
        vec![
            "scan",
            "--org",
            "--regions",
            "us-east-1,eu-west-1",
            "--endpoint-url",
            &via,
            "--format",
            "json",
            "--quiet",
        ],
    ] {
        // Without --allow-partial: the report is written, then exit 2.
        let out = rolecall(&args, &seed);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["coverage"]["complete"], false);
        let mut args = args.clone();
        args.push("--allow-partial");
        let out = rolecall(&args, &seed);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["coverage"]["complete"], false);
        assert_eq!(r["coverage"]["accounts_failed"], 1);
        let has =
            |code: &str, res: &str| {
                r["findings"].as_array().unwrap().iter().any(|x| {
                    x["code"] == code && x["resource_arn"].as_str().unwrap().ends_with(res)
                })
            };
        assert!(has("LR501", "function:public-api"));
        assert!(has("LR502", "function:open-invoke"));
        assert!(has("LR301", "role/shared-worker-role"));
        assert!(has("LR102", "role/shared-worker-role"));
        // secretsmanager:GetSecretValue on * is cut by the role's boundary (s3, sqs, logs only)
        assert!(
            !has("LR204", "role/lambda-web-public-api-role"),
            "the boundary decides"
        );
        assert!(
            has("LR305", "role/lambda-web-public-api-role"),
            "the boundary allows s3:DeleteBucket"
        );
        assert!(
            !r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["resource_arn"]
                    .as_str()
                    .unwrap()
                    .ends_with("role/OrganizationAccountAccessRole")),
            "not an execution role"
        );
        let top = &r["functions"][0];
        assert!(top["risk"]["score"].as_u64().unwrap() > 0);
    }
}

/// A one-shot HTTP listener standing in for a Slack incoming webhook: returns the body of the
/// first request.
fn slack_listener() -> (u16, std::thread::JoinHandle<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s.read(&mut chunk).unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let len = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    s.write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .unwrap();
                    return text[end + 4..].to_string();
                }
            }
            if n == 0 {
                return String::new();
            }
        }
    });
    (port, handle)
}

#[test]
fn publish_to_security_hub_s3_sns_and_slack() {
    let _one = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let (Some(endpoint), Some(python)) = (
        env_or_fail("ROLECALL_MOTO_ENDPOINT"),
        env_or_fail("ROLECALL_PYTHON"),
    ) else {
        return;
    };
    let helper = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/moto_publish.py");
    let setup = Command::new(&python)
        .arg(&helper)
        .args([&endpoint, "setup"])
        .output()
        .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let env: Value = serde_json::from_slice(&setup.stdout).unwrap();
    let creds = serde_json::json!({"access_key_id": "testing", "secret_access_key": "testing"});
    let dir = std::env::temp_dir().join(format!("rolecall-publish-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let local = dir.join("report.json");
    let (port, slack) = slack_listener();
    let hook = format!("slack=http://127.0.0.1:{port}/services/T000/B000/XXX");
    let sns = format!("sns={}", env["topic"].as_str().unwrap());
    // The demo Organization as a snapshot: `--demo` itself never publishes.
    let demo = local.with_file_name("demo-snapshot.json");
    rolecall_inventory::demo::demo_inventory()
        .write_snapshot(&demo)
        .unwrap();
    let refused = rolecall(
        &[
            "scan",
            "--demo",
            "--security-hub",
            "--endpoint-url",
            &endpoint,
        ],
        &creds,
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--demo never publishes"));
    let out = rolecall(
        &[
            "scan",
            "--input",
            demo.to_str().unwrap(),
            "--format",
            "json",
            "--output",
            local.to_str().unwrap(),
            "--format",
            "html",
            "--output",
            "s3://rolecall-reports/audits/lambda/",
            "--security-hub",
            "--notify",
            &hook,
            "--notify",
            &sns,
            "--endpoint-url",
            &endpoint,
        ],
        &creds,
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&local).unwrap()).unwrap();
    let total = report["findings"].as_array().unwrap().len();
    let body = slack.join().unwrap();
    let slack_msg: Value = serde_json::from_str(&body).unwrap();
    let text = slack_msg["text"].as_str().unwrap();
    assert!(
        text.contains("new critical") && text.contains("Team data-platform"),
        "{text}"
    );
    let check = |python: &str| -> Value {
        let o = Command::new(python)
            .arg(&helper)
            .args([&endpoint, "check"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let got = check(&python);
    assert_eq!(
        got["keys"],
        serde_json::json!(["audits/lambda/2026/11/30/rolecall.html"]),
        "{stderr}"
    );
    assert!(
        got["messages"][0]
            .as_str()
            .unwrap()
            .contains("new critical"),
        "{:?}",
        got["messages"]
    );
    let findings = got["findings"].as_array().unwrap();
    assert_eq!(
        findings.len(),
        total,
        "one Security Hub finding per rolecall finding"
    );
    assert!(findings.iter().all(|f| f["RecordState"] == "ACTIVE"));

    // A re-run in which one finding is gone (suppressed): the same ids are updated, the missing one
    // is resolved and archived.
    let cfg = dir.join("rolecall.toml");
    std::fs::write(&cfg, "[[suppressions]]\nrule = \"LR101\"\nresource = \"arn:aws:iam::222222222222:role/legacy-etl-runner-role\"\nreason = \"replaced in INC-1\"\n").unwrap();
    let out = rolecall(
        &[
            "scan",
            "--input",
            demo.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
            "--security-hub",
            "--endpoint-url",
            &endpoint,
            "--format",
            "json",
            "--output",
            dir.join("second.json").to_str().unwrap(),
        ],
        &creds,
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("1 resolved"), "{stderr}");
    let got = check(&python);
    let findings = got["findings"].as_array().unwrap();
    assert_eq!(findings.len(), total, "updated in place, not duplicated");
    let archived: Vec<_> = findings
        .iter()
        .filter(|f| f["RecordState"] == "ARCHIVED")
        .collect();
    assert_eq!(archived.len(), 1);
    assert_eq!(archived[0]["GeneratorId"], "LR101");
    assert_eq!(archived[0]["Workflow"], "RESOLVED");

    // The history exported to S3 as Parquet, twice: the same keys, replaced, not duplicated.
    let history = dir.join("history.sqlite");
    let _ = std::fs::remove_file(&history);
    let out = rolecall(
        &[
            "scan",
            "--input",
            demo.to_str().unwrap(),
            "--history",
            history.to_str().unwrap(),
            "--format",
            "json",
        ],
        &creds,
    );
    assert!(out.status.code().is_some_and(|c| c <= 1));
    let lake = |python: &str| -> Vec<String> {
        check(python)["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|k| {
                k.as_str()
                    .filter(|k| k.starts_with("lake/"))
                    .map(String::from)
            })
            .collect()
    };
    let mut exported = Vec::new();
    for _ in 0..2 {
        let out = rolecall(
            &[
                "export",
                "--history",
                history.to_str().unwrap(),
                "--output",
                "s3://rolecall-reports/lake",
                "--endpoint-url",
                &endpoint,
            ],
            &creds,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        exported.push(lake(&python));
    }
    assert_eq!(exported[0], exported[1], "re-export replaces");
    let keys = &exported[0];
    assert!(keys.contains(&"lake/table=scans/dt=2026-11-30/scan-1.parquet".to_string()));
    assert!(keys.contains(&"lake/table=metrics/dt=2026-11-30/scan-1.parquet".to_string()));
    assert!(keys.contains(&"lake/table=finding_state/state.parquet".to_string()));
    assert_eq!(
        keys.iter()
            .filter(|k| k.starts_with("lake/table=findings/dt=2026-11-30/account="))
            .count(),
        3,
        "one file per account of the demo: {keys:?}"
    );

    // A failed publish: the local report is still written, and the exit code is 2.
    let local2 = dir.join("kept.json");
    let out = rolecall(
        &[
            "scan",
            "--input",
            demo.to_str().unwrap(),
            "--format",
            "json",
            "--output",
            local2.to_str().unwrap(),
            "--format",
            "csv",
            "--output",
            "s3://no-such-bucket/x/",
            "--endpoint-url",
            &endpoint,
        ],
        &creds,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-bucket"));
    assert!(
        local2.exists(),
        "the local report was written before publishing"
    );
}

#[test]
fn usage_reads_cloudtrail_logs_from_s3() {
    let _one = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let (Some(endpoint), Some(python)) = (
        env_or_fail("ROLECALL_MOTO_ENDPOINT"),
        env_or_fail("ROLECALL_PYTHON"),
    ) else {
        return;
    };
    let helper = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/moto_publish.py");
    let setup = Command::new(&python)
        .arg(&helper)
        .args([&endpoint, "logs"])
        .output()
        .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let creds = serde_json::json!({"access_key_id": "testing", "secret_access_key": "testing"});
    let out = rolecall(
        &[
            "usage",
            "cloudtrail=s3://org-cloudtrail-logs/AWSLogs/",
            "--until",
            "2026-11-30",
            "--format",
            "json",
            "--endpoint-url",
            &endpoint,
        ],
        &creds,
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // The truncated file is an error (exit 2) that names it; what was read is still printed.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("usage: 2 file(s), 2 event(s), 2 attributed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 unreadable file(s)") && stderr.contains("_b.json.gz"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["usage"]["roles"]["arn:aws:iam::111111111111:role/lambda-orders-role"]["actions"]
            ["sqs:SendMessage"]["count"],
        2
    );
    assert_eq!(v["stats"]["bad_files"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["usage"]["sources"][0],
        "cloudtrail:s3://org-cloudtrail-logs/AWSLogs/"
    );
}

/// Seeds moto and starts deny_proxy.py in front of it with these faults; returns the seed, the
/// proxy's URL and the proxy (killed when dropped).
fn seeded_proxy(
    endpoint: &str,
    python: &str,
    faults: impl Fn(&Value) -> Vec<String>,
) -> (Value, String, Proxy) {
    let seeded = Command::new(python)
        .arg(collect_tests().join("moto_seed.py"))
        .arg(endpoint)
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let seed: Value = serde_json::from_slice(&seeded.stdout).unwrap();
    let port = free_port();
    let mut child = Command::new(python)
        .arg(collect_tests().join("deny_proxy.py"))
        .args([
            &port.to_string(),
            endpoint,
            seed["broken"].as_str().unwrap(),
        ])
        .args(faults(&seed))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    (seed, format!("http://127.0.0.1:{port}"), Proxy(child))
}

/// Runs rolecall, killing it if it has not finished after `limit`: a hang fails the test
/// instead of hanging the suite.
fn rolecall_within(args: &[&str], seed: &Value, limit: std::time::Duration) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rolecall"));
    cmd.args(args)
        .env("AWS_ACCESS_KEY_ID", seed["access_key_id"].as_str().unwrap())
        .env(
            "AWS_SECRET_ACCESS_KEY",
            seed["secret_access_key"].as_str().unwrap(),
        )
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "rolecall {args:?} did not finish within {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn faults_become_coverage_gaps_and_the_rest_is_kept() {
    let _one = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let (Some(endpoint), Some(python)) = (
        env_or_fail("ROLECALL_MOTO_ENDPOINT"),
        env_or_fail("ROLECALL_PYTHON"),
    ) else {
        return;
    };
    // Faults on the seeded Organization (ids are new at every seed).
    let (seed, via, _proxy) = seeded_proxy(&endpoint, &python, |seed| {
        vec![
            format!("listparents={}", seed["broken"].as_str().unwrap()),
            format!("describepolicy={}", seed["scp"].as_str().unwrap()),
            "page2=us-east-1".into(),
            "stall=eu-west-1".into(),
        ]
    });
    let workloads = seed["workloads"].as_str().unwrap();
    let dir = std::env::temp_dir().join(format!("rolecall-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snap = dir.join("snapshot.json");
    let out = rolecall_within(
        &[
            "collect",
            "--org",
            "--regions",
            "us-east-1,eu-west-1",
            "--endpoint-url",
            &via,
            // Long enough for a slow moto on a loaded 2-core runner to answer every real call
            // (CI once timed out IAM at 4 s), short enough that the stalled region ends soon.
            "--timeout",
            "20",
            "--output",
            snap.to_str().unwrap(),
            "--quiet",
        ],
        &seed,
        std::time::Duration::from_secs(240),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "partial coverage is exit 2: {stderr}"
    );
    let inv: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    let gaps = inv["coverage"].as_array().unwrap();
    let gap = |account: &str, api: &str, region: Option<&str>, text: &str| {
        gaps.iter().any(|g| {
            g["account"] == account
                && g["api"] == api
                && g["region"].as_str() == region
                && g["error"].as_str().unwrap_or("").contains(text)
        })
    };
    // ListParents of one account, DescribePolicy of the SCP over another: each is that account's
    // gap, and no account is dropped.
    let broken = seed["broken"].as_str().unwrap();
    let org_gap = |account: &str, text: &str| {
        gaps.iter().any(|g| {
            g["account"] == account
                && g["api"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("organizations:")
                && g["error"].as_str().unwrap_or("").contains(text)
        })
    };
    assert!(org_gap(broken, "ListParents"), "{gaps:#?}");
    assert!(org_gap(workloads, "DescribePolicy"), "{gaps:#?}");
    let accounts: Vec<&str> = inv["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(accounts.len(), 3, "no account is dropped: {accounts:?}");
    // Page 2 of ListFunctions failed: page 1's function is kept, and the gap says so.
    assert!(
        gap(
            workloads,
            "lambda:ListFunctions",
            Some("us-east-1"),
            "page 2"
        ),
        "{gaps:#?}"
    );
    let fns_us: Vec<&str> = inv["functions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["account"] == workloads && f["region"] == "us-east-1")
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(fns_us.len(), 1, "page 1 kept: {fns_us:?}");
    // The stalled region ended within the timeout, as a gap; IAM and the other region are intact.
    assert!(
        gap(workloads, "lambda:ListFunctions", Some("eu-west-1"), ""),
        "{gaps:#?}"
    );
    assert!(
        inv["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["account"] == workloads),
        "IAM of the workloads account is intact: {gaps:#?}"
    );

    // A scan of the snapshot says the same, exits 2, and --allow-partial lets --fail-on decide.
    let out = rolecall_within(
        &[
            "scan",
            "--input",
            snap.to_str().unwrap(),
            "--format",
            "json",
        ],
        &seed,
        std::time::Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(2));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["coverage"]["complete"], false);
    let out = rolecall_within(
        &[
            "scan",
            "--input",
            snap.to_str().unwrap(),
            "--format",
            "json",
            "--allow-partial",
            "--fail-on",
            "critical",
        ],
        &seed,
        std::time::Duration::from_secs(60),
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn throttled_calls_are_retried_to_a_complete_collection() {
    let _one = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let (Some(endpoint), Some(python)) = (
        env_or_fail("ROLECALL_MOTO_ENDPOINT"),
        env_or_fail("ROLECALL_PYTHON"),
    ) else {
        return;
    };
    // One call in ten answers a bare HTTP 429: retried as throttling, nothing is lost.
    let (seed, via, _proxy) = seeded_proxy(&endpoint, &python, |_| vec!["throttle=0.1".into()]);
    let dir = std::env::temp_dir().join(format!("rolecall-throttle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snap = dir.join("snapshot.json");
    let out = rolecall_within(
        &[
            "collect",
            "--accounts",
            seed["management"].as_str().unwrap(),
            "--regions",
            "us-east-1,eu-west-1",
            "--endpoint-url",
            &via,
            "--output",
            snap.to_str().unwrap(),
            "--stats",
            "--quiet",
        ],
        &seed,
        std::time::Duration::from_secs(240),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let retries: u64 = stderr
        .lines()
        .find_map(|l| l.split(" calls, ").nth(1)?.split(' ').next()?.parse().ok())
        .unwrap();
    assert!(retries > 0, "throttled calls were retried: {stderr}");
    let inv: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    assert_eq!(
        inv["coverage"].as_array().unwrap().len(),
        0,
        "{}",
        inv["coverage"]
    );
}

/// `--usage athena=DATABASE.TABLE`: one aggregating query through the SDK against moto's Athena,
/// whose results are queued through moto's API in the shape Athena returns them (the first row
/// repeats the column names); the rows go through the same mapping and coverage as log files.
#[test]
fn usage_reads_an_athena_aggregate_of_the_trail() {
    let _one = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let (Some(endpoint), Some(python)) = (
        env_or_fail("ROLECALL_MOTO_ENDPOINT"),
        env_or_fail("ROLECALL_PYTHON"),
    ) else {
        return;
    };
    let cols = [
        "account",
        "region",
        "day",
        "category",
        "source",
        "name",
        "error",
        "identity_type",
        "role",
        "principal",
        "invoked_by",
        "resources",
        "params",
        "last_seen",
        "calls",
    ];
    let role = "arn:aws:iam::111111111111:role/orders-fn-role";
    let principal = "arn:aws:sts::111111111111:assumed-role/orders-fn-role/orders-fn";
    let row = |vals: [Option<&str>; 15]| {
        serde_json::json!({"Data": vals.iter().map(|v| match v {
            Some(x) => serde_json::json!({"VarCharValue": x}),
            None => serde_json::json!({}),
        }).collect::<Vec<_>>()})
    };
    let header = row(cols.map(Some));
    let obj = r#"[{"ARN":"arn:aws:s3:::orders/2026/a.json","type":"AWS::S3::Object"},{"ARN":"arn:aws:s3:::orders","type":"AWS::S3::Bucket"}]"#;
    let list = r#"[{"ARN":"arn:aws:s3:::orders","type":"AWS::S3::Bucket"}]"#;
    let rows = vec![
        header,
        row([
            Some("111111111111"),
            Some("us-east-1"),
            Some("2026-11-20"),
            Some("Data"),
            Some("s3.amazonaws.com"),
            Some("GetObject"),
            None,
            Some("AssumedRole"),
            Some(role),
            Some(principal),
            None,
            Some(obj),
            Some(r#"{"bucketName":"orders","key":"2026/a.json"}"#),
            Some("2026-11-20 10:00:00.000"),
            Some("41"),
        ]),
        row([
            Some("111111111111"),
            Some("us-east-1"),
            Some("2026-11-20"),
            Some("Data"),
            Some("s3.amazonaws.com"),
            Some("ListObjects"),
            None,
            Some("AssumedRole"),
            Some(role),
            Some(principal),
            None,
            Some(list),
            Some(r#"{"bucketName":"orders","prefix":"2026/"}"#),
            Some("2026-11-20 10:00:01.000"),
            Some("3"),
        ]),
        row([
            Some("111111111111"),
            Some("us-east-1"),
            Some("2026-11-21"),
            Some("Management"),
            Some("kms.amazonaws.com"),
            Some("Decrypt"),
            Some("AccessDenied"),
            Some("AssumedRole"),
            Some(role),
            Some(principal),
            None,
            None,
            Some("{}"),
            Some("2026-11-21 08:00:00.000"),
            Some("2"),
        ]),
        row([
            Some("111111111111"),
            Some("eu-west-1"),
            Some("2026-11-22"),
            Some("Management"),
            Some("iam.amazonaws.com"),
            Some("ListRoles"),
            None,
            Some("IAMUser"),
            None,
            None,
            None,
            None,
            None,
            Some("2026-11-22 09:00:00.000"),
            Some("7"),
        ]),
    ];
    let seed = serde_json::json!({"account_id": "123456789012", "region": "us-east-1", "results": [{"rows": rows, "column_info": cols.iter().map(|c| serde_json::json!({"Name": c, "Type": "varchar"})).collect::<Vec<_>>()}]});
    let http = Command::new(&python)
        .args([
            "-c",
            "import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method='POST'))",
            &format!("{endpoint}/moto-api/static/athena/query-results"),
            &seed.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        http.status.success(),
        "{}",
        String::from_utf8_lossy(&http.stderr)
    );
    let creds = serde_json::json!({"access_key_id": "testing", "secret_access_key": "testing"});
    let out = rolecall(
        &[
            "usage",
            "athena=cloudtrail.org_trail",
            "--athena-workgroup",
            "primary",
            "--athena-output",
            "s3://athena-results/rolecall/",
            "--until",
            "2026-11-30",
            "--usage-window",
            "30",
            "--format",
            "json",
            "--endpoint-url",
            &endpoint,
        ],
        &creds,
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Athena returned 4 aggregated row(s)"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["usage"]["roles"][role];
    assert_eq!(r["actions"]["s3:GetObject"]["count"], 41, "{v:#}");
    assert_eq!(
        r["actions"]["s3:GetObject"]["resources"],
        serde_json::json!(["arn:aws:s3:::orders/2026/a.json"])
    );
    assert_eq!(
        r["actions"]["s3:GetObject"]["last_seen"],
        "2026-11-20T10:00:00Z"
    );
    assert_eq!(
        r["actions"]["s3:ListBucket"]["prefixes"],
        serde_json::json!(["2026/"])
    );
    assert_eq!(r["denied"]["kms:Decrypt"], 2);
    assert_eq!(r["functions"], serde_json::json!(["orders-fn"]));
    let cov = &v["usage"]["coverage"]["accounts"]["111111111111"];
    assert_eq!(
        cov["days"],
        serde_json::json!(["2026-11-20", "2026-11-21", "2026-11-22"])
    );
    assert_eq!(
        cov["regions"],
        serde_json::json!(["eu-west-1", "us-east-1"])
    );
    assert_eq!(cov["data_events"], serde_json::json!(["s3"]));
    assert_eq!(v["stats"]["events"], 53);
    assert_eq!(v["usage"]["sources"][0], "athena:cloudtrail.org_trail");
    // A name that would be spliced into the SQL is refused before any call.
    let out = rolecall(
        &["usage", "athena=db.t\"x", "--endpoint-url", &endpoint],
        &creds,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("letters, digits"));
}
