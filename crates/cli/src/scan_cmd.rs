use crate::sources::SourceArgs;
use anyhow::{bail, Context as _, Result};
use clap::{Args, ValueEnum};
use rolecall_catalog::catalog;
use rolecall_checks::{scan, Config, ScanResult, Severity};
use rolecall_inventory::Inventory;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Format {
    Table,
    Json,
    Csv,
    Sarif,
    Asff,
    Markdown,
    Html,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

#[derive(Args)]
pub struct ScanArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Output format; repeat with --output to write several reports in one run (the n-th --format
    /// goes to the n-th --output; one without an output goes to standard output).
    #[arg(long = "format", value_enum)]
    formats: Vec<Format>,
    /// Where to write the report of the matching --format.
    #[arg(long = "output", value_name = "PATH")]
    outputs: Vec<PathBuf>,
    /// Exit 1 when a finding at or above this severity remains (after suppressions).
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Configuration file (default: rolecall.toml in the current directory, if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Rows of the remediation queue the table shows (0: all).
    #[arg(long, default_value_t = 40)]
    limit: usize,
    /// Evaluate age-based rules as of this day (YYYY-MM-DD) instead of the snapshot's date or today.
    #[arg(long, value_name = "DATE")]
    today: Option<String>,
}

pub fn run(a: ScanArgs) -> Result<ExitCode> {
    let (config, _) = Config::load(a.config.as_deref())?;
    if a.outputs.len() > a.formats.len().max(1) {
        bail!(
            "{} --output paths but {} --format values: give one --format per --output",
            a.outputs.len(),
            a.formats.len()
        );
    }
    let mut formats = a.formats.clone();
    if formats.is_empty() {
        formats.push(Format::Table);
    }
    let to_stdout = formats.len() - a.outputs.len();
    if to_stdout > 1 {
        bail!("only one report can go to standard output: give --output for the others");
    }
    let inv = a.source.load()?;
    let today = match &a.today {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .with_context(|| format!("--today {d:?}: expected YYYY-MM-DD"))?,
        None => inv
            .collected_at
            .as_deref()
            .and_then(|c| c.get(..10))
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .unwrap_or_else(today_utc),
    };
    let result = scan(&inv, catalog(), &config, today);
    // Reports to files first (nothing collected is lost if the terminal goes away), then stdout.
    for (f, path) in formats.iter().zip(&a.outputs) {
        write_report(*f, &result, &inv, Some(path), a.limit)?;
    }
    if let Some(f) = formats.get(a.outputs.len()) {
        write_report(*f, &result, &inv, None, a.limit)?;
    }
    let failing = a
        .fail_on
        .map(FailOn::severity)
        .is_some_and(|t| result.findings.iter().any(|f| f.severity >= t));
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn today_utc() -> chrono::NaiveDate {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.date_naive())
        .unwrap_or_default()
}

fn write_report(
    f: Format,
    r: &ScanResult,
    inv: &Inventory,
    path: Option<&Path>,
    limit: usize,
) -> Result<()> {
    match path {
        Some(p) => {
            rolecall_inventory::model::write_atomic(p, |w| render(f, r, inv, w, limit, false))
                .with_context(|| format!("{}: cannot write the report", p.display()))
        }
        None => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            render(f, r, inv, &mut out, limit, color)?;
            out.flush()?;
            Ok(())
        }
    }
}

fn render(
    f: Format,
    r: &ScanResult,
    inv: &Inventory,
    out: &mut dyn Write,
    limit: usize,
    color: bool,
) -> std::io::Result<()> {
    let pretty = |out: &mut dyn Write, v: &serde_json::Value| -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, v)?;
        writeln!(out)
    };
    match f {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, r)?;
            writeln!(out)
        }
        Format::Table => crate::table::write(out, r, limit, color),
        Format::Csv => out.write_all(rolecall_report::csv::render(r).as_bytes()),
        Format::Sarif => pretty(out, &rolecall_report::sarif::render(r)),
        Format::Asff => {
            let region = std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|_| "us-east-1".into());
            let ts = r
                .collected_at
                .clone()
                .unwrap_or_else(|| format!("{}T00:00:00Z", r.evaluated_on));
            pretty(
                out,
                &rolecall_report::asff::render(
                    r,
                    Some(inv),
                    &rolecall_report::asff::AsffOptions {
                        home_region: &region,
                        timestamp: &ts,
                    },
                ),
            )
        }
        Format::Markdown => out.write_all(
            rolecall_report::markdown::render(r, if limit == 0 { usize::MAX } else { limit })
                .as_bytes(),
        ),
        Format::Html => out.write_all(rolecall_report::html::render(r, Some(inv)).as_bytes()),
    }
}
