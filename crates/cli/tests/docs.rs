//! The documentation says what the program does: the JSON fields docs/scan-output.md lists are
//! the fields a scan writes (no more, no fewer), the CSV columns of docs/reports.md are the CSV
//! header, and every `rolecall ...` command line in the README, docs and CI examples parses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

/// The backticked names in the first column of the Markdown table under `heading`.
fn table_fields(doc: &str, heading: &str) -> BTreeSet<String> {
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} section"));
    let mut out = BTreeSet::new();
    let mut in_table = false;
    for line in doc[start..].lines().skip(1) {
        if line.starts_with('|') {
            in_table = true;
            let first = line.split('|').nth(1).unwrap_or("");
            for part in first.split('`').skip(1).step_by(2) {
                out.insert(part.trim_end_matches('?').to_string());
            }
        } else if in_table {
            break;
        }
    }
    out.remove("field");
    out.remove("column");
    out
}

fn demo_json() -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(["scan", "--demo", "--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success());
    serde_json::from_slice(&o.stdout).unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn scan_output_fields_match_the_json() {
    let doc = read("docs/scan-output.md");
    let r = demo_json();
    let documented = table_fields(&doc, "## Top level");
    let actual = keys(&r);
    // `collected_at` is optional (absent for templates); everything else is always written.
    let missing: Vec<_> = actual.difference(&documented).collect();
    let stale: Vec<_> = documented
        .difference(&actual)
        .filter(|k| *k != "collected_at")
        .collect();
    assert!(
        missing.is_empty(),
        "fields the JSON has and docs/scan-output.md does not: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "fields docs/scan-output.md lists and the JSON does not have: {stale:?}"
    );
    let documented = table_fields(&doc, "## A finding");
    let mut actual = BTreeSet::new();
    for f in r["findings"].as_array().unwrap() {
        actual.extend(keys(f));
    }
    let missing: Vec<_> = actual.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&actual).collect();
    assert!(
        missing.is_empty(),
        "finding fields not documented: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "documented finding fields not written: {stale:?}"
    );
    // The order the doc promises.
    assert!(doc.contains("findings by severity (highest first), then risk score"));
}

#[test]
fn csv_columns_match_the_header() {
    let doc = read("docs/reports.md");
    let documented: Vec<String> = {
        let start = doc.find("## CSV columns").unwrap();
        let mut v = Vec::new();
        let mut in_table = false;
        for line in doc[start..].lines().skip(1) {
            if line.starts_with('|') {
                in_table = true;
                let first = line.split('|').nth(1).unwrap_or("");
                for part in first.split('`').skip(1).step_by(2) {
                    if part != "column" {
                        v.push(part.to_string());
                    }
                }
            } else if in_table {
                break;
            }
        }
        v
    };
    let o = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(["scan", "--demo", "--format", "csv"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let header: Vec<String> = text
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    assert_eq!(
        header, documented,
        "docs/reports.md's CSV columns, in order"
    );
}

/// `rolecall ...` lines in fenced code blocks and YAML `run:`/`entry:` values.
fn command_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let line = line
            .trim_start_matches("- ")
            .trim_start_matches("run: ")
            .trim_start_matches("entry: ")
            .trim_start_matches("$ ");
        if !pending.is_empty() {
            pending.push(' ');
            pending.push_str(line.trim_end_matches('\\').trim());
            if !line.ends_with('\\') {
                out.push(std::mem::take(&mut pending));
            }
            continue;
        }
        let is_yaml = !fenced
            && (raw.trim_start().starts_with("run: rolecall")
                || raw.trim_start().starts_with("entry: rolecall"));
        if (fenced || is_yaml) && line.starts_with("rolecall ") {
            let cmd = line.split(" #").next().unwrap().trim();
            // Sample output ("rolecall lint: 8 file(s) ...") is not a command.
            if cmd
                .split_whitespace()
                .nth(1)
                .is_some_and(|w| w.ends_with(':'))
            {
                continue;
            }
            if cmd.ends_with('\\') {
                pending = cmd.trim_end_matches('\\').trim().to_string();
            } else {
                out.push(cmd.to_string());
            }
        }
    }
    out
}

#[test]
fn every_documented_command_line_parses() {
    let mut files = vec!["README.md".to_string(), ".pre-commit-hooks.yaml".into()];
    for dir in ["docs", "docs/ci"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension()
                .is_some_and(|x| x == "md" || x == "yml" || x == "yaml")
            {
                files.push(p.strip_prefix(root()).unwrap().display().to_string());
            }
        }
    }
    let mut checked = 0;
    let mut bad = Vec::new();
    for f in &files {
        let text = read(f);
        for cmd in command_lines(&text) {
            // Shell syntax after the command (pipes, redirections) is not rolecall's.
            let cmd = cmd.split(['|', '>']).next().unwrap().trim().to_string();
            let mut args: Vec<String> = cmd
                .split_whitespace()
                .skip(1)
                .map(|a| a.trim_matches('\'').trim_matches('"').to_string())
                .collect();
            // pre-commit appends the changed files to `rolecall lint`.
            if args.first().is_some_and(|a| a == "lint")
                && args
                    .iter()
                    .skip(1)
                    .all(|a| a.starts_with('-') || a == "high")
            {
                args.push("template.yaml".into());
            }
            let o = Command::new(env!("CARGO_BIN_EXE_rolecall"))
                .args(&args)
                .env("ROLECALL_CHECK_ARGS", "1")
                .output()
                .unwrap();
            checked += 1;
            if !o.status.success() {
                bad.push(format!(
                    "{f}: {cmd}: {}",
                    String::from_utf8_lossy(&o.stderr)
                        .lines()
                        .next()
                        .unwrap_or("")
                ));
            }
        }
    }
    assert!(checked >= 20, "{checked} command lines found");
    assert!(
        bad.is_empty(),
        "command lines that do not parse:\n{}",
        bad.join("\n")
    );
}

#[test]
fn examples_carry_no_placeholder_urls() {
    for f in [
        ".pre-commit-hooks.yaml",
        "docs/ci/github-actions-rolecall-lint.yml",
        "Cargo.toml",
    ] {
        let text = read(f);
        assert!(
            !text.contains("example.invalid"),
            "{f} holds a placeholder URL"
        );
    }
}
