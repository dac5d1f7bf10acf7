//! Counts every API call and every attempt (retries included), by operation, through an SDK
//! interceptor attached to each client.

use aws_config::SdkConfig;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct Stats {
    calls: Arc<Mutex<BTreeMap<String, (u64, u64)>>>,
    pub wall: Duration,
}

#[derive(Debug, Clone)]
struct Counter(Arc<Mutex<BTreeMap<String, (u64, u64)>>>);

fn op_name(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>()
        .map(|m| format!("{}:{}", m.service(), m.name()))
        .unwrap_or_else(|| "unknown".into())
}

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "rolecall-call-counter"
    }

    // The operation's metadata is in the bag by the time an execution finishes (not yet when it
    // starts), so calls are counted at the end, attempts as they happen.
    fn read_after_execution(
        &self,
        _: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Ok(mut m) = self.0.lock() {
            m.entry(op_name(cfg)).or_default().0 += 1;
        }
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Ok(mut m) = self.0.lock() {
            m.entry(op_name(cfg)).or_default().1 += 1;
        }
        Ok(())
    }
}

/// A bare HTTP 429 (no throttling error code, as some proxies and gateways send it) is
/// throttling too: retried like one.
#[derive(Debug)]
pub struct TooManyRequests;

impl ClassifyRetry for TooManyRequests {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.response() {
            Some(r) if r.status().as_u16() == 429 => RetryAction::throttling_error(),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "rolecall-http-429"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::http_status_code_classifier()
    }
}

macro_rules! client_config {
    ($name:ident, $krate:ident) => {
        pub fn $name(&self, cfg: &SdkConfig) -> $krate::Config {
            $krate::config::Builder::from(cfg)
                .interceptor(Counter(self.calls.clone()))
                .retry_classifier(TooManyRequests)
                .build()
        }
    };
}

impl Stats {
    pub fn new() -> Self {
        Self::default()
    }

    client_config!(sts, aws_sdk_sts);
    client_config!(iam, aws_sdk_iam);
    client_config!(lambda, aws_sdk_lambda);
    client_config!(tagging, aws_sdk_resourcegroupstagging);
    client_config!(apigateway, aws_sdk_apigateway);
    client_config!(apigatewayv2, aws_sdk_apigatewayv2);
    client_config!(organizations, aws_sdk_organizations);
    client_config!(account, aws_sdk_account);
    client_config!(ssm, aws_sdk_ssm);
    client_config!(config, aws_sdk_config);

    /// `(operation, calls, attempts)`, by operation name (`Lambda:ListFunctions`, the SDK's service
    /// name and operation).
    pub fn operations(&self) -> Vec<(String, u64, u64)> {
        self.calls
            .lock()
            .map(|m| m.iter().map(|(k, (c, a))| (k.clone(), *c, *a)).collect())
            .unwrap_or_default()
    }

    pub fn total_calls(&self) -> u64 {
        self.operations().iter().map(|(_, c, _)| c).sum()
    }

    pub fn retries(&self) -> u64 {
        self.operations()
            .iter()
            .map(|(_, c, a)| a.saturating_sub(*c))
            .sum()
    }
}
