//! Organizations: the ACTIVE accounts, and for each the SCPs and RCPs on its path (root, OUs,
//! account). Neither applies to the management account (SCPs do not restrict its principals, RCPs
//! do not restrict its resources), so it gets none.
//!
//! Calls: `ListAccounts` (pages), `DescribeOrganization` once, `ListParents` once per account and
//! once per OU (shared by the accounts under it), `ListPoliciesForTarget` once per node and policy
//! type, `DescribePolicy` once per policy. Everything that cannot be read is a coverage entry and
//! nothing already read is dropped; an account whose path or policies cannot all be read keeps no
//! SCPs (or RCPs) at all, so rolecall reports what they might have prevented rather than guess.

use crate::{all_pages, describe, gap, Shared};
use aws_config::SdkConfig;
use aws_sdk_organizations::types::{AccountStatus, PolicyType};
use futures::stream::{self, StreamExt};
use rolecall_inventory::{Account, CoverageEntry, Document, NamedDocument, Organization, ScpLevel};
use serde_json::Value;
use std::collections::HashMap;
use tokio::sync::Mutex;

/// What was read of the Organization.
pub(crate) struct OrgView {
    pub accounts: Vec<Account>,
    pub organization: Option<Organization>,
    pub coverage: Vec<CoverageEntry>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    Scp,
    Rcp,
}

impl Kind {
    fn filter(self) -> PolicyType {
        match self {
            Kind::Scp => PolicyType::ServiceControlPolicy,
            Kind::Rcp => PolicyType::ResourceControlPolicy,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Scp => "SCPs",
            Kind::Rcp => "RCPs",
        }
    }
}

/// A node's policies of one kind: Ok(None) when the policy type is not enabled.
type NodePolicies = Result<Option<Vec<NamedDocument>>, String>;

struct Caches {
    /// child id → parent id
    parents: Mutex<HashMap<String, Result<Option<String>, String>>>,
    /// policy id → document
    policies: Mutex<HashMap<String, Result<NamedDocument, String>>>,
}

pub(crate) async fn accounts_and_policies(
    shared: &Shared,
    base: &SdkConfig,
    caller: &str,
) -> Result<OrgView, CoverageEntry> {
    let client = aws_sdk_organizations::Client::from_conf(shared.stats.organizations(base));
    let client_ref = &client;
    let listed = all_pages(&shared.sem, |token| async move {
        let page = client_ref
            .list_accounts()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok((
            page.accounts().to_vec(),
            page.next_token().map(str::to_string),
        ))
    })
    .await;
    // A partial list still names real accounts: keep them, and say the listing failed (which
    // makes the run's exit 2 whatever --allow-partial says).
    let (listed, error) = listed.split();
    let listing_gap = error.map(|e| gap(caller, None, "organizations:ListAccounts", e));
    if listed.is_empty() {
        if let Some(g) = listing_gap {
            return Err(g);
        }
    }
    let mut accounts: Vec<Account> = listed
        .iter()
        .filter(|a| a.status() == Some(&AccountStatus::Active))
        .filter_map(|a| {
            a.id().map(|id| Account {
                id: id.to_string(),
                name: a.name().map(str::to_string),
                ..Default::default()
            })
        })
        .collect();
    let mut coverage: Vec<CoverageEntry> = listing_gap.into_iter().collect();
    let organization = match describe_organization(shared, &client).await {
        Ok(o) => o,
        Err(e) => {
            coverage.push(gap(
                caller,
                None,
                "organizations:DescribeOrganization",
                format!(
                    "{e}: the management account is not known, so its SCPs are read like a member's"
                ),
            ));
            None
        }
    };
    let management = organization
        .as_ref()
        .and_then(|o| o.management_account.clone());
    policies_on_paths(
        shared,
        &client,
        &mut accounts,
        management.as_deref(),
        &mut coverage,
    )
    .await;
    Ok(OrgView {
        accounts,
        organization,
        coverage,
    })
}

/// The SCPs and RCPs on each account's path (root, OUs, account) into the accounts; the
/// management account gets none (neither applies to it). What cannot be read is coverage, and
/// an account whose path or policies are not all known keeps none of that kind.
async fn policies_on_paths(
    shared: &Shared,
    client: &aws_sdk_organizations::Client,
    accounts: &mut [Account],
    management: Option<&str>,
    coverage: &mut Vec<CoverageEntry>,
) {
    let caches = Caches {
        parents: Mutex::new(HashMap::new()),
        policies: Mutex::new(HashMap::new()),
    };
    // Each account's path (root first, the account last), concurrently, parents cached.
    let paths: Vec<(usize, Result<Vec<String>, String>)> = stream::iter(
        accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| management != Some(a.id.as_str())),
    )
    .map(|(i, a)| {
        let caches = &caches;
        async move { (i, path(client, shared, caches, &a.id).await) }
    })
    .buffer_unordered(shared.opts.concurrency.clamp(1, 8))
    .collect()
    .await;
    // Each node's policies of each kind, once per node.
    let mut nodes: Vec<String> = paths
        .iter()
        .filter_map(|(_, p)| p.as_ref().ok())
        .flatten()
        .cloned()
        .collect();
    nodes.sort();
    nodes.dedup();
    let per_node: HashMap<(String, Kind), NodePolicies> = stream::iter(
        nodes
            .iter()
            .flat_map(|n| [(n.clone(), Kind::Scp), (n.clone(), Kind::Rcp)]),
    )
    .map(|(node, kind)| {
        let caches = &caches;
        async move {
            let r = node_policies(client, shared, caches, &node, kind).await;
            ((node, kind), r)
        }
    })
    .buffer_unordered(shared.opts.concurrency.clamp(1, 8))
    .collect()
    .await;
    for (i, p) in paths {
        let Some(a) = accounts.get_mut(i) else {
            continue;
        };
        let nodes = match p {
            Ok(n) => n,
            Err(e) => {
                coverage.push(gap(
                    &a.id,
                    None,
                    "organizations:ListParents",
                    format!("{e}: the account's SCPs and RCPs are not known and not applied"),
                ));
                continue;
            }
        };
        for kind in [Kind::Scp, Kind::Rcp] {
            let mut levels = Vec::new();
            let mut failed = None;
            let mut enabled = true;
            for node in &nodes {
                match per_node.get(&(node.clone(), kind)) {
                    Some(Ok(Some(docs))) => levels.push(ScpLevel {
                        target: node.clone(),
                        name: node.clone(),
                        policies: docs.clone(),
                    }),
                    Some(Ok(None)) => enabled = false,
                    Some(Err(e)) => failed = Some(e.clone()),
                    None => failed = Some(format!("{node}: not read")),
                }
            }
            if let Some(e) = failed {
                coverage.push(gap(
                    &a.id,
                    None,
                    if e.contains("DescribePolicy") {
                        "organizations:DescribePolicy"
                    } else {
                        "organizations:ListPoliciesForTarget"
                    },
                    format!(
                        "{e}: the account's {} are not applied (what they might prevent is reported)",
                        kind.name()
                    ),
                ));
                continue;
            }
            if !enabled {
                continue;
            }
            match kind {
                Kind::Scp => a.scp_levels = levels,
                Kind::Rcp => a.rcp_levels = levels,
            }
        }
    }
}

/// One account's Organization context, for an event-driven scan of that account: the
/// Organization (and its management account) and the SCPs and RCPs on the account's path,
/// without listing every account.
pub(crate) async fn account_policies(
    shared: &Shared,
    base: &SdkConfig,
    account: &str,
) -> (Account, Option<Organization>, Vec<CoverageEntry>) {
    let client = aws_sdk_organizations::Client::from_conf(shared.stats.organizations(base));
    let mut coverage = Vec::new();
    let organization = match describe_organization(shared, &client).await {
        Ok(o) => o,
        Err(e) => {
            coverage.push(gap(
                account,
                None,
                "organizations:DescribeOrganization",
                format!("{e}: the account's SCPs and RCPs are not known and not applied"),
            ));
            let acct = Account {
                id: account.to_string(),
                ..Default::default()
            };
            return (acct, None, coverage);
        }
    };
    let management = organization
        .as_ref()
        .and_then(|o| o.management_account.clone());
    let mut accounts = [Account {
        id: account.to_string(),
        ..Default::default()
    }];
    policies_on_paths(
        shared,
        &client,
        &mut accounts,
        management.as_deref(),
        &mut coverage,
    )
    .await;
    let [acct] = accounts;
    (acct, organization, coverage)
}

/// The Organization and its management account (`DescribeOrganization`).
async fn describe_organization(
    shared: &Shared,
    client: &aws_sdk_organizations::Client,
) -> Result<Option<Organization>, String> {
    let described = {
        let _p = shared.sem.acquire().await;
        client.describe_organization().send().await
    };
    described
        .map(|o| {
            o.organization().and_then(|o| {
                o.id().map(|id| Organization {
                    id: id.to_string(),
                    management_account: o.master_account_id().map(str::to_string),
                })
            })
        })
        .map_err(|e| describe(&e))
}

/// Root first, then each OU down to the account itself.
async fn path(
    client: &aws_sdk_organizations::Client,
    shared: &Shared,
    caches: &Caches,
    account: &str,
) -> Result<Vec<String>, String> {
    let mut nodes = vec![account.to_string()];
    let mut child = account.to_string();
    for _ in 0..10 {
        let cached = caches.parents.lock().await.get(&child).cloned();
        let parent = match cached {
            Some(p) => p,
            None => {
                let out = {
                    let _p = shared.sem.acquire().await;
                    client.list_parents().child_id(&child).send().await
                };
                let p = out
                    .map_err(|e| format!("{child}: {}", describe(&e)))
                    .map(|o| o.parents().first().and_then(|p| p.id()).map(str::to_string));
                caches.parents.lock().await.insert(child.clone(), p.clone());
                p
            }
        }?;
        let Some(id) = parent else { break };
        nodes.push(id.clone());
        if id.starts_with("r-") {
            break;
        }
        child = id;
    }
    nodes.reverse();
    Ok(nodes)
}

async fn node_policies(
    client: &aws_sdk_organizations::Client,
    shared: &Shared,
    caches: &Caches,
    target: &str,
    kind: Kind,
) -> NodePolicies {
    let listed = all_pages(&shared.sem, |token| async move {
        let out = client
            .list_policies_for_target()
            .target_id(target)
            .filter(kind.filter())
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok((
            out.policies()
                .iter()
                .filter_map(|p| p.id().map(str::to_string))
                .collect::<Vec<_>>(),
            out.next_token().map(str::to_string),
        ))
    })
    .await
    .into_result();
    let ids = match listed {
        Ok(ids) => ids,
        // The Organization has not enabled this policy type: there are none to apply.
        Err(e) if e.contains("PolicyTypeNotEnabled") => return Ok(None),
        Err(e) => {
            return Err(format!(
                "{target}: ListPoliciesForTarget {}: {e}",
                kind.name()
            ))
        }
    };
    let mut docs = Vec::new();
    for id in ids {
        let cached = caches.policies.lock().await.get(&id).cloned();
        let doc = match cached {
            Some(d) => d,
            None => {
                let d = {
                    let _p = shared.sem.acquire().await;
                    client.describe_policy().policy_id(&id).send().await
                };
                let d = match d {
                    Ok(d) => {
                        let pol = d.policy();
                        let content = pol.and_then(|p| p.content()).unwrap_or("{}");
                        let summary = pol.and_then(|p| p.policy_summary());
                        Ok(NamedDocument {
                            name: summary.and_then(|s| s.name()).unwrap_or(&id).to_string(),
                            arn: summary.and_then(|s| s.arn()).map(str::to_string),
                            document: Document::from_value(&Value::String(content.to_string())),
                        })
                    }
                    Err(e) => Err(format!("{target}: DescribePolicy {id}: {}", describe(&e))),
                };
                caches.policies.lock().await.insert(id.clone(), d.clone());
                d
            }
        };
        docs.push(doc?);
    }
    Ok(Some(docs))
}
