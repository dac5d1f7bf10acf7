//! ## What it does
//! Reports actions that support resource-level permissions but are granted on `"Resource": "*"`,
//! grouped by access level. Actions that cannot be scoped to a resource (`s3:ListAllMyBuckets`,
//! `xray:PutTraceSegments`) are exempt: `*` is the only way to grant them.
//!
//! AWS's own baseline is skipped unless `report_aws_baseline = true`: the managed policies AWS
//! publishes for Lambda execution roles (`AWSLambdaBasicExecutionRole`, the VPC, SQS, Kinesis,
//! DynamoDB and MSK execution roles), the inline policies SAM writes from its policy templates,
//! and the roles of CDK's internal functions.
//!
//! ## Why is this bad?
//! A function that writes to one table should not be able to write to every table in the account.
//! Scoping resources limits what a compromised function can reach.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": "*"}
//! ```
//!
//! ## Remediation
//! Name the resources: `arn:aws:dynamodb:us-east-1:123456789012:table/orders`.
//!
//! ## References
//! - https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html

use super::{grant_evidence_set, unscoped_group_sets, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;
use rolecall_catalog::AccessLevel;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR103",
        name: "unscoped-resource",
        severity: Severity::Medium,
        summary: "Actions that support resource scoping granted on Resource \"*\"",
        remediation: "Replace \"*\" with the ARNs of the resources the function uses; actions that cannot be scoped are exempt.",
        references: &["https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    if ra.effective.admin_grant().is_some() {
        return; // LR101
    }
    let cat = cx.catalog;
    if super::cdk_internal_noise(cx, ra) {
        return;
    }
    let mut groups = unscoped_group_sets(ra, cat.scopable_mask());
    groups.retain(|(g, _)| !super::baseline_noise(cx, ra, &g.source));
    if groups.is_empty() {
        return;
    }
    let mut evidence = Vec::new();
    let mut by_level = [0usize; 5];
    let mut all_conditional = true;
    for (g, actions) in &groups {
        all_conditional &= g.is_conditional();
        for (slot, n) in by_level.iter_mut().zip(cat.count_by_level(actions)) {
            *slot += n;
        }
        evidence.push(grant_evidence_set(cat, g, actions));
    }
    // count_by_level's order is AccessLevel::ALL's.
    let at = |l: AccessLevel| {
        AccessLevel::ALL
            .iter()
            .position(|x| *x == l)
            .and_then(|i| by_level.get(i).copied())
            .unwrap_or(0)
    };
    let (list, read, write, perms, tagging) = (
        at(AccessLevel::List),
        at(AccessLevel::Read),
        at(AccessLevel::Write),
        at(AccessLevel::PermissionsManagement),
        at(AccessLevel::Tagging),
    );
    let base = if write + perms > 0 {
        Severity::Medium
    } else {
        Severity::Low
    };
    let sev = if all_conditional {
        base.lowered()
    } else {
        base
    };
    let mut parts = Vec::new();
    for (n, label) in [
        (perms, "Permissions management"),
        (write, "Write"),
        (read, "Read"),
        (list, "List"),
        (tagging, "Tagging"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    out.role(
        ra,
        cx,
        sev,
        format!(
            "{} is granted scopable actions on all resources ({})",
            ra.role.name,
            parts.join(", ")
        ),
        evidence,
        "",
    );
}
