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
//!
//! Resource types: an action is granted only on resources of its own types (the catalogue's ARN
//! formats). A grant of `ssm:*` on `arn:aws:ssm:*:*:parameter/*` grants the parameter actions and
//! not `ssm:SendCommand`; an action that takes only `*` (`s3:ListAllMyBuckets`) is granted only by
//! a statement whose resources include `*`. Conversely, a pattern that matches every resource of
//! the action's types (`arn:aws:s3:::*` for `s3:GetObject`) is as unscoped as `*`: each grant
//! keeps the set of actions it grants that broadly ([`Grant::unscoped`]).
//!
//! What is known about the principal (its ARN, account, tags, Organization: [`KnownContext`])
//! decides the conditions on those keys once, here: an SCP that denies "unless aws:PrincipalArn is
//! role/ci" does not apply to role/ci and applies unconditionally to every other role; a resource
//! pattern with `${aws:username}` grants a role nothing (a role session has no user name).
//!
//! RCPs of the principal's own account cap what can be done to that account's resources, for
//! the services that support RCPs: their denies become exceptions limited to the account's
//! resources (or remove a grant whose resources are all in the account).

use crate::condition;
use crate::model::*;
use crate::principal::{Caller, PrincipalFacts};
use crate::Context;
use rolecall_catalog::wildcard::{self, Pattern};
use rolecall_catalog::{ActionId, ActionSet, Catalog};
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
                } else if y == "*" || pattern_covers(y, x) {
                    Some(x)
                } else if pattern_covers(x, y) {
                    Some(y)
                } else if pattern_overlaps(x, y) {
                    // Two patterns neither of which contains the other may still overlap (`a*`
                    // and `*b`); keep the grant's own pattern rather than lose it.
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
        include.retain(|p| !exclude.iter().any(|e| pattern_covers(e, p)));
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
                .any(|q| q == "*" || pattern_covers(q, p));
            let excluded = self.exclude.iter().any(|n| pattern_overlaps(n, p));
            included && !excluded
        });
        inner_ok && !grant.include.is_empty()
    }

    /// Could the two scopes share a resource?
    pub fn overlaps(&self, other: &ResourceScope) -> bool {
        self.intersect(other).is_some()
    }
}

/// A resource pattern for comparing scopes: IAM's ARN segment rule, and policy variables
/// (`${aws:PrincipalTag/team}`) as wildcards, since their value is not known here.
fn scope_pattern(p: &str) -> Pattern {
    if !p.contains("${") {
        return Pattern::arn_structural(p);
    }
    let mut text = String::with_capacity(p.len());
    let mut rest = p;
    while let Some(start) = rest.find("${") {
        let (before, after) = rest.split_at(start);
        text.push_str(before);
        match after.find('}') {
            Some(end) => {
                // `${*}`, `${?}` and `${$}` are literal characters; other variables are unknown.
                match after.get(2..end) {
                    Some("*") | Some("?") | Some("$") => text.push('_'),
                    _ => text.push('*'),
                }
                rest = after.get(end + 1..).unwrap_or("");
            }
            None => {
                text.push_str(after);
                rest = "";
            }
        }
    }
    text.push_str(rest);
    Pattern::arn_structural(&text)
}

/// Does resource pattern `outer` match every resource `inner` matches?
pub fn pattern_covers(outer: &str, inner: &str) -> bool {
    outer == "*" || outer == inner || wildcard::covers(&scope_pattern(outer), &scope_pattern(inner))
}

/// Could the two resource patterns match a common resource?
pub fn pattern_overlaps(a: &str, b: &str) -> bool {
    a == "*" || b == "*" || wildcard::overlaps(&scope_pattern(a), &scope_pattern(b))
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
    /// For an RCP: the deny applies to the resources of this account only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// Actions allowed on some resources, under some conditions, by one statement.
#[derive(Clone, Debug, Serialize)]
pub struct Grant {
    #[serde(skip)]
    pub actions: Arc<ActionSet>,
    /// The actions this grant allows on every resource of their types: all of them when the
    /// resources include `*`, else those whose every resource type a pattern covers
    /// (`arn:aws:s3:::*` for the object actions).
    #[serde(skip)]
    pub unscoped: Arc<ActionSet>,
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

    /// Does the grant allow the action on every resource of its types (`*`, or a pattern as
    /// broad as the action's ARN formats)?
    pub fn unscoped_for(&self, id: ActionId) -> bool {
        self.unscoped.contains(id)
    }

    /// The grant allows every resource with nothing carved out, for this action.
    fn everywhere_for(&self, id: ActionId) -> bool {
        self.resources.exclude.is_empty() && self.unscoped.contains(id)
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
    /// The catalogue's IAM actions: administrator access includes IAM itself.
    #[serde(skip)]
    pub iam: std::ops::Range<u32>,
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
            g.everywhere_for(id) && !g.is_conditional() && !g.has_unconditional_exception_for(id)
        })
    }

    /// A grant that is administrator access in all but name: unconditional, on every resource,
    /// covering at least 99% of the catalogue (SCP denies of a few actions do not change that)
    /// and at least 90% of IAM's actions (`NotAction: iam:*` leaves the account's identities
    /// alone: that is LR104's broad NotAction grant, not administrator access).
    pub fn admin_grant(&self) -> Option<&Grant> {
        let universe = self.allowed.universe();
        let iam = self.iam.len();
        self.grants.iter().find(|g| {
            g.resources.is_all()
                && !g.is_conditional()
                && g.actions.len() * 100 >= universe * 99
                && g.actions.count_in_range(self.iam.clone()) * 10 >= iam * 9
                && !g.exceptions.iter().any(|e| !e.conditional)
        })
    }

    /// The strongest grant of the action on unscoped resources (`*`): unconditional before
    /// conditional. None when the action is only granted on named resources.
    pub fn unscoped_grant(&self, id: ActionId) -> Option<&Grant> {
        let mut best: Option<&Grant> = None;
        for g in self.grants_for(id).filter(|g| g.unscoped_for(id)) {
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
            .filter(|g| !g.unscoped.is_empty())
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
            let mine = remaining.intersection(&g.unscoped);
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
            .filter(|g| g.resources.exclude.is_empty() && !g.is_conditional())
        {
            let mut a = (*g.unscoped).clone();
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
        for g in &self.grants {
            s.union_with(&g.unscoped);
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
    /// RCPs of the principal's own account (they cap what can be done to its resources).
    pub rcp_levels: Vec<Vec<&'a Policy>>,
    /// What is known about the principal: conditions on these keys are decided once.
    pub known: Option<KnownContext>,
}

/// The condition keys whose values are known for a principal, whatever the request: its ARN,
/// account and type, its tags (when the source had them: an absent tag is then known absent) and
/// its Organization (when known).
#[derive(Clone, Debug, Default)]
pub struct KnownContext {
    /// The principal's account.
    pub account: Option<String>,
    ctx: Context,
    /// Lower-cased keys whose value (or absence) is known.
    keys: Vec<String>,
    tags_known: bool,
}

impl KnownContext {
    /// The known keys of a role's sessions.
    pub fn for_role(role_arn: &str, facts: &PrincipalFacts) -> KnownContext {
        let caller = Caller::parse(Some(role_arn), facts);
        let mut ctx = Context::new();
        caller.fill_context(&mut ctx, facts);
        let mut keys: Vec<String> = [
            "aws:principalarn",
            "aws:principalaccount",
            "aws:principaltype",
            "aws:principalisawsservice",
            "aws:principalservicename",
            "aws:username",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if facts.org_id.is_some() {
            keys.push("aws:principalorgid".into());
        }
        if !facts.org_paths.is_empty() {
            keys.push("aws:principalorgpaths".into());
        }
        KnownContext {
            account: caller.account.clone(),
            ctx,
            keys,
            tags_known: facts.tags.is_some(),
        }
    }

    fn knows(&self, key: &str) -> bool {
        let k = key.to_ascii_lowercase();
        self.keys.contains(&k) || (self.tags_known && k.starts_with("aws:principaltag/"))
    }

    /// Are all the variables of a value known (`${aws:PrincipalTag/team}`)?
    fn knows_variables(&self, value: &str) -> bool {
        let mut rest = value;
        while let Some(start) = rest.find("${") {
            let after = rest.get(start + 2..).unwrap_or("");
            let Some(end) = after.find('}') else {
                return true;
            };
            let var = after.get(..end).unwrap_or("");
            let key = var.split(',').next().unwrap_or("").trim();
            if !matches!(key, "*" | "?" | "$") && !self.knows(key) {
                return false;
            }
            rest = after.get(end + 1..).unwrap_or("");
        }
        true
    }

    /// The conditions left once the known keys are decided: None when a known condition is
    /// false (the statement never applies to this principal).
    pub fn specialise(
        &self,
        conds: &[Condition],
        version: PolicyVersion,
    ) -> Option<Vec<Condition>> {
        let mut left = Vec::new();
        for c in conds {
            if self.knows(&c.key) && c.values.iter().all(|v| self.knows_variables(v)) {
                if !condition::holds(c, &self.ctx, version) {
                    return None;
                }
            } else {
                left.push(c.clone());
            }
        }
        Some(left)
    }

    /// A resource pattern with the known variables substituted: None when a variable is known to
    /// have no value (`${aws:username}` for a role), so the pattern matches nothing.
    pub fn resolve_pattern(&self, pattern: &str, version: PolicyVersion) -> Option<String> {
        if !pattern.contains("${") || version == PolicyVersion::V2008 {
            return Some(pattern.to_string());
        }
        let mut out = String::with_capacity(pattern.len());
        let mut rest = pattern;
        while let Some(start) = rest.find("${") {
            let (before, after) = rest.split_at(start);
            out.push_str(before);
            let Some(end) = after.find('}') else {
                out.push_str(after);
                return Some(out);
            };
            let var = after.get(2..end).unwrap_or("");
            let whole = after.get(..=end).unwrap_or("");
            rest = after.get(end + 1..).unwrap_or("");
            let (key, default) = match var.split_once(',') {
                Some((k, d)) => (k.trim(), Some(d.trim().trim_matches('\'').to_string())),
                None => (var.trim(), None),
            };
            if matches!(key, "*" | "?" | "$") || !self.knows(key) {
                out.push_str(whole);
                continue;
            }
            match self
                .ctx
                .get(key)
                .and_then(|v| v.first())
                .cloned()
                .or(default)
            {
                // A known value goes in literally (wildcards in it are characters: `${*}`).
                Some(v) => {
                    for ch in v.chars() {
                        match ch {
                            '*' => out.push_str("${*}"),
                            '?' => out.push_str("${?}"),
                            '$' => out.push_str("${$}"),
                            c => out.push(c),
                        }
                    }
                }
                None => return None,
            }
        }
        out.push_str(rest);
        Some(out)
    }
}

/// A statement with its actions expanded and the principal's known conditions decided.
struct Expanded {
    /// Index of the statement in its policy.
    index: usize,
    actions: Arc<ActionSet>,
    resources: ResourceScope,
    conditions: Vec<Condition>,
    source: StatementRef,
}

impl Expanded {
    fn is_everything(&self) -> bool {
        self.actions.is_full() && self.resources.is_all() && self.conditions.is_empty()
    }
}

/// For each resource type of a service: does a pattern overlap it, and does it cover it?
type TypeFit = Arc<[(bool, bool)]>;

/// Over one service's actions: the granted ones, and those granted on every resource of their
/// types (bitsets indexed from the service's first action).
type ServiceFit = Arc<(Vec<u64>, Vec<u64>)>;

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
    /// (resource pattern, service) → for each resource type of the service: does the pattern
    /// overlap it, and does it cover it?
    resource_types: FxHashMap<String, FxHashMap<u16, TypeFit>>,
    /// (service, what the patterns do to each of its types) → actions granted, and unscoped.
    service_fits: FxHashMap<(u16, Vec<u8>), ServiceFit>,
    /// (service, resource type) → the type's pattern in each partition asked about (a few).
    own_partition: FxHashMap<(u16, u16), Vec<(String, Pattern)>>,
    /// Actions of the services RCPs apply to.
    rcp_mask: Option<ActionSet>,
}

impl<'c> Analyzer<'c> {
    pub fn new(catalog: &'c Catalog) -> Self {
        Analyzer {
            catalog,
            patterns: FxHashMap::default(),
            statements: FxHashMap::default(),
            resource_types: FxHashMap::default(),
            own_partition: FxHashMap::default(),
            service_fits: FxHashMap::default(),
            rcp_mask: None,
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

    fn expand(
        &mut self,
        p: &Policy,
        effect: Effect,
        known: Option<&KnownContext>,
    ) -> Vec<Expanded> {
        let mut out = Vec::new();
        for s in p.statements.iter().filter(|s| s.effect == effect) {
            let conditions = match known {
                Some(k) => match k.specialise(&s.conditions, p.version) {
                    Some(c) => c,
                    None => continue, // a known condition is false: the statement never applies
                },
                None => s.conditions.clone(),
            };
            let mut resources = ResourceScope::from_match(s.resource.as_ref());
            if let Some(k) = known {
                resources.include = resources
                    .include
                    .iter()
                    .filter_map(|r| k.resolve_pattern(r, p.version))
                    .collect();
                resources.exclude = resources
                    .exclude
                    .iter()
                    .filter_map(|r| k.resolve_pattern(r, p.version))
                    .collect();
                if resources.include.is_empty() {
                    continue;
                }
            }
            out.push(Expanded {
                index: s.index,
                actions: self.statement(&s.action).actions.clone(),
                resources,
                conditions,
                source: StatementRef::new(p, s),
            });
        }
        out
    }

    /// Per resource type of the service: does the pattern overlap it, does it cover it?
    fn resource_type_fit(&mut self, pattern: &str, service: u16) -> TypeFit {
        if let Some(v) = self
            .resource_types
            .get(pattern)
            .and_then(|m| m.get(&service))
        {
            return v.clone();
        }
        let pat = scope_pattern(pattern);
        fn segment(text: &str, n: usize) -> Option<&str> {
            let seg = text.strip_prefix("arn:")?.split(':').nth(n)?;
            (!seg.is_empty() && !seg.contains(['*', '?', '$'])).then_some(seg)
        }
        // The formats say `${Partition}`: a pattern naming one partition covers its own.
        let partition = segment(pattern, 0);
        // A literal service namespace that differs from the type's cannot overlap it.
        let namespace = segment(pattern, 1);
        let fits: TypeFit = match self.catalog.services.get(service as usize) {
            Some(svc) => svc
                .resource_types
                .iter()
                .enumerate()
                .map(|(i, rt)| {
                    if let (Some(ns), Some(rt_ns)) = (namespace, segment(rt.arn_format, 1)) {
                        if ns != rt_ns {
                            return (false, false);
                        }
                    }
                    let overlap = wildcard::overlaps(&pat, &rt.pattern);
                    let cover = overlap
                        && match partition {
                            Some(part) => {
                                let known =
                                    self.own_partition.entry((service, i as u16)).or_default();
                                let at = match known.iter().position(|(p, _)| p == part) {
                                    Some(at) => at,
                                    None => {
                                        let text = rt.pattern.to_text();
                                        let own = Pattern::arn_structural(&text.replacen(
                                            "arn:*:",
                                            &format!("arn:{part}:"),
                                            1,
                                        ));
                                        known.push((part.to_string(), own));
                                        known.len() - 1
                                    }
                                };
                                known
                                    .get(at)
                                    .is_some_and(|(_, own)| wildcard::covers(&pat, own))
                            }
                            None => wildcard::covers(&pat, &rt.pattern),
                        };
                    (overlap, cover)
                })
                .collect(),
            None => Arc::from(Vec::new()),
        };
        if self.resource_types.len() >= CACHE_LIMIT * 4 {
            self.resource_types.clear();
        }
        self.resource_types
            .entry(pattern.to_string())
            .or_default()
            .insert(service, fits.clone());
        fits
    }

    /// For one service and what patterns do to each of its resource types (bit 0: overlap, bit
    /// 1: cover): the actions granted and those granted on every resource of their types, as
    /// bitsets over the service's range. An action is granted when a pattern can name a resource
    /// of one of its types; as broad as `*` when a pattern covers a whole type and every required
    /// type.
    fn service_fit(&mut self, sid: u16, combined: Vec<u8>) -> ServiceFit {
        let key = (sid, combined);
        if let Some(v) = self.service_fits.get(&key) {
            return v.clone();
        }
        let cat = self.catalog;
        let (mut allowed, mut unscoped) = (Vec::new(), Vec::new());
        if let Some(svc) = cat.services.get(sid as usize) {
            let n = (svc.actions.end - svc.actions.start) as usize;
            allowed = vec![0u64; n.div_ceil(64)];
            unscoped = vec![0u64; n.div_ceil(64)];
            for id in svc.actions.clone() {
                let mut any_overlap = false;
                let mut any_covered = false;
                let mut required_covered = true;
                for (rt, required) in cat.resource_type_indexes(id) {
                    let f = key.1.get(rt).copied().unwrap_or(0);
                    any_overlap |= f & 1 == 1;
                    let cover = f & 2 == 2;
                    any_covered |= cover;
                    if required {
                        required_covered &= cover;
                    }
                }
                let bit = (id - svc.actions.start) as usize;
                if any_overlap {
                    if let Some(w) = allowed.get_mut(bit / 64) {
                        *w |= 1 << (bit % 64);
                    }
                    if any_covered && required_covered {
                        if let Some(w) = unscoped.get_mut(bit / 64) {
                            *w |= 1 << (bit % 64);
                        }
                    }
                }
            }
        }
        let v = Arc::new((allowed, unscoped));
        if self.service_fits.len() >= CACHE_LIMIT {
            self.service_fits.clear();
        }
        self.service_fits.insert(key, v.clone());
        v
    }

    /// Narrows a grant to the actions whose resource types its resources can name, and works out
    /// which of them it grants on every resource of their types.
    fn scope_to_resource_types(&mut self, g: &mut Grant) {
        if g.resources.is_unscoped() {
            g.unscoped = g.actions.clone();
            return;
        }
        let cat = self.catalog;
        let mut allowed = ActionSet::empty(cat.len());
        let mut unscoped = ActionSet::empty(cat.len());
        let include = g.resources.include.clone();
        // The services the grant has actions of, from its members (a few actions, usually).
        let mut services: Vec<u16> = Vec::new();
        if g.actions.len() * 8 < cat.services.len() {
            for id in g.actions.iter() {
                if let Some(a) = cat.action(id) {
                    if services.last() != Some(&a.service) && !services.contains(&a.service) {
                        services.push(a.service);
                    }
                }
            }
            services.sort_unstable();
        } else {
            services = (0..cat.services.len() as u16)
                .filter(|&i| {
                    cat.services
                        .get(i as usize)
                        .is_some_and(|svc| g.actions.count_in_range(svc.actions.clone()) > 0)
                })
                .collect();
        }
        for sid in services {
            let Some(svc) = cat.services.get(sid as usize) else {
                continue;
            };
            let fits: Vec<TypeFit> = include
                .iter()
                .map(|p| self.resource_type_fit(p, sid))
                .collect();
            // What the patterns do to each resource type of the service, together: many roles'
            // patterns differ in names only and land on the same answer, computed once.
            let combined: Vec<u8> = (0..svc.resource_types.len())
                .map(|rt| {
                    let o = fits.iter().any(|f| f.get(rt).is_some_and(|x| x.0));
                    let c = fits.iter().any(|f| f.get(rt).is_some_and(|x| x.1));
                    u8::from(o) | (u8::from(c) << 1)
                })
                .collect();
            let per_service = self.service_fit(sid, combined);
            let base = svc.actions.start;
            for id in svc.actions.clone() {
                if !g.actions.contains(id) {
                    continue;
                }
                let bit = (id - base) as usize;
                let test = |words: &[u64]| {
                    words
                        .get(bit / 64)
                        .is_some_and(|w| w >> (bit % 64) & 1 == 1)
                };
                if test(&per_service.0) {
                    allowed.insert(id);
                    if test(&per_service.1) {
                        unscoped.insert(id);
                    }
                }
            }
        }
        if allowed.len() != g.actions.len() {
            g.actions = Arc::new(allowed);
        }
        g.unscoped = Arc::new(unscoped);
    }

    fn rcp_mask(&mut self) -> &ActionSet {
        let cat = self.catalog;
        self.rcp_mask.get_or_insert_with(|| {
            let mut m = ActionSet::empty(cat.len());
            for s in &cat.services {
                if cat.rcp_supported(s.prefix) {
                    m.insert_range(s.actions.clone());
                }
            }
            // RCPs do not apply to kms:RetireGrant (AWS Organizations User Guide, RCPs).
            if let Some(id) = cat.lookup("kms:RetireGrant") {
                m.remove(id);
            }
            m
        })
    }

    /// Effective permissions of a principal bounded by these policies.
    pub fn effective(&mut self, input: &PrincipalPolicies<'_>) -> EffectivePermissions {
        let known = input.known.as_ref();
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
            }
            for x in self.expand(p, Effect::Allow, known) {
                if x.actions.is_empty() {
                    continue;
                }
                let stmt = p.statements.iter().find(|s| s.index == x.index);
                grants.push(Grant {
                    actions: x.actions.clone(),
                    unscoped: x.actions,
                    action_patterns: stmt
                        .map(|s| s.action.patterns().into())
                        .unwrap_or_else(|| Arc::from(Vec::new())),
                    not_action: stmt.is_some_and(|s| s.action.is_not()),
                    not_resource: stmt
                        .and_then(|s| s.resource.as_ref())
                        .is_some_and(|r| r.is_not()),
                    resources: x.resources,
                    conditions: x.conditions,
                    source: x.source,
                    limited_by: vec![],
                    exceptions: vec![],
                });
            }
        }
        // Boundary and each SCP level: a grant survives only where they also allow.
        let mut ceilings: Vec<Vec<Expanded>> = Vec::new();
        if let Some(b) = input.boundary {
            ceilings.push(self.expand(b, Effect::Allow, known));
        }
        for level in &input.scp_levels {
            let mut allows = Vec::new();
            for p in level {
                allows.extend(self.expand(p, Effect::Allow, known));
            }
            ceilings.push(allows);
        }
        for ceiling in &ceilings {
            grants = restrict(grants, ceiling);
        }
        // RCP levels cap the actions of the services they apply to (only RCPFullAWSAccess may
        // allow, so in practice they pass everything; a level without it passes nothing).
        if !input.rcp_levels.is_empty() {
            let mask = self.rcp_mask().clone();
            for level in &input.rcp_levels {
                let mut passed = mask.complement();
                for p in level {
                    for x in self.expand(p, Effect::Allow, known) {
                        if x.resources.is_all() && x.conditions.is_empty() {
                            passed.union_with(&x.actions);
                        }
                    }
                }
                for g in &mut grants {
                    if !g.actions.is_subset(&passed) {
                        Arc::make_mut(&mut g.actions).intersect_with(&passed);
                    }
                }
            }
        }
        // Each grant holds only the actions its resources can name.
        for g in &mut grants {
            self.scope_to_resource_types(g);
        }
        // Explicit denies from every policy.
        let mut denies: Vec<Expanded> = Vec::new();
        for p in input
            .identity
            .iter()
            .chain(input.boundary.iter())
            .chain(input.scp_levels.iter().flatten())
        {
            denies.extend(self.expand(p, Effect::Deny, known));
        }
        for g in &mut grants {
            for d in &denies {
                apply_deny(g, d, None);
            }
        }
        // RCP denies: for the services RCPs apply to, on the resources of the principal's account.
        if !input.rcp_levels.is_empty() {
            let mask = self.rcp_mask().clone();
            let account = known.and_then(|k| k.account.clone());
            let mut rcp_denies = Vec::new();
            for p in input.rcp_levels.iter().flatten() {
                for mut x in self.expand(p, Effect::Deny, known) {
                    // Conditions on the resource's account are known here: it is the principal's.
                    if let Some(a) = &account {
                        let mut ctx = Context::new();
                        ctx.insert("aws:ResourceAccount", a);
                        let mut keep = true;
                        x.conditions.retain(|c| {
                            if c.key.eq_ignore_ascii_case("aws:ResourceAccount") {
                                keep &= condition::holds(c, &ctx, PolicyVersion::V2012);
                                false
                            } else {
                                true
                            }
                        });
                        if !keep {
                            continue;
                        }
                    }
                    let actions = x.actions.intersection(&mask);
                    if actions.is_empty() {
                        continue;
                    }
                    x.actions = Arc::new(actions);
                    rcp_denies.push(x);
                }
            }
            for g in &mut grants {
                for d in &rcp_denies {
                    apply_deny(g, d, account.as_deref().or(Some("")));
                }
            }
        }
        for g in &mut grants {
            if !g.unscoped.is_subset(&g.actions) {
                let u = g.unscoped.intersection(&g.actions);
                g.unscoped = Arc::new(u);
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
            iam: self
                .catalog
                .service("iam")
                .map(|s| s.actions.clone())
                .unwrap_or(0..0),
        }
    }
}

fn restrict(grants: Vec<Grant>, ceiling: &[Expanded]) -> Vec<Grant> {
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
            conditions.extend(c.conditions.iter().cloned());
            let mut limited_by = g.limited_by.clone();
            limited_by.push(c.source.clone());
            out.push(Grant {
                unscoped: actions.clone(),
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

/// Applies a deny to a grant. `account`: the deny is an RCP's, limited to the resources of that
/// account (empty when the account is not known).
fn apply_deny(g: &mut Grant, d: &Expanded, account: Option<&str>) {
    if !g.actions.intersects(&d.actions) {
        return;
    }
    let unconditional = d.conditions.is_empty();
    // An RCP's deny removes the grant only when every resource the grant names is in the account.
    let within_account = match account {
        None => true,
        Some("") => false,
        Some(a) => g.resources.include.iter().all(|p| {
            let acct = p.split(':').nth(4);
            acct == Some(a) || (p.starts_with("arn:") && acct == Some("") && p.contains(":s3:::"))
        }),
    };
    if unconditional && within_account && d.resources.covers(&g.resources) {
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
        account: account.filter(|a| !a.is_empty()).map(str::to_string),
    });
}
