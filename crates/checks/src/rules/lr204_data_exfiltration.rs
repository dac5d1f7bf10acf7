//! ## What it does
//! Reports read access to data stores on every resource of their type (`"Resource": "*"`, or a
//! pattern as broad, such as `arn:aws:s3:::*/*`): the data-exfiltration set of
//! `crates/catalog/data/risk-sets.tsv` (cloudsplaining's list plus cited additions):
//! `s3:GetObject`, `secretsmanager:GetSecretValue`, `ssm:GetParameter*`, `kms:Decrypt`, DynamoDB
//! reads and exports, snapshot sharing, queue and stream reads. A grant restricted by conditions (`aws:SourceVpc`,
//! resource tags) is reported one severity lower, with the condition shown.
//!
//! ## Why is this bad?
//! A function that reads one secret can, with `*`, read every secret in the account: a single
//! server-side request forgery or dependency compromise becomes a breach of all the account's data.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
//! ```
//!
//! ## Remediation
//! Name the buckets, secrets, parameters, keys and tables the function reads. For KMS, scope
//! `kms:Decrypt` to key ARNs or add a `kms:ViaService` condition.
//!
//! ## References
//! - https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
//! - https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service

use super::{grant_evidence, grant_severity, unscoped_groups, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR204",
        name: "data-exfiltration",
        severity: Severity::High,
        summary: "Reads of data stores (objects, secrets, parameters, keys, tables) on Resource \"*\"",
        remediation: "Name the buckets, secrets, parameters, keys and tables the function reads; scope kms:Decrypt to key ARNs or add kms:ViaService.",
        references: &["https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service"],
        asff_types: &["Effects/Data Exfiltration", "Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6", "NIST 800-53 SC-28"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

/// The data-exfiltration set, from the generated data (`crates/catalog/data/risk-sets.tsv`).
pub fn data_reads() -> &'static [&'static str] {
    static V: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        rolecall_catalog::risk::risk_set("data-exfiltration")
            .into_iter()
            .map(|a| a.action)
            .collect()
    })
}

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    if ra.effective.admin_grant().is_some() {
        return;
    }
    let cat = cx.catalog;
    static SET: std::sync::OnceLock<rolecall_catalog::ActionSet> = std::sync::OnceLock::new();
    let groups = unscoped_groups(ra, super::cached_set(&SET, data_reads()));
    if groups.is_empty() {
        return;
    }
    let sev = groups
        .iter()
        .map(|(g, _)| grant_severity(Severity::High, g))
        .max()
        .unwrap_or(Severity::High);
    let names: Vec<String> = groups
        .iter()
        .flat_map(|(_, a)| a.iter().map(|&i| cat.full_name(i)))
        .collect();
    let evidence = groups
        .iter()
        .map(|(g, a)| grant_evidence(cat, g, a))
        .collect();
    let conditional = groups.iter().all(|(g, _)| g.is_conditional());
    out.role(
        ra,
        cx,
        sev,
        format!(
            "{} can read data account-wide ({}){}",
            ra.role.name,
            super::listed(&names, 6),
            if conditional { " under conditions" } else { "" }
        ),
        evidence,
        "",
    );
}
