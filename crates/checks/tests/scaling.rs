//! The algorithmic shape of a scan, not its speed: for each dimension an Organization grows in
//! (functions on one shared role, roles across many accounts, findings on one role, statements
//! in one huge policy), the scan of 4n is timed against the scan of n in the same process. A
//! linear or n log n scan takes about 4 times as long; a quadratic step takes about 16 times.
//! The test fails above 10: generous enough for a noisy machine (each size is the best of three
//! runs), tight enough that a loop over everything per item cannot hide. Absolute times are
//! printed, never asserted (BENCHMARKS.md has the numbers).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use chrono::NaiveDate;
use rolecall_catalog::catalog;
use rolecall_checks::{scan, Config};
use rolecall_inventory::{import::from_text, Inventory};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

const FACTOR: f64 = 10.0;

/// The tests of this file run one at a time: a timing measured while another test scans on the
/// same cores, or while the thread-count test has set ROLECALL_THREADS, would be noise.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The statements that trip many rules at once (as in scripts/gen-org).
fn risky() -> Vec<Value> {
    vec![
        json!({"Sid": "AllS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
        json!({"Sid": "Pass", "Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:UpdateFunctionCode"], "Resource": "*"}),
        json!({"Sid": "Secrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"], "Resource": "*"}),
        json!({"Sid": "NotIam", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}),
    ]
}

fn role(acct: &str, name: &str, statements: Vec<Value>) -> Value {
    json!({
        "arn": format!("arn:aws:iam::{acct}:role/{name}"), "name": name, "account": acct, "path": "/",
        "trust_policy": doc(vec![json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})]),
        "inline_policies": [{"name": "app", "document": doc(statements)}],
        "tags": {"team": "payments"},
    })
}

fn function(acct: &str, name: &str, role: &str, i: usize) -> Value {
    let region = ["us-east-1", "eu-west-1"][i % 2];
    let arn = format!("arn:aws:lambda:{region}:{acct}:function:{name}");
    let mut f = json!({"arn": arn, "name": name, "account": acct, "region": region,
                       "runtime": "python3.12", "role_arn": format!("arn:aws:iam::{acct}:role/{role}"),
                       "tags": {"team": "payments"}});
    if i.is_multiple_of(5) {
        f["resource_policy"] = doc(vec![
            json!({"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                                              "Action": "lambda:InvokeFunction", "Resource": arn}),
        ]);
    }
    f
}

fn inventory(accounts: Vec<String>, roles: Vec<Value>, functions: Vec<Value>) -> Inventory {
    let accounts: Vec<Value> = accounts
        .iter()
        .map(|a| json!({"id": a, "name": format!("acct-{a}")}))
        .collect();
    let inv = json!({
        "schema_version": 1, "source": "scaling", "collected_at": "2026-11-30T00:00:00Z",
        "accounts": accounts, "regions": ["us-east-1", "eu-west-1"],
        "functions": functions, "roles": roles, "coverage": [],
    });
    from_text(Path::new("scaling.json"), &inv.to_string()).unwrap()
}

fn acct(i: usize) -> String {
    format!("{:012}", 100_000_000_000usize + i)
}

/// One role with risky statements, `n` functions on it.
fn functions_on_one_role(n: usize) -> Inventory {
    let a = acct(0);
    let fs = (0..n)
        .map(|i| function(&a, &format!("fn{i}"), "shared", i))
        .collect();
    inventory(vec![a.clone()], vec![role(&a, "shared", risky())], fs)
}

/// `n` accounts with two roles (one risky) and two functions each.
fn many_accounts(n: usize) -> Inventory {
    let mut roles = Vec::new();
    let mut fs = Vec::new();
    let accounts: Vec<String> = (0..n).map(acct).collect();
    for (k, a) in accounts.iter().enumerate() {
        roles.push(role(a, "risky", risky()));
        roles.push(role(
            a,
            "scoped",
            vec![json!({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": format!("arn:aws:dynamodb:us-east-1:{a}:table/t{k}")})],
        ));
        fs.push(function(a, "a", "risky", k));
        fs.push(function(a, "b", "scoped", k + 1));
    }
    inventory(accounts, roles, fs)
}

/// One role whose `n` statements each grant a NotAction (one LR104 finding apiece) and a
/// service wildcard, with a handful of functions.
fn findings_on_one_role(n: usize) -> Inventory {
    let a = acct(0);
    let services = [
        "s3", "dynamodb", "sqs", "sns", "kinesis", "ec2", "rds", "glue",
    ];
    let stmts = (0..n)
        .map(|i| {
            json!({"Sid": format!("S{i}"), "Effect": "Allow",
                   "NotAction": [format!("{}:*", services[i % services.len()]), format!("iam:Get{i}")],
                   "Resource": "*"})
        })
        .collect();
    let fs = (0..4)
        .map(|i| function(&a, &format!("fn{i}"), "wide", i))
        .collect();
    inventory(vec![a.clone()], vec![role(&a, "wide", stmts)], fs)
}

/// One role with one huge policy: `n` scoped statements on distinct resources.
fn huge_policy(n: usize) -> Inventory {
    let a = acct(0);
    let stmts = (0..n)
        .map(|i| {
            json!({"Sid": format!("T{i}"), "Effect": "Allow",
                   "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "s3:GetObject"],
                   "Resource": [format!("arn:aws:dynamodb:us-east-1:{a}:table/t{i}"), format!("arn:aws:s3:::bucket-{i}/*")]})
        })
        .collect();
    inventory(
        vec![a.clone()],
        vec![role(&a, "big", stmts)],
        vec![function(&a, "fn", "big", 1)],
    )
}

fn best_of_three(inv: &Inventory) -> (Duration, usize) {
    let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let mut best = Duration::MAX;
    let mut findings = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let r = scan(inv, catalog(), &Config::default(), day);
        best = best.min(t.elapsed());
        findings = r.findings.len();
    }
    (best, findings)
}

/// `more_findings`: the larger shape must find more (so the shape exercises the rules' output).
fn check_shape(what: &str, n: usize, make: fn(usize) -> Inventory, more_findings: bool) {
    let _one_at_a_time = serial();
    let small = make(n);
    let large = make(4 * n);
    // Warm the catalogue and the allocator before timing.
    let _ = best_of_three(&make(n / 4 + 1));
    let (t1, f1) = best_of_three(&small);
    let (t4, f4) = best_of_three(&large);
    let ratio = t4.as_secs_f64() / t1.as_secs_f64().max(1e-6);
    eprintln!(
        "{what}: n={n}: {:.1} ms ({f1} findings), 4n: {:.1} ms ({f4} findings), ratio {ratio:.1}",
        t1.as_secs_f64() * 1e3,
        t4.as_secs_f64() * 1e3
    );
    assert!(
        !more_findings || f4 > f1,
        "{what}: the larger shape must produce more findings ({f1} then {f4}), or it tests nothing"
    );
    assert!(
        ratio < FACTOR,
        "{what}: scanning 4n took {ratio:.1} times as long as n (linear is about 4, quadratic 16)"
    );
}

#[test]
fn functions_per_role_scale_linearly() {
    check_shape("functions on one role", 1000, functions_on_one_role, true);
}

#[test]
fn accounts_scale_linearly() {
    check_shape("accounts", 150, many_accounts, true);
}

#[test]
fn findings_per_role_scale_linearly() {
    check_shape("findings on one role", 100, findings_on_one_role, true);
}

#[test]
fn huge_policies_scale_linearly() {
    check_shape("statements in one policy", 150, huge_policy, false);
}

/// The scan splits roles over threads in blocks; the result must not depend on how many.
#[test]
fn the_result_is_the_same_on_one_thread_and_on_many() {
    let _one_at_a_time = serial();
    let inv = many_accounts(120); // 240 roles: several blocks of 64
    let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let run = |threads: &str| {
        // Read by each scan when it starts; the other tests of this binary wait (`serial`).
        std::env::set_var("ROLECALL_THREADS", threads);
        let r = scan(&inv, catalog(), &Config::default(), day);
        std::env::remove_var("ROLECALL_THREADS");
        serde_json::to_string(&r).unwrap()
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("5"));
}

/// The JSON report's parallel writer gives serde_json's pretty bytes exactly: arrays of more
/// elements than one round (4,096 findings), a shell with history left out, empty arrays.
#[test]
fn the_parallel_json_writer_writes_what_serde_json_writes() {
    let _one_at_a_time = serial();
    let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let mut r = scan(&many_accounts(450), catalog(), &Config::default(), day);
    assert!(r.findings.len() > 4096, "{} findings", r.findings.len());
    let check = |r: &rolecall_checks::ScanResult| {
        let mut ours = Vec::new();
        rolecall_checks::json::write_pretty(&mut ours, r).unwrap();
        let theirs = serde_json::to_vec_pretty(r).unwrap();
        assert!(
            ours == theirs,
            "the parallel writer differs from serde_json"
        );
    };
    check(&r);
    r.findings.truncate(1);
    r.roles.clear();
    r.suppressed.clear();
    check(&r);
}
