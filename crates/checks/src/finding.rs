//! Findings: what a rule concluded, with the evidence to prove it.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }

    /// One step down (a condition restricts the grant), never below Info.
    pub fn lowered(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }

    pub fn raised(self) -> Severity {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which statement grants what: the proof of a finding.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Policy name or ARN (inline policies by name, managed ones by ARN).
    pub policy: String,
    /// Sid, or index in the Statement list.
    pub statement: String,
    /// `service:Action` names, borrowed from the catalogue where they are its own (a large
    /// estate's evidence lists millions of them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Cow<'static, str>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Deterministic: rule + account + region + resource (+ detail), never changed once shipped.
    pub id: String,
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub title: String,
    pub account: String,
    /// `global` for IAM roles; the function's region for function findings.
    pub region: String,
    /// The role or function the finding is about.
    pub resource_arn: String,
    pub function_arns: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// The rule's own text, borrowed from it (not copied into each of a large estate's findings).
    pub remediation: Cow<'static, str>,
    pub references: Vec<Cow<'static, str>>,
    pub risk_score: u8,
    /// Owner team (from the functions' or role's owner tag), for routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// With `--history`: `new`, `open` or `regressed` against the previous scan of the scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// With `--history`: when the scope's scans first found it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
}

/// Owned copies of names that are not the catalogue's (statement patterns, principals).
pub fn owned(names: &[String]) -> Vec<Cow<'static, str>> {
    names.iter().map(|n| Cow::Owned(n.clone())).collect()
}

/// An action's `service:Action` name, borrowed from the catalogue.
pub fn action_name(
    cat: &rolecall_catalog::Catalog,
    id: rolecall_catalog::ActionId,
) -> Cow<'static, str> {
    match cat.name(id) {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(cat.full_name(id)),
    }
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms (std's hasher is not).
pub fn stable_hash(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// `LR201-<hash of account, region, resource, detail>`.
pub fn finding_id(code: &str, account: &str, region: &str, resource: &str, detail: &str) -> String {
    format!(
        "{code}-{}",
        stable_hash(&[code, account, region, resource, detail])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable() {
        // Pinned: a change here changes every finding id users have triaged.
        assert_eq!(
            finding_id(
                "LR101",
                "111111111111",
                "global",
                "arn:aws:iam::111111111111:role/x",
                ""
            ),
            "LR101-ae547f8ab07417e2"
        );
        assert_ne!(
            finding_id("LR101", "1", "global", "a", ""),
            finding_id("LR101", "1", "global", "b", "")
        );
    }

    #[test]
    fn severity_order_and_steps() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!(Severity::Critical.lowered(), Severity::High);
        assert_eq!(Severity::Info.lowered(), Severity::Info);
        assert_eq!(Severity::parse("HIGH"), Some(Severity::High));
    }
}
