//! CloudTrail event → IAM action(s): the catalogue's own name where the event is named after its
//! action, and `data/event-actions.tsv` (curated from the AWS documentation each row cites) where
//! it is not.

use rolecall_catalog::{ActionId, Catalog};
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

const TABLE_TSV: &str = include_str!("../data/event-actions.tsv");

/// One action an event stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub action: ActionId,
    /// Authorized on the copy source (`x-amz-copy-source`), not on the request's target.
    pub copy_source: bool,
}

/// What an event stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mapping {
    Actions(Vec<Target>),
    /// The call needs no permission (`sts:GetCallerIdentity`).
    NoPermission,
    /// Neither the table nor the catalogue knows the event.
    Unknown,
}

/// A row of the table: `actions` as written (`s3:GetObject@copy-source`, `cloudwatch:*`, `-`).
#[derive(Debug)]
struct Row {
    source: &'static str,
    /// The event name, or a prefix when `prefix` is set.
    name: &'static str,
    prefix: bool,
    actions: Vec<&'static str>,
}

fn rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        TABLE_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut it = l.split('\t');
                let source = it.next()?;
                let name = it.next()?;
                let actions = it.next()?.split(',').collect();
                let (name, prefix) = match name.strip_suffix('*') {
                    Some(p) => (p, true),
                    None => (name, false),
                };
                Some(Row {
                    source,
                    name,
                    prefix,
                    actions,
                })
            })
            .collect()
    })
}

/// The table's rows as (event source, event name or `Prefix*`, actions), for tests and docs.
pub fn table() -> Vec<(String, String, String)> {
    rows()
        .iter()
        .map(|r| {
            (
                r.source.to_string(),
                format!("{}{}", r.name, if r.prefix { "*" } else { "" }),
                r.actions.join(","),
            )
        })
        .collect()
}

/// Exact rows by (source, name), and prefix rows by source, built once.
struct Index {
    exact: FxHashMap<(&'static str, &'static str), usize>,
    prefixes: FxHashMap<&'static str, Vec<usize>>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut exact = FxHashMap::default();
        let mut prefixes: FxHashMap<&'static str, Vec<usize>> = FxHashMap::default();
        for (i, r) in rows().iter().enumerate() {
            if r.prefix {
                prefixes.entry(r.source).or_default().push(i);
            } else {
                exact.insert((r.source, r.name), i);
            }
        }
        // Longest prefix first.
        for v in prefixes.values_mut() {
            v.sort_by_key(|&i| std::cmp::Reverse(rows().get(i).map_or(0, |r| r.name.len())));
        }
        Index { exact, prefixes }
    })
}

fn resolve_row(cat: &Catalog, row: &Row, name: &str) -> Mapping {
    if row.actions == ["-"] {
        return Mapping::NoPermission;
    }
    let mut out = Vec::new();
    for a in &row.actions {
        let (a, copy_source) = match a.strip_suffix("@copy-source") {
            Some(x) => (x, true),
            None => (*a, false),
        };
        // `prefix:*` renames the service and keeps the event's name.
        let id = match a.strip_suffix(":*") {
            Some(prefix) => cat.lookup(&format!("{prefix}:{name}")),
            None => cat.lookup(a),
        };
        if let Some(action) = id {
            out.push(Target {
                action,
                copy_source,
            });
        }
    }
    if out.is_empty() {
        Mapping::Unknown
    } else {
        Mapping::Actions(out)
    }
}

/// What the event `source`/`name` stands for.
pub fn map_event(cat: &Catalog, source: &str, name: &str) -> Mapping {
    // Lambda's event names carry the API version (`GetFunction20150331v2`).
    let name = if source == "lambda.amazonaws.com" {
        name.find(|c: char| c.is_ascii_digit())
            .and_then(|i| name.get(..i))
            .unwrap_or(name)
    } else {
        name
    };
    let ix = index();
    if let Some(row) = ix.exact.get(&(source, name)).and_then(|&i| rows().get(i)) {
        return resolve_row(cat, row, name);
    }
    if let Some(list) = ix.prefixes.get(source) {
        for row in list.iter().filter_map(|&i| rows().get(i)) {
            if name.starts_with(row.name) {
                return resolve_row(cat, row, name);
            }
        }
    }
    let svc = source.strip_suffix(".amazonaws.com").unwrap_or(source);
    match cat.lookup(&format!("{svc}:{name}")) {
        Some(action) => Mapping::Actions(vec![Target {
            action,
            copy_source: false,
        }]),
        None => Mapping::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_the_table_names_catalogue_actions() {
        let cat = rolecall_catalog::catalog();
        assert!(rows().len() > 60);
        for r in rows() {
            assert!(
                r.source.ends_with(".amazonaws.com"),
                "{}: not an event source",
                r.source
            );
            for a in &r.actions {
                let a = a.trim_end_matches("@copy-source");
                if a == "-" || a.ends_with(":*") {
                    continue;
                }
                assert!(cat.lookup(a).is_some(), "{a} is not in the catalogue");
            }
        }
    }
}
