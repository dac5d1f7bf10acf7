//! Reading inventories from files: rolecall snapshots, and the AWS CLI's own exports
//! (`aws iam get-account-authorization-details`, `aws lambda list-functions`), several at once.
//! Account and region come from the ARNs. Errors name the file and the field.

use crate::model::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: not valid JSON: {message}")]
    Json { file: PathBuf, message: String },
    #[error("{file}: {field}: {message}")]
    Field {
        file: PathBuf,
        field: String,
        message: String,
    },
    #[error("{file}: not a rolecall snapshot, nor an export of `aws iam get-account-authorization-details` or `aws lambda list-functions`")]
    UnknownFormat { file: PathBuf },
    #[error("{file}: snapshot schema_version {found} is newer than this rolecall understands ({supported}); upgrade rolecall")]
    NewerSchema {
        file: PathBuf,
        found: u64,
        supported: u32,
    },
}

/// Reads and merges every file into one inventory.
pub fn load_files(paths: &[PathBuf]) -> Result<Inventory, InputError> {
    let mut inv = Inventory::new("aws-cli-export");
    let mut sources = Vec::new();
    for p in paths {
        let one = load_file(p)?;
        sources.push(one.source.clone());
        inv.merge(one);
    }
    sources.sort();
    sources.dedup();
    if sources.len() == 1 {
        inv.source = sources.remove(0);
    }
    Ok(inv)
}

pub fn load_file(path: &Path) -> Result<Inventory, InputError> {
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Read {
        file: path.into(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| InputError::Json {
        file: path.into(),
        message: e.to_string(),
    })?;
    from_value(path, value)
}

/// Decides the format from the top-level keys.
pub fn from_value(path: &Path, value: Value) -> Result<Inventory, InputError> {
    let f = Fields { file: path };
    let Some(obj) = value.as_object() else {
        return Err(InputError::UnknownFormat { file: path.into() });
    };
    if let Some(v) = obj.get("schema_version") {
        let found = v
            .as_u64()
            .ok_or_else(|| f.err("schema_version", "must be a number"))?;
        if found > u64::from(SCHEMA_VERSION) {
            return Err(InputError::NewerSchema {
                file: path.into(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let mut inv: Inventory =
            serde_json::from_value(value).map_err(|e| f.err("(snapshot)", &e.to_string()))?;
        inv.normalize();
        return Ok(inv);
    }
    if obj.contains_key("RoleDetailList")
        || obj.contains_key("Policies") && obj.contains_key("UserDetailList")
    {
        return authorization_details(&f, obj);
    }
    if let Some(funcs) = obj.get("Functions") {
        return list_functions(&f, funcs);
    }
    Err(InputError::UnknownFormat { file: path.into() })
}

struct Fields<'a> {
    file: &'a Path,
}

impl Fields<'_> {
    fn err(&self, field: &str, message: &str) -> InputError {
        InputError::Field {
            file: self.file.into(),
            field: field.into(),
            message: message.into(),
        }
    }

    fn str(&self, v: &Value, key: &str, at: &str) -> Result<String, InputError> {
        v.get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| self.err(&format!("{at}.{key}"), "missing or not a string"))
    }

    fn opt(&self, v: &Value, key: &str) -> Option<String> {
        v.get(key).and_then(Value::as_str).map(str::to_string)
    }

    fn list<'v>(&self, v: &'v Value, key: &str, at: &str) -> Result<&'v [Value], InputError> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(self.err(&format!("{at}.{key}"), "must be a list")),
        }
    }
}

/// The part of an ARN at `index` (0 `arn`, 1 partition, 2 service, 3 region, 4 account).
pub fn arn_part(arn: &str, index: usize) -> Option<&str> {
    arn.splitn(6, ':').nth(index).filter(|s| !s.is_empty())
}

fn tags(f: &Fields<'_>, v: &Value, at: &str) -> Result<BTreeMap<String, String>, InputError> {
    let mut out = BTreeMap::new();
    match v.get("Tags") {
        None | Some(Value::Null) => {}
        // list-functions: {"Tags": {"k": "v"}}
        Some(Value::Object(m)) => {
            for (k, val) in m {
                out.insert(k.clone(), val.as_str().unwrap_or_default().to_string());
            }
        }
        Some(Value::Array(a)) => {
            for (i, t) in a.iter().enumerate() {
                let here = format!("{at}.Tags[{i}]");
                out.insert(
                    f.str(t, "Key", &here)?,
                    f.opt(t, "Value").unwrap_or_default(),
                );
            }
        }
        Some(_) => {
            return Err(f.err(
                &format!("{at}.Tags"),
                "must be a list of {Key, Value} or an object",
            ))
        }
    }
    Ok(out)
}

fn authorization_details(
    f: &Fields<'_>,
    obj: &serde_json::Map<String, Value>,
) -> Result<Inventory, InputError> {
    let mut inv = Inventory::new("aws-cli-export");
    let root = Value::Object(obj.clone());
    for (i, r) in f.list(&root, "RoleDetailList", "")?.iter().enumerate() {
        let at = format!("RoleDetailList[{i}]");
        let arn = f.str(r, "Arn", &at)?;
        let account = arn_part(&arn, 4)
            .ok_or_else(|| f.err(&format!("{at}.Arn"), "not an ARN with an account"))?
            .to_string();
        let mut inline = Vec::new();
        for (j, p) in f.list(r, "RolePolicyList", &at)?.iter().enumerate() {
            let here = format!("{at}.RolePolicyList[{j}]");
            inline.push(NamedDocument {
                name: f.str(p, "PolicyName", &here)?,
                arn: None,
                document: p
                    .get("PolicyDocument")
                    .cloned()
                    .ok_or_else(|| f.err(&format!("{here}.PolicyDocument"), "missing"))?,
            });
        }
        let mut managed = Vec::new();
        for (j, p) in f
            .list(r, "AttachedManagedPolicies", &at)?
            .iter()
            .enumerate()
        {
            managed.push(f.str(
                p,
                "PolicyArn",
                &format!("{at}.AttachedManagedPolicies[{j}]"),
            )?);
        }
        let boundary = r
            .get("PermissionsBoundary")
            .and_then(|b| f.opt(b, "PermissionsBoundaryArn"));
        let last_used = r.get("RoleLastUsed").and_then(|u| {
            let lu = LastUsed {
                date: f.opt(u, "LastUsedDate"),
                region: f.opt(u, "Region"),
            };
            (lu.date.is_some() || lu.region.is_some()).then_some(lu)
        });
        inv.roles.push(Role {
            name: f
                .opt(r, "RoleName")
                .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or_default().to_string()),
            path: f.opt(r, "Path").unwrap_or_else(|| "/".into()),
            trust_policy: r
                .get("AssumeRolePolicyDocument")
                .cloned()
                .ok_or_else(|| f.err(&format!("{at}.AssumeRolePolicyDocument"), "missing"))?,
            inline_policies: inline,
            managed_policy_arns: managed,
            permissions_boundary_arn: boundary,
            tags: tags(f, r, &at)?,
            last_used,
            create_date: f.opt(r, "CreateDate"),
            account: account.clone(),
            arn,
        });
        if !inv.accounts.iter().any(|a| a.id == account) {
            inv.accounts.push(Account {
                id: account,
                ..Default::default()
            });
        }
    }
    for (i, p) in f.list(&root, "Policies", "")?.iter().enumerate() {
        let at = format!("Policies[{i}]");
        let arn = f.str(p, "Arn", &at)?;
        let default_version = f.opt(p, "DefaultVersionId");
        let versions = f.list(p, "PolicyVersionList", &at)?;
        let default = versions
            .iter()
            .find(|v| v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true))
            .or_else(|| {
                versions
                    .iter()
                    .find(|v| f.opt(v, "VersionId") == default_version)
            })
            .or(versions.first());
        let Some(doc) = default.and_then(|v| v.get("Document")) else {
            return Err(f.err(
                &format!("{at}.PolicyVersionList"),
                "no default version with a Document",
            ));
        };
        inv.managed_policies.push(ManagedPolicy {
            name: f
                .opt(p, "PolicyName")
                .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or_default().to_string()),
            document: doc.clone(),
            default_version,
            arn,
        });
    }
    inv.normalize();
    Ok(inv)
}

fn list_functions(f: &Fields<'_>, funcs: &Value) -> Result<Inventory, InputError> {
    let mut inv = Inventory::new("aws-cli-export");
    let list = funcs
        .as_array()
        .ok_or_else(|| f.err("Functions", "must be a list"))?;
    for (i, x) in list.iter().enumerate() {
        let at = format!("Functions[{i}]");
        let arn = f.str(x, "FunctionArn", &at)?;
        let (Some(region), Some(account)) = (arn_part(&arn, 3), arn_part(&arn, 4)) else {
            return Err(f.err(
                &format!("{at}.FunctionArn"),
                "not a Lambda function ARN with region and account",
            ));
        };
        let (region, account) = (region.to_string(), account.to_string());
        inv.functions.push(Function {
            name: f.str(x, "FunctionName", &at)?,
            runtime: f.opt(x, "Runtime"),
            role_arn: f.str(x, "Role", &at)?,
            tags: tags(f, x, &at)?,
            last_modified: f.opt(x, "LastModified"),
            account: account.clone(),
            region: region.clone(),
            arn,
            ..Default::default()
        });
        if !inv.regions.contains(&region) {
            inv.regions.push(region);
        }
        if !inv.accounts.iter().any(|a| a.id == account) {
            inv.accounts.push(Account {
                id: account,
                ..Default::default()
            });
        }
    }
    inv.normalize();
    Ok(inv)
}
