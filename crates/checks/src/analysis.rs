//! One pass over the inventory: for each role, its parsed policies, the problems met on the way,
//! its effective permissions and the functions that use it.

use rolecall_catalog::Catalog;
use rolecall_inventory::model::role_key;
use rolecall_inventory::{Inventory, PolicyStore, ResolvedRole, Role};
use rolecall_policy::{Analyzer, EffectivePermissions};
use std::collections::HashMap;

pub struct RoleAnalysis<'i> {
    pub role: &'i Role,
    pub resolved: ResolvedRole,
    pub effective: EffectivePermissions,
    /// Indexes into `inventory.functions`.
    pub functions: Vec<usize>,
}

pub struct Analysis<'i> {
    pub inventory: &'i Inventory,
    pub roles: Vec<RoleAnalysis<'i>>,
    /// Functions whose role is not in the inventory (indexes into `inventory.functions`).
    pub functions_without_role: Vec<usize>,
}

/// Analyses every role and hands each to `f` as soon as it is done, so memory holds one role's
/// effective permissions at a time whatever the size of the estate. Returns the functions whose
/// role is not in the inventory.
pub fn for_each_role<'i>(
    inventory: &'i Inventory,
    catalog: &Catalog,
    mut f: impl FnMut(RoleAnalysis<'i>),
) -> Vec<usize> {
    let mut store = PolicyStore::new(inventory);
    let mut analyzer = Analyzer::new(catalog);
    let mut by_role: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, func) in inventory.functions.iter().enumerate() {
        if let Some(k) = role_key(&func.role_arn) {
            by_role.entry(k).or_default().push(i);
        }
    }
    for role in &inventory.roles {
        let resolved = store.resolve(role);
        let effective = analyzer.effective(&resolved.principal_policies());
        let functions = role_key(&role.arn)
            .and_then(|k| by_role.remove(&k))
            .unwrap_or_default();
        f(RoleAnalysis {
            role,
            resolved,
            effective,
            functions,
        });
    }
    let mut without: Vec<usize> = by_role.into_values().flatten().collect();
    without.sort_unstable();
    without
}

/// Analyses every role and keeps the results (for callers that need them all at once).
pub fn analyze<'i>(inventory: &'i Inventory, catalog: &Catalog) -> Analysis<'i> {
    let mut roles = Vec::with_capacity(inventory.roles.len());
    let functions_without_role = for_each_role(inventory, catalog, |r| roles.push(r));
    Analysis {
        inventory,
        roles,
        functions_without_role,
    }
}
