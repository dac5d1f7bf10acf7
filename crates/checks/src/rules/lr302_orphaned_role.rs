//! ## What it does
//! Reports a role that trusts `lambda.amazonaws.com` but that no function in the inventory uses.
//! Needs a complete inventory of the account's functions, so it does not run on IaC templates.
//!
//! ## Why is this bad?
//! An unused execution role still carries its permissions: anyone able to create a function and
//! pass it gets them, and no owner watches it.
//!
//! ## Example
//! `lambda-migration-2023-role`, last used in 2023, with `rds:*` and `s3:*`.
//!
//! ## Remediation
//! Delete the role after confirming with CloudTrail that nothing assumes it.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR302",
        name: "orphaned-role",
        severity: Severity::Low,
        summary: "Role trusts Lambda but no function uses it",
        remediation: "Delete the role after confirming in CloudTrail that nothing assumes it.",
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html",
        ],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-2(3)"],
        needs_live_data: true,
        needs_data: &[rolecall_inventory::data_kind::ROLE_LAST_USED],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    if !ra.functions.is_empty() || !super::trusts_service(ra, "lambda.amazonaws.com") {
        return;
    }
    let last = ra
        .role
        .last_used
        .as_ref()
        .and_then(|u| u.date.clone())
        .unwrap_or_else(|| "never".into());
    let allowed = ra.effective.allowed.len();
    let sev = if allowed > 100 {
        Severity::Medium
    } else {
        Severity::Low
    };
    let ev = Evidence {
        policy: format!("{} trust policy", ra.role.name),
        statement: "(trust)".into(),
        note: Some(format!(
            "no function uses it; last used {last}; {allowed} actions allowed"
        )),
        ..Default::default()
    };
    out.role(
        ra,
        cx,
        sev,
        format!(
            "{} trusts Lambda but no function uses it (last used {last})",
            ra.role.name
        ),
        vec![ev],
        "",
    );
}
