//! `rolecall.toml`: thresholds, naming pattern, required tags, known accounts, severity
//! overrides, disabled rules and suppressions. Every field is optional; unknown keys are errors
//! (a misspelt setting must not silently do nothing). Errors name the file and line.

use crate::finding::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: line {line}: {message}")]
    Invalid {
        file: PathBuf,
        line: usize,
        message: String,
    },
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Report breadth findings (LR103, LR205, LR901) on AWS's own baseline execution-role
    /// policies, SAM policy templates and CDK's internal roles too (default: no, they are noise).
    pub report_aws_baseline: bool,
    pub thresholds: Thresholds,
    pub naming: Naming,
    pub tags: Tags,
    pub accounts: Accounts,
    pub rules: Rules,
    pub history: History,
    /// Where each owning team (the owner tag's value) is told about its roles: the scheduled
    /// report by email, event-driven alerts by SNS or Slack (`rolecall lambda`).
    pub teams: BTreeMap<String, Team>,
    pub suppressions: Vec<Suppression>,
    /// Approved policy templates (`--golden DIR`) for LR701; not read from the file.
    #[serde(skip)]
    pub golden: Vec<crate::golden::Golden>,
    /// The approved baseline (`--baseline FILE`) for LR801-LR803; not read from the file.
    #[serde(skip)]
    pub baseline: Option<std::sync::Arc<crate::drift::Baseline>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// A role last used longer ago than this is dormant (LR303).
    pub dormant_days: i64,
    /// Functions sharing one role before LR301 rises to medium.
    pub shared_role_functions: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            dormant_days: 90,
            shared_role_functions: 3,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Naming {
    /// Role name pattern (LR306); `{service}` and `{function}` stand for lowercase words joined by `-`.
    pub role_pattern: String,
    /// Whether the file set `role_pattern` (LR306 is info with the default one).
    #[serde(skip)]
    pub configured: bool,
}

impl Default for Naming {
    fn default() -> Self {
        Naming {
            role_pattern: "lambda-{service}-{function}-role".into(),
            configured: false,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tags {
    /// Tags every function (or its role) must carry (LR307).
    pub required: Vec<String>,
    /// The tag that names the owning team (routing, shared-role severity).
    pub owner: String,
    /// The tag that states data sensitivity (risk score).
    pub sensitivity: String,
    /// The tag that names the owning team lead's email address, for teams `[teams]` gives none
    /// (the scheduled report inside AWS).
    pub owner_email: String,
}

impl Default for Tags {
    fn default() -> Self {
        Tags {
            required: vec![
                "team".into(),
                "environment".into(),
                "data-sensitivity".into(),
            ],
            owner: "team".into(),
            sensitivity: "data-sensitivity".into(),
            owner_email: "team-email".into(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct History {
    /// The SQLite history `scan` records into when `--history` is not given.
    pub path: Option<std::path::PathBuf>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Team {
    /// The team lead's address for the scheduled report (Amazon SES).
    pub email: Option<String>,
    /// An SNS topic for alerts about the team's roles.
    pub sns_topic: Option<String>,
    /// A Slack incoming webhook for alerts about the team's roles.
    pub slack_webhook: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Accounts {
    /// Accounts trusted besides those in the inventory (LR402, LR503).
    pub known: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// Codes (LR306) or names (role-naming) of rules that do not run.
    pub disabled: Vec<String>,
    /// Severity overrides: `LR304 = "info"`.
    pub severity: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// Rule code or name.
    pub rule: String,
    /// Glob (`*`, `?`) over the finding's resource ARN.
    pub resource: String,
    /// Why: required.
    pub reason: String,
    /// `YYYY-MM-DD`: the suppression stops applying after this day, and says so.
    #[serde(default)]
    pub expires: Option<String>,
}

impl Config {
    /// `--config FILE`, else the nearest `rolecall.toml` in the current directory or a parent
    /// (stopping at the repository root, the directory holding `.git`), else defaults.
    pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match std::env::current_dir()
                .ok()
                .and_then(|d| Self::discover(&d))
            {
                Some(p) => p,
                None => return Ok((Config::default(), None)),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            file: path.clone(),
            source,
        })?;
        Ok((Self::parse(&path, &text)?, Some(path)))
    }

    /// The nearest `rolecall.toml` from `dir` upwards, not beyond the repository root.
    pub fn discover(dir: &Path) -> Option<PathBuf> {
        let mut d = Some(dir);
        while let Some(here) = d {
            let candidate = here.join("rolecall.toml");
            if candidate.is_file() {
                return Some(candidate);
            }
            if here.join(".git").exists() {
                return None;
            }
            d = here.parent();
        }
        None
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let invalid = |offset: Option<usize>, message: String| ConfigError::Invalid {
            file: path.into(),
            line: offset
                .and_then(|o| text.get(..o))
                .map(|t| t.matches('\n').count() + 1)
                .unwrap_or(1),
            message,
        };
        let cfg: Config = toml::from_str(text)
            .map_err(|e| invalid(e.span().map(|s| s.start), e.message().to_string()))?;
        let mut cfg = cfg;
        cfg.naming.configured = text
            .lines()
            .any(|l| l.trim_start().starts_with("role_pattern"));
        // Semantic checks, with the line of the offending text.
        let line_of = |needle: &str| text.find(needle);
        let known_rule = |r: &str| crate::rules::find_rule(r).is_some();
        for r in &cfg.rules.disabled {
            if !known_rule(r) {
                return Err(invalid(line_of(r), format!("rules.disabled: {r:?} is not a rule code or name (`rolecall rules` lists them)")));
            }
        }
        for code in cfg.rules.severity.keys() {
            if !known_rule(code) {
                return Err(invalid(line_of(code), format!("rules.severity: {code:?} is not a rule code or name (`rolecall rules` lists them)")));
            }
        }
        for s in &cfg.suppressions {
            if !known_rule(&s.rule) {
                return Err(invalid(line_of(&s.rule), format!("suppression on {}: {:?} is not a rule code or name (`rolecall rules` lists them)", s.resource, s.rule)));
            }
        }
        if !(1..=36_500).contains(&cfg.thresholds.dormant_days) {
            return Err(invalid(
                line_of("dormant_days"),
                format!(
                    "thresholds.dormant_days = {}: expected 1 to 36500 days",
                    cfg.thresholds.dormant_days
                ),
            ));
        }
        if !(2..=1_000_000).contains(&cfg.thresholds.shared_role_functions) {
            return Err(invalid(line_of("shared_role_functions"), format!("thresholds.shared_role_functions = {}: expected 2 or more (and at most 1000000)", cfg.thresholds.shared_role_functions)));
        }
        for a in &cfg.accounts.known {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(
                    line_of(a),
                    format!("accounts.known: {a:?} is not a 12-digit account id"),
                ));
            }
        }
        for (code, sev) in &cfg.rules.severity {
            if Severity::parse(sev).is_none() {
                return Err(invalid(line_of(code), format!("rules.severity.{code}: {sev:?} is not one of critical, high, medium, low, info")));
            }
        }
        for s in &cfg.suppressions {
            if s.reason.trim().is_empty() {
                return Err(invalid(
                    line_of(&s.resource),
                    format!(
                        "suppression of {} on {}: a reason is required",
                        s.rule, s.resource
                    ),
                ));
            }
            if let Some(e) = &s.expires {
                if chrono::NaiveDate::parse_from_str(e, "%Y-%m-%d").is_err() {
                    return Err(invalid(
                        line_of(e),
                        format!(
                            "suppression of {} on {}: expires {e:?} is not YYYY-MM-DD",
                            s.rule, s.resource
                        ),
                    ));
                }
            }
        }
        if !cfg.naming.role_pattern.contains('{') && cfg.naming.role_pattern.trim().is_empty() {
            return Err(invalid(
                line_of("role_pattern"),
                "naming.role_pattern is empty".into(),
            ));
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let c = Config::parse(
            Path::new("rolecall.toml"),
            r#"
[thresholds]
dormant_days = 30

[rules]
disabled = ["LR306"]
severity = { LR304 = "info" }

[[suppressions]]
rule = "LR303"
resource = "arn:aws:iam::*:role/legacy-*"
reason = "decommissioned in Q1"
expires = "2027-01-31"
"#,
        )
        .unwrap();
        assert_eq!(c.thresholds.dormant_days, 30);
        assert_eq!(c.thresholds.shared_role_functions, 3);
        assert_eq!(c.tags.required.len(), 3);
        assert_eq!(c.suppressions.len(), 1);
    }

    #[test]
    fn errors_name_the_line() {
        let e = Config::parse(
            Path::new("rolecall.toml"),
            "[thresholds]\ndormant_days = 30\ndormant_dayz = 1\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("rolecall.toml: line 3:"), "{e}");
        let e = Config::parse(
            Path::new("r.toml"),
            "\n\n[[suppressions]]\nrule = \"LR303\"\nresource = \"x\"\nreason = \"  \"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("line 5") && e.contains("reason is required"),
            "{e}"
        );
        let e = Config::parse(
            Path::new("r.toml"),
            "[rules.severity]\nLR304 = \"severe\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 2") && e.contains("severe"), "{e}");
        let e = Config::parse(Path::new("r.toml"), "[[suppressions]]\nrule = \"LR303\"\nresource = \"x\"\nreason = \"r\"\nexpires = \"next week\"\n").unwrap_err().to_string();
        assert!(e.contains("line 5") && e.contains("YYYY-MM-DD"), "{e}");
        let e = Config::parse(Path::new("r.toml"), "thresholds = 3")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1"), "{e}");
        // A misspelt rule code is an error, wherever it is: it must not silently do nothing.
        for text in [
            "[rules]\ndisabled = [\"LR3O6\"]\n",
            "[rules.severity]\nLR3O4 = \"info\"\n",
            "[[suppressions]]\nrule = \"LR9999\"\nresource = \"*\"\nreason = \"r\"\n",
        ] {
            let e = Config::parse(Path::new("r.toml"), text)
                .unwrap_err()
                .to_string();
            assert!(e.contains("is not a rule code or name"), "{e}");
        }
        assert!(Config::parse(
            Path::new("r.toml"),
            "[rules]\ndisabled = [\"role-naming\"]\n"
        )
        .is_ok());
        let e = Config::parse(Path::new("r.toml"), "[thresholds]\ndormant_days = -5\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("dormant_days"), "{e}");
        let e = Config::parse(Path::new("r.toml"), "[accounts]\nknown = [\"12345\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("12-digit"), "{e}");
    }

    #[test]
    fn discovery_stops_at_the_repository_root() {
        let base = std::env::temp_dir().join(format!("rolecall-cfg-{}", std::process::id()));
        let repo = base.join("repo");
        let deep = repo.join("infra/stacks");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        assert_eq!(Config::discover(&deep), None);
        std::fs::write(base.join("rolecall.toml"), "").unwrap();
        assert_eq!(
            Config::discover(&deep),
            None,
            "not beyond the repository root"
        );
        std::fs::write(repo.join("rolecall.toml"), "").unwrap();
        assert_eq!(Config::discover(&deep), Some(repo.join("rolecall.toml")));
        std::fs::write(deep.join("rolecall.toml"), "").unwrap();
        assert_eq!(Config::discover(&deep), Some(deep.join("rolecall.toml")));
        let _ = std::fs::remove_dir_all(&base);
    }
}
