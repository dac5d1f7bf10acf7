//! Effective permissions: what a role can do after denies, NotAction/NotResource, boundary, SCPs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rolecall_catalog::catalog;
use rolecall_policy::effective::PrincipalPolicies;
use rolecall_policy::*;

fn p(name: &str, kind: PolicyKind, json: &str) -> Policy {
    parse_policy(name, kind, json).unwrap()
}

fn id(a: &str) -> u32 {
    catalog()
        .lookup(a)
        .unwrap_or_else(|| panic!("{a} not in catalogue"))
}

fn eff(
    identity: &[&Policy],
    boundary: Option<&Policy>,
    scps: Vec<Vec<&Policy>>,
) -> EffectivePermissions {
    let mut an = Analyzer::new(catalog());
    an.effective(&PrincipalPolicies {
        identity: identity.to_vec(),
        boundary,
        scp_levels: scps,
        ..Default::default()
    })
}

#[test]
fn admin_allows_everything_everywhere() {
    let admin = p(
        "admin",
        PolicyKind::Identity,
        r#"{"Statement":{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let e = eff(&[&admin], None, vec![]);
    assert_eq!(e.allowed.len(), catalog().len());
    let g = e.allowed_everywhere(id("iam:PassRole")).unwrap();
    assert_eq!(g.source.statement, "All");
    assert_eq!(g.source.policy, "admin");
    assert!(e.admin_grant().is_some());
}

#[test]
fn admin_stays_admin_under_guardrail_scps_but_not_under_a_boundary() {
    let admin = p(
        "admin",
        PolicyKind::Identity,
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let scp = p(
        "guardrails",
        PolicyKind::Scp,
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"},
            {"Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}"#,
    );
    let e = eff(&[&admin], None, vec![vec![&scp]]);
    assert!(!e.is_allowed(id("organizations:LeaveOrganization")));
    assert!(e.admin_grant().is_some());
    let b = p(
        "b",
        PolicyKind::Boundary,
        r#"{"Statement":{"Effect":"Allow","Action":["s3:Get*","logs:*"],"Resource":"*"}}"#,
    );
    let capped = eff(&[&admin], Some(&b), vec![vec![&scp]]);
    assert!(capped.admin_grant().is_none());
    assert!(!capped.is_allowed(id("iam:PassRole")));
}

#[test]
fn not_action_means_every_other_catalogue_action() {
    let pol = p(
        "na",
        PolicyKind::Identity,
        r#"{"Statement":{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}}"#,
    );
    let e = eff(&[&pol], None, vec![]);
    assert!(!e.is_allowed(id("iam:CreateUser")));
    assert!(!e.is_allowed(id("organizations:LeaveOrganization")));
    assert!(e.is_allowed(id("s3:GetObject")));
    assert!(e.is_allowed(id("ec2:RunInstances")));
    let iam = catalog().service("iam").unwrap().actions.len();
    let orgs = catalog().service("organizations").unwrap().actions.len();
    assert_eq!(e.allowed.len(), catalog().len() - iam - orgs);
    assert!(e.grants[0].not_action);
}

#[test]
fn unconditional_deny_removes_and_scoped_deny_carves_out() {
    let pol = p(
        "mixed",
        PolicyKind::Identity,
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["s3:*","dynamodb:*"],"Resource":"*"},
            {"Sid":"NoDynamo","Effect":"Deny","Action":"dynamodb:*","Resource":"*"},
            {"Sid":"NoSecretBucket","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::secret/*"}]}"#,
    );
    let e = eff(&[&pol], None, vec![]);
    assert!(!e.is_allowed(id("dynamodb:GetItem")));
    let get = id("s3:GetObject");
    assert!(
        e.is_allowed(get),
        "a deny on one bucket leaves the action granted elsewhere"
    );
    assert!(e.allowed_everywhere(get).is_none());
    let g = e.unscoped_grant(get).unwrap();
    assert!(g.has_exception_for(get));
    assert_eq!(g.exceptions[0].source.statement, "NoSecretBucket");
    assert!(e.allowed_everywhere(id("s3:PutObject")).is_some());
}

#[test]
fn deny_with_not_resource_and_conditions() {
    let pol = p(
        "p",
        PolicyKind::Identity,
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::mine/*"},
            {"Effect":"Allow","Action":"sqs:*","Resource":"*"},
            {"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::mine/*"},
            {"Sid":"OnlyTls","Effect":"Deny","Action":"sqs:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
    );
    let e = eff(&[&pol], None, vec![]);
    // The NotResource deny does not touch the grant on mine/*.
    assert!(e.is_allowed(id("s3:GetObject")));
    let g = e.grants_for(id("s3:GetObject")).next().unwrap();
    assert!(g.exceptions.is_empty(), "{:?}", g.exceptions);
    // The conditional deny stays attached as a conditional exception.
    let q = e.grants_for(id("sqs:SendMessage")).next().unwrap();
    assert!(q
        .exceptions
        .iter()
        .any(|x| x.conditional && x.source.statement == "OnlyTls"));
}

#[test]
fn boundary_intersects_actions_and_resources() {
    let pol = p(
        "id",
        PolicyKind::Identity,
        r#"{"Statement":{"Effect":"Allow","Action":["s3:*","iam:*"],"Resource":"*"}}"#,
    );
    let b = p(
        "boundary",
        PolicyKind::Boundary,
        r#"{"Statement":[{"Sid":"Reads","Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::data/*"}]}"#,
    );
    let e = eff(&[&pol], Some(&b), vec![]);
    assert!(!e.is_allowed(id("iam:CreateUser")));
    assert!(!e.is_allowed(id("s3:PutObject")));
    let get = id("s3:GetObject");
    assert!(e.is_allowed(get));
    let g = e.grants_for(get).next().unwrap();
    assert_eq!(g.resources.include, vec!["arn:aws:s3:::data/*".to_string()]);
    assert_eq!(g.limited_by[0].statement, "Reads");
    assert!(e.unscoped_grant(get).is_none());
}

#[test]
fn scp_levels_each_cap_and_deny() {
    let pol = p(
        "id",
        PolicyKind::Identity,
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let root = p(
        "FullAWSAccess",
        PolicyKind::Scp,
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let ou = p(
        "ou",
        PolicyKind::Scp,
        r#"{"Statement":[{"Effect":"Allow","Action":["s3:*","lambda:*","iam:*"],"Resource":"*"},
            {"Effect":"Deny","Action":["iam:CreateUser","iam:CreateAccessKey"],"Resource":"*"},
            {"Sid":"Regions","Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}"#,
    );
    let e = eff(&[&pol], None, vec![vec![&root], vec![&ou]]);
    assert!(
        !e.is_allowed(id("ec2:RunInstances")),
        "no Allow at the OU level"
    );
    assert!(!e.is_allowed(id("iam:CreateUser")), "denied by the SCP");
    assert!(e.is_allowed(id("iam:PassRole")));
    let g = e.grants_for(id("s3:GetObject")).next().unwrap();
    assert!(g
        .exceptions
        .iter()
        .any(|x| x.conditional && x.source.statement == "Regions"));
    // A conditional deny (the region guardrail) is listed but does not narrow the grant.
    assert!(e.allowed_everywhere(id("s3:GetObject")).is_some());
    assert!(e.allowed_everywhere(id("iam:PassRole")).is_some());
    assert!(
        e.admin_grant().is_none(),
        "three services are not administrator access"
    );
}

#[test]
fn conditional_grants_are_kept_and_marked() {
    let pol = p(
        "vpc",
        PolicyKind::Identity,
        r#"{"Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}}"#,
    );
    let e = eff(&[&pol], None, vec![]);
    let a = id("secretsmanager:GetSecretValue");
    assert!(e.is_allowed(a));
    assert!(e.allowed_everywhere(a).is_none());
    let g = e.unscoped_grant(a).unwrap();
    assert!(g.is_conditional());
    let json = serde_json::to_value(g).unwrap();
    assert_eq!(json["conditions"][0], "StringEquals aws:SourceVpc [vpc-1]");
}

#[test]
fn unknown_actions_are_reported_not_dropped() {
    let pol = p(
        "typo",
        PolicyKind::Identity,
        r#"{"Statement":{"Effect":"Allow","Action":["s3:GetObjekt","nosuchservice:*","s3:GetObject"],"Resource":"*"}}"#,
    );
    let e = eff(&[&pol], None, vec![]);
    let names: Vec<_> = e
        .unknown_actions
        .iter()
        .map(|u| (u.action.as_str(), u.reason))
        .collect();
    assert_eq!(
        names,
        vec![
            ("s3:GetObjekt", "not in the catalogue"),
            ("nosuchservice:*", "matches no action")
        ]
    );
    assert!(e.is_allowed(id("s3:GetObject")));
}

#[test]
fn boundary_without_allow_leaves_nothing() {
    let pol = p(
        "id",
        PolicyKind::Identity,
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let b = p(
        "b",
        PolicyKind::Boundary,
        r#"{"Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}"#,
    );
    let e = eff(&[&pol], Some(&b), vec![]);
    assert!(e.allowed.is_empty());
    assert!(e.grants.is_empty());
}

fn known(role: &str, tags: &[(&str, &str)], org: Option<&str>) -> Option<KnownContext> {
    Some(KnownContext::for_role(
        role,
        &PrincipalFacts {
            path: Some("/".into()),
            tags: Some(
                tags.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            org_id: org.map(str::to_string),
            ..Default::default()
        },
    ))
}

#[test]
fn a_guardrail_on_the_principal_arn_is_decided_for_the_role() {
    // "Deny s3:* unless aws:PrincipalArn is role/ci": the ci role keeps s3, any other loses it
    // unconditionally (not a conditional exception any more).
    let pol = p(
        "id",
        PolicyKind::Identity,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
    );
    let scp = p(
        "guard",
        PolicyKind::Scp,
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Sid":"OnlyCi","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/ci"}}}]}"#,
    );
    let run = |role: &str| {
        let mut an = Analyzer::new(catalog());
        an.effective(&PrincipalPolicies {
            identity: vec![&pol],
            scp_levels: vec![vec![&scp]],
            known: known(role, &[], None),
            ..Default::default()
        })
    };
    let ci = run("arn:aws:iam::111111111111:role/ci");
    let g = ci.allowed_everywhere(id("s3:GetObject")).unwrap();
    assert!(g.exceptions.is_empty(), "{:?}", g.exceptions);
    let other = run("arn:aws:iam::111111111111:role/app");
    assert!(!other.is_allowed(id("s3:GetObject")));
    // Without what is known, the deny stays a conditional exception.
    let unknown = eff(&[&pol], None, vec![vec![&scp]]);
    assert!(
        unknown
            .grants_for(id("s3:GetObject"))
            .next()
            .unwrap()
            .exceptions[0]
            .conditional
    );
}

#[test]
fn username_scoped_resources_grant_a_role_nothing_and_tags_resolve() {
    let pol = p(
        "id",
        PolicyKind::Identity,
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Home","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"},
            {"Sid":"Team","Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:*:*:table/${aws:PrincipalTag/team}"}]}"#,
    );
    let mut an = Analyzer::new(catalog());
    let e = an.effective(&PrincipalPolicies {
        identity: vec![&pol],
        known: known(
            "arn:aws:iam::111111111111:role/app",
            &[("team", "payments")],
            None,
        ),
        ..Default::default()
    });
    assert!(
        !e.is_allowed(id("s3:GetObject")),
        "a role has no aws:username"
    );
    let g = e.grants_for(id("dynamodb:GetItem")).next().unwrap();
    assert_eq!(
        g.resources.include,
        vec!["arn:aws:dynamodb:*:*:table/payments".to_string()]
    );
}

#[test]
fn rcps_cap_the_resources_of_the_account_for_supported_services() {
    let pol = p(
        "id",
        PolicyKind::Identity,
        r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","lambda:InvokeFunction"],"Resource":"*"},
            {"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111111111111:jobs"}]}"#,
    );
    let full = p(
        "RCPFullAWSAccess",
        PolicyKind::Rcp,
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#,
    );
    let perimeter = p(
        "perimeter",
        PolicyKind::Rcp,
        r#"{"Statement":{"Sid":"OrgOnly","Effect":"Deny","Principal":"*","Action":["s3:*","sqs:*","lambda:*"],"Resource":"*",
            "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-ours"}}}}"#,
    );
    let run = |org: &str| {
        let mut an = Analyzer::new(catalog());
        an.effective(&PrincipalPolicies {
            identity: vec![&pol],
            rcp_levels: vec![vec![&full, &perimeter]],
            known: known("arn:aws:iam::111111111111:role/app", &[], Some(org)),
            ..Default::default()
        })
    };
    // Inside the Organization the perimeter does not apply at all.
    let ours = run("o-ours");
    assert!(ours
        .grants_for(id("s3:GetObject"))
        .all(|g| g.exceptions.is_empty()));
    // Outside it: the queue named in the account is gone; `*` keeps the other accounts'
    // resources, with the account's carved out; Lambda is not an RCP service.
    let theirs = run("o-theirs");
    assert!(!theirs.is_allowed(id("sqs:SendMessage")));
    let s3 = theirs.grants_for(id("s3:GetObject")).next().unwrap();
    assert!(s3
        .exceptions
        .iter()
        .any(|x| x.source.statement == "OrgOnly" && x.account.as_deref() == Some("111111111111")));
    let lambda = theirs
        .grants_for(id("lambda:InvokeFunction"))
        .next()
        .unwrap();
    assert!(!lambda.has_exception_for(id("lambda:InvokeFunction")));
}

#[test]
fn grants_hold_only_the_actions_their_resource_types_allow() {
    let pol = p(
        "id",
        PolicyKind::Identity,
        r#"{"Statement":[{"Effect":"Allow","Action":"ssm:*","Resource":"arn:aws:ssm:*:*:parameter/app/*"},
            {"Effect":"Allow","Action":"glue:*","Resource":"arn:aws:glue:us-east-1:111111111111:job/etl"},
            {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"}]}"#,
    );
    let e = eff(&[&pol], None, vec![]);
    assert!(e.is_allowed(id("ssm:GetParameter")));
    assert!(
        !e.is_allowed(id("ssm:SendCommand")),
        "no parameter resource"
    );
    assert!(e.is_allowed(id("glue:StartJobRun")));
    assert!(
        !e.is_allowed(id("glue:UpdateDevEndpoint")),
        "a job ARN is not a dev endpoint"
    );
    assert!(!e.is_allowed(id("s3:ListAllMyBuckets")), "takes only *");
    // arn:aws:s3:::* covers every bucket and object: as unscoped as *.
    for a in ["s3:GetObject", "s3:ListBucket", "s3:DeleteBucket"] {
        assert!(e.unscoped_grant(id(a)).is_some(), "{a}");
    }
    assert!(e.unscoped_grant(id("ssm:GetParameter")).is_none());
}
