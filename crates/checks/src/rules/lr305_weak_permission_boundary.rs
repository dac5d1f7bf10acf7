//! ## What it does
//! Reports a permission boundary that does not bound much: it allows `*`, every IAM action, every
//! Organizations action, IAM permission-management actions, or `s3:DeleteBucket`.
//!
//! ## Why is this bad?
//! A boundary that allows IAM changes can be escaped (the role rewrites its own policies), and one
//! that allows `*` is decoration.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "*", "Resource": "*"}
//! ```
//! as the boundary of a function role.
//!
//! ## Remediation
//! Use a boundary that allows the services Lambda functions use and denies IAM, Organizations and
//! destructive actions.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};
use rolecall_catalog::AccessLevel;
use rolecall_policy::effective::PrincipalPolicies;
use rolecall_policy::Analyzer;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR305",
        name: "weak-permission-boundary",
        severity: Severity::Medium,
        summary: "Permission boundary that allows *, iam:*, organizations:* or s3:DeleteBucket",
        remediation: "Use a boundary that allows the services functions use and denies IAM, Organizations and destructive actions.",
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
    let (Some(b), Some(arn)) = (&ra.resolved.boundary, &ra.role.permissions_boundary_arn) else {
        return;
    };
    let Some((sev, reasons)) = cx.boundary_verdict(arn, || weaknesses(cx, b)) else {
        return;
    };
    let ev = Evidence {
        policy: arn.clone(),
        statement: "(boundary)".into(),
        note: Some(reasons.join("; ")),
        ..Default::default()
    };
    out.role(
        ra,
        cx,
        sev,
        format!(
            "{} has a weak permission boundary ({})",
            ra.role.name,
            reasons.join(", ")
        ),
        vec![ev],
        arn,
    );
}

/// What the boundary alone lets through (as if the role were granted everything) that it should
/// not; None when it bounds well.
fn weaknesses(cx: &Ctx<'_>, b: &rolecall_policy::Policy) -> Option<(Severity, Vec<String>)> {
    let cat = cx.catalog;
    let e = Analyzer::new(cat).effective(&PrincipalPolicies {
        identity: vec![b],
        ..Default::default()
    });
    let mut reasons = Vec::new();
    let mut sev = Severity::Medium;
    if e.admin_grant().is_some() {
        reasons.push("allows *".to_string());
        sev = Severity::High;
    } else {
        for svc in ["iam", "organizations"] {
            if let Some(s) = cat.service(svc) {
                if e.allowed.count_in_range(s.actions.clone()) == s.actions.len() {
                    reasons.push(format!("allows {svc}:*"));
                }
            }
        }
        if let Some(iam) = cat.service("iam") {
            let pm = iam
                .actions
                .clone()
                .filter(|&a| {
                    e.allowed.contains(a)
                        && cat.access_level(a) == Some(AccessLevel::PermissionsManagement)
                })
                .count();
            if pm > 0 && !reasons.iter().any(|r| r.starts_with("allows iam")) {
                reasons.push(format!("allows {pm} IAM permissions-management actions"));
            }
        }
        if cat
            .lookup("s3:DeleteBucket")
            .is_some_and(|a| e.is_allowed(a))
        {
            reasons.push("allows s3:DeleteBucket".to_string());
        }
    }
    (!reasons.is_empty()).then_some((sev, reasons))
}
