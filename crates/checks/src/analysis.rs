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

/// Analyses every role on every core, hands each to `f` as soon as it is done, and returns what
/// `f` made of each, in inventory order (whatever the number of threads), with the functions whose
/// role is not in the inventory. Each thread holds one role's effective permissions at a time.
pub fn map_roles<'i, T: Send>(
    inventory: &'i Inventory,
    catalog: &Catalog,
    f: impl Fn(RoleAnalysis<'i>) -> T + Sync,
) -> (Vec<T>, Vec<usize>) {
    map_roles_pooled(inventory, catalog, &Workers::default(), f)
}

/// Each thread's policy store and analyzer: pure caches (parsed managed policies, wildcard
/// expansions, resource-type fits), kept from the escalation index's pass to the role pass.
pub type Workers<'i, 'c> = crate::par::Pool<(PolicyStore<'i>, Analyzer<'c>)>;

/// [`map_roles`] with the threads' stores and analyzers taken from (and put back into) `workers`.
pub fn map_roles_pooled<'i, 'c, T: Send>(
    inventory: &'i Inventory,
    catalog: &'c Catalog,
    workers: &Workers<'i, 'c>,
    f: impl Fn(RoleAnalysis<'i>) -> T + Sync,
) -> (Vec<T>, Vec<usize>) {
    let mut by_role: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, func) in inventory.functions.iter().enumerate() {
        if let Some(k) = role_key(&func.role_arn) {
            by_role.entry(k).or_default().push(i);
        }
    }
    let keys: Vec<Option<(String, String)>> =
        inventory.roles.iter().map(|r| role_key(&r.arn)).collect();
    // Functions go to the first role with their key.
    let mut owner: HashMap<&(String, String), usize> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(k) = k {
            owner.entry(k).or_insert(i);
        }
    }
    let out = crate::par::map_pooled(
        inventory.roles.len(),
        workers,
        || (PolicyStore::new(inventory), Analyzer::new(catalog)),
        |(store, analyzer), _: &mut (), i| {
            let role = inventory.roles.get(i)?;
            let resolved = store.resolve(role);
            let effective = analyzer.effective(&resolved.principal_policies());
            let functions = keys
                .get(i)
                .and_then(Option::as_ref)
                .filter(|k| owner.get(k) == Some(&i))
                .and_then(|k| by_role.get(k))
                .cloned()
                .unwrap_or_default();
            Some(f(RoleAnalysis {
                role,
                resolved,
                effective,
                functions,
            }))
        },
    );
    let mut without: Vec<usize> = by_role
        .iter()
        .filter(|(k, _)| !owner.contains_key(k))
        .flat_map(|(_, v)| v.iter().copied())
        .collect();
    without.sort_unstable();
    (out.into_iter().flatten().collect(), without)
}
