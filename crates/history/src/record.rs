//! Recording a scan of an inventory: its scope (accounts and regions), a hash of what was read,
//! when it was observed, each function's role and each role's policy version. Shared by
//! `rolecall scan --history` and the scheduled scan inside AWS.

use crate::{HistoryError, Recorded, ScanRecord, Store};
use rolecall_checks::ScanResult;

/// The scan's scope (its accounts and regions) and a hash of what it read.
pub fn scope_and_hash(inv: &rolecall_inventory::Inventory) -> (String, String) {
    let mut accounts: Vec<&str> = inv.accounts.iter().map(|a| a.id.as_str()).collect();
    accounts.extend(inv.roles.iter().map(|r| r.account.as_str()));
    accounts.sort_unstable();
    accounts.dedup();
    let mut regions: Vec<&str> = inv.regions.iter().map(String::as_str).collect();
    regions.sort_unstable();
    regions.dedup();
    let scope = format!(
        "accounts={};regions={}",
        accounts.join(","),
        regions.join(",")
    );
    let mut parts: Vec<&str> = Vec::new();
    for r in &inv.roles {
        parts.push(&r.arn);
        parts.extend(r.inline_policies.iter().map(|p| p.document.text()));
        parts.extend(r.managed_policy_arns.iter().map(String::as_str));
    }
    for f in &inv.functions {
        parts.push(&f.arn);
        parts.push(&f.role_arn);
    }
    (scope, rolecall_checks::finding::stable_hash(&parts))
}

/// When the recorded state was observed: the inventory's collection time (a snapshot scanned
/// later still shows the estate as it was then), else now. RFC 3339, seconds, UTC.
pub fn recorded_at(inv: &rolecall_inventory::Inventory) -> String {
    if let Some(t) = inv
        .collected_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    {
        return t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let rem = secs % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        rolecall_inventory::day_text((secs / 86_400) as i64),
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Each function's role, and each role's policies (by content hash) and breadth, for the history.
pub fn inputs(
    result: &rolecall_checks::ScanResult,
    inv: &rolecall_inventory::Inventory,
) -> (Vec<crate::Deployment>, Vec<crate::RoleVersion>) {
    let deployments = inv
        .functions
        .iter()
        .map(|f| crate::Deployment {
            function_arn: f.arn.clone(),
            role_arn: f.role_arn.clone(),
            last_modified: f.last_modified.clone(),
        })
        .collect();
    let by_arn: std::collections::HashMap<&str, &rolecall_inventory::Role> =
        inv.roles.iter().map(|r| (r.arn.as_str(), r)).collect();
    let roles = result
        .roles
        .iter()
        .map(|rr| {
            let mut parts: Vec<&str> = Vec::new();
            if let Some(r) = by_arn.get(rr.arn.as_str()) {
                for p in &r.inline_policies {
                    parts.push(&p.name);
                    parts.push(p.document.text());
                }
                parts.extend(r.managed_policy_arns.iter().map(String::as_str));
                parts.extend(r.permissions_boundary_arn.as_deref());
            }
            crate::RoleVersion {
                role_arn: rr.arn.clone(),
                policies_hash: rolecall_checks::finding::stable_hash(&parts),
                allowed_actions: rr.allowed_actions as i64,
            }
        })
        .collect();
    (deployments, roles)
}

/// Records `result` of a scan of `inv` in `store` (the scope defaults to the inventory's
/// accounts and regions) and writes the history summary into the result.
pub fn record_scan(
    store: &mut Store,
    result: &mut ScanResult,
    inv: &rolecall_inventory::Inventory,
    baseline: bool,
    scope: Option<String>,
) -> Result<Recorded, HistoryError> {
    let (inv_scope, hash) = scope_and_hash(inv);
    let scope = scope.unwrap_or(inv_scope);
    let at = recorded_at(inv);
    let (deployments, roles) = inputs(result, inv);
    // Accounts with a coverage gap: what the scan did not find there is unknown, not fixed.
    let unread: std::collections::HashSet<String> =
        inv.coverage.iter().map(|c| c.account.clone()).collect();
    let r = store.record(
        result,
        &ScanRecord {
            scope: &scope,
            inventory_hash: &hash,
            at: &at,
            deployments: &deployments,
            roles: &roles,
            unread_accounts: &unread,
            baseline,
        },
    )?;
    result.history = Some(rolecall_checks::scan::HistorySummary {
        scan_id: r.scan_id,
        previous_scan: r.previous,
        new: r.new,
        fixed: r.fixed,
        regressed: r.regressed,
    });
    Ok(r)
}
