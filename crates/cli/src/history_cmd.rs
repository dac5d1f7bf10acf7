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
    let store = open(&a.history)?;
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

#[derive(Args)]
pub struct DiffArgs {
    /// The earlier scan (default: the scan before SCAN_B in its scope).
    scan_a: Option<i64>,
    /// The later scan (default: the newest).
    scan_b: Option<i64>,
    #[arg(long, value_name = "PATH", required = true)]
    history: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn open(path: &std::path::Path) -> Result<rolecall_history::Store> {
    if !path.exists() {
        anyhow::bail!("--history {}: no such file", path.display());
    }
    Ok(rolecall_history::Store::open(path)?)
}

/// Findings new, fixed and regressed, roles widened or narrowed, functions whose role changed.
pub fn diff(a: DiffArgs) -> Result<ExitCode> {
    let store = open(&a.history)?;
    // With one scan given, it is the later one.
    let (from, to) = match (a.scan_a, a.scan_b) {
        (Some(x), None) => (None, Some(x)),
        other => other,
    };
    let d = store.diff(from, to).map_err(anyhow::Error::msg)?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&d)?),
        Format::Table => {
            let clean = |s: &str| crate::table::clean(s, 120);
            println!("scan {} -> scan {}", d.from, d.to);
            for (what, rows) in [
                ("new", &d.new),
                ("fixed", &d.fixed),
                ("regressed", &d.regressed),
            ] {
                println!("{what}: {}", rows.len());
                for (id, code, res) in rows.iter() {
                    println!("  {code}  {}  ({})", clean(res), clean(id));
                }
            }
            for (what, rows) in [("widened", &d.widened), ("narrowed", &d.narrowed)] {
                println!("roles {what}: {}", rows.len());
                for (role, n0, n1) in rows.iter() {
                    println!("  {}  {n0} -> {n1} allowed actions", clean(role));
                }
            }
            println!("functions whose role changed: {}", d.role_changed.len());
            for (f, r0, r1) in &d.role_changed {
                println!("  {}  {} -> {}", clean(f), clean(r0), clean(r1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct DeploymentsArgs {
    /// The function (name or ARN).
    #[arg(long, value_name = "NAME|ARN", required = true)]
    function: String,
    #[arg(long, value_name = "PATH", required = true)]
    history: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// A function's role and its policy versions over the recorded scans.
pub fn deployments(a: DeploymentsArgs) -> Result<ExitCode> {
    let store = open(&a.history)?;
    let rows = store.deployments(&a.function)?;
    if rows.is_empty() {
        anyhow::bail!(
            "no scan in {} saw a function {:?}",
            a.history.display(),
            a.function
        );
    }
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        Format::Table => {
            let clean = |s: &str| crate::table::clean(s, 120);
            for r in &rows {
                println!(
                    "scan {:>4}  {}  {}  policies {}  {} allowed action(s)",
                    r.scan_id,
                    clean(&r.at),
                    clean(&r.role_arn),
                    r.policies_hash
                        .as_deref()
                        .map(clean)
                        .unwrap_or_else(|| "?".into()),
                    r.allowed_actions
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "?".into())
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
