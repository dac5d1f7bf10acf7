//! A fixture per escalation method, generated from the method catalogue (so a path added to the
//! data gets its fixtures without anyone writing them): the full grant fires; each necessary
//! permission removed, the key permission denied by an SCP, or outside the permission boundary,
//! stays silent; the target scoped to a harmless role stays silent and scoped to a powerful one
//! fires. Then one fixture per assume-role shape.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use chrono::NaiveDate;
use rolecall_catalog::catalog;
use rolecall_checks::escalation::{methods, Method, Reach};
use rolecall_checks::{scan, Config, Finding, Severity};
use rolecall_inventory::{import::from_text, Inventory};
use serde_json::{json, Value};
use std::path::Path;

const A: &str = "123456789012";
const B: &str = "210987654321";
const ADMIN_POLICY: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

fn arn_role(acct: &str, name: &str) -> String {
    format!("arn:aws:iam::{acct}:role/{name}")
}

fn caller_arn() -> String {
    arn_role(A, "caller-role")
}

/// Every service principal a PassRole method hands a role to.
fn services() -> Vec<&'static str> {
    let mut v: Vec<&str> = methods()
        .iter()
        .filter_map(|m| match m.reach {
            Reach::PassRole(s) => Some(s.iter().copied()),
            _ => None,
        })
        .flatten()
        .collect();
    v.push("lambda.amazonaws.com");
    v.sort_unstable();
    v.dedup();
    v
}

fn trust(services: &[&str], aws: &[String], federated: &[&str]) -> Value {
    let mut stmts = Vec::new();
    if !services.is_empty() {
        stmts.push(json!({"Effect": "Allow", "Principal": {"Service": services}, "Action": "sts:AssumeRole"}));
    }
    if !federated.is_empty() {
        stmts.push(json!({"Effect": "Allow", "Principal": {"Federated": federated}, "Action": "sts:AssumeRoleWithWebIdentity"}));
    }
    if !aws.is_empty() {
        stmts.push(
            json!({"Effect": "Allow", "Principal": {"AWS": aws}, "Action": "sts:AssumeRole"}),
        );
    }
    json!({"Version": "2012-10-17", "Statement": stmts})
}

fn doc(stmts: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": stmts})
}

fn allow(actions: &[&str], resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": actions, "Resource": resource})
}

fn role(acct: &str, name: &str, trust: Value, inline: Vec<Value>, managed: &[&str]) -> Value {
    json!({
        "arn": arn_role(acct, name), "name": name, "account": acct, "path": "/",
        "trust_policy": trust,
        "inline_policies": inline.into_iter().enumerate().map(|(i, d)| json!({"name": format!("p{i}"), "document": d})).collect::<Vec<_>>(),
        "managed_policy_arns": managed,
    })
}

fn function(acct: &str, name: &str, role: &str) -> Value {
    json!({"arn": format!("arn:aws:lambda:us-east-1:{acct}:function:{name}"), "name": name, "account": acct,
           "region": "us-east-1", "runtime": "python3.12", "role_arn": role})
}

/// What a fixture varies.
#[derive(Default, Clone)]
struct Shape {
    /// The caller's statements (in its customer managed policy `caller-policy`).
    statements: Vec<Value>,
    /// Extra inline policies of the caller.
    inline: Vec<Value>,
    /// The caller's permission boundary, if any.
    boundary: Option<Value>,
    /// SCP statements besides FullAWSAccess.
    scp: Vec<Value>,
    /// Extra roles.
    roles: Vec<Value>,
    /// A second customer managed policy attached to the caller (`caller-guard`).
    guard: Option<Value>,
}

fn caller_policy_arn() -> String {
    format!("arn:aws:iam::{A}:policy/caller-policy")
}
fn harmless_policy_arn() -> String {
    format!("arn:aws:iam::{A}:policy/harmless-policy")
}
fn assumable_policy_arn() -> String {
    format!("arn:aws:iam::{A}:policy/assumable-policy")
}

/// The environment every method fixture runs in: the caller (a Lambda execution role); an
/// administrator role trusting every service and the account; a harmless role trusting every
/// service but not the account; an assumable role (trusting the account) that is harmless only
/// because of its boundary; and a function running as each of the first two.
fn inventory(s: &Shape) -> Inventory {
    let svcs = services();
    let root = vec![format!("arn:aws:iam::{A}:root")];
    let logs = doc(vec![allow(
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        "*",
    )]);
    let mut roles = vec![
        {
            let mut r = role(
                A,
                "caller-role",
                trust(&["lambda.amazonaws.com"], &[], &[]),
                s.inline.clone(),
                &[],
            );
            r["managed_policy_arns"] = json!([caller_policy_arn()]);
            if s.guard.is_some() {
                r["managed_policy_arns"] = json!([
                    caller_policy_arn(),
                    format!("arn:aws:iam::{A}:policy/caller-guard")
                ]);
            }
            if s.boundary.is_some() {
                r["permissions_boundary_arn"] =
                    json!(format!("arn:aws:iam::{A}:policy/caller-boundary"));
            }
            r
        },
        role(
            A,
            "target-admin",
            trust(&svcs, &root, &["cognito-identity.amazonaws.com"]),
            vec![],
            &[ADMIN_POLICY],
        ),
        {
            let mut r = role(
                A,
                "target-harmless",
                trust(&svcs, &[], &["cognito-identity.amazonaws.com"]),
                vec![],
                &[],
            );
            r["managed_policy_arns"] = json!([harmless_policy_arn()]);
            r
        },
        {
            let mut r = role(
                A,
                "target-assumable",
                trust(&["ec2.amazonaws.com"], &root, &[]),
                vec![],
                &[],
            );
            r["managed_policy_arns"] = json!([ADMIN_POLICY, assumable_policy_arn()]);
            r["permissions_boundary_arn"] = json!(format!("arn:aws:iam::{A}:policy/logs-only"));
            r
        },
    ];
    roles.extend(s.roles.iter().cloned());
    let mut policies = vec![
        json!({"arn": caller_policy_arn(), "name": "caller-policy", "document": doc(s.statements.clone())}),
        json!({"arn": harmless_policy_arn(), "name": "harmless-policy", "document": logs.clone()}),
        json!({"arn": assumable_policy_arn(), "name": "assumable-policy", "document": logs.clone()}),
        json!({"arn": format!("arn:aws:iam::{A}:policy/logs-only"), "name": "logs-only", "document": logs}),
    ];
    if let Some(g) = &s.guard {
        policies.push(json!({"arn": format!("arn:aws:iam::{A}:policy/caller-guard"), "name": "caller-guard", "document": g}));
    }
    if let Some(b) = &s.boundary {
        policies.push(json!({"arn": format!("arn:aws:iam::{A}:policy/caller-boundary"), "name": "caller-boundary", "document": b}));
    }
    let mut account = json!({"id": A, "name": "fixture"});
    if !s.scp.is_empty() {
        let mut stmts = vec![allow(&["*"], "*")];
        stmts.extend(s.scp.iter().cloned());
        account["scp_levels"] = json!([{"target": "r-root", "name": "Root", "policies": [{"name": "guardrail", "document": doc(stmts)}]}]);
    }
    let inv = json!({
        "schema_version": 1, "source": "fixture", "collected_at": "2026-11-30T00:00:00Z",
        "accounts": [account, {"id": B, "name": "other"}], "regions": ["us-east-1"],
        "functions": [function(A, "caller-fn", &caller_arn()), function(A, "admin-fn", &arn_role(A, "target-admin")),
                      function(A, "harmless-fn", &arn_role(A, "target-harmless"))],
        "roles": roles, "managed_policies": policies, "coverage": [],
    });
    from_text(Path::new("fixture.json"), &inv.to_string()).unwrap()
}

fn lr201(inv: &Inventory) -> Option<Finding> {
    let r = scan(
        inv,
        catalog(),
        &Config::default(),
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    );
    r.findings
        .into_iter()
        .find(|f| f.code == "LR201" && f.resource_arn == caller_arn())
}

/// Does the finding report this method (its id opens an evidence note)?
fn reports(f: &Option<Finding>, id: &str) -> bool {
    f.as_ref().is_some_and(|f| {
        f.evidence.iter().any(|e| {
            e.note.as_deref().is_some_and(|n| {
                n.starts_with(&format!("{id} ")) || n.starts_with(&format!("{id}:"))
            })
        })
    })
}

fn key(m: &Method) -> &'static str {
    m.reach.target_action().unwrap_or(m.required[0])
}

/// The environment a method's full grant needs besides its permissions.
fn base(m: &Method) -> Shape {
    let mut s = Shape::default();
    match m.reach {
        Reach::Boundary(_) if !m.required.contains(&"sts:AssumeRole") => {
            // Self form: the caller's own boundary must hold something back.
            let mut allowed: Vec<&str> = m.required.clone();
            allowed.push("logs:*");
            s.boundary = Some(doc(vec![allow(&allowed, "*")]));
            s.inline.push(doc(vec![allow(&["s3:*"], "*")]));
        }
        Reach::RemoveDeny(a) => {
            // The caller may use S3 but for a Deny in a policy of its own it could remove.
            s.statements.push(allow(&["s3:*"], "*"));
            let guard = doc(vec![
                json!({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}),
            ]);
            if a == "iam:DeleteRolePolicy" {
                s.inline.push(guard);
            } else {
                s.guard = Some(guard);
            }
        }
        _ => {}
    }
    s
}

fn with(mut s: Shape, statements: Vec<Value>) -> Shape {
    s.statements.extend(statements);
    s
}

/// Where a target-scoped variant points the key action: (harmless, powerful). None when the
/// method's target is not something rolecall inventories, or when no resource is harmless for
/// it (rewriting both the permissions and the trust policy of any role is escalation).
fn scoped_targets(m: &Method) -> Option<(String, String)> {
    let both = m.required.contains(&"iam:UpdateAssumeRolePolicy") && m.reach != Reach::TrustPolicy;
    let assume = m.required.contains(&"sts:AssumeRole");
    match m.reach {
        Reach::PassRole(_) | Reach::TrustPolicy => {
            Some((arn_role(A, "target-harmless"), arn_role(A, "target-admin")))
        }
        Reach::RolePermissions(_) if !both => Some((
            arn_role(A, "target-harmless"),
            if assume {
                arn_role(A, "target-assumable")
            } else {
                caller_arn()
            },
        )),
        Reach::ManagedPolicy(_) if !both => Some((
            harmless_policy_arn(),
            if assume {
                assumable_policy_arn()
            } else {
                caller_policy_arn()
            },
        )),
        Reach::Boundary(_) if assume => Some((
            arn_role(A, "target-harmless"),
            arn_role(A, "target-assumable"),
        )),
        Reach::Function(_) => Some((
            format!("arn:aws:lambda:us-east-1:{A}:function:harmless-fn"),
            format!("arn:aws:lambda:us-east-1:{A}:function:admin-fn"),
        )),
        _ => None,
    }
}

fn expected_full_severity(m: &Method) -> Severity {
    match m.reach {
        Reach::Users(_) | Reach::Resource(..) => Severity::High,
        Reach::ManagedPolicy("iam:SetDefaultPolicyVersion") => Severity::High,
        _ => Severity::Critical,
    }
}

#[test]
fn every_method_fires_on_its_grant_and_stays_silent_on_each_near_miss() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for m in methods() {
        if matches!(m.reach, Reach::NotForRoles(_) | Reach::Assume) {
            continue;
        }
        checked += 1;
        let full: Vec<Value> = vec![allow(&m.required, "*")];
        // Full grant: fires, at the severity the target earns.
        let f = lr201(&inventory(&with(base(m), full.clone())));
        if !reports(&f, m.id) {
            problems.push(format!(
                "{}: full grant not reported ({:?})",
                m.id,
                f.map(|f| f.title)
            ));
        } else if let Some(f) = &f {
            let want = expected_full_severity(m);
            if f.severity < want {
                problems.push(format!(
                    "{}: full grant reported {:?}, expected {want:?}",
                    m.id, f.severity
                ));
            }
        }
        // Each necessary permission removed.
        for a in &m.required {
            let rest: Vec<&str> = m.required.iter().copied().filter(|x| x != a).collect();
            let stmts = if rest.is_empty() {
                vec![]
            } else {
                vec![allow(&rest, "*")]
            };
            let f = lr201(&inventory(&with(base(m), stmts)));
            if reports(&f, m.id) {
                problems.push(format!("{}: reported without {a}", m.id));
            }
        }
        // The key permission denied by an SCP, and outside the boundary.
        let k = key(m);
        let mut s = with(base(m), full.clone());
        s.scp
            .push(json!({"Effect": "Deny", "Action": k, "Resource": "*"}));
        if reports(&lr201(&inventory(&s)), m.id) {
            problems.push(format!("{}: reported though an SCP denies {k}", m.id));
        }
        let mut s = with(base(m), full.clone());
        let mut b = s
            .boundary
            .clone()
            .unwrap_or_else(|| doc(vec![allow(&["*"], "*")]));
        b["Statement"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Effect": "Deny", "Action": k, "Resource": "*"}));
        s.boundary = Some(b);
        if reports(&lr201(&inventory(&s)), m.id) {
            problems.push(format!("{}: reported though the boundary denies {k}", m.id));
        }
        // The target scoped to a harmless role (silent) and to a powerful one (fires).
        if let Some((harmless, powerful)) = scoped_targets(m) {
            let others: Vec<&str> = m.required.iter().copied().filter(|x| *x != k).collect();
            for (target, want) in [(harmless, false), (powerful, true)] {
                let mut stmts = vec![allow(&[k], &target)];
                if !others.is_empty() {
                    stmts.push(allow(&others, "*"));
                }
                let f = lr201(&inventory(&with(base(m), stmts)));
                if reports(&f, m.id) != want {
                    problems.push(format!(
                        "{}: {k} scoped to {target}: expected {}, got {:?}",
                        m.id,
                        if want { "a finding" } else { "silence" },
                        f.map(|f| f.title)
                    ));
                }
            }
        }
    }
    assert!(checked >= 94, "{checked} methods checked");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn passed_to_service_condition_rules_out_other_services() {
    let m = methods().iter().find(|m| m.id == "lambda-001").unwrap();
    let mut stmts = vec![
        json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}),
    ];
    stmts.push(allow(
        &["lambda:CreateFunction", "lambda:InvokeFunction"],
        "*",
    ));
    assert!(!reports(
        &lr201(&inventory(&with(Shape::default(), stmts.clone()))),
        m.id
    ));
    stmts[0]["Condition"]["StringEquals"]["iam:PassedToService"] = json!("lambda.amazonaws.com");
    assert!(reports(
        &lr201(&inventory(&with(Shape::default(), stmts))),
        m.id
    ));
}

#[test]
fn pass_role_to_a_role_that_does_not_trust_the_service_is_not_escalation() {
    // target-assumable is administrator in its policies but bounded, and trusts only EC2: passing
    // it to Lambda does nothing.
    let stmts = vec![
        allow(&["iam:PassRole"], &arn_role(A, "target-assumable")),
        allow(&["lambda:CreateFunction", "lambda:InvokeFunction"], "*"),
    ];
    assert!(!reports(
        &lr201(&inventory(&with(Shape::default(), stmts))),
        "lambda-001"
    ));
}

#[test]
fn unscoped_grants_without_a_powerful_target_are_potential_escalation() {
    // Only the caller and harmless roles: PassRole on * is reported, at medium.
    let mut s = with(
        Shape::default(),
        vec![allow(
            &[
                "iam:PassRole",
                "lambda:CreateFunction",
                "lambda:InvokeFunction",
            ],
            "*",
        )],
    );
    s.scp.clear();
    let mut inv = inventory(&s);
    inv.roles.retain(|r| r.name != "target-admin");
    inv.functions.retain(|f| f.name != "admin-fn");
    let f = lr201(&inv).expect("reported");
    assert!(reports(&Some(f.clone()), "lambda-001"));
    assert_eq!(f.severity, Severity::Medium, "{}", f.title);
    // A named role that is not in the inventory: medium too.
    let s = with(
        Shape::default(),
        vec![
            allow(&["iam:PassRole"], &arn_role(A, "elsewhere")),
            allow(&["lambda:CreateFunction", "lambda:InvokeFunction"], "*"),
        ],
    );
    let f = lr201(&inventory(&s)).expect("reported");
    assert_eq!(f.severity, Severity::Medium);
    // A write pattern under which no role exists: medium, not critical.
    let s = with(
        Shape::default(),
        vec![allow(&["iam:PutRolePolicy"], &arn_role(A, "future-*"))],
    );
    let f = lr201(&inventory(&s)).expect("reported");
    assert_eq!(f.severity, Severity::Medium, "{}", f.title);
    assert!(reports(&Some(f), "iam-005"));
}

#[test]
fn resource_types_decide_what_a_service_wildcard_grants() {
    // ssm:* on a parameter ARN grants no ssm:SendCommand; glue:* on a job ARN no UpdateDevEndpoint.
    let s = with(
        Shape::default(),
        vec![
            allow(
                &["ssm:*"],
                &format!("arn:aws:ssm:us-east-1:{A}:parameter/app/*"),
            ),
            allow(&["glue:*"], &format!("arn:aws:glue:us-east-1:{A}:job/etl")),
        ],
    );
    let f = lr201(&inventory(&s));
    assert!(!reports(&f, "ssm-002"), "{:?}", f.map(|f| f.title));
    let f = lr201(&inventory(&s));
    assert!(!reports(&f, "glue-002"), "{:?}", f.map(|f| f.title));
}

// ---- Reachability: the assume-role graph ----

fn chain_note(f: &Finding) -> String {
    f.evidence
        .iter()
        .filter_map(|e| e.note.clone())
        .filter(|n| n.starts_with("sts-"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn two_hop_chain_to_an_administrator_role() {
    // caller → hop (trusts the caller by ARN) → target-admin (trusts hop by ARN).
    let hop_trust = trust(&[], &[caller_arn()], &[]);
    let mut s = with(
        Shape::default(),
        vec![allow(&["sts:AssumeRole"], &arn_role(A, "hop"))],
    );
    s.roles.push(role(
        A,
        "hop",
        hop_trust,
        vec![doc(vec![allow(&["sts:AssumeRole"], &arn_role(A, "boss"))])],
        &[],
    ));
    s.roles.push(role(
        A,
        "boss",
        trust(&[], &[arn_role(A, "hop")], &[]),
        vec![],
        &[ADMIN_POLICY],
    ));
    let f = lr201(&inventory(&s)).expect("two hops to administrator");
    assert_eq!(f.severity, Severity::Critical);
    let n = chain_note(&f);
    assert!(n.contains("hop 1 of 2") && n.contains("hop 2 of 2"), "{n}");
    assert!(n.contains("role/boss (administrator)"), "{n}");
    // Break the second hop: the boss no longer trusts hop.
    s.roles[1]["trust_policy"] = trust(&["ec2.amazonaws.com"], &[], &[]);
    assert!(!reports(&lr201(&inventory(&s)), "sts-001"));
}

#[test]
fn trust_by_account_root_needs_the_identity_side() {
    // target-admin trusts the account root: the caller needs sts:AssumeRole of its own.
    let f = lr201(&inventory(&with(
        Shape::default(),
        vec![allow(&["sts:AssumeRole"], "*")],
    )));
    assert!(reports(&f, "sts-001"), "{:?}", f.map(|f| f.title));
    let f = lr201(&inventory(&with(
        Shape::default(),
        vec![allow(&["sts:AssumeRole"], &arn_role(A, "target-harmless"))],
    )));
    assert!(!reports(&f, "sts-001"));
    assert!(f.is_none(), "{:?}", f.map(|f| f.title));
}

#[test]
fn an_administrator_role_that_trusts_the_function_role_directly_needs_no_permission() {
    let mut s = Shape::default();
    s.roles.push(role(
        A,
        "ops-admin",
        trust(&[], &[caller_arn()], &[]),
        vec![],
        &[ADMIN_POLICY],
    ));
    let f = lr201(&inventory(&s)).expect("trusted directly");
    assert!(reports(&Some(f.clone()), "sts-001"));
    assert_eq!(f.severity, Severity::Critical);
    // A trust condition nothing known decides (an external id) makes it conditional: lower.
    s.roles[0]["trust_policy"]["Statement"][0]["Condition"] =
        json!({"StringEquals": {"sts:ExternalId": "x"}});
    let f = lr201(&inventory(&s)).expect("conditional edge");
    assert_eq!(
        f.severity,
        Severity::High,
        "{}",
        serde_json::to_string_pretty(&f.evidence).unwrap()
    );
    assert!(f
        .evidence
        .iter()
        .any(|e| e.conditions.iter().any(|c| c.contains("sts:ExternalId"))));
    // A known condition that excludes the caller removes the edge.
    s.roles[0]["trust_policy"]["Statement"][0]["Condition"] =
        json!({"StringEquals": {"aws:PrincipalArn": arn_role(A, "someone-else")}});
    assert!(lr201(&inventory(&s)).is_none());
}

#[test]
fn cross_account_needs_both_sides() {
    let mut s = with(
        Shape::default(),
        vec![allow(&["sts:AssumeRole"], &arn_role(B, "remote-admin"))],
    );
    s.roles.push(role(
        B,
        "remote-admin",
        trust(&[], &[format!("arn:aws:iam::{A}:root")], &[]),
        vec![],
        &[ADMIN_POLICY],
    ));
    let f = lr201(&inventory(&s)).expect("cross-account");
    assert!(reports(&Some(f), "sts-002"));
    // Without the caller's own permission: nothing (cross-account needs both sides).
    let mut s2 = s.clone();
    s2.statements.clear();
    assert!(lr201(&inventory(&s2)).is_none());
    // Trusting * in the other account: sts-003.
    s.roles[0]["trust_policy"] = trust(&[], &["*".to_string()], &[]);
    let f = lr201(&inventory(&s)).expect("any principal");
    assert!(reports(&Some(f), "sts-003"));
}

#[test]
fn update_assume_role_policy_alone_reaches_a_more_powerful_role() {
    let s = with(
        Shape::default(),
        vec![allow(
            &["iam:UpdateAssumeRolePolicy"],
            &arn_role(A, "target-admin"),
        )],
    );
    let f = lr201(&inventory(&s)).expect("reported");
    assert!(reports(&Some(f.clone()), "iam-012") && reports(&Some(f.clone()), "sts-004"));
    assert_eq!(f.severity, Severity::Critical);
    let s = with(
        Shape::default(),
        vec![allow(
            &["iam:UpdateAssumeRolePolicy"],
            &arn_role(A, "target-harmless"),
        )],
    );
    assert!(lr201(&inventory(&s)).is_none());
}

#[test]
fn a_role_reaching_one_that_escalates_by_itself_is_reported() {
    // caller can assume hop; hop can put policies on itself.
    let mut s = with(
        Shape::default(),
        vec![allow(&["sts:AssumeRole"], &arn_role(A, "hop"))],
    );
    s.roles.push(role(
        A,
        "hop",
        trust(&[], &[caller_arn()], &[]),
        vec![doc(vec![allow(&["iam:PutRolePolicy"], "*")])],
        &[],
    ));
    let f = lr201(&inventory(&s)).expect("reported");
    assert!(chain_note(&f).contains("iam-005"), "{}", chain_note(&f));
}

#[test]
fn a_world_assumable_role_is_its_own_flaw_until_the_caller_may_assume() {
    // ops-admin trusts "*": everyone can assume it (LR401 reports that role). It is this role's
    // escalation (sts-003) only when its own policies allow sts:AssumeRole on it.
    let mut s = Shape::default();
    s.roles.push(role(
        A,
        "ops-admin",
        trust(&[], &["*".to_string()], &[]),
        vec![],
        &[ADMIN_POLICY],
    ));
    assert!(lr201(&inventory(&s)).is_none());
    s.statements
        .push(allow(&["sts:AssumeRole"], &arn_role(A, "ops-admin")));
    let f = lr201(&inventory(&s)).expect("reported");
    assert!(reports(&Some(f), "sts-003"));
}

#[test]
fn each_kind_of_door_is_reported() {
    // sts:AssumeRole on *: target-admin (same account, trusts the account) and remote-admin
    // (another account, trusts this one) are both reachable: both are reported.
    let mut s = with(Shape::default(), vec![allow(&["sts:AssumeRole"], "*")]);
    s.roles.push(role(
        B,
        "remote-admin",
        trust(&[], &[format!("arn:aws:iam::{A}:root")], &[]),
        vec![],
        &[ADMIN_POLICY],
    ));
    let f = lr201(&inventory(&s));
    assert!(
        reports(&f, "sts-001") && reports(&f, "sts-002"),
        "{:?}",
        f.map(|f| f.title)
    );
}
