//! Real, published CloudTrail events (OTRF Security-Datasets, MIT; see
//! fixtures/otrf/PROVENANCE.md) in every input shape rolecall reads, the suggestion built from
//! them replayed through the engine, and files of other shapes refused by name.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rolecall_catalog::{catalog, ActionSet};
use rolecall_policy::{
    evaluate, parse_policy_value, Context, Decision, PolicyKind, PolicySet, Request,
};
use rolecall_usage::suggest::{check, suggest, Options};
use rolecall_usage::{ReadStats, Reader};
use std::path::PathBuf;

const ROLE: &str = "arn:aws:iam::123456789123:role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0";
const BUCKET: &str = "arn:aws:s3:::mordors3stack-s3bucket-llp2yingx64a";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/otrf")
        .join(name)
}

fn read(name: &str) -> (rolecall_inventory::Usage, ReadStats) {
    let mut r = Reader::new(catalog(), "2020-09-01T00:00:00Z", "2020-09-30T23:59:59Z");
    r.read_path(&fixture(name));
    r.finish()
}

const SHAPES: &[&str] = &[
    "ec2_proxy_s3_exfiltration_2020-09-14011940.json", // JSON lines (Logstash export)
    "records.json.gz",                                 // CloudTrail's S3 delivery
    "lookup-events.json",                              // aws cloudtrail lookup-events
    "eventbridge.jsonl",                               // EventBridge events, JSON lines
];

#[test]
fn every_input_shape_reads_the_same_real_events() {
    let (first, st) = read(SHAPES[0]);
    assert_eq!(st.events, 103, "{st:?}");
    assert_eq!(st.attributed, 11, "{st:?}");
    assert!(st.unknown_actions.is_empty(), "{:?}", st.unknown_actions);
    assert!(st.bad_files.is_empty(), "{:?}", st.bad_files);
    let role = &first.roles[ROLE];
    // ListObjects is s3:ListBucket and ListBuckets is s3:ListAllMyBuckets (the S3 API
    // Reference's permissions notes), not actions of their own names.
    let actions: Vec<(&str, u64)> = role
        .actions
        .iter()
        .map(|(a, u)| (a.as_str(), u.count))
        .collect();
    assert_eq!(
        actions,
        [
            ("s3:GetObject", 2),
            ("s3:ListAllMyBuckets", 2),
            ("s3:ListBucket", 7)
        ]
    );
    // The object read names the object, the listing the bucket: CloudTrail lists both ARNs on
    // each event and the resource type decides which belongs to which action.
    assert_eq!(
        role.actions["s3:GetObject"].resources,
        [format!("{BUCKET}/ring.txt")]
    );
    assert_eq!(role.actions["s3:ListBucket"].resources, [BUCKET]);
    assert_eq!(role.actions["s3:ListBucket"].prefixes, [""]);
    assert_eq!(role.actions["s3:GetObject"].regions, ["us-east-1"]);
    let cov = &first.coverage.as_ref().unwrap().accounts["123456789123"];
    assert!(cov.data_events.contains("s3"), "{cov:?}");
    assert!(cov.management_events);
    assert_eq!(cov.days.iter().collect::<Vec<_>>(), ["2020-09-14"]);
    assert_eq!(first.days_covered("123456789123"), (1, 30));
    assert_eq!(first.days_covered("999999999999"), (0, 30));
    for shape in &SHAPES[1..] {
        let (u, st) = read(shape);
        assert!(st.bad_files.is_empty(), "{shape}: {:?}", st.bad_files);
        assert_eq!(st.events, 103, "{shape}");
        assert_eq!(u.roles, first.roles, "{shape} reads other use");
        assert_eq!(u.coverage, first.coverage, "{shape} reads other coverage");
    }
    let (u, st) = read("single-record.json");
    assert_eq!((st.events, st.attributed), (1, 1));
    assert_eq!(
        u.roles[ROLE].actions.keys().collect::<Vec<_>>(),
        ["s3:GetObject"]
    );
}

#[test]
fn files_of_other_shapes_are_errors_that_name_them() {
    let (u, st) = read("aws_s3_honeybucketlogs_head.csv");
    assert_eq!(st.bad_files.len(), 1, "{st:?}");
    assert!(st.bad_files[0].contains("aws_s3_honeybucketlogs_head.csv"));
    assert!(
        st.bad_files[0].contains("not CloudTrail events"),
        "{}",
        st.bad_files[0]
    );
    assert_eq!(
        st.malformed_events, 0,
        "a bad file is not also malformed events"
    );
    assert!(u.roles.is_empty());
    let dir = std::env::temp_dir().join(format!("rolecall-shapes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "config.json",
            r#"{"Version": "2012-10-17", "Statement": []}"#,
            "keys Statement, Version",
        ),
        (
            "other-event.json",
            r#"{"detail-type": "EC2 Instance State-change Notification", "detail": {}}"#,
            "not \"AWS API Call via CloudTrail\"",
        ),
        (
            "numbers.json",
            "[1, 2, 3]",
            "an array of no CloudTrail events",
        ),
    ];
    for (name, text, says) in cases {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        let mut r = Reader::new(catalog(), "2020-09-01T00:00:00Z", "2020-09-30T23:59:59Z");
        r.read_path(&p);
        let (_, st) = r.finish();
        assert_eq!(st.bad_files.len(), 1, "{name}: {st:?}");
        assert!(
            st.bad_files[0].contains(name) && st.bad_files[0].contains(says),
            "{name}: {}",
            st.bad_files[0]
        );
    }
}

fn decide(
    policy: &serde_json::Value,
    boundary: &serde_json::Value,
    action: &str,
    resource: &str,
    ctx: &[(&str, &str)],
) -> Decision {
    let p = parse_policy_value("p", PolicyKind::Identity, policy).unwrap();
    let b = parse_policy_value("b", PolicyKind::Boundary, boundary).unwrap();
    let mut context = Context::new();
    for (k, v) in ctx {
        context.insert(k, v);
    }
    evaluate(
        &PolicySet {
            identity: vec![&p],
            boundary: Some(&b),
            ..Default::default()
        },
        &Request {
            principal: Some(ROLE.into()),
            action: action.into(),
            resource: resource.into(),
            context,
            ..Default::default()
        },
    )
    .decision
}

#[test]
fn the_suggestion_from_a_real_trail_replays_its_calls_and_nothing_else() {
    let (u, _) = read(SHAPES[0]);
    let ru = &u.roles[ROLE];
    let s = suggest(catalog(), ROLE, ru, &[], &Options::default());
    // Today's role: S3, DynamoDB and SQS in full.
    let cat = catalog();
    let mut granted = ActionSet::empty(cat.len());
    for p in ["s3:*", "dynamodb:*", "sqs:*"] {
        granted.union_with(&cat.expand(p).unwrap());
    }
    let c = check(cat, &s, ROLE, ru, Some(&granted), None);
    assert!(c.passed(), "{c:?}\n{:#}", s.policy);
    assert_eq!(
        c.observed_calls, 3,
        "one call per action, resource and region seen"
    );
    assert!(
        c.unused_granted > 100 && c.unused_denied == c.unused_granted,
        "{c:?}"
    );
    let region = [("aws:RequestedRegion", "us-east-1")];
    let obj = format!("{BUCKET}/ring.txt");
    for (action, resource, want) in [
        ("s3:GetObject", obj.as_str(), Decision::Allow),
        ("s3:ListBucket", BUCKET, Decision::Allow),
        ("s3:ListAllMyBuckets", "*", Decision::Allow),
        // Another object, another bucket, another service: not granted.
        (
            "s3:GetObject",
            &format!("{BUCKET}/other.txt"),
            Decision::ImplicitDeny,
        ),
        (
            "s3:GetObject",
            "arn:aws:s3:::another-bucket/ring.txt",
            Decision::ImplicitDeny,
        ),
        ("s3:PutObject", obj.as_str(), Decision::ImplicitDeny),
        (
            "s3:ListBucket",
            "arn:aws:s3:::another-bucket",
            Decision::ImplicitDeny,
        ),
        (
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789123:table/orders",
            Decision::ImplicitDeny,
        ),
        (
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:123456789123:queue",
            Decision::ImplicitDeny,
        ),
    ] {
        assert_eq!(
            decide(&s.policy, &s.boundary, action, resource, &region),
            want,
            "{action} on {resource}:\n{:#}",
            s.policy
        );
    }
    // In another region the regional grants do not hold (the seed's aws:RequestedRegion).
    assert_ne!(
        decide(
            &s.policy,
            &s.boundary,
            "s3:GetObject",
            &obj,
            &[("aws:RequestedRegion", "eu-west-1")]
        ),
        Decision::Allow
    );
}
