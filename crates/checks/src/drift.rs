//! An approved baseline of each execution role's effective permissions (`rolecall baseline`),
//! kept in version control, and what a later scan or lint finds beyond it (LR801 – LR803).
//!
//! The file is meant to be reviewed and diffed: roles sorted by ARN, each with its permissions
//! boundary and its allowed actions grouped by the resources, exclusions (`NotResource`) and
//! conditions they are allowed on. Actions are written compactly where that says the same thing:
//! `*` when every action is allowed, `s3:*` when every action of a service is, otherwise each
//! action by name. What is recorded is the *effective* permission (identity policies within the
//! boundary and the SCPs), so a widened SCP or a removed boundary shows up as drift as well as a
//! widened policy.
//!
//! A current grant is within the baseline when some baseline group of the role allows the same
//! actions on resources whose pattern covers the current one (IAM wildcards, as the approved
//! templates of LR701 are compared), excludes no more than the current grant excludes, and asks
//! no condition the current grant does not also ask (a dropped condition is a wider grant).

use crate::analysis::{map_roles, RoleAnalysis};
use crate::golden::covers;
use rolecall_catalog::{ActionSet, Catalog};
use rolecall_inventory::Inventory;
use rolecall_policy::effective::describe_condition;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The version of the baseline file this build writes and reads.
pub const BASELINE_VERSION: u32 = 1;

/// `baseline.json` as written and read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    pub rolecall_baseline: u32,
    pub generated_by: String,
    /// The action catalogue the actions were named from.
    pub catalog: String,
    /// Where the inventory came from (`demo`, a snapshot, `live`, `iac`).
    pub source: String,
    /// Execution role ARN → its approved effective permissions.
    pub roles: BTreeMap<String, BaselineRole>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineRole {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    pub allow: Vec<BaselineGrant>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineGrant {
    pub resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except_resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    pub actions: Vec<String>,
}

/// A baseline read and its actions expanded against the catalogue, ready to compare with.
#[derive(Clone, Debug)]
pub struct Baseline {
    pub path: String,
    /// The file's name, as findings cite it (the same on every machine).
    pub name: String,
    pub file: BaselineFile,
    grants: HashMap<String, Vec<Loaded>>,
    /// Role name → ARNs, to match roles of a template (whose account is a placeholder).
    by_name: HashMap<String, Vec<String>>,
}

#[derive(Clone, Debug)]
struct Loaded {
    actions: ActionSet,
    resources: Vec<String>,
    except: Vec<String>,
    conditions: Vec<String>,
}

impl Baseline {
    /// Reads a baseline; errors name the file, the role and the field.
    pub fn parse(path: &str, text: &str, catalog: &Catalog) -> Result<Baseline, String> {
        let file: BaselineFile = serde_json::from_str(text).map_err(|e| {
            format!(
                "{path}: not a rolecall baseline (line {}, column {}): {e}",
                e.line(),
                e.column()
            )
        })?;
        if file.rolecall_baseline != BASELINE_VERSION {
            return Err(format!(
                "{path}: rolecall_baseline: version {} is not {BASELINE_VERSION}, the one this rolecall reads",
                file.rolecall_baseline
            ));
        }
        let mut grants = HashMap::with_capacity(file.roles.len());
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        for (arn, role) in &file.roles {
            let Some(name) = arn.rsplit('/').next().filter(|_| arn.contains(":role/")) else {
                return Err(format!("{path}: roles: {arn:?} is not a role ARN"));
            };
            by_name
                .entry(name.to_string())
                .or_default()
                .push(arn.clone());
            let mut loaded = Vec::with_capacity(role.allow.len());
            for (i, g) in role.allow.iter().enumerate() {
                let mut actions = ActionSet::empty(catalog.len());
                for a in &g.actions {
                    match catalog.expand(a) {
                        Some(set) => actions.union_with(&set),
                        None => {
                            return Err(format!(
                                "{path}: roles[{arn:?}].allow[{i}].actions: {a:?} is not an action pattern"
                            ))
                        }
                    }
                }
                if g.resources.is_empty() {
                    return Err(format!(
                        "{path}: roles[{arn:?}].allow[{i}].resources: empty"
                    ));
                }
                loaded.push(Loaded {
                    actions,
                    resources: g.resources.clone(),
                    except: g.except_resources.clone(),
                    conditions: g.conditions.clone(),
                });
            }
            grants.insert(arn.clone(), loaded);
        }
        Ok(Baseline {
            name: std::path::Path::new(path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.to_string()),
            path: path.into(),
            file,
            grants,
            by_name,
        })
    }

    pub fn load(path: &std::path::Path, catalog: &Catalog) -> Result<Baseline, String> {
        let text = rolecall_inventory::textfile::read_text(path).map_err(|e| e.to_string())?;
        Baseline::parse(&path.display().to_string(), &text, catalog)
    }

    /// The baseline's ARN for a role: its own, or for a template's role (account unknown) the one
    /// baseline role of that name.
    pub fn key_for(&self, arn: &str, account: &str) -> Option<&str> {
        if let Some((k, _)) = self.file.roles.get_key_value(arn) {
            return Some(k);
        }
        if account.starts_with("{{") || account.is_empty() {
            let name = arn.rsplit('/').next()?;
            if let Some([only]) = self.by_name.get(name).map(Vec::as_slice) {
                return Some(only);
            }
        }
        None
    }

    pub fn role(&self, key: &str) -> Option<&BaselineRole> {
        self.file.roles.get(key)
    }

    /// What the role allows beyond its baseline: (grant index, resource, actions), one per
    /// granted resource pattern with something added.
    pub fn added(&self, key: &str, ra: &RoleAnalysis<'_>) -> Vec<(usize, String, ActionSet)> {
        let base = self.grants.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let mut out = Vec::new();
        for (gi, g) in ra.effective.grants.iter().enumerate() {
            let conds: Vec<String> = g.conditions.iter().map(describe_condition).collect();
            for r in &g.resources.include {
                let mut extra = (*g.actions).clone();
                for b in base {
                    if b.resources.iter().any(|br| covers(br, r))
                        && b.except.iter().all(|x| g.resources.exclude.contains(x))
                        && b.conditions.iter().all(|c| conds.contains(c))
                    {
                        extra.subtract(&b.actions);
                        if extra.is_empty() {
                            break;
                        }
                    }
                }
                if !extra.is_empty() {
                    out.push((gi, r.clone(), extra));
                }
            }
        }
        out
    }
}

/// Writes `set` as compactly as it can be said: `*`, `service:*`, or action names.
pub fn compact_actions(catalog: &Catalog, set: &ActionSet) -> Vec<String> {
    if set.is_full() {
        return vec!["*".into()];
    }
    let mut out = Vec::new();
    for (service, n) in catalog.count_by_service(set) {
        let total = service.actions.len();
        if n == total {
            out.push(format!("{}:*", service.prefix));
        } else {
            for id in service.actions.clone() {
                if set.contains(id) {
                    out.push(catalog.full_name(id));
                }
            }
        }
    }
    out.sort_by_key(|a| a.to_ascii_lowercase());
    out
}

/// Resources, exclusions and conditions of a group of grants.
type GroupKey = (Vec<String>, Vec<String>, Vec<String>);

/// One role's approved effective permissions, as the baseline file says them.
pub fn baseline_role(catalog: &Catalog, ra: &RoleAnalysis<'_>) -> BaselineRole {
    // Grants with the same resources, exclusions and conditions are one group.
    let mut groups: BTreeMap<GroupKey, ActionSet> = BTreeMap::new();
    for g in &ra.effective.grants {
        let mut resources = g.resources.include.clone();
        resources.sort();
        resources.dedup();
        let mut except = g.resources.exclude.clone();
        except.sort();
        except.dedup();
        let mut conditions: Vec<String> = g.conditions.iter().map(describe_condition).collect();
        conditions.sort();
        conditions.dedup();
        groups
            .entry((resources, except, conditions))
            .or_insert_with(|| ActionSet::empty(catalog.len()))
            .union_with(&g.actions);
    }
    let allow = groups
        .into_iter()
        .filter(|(_, a)| !a.is_empty())
        .map(
            |((resources, except_resources, conditions), a)| BaselineGrant {
                resources,
                except_resources,
                conditions,
                actions: compact_actions(catalog, &a),
            },
        )
        .collect();
    BaselineRole {
        permissions_boundary: ra.role.permissions_boundary_arn.clone(),
        allow,
    }
}

/// The baseline of every execution role of the inventory (used by a function, or trusting
/// Lambda), as `rolecall baseline` writes it.
pub fn build_baseline(inv: &Inventory, catalog: &Catalog, generated_by: &str) -> BaselineFile {
    let (roles, _) = map_roles(inv, catalog, |ra| {
        if ra.functions.is_empty()
            && !crate::rules::trusts_service(&ra, "lambda.amazonaws.com")
            && !crate::rules::trusts_service(&ra, "edgelambda.amazonaws.com")
        {
            return None;
        }
        Some((ra.role.arn.clone(), baseline_role(catalog, &ra)))
    });
    BaselineFile {
        rolecall_baseline: BASELINE_VERSION,
        generated_by: generated_by.into(),
        catalog: catalog_label(catalog),
        source: inv.source.clone(),
        roles: roles.into_iter().flatten().collect(),
    }
}

fn catalog_label(catalog: &Catalog) -> String {
    catalog.source.to_string()
}
