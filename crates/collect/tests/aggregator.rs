//! AWS Config as the inventory: `SelectAggregateResourceConfig` through the SDK's own test
//! utilities (aws-smithy-mocks) with rows in the shape the API reference gives (`Results` is a
//! list of JSON texts, one per configuration item, holding the selected fields): moto implements
//! `SelectResourceConfig` but not the aggregator's query.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use aws_sdk_config::operation::select_aggregate_resource_config::SelectAggregateResourceConfigOutput;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use rolecall_collect::aggregator::{inventory_of, named_answer, named_expression, select_all};
use serde_json::json;

fn q(doc: serde_json::Value) -> String {
    // Config records policy documents URL-encoded, as IAM returns them.
    let text = doc.to_string();
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn role_row(account: &str, name: &str, actions: &[&str]) -> String {
    json!({
        "accountId": account,
        "arn": format!("arn:aws:iam::{account}:role/{name}"),
        "resourceId": "AROAEXAMPLE",
        "resourceName": name,
        "configurationItemCaptureTime": "2026-11-30T08:00:00.000Z",
        "configuration": {
            "path": "/", "roleName": name, "roleId": "AROAEXAMPLE",
            "arn": format!("arn:aws:iam::{account}:role/{name}"),
            "assumeRolePolicyDocument": q(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})),
            "rolePolicyList": [{"policyName": "app", "policyDocument": q(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))}],
            "attachedManagedPolicies": [{"policyName": "orders-data", "policyArn": format!("arn:aws:iam::{account}:policy/orders-data")}],
            "permissionsBoundary": null,
            "tags": [{"key": "team", "value": "payments"}]
        },
        "tags": [{"key": "team", "value": "payments"}]
    })
    .to_string()
}

fn function_row(
    account: &str,
    region: &str,
    name: &str,
    role: &str,
    tags: serde_json::Value,
) -> String {
    json!({
        "accountId": account, "awsRegion": region, "resourceName": name,
        "arn": format!("arn:aws:lambda:{region}:{account}:function:{name}"),
        "configuration": {"functionName": name, "functionArn": format!("arn:aws:lambda:{region}:{account}:function:{name}"),
                          "role": format!("arn:aws:iam::{account}:role/{role}"), "runtime": "python3.12",
                          "tracingConfig": {"mode": "PassThrough"}},
        "supplementaryConfiguration": {"Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"*\"}]}"},
        "tags": tags
    })
    .to_string()
}

fn policy_row(account: &str) -> String {
    json!({
        "accountId": account, "arn": format!("arn:aws:iam::{account}:policy/orders-data"),
        "configuration": {"policyName": "orders-data", "arn": format!("arn:aws:iam::{account}:policy/orders-data"),
            "policyVersionList": [
                {"versionId": "v1", "isDefaultVersion": false, "document": q(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))},
                {"versionId": "v2", "isDefaultVersion": true, "document": q(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}))}
            ]}
    })
    .to_string()
}

#[tokio::test]
async fn every_page_of_the_query_is_read_and_a_repeated_token_stops() {
    let rows = vec![role_row("111111111111", "a", &["s3:GetObject"])];
    let more = rows.clone();
    let pages = mock!(aws_sdk_config::Client::select_aggregate_resource_config)
        .match_requests(|r| {
            r.configuration_aggregator_name() == Some("org")
                && r.expression().is_some_and(|e| e.contains("AWS::IAM::Role"))
                && r.limit() == Some(100)
        })
        .sequence()
        .output(move || {
            SelectAggregateResourceConfigOutput::builder()
                .set_results(Some(rows.clone()))
                .next_token("t1")
                .build()
        })
        .output(move || {
            SelectAggregateResourceConfigOutput::builder()
                .set_results(Some(more.clone()))
                .next_token("t1")
                .build()
        })
        .build();
    let client = mock_client!(aws_sdk_config, RuleMode::Sequential, &[&pages]);
    let (got, error) = select_all(&client, "org", rolecall_collect::aggregator::QUERIES[0].1).await;
    assert_eq!(got.len(), 2);
    assert!(error.is_none());
    assert_eq!(pages.num_calls(), 2, "an echoed token ends the paging");
}

#[test]
fn rows_become_roles_functions_and_the_default_policy_version() {
    let inv = inventory_of(&[
        (
            "AWS::IAM::Role",
            vec![
                role_row(
                    "111111111111",
                    "orders",
                    &["iam:PassRole", "lambda:CreateFunction"],
                ),
                "{not json".to_string(),
            ],
            None,
        ),
        (
            "AWS::Lambda::Function",
            vec![
                function_row(
                    "111111111111",
                    "eu-west-1",
                    "orders-api",
                    "orders",
                    json!({"team": "payments"}),
                ),
                function_row("222222222222", "us-east-1", "reports", "orders", json!({})),
            ],
            Some("ThrottlingException: Rate exceeded".to_string()),
        ),
        ("AWS::IAM::Policy", vec![policy_row("111111111111")], None),
    ]);
    assert_eq!(inv.roles.len(), 1);
    let role = &inv.roles[0];
    assert_eq!(role.name, "orders");
    assert_eq!(role.account, "111111111111");
    let decoded =
        |d: &rolecall_inventory::Document, kind| format!("{:?}", d.parse("p", kind).unwrap());
    assert!(decoded(
        &role.inline_policies[0].document,
        rolecall_policy::PolicyKind::Identity
    )
    .contains("iam:PassRole"));
    assert!(
        decoded(&role.trust_policy, rolecall_policy::PolicyKind::Trust)
            .contains("lambda.amazonaws.com")
    );
    assert_eq!(
        role.managed_policy_arns,
        vec!["arn:aws:iam::111111111111:policy/orders-data"]
    );
    assert_eq!(role.tags.get("team").map(String::as_str), Some("payments"));
    assert_eq!(inv.functions.len(), 2);
    let f = inv
        .functions
        .iter()
        .find(|f| f.name == "orders-api")
        .unwrap();
    assert_eq!(
        (f.account.as_str(), f.region.as_str()),
        ("111111111111", "eu-west-1")
    );
    assert_eq!(f.role_arn, "arn:aws:iam::111111111111:role/orders");
    assert!(f
        .resource_policy
        .as_ref()
        .unwrap()
        .text()
        .contains("lambda:InvokeFunction"));
    // The default version, not the first.
    assert_eq!(
        inv.managed_policies[0].default_version.as_deref(),
        Some("v2")
    );
    assert!(decoded(
        &inv.managed_policies[0].document,
        rolecall_policy::PolicyKind::Identity
    )
    .contains("dynamodb:GetItem"));
    // The bad row and the failed page are coverage; what Config does not record is lacking.
    assert_eq!(inv.coverage.len(), 2, "{:?}", inv.coverage);
    assert!(inv
        .coverage
        .iter()
        .any(|g| g.error.contains("Rate exceeded")));
    assert!(inv.coverage.iter().any(|g| g.error.contains("not JSON")));
    assert!(inv.lacks(rolecall_inventory::data_kind::FUNCTION_URLS));
    assert!(inv.lacks(rolecall_inventory::data_kind::SCPS));
    assert_eq!(
        inv.accounts
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>(),
        vec!["111111111111", "222222222222"]
    );
}

#[test]
fn the_named_queries_answer_the_seeds_questions() {
    let fns = vec![
        function_row(
            "111111111111",
            "us-east-1",
            "a",
            "shared",
            json!([{"key": "team", "value": "x"}]),
        ),
        function_row(
            "111111111111",
            "us-east-1",
            "b",
            "shared",
            json!({"team": "x", "environment": "prod"}),
        ),
        function_row("111111111111", "us-east-1", "c", "own", json!({})),
    ];
    let shared = named_answer("shared-roles", &fns, &[]);
    assert_eq!(shared.len(), 1, "{shared:?}");
    assert_eq!(shared[0]["functions"], 2);
    assert_eq!(shared[0]["role"], "arn:aws:iam::111111111111:role/shared");
    let untagged = named_answer(
        "untagged-functions",
        &fns,
        &["team".to_string(), "environment".to_string()],
    );
    assert_eq!(untagged.len(), 2, "{untagged:?}");
    assert_eq!(untagged[0]["missing"], json!(["environment"]));
    assert_eq!(untagged[1]["missing"], json!(["team", "environment"]));
    let recent = named_answer(
        "recent-role-changes",
        &[role_row("111111111111", "r", &["s3:GetObject"])],
        &[],
    );
    assert_eq!(recent[0]["changed"], "2026-11-30T08:00:00.000Z");
    assert!(
        named_expression("recent-role-changes", "2026-11-23T00:00:00Z")
            .unwrap()
            .contains("configurationItemCaptureTime > '2026-11-23T00:00:00Z'")
    );
    assert!(named_expression("recent-role-changes", "x' OR '1'='1").is_err());
    let err = named_expression("everything", "").unwrap_err();
    assert!(err.contains("shared-roles"), "{err}");
}
