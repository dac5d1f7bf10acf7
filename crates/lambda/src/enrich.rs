//! Security Hub enrichment: what rolecall's scan says about the role behind another product's
//! finding (its risk, effective permissions, escalation paths), as a note and user-defined fields.

use rolecall_checks::ScanResult;
use rolecall_publish::FindingNote;
use serde_json::Value;
use std::collections::BTreeMap;

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The note for `finding` when the scan covered a role or function it names.
pub fn note_for(finding: &Value, result: &ScanResult) -> Option<FindingNote> {
    // rolecall's own findings carry the analysis already; annotating them would loop.
    let ours = finding
        .get("ProductFields")
        .and_then(|p| p.get("ProviderName"))
        .and_then(Value::as_str)
        == Some("rolecall");
    if ours {
        return None;
    }
    let id = s(finding, "Id");
    let product = s(finding, "ProductArn");
    if id.is_empty() || product.is_empty() {
        return None;
    }
    let resources: Vec<&str> = finding
        .get("Resources")
        .and_then(Value::as_array)?
        .iter()
        .map(|r| s(r, "Id"))
        .filter(|r| !r.is_empty())
        .collect();
    // The role: named directly, or the execution role of a named function.
    let role = result.roles.iter().find(|r| {
        resources.contains(&r.arn.as_str())
            || result
                .functions
                .iter()
                .any(|f| f.role_arn == r.arn && resources.contains(&f.arn.as_str()))
    })?;
    let mut about: Vec<&rolecall_checks::Finding> = result
        .findings
        .iter()
        .filter(|f| {
            f.resource_arn == role.arn
                || f.function_arns
                    .iter()
                    .any(|a| resources.contains(&a.as_str()))
                || resources.contains(&f.resource_arn.as_str())
        })
        .collect();
    about.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.risk_score.cmp(&a.risk_score))
    });
    let escalation: Vec<&str> = about
        .iter()
        .filter(|f| f.code == "LR201")
        .map(|f| f.title.as_str())
        .collect();
    let mut note = format!(
        "rolecall: role {} (risk {}) allows {} action(s) in {} service(s){}{}; {} rolecall finding(s)",
        role.name,
        role.risk_score,
        role.allowed_actions,
        role.services,
        if role.admin { ", administrator" } else { "" },
        if role.permissions_boundary.is_some() { ", with a boundary" } else { ", no boundary" },
        about.len(),
    );
    for f in about.iter().take(3) {
        note.push_str(&format!("; [{}] {} {}", f.severity, f.code, f.title));
    }
    let mut fields = BTreeMap::new();
    fields.insert("rolecall/role".to_string(), role.arn.clone());
    fields.insert(
        "rolecall/risk_score".to_string(),
        role.risk_score.to_string(),
    );
    fields.insert(
        "rolecall/allowed_actions".to_string(),
        role.allowed_actions.to_string(),
    );
    fields.insert("rolecall/admin".to_string(), role.admin.to_string());
    fields.insert(
        "rolecall/findings".to_string(),
        about
            .iter()
            .map(|f| f.code.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    if !escalation.is_empty() {
        fields.insert("rolecall/escalation".to_string(), escalation.join(" | "));
    }
    Some(FindingNote {
        id: id.to_string(),
        product_arn: product.to_string(),
        note: note.chars().take(512).collect(),
        fields,
    })
}
