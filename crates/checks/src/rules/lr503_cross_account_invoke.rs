//! ## What it does
//! Reports a function resource policy that lets principals of another account invoke the
//! function. An account outside the known list (inventory plus `accounts.known`) is high severity;
//! another account of the Organization is low.
//!
//! ## Why is this bad?
//! Callers in other accounts send input the function's owners do not control and may not expect,
//! and their compromise becomes this function's.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "lambda:InvokeFunction"}
//! ```
//!
//! ## Remediation
//! Remove the permission, or narrow it to the calling role's ARN with a `aws:PrincipalOrgID`
//! condition, and validate input from it.
//!
//! ## References
//! - https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html#permissions-resource-xaccountinvoke

use super::{Emitter, Rule, RuleMeta};
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};
use rolecall_inventory::Function;
use rolecall_policy::{Effect, PolicyKind};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR503",
        name: "cross-account-invoke",
        severity: Severity::Medium,
        summary: "Another account may invoke the function",
        remediation: "Remove the cross-account permission or narrow it to one caller role with aws:PrincipalOrgID, and validate its input.",
        references: &["https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-3", "NIST 800-53 AC-20"],
        needs_live_data: false,
        needs_data: &[rolecall_inventory::data_kind::RESOURCE_POLICIES],
    },
    role: None,
    function: Some(check),
};

fn check(cx: &Ctx<'_>, f: &Function, out: &mut Emitter<'_>) {
    let Some(doc) = &f.resource_policy else {
        return;
    };
    let Ok(p) = doc.parse(&format!("{} resource policy", f.name), PolicyKind::Resource) else {
        return;
    };
    let mut evidence = Vec::new();
    let mut sev = None;
    for s in p.statements.iter().filter(|s| s.effect == Effect::Allow) {
        let Some(pr) = &s.principal else { continue };
        for a in pr.aws.iter().filter(|a| a.as_str() != "*") {
            let Some(acct) = super::principal_account(a) else {
                continue;
            };
            if acct == f.account {
                continue;
            }
            let this = if cx.is_known_account(&acct) {
                Severity::Low
            } else {
                Severity::High
            };
            sev = Some(sev.map_or(this, |x: Severity| x.max(this)));
            evidence.push(Evidence {
                policy: p.name.clone(),
                statement: s.label(),
                actions: crate::finding::owned(s.action.patterns()),
                resources: vec![a.clone()],
                note: Some(if cx.is_known_account(&acct) {
                    format!("account {acct} is known")
                } else {
                    format!("account {acct} is not in the inventory or accounts.known")
                }),
                ..Default::default()
            });
        }
    }
    if let Some(sev) = sev {
        out.function(
            f,
            cx,
            sev,
            format!("{} can be invoked from other accounts", f.name),
            evidence,
            "",
        );
    }
}
