//! CSV: one row per finding, ranked by risk, with stable documented columns (docs/reports.md).
//! Fields are quoted per RFC 4180; cells that a spreadsheet would run as a formula (`=`, `+`, `-`,
//! `@`, tab, carriage return at the start) are prefixed with `'`.

use rolecall_checks::ScanResult;

pub const COLUMNS: &[&str] = &[
    "rank",
    "risk_score",
    "severity",
    "code",
    "name",
    "title",
    "account",
    "region",
    "resource_arn",
    "team",
    "function_arns",
    "policies",
    "statements",
    "actions",
    "remediation",
    "id",
    "gap_score",
    "status",
    "first_seen",
];

fn cell(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Rows in the order of the result: by risk, or by permission gap after `scan --sort gap`; the
/// last column carries the gap score of the role when the scan had usage data.
pub fn render(r: &ScanResult) -> String {
    // The permission gap of the role each finding concerns (empty without usage data).
    let role_of_fn: std::collections::HashMap<&str, &str> = r
        .functions
        .iter()
        .map(|f| (f.arn.as_str(), f.role_arn.as_str()))
        .collect();
    // Roles by (account, name), path ignored as in `same_role`; the first of a key wins.
    let mut gap_by_role: std::collections::HashMap<(String, String), Option<f64>> =
        std::collections::HashMap::new();
    for x in &r.roles {
        if let Some(k) = rolecall_inventory::model::role_key(&x.arn) {
            gap_by_role
                .entry(k)
                .or_insert(x.gap.as_ref().map(|g| g.score));
        }
    }
    let gap_of = |arn: &str| -> String {
        let role = role_of_fn.get(arn).copied().unwrap_or(arn);
        rolecall_inventory::model::role_key(role)
            .and_then(|k| gap_by_role.get(&k).copied().flatten())
            .map(|g| g.to_string())
            .unwrap_or_default()
    };
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for (i, f) in r.findings.iter().enumerate() {
        let policies: Vec<&str> = f.evidence.iter().map(|e| e.policy.as_str()).collect();
        let statements: Vec<&str> = f.evidence.iter().map(|e| e.statement.as_str()).collect();
        let actions: Vec<&str> = f
            .evidence
            .iter()
            .flat_map(|e| e.actions.iter().map(|a| a.as_ref()))
            .collect();
        let row = [
            (i + 1).to_string(),
            f.risk_score.to_string(),
            f.severity.to_string(),
            f.code.clone(),
            f.name.clone(),
            f.title.clone(),
            f.account.clone(),
            f.region.clone(),
            f.resource_arn.clone(),
            f.team.clone().unwrap_or_default(),
            f.function_arns.join(" "),
            policies.join(" | "),
            statements.join(" | "),
            actions.join(" "),
            f.remediation.to_string(),
            f.id.clone(),
            gap_of(&f.resource_arn),
            f.status.clone().unwrap_or_default(),
            f.first_seen.clone().unwrap_or_default(),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn quoting_and_formula_guard() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-1"), "'-1");
    }
}
