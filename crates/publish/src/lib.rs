//! The only code that writes to AWS (and to chat): Security Hub findings, reports in S3, SNS and
//! Slack notifications. Callers write local reports first, so a failed publish loses nothing.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod config_rule;
mod email;
mod securityhub;

pub use config_rule::{
    put_evaluations, put_evaluations_with, ConfigEvaluation, PutOutcome, ANNOTATION_LIMIT, BATCH,
};
pub use email::{mime_message, send_email, Attachment};
pub use securityhub::{
    annotate_findings, annotate_findings_with, security_hub, security_hub_scoped, FindingNote,
    Scope, SecurityHubOutcome,
};

use aws_config::SdkConfig;
use aws_types::region::Region;
use rolecall_checks::{ScanResult, Severity};
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{target}: {message}")]
    Failed { target: String, message: String },
}

pub(crate) fn fail(target: &str, message: impl Into<String>) -> PublishError {
    PublishError::Failed {
        target: target.to_string(),
        message: message.into(),
    }
}

pub(crate) use rolecall_collect::describe;

/// `s3://bucket/prefix/` → (bucket, prefix without slashes at the ends).
pub fn parse_s3_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_string(), prefix.trim_matches('/').to_string()))
}

/// The key a report goes to: `prefix/YYYY/MM/DD/name`.
pub fn s3_key(prefix: &str, date: &str, name: &str) -> String {
    let day = date.get(..10).unwrap_or(date).replace('-', "/");
    if prefix.is_empty() {
        format!("{day}/{name}")
    } else {
        format!("{prefix}/{day}/{name}")
    }
}

/// Puts one report into S3; returns `s3://bucket/key`.
pub async fn s3_put(
    cfg: &SdkConfig,
    url: &str,
    date: &str,
    name: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<String, PublishError> {
    let (bucket, prefix) =
        parse_s3_url(url).ok_or_else(|| fail(url, "expected s3://bucket/prefix/"))?;
    let key = s3_key(&prefix, date, name);
    s3_put_object(cfg, &bucket, &key, content_type, body).await
}

/// Puts one object (server-side encrypted) at `bucket`/`key`; returns `s3://bucket/key`.
pub async fn s3_put_object(
    cfg: &SdkConfig,
    bucket: &str,
    key: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<String, PublishError> {
    let url = format!("s3://{bucket}/{key}");
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(cfg)
            .force_path_style(true)
            .build(),
    );
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
        .body(body.into())
        .send()
        .await
        .map_err(|e| fail(&url, describe(&e)))?;
    Ok(url)
}

/// The notification text: new critical and high findings (not in `previous_ids`), by owner team.
/// None when there is nothing new to say.
pub fn summary(r: &ScanResult, previous_ids: &HashSet<String>) -> Option<String> {
    let new: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::High && !previous_ids.contains(&f.id))
        .collect();
    if new.is_empty() {
        return None;
    }
    let mut by_team: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &new {
        let team = f.team.clone().unwrap_or_else(|| "(no owner tag)".into());
        by_team.entry(team).or_default().push(format!(
            "[{}] {} {} (risk {}): {}",
            f.severity, f.code, f.name, f.risk_score, f.title
        ));
    }
    let critical = new
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    let mut text = format!(
        "rolecall: {} new critical and {} new high finding(s) in Lambda execution roles ({} functions, {} roles scanned{}).\n",
        critical,
        new.len() - critical,
        r.summary.functions,
        r.summary.roles,
        if r.coverage.complete { "" } else { "; coverage incomplete" }
    );
    for (team, items) in by_team {
        text.push_str(&format!("\nTeam {team}:\n"));
        for i in items.iter().take(20) {
            text.push_str(&format!("  - {i}\n"));
        }
        if items.len() > 20 {
            text.push_str(&format!("  - ... and {} more\n", items.len() - 20));
        }
    }
    Some(text)
}

pub async fn sns(cfg: &SdkConfig, topic_arn: &str, message: &str) -> Result<(), PublishError> {
    let region = topic_arn
        .split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    let mut b = aws_sdk_sns::config::Builder::from(cfg);
    if let Some(r) = region {
        b = b.region(Region::new(r));
    }
    let client = aws_sdk_sns::Client::from_conf(b.build());
    client
        .publish()
        .topic_arn(topic_arn)
        .subject("rolecall: new critical and high findings")
        .message(message)
        .send()
        .await
        .map_err(|e| fail(topic_arn, describe(&e)))?;
    Ok(())
}

/// Slack's message text escaping: `&`, `<` and `>` become entities, so names that hold
/// `<!channel>`, `<https://evil|click>` or `&` are shown, never acted on.
pub fn slack_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Posts `{"text": message}` (escaped) to a Slack incoming webhook, within `timeout` for the
/// whole exchange.
pub fn slack(url: &str, message: &str, timeout: std::time::Duration) -> Result<(), PublishError> {
    let body = serde_json::json!({"text": slack_escape(message)}).to_string();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .build()
        .into();
    let resp = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body.as_bytes())
        .map_err(|e| fail("slack webhook", e.to_string()))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(fail("slack webhook", format!("HTTP {status}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_text_is_escaped() {
        assert_eq!(
            slack_escape("<!channel> <https://e.example|x> & role>"),
            "&lt;!channel&gt; &lt;https://e.example|x&gt; &amp; role&gt;"
        );
    }

    #[test]
    fn s3_urls_and_keys() {
        assert_eq!(
            parse_s3_url("s3://b/reports/rolecall/"),
            Some(("b".into(), "reports/rolecall".into()))
        );
        assert_eq!(parse_s3_url("s3://b"), Some(("b".into(), "".into())));
        assert_eq!(parse_s3_url("https://b"), None);
        assert_eq!(
            s3_key("reports", "2026-11-30T06:00:00Z", "rolecall.html"),
            "reports/2026/11/30/rolecall.html"
        );
        assert_eq!(s3_key("", "2026-11-30", "r.json"), "2026/11/30/r.json");
    }
}
