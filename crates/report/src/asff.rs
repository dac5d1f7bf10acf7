//! AWS Security Finding Format, as `securityhub:BatchImportFindings` accepts it: GeneratorId is the
//! rule code, Id is deterministic (a re-import updates the same finding), Resources carry the role
//! and its functions with details.

use crate::Lookup;
use rolecall_checks::{Finding, ScanResult, Severity, RULES};
use rolecall_inventory::Inventory;
use serde_json::{json, Map, Value};

pub struct AsffOptions<'a> {
    /// Region for findings about IAM roles (global) and of the Security Hub product ARN.
    pub home_region: &'a str,
    /// RFC 3339 timestamp for CreatedAt/UpdatedAt (the scan's collection time).
    pub timestamp: &'a str,
}

fn label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Info => "INFORMATIONAL",
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The partition of an ARN (`aws` when it names none).
pub(crate) fn partition(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// The ASFF `Id` of a finding: stable across runs.
pub fn asff_id(f: &Finding, region: &str) -> String {
    format!("{region}/{}/rolecall/{}", f.account, f.id)
}

pub fn finding(f: &Finding, inv: Option<&Inventory>, o: &AsffOptions<'_>) -> Value {
    finding_in(f, &Lookup::new(inv), o)
}

fn finding_in(f: &Finding, lk: &Lookup<'_>, o: &AsffOptions<'_>) -> Value {
    let region = if f.region == "global" {
        o.home_region
    } else {
        f.region.as_str()
    };
    let rule = RULES.iter().find(|r| r.meta.code == f.code);
    let types: Vec<&str> = rule
        .map(|r| r.meta.asff_types.to_vec())
        .unwrap_or_else(|| vec!["Software and Configuration Checks"]);
    let compliance: Vec<&str> = rule.map(|r| r.meta.compliance.to_vec()).unwrap_or_default();
    let mut resources = Vec::new();
    let role_arn = if f.resource_arn.contains(":role/") {
        Some(f.resource_arn.clone())
    } else {
        lk.functions
            .get(f.resource_arn.as_str())
            .map(|x| x.role_arn.clone())
    };
    if let Some(role) = &role_arn {
        let mut details = Map::new();
        details.insert("RoleName".into(), json!(crate::short_name(role)));
        if let Some(r) = lk.roles.get(role.as_str()) {
            details.insert("Path".into(), json!(r.path));
            if let Some(b) = &r.permissions_boundary_arn {
                details.insert(
                    "PermissionsBoundary".into(),
                    json!({"PermissionsBoundaryArn": b, "PermissionsBoundaryType": "Policy"}),
                );
            }
        }
        resources.push(json!({"Type": "AwsIamRole", "Id": role, "Partition": partition(role), "Region": o.home_region, "Details": {"AwsIamRole": details}}));
    }
    for fa in &f.function_arns {
        let func = lk.functions.get(fa.as_str());
        let mut details = Map::new();
        details.insert("FunctionName".into(), json!(crate::short_name(fa)));
        if let Some(x) = func {
            details.insert("Role".into(), json!(x.role_arn));
            if let Some(rt) = &x.runtime {
                details.insert("Runtime".into(), json!(rt));
            }
        }
        let fregion = fa.split(':').nth(3).unwrap_or(region);
        resources.push(json!({"Type": "AwsLambdaFunction", "Id": fa, "Partition": partition(fa), "Region": fregion, "Details": {"AwsLambdaFunction": details}}));
    }
    if resources.is_empty() {
        resources.push(json!({"Type": "Other", "Id": f.resource_arn, "Partition": partition(&f.resource_arn), "Region": region}));
    }
    let evidence: Vec<String> = f
        .evidence
        .iter()
        .map(|e| format!("{} ({}): {}", e.policy, e.statement, e.actions.join(", ")))
        .collect();
    let mut user = Map::new();
    user.insert("risk_score".into(), json!(f.risk_score.to_string()));
    user.insert("rule_name".into(), json!(f.name));
    if let Some(t) = &f.team {
        user.insert("team".into(), json!(t));
    }
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": asff_id(f, region),
        "ProductArn": format!("arn:{}:securityhub:{region}:{}:product/{}/default", partition(&f.resource_arn), f.account, f.account),
        "GeneratorId": f.code,
        "AwsAccountId": f.account,
        "Types": types,
        "CreatedAt": o.timestamp,
        "UpdatedAt": o.timestamp,
        "Severity": {"Label": label(f.severity), "Original": f.severity.as_str()},
        "Title": clip(&f.title, 256),
        "Description": clip(&format!("{}. Evidence: {}", f.title, evidence.join("; ")), 1024),
        "Remediation": {"Recommendation": {"Text": clip(&f.remediation, 512), "Url": f.references.first().map(|u| u.to_string()).unwrap_or_default()}},
        "ProductFields": {"ProviderName": "rolecall", "ProviderVersion": env!("CARGO_PKG_VERSION"), "rolecall/FindingId": f.id},
        "Resources": resources,
        "Compliance": {"Status": "FAILED", "RelatedRequirements": compliance},
        "UserDefinedFields": user,
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    })
}

pub fn render(r: &ScanResult, inv: Option<&Inventory>, o: &AsffOptions<'_>) -> Value {
    let lk = Lookup::new(inv);
    Value::Array(r.findings.iter().map(|f| finding_in(f, &lk, o)).collect())
}
