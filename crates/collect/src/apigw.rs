//! API Gateway REST (v1) and HTTP (v2) integrations that invoke a Lambda function, as triggers.

use crate::lambda::unqualified;
use crate::{all_pages, describe, gap, Shared};
use aws_config::SdkConfig;
use rolecall_inventory::{CoverageEntry, Trigger};

/// The function ARN an integration URI invokes, if any:
/// `arn:aws:apigateway:r:lambda:path/2015-03-31/functions/<function ARN>/invocations` or a bare ARN.
pub fn function_of_uri(uri: &str) -> Option<String> {
    let start = uri
        .find("arn:aws:lambda:")
        .or_else(|| uri.find("arn:aws-cn:lambda:"))
        .or_else(|| uri.find("arn:aws-us-gov:lambda:"))?;
    let rest = uri.get(start..)?;
    let end = rest.find("/invocations").unwrap_or(rest.len());
    let arn = rest.get(..end)?;
    arn.contains(":function:").then(|| unqualified(arn))
}

pub(crate) async fn integrations(
    shared: &Shared,
    cfg: &SdkConfig,
    account: &str,
    region: &str,
    coverage: &mut Vec<CoverageEntry>,
) -> Vec<(String, Trigger)> {
    let mut out = Vec::new();
    let mut failed = |what: String, e: String| {
        coverage.push(gap(
            account,
            Some(region),
            "apigateway:GET",
            format!("{what}: {e}"),
        ))
    };
    // REST APIs
    let rest = aws_sdk_apigateway::Client::from_conf(shared.stats.apigateway(cfg));
    let rest = &rest;
    let apis = all_pages(&shared.sem, |position| async move {
        let p = rest
            .get_rest_apis()
            .limit(500)
            .set_position(position)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok((
            p.items()
                .iter()
                .filter_map(|a| a.id().map(str::to_string))
                .collect::<Vec<_>>(),
            p.position().map(str::to_string),
        ))
    })
    .await
    .split();
    let (apis, error) = apis;
    if let Some(e) = error {
        failed("GetRestApis".into(), e);
    }
    for api in apis {
        let api_ref = &api;
        let resources = all_pages(&shared.sem, |position| async move {
            let p = rest
                .get_resources()
                .rest_api_id(api_ref)
                .embed("methods")
                .limit(500)
                .set_position(position)
                .send()
                .await
                .map_err(|e| describe(&e))?;
            Ok((p.items().to_vec(), p.position().map(str::to_string)))
        })
        .await;
        let (items, error) = resources.split();
        {
            {
                for r in &items {
                    for (verb, m) in r.resource_methods().into_iter().flatten() {
                        if let Some(f) = m
                            .method_integration()
                            .and_then(|i| i.uri())
                            .and_then(function_of_uri)
                        {
                            let path = r.path().unwrap_or("/");
                            out.push((f, Trigger { kind: "apigateway-rest".into(), source_arn: Some(format!("arn:aws:execute-api:{region}:{account}:{api}/*/{verb}{path}")) }));
                        }
                    }
                }
            }
        }
        if let Some(e) = error {
            failed(format!("GetResources {api}"), e);
        }
    }
    // HTTP APIs
    let http = aws_sdk_apigatewayv2::Client::from_conf(shared.stats.apigatewayv2(cfg));
    let http = &http;
    let apis = all_pages(&shared.sem, |token| async move {
        let p = http
            .get_apis()
            .max_results("500")
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok((
            p.items()
                .iter()
                .filter_map(|a| a.api_id().map(str::to_string))
                .collect::<Vec<_>>(),
            p.next_token().map(str::to_string),
        ))
    })
    .await
    .split();
    let (apis, error) = apis;
    if let Some(e) = error {
        failed("GetApis".into(), e);
    }
    for api in apis {
        let page = {
            let _p = shared.sem.acquire().await;
            http.get_integrations()
                .api_id(&api)
                .max_results("500")
                .send()
                .await
        };
        match page {
            Ok(p) => {
                for i in p.items() {
                    if let Some(f) = i.integration_uri().and_then(function_of_uri) {
                        out.push((
                            f,
                            Trigger {
                                kind: "apigateway-http".into(),
                                source_arn: Some(format!(
                                    "arn:aws:execute-api:{region}:{account}:{api}/*"
                                )),
                            },
                        ));
                    }
                }
            }
            Err(e) => failed(format!("GetIntegrations {api}"), describe(&e)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::function_of_uri;

    #[test]
    fn integration_uris() {
        assert_eq!(
            function_of_uri("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:api:live/invocations").as_deref(),
            Some("arn:aws:lambda:us-east-1:123456789012:function:api")
        );
        assert_eq!(
            function_of_uri("arn:aws:lambda:eu-west-1:123456789012:function:h").as_deref(),
            Some("arn:aws:lambda:eu-west-1:123456789012:function:h")
        );
        assert_eq!(function_of_uri("https://example.com/backend"), None);
    }
}
