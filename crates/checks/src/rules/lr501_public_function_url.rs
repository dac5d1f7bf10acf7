//! ## What it does
//! Reports a function URL that anyone on the internet can call. Under the current function URL
//! authorization model (October 2025), a call through a URL with `AuthType: NONE` needs the
//! function's resource policy to allow both `lambda:InvokeFunctionUrl` (with
//! `lambda:FunctionUrlAuthType` `NONE`) and `lambda:InvokeFunction` (with
//! `lambda:InvokedViaFunctionUrl`). The rule asks the policy engine both questions for an
//! anonymous caller and cites the statements that answer yes; a URL whose policy no longer lets the
//! public in (only the older `lambda:InvokeFunctionUrl` grant, say) is not public.
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
use rolecall_policy::{evaluate, Context, Decision, PolicyKind, PolicySet, Request, Response};

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
        needs_data: &[rolecall_inventory::data_kind::FUNCTION_URLS, rolecall_inventory::data_kind::RESOURCE_POLICIES],
    },
    role: None,
    function: Some(check),
};

/// Would an anonymous caller be allowed `action` on the function, with this context?
fn anonymous(
    policy: Option<&rolecall_policy::Policy>,
    f: &Function,
    action: &str,
    key: &str,
    value: &str,
) -> Response {
    let mut context = Context::new();
    context.insert(key, value);
    let set = PolicySet {
        resource_policy: policy,
        ..Default::default()
    };
    evaluate(
        &set,
        &Request {
            principal: Some(rolecall_policy::principal::ANONYMOUS.into()),
            action: action.into(),
            resource: f.arn.clone(),
            context,
            ..Default::default()
        },
    )
}

fn check(cx: &Ctx<'_>, f: &Function, out: &mut Emitter<'_>) {
    let Some(url) = &f.url else { return };
    if !url.auth_type.eq_ignore_ascii_case("NONE") {
        return;
    }
    // Without a readable resource policy (a source that does not carry them, or a document that
    // does not parse) the question cannot be answered: the URL is reported as it is configured,
    // and the evidence says why.
    let parsed = f
        .resource_policy
        .as_ref()
        .map(|d| d.parse(&format!("{} resource policy", f.name), PolicyKind::Resource));
    let unknown = if cx
        .inventory
        .lacks(rolecall_inventory::data_kind::RESOURCE_POLICIES)
    {
        Some("the source has no resource policies".to_string())
    } else if let Some(Err(e)) = &parsed {
        Some(format!("its resource policy does not parse ({e})"))
    } else {
        None
    };
    if let Some(why) = unknown {
        let ev = Evidence {
            policy: f.arn.clone(),
            statement: "(FunctionUrlConfig)".into(),
            resources: url.url.iter().cloned().collect(),
            note: Some(format!(
                "AuthType NONE; {why}, so whether the public is allowed in is not known"
            )),
            ..Default::default()
        };
        out.function(
            f,
            cx,
            Severity::High,
            format!("{} has a function URL with AuthType NONE", f.name),
            vec![ev],
            "",
        );
        return;
    }
    let policy = parsed.and_then(Result::ok);
    let via_url = anonymous(
        policy.as_ref(),
        f,
        "lambda:InvokeFunctionUrl",
        "lambda:FunctionUrlAuthType",
        "NONE",
    );
    let invoke = anonymous(
        policy.as_ref(),
        f,
        "lambda:InvokeFunction",
        "lambda:InvokedViaFunctionUrl",
        "true",
    );
    if via_url.decision != Decision::Allow || invoke.decision != Decision::Allow {
        return;
    }
    let mut evidence = vec![Evidence {
        policy: f.arn.clone(),
        statement: "(FunctionUrlConfig)".into(),
        resources: url.url.iter().cloned().collect(),
        note: Some("AuthType NONE".into()),
        ..Default::default()
    }];
    for (action, resp) in [
        ("lambda:InvokeFunctionUrl", &via_url),
        ("lambda:InvokeFunction", &invoke),
    ] {
        for m in &resp.matched {
            evidence.push(Evidence {
                policy: m.policy.clone(),
                statement: m.statement.clone(),
                actions: vec![action.to_string().into()],
                resources: vec![f.arn.clone()],
                note: Some(format!(
                    "allows an anonymous caller {action} through the URL"
                )),
                ..Default::default()
            });
        }
    }
    out.function(
        f,
        cx,
        Severity::High,
        format!("{} has a public function URL (AuthType NONE, and its resource policy lets anyone invoke it)", f.name),
        evidence,
        "",
    );
}
