//! The hostile-input corpus (`scripts/gen-hostile`): every case runs under a time limit and a
//! memory ceiling, must end with an allowed exit code, never panic, and print (or not print)
//! what the case says.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn python() -> Option<String> {
    match std::env::var("ROLECALL_PYTHON") {
        Ok(p) => Some(p),
        Err(_) if std::env::var_os("ROLECALL_SKIP_EXTERNAL_TESTS").is_some() => None,
        Err(_) => Some("python3".into()),
    }
}

#[test]
fn hostile_inputs_end_cleanly() {
    let Some(py) = python() else { return };
    let dir: PathBuf =
        std::env::temp_dir().join(format!("rolecall-hostile-{}", std::process::id()));
    let gen = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/gen-hostile");
    let o = Command::new(&py).arg(&gen).arg(&dir).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 25, "{} cases", cases.len());
    let bin = env!("CARGO_BIN_EXE_rolecall");
    let mut problems = Vec::new();
    for c in &cases {
        let name = c["name"].as_str().unwrap();
        let args: Vec<&str> = c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        // A memory ceiling (virtual memory, 3 GiB) through the shell's ulimit.
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg("ulimit -v 3145728 2>/dev/null; exec \"$0\" \"$@\"")
            .arg(bin)
            .args(&args)
            .current_dir(&dir)
            .env("COLUMNS", "200")
            .env_remove("ROLECALL_MAX_FILE_MB")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in c["env"].as_object().unwrap() {
            cmd.env(k, v.as_str().unwrap());
        }
        let mut child = cmd.spawn().unwrap();
        let start = Instant::now();
        let limit = Duration::from_secs(60);
        let out = loop {
            if child.try_wait().unwrap().is_some() {
                break child.wait_with_output().unwrap();
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                problems.push(format!("{name}: did not finish within {limit:?}"));
                break std::process::Output {
                    status: std::process::ExitStatus::default(),
                    stdout: Vec::new(),
                    stderr: Vec::new(),
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let all = format!("{stdout}{stderr}");
        let code = out.status.code();
        let allowed: Vec<i64> = c["exit"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_i64().unwrap())
            .collect();
        if !code.is_some_and(|x| allowed.contains(&i64::from(x))) {
            problems.push(format!(
                "{name}: exit {code:?} (allowed {allowed:?}): {}",
                stderr.lines().take(3).collect::<Vec<_>>().join(" | ")
            ));
        }
        if all.contains("panicked") || all.contains("RUST_BACKTRACE") {
            problems.push(format!("{name}: panicked: {stderr}"));
        }
        for m in c["must"].as_array().unwrap() {
            let m = m.as_str().unwrap();
            if !all.contains(m) {
                problems.push(format!(
                    "{name}: output lacks {m:?}: {}",
                    all.chars().take(300).collect::<String>()
                ));
            }
        }
        for m in c["must_not"].as_array().unwrap() {
            let m = m.as_str().unwrap();
            if all.contains(m) {
                problems.push(format!("{name}: output contains {m:?}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
