//! `rolecall lambda` against a local implementation of the Lambda Runtime API on loopback (the
//! HTTP interface AWS documents for custom runtimes: `GET /2018-06-01/runtime/invocation/next`,
//! `POST .../invocation/{id}/response` and `.../{id}/error`), fed recorded events from
//! crates/lambda/tests/events. Dry run: the handler reads nothing it does not need and writes
//! nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

fn event(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../lambda/tests/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// What the function sent back for one invocation.
#[derive(Debug)]
struct Reply {
    request_id: String,
    kind: String,
    body: String,
}

/// One HTTP/1.1 request: method, path, body (Content-Length or chunked).
fn read_request(r: &mut BufReader<TcpStream>) -> Option<(String, String, Vec<u8>)> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0u8; n + 2];
            r.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        body.resize(length, 0);
        r.read_exact(&mut body).ok()?;
    }
    Some((method, path, body))
}

fn serve(
    stream: TcpStream,
    queue: Arc<Mutex<VecDeque<(String, String)>>>,
    replies: mpsc::Sender<Reply>,
) {
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    while let Some((method, path, body)) = read_request(&mut r) {
        if method == "GET" && path == "/2018-06-01/runtime/invocation/next" {
            // The next event; with none left, hold the request as Lambda does between events.
            let next = loop {
                if let Some(n) = queue.lock().unwrap().pop_front() {
                    break n;
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            let (id, payload) = next;
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 300_000;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:rolecall\r\nLambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1\r\nContent-Length: {}\r\n\r\n",
                payload.len()
            );
            if w.write_all(head.as_bytes()).is_err() || w.write_all(payload.as_bytes()).is_err() {
                return;
            }
        } else if let Some(rest) = path.strip_prefix("/2018-06-01/runtime/invocation/") {
            let (id, kind) = rest.split_once('/').unwrap_or((rest, ""));
            let _ = replies.send(Reply {
                request_id: id.to_string(),
                kind: kind.to_string(),
                body: String::from_utf8_lossy(&body).to_string(),
            });
            let _ = w.write_all(
                b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n",
            );
        } else {
            let _ = replies.send(Reply {
                request_id: String::new(),
                kind: format!("{method} {path}"),
                body: String::from_utf8_lossy(&body).to_string(),
            });
            let _ = w.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
    }
}

#[test]
fn the_runtime_loop_answers_each_invocation_and_reports_bad_events_as_errors() {
    runtime_loop(&["lambda"]);
}

/// Deployed by cargo lambda as the custom runtime's `bootstrap`, Lambda starts the binary with
/// no arguments: that is the same loop.
#[test]
fn as_bootstrap_with_no_arguments_the_binary_is_the_runtime_loop() {
    runtime_loop(&[]);
}

fn runtime_loop(args: &[&str]) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let queue = Arc::new(Mutex::new(VecDeque::from(vec![
        ("req-1".to_string(), event("config-role-change.json")),
        ("req-2".to_string(), r#"{"hello": "world"}"#.to_string()),
        (
            "req-3".to_string(),
            event("cloudtrail-iam-put-role-policy-denied.json"),
        ),
    ])));
    let (tx, rx) = mpsc::channel();
    {
        let queue = queue.clone();
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                let (q, t) = (queue.clone(), tx.clone());
                std::thread::spawn(move || serve(s, q, t));
            }
        });
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(args)
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "rolecall")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/rolecall")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/01/[$LATEST]abc")
        .env("AWS_REGION", "us-east-1")
        .env("ROLECALL_DRY_RUN", "1")
        .env("ROLECALL_ENDPOINT_URL", "http://127.0.0.1:9")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut replies = Vec::new();
    while replies.len() < 3 && started.elapsed() < Duration::from_secs(120) {
        if let Ok(r) = rx.recv_timeout(Duration::from_millis(200)) {
            replies.push(r);
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("rolecall lambda exited ({status}) after {replies:?}: {err}");
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(replies.len(), 3, "{replies:?}");
    let by_id = |id: &str| replies.iter().find(|r| r.request_id == id).unwrap();

    let ok = by_id("req-1");
    assert_eq!(ok.kind, "response", "{ok:?}");
    let out: Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(out["trigger"], "config-change");
    assert_eq!(out["evaluations"][0]["compliance"], "NON_COMPLIANT");
    assert_eq!(out["dry_run"], true);

    let bad = by_id("req-2");
    assert_eq!(bad.kind, "error", "{bad:?}");
    let err: Value = serde_json::from_str(&bad.body).unwrap();
    assert!(
        err["errorMessage"]
            .as_str()
            .unwrap()
            .contains("unrecognised event"),
        "{err}"
    );

    // The loop went on after the error.
    let denied = by_id("req-3");
    assert_eq!(denied.kind, "response", "{denied:?}");
    assert!(denied.body.contains("nothing changed"), "{}", denied.body);
}

#[test]
fn outside_lambda_the_runtime_command_says_how_to_try_the_handler() {
    let out = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .arg("lambda")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rolecall handle --event"), "{err}");
    // Half a Lambda environment: an error naming what is missing, not the runtime crate's panic.
    let out = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .arg("lambda")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .env_remove("AWS_LAMBDA_FUNCTION_NAME")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "lots")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("AWS_LAMBDA_FUNCTION_NAME") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn handle_prints_what_it_would_do_and_names_the_file_of_a_bad_event() {
    let dir = std::env::temp_dir().join(format!("rolecall-handle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = format!(
        "{}/../lambda/tests/events/config-role-clean.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(["handle", "--event", &good, "--dry-run"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["evaluations"][0]["compliance"], "COMPLIANT");
    assert_eq!(v["actions"][0]["status"], "would do");

    let bad = dir.join("bad-event.json");
    std::fs::write(&bad, r#"{"detail-type": "AWS API Call via CloudTrail"}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(["handle", "--event", bad.to_str().unwrap(), "--dry-run"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad-event.json") && err.contains("`detail`"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
