//! ## What it does
//! Reports an `Allow` statement that uses `NotAction`: it grants every action in AWS except the
//! listed ones, including every action of every service AWS launches from now on.
//!
//! ## Why is this bad?
//! `"Effect": "Allow", "NotAction": "iam:*"` is administrator access minus IAM: the role can still
//! read every secret, delete every bucket and pass itself into new compute. Allow-lists age well;
//! deny-lists do not.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}
//! ```
//!
//! ## Remediation
//! Rewrite the statement as an `Allow` of the actions the function needs. To forbid actions, use a
//! `Deny` (or a permission boundary) alongside a narrow `Allow`.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html

use super::{grant_evidence_set, grant_severity, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR104",
        name: "allow-not-action",
        severity: Severity::High,
        summary: "Allow statement with NotAction (grants everything except the listed actions)",
        remediation: "Rewrite as an Allow of the specific actions the function needs; forbid actions with an explicit Deny or a permission boundary.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    for g in ra.effective.grants.iter().filter(|g| g.not_action) {
        let mut ev = grant_evidence_set(cx.catalog, g, &g.actions);
        ev.actions = g
            .action_patterns
            .iter()
            .map(|p| format!("NotAction {p}").into())
            .collect();
        ev.note = Some(format!(
            "{} of {} catalogue actions granted",
            g.actions.len(),
            cx.catalog.len()
        ));
        out.role(
            ra,
            cx,
            grant_severity(Severity::High, g),
            format!(
                "{} allows every action except {}",
                ra.role.name,
                g.action_patterns.join(", ")
            ),
            vec![ev],
            &format!("{}/{}", g.source.policy, g.source.statement),
        );
    }
}
