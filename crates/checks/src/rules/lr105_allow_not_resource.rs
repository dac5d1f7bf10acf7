//! ## What it does
//! Reports an `Allow` statement that uses `NotResource`: it grants the actions on every resource
//! except the listed ones, including resources created later.
//!
//! ## Why is this bad?
//! `NotResource` in an `Allow` is an open door with a short list of locked rooms; every new bucket,
//! table and key is reachable by default.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::legal-vault/*"}
//! ```
//!
//! ## Remediation
//! List the resources the function uses in `Resource`. Keep `NotResource` for `Deny` statements.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html

use super::{grant_evidence, grant_severity, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR105",
        name: "allow-not-resource",
        severity: Severity::Medium,
        summary: "Allow statement with NotResource (grants on everything except the listed resources)",
        remediation: "List the resources the function uses in Resource; keep NotResource for Deny statements.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    for g in ra.effective.grants.iter().filter(|g| g.not_resource) {
        let granted: Vec<_> = g.actions.iter().collect();
        let ev = grant_evidence(cx.catalog, g, &granted);
        out.role(
            ra,
            cx,
            grant_severity(Severity::Medium, g),
            format!(
                "{} allows {} action(s) on every resource except {}",
                ra.role.name,
                granted.len(),
                g.resources.exclude.join(", ")
            ),
            vec![ev],
            &format!("{}/{}", g.source.policy, g.source.statement),
        );
    }
}
