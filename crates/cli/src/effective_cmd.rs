use crate::sources::SourceArgs;
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use rolecall_catalog::{catalog, AccessLevel, Catalog};
use rolecall_checks::{map_roles, RoleAnalysis};
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

pub fn run(a: EffectiveArgs) -> Result<ExitCode> {
    let inv = a.source.load()?;
    let cat = catalog();
    let wanted =
        |r: &rolecall_inventory::Role| a.role.as_ref().is_none_or(|w| &r.arn == w || &r.name == w);
    if !inv.roles.iter().any(wanted) {
        bail!(
            "no role {:?} in the inventory",
            a.role.as_deref().unwrap_or("(any)")
        );
    }
    let detail = a.role.is_some();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut roles, mut problems, mut unknown) = (0usize, 0usize, 0usize);
    let mut io_result: std::io::Result<()> = Ok(());
    if a.format == Format::Json {
        write!(
            out,
            "{{\"source\": {}, \"catalog\": {}, \"roles\": [",
            json!(inv.source),
            json!(cat.source)
        )?;
    }
    // Every role on every core, each rendered on its own; written in inventory order.
    let (rendered, _) = map_roles(&inv, cat, |r| {
        if !wanted(r.role) {
            return None;
        }
        let mut buf: Vec<u8> = Vec::new();
        let written = match a.format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut buf, &role_json(&r, &inv, cat, detail))
                    .map_err(std::io::Error::from)
            }
            Format::Table => {
                write_role(&mut crate::table::Escaping(&mut buf), &r, &inv, cat, detail)
            }
        };
        Some((
            written.map(|()| buf),
            r.resolved.problems.len(),
            r.effective.unknown_actions.len(),
        ))
    });
    for (buf, p, u) in rendered.into_iter().flatten() {
        let buf = match buf {
            Ok(b) => b,
            Err(e) => {
                io_result = Err(e);
                break;
            }
        };
        if a.format == Format::Json {
            if roles > 0 {
                write!(out, ",")?;
            }
            writeln!(out)?;
        }
        out.write_all(&buf)?;
        roles += 1;
        problems += p;
        unknown += u;
    }
    io_result?;
    match a.format {
        Format::Json => writeln!(out, "\n]}}")?,
        Format::Table => writeln!(
            out,
            "\n{roles} roles, {} functions; {problems} policy problems, {unknown} unknown actions (source: {})",
            inv.functions.len(),
            inv.source
        )?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn level_counts(r: &RoleAnalysis, cat: &Catalog) -> [usize; 5] {
    cat.count_by_level(&r.effective.allowed)
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
        "services": r.effective.service_count(cat),
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
) -> std::io::Result<()> {
    let e = &r.effective;
    let admin = e.admin_grant().is_some();
    let [l, rd, w, p, t] = level_counts(r, cat);
    writeln!(
        out,
        "{}  functions={}  actions={} (List {l}, Read {rd}, Write {w}, Permissions {p}, Tagging {t})  services={}{}",
        r.role.arn,
        r.functions.len(),
        e.allowed.len(),
        e.service_count(cat),
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
