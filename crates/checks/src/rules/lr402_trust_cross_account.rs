//! ## What it does
//! Reports a trust policy that lets principals of an account outside the known list assume the role
//! (the accounts in the inventory plus `accounts.known`). An `sts:ExternalId` or
//! `aws:PrincipalOrgID` condition lowers it to medium.
//!
//! ## Why is this bad?
//! Another organisation's security now decides who acts with this function's permissions.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}
//! ```
//!
//! ## Remediation
//! Give the external party its own, narrow role with an `sts:ExternalId` condition instead of
//! sharing an execution role, or add the account to `accounts.known` if it is yours.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html

use super::{trust_statements, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};
use rolecall_policy::effective::describe_condition;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR402",
        name: "trust-cross-account",
        severity: Severity::High,
        summary: "Trust policy allows an account outside the known list",
        remediation: "Give the external party its own narrow role with an sts:ExternalId condition, or list the account in accounts.known if it is yours.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-3", "NIST 800-53 AC-20"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    let mut evidence = Vec::new();
    let mut accounts = Vec::new();
    let mut sev = None;
    for (p, s) in trust_statements(ra) {
        let Some(pr) = &s.principal else { continue };
        for a in pr.aws.iter().filter(|a| a.as_str() != "*") {
            let Some(acct) = super::principal_account(a) else {
                continue;
            };
            if cx.is_known_account(&acct) || accounts.contains(&acct) {
                continue;
            }
            let limited = s.conditions.iter().any(|c| {
                let k = c.key.to_ascii_lowercase();
                (k == "sts:externalid" || k == "aws:principalorgid") && !c.operator.negated
            });
            let this = if limited {
                Severity::Medium
            } else {
                Severity::High
            };
            sev = Some(sev.map_or(this, |x: Severity| x.max(this)));
            evidence.push(Evidence {
                policy: p.name.clone(),
                statement: s.label(),
                actions: crate::finding::owned(s.action.patterns()),
                resources: vec![a.clone()],
                conditions: s.conditions.iter().map(describe_condition).collect(),
                note: Some(format!(
                    "account {acct} is not in the inventory or accounts.known"
                )),
            });
            accounts.push(acct);
        }
    }
    if let Some(sev) = sev {
        out.role(
            ra,
            cx,
            sev,
            format!(
                "{} trusts unknown account(s) {}",
                ra.role.name,
                accounts.join(", ")
            ),
            evidence,
            &accounts.join(","),
        );
    }
}
