//! Request evaluation, following AWS's documented policy evaluation logic:
//!
//! 1. An explicit `Deny` in any applicable policy (SCP, resource policy, identity policy,
//!    permission boundary) decides `explicit_deny`.
//! 2. SCPs: every level of the Organization hierarchy (root, each OU, the account) must have an
//!    `Allow` that applies; otherwise `implicit_deny`.
//! 3. A resource-based policy in the same account that allows the principal:
//!    - naming the role session (or `*`): `allow`, whatever the identity policies and boundary say;
//!    - naming the role ARN: `allow` unless the permission boundary fails to allow it;
//!    - naming the account: only delegates; identity policies must allow.
//!
//!    Across accounts, the resource policy and the identity side must both allow.
//! 4. A permission boundary that does not allow the request: `implicit_deny`.
//! 5. An identity-based `Allow`: `allow`; otherwise `implicit_deny`.

use crate::condition;
use crate::model::*;
use crate::Context;
use rolecall_catalog::wildcard;
use serde::Serialize;

/// What is being asked.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// The principal ARN (role, assumed-role session, user, account root) or a service principal
    /// (`lambda.amazonaws.com`). None when unknown.
    pub principal: Option<String>,
    pub action: String,
    pub resource: String,
    pub context: Context,
}

/// The policies that apply to a request.
#[derive(Clone, Debug, Default)]
pub struct PolicySet<'a> {
    pub identity: Vec<&'a Policy>,
    pub boundary: Option<&'a Policy>,
    /// One entry per level of the hierarchy; the policies of one level are ORed.
    pub scp_levels: Vec<Vec<&'a Policy>>,
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
    /// One line per step of the evaluation logic that decided, in words.
    pub reasons: Vec<String>,
}

/// How a resource policy's `Principal` names the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// The account (id or `:root`): delegation to the account's own policies.
    Account,
    /// The role (or user) ARN: limited by the permission boundary.
    Entity,
    /// `*`, the session ARN, a service or federated principal: grants directly.
    Direct,
}

/// Does the statement apply to the request (action, resource, principal and conditions)?
pub fn statement_applies(s: &Statement, version: PolicyVersion, req: &Request) -> bool {
    if !action_matches(&s.action, &req.action) {
        return false;
    }
    if let Some(r) = &s.resource {
        if !resource_matches(r, &req.resource, &req.context, version) {
            return false;
        }
    }
    if let Some(p) = &s.principal {
        if principal_match(p, req.principal.as_deref()).is_none() {
            return false;
        }
    }
    if let Some(np) = &s.not_principal {
        if principal_match(np, req.principal.as_deref()).is_some() {
            return false;
        }
    }
    condition::all_hold(&s.conditions, &req.context, version)
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
    let any = m
        .patterns()
        .iter()
        .any(|p| match condition::substitute(p, ctx, version) {
            Some(pat) => pat.is_match(resource),
            None => false,
        });
    any != m.is_not()
}

/// Whether, and how, `Principal` names the caller.
pub fn principal_match(p: &Principals, caller: Option<&str>) -> Option<PrincipalMatch> {
    if p.any {
        return Some(PrincipalMatch::Direct);
    }
    if p.aws.iter().any(|a| a == "*") {
        return Some(PrincipalMatch::Direct);
    }
    let caller = caller?;
    if p.service
        .iter()
        .chain(&p.federated)
        .chain(&p.canonical_user)
        .any(|s| s == caller)
    {
        return Some(PrincipalMatch::Direct);
    }
    let c = PrincipalArn::parse(caller)?;
    let mut best = None;
    for a in &p.aws {
        let m = if a == caller {
            if c.is_session {
                Some(PrincipalMatch::Direct)
            } else if c.is_root {
                Some(PrincipalMatch::Account)
            } else {
                Some(PrincipalMatch::Entity)
            }
        } else if a == &c.account || *a == format!("arn:{}:iam::{}:root", c.partition, c.account) {
            Some(PrincipalMatch::Account)
        } else if let Some(role) = &c.role_name {
            // A policy naming the role ARN matches the role's sessions too.
            PrincipalArn::parse(a)
                .filter(|p| {
                    !p.is_session && p.account == c.account && p.role_name.as_deref() == Some(role)
                })
                .map(|_| PrincipalMatch::Entity)
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
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Some(PrincipalArn {
                partition: "aws".into(),
                account: s.into(),
                role_name: None,
                is_session: false,
                is_root: true,
            });
        }
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let [arn, partition, service, _region, account, resource] = parts.as_slice() else {
            return None;
        };
        if *arn != "arn" {
            return None;
        }
        let (role_name, is_session, is_root) = match *service {
            "iam" if *resource == "root" => (None, false, true),
            "iam" if resource.starts_with("role/") => (
                resource.rsplit('/').next().map(str::to_string),
                false,
                false,
            ),
            "sts" if resource.starts_with("assumed-role/") => {
                let mut it = resource.splitn(3, '/');
                it.next();
                (it.next().map(str::to_string), true, false)
            }
            "iam" | "sts" => (None, false, false),
            _ => return None,
        };
        Some(PrincipalArn {
            partition: partition.to_string(),
            account: account.to_string(),
            role_name,
            is_session,
            is_root,
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

/// Evaluates one request against a set of policies.
pub fn evaluate(set: &PolicySet<'_>, req: &Request) -> Response {
    let mut req = req.clone();
    if let Some(p) = &req.principal {
        if req.context.get("aws:PrincipalArn").is_none() {
            req.context.insert("aws:PrincipalArn", p);
        }
        if let Some(a) = PrincipalArn::parse(p) {
            if req.context.get("aws:PrincipalAccount").is_none() {
                req.context.insert("aws:PrincipalAccount", &a.account);
            }
        }
    }
    let req = &req;
    let applying = |p: &Policy, effect: Effect| -> Vec<Matched> {
        p.statements
            .iter()
            .filter(|s| s.effect == effect && statement_applies(s, p.version, req))
            .map(|s| matched(p, s))
            .collect()
    };
    let mut all: Vec<&Policy> = set.identity.clone();
    all.extend(set.boundary);
    all.extend(set.scp_levels.iter().flatten());
    all.extend(set.resource_policy);

    // 1. explicit deny anywhere
    let denies: Vec<Matched> = all.iter().flat_map(|p| applying(p, Effect::Deny)).collect();
    if !denies.is_empty() {
        let reason = format!(
            "explicit Deny in {}",
            denies
                .iter()
                .map(|m| format!("{} ({})", m.policy, m.statement))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Response {
            decision: Decision::ExplicitDeny,
            matched: denies,
            reasons: vec![reason],
        };
    }
    let mut allows = Vec::new();
    let mut reasons = Vec::new();
    // 2. every SCP level must allow
    for (i, level) in set.scp_levels.iter().enumerate() {
        let level_allows: Vec<Matched> = level
            .iter()
            .flat_map(|p| applying(p, Effect::Allow))
            .collect();
        if level_allows.is_empty() {
            let names: Vec<&str> = level.iter().map(|p| p.name.as_str()).collect();
            return Response {
                decision: Decision::ImplicitDeny,
                matched: vec![],
                reasons: vec![format!(
                    "no Allow in the SCPs of hierarchy level {i} ({})",
                    names.join(", ")
                )],
            };
        }
        allows.extend(level_allows);
    }
    if !set.scp_levels.is_empty() {
        reasons.push("every SCP level allows".to_string());
    }
    let boundary_allows: Option<Vec<Matched>> = set.boundary.map(|b| applying(b, Effect::Allow));
    let boundary_ok = boundary_allows.as_ref().is_none_or(|v| !v.is_empty());
    let identity_allows: Vec<Matched> = set
        .identity
        .iter()
        .flat_map(|p| applying(p, Effect::Allow))
        .collect();

    // 3. resource-based policy
    let cross_account = match (
        req.principal.as_deref().and_then(PrincipalArn::parse),
        arn_account(&req.resource),
    ) {
        (Some(p), Some(acct)) => p.account != acct,
        _ => false,
    };
    if let Some(rp) = set.resource_policy {
        let mut best: Option<PrincipalMatch> = None;
        let mut rp_allows = Vec::new();
        for s in rp
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow && statement_applies(s, rp.version, req))
        {
            let how = match (&s.principal, &s.not_principal) {
                (Some(p), _) => principal_match(p, req.principal.as_deref()),
                (None, Some(_)) => Some(PrincipalMatch::Direct),
                _ => None,
            };
            best = best.max(how);
            rp_allows.push(matched(rp, s));
        }
        if !rp_allows.is_empty() {
            if cross_account {
                if identity_allows.is_empty() || !boundary_ok {
                    return Response {
                        decision: Decision::ImplicitDeny,
                        matched: vec![],
                        reasons: vec!["cross-account request: the resource policy allows, but the caller's identity policies (within its boundary) do not".into()],
                    };
                }
                allows.extend(rp_allows);
                allows.extend(identity_allows);
                allows.extend(boundary_allows.unwrap_or_default());
                reasons.push("cross-account request allowed by both the resource policy and the caller's identity policies".into());
                return Response {
                    decision: Decision::Allow,
                    matched: allows,
                    reasons,
                };
            }
            match best {
                Some(PrincipalMatch::Direct) => {
                    allows.extend(rp_allows);
                    reasons.push("the resource policy allows this principal directly".into());
                    return Response {
                        decision: Decision::Allow,
                        matched: allows,
                        reasons,
                    };
                }
                Some(PrincipalMatch::Entity) if boundary_ok => {
                    allows.extend(rp_allows);
                    allows.extend(boundary_allows.unwrap_or_default());
                    reasons.push("the resource policy allows the role ARN, and the permission boundary (if any) allows".into());
                    return Response {
                        decision: Decision::Allow,
                        matched: allows,
                        reasons,
                    };
                }
                _ => reasons.push(
                    "the resource policy names only the account: the identity policies decide"
                        .into(),
                ),
            }
        }
    }
    // 4. permission boundary
    if !boundary_ok {
        return Response {
            decision: Decision::ImplicitDeny,
            matched: vec![],
            reasons: vec!["the permission boundary does not allow the action".into()],
        };
    }
    // 5. identity policies
    if identity_allows.is_empty() {
        let why = if cross_account && set.resource_policy.is_none() {
            "cross-account request with no resource policy allowing it"
        } else {
            "no identity-based policy allows the action"
        };
        return Response {
            decision: Decision::ImplicitDeny,
            matched: vec![],
            reasons: vec![why.into()],
        };
    }
    if cross_account && set.resource_policy.is_none() {
        return Response {
            decision: Decision::ImplicitDeny,
            matched: vec![],
            reasons: vec!["cross-account request: the identity policies allow, but no resource policy of the other account does".into()],
        };
    }
    allows.extend(identity_allows);
    if let Some(b) = boundary_allows {
        allows.extend(b);
        reasons.push("the permission boundary allows".into());
    }
    reasons.push("an identity-based policy allows".into());
    Response {
        decision: Decision::Allow,
        matched: allows,
        reasons,
    }
}
