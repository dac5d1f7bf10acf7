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

use super::grant_evidence;
use super::{Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::escalation::{judge, methods, EdgeKind, Hit, Index, Subject, Use};
use crate::finding::{Evidence, Severity};
use rolecall_policy::PolicyKind;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

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
        needs_data: &[],
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
    if let Some(i) = idx {
        hits.extend(chain_hits(cx, ix, i));
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
    out.role(ra, cx, worst, title, compact(cx, ra, hits), "");
}

/// Methods listed one by one in the evidence; the rest are grouped by statement.
const EVIDENCE_METHODS: usize = 12;

/// Evidence entries that differ only in their actions, with the methods that use them.
#[derive(Default)]
struct Groups {
    entries: Vec<Group>,
    /// (grant, the exceptions that touch the action) -> entry: a grant's evidence is written
    /// once, not once per method that uses it.
    by_grant: HashMap<(usize, Vec<usize>), usize>,
    /// (policy, statement) -> entries with them: a policy of a thousand statements is not
    /// searched entry by entry for each one.
    by_statement: HashMap<(String, String), Vec<usize>>,
}

struct Group {
    evidence: Evidence,
    methods: Vec<&'static str>,
    /// The entry's actions, to add each once without searching the list (a `NotAction`
    /// statement serves dozens of methods and a hundred actions).
    names: HashSet<Cow<'static, str>>,
    /// `methods` as a set: a `*` statement serves most of the published methods.
    listed: HashSet<&'static str>,
}

impl Groups {
    fn add_entry(&mut self, e: Evidence, id: &'static str) -> usize {
        let key = (e.policy.clone(), e.statement.clone());
        let same = self.by_statement.get(&key).and_then(|candidates| {
            candidates.iter().copied().find(|&i| {
                self.entries.get(i).is_some_and(|x| {
                    x.evidence.resources == e.resources && x.evidence.conditions == e.conditions
                })
            })
        });
        match same {
            Some(i) => {
                self.merge(i, e.actions, id);
                i
            }
            None => {
                self.entries.push(Group {
                    names: e.actions.iter().cloned().collect(),
                    evidence: e,
                    methods: vec![id],
                    listed: HashSet::from([id]),
                });
                let i = self.entries.len() - 1;
                self.by_statement.entry(key).or_default().push(i);
                i
            }
        }
    }

    fn merge(&mut self, i: usize, actions: Vec<Cow<'static, str>>, id: &'static str) {
        if let Some(g) = self.entries.get_mut(i) {
            for a in actions {
                if g.names.insert(a.clone()) {
                    g.evidence.actions.push(a);
                }
            }
            g.add_method(id);
        }
    }

    fn add_use(&mut self, cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, u: &Use, id: &'static str) {
        let Some(g) = ra.effective.grants.get(u.grant) else {
            return;
        };
        let touching: Vec<usize> = g
            .exceptions
            .iter()
            .enumerate()
            .filter(|(_, x)| x.actions.contains(u.action))
            .map(|(i, _)| i)
            .collect();
        let key = (u.grant, touching);
        match self.by_grant.get(&key) {
            Some(&i) => self.merge(
                i,
                vec![crate::finding::action_name(cx.catalog, u.action)],
                id,
            ),
            None => {
                let i = self.add_entry(grant_evidence(cx.catalog, g, &[u.action]), id);
                self.by_grant.insert(key, i);
            }
        }
    }
}

impl Group {
    fn add_method(&mut self, id: &'static str) {
        // Methods come one after another: the last one is the usual repeat.
        if self.methods.last() != Some(&id) && self.listed.insert(id) {
            self.methods.push(id);
        }
    }
}

/// The worst methods' target statements with their reasons, then the statements the other
/// methods use and the other permissions the methods need, one entry per statement (a `*`
/// statement that serves twenty methods is listed once). The evidence grows with the policy's
/// statements, not with the number of published methods; only what is kept is written.
fn compact(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, hits: Vec<Hit>) -> Vec<Evidence> {
    let mut evidence = Vec::new();
    let mut also = Groups::default();
    let mut more = Groups::default();
    for (n, h) in hits.iter().enumerate() {
        let id = h.method.id;
        for u in &h.uses {
            if !u.target {
                also.add_use(cx, ra, u, id);
            } else if n < EVIDENCE_METHODS {
                if let Some(g) = ra.effective.grants.get(u.grant) {
                    let mut e = grant_evidence(cx.catalog, g, &[u.action]);
                    e.note = Some(h.note(u));
                    evidence.push(e);
                }
            } else {
                more.add_use(cx, ra, u, id);
            }
        }
        for e in &h.evidence {
            if n < EVIDENCE_METHODS {
                evidence.push(e.clone());
            } else {
                let mut e = e.clone();
                e.note = None;
                more.add_entry(e, id);
            }
        }
    }
    for Group {
        evidence: mut e,
        methods: ids,
        ..
    } in more.entries
    {
        e.note = Some(format!(
            "also grants {} ({}; `rolecall explain LR201 --methods` describes each)",
            ids.join(", "),
            if ids.len() == 1 {
                "one more method"
            } else {
                "more methods"
            },
        ));
        evidence.push(e);
    }
    for Group {
        evidence: mut e,
        methods: ids,
        ..
    } in also.entries
    {
        e.note = Some(format!("also needed by {}", ids.join(", ")));
        evidence.push(e);
    }
    evidence
}

/// A chain's first-edge kind, hops (from, edge index), target and whether a condition gates it.
type Candidate = (EdgeKind, Vec<(usize, usize)>, usize, bool);

/// Assume chains from role `i` to a more powerful role, as hits: the best one starting with each
/// kind of edge (same account, across accounts, through a trust of `*`), so that closing one
/// door does not hide the others.
fn chain_hits(cx: &Ctx<'_>, ix: &Index, i: usize) -> Vec<Hit> {
    let mut best: Vec<Candidate> = Vec::new();
    for (k, e) in ix
        .edges_out
        .get(i)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let target_power = ix.power_of(e.to);
        // The rest of the chain after this edge: none when the target is itself the prize.
        let (rest, target, cond) = if target_power.admin {
            (Vec::new(), e.to, false)
        } else if let Some(c) = ix.chain.get(e.to).and_then(Option::as_ref) {
            if c.hops.iter().any(|&(from, _)| from == i) {
                continue; // back through this role: its own chain is shorter
            }
            (c.hops.clone(), c.target, c.conditional)
        } else if target_power.is_powerful() {
            (Vec::new(), e.to, false)
        } else {
            continue;
        };
        let mut hops = vec![(i, k)];
        hops.extend(rest);
        let conditional = cond || !e.conditions.is_empty();
        let rank = |admin: bool, conditional: bool, len: usize| (!admin, conditional, len);
        let admin = ix.power_of(target).admin;
        match best.iter_mut().find(|b| b.0 == e.kind) {
            Some(b) => {
                if rank(admin, conditional, hops.len())
                    < rank(ix.power_of(b.2).admin, b.3, b.1.len())
                {
                    *b = (e.kind, hops, target, conditional);
                }
            }
            None => best.push((e.kind, hops, target, conditional)),
        }
    }
    best.into_iter()
        .filter_map(|(kind, hops, target, conditional)| {
            chain_hit(cx, ix, kind, &hops, target, conditional)
        })
        .collect()
}

fn chain_hit(
    cx: &Ctx<'_>,
    ix: &Index,
    kind: EdgeKind,
    hops: &[(usize, usize)],
    target: usize,
    conditional: bool,
) -> Option<Hit> {
    let method = methods().iter().find(|m| m.id == kind.path_id())?;
    let arn = |r: usize| {
        cx.inventory
            .roles
            .get(r)
            .map(|x| x.arn.clone())
            .unwrap_or_default()
    };
    let power = ix.power_of(target);
    let path: Vec<String> = hops
        .iter()
        .filter_map(|&(from, k)| {
            ix.edges_out
                .get(from)
                .and_then(|es| es.get(k))
                .map(|e| arn(e.to))
        })
        .collect();
    let reason = format!(
        "can assume {} ({})",
        path.join(" → then "),
        power.describe()
    );
    let mut severity = if power.admin {
        Severity::Critical
    } else {
        power.escalates.map_or(Severity::High, |(s, _)| s)
    };
    if conditional {
        severity = severity.lowered();
    }
    let mut evidence = Vec::new();
    for (n, &(from, k)) in hops.iter().enumerate() {
        let Some(e) = ix.edges_out.get(from).and_then(|es| es.get(k)) else {
            continue;
        };
        for (policy, statement, pkind) in &e.via {
            if !matches!(pkind, PolicyKind::Trust | PolicyKind::Identity) {
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
                    method.id,
                    if n == 0 { e.kind.describe() } else { "then" },
                    n + 1,
                    hops.len(),
                    arn(from),
                    arn(e.to),
                    if n + 1 == hops.len() {
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
        uses: Vec::new(),
        evidence,
    })
}
