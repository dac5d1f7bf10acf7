//! The inventory: rolecall's contract between where data comes from and what it concludes.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod config_items;
pub mod demo;
pub mod import;
pub mod model;
pub mod resolve;
pub mod textfile;

pub use import::{load_file, load_files, InputError};
pub use model::*;
pub use resolve::{PolicyStore, Problem, ResolvedRole};
