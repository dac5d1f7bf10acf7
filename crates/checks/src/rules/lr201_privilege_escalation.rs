//! ## What it does
//! Reports a role that can raise its own privileges by a known method, evaluated with resource
//! scope and conditions: Rhino Security Labs' 21 methods (new policy versions, attaching or putting
//! policies, access keys and login profiles, group membership, trust policy rewrites, PassRole into
//! EC2, Lambda, Glue, CloudFormation, Data Pipeline, updating a function's code or a Glue endpoint)
//! and the later ones (PassRole into CodeBuild, ECS, Glue jobs, SageMaker, App Runner; Lambda
//! configuration and layers; SSM commands).
//!
//! PassRole methods count only when the role can pass a role more powerful than itself: `*`, a
//! wildcard, a role that is not in the inventory (reported at lower severity), or a named role with
//! administrator access, permission-management actions, or more actions than the caller. A
//! `iam:PassedToService` condition that excludes the method's service rules the method out.
//!
//! ## Why is this bad?
//! An escalation path makes every other limit on the role decorative: the function, or whoever
//! subverts it, can make itself administrator.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}
//! ```
//!
//! ## Remediation
//! Remove the IAM write actions from execution roles. Scope `iam:PassRole` to the exact role ARNs
//! the function must pass, with an `iam:PassedToService` condition, and attach a permission
//! boundary that denies IAM changes.
//!
//! ## References
//! - https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html

use super::{grant_evidence, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;
use rolecall_catalog::wildcard;
use rolecall_policy::{Comparison, Grant};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR201",
        name: "privilege-escalation",
        severity: Severity::Critical,
        summary: "A known privilege escalation method is possible",
        remediation: "Remove IAM write actions from the execution role, scope iam:PassRole to exact role ARNs with an iam:PassedToService condition, and attach a permission boundary that denies IAM changes.",
        references: &[
            "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
        ],
        asff_types: &["TTPs/Privilege Escalation", "Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6(10)"],
        needs_live_data: false,
    },
    role: Some(check),
    function: None,
};

struct Method {
    name: &'static str,
    actions: &'static [&'static str],
    /// The service principal the passed role goes to; None when no PassRole is needed.
    pass_to: Option<&'static str>,
}

const fn m(
    name: &'static str,
    actions: &'static [&'static str],
    pass_to: Option<&'static str>,
) -> Method {
    Method {
        name,
        actions,
        pass_to,
    }
}

const METHODS: &[Method] = &[
    m(
        "iam:CreatePolicyVersion",
        &["iam:CreatePolicyVersion"],
        None,
    ),
    m(
        "iam:SetDefaultPolicyVersion",
        &["iam:SetDefaultPolicyVersion"],
        None,
    ),
    m("iam:CreateAccessKey", &["iam:CreateAccessKey"], None),
    m("iam:CreateLoginProfile", &["iam:CreateLoginProfile"], None),
    m("iam:UpdateLoginProfile", &["iam:UpdateLoginProfile"], None),
    m("iam:AttachUserPolicy", &["iam:AttachUserPolicy"], None),
    m("iam:AttachGroupPolicy", &["iam:AttachGroupPolicy"], None),
    m("iam:AttachRolePolicy", &["iam:AttachRolePolicy"], None),
    m("iam:PutUserPolicy", &["iam:PutUserPolicy"], None),
    m("iam:PutGroupPolicy", &["iam:PutGroupPolicy"], None),
    m("iam:PutRolePolicy", &["iam:PutRolePolicy"], None),
    m("iam:AddUserToGroup", &["iam:AddUserToGroup"], None),
    m(
        "iam:UpdateAssumeRolePolicy + sts:AssumeRole",
        &["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
        None,
    ),
    m(
        "PassRole to EC2 (ec2:RunInstances)",
        &["ec2:RunInstances"],
        Some("ec2.amazonaws.com"),
    ),
    m(
        "PassRole to Lambda (CreateFunction + InvokeFunction)",
        &["lambda:CreateFunction", "lambda:InvokeFunction"],
        Some("lambda.amazonaws.com"),
    ),
    m(
        "PassRole to Lambda (CreateFunction + CreateEventSourceMapping)",
        &["lambda:CreateFunction", "lambda:CreateEventSourceMapping"],
        Some("lambda.amazonaws.com"),
    ),
    m(
        "PassRole to Glue (CreateDevEndpoint)",
        &["glue:CreateDevEndpoint"],
        Some("glue.amazonaws.com"),
    ),
    m(
        "PassRole to CloudFormation (CreateStack)",
        &["cloudformation:CreateStack"],
        Some("cloudformation.amazonaws.com"),
    ),
    m(
        "PassRole to Data Pipeline",
        &[
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
        ],
        Some("datapipeline.amazonaws.com"),
    ),
    m(
        "PassRole to CodeBuild (CreateProject + StartBuild)",
        &["codebuild:CreateProject", "codebuild:StartBuild"],
        Some("codebuild.amazonaws.com"),
    ),
    m(
        "PassRole to ECS (RegisterTaskDefinition + RunTask)",
        &["ecs:RegisterTaskDefinition", "ecs:RunTask"],
        Some("ecs-tasks.amazonaws.com"),
    ),
    m(
        "PassRole to Glue jobs (CreateJob + StartJobRun)",
        &["glue:CreateJob", "glue:StartJobRun"],
        Some("glue.amazonaws.com"),
    ),
    m(
        "PassRole to SageMaker notebooks",
        &[
            "sagemaker:CreateNotebookInstance",
            "sagemaker:CreatePresignedNotebookInstanceUrl",
        ],
        Some("sagemaker.amazonaws.com"),
    ),
    m(
        "PassRole to SageMaker training jobs",
        &["sagemaker:CreateTrainingJob"],
        Some("sagemaker.amazonaws.com"),
    ),
    m(
        "PassRole to SageMaker processing jobs",
        &["sagemaker:CreateProcessingJob"],
        Some("sagemaker.amazonaws.com"),
    ),
    m(
        "PassRole to App Runner (CreateService)",
        &["apprunner:CreateService"],
        Some("tasks.apprunner.amazonaws.com"),
    ),
    m("glue:UpdateDevEndpoint", &["glue:UpdateDevEndpoint"], None),
    m(
        "lambda:UpdateFunctionCode",
        &["lambda:UpdateFunctionCode"],
        None,
    ),
    m(
        "lambda:UpdateFunctionConfiguration (layers)",
        &["lambda:UpdateFunctionConfiguration"],
        None,
    ),
    m("ssm:SendCommand", &["ssm:SendCommand"], None),
];

/// Actions that change another function's code or configuration: escalation only when that
/// function's role is more powerful (or the scope is open).
const FUNCTION_TAKEOVER: &[&str] = &[
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
];

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    let cat = cx.catalog;
    let e = &ra.effective;
    if e.admin_grant().is_some() {
        return; // already administrator: LR101
    }
    let mut evidence = Vec::new();
    let mut worst: Option<Severity> = None;
    let mut names = Vec::new();
    let pass_role = cat.lookup("iam:PassRole");
    for method in METHODS {
        let ids: Vec<_> = method
            .actions
            .iter()
            .filter_map(|a| cat.lookup(a))
            .collect();
        if ids.len() != method.actions.len() || !ids.iter().all(|&a| e.is_allowed(a)) {
            continue;
        }
        let mut sev = Severity::Critical;
        let mut ev_list = Vec::new();
        for &a in &ids {
            let Some(g) = e.unscoped_grant(a).or_else(|| e.grants_for(a).next()) else {
                continue;
            };
            // The method needs every action: its weakest grant decides. Resource scope is shown
            // but does not lower it (new functions, stacks and jobs are named by the caller; scoped
            // takeovers are judged by what they reach below); conditions do.
            if g.is_conditional() {
                sev = sev.min(Severity::High);
            }
            ev_list.push(grant_evidence(cat, g, &[a]));
        }
        if let Some(takeover) = method
            .actions
            .iter()
            .find(|a| FUNCTION_TAKEOVER.contains(a))
        {
            match function_takeover(cx, ra, takeover) {
                Takeover::No => continue,
                Takeover::Open => {}
                Takeover::MorePowerful(fname) => {
                    if let Some(ev) = ev_list.last_mut() {
                        ev.note = Some(format!("can change {fname}, whose role is more powerful"));
                    }
                }
            }
        }
        if let Some(service) = method.pass_to {
            let Some(pr) = pass_role else { continue };
            let passes: Vec<&Grant> = e
                .grants_for(pr)
                .filter(|g| passed_to_allows(g, service))
                .collect();
            let mut verdict: Option<(Severity, String)> = None;
            for g in &passes {
                if let Some(v) = pass_verdict(cx, ra, g) {
                    let v = (
                        if g.is_conditional() {
                            v.0.min(Severity::High)
                        } else {
                            v.0
                        },
                        v.1,
                    );
                    if verdict.as_ref().is_none_or(|w| v.0 > w.0) {
                        verdict = Some(v);
                    }
                    let mut ev = grant_evidence(cat, g, &[pr]);
                    ev.note = verdict.as_ref().map(|v| v.1.clone());
                    ev_list.push(ev);
                }
            }
            let Some((s, _)) = verdict else { continue };
            sev = sev.min(s);
        }
        names.push(method.name);
        worst = Some(worst.map_or(sev, |w| w.max(sev)));
        for mut ev in ev_list {
            ev.note = Some(match ev.note {
                Some(n) => format!("{}: {n}", method.name),
                None => method.name.to_string(),
            });
            evidence.push(ev);
        }
    }
    if let Some(sev) = worst {
        let title = format!(
            "{} can escalate privileges ({} method{}: {})",
            ra.role.name,
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join("; ")
        );
        out.role(ra, cx, sev, title, evidence, "");
    }
}

/// Does the grant's `iam:PassedToService` condition (if any) let the role go to `service`?
fn passed_to_allows(g: &Grant, service: &str) -> bool {
    g.conditions
        .iter()
        .filter(|c| c.key.eq_ignore_ascii_case("iam:PassedToService") && !c.operator.negated)
        .all(|c| match c.operator.comparison {
            Comparison::StringEquals | Comparison::StringEqualsIgnoreCase => {
                c.values.iter().any(|v| v.eq_ignore_ascii_case(service))
            }
            Comparison::StringLike => c
                .values
                .iter()
                .any(|v| wildcard::matches_ignore_case(v, service)),
            _ => true,
        })
}

/// Is passing the roles this grant covers an escalation? Returns severity and a reason.
fn pass_verdict(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, g: &Grant) -> Option<(Severity, String)> {
    if g.resources
        .include
        .iter()
        .any(|p| wildcard::has_wildcard(p))
    {
        return Some((
            Severity::Critical,
            format!(
                "can pass any role matching {}",
                g.resources.include.join(", ")
            ),
        ));
    }
    let mine = ra.effective.allowed.len();
    let mut best: Option<(Severity, String)> = None;
    for target in &g.resources.include {
        let v = match cx.role_privilege(target) {
            None => Some((
                Severity::Medium,
                format!("can pass {target}, which is not in the inventory"),
            )),
            Some(p) if p.admin => Some((
                Severity::Critical,
                format!("can pass {target}, which has administrator access"),
            )),
            Some(p) if p.permissions_management > 0 => Some((
                Severity::Critical,
                format!("can pass {target}, which has permissions-management actions"),
            )),
            Some(p) if p.allowed > mine => Some((
                Severity::High,
                format!(
                    "can pass {target}, which is allowed {} actions (this role: {mine})",
                    p.allowed
                ),
            )),
            Some(_) => None,
        };
        if let Some(v) = v {
            if best.as_ref().is_none_or(|b| v.0 > b.0) {
                best = Some(v);
            }
        }
    }
    best
}

enum Takeover {
    No,
    Open,
    MorePowerful(String),
}

fn function_takeover(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, action: &str) -> Takeover {
    let Some(id) = cx.catalog.lookup(action) else {
        return Takeover::No;
    };
    let patterns: Vec<&String> = ra
        .effective
        .grants_for(id)
        .flat_map(|g| g.resources.include.iter())
        .collect();
    if patterns.iter().any(|p| p.as_str() == "*") {
        return Takeover::Open;
    }
    let mine = ra.effective.allowed.len();
    for f in &cx.inventory.functions {
        if ra.functions.iter().any(|&i| {
            cx.inventory
                .functions
                .get(i)
                .is_some_and(|x| x.arn == f.arn)
        }) {
            continue; // its own functions: same role
        }
        if patterns.iter().any(|p| wildcard::matches(p, &f.arn)) {
            if let Some(p) = cx.role_privilege(&f.role_arn) {
                if p.admin || p.permissions_management > 0 || p.allowed > mine {
                    return Takeover::MorePowerful(f.name.clone());
                }
            }
        }
    }
    Takeover::No
}
