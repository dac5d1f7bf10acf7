//! `rolecall baseline`: each execution role's approved effective permissions, written to be
//! committed and reviewed; `scan --baseline` and `lint --baseline` report drift from it
//! (LR801-LR803).

use crate::sources::SourceArgs;
use anyhow::{Context as _, Result};
use clap::Args;
use rolecall_catalog::catalog;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Read templates (CloudFormation, SAM, CDK, Terraform, serverless.yml) instead: the
    /// baseline `lint --baseline` compares with before deployment.
    #[arg(long, value_name = "PATH", num_args = 1.., conflicts_with_all = ["demo", "input"])]
    template: Vec<PathBuf>,
    /// Write the baseline here (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(a: BaselineArgs) -> Result<ExitCode> {
    let inv = if a.template.is_empty() {
        a.source.load()?
    } else {
        let lint = rolecall_iac::load_limited(&a.template, 64 * 1024 * 1024);
        for d in lint
            .diagnostics
            .iter()
            .filter(|d| d.level != rolecall_iac::Level::Note)
        {
            eprintln!(
                "{}:{}:{}: {}",
                d.loc.file,
                d.loc.line,
                d.loc.col,
                crate::table::esc_keep_newlines(&d.message)
            );
        }
        if lint.files.is_empty() {
            anyhow::bail!(
                "no templates found under {}",
                a.template
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        lint.inventory
    };
    let file = rolecall_checks::drift::build_baseline(
        &inv,
        catalog(),
        &format!("rolecall {}", env!("CARGO_PKG_VERSION")),
    );
    let text = serde_json::to_string_pretty(&file)? + "\n";
    match &a.output {
        Some(p) => {
            rolecall_inventory::model::write_atomic(p, |w| w.write_all(text.as_bytes()))
                .with_context(|| format!("{}: cannot write the baseline", p.display()))?;
            eprintln!(
                "baseline: {} execution role(s) written to {}",
                file.roles.len(),
                p.display()
            );
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads `--baseline FILE` into the configuration.
pub fn load_into(config: &mut rolecall_checks::Config, path: Option<&PathBuf>) -> Result<()> {
    if let Some(p) = path {
        let b = rolecall_checks::drift::Baseline::load(p, catalog())
            .map_err(|e| anyhow::anyhow!("--baseline: {e}"))?;
        config.baseline = Some(std::sync::Arc::new(b));
    }
    Ok(())
}
