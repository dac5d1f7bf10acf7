//! ## What it does
//! Reports a role that can raise its own privileges by a known method: every path of the
//! pathfinding.cloud catalogue that applies to a role (generated into
//! `crates/catalog/data/escalation-paths.tsv` with each path's id and source commit), plus the
//! role forms of its user-only paths, and chains of `sts:AssumeRole` through the roles of the
//! inventory.
//!
//! Each method's permissions must all be allowed on resources of their types, within the
//! boundary, SCPs, RCPs and denies; then the method's *target* decides:
//! - `iam:PassRole` methods reach the roles the grant can pass to the method's service (an
//!   `iam:PassedToService` condition that excludes it rules the method out) that trust that
//!   service; IAM writes reach the roles or customer managed policies their resource names;
//!   `UpdateFunctionCode` reaches the functions it names, and through them their roles.
//! - **critical** when that is the role itself, a role it can assume, or a role that is more
//!   powerful: administrator, or able to escalate by itself;
//! - **high** when it is any resource of a kind rolecall does not inventory (IAM users, stacks,
//!   instances, projects), whose roles it cannot see;
//! - **medium** for potential escalation: a target that is not in the inventory, a pattern no
//!   role matches today, `*` where no inventoried target is more powerful today;
//! - nothing when every target is known and no more powerful (neither administrator nor able to
//!   escalate): PassRole limited to a harmless role is not escalation.
//!
//! A role that can assume (directly, or through other roles, across the accounts of the
//! inventory) an administrator role, or one that can escalate, is reported with the chain; a
//! role an administrator role trusts by its ARN in the same account needs no permission of its
//! own to assume it. Conditions on a grant or a trust policy lower the severity one step.
//!
//! ## Why is this bad?
//! An escalation path makes every other limit on the role decorative: the function, or whoever
//! subverts it, can make itself administrator.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}
//! ```
//!
//! ## Remediation
//! Remove the IAM write actions from execution roles. Scope `iam:PassRole` to the exact role ARNs
//! the function must pass, with an `iam:PassedToService` condition; scope update actions to the
//! resources the function owns; and attach a permission boundary that denies IAM changes.
//!
//! ## References
//! - https://pathfinding.cloud
//! - https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html

use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::escalation::{judge, methods, Hit, Index, Subject};
use crate::finding::{Evidence, Severity};
use rolecall_policy::PolicyKind;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR201",
        name: "privilege-escalation",
        severity: Severity::Critical,
        summary: "A known privilege escalation method is possible",
        remediation: "Remove IAM write actions from the execution role, scope iam:PassRole to exact role ARNs with an iam:PassedToService condition, scope update actions to the function's own resources, and attach a permission boundary that denies IAM changes.",
        references: &[
            "https://pathfinding.cloud",
            "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
        ],
        asff_types: &["TTPs/Privilege Escalation", "Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6(10)"],
        needs_live_data: false,
    },
    role: Some(check),
    function: None,
};

/// At most this many method ids in a title.
const TITLE_IDS: usize = 6;

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    if ra.effective.admin_grant().is_some() {
        return; // already administrator: LR101
    }
    let ix = cx.escalation();
    let idx = ix.role(&ra.role.arn);
    let subject = Subject {
        idx,
        role: ra.role,
        resolved: &ra.resolved,
        effective: &ra.effective,
    };
    let mut hits = judge(&subject, cx.inventory, cx.catalog, Some(ix), cx);
    if let Some(h) = idx.and_then(|i| chain_hit(cx, ix, i)) {
        hits.push(h);
        hits.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.method.id.cmp(b.method.id))
        });
    }
    let Some(worst) = hits.iter().map(|h| h.severity).max() else {
        return;
    };
    let ids: Vec<&str> = hits.iter().map(|h| h.method.id).collect();
    let mut listed = ids
        .iter()
        .take(TITLE_IDS)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > TITLE_IDS {
        listed.push_str(&format!(" and {} more", ids.len() - TITLE_IDS));
    }
    let title = format!(
        "{} can escalate privileges by {} known method{} ({listed})",
        ra.role.name,
        hits.len(),
        if hits.len() == 1 { "" } else { "s" },
    );
    let evidence = hits.into_iter().flat_map(|h| h.evidence).collect();
    out.role(ra, cx, worst, title, evidence, "");
}

/// The shortest assume chain from role `i` to a more powerful role, as a hit.
fn chain_hit(cx: &Ctx<'_>, ix: &Index, i: usize) -> Option<Hit> {
    let chain = ix.chain.get(i)?.as_ref()?;
    let first = chain.hops.first()?;
    let kind = ix.edges_out.get(first.0)?.get(first.1)?.kind;
    let method = methods().iter().find(|m| m.id == kind.path_id())?;
    let arn = |r: usize| {
        cx.inventory
            .roles
            .get(r)
            .map(|x| x.arn.clone())
            .unwrap_or_default()
    };
    let power = ix.power_of(chain.target);
    let mut path: Vec<String> = vec![arn(i)];
    path.extend(chain.hops.iter().filter_map(|&(from, k)| {
        ix.edges_out
            .get(from)
            .and_then(|es| es.get(k))
            .map(|e| arn(e.to))
    }));
    let reason = format!(
        "can assume {} ({})",
        path.get(1..).unwrap_or(&[]).join(" → then "),
        power.describe()
    );
    let mut severity = if power.admin {
        Severity::Critical
    } else {
        power.escalates.map_or(Severity::High, |(s, _)| s)
    };
    if chain.conditional {
        severity = severity.lowered();
    }
    let mut evidence = Vec::new();
    for (n, &(from, k)) in chain.hops.iter().enumerate() {
        let Some(e) = ix.edges_out.get(from).and_then(|es| es.get(k)) else {
            continue;
        };
        for (policy, statement, kind) in &e.via {
            if !matches!(kind, PolicyKind::Trust | PolicyKind::Identity) {
                continue;
            }
            evidence.push(Evidence {
                policy: policy.clone(),
                statement: statement.clone(),
                actions: vec!["sts:AssumeRole".into()],
                resources: vec![arn(e.to)],
                conditions: e
                    .conditions
                    .iter()
                    .map(|c| format!("only when {c} allows"))
                    .collect(),
                note: Some(format!(
                    "{} {}: hop {} of {}: {} → {}{}",
                    e.kind.path_id(),
                    method.name,
                    n + 1,
                    chain.hops.len(),
                    arn(from),
                    arn(e.to),
                    if n + 1 == chain.hops.len() {
                        format!(" ({})", power.describe())
                    } else {
                        String::new()
                    }
                )),
            });
        }
    }
    Some(Hit {
        method,
        severity,
        reason,
        evidence,
    })
}
