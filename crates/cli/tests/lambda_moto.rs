//! The event handlers against moto server (started by scripts/test), through `rolecall handle`
//! and the real AWS SDK: a CloudTrail `PutRolePolicy` event re-reads only that role and its
//! functions, imports the findings into Security Hub, alerts through SNS naming the event and the
//! caller; after the fix the same event resolves the finding and alerts no one. Config rule
//! invocations (oversized item, function item, scheduled) read what they need and send
//! `PutEvaluations` in moto's test mode (`TESTMODE` token; outside it moto has no PutEvaluations,
//! see crates/publish/tests/config_and_enrichment.rs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::process::{Command, Output};

fn env_or_fail(key: &str) -> Option<String> {
    match std::env::var(key) {
        Ok(v) => Some(v),
        Err(_) if std::env::var_os("ROLECALL_SKIP_AWS_TESTS").is_some() => None,
        Err(_) => panic!("{key} is not set: run the suite with scripts/test (it starts moto), or set ROLECALL_SKIP_AWS_TESTS=1 to skip the AWS tests"),
    }
}

fn helper(python: &str, endpoint: &str, mode: &str) -> Value {
    helper_with(python, endpoint, mode, &[])
}

fn helper_with(python: &str, endpoint: &str, mode: &str, extra: &[&str]) -> Value {
    let out = Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lambda_moto.py"))
        .args([endpoint, mode])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lambda_moto.py {mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn handle(endpoint: &str, topic: &str, event: &str, extra: &[(&str, &str)]) -> (Output, Value) {
    let path = if event.starts_with('/') {
        event.to_string()
    } else {
        format!(
            "{}/../lambda/tests/events/{event}",
            env!("CARGO_MANIFEST_DIR")
        )
    };
    let dir = std::env::temp_dir();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rolecall"));
    cmd.args(["handle", "--event", &path])
        .current_dir(&dir)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_REGION", "us-east-1")
        .env("ROLECALL_ENDPOINT_URL", endpoint)
        .env("ROLECALL_REGIONS", "us-east-1")
        .env("ROLECALL_SNS_TOPIC_ARN", topic)
        .env_remove("ROLECALL_DRY_RUN")
        .env_remove("ROLECALL_CONFIG");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    // An invocation that fails prints no JSON: its error is on stderr.
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&out.stderr).to_string()));
    (out, v)
}

fn action<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == name)
        .unwrap_or_else(|| panic!("no {name} action: {v:#}"))
}

#[test]
fn events_rescan_one_role_publish_alert_and_resolve() {
    let (Some(endpoint), Some(python)) = (
        env_or_fail("ROLECALL_MOTO_ENDPOINT"),
        env_or_fail("ROLECALL_PYTHON"),
    ) else {
        return;
    };
    let seed = helper(&python, &endpoint, "setup");
    let topic = seed["topic"].as_str().unwrap();
    let deployer = "arn:aws:iam::123456789012:role/orders-deployer";

    // 1. The change introduced a high finding: imported, and the team alerted with the event.
    let (out, v) = handle(&endpoint, topic, "cloudtrail-iam-put-role-policy.json", &[]);
    assert!(
        out.status.success(),
        "{v:#}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(v["read"]["roles"], serde_json::json!([deployer]), "{v:#}");
    assert_eq!(
        v["read"]["functions"],
        serde_json::json!(["arn:aws:lambda:us-east-1:123456789012:function:orders-api"]),
        "only the functions of that role are read: {v:#}"
    );
    let high: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "high" || f["severity"] == "critical")
        .collect();
    assert!(!high.is_empty(), "{v:#}");
    assert_eq!(
        action(&v, "securityhub:BatchImportFindings")["status"],
        "done"
    );
    assert_eq!(action(&v, "sns:Publish")["status"], "done");
    let seen = helper(&python, &endpoint, "check");
    let msgs = seen["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1, "{seen:#}");
    let msg = msgs[0].as_str().unwrap();
    assert!(
        msg.contains("PutRolePolicy")
            && msg.contains("assumed-role/developer/alice")
            && msg.contains(high[0]["code"].as_str().unwrap()),
        "{msg}"
    );
    let active = |seen: &Value, code: &str| {
        seen["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["GeneratorId"] == code && f["RecordState"] == "ACTIVE")
            .count()
    };
    let code = high[0]["code"].as_str().unwrap().to_string();
    assert!(active(&seen, &code) >= 1, "{seen:#}");

    // 2. The same event again: nothing new, so nobody is alerted twice.
    let (out, v) = handle(&endpoint, topic, "cloudtrail-iam-put-role-policy.json", &[]);
    assert!(out.status.success(), "{v:#}");
    assert!(
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] != "sns:Publish"),
        "{v:#}"
    );
    assert!(helper(&python, &endpoint, "check")["messages"]
        .as_array()
        .unwrap()
        .is_empty());

    // 2b. Another product's finding about the role: rolecall's analysis as a note (dry: moto has
    // no BatchUpdateFindings, see crates/publish/tests/config_and_enrichment.rs) and the team
    // alerted, since the role has high findings.
    let (out, v) = handle(
        &endpoint,
        topic,
        "securityhub-findings-imported.json",
        &[("ROLECALL_DRY_RUN", "1")],
    );
    assert!(out.status.success(), "{v:#}");
    let notes = v["read"]["annotations"].as_array().unwrap();
    assert_eq!(
        notes.len(),
        1,
        "rolecall's own finding is not annotated: {v:#}"
    );
    assert!(notes[0]["id"].as_str().unwrap().contains("guardduty"));
    let note = notes[0]["note"].as_str().unwrap();
    assert!(
        note.contains("orders-deployer") && note.contains(&code),
        "{note}"
    );
    assert_eq!(notes[0]["fields"]["rolecall/role"], deployer);
    assert_eq!(
        action(&v, "securityhub:BatchUpdateFindings")["status"],
        "would do"
    );
    assert_eq!(action(&v, "sns:Publish")["status"], "would do");

    // 3. An oversized Config item: the role is read from IAM, then evaluated (moto test mode).
    let (out, v) = handle(&endpoint, topic, "config-role-oversized.json", &[]);
    assert!(out.status.success(), "{v:#}");
    assert_eq!(v["evaluations"][0]["compliance"], "NON_COMPLIANT", "{v:#}");
    assert_eq!(v["evaluations"][0]["resource_id"], "AROAEXAMPLEDEPLOYER1");
    assert_eq!(action(&v, "config:PutEvaluations")["status"], "done");

    // 4. A function's item: its role is read, and its role's findings are the function's.
    let (out, v) = handle(&endpoint, topic, "config-function-change.json", &[]);
    assert!(out.status.success(), "{v:#}");
    assert_eq!(
        v["evaluations"][0]["resource_type"],
        "AWS::Lambda::Function"
    );
    assert_eq!(v["evaluations"][0]["resource_id"], "orders-api");
    assert_eq!(v["evaluations"][0]["compliance"], "NON_COMPLIANT", "{v:#}");

    // 4b. An Organization rule's invocation for a member account: the evaluations are put in
    // that account, through its evaluations role (moto's STS issues the session; it does not
    // enforce trust, which deploy/member-role.yaml states and tests/deploy.rs checks).
    let mut e: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../lambda/tests/events/config-role-change.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let member = seed["other_account"].as_str().unwrap();
    e["accountId"] = Value::from(member);
    let p = std::env::temp_dir().join(format!("rolecall-org-rule-{}.json", std::process::id()));
    std::fs::write(&p, e.to_string()).unwrap();
    let (out, v) = handle(&endpoint, topic, p.to_str().unwrap(), &[]);
    let _ = std::fs::remove_file(&p);
    assert!(out.status.success(), "{v:#}");
    let put = action(&v, "config:PutEvaluations");
    assert_eq!(put["status"], "done", "{v:#}");
    assert!(
        put["detail"].as_str().unwrap().contains(&format!(
            "in account {member} as rolecall-config-evaluations"
        )),
        "{put}"
    );

    // 4c. The same change in a member account whose SCP denies iam:PassRole: without the
    // Organization context the PassRole escalation is reported; with it (ROLECALL_ORG, as the
    // Organization scan reads SCPs) it is not, so events and the scheduled scan agree.
    let mut e: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../lambda/tests/events/cloudtrail-iam-put-role-policy.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    e["account"] = Value::from(member);
    e["detail"]["recipientAccountId"] = Value::from(member);
    e["detail"]["requestParameters"]["roleName"] = Value::from("member-deployer");
    let p = std::env::temp_dir().join(format!("rolecall-member-event-{}.json", std::process::id()));
    std::fs::write(&p, e.to_string()).unwrap();
    let passrole = |v: &Value| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["title"].as_str().unwrap_or("").contains("PassRole") || f["code"] == "LR201"
            })
            .count()
    };
    let member_env = [
        ("ROLECALL_MEMBER_ROLE", "OrganizationAccountAccessRole"),
        ("ROLECALL_SECURITY_HUB", "0"),
        ("ROLECALL_DRY_RUN", "1"),
    ];
    let (out, without) = handle(&endpoint, topic, p.to_str().unwrap(), &member_env);
    assert!(out.status.success(), "{without:#}");
    assert_eq!(
        without["read"]["roles"],
        serde_json::json!([format!("arn:aws:iam::{member}:role/member-deployer")]),
        "{without:#}"
    );
    assert!(passrole(&without) > 0, "{without:#}");
    let mut with_org = member_env.to_vec();
    with_org.push(("ROLECALL_ORG", "1"));
    let (out, with) = handle(&endpoint, topic, p.to_str().unwrap(), &with_org);
    let _ = std::fs::remove_file(&p);
    assert!(out.status.success(), "{with:#}");
    assert_eq!(passrole(&with), 0, "the SCP denies iam:PassRole: {with:#}");

    // 5. A new version of a customer managed policy: the roles it is attached to are read.
    let (out, v) = handle(
        &endpoint,
        topic,
        "cloudtrail-iam-create-policy-version.json",
        &[],
    );
    assert!(out.status.success(), "{v:#}");
    assert_eq!(
        v["read"]["roles"],
        serde_json::json!(["arn:aws:iam::123456789012:role/orders-reader"]),
        "{v:#}"
    );

    // 6. The fix: the finding is resolved in Security Hub, and no alert.
    helper(&python, &endpoint, "fix");
    let (out, v) = handle(&endpoint, topic, "cloudtrail-iam-put-role-policy.json", &[]);
    assert!(out.status.success(), "{v:#}");
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == code.as_str()),
        "{v:#}"
    );
    let detail = action(&v, "securityhub:BatchImportFindings")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!detail.contains(" 0 resolved"), "{detail}");
    let seen = helper(&python, &endpoint, "check");
    assert_eq!(active(&seen, &code), 0, "{seen:#}");
    assert!(seen["messages"].as_array().unwrap().is_empty());

    // 7. The scheduled rule: every execution role and function of the account evaluated.
    let (out, v) = handle(&endpoint, topic, "config-scheduled.json", &[]);
    assert!(out.status.success(), "{v:#}");
    let evals = v["evaluations"].as_array().unwrap();
    let ids: Vec<&str> = evals
        .iter()
        .map(|e| e["resource_id"].as_str().unwrap())
        .collect();
    for want in ["orders-api", "orders-report"] {
        assert!(ids.contains(&want), "{ids:?}");
    }
    assert_eq!(
        evals
            .iter()
            .filter(
                |e| e["resource_type"] == "AWS::IAM::Role" && e["compliance"] != "NOT_APPLICABLE"
            )
            .count(),
        2,
        "{ids:?}"
    );
    assert_eq!(action(&v, "config:PutEvaluations")["status"], "done");

    // 8. The scheduled scan: reports under a dated prefix, findings imported, and the payments
    // lead gets the team's CSV and HTML by SES (rolecall.toml's team map).
    let dir = std::env::temp_dir().join(format!("rolecall-lambda-moto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = dir.join("rolecall.toml");
    std::fs::write(
        &toml,
        "[teams.payments]\nemail = \"lead@example.com\"\n[teams.nobody]\nsns_topic = \"arn:aws:sns:us-east-1:123456789012:x\"\n",
    )
    .unwrap();
    let (out, v) = handle(
        &endpoint,
        topic,
        "scheduler-scan.json",
        &[
            ("ROLECALL_REPORT_URL", "s3://rolecall-reports/scans/"),
            ("ROLECALL_SES_FROM", "rolecall@example.com"),
            ("ROLECALL_CONFIG", toml.to_str().unwrap()),
            (
                "ROLECALL_HISTORY_URL",
                "s3://rolecall-reports/history/rolecall.sqlite",
            ),
            ("ROLECALL_EXPORT_URL", "s3://rolecall-reports/lake/"),
        ],
    );
    assert!(
        action(&v, "history")["detail"]
            .as_str()
            .unwrap()
            .contains("a new history"),
        "{v:#}"
    );
    assert!(
        out.status.success(),
        "{v:#}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(v["read"]["functions"], 2, "{v:#}");
    let puts: Vec<&Value> = v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["action"] == "s3:PutObject"
                && a["target"]
                    .as_str()
                    .unwrap()
                    .starts_with("s3://rolecall-reports/scans/")
        })
        .collect();
    assert_eq!(puts.len(), 3, "the three reports: {v:#}");
    assert!(puts.iter().all(|a| a["status"] == "done"), "{v:#}");
    let mail = action(&v, "sesv2:SendEmail");
    assert_eq!(mail["status"], "done", "{v:#}");
    assert_eq!(mail["target"], "lead@example.com");
    let seen = helper(&python, &endpoint, "check");
    let keys: Vec<&str> = seen["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    for ext in ["json", "html", "csv"] {
        assert!(
            keys.iter().any(|k| k.starts_with("scans/20")
                && k.ends_with(&format!("/rolecall.{ext}"))
                && k.matches('/').count() == 4),
            "{keys:?}"
        );
    }
    assert!(keys.contains(&"history/rolecall.sqlite"), "{keys:?}");
    assert!(
        keys.iter()
            .any(|k| k.starts_with("lake/") && k.ends_with(".parquet")),
        "{keys:?}"
    );
    // moto counts the recipient of the raw message's To header and of the destination list.
    assert!(seen["emails_sent"].as_f64().unwrap() >= 1.0, "{seen:#}");

    // The next scheduled run finds the history and its findings already open.
    let (out, again) = handle(
        &endpoint,
        topic,
        "scheduler-scan.json",
        &[
            ("ROLECALL_REPORT_URL", "s3://rolecall-reports/scans/"),
            (
                "ROLECALL_HISTORY_URL",
                "s3://rolecall-reports/history/rolecall.sqlite",
            ),
            ("ROLECALL_SES_FROM", "rolecall@example.com"),
        ],
    );
    assert!(out.status.success(), "{again:#}");
    // Without rolecall.toml's address, the lead comes from the owner-email tag.
    assert_eq!(
        action(&again, "sesv2:SendEmail")["target"],
        "tag-lead@example.com",
        "{again:#}"
    );
    let detail = action(&again, "history")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("existing history") && detail.contains(" 0 new"),
        "{detail}"
    );

    // 8b. The state machine of deploy/template.yaml, its function substituted, is accepted by
    // (moto's) Step Functions as written.
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/template.yaml"
    ))
    .unwrap();
    let definition = rolecall_iac::yaml::parse(&template).unwrap().to_json()["Resources"]
        ["OrgScan"]["Properties"]["Definition"]
        .to_string()
        .replace(
            "${FunctionArn}",
            "arn:aws:lambda:us-east-1:123456789012:function:orders-api",
        );
    let def_file = dir.join("statemachine.json");
    std::fs::write(&def_file, &definition).unwrap();
    let sm = helper_with(
        &python,
        &endpoint,
        "statemachine",
        &[def_file.to_str().unwrap()],
    );
    assert_eq!(sm["status"], "ACTIVE", "{sm:#}");
    assert_eq!(
        sm["definition"]["States"]["CollectAccounts"]["ItemProcessor"]["ProcessorConfig"]["Mode"],
        "DISTRIBUTED"
    );
    assert_eq!(
        sm["definition"],
        serde_json::from_str::<Value>(&definition).unwrap()
    );

    // 9. The same scan fanned out as the state machine runs it: the plan, one account's task,
    // the merge. The Organization's second account never gets its task (a failed Map item): it is
    // a coverage entry of the merged scan, and the rest is published.
    let other = seed["other_account"].as_str().unwrap();
    let task = |name: &str, body: Value| {
        let p = dir.join(name);
        std::fs::write(&p, body.to_string()).unwrap();
        p.to_str().unwrap().to_string()
    };
    let fan = [
        ("ROLECALL_REPORT_URL", "s3://rolecall-reports/scans/"),
        ("ROLECALL_FANOUT_ACCOUNTS", "1"),
    ];
    let (out, plan) = handle(
        &endpoint,
        topic,
        &task(
            "plan.json",
            serde_json::json!({"rolecall": {"task": "plan-scan"}}),
        ),
        &fan,
    );
    assert!(out.status.success(), "{plan:#}");
    let result = &plan["result"];
    assert_eq!(result["fan_out"], true, "{plan:#}");
    let accounts: Vec<&str> = result["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        accounts.contains(&"123456789012") && accounts.contains(&other),
        "{accounts:?}"
    );
    let run = result["run"].as_str().unwrap().to_string();
    assert_eq!(action(&plan, "s3:PutObject")["status"], "done");
    let (out, one) = handle(
        &endpoint,
        topic,
        &task(
            "collect.json",
            serde_json::json!({"rolecall": {"task": "collect-account", "account": "123456789012", "run": run}}),
        ),
        &fan,
    );
    assert!(out.status.success(), "{one:#}");
    assert_eq!(one["result"]["functions"], 2, "{one:#}");
    let (out, merged) = handle(
        &endpoint,
        topic,
        &task(
            "merge.json",
            serde_json::json!({"rolecall": {"task": "merge-scan", "run": run}}),
        ),
        &fan,
    );
    assert!(out.status.success(), "{merged:#}");
    assert_eq!(merged["read"]["functions"], 2, "{merged:#}");
    assert!(
        merged["coverage"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["account"] == other && g["api"] == "states:collect-account"),
        "{merged:#}"
    );
    assert!(merged["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["resource"].as_str().unwrap().contains("orders-reader")));
    let seen = helper(&python, &endpoint, "check");
    let keys: Vec<&str> = seen["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(
        keys.iter()
            .any(|k| k.ends_with(&format!("runs/{run}/accounts/123456789012.json"))),
        "{keys:?}"
    );
    // A run id cannot reach outside its prefix.
    let (out, bad) = handle(
        &endpoint,
        topic,
        &task(
            "evil.json",
            serde_json::json!({"rolecall": {"task": "merge-scan", "run": "../../etc"}}),
        ),
        &fan,
    );
    assert_eq!(out.status.code(), Some(2), "{bad:#}");
    assert_eq!(
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "sesv2:SendEmail")
            .count(),
        1,
        "one email: only payments has an address: {v:#}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
