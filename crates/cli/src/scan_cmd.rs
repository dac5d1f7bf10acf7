use crate::sources::SourceArgs;
use anyhow::{bail, Context as _, Result};
use clap::{Args, ValueEnum};
use rolecall_catalog::catalog;
use rolecall_checks::{scan, Config, ScanResult, Severity};
use rolecall_inventory::Inventory;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Format {
    Table,
    Json,
    Csv,
    Sarif,
    Asff,
    Ocsf,
    Markdown,
    Html,
}

impl Format {
    /// File extension and content type of the report.
    pub fn ext(self) -> (&'static str, &'static str) {
        match self {
            Format::Table => ("txt", "text/plain; charset=utf-8"),
            Format::Json => ("json", "application/json"),
            Format::Csv => ("csv", "text/csv; charset=utf-8"),
            Format::Sarif => ("sarif", "application/sarif+json"),
            Format::Asff => ("asff.json", "application/json"),
            Format::Ocsf => ("ocsf.json", "application/json"),
            Format::Markdown => ("md", "text/markdown; charset=utf-8"),
            Format::Html => ("html", "text/html; charset=utf-8"),
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    pub fn severity(self) -> Severity {
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
    #[command(flatten)]
    filter: crate::sources::FilterArgs,
    /// Colour in the terminal report: auto (a terminal, unless NO_COLOR or TERM=dumb), always,
    /// never.
    #[arg(long, value_enum, default_value_t)]
    color: crate::table::ColorChoice,
    /// Output format; repeat with --output to write several reports in one run (the n-th --format
    /// goes to the n-th --output; one without an output goes to standard output).
    #[arg(long = "format", value_enum)]
    formats: Vec<Format>,
    /// Where to write the report of the matching --format: a file (written atomically), `-` for
    /// standard output, or `s3://bucket/prefix/` (written under `prefix/YYYY/MM/DD/` after the
    /// local reports).
    #[arg(long = "output", value_name = "PATH")]
    outputs: Vec<PathBuf>,
    /// Exit 1 when a finding at or above this severity remains (after suppressions).
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// With --history: exit 1 only when a finding at or above this severity is new or
    /// regressed since the previous scan of the scope (a baseline gate: what was already open
    /// does not fail the run).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on_new: Option<FailOn>,
    /// Configuration file (default: the nearest rolecall.toml, from the current directory up to
    /// the repository root).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Rows of the remediation queue the table shows (0: all).
    #[arg(long, default_value_t = 40)]
    limit: usize,
    /// Evaluate age-based rules as of this day (YYYY-MM-DD) instead of the snapshot's date or today.
    #[arg(long, value_name = "DATE")]
    today: Option<String>,
    /// Import the findings into AWS Security Hub (BatchImportFindings); findings of an earlier run
    /// that are gone are resolved and archived.
    #[arg(long)]
    security_hub: bool,
    /// Send a summary of new critical and high findings: `slack=WEBHOOK_URL` or `sns=TOPIC_ARN`
    /// (repeatable).
    #[arg(long, value_name = "TARGET=WHERE")]
    notify: Vec<String>,
    /// An earlier JSON report: findings already in it are not "new" for --notify.
    #[arg(long, value_name = "REPORT.json")]
    previous: Option<PathBuf>,
    /// Observed use (repeatable): `cloudtrail=DIR|FILE` or `cloudtrail=s3://bucket/prefix`
    /// (CloudTrail events in any shape), `athena=DATABASE.TABLE` or
    /// `cloudtrail-lake=EVENT_DATA_STORE` (one aggregating query), `access-analyzer-findings=ARN`
    /// (IAM Access Analyzer unused-access findings), `access-advisor` (during a live collection).
    /// Enables the permission gap and rules LR601/LR602 where the sources cover the role.
    #[arg(long, value_name = "SOURCE=WHERE")]
    usage: Vec<String>,
    /// Record the scan in this SQLite history (created if absent): each finding gets its
    /// `status` (new, open, regressed) and `first_seen` against the previous scan of the same
    /// accounts and regions, and findings no longer found are marked fixed there.
    #[arg(long, value_name = "PATH")]
    history: Option<PathBuf>,
    /// An approved baseline (`rolecall baseline --output FILE`): report drift from it (LR801
    /// drift-beyond-baseline, LR802 unreviewed-role, LR803 boundary-removed).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Days of use to consider, ending at the collection time.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(i64).range(1..=3660))]
    usage_window: i64,
    /// Accept partial coverage (accounts, regions or APIs that could not be read): exit by
    /// --fail-on instead of 2. A failure to list the Organization, or reading nothing, is still 2.
    #[arg(long)]
    allow_partial: bool,
    /// Order of the queue: by risk (default) or by the permission gap of the role.
    #[arg(long, value_enum, default_value_t = SortBy::Risk)]
    sort: SortBy,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum SortBy {
    Risk,
    Gap,
}

pub fn run(a: ScanArgs) -> Result<ExitCode> {
    let (mut config, _) = Config::load(a.config.as_deref())?;
    crate::baseline_cmd::load_into(&mut config, a.baseline.as_ref())?;
    if a.outputs.len() > a.formats.len().max(1) {
        bail!(
            "{} --output paths but {} --format values: give one --format per --output",
            a.outputs.len(),
            a.formats.len()
        );
    }
    let notify: Vec<(String, String)> = a
        .notify
        .iter()
        .map(|n| match n.split_once('=') {
            Some((k @ ("slack" | "sns"), v)) if !v.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("--notify {n:?}: expected slack=WEBHOOK_URL or sns=TOPIC_ARN"),
        })
        .collect::<Result<_>>()?;
    let previous: std::collections::HashSet<String> = match &a.previous {
        Some(p) => {
            let v: serde_json::Value =
                serde_json::from_str(&rolecall_inventory::textfile::read_text(p)?)
                    .with_context(|| format!("{}: not a JSON report", p.display()))?;
            v.get("findings")
                .and_then(|f| f.as_array())
                .into_iter()
                .flatten()
                .filter_map(|f| f.get("id").and_then(|i| i.as_str()).map(str::to_string))
                .collect()
        }
        None => Default::default(),
    };
    let mut formats = a.formats.clone();
    if formats.is_empty() {
        formats.push(Format::Table);
    }
    let dash = |p: &PathBuf| p.as_os_str() == "-";
    let to_stdout = formats.len() - a.outputs.len() + a.outputs.iter().filter(|p| dash(p)).count();
    if to_stdout > 1 {
        bail!("only one report can go to standard output: give --output for the others");
    }
    let publishes = a
        .outputs
        .iter()
        .any(|p| p.to_string_lossy().starts_with("s3://"))
        || a.security_hub
        || !notify.is_empty();
    if a.source.demo && publishes {
        bail!("--demo never publishes: the demo Organization is not yours to send to Security Hub, S3, SNS or Slack (scan real data, or drop --security-hub, s3:// outputs and --notify)");
    }
    let filters = a.filter.filters()?;
    let clock = rolecall_checks::scan::Phases::start();
    let inv = a.source.with_usage(&a.usage, a.usage_window)?.load()?;
    clock.mark("read the input");
    let today = crate::sources::scan_day(&inv, a.today.as_deref())?;
    // The inventory and the result live until the process exits: freeing millions of small
    // allocations one by one at the end of a large scan took a tenth of its time.
    let mut inv = std::mem::ManuallyDrop::new(inv);
    crate::sources::add_usage(&mut inv, &a.usage, a.usage_window, today, &a.source.live)?;
    clock.mark("usage data");
    if a.fail_on_new.is_some() && a.history.is_none() && config.history.path.is_none() {
        anyhow::bail!("--fail-on-new compares with the previous scan: give --history PATH (or [history] path in rolecall.toml)");
    }
    let mut result = std::mem::ManuallyDrop::new(scan(&inv, catalog(), &config, today));
    // History sees the whole result, before any report filter (a filtered-out finding is not
    // fixed).
    if let Some(path) = a.history.as_ref().or(config.history.path.as_ref()) {
        record_history(path, &mut result, &inv, config.baseline.is_some(), None)?;
    }
    let clock = rolecall_checks::scan::Phases::start();
    rolecall_checks::scan::apply_filters(&mut result, &filters);
    if a.sort == SortBy::Gap {
        rolecall_checks::scan::sort_by_gap(&mut result);
    }
    // Local reports first (nothing collected is lost if publishing fails), then stdout, then AWS.
    let is_s3 = |p: &PathBuf| p.to_string_lossy().starts_with("s3://");
    for (f, path) in formats.iter().zip(&a.outputs).filter(|(_, p)| !is_s3(p)) {
        if dash(path) {
            write_report(*f, &result, &inv, None, a.limit, a.color.enabled())?;
        } else {
            write_report(*f, &result, &inv, Some(path), a.limit, false)?;
        }
    }
    if let Some(f) = formats.get(a.outputs.len()) {
        write_report(*f, &result, &inv, None, a.limit, a.color.enabled())?;
    }
    clock.mark("write the reports");
    let s3: Vec<(Format, String)> = formats
        .iter()
        .zip(&a.outputs)
        .filter(|(_, p)| is_s3(p))
        .map(|(f, p)| (*f, p.to_string_lossy().into_owned()))
        .collect();
    if !s3.is_empty() || a.security_hub || !notify.is_empty() {
        let failures = crate::publish_cmd::publish(&crate::publish_cmd::PublishRequest {
            live: &a.source.live,
            result: &result,
            inventory: &inv,
            s3: &s3,
            security_hub: a.security_hub,
            notify: &notify,
            previous: &previous,
            limit: a.limit,
            filtered: !filters.is_empty(),
        });
        if failures > 0 {
            eprintln!(
                "error: {failures} publishing step(s) failed; the local reports were written"
            );
            return Ok(ExitCode::from(2));
        }
    }
    let read_something = !inv.functions.is_empty() || !inv.roles.is_empty();
    let c = crate::sources::completeness(&result.coverage.failures, read_something);
    if let Some(code) = crate::sources::coverage_exit(&c, a.allow_partial) {
        return Ok(code);
    }
    let threshold = a.fail_on.map(FailOn::severity);
    let mut failing = threshold.is_some_and(|t| result.findings.iter().any(|f| f.severity >= t));
    if let (true, Some(t)) = (failing, threshold) {
        crate::sources::print_tripped(&result.findings, t);
    }
    if let Some(t) = a.fail_on_new.map(FailOn::severity) {
        let fresh: Vec<rolecall_checks::Finding> = result
            .findings
            .iter()
            .filter(|f| matches!(f.status.as_deref(), Some("new" | "regressed")))
            .cloned()
            .collect();
        if fresh.iter().any(|f| f.severity >= t) {
            eprintln!("new or regressed since the previous scan of this scope:");
            crate::sources::print_tripped(&fresh, t);
            failing = true;
        }
    }
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn write_report(
    f: Format,
    r: &ScanResult,
    inv: &Inventory,
    path: Option<&Path>,
    limit: usize,
    color: bool,
) -> Result<()> {
    match path {
        Some(p) => {
            rolecall_inventory::model::write_atomic(p, |w| render(f, r, inv, w, limit, false))
                .with_context(|| format!("{}: cannot write the report", p.display()))
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            render(f, r, inv, &mut out, limit, color)?;
            out.flush()?;
            Ok(())
        }
    }
}

pub(crate) fn render(
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
            rolecall_checks::json::write_pretty(&mut *out, r)?;
            writeln!(out)
        }
        Format::Table => crate::table::write(out, r, limit, color),
        Format::Csv => out.write_all(rolecall_report::csv::render(r).as_bytes()),
        Format::Sarif => pretty(out, &rolecall_report::sarif::render(r)),
        Format::Ocsf => {
            let region = std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|_| "us-east-1".into());
            pretty(out, &rolecall_report::ocsf::render(r, Some(inv), &region))
        }
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

pub(crate) fn record_history(
    path: &std::path::Path,
    result: &mut rolecall_checks::ScanResult,
    inv: &rolecall_inventory::Inventory,
    baseline: bool,
    scope: Option<String>,
) -> Result<()> {
    let mut store = rolecall_history::Store::open(path)?;
    let r = rolecall_history::record::record_scan(&mut store, result, inv, baseline, scope)?;
    eprintln!(
        "history: scan {} recorded in {}; {} new, {} fixed, {} regressed{}",
        r.scan_id,
        path.display(),
        r.new,
        r.fixed,
        r.regressed,
        r.previous
            .map(|p| format!(" since scan {p}"))
            .unwrap_or_else(|| " (the first scan of this scope)".into())
    );
    Ok(())
}
