//! `config:PutEvaluations` outside test mode and `securityhub:BatchUpdateFindings`, with the SDK's
//! own test utilities (aws-smithy-mocks) and response shapes from the API references: moto accepts
//! PutEvaluations only with `TestMode` (its own note: no rule or token support) and has no
//! BatchUpdateFindings. The TESTMODE path runs against moto in crates/cli/tests/lambda_moto.rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use aws_sdk_config::operation::put_evaluations::PutEvaluationsOutput;
use aws_sdk_config::types::{ComplianceType, Evaluation};
use aws_sdk_securityhub::operation::batch_update_findings::BatchUpdateFindingsOutput;
use aws_sdk_securityhub::types::{
    AwsSecurityFindingIdentifier, BatchUpdateFindingsUnprocessedFinding,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use rolecall_publish::{put_evaluations_with, ConfigEvaluation, FindingNote};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn evaluation(i: usize, compliance: &str) -> ConfigEvaluation {
    ConfigEvaluation {
        resource_type: "AWS::Lambda::Function".into(),
        resource_id: format!("fn-{i:03}"),
        compliance: compliance.into(),
        annotation: Some(format!("rolecall: LR201 (high) #{i}")),
        ordering_timestamp: "2026-12-01T09:30:00.000Z".into(),
    }
}

#[tokio::test]
async fn evaluations_go_in_batches_of_100_with_the_token_and_refusals_are_reported() {
    let seen = Arc::new(AtomicUsize::new(0));
    let seen_in = seen.clone();
    let put = mock!(aws_sdk_config::Client::put_evaluations)
        .match_requests(move |r| {
            // Real invocations carry the event's token and no test mode; each batch <= 100.
            let ok = r.result_token() == Some("token-from-the-event")
                && r.test_mode() == Some(false)
                && r.evaluations().len() <= 100
                && r.evaluations().iter().all(|e| {
                    e.compliance_type() == &ComplianceType::NonCompliant
                        && e.annotation().is_some_and(|a| a.len() <= 256)
                });
            if ok {
                seen_in.fetch_add(r.evaluations().len(), Ordering::SeqCst);
            }
            ok
        })
        .then_output(|| {
            PutEvaluationsOutput::builder()
                .failed_evaluations(
                    Evaluation::builder()
                        .compliance_resource_type("AWS::Lambda::Function")
                        .compliance_resource_id("fn-007")
                        .compliance_type(ComplianceType::NonCompliant)
                        .ordering_timestamp(aws_smithy_types::DateTime::from_secs(0))
                        .build()
                        .unwrap(),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_config, RuleMode::MatchAny, &[&put]);
    let all: Vec<ConfigEvaluation> = (0..250).map(|i| evaluation(i, "NON_COMPLIANT")).collect();
    let out = put_evaluations_with(&client, "token-from-the-event", &all)
        .await
        .unwrap();
    assert_eq!(out.calls, 3);
    assert_eq!(out.sent, 250);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        250,
        "every evaluation reached Config once"
    );
    assert_eq!(put.num_calls(), 3);
    // Config's refusals are not lost: one per call in this recording.
    assert_eq!(out.failed.len(), 3);
    assert!(out
        .failed
        .iter()
        .all(|f| f == "AWS::Lambda::Function/fn-007"));
}

#[tokio::test]
async fn the_console_test_token_sends_test_mode() {
    let put = mock!(aws_sdk_config::Client::put_evaluations)
        .match_requests(|r| r.test_mode() == Some(true) && r.result_token() == Some("TESTMODE"))
        .then_output(|| PutEvaluationsOutput::builder().build());
    let client = mock_client!(aws_sdk_config, RuleMode::MatchAny, &[&put]);
    let out = put_evaluations_with(&client, "TESTMODE", &[evaluation(1, "COMPLIANT")])
        .await
        .unwrap();
    assert_eq!((out.calls, out.failed.len()), (1, 0));
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test]
async fn a_bad_ordering_timestamp_is_an_error_naming_the_resource() {
    let put = mock!(aws_sdk_config::Client::put_evaluations)
        .then_output(|| PutEvaluationsOutput::builder().build());
    let client = mock_client!(aws_sdk_config, RuleMode::MatchAny, &[&put]);
    let mut e = evaluation(3, "COMPLIANT");
    e.ordering_timestamp = "yesterday".into();
    let err = put_evaluations_with(&client, "t", &[e])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("fn-003") && err.contains("yesterday"), "{err}");
    assert_eq!(
        put.num_calls(),
        0,
        "nothing is sent when an evaluation is malformed"
    );
}

#[tokio::test]
async fn notes_are_added_to_other_products_findings_and_unprocessed_ones_are_errors() {
    let product = "arn:aws:securityhub:us-east-1::product/aws/guardduty";
    let update = mock!(aws_sdk_securityhub::Client::batch_update_findings)
        .match_requests(|r| {
            r.note().is_some_and(|n| {
                n.updated_by() == Some("rolecall")
                    && n.text().is_some_and(|t| t.chars().count() <= 512)
            }) && r
                .user_defined_fields()
                .is_some_and(|f| f.get("rolecall/risk_score").is_some_and(|v| v == "81"))
        })
        .sequence()
        .output(move || {
            BatchUpdateFindingsOutput::builder()
                .processed_findings(
                    AwsSecurityFindingIdentifier::builder()
                        .id("gd-1")
                        .product_arn(product)
                        .build(),
                )
                .build()
        })
        .output(move || {
            BatchUpdateFindingsOutput::builder()
                .unprocessed_findings(
                    BatchUpdateFindingsUnprocessedFinding::builder()
                        .finding_identifier(
                            AwsSecurityFindingIdentifier::builder()
                                .id("gd-2")
                                .product_arn(product)
                                .build(),
                        )
                        .error_code("FindingNotFound")
                        .error_message("the finding does not exist")
                        .build(),
                )
                .build()
        })
        .build();
    let client = mock_client!(aws_sdk_securityhub, RuleMode::Sequential, &[&update]);
    let note = |id: &str| FindingNote {
        id: id.into(),
        product_arn: product.into(),
        note: "x".repeat(2000),
        fields: [("rolecall/risk_score".to_string(), "81".to_string())].into(),
    };
    let err = rolecall_publish::annotate_findings_with(&client, &[note("gd-1"), note("gd-2")])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("gd-2") && err.contains("does not exist"),
        "{err}"
    );
    assert_eq!(update.num_calls(), 2);
}
