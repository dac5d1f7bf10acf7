//! The posture metrics as CloudWatch Embedded Metric Format log lines: printed to standard output
//! inside AWS Lambda (or written to any CloudWatch Logs stream), CloudWatch extracts them as
//! metrics with no `cloudwatch:PutMetricData` permission and no API call.
//!
//! One JSON object per line, per group of the newest scan of each scope: the whole scan
//! (dimension `Source`), each team (`Team`) and each account (`Account`), and time to
//! remediation per severity (`Severity`). A metric the scan did not measure (unused permissions
//! without usage data, drift without a baseline) is left out, not written as zero.

use crate::{MetricRow, Remediation};
use serde_json::{json, Map, Value};

/// The CloudWatch namespace of the metrics.
pub const NAMESPACE: &str = "rolecall";

/// A dimension value as CloudWatch takes it: 1 to 1,024 characters, no control characters.
fn dimension(v: &str) -> String {
    let clean: String = v
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(1024)
        .collect();
    if clean.trim().is_empty() {
        "(none)".into()
    } else {
        clean
    }
}

fn line(
    timestamp: i64,
    dim: &str,
    value: &str,
    metrics: &[(&str, &str, Option<f64>)],
) -> Option<String> {
    let present: Vec<&(&str, &str, Option<f64>)> = metrics
        .iter()
        .filter(|(_, _, v)| v.is_some_and(f64::is_finite))
        .collect();
    if present.is_empty() {
        return None;
    }
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[dim]],
                "Metrics": present.iter().map(|(name, unit, _)| json!({"Name": name, "Unit": unit})).collect::<Vec<_>>(),
            }],
        }),
    );
    root.insert(dim.into(), Value::from(dimension(value)));
    for (name, _, v) in present {
        root.insert((*name).into(), json!(v));
    }
    serde_json::to_string(&Value::Object(root)).ok()
}

/// EMF lines for `rows` (the groups of one or more scans; `source` names the whole-scan group)
/// and the time to remediation, stamped with each scan's time (milliseconds since the epoch).
pub fn lines(
    rows: &[MetricRow],
    source: &str,
    remediation: &[Remediation],
    epoch_ms: impl Fn(&str) -> Option<i64>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut newest = 0;
    for r in rows {
        let Some(t) = epoch_ms(&r.at) else { continue };
        newest = newest.max(t);
        let m = &r.metrics;
        let (dim, value) = match m.dimension.as_str() {
            "team" => ("Team", m.key.as_str()),
            "account" => ("Account", m.key.as_str()),
            _ => ("Source", source),
        };
        let metrics = [
            (
                "UniqueRoleShare",
                "Percent",
                Some(m.unique_role_share * 100.0),
            ),
            (
                "RolesWithWildcardGrants",
                "Count",
                Some(m.roles_with_wildcard_grants as f64),
            ),
            (
                "AveragePoliciesPerRole",
                "None",
                Some(m.average_policies_per_role),
            ),
            (
                "UnusedPermissions",
                "Count",
                m.unused_permissions.map(|v| v as f64),
            ),
            ("DriftRate", "Percent", r.drift_rate.map(|v| v * 100.0)),
            (
                "BaselineCompliance",
                "Percent",
                r.baseline_compliance.map(|v| v * 100.0),
            ),
            ("OpenFindings", "Count", Some(m.open_findings as f64)),
            ("OpenCriticalFindings", "Count", Some(m.critical as f64)),
            ("OpenHighFindings", "Count", Some(m.high as f64)),
        ];
        out.extend(line(t, dim, value, &metrics));
    }
    for r in remediation.iter().filter(|r| r.key.is_empty()) {
        out.extend(line(
            newest,
            "Severity",
            &r.severity,
            &[
                ("RemediationDaysMedian", "None", Some(r.median_days)),
                ("RemediationDaysP90", "None", Some(r.p90_days)),
            ],
        ));
    }
    out
}
