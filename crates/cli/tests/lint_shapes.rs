//! `rolecall lint` on the shapes real repositories use, one directory each under
//! `crates/iac/tests/shapes`, with what must hold in its `expect.json`:
//!
//! - `args`, `exit`: extra arguments and the exit code the text run must end with;
//! - `must` / `must_not`: findings by `code`, with `title` (a substring), `file` (a suffix),
//!   `line` and `col` when given;
//! - `output` / `stderr`: text the text run's standard output and error must contain;
//! - `roles`, `functions`, `files`: the summary's counts;
//! - `no_evidence`: text no finding's evidence line (`actions on resources`) may equal.
//!
//! Every shape is a bug a user met (see docs/lint.md): Terraform count/for_each/splats, dynamic
//! blocks and for expressions, file()/templatefile(), modules, *.tf.json, directories without
//! IAM, NotAction iam:*, ${aws:username}, SAM managed policy locations, Lambda permissions
//! without a source, self-referring mappings, other Serverless providers, duplicate keys.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shapes() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../iac/tests/shapes")
}

fn run(dir: &Path, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .current_dir(dir)
        .args(["lint", "."])
        .args(args)
        .args(["--today", "2026-11-30"])
        .env("COLUMNS", "400")
        .output()
        .unwrap()
}

fn matches(f: &Value, want: &Value) -> bool {
    let s = |k: &str| want.get(k).and_then(Value::as_str);
    let n = |k: &str| want.get(k).and_then(Value::as_u64);
    f["code"] == want["code"]
        && s("title").is_none_or(|t| f["title"].as_str().unwrap_or("").contains(t))
        && s("file").is_none_or(|x| f["location"]["file"].as_str().unwrap_or("").ends_with(x))
        && n("line").is_none_or(|x| f["location"]["line"].as_u64() == Some(x))
        && n("col").is_none_or(|x| f["location"]["col"].as_u64() == Some(x))
}

fn check(name: &str) -> Vec<String> {
    let dir = shapes().join(name);
    let expect: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expect.json")).unwrap()).unwrap();
    let args: Vec<String> = expect["args"]
        .as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    let mut problems = Vec::new();
    let text = run(&dir, &args);
    let (out, err) = (
        String::from_utf8_lossy(&text.stdout).into_owned(),
        String::from_utf8_lossy(&text.stderr).into_owned(),
    );
    if let Some(code) = expect["exit"].as_i64() {
        if text.status.code() != Some(code as i32) {
            problems.push(format!(
                "{name}: exit {:?}, expected {code}\n{out}{err}",
                text.status.code()
            ));
        }
    }
    for (key, stream) in [("output", &out), ("stderr", &err)] {
        for want in expect[key].as_array().into_iter().flatten() {
            let w = want.as_str().unwrap();
            if !stream.contains(w) {
                problems.push(format!("{name}: {key} lacks {w:?}:\n{stream}"));
            }
        }
    }
    // The same run as JSON, for the findings.
    let mut jargs: Vec<String> = args
        .iter()
        .filter(|a| *a != "-v")
        .cloned()
        .collect::<Vec<_>>();
    if let Some(i) = jargs.iter().position(|a| a == "--format") {
        jargs.drain(i..i + 2);
    }
    jargs.extend(["--format".to_string(), "json".to_string()]);
    let j = run(&dir, &jargs);
    let report: Value = match serde_json::from_slice(&j.stdout) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!(
                "{name}: JSON report does not parse ({e}): {}",
                String::from_utf8_lossy(&j.stderr)
            ));
            return problems;
        }
    };
    let findings = report["findings"].as_array().unwrap();
    let listing = || {
        findings
            .iter()
            .map(|f| {
                format!(
                    "  {}:{}:{} {} {}",
                    f["location"]["file"].as_str().unwrap_or(""),
                    f["location"]["line"],
                    f["location"]["col"],
                    f["code"].as_str().unwrap_or(""),
                    f["title"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    for want in expect["must"].as_array().into_iter().flatten() {
        if !findings.iter().any(|f| matches(f, want)) {
            problems.push(format!("{name}: no finding {want}; found:\n{}", listing()));
        }
    }
    for not in expect["must_not"].as_array().into_iter().flatten() {
        if let Some(f) = findings.iter().find(|f| matches(f, not)) {
            problems.push(format!(
                "{name}: unexpected finding {} {}",
                f["code"], f["title"]
            ));
        }
    }
    for key in ["roles", "functions", "files"] {
        if let Some(n) = expect[key].as_u64() {
            if report["summary"][key].as_u64() != Some(n) {
                problems.push(format!(
                    "{name}: summary {key} {}, expected {n}",
                    report["summary"][key]
                ));
            }
        }
    }
    for bad in expect["no_evidence"].as_array().into_iter().flatten() {
        let bad = bad.as_str().unwrap();
        for f in findings {
            for e in f["evidence"].as_array().into_iter().flatten() {
                let line = format!(
                    "{} on {}",
                    e["actions"]
                        .as_array()
                        .map(|a| a
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", "))
                        .unwrap_or_default(),
                    e["resources"]
                        .as_array()
                        .map(|a| a
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", "))
                        .unwrap_or_default()
                );
                if line == bad {
                    problems.push(format!(
                        "{name}: {} evidence says {bad:?}, which no statement says",
                        f["code"]
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn every_shape_holds() {
    let mut names: Vec<String> = std::fs::read_dir(shapes())
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("expect.json").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 18, "shapes missing: {names:?}");
    let problems: Vec<String> = names.iter().flat_map(|n| check(n)).collect();
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rolecall-shapes-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const ADMIN_TEMPLATE: &str = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: outside-role\n      AssumeRolePolicyDocument:\n        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]\n      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]\n";

/// Symbolic links out of the directory given are not followed (a link to a home directory or
/// `/etc` is not read); a loop is reported once; a broken link is a note.
#[cfg(unix)]
#[test]
fn symbolic_links_stay_inside_the_directories_given() {
    let d = scratch("links");
    let (repo, outside) = (d.join("repo"), d.join("outside"));
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("stack.yaml"), ADMIN_TEMPLATE).unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(outside.join("stack.yaml"), repo.join("one.yaml")).unwrap();
    std::os::unix::fs::symlink("..", repo.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("/nonexistent-target", repo.join("broken.yaml")).unwrap();
    std::fs::write(
        repo.join("inside.yaml"),
        ADMIN_TEMPLATE.replace("outside-role", "inside-role"),
    )
    .unwrap();
    std::os::unix::fs::symlink(repo.join("inside.yaml"), repo.join("sub/again.yaml")).unwrap();
    let o = run(&repo, &["-v".to_string()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("inside-role has administrator access"),
        "{out}"
    );
    assert!(!out.contains("outside-role"), "followed a link out: {out}");
    assert!(
        out.contains("elsewhere:1:1: warning: symbolic link to"),
        "{out}"
    );
    assert!(
        out.contains("one.yaml:1:1: warning: symbolic link to"),
        "{out}"
    );
    assert_eq!(out.matches("symbolic link loop").count(), 1, "{out}");
    assert!(out.contains("broken.yaml:1:1: note:"), "{out}");
    // A link inside the tree is followed (the same role, read twice, is one role).
    assert_eq!(o.status.code(), Some(0), "{out}");
    // Given explicitly, the outside directory is read.
    let o = run(&repo, &[outside.display().to_string()]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("outside-role"));
    let _ = std::fs::remove_dir_all(&d);
}

/// A template over `--max-file-mb` is skipped with a warning that names the flag; the rest of
/// the directory is linted.
#[test]
fn templates_over_the_size_bound_are_skipped_with_a_warning() {
    let d = scratch("size");
    std::fs::write(d.join("small.yaml"), ADMIN_TEMPLATE).unwrap();
    let big = format!(
        "{ADMIN_TEMPLATE}      Description: '{}'\n",
        "x".repeat(1_200_000)
    )
    .replace("outside-role", "big-role");
    std::fs::write(d.join("big.yaml"), big).unwrap();
    let o = run(&d, &["--max-file-mb".into(), "1".into()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("big.yaml:1:1: warning:"), "{out}");
    assert!(out.contains("--max-file-mb"), "{out}");
    assert!(
        out.contains("outside-role has administrator access"),
        "{out}"
    );
    assert!(!out.contains("big-role"), "{out}");
    let o = run(&d, &[]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("big-role"));
    let _ = std::fs::remove_dir_all(&d);
}
