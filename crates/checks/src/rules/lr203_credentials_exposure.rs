//! ## What it does
//! Reports actions that mint or reveal credentials: the credentials-exposure set of
//! `crates/catalog/data/risk-sets.tsv` (cloudsplaining's list, checked against the Service
//! Authorization Reference, plus cited additions such as `sts:GetWebIdentityToken`): IAM access
//! keys and login profiles, service-specific credentials, STS tokens, ECR and CodeArtifact
//! authorization tokens, database authentication (`rds-db:connect`, Redshift, Aurora DSQL), EC2
//! passwords and Instance Connect keys, and more.
//!
//! Actions whose scoped use is the designed, least-privilege pattern (`sts:AssumeRole` on a named
//! role, `rds-db:connect` for one database user, a CodeArtifact domain) are reported only when
//! granted on every resource of their type.
//!
//! ## Why is this bad?
//! New credentials leave the function: they work from anywhere, outlive the invocation, and are not
//! tied to the function's role in the logs that follow.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
//! ```
//!
//! ## Remediation
//! Remove credential-minting actions from execution roles. Scope `sts:AssumeRole` to the exact role
//! ARNs the function assumes.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html

use super::{grant_evidence, grant_severity, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR203",
        name: "credentials-exposure",
        severity: Severity::High,
        summary: "Actions that mint or reveal credentials",
        remediation: "Remove credential-minting actions from the execution role; scope sts:AssumeRole to the exact role ARNs the function assumes.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html"],
        asff_types: &["TTPs/Credential Access", "Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 IA-5", "NIST 800-53 AC-6"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

/// rolecall's judgement: these are reported only when granted on every resource of their type
/// (scoped, they are how a function is meant to reach one role, database user or domain).
const UNSCOPED_ONLY: &[&str] = &[
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
    "rds-db:connect",
    "dsql:DbConnect",
    "dsql:DbConnectAdmin",
    "redshift:GetClusterCredentials",
    "redshift:GetClusterCredentialsWithIAM",
    "redshift-serverless:GetCredentials",
    "codeartifact:GetAuthorizationToken",
    "cognito-identity:GetCredentialsForIdentity",
    "cognito-identity:GetOpenIdToken",
    "cognito-identity:GetOpenIdTokenForDeveloperIdentity",
];

/// The credentials-exposure set, from the generated data.
fn credential_actions() -> &'static [&'static str] {
    static V: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        rolecall_catalog::risk::risk_set("credentials-exposure")
            .into_iter()
            .map(|a| a.action)
            .collect()
    })
}

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    let cat = cx.catalog;
    let e = &ra.effective;
    if e.admin_grant().is_some() {
        return;
    }
    let mut evidence = Vec::new();
    let mut sev: Option<Severity> = None;
    let mut names = Vec::new();
    let unscoped_only = cx.ids(UNSCOPED_ONLY);
    for &a in cx.ids(credential_actions()).iter() {
        if !e.is_allowed(a) || unscoped_only.contains(&a) {
            continue;
        }
        if let Some(g) = e.unscoped_grant(a).or_else(|| e.grants_for(a).next()) {
            sev = Some(sev.map_or(grant_severity(Severity::High, g), |s| {
                s.max(grant_severity(Severity::High, g))
            }));
            names.push(cat.full_name(a));
            evidence.push(grant_evidence(cat, g, &[a]));
        }
    }
    for &a in unscoped_only.iter() {
        if let Some(g) = e.unscoped_grant(a) {
            sev = Some(sev.map_or(grant_severity(Severity::High, g), |s| {
                s.max(grant_severity(Severity::High, g))
            }));
            names.push(format!("{} on *", cat.full_name(a)));
            evidence.push(grant_evidence(cat, g, &[a]));
        }
    }
    if let Some(sev) = sev {
        out.role(
            ra,
            cx,
            sev,
            format!(
                "{} can mint or reveal credentials ({})",
                ra.role.name,
                super::listed(&names, 6)
            ),
            evidence,
            "",
        );
    }
}
