//! The trend dashboard (`rolecall trend --format html`): one self-contained page, no script at
//! all, charts drawn as inline SVG. The Content-Security-Policy allows nothing but inline style,
//! so even a missed escape could not load or run anything.
//!
//! Readable without colour: every series has its own dash pattern and marker and is named in a
//! legend, every chart is followed by its numbers in a table, and severities are written out.

use crate::{Aging, Dimension, MetricRow, OpenFinding, Remediation};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What the page shows.
pub struct Dashboard<'a> {
    /// The history file, shown in the heading.
    pub source: &'a str,
    pub by: Dimension,
    /// The metrics of each scan for the whole scan (`all`).
    pub overall: &'a [MetricRow],
    /// The metrics per team or account (empty for `--by none`).
    pub groups: &'a [MetricRow],
    pub aging: &'a [Aging],
    /// Open critical findings, oldest first.
    pub oldest_critical: &'a [OpenFinding],
    pub remediation: &'a [Remediation],
}

/// Text for HTML and SVG alike: the scan report's escaping, control characters (which XML
/// cannot hold) turned into spaces first.
pub fn esc(s: &str) -> String {
    let plain: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    rolecall_report::escape_html(&plain)
}

const PALETTE: [&str; 8] = [
    "#1f4e9c", "#b3470c", "#2a7d3b", "#7a2a8c", "#8a6d00", "#00707a", "#5a5a5a", "#a1123d",
];
const DASHES: [&str; 8] = [
    "", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 2 1 2", "12 2",
];
const SEVERITIES: [(&str, &str); 5] = [
    ("critical", "#7f0000"),
    ("high", "#c0392b"),
    ("medium", "#b9770e"),
    ("low", "#4a6a8a"),
    ("info", "#555555"),
];

/// One series: name → (scan time, value) in time order.
type Series = BTreeMap<String, Vec<(String, f64)>>;

fn series(rows: &[MetricRow], scopes: usize, get: fn(&MetricRow) -> Option<f64>) -> Series {
    let mut out: Series = BTreeMap::new();
    for r in rows {
        let Some(v) = get(r) else { continue };
        let name = match (r.metrics.key.as_str(), scopes > 1) {
            ("", false) => "all".to_string(),
            ("", true) => r.scope.clone(),
            (k, false) => k.to_string(),
            (k, true) => format!("{k} · {}", r.scope),
        };
        out.entry(name).or_default().push((r.at.clone(), v));
    }
    out
}

fn marker(out: &mut String, i: usize, x: f64, y: f64, colour: &str) {
    let _ = match i % 4 {
        0 => write!(out, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{colour}\"/>"),
        1 => write!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"7\" height=\"7\" fill=\"{colour}\"/>",
            x - 3.5,
            y - 3.5
        ),
        2 => write!(
            out,
            "<path d=\"M{x:.1} {:.1} L{:.1} {:.1} L{:.1} {:.1} Z\" fill=\"{colour}\"/>",
            y - 4.5,
            x + 4.5,
            y + 3.5,
            x - 4.5,
            y + 3.5
        ),
        _ => write!(
            out,
            "<path d=\"M{x:.1} {:.1} L{:.1} {y:.1} L{x:.1} {:.1} L{:.1} {y:.1} Z\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>",
            y - 4.5,
            x + 4.5,
            y + 4.5,
            x - 4.5
        ),
    };
}

/// A line chart of `s` with its legend and its numbers in a table.
fn chart(out: &mut String, id: &str, title: &str, unit: Unit, s: &Series) {
    let _ = write!(
        out,
        "<section class=\"chart\" id=\"{id}\"><h2>{}</h2>",
        esc(title)
    );
    if s.is_empty() {
        out.push_str("<p class=\"empty\">No data in the scans recorded.</p></section>");
        return;
    }
    let mut times: Vec<&str> = s.values().flatten().map(|(t, _)| t.as_str()).collect();
    times.sort_unstable();
    times.dedup();
    let max = s.values().flatten().map(|(_, v)| *v).fold(0.0f64, f64::max);
    let top = match unit {
        Unit::Share => 1.0,
        Unit::Count | Unit::Ratio => nice_ceiling(max),
    };
    let (w, h, left, right, up, down) = (640.0, 240.0, 56.0, 16.0, 12.0, 36.0);
    let x_of = |t: &str| {
        let i = times.iter().position(|x| *x == t).unwrap_or(0) as f64;
        let n = (times.len().max(2) - 1) as f64;
        if times.len() == 1 {
            left + (w - left - right) / 2.0
        } else {
            left + i * (w - left - right) / n
        }
    };
    let y_of = |v: f64| up + (h - up - down) * (1.0 - if top > 0.0 { v / top } else { 0.0 });
    let _ = write!(
        out,
        "<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(title)
    );
    for k in 0..=4 {
        let v = top * f64::from(k) / 4.0;
        let y = y_of(v);
        let _ = write!(
            out,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{}</text>",
            w - right,
            left - 6.0,
            y + 4.0,
            unit.show(v)
        );
    }
    let step = (times.len() / 6).max(1);
    for (i, t) in times.iter().enumerate() {
        if i % step == 0 || i + 1 == times.len() {
            // The first and last labels run inwards, so neither is clipped at the edge.
            let anchor = match (i, times.len()) {
                (_, 1) => "middle",
                (0, _) => "start",
                (i, n) if i + 1 == n => "end",
                _ => "middle",
            };
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"11\">{}</text>",
                x_of(t),
                h - down + 16.0,
                esc(t.get(..10).unwrap_or(t))
            );
        }
    }
    for (i, (name, points)) in s.iter().enumerate() {
        let colour = PALETTE.get(i % PALETTE.len()).copied().unwrap_or("#000");
        let dash = DASHES.get(i % DASHES.len()).copied().unwrap_or("");
        let d: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(j, (t, v))| {
                format!(
                    "{}{:.1} {:.1}",
                    if j == 0 { "M" } else { "L" },
                    x_of(t),
                    y_of(*v)
                )
            })
            .collect();
        let _ = write!(
            out,
            "<path class=\"series\" d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\"><title>{}</title></path>",
            d.join(" "),
            esc(name)
        );
        for (t, v) in points {
            marker(out, i, x_of(t), y_of(*v), colour);
        }
    }
    out.push_str("</svg><ul class=\"legend\">");
    for (i, name) in s.keys().enumerate() {
        let colour = PALETTE.get(i % PALETTE.len()).copied().unwrap_or("#000");
        let dash = DASHES.get(i % DASHES.len()).copied().unwrap_or("");
        let mut m = String::new();
        marker(&mut m, i, 20.0, 6.0, colour);
        let _ = write!(
            out,
            "<li><svg width=\"40\" height=\"12\" aria-hidden=\"true\"><line x1=\"0\" x2=\"40\" y1=\"6\" y2=\"6\" stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\"/>{m}</svg> {}</li>",
            esc(name)
        );
    }
    out.push_str("</ul><table class=\"numbers\"><thead><tr><th>series</th>");
    for t in &times {
        let _ = write!(out, "<th>{}</th>", esc(t));
    }
    out.push_str("</tr></thead><tbody>");
    for (name, points) in s {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", esc(name));
        for t in &times {
            match points.iter().find(|(x, _)| x == t) {
                Some((_, v)) => {
                    let _ = write!(out, "<td>{}</td>", unit.show(*v));
                }
                None => out.push_str("<td>–</td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></section>");
}

#[derive(Clone, Copy)]
enum Unit {
    Share,
    Count,
    Ratio,
}

impl Unit {
    fn show(self, v: f64) -> String {
        match self {
            Unit::Share => format!("{:.0}%", v * 100.0),
            Unit::Count => format!("{v:.0}"),
            Unit::Ratio => format!("{v:.2}"),
        }
    }
}

fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

type Getter = fn(&MetricRow) -> Option<f64>;

/// The page.
pub fn render(d: &Dashboard<'_>) -> String {
    let mut scopes: Vec<&str> = d.overall.iter().map(|r| r.scope.as_str()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    let rows = if d.groups.is_empty() {
        d.overall
    } else {
        d.groups
    };
    let by = match d.by {
        Dimension::All => "",
        Dimension::Team => " per team",
        Dimension::Account => " per account",
    };
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>rolecall trend</title><style>");
    out.push_str("body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d1d1d;max-width:1400px}h1{font-size:22px}h2{font-size:16px;margin:0 0 6px}");
    out.push_str(".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:18px}.chart,.panel{border:1px solid #ccc;border-radius:6px;padding:12px;background:#fff}");
    out.push_str("svg{max-width:100%;height:auto}.legend{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;gap:4px 16px}");
    out.push_str("table{border-collapse:collapse;font-size:12px;margin-top:6px}th,td{border:1px solid #ddd;padding:2px 6px;text-align:right}th[scope=row],td.text{text-align:left}");
    out.push_str(".sev{font-weight:600;padding:0 4px;border-radius:3px;color:#fff}.empty{color:#555}.numbers{display:block;overflow-x:auto}");
    out.push_str("</style></head><body>");
    let _ = write!(
        out,
        "<h1>rolecall posture trend{}</h1><p>{} scan(s) of {} scope(s), from <code>{}</code>.</p>",
        esc(by),
        d.overall.len(),
        scopes.len(),
        esc(d.source)
    );
    let charts: [(&str, &str, Unit, Getter); 9] = [
        (
            "unique-role-share",
            "Share of functions with a role of their own",
            Unit::Share,
            |r| Some(r.metrics.unique_role_share),
        ),
        (
            "wildcard-roles",
            "Roles with wildcard grants (* in Action or Resource, effective)",
            Unit::Count,
            |r| Some(r.metrics.roles_with_wildcard_grants as f64),
        ),
        (
            "policies-per-role",
            "Average policies per execution role",
            Unit::Ratio,
            |r| Some(r.metrics.average_policies_per_role),
        ),
        (
            "unused-permissions",
            "Unused permissions (granted, never seen in the usage data)",
            Unit::Count,
            |r| r.metrics.unused_permissions.map(|v| v as f64),
        ),
        (
            "drift-rate",
            "Drift rate: deployments that widened permissions",
            Unit::Share,
            |r| r.drift_rate,
        ),
        (
            "baseline-compliance",
            "Compliance with the approved baseline (roles without drift)",
            Unit::Share,
            |r| r.baseline_compliance,
        ),
        ("open-findings", "Open findings", Unit::Count, |r| {
            Some(r.metrics.open_findings as f64)
        }),
        (
            "open-critical",
            "Open critical findings",
            Unit::Count,
            |r| Some(r.metrics.critical as f64),
        ),
        ("open-high", "Open high findings", Unit::Count, |r| {
            Some(r.metrics.high as f64)
        }),
    ];
    out.push_str("<div class=\"grid\">");
    for (id, title, unit, get) in charts {
        chart(&mut out, id, title, unit, &series(rows, scopes.len(), get));
    }
    out.push_str("</div>");
    // Open findings by severity and age.
    out.push_str("<div class=\"grid\"><section class=\"panel\" id=\"aging\"><h2>Open findings by severity and age (days since first seen)</h2>");
    let most = d
        .aging
        .iter()
        .map(|a| a.days_0_7 + a.days_8_30 + a.days_31_90 + a.days_over_90)
        .max()
        .unwrap_or(0)
        .max(1);
    let _ = write!(
        out,
        "<svg viewBox=\"0 0 640 {}\" role=\"img\" aria-label=\"open findings by severity and age\" xmlns=\"http://www.w3.org/2000/svg\">",
        24 + 30 * d.aging.len()
    );
    let shades = ["1", "0.75", "0.5", "0.3"];
    for (i, a) in d.aging.iter().enumerate() {
        let colour = SEVERITIES
            .iter()
            .find(|(s, _)| *s == a.severity)
            .map(|(_, c)| *c)
            .unwrap_or("#555");
        let y = 8 + 30 * i;
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text>",
            y + 15,
            esc(&a.severity)
        );
        let mut x = 80.0;
        for (k, n) in [a.days_0_7, a.days_8_30, a.days_31_90, a.days_over_90]
            .iter()
            .enumerate()
        {
            let wd = 480.0 * *n as f64 / most as f64;
            if *n > 0 {
                let _ = write!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{wd:.1}\" height=\"20\" fill=\"{colour}\" fill-opacity=\"{}\" stroke=\"#222\" stroke-width=\"0.5\"><title>{} {}: {n}</title></rect>",
                    shades.get(k).copied().unwrap_or("1"),
                    esc(&a.severity),
                    ["0-7 days", "8-30 days", "31-90 days", "over 90 days"].get(k).copied().unwrap_or("")
                );
            }
            x += wd;
        }
        let total = a.days_0_7 + a.days_8_30 + a.days_31_90 + a.days_over_90;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{total}</text>",
            x + 6.0,
            y + 15
        );
    }
    out.push_str("</svg><table><thead><tr><th scope=\"col\">severity</th><th>0-7 days</th><th>8-30 days</th><th>31-90 days</th><th>over 90 days</th></tr></thead><tbody>");
    for a in d.aging {
        let colour = SEVERITIES
            .iter()
            .find(|(s, _)| *s == a.severity)
            .map(|(_, c)| *c)
            .unwrap_or("#555");
        let _ = write!(
            out,
            "<tr><th scope=\"row\"><span class=\"sev\" style=\"background:{colour}\">{}</span></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.severity),
            a.days_0_7,
            a.days_8_30,
            a.days_31_90,
            a.days_over_90
        );
    }
    out.push_str("</tbody></table></section>");
    // Time to remediation.
    out.push_str("<section class=\"panel\" id=\"remediation\"><h2>Time to remediation (days from first seen to fixed)</h2>");
    if d.remediation.is_empty() {
        out.push_str("<p class=\"empty\">No finding has been fixed yet.</p>");
    } else {
        out.push_str("<table><thead><tr><th scope=\"col\">group</th><th scope=\"col\">severity</th><th>fixed</th><th>median</th><th>90th percentile</th></tr></thead><tbody>");
        for r in d.remediation {
            let _ = write!(
                out,
                "<tr><td class=\"text\">{}</td><td class=\"text\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(if r.key.is_empty() { "all" } else { &r.key }),
                esc(&r.severity),
                r.fixed,
                r.median_days,
                r.p90_days
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section></div>");
    // The oldest open critical findings.
    out.push_str(
        "<section class=\"panel\" id=\"oldest-critical\"><h2>Oldest open critical findings</h2>",
    );
    if d.oldest_critical.is_empty() {
        out.push_str("<p class=\"empty\">No critical finding is open.</p>");
    } else {
        out.push_str("<table><thead><tr><th scope=\"col\">open for (days)</th><th scope=\"col\">first seen</th><th scope=\"col\">rule</th><th scope=\"col\">team</th><th scope=\"col\">account</th><th scope=\"col\">finding</th></tr></thead><tbody>");
        for f in d.oldest_critical {
            let _ = write!(
                out,
                "<tr><td>{:.0}</td><td class=\"text\">{}</td><td class=\"text\">{}</td><td class=\"text\">{}</td><td class=\"text\">{}</td><td class=\"text\">{}</td></tr>",
                f.age_days,
                esc(&f.first_seen),
                esc(&f.code),
                esc(f.team.as_deref().unwrap_or(crate::metrics::UNTAGGED)),
                esc(&f.account),
                esc(&f.title)
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section></body></html>\n");
    out
}
