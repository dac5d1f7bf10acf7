//! ## What it does
//! With `--baseline FILE`, reports an execution role (used by a function, or trusting Lambda)
//! that the approved baseline does not hold: a role created, or newly attached to a function,
//! since the baseline was reviewed. A template's role (whose account is not known yet) matches
//! the one baseline role of its name.
//!
//! ## Why is this bad?
//! Drift detection only protects the roles it knows. A function moved to a new role escapes the
//! comparison entirely, with whatever that role allows.
//!
//! ## Example
//! `checkout-refunds` moved from `shared-worker-role` to a new `refunds-role` that no baseline
//! lists.
//!
//! ## Remediation
//! Review the role and add it to the baseline (`rolecall baseline --output baseline.json`), or
//! move the function back to a reviewed role.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR802",
        name: "unreviewed-role",
        severity: Severity::Low,
        summary: "Execution role absent from the approved baseline (--baseline)",
        remediation: "Review the role and add it to the baseline, or move the function back to a reviewed role.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 CM-3", "NIST 800-53 CM-8"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    let Some(baseline) = cx.config.baseline.as_deref() else {
        return;
    };
    if baseline.key_for(&ra.role.arn, &ra.role.account).is_some() {
        return;
    }
    let ev = Evidence {
        policy: ra.role.arn.clone(),
        statement: "(role)".into(),
        note: Some(format!(
            "not in {}; {} action(s) allowed, {} function(s)",
            baseline.name,
            ra.effective.allowed.len(),
            ra.functions.len()
        )),
        ..Default::default()
    };
    out.role(
        ra,
        cx,
        Severity::Low,
        format!("{} is not in the approved baseline", ra.role.name),
        vec![ev],
        "",
    );
}
