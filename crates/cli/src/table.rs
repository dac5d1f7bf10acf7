//! The terminal report: a summary and the ranked remediation queue.

use rolecall_checks::{ScanResult, Severity};
use std::io::Write;

fn paint(s: &str, sev: Severity, color: bool) -> String {
    if !color {
        return s.to_string();
    }
    let code = match sev {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

fn short(arn: &str) -> &str {
    arn.rsplit([':', '/']).next().unwrap_or(arn)
}

/// A string for the terminal: control characters escaped, at most `width` characters.
pub fn clean(s: &str, width: usize) -> String {
    cell(s, width)
}

/// Keeps a cell on one line and within `width` characters (hostile names included).
fn cell(s: &str, width: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= width {
        clean
    } else {
        let mut t: String = clean.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub fn write(
    out: &mut dyn Write,
    r: &ScanResult,
    limit: usize,
    color: bool,
) -> std::io::Result<()> {
    let s = &r.summary;
    writeln!(
        out,
        "rolecall {} · source: {}{}",
        r.tool.version,
        r.source,
        r.collected_at
            .as_ref()
            .map(|c| format!(" · collected {c}"))
            .unwrap_or_default()
    )?;
    let cov = &r.coverage;
    if cov.complete {
        writeln!(
            out,
            "Coverage: complete ({} accounts, {} regions)",
            cov.accounts, cov.regions
        )?;
    } else {
        writeln!(
            out,
            "Coverage: INCOMPLETE ({} accounts, {} regions; {} account(s) and {} account-region(s) failed, {} gap(s) in all)",
            cov.accounts,
            cov.regions,
            cov.accounts_failed,
            cov.regions_failed,
            cov.failures.len()
        )?;
        for g in &cov.failures {
            writeln!(
                out,
                "  gap: account {} {} {}: {}",
                g.account,
                g.region.as_deref().unwrap_or("(all regions)"),
                g.api,
                cell(&g.error, 120)
            )?;
        }
    }
    for k in &cov.lacks {
        writeln!(
            out,
            "note: the input has no {k} ({}); rules that need it were skipped",
            rolecall_inventory::data_kind::describe(k)
        )?;
    }
    let sev_counts: Vec<String> = Severity::ALL
        .iter()
        .map(|v| {
            let n = s.by_severity.get(v.as_str()).copied().unwrap_or(0);
            paint(&format!("{n} {v}"), *v, color && n > 0)
        })
        .collect();
    writeln!(
        out,
        "{} functions, {} roles, {} findings: {}{}",
        s.functions,
        s.roles,
        s.findings,
        sev_counts.join(", "),
        if s.suppressed > 0 {
            format!(" ({} suppressed)", s.suppressed)
        } else {
            String::new()
        }
    )?;
    writeln!(
        out,
        "Functions with a role of their own: {:.0}% · roles with wildcard grants: {} · policies per role: {:.1} · highest risk: {}",
        s.unique_role_share * 100.0,
        s.roles_with_wildcard_grants,
        s.average_policies_per_role,
        s.max_risk_score
    )?;
    for n in r.suppression_notes.iter().chain(
        &r.skipped_rules
            .iter()
            .map(|x| format!("skipped rule {x}"))
            .collect::<Vec<_>>(),
    ) {
        writeln!(out, "note: {}", cell(n, 160))?;
    }
    if r.other_roles > 0 {
        writeln!(
            out,
            "note: {} role(s) are not Lambda execution roles and were not audited",
            r.other_roles
        )?;
    }
    for m in &r.missing_policies {
        writeln!(
            out,
            "note: managed policy not found, not analysed: {}",
            cell(m, 160)
        )?;
    }
    if r.findings.is_empty() {
        writeln!(out, "\nNo findings.")?;
        return Ok(());
    }
    writeln!(out, "\nRemediation queue (highest risk first)")?;
    writeln!(
        out,
        "{:>4}  {:<8}  {:<5}  {:<12}  {:<38}  TITLE",
        "RISK", "SEVERITY", "CODE", "ACCOUNT", "RESOURCE"
    )?;
    let shown = if limit == 0 {
        r.findings.len()
    } else {
        limit.min(r.findings.len())
    };
    for f in r.findings.iter().take(shown) {
        writeln!(
            out,
            "{:>4}  {}  {:<5}  {:<12}  {:<38}  {}",
            f.risk_score,
            paint(&format!("{:<8}", f.severity.as_str()), f.severity, color),
            f.code,
            f.account,
            cell(short(&f.resource_arn), 38),
            cell(&f.title, 110)
        )?;
    }
    if shown < r.findings.len() {
        writeln!(
            out,
            "... {} more (--limit 0 shows all; --format json has every detail)",
            r.findings.len() - shown
        )?;
    }
    writeln!(out, "\nRiskiest functions")?;
    for f in r.functions.iter().take(5) {
        let rk = &f.risk;
        writeln!(
            out,
            "{:>4}  {:<44}  permission {} + blast radius {} + exposure {} + data {}{}",
            f.risk.score,
            cell(&f.name, 44),
            rk.permission.score,
            rk.blast_radius.score,
            rk.exposure.score,
            rk.data.score,
            if f.exposure.is_empty() {
                String::new()
            } else {
                format!("  ({})", f.exposure.join(", "))
            }
        )?;
    }
    Ok(())
}
