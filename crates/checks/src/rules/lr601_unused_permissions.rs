//! ## What it does
//! With usage data (`--usage cloudtrail=...`), reports the actions a role is granted but was not
//! seen using in the window (90 days by default), weighted by access level: unused Permissions
//! management and Write actions make it medium, unused reads low. The gap score is in the JSON
//! report, and `--sort gap` ranks by it.
//!
//! Only what the logs can show counts: a role in an account the usage sources do not cover has
//! no usage data (no finding); actions CloudTrail records only as data events (S3 object reads,
//! `lambda:InvokeFunction`, DynamoDB item calls) are "not observable" when the logs hold no data
//! events of their service; a window the logs cover only in part is said in the finding.
//!
//! ## Why is this bad?
//! Every unused permission is attack surface with no business value: if the function is
//! compromised, what it never needed is what the attacker uses.
//!
//! ## Example
//! A role granted `dynamodb:*` (78 actions) whose function only calls `GetItem` and `PutItem`.
//!
//! ## Remediation
//! Replace the policy with one generated from observed use (`rolecall suggest FUNCTION`), after
//! checking that the window covers the function's rare paths (month-end jobs, error handling).
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#remove-credentials

use super::{grant_evidence, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR601",
        name: "unused-permissions",
        severity: Severity::Medium,
        summary: "Granted actions not used in the usage window",
        remediation: "Replace the policy with one generated from observed use (rolecall suggest), after checking the window covers rare code paths.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html"],
        asff_types: &["Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6(7)"],
        needs_live_data: true,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    let Some(unused) = cx.unused_actions(&ra.role.arn, &ra.effective.allowed) else {
        return;
    };
    let Some(g) = cx.gap(&ra.role.arn, &ra.effective.allowed) else {
        return;
    };
    if g.unused == 0 {
        return;
    }
    let risky = g
        .unused_by_level
        .get("Permissions management")
        .copied()
        .unwrap_or(0)
        + g.unused_by_level.get("Write").copied().unwrap_or(0);
    let sev = if risky > 0 {
        Severity::Medium
    } else {
        Severity::Low
    };
    let mut evidence = Vec::new();
    for grant in &ra.effective.grants {
        let mine: Vec<_> = grant
            .actions
            .iter()
            .filter(|a| unused.contains(*a))
            .collect();
        if mine.is_empty() {
            continue;
        }
        let mut ev = grant_evidence(cx.catalog, grant, &mine);
        ev.note = Some(format!(
            "{} granted action(s) here were not used",
            mine.len()
        ));
        evidence.push(ev);
    }
    let levels: Vec<String> = g
        .unused_by_level
        .iter()
        .map(|(l, n)| format!("{n} {l}"))
        .collect();
    let mut caveats = Vec::new();
    if g.not_observable > 0 {
        caveats.push(format!(
            "{} more not observable: the logs hold no data events of their service",
            g.not_observable
        ));
    }
    if g.partial() {
        caveats.push(format!(
            "the logs cover {} of the window's {} days: unused means not seen in those days",
            g.days_covered, g.window_days
        ));
    }
    let caveats = if caveats.is_empty() {
        String::new()
    } else {
        format!("; {}", caveats.join("; "))
    };
    out.role(
        ra,
        cx,
        sev,
        format!(
            "{} used {} of {} granted actions ({} unused: {}; gap score {}){caveats}",
            ra.role.name,
            g.used,
            g.granted,
            g.unused,
            levels.join(", "),
            g.score
        ),
        evidence,
        "",
    );
}
