//! The rule catalogue: one file per rule, registered in [`RULES`]. Codes are permanent.
//!
//! A rule file starts with its documentation (What it does / Why is this bad? / Example /
//! Remediation / References), from which `rolecall explain` and `docs/rules.md` are generated; then
//! its [`RuleMeta`]; then the check, a function of the context and one role (or one function) that
//! emits findings, asking the policy engine every "is this allowed" question and citing the
//! statement that grants it.

use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{finding_id, Evidence, Finding, Severity};
use rolecall_catalog::{ActionId, ActionSet, Catalog};
use rolecall_inventory::Function;
use rolecall_policy::effective::describe_condition;
use rolecall_policy::Grant;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

mod lr101_admin_access;
mod lr102_service_wildcard;
mod lr103_unscoped_resource;
mod lr104_allow_not_action;
mod lr105_allow_not_resource;
mod lr106_full_access_managed_policy;
mod lr201_privilege_escalation;
mod lr202_permissions_management;
mod lr203_credentials_exposure;
mod lr204_data_exfiltration;
pub use lr204_data_exfiltration::data_reads;
mod lr205_infrastructure_modification;
mod lr206_pass_role_unscoped;
mod lr301_shared_role;
mod lr302_orphaned_role;
mod lr303_dormant_function;
mod lr304_no_permission_boundary;
mod lr305_weak_permission_boundary;
mod lr306_role_naming;
mod lr307_missing_ownership_tags;
mod lr401_trust_any_principal;
mod lr402_trust_cross_account;
mod lr403_trust_non_lambda_service;
mod lr501_public_function_url;
mod lr502_public_resource_policy;
mod lr503_cross_account_invoke;
mod lr504_service_invoke_without_source;
mod lr601_unused_permissions;
mod lr602_unused_services;
mod lr701_exceeds_approved_template;
mod lr801_drift_beyond_baseline;
mod lr802_unreviewed_role;
mod lr803_boundary_removed;
mod lr901_unknown_action;
mod lr902_invalid_policy;

/// Every rule, in code order. Registering a rule is one line here.
pub static RULES: &[&Rule] = &[
    &lr101_admin_access::RULE,
    &lr102_service_wildcard::RULE,
    &lr103_unscoped_resource::RULE,
    &lr104_allow_not_action::RULE,
    &lr105_allow_not_resource::RULE,
    &lr106_full_access_managed_policy::RULE,
    &lr201_privilege_escalation::RULE,
    &lr202_permissions_management::RULE,
    &lr203_credentials_exposure::RULE,
    &lr204_data_exfiltration::RULE,
    &lr205_infrastructure_modification::RULE,
    &lr206_pass_role_unscoped::RULE,
    &lr301_shared_role::RULE,
    &lr302_orphaned_role::RULE,
    &lr303_dormant_function::RULE,
    &lr304_no_permission_boundary::RULE,
    &lr305_weak_permission_boundary::RULE,
    &lr306_role_naming::RULE,
    &lr307_missing_ownership_tags::RULE,
    &lr401_trust_any_principal::RULE,
    &lr402_trust_cross_account::RULE,
    &lr403_trust_non_lambda_service::RULE,
    &lr501_public_function_url::RULE,
    &lr502_public_resource_policy::RULE,
    &lr503_cross_account_invoke::RULE,
    &lr504_service_invoke_without_source::RULE,
    &lr601_unused_permissions::RULE,
    &lr602_unused_services::RULE,
    &lr701_exceeds_approved_template::RULE,
    &lr801_drift_beyond_baseline::RULE,
    &lr802_unreviewed_role::RULE,
    &lr803_boundary_removed::RULE,
    &lr901_unknown_action::RULE,
    &lr902_invalid_policy::RULE,
];

include!(concat!(env!("OUT_DIR"), "/rule_docs.rs"));

/// Constant facts about a rule.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    /// kebab-case, after the bad pattern.
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what the rule reports.
    pub summary: &'static str,
    pub remediation: &'static str,
    pub references: &'static [&'static str],
    /// AWS Security Finding Format `Types`.
    pub asff_types: &'static [&'static str],
    /// Compliance controls the rule supports (CIS, NIST 800-53, ...).
    pub compliance: &'static [&'static str],
    /// Needs live account data (last use, every function): skipped for IaC templates.
    pub needs_live_data: bool,
    /// Kinds of inventory data the rule reads (`rolecall_inventory::data_kind`): skipped, with a
    /// note, when the input lacks one (an absent tag is unknown, never "missing").
    pub needs_data: &'static [&'static str],
}

pub type RoleCheck = fn(&Ctx<'_>, &RoleAnalysis<'_>, &mut Emitter<'_>);
pub type FunctionCheck = fn(&Ctx<'_>, &Function, &mut Emitter<'_>);

pub struct Rule {
    pub meta: RuleMeta,
    /// Runs once per role, with its effective permissions and functions.
    pub role: Option<RoleCheck>,
    /// Runs once per function.
    pub function: Option<FunctionCheck>,
}

impl Rule {
    /// The rule's documentation, from the doc comment of its file.
    pub fn doc(&self) -> &'static str {
        RULE_DOCS
            .iter()
            .find(|(c, _)| *c == self.meta.code)
            .map(|(_, d)| *d)
            .unwrap_or("")
    }
}

pub fn find_rule(code_or_name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.meta.code.eq_ignore_ascii_case(code_or_name) || r.meta.name == code_or_name)
}

/// Collects the findings of one rule run, filling in what every finding carries.
pub struct Emitter<'o> {
    pub meta: &'static RuleMeta,
    pub out: &'o mut Vec<Finding>,
}

impl Emitter<'_> {
    /// A finding about a role (region `global`), carrying its functions.
    pub fn role(
        &mut self,
        ra: &RoleAnalysis<'_>,
        cx: &Ctx<'_>,
        severity: Severity,
        title: String,
        evidence: Vec<Evidence>,
        detail: &str,
    ) {
        let functions: Vec<String> = ra
            .functions
            .iter()
            .filter_map(|&i| cx.inventory.functions.get(i))
            .map(|f| f.arn.clone())
            .collect();
        let team = owner_team(cx, ra);
        self.push(Finding {
            id: finding_id(
                self.meta.code,
                &ra.role.account,
                "global",
                &ra.role.arn,
                detail,
            ),
            code: self.meta.code.into(),
            name: self.meta.name.into(),
            severity,
            title,
            account: ra.role.account.clone(),
            region: "global".into(),
            resource_arn: ra.role.arn.clone(),
            function_arns: functions,
            evidence,
            remediation: Cow::Borrowed(self.meta.remediation),
            references: self.references(),
            risk_score: 0,
            team,
            status: None,
            first_seen: None,
        });
    }

    /// A finding about a function.
    pub fn function(
        &mut self,
        f: &Function,
        cx: &Ctx<'_>,
        severity: Severity,
        title: String,
        evidence: Vec<Evidence>,
        detail: &str,
    ) {
        self.push(Finding {
            id: finding_id(self.meta.code, &f.account, &f.region, &f.arn, detail),
            code: self.meta.code.into(),
            name: self.meta.name.into(),
            severity,
            title,
            account: f.account.clone(),
            region: f.region.clone(),
            resource_arn: f.arn.clone(),
            function_arns: vec![f.arn.clone()],
            evidence,
            remediation: Cow::Borrowed(self.meta.remediation),
            references: self.references(),
            risk_score: 0,
            team: cx.tag(&f.tags, &cx.config.tags.owner).map(str::to_string),
            status: None,
            first_seen: None,
        });
    }

    /// The rule's references, borrowed.
    fn references(&self) -> Vec<Cow<'static, str>> {
        self.meta
            .references
            .iter()
            .map(|s| Cow::Borrowed(*s))
            .collect()
    }

    fn push(&mut self, mut f: Finding) {
        f.evidence = merge_evidence(std::mem::take(&mut f.evidence));
        self.out.push(f);
    }
}

/// Evidence entries that differ only in their actions (same policy, statement, resources and
/// conditions, no note of their own) become one entry listing the actions in order: a
/// `NotAction` statement granting forty sensitive actions is cited once, not forty times.
fn merge_evidence(evidence: Vec<Evidence>) -> Vec<Evidence> {
    if evidence.len() < 2 {
        return evidence;
    }
    let mut out: Vec<Evidence> = Vec::with_capacity(evidence.len());
    let mut at: HashMap<(String, String, Vec<String>, Vec<String>), usize> = HashMap::new();
    let mut seen: HashSet<(usize, Cow<'static, str>)> = HashSet::new();
    for e in evidence {
        if e.note.is_some() {
            out.push(e);
            continue;
        }
        let key = (
            e.policy.clone(),
            e.statement.clone(),
            e.resources.clone(),
            e.conditions.clone(),
        );
        let i = *at.entry(key).or_insert(out.len());
        match out.get_mut(i) {
            Some(x) => {
                for a in e.actions {
                    if seen.insert((i, a.clone())) {
                        x.actions.push(a);
                    }
                }
            }
            None => {
                seen.extend(e.actions.iter().map(|a| (i, a.clone())));
                out.push(e);
            }
        }
    }
    out
}

/// The owner team of a role: its functions' owner tags if they agree, else the role's own tag.
pub fn owner_team(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>) -> Option<String> {
    let key = &cx.config.tags.owner;
    let mut teams: Vec<&str> = ra
        .functions
        .iter()
        .filter_map(|&i| cx.inventory.functions.get(i))
        .filter_map(|f| cx.tag(&f.tags, key))
        .collect();
    teams.sort_unstable();
    teams.dedup();
    match teams.as_slice() {
        [one] => Some(one.to_string()),
        [] => cx.tag(&ra.role.tags, key).map(str::to_string),
        many => Some(many.join(",")),
    }
}

/// Up to this many action names are listed in one piece of evidence.
const MAX_LISTED: usize = 12;

/// Evidence for `actions` granted by `g`.
/// A title's list of names: the first few, then how many more (the evidence has them all).
pub fn listed(names: &[String], max: usize) -> String {
    if names.len() <= max {
        return names.join(", ");
    }
    format!(
        "{} and {} more",
        names.get(..max).unwrap_or(names).join(", "),
        names.len() - max
    )
}

pub fn grant_evidence(cat: &Catalog, g: &Grant, actions: &[ActionId]) -> Evidence {
    evidence_of(
        cat,
        g,
        actions.iter().copied(),
        actions.len(),
        |x: &ActionSet| actions.iter().any(|a| x.contains(*a)),
    )
}

/// [`grant_evidence`] for a set of actions: set operations only, whatever its size.
pub fn grant_evidence_set(cat: &Catalog, g: &Grant, actions: &ActionSet) -> Evidence {
    evidence_of(cat, g, actions.iter(), actions.len(), |x: &ActionSet| {
        x.intersects(actions)
    })
}

fn evidence_of(
    cat: &Catalog,
    g: &Grant,
    actions: impl Iterator<Item = ActionId>,
    count: usize,
    touches: impl Fn(&ActionSet) -> bool,
) -> Evidence {
    let mut names: Vec<Cow<'static, str>> = actions
        .take(MAX_LISTED)
        .map(|i| crate::finding::action_name(cat, i))
        .collect();
    let note = (count > MAX_LISTED).then(|| {
        names.push(format!("... and {} more", count - MAX_LISTED).into());
        format!("{count} actions in all")
    });
    let mut resources = g.resources.include.clone();
    resources.extend(g.resources.exclude.iter().map(|e| format!("except {e}")));
    let mut conditions: Vec<String> = g.conditions.iter().map(describe_condition).collect();
    for x in g.exceptions.iter().filter(|x| touches(&x.actions)) {
        conditions.push(format!(
            "denied{} on {} by {} ({})",
            if x.conditional {
                " when its conditions hold"
            } else {
                ""
            },
            x.resources.include.join(", "),
            x.source.policy,
            x.source.statement
        ));
    }
    Evidence {
        policy: g.source.policy.clone(),
        statement: g.source.statement.clone(),
        actions: names,
        resources,
        conditions,
        note,
    }
}

/// Groups the `wanted` actions the role is granted on unscoped resources (`*`) by the grant that
/// gives them, strongest grant first.
/// [`unscoped_groups`] as sets (no per-action vectors).
pub fn unscoped_group_sets<'g>(
    ra: &'g RoleAnalysis<'_>,
    wanted: &ActionSet,
) -> Vec<(&'g Grant, ActionSet)> {
    ra.effective.unscoped_groups(wanted)
}

pub fn unscoped_groups<'g>(
    ra: &'g RoleAnalysis<'_>,
    wanted: &ActionSet,
) -> Vec<(&'g Grant, Vec<ActionId>)> {
    ra.effective
        .unscoped_groups(wanted)
        .into_iter()
        .map(|(g, s)| (g, s.iter().collect()))
        .collect()
}

/// Hygiene rules (boundary, naming, tags, unused and dormant roles): grouped apart in the terminal
/// so they do not push risks off the first screen.
pub const HYGIENE: &[&str] = &["LR302", "LR303", "LR304", "LR306", "LR307"];

/// Is this statement AWS's own baseline (an execution-role managed policy, a SAM policy
/// template), which breadth rules skip unless `report_aws_baseline = true`?
pub fn baseline_noise(
    cx: &Ctx<'_>,
    ra: &RoleAnalysis<'_>,
    src: &rolecall_policy::StatementRef,
) -> bool {
    !cx.config.report_aws_baseline
        && crate::baseline::is_baseline_source(ra.role, &cx.inventory.aws_baseline_policies, src)
}

/// Is the role one of CDK's internal ones, which breadth rules skip unless
/// `report_aws_baseline = true`?
pub fn cdk_internal_noise(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>) -> bool {
    !cx.config.report_aws_baseline && crate::baseline::is_cdk_internal(ra.role)
}

/// A grant's severity: the base, one step lower when the grant carries conditions of its own.
pub fn grant_severity(base: Severity, g: &Grant) -> Severity {
    if g.is_conditional() {
        base.lowered()
    } else {
        base
    }
}

/// Ids of the named actions that exist in the catalogue.
pub fn ids(cat: &Catalog, names: &[&str]) -> Vec<ActionId> {
    names.iter().filter_map(|n| cat.lookup(n)).collect()
}

/// Every statement of the role's trust policy that allows assuming it.
pub fn trust_statements<'a>(
    ra: &'a RoleAnalysis<'_>,
) -> Vec<(&'a rolecall_policy::Policy, &'a rolecall_policy::Statement)> {
    let Some(t) = &ra.resolved.trust else {
        return Vec::new();
    };
    t.statements
        .iter()
        .filter(|s| {
            s.effect == rolecall_policy::Effect::Allow
                && s.action.patterns().iter().any(|a| {
                    rolecall_catalog::wildcard::matches_ignore_case(a, "sts:AssumeRole")
                        || a.to_ascii_lowercase().starts_with("sts:assumerole")
                })
        })
        .map(|s| (t.as_ref(), s))
        .collect()
}

/// Does the trust policy let this service principal assume the role?
pub fn trusts_service(ra: &RoleAnalysis<'_>, service: &str) -> bool {
    trust_statements(ra).iter().any(|(_, s)| {
        s.principal
            .as_ref()
            .is_some_and(|p| p.service.iter().any(|x| x == service))
    })
}

/// The account of an AWS principal (`123456789012`, `arn:aws:iam::123456789012:root`, role ARNs).
pub fn principal_account(p: &str) -> Option<String> {
    if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
        return Some(p.to_string());
    }
    p.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
}

/// The rule reference as Markdown (`docs/rules.md`, `rolecall rules --format markdown`), generated
/// from the rules' metadata and doc comments.
pub fn docs_markdown() -> String {
    let mut out = String::from("# Rules\n\n<!-- Generated from the rule files' doc comments by `rolecall rules --format markdown`; do not edit. -->\n\n");
    out.push_str("| code | name | default severity | summary |\n|---|---|---|---|\n");
    for r in RULES {
        out.push_str(&format!(
            "| [{}](#{}) | {} | {} | {} |\n",
            r.meta.code,
            r.meta.code.to_ascii_lowercase(),
            r.meta.name,
            r.meta.severity,
            r.meta.summary
        ));
    }
    for r in RULES {
        out.push_str(&format!(
            "\n## {}\n\n`{}` · default severity **{}**",
            r.meta.code, r.meta.name, r.meta.severity
        ));
        if r.meta.needs_live_data {
            out.push_str(" · needs live account data (skipped for templates)");
        }
        out.push_str("\n\n");
        // Demote the doc's headings one level under the rule's.
        for line in r.doc().lines() {
            if let Some(h) = line.strip_prefix("## ") {
                out.push_str(&format!("### {h}\n"));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        if !r.meta.compliance.is_empty() {
            out.push_str(&format!("\nCompliance: {}\n", r.meta.compliance.join(", ")));
        }
    }
    out
}

/// A named action set built once per process (`cached_set(&CELL, NAMES)`).
pub fn cached_set(
    cell: &'static std::sync::OnceLock<ActionSet>,
    names: &[&str],
) -> &'static ActionSet {
    cell.get_or_init(|| rolecall_catalog::catalog().set_of(names))
}
