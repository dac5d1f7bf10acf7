//! AWS's own baseline for execution roles: the managed policies AWS publishes for Lambda's
//! integrations, the inline policies SAM writes from its policy templates, and the roles CDK
//! creates for its internal functions. They grant `*` where AWS's own design needs it (log groups
//! created on first write, ENIs in any subnet); breadth findings about them (LR103, LR205, LR901)
//! are noise a team cannot act on, so they are skipped unless `report_aws_baseline = true`.

use rolecall_inventory::Role;
use rolecall_policy::StatementRef;

/// AWS managed policies written for Lambda execution roles (names, any path).
const MANAGED: &[&str] = &[
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaBasicDurableExecutionRolePolicy",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaMSKExecutionRole",
    "AWSLambdaENIManagementAccess",
    "AWSXRayDaemonWriteAccess",
    "CloudWatchLambdaInsightsExecutionRolePolicy",
    "CloudWatchLambdaApplicationSignalsExecutionRolePolicy",
];

/// Parts of the names CDK gives the roles of its internal functions (custom resource providers,
/// log retention, bucket notifications and deployments).
const CDK_INTERNAL: &[&str] = &[
    "CustomResourceProvider",
    "LogRetention",
    "BucketNotificationsHandler",
    "CDKBucketDeployment",
    "AWSCDKCfnUtils",
    "AwsCustomResource",
    "CustomCDK",
    "CDKMetadata",
];

/// Is this statement's policy one of AWS's Lambda baseline managed policies, or an inline policy
/// SAM wrote from a policy template?
pub fn is_baseline_source(role: &Role, inventory_sam: &[String], src: &StatementRef) -> bool {
    if let Some(rest) = src.policy.split(":iam::aws:policy/").nth(1) {
        let name = rest.rsplit('/').next().unwrap_or(rest);
        return MANAGED.contains(&name);
    }
    let key = format!("{}#{}", role.arn, src.policy);
    inventory_sam.contains(&key)
}

/// Is the role one CDK creates for its own internal functions?
pub fn is_cdk_internal(role: &Role) -> bool {
    CDK_INTERNAL.iter().any(|p| role.name.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolecall_policy::PolicyKind;

    fn src(policy: &str) -> StatementRef {
        StatementRef {
            policy: policy.into(),
            statement: "0".into(),
            policy_type: PolicyKind::Identity,
        }
    }

    #[test]
    fn baseline_sources() {
        let role = Role {
            arn: "arn:aws:iam::123456789012:role/app".into(),
            name: "app".into(),
            ..Default::default()
        };
        assert!(is_baseline_source(
            &role,
            &[],
            &src("arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
        ));
        assert!(is_baseline_source(
            &role,
            &[],
            &src("arn:aws-us-gov:iam::aws:policy/AWSXRayDaemonWriteAccess")
        ));
        assert!(!is_baseline_source(
            &role,
            &[],
            &src("arn:aws:iam::aws:policy/AmazonS3FullAccess")
        ));
        assert!(!is_baseline_source(&role, &[], &src("AppPolicy0")));
        assert!(is_baseline_source(
            &role,
            &["arn:aws:iam::123456789012:role/app#AppPolicy0".into()],
            &src("AppPolicy0")
        ));
        let cdk = Role {
            name: "Stack-LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRole-1A2B".into(),
            ..Default::default()
        };
        assert!(is_cdk_internal(&cdk) && !is_cdk_internal(&role));
    }
}
