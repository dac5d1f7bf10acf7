//! Carrying a trigger out: read what it names (collect), scan it (checks), and publish (publish):
//! Config evaluations, Security Hub imports and resolutions, team alerts. With `dry_run`, every
//! read happens and nothing is written; the output says what would have been.

use crate::events::{self, ApiCall, RuleInvocation, Trigger};
use crate::rule::{self, CompliancePolicy, FUNCTION, ROLE};
use rolecall_checks::{Config, ScanResult, Severity};
use rolecall_collect::{Options, Regions, Target};
use rolecall_inventory::Inventory;
use rolecall_publish::ConfigEvaluation;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// How the function is set up: from its environment (`ROLECALL_*`), or `rolecall handle`'s flags.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Read and scan, write nothing.
    pub dry_run: bool,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    /// IAM's region and the default one (`AWS_REGION`).
    pub home_region: String,
    /// Regions whose functions are read for a changed role.
    pub regions: Regions,
    /// The audit role in member accounts (the StackSet's).
    pub member_role: String,
    /// The role in member accounts that may only put Config evaluations (an Organization rule's
    /// results belong to the member account).
    pub evaluations_role: String,
    pub external_id: Option<String>,
    /// The default of what makes a resource non-compliant (rule parameters override it).
    pub compliance: CompliancePolicy,
    pub security_hub: bool,
    /// Alerts for teams without their own target.
    pub sns_topic: Option<String>,
    pub slack_webhook: Option<String>,
    pub config: Config,
    pub timeout: Duration,
    /// Scheduled scans read the whole Organization (`ROLECALL_ORG`).
    pub org: bool,
    /// `s3://bucket/prefix/` for the scheduled scan's reports (`ROLECALL_REPORT_URL`).
    pub report_url: Option<String>,
    /// The verified SES sender of the team reports (`ROLECALL_SES_FROM`).
    pub ses_from: Option<String>,
    /// The scheduled scan's SQLite history (`s3://bucket/key`, `ROLECALL_HISTORY_URL`): read,
    /// recorded into, written back.
    pub history_url: Option<String>,
    /// Where the history is exported as Parquet in Hive partitions (`ROLECALL_EXPORT_URL`).
    pub export_url: Option<String>,
    /// Above this many accounts the Step Functions plan fans out, one account per task
    /// (`ROLECALL_FANOUT_ACCOUNTS`).
    pub fanout_accounts: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dry_run: false,
            profile: None,
            endpoint_url: None,
            home_region: "us-east-1".into(),
            regions: Regions::Enabled,
            member_role: "rolecall-audit".into(),
            evaluations_role: "rolecall-config-evaluations".into(),
            external_id: None,
            compliance: CompliancePolicy::default(),
            security_hub: true,
            sns_topic: None,
            slack_webhook: None,
            config: Config::default(),
            timeout: Duration::from_secs(60),
            org: false,
            report_url: None,
            ses_from: None,
            fanout_accounts: 50,
            history_url: None,
            export_url: None,
        }
    }
}

impl Settings {
    /// From environment variables (`get` is `std::env::var` in the function). Every variable is
    /// optional; one that does not parse is an error naming it.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let mut s = Settings::default();
        let on = |v: &str| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes");
        if let Some(v) = get("ROLECALL_DRY_RUN") {
            s.dry_run = on(&v);
        }
        s.profile = get("AWS_PROFILE").filter(|v| !v.is_empty());
        s.endpoint_url = get("ROLECALL_ENDPOINT_URL").filter(|v| !v.is_empty());
        if let Some(r) = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")) {
            if !r.is_empty() {
                s.home_region = r;
            }
        }
        if let Some(v) = get("ROLECALL_REGIONS") {
            s.regions = match v.trim() {
                "" | "enabled" => Regions::Enabled,
                "all" => Regions::All,
                list => Regions::List(
                    list.split(',')
                        .map(|r| r.trim().to_string())
                        .filter(|r| !r.is_empty())
                        .collect(),
                ),
            };
        }
        if let Some(v) = get("ROLECALL_MEMBER_ROLE").filter(|v| !v.is_empty()) {
            s.member_role = v;
        }
        s.external_id = get("ROLECALL_EXTERNAL_ID").filter(|v| !v.is_empty());
        if let Some(v) = get("ROLECALL_EVALUATIONS_ROLE").filter(|v| !v.is_empty()) {
            s.evaluations_role = v;
        }
        if let Some(v) = get("ROLECALL_FAIL_ON").filter(|v| !v.is_empty()) {
            s.compliance.min_severity = Severity::parse(&v).ok_or_else(|| {
                format!("ROLECALL_FAIL_ON `{v}`: expected critical, high, medium, low or info")
            })?;
        }
        if let Some(v) = get("ROLECALL_SECURITY_HUB") {
            s.security_hub = on(&v);
        }
        s.sns_topic = get("ROLECALL_SNS_TOPIC_ARN").filter(|v| !v.is_empty());
        s.slack_webhook = get("ROLECALL_SLACK_WEBHOOK_URL").filter(|v| !v.is_empty());
        if let Some(v) = get("ROLECALL_TIMEOUT_SECONDS").filter(|v| !v.is_empty()) {
            let secs: u64 = v
                .parse()
                .map_err(|_| format!("ROLECALL_TIMEOUT_SECONDS `{v}`: expected whole seconds"))?;
            s.timeout = Duration::from_secs(secs.max(1));
        }
        if let Some(v) = get("ROLECALL_ORG") {
            s.org = on(&v);
        }
        s.report_url = get("ROLECALL_REPORT_URL").filter(|v| !v.is_empty());
        if let Some(u) = &s.report_url {
            if rolecall_publish::parse_s3_url(u).is_none() {
                return Err(format!(
                    "ROLECALL_REPORT_URL `{u}`: expected s3://bucket/prefix/"
                ));
            }
        }
        s.ses_from = get("ROLECALL_SES_FROM").filter(|v| !v.is_empty());
        s.history_url = get("ROLECALL_HISTORY_URL").filter(|v| !v.is_empty());
        s.export_url = get("ROLECALL_EXPORT_URL").filter(|v| !v.is_empty());
        for (name, v) in [
            ("ROLECALL_HISTORY_URL", &s.history_url),
            ("ROLECALL_EXPORT_URL", &s.export_url),
        ] {
            if let Some(u) = v {
                if rolecall_publish::parse_s3_url(u).is_none() {
                    return Err(format!("{name} `{u}`: expected an s3:// URL"));
                }
            }
        }
        if s.export_url.is_some() && s.history_url.is_none() {
            return Err(
                "ROLECALL_EXPORT_URL needs ROLECALL_HISTORY_URL: the export is of the history"
                    .into(),
            );
        }
        if let Some(v) = get("ROLECALL_FANOUT_ACCOUNTS").filter(|v| !v.is_empty()) {
            s.fanout_accounts = v.parse().map_err(|_| {
                format!("ROLECALL_FANOUT_ACCOUNTS `{v}`: expected a number of accounts")
            })?;
        }
        let baseline = get("ROLECALL_BASELINE").filter(|v| !v.is_empty());
        if let Some(path) = get("ROLECALL_CONFIG").filter(|v| !v.is_empty()) {
            let (c, _) =
                Config::load(Some(std::path::Path::new(&path))).map_err(|e| e.to_string())?;
            s.config = c;
        }
        // The approved baseline in version control: drift findings (LR801-LR803) in every
        // handler and in Security Hub notes.
        if let Some(path) = baseline {
            let b = rolecall_checks::drift::Baseline::load(
                std::path::Path::new(&path),
                rolecall_catalog::catalog(),
            )
            .map_err(|e| format!("ROLECALL_BASELINE: {e}"))?;
            s.config.baseline = Some(std::sync::Arc::new(b));
        }
        Ok(s)
    }

    fn options(&self, regions: Regions) -> Options {
        Options {
            profile: self.profile.clone(),
            regions,
            // Event-driven reads of one account apply its SCPs and RCPs when the function
            // serves an Organization (the scheduled scan sets `org` itself).
            org: self.org,
            accounts: Vec::new(),
            member_role: self.member_role.clone(),
            external_id: self.external_id.clone(),
            endpoint_url: self.endpoint_url.clone(),
            concurrency: 8,
            home_region: self.home_region.clone(),
            access_advisor_since: None,
            timeout: self.timeout,
        }
    }
}

/// What one invocation did (or, dry, would do): printed by `rolecall handle`, returned by the
/// function, logged to CloudWatch.
#[derive(Debug, Default)]
struct Outcome {
    trigger: &'static str,
    event: Value,
    read: Value,
    coverage: Vec<Value>,
    findings: Vec<Value>,
    evaluations: Vec<ConfigEvaluation>,
    actions: Vec<Value>,
    /// What a Step Functions task hands the next state.
    result: Value,
    failed: usize,
    note: Option<String>,
    /// Scheduled scans report their coverage gaps and still succeed (a retry would read the
    /// same unreadable accounts again); event handlers fail without a complete read.
    gaps_tolerated: bool,
}

impl Outcome {
    fn to_json(&self, dry_run: bool) -> Value {
        let mut v = json!({
            "trigger": self.trigger,
            "dry_run": dry_run,
            "event": self.event,
            "read": self.read,
            "coverage": self.coverage,
            "findings": self.findings,
            "evaluations": self.evaluations,
            "actions": self.actions,
            "ok": self.failed == 0 && (self.coverage.is_empty() || self.gaps_tolerated),
        });
        if let (Some(n), Some(m)) = (&self.note, v.as_object_mut()) {
            m.insert("note".into(), json!(n));
        }
        if let (false, Some(m)) = (self.result.is_null(), v.as_object_mut()) {
            m.insert("result".into(), self.result.clone());
        }
        v
    }

    fn action(
        &mut self,
        dry_run: bool,
        action: &str,
        target: &str,
        result: Result<String, String>,
    ) {
        let (status, detail) = match result {
            Ok(d) if dry_run => ("would do", d),
            Ok(d) => ("done", d),
            Err(e) => {
                self.failed += 1;
                ("failed", e)
            }
        };
        self.actions
            .push(json!({"action": action, "target": target, "status": status, "detail": detail}));
    }
}

/// The result of an invocation: the JSON that says what happened, and whether it all succeeded
/// (a failed write or an unread resource makes the invocation fail, so Lambda retries it and
/// nothing is silently lost).
pub struct Handled {
    pub output: Value,
    pub ok: bool,
}

/// Handles one event.
pub async fn handle(event: &Value, settings: &Settings) -> Result<Handled, String> {
    let trigger = events::parse(event)?;
    let mut out = Outcome {
        trigger: trigger.kind(),
        ..Default::default()
    };
    match trigger {
        Trigger::ConfigChange { rule, item } => {
            config_change(&mut out, settings, &rule, &item).await?
        }
        Trigger::ConfigOversized { rule, summary } => {
            config_oversized(&mut out, settings, &rule, &summary).await?
        }
        Trigger::ConfigScheduled { rule } => config_scheduled(&mut out, settings, &rule).await?,
        Trigger::ApiCall(call) => api_call(&mut out, settings, &call).await?,
        Trigger::SecurityHubImported { findings } => {
            security_hub_imported(&mut out, settings, &findings).await?
        }
        Trigger::ScheduledScan { .. } => scheduled_scan(&mut out, settings).await?,
        Trigger::PlanScan => plan_scan(&mut out, settings).await?,
        Trigger::CollectAccount { account, run } => {
            collect_account(&mut out, settings, &account, &run).await?
        }
        Trigger::MergeScan { run } => merge_scan(&mut out, settings, &run).await?,
    }
    let output = out.to_json(settings.dry_run);
    let ok = output.get("ok").and_then(Value::as_bool).unwrap_or(false);
    Ok(Handled { output, ok })
}

fn today(inv: &Inventory) -> chrono::NaiveDate {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    inv.collected_at
        .as_deref()
        .and_then(|c| c.get(..10))
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .or_else(|| chrono::DateTime::from_timestamp(secs, 0).map(|d| d.date_naive()))
        .unwrap_or_default()
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn scan(inv: &Inventory, settings: &Settings) -> ScanResult {
    rolecall_checks::scan(
        inv,
        rolecall_catalog::catalog(),
        &settings.config,
        today(inv),
    )
}

fn finding_summaries(r: &ScanResult) -> Vec<Value> {
    r.findings
        .iter()
        .map(|f| {
            json!({"id": f.id, "code": f.code, "name": f.name, "severity": f.severity.as_str(),
                   "resource": f.resource_arn, "title": f.title, "risk_score": f.risk_score,
                   "team": f.team})
        })
        .collect()
}

fn coverage(inv: &Inventory) -> Vec<Value> {
    inv.coverage
        .iter()
        .map(|g| json!({"account": g.account, "region": g.region, "api": g.api, "error": g.error}))
        .collect()
}

async fn read(
    settings: &Settings,
    regions: Regions,
    target: Target,
) -> Result<rolecall_collect::Targeted, String> {
    rolecall_collect::collect_target(settings.options(regions), target)
        .await
        .map_err(|e| e.to_string())
}

async fn sdk(settings: &Settings) -> rolecall_collect::SdkConfig {
    rolecall_collect::sdk_config(
        settings.profile.as_deref(),
        settings.endpoint_url.as_deref(),
        &settings.home_region,
        settings.timeout,
    )
    .await
}

fn when(item: &Value, rule: &RuleInvocation) -> String {
    let captured = item
        .get("configurationItemCaptureTime")
        .and_then(Value::as_str)
        .unwrap_or_default();
    [captured, rule.notification_time.as_str()]
        .into_iter()
        .find(|t| !t.is_empty())
        .map(str::to_string)
        .unwrap_or_else(now_rfc3339)
}

async fn put_evaluations(out: &mut Outcome, settings: &Settings, rule: &RuleInvocation) {
    if out.evaluations.is_empty() {
        return;
    }
    let target = if rule.config_rule_name.is_empty() {
        "AWS Config".to_string()
    } else {
        format!("AWS Config rule {}", rule.config_rule_name)
    };
    let n = out.evaluations.len();
    let result = if settings.dry_run {
        Ok(format!("{n} evaluation(s)"))
    } else {
        // An Organization rule's invocation belongs to the member account: its evaluations are
        // put there, through the member's evaluations role.
        let cfg = match rolecall_collect::config_in_account(
            &settings.options(settings.regions.clone()),
            &rule.account_id,
            &settings.evaluations_role,
        )
        .await
        {
            Ok(x) => x,
            Err(e) => {
                out.action(false, "config:PutEvaluations", &target, Err(e));
                return;
            }
        };
        let (cfg, assumed) = cfg;
        let via = if assumed {
            format!(
                " in account {} as {}",
                rule.account_id, settings.evaluations_role
            )
        } else {
            String::new()
        };
        match rolecall_publish::put_evaluations(&cfg, &rule.result_token, &out.evaluations).await {
            Ok(o) if o.failed.is_empty() => Ok(format!(
                "{} evaluation(s) in {} call(s){via}",
                o.sent, o.calls
            )),
            Ok(o) => Err(format!(
                "Config refused {} evaluation(s): {}",
                o.failed.len(),
                o.failed.join(", ")
            )),
            Err(e) => Err(e.to_string()),
        }
    };
    out.action(settings.dry_run, "config:PutEvaluations", &target, result);
}

fn policy(settings: &Settings, rule: &RuleInvocation) -> Result<CompliancePolicy, String> {
    CompliancePolicy::from_parameters(&rule.rule_parameters, &settings.compliance)
}

async fn config_change(
    out: &mut Outcome,
    settings: &Settings,
    rule: &RuleInvocation,
    item: &Value,
) -> Result<(), String> {
    let policy = policy(settings, rule)?;
    let resource_type = item
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let resource_id = item
        .get("resourceId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let at = when(item, rule);
    out.event = json!({"rule": rule.config_rule_name, "resource_type": resource_type, "resource_id": resource_id,
                       "status": item.get("configurationItemStatus"), "captured": at});
    if resource_type != ROLE && resource_type != FUNCTION {
        return Err(format!(
            "the rule is scoped to `{resource_type}`: rolecall evaluates {ROLE} and {FUNCTION}"
        ));
    }
    if resource_id.is_empty() {
        return Err("`configurationItem.resourceId` is missing".into());
    }
    if rule.event_left_scope || rule::deleted(item) {
        let why = if rule.event_left_scope {
            "the resource left the rule's scope"
        } else {
            "the resource was deleted"
        };
        out.evaluations
            .push(rule::not_applicable(resource_type, resource_id, why, &at));
        put_evaluations(out, settings, rule).await;
        return Ok(());
    }
    let account = item
        .get("awsAccountId")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .unwrap_or(rule.account_id.as_str())
        .to_string();
    let (inv, arn) = if resource_type == ROLE {
        let role = rule::role_from_item(item)
            .map_err(|e| format!("configuration item {resource_id}: {e}"))?;
        // The item references managed policies: read the documents it does not carry.
        let embedded = rolecall_catalog::ManagedPolicies::get();
        let to_read: Vec<String> = role
            .managed_policy_arns
            .iter()
            .chain(role.permissions_boundary_arn.iter())
            .filter(|a| embedded.by_arn(a).is_none() || !a.contains(":iam::aws:policy/"))
            .cloned()
            .collect();
        let mut inv = Inventory::new("aws-config");
        if !to_read.is_empty() {
            let got = read(
                settings,
                Regions::List(Vec::new()),
                Target {
                    account: account.clone(),
                    managed_policies: to_read,
                    ..Default::default()
                },
            )
            .await?;
            inv = got.inventory;
            inv.source = "aws-config".into();
        }
        let arn = role.arn.clone();
        inv.collected_at = Some(at.clone());
        inv.roles.push(role);
        (inv, arn)
    } else {
        let c = item.get("configuration").unwrap_or(&Value::Null);
        let name = c
            .get("functionName")
            .and_then(Value::as_str)
            .or_else(|| item.get("resourceName").and_then(Value::as_str))
            .unwrap_or(resource_id)
            .to_string();
        let region = item
            .get("awsRegion")
            .and_then(Value::as_str)
            .unwrap_or(settings.home_region.as_str())
            .to_string();
        let got = read(
            settings,
            Regions::List(vec![region.clone()]),
            Target {
                account: account.clone(),
                functions: vec![(region, name.clone())],
                ..Default::default()
            },
        )
        .await?;
        let arn = item
            .get("ARN")
            .and_then(Value::as_str)
            .or_else(|| c.get("functionArn").and_then(Value::as_str))
            .map(str::to_string)
            .or_else(|| {
                got.inventory
                    .functions
                    .iter()
                    .find(|f| f.name == name)
                    .map(|f| f.arn.clone())
            })
            .unwrap_or_default();
        (got.inventory, arn)
    };
    evaluate_one(
        out,
        settings,
        rule,
        &inv,
        resource_type,
        resource_id,
        &arn,
        &policy,
        &at,
    )
    .await;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn evaluate_one(
    out: &mut Outcome,
    settings: &Settings,
    rule: &RuleInvocation,
    inv: &Inventory,
    resource_type: &str,
    resource_id: &str,
    arn: &str,
    policy: &CompliancePolicy,
    at: &str,
) {
    out.read = json!({"roles": inv.roles.iter().map(|r| &r.arn).collect::<Vec<_>>(),
                      "functions": inv.functions.iter().map(|f| &f.arn).collect::<Vec<_>>(),
                      "managed_policies": inv.managed_policies.iter().map(|p| &p.arn).collect::<Vec<_>>()});
    out.coverage = coverage(inv);
    let result = scan(inv, settings);
    out.findings = finding_summaries(&result);
    if !out.coverage.is_empty() {
        // What could not be read might have made it non-compliant: no verdict, and the
        // invocation fails (Config keeps the previous evaluation and retries).
        out.note = Some("coverage is incomplete: no evaluation was sent".into());
        return;
    }
    out.evaluations.push(rule::evaluate(
        &result,
        resource_type,
        resource_id,
        arn,
        policy,
        at,
    ));
    put_evaluations(out, settings, rule).await;
}

async fn config_oversized(
    out: &mut Outcome,
    settings: &Settings,
    rule: &RuleInvocation,
    summary: &Value,
) -> Result<(), String> {
    let policy = policy(settings, rule)?;
    let g = |k: &str| {
        summary
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (resource_type, resource_id, name, region) = (
        g("resourceType"),
        g("resourceId"),
        g("resourceName"),
        g("awsRegion"),
    );
    let account = Some(g("awsAccountId"))
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| rule.account_id.clone());
    let at = [
        g("configurationItemCaptureTime"),
        rule.notification_time.clone(),
    ]
    .into_iter()
    .find(|t| !t.is_empty())
    .unwrap_or_else(now_rfc3339);
    out.event = json!({"rule": rule.config_rule_name, "resource_type": resource_type, "resource_id": resource_id,
                       "status": summary.get("configurationItemStatus"), "captured": at, "oversized": true});
    if resource_type != ROLE && resource_type != FUNCTION {
        return Err(format!(
            "the rule is scoped to `{resource_type}`: rolecall evaluates {ROLE} and {FUNCTION}"
        ));
    }
    if rule.event_left_scope || rule::deleted(summary) {
        out.evaluations.push(rule::not_applicable(
            &resource_type,
            &resource_id,
            "the resource was deleted or left the rule's scope",
            &at,
        ));
        put_evaluations(out, settings, rule).await;
        return Ok(());
    }
    // The item is too large for the event: read the resource as it is now.
    let (target, regions) = if resource_type == ROLE {
        let role = [g("ARN"), name.clone(), resource_id.clone()]
            .into_iter()
            .find(|n| !n.is_empty())
            .unwrap_or_default();
        (
            Target {
                account: account.clone(),
                roles: vec![role],
                ..Default::default()
            },
            Regions::List(Vec::new()),
        )
    } else {
        let f = Some(name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| resource_id.clone());
        (
            Target {
                account: account.clone(),
                functions: vec![(region.clone(), f)],
                ..Default::default()
            },
            Regions::List(vec![region.clone()]),
        )
    };
    let got = read(settings, regions, target).await?;
    if resource_type == ROLE && got.inventory.roles.is_empty() && !got.missing_roles.is_empty() {
        out.evaluations.push(rule::not_applicable(
            &resource_type,
            &resource_id,
            "the role no longer exists",
            &at,
        ));
        put_evaluations(out, settings, rule).await;
        return Ok(());
    }
    let arn = if resource_type == ROLE {
        got.inventory.roles.first().map(|r| r.arn.clone())
    } else {
        got.inventory
            .functions
            .iter()
            .find(|f| f.name == name || f.arn == g("ARN"))
            .map(|f| f.arn.clone())
    }
    .unwrap_or_else(|| g("ARN"));
    evaluate_one(
        out,
        settings,
        rule,
        &got.inventory,
        &resource_type,
        &resource_id,
        &arn,
        &policy,
        &at,
    )
    .await;
    Ok(())
}

async fn config_scheduled(
    out: &mut Outcome,
    settings: &Settings,
    rule: &RuleInvocation,
) -> Result<(), String> {
    let policy = policy(settings, rule)?;
    out.gaps_tolerated = true;
    let at = Some(rule.notification_time.clone())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(now_rfc3339);
    out.event = json!({"rule": rule.config_rule_name, "account": rule.account_id, "scheduled": at});
    let mut opts = settings.options(settings.regions.clone());
    if !rule.account_id.is_empty() {
        opts.accounts = vec![rule.account_id.clone()];
    }
    // One account: its own Organization path below, not a listing of every account.
    opts.org = false;
    let (mut inv, _stats) = rolecall_collect::collect(
        opts,
        rolecall_collect::Progress::new(rolecall_collect::ProgressMode::Quiet),
    )
    .await
    .map_err(|e| e.to_string())?;
    if settings.org {
        let account = inv
            .accounts
            .first()
            .map(|a| a.id.clone())
            .unwrap_or_default();
        let (acct, organization, gaps) = rolecall_collect::account_organization(
            &settings.options(settings.regions.clone()),
            &account,
        )
        .await
        .map_err(|e| e.to_string())?;
        inv.accounts = vec![acct];
        inv.organization = organization;
        inv.coverage.extend(gaps);
    }
    out.read = json!({"roles": inv.roles.len(), "functions": inv.functions.len()});
    out.coverage = coverage(&inv);
    let result = scan(&inv, settings);
    let verdicts = rule::Verdicts::new(&result);
    out.findings = finding_summaries(&result);
    let unread_regions: HashSet<&str> = inv
        .coverage
        .iter()
        .filter_map(|g| g.region.as_deref())
        .collect();
    let iam_complete = inv.coverage.iter().all(|g| g.region.is_some());
    let ids: BTreeMap<&str, &str> = inv
        .roles
        .iter()
        .map(|r| {
            (
                r.arn.as_str(),
                r.role_id.as_deref().unwrap_or(r.name.as_str()),
            )
        })
        .collect();
    // Every audited role and function; a role when IAM was read completely, a function when its
    // region was.
    if iam_complete {
        for r in &result.roles {
            let id = ids.get(r.arn.as_str()).copied().unwrap_or(r.name.as_str());
            out.evaluations
                .push(verdicts.evaluate(ROLE, id, &r.arn, &policy, &at));
        }
        // The account's other roles are in the rule's scope too: not execution roles.
        let audited: HashSet<&str> = result.roles.iter().map(|r| r.arn.as_str()).collect();
        for r in inv
            .roles
            .iter()
            .filter(|r| !audited.contains(r.arn.as_str()))
        {
            let id = r.role_id.as_deref().unwrap_or(r.name.as_str());
            out.evaluations.push(rule::not_applicable(
                ROLE,
                id,
                "not a Lambda execution role: rolecall does not audit it",
                &at,
            ));
        }
    }
    for f in &result.functions {
        if !unread_regions.contains(f.region.as_str()) {
            out.evaluations
                .push(verdicts.evaluate(FUNCTION, &f.name, &f.arn, &policy, &at));
        }
    }
    if !out.coverage.is_empty() {
        out.note = Some(
            "coverage is incomplete: resources that could not be read were not evaluated".into(),
        );
    }
    put_evaluations(out, settings, rule).await;
    Ok(())
}

/// The alert text for findings a change introduced.
pub fn alert(call: &ApiCall, findings: &[&rolecall_checks::Finding]) -> String {
    let mut text = format!(
        "rolecall: {} by {} ({}, account {}, {}) introduced {} high or critical finding(s):\n",
        call.event_name,
        call.caller,
        call.event_time,
        call.account,
        call.region,
        findings.len()
    );
    for f in findings.iter().take(20) {
        text.push_str(&format!(
            "  - [{}] {} {} (risk {}): {} ({})\n",
            f.severity, f.code, f.name, f.risk_score, f.title, f.resource_arn
        ));
    }
    if findings.len() > 20 {
        text.push_str(&format!("  - ... and {} more\n", findings.len() - 20));
    }
    text
}

async fn api_call(out: &mut Outcome, settings: &Settings, call: &ApiCall) -> Result<(), String> {
    out.event = json!({"event_name": call.event_name, "event_source": call.event_source, "event_id": call.event_id,
                       "event_time": call.event_time, "account": call.account, "region": call.region,
                       "caller": call.caller, "roles": call.target.roles, "policies": call.target.policies,
                       "functions": call.target.functions.iter().map(|(r, f)| format!("{r}:{f}")).collect::<Vec<_>>()});
    if let Some(code) = &call.error_code {
        out.note = Some(format!(
            "the call failed ({code}): nothing changed, nothing to scan"
        ));
        return Ok(());
    }
    let got = read(settings, settings.regions.clone(), call.target.clone()).await?;
    let inv = got.inventory;
    out.read = json!({"roles": inv.roles.iter().map(|r| &r.arn).collect::<Vec<_>>(),
                      "functions": inv.functions.iter().map(|f| &f.arn).collect::<Vec<_>>(),
                      "missing_roles": got.missing_roles});
    out.coverage = coverage(&inv);
    let result = scan(&inv, settings);
    out.findings = finding_summaries(&result);
    let mut scope: HashSet<String> = inv.roles.iter().map(|r| r.arn.clone()).collect();
    scope.extend(inv.functions.iter().map(|f| f.arn.clone()));
    let complete = inv.coverage.is_empty();
    let previously_active = publish_findings(out, settings, &result, &inv, &scope, complete).await;
    let new: Vec<&rolecall_checks::Finding> = result
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::High)
        .filter(|f| {
            previously_active
                .as_ref()
                .is_none_or(|p| !p.contains(&f.id))
        })
        .collect();
    if !new.is_empty() {
        notify(out, settings, &new, &alert(call, &new)).await;
    }
    Ok(())
}

/// Imports the findings into Security Hub and resolves rolecall's stale ones about `scope`
/// (only when everything in it was read). Returns the ids of rolecall findings that were
/// active before, when Security Hub was read.
async fn publish_findings(
    out: &mut Outcome,
    settings: &Settings,
    result: &ScanResult,
    inv: &Inventory,
    scope: &HashSet<String>,
    complete: bool,
) -> Option<HashSet<String>> {
    if !settings.security_hub {
        return None;
    }
    let now = now_rfc3339();
    let asff = rolecall_report::asff::render(
        result,
        Some(inv),
        &rolecall_report::asff::AsffOptions {
            home_region: &settings.home_region,
            timestamp: &now,
        },
    );
    let list = asff.as_array().cloned().unwrap_or_default();
    let empty = HashSet::new();
    let scope = if complete { scope } else { &empty };
    if settings.dry_run {
        out.action(true, "securityhub:BatchImportFindings", "Security Hub",
                   Ok(format!("{} finding(s) imported; rolecall findings about {} resource(s) no longer found would be resolved", list.len(), scope.len())));
        return None;
    }
    let cfg = sdk(settings).await;
    match rolecall_publish::security_hub_scoped(
        &cfg,
        &list,
        rolecall_publish::Scope::Resources(scope),
        &now,
    )
    .await
    {
        Ok(o) => {
            let r = if o.failed.is_empty() {
                Ok(format!(
                    "{} finding(s) imported, {} resolved",
                    o.imported, o.resolved
                ))
            } else {
                Err(format!(
                    "{} finding(s) rejected: {}",
                    o.failed.len(),
                    o.failed.join("; ")
                ))
            };
            out.action(false, "securityhub:BatchImportFindings", "Security Hub", r);
            // ASFF ids are `region/account/rolecall/<finding id>`.
            Some(
                o.previously_active
                    .iter()
                    .filter_map(|id| id.rsplit("/rolecall/").next())
                    .map(str::to_string)
                    .collect(),
            )
        }
        Err(e) => {
            out.action(
                false,
                "securityhub:BatchImportFindings",
                "Security Hub",
                Err(e.to_string()),
            );
            None
        }
    }
}

/// Sends `text` to each team's own target (rolecall.toml `[teams.NAME]`), or to the function's
/// default topic and webhook.
async fn notify(
    out: &mut Outcome,
    settings: &Settings,
    findings: &[&rolecall_checks::Finding],
    text: &str,
) {
    let mut sns: Vec<String> = Vec::new();
    let mut slack: Vec<String> = Vec::new();
    for f in findings {
        let team = f.team.as_deref().and_then(|t| settings.config.teams.get(t));
        match team {
            Some(t) if t.sns_topic.is_some() || t.slack_webhook.is_some() => {
                sns.extend(t.sns_topic.clone());
                slack.extend(t.slack_webhook.clone());
            }
            _ => {
                sns.extend(settings.sns_topic.clone());
                slack.extend(settings.slack_webhook.clone());
            }
        }
    }
    sns.sort();
    sns.dedup();
    slack.sort();
    slack.dedup();
    if sns.is_empty() && slack.is_empty() {
        out.note = Some(
            "high or critical findings, but no SNS topic or Slack webhook is set for their team"
                .into(),
        );
    }
    let cfg = if sns.is_empty() || settings.dry_run {
        None
    } else {
        Some(sdk(settings).await)
    };
    for topic in &sns {
        let r = match &cfg {
            None => Ok(text.to_string()),
            Some(cfg) => rolecall_publish::sns(cfg, topic, text)
                .await
                .map(|_| text.to_string())
                .map_err(|e| e.to_string()),
        };
        out.action(settings.dry_run, "sns:Publish", topic, r);
    }
    for url in &slack {
        let r = if settings.dry_run {
            Ok(text.to_string())
        } else {
            rolecall_publish::slack(url, text, settings.timeout)
                .map(|_| text.to_string())
                .map_err(|e| e.to_string())
        };
        out.action(settings.dry_run, "slack", "Slack webhook", r);
    }
}

async fn security_hub_imported(
    out: &mut Outcome,
    settings: &Settings,
    findings: &[Value],
) -> Result<(), String> {
    let targets = events::finding_targets(findings);
    out.event = json!({"findings": findings.len(), "accounts": targets.iter().map(|t| &t.account).collect::<Vec<_>>()});
    if targets.is_empty() {
        out.note = Some("no finding names an IAM role or Lambda function rolecall can read (rolecall's own findings are skipped)".into());
        return Ok(());
    }
    let mut updates = Vec::new();
    let mut alerts: Vec<rolecall_checks::Finding> = Vec::new();
    for t in targets {
        let got = read(settings, settings.regions.clone(), t).await?;
        let inv = got.inventory;
        out.coverage.extend(coverage(&inv));
        let result = scan(&inv, settings);
        out.findings.extend(finding_summaries(&result));
        for f in findings {
            if let Some(u) = crate::enrich::note_for(f, &result) {
                updates.push(u);
            }
        }
        alerts.extend(
            result
                .findings
                .iter()
                .filter(|f| f.severity >= Severity::High)
                .cloned(),
        );
    }
    let n = updates.len();
    let r = if settings.dry_run || n == 0 {
        Ok(format!("{n} finding(s) annotated"))
    } else {
        let cfg = sdk(settings).await;
        rolecall_publish::annotate_findings(&cfg, &updates)
            .await
            .map_err(|e| e.to_string())
    };
    out.read = json!({"annotations": updates.iter().map(|u| json!({"id": u.id, "note": u.note, "fields": u.fields})).collect::<Vec<_>>()});
    // The owning team hears of the other product's finding with rolecall's account of the role,
    // when that role itself has high or critical findings.
    if !alerts.is_empty() {
        let refs: Vec<&rolecall_checks::Finding> = alerts.iter().collect();
        let mut text = format!("rolecall: {} Security Hub finding(s) concern Lambda execution roles with high or critical findings:\n", updates.len());
        for u in &updates {
            text.push_str(&format!("  - {}\n    {}\n", u.id, u.note));
        }
        notify(out, settings, &refs, &text).await;
    }
    out.action(
        settings.dry_run,
        "securityhub:BatchUpdateFindings",
        "Security Hub",
        r,
    );
    Ok(())
}

/// The text of a team's scheduled report email.
pub fn team_summary(team: &str, r: &ScanResult) -> String {
    let mut text = format!(
        "rolecall: the Lambda execution roles of team {team}, {} function(s) and {} role(s), {} finding(s) (scanned {}).\n\nThe worst first, by permission gap then risk:\n",
        r.functions.len(),
        r.roles.len(),
        r.findings.len(),
        r.evaluated_on
    );
    for f in r.findings.iter().take(25) {
        text.push_str(&format!(
            "  - [{}] {} {} (risk {}): {}\n",
            f.severity, f.code, f.name, f.risk_score, f.title
        ));
    }
    if r.findings.len() > 25 {
        text.push_str(&format!(
            "  - ... and {} more in the attached CSV\n",
            r.findings.len() - 25
        ));
    }
    if !r.coverage.complete {
        text.push_str("\nCoverage was incomplete: some accounts or regions could not be read.\n");
    }
    text
}

/// The scheduled Organization scan: collect, scan, reports to S3 under a dated prefix, findings
/// to Security Hub (resolving only in accounts read completely), and each team lead their own
/// roles' CSV and HTML by email.
async fn scheduled_scan(out: &mut Outcome, settings: &Settings) -> Result<(), String> {
    out.gaps_tolerated = true;
    let mut opts = settings.options(settings.regions.clone());
    opts.org = settings.org;
    let (inv, stats) = rolecall_collect::collect(
        opts,
        rolecall_collect::Progress::new(rolecall_collect::ProgressMode::Quiet),
    )
    .await
    .map_err(|e| e.to_string())?;
    out.event = json!({"org": settings.org, "collected_at": inv.collected_at});
    out.read = json!({"accounts": inv.accounts.len(), "roles": inv.roles.len(), "functions": inv.functions.len(), "api_calls": stats.total_calls()});
    publish_scan(out, settings, inv).await
}

/// Scans a collected Organization and publishes: reports, Security Hub, team emails.
async fn publish_scan(
    out: &mut Outcome,
    settings: &Settings,
    inv: Inventory,
) -> Result<(), String> {
    out.coverage = coverage(&inv);
    let mut result = scan(&inv, settings);
    rolecall_checks::scan::sort_by_gap(&mut result);
    let now = inv.collected_at.clone().unwrap_or_else(now_rfc3339);
    let cfg = if settings.dry_run {
        None
    } else {
        Some(sdk(settings).await)
    };
    if let Some(url) = &settings.history_url {
        // Recorded first: the findings carry their status (new, open, regressed) into the
        // reports, Security Hub and the emails.
        let r = record_history(out, settings, cfg.as_ref(), url, &mut result, &inv).await;
        out.action(settings.dry_run, "history", url, r);
    }
    out.findings = finding_summaries(&result).into_iter().take(100).collect();
    if let Some(url) = &settings.report_url {
        let mut json_body = Vec::new();
        let reports: Vec<(&str, &str, Vec<u8>)> = vec![
            ("rolecall.json", "application/json", {
                rolecall_checks::json::write_pretty(&mut json_body, &result)
                    .map_err(|e| e.to_string())?;
                json_body
            }),
            (
                "rolecall.html",
                "text/html; charset=utf-8",
                rolecall_report::html::render(&result, Some(&inv)).into_bytes(),
            ),
            (
                "rolecall.csv",
                "text/csv; charset=utf-8",
                rolecall_report::csv::render(&result).into_bytes(),
            ),
        ];
        for (name, ctype, body) in reports {
            let key = match rolecall_publish::parse_s3_url(url) {
                Some((bucket, prefix)) => format!(
                    "s3://{bucket}/{}",
                    rolecall_publish::s3_key(&prefix, &now, name)
                ),
                None => url.clone(),
            };
            let r = match &cfg {
                None => Ok(format!("{} bytes", body.len())),
                Some(cfg) => rolecall_publish::s3_put(cfg, url, &now, name, ctype, body)
                    .await
                    .map_err(|e| e.to_string()),
            };
            out.action(settings.dry_run, "s3:PutObject", &key, r);
        }
    }
    if settings.security_hub {
        let asff = rolecall_report::asff::render(
            &result,
            Some(&inv),
            &rolecall_report::asff::AsffOptions {
                home_region: &settings.home_region,
                timestamp: &now,
            },
        );
        let list = asff.as_array().cloned().unwrap_or_default();
        let mut accounts: HashSet<String> = inv.accounts.iter().map(|a| a.id.clone()).collect();
        accounts.extend(inv.roles.iter().map(|r| r.account.clone()));
        for g in &inv.coverage {
            accounts.remove(&g.account);
        }
        let r = match &cfg {
            None => Ok(format!(
                "{} finding(s); stale ones resolved in {} account(s) read completely",
                list.len(),
                accounts.len()
            )),
            Some(cfg) => match rolecall_publish::security_hub(cfg, &list, &accounts, &now).await {
                Ok(o) if o.failed.is_empty() => Ok(format!(
                    "{} finding(s) imported, {} resolved",
                    o.imported, o.resolved
                )),
                Ok(o) => Err(format!(
                    "{} finding(s) rejected: {}",
                    o.failed.len(),
                    o.failed.join("; ")
                )),
                Err(e) => Err(e.to_string()),
            },
        };
        out.action(
            settings.dry_run,
            "securityhub:BatchImportFindings",
            "Security Hub",
            r,
        );
    }
    // Each team's lead: rolecall.toml's `[teams.NAME] email`, else the owner-email tag on the
    // team's functions or roles (the first address found, in ARN order).
    let mut leads: BTreeMap<String, String> = settings
        .config
        .teams
        .iter()
        .filter_map(|(t, v)| v.email.clone().map(|e| (t.clone(), e)))
        .collect();
    let (owner_tag, email_tag) = (
        &settings.config.tags.owner,
        &settings.config.tags.owner_email,
    );
    let tagged = inv
        .functions
        .iter()
        .map(|f| &f.tags)
        .chain(inv.roles.iter().map(|r| &r.tags));
    for tags in tagged {
        if let (Some(team), Some(email)) = (tags.get(owner_tag), tags.get(email_tag)) {
            leads.entry(team.clone()).or_insert_with(|| email.clone());
        }
    }
    let teams: Vec<(&String, &str)> = leads.iter().map(|(t, e)| (t, e.as_str())).collect();
    if settings.ses_from.is_none() {
        let configured = settings.config.teams.values().any(|t| t.email.is_some());
        if configured {
            // rolecall.toml asks for team reports: without a sender that is a failure.
            out.action(settings.dry_run, "sesv2:SendEmail", "team reports", Err("rolecall.toml gives teams email addresses but ROLECALL_SES_FROM (the verified sender) is not set".into()));
        } else if !teams.is_empty() && out.note.is_none() {
            out.note = Some(format!("{} team(s) carry an owner-email tag; set ROLECALL_SES_FROM to email them their reports", teams.len()));
        }
    }
    if let Some(from) = &settings.ses_from {
        for (team, to) in teams {
            let mut mine = result.clone();
            rolecall_checks::scan::apply_filters(
                &mut mine,
                &rolecall_checks::scan::Filters {
                    teams: vec![team.clone()],
                    ..Default::default()
                },
            );
            let csv = rolecall_report::csv::render(&mine);
            let html = rolecall_report::html::render(&mine, Some(&inv));
            let text = team_summary(team, &mine);
            let subject = format!(
                "rolecall: {} finding(s) in team {team}'s Lambda execution roles",
                mine.findings.len()
            );
            let file =
                |ext: &str| format!("rolecall-{team}-{}.{ext}", now.get(..10).unwrap_or(&now));
            let (csv_name, html_name) = (file("csv"), file("html"));
            let attachments = [
                rolecall_publish::Attachment {
                    name: &csv_name,
                    content_type: "text/csv",
                    body: csv.as_bytes(),
                },
                rolecall_publish::Attachment {
                    name: &html_name,
                    content_type: "text/html",
                    body: html.as_bytes(),
                },
            ];
            let r = match &cfg {
                None => rolecall_publish::mime_message(from, to, &subject, &text, &attachments)
                    .map(|m| format!("{subject} ({} bytes)", m.len())),
                Some(cfg) => {
                    rolecall_publish::send_email(cfg, from, to, &subject, &text, &attachments)
                        .await
                        .map(|id| format!("{subject} (message {id})"))
                        .map_err(|e| e.to_string())
                }
            };
            out.action(settings.dry_run, "sesv2:SendEmail", to, r);
        }
    }
    if !out.coverage.is_empty() {
        out.note = Some(
            "coverage is incomplete: findings in unread accounts stay open in Security Hub".into(),
        );
    }
    Ok(())
}

/// Where a fanned-out run keeps its snapshots: next to the reports, under `runs/<run>/`.
fn run_url(settings: &Settings, run: &str) -> Result<String, String> {
    let url = settings.report_url.as_deref().ok_or(
        "ROLECALL_REPORT_URL is not set: a fanned-out scan keeps its snapshots in that bucket",
    )?;
    let (bucket, prefix) =
        rolecall_publish::parse_s3_url(url).ok_or("ROLECALL_REPORT_URL is not an s3:// URL")?;
    Ok(if prefix.is_empty() {
        format!("s3://{bucket}/runs/{run}/")
    } else {
        format!("s3://{bucket}/{prefix}/runs/{run}/")
    })
}

async fn put_json(out: &mut Outcome, settings: &Settings, url: &str, name: &str, inv: &Inventory) {
    let body = match serde_json::to_vec(inv) {
        Ok(b) => b,
        Err(e) => {
            out.action(
                settings.dry_run,
                "s3:PutObject",
                &format!("{url}{name}"),
                Err(e.to_string()),
            );
            return;
        }
    };
    let r = if settings.dry_run {
        Ok(format!("{} bytes", body.len()))
    } else {
        let cfg = sdk(settings).await;
        match rolecall_publish::parse_s3_url(url) {
            Some((bucket, prefix)) => rolecall_publish::s3_put_object(
                &cfg,
                &bucket,
                &format!("{prefix}/{name}"),
                "application/json",
                body,
            )
            .await
            .map_err(|e| e.to_string()),
            None => Err(format!("{url}: not an s3:// URL")),
        }
    };
    out.action(settings.dry_run, "s3:PutObject", &format!("{url}{name}"), r);
}

/// Step Functions' first state: the Organization (accounts, SCPs, RCPs) into `org.json`, and
/// whether the accounts are many enough to fan out.
async fn plan_scan(out: &mut Outcome, settings: &Settings) -> Result<(), String> {
    out.gaps_tolerated = true;
    let inv = rolecall_collect::organization(settings.options(settings.regions.clone()))
        .await
        .map_err(|e| e.to_string())?;
    let run = inv
        .collected_at
        .clone()
        .unwrap_or_else(now_rfc3339)
        .replace([':', '-'], "")
        .to_ascii_lowercase();
    let ids: Vec<&str> = inv.accounts.iter().map(|a| a.id.as_str()).collect();
    let fan_out = ids.len() > settings.fanout_accounts;
    out.coverage = coverage(&inv);
    out.read = json!({"accounts": ids.len()});
    out.result = json!({"run": run, "fan_out": fan_out, "accounts": ids});
    if fan_out {
        let url = run_url(settings, &run)?;
        put_json(out, settings, &url, "org.json", &inv).await;
    }
    Ok(())
}

/// One Distributed Map item: one account, read whole, into `accounts/<id>.json`. What cannot be
/// read is the snapshot's coverage; the task fails only when the snapshot cannot be written.
async fn collect_account(
    out: &mut Outcome,
    settings: &Settings,
    account: &str,
    run: &str,
) -> Result<(), String> {
    out.gaps_tolerated = true;
    let url = run_url(settings, run)?;
    let mut opts = settings.options(settings.regions.clone());
    opts.accounts = vec![account.to_string()];
    // The plan read every account's SCPs and RCPs once (org.json); the merge applies them.
    opts.org = false;
    let (inv, stats) = rolecall_collect::collect(
        opts,
        rolecall_collect::Progress::new(rolecall_collect::ProgressMode::Quiet),
    )
    .await
    .map_err(|e| e.to_string())?;
    out.event = json!({"account": account, "run": run});
    out.read = json!({"roles": inv.roles.len(), "functions": inv.functions.len(), "api_calls": stats.total_calls()});
    out.coverage = coverage(&inv);
    put_json(
        out,
        settings,
        &url,
        &format!("accounts/{account}.json"),
        &inv,
    )
    .await;
    out.result = json!({"account": account, "roles": inv.roles.len(), "functions": inv.functions.len(), "gaps": inv.coverage.len()});
    Ok(())
}

/// The last state: `org.json` and every account's snapshot merged (an account whose task left no
/// snapshot is a coverage entry), then scanned and published as the one-task scan is.
async fn merge_scan(out: &mut Outcome, settings: &Settings, run: &str) -> Result<(), String> {
    out.gaps_tolerated = true;
    let url = run_url(settings, run)?;
    let cfg = sdk(settings).await;
    let mut org: Option<Inventory> = None;
    let mut parts: Vec<Inventory> = Vec::new();
    let mut unreadable: Vec<String> = Vec::new();
    let mut unfetched: Vec<String> = Vec::new();
    rolecall_collect::each_log_object(
        &cfg,
        &url,
        |key, bytes| {
            let text = String::from_utf8_lossy(bytes);
            match rolecall_inventory::import::from_text(std::path::Path::new(key), &text) {
                Ok(inv) if key.ends_with("/org.json") => org = Some(inv),
                Ok(inv) => parts.push(inv),
                Err(e) => unreadable.push(e.to_string()),
            }
        },
        |key, e| unfetched.push(format!("{key}: {e}")),
    )
    .await?;
    unreadable.extend(unfetched);
    let mut inv =
        org.ok_or_else(|| format!("{url}org.json is missing: the plan did not run for run {run}"))?;
    let have: HashSet<String> = parts
        .iter()
        .flat_map(|p| p.accounts.iter().map(|a| a.id.clone()))
        .collect();
    for a in &inv.accounts {
        if !have.contains(&a.id) {
            inv.coverage.push(rolecall_inventory::CoverageEntry {
                account: a.id.clone(),
                region: None,
                api: "states:collect-account".into(),
                error: "the account's collection task failed or timed out: nothing of it was read"
                    .into(),
            });
        }
    }
    for e in unreadable {
        inv.coverage.push(rolecall_inventory::CoverageEntry {
            account: String::new(),
            region: None,
            api: "s3:GetObject".into(),
            error: e,
        });
    }
    inv.merge_many(parts);
    inv.source = "aws".into();
    out.event = json!({"run": run});
    out.read = json!({"accounts": inv.accounts.len(), "roles": inv.roles.len(), "functions": inv.functions.len()});
    publish_scan(out, settings, inv).await
}

/// The history from S3 (a new one when there is none yet), this scan recorded into it, written
/// back, and exported when `ROLECALL_EXPORT_URL` is set. Dry, it records into a scratch copy
/// and writes nothing.
async fn record_history(
    out: &mut Outcome,
    settings: &Settings,
    cfg: Option<&rolecall_collect::SdkConfig>,
    url: &str,
    result: &mut ScanResult,
    inv: &Inventory,
) -> Result<String, String> {
    let read_cfg = match cfg {
        Some(c) => c.clone(),
        None => sdk(settings).await,
    };
    let existing = rolecall_collect::s3_get(&read_cfg, url).await?;
    let path = std::env::temp_dir().join(format!("rolecall-history-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    if let Some(bytes) = &existing {
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    type Parts = Vec<(String, Vec<u8>)>;
    let recorded = (|| -> Result<(rolecall_history::Recorded, Parts), String> {
        let mut store = rolecall_history::Store::open(&path).map_err(|e| e.to_string())?;
        let r = rolecall_history::record::record_scan(
            &mut store,
            result,
            inv,
            settings.config.baseline.is_some(),
            None,
        )
        .map_err(|e| e.to_string())?;
        let mut parts: Parts = Vec::new();
        if settings.export_url.is_some() {
            store
                .export::<rolecall_history::HistoryError>(
                    rolecall_history::export::ExportFormat::Parquet,
                    None,
                    &mut |key, body| {
                        parts.push((key.to_string(), body));
                        Ok(())
                    },
                )
                .map_err(|e| e.to_string())?;
        }
        Ok((r, parts))
    })();
    let (r, parts) = match recorded {
        Ok(x) => x,
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
    };
    let db = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()));
    let _ = std::fs::remove_file(&path);
    let db = db?;
    let summary = format!(
        "scan {} recorded ({}): {} new, {} fixed, {} regressed",
        r.scan_id,
        if existing.is_some() {
            "existing history"
        } else {
            "a new history"
        },
        r.new,
        r.fixed,
        r.regressed
    );
    let Some(cfg) = cfg else {
        return Ok(format!("{summary}; {} export file(s)", parts.len()));
    };
    let (bucket, key) = rolecall_publish::parse_s3_url(url).ok_or("not an s3:// URL")?;
    rolecall_publish::s3_put_object(cfg, &bucket, &key, "application/vnd.sqlite3", db)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(export) = &settings.export_url {
        let (bucket, prefix) = rolecall_publish::parse_s3_url(export).ok_or("not an s3:// URL")?;
        let n = parts.len();
        for (k, body) in parts {
            let key = if prefix.is_empty() {
                k
            } else {
                format!("{prefix}/{k}")
            };
            rolecall_publish::s3_put_object(
                cfg,
                &bucket,
                &key,
                "application/vnd.apache.parquet",
                body,
            )
            .await
            .map_err(|e| e.to_string())?;
        }
        out.action(
            false,
            "s3:PutObject",
            export,
            Ok(format!("{n} Parquet file(s) of the history")),
        );
    }
    Ok(summary)
}
