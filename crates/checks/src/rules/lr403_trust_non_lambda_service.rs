//! ## What it does
//! Reports an execution role that is also trusted by something other than Lambda: another service
//! principal (`ec2.amazonaws.com`), a federated identity provider, or AWS principals of known
//! accounts (unknown and `*` principals are LR402 and LR401).
//!
//! ## Why is this bad?
//! The role's permissions become reachable from EC2 instances, CI systems or people, who are not
//! the function; its audit trail stops meaning "the function did this".
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"}
//! ```
//!
//! ## Remediation
//! Trust only `lambda.amazonaws.com` (and `edgelambda.amazonaws.com` for Lambda@Edge); give the
//! other callers their own roles.
//!
//! ## References
//! - https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html

use super::{trust_statements, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR403",
        name: "trust-non-lambda-service",
        severity: Severity::Medium,
        summary: "Execution role also trusted by other services or principals",
        remediation: "Trust only lambda.amazonaws.com (edgelambda.amazonaws.com for Lambda@Edge); give other callers their own roles.",
        references: &["https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

const LAMBDA: &[&str] = &["lambda.amazonaws.com", "edgelambda.amazonaws.com"];

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    if ra.functions.is_empty() && !super::trusts_service(ra, "lambda.amazonaws.com") {
        return; // not an execution role
    }
    let mut others = Vec::new();
    let mut evidence = Vec::new();
    for (p, s) in trust_statements(ra) {
        let Some(pr) = &s.principal else { continue };
        let mut here: Vec<String> = pr
            .service
            .iter()
            .filter(|x| !LAMBDA.contains(&x.as_str()))
            .cloned()
            .collect();
        here.extend(pr.federated.iter().cloned());
        here.extend(
            pr.aws
                .iter()
                .filter(|a| {
                    a.as_str() != "*"
                        && super::principal_account(a)
                            .is_some_and(|acct| cx.is_known_account(&acct))
                })
                .cloned(),
        );
        if here.is_empty() {
            continue;
        }
        evidence.push(Evidence {
            policy: p.name.clone(),
            statement: s.label(),
            actions: crate::finding::owned(s.action.patterns()),
            resources: here.clone(),
            ..Default::default()
        });
        others.extend(here);
    }
    if !others.is_empty() {
        out.role(
            ra,
            cx,
            Severity::Medium,
            format!("{} is also trusted by {}", ra.role.name, others.join(", ")),
            evidence,
            "",
        );
    }
}
