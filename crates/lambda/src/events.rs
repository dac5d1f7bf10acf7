//! What invoked the function: the event shapes rolecall answers, read into [`Trigger`]s. Pure: no
//! AWS call here, so every shape is tested from recorded events.
//!
//! - AWS Config custom rule invocations (`invokingEvent` is a JSON string):
//!   `ConfigurationItemChangeNotification`, `OversizedConfigurationItemChangeNotification`,
//!   `ScheduledNotification`.
//! - EventBridge `AWS API Call via CloudTrail` from `aws.iam` (delivered in us-east-1 only) and
//!   `aws.lambda` (versioned event names such as `UpdateFunctionConfiguration20150331v2`).
//! - EventBridge `Security Hub Findings - Imported`.
//! - A schedule: EventBridge Scheduler's or a rule's `Scheduled Event`, or rolecall's own task
//!   input `{"rolecall": {"task": "scheduled-scan"}}`.

use rolecall_collect::Target;
use serde_json::Value;

/// The IAM API calls that change what a role may do.
pub const IAM_EVENTS: &[&str] = &[
    "CreateRole",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "UpdateAssumeRolePolicy",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "CreatePolicyVersion",
    "SetDefaultPolicyVersion",
];

/// Lambda API calls, by the prefix of their versioned CloudTrail event names
/// (`CreateFunction20150331`, `UpdateFunctionConfiguration20150331v2`, `AddPermission20150331v2`,
/// `CreateFunctionUrlConfig20211031`, `UpdateFunctionUrlConfig20211031`).
pub const LAMBDA_EVENT_PREFIXES: &[&str] = &[
    "CreateFunctionUrlConfig",
    "UpdateFunctionUrlConfig",
    "CreateFunction",
    "UpdateFunctionConfiguration",
    "AddPermission",
];

/// The invocation fields of an AWS Config custom rule event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleInvocation {
    pub result_token: String,
    pub rule_parameters: Value,
    pub account_id: String,
    pub config_rule_name: String,
    pub event_left_scope: bool,
    /// `notificationCreationTime` of the invoking event.
    pub notification_time: String,
}

/// A change that CloudTrail recorded and EventBridge delivered.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiCall {
    pub event_name: String,
    pub event_source: String,
    pub event_id: String,
    pub event_time: String,
    pub account: String,
    pub region: String,
    /// `userIdentity.arn` (or its principal id when there is no ARN).
    pub caller: String,
    /// Set when the call failed: nothing changed.
    pub error_code: Option<String>,
    pub target: Target,
}

/// One invocation, understood.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// `ConfigurationItemChangeNotification`: the item is in the event.
    ConfigChange {
        rule: RuleInvocation,
        item: Value,
    },
    /// `OversizedConfigurationItemChangeNotification`: only a summary; the resource is read.
    ConfigOversized {
        rule: RuleInvocation,
        summary: Value,
    },
    /// `ScheduledNotification`: every execution role and function of the account.
    ConfigScheduled {
        rule: RuleInvocation,
    },
    ApiCall(ApiCall),
    /// `Security Hub Findings - Imported`: other products' findings about roles and functions.
    SecurityHubImported {
        findings: Vec<Value>,
    },
    /// A schedule: the Organization scan in one invocation.
    ScheduledScan {
        input: Value,
    },
    /// Step Functions, first state: the Organization's accounts, and whether to fan out.
    PlanScan,
    /// Step Functions, one Distributed Map item: one account into a snapshot in S3.
    CollectAccount {
        account: String,
        run: String,
    },
    /// Step Functions, last state: the snapshots merged, scanned and published.
    MergeScan {
        run: String,
    },
}

impl Trigger {
    /// A short name for the output (`config-change`, `api-call`...).
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::ConfigChange { .. } => "config-change",
            Trigger::ConfigOversized { .. } => "config-oversized-change",
            Trigger::ConfigScheduled { .. } => "config-scheduled",
            Trigger::ApiCall(_) => "api-call",
            Trigger::SecurityHubImported { .. } => "security-hub-imported",
            Trigger::ScheduledScan { .. } => "scheduled-scan",
            Trigger::PlanScan => "plan-scan",
            Trigger::CollectAccount { .. } => "collect-account",
            Trigger::MergeScan { .. } => "merge-scan",
        }
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Reads an invocation event. The error says what the event lacked, naming the field.
pub fn parse(event: &Value) -> Result<Trigger, String> {
    if !event.is_object() {
        return Err("the event is not a JSON object".into());
    }
    if let Some(invoking) = event.get("invokingEvent") {
        return config_rule(event, invoking);
    }
    if let Some(task) = event.get("rolecall") {
        // A run id names an S3 prefix: keep it to characters that cannot leave it.
        let run = || -> Result<String, String> {
            let r = s(task, "run");
            if r.is_empty()
                || r.len() > 128
                || !r
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
                || r.contains("..")
            {
                return Err(format!(
                    "`rolecall.run` `{r}`: expected the plan's run id (letters, digits, - _ . :)"
                ));
            }
            Ok(r.to_string())
        };
        return match s(task, "task") {
            "scheduled-scan" => Ok(Trigger::ScheduledScan {
                input: task.clone(),
            }),
            "plan-scan" => Ok(Trigger::PlanScan),
            "collect-account" => {
                // Step Functions passes the Map item: an account id, or the account object.
                let item = task.get("account").unwrap_or(&Value::Null);
                let account = item.as_str().or_else(|| item.get("id").and_then(Value::as_str)).unwrap_or_default();
                if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("`rolecall.account` `{account}`: expected a 12-digit account id"));
                }
                Ok(Trigger::CollectAccount { account: account.to_string(), run: run()? })
            }
            "merge-scan" => Ok(Trigger::MergeScan { run: run()? }),
            "" => Err("`rolecall.task` is missing".into()),
            other => Err(format!(
                "`rolecall.task` `{other}` is not one rolecall knows (scheduled-scan, plan-scan, collect-account, merge-scan)"
            )),
        };
    }
    match s(event, "detail-type") {
        "AWS API Call via CloudTrail" => api_call(event),
        "Security Hub Findings - Imported" => {
            let findings = event
                .get("detail")
                .and_then(|d| d.get("findings"))
                .and_then(Value::as_array)
                .ok_or("`detail.findings` is missing from the Security Hub event")?;
            Ok(Trigger::SecurityHubImported {
                findings: findings.clone(),
            })
        }
        "Scheduled Event" => Ok(Trigger::ScheduledScan {
            input: Value::Null,
        }),
        "" => Err(
            "unrecognised event: not an AWS Config rule invocation (no `invokingEvent`), an EventBridge event (no `detail-type`) or a rolecall task (no `rolecall`)"
                .into(),
        ),
        other => Err(format!(
            "EventBridge `detail-type` `{other}` is not one rolecall handles"
        )),
    }
}

fn config_rule(event: &Value, invoking: &Value) -> Result<Trigger, String> {
    // Config sends both as JSON text; a hand-written test event may send objects.
    let decode = |v: &Value, field: &str| -> Result<Value, String> {
        match v {
            Value::String(text) if text.trim().is_empty() => Ok(Value::Null),
            Value::String(text) => {
                serde_json::from_str(text).map_err(|e| format!("`{field}` is not JSON: {e}"))
            }
            other => Ok(other.clone()),
        }
    };
    let invoking = decode(invoking, "invokingEvent")?;
    let rule_parameters = match event.get("ruleParameters") {
        Some(p) => decode(p, "ruleParameters")?,
        None => Value::Null,
    };
    let rule = RuleInvocation {
        result_token: s(event, "resultToken").to_string(),
        rule_parameters,
        account_id: s(event, "accountId").to_string(),
        config_rule_name: s(event, "configRuleName").to_string(),
        event_left_scope: event
            .get("eventLeftScope")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        notification_time: s(&invoking, "notificationCreationTime").to_string(),
    };
    if rule.result_token.is_empty() {
        return Err("`resultToken` is missing from the AWS Config event".into());
    }
    match s(&invoking, "messageType") {
        "ConfigurationItemChangeNotification" => {
            let item = invoking
                .get("configurationItem")
                .filter(|i| i.is_object())
                .ok_or("`invokingEvent.configurationItem` is missing")?
                .clone();
            Ok(Trigger::ConfigChange { rule, item })
        }
        "OversizedConfigurationItemChangeNotification" => {
            let summary = invoking
                .get("configurationItemSummary")
                .filter(|i| i.is_object())
                .ok_or("`invokingEvent.configurationItemSummary` is missing")?
                .clone();
            Ok(Trigger::ConfigOversized { rule, summary })
        }
        "ScheduledNotification" => Ok(Trigger::ConfigScheduled { rule }),
        "" => Err("`invokingEvent.messageType` is missing".into()),
        other => Err(format!(
            "`invokingEvent.messageType` `{other}` is not one a rolecall rule answers"
        )),
    }
}

fn api_call(event: &Value) -> Result<Trigger, String> {
    let detail = event
        .get("detail")
        .filter(|d| d.is_object())
        .ok_or("`detail` is missing from the CloudTrail event")?;
    let event_name = s(detail, "eventName").to_string();
    let event_source = s(detail, "eventSource").to_string();
    let region = [s(detail, "awsRegion"), s(event, "region")]
        .into_iter()
        .find(|r| !r.is_empty())
        .unwrap_or_default()
        .to_string();
    let account = [s(detail, "recipientAccountId"), s(event, "account")]
        .into_iter()
        .find(|r| !r.is_empty())
        .unwrap_or_default()
        .to_string();
    let identity = detail.get("userIdentity").unwrap_or(&Value::Null);
    let caller = [
        s(identity, "arn"),
        s(identity, "principalId"),
        s(identity, "invokedBy"),
    ]
    .into_iter()
    .find(|r| !r.is_empty())
    .unwrap_or("(unknown caller)")
    .to_string();
    let request = detail.get("requestParameters").unwrap_or(&Value::Null);
    let response = detail.get("responseElements").unwrap_or(&Value::Null);
    let mut target = Target {
        account: account.clone(),
        ..Default::default()
    };
    match event_source.as_str() {
        "iam.amazonaws.com" => {
            if !IAM_EVENTS.contains(&event_name.as_str()) {
                return Err(format!(
                    "IAM event `{event_name}` does not change a role's permissions"
                ));
            }
            match event_name.as_str() {
                "CreatePolicyVersion" | "SetDefaultPolicyVersion" => {
                    let arn = s(request, "policyArn");
                    if arn.is_empty() {
                        return Err(format!(
                            "`detail.requestParameters.policyArn` is missing from {event_name}"
                        ));
                    }
                    target.policies.push(arn.to_string());
                }
                _ => {
                    let role = s(request, "roleName");
                    if role.is_empty() {
                        return Err(format!(
                            "`detail.requestParameters.roleName` is missing from {event_name}"
                        ));
                    }
                    target.roles.push(role.to_string());
                }
            }
        }
        "lambda.amazonaws.com" => {
            if !LAMBDA_EVENT_PREFIXES
                .iter()
                .any(|p| event_name.starts_with(p))
            {
                return Err(format!(
                    "Lambda event `{event_name}` does not change a function's role or exposure"
                ));
            }
            let function = [s(request, "functionName"), s(response, "functionArn")]
                .into_iter()
                .find(|r| !r.is_empty())
                .ok_or_else(|| {
                    format!("`detail.requestParameters.functionName` is missing from {event_name}")
                })?;
            target
                .functions
                .push((region.clone(), function.to_string()));
            // CreateFunction and UpdateFunctionConfiguration answer with the role: no lookup.
            let role = [s(response, "role"), s(request, "role")]
                .into_iter()
                .find(|r| !r.is_empty());
            if let Some(role) = role {
                target.roles.push(role.to_string());
            }
        }
        "" => return Err("`detail.eventSource` is missing from the CloudTrail event".into()),
        other => {
            return Err(format!(
                "CloudTrail events from `{other}` are not ones rolecall handles (iam, lambda)"
            ))
        }
    }
    Ok(Trigger::ApiCall(ApiCall {
        event_id: s(detail, "eventID").to_string(),
        event_time: s(detail, "eventTime").to_string(),
        error_code: detail
            .get("errorCode")
            .and_then(Value::as_str)
            .map(str::to_string),
        event_name,
        event_source,
        account,
        region,
        caller,
        target,
    }))
}

/// The roles and functions a Security Hub finding is about, by account.
pub fn finding_targets(findings: &[Value]) -> Vec<Target> {
    let mut by_account: std::collections::BTreeMap<String, Target> = Default::default();
    for f in findings {
        let ours = f
            .get("ProductFields")
            .and_then(|p| p.get("ProviderName"))
            .and_then(Value::as_str)
            == Some("rolecall");
        if ours {
            continue; // rolecall's own findings: enriching them would loop
        }
        let account = s(f, "AwsAccountId").to_string();
        let Some(resources) = f.get("Resources").and_then(Value::as_array) else {
            continue;
        };
        for r in resources {
            let id = s(r, "Id");
            let t = by_account.entry(account.clone()).or_insert_with(|| Target {
                account: account.clone(),
                ..Default::default()
            });
            match s(r, "Type") {
                "AwsIamRole" if id.contains(":role/") => t.roles.push(id.to_string()),
                "AwsLambdaFunction" if id.starts_with("arn:") => {
                    let region = id.split(':').nth(3).unwrap_or_default().to_string();
                    t.functions.push((region, id.to_string()));
                }
                _ => {}
            }
        }
    }
    by_account
        .into_values()
        .filter(|t| !t.roles.is_empty() || !t.functions.is_empty())
        .collect()
}
