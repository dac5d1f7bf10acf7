//! ## What it does
//! Reports an execution role whose name does not follow the naming pattern
//! (`naming.role_pattern`, default `lambda-{service}-{function}-role`; `{service}` and `{function}`
//! stand for lowercase words joined by `-`). With the default pattern the finding is `info`: a
//! naming convention is the organisation's to set; once `naming.role_pattern` is configured it is
//! `low`.
//!
//! ## Why is this bad?
//! Names are how people find a role's owner and purpose during an incident. Generated names
//! (`Stack-FunctionServiceRole3F2A9C1B-1XK2J3`) and generic ones (`worker-role`) hide both.
//!
//! ## Example
//! `SearchStack-IndexerFunctionServiceRole3F2A9C1B-1XK2J3L4M5N6`.
//!
//! ## Remediation
//! Name roles explicitly in the template (`RoleName`), following the pattern.
//!
//! ## References
//! - https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/naming-conventions.html

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::{Evidence, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR306",
        name: "role-naming",
        severity: Severity::Low,
        summary: "Execution role name does not follow the naming pattern",
        remediation: "Name the role explicitly, following the configured pattern.",
        references: &["https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/naming-conventions.html"],
        asff_types: &["Software and Configuration Checks/Industry and Regulatory Standards"],
        compliance: &[],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

/// Does `name` follow `pattern`? Placeholders match one or more lowercase words joined by `-`.
pub fn follows(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some(b'{') => {
                let Some(close) = p.iter().position(|&c| c == b'}') else {
                    return p == n;
                };
                let rest = p.get(close + 1..).unwrap_or(&[]);
                (1..=n.len()).any(|k| {
                    let (word, tail) = n.split_at(k);
                    word.iter()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                        && word.first() != Some(&b'-')
                        && word.last() != Some(&b'-')
                        && go(rest, tail)
                })
            }
            Some(&c) => {
                n.first() == Some(&c) && go(p.get(1..).unwrap_or(&[]), n.get(1..).unwrap_or(&[]))
            }
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    if ra.functions.is_empty() {
        return;
    }
    let pattern = &cx.config.naming.role_pattern;
    if follows(pattern, &ra.role.name) {
        return;
    }
    let ev = Evidence {
        policy: ra.role.arn.clone(),
        statement: "(RoleName)".into(),
        note: Some(format!("expected {pattern}")),
        ..Default::default()
    };
    // A naming convention is the organisation's to set: with rolecall's default pattern the
    // finding is information only.
    let severity = if cx.config.naming.configured {
        Severity::Low
    } else {
        Severity::Info
    };
    out.role(
        ra,
        cx,
        severity,
        format!(
            "{} does not follow the naming pattern {pattern}",
            ra.role.name
        ),
        vec![ev],
        "",
    );
}

#[cfg(test)]
mod tests {
    use super::follows;

    #[test]
    fn pattern() {
        let p = "lambda-{service}-{function}-role";
        assert!(follows(p, "lambda-payments-invoice-render-role"));
        assert!(follows(p, "lambda-a-b-role"));
        assert!(!follows(p, "lambda--role"));
        assert!(!follows(p, "legacy-etl-runner-role"));
        assert!(!follows(p, "lambda-Payments-x-role"));
        assert!(!follows(
            p,
            "SearchStack-IndexerFunctionServiceRole3F2A9C1B-1XK2J3L4M5N6"
        ));
        assert!(follows("{function}", "x"));
    }
}
