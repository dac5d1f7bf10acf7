//! AWS Config custom rule: a configuration item as an inventory role or function, and a scan's
//! findings as `COMPLIANT`, `NON_COMPLIANT` or `NOT_APPLICABLE` with an annotation that names
//! the rule codes within Config's 256 characters. Pure: tested from recorded items.

use rolecall_checks::{Finding, ScanResult, Severity};
use rolecall_inventory::Role;
use rolecall_publish::{ConfigEvaluation, ANNOTATION_LIMIT};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

pub const ROLE: &str = "AWS::IAM::Role";
pub const FUNCTION: &str = "AWS::Lambda::Function";

/// Which findings make a resource non-compliant: a code list when given, else a severity floor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompliancePolicy {
    pub min_severity: Severity,
    pub codes: Option<BTreeSet<String>>,
}

impl Default for CompliancePolicy {
    fn default() -> Self {
        CompliancePolicy {
            min_severity: Severity::High,
            codes: None,
        }
    }
}

impl CompliancePolicy {
    /// From the rule's parameters (`{"failOn": "medium"}`, `{"codes": "LR101,LR201"}`), falling
    /// back to `default`. A parameter that does not parse is an error naming it.
    pub fn from_parameters(params: &Value, default: &CompliancePolicy) -> Result<Self, String> {
        let mut out = default.clone();
        if let Some(v) = params.get("failOn") {
            let text = v.as_str().unwrap_or_default();
            out.min_severity = Severity::parse(text).ok_or_else(|| {
                format!("rule parameter `failOn` `{text}`: expected critical, high, medium, low or info")
            })?;
        }
        if let Some(v) = params.get("codes") {
            let text = v.as_str().unwrap_or_default();
            let codes: BTreeSet<String> = text
                .split(',')
                .map(|c| c.trim().to_ascii_uppercase())
                .filter(|c| !c.is_empty())
                .collect();
            for c in &codes {
                if rolecall_checks::find_rule(c).is_none() {
                    return Err(format!("rule parameter `codes`: `{c}` is not a rolecall rule code (`rolecall rules` lists them)"));
                }
            }
            if !codes.is_empty() {
                out.codes = Some(codes);
            }
        }
        Ok(out)
    }

    fn counts(&self, code: &str, severity: Severity) -> bool {
        match &self.codes {
            Some(c) => c.contains(code),
            None => severity >= self.min_severity,
        }
    }
}

/// The role an `AWS::IAM::Role` configuration item describes.
pub fn role_from_item(item: &Value) -> Result<Role, String> {
    rolecall_inventory::config_items::role(item)
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Whether the item says the resource is gone (deleted, or no longer recorded).
pub fn deleted(item: &Value) -> bool {
    matches!(
        s(item, "configurationItemStatus"),
        "ResourceDeleted" | "ResourceDeletedNotRecorded" | "ResourceNotRecorded"
    )
}

/// The annotation: the counting codes, worst first, cut to Config's limit with how many more.
pub fn annotation(prefix: &str, items: &[(Severity, String)]) -> String {
    let mut items: Vec<&(Severity, String)> = items.iter().collect();
    items.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    items.dedup();
    let mut out = prefix.to_string();
    for (i, (sev, code)) in items.iter().enumerate() {
        let piece = format!("{}{code} ({sev})", if i == 0 { "" } else { ", " });
        let rest = items.len() - i - 1;
        let tail = if rest > 0 {
            format!(", +{rest} more")
        } else {
            String::new()
        };
        if out.chars().count() + piece.chars().count() + tail.chars().count() > ANNOTATION_LIMIT {
            let more = format!(
                "{}+{} more",
                if i == 0 { "" } else { ", " },
                items.len() - i
            );
            out.push_str(&more);
            break;
        }
        out.push_str(&piece);
    }
    clip(&out)
}

fn clip(text: &str) -> String {
    if text.chars().count() <= ANNOTATION_LIMIT {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(ANNOTATION_LIMIT - 1).collect();
        t.push('…');
        t
    }
}

/// A scan's findings by the resource they are about, built once, so that evaluating every
/// role and function of an account is one pass over the findings, not one per resource.
pub struct Verdicts<'r> {
    roles: HashSet<&'r str>,
    functions: HashSet<&'r str>,
    /// Findings by `resource_arn`.
    by_resource: HashMap<&'r str, Vec<&'r Finding>>,
    /// Findings by each of their `function_arns`.
    by_function: HashMap<&'r str, Vec<&'r Finding>>,
}

impl<'r> Verdicts<'r> {
    pub fn new(result: &'r ScanResult) -> Self {
        let mut by_resource: HashMap<&str, Vec<&Finding>> = HashMap::new();
        let mut by_function: HashMap<&str, Vec<&Finding>> = HashMap::new();
        for f in &result.findings {
            by_resource
                .entry(f.resource_arn.as_str())
                .or_default()
                .push(f);
            for a in &f.function_arns {
                by_function.entry(a.as_str()).or_default().push(f);
            }
        }
        Verdicts {
            roles: result.roles.iter().map(|r| r.arn.as_str()).collect(),
            functions: result.functions.iter().map(|f| f.arn.as_str()).collect(),
            by_resource,
            by_function,
        }
    }

    /// The evaluation of one resource: `arn` is the role or function ARN; a function also
    /// answers for its role's findings (they are what it can do).
    pub fn evaluate(
        &self,
        resource_type: &str,
        resource_id: &str,
        arn: &str,
        policy: &CompliancePolicy,
        when: &str,
    ) -> ConfigEvaluation {
        let audited = if resource_type == FUNCTION {
            self.functions.contains(arn)
        } else {
            self.roles.contains(arn)
        };
        let own = self.by_resource.get(arn).into_iter().flatten();
        // A finding about the function itself and naming it among its functions counts once.
        let through_role = self
            .by_function
            .get(arn)
            .into_iter()
            .flatten()
            .filter(|f| resource_type == FUNCTION && f.resource_arn != arn);
        let mut counting: Vec<(Severity, String)> = Vec::new();
        let mut seen = 0usize;
        for f in own.chain(through_role) {
            seen += 1;
            if policy.counts(&f.code, f.severity) {
                counting.push((f.severity, f.code.clone()));
            }
        }
        let (compliance, annotation) = if !audited {
            (
                "NOT_APPLICABLE",
                Some(clip(
                    "not a Lambda execution role or function: rolecall does not audit it",
                )),
            )
        } else if counting.is_empty() {
            (
                "COMPLIANT",
                Some(clip(&if seen == 0 {
                    "rolecall: no findings".to_string()
                } else {
                    format!("rolecall: {seen} finding(s) below the rule's threshold")
                })),
            )
        } else {
            ("NON_COMPLIANT", Some(annotation("rolecall: ", &counting)))
        };
        ConfigEvaluation {
            resource_type: resource_type.to_string(),
            resource_id: resource_id.to_string(),
            compliance: compliance.to_string(),
            annotation,
            ordering_timestamp: when.to_string(),
        }
    }
}

/// [`Verdicts::evaluate`] for one resource of a scan.
pub fn evaluate(
    result: &ScanResult,
    resource_type: &str,
    resource_id: &str,
    arn: &str,
    policy: &CompliancePolicy,
    when: &str,
) -> ConfigEvaluation {
    Verdicts::new(result).evaluate(resource_type, resource_id, arn, policy, when)
}

/// `NOT_APPLICABLE` for a resource that is gone or left the rule's scope.
pub fn not_applicable(
    resource_type: &str,
    resource_id: &str,
    why: &str,
    when: &str,
) -> ConfigEvaluation {
    ConfigEvaluation {
        resource_type: resource_type.to_string(),
        resource_id: resource_id.to_string(),
        compliance: "NOT_APPLICABLE".to_string(),
        annotation: Some(clip(why)),
        ordering_timestamp: when.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_annotation_stays_within_configs_limit_and_says_how_many_more() {
        let many: Vec<(Severity, String)> = (0..80)
            .map(|i| (Severity::High, format!("LR{:03}", 100 + i)))
            .collect();
        let a = annotation("rolecall: ", &many);
        assert!(a.chars().count() <= ANNOTATION_LIMIT, "{a}");
        assert!(a.ends_with("more"), "{a}");
        let n: usize = a
            .rsplit('+')
            .next()
            .and_then(|t| t.split(' ').next())
            .and_then(|t| t.parse().ok())
            .unwrap();
        assert_eq!(a.matches("LR").count() + n, 80, "{a}");
        let few = annotation(
            "rolecall: ",
            &[
                (Severity::High, "LR201".into()),
                (Severity::Critical, "LR101".into()),
            ],
        );
        assert_eq!(few, "rolecall: LR101 (critical), LR201 (high)");
    }

    #[test]
    fn rule_parameters_choose_what_is_non_compliant_and_bad_ones_are_named() {
        let d = CompliancePolicy::default();
        let p = CompliancePolicy::from_parameters(&serde_json::json!({"failOn": "medium"}), &d)
            .unwrap();
        assert_eq!(p.min_severity, Severity::Medium);
        let e = CompliancePolicy::from_parameters(&serde_json::json!({"failOn": "urgent"}), &d)
            .unwrap_err();
        assert!(e.contains("failOn") && e.contains("urgent"), "{e}");
        let e = CompliancePolicy::from_parameters(&serde_json::json!({"codes": "LR999"}), &d)
            .unwrap_err();
        assert!(e.contains("LR999"), "{e}");
    }
}
