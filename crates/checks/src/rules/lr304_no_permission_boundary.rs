//! ## What it does
//! Reports an execution role (used by a function, or trusting Lambda) with no permission boundary.
//!
//! ## Why is this bad?
//! A boundary is the ceiling that holds when someone widens the role's policies by mistake or on
//! purpose; without it, one bad `PutRolePolicy` gives the function anything.
//!
//! ## Example
//! A role whose `PermissionsBoundary` is empty.
//!
//! ## Remediation
//! Attach the organisation's standard Lambda boundary, and require it in the deployment pipeline
//! (an SCP or permission policy condition on `iam:PermissionsBoundary`).
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR304",
        name: "no-permission-boundary",
        severity: Severity::Low,
        summary: "Execution role without a permission boundary",
        remediation: "Attach the standard Lambda permission boundary and require it in the deployment pipeline.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    if ra.role.permissions_boundary_arn.is_some() {
        return;
    }
    if ra.functions.is_empty() && !super::trusts_service(ra, "lambda.amazonaws.com") {
        return;
    }
    let ev = Evidence {
        policy: ra.role.arn.clone(),
        statement: "(PermissionsBoundary)".into(),
        note: Some(format!(
            "no boundary; {} actions allowed",
            ra.effective.allowed.len()
        )),
        ..Default::default()
    };
    out.role(
        ra,
        cx,
        Severity::Low,
        format!("{} has no permission boundary", ra.role.name),
        vec![ev],
        "",
    );
}
