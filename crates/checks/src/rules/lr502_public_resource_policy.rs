//! ## What it does
//! Reports a function resource policy that lets `*` invoke the function without a `aws:SourceArn`,
//! `aws:SourceAccount` or `aws:PrincipalOrgID` condition. The statement Lambda adds for a public
//! function URL is left to LR501.
//!
//! ## Why is this bad?
//! Any AWS account (and, through a service principal, any of its resources) can invoke the
//! function: the confused-deputy problem, and an open door for input the function never expects.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:...:function:f"}
//! ```
//!
//! ## Remediation
//! Name the caller (`"Principal": {"Service": "s3.amazonaws.com"}`) and add `aws:SourceArn` and
//! `aws:SourceAccount` conditions (`aws lambda add-permission --source-arn --source-account`).
//!
//! ## References
//! - https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html

use super::{Emitter, Rule, RuleMeta};
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};
use rolecall_inventory::Function;
use rolecall_policy::effective::describe_condition;
use rolecall_policy::{Effect, PolicyKind};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR502",
        name: "public-resource-policy",
        severity: Severity::High,
        summary: "Resource policy lets anyone invoke the function (Principal * without a SourceArn/SourceAccount condition)",
        remediation: "Name the calling service or account and add aws:SourceArn and aws:SourceAccount conditions.",
        references: &["https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html", "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"],
        asff_types: &["Effects/Data Exposure", "Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-3"],
        needs_live_data: false,
        needs_data: &[rolecall_inventory::data_kind::RESOURCE_POLICIES],
    },
    role: None,
    function: Some(check),
};

const LIMITING: &[&str] = &[
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:principalorgid",
    "aws:sourceorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "lambda:functionurlauthtype",
    // Only through the function URL: that exposure is LR501's.
    "lambda:invokedviafunctionurl",
];

fn check(cx: &Ctx<'_>, f: &Function, out: &mut Emitter<'_>) {
    let Some(doc) = &f.resource_policy else {
        return;
    };
    let Ok(p) = doc.parse(&format!("{} resource policy", f.name), PolicyKind::Resource) else {
        return;
    }; // LR902
    let mut evidence = Vec::new();
    for s in p.statements.iter().filter(|s| s.effect == Effect::Allow) {
        if !s.principal.as_ref().is_some_and(|pr| pr.is_wildcard()) {
            continue;
        }
        if s.conditions
            .iter()
            .any(|c| LIMITING.contains(&c.key.to_ascii_lowercase().as_str()) && !c.operator.negated)
        {
            continue;
        }
        evidence.push(Evidence {
            policy: p.name.clone(),
            statement: s.label(),
            actions: crate::finding::owned(s.action.patterns()),
            resources: vec!["Principal: *".into()],
            conditions: s.conditions.iter().map(describe_condition).collect(),
            note: None,
        });
    }
    if !evidence.is_empty() {
        out.function(
            f,
            cx,
            Severity::High,
            format!(
                "{} can be invoked by anyone (resource policy Principal *)",
                f.name
            ),
            evidence,
            "",
        );
    }
}
