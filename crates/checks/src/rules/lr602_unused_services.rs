//! ## What it does
//! With usage data, reports services a role is granted actions of but was not seen calling at
//! all in the window. Unused IAM, Organizations, KMS or Secrets Manager access makes it medium.
//!
//! ## Why is this bad?
//! A whole unused service is the easiest permission to remove and among the most valuable to an
//! attacker who lands in the function.
//!
//! ## Example
//! A role with `rds:*` and `s3:*` whose function only ever called S3.
//!
//! ## Remediation
//! Remove the service's statements from the role's policies.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed-view-data.html

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR602",
        name: "unused-services",
        severity: Severity::Low,
        summary: "Services granted but not called in the usage window",
        remediation: "Remove the statements that grant the unused services.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed-view-data.html"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6(7)"],
        needs_live_data: true,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

const SENSITIVE: &[&str] = &["iam", "organizations", "kms", "secretsmanager", "sts"];

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    let Some(g) = cx.gap(&ra.role.arn, &ra.effective.allowed) else {
        return;
    };
    if g.unused_services.is_empty() {
        return;
    }
    let sev = if g
        .unused_services
        .iter()
        .any(|s| SENSITIVE.contains(&s.as_str()))
    {
        Severity::Medium
    } else {
        Severity::Low
    };
    let shown: Vec<&str> = g
        .unused_services
        .iter()
        .take(30)
        .map(String::as_str)
        .collect();
    let ev = Evidence {
        policy: ra.role.arn.clone(),
        statement: "(usage)".into(),
        actions: shown.iter().map(|s| format!("{s}:*").into()).collect(),
        note: Some(format!(
            "{} of {} granted service(s) unused",
            g.unused_services.len(),
            ra.effective.service_count(cx.catalog)
        )),
        ..Default::default()
    };
    let more = if g.unused_services.len() > shown.len() {
        format!(" and {} more", g.unused_services.len() - shown.len())
    } else {
        String::new()
    };
    out.role(
        ra,
        cx,
        sev,
        format!("{} never called {}{more}", ra.role.name, shown.join(", ")),
        vec![ev],
        "",
    );
}
