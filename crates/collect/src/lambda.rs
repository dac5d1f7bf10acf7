//! Lambda, per region: functions, their URL configuration and resource policy, tags, event source
//! mappings, and API Gateway integrations.

use crate::iam::doc;
use crate::{all_pages, apigw, describe, gap, Shared};
use aws_config::SdkConfig;
use aws_sdk_lambda::types::{EventSourceMappingConfiguration, FunctionConfiguration};
use futures::stream::{self, StreamExt};
use rolecall_inventory::{Function, FunctionUrl, Inventory, Trigger};
use std::collections::{BTreeMap, HashMap};
use tokio::sync::Semaphore;

/// Every page of `ListFunctions`.
pub async fn list_functions(
    client: &aws_sdk_lambda::Client,
    sem: &Semaphore,
) -> crate::Paged<FunctionConfiguration> {
    all_pages(sem, |marker| async move {
        let page = client
            .list_functions()
            .set_marker(marker)
            .max_items(50)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok((
            page.functions().to_vec(),
            page.next_marker().map(str::to_string),
        ))
    })
    .await
}

/// Every page of `ListEventSourceMappings` for the region.
pub async fn list_event_source_mappings(
    client: &aws_sdk_lambda::Client,
    sem: &Semaphore,
) -> crate::Paged<EventSourceMappingConfiguration> {
    all_pages(sem, |marker| async move {
        let page = client
            .list_event_source_mappings()
            .set_marker(marker)
            .max_items(100)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok((
            page.event_source_mappings().to_vec(),
            page.next_marker().map(str::to_string),
        ))
    })
    .await
}

/// `arn:aws:lambda:r:a:function:name[:qualifier]` → the unqualified ARN.
pub fn unqualified(arn: &str) -> String {
    arn.splitn(8, ':').take(7).collect::<Vec<_>>().join(":")
}

fn source_kind(source_arn: &str) -> String {
    match source_arn.split(':').nth(2) {
        Some("kafka") => "kafka".into(),
        Some("mq") => "mq".into(),
        Some(s) => s.to_string(),
        None => "unknown".into(),
    }
}

/// A function with the answers to its two per-function calls (URL configuration, resource policy).
type Details = (
    FunctionConfiguration,
    Result<Option<FunctionUrl>, String>,
    Result<Option<String>, String>,
);

pub(crate) async fn collect_region(
    shared: &Shared,
    cfg: &SdkConfig,
    account: &str,
    region: &str,
) -> Inventory {
    collect_region_where(shared, cfg, account, region, &|_| true).await
}

/// The region's functions that `keep` selects (the others are listed, not read further).
pub(crate) async fn collect_region_where(
    shared: &Shared,
    cfg: &SdkConfig,
    account: &str,
    region: &str,
    keep: &(dyn Fn(&FunctionConfiguration) -> bool + Sync),
) -> Inventory {
    let mut inv = Inventory::new("aws");
    let client = aws_sdk_lambda::Client::from_conf(shared.stats.lambda(cfg));
    let (mut configs, error) = list_functions(&client, &shared.sem).await.split();
    configs.retain(|c| keep(c));
    if let Some(e) = error {
        inv.coverage
            .push(gap(account, Some(region), "lambda:ListFunctions", e));
        if configs.is_empty() {
            // A region that is not enabled, or no Lambda access: nothing else here will answer.
            shared.progress.region_done(account, region, 0, false);
            return inv;
        }
    }
    // Two calls per function: URL configuration and resource policy.
    let details: Vec<Details> = stream::iter(configs)
        .map(|c| {
            let client = client.clone();
            async move {
                let name = c.function_name().unwrap_or_default().to_string();
                let url = {
                    let _p = shared.sem.acquire().await;
                    client
                        .get_function_url_config()
                        .function_name(&name)
                        .send()
                        .await
                };
                let url = match url {
                    Ok(u) => Ok(Some(FunctionUrl {
                        auth_type: u.auth_type().as_str().to_string(),
                        url: Some(u.function_url().to_string()),
                    })),
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|s| s.is_resource_not_found_exception()) =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(describe(&e)),
                };
                let policy = {
                    let _p = shared.sem.acquire().await;
                    client.get_policy().function_name(&name).send().await
                };
                let policy = match policy {
                    Ok(p) => Ok(p.policy().map(str::to_string)),
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|s| s.is_resource_not_found_exception()) =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(describe(&e)),
                };
                (c, url, policy)
            }
        })
        .buffer_unordered(shared.opts.concurrency.max(1))
        .collect()
        .await;

    let (tags, error) = tags_by_arn(shared, cfg).await;
    if let Some(e) = error {
        inv.coverage
            .push(gap(account, Some(region), "tag:GetResources", e));
    }
    let mut triggers: HashMap<String, Vec<Trigger>> = HashMap::new();
    let (mappings, error) = list_event_source_mappings(&client, &shared.sem)
        .await
        .split();
    for esm in mappings {
        if let (Some(f), Some(src)) = (esm.function_arn(), esm.event_source_arn()) {
            triggers.entry(unqualified(f)).or_default().push(Trigger {
                kind: source_kind(src),
                source_arn: Some(src.to_string()),
            });
        }
    }
    if let Some(e) = error {
        inv.coverage.push(gap(
            account,
            Some(region),
            "lambda:ListEventSourceMappings",
            e,
        ));
    }
    for (f, t) in apigw::integrations(shared, cfg, account, region, &mut inv.coverage).await {
        triggers.entry(f).or_default().push(t);
    }

    let mut ok = true;
    for (c, url, policy) in details {
        let Some(arn) = c.function_arn().map(str::to_string) else {
            continue;
        };
        let name = c.function_name().unwrap_or_default().to_string();
        let url = url.unwrap_or_else(|e| {
            ok = false;
            inv.coverage.push(gap(
                account,
                Some(region),
                "lambda:GetFunctionUrlConfig",
                format!("{name}: {e}"),
            ));
            None
        });
        let policy = policy.unwrap_or_else(|e| {
            ok = false;
            inv.coverage.push(gap(
                account,
                Some(region),
                "lambda:GetPolicy",
                format!("{name}: {e}"),
            ));
            None
        });
        let mut trig = triggers.remove(&arn).unwrap_or_default();
        trig.sort_by(|a, b| (&a.kind, &a.source_arn).cmp(&(&b.kind, &b.source_arn)));
        inv.functions.push(Function {
            tags: tags.get(&arn).cloned().unwrap_or_default(),
            runtime: c.runtime().map(|r| r.as_str().to_string()),
            role_arn: c.role().unwrap_or_default().to_string(),
            last_modified: c.last_modified().map(str::to_string),
            tracing_mode: c
                .tracing_config()
                .and_then(|t| t.mode())
                .map(|m| m.as_str().to_string()),
            vpc_subnet_ids: c
                .vpc_config()
                .map(|v| v.subnet_ids().to_vec())
                .unwrap_or_default(),
            url,
            resource_policy: policy.as_deref().map(doc),
            triggers: trig,
            account: account.to_string(),
            region: region.to_string(),
            name,
            arn,
        });
    }
    shared.progress.region_done(
        account,
        region,
        inv.functions.len(),
        ok && inv.coverage.is_empty(),
    );
    inv
}

/// Tags of every function in the region, from the Resource Groups Tagging API (pages of 100).
async fn tags_by_arn(
    shared: &Shared,
    cfg: &SdkConfig,
) -> (HashMap<String, BTreeMap<String, String>>, Option<String>) {
    let client = aws_sdk_resourcegroupstagging::Client::from_conf(shared.stats.tagging(cfg));
    let client = &client;
    let mappings = all_pages(&shared.sem, |token| async move {
        let page = client
            .get_resources()
            .resource_type_filters("lambda:function")
            .resources_per_page(100)
            .set_pagination_token(token)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok((
            page.resource_tag_mapping_list().to_vec(),
            page.pagination_token().map(str::to_string),
        ))
    })
    .await
    .split();
    let (mappings, error) = mappings;
    let tags = mappings
        .iter()
        .filter_map(|m| {
            m.resource_arn().map(|arn| {
                (
                    unqualified(arn),
                    m.tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect(),
                )
            })
        })
        .collect();
    (tags, error)
}
