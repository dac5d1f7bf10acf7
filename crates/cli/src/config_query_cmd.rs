//! `rolecall config-query NAME --config-aggregator AGG`: the questions an AWS Config aggregator
//! answers about the Organization without touching its accounts.

use crate::sources::LiveArgs;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct ConfigQueryArgs {
    /// shared-roles, recent-role-changes or untagged-functions.
    pub name: String,
    /// How far back `recent-role-changes` looks.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// table or json.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Configuration file (the required tags of `untagged-functions`; default: the nearest rolecall.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
}

pub fn run(a: ConfigQueryArgs) -> Result<ExitCode> {
    let Some(aggregator) = a.live.config_aggregator.clone() else {
        bail!("--config-aggregator NAME is required: the aggregator whose advanced query answers");
    };
    if !["table", "json"].contains(&a.format.as_str()) {
        bail!("--format {:?}: expected table or json", a.format);
    }
    let (config, _) = rolecall_checks::Config::load(a.config.as_deref())?;
    rolecall_collect::aggregator::named_expression(&a.name, "").map_err(anyhow::Error::msg)?;
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
        - i64::from(a.days) * 86_400;
    let since = chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    let opts = rolecall_collect::Options {
        profile: a.live.profile.clone(),
        endpoint_url: a.live.endpoint_url.clone(),
        timeout: std::time::Duration::from_secs(a.live.timeout),
        home_region: std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|_| "us-east-1".into()),
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let rows = rt
        .block_on(Box::pin(rolecall_collect::aggregator::run_named(
            &opts,
            &aggregator,
            &a.name,
            &since,
        )))
        .map_err(anyhow::Error::msg)?;
    let answer = rolecall_collect::aggregator::named_answer(&a.name, &rows, &config.tags.required);
    let mut out = String::new();
    if a.format == "json" {
        out = serde_json::to_string_pretty(&answer)?;
        out.push('\n');
    } else {
        for row in &answer {
            let cells: Vec<String> = row
                .as_object()
                .map(|m| {
                    m.values()
                        .map(|v| match v {
                            serde_json::Value::String(s) => crate::table::esc(s),
                            other => crate::table::esc(&other.to_string()),
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push_str(&cells.join("  "));
            out.push('\n');
        }
        out.push_str(&format!("{} row(s)\n", answer.len()));
    }
    std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
