//! The HTML dashboard: one self-contained file (no CDN, no network; works opened from disk).
//!
//! Safety: every string from AWS is escaped where it is written (element text and attribute
//! values); the one script is a constant with no data in it, allowed by its SHA-256 hash in a
//! Content-Security-Policy that allows nothing else, so even a missed escape could not run a script.
//! Filters and sorting move existing rows and compare `dataset` values; nothing is ever parsed as
//! HTML in the browser.

use crate::{escape_html as esc, short_name, Lookup};
use base64::Engine;
use rolecall_catalog::ManagedPolicies;
use rolecall_checks::{Finding, ScanResult, Severity};
use rolecall_inventory::{Document, Inventory};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

const SCRIPT: &str = r#"(function () {
  "use strict";
  var table = document.getElementById("findings");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var keys = ["severity", "account", "region", "team", "code"];
  var rank = {critical: 4, high: 3, medium: 2, low: 1, info: 0};
  var PAGE = 200, limit = PAGE, lower = [];
  function el(id) { return document.getElementById(id); }
  // Each row's values, read once from its cells (the rows carry no copies of their text).
  var index = new Map(), vals = [];
  rows.forEach(function (r, i) {
    index.set(r, i);
    var c = r.cells, sev = c[1].textContent;
    vals.push({risk: Number(c[0].textContent), severity: sev, sevrank: rank[sev] || 0,
               code: c[2].textContent.split(" ")[0], resource: c[3].textContent,
               account: c[4].textContent, region: c[5].textContent, team: c[6].textContent});
  });
  function text(r) { var i = index.get(r); if (lower[i] === undefined) { lower[i] = r.textContent.toLowerCase(); } return lower[i]; }
  function value(r, key) { return vals[index.get(r)][key]; }
  // Filters run over every finding; only the first `limit` matches are shown (the rest stay in
  // the page, hidden, and "Show more" reveals them), so a large queue stays quick to use.
  function apply() {
    var q = el("f-search").value.toLowerCase();
    var want = keys.map(function (k) { return el("f-" + k).value; });
    var matched = 0, shown = 0;
    rows.forEach(function (r) {
      var ok = true;
      var v = vals[index.get(r)];
      for (var j = 0; j < keys.length && ok; j++) { ok = !want[j] || v[keys[j]] === want[j]; }
      if (ok && q) { ok = text(r).indexOf(q) !== -1; }
      if (ok) { matched += 1; }
      var show = ok && matched <= limit;
      if (r.hidden === show) { r.hidden = !show; }
      if (show) { shown += 1; }
    });
    el("count").textContent = shown + " of " + rows.length + " findings shown" +
      (matched > shown ? " (" + matched + " match the filters)" : "");
    el("more").hidden = matched <= shown;
  }
  function reset() { limit = PAGE; apply(); }
  keys.forEach(function (k) { el("f-" + k).addEventListener("change", reset); });
  el("f-search").addEventListener("input", reset);
  el("more").addEventListener("click", function () { limit += PAGE * 5; apply(); });
  Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-key]"), function (th) {
    th.addEventListener("click", function () {
      var key = th.dataset.key, num = th.dataset.type === "num";
      var dir = th.dataset.dir === "desc" ? "asc" : "desc";
      Array.prototype.forEach.call(table.tHead.querySelectorAll("th"), function (h) { delete h.dataset.dir; });
      th.dataset.dir = dir;
      rows.sort(function (a, b) {
        var x = value(a, key), y = value(b, key);
        var c = num ? Number(x) - Number(y) : String(x).localeCompare(String(y));
        if (c === 0) { c = index.get(a) - index.get(b); }
        return dir === "asc" ? c : -c;
      });
      var frag = document.createDocumentFragment();
      rows.forEach(function (r) { frag.appendChild(r); });
      body.appendChild(frag);
      reset();
    });
  });
  apply();
  document.documentElement.dataset.ready = String(Math.round(performance.now()));
})();
"#;

const STYLE: &str = r#"
:root { --critical:#b91c1c; --high:#ea580c; --medium:#ca8a04; --low:#2563eb; --info:#6b7280; --ink:#111827; --muted:#6b7280; --line:#e5e7eb; --bg:#f9fafb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header, main, footer { max-width: 1400px; margin: 0 auto; padding: 16px 24px; }
header h1 { margin: 0; font-size: 22px; } .meta { color: var(--muted); margin: 4px 0 0; }
h2 { font-size: 18px; margin: 28px 0 10px; } h3 { font-size: 16px; margin: 0 0 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .n { font-size: 24px; font-weight: 650; } .card .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.chip { display: inline-block; padding: 1px 8px; border-radius: 999px; color: #fff; font-size: 12px; font-weight: 600; }
.status-new { background: #1f5fa8; } .status-regressed { background: #8e2c8e; }
.sev-critical { background: var(--critical); } .sev-high { background: var(--high); } .sev-medium { background: var(--medium); } .sev-low { background: var(--low); } .sev-info { background: var(--info); }
.bars { display: grid; grid-template-columns: 70px 1fr 40px; gap: 4px 8px; align-items: center; font-size: 12px; }
.bar { height: 12px; border-radius: 3px; background: var(--high); min-width: 2px; }
.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; margin: 8px 0; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
.filters select, .filters input { font: inherit; padding: 4px 6px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th[data-key] { cursor: pointer; user-select: none; white-space: nowrap; } th[data-dir="asc"]::after { content: " ▲"; } th[data-dir="desc"]::after { content: " ▼"; }
td.risk { font-weight: 650; text-align: right; } tr.r-critical td.risk { color: var(--critical); } tr.r-high td.risk { color: var(--high); } tr.r-medium td.risk { color: var(--medium); }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; } pre { background: #f3f4f6; padding: 8px; border-radius: 6px; overflow-x: auto; margin: 4px 0; white-space: pre-wrap; word-break: break-all; }
pre.grant { background: #fef2f2; border-left: 4px solid var(--critical); }
.role { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 8px 0; }
.role > summary { cursor: pointer; } .role > summary h3 { display: inline; } .policy { margin: 6px 0; } .policy > summary { cursor: pointer; }
#more { font: inherit; margin: 8px 0; padding: 4px 12px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
.finding { border-top: 1px solid var(--line); padding-top: 8px; margin-top: 8px; }
.muted { color: var(--muted); } .small { font-size: 12px; }
.perm td, .perm th { padding: 3px 6px; font-size: 12px; text-align: right; } .perm td:first-child, .perm th:first-child { text-align: left; }
.gap { color: var(--critical); }
@media print {
  body { background: #fff; } .filters, footer { display: none; }
  .role { break-inside: avoid; }
  .chip { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

fn risk_class(score: u8) -> &'static str {
    match score {
        80..=u8::MAX => "r-critical",
        60..=79 => "r-high",
        40..=59 => "r-medium",
        _ => "r-low",
    }
}

/// A stable HTML id for a role.
fn anchor(arn: &str) -> String {
    format!("role-{}", rolecall_checks::finding::stable_hash(&[arn]))
}

fn options(id: &str, label: &str, values: &BTreeSet<String>) -> String {
    let mut s = format!("<label>{label}<select id=\"f-{id}\"><option value=\"\">all</option>");
    for v in values {
        let _ = write!(s, "<option value=\"{}\">{}</option>", esc(v), esc(v));
    }
    s.push_str("</select></label>");
    s
}

/// The statements of a document, each as pretty JSON, with the ones named in `highlight` marked.
fn statements_html(doc: &Document, highlight: &[&str]) -> String {
    let v = doc.to_value();
    let v = match &v {
        serde_json::Value::String(s) => rolecall_policy::decode_document(s)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(v.clone()),
        _ => v,
    };
    let list = match v.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        None | Some(serde_json::Value::Null) => return String::new(),
        Some(other) => vec![other.clone()],
    };
    let mut out = String::new();
    for (i, s) in list.iter().enumerate() {
        let label = s
            .get("Sid")
            .and_then(|x| x.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| i.to_string());
        let cls = if highlight.contains(&label.as_str()) {
            " class=\"grant\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<pre{cls}>{}</pre>",
            esc(&serde_json::to_string_pretty(s).unwrap_or_default())
        );
    }
    out
}

/// The policy a finding's evidence names, from the role's inline policies, the inventory's
/// managed policies, or the AWS managed policies rolecall ships.
fn policy_document(lk: &Lookup<'_>, role_arn: &str, policy: &str) -> Option<Document> {
    let role = lk.roles.get(role_arn)?;
    if let Some(d) = role.inline_policies.iter().find(|p| p.name == policy) {
        return Some(d.document.clone());
    }
    if let Some(d) = lk.managed.get(policy) {
        return Some((*d).clone());
    }
    ManagedPolicies::get()
        .by_arn(policy)
        .map(|m| Document::from_value(&serde_json::from_str(m.document).unwrap_or_default()))
}

/// A finding in its role's section: the evidence as lines; the policies themselves are printed
/// once per role below the findings, not under each finding.
fn finding_html(out: &mut String, f: &Finding) {
    let _ = write!(
        out,
        "<div class=\"finding\"><span class=\"chip sev-{}\">{}</span> <strong>{} {}</strong> · risk {} <div>{}</div>",
        f.severity,
        f.severity,
        esc(&f.code),
        esc(&f.name),
        f.risk_score,
        esc(&f.title)
    );
    for e in f.evidence.iter().take(MAX_EVIDENCE) {
        let _ = write!(
            out,
            "<div class=\"small\">Granted by <code>{}</code> statement <code>{}</code>",
            esc(&e.policy),
            esc(&e.statement)
        );
        if !e.actions.is_empty() {
            let _ = write!(
                out,
                " · actions <code>{}</code>",
                esc(&e.actions.join(", "))
            );
        }
        if !e.resources.is_empty() {
            let _ = write!(out, " · on <code>{}</code>", esc(&e.resources.join(", ")));
        }
        if !e.conditions.is_empty() {
            let _ = write!(
                out,
                " · when <code>{}</code>",
                esc(&e.conditions.join("; "))
            );
        }
        if let Some(n) = &e.note {
            let _ = write!(out, " · <span class=\"muted\">{}</span>", esc(n));
        }
        out.push_str("</div>");
    }
    if f.evidence.len() > MAX_EVIDENCE {
        let _ = write!(
            out,
            "<div class=\"small muted\">… and {} more piece(s) of evidence in the JSON and SARIF reports</div>",
            f.evidence.len() - MAX_EVIDENCE
        );
    }
    // The rule's remediation is printed once, in the "How to fix" section.
    let _ = write!(
        out,
        "<div class=\"small\"><a href=\"#fix-{}\">How to fix {}</a></div></div>",
        esc(&f.code),
        esc(&f.code)
    );
}

/// A policy the role sections cite, printed once in the Policies section.
struct Cited<'a> {
    name: &'a str,
    /// The role whose inline policy it is; None for a managed policy.
    inline_of: Option<&'a str>,
    doc: Document,
    statements: BTreeSet<&'a str>,
    roles: usize,
}

/// Role sections in the report (the riskiest); the rest are in the JSON report.
const MAX_ROLE_SECTIONS: usize = 150;
/// Services in a role section's permission table (largest first).
const PERM_SERVICES: usize = 10;
/// Evidence lines shown under a finding in its role section.
const MAX_EVIDENCE: usize = 5;
/// Function names listed in a role section.
const MAX_FUNCTION_NAMES: usize = 50;

/// Renders the report. `inv` (the inventory the scan read) adds the policy statements, with the
/// granting ones highlighted.
pub fn render(r: &ScanResult, inv: Option<&Inventory>) -> String {
    let s = &r.summary;
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT.as_bytes()));
    let mut o = String::with_capacity(64 * 1024 + r.findings.len() * 600);
    let _ = write!(
        o,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; img-src data:; base-uri 'none'; form-action 'none'\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>rolecall report</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        o,
        "<header><h1>rolecall · Lambda execution roles</h1><p class=\"meta\">source {} · {}evaluated on {} · {} · rolecall {}</p></header><main>",
        esc(&r.source),
        r.collected_at.as_ref().map(|c| format!("collected {} · ", esc(c))).unwrap_or_default(),
        esc(&r.evaluated_on),
        esc(&r.catalog),
        esc(r.tool.version)
    );
    // Posture metrics.
    o.push_str("<section id=\"metrics\" class=\"cards\">");
    let card = |o: &mut String, n: String, l: &str| {
        let _ = write!(
            o,
            "<div class=\"card\"><div class=\"n\">{n}</div><div class=\"l\">{l}</div></div>"
        );
    };
    card(&mut o, s.functions.to_string(), "functions");
    card(&mut o, s.roles.to_string(), "execution roles");
    card(
        &mut o,
        format!("{:.0}%", s.unique_role_share * 100.0),
        "functions with a role of their own",
    );
    card(
        &mut o,
        s.roles_with_wildcard_grants.to_string(),
        "roles with wildcard grants",
    );
    card(
        &mut o,
        format!("{:.1}", s.average_policies_per_role),
        "policies per role",
    );
    card(&mut o, s.findings.to_string(), "findings");
    o.push_str("</section><section class=\"cards\" style=\"margin-top:12px\"><div class=\"card\"><div class=\"l\">findings by severity</div><div>");
    for v in Severity::ALL {
        let _ = write!(
            o,
            "<span class=\"chip sev-{v}\" id=\"count-{v}\">{} {v}</span> ",
            s.by_severity.get(v.as_str()).copied().unwrap_or(0)
        );
    }
    o.push_str("</div></div><div class=\"card\"><div class=\"l\">risk distribution (functions)</div><div class=\"bars\">");
    let buckets = [
        (80u8, 100u8, "80–100", "var(--critical)"),
        (60, 79, "60–79", "var(--high)"),
        (40, 59, "40–59", "var(--medium)"),
        (20, 39, "20–39", "var(--low)"),
        (0, 19, "0–19", "var(--info)"),
    ];
    let total = r.functions.len().max(1);
    for (lo, hi, label, color) in buckets {
        let n = r
            .functions
            .iter()
            .filter(|f| f.risk.score >= lo && f.risk.score <= hi)
            .count();
        let _ = write!(o, "<span>{label}</span><div class=\"bar\" style=\"width:{}%;background:{color}\"></div><span>{n}</span>", n * 100 / total);
    }
    o.push_str("</div></div></section>");
    // Coverage.
    if !r.coverage.complete {
        let _ = write!(o, "<section id=\"coverage\"><h2 class=\"gap\">Coverage incomplete</h2><p>{} account(s) and {} account-region(s) could not be read.</p><ul>", r.coverage.accounts_failed, r.coverage.regions_failed);
        for g in &r.coverage.failures {
            let _ = write!(
                o,
                "<li>account <code>{}</code> {} <code>{}</code>: {}</li>",
                esc(&g.account),
                esc(g.region.as_deref().unwrap_or("(all regions)")),
                esc(&g.api),
                esc(&g.error)
            );
        }
        o.push_str("</ul></section>");
    }
    if let Some(h) = &r.history {
        let _ = write!(
            o,
            "<section id=\"since\"><h2>Since {}</h2><p>{} new, {} fixed, {} regressed.</p></section>",
            h.since(),
            h.new,
            h.fixed,
            h.regressed
        );
    }
    if let Some(u) = &r.coverage.usage {
        let accounts: Vec<String> = u
            .accounts
            .iter()
            .map(|(a, c)| {
                format!(
                    "<code>{}</code> {} of {} days{}",
                    esc(a),
                    c.days_covered,
                    u.window_days,
                    if c.data_events.is_empty() {
                        ", no data events".to_string()
                    } else {
                        format!(", data events of {}", esc(&c.data_events.join(", ")))
                    }
                )
            })
            .collect();
        let _ = write!(
            o,
            "<section id=\"usage-coverage\"><h2>Usage data</h2><p class=\"small\">{} &mdash; {}: {}. {} role(s) have no usage data: no source covers their account, so the permission gap is not computed for them (they are not called unused).</p></section>",
            esc(&u.window_start),
            esc(&u.window_end),
            if accounts.is_empty() { "no account".to_string() } else { accounts.join("; ") },
            u.roles_without_usage_data
        );
    }
    // The queue, with filters.
    let mut sets: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for f in &r.findings {
        sets.entry("severity")
            .or_default()
            .insert(f.severity.to_string());
        sets.entry("account").or_default().insert(f.account.clone());
        sets.entry("region").or_default().insert(f.region.clone());
        sets.entry("team")
            .or_default()
            .insert(f.team.clone().unwrap_or_default());
        sets.entry("code").or_default().insert(f.code.clone());
    }
    o.push_str("<section id=\"queue\"><h2>Remediation queue</h2><div class=\"filters\">");
    let empty = BTreeSet::new();
    for (k, label) in [
        ("severity", "Severity"),
        ("account", "Account"),
        ("region", "Region"),
        ("team", "Team"),
        ("code", "Rule"),
    ] {
        o.push_str(&options(k, label, sets.get(k).unwrap_or(&empty)));
    }
    o.push_str("<label>Search<input id=\"f-search\" type=\"search\" placeholder=\"text in any column\"></label><span id=\"count\" class=\"muted small\"></span></div>");
    o.push_str("<button id=\"more\" type=\"button\" hidden>Show more</button>");
    o.push_str("<table id=\"findings\"><thead><tr><th data-key=\"risk\" data-type=\"num\">Risk</th><th data-key=\"sevrank\" data-type=\"num\">Severity</th><th data-key=\"code\">Rule</th><th data-key=\"resource\">Resource</th><th data-key=\"account\">Account</th><th data-key=\"region\">Region</th><th data-key=\"team\">Team</th><th>Finding</th></tr></thead><tbody>");
    // Which role each finding belongs to, and the role sections that will be on the page.
    let role_of_function: HashMap<&str, &str> = r
        .functions
        .iter()
        .map(|x| (x.arn.as_str(), x.role_arn.as_str()))
        .collect();
    let role_of = |f: &'_ Finding| -> String {
        if f.resource_arn.contains(":role/") {
            f.resource_arn.clone()
        } else {
            role_of_function
                .get(f.resource_arn.as_str())
                .map(|s| s.to_string())
                .unwrap_or_default()
        }
    };
    let sectioned: HashSet<&str> = r
        .roles
        .iter()
        .take(MAX_ROLE_SECTIONS)
        .map(|x| x.arn.as_str())
        .collect();
    let mut by_role: HashMap<String, Vec<&Finding>> = HashMap::new();
    // Rows are written compactly (cells without closing tags, which HTML allows): a queue of
    // hundreds of thousands of findings is most of the page.
    for (k, f) in r.findings.iter().enumerate() {
        let team = f.team.clone().unwrap_or_default();
        let role = role_of(f);
        let _ = write!(
            o,
            "<tr class=\"{}\"{}>\
<td class=\"risk\">{}<td><span class=\"chip sev-{}\">{}</span><td>{}<td><code>{}</code><td>{}<td>{}<td>{}<td>",
            risk_class(f.risk_score),
            if k >= 200 { " hidden" } else { "" },
            f.risk_score,
            f.severity,
            f.severity,
            esc(&f.code),
            esc(short_name(&f.resource_arn)),
            esc(&f.account),
            esc(&f.region),
            esc(&team),
        );
        if sectioned.contains(role.as_str()) {
            let _ = write!(o, "<a href=\"#{}\">{}</a>", anchor(&role), esc(&f.title));
        } else {
            o.push_str(&esc(&f.title));
        }
        // With history: new and regressed findings are marked (text, not only colour); every
        // finding says when it was first seen.
        if let Some(st @ ("new" | "regressed")) = f.status.as_deref() {
            let _ = write!(o, " <span class=\"chip status-{st}\">{st}</span>");
        }
        if let Some(first) = &f.first_seen {
            let _ = write!(
                o,
                " <span class=\"muted small\">first seen {}</span>",
                esc(first.get(..10).unwrap_or(first))
            );
        }
        o.push_str("</tr>");
        by_role.entry(role).or_default().push(f);
    }
    o.push_str("</tbody></table></section>");
    // A section per role, riskiest first, collapsed: its findings, then each policy they cite
    // once, with the cited statements highlighted.
    let lookup = Lookup::new(inv);
    let _ = write!(
        o,
        "<section id=\"roles\"><h2>Roles</h2><p class=\"muted small\">{} role(s), riskiest first{}; open one to see its permissions, findings and policies.</p>",
        r.roles.len(),
        if r.roles.len() > MAX_ROLE_SECTIONS {
            format!(" (the {MAX_ROLE_SECTIONS} riskiest here, every role in the JSON report)")
        } else {
            String::new()
        }
    );
    let mut printed: HashMap<(&str, &str), usize> = HashMap::new();
    let mut documents: Vec<Cited<'_>> = Vec::new();
    for role in r.roles.iter().take(MAX_ROLE_SECTIONS) {
        let mine = by_role.get(&role.arn).map(Vec::as_slice).unwrap_or(&[]);
        let _ = write!(
            o,
            "<details class=\"role\" id=\"{}\"><summary><h3>{}</h3> <span class=\"small muted\">risk {} · {} finding(s) · {} function(s)</span></summary><div class=\"small muted\">{} · account {} · {} action(s) in {} service(s){} · boundary {}</div>",
            anchor(&role.arn),
            esc(&role.name),
            role.risk_score,
            mine.len(),
            role.functions.len(),
            esc(&role.arn),
            esc(&role.account),
            role.allowed_actions,
            role.services,
            if role.admin { " · <strong class=\"gap\">administrator</strong>" } else { "" },
            role.permissions_boundary.as_deref().map(esc).unwrap_or_else(|| "none".into())
        );
        if let Some(g) = &role.gap {
            let unused_services = if g.unused_services.is_empty() {
                String::new()
            } else {
                format!(
                    " · services never called: {}",
                    esc(&g.unused_services.join(", "))
                )
            };
            let _ = write!(
                o,
                "<div class=\"small\"><strong>Permission gap</strong>: used {} of {} granted actions; {} unused (score {}){unused_services}{}{}</div>",
                g.used,
                g.granted,
                g.unused,
                g.score,
                if g.not_observable > 0 {
                    format!("; {} not observable (no data events of their service)", g.not_observable)
                } else {
                    String::new()
                },
                if g.partial() {
                    format!("; the logs cover {} of the window's {} days", g.days_covered, g.window_days)
                } else {
                    String::new()
                }
            );
        }
        if !role.functions.is_empty() {
            let names: Vec<String> = role
                .functions
                .iter()
                .take(MAX_FUNCTION_NAMES)
                .map(|f| format!("<code>{}</code>", esc(short_name(f))))
                .collect();
            let more = role.functions.len().saturating_sub(MAX_FUNCTION_NAMES);
            let _ = write!(
                o,
                "<div class=\"small\">Functions: {}{}</div>",
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        // Effective permissions by service and access level (largest services first).
        let mut services: Vec<(&&str, &BTreeMap<&str, usize>)> =
            role.by_service_level.iter().collect();
        services.sort_by(|a, b| {
            b.1.values()
                .sum::<usize>()
                .cmp(&a.1.values().sum::<usize>())
                .then(a.0.cmp(b.0))
        });
        if !services.is_empty() {
            o.push_str("<table class=\"perm\"><thead><tr><th>service</th><th>List</th><th>Read</th><th>Write</th><th>Permissions</th><th>Tagging</th></tr></thead><tbody>");
            for (svc, levels) in services.iter().take(PERM_SERVICES) {
                let g = |k: &str| levels.get(k).copied().unwrap_or(0);
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(svc),
                    g("List"),
                    g("Read"),
                    g("Write"),
                    g("Permissions management"),
                    g("Tagging")
                );
            }
            if services.len() > PERM_SERVICES {
                let _ = write!(o, "<tr><td class=\"muted\">… {} more services</td><td></td><td></td><td></td><td></td><td></td></tr>", services.len() - PERM_SERVICES);
            }
            o.push_str("</tbody></table>");
        }
        // The policies the findings cite, in order of first citation: each named here with the
        // statements this role's findings cite, and printed once for the whole report in the
        // Policies section (a managed policy attached to a hundred roles is not printed a
        // hundred times).
        let mut cited: Vec<(&str, Vec<&str>)> = Vec::new();
        for f in mine {
            finding_html(&mut o, f);
            if !f.resource_arn.contains(":role/") {
                continue;
            }
            for e in &f.evidence {
                match cited.iter_mut().find(|(p, _)| *p == e.policy) {
                    Some((_, st)) => {
                        if !st.contains(&e.statement.as_str()) {
                            st.push(&e.statement);
                        }
                    }
                    None => cited.push((&e.policy, vec![&e.statement])),
                }
            }
        }
        for (policy, statements) in &cited {
            let inline = lookup
                .roles
                .get(role.arn.as_str())
                .is_some_and(|x| x.inline_policies.iter().any(|p| p.name == *policy));
            let key = (if inline { role.arn.as_str() } else { "" }, *policy);
            let at = match printed.get(&key) {
                Some(&at) => at,
                None => {
                    let Some(doc) = policy_document(&lookup, &role.arn, policy) else {
                        continue;
                    };
                    printed.insert(key, documents.len());
                    documents.push(Cited {
                        name: policy,
                        inline_of: inline.then_some(role.name.as_str()),
                        doc,
                        statements: BTreeSet::new(),
                        roles: 0,
                    });
                    documents.len() - 1
                }
            };
            if let Some(d) = documents.get_mut(at) {
                d.roles += 1;
                d.statements.extend(statements.iter().copied());
            }
            let _ = write!(
                o,
                "<div class=\"small\">Policy <a href=\"#policy-{at}\"><code>{}</code></a> · statement(s) <code>{}</code></div>",
                esc(policy),
                esc(&statements.join(", "))
            );
        }
        o.push_str("</details>");
    }
    o.push_str("</section>");
    if !documents.is_empty() {
        o.push_str("<section id=\"policies\"><h2>Policies</h2><p class=\"muted small\">Each policy the roles above cite, once, with every cited statement highlighted.</p>");
        for (at, d) in documents.iter().enumerate() {
            let highlight: Vec<&str> = d.statements.iter().copied().collect();
            let html = statements_html(&d.doc, &highlight);
            let _ = write!(
                o,
                "<details class=\"policy\" id=\"policy-{at}\"><summary class=\"small\">Policy <code>{}</code> · {} · cited in {} role section(s)</summary>{html}</details>",
                esc(d.name),
                match d.inline_of {
                    Some(r) => format!("inline in <code>{}</code>", esc(r)),
                    None => "managed".to_string(),
                },
                d.roles
            );
        }
        o.push_str("</section>");
    }
    // Each rule's remediation once.
    let mut fixes: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    for f in &r.findings {
        fixes
            .entry(f.code.as_str())
            .or_insert((f.name.as_str(), &f.remediation));
    }
    o.push_str("<section id=\"fixes\"><h2>How to fix</h2>");
    for (code, (name, fix)) in &fixes {
        let _ = write!(
            o,
            "<p class=\"small\" id=\"fix-{}\"><strong>{} {}</strong>: {}</p>",
            esc(code),
            esc(code),
            esc(name),
            esc(fix)
        );
    }
    o.push_str("</section></main>");
    let _ = write!(o, "<footer class=\"muted small\">Generated by rolecall {} from a {} inventory. Risk 0–100: permission severity, blast radius, internet exposure, data sensitivity.</footer>", esc(r.tool.version), esc(&r.source));
    let _ = writeln!(o, "<script>{SCRIPT}</script></body></html>");
    o
}
