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
    /// Also record the collection in this SQLite history, as `scan --history` does: the rules
    /// run on what was collected (with the configuration of --config or the nearest
    /// rolecall.toml), each finding gets its status, and the inventory joins the deployment log.
    #[arg(long, value_name = "PATH")]
    history: Option<PathBuf>,
    /// With --history: compare roles with this approved baseline (LR801-LR803).
    #[arg(long, value_name = "FILE", requires = "history")]
    baseline: Option<PathBuf>,
    /// Configuration file for the rules that --history runs (default: the nearest
    /// rolecall.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    live: LiveArgs,
}

pub fn run(a: CollectArgs) -> Result<ExitCode> {
    // The configuration is read before any AWS call, so a typo in it costs no collection.
    let (mut config, _) = rolecall_checks::Config::load(a.config.as_deref())?;
    crate::baseline_cmd::load_into(&mut config, a.baseline.as_ref())?;
    let history = a.history.as_ref().or(config.history.path.as_ref()).cloned();
    let inv = a.live.collect()?;
    // The snapshot first: a history that cannot be written loses nothing collected.
    inv.write_snapshot(&a.output)
        .with_context(|| format!("{}: cannot write the snapshot", a.output.display()))?;
    if let Some(path) = &history {
        let today = crate::sources::scan_day(&inv, None)?;
        let mut result = rolecall_checks::scan(&inv, rolecall_catalog::catalog(), &config, today);
        crate::scan_cmd::record_history(path, &mut result, &inv, config.baseline.is_some(), None)?;
    }
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
