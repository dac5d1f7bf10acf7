//! `rolecall lint PATH...`: the rule catalogue over infrastructure as code, as a CI/CD gate.
//! Findings are placed at the file, line and column of the statement, policy, role or function
//! they concern; `rolecall:ignore CODE reason` in a template suppresses them there.

use crate::scan_cmd::FailOn;
use anyhow::{bail, Context as _, Result};
use clap::{Args, ValueEnum};
use rolecall_catalog::catalog;
use rolecall_checks::golden::Golden;
use rolecall_checks::{scan, Config, Finding, ScanResult, Severity};
use rolecall_iac::{Anchor, Level, Lint, Loc};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum LintFormat {
    /// `path:line:col: LR103 [medium] ...`, one line per finding.
    Text,
    /// Every finding with its location, suppressed findings, input errors, skipped rules.
    Json,
    /// SARIF 2.1.0 with physical locations, for GitHub code scanning.
    Sarif,
    /// JUnit XML: a test suite per file, a failing test case per finding.
    Junit,
}

#[derive(Args)]
pub struct LintArgs {
    #[command(flatten)]
    filter: crate::sources::FilterArgs,
    /// Templates: files, or directories searched recursively (CloudFormation, SAM, CDK
    /// `cdk.out`, Terraform `*.tf` and `terraform show -json` plans, `serverless.yml`).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    format: LintFormat,
    /// Write the report here instead of standard output.
    #[arg(long, value_name = "PATH")]
    output: Option<PathBuf>,
    /// Exit 1 when a finding at or above this severity remains (after suppressions).
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Directory of approved policy templates (IAM policy JSON); enables LR701
    /// exceeds-approved-template.
    #[arg(long, value_name = "DIR")]
    golden: Option<PathBuf>,
    /// An approved baseline (`rolecall baseline --template PATH --output FILE`): report what the
    /// templates would add to it (LR801-LR803) before they deploy.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Configuration file (default: the nearest rolecall.toml, from the current directory up to
    /// the repository root).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also write the inventory read from the templates (a snapshot `rolecall scan --input` reads).
    #[arg(long, value_name = "PATH")]
    inventory: Option<PathBuf>,
    /// Evaluate as of this day (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    today: Option<String>,
    /// Record the run in this SQLite history (created if absent), as `scan --history` does:
    /// each finding gets its `status` and `first_seen` against the previous lint of the same
    /// paths, inline suppressions are kept as `suppressed`, and `rolecall trend` follows the
    /// templates' posture over commits.
    #[arg(long, value_name = "PATH")]
    history: Option<PathBuf>,
    /// Skip (with a warning) any template larger than this many mebibytes.
    #[arg(long, value_name = "MB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..))]
    max_file_mb: u64,
}

/// One finding with where it is.
#[derive(Serialize, Clone)]
pub struct Located {
    pub location: Loc,
    /// Further places the finding's evidence names (other statements).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Loc>,
    #[serde(flatten)]
    pub finding: Finding,
}

#[derive(Serialize, Clone)]
pub struct SuppressedInline {
    pub location: Loc,
    pub reason: String,
    /// Where the `rolecall:ignore` was written.
    pub suppressed_at: Loc,
    pub finding: Finding,
}

#[derive(Serialize)]
pub struct LintReport {
    pub tool: &'static str,
    pub version: &'static str,
    pub files: Vec<rolecall_iac::FileInfo>,
    pub summary: Summary,
    pub findings: Vec<Located>,
    pub suppressed: Vec<SuppressedInline>,
    pub diagnostics: Vec<rolecall_iac::Diagnostic>,
    pub skipped_rules: Vec<String>,
    /// Suppressions (inline or in rolecall.toml) that matched nothing.
    pub unused_suppressions: Vec<String>,
    /// Customer managed policies (and boundaries) the roles name but no template defines: not
    /// analysed (`role ARN: policy ARN`).
    pub missing_policies: Vec<String>,
    /// With `--history`: the scan recorded and what is new, fixed or regressed since the last
    /// lint of the same paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<rolecall_checks::scan::HistorySummary>,
}

#[derive(Serialize, Default)]
pub struct Summary {
    pub files: usize,
    pub roles: usize,
    pub functions: usize,
    pub findings: usize,
    pub suppressed: usize,
    pub errors: usize,
    pub by_severity: BTreeMap<String, usize>,
}

fn unknown_loc() -> Loc {
    Loc {
        file: "(unknown)".into(),
        line: 0,
        col: 0,
    }
}

fn anchors_of<'l>(lint: &'l Lint, f: &Finding) -> Vec<Vec<&'l Anchor>> {
    let mut out: Vec<Vec<&Anchor>> = f
        .evidence
        .iter()
        .map(|e| {
            lint.locations
                .locate(&f.resource_arn, Some((&e.policy, &e.statement)))
        })
        .filter(|a| !a.is_empty())
        .collect();
    if out.is_empty() {
        out.push(lint.locations.locate(&f.resource_arn, None));
    }
    out
}

/// Records a lint in the history: the whole result before report filters (a filtered-out
/// finding is not fixed), inline suppressions as `suppressed`, under the scope of the paths
/// linted (`iac=PATH,...`), so a lint never fixes a live scan's findings or another
/// repository's. Each reported finding gets its status and first_seen.
fn record_lint_history(
    path: &std::path::Path,
    paths: &[PathBuf],
    lint: &Lint,
    config: &Config,
    today: chrono::NaiveDate,
    report: &mut LintReport,
) -> Result<()> {
    let mut result = scan(&lint.inventory, catalog(), config, today);
    let inline: std::collections::HashMap<&str, &str> = report
        .suppressed
        .iter()
        .map(|s| (s.finding.id.as_str(), s.reason.as_str()))
        .collect();
    let (kept, moved): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut result.findings)
        .into_iter()
        .partition(|f| !inline.contains_key(f.id.as_str()));
    for f in &moved {
        if let Some(n) = result.summary.by_severity.get_mut(f.severity.as_str()) {
            *n = n.saturating_sub(1);
        }
        if let Some(n) = result.summary.by_code.get_mut(&f.code) {
            *n = n.saturating_sub(1);
        }
    }
    result.summary.findings = kept.len();
    result.summary.suppressed += moved.len();
    result.findings = kept;
    result.suppressed.extend(
        moved
            .into_iter()
            .map(|f| rolecall_checks::scan::SuppressedFinding {
                reason: inline.get(f.id.as_str()).copied().unwrap_or("").to_string(),
                expires: None,
                finding: f,
            }),
    );
    let mut scope: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches('/').to_string())
        .collect();
    scope.sort();
    scope.dedup();
    crate::scan_cmd::record_history(
        path,
        &mut result,
        &lint.inventory,
        config.baseline.is_some(),
        Some(format!("iac={}", scope.join(","))),
    )?;
    let status: std::collections::HashMap<&str, (&Option<String>, &Option<String>)> = result
        .findings
        .iter()
        .chain(result.suppressed.iter().map(|s| &s.finding))
        .map(|f| (f.id.as_str(), (&f.status, &f.first_seen)))
        .collect();
    let fill = |f: &mut Finding| {
        if let Some((st, first)) = status.get(f.id.as_str()) {
            f.status = (*st).clone();
            f.first_seen = (*first).clone();
        }
    };
    report
        .findings
        .iter_mut()
        .for_each(|l| fill(&mut l.finding));
    report
        .suppressed
        .iter_mut()
        .for_each(|s| fill(&mut s.finding));
    report.history = result.history.clone();
    Ok(())
}

/// Runs the rules over the templates and places each finding.
pub fn lint_report(
    lint: &Lint,
    config: &Config,
    today: chrono::NaiveDate,
    filters: &rolecall_checks::scan::Filters,
) -> (LintReport, ScanResult) {
    let mut result = scan(&lint.inventory, catalog(), config, today);
    rolecall_checks::scan::apply_filters(&mut result, filters);
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    let mut used = vec![false; lint.suppressions.len()];
    for f in &result.findings {
        let anchors = anchors_of(lint, f);
        let mut locs: Vec<Loc> = anchors
            .iter()
            .filter_map(|a| a.first().map(|x| x.loc.clone()))
            .collect();
        locs.sort();
        locs.dedup();
        let location = locs.first().cloned().unwrap_or_else(unknown_loc);
        let related = locs.into_iter().skip(1).collect();
        // Inline suppressions name the resource that owns any anchor of the finding.
        let hit = lint.suppressions.iter().enumerate().find(|(_, s)| {
            (s.code.eq_ignore_ascii_case(&f.code) || s.code == f.name)
                && anchors.iter().flatten().any(|a| a.owner == s.owner)
        });
        match hit {
            Some((i, s)) => {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
                suppressed.push(SuppressedInline {
                    location,
                    reason: s.reason.clone(),
                    suppressed_at: s.loc.clone(),
                    finding: f.clone(),
                });
            }
            None => findings.push(Located {
                location,
                related,
                finding: f.clone(),
            }),
        }
    }
    findings.sort_by(|a, b| {
        a.location
            .cmp(&b.location)
            .then(b.finding.severity.cmp(&a.finding.severity))
            .then(a.finding.code.cmp(&b.finding.code))
            .then(a.finding.id.cmp(&b.finding.id))
    });
    let mut unused: Vec<String> = lint
        .suppressions
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(s, _)| {
            format!(
                "{}:{}:{}: rolecall:ignore {} matched no finding",
                s.loc.file, s.loc.line, s.loc.col, s.code
            )
        })
        .collect();
    unused.extend(result.suppression_notes.iter().cloned());
    let mut by_severity: BTreeMap<String, usize> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    for f in &findings {
        *by_severity
            .entry(f.finding.severity.as_str().to_string())
            .or_default() += 1;
    }
    let summary = Summary {
        files: lint.files.len(),
        roles: lint.inventory.roles.len(),
        functions: lint.inventory.functions.len(),
        findings: findings.len(),
        suppressed: suppressed.len() + result.suppressed.len(),
        errors: lint
            .diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .count(),
        by_severity,
    };
    let report = LintReport {
        tool: "rolecall",
        version: env!("CARGO_PKG_VERSION"),
        files: lint.files.clone(),
        summary,
        findings,
        suppressed,
        diagnostics: lint.diagnostics.clone(),
        skipped_rules: result.skipped_rules.clone(),
        unused_suppressions: unused,
        missing_policies: result.missing_policies.clone(),
        history: None,
    };
    (report, result)
}

pub fn run(a: LintArgs) -> Result<ExitCode> {
    let filters = a.filter.filters()?;
    let (mut config, _) = Config::load(a.config.as_deref())?;
    if let Some(dir) = &a.golden {
        config.golden =
            Golden::load_dir(dir, catalog()).map_err(|e| anyhow::anyhow!("--golden: {e}"))?;
    }
    crate::baseline_cmd::load_into(&mut config, a.baseline.as_ref())?;
    let mut lint = rolecall_iac::load_limited(&a.paths, a.max_file_mb.saturating_mul(1024 * 1024));
    // A suppression naming a rule that does not exist suppresses nothing, and says so.
    for s in &lint.suppressions {
        if rolecall_checks::find_rule(&s.code).is_none() {
            lint.diagnostics.push(rolecall_iac::Diagnostic {
                loc: s.loc.clone(),
                level: Level::Error,
                message: format!(
                    "rolecall:ignore {}: no such rule (see `rolecall rules`)",
                    s.code
                ),
            });
        }
    }
    if let Some(p) = &a.inventory {
        lint.inventory
            .write_snapshot(p)
            .with_context(|| format!("{}: cannot write the inventory", p.display()))?;
    }
    let today = crate::sources::scan_day(&lint.inventory, a.today.as_deref())?;
    if lint.files.is_empty() && lint.diagnostics.is_empty() {
        if a.paths.iter().all(|p| p.is_file()) {
            // A pre-commit hook hands over whatever YAML and JSON changed: none being a template
            // is a pass, not an error. A directory without templates is a mistake worth failing.
            eprintln!(
                "rolecall lint: none of the {} file(s) given is a template",
                a.paths.len()
            );
            return Ok(ExitCode::SUCCESS);
        }
        bail!(
            "no templates found under {}: rolecall lint reads CloudFormation/SAM/CDK (YAML or JSON), Terraform (*.tf, plan JSON) and serverless.yml",
            a.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let (mut report, result) = lint_report(&lint, &config, today, &filters);
    if let Some(path) = a.history.as_ref().or(config.history.path.as_ref()) {
        record_lint_history(path, &a.paths, &lint, &config, today, &mut report)?;
    }
    let text = match a.format {
        LintFormat::Text => render_text(&report, crate::verbose()),
        LintFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        LintFormat::Sarif => serde_json::to_string_pretty(&sarif(&report, &result))? + "\n",
        LintFormat::Junit => junit(&report),
    };
    match &a.output {
        Some(p) => rolecall_inventory::model::write_atomic(p, |w| w.write_all(text.as_bytes()))
            .with_context(|| format!("{}: cannot write the report", p.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    if a.format != LintFormat::Text || a.output.is_some() {
        // The report went elsewhere: problems with the input still reach the terminal.
        for d in report
            .diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
        {
            eprintln!(
                "{}:{}:{}: error: {}",
                clean(&d.loc.file),
                d.loc.line,
                d.loc.col,
                clean(&d.message)
            );
        }
        eprintln!("{}", summary_line(&report));
    }
    let threshold = a.fail_on.map(FailOn::severity);
    let failing =
        threshold.is_some_and(|t| report.findings.iter().any(|f| f.finding.severity >= t));
    if let (true, Some(t), 0) = (failing, threshold, report.summary.errors) {
        let tripped: Vec<_> = report.findings.iter().map(|f| f.finding.clone()).collect();
        crate::sources::print_tripped(&tripped, t);
    }
    Ok(if report.summary.errors > 0 {
        ExitCode::from(2)
    } else if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn summary_line(r: &LintReport) -> String {
    let sev: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|s| {
            let n = r.summary.by_severity.get(s.as_str()).copied().unwrap_or(0);
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    format!(
        "rolecall lint: {} file(s), {} role(s), {} function(s): {} finding(s){}{}{}",
        r.summary.files,
        r.summary.roles,
        r.summary.functions,
        r.summary.findings,
        if sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", sev.join(", "))
        },
        if r.summary.suppressed > 0 {
            format!(", {} suppressed", r.summary.suppressed)
        } else {
            String::new()
        },
        if r.summary.errors > 0 {
            format!(", {} input error(s)", r.summary.errors)
        } else if r.summary.roles == 0 && r.summary.functions == 0 {
            " (note: no IAM roles or Lambda functions are declared, so nothing was checked)".into()
        } else {
            String::new()
        }
    )
}

/// Terminal control characters in names from templates are shown escaped, never executed.
fn clean(s: &str) -> String {
    crate::table::esc(s)
}

pub fn render_text(r: &LintReport, verbose: bool) -> String {
    let mut out = String::new();
    for d in &r.diagnostics {
        if d.level == Level::Note && !verbose {
            continue;
        }
        let level = match d.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        };
        out.push_str(&format!(
            "{}:{}:{}: {level}: {}\n",
            clean(&d.loc.file),
            d.loc.line,
            d.loc.col,
            clean(&d.message)
        ));
    }
    for f in &r.findings {
        let x = &f.finding;
        out.push_str(&format!(
            "{}:{}:{}: {} [{}] {}\n",
            clean(&f.location.file),
            f.location.line,
            f.location.col,
            x.code,
            x.severity,
            clean(&x.title)
        ));
        if let Some(e) = x.evidence.first() {
            let mut what = e
                .actions
                .iter()
                .take(6)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if e.actions.len() > 6 {
                what.push_str(", ...");
            }
            if !e.resources.is_empty() {
                what.push_str(&format!(" on {}", e.resources.join(", ")));
            }
            if !what.trim().is_empty() {
                out.push_str(&format!("    {}\n", clean(what.trim())));
            }
        }
        for l in &f.related {
            out.push_str(&format!(
                "    also at {}:{}:{}\n",
                clean(&l.file),
                l.line,
                l.col
            ));
        }
    }
    if verbose {
        for f in &r.files {
            out.push_str(&format!(
                "read {} ({:?}): {} role(s), {} function(s)\n",
                f.path, f.format, f.roles, f.functions
            ));
        }
        for s in &r.skipped_rules {
            out.push_str(&format!("skipped {s}\n"));
        }
        for s in &r.suppressed {
            out.push_str(&format!(
                "{}:{}:{}: suppressed {} ({}) by {}:{}: {}\n",
                s.location.file,
                s.location.line,
                s.location.col,
                s.finding.code,
                clean(&s.finding.title),
                s.suppressed_at.file,
                s.suppressed_at.line,
                clean(&s.reason)
            ));
        }
        for u in &r.unused_suppressions {
            out.push_str(&format!("{u}\n"));
        }
        for m in &r.missing_policies {
            out.push_str(&format!(
                "not analysed (no template defines it): {}\n",
                clean(m)
            ));
        }
    }
    out.push_str(&summary_line(r));
    out.push('\n');
    out
}

fn physical(l: &Loc) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(&l.file), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": l.line.max(1), "startColumn": l.col.max(1)}
        }
    })
}

/// A relative path as a URI reference (percent-encoding what a URI cannot hold).
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// SARIF 2.1.0 with physical locations, as GitHub code scanning reads it; inline suppressions as
/// `inSource` suppressions.
pub fn sarif(r: &LintReport, result: &ScanResult) -> Value {
    // One rendering of the open findings followed by the suppressed ones.
    let mut all = result.clone();
    all.findings = r
        .findings
        .iter()
        .map(|f| f.finding.clone())
        .chain(r.suppressed.iter().map(|s| s.finding.clone()))
        .collect();
    let mut v = rolecall_report::sarif::render(&all);
    let run = v
        .get_mut("runs")
        .and_then(|x| x.as_array_mut())
        .and_then(|x| x.first_mut());
    let Some(run) = run else { return v };
    if let Some(Value::Object(m)) = run.get_mut("automationDetails") {
        m.insert("id".into(), json!("rolecall/lint/"));
    }
    if let Some(Value::Array(results)) = run.get_mut("results") {
        let split = r.findings.len().min(results.len());
        let (open, suppressed) = results.split_at_mut(split);
        for (res, f) in open.iter_mut().zip(&r.findings) {
            place(res, &f.location, &f.related);
        }
        for (res, s) in suppressed.iter_mut().zip(&r.suppressed) {
            place(res, &s.location, &[]);
            if let Value::Object(m) = res {
                m.insert(
                    "suppressions".into(),
                    json!([{"kind": "inSource", "justification": s.reason, "location": physical(&s.suppressed_at)}]),
                );
            }
        }
    }
    v
}

fn place(res: &mut Value, l: &Loc, related: &[Loc]) {
    let Value::Object(m) = res else { return };
    if let Some(Value::Array(locs)) = m.get_mut("locations") {
        if let Some(Value::Object(first)) = locs.first_mut() {
            if let Value::Object(p) = physical(l) {
                first.extend(p);
            }
        }
    }
    if !related.is_empty() {
        m.insert(
            "relatedLocations".into(),
            Value::Array(
                related
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let mut p = physical(l);
                        if let Value::Object(o) = &mut p {
                            o.insert("id".into(), json!(i + 1));
                        }
                        p
                    })
                    .collect(),
            ),
        );
    }
}

/// XML text and attribute values: HTML's escaping, and control characters (which XML 1.0 cannot
/// hold) written out as `\u{..}`.
fn xml(s: &str) -> String {
    let visible: String = s
        .chars()
        .flat_map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                format!("\\u{{{:x}}}", u32::from(c))
                    .chars()
                    .collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    rolecall_report::escape_html(&visible)
}

/// JUnit XML: one test suite per file, one failing test case per finding (a file without findings
/// has one passing case), input errors as errors.
pub fn junit(r: &LintReport) -> String {
    let mut by_file: BTreeMap<&str, (Vec<&Located>, Vec<&rolecall_iac::Diagnostic>)> =
        BTreeMap::new();
    for f in &r.files {
        by_file.entry(f.path.as_str()).or_default();
    }
    for f in &r.findings {
        by_file
            .entry(f.location.file.as_str())
            .or_default()
            .0
            .push(f);
    }
    for d in r.diagnostics.iter().filter(|d| d.level == Level::Error) {
        by_file.entry(d.loc.file.as_str()).or_default().1.push(d);
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"rolecall lint\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
        by_file
            .values()
            .map(|(f, d)| (f.len() + d.len()).max(1))
            .sum::<usize>(),
        r.findings.len(),
        r.summary.errors
    ));
    for (file, (findings, errors)) in &by_file {
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
            xml(file),
            (findings.len() + errors.len()).max(1),
            findings.len(),
            errors.len()
        ));
        for d in errors {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"input {}:{}\">\n      <error message=\"{}\"/>\n    </testcase>\n",
                xml(file),
                d.loc.line,
                d.loc.col,
                xml(&d.message)
            ));
        }
        for f in findings {
            let x = &f.finding;
            let body = x
                .evidence
                .iter()
                .map(|e| {
                    let mut line = format!("{} {}", e.policy, e.statement);
                    if !e.actions.is_empty() {
                        line.push_str(&format!(": {}", e.actions.join(", ")));
                    }
                    if !e.resources.is_empty() {
                        line.push_str(&format!(" on {}", e.resources.join(", ")));
                    }
                    line
                })
                .collect::<Vec<_>>()
                .join("\n");
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{} {}:{} {}\">\n      <failure type=\"{}\" message=\"{}\">{}:{}:{}: {}\n{}</failure>\n    </testcase>\n",
                xml(file),
                x.code,
                f.location.line,
                f.location.col,
                xml(rolecall_report::short_name(&x.resource_arn)),
                x.severity,
                xml(&x.title),
                xml(&f.location.file),
                f.location.line,
                f.location.col,
                xml(&x.title),
                xml(&body)
            ));
        }
        if findings.is_empty() && errors.is_empty() {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"no findings\"/>\n",
                xml(file)
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
