//! IAM Access Advisor, per execution role: `GenerateServiceLastAccessedDetails` at action level,
//! then `GetServiceLastAccessedDetails` until the job completes. Services AWS tracks at action level
//! give actions (`s3:GetObject`); the others give the whole service (`sqs:*`).

use crate::describe;
use aws_sdk_iam::types::{AccessAdvisorUsageGranularityType, JobStatusType};
use rolecall_inventory::ActionUse;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::Semaphore;

/// What `role_arn` used since `since` (epoch seconds), as IAM actions or `service:*`.
pub async fn last_accessed(
    client: &aws_sdk_iam::Client,
    sem: &Semaphore,
    role_arn: &str,
    since: i64,
    poll: Duration,
) -> Result<BTreeMap<String, ActionUse>, String> {
    let job = {
        let _p = sem.acquire().await;
        client
            .generate_service_last_accessed_details()
            .arn(role_arn)
            .granularity(AccessAdvisorUsageGranularityType::ActionLevel)
            .send()
            .await
    }
    .map_err(|e| describe(&e))?;
    let job_id = job
        .job_id()
        .ok_or("GenerateServiceLastAccessedDetails returned no JobId")?
        .to_string();
    let mut out = BTreeMap::new();
    let mut marker: Option<String> = None;
    for _ in 0..120 {
        let page = {
            let _p = sem.acquire().await;
            client
                .get_service_last_accessed_details()
                .job_id(&job_id)
                .set_marker(marker.clone())
                .send()
                .await
        }
        .map_err(|e| describe(&e))?;
        match page.job_status() {
            JobStatusType::InProgress => {
                tokio::time::sleep(poll).await;
                continue;
            }
            JobStatusType::Failed => {
                return Err(format!(
                    "Access Advisor job failed: {}",
                    page.error().map(|e| e.message()).unwrap_or("no detail")
                ));
            }
            _ => {}
        }
        for s in page.services_last_accessed() {
            let Some(when) = s.last_authenticated().filter(|t| t.secs() >= since) else {
                continue;
            };
            let ns = s.service_namespace();
            let tracked: Vec<_> = s
                .tracked_actions_last_accessed()
                .iter()
                .filter(|a| a.last_accessed_time().is_some_and(|t| t.secs() >= since))
                .collect();
            if s.tracked_actions_last_accessed().is_empty() {
                out.insert(
                    format!("{ns}:*"),
                    ActionUse {
                        count: 1,
                        resources: Vec::new(),
                        last_seen: Some(when.to_string()),
                        direct: true,
                        ..Default::default()
                    },
                );
            }
            for a in tracked {
                if let (Some(name), Some(t)) = (a.action_name(), a.last_accessed_time()) {
                    out.insert(
                        format!("{ns}:{name}"),
                        ActionUse {
                            count: 1,
                            resources: Vec::new(),
                            last_seen: Some(t.to_string()),
                            direct: true,
                            ..Default::default()
                        },
                    );
                }
            }
        }
        match (page.is_truncated(), page.marker()) {
            (true, Some(m)) if Some(m) != marker.as_deref() => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
    Err("Access Advisor job did not complete in time".into())
}
