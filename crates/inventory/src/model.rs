//! The inventory: everything rolecall knows about an estate, as plain data. Every source (live
//! collection, AWS CLI exports, IaC templates, the demo, test fixtures) produces this, and every
//! rule reads only this. Documented in `docs/inventory.md`; `schema_version` changes when a field
//! changes meaning or disappears (new optional fields do not change it).

use rolecall_policy::{parse_policy, parse_policy_value, Policy, PolicyError, PolicyKind};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// A policy document exactly as the source gave it: JSON text, kept verbatim (a JSON object, or a
/// JSON string holding URL-encoded JSON as IAM's API returns it). Held as text rather than as a
/// parsed tree: a fraction of the memory, and a malformed document still travels to be reported.
#[derive(Clone, Debug)]
pub struct Document(Box<RawValue>);

impl Document {
    pub fn from_value(v: &Value) -> Self {
        match serde_json::value::to_raw_value(v) {
            Ok(raw) => Document(raw),
            // Serialising a Value cannot fail; keep an empty object rather than panic.
            Err(_) => Document(Self::empty_raw()),
        }
    }

    fn empty_raw() -> Box<RawValue> {
        RawValue::from_string("{}".into())
            .unwrap_or_else(|_| serde_json::value::to_raw_value(&Value::Null).unwrap_or_default())
    }

    /// The JSON text.
    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// Parses the document into the policy model.
    pub fn parse(&self, name: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let t = self.text().trim_start();
        if t.starts_with('"') {
            match serde_json::from_str::<String>(t) {
                Ok(inner) => parse_policy(name, kind, &inner),
                Err(e) => Err(PolicyError {
                    policy: name.into(),
                    path: "(document)".into(),
                    message: e.to_string(),
                }),
            }
        } else if t.starts_with('{') {
            parse_policy(name, kind, t)
        } else {
            match serde_json::from_str::<Value>(t) {
                Ok(v) => parse_policy_value(name, kind, &v),
                Err(e) => Err(PolicyError {
                    policy: name.into(),
                    path: "(document)".into(),
                    message: e.to_string(),
                }),
            }
        }
    }

    /// The document as a JSON value (for reports that show it).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.text()).unwrap_or(Value::Null)
    }
}

impl PartialEq for Document {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl From<Value> for Document {
    fn from(v: Value) -> Self {
        Document::from_value(&v)
    }
}

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(Document)
    }
}

impl Default for Document {
    fn default() -> Self {
        Document(Self::empty_raw())
    }
}

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Inventory {
    pub schema_version: u32,
    /// Where the data came from: `aws`, `aws-cli-export`, `demo`, `iac`, `fixture`.
    #[serde(default)]
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    /// The Organization the accounts belong to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<Organization>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub functions: Vec<Function>,
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Customer managed policies (AWS managed ones resolve from the embedded catalogue when absent).
    #[serde(default)]
    pub managed_policies: Vec<ManagedPolicy>,
    /// What could not be collected: one entry per failed account/region/API.
    #[serde(default)]
    pub coverage: Vec<CoverageEntry>,
    /// Observed use of each role (CloudTrail, Access Advisor), when a usage source was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Kinds of data the source does not carry at all ([`DataKind`] names): rules that need them
    /// are skipped, and an absent value of that kind is unknown, never "missing".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lacks: Vec<String>,
    /// Inline policies that AWS tooling wrote, not the team (SAM policy templates), as
    /// `ROLE_ARN#POLICY_NAME`: breadth rules skip them unless `report_aws_baseline = true`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aws_baseline_policies: Vec<String>,
}

/// Kinds of data a source may lack, by the name `lacks` uses.
pub mod data_kind {
    /// Tags of functions (`aws lambda list-functions` has none).
    pub const FUNCTION_TAGS: &str = "function-tags";
    /// Function URL configurations.
    pub const FUNCTION_URLS: &str = "function-urls";
    /// Functions' resource-based policies.
    pub const RESOURCE_POLICIES: &str = "resource-policies";
    /// Event source mappings and other triggers.
    pub const TRIGGERS: &str = "triggers";
    /// Tags of roles.
    pub const ROLE_TAGS: &str = "role-tags";
    /// When roles were last used.
    pub const ROLE_LAST_USED: &str = "role-last-used";
    /// The Organization's SCPs.
    pub const SCPS: &str = "scps";

    /// Why an input lacks a kind of data, in words.
    pub fn describe(kind: &str) -> &'static str {
        match kind {
            FUNCTION_TAGS => "`aws lambda list-functions` carries no function tags",
            FUNCTION_URLS => "`aws lambda list-functions` carries no function URL configurations",
            RESOURCE_POLICIES => "`aws lambda list-functions` carries no resource-based policies",
            TRIGGERS => "`aws lambda list-functions` carries no event source mappings",
            ROLE_TAGS => "the input carries no role tags",
            ROLE_LAST_USED => "the input carries no role last-use dates",
            SCPS => "an IAM export carries no Organization policies: SCPs and RCPs that may cut these permissions are not applied",
            _ => "not in this input",
        }
    }
}

/// What roles actually did in a window, from CloudTrail (and Access Advisor).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Usage {
    /// `cloudtrail:PATH`, `access-advisor`.
    pub sources: Vec<String>,
    /// Start and end of the window (RFC 3339).
    pub window_start: String,
    pub window_end: String,
    /// By role ARN (as CloudTrail's session issuer names it).
    pub roles: BTreeMap<String, RoleUsage>,
    /// What the sources cover, by account: a role in an account they do not cover has no usage
    /// data (never "unused"). Absent in snapshots written before coverage was recorded: then the
    /// accounts of the roles seen are taken as covered, and nothing else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<UsageCoverage>,
    /// IAM Access Analyzer's unused-access findings, when read
    /// (`--usage access-analyzer-findings=ANALYZER_ARN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analyzer: Option<AnalyzerUsage>,
}

/// What an unused-access analyzer reported: for the accounts it covers, a role without a
/// finding used everything it was granted (in the analyzer's tracking period).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct AnalyzerUsage {
    pub analyzers: Vec<String>,
    /// Accounts the findings are known to cover: the analyzers' own and those with findings.
    pub accounts: BTreeSet<String>,
    /// By role ARN.
    pub roles: BTreeMap<String, AnalyzerRole>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct AnalyzerRole {
    /// `UnusedIAMRole`: not used at all in the tracking period.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unused_role: bool,
    /// Unused actions (`s3:PutObject`) or services (`s3:*`) of `UnusedPermission` findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unused: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_accessed: Option<String>,
}

/// What usage sources cover: accounts, regions, days and the classes of events they hold.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct UsageCoverage {
    pub accounts: BTreeMap<String, AccountCoverage>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct AccountCoverage {
    /// Regions with at least one event.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub regions: BTreeSet<String>,
    /// Days (`YYYY-MM-DD`) of the window with at least one event. Empty with `whole_window`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub days: BTreeSet<String>,
    /// The source covers the whole window whatever the days say (Access Advisor).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub whole_window: bool,
    /// Management events are present.
    #[serde(default)]
    pub management_events: bool,
    /// Services whose data events the logs hold (`s3`, `lambda`, `dynamodb`, ...): actions only
    /// data events record are not observable for the others.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub data_events: BTreeSet<String>,
    /// Every action is observable (usage written without coverage, by hand or before coverage
    /// was recorded: what it says is taken as complete).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_observable: bool,
    /// Roles of the account the source could not read (an Access Advisor job that failed):
    /// they have no usage data.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub unread_roles: BTreeSet<String>,
    /// Events by class (`management`, `data:s3`, ...), for the reader's report.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub events: BTreeMap<String, u64>,
}

impl UsageCoverage {
    pub fn merge(&mut self, other: UsageCoverage) {
        for (acct, c) in other.accounts {
            let mine = self.accounts.entry(acct).or_default();
            mine.regions.extend(c.regions);
            mine.days.extend(c.days);
            mine.whole_window |= c.whole_window;
            mine.all_observable |= c.all_observable;
            mine.management_events |= c.management_events;
            mine.data_events.extend(c.data_events);
            mine.unread_roles.extend(c.unread_roles);
            for (k, n) in c.events {
                *mine.events.entry(k).or_default() += n;
            }
        }
    }
}

impl Usage {
    /// Usage written without coverage (by hand, or before coverage was recorded) gets the
    /// coverage [`Usage::account_coverage`] infers for it, once, so later lookups are a map
    /// lookup rather than a pass over the roles.
    pub fn fill_legacy_coverage(&mut self) {
        if self.coverage.is_some() {
            return;
        }
        let mut c = UsageCoverage::default();
        for arn in self.roles.keys() {
            if let Some(a) = arn.split(':').nth(4).filter(|a| !a.is_empty()) {
                c.accounts
                    .entry(a.to_string())
                    .or_insert_with(|| AccountCoverage {
                        whole_window: true,
                        management_events: true,
                        all_observable: true,
                        ..Default::default()
                    });
            }
        }
        self.coverage = Some(c);
    }

    /// What the usage covers for `account`: None when the sources hold nothing of it.
    pub fn account_coverage(&self, account: &str) -> Option<Cow<'_, AccountCoverage>> {
        match &self.coverage {
            Some(c) => c.accounts.get(account).map(Cow::Borrowed),
            None => self
                .roles
                .keys()
                .any(|arn| arn.split(':').nth(4) == Some(account))
                .then(|| {
                    Cow::Owned(AccountCoverage {
                        whole_window: true,
                        management_events: true,
                        all_observable: true,
                        ..Default::default()
                    })
                }),
        }
    }

    /// Days of the window (inclusive), from `window_start` and `window_end`.
    pub fn window_days(&self) -> Vec<String> {
        let (Some(a), Some(b)) = (day_number(&self.window_start), day_number(&self.window_end))
        else {
            return Vec::new();
        };
        (a..=b.min(a + 4000)).map(day_text).collect()
    }

    /// How many of the window's days the sources cover for `account` (covered, of).
    pub fn days_covered(&self, account: &str) -> (usize, usize) {
        let days = self.window_days();
        let total = days.len();
        match self.account_coverage(account) {
            None => (0, total),
            Some(c) if c.whole_window => (total, total),
            Some(c) => (days.iter().filter(|d| c.days.contains(*d)).count(), total),
        }
    }

    /// Adds another source's observations (several accounts, CloudTrail and Access Advisor).
    pub fn merge(&mut self, other: Usage) {
        for s in other.sources {
            if !self.sources.contains(&s) {
                self.sources.push(s);
            }
        }
        if self.window_start.is_empty()
            || (!other.window_start.is_empty() && other.window_start < self.window_start)
        {
            self.window_start = other.window_start;
        }
        if other.window_end > self.window_end {
            self.window_end = other.window_end;
        }
        match (&mut self.analyzer, other.analyzer) {
            (Some(mine), Some(theirs)) => {
                for a in theirs.analyzers {
                    if !mine.analyzers.contains(&a) {
                        mine.analyzers.push(a);
                    }
                }
                mine.accounts.extend(theirs.accounts);
                for (role, r) in theirs.roles {
                    let m = mine.roles.entry(role).or_default();
                    m.unused_role |= r.unused_role;
                    for u in r.unused {
                        if !m.unused.contains(&u) {
                            m.unused.push(u);
                        }
                    }
                    if r.last_accessed > m.last_accessed {
                        m.last_accessed = r.last_accessed;
                    }
                }
            }
            (None, Some(theirs)) => self.analyzer = Some(theirs),
            _ => {}
        }
        match (&mut self.coverage, other.coverage) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (None, Some(theirs)) => self.coverage = Some(theirs),
            _ => {}
        }
        for (role, u) in other.roles {
            let mine = self.roles.entry(role).or_default();
            for f in u.functions {
                if !mine.functions.contains(&f) {
                    mine.functions.push(f);
                }
            }
            for (a, n) in u.denied {
                *mine.denied.entry(a).or_default() += n;
            }
            for (a, use_) in u.actions {
                let e = mine.actions.entry(a).or_default();
                e.count += use_.count;
                if use_.last_seen > e.last_seen {
                    e.last_seen = use_.last_seen;
                }
                for (mine, theirs) in [
                    (&mut e.resources, use_.resources),
                    (&mut e.regions, use_.regions),
                    (&mut e.prefixes, use_.prefixes),
                    (&mut e.via_services, use_.via_services),
                ] {
                    for r in theirs {
                        if !mine.contains(&r) {
                            mine.push(r);
                        }
                    }
                }
                e.direct |= use_.direct;
                e.more_resources |= use_.more_resources;
            }
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RoleUsage {
    /// Function names whose sessions made the calls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<String>,
    /// IAM action (`s3:GetObject`) → what was seen.
    pub actions: BTreeMap<String, ActionUse>,
    /// Calls AWS refused for lack of permission (`AccessDenied`, `UnauthorizedOperation`, ...),
    /// by IAM action: a missing permission or a probe, never use.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub denied: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ActionUse {
    pub count: u64,
    /// Resource ARNs the events named (at most a few dozen kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// More distinct resources were seen than are kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub more_resources: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    /// Regions the calls were made in (`awsRegion`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// `s3:prefix` values of listings (`""` for a listing of the whole bucket).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<String>,
    /// Services that made the call on the role's behalf (`s3.amazonaws.com` decrypting with a
    /// customer key): the `kms:ViaService` a policy can require.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via_services: Vec<String>,
    /// At least one call was made by the function itself, not by a service on its behalf.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub direct: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Organization {
    /// `o-...`
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_account: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Account {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// SCPs that apply to the account, one level per node of its path (root, OUs, account).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scp_levels: Vec<ScpLevel>,
    /// RCPs that apply to the account's resources, one level per node of its path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rcp_levels: Vec<ScpLevel>,
}

impl Account {
    /// The account's Organization path (`o-a1b2/r-ab12/ou-ab12-11111111/`), from the targets of
    /// its policy levels (root, then OUs; the account's own level is not part of the path).
    pub fn org_path(&self, org_id: &str) -> Option<String> {
        let levels = if self.scp_levels.is_empty() {
            &self.rcp_levels
        } else {
            &self.scp_levels
        };
        let nodes: Vec<&str> = levels
            .iter()
            .map(|l| l.target.as_str())
            .filter(|t| t.starts_with("r-") || t.starts_with("ou-"))
            .collect();
        if nodes.is_empty() {
            return None;
        }
        Some(format!("{org_id}/{}/", nodes.join("/")))
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ScpLevel {
    /// Root, OU or account id.
    pub target: String,
    #[serde(default)]
    pub name: String,
    pub policies: Vec<NamedDocument>,
}

/// A policy document with a name; the document is kept as JSON (or as the text AWS returned) so
/// that a malformed one still travels and is reported, not lost.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct NamedDocument {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    pub document: Document,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Function {
    pub arn: String,
    pub name: String,
    pub account: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    pub role_arn: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<FunctionUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<Document>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Trigger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// X-Ray tracing mode (`Active`, `PassThrough`), when the source gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing_mode: Option<String>,
    /// Subnets of a function attached to a VPC (empty: not in a VPC, or not known).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vpc_subnet_ids: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FunctionUrl {
    /// `NONE` (public) or `AWS_IAM`.
    pub auth_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Trigger {
    /// `sqs`, `kinesis`, `dynamodb`, `kafka`, `apigateway-rest`, `apigateway-http`, `s3`, `sns`, `events`, ...
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Role {
    pub arn: String,
    pub name: String,
    pub account: String,
    #[serde(default = "root_path")]
    pub path: String,
    pub trust_policy: Document,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inline_policies: Vec<NamedDocument>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_policy_arns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary_arn: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<LastUsed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
    /// The role's unique id (`AROA...`), when the source gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
}

fn root_path() -> String {
    "/".into()
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LastUsed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    /// The default version's document.
    pub document: Document,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_version: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct CoverageEntry {
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub api: String,
    pub error: String,
}

impl Inventory {
    pub fn new(source: &str) -> Self {
        Inventory {
            schema_version: SCHEMA_VERSION,
            source: source.into(),
            ..Default::default()
        }
    }

    /// Sorts every list into a stable order (by ARN or id) and removes duplicates, so that
    /// snapshots and reports are deterministic whatever order the sources answered in.
    pub fn normalize(&mut self) {
        if let Some(u) = &mut self.usage {
            u.fill_legacy_coverage();
        }
        self.accounts.sort_by(|a, b| a.id.cmp(&b.id));
        self.accounts.dedup_by(|a, b| a.id == b.id);
        self.regions.sort();
        self.regions.dedup();
        self.functions.sort_by(|a, b| a.arn.cmp(&b.arn));
        self.functions.dedup_by(|a, b| a.arn == b.arn);
        self.roles.sort_by(|a, b| a.arn.cmp(&b.arn));
        self.roles.dedup_by(|a, b| a.arn == b.arn);
        self.managed_policies.sort_by(|a, b| a.arn.cmp(&b.arn));
        self.managed_policies.dedup_by(|a, b| a.arn == b.arn);
        self.coverage.sort();
        self.coverage.dedup();
    }

    /// Adds another inventory's contents (several `--input` files make one inventory).
    pub fn merge(&mut self, other: Inventory) {
        self.absorb(other);
        self.normalize();
    }

    /// Adds many inventories' contents, sorting once at the end (the per-account parts of an
    /// Organization: one merge each would sort the growing whole every time). Where two parts
    /// hold the same account, role or function, the earlier one is kept.
    pub fn merge_many(&mut self, others: impl IntoIterator<Item = Inventory>) {
        for o in others {
            self.absorb(o);
        }
        self.normalize();
    }

    fn absorb(&mut self, other: Inventory) {
        if self.organization.is_none() {
            self.organization = other.organization;
        }
        self.accounts.extend(other.accounts);
        self.regions.extend(other.regions);
        self.functions.extend(other.functions);
        self.roles.extend(other.roles);
        self.managed_policies.extend(other.managed_policies);
        self.coverage.extend(other.coverage);
        // Keep what either part lacks: nothing is taken as complete that is not.
        for k in other.lacks {
            if !self.lacks.contains(&k) {
                self.lacks.push(k);
            }
        }
        self.lacks.sort();
        self.aws_baseline_policies
            .extend(other.aws_baseline_policies);
        self.aws_baseline_policies.sort();
        self.aws_baseline_policies.dedup();
        match (&mut self.usage, other.usage) {
            (None, u) => self.usage = u,
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (Some(_), None) => {}
        }
        if self.collected_at.is_none() {
            self.collected_at = other.collected_at;
        }
    }

    /// Does the source lack this kind of data entirely ([`data_kind`])?
    pub fn lacks(&self, kind: &str) -> bool {
        self.lacks.iter().any(|k| k == kind)
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    pub fn role(&self, arn: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.arn == arn)
    }

    /// Functions whose execution role is `role_arn`.
    pub fn functions_of<'a>(
        &'a self,
        role_arn: &'a str,
    ) -> impl Iterator<Item = &'a Function> + 'a {
        self.functions
            .iter()
            .filter(move |f| same_role(&f.role_arn, role_arn))
    }
}

/// `(account, role name)` of a role ARN, its path left out: Lambda keeps a role ARN as it was
/// configured, IAM reports it with its path, and a role name is unique in its account.
pub fn role_key(arn: &str) -> Option<(String, String)> {
    let mut parts = arn.splitn(6, ':');
    let account = parts.nth(4)?.to_string();
    let name = parts
        .next()?
        .strip_prefix("role/")?
        .rsplit('/')
        .next()?
        .to_string();
    Some((account, name))
}

/// Do two role ARNs name the same role (path ignored)?
pub fn same_role(a: &str, b: &str) -> bool {
    a == b || matches!((role_key(a), role_key(b)), (Some(x), Some(y)) if x == y)
}

/// Writes `bytes` through a temporary file beside `path`, renamed into place when complete: an
/// interrupted run never leaves a half-written file.
pub fn write_atomic(
    path: &std::path::Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    // An unpredictable name, created exclusively (never following or reusing a file someone
    // planted), beside the target so the rename is atomic.
    let (tmp, file) = {
        let mut attempt = 0u32;
        loop {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u32(attempt);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0),
            );
            let tmp = dir.join(format!(
                ".{name}.{}.{:016x}.tmp",
                std::process::id(),
                h.finish()
            ));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
            {
                Ok(f) => break (tmp, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    };
    let result = (|| {
        let mut w = std::io::BufWriter::new(file);
        fill(&mut w)?;
        w.flush()?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        // An existing report keeps its mode (a report someone made group-readable stays so).
        if let Ok(meta) = std::fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl Inventory {
    /// Writes the snapshot (pretty JSON) atomically.
    pub fn write_snapshot(&self, path: &std::path::Path) -> std::io::Result<()> {
        write_atomic(path, |w| {
            serde_json::to_writer_pretty(&mut *w, self).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })
    }
}

/// Days since 1970-01-01 of the `YYYY-MM-DD` that starts `text`.
pub fn day_number(text: &str) -> Option<i64> {
    let d = text.get(..10)?;
    let mut it = d.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let day: i64 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// `YYYY-MM-DD` of a day number (the inverse of [`day_number`]).
pub fn day_text(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
