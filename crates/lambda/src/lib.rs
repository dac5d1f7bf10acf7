//! rolecall inside AWS: one handler for AWS Config custom rule invocations, EventBridge CloudTrail
//! events about IAM roles and Lambda functions, and Security Hub finding imports. The same
//! library calls as the CLI (collect → checks → publish), so the rule codes are the CLI's.
//!
//! `rolecall lambda` runs [`run_runtime`], the Lambda Runtime API loop (`lambda_runtime`);
//! `rolecall handle --event FILE [--dry-run]` calls [`handle`] once.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod enrich;
pub mod events;
pub mod rule;
mod run;

pub use run::{alert, handle, Handled, Settings};

use serde_json::Value;

/// The Lambda runtime loop: each event through [`handle`]; the output JSON is the invocation's
/// response (and is logged); an event rolecall cannot read, or one whose writes failed or whose
/// resources could not all be read, is an invocation error, so Lambda's retries and
/// dead-letter queues see it.
pub async fn run_runtime(settings: Settings) -> Result<(), lambda_runtime::Error> {
    let settings = &settings;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Value>| async move {
            let handled = handle(&event.payload, settings).await;
            match handled {
                Ok(h) => {
                    println!("{}", h.output);
                    if h.ok {
                        Ok(h.output)
                    } else {
                        Err(lambda_runtime::Error::from(format!(
                            "rolecall: the invocation did not complete: {}",
                            h.output
                        )))
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Err(lambda_runtime::Error::from(format!("rolecall: {e}")))
                }
            }
        },
    ))
    .await
}
