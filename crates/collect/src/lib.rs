//! rolecall's collector: read-only AWS API calls → an [`Inventory`].
//!
//! Per account: IAM through `GetAccountAuthorizationDetails` (roles, trust, inline and managed
//! policies, boundaries, tags, last use). Per region: `ListFunctions`, then for each function its URL
//! configuration and resource policy (two calls per function); tags through the Resource Groups
//! Tagging API in pages of 100; event source mappings once per region; API Gateway REST and HTTP
//! integrations as triggers. With `--org`: every ACTIVE account, reached through the member role,
//! and the SCPs and RCPs on each account's path (root, OUs, account).
//!
//! Every failure (access denied, a region not enabled, a role that cannot be assumed, expired
//! credentials, throttling past the retries) becomes a [`CoverageEntry`] and the rest goes on. Calls
//! are bounded by one semaphore (`--concurrency`) and retried with the SDK's standard retry mode (backoff with jitter; a bare HTTP 429 is throttling too).
//! The only operations the collector can call are [`OPERATIONS`]; `docs/read-only-policy.json` grants
//! exactly those.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod advisor;
pub mod aggregator;
mod apigw;
mod iam;
mod lambda;
mod orgs;
mod progress;
mod regions;
mod s3logs;
mod stats;
mod targeted;
pub mod usage_sources;

pub use aws_sdk_cloudtrail::Client as CloudTrailClient;
pub use progress::{Progress, ProgressMode};
pub use s3logs::{each_log_object, s3_get};
pub use targeted::{collect_target, role_name, Target, Targeted};

/// The paginating readers, exposed for tests with recorded response shapes (moto answers these in
/// one page).
pub mod pages {
    pub use crate::advisor::last_accessed;
    pub use crate::iam::all_pages as authorization_details;
    pub use crate::lambda::{list_event_source_mappings, list_functions};
}
pub use stats::Stats;

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
pub use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_types::region::Region;
use futures::stream::{self, StreamExt};
use rolecall_inventory::{Account, CoverageEntry, Inventory};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

/// Every AWS API operation the collector can call: (SDK service, SDK operation, IAM action it
/// needs, a resource it touches). `docs/read-only-policy.json` grants exactly these actions (the
/// caller-identity check needs no permission), and tests hold the code, this list and the policy
/// together.
pub const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    ("sts", "GetCallerIdentity", "", "*"),
    (
        "sts",
        "AssumeRole",
        "sts:AssumeRole",
        "arn:aws:iam::210987654321:role/OrganizationAccountAccessRole",
    ),
    (
        "iam",
        "GetAccountAuthorizationDetails",
        "iam:GetAccountAuthorizationDetails",
        "*",
    ),
    (
        "iam",
        "GenerateServiceLastAccessedDetails",
        "iam:GenerateServiceLastAccessedDetails",
        "arn:aws:iam::210987654321:role/lambda-app-role",
    ),
    (
        "iam",
        "GetServiceLastAccessedDetails",
        "iam:GetServiceLastAccessedDetails",
        "*",
    ),
    // Event-driven scans (`rolecall lambda`): one role and the functions that use it.
    ("iam", "GetRole", "iam:GetRole", "arn:aws:iam::210987654321:role/lambda-app-role"),
    (
        "iam",
        "ListRolePolicies",
        "iam:ListRolePolicies",
        "arn:aws:iam::210987654321:role/lambda-app-role",
    ),
    (
        "iam",
        "GetRolePolicy",
        "iam:GetRolePolicy",
        "arn:aws:iam::210987654321:role/lambda-app-role",
    ),
    (
        "iam",
        "ListAttachedRolePolicies",
        "iam:ListAttachedRolePolicies",
        "arn:aws:iam::210987654321:role/lambda-app-role",
    ),
    (
        "iam",
        "GetPolicy",
        "iam:GetPolicy",
        "arn:aws:iam::210987654321:policy/app-data",
    ),
    (
        "iam",
        "GetPolicyVersion",
        "iam:GetPolicyVersion",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    ),
    (
        "iam",
        "ListEntitiesForPolicy",
        "iam:ListEntitiesForPolicy",
        "arn:aws:iam::210987654321:policy/app-data",
    ),
    (
        "lambda",
        "GetFunctionConfiguration",
        "lambda:GetFunctionConfiguration",
        "arn:aws:lambda:us-east-1:210987654321:function:f",
    ),
    // --config-aggregator: the Organization from AWS Config's advanced query.
    (
        "config",
        "SelectAggregateResourceConfig",
        "config:SelectAggregateResourceConfig",
        "arn:aws:config:us-east-1:210987654321:config-aggregator/config-aggregator-abc123",
    ),
    ("s3", "ListObjectsV2", "s3:ListBucket", "arn:aws:s3:::org-cloudtrail-logs"),
    ("s3", "GetObject", "s3:GetObject", "arn:aws:s3:::org-cloudtrail-logs/AWSLogs/210987654321/CloudTrail/us-east-1/2026/11/30/x.json.gz"),
    // --usage access-analyzer-findings: the V2 operations are authorized by the V1 actions.
    (
        "access-analyzer",
        "ListFindingsV2",
        "access-analyzer:ListFindings",
        "arn:aws:access-analyzer:us-east-1:210987654321:analyzer/unused",
    ),
    (
        "access-analyzer",
        "GetFindingV2",
        "access-analyzer:GetFinding",
        "arn:aws:access-analyzer:us-east-1:210987654321:analyzer/unused",
    ),
    ("lambda", "ListFunctions", "lambda:ListFunctions", "*"),
    (
        "lambda",
        "GetFunctionUrlConfig",
        "lambda:GetFunctionUrlConfig",
        "arn:aws:lambda:us-east-1:210987654321:function:f",
    ),
    (
        "lambda",
        "GetPolicy",
        "lambda:GetPolicy",
        "arn:aws:lambda:us-east-1:210987654321:function:f",
    ),
    (
        "lambda",
        "ListEventSourceMappings",
        "lambda:ListEventSourceMappings",
        "*",
    ),
    (
        "resourcegroupstaggingapi",
        "GetResources",
        "tag:GetResources",
        "*",
    ),
    (
        "apigateway",
        "GetRestApis",
        "apigateway:GET",
        "arn:aws:apigateway:us-east-1::/restapis",
    ),
    (
        "apigateway",
        "GetResources",
        "apigateway:GET",
        "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/resources",
    ),
    (
        "apigatewayv2",
        "GetApis",
        "apigateway:GET",
        "arn:aws:apigateway:us-east-1::/apis",
    ),
    (
        "apigatewayv2",
        "GetIntegrations",
        "apigateway:GET",
        "arn:aws:apigateway:us-east-1::/apis/a1b2c3/integrations",
    ),
    (
        "organizations",
        "ListAccounts",
        "organizations:ListAccounts",
        "*",
    ),
    (
        "organizations",
        "DescribeOrganization",
        "organizations:DescribeOrganization",
        "*",
    ),
    (
        "organizations",
        "ListParents",
        "organizations:ListParents",
        "*",
    ),
    (
        "organizations",
        "ListPoliciesForTarget",
        "organizations:ListPoliciesForTarget",
        "*",
    ),
    (
        "organizations",
        "DescribePolicy",
        "organizations:DescribePolicy",
        "*",
    ),
    ("account", "ListRegions", "account:ListRegions", "*"),
    (
        "ssm",
        "GetParametersByPath",
        "ssm:GetParametersByPath",
        "arn:aws:ssm:us-east-1::parameter/aws/service/global-infrastructure/regions",
    ),
];

/// Which regions to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Regions {
    /// Every region enabled for the account (account:ListRegions).
    Enabled,
    /// Every region AWS has (the SSM global-infrastructure parameters).
    All,
    List(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct Options {
    pub profile: Option<String>,
    pub regions: Regions,
    pub org: bool,
    pub accounts: Vec<String>,
    pub member_role: String,
    pub external_id: Option<String>,
    pub endpoint_url: Option<String>,
    pub concurrency: usize,
    /// Region for global calls (IAM, STS, Organizations) and the default client region.
    pub home_region: String,
    /// Read IAM Access Advisor for each execution role: use since this time (epoch seconds).
    pub access_advisor_since: Option<i64>,
    /// Limit on each AWS operation, retries included.
    pub timeout: std::time::Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            profile: None,
            regions: Regions::Enabled,
            org: false,
            accounts: Vec::new(),
            member_role: "OrganizationAccountAccessRole".into(),
            external_id: None,
            endpoint_url: None,
            concurrency: 16,
            home_region: "us-east-1".into(),
            access_advisor_since: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Default limit on one AWS operation, retries included (`--timeout`).
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The AWS configuration rolecall uses for a profile, endpoint and region: the standard
/// credential chain, retries with backoff (HTTP 429 included, see `stats::TooManyRequests`), and
/// timeouts (connect 10 s; each attempt and the whole
/// operation, retries included, within `timeout`), so that an endpoint that never answers ends as
/// an error, never a hang.
pub async fn sdk_config(
    profile: Option<&str>,
    endpoint: Option<&str>,
    region: &str,
    timeout: std::time::Duration,
) -> SdkConfig {
    let attempt = timeout.min(std::time::Duration::from_secs(20));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .retry_config(
            // Standard mode: exponential backoff with jitter from 100 ms. The adaptive mode's
            // client-side rate limiter made a run with 10% of calls throttled take 10.6 times
            // its fault-free time (102 s against 9.7 s, 600 functions behind the fault proxy);
            // standard mode takes the same time (BENCHMARKS.md, collector under throttling).
            RetryConfig::standard()
                .with_max_attempts(8)
                .with_initial_backoff(std::time::Duration::from_millis(100))
                .with_max_backoff(std::time::Duration::from_secs(5)),
        )
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(10).min(timeout))
                .read_timeout(attempt)
                .operation_attempt_timeout(attempt)
                .operation_timeout(timeout)
                .build(),
        );
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    if let Some(u) = endpoint {
        loader = loader.endpoint_url(u);
    }
    loader.load().await
}

/// Only what stops the collection before it starts: no usable credentials at all.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("{}", no_identity_message(.0))]
    NoIdentity(String),
}

impl CollectError {
    /// The SDK's whole account of the failure (every credential provider it tried), for `-v`.
    pub fn detail(&self) -> &str {
        match self {
            CollectError::NoIdentity(d) => d,
        }
    }
}

/// One line that says what is wrong, and how to fix it.
fn no_identity_message(detail: &str) -> String {
    let first = detail
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches("Attempted:")
        .trim_end()
        .trim_end_matches('.');
    let lower = detail.to_ascii_lowercase();
    let hint = if lower.contains("sso") && (lower.contains("token") || lower.contains("expired")) {
        "the SSO session has expired or was never started: run `aws sso login --profile NAME`, then pass --profile NAME"
    } else if lower.contains("no credentials")
        || lower.contains("credentials provider was not enabled")
        || lower.contains("imds")
    {
        "no AWS credentials were found: pass --profile NAME (for SSO, `aws sso login --profile NAME` first) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; to try rolecall without AWS, run `rolecall scan --demo`"
    } else if lower.contains("could not find profile")
        || lower.contains("profile") && lower.contains("not")
    {
        "the profile does not exist in ~/.aws/config: check --profile / AWS_PROFILE (`aws configure list-profiles` lists them)"
    } else if lower.contains("expired")
        || lower.contains("invalidclienttokenid")
        || lower.contains("signature")
    {
        "the credentials were refused: they may have expired; renew them (or `aws sso login`) and try again"
    } else {
        "check --profile, AWS_PROFILE, AWS_ACCESS_KEY_ID, an SSO login or the instance role; `rolecall scan --demo` runs without AWS"
    };
    let first: String = first.chars().take(200).collect();
    format!("cannot identify the caller (sts:GetCallerIdentity): {first}\n  hint: {hint} (-v shows the detail)")
}

/// Shared by every task: the semaphore bounding calls, the call counter, progress.
pub(crate) struct Shared {
    pub sem: Semaphore,
    pub stats: Stats,
    pub progress: Progress,
    pub opts: Options,
}

impl Shared {
    /// A config for `creds` in `region`, with the call counter attached by the client builders.
    pub fn config(&self, base: &SdkConfig, region: &str) -> SdkConfig {
        base.to_builder()
            .region(Region::new(region.to_string()))
            .build()
    }
}

/// The error of an SDK call as one line a person can act on: `Code: message` for an AWS error,
/// what went wrong for the transport (timed out, could not connect), never a debug dump.
pub fn describe<E, R>(e: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: std::error::Error
        + aws_smithy_types::error::metadata::ProvideErrorMetadata
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    // The innermost cause, as text: for transport errors it says what happened ("Connection
    // refused", "dns error").
    fn root(mut err: &(dyn std::error::Error + 'static)) -> String {
        while let Some(next) = err.source() {
            err = next;
        }
        err.to_string()
    }
    match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            match (err.code(), err.message()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.to_string(),
                (None, Some(m)) => m.to_string(),
                (None, None) => {
                    let text =
                        aws_smithy_types::error::display::DisplayErrorContext(err).to_string();
                    if text.trim().is_empty() || text.starts_with("unhandled error") {
                        "an error response with no error code or message".to_string()
                    } else {
                        text
                    }
                }
            }
        }
        SdkError::TimeoutError(_) => {
            "timed out: no answer within the time limit (--timeout), retries included".into()
        }
        SdkError::DispatchFailure(d) if d.is_timeout() => {
            "timed out connecting to the endpoint (--timeout)".into()
        }
        SdkError::DispatchFailure(d) => match d.as_connector_error() {
            Some(c) => format!("cannot reach the endpoint: {}", root(c)),
            None => "cannot reach the endpoint".into(),
        },
        SdkError::ResponseError(_) => "unreadable response from the endpoint".into(),
        SdkError::ConstructionFailure(_) => "cannot build the request".into(),
        _ => aws_smithy_types::error::display::DisplayErrorContext(e).to_string(),
    }
}

/// What a paginated read got: every item of the pages that answered, and, when a page failed,
/// why (the items before it are kept: a failed page 2 does not throw page 1 away).
#[derive(Debug)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub error: Option<String>,
}

impl<T> Paged<T> {
    /// The items and the error, for callers that keep what was read.
    pub fn split(self) -> (Vec<T>, Option<String>) {
        (self.items, self.error)
    }

    /// All or nothing, for callers where a partial list would mislead (the policies of one
    /// Organization node).
    pub fn into_result(self) -> Result<Vec<T>, String> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.items),
        }
    }
}

/// Every page of a paginated call: `page(token)` fetches one page (items and the next token),
/// holding one of the semaphore's permits. Stops at the last page, when a page fails (keeping
/// what came before), or when a token repeats (an endpoint that echoes its token must not loop
/// forever).
pub(crate) async fn all_pages<T, F, Fut>(sem: &Semaphore, mut page: F) -> Paged<T>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), String>>,
{
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let mut n = 1usize;
    loop {
        let got = {
            let _p = sem.acquire().await;
            page(token.clone()).await
        };
        let (items, next) = match got {
            Ok(x) => x,
            Err(e) => {
                let error = if n == 1 {
                    e
                } else {
                    format!(
                        "page {n} failed after {} item(s) were read (kept): {e}",
                        out.len()
                    )
                };
                return Paged {
                    items: out,
                    error: Some(error),
                };
            }
        };
        out.extend(items);
        match next {
            Some(t) if !t.is_empty() && Some(&t) != token.as_ref() => token = Some(t),
            _ => {
                return Paged {
                    items: out,
                    error: None,
                }
            }
        }
        n += 1;
    }
}

pub(crate) fn gap(account: &str, region: Option<&str>, api: &str, error: String) -> CoverageEntry {
    CoverageEntry {
        account: account.to_string(),
        region: region.map(str::to_string),
        api: api.to_string(),
        error,
    }
}

/// The start of every collection: the AWS configuration of `opts`, the state its tasks share,
/// and the caller's account (identifying the caller is the one failure that stops a collection
/// before it starts).
async fn start(
    opts: &Options,
    progress: Progress,
) -> Result<(SdkConfig, Arc<Shared>, String), CollectError> {
    let base = sdk_config(
        opts.profile.as_deref(),
        opts.endpoint_url.as_deref(),
        &opts.home_region,
        opts.timeout,
    )
    .await;
    let shared = Arc::new(Shared {
        sem: Semaphore::new(opts.concurrency.max(1)),
        stats: Stats::new(),
        progress,
        opts: opts.clone(),
    });
    let sts = aws_sdk_sts::Client::from_conf(shared.stats.sts(&base));
    let caller = {
        let _p = shared.sem.acquire().await;
        sts.get_caller_identity()
            .send()
            .await
            .map_err(|e| CollectError::NoIdentity(describe(&e)))?
    };
    let caller_account = caller.account().unwrap_or_default().to_string();
    Ok((base, shared, caller_account))
}

/// The regions to read in `account`, as `--regions` says; what cannot be listed is coverage.
pub(crate) async fn regions_of(
    shared: &Shared,
    cfg: &SdkConfig,
    account: &str,
    coverage: &mut Vec<CoverageEntry>,
) -> Vec<String> {
    let listed = match &shared.opts.regions {
        Regions::List(r) => return r.clone(),
        Regions::All => regions::all(shared, cfg, account).await,
        Regions::Enabled => regions::enabled(shared, cfg, account).await,
    };
    listed.unwrap_or_else(|g| {
        coverage.push(g);
        Vec::new()
    })
}

/// Credentials in `account`: the caller's own when it is the caller's account, else a session
/// of `role` there (for writes a member account must make itself, such as an Organization Config
/// rule's `PutEvaluations`). Returns the configuration and whether a role was assumed.
pub async fn config_in_account(
    opts: &Options,
    account: &str,
    role: &str,
) -> Result<(SdkConfig, bool), String> {
    let mut o = opts.clone();
    o.member_role = role.to_string();
    let (base, shared, caller_account) = start(&o, Progress::new(ProgressMode::Quiet))
        .await
        .map_err(|e| e.to_string())?;
    if account.is_empty() || account == caller_account {
        return Ok((base, false));
    }
    account_config(&shared, &base, account, &caller_account)
        .await
        .map(|c| (c, true))
        .map_err(|g| format!("{}: {}", g.api, g.error))
}

/// One account's Organization context (the Organization, and the SCPs and RCPs on the account's
/// path) without listing every account: for scans of one account inside an Organization.
pub async fn account_organization(
    opts: &Options,
    account: &str,
) -> Result<
    (
        Account,
        Option<rolecall_inventory::Organization>,
        Vec<CoverageEntry>,
    ),
    CollectError,
> {
    let (base, shared, _) = start(opts, Progress::new(ProgressMode::Quiet)).await?;
    Ok(orgs::account_policies(&shared, &base, account).await)
}

/// The Organization alone: its ACTIVE accounts with the SCPs and RCPs on their paths, no roles
/// or functions (the plan of a scan fanned out one account per task). Fails only when the caller
/// cannot be identified; what cannot be read is coverage.
pub async fn organization(opts: Options) -> Result<Inventory, CollectError> {
    let (base, shared, caller_account) = start(&opts, Progress::new(ProgressMode::Quiet)).await?;
    let mut inv = Inventory::new("aws");
    inv.collected_at = Some(now_rfc3339());
    match orgs::accounts_and_policies(&shared, &base, &caller_account).await {
        Ok(view) => {
            inv.accounts = view.accounts;
            inv.organization = view.organization;
            inv.coverage.extend(view.coverage);
        }
        Err(g) => {
            inv.coverage.push(g);
            inv.accounts.push(Account {
                id: caller_account,
                ..Default::default()
            });
        }
    }
    inv.normalize();
    Ok(inv)
}

/// Collects an inventory. Never fails once the caller is identified: what cannot be read is
/// recorded in `inventory.coverage`.
pub async fn collect(
    opts: Options,
    progress: Progress,
) -> Result<(Inventory, Stats), CollectError> {
    let started = Instant::now();
    let (base, shared, caller_account) = start(&opts, progress).await?;
    let mut inv = Inventory::new("aws");
    inv.collected_at = Some(now_rfc3339());

    // Which accounts, and (with --org) the SCPs on their paths.
    let mut accounts: Vec<Account> = Vec::new();
    if opts.org {
        match orgs::accounts_and_policies(&shared, &base, &caller_account).await {
            Ok(view) => {
                accounts = view.accounts;
                inv.organization = view.organization;
                inv.coverage.extend(view.coverage);
            }
            Err(g) => {
                inv.coverage.push(g);
                accounts.push(Account {
                    id: caller_account.clone(),
                    ..Default::default()
                });
            }
        }
        if !opts.accounts.is_empty() {
            accounts.retain(|a| opts.accounts.contains(&a.id));
        }
    } else if opts.accounts.is_empty() {
        accounts.push(Account {
            id: caller_account.clone(),
            ..Default::default()
        });
    } else {
        accounts.extend(opts.accounts.iter().map(|id| Account {
            id: id.clone(),
            ..Default::default()
        }));
    }
    shared.progress.set_accounts(accounts.len());

    let results: Vec<Inventory> = stream::iter(accounts.iter().cloned())
        .map(|acct| {
            let shared = shared.clone();
            let base = base.clone();
            let caller_account = caller_account.clone();
            async move { collect_account(shared, base, acct.id.clone(), caller_account).await }
        })
        .buffer_unordered(opts.concurrency.clamp(1, 8))
        .collect()
        .await;
    inv.accounts = accounts;
    inv.merge_many(results);
    inv.source = "aws".into();
    inv.normalize();
    shared.progress.finish(&inv);
    let mut stats = shared.stats.clone();
    stats.wall = started.elapsed();
    Ok((inv, stats))
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        rolecall_inventory::day_text(days),
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Credentials for an account: the caller's own, or the member role's through AssumeRole.
async fn account_config(
    shared: &Shared,
    base: &SdkConfig,
    account: &str,
    caller_account: &str,
) -> Result<SdkConfig, CoverageEntry> {
    if account == caller_account {
        return Ok(base.clone());
    }
    let sts = aws_sdk_sts::Client::from_conf(shared.stats.sts(base));
    let role_arn = format!("arn:aws:iam::{account}:role/{}", shared.opts.member_role);
    let mut req = sts
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("rolecall")
        .duration_seconds(3600);
    if let Some(x) = &shared.opts.external_id {
        req = req.external_id(x);
    }
    let out = {
        let _p = shared.sem.acquire().await;
        req.send().await
    }
    .map_err(|e| {
        gap(
            account,
            None,
            "sts:AssumeRole",
            format!("{role_arn}: {}", describe(&e)),
        )
    })?;
    let c = out.credentials().ok_or_else(|| {
        gap(
            account,
            None,
            "sts:AssumeRole",
            "no credentials in the response".into(),
        )
    })?;
    let expiry = std::time::SystemTime::try_from(*c.expiration()).ok();
    let creds = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        expiry,
        "rolecall-assume-role",
    );
    Ok(base
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(creds))
        .build())
}

async fn collect_account(
    shared: Arc<Shared>,
    base: SdkConfig,
    account: String,
    caller_account: String,
) -> Inventory {
    let mut inv = Inventory::new("aws");
    let cfg = match account_config(&shared, &base, &account, &caller_account).await {
        Ok(c) => c,
        Err(g) => {
            inv.coverage.push(g);
            shared.progress.account_done(&account, false);
            return inv;
        }
    };
    match iam::authorization_details(&shared, &cfg, &account).await {
        Ok((roles, policies, partial)) => {
            inv.roles = roles;
            inv.managed_policies = policies;
            inv.coverage.extend(partial);
        }
        Err(g) => inv.coverage.push(g),
    }
    if let Some(since) = shared.opts.access_advisor_since {
        let client = aws_sdk_iam::Client::from_conf(shared.stats.iam(&cfg));
        let execution_roles: Vec<String> = inv
            .roles
            .iter()
            .filter(|r| r.trust_policy.text().contains("lambda.amazonaws.com"))
            .map(|r| r.arn.clone())
            .collect();
        let results: Vec<(String, Result<_, String>)> = stream::iter(execution_roles)
            .map(|arn| {
                let client = client.clone();
                let shared = shared.clone();
                async move {
                    let r = advisor::last_accessed(
                        &client,
                        &shared.sem,
                        &arn,
                        since,
                        std::time::Duration::from_secs(1),
                    )
                    .await;
                    (arn, r)
                }
            })
            .buffer_unordered(shared.opts.concurrency.clamp(1, 8))
            .collect()
            .await;
        // Access Advisor covers the whole window for every role it could read; it records
        // management actions only (S3 and Lambda data calls are not in its action-level data).
        let mut covered = rolecall_inventory::AccountCoverage {
            whole_window: true,
            management_events: true,
            ..Default::default()
        };
        for (arn, r) in &results {
            if r.is_err() {
                covered.unread_roles.insert(arn.clone());
            }
        }
        let mut usage = rolecall_inventory::Usage {
            sources: vec!["access-advisor".into()],
            coverage: Some(rolecall_inventory::UsageCoverage {
                accounts: std::iter::once((account.clone(), covered)).collect(),
            }),
            ..Default::default()
        };
        for (arn, r) in results {
            match r {
                Ok(actions) if !actions.is_empty() => {
                    usage.roles.insert(
                        arn,
                        rolecall_inventory::RoleUsage {
                            functions: Vec::new(),
                            actions,
                            denied: Default::default(),
                        },
                    );
                }
                Ok(_) => {}
                Err(e) => inv.coverage.push(gap(
                    &account,
                    None,
                    "iam:GenerateServiceLastAccessedDetails",
                    format!("{arn}: {e}"),
                )),
            }
        }
        inv.usage = Some(usage);
    }
    let regions = regions_of(&shared, &cfg, &account, &mut inv.coverage).await;
    shared.progress.add_regions(regions.len());
    let per_region: Vec<Inventory> = stream::iter(regions.clone())
        .map(|region| {
            let shared = shared.clone();
            let cfg = shared.config(&cfg, &region);
            let account = account.clone();
            async move { lambda::collect_region(&shared, &cfg, &account, &region).await }
        })
        .buffer_unordered(shared.opts.concurrency.clamp(1, 8))
        .collect()
        .await;
    for r in per_region {
        inv.merge(r);
    }
    inv.regions = regions;
    shared.progress.account_done(&account, true);
    inv
}

/// IAM Access Analyzer's unused-access findings about roles (`UnusedPermission`,
/// `UnusedIAMRole`), through the analyzer `analyzer_arn`.
pub async fn analyzer_findings(
    cfg: &SdkConfig,
    analyzer_arn: &str,
) -> Result<Vec<usage_sources::UnusedFinding>, String> {
    let client = aws_sdk_accessanalyzer::Client::new(cfg);
    usage_sources::analyzer_findings(&client, analyzer_arn).await
}
