//! SARIF 2.1.0: rule metadata and help from the rule documentation; each live finding located at
//! its role or function ARN as a logical location (templates add physical locations).

use crate::short_name;
use rolecall_checks::{ScanResult, Severity, RULES};
use serde_json::{json, Value};

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning reads `security-severity` (0.0–10.0) to rank alerts.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

pub fn render(r: &ScanResult) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            let m = &rule.meta;
            json!({
                "id": m.code,
                "name": m.name,
                "shortDescription": {"text": m.summary},
                "fullDescription": {"text": m.summary},
                "help": {"text": rule.doc(), "markdown": rule.doc()},
                "helpUri": m.references.first().copied().unwrap_or("https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html"),
                "defaultConfiguration": {"level": level(m.severity)},
                "properties": {
                    "tags": ["security", "iam", "lambda", m.name],
                    "security-severity": security_severity(m.severity),
                    "precision": "high",
                }
            })
        })
        .collect();
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let rule_index = RULES
                .iter()
                .position(|x| x.meta.code == f.code)
                .unwrap_or(0);
            let kind = if f.resource_arn.contains(":function:") {
                "function"
            } else {
                "resource"
            };
            let mut result = json!({
                "ruleId": f.code,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": {"text": f.title},
                "locations": [{
                    "logicalLocations": [{
                        "name": short_name(&f.resource_arn),
                        "fullyQualifiedName": f.resource_arn,
                        "kind": kind,
                    }]
                }],
                "partialFingerprints": {"rolecallFindingId/v1": f.id},
                "properties": {
                    "security-severity": security_severity(f.severity),
                    "severity": f.severity,
                    "risk_score": f.risk_score,
                    "account": f.account,
                    "region": f.region,
                    "function_arns": f.function_arns,
                    "evidence": f.evidence,
                    "team": f.team,
                    "status": f.status,
                    "first_seen": f.first_seen,
                }
            });
            // With history: SARIF's own comparison with the previous run (a regression is new
            // to this run; what the last scan also had is unchanged).
            let state = match f.status.as_deref() {
                Some("new" | "regressed") => Some("new"),
                Some("open") => Some("unchanged"),
                _ => None,
            };
            if let (Some(state), Some(o)) = (state, result.as_object_mut()) {
                o.insert("baselineState".into(), json!(state));
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "rolecall",
                "version": r.tool.version,
                "semanticVersion": r.tool.version,
                "informationUri": "https://example.invalid/rolecall",
                "rules": rules,
            }},
            "automationDetails": {"id": format!("rolecall/{}/", r.source)},
            "results": results,
            "properties": {"coverage": r.coverage, "summary": r.summary},
        }]
    })
}
