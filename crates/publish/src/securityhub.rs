//! Security Hub: `BatchImportFindings` in batches of 100 with deterministic ids (a re-run updates
//! the same findings); rolecall findings no longer present are imported again with Workflow
//! RESOLVED and RecordState ARCHIVED.

use crate::{describe, fail, PublishError};
use aws_config::SdkConfig;
use aws_sdk_securityhub::types::{
    AwsIamPermissionsBoundary, AwsIamRoleDetails, AwsLambdaFunctionDetails, AwsSecurityFinding,
    Compliance, ComplianceStatus, Recommendation, RecordState, Remediation, Resource,
    ResourceDetails, Severity, SeverityLabel, Workflow, WorkflowStatus,
};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SecurityHubOutcome {
    pub imported: usize,
    pub resolved: usize,
    pub failed: Vec<String>,
    /// Ids of rolecall findings in the scope that were active before this import (what is new
    /// is what is not among them).
    pub previously_active: Vec<String>,
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn map(v: Option<&Value>) -> HashMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, x)| (k.clone(), x.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Our ASFF JSON (rolecall_report::asff) as the SDK's type.
pub fn to_sdk(v: &Value) -> Result<AwsSecurityFinding, String> {
    let mut resources = Vec::new();
    for r in v
        .get("Resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mut details = ResourceDetails::builder();
        if let Some(role) = r.pointer("/Details/AwsIamRole") {
            let mut d = AwsIamRoleDetails::builder().role_name(s(role, "RoleName"));
            if let Some(b) = role.get("PermissionsBoundary") {
                d = d.permissions_boundary(
                    AwsIamPermissionsBoundary::builder()
                        .permissions_boundary_arn(s(b, "PermissionsBoundaryArn"))
                        .permissions_boundary_type(s(b, "PermissionsBoundaryType"))
                        .build(),
                );
            }
            details = details.aws_iam_role(d.build());
        }
        if let Some(f) = r.pointer("/Details/AwsLambdaFunction") {
            let mut d = AwsLambdaFunctionDetails::builder().function_name(s(f, "FunctionName"));
            if !s(f, "Role").is_empty() {
                d = d.role(s(f, "Role"));
            }
            if !s(f, "Runtime").is_empty() {
                d = d.runtime(s(f, "Runtime"));
            }
            details = details.aws_lambda_function(d.build());
        }
        resources.push(
            Resource::builder()
                .r#type(s(r, "Type"))
                .id(s(r, "Id"))
                .partition(s(r, "Partition").into())
                .region(s(r, "Region"))
                .details(details.build())
                .build(),
        );
    }
    let types: Vec<String> = v
        .get("Types")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    let related: Vec<String> = v
        .pointer("/Compliance/RelatedRequirements")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    let workflow = match v.pointer("/Workflow/Status").and_then(Value::as_str) {
        Some("RESOLVED") => WorkflowStatus::Resolved,
        _ => WorkflowStatus::New,
    };
    let record = match v.get("RecordState").and_then(Value::as_str) {
        Some("ARCHIVED") => RecordState::Archived,
        _ => RecordState::Active,
    };
    Ok(AwsSecurityFinding::builder()
        .schema_version(s(v, "SchemaVersion"))
        .id(s(v, "Id"))
        .product_arn(s(v, "ProductArn"))
        .generator_id(s(v, "GeneratorId"))
        .aws_account_id(s(v, "AwsAccountId"))
        .set_types(Some(types))
        .created_at(s(v, "CreatedAt"))
        .updated_at(s(v, "UpdatedAt"))
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(
                    v.pointer("/Severity/Label")
                        .and_then(Value::as_str)
                        .unwrap_or("INFORMATIONAL"),
                ))
                .original(
                    v.pointer("/Severity/Original")
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                )
                .build(),
        )
        .title(s(v, "Title"))
        .description(s(v, "Description"))
        .remediation(
            Remediation::builder()
                .recommendation(
                    Recommendation::builder()
                        .text(
                            v.pointer("/Remediation/Recommendation/Text")
                                .and_then(Value::as_str)
                                .unwrap_or(""),
                        )
                        .url(
                            v.pointer("/Remediation/Recommendation/Url")
                                .and_then(Value::as_str)
                                .unwrap_or(""),
                        )
                        .build(),
                )
                .build(),
        )
        .set_product_fields(Some(map(v.get("ProductFields"))))
        .set_user_defined_fields(Some(map(v.get("UserDefinedFields"))))
        .set_resources(Some(resources))
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::Failed)
                .set_related_requirements(Some(related))
                .build(),
        )
        .workflow(Workflow::builder().status(workflow).build())
        .record_state(record)
        .build())
}

/// Imports the current findings and resolves rolecall findings (in the scanned accounts) that are
/// no longer present.
pub async fn security_hub(
    cfg: &SdkConfig,
    findings: &[Value],
    scanned_accounts: &HashSet<String>,
    now: &str,
) -> Result<SecurityHubOutcome, PublishError> {
    security_hub_scoped(cfg, findings, Scope::Accounts(scanned_accounts), now).await
}

/// What a scan looked at, so what it did not find there is fixed.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// Whole accounts (an Organization or account scan).
    Accounts(&'a HashSet<String>),
    /// Only these resources (role and function ARNs): an event-driven scan of one role.
    Resources(&'a HashSet<String>),
}

/// [`security_hub`], resolving only stale findings about what `scope` covers.
pub async fn security_hub_scoped(
    cfg: &SdkConfig,
    findings: &[Value],
    scope: Scope<'_>,
    now: &str,
) -> Result<SecurityHubOutcome, PublishError> {
    let client = aws_sdk_securityhub::Client::new(cfg);
    let mut outcome = SecurityHubOutcome::default();
    let current: HashSet<&str> = findings.iter().map(|f| s(f, "Id")).collect();
    // What rolecall imported before and is still active.
    let mut stale = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_findings()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| fail("securityhub:GetFindings", describe(&e)))?;
        for f in page.findings() {
            let ours = f
                .product_fields()
                .and_then(|p| p.get("ProviderName"))
                .is_some_and(|p| p == "rolecall");
            let active = f.record_state() != Some(&RecordState::Archived);
            let in_scope = match scope {
                Scope::Accounts(accounts) => {
                    f.aws_account_id().is_some_and(|a| accounts.contains(a))
                }
                // Resources name the role and the functions the finding is about.
                Scope::Resources(arns) => f
                    .resources()
                    .iter()
                    .any(|r| r.id().is_some_and(|id| arns.contains(id))),
            };
            if ours && active && in_scope {
                if let Some(id) = f.id() {
                    outcome.previously_active.push(id.to_string());
                    if !current.contains(id) {
                        stale.push(f.clone());
                    }
                }
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() && Some(t) != token.as_deref() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut batch: Vec<AwsSecurityFinding> = Vec::new();
    for f in findings {
        batch.push(
            to_sdk(f).map_err(|e| fail("securityhub", format!("finding {}: {e}", s(f, "Id"))))?,
        );
    }
    outcome.imported = batch.len();
    for mut old in stale {
        old.workflow = Some(Workflow::builder().status(WorkflowStatus::Resolved).build());
        old.record_state = Some(RecordState::Archived);
        old.updated_at = Some(now.to_string());
        batch.push(old);
        outcome.resolved += 1;
    }
    for chunk in batch.chunks(100) {
        let out = client
            .batch_import_findings()
            .set_findings(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| fail("securityhub:BatchImportFindings", describe(&e)))?;
        for f in out.failed_findings() {
            outcome.failed.push(format!(
                "{}: {} {}",
                f.id().unwrap_or(""),
                f.error_code().unwrap_or(""),
                f.error_message().unwrap_or("")
            ));
        }
    }
    Ok(outcome)
}

/// rolecall's analysis attached to another product's finding.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FindingNote {
    pub id: String,
    pub product_arn: String,
    /// At most 512 characters (Security Hub's limit on a note).
    pub note: String,
    /// `rolecall/...` user-defined fields (each value at most 1,024 characters).
    pub fields: std::collections::BTreeMap<String, String>,
}

/// Adds rolecall's notes and fields to findings of other products (`BatchUpdateFindings`, the
/// call Security Hub keeps for customers' updates). Returns a summary line.
pub async fn annotate_findings(
    cfg: &SdkConfig,
    notes: &[FindingNote],
) -> Result<String, PublishError> {
    annotate_findings_with(&aws_sdk_securityhub::Client::new(cfg), notes).await
}

/// [`annotate_findings`] through a given client (tests hand it recorded responses: moto has no
/// `BatchUpdateFindings`).
pub async fn annotate_findings_with(
    client: &aws_sdk_securityhub::Client,
    notes: &[FindingNote],
) -> Result<String, PublishError> {
    use aws_sdk_securityhub::types::{AwsSecurityFindingIdentifier, NoteUpdate};
    let mut processed = 0usize;
    let mut unprocessed = Vec::new();
    // One call per finding: BatchUpdateFindings applies one note to every finding it names,
    // and each finding gets its own.
    {
        for n in notes {
            let id = AwsSecurityFindingIdentifier::builder()
                .id(&n.id)
                .product_arn(&n.product_arn)
                .build();
            let note = NoteUpdate::builder()
                .text(n.note.chars().take(512).collect::<String>())
                .updated_by("rolecall")
                .build();
            let out = client
                .batch_update_findings()
                .finding_identifiers(id)
                .note(note)
                .set_user_defined_fields(Some(
                    n.fields
                        .iter()
                        .map(|(k, v)| (k.clone(), v.chars().take(1024).collect()))
                        .collect(),
                ))
                .send()
                .await
                .map_err(|e| fail("securityhub:BatchUpdateFindings", describe(&e)))?;
            processed += out.processed_findings().len();
            for u in out.unprocessed_findings() {
                unprocessed.push(format!(
                    "{}: {}",
                    u.finding_identifier().and_then(|i| i.id()).unwrap_or(""),
                    u.error_message().unwrap_or(u.error_code().unwrap_or(""))
                ));
            }
        }
    }
    if unprocessed.is_empty() {
        Ok(format!("{processed} finding(s) annotated"))
    } else {
        Err(fail(
            "securityhub:BatchUpdateFindings",
            format!(
                "{} not annotated: {}",
                unprocessed.len(),
                unprocessed.join("; ")
            ),
        ))
    }
}
