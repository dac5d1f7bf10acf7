//! The scan result as pretty-printed JSON, its large arrays rendered on every core.
//!
//! The bytes are exactly `serde_json::to_writer_pretty`'s (a test holds them to it): the result
//! is written once with its large arrays empty, and each `"name": []` line of that shell is
//! replaced by the array, rendered in blocks of elements in parallel and written in order. Memory
//! stays at one block of rendered elements, whatever the size of the Organization.

use crate::par;
use crate::scan::ScanResult;
use serde::Serialize;
use std::io::Write;

/// Elements rendered per round (the threads share a round; it is written before the next).
const ROUND: usize = 4096;

/// Writes one array of the result.
type WriteArray<'a> = dyn Fn(&mut dyn Write) -> std::io::Result<()> + 'a;

/// Writes `r` as `serde_json::to_writer_pretty` would, followed by nothing.
pub fn write_pretty(out: &mut dyn Write, r: &ScanResult) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(&shallow(r)).map_err(std::io::Error::other)?;
    // In the order the fields are declared (and so written); a field the shell leaves out or an
    // unexpected layout falls back to the plain writer, never to a wrong document.
    let arrays: [(&str, &WriteArray<'_>); 4] = [
        ("functions", &|w| array(w, &r.functions)),
        ("roles", &|w| array(w, &r.roles)),
        ("findings", &|w| array(w, &r.findings)),
        ("suppressed", &|w| array(w, &r.suppressed)),
    ];
    let mut cuts = Vec::new();
    let mut at = 0;
    for (name, _) in &arrays {
        let marker = format!("\n  \"{name}\": []");
        match text.get(at..).and_then(|t| t.find(&marker)) {
            Some(i) => {
                let start = at + i + marker.len() - 2;
                cuts.push(start);
                at = start + 2;
            }
            None => {
                return serde_json::to_writer_pretty(out, r).map_err(std::io::Error::other);
            }
        }
    }
    let mut done = 0;
    for ((_, write_array), cut) in arrays.iter().zip(cuts) {
        out.write_all(text.as_bytes().get(done..cut).unwrap_or_default())?;
        write_array(out)?;
        done = cut + 2;
    }
    out.write_all(text.as_bytes().get(done..).unwrap_or_default())
}

/// Everything but the large arrays, which are left empty. (Every field is named: a new one does
/// not compile until it is placed here.)
fn shallow(r: &ScanResult) -> ScanResult {
    ScanResult {
        schema_version: r.schema_version,
        tool: r.tool.clone(),
        source: r.source.clone(),
        collected_at: r.collected_at.clone(),
        evaluated_on: r.evaluated_on.clone(),
        catalog: r.catalog.clone(),
        coverage: r.coverage.clone(),
        summary: r.summary.clone(),
        functions: Vec::new(),
        roles: Vec::new(),
        findings: Vec::new(),
        suppressed: Vec::new(),
        suppression_notes: r.suppression_notes.clone(),
        skipped_rules: r.skipped_rules.clone(),
        missing_policies: r.missing_policies.clone(),
        other_roles: r.other_roles,
        history: r.history.clone(),
    }
}

/// A top-level field's array as serde_json's pretty printer writes it at depth one: `[]` when
/// empty, else each element on its own lines indented four spaces, closed at two.
fn array<T: Serialize + Sync>(out: &mut dyn Write, items: &[T]) -> std::io::Result<()> {
    if items.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    let mut first = true;
    for round in items.chunks(ROUND) {
        let rendered: Vec<std::io::Result<Vec<u8>>> = par::map(
            round.len(),
            || (),
            |_, i| {
                let mut buf = Vec::new();
                if let Some(item) = round.get(i) {
                    serde_json::to_writer_pretty(&mut buf, item).map_err(std::io::Error::other)?;
                }
                Ok(indent(&buf))
            },
        );
        for part in rendered {
            out.write_all(if first { b"\n    " } else { b",\n    " })?;
            first = false;
            out.write_all(&part?)?;
        }
    }
    out.write_all(b"\n  ]")
}

/// Every line after the first moved in by two levels (JSON strings hold no raw newline).
fn indent(buf: &[u8]) -> Vec<u8> {
    let lines = buf.iter().filter(|&&b| b == b'\n').count();
    let mut out = Vec::with_capacity(buf.len() + lines * 4);
    for &b in buf {
        out.push(b);
        if b == b'\n' {
            out.extend_from_slice(b"    ");
        }
    }
    out
}
