//! Roles the logs do not cover are never called unused; actions only data events record are not
//! observable in logs without data events; a window the logs cover in part is said.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rolecall_catalog::catalog;
use rolecall_checks::{scan, Config};
use rolecall_inventory::{Document, Function, Inventory, NamedDocument, Role};
use rolecall_usage::Reader;
use serde_json::json;

fn role(account: &str, name: &str) -> Role {
    Role {
        arn: format!("arn:aws:iam::{account}:role/{name}"),
        name: name.into(),
        account: account.into(),
        path: "/".into(),
        trust_policy: Document::from_value(
            &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        ),
        inline_policies: vec![NamedDocument {
            name: "app".into(),
            arn: None,
            document: Document::from_value(
                &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "dynamodb:*"], "Resource": "*"}]}),
            ),
        }],
        ..Default::default()
    }
}

fn function(account: &str, name: &str) -> Function {
    Function {
        arn: format!("arn:aws:lambda:us-east-1:{account}:function:{name}"),
        name: name.into(),
        account: account.into(),
        region: "us-east-1".into(),
        role_arn: format!("arn:aws:iam::{account}:role/{name}-role"),
        ..Default::default()
    }
}

/// Management events of account 111111111111 only, on one day of a 30-day window.
fn usage(data_events: bool) -> rolecall_inventory::Usage {
    let mut records = vec![json!({
        "eventVersion": "1.09", "eventSource": "dynamodb.amazonaws.com", "eventName": "DescribeTable",
        "eventTime": "2026-11-20T10:00:00Z", "awsRegion": "us-east-1", "recipientAccountId": "111111111111",
        "eventCategory": "Management", "managementEvent": true,
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111111111111:assumed-role/a-role/a",
                         "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111111111111:role/a-role"}}},
        "requestParameters": {"tableName": "orders"}
    })];
    if data_events {
        records.push(json!({
            "eventVersion": "1.09", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
            "eventTime": "2026-11-21T10:00:00Z", "awsRegion": "us-east-1", "recipientAccountId": "111111111111",
            "eventCategory": "Data", "managementEvent": false,
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/someone"},
            "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::b/k"}]
        }));
    }
    let mut r = Reader::new(catalog(), "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z");
    r.read_bytes("t.json", json!({"Records": records}).to_string().as_bytes());
    r.finish().0
}

fn inventory(data_events: bool) -> Inventory {
    let mut inv = Inventory::new("fixture");
    inv.roles = vec![
        role("111111111111", "a-role"),
        role("222222222222", "b-role"),
    ];
    inv.functions = vec![function("111111111111", "a"), function("222222222222", "b")];
    inv.usage = Some(usage(data_events));
    inv
}

#[test]
fn only_covered_roles_get_a_gap_and_data_event_actions_are_not_observable() {
    let inv = inventory(false);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let r = scan(&inv, catalog(), &Config::default(), today);
    let lr6 = |arn_part: &str| -> Vec<&str> {
        r.findings
            .iter()
            .filter(|f| f.code.starts_with("LR6") && f.resource_arn.contains(arn_part))
            .map(|f| f.title.as_str())
            .collect()
    };
    // Account 222222222222 is not in the logs: no usage data, never "unused".
    assert!(lr6("222222222222").is_empty(), "{:?}", lr6("222222222222"));
    let b = r.roles.iter().find(|x| x.arn.contains("b-role")).unwrap();
    assert!(b.gap.is_none());
    let u = r.coverage.usage.as_ref().unwrap();
    assert_eq!(u.roles_without_usage_data, 1);
    assert_eq!(u.accounts.keys().collect::<Vec<_>>(), ["111111111111"]);
    assert_eq!(
        (u.accounts["111111111111"].days_covered, u.window_days),
        (1, 30)
    );
    // Account 111111111111 is, with management events only.
    let a = r.roles.iter().find(|x| x.arn.contains("a-role")).unwrap();
    let g = a.gap.as_ref().unwrap();
    let cat = catalog();
    let items =
        cat.expand("dynamodb:GetItem").unwrap().len() + cat.expand("s3:GetObject*").unwrap().len();
    assert!(g.not_observable >= items, "{g:?}");
    assert_eq!((g.days_covered, g.window_days), (1, 30));
    assert_eq!(g.used, 1);
    let titles = lr6("111111111111");
    let lr601 = titles
        .iter()
        .find(|t| t.contains("granted actions"))
        .unwrap();
    assert!(lr601.contains("not observable"), "{lr601}");
    assert!(lr601.contains("cover 1 of the window's 30 days"), "{lr601}");
    // With S3 data events in the logs, S3's object actions become observable (and unused).
    let inv = inventory(true);
    let r2 = scan(&inv, catalog(), &Config::default(), today);
    let a2 = r2.roles.iter().find(|x| x.arn.contains("a-role")).unwrap();
    let g2 = a2.gap.as_ref().unwrap();
    assert!(g2.not_observable < g.not_observable, "{g2:?} vs {g:?}");
    assert!(g2.unused > g.unused);
    assert_eq!(g2.days_covered, 2);
}

#[test]
fn access_analyzer_findings_give_a_gap_where_no_log_covers_the_role() {
    let mut inv = inventory(false);
    let usage = inv.usage.as_mut().unwrap();
    usage.analyzer = Some(rolecall_inventory::AnalyzerUsage {
        analyzers: vec!["arn:aws:access-analyzer:us-east-1:222222222222:analyzer/unused".into()],
        accounts: ["222222222222".to_string()].into_iter().collect(),
        roles: [(
            "arn:aws:iam::222222222222:role/b-role".to_string(),
            rolecall_inventory::AnalyzerRole {
                unused: vec!["s3:*".into(), "dynamodb:DeleteTable".into()],
                ..Default::default()
            },
        )]
        .into_iter()
        .collect(),
    });
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let r = scan(&inv, catalog(), &Config::default(), today);
    let b = r.roles.iter().find(|x| x.arn.contains("b-role")).unwrap();
    let g = b
        .gap
        .as_ref()
        .expect("the analyzer covers account 222222222222");
    let cat = catalog();
    let s3 = cat.expand("s3:*").unwrap().len();
    assert_eq!(g.analyzer_unused, Some(s3 + 1));
    assert_eq!(g.unused, s3 + 1, "{g:?}");
    assert_eq!(g.not_observable, 0, "the analyzer sees every action");
    assert_eq!(g.days_covered, g.window_days);
    assert!(g.unused_services.contains(&"s3".to_string()));
    assert!(r
        .findings
        .iter()
        .any(|f| f.code == "LR601" && f.resource_arn.contains("b-role")));
    // Role a: the logs cover it and the analyzer does not.
    let a = r.roles.iter().find(|x| x.arn.contains("a-role")).unwrap();
    assert_eq!(a.gap.as_ref().unwrap().analyzer_unused, None);
}
