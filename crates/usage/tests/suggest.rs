//! The suggested policy allows every observed call (checked with the engine), nothing of a list of
//! unused actions, and is clean under rolecall's own rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rolecall_catalog::catalog;
use rolecall_checks::{scan, Config, Severity};
use rolecall_inventory::{Document, Inventory, ManagedPolicy, NamedDocument, Role};
use rolecall_policy::{evaluate, parse_policy_value, Decision, PolicyKind, PolicySet, Request};
use rolecall_usage::suggest::{suggest, Options};
use rolecall_usage::Reader;
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:iam::111111111111:role/lambda-orders-api-role";

fn event(source: &str, name: &str, params: Value, resources: &[&str]) -> Value {
    json!({
        "eventSource": source, "eventName": name, "eventTime": "2026-11-20T10:00:00Z", "awsRegion": "us-east-1",
        "recipientAccountId": "111111111111",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111111111111:assumed-role/lambda-orders-api-role/orders-api",
                         "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE}}},
        "requestParameters": params,
        "resources": resources.iter().map(|r| json!({"ARN": r})).collect::<Vec<_>>(),
    })
}

/// (action, resource) the function was seen calling.
const OBSERVED: &[(&str, &str)] = &[
    ("s3:GetObject", "arn:aws:s3:::orders/2026/a.json"),
    ("s3:GetObject", "arn:aws:s3:::orders/2026/b.json"),
    (
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111111111111:table/orders",
    ),
    (
        "dynamodb:PutItem",
        "arn:aws:dynamodb:us-east-1:111111111111:table/orders",
    ),
    (
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:111111111111:order-events",
    ),
    (
        "lambda:InvokeFunction",
        "arn:aws:lambda:us-east-1:111111111111:function:billing",
    ),
    ("xray:PutTraceSegments", "*"),
];

/// What it was granted but never did.
const UNUSED: &[(&str, &str)] = &[
    ("s3:PutObject", "arn:aws:s3:::orders/2026/a.json"),
    ("s3:GetObject", "arn:aws:s3:::payroll/2026/salaries.csv"),
    (
        "dynamodb:DeleteTable",
        "arn:aws:dynamodb:us-east-1:111111111111:table/orders",
    ),
    (
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111111111111:table/customers",
    ),
    (
        "sqs:DeleteQueue",
        "arn:aws:sqs:us-east-1:111111111111:order-events",
    ),
    (
        "lambda:UpdateFunctionCode",
        "arn:aws:lambda:us-east-1:111111111111:function:billing",
    ),
    ("iam:PassRole", "arn:aws:iam::111111111111:role/admin"),
    (
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:111111111111:secret:db",
    ),
];

fn usage() -> rolecall_inventory::Usage {
    let records = vec![
        event(
            "s3.amazonaws.com",
            "GetObject",
            json!({"bucketName": "orders", "key": "2026/a.json"}),
            &["arn:aws:s3:::orders/2026/a.json"],
        ),
        event(
            "s3.amazonaws.com",
            "GetObject",
            json!({"bucketName": "orders", "key": "2026/b.json"}),
            &[],
        ),
        event(
            "dynamodb.amazonaws.com",
            "GetItem",
            json!({"tableName": "orders"}),
            &[],
        ),
        event(
            "dynamodb.amazonaws.com",
            "PutItem",
            json!({"tableName": "orders"}),
            &[],
        ),
        event(
            "sqs.amazonaws.com",
            "SendMessage",
            json!({"queueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/order-events"}),
            &[],
        ),
        event(
            "lambda.amazonaws.com",
            "Invoke",
            json!({"functionName": "billing"}),
            &[],
        ),
        event("xray.amazonaws.com", "PutTraceSegments", json!({}), &[]),
    ];
    let mut r = Reader::new(catalog(), "2026-09-01T00:00:00Z", "2026-11-30T00:00:00Z");
    r.read_bytes(
        "corpus.json",
        json!({"Records": records}).to_string().as_bytes(),
    );
    assert_eq!(r.stats.attributed, 7, "{:?}", r.stats);
    r.finish().0
}

/// The events were made in us-east-1: the suggestion requires it (`aws:RequestedRegion`).
fn region() -> rolecall_policy::Context {
    let mut c = rolecall_policy::Context::new();
    c.insert("aws:RequestedRegion", "us-east-1");
    c
}

fn decide(policy: &rolecall_policy::Policy, action: &str, resource: &str) -> Decision {
    let set = PolicySet {
        identity: vec![policy],
        ..Default::default()
    };
    evaluate(
        &set,
        &Request {
            principal: None,
            action: action.into(),
            resource: resource.into(),
            context: region(),
            ..Default::default()
        },
    )
    .decision
}

#[test]
fn the_suggestion_allows_what_was_used_and_nothing_unused() {
    let u = usage();
    let s = suggest(catalog(), ROLE, &u.roles[ROLE], &[], &Options::default());
    let policy = parse_policy_value("suggested", PolicyKind::Identity, &s.policy).unwrap();
    for (action, resource) in OBSERVED {
        assert_eq!(
            decide(&policy, action, resource),
            Decision::Allow,
            "observed {action} on {resource} must stay allowed:\n{}",
            s.policy
        );
        assert!(catalog().lookup(action).is_some());
    }
    for (action, resource) in UNUSED {
        assert_eq!(
            decide(&policy, action, resource),
            Decision::ImplicitDeny,
            "{action} on {resource} was never used:\n{}",
            s.policy
        );
    }
    assert!(
        !s.warnings.iter().any(|w| w.kind == "unscoped"),
        "every scopable action had a resource: {:?}",
        s.warnings
    );
    let boundary = parse_policy_value("boundary", PolicyKind::Boundary, &s.boundary).unwrap();
    let set = PolicySet {
        identity: vec![&policy],
        boundary: Some(&boundary),
        ..Default::default()
    };
    for (action, resource) in OBSERVED {
        let d = evaluate(
            &set,
            &Request {
                principal: None,
                action: action.to_string(),
                resource: resource.to_string(),
                context: region(),
                ..Default::default()
            },
        )
        .decision;
        assert_eq!(d, Decision::Allow, "the boundary keeps {action}");
    }
}

#[test]
fn the_suggestion_is_clean_under_rolecalls_rules() {
    let u = usage();
    let s = suggest(catalog(), ROLE, &u.roles[ROLE], &[], &Options::default());
    let mut inv = Inventory::new("fixture");
    inv.roles.push(Role {
        arn: ROLE.into(),
        name: "lambda-orders-api-role".into(),
        account: "111111111111".into(),
        path: "/".into(),
        trust_policy: Document::from_value(&json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})),
        inline_policies: vec![NamedDocument { name: "least-privilege".into(), arn: None, document: Document::from_value(&s.policy) }],
        permissions_boundary_arn: Some("arn:aws:iam::111111111111:policy/boundary".into()),
        ..Default::default()
    });
    inv.managed_policies.push(ManagedPolicy {
        arn: "arn:aws:iam::111111111111:policy/boundary".into(),
        name: "boundary".into(),
        document: Document::from_value(&s.boundary),
        default_version: None,
    });
    let r = scan(
        &inv,
        catalog(),
        &Config::default(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    );
    let bad: Vec<_> = r
        .findings
        .iter()
        .filter(|f| {
            (f.code.starts_with("LR1") || f.code.starts_with("LR2") || f.code == "LR305")
                && f.severity >= Severity::Medium
        })
        .map(|f| (&f.code, &f.title))
        .collect();
    assert!(bad.is_empty(), "{bad:?}\n{}", s.policy);
}
