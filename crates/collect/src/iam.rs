//! IAM, per account: `GetAccountAuthorizationDetails`, every page, roles and managed policies.

use crate::{describe, gap, Shared};
use aws_config::SdkConfig;
use aws_sdk_iam::types::{EntityType, ManagedPolicyDetail, RoleDetail};
use rolecall_inventory::{CoverageEntry, Document, LastUsed, ManagedPolicy, NamedDocument, Role};
use serde_json::Value;

/// A document as IAM returns it: URL-encoded JSON text (emulators sometimes send it plain);
/// kept as a JSON string and decoded when parsed.
pub(crate) fn doc(text: &str) -> Document {
    Document::from_value(&Value::String(text.to_string()))
}

pub(crate) async fn authorization_details(
    shared: &Shared,
    cfg: &SdkConfig,
    account: &str,
) -> Result<(Vec<Role>, Vec<ManagedPolicy>, Option<CoverageEntry>), CoverageEntry> {
    let client = aws_sdk_iam::Client::from_conf(shared.stats.iam(cfg));
    let (roles, policies, error) = all_pages(&client, &shared.sem).await;
    let error = error.map(|e| gap(account, None, "iam:GetAccountAuthorizationDetails", e));
    if roles.is_empty() && policies.is_empty() {
        if let Some(g) = error {
            return Err(g);
        }
    }
    Ok((
        roles.iter().filter_map(|r| role(r, account)).collect(),
        policies.iter().filter_map(managed_policy).collect(),
        error,
    ))
}

/// Every page of `GetAccountAuthorizationDetails` (roles, customer and AWS managed policies),
/// and why it stopped early when a page failed (what came before is kept).
pub async fn all_pages(
    client: &aws_sdk_iam::Client,
    sem: &tokio::sync::Semaphore,
) -> (Vec<RoleDetail>, Vec<ManagedPolicyDetail>, Option<String>) {
    let mut roles = Vec::new();
    let mut policies = Vec::new();
    let mut marker: Option<String> = None;
    let mut n = 1usize;
    loop {
        let out = {
            let _p = sem.acquire().await;
            client
                .get_account_authorization_details()
                .filter(EntityType::Role)
                .filter(EntityType::LocalManagedPolicy)
                .filter(EntityType::AwsManagedPolicy)
                .set_marker(marker.clone())
                .send()
                .await
        };
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                let e = describe(&e);
                let error = if n == 1 {
                    e
                } else {
                    format!(
                        "page {n} failed after {} role(s) and {} policies were read (kept): {e}",
                        roles.len(),
                        policies.len()
                    )
                };
                return (roles, policies, Some(error));
            }
        };
        n += 1;
        roles.extend(out.role_detail_list().iter().cloned());
        policies.extend(out.policies().iter().cloned());
        match (out.is_truncated(), out.marker()) {
            (true, Some(m)) if Some(m) != marker.as_deref() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    (roles, policies, None)
}

fn role(r: &RoleDetail, account: &str) -> Option<Role> {
    let arn = r.arn()?.to_string();
    Some(Role {
        name: r
            .role_name()
            .map(str::to_string)
            .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or_default().to_string()),
        account: account.to_string(),
        path: r.path().unwrap_or("/").to_string(),
        trust_policy: r.assume_role_policy_document().map(doc).unwrap_or_default(),
        inline_policies: r
            .role_policy_list()
            .iter()
            .map(|p| NamedDocument {
                name: p.policy_name().unwrap_or("(unnamed)").to_string(),
                arn: None,
                document: p.policy_document().map(doc).unwrap_or_default(),
            })
            .collect(),
        managed_policy_arns: r
            .attached_managed_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect(),
        permissions_boundary_arn: r
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string),
        tags: r
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
        last_used: r
            .role_last_used()
            .map(|u| LastUsed {
                date: u.last_used_date().map(|d| d.to_string()),
                region: u.region().map(str::to_string),
            })
            .filter(|u| u.date.is_some() || u.region.is_some()),
        create_date: r.create_date().map(|d| d.to_string()),
        role_id: r.role_id().map(str::to_string),
        arn,
    })
}

fn managed_policy(p: &ManagedPolicyDetail) -> Option<ManagedPolicy> {
    let arn = p.arn()?.to_string();
    let versions = p.policy_version_list();
    let default = versions
        .iter()
        .find(|v| v.is_default_version())
        .or_else(|| {
            versions
                .iter()
                .find(|v| v.version_id() == p.default_version_id())
        })?;
    Some(ManagedPolicy {
        name: p.policy_name().unwrap_or_default().to_string(),
        document: default.document().map(doc)?,
        default_version: default.version_id().map(str::to_string),
        arn,
    })
}
