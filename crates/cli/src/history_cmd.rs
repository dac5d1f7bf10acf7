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

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq, Debug)]
pub enum TrendFormat {
    #[default]
    Table,
    Json,
    Csv,
    /// OpenMetrics text (Prometheus), one sample per scan with its timestamp, for Grafana.
    Openmetrics,
}

#[derive(Args)]
pub struct TrendArgs {
    #[arg(long, value_name = "PATH", required = true)]
    history: PathBuf,
    /// Only scans on or after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: TrendFormat,
}

/// Seconds since the epoch of `2026-11-30T12:00:00Z`.
fn epoch(at: &str) -> Option<i64> {
    let day = rolecall_inventory::day_number(at)?;
    let t = at.get(11..19)?;
    let mut it = t.split(':').map(|x| x.parse::<i64>().ok());
    let (h, m, s) = (it.next()??, it.next()??, it.next()??);
    Some(day * 86_400 + h * 3600 + m * 60 + s)
}

/// A label value as OpenMetrics writes it.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A metric of `trend`: name, help text, and its value in a row of `T`.
type Metric<T> = (&'static str, &'static str, fn(&T) -> f64);

/// The posture metrics over time.
pub fn trend(a: TrendArgs) -> Result<ExitCode> {
    if let Some(d) = &a.since {
        if rolecall_inventory::day_number(d).is_none() {
            anyhow::bail!("--since {d:?}: expected YYYY-MM-DD");
        }
    }
    let store = open(&a.history)?;
    let points = store.trend(a.since.as_deref())?;
    let remediation = store.time_to_remediation()?;
    let metrics: [Metric<rolecall_history::TrendPoint>; 7] = [
        (
            "unique_role_share",
            "Share of functions with a role of their own",
            |p| p.unique_role_share,
        ),
        (
            "roles_with_wildcard_grants",
            "Roles with * in Action or Resource (effective)",
            |p| p.roles_with_wildcard_grants as f64,
        ),
        (
            "average_policies_per_role",
            "Average policies per execution role",
            |p| p.average_policies_per_role,
        ),
        ("open_findings", "Findings open after the scan", |p| {
            p.open_findings as f64
        }),
        (
            "open_critical_findings",
            "Critical findings open after the scan",
            |p| p.open_critical as f64,
        ),
        (
            "open_high_findings",
            "High findings open after the scan",
            |p| p.open_high as f64,
        ),
        ("fixed_findings", "Findings the scan found fixed", |p| {
            p.fixed as f64
        }),
    ];
    match a.format {
        TrendFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"scans": points, "time_to_remediation": remediation})
            )?
        ),
        TrendFormat::Csv => {
            println!("scan_id,at,scope,functions,roles,unique_role_share,roles_with_wildcard_grants,average_policies_per_role,open_findings,open_critical,open_high,new,fixed,regressed");
            for p in &points {
                let scope = p.scope.replace('"', "\"\"");
                println!(
                    "{},{},\"{scope}\",{},{},{},{},{},{},{},{},{},{},{}",
                    p.scan_id,
                    p.at,
                    p.functions,
                    p.roles,
                    p.unique_role_share,
                    p.roles_with_wildcard_grants,
                    p.average_policies_per_role,
                    p.open_findings,
                    p.open_critical,
                    p.open_high,
                    p.new,
                    p.fixed,
                    p.regressed
                );
            }
        }
        TrendFormat::Openmetrics => {
            // One series per scope, timestamps strictly increasing: of scans within one second,
            // the last.
            let mut by_scope: std::collections::BTreeMap<
                &str,
                Vec<(i64, &rolecall_history::TrendPoint)>,
            > = std::collections::BTreeMap::new();
            for p in &points {
                if let Some(t) = epoch(&p.at) {
                    let series = by_scope.entry(p.scope.as_str()).or_default();
                    match series.last_mut() {
                        Some(last) if last.0 >= t => last.1 = p,
                        _ => series.push((t, p)),
                    }
                }
            }
            let mut out = String::new();
            for (name, help, get) in &metrics {
                out.push_str(&format!(
                    "# TYPE rolecall_{name} gauge\n# HELP rolecall_{name} {help}.\n"
                ));
                for (scope, series) in &by_scope {
                    for (t, p) in series {
                        out.push_str(&format!(
                            "rolecall_{name}{{scope=\"{}\"}} {} {t}\n",
                            label(scope),
                            get(p)
                        ));
                    }
                }
            }
            let remediation_metrics: [Metric<rolecall_history::Remediation>; 2] = [
                ("median", "Median days from first seen to fixed", |r| {
                    r.median_days
                }),
                (
                    "p90",
                    "90th percentile days from first seen to fixed",
                    |r| r.p90_days,
                ),
            ];
            for (which, help, get) in remediation_metrics {
                out.push_str(&format!(
                    "# TYPE rolecall_remediation_days_{which} gauge\n# HELP rolecall_remediation_days_{which} {help}.\n"
                ));
                for r in &remediation {
                    out.push_str(&format!(
                        "rolecall_remediation_days_{which}{{severity=\"{}\"}} {}\n",
                        label(&r.severity),
                        get(r)
                    ));
                }
            }
            out.push_str("# EOF\n");
            print!("{out}");
        }
        TrendFormat::Table => {
            println!(
                "{:>5}  {:<20}  {:>6}  {:>9}  {:>9}  {:>8}  {:>5}  {:>5}  {:>4}  {:>5}",
                "scan",
                "at",
                "unique",
                "wildcard",
                "pol/role",
                "findings",
                "crit",
                "high",
                "new",
                "fixed"
            );
            for p in &points {
                println!(
                    "{:>5}  {:<20}  {:>5.0}%  {:>9}  {:>9.2}  {:>8}  {:>5}  {:>5}  {:>4}  {:>5}",
                    p.scan_id,
                    crate::table::clean(&p.at, 20),
                    p.unique_role_share * 100.0,
                    p.roles_with_wildcard_grants,
                    p.average_policies_per_role,
                    p.open_findings,
                    p.open_critical,
                    p.open_high,
                    p.new,
                    p.fixed
                );
            }
            for r in &remediation {
                println!(
                    "time to remediation ({}): {} fixed, median {} days, p90 {} days",
                    r.severity, r.fixed, r.median_days, r.p90_days
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
