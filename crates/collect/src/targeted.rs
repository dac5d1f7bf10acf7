//! Targeted reads for event-driven scans (`rolecall lambda`): one account, the roles an event
//! touched and the functions that use them, instead of the whole account.
//!
//! Calls: for a managed policy that changed, `ListEntitiesForPolicy` (the roles it is attached
//! to); for a function that changed, `GetFunctionConfiguration` (its role); per role `GetRole`,
//! `ListRolePolicies` + `GetRolePolicy` per inline policy, `ListAttachedRolePolicies`, and
//! `GetPolicy` + `GetPolicyVersion` per attached managed policy and boundary (AWS managed ones
//! too: the current document, not the embedded copy); then per region the collector's usual
//! Lambda reads, keeping only the functions whose role is one of these. Every failure is a
//! coverage entry; a role that no longer exists is reported in [`Targeted::missing_roles`].
//! With `opts.org`, the account's SCPs and RCPs (`DescribeOrganization`, then `ListParents` up to
//! the root and each node's policies) are read too, so the scan decides as the Organization scan
//! does.

use crate::iam::doc;
use crate::{account_config, all_pages, describe, gap, lambda, CollectError, Options};
use crate::{Shared, Stats};
use aws_sdk_iam::types::EntityType;
use futures::stream::{self, StreamExt};
use rolecall_inventory::{CoverageEntry, Inventory, LastUsed, ManagedPolicy, NamedDocument, Role};
use std::collections::BTreeSet;
use std::sync::Arc;

/// What an event touched, in one account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    pub account: String,
    /// Role names (or ARNs: the name is taken from the last path segment).
    pub roles: Vec<String>,
    /// Managed policy ARNs whose document changed: the roles attached to them are read.
    pub policies: Vec<String>,
    /// `(region, function name or ARN)`: their execution roles are read.
    pub functions: Vec<(String, String)>,
    /// Managed policy ARNs whose documents are read (a Config item references them only).
    pub managed_policies: Vec<String>,
}

/// The inventory of a target, and what could not be found.
#[derive(Debug)]
pub struct Targeted {
    pub inventory: Inventory,
    pub stats: Stats,
    /// Role names that IAM says do not exist (deleted since the event).
    pub missing_roles: Vec<String>,
    /// The role names that were read.
    pub roles: Vec<String>,
}

/// IAM's paging: the marker of the next page, when the page says it is truncated.
fn next_marker(truncated: bool, marker: Option<&str>) -> Option<String> {
    marker.filter(|_| truncated).map(str::to_string)
}

/// The role name of a role name or ARN (`arn:aws:iam::1:role/path/name` → `name`).
pub fn role_name(name_or_arn: &str) -> &str {
    if name_or_arn.starts_with("arn:") {
        name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
    } else {
        name_or_arn
    }
}

/// Reads what `target` names. Fails only when the caller cannot be identified.
pub async fn collect_target(opts: Options, target: Target) -> Result<Targeted, CollectError> {
    let (base, shared, caller_account) =
        crate::start(&opts, crate::Progress::new(crate::ProgressMode::Quiet)).await?;
    let account = if target.account.is_empty() {
        caller_account.clone()
    } else {
        target.account.clone()
    };
    let mut inv = Inventory::new("aws");
    inv.collected_at = Some(crate::now_rfc3339());
    if opts.org {
        // The SCPs and RCPs on the account's path, as the Organization scan applies them: an
        // event-driven scan must not report what they prevent and the scheduled scan does not.
        let (acct, organization, gaps) =
            crate::orgs::account_policies(&shared, &base, &account).await;
        inv.accounts.push(acct);
        inv.organization = organization;
        inv.coverage.extend(gaps);
    } else {
        inv.accounts.push(rolecall_inventory::Account {
            id: account.clone(),
            ..Default::default()
        });
    }
    let mut out = Targeted {
        inventory: Inventory::new("aws"),
        stats: Stats::new(),
        missing_roles: Vec::new(),
        roles: Vec::new(),
    };
    let cfg = match account_config(&shared, &base, &account, &caller_account).await {
        Ok(c) => c,
        Err(g) => {
            inv.coverage.push(g);
            out.inventory = inv;
            out.stats = take_stats(shared);
            return Ok(out);
        }
    };
    let iam = aws_sdk_iam::Client::from_conf(shared.stats.iam(&cfg));

    let mut names: BTreeSet<String> = target
        .roles
        .iter()
        .map(|r| role_name(r).to_string())
        .collect();
    for policy in &target.policies {
        let iam = &iam;
        let (roles, error) = all_pages(&shared.sem, |marker| async move {
            let page = iam
                .list_entities_for_policy()
                .policy_arn(policy)
                .entity_filter(EntityType::Role)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| describe(&e))?;
            let next = next_marker(page.is_truncated(), page.marker());
            Ok((
                page.policy_roles()
                    .iter()
                    .filter_map(|r| r.role_name().map(str::to_string))
                    .collect::<Vec<_>>(),
                next,
            ))
        })
        .await
        .split();
        names.extend(roles);
        if let Some(e) = error {
            inv.coverage.push(gap(
                &account,
                None,
                "iam:ListEntitiesForPolicy",
                format!("{policy}: {e}"),
            ));
        }
    }
    for (region, function) in &target.functions {
        let client =
            aws_sdk_lambda::Client::from_conf(shared.stats.lambda(&shared.config(&cfg, region)));
        let got = {
            let _p = shared.sem.acquire().await;
            client
                .get_function_configuration()
                .function_name(function)
                .send()
                .await
        };
        match got {
            Ok(c) => {
                if let Some(role) = c.role() {
                    names.insert(role_name(role).to_string());
                }
            }
            Err(e) => inv.coverage.push(gap(
                &account,
                Some(region),
                "lambda:GetFunctionConfiguration",
                format!("{function}: {}", describe(&e)),
            )),
        }
    }

    let mut policy_arns: BTreeSet<String> = target.managed_policies.iter().cloned().collect();
    for name in &names {
        match read_role(&shared, &iam, &account, name).await {
            Ok(Some(role)) => {
                policy_arns.extend(role.managed_policy_arns.iter().cloned());
                policy_arns.extend(role.permissions_boundary_arn.iter().cloned());
                inv.roles.push(role);
                out.roles.push(name.clone());
            }
            Ok(None) => out.missing_roles.push(name.clone()),
            Err(g) => inv.coverage.push(g),
        }
    }
    for arn in &policy_arns {
        match read_managed_policy(&shared, &iam, arn).await {
            Ok(p) => inv.managed_policies.push(p),
            Err(e) => inv.coverage.push(gap(
                &account,
                None,
                "iam:GetPolicyVersion",
                format!("{arn}: {e}"),
            )),
        }
    }

    if !inv.roles.is_empty() {
        let role_arns: BTreeSet<String> = inv.roles.iter().map(|r| r.arn.clone()).collect();
        let regions = crate::regions_of(&shared, &cfg, &account, &mut inv.coverage).await;
        let role_arns = &role_arns;
        let per_region: Vec<Inventory> = stream::iter(regions.clone())
            .map(|region| {
                let shared = shared.clone();
                let cfg = shared.config(&cfg, &region);
                let account = account.clone();
                async move {
                    lambda::collect_region_where(&shared, &cfg, &account, &region, &|c| {
                        c.role().is_some_and(|r| role_arns.contains(r))
                    })
                    .await
                }
            })
            .buffer_unordered(shared.opts.concurrency.clamp(1, 8))
            .collect()
            .await;
        for r in per_region {
            inv.merge(r);
        }
        inv.regions = regions;
    }
    inv.functions.sort_by(|a, b| a.arn.cmp(&b.arn));
    out.inventory = inv;
    out.stats = take_stats(shared);
    Ok(out)
}

fn take_stats(shared: Arc<Shared>) -> Stats {
    match Arc::try_unwrap(shared) {
        Ok(s) => s.stats,
        Err(_) => Stats::new(),
    }
}

/// One role with its inline policies, attachments, boundary and tags; `None` when IAM says it
/// does not exist.
async fn read_role(
    shared: &Shared,
    iam: &aws_sdk_iam::Client,
    account: &str,
    name: &str,
) -> Result<Option<Role>, CoverageEntry> {
    let got = {
        let _p = shared.sem.acquire().await;
        iam.get_role().role_name(name).send().await
    };
    let r = match got {
        Ok(o) => match o.role {
            Some(r) => r,
            None => return Ok(None),
        },
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            return Ok(None)
        }
        Err(e) => {
            return Err(gap(
                account,
                None,
                "iam:GetRole",
                format!("{name}: {}", describe(&e)),
            ))
        }
    };
    let (inline_names, error) = all_pages(&shared.sem, |marker| async move {
        let page = iam
            .list_role_policies()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let next = next_marker(page.is_truncated(), page.marker());
        Ok((page.policy_names().to_vec(), next))
    })
    .await
    .split();
    if let Some(e) = error {
        return Err(gap(
            account,
            None,
            "iam:ListRolePolicies",
            format!("{name}: {e}"),
        ));
    }
    let mut inline_policies = Vec::new();
    for p in inline_names {
        let got = {
            let _p = shared.sem.acquire().await;
            iam.get_role_policy()
                .role_name(name)
                .policy_name(&p)
                .send()
                .await
        };
        match got {
            Ok(o) => inline_policies.push(NamedDocument {
                name: p,
                arn: None,
                document: doc(o.policy_document()),
            }),
            Err(e) => {
                return Err(gap(
                    account,
                    None,
                    "iam:GetRolePolicy",
                    format!("{name}/{p}: {}", describe(&e)),
                ))
            }
        }
    }
    let (attached, error) = all_pages(&shared.sem, |marker| async move {
        let page = iam
            .list_attached_role_policies()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let next = next_marker(page.is_truncated(), page.marker());
        Ok((
            page.attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect::<Vec<_>>(),
            next,
        ))
    })
    .await
    .split();
    if let Some(e) = error {
        return Err(gap(
            account,
            None,
            "iam:ListAttachedRolePolicies",
            format!("{name}: {e}"),
        ));
    }
    Ok(Some(Role {
        name: r.role_name().to_string(),
        account: account.to_string(),
        path: r.path().to_string(),
        trust_policy: r.assume_role_policy_document().map(doc).unwrap_or_default(),
        inline_policies,
        managed_policy_arns: attached,
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
        create_date: Some(r.create_date().to_string()),
        role_id: Some(r.role_id().to_string()),
        arn: r.arn().to_string(),
    }))
}

/// A managed policy's default version.
async fn read_managed_policy(
    shared: &Shared,
    iam: &aws_sdk_iam::Client,
    arn: &str,
) -> Result<ManagedPolicy, String> {
    let p = {
        let _p = shared.sem.acquire().await;
        iam.get_policy().policy_arn(arn).send().await
    }
    .map_err(|e| describe(&e))?;
    let p = p.policy.ok_or("no policy in the response")?;
    let version = p
        .default_version_id()
        .ok_or("the policy names no default version")?
        .to_string();
    let v = {
        let _p = shared.sem.acquire().await;
        iam.get_policy_version()
            .policy_arn(arn)
            .version_id(&version)
            .send()
            .await
    }
    .map_err(|e| describe(&e))?;
    let document = v
        .policy_version()
        .and_then(|v| v.document())
        .ok_or("the version has no document")?;
    Ok(ManagedPolicy {
        arn: arn.to_string(),
        name: p.policy_name().unwrap_or_default().to_string(),
        document: doc(document),
        default_version: Some(version),
    })
}

#[cfg(test)]
mod tests {
    use super::role_name;

    #[test]
    fn role_names_come_from_names_and_arns() {
        assert_eq!(role_name("app"), "app");
        assert_eq!(
            role_name("arn:aws:iam::123456789012:role/service/app"),
            "app"
        );
    }
}
