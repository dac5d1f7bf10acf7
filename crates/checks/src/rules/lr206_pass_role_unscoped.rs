//! ## What it does
//! Reports `iam:PassRole` granted on `*` or on a wildcard role pattern (`arn:aws:iam::*:role/*`).
//! An `iam:PassedToService` condition lowers the severity one step.
//!
//! ## Why is this bad?
//! PassRole decides which roles the function can hand to new compute (functions, instances,
//! containers, stacks). With a wildcard it can hand over the most powerful role in the account.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
//! ```
//!
//! ## Remediation
//! Scope PassRole to the exact role ARNs, and add
//! `"Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}`.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html

use super::{grant_evidence, grant_severity, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;
use rolecall_catalog::wildcard;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR206",
        name: "pass-role-unscoped",
        severity: Severity::High,
        summary: "iam:PassRole on * or a wildcard role pattern",
        remediation:
            "Scope iam:PassRole to exact role ARNs and add an iam:PassedToService condition.",
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
        ],
        asff_types: &["TTPs/Privilege Escalation"],
        compliance: &["NIST 800-53 AC-6"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    if ra.effective.admin_grant().is_some() {
        return;
    }
    let Some(pr) = cx.catalog.lookup("iam:PassRole") else {
        return;
    };
    for g in ra.effective.grants_for(pr) {
        let wild: Vec<&String> = g
            .resources
            .include
            .iter()
            .filter(|p| wildcard::has_wildcard(p))
            .collect();
        if wild.is_empty() {
            continue;
        }
        let ev = grant_evidence(cx.catalog, g, &[pr]);
        let list: Vec<&str> = wild.iter().map(|s| s.as_str()).collect();
        out.role(
            ra,
            cx,
            grant_severity(Severity::High, g),
            format!(
                "{} can pass any role matching {}",
                ra.role.name,
                list.join(", ")
            ),
            vec![ev],
            &format!("{}/{}", g.source.policy, g.source.statement),
        );
    }
}
