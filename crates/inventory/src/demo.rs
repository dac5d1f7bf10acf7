//! The built-in demo Organization (`rolecall scan --demo`): three accounts, two regions, about
//! sixty functions with realistic names and owner tags, mostly clean roles, and each risky pattern
//! rolecall looks for, so a first run shows what the tool does without an AWS account.
//!
//! Everything is generated here, deterministically; nothing is random.

use crate::model::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const PAYMENTS: &str = "111111111111";
pub const DATA: &str = "222222222222";
pub const SANDBOX: &str = "333333333333";
/// An account outside the Organization, trusted by one role.
pub const VENDOR: &str = "999988887777";

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

fn doc(statements: Value) -> Document {
    Document::from_value(&json!({"Version": "2012-10-17", "Statement": statements}))
}

fn lambda_trust() -> Document {
    doc(
        json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
    )
}

fn logs(account: &str, name: &str) -> Value {
    json!({"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
           "Resource": format!("arn:aws:logs:*:{account}:log-group:/aws/lambda/{name}:*")})
}

fn tags(team: &str, env: &str, sensitivity: &str) -> BTreeMap<String, String> {
    let mut t = BTreeMap::new();
    t.insert("team".into(), team.into());
    t.insert("environment".into(), env.into());
    t.insert("data-sensitivity".into(), sensitivity.into());
    t
}

struct Builder {
    inv: Inventory,
}

impl Builder {
    fn role(
        &mut self,
        account: &str,
        name: &str,
        inline: Vec<(&str, Document)>,
        managed: &[&str],
        boundary: Option<&str>,
    ) -> String {
        let arn = format!("arn:aws:iam::{account}:role/{name}");
        self.inv.roles.push(Role {
            arn: arn.clone(),
            name: name.into(),
            account: account.into(),
            path: "/".into(),
            trust_policy: lambda_trust(),
            inline_policies: inline
                .into_iter()
                .map(|(n, d)| NamedDocument {
                    name: n.into(),
                    arn: None,
                    document: d,
                })
                .collect(),
            managed_policy_arns: managed.iter().map(|s| s.to_string()).collect(),
            permissions_boundary_arn: boundary.map(str::to_string),
            tags: BTreeMap::new(),
            last_used: Some(LastUsed {
                date: Some("2026-11-28T09:14:00Z".into()),
                region: Some("us-east-1".into()),
            }),
            create_date: Some("2024-03-11T10:00:00Z".into()),
            role_id: None,
        });
        arn
    }

    fn role_mut(&mut self, arn: &str) -> Option<&mut Role> {
        self.inv.roles.iter_mut().find(|r| r.arn == arn)
    }

    #[allow(clippy::too_many_arguments)]
    fn function(
        &mut self,
        account: &str,
        region: &str,
        name: &str,
        role_arn: &str,
        team: &str,
        env: &str,
        sensitivity: &str,
        runtime: &str,
    ) -> usize {
        self.inv.functions.push(Function {
            arn: format!("arn:aws:lambda:{region}:{account}:function:{name}"),
            name: name.into(),
            account: account.into(),
            region: region.into(),
            runtime: Some(runtime.into()),
            role_arn: role_arn.into(),
            tags: tags(team, env, sensitivity),
            last_modified: Some("2026-10-02T08:30:00.000+0000".into()),
            ..Default::default()
        });
        self.inv.functions.len() - 1
    }

    fn boundary_arn(account: &str) -> String {
        format!("arn:aws:iam::{account}:policy/lambda-permissions-boundary")
    }

    /// A clean function: its own least-privilege role, named by convention, with a boundary.
    #[allow(clippy::too_many_arguments)]
    fn clean(
        &mut self,
        account: &str,
        region: &str,
        service: &str,
        function: &str,
        team: &str,
        env: &str,
        sensitivity: &str,
        grant: Value,
    ) {
        let name = format!("{service}-{function}");
        let role_name = format!("lambda-{service}-{function}-role");
        let boundary = Self::boundary_arn(account);
        let mut stmts = vec![logs(account, &name)];
        stmts.push(grant);
        let arn = self.role(
            account,
            &role_name,
            vec![("least-privilege", doc(Value::Array(stmts)))],
            &[],
            Some(&boundary),
        );
        if let Some(r) = self.role_mut(&arn) {
            r.tags = tags(team, env, sensitivity);
        }
        self.function(
            account,
            region,
            &name,
            &arn,
            team,
            env,
            sensitivity,
            "python3.12",
        );
    }
}

/// Builds the demo inventory.
pub fn demo_inventory() -> Inventory {
    let mut b = Builder {
        inv: Inventory::new("demo"),
    };
    b.inv.collected_at = Some("2026-11-30T06:00:00Z".into());
    b.inv.regions = REGIONS.iter().map(|s| s.to_string()).collect();

    // ---- Organization: root FullAWSAccess, a prod OU with guardrails, a sandbox OU.
    let full = NamedDocument {
        name: "FullAWSAccess".into(),
        arn: Some(
            "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess".into(),
        ),
        document: doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
    };
    let guardrails = NamedDocument {
        name: "prod-guardrails".into(),
        arn: Some(
            "arn:aws:organizations::100000000000:policy/o-demo/service_control_policy/p-guard"
                .into(),
        ),
        document: doc(json!([
            {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "NoLeavingOrg", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"},
            {"Sid": "ProtectCloudTrail", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"], "Resource": "*"},
            {"Sid": "NoIamUsers", "Effect": "Deny", "Action": ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"], "Resource": "*"},
            {"Sid": "ApprovedRegions", "Effect": "Deny",
             "NotAction": ["iam:*", "sts:*", "organizations:*", "support:*", "cloudfront:*", "route53:*"],
             "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}
        ])),
    };
    let level = |target: &str, name: &str, p: &NamedDocument| ScpLevel {
        target: target.into(),
        name: name.into(),
        policies: vec![p.clone()],
    };
    for (id, name, ou) in [
        (PAYMENTS, "acme-payments-prod", "prod"),
        (DATA, "acme-data-prod", "prod"),
        (SANDBOX, "acme-sandbox", "sandbox"),
    ] {
        let mut levels = vec![level("r-demo", "Root", &full)];
        if ou == "prod" {
            levels.push(level("ou-demo-prod", "Production", &guardrails));
        } else {
            levels.push(level("ou-demo-sandbox", "Sandbox", &full));
        }
        levels.push(level(id, name, &full));
        b.inv.accounts.push(Account {
            id: id.into(),
            name: Some(name.into()),
            scp_levels: levels,
            ..Default::default()
        });
    }

    // ---- Customer managed policies: the standard boundary per account, a weak one, a shared one.
    for acct in [PAYMENTS, DATA, SANDBOX] {
        b.inv.managed_policies.push(ManagedPolicy {
            arn: Builder::boundary_arn(acct),
            name: "lambda-permissions-boundary".into(),
            default_version: Some("v3".into()),
            document: doc(json!([
                {"Sid": "ServiceCeiling", "Effect": "Allow",
                 "Action": ["logs:*", "dynamodb:*", "s3:*", "sqs:*", "sns:*", "events:*", "kms:Decrypt",
                            "secretsmanager:GetSecretValue", "ssm:GetParameter*", "xray:*", "states:StartExecution",
                            "lambda:InvokeFunction", "execute-api:Invoke", "cloudwatch:PutMetricData"],
                 "Resource": "*"},
                {"Sid": "NoBucketDeletion", "Effect": "Deny", "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"], "Resource": "*"}
            ])),
        });
    }
    b.inv.managed_policies.push(ManagedPolicy {
        arn: format!("arn:aws:iam::{SANDBOX}:policy/sandbox-boundary"),
        name: "sandbox-boundary".into(),
        default_version: Some("v1".into()),
        document: doc(
            json!([{"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}]),
        ),
    });
    b.inv.managed_policies.push(ManagedPolicy {
        arn: format!("arn:aws:iam::{DATA}:policy/etl-data-access"),
        name: "etl-data-access".into(),
        default_version: Some("v7".into()),
        document: doc(json!([
            {"Sid": "ReadLake", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::acme-data-lake", "arn:aws:s3:::acme-data-lake/*"]},
            {"Sid": "WriteCurated", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme-data-curated/*"}
        ])),
    });

    // ---- Clean functions (own role, convention name, boundary, tags, scoped grants).
    let table = |acct: &str, region: &str, name: &str| {
        json!({"Sid": "Table", "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
        "Resource": format!("arn:aws:dynamodb:{region}:{acct}:table/{name}")})
    };
    let queue = |acct: &str, region: &str, name: &str| {
        json!({"Sid": "Queue", "Effect": "Allow",
        "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        "Resource": format!("arn:aws:sqs:{region}:{acct}:{name}")})
    };
    let bucket_read = |bucket: &str| {
        json!({"Sid": "ReadBucket", "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::{bucket}/*")})
    };
    let publish = |acct: &str, region: &str, topic: &str| {
        json!({"Sid": "Publish", "Effect": "Allow", "Action": "sns:Publish",
        "Resource": format!("arn:aws:sns:{region}:{acct}:{topic}")})
    };
    let clean: Vec<(&str, &str, &str, &str, &str, &str, Value)> = vec![
        (
            PAYMENTS,
            "us-east-1",
            "payments",
            "invoice-render",
            "payments",
            "confidential",
            table(PAYMENTS, "us-east-1", "invoices"),
        ),
        (
            PAYMENTS,
            "us-east-1",
            "payments",
            "refund-worker",
            "payments",
            "confidential",
            queue(PAYMENTS, "us-east-1", "refunds"),
        ),
        (
            PAYMENTS,
            "us-east-1",
            "payments",
            "ledger-writer",
            "payments",
            "restricted",
            table(PAYMENTS, "us-east-1", "ledger"),
        ),
        (
            PAYMENTS,
            "us-east-1",
            "payments",
            "fx-rates-sync",
            "payments",
            "internal",
            table(PAYMENTS, "us-east-1", "fx-rates"),
        ),
        (
            PAYMENTS,
            "us-east-1",
            "payments",
            "receipt-mailer",
            "payments",
            "confidential",
            publish(PAYMENTS, "us-east-1", "receipts"),
        ),
        (
            PAYMENTS,
            "eu-west-1",
            "payments",
            "sepa-batcher",
            "payments",
            "restricted",
            queue(PAYMENTS, "eu-west-1", "sepa-batches"),
        ),
        (
            PAYMENTS,
            "eu-west-1",
            "payments",
            "vat-calculator",
            "payments",
            "internal",
            table(PAYMENTS, "eu-west-1", "vat-rules"),
        ),
        (
            PAYMENTS,
            "eu-west-1",
            "checkout",
            "cart-expiry",
            "checkout",
            "internal",
            table(PAYMENTS, "eu-west-1", "carts"),
        ),
        (
            PAYMENTS,
            "eu-west-1",
            "checkout",
            "order-events",
            "checkout",
            "confidential",
            publish(PAYMENTS, "eu-west-1", "orders"),
        ),
        (
            PAYMENTS,
            "us-east-1",
            "checkout",
            "promo-validator",
            "checkout",
            "internal",
            table(PAYMENTS, "us-east-1", "promotions"),
        ),
        (
            PAYMENTS,
            "us-east-1",
            "checkout",
            "address-normalizer",
            "checkout",
            "confidential",
            queue(PAYMENTS, "us-east-1", "addresses"),
        ),
        (
            PAYMENTS,
            "us-east-1",
            "fraud",
            "score-transaction",
            "fraud",
            "restricted",
            table(PAYMENTS, "us-east-1", "fraud-scores"),
        ),
        (
            PAYMENTS,
            "eu-west-1",
            "fraud",
            "chargeback-intake",
            "fraud",
            "restricted",
            queue(PAYMENTS, "eu-west-1", "chargebacks"),
        ),
        (
            DATA,
            "us-east-1",
            "analytics",
            "clickstream-enricher",
            "data-platform",
            "internal",
            bucket_read("acme-clickstream-raw"),
        ),
        (
            DATA,
            "us-east-1",
            "analytics",
            "daily-rollup",
            "data-platform",
            "internal",
            table(DATA, "us-east-1", "rollups"),
        ),
        (
            DATA,
            "us-east-1",
            "analytics",
            "schema-registry-sync",
            "data-platform",
            "internal",
            table(DATA, "us-east-1", "schemas"),
        ),
        (
            DATA,
            "eu-west-1",
            "analytics",
            "gdpr-erasure",
            "privacy",
            "restricted",
            queue(DATA, "eu-west-1", "erasure-requests"),
        ),
        (
            DATA,
            "eu-west-1",
            "analytics",
            "consent-sync",
            "privacy",
            "confidential",
            table(DATA, "eu-west-1", "consents"),
        ),
        (
            DATA,
            "us-east-1",
            "ml",
            "feature-writer",
            "ml-platform",
            "internal",
            table(DATA, "us-east-1", "features"),
        ),
        (
            DATA,
            "us-east-1",
            "ml",
            "model-metrics",
            "ml-platform",
            "internal",
            publish(DATA, "us-east-1", "model-alerts"),
        ),
        (
            DATA,
            "eu-west-1",
            "ml",
            "batch-scoring-trigger",
            "ml-platform",
            "internal",
            queue(DATA, "eu-west-1", "scoring-jobs"),
        ),
        (
            DATA,
            "us-east-1",
            "search",
            "index-updater",
            "search",
            "internal",
            queue(DATA, "us-east-1", "index-updates"),
        ),
        (
            DATA,
            "us-east-1",
            "search",
            "synonym-loader",
            "search",
            "public",
            bucket_read("acme-search-synonyms"),
        ),
        (
            DATA,
            "eu-west-1",
            "search",
            "query-logger",
            "search",
            "internal",
            publish(DATA, "eu-west-1", "query-logs"),
        ),
        (
            SANDBOX,
            "us-east-1",
            "platform",
            "cost-reporter",
            "platform",
            "internal",
            table(SANDBOX, "us-east-1", "cost-reports"),
        ),
        (
            SANDBOX,
            "us-east-1",
            "platform",
            "tag-auditor",
            "platform",
            "internal",
            publish(SANDBOX, "us-east-1", "tag-findings"),
        ),
        (
            SANDBOX,
            "eu-west-1",
            "platform",
            "ami-cleanup-notifier",
            "platform",
            "internal",
            publish(SANDBOX, "eu-west-1", "ami-cleanup"),
        ),
        (
            SANDBOX,
            "eu-west-1",
            "platform",
            "sandbox-expiry",
            "platform",
            "internal",
            table(SANDBOX, "eu-west-1", "sandboxes"),
        ),
        (
            PAYMENTS,
            "us-east-1",
            "notifications",
            "sms-sender",
            "growth",
            "confidential",
            queue(PAYMENTS, "us-east-1", "sms-outbox"),
        ),
        (
            PAYMENTS,
            "eu-west-1",
            "notifications",
            "push-sender",
            "growth",
            "internal",
            queue(PAYMENTS, "eu-west-1", "push-outbox"),
        ),
        (
            DATA,
            "us-east-1",
            "catalog",
            "price-feed",
            "merchandising",
            "public",
            table(DATA, "us-east-1", "prices"),
        ),
        (
            DATA,
            "eu-west-1",
            "catalog",
            "image-resizer",
            "merchandising",
            "public",
            bucket_read("acme-product-images"),
        ),
    ];
    for (acct, region, svc, func, team, sens, grant) in clean {
        b.clean(acct, region, svc, func, team, "prod", sens, grant);
    }

    // ---- Risky patterns, one or two functions each.
    let boundary_pay = Builder::boundary_arn(PAYMENTS);
    let boundary_data = Builder::boundary_arn(DATA);

    // LR101 admin-access: AdministratorAccess on a legacy ETL job, no boundary.
    let r = b.role(
        DATA,
        "legacy-etl-runner-role",
        vec![],
        &["arn:aws:iam::aws:policy/AdministratorAccess"],
        None,
    );
    b.function(
        DATA,
        "us-east-1",
        "legacy-etl-runner",
        &r,
        "data-platform",
        "prod",
        "restricted",
        "python3.9",
    );

    // Admin attached but capped by the standard boundary: not admin in effect.
    let r = b.role(
        PAYMENTS,
        "lambda-payments-reconciler-role",
        vec![],
        &["arn:aws:iam::aws:policy/AdministratorAccess"],
        Some(&boundary_pay),
    );
    if let Some(role) = b.role_mut(&r) {
        role.tags = tags("payments", "prod", "restricted");
    }
    b.function(
        PAYMENTS,
        "us-east-1",
        "payments-reconciler",
        &r,
        "payments",
        "prod",
        "restricted",
        "java21",
    );

    // LR102 service-wildcard + LR204 data-exfiltration: s3:* on *.
    let r = b.role(
        DATA,
        "report-exporter-role",
        vec![(
            "s3-everything",
            doc(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])),
        )],
        &[],
        Some(&boundary_data),
    );
    b.function(
        DATA,
        "us-east-1",
        "report-exporter",
        &r,
        "finance",
        "prod",
        "confidential",
        "nodejs20.x",
    );

    // LR104 allow-not-action.
    let r = b.role(SANDBOX, "ops-automation-role", vec![("not-iam", doc(json!([{"Sid": "EverythingButIam", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}])))], &[], None);
    b.function(
        SANDBOX,
        "us-east-1",
        "ops-automation",
        &r,
        "platform",
        "sandbox",
        "internal",
        "python3.12",
    );

    // LR105 allow-not-resource.
    let r = b.role(DATA, "media-transcoder-role", vec![("media", doc(json!([{"Sid": "AllButVault", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "NotResource": "arn:aws:s3:::acme-legal-vault/*"}])))], &[], Some(&boundary_data));
    b.function(
        DATA,
        "eu-west-1",
        "media-transcoder",
        &r,
        "merchandising",
        "prod",
        "internal",
        "provided.al2023",
    );

    // LR106 full-access-managed-policy.
    let r = b.role(
        PAYMENTS,
        "crm-sync-role",
        vec![],
        &[
            "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        ],
        None,
    );
    b.function(
        PAYMENTS,
        "eu-west-1",
        "crm-sync",
        &r,
        "growth",
        "prod",
        "confidential",
        "nodejs20.x",
    );

    // LR201 privilege-escalation via PassRole + lambda:CreateFunction; LR206 pass-role-unscoped.
    let r = b.role(SANDBOX, "deploy-helper-role", vec![("deployer", doc(json!([
        {"Sid": "PassAnyRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
        {"Sid": "ManageFunctions", "Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction", "lambda:UpdateFunctionCode"], "Resource": "*"}
    ])))], &[], None);
    b.function(
        SANDBOX,
        "us-east-1",
        "deploy-helper",
        &r,
        "platform",
        "sandbox",
        "internal",
        "python3.12",
    );

    // PassRole scoped to one low-privilege role: not escalation.
    let r = b.role(SANDBOX, "lambda-platform-canary-deployer-role", vec![("canary", doc(json!([
        {"Sid": "PassCanaryRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{SANDBOX}:role/lambda-platform-cost-reporter-role"),
         "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
        {"Sid": "UpdateCanary", "Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:UpdateFunctionCode"], "Resource": format!("arn:aws:lambda:us-east-1:{SANDBOX}:function:canary-*")}
    ])))], &[], Some(&Builder::boundary_arn(SANDBOX)));
    if let Some(role) = b.role_mut(&r) {
        role.tags = tags("platform", "sandbox", "internal");
    }
    b.function(
        SANDBOX,
        "us-east-1",
        "platform-canary-deployer",
        &r,
        "platform",
        "sandbox",
        "internal",
        "python3.12",
    );

    // LR202 permissions-management + escalation through PutRolePolicy.
    let r = b.role(PAYMENTS, "role-tagger-role", vec![("tagging", doc(json!([
        {"Sid": "TagAndFix", "Effect": "Allow", "Action": ["iam:TagRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:ListRoles"], "Resource": "*"}
    ])))], &[], None);
    b.function(
        PAYMENTS,
        "us-east-1",
        "role-tagger",
        &r,
        "security",
        "prod",
        "internal",
        "python3.11",
    );

    // LR203 credentials-exposure.
    let r = b.role(DATA, "token-broker-role", vec![("broker", doc(json!([
        {"Sid": "AssumeAnything", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
        {"Sid": "RegistryLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    ])))], &[], None);
    b.function(
        DATA,
        "us-east-1",
        "token-broker",
        &r,
        "ml-platform",
        "prod",
        "confidential",
        "go1.x",
    );

    // LR204 data-exfiltration: secrets and keys on *.
    let r = b.role(PAYMENTS, "secrets-rotator-role", vec![("rotation", doc(json!([
        {"Sid": "ReadAllSecrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], "Resource": "*"},
        {"Sid": "DecryptAll", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
    ])))], &[], Some(&boundary_pay));
    b.function(
        PAYMENTS,
        "us-east-1",
        "secrets-rotator",
        &r,
        "security",
        "prod",
        "restricted",
        "python3.12",
    );

    // The same grant, but only from inside the VPC: reported at lower severity with the condition.
    let r = b.role(PAYMENTS, "lambda-payments-card-vault-reader-role", vec![("vault", doc(json!([
        {"Sid": "SecretsFromVpcOnly", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-0a1b2c3d"}}}
    ])))], &[], Some(&boundary_pay));
    if let Some(role) = b.role_mut(&r) {
        role.tags = tags("payments", "prod", "restricted");
    }
    b.function(
        PAYMENTS,
        "us-east-1",
        "payments-card-vault-reader",
        &r,
        "payments",
        "prod",
        "restricted",
        "python3.12",
    );

    // LR205 infrastructure-modification.
    let r = b.role(SANDBOX, "autoscaler-role", vec![("ec2", doc(json!([
        {"Sid": "ScaleFleet", "Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:TerminateInstances", "ec2:ModifyInstanceAttribute", "autoscaling:*"], "Resource": "*"}
    ])))], &[], None);
    b.function(
        SANDBOX,
        "eu-west-1",
        "autoscaler",
        &r,
        "platform",
        "sandbox",
        "internal",
        "python3.12",
    );

    // Denied by an explicit deny in the policy itself: not reported as granted.
    let r = b.role(DATA, "lambda-analytics-table-admin-role", vec![("tables", doc(json!([
        {"Sid": "Dynamo", "Effect": "Allow", "Action": "dynamodb:*", "Resource": format!("arn:aws:dynamodb:us-east-1:{DATA}:table/analytics-*")},
        {"Sid": "NeverDelete", "Effect": "Deny", "Action": ["dynamodb:DeleteTable", "dynamodb:DeleteBackup"], "Resource": "*"}
    ])))], &[], Some(&boundary_data));
    if let Some(role) = b.role_mut(&r) {
        role.tags = tags("data-platform", "prod", "internal");
    }
    b.function(
        DATA,
        "us-east-1",
        "analytics-table-admin",
        &r,
        "data-platform",
        "prod",
        "internal",
        "python3.12",
    );

    // LR301 shared-role: one role, four functions, three teams.
    let r = b.role(PAYMENTS, "shared-worker-role", vec![("worker", doc(json!([
        {"Sid": "Queues", "Effect": "Allow", "Action": ["sqs:*"], "Resource": format!("arn:aws:sqs:*:{PAYMENTS}:*")},
        {"Sid": "Tables", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": format!("arn:aws:dynamodb:*:{PAYMENTS}:table/*")}
    ])))], &["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"], Some(&boundary_pay));
    for (region, name, team) in [
        ("us-east-1", "email-digest", "growth"),
        ("us-east-1", "webhook-retry", "checkout"),
        ("eu-west-1", "invoice-archiver", "payments"),
        ("eu-west-1", "loyalty-points", "growth"),
    ] {
        b.function(
            PAYMENTS,
            region,
            name,
            &r,
            team,
            "prod",
            "confidential",
            "nodejs20.x",
        );
    }

    // LR302 orphaned-role: trusts Lambda, used by no function.
    let r = b.role(
        DATA,
        "lambda-migration-2023-role",
        vec![(
            "migrate",
            doc(json!([{"Effect": "Allow", "Action": ["rds:*", "s3:*"], "Resource": "*"}])),
        )],
        &[],
        None,
    );
    if let Some(role) = b.role_mut(&r) {
        role.last_used = Some(LastUsed {
            date: Some("2023-09-14T22:10:00Z".into()),
            region: Some("us-east-1".into()),
        });
    }

    // LR303 dormant-function: last used long ago.
    let r = b.role(
        PAYMENTS,
        "lambda-payments-legacy-paypal-ipn-role",
        vec![(
            "ipn",
            doc(json!([table(PAYMENTS, "us-east-1", "paypal-ipn")])),
        )],
        &[],
        Some(&boundary_pay),
    );
    if let Some(role) = b.role_mut(&r) {
        role.tags = tags("payments", "prod", "confidential");
        role.last_used = Some(LastUsed {
            date: Some("2026-02-01T10:00:00Z".into()),
            region: Some("us-east-1".into()),
        });
    }
    b.function(
        PAYMENTS,
        "us-east-1",
        "payments-legacy-paypal-ipn",
        &r,
        "payments",
        "prod",
        "confidential",
        "python3.9",
    );

    // LR305 weak-permission-boundary.
    let weak = format!("arn:aws:iam::{SANDBOX}:policy/sandbox-boundary");
    let r = b.role(SANDBOX, "lambda-platform-experiment-role", vec![("exp", doc(json!([{"Effect": "Allow", "Action": ["iam:CreateRole", "iam:AttachRolePolicy", "s3:*"], "Resource": "*"}])))], &[], Some(&weak));
    if let Some(role) = b.role_mut(&r) {
        role.tags = tags("platform", "sandbox", "internal");
    }
    b.function(
        SANDBOX,
        "eu-west-1",
        "platform-experiment",
        &r,
        "platform",
        "sandbox",
        "internal",
        "python3.12",
    );

    // LR306 role-naming + LR307 missing-ownership-tags: a CDK-generated name.
    let r = b.role(
        DATA,
        "SearchStack-IndexerFunctionServiceRole3F2A9C1B-1XK2J3L4M5N6",
        vec![],
        &[
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            format!("arn:aws:iam::{DATA}:policy/etl-data-access").as_str(),
        ],
        None,
    );
    b.function(
        DATA,
        "us-east-1",
        "SearchStack-IndexerFunction8A1B2C3D-Xy12Ab34Cd56",
        &r,
        "search",
        "prod",
        "internal",
        "nodejs20.x",
    );

    // LR401 trust-any-principal.
    let r = b.role(
        SANDBOX,
        "debug-shell-role",
        vec![(
            "debug",
            doc(
                json!([{"Effect": "Allow", "Action": ["logs:*", "cloudwatch:*"], "Resource": "*"}]),
            ),
        )],
        &[],
        None,
    );
    if let Some(role) = b.role_mut(&r) {
        role.trust_policy = doc(json!([
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Sid": "AnyoneForDebugging", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
        ]));
    }
    b.function(
        SANDBOX,
        "us-east-1",
        "debug-shell",
        &r,
        "platform",
        "sandbox",
        "internal",
        "python3.12",
    );

    // LR402 trust-cross-account (a vendor account) + LR403 trust-non-lambda-service.
    let r = b.role(
        DATA,
        "partner-feed-ingest-role",
        vec![("ingest", doc(json!([bucket_read("acme-partner-feeds")])))],
        &[],
        Some(&boundary_data),
    );
    if let Some(role) = b.role_mut(&r) {
        role.trust_policy = doc(json!([
            {"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"},
            {"Sid": "VendorAccess", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{VENDOR}:root")}, "Action": "sts:AssumeRole"}
        ]));
        role.tags = tags("data-platform", "prod", "confidential");
    }
    b.function(
        DATA,
        "eu-west-1",
        "partner-feed-ingest",
        &r,
        "data-platform",
        "prod",
        "confidential",
        "python3.12",
    );

    // LR501 public-function-url + API Gateway trigger: an internet-facing function.
    let r = b.role(PAYMENTS, "lambda-checkout-webhook-receiver-role", vec![("hook", doc(json!([queue(PAYMENTS, "us-east-1", "webhooks"), {"Sid": "SecretsAll", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}])))], &[], Some(&boundary_pay));
    if let Some(role) = b.role_mut(&r) {
        role.tags = tags("checkout", "prod", "restricted");
    }
    let i = b.function(
        PAYMENTS,
        "us-east-1",
        "checkout-webhook-receiver",
        &r,
        "checkout",
        "prod",
        "restricted",
        "nodejs20.x",
    );
    if let Some(f) = b.inv.functions.get_mut(i) {
        f.url = Some(FunctionUrl {
            auth_type: "NONE".into(),
            url: Some("https://abcdefghij.lambda-url.us-east-1.on.aws/".into()),
        });
        f.resource_policy = Some(doc(
            json!([{"Sid": "FunctionURLAllowPublicAccess", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl",
            "Resource": f.arn.clone(), "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}},
            {"Sid": "FunctionURLInvokeAllowPublicAccess", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
            "Resource": f.arn.clone(), "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}}]),
        ));
    }
    // LR502 public-resource-policy (no SourceArn) + LR503 cross-account-invoke.
    let r = b.role(
        DATA,
        "lambda-search-public-suggest-role",
        vec![(
            "suggest",
            doc(json!([table(DATA, "us-east-1", "suggestions")])),
        )],
        &[],
        Some(&boundary_data),
    );
    if let Some(role) = b.role_mut(&r) {
        role.tags = tags("search", "prod", "public");
    }
    let i = b.function(
        DATA,
        "us-east-1",
        "search-public-suggest",
        &r,
        "search",
        "prod",
        "public",
        "nodejs20.x",
    );
    if let Some(f) = b.inv.functions.get_mut(i) {
        f.resource_policy = Some(doc(json!([
            {"Sid": "AnyoneMayInvoke", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": f.arn.clone()},
            {"Sid": "VendorInvoke", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{VENDOR}:root")}, "Action": "lambda:InvokeFunction", "Resource": f.arn.clone()}
        ])));
        f.triggers.push(Trigger {
            kind: "apigateway-rest".into(),
            source_arn: Some(format!(
                "arn:aws:execute-api:us-east-1:{DATA}:a1b2c3d4e5/*/GET/suggest"
            )),
        });
    }
    // A correctly restricted resource policy (SourceArn): not public.
    if let Some(f) = b
        .inv
        .functions
        .iter_mut()
        .find(|f| f.name == "payments-refund-worker")
    {
        f.triggers.push(Trigger {
            kind: "sqs".into(),
            source_arn: Some(format!("arn:aws:sqs:us-east-1:{PAYMENTS}:refunds")),
        });
    }
    if let Some(f) = b
        .inv
        .functions
        .iter_mut()
        .find(|f| f.name == "analytics-clickstream-enricher")
    {
        f.resource_policy = Some(doc(
            json!([{"Sid": "S3Invoke", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": f.arn.clone(),
            "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::acme-clickstream-raw"}, "StringEquals": {"AWS:SourceAccount": DATA}}}]),
        ));
        f.triggers.push(Trigger {
            kind: "s3".into(),
            source_arn: Some("arn:aws:s3:::acme-clickstream-raw".into()),
        });
    }

    // LR901 unknown-action (a typo) and LR902 invalid-policy (a document that does not parse).
    let r = b.role(DATA, "lambda-analytics-export-csv-role", vec![
        ("export", doc(json!([{"Sid": "ReadExports", "Effect": "Allow", "Action": ["s3:GetObjekt", "s3:ListBucket"], "Resource": ["arn:aws:s3:::acme-exports", "arn:aws:s3:::acme-exports/*"]}]))),
        ("hand-edited", json!({"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "sns:Publish", "Resource": "*"}]}).into()),
    ], &[], Some(&boundary_data));
    if let Some(role) = b.role_mut(&r) {
        role.tags = tags("data-platform", "prod", "internal");
    }
    b.function(
        DATA,
        "us-east-1",
        "analytics-export-csv",
        &r,
        "data-platform",
        "prod",
        "internal",
        "python3.12",
    );

    // SCP denies what the role grants: iam:CreateUser is not effective in prod.
    let r = b.role(PAYMENTS, "lambda-security-break-glass-role", vec![("break-glass", doc(json!([{"Sid": "MakeUsers", "Effect": "Allow", "Action": ["iam:CreateUser", "iam:CreateAccessKey"], "Resource": "*"}])))], &[], None);
    if let Some(role) = b.role_mut(&r) {
        role.tags = tags("security", "prod", "internal");
    }
    b.function(
        PAYMENTS,
        "eu-west-1",
        "security-break-glass",
        &r,
        "security",
        "prod",
        "internal",
        "python3.12",
    );

    // A function without owner tags on a clean role.
    let r = b.role(
        SANDBOX,
        "lambda-platform-hello-world-role",
        vec![],
        &["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
        Some(&Builder::boundary_arn(SANDBOX)),
    );
    let i = b.function(
        SANDBOX,
        "us-east-1",
        "platform-hello-world",
        &r,
        "",
        "",
        "",
        "python3.12",
    );
    if let Some(f) = b.inv.functions.get_mut(i) {
        f.tags.clear();
    }

    b.inv.normalize();
    b.inv
}

/// The days the demo can show: day 1 is [`demo_inventory`]; days 2 and 3 are the same
/// Organization one and two weeks later, for trying history, drift and trends.
pub const DEMO_DAYS: u8 = 3;

/// The demo Organization as it stands on `day` (1 to [`DEMO_DAYS`]).
///
/// Day 2, a week later (collected 2026-12-07):
/// - **fixed**: `lambda-platform-experiment-role` no longer creates roles or attaches policies;
///   it reads one bucket;
/// - **widened**: `lambda-notifications-sms-sender-role` gains a hotfix statement,
///   `dynamodb:*` on every table;
/// - **reassigned**: `webhook-retry` moves from `shared-worker-role` to a new role of its own,
///   `lambda-checkout-webhook-retry-role`;
/// - **boundary removed**: `media-transcoder-role` loses `lambda-permissions-boundary`.
///
/// Day 3, two weeks later (collected 2026-12-14): as day 2, except that the experiment role's
/// old policy is back (a regression) and the hotfix statement is gone (fixed again).
pub fn demo_inventory_day(day: u8) -> Inventory {
    let mut inv = demo_inventory();
    if day < 2 {
        return inv;
    }
    inv.collected_at = Some(
        if day == 2 {
            "2026-12-07T06:00:00Z"
        } else {
            "2026-12-14T06:00:00Z"
        }
        .into(),
    );
    let deployed = if day == 2 {
        "2026-12-04T15:20:00.000+0000"
    } else {
        "2026-12-11T10:05:00.000+0000"
    };
    let set_policy = |inv: &mut Inventory, role: &str, name: &str, d: Document| {
        if let Some(r) = inv.roles.iter_mut().find(|r| r.name == role) {
            r.inline_policies = vec![NamedDocument {
                name: name.into(),
                arn: None,
                document: d,
            }];
        }
    };
    let redeploy = |inv: &mut Inventory, function: &str| {
        if let Some(f) = inv.functions.iter_mut().find(|f| f.name == function) {
            f.last_modified = Some(deployed.into());
        }
    };
    // The experiment role: fixed on day 2, its old policy back on day 3.
    if day == 2 {
        set_policy(
            &mut inv,
            "lambda-platform-experiment-role",
            "exp",
            doc(json!([{"Sid": "ReadExperiments", "Effect": "Allow",
                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-experiments/*"}])),
        );
        redeploy(&mut inv, "platform-experiment");
    }
    // The sms sender: a hotfix widens it on day 2; it is taken out again on day 3.
    if day == 2 {
        if let Some(r) = inv
            .roles
            .iter_mut()
            .find(|r| r.name == "lambda-notifications-sms-sender-role")
        {
            r.inline_policies.push(NamedDocument {
                name: "hotfix".into(),
                arn: None,
                document: doc(
                    json!([{"Sid": "Hotfix", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]),
                ),
            });
        }
    }
    redeploy(&mut inv, "notifications-sms-sender");
    // webhook-retry gets a role of its own.
    let own = format!("arn:aws:iam::{PAYMENTS}:role/lambda-checkout-webhook-retry-role");
    if let Some(shared) = inv
        .roles
        .iter()
        .find(|r| r.name == "shared-worker-role")
        .cloned()
    {
        let mut r = shared;
        r.arn = own.clone();
        r.name = "lambda-checkout-webhook-retry-role".into();
        r.create_date = Some("2026-12-04T15:00:00Z".into());
        r.managed_policy_arns.clear();
        r.inline_policies = vec![NamedDocument {
            name: "least-privilege".into(),
            arn: None,
            document: doc(
                json!([logs(PAYMENTS, "webhook-retry"), {"Sid": "Queue", "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": format!("arn:aws:sqs:us-east-1:{PAYMENTS}:webhook-retries")}]),
            ),
        }];
        r.tags = tags("checkout", "prod", "confidential");
        inv.roles.push(r);
    }
    if let Some(f) = inv.functions.iter_mut().find(|f| f.name == "webhook-retry") {
        f.role_arn = own;
        f.last_modified = Some(deployed.into());
    }
    // The media transcoder loses its boundary.
    if let Some(r) = inv
        .roles
        .iter_mut()
        .find(|r| r.name == "media-transcoder-role")
    {
        r.permissions_boundary_arn = None;
    }
    inv.normalize();
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_a_realistic_organization() {
        let inv = demo_inventory();
        assert_eq!(inv.accounts.len(), 3);
        assert_eq!(inv.regions.len(), 2);
        assert!(
            (55..=70).contains(&inv.functions.len()),
            "{} functions",
            inv.functions.len()
        );
        // every function's role exists
        for f in &inv.functions {
            assert!(inv.role(&f.role_arn).is_some(), "{} has no role", f.name);
        }
        assert_eq!(
            inv.functions_of(&format!("arn:aws:iam::{PAYMENTS}:role/shared-worker-role"))
                .count(),
            4
        );
        let json = serde_json::to_string(&inv).unwrap();
        let back: Inventory = serde_json::from_str(&json).unwrap();
        assert_eq!(back, inv);
    }
}
