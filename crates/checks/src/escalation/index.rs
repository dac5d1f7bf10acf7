//! Facts about every role of the inventory that escalation needs about *other* roles, built in
//! one pass before the rules run: how powerful each role is, which functions run with powerful
//! roles, which customer managed policies are attached where, and the assume-role graph with, for
//! each role, the shortest chain to a more powerful one.
//!
//! Cost: one effective-permission computation per role, plus one engine evaluation per candidate
//! assume edge. Candidates come from an index of trust policies (by the role or account they name,
//! or `*`), and account-wide or `*` trusts are only tried for callers whose own policies allow
//! `sts:AssumeRole` on the target, so the work follows the edges that exist, not roles squared.
//! Pattern searches (PassRole targets, functions, policies) binary-search the literal prefix of
//! the pattern in sorted ARN lists and scan only that range.

use super::judge::{judge, NoOthers, Subject};
use crate::analysis::Workers;
use crate::finding::Severity;
use rolecall_catalog::{wildcard, ActionId, Catalog};
use rolecall_inventory::model::role_key;
use rolecall_inventory::{Inventory, PolicyStore, Role};
use rolecall_policy::eval::{action_matches, arn_account};
use rolecall_policy::{
    evaluate, Analyzer, Decision, Effect, EffectivePermissions, KnownContext, Policy, PolicyKind,
    PolicySet, Request,
};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// How powerful a role is, for "is the target more powerful than the caller?".
#[derive(Clone, Debug, Default)]
pub struct Power {
    pub admin: bool,
    /// The strongest escalation the role has by itself (changing its own permissions, any IAM
    /// user, any resource of a kind rolecall does not inventory): severity and method id.
    pub escalates: Option<(Severity, &'static str)>,
}

impl Power {
    /// Administrator, or able to escalate by itself at high severity or above.
    pub fn is_powerful(&self) -> bool {
        self.admin || self.escalates.is_some_and(|(s, _)| s >= Severity::High)
    }

    pub fn describe(&self) -> String {
        if self.admin {
            "administrator".into()
        } else if let Some((_, id)) = self.escalates {
            format!("which can escalate by itself ({id})")
        } else {
            "no more powerful".into()
        }
    }
}

/// How an assume edge lets the caller in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    SameAccount,
    CrossAccount,
    /// The trust policy names `*`.
    AnyPrincipal,
}

impl EdgeKind {
    pub fn describe(self) -> &'static str {
        match self {
            EdgeKind::SameAccount => "assume in the same account",
            EdgeKind::CrossAccount => "assume across accounts",
            EdgeKind::AnyPrincipal => "assume a role that trusts *",
        }
    }

    /// The pathfinding.cloud path this kind of edge is.
    pub fn path_id(self) -> &'static str {
        match self {
            EdgeKind::SameAccount => "sts-001",
            EdgeKind::CrossAccount => "sts-002",
            EdgeKind::AnyPrincipal => "sts-003",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub to: usize,
    pub kind: EdgeKind,
    /// Condition keys that must hold (the edge exists only when they do).
    pub conditions: Vec<String>,
    /// The statements that allowed it: (policy, statement, policy type).
    pub via: Vec<(String, String, PolicyKind)>,
}

/// A chain of assume edges from a role to a more powerful one.
#[derive(Clone, Debug)]
pub struct Chain {
    /// Edges in order: (from, edge index in `edges_out[from]`).
    pub hops: Vec<(usize, usize)>,
    pub target: usize,
    pub conditional: bool,
}

pub struct Index {
    pub power: Vec<Power>,
    pub edges_out: Vec<Vec<Edge>>,
    /// Shortest chain to an administrator role, else to a role that escalates by itself.
    pub chain: Vec<Option<Chain>>,
    /// Services and federated principals each role trusts (lower case).
    pub trusted_services: Vec<Vec<String>>,
    by_key: HashMap<(String, String), usize>,
    /// Per account, every role ARN, sorted.
    roles_by_account: HashMap<String, Vec<(String, usize)>>,
    /// Per account, the powerful roles' ARNs, sorted.
    powerful_by_account: HashMap<String, Vec<(String, usize)>>,
    /// Per (account, trusted service or federated principal), the powerful roles' ARNs, sorted.
    powerful_by_service: HashMap<(String, String), Vec<(String, usize)>>,
    /// Per account, functions whose role is powerful: (function ARN, role index), sorted.
    powerful_functions: HashMap<String, Vec<(String, usize)>>,
    /// Function ARN → role index.
    function_role: HashMap<String, Option<usize>>,
    /// Per account, customer managed policy ARNs the inventory holds, sorted.
    policies_by_account: HashMap<String, Vec<(String, usize)>>,
    /// Managed policy ARN → roles it is attached to.
    attachments: HashMap<String, Vec<usize>>,
    pub iac: bool,
}

/// The entries of a sorted ARN list a pattern can match: the range sharing its literal prefix,
/// filtered by the full pattern.
pub fn matching<'a>(
    list: &'a [(String, usize)],
    pattern: &'a str,
) -> impl Iterator<Item = &'a (String, usize)> + 'a {
    let cut = pattern.find(['*', '?', '$']).unwrap_or(pattern.len());
    let prefix = pattern.get(..cut).unwrap_or("");
    let start = list.partition_point(|(a, _)| a.as_str() < prefix);
    list.get(start..)
        .unwrap_or(&[])
        .iter()
        .take_while(move |(a, _)| a.starts_with(prefix))
        .filter(move |(a, _)| wildcard::arn_matches(pattern, a))
}

fn sorted(mut m: HashMap<String, Vec<(String, usize)>>) -> HashMap<String, Vec<(String, usize)>> {
    for v in m.values_mut() {
        v.sort();
    }
    m
}

/// `sts:AssumeRole` statements of a trust policy: the AWS principals they name.
struct TrustIndex {
    by_role: HashMap<(String, String), Vec<usize>>,
    by_account: HashMap<String, Vec<usize>>,
    any: Vec<usize>,
}

fn principal_role_key(p: &str) -> Option<(String, String)> {
    let c = rolecall_policy::Caller::parse(Some(p), &Default::default());
    if c.is_role_session() {
        Some((c.account.clone()?, c.name.clone()?))
    } else {
        None
    }
}

fn principal_account(p: &str) -> Option<String> {
    if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
        return Some(p.to_string());
    }
    let c = rolecall_policy::Caller::parse(Some(p), &Default::default());
    (c.kind == rolecall_policy::CallerKind::Root)
        .then(|| c.account.clone())
        .flatten()
}

impl Index {
    /// Builds the index on every core, with the threads' stores and analyzers from `workers`
    /// (the role pass that follows reuses their caches).
    pub fn build_pooled<'i, 'c>(
        inv: &'i Inventory,
        catalog: &'c Catalog,
        workers: &Workers<'i, 'c>,
    ) -> Index {
        let n = inv.roles.len();
        let mut by_key = HashMap::new();
        let mut roles_by_account: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for (i, r) in inv.roles.iter().enumerate() {
            if let Some(k) = role_key(&r.arn) {
                by_key.insert(k, i);
            }
            roles_by_account
                .entry(r.account.clone())
                .or_default()
                .push((r.arn.clone(), i));
        }
        // Trust policies, parsed once, and indexed by whom they let in.
        let trusts: Vec<Option<Arc<Policy>>> = inv
            .roles
            .iter()
            .map(|r| {
                r.trust_policy
                    .parse(&format!("{} trust policy", r.name), PolicyKind::Trust)
                    .ok()
                    .map(Arc::new)
            })
            .collect();
        let mut ti = TrustIndex {
            by_role: HashMap::new(),
            by_account: HashMap::new(),
            any: Vec::new(),
        };
        let mut trusted_services = vec![Vec::new(); n];
        for (i, t) in trusts.iter().enumerate() {
            let Some(t) = t else { continue };
            let mut any = false;
            for s in t.statements.iter().filter(|s| s.effect == Effect::Allow) {
                let Some(p) = &s.principal else { continue };
                if let Some(ts) = trusted_services.get_mut(i) {
                    ts.extend(
                        p.service
                            .iter()
                            .chain(&p.federated)
                            .map(|x| x.to_ascii_lowercase()),
                    );
                }
                if !action_matches(&s.action, "sts:AssumeRole") {
                    continue;
                }
                if p.is_wildcard() {
                    any = true;
                }
                for a in &p.aws {
                    if let Some(k) = principal_role_key(a) {
                        ti.by_role.entry(k).or_default().push(i);
                    } else if let Some(acct) = principal_account(a) {
                        ti.by_account.entry(acct).or_default().push(i);
                    }
                }
            }
            if any {
                ti.any.push(i);
            }
        }

        let mut trusts_any = vec![false; n];
        for &t in &ti.any {
            if let Some(x) = trusts_any.get_mut(t) {
                *x = true;
            }
        }
        // Each role once, on every core: its power, its own escalation, and its assume edges.
        let assume = catalog.lookup("sts:AssumeRole");
        let management = inv
            .organization
            .as_ref()
            .and_then(|o| o.management_account.clone());
        type RcpCache = HashMap<String, Vec<Vec<Arc<Policy>>>>;
        let per_role: Vec<(Power, Vec<Edge>)> = crate::par::map_pooled(
            n,
            workers,
            || (PolicyStore::new(inv), Analyzer::new(catalog)),
            |(store, analyzer), rcps: &mut RcpCache, i| {
                let Some(role) = inv.roles.get(i) else {
                    return (Power::default(), Vec::new());
                };
                let resolved = store.resolve(role);
                let effective = analyzer.effective(&resolved.principal_policies());
                let admin = effective.admin_grant().is_some();
                let escalates = if admin {
                    None
                } else {
                    judge(
                        &Subject {
                            idx: Some(i),
                            role,
                            resolved: &resolved,
                            effective: &effective,
                        },
                        inv,
                        catalog,
                        None,
                        &NoOthers,
                    )
                    .into_iter()
                    .map(|h| (h.severity, h.method.id))
                    .max_by_key(|(s, _)| *s)
                };
                let power = Power { admin, escalates };
                let mut edges = Vec::new();
                // Candidate targets of this caller.
                let Some((acct, name)) = role_key(&role.arn) else {
                    return (power, edges);
                };
                let may_assume = assume.is_some_and(|a| effective.is_allowed(a));
                let named_here = ti.by_role.get(&(acct.clone(), name.clone()));
                let mut cands: Vec<usize> = Vec::new();
                if let Some(v) = named_here {
                    cands.extend(v);
                }
                if may_assume {
                    if let Some(v) = ti.by_account.get(&acct) {
                        cands.extend(v);
                    }
                    cands.extend(&ti.any);
                }
                cands.sort_unstable();
                cands.dedup();
                for t in cands {
                    let (Some(target), Some(Some(trust))) = (inv.roles.get(t), trusts.get(t))
                    else {
                        continue;
                    };
                    if t == i {
                        continue;
                    }
                    // Account-wide and cross-account trusts need the caller's own Allow.
                    let named = named_here.is_some_and(|v| v.contains(&t));
                    let same = target.account == acct;
                    let any_principal = trusts_any.get(t).copied().unwrap_or(false);
                    // A trust policy naming the caller in its own account needs nothing more.
                    // One naming `*` lets everyone in: that is the target's flaw (LR401), and an
                    // escalation of this role only when its own policies allow the call
                    // (pathfinding.cloud sts-003 needs sts:AssumeRole).
                    let without_identity = same && named;
                    let with_identity =
                        assume.is_some_and(|a| identity_may_allow(&effective, a, &target.arn));
                    if !(without_identity || with_identity) {
                        continue;
                    }
                    let target_rcps = rcps
                        .entry(target.account.clone())
                        .or_insert_with(|| store.rcp_levels(&target.account))
                        .clone();
                    if let Some(edge) = assume_edge(
                        role,
                        &resolved,
                        target,
                        t,
                        trust,
                        &target_rcps,
                        management.as_deref(),
                        any_principal,
                    ) {
                        edges.push(edge);
                    }
                }
                (power, edges)
            },
        );
        let (power, edges_out): (Vec<Power>, Vec<Vec<Edge>>) = per_role.into_iter().unzip();

        let chain = chains(&power, &edges_out);

        let mut powerful_by_account: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for (i, r) in inv.roles.iter().enumerate() {
            if power.get(i).is_some_and(Power::is_powerful) {
                powerful_by_account
                    .entry(r.account.clone())
                    .or_default()
                    .push((r.arn.clone(), i));
            }
        }
        let mut powerful_by_service: HashMap<(String, String), Vec<(String, usize)>> =
            HashMap::new();
        for (i, r) in inv.roles.iter().enumerate() {
            if !power.get(i).is_some_and(Power::is_powerful) {
                continue;
            }
            let mut svcs: Vec<&String> = trusted_services
                .get(i)
                .map(|v| v.iter().collect())
                .unwrap_or_default();
            svcs.sort_unstable();
            svcs.dedup();
            for svc in svcs {
                powerful_by_service
                    .entry((r.account.clone(), svc.clone()))
                    .or_default()
                    .push((r.arn.clone(), i));
            }
        }
        for v in powerful_by_service.values_mut() {
            v.sort();
        }
        let mut powerful_functions: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        let mut function_role = HashMap::new();
        for f in &inv.functions {
            let ri = role_key(&f.role_arn).and_then(|k| by_key.get(&k).copied());
            function_role.insert(f.arn.clone(), ri);
            if let Some(ri) = ri.filter(|&ri| power.get(ri).is_some_and(Power::is_powerful)) {
                powerful_functions
                    .entry(f.account.clone())
                    .or_default()
                    .push((f.arn.clone(), ri));
            }
        }
        let mut policies_by_account: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for (i, m) in inv.managed_policies.iter().enumerate() {
            if let Some(a) = arn_account(&m.arn).filter(|a| *a != "aws") {
                policies_by_account
                    .entry(a.to_string())
                    .or_default()
                    .push((m.arn.clone(), i));
            }
        }
        let mut attachments: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in inv.roles.iter().enumerate() {
            for p in &r.managed_policy_arns {
                attachments.entry(p.clone()).or_default().push(i);
            }
        }
        Index {
            power,
            edges_out,
            chain,
            trusted_services,
            by_key,
            roles_by_account: sorted(roles_by_account),
            powerful_by_account: sorted(powerful_by_account),
            powerful_by_service,
            powerful_functions: sorted(powerful_functions),
            function_role,
            policies_by_account: sorted(policies_by_account),
            attachments,
            iac: inv.source == "iac",
        }
    }

    /// The inventory role with this ARN (path ignored).
    pub fn role(&self, arn: &str) -> Option<usize> {
        self.by_key.get(&role_key(arn)?).copied()
    }

    pub fn power_of(&self, i: usize) -> Power {
        self.power.get(i).cloned().unwrap_or_default()
    }

    pub fn trusts_any(&self, i: usize, services: &[&str]) -> bool {
        self.trusted_services.get(i).is_some_and(|t| {
            t.iter()
                .any(|s| services.iter().any(|w| w.eq_ignore_ascii_case(s)))
        })
    }

    pub fn roles_in(&self, account: &str) -> &[(String, usize)] {
        self.roles_by_account
            .get(account)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn powerful_in(&self, account: &str) -> &[(String, usize)] {
        self.powerful_by_account
            .get(account)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The powerful roles of the account that trust this service (or federated principal).
    pub fn powerful_trusting(&self, account: &str, service: &str) -> &[(String, usize)] {
        self.powerful_by_service
            .get(&(account.to_string(), service.to_ascii_lowercase()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn powerful_functions_in(&self, account: &str) -> &[(String, usize)] {
        self.powerful_functions
            .get(account)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The role of the inventory function with this ARN: None when the function is not in the
    /// inventory, Some(None) when its role is not.
    pub fn function_role(&self, arn: &str) -> Option<Option<usize>> {
        self.function_role.get(arn).copied()
    }

    pub fn policies_in(&self, account: &str) -> &[(String, usize)] {
        self.policies_by_account
            .get(account)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn attached_to(&self, policy_arn: &str) -> &[usize] {
        self.attachments
            .get(policy_arn)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Could the caller's identity side allow the action on this ARN (ignoring conditions)?
fn identity_may_allow(e: &EffectivePermissions, id: ActionId, arn: &str) -> bool {
    e.grants_for(id).any(|g| {
        g.resources
            .include
            .iter()
            .any(|p| wildcard::arn_matches(p, arn))
            && !g
                .resources
                .exclude
                .iter()
                .any(|p| wildcard::arn_matches(p, arn))
    })
}

/// Does the engine let `caller` assume `target`? Once as the caller's known facts leave it, and
/// when that says no, once more with the conditions nothing known decides taken out: an edge
/// that exists only then is conditional on them.
#[allow(clippy::too_many_arguments)]
fn assume_edge(
    caller: &Role,
    resolved: &rolecall_inventory::ResolvedRole,
    target: &Role,
    t: usize,
    trust: &Arc<Policy>,
    target_rcps: &[Vec<Arc<Policy>>],
    management: Option<&str>,
    any_principal: bool,
) -> Option<Edge> {
    let (acct, name) = role_key(&caller.arn)?;
    let partition = caller.arn.split(':').nth(1).unwrap_or("aws");
    let req = Request {
        principal: Some(format!(
            "arn:{partition}:sts::{acct}:assumed-role/{name}/rolecall"
        )),
        action: "sts:AssumeRole".into(),
        resource: target.arn.clone(),
        principal_facts: resolved.facts.clone(),
        management_account: management.map(str::to_string),
        ..Request::default()
    };
    let identity: Vec<&Policy> = resolved.identity.iter().map(|p| p.as_ref()).collect();
    let scps: Vec<Vec<&Policy>> = resolved
        .scp_levels
        .iter()
        .map(|l| l.iter().map(|p| p.as_ref()).collect())
        .collect();
    let rcps: Vec<Vec<&Policy>> = target_rcps
        .iter()
        .map(|l| l.iter().map(|p| p.as_ref()).collect())
        .collect();
    let set = PolicySet {
        identity: identity.clone(),
        boundary: resolved.boundary.as_deref(),
        session: None,
        scp_levels: scps.clone(),
        rcp_levels: rcps.clone(),
        resource_policy: Some(trust),
    };
    let kind = if any_principal && !names_caller(trust, &acct, &name) {
        EdgeKind::AnyPrincipal
    } else if target.account != acct {
        EdgeKind::CrossAccount
    } else {
        EdgeKind::SameAccount
    };
    let via = |r: &rolecall_policy::Response| {
        r.matched
            .iter()
            .map(|m| (m.policy.clone(), m.statement.clone(), m.policy_type))
            .collect()
    };
    let r = evaluate(&set, &req);
    if r.decision == Decision::Allow {
        return Some(Edge {
            to: t,
            kind,
            conditions: Vec::new(),
            via: via(&r),
        });
    }
    if r.decision == Decision::ExplicitDeny {
        return None;
    }
    let known = resolved.known.as_ref();
    let mut left = Vec::new();
    let relaxed_trust = relax(trust, known, &mut left);
    let relaxed_identity: Vec<Policy> = identity
        .iter()
        .map(|p| relax(p, known, &mut left))
        .collect();
    if left.is_empty() {
        return None;
    }
    let set = PolicySet {
        identity: relaxed_identity.iter().collect(),
        resource_policy: Some(&relaxed_trust),
        ..set
    };
    let r = evaluate(&set, &req);
    (r.decision == Decision::Allow).then(|| {
        left.sort();
        left.dedup();
        Edge {
            to: t,
            kind,
            conditions: left,
            via: via(&r),
        }
    })
}

fn names_caller(trust: &Policy, acct: &str, name: &str) -> bool {
    trust.statements.iter().any(|s| {
        s.effect == Effect::Allow
            && s.principal.as_ref().is_some_and(|p| {
                p.aws.iter().any(|a| {
                    principal_role_key(a).is_some_and(|(x, y)| x == acct && y == name)
                        || principal_account(a).is_some_and(|x| x == acct)
                })
            })
    })
}

/// A copy of the policy whose Allow statements keep only the conditions the caller's known facts
/// decide (a statement they rule out is dropped); the keys taken out go to `left`.
fn relax(p: &Policy, known: Option<&KnownContext>, left: &mut Vec<String>) -> Policy {
    let mut out = p.clone();
    out.statements.retain_mut(|s| {
        if s.effect != Effect::Allow || s.conditions.is_empty() {
            return true;
        }
        let rest = match known {
            Some(k) => k.specialise(&s.conditions, p.version),
            None => Some(s.conditions.clone()),
        };
        match rest {
            None => false,
            Some(rest) => {
                left.extend(rest.iter().map(|c| c.key.clone()));
                s.conditions.retain(|c| !rest.iter().any(|r| r == c));
                true
            }
        }
    });
    out
}

/// For each role, the shortest chain of assume edges to an administrator role, else to a role
/// that escalates by itself; unconditional chains before conditional ones. Breadth-first search
/// backwards from the targets: linear in roles and edges.
fn chains(power: &[Power], edges_out: &[Vec<Edge>]) -> Vec<Option<Chain>> {
    let n = power.len();
    let mut edges_in: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (from, es) in edges_out.iter().enumerate() {
        for (k, e) in es.iter().enumerate() {
            if let Some(v) = edges_in.get_mut(e.to) {
                v.push((from, k));
            }
        }
    }
    let mut best: Vec<Option<Chain>> = vec![None; n];
    let seeds_admin: Vec<usize> = (0..n)
        .filter(|&i| power.get(i).is_some_and(|p| p.admin))
        .collect();
    let seeds_any: Vec<usize> = (0..n)
        .filter(|&i| power.get(i).is_some_and(Power::is_powerful))
        .collect();
    for seeds in [&seeds_admin, &seeds_any] {
        let mut is_seed = vec![false; n];
        for &s in seeds.iter() {
            if let Some(x) = is_seed.get_mut(s) {
                *x = true;
            }
        }
        for conditional_ok in [false, true] {
            // next[i] = (edge from i) on the shortest path to a seed.
            let mut next: Vec<Option<(usize, usize)>> = vec![None; n];
            let mut seen = vec![false; n];
            let mut q = VecDeque::new();
            for &s in seeds {
                if let Some(x) = seen.get_mut(s) {
                    *x = true;
                }
                q.push_back(s);
            }
            while let Some(v) = q.pop_front() {
                for &(from, k) in edges_in.get(v).map(Vec::as_slice).unwrap_or(&[]) {
                    let cond = edges_out
                        .get(from)
                        .and_then(|es| es.get(k))
                        .is_some_and(|e| !e.conditions.is_empty());
                    if (cond && !conditional_ok) || seen.get(from).copied().unwrap_or(true) {
                        continue;
                    }
                    if let Some(x) = seen.get_mut(from) {
                        *x = true;
                    }
                    if let Some(x) = next.get_mut(from) {
                        *x = Some((from, k));
                    }
                    q.push_back(from);
                }
            }
            for i in 0..n {
                if best.get(i).is_some_and(Option::is_some)
                    || is_seed.get(i).copied().unwrap_or(true)
                {
                    continue;
                }
                let mut hops = Vec::new();
                let mut cur = i;
                let mut conditional = false;
                while let Some(Some((from, k))) = next.get(cur).copied() {
                    hops.push((from, k));
                    let Some(e) = edges_out.get(from).and_then(|es| es.get(k)) else {
                        break;
                    };
                    conditional |= !e.conditions.is_empty();
                    cur = e.to;
                    if hops.len() > n {
                        break;
                    }
                }
                if !hops.is_empty() {
                    if let Some(b) = best.get_mut(i) {
                        *b = Some(Chain {
                            hops,
                            target: cur,
                            conditional,
                        });
                    }
                }
            }
        }
    }
    best
}
