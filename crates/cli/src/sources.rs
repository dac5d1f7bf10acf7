//! Where an inventory comes from: the demo, or files.

use anyhow::{bail, Result};
use clap::Args;
use rolecall_inventory::{demo::demo_inventory, load_files, Inventory};
use std::path::PathBuf;

#[derive(Args, Clone)]
pub struct SourceArgs {
    /// Use the built-in demo Organization (no AWS account needed).
    #[arg(long, conflicts_with = "input")]
    pub demo: bool,
    /// Read rolecall snapshots or AWS CLI exports (`aws iam get-account-authorization-details`,
    /// `aws lambda list-functions`) instead of collecting.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub input: Vec<PathBuf>,
}

impl SourceArgs {
    pub fn load(&self) -> Result<Inventory> {
        if self.demo {
            return Ok(demo_inventory());
        }
        if self.input.is_empty() {
            bail!("nothing to scan: give --demo or --input FILE... (live collection arrives with the collector)");
        }
        Ok(load_files(&self.input)?)
    }
}
