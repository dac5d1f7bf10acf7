//! Scan history in one SQLite file: every scan (time, source, scope, catalogue, inventory hash,
//! the summary metrics) and every finding by its stable id, and per scope each finding's
//! `first_seen`, `last_seen`, `fixed_at` and `status` (`new`, `open`, `fixed`, `regressed`).
//!
//! Only scans of the same scope are compared: a scan of one account does not "fix" another
//! account's findings. A scan is recorded in one transaction, so an interrupted run leaves the
//! store as it was; WAL and a busy timeout let runs share one file.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod dashboard;
pub mod emf;
pub mod export;
pub mod metrics;
pub mod record;

pub use metrics::{group_metrics, GroupMetrics};
use rolecall_checks::ScanResult;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The schema version this build writes; older stores are migrated forward on open.
pub const SCHEMA_VERSION: i64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: schema version {found} is newer than this rolecall understands ({SCHEMA_VERSION}); upgrade rolecall")]
    TooNew { path: String, found: i64 },
    #[error("export: {0}")]
    Export(String),
}

pub struct Store {
    conn: Connection,
    path: String,
}

/// What recording a scan found against the previous scan of its scope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    pub scan_id: i64,
    /// The previous scan of the same scope, if any.
    pub previous: Option<i64>,
    pub new: usize,
    pub open: usize,
    pub regressed: usize,
    pub fixed: usize,
    /// Found, but suppressed (in rolecall.toml or inline): neither open nor fixed.
    pub suppressed: usize,
}

/// One row of `rolecall history`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScanRow {
    pub id: i64,
    pub at: String,
    pub source: String,
    pub scope: String,
    pub catalog: String,
    pub inventory_hash: String,
    pub functions: i64,
    pub roles: i64,
    pub findings: i64,
    pub new: i64,
    pub fixed: i64,
    pub regressed: i64,
    /// The scan read everything it was pointed at (unknown for scans before schema 5).
    pub complete: Option<bool>,
    /// Its coverage gaps: accounts, regions or APIs it could not read.
    pub coverage_gaps: Option<i64>,
    /// The accounts with a gap, whose unseen findings the scan did not mark fixed.
    pub unread_accounts: Vec<String>,
}

const MIGRATIONS: &[&str] = &[
    // 1: scans, findings per scan, finding state per scope.
    "CREATE TABLE scans (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        source TEXT NOT NULL,
        scope TEXT NOT NULL,
        catalog TEXT NOT NULL,
        inventory_hash TEXT NOT NULL,
        functions INTEGER NOT NULL,
        roles INTEGER NOT NULL,
        findings INTEGER NOT NULL,
        unique_role_share REAL NOT NULL,
        roles_with_wildcard_grants INTEGER NOT NULL,
        average_policies_per_role REAL NOT NULL,
        new INTEGER NOT NULL,
        fixed INTEGER NOT NULL,
        regressed INTEGER NOT NULL
     );
     CREATE INDEX scans_by_scope ON scans (scope, id);
     CREATE TABLE findings (
        scan_id INTEGER NOT NULL REFERENCES scans (id),
        uid TEXT NOT NULL,
        code TEXT NOT NULL,
        severity TEXT NOT NULL,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        resource TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        PRIMARY KEY (scan_id, uid)
     );
     CREATE TABLE finding_state (
        scope TEXT NOT NULL,
        uid TEXT NOT NULL,
        code TEXT NOT NULL,
        severity TEXT NOT NULL,
        account TEXT NOT NULL,
        resource TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        fixed_at TEXT,
        status TEXT NOT NULL,
        PRIMARY KEY (scope, uid)
     );",
    // 2: the inventory over time: each function's role, each role's policies and breadth.
    "CREATE TABLE deployments (
        scan_id INTEGER NOT NULL REFERENCES scans (id),
        function_arn TEXT NOT NULL,
        role_arn TEXT NOT NULL,
        last_modified TEXT,
        PRIMARY KEY (scan_id, function_arn)
     );
     CREATE INDEX deployments_by_function ON deployments (function_arn, scan_id);
     CREATE TABLE role_versions (
        scan_id INTEGER NOT NULL REFERENCES scans (id),
        role_arn TEXT NOT NULL,
        policies_hash TEXT NOT NULL,
        allowed_actions INTEGER NOT NULL,
        PRIMARY KEY (scan_id, role_arn)
     );",
    // 3: the posture metrics per scan for the whole scan, each team and each account; the owner
    // team of each finding (time to remediation by team). Older scans keep their whole-scan row.
    "CREATE TABLE metrics (
        scan_id INTEGER NOT NULL REFERENCES scans (id),
        dimension TEXT NOT NULL,
        key TEXT NOT NULL,
        functions INTEGER NOT NULL,
        roles INTEGER NOT NULL,
        unique_role_share REAL NOT NULL,
        roles_with_wildcard_grants INTEGER NOT NULL,
        average_policies_per_role REAL NOT NULL,
        unused_permissions INTEGER,
        granted_permissions INTEGER,
        open_findings INTEGER NOT NULL,
        critical INTEGER NOT NULL,
        high INTEGER NOT NULL,
        medium INTEGER NOT NULL,
        low INTEGER NOT NULL,
        deployments_changed INTEGER NOT NULL,
        deployments_widened INTEGER NOT NULL,
        baseline_roles INTEGER,
        baseline_compliant INTEGER,
        PRIMARY KEY (scan_id, dimension, key)
     );
     INSERT INTO metrics SELECT s.id, 'all', '', s.functions, s.roles, s.unique_role_share,
        s.roles_with_wildcard_grants, s.average_policies_per_role, NULL, NULL, s.findings,
        (SELECT count(*) FROM findings f WHERE f.scan_id = s.id AND f.severity = 'critical'),
        (SELECT count(*) FROM findings f WHERE f.scan_id = s.id AND f.severity = 'high'),
        (SELECT count(*) FROM findings f WHERE f.scan_id = s.id AND f.severity = 'medium'),
        (SELECT count(*) FROM findings f WHERE f.scan_id = s.id AND f.severity = 'low'),
        0, 0, NULL, NULL FROM scans s;
     ALTER TABLE finding_state ADD COLUMN team TEXT;
     ALTER TABLE findings ADD COLUMN team TEXT;",
    // 4: informational findings counted apart from low ones (version 3 counted them as low);
    // both recounted from the findings of each scan and group.
    "ALTER TABLE metrics ADD COLUMN info INTEGER NOT NULL DEFAULT 0;
     UPDATE metrics SET
        low = (SELECT count(*) FROM findings f WHERE f.scan_id = metrics.scan_id AND f.severity = 'low'
               AND f.status != 'suppressed' AND (metrics.dimension = 'all'
               OR (metrics.dimension = 'account' AND f.account = metrics.key)
               OR (metrics.dimension = 'team' AND coalesce(nullif(f.team, ''), '(untagged)') = metrics.key))),
        info = (SELECT count(*) FROM findings f WHERE f.scan_id = metrics.scan_id AND f.severity = 'info'
               AND f.status != 'suppressed' AND (metrics.dimension = 'all'
               OR (metrics.dimension = 'account' AND f.account = metrics.key)
               OR (metrics.dimension = 'team' AND coalesce(nullif(f.team, ''), '(untagged)') = metrics.key)));",
    // 5: each scan's coverage: whether it was complete, its gaps (account, region or API not
    // read) and the accounts it could not read (sorted, comma-separated). Older scans: unknown.
    "ALTER TABLE scans ADD COLUMN complete INTEGER;
     ALTER TABLE scans ADD COLUMN coverage_gaps INTEGER;
     ALTER TABLE scans ADD COLUMN unread_accounts TEXT;",
];

/// What a scan is recorded with besides its result.
#[derive(Clone, Copy)]
pub struct ScanRecord<'a> {
    /// The accounts and regions it covers: only scans of one scope are compared.
    pub scope: &'a str,
    pub inventory_hash: &'a str,
    /// When it ran (RFC 3339).
    pub at: &'a str,
    pub deployments: &'a [Deployment],
    pub roles: &'a [RoleVersion],
    /// Accounts with coverage gaps: what the scan did not find there is not fixed.
    pub unread_accounts: &'a HashSet<String>,
    /// The scan compared roles with an approved baseline (LR801-LR803 ran).
    pub baseline: bool,
}

/// A function's role at a scan (the seed's deployment log).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Deployment {
    pub function_arn: String,
    pub role_arn: String,
    pub last_modified: Option<String>,
}

/// A role's policies (by content hash) and how many actions they allow, at a scan.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RoleVersion {
    pub role_arn: String,
    pub policies_hash: String,
    pub allowed_actions: i64,
}

/// What changed between two scans.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Diff {
    pub from: i64,
    pub to: i64,
    /// Finding ids with code and resource.
    pub new: Vec<(String, String, String)>,
    pub fixed: Vec<(String, String, String)>,
    /// In `to`, fixed in some scan of the scope between, found again.
    pub regressed: Vec<(String, String, String)>,
    /// Open in `from`, suppressed in `to` (in rolecall.toml or inline).
    pub suppressed: Vec<(String, String, String)>,
    /// Roles whose policies changed: (role, allowed actions before, after).
    pub widened: Vec<(String, i64, i64)>,
    pub narrowed: Vec<(String, i64, i64)>,
    /// Functions whose role changed: (function, role before, after).
    pub role_changed: Vec<(String, String, String)>,
}

/// One row of `rolecall deployments`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeploymentRow {
    pub scan_id: i64,
    pub at: String,
    pub function_arn: String,
    pub role_arn: String,
    pub last_modified: Option<String>,
    pub policies_hash: Option<String>,
    pub allowed_actions: Option<i64>,
}

impl Store {
    /// Opens (or creates) the store and migrates it forward.
    pub fn open(path: &Path) -> Result<Store, HistoryError> {
        let p = path.display().to_string();
        let err = |source| HistoryError::Sqlite {
            path: p.clone(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        let mut store = Store { conn, path: p };
        store.migrate()?;
        Ok(store)
    }

    fn err(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Migrates forward in one immediate transaction: the version is read under the write lock,
    /// so two processes opening a new or old store at once migrate it once.
    fn migrate(&mut self) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let err = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let found: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        if found > SCHEMA_VERSION {
            return Err(HistoryError::TooNew {
                path: path.clone(),
                found,
            });
        }
        let start = usize::try_from(found).unwrap_or(0);
        for (i, m) in MIGRATIONS.iter().enumerate().skip(start) {
            tx.execute_batch(m)
                .and_then(|_| tx.pragma_update(None, "user_version", (i + 1) as i64))
                .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// Records a scan of `scope` made at `at` (RFC 3339) and sets each finding's `status` and
    /// `first_seen` in `result`. Findings of `unread_accounts` (coverage gaps) that the scan did
    /// not find stay as they were. One transaction: all of it or none.
    pub fn record(
        &mut self,
        result: &mut ScanResult,
        scan: &ScanRecord<'_>,
    ) -> Result<Recorded, HistoryError> {
        let ScanRecord {
            scope,
            inventory_hash,
            at,
            deployments,
            roles,
            unread_accounts,
            baseline,
        } = *scan;
        let path = self.path.clone();
        let e = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        let previous: Option<i64> = tx
            .query_row(
                "SELECT max(id) FROM scans WHERE scope = ?1",
                params![scope],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?
            .flatten();
        // The scope's state, read once.
        let mut state: HashMap<String, (String, String, String)> = HashMap::new();
        {
            let mut q = tx
                .prepare(
                    "SELECT uid, status, first_seen, account FROM finding_state WHERE scope = ?1",
                )
                .map_err(e)?;
            let rows = q
                .query_map(params![scope], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .map_err(e)?;
            for row in rows {
                let (uid, status, first, account) = row.map_err(e)?;
                state.insert(uid, (status, first, account));
            }
        }
        let mut rec = Recorded {
            previous,
            ..Default::default()
        };
        let s = &result.summary;
        tx.execute(
            "INSERT INTO scans (at, source, scope, catalog, inventory_hash, functions, roles, findings,
                unique_role_share, roles_with_wildcard_grants, average_policies_per_role, new, fixed, regressed,
                complete, coverage_gaps, unread_accounts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, 0, 0, ?12, ?13, ?14)",
            params![
                at,
                result.source,
                scope,
                result.catalog,
                inventory_hash,
                s.functions as i64,
                s.roles as i64,
                s.findings as i64,
                s.unique_role_share,
                s.roles_with_wildcard_grants as i64,
                s.average_policies_per_role,
                result.coverage.complete && unread_accounts.is_empty(),
                result.coverage.failures.len() as i64,
                {
                    let mut u: Vec<&str> = unread_accounts.iter().map(String::as_str).collect();
                    u.sort_unstable();
                    u.join(",")
                }
            ],
        )
        .map_err(e)?;
        let scan_id = tx.last_insert_rowid();
        rec.scan_id = scan_id;
        let mut seen: HashSet<&str> = HashSet::new();
        {
            let mut put_finding = tx
                .prepare(
                    "INSERT OR REPLACE INTO findings (scan_id, uid, code, severity, account, region, resource, title, status, team)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(e)?;
            let mut put_state = tx
                .prepare(
                    "INSERT INTO finding_state (scope, uid, code, severity, account, resource, first_seen, last_seen, fixed_at, status, team)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, ?10)
                     ON CONFLICT (scope, uid) DO UPDATE SET severity = excluded.severity, last_seen = excluded.last_seen,
                        fixed_at = NULL, status = excluded.status, team = excluded.team",
                )
                .map_err(e)?;
            // One finding of this scan, and its state in the scope, with its status.
            let mut put = |f: &mut rolecall_checks::Finding,
                           status: &str,
                           first: String|
             -> Result<(), HistoryError> {
                let severity = f.severity.as_str();
                put_finding
                    .execute(params![
                        scan_id,
                        f.id,
                        f.code,
                        severity,
                        f.account,
                        f.region,
                        f.resource_arn,
                        f.title,
                        status,
                        f.team
                    ])
                    .map_err(e)?;
                put_state
                    .execute(params![
                        scope,
                        f.id,
                        f.code,
                        severity,
                        f.account,
                        f.resource_arn,
                        first,
                        at,
                        status,
                        f.team
                    ])
                    .map_err(e)?;
                f.status = Some(status.to_string());
                f.first_seen = Some(first);
                Ok(())
            };
            for f in result.findings.iter_mut() {
                let (status, first) = match state.get(&f.id) {
                    None => ("new", at.to_string()),
                    Some((st, first, _)) if st == "fixed" => ("regressed", first.clone()),
                    // A suppression lifted or expired: new to the open queue (so a
                    // `--fail-on-new` gate sees it), seen since its first sighting.
                    Some((st, first, _)) if st == "suppressed" => ("new", first.clone()),
                    Some((_, first, _)) => ("open", first.clone()),
                };
                match status {
                    "new" => rec.new += 1,
                    "regressed" => rec.regressed += 1,
                    _ => rec.open += 1,
                }
                put(f, status, first)?;
            }
            // Suppressed findings are kept with their own status: a suppression is a decision
            // about a finding that still exists, never a fix, and its age keeps counting.
            for sf in result.suppressed.iter_mut() {
                let f = &mut sf.finding;
                let first = state
                    .get(&f.id)
                    .map(|(_, first, _)| first.clone())
                    .unwrap_or_else(|| at.to_string());
                rec.suppressed += 1;
                put(f, "suppressed", first)?;
            }
            seen.extend(result.findings.iter().map(|f| f.id.as_str()));
            seen.extend(result.suppressed.iter().map(|s| s.finding.id.as_str()));
        }
        // What the scope had open and this scan did not find: fixed now.
        {
            let mut fix = tx
                .prepare(
                    "UPDATE finding_state SET status = 'fixed', fixed_at = ?3 WHERE scope = ?1 AND uid = ?2",
                )
                .map_err(e)?;
            for (uid, (status, _, account)) in &state {
                // An account this scan could not read fixes nothing: a gap is not a fix.
                if status != "fixed"
                    && !seen.contains(uid.as_str())
                    && !unread_accounts.contains(account)
                {
                    fix.execute(params![scope, uid, at]).map_err(e)?;
                    rec.fixed += 1;
                }
            }
        }
        {
            let mut put = tx
                .prepare("INSERT OR REPLACE INTO deployments (scan_id, function_arn, role_arn, last_modified) VALUES (?1, ?2, ?3, ?4)")
                .map_err(e)?;
            for d in deployments {
                put.execute(params![
                    scan_id,
                    d.function_arn,
                    d.role_arn,
                    d.last_modified
                ])
                .map_err(e)?;
            }
            let mut put = tx
                .prepare("INSERT OR REPLACE INTO role_versions (scan_id, role_arn, policies_hash, allowed_actions) VALUES (?1, ?2, ?3, ?4)")
                .map_err(e)?;
            for r in roles {
                put.execute(params![
                    scan_id,
                    r.role_arn,
                    r.policies_hash,
                    r.allowed_actions
                ])
                .map_err(e)?;
            }
        }
        // The posture metrics, against what the previous scan of the scope held.
        let prev = match previous {
            Some(p) => Some(previous_state(&tx, p).map_err(e)?),
            None => None,
        };
        {
            let mut put = tx
                .prepare(
                    "INSERT OR REPLACE INTO metrics (scan_id, dimension, key, functions, roles, unique_role_share,
                        roles_with_wildcard_grants, average_policies_per_role, unused_permissions, granted_permissions,
                        open_findings, critical, high, medium, low, deployments_changed, deployments_widened,
                        baseline_roles, baseline_compliant, info)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
                )
                .map_err(e)?;
            for m in group_metrics(result, deployments, roles, prev.as_ref(), baseline) {
                put.execute(params![
                    scan_id,
                    m.dimension,
                    m.key,
                    m.functions,
                    m.roles,
                    m.unique_role_share,
                    m.roles_with_wildcard_grants,
                    m.average_policies_per_role,
                    m.unused_permissions,
                    m.granted_permissions,
                    m.open_findings,
                    m.critical,
                    m.high,
                    m.medium,
                    m.low,
                    m.deployments_changed,
                    m.deployments_widened,
                    m.baseline_roles,
                    m.baseline_compliant,
                    m.info
                ])
                .map_err(e)?;
            }
        }
        tx.execute(
            "UPDATE scans SET new = ?2, fixed = ?3, regressed = ?4 WHERE id = ?1",
            params![
                scan_id,
                rec.new as i64,
                rec.fixed as i64,
                rec.regressed as i64
            ],
        )
        .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(rec)
    }

    /// Every scan, newest first.
    pub fn scans(&self) -> Result<Vec<ScanRow>, HistoryError> {
        let mut q = self
            .conn
            .prepare(
                "SELECT id, at, source, scope, catalog, inventory_hash, functions, roles, findings, new, fixed, regressed,
                        complete, coverage_gaps, unread_accounts
                 FROM scans ORDER BY id DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = q
            .query_map([], |r| {
                Ok(ScanRow {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    source: r.get(2)?,
                    scope: r.get(3)?,
                    catalog: r.get(4)?,
                    inventory_hash: r.get(5)?,
                    functions: r.get(6)?,
                    roles: r.get(7)?,
                    findings: r.get(8)?,
                    new: r.get(9)?,
                    fixed: r.get(10)?,
                    regressed: r.get(11)?,
                    complete: r.get(12)?,
                    coverage_gaps: r.get(13)?,
                    unread_accounts: r
                        .get::<_, Option<String>>(14)?
                        .unwrap_or_default()
                        .split(',')
                        .filter(|a| !a.is_empty())
                        .map(str::to_string)
                        .collect(),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The scope of a scan, and the scan before it in that scope.
    fn scope_of(&self, scan: i64) -> Result<Option<(String, Option<i64>)>, HistoryError> {
        let scope: Option<String> = self
            .conn
            .query_row(
                "SELECT scope FROM scans WHERE id = ?1",
                params![scan],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some(scope) = scope else { return Ok(None) };
        let before: Option<i64> = self
            .conn
            .query_row(
                "SELECT max(id) FROM scans WHERE scope = ?1 AND id < ?2",
                params![scope, scan],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(Some((scope, before)))
    }

    /// What changed from scan `from` to scan `to` (default: the newest scan and the one before
    /// it in its scope). Scans of different scopes are not compared.
    pub fn diff(&self, from: Option<i64>, to: Option<i64>) -> Result<Diff, String> {
        let e = |x: HistoryError| x.to_string();
        let q = |x: rusqlite::Error| format!("{}: {x}", self.path);
        let to = match to {
            Some(t) => t,
            None => self
                .conn
                .query_row("SELECT max(id) FROM scans", [], |r| {
                    r.get::<_, Option<i64>>(0)
                })
                .map_err(q)?
                .ok_or("the history holds no scan")?,
        };
        let (scope, before) = self
            .scope_of(to)
            .map_err(e)?
            .ok_or(format!("no scan {to}"))?;
        let from = match from {
            Some(f) => f,
            None => before.ok_or(format!(
                "scan {to} is the first of its scope: nothing to compare it with"
            ))?,
        };
        let (from_scope, _) = self
            .scope_of(from)
            .map_err(e)?
            .ok_or(format!("no scan {from}"))?;
        if from_scope != scope {
            return Err(format!("scans {from} and {to} cover different scopes ({from_scope} and {scope}): not compared"));
        }
        let findings = |scan: i64| -> Result<BTreeMap<String, (String, String, String)>, String> {
            let mut st = self
                .conn
                .prepare("SELECT uid, code, resource, status FROM findings WHERE scan_id = ?1")
                .map_err(q)?;
            let rows = st
                .query_map(params![scan], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        (
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                        ),
                    ))
                })
                .map_err(q)?;
            rows.collect::<Result<_, _>>().map_err(q)
        };
        let a = findings(from)?;
        let b = findings(to)?;
        let mut d = Diff {
            from,
            to,
            ..Default::default()
        };
        let suppressed = |m: &BTreeMap<String, (String, String, String)>, uid: &str| {
            m.get(uid).is_some_and(|(_, _, st)| st == "suppressed")
        };
        for (uid, (code, res, status)) in &b {
            let row = (uid.clone(), code.clone(), res.clone());
            if status == "suppressed" {
                if !suppressed(&a, uid) {
                    d.suppressed.push(row);
                }
            } else if !a.contains_key(uid) || suppressed(&a, uid) {
                // A finding whose suppression was lifted is back in the queue: new to it.
                if status == "regressed" {
                    d.regressed.push(row);
                } else {
                    d.new.push(row);
                }
            }
        }
        for (uid, (code, res, status)) in &a {
            // Suppressed before and gone now: its suppression outlived it, but nothing was
            // open to be fixed.
            if !b.contains_key(uid) && status != "suppressed" {
                d.fixed.push((uid.clone(), code.clone(), res.clone()));
            }
        }
        let roles = |scan: i64| -> Result<BTreeMap<String, (String, i64)>, String> {
            let mut st = self
                .conn
                .prepare("SELECT role_arn, policies_hash, allowed_actions FROM role_versions WHERE scan_id = ?1")
                .map_err(q)?;
            let rows = st
                .query_map(params![scan], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        (r.get::<_, String>(1)?, r.get::<_, i64>(2)?),
                    ))
                })
                .map_err(q)?;
            rows.collect::<Result<_, _>>().map_err(q)
        };
        let (ra, rb) = (roles(from)?, roles(to)?);
        for (role, (hash, n)) in &rb {
            if let Some((h0, n0)) = ra.get(role) {
                if h0 != hash {
                    if n > n0 {
                        d.widened.push((role.clone(), *n0, *n));
                    } else if n < n0 {
                        d.narrowed.push((role.clone(), *n0, *n));
                    }
                }
            }
        }
        let deps = |scan: i64| -> Result<BTreeMap<String, String>, String> {
            let mut st = self
                .conn
                .prepare("SELECT function_arn, role_arn FROM deployments WHERE scan_id = ?1")
                .map_err(q)?;
            let rows = st
                .query_map(params![scan], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(q)?;
            rows.collect::<Result<_, _>>().map_err(q)
        };
        let (da, db) = (deps(from)?, deps(to)?);
        for (f, role) in &db {
            if let Some(r0) = da.get(f) {
                if r0 != role {
                    d.role_changed.push((f.clone(), r0.clone(), role.clone()));
                }
            }
        }
        Ok(d)
    }

    /// A function's role and that role's policies at each scan that saw it, oldest first.
    pub fn deployments(&self, function: &str) -> Result<Vec<DeploymentRow>, HistoryError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT d.scan_id, s.at, d.function_arn, d.role_arn, d.last_modified, v.policies_hash, v.allowed_actions
                 FROM deployments d JOIN scans s ON s.id = d.scan_id
                 LEFT JOIN role_versions v ON v.scan_id = d.scan_id AND v.role_arn = d.role_arn
                 WHERE d.function_arn = ?1 OR d.function_arn LIKE '%:function:' || ?1
                 ORDER BY d.scan_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![function], |r| {
                Ok(DeploymentRow {
                    scan_id: r.get(0)?,
                    at: r.get(1)?,
                    function_arn: r.get(2)?,
                    role_arn: r.get(3)?,
                    last_modified: r.get(4)?,
                    policies_hash: r.get(5)?,
                    allowed_actions: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The posture metrics of every scan (optionally since a day), oldest first.
    pub fn trend(&self, since: Option<&str>) -> Result<Vec<TrendPoint>, HistoryError> {
        let since = since.unwrap_or("");
        let mut q = self
            .conn
            .prepare(
                "SELECT s.id, s.at, s.scope, s.functions, s.roles, s.unique_role_share, s.roles_with_wildcard_grants,
                        s.average_policies_per_role, s.findings,
                        (SELECT count(*) FROM findings f WHERE f.scan_id = s.id AND f.severity = 'critical'),
                        (SELECT count(*) FROM findings f WHERE f.scan_id = s.id AND f.severity = 'high'),
                        s.new, s.fixed, s.regressed
                 FROM scans s WHERE s.at >= ?1 ORDER BY s.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = q
            .query_map(params![since], |r| {
                Ok(TrendPoint {
                    scan_id: r.get(0)?,
                    at: r.get(1)?,
                    scope: r.get(2)?,
                    functions: r.get(3)?,
                    roles: r.get(4)?,
                    unique_role_share: r.get(5)?,
                    roles_with_wildcard_grants: r.get(6)?,
                    average_policies_per_role: r.get(7)?,
                    open_findings: r.get(8)?,
                    open_critical: r.get(9)?,
                    open_high: r.get(10)?,
                    new: r.get(11)?,
                    fixed: r.get(12)?,
                    regressed: r.get(13)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Time to remediation: days from `first_seen` to `fixed_at` of the fixed findings, by
    /// severity: (severity, fixed, median days, 90th percentile days).
    pub fn time_to_remediation(&self) -> Result<Vec<Remediation>, HistoryError> {
        self.time_to_remediation_by(Dimension::All)
    }

    /// [`Store::time_to_remediation`] per team or account as well as by severity.
    pub fn time_to_remediation_by(&self, by: Dimension) -> Result<Vec<Remediation>, HistoryError> {
        let col = match by {
            Dimension::All => "''",
            Dimension::Team => "coalesce(nullif(team, ''), '(untagged)')",
            Dimension::Account => "account",
        };
        let mut q = self
            .conn
            .prepare(&format!(
                "SELECT {col}, severity, julianday(fixed_at) - julianday(first_seen) FROM finding_state
                 WHERE status = 'fixed' AND fixed_at IS NOT NULL"
            ))
            .map_err(|e| self.err(e))?;
        let rows = q
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, f64>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut by: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
        for row in rows {
            let (key, sev, days) = row.map_err(|e| self.err(e))?;
            by.entry((key, sev)).or_default().push(days);
        }
        Ok(by
            .into_iter()
            .map(|((key, severity), mut days)| {
                days.sort_by(f64::total_cmp);
                let pick = |q: f64| {
                    let i = ((days.len() as f64 - 1.0) * q).round() as usize;
                    days.get(i).copied().unwrap_or(0.0)
                };
                Remediation {
                    key,
                    severity,
                    fixed: days.len(),
                    median_days: (pick(0.5) * 10.0).round() / 10.0,
                    p90_days: (pick(0.9) * 10.0).round() / 10.0,
                }
            })
            .collect())
    }
}

/// What the metrics are grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    All,
    Team,
    Account,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::All => "all",
            Dimension::Team => "team",
            Dimension::Account => "account",
        }
    }
}

/// One group's metrics at one scan.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MetricRow {
    pub scan_id: i64,
    pub at: String,
    pub scope: String,
    #[serde(flatten)]
    pub metrics: GroupMetrics,
    /// `deployments_widened / deployments_changed`.
    pub drift_rate: Option<f64>,
    /// Share of roles within the baseline.
    pub baseline_compliance: Option<f64>,
}

/// Open findings of one severity by age (days since first seen, at the newest scan of each scope).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Aging {
    pub severity: String,
    pub days_0_7: i64,
    pub days_8_30: i64,
    pub days_31_90: i64,
    pub days_over_90: i64,
}

/// An open finding and how long it has been open.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OpenFinding {
    pub uid: String,
    pub code: String,
    pub severity: String,
    pub account: String,
    pub team: Option<String>,
    pub resource: String,
    pub title: String,
    pub first_seen: String,
    pub age_days: f64,
}

impl Store {
    /// Each scan's metrics for the groups of `by`, oldest first, optionally since a day.
    pub fn metrics(
        &self,
        by: Dimension,
        since: Option<&str>,
    ) -> Result<Vec<MetricRow>, HistoryError> {
        self.metric_rows(Some(by.as_str()), since, None)
    }

    /// One scan's metrics: the whole scan, then each account, then each team.
    pub fn metrics_of(&self, scan: i64) -> Result<Vec<MetricRow>, HistoryError> {
        self.metric_rows(None, None, Some(scan))
    }

    fn metric_rows(
        &self,
        by: Option<&str>,
        since: Option<&str>,
        scan: Option<i64>,
    ) -> Result<Vec<MetricRow>, HistoryError> {
        let mut q = self
            .conn
            .prepare(
                "SELECT m.scan_id, s.at, s.scope, m.dimension, m.key, m.functions, m.roles, m.unique_role_share,
                        m.roles_with_wildcard_grants, m.average_policies_per_role, m.unused_permissions,
                        m.granted_permissions, m.open_findings, m.critical, m.high, m.medium, m.low,
                        m.deployments_changed, m.deployments_widened, m.baseline_roles, m.baseline_compliant, m.info
                 FROM metrics m JOIN scans s ON s.id = m.scan_id
                 WHERE (?1 IS NULL OR m.dimension = ?1) AND s.at >= ?2 AND (?3 IS NULL OR m.scan_id = ?3)
                 ORDER BY m.scan_id, m.dimension, m.key",
            )
            .map_err(|e| self.err(e))?;
        let rows = q
            .query_map(params![by, since.unwrap_or(""), scan], |r| {
                let metrics = GroupMetrics {
                    dimension: r.get(3)?,
                    key: r.get(4)?,
                    functions: r.get(5)?,
                    roles: r.get(6)?,
                    unique_role_share: r.get(7)?,
                    roles_with_wildcard_grants: r.get(8)?,
                    average_policies_per_role: r.get(9)?,
                    unused_permissions: r.get(10)?,
                    granted_permissions: r.get(11)?,
                    open_findings: r.get(12)?,
                    critical: r.get(13)?,
                    high: r.get(14)?,
                    medium: r.get(15)?,
                    low: r.get(16)?,
                    deployments_changed: r.get(17)?,
                    deployments_widened: r.get(18)?,
                    baseline_roles: r.get(19)?,
                    baseline_compliant: r.get(20)?,
                    info: r.get(21)?,
                };
                Ok(MetricRow {
                    scan_id: r.get(0)?,
                    at: r.get(1)?,
                    scope: r.get(2)?,
                    drift_rate: metrics.drift_rate(),
                    baseline_compliance: metrics.baseline_compliance(),
                    metrics,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The findings open at the newest scan of each scope, oldest first.
    pub fn open_findings(&self) -> Result<Vec<OpenFinding>, HistoryError> {
        let mut q = self
            .conn
            .prepare(
                "SELECT f.uid, f.code, f.severity, f.account, f.team, f.resource, f.title, st.first_seen,
                        julianday(s.at) - julianday(st.first_seen)
                 FROM scans s
                 JOIN findings f ON f.scan_id = s.id
                 JOIN finding_state st ON st.scope = s.scope AND st.uid = f.uid
                 WHERE s.id IN (SELECT max(id) FROM scans GROUP BY scope) AND f.status != 'suppressed'
                 ORDER BY st.first_seen, f.uid",
            )
            .map_err(|e| self.err(e))?;
        let rows = q
            .query_map([], |r| {
                Ok(OpenFinding {
                    uid: r.get(0)?,
                    code: r.get(1)?,
                    severity: r.get(2)?,
                    account: r.get(3)?,
                    team: r.get(4)?,
                    resource: r.get(5)?,
                    title: r.get(6)?,
                    first_seen: r.get(7)?,
                    age_days: r.get::<_, Option<f64>>(8)?.unwrap_or(0.0).max(0.0),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }
}

/// Open findings by severity and age bucket (0-7, 8-30, 31-90, over 90 days).
pub fn aging(open: &[OpenFinding]) -> Vec<Aging> {
    let order = ["critical", "high", "medium", "low", "info"];
    let mut out: Vec<Aging> = order
        .iter()
        .map(|s| Aging {
            severity: (*s).to_string(),
            ..Default::default()
        })
        .collect();
    for f in open {
        let Some(a) = out.iter_mut().find(|a| a.severity == f.severity) else {
            continue;
        };
        let d = f.age_days.floor() as i64;
        match d {
            ..=7 => a.days_0_7 += 1,
            8..=30 => a.days_8_30 += 1,
            31..=90 => a.days_31_90 += 1,
            _ => a.days_over_90 += 1,
        }
    }
    out
}

/// Each function's role and each role's policies at a scan.
fn previous_state(conn: &Connection, scan: i64) -> Result<metrics::Previous, rusqlite::Error> {
    let mut p = metrics::Previous::default();
    let mut q =
        conn.prepare("SELECT function_arn, role_arn FROM deployments WHERE scan_id = ?1")?;
    for row in q.query_map(params![scan], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (f, r): (String, String) = row?;
        p.role_of.insert(f, r);
    }
    let mut q = conn.prepare(
        "SELECT role_arn, policies_hash, allowed_actions FROM role_versions WHERE scan_id = ?1",
    )?;
    for row in q.query_map(params![scan], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
        let (role, hash, n): (String, String, i64) = row?;
        p.roles.insert(role, (hash, n));
    }
    Ok(p)
}

/// The posture metrics of one scan.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TrendPoint {
    pub scan_id: i64,
    pub at: String,
    pub scope: String,
    pub functions: i64,
    pub roles: i64,
    /// Share of functions with a role of their own (0-1).
    pub unique_role_share: f64,
    /// Roles with wildcard grants (`*` in Action or Resource).
    pub roles_with_wildcard_grants: i64,
    pub average_policies_per_role: f64,
    pub open_findings: i64,
    pub open_critical: i64,
    pub open_high: i64,
    pub new: i64,
    pub fixed: i64,
    pub regressed: i64,
}

/// Days from first sighting to fix, by severity.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Remediation {
    /// The team or account (empty for the whole history).
    pub key: String,
    pub severity: String,
    pub fixed: usize,
    pub median_days: f64,
    pub p90_days: f64,
}
