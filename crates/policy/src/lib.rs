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

pub mod case;
pub mod condition;
pub mod effective;
pub mod eval;
pub mod model;
pub mod parse;
pub mod principal;

pub use effective::{
    Analyzer, EffectivePermissions, Grant, KnownContext, ResourceScope, StatementRef,
};
pub use eval::{evaluate, Decision, Matched, PolicySet, Request, Response};
pub use model::*;
pub use parse::{decode_document, parse_policy, parse_policy_value, PolicyError};
pub use principal::{Caller, CallerKind, PrincipalFacts};

use std::collections::HashMap;

/// Request context keys and their values (a repeated key is multi-valued). Keys are compared
/// case-insensitively, as IAM compares condition keys.
#[derive(Clone, Debug, Default)]
pub struct Context {
    values: HashMap<String, Vec<String>>,
    /// Keys whose value the engine assumed rather than knew, with what it assumed.
    assumed: HashMap<String, String>,
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

    /// Is the key present (with at least one value)?
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| !v.is_empty())
    }

    /// Sets a key the engine derived but could not be sure of, with a note saying what it
    /// assumed; a condition that reads the key repeats the note in the answer's reasons.
    pub fn insert_assumed(&mut self, key: &str, value: &str, why: &str) {
        self.insert(key, value);
        self.assumed
            .insert(key.to_ascii_lowercase(), why.to_string());
    }

    /// What was assumed about the key, if its value was not known.
    pub fn assumption(&self, key: &str) -> Option<&str> {
        self.assumed
            .get(&key.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Every key with its values (keys lower-cased).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}
