//! AWS Config configuration items (the invoking event of a Config rule, a row of an aggregator's
//! advanced query) as inventory roles, functions and managed policies. Config records policy
//! documents URL-encoded, as IAM returns them.

use crate::model::{Document, Function, ManagedPolicy, NamedDocument, Role};
use serde_json::Value;

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// A document as Config records it: URL-encoded JSON text (or, from some tools, plain JSON).
fn doc(v: &Value) -> Document {
    match v {
        Value::Null => Document::default(),
        other => Document::from_value(other),
    }
}

/// The role an `AWS::IAM::Role` configuration item describes.
pub fn role(item: &Value) -> Result<Role, String> {
    let c = item
        .get("configuration")
        .filter(|c| c.is_object())
        .ok_or("the configuration item has no `configuration`")?;
    let arn = [s(c, "arn"), s(item, "ARN"), s(item, "arn")]
        .into_iter()
        .find(|a| !a.is_empty())
        .ok_or("the configuration item names no role ARN (`configuration.arn`)")?
        .to_string();
    let account = arn.split(':').nth(4).unwrap_or_default().to_string();
    let name = match s(c, "roleName") {
        "" => arn.rsplit('/').next().unwrap_or_default().to_string(),
        n => n.to_string(),
    };
    let inline_policies = c
        .get("rolePolicyList")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|p| NamedDocument {
                    name: match s(p, "policyName") {
                        "" => "(unnamed)".to_string(),
                        n => n.to_string(),
                    },
                    arn: None,
                    document: doc(p.get("policyDocument").unwrap_or(&Value::Null)),
                })
                .collect()
        })
        .unwrap_or_default();
    let managed_policy_arns = c
        .get("attachedManagedPolicies")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|p| s(p, "policyArn"))
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    // Config records the boundary as an object; some emulators as the ARN alone.
    let permissions_boundary_arn = match c.get("permissionsBoundary") {
        Some(Value::String(a)) if !a.is_empty() => Some(a.clone()),
        Some(b @ Value::Object(_)) => Some(s(b, "permissionsBoundaryArn"))
            .filter(|a| !a.is_empty())
            .map(str::to_string),
        _ => None,
    };
    let tags = tags(c.get("tags").or_else(|| item.get("tags")));
    Ok(Role {
        name,
        account,
        path: match s(c, "path") {
            "" => "/".into(),
            p => p.to_string(),
        },
        trust_policy: doc(c.get("assumeRolePolicyDocument").unwrap_or(&Value::Null)),
        inline_policies,
        managed_policy_arns,
        permissions_boundary_arn,
        tags,
        last_used: None,
        create_date: Some(s(c, "createDate").to_string()).filter(|d| !d.is_empty()),
        role_id: Some(s(c, "roleId").to_string()).filter(|d| !d.is_empty()),
        arn,
    })
}

fn tags(v: Option<&Value>) -> std::collections::BTreeMap<String, String> {
    match v {
        Some(Value::Array(l)) => l
            .iter()
            .map(|t| (s(t, "key").to_string(), s(t, "value").to_string()))
            .filter(|(k, _)| !k.is_empty())
            .collect(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        _ => Default::default(),
    }
}

/// The function an `AWS::Lambda::Function` configuration item describes. Config records no
/// function URL configuration and no event source mappings (the caller marks them as lacking);
/// the resource policy comes from `supplementaryConfiguration.Policy` when recorded.
pub fn function(item: &Value) -> Result<Function, String> {
    let c = item
        .get("configuration")
        .filter(|c| c.is_object())
        .ok_or("the configuration item has no `configuration`")?;
    let arn = [s(c, "functionArn"), s(item, "ARN"), s(item, "arn")]
        .into_iter()
        .find(|a| !a.is_empty())
        .ok_or("the configuration item names no function ARN (`configuration.functionArn`)")?
        .to_string();
    let mut parts = arn.split(':');
    let region = parts.nth(3).unwrap_or_default().to_string();
    let account = parts.next().unwrap_or_default().to_string();
    let policy = item
        .get("supplementaryConfiguration")
        .and_then(|x| x.get("Policy"))
        .filter(|p| !p.is_null());
    Ok(Function {
        name: match s(c, "functionName") {
            "" => arn.rsplit(':').next().unwrap_or_default().to_string(),
            n => n.to_string(),
        },
        account,
        region,
        runtime: Some(s(c, "runtime").to_string()).filter(|r| !r.is_empty()),
        role_arn: s(c, "role").to_string(),
        tags: tags(item.get("tags").or_else(|| c.get("tags"))),
        url: None,
        resource_policy: policy.map(Document::from_value),
        triggers: Vec::new(),
        last_modified: Some(s(c, "lastModified").to_string()).filter(|d| !d.is_empty()),
        tracing_mode: c
            .get("tracingConfig")
            .and_then(|t| t.get("mode"))
            .and_then(Value::as_str)
            .map(str::to_string),
        vpc_subnet_ids: c
            .get("vpcConfig")
            .and_then(|v| v.get("subnetIds"))
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        arn,
    })
}

/// The default version of an `AWS::IAM::Policy` configuration item.
pub fn managed_policy(item: &Value) -> Result<ManagedPolicy, String> {
    let c = item
        .get("configuration")
        .filter(|c| c.is_object())
        .ok_or("the configuration item has no `configuration`")?;
    let arn = [s(c, "arn"), s(item, "ARN"), s(item, "arn")]
        .into_iter()
        .find(|a| !a.is_empty())
        .ok_or("the configuration item names no policy ARN")?
        .to_string();
    let versions = c
        .get("policyVersionList")
        .and_then(Value::as_array)
        .ok_or("`configuration.policyVersionList` is missing")?;
    let default = versions
        .iter()
        .find(|v| v.get("isDefaultVersion").and_then(Value::as_bool) == Some(true))
        .ok_or("no default version in `policyVersionList`")?;
    Ok(ManagedPolicy {
        name: s(c, "policyName").to_string(),
        document: doc(default.get("document").unwrap_or(&Value::Null)),
        default_version: Some(s(default, "versionId").to_string()).filter(|v| !v.is_empty()),
        arn,
    })
}
