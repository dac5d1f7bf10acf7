//! Reading inventories from files: rolecall snapshots, and the AWS CLI's own exports
//! (`aws iam get-account-authorization-details`, `aws lambda list-functions`), several at once.
//! Account and region come from the ARNs. Errors name the file and the field.

use crate::model::*;
use serde::Deserialize;
use serde_json::value::RawValue;
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
    #[error(transparent)]
    Text(#[from] crate::textfile::TextFileError),
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
    let text = crate::textfile::read_text(path)?;
    from_text(path, &text)
}

/// Decides the format from the top-level keys. The top level is read shallowly (each value stays
/// unparsed text borrowed from the file), so a large export is never held twice as a JSON tree.
pub fn from_text(path: &Path, text: &str) -> Result<Inventory, InputError> {
    let f = Fields { file: path };
    let json_err = |e: serde_json::Error| InputError::Json {
        file: path.into(),
        message: e.to_string(),
    };
    let top: BTreeMap<&str, &RawValue> = match serde_json::from_str(text) {
        Ok(t) => t,
        Err(e) if e.is_data() => return Err(InputError::UnknownFormat { file: path.into() }),
        Err(e) => return Err(json_err(e)),
    };
    if let Some(v) = top.get("schema_version") {
        let found: u64 = serde_json::from_str(v.get())
            .map_err(|_| f.err("schema_version", "must be a number"))?;
        if found > u64::from(SCHEMA_VERSION) {
            return Err(InputError::NewerSchema {
                file: path.into(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let mut inv: Inventory =
            serde_json::from_str(text).map_err(|e| f.err("(snapshot)", &e.to_string()))?;
        inv.normalize();
        return Ok(inv);
    }
    if top.contains_key("RoleDetailList")
        || (top.contains_key("Policies") && top.contains_key("UserDetailList"))
    {
        return authorization_details(&f, &top);
    }
    if let Some(funcs) = top.get("Functions") {
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

    /// Elements of a list, each still unparsed (None or null: empty).
    fn list<'t>(
        &self,
        v: Option<&&'t RawValue>,
        at: &str,
    ) -> Result<Vec<&'t RawValue>, InputError> {
        match v {
            None => Ok(Vec::new()),
            Some(raw) => {
                let items: Option<Vec<&RawValue>> = serde_json::from_str(raw.get())
                    .map_err(|e| self.err(at, &format!("must be a list ({e})")))?;
                Ok(items.unwrap_or_default())
            }
        }
    }

    /// One element, typed; a type error names the element.
    fn item<'t, T: Deserialize<'t>>(&self, raw: &'t RawValue, at: &str) -> Result<T, InputError> {
        serde_json::from_str(raw.get()).map_err(|e| self.err(at, &e.to_string()))
    }

    fn required<T>(&self, v: Option<T>, at: &str) -> Result<T, InputError> {
        v.ok_or_else(|| self.err(at, "missing"))
    }
}

/// The part of an ARN at `index` (0 `arn`, 1 partition, 2 service, 3 region, 4 account).
pub fn arn_part(arn: &str, index: usize) -> Option<&str> {
    arn.splitn(6, ':').nth(index).filter(|s| !s.is_empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireTag {
    key: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireInline {
    policy_name: Option<String>,
    policy_document: Option<Document>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireAttached {
    policy_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireBoundary {
    permissions_boundary_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireLastUsed {
    last_used_date: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireRole {
    arn: Option<String>,
    role_name: Option<String>,
    path: Option<String>,
    assume_role_policy_document: Option<Document>,
    role_policy_list: Option<Vec<WireInline>>,
    attached_managed_policies: Option<Vec<WireAttached>>,
    permissions_boundary: Option<WireBoundary>,
    tags: Option<Vec<WireTag>>,
    role_last_used: Option<WireLastUsed>,
    create_date: Option<String>,
    role_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireVersion {
    document: Option<Document>,
    version_id: Option<String>,
    is_default_version: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WirePolicy {
    arn: Option<String>,
    policy_name: Option<String>,
    default_version_id: Option<String>,
    policy_version_list: Option<Vec<WireVersion>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireFunction {
    function_name: Option<String>,
    function_arn: Option<String>,
    runtime: Option<String>,
    role: Option<String>,
    last_modified: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    tracing_config: Option<WireTracing>,
    vpc_config: Option<WireVpc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireTracing {
    mode: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireVpc {
    #[serde(default)]
    subnet_ids: Vec<String>,
}

fn authorization_details(
    f: &Fields<'_>,
    top: &BTreeMap<&str, &RawValue>,
) -> Result<Inventory, InputError> {
    let mut inv = Inventory::new("aws-cli-export");
    let mut seen_accounts: std::collections::HashSet<String> = std::collections::HashSet::new();
    // An IAM export holds no Organization policies: SCPs and RCPs are unknown, not absent.
    inv.lacks = vec![data_kind::SCPS.to_string()];
    for (i, raw) in f
        .list(top.get("RoleDetailList"), "RoleDetailList")?
        .into_iter()
        .enumerate()
    {
        let at = format!("RoleDetailList[{i}]");
        let r: WireRole = f.item(raw, &at)?;
        let arn = f.required(r.arn, &format!("{at}.Arn"))?;
        let account = arn_part(&arn, 4)
            .ok_or_else(|| f.err(&format!("{at}.Arn"), "not an ARN with an account"))?
            .to_string();
        let mut inline = Vec::new();
        for (j, p) in r
            .role_policy_list
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let here = format!("{at}.RolePolicyList[{j}]");
            inline.push(NamedDocument {
                name: f.required(p.policy_name, &format!("{here}.PolicyName"))?,
                arn: None,
                document: f.required(p.policy_document, &format!("{here}.PolicyDocument"))?,
            });
        }
        let mut managed = Vec::new();
        for (j, p) in r
            .attached_managed_policies
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            managed.push(f.required(
                p.policy_arn,
                &format!("{at}.AttachedManagedPolicies[{j}].PolicyArn"),
            )?);
        }
        let mut tags = BTreeMap::new();
        for (j, t) in r.tags.unwrap_or_default().into_iter().enumerate() {
            tags.insert(
                f.required(t.key, &format!("{at}.Tags[{j}].Key"))?,
                t.value.unwrap_or_default(),
            );
        }
        let last_used = r
            .role_last_used
            .map(|u| LastUsed {
                date: u.last_used_date,
                region: u.region,
            })
            .filter(|u| u.date.is_some() || u.region.is_some());
        inv.roles.push(Role {
            name: r
                .role_name
                .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or_default().to_string()),
            path: r.path.unwrap_or_else(|| "/".into()),
            trust_policy: f.required(
                r.assume_role_policy_document,
                &format!("{at}.AssumeRolePolicyDocument"),
            )?,
            inline_policies: inline,
            managed_policy_arns: managed,
            permissions_boundary_arn: r
                .permissions_boundary
                .and_then(|b| b.permissions_boundary_arn),
            tags,
            last_used,
            create_date: r.create_date,
            role_id: r.role_id,
            account: account.clone(),
            arn,
        });
        if seen_accounts.insert(account.clone()) {
            inv.accounts.push(Account {
                id: account,
                ..Default::default()
            });
        }
    }
    for (i, raw) in f
        .list(top.get("Policies"), "Policies")?
        .into_iter()
        .enumerate()
    {
        let at = format!("Policies[{i}]");
        let p: WirePolicy = f.item(raw, &at)?;
        let arn = f.required(p.arn, &format!("{at}.Arn"))?;
        let mut versions = p.policy_version_list.unwrap_or_default();
        let pick = versions
            .iter()
            .position(|v| v.is_default_version == Some(true))
            .or_else(|| {
                versions
                    .iter()
                    .position(|v| v.version_id.is_some() && v.version_id == p.default_version_id)
            })
            .or(if versions.is_empty() { None } else { Some(0) });
        let Some(doc) = pick
            .map(|k| versions.swap_remove(k))
            .and_then(|v| v.document)
        else {
            return Err(f.err(
                &format!("{at}.PolicyVersionList"),
                "no default version with a Document",
            ));
        };
        inv.managed_policies.push(ManagedPolicy {
            name: p
                .policy_name
                .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or_default().to_string()),
            document: doc,
            default_version: p.default_version_id,
            arn,
        });
    }
    inv.normalize();
    Ok(inv)
}

fn list_functions(f: &Fields<'_>, funcs: &RawValue) -> Result<Inventory, InputError> {
    let mut inv = Inventory::new("aws-cli-export");
    let mut seen_accounts: std::collections::HashSet<String> = std::collections::HashSet::new();
    // `aws lambda list-functions` returns configurations only: no tags, URLs, resource policies
    // or event source mappings.
    inv.lacks = [
        data_kind::FUNCTION_TAGS,
        data_kind::FUNCTION_URLS,
        data_kind::RESOURCE_POLICIES,
        data_kind::TRIGGERS,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (i, raw) in f.list(Some(&funcs), "Functions")?.into_iter().enumerate() {
        let at = format!("Functions[{i}]");
        let x: WireFunction = f.item(raw, &at)?;
        let arn = f.required(x.function_arn, &format!("{at}.FunctionArn"))?;
        let (Some(region), Some(account)) = (arn_part(&arn, 3), arn_part(&arn, 4)) else {
            return Err(f.err(
                &format!("{at}.FunctionArn"),
                "not a Lambda function ARN with region and account",
            ));
        };
        let (region, account) = (region.to_string(), account.to_string());
        inv.functions.push(Function {
            name: f.required(x.function_name, &format!("{at}.FunctionName"))?,
            runtime: x.runtime,
            role_arn: f.required(x.role, &format!("{at}.Role"))?,
            tags: x.tags.unwrap_or_default(),
            last_modified: x.last_modified,
            tracing_mode: x.tracing_config.and_then(|t| t.mode),
            vpc_subnet_ids: x.vpc_config.map(|v| v.subnet_ids).unwrap_or_default(),
            account: account.clone(),
            region: region.clone(),
            arn,
            ..Default::default()
        });
        if !inv.regions.contains(&region) {
            inv.regions.push(region);
        }
        if seen_accounts.insert(account.clone()) {
            inv.accounts.push(Account {
                id: account,
                ..Default::default()
            });
        }
    }
    inv.normalize();
    Ok(inv)
}
