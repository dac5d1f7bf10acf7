//! A whole scan: every rule over every role and function, severity overrides, disabled rules,
//! suppressions, risk scores, and the ranked result. Pure: the same inventory, catalogue,
//! configuration and date give the same result.

use crate::analysis::{map_roles_pooled, RoleAnalysis};
use crate::config::{Config, Suppression};
use crate::context::Ctx;
use crate::finding::{Finding, Severity};
use crate::risk::{score, FunctionFacts, Risk, RoleFacts};
use crate::rules::{Emitter, Rule, RULES};
use chrono::NaiveDate;
use rolecall_catalog::{wildcard, AccessLevel, ActionSet, Catalog};
use rolecall_inventory::{CoverageEntry, Function, Inventory, Problem};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

pub const RESULT_SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct ScanResult {
    pub schema_version: u32,
    pub tool: Tool,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    /// The day age-based rules were evaluated against.
    pub evaluated_on: String,
    pub catalog: String,
    pub coverage: Coverage,
    pub summary: Summary,
    /// Ranked by risk, highest first.
    pub functions: Vec<FunctionReport>,
    pub roles: Vec<RoleReport>,
    /// The remediation queue: by risk score, then severity, then code and resource.
    pub findings: Vec<Finding>,
    pub suppressed: Vec<SuppressedFinding>,
    /// Suppressions that matched nothing, or expired.
    pub suppression_notes: Vec<String>,
    /// Rules that did not run (disabled, or needing live data on a template).
    pub skipped_rules: Vec<String>,
    /// Managed policies the inventory references but does not hold (and rolecall does not embed).
    pub missing_policies: Vec<String>,
    /// Roles that are not Lambda execution roles (no function uses them, they do not trust
    /// Lambda): not audited.
    pub other_roles: usize,
    /// With `--history`: this scan against the previous scan of its scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<HistorySummary>,
}

/// New, fixed and regressed since the previous scan of the scope.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HistorySummary {
    pub scan_id: i64,
    pub previous_scan: Option<i64>,
    pub new: usize,
    pub fixed: usize,
    pub regressed: usize,
}

impl HistorySummary {
    /// What the counts are against: `scan 7`, or the start of the history.
    pub fn since(&self) -> String {
        self.previous_scan
            .map(|p| format!("scan {p}"))
            .unwrap_or_else(|| "the start of this history".into())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Coverage {
    pub accounts: usize,
    pub regions: usize,
    pub accounts_failed: usize,
    /// Account/region pairs whose functions could not be listed.
    pub regions_failed: usize,
    pub complete: bool,
    pub failures: Vec<CoverageEntry>,
    /// Kinds of data the input does not carry (`function-tags`, `scps`...): rules that need them
    /// were skipped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lacks: Vec<String>,
    /// What the usage sources cover, when the scan had any: the gap and LR601/LR602 are computed
    /// only for the roles they cover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageCoverageSummary>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct UsageCoverageSummary {
    pub sources: Vec<String>,
    pub window_start: String,
    pub window_end: String,
    pub window_days: usize,
    /// By account: days of the window covered, regions, services whose data events the logs
    /// hold.
    pub accounts: BTreeMap<String, UsageAccountSummary>,
    /// Execution roles of the inventory no source covers: no usage data, never "unused".
    pub roles_without_usage_data: usize,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct UsageAccountSummary {
    pub days_covered: usize,
    pub regions: Vec<String>,
    pub data_events: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub functions: usize,
    pub roles: usize,
    pub findings: usize,
    pub suppressed: usize,
    pub by_severity: BTreeMap<String, usize>,
    pub by_code: BTreeMap<String, usize>,
    /// Share of functions whose role no other function uses (0–1).
    pub unique_role_share: f64,
    pub roles_with_wildcard_grants: usize,
    pub average_policies_per_role: f64,
    pub max_risk_score: u8,
}

#[derive(Clone, Debug, Serialize)]
pub struct FunctionReport {
    pub arn: String,
    pub name: String,
    pub account: String,
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    pub role_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_sensitivity: Option<String>,
    pub exposure: Vec<String>,
    pub risk: Risk,
    pub findings: usize,
}

/// Services broken down by access level in a role's report.
pub const SERVICE_LEVEL_TOP: usize = 15;

#[derive(Clone, Debug, Serialize)]
pub struct RoleReport {
    pub arn: String,
    pub name: String,
    pub account: String,
    pub functions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    pub policies: usize,
    pub allowed_actions: usize,
    pub services: usize,
    pub by_access_level: BTreeMap<&'static str, usize>,
    /// Service prefix → allowed actions in it. (Keys are the catalogue's own strings: at 50,000
    /// roles a copy of each service name per role was hundreds of megabytes.)
    pub by_service: ServiceCounts,
    /// Service prefix → access level → allowed actions, for the [`SERVICE_LEVEL_TOP`] services
    /// with the most allowed actions.
    pub by_service_level: BTreeMap<&'static str, BTreeMap<&'static str, usize>>,
    pub admin: bool,
    pub wildcard_grants: bool,
    /// Granted against used, when the scan had usage data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<crate::gap::Gap>,
    pub risk_score: u8,
    pub findings: usize,
}

/// Service prefix → count, sorted by prefix and written as a JSON object: a flat vector (the
/// catalogue's own strings, no tree nodes) because an `Action: *` role carries four hundred of
/// them and a scan carries one per role.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceCounts(pub Vec<(&'static str, usize)>);

impl ServiceCounts {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(&'static str, usize)> for ServiceCounts {
    fn from_iter<I: IntoIterator<Item = (&'static str, usize)>>(it: I) -> Self {
        let mut v: Vec<(&'static str, usize)> = it.into_iter().collect();
        // The catalogue lists services by prefix already: a pass, not a sort, in practice.
        v.sort_by(|a, b| a.0.cmp(b.0));
        ServiceCounts(v)
    }
}

impl Serialize for ServiceCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct SuppressedFinding {
    pub finding: Finding,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

fn enabled(rule: &Rule, config: &Config, inv: &Inventory) -> Result<(), String> {
    if config
        .rules
        .disabled
        .iter()
        .any(|d| d.eq_ignore_ascii_case(rule.meta.code) || d == rule.meta.name)
    {
        return Err(format!(
            "{} {} (disabled in the configuration)",
            rule.meta.code, rule.meta.name
        ));
    }
    if rule.meta.code.starts_with("LR6") && inv.usage.is_none() {
        return Err(format!(
            "{} {} (needs usage data: --usage cloudtrail=PATH)",
            rule.meta.code, rule.meta.name
        ));
    }
    if rule.meta.code == "LR701" && config.golden.is_empty() {
        return Err(format!(
            "{} {} (needs approved templates: --golden DIR)",
            rule.meta.code, rule.meta.name
        ));
    }
    if rule.meta.code.starts_with("LR8") && config.baseline.is_none() {
        return Err(format!(
            "{} {} (needs an approved baseline: --baseline FILE)",
            rule.meta.code, rule.meta.name
        ));
    }
    if let Some(k) = rule.meta.needs_data.iter().find(|k| inv.lacks(k)) {
        return Err(format!(
            "{} {} (the input has no {k}: {})",
            rule.meta.code,
            rule.meta.name,
            rolecall_inventory::data_kind::describe(k)
        ));
    }
    if rule.meta.needs_live_data && inv.source == "iac" {
        return Err(format!(
            "{} {} (needs live account data)",
            rule.meta.code, rule.meta.name
        ));
    }
    Ok(())
}

/// Phase timings on standard error when `ROLECALL_TIMINGS` is set (for benchmarks; the output
/// itself never depends on it).
pub struct Phases {
    pub on: bool,
    last: std::cell::Cell<std::time::Instant>,
}

impl Phases {
    pub fn start() -> Phases {
        Phases {
            on: std::env::var_os("ROLECALL_TIMINGS").is_some(),
            last: std::cell::Cell::new(std::time::Instant::now()),
        }
    }

    pub fn mark(&self, what: &str) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!(
                "timing: {what}: {:.3} s{}",
                now.duration_since(self.last.get()).as_secs_f64(),
                resident()
            );
            self.last.set(now);
        }
    }
}

/// `, 412 MiB resident (peak 530 MiB)` from /proc on Linux; empty elsewhere.
fn resident() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb / 1024)
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(now), Some(peak)) => format!(", {now} MiB resident (peak {peak} MiB)"),
        _ => String::new(),
    }
}

/// Runs the scan. `today` is the date age rules compare against.
pub fn scan(inv: &Inventory, catalog: &Catalog, config: &Config, today: NaiveDate) -> ScanResult {
    let clock = Phases::start();
    let cx = Ctx::new(inv, catalog, config, today);
    clock.mark("context");
    let mut skipped_rules = Vec::new();
    let rules: Vec<&Rule> = RULES
        .iter()
        .copied()
        .filter(|r| match enabled(r, config, inv) {
            Ok(()) => true,
            Err(why) => {
                skipped_rules.push(why);
                false
            }
        })
        .collect();
    // LR201 consults every other role: build what it needs first, on every core, rather than
    // inside the first role's check while the other threads wait.
    if rules.iter().any(|r| r.meta.code == "LR201") {
        cx.escalation();
    }
    clock.mark("escalation index");
    let data_reads = catalog.set_of(crate::rules::data_reads());

    // Every role on every core; what each yields is put back in inventory order, so the output
    // does not depend on the number of threads.
    struct Done {
        findings: Vec<Finding>,
        missing: Vec<String>,
        report: RoleReport,
        facts: RoleFacts,
    }
    // With ROLECALL_TIMINGS, the time each role rule takes, summed over threads.
    let per_rule: Vec<AtomicU64> = rules.iter().map(|_| AtomicU64::new(0)).collect();
    let reporting = AtomicU64::new(0);
    let (done, without_role) = map_roles_pooled(inv, catalog, &cx.workers, |ra| {
        // rolecall audits execution roles: used by a function, or trusting Lambda. Other roles of
        // the account (people, CI, service-linked) are out of scope, though still consulted as
        // PassRole targets.
        if ra.functions.is_empty()
            && !crate::rules::trusts_service(&ra, "lambda.amazonaws.com")
            && !crate::rules::trusts_service(&ra, "edgelambda.amazonaws.com")
        {
            return None;
        }
        let mut mine = Vec::new();
        for (k, rule) in rules.iter().enumerate() {
            if let Some(check) = rule.role {
                let t = clock.on.then(std::time::Instant::now);
                check(
                    &cx,
                    &ra,
                    &mut Emitter {
                        meta: &rule.meta,
                        out: &mut mine,
                    },
                );
                if let (Some(t), Some(n)) = (t, per_rule.get(k)) {
                    n.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
                }
            }
        }
        let t = clock.on.then(std::time::Instant::now);
        let missing = ra
            .resolved
            .problems
            .iter()
            .filter_map(|p| match p {
                Problem::MissingManagedPolicy { policy_arn, .. } => {
                    Some(format!("{}: {policy_arn}", ra.role.arn))
                }
                _ => None,
            })
            .collect();
        let mut report = role_report(&ra, &mine, catalog, inv);
        report.gap = cx.gap(&ra.role.arn, &ra.effective.allowed);
        let facts = role_facts_of(&ra, &mine, catalog, &data_reads, report.services);
        if let Some(t) = t {
            reporting.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        }
        Some(Done {
            findings: mine,
            missing,
            report,
            facts,
        })
    });
    let other_roles = done.iter().filter(|d| d.is_none()).count();
    let mut findings: Vec<Finding> = Vec::new();
    let mut roles: Vec<RoleReport> = Vec::with_capacity(done.len());
    let mut role_facts: HashMap<String, RoleFacts> = HashMap::with_capacity(done.len());
    let mut missing = Vec::new();
    for d in done.into_iter().flatten() {
        findings.extend(d.findings);
        missing.extend(d.missing);
        role_facts.insert(d.report.arn.clone(), d.facts);
        roles.push(d.report);
    }
    clock.mark("roles: effective permissions and role rules");
    if clock.on {
        let mut spent: Vec<(u64, &str)> = per_rule
            .iter()
            .zip(&rules)
            .map(|(n, r)| (n.load(Ordering::Relaxed), r.meta.code))
            .collect();
        spent.push((reporting.load(Ordering::Relaxed), "role report"));
        spent.sort_unstable_by(|a, b| b.cmp(a));
        for (ns, code) in spent.iter().take(8) {
            eprintln!(
                "timing:   {code}: {:.3} s (CPU, all threads)",
                *ns as f64 / 1e9
            );
        }
    }
    // Function rules on every core, their findings in inventory order.
    let per_function = crate::par::map(
        inv.functions.len(),
        || (),
        |_, i| {
            let mut mine = Vec::new();
            if let Some(f) = inv.functions.get(i) {
                for rule in &rules {
                    if let Some(check) = rule.function {
                        check(
                            &cx,
                            f,
                            &mut Emitter {
                                meta: &rule.meta,
                                out: &mut mine,
                            },
                        );
                    }
                }
            }
            mine
        },
    );
    findings.reserve(per_function.iter().map(Vec::len).sum());
    for mine in per_function {
        findings.extend(mine);
    }

    // Severity overrides.
    for f in &mut findings {
        if let Some(s) = config
            .rules
            .severity
            .get(&f.code)
            .or_else(|| config.rules.severity.get(&f.name))
            .and_then(|s| Severity::parse(s))
        {
            f.severity = s;
        }
    }

    // Risk per function, then per role, then per finding. Findings indexed by function, once.
    let mut by_function: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for x in &findings {
        for a in &x.function_arns {
            by_function.entry(a.as_str()).or_default().push(x);
        }
    }
    let function_report = |f: &Function| {
        let role = cx
            .role_of(f)
            .and_then(|r| role_facts.get(&r.arn))
            .cloned()
            .unwrap_or_default();
        let mine = by_function
            .get(f.arn.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let facts = function_facts(f, mine, config);
        let mut exposure = Vec::new();
        if facts.public_url {
            exposure.push("public function URL".into());
        }
        if facts.public_policy {
            exposure.push("public resource policy".into());
        }
        if facts.api_gateway {
            exposure.push("API Gateway".into());
        }
        if facts.cross_account {
            exposure.push("cross-account invoke".into());
        }
        for t in f
            .triggers
            .iter()
            .filter(|t| !t.kind.starts_with("apigateway"))
        {
            exposure.push(format!("{} trigger", t.kind));
        }
        FunctionReport {
            arn: f.arn.clone(),
            name: f.name.clone(),
            account: f.account.clone(),
            region: f.region.clone(),
            runtime: f.runtime.clone(),
            role_arn: f.role_arn.clone(),
            team: cx.tag(&f.tags, &config.tags.owner).map(str::to_string),
            data_sensitivity: facts.sensitivity.clone(),
            exposure,
            risk: score(&role, Some(&facts)),
            findings: mine.len(),
        }
    };
    let functions: Vec<FunctionReport> = crate::par::map(
        inv.functions.len(),
        || (),
        |_, i| inv.functions.get(i).map(function_report),
    )
    .into_iter()
    .flatten()
    .collect();
    let fn_score: HashMap<&str, u8> = functions
        .iter()
        .map(|f| (f.arn.as_str(), f.risk.score))
        .collect();
    for r in &mut roles {
        r.risk_score = r
            .functions
            .iter()
            .filter_map(|a| fn_score.get(a.as_str()).copied())
            .max()
            .unwrap_or_else(|| {
                role_facts
                    .get(&r.arn)
                    .map(|rf| score(rf, None).score)
                    .unwrap_or(0)
            });
    }
    let role_score: HashMap<&str, u8> = roles
        .iter()
        .map(|r| (r.arn.as_str(), r.risk_score))
        .collect();
    for f in &mut findings {
        f.risk_score = fn_score
            .get(f.resource_arn.as_str())
            .or_else(|| role_score.get(f.resource_arn.as_str()))
            .copied()
            .unwrap_or(0);
    }

    clock.mark("function rules and risk");
    // Suppressions.
    let (findings, suppressed, suppression_notes) =
        apply_suppressions(findings, &config.suppressions, today);
    // The queue: a finding's own severity first, the risk of what it concerns within it, so no
    // low or info finding ranks above a high or critical one.
    // Sorted on keys held side by side (severity, risk and the code's rank in one small
    // record each), so most comparisons do not reach into the findings.
    let order = {
        let codes: std::collections::BTreeSet<&str> =
            findings.iter().map(|f| f.code.as_str()).collect();
        let rank: HashMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        let keys: Vec<_> = findings
            .iter()
            .map(|f| {
                (
                    std::cmp::Reverse(f.severity),
                    std::cmp::Reverse(f.risk_score),
                    rank.get(f.code.as_str()).copied().unwrap_or(usize::MAX),
                    f.resource_arn.as_str(),
                    f.id.as_str(),
                )
            })
            .collect();
        crate::par::order_by(keys.len(), |a, b| keys.get(a).cmp(&keys.get(b)))
    };
    let findings = crate::par::permute(findings, &order);
    let functions = crate::par::sort_by(functions, |a, b| {
        b.risk.score.cmp(&a.risk.score).then(a.arn.cmp(&b.arn))
    });
    let roles = crate::par::sort_by(roles, |a, b| {
        b.risk_score.cmp(&a.risk_score).then(a.arn.cmp(&b.arn))
    });

    let mut by_severity: BTreeMap<String, usize> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    let mut by_code = BTreeMap::new();
    for f in &findings {
        *by_severity.entry(f.severity.as_str().into()).or_default() += 1;
        match by_code.get_mut(&f.code) {
            Some(n) => *n += 1,
            None => {
                by_code.insert(f.code.clone(), 1);
            }
        }
    }
    let sharing: HashMap<&str, usize> = roles
        .iter()
        .map(|r| (r.arn.as_str(), r.functions.len()))
        .collect();
    let unique = functions
        .iter()
        .filter(|f| match cx.role_of_arn(&f.role_arn) {
            Some(r) => sharing.get(r.arn.as_str()).copied().unwrap_or(0) <= 1,
            None => true,
        })
        .count();
    let summary = Summary {
        functions: functions.len(),
        roles: roles.len(),
        findings: findings.len(),
        suppressed: suppressed.len(),
        by_severity,
        by_code,
        unique_role_share: if functions.is_empty() {
            1.0
        } else {
            round2(unique as f64 / functions.len() as f64)
        },
        roles_with_wildcard_grants: roles.iter().filter(|r| r.wildcard_grants).count(),
        average_policies_per_role: if roles.is_empty() {
            0.0
        } else {
            round2(roles.iter().map(|r| r.policies).sum::<usize>() as f64 / roles.len() as f64)
        },
        max_risk_score: functions
            .iter()
            .map(|f| f.risk.score)
            .chain(roles.iter().map(|r| r.risk_score))
            .max()
            .unwrap_or(0),
    };
    // Functions whose role the input does not hold: nothing about them was checked.
    let mut failures = inv.coverage.clone();
    let mut by_role: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for f in without_role.iter().filter_map(|&i| inv.functions.get(i)) {
        by_role
            .entry((f.account.as_str(), f.role_arn.as_str()))
            .or_default()
            .push(f.name.as_str());
    }
    for ((account, role), names) in by_role {
        let mut list: Vec<&str> = names.iter().copied().take(3).collect();
        if names.len() > 3 {
            list.push("...");
        }
        failures.push(CoverageEntry {
            account: account.to_string(),
            region: None,
            api: "iam:role".into(),
            error: format!(
                "{role}, the role of {} function(s) ({}), is not in the input: their permissions were not checked",
                names.len(),
                list.join(", ")
            ),
        });
    }
    let failed_accounts: std::collections::BTreeSet<&str> = inv
        .coverage
        .iter()
        .filter(|c| c.region.is_none())
        .map(|c| c.account.as_str())
        .collect();
    let coverage = Coverage {
        accounts: inv.accounts.len(),
        regions: inv.regions.len(),
        accounts_failed: failed_accounts.len(),
        regions_failed: inv
            .coverage
            .iter()
            .filter(|c| c.region.is_some() && c.api == "lambda:ListFunctions")
            .count(),
        complete: failures.is_empty(),
        failures,
        lacks: inv.lacks.clone(),
        usage: inv.usage.as_ref().map(|u| {
            let mut accounts: BTreeMap<String, UsageAccountSummary> = BTreeMap::new();
            for (acct, c) in u.coverage.iter().flat_map(|c| c.accounts.iter()) {
                accounts.insert(
                    acct.clone(),
                    UsageAccountSummary {
                        days_covered: u.days_covered(acct).0,
                        regions: c.regions.iter().cloned().collect(),
                        data_events: c.data_events.iter().cloned().collect(),
                    },
                );
            }
            UsageCoverageSummary {
                sources: u.sources.clone(),
                window_start: u.window_start.clone(),
                window_end: u.window_end.clone(),
                window_days: u.window_days().len(),
                accounts,
                roles_without_usage_data: roles.iter().filter(|r| r.gap.is_none()).count(),
            }
        }),
    };
    missing.sort();
    missing.dedup();
    clock.mark("suppressions, queue and summary");
    ScanResult {
        schema_version: RESULT_SCHEMA_VERSION,
        tool: Tool {
            name: "rolecall",
            version: env!("CARGO_PKG_VERSION"),
        },
        source: inv.source.clone(),
        collected_at: inv.collected_at.clone(),
        evaluated_on: today.to_string(),
        catalog: catalog.source.to_string(),
        coverage,
        summary,
        functions,
        roles,
        findings,
        suppressed,
        suppression_notes,
        skipped_rules,
        missing_policies: missing,
        other_roles,
        history: None,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Codes whose severity measures what the role is allowed (the risk score's permission component).
fn is_permission_finding(code: &str) -> bool {
    code.starts_with("LR1") || code.starts_with("LR2") || code.starts_with("LR4") || code == "LR305"
}

fn role_facts_of(
    ra: &RoleAnalysis<'_>,
    mine: &[Finding],
    cat: &Catalog,
    data_reads: &ActionSet,
    services: usize,
) -> RoleFacts {
    let worst = mine
        .iter()
        .filter(|f| is_permission_finding(&f.code))
        .max_by_key(|f| f.severity)
        .map(|f| (f.severity, format!("{} {}", f.code, f.name)));
    let escalation = mine
        .iter()
        .find(|f| (f.code == "LR101" || f.code == "LR201") && f.severity >= Severity::High)
        .map(|f| f.title.clone());
    let e = &ra.effective;
    let mut unconditional_unscoped = ActionSet::empty(cat.len());
    for g in e
        .grants
        .iter()
        .filter(|g| g.resources.is_unscoped() && !g.is_conditional())
    {
        unconditional_unscoped.union_with(&g.actions);
    }
    let unscoped_writes =
        unconditional_unscoped.intersection_len(cat.level_mask(AccessLevel::Write));
    let reachable = data_reads.intersection(&e.allowed);
    let on_star = reachable.intersection_len(&e.unscoped_set());
    let reach = (on_star, reachable.len() - on_star);
    RoleFacts {
        worst_permission_finding: worst,
        escalation,
        services,
        unscoped_writes,
        functions: ra.functions.len(),
        data_reach: reach,
    }
}

fn role_report(
    ra: &RoleAnalysis<'_>,
    mine: &[Finding],
    cat: &Catalog,
    inv: &Inventory,
) -> RoleReport {
    let e = &ra.effective;
    let levels = cat.count_by_level(&e.allowed);
    let by_access_level = AccessLevel::ALL
        .iter()
        .zip(levels)
        .map(|(l, n)| (l.as_str(), n))
        .collect();
    let counts: Vec<(&rolecall_catalog::Service, usize)> =
        cat.count_by_service(&e.allowed).collect();
    let by_service: ServiceCounts = counts.iter().map(|(s, n)| (s.prefix, *n)).collect();
    let wildcard_grants = e.grants.iter().any(|g| {
        g.not_action
            || g.action_patterns
                .iter()
                .any(|p| p.ends_with(":*") || p == "*")
    });
    let per_level: Vec<(AccessLevel, ActionSet)> = AccessLevel::ALL
        .iter()
        .map(|l| (*l, e.allowed.intersection(cat.level_mask(*l))))
        .collect();
    // The largest services only (the report's table): an `Action: *` role would otherwise
    // carry four hundred services by five levels, in memory and in every output.
    let mut largest = counts;
    let order = |a: &(&rolecall_catalog::Service, usize),
                 b: &(&rolecall_catalog::Service, usize)| {
        b.1.cmp(&a.1).then(a.0.prefix.cmp(b.0.prefix))
    };
    if largest.len() > SERVICE_LEVEL_TOP {
        // The top few of four hundred: a selection, then a sort of the few.
        largest.select_nth_unstable_by(SERVICE_LEVEL_TOP - 1, order);
        largest.truncate(SERVICE_LEVEL_TOP);
    }
    largest.sort_by(order);
    let mut by_service_level: BTreeMap<&'static str, BTreeMap<&'static str, usize>> =
        BTreeMap::new();
    for (svc, _) in largest {
        let levels = by_service_level.entry(svc.prefix).or_default();
        for (l, set) in &per_level {
            let n = set.count_in_range(svc.actions.clone());
            if n > 0 {
                levels.insert(l.as_str(), n);
            }
        }
    }
    let services = by_service.len();
    RoleReport {
        arn: ra.role.arn.clone(),
        name: ra.role.name.clone(),
        account: ra.role.account.clone(),
        functions: ra
            .functions
            .iter()
            .filter_map(|&i| inv.functions.get(i))
            .map(|f| f.arn.clone())
            .collect(),
        permissions_boundary: ra.role.permissions_boundary_arn.clone(),
        policies: ra.role.inline_policies.len() + ra.role.managed_policy_arns.len(),
        allowed_actions: e.allowed.len(),
        services,
        by_access_level,
        by_service,
        by_service_level,
        admin: e.admin_grant().is_some(),
        wildcard_grants,
        gap: None,
        risk_score: 0,
        findings: mine.len(),
    }
}

fn function_facts(
    f: &rolecall_inventory::Function,
    findings: &[&Finding],
    config: &Config,
) -> FunctionFacts {
    let has = |code: &str| {
        findings
            .iter()
            .any(|x| x.code == code && x.resource_arn == f.arn)
    };
    FunctionFacts {
        public_url: has("LR501"),
        public_policy: has("LR502"),
        api_gateway: f.triggers.iter().any(|t| t.kind.starts_with("apigateway")),
        cross_account: has("LR503"),
        event_triggers: f
            .triggers
            .iter()
            .filter(|t| !t.kind.starts_with("apigateway"))
            .count(),
        sensitivity: f
            .tags
            .get(&config.tags.sensitivity)
            .cloned()
            .filter(|s| !s.is_empty()),
    }
}

fn apply_suppressions(
    findings: Vec<Finding>,
    sups: &[Suppression],
    today: NaiveDate,
) -> (Vec<Finding>, Vec<SuppressedFinding>, Vec<String>) {
    if sups.is_empty() {
        return (findings, Vec::new(), Vec::new());
    }
    let mut kept = Vec::with_capacity(findings.len());
    let mut suppressed = Vec::new();
    let mut used = vec![false; sups.len()];
    let mut notes = Vec::new();
    let expired: Vec<bool> = sups
        .iter()
        .map(|s| {
            s.expires
                .as_deref()
                .and_then(|e| NaiveDate::parse_from_str(e, "%Y-%m-%d").ok())
                .is_some_and(|d| d < today)
        })
        .collect();
    for f in findings {
        let hit = sups.iter().enumerate().find(|(_, s)| {
            (s.rule.eq_ignore_ascii_case(&f.code) || s.rule == f.name)
                && wildcard::matches(&s.resource, &f.resource_arn)
        });
        match hit {
            Some((i, s)) => {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
                if expired.get(i).copied().unwrap_or(false) {
                    kept.push(f);
                } else {
                    suppressed.push(SuppressedFinding {
                        finding: f,
                        reason: s.reason.clone(),
                        expires: s.expires.clone(),
                    });
                }
            }
            None => kept.push(f),
        }
    }
    for (i, s) in sups.iter().enumerate() {
        if expired.get(i).copied().unwrap_or(false) {
            notes.push(format!(
                "suppression of {} on {} expired on {}; its findings are reported again",
                s.rule,
                s.resource,
                s.expires.as_deref().unwrap_or("?")
            ));
        } else if !used.get(i).copied().unwrap_or(false) {
            notes.push(format!(
                "suppression of {} on {} matched no finding",
                s.rule, s.resource
            ));
        }
    }
    (kept, suppressed, notes)
}

/// What `--severity`, `--account`, `--region`, `--code` and `--team` select. Empty lists select
/// everything.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// The lowest severity reported.
    pub min_severity: Option<Severity>,
    pub accounts: Vec<String>,
    /// Regions (`global` for role findings).
    pub regions: Vec<String>,
    /// Rule codes or names.
    pub codes: Vec<String>,
    pub teams: Vec<String>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.min_severity.is_none()
            && self.accounts.is_empty()
            && self.regions.is_empty()
            && self.codes.is_empty()
            && self.teams.is_empty()
    }

    /// Unknown rule codes or names are errors: a filter must not silently select nothing.
    pub fn validate(&self) -> Result<(), String> {
        for c in &self.codes {
            if crate::rules::find_rule(c).is_none() {
                return Err(format!(
                    "--code {c:?} is not a rule code or name (`rolecall rules` lists them)"
                ));
            }
        }
        Ok(())
    }

    pub fn selects(&self, f: &Finding) -> bool {
        let code_ok = self.codes.is_empty()
            || self
                .codes
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&f.code) || *c == f.name);
        let team_ok = self.teams.is_empty()
            || f.team
                .as_deref()
                .is_some_and(|t| t.split(',').any(|one| self.teams.iter().any(|w| w == one)));
        self.min_severity.is_none_or(|m| f.severity >= m)
            && (self.accounts.is_empty() || self.accounts.contains(&f.account))
            && (self.regions.is_empty()
                || self.regions.contains(&f.region)
                || (f.region == "global"
                    && self
                        .regions
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case("global"))))
            && code_ok
            && team_ok
    }
}

/// Orders findings by the permission gap of the role they concern (then by risk, as before).
pub fn sort_by_gap(r: &mut ScanResult) {
    let gap_of_role: std::collections::HashMap<String, f64> = r
        .roles
        .iter()
        .map(|x| {
            (
                x.arn.clone(),
                x.gap.as_ref().map(|g| g.score).unwrap_or(0.0),
            )
        })
        .collect();
    let role_of_fn: std::collections::HashMap<String, String> = r
        .functions
        .iter()
        .map(|f| (f.arn.clone(), f.role_arn.clone()))
        .collect();
    // Keyed by account and name too, so a function's role ARN with another path still finds it
    // (the first role of that key in report order): one lookup per finding, not a search.
    let mut gap_of_key: std::collections::HashMap<(String, String), f64> =
        std::collections::HashMap::new();
    for x in &r.roles {
        if let Some(k) = rolecall_inventory::model::role_key(&x.arn) {
            gap_of_key
                .entry(k)
                .or_insert(x.gap.as_ref().map(|g| g.score).unwrap_or(0.0));
        }
    }
    let key = |arn: &str| -> f64 {
        let role = role_of_fn.get(arn).map(String::as_str).unwrap_or(arn);
        gap_of_role
            .get(role)
            .copied()
            .or_else(|| {
                rolecall_inventory::model::role_key(role).and_then(|k| gap_of_key.get(&k).copied())
            })
            .unwrap_or(0.0)
    };
    let mut keyed: Vec<(f64, Finding)> = std::mem::take(&mut r.findings)
        .into_iter()
        .map(|f| (key(&f.resource_arn), f))
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    r.findings = keyed.into_iter().map(|(_, f)| f).collect();
    r.roles.sort_by(|a, b| {
        b.gap
            .as_ref()
            .map(|g| g.score)
            .unwrap_or(0.0)
            .total_cmp(&a.gap.as_ref().map(|g| g.score).unwrap_or(0.0))
    });
}

/// Keeps the findings the filters select, and the functions and roles of the selected accounts,
/// regions and teams; the summary counts what is kept and says that a filter applied.
pub fn apply_filters(r: &mut ScanResult, filters: &Filters) {
    if filters.is_empty() {
        return;
    }
    r.findings.retain(|f| filters.selects(f));
    r.suppressed.retain(|s| filters.selects(&s.finding));
    if !filters.accounts.is_empty() {
        r.functions
            .retain(|f| filters.accounts.contains(&f.account));
        r.roles.retain(|x| filters.accounts.contains(&x.account));
    }
    if !filters.regions.is_empty() {
        r.functions.retain(|f| filters.regions.contains(&f.region));
    }
    if !filters.teams.is_empty() {
        r.functions.retain(|f| {
            f.team
                .as_deref()
                .is_some_and(|t| filters.teams.iter().any(|w| w == t))
        });
    }
    let s = &mut r.summary;
    s.findings = r.findings.len();
    s.suppressed = r.suppressed.len();
    s.by_severity = Severity::ALL
        .iter()
        .map(|v| (v.as_str().to_string(), 0))
        .collect();
    s.by_code.clear();
    for f in &r.findings {
        *s.by_severity.entry(f.severity.as_str().into()).or_default() += 1;
        *s.by_code.entry(f.code.clone()).or_default() += 1;
    }
    s.functions = r.functions.len();
    s.roles = r.roles.len();
    r.suppression_notes
        .push(format!("filtered: {}", describe_filters(filters)));
}

fn describe_filters(f: &Filters) -> String {
    let mut parts = Vec::new();
    if let Some(m) = f.min_severity {
        parts.push(format!("severity {m} and above"));
    }
    for (what, v) in [
        ("account", &f.accounts),
        ("region", &f.regions),
        ("code", &f.codes),
        ("team", &f.teams),
    ] {
        if !v.is_empty() {
            parts.push(format!("{what} {}", v.join(",")));
        }
    }
    parts.join("; ")
}
