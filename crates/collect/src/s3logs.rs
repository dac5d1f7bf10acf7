//! CloudTrail log files straight from their S3 bucket (`s3://bucket/prefix`): listed page by page
//! and read one object at a time, so memory follows the largest file.

use crate::describe;
use aws_config::SdkConfig;

/// Calls `each(key, bytes)` for every `.json.gz`/`.json` object under the prefix. Returns how many
/// objects were read; objects that cannot be read are passed to `failed(key, error)`.
pub async fn each_log_object(
    cfg: &SdkConfig,
    url: &str,
    mut each: impl FnMut(&str, &[u8]),
    mut failed: impl FnMut(&str, String),
) -> Result<u64, String> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| format!("{url}: expected s3://bucket/prefix"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(cfg)
            .force_path_style(true)
            .build(),
    );
    let mut token: Option<String> = None;
    let mut read = 0;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| format!("{url}: {}", describe(&e)))?;
        for o in page.contents() {
            let Some(key) = o.key() else { continue };
            let base = key.strip_suffix(".gz").unwrap_or(key);
            if ![".json", ".jsonl", ".ndjson"]
                .iter()
                .any(|e| base.ends_with(e))
            {
                continue;
            }
            match client.get_object().bucket(bucket).key(key).send().await {
                Ok(obj) => match obj.body.collect().await {
                    Ok(bytes) => {
                        each(&format!("s3://{bucket}/{key}"), &bytes.into_bytes());
                        read += 1;
                    }
                    Err(e) => failed(key, e.to_string()),
                },
                Err(e) => failed(key, describe(&e)),
            }
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) && Some(t) != token.as_deref() => {
                token = Some(t.to_string())
            }
            _ => break,
        }
    }
    Ok(read)
}

/// One object's bytes (`s3://bucket/key`), or `None` when there is no such key.
pub async fn s3_get(cfg: &SdkConfig, url: &str) -> Result<Option<Vec<u8>>, String> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| format!("{url}: expected s3://bucket/key"))?;
    let (bucket, key) = rest
        .split_once('/')
        .filter(|(_, k)| !k.is_empty())
        .ok_or_else(|| format!("{url}: expected s3://bucket/key"))?;
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(cfg)
            .force_path_style(true)
            .build(),
    );
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(obj) => obj
            .body
            .collect()
            .await
            .map(|b| Some(b.into_bytes().to_vec()))
            .map_err(|e| format!("{url}: {e}")),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
        Err(e) => Err(format!("{url}: {}", describe(&e))),
    }
}
