//! ## What it does
//! Reports actions that mint or reveal credentials: `sts:AssumeRole` on `*`, IAM access keys and
//! login profiles, service-specific credentials, `sts:GetFederationToken`,
//! `ecr:GetAuthorizationToken`, Redshift cluster credentials, EC2 Instance Connect keys, SSO role
//! credentials.
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

use super::{grant_evidence, grant_severity, ids, Emitter, Rule, RuleMeta};
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
    },
    role: Some(check),
    function: None,
};

/// Granted anywhere, these mint or reveal credentials.
const ANY_SCOPE: &[&str] = &[
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "sts:GetFederationToken",
    "ecr:GetAuthorizationToken",
    "redshift:GetClusterCredentials",
    "redshift:GetClusterCredentialsWithIAM",
    "redshift-serverless:GetCredentials",
    "ec2-instance-connect:SendSSHPublicKey",
    "lightsail:GetInstanceAccessDetails",
    "sso:GetRoleCredentials",
];

/// These only when granted on unscoped resources.
const UNSCOPED_ONLY: &[&str] = &[
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
];

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    let cat = cx.catalog;
    let e = &ra.effective;
    if e.admin_grant().is_some() {
        return;
    }
    let mut evidence = Vec::new();
    let mut sev: Option<Severity> = None;
    let mut names = Vec::new();
    for a in ids(cat, ANY_SCOPE) {
        if let Some(g) = e.unscoped_grant(a).or_else(|| e.grants_for(a).next()) {
            sev = Some(sev.map_or(grant_severity(Severity::High, g), |s| {
                s.max(grant_severity(Severity::High, g))
            }));
            names.push(cat.full_name(a));
            evidence.push(grant_evidence(cat, g, &[a]));
        }
    }
    for a in ids(cat, UNSCOPED_ONLY) {
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
                names.join(", ")
            ),
            evidence,
            "",
        );
    }
}
