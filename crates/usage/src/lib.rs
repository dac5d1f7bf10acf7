//! What execution roles actually did, from CloudTrail events in the shapes users have them:
//! CloudTrail's S3 delivery (`{"Records": [...]}`, gzipped or not), `aws cloudtrail lookup-events`
//! output (`Events[].CloudTrailEvent`), EventBridge "AWS API Call via CloudTrail" events, single
//! records, arrays of either, and JSON lines (CloudTrail Lake, Athena and CloudWatch Logs exports,
//! Logstash dumps). A file of any other shape is an error that names it.
//!
//! Files are read one at a time (memory stays flat as the input grows); each event is attributed
//! to the role that made it (`userIdentity.sessionContext.sessionIssuer.arn`) and to the function
//! (Lambda names the role session after the function), and mapped to IAM actions by
//! [`mapping`]. Calls refused for lack of permission are denied calls, not use; calls that failed
//! authentication are neither. The reader records what the logs cover (accounts, regions, days,
//! management and data events) so that a role the logs do not cover is never called unused.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod mapping;
pub mod suggest;

use mapping::{map_event, Mapping, Target};
use rolecall_catalog::{ActionId, ActionSet, Catalog};
use rolecall_inventory::{AccountCoverage, ActionUse, RoleUsage, Usage, UsageCoverage};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Resource ARNs kept per action and role.
const MAX_RESOURCES: usize = 32;
/// `s3:prefix` values kept per listing action and role.
const MAX_PREFIXES: usize = 32;

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReadStats {
    pub files: u64,
    pub events: u64,
    /// Events by an assumed role, in the window, mapped to an action.
    pub attributed: u64,
    pub outside_window: u64,
    /// Calls that AWS refused for lack of permission (`AccessDenied*`, `UnauthorizedOperation`,
    /// SNS `AuthorizationError`, ...): not use; by role in the usage's `denied`.
    pub denied: u64,
    /// Calls that failed authentication (`ExpiredToken`, `InvalidClientTokenId`,
    /// `SignatureDoesNotMatch`, `UnrecognizedClientException`, ...): neither use nor a denial.
    pub auth_failed: u64,
    /// Calls that need no permission (`sts:GetCallerIdentity`).
    pub no_permission: u64,
    /// Events by users, services, roots: not an execution role.
    pub not_a_role: u64,
    pub malformed_events: u64,
    /// `file: error` for files that could not be read (truncated gzip, not JSON, a shape that is
    /// not CloudTrail events, ...).
    pub bad_files: Vec<String>,
    /// `eventSource:eventName` that neither the event table nor the catalogue knows, with counts.
    pub unknown_actions: BTreeMap<String, u64>,
    /// Files by the shape they were read as (`records`, `lookup-events`, `eventbridge`,
    /// `record`, `array`, `json-lines`).
    pub shapes: BTreeMap<String, u64>,
}

/// Is this `errorCode` a refusal for lack of permission? `KMSAccessDeniedException` (Lambda
/// could not use a key on the function's behalf) and throttling or validation errors are not:
/// the call was authorized.
pub fn is_authorization_failure(code: &str) -> bool {
    code.starts_with("AccessDenied")
        || code == "UnauthorizedOperation"
        || code == "Client.UnauthorizedOperation"
        || code == "AuthorizationError"
        || code == "AuthorizationErrorException"
        || code == "UnauthorizedException"
        || code == "Forbidden"
        || code == "ForbiddenException"
}

/// Is this `errorCode` a failed authentication (the caller was never identified)?
pub fn is_authentication_failure(code: &str) -> bool {
    matches!(
        code,
        "ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "UnrecognizedClientException"
            | "InvalidAccessKeyId"
            | "IncompleteSignature"
            | "MissingAuthenticationToken"
            | "AuthFailure"
            | "InvalidToken"
            | "InvalidSignatureException"
    )
}

#[derive(Deserialize)]
struct Log<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<Record<'a>>,
}

/// The top level of a file that is not the typed fast path: which shape it is.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "Records", borrow)]
    records: Option<Vec<&'a serde_json::value::RawValue>>,
    #[serde(rename = "Events", borrow)]
    events: Option<Vec<LookupEvent<'a>>>,
    #[serde(rename = "detail-type", borrow)]
    detail_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    detail: Option<&'a serde_json::value::RawValue>,
    #[serde(rename = "eventSource", borrow)]
    event_source: Option<Cow<'a, str>>,
    #[serde(rename = "eventName", borrow)]
    event_name: Option<Cow<'a, str>>,
    /// CloudWatch Logs exports and some pipelines wrap the record as text.
    #[serde(borrow)]
    message: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct LookupEvent<'a> {
    #[serde(rename = "CloudTrailEvent", borrow)]
    cloud_trail_event: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    #[serde(borrow)]
    event_source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_name: Option<Cow<'a, str>>,
    /// Logstash and Elastic exports rename `eventTime` to `@timestamp`.
    #[serde(borrow, alias = "@timestamp")]
    event_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error_code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_identity: Option<Identity<'a>>,
    #[serde(borrow, default, deserialize_with = "null_as_empty")]
    resources: Vec<EventResource<'a>>,
    #[serde(borrow)]
    aws_region: Option<Cow<'a, str>>,
    #[serde(borrow)]
    recipient_account_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    request_parameters: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    event_category: Option<Cow<'a, str>>,
    management_event: Option<bool>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// The request parameters that name resources (other fields are skipped unread).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Params<'a> {
    #[serde(borrow)]
    table_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    queue_url: Option<Cow<'a, str>>,
    #[serde(borrow)]
    topic_arn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    secret_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    function_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    bucket_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    key: Option<Cow<'a, str>>,
    #[serde(borrow)]
    prefix: Option<Cow<'a, str>>,
    #[serde(rename = "x-amz-copy-source", borrow)]
    copy_source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    stream_name: Option<Cow<'a, str>>,
    #[serde(rename = "streamARN", borrow)]
    stream_arn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    state_machine_arn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    key_id: Option<Cow<'a, str>>,
    /// SSM parameter names.
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    /// DynamoDB `TransactWriteItems`: which item operations it holds.
    #[serde(default)]
    transact_items: Option<Vec<serde_json::Value>>,
    /// DynamoDB PartiQL.
    #[serde(borrow)]
    statement: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identity<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    account_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    invoked_by: Option<Cow<'a, str>>,
    #[serde(borrow)]
    session_context: Option<SessionContext<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionContext<'a> {
    #[serde(borrow)]
    session_issuer: Option<Issuer<'a>>,
}

#[derive(Deserialize)]
struct Issuer<'a> {
    #[serde(borrow)]
    arn: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct EventResource<'a> {
    #[serde(rename = "ARN", borrow)]
    arn: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
}

/// The first IAM action a CloudTrail event stands for, if the event table or the catalogue knows
/// it (see [`mapping::map_event`] for every action of the event).
pub fn action_of(cat: &Catalog, source: &str, name: &str) -> Option<ActionId> {
    match map_event(cat, source, name) {
        Mapping::Actions(t) => t.first().map(|t| t.action),
        _ => None,
    }
}

/// The role session name in `arn:aws:sts::111111111111:assumed-role/ROLE/SESSION`.
fn session_name(arn: &str) -> Option<&str> {
    let rest = arn.split(":assumed-role/").nth(1)?;
    rest.split_once('/').map(|(_, s)| s)
}

/// `aws`, `aws-cn`, `aws-us-gov` from an ARN.
fn partition_of(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")?.split(':').next()
}

/// Does the ARN fit a resource type of the action? CloudTrail's resource `type`
/// (`AWS::S3::Object`) is compared with the catalogue's resource type name (`object`); without
/// it the ARN is matched against the type's ARN format (an S3 bucket ARN has no `/`).
fn fits(cat: &Catalog, action: ActionId, arn: &str, kind: Option<&str>) -> bool {
    let Some(service) = cat.service_of(action) else {
        return false;
    };
    // No allocation: this runs for every resource of every event.
    let types = || {
        cat.resource_type_indexes(action)
            .filter_map(|(i, _)| service.resource_types.get(i))
    };
    if let Some(k) = kind.and_then(|k| k.rsplit("::").next()) {
        if types().any(|t| t.name.eq_ignore_ascii_case(k)) {
            return true;
        }
        if service
            .resource_types
            .iter()
            .any(|t| t.name.eq_ignore_ascii_case(k))
        {
            // A type of the service the action does not take.
            return false;
        }
    }
    types().any(|t| {
        if t.arn_format.contains(":s3:::${BucketName}") && !t.arn_format.contains('/') {
            // The bucket type: `arn:aws:s3:::name`, never an object.
            arn.strip_prefix("arn:")
                .and_then(|r| r.split_once(":s3:::"))
                .is_some_and(|(_, rest)| !rest.contains('/'))
        } else {
            t.pattern.is_match(arn)
        }
    })
}

/// Which of the action's resource kinds is it: does it take S3 objects, buckets, both?
fn takes(cat: &Catalog, action: ActionId, type_name: &str) -> bool {
    cat.resource_types(action)
        .iter()
        .any(|(t, _)| t.name == type_name)
}

/// Resource ARNs an event names in its request parameters, for the services whose calls carry
/// no `resources` list. The partition comes from the caller's ARN, the account from the event
/// (`recipientAccountId`, or the queue URL's path).
fn resources_from_parameters(
    cat: &Catalog,
    action: ActionId,
    copy_source: bool,
    source: &str,
    ctx: (&str, &str, &str),
    p: &Params<'_>,
) -> Vec<String> {
    let (partition, region, account) = ctx;
    let mut out = Vec::new();
    let arn_or = |v: &str, make: &dyn Fn(&str) -> String| -> String {
        if v.starts_with("arn:") {
            v.to_string()
        } else {
            make(v)
        }
    };
    match source {
        "s3.amazonaws.com" if copy_source => {
            if let Some(src) = p.copy_source.as_deref() {
                let src = src.trim_start_matches('/');
                let src = src.split_once("?versionId=").map_or(src, |(a, _)| a);
                // URL-encoded as S3 takes it; a malformed escape is kept as written.
                let src = rolecall_policy::decode_document(src)
                    .map(|c| c.into_owned())
                    .unwrap_or_else(|_| src.to_string());
                if src.contains('/') {
                    out.push(format!("arn:{partition}:s3:::{src}"));
                }
            }
        }
        "s3.amazonaws.com" => match (p.bucket_name.as_deref(), p.key.as_deref()) {
            (Some(b), Some(k)) if takes(cat, action, "object") => {
                out.push(format!("arn:{partition}:s3:::{b}/{k}"))
            }
            (Some(b), _) if takes(cat, action, "bucket") => {
                out.push(format!("arn:{partition}:s3:::{b}"))
            }
            _ => {}
        },
        "dynamodb.amazonaws.com" => {
            if let Some(t) = p.table_name.as_deref() {
                out.push(arn_or(t, &|t| {
                    format!("arn:{partition}:dynamodb:{region}:{account}:table/{t}")
                }));
            }
        }
        "sqs.amazonaws.com" => {
            if let Some(url) = p.queue_url.as_deref() {
                // https://sqs.REGION.amazonaws.com/ACCOUNT/NAME
                let mut parts = url.rsplit('/');
                if let (Some(name), Some(acct)) = (parts.next(), parts.next()) {
                    let acct = if acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit()) {
                        acct
                    } else {
                        account
                    };
                    out.push(format!("arn:{partition}:sqs:{region}:{acct}:{name}"));
                }
            }
        }
        "sns.amazonaws.com" => out.extend(p.topic_arn.as_deref().map(str::to_string)),
        "secretsmanager.amazonaws.com" => {
            if let Some(s) = p.secret_id.as_deref() {
                // A name: the ARN ends with six random characters.
                out.push(arn_or(s, &|s| {
                    format!("arn:{partition}:secretsmanager:{region}:{account}:secret:{s}-??????")
                }));
            }
        }
        "lambda.amazonaws.com" => {
            if let Some(f) = p.function_name.as_deref() {
                out.push(arn_or(f, &|f| {
                    format!("arn:{partition}:lambda:{region}:{account}:function:{f}")
                }));
            }
        }
        "kinesis.amazonaws.com" => {
            if let Some(a) = p.stream_arn.as_deref() {
                out.push(a.to_string());
            } else if let Some(n) = p.stream_name.as_deref() {
                out.push(format!(
                    "arn:{partition}:kinesis:{region}:{account}:stream/{n}"
                ));
            }
        }
        "states.amazonaws.com" => out.extend(p.state_machine_arn.as_deref().map(str::to_string)),
        "kms.amazonaws.com" => out.extend(
            p.key_id
                .as_deref()
                .filter(|k| k.starts_with("arn:") && k.contains(":key/"))
                .map(str::to_string),
        ),
        "ssm.amazonaws.com" => {
            if let Some(n) = p.name.as_deref() {
                out.push(arn_or(n, &|n| {
                    format!(
                        "arn:{partition}:ssm:{region}:{account}:parameter/{}",
                        n.trim_start_matches('/')
                    )
                }));
            }
        }
        "bedrock.amazonaws.com" => {
            if let Some(m) = p.model_id.as_deref() {
                out.push(arn_or(m, &|m| {
                    // Cross-region inference profiles are named `us.`, `eu.`, `apac.`, ...
                    let geo = m.split('.').next().unwrap_or("");
                    if m.split('.').count() > 2 && geo.len() <= 4 {
                        format!("arn:{partition}:bedrock:{region}:{account}:inference-profile/{m}")
                    } else {
                        format!("arn:{partition}:bedrock:{region}::foundation-model/{m}")
                    }
                }));
            }
        }
        _ => {}
    }
    out
}

/// Narrows a multi-action event to the operations its request holds, when logged.
fn narrow(cat: &Catalog, name: &str, p: Option<&Params<'_>>, targets: Vec<Target>) -> Vec<Target> {
    let keep: Vec<&str> = match (name, p) {
        ("TransactWriteItems", Some(p)) => {
            let Some(items) = &p.transact_items else {
                return targets;
            };
            let mut k = Vec::new();
            for it in items {
                for (field, action) in [
                    ("put", "dynamodb:PutItem"),
                    ("update", "dynamodb:UpdateItem"),
                    ("delete", "dynamodb:DeleteItem"),
                    ("conditionCheck", "dynamodb:ConditionCheckItem"),
                ] {
                    if it.get(field).is_some() && !k.contains(&action) {
                        k.push(action);
                    }
                }
            }
            k
        }
        ("ExecuteStatement", Some(p)) => {
            let Some(st) = p.statement.as_deref() else {
                return targets;
            };
            let verb = st
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            match verb.as_str() {
                "SELECT" => vec!["dynamodb:PartiQLSelect"],
                "INSERT" => vec!["dynamodb:PartiQLInsert"],
                "UPDATE" => vec!["dynamodb:PartiQLUpdate"],
                "DELETE" => vec!["dynamodb:PartiQLDelete"],
                _ => return targets,
            }
        }
        _ => return targets,
    };
    if keep.is_empty() {
        return targets;
    }
    let ids: Vec<ActionId> = keep.iter().filter_map(|a| cat.lookup(a)).collect();
    targets
        .into_iter()
        .filter(|t| ids.contains(&t.action))
        .collect()
}

/// An event name resolved once: its mapping and what coverage needs of it.
struct Mapped {
    mapping: Mapping,
    /// The service prefix of its first action (or of the event source).
    service: String,
    /// `data:<service>`.
    data_class: String,
    /// Some action is one only data events record.
    data_only: bool,
}

#[derive(Default)]
struct RoleAcc {
    actions: BTreeMap<ActionId, ActionUse>,
    denied: BTreeMap<ActionId, u64>,
}

/// Reads CloudTrail events into per-role usage and the coverage of the logs.
pub struct Reader<'c> {
    catalog: &'c Catalog,
    window: (String, String),
    roles: FxHashMap<String, RoleAcc>,
    functions: FxHashMap<String, std::collections::BTreeSet<String>>,
    /// event source → event name → mapping, so each distinct pair is resolved once.
    actions: FxHashMap<String, FxHashMap<String, std::sync::Arc<Mapped>>>,
    list_bucket: Option<ActionId>,
    coverage: BTreeMap<String, AccountCoverage>,
    data_only: ActionSet,
    pub stats: ReadStats,
    sources: Vec<String>,
}

/// What a value of a file turned out to be.
enum Shape {
    Records,
    LookupEvents,
    EventBridge,
    Record,
}

impl<'c> Reader<'c> {
    /// `window_start`/`window_end` are RFC 3339 UTC times (`2026-09-01T00:00:00Z`); CloudTrail
    /// writes `eventTime` the same way, so they compare as text.
    pub fn new(catalog: &'c Catalog, window_start: &str, window_end: &str) -> Self {
        let mut data_only = ActionSet::empty(catalog.len());
        for (_, set) in rolecall_catalog::risk::data_event_sets(catalog) {
            let set = &set;
            data_only.union_with(set);
        }
        Reader {
            catalog,
            window: (window_start.to_string(), window_end.to_string()),
            roles: FxHashMap::default(),
            functions: FxHashMap::default(),
            actions: FxHashMap::default(),
            coverage: BTreeMap::new(),
            data_only,
            list_bucket: catalog.lookup("s3:ListBucket"),
            stats: ReadStats::default(),
            sources: Vec::new(),
        }
    }

    /// Records where the next files come from (`cloudtrail:s3://bucket/prefix`).
    pub fn add_source(&mut self, source: String) {
        self.sources.push(source);
    }

    /// A file, or a directory searched recursively for `*.json`, `*.jsonl`, `*.ndjson` (each
    /// optionally `.gz`).
    pub fn read_path(&mut self, path: &Path) {
        self.sources.push(format!("cloudtrail:{}", path.display()));
        self.walk(path, true);
    }

    fn walk(&mut self, path: &Path, named: bool) {
        if path.is_dir() {
            let mut entries: Vec<_> = match std::fs::read_dir(path) {
                Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
                Err(e) => {
                    self.stats
                        .bad_files
                        .push(format!("{}: {e}", path.display()));
                    return;
                }
            };
            entries.sort();
            for p in entries {
                self.walk(&p, false);
            }
            return;
        }
        let name = path.to_string_lossy();
        let base = name.strip_suffix(".gz").unwrap_or(&name);
        // A file named on the command line is read whatever its name; in a directory, only
        // the names event files have.
        if !named
            && ![".json", ".jsonl", ".ndjson"]
                .iter()
                .any(|e| base.ends_with(e))
        {
            return;
        }
        let limit = rolecall_inventory::textfile::max_file_bytes();
        match std::fs::metadata(path) {
            Ok(m) if m.len() > limit => {
                self.stats.bad_files.push(format!(
                    "{name}: {} bytes is over the {limit}-byte limit for one input file (raise it with ROLECALL_MAX_FILE_MB)",
                    m.len()
                ));
                return;
            }
            _ => {}
        }
        match std::fs::read(path) {
            Ok(bytes) => self.read_bytes(&name, &bytes),
            Err(e) => self.stats.bad_files.push(format!("{name}: {e}")),
        }
    }

    /// One file's bytes (gzip-compressed or plain), in any of the shapes the module names.
    pub fn read_bytes(&mut self, name: &str, bytes: &[u8]) {
        self.stats.files += 1;
        let mut plain = Vec::new();
        let text: &[u8] = if bytes.starts_with(&[0x1f, 0x8b]) {
            // Bounded: a small file that inflates without end (a gzip bomb) is refused.
            let limit = rolecall_inventory::textfile::max_file_bytes();
            let mut decoder =
                flate2::read::MultiGzDecoder::new(bytes).take(limit.saturating_add(1));
            if let Err(e) = decoder.read_to_end(&mut plain) {
                self.stats.bad_files.push(format!("{name}: {e}"));
                return;
            }
            if plain.len() as u64 > limit {
                self.stats.bad_files.push(format!(
                    "{name}: inflates past the {limit}-byte limit for one input file (raise it with ROLECALL_MAX_FILE_MB)"
                ));
                return;
            }
            &plain
        } else {
            bytes
        };
        let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
        // The fast path: CloudTrail's own delivery, read typed in one pass.
        if let Ok(log) = serde_json::from_slice::<Log<'_>>(text) {
            *self.stats.shapes.entry("records".into()).or_default() += 1;
            for r in &log.records {
                self.stats.events += 1;
                self.record(r, 1);
            }
            return;
        }
        let whole = match std::str::from_utf8(text) {
            Ok(t) => t,
            Err(e) => {
                self.stats.bad_files.push(format!(
                    "{name}: not CloudTrail events: not UTF-8 text ({e})"
                ));
                return;
            }
        };
        match serde_json::from_str::<&serde_json::value::RawValue>(whole) {
            Ok(raw) => {
                let t = raw.get().trim_start();
                if t.starts_with('[') {
                    self.array(name, raw);
                } else {
                    match self.value(raw) {
                        Ok(shape) => {
                            let s = match shape {
                                Shape::Records => "records",
                                Shape::LookupEvents => "lookup-events",
                                Shape::EventBridge => "eventbridge",
                                Shape::Record => "record",
                            };
                            *self.stats.shapes.entry(s.into()).or_default() += 1;
                        }
                        Err(why) => self.stats.bad_files.push(format!("{name}: {why}")),
                    }
                }
            }
            Err(whole_err) => self.json_lines(name, whole, &whole_err),
        }
    }

    fn array(&mut self, name: &str, raw: &serde_json::value::RawValue) {
        let items: Vec<&serde_json::value::RawValue> = match serde_json::from_str(raw.get()) {
            Ok(v) => v,
            Err(e) => {
                self.stats
                    .bad_files
                    .push(format!("{name}: not CloudTrail events: {e}"));
                return;
            }
        };
        let mut known = 0usize;
        let mut first_bad = None;
        for it in &items {
            match self.value(it) {
                Ok(_) => known += 1,
                Err(why) => {
                    self.stats.malformed_events += 1;
                    first_bad.get_or_insert(why);
                }
            }
        }
        if known == 0 && !items.is_empty() {
            self.stats.malformed_events = self
                .stats
                .malformed_events
                .saturating_sub(items.len() as u64);
            self.stats.bad_files.push(format!(
                "{name}: an array of no CloudTrail events ({})",
                first_bad.unwrap_or_default()
            ));
        } else {
            *self.stats.shapes.entry("array".into()).or_default() += 1;
        }
    }

    fn json_lines(&mut self, name: &str, whole: &str, whole_err: &serde_json::Error) {
        let mut known = 0usize;
        let mut lines = 0usize;
        let mut first_bad: Option<String> = None;
        for (i, line) in whole.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            lines += 1;
            match serde_json::from_str::<&serde_json::value::RawValue>(line) {
                Ok(raw) => match self.value(raw) {
                    Ok(_) => known += 1,
                    Err(why) => {
                        self.stats.malformed_events += 1;
                        first_bad.get_or_insert(format!("line {}: {why}", i + 1));
                    }
                },
                Err(e) => {
                    self.stats.malformed_events += 1;
                    first_bad.get_or_insert(format!("line {}: {e}", i + 1));
                }
            }
        }
        if known == 0 {
            // The file as a whole is bad: its lines are not counted as malformed events too.
            self.stats.malformed_events = self.stats.malformed_events.saturating_sub(lines as u64);
            let why = if lines > 1 {
                format!(
                    "not CloudTrail events: no line is an event ({})",
                    first_bad.unwrap_or_default()
                )
            } else {
                format!("not a CloudTrail log file: {whole_err}")
            };
            self.stats.bad_files.push(format!("{name}: {why}"));
        } else {
            *self.stats.shapes.entry("json-lines".into()).or_default() += 1;
        }
    }

    /// One JSON object: a delivery file, lookup-events output, an EventBridge event or a record.
    fn value(&mut self, raw: &serde_json::value::RawValue) -> Result<Shape, String> {
        let probe: Probe<'_> =
            serde_json::from_str(raw.get()).map_err(|e| format!("not CloudTrail events: {e}"))?;
        if let Some(records) = probe.records {
            for r in records {
                self.stats.events += 1;
                self.raw_record(r.get());
            }
            return Ok(Shape::Records);
        }
        if let Some(events) = probe.events {
            for e in events {
                self.stats.events += 1;
                match e.cloud_trail_event.as_deref() {
                    Some(text) => self.raw_record(text),
                    None => self.stats.malformed_events += 1,
                }
            }
            return Ok(Shape::LookupEvents);
        }
        if let (Some(kind), Some(detail)) = (probe.detail_type.as_deref(), probe.detail) {
            if !kind.contains("via CloudTrail") {
                return Err(format!(
                    "an EventBridge event of type {kind:?}, not \"AWS API Call via CloudTrail\""
                ));
            }
            self.stats.events += 1;
            self.raw_record(detail.get());
            return Ok(Shape::EventBridge);
        }
        if probe.event_source.is_some() && probe.event_name.is_some() {
            self.stats.events += 1;
            self.raw_record(raw.get());
            return Ok(Shape::Record);
        }
        if let Some(msg) = probe.message.as_deref() {
            if let Ok(inner) = serde_json::from_str::<&serde_json::value::RawValue>(msg) {
                return self.value(inner);
            }
        }
        let keys: Vec<String> =
            serde_json::from_str::<BTreeMap<String, serde::de::IgnoredAny>>(raw.get())
                .map(|m| m.into_keys().take(8).collect())
                .unwrap_or_default();
        Err(format!(
            "not CloudTrail events: expected {{\"Records\": [...]}}, lookup-events output ({{\"Events\": [...]}}), an EventBridge \"AWS API Call via CloudTrail\" event, a record or JSON lines of them; found an object with keys {}",
            if keys.is_empty() { "(none)".to_string() } else { keys.join(", ") }
        ))
    }

    fn raw_record(&mut self, text: &str) {
        match serde_json::from_str::<Record<'_>>(text) {
            Ok(r) => self.record(&r, 1),
            Err(_) => self.stats.malformed_events += 1,
        }
    }

    fn mapping(&mut self, source: &str, name: &str) -> std::sync::Arc<Mapped> {
        if let Some(m) = self.actions.get(source).and_then(|m| m.get(name)) {
            return m.clone();
        }
        let mapping = map_event(self.catalog, source, name);
        let targets: &[Target] = match &mapping {
            Mapping::Actions(t) => t,
            _ => &[],
        };
        let service = targets
            .first()
            .map(|t| self.catalog.full_name(t.action))
            .and_then(|n| n.split(':').next().map(str::to_string))
            .unwrap_or_else(|| {
                source
                    .strip_suffix(".amazonaws.com")
                    .unwrap_or(source)
                    .to_string()
            });
        let m = std::sync::Arc::new(Mapped {
            data_only: targets.iter().any(|t| self.data_only.contains(t.action)),
            data_class: format!("data:{service}"),
            service,
            mapping,
        });
        self.actions
            .entry(source.to_string())
            .or_default()
            .insert(name.to_string(), m.clone());
        m
    }

    fn record(&mut self, r: &Record<'_>, n: u64) {
        let (Some(source), Some(name), Some(time), Some(id)) = (
            &r.event_source,
            &r.event_name,
            &r.event_time,
            &r.user_identity,
        ) else {
            self.stats.malformed_events += n;
            return;
        };
        // `2020-09-14T01:00:33.000Z` (Logstash, Athena) is CloudTrail's `2020-09-14T01:00:33Z`.
        let time: Cow<'_, str> = match (time.find('.'), time.strip_suffix('Z')) {
            (Some(19), Some(_)) => Cow::Owned(format!("{}Z", time.get(..19).unwrap_or(time))),
            _ => Cow::Borrowed(time.as_ref()),
        };
        let time = &time;
        if time.as_ref() < self.window.0.as_str() || time.as_ref() > self.window.1.as_str() {
            self.stats.outside_window += n;
            return;
        }
        let mapped = self.mapping(source, name);
        // What the logs cover: every event in the window counts, whoever made it.
        let issuer_account = id
            .session_context
            .as_ref()
            .and_then(|s| s.session_issuer.as_ref())
            .and_then(|i| i.arn.as_deref())
            .or(id.arn.as_deref())
            .and_then(|a| a.split(':').nth(4))
            .filter(|a| !a.is_empty());
        let account = r
            .recipient_account_id
            .as_deref()
            .or(id.account_id.as_deref())
            .or(issuer_account)
            .unwrap_or("");
        let data = match (r.event_category.as_deref(), r.management_event) {
            (Some(c), _) => c.eq_ignore_ascii_case("Data"),
            (None, Some(m)) => !m,
            // Records before eventVersion 1.07 say neither: the action decides.
            (None, None) => mapped.data_only,
        };
        let service = mapped.service.as_str();
        if !account.is_empty() {
            let c = match self.coverage.get_mut(account) {
                Some(c) => c,
                None => self.coverage.entry(account.to_string()).or_default(),
            };
            if let Some(region) = r.aws_region.as_deref() {
                if !c.regions.contains(region) {
                    c.regions.insert(region.to_string());
                }
            }
            if let Some(day) = time.get(..10) {
                if !c.days.contains(day) {
                    c.days.insert(day.to_string());
                }
            }
            let class = if data {
                if !c.data_events.contains(service) {
                    c.data_events.insert(service.to_string());
                }
                mapped.data_class.as_str()
            } else {
                c.management_events = true;
                "management"
            };
            match c.events.get_mut(class) {
                Some(v) => *v += n,
                None => {
                    c.events.insert(class.to_string(), n);
                }
            }
        }
        let issuer = id
            .session_context
            .as_ref()
            .and_then(|s| s.session_issuer.as_ref())
            .and_then(|i| i.arn.as_deref());
        let (Some("AssumedRole"), Some(role)) = (id.kind.as_deref(), issuer) else {
            self.stats.not_a_role += n;
            return;
        };
        let targets = match &mapped.mapping {
            Mapping::Actions(t) => t.clone(),
            Mapping::NoPermission => {
                self.stats.no_permission += n;
                return;
            }
            Mapping::Unknown => {
                *self
                    .stats
                    .unknown_actions
                    .entry(format!("{source}:{name}"))
                    .or_default() += n;
                return;
            }
        };
        let params: Option<Params<'_>> = r
            .request_parameters
            .and_then(|raw| serde_json::from_str::<Params<'_>>(raw.get()).ok());
        let targets = if targets.len() > 1 {
            narrow(self.catalog, name, params.as_ref(), targets)
        } else {
            targets
        };
        if let Some(code) = r.error_code.as_deref() {
            if is_authorization_failure(code) {
                self.stats.denied += n;
                let acc = self.role_acc(role);
                for t in &targets {
                    *acc.denied.entry(t.action).or_default() += n;
                }
                return;
            }
            if is_authentication_failure(code) {
                self.stats.auth_failed += n;
                return;
            }
            // Authorized, failed for another reason (throttling, validation, a downstream
            // key): the permission was used.
        }
        self.stats.attributed += n;
        let partition = partition_of(role).unwrap_or("aws").to_string();
        let region = r.aws_region.as_deref().unwrap_or("").to_string();
        let via = id
            .invoked_by
            .as_deref()
            .filter(|s| s.ends_with(".amazonaws.com") && *s != source.as_ref())
            .map(|s| {
                let svc = s.strip_suffix(".amazonaws.com").unwrap_or(s);
                format!("{svc}.{region}.amazonaws.com")
            });
        let cat = self.catalog;
        let mut named_per_target: Vec<Vec<String>> = Vec::with_capacity(targets.len());
        for t in &targets {
            let mut named: Vec<String> = Vec::new();
            // Nothing more to learn once the kept list is full and known to be incomplete.
            let settled = self
                .roles
                .get(role)
                .and_then(|a| a.actions.get(&t.action))
                .is_some_and(|e| e.more_resources && e.resources.len() >= MAX_RESOURCES);
            if settled {
                named_per_target.push(named);
                continue;
            }
            if !t.copy_source {
                named.extend(
                    r.resources
                        .iter()
                        .filter_map(|x| x.arn.as_deref().map(|a| (a, x.kind.as_deref())))
                        .filter(|(a, k)| fits(cat, t.action, a, *k))
                        .map(|(a, _)| a.to_string()),
                );
            }
            if named.is_empty() {
                if let Some(p) = &params {
                    named = resources_from_parameters(
                        cat,
                        t.action,
                        t.copy_source,
                        source,
                        (&partition, &region, account),
                        p,
                    );
                }
            }
            named_per_target.push(named);
        }
        let prefix = params
            .as_ref()
            .and_then(|p| p.prefix.as_deref())
            .map(str::to_string);
        let list_bucket = self.list_bucket;
        let acc = self.role_acc(role);
        for (t, named) in targets.iter().zip(named_per_target) {
            let entry = acc.actions.entry(t.action).or_default();
            entry.count += n;
            if entry.last_seen.as_deref().is_none_or(|l| l < time.as_ref()) {
                entry.last_seen = Some(time.to_string());
            }
            if !region.is_empty() && !entry.regions.contains(&region) {
                entry.regions.push(region.clone());
            }
            match &via {
                Some(v) => {
                    if !entry.via_services.contains(v) && entry.via_services.len() < 16 {
                        entry.via_services.push(v.clone());
                    }
                }
                None => entry.direct = true,
            }
            for res in named {
                if entry.resources.contains(&res) {
                    continue;
                }
                if entry.resources.len() < MAX_RESOURCES {
                    entry.resources.push(res);
                } else {
                    entry.more_resources = true;
                }
            }
            if Some(t.action) == list_bucket {
                let p = prefix.clone().unwrap_or_default();
                if !entry.prefixes.contains(&p) {
                    if entry.prefixes.len() < MAX_PREFIXES {
                        entry.prefixes.push(p);
                    } else if !entry.prefixes.iter().any(String::is_empty) {
                        // Too many prefixes to list: as good as the whole bucket.
                        entry.prefixes.push(String::new());
                    }
                }
            }
        }
        if let Some(f) = id.arn.as_deref().and_then(session_name) {
            match self.functions.get_mut(role) {
                Some(fs) => {
                    if fs.len() < 64 && !fs.contains(f) {
                        fs.insert(f.to_string());
                    }
                }
                None => {
                    self.functions
                        .insert(role.to_string(), std::iter::once(f.to_string()).collect());
                }
            }
        }
    }

    /// Rows of an aggregating query over a trail (Athena, CloudTrail Lake): one row per role,
    /// event source, event name, error code, day and resource, with its count (`calls`). Each row
    /// is read as that many events, through the same mapping and coverage as the files.
    /// Columns: `account`, `region`, `day`, `category`, `source`, `name`, `error`,
    /// `identity_type`, `role`, `principal`, `invoked_by`, `resources` (JSON `[{"ARN", "type"}]`),
    /// `params` (JSON object of request parameters), `last_seen`, `calls`.
    pub fn read_aggregate(&mut self, source: &str, rows: &[BTreeMap<String, String>]) {
        self.sources.push(source.to_string());
        for row in rows {
            let get = |k: &str| row.get(k).map(String::as_str).filter(|v| !v.is_empty());
            let n: u64 = get("calls").and_then(|c| c.parse().ok()).unwrap_or(1);
            self.stats.events += n;
            let time = get("last_seen").map(|t| {
                // `2026-11-20 10:00:00.000` (Trino) as CloudTrail writes it.
                let t = t.replace(' ', "T");
                let t = t.get(..19).unwrap_or(&t).to_string();
                if t.ends_with('Z') {
                    t
                } else {
                    format!("{t}Z")
                }
            });
            let json_of =
                |k: &str| get(k).and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok());
            let record = serde_json::json!({
                "eventSource": get("source"),
                "eventName": get("name"),
                "eventTime": time,
                "awsRegion": get("region"),
                "recipientAccountId": get("account"),
                "errorCode": get("error"),
                "eventCategory": get("category"),
                "userIdentity": {
                    "type": get("identity_type"),
                    "arn": get("principal"),
                    "invokedBy": get("invoked_by"),
                    "sessionContext": {"sessionIssuer": {"arn": get("role")}},
                },
                "resources": json_of("resources"),
                "requestParameters": json_of("params"),
            });
            let text = record.to_string();
            match serde_json::from_str::<Record<'_>>(&text) {
                Ok(r) => self.record(&r, n),
                Err(_) => self.stats.malformed_events += n,
            }
        }
    }

    fn role_acc(&mut self, role: &str) -> &mut RoleAcc {
        if !self.roles.contains_key(role) {
            self.roles.insert(role.to_string(), RoleAcc::default());
        }
        self.roles.entry(role.to_string()).or_default()
    }

    /// The usage read so far, with what the logs cover.
    pub fn finish(self) -> (Usage, ReadStats) {
        let cat = self.catalog;
        let mut functions = self.functions;
        let roles = self
            .roles
            .into_iter()
            .map(|(role, acc)| {
                let mut actions = acc.actions;
                for u in actions.values_mut() {
                    u.resources.sort();
                    u.regions.sort();
                    u.prefixes.sort();
                    u.via_services.sort();
                }
                let usage = RoleUsage {
                    functions: functions
                        .remove(&role)
                        .map(|s| s.into_iter().collect())
                        .unwrap_or_default(),
                    actions: actions
                        .into_iter()
                        .map(|(id, u)| (cat.full_name(id), u))
                        .collect(),
                    denied: acc
                        .denied
                        .into_iter()
                        .map(|(id, n)| (cat.full_name(id), n))
                        .collect(),
                };
                (role, usage)
            })
            .collect();
        (
            Usage {
                sources: self.sources,
                window_start: self.window.0,
                window_end: self.window.1,
                roles,
                coverage: Some(UsageCoverage {
                    accounts: self.coverage,
                }),
                analyzer: None,
            },
            self.stats,
        )
    }
}
