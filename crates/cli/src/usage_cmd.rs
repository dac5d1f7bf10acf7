use anyhow::Result;
use clap::{Args, ValueEnum};
use rolecall_inventory::Inventory;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq, Debug)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Args)]
pub struct UsageArgs {
    /// Usage sources (repeatable): `cloudtrail=DIR|FILE`, `cloudtrail=s3://bucket/prefix`,
    /// `athena=DATABASE.TABLE`, `cloudtrail-lake=EVENT_DATA_STORE`,
    /// `access-analyzer-findings=ANALYZER_ARN`.
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

/// Reads usage sources and prints what each role was seen doing, what the logs cover and what
/// could not be mapped: for checking log coverage, and for measuring the reader. Exit 2 when a
/// file could not be read (what was read is still printed).
pub fn run(a: UsageArgs) -> Result<ExitCode> {
    let mut inv = Inventory::new("usage");
    let today = crate::sources::scan_day(&inv, a.until.as_deref())?;
    let stats = crate::sources::add_usage(&mut inv, &a.sources, a.usage_window, today, &a.live)?
        .unwrap_or_default();
    let usage = inv.usage.unwrap_or_default();
    let clean = |s: &str| crate::table::clean(s, 200);
    match a.format {
        Format::Json => {
            // Written from the data as it is, without a copy into a JSON tree.
            #[derive(serde::Serialize)]
            struct Out<'a> {
                usage: &'a rolecall_inventory::Usage,
                stats: &'a rolecall_usage::ReadStats,
                window_days: usize,
            }
            let out = std::io::stdout().lock();
            let mut w = std::io::BufWriter::new(out);
            serde_json::to_writer_pretty(
                &mut w,
                &Out {
                    usage: &usage,
                    stats: &stats,
                    window_days: usage.window_days().len(),
                },
            )?;
            use std::io::Write as _;
            writeln!(w)?;
        }
        Format::Table => {
            println!(
                "window {} .. {}",
                clean(&usage.window_start),
                clean(&usage.window_end)
            );
            let total_days = usage.window_days().len();
            if let Some(c) = &usage.coverage {
                println!("coverage:");
                if c.accounts.is_empty() {
                    println!("  no account: the sources hold no event in the window");
                }
                for (acct, ac) in &c.accounts {
                    let (days, _) = usage.days_covered(acct);
                    let classes: Vec<String> =
                        ac.events.iter().map(|(k, n)| format!("{k} {n}")).collect();
                    println!(
                        "  {}  {} of {} day(s){}; region(s) {}; events: {}; data events of {}",
                        clean(acct),
                        days,
                        total_days,
                        if days < total_days {
                            " (partial window)"
                        } else {
                            ""
                        },
                        if ac.regions.is_empty() {
                            "-".to_string()
                        } else {
                            clean(&ac.regions.iter().cloned().collect::<Vec<_>>().join(", "))
                        },
                        if classes.is_empty() {
                            "-".to_string()
                        } else {
                            clean(&classes.join(", "))
                        },
                        if ac.data_events.is_empty() {
                            "no service (S3 object reads, Lambda invocations, DynamoDB item calls are not observable)".to_string()
                        } else {
                            clean(
                                &ac.data_events
                                    .iter()
                                    .cloned()
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            )
                        }
                    );
                }
            }
            for (role, ru) in &usage.roles {
                let calls: u64 = ru.actions.values().map(|u| u.count).sum();
                println!(
                    "{}  {} action(s), {calls} call(s), functions: {}",
                    clean(role),
                    ru.actions.len(),
                    clean(&ru.functions.join(", "))
                );
                if !ru.denied.is_empty() {
                    let d: Vec<String> = ru
                        .denied
                        .iter()
                        .map(|(a, n)| format!("{a} ({n})"))
                        .collect();
                    println!(
                        "  denied (a missing permission or a probe): {}",
                        clean(&d.join(", "))
                    );
                }
            }
            println!("{} role(s)", usage.roles.len());
            if let Some(a) = &usage.analyzer {
                println!(
                    "IAM Access Analyzer ({}): unused-access findings for {} role(s) in account(s) {}",
                    clean(&a.analyzers.join(", ")),
                    a.roles.len(),
                    clean(&a.accounts.iter().cloned().collect::<Vec<_>>().join(", "))
                );
                for (role, r) in &a.roles {
                    if r.unused_role {
                        println!("  {}  unused role", clean(role));
                    } else {
                        println!(
                            "  {}  {} unused: {}",
                            clean(role),
                            r.unused.len(),
                            clean(&r.unused.join(", "))
                        );
                    }
                }
            }
            if !stats.unknown_actions.is_empty() {
                println!("events no IAM action is known for (not counted as use):");
                let mut all: Vec<(&String, &u64)> = stats.unknown_actions.iter().collect();
                all.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                for (k, n) in all {
                    println!("  {n:>8}  {}", clean(k));
                }
            }
        }
    }
    if !stats.bad_files.is_empty() {
        eprintln!(
            "error: {} file(s) could not be read as CloudTrail events (first: {}); what was read is shown",
            stats.bad_files.len(),
            stats.bad_files.first().map(|b| clean(b)).unwrap_or_default()
        );
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
