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
                if s.complete == Some(false) {
                    println!(
                        "{:>5}  partial: {} coverage gap(s){}",
                        "",
                        s.coverage_gaps.unwrap_or(0),
                        if s.unread_accounts.is_empty() {
                            String::new()
                        } else {
                            format!("; not read: {}", clean(&s.unread_accounts.join(", ")))
                        }
                    );
                }
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
                ("suppressed", &d.suppressed),
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
    /// A self-contained dashboard: SVG trend lines, open findings by age, the oldest criticals.
    Html,
    /// CloudWatch Embedded Metric Format: one JSON line per group (whole scan, team, account) of
    /// the newest scan of each scope, and time to remediation per severity. Printed inside AWS
    /// Lambda, CloudWatch extracts them as metrics with no extra permission.
    Emf,
}

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq, Debug)]
pub enum By {
    #[default]
    None,
    Team,
    Account,
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
    /// Group the metrics by the owner team (the `team` tag), by account, or not at all.
    #[arg(long, value_enum, default_value_t)]
    by: By,
    /// Write the report here (atomically) instead of standard output (html).
    #[arg(long, value_name = "PATH")]
    output: Option<PathBuf>,
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-11-30T12:00:00Z`).
fn epoch(at: &str) -> Option<i64> {
    rolecall_report::ocsf::epoch_ms(at).map(|ms| ms / 1000)
}

/// A label value as OpenMetrics writes it.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A metric of `trend`: name, help text, and its value in a row of `T`.
type Metric<T> = (&'static str, &'static str, fn(&T) -> f64);

/// A posture metric of a metrics row: name, help text, value (if the scan had it).
type RowMetric = (
    &'static str,
    &'static str,
    fn(&rolecall_history::MetricRow) -> Option<f64>,
);

const ROW_METRICS: [RowMetric; 10] = [
    (
        "unique_role_share",
        "Share of functions with a role of their own",
        |r| Some(r.metrics.unique_role_share),
    ),
    (
        "roles_with_wildcard_grants",
        "Roles with * in Action or Resource (effective)",
        |r| Some(r.metrics.roles_with_wildcard_grants as f64),
    ),
    (
        "average_policies_per_role",
        "Average policies per execution role",
        |r| Some(r.metrics.average_policies_per_role),
    ),
    (
        "unused_permissions",
        "Granted actions the usage data never saw",
        |r| r.metrics.unused_permissions.map(|v| v as f64),
    ),
    (
        "drift_rate",
        "Share of deployments since the previous scan that widened permissions",
        |r| r.drift_rate,
    ),
    (
        "baseline_compliance",
        "Share of roles within the approved baseline",
        |r| r.baseline_compliance,
    ),
    ("open_findings", "Findings open after the scan", |r| {
        Some(r.metrics.open_findings as f64)
    }),
    (
        "open_critical_findings",
        "Critical findings open after the scan",
        |r| Some(r.metrics.critical as f64),
    ),
    (
        "open_high_findings",
        "High findings open after the scan",
        |r| Some(r.metrics.high as f64),
    ),
    (
        "deployments_changed",
        "Functions whose role or policies changed since the previous scan",
        |r| Some(r.metrics.deployments_changed as f64),
    ),
];

/// The posture metrics over time.
pub fn trend(a: TrendArgs) -> Result<ExitCode> {
    if let Some(d) = &a.since {
        if rolecall_inventory::day_number(d).is_none() {
            anyhow::bail!("--since {d:?}: expected YYYY-MM-DD");
        }
    }
    let store = open(&a.history)?;
    let by = match a.by {
        By::None => rolecall_history::Dimension::All,
        By::Team => rolecall_history::Dimension::Team,
        By::Account => rolecall_history::Dimension::Account,
    };
    let points = store.trend(a.since.as_deref())?;
    let overall = store.metrics(rolecall_history::Dimension::All, a.since.as_deref())?;
    let rows = if by == rolecall_history::Dimension::All {
        overall.clone()
    } else {
        store.metrics(by, a.since.as_deref())?
    };
    let remediation = store.time_to_remediation_by(by)?;
    let open = store.open_findings()?;
    let aging = rolecall_history::aging(&open);
    let oldest_critical: Vec<&rolecall_history::OpenFinding> = open
        .iter()
        .filter(|f| f.severity == "critical")
        .take(20)
        .collect();
    let group_label = match by {
        rolecall_history::Dimension::All => "",
        rolecall_history::Dimension::Team => "team",
        rolecall_history::Dimension::Account => "account",
    };
    match a.format {
        TrendFormat::Emf => {
            let mut seen = std::collections::HashSet::new();
            let mut out = String::new();
            let mut first = true;
            for s in store.scans()? {
                if !seen.insert(s.scope.clone())
                    || a.since.as_deref().is_some_and(|d| s.at.as_str() < d)
                {
                    continue;
                }
                let whole = store.time_to_remediation()?;
                let lines = rolecall_history::emf::lines(
                    &store.metrics_of(s.id)?,
                    &s.source,
                    if first { &whole } else { &[] },
                    |at| epoch(at).map(|t| t * 1000),
                );
                first = false;
                for l in lines {
                    out.push_str(&l);
                    out.push('\n');
                }
            }
            print!("{out}");
        }
        TrendFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "by": by.as_str(),
                "scans": points,
                "metrics": rows,
                "time_to_remediation": remediation,
                "open_by_age": aging,
                "oldest_open_critical": oldest_critical,
            }))?
        ),
        TrendFormat::Csv => {
            let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
            let opt_i = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            println!("scan_id,at,scope,dimension,key,functions,roles,unique_role_share,roles_with_wildcard_grants,average_policies_per_role,unused_permissions,granted_permissions,open_findings,critical,high,medium,low,info,deployments_changed,deployments_widened,drift_rate,baseline_roles,baseline_compliant,baseline_compliance");
            for r in &rows {
                let m = &r.metrics;
                println!(
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    r.scan_id,
                    r.at,
                    q(&r.scope),
                    m.dimension,
                    q(&m.key),
                    m.functions,
                    m.roles,
                    m.unique_role_share,
                    m.roles_with_wildcard_grants,
                    m.average_policies_per_role,
                    opt_i(m.unused_permissions),
                    opt_i(m.granted_permissions),
                    m.open_findings,
                    m.critical,
                    m.high,
                    m.medium,
                    m.low,
                    m.info,
                    m.deployments_changed,
                    m.deployments_widened,
                    opt(r.drift_rate),
                    opt_i(m.baseline_roles),
                    opt_i(m.baseline_compliant),
                    opt(r.baseline_compliance)
                );
            }
        }
        TrendFormat::Openmetrics => {
            // One series per scope (and team or account), timestamps strictly increasing: of
            // scans within one second, the last.
            type Key<'a> = (&'a str, &'a str);
            let mut by_series: std::collections::BTreeMap<
                Key<'_>,
                Vec<(i64, &rolecall_history::MetricRow)>,
            > = std::collections::BTreeMap::new();
            for r in &rows {
                if let Some(t) = epoch(&r.at) {
                    let series = by_series
                        .entry((r.scope.as_str(), r.metrics.key.as_str()))
                        .or_default();
                    match series.last_mut() {
                        Some(last) if last.0 >= t => last.1 = r,
                        _ => series.push((t, r)),
                    }
                }
            }
            let mut out = String::new();
            for (name, help, get) in &ROW_METRICS {
                out.push_str(&format!(
                    "# TYPE rolecall_{name} gauge\n# HELP rolecall_{name} {help}.\n"
                ));
                for ((scope, key), series) in &by_series {
                    let extra = if group_label.is_empty() {
                        String::new()
                    } else {
                        format!(",{group_label}=\"{}\"", label(key))
                    };
                    for (t, r) in series {
                        if let Some(v) = get(r) {
                            out.push_str(&format!(
                                "rolecall_{name}{{scope=\"{}\"{extra}}} {v} {t}\n",
                                label(scope)
                            ));
                        }
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
                    let extra = if group_label.is_empty() {
                        String::new()
                    } else {
                        format!(",{group_label}=\"{}\"", label(&r.key))
                    };
                    out.push_str(&format!(
                        "rolecall_remediation_days_{which}{{severity=\"{}\"{extra}}} {}\n",
                        label(&r.severity),
                        get(r)
                    ));
                }
            }
            out.push_str("# EOF\n");
            print!("{out}");
        }
        TrendFormat::Html => {
            let oldest: Vec<rolecall_history::OpenFinding> =
                oldest_critical.into_iter().cloned().collect();
            let page =
                rolecall_history::dashboard::render(&rolecall_history::dashboard::Dashboard {
                    source: &a.history.display().to_string(),
                    by,
                    overall: &overall,
                    groups: if by == rolecall_history::Dimension::All {
                        &[]
                    } else {
                        &rows
                    },
                    aging: &aging,
                    oldest_critical: &oldest,
                    remediation: &remediation,
                });
            match &a.output {
                Some(p) => rolecall_inventory::model::write_atomic(p, |w| {
                    std::io::Write::write_all(w, page.as_bytes())
                })
                .map_err(|e| anyhow::anyhow!("{}: cannot write the dashboard: {e}", p.display()))?,
                None => print!("{page}"),
            }
        }
        TrendFormat::Table => {
            let clean = |s: &str, n: usize| crate::table::clean(s, n);
            let pct = |v: Option<f64>| {
                v.map(|v| format!("{:.0}%", v * 100.0))
                    .unwrap_or_else(|| "-".into())
            };
            println!(
                "{:>5}  {:<20}  {:<16}  {:>6}  {:>8}  {:>8}  {:>7}  {:>8}  {:>5}  {:>5}  {:>6}  {:>7}",
                "scan", "at", if group_label.is_empty() { "" } else { group_label }, "unique", "wildcard", "pol/role", "unused", "findings", "crit", "high", "drift", "in base"
            );
            for r in &rows {
                let m = &r.metrics;
                println!(
                    "{:>5}  {:<20}  {:<16}  {:>5.0}%  {:>8}  {:>8.2}  {:>7}  {:>8}  {:>5}  {:>5}  {:>6}  {:>7}",
                    r.scan_id,
                    clean(&r.at, 20),
                    clean(&m.key, 16),
                    m.unique_role_share * 100.0,
                    m.roles_with_wildcard_grants,
                    m.average_policies_per_role,
                    m.unused_permissions.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                    m.open_findings,
                    m.critical,
                    m.high,
                    pct(r.drift_rate),
                    pct(r.baseline_compliance)
                );
            }
            for r in &remediation {
                let who = if r.key.is_empty() {
                    String::new()
                } else {
                    format!("{}, ", clean(&r.key, 40))
                };
                println!(
                    "time to remediation ({who}{}): {} fixed, median {} days, p90 {} days",
                    r.severity, r.fixed, r.median_days, r.p90_days
                );
            }
            for a in &aging {
                println!(
                    "open {:<8} by age: {} in 0-7 days, {} in 8-30, {} in 31-90, {} over 90",
                    a.severity, a.days_0_7, a.days_8_30, a.days_31_90, a.days_over_90
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
