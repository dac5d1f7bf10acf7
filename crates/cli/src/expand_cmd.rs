use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use rolecall_catalog::{catalog, ActionSet};
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Args)]
pub struct ExpandArgs {
    /// Action patterns, as in a policy's Action element (`*` and `?` wildcards, any case).
    #[arg(required = true)]
    patterns: Vec<String>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Serialize)]
struct Row {
    action: String,
    access_level: &'static str,
}

pub fn run(a: ExpandArgs) -> Result<ExitCode> {
    let cat = catalog();
    let mut set = ActionSet::empty(cat.len());
    for p in &a.patterns {
        let Some(s) = cat.expand(p) else {
            bail!("{p:?} is not an action pattern (expected \"service:Action\" or \"*\")");
        };
        if s.is_empty() {
            eprintln!(
                "warning: {p:?} matches no action in the catalogue ({})",
                cat.source
            );
        }
        set.union_with(&s);
    }
    let mut rows: Vec<Row> = set
        .iter()
        .map(|id| Row {
            action: cat.full_name(id),
            access_level: cat
                .access_level(id)
                .map(|l| l.as_str())
                .unwrap_or("Unknown"),
        })
        .collect();
    rows.sort_by(|a, b| {
        a.action
            .to_ascii_lowercase()
            .cmp(&b.action.to_ascii_lowercase())
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match a.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Table => {
            let w = rows
                .iter()
                .map(|r| r.action.len())
                .max()
                .unwrap_or(6)
                .max(6);
            for r in &rows {
                writeln!(out, "{:<w$}  {}", r.action, r.access_level)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
