//! The escalation methods LR201 knows: every published pathfinding.cloud path (the facts, from
//! `crates/catalog/data/escalation-paths.tsv`) joined with rolecall's judgement of it (what the
//! path reaches, below), plus rolecall's own methods for roles where the catalogue only has the
//! user form.

use rolecall_catalog::risk::{published_paths, PublishedPath};
use std::sync::OnceLock;

/// What a method reaches: which action's resource is the *target*, and so how rolecall decides
/// whether the target is more powerful than the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// `iam:PassRole` hands an existing role to a new resource of one of these services, which
    /// then runs what the caller chose with that role. The role must trust the service.
    PassRole(&'static [&'static str]),
    /// The action writes the permissions of the roles its resource names (`iam:PutRolePolicy`).
    RolePermissions(&'static str),
    /// The action rewrites a customer managed policy, and so every role it is attached to.
    ManagedPolicy(&'static str),
    /// `iam:UpdateAssumeRolePolicy`: the caller makes a role trust it, then assumes it.
    TrustPolicy,
    /// The action removes or replaces a role's permission boundary.
    Boundary(&'static str),
    /// The action removes one of the role's own policies, and with it the Deny it holds.
    RemoveDeny(&'static str),
    /// `sts:AssumeRole` into roles whose trust policy lets the caller in: the assume-role graph.
    Assume,
    /// The action takes over IAM users (keys, passwords, policies); rolecall does not inventory
    /// users.
    Users(&'static str),
    /// The action changes an existing Lambda function, which then runs with its role.
    Function(&'static str),
    /// The action runs code as the role of an existing resource of a kind rolecall does not
    /// inventory (stacks, instances, projects...).
    Resource(&'static str, &'static str),
    /// The path escalates an IAM user's own permissions: a role gains nothing from it.
    NotForRoles(&'static str),
}

impl Reach {
    /// A stable name for the kind of target (`rolecall explain LR201 --methods`).
    pub fn kind(self) -> &'static str {
        match self {
            Reach::PassRole(_) => "pass-role",
            Reach::RolePermissions(_) => "role-permissions",
            Reach::ManagedPolicy(_) => "managed-policy",
            Reach::TrustPolicy => "trust-policy",
            Reach::Boundary(_) => "permission-boundary",
            Reach::RemoveDeny(_) => "remove-deny",
            Reach::Assume => "assume-role",
            Reach::Users(_) => "iam-users",
            Reach::Function(_) => "lambda-function",
            Reach::Resource(..) => "existing-resource",
            Reach::NotForRoles(_) => "not-for-roles",
        }
    }

    /// The action whose resource is the method's target, if one is.
    pub fn target_action(self) -> Option<&'static str> {
        match self {
            Reach::PassRole(_) => Some("iam:PassRole"),
            Reach::RolePermissions(a)
            | Reach::ManagedPolicy(a)
            | Reach::Boundary(a)
            | Reach::RemoveDeny(a)
            | Reach::Users(a)
            | Reach::Function(a)
            | Reach::Resource(a, _) => Some(a),
            Reach::TrustPolicy => Some("iam:UpdateAssumeRolePolicy"),
            Reach::Assume => Some("sts:AssumeRole"),
            Reach::NotForRoles(_) => None,
        }
    }
}

/// Where a method comes from.
#[derive(Clone, Copy, Debug)]
pub enum Origin {
    Published(&'static PublishedPath),
    /// rolecall's own: the documentation it rests on, and the published path it is the role
    /// form of, if any.
    Rolecall {
        reference: &'static str,
        role_form_of: Option<&'static str>,
    },
}

#[derive(Clone, Debug)]
pub struct Method {
    /// pathfinding.cloud's id, or `rolecall-...`.
    pub id: &'static str,
    pub name: &'static str,
    pub required: Vec<&'static str>,
    /// `required` in the embedded catalogue (None for an action it does not know).
    pub required_ids: Vec<Option<rolecall_catalog::ActionId>>,
    pub reach: Reach,
    pub origin: Origin,
}

impl Method {
    /// Where to read about the method.
    pub fn reference(&self) -> String {
        match self.origin {
            Origin::Published(p) => p.url(),
            Origin::Rolecall { reference, .. } => reference.to_string(),
        }
    }
}

const LAMBDA: &[&str] = &["lambda.amazonaws.com"];
const EC2: &[&str] = &["ec2.amazonaws.com"];
const ECS_TASKS: &[&str] = &["ecs-tasks.amazonaws.com"];
const GLUE: &[&str] = &["glue.amazonaws.com"];
const CFN: &[&str] = &["cloudformation.amazonaws.com"];
const CODEBUILD: &[&str] = &["codebuild.amazonaws.com"];
const SAGEMAKER: &[&str] = &["sagemaker.amazonaws.com"];
const AGENTCORE: &[&str] = &["bedrock-agentcore.amazonaws.com"];
const USERS_SELF: &str = "escalates an IAM user's own permissions: a role cannot act as that user without its credentials (iam-015 and iam-018 are the forms that take them), and LR202 reports the grant";

/// rolecall's judgement of every published path, by id. A test fails when a path of the data
/// file is missing here, or an id here is not in the data file.
pub const JUDGEMENTS: &[(&str, Reach)] = &[
    ("apprunner-001", Reach::PassRole(&["tasks.apprunner.amazonaws.com"])),
    ("apprunner-002", Reach::Resource("apprunner:UpdateService", "App Runner service")),
    ("batch-001", Reach::PassRole(&["ecs-tasks.amazonaws.com", "batch.amazonaws.com"])),
    ("batch-002", Reach::Resource("batch:SubmitJob", "Batch job definition")),
    ("batch-003", Reach::PassRole(&["ecs-tasks.amazonaws.com", "batch.amazonaws.com"])),
    ("bedrock-001", Reach::PassRole(AGENTCORE)),
    ("bedrock-002", Reach::Resource("bedrock-agentcore:StartCodeInterpreterSession", "Bedrock AgentCore code interpreter")),
    ("bedrock-003", Reach::PassRole(AGENTCORE)),
    ("bedrock-004", Reach::Resource("bedrock-agentcore:InvokeAgentRuntimeCommand", "Bedrock AgentCore runtime")),
    ("bedrock-005", Reach::PassRole(AGENTCORE)),
    ("bedrock-006", Reach::PassRole(AGENTCORE)),
    ("bedrock-007", Reach::Resource("bedrock-agentcore:StartBrowserSession", "Bedrock AgentCore browser")),
    ("braket-001", Reach::PassRole(&["braket.amazonaws.com"])),
    ("cloudformation-001", Reach::PassRole(CFN)),
    ("cloudformation-002", Reach::Resource("cloudformation:UpdateStack", "CloudFormation stack")),
    ("cloudformation-003", Reach::PassRole(CFN)),
    ("cloudformation-004", Reach::PassRole(CFN)),
    ("cloudformation-005", Reach::Resource("cloudformation:ExecuteChangeSet", "CloudFormation stack")),
    ("codebuild-001", Reach::PassRole(CODEBUILD)),
    ("codebuild-002", Reach::Resource("codebuild:StartBuild", "CodeBuild project")),
    ("codebuild-003", Reach::Resource("codebuild:StartBuildBatch", "CodeBuild project")),
    ("codebuild-004", Reach::PassRole(CODEBUILD)),
    ("codedeploy-001", Reach::Resource("codedeploy:CreateDeployment", "CodeDeploy deployment group")),
    ("cognitoidentity-001", Reach::PassRole(&["cognito-identity.amazonaws.com"])),
    ("datapipeline-001", Reach::PassRole(&["datapipeline.amazonaws.com", "ec2.amazonaws.com"])),
    ("ec2-001", Reach::PassRole(EC2)),
    ("ec2-002", Reach::Resource("ec2:ModifyInstanceAttribute", "EC2 instance")),
    ("ec2-003", Reach::PassRole(EC2)),
    ("ec2-004", Reach::Resource("ec2:CreateLaunchTemplateVersion", "EC2 launch template")),
    ("ec2-005", Reach::Resource("ec2:CreateLaunchTemplateVersion", "EC2 launch template")),
    ("ec2instanceconnect-003", Reach::Resource("ec2-instance-connect:SendSSHPublicKey", "EC2 instance")),
    ("ecs-001", Reach::PassRole(ECS_TASKS)),
    ("ecs-002", Reach::PassRole(ECS_TASKS)),
    ("ecs-003", Reach::PassRole(ECS_TASKS)),
    ("ecs-004", Reach::PassRole(ECS_TASKS)),
    ("ecs-005", Reach::PassRole(ECS_TASKS)),
    ("ecs-006", Reach::Resource("ecs:ExecuteCommand", "ECS task")),
    ("ecs-007", Reach::PassRole(ECS_TASKS)),
    ("ecs-008", Reach::PassRole(ECS_TASKS)),
    ("ecs-009", Reach::PassRole(ECS_TASKS)),
    ("emr-001", Reach::PassRole(&["elasticmapreduce.amazonaws.com", "ec2.amazonaws.com"])),
    ("emrserverless-001", Reach::PassRole(&["emr-serverless.amazonaws.com"])),
    ("gamelift-001", Reach::PassRole(&["gamelift.amazonaws.com"])),
    ("glue-001", Reach::PassRole(GLUE)),
    ("glue-002", Reach::Resource("glue:UpdateDevEndpoint", "Glue development endpoint")),
    ("glue-003", Reach::PassRole(GLUE)),
    ("glue-004", Reach::PassRole(GLUE)),
    ("glue-005", Reach::PassRole(GLUE)),
    ("glue-006", Reach::PassRole(GLUE)),
    ("glue-007", Reach::PassRole(GLUE)),
    ("iam-001", Reach::ManagedPolicy("iam:CreatePolicyVersion")),
    ("iam-002", Reach::Users("iam:CreateAccessKey")),
    ("iam-003", Reach::Users("iam:CreateAccessKey")),
    ("iam-004", Reach::Users("iam:CreateLoginProfile")),
    ("iam-005", Reach::RolePermissions("iam:PutRolePolicy")),
    ("iam-006", Reach::Users("iam:UpdateLoginProfile")),
    ("iam-007", Reach::NotForRoles(USERS_SELF)),
    ("iam-008", Reach::NotForRoles(USERS_SELF)),
    ("iam-009", Reach::RolePermissions("iam:AttachRolePolicy")),
    ("iam-010", Reach::NotForRoles("escalates the groups of an IAM user: a role is in no group")),
    ("iam-011", Reach::NotForRoles("escalates the groups of an IAM user: a role is in no group")),
    ("iam-012", Reach::TrustPolicy),
    ("iam-013", Reach::NotForRoles("adds an IAM user to a group: a role is in no group")),
    ("iam-014", Reach::RolePermissions("iam:AttachRolePolicy")),
    ("iam-015", Reach::Users("iam:CreateAccessKey")),
    ("iam-016", Reach::ManagedPolicy("iam:CreatePolicyVersion")),
    ("iam-017", Reach::RolePermissions("iam:PutRolePolicy")),
    ("iam-018", Reach::Users("iam:CreateAccessKey")),
    ("iam-019", Reach::RolePermissions("iam:AttachRolePolicy")),
    ("iam-020", Reach::ManagedPolicy("iam:CreatePolicyVersion")),
    ("iam-021", Reach::RolePermissions("iam:PutRolePolicy")),
    ("iam-022", Reach::NotForRoles("removes an IAM user's own permission boundary (rolecall-iam-delete-role-permissions-boundary is the role form)")),
    ("iam-023", Reach::Boundary("iam:DeleteRolePermissionsBoundary")),
    ("iam-024", Reach::NotForRoles("replaces an IAM user's own permission boundary (rolecall-iam-put-role-permissions-boundary is the role form)")),
    ("iam-025", Reach::NotForRoles("detaches a policy from an IAM user (rolecall-iam-detach-role-policy is the role form)")),
    ("iam-026", Reach::NotForRoles("deletes an IAM user's inline policy (rolecall-iam-delete-role-policy is the role form)")),
    ("imagebuilder-001", Reach::PassRole(&["ec2.amazonaws.com", "imagebuilder.amazonaws.com"])),
    ("kinesisanalytics-001", Reach::PassRole(&["kinesisanalytics.amazonaws.com"])),
    ("lambda-001", Reach::PassRole(LAMBDA)),
    ("lambda-002", Reach::PassRole(LAMBDA)),
    ("lambda-003", Reach::Function("lambda:UpdateFunctionCode")),
    ("lambda-004", Reach::Function("lambda:UpdateFunctionCode")),
    ("lambda-005", Reach::Function("lambda:UpdateFunctionCode")),
    ("lambda-006", Reach::PassRole(LAMBDA)),
    ("omics-001", Reach::PassRole(&["omics.amazonaws.com"])),
    ("sagemaker-001", Reach::PassRole(SAGEMAKER)),
    ("sagemaker-002", Reach::PassRole(SAGEMAKER)),
    ("sagemaker-003", Reach::PassRole(SAGEMAKER)),
    ("sagemaker-004", Reach::Resource("sagemaker:CreatePresignedNotebookInstanceUrl", "SageMaker notebook instance")),
    ("sagemaker-005", Reach::Resource("sagemaker:UpdateNotebookInstance", "SageMaker notebook instance")),
    ("scheduler-001", Reach::PassRole(&["scheduler.amazonaws.com"])),
    ("ssm-001", Reach::Resource("ssm:StartSession", "EC2 instance")),
    ("ssm-002", Reach::Resource("ssm:SendCommand", "EC2 instance")),
    ("ssm-003", Reach::PassRole(&["ssm.amazonaws.com"])),
    ("sso-001", Reach::Resource("sso:CreateAccountAssignment", "IAM Identity Center permission set")),
    ("sso-002", Reach::Resource("sso:AttachManagedPolicyToPermissionSet", "IAM Identity Center permission set")),
    ("sso-003", Reach::Resource("sso:PutInlinePolicyToPermissionSet", "IAM Identity Center permission set")),
    ("stepfunctions-001", Reach::PassRole(&["states.amazonaws.com"])),
    ("stepfunctions-002", Reach::Resource("states:UpdateStateMachine", "Step Functions state machine")),
    ("sts-001", Reach::Assume),
    ("sts-002", Reach::Assume),
    ("sts-003", Reach::Assume),
    ("sts-004", Reach::TrustPolicy),
];

/// rolecall's own methods: (id, name, required, reach, reference, role form of).
type Own = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Reach,
    &'static str,
    Option<&'static str>,
);

pub const OWN: &[Own] = &[
    (
        "rolecall-iam-set-default-policy-version",
        "iam:SetDefaultPolicyVersion",
        &["iam:SetDefaultPolicyVersion"],
        Reach::ManagedPolicy("iam:SetDefaultPolicyVersion"),
        "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/",
        None,
    ),
    (
        "rolecall-iam-delete-role-permissions-boundary",
        "iam:DeleteRolePermissionsBoundary",
        &["iam:DeleteRolePermissionsBoundary"],
        Reach::Boundary("iam:DeleteRolePermissionsBoundary"),
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRolePermissionsBoundary.html",
        Some("iam-022"),
    ),
    (
        "rolecall-iam-put-role-permissions-boundary",
        "iam:PutRolePermissionsBoundary",
        &["iam:PutRolePermissionsBoundary"],
        Reach::Boundary("iam:PutRolePermissionsBoundary"),
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePermissionsBoundary.html",
        Some("iam-024"),
    ),
    (
        "rolecall-iam-detach-role-policy",
        "iam:DetachRolePolicy",
        &["iam:DetachRolePolicy"],
        Reach::RemoveDeny("iam:DetachRolePolicy"),
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_DetachRolePolicy.html",
        Some("iam-025"),
    ),
    (
        "rolecall-iam-delete-role-policy",
        "iam:DeleteRolePolicy",
        &["iam:DeleteRolePolicy"],
        Reach::RemoveDeny("iam:DeleteRolePolicy"),
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRolePolicy.html",
        Some("iam-026"),
    ),
    (
        "rolecall-lambda-update-function-configuration",
        "lambda:UpdateFunctionConfiguration",
        &["lambda:UpdateFunctionConfiguration"],
        Reach::Function("lambda:UpdateFunctionConfiguration"),
        "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html#runtime-wrapper",
        None,
    ),
];

fn ids(names: &[&str]) -> Vec<Option<rolecall_catalog::ActionId>> {
    let cat = rolecall_catalog::catalog();
    names.iter().map(|a| cat.lookup(a)).collect()
}

/// Every method, published paths first (in the data file's order), then rolecall's own.
/// Published paths without a judgement are left out (the test below catches that).
pub fn methods() -> &'static [Method] {
    static M: OnceLock<Vec<Method>> = OnceLock::new();
    M.get_or_init(|| {
        let mut v: Vec<Method> = published_paths()
            .iter()
            .filter_map(|p| {
                let reach = JUDGEMENTS.iter().find(|(id, _)| *id == p.id)?.1;
                Some(Method {
                    id: p.id,
                    name: p.name,
                    required_ids: ids(&p.required),
                    required: p.required.clone(),
                    reach,
                    origin: Origin::Published(p),
                })
            })
            .collect();
        v.extend(
            OWN.iter()
                .map(|&(id, name, req, reach, reference, of)| Method {
                    id,
                    name,
                    required_ids: ids(req),
                    required: req.to_vec(),
                    reach,
                    origin: Origin::Rolecall {
                        reference,
                        role_form_of: of,
                    },
                }),
        );
        v
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn every_published_path_has_a_judgement_and_no_judgement_is_stale() {
        let paths = published_paths();
        let missing: Vec<_> = paths
            .iter()
            .filter(|p| !JUDGEMENTS.iter().any(|(id, _)| *id == p.id))
            .map(|p| p.id)
            .collect();
        assert!(
            missing.is_empty(),
            "paths without a judgement in JUDGEMENTS: {missing:?}"
        );
        let stale: Vec<_> = JUDGEMENTS
            .iter()
            .filter(|(id, _)| !paths.iter().any(|p| p.id == *id))
            .map(|(id, _)| *id)
            .collect();
        assert!(
            stale.is_empty(),
            "judgements of no published path: {stale:?}"
        );
        assert_eq!(methods().len(), paths.len() + OWN.len());
    }

    #[test]
    fn every_target_action_is_one_the_method_needs() {
        let cat = rolecall_catalog::catalog();
        for m in methods() {
            for a in &m.required {
                assert!(cat.lookup(a).is_some(), "{}: {a}", m.id);
            }
            match m.reach {
                // Assuming needs no identity permission when the trust policy names the caller.
                Reach::Assume | Reach::NotForRoles(_) => {}
                Reach::PassRole(services) => {
                    assert!(m.required.contains(&"iam:PassRole"), "{}", m.id);
                    assert!(!services.is_empty(), "{}", m.id);
                }
                r => {
                    let t = r.target_action().unwrap();
                    assert!(
                        m.required.contains(&t),
                        "{}: target {t} is not required",
                        m.id
                    );
                }
            }
        }
    }
}
