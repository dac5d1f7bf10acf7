//! Reading the files a command is given: bounded, BOM-tolerant, errors that name the file.

use anyhow::Result;
use std::path::Path;

/// A text file within rolecall's size bound (`ROLECALL_MAX_FILE_MB`).
pub fn read_text(path: &Path) -> Result<String> {
    Ok(rolecall_inventory::textfile::read_text(path)?)
}
