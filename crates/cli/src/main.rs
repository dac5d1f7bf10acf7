//! `rolecall`: audit AWS Lambda execution roles.
//!
//! Exit codes: 0 success, 1 findings at or above `--fail-on` (scan), 2 error.

mod baseline_cmd;
mod collect_cmd;
mod config_query_cmd;
mod effective_cmd;
mod expand_cmd;
mod export_cmd;
mod history_cmd;
mod input;
mod lambda_cmd;
mod lint_cmd;
mod publish_cmd;
mod rules_cmd;
mod scan_cmd;
mod simulate_cmd;
mod sources;
mod suggest_cmd;
mod table;
mod usage_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "rolecall",
    version,
    about = "Audit AWS Lambda execution roles: what each function's role can really do, and what to fix first."
)]
struct Cli {
    /// More detail: for lint, the files read, rules skipped, references left unresolved and
    /// suppressed findings; for errors, every cause.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

/// Whether `-v` was given.
pub static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn verbose() -> bool {
    VERBOSE.load(std::sync::atomic::Ordering::Relaxed)
}

#[derive(Subcommand)]
enum Command {
    /// Scan an estate (live AWS, the demo Organization, snapshots or AWS CLI exports): findings
    /// ranked by risk.
    Scan(scan_cmd::ScanArgs),
    /// Lint infrastructure as code (CloudFormation, SAM, CDK, Terraform, Serverless) with the same
    /// rules: compiler-style locations, SARIF, JUnit or JSON, and --fail-on for CI.
    Lint(lint_cmd::LintArgs),
    /// Collect an inventory snapshot from AWS (read-only) without analysing it.
    Collect(collect_cmd::CollectArgs),
    /// Effective permissions of every role (or one role): what it is allowed after denies,
    /// NotAction/NotResource, its permission boundary and the SCPs of its account.
    Effective(effective_cmd::EffectiveArgs),
    /// List the actions an IAM action pattern matches (`s3:Get*`, `iam:*Policy*`), with access levels.
    Expand(expand_cmd::ExpandArgs),
    /// Evaluate one request against policies as AWS would: allow, explicit_deny or implicit_deny,
    /// with the statements that decided. Prints JSON; exits 0 whatever the decision.
    Simulate(simulate_cmd::SimulateArgs),
    /// Write a least-privilege policy (and a permission boundary) for a role from its observed use.
    Suggest(suggest_cmd::SuggestArgs),
    /// Read usage sources (CloudTrail log files) and show what each role was seen doing.
    Usage(usage_cmd::UsageArgs),
    /// The scans recorded in a history file (`scan --history PATH`), newest first.
    History(history_cmd::HistoryArgs),
    /// What changed between two recorded scans of one scope: findings new, fixed and regressed,
    /// roles widened or narrowed, functions whose role changed.
    Diff(history_cmd::DiffArgs),
    /// A function's role and its policy versions at each recorded scan.
    Deployments(history_cmd::DeploymentsArgs),
    /// The posture metrics over the recorded scans (table, json, csv, openmetrics).
    Trend(history_cmd::TrendArgs),
    /// Write each execution role's approved effective permissions (a file to commit and review);
    /// `scan --baseline` and `lint --baseline` report drift from it (LR801-LR803).
    Baseline(baseline_cmd::BaselineArgs),
    /// Export the history (scans, findings with their status, metrics, finding state) as
    /// Parquet or JSON lines in Hive partitions, to a directory or S3, for Athena, Trino or DuckDB.
    Export(export_cmd::ExportArgs),
    /// Ask an AWS Config aggregator about the Organization: shared-roles, recent-role-changes,
    /// untagged-functions (`--config-aggregator NAME`).
    ConfigQuery(config_query_cmd::ConfigQueryArgs),
    /// Run inside AWS Lambda: the runtime loop for AWS Config rule invocations, EventBridge
    /// CloudTrail events about roles and functions, and Security Hub finding imports (docs/deploy.md).
    Lambda,
    /// Run the Lambda handler once on an event file and print what it did, or with --dry-run
    /// what it would do (JSON).
    Handle(lambda_cmd::HandleArgs),
    /// List every rule.
    Rules(rules_cmd::RulesArgs),
    /// Print a rule's documentation: what it does, why it matters, an example, the fix.
    Explain(rules_cmd::ExplainArgs),
    /// Print a shell completion script: `rolecall completions bash > /etc/bash_completion.d/rolecall`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), generated from the command line definition:
    /// `rolecall man > rolecall.1`.
    Man,
}

/// Was this error, somewhere in its chain, a write to a closed pipe (`rolecall ... | head`)?
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line, a cause that repeats what was already said dropped.
fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for c in e.chain() {
        let t = c.to_string();
        if out.contains(t.trim()) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&t);
    }
    table::esc_keep_newlines(&out)
}

fn main() -> ExitCode {
    // A reader that stops reading (`| head`) ends the program quietly, as it does for ripgrep:
    // `print!` panics on a closed pipe, so that panic exits 0 without a message.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") || msg.contains("os error 32") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    // Deployed as a custom runtime's `bootstrap` (cargo lambda), the binary starts with no
    // arguments inside Lambda: that is `rolecall lambda`.
    let cli = if std::env::args_os().len() == 1
        && std::env::var("AWS_LAMBDA_RUNTIME_API").is_ok_and(|v| !v.is_empty())
    {
        Cli::parse_from(["rolecall", "lambda"])
    } else {
        Cli::parse()
    };
    // For the documentation test: every command line in the docs must parse; nothing runs.
    if std::env::var_os("ROLECALL_CHECK_ARGS").is_some() {
        return ExitCode::SUCCESS;
    }
    VERBOSE.store(cli.verbose, std::sync::atomic::Ordering::Relaxed);
    let result = match cli.command {
        Command::Scan(a) => scan_cmd::run(a),
        Command::Lint(a) => lint_cmd::run(a),
        Command::Collect(a) => collect_cmd::run(a),
        Command::Effective(a) => effective_cmd::run(a),
        Command::Expand(a) => expand_cmd::run(a),
        Command::Simulate(a) => simulate_cmd::run(a),
        Command::Suggest(a) => suggest_cmd::run(a),
        Command::Usage(a) => usage_cmd::run(a),
        Command::History(a) => history_cmd::run(a),
        Command::Diff(a) => history_cmd::diff(a),
        Command::Deployments(a) => history_cmd::deployments(a),
        Command::Trend(a) => history_cmd::trend(a),
        Command::Baseline(a) => baseline_cmd::run(a),
        Command::Export(a) => export_cmd::run(a),
        Command::ConfigQuery(a) => config_query_cmd::run(a),
        Command::Lambda => lambda_cmd::lambda(),
        Command::Handle(a) => lambda_cmd::handle(a),
        Command::Rules(a) => rules_cmd::rules(a),
        Command::Explain(a) => rules_cmd::explain(a),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "rolecall", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            match clap_mangen::Man::new(cmd).render(&mut out).and_then(|()| {
                use std::io::Write as _;
                std::io::stdout().write_all(&out)
            }) {
                Ok(()) => Ok(ExitCode::SUCCESS),
                Err(e) => Err(anyhow::Error::from(e)),
            }
        }
    };
    match result {
        Ok(code) => code,
        Err(e) if closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            if verbose() {
                for c in e.chain().skip(1) {
                    eprintln!("  caused by: {c}");
                }
                if let Some(ce) = e.downcast_ref::<rolecall_collect::CollectError>() {
                    eprintln!("  detail:\n{}", ce.detail());
                }
            }
            ExitCode::from(2)
        }
    }
}
