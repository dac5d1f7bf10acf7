//! ## What it does
//! Reports AWS managed `*FullAccess` policies attached to an execution role
//! (`AmazonS3FullAccess`, `AmazonDynamoDBFullAccess`, `IAMFullAccess`, ...).
//!
//! ## Why is this bad?
//! FullAccess policies are written for administrators of a service: every action, every resource,
//! often with the supporting permissions of other services. AWS widens them as services grow.
//!
//! ## Example
//! `arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess` attached to a function that reads one table.
//!
//! ## Remediation
//! Detach the policy and grant the specific actions on the specific resources, in a customer
//! managed or inline policy.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR106",
        name: "full-access-managed-policy",
        severity: Severity::Medium,
        summary: "AWS managed *FullAccess policy attached",
        remediation: "Detach the FullAccess policy and grant the specific actions on the specific resources the function uses.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    for arn in &ra.role.managed_policy_arns {
        let Some(name) = arn
            .strip_prefix("arn:aws:iam::aws:policy/")
            .and_then(|r| r.rsplit('/').next())
        else {
            continue;
        };
        if !name.ends_with("FullAccess") {
            continue;
        }
        let sev = if name.starts_with("IAM") || name == "AmazonS3FullAccess" {
            Severity::High
        } else {
            Severity::Medium
        };
        let ev = Evidence {
            policy: arn.clone(),
            statement: "(attached)".into(),
            note: Some(format!("AWS managed policy {name}")),
            ..Default::default()
        };
        out.role(
            ra,
            cx,
            sev,
            format!("{} has AWS managed policy {name} attached", ra.role.name),
            vec![ev],
            arn,
        );
    }
}
