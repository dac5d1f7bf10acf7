//! From an inventory to conclusions. [`analysis`] resolves every role's policies and computes its
//! effective permissions once; the rules read that.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod analysis;

pub use analysis::{analyze, for_each_role, Analysis, RoleAnalysis};
