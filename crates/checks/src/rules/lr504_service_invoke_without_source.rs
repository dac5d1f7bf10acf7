//! ## What it does
//! Reports a function resource policy (`AWS::Lambda::Permission`, `aws_lambda_permission`,
//! `aws lambda add-permission`, or the live policy) that lets an AWS service principal invoke
//! the function without an `aws:SourceArn`, `aws:SourceAccount`, `aws:SourceOrgID` or
//! `aws:SourceOrgPaths` condition (`--source-arn`/`--source-account`). Alexa's
//! `lambda:EventSourceToken` counts as such a condition, and so does `aws:PrincipalOrgID` (a
//! service principal belongs to no Organization, so the grant matches nothing);
//! `Principal: *` is LR502's.
//!
//! ## Why is this bad?
//! A service principal such as `s3.amazonaws.com` or `sns.amazonaws.com` acts for every customer
//! of that service. Without a source condition, a bucket, topic or rule in *any* AWS account can
//! make the service invoke this function with input its owners choose: the confused-deputy
//! problem. For S3, whose bucket names can be taken over once deleted, `SourceArn` alone does not
//! pin the owner: add `SourceAccount` too.
//!
//! ## Example
//! ```yaml
//! Permission:
//!   Type: AWS::Lambda::Permission
//!   Properties:
//!     FunctionName: !Ref Fn
//!     Action: lambda:InvokeFunction
//!     Principal: s3.amazonaws.com
//! ```
//!
//! ## Remediation
//! Add `SourceArn` (the bucket, topic, rule or API that calls the function) and `SourceAccount`
//! (the account that owns it) to the permission.
//!
//! ## References
//! - https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-services.html
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html

use super::{Emitter, Rule, RuleMeta};
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};
use rolecall_catalog::wildcard::Pattern;
use rolecall_inventory::Function;
use rolecall_policy::effective::describe_condition;
use rolecall_policy::{Effect, PolicyKind};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR504",
        name: "service-invoke-without-source",
        severity: Severity::Medium,
        summary: "A service principal may invoke the function without a SourceArn/SourceAccount condition (confused deputy)",
        remediation: "Add SourceArn (the calling bucket, topic, rule or API) and SourceAccount (its owner) to the Lambda permission.",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-services.html",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
        ],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-3"],
        needs_live_data: false,
        needs_data: &[rolecall_inventory::data_kind::RESOURCE_POLICIES],
    },
    role: None,
    function: Some(check),
};

/// Condition keys that tie a service's request to one resource, account or Organization.
const SOURCE_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "lambda:eventsourcetoken",
    // A service principal has no Organization: a PrincipalOrgID condition makes the grant
    // match nothing, which is no confused deputy.
    "aws:principalorgid",
];

/// Invoking actions: `lambda:InvokeFunction`, `InvokeAsync`, `InvokeFunctionUrl`.
const INVOKE: &[&str] = &[
    "lambda:InvokeFunction",
    "lambda:InvokeAsync",
    "lambda:InvokeFunctionUrl",
];

fn check(cx: &Ctx<'_>, f: &Function, out: &mut Emitter<'_>) {
    let Some(doc) = &f.resource_policy else {
        return;
    };
    let Ok(p) = doc.parse(&format!("{} resource policy", f.name), PolicyKind::Resource) else {
        return; // LR902
    };
    let mut evidence = Vec::new();
    for s in p.statements.iter().filter(|s| s.effect == Effect::Allow) {
        let Some(pr) = &s.principal else { continue };
        if pr.is_wildcard() || pr.service.is_empty() {
            continue;
        }
        let patterns = s.action.patterns();
        let invokes = INVOKE.iter().any(|a| {
            let hit = patterns
                .iter()
                .any(|p| Pattern::new(p).is_match_ignore_case(a));
            hit != s.action.is_not()
        });
        if !invokes {
            continue;
        }
        let limited = s.conditions.iter().any(|c| {
            SOURCE_KEYS.contains(&c.key.to_ascii_lowercase().as_str())
                && !c.operator.negated
                && !c.values.iter().any(|v| v == "*")
        });
        if limited {
            continue;
        }
        evidence.push(Evidence {
            policy: p.name.clone(),
            statement: s.label(),
            actions: crate::finding::owned(patterns),
            resources: pr.service.iter().map(|x| format!("Service: {x}")).collect(),
            conditions: s.conditions.iter().map(describe_condition).collect(),
            note: Some("no aws:SourceArn or aws:SourceAccount condition".into()),
        });
    }
    if !evidence.is_empty() {
        let mut services: Vec<String> = evidence
            .iter()
            .flat_map(|e| e.resources.iter())
            .map(|r| r.trim_start_matches("Service: ").to_string())
            .collect();
        services.sort();
        services.dedup();
        out.function(
            f,
            cx,
            Severity::Medium,
            format!(
                "{} can be invoked by {} for any account's resources (no SourceArn or SourceAccount)",
                f.name,
                services.join(", ")
            ),
            evidence,
            "",
        );
    }
}
