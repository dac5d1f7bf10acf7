//! CloudTrail Lake queries and IAM Access Analyzer findings, with the SDK's own test utilities
//! (aws-smithy-mocks) and response shapes from the API references: moto implements neither
//! `StartQuery`/`GetQueryResults` of CloudTrail Lake nor `ListFindingsV2`/`GetFindingV2`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use aws_sdk_accessanalyzer::operation::get_finding_v2::GetFindingV2Output;
use aws_sdk_accessanalyzer::operation::list_findings_v2::ListFindingsV2Output;
use aws_sdk_accessanalyzer::types::{
    FindingDetails, FindingStatus, FindingSummaryV2, FindingType, ResourceType, UnusedAction,
    UnusedIamRoleDetails, UnusedPermissionDetails,
};
use aws_sdk_cloudtrail::operation::get_query_results::GetQueryResultsOutput;
use aws_sdk_cloudtrail::operation::start_query::StartQueryOutput;
use aws_sdk_cloudtrail::types::QueryStatus;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::DateTime;
use rolecall_collect::usage_sources::{analyzer_findings, lake_rows, lake_sql};
use std::collections::HashMap;
use std::time::Duration;

fn cell(k: &str, v: &str) -> HashMap<String, String> {
    HashMap::from([(k.to_string(), v.to_string())])
}

#[tokio::test]
async fn a_lake_query_is_polled_until_finished_and_every_page_read() {
    let sql = lake_sql(
        "EXAMPLE-f852-4e8f-8bd1",
        "2026-09-01T00:00:00Z",
        "2026-11-30T23:59:59Z",
    )
    .unwrap();
    let start = mock!(aws_sdk_cloudtrail::Client::start_query)
        .match_requests(move |r| {
            r.query_statement()
                .is_some_and(|q| q.contains("FROM EXAMPLE-f852-4e8f-8bd1"))
        })
        .then_output(|| StartQueryOutput::builder().query_id("q-1").build());
    let running = mock!(aws_sdk_cloudtrail::Client::get_query_results)
        .match_requests(|r| r.next_token().is_none())
        .sequence()
        .output(|| {
            GetQueryResultsOutput::builder()
                .query_status(QueryStatus::Running)
                .build()
        })
        .output(|| {
            GetQueryResultsOutput::builder()
                .query_status(QueryStatus::Finished)
                .query_result_rows(vec![
                    cell("account", "111111111111"),
                    cell("name", "GetObject"),
                    cell("calls", "5"),
                ])
                .next_token("p2")
                .build()
        })
        .build();
    let page2 = mock!(aws_sdk_cloudtrail::Client::get_query_results)
        .match_requests(|r| r.next_token() == Some("p2"))
        .then_output(|| {
            GetQueryResultsOutput::builder()
                .query_status(QueryStatus::Finished)
                .query_result_rows(vec![
                    cell("account", "222222222222"),
                    cell("name", "PutItem"),
                    cell("calls", "2"),
                ])
                .build()
        });
    let client = mock_client!(
        aws_sdk_cloudtrail,
        RuleMode::MatchAny,
        &[&start, &running, &page2]
    );
    let rows = lake_rows(&client, &sql, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], "GetObject");
    assert_eq!(rows[0]["calls"], "5");
    assert_eq!(rows[1]["account"], "222222222222");
    assert_eq!(running.num_calls(), 2, "polled once while running");
    assert_eq!(page2.num_calls(), 1);
}

#[tokio::test]
async fn a_failed_lake_query_is_an_error_with_its_reason() {
    let start = mock!(aws_sdk_cloudtrail::Client::start_query)
        .then_output(|| StartQueryOutput::builder().query_id("q-2").build());
    let failed = mock!(aws_sdk_cloudtrail::Client::get_query_results).then_output(|| {
        GetQueryResultsOutput::builder()
            .query_status(QueryStatus::Failed)
            .error_message("Function transform not registered")
            .build()
    });
    let client = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, &[&start, &failed]);
    let e = lake_rows(&client, "SELECT 1", Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(
        e.contains("FAILED") && e.contains("transform not registered"),
        "{e}"
    );
}

fn summary(id: &str, role: &str, kind: FindingType) -> FindingSummaryV2 {
    FindingSummaryV2::builder()
        .id(id)
        .resource(role)
        .resource_type(ResourceType::AwsIamRole)
        .resource_owner_account("111111111111")
        .status(FindingStatus::Active)
        .finding_type(kind)
        .analyzed_at(DateTime::from_secs(1_764_000_000))
        .created_at(DateTime::from_secs(1_764_000_000))
        .updated_at(DateTime::from_secs(1_764_000_000))
        .build()
        .unwrap()
}

#[tokio::test]
async fn unused_access_findings_become_unused_actions_by_role() {
    let analyzer = "arn:aws:access-analyzer:us-east-1:111111111111:analyzer/unused";
    let list = mock!(aws_sdk_accessanalyzer::Client::list_findings_v2)
        .match_requests(|r| {
            r.filter().is_some_and(|f| {
                f["findingType"].eq() == ["UnusedPermission", "UnusedIAMRole"]
                    && f["status"].eq() == ["ACTIVE"]
            })
        })
        .then_output(|| {
            ListFindingsV2Output::builder()
                .findings(summary(
                    "f-1",
                    "arn:aws:iam::111111111111:role/orders-fn-role",
                    FindingType::UnusedPermission,
                ))
                .findings(summary(
                    "f-2",
                    "arn:aws:iam::111111111111:role/old-job-role",
                    FindingType::UnusedIamRole,
                ))
                .build()
                .unwrap()
        });
    let detail_1 = mock!(aws_sdk_accessanalyzer::Client::get_finding_v2)
        .match_requests(|r| r.id() == Some("f-1"))
        .then_output(|| {
            GetFindingV2Output::builder()
                .id("f-1")
                .resource_type(ResourceType::AwsIamRole)
                .resource_owner_account("111111111111")
                .status(FindingStatus::Active)
                .analyzed_at(DateTime::from_secs(1))
                .created_at(DateTime::from_secs(1))
                .updated_at(DateTime::from_secs(1))
                .finding_details(FindingDetails::UnusedPermissionDetails(
                    UnusedPermissionDetails::builder()
                        .service_namespace("dynamodb")
                        .actions(
                            UnusedAction::builder()
                                .action("DeleteTable")
                                .build()
                                .unwrap(),
                        )
                        .actions(UnusedAction::builder().action("Scan").build().unwrap())
                        .build()
                        .unwrap(),
                ))
                .finding_details(FindingDetails::UnusedPermissionDetails(
                    UnusedPermissionDetails::builder()
                        .service_namespace("sqs")
                        .build()
                        .unwrap(),
                ))
                .build()
                .unwrap()
        });
    let detail_2 = mock!(aws_sdk_accessanalyzer::Client::get_finding_v2)
        .match_requests(|r| r.id() == Some("f-2"))
        .then_output(|| {
            GetFindingV2Output::builder()
                .id("f-2")
                .resource_type(ResourceType::AwsIamRole)
                .resource_owner_account("111111111111")
                .status(FindingStatus::Active)
                .analyzed_at(DateTime::from_secs(1))
                .created_at(DateTime::from_secs(1))
                .updated_at(DateTime::from_secs(1))
                .finding_details(FindingDetails::UnusedIamRoleDetails(
                    UnusedIamRoleDetails::builder()
                        .last_accessed(DateTime::from_secs(1_700_000_000))
                        .build(),
                ))
                .build()
                .unwrap()
        });
    let client = mock_client!(
        aws_sdk_accessanalyzer,
        RuleMode::MatchAny,
        &[&list, &detail_1, &detail_2]
    );
    let f = analyzer_findings(&client, analyzer).await.unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(
        f[0].role_arn,
        "arn:aws:iam::111111111111:role/orders-fn-role"
    );
    assert!(!f[0].unused_role);
    assert_eq!(
        f[0].unused,
        ["dynamodb:DeleteTable", "dynamodb:Scan", "sqs:*"]
    );
    assert!(f[1].unused_role);
    assert!(f[1].last_accessed.is_some());
}
