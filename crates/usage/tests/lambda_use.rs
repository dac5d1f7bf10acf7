//! A Lambda function's trail, written from the shapes the AWS documentation gives for each call:
//! events whose action has another name, calls that were refused or never authenticated, a
//! service using a key on the role's behalf, listings under prefixes, and what the suggestion
//! adds and leaves out. Each expectation cites the documentation it follows.
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
use rolecall_usage::suggest::{check, suggest, terraform, FunctionFacts, Options};
use rolecall_usage::Reader;
use serde_json::{json, Value};

const ACCOUNT: &str = "111122223333";
const ROLE: &str = "arn:aws:iam::111122223333:role/orders-fn-role";

fn event(source: &str, name: &str, params: Value, resources: Value) -> Value {
    json!({
        "eventVersion": "1.09", "eventSource": source, "eventName": name,
        "eventTime": "2026-11-20T10:00:00Z", "awsRegion": "eu-west-1",
        "recipientAccountId": ACCOUNT, "eventCategory": "Management",
        "userIdentity": {"type": "AssumedRole", "accountId": ACCOUNT,
                         "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/orders-fn-role/orders-fn"),
                         "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE}}},
        "requestParameters": params,
        "resources": resources,
    })
}

fn data(mut e: Value) -> Value {
    e["eventCategory"] = json!("Data");
    e
}

fn trail() -> Vec<Value> {
    let obj = |b: &str, k: &str| json!([{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{b}/{k}")}, {"type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{b}"), "accountId": ACCOUNT}]);
    let mut out = vec![
        // S3 API Reference, CopyObject: s3:GetObject on the source, s3:PutObject on the target.
        data(event(
            "s3.amazonaws.com",
            "CopyObject",
            json!({"bucketName": "orders-out", "key": "2026/a.json", "x-amz-copy-source": "orders-in/2026/a%20b.json"}),
            obj("orders-out", "2026/a.json"),
        )),
        // HeadObject is authorized by s3:GetObject; a key with a literal `*`.
        data(event(
            "s3.amazonaws.com",
            "HeadObject",
            json!({"bucketName": "orders-in", "key": "odd*name"}),
            obj("orders-in", "odd*name"),
        )),
        // Listings under a prefix: s3:ListBucket with the s3:prefix it used.
        data(event(
            "s3.amazonaws.com",
            "ListObjectsV2",
            json!({"bucketName": "orders-in", "prefix": "2026/"}),
            json!([{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::orders-in"}]),
        )),
        // DeleteObjects is authorized by s3:DeleteObject.
        data(event(
            "s3.amazonaws.com",
            "DeleteObjects",
            json!({"bucketName": "orders-in"}),
            obj("orders-in", "2026/old.json"),
        )),
        // TransactWriteItems holding only puts and a condition check.
        data(event(
            "dynamodb.amazonaws.com",
            "TransactWriteItems",
            json!({"transactItems": [{"put": {"tableName": "orders"}}, {"conditionCheck": {"tableName": "orders"}}], "tableName": "orders"}),
            json!(null),
        )),
        // SQS batch calls are authorized by their base action; the queue URL names the account.
        data(event(
            "sqs.amazonaws.com",
            "SendMessageBatch",
            json!({"queueUrl": "https://sqs.eu-west-1.amazonaws.com/444455556666/billing-events"}),
            json!(null),
        )),
        // KMS ReEncrypt needs ReEncryptFrom and ReEncryptTo.
        event(
            "kms.amazonaws.com",
            "ReEncrypt",
            json!({}),
            json!([{"ARN": "arn:aws:kms:eu-west-1:111122223333:key/1111-2222", "type": "AWS::KMS::Key"}]),
        ),
        // Refused: a missing permission or a probe, not use.
        event(
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            json!({"secretId": "prod/db"}),
            json!(null),
        ),
        // Never authenticated: neither use nor a denial.
        event("iam.amazonaws.com", "ListRoles", json!({}), json!(null)),
        // Authorized, then failed downstream: use.
        event(
            "lambda.amazonaws.com",
            "Invoke",
            json!({"functionName": "billing"}),
            json!(null),
        ),
        // Needs no permission (STS API Reference).
        event(
            "sts.amazonaws.com",
            "GetCallerIdentity",
            json!({}),
            json!(null),
        ),
        // Nobody knows this one: listed by name.
        event(
            "brand-new.amazonaws.com",
            "DoTheThing",
            json!({}),
            json!(null),
        ),
    ];
    out[7]["errorCode"] = json!("AccessDenied");
    out[8]["errorCode"] = json!("ExpiredToken");
    out[9]["errorCode"] = json!("KMSAccessDeniedException");
    out[9]["eventCategory"] = json!("Data");
    // S3 decrypting with a customer key on the role's behalf (kms:ViaService).
    let mut via = event(
        "kms.amazonaws.com",
        "Decrypt",
        json!({}),
        json!([{"ARN": "arn:aws:kms:eu-west-1:111122223333:key/3333-4444", "type": "AWS::KMS::Key"}]),
    );
    via["userIdentity"]["invokedBy"] = json!("s3.amazonaws.com");
    out.push(via);
    out
}

fn read() -> (rolecall_inventory::Usage, rolecall_usage::ReadStats) {
    let mut r = Reader::new(catalog(), "2026-09-01T00:00:00Z", "2026-11-30T23:59:59Z");
    r.read_bytes(
        "trail.json",
        json!({"Records": trail()}).to_string().as_bytes(),
    );
    r.finish()
}

#[test]
fn events_map_to_the_actions_that_authorize_them() {
    let (u, st) = read();
    let role = &u.roles[ROLE];
    let actions: Vec<&str> = role.actions.keys().map(String::as_str).collect();
    assert_eq!(
        actions,
        [
            "dynamodb:ConditionCheckItem",
            "dynamodb:PutItem",
            "kms:Decrypt",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "lambda:InvokeFunction",
            "s3:DeleteObject",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:PutObject",
            "sqs:SendMessage",
        ]
    );
    // CopyObject: the read is on the (decoded) source, the write on the target.
    assert_eq!(
        role.actions["s3:GetObject"].resources,
        [
            "arn:aws:s3:::orders-in/2026/a b.json",
            "arn:aws:s3:::orders-in/odd*name"
        ]
    );
    assert_eq!(
        role.actions["s3:PutObject"].resources,
        ["arn:aws:s3:::orders-out/2026/a.json"]
    );
    assert_eq!(role.actions["s3:ListBucket"].prefixes, ["2026/"]);
    assert_eq!(
        role.actions["sqs:SendMessage"].resources,
        ["arn:aws:sqs:eu-west-1:444455556666:billing-events"]
    );
    assert_eq!(
        role.actions["kms:Decrypt"].via_services,
        ["s3.eu-west-1.amazonaws.com"]
    );
    assert!(!role.actions["kms:Decrypt"].direct);
    assert_eq!(
        role.denied.iter().collect::<Vec<_>>(),
        [(&"secretsmanager:GetSecretValue".to_string(), &1)]
    );
    assert_eq!((st.denied, st.auth_failed, st.no_permission), (1, 1, 1));
    assert_eq!(
        st.unknown_actions.iter().collect::<Vec<_>>(),
        [(&"brand-new.amazonaws.com:DoTheThing".to_string(), &1)]
    );
    let cov = &u.coverage.unwrap().accounts[ACCOUNT];
    assert_eq!(
        cov.data_events.iter().collect::<Vec<_>>(),
        ["dynamodb", "lambda", "s3", "sqs"]
    );
}

fn allowed(
    s: &rolecall_usage::suggest::Suggestion,
    action: &str,
    resource: &str,
    ctx: &[(&str, &str)],
) -> bool {
    let p = parse_policy_value("p", PolicyKind::Identity, &s.policy).unwrap();
    let b = parse_policy_value("b", PolicyKind::Boundary, &s.boundary).unwrap();
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
        // The identity side, as the suggestion's check asks it (no resource policy in play).
        &Request {
            principal: None,
            action: action.into(),
            resource: resource.into(),
            context,
            ..Default::default()
        },
    )
    .decision
        == Decision::Allow
}

#[test]
fn the_suggestion_keeps_the_function_working_and_nothing_more() {
    let (u, _) = read();
    let ru = &u.roles[ROLE];
    let f = FunctionFacts {
        name: "orders-fn".into(),
        account: ACCOUNT.into(),
        region: "eu-west-1".into(),
        tracing_active: true,
        vpc: true,
        event_sources: vec![(
            "sqs".into(),
            "arn:aws:sqs:eu-west-1:111122223333:orders-in".into(),
        )],
    };
    let s = suggest(catalog(), ROLE, ru, &[f], &Options::default());
    let cat = catalog();
    let mut granted = ActionSet::empty(cat.len());
    for p in [
        "s3:*",
        "dynamodb:*",
        "sqs:*",
        "kms:*",
        "lambda:*",
        "secretsmanager:*",
        "logs:*",
        "iam:PassRole",
        "sts:AssumeRole",
    ] {
        granted.union_with(&cat.expand(p).unwrap());
    }
    let c = check(cat, &s, ROLE, ru, Some(&granted), None);
    assert!(c.passed(), "{c:?}\n{:#}\n{:#}", s.policy, s.boundary);
    // The replay's stand-in resource policy never allows by itself: without the policy, every
    // observed call is broken, in the role's account and in another.
    let mut bare = rolecall_usage::suggest::Suggestion {
        policy: s.policy.clone(),
        boundary: s.boundary.clone(),
        warnings: Vec::new(),
        baseline: Vec::new(),
    };
    bare.policy["Statement"] = json!([]);
    let none = check(cat, &bare, ROLE, ru, None, None);
    assert_eq!(none.observed_allowed, 0, "{none:?}");
    assert_eq!(none.observed_calls, c.observed_calls);
    let eu = ("aws:RequestedRegion", "eu-west-1");
    // The key with a literal `*` is escaped: the policy allows that object, not a pattern.
    assert!(allowed(
        &s,
        "s3:GetObject",
        "arn:aws:s3:::orders-in/odd*name",
        &[eu]
    ));
    assert!(!allowed(
        &s,
        "s3:GetObject",
        "arn:aws:s3:::orders-in/oddXname",
        &[eu]
    ));
    assert!(s.policy.to_string().contains("odd${*}name"), "{}", s.policy);
    // Listing: only under the prefix seen.
    assert!(allowed(
        &s,
        "s3:ListBucket",
        "arn:aws:s3:::orders-in",
        &[eu, ("s3:prefix", "2026/x")]
    ));
    assert!(!allowed(
        &s,
        "s3:ListBucket",
        "arn:aws:s3:::orders-in",
        &[eu, ("s3:prefix", "private/")]
    ));
    // The key S3 used on the role's behalf: only through S3.
    let key = "arn:aws:kms:eu-west-1:111122223333:key/3333-4444";
    assert!(allowed(
        &s,
        "kms:Decrypt",
        key,
        &[eu, ("kms:ViaService", "s3.eu-west-1.amazonaws.com")]
    ));
    assert!(!allowed(&s, "kms:Decrypt", key, &[eu]));
    // Another table, another queue, another bucket: no.
    assert!(!allowed(
        &s,
        "dynamodb:PutItem",
        "arn:aws:dynamodb:eu-west-1:111122223333:table/customers",
        &[eu]
    ));
    assert!(!allowed(
        &s,
        "dynamodb:DeleteItem",
        "arn:aws:dynamodb:eu-west-1:111122223333:table/orders",
        &[eu]
    ));
    assert!(!allowed(
        &s,
        "sqs:SendMessage",
        "arn:aws:sqs:eu-west-1:111122223333:billing-events",
        &[eu]
    ));
    assert!(!allowed(
        &s,
        "s3:PutObject",
        "arn:aws:s3:::orders-in/2026/a.json",
        &[eu]
    ));
    // The refused call is not granted; it is a warning.
    assert!(!allowed(
        &s,
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf",
        &[eu]
    ));
    assert!(s
        .warnings
        .iter()
        .any(|w| w.kind == "denied-calls" && w.detail.contains("secretsmanager:GetSecretValue")));
    // What CloudTrail does not show: the function's own log group, X-Ray, the VPC's network
    // interfaces, its SQS mapping's reads; the boundary lets each through.
    let group = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/orders-fn";
    assert!(allowed(&s, "logs:CreateLogGroup", group, &[]));
    assert!(allowed(
        &s,
        "logs:PutLogEvents",
        &format!("{group}:log-stream:2026/11/20/[$LATEST]abc"),
        &[]
    ));
    assert!(!allowed(
        &s,
        "logs:PutLogEvents",
        "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/other:log-stream:x",
        &[]
    ));
    assert!(allowed(&s, "xray:PutTraceSegments", "*", &[]));
    assert!(allowed(&s, "ec2:CreateNetworkInterface", "*", &[]));
    assert!(allowed(
        &s,
        "sqs:ReceiveMessage",
        "arn:aws:sqs:eu-west-1:111122223333:orders-in",
        &[]
    ));
    assert!(s.warnings.iter().any(|w| w.kind == "baseline"));
    // The boundary still stops permission changes.
    let b = parse_policy_value("b", PolicyKind::Boundary, &s.boundary).unwrap();
    let admin = parse_policy_value("a", PolicyKind::Identity, &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})).unwrap();
    let d = evaluate(
        &PolicySet {
            identity: vec![&admin],
            boundary: Some(&b),
            ..Default::default()
        },
        &Request {
            principal: Some(ROLE.into()),
            action: "iam:AttachRolePolicy".into(),
            resource: ROLE.into(),
            ..Default::default()
        },
    )
    .decision;
    assert_ne!(d, Decision::Allow);
    // Terraform: `${` of the IAM escape doubled so Terraform does not interpolate it.
    let tf = terraform(&s, "orders-fn-role", &c);
    assert!(tf.contains("odd$${*}name"), "{tf}");
    assert!(!tf.contains("odd${*}name"), "{tf}");
    assert!(tf.contains("# rolecall-warning: {"), "{tf}");
}

#[test]
fn a_used_assume_role_is_not_denied_by_the_boundary() {
    let mut e = event(
        "sts.amazonaws.com",
        "AssumeRole",
        json!({"roleArn": "arn:aws:iam::111122223333:role/reader"}),
        json!([{"ARN": "arn:aws:iam::111122223333:role/reader", "type": "AWS::IAM::Role"}]),
    );
    e["awsRegion"] = json!("us-east-1");
    let mut r = Reader::new(catalog(), "2026-09-01T00:00:00Z", "2026-11-30T23:59:59Z");
    r.read_bytes("t.json", json!({"Records": [e]}).to_string().as_bytes());
    let (u, _) = r.finish();
    let s = suggest(catalog(), ROLE, &u.roles[ROLE], &[], &Options::default());
    let c = check(catalog(), &s, ROLE, &u.roles[ROLE], None, None);
    assert!(c.passed(), "{c:?}\n{:#}", s.boundary);
    // The replay's stand-in for the trust policy names the account, so the role's own policies
    // decide: without them the same call is broken, not allowed by the stand-in.
    let mut empty = s;
    empty.policy["Statement"] = json!([]);
    let c = check(catalog(), &empty, ROLE, &u.roles[ROLE], None, None);
    assert_eq!((c.observed_calls, c.observed_allowed), (1, 0), "{c:?}");
}

#[test]
fn bedrock_models_and_service_level_use_become_grants_that_say_what_they_are() {
    let mut r = Reader::new(catalog(), "2026-09-01T00:00:00Z", "2026-11-30T23:59:59Z");
    let records = vec![
        event(
            "bedrock.amazonaws.com",
            "InvokeModel",
            json!({"modelId": "anthropic.claude-3-haiku-20240307-v1:0"}),
            json!(null),
        ),
        event(
            "bedrock.amazonaws.com",
            "Converse",
            json!({"modelId": "us.anthropic.claude-3-5-sonnet-20240620-v1:0"}),
            json!(null),
        ),
    ];
    r.read_bytes("t.json", json!({"Records": records}).to_string().as_bytes());
    let (mut u, _) = r.finish();
    let ru = u.roles.get_mut(ROLE).unwrap();
    // The model ARN from `modelId`: a foundation model, and a cross-region inference profile of
    // the caller's account (Bedrock user guide, inference profiles).
    assert_eq!(
        ru.actions["bedrock:InvokeModel"].resources,
        [
            "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        ]
    );
    // Access Advisor's service-level use.
    ru.actions.insert(
        "sqs:*".into(),
        rolecall_inventory::ActionUse {
            count: 1,
            direct: true,
            ..Default::default()
        },
    );
    let s = suggest(catalog(), ROLE, ru, &[], &Options::default());
    assert!(s
        .warnings
        .iter()
        .any(|w| w.kind == "service-level" && w.action.as_deref() == Some("sqs:*")));
    let c = check(
        catalog(),
        &s,
        ROLE,
        ru,
        Some(&catalog().expand("sqs:*").unwrap()),
        None,
    );
    assert!(c.passed(), "{c:?}\n{:#}", s.policy);
    let eu = ("aws:RequestedRegion", "eu-west-1");
    assert!(allowed(
        &s,
        "bedrock:InvokeModel",
        "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        &[eu]
    ));
    assert!(!allowed(
        &s,
        "bedrock:InvokeModel",
        "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-opus-20240229-v1:0",
        &[eu]
    ));
}
