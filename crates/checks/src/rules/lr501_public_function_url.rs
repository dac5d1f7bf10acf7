//! ## What it does
//! Reports a function URL with `AuthType: NONE`: anyone on the internet who knows (or guesses) the
//! URL can invoke the function.
//!
//! ## Why is this bad?
//! The function's input is now attacker-controlled, and everything its role can do is one bug away
//! from the internet. Public endpoints need authentication, throttling and input validation in
//! front of them.
//!
//! ## Example
//! `aws lambda create-function-url-config --auth-type NONE`.
//!
//! ## Remediation
//! Use `AuthType: AWS_IAM`, or put the function behind API Gateway or CloudFront with
//! authentication and WAF. If it must be public (a webhook), verify signatures in the code and keep
//! its role minimal.
//!
//! ## References
//! - https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html

use super::{Emitter, Rule, RuleMeta};
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};
use rolecall_inventory::Function;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR501",
        name: "public-function-url",
        severity: Severity::High,
        summary: "Function URL with AuthType NONE (public)",
        remediation: "Use AuthType AWS_IAM or put the function behind an authenticated API; if it must be public, verify requests in code and keep its role minimal.",
        references: &["https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"],
        asff_types: &["Effects/Data Exposure", "Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-3", "NIST 800-53 SC-7"],
        needs_live_data: false,
    },
    role: None,
    function: Some(check),
};

fn check(cx: &Ctx<'_>, f: &Function, out: &mut Emitter<'_>) {
    let Some(url) = &f.url else { return };
    if !url.auth_type.eq_ignore_ascii_case("NONE") {
        return;
    }
    let ev = Evidence {
        policy: f.arn.clone(),
        statement: "(FunctionUrlConfig)".into(),
        resources: url.url.iter().cloned().collect(),
        note: Some("AuthType NONE".into()),
        ..Default::default()
    };
    out.function(
        f,
        cx,
        Severity::High,
        format!("{} has a public function URL (AuthType NONE)", f.name),
        vec![ev],
        "",
    );
}
