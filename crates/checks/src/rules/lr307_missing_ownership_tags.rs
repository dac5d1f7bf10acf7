//! ## What it does
//! Reports a function missing required tags (`tags.required`, default `team`, `environment`,
//! `data-sensitivity`) on both the function and its role.
//!
//! ## Why is this bad?
//! Untagged functions have no owner to call at 3 a.m., no environment to judge blast radius by, and
//! no sensitivity for the risk score to weigh.
//!
//! ## Example
//! `platform-hello-world`, with no tags.
//!
//! ## Remediation
//! Tag the function (and its role) in the template; enforce tags with an SCP or tag policy.
//!
//! ## References
//! - https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/tagging-best-practices.html

use super::{Emitter, Rule, RuleMeta};
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};
use rolecall_inventory::Function;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR307",
        name: "missing-ownership-tags",
        severity: Severity::Low,
        summary: "Function without the required ownership tags",
        remediation: "Tag the function and its role in the template; enforce required tags with a tag policy or SCP.",
        references: &["https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/tagging-best-practices.html"],
        asff_types: &["Software and Configuration Checks/Industry and Regulatory Standards"],
        compliance: &["NIST 800-53 CM-8"],
        needs_live_data: false,
        needs_data: &[rolecall_inventory::data_kind::FUNCTION_TAGS],
    },
    role: None,
    function: Some(check),
};

fn check(cx: &Ctx<'_>, f: &Function, out: &mut Emitter<'_>) {
    let role_tags = cx.role_of(f).map(|r| &r.tags);
    let missing: Vec<&str> = cx
        .config
        .tags
        .required
        .iter()
        .filter(|t| {
            cx.tag(&f.tags, t).is_none() && role_tags.is_none_or(|rt| cx.tag(rt, t).is_none())
        })
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return;
    }
    let ev = Evidence {
        policy: f.arn.clone(),
        statement: "(Tags)".into(),
        note: Some(format!("missing: {}", missing.join(", "))),
        ..Default::default()
    };
    out.function(
        f,
        cx,
        Severity::Low,
        format!("{} is missing tags: {}", f.name, missing.join(", ")),
        vec![ev],
        "",
    );
}
