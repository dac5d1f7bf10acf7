//! `rolecall`: audit AWS Lambda execution roles.
//!
//! Exit codes: 0 success, 1 findings at or above `--fail-on` (scan), 2 error.

mod collect_cmd;
mod effective_cmd;
mod expand_cmd;
mod input;
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

#[derive(Parser)]
#[command(
    name = "rolecall",
    version,
    about = "Audit AWS Lambda execution roles: what each function's role can really do, and what to fix first."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// List every rule.
    Rules(rules_cmd::RulesArgs),
    /// Print a rule's documentation: what it does, why it matters, an example, the fix.
    Explain(rules_cmd::ExplainArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(a) => scan_cmd::run(a),
        Command::Lint(a) => lint_cmd::run(a),
        Command::Collect(a) => collect_cmd::run(a),
        Command::Effective(a) => effective_cmd::run(a),
        Command::Expand(a) => expand_cmd::run(a),
        Command::Simulate(a) => simulate_cmd::run(a),
        Command::Suggest(a) => suggest_cmd::run(a),
        Command::Usage(a) => usage_cmd::run(a),
        Command::Rules(a) => rules_cmd::rules(a),
        Command::Explain(a) => rules_cmd::explain(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
