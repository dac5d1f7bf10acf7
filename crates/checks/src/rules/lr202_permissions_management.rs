//! ## What it does
//! Reports actions of the *Permissions management* access level that a role is allowed: IAM writes
//! (`iam:PutRolePolicy`, `iam:CreatePolicyVersion`) and resource-policy writes
//! (`s3:PutBucketPolicy`, `kms:PutKeyPolicy`, `lambda:AddPermission`, `sqs:SetQueueAttributes` ...).
//!
//! ## Why is this bad?
//! Permission changes outlive the function: a compromised function can open a bucket to the world
//! or grant another account access, and the change stays after the code is fixed.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "*"}
//! ```
//!
//! ## Remediation
//! Keep permission changes in the deployment pipeline, not in runtime roles. If a function must
//! manage a resource policy, scope the action to that one resource.
//!
//! ## References
//! - https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html

use super::{grant_evidence, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;
use rolecall_catalog::AccessLevel;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR202",
        name: "permissions-management",
        severity: Severity::High,
        summary: "IAM or resource-policy write actions (Permissions management access level)",
        remediation: "Move permission changes to the deployment pipeline; if the function must manage a resource policy, scope the action to that resource.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices", "TTPs/Privilege Escalation"],
        compliance: &["NIST 800-53 AC-6", "NIST 800-53 AC-2"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    let cat = cx.catalog;
    if ra.effective.admin_grant().is_some() {
        return;
    }
    let pm: Vec<_> = ra
        .effective
        .allowed
        .intersection(cat.level_mask(AccessLevel::PermissionsManagement))
        .iter()
        .collect();
    if pm.is_empty() {
        return;
    }
    let mut evidence = Vec::new();
    let mut sev = Severity::Low;
    let mut seen = Vec::new();
    for g in &ra.effective.grants {
        let mine: Vec<_> = pm
            .iter()
            .copied()
            .filter(|&a| g.actions.contains(a) && !seen.contains(&a))
            .collect();
        if mine.is_empty() {
            continue;
        }
        seen.extend(&mine);
        // A pattern as broad as the actions' ARN formats is as unscoped as `*`.
        let base = if mine.iter().any(|&a| g.unscoped_for(a)) {
            Severity::High
        } else {
            Severity::Medium
        };
        sev = sev.max(if g.is_conditional() {
            base.lowered()
        } else {
            base
        });
        evidence.push(grant_evidence(cat, g, &mine));
    }
    let iam = pm
        .iter()
        .filter(|&&a| cat.service_of(a).is_some_and(|s| s.prefix == "iam"))
        .count();
    out.role(
        ra,
        cx,
        sev,
        format!(
            "{} can change permissions ({} action(s), {} in IAM)",
            ra.role.name,
            pm.len(),
            iam
        ),
        evidence,
        "",
    );
}
