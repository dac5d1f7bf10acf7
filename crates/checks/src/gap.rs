//! Permission gap: what a role is granted against what it was seen using.

use rolecall_catalog::{AccessLevel, ActionSet, Catalog};
use serde::Serialize;
use std::collections::BTreeMap;

/// Unused actions weigh by what they could do.
pub fn weight(level: AccessLevel) -> f64 {
    match level {
        AccessLevel::PermissionsManagement => 5.0,
        AccessLevel::Write => 3.0,
        AccessLevel::Tagging => 2.0,
        AccessLevel::Read => 1.0,
        AccessLevel::List => 0.5,
    }
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Gap {
    pub granted: usize,
    pub used: usize,
    pub unused: usize,
    /// Unused actions by access level.
    pub unused_by_level: BTreeMap<String, usize>,
    /// Sum of the weights of the unused actions (Permissions management 5, Write 3, Tagging 2,
    /// Read 1, List 0.5): the permission gap score.
    pub score: f64,
    /// Services granted of which no action was used.
    pub unused_services: Vec<String>,
    /// Granted actions the usage sources cannot show (CloudTrail records them only as data
    /// events, and the logs hold none of the service): neither used nor unused.
    pub not_observable: usize,
    /// Days of the window the sources cover for the role's account, of the window's days: a
    /// gap on partial data is a lower bound on use, never grounds to remove the role.
    pub days_covered: usize,
    pub window_days: usize,
    /// Granted actions IAM Access Analyzer's unused-access findings name, when an analyzer
    /// covers the role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analyzer_unused: Option<usize>,
}

impl Gap {
    /// The sources cover only part of the window.
    pub fn partial(&self) -> bool {
        self.days_covered < self.window_days
    }
}

pub fn gap(cat: &Catalog, granted: &ActionSet, used: &ActionSet, hidden: &ActionSet) -> Gap {
    let not_observable =
        granted.intersection_len(hidden) - granted.intersection(hidden).intersection_len(used);
    let mut unused = granted.clone();
    unused.subtract(used);
    unused.subtract(hidden);
    let counts = cat.count_by_level(&unused);
    let mut by_level = BTreeMap::new();
    let mut score = 0.0;
    for (l, n) in AccessLevel::ALL.iter().zip(counts) {
        if n > 0 {
            by_level.insert(l.as_str().to_string(), n);
            score += weight(*l) * n as f64;
        }
    }
    // A service is unused when none of its actions was seen and some granted action of it
    // could have been: a service granted only data-event actions the logs cannot show is not.
    let unused_services = cat
        .count_by_service(granted)
        .filter(|(s, _)| used.count_in_range(s.actions.clone()) == 0)
        .filter(|(s, _)| unused.count_in_range(s.actions.clone()) > 0)
        .map(|(s, _)| s.prefix.to_string())
        .collect();
    Gap {
        granted: granted.len(),
        used: granted.intersection_len(used),
        unused: unused.len(),
        unused_by_level: by_level,
        score: (score * 10.0).round() / 10.0,
        unused_services,
        not_observable,
        days_covered: 0,
        window_days: 0,
        analyzer_unused: None,
    }
}
