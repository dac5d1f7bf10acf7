use crate::sources::SourceArgs;
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use rolecall_catalog::{catalog, ActionSet};
use rolecall_inventory::model::same_role;
use rolecall_inventory::PolicyStore;
use rolecall_policy::Analyzer;
use rolecall_usage::suggest::{self, FunctionFacts, Options};
use serde_json::json;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq, Debug)]
pub enum Format {
    /// `{"role", "policy", "boundary", "warnings", "check"}` (`--document`: the bare document).
    #[default]
    Json,
    Cloudformation,
    Terraform,
}

#[derive(Args)]
pub struct SuggestArgs {
    /// The role (ARN or name) or a function (name or ARN) whose role to rewrite.
    target: String,
    #[command(flatten)]
    source: SourceArgs,
    /// Observed use (repeatable, required): `cloudtrail=DIR|FILE`, `cloudtrail=s3://bucket/prefix`,
    /// `athena=DATABASE.TABLE`, `cloudtrail-lake=EVENT_DATA_STORE` or `access-advisor`.
    #[arg(long, value_name = "SOURCE=WHERE", required = true)]
    usage: Vec<String>,
    /// Days of use to consider, ending at the collection time.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(i64).range(1..=3660))]
    usage_window: i64,
    /// Last day of the window (YYYY-MM-DD; default: the inventory's collection day, else today).
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// json (the policy, boundary, warnings and the engine's check), cloudformation or
    /// terraform (policy and boundary; warnings and check in Metadata or comments).
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// With --format json: print the bare policy document (or the boundary with --boundary),
    /// ready for `aws iam put-role-policy`; warnings then go to standard error only.
    #[arg(long)]
    document: bool,
    /// With --format json: the suggested permission boundary (implies --document).
    #[arg(long)]
    boundary: bool,
    /// Above this many distinct resources for one action, generalise them to their common
    /// prefix (per bucket for S3, per resource type otherwise; never past either).
    #[arg(long, value_name = "N", default_value_t = suggest::DEFAULT_MAX_RESOURCES)]
    max_resources: usize,
}

pub fn run(a: SuggestArgs) -> Result<ExitCode> {
    let mut inv = a.source.with_usage(&a.usage, a.usage_window)?.load()?;
    let today = crate::sources::scan_day(&inv, a.until.as_deref())?;
    crate::sources::add_usage(&mut inv, &a.usage, a.usage_window, today, &a.source.live)?;
    let cat = catalog();
    let t = a.target.as_str();
    let role = inv
        .roles
        .iter()
        .find(|r| r.arn == t || r.name == t)
        .or_else(|| {
            let f = inv.functions.iter().find(|f| f.name == t || f.arn == t)?;
            inv.roles.iter().find(|r| same_role(&r.arn, &f.role_arn))
        })
        .cloned();
    let Some(role) = role else {
        bail!("no role or function {t:?} in the inventory")
    };
    let Some(all_usage) = inv.usage.as_ref() else {
        bail!("no usage data was read")
    };
    let Some(cov) = all_usage
        .account_coverage(&role.account)
        .map(|c| c.into_owned())
    else {
        let covered: Vec<String> = all_usage
            .coverage
            .as_ref()
            .map(|c| c.accounts.keys().cloned().collect())
            .unwrap_or_default();
        bail!(
            "no usage data for account {} ({}): the sources cover {}; that says nothing about whether the role is used",
            role.account,
            role.arn,
            if covered.is_empty() { "no account".to_string() } else { format!("account(s) {}", covered.join(", ")) }
        )
    };
    // Granted today, and what the logs could not show.
    let mut store = PolicyStore::new(&inv);
    let granted = Analyzer::new(cat)
        .effective(&store.resolve(&role).principal_policies())
        .allowed;
    let mut hidden = ActionSet::empty(cat.len());
    for (svc, set) in rolecall_catalog::risk::data_event_sets(cat) {
        if !cov.all_observable && !cov.data_events.contains(svc) {
            hidden.union_with(&set);
        }
    }
    let (covered_days, window_days) = all_usage.days_covered(&role.account);
    let partial = covered_days < window_days;
    let usage = all_usage
        .roles
        .iter()
        .find(|(arn, _)| same_role(arn, &role.arn))
        .map(|(_, ru)| ru.clone());
    let Some(usage) = usage.filter(|u| !u.actions.is_empty()) else {
        let hidden_granted = granted.intersection_len(&hidden);
        if partial || hidden_granted > 0 {
            bail!(
                "{} was not seen doing anything, but the logs cover only {covered_days} of the window's {window_days} days{}: not enough to build a policy from, nor to call the role unused",
                role.arn,
                if hidden_granted > 0 {
                    format!(" and cannot show {hidden_granted} of its granted actions (no data events of their service)")
                } else {
                    String::new()
                }
            );
        }
        bail!("{} was not seen doing anything in the {window_days} days of the window, which the logs cover in full: there is no use to build a policy from (consider removing the role)", role.arn);
    };
    let functions: Vec<FunctionFacts> = inv
        .functions
        .iter()
        .filter(|f| same_role(&f.role_arn, &role.arn))
        .map(FunctionFacts::of)
        .collect();
    let mut s = suggest::suggest(
        cat,
        &role.arn,
        &usage,
        &functions,
        &Options {
            max_resources: a.max_resources,
        },
    );
    let hidden_granted: Vec<String> = granted
        .intersection(&hidden)
        .iter()
        .filter(|id| !usage.actions.contains_key(&cat.full_name(*id)))
        .map(|id| cat.full_name(id))
        .collect();
    if !hidden_granted.is_empty() {
        let shown: Vec<&str> = hidden_granted.iter().take(30).map(String::as_str).collect();
        s.warnings.push(suggest::Warning {
            kind: "not-observable",
            action: None,
            resource: None,
            detail: format!(
                "{} granted action(s) only data events record, and the logs hold none of their service: not in the suggestion; check the function does not need them ({}{})",
                hidden_granted.len(),
                shown.join(", "),
                if hidden_granted.len() > shown.len() { ", ..." } else { "" }
            ),
        });
    }
    if partial {
        s.warnings.push(suggest::Warning {
            kind: "window-partial",
            action: None,
            resource: None,
            detail: format!(
                "the logs cover {covered_days} of the window's {window_days} days for account {}: rare code paths may be missing",
                role.account
            ),
        });
    }
    let check = suggest::check(cat, &s, &role.arn, &usage, Some(&granted), Some(&hidden));
    for w in &s.warnings {
        eprintln!(
            "warning [{}]{}: {}",
            w.kind,
            w.action
                .as_deref()
                .map(|x| format!(" {}", crate::table::clean(x, 200)))
                .unwrap_or_default(),
            // Names in warnings come from the logs: printed as data, never as terminal controls.
            crate::table::clean(&w.detail, 2000)
        );
    }
    eprintln!(
        "check: {} of {} observed call(s) allowed by the suggestion under its boundary; {} of {} granted but unused action(s) denied",
        check.observed_allowed, check.observed_calls, check.unused_denied, check.unused_granted
    );
    match a.format {
        Format::Json if a.document || a.boundary => println!(
            "{}",
            serde_json::to_string_pretty(if a.boundary { &s.boundary } else { &s.policy })?
        ),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "role": role.arn,
                "policy": s.policy,
                "boundary": s.boundary,
                "warnings": s.warnings,
                "check": check,
            }))?
        ),
        Format::Cloudformation => println!(
            "{}",
            serde_json::to_string_pretty(&suggest::cloudformation(&s, &role.name, &check))?
        ),
        Format::Terraform => print!("{}", suggest::terraform(&s, &role.name, &check)),
    }
    if !check.passed() {
        eprintln!(
            "error: the engine's replay of the suggestion failed ({} broken call(s): {}; {} unused action(s) still granted: {}; baseline blocked: {}); do not deploy it as is",
            check.observed_calls - check.observed_allowed,
            crate::table::clean(&check.broken.join(", "), 2000),
            check.unused_granted - check.unused_denied,
            check.still_granted.join(", "),
            check.baseline_blocked.join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
