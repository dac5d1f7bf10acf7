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
    /// Accept partial coverage: exit 0 though accounts, regions or APIs could not be read (a
    /// failure to list the Organization, or reading nothing, is still exit 2).
    #[arg(long)]
    allow_partial: bool,
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
    let read_something = !inv.functions.is_empty() || !inv.roles.is_empty();
    let c = crate::sources::completeness(&inv.coverage, read_something);
    Ok(crate::sources::coverage_exit(&c, a.allow_partial).unwrap_or(ExitCode::SUCCESS))
}
