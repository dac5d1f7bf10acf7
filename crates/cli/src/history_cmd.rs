use anyhow::Result;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq, Debug)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Args)]
pub struct HistoryArgs {
    /// The SQLite history `scan --history PATH` writes.
    #[arg(long, value_name = "PATH", required = true)]
    history: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(a: HistoryArgs) -> Result<ExitCode> {
    if !a.history.exists() {
        anyhow::bail!("--history {}: no such file", a.history.display());
    }
    let store = rolecall_history::Store::open(&a.history)?;
    let scans = store.scans()?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&scans)?),
        Format::Table => {
            let clean = |s: &str| crate::table::clean(s, 60);
            println!(
                "{:>5}  {:<20}  {:>9}  {:>6}  {:>8}  {:>4}  {:>5}  {:>9}  source / scope",
                "scan", "at", "functions", "roles", "findings", "new", "fixed", "regressed"
            );
            for s in &scans {
                println!(
                    "{:>5}  {:<20}  {:>9}  {:>6}  {:>8}  {:>4}  {:>5}  {:>9}  {} / {}",
                    s.id,
                    clean(&s.at),
                    s.functions,
                    s.roles,
                    s.findings,
                    s.new,
                    s.fixed,
                    s.regressed,
                    clean(&s.source),
                    clean(&s.scope)
                );
            }
            println!("{} scan(s)", scans.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
