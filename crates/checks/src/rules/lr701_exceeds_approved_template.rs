//! ## What it does
//! With `rolecall lint --golden DIR` (or `scan --golden DIR`), reports a role that grants any
//! action, on any resource, that no approved policy template allows. The templates are IAM policy
//! documents kept in version control (DynamoDB read-only on one table, S3 write to one bucket, SNS
//! publish); `{{name}}` in a template's resource stands for one concrete value.
//!
//! ## Why is this bad?
//! Approved templates are what a security team has already reviewed. A role built only from them
//! needs no further review; anything outside them is new risk that deserves a look before it
//! deploys.
//!
//! ## Example
//! Approved: `dynamodb:GetItem`, `dynamodb:Query` on `arn:aws:dynamodb:*:*:table/{{table}}`.
//! The role grants `dynamodb:PutItem` on `table/orders`, or `dynamodb:GetItem` on `table/*`.
//!
//! ## Remediation
//! Narrow the role to what the approved templates allow, or have the new permission reviewed and
//! add it as a template.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege

use super::{grant_evidence, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;
use crate::golden::approved_on;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR701",
        name: "exceeds-approved-template",
        severity: Severity::Medium,
        summary: "Role grants permissions outside every approved policy template (--golden)",
        remediation: "Keep the role within the approved templates, or have the extra permission reviewed and approved as a template.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6", "NIST 800-53 CM-3"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    let golden = &cx.config.golden;
    if golden.is_empty() {
        return;
    }
    let mut evidence = Vec::new();
    let mut total = 0usize;
    for g in &ra.effective.grants {
        for r in &g.resources.include {
            let mut extra = (*g.actions).clone();
            extra.subtract(&approved_on(golden, r, cx.catalog.len()));
            if extra.is_empty() {
                continue;
            }
            let ids: Vec<_> = extra.iter().collect();
            total += ids.len();
            let mut e = grant_evidence(cx.catalog, g, &ids);
            e.resources = vec![r.clone()];
            evidence.push(e);
        }
    }
    if evidence.is_empty() {
        return;
    }
    out.role(
        ra,
        cx,
        Severity::Medium,
        format!(
            "{} grants {total} action(s) outside every approved template",
            ra.role.name
        ),
        evidence,
        "",
    );
}
