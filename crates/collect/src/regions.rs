//! Which regions to read, without EC2: the account's enabled regions (account:ListRegions), or
//! every region from SSM's global-infrastructure parameters.

use crate::{all_pages, describe, gap, Shared};
use aws_config::SdkConfig;
use aws_sdk_account::types::RegionOptStatus;
use rolecall_inventory::CoverageEntry;

pub(crate) async fn enabled(
    shared: &Shared,
    cfg: &SdkConfig,
    account: &str,
) -> Result<Vec<String>, CoverageEntry> {
    let client = aws_sdk_account::Client::from_conf(shared.stats.account(cfg));
    let client = &client;
    let listed = all_pages(&shared.sem, |token| async move {
        let page = client
            .list_regions()
            .region_opt_status_contains(RegionOptStatus::Enabled)
            .region_opt_status_contains(RegionOptStatus::EnabledByDefault)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok((
            page.regions()
                .iter()
                .filter_map(|r| r.region_name().map(str::to_string))
                .collect(),
            page.next_token().map(str::to_string),
        ))
    })
    .await
    .into_result();
    match listed {
        Ok(mut out) => {
            out.sort();
            Ok(out)
        }
        // Fall back to every region; the ones not enabled will show as coverage gaps.
        Err(why) => all(shared, cfg, account).await.map_err(|g| {
            gap(
                account,
                None,
                "account:ListRegions",
                format!("{why}; and {}", g.error),
            )
        }),
    }
}

pub(crate) async fn all(
    shared: &Shared,
    cfg: &SdkConfig,
    account: &str,
) -> Result<Vec<String>, CoverageEntry> {
    let client = aws_sdk_ssm::Client::from_conf(shared.stats.ssm(cfg));
    let client = &client;
    let mut out = all_pages(&shared.sem, |token| async move {
        let page = client
            .get_parameters_by_path()
            .path("/aws/service/global-infrastructure/regions")
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok((
            page.parameters()
                .iter()
                .filter_map(|p| p.value().map(str::to_string))
                .collect(),
            page.next_token().map(str::to_string),
        ))
    })
    .await
    .into_result()
    .map_err(|e| gap(account, None, "ssm:GetParametersByPath", e))?;
    out.sort();
    out.dedup();
    Ok(out)
}
