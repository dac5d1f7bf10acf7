use anyhow::{bail, Context as _, Result};
use clap::Args;
use rolecall_catalog::catalog;
use rolecall_policy::{evaluate, parse_policy, Context, Policy, PolicyKind, PolicySet, Request};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct SimulateArgs {
    /// Identity-based policy documents (JSON or URL-encoded JSON).
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// Permission boundary document.
    #[arg(long, value_name = "FILE")]
    boundary: Option<PathBuf>,
    /// Service control policies; each file is one level of the Organization hierarchy (root, OU,
    /// account), and every level must allow.
    #[arg(long = "scp", value_name = "FILE")]
    scps: Vec<PathBuf>,
    /// Resource-based policy of the resource (bucket policy, function policy, trust policy, ...).
    #[arg(long, value_name = "FILE")]
    resource_policy: Option<PathBuf>,
    /// The action, e.g. s3:GetObject.
    #[arg(long)]
    action: String,
    /// The resource ARN.
    #[arg(long)]
    resource: String,
    /// The calling principal: role, assumed-role session, user or account ARN, or a service
    /// principal such as lambda.amazonaws.com.
    #[arg(long)]
    principal: Option<String>,
    /// Request context, KEY=VALUE; repeat a key for a multi-valued key.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
}

fn load(path: &Path, kind: PolicyKind) -> Result<Policy> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(parse_policy(&path.display().to_string(), kind, &text)?)
}

pub fn run(a: SimulateArgs) -> Result<ExitCode> {
    let identity = a
        .policies
        .iter()
        .map(|p| load(p, PolicyKind::Identity))
        .collect::<Result<Vec<_>>>()?;
    let boundary = a
        .boundary
        .as_deref()
        .map(|p| load(p, PolicyKind::Boundary))
        .transpose()?;
    let scps = a
        .scps
        .iter()
        .map(|p| load(p, PolicyKind::Scp))
        .collect::<Result<Vec<_>>>()?;
    let resource_policy = a
        .resource_policy
        .as_deref()
        .map(|p| load(p, PolicyKind::Resource))
        .transpose()?;
    let mut context = Context::new();
    for kv in &a.context {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("--context {kv:?}: expected KEY=VALUE");
        };
        if k.trim().is_empty() {
            bail!("--context {kv:?}: the key is empty");
        }
        context.insert(k.trim(), v);
    }
    if !a.action.contains(':') {
        bail!("--action {:?}: expected service:Action", a.action);
    }
    let set = PolicySet {
        identity: identity.iter().collect(),
        boundary: boundary.as_ref(),
        scp_levels: scps.iter().map(|p| vec![p]).collect(),
        resource_policy: resource_policy.as_ref(),
    };
    let req = Request {
        principal: a.principal.clone(),
        action: a.action.clone(),
        resource: a.resource.clone(),
        context,
    };
    let resp = evaluate(&set, &req);
    let mut out = serde_json::to_value(&resp)?;
    if let (None, Some(o)) = (catalog().lookup(&a.action), out.as_object_mut()) {
        o.insert(
            "warnings".into(),
            json!([format!(
                "{} is not in the action catalogue ({})",
                a.action,
                catalog().source
            )]),
        );
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}
