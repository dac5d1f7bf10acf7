use crate::sources::SourceArgs;
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use rolecall_catalog::catalog;
use rolecall_inventory::model::same_role;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq, Debug)]
pub enum Format {
    #[default]
    Json,
    Cloudformation,
    Terraform,
}

#[derive(Args)]
pub struct SuggestArgs {
    /// The role (ARN or name) or a function (name or ARN) whose role to rewrite.
    target: String,
    #[command(flatten)]
    source: SourceArgs,
    /// Observed use: `cloudtrail=DIR`, `cloudtrail=s3://bucket/prefix` or `access-advisor`
    /// (repeatable). Required.
    #[arg(long, value_name = "SOURCE=WHERE", required = true)]
    usage: Vec<String>,
    /// Days of use to consider, ending at the collection time.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(i64).range(1..=3660))]
    usage_window: i64,
    /// json (the policy document), cloudformation or terraform (policy and boundary).
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// With --format json: print the suggested permission boundary instead of the policy.
    #[arg(long)]
    boundary: bool,
}

pub fn run(a: SuggestArgs) -> Result<ExitCode> {
    let mut inv = a.source.with_usage(&a.usage, a.usage_window)?.load()?;
    let today = crate::sources::scan_day(&inv, None)?;
    crate::sources::add_usage(&mut inv, &a.usage, a.usage_window, today, &a.source.live)?;
    let t = a.target.as_str();
    let role = inv
        .roles
        .iter()
        .find(|r| r.arn == t || r.name == t)
        .or_else(|| {
            let f = inv.functions.iter().find(|f| f.name == t || f.arn == t)?;
            inv.roles.iter().find(|r| same_role(&r.arn, &f.role_arn))
        })
        .cloned();
    let Some(role) = role else {
        bail!("no role or function {t:?} in the inventory")
    };
    let usage = inv.usage.as_ref().and_then(|u| {
        u.roles
            .iter()
            .find(|(arn, _)| same_role(arn, &role.arn))
            .map(|(_, ru)| ru.clone())
    });
    let Some(usage) = usage else {
        bail!("{} was not seen doing anything in the last {} days: there is no use to build a policy from (consider removing the role)", role.arn, a.usage_window);
    };
    let s = rolecall_usage::suggest::suggest(catalog(), &usage);
    for u in &s.unscoped {
        eprintln!("note: {u} is granted on * because no event named its resource");
    }
    match a.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(if a.boundary { &s.boundary } else { &s.policy })?
        ),
        Format::Cloudformation => println!(
            "{}",
            serde_json::to_string_pretty(&rolecall_usage::suggest::cloudformation(&s, &role.name))?
        ),
        Format::Terraform => print!("{}", rolecall_usage::suggest::terraform(&s, &role.name)),
    }
    Ok(ExitCode::SUCCESS)
}
