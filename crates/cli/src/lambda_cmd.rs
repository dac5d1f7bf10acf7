//! `rolecall lambda` (the AWS Lambda runtime loop) and `rolecall handle` (the same handler, once,
//! on an event file): the Config rule, EventBridge and Security Hub handlers of `rolecall-lambda`.

use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct HandleArgs {
    /// The event as Lambda would pass it: an AWS Config rule invocation, an EventBridge event
    /// (CloudTrail API call, Security Hub findings imported) or a rolecall task (`-` reads
    /// standard input).
    #[arg(long, value_name = "FILE")]
    pub event: PathBuf,
    /// Read and scan, write nothing: print the evaluations, imports and alerts it would send.
    #[arg(long)]
    pub dry_run: bool,
    /// rolecall.toml for the scan (default: the nearest one, as `scan` finds it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// AWS profile (default: the environment's credentials, as in Lambda).
    #[arg(long)]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (an emulator).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

fn settings(config: Option<&std::path::Path>) -> Result<rolecall_lambda::Settings> {
    let mut s = rolecall_lambda::Settings::from_env(|k| std::env::var(k).ok())
        .map_err(anyhow::Error::msg)?;
    if std::env::var_os("ROLECALL_CONFIG").is_none() {
        let (c, _) = rolecall_checks::Config::load(config)?;
        s.config = c;
    }
    Ok(s)
}

/// Runs the future `make` returns on a runtime on a thread with a large stack (the SDK's futures
/// are large in debug builds).
fn on_runtime<T: Send, F: std::future::Future<Output = T>>(
    make: impl FnOnce() -> F + Send,
) -> Result<T> {
    std::thread::scope(|scope| {
        let h = std::thread::Builder::new()
            .name("lambda".into())
            .stack_size(64 << 20)
            .spawn_scoped(scope, || {
                tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                    .map(|rt| rt.block_on(make()))
            })
            .context("cannot start the handler thread")?;
        match h.join() {
            Ok(r) => r.context("cannot start the async runtime"),
            Err(_) => bail!("the handler thread stopped unexpectedly"),
        }
    })
}

pub fn handle(a: HandleArgs) -> Result<ExitCode> {
    let text = if a.event.as_os_str() == "-" {
        let mut t = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut t)
            .context("cannot read the event from standard input")?;
        t
    } else {
        std::fs::read_to_string(&a.event)
            .with_context(|| format!("{}: cannot read the event", a.event.display()))?
    };
    let event: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: the event is not JSON", a.event.display()))?;
    let mut s = settings(a.config.as_deref())?;
    s.dry_run |= a.dry_run;
    if a.profile.is_some() {
        s.profile = a.profile.clone();
    }
    if a.endpoint_url.is_some() {
        s.endpoint_url = a.endpoint_url.clone();
    }
    let handled = on_runtime(|| rolecall_lambda::handle(&event, &s))?
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.event.display()))?;
    let mut out = serde_json::to_string_pretty(&handled.output)?;
    out.push('\n');
    std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes())?;
    // 2: something could not be read or written (the function would fail the invocation).
    Ok(if handled.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

pub fn lambda() -> Result<ExitCode> {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.trim().is_empty());
    if !set("AWS_LAMBDA_RUNTIME_API") {
        bail!("`rolecall lambda` runs inside AWS Lambda (AWS_LAMBDA_RUNTIME_API is not set); to try the handler here: rolecall handle --event FILE --dry-run");
    }
    // What the runtime crate reads (and would panic without): Lambda sets them all.
    let missing: Vec<&str> = [
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    ]
    .into_iter()
    .filter(|k| !set(k))
    .collect();
    if !missing.is_empty() {
        bail!("`rolecall lambda`: {} not set, as Lambda sets them; to try the handler here: rolecall handle --event FILE --dry-run", missing.join(", "));
    }
    if std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        .is_ok_and(|v| v.trim().parse::<i32>().is_err())
    {
        bail!("`rolecall lambda`: AWS_LAMBDA_FUNCTION_MEMORY_SIZE is not a number of megabytes");
    }
    let s = settings(None)?;
    on_runtime(move || rolecall_lambda::run_runtime(s))?
        .map_err(|e| anyhow::anyhow!("the Lambda runtime loop stopped: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
