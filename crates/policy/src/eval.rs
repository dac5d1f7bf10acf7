//! Request evaluation, following AWS's documented policy evaluation logic (IAM User Guide,
//! "Policy evaluation logic", and "Cross-account policy evaluation logic"):
//!
//! 1. An explicit `Deny` in any policy that applies (identity, session, permission boundary, SCP,
//!    RCP, resource policy) decides `explicit_deny`.
//! 2. RCPs of the resource's account, for services that support RCPs: every level of the
//!    Organization hierarchy must allow. Not for resources of the management account, AWS managed
//!    KMS keys, `kms:RetireGrant`, or calls by service-linked roles.
//! 3. SCPs of the caller's account: every level must allow. Not for the management account, for
//!    service-linked roles, or for callers that are not IAM principals of an account.
//! 4. The resource-based policy, when there is one:
//!    - same account, naming the role session, `*`, a service or a federated principal: `allow`
//!      whatever the identity policies, boundary and session policy say;
//!    - same account, naming an IAM user's ARN: `allow` (a permission boundary's implicit deny does
//!      not limit it);
//!    - same account, naming the role's ARN: `allow` unless the permission boundary or the session
//!      policy fails to allow;
//!    - naming the account (id or `:root`): it delegates to the account's identity policies;
//!    - KMS key policies and role trust policies must allow explicitly: a key policy or trust
//!      policy that does not name the caller (or its account) grants nothing, and an identity
//!      `Allow` does not help;
//!    - across accounts, the resource policy must allow *and* the caller's identity side must.
//! 5. The identity side: an identity `Allow`, within the permission boundary and the session
//!    policy, decides `allow`; otherwise `implicit_deny`.
//!
//! Every answer carries the statements that decided and the steps in words; where the
//! documentation leaves the answer open, a `warning:` line says what rolecall chose.

use crate::condition;
use crate::model::*;
use crate::principal::{Caller, CallerKind, PrincipalFacts};
use crate::Context;
use rolecall_catalog::wildcard;
use serde::Serialize;

/// What is being asked.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// The principal ARN (role, assumed-role session, user, account root, federated user), an
    /// account id, a service principal (`lambda.amazonaws.com`), or `anonymous` for an unsigned
    /// request. None when unknown.
    pub principal: Option<String>,
    pub action: String,
    pub resource: String,
    pub context: Context,
    /// What else is known about the caller (path, tags, Organization, unique id).
    pub principal_facts: PrincipalFacts,
    /// The account that owns the resource, when its ARN does not say (S3 buckets).
    pub resource_account: Option<String>,
    /// The Organization's management account: SCPs do not restrict its principals and RCPs do not
    /// restrict its resources.
    pub management_account: Option<String>,
    /// The resource is an AWS managed KMS key (RCPs do not apply to those).
    pub aws_managed_key: bool,
}

/// The policies that apply to a request.
#[derive(Clone, Debug, Default)]
pub struct PolicySet<'a> {
    pub identity: Vec<&'a Policy>,
    pub boundary: Option<&'a Policy>,
    /// The session policy of a role (or federated user) session.
    pub session: Option<&'a Policy>,
    /// SCPs of the caller's account: one entry per level of the hierarchy; the policies of one
    /// level are ORed.
    pub scp_levels: Vec<Vec<&'a Policy>>,
    /// RCPs of the resource's account, one entry per level.
    pub rcp_levels: Vec<Vec<&'a Policy>>,
    pub resource_policy: Option<&'a Policy>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// A statement that took part in the decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Matched {
    pub policy: String,
    /// Sid, or index in the Statement list.
    pub statement: String,
    pub effect: Effect,
    pub policy_type: PolicyKind,
}

#[derive(Clone, Debug, Serialize)]
pub struct Response {
    pub decision: Decision,
    /// The statements that decided: the denies for `explicit_deny`, the allows for `allow`.
    pub matched: Vec<Matched>,
    /// One line per step of the evaluation logic that decided, in words; lines starting with
    /// `warning:` name an ambiguity of the documentation and what rolecall chose.
    pub reasons: Vec<String>,
    /// The `warning:` lines of `reasons`, on their own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// How a resource policy's `Principal` names the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// The account (id or `:root`): delegation to the account's own policies.
    Account,
    /// The role's ARN: limited by the permission boundary and session policy.
    Entity,
    /// An IAM user's ARN: not limited by the user's permission boundary.
    User,
    /// `*`, the session ARN, a service or federated principal: grants directly.
    Direct,
}

/// Does the statement apply to the request (action, resource, principal and conditions)?
pub fn statement_applies(s: &Statement, version: PolicyVersion, req: &Request) -> bool {
    let caller = Caller::parse(req.principal.as_deref(), &req.principal_facts);
    applies(s, version, req, &req.context, &caller, &mut Vec::new())
}

fn applies(
    s: &Statement,
    version: PolicyVersion,
    req: &Request,
    ctx: &Context,
    caller: &Caller,
    notes: &mut Vec<String>,
) -> bool {
    if !action_matches(&s.action, &req.action) {
        return false;
    }
    if let Some(r) = &s.resource {
        if !resource_matches_noting(r, &req.resource, ctx, version, notes) {
            return false;
        }
    }
    if let Some(p) = &s.principal {
        if principal_match_caller(p, caller).is_none() {
            return false;
        }
    }
    if let Some(np) = &s.not_principal {
        if principal_match_caller(np, caller).is_some() {
            return false;
        }
    }
    condition::all_hold_noting(&s.conditions, ctx, version, notes)
}

pub fn action_matches(m: &ActionMatch, action: &str) -> bool {
    let any = m
        .patterns()
        .iter()
        .any(|p| wildcard::matches_ignore_case(p, action));
    any != m.is_not()
}

pub fn resource_matches(
    m: &ResourceMatch,
    resource: &str,
    ctx: &Context,
    version: PolicyVersion,
) -> bool {
    resource_matches_noting(m, resource, ctx, version, &mut Vec::new())
}

/// The service segment of an ARN pattern, when it holds a wildcard.
fn wildcard_service_segment(p: &str) -> bool {
    p.starts_with("arn:") && p.split(':').nth(2).is_some_and(wildcard::has_wildcard)
}

fn resource_matches_noting(
    m: &ResourceMatch,
    resource: &str,
    ctx: &Context,
    version: PolicyVersion,
    notes: &mut Vec<String>,
) -> bool {
    let any = m.patterns().iter().any(|p| {
        let Some(mut pat) = condition::substitute(p, ctx, version) else {
            return false;
        };
        if p.starts_with("arn:") {
            pat.bind_to_segments();
        }
        let hit = pat.is_match(resource);
        if hit && wildcard_service_segment(p) {
            let n = format!("warning: `{p}` has a wildcard in the service segment, which AWS says an ARN cannot have; rolecall matches it as written");
            if !notes.contains(&n) {
                notes.push(n);
            }
        }
        hit
    });
    any != m.is_not()
}

/// Whether, and how, `Principal` names the caller (given as an ARN, account id or service).
pub fn principal_match(p: &Principals, caller: Option<&str>) -> Option<PrincipalMatch> {
    principal_match_caller(p, &Caller::parse(caller, &PrincipalFacts::default()))
}

fn principal_match_caller(p: &Principals, c: &Caller) -> Option<PrincipalMatch> {
    if p.any || p.aws.iter().any(|a| a == "*") {
        return Some(PrincipalMatch::Direct);
    }
    if c.kind == CallerKind::Anonymous || c.given.is_empty() {
        return None;
    }
    if p.service
        .iter()
        .chain(&p.federated)
        .chain(&p.canonical_user)
        .any(|s| s == &c.given)
    {
        return Some(PrincipalMatch::Direct);
    }
    let account = c.account.as_deref()?;
    let root = format!("arn:{}:iam::{account}:root", c.partition);
    let mut best = None;
    for a in &p.aws {
        let m = if a == account || *a == root {
            Some(PrincipalMatch::Account)
        } else if a == &c.given {
            match c.kind {
                CallerKind::Session | CallerKind::FederatedUser => Some(PrincipalMatch::Direct),
                CallerKind::Root => Some(PrincipalMatch::Account),
                CallerKind::User => Some(PrincipalMatch::User),
                _ => Some(PrincipalMatch::Entity),
            }
        } else if c.is_role_session() {
            let named = Caller::parse(Some(a), &PrincipalFacts::default());
            if named.account.as_deref() == Some(account) && named.name == c.name {
                match named.kind {
                    // A policy naming the role ARN covers every session of the role.
                    CallerKind::Role => Some(PrincipalMatch::Entity),
                    // A session ARN names one session.
                    CallerKind::Session
                        if named.session.is_some() && named.session == c.session =>
                    {
                        Some(PrincipalMatch::Direct)
                    }
                    _ => None,
                }
            } else {
                None
            }
        } else {
            None
        };
        best = best.max(m);
    }
    best
}

/// The parts of a principal ARN the evaluator needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalArn {
    pub partition: String,
    pub account: String,
    pub role_name: Option<String>,
    pub is_session: bool,
    pub is_root: bool,
}

impl PrincipalArn {
    /// Accepts role, user, root and assumed-role session ARNs, and bare account ids.
    pub fn parse(s: &str) -> Option<PrincipalArn> {
        let c = Caller::parse(Some(s), &PrincipalFacts::default());
        if !c.is_iam() {
            return None;
        }
        Some(PrincipalArn {
            partition: c.partition.clone(),
            account: c.account.clone()?,
            role_name: if c.is_role_session() {
                c.name.clone()
            } else {
                None
            },
            is_session: c.kind == CallerKind::Session,
            is_root: c.kind == CallerKind::Root,
        })
    }
}

/// The account an ARN belongs to, when it names one (`arn:aws:s3:::bucket` does not).
pub fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

fn matched(p: &Policy, s: &Statement) -> Matched {
    Matched {
        policy: p.name.clone(),
        statement: s.label(),
        effect: s.effect,
        policy_type: p.kind,
    }
}

/// A request whose resource policy must allow explicitly: KMS keys (key policies) and roles
/// (trust policies), with what the policy is called.
fn must_allow_explicitly(req: &Request, set: &PolicySet<'_>) -> Option<&'static str> {
    let action = req.action.to_ascii_lowercase();
    if set
        .resource_policy
        .is_some_and(|p| p.kind == PolicyKind::Trust)
        || action.starts_with("sts:assumerole")
    {
        return Some("trust policy");
    }
    if action.starts_with("kms:") && req.resource.contains(":key/") {
        return Some("key policy");
    }
    None
}

struct Eval<'r> {
    req: &'r Request,
    ctx: Context,
    caller: Caller,
    notes: Vec<String>,
    reasons: Vec<String>,
}

impl Eval<'_> {
    fn applying(&mut self, p: &Policy, effect: Effect) -> Vec<Matched> {
        let mut out = Vec::new();
        for s in p.statements.iter().filter(|s| s.effect == effect) {
            if applies(
                s,
                p.version,
                self.req,
                &self.ctx,
                &self.caller,
                &mut self.notes,
            ) {
                out.push(matched(p, s));
            }
        }
        out
    }

    fn finish(mut self, decision: Decision, matched: Vec<Matched>, reason: String) -> Response {
        self.reasons.push(reason);
        let mut reasons = self.reasons;
        let warnings: Vec<String> = self
            .notes
            .iter()
            .filter(|n| n.starts_with("warning:"))
            .cloned()
            .collect();
        for n in self.notes {
            if !reasons.contains(&n) {
                reasons.push(n);
            }
        }
        Response {
            decision,
            matched,
            reasons,
            warnings,
        }
    }
}

fn names(ms: &[Matched]) -> String {
    ms.iter()
        .map(|m| format!("{} ({})", m.policy, m.statement))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Evaluates one request against a set of policies.
pub fn evaluate(set: &PolicySet<'_>, req: &Request) -> Response {
    let caller = Caller::parse(req.principal.as_deref(), &req.principal_facts);
    let mut ctx = req.context.clone();
    caller.fill_context(&mut ctx, &req.principal_facts);
    let mut reasons = Vec::new();

    // Whose resource is it? An ARN that names no account (S3) belongs to the account given, else
    // the caller's is assumed.
    let resource_account = match arn_account(&req.resource) {
        Some(a) => Some(a.to_string()),
        None => match (&req.resource_account, &caller.account) {
            (Some(a), _) => Some(a.clone()),
            (None, Some(a)) if req.resource.starts_with("arn:") => {
                reasons.push(format!(
                    "the resource ARN names no account: assumed it is in the caller's account {a} (give the owner with --resource-account)"
                ));
                Some(a.clone())
            }
            _ => None,
        },
    };
    if let Some(a) = &resource_account {
        if !ctx.has("aws:ResourceAccount") {
            ctx.insert("aws:ResourceAccount", a);
        }
    }
    // AWS's own resources (`arn:aws:iam::aws:policy/...`, the AWS managed policies) are in no
    // customer's account and carry no resource policy: whether a principal may read them is
    // its own account's policies' decision (IAM's GetPolicy and GetPolicyVersion work on them
    // with an identity policy alone), not a cross-account request.
    let aws_owned = resource_account.as_deref() == Some("aws");
    let cross_account = match (&caller.account, &resource_account) {
        (Some(p), Some(r)) => p != r && !aws_owned,
        _ => false,
    };
    let service = req
        .action
        .split_once(':')
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    let in_management = |acct: &Option<String>| matches!((acct, &req.management_account), (Some(a), Some(m)) if a == m);

    // Which organization policies apply.
    let scps_apply = !set.scp_levels.is_empty()
        && (caller.is_iam() || caller.kind == CallerKind::Unknown)
        && !caller.is_service_linked()
        && !in_management(&caller.account);
    if !set.scp_levels.is_empty() && !scps_apply {
        reasons.push(
            if caller.is_service_linked() {
                "SCPs do not apply: the caller is a service-linked role"
            } else if in_management(&caller.account) {
                "SCPs do not apply: the caller is in the Organization's management account"
            } else {
                "SCPs do not apply: the caller is not an IAM principal of an account"
            }
            .to_string(),
        );
    }
    let rcp_skip = if set.rcp_levels.is_empty() {
        Some("")
    } else if !rolecall_catalog::catalog().rcp_supported(&service) {
        Some("RCPs do not apply: the service does not support resource control policies")
    } else if in_management(&resource_account) {
        Some("RCPs do not apply: the resource is in the Organization's management account")
    } else if req.aws_managed_key {
        Some("RCPs do not apply: the resource is an AWS managed KMS key")
    } else if req.action.eq_ignore_ascii_case("kms:RetireGrant") {
        Some("RCPs do not apply to kms:RetireGrant")
    } else if caller.is_service_linked() {
        Some("RCPs do not apply: the caller is a service-linked role")
    } else {
        None
    };
    let rcps_apply = rcp_skip.is_none();
    if let Some(why) = rcp_skip.filter(|w| !w.is_empty()) {
        reasons.push(why.to_string());
    }
    let boundary = set.boundary.filter(|_| {
        matches!(
            caller.kind,
            CallerKind::Role | CallerKind::Session | CallerKind::User | CallerKind::Unknown
        )
    });
    let session = set
        .session
        .filter(|_| caller.is_session() || caller.kind == CallerKind::Unknown);

    let mut ev = Eval {
        req,
        ctx,
        caller: caller.clone(),
        notes: Vec::new(),
        reasons,
    };

    // 1. explicit deny anywhere
    let mut all: Vec<&Policy> = set.identity.clone();
    all.extend(boundary);
    all.extend(session);
    if scps_apply {
        all.extend(set.scp_levels.iter().flatten());
    }
    if rcps_apply {
        all.extend(set.rcp_levels.iter().flatten());
    }
    all.extend(set.resource_policy);
    let mut denies = Vec::new();
    for p in &all {
        denies.extend(ev.applying(p, Effect::Deny));
    }
    // A resource policy's Deny with NotPrincipal denies every principal that has a permission
    // boundary, whatever NotPrincipal names (IAM User Guide, "Permissions boundaries").
    if let (Some(rp), Some(_)) = (set.resource_policy, boundary) {
        for s in rp
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Deny && s.not_principal.is_some())
        {
            let mut without = s.clone();
            without.not_principal = None;
            if applies(&without, rp.version, req, &ev.ctx, &caller, &mut ev.notes)
                && !denies
                    .iter()
                    .any(|m: &Matched| m.statement == s.label() && m.policy == rp.name)
            {
                ev.reasons.push("a resource policy Deny with NotPrincipal applies to every principal with a permission boundary, whatever NotPrincipal names".into());
                denies.push(matched(rp, s));
            }
        }
    }
    if !denies.is_empty() {
        let r = format!("explicit Deny in {}", names(&denies));
        return ev.finish(Decision::ExplicitDeny, denies, r);
    }

    let mut allows = Vec::new();
    // 2. RCPs: every level must allow.
    if rcps_apply {
        for (i, level) in set.rcp_levels.iter().enumerate() {
            let mut level_allows = Vec::new();
            for p in level {
                level_allows.extend(ev.applying(p, Effect::Allow));
            }
            if level_allows.is_empty() {
                let n: Vec<&str> = level.iter().map(|p| p.name.as_str()).collect();
                let r = format!(
                    "no Allow in the RCPs of hierarchy level {i} ({}) of the resource's account",
                    n.join(", ")
                );
                return ev.finish(Decision::ImplicitDeny, vec![], r);
            }
            allows.extend(level_allows);
        }
        ev.reasons.push("every RCP level allows".into());
    }
    // 3. SCPs: every level must allow.
    if scps_apply {
        for (i, level) in set.scp_levels.iter().enumerate() {
            let mut level_allows = Vec::new();
            for p in level {
                level_allows.extend(ev.applying(p, Effect::Allow));
            }
            if level_allows.is_empty() {
                let n: Vec<&str> = level.iter().map(|p| p.name.as_str()).collect();
                let r = format!(
                    "no Allow in the SCPs of hierarchy level {i} ({})",
                    n.join(", ")
                );
                return ev.finish(Decision::ImplicitDeny, vec![], r);
            }
            allows.extend(level_allows);
        }
        ev.reasons.push("every SCP level allows".into());
    }

    // The identity side: identity policies within the boundary and the session policy.
    let mut identity_allows = Vec::new();
    if caller.is_iam() || caller.kind == CallerKind::Unknown {
        for p in &set.identity {
            identity_allows.extend(ev.applying(p, Effect::Allow));
        }
    }
    let boundary_allows: Option<Vec<Matched>> = boundary.map(|b| ev.applying(b, Effect::Allow));
    let boundary_ok = boundary_allows.as_ref().is_none_or(|v| !v.is_empty());
    let session_allows: Option<Vec<Matched>> = session.map(|s| ev.applying(s, Effect::Allow));
    let session_ok = session_allows.as_ref().is_none_or(|v| !v.is_empty());
    let identity_ok = !identity_allows.is_empty() && boundary_ok && session_ok;
    let identity_gap = || -> &'static str {
        if !boundary_ok {
            "the permission boundary does not allow the action"
        } else if !session_ok {
            "the session policy does not allow the action"
        } else {
            "no identity-based policy allows the action"
        }
    };
    let with_identity = |mut allows: Vec<Matched>| {
        allows.extend(identity_allows.iter().cloned());
        allows.extend(boundary_allows.iter().flatten().cloned());
        allows.extend(session_allows.iter().flatten().cloned());
        allows
    };

    // 4. the resource-based policy
    let explicit = must_allow_explicitly(req, set);
    let mut rp_best: Option<PrincipalMatch> = None;
    let mut rp_allows = Vec::new();
    if let Some(rp) = set.resource_policy {
        for s in rp.statements.iter().filter(|s| s.effect == Effect::Allow) {
            if !applies(s, rp.version, req, &ev.ctx, &caller, &mut ev.notes) {
                continue;
            }
            let how = match (&s.principal, &s.not_principal) {
                (Some(p), _) => principal_match_caller(p, &caller),
                (None, Some(_)) => Some(PrincipalMatch::Direct),
                _ => None,
            };
            rp_best = rp_best.max(how);
            rp_allows.push(matched(rp, s));
        }
    }
    let policy_name = explicit.unwrap_or("resource policy");

    if matches!(caller.kind, CallerKind::Anonymous | CallerKind::Service) {
        // No identity policies: only the resource policy can grant.
        if rp_best.is_some() {
            allows.extend(rp_allows);
            return ev.finish(
                Decision::Allow,
                allows,
                format!("the {policy_name} allows this principal"),
            );
        }
        let who = if caller.kind == CallerKind::Anonymous {
            "an anonymous caller"
        } else {
            "a service principal"
        };
        let r = if set.resource_policy.is_some() {
            format!("the {policy_name} does not allow {who}")
        } else {
            format!("{who} is allowed only by a resource policy, and there is none")
        };
        return ev.finish(Decision::ImplicitDeny, vec![], r);
    }

    if cross_account {
        if set.resource_policy.is_none() {
            let r = if identity_ok {
                "cross-account request: the identity policies allow, but no resource policy of the other account does".to_string()
            } else {
                "cross-account request with no resource policy allowing it".to_string()
            };
            return ev.finish(Decision::ImplicitDeny, vec![], r);
        }
        if rp_best.is_none() {
            let r = format!("cross-account request: the {policy_name} of the other account does not allow the caller (both it and the caller's identity policies must)");
            return ev.finish(Decision::ImplicitDeny, vec![], r);
        }
        if !identity_ok {
            let r = format!(
                "cross-account request: the {policy_name} allows, but the caller's side does not ({})",
                identity_gap()
            );
            return ev.finish(Decision::ImplicitDeny, vec![], r);
        }
        allows.extend(rp_allows);
        return ev.finish(
            Decision::Allow,
            with_identity(allows),
            format!("cross-account request allowed by both the {policy_name} and the caller's identity policies"),
        );
    }

    // A grant to `*` names no session specifically: the session policy still limits it (IAM User
    // Guide, "Session policies": only a resource policy that references the session itself grants
    // beyond the session policy). The documentation does not say it in so many words: warn.
    if rp_best == Some(PrincipalMatch::Direct) && session.is_some() {
        let star_only = set.resource_policy.is_some_and(|rp| {
            rp.statements
                .iter()
                .filter(|s| s.effect == Effect::Allow)
                .filter(|s| applies(s, rp.version, req, &ev.ctx, &caller, &mut Vec::new()))
                .all(|s| s.principal.as_ref().is_some_and(|p| p.is_wildcard()))
        });
        if star_only {
            ev.notes.push("warning: the resource policy grants to `*` and the caller has a session policy: AWS says a resource policy that references the session itself is not limited by the session policy, and does not say what `*` counts as; rolecall takes `*` as not naming the session, so the session policy limits it".into());
            if !session_ok {
                let r = format!("the {policy_name} grants to `*`, but the session policy does not allow the action");
                return ev.finish(Decision::ImplicitDeny, vec![], r);
            }
        }
    }
    match rp_best {
        Some(PrincipalMatch::Direct) => {
            allows.extend(rp_allows);
            return ev.finish(
                Decision::Allow,
                allows,
                format!("the {policy_name} allows this principal directly (not limited by identity policies, boundary or session policy)"),
            );
        }
        Some(PrincipalMatch::User) => {
            allows.extend(rp_allows);
            return ev.finish(
                Decision::Allow,
                allows,
                format!("the {policy_name} allows the IAM user's ARN (a permission boundary's implicit deny does not limit it)"),
            );
        }
        Some(PrincipalMatch::Entity) if boundary_ok && session_ok => {
            allows.extend(rp_allows);
            allows.extend(boundary_allows.iter().flatten().cloned());
            allows.extend(session_allows.iter().flatten().cloned());
            return ev.finish(
                Decision::Allow,
                allows,
                format!("the {policy_name} allows the role's ARN, and the permission boundary and session policy (if any) allow"),
            );
        }
        Some(PrincipalMatch::Entity) => {
            let r = format!(
                "the {policy_name} allows the role's ARN, but {} (a grant to the role ARN is limited by them)",
                identity_gap()
            );
            return ev.finish(Decision::ImplicitDeny, vec![], r);
        }
        Some(PrincipalMatch::Account) => {
            ev.reasons.push(format!(
                "the {policy_name} names the account: the account's identity policies decide"
            ));
        }
        None => {
            if let Some(kind) = explicit {
                if set.resource_policy.is_some() {
                    let r = format!("the {kind} does not allow this principal or its account, and it must: an identity-based Allow does not help");
                    return ev.finish(Decision::ImplicitDeny, vec![], r);
                }
                if kind == "trust policy" {
                    let r = "a role can be assumed only when its trust policy allows the caller; none was given (--resource-policy)".to_string();
                    return ev.finish(Decision::ImplicitDeny, vec![], r);
                }
                ev.reasons.push("no key policy given: assumed the default key policy, which lets the account's IAM policies decide".into());
                ev.notes.push("warning: the KMS key policy was not given; rolecall assumed the default key policy (it names the account root, so the identity policies decide)".into());
            }
        }
    }

    // 5. identity policies, within the boundary and the session policy
    if !identity_ok {
        let r = identity_gap().to_string();
        return ev.finish(Decision::ImplicitDeny, vec![], r);
    }
    if rp_best == Some(PrincipalMatch::Account) {
        allows.extend(rp_allows);
    }
    if boundary_allows.is_some() {
        ev.reasons.push("the permission boundary allows".into());
    }
    if session_allows.is_some() {
        ev.reasons.push("the session policy allows".into());
    }
    ev.finish(
        Decision::Allow,
        with_identity(allows),
        "an identity-based policy allows".into(),
    )
}
