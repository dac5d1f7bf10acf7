//! Publishing after a scan: reports to S3, findings to Security Hub, summaries to SNS and Slack.
//! Each step is attempted; failures are reported and counted, never hidden.

use crate::scan_cmd::{render, Format};
use crate::sources::LiveArgs;
use rolecall_checks::ScanResult;
use rolecall_inventory::Inventory;
use std::collections::HashSet;

/// What to publish after a scan.
pub struct PublishRequest<'a> {
    pub live: &'a LiveArgs,
    pub result: &'a ScanResult,
    pub inventory: &'a Inventory,
    /// Reports for S3: (format, `s3://bucket/prefix/`).
    pub s3: &'a [(Format, String)],
    pub security_hub: bool,
    /// `("slack", url)` or `("sns", topic ARN)`.
    pub notify: &'a [(String, String)],
    /// Finding ids of an earlier report: not "new".
    pub previous: &'a HashSet<String>,
    pub limit: usize,
    /// Findings were filtered (--code, --severity...): what is absent was not looked at, so
    /// nothing is resolved in Security Hub.
    pub filtered: bool,
}

/// Publishes on a thread with a generous stack (the SDK's futures are large in debug builds).
/// Returns how many steps failed.
pub fn publish(req: &PublishRequest<'_>) -> usize {
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("publish".into())
            .stack_size(64 << 20)
            .spawn_scoped(scope, || publish_on_this_thread(req))
        {
            Ok(h) => h.join().unwrap_or(1),
            Err(e) => {
                eprintln!("error: cannot start the publishing thread: {e}");
                1
            }
        }
    })
}

fn publish_on_this_thread(req: &PublishRequest<'_>) -> usize {
    let PublishRequest {
        live,
        result: r,
        inventory: inv,
        s3,
        security_hub,
        notify,
        previous,
        limit,
        filtered,
    } = *req;
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| "us-east-1".into());
    let now = r
        .collected_at
        .clone()
        .unwrap_or_else(|| format!("{}T00:00:00Z", r.evaluated_on));
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let mut failures = 0;
    let mut report = |res: Result<String, rolecall_publish::PublishError>| match res {
        Ok(msg) => eprintln!("published: {msg}"),
        Err(e) => {
            failures += 1;
            eprintln!("error: publishing to {e}");
        }
    };
    rt.block_on(async {
        let cfg = rolecall_collect::sdk_config(
            live.profile.as_deref(),
            live.endpoint_url.as_deref(),
            &region,
            std::time::Duration::from_secs(live.timeout),
        )
        .await;
        for (f, url) in s3 {
            let mut body = Vec::new();
            if let Err(e) = render(*f, r, inv, &mut body, limit, false) {
                report(Err(rolecall_publish::PublishError::Failed {
                    target: url.clone(),
                    message: e.to_string(),
                }));
                continue;
            }
            let (ext, ctype) = f.ext();
            report(
                rolecall_publish::s3_put(&cfg, url, &now, &format!("rolecall.{ext}"), ctype, body)
                    .await,
            );
        }
        if security_hub {
            let findings = rolecall_report::asff::render(
                r,
                Some(inv),
                &rolecall_report::asff::AsffOptions {
                    home_region: &region,
                    timestamp: &now,
                },
            );
            let list = findings.as_array().cloned().unwrap_or_default();
            let mut accounts: HashSet<String> = r.roles.iter().map(|x| x.account.clone()).collect();
            accounts.extend(r.functions.iter().map(|x| x.account.clone()));
            accounts.extend(inv.accounts.iter().map(|a| a.id.clone()));
            // Only accounts read completely: a finding missing from an account that could not
            // be read (or from a filtered run) is unknown, not fixed, and stays open.
            for g in &r.coverage.failures {
                accounts.remove(&g.account);
            }
            if filtered {
                eprintln!("note: the findings were filtered: nothing is resolved in Security Hub");
                accounts.clear();
            } else if !r.coverage.complete {
                eprintln!(
                    "note: accounts with coverage gaps keep their Security Hub findings open"
                );
            }
            report(
                rolecall_publish::security_hub(&cfg, &list, &accounts, &now)
                    .await
                    .and_then(|o| {
                        if o.failed.is_empty() {
                            Ok(format!(
                                "Security Hub: {} finding(s) imported, {} resolved",
                                o.imported, o.resolved
                            ))
                        } else {
                            Err(rolecall_publish::PublishError::Failed {
                                target: "Security Hub".into(),
                                message: format!(
                                    "{} finding(s) rejected: {}",
                                    o.failed.len(),
                                    o.failed.join("; ")
                                ),
                            })
                        }
                    }),
            );
        }
        if let Some(text) = rolecall_publish::summary(r, previous) {
            for (kind, target) in notify {
                match kind.as_str() {
                    "sns" => report(
                        rolecall_publish::sns(&cfg, target, &text)
                            .await
                            .map(|_| format!("SNS {target}")),
                    ),
                    _ => report(
                        rolecall_publish::slack(
                            target,
                            &text,
                            std::time::Duration::from_secs(live.timeout),
                        )
                        .map(|_| "Slack".to_string()),
                    ),
                }
            }
        } else if !notify.is_empty() {
            eprintln!("published: nothing new at critical or high: no notification sent");
        }
    });
    failures
}
