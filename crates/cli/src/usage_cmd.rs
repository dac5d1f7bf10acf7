use anyhow::Result;
use clap::{Args, ValueEnum};
use rolecall_inventory::Inventory;
use serde_json::json;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq, Debug)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Args)]
pub struct UsageArgs {
    /// Usage sources: `cloudtrail=DIR` or `cloudtrail=s3://bucket/prefix` (repeatable).
    #[arg(required = true, value_name = "SOURCE=WHERE")]
    sources: Vec<String>,
    /// Days of use to consider, ending at --until.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(i64).range(1..=3660))]
    usage_window: i64,
    /// Last day of the window (YYYY-MM-DD; default today).
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Credentials and endpoint for `cloudtrail=s3://...`.
    #[command(flatten)]
    live: crate::sources::LiveArgs,
}

/// Reads usage sources and prints what each role was seen doing: for checking log coverage, and
/// for measuring the reader.
pub fn run(a: UsageArgs) -> Result<ExitCode> {
    let mut inv = Inventory::new("usage");
    let today = crate::sources::scan_day(&inv, a.until.as_deref())?;
    crate::sources::add_usage(&mut inv, &a.sources, a.usage_window, today, &a.live)?;
    let usage = inv.usage.unwrap_or_default();
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&json!(usage))?),
        Format::Table => {
            println!("window {} .. {}", usage.window_start, usage.window_end);
            for (role, ru) in &usage.roles {
                let calls: u64 = ru.actions.values().map(|u| u.count).sum();
                println!(
                    "{role}  {} action(s), {calls} call(s), functions: {}",
                    ru.actions.len(),
                    ru.functions.join(", ")
                );
            }
            println!("{} role(s)", usage.roles.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
