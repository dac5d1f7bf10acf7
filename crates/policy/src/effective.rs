//! Effective permissions of a principal: every catalogue action it is allowed, after explicit
//! denies, `NotAction`/`NotResource`, its permission boundary and the SCPs of its account.
//!
//! Actions are held as bitsets over the catalogue, so `Action: "*"` and `NotAction` cost the same
//! as one action, and a policy statement shared by many roles is expanded once (the [`Analyzer`]
//! caches expansions). Each [`Grant`] keeps the statement that grants it, the resources, the
//! conditions that constrain it, the boundary/SCP statements that limit it, and the denies that
//! carve resources out of it, so every finding can cite its evidence.
//!
//! Deny handling: an unconditional deny whose resources cover the grant's removes the actions; a
//! deny limited to some resources or by conditions stays attached to the grant as an
//! [`Exception`] (the action is still granted elsewhere, or when the condition does not hold).

use crate::model::*;
use rolecall_catalog::{wildcard, ActionId, ActionSet, Catalog};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::sync::Arc;

/// Names a statement: policy name, Sid or index, and what kind of policy it is in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct StatementRef {
    pub policy: String,
    pub statement: String,
    pub policy_type: PolicyKind,
}

impl StatementRef {
    pub fn new(p: &Policy, s: &Statement) -> Self {
        StatementRef {
            policy: p.name.clone(),
            statement: s.label(),
            policy_type: p.kind,
        }
    }
}

/// Resource patterns a grant applies to: `include` minus `exclude` (`NotResource` is
/// `include: ["*"]` with the listed patterns excluded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceScope {
    pub include: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

impl ResourceScope {
    pub fn all() -> Self {
        ResourceScope {
            include: vec!["*".into()],
            exclude: vec![],
        }
    }

    pub fn from_match(m: Option<&ResourceMatch>) -> Self {
        match m {
            None => Self::all(),
            Some(ResourceMatch::Resource(v)) => ResourceScope {
                include: v.clone(),
                exclude: vec![],
            },
            Some(ResourceMatch::NotResource(v)) => ResourceScope {
                include: vec!["*".into()],
                exclude: v.clone(),
            },
        }
    }

    /// Every resource, with nothing carved out.
    pub fn is_all(&self) -> bool {
        self.exclude.is_empty() && self.include.iter().any(|p| p == "*")
    }

    /// Includes `*` (possibly minus exclusions): the grant is not scoped to named resources.
    pub fn is_unscoped(&self) -> bool {
        self.include.iter().any(|p| p == "*")
    }

    /// The resources both scopes allow (None when they cannot overlap).
    pub fn intersect(&self, other: &ResourceScope) -> Option<ResourceScope> {
        let mut include: Vec<String> = Vec::new();
        for x in &self.include {
            for y in &other.include {
                let pick = if x == "*" {
                    Some(y)
                } else if y == "*" || wildcard::matches(y, x) {
                    Some(x)
                } else if wildcard::matches(x, y) {
                    Some(y)
                } else if wildcard::has_wildcard(x) && wildcard::has_wildcard(y) {
                    // Two wildcard patterns neither of which contains the other may still
                    // overlap (`a*` and `*b`); keep the grant's own pattern rather than lose it.
                    Some(x)
                } else {
                    None
                };
                if let Some(p) = pick {
                    if !include.contains(p) {
                        include.push(p.clone());
                    }
                }
            }
        }
        if include.is_empty() {
            return None;
        }
        let mut exclude = self.exclude.clone();
        exclude.extend(
            other
                .exclude
                .iter()
                .filter(|e| !self.exclude.contains(e))
                .cloned(),
        );
        // A grant entirely inside an exclusion is gone.
        include.retain(|p| !exclude.iter().any(|e| wildcard::matches(e, p)));
        if include.is_empty() {
            return None;
        }
        Some(ResourceScope { include, exclude })
    }

    /// Does a deny with scope `self` cover every resource of `grant`?
    pub fn covers(&self, grant: &ResourceScope) -> bool {
        let inner_ok = grant.include.iter().all(|p| {
            let included = self
                .include
                .iter()
                .any(|q| q == "*" || wildcard::matches(q, p));
            let excluded = self.exclude.iter().any(|n| overlaps(n, p));
            included && !excluded
        });
        inner_ok && !grant.include.is_empty()
    }

    /// Could the two scopes share a resource?
    pub fn overlaps(&self, other: &ResourceScope) -> bool {
        self.intersect(other).is_some()
    }
}

fn overlaps(a: &str, b: &str) -> bool {
    wildcard::matches(a, b)
        || wildcard::matches(b, a)
        || (wildcard::has_wildcard(a) && wildcard::has_wildcard(b))
}

/// A deny that does not remove the grant outright: it applies to some resources, or only when
/// its conditions hold.
#[derive(Clone, Debug, Serialize)]
pub struct Exception {
    #[serde(skip)]
    pub actions: Arc<ActionSet>,
    pub resources: ResourceScope,
    pub conditional: bool,
    pub source: StatementRef,
}

/// Actions allowed on some resources, under some conditions, by one statement.
#[derive(Clone, Debug, Serialize)]
pub struct Grant {
    #[serde(skip)]
    pub actions: Arc<ActionSet>,
    pub resources: ResourceScope,
    /// Every condition that must hold: the granting statement's, and the boundary's and SCPs'.
    #[serde(serialize_with = "ser_conditions")]
    pub conditions: Vec<Condition>,
    pub source: StatementRef,
    /// The statement's `Action`/`NotAction` patterns as written.
    pub action_patterns: Arc<[String]>,
    /// The statement used `NotAction`.
    pub not_action: bool,
    /// The statement used `NotResource`.
    pub not_resource: bool,
    /// Boundary and SCP statements this grant passed through.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub limited_by: Vec<StatementRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<Exception>,
}

fn ser_conditions<S: serde::Serializer>(c: &[Condition], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(c.iter().map(describe_condition))
}

/// `StringEquals aws:SourceVpc [vpc-1, vpc-2]`
pub fn describe_condition(c: &Condition) -> String {
    format!("{} {} [{}]", c.operator.name, c.key, c.values.join(", "))
}

impl Grant {
    pub fn is_conditional(&self) -> bool {
        !self.conditions.is_empty()
    }

    /// Is the action denied for some resource or condition by an attached exception?
    pub fn has_exception_for(&self, id: ActionId) -> bool {
        self.exceptions.iter().any(|e| e.actions.contains(id))
    }

    /// Is the action denied, whatever the request's conditions, on some of the grant's resources?
    pub fn has_unconditional_exception_for(&self, id: ActionId) -> bool {
        self.exceptions
            .iter()
            .any(|e| !e.conditional && e.actions.contains(id))
    }
}

/// An action named in a policy that the catalogue does not know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnknownAction {
    pub source: StatementRef,
    pub action: String,
    /// `not in the catalogue` (a literal action) or `matches no action` (a pattern).
    pub reason: &'static str,
}

/// What a principal is allowed.
#[derive(Clone, Debug, Serialize)]
pub struct EffectivePermissions {
    pub grants: Vec<Grant>,
    pub unknown_actions: Vec<UnknownAction>,
    /// Union of every grant's actions.
    #[serde(skip)]
    pub allowed: ActionSet,
}

impl EffectivePermissions {
    pub fn is_allowed(&self, id: ActionId) -> bool {
        self.allowed.contains(id)
    }

    pub fn grants_for(&self, id: ActionId) -> impl Iterator<Item = &Grant> {
        self.grants.iter().filter(move |g| g.actions.contains(id))
    }

    /// The grant, if any, that allows the action on every resource with no condition of its own
    /// and no unconditional deny carving resources out. Conditional denies (an SCP's region
    /// guardrail, say) stay listed on the grant but do not make it narrower: outside their
    /// condition the action is allowed everywhere.
    pub fn allowed_everywhere(&self, id: ActionId) -> Option<&Grant> {
        self.grants_for(id).find(|g| {
            g.resources.is_all() && !g.is_conditional() && !g.has_unconditional_exception_for(id)
        })
    }

    /// A grant that is administrator access in all but name: unconditional, on every resource,
    /// covering at least 99% of the catalogue (SCP denies of a few actions do not change that).
    pub fn admin_grant(&self) -> Option<&Grant> {
        let universe = self.allowed.universe();
        self.grants.iter().find(|g| {
            g.resources.is_all()
                && !g.is_conditional()
                && g.actions.len() * 100 >= universe * 99
                && !g.exceptions.iter().any(|e| !e.conditional)
        })
    }

    /// The strongest grant of the action on unscoped resources (`*`): unconditional before
    /// conditional. None when the action is only granted on named resources.
    pub fn unscoped_grant(&self, id: ActionId) -> Option<&Grant> {
        let mut best: Option<&Grant> = None;
        for g in self.grants_for(id).filter(|g| g.resources.is_unscoped()) {
            let rank = |g: &Grant| {
                (
                    g.is_conditional() as u8,
                    g.has_unconditional_exception_for(id) as u8,
                    !g.resources.exclude.is_empty() as u8,
                )
            };
            if best.is_none_or(|b| rank(g) < rank(b)) {
                best = Some(g);
            }
        }
        best
    }

    /// Actions granted on unscoped resources (`*`), with the grants that give them: each action
    /// goes to the strongest grant (unconditional, no resource carve-out, first). Set operations
    /// only, so asking about thousands of actions costs a few bitset passes per grant.
    pub fn unscoped_groups(&self, wanted: &ActionSet) -> Vec<(&Grant, ActionSet)> {
        let mut remaining = wanted.intersection(&self.allowed);
        let mut grants: Vec<&Grant> = self
            .grants
            .iter()
            .filter(|g| g.resources.is_unscoped())
            .collect();
        grants.sort_by_key(|g| {
            (
                g.is_conditional(),
                g.exceptions.iter().any(|e| !e.conditional),
                !g.resources.exclude.is_empty(),
            )
        });
        let mut out = Vec::new();
        for g in grants {
            if remaining.is_empty() {
                break;
            }
            let mine = remaining.intersection(&g.actions);
            if mine.is_empty() {
                continue;
            }
            remaining.subtract(&mine);
            out.push((g, mine));
        }
        out
    }

    /// Actions allowed on every resource by an unconditional grant with no unconditional
    /// carve-out: what [`Self::allowed_everywhere`] answers, for all actions at once.
    pub fn everywhere_set(&self) -> ActionSet {
        let mut s = ActionSet::empty(self.allowed.universe());
        for g in self
            .grants
            .iter()
            .filter(|g| g.resources.is_all() && !g.is_conditional())
        {
            let mut a = (*g.actions).clone();
            for e in g.exceptions.iter().filter(|e| !e.conditional) {
                a.subtract(&e.actions);
            }
            s.union_with(&a);
        }
        s
    }

    /// Actions granted on unscoped resources (`*`), conditionally or not.
    pub fn unscoped_set(&self) -> ActionSet {
        let mut s = ActionSet::empty(self.allowed.universe());
        for g in self.grants.iter().filter(|g| g.resources.is_unscoped()) {
            s.union_with(&g.actions);
        }
        s
    }

    /// How many services the principal can call at least one action of.
    pub fn service_count(&self, catalog: &Catalog) -> usize {
        catalog.count_by_service(&self.allowed).count()
    }
}

/// The policies that bound a principal.
#[derive(Clone, Debug, Default)]
pub struct PrincipalPolicies<'a> {
    pub identity: Vec<&'a Policy>,
    pub boundary: Option<&'a Policy>,
    /// One entry per level of the Organization hierarchy (root, OUs, account).
    pub scp_levels: Vec<Vec<&'a Policy>>,
}

/// A statement with its actions expanded.
struct Expanded<'p> {
    stmt: &'p Statement,
    actions: Arc<ActionSet>,
    resources: ResourceScope,
    source: StatementRef,
}

impl Expanded<'_> {
    fn is_everything(&self) -> bool {
        self.actions.is_full() && self.resources.is_all() && self.stmt.conditions.is_empty()
    }
}

/// Entries each expansion cache holds before it starts again (each entry is a ~2.8 KB bitset).
const CACHE_LIMIT: usize = 4096;

/// A statement's `Action`/`NotAction` expanded, with the patterns the catalogue does not know.
struct StatementActions {
    actions: Arc<ActionSet>,
    unknown: Vec<(String, &'static str)>,
}

/// Computes effective permissions, caching action expansions across principals: a statement
/// shared by many roles (a managed policy's) is expanded once.
pub struct Analyzer<'c> {
    catalog: &'c Catalog,
    patterns: FxHashMap<String, Arc<ActionSet>>,
    statements: FxHashMap<String, Arc<StatementActions>>,
}

impl<'c> Analyzer<'c> {
    pub fn new(catalog: &'c Catalog) -> Self {
        Analyzer {
            catalog,
            patterns: FxHashMap::default(),
            statements: FxHashMap::default(),
        }
    }

    pub fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    /// The catalogue actions one pattern matches (cached).
    pub fn pattern_actions(&mut self, pattern: &str) -> Arc<ActionSet> {
        let lower;
        let key = if pattern.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = pattern.to_ascii_lowercase();
            lower.as_str()
        } else {
            pattern
        };
        if let Some(s) = self.patterns.get(key) {
            return s.clone();
        }
        let set = Arc::new(
            self.catalog
                .expand(key)
                .unwrap_or_else(|| ActionSet::empty(self.catalog.len())),
        );
        self.patterns.insert(key.to_string(), set.clone());
        set
    }

    fn statement(&mut self, m: &ActionMatch) -> Arc<StatementActions> {
        let pats = m.patterns();
        let mut key = String::with_capacity(2 + pats.iter().map(|p| p.len() + 1).sum::<usize>());
        key.push(if m.is_not() { 'N' } else { 'A' });
        for p in pats {
            key.push('\n');
            key.push_str(p);
        }
        if let Some(s) = self.statements.get(&key) {
            return s.clone();
        }
        let mut set = ActionSet::empty(self.catalog.len());
        let mut unknown = Vec::new();
        for p in pats {
            if p == "*" {
                set.fill();
                continue;
            }
            let known = if wildcard::has_wildcard(p) {
                let e = self.pattern_actions(p);
                set.union_with(&e);
                !e.is_empty()
            } else if let Some(id) = self.catalog.lookup(p) {
                set.insert(id);
                true
            } else {
                false
            };
            if !known {
                let reason = if wildcard::has_wildcard(p) {
                    "matches no action"
                } else {
                    "not in the catalogue"
                };
                unknown.push((p.clone(), reason));
            }
        }
        let actions = Arc::new(if m.is_not() { set.complement() } else { set });
        let sa = Arc::new(StatementActions { actions, unknown });
        if self.statements.len() >= CACHE_LIMIT {
            // Inline statements are mostly unique: keep memory bounded on huge estates; shared
            // (managed-policy) statements come straight back.
            self.statements.clear();
        }
        self.statements.insert(key, sa.clone());
        sa
    }

    fn expand<'p>(&mut self, p: &'p Policy, effect: Effect) -> Vec<Expanded<'p>> {
        p.statements
            .iter()
            .filter(|s| s.effect == effect)
            .map(|s| Expanded {
                stmt: s,
                actions: self.statement(&s.action).actions.clone(),
                resources: ResourceScope::from_match(s.resource.as_ref()),
                source: StatementRef::new(p, s),
            })
            .collect()
    }

    /// Effective permissions of a principal bounded by these policies.
    pub fn effective(&mut self, input: &PrincipalPolicies<'_>) -> EffectivePermissions {
        let mut unknown_actions = Vec::new();
        let mut grants = Vec::new();
        for p in &input.identity {
            for s in &p.statements {
                let sa = self.statement(&s.action);
                for (action, reason) in &sa.unknown {
                    unknown_actions.push(UnknownAction {
                        source: StatementRef::new(p, s),
                        action: action.clone(),
                        reason,
                    });
                }
                if s.effect != Effect::Allow || sa.actions.is_empty() {
                    continue;
                }
                grants.push(Grant {
                    actions: sa.actions.clone(),
                    action_patterns: s.action.patterns().into(),
                    not_action: s.action.is_not(),
                    not_resource: s.resource.as_ref().is_some_and(|r| r.is_not()),
                    resources: ResourceScope::from_match(s.resource.as_ref()),
                    conditions: s.conditions.clone(),
                    source: StatementRef::new(p, s),
                    limited_by: vec![],
                    exceptions: vec![],
                });
            }
        }
        // Boundary and each SCP level: a grant survives only where they also allow.
        let mut ceilings: Vec<Vec<Expanded<'_>>> = Vec::new();
        if let Some(b) = input.boundary {
            ceilings.push(self.expand(b, Effect::Allow));
        }
        for level in &input.scp_levels {
            let mut allows = Vec::new();
            for p in level {
                allows.extend(self.expand(p, Effect::Allow));
            }
            ceilings.push(allows);
        }
        for ceiling in &ceilings {
            grants = restrict(grants, ceiling);
        }
        // Explicit denies from every policy.
        let mut denies: Vec<Expanded<'_>> = Vec::new();
        for p in input
            .identity
            .iter()
            .chain(input.boundary.iter())
            .chain(input.scp_levels.iter().flatten())
        {
            denies.extend(self.expand(p, Effect::Deny));
        }
        for g in &mut grants {
            for d in &denies {
                apply_deny(g, d);
            }
        }
        grants.retain(|g| !g.actions.is_empty());
        let mut allowed = ActionSet::empty(self.catalog.len());
        for g in &grants {
            allowed.union_with(&g.actions);
        }
        EffectivePermissions {
            grants,
            unknown_actions,
            allowed,
        }
    }
}

fn restrict(grants: Vec<Grant>, ceiling: &[Expanded<'_>]) -> Vec<Grant> {
    let mut out = Vec::with_capacity(grants.len());
    for g in grants {
        if let Some(all) = ceiling.iter().find(|c| c.is_everything()) {
            let mut g = g;
            g.limited_by.push(all.source.clone());
            out.push(g);
            continue;
        }
        for c in ceiling {
            if !g.actions.intersects(&c.actions) {
                continue;
            }
            let Some(resources) = g.resources.intersect(&c.resources) else {
                continue;
            };
            let actions = if g.actions.is_subset(&c.actions) {
                g.actions.clone()
            } else {
                Arc::new(g.actions.intersection(&c.actions))
            };
            let mut conditions = g.conditions.clone();
            conditions.extend(c.stmt.conditions.iter().cloned());
            let mut limited_by = g.limited_by.clone();
            limited_by.push(c.source.clone());
            out.push(Grant {
                actions,
                resources,
                conditions,
                source: g.source.clone(),
                action_patterns: g.action_patterns.clone(),
                not_action: g.not_action,
                not_resource: g.not_resource,
                limited_by,
                exceptions: g.exceptions.clone(),
            });
        }
    }
    out
}

fn apply_deny(g: &mut Grant, d: &Expanded<'_>) {
    if !g.actions.intersects(&d.actions) {
        return;
    }
    let unconditional = d.stmt.conditions.is_empty();
    if unconditional && d.resources.covers(&g.resources) {
        Arc::make_mut(&mut g.actions).subtract(&d.actions);
        return;
    }
    if !d.resources.overlaps(&g.resources) {
        return;
    }
    g.exceptions.push(Exception {
        actions: Arc::new(g.actions.intersection(&d.actions)),
        resources: d.resources.clone(),
        conditional: !unconditional,
        source: d.source.clone(),
    });
}
