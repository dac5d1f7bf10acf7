//! `rolecall export`: the history as Parquet or JSON lines for Athena, Trino, Spark or DuckDB,
//! to a directory or to S3.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use rolecall_history::export::ExportFormat;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Parquet,
    Jsonl,
}

#[derive(Args)]
pub struct ExportArgs {
    #[arg(long, value_name = "PATH", required = true)]
    history: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// A directory, or `s3://bucket/prefix`: files go under `table=NAME/dt=YYYY-MM-DD/...`.
    /// Exporting again replaces a scan's files, never duplicates them.
    #[arg(long, value_name = "DIR|S3_URL")]
    output: String,
    /// Only scans recorded on or after this day (YYYY-MM-DD); the finding state is always whole.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// AWS profile for an s3:// output.
    #[arg(long, env = "AWS_PROFILE")]
    profile: Option<String>,
    /// AWS endpoint for an s3:// output (for testing against an emulator).
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint_url: Option<String>,
    /// Seconds each S3 request may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
}

pub fn run(a: ExportArgs) -> Result<ExitCode> {
    if !a.history.exists() {
        bail!("{}: no such history file", a.history.display());
    }
    if let Some(d) = &a.since {
        if rolecall_inventory::day_number(d).is_none() {
            bail!("--since {d:?}: expected a day as YYYY-MM-DD");
        }
    }
    let store = rolecall_history::Store::open(&a.history)?;
    let format = match a.format {
        Format::Parquet => ExportFormat::Parquet,
        Format::Jsonl => ExportFormat::Jsonl,
    };
    let content_type = match a.format {
        Format::Parquet => "application/vnd.apache.parquet",
        Format::Jsonl => "application/x-ndjson",
    };
    let done = if let Some((bucket, prefix)) = rolecall_publish::parse_s3_url(&a.output) {
        // The SDK's futures are large in debug builds: run them on a thread with a big stack.
        let (since, profile, endpoint, timeout) = (
            a.since.clone(),
            a.profile.clone(),
            a.endpoint_url.clone(),
            a.timeout,
        );
        std::thread::Builder::new()
            .name("export".into())
            .stack_size(64 << 20)
            .spawn(move || -> Result<rolecall_history::export::Exported> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                let region = std::env::var("AWS_REGION")
                    .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                    .unwrap_or_else(|_| "us-east-1".into());
                let cfg = rt.block_on(rolecall_collect::sdk_config(
                    profile.as_deref(),
                    endpoint.as_deref(),
                    &region,
                    std::time::Duration::from_secs(timeout),
                ));
                store.export::<anyhow::Error>(format, since.as_deref(), &mut |key, body| {
                    let key = if prefix.is_empty() {
                        key.to_string()
                    } else {
                        format!("{prefix}/{key}")
                    };
                    rt.block_on(rolecall_publish::s3_put_object(
                        &cfg,
                        &bucket,
                        &key,
                        content_type,
                        body,
                    ))
                    .map(|_| ())
                    .map_err(anyhow::Error::from)
                })
            })
            .context("cannot start the export thread")?
            .join()
            .map_err(|_| anyhow::anyhow!("the export thread failed"))??
    } else if a.output.contains("://") {
        bail!(
            "--output {:?}: expected a directory or s3://bucket/prefix",
            a.output
        );
    } else {
        let root = PathBuf::from(&a.output);
        store.export::<anyhow::Error>(format, a.since.as_deref(), &mut |key, body| {
            let path = root.join(key);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).with_context(|| {
                    format!("{}: cannot create the directory", parent.display())
                })?;
            }
            rolecall_inventory::model::write_atomic(&path, |w| w.write_all(&body))
                .with_context(|| format!("{}: cannot write", path.display()))
        })?
    };
    eprintln!(
        "export: {} scan(s), {} finding row(s), {} metric row(s) in {} file(s) under {}",
        done.scans, done.findings, done.metrics, done.files, a.output
    );
    Ok(ExitCode::SUCCESS)
}
