//! What every rule may read: the inventory, the catalogue, the configuration, today's date, the
//! accounts rolecall knows, and on-demand facts about other roles (PassRole targets).

use crate::config::Config;
use chrono::NaiveDate;
use rolecall_catalog::{ActionId, ActionSet, Catalog};
use rolecall_inventory::model::role_key;
use rolecall_inventory::{Inventory, PolicyStore};
use rolecall_policy::{Analyzer, EffectivePermissions};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::ThreadId;

/// A cache's lock; a thread that panicked holding it left nothing half-written worth refusing.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A weak boundary's severity and what it fails to bound.
pub type BoundaryVerdict = (crate::finding::Severity, Vec<String>);

pub struct Ctx<'a> {
    pub inventory: &'a Inventory,
    pub catalog: &'a Catalog,
    pub config: &'a Config,
    /// The day "now" is for age rules: the snapshot's collection date, else today.
    pub today: NaiveDate,
    /// Accounts in the inventory plus `accounts.known` from the configuration.
    pub known_accounts: HashSet<String>,
    roles_by_key: HashMap<(String, String), usize>,
    /// What escalation needs to know about every role, built on first use.
    escalation: OnceLock<crate::escalation::Index>,
    /// Actions each role's permission boundary holds back, by role index.
    boundary_held: Mutex<HashMap<usize, usize>>,
    store: Mutex<PolicyStore<'a>>,
    /// Actions each role was seen using, when the inventory carries usage: by (account, role name).
    used: Option<HashMap<(String, String), ActionSet>>,
    /// Actions CloudTrail records only as data events, by service.
    data_only: Vec<(&'static str, ActionSet)>,
    /// Access Analyzer's findings by (account, role name).
    analyzer_by_key: OnceLock<HashMap<(String, String), rolecall_inventory::AnalyzerRole>>,
    /// Each thread's last role's permission gap: LR601, LR602 and the role report all ask for it.
    gap_of_last_role: Mutex<HashMap<ThreadId, (String, crate::gap::Gap)>>,
    /// Weakness of each permission boundary (by ARN): many roles share one boundary.
    boundary_verdicts: Mutex<HashMap<String, Option<BoundaryVerdict>>>,
    /// Catalogue ids of the rules' fixed action lists (by the list's address), looked up once.
    ids: Mutex<HashMap<usize, Arc<[ActionId]>>>,
    /// The threads' policy stores and analyzers, shared by the escalation index and the role pass.
    pub(crate) workers: crate::analysis::Workers<'a, 'a>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        inventory: &'a Inventory,
        catalog: &'a Catalog,
        config: &'a Config,
        today: NaiveDate,
    ) -> Self {
        let mut known_accounts: HashSet<String> =
            inventory.accounts.iter().map(|a| a.id.clone()).collect();
        known_accounts.extend(inventory.roles.iter().map(|r| r.account.clone()));
        known_accounts.extend(config.accounts.known.iter().cloned());
        let roles_by_key = inventory
            .roles
            .iter()
            .enumerate()
            .filter_map(|(i, r)| role_key(&r.arn).map(|k| (k, i)))
            .collect();
        Ctx {
            inventory,
            catalog,
            config,
            today,
            known_accounts,
            roles_by_key,
            escalation: OnceLock::new(),
            boundary_held: Mutex::new(HashMap::new()),
            store: Mutex::new(PolicyStore::new(inventory)),
            gap_of_last_role: Mutex::new(HashMap::new()),
            data_only: rolecall_catalog::risk::data_event_sets(catalog),
            analyzer_by_key: OnceLock::new(),
            boundary_verdicts: Mutex::new(HashMap::new()),
            ids: Mutex::new(HashMap::new()),
            workers: Default::default(),
            used: inventory.usage.as_ref().map(|u| {
                u.roles
                    .iter()
                    .filter_map(|(arn, ru)| {
                        let mut set = ActionSet::empty(catalog.len());
                        for a in ru.actions.keys() {
                            // Access Advisor reports some services only as a whole (`sqs:*`).
                            if rolecall_catalog::wildcard::has_wildcard(a) {
                                if let Some(all) = catalog.expand(a) {
                                    set.union_with(&all);
                                }
                            } else if let Some(id) = catalog.lookup(a) {
                                set.insert(id);
                            }
                        }
                        role_key(arn).map(|k| (k, set))
                    })
                    .collect()
            }),
        }
    }

    /// The escalation facts about every role of the inventory (one pass, on first use).
    pub fn escalation(&self) -> &crate::escalation::Index {
        self.escalation.get_or_init(|| {
            crate::escalation::Index::build_pooled(self.inventory, self.catalog, &self.workers)
        })
    }

    fn effective_of(&self, i: usize, without_boundary: bool) -> Option<EffectivePermissions> {
        let role = self.inventory.roles.get(i)?;
        let resolved = lock(&self.store).resolve(role);
        let mut pp = resolved.principal_policies();
        if without_boundary {
            pp.boundary = None;
        }
        Some(Analyzer::new(self.catalog).effective(&pp))
    }

    /// The execution role of a function, when it is in the inventory.
    pub fn role_of(
        &self,
        f: &rolecall_inventory::Function,
    ) -> Option<&'a rolecall_inventory::Role> {
        self.role_of_arn(&f.role_arn)
    }

    /// The actions the role was seen using in the usage window: None when the scan has no usage
    /// data for the role (no usage at all, or none of the role's account: a role the logs do not
    /// cover is never "unused"); an empty set for a covered role that did nothing.
    pub fn used_actions(&self, role_arn: &str) -> Option<ActionSet> {
        let used = self.used.as_ref()?;
        let usage = self.inventory.usage.as_ref()?;
        let key = role_key(role_arn)?;
        let cov = usage.account_coverage(&key.0)?;
        if cov.unread_roles.contains(role_arn) {
            return None;
        }
        Some(
            used.get(&key)
                .cloned()
                .unwrap_or_else(|| ActionSet::empty(self.catalog.len())),
        )
    }

    /// The actions the usage sources cannot show for the role's account: those CloudTrail records
    /// only as data events, for the services whose data events the logs do not hold.
    pub fn not_observable(&self, role_arn: &str) -> ActionSet {
        let mut out = ActionSet::empty(self.catalog.len());
        let cov = self
            .inventory
            .usage
            .as_ref()
            .zip(role_key(role_arn))
            .and_then(|(u, k)| u.account_coverage(&k.0).map(|c| c.into_owned()));
        if let Some(c) = cov.filter(|c| !c.all_observable) {
            for (svc, set) in &self.data_only {
                if !c.data_events.contains(*svc) {
                    out.union_with(set);
                }
            }
        }
        out
    }

    /// What IAM Access Analyzer's unused-access findings say the role used of `allowed`: None
    /// when no analyzer covers its account; everything but the unused actions otherwise (a role
    /// without a finding used all it has).
    fn analyzer_used(&self, role_arn: &str, allowed: &ActionSet) -> Option<ActionSet> {
        let a = self.inventory.usage.as_ref()?.analyzer.as_ref()?;
        let key = role_key(role_arn)?;
        if !a.accounts.contains(&key.0) {
            return None;
        }
        let mut used = allowed.clone();
        // By (account, name), built once: the same role whatever path its ARN carries.
        let by_key = self.analyzer_by_key.get_or_init(|| {
            a.roles
                .iter()
                .filter_map(|(arn, r)| role_key(arn).map(|k| (k, r.clone())))
                .collect()
        });
        if let Some(r) = by_key.get(&key) {
            if r.unused_role {
                return Some(ActionSet::empty(self.catalog.len()));
            }
            for p in &r.unused {
                if let Some(set) = self.catalog.expand(p) {
                    used.subtract(&set);
                }
            }
        }
        Some(used)
    }

    /// Actions IAM Access Analyzer reports unused among `allowed` (the seed's "unused permissions
    /// identified via IAM Access Analyzer"), when an analyzer covers the role's account.
    pub fn analyzer_unused(&self, role_arn: &str, allowed: &ActionSet) -> Option<usize> {
        let used = self.analyzer_used(role_arn, allowed)?;
        Some(allowed.difference_len(&used))
    }

    /// What the role used of `allowed`, by every source that covers it: CloudTrail and Access
    /// Advisor (`used_actions`) and Access Analyzer; an action any of them saw used is used.
    pub fn used_for(&self, role_arn: &str, allowed: &ActionSet) -> Option<ActionSet> {
        match (
            self.used_actions(role_arn),
            self.analyzer_used(role_arn, allowed),
        ) {
            (None, None) => None,
            (Some(u), None) | (None, Some(u)) => Some(u),
            (Some(mut u), Some(a)) => {
                u.union_with(&a);
                Some(u)
            }
        }
    }

    /// Granted actions the role was not seen using, among those the sources could have shown.
    pub fn unused_actions(&self, role_arn: &str, allowed: &ActionSet) -> Option<ActionSet> {
        let used = self.used_for(role_arn, allowed)?;
        let mut unused = allowed.clone();
        unused.subtract(&used);
        if self.used_actions(role_arn).is_some() {
            unused.subtract(&self.not_observable(role_arn));
        }
        Some(unused)
    }

    /// The role's permission gap (granted `allowed` against used), when the scan has usage data
    /// for it. Computed once per role however many rules ask.
    pub fn gap(&self, role_arn: &str, allowed: &ActionSet) -> Option<crate::gap::Gap> {
        let me = std::thread::current().id();
        if let Some((arn, g)) = lock(&self.gap_of_last_role).get(&me) {
            if arn == role_arn {
                return Some(g.clone());
            }
        }
        let used = self.used_for(role_arn, allowed)?;
        let logs = self.used_actions(role_arn).is_some();
        let hidden = if logs {
            self.not_observable(role_arn)
        } else {
            ActionSet::empty(self.catalog.len())
        };
        let mut g = crate::gap::gap(self.catalog, allowed, &used, &hidden);
        if let (Some(u), Some(k)) = (self.inventory.usage.as_ref(), role_key(role_arn)) {
            let (covered, total) = u.days_covered(&k.0);
            // Access Analyzer alone covers its whole tracking period.
            g.days_covered = if logs { covered } else { total };
            g.window_days = total;
        }
        g.analyzer_unused = self.analyzer_unused(role_arn, allowed);
        lock(&self.gap_of_last_role).insert(me, (role_arn.to_string(), g.clone()));
        Some(g)
    }

    /// What a permission boundary fails to bound, computed once per boundary ARN by `judge`.
    pub fn boundary_verdict(
        &self,
        arn: &str,
        judge: impl FnOnce() -> Option<BoundaryVerdict>,
    ) -> Option<BoundaryVerdict> {
        if let Some(v) = lock(&self.boundary_verdicts).get(arn) {
            return v.clone();
        }
        let v = judge();
        lock(&self.boundary_verdicts).insert(arn.to_string(), v.clone());
        v
    }

    /// The catalogue ids of a fixed list of action names (those it knows), in order; looked up
    /// once per scan, not once per role.
    pub fn ids(&self, names: &'static [&'static str]) -> Arc<[ActionId]> {
        let key = names.as_ptr() as usize;
        if let Some(v) = lock(&self.ids).get(&key) {
            return v.clone();
        }
        let v: Arc<[ActionId]> = crate::rules::ids(self.catalog, names).into();
        lock(&self.ids).insert(key, v.clone());
        v
    }

    /// The inventory role with this ARN (path ignored).
    pub fn role_of_arn(&self, arn: &str) -> Option<&'a rolecall_inventory::Role> {
        let idx = *self.roles_by_key.get(&role_key(arn)?)?;
        self.inventory.roles.get(idx)
    }

    /// Is the account one rolecall knows (in the inventory or configured)?
    pub fn is_known_account(&self, id: &str) -> bool {
        self.known_accounts.contains(id)
    }

    pub fn tag<'t>(
        &self,
        tags: &'t std::collections::BTreeMap<String, String>,
        key: &str,
    ) -> Option<&'t str> {
        tags.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }
}

impl crate::escalation::Others for Ctx<'_> {
    fn boundary_holds_back(&self, i: usize) -> usize {
        if let Some(n) = lock(&self.boundary_held).get(&i) {
            return *n;
        }
        let has = self
            .inventory
            .roles
            .get(i)
            .is_some_and(|r| r.permissions_boundary_arn.is_some());
        let n = if has {
            match (self.effective_of(i, true), self.effective_of(i, false)) {
                (Some(without), Some(with)) => without.allowed.difference_len(&with.allowed),
                _ => 0,
            }
        } else {
            0
        };
        lock(&self.boundary_held).insert(i, n);
        n
    }
}
