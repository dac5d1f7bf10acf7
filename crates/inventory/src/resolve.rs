//! From inventory data to parsed policies: a role's identity policies (inline and managed),
//! permission boundary, trust policy and the SCP levels of its account. Managed policies and SCPs
//! are parsed once and shared by every role that uses them. A document that does not parse, or a
//! managed policy that cannot be found, becomes a [`Problem`]; the rest of the role still resolves.

use crate::model::{Inventory, NamedDocument, Role};
use rolecall_catalog::ManagedPolicies;
use rolecall_policy::effective::PrincipalPolicies;
use rolecall_policy::{KnownContext, Policy, PolicyError, PolicyKind, PrincipalFacts};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// A document that does not parse.
    InvalidPolicy {
        role: String,
        policy: String,
        path: String,
        message: String,
    },
    /// An attached managed policy (or boundary) that is neither in the inventory nor embedded.
    MissingManagedPolicy { role: String, policy_arn: String },
}

impl Problem {
    fn invalid(role: &str, e: PolicyError) -> Problem {
        Problem::InvalidPolicy {
            role: role.to_string(),
            policy: e.policy,
            path: e.path,
            message: e.message,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::InvalidPolicy {
                role,
                policy,
                path,
                message,
            } => write!(f, "role {role}: policy {policy}: {path}: {message}"),
            Problem::MissingManagedPolicy { role, policy_arn } => {
                write!(f, "role {role}: managed policy {policy_arn} not found")
            }
        }
    }
}

/// A role's policies, parsed.
#[derive(Clone, Debug, Default)]
pub struct ResolvedRole {
    pub identity: Vec<Arc<Policy>>,
    pub boundary: Option<Arc<Policy>>,
    pub scp_levels: Vec<Vec<Arc<Policy>>>,
    /// RCPs of the role's account (they cap what can be done to its resources).
    pub rcp_levels: Vec<Vec<Arc<Policy>>>,
    pub trust: Option<Arc<Policy>>,
    /// What is known about the role's sessions (ARN, path, tags, Organization).
    pub facts: PrincipalFacts,
    /// The condition keys known for the role's sessions, from `facts`.
    pub known: Option<KnownContext>,
    pub problems: Vec<Problem>,
}

impl ResolvedRole {
    /// The view the effective-permission analyzer takes.
    pub fn principal_policies(&self) -> PrincipalPolicies<'_> {
        PrincipalPolicies {
            identity: self.identity.iter().map(|p| p.as_ref()).collect(),
            boundary: self.boundary.as_deref(),
            scp_levels: self
                .scp_levels
                .iter()
                .map(|l| l.iter().map(|p| p.as_ref()).collect())
                .collect(),
            rcp_levels: self
                .rcp_levels
                .iter()
                .map(|l| l.iter().map(|p| p.as_ref()).collect())
                .collect(),
            known: self.known.clone(),
        }
    }
}

type Parsed = Result<Arc<Policy>, PolicyError>;
/// An account's SCP levels, and the SCP documents that did not parse.
type ScpResolution = (Vec<Vec<Arc<Policy>>>, Vec<PolicyError>);

/// Parses and caches the managed policies and SCPs of one inventory.
pub struct PolicyStore<'i> {
    inventory: &'i Inventory,
    managed: HashMap<&'i str, usize>,
    parsed_managed: HashMap<String, Option<Parsed>>,
    scps: HashMap<String, ScpResolution>,
    rcps: HashMap<String, ScpResolution>,
    accounts: HashMap<&'i str, usize>,
}

impl<'i> PolicyStore<'i> {
    pub fn new(inventory: &'i Inventory) -> Self {
        let managed = inventory
            .managed_policies
            .iter()
            .enumerate()
            .map(|(i, m)| (m.arn.as_str(), i))
            .collect();
        PolicyStore {
            inventory,
            managed,
            parsed_managed: HashMap::new(),
            scps: HashMap::new(),
            rcps: HashMap::new(),
            accounts: inventory
                .accounts
                .iter()
                .enumerate()
                .map(|(i, a)| (a.id.as_str(), i))
                .collect(),
        }
    }

    /// A managed policy by ARN: from the inventory, else from the embedded AWS managed policies.
    /// None when it is in neither.
    pub fn managed(&mut self, arn: &str, kind: PolicyKind) -> Option<Parsed> {
        let key = format!("{}\u{0}{arn}", kind.as_str());
        if let Some(p) = self.parsed_managed.get(&key) {
            return p.clone();
        }
        let parsed = if let Some(m) = self
            .managed
            .get(arn)
            .and_then(|&i| self.inventory.managed_policies.get(i))
        {
            Some(m.document.parse(&m.arn, kind).map(Arc::new))
        } else {
            ManagedPolicies::get()
                .by_arn(arn)
                .map(|m| rolecall_policy::parse_policy(arn, kind, m.document).map(Arc::new))
        };
        self.parsed_managed.insert(key, parsed.clone());
        parsed
    }

    fn account(&self, id: &str) -> Option<&'i crate::model::Account> {
        let inv: &'i Inventory = self.inventory;
        self.accounts.get(id).and_then(|&i| inv.accounts.get(i))
    }

    /// The SCP (or RCP) levels of an account, parsed once per account.
    fn org_levels(&mut self, account: &str, kind: PolicyKind) -> ScpResolution {
        let cache = if kind == PolicyKind::Rcp {
            &self.rcps
        } else {
            &self.scps
        };
        if let Some(v) = cache.get(account) {
            return v.clone();
        }
        let mut levels = Vec::new();
        let mut errors = Vec::new();
        if let Some(a) = self.account(account) {
            let source = if kind == PolicyKind::Rcp {
                &a.rcp_levels
            } else {
                &a.scp_levels
            };
            for level in source {
                let mut ps = Vec::new();
                for d in &level.policies {
                    match parse_doc(d, kind) {
                        Ok(p) => ps.push(Arc::new(p)),
                        Err(e) => errors.push(e),
                    }
                }
                levels.push(ps);
            }
        }
        let cache = if kind == PolicyKind::Rcp {
            &mut self.rcps
        } else {
            &mut self.scps
        };
        cache.insert(account.to_string(), (levels.clone(), errors.clone()));
        (levels, errors)
    }

    /// The RCP levels of an account: what applies to requests on its resources.
    pub fn rcp_levels(&mut self, account: &str) -> Vec<Vec<Arc<Policy>>> {
        self.org_levels(account, PolicyKind::Rcp).0
    }

    /// What is known about a role's sessions: path, tags, unique id and Organization.
    pub fn facts(&self, role: &Role) -> PrincipalFacts {
        let org = self.inventory.organization.as_ref();
        let org_paths = match (org, self.account(&role.account)) {
            (Some(o), Some(a)) => a.org_path(&o.id).into_iter().collect(),
            _ => Vec::new(),
        };
        PrincipalFacts {
            path: Some(role.path.clone()),
            tags: (!self.inventory.lacks("role-tags")).then(|| role.tags.clone()),
            org_id: org.map(|o| o.id.clone()),
            org_paths,
            unique_id: role.role_id.clone(),
            session_name: None,
        }
    }

    pub fn resolve(&mut self, role: &Role) -> ResolvedRole {
        let mut out = ResolvedRole::default();
        for d in &role.inline_policies {
            match parse_doc(d, PolicyKind::Identity) {
                Ok(p) => out.identity.push(Arc::new(p)),
                Err(e) => out.problems.push(Problem::invalid(&role.arn, e)),
            }
        }
        for arn in &role.managed_policy_arns {
            match self.managed(arn, PolicyKind::Identity) {
                Some(Ok(p)) => out.identity.push(p),
                Some(Err(e)) => out.problems.push(Problem::invalid(&role.arn, e)),
                None => out.problems.push(Problem::MissingManagedPolicy {
                    role: role.arn.clone(),
                    policy_arn: arn.clone(),
                }),
            }
        }
        if let Some(arn) = &role.permissions_boundary_arn {
            match self.managed(arn, PolicyKind::Boundary) {
                Some(Ok(p)) => out.boundary = Some(p),
                Some(Err(e)) => out.problems.push(Problem::invalid(&role.arn, e)),
                None => out.problems.push(Problem::MissingManagedPolicy {
                    role: role.arn.clone(),
                    policy_arn: arn.clone(),
                }),
            }
        }
        match role
            .trust_policy
            .parse(&format!("{} trust policy", role.name), PolicyKind::Trust)
        {
            Ok(p) => out.trust = Some(Arc::new(p)),
            Err(e) => out.problems.push(Problem::invalid(&role.arn, e)),
        }
        // SCPs and RCPs do not restrict service-linked roles (AWS Organizations User Guide).
        let service_linked = role.path.starts_with("/aws-service-role/");
        let (levels, errors) = self.org_levels(&role.account, PolicyKind::Scp);
        out.scp_levels = if service_linked { Vec::new() } else { levels };
        out.problems
            .extend(errors.into_iter().map(|e| Problem::invalid(&role.arn, e)));
        let (levels, errors) = self.org_levels(&role.account, PolicyKind::Rcp);
        out.rcp_levels = if service_linked { Vec::new() } else { levels };
        out.problems
            .extend(errors.into_iter().map(|e| Problem::invalid(&role.arn, e)));
        out.facts = self.facts(role);
        out.known = Some(KnownContext::for_role(&role.arn, &out.facts));
        out
    }
}

fn parse_doc(d: &NamedDocument, kind: PolicyKind) -> Result<Policy, PolicyError> {
    d.document.parse(&d.name, kind)
}
