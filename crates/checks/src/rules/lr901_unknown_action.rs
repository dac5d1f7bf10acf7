//! ## What it does
//! Reports actions in a role's policies that the action catalogue does not know: typos
//! (`s3:GetObjekt`), retired actions, patterns that match nothing. Unknown actions in AWS managed
//! policies are not the role owner's to fix and are left out.
//!
//! AWS's own baseline is skipped unless `report_aws_baseline = true`: the managed policies AWS
//! publishes for Lambda execution roles (`AWSLambdaBasicExecutionRole`, the VPC, SQS, Kinesis,
//! DynamoDB and MSK execution roles), the inline policies SAM writes from its policy templates,
//! and the roles of CDK's internal functions.
//!
//! ## Why is this bad?
//! A typo silently grants nothing, so the function fails in production and someone "fixes" it with
//! `s3:*`. A retired action hints at a policy nobody has reviewed in years.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::exports/*"}
//! ```
//!
//! ## Remediation
//! Correct the action name (`rolecall expand 's3:GetObj*'` lists candidates) or remove it.
//!
//! ## References
//! - https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR901",
        name: "unknown-action",
        severity: Severity::Low,
        summary: "Action not in the catalogue (typo or retired)",
        remediation: "Correct the action name or remove it; rolecall expand lists the actions a prefix matches.",
        references: &["https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"],
        asff_types: &["Software and Configuration Checks"],
        compliance: &[],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    let ours: Vec<_> = ra
        .effective
        .unknown_actions
        .iter()
        .filter(|u| !u.source.policy.starts_with("arn:aws:iam::aws:policy/"))
        .filter(|u| !super::baseline_noise(cx, ra, &u.source))
        .collect();
    if super::cdk_internal_noise(cx, ra) {
        return;
    }
    if ours.is_empty() {
        return;
    }
    let evidence = ours
        .iter()
        .map(|u| Evidence {
            policy: u.source.policy.clone(),
            statement: u.source.statement.clone(),
            actions: vec![u.action.clone().into()],
            note: Some(u.reason.to_string()),
            ..Default::default()
        })
        .collect();
    let names: Vec<&str> = ours.iter().map(|u| u.action.as_str()).collect();
    out.role(
        ra,
        cx,
        Severity::Low,
        format!(
            "{} names unknown action(s): {}",
            ra.role.name,
            names.join(", ")
        ),
        evidence,
        "",
    );
}
