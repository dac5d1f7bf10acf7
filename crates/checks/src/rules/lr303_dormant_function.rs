//! ## What it does
//! Reports a function whose execution role was last used longer ago than the dormancy threshold
//! (90 days by default, `thresholds.dormant_days`), or never, for a role older than that.
//!
//! ## Why is this bad?
//! Dormant functions keep their permissions and triggers, receive no patches, and are forgotten by
//! their owners: a quiet way in.
//!
//! ## Example
//! `payments-legacy-paypal-ipn`, role last used 2026-02-01.
//!
//! ## Remediation
//! Confirm with the owner, then delete the function and its role, or remove its triggers and
//! permissions until it is needed again.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html#roles-managingrole-deleting-iam

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR303",
        name: "dormant-function",
        severity: Severity::Low,
        summary: "Execution role not used for longer than the dormancy threshold",
        remediation: "Confirm with the owner, then delete the function and its role, or remove its triggers and permissions.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-2(3)"],
        needs_live_data: true,
        needs_data: &[rolecall_inventory::data_kind::ROLE_LAST_USED],
    },
    role: Some(check),
    function: None,
};

fn day(s: &str) -> Option<chrono::NaiveDate> {
    s.get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    if ra.functions.is_empty() {
        return; // LR302 covers unused roles
    }
    let threshold = cx.config.thresholds.dormant_days;
    let last = ra
        .role
        .last_used
        .as_ref()
        .and_then(|u| u.date.as_deref())
        .and_then(day);
    let (age, said) = match last {
        Some(d) => ((cx.today - d).num_days(), format!("last used {d}")),
        None => match ra.role.create_date.as_deref().and_then(day) {
            Some(created) => (
                (cx.today - created).num_days(),
                format!("never used since it was created on {created}"),
            ),
            None => return,
        },
    };
    if age <= threshold {
        return;
    }
    let ev = Evidence {
        policy: ra.role.arn.clone(),
        statement: "(RoleLastUsed)".into(),
        note: Some(format!(
            "{said}: {age} days before {} (threshold {threshold})",
            cx.today
        )),
        ..Default::default()
    };
    out.role(
        ra,
        cx,
        Severity::Low,
        format!("{} is dormant: {said}, {age} days ago", ra.role.name),
        vec![ev],
        "",
    );
}
