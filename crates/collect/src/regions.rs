//! Which regions to read, without EC2: the account's enabled regions (account:ListRegions), or
//! every region from SSM's global-infrastructure parameters.

use crate::{describe, gap, Shared};
use aws_config::SdkConfig;
use aws_sdk_account::types::RegionOptStatus;
use rolecall_inventory::CoverageEntry;

pub(crate) async fn enabled(
    shared: &Shared,
    cfg: &SdkConfig,
    account: &str,
) -> Result<Vec<String>, CoverageEntry> {
    let client = aws_sdk_account::Client::from_conf(shared.stats.account(cfg));
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _p = shared.sem.acquire().await;
            client
                .list_regions()
                .region_opt_status_contains(RegionOptStatus::Enabled)
                .region_opt_status_contains(RegionOptStatus::EnabledByDefault)
                .set_next_token(token.clone())
                .send()
                .await
        };
        match page {
            Ok(p) => {
                out.extend(
                    p.regions()
                        .iter()
                        .filter_map(|r| r.region_name().map(str::to_string)),
                );
                match p.next_token() {
                    Some(t) if Some(t) != token.as_deref() => token = Some(t.to_string()),
                    _ => break,
                }
            }
            Err(e) => {
                // Fall back to every region; the ones not enabled will show as coverage gaps.
                let why = describe(&e);
                return all(shared, cfg, account).await.map_err(|g| {
                    gap(
                        account,
                        None,
                        "account:ListRegions",
                        format!("{why}; and {}", g.error),
                    )
                });
            }
        }
    }
    out.sort();
    Ok(out)
}

pub(crate) async fn all(
    shared: &Shared,
    cfg: &SdkConfig,
    account: &str,
) -> Result<Vec<String>, CoverageEntry> {
    let client = aws_sdk_ssm::Client::from_conf(shared.stats.ssm(cfg));
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _p = shared.sem.acquire().await;
            client
                .get_parameters_by_path()
                .path("/aws/service/global-infrastructure/regions")
                .set_next_token(token.clone())
                .send()
                .await
        }
        .map_err(|e| gap(account, None, "ssm:GetParametersByPath", describe(&e)))?;
        out.extend(
            page.parameters()
                .iter()
                .filter_map(|p| p.value().map(str::to_string)),
        );
        match page.next_token() {
            Some(t) if Some(t) != token.as_deref() => token = Some(t.to_string()),
            _ => break,
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}
