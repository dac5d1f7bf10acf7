//! Markdown: a summary fit for a pull-request comment or a ticket. Text from AWS is escaped so it
//! cannot break the table or inject links and HTML.

use crate::short_name;
use rolecall_checks::{ScanResult, Severity};

/// Escapes Markdown table cells: pipes, backticks, brackets, angle brackets, newlines.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '`' | '*' | '_' | '[' | ']' | '#' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn render(r: &ScanResult, limit: usize) -> String {
    let s = &r.summary;
    let mut out = String::from("## rolecall: Lambda execution role audit\n\n");
    let counts: Vec<String> = Severity::ALL
        .iter()
        .map(|v| {
            format!(
                "{} {}",
                s.by_severity.get(v.as_str()).copied().unwrap_or(0),
                v
            )
        })
        .collect();
    out.push_str(&format!(
        "**{} functions, {} roles, {} findings**: {}",
        s.functions,
        s.roles,
        s.findings,
        counts.join(" · ")
    ));
    if s.suppressed > 0 {
        out.push_str(&format!(" ({} suppressed)", s.suppressed));
    }
    out.push_str("\n\n");
    if !r.coverage.complete {
        out.push_str(&format!("> **Coverage incomplete**: {} account(s) and {} account-region(s) could not be read.\n\n", r.coverage.accounts_failed, r.coverage.regions_failed));
    }
    if let Some(h) = &r.history {
        out.push_str(&format!(
            "> Since {}: {} new, {} fixed, {} regressed.\n\n",
            h.since(),
            h.new,
            h.fixed,
            h.regressed
        ));
    }
    if let Some(u) = &r.coverage.usage {
        let accounts: Vec<String> = u
            .accounts
            .iter()
            .map(|(a, c)| format!("`{}` {} of {} days", md(a), c.days_covered, u.window_days))
            .collect();
        out.push_str(&format!(
            "> Usage data: {}; {} role(s) have no usage data (not called unused).\n\n",
            if accounts.is_empty() {
                "no account".to_string()
            } else {
                accounts.join(", ")
            },
            u.roles_without_usage_data
        ));
    }
    if r.findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    out.push_str(
        "| risk | severity | rule | resource | account | finding |\n|---:|---|---|---|---|---|\n",
    );
    for f in r.findings.iter().take(limit) {
        out.push_str(&format!(
            "| {} | {} | {} {} | `{}` | {} | {} |\n",
            f.risk_score,
            f.severity,
            f.code,
            md(&f.name),
            md(short_name(&f.resource_arn)).replace('`', "'"),
            f.account,
            match f.status.as_deref() {
                Some(st @ ("new" | "regressed")) => format!("**{st}** {}", md(&f.title)),
                _ => md(&f.title),
            }
        ));
    }
    if r.findings.len() > limit {
        out.push_str(&format!(
            "\n… and {} more findings in the full report.\n",
            r.findings.len() - limit
        ));
    }
    out.push_str("\n<details><summary>How to fix the top findings</summary>\n\n");
    let mut seen = Vec::new();
    for f in r.findings.iter().take(limit) {
        if seen.contains(&f.code) {
            continue;
        }
        seen.push(f.code.clone());
        out.push_str(&format!(
            "- **{} {}**: {}\n",
            f.code,
            md(&f.name),
            md(&f.remediation)
        ));
    }
    out.push_str("\n</details>\n");
    out
}
