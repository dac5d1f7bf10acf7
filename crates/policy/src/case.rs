//! A request with its policies as one JSON document: the format of the evaluation corpus
//! (`crates/policy/tests/data/eval-cases.json`), of `rolecall simulate --batch` (one case per line)
//! and of the differential test against another simulator (`scripts/differential`).
//!
//! ```json
//! {"name": "cross-account-org-condition-fails",
//!  "request": {"principal": "arn:aws:iam::111111111111:role/app", "action": "s3:GetObject",
//!              "resource": "arn:aws:s3:::bucket/key", "resource_account": "222222222222",
//!              "context": {"aws:SourceVpc": ["vpc-1"]},
//!              "principal_facts": {"path": "/", "tags": {"team": "a"}, "org_id": "o-1"}},
//!  "policies": {"identity": [{...}], "boundary": {...}, "session": {...},
//!               "scps": [[{...}], [{...}]], "rcps": [[{...}]], "resource": {...}, "trust": {...}},
//!  "expected": "implicit_deny"}
//! ```

use crate::eval::{evaluate, PolicySet, Request, Response};
use crate::model::{Policy, PolicyKind};
use crate::parse::{parse_policy_value, PolicyError};
use crate::principal::PrincipalFacts;
use crate::Context;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Deserialize)]
pub struct Case {
    #[serde(default)]
    pub name: Option<String>,
    pub request: CaseRequest,
    #[serde(default)]
    pub policies: CasePolicies,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CaseRequest {
    #[serde(default)]
    pub principal: Option<String>,
    pub action: String,
    pub resource: String,
    /// Key → values (a string is one value).
    #[serde(default)]
    pub context: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    pub resource_account: Option<String>,
    #[serde(default)]
    pub management_account: Option<String>,
    #[serde(default)]
    pub aws_managed_key: bool,
    #[serde(default)]
    pub principal_facts: CaseFacts,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CaseFacts {
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub org_paths: Vec<String>,
    #[serde(default)]
    pub unique_id: Option<String>,
    #[serde(default)]
    pub session_name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CasePolicies {
    #[serde(default)]
    pub identity: Vec<Value>,
    #[serde(default)]
    pub boundary: Option<Value>,
    #[serde(default)]
    pub session: Option<Value>,
    #[serde(default)]
    pub scps: Vec<Vec<Value>>,
    #[serde(default)]
    pub rcps: Vec<Vec<Value>>,
    #[serde(default)]
    pub resource: Option<Value>,
    #[serde(default)]
    pub trust: Option<Value>,
}

/// A case's policies, parsed.
pub struct ParsedPolicies {
    identity: Vec<Policy>,
    boundary: Option<Policy>,
    session: Option<Policy>,
    scps: Vec<Vec<Policy>>,
    rcps: Vec<Vec<Policy>>,
    resource: Option<Policy>,
}

fn levels(
    docs: &[Vec<Value>],
    key: &str,
    kind: PolicyKind,
) -> Result<Vec<Vec<Policy>>, PolicyError> {
    docs.iter()
        .enumerate()
        .map(|(l, level)| {
            level
                .iter()
                .enumerate()
                .map(|(i, d)| parse_policy_value(&format!("{key}-{l}-{i}"), kind, d))
                .collect()
        })
        .collect()
}

impl CasePolicies {
    /// Parses every document; names follow the corpus (`identity-0`, `scp-1-0`, `rcp-0-0`,
    /// `boundary`, `session`, `resource`, `trust`).
    pub fn parse(&self) -> Result<ParsedPolicies, PolicyError> {
        let identity = self
            .identity
            .iter()
            .enumerate()
            .map(|(i, d)| parse_policy_value(&format!("identity-{i}"), PolicyKind::Identity, d))
            .collect::<Result<_, _>>()?;
        let one = |name: &str, kind: PolicyKind, d: &Option<Value>| {
            d.as_ref()
                .map(|d| parse_policy_value(name, kind, d))
                .transpose()
        };
        let resource = match (&self.resource, &self.trust) {
            (Some(_), _) => one("resource", PolicyKind::Resource, &self.resource)?,
            (None, Some(_)) => one("trust", PolicyKind::Trust, &self.trust)?,
            (None, None) => None,
        };
        Ok(ParsedPolicies {
            identity,
            boundary: one("boundary", PolicyKind::Boundary, &self.boundary)?,
            session: one("session", PolicyKind::Session, &self.session)?,
            scps: levels(&self.scps, "scp", PolicyKind::Scp)?,
            rcps: levels(&self.rcps, "rcp", PolicyKind::Rcp)?,
            resource,
        })
    }
}

impl ParsedPolicies {
    pub fn set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: self.identity.iter().collect(),
            boundary: self.boundary.as_ref(),
            session: self.session.as_ref(),
            scp_levels: self.scps.iter().map(|l| l.iter().collect()).collect(),
            rcp_levels: self.rcps.iter().map(|l| l.iter().collect()).collect(),
            resource_policy: self.resource.as_ref(),
        }
    }
}

impl CaseRequest {
    pub fn to_request(&self) -> Request {
        let mut context = Context::new();
        for (k, v) in &self.context {
            match v {
                OneOrMany::One(s) => context.insert(k, s),
                OneOrMany::Many(list) => {
                    for s in list {
                        context.insert(k, s);
                    }
                }
            }
        }
        let f = &self.principal_facts;
        Request {
            principal: self.principal.clone(),
            action: self.action.clone(),
            resource: self.resource.clone(),
            context,
            principal_facts: PrincipalFacts {
                path: f.path.clone(),
                tags: f.tags.clone(),
                org_id: f.org_id.clone(),
                org_paths: f.org_paths.clone(),
                unique_id: f.unique_id.clone(),
                session_name: f.session_name.clone(),
            },
            resource_account: self.resource_account.clone(),
            management_account: self.management_account.clone(),
            aws_managed_key: self.aws_managed_key,
        }
    }
}

impl Case {
    /// Parses the policies and evaluates the request.
    pub fn evaluate(&self) -> Result<Response, PolicyError> {
        let parsed = self.policies.parse()?;
        Ok(evaluate(&parsed.set(), &self.request.to_request()))
    }
}
