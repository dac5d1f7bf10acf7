use crate::sources::LiveArgs;
use anyhow::{Context as _, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct CollectArgs {
    /// Where to write the inventory snapshot (JSON; written atomically).
    #[arg(long, short)]
    output: PathBuf,
    #[command(flatten)]
    live: LiveArgs,
}

pub fn run(a: CollectArgs) -> Result<ExitCode> {
    let inv = a.live.collect()?;
    inv.write_snapshot(&a.output)
        .with_context(|| format!("{}: cannot write the snapshot", a.output.display()))?;
    if !a.live.quiet {
        eprintln!(
            "wrote {} ({} functions, {} roles, {} coverage gaps)",
            a.output.display(),
            inv.functions.len(),
            inv.roles.len(),
            inv.coverage.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
