//! From an inventory to conclusions: [`analysis`] resolves every role's policies and computes its
//! effective permissions once; the rules in [`rules`] read that and emit [`Finding`]s; [`scan`]
//! runs them all, applies the configuration and ranks the result by [`risk`].
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
pub mod baseline;
pub mod config;
pub mod context;
pub mod drift;
pub mod escalation;
pub mod finding;
pub mod gap;
pub mod golden;
pub mod json;
pub mod par;
pub mod risk;
pub mod rules;
pub mod scan;

pub use analysis::{map_roles, RoleAnalysis};
pub use config::{Config, ConfigError};
pub use finding::{Evidence, Finding, Severity};
pub use rules::{find_rule, Rule, RULES};
pub use scan::{scan, ScanResult};
