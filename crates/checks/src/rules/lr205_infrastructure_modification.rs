//! ## What it does
//! Reports *Write* actions granted on `"Resource": "*"` (creating, changing, stopping and deleting
//! infrastructure), leaving out the handful every function needs (writing its own logs, traces and
//! metrics). Destructive actions (`Delete*`, `Terminate*`, `Stop*`, `Disable*`) raise it to high.
//!
//! AWS's own baseline is skipped unless `report_aws_baseline = true`: the managed policies AWS
//! publishes for Lambda execution roles (`AWSLambdaBasicExecutionRole`, the VPC, SQS, Kinesis,
//! DynamoDB and MSK execution roles), the inline policies SAM writes from its policy templates,
//! and the roles of CDK's internal functions.
//!
//! ## Why is this bad?
//! Unscoped writes let a compromised function change or destroy resources it was never meant to
//! touch: terminate instances, delete tables, disable alarms.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": ["ec2:TerminateInstances"], "Resource": "*"}
//! ```
//!
//! ## Remediation
//! Scope write actions to the resources the function manages, or use tag conditions
//! (`aws:ResourceTag/team`) when the resources are created dynamically.
//!
//! ## References
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html

use super::{grant_evidence_set, unscoped_group_sets, Emitter, Rule, RuleMeta};
use crate::analysis::RoleAnalysis;
use crate::context::Ctx;
use crate::finding::Severity;
use rolecall_catalog::AccessLevel;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "LR205",
        name: "infrastructure-modification",
        severity: Severity::Medium,
        summary: "Write actions on Resource \"*\" (change or destroy infrastructure)",
        remediation: "Scope write actions to the resources the function manages, or restrict them with aws:ResourceTag conditions.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html"],
        asff_types: &["Effects/Resource Consumption", "Software and Configuration Checks/AWS Security Best Practices"],
        compliance: &["NIST 800-53 AC-6", "NIST 800-53 CM-5"],
        needs_live_data: false,
        needs_data: &[],
    },
    role: Some(check),
    function: None,
};

/// Writes every function performs for itself.
const BENIGN: &[&str] = &[
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "cloudwatch:PutMetricData",
];

const DESTRUCTIVE: &[&str] = &["Delete", "Terminate", "Stop", "Disable", "Purge", "Remove"];

fn check(cx: &Ctx<'_>, ra: &RoleAnalysis<'_>, out: &mut Emitter<'_>) {
    if ra.effective.admin_grant().is_some() {
        return;
    }
    let cat = cx.catalog;
    static WRITES: std::sync::OnceLock<rolecall_catalog::ActionSet> = std::sync::OnceLock::new();
    let writes = WRITES.get_or_init(|| {
        let mut w = cat.level_mask(AccessLevel::Write).clone();
        w.subtract(&cat.set_of(BENIGN));
        w
    });
    if super::cdk_internal_noise(cx, ra) {
        return;
    }
    static DESTROYS: std::sync::OnceLock<rolecall_catalog::ActionSet> = std::sync::OnceLock::new();
    let destroys = DESTROYS.get_or_init(|| {
        let mut d = rolecall_catalog::ActionSet::empty(cat.len());
        for id in writes.iter() {
            if cat
                .action(id)
                .is_some_and(|x| DESTRUCTIVE.iter().any(|p| x.name.starts_with(p)))
            {
                d.insert(id);
            }
        }
        d
    });
    let mut groups = unscoped_group_sets(ra, writes);
    groups.retain(|(g, _)| !super::baseline_noise(cx, ra, &g.source));
    if groups.is_empty() {
        return;
    }
    // The groups are disjoint (each action goes to one grant).
    let total: usize = groups.iter().map(|(_, a)| a.len()).sum();
    let destructive: usize = groups
        .iter()
        .map(|(_, a)| a.intersection_len(destroys))
        .sum();
    let mut sev = if destructive > 0 {
        Severity::High
    } else {
        Severity::Medium
    };
    if groups.iter().all(|(g, _)| g.is_conditional()) {
        sev = sev.lowered();
    }
    let evidence = groups
        .iter()
        .map(|(g, a)| grant_evidence_set(cat, g, a))
        .collect();
    out.role(
        ra,
        cx,
        sev,
        format!(
            "{} can modify infrastructure account-wide ({} write actions, {} destructive)",
            ra.role.name, total, destructive
        ),
        evidence,
        "",
    );
}
