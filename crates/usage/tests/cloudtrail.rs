//! A generated CloudTrail corpus with known use, bad files and events that are not use.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use flate2::write::GzEncoder;
use rolecall_catalog::catalog;
use rolecall_usage::{action_of, Reader};
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;

const ROLE: &str = "arn:aws:iam::111111111111:role/service/lambda-orders-role";

fn event(source: &str, name: &str, time: &str, function: &str, resources: &[&str]) -> Value {
    json!({
        "eventVersion": "1.09",
        "eventSource": source,
        "eventName": name,
        "eventTime": time,
        "awsRegion": "us-east-1",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": format!("arn:aws:sts::111111111111:assumed-role/lambda-orders-role/{function}"),
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE}}
        },
        "resources": resources.iter().map(|r| json!({"ARN": r, "type": "AWS::S3::Object"})).collect::<Vec<_>>(),
    })
}

fn gz(records: &[Value]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(json!({"Records": records}).to_string().as_bytes())
        .unwrap();
    e.finish().unwrap()
}

fn corpus() -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("rolecall-ct-{}", std::process::id()))
        .join("AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20");
    std::fs::create_dir_all(&dir).unwrap();
    let t = "2026-11-20T10:00:00Z";
    let mut denied = event("s3.amazonaws.com", "DeleteObject", t, "orders-api", &[]);
    denied["errorCode"] = json!("AccessDenied");
    let mut user = event("iam.amazonaws.com", "ListRoles", t, "x", &[]);
    user["userIdentity"] =
        json!({"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/alice"});
    let records = vec![
        event(
            "s3.amazonaws.com",
            "GetObject",
            t,
            "orders-api",
            &["arn:aws:s3:::orders/2026/a.json"],
        ),
        event(
            "s3.amazonaws.com",
            "GetObject",
            "2026-11-21T10:00:00Z",
            "orders-api",
            &["arn:aws:s3:::orders/2026/b.json"],
        ),
        event("dynamodb.amazonaws.com", "PutItem", t, "orders-worker", &[]),
        event("lambda.amazonaws.com", "Invoke", t, "orders-api", &[]),
        event(
            "lambda.amazonaws.com",
            "GetFunction20150331v2",
            t,
            "orders-api",
            &[],
        ),
        event(
            "monitoring.amazonaws.com",
            "PutMetricData",
            t,
            "orders-api",
            &[],
        ),
        event(
            "s3.amazonaws.com",
            "PutObject",
            "2026-01-01T00:00:00Z",
            "orders-api",
            &[],
        ), // outside the window
        denied,
        user,
        event(
            "nosuchservice.amazonaws.com",
            "DoThing",
            t,
            "orders-api",
            &[],
        ),
        json!({"eventName": "GetObject"}), // malformed: no source, time, identity
        json!("not even an object"),
    ];
    std::fs::write(
        dir.join("111111111111_CloudTrail_us-east-1_20261120T1000Z_a.json.gz"),
        gz(&records),
    )
    .unwrap();
    let mut truncated = gz(&records);
    truncated.truncate(truncated.len() / 2);
    std::fs::write(
        dir.join("111111111111_CloudTrail_us-east-1_20261120T1005Z_b.json.gz"),
        truncated,
    )
    .unwrap();
    std::fs::write(dir.join("broken.json"), "{\"Records\": [").unwrap();
    std::fs::write(dir.join("README.txt"), "not a log").unwrap();
    dir.ancestors().nth(6).unwrap().to_path_buf()
}

#[test]
fn events_become_role_usage_and_bad_input_is_counted() {
    let root = corpus();
    let mut r = Reader::new(catalog(), "2026-09-01T00:00:00Z", "2026-11-30T00:00:00Z");
    r.read_path(&root);
    let (usage, stats) = r.finish();
    let role = &usage.roles[ROLE];
    let actions: Vec<&str> = role.actions.keys().map(String::as_str).collect();
    assert_eq!(
        actions,
        [
            "cloudwatch:PutMetricData",
            "dynamodb:PutItem",
            "lambda:GetFunction",
            "lambda:InvokeFunction",
            "s3:GetObject"
        ]
    );
    let get = &role.actions["s3:GetObject"];
    assert_eq!(get.count, 2);
    assert_eq!(
        get.resources,
        [
            "arn:aws:s3:::orders/2026/a.json",
            "arn:aws:s3:::orders/2026/b.json"
        ]
    );
    assert_eq!(get.last_seen.as_deref(), Some("2026-11-21T10:00:00Z"));
    assert_eq!(role.functions, ["orders-api", "orders-worker"]);
    assert_eq!(
        stats.files, 3,
        "two log files and broken.json (README.txt is not a log)"
    );
    assert_eq!(stats.events, 12);
    assert_eq!(stats.attributed, 6);
    assert_eq!(stats.outside_window, 1);
    assert_eq!(stats.denied, 1);
    assert_eq!(stats.not_a_role, 1);
    assert_eq!(stats.malformed_events, 2);
    assert_eq!(
        stats
            .unknown_actions
            .get("nosuchservice.amazonaws.com:DoThing"),
        Some(&1)
    );
    assert_eq!(stats.bad_files.len(), 2, "{:?}", stats.bad_files);
    assert!(stats.bad_files.iter().any(|b| b.contains("_b.json.gz")));
    assert!(stats.bad_files.iter().any(|b| b.contains("broken.json")));
}

#[test]
fn event_names_map_to_iam_actions() {
    let cat = catalog();
    let name = |s: &str, n: &str| action_of(cat, s, n).map(|a| cat.full_name(a));
    assert_eq!(
        name("s3.amazonaws.com", "GetObject").as_deref(),
        Some("s3:GetObject")
    );
    assert_eq!(
        name("monitoring.amazonaws.com", "PutMetricData").as_deref(),
        Some("cloudwatch:PutMetricData")
    );
    assert_eq!(
        name("lambda.amazonaws.com", "UpdateFunctionCode20150331v2").as_deref(),
        Some("lambda:UpdateFunctionCode")
    );
    assert_eq!(
        name("lambda.amazonaws.com", "Invoke").as_deref(),
        Some("lambda:InvokeFunction")
    );
    assert_eq!(name("nosuch.amazonaws.com", "X"), None);
}
