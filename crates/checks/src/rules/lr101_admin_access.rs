//! ## What it does
//! Reports an execution role that has administrator access: it is allowed every action on every
//! resource (after denies, its permission boundary and SCPs), or an `AdministratorAccess`-class
//! policy (`"Action": "*"` on `"Resource": "*"`) is attached to it even if a boundary caps it today.
//!
//! ## Why is this bad?
//! Whoever controls the function's code, dependencies or event input controls the account: a
//! vulnerable library or an injected payload can create users, read every secret and delete backups.
//! A Lambda function never needs administrator access.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "*", "Resource": "*"}
//! ```
//! or `arn:aws:iam::aws:policy/AdministratorAccess` attached to the role.
//!
//! ## Remediation
//! Replace the policy with one that lists the actions and resources the function uses
//! (`rolecall suggest` writes one from observed use), and attach a permission boundary so the role
//! cannot be widened again.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
//! - https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html

use super::{grant_evidence, grant_severity, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};
use rolecall_policy::{ActionMatch, Effect, ResourceMatch};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR101",
        name: "admin-access",
        severity: Severity::Critical,
        summary: "Execution role with administrator access (every action on every resource)",
        remediation: "Replace the administrator policy with a least-privilege policy listing the actions and resources the function uses, and attach a permission boundary.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices", "TTPs/Privilege Escalation"],
        compliance: &["CIS AWS Foundations 1.16", "NIST 800-53 AC-6"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    if let Some(g) = ra.effective.admin_grant() {
        let all: Vec<_> = g.actions.iter().collect();
        let mut ev = grant_evidence(cx.catalog, g, &all);
        // As the statement says it: `*`, or the patterns (`NotAction: [...]`) that add up to it.
        ev.actions = if g.not_action {
            g.action_patterns
                .iter()
                .map(|a| format!("NotAction {a}").into())
                .collect()
        } else {
            crate::finding::owned(&g.action_patterns)
        };
        ev.note = Some(format!(
            "{} of {} catalogue actions",
            g.actions.len(),
            cx.catalog.len()
        ));
        let sev = grant_severity(Severity::Critical, g);
        out.role(
            ra,
            cx,
            sev,
            format!("{} has administrator access", ra.role.name),
            vec![ev],
            "",
        );
        return;
    }
    // Attached but capped today: the cap is one boundary edit away from full access.
    let mut evidence = Vec::new();
    for p in &ra.resolved.identity {
        for s in &p.statements {
            let all_actions =
                matches!(&s.action, ActionMatch::Action(a) if a.iter().any(|x| x == "*"));
            let all_resources = matches!(&s.resource, Some(ResourceMatch::Resource(r)) if r.iter().any(|x| x == "*"));
            if s.effect == Effect::Allow && all_actions && all_resources && s.conditions.is_empty()
            {
                evidence.push(Evidence {
                    policy: p.name.clone(),
                    statement: s.label(),
                    actions: vec!["*".into()],
                    resources: vec!["*".into()],
                    note: Some("administrator policy attached; the permission boundary or SCPs limit it today".into()),
                    ..Default::default()
                });
            }
        }
    }
    if !evidence.is_empty() {
        out.role(
            ra,
            cx,
            Severity::Medium,
            format!(
                "{} has an administrator policy attached (capped by its boundary or SCPs)",
                ra.role.name
            ),
            evidence,
            "attached",
        );
    }
}
