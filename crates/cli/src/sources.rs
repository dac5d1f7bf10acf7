//! Where an inventory comes from: the demo, files, or live AWS.

use anyhow::{bail, Context as _, Result};
use clap::Args;
use rolecall_collect::{collect, Options, Progress, ProgressMode, Regions, Stats};
use rolecall_inventory::{demo::demo_inventory_day, load_files, Inventory};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Options of a live collection (shared by `collect` and `scan`).
#[derive(Args, Clone, Debug)]
pub struct LiveArgs {
    /// AWS profile (otherwise the standard credential chain: environment, profiles, SSO, IMDS).
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Regions to read: `r1,r2`, or `all`. Default: every region enabled for the account.
    #[arg(long, value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Every ACTIVE account of the Organization (run from the management or a delegated account).
    #[arg(long)]
    pub org: bool,
    /// Only these account ids (with --org: a filter on the Organization's accounts).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub accounts: Vec<String>,
    /// Role assumed in member accounts.
    #[arg(long, default_value = "OrganizationAccountAccessRole")]
    pub member_role: String,
    /// External id for assuming the member role.
    #[arg(long)]
    pub external_id: Option<String>,
    /// Endpoint for every AWS call (an emulator, a VPC endpoint).
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// AWS calls in flight at once, across accounts and regions.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Limit in seconds on each AWS operation, retries included; a call that takes longer (an
    /// endpoint that never answers) becomes a coverage gap.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Print API calls by operation, retries and wall time when done.
    #[arg(long)]
    pub stats: bool,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
    /// Athena workgroup for `--usage athena=DATABASE.TABLE` (default: the account's `primary`).
    #[arg(long, value_name = "NAME")]
    pub athena_workgroup: Option<String>,
    /// Where Athena writes the query result (`s3://bucket/prefix/`), unless the workgroup sets it.
    #[arg(long, value_name = "S3_URL")]
    pub athena_output: Option<String>,
    /// Read the Organization's functions, roles and customer managed policies from this AWS
    /// Config aggregator's advanced query (three queries, pages of 100) instead of each account's
    /// APIs. Config records no function URLs, triggers or SCPs: the rules that need them are
    /// skipped and say so.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["org", "accounts"])]
    pub config_aggregator: Option<String>,
    /// Set by `--usage access-advisor`: read Access Advisor for use since this time (epoch seconds).
    #[arg(skip)]
    pub access_advisor_since: Option<i64>,
}

impl LiveArgs {
    pub fn collect(&self) -> Result<Inventory> {
        for a in &self.accounts {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                bail!("--accounts: {a:?} is not a 12-digit account id");
            }
        }
        let regions = match self.regions.as_slice() {
            [] => Regions::Enabled,
            [one] if one == "all" => Regions::All,
            list => Regions::List(list.to_vec()),
        };
        let opts = Options {
            profile: self.profile.clone(),
            regions,
            org: self.org,
            accounts: self.accounts.clone(),
            member_role: self.member_role.clone(),
            external_id: self.external_id.clone(),
            endpoint_url: self.endpoint_url.clone(),
            concurrency: self.concurrency.max(1),
            access_advisor_since: self.access_advisor_since,
            timeout: std::time::Duration::from_secs(self.timeout),
            ..Options::default()
        };
        let mode = if self.quiet {
            ProgressMode::Quiet
        } else if std::io::stderr().is_terminal() {
            ProgressMode::Bar
        } else {
            ProgressMode::Lines
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let (inv, stats) = match &self.config_aggregator {
            Some(name) => rt.block_on(Box::pin(
                rolecall_collect::aggregator::collect_aggregator(&opts, name),
            ))?,
            None => rt.block_on(Box::pin(collect(opts, Progress::new(mode))))?,
        };
        if self.stats {
            print_stats(&stats, &inv);
        }
        Ok(inv)
    }
}

fn print_stats(stats: &Stats, inv: &Inventory) {
    eprintln!("API calls by operation (calls, attempts):");
    for (op, calls, attempts) in stats.operations() {
        eprintln!("  {op:<48} {calls:>7} {attempts:>7}");
    }
    let total = stats.total_calls();
    let f = inv.functions.len().max(1) as f64;
    eprintln!(
        "total {total} calls, {} retries, {:.2} s wall; {} functions ({:.2} calls per function overall)",
        stats.retries(),
        stats.wall.as_secs_f64(),
        inv.functions.len(),
        total as f64 / f
    );
}

#[derive(Args, Clone, Debug)]
pub struct SourceArgs {
    /// Use the built-in demo Organization (no AWS account needed).
    #[arg(long, conflicts_with = "input")]
    pub demo: bool,
    /// With --demo: the demo Organization one week (2) or two weeks (3) later, with roles fixed,
    /// widened, reassigned and a boundary removed, for trying --history, --baseline and trend.
    #[arg(long, value_name = "DAY", requires = "demo", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(1..=rolecall_inventory::demo::DEMO_DAYS as i64))]
    pub demo_day: u8,
    /// Read rolecall snapshots or AWS CLI exports (`aws iam get-account-authorization-details`,
    /// `aws lambda list-functions`) instead of collecting.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub input: Vec<PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
}

impl SourceArgs {
    /// Asks the live collection for Access Advisor data when `--usage access-advisor` is given.
    pub fn with_usage(&self, usage: &[String], window_days: i64) -> Result<SourceArgs> {
        let mut s = self.clone();
        if usage.iter().any(|u| u == "access-advisor") {
            if self.demo || !self.input.is_empty() {
                bail!("--usage access-advisor reads IAM during a live collection; it cannot be used with --demo or --input");
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            s.live.access_advisor_since = Some(now - window_days.max(1) * 86_400);
        }
        Ok(s)
    }

    pub fn load(&self) -> Result<Inventory> {
        if self.demo || !self.input.is_empty() {
            let what = if self.demo { "--demo" } else { "--input" };
            if self.live.org {
                bail!("--org lists the Organization live; it cannot be used with {what} (--accounts and --regions filter an offline input)");
            }
            for a in &self.live.accounts {
                if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                    bail!("--accounts: {a:?} is not a 12-digit account id");
                }
            }
            let mut inv = if self.demo {
                demo_inventory_day(self.demo_day)
            } else {
                load_files(&self.input)?
            };
            // --accounts and --regions select from an offline input, as they select what a live
            // collection reads.
            let regions: Vec<String> = self
                .live
                .regions
                .iter()
                .filter(|r| r.as_str() != "all")
                .cloned()
                .collect();
            if !self.live.accounts.is_empty() {
                let keep = |a: &String| self.live.accounts.contains(a);
                inv.accounts.retain(|a| keep(&a.id));
                inv.roles.retain(|r| keep(&r.account));
                inv.functions.retain(|f| keep(&f.account));
                inv.coverage.retain(|c| keep(&c.account));
            }
            if !regions.is_empty() {
                inv.functions.retain(|f| regions.contains(&f.region));
                inv.regions.retain(|r| regions.contains(r));
                inv.coverage
                    .retain(|c| c.region.as_ref().is_none_or(|r| regions.contains(r)));
            }
            return Ok(inv);
        }
        self.live.collect()
    }
}

/// Reads the `--usage` sources (`cloudtrail=DIR`) for the window ending `today` into the
/// inventory, and reports what was read on standard error.
pub fn add_usage(
    inv: &mut Inventory,
    sources: &[String],
    window_days: i64,
    today: chrono::NaiveDate,
    live: &LiveArgs,
) -> Result<Option<rolecall_usage::ReadStats>> {
    if sources.is_empty() {
        return Ok(None);
    }
    let fmt = |d: chrono::NaiveDateTime| d.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let end = today.and_hms_opt(23, 59, 59).map(fmt).unwrap_or_default();
    let start = (today - chrono::Duration::days(window_days.max(1)))
        .and_hms_opt(0, 0, 0)
        .map(fmt)
        .unwrap_or_default();
    let mut reader = rolecall_usage::Reader::new(rolecall_catalog::catalog(), &start, &end);
    let mut analyzer: Vec<(String, Vec<rolecall_collect::usage_sources::UnusedFinding>)> =
        Vec::new();
    for u in sources.iter().filter(|u| u.as_str() != "access-advisor") {
        match u.split_once('=') {
            Some(("cloudtrail", path)) if !path.starts_with("s3://") => {
                let p = std::path::Path::new(path);
                if !p.exists() {
                    bail!("--usage {u:?}: {path} does not exist");
                }
                reader.read_path(p);
            }
            Some(("cloudtrail", url)) => {
                let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
                let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
                let mut bad = Vec::new();
                reader.add_source(format!("cloudtrail:{url}"));
                rt.block_on(Box::pin(async {
                    let cfg = rolecall_collect::sdk_config(live.profile.as_deref(), live.endpoint_url.as_deref(), &region, std::time::Duration::from_secs(live.timeout)).await;
                    rolecall_collect::each_log_object(&cfg, url, |name, bytes| reader.read_bytes(name, bytes), |key, e| bad.push(format!("{key}: {e}"))).await
                }))
                .map_err(|e| anyhow::anyhow!("--usage {u:?}: {e}"))?;
                reader.stats.bad_files.extend(bad);
            }
            Some((kind @ ("athena" | "cloudtrail-lake" | "access-analyzer-findings"), what)) => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                    .context("cannot start the async runtime")?;
                let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
                // A query over a whole trail takes longer than one API call.
                let query_timeout = std::time::Duration::from_secs(live.timeout.saturating_mul(15));
                let cfg = rt.block_on(rolecall_collect::sdk_config(
                    live.profile.as_deref(),
                    live.endpoint_url.as_deref(),
                    &region,
                    std::time::Duration::from_secs(live.timeout),
                ));
                use rolecall_collect::usage_sources as us;
                match kind {
                    "athena" => {
                        let sql = us::athena_sql(what, &start, &end).map_err(|e| anyhow::anyhow!("--usage {u:?}: {e}"))?;
                        let db = what.split_once('.').map(|(d, _)| d).unwrap_or(what);
                        let rows = rt
                            .block_on(us::athena_rows(&cfg, db, &sql, live.athena_workgroup.as_deref(), live.athena_output.as_deref(), query_timeout))
                            .map_err(|e| anyhow::anyhow!("--usage {u:?}: {e}"))?;
                        eprintln!("usage: Athena returned {} aggregated row(s)", rows.len());
                        reader.read_aggregate(&format!("athena:{what}"), &rows);
                    }
                    "cloudtrail-lake" => {
                        let sql = us::lake_sql(what, &start, &end).map_err(|e| anyhow::anyhow!("--usage {u:?}: {e}"))?;
                        let client = aws_sdk_cloudtrail_client(&cfg);
                        let rows = rt
                            .block_on(us::lake_rows(&client, &sql, query_timeout))
                            .map_err(|e| anyhow::anyhow!("--usage {u:?}: {e}"))?;
                        eprintln!("usage: CloudTrail Lake returned {} aggregated row(s)", rows.len());
                        reader.read_aggregate(&format!("cloudtrail-lake:{what}"), &rows);
                    }
                    _ => {
                        let findings = rt
                            .block_on(rolecall_collect::analyzer_findings(&cfg, what))
                            .map_err(|e| anyhow::anyhow!("--usage {u:?}: {e}"))?;
                        eprintln!("usage: Access Analyzer: {} unused-access finding(s) about roles", findings.len());
                        analyzer.push((what.to_string(), findings));
                    }
                }
            }
            _ => bail!(
                "--usage {u:?}: expected cloudtrail=DIR|FILE, cloudtrail=s3://bucket/prefix, athena=DATABASE.TABLE, cloudtrail-lake=EVENT_DATA_STORE, access-analyzer-findings=ANALYZER_ARN or access-advisor"
            ),
        }
    }
    let st = reader.stats.clone();
    eprintln!(
        "usage: {} file(s), {} event(s), {} attributed to roles; {} outside the window, {} denied, {} failed authentication, {} needed no permission, {} not by a role, {} malformed, {} of unknown actions; {} unreadable file(s)",
        st.files,
        st.events,
        st.attributed,
        st.outside_window,
        st.denied,
        st.auth_failed,
        st.no_permission,
        st.not_a_role,
        st.malformed_events,
        st.unknown_actions.values().sum::<u64>(),
        st.bad_files.len()
    );
    if !st.unknown_actions.is_empty() {
        let mut top: Vec<(&String, &u64)> = st.unknown_actions.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let shown: Vec<String> = top
            .iter()
            .take(10)
            .map(|(k, n)| format!("{} ({n})", crate::table::clean(k, 100)))
            .collect();
        eprintln!(
            "usage: events no IAM action is known for: {}{}",
            shown.join(", "),
            if top.len() > shown.len() {
                ", ... (`rolecall usage` lists them all)"
            } else {
                ""
            }
        );
    }
    for b in st.bad_files.iter().take(10) {
        eprintln!("usage: unreadable: {}", crate::table::clean(b, 400));
    }
    // A file that could not be read is a coverage gap: the scan's exit code says so, and what was
    // read is kept.
    for b in &st.bad_files {
        inv.coverage.push(rolecall_inventory::CoverageEntry {
            account: String::new(),
            region: None,
            api: "cloudtrail:ReadLogFile".into(),
            error: b.clone(),
        });
    }
    let mut usage = reader.finish().0;
    for (arn, findings) in analyzer {
        usage
            .sources
            .push(format!("access-analyzer-findings:{arn}"));
        let a = usage.analyzer.get_or_insert_with(Default::default);
        a.analyzers.push(arn.clone());
        if let Some(acct) = arn.split(':').nth(4).filter(|x| !x.is_empty()) {
            a.accounts.insert(acct.to_string());
        }
        for f in findings {
            a.accounts.insert(f.account.clone());
            let r = a.roles.entry(f.role_arn).or_default();
            r.unused_role |= f.unused_role;
            r.unused.extend(f.unused);
            r.unused.sort();
            r.unused.dedup();
            if f.last_accessed > r.last_accessed {
                r.last_accessed = f.last_accessed;
            }
        }
    }
    match &mut inv.usage {
        Some(mine) => mine.merge(usage),
        None => inv.usage = Some(usage),
    }
    Ok(Some(st))
}

fn aws_sdk_cloudtrail_client(
    cfg: &rolecall_collect::SdkConfig,
) -> rolecall_collect::CloudTrailClient {
    rolecall_collect::CloudTrailClient::new(cfg)
}

/// The day "now" is for a scan: the inventory's collection date, else today (UTC).
pub fn scan_day(inv: &Inventory, explicit: Option<&str>) -> Result<chrono::NaiveDate> {
    match explicit {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .with_context(|| format!("--today {d:?}: expected YYYY-MM-DD")),
        None => Ok(inv
            .collected_at
            .as_deref()
            .and_then(|c| c.get(..10))
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .unwrap_or_else(|| {
                let secs = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0);
                chrono::DateTime::from_timestamp(secs, 0)
                    .map(|d| d.date_naive())
                    .unwrap_or_default()
            })),
    }
}

/// How complete what was read is, for the exit code.
pub enum Completeness {
    Complete,
    /// Some things could not be read: exit 2 unless --allow-partial.
    Partial(String),
    /// Nothing usable was read, or the Organization could not be listed: exit 2 always.
    Fatal(String),
}

/// Judges coverage gaps: `read_something` is false when no function and no role was read.
pub fn completeness(
    gaps: &[rolecall_inventory::CoverageEntry],
    read_something: bool,
) -> Completeness {
    if gaps.is_empty() {
        return Completeness::Complete;
    }
    let first = |g: &rolecall_inventory::CoverageEntry| {
        format!(
            "account {}{} {}: {}",
            g.account,
            g.region
                .as_deref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default(),
            g.api,
            crate::table::clean(&g.error, 160)
        )
    };
    if let Some(g) = gaps.iter().find(|g| g.api == "organizations:ListAccounts") {
        return Completeness::Fatal(format!(
            "the Organization's accounts could not be listed ({})",
            first(g)
        ));
    }
    if !read_something {
        return Completeness::Fatal(format!(
            "nothing could be read ({} gap(s); first: {})",
            gaps.len(),
            gaps.first().map(first).unwrap_or_default()
        ));
    }
    Completeness::Partial(format!(
        "coverage is incomplete: {} gap(s); first: {}",
        gaps.len(),
        gaps.first().map(first).unwrap_or_default()
    ))
}

/// The exit code coverage imposes after the reports are written, with the message printed.
pub fn coverage_exit(c: &Completeness, allow_partial: bool) -> Option<std::process::ExitCode> {
    match c {
        Completeness::Complete => None,
        Completeness::Fatal(why) => {
            eprintln!(
                "error: {why}; the reports were written but cover nothing that can be trusted"
            );
            Some(std::process::ExitCode::from(2))
        }
        Completeness::Partial(why) if !allow_partial => {
            eprintln!("error: {why}; the reports were written (they list every gap); --allow-partial accepts partial coverage");
            Some(std::process::ExitCode::from(2))
        }
        Completeness::Partial(why) => {
            eprintln!("warning: {why} (accepted by --allow-partial)");
            None
        }
    }
}

/// Which findings to report: `--severity`, `--account`, `--region`, `--code`, `--team`.
#[derive(Args, Clone, Debug, Default)]
pub struct FilterArgs {
    /// Report only findings at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub severity: Option<MinSeverity>,
    /// Only these accounts (repeatable, or comma-separated).
    #[arg(long = "account", value_delimiter = ',', value_name = "ID")]
    pub account: Vec<String>,
    /// Only these regions (`global` for findings about roles; repeatable, or comma-separated).
    #[arg(long = "region", value_delimiter = ',', value_name = "REGION")]
    pub region: Vec<String>,
    /// Only these rules, by code or name (repeatable, or comma-separated).
    #[arg(long = "code", value_delimiter = ',', value_name = "RULE")]
    pub code: Vec<String>,
    /// Only findings of these teams (the owner tag; repeatable, or comma-separated).
    #[arg(long = "team", value_delimiter = ',', value_name = "TEAM")]
    pub team: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MinSeverity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl FilterArgs {
    pub fn filters(&self) -> Result<rolecall_checks::scan::Filters> {
        use rolecall_checks::Severity;
        let f = rolecall_checks::scan::Filters {
            min_severity: self.severity.map(|s| match s {
                MinSeverity::Info => Severity::Info,
                MinSeverity::Low => Severity::Low,
                MinSeverity::Medium => Severity::Medium,
                MinSeverity::High => Severity::High,
                MinSeverity::Critical => Severity::Critical,
            }),
            accounts: self.account.clone(),
            regions: self.region.clone(),
            codes: self.code.clone(),
            teams: self.team.clone(),
        };
        f.validate().map_err(anyhow::Error::msg)?;
        for a in &f.accounts {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                bail!("--account {a:?} is not a 12-digit account id");
            }
        }
        Ok(f)
    }
}

/// Prints the findings at or above `--fail-on` that make the exit 1 (the first few).
pub fn print_tripped(findings: &[rolecall_checks::Finding], threshold: rolecall_checks::Severity) {
    let tripped: Vec<&rolecall_checks::Finding> = findings
        .iter()
        .filter(|f| f.severity >= threshold)
        .collect();
    eprintln!(
        "rolecall: {} finding(s) at or above {threshold} (--fail-on):",
        tripped.len()
    );
    for f in tripped.iter().take(10) {
        eprintln!(
            "  {} {} {}",
            f.severity,
            f.code,
            crate::table::clean(&f.title, 140)
        );
    }
    if tripped.len() > 10 {
        eprintln!("  ... and {} more", tripped.len() - 10);
    }
}
