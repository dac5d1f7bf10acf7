use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use rolecall_checks::{find_rule, rules::docs_markdown, RULES};
use serde_json::json;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Table,
    Json,
    Markdown,
}

#[derive(Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Args)]
pub struct ExplainArgs {
    /// Rule code (LR201) or name (privilege-escalation).
    rule: String,
    /// LR201 only: list every escalation method it knows: id, the permissions it needs, what its
    /// target is, and where it comes from.
    #[arg(long)]
    methods: bool,
    /// With --methods: table or json.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn rules(a: RulesArgs) -> Result<ExitCode> {
    match a.format {
        Format::Markdown => print!("{}", docs_markdown()),
        Format::Json => {
            let v: Vec<_> = RULES
                .iter()
                .map(|r| json!({"code": r.meta.code, "name": r.meta.name, "severity": r.meta.severity, "summary": r.meta.summary, "needs_live_data": r.meta.needs_live_data}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Format::Table => {
            for r in RULES {
                println!(
                    "{}  {:<28}  {:<8}  {}",
                    r.meta.code,
                    r.meta.name,
                    r.meta.severity.as_str(),
                    r.meta.summary
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn explain(a: ExplainArgs) -> Result<ExitCode> {
    let Some(r) = find_rule(&a.rule) else {
        bail!("no rule {:?}; `rolecall rules` lists them", a.rule);
    };
    if a.methods {
        if r.meta.code != "LR201" {
            bail!(
                "--methods lists LR201's escalation methods; {} has none",
                r.meta.code
            );
        }
        return escalation_methods(a.format);
    }
    println!(
        "{} {} (default severity: {})\n",
        r.meta.code, r.meta.name, r.meta.severity
    );
    println!("{}", r.doc().trim_end());
    Ok(ExitCode::SUCCESS)
}

fn escalation_methods(format: Format) -> Result<ExitCode> {
    use rolecall_checks::escalation::{methods, Origin, Reach};
    let ms = methods();
    if format == Format::Json {
        let v: Vec<_> = ms
            .iter()
            .map(|m| {
                let (source, commit, role_form_of) = match m.origin {
                    Origin::Published(p) => ("pathfinding.cloud", Some(p.commit), None),
                    Origin::Rolecall { role_form_of, .. } => ("rolecall", None, role_form_of),
                };
                let (services, resource_kind, not_for_roles) = match m.reach {
                    Reach::PassRole(s) => (s.to_vec(), None, None),
                    Reach::Resource(_, k) => (Vec::new(), Some(k), None),
                    Reach::NotForRoles(why) => (Vec::new(), None, Some(why)),
                    _ => (Vec::new(), None, None),
                };
                json!({
                    "id": m.id, "name": m.name, "required": m.required, "target": m.reach.kind(),
                    "target_action": m.reach.target_action(), "services": services,
                    "resource_kind": resource_kind, "applies_to_roles": not_for_roles.is_none(),
                    "not_for_roles": not_for_roles, "source": source, "commit": commit,
                    "role_form_of": role_form_of, "reference": m.reference(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("# {}", rolecall_catalog::risk::published_paths_source());
    for m in ms {
        let target = match m.reach {
            Reach::PassRole(s) => format!("pass-role to {}", s.join(", ")),
            Reach::Resource(a, k) => format!("{k} ({a})"),
            Reach::NotForRoles(_) => "does not apply to roles".into(),
            r => match r.target_action() {
                Some(a) => format!("{} ({a})", r.kind()),
                None => r.kind().into(),
            },
        };
        println!("{:<48}  {:<44}  {}", m.id, target, m.required.join(" + "));
    }
    Ok(ExitCode::SUCCESS)
}
