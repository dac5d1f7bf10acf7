use anyhow::{bail, Context as _, Result};
use clap::Args;
use rolecall_catalog::catalog;
use rolecall_policy::case::Case;
use rolecall_policy::{
    evaluate, parse_policy, Context, Policy, PolicyKind, PolicySet, PrincipalFacts, Request,
    Response,
};
use serde_json::json;
use std::io::{BufRead, Write};
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
    /// Session policy of the caller's role session.
    #[arg(long, value_name = "FILE")]
    session_policy: Option<PathBuf>,
    /// Service control policies of the caller's account; each file is one level of the
    /// Organization hierarchy (root, OU, account), and every level must allow.
    #[arg(long = "scp", value_name = "FILE")]
    scps: Vec<PathBuf>,
    /// Resource control policies of the resource's account; each file is one level (root, OU,
    /// account). RCPFullAWSAccess, which AWS attaches to every level and which cannot be
    /// detached, is added to each level. Applied only to the services that support RCPs.
    #[arg(long = "rcp", value_name = "FILE")]
    rcps: Vec<PathBuf>,
    /// Resource-based policy of the resource (bucket policy, key policy, function policy, ...).
    #[arg(long, value_name = "FILE", conflicts_with = "trust_policy")]
    resource_policy: Option<PathBuf>,
    /// Trust policy of the role being assumed (for sts:AssumeRole*).
    #[arg(long, value_name = "FILE")]
    trust_policy: Option<PathBuf>,
    /// The action, e.g. s3:GetObject.
    #[arg(long, required_unless_present = "batch")]
    action: Option<String>,
    /// The resource ARN.
    #[arg(long, required_unless_present = "batch")]
    resource: Option<String>,
    /// The account that owns the resource, when its ARN names none (S3 buckets). Without it, the
    /// caller's account is assumed, and the answer says so.
    #[arg(long, value_name = "ID")]
    resource_account: Option<String>,
    /// The calling principal: role, assumed-role session, user or account ARN, a service
    /// principal such as lambda.amazonaws.com, or `anonymous` for an unsigned request.
    #[arg(long)]
    principal: Option<String>,
    /// IAM path of the caller's role or user (a session ARN does not carry it), e.g. /service-role/.
    #[arg(long, value_name = "PATH")]
    principal_path: Option<String>,
    /// A tag of the caller's role or user, KEY=VALUE (aws:PrincipalTag/KEY); repeatable.
    #[arg(long = "principal-tag", value_name = "KEY=VALUE")]
    principal_tags: Vec<String>,
    /// The caller's role id or user id (aws:userid).
    #[arg(long, value_name = "ID")]
    principal_id: Option<String>,
    /// The Organization of the caller's account (aws:PrincipalOrgID).
    #[arg(long, value_name = "o-...")]
    org_id: Option<String>,
    /// An Organization path of the caller's account (aws:PrincipalOrgPaths); repeatable.
    #[arg(long = "org-path", value_name = "PATH")]
    org_paths: Vec<String>,
    /// The Organization's management account (SCPs do not restrict its principals, RCPs its
    /// resources).
    #[arg(long, value_name = "ID")]
    management_account: Option<String>,
    /// Request context, KEY=VALUE; repeat a key for a multi-valued key.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Evaluate many requests: a file with one JSON case per line (the corpus format, see
    /// docs/policy-engine.md); prints one JSON answer per line. `-` reads standard input.
    #[arg(long, value_name = "FILE.jsonl", conflicts_with_all = ["action", "resource"])]
    batch: Option<PathBuf>,
}

fn load(path: &Path, kind: PolicyKind) -> Result<Policy> {
    let text = crate::input::read_text(path)?;
    Ok(parse_policy(&path.display().to_string(), kind, &text)?)
}

fn pairs(flag: &str, values: &[String]) -> Result<Vec<(String, String)>> {
    values
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            Some(_) => bail!("{flag} {kv:?}: the key is empty"),
            None => bail!("{flag} {kv:?}: expected KEY=VALUE"),
        })
        .collect()
}

fn answer(resp: &Response, action: &str) -> Result<serde_json::Value> {
    let mut out = serde_json::to_value(resp)?;
    if let (None, Some(o)) = (catalog().lookup(action), out.as_object_mut()) {
        let note = json!(format!(
            "warning: {action} is not in the action catalogue ({})",
            catalog().source
        ));
        match o.get_mut("warnings").and_then(|w| w.as_array_mut()) {
            Some(list) => list.push(note),
            None => {
                o.insert("warnings".into(), json!([note]));
            }
        }
    }
    Ok(out)
}

pub fn run(a: SimulateArgs) -> Result<ExitCode> {
    if let Some(batch) = &a.batch {
        return run_batch(batch);
    }
    let (Some(action), Some(resource)) = (a.action.clone(), a.resource.clone()) else {
        bail!("--action and --resource are required (or --batch FILE)");
    };
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
    let session = a
        .session_policy
        .as_deref()
        .map(|p| load(p, PolicyKind::Session))
        .transpose()?;
    let scps = a
        .scps
        .iter()
        .map(|p| load(p, PolicyKind::Scp))
        .collect::<Result<Vec<_>>>()?;
    let rcps = a
        .rcps
        .iter()
        .map(|p| load(p, PolicyKind::Rcp))
        .collect::<Result<Vec<_>>>()?;
    let rcp_full = parse_policy(
        "RCPFullAWSAccess",
        PolicyKind::Rcp,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
    )?;
    let resource_policy = match (&a.resource_policy, &a.trust_policy) {
        (Some(p), _) => Some(load(p, PolicyKind::Resource)?),
        (None, Some(p)) => Some(load(p, PolicyKind::Trust)?),
        (None, None) => None,
    };
    let mut context = Context::new();
    for (k, v) in pairs("--context", &a.context)? {
        context.insert(&k, &v);
    }
    if !action.contains(':') {
        bail!("--action {action:?}: expected service:Action");
    }
    for (flag, id) in [
        ("--resource-account", &a.resource_account),
        ("--management-account", &a.management_account),
    ] {
        if let Some(id) = id {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                bail!("{flag} {id:?}: expected a 12-digit account id");
            }
        }
    }
    let tags = pairs("--principal-tag", &a.principal_tags)?;
    let set = PolicySet {
        identity: identity.iter().collect(),
        boundary: boundary.as_ref(),
        session: session.as_ref(),
        scp_levels: scps.iter().map(|p| vec![p]).collect(),
        rcp_levels: rcps.iter().map(|p| vec![&rcp_full, p]).collect(),
        resource_policy: resource_policy.as_ref(),
    };
    let req = Request {
        principal: a.principal.clone(),
        action: action.clone(),
        resource,
        context,
        principal_facts: PrincipalFacts {
            path: a.principal_path.clone(),
            tags: (!tags.is_empty()).then(|| tags.into_iter().collect()),
            org_id: a.org_id.clone(),
            org_paths: a.org_paths.clone(),
            unique_id: a.principal_id.clone(),
            session_name: None,
        },
        resource_account: a.resource_account.clone(),
        management_account: a.management_account.clone(),
        aws_managed_key: false,
    };
    let resp = evaluate(&set, &req);
    let out = answer(&resp, &action)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string_pretty(&out)?)?;
    Ok(ExitCode::SUCCESS)
}

/// One case per line in, one answer per line out; a line that cannot be read is an answer with
/// an `error` naming it, and the run exits 2 at the end.
fn run_batch(path: &Path) -> Result<ExitCode> {
    let reader: Box<dyn BufRead> = if path == Path::new("-") {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path)
                .with_context(|| format!("{}: cannot read", path.display()))?,
        ))
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut errors = 0usize;
    for (n, line) in reader.lines().enumerate() {
        let line =
            line.with_context(|| format!("{}: line {}: cannot read", path.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let out = match serde_json::from_str::<Case>(&line) {
            Err(e) => {
                errors += 1;
                json!({"line": n + 1, "error": format!("{}: line {}: not a case: {e}", path.display(), n + 1)})
            }
            Ok(case) => match case.evaluate() {
                Err(e) => {
                    errors += 1;
                    json!({"line": n + 1, "name": case.name, "error": format!("{}: line {}: {e}", path.display(), n + 1)})
                }
                Ok(resp) => {
                    let mut v = answer(&resp, &case.request.action)?;
                    if let Some(o) = v.as_object_mut() {
                        o.insert("line".into(), json!(n + 1));
                        if let Some(name) = &case.name {
                            o.insert("name".into(), json!(name));
                        }
                    }
                    v
                }
            },
        };
        writeln!(stdout, "{}", serde_json::to_string(&out)?)?;
    }
    stdout.flush()?;
    Ok(if errors > 0 {
        eprintln!("error: {errors} case(s) could not be evaluated (see their `error` lines)");
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
