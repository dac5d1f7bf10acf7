//! deploy/: rolecall's own templates pass its own lint at `--fail-on medium` and cfn-lint (the
//! version scripts/test pins), the member accounts' audit role carries exactly the collector's
//! read-only policy and trusts only the central function's role within the Organization, and every
//! event the function subscribes to is one the handler understands.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn rolecalls_own_templates_pass_its_lint_at_medium() {
    let out = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(["lint", "deploy/", "--fail-on", "medium"])
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The templates were read: five roles (the function's, the state machine's, the
    // scheduler's, the audit role, the forwarder) and the function.
    assert!(text.contains("5 role(s), 1 function(s)"), "{text}");
}

#[test]
fn the_templates_pass_cfn_lint() {
    let python = match std::env::var("ROLECALL_PYTHON") {
        Ok(p) => PathBuf::from(p),
        Err(_) if std::env::var_os("ROLECALL_SKIP_AWS_TESTS").is_some() => return,
        Err(_) => panic!("ROLECALL_PYTHON is not set: run the suite with scripts/test"),
    };
    let cfn_lint = python.parent().unwrap().join("cfn-lint");
    let out = Command::new(&cfn_lint)
        .args([
            "deploy/template.yaml",
            "deploy/member-role.yaml",
            "deploy/stackset.yaml",
        ])
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", cfn_lint.display()));
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The statements, with a single `Action` or `Resource` written as a list (the template loader
/// writes lists; IAM reads both the same).
fn statements(doc: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(doc).unwrap();
    let list = match &v["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    list.into_iter()
        .map(|mut s| {
            for k in ["Action", "Resource"] {
                if let Some(x @ Value::String(_)) = s.get(k).cloned() {
                    s[k] = Value::Array(vec![x]);
                }
            }
            s
        })
        .collect()
}

#[test]
fn the_audit_role_is_the_read_only_policy_and_trusts_only_the_central_function() {
    let lint = rolecall_iac::load(&[root().join("deploy/member-role.yaml")]);
    let role = lint
        .inventory
        .roles
        .iter()
        .find(|r| r.name == "rolecall-audit")
        .unwrap_or_else(|| panic!("{:?}", lint.inventory.roles));
    let read_only = std::fs::read_to_string(root().join("docs/read-only-policy.json")).unwrap();
    let want: Vec<Value> = statements(&read_only)
        .into_iter()
        .filter(|s| s["Sid"] != "ReachMemberAccounts")
        .collect();
    assert_eq!(role.inline_policies.len(), 1);
    let got = statements(role.inline_policies[0].document.text());
    assert_eq!(
        got, want,
        "member-role.yaml's policy drifted from docs/read-only-policy.json"
    );
    assert!(role.managed_policy_arns.is_empty());
    let trust = statements(role.trust_policy.text());
    assert_eq!(trust.len(), 1);
    assert_eq!(trust[0]["Action"], serde_json::json!(["sts:AssumeRole"]));
    assert!(
        trust[0]["Condition"]["StringEquals"]
            .get("aws:PrincipalOrgID")
            .is_some(),
        "{trust:?}"
    );
    // The principal is the central function role parameter, nothing else.
    let principal = trust[0]["Principal"].to_string();
    assert!(principal.contains("CentralFunctionRoleArn"), "{principal}");
    assert!(!principal.contains('*'), "{principal}");

    // The central function reads its own account with the same statements.
    let central = rolecall_iac::load(&[root().join("deploy/template.yaml")]);
    let f = central
        .inventory
        .roles
        .iter()
        .find(|r| r.name.contains("FunctionRole"))
        .unwrap();
    let reads = f
        .inline_policies
        .iter()
        .find(|p| p.name == "read-this-account")
        .unwrap();
    assert_eq!(statements(reads.document.text()), want);
}

#[test]
fn every_event_the_function_subscribes_to_is_one_the_handler_reads() {
    let template = std::fs::read_to_string(root().join("deploy/template.yaml")).unwrap();
    // The IAM event names in the rule are exactly the handler's.
    let line = template
        .lines()
        .find(|l| l.contains("eventName: [CreateRole"))
        .unwrap();
    let names: Vec<&str> = line
        .split('[')
        .nth(1)
        .unwrap()
        .trim_end_matches(']')
        .split(',')
        .map(str::trim)
        .collect();
    assert_eq!(names, rolecall_lambda::events::IAM_EVENTS);
    // Lambda prefixes: each one the handler accepts.
    for l in template.lines().filter(|l| l.contains("- prefix: ")) {
        let p = l.trim().trim_start_matches("- prefix: ");
        assert!(
            rolecall_lambda::events::LAMBDA_EVENT_PREFIXES.contains(&p),
            "{p}"
        );
    }
    // Every task the state machine sends is one the handler reads (paths filled in as Step
    // Functions would).
    let mut tasks = Vec::new();
    payloads(&state_machine(&template_json()), &mut tasks);
    assert_eq!(tasks.len(), 4, "{tasks:?}");
    for mut t in tasks {
        let r = t["rolecall"].as_object_mut().unwrap();
        for (k, fill) in [
            ("account.$", ("account", "123456789012")),
            ("run.$", ("run", "20261201t060000z")),
        ] {
            if r.remove(k).is_some() {
                r.insert(fill.0.into(), Value::String(fill.1.into()));
            }
        }
        rolecall_lambda::events::parse(&t).unwrap_or_else(|e| panic!("{t}: {e}"));
    }
}

fn template_json() -> Value {
    let text = std::fs::read_to_string(root().join("deploy/template.yaml")).unwrap();
    rolecall_iac::yaml::parse(&text).unwrap().to_json()
}

fn state_machine(t: &Value) -> Value {
    t["Resources"]["OrgScan"]["Properties"]["Definition"].clone()
}

fn payloads(states_language: &Value, out: &mut Vec<Value>) {
    for (_, st) in states_language["States"].as_object().unwrap() {
        if let Some(p) = st["Parameters"].get("Payload") {
            out.push(p.clone());
        }
        if let Some(sel) = st.get("ItemSelector") {
            out.push(sel.clone());
        }
        if let Some(inner) = st.get("ItemProcessor") {
            payloads(inner, out);
        }
    }
}

/// The Amazon States Language rules this definition relies on (https://states-language.net/spec.html
/// and the Step Functions Distributed Map reference): known state types, a Task's Resource,
/// exactly one of Next/End outside Choice/Succeed/Fail, transitions to states that exist, every
/// state reachable, and a Map's processor configuration (INLINE or DISTRIBUTED; STANDARD or
/// EXPRESS), concurrency and failure tolerance in range. cfn-lint checks the state types only.
fn asl_errors(machine: &Value, at: &str, errors: &mut Vec<String>) {
    let states = match machine["States"].as_object() {
        Some(s) if !s.is_empty() => s,
        _ => {
            errors.push(format!("{at}: no States"));
            return;
        }
    };
    let start = machine["StartAt"].as_str().unwrap_or("");
    if !states.contains_key(start) {
        errors.push(format!("{at}: StartAt `{start}` is not a state"));
    }
    let mut edges: Vec<(String, String)> = Vec::new();
    for (name, st) in states {
        let here = format!("{at}/{name}");
        let ty = st["Type"].as_str().unwrap_or("");
        if ![
            "Pass", "Task", "Wait", "Choice", "Succeed", "Fail", "Parallel", "Map",
        ]
        .contains(&ty)
        {
            errors.push(format!("{here}: Type `{ty}`"));
        }
        let terminal = matches!(ty, "Choice" | "Succeed" | "Fail");
        let next = st.get("Next").and_then(Value::as_str);
        let end = st.get("End").and_then(Value::as_bool) == Some(true);
        if !terminal && (next.is_some() == end) {
            errors.push(format!("{here}: needs exactly one of Next and End"));
        }
        if let Some(n) = next {
            edges.push((name.clone(), n.to_string()));
        }
        if ty == "Task" && st["Resource"].as_str().is_none_or(str::is_empty) {
            errors.push(format!("{here}: a Task needs a Resource"));
        }
        if ty == "Choice" {
            let choices = st["Choices"].as_array().cloned().unwrap_or_default();
            if choices.is_empty() {
                errors.push(format!("{here}: no Choices"));
            }
            for c in &choices {
                match c["Next"].as_str() {
                    Some(n) => edges.push((name.clone(), n.to_string())),
                    None => errors.push(format!("{here}: a choice without Next")),
                }
            }
            if let Some(d) = st["Default"].as_str() {
                edges.push((name.clone(), d.to_string()));
            }
        }
        if ty == "Map" {
            let p = &st["ItemProcessor"];
            let mode = p["ProcessorConfig"]["Mode"].as_str().unwrap_or("INLINE");
            if !["INLINE", "DISTRIBUTED"].contains(&mode) {
                errors.push(format!("{here}: ProcessorConfig.Mode `{mode}`"));
            }
            if mode == "DISTRIBUTED" {
                let et = p["ProcessorConfig"]["ExecutionType"].as_str().unwrap_or("");
                if !["STANDARD", "EXPRESS"].contains(&et) {
                    errors.push(format!("{here}: ExecutionType `{et}`"));
                }
            }
            if let Some(t) = st.get("ToleratedFailurePercentage") {
                if !t.as_f64().is_some_and(|x| (0.0..=100.0).contains(&x)) {
                    errors.push(format!("{here}: ToleratedFailurePercentage {t}"));
                }
            }
            if let Some(m) = st.get("MaxConcurrency") {
                if m.as_u64().is_none_or(|x| x > 10_000) {
                    errors.push(format!("{here}: MaxConcurrency {m}"));
                }
            }
            asl_errors(p, &here, errors);
        }
    }
    for (from, to) in &edges {
        if !states.contains_key(to) {
            errors.push(format!("{at}/{from}: Next `{to}` is not a state"));
        }
    }
    let mut seen = std::collections::BTreeSet::from([start.to_string()]);
    let mut todo = vec![start.to_string()];
    while let Some(s) = todo.pop() {
        for (from, to) in &edges {
            if *from == s && seen.insert(to.clone()) {
                todo.push(to.clone());
            }
        }
    }
    for name in states.keys() {
        if !seen.contains(name) {
            errors.push(format!("{at}/{name}: unreachable"));
        }
    }
}

#[test]
fn the_scan_state_machine_is_valid_states_language_with_a_distributed_map() {
    let machine = state_machine(&template_json());
    let mut errors = Vec::new();
    asl_errors(&machine, "OrgScan", &mut errors);
    assert!(errors.is_empty(), "{errors:#?}");
    let map = &machine["States"]["CollectAccounts"];
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"]["Mode"],
        "DISTRIBUTED"
    );
    assert!(
        map["MaxConcurrency"].as_u64().unwrap() > 0,
        "bounded concurrency"
    );
    assert!(map["ToleratedFailurePercentage"].as_f64().unwrap() > 0.0);
    // The validator catches what it checks.
    for (path, bad) in [
        (
            "/States/CollectAccounts/ItemProcessor/ProcessorConfig/Mode",
            Value::from("EVERYWHERE"),
        ),
        ("/States/Size/Default", Value::from("Nowhere")),
        (
            "/States/CollectAccounts/ToleratedFailurePercentage",
            Value::from(150),
        ),
        ("/States/ScanInOneTask/End", Value::from(false)),
    ] {
        let mut m = machine.clone();
        *m.pointer_mut(path).unwrap() = bad;
        let mut errors = Vec::new();
        asl_errors(&m, "OrgScan", &mut errors);
        assert!(!errors.is_empty(), "{path} went unnoticed");
    }
}
