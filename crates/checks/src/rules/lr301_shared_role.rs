//! ## What it does
//! Reports an execution role used by several functions. Two functions sharing a role is low
//! severity; three or more (configurable) is medium; functions of different owner teams sharing one
//! role raise it one step further.
//!
//! ## Why is this bad?
//! A shared role holds the union of every function's needs, so each function is over-permissioned
//! by the others'. It hides ownership, and no one can shrink it without breaking someone else.
//!
//! ## Example
//! `email-digest`, `webhook-retry` and `loyalty-points` (three teams) all run as `shared-worker-role`.
//!
//! ## Remediation
//! Give each function its own role with the permissions it uses (`rolecall suggest FUNCTION`).
//!
//! ## References
//! - https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
//! - https://docs.aws.amazon.com/wellarchitected/latest/serverless-applications-lens/identity-and-access-management.html

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR301",
        name: "shared-role",
        severity: Severity::Medium,
        summary: "One execution role used by several functions",
        remediation: "Give each function its own role holding only the permissions it uses.",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
        ],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    let n = ra.functions.len();
    if n < 2 {
        return;
    }
    let key = &cx.config.tags.owner;
    let funcs: Vec<_> = ra
        .functions
        .iter()
        .filter_map(|&i| cx.inventory.functions.get(i))
        .collect();
    let mut teams: Vec<&str> = funcs.iter().filter_map(|f| cx.tag(&f.tags, key)).collect();
    teams.sort_unstable();
    teams.dedup();
    let mut sev = if n >= cx.config.thresholds.shared_role_functions {
        Severity::Medium
    } else {
        Severity::Low
    };
    if teams.len() > 1 {
        sev = sev.raised();
    }
    let evidence = vec![Evidence {
        policy: ra.role.arn.clone(),
        statement: "(execution role)".into(),
        resources: funcs
            .iter()
            .map(|f| {
                format!(
                    "{} ({}={})",
                    f.arn,
                    key,
                    cx.tag(&f.tags, key).unwrap_or("?")
                )
            })
            .collect(),
        note: Some(format!("{n} functions, {} owner team(s)", teams.len())),
        ..Default::default()
    }];
    let teams_text = if teams.len() > 1 {
        format!(" across teams {}", teams.join(", "))
    } else {
        String::new()
    };
    out.role(
        ra,
        cx,
        sev,
        format!("{} is shared by {n} functions{teams_text}", ra.role.name),
        evidence,
        "",
    );
}
