//! A least-privilege policy from observed use, that can be deployed without breaking the
//! function:
//!
//! - the used actions grouped by service, each on the resources the events named, by resource
//!   type (bucket actions on the bucket, object actions on objects); beyond `max_resources` an
//!   action's resources are generalised to their longest common prefix, per bucket for S3 and per
//!   resource type otherwise, never past the bucket or the resource type, and the warning says so;
//! - what CloudTrail never shows but the function needs (its log group, X-Ray when tracing is on,
//!   the network interfaces of a VPC function, the reads of its event-source mappings);
//! - conditions the use supports: `aws:RequestedRegion` from the regions seen, `s3:prefix` on
//!   listings from the prefixes listed, `kms:ViaService` on key use a service made for the role;
//! - literal `*`, `?` and `$` in names escaped as IAM requires (`${*}`, `${?}`, `${$}`);
//! - a permission boundary that never blocks what the policy allows.
//!
//! [`check`] replays the observed calls and the unused grants through the engine.

use rolecall_catalog::{ActionSet, Catalog};
use rolecall_inventory::RoleUsage;
use rolecall_policy::effective::PrincipalPolicies;
use rolecall_policy::{
    evaluate, parse_policy_value, Analyzer, Context, Decision, PolicyKind, PolicySet, Request,
};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Above this many distinct resources for one action, they are generalised.
pub const DEFAULT_MAX_RESOURCES: usize = 20;

#[derive(Clone, Debug)]
pub struct Options {
    pub max_resources: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_resources: DEFAULT_MAX_RESOURCES,
        }
    }
}

/// What the suggestion needs to know about a function of the role.
#[derive(Clone, Debug, Default)]
pub struct FunctionFacts {
    pub name: String,
    pub account: String,
    pub region: String,
    /// Tracing mode `Active`: the function writes X-Ray segments.
    pub tracing_active: bool,
    pub vpc: bool,
    /// Event-source mappings: (kind `sqs`/`kinesis`/`dynamodb`/..., source ARN).
    pub event_sources: Vec<(String, String)>,
}

impl FunctionFacts {
    pub fn of(f: &rolecall_inventory::Function) -> FunctionFacts {
        FunctionFacts {
            name: f.name.clone(),
            account: f.account.clone(),
            region: f.region.clone(),
            tracing_active: f.tracing_mode.as_deref() == Some("Active"),
            vpc: !f.vpc_subnet_ids.is_empty(),
            event_sources: f
                .triggers
                .iter()
                .filter_map(|t| Some((t.kind.clone(), t.source_arn.clone()?)))
                .collect(),
        }
    }
}

/// A caveat about the suggestion, as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct Warning {
    /// `generalised`, `unscoped`, `not-observable`, `window-partial`, `baseline`,
    /// `event-source-unknown`, `denied-calls`, `service-level`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub detail: String,
}

/// One statement before it becomes JSON.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Stmt {
    service: String,
    resources: Vec<String>,
    /// operator → key → values
    conditions: BTreeMap<&'static str, BTreeMap<&'static str, Vec<String>>>,
}

pub struct Suggestion {
    pub policy: Value,
    pub boundary: Value,
    pub warnings: Vec<Warning>,
    /// Actions added because the function needs them though CloudTrail never shows them.
    pub baseline: Vec<String>,
}

/// `*`, `?` and `$` in a literal name, as IAM policy resources require them.
pub fn escape_iam(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '*' => out.push_str("${*}"),
            '?' => out.push_str("${?}"),
            '$' => out.push_str("${$}"),
            c => out.push(c),
        }
    }
    out
}

/// An observed ARN as a policy resource: literal, except the `-??????` a secret's name gets
/// when only its name was seen (the reader's pattern for the random suffix).
fn literal_resource(arn: &str) -> String {
    if arn.contains(":secretsmanager:") {
        if let Some(base) = arn.strip_suffix("-??????") {
            return format!("{}-??????", escape_iam(base));
        }
    }
    escape_iam(arn)
}

/// The longest common prefix of the texts, on a character boundary.
fn common_prefix<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut it = items.into_iter();
    let Some(first) = it.next() else {
        return String::new();
    };
    let mut len = first.len();
    for s in it {
        len = len.min(
            first
                .char_indices()
                .zip(s.chars())
                .take_while(|((_, a), b)| a == b)
                .last()
                .map_or(0, |((i, a), _)| i + a.len_utf8()),
        );
    }
    first.get(..len).unwrap_or("").to_string()
}

/// Resources of one action, generalised where there are too many (or more were seen than the
/// reader kept). Returns the policy resources and the warnings.
fn resources_for(
    action: &str,
    arns: &[String],
    more: bool,
    max: usize,
    warnings: &mut Vec<Warning>,
) -> Vec<String> {
    let mut sorted: Vec<&String> = arns.iter().collect();
    sorted.sort();
    sorted.dedup();
    if sorted.len() <= max && !more {
        return sorted.iter().map(|a| literal_resource(a)).collect();
    }
    // Group by scope: an S3 bucket (objects of one bucket generalise together), otherwise the
    // resource type (the ARN up to its first `/` or the last `:`).
    let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for a in &sorted {
        let scope = if let Some((head, rest)) = a.split_once(":s3:::") {
            match rest.split_once('/') {
                Some((bucket, _)) => format!("{head}:s3:::{bucket}/"),
                None => (*a).clone(),
            }
        } else if let Some(i) = a.find('/') {
            a.get(..=i).unwrap_or(a).to_string()
        } else {
            match a.rfind(':') {
                Some(i) => a.get(..=i).unwrap_or(a).to_string(),
                None => (*a).clone(),
            }
        };
        groups.entry(scope).or_default().push(a);
    }
    let mut out = Vec::new();
    for (scope, members) in groups {
        if members.len() == 1 && !more {
            out.extend(members.iter().map(|a| literal_resource(a)));
            continue;
        }
        if !members.iter().all(|m| m.starts_with(&scope)) || members == [scope.as_str()] {
            out.extend(members.iter().map(|a| literal_resource(a)));
            continue;
        }
        let tails: Vec<&str> = members
            .iter()
            .filter_map(|m| m.strip_prefix(scope.as_str()))
            .collect();
        let prefix = common_prefix(tails.iter().copied());
        let pattern = format!("{}{}*", escape_iam(&scope), escape_iam(&prefix));
        warnings.push(Warning {
            kind: "generalised",
            action: Some(action.to_string()),
            resource: Some(pattern.clone()),
            detail: format!(
                "{}{} resources seen{}; generalised to their common prefix within {}",
                members.len(),
                if more { "+" } else { "" },
                if more {
                    " (more than the reader keeps)"
                } else {
                    ""
                },
                scope
            ),
        });
        out.push(pattern);
    }
    out.sort();
    out.dedup();
    out
}

/// Services whose API calls are not regional (their `aws:RequestedRegion` is fixed).
const GLOBAL_SERVICES: &[&str] = &[
    "iam",
    "organizations",
    "account",
    "cloudfront",
    "route53",
    "globalaccelerator",
    "waf",
    "budgets",
    "ce",
    "support",
    "health",
    "shield",
    "sts",
];

/// What the function needs though CloudTrail never shows it: (service, actions, resources).
fn baseline(
    partition: &str,
    functions: &[FunctionFacts],
    warnings: &mut Vec<Warning>,
) -> Vec<(Vec<&'static str>, Vec<String>)> {
    let mut out: Vec<(Vec<&'static str>, Vec<String>)> = Vec::new();
    let mut logs = Vec::new();
    for f in functions {
        let group = format!(
            "arn:{partition}:logs:{}:{}:log-group:/aws/lambda/{}",
            f.region,
            f.account,
            escape_iam(&f.name)
        );
        logs.push(group.clone());
        logs.push(format!("{group}:*"));
    }
    if !logs.is_empty() {
        out.push((
            vec![
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            logs,
        ));
    }
    if functions.iter().any(|f| f.tracing_active) {
        out.push((
            vec!["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            vec!["*".into()],
        ));
    }
    if functions.iter().any(|f| f.vpc) {
        out.push((
            vec![
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            vec!["*".into()],
        ));
    }
    let mut by_kind: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for f in functions {
        for (kind, arn) in &f.event_sources {
            match kind.as_str() {
                "sqs" | "kinesis" | "dynamodb" => by_kind
                    .entry(match kind.as_str() {
                        "sqs" => "sqs",
                        "kinesis" => "kinesis",
                        _ => "dynamodb",
                    })
                    .or_default()
                    .push(escape_iam(arn)),
                other => warnings.push(Warning {
                    kind: "event-source-unknown",
                    action: None,
                    resource: Some(arn.clone()),
                    detail: format!(
                        "the {other} event-source mapping of {} needs permissions rolecall does not add; check the service's documentation",
                        f.name
                    ),
                }),
            }
        }
    }
    for (kind, mut arns) in by_kind {
        arns.sort();
        arns.dedup();
        let actions: Vec<&'static str> = match kind {
            "sqs" => vec![
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
            ],
            "kinesis" => vec![
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:ListShards",
            ],
            _ => vec![
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:DescribeStream",
                "dynamodb:ListStreams",
            ],
        };
        out.push((actions, arns));
    }
    out
}

/// The suggestion for a role from its observed use and its functions. `role_arn` gives the
/// partition; `hidden` lists granted actions the logs could not show (for the warning).
pub fn suggest(
    cat: &Catalog,
    role_arn: &str,
    usage: &RoleUsage,
    functions: &[FunctionFacts],
    opts: &Options,
) -> Suggestion {
    let partition = role_arn
        .strip_prefix("arn:")
        .and_then(|r| r.split(':').next())
        .unwrap_or("aws");
    let mut warnings = Vec::new();
    let mut groups: BTreeMap<Stmt, BTreeSet<String>> = BTreeMap::new();
    for (action, used) in &usage.actions {
        let Some(id) = cat.lookup(action) else {
            // Access Advisor knows some services only as a whole (`sqs:*`): the service was used,
            // which actions is not known. Granted as such, and said.
            if rolecall_catalog::wildcard::has_wildcard(action)
                && cat.expand(action).is_some_and(|s| !s.is_empty())
            {
                let service = action.split(':').next().unwrap_or("").to_string();
                warnings.push(Warning {
                    kind: "service-level",
                    action: Some(action.clone()),
                    resource: Some("*".into()),
                    detail: "the source knows only that the service was used (Access Advisor tracks it at service level): add CloudTrail to narrow it".into(),
                });
                groups
                    .entry(Stmt {
                        service,
                        resources: vec!["*".into()],
                        conditions: BTreeMap::new(),
                    })
                    .or_default()
                    .insert(action.clone());
            }
            continue;
        };
        let name = cat.full_name(id);
        let service = name.split(':').next().unwrap_or("").to_string();
        let resources = if !cat.supports_resource_scoping(id) {
            vec!["*".to_string()]
        } else if used.resources.is_empty() {
            warnings.push(Warning {
                kind: "unscoped",
                action: Some(name.clone()),
                resource: Some("*".into()),
                detail: "granted on * because no event named its resource".into(),
            });
            vec!["*".to_string()]
        } else {
            resources_for(
                &name,
                &used.resources,
                used.more_resources,
                opts.max_resources.max(1),
                &mut warnings,
            )
        };
        let mut conditions: BTreeMap<&'static str, BTreeMap<&'static str, Vec<String>>> =
            BTreeMap::new();
        if !used.regions.is_empty() && !GLOBAL_SERVICES.contains(&service.as_str()) {
            conditions
                .entry("StringEquals")
                .or_default()
                .insert("aws:RequestedRegion", used.regions.clone());
        }
        if name == "s3:ListBucket"
            && !used.prefixes.is_empty()
            && used.prefixes.iter().all(|p| !p.is_empty())
        {
            let mut ps: Vec<String> = used
                .prefixes
                .iter()
                .map(|p| format!("{}*", escape_iam(p)))
                .collect();
            ps.sort();
            ps.dedup();
            conditions
                .entry("StringLike")
                .or_default()
                .insert("s3:prefix", ps);
        }
        if service == "kms" && !used.direct && !used.via_services.is_empty() {
            conditions
                .entry("StringEquals")
                .or_default()
                .insert("kms:ViaService", used.via_services.clone());
        }
        groups
            .entry(Stmt {
                service,
                resources,
                conditions,
            })
            .or_default()
            .insert(name);
    }
    let mut baseline_actions = Vec::new();
    for (actions, resources) in baseline(partition, functions, &mut warnings) {
        for a in &actions {
            baseline_actions.push(a.to_string());
        }
        let service = actions
            .first()
            .and_then(|a| a.split(':').next())
            .unwrap_or("")
            .to_string();
        let set = groups
            .entry(Stmt {
                service,
                resources,
                conditions: BTreeMap::new(),
            })
            .or_default();
        set.extend(actions.iter().map(|a| a.to_string()));
    }
    if !baseline_actions.is_empty() {
        warnings.push(Warning {
            kind: "baseline",
            action: None,
            resource: None,
            detail: format!(
                "added what the function needs though CloudTrail does not show it: {}",
                baseline_actions.join(", ")
            ),
        });
    }
    if !usage.denied.is_empty() {
        let list: Vec<String> = usage
            .denied
            .iter()
            .map(|(a, n)| format!("{a} ({n})"))
            .collect();
        warnings.push(Warning {
            kind: "denied-calls",
            action: None,
            resource: None,
            detail: format!(
                "calls AWS refused are not granted (a missing permission or a probe; grant them only if the function needs them): {}",
                list.join(", ")
            ),
        });
    }
    let mut statements = Vec::new();
    let mut per_service: BTreeMap<String, usize> = BTreeMap::new();
    let mut services: BTreeSet<String> = BTreeSet::new();
    let mut granted: BTreeSet<String> = BTreeSet::new();
    for (stmt, actions) in groups {
        let n = per_service.entry(stmt.service.clone()).or_default();
        *n += 1;
        let sid: String = format!(
            "{}{}",
            stmt.service
                .split('-')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<String>(),
            n
        );
        services.insert(stmt.service.clone());
        granted.extend(actions.iter().cloned());
        let actions: Vec<String> = actions.into_iter().collect();
        let mut s = json!({
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions,
            "Resource": match stmt.resources.as_slice() { [one] => json!(one), many => json!(many) },
        });
        if !stmt.conditions.is_empty() {
            if let Some(obj) = s.as_object_mut() {
                obj.insert("Condition".into(), json!(stmt.conditions));
            }
        }
        statements.push(s);
    }
    let boundary = boundary(cat, &services, &granted);
    warnings.sort();
    warnings.dedup();
    Suggestion {
        policy: json!({"Version": "2012-10-17", "Statement": statements}),
        boundary,
        warnings,
        baseline: baseline_actions,
    }
}

/// Services the boundary keeps from the role whatever a later policy grants, unless the
/// suggested policy itself uses them.
const GUARDED: &[&str] = &["iam", "organizations", "account"];
const DESTRUCTIVE: &[&str] = &[
    "s3:DeleteBucket",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "dynamodb:DeleteTable",
    "kms:ScheduleKeyDeletion",
    "kms:PutKeyPolicy",
    "lambda:AddPermission",
    "lambda:UpdateFunctionCode",
    "sts:AssumeRole",
];

/// A boundary: the services in use, and denials of permission changes and destruction that
/// never deny an action the policy grants.
fn boundary(cat: &Catalog, services: &BTreeSet<String>, granted: &BTreeSet<String>) -> Value {
    let mut deny_changes: Vec<String> = Vec::new();
    for svc in GUARDED {
        let prefix = format!("{svc}:");
        let uses: Vec<&String> = granted.iter().filter(|a| a.starts_with(&prefix)).collect();
        if uses.is_empty() {
            deny_changes.push(format!("{svc}:*"));
            continue;
        }
        // The service is in use: deny its writes and permission changes the policy does not
        // grant, by name.
        let Some(all) = cat.expand(&format!("{svc}:*")) else {
            continue;
        };
        for id in all.iter() {
            let level = cat.access_level(id);
            if !matches!(
                level,
                Some(rolecall_catalog::AccessLevel::Write)
                    | Some(rolecall_catalog::AccessLevel::PermissionsManagement)
            ) {
                continue;
            }
            let name = cat.full_name(id);
            if !granted.contains(&name) {
                deny_changes.push(name);
            }
        }
    }
    let destructive: Vec<&str> = DESTRUCTIVE
        .iter()
        .copied()
        .filter(|a| !granted.contains(*a))
        .collect();
    let mut statements = vec![json!({
        "Sid": "ServicesInUse", "Effect": "Allow",
        "Action": services.iter().map(|s| format!("{s}:*")).collect::<Vec<_>>(),
        "Resource": "*"
    })];
    if !deny_changes.is_empty() {
        statements.push(json!({"Sid": "NoPermissionChanges", "Effect": "Deny", "Action": deny_changes, "Resource": "*"}));
    }
    if !destructive.is_empty() {
        statements.push(json!({"Sid": "NoDestruction", "Effect": "Deny", "Action": destructive, "Resource": "*"}));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// What the engine says of a suggestion.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Check {
    /// Observed authorized calls (one per action, resource, region, prefix and calling service
    /// seen), and how many the policy under its boundary allows.
    pub observed_calls: usize,
    pub observed_allowed: usize,
    /// The calls that would break, as `action on resource`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub broken: Vec<String>,
    /// Actions the role grants today and was not seen using (baseline and not-observable
    /// actions aside), and how many the suggestion denies.
    pub unused_granted: usize,
    pub unused_denied: usize,
    /// Unused actions the suggestion still grants (by name).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub still_granted: Vec<String>,
    /// Baseline actions the boundary blocks (must be none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub baseline_blocked: Vec<String>,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.observed_allowed == self.observed_calls
            && self.unused_denied == self.unused_granted
            && self.baseline_blocked.is_empty()
    }
}

/// Replays the observed calls through the engine under the suggested policy and boundary, and
/// checks that the unused grants of today's role (`granted`, its effective allowed actions,
/// less `hidden`, the actions the logs could not show) are denied.
pub fn check(
    cat: &Catalog,
    s: &Suggestion,
    role_arn: &str,
    usage: &RoleUsage,
    granted: Option<&ActionSet>,
    hidden: Option<&ActionSet>,
) -> Check {
    let mut out = Check::default();
    let (Ok(policy), Ok(boundary)) = (
        parse_policy_value("suggested", PolicyKind::Identity, &s.policy),
        parse_policy_value("suggested-boundary", PolicyKind::Boundary, &s.boundary),
    ) else {
        out.broken.push("the suggestion does not parse".into());
        return out;
    };
    let set = PolicySet {
        identity: vec![&policy],
        boundary: Some(&boundary),
        ..Default::default()
    };
    let root = {
        let mut parts = role_arn.splitn(6, ':');
        let partition = parts.nth(1).unwrap_or("aws");
        let account = parts.nth(2).unwrap_or("");
        format!("arn:{partition}:iam::{account}:root")
    };
    let Ok(stand_in) = parse_policy_value(
        "resource-policy-stand-in",
        PolicyKind::Resource,
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": root}, "Action": "*", "Resource": "*"}]}),
    ) else {
        out.broken
            .push("the stand-in resource policy does not parse".into());
        return out;
    };
    let account = role_arn.split(':').nth(4).map(str::to_string);
    let decide = |action: &str, resource: &str, ctx: &[(&str, &str)]| {
        let mut context = Context::new();
        for (k, v) in ctx {
            context.insert(k, v);
        }
        // A stand-in for the resource's own policy (a queue's, a role's trust, a key's), which
        // allowed the observed call or it would have been refused. It names the role's account
        // (`arn:aws:iam::ACCOUNT:root`), which delegates the decision to the role's own
        // policies: it never allows anything by itself.
        let r = evaluate(
            &PolicySet {
                resource_policy: Some(&stand_in),
                ..set.clone()
            },
            &Request {
                principal: Some(role_arn.to_string()),
                action: action.to_string(),
                resource: resource.to_string(),
                context,
                resource_account: account.clone(),
                ..Default::default()
            },
        );
        r.decision
    };
    for (action, used) in &usage.actions {
        let resources: Vec<&str> = if used.resources.is_empty() {
            vec!["*"]
        } else {
            used.resources.iter().map(String::as_str).collect()
        };
        let regions: Vec<Option<&str>> = if used.regions.is_empty() {
            vec![None]
        } else {
            used.regions.iter().map(|r| Some(r.as_str())).collect()
        };
        let prefixes: Vec<Option<&str>> = if action == "s3:ListBucket" && !used.prefixes.is_empty()
        {
            used.prefixes.iter().map(|p| Some(p.as_str())).collect()
        } else {
            vec![None]
        };
        let mut vias: Vec<Option<&str>> =
            used.via_services.iter().map(|v| Some(v.as_str())).collect();
        if used.direct || vias.is_empty() {
            vias.push(None);
        }
        for r in &resources {
            for region in &regions {
                for prefix in &prefixes {
                    for via in &vias {
                        let mut ctx: Vec<(&str, &str)> = Vec::new();
                        if let Some(x) = region {
                            ctx.push(("aws:RequestedRegion", x));
                        }
                        if let Some(x) = prefix {
                            ctx.push(("s3:prefix", x));
                        }
                        if let Some(x) = via {
                            ctx.push(("kms:ViaService", x));
                        }
                        out.observed_calls += 1;
                        if decide(action, r, &ctx) == Decision::Allow {
                            out.observed_allowed += 1;
                        } else if out.broken.len() < 20 {
                            out.broken.push(format!("{action} on {r}"));
                        }
                    }
                }
            }
        }
    }
    // The baseline must pass the boundary.
    for a in &s.baseline {
        if decide(a, "*", &[]) != Decision::Allow {
            // A baseline action on its own resource: try the statement's resources.
            let allowed_somewhere = s
                .policy
                .get("Statement")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|st| {
                    st.get("Action")
                        .and_then(Value::as_array)
                        .is_some_and(|xs| xs.iter().any(|x| x.as_str() == Some(a.as_str())))
                })
                .flat_map(|st| match st.get("Resource") {
                    Some(Value::Array(xs)) => xs
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect::<Vec<_>>(),
                    Some(Value::String(x)) => vec![x.clone()],
                    _ => Vec::new(),
                })
                .any(|r| decide(a, &r, &[]) == Decision::Allow);
            if !allowed_somewhere {
                out.baseline_blocked.push(a.clone());
            }
        }
    }
    if let Some(granted) = granted {
        let mut used = ActionSet::empty(cat.len());
        for a in usage.actions.keys().chain(s.baseline.iter()) {
            if let Some(id) = cat.lookup(a) {
                used.insert(id);
            } else if let Some(set) = cat.expand(a) {
                // A service known only as a whole (Access Advisor's `sqs:*`).
                used.union_with(&set);
            }
        }
        let mut unused = granted.clone();
        unused.subtract(&used);
        if let Some(h) = hidden {
            unused.subtract(h);
        }
        let mine = Analyzer::new(cat).effective(&PrincipalPolicies {
            identity: vec![&policy],
            boundary: Some(&boundary),
            ..Default::default()
        });
        let still = unused.intersection(&mine.allowed);
        out.unused_granted = unused.len();
        out.unused_denied = unused.len() - still.len();
        out.still_granted = still.iter().take(20).map(|id| cat.full_name(id)).collect();
    }
    out
}

/// CloudFormation (JSON) for the policy and the boundary, for `role_name`; the warnings and the
/// engine's check in the template's Metadata.
pub fn cloudformation(s: &Suggestion, role_name: &str, check: &Check) -> Value {
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("Least-privilege policy for {role_name}, generated by rolecall from observed use"),
        "Metadata": {"rolecall": {"warnings": s.warnings, "check": check}},
        "Resources": {
            "LeastPrivilegePolicy": {"Type": "AWS::IAM::RolePolicy", "Properties": {"RoleName": role_name, "PolicyName": "least-privilege", "PolicyDocument": s.policy}},
            "PermissionBoundary": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"ManagedPolicyName": format!("{role_name}-boundary"), "PolicyDocument": s.boundary}}
        }
    })
}

/// Text as a Terraform string literal: `${` and `%{` start interpolations and directives there,
/// so they are doubled (`$${`, `%%{`); quotes and backslashes escaped.
pub fn terraform_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            // Control characters (from hostile log data) as Terraform's `\uNNNN` escapes.
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Terraform for the policy and the boundary, the documents through `jsonencode` with every
/// string escaped for Terraform; the warnings and the check as structured comments
/// (`# rolecall: {json}`).
pub fn terraform(s: &Suggestion, role_name: &str, check: &Check) -> String {
    let ident: String = role_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let mut out = format!(
        "# Least-privilege policy for {}, generated by rolecall from observed use.\n",
        role_name
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
    );
    for w in &s.warnings {
        out.push_str(&format!(
            "# rolecall-warning: {}\n",
            serde_json::to_string(w).unwrap_or_default()
        ));
    }
    out.push_str(&format!(
        "# rolecall-check: {}\n",
        serde_json::to_string(check).unwrap_or_default()
    ));
    out.push_str(&format!(
        "resource \"aws_iam_role_policy\" \"{ident}_least_privilege\" {{\n  name   = \"least-privilege\"\n  role   = {}\n  policy = jsonencode({})\n}}\n\n",
        terraform_string(role_name),
        hcl(&s.policy, 2)
    ));
    out.push_str(&format!(
        "resource \"aws_iam_policy\" \"{ident}_boundary\" {{\n  name   = {}\n  policy = jsonencode({})\n}}\n",
        terraform_string(&format!("{role_name}-boundary")),
        hcl(&s.boundary, 2)
    ));
    out
}

/// A JSON value as an HCL expression (objects with quoted keys, strings escaped for Terraform).
fn hcl(v: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent + 2);
    let end = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            let mut s = String::from("{\n");
            for (k, x) in m {
                s.push_str(&format!(
                    "{pad}{} = {}\n",
                    terraform_string(k),
                    hcl(x, indent + 2)
                ));
            }
            s.push_str(&end);
            s.push('}');
            s
        }
        Value::Array(xs) => {
            let mut s = String::from("[\n");
            for x in xs {
                s.push_str(&format!("{pad}{},\n", hcl(x, indent + 2)));
            }
            s.push_str(&end);
            s.push(']');
            s
        }
        Value::String(x) => terraform_string(x),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_generalise_within_their_bucket_and_never_past_it() {
        let mut w = Vec::new();
        let arns: Vec<String> = (0..30)
            .map(|i| format!("arn:aws:s3:::orders/2026/{i:02}.json"))
            .chain(std::iter::once("arn:aws:s3:::other/x".to_string()))
            .collect();
        let r = resources_for("s3:GetObject", &arns, false, 20, &mut w);
        assert_eq!(r, ["arn:aws:s3:::orders/2026/*", "arn:aws:s3:::other/x"]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].kind, "generalised");
        // Two buckets each with many objects: two patterns, never `*`.
        let arns: Vec<String> = (0..30)
            .flat_map(|i| {
                [
                    format!("arn:aws:s3:::a/{i}"),
                    format!("arn:aws:s3:::b/k{i}"),
                ]
            })
            .collect();
        let r = resources_for("s3:GetObject", &arns, false, 20, &mut Vec::new());
        assert_eq!(r, ["arn:aws:s3:::a/*", "arn:aws:s3:::b/k*"]);
        let tables: Vec<String> = (0..25)
            .map(|i| format!("arn:aws:dynamodb:us-east-1:1:table/t{i}"))
            .collect();
        let r = resources_for("dynamodb:GetItem", &tables, false, 20, &mut Vec::new());
        assert_eq!(r, ["arn:aws:dynamodb:us-east-1:1:table/t*"]);
    }

    #[test]
    fn wildcards_in_names_are_escaped_for_iam_and_terraform() {
        assert_eq!(escape_iam("a*b?c$d"), "a${*}b${?}c${$}d");
        assert_eq!(
            literal_resource("arn:aws:secretsmanager:us-east-1:1:secret:db*-??????"),
            "arn:aws:secretsmanager:us-east-1:1:secret:db${*}-??????"
        );
        assert_eq!(
            terraform_string("a${*}b%{x}\"\\"),
            "\"a$${*}b%%{x}\\\"\\\\\""
        );
        // Hostile log data: control characters never reach the file raw.
        assert_eq!(terraform_string("k\u{1b}[31m"), "\"k\\u001b[31m\"");
    }
}
