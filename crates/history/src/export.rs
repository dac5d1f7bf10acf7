//! The history as a data lake: the scans, the findings with their status and the metrics, as
//! Parquet or JSON lines, in Hive-style partitions Athena, Trino, Spark and DuckDB read:
//!
//! ```text
//! table=scans/dt=YYYY-MM-DD/scan-ID.parquet
//! table=findings/dt=YYYY-MM-DD/account=ID/scan-ID.parquet
//! table=metrics/dt=YYYY-MM-DD/scan-ID.parquet
//! table=finding_state/state.parquet
//! ```
//!
//! A scan's files are named by its id and never change once it is recorded, so exporting again
//! replaces them with the same content: re-export never duplicates. `finding_state` (each
//! finding's first and last sighting, fix and status per scope) is the current state, replaced
//! whole at each export. Partition columns (`dt`, `account`) are in the path, not in the files,
//! as Athena requires. One scan is read and written at a time: memory is bounded by the largest
//! scan, not the history.

use crate::{HistoryError, Store};
use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use rusqlite::params;
use std::sync::Arc;

/// The file format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Parquet,
    Jsonl,
}

impl ExportFormat {
    fn ext(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "parquet",
            ExportFormat::Jsonl => "jsonl",
        }
    }
}

/// One column of a table being exported.
enum Values {
    Int(Vec<Option<i64>>),
    Real(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
    Bool(Vec<Option<bool>>),
}

struct Column {
    name: &'static str,
    values: Values,
}

/// A table of rows, column by column.
#[derive(Default)]
struct Table {
    columns: Vec<Column>,
}

impl Table {
    fn col(&mut self, name: &'static str, values: Values) {
        self.columns.push(Column { name, values });
    }

    fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| match &c.values {
            Values::Int(v) => v.len(),
            Values::Real(v) => v.len(),
            Values::Text(v) => v.len(),
            Values::Bool(v) => v.len(),
        })
    }

    fn parquet(&self) -> Result<Vec<u8>, parquet::errors::ParquetError> {
        let fields = self
            .columns
            .iter()
            .map(|c| {
                let (physical, logical) = match c.values {
                    Values::Int(_) => (Physical::INT64, None),
                    Values::Real(_) => (Physical::DOUBLE, None),
                    Values::Text(_) => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
                    Values::Bool(_) => (Physical::BOOLEAN, None),
                };
                Type::primitive_type_builder(c.name, physical)
                    .with_repetition(Repetition::OPTIONAL)
                    .with_logical_type(logical)
                    .build()
                    .map(Arc::new)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let schema = Arc::new(
            Type::group_type_builder("rolecall")
                .with_fields(fields)
                .build()?,
        );
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by(format!("rolecall {}", env!("CARGO_PKG_VERSION")))
                .build(),
        );
        let mut out = Vec::new();
        let mut writer = SerializedFileWriter::new(&mut out, schema, props)?;
        let mut group = writer.next_row_group()?;
        for c in &self.columns {
            let Some(mut w) = group.next_column()? else {
                break;
            };
            fn split<T: Clone>(v: &[Option<T>]) -> (Vec<T>, Vec<i16>) {
                let defs = v.iter().map(|x| i16::from(x.is_some())).collect();
                (v.iter().flatten().cloned().collect(), defs)
            }
            match &c.values {
                Values::Int(v) => {
                    let (vals, defs) = split(v);
                    w.typed::<Int64Type>()
                        .write_batch(&vals, Some(&defs), None)?;
                }
                Values::Real(v) => {
                    let (vals, defs) = split(v);
                    w.typed::<DoubleType>()
                        .write_batch(&vals, Some(&defs), None)?;
                }
                Values::Bool(v) => {
                    let (vals, defs) = split(v);
                    w.typed::<BoolType>()
                        .write_batch(&vals, Some(&defs), None)?;
                }
                Values::Text(v) => {
                    let defs: Vec<i16> = v.iter().map(|x| i16::from(x.is_some())).collect();
                    let vals: Vec<ByteArray> = v
                        .iter()
                        .flatten()
                        .map(|s| ByteArray::from(s.as_str()))
                        .collect();
                    w.typed::<ByteArrayType>()
                        .write_batch(&vals, Some(&defs), None)?;
                }
            }
            w.close()?;
        }
        group.close()?;
        writer.close()?;
        Ok(out)
    }

    fn jsonl(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..self.rows() {
            let mut row = serde_json::Map::new();
            for c in &self.columns {
                let v = match &c.values {
                    Values::Int(v) => v.get(i).copied().flatten().map(serde_json::Value::from),
                    Values::Real(v) => v.get(i).copied().flatten().map(serde_json::Value::from),
                    Values::Bool(v) => v.get(i).copied().flatten().map(serde_json::Value::from),
                    Values::Text(v) => v.get(i).cloned().flatten().map(serde_json::Value::from),
                };
                row.insert(c.name.into(), v.unwrap_or(serde_json::Value::Null));
            }
            if let Ok(line) = serde_json::to_string(&row) {
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
            }
        }
        out
    }

    fn render(&self, format: ExportFormat) -> Result<Vec<u8>, String> {
        match format {
            ExportFormat::Parquet => self.parquet().map_err(|e| e.to_string()),
            ExportFormat::Jsonl => Ok(self.jsonl()),
        }
    }
}

/// A Hive partition value: characters other than letters, digits, `.`, `_` and `-` as `%XX`
/// (what Hive and Athena decode), empty as Hive's default partition.
pub fn partition_value(v: &str) -> String {
    if v.is_empty() {
        return "__HIVE_DEFAULT_PARTITION__".into();
    }
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Exported {
    pub scans: usize,
    pub files: usize,
    pub findings: usize,
    pub metrics: usize,
}

type Sink<'a, E> = dyn FnMut(&str, Vec<u8>) -> Result<(), E> + 'a;

impl Store {
    /// Exports the scans recorded on or after `since` (YYYY-MM-DD), and the current finding
    /// state, handing each file (its key under the export root, its bytes) to `sink`.
    pub fn export<E: From<HistoryError>>(
        &self,
        format: ExportFormat,
        since: Option<&str>,
        sink: &mut Sink<'_, E>,
    ) -> Result<Exported, E> {
        let err = |e: rusqlite::Error| E::from(self.err(e));
        let fail = |what: String| E::from(HistoryError::Export(what));
        let ext = format.ext();
        let mut done = Exported::default();
        let ids: Vec<(i64, String)> = {
            let mut q = self
                .conn
                .prepare("SELECT id, at FROM scans WHERE at >= ?1 ORDER BY id")
                .map_err(err)?;
            let rows = q
                .query_map(params![since.unwrap_or("")], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(err)?;
            rows.collect::<Result<_, _>>().map_err(err)?
        };
        for (id, at) in ids {
            let dt = partition_value(at.get(..10).unwrap_or(&at));
            // The scan.
            let mut t = Table::default();
            {
                let row = self
                    .conn
                    .query_row(
                        "SELECT id, at, source, scope, catalog, inventory_hash, functions, roles, findings,
                                new, fixed, regressed, complete, coverage_gaps, unread_accounts
                         FROM scans WHERE id = ?1",
                        params![id],
                        |r| {
                            Ok((
                                [r.get::<_, i64>(0)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?],
                                [r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
                                r.get::<_, Option<bool>>(12)?,
                                r.get::<_, Option<i64>>(13)?,
                                r.get::<_, Option<String>>(14)?,
                            ))
                        },
                    )
                    .map_err(err)?;
                let (ints, texts, complete, gaps, unread) = row;
                let [sid, functions, roles, findings, new, fixed, regressed] = ints;
                let [sat, source, scope, catalog, hash] = texts;
                t.col("scan_id", Values::Int(vec![Some(sid)]));
                t.col("at", Values::Text(vec![Some(sat)]));
                t.col("source", Values::Text(vec![Some(source)]));
                t.col("scope", Values::Text(vec![Some(scope)]));
                t.col("catalog", Values::Text(vec![Some(catalog)]));
                t.col("inventory_hash", Values::Text(vec![Some(hash)]));
                t.col("functions", Values::Int(vec![Some(functions)]));
                t.col("roles", Values::Int(vec![Some(roles)]));
                t.col("findings", Values::Int(vec![Some(findings)]));
                t.col("new", Values::Int(vec![Some(new)]));
                t.col("fixed", Values::Int(vec![Some(fixed)]));
                t.col("regressed", Values::Int(vec![Some(regressed)]));
                t.col("complete", Values::Bool(vec![complete]));
                t.col("coverage_gaps", Values::Int(vec![gaps]));
                t.col("unread_accounts", Values::Text(vec![unread]));
            }
            sink(
                &format!("table=scans/dt={dt}/scan-{id}.{ext}"),
                t.render(format).map_err(fail)?,
            )?;
            done.files += 1;
            // Its findings, by account, with their status and first sighting.
            {
                let mut q = self
                    .conn
                    .prepare(
                        "SELECT f.account, f.uid, f.code, f.severity, f.region, f.resource, f.title, f.status,
                                f.team, st.first_seen, s.at, s.scope
                         FROM findings f JOIN scans s ON s.id = f.scan_id
                         LEFT JOIN finding_state st ON st.scope = s.scope AND st.uid = f.uid
                         WHERE f.scan_id = ?1 ORDER BY f.account, f.uid",
                    )
                    .map_err(err)?;
                let mut rows = q.query(params![id]).map_err(err)?;
                let mut account: Option<String> = None;
                let mut cols: [Vec<Option<String>>; 11] = Default::default();
                let mut flush =
                    |account: &str, cols: &mut [Vec<Option<String>>; 11]| -> Result<(), E> {
                        if cols[0].is_empty() {
                            return Ok(());
                        }
                        let n = cols[0].len();
                        let mut t = Table::default();
                        t.col("scan_id", Values::Int(vec![Some(id); n]));
                        let names = [
                            "uid",
                            "code",
                            "severity",
                            "region",
                            "resource",
                            "title",
                            "status",
                            "team",
                            "first_seen",
                            "at",
                            "scope",
                        ];
                        for (name, c) in names.iter().zip(cols.iter_mut()) {
                            t.col(name, Values::Text(std::mem::take(c)));
                        }
                        done.findings += n;
                        done.files += 1;
                        sink(
                            &format!(
                                "table=findings/dt={dt}/account={}/scan-{id}.{ext}",
                                partition_value(account)
                            ),
                            t.render(format).map_err(fail)?,
                        )
                    };
                while let Some(r) = rows.next().map_err(err)? {
                    let acct: String = r.get(0).map_err(err)?;
                    if account.as_deref() != Some(acct.as_str()) {
                        if let Some(a) = &account {
                            flush(a, &mut cols)?;
                        }
                        account = Some(acct);
                    }
                    for (i, c) in cols.iter_mut().enumerate() {
                        c.push(r.get::<_, Option<String>>(i + 1).map_err(err)?);
                    }
                }
                if let Some(a) = &account {
                    flush(a, &mut cols)?;
                }
            }
            // Its metrics, for the whole scan, each team and each account.
            {
                let rows = self.metrics_of(id).map_err(E::from)?;
                let mut t = Table::default();
                let m = |f: fn(&crate::MetricRow) -> Option<i64>| {
                    Values::Int(rows.iter().map(f).collect())
                };
                let r = |f: fn(&crate::MetricRow) -> Option<f64>| {
                    Values::Real(rows.iter().map(f).collect())
                };
                t.col("scan_id", m(|x| Some(x.scan_id)));
                t.col(
                    "at",
                    Values::Text(rows.iter().map(|x| Some(x.at.clone())).collect()),
                );
                t.col(
                    "scope",
                    Values::Text(rows.iter().map(|x| Some(x.scope.clone())).collect()),
                );
                t.col(
                    "dimension",
                    Values::Text(
                        rows.iter()
                            .map(|x| Some(x.metrics.dimension.clone()))
                            .collect(),
                    ),
                );
                t.col(
                    "key",
                    Values::Text(rows.iter().map(|x| Some(x.metrics.key.clone())).collect()),
                );
                t.col("functions", m(|x| Some(x.metrics.functions)));
                t.col("roles", m(|x| Some(x.metrics.roles)));
                t.col(
                    "unique_role_share",
                    r(|x| Some(x.metrics.unique_role_share)),
                );
                t.col(
                    "roles_with_wildcard_grants",
                    m(|x| Some(x.metrics.roles_with_wildcard_grants)),
                );
                t.col(
                    "average_policies_per_role",
                    r(|x| Some(x.metrics.average_policies_per_role)),
                );
                t.col("unused_permissions", m(|x| x.metrics.unused_permissions));
                t.col("granted_permissions", m(|x| x.metrics.granted_permissions));
                t.col("open_findings", m(|x| Some(x.metrics.open_findings)));
                t.col("critical", m(|x| Some(x.metrics.critical)));
                t.col("high", m(|x| Some(x.metrics.high)));
                t.col("medium", m(|x| Some(x.metrics.medium)));
                t.col("low", m(|x| Some(x.metrics.low)));
                t.col("info", m(|x| Some(x.metrics.info)));
                t.col(
                    "deployments_changed",
                    m(|x| Some(x.metrics.deployments_changed)),
                );
                t.col(
                    "deployments_widened",
                    m(|x| Some(x.metrics.deployments_widened)),
                );
                t.col("drift_rate", r(|x| x.drift_rate));
                t.col("baseline_roles", m(|x| x.metrics.baseline_roles));
                t.col("baseline_compliant", m(|x| x.metrics.baseline_compliant));
                t.col("baseline_compliance", r(|x| x.baseline_compliance));
                done.metrics += rows.len();
                done.files += 1;
                sink(
                    &format!("table=metrics/dt={dt}/scan-{id}.{ext}"),
                    t.render(format).map_err(fail)?,
                )?;
            }
            done.scans += 1;
        }
        // The current state of every finding of every scope.
        {
            let mut q = self
                .conn
                .prepare(
                    "SELECT scope, uid, code, severity, account, resource, first_seen, last_seen, fixed_at, status, team
                     FROM finding_state ORDER BY scope, uid",
                )
                .map_err(err)?;
            let mut rows = q.query([]).map_err(err)?;
            let mut cols: [Vec<Option<String>>; 11] = Default::default();
            while let Some(r) = rows.next().map_err(err)? {
                for (i, c) in cols.iter_mut().enumerate() {
                    c.push(r.get::<_, Option<String>>(i).map_err(err)?);
                }
            }
            let names = [
                "scope",
                "uid",
                "code",
                "severity",
                "account",
                "resource",
                "first_seen",
                "last_seen",
                "fixed_at",
                "status",
                "team",
            ];
            let mut t = Table::default();
            for (name, c) in names.iter().zip(cols) {
                t.col(name, Values::Text(c));
            }
            done.files += 1;
            sink(
                &format!("table=finding_state/state.{ext}"),
                t.render(format).map_err(fail)?,
            )?;
        }
        Ok(done)
    }
}
