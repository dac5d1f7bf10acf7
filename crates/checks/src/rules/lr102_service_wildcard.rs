//! ## What it does
//! Reports a role granted every action of a service (`s3:*`, `dynamodb:*`), as still effective after
//! its boundary and SCPs. On `*` resources it is high severity; on named resources, medium.
//!
//! ## Why is this bad?
//! `service:*` includes the destructive and permission-changing actions of the service
//! (`s3:DeleteBucket`, `s3:PutBucketPolicy`, `dynamodb:DeleteTable`) and every action AWS adds to it
//! later. A function uses a handful of actions.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
//! ```
//!
//! ## Remediation
//! List the actions the function calls (`s3:GetObject`, `s3:PutObject`) on the resources it uses.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege

use super::{grant_evidence, grant_severity, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR102",
        name: "service-wildcard",
        severity: Severity::High,
        summary: "Every action of a service granted (service:*)",
        remediation: "Replace service:* with the specific actions the function calls, on the resources it uses.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    if ra.effective.admin_grant().is_some() {
        return; // LR101 says it more strongly
    }
    for g in ra.effective.grants.iter().filter(|g| !g.not_action) {
        for pat in g.action_patterns.iter() {
            let Some((svc, "*")) = pat.split_once(':') else {
                continue;
            };
            let Some(service) = cx.catalog.service(svc) else {
                continue;
            };
            let granted: Vec<_> = service
                .actions
                .clone()
                .filter(|&a| g.actions.contains(a))
                .collect();
            if granted.is_empty() {
                continue;
            }
            // As unscoped as `*` when the patterns cover every resource of the actions' types.
            let unscoped = granted.iter().all(|&a| g.unscoped_for(a));
            let base = if unscoped {
                Severity::High
            } else {
                Severity::Medium
            };
            let mut ev = grant_evidence(cx.catalog, g, &granted);
            ev.actions.insert(0, pat.clone().into());
            ev.actions.truncate(1);
            ev.note = Some(format!(
                "{} of {} {} actions effective",
                granted.len(),
                service.actions.len(),
                service.prefix
            ));
            let scope = if unscoped {
                "all resources"
            } else {
                "named resources"
            };
            out.role(
                ra,
                cx,
                grant_severity(base, g),
                format!(
                    "{} is granted {}:* on {scope}",
                    ra.role.name, service.prefix
                ),
                vec![ev],
                &format!("{}/{}", service.prefix, g.source.statement),
            );
        }
    }
}
