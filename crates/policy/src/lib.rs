//! rolecall's policy engine: what can a principal really do?
//!
//! - [`parse`]: IAM JSON (lenient wire format) into the strict [`model`], with errors that name
//!   the path of the offending field.
//! - [`condition`]: every condition operator family, set qualifiers, `...IfExists`, variables.
//! - [`eval`]: one request against identity policies, boundary, SCPs and a resource policy, as
//!   AWS's documented evaluation logic decides it, with the statements that decided.
//! - [`effective`]: every action a role is allowed, with resources, conditions and the granting
//!   statement, after denies, boundary and SCPs; the input of every rule.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod condition;
pub mod effective;
pub mod eval;
pub mod model;
pub mod parse;

pub use effective::{Analyzer, EffectivePermissions, Grant, ResourceScope, StatementRef};
pub use eval::{evaluate, Decision, Matched, PolicySet, Request, Response};
pub use model::*;
pub use parse::{decode_document, parse_policy, parse_policy_value, PolicyError};

use std::collections::HashMap;

/// Request context keys and their values (a repeated key is multi-valued). Keys are compared
/// case-insensitively, as IAM compares condition keys.
#[derive(Clone, Debug, Default)]
pub struct Context {
    values: HashMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value; a key given twice becomes multi-valued.
    pub fn insert(&mut self, key: &str, value: &str) {
        self.values
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(value.to_string());
    }

    pub fn get(&self, key: &str) -> Option<&Vec<String>> {
        self.values.get(&key.to_ascii_lowercase())
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}
