//! ## What it does
//! With `--baseline FILE`, reports an execution role whose approved baseline had a permission
//! boundary that the role no longer has.
//!
//! ## Why is this bad?
//! The boundary was part of what was approved: the ceiling that held whatever the role's
//! policies said. Without it, the next widening of a policy takes effect in full, and the removal
//! itself is often the first step of an escalation (`iam:DeleteRolePermissionsBoundary`).
//!
//! ## Example
//! Baseline: `media-transcoder-role` with boundary `lambda-permissions-boundary`. Today the role
//! has no boundary.
//!
//! ## Remediation
//! Put the boundary back, and deny `iam:DeleteRolePermissionsBoundary` outside the deployment
//! pipeline.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
//! - https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR803",
        name: "boundary-removed",
        severity: Severity::High,
        summary: "Permission boundary in the approved baseline is gone (--baseline)",
        remediation: "Restore the permission boundary and deny iam:DeleteRolePermissionsBoundary outside the deployment pipeline.",
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html",
        ],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 CM-3", "NIST 800-53 AC-6"],
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
    let Some(approved) = baseline
        .key_for(&ra.role.arn, &ra.role.account)
        .and_then(|k| baseline.role(k))
        .and_then(|r| r.permissions_boundary.as_deref())
    else {
        return;
    };
    if ra.role.permissions_boundary_arn.is_some() {
        return;
    }
    let ev = Evidence {
        policy: ra.role.arn.clone(),
        statement: "(PermissionsBoundary)".into(),
        note: Some(format!(
            "{} approved boundary {approved}; now none, {} action(s) allowed",
            baseline.name,
            ra.effective.allowed.len()
        )),
        ..Default::default()
    };
    out.role(
        ra,
        cx,
        Severity::High,
        format!(
            "{} has lost the permission boundary its baseline had",
            ra.role.name
        ),
        vec![ev],
        "",
    );
}
