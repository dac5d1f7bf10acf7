//! The six posture metrics of one scan, for the whole scan and per team and per account:
//!
//! 1. the share of functions with a role of their own;
//! 2. roles with wildcard grants (`*` in Action or Resource, as effective);
//! 3. the average number of policies per execution role;
//! 4. unused permissions (granted actions the usage data never saw), when the scan had usage data;
//! 5. time to remediation, from the finding state (see [`crate::Store::time_to_remediation`]);
//! 6. the drift rate: of the deployments since the previous scan of the scope (a function whose
//!    role, or whose role's policies, changed), the share that widened permissions: beyond the
//!    approved baseline when the scan had one (the role has an LR801 or LR802 finding), otherwise
//!    to more allowed actions than before.
//!
//! Everything here is one pass over the scan's functions, roles and findings with hash maps.

use crate::{Deployment, RoleVersion};
use rolecall_checks::ScanResult;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The team of a function without an owner tag.
pub const UNTAGGED: &str = "(untagged)";

/// The metrics of one group of one scan.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct GroupMetrics {
    /// `all`, `team` or `account`.
    pub dimension: String,
    /// The team or account (empty for `all`).
    pub key: String,
    pub functions: i64,
    pub roles: i64,
    /// Share of the group's functions whose role no other function uses (0-1).
    pub unique_role_share: f64,
    pub roles_with_wildcard_grants: i64,
    pub average_policies_per_role: f64,
    /// Granted actions of the roles with usage data that the data never saw; `None` without usage.
    pub unused_permissions: Option<i64>,
    /// Granted actions of those roles.
    pub granted_permissions: Option<i64>,
    pub open_findings: i64,
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    pub info: i64,
    /// Functions whose role or role's policies changed since the previous scan of the scope.
    pub deployments_changed: i64,
    /// Of those, the ones that widened permissions.
    pub deployments_widened: i64,
    /// With a baseline: roles of the group, and those without LR801-LR803 findings.
    pub baseline_roles: Option<i64>,
    pub baseline_compliant: Option<i64>,
}

impl GroupMetrics {
    /// `deployments_widened / deployments_changed`, when anything changed.
    pub fn drift_rate(&self) -> Option<f64> {
        (self.deployments_changed > 0)
            .then(|| self.deployments_widened as f64 / self.deployments_changed as f64)
    }

    /// Share of roles within the baseline (0-1), when the scan had one.
    pub fn baseline_compliance(&self) -> Option<f64> {
        match (self.baseline_roles, self.baseline_compliant) {
            (Some(n), Some(c)) if n > 0 => Some(c as f64 / n as f64),
            _ => None,
        }
    }
}

/// What the previous scan of the scope held: each function's role, each role's policies hash
/// and allowed actions.
#[derive(Default)]
pub struct Previous {
    pub role_of: HashMap<String, String>,
    pub roles: HashMap<String, (String, i64)>,
}

#[derive(Default)]
struct Acc {
    functions: i64,
    functions_unique: i64,
    roles: HashSet<usize>,
    changed: i64,
    widened: i64,
    findings: [i64; 5],
}

/// The metrics of a scan for `all`, each team and each account.
pub fn group_metrics(
    result: &ScanResult,
    deployments: &[Deployment],
    roles: &[RoleVersion],
    previous: Option<&Previous>,
    baseline: bool,
) -> Vec<GroupMetrics> {
    let role_index: HashMap<&str, usize> = result
        .roles
        .iter()
        .enumerate()
        .map(|(i, r)| (r.arn.as_str(), i))
        .collect();
    let version: HashMap<&str, &RoleVersion> =
        roles.iter().map(|r| (r.role_arn.as_str(), r)).collect();
    let deployed: HashMap<&str, &Deployment> = deployments
        .iter()
        .map(|d| (d.function_arn.as_str(), d))
        .collect();
    // Roles with a drift finding, for compliance and the drift rate against the baseline.
    let drifted: HashSet<&str> = result
        .findings
        .iter()
        .filter(|f| matches!(f.code.as_str(), "LR801" | "LR802" | "LR803"))
        .map(|f| f.resource_arn.as_str())
        .collect();
    let widened_beyond: HashSet<&str> = result
        .findings
        .iter()
        .filter(|f| matches!(f.code.as_str(), "LR801" | "LR802"))
        .map(|f| f.resource_arn.as_str())
        .collect();
    let mut groups: BTreeMap<(&str, String), Acc> = BTreeMap::new();
    let keys = |team: &str, account: &str| {
        [
            ("all", String::new()),
            ("team", team.to_string()),
            ("account", account.to_string()),
        ]
    };
    for f in &result.functions {
        let team = f
            .team
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or(UNTAGGED);
        let ri = role_index.get(f.role_arn.as_str()).copied();
        let unique = ri
            .and_then(|i| result.roles.get(i))
            .is_some_and(|r| r.functions.len() == 1);
        // A deployment: the function's role, or its role's policies, changed since the last scan.
        let (mut changed, mut widened) = (false, false);
        if let (Some(prev), Some(d)) = (previous, deployed.get(f.arn.as_str())) {
            if let Some(old_role) = prev.role_of.get(&f.arn) {
                let now = version.get(d.role_arn.as_str());
                let before = prev.roles.get(old_role);
                changed = old_role != &d.role_arn
                    || match (now, before) {
                        (Some(n), Some((h, _))) => &n.policies_hash != h,
                        _ => false,
                    };
                if changed {
                    widened = if baseline {
                        widened_beyond.contains(d.role_arn.as_str())
                    } else {
                        match (now, before) {
                            (Some(n), Some((_, a))) => n.allowed_actions > *a,
                            (Some(_), None) => true,
                            _ => false,
                        }
                    };
                }
            }
        }
        for k in keys(team, &f.account) {
            let g = groups.entry(k).or_default();
            g.functions += 1;
            g.functions_unique += i64::from(unique);
            g.changed += i64::from(changed);
            g.widened += i64::from(widened);
            if let Some(i) = ri {
                g.roles.insert(i);
            }
        }
    }
    // Roles no function uses (orphaned execution roles) still count for their account.
    let used: HashSet<usize> = groups
        .get(&("all", String::new()))
        .map(|g| g.roles.clone())
        .unwrap_or_default();
    for (i, r) in result.roles.iter().enumerate() {
        if used.contains(&i) {
            continue;
        }
        for k in keys(UNTAGGED, &r.account) {
            groups.entry(k).or_default().roles.insert(i);
        }
    }
    for f in &result.findings {
        let team = f
            .team
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or(UNTAGGED);
        let s = match f.severity.as_str() {
            "critical" => 0,
            "high" => 1,
            "medium" => 2,
            "low" => 3,
            _ => 4,
        };
        for k in keys(team, &f.account) {
            if let Some(c) = groups.entry(k).or_default().findings.get_mut(s) {
                *c += 1;
            }
        }
    }
    groups
        .into_iter()
        .map(|((dimension, key), g)| {
            let rs: Vec<&rolecall_checks::scan::RoleReport> = g
                .roles
                .iter()
                .filter_map(|&i| result.roles.get(i))
                .collect();
            let with_gap: Vec<&rolecall_checks::gap::Gap> =
                rs.iter().filter_map(|r| r.gap.as_ref()).collect();
            let [critical, high, medium, low, info] = g.findings;
            GroupMetrics {
                dimension: dimension.into(),
                key,
                functions: g.functions,
                roles: rs.len() as i64,
                unique_role_share: if g.functions > 0 {
                    g.functions_unique as f64 / g.functions as f64
                } else {
                    0.0
                },
                roles_with_wildcard_grants: rs.iter().filter(|r| r.wildcard_grants).count() as i64,
                average_policies_per_role: if rs.is_empty() {
                    0.0
                } else {
                    rs.iter().map(|r| r.policies).sum::<usize>() as f64 / rs.len() as f64
                },
                unused_permissions: (!with_gap.is_empty())
                    .then(|| with_gap.iter().map(|x| x.unused).sum::<usize>() as i64),
                granted_permissions: (!with_gap.is_empty())
                    .then(|| with_gap.iter().map(|x| x.granted).sum::<usize>() as i64),
                open_findings: critical + high + medium + low + info,
                critical,
                high,
                medium,
                low,
                info,
                deployments_changed: g.changed,
                deployments_widened: g.widened,
                baseline_roles: baseline.then_some(rs.len() as i64),
                baseline_compliant: baseline.then(|| {
                    rs.iter()
                        .filter(|r| !drifted.contains(r.arn.as_str()))
                        .count() as i64
                }),
            }
        })
        .collect()
}
