use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use rolecall_checks::{find_rule, rules::docs_markdown, RULES};
use serde_json::json;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Table,
    Json,
    Markdown,
}

#[derive(Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Args)]
pub struct ExplainArgs {
    /// Rule code (LR201) or name (privilege-escalation).
    rule: String,
}

pub fn rules(a: RulesArgs) -> Result<ExitCode> {
    match a.format {
        Format::Markdown => print!("{}", docs_markdown()),
        Format::Json => {
            let v: Vec<_> = RULES
                .iter()
                .map(|r| json!({"code": r.meta.code, "name": r.meta.name, "severity": r.meta.severity, "summary": r.meta.summary, "needs_live_data": r.meta.needs_live_data}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Format::Table => {
            for r in RULES {
                println!(
                    "{}  {:<28}  {:<8}  {}",
                    r.meta.code,
                    r.meta.name,
                    r.meta.severity.as_str(),
                    r.meta.summary
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn explain(a: ExplainArgs) -> Result<ExitCode> {
    let Some(r) = find_rule(&a.rule) else {
        bail!("no rule {:?}; `rolecall rules` lists them", a.rule);
    };
    println!(
        "{} {} (default severity: {})\n",
        r.meta.code, r.meta.name, r.meta.severity
    );
    println!("{}", r.doc().trim_end());
    Ok(ExitCode::SUCCESS)
}
