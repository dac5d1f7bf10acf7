//! ## What it does
//! Reports a trust policy that lets any principal assume the role (`"Principal": "*"` or
//! `{"AWS": "*"}`). With a condition that limits callers (`aws:PrincipalOrgID`, `aws:SourceAccount`,
//! `aws:PrincipalArn`, `sts:ExternalId`) it is high rather than critical.
//!
//! ## Why is this bad?
//! Any AWS account in the world can assume the role and act with the function's permissions.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
//! ```
//!
//! ## Remediation
//! Trust only `lambda.amazonaws.com` in an execution role. If other callers must assume it, name
//! them and add `aws:PrincipalOrgID` or `sts:ExternalId` conditions.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html

use super::{trust_statements, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};
use rolecall_policy::effective::describe_condition;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR401",
        name: "trust-any-principal",
        severity: Severity::Critical,
        summary: "Trust policy allows any principal to assume the role",
        remediation: "Trust only lambda.amazonaws.com; name any other caller and restrict it with aws:PrincipalOrgID or sts:ExternalId.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"],
        asff_types: &["Effects/Data Exposure", "Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-3", "CIS AWS Foundations 1.20"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

pub const LIMITING_KEYS: &[&str] = &[
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:principalarn",
    "aws:principalaccount",
    "sts:externalid",
    "aws:sourceorgid",
];

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    let mut evidence = Vec::new();
    let mut sev = None;
    for (p, s) in trust_statements(ra) {
        let Some(pr) = &s.principal else { continue };
        if !pr.is_wildcard() {
            continue;
        }
        let limited = s.conditions.iter().any(|c| {
            LIMITING_KEYS.contains(&c.key.to_ascii_lowercase().as_str()) && !c.operator.negated
        });
        let this = if limited {
            Severity::High
        } else {
            Severity::Critical
        };
        sev = Some(sev.map_or(this, |x: Severity| x.max(this)));
        evidence.push(Evidence {
            policy: p.name.clone(),
            statement: s.label(),
            actions: crate::finding::owned(s.action.patterns()),
            resources: vec!["Principal: *".into()],
            conditions: s.conditions.iter().map(describe_condition).collect(),
            note: None,
        });
    }
    if let Some(sev) = sev {
        out.role(
            ra,
            cx,
            sev,
            format!("{} can be assumed by any principal", ra.role.name),
            evidence,
            "",
        );
    }
}
