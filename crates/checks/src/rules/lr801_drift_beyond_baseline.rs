//! ## What it does
//! With `--baseline FILE` (written by `rolecall baseline` and kept in version control), reports an
//! execution role that now allows actions, or resources, its approved baseline did not: exactly
//! what was added, per granting statement and resource. The comparison is of effective
//! permissions, so a widened policy, a widened or removed boundary, a widened SCP or a dropped
//! condition all count.
//!
//! ## Why is this bad?
//! The baseline is what was reviewed. Permissions that appear after the review, through a hotfix,
//! a console edit or a copied policy, have not been, and they stay unless something compares
//! today's role with the approved one.
//!
//! ## Example
//! Baseline: `dynamodb:GetItem` on `table/orders`. Today the role also allows
//! `dynamodb:PutItem` on `table/orders`, or `dynamodb:GetItem` on `table/*`.
//!
//! ## Remediation
//! Remove what was added, or have it reviewed and regenerate the baseline
//! (`rolecall baseline --output baseline.json`) in the same change.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html

use super::{grant_evidence_set, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;
use rolecall_catalog::AccessLevel;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR801",
        name: "drift-beyond-baseline",
        severity: Severity::Medium,
        summary: "Role allows actions or resources beyond its approved baseline (--baseline)",
        remediation: "Remove the added permissions, or have them reviewed and regenerate the baseline in the same change.",
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
        ],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 CM-3", "NIST 800-53 CM-6", "NIST 800-53 AC-6"],
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
    // A role the baseline lacks is LR802's.
    let Some(key) = baseline.key_for(&ra.role.arn, &ra.role.account) else {
        return;
    };
    let added = baseline.added(key, ra);
    if added.is_empty() {
        return;
    }
    let mut all = rolecall_catalog::ActionSet::empty(cx.catalog.len());
    let mut evidence = Vec::with_capacity(added.len());
    for (gi, resource, actions) in &added {
        all.union_with(actions);
        if let Some(g) = ra.effective.grants.get(*gi) {
            let mut e = grant_evidence_set(cx.catalog, g, actions);
            e.resources = vec![resource.clone()];
            e.note = Some(format!(
                "{} action(s) on {resource} not in {}",
                actions.len(),
                baseline.name
            ));
            evidence.push(e);
        }
    }
    // Added permissions management is how a role grows into an administrator: high.
    let severity = if all.intersects(cx.catalog.level_mask(AccessLevel::PermissionsManagement)) {
        Severity::High
    } else {
        Severity::Medium
    };
    out.role(
        ra,
        cx,
        severity,
        format!(
            "{} allows {} action(s) beyond its approved baseline",
            ra.role.name,
            all.len()
        ),
        evidence,
        "",
    );
}
