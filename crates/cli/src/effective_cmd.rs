use crate::sources::SourceArgs;
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use rolecall_catalog::{catalog, AccessLevel, Catalog};
use rolecall_checks::{analyze, RoleAnalysis};
use rolecall_inventory::Inventory;
use rolecall_policy::Grant;
use serde_json::{json, Value};
use std::io::Write;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Args)]
pub struct EffectiveArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Only this role (ARN or name); its grants are listed in full.
    #[arg(long)]
    role: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Args)]
pub struct ScanArgs {
    #[command(flatten)]
    source: SourceArgs,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Until the rule catalogue lands, a scan reports the effective permissions of every role.
pub fn scan(a: ScanArgs) -> Result<ExitCode> {
    run(EffectiveArgs {
        source: a.source,
        role: None,
        format: a.format,
    })
}

pub fn run(a: EffectiveArgs) -> Result<ExitCode> {
    let inv = a.source.load()?;
    let cat = catalog();
    let analysis = analyze(&inv, cat);
    let selected: Vec<&RoleAnalysis> = match &a.role {
        Some(want) => {
            let v: Vec<_> = analysis
                .roles
                .iter()
                .filter(|r| &r.role.arn == want || &r.role.name == want)
                .collect();
            if v.is_empty() {
                bail!("no role {want:?} in the inventory");
            }
            v
        }
        None => analysis.roles.iter().collect(),
    };
    let detail = a.role.is_some();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match a.format {
        Format::Json => {
            let rows: Vec<Value> = selected
                .iter()
                .map(|r| role_json(r, &inv, cat, detail))
                .collect();
            serde_json::to_writer_pretty(
                &mut out,
                &json!({"source": inv.source, "catalog": cat.source, "roles": rows}),
            )?;
            writeln!(out)?;
        }
        Format::Table => {
            for r in &selected {
                write_role(&mut out, r, &inv, cat, detail)?;
            }
            let problems: usize = selected.iter().map(|r| r.resolved.problems.len()).sum();
            let unknown: usize = selected
                .iter()
                .map(|r| r.effective.unknown_actions.len())
                .sum();
            writeln!(
                out,
                "\n{} roles, {} functions; {} policy problems, {} unknown actions (source: {})",
                selected.len(),
                inv.functions.len(),
                problems,
                unknown,
                inv.source
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn level_counts(r: &RoleAnalysis, cat: &Catalog) -> [usize; 5] {
    let mut c = [0usize; 5];
    for id in r.effective.allowed.iter() {
        if let Some(l) = cat.access_level(id) {
            if let Some(slot) = AccessLevel::ALL
                .iter()
                .position(|x| *x == l)
                .and_then(|i| c.get_mut(i))
            {
                *slot += 1;
            }
        }
    }
    c
}

fn grant_json(g: &Grant, cat: &Catalog, full: bool) -> Value {
    let mut v = serde_json::to_value(g).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert("action_count".into(), json!(g.actions.len()));
        if full {
            let names: Vec<String> = g.actions.iter().map(|i| cat.full_name(i)).collect();
            o.insert("actions".into(), json!(names));
        }
    }
    v
}

fn role_json(r: &RoleAnalysis, inv: &Inventory, cat: &Catalog, full: bool) -> Value {
    let levels = level_counts(r, cat);
    let by_level: serde_json::Map<String, Value> = AccessLevel::ALL
        .iter()
        .zip(levels)
        .map(|(l, n)| (l.as_str().to_string(), json!(n)))
        .collect();
    json!({
        "role": r.role.arn,
        "account": r.role.account,
        "functions": r.functions.iter().filter_map(|&i| inv.functions.get(i)).map(|f| &f.arn).collect::<Vec<_>>(),
        "permissions_boundary": r.role.permissions_boundary_arn,
        "allowed_actions": r.effective.allowed.len(),
        "services": r.effective.by_service(cat).len(),
        "by_access_level": by_level,
        "grants": r.effective.grants.iter().map(|g| grant_json(g, cat, full)).collect::<Vec<_>>(),
        "unknown_actions": r.effective.unknown_actions,
        "problems": r.resolved.problems,
    })
}

fn write_role(
    out: &mut impl Write,
    r: &RoleAnalysis,
    inv: &Inventory,
    cat: &Catalog,
    detail: bool,
) -> Result<()> {
    let e = &r.effective;
    let admin = e.admin_grant().is_some();
    let [l, rd, w, p, t] = level_counts(r, cat);
    writeln!(
        out,
        "{}  functions={}  actions={} (List {l}, Read {rd}, Write {w}, Permissions {p}, Tagging {t})  services={}{}",
        r.role.arn,
        r.functions.len(),
        e.allowed.len(),
        e.by_service(cat).len(),
        if admin { "  ADMIN" } else { "" }
    )?;
    if detail {
        for &i in &r.functions {
            if let Some(f) = inv.functions.get(i) {
                writeln!(out, "  function {}", f.arn)?;
            }
        }
        for g in &e.grants {
            let sample: Vec<String> = g.actions.iter().take(4).map(|i| cat.full_name(i)).collect();
            let more = g.actions.len().saturating_sub(sample.len());
            writeln!(
                out,
                "  allow {} action(s) [{}{}] on {}{}{}  <- {} ({})",
                g.actions.len(),
                sample.join(", "),
                if more > 0 {
                    format!(", +{more}")
                } else {
                    String::new()
                },
                g.resources.include.join(", "),
                if g.resources.exclude.is_empty() {
                    String::new()
                } else {
                    format!(" except {}", g.resources.exclude.join(", "))
                },
                if g.conditions.is_empty() {
                    String::new()
                } else {
                    format!(
                        " when {}",
                        g.conditions
                            .iter()
                            .map(rolecall_policy::effective::describe_condition)
                            .collect::<Vec<_>>()
                            .join(" and ")
                    )
                },
                g.source.policy,
                g.source.statement
            )?;
            for x in &g.exceptions {
                writeln!(
                    out,
                    "      except {} on {}{}  <- {} ({})",
                    x.actions.len(),
                    x.resources.include.join(", "),
                    if x.conditional {
                        " (when its condition holds)"
                    } else {
                        ""
                    },
                    x.source.policy,
                    x.source.statement
                )?;
            }
        }
    }
    for u in &e.unknown_actions {
        writeln!(
            out,
            "  unknown action {} ({}) in {} ({})",
            u.action, u.reason, u.source.policy, u.source.statement
        )?;
    }
    for p in &r.resolved.problems {
        writeln!(out, "  problem: {p}")?;
    }
    Ok(())
}
