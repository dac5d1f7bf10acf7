//! ## What it does
//! Reports a policy document that does not parse (a trust, inline, managed, boundary or SCP
//! document of the role, or a function's resource policy), naming the field at fault. The scan goes
//! on with everything else; the role's remaining policies are still analysed.
//!
//! ## Why is this bad?
//! IAM would reject the document, or it came from a broken export; either way rolecall cannot say
//! what it grants, and neither can a reviewer.
//!
//! ## Example
//! ```json
//! {"Effect": "Permit", "Action": "sns:Publish", "Resource": "*"}
//! ```
//! `Statement[0].Effect: must be "Allow" or "Deny"`.
//!
//! ## Remediation
//! Fix the field named in the finding; validate documents in CI (`rolecall lint`).
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};
use rolecall_inventory::{Function, Problem};
use rolecall_policy::PolicyKind;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR902",
        name: "invalid-policy",
        severity: Severity::Medium,
        summary: "A policy document that does not parse",
        remediation: "Fix the field the finding names; validate policies in CI.",
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html",
        ],
        asff_types: &["Software and Configuration Checks"],
        compliance: &[],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check_role),
    function: Some(check_function),
};

fn check_role(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    for p in &ra.resolved.problems {
        if let Problem::InvalidPolicy {
            policy,
            path,
            message,
            ..
        } = p
        {
            let ev = Evidence {
                policy: policy.clone(),
                statement: path.clone(),
                note: Some(message.clone()),
                ..Default::default()
            };
            out.role(
                ra,
                cx,
                Severity::Medium,
                format!(
                    "{}: policy {policy} does not parse ({path}: {message})",
                    ra.role.name
                ),
                vec![ev],
                &format!("{policy}/{path}"),
            );
        }
    }
}

fn check_function(cx: &Ctx<'_>, f: &Function, out: &mut Emitter<'_>) {
    let Some(doc) = &f.resource_policy else {
        return;
    };
    if let Err(e) = doc.parse(&format!("{} resource policy", f.name), PolicyKind::Resource) {
        let ev = Evidence {
            policy: e.policy.clone(),
            statement: e.path.clone(),
            note: Some(e.message.clone()),
            ..Default::default()
        };
        out.function(
            f,
            cx,
            Severity::Medium,
            format!(
                "{}: resource policy does not parse ({}: {})",
                f.name, e.path, e.message
            ),
            vec![ev],
            &e.path,
        );
    }
}
