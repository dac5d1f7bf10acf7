//! `rolecall lint` on real public templates (`crates/iac/tests/real`, provenance and licences
//! in its PROVENANCE.md): every template loads or is skipped with a stated reason, every Lambda
//! function declared is found, and what is reported is snapshotted (reviewed by hand: each
//! finding in the snapshots is true of its template).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn real() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../iac/tests/real")
}

fn lint_json(dir: &Path) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .current_dir(dir)
        .args(["lint", ".", "--format", "json", "--today", "2026-11-30"])
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0) | Some(1) | Some(2)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The report as reviewable lines: findings, then errors and notes about skipped files.
fn digest(r: &Value) -> String {
    let mut out = Vec::new();
    for f in r["findings"].as_array().unwrap() {
        out.push(format!(
            "{}:{}:{} {} [{}] {}",
            f["location"]["file"].as_str().unwrap(),
            f["location"]["line"],
            f["location"]["col"],
            f["code"].as_str().unwrap(),
            f["severity"].as_str().unwrap(),
            f["title"].as_str().unwrap()
        ));
    }
    for d in r["diagnostics"].as_array().unwrap() {
        out.push(format!(
            "{}:{}:{} {}: {}",
            d["loc"]["file"].as_str().unwrap(),
            d["loc"]["line"],
            d["loc"]["col"],
            d["level"].as_str().unwrap(),
            d["message"].as_str().unwrap()
        ));
    }
    out.push(format!("summary: {}", r["summary"]));
    out.join("\n") + "\n"
}

/// Template files under `dir` as lint sees them (relative paths).
fn templates(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
            if name.ends_with(".tf")
                || (yaml && (text.contains("Resources") || text.contains("provider:")))
            {
                out.push(name);
            }
        }
    }
    out.sort();
    out
}

/// Functions a template declares, counted from its text.
fn declared_functions(dir: &Path, files: &[String]) -> usize {
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(dir.join(f)).unwrap();
            if f.ends_with(".tf") {
                text.matches("resource \"aws_lambda_function\"").count()
            } else if f.ends_with("serverless.yml") {
                usize::from(text.contains("name: aws"))
            } else {
                text.lines()
                    .filter_map(|l| l.trim().strip_prefix("Type:"))
                    .map(|t| t.trim().trim_matches(|c| c == '\'' || c == '"'))
                    .filter(|t| *t == "AWS::Serverless::Function" || *t == "AWS::Lambda::Function")
                    .count()
            }
        })
        .sum()
}

#[test]
fn serverless_patterns() {
    let dir = real().join("serverless-patterns");
    let r = lint_json(&dir);
    insta::assert_snapshot!("real_serverless_patterns", digest(&r));
    let files = templates(&dir);
    let read: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    // The two invalid templates, rejected where cfn-lint 1.58.0 rejects them; all else loads.
    let invalid = [
        ("apigw-custom-domain-edge/template.yaml", 35, 9),
        ("rds-sns-event-notification/template.yaml", 3, 97),
    ];
    for f in &files {
        if let Some((_, line, col)) = invalid.iter().find(|(n, _, _)| n == f) {
            assert!(
                r["diagnostics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["loc"]["file"] == *f
                        && d["level"] == "error"
                        && d["loc"]["line"] == *line
                        && d["loc"]["col"] == *col),
                "{f} is not rejected at {line}:{col}"
            );
        } else {
            assert!(read.contains(&f.as_str()), "{f} was not read");
        }
    }
    assert_eq!(r["summary"]["errors"], 2);
    // Every function declared is found (SAM and CloudFormation by type, Terraform by resource).
    let valid: Vec<String> = files
        .iter()
        .filter(|f| !invalid.iter().any(|(n, _, _)| n == *f))
        .cloned()
        .collect();
    assert_eq!(
        r["summary"]["functions"].as_u64().unwrap() as usize,
        declared_functions(&dir, &valid)
    );
}

#[test]
fn serverless_framework_examples() {
    let dir = real().join("serverless-examples");
    let r = lint_json(&dir);
    insta::assert_snapshot!("real_serverless_examples", digest(&r));
    let files = templates(&dir);
    let notes: Vec<&Value> = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "note")
        .collect();
    for f in &files {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        if text.contains("name: aws") {
            assert!(
                r["files"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["path"] == *f),
                "{f} was not read"
            );
        } else {
            assert!(
                notes.iter().any(|d| d["loc"]["file"] == *f
                    && d["message"]
                        .as_str()
                        .unwrap()
                        .contains("not an AWS template")),
                "{f} is neither read nor skipped with a reason"
            );
        }
    }
    assert_eq!(
        r["summary"]["functions"].as_u64().unwrap() as usize,
        declared_functions(&dir, &files)
    );
}

#[test]
fn terraform_aws_lambda_module_examples() {
    let complete = real().join("terraform-aws-lambda/examples/complete");
    let r = lint_json(&complete);
    insta::assert_snapshot!("real_terraform_aws_lambda_complete", digest(&r));
    // 16 module calls: 3 layers, 1 disabled, 1 remote, 1 for_each over three keys.
    assert_eq!(r["summary"]["functions"], 12);
    assert_eq!(r["summary"]["roles"], 12);
    assert_eq!(r["summary"]["errors"], 0);
    let findings = r["findings"].as_array().unwrap();
    // No finding about the module's own plumbing: nothing unparsed, nothing symbolic.
    for f in findings {
        let t = f["title"].as_str().unwrap();
        assert_ne!(f["code"], "LR902", "{t}");
        assert!(!t.contains("{{"), "{t}");
    }
    // What the example itself asks for: xray:* on *, an unknown account trusted.
    assert!(findings
        .iter()
        .any(|f| f["code"] == "LR102" && f["title"].as_str().unwrap().contains("xray:*")));
    assert!(findings.iter().any(|f| f["code"] == "LR402"));
    // The remote module it calls is named, not silently skipped.
    assert!(r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["message"].as_str().unwrap().contains(
            "module s3_bucket (terraform-aws-modules/s3-bucket/aws) is not available locally"
        )));
    // The module's files are named relative to the directory linted.
    assert!(r["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["path"] == "../../iam.tf"));

    let simple = lint_json(&real().join("terraform-aws-lambda/examples/simple"));
    insta::assert_snapshot!("real_terraform_aws_lambda_simple", digest(&simple));
    assert_eq!(simple["summary"]["functions"], 1);
    assert_eq!(simple["summary"]["errors"], 0);
}
