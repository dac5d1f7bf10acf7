//! OCSF 1.5.0 Detection Finding (class 2004, category 2 Findings) with the Cloud profile: the
//! format Security Hub (its OCSF findings), Security Lake and Prowler share. One record per
//! finding, in a JSON array; suppressed findings are included with `status_id` 3 (Suppressed)
//! so a downstream system can close what it had open.
//!
//! `finding_info.uid` is the ASFF id (stable across runs); `metadata.product.uid` is `rolecall`;
//! `cloud.account.uid` is the account: the three fields Security Hub's OCSF finding identifier
//! is made of. With history, `activity_id` is Create for a new finding and Update for one seen
//! before, and `finding_info.first_seen_time` is its first sighting.

use crate::asff::partition;
use crate::Lookup;
use rolecall_checks::{Finding, ScanResult, Severity, RULES};
use rolecall_inventory::Inventory;
use serde_json::{json, Value};

/// The OCSF schema version written.
pub const OCSF_VERSION: &str = "1.5.0";

fn severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// OCSF risk_level_id from rolecall's 0-100 risk score.
fn risk_level(score: u8) -> (u8, &'static str) {
    match score {
        0..=19 => (0, "Info"),
        20..=39 => (1, "Low"),
        40..=59 => (2, "Medium"),
        60..=79 => (3, "High"),
        _ => (4, "Critical"),
    }
}

/// Milliseconds since the epoch of an RFC 3339 UTC time (`YYYY-MM-DDTHH:MM:SS...Z`).
pub fn epoch_ms(at: &str) -> Option<i64> {
    let day = rolecall_inventory::day_number(at)?;
    let t = at.get(11..19)?;
    let mut it = t.split(':').map(|x| x.parse::<i64>().ok());
    let (h, m, s) = (it.next()??, it.next()??, it.next()??);
    Some((day * 86_400 + h * 3600 + m * 60 + s) * 1000)
}

fn set(v: &mut Value, key: &str, x: Value) {
    if let Some(o) = v.as_object_mut() {
        o.insert(key.into(), x);
    }
}

struct Ctx<'a> {
    lk: Lookup<'a>,
    account_names: std::collections::HashMap<&'a str, &'a str>,
    home_region: &'a str,
    at: &'a str,
    time: i64,
}

fn record(f: &Finding, suppressed: Option<&str>, c: &Ctx<'_>) -> Value {
    let region = if f.region == "global" {
        c.home_region
    } else {
        f.region.as_str()
    };
    let rule = RULES.iter().find(|r| r.meta.code == f.code);
    let (sev_id, sev) = severity(f.severity);
    let (risk_id, risk) = risk_level(f.risk_score);
    let (activity_id, activity) = match f.status.as_deref() {
        Some("open" | "regressed" | "suppressed") => (2, "Update"),
        _ => (1, "Create"),
    };
    let (status_id, status) = if suppressed.is_some() {
        (3, "Suppressed")
    } else {
        (1, "New")
    };
    let mut resources = Vec::new();
    let role_arn = if f.resource_arn.contains(":role/") {
        Some(f.resource_arn.clone())
    } else {
        c.lk.functions
            .get(f.resource_arn.as_str())
            .map(|x| x.role_arn.clone())
    };
    if let Some(role) = &role_arn {
        let mut data = serde_json::Map::new();
        if let Some(r) = c.lk.roles.get(role.as_str()) {
            if let Some(b) = &r.permissions_boundary_arn {
                data.insert("permissions_boundary_arn".into(), json!(b));
            }
        }
        resources.push(json!({
            "uid": role,
            "name": crate::short_name(role),
            "type": "AWS::IAM::Role",
            "cloud_partition": partition(role),
            "region": c.home_region,
            "data": data,
        }));
    }
    for fa in &f.function_arns {
        let mut data = serde_json::Map::new();
        if let Some(x) = c.lk.functions.get(fa.as_str()) {
            data.insert("role_arn".into(), json!(x.role_arn));
            if let Some(rt) = &x.runtime {
                data.insert("runtime".into(), json!(rt));
            }
        }
        resources.push(json!({
            "uid": fa,
            "name": crate::short_name(fa),
            "type": "AWS::Lambda::Function",
            "cloud_partition": partition(fa),
            "region": fa.split(':').nth(3).unwrap_or(region),
            "data": data,
        }));
    }
    if resources.is_empty() {
        resources.push(json!({"uid": f.resource_arn, "type": "Other", "region": region}));
    }
    let mut info = json!({
        "uid": crate::asff::asff_id(f, region),
        "title": f.title,
        "desc": rule.map(|r| r.meta.summary).unwrap_or(f.title.as_str()),
        "types": rule.map(|r| r.meta.asff_types.to_vec()).unwrap_or_default(),
        "created_time": c.time,
        "created_time_dt": c.at,
        "analytic": {"uid": f.code, "name": f.name, "type_id": 1, "type": "Rule"},
        "src_url": f.references.first().map(|u| u.to_string()),
    });
    if let Some(first) = f.first_seen.as_deref() {
        if let Some(t) = epoch_ms(first) {
            set(&mut info, "first_seen_time", json!(t));
            set(&mut info, "first_seen_time_dt", json!(first));
        }
        set(&mut info, "last_seen_time", json!(c.time));
        set(&mut info, "last_seen_time_dt", json!(c.at));
    }
    let account_name = c
        .account_names
        .get(f.account.as_str())
        .map(|a| a.to_string())
        .unwrap_or_else(|| f.account.clone());
    let evidence: Vec<Value> = f
        .evidence
        .iter()
        .map(|e| json!({"policy": e.policy, "statement": e.statement, "actions": e.actions}))
        .collect();
    let mut out = json!({
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "activity_id": activity_id,
        "activity_name": activity,
        "type_uid": 200400 + activity_id,
        "type_name": format!("Detection Finding: {activity}"),
        "severity_id": sev_id,
        "severity": sev,
        "status_id": status_id,
        "status": status,
        "time": c.time,
        "time_dt": c.at,
        "message": f.title,
        "risk_score": f.risk_score,
        "risk_level_id": risk_id,
        "risk_level": risk,
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "event_code": f.code,
            "uid": f.id,
            "product": {
                "name": "rolecall",
                "uid": "rolecall",
                "vendor_name": "rolecall",
                "version": env!("CARGO_PKG_VERSION"),
            },
        },
        "finding_info": info,
        "cloud": {
            "provider": "AWS",
            "region": region,
            "account": {"uid": f.account, "name": account_name, "type_id": 10, "type": "AWS Account"},
        },
        "resources": resources,
        "remediation": {"desc": f.remediation, "references": f.references},
        "unmapped": {"evidence": evidence, "team": f.team, "rolecall_status": f.status},
    });
    if let Some(reason) = suppressed {
        set(&mut out, "status_detail", json!(reason));
    }
    out
}

/// Every finding, then every suppressed finding, as OCSF Detection Findings.
pub fn render(r: &ScanResult, inv: Option<&Inventory>, home_region: &str) -> Value {
    let at = r
        .collected_at
        .clone()
        .unwrap_or_else(|| format!("{}T00:00:00Z", r.evaluated_on));
    let c = Ctx {
        lk: Lookup::new(inv),
        account_names: inv
            .map(|i| {
                i.accounts
                    .iter()
                    .filter_map(|a| {
                        a.name
                            .as_deref()
                            .filter(|n| !n.is_empty())
                            .map(|n| (a.id.as_str(), n))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        home_region,
        at: &at,
        time: epoch_ms(&at).unwrap_or(0),
    };
    Value::Array(
        r.findings
            .iter()
            .map(|f| record(f, None, &c))
            .chain(
                r.suppressed
                    .iter()
                    .map(|s| record(&s.finding, Some(s.reason.as_str()), &c)),
            )
            .collect(),
    )
}
