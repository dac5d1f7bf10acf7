//! Organizations: the ACTIVE accounts, and for each the SCPs on its path (root, OUs, account).
//! SCPs do not apply to the management account, so it gets none.

use crate::{all_pages, describe, gap, Shared};
use aws_config::SdkConfig;
use aws_sdk_organizations::types::{AccountStatus, PolicyType};
use rolecall_inventory::{Account, CoverageEntry, Document, NamedDocument, ScpLevel};
use serde_json::Value;
use std::collections::HashMap;

pub(crate) async fn accounts_and_scps(
    shared: &Shared,
    base: &SdkConfig,
    caller: &str,
) -> Result<Vec<Account>, CoverageEntry> {
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
    .await
    .map_err(|e| gap(caller, None, "organizations:ListAccounts", e))?;
    let mut accounts: Vec<Account> = listed
        .iter()
        .filter(|a| a.status() == Some(&AccountStatus::Active))
        .filter_map(|a| {
            a.id().map(|id| Account {
                id: id.to_string(),
                name: a.name().map(str::to_string),
                scp_levels: Vec::new(),
            })
        })
        .collect();
    let management = {
        let _p = shared.sem.acquire().await;
        client.describe_organization().send().await
    }
    .ok()
    .and_then(|o| {
        o.organization()
            .and_then(|o| o.master_account_id())
            .map(str::to_string)
    });
    let mut cache: HashMap<String, Option<ScpLevel>> = HashMap::new();
    let mut policies: HashMap<String, NamedDocument> = HashMap::new();
    for a in &mut accounts {
        if management.as_deref() == Some(a.id.as_str()) {
            continue; // SCPs do not restrict the management account
        }
        match path(&client, shared, &a.id).await {
            Ok(nodes) => {
                let mut levels = Vec::new();
                for (id, name) in nodes {
                    if !cache.contains_key(&id) {
                        let level = level(&client, shared, &id, &name, &mut policies).await;
                        cache.insert(id.clone(), level);
                    }
                    if let Some(Some(l)) = cache.get(&id) {
                        levels.push(l.clone());
                    }
                }
                a.scp_levels = levels;
            }
            Err(e) => return Err(gap(&a.id, None, "organizations:ListParents", e)),
        }
    }
    Ok(accounts)
}

/// Root first, then each OU down to the account itself.
async fn path(
    client: &aws_sdk_organizations::Client,
    shared: &Shared,
    account: &str,
) -> Result<Vec<(String, String)>, String> {
    let mut nodes = vec![(account.to_string(), account.to_string())];
    let mut child = account.to_string();
    for _ in 0..10 {
        let out = {
            let _p = shared.sem.acquire().await;
            client.list_parents().child_id(&child).send().await
        }
        .map_err(|e| describe(&e))?;
        let Some(p) = out.parents().first() else {
            break;
        };
        let Some(id) = p.id() else { break };
        nodes.push((id.to_string(), id.to_string()));
        if id.starts_with("r-") {
            break;
        }
        child = id.to_string();
    }
    nodes.reverse();
    Ok(nodes)
}

async fn level(
    client: &aws_sdk_organizations::Client,
    shared: &Shared,
    target: &str,
    name: &str,
    cache: &mut HashMap<String, NamedDocument>,
) -> Option<ScpLevel> {
    let out = {
        let _p = shared.sem.acquire().await;
        client
            .list_policies_for_target()
            .target_id(target)
            .filter(PolicyType::ServiceControlPolicy)
            .send()
            .await
    }
    .ok()?;
    let mut docs = Vec::new();
    for p in out.policies() {
        let Some(id) = p.id() else { continue };
        if !cache.contains_key(id) {
            let d = {
                let _p = shared.sem.acquire().await;
                client.describe_policy().policy_id(id).send().await
            };
            if let Ok(d) = d {
                let pol = d.policy();
                let content = pol.and_then(|p| p.content()).unwrap_or("{}");
                let summary = pol.and_then(|p| p.policy_summary());
                cache.insert(
                    id.to_string(),
                    NamedDocument {
                        name: summary.and_then(|s| s.name()).unwrap_or(id).to_string(),
                        arn: summary.and_then(|s| s.arn()).map(str::to_string),
                        document: Document::from_value(&Value::String(content.to_string())),
                    },
                );
            }
        }
        if let Some(doc) = cache.get(id) {
            docs.push(doc.clone());
        }
    }
    Some(ScpLevel {
        target: target.to_string(),
        name: name.to_string(),
        policies: docs,
    })
}
