//! What execution roles actually did, from CloudTrail log files as CloudTrail delivers them
//! (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`), read from a local directory.
//!
//! Files are read one at a time (memory stays flat as the input grows); each event is attributed
//! to the role that made it (`userIdentity.sessionContext.sessionIssuer.arn`) and to the function
//! (Lambda names the role session after the function), and mapped from event source and name to
//! the IAM action through the catalogue, data events included. Truncated or corrupt files,
//! malformed events and event sources the catalogue does not know are counted and reported; the
//! rest goes on.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod suggest;

use rolecall_catalog::{ActionId, Catalog};
use rolecall_inventory::{ActionUse, RoleUsage, Usage};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Resource ARNs kept per action and role.
const MAX_RESOURCES: usize = 32;

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReadStats {
    pub files: u64,
    pub events: u64,
    /// Events by an assumed role, in the window, mapped to an action.
    pub attributed: u64,
    pub outside_window: u64,
    /// Calls that AWS refused (`errorCode` AccessDenied/UnauthorizedOperation): not use.
    pub denied: u64,
    /// Events by users, services, roots: not an execution role.
    pub not_a_role: u64,
    pub malformed_events: u64,
    /// `file: error` for files that could not be read (truncated gzip, not JSON, ...).
    pub bad_files: Vec<String>,
    /// `eventSource:eventName` the catalogue does not know, with counts.
    pub unknown_actions: BTreeMap<String, u64>,
}

/// A log file: `{"Records": [...]}`. Read typed in one pass; if any record is malformed, the file
/// is read again record by record, so one bad event does not lose the others.
#[derive(Deserialize)]
struct Log<'a> {
    #[serde(rename = "Records", borrow, default)]
    records: Vec<Record<'a>>,
}

#[derive(Deserialize)]
struct RawLog<'a> {
    #[serde(rename = "Records", borrow, default)]
    records: Vec<&'a serde_json::value::RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    #[serde(borrow)]
    event_source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error_code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_identity: Option<Identity<'a>>,
    #[serde(borrow, default)]
    resources: Vec<EventResource<'a>>,
    #[serde(borrow)]
    aws_region: Option<Cow<'a, str>>,
    #[serde(borrow)]
    recipient_account_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    request_parameters: Option<&'a serde_json::value::RawValue>,
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
}

/// Resource ARNs an event names in its request parameters, for the services whose data calls
/// carry no `resources` list (DynamoDB tables, SQS queues, SNS topics, secrets, functions, S3).
fn resources_from_parameters(
    source: &str,
    region: &str,
    account: &str,
    p: &Params<'_>,
) -> Vec<String> {
    let mut out = Vec::new();
    match source {
        "dynamodb.amazonaws.com" => {
            if let Some(t) = p.table_name.as_deref() {
                out.push(if t.starts_with("arn:") {
                    t.to_string()
                } else {
                    format!("arn:aws:dynamodb:{region}:{account}:table/{t}")
                });
            }
        }
        "sqs.amazonaws.com" => {
            if let Some(name) = p.queue_url.as_deref().and_then(|u| u.rsplit('/').next()) {
                out.push(format!("arn:aws:sqs:{region}:{account}:{name}"));
            }
        }
        "sns.amazonaws.com" => out.extend(p.topic_arn.as_deref().map(str::to_string)),
        "secretsmanager.amazonaws.com" => out.extend(
            p.secret_id
                .as_deref()
                .filter(|x| x.starts_with("arn:"))
                .map(str::to_string),
        ),
        "lambda.amazonaws.com" => {
            if let Some(f) = p.function_name.as_deref() {
                out.push(if f.starts_with("arn:") {
                    f.to_string()
                } else {
                    format!("arn:aws:lambda:{region}:{account}:function:{f}")
                });
            }
        }
        "s3.amazonaws.com" => match (p.bucket_name.as_deref(), p.key.as_deref()) {
            (Some(b), Some(k)) => out.push(format!("arn:aws:s3:::{b}/{k}")),
            (Some(b), None) => out.push(format!("arn:aws:s3:::{b}")),
            _ => {}
        },
        _ => {}
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identity<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arn: Option<Cow<'a, str>>,
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
}

/// The IAM action a CloudTrail event stands for, if the catalogue knows it.
pub fn action_of(cat: &Catalog, source: &str, name: &str) -> Option<ActionId> {
    let svc = source.strip_suffix(".amazonaws.com").unwrap_or(source);
    let svc = match svc {
        "monitoring" => "cloudwatch",
        "email" => "ses",
        "streams.dynamodb" => "dynamodb",
        "s3-outposts" => "s3-outposts",
        "execute-api" => "execute-api",
        other => other,
    };
    if let Some(id) = cat.lookup(&format!("{svc}:{name}")) {
        return Some(id);
    }
    // Lambda's event names carry the API version (`GetFunction20150331v2`), and its data event for
    // an invocation is `Invoke`.
    if svc == "lambda" {
        let base = name
            .find(|c: char| c.is_ascii_digit())
            .and_then(|i| name.get(..i))
            .unwrap_or(name);
        let base = if base == "Invoke" {
            "InvokeFunction"
        } else {
            base
        };
        return cat.lookup(&format!("lambda:{base}"));
    }
    None
}

/// The role session name in `arn:aws:sts::111111111111:assumed-role/ROLE/SESSION`.
fn session_name(arn: &str) -> Option<&str> {
    let rest = arn.split(":assumed-role/").nth(1)?;
    rest.split_once('/').map(|(_, s)| s)
}

/// Reads CloudTrail log files into per-role usage.
pub struct Reader<'c> {
    catalog: &'c Catalog,
    window: (String, String),
    roles: FxHashMap<String, BTreeMap<ActionId, ActionUse>>,
    functions: FxHashMap<String, std::collections::BTreeSet<String>>,
    /// event source → event name → action (None: not in the catalogue), so each distinct pair is
    /// resolved once.
    actions: FxHashMap<String, FxHashMap<String, Option<ActionId>>>,
    pub stats: ReadStats,
    sources: Vec<String>,
}

impl<'c> Reader<'c> {
    /// `window_start`/`window_end` are RFC 3339 UTC times (`2026-09-01T00:00:00Z`); CloudTrail
    /// writes `eventTime` the same way, so they compare as text.
    pub fn new(catalog: &'c Catalog, window_start: &str, window_end: &str) -> Self {
        Reader {
            catalog,
            window: (window_start.to_string(), window_end.to_string()),
            roles: FxHashMap::default(),
            functions: FxHashMap::default(),
            actions: FxHashMap::default(),
            stats: ReadStats::default(),
            sources: Vec::new(),
        }
    }

    /// Records where the next files come from (`cloudtrail:s3://bucket/prefix`).
    pub fn add_source(&mut self, source: String) {
        self.sources.push(source);
    }

    /// A log file, or a directory searched recursively for `*.json.gz` and `*.json`.
    pub fn read_path(&mut self, path: &Path) {
        self.sources.push(format!("cloudtrail:{}", path.display()));
        self.walk(path);
    }

    fn walk(&mut self, path: &Path) {
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
                self.walk(&p);
            }
            return;
        }
        let name = path.to_string_lossy();
        if !(name.ends_with(".json.gz") || name.ends_with(".json")) {
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

    /// One log file's bytes (gzip-compressed or plain JSON).
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
        if let Ok(log) = serde_json::from_slice::<Log<'_>>(text) {
            for r in &log.records {
                self.stats.events += 1;
                self.record(r);
            }
            return;
        }
        let log: RawLog<'_> = match serde_json::from_slice(text) {
            Ok(l) => l,
            Err(e) => {
                self.stats
                    .bad_files
                    .push(format!("{name}: not a CloudTrail log file: {e}"));
                return;
            }
        };
        for raw in &log.records {
            self.stats.events += 1;
            match serde_json::from_str::<Record<'_>>(raw.get()) {
                Ok(r) => self.record(&r),
                Err(_) => self.stats.malformed_events += 1,
            }
        }
    }

    fn record(&mut self, r: &Record<'_>) {
        let (Some(source), Some(name), Some(time), Some(id)) = (
            &r.event_source,
            &r.event_name,
            &r.event_time,
            &r.user_identity,
        ) else {
            self.stats.malformed_events += 1;
            return;
        };
        if time.as_ref() < self.window.0.as_str() || time.as_ref() > self.window.1.as_str() {
            self.stats.outside_window += 1;
            return;
        }
        let issuer = id
            .session_context
            .as_ref()
            .and_then(|s| s.session_issuer.as_ref())
            .and_then(|i| i.arn.as_deref());
        let (Some("AssumedRole"), Some(role)) = (id.kind.as_deref(), issuer) else {
            self.stats.not_a_role += 1;
            return;
        };
        if r.error_code
            .as_deref()
            .is_some_and(|c| c.contains("AccessDenied") || c.contains("Unauthorized"))
        {
            self.stats.denied += 1;
            return;
        }
        let cached = self
            .actions
            .get(source.as_ref())
            .and_then(|m| m.get(name.as_ref()))
            .copied();
        let action = match cached {
            Some(a) => a,
            None => {
                let a = action_of(self.catalog, source, name);
                self.actions
                    .entry(source.to_string())
                    .or_default()
                    .insert(name.to_string(), a);
                a
            }
        };
        let Some(action) = action else {
            *self
                .stats
                .unknown_actions
                .entry(format!("{source}:{name}"))
                .or_default() += 1;
            return;
        };
        self.stats.attributed += 1;
        if !self.roles.contains_key(role) {
            self.roles.insert(role.to_string(), BTreeMap::new());
        }
        let Some(per_role) = self.roles.get_mut(role) else {
            return;
        };
        let entry = per_role.entry(action).or_default();
        entry.count += 1;
        if entry.last_seen.as_deref().is_none_or(|l| l < time.as_ref()) {
            entry.last_seen = Some(time.to_string());
        }
        let mut named: Vec<String> = Vec::new();
        if entry.resources.len() < MAX_RESOURCES {
            named.extend(
                r.resources
                    .iter()
                    .filter_map(|x| x.arn.as_deref())
                    .map(str::to_string),
            );
            if named.is_empty() {
                if let Some(p) = r
                    .request_parameters
                    .and_then(|raw| serde_json::from_str::<Params<'_>>(raw.get()).ok())
                {
                    named = resources_from_parameters(
                        source,
                        r.aws_region.as_deref().unwrap_or(""),
                        r.recipient_account_id.as_deref().unwrap_or(""),
                        &p,
                    );
                }
            }
        }
        for res in named {
            if entry.resources.len() < MAX_RESOURCES && !entry.resources.contains(&res) {
                entry.resources.push(res);
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

    /// The usage read so far.
    pub fn finish(self) -> (Usage, ReadStats) {
        let cat = self.catalog;
        let mut functions = self.functions;
        let roles = self
            .roles
            .into_iter()
            .map(|(role, actions)| {
                let mut resources_sorted = actions;
                for u in resources_sorted.values_mut() {
                    u.resources.sort();
                }
                let usage = RoleUsage {
                    functions: functions
                        .remove(&role)
                        .map(|s| s.into_iter().collect())
                        .unwrap_or_default(),
                    actions: resources_sorted
                        .into_iter()
                        .map(|(id, u)| (cat.full_name(id), u))
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
            },
            self.stats,
        )
    }
}
