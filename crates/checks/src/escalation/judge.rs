//! Judging one role against every escalation method: is each permission the method needs
//! allowed (on resources of its types, within boundary, SCPs and denies), and does the method's
//! target reach something more powerful than the role itself?
//!
//! Severity follows what rolecall can prove:
//! - **critical**: the role can change its own permissions, or reaches a named role, function or
//!   policy that is more powerful (administrator, or able to escalate by itself);
//! - **high**: it reaches a role that escalates by itself at high severity, or any resource of a
//!   kind rolecall does not inventory (users, stacks, instances...), whose roles it cannot see;
//! - **medium**: potential escalation: a target that is not in the inventory, a pattern no
//!   resource matches today, resources of an uninventoried kind matched by a pattern, or `*`
//!   where no inventoried target is more powerful today (high for templates, which do not hold
//!   the whole account);
//! - silent: every target the grant reaches is known and no more powerful.
//!
//! Conditions on a needed grant lower the severity one step.

use super::index::Index;
use super::methods::{methods, Method, Reach};
use crate::finding::{Evidence, Severity};
use rolecall_catalog::{wildcard, ActionId, Catalog};
use rolecall_inventory::{Inventory, ResolvedRole, Role};
use rolecall_policy::effective::pattern_overlaps;
use rolecall_policy::eval::arn_account;
use rolecall_policy::{Analyzer, Comparison, Effect, EffectivePermissions, Grant};

/// The role being judged.
pub struct Subject<'a> {
    /// Its index in `inventory.roles`, when it is there.
    pub idx: Option<usize>,
    pub role: &'a Role,
    pub resolved: &'a ResolvedRole,
    pub effective: &'a EffectivePermissions,
}

/// What the judge may ask about other roles (computed on demand by the scan context).
pub trait Others {
    /// How many actions role `i`'s permission boundary holds back.
    fn boundary_holds_back(&self, i: usize) -> usize;
}

/// No knowledge of other roles: the index's first pass, which only asks what a role can do by
/// itself.
pub struct NoOthers;

impl Others for NoOthers {
    fn boundary_holds_back(&self, _: usize) -> usize {
        0
    }
}

/// One permission a method needs, and the grant (by index in the subject's effective
/// permissions) that allows it. Evidence is written from these only for what a report keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Use {
    pub grant: usize,
    pub action: ActionId,
    /// The method's target permission (what the reason is about), not one also needed.
    pub target: bool,
}

/// One method the role can use.
#[derive(Clone, Debug)]
pub struct Hit {
    pub method: &'static Method,
    pub severity: Severity,
    /// What the method reaches, in words.
    pub reason: String,
    /// The grants that allow each permission, the target's first.
    pub uses: Vec<Use>,
    /// Evidence that is not a grant of the subject's (the hops of an assume chain).
    pub evidence: Vec<Evidence>,
}

impl Hit {
    /// The note on the evidence of a use.
    pub fn note(&self, u: &Use) -> String {
        if u.target {
            format!("{} {}: {}", self.method.id, self.method.name, self.reason)
        } else {
            format!("{}: also needed", self.method.id)
        }
    }
}

struct Verdict {
    severity: Severity,
    reason: String,
    /// The grant of the target action that reaches it.
    grant: Option<usize>,
}

fn v(severity: Severity, reason: String, grant: Option<usize>) -> Option<Verdict> {
    Some(Verdict {
        severity,
        reason,
        grant,
    })
}

fn better(a: Option<Verdict>, b: Option<Verdict>) -> Option<Verdict> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.severity > a.severity { b } else { a }),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Does the grant allow the action on this ARN? `Some(conditional)` when it does.
pub fn grant_allows(g: &Grant, id: ActionId, arn: &str) -> Option<bool> {
    if !g.actions.contains(id)
        || !g
            .resources
            .include
            .iter()
            .any(|p| wildcard::arn_matches(p, arn))
        || g.resources
            .exclude
            .iter()
            .any(|p| wildcard::arn_matches(p, arn))
    {
        return None;
    }
    let mut conditional = g.is_conditional();
    for x in g.exceptions.iter().filter(|x| x.actions.contains(id)) {
        if x.account
            .as_deref()
            .is_some_and(|a| arn_account(arn) != Some(a))
        {
            continue;
        }
        let hit = x
            .resources
            .include
            .iter()
            .any(|p| wildcard::arn_matches(p, arn))
            && !x
                .resources
                .exclude
                .iter()
                .any(|p| wildcard::arn_matches(p, arn));
        if hit {
            if x.conditional {
                conditional = true;
            } else {
                return None;
            }
        }
    }
    Some(conditional)
}

/// The grant (by index) that allows the action on the ARN, unconditional ones first.
fn allows(e: &EffectivePermissions, id: ActionId, arn: &str) -> Option<(usize, bool)> {
    let mut best: Option<(usize, bool)> = None;
    for (i, g) in e.grants.iter().enumerate() {
        if let Some(c) = grant_allows(g, id, arn) {
            if best.is_none_or(|(_, bc)| bc && !c) {
                best = Some((i, c));
            }
        }
    }
    best
}

/// Does the grant's `iam:PassedToService` condition (if any) let the role go to one of the
/// services?
fn passed_to_allows(g: &Grant, services: &[&str]) -> bool {
    g.conditions
        .iter()
        .filter(|c| c.key.eq_ignore_ascii_case("iam:PassedToService") && !c.operator.negated)
        .all(|c| {
            services.iter().any(|service| match c.operator.comparison {
                Comparison::StringEquals | Comparison::StringEqualsIgnoreCase => {
                    c.values.iter().any(|v| v.eq_ignore_ascii_case(service))
                }
                Comparison::StringLike => c
                    .values
                    .iter()
                    .any(|v| wildcard::matches_ignore_case(v, service)),
                _ => true,
            })
        })
}

struct Judge<'a> {
    s: &'a Subject<'a>,
    inv: &'a Inventory,
    cat: &'a Catalog,
    index: Option<&'a Index>,
    others: &'a dyn Others,
    account: &'a str,
}

/// Every method the subject can use, strongest first.
pub fn judge(
    s: &Subject<'_>,
    inv: &Inventory,
    cat: &Catalog,
    index: Option<&Index>,
    others: &dyn Others,
) -> Vec<Hit> {
    let j = Judge {
        s,
        inv,
        cat,
        index,
        others,
        account: s.role.account.as_str(),
    };
    let e = s.effective;
    let mut hits = Vec::new();
    for m in methods() {
        if matches!(m.reach, Reach::NotForRoles(_) | Reach::Assume) {
            continue; // Assume: from the index's chains, see `chain_hit`.
        }
        if !m
            .required_ids
            .iter()
            .all(|a| a.is_some_and(|a| e.is_allowed(a)))
        {
            continue;
        }
        let ids: Vec<ActionId> = m.required_ids.iter().flatten().copied().collect();
        let Some(verdict) = j.target(m) else { continue };
        let target = m.reach.target_action().and_then(|a| cat.lookup(a));
        let mut severity = verdict.severity;
        let mut uses = Vec::with_capacity(ids.len());
        let mut order = ids;
        // The target's statement first: it is what the reason is about.
        order.sort_by_key(|&a| Some(a) != target);
        let index_of = |g: &Grant| e.grants.iter().position(|x| std::ptr::eq(x, g));
        for &a in &order {
            let is_target = Some(a) == target;
            let g = if is_target {
                verdict.grant.filter(|&i| i < e.grants.len())
            } else {
                None
            }
            .or_else(|| e.unscoped_grant(a).and_then(index_of))
            .or_else(|| e.grants.iter().position(|g| g.actions.contains(a)));
            let Some((grant, g)) = g.and_then(|i| Some((i, e.grants.get(i)?))) else {
                continue;
            };
            if g.is_conditional() && severity == verdict.severity {
                severity = severity.lowered();
            }
            uses.push(Use {
                grant,
                action: a,
                target: is_target,
            });
        }
        hits.push(Hit {
            method: m,
            severity,
            reason: verdict.reason,
            uses,
            evidence: Vec::new(),
        });
    }
    hits.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.method.id.cmp(b.method.id))
    });
    hits
}

impl Judge<'_> {
    fn e(&self) -> &EffectivePermissions {
        self.s.effective
    }

    fn id(&self, action: &str) -> Option<ActionId> {
        self.cat.lookup(action)
    }

    fn grants_of(&self, id: ActionId) -> impl Iterator<Item = (usize, &Grant)> {
        self.e()
            .grants
            .iter()
            .enumerate()
            .filter(move |(_, g)| g.actions.contains(id))
    }

    /// No inventoried target is more powerful: the severity of what is left.
    fn potential(&self) -> Severity {
        if self.index.is_some_and(|i| i.iac) {
            Severity::High
        } else {
            Severity::Medium
        }
    }

    fn is_self(&self, i: usize) -> bool {
        self.s.idx == Some(i)
    }

    /// Roles the subject can assume (one edge of the graph).
    fn assumable(&self) -> Vec<usize> {
        match (self.index, self.s.idx) {
            (Some(ix), Some(me)) => ix
                .edges_out
                .get(me)
                .map(|es| es.iter().map(|e| e.to).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn role_arn(&self, i: usize) -> &str {
        self.inv.roles.get(i).map(|r| r.arn.as_str()).unwrap_or("")
    }

    /// Why a role is more powerful than the subject (None when it is not).
    fn stronger(&self, i: usize) -> Option<(Severity, String)> {
        let ix = self.index?;
        let p = ix.power_of(i);
        let arn = self.role_arn(i);
        if p.admin {
            return Some((Severity::Critical, format!("{arn} (administrator)")));
        }
        if let Some((s, id)) = p.escalates.filter(|(s, _)| *s >= Severity::High) {
            return Some((
                if s == Severity::Critical {
                    Severity::Critical
                } else {
                    Severity::High
                },
                format!("{arn}, which can escalate by itself ({id})"),
            ));
        }
        None
    }

    fn target(&self, m: &Method) -> Option<Verdict> {
        match m.reach {
            Reach::PassRole(services) => self.pass_role(services),
            Reach::RolePermissions(a) => self.role_permissions(m, a),
            Reach::ManagedPolicy(a) => self.managed_policy(m, a),
            Reach::TrustPolicy => self.trust_policy(),
            Reach::Boundary(a) => self.boundary(a),
            Reach::RemoveDeny(a) => self.remove_deny(a),
            Reach::Users(a) => self.users(m, a),
            Reach::Function(a) => self.function(a),
            Reach::Resource(a, kind) => self.resource(a, kind),
            Reach::Assume | Reach::NotForRoles(_) => None,
        }
    }

    /// Roles of the subject's account matched by a grant's literal or wildcard pattern, for
    /// "can the grant reach a more powerful role?".
    fn strongest_role_matched(
        &self,
        id: ActionId,
        gi: usize,
        g: &Grant,
        services: Option<&[&str]>,
        verb: &dyn Fn(&str) -> String,
    ) -> Option<Verdict> {
        let filter =
            |t: usize| services.is_none_or(|s| self.index.is_some_and(|ix| ix.trusts_any(t, s)));
        let ix = self.index?;
        let mut best = None;
        for p in &g.resources.include {
            if !wildcard::has_wildcard(p) && !p.contains("${") {
                if arn_account(p).is_some_and(|a| a != self.account) {
                    continue;
                }
                match ix.role(p) {
                    Some(t) if self.is_self(t) || !filter(t) => {}
                    Some(t) => {
                        if grant_allows(g, id, self.role_arn(t)).is_some() {
                            if let Some((s, why)) = self.stronger(t) {
                                best = better(best, v(s, verb(&why), Some(gi)));
                            }
                        }
                    }
                    None => {
                        best = better(
                            best,
                            v(
                                Severity::Medium,
                                verb(&format!("{p}, which is not in the inventory")),
                                Some(gi),
                            ),
                        );
                    }
                }
                continue;
            }
            // Powerful roles only (those trusting the service, for PassRole), by prefix range.
            let lists: Vec<&[(String, usize)]> = match services {
                Some(s) => s
                    .iter()
                    .map(|s| ix.powerful_trusting(self.account, s))
                    .collect(),
                None => vec![ix.powerful_in(self.account)],
            };
            let found = lists.iter().find_map(|l| {
                super::index::matching(l, p)
                    .find(|(arn, t)| !self.is_self(*t) && grant_allows(g, id, arn).is_some())
            });
            if let Some((_, t)) = found {
                if let Some((s, why)) = self.stronger(*t) {
                    best = better(best, v(s, verb(&why), Some(gi)));
                    continue;
                }
            }
            if g.unscoped_for(id) {
                best = better(
                    best,
                    v(
                        self.potential(),
                        verb(&format!(
                            "any role of the account ({p}); none in the inventory is more powerful today"
                        )),
                        Some(gi),
                    ),
                );
            } else if super::index::matching(ix.roles_in(self.account), p)
                .next()
                .is_none()
            {
                best = better(
                    best,
                    v(
                        Severity::Medium,
                        verb(&format!("roles matching {p}, of which none exists today")),
                        Some(gi),
                    ),
                );
            }
        }
        best
    }

    fn pass_role(&self, services: &'static [&'static str]) -> Option<Verdict> {
        let pr = self.id("iam:PassRole")?;
        self.index?;
        let svc = services.join(" or ");
        let mut best = None;
        for (gi, g) in self.grants_of(pr) {
            if !passed_to_allows(g, services) {
                continue;
            }
            best = better(
                best,
                self.strongest_role_matched(pr, gi, g, Some(services), &|t| {
                    format!("can pass to {svc}: {t}")
                }),
            );
        }
        best
    }

    fn role_permissions(&self, m: &Method, action: &str) -> Option<Verdict> {
        let a = self.id(action)?;
        let me = &self.s.role.arn;
        if let Some((gi, _)) = allows(self.e(), a, me) {
            return v(
                Severity::Critical,
                format!("can change its own permissions ({action} on {me})"),
                Some(gi),
            );
        }
        let ix = self.index?;
        for t in self.assumable() {
            if let Some((gi, _)) = allows(self.e(), a, self.role_arn(t)) {
                return v(
                    Severity::Critical,
                    format!(
                        "can change the permissions of {}, which it can assume",
                        self.role_arn(t)
                    ),
                    Some(gi),
                );
            }
        }
        let trust = m
            .required
            .contains(&"iam:UpdateAssumeRolePolicy")
            .then(|| self.id("iam:UpdateAssumeRolePolicy"))
            .flatten();
        let mut best = None;
        for (gi, g) in self.grants_of(a) {
            for p in &g.resources.include {
                if let Some(u) = trust {
                    let both =
                        super::index::matching(ix.roles_in(self.account), p).find(|(arn, _)| {
                            grant_allows(g, a, arn).is_some() && allows(self.e(), u, arn).is_some()
                        });
                    if let Some((arn, _)) = both {
                        return v(
                            Severity::Critical,
                            format!(
                                "can rewrite both the permissions and the trust policy of {arn}"
                            ),
                            Some(gi),
                        );
                    }
                }
                best = better(
                    best,
                    self.no_role_under(p, gi, "could give any permission to"),
                );
            }
        }
        best
    }

    /// A pattern under which no role exists today (or a named role not in the inventory).
    fn no_role_under(&self, p: &str, gi: usize, verb: &str) -> Option<Verdict> {
        let ix = self.index?;
        if arn_account(p).is_some_and(|a| a != self.account && !a.contains(['*', '?'])) {
            return None;
        }
        if super::index::matching(ix.roles_in(self.account), p)
            .next()
            .is_some()
        {
            return None;
        }
        v(
            Severity::Medium,
            if wildcard::has_wildcard(p) {
                format!("{verb} a role created under {p} (none exists today)")
            } else {
                format!("{verb} {p}, which is not in the inventory")
            },
            Some(gi),
        )
    }

    fn managed_policy(&self, m: &Method, action: &str) -> Option<Verdict> {
        let a = self.id(action)?;
        // SetDefaultPolicyVersion needs an earlier version that grants more: rolecall sees only
        // the default one.
        let step = |s: Severity| {
            if action == "iam:SetDefaultPolicyVersion" {
                s.lowered()
            } else {
                s
            }
        };
        let customer = |p: &&String| !p.contains(":iam::aws:policy/");
        for p in self.s.role.managed_policy_arns.iter().filter(customer) {
            if let Some((gi, _)) = allows(self.e(), a, p) {
                return v(
                    step(Severity::Critical),
                    format!("can rewrite {p}, which is attached to this role"),
                    Some(gi),
                );
            }
        }
        let ix = self.index?;
        for t in self.assumable() {
            let Some(r) = self.inv.roles.get(t) else {
                continue;
            };
            for p in r.managed_policy_arns.iter().filter(customer) {
                if let Some((gi, _)) = allows(self.e(), a, p) {
                    return v(
                        step(Severity::Critical),
                        format!(
                            "can rewrite {p}, attached to {}, which it can assume",
                            r.arn
                        ),
                        Some(gi),
                    );
                }
            }
        }
        let trust = m
            .required
            .contains(&"iam:UpdateAssumeRolePolicy")
            .then(|| self.id("iam:UpdateAssumeRolePolicy"))
            .flatten();
        let mut best = None;
        for (gi, g) in self.grants_of(a) {
            for p in &g.resources.include {
                let mut any = false;
                for (parn, _) in super::index::matching(ix.policies_in(self.account), p) {
                    if grant_allows(g, a, parn).is_none() {
                        continue;
                    }
                    any = true;
                    if let Some(u) = trust {
                        for &r in ix.attached_to(parn) {
                            let rarn = self.role_arn(r);
                            if allows(self.e(), u, rarn).is_some() {
                                return v(
                                    step(Severity::Critical),
                                    format!("can rewrite {parn}, attached to {rarn}, and that role's trust policy"),
                                    Some(gi),
                                );
                            }
                        }
                    }
                }
                if g.unscoped_for(a) {
                    best = better(
                        best,
                        v(
                            step(self.potential()),
                            format!("can rewrite any customer managed policy of the account ({p}); none is attached to a role it can use today"),
                            Some(gi),
                        ),
                    );
                } else if !any {
                    best = better(
                        best,
                        v(
                            Severity::Medium,
                            format!("can rewrite policies matching {p}, none of which is in the inventory"),
                            Some(gi),
                        ),
                    );
                }
            }
        }
        best
    }

    fn trust_policy(&self) -> Option<Verdict> {
        let a = self.id("iam:UpdateAssumeRolePolicy")?;
        self.index?;
        let mut best = None;
        for (gi, g) in self.grants_of(a) {
            best = better(
                best,
                self.strongest_role_matched(a, gi, g, None, &|t| {
                    format!("can make {t} trust it, then assume it")
                }),
            );
        }
        best
    }

    fn boundary(&self, action: &str) -> Option<Verdict> {
        let a = self.id(action)?;
        let verb = if action.contains("Delete") {
            "remove"
        } else {
            "replace"
        };
        let me = &self.s.role.arn;
        if self.s.role.permissions_boundary_arn.is_some() {
            if let Some((gi, _)) = allows(self.e(), a, me) {
                let held = self.own_boundary_holds_back();
                if held > 0 {
                    return v(
                        Severity::Critical,
                        format!("can {verb} its own permission boundary, which holds back {held} action(s) its policies grant"),
                        Some(gi),
                    );
                }
            }
        }
        for t in self.assumable() {
            let arn = self.role_arn(t);
            if let Some((gi, _)) = allows(self.e(), a, arn) {
                let held = self.others.boundary_holds_back(t);
                if held > 0 {
                    return v(
                        Severity::Critical,
                        format!("can {verb} the permission boundary of {arn}, which it can assume and which holds back {held} action(s)"),
                        Some(gi),
                    );
                }
            }
        }
        None
    }

    fn own_boundary_holds_back(&self) -> usize {
        let mut pp = self.s.resolved.principal_policies();
        pp.boundary = None;
        let without = Analyzer::new(self.cat).effective(&pp);
        without.allowed.difference_len(&self.e().allowed)
    }

    fn remove_deny(&self, action: &str) -> Option<Verdict> {
        let a = self.id(action)?;
        let (gi, _) = allows(self.e(), a, &self.s.role.arn)?;
        let inline = action == "iam:DeleteRolePolicy";
        let identity = &self.s.resolved.identity;
        for (k, p) in identity.iter().enumerate() {
            let is_managed = p.name.starts_with("arn:");
            if is_managed == inline || !p.statements.iter().any(|s| s.effect == Effect::Deny) {
                continue;
            }
            let mut pp = self.s.resolved.principal_policies();
            pp.identity = identity
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != k)
                .map(|(_, p)| p.as_ref())
                .collect();
            let without = Analyzer::new(self.cat).effective(&pp);
            let gained = without.allowed.difference_len(&self.e().allowed);
            if gained > 0 {
                return v(
                    Severity::Critical,
                    format!(
                        "can {} {}, whose Deny holds back {gained} action(s)",
                        if inline {
                            "delete its inline policy"
                        } else {
                            "detach"
                        },
                        p.name
                    ),
                    Some(gi),
                );
            }
        }
        None
    }

    fn users(&self, m: &Method, action: &str) -> Option<Verdict> {
        let a = self.id(action)?;
        let (gi, g) = self
            .grants_of(a)
            .min_by_key(|(_, g)| (!g.unscoped_for(a), g.is_conditional()))?;
        // The other user actions of the method must reach the same users.
        for other in m.required.iter().filter(|o| **o != action) {
            let Some(o) = self.id(other) else { continue };
            let reach_same = self.grants_of(o).any(|(_, og)| {
                og.resources
                    .include
                    .iter()
                    .any(|op| g.resources.include.iter().any(|p| pattern_overlaps(p, op)))
            });
            if !reach_same {
                return None;
            }
        }
        if g.unscoped_for(a) {
            v(
                Severity::High,
                "any IAM user of the account: rolecall does not inventory users, so administrators among them are assumed".into(),
                Some(gi),
            )
        } else {
            v(
                Severity::Medium,
                format!(
                    "IAM users matching {}: rolecall does not inventory users, whose permissions decide",
                    g.resources.include.join(", ")
                ),
                Some(gi),
            )
        }
    }

    fn function(&self, action: &str) -> Option<Verdict> {
        let a = self.id(action)?;
        let ix = self.index?;
        let mut best = None;
        for (gi, g) in self.grants_of(a) {
            for p in &g.resources.include {
                if !wildcard::has_wildcard(p) && !p.contains("${") {
                    match ix.function_role(p) {
                        None => {
                            if arn_account(p) == Some(self.account) {
                                best = better(
                                    best,
                                    v(
                                        Severity::Medium,
                                        format!("can change {p}, which is not in the inventory"),
                                        Some(gi),
                                    ),
                                );
                            }
                        }
                        Some(Some(t)) if !self.is_self(t) => {
                            if let Some((s, why)) = self.stronger(t) {
                                best = better(
                                    best,
                                    v(s, format!("can change {p}, which runs as {why}"), Some(gi)),
                                );
                            }
                        }
                        Some(_) => {}
                    }
                    continue;
                }
                let found = super::index::matching(ix.powerful_functions_in(self.account), p)
                    .find(|(farn, t)| !self.is_self(*t) && grant_allows(g, a, farn).is_some());
                if let Some((farn, t)) = found {
                    if let Some((s, why)) = self.stronger(*t) {
                        best = better(
                            best,
                            v(
                                s,
                                format!("can change {farn}, which runs as {why}"),
                                Some(gi),
                            ),
                        );
                        continue;
                    }
                }
                if g.unscoped_for(a) {
                    best = better(
                        best,
                        v(
                            self.potential(),
                            format!("can change any function of the account ({p}); none in the inventory runs with a more powerful role today"),
                            Some(gi),
                        ),
                    );
                }
            }
        }
        best
    }

    fn resource(&self, action: &str, kind: &str) -> Option<Verdict> {
        let a = self.id(action)?;
        let (gi, g) = self
            .grants_of(a)
            .min_by_key(|(_, g)| (!g.unscoped_for(a), g.is_conditional()))?;
        if g.unscoped_for(a) {
            v(
                Severity::High,
                format!("any {kind} of the account: rolecall does not inventory them, so the most powerful role one runs with is assumed"),
                Some(gi),
            )
        } else {
            v(
                Severity::Medium,
                format!(
                    "the {kind}s matching {}: rolecall does not inventory them, and their role decides",
                    g.resources.include.join(", ")
                ),
                Some(gi),
            )
        }
    }
}
