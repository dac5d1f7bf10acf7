//! AWS Config custom rule results: `config:PutEvaluations` with the result token of the invoking
//! event, in batches of 100 (the API's limit). `TESTMODE` as the token (the console's test
//! invocations) sends `TestMode=true`, which Config validates without recording.

use crate::{describe, fail, PublishError};
use aws_config::SdkConfig;
use aws_sdk_config::types::{ComplianceType, Evaluation};
use serde::Serialize;

/// Config's limit on an evaluation's annotation.
pub const ANNOTATION_LIMIT: usize = 256;
/// Config's limit on evaluations per `PutEvaluations` call.
pub const BATCH: usize = 100;

/// One evaluation, as rolecall decides it (the SDK type is built at the edge).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigEvaluation {
    /// `AWS::IAM::Role` or `AWS::Lambda::Function`.
    pub resource_type: String,
    /// The configuration item's `resourceId` (a role's id, a function's name).
    pub resource_id: String,
    /// `COMPLIANT`, `NON_COMPLIANT` or `NOT_APPLICABLE`.
    pub compliance: String,
    /// At most [`ANNOTATION_LIMIT`] characters.
    pub annotation: Option<String>,
    /// RFC 3339: the configuration item's capture time, or the notification's time.
    pub ordering_timestamp: String,
}

/// What Config answered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PutOutcome {
    pub sent: usize,
    pub calls: usize,
    /// Evaluations Config refused (`FailedEvaluations`), as `type/id`.
    pub failed: Vec<String>,
}

fn sdk(e: &ConfigEvaluation) -> Result<Evaluation, String> {
    let when = aws_smithy_types::DateTime::from_str(
        &e.ordering_timestamp,
        aws_smithy_types::date_time::Format::DateTime,
    )
    .map_err(|x| format!("ordering timestamp `{}`: {x}", e.ordering_timestamp))?;
    Evaluation::builder()
        .compliance_resource_type(&e.resource_type)
        .compliance_resource_id(&e.resource_id)
        .compliance_type(ComplianceType::from(e.compliance.as_str()))
        .set_annotation(e.annotation.clone())
        .ordering_timestamp(when)
        .build()
        .map_err(|x| x.to_string())
}

/// Sends the evaluations for the invocation that gave `result_token`.
pub async fn put_evaluations(
    cfg: &SdkConfig,
    result_token: &str,
    evaluations: &[ConfigEvaluation],
) -> Result<PutOutcome, PublishError> {
    put_evaluations_with(&aws_sdk_config::Client::new(cfg), result_token, evaluations).await
}

/// [`put_evaluations`] through a given client (tests hand it one with recorded responses).
pub async fn put_evaluations_with(
    client: &aws_sdk_config::Client,
    result_token: &str,
    evaluations: &[ConfigEvaluation],
) -> Result<PutOutcome, PublishError> {
    let mut out = PutOutcome::default();
    let test_mode = result_token == "TESTMODE";
    let mut all = Vec::with_capacity(evaluations.len());
    for e in evaluations {
        all.push(sdk(e).map_err(|m| {
            fail(
                "config:PutEvaluations",
                format!("{}/{}: {m}", e.resource_type, e.resource_id),
            )
        })?);
    }
    for chunk in all.chunks(BATCH) {
        let got = client
            .put_evaluations()
            .set_evaluations(Some(chunk.to_vec()))
            .result_token(result_token)
            .test_mode(test_mode)
            .send()
            .await
            .map_err(|e| fail("config:PutEvaluations", describe(&e)))?;
        out.calls += 1;
        out.sent += chunk.len();
        for f in got.failed_evaluations() {
            out.failed.push(format!(
                "{}/{}",
                f.compliance_resource_type(),
                f.compliance_resource_id()
            ));
        }
    }
    Ok(out)
}
