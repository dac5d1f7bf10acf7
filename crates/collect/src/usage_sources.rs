//! Usage sources for trails too large to stream through one machine, and IAM Access Analyzer:
//!
//! - **Athena** over the Organization trail's table: one aggregating query (per role, event
//!   source, event name, error code, day and resource), of which only the result is read;
//! - **CloudTrail Lake**: the same query against an event data store;
//! - **IAM Access Analyzer** unused-access findings (`UnusedPermission`, `UnusedIAMRole`).
//!
//! The query result rows carry the columns [`rolecall_usage`'s aggregate reader] expects
//! (`account`, `region`, `day`, `category`, `source`, `name`, `error`, `identity_type`, `role`,
//! `principal`, `invoked_by`, `resources`, `params`, `last_seen`, `calls`), so the event mapping
//! and the coverage rules are the same as for log files.

use aws_types::SdkConfig;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Request parameters the usage reader takes resources from (see the reader's `Params`).
const PARAMS: &[&str] = &[
    "bucketName",
    "key",
    "prefix",
    "x-amz-copy-source",
    "tableName",
    "queueUrl",
    "topicArn",
    "secretId",
    "functionName",
    "modelId",
    "streamName",
    "streamARN",
    "stateMachineArn",
    "keyId",
    "name",
];

/// `MAP(ARRAY['bucketName', ...], ARRAY[<value of bucketName>, ...])`, the request parameters the
/// reader takes resources from, each read by `value`.
fn params_map(value: impl Fn(&str) -> String) -> String {
    let keys: Vec<String> = PARAMS.iter().map(|p| format!("'{p}'")).collect();
    let values: Vec<String> = PARAMS.iter().map(|p| value(p)).collect();
    format!(
        "MAP(ARRAY[{}], ARRAY[{}])",
        keys.join(", "),
        values.join(", ")
    )
}

/// The window's bounds are spliced into the SQL: RFC 3339 characters only.
fn check_window(start: &str, end: &str) -> Result<(), String> {
    for d in [start, end] {
        check_name("window bound", d, &['-', ':', 'T', 'Z'])?;
    }
    Ok(())
}

/// One row of a query result, by column name (SQL NULLs left out).
pub type Row = BTreeMap<String, String>;

fn check_name(what: &str, s: &str, extra: &[char]) -> Result<(), String> {
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(&c))
    {
        return Err(format!(
            "{what} {s:?}: letters, digits, `_`{} only",
            if extra.is_empty() {
                String::new()
            } else {
                format!(
                    " and {}",
                    extra
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
        ));
    }
    Ok(())
}

/// The aggregating query for an Athena table of CloudTrail records (the table DDL of
/// docs/usage.md: partition projection on `timestamp` as `yyyy/MM/dd`). `start`/`end` are RFC
/// 3339 (`2026-09-01T00:00:00Z`). `table` is `DATABASE.TABLE`.
pub fn athena_sql(table: &str, start: &str, end: &str) -> Result<String, String> {
    let (db, t) = table
        .split_once('.')
        .ok_or_else(|| format!("athena={table}: expected DATABASE.TABLE"))?;
    check_name("database", db, &['-'])?;
    check_name("table", t, &['-'])?;
    check_window(start, end)?;
    let day = |d: &str| d.get(..10).unwrap_or("").replace('-', "/");
    let params = params_map(|p| format!("json_extract_scalar(requestparameters, '$[\"{p}\"]')"));
    Ok(format!(
        "SELECT recipientaccountid AS account, awsregion AS region, substr(eventtime, 1, 10) AS day, \
eventcategory AS category, eventsource AS source, eventname AS name, errorcode AS error, \
useridentity.type AS identity_type, \
IF(useridentity.type = 'AssumedRole', useridentity.sessioncontext.sessionissuer.arn) AS role, \
IF(useridentity.type = 'AssumedRole', useridentity.arn) AS principal, \
IF(useridentity.type = 'AssumedRole', useridentity.invokedby) AS invoked_by, \
IF(useridentity.type = 'AssumedRole', json_format(CAST(transform(resources, r -> MAP(ARRAY['ARN', 'type'], ARRAY[r.arn, r.type])) AS JSON))) AS resources, \
IF(useridentity.type = 'AssumedRole', json_format(CAST({params} AS JSON))) AS params, \
max(eventtime) AS last_seen, count(*) AS calls \
FROM \"{db}\".\"{t}\" \
WHERE \"timestamp\" BETWEEN '{}' AND '{}' AND eventtime BETWEEN '{start}' AND '{end}' \
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13",
        day(start),
        day(end)
    ))
}

/// The same query for a CloudTrail Lake event data store (its id or ARN).
pub fn lake_sql(event_data_store: &str, start: &str, end: &str) -> Result<String, String> {
    // The FROM clause takes the store's id, the last part of its ARN.
    let id = event_data_store
        .rsplit('/')
        .next()
        .unwrap_or(event_data_store);
    check_name("event data store", id, &['-'])?;
    check_window(start, end)?;
    let ts = |d: &str| d.replace('T', " ").replace('Z', "");
    let params = params_map(|p| format!("element_at(requestParameters, '{p}')"));
    Ok(format!(
        "SELECT recipientAccountId AS account, awsRegion AS region, substr(CAST(eventTime AS varchar), 1, 10) AS day, \
eventCategory AS category, eventSource AS source, eventName AS name, errorCode AS error, \
userIdentity.type AS identity_type, \
IF(userIdentity.type = 'AssumedRole', userIdentity.sessionContext.sessionIssuer.arn) AS role, \
IF(userIdentity.type = 'AssumedRole', userIdentity.arn) AS principal, \
IF(userIdentity.type = 'AssumedRole', userIdentity.invokedBy) AS invoked_by, \
IF(userIdentity.type = 'AssumedRole', json_format(CAST(transform(resources, r -> MAP(ARRAY['ARN', 'type'], ARRAY[r.arn, r.type])) AS JSON))) AS resources, \
IF(userIdentity.type = 'AssumedRole', json_format(CAST({params} AS JSON))) AS params, \
max(eventTime) AS last_seen, count(*) AS calls \
FROM {id} \
WHERE eventTime >= '{}' AND eventTime <= '{}' \
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13",
        ts(start),
        ts(end)
    ))
}

/// Runs `sql` in Athena (`workgroup`, results under `output`) and returns its rows. Polls until
/// the query ends or `timeout` passes.
pub async fn athena_rows(
    cfg: &SdkConfig,
    database: &str,
    sql: &str,
    workgroup: Option<&str>,
    output: Option<&str>,
    timeout: Duration,
) -> Result<Vec<Row>, String> {
    use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
    let client = aws_sdk_athena::Client::new(cfg);
    let mut start = client
        .start_query_execution()
        .query_string(sql)
        .query_execution_context(QueryExecutionContext::builder().database(database).build());
    if let Some(w) = workgroup {
        start = start.work_group(w);
    }
    if let Some(o) = output {
        start =
            start.result_configuration(ResultConfiguration::builder().output_location(o).build());
    }
    let id = start
        .send()
        .await
        .map_err(|e| format!("athena:StartQueryExecution: {}", crate::describe(&e)))?
        .query_execution_id()
        .ok_or("athena:StartQueryExecution returned no query id")?
        .to_string();
    let began = Instant::now();
    let mut wait = Duration::from_millis(200);
    loop {
        let q = client
            .get_query_execution()
            .query_execution_id(&id)
            .send()
            .await
            .map_err(|e| format!("athena:GetQueryExecution: {}", crate::describe(&e)))?;
        let status = q.query_execution().and_then(|x| x.status());
        match status.and_then(|s| s.state()) {
            Some(QueryExecutionState::Succeeded) => break,
            Some(QueryExecutionState::Failed) | Some(QueryExecutionState::Cancelled) => {
                return Err(format!(
                    "athena query {id} ended {}: {}",
                    status
                        .and_then(|s| s.state())
                        .map(|s| s.as_str())
                        .unwrap_or("?"),
                    status
                        .and_then(|s| s.state_change_reason())
                        .unwrap_or("no reason given")
                ))
            }
            _ => {}
        }
        if began.elapsed() > timeout {
            return Err(format!(
                "athena query {id} did not finish within {} s (raise --timeout)",
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
    let mut rows = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_query_results()
            .query_execution_id(&id)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| format!("athena:GetQueryResults: {}", crate::describe(&e)))?;
        let names: Option<Vec<String>> = page
            .result_set()
            .and_then(|r| r.result_set_metadata())
            .map(|m| {
                m.column_info()
                    .iter()
                    .map(|c| c.name().to_string())
                    .collect()
            })
            .filter(|n: &Vec<String>| !n.is_empty());
        for row in page.result_set().map(|r| r.rows()).unwrap_or_default() {
            let values: Vec<Option<&str>> = row.data().iter().map(|d| d.var_char_value()).collect();
            match &header {
                None => {
                    // The first row of the first page repeats the column names.
                    header = Some(names.clone().unwrap_or_else(|| {
                        values.iter().map(|v| v.unwrap_or("").to_string()).collect()
                    }));
                }
                Some(h) => rows.push(
                    h.iter()
                        .zip(values)
                        .filter_map(|(k, v)| v.map(|v| (k.clone(), v.to_string())))
                        .collect(),
                ),
            }
        }
        match page.next_token() {
            Some(t) if Some(t) != token.as_deref() => token = Some(t.to_string()),
            _ => return Ok(rows),
        }
    }
}

/// Runs `sql` (which names the event data store) in CloudTrail Lake and returns its rows.
pub async fn lake_rows(
    client: &aws_sdk_cloudtrail::Client,
    sql: &str,
    timeout: Duration,
) -> Result<Vec<Row>, String> {
    use aws_sdk_cloudtrail::types::QueryStatus;
    let id = client
        .start_query()
        .query_statement(sql)
        .send()
        .await
        .map_err(|e| format!("cloudtrail:StartQuery: {}", crate::describe(&e)))?
        .query_id()
        .ok_or("cloudtrail:StartQuery returned no query id")?
        .to_string();
    let began = Instant::now();
    let mut wait = Duration::from_millis(200);
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_query_results()
            .query_id(&id)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| format!("cloudtrail:GetQueryResults: {}", crate::describe(&e)))?;
        match page.query_status() {
            Some(QueryStatus::Finished) => {}
            Some(QueryStatus::Failed)
            | Some(QueryStatus::Cancelled)
            | Some(QueryStatus::TimedOut) => {
                return Err(format!(
                    "CloudTrail Lake query {id} ended {}: {}",
                    page.query_status().map(|s| s.as_str()).unwrap_or("?"),
                    page.error_message().unwrap_or("no reason given")
                ))
            }
            _ => {
                if began.elapsed() > timeout {
                    return Err(format!(
                        "CloudTrail Lake query {id} did not finish within {} s (raise --timeout)",
                        timeout.as_secs()
                    ));
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
                continue;
            }
        }
        // Each row is a list of one-entry maps, column → value.
        for r in page.query_result_rows() {
            rows.push(
                r.iter()
                    .flat_map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())))
                    .collect(),
            );
        }
        match page.next_token() {
            Some(t) if Some(t) != token.as_deref() => token = Some(t.to_string()),
            _ => return Ok(rows),
        }
    }
}

/// An unused-access finding of IAM Access Analyzer about a role.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnusedFinding {
    pub role_arn: String,
    pub account: String,
    /// `UnusedIAMRole`: the role was not used at all in the analyzer's tracking period.
    pub unused_role: bool,
    /// Unused actions (`s3:PutObject`), or whole services (`s3:*`) when the finding lists no
    /// action of the service.
    pub unused: Vec<String>,
    pub last_accessed: Option<String>,
}

/// Active `UnusedPermission` and `UnusedIAMRole` findings of the analyzer about IAM roles.
pub async fn analyzer_findings(
    client: &aws_sdk_accessanalyzer::Client,
    analyzer_arn: &str,
) -> Result<Vec<UnusedFinding>, String> {
    use aws_sdk_accessanalyzer::types::{Criterion, FindingType};
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_findings_v2()
            .analyzer_arn(analyzer_arn)
            .filter(
                "findingType",
                Criterion::builder()
                    .eq("UnusedPermission")
                    .eq("UnusedIAMRole")
                    .build(),
            )
            .filter("status", Criterion::builder().eq("ACTIVE").build())
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| format!("access-analyzer:ListFindingsV2: {}", crate::describe(&e)))?;
        for f in page.findings() {
            let Some(role) = f.resource().filter(|r| r.contains(":role/")) else {
                continue;
            };
            let mut finding = UnusedFinding {
                role_arn: role.to_string(),
                account: f.resource_owner_account().to_string(),
                unused_role: f.finding_type() == Some(&FindingType::UnusedIamRole),
                ..Default::default()
            };
            let mut dtoken: Option<String> = None;
            loop {
                let d = client
                    .get_finding_v2()
                    .analyzer_arn(analyzer_arn)
                    .id(f.id())
                    .set_next_token(dtoken.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "access-analyzer:GetFindingV2 {}: {}",
                            f.id(),
                            crate::describe(&e)
                        )
                    })?;
                for detail in d.finding_details() {
                    if let Ok(p) = detail.as_unused_permission_details() {
                        let ns = p.service_namespace();
                        if p.actions().is_empty() {
                            finding.unused.push(format!("{ns}:*"));
                        }
                        for a in p.actions() {
                            let name = a.action();
                            finding.unused.push(if name.contains(':') {
                                name.to_string()
                            } else {
                                format!("{ns}:{name}")
                            });
                        }
                    } else if let Ok(r) = detail.as_unused_iam_role_details() {
                        finding.last_accessed = r.last_accessed().map(|t| t.to_string());
                    }
                }
                match d.next_token() {
                    Some(t) if Some(t) != dtoken.as_deref() => dtoken = Some(t.to_string()),
                    _ => break,
                }
            }
            finding.unused.sort();
            finding.unused.dedup();
            out.push(finding);
        }
        match page.next_token() {
            Some(t) if Some(t) != token.as_deref() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_the_sql_are_checked_not_spliced() {
        assert!(athena_sql("db.cloudtrail_logs", "2026-09-01T00:00:00Z", "2026-11-30T23:59:59Z")
            .unwrap()
            .contains("FROM \"db\".\"cloudtrail_logs\" WHERE \"timestamp\" BETWEEN '2026/09/01' AND '2026/11/30'"));
        assert!(athena_sql(
            "db.t\"; DROP TABLE x; --",
            "2026-09-01T00:00:00Z",
            "2026-11-30T23:59:59Z"
        )
        .is_err());
        assert!(athena_sql("no-dot", "a", "b").is_err());
        assert!(lake_sql(
            "arn:aws:cloudtrail:us-east-1:1:eventdatastore/EXAMPLE-f852-4e8f",
            "2026-09-01T00:00:00Z",
            "2026-11-30T23:59:59Z"
        )
        .unwrap()
        .contains("FROM EXAMPLE-f852-4e8f WHERE eventTime >= '2026-09-01 00:00:00'"));
        assert!(lake_sql("x' OR 1=1", "2026-09-01T00:00:00Z", "2026-11-30T23:59:59Z").is_err());
    }
}
