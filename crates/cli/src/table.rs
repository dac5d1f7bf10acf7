//! The terminal report: a summary and the ranked remediation queue.

use rolecall_checks::{ScanResult, Severity};
use std::io::{IsTerminal, Write};

/// `--color`: auto (a terminal, unless `NO_COLOR` is set or `TERM=dumb`), always, never.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour what goes to standard output.
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        }
    }
}

/// The width to fit: `COLUMNS`, else the terminal's, else 120.
pub fn width() -> usize {
    if let Some(w) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w > 0)
    {
        return w.max(40);
    }
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(w, _)| usize::from(w.0).max(40))
        .unwrap_or(120)
}

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

/// Keeps a cell on one line and within `width` characters; control characters (hostile names,
/// terminal escapes) are shown escaped, never sent to the terminal.
fn cell(s: &str, width: usize) -> String {
    let clean: String = s.chars().map(escape_char).collect();
    if clean.chars().count() <= width {
        clean
    } else {
        let mut t: String = clean.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Text for the terminal, whole: every control or bidirectional-override character escaped.
pub fn esc(s: &str) -> String {
    s.chars().map(escape_char).collect()
}

/// Like [`esc`], but line breaks stay (an error's hint is on its own line).
pub fn esc_keep_newlines(s: &str) -> String {
    s.split('\n').map(esc).collect::<Vec<_>>().join("\n")
}

/// A control character as visible text (`\\x1b`, `\\n`); anything else as itself.
fn escape_char(c: char) -> String {
    match c {
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        c if c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
        {
            format!("\\u{{{:x}}}", c as u32)
        }
        c => c.to_string(),
    }
}

pub fn write(
    out: &mut dyn Write,
    r: &ScanResult,
    limit: usize,
    color: bool,
) -> std::io::Result<()> {
    let w = width();
    let mut buf = Vec::new();
    write_width(&mut buf, r, limit, color, w)?;
    for line in String::from_utf8_lossy(&buf).lines() {
        writeln!(out, "{}", fit(line, w))?;
    }
    Ok(())
}

/// A line cut to `width` visible characters (our own colour codes do not count), `…` marking
/// the cut.
fn fit(line: &str, width: usize) -> String {
    let mut out = String::with_capacity(line.len());
    let mut visible = 0;
    let mut chars = line.chars().peekable();
    let mut cut = false;
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // An SGR sequence we wrote: copy it whole.
            out.push(c);
            for d in chars.by_ref() {
                out.push(d);
                if d == 'm' {
                    break;
                }
            }
            continue;
        }
        if visible + 1 >= width && chars.peek().is_some() {
            cut = true;
            break;
        }
        out.push(c);
        visible += 1;
    }
    if cut {
        out.push('…');
        if out.contains('\x1b') {
            out.push_str("\x1b[0m");
        }
    }
    out
}

fn write_width(
    out: &mut dyn Write,
    r: &ScanResult,
    limit: usize,
    color: bool,
    width: usize,
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
    if let Some(h) = &r.history {
        writeln!(
            out,
            "Since {}: {} new, {} fixed, {} regressed",
            h.since(),
            h.new,
            h.fixed,
            h.regressed
        )?;
    }
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
    // Risks first; hygiene (boundary, naming, tags, unused roles) grouped after them.
    let hygiene = |code: &str| rolecall_checks::rules::HYGIENE.contains(&code);
    let risks: Vec<&rolecall_checks::Finding> =
        r.findings.iter().filter(|f| !hygiene(&f.code)).collect();
    let fixed = 4 + 2 + 8 + 2 + 5 + 2 + 12 + 2 + 2;
    let avail = width.saturating_sub(fixed).max(30);
    let res_w = (avail / 3).clamp(12, 38);
    let title_w = avail.saturating_sub(res_w).max(18);
    writeln!(out, "\nRemediation queue (by severity, then risk)")?;
    writeln!(
        out,
        "{:>4}  {:<8}  {:<5}  {:<12}  {:<res_w$}  TITLE",
        "RISK", "SEVERITY", "CODE", "ACCOUNT", "RESOURCE"
    )?;
    let shown = if limit == 0 {
        risks.len()
    } else {
        limit.min(risks.len())
    };
    for f in risks.iter().take(shown) {
        writeln!(
            out,
            "{:>4}  {}  {:<5}  {:<12}  {:<res_w$}  {}",
            f.risk_score,
            paint(&format!("{:<8}", f.severity.as_str()), f.severity, color),
            cell(&f.code, 5),
            cell(&f.account, 12),
            cell(short(&f.resource_arn), res_w),
            cell(&status_title(f), title_w)
        )?;
    }
    if shown < risks.len() {
        writeln!(
            out,
            "... {} more (--limit 0 shows all; --format json has every detail)",
            risks.len() - shown
        )?;
    }
    let mut groups: std::collections::BTreeMap<(&str, &str), Vec<&rolecall_checks::Finding>> =
        Default::default();
    for f in r.findings.iter().filter(|f| hygiene(&f.code)) {
        groups
            .entry((f.code.as_str(), f.name.as_str()))
            .or_default()
            .push(f);
    }
    if !groups.is_empty() {
        writeln!(
            out,
            "\nHygiene ({} findings)",
            groups.values().map(Vec::len).sum::<usize>()
        )?;
        for ((code, name), fs) in &groups {
            let mut names: Vec<String> = fs
                .iter()
                .take(3)
                .map(|f| cell(short(&f.resource_arn), 40))
                .collect();
            if fs.len() > 3 {
                names.push(format!("and {} more", fs.len() - 3));
            }
            writeln!(
                out,
                "  {code} {name:<26} {:>4}  {}",
                fs.len(),
                cell(&names.join(", "), avail)
            )?;
        }
    }
    writeln!(out, "\nRiskiest functions")?;
    let name_w = width.saturating_sub(70).clamp(16, 44);
    for f in r.functions.iter().take(5) {
        let rk = &f.risk;
        writeln!(
            out,
            "{:>4}  {:<name_w$}  permission {} + blast radius {} + exposure {} + data {}{}",
            f.risk.score,
            cell(&f.name, name_w),
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

/// Writes text with control and bidirectional characters escaped (line breaks kept): for text
/// reports assembled from many pieces (`effective`). A piece that is not whole UTF-8 passes as is.
pub struct Escaping<W: Write>(pub W);

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(s)
                if s.chars().any(|c| {
                    c != '\n' && (c.is_control() || escape_char(c).len() > c.len_utf8())
                }) =>
            {
                self.0.write_all(esc_keep_newlines(s).as_bytes())?;
                Ok(buf.len())
            }
            _ => self.0.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// A finding's title, marked `[new]` or `[regressed]` when the history says so.
fn status_title(f: &rolecall_checks::Finding) -> String {
    match f.status.as_deref() {
        Some(st @ ("new" | "regressed")) => format!("[{st}] {}", f.title),
        _ => f.title.clone(),
    }
}
