//! Importing AWS CLI exports and snapshots.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rolecall_inventory::*;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn authorization_details_with_url_encoded_documents() {
    let inv = load_files(&[data("auth-details.json"), data("list-functions.json")]).unwrap();
    assert_eq!(inv.roles.len(), 2);
    assert_eq!(inv.functions.len(), 1);
    assert_eq!(inv.regions, vec!["eu-west-1".to_string()]);
    assert_eq!(inv.accounts.len(), 1);
    let role = inv
        .role("arn:aws:iam::123456789012:role/service/fn-role")
        .unwrap();
    assert_eq!(role.path, "/service/");
    assert_eq!(role.tags.get("team").map(String::as_str), Some("pay"));
    assert_eq!(
        role.last_used.as_ref().unwrap().region.as_deref(),
        Some("eu-west-1")
    );
    assert!(inv
        .role("arn:aws:iam::123456789012:role/plain")
        .unwrap()
        .last_used
        .is_none());
    // The function names its role without the path; it still finds it.
    assert_eq!(inv.functions_of(&role.arn).count(), 1);

    let mut store = PolicyStore::new(&inv);
    let r = store.resolve(role);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(
        r.identity.len(),
        3,
        "inline + customer managed + embedded AWS managed"
    );
    // the default version (v2), not v1
    assert_eq!(r.identity[1].statements.len(), 1);
    assert!(r.boundary.is_some());
    assert_eq!(r.trust.as_ref().unwrap().statements.len(), 1);
}

#[test]
fn snapshots_round_trip_and_newer_schemas_are_refused() {
    let inv = load_files(&[data("auth-details.json")]).unwrap();
    let dir = std::env::temp_dir().join(format!("rolecall-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snap = dir.join("snap.json");
    std::fs::write(&snap, serde_json::to_string(&inv).unwrap()).unwrap();
    assert_eq!(load_file(&snap).unwrap(), inv);

    let newer = dir.join("newer.json");
    std::fs::write(&newer, r#"{"schema_version": 99}"#).unwrap();
    let e = load_file(&newer).unwrap_err().to_string();
    assert!(e.contains("newer.json") && e.contains("99"), "{e}");
}

#[test]
fn errors_name_the_file_and_field() {
    let dir = std::env::temp_dir().join(format!("rolecall-import-err-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let bad_arn = write(
        "bad.json",
        r#"{"RoleDetailList":[{"RoleName":"x","Arn":"nope","AssumeRolePolicyDocument":{}}]}"#,
    );
    let e = load_file(&bad_arn).unwrap_err().to_string();
    assert!(
        e.contains("bad.json") && e.contains("RoleDetailList[0].Arn"),
        "{e}"
    );

    let no_role = write(
        "fn.json",
        r#"{"Functions":[{"FunctionName":"f","FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:f"}]}"#,
    );
    let e = load_file(&no_role).unwrap_err().to_string();
    assert!(e.contains("Functions[0].Role"), "{e}");

    let other = write("other.json", r#"{"Buckets":[]}"#);
    assert!(matches!(
        load_file(&other),
        Err(InputError::UnknownFormat { .. })
    ));
    let broken = write("broken.json", "{");
    assert!(load_file(&broken)
        .unwrap_err()
        .to_string()
        .contains("broken.json"));
    assert!(load_file(&dir.join("missing.json"))
        .unwrap_err()
        .to_string()
        .contains("missing.json"));
}

#[test]
fn a_malformed_document_is_a_problem_not_a_failure() {
    let mut inv = load_files(&[data("auth-details.json")]).unwrap();
    inv.roles[1].inline_policies.push(NamedDocument {
        name: "broken".into(),
        arn: None,
        document: serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": "x"}}]}).into(),
    });
    inv.roles[1]
        .managed_policy_arns
        .push("arn:aws:iam::123456789012:policy/gone".into());
    let mut store = PolicyStore::new(&inv);
    let r = store.resolve(&inv.roles[1]);
    assert_eq!(r.problems.len(), 2);
    let text = r.problems[0].to_string();
    assert!(
        text.contains("broken") && text.contains("Statement[0].Condition.StringEquals"),
        "{text}"
    );
    assert!(
        matches!(&r.problems[1], Problem::MissingManagedPolicy { policy_arn, .. } if policy_arn.ends_with("/gone"))
    );
    assert!(r.trust.is_some(), "the rest of the role still resolves");
}
