//! Pagination, with the SDK's own test utilities (aws-smithy-mocks) and response shapes as AWS
//! returns them: moto answers `ListFunctions`, `ListEventSourceMappings` and
//! `GetAccountAuthorizationDetails` in a single page, so it cannot show that every page is read.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
use aws_sdk_iam::types::{ManagedPolicyDetail, PolicyVersion, RoleDetail};
use aws_sdk_lambda::operation::list_event_source_mappings::ListEventSourceMappingsOutput;
use aws_sdk_lambda::operation::list_functions::ListFunctionsOutput;
use aws_sdk_lambda::types::{EventSourceMappingConfiguration, FunctionConfiguration};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use rolecall_collect::pages;
use tokio::sync::Semaphore;

fn function(name: &str) -> FunctionConfiguration {
    FunctionConfiguration::builder()
        .function_name(name)
        .function_arn(format!(
            "arn:aws:lambda:us-east-1:123456789012:function:{name}"
        ))
        .role("arn:aws:iam::123456789012:role/r")
        .build()
}

#[tokio::test]
async fn list_functions_reads_every_page() {
    let p1 = mock!(aws_sdk_lambda::Client::list_functions)
        .match_requests(|r| r.marker().is_none())
        .then_output(|| {
            ListFunctionsOutput::builder()
                .functions(function("a"))
                .functions(function("b"))
                .next_marker("page-2")
                .build()
        });
    let p2 = mock!(aws_sdk_lambda::Client::list_functions)
        .match_requests(|r| r.marker() == Some("page-2"))
        .then_output(|| {
            ListFunctionsOutput::builder()
                .functions(function("c"))
                .next_marker("page-3")
                .build()
        });
    let p3 = mock!(aws_sdk_lambda::Client::list_functions)
        .match_requests(|r| r.marker() == Some("page-3"))
        .then_output(|| {
            ListFunctionsOutput::builder()
                .functions(function("d"))
                .build()
        });
    let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[&p1, &p2, &p3]);
    let got = pages::list_functions(&client, &Semaphore::new(4))
        .await
        .into_result()
        .unwrap();
    let names: Vec<_> = got.iter().map(|f| f.function_name().unwrap()).collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    assert_eq!((p1.num_calls(), p2.num_calls(), p3.num_calls()), (1, 1, 1));
}

#[tokio::test]
async fn a_repeated_marker_does_not_loop_forever() {
    let page = mock!(aws_sdk_lambda::Client::list_functions).then_output(|| {
        ListFunctionsOutput::builder()
            .functions(function("a"))
            .next_marker("same")
            .build()
    });
    let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[&page]);
    let got = pages::list_functions(&client, &Semaphore::new(1))
        .await
        .into_result()
        .unwrap();
    assert_eq!(
        got.len(),
        2,
        "first page, then the page at the marker, which repeats itself: stop"
    );
    assert_eq!(page.num_calls(), 2);
}

#[tokio::test]
async fn an_error_on_a_later_page_is_reported() {
    let p1 = mock!(aws_sdk_lambda::Client::list_functions)
        .match_requests(|r| r.marker().is_none())
        .then_output(|| {
            ListFunctionsOutput::builder()
                .functions(function("a"))
                .next_marker("p2")
                .build()
        });
    let p2 = mock!(aws_sdk_lambda::Client::list_functions)
        .match_requests(|r| r.marker() == Some("p2"))
        .then_error(|| {
            aws_sdk_lambda::operation::list_functions::ListFunctionsError::ServiceException(
                aws_sdk_lambda::types::error::ServiceException::builder()
                    .message("Internal failure")
                    .build(),
            )
        });
    let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[&p1, &p2]);
    let (got, err) = pages::list_functions(&client, &Semaphore::new(1))
        .await
        .split();
    let err = err.expect("the failed page is reported");
    assert!(
        err.contains("Internal failure") && err.contains("page 2"),
        "{err}"
    );
    let names: Vec<_> = got.iter().map(|f| f.function_name().unwrap()).collect();
    assert_eq!(names, ["a"], "page 1 is kept when page 2 fails");
}

#[tokio::test]
async fn event_source_mappings_read_every_page() {
    let esm = |uuid: &str| {
        EventSourceMappingConfiguration::builder()
            .uuid(uuid)
            .event_source_arn("arn:aws:sqs:us-east-1:123456789012:q")
            .function_arn("arn:aws:lambda:us-east-1:123456789012:function:f")
            .build()
    };
    let p1 = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .match_requests(|r| r.marker().is_none())
        .then_output(move || {
            ListEventSourceMappingsOutput::builder()
                .event_source_mappings(esm("1"))
                .next_marker("m")
                .build()
        });
    let p2 = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .match_requests(|r| r.marker() == Some("m"))
        .then_output(move || {
            ListEventSourceMappingsOutput::builder()
                .event_source_mappings(esm("2"))
                .build()
        });
    let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[&p1, &p2]);
    let got = pages::list_event_source_mappings(&client, &Semaphore::new(1))
        .await
        .into_result()
        .unwrap();
    assert_eq!(
        got.iter().map(|e| e.uuid().unwrap()).collect::<Vec<_>>(),
        ["1", "2"]
    );
}

#[tokio::test]
async fn authorization_details_read_every_page() {
    let role = |name: &str| {
        RoleDetail::builder()
            .role_name(name)
            .arn(format!("arn:aws:iam::123456789012:role/{name}"))
            .assume_role_policy_document("%7B%22Statement%22%3A%5B%5D%7D")
            .build()
    };
    let policy = ManagedPolicyDetail::builder()
        .arn("arn:aws:iam::123456789012:policy/p")
        .policy_name("p")
        .default_version_id("v2")
        .policy_version_list(
            PolicyVersion::builder()
                .version_id("v2")
                .is_default_version(true)
                .document("%7B%7D")
                .build(),
        )
        .build();
    let p1 = mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .match_requests(|r| r.marker().is_none())
        .then_output(move || {
            GetAccountAuthorizationDetailsOutput::builder()
                .role_detail_list(role("a"))
                .is_truncated(true)
                .marker("m1")
                .build()
        });
    let p2 = mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .match_requests(|r| r.marker() == Some("m1"))
        .then_output(move || {
            GetAccountAuthorizationDetailsOutput::builder()
                .role_detail_list(role("b"))
                .policies(policy.clone())
                .is_truncated(false)
                .build()
        });
    let client = mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[&p1, &p2]);
    let (roles, policies, error) = pages::authorization_details(&client, &Semaphore::new(1)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(
        roles
            .iter()
            .map(|r| r.role_name().unwrap())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(policies.len(), 1);
    assert_eq!((p1.num_calls(), p2.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_failed_authorization_details_page_keeps_the_roles_before_it() {
    let p1 = mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .match_requests(|r| r.marker().is_none())
        .then_output(|| {
            GetAccountAuthorizationDetailsOutput::builder()
                .role_detail_list(
                    RoleDetail::builder()
                        .role_name("a")
                        .arn("arn:aws:iam::123456789012:role/a")
                        .build(),
                )
                .is_truncated(true)
                .marker("m1")
                .build()
        });
    let p2 = mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .match_requests(|r| r.marker() == Some("m1"))
        .then_error(|| {
            aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsError::ServiceFailureException(
                aws_sdk_iam::types::error::ServiceFailureException::builder()
                    .message("boom")
                    .build(),
            )
        });
    let client = mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[&p1, &p2]);
    let (roles, _, error) = pages::authorization_details(&client, &Semaphore::new(1)).await;
    assert_eq!(roles.len(), 1, "page 1 is kept");
    let e = error.expect("page 2's failure is reported");
    assert!(e.contains("page 2") && e.contains("boom"), "{e}");
}

/// IAM Access Advisor: moto lacks GenerateServiceLastAccessedDetails and
/// GetServiceLastAccessedDetails, so the job's life (in progress, then completed with an
/// action-level service and a service-level one) is played with the SDK's test utilities, in the
/// shapes IAM returns.
#[tokio::test]
async fn access_advisor_polls_the_job_and_keeps_what_was_used_in_the_window() {
    use aws_sdk_iam::operation::generate_service_last_accessed_details::GenerateServiceLastAccessedDetailsOutput;
    use aws_sdk_iam::operation::get_service_last_accessed_details::GetServiceLastAccessedDetailsOutput;
    use aws_sdk_iam::types::{JobStatusType, ServiceLastAccessed, TrackedActionLastAccessed};
    use aws_smithy_types::DateTime;

    let day = |s: i64| DateTime::from_secs(s);
    let since = 1_790_000_000; // the window's start
    let generate = mock!(aws_sdk_iam::Client::generate_service_last_accessed_details)
        .match_requests(|r| {
            r.arn() == Some("arn:aws:iam::123456789012:role/app")
                && r.granularity().map(|g| g.as_str()) == Some("ACTION_LEVEL")
        })
        .then_output(|| {
            GenerateServiceLastAccessedDetailsOutput::builder()
                .job_id("job-1")
                .build()
        });
    let in_progress = mock!(aws_sdk_iam::Client::get_service_last_accessed_details)
        .match_requests(|r| r.job_id() == Some("job-1"))
        .then_output(move || {
            GetServiceLastAccessedDetailsOutput::builder()
                .job_status(JobStatusType::InProgress)
                .job_creation_date(day(since))
                .job_completion_date(day(since))
                .set_services_last_accessed(Some(vec![]))
                .build()
                .unwrap()
        });
    let done = mock!(aws_sdk_iam::Client::get_service_last_accessed_details)
        .match_requests(|r| r.job_id() == Some("job-1"))
        .then_output(move || {
            GetServiceLastAccessedDetailsOutput::builder()
                .job_status(JobStatusType::Completed)
                .job_creation_date(day(since))
                .job_completion_date(day(since + 60))
                .services_last_accessed(
                    ServiceLastAccessed::builder()
                        .service_name("Amazon S3")
                        .service_namespace("s3")
                        .last_authenticated(day(since + 1000))
                        .tracked_actions_last_accessed(
                            TrackedActionLastAccessed::builder()
                                .action_name("GetObject")
                                .last_accessed_time(day(since + 1000))
                                .build(),
                        )
                        .tracked_actions_last_accessed(
                            TrackedActionLastAccessed::builder()
                                .action_name("PutObject")
                                .last_accessed_time(day(since - 86_400 * 200))
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .services_last_accessed(
                    ServiceLastAccessed::builder()
                        .service_name("Amazon SQS")
                        .service_namespace("sqs")
                        .last_authenticated(day(since + 50))
                        .build()
                        .unwrap(),
                )
                .services_last_accessed(
                    ServiceLastAccessed::builder()
                        .service_name("Amazon RDS")
                        .service_namespace("rds")
                        .build()
                        .unwrap(),
                )
                .is_truncated(false)
                .build()
                .unwrap()
        });
    let client = mock_client!(
        aws_sdk_iam,
        RuleMode::Sequential,
        &[&generate, &in_progress, &done]
    );
    let used = pages::last_accessed(
        &client,
        &Semaphore::new(2),
        "arn:aws:iam::123456789012:role/app",
        since,
        std::time::Duration::from_millis(1),
    )
    .await
    .unwrap();
    let keys: Vec<&str> = used.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["s3:GetObject", "sqs:*"],
        "PutObject is older than the window; RDS was never used"
    );
    assert_eq!(
        (
            generate.num_calls(),
            in_progress.num_calls(),
            done.num_calls()
        ),
        (1, 1, 1)
    );
}
