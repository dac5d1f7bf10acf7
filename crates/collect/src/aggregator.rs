//! AWS Config as the inventory: the Organization's execution roles, functions and customer
//! managed policies from an aggregator's advanced query (`SelectAggregateResourceConfig`, pages
//! of 100 rows), far fewer calls than reading each account where Config records these types.
//! What Config does not record (function URL configurations, event source mappings, SCPs) is
//! marked as lacking, so the rules that need it say they were skipped.

use crate::{describe, gap, CollectError, Options, Stats};
use rolecall_inventory::{config_items, data_kind, Account, Inventory};
use serde_json::Value;
use std::collections::BTreeSet;

/// The three queries: one per resource type, each selecting what the conversion reads.
pub const QUERIES: &[(&str, &str)] = &[
    (
        "AWS::IAM::Role",
        "SELECT accountId, arn, resourceId, resourceName, configuration, tags, configurationItemCaptureTime WHERE resourceType = 'AWS::IAM::Role'",
    ),
    (
        "AWS::Lambda::Function",
        "SELECT accountId, awsRegion, arn, resourceId, resourceName, configuration, supplementaryConfiguration, tags, configurationItemCaptureTime WHERE resourceType = 'AWS::Lambda::Function'",
    ),
    (
        "AWS::IAM::Policy",
        "SELECT accountId, arn, resourceId, resourceName, configuration WHERE resourceType = 'AWS::IAM::Policy'",
    ),
];

/// Every row of an advanced query (each a JSON text), and why it stopped early.
pub async fn select_all(
    client: &aws_sdk_config::Client,
    aggregator: &str,
    expression: &str,
) -> (Vec<String>, Option<String>) {
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .select_aggregate_resource_config()
            .configuration_aggregator_name(aggregator)
            .expression(expression)
            .limit(100)
            .set_next_token(token.clone())
            .send()
            .await;
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let e = describe(&e);
                let e = if rows.is_empty() {
                    e
                } else {
                    format!(
                        "a page failed after {} row(s) were read (kept): {e}",
                        rows.len()
                    )
                };
                return (rows, Some(e));
            }
        };
        rows.extend(page.results().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() && Some(t) != token.as_deref() => token = Some(t.to_string()),
            _ => return (rows, None),
        }
    }
}

/// The inventory of an aggregator's rows (for tests with recorded rows: [`collect_aggregator`]
/// runs the queries).
pub fn inventory_of(rows: &[(&str, Vec<String>, Option<String>)]) -> Inventory {
    let mut inv = Inventory::new("aws-config");
    let mut accounts: BTreeSet<String> = BTreeSet::new();
    for (kind, texts, error) in rows {
        if let Some(e) = error {
            inv.coverage.push(gap(
                "",
                None,
                "config:SelectAggregateResourceConfig",
                format!("{kind}: {e}"),
            ));
        }
        for text in texts {
            let item: Value = match serde_json::from_str(text) {
                Ok(v) => v,
                Err(e) => {
                    inv.coverage.push(gap(
                        "",
                        None,
                        "config:SelectAggregateResourceConfig",
                        format!("{kind}: a row is not JSON: {e}"),
                    ));
                    continue;
                }
            };
            if let Some(a) = item.get("accountId").and_then(Value::as_str) {
                accounts.insert(a.to_string());
            }
            let converted = match *kind {
                "AWS::IAM::Role" => config_items::role(&item).map(|r| inv.roles.push(r)),
                "AWS::Lambda::Function" => {
                    config_items::function(&item).map(|f| inv.functions.push(f))
                }
                _ => match config_items::managed_policy(&item) {
                    // AWS managed policies are embedded; Config records customer ones.
                    Ok(p) => {
                        inv.managed_policies.push(p);
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
            };
            if let Err(e) = converted {
                let id = item
                    .get("arn")
                    .or_else(|| item.get("resourceId"))
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                let account = item
                    .get("accountId")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                inv.coverage.push(gap(
                    account,
                    None,
                    "config:SelectAggregateResourceConfig",
                    format!("{kind} {id}: {e}"),
                ));
            }
        }
    }
    inv.accounts = accounts
        .into_iter()
        .map(|id| Account {
            id,
            ..Default::default()
        })
        .collect();
    let mut regions: Vec<String> = inv.functions.iter().map(|f| f.region.clone()).collect();
    regions.sort();
    regions.dedup();
    inv.regions = regions;
    inv.lacks = vec![
        data_kind::FUNCTION_URLS.to_string(),
        data_kind::SCPS.to_string(),
        data_kind::TRIGGERS.to_string(),
    ];
    inv.normalize();
    inv
}

/// Reads the Organization from the aggregator `name` (in `opts.home_region`).
pub async fn collect_aggregator(
    opts: &Options,
    name: &str,
) -> Result<(Inventory, Stats), CollectError> {
    let (base, shared, _) =
        crate::start(opts, crate::Progress::new(crate::ProgressMode::Quiet)).await?;
    let stats = shared.stats.clone();
    let client = aws_sdk_config::Client::from_conf(stats.config(&base));
    let mut rows = Vec::new();
    for (kind, q) in QUERIES {
        let (texts, error) = select_all(&client, name, q).await;
        rows.push((*kind, texts, error));
    }
    let mut inv = inventory_of(&rows);
    inv.collected_at = Some(crate::now_rfc3339());
    Ok((inv, stats))
}

/// The advanced queries of `rolecall config-query NAME`.
pub const NAMED_QUERIES: &[(&str, &str)] = &[
    (
        "shared-roles",
        "functions that share an execution role, most shared first",
    ),
    (
        "recent-role-changes",
        "roles whose configuration changed in the last --days days",
    ),
    (
        "untagged-functions",
        "functions missing a tag rolecall.toml requires",
    ),
];

/// The expression of a named query (`since` is an RFC 3339 time for `recent-role-changes`).
pub fn named_expression(name: &str, since: &str) -> Result<String, String> {
    match name {
        "shared-roles" => Ok("SELECT accountId, awsRegion, resourceName, configuration.role WHERE resourceType = 'AWS::Lambda::Function'".into()),
        "recent-role-changes" => {
            // The time is ours, but keep the quote out of the expression regardless.
            if since.contains('\'') {
                return Err(format!("`{since}` is not a time"));
            }
            Ok(format!("SELECT accountId, arn, resourceName, configurationItemCaptureTime, configuration.attachedManagedPolicies WHERE resourceType = 'AWS::IAM::Role' AND configurationItemCaptureTime > '{since}'"))
        }
        "untagged-functions" => Ok("SELECT accountId, awsRegion, arn, resourceName, tags WHERE resourceType = 'AWS::Lambda::Function'".into()),
        other => Err(format!(
            "`{other}` is not a query rolecall knows: {}",
            NAMED_QUERIES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        )),
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        cur = match cur.get(*p) {
            Some(x) => x,
            None => return "",
        };
    }
    cur.as_str().unwrap_or("")
}

/// The answer to a named query from its rows: one JSON object per line of the answer.
pub fn named_answer(name: &str, rows: &[String], required_tags: &[String]) -> Vec<Value> {
    let items: Vec<Value> = rows
        .iter()
        .filter_map(|r| serde_json::from_str(r).ok())
        .collect();
    match name {
        "shared-roles" => {
            let mut by_role: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
            for i in &items {
                let role = str_at(i, &["configuration", "role"]);
                if !role.is_empty() {
                    by_role.entry(role).or_default().push(format!(
                        "{}:{}:{}",
                        str_at(i, &["accountId"]),
                        str_at(i, &["awsRegion"]),
                        str_at(i, &["resourceName"])
                    ));
                }
            }
            let mut out: Vec<(usize, &str, Vec<String>)> = by_role
                .into_iter()
                .filter(|(_, f)| f.len() > 1)
                .map(|(r, mut f)| {
                    f.sort();
                    (f.len(), r, f)
                })
                .collect();
            out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
            out.into_iter()
                .map(|(n, r, f)| serde_json::json!({"role": r, "functions": n, "names": f}))
                .collect()
        }
        "recent-role-changes" => {
            let mut out: Vec<Value> = items
                .iter()
                .map(|i| {
                    let attached: Vec<&str> = i
                        .get("configuration")
                        .and_then(|c| c.get("attachedManagedPolicies"))
                        .and_then(Value::as_array)
                        .map(|l| l.iter().map(|p| str_at(p, &["policyArn"])).collect())
                        .unwrap_or_default();
                    serde_json::json!({"role": str_at(i, &["arn"]), "account": str_at(i, &["accountId"]),
                                       "changed": str_at(i, &["configurationItemCaptureTime"]), "attached": attached})
                })
                .collect();
            out.sort_by(|a, b| str_at(b, &["changed"]).cmp(str_at(a, &["changed"])));
            out
        }
        _ => items
            .iter()
            .filter_map(|i| {
                let tags: BTreeSet<String> = match i.get("tags") {
                    Some(Value::Array(l)) => l.iter().map(|t| str_at(t, &["key"]).to_string()).collect(),
                    Some(Value::Object(m)) => m.keys().cloned().collect(),
                    _ => BTreeSet::new(),
                };
                let missing: Vec<&String> = required_tags.iter().filter(|t| !tags.contains(*t)).collect();
                (!missing.is_empty()).then(|| serde_json::json!({"function": str_at(i, &["arn"]), "account": str_at(i, &["accountId"]),
                                                                 "region": str_at(i, &["awsRegion"]), "missing": missing}))
            })
            .collect(),
    }
}

/// Runs a named query against the aggregator.
pub async fn run_named(
    opts: &Options,
    aggregator: &str,
    name: &str,
    since: &str,
) -> Result<Vec<String>, String> {
    let expression = named_expression(name, since)?;
    let base = crate::sdk_config(
        opts.profile.as_deref(),
        opts.endpoint_url.as_deref(),
        &opts.home_region,
        opts.timeout,
    )
    .await;
    let stats = Stats::new();
    let client = aws_sdk_config::Client::from_conf(stats.config(&base));
    match select_all(&client, aggregator, &expression).await {
        (rows, None) => Ok(rows),
        (_, Some(e)) => Err(format!(
            "config:SelectAggregateResourceConfig on `{aggregator}`: {e}"
        )),
    }
}
