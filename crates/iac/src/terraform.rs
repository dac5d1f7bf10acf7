//! Terraform resources (from `*.tf` through [`crate::hcl`], or from a `terraform show -json` plan)
//! linked into roles, policies and functions: aws_iam_role (inline_policy blocks,
//! managed_policy_arns, permissions_boundary), aws_iam_role_policy, aws_iam_role_policy_attachment,
//! aws_iam_policy_attachment, aws_iam_policy, data aws_iam_policy_document, aws_lambda_function,
//! aws_lambda_function_url, aws_lambda_permission, aws_lambda_event_source_mapping.
//!
//! A reference is kept as `{{aws_iam_role.app.arn}}` until linking replaces the ones this module
//! defines; the rest (`{{var.bucket_arn}}`) stay symbolic.

use crate::yaml::Node;
use crate::{managed_arn, Anchor, Builder, Doc, FileInfo, Format, Loc, Permission};
use rolecall_inventory::{Document, Function, FunctionUrl, Role, Trigger};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// One `resource` or `data` block (or plan entry), its attributes as JSON (nested blocks as
/// arrays of objects, as Terraform's JSON plan shows them).
#[derive(Clone, Debug)]
pub(crate) struct TfRes {
    /// `aws_iam_role.app` or `data.aws_iam_policy_document.app` (with `module.x.` in plans).
    pub address: String,
    pub ty: String,
    pub name: String,
    pub data: bool,
    pub values: Map<String, Value>,
    pub loc: Loc,
    pub last_line: u32,
    /// Where each statement of a policy was written: by attribute (`policy`, `inline_policy.0.policy`,
    /// `statement` for policy documents).
    pub statement_locs: HashMap<String, Vec<Loc>>,
    /// Position of each top-level attribute.
    pub attr_locs: HashMap<String, Loc>,
}

impl TfRes {
    fn owner(&self) -> String {
        format!("{}#{}", self.loc.file, self.address)
    }

    fn anchor(&self) -> Anchor {
        Anchor {
            loc: self.loc.clone(),
            owner: self.owner(),
        }
    }

    fn attr_loc(&self, attr: &str) -> Loc {
        self.attr_locs
            .get(attr)
            .cloned()
            .unwrap_or(self.loc.clone())
    }

    fn str(&self, k: &str) -> Option<&str> {
        self.values.get(k).and_then(Value::as_str)
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn is_literal(s: &str) -> bool {
    !s.is_empty() && !s.contains("{{")
}

/// Links one module's resources (a directory of `.tf` files, or one plan's module).
pub(crate) fn link(module: &str, mut res: Vec<TfRes>, format: Format, b: &mut Builder) {
    let prefix = |r: &TfRes| -> String {
        // Resource addresses inside a plan's child module carry `module.x.`.
        r.address
            .strip_suffix(&format!("{}.{}", r.ty, r.name))
            .map(|p| p.strip_suffix("data.").unwrap_or(p).to_string())
            .unwrap_or_default()
    };
    let mut subst: Vec<(String, String)> = vec![("data.aws_partition.".into(), "aws".into())];
    let mut exact: HashMap<String, String> = HashMap::new();
    let mut role_ids: HashMap<String, String> = HashMap::new(); // name or arn → arn
                                                                // The name Terraform will create: the literal attribute, else `<module>-<resource name>`.
    let mut name_of = |r: &TfRes, attr: &str, kind: &str| -> String {
        // `fn[0]`, `fn["a"]` (count and for_each instances) name `module-fn-0`, `module-fn-a`.
        // Child modules' resources carry their module names: `module.api.aws_iam_role.this`
        // in a root directory `app` is `app-api-this`.
        let within: String = r
            .address
            .split("module.")
            .skip(1)
            .filter_map(|m| m.split("].").next().and_then(|m| m.split('.').next()))
            .map(|m| format!("{m}-"))
            .collect();
        let generated: String = format!("{module}-{within}{}", r.name)
            .chars()
            .map(|c| {
                if c == '[' || c == ']' || c == '"' || c == '{' || c == '}' {
                    '-'
                } else {
                    c
                }
            })
            .collect::<String>()
            .split('-')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let name = r
            .str(attr)
            .filter(|n| is_literal(n))
            .map(str::to_string)
            .unwrap_or(generated);
        b.unique_name(kind, &name)
    };
    for r in &res {
        let p = prefix(r);
        match (r.data, r.ty.as_str()) {
            (false, "aws_iam_role") => {
                let name = name_of(r, "name", "role");
                let path = r.str("path").filter(|p| is_literal(p)).unwrap_or("/");
                let arn = Builder::role_arn(&name, path);
                let a = format!("{p}aws_iam_role.{}", r.name);
                exact.insert(format!("{{{{{a}.arn}}}}"), arn.clone());
                exact.insert(format!("{{{{{a}.name}}}}"), name.clone());
                exact.insert(format!("{{{{{a}.id}}}}"), name.clone());
                role_ids.insert(name, arn.clone());
                role_ids.insert(arn.clone(), arn);
            }
            (false, "aws_iam_policy") => {
                let name = name_of(r, "name", "policy");
                let arn = Builder::policy_arn(&name);
                let a = format!("{p}aws_iam_policy.{}", r.name);
                exact.insert(format!("{{{{{a}.arn}}}}"), arn.clone());
                exact.insert(format!("{{{{{a}.id}}}}"), arn.clone());
                exact.insert(format!("{{{{{a}.policy_id}}}}"), arn);
            }
            (false, "aws_lambda_function") => {
                let name = name_of(r, "function_name", "function");
                let arn = Builder::function_arn(&name);
                let a = format!("{p}aws_lambda_function.{}", r.name);
                exact.insert(format!("{{{{{a}.arn}}}}"), arn.clone());
                exact.insert(format!("{{{{{a}.qualified_arn}}}}"), arn.clone());
                exact.insert(format!("{{{{{a}.invoke_arn}}}}"), arn.clone());
                exact.insert(format!("{{{{{a}.function_name}}}}"), name.clone());
                exact.insert(format!("{{{{{a}.id}}}}"), name);
            }
            (true, "aws_caller_identity") => {
                subst.push((
                    format!("{{{{{p}data.aws_caller_identity.{}.account_id}}}}", r.name),
                    crate::ACCOUNT.into(),
                ));
            }
            (true, "aws_region") => {
                for attr in ["name", "region", "id"] {
                    subst.push((
                        format!("{{{{{p}data.aws_region.{}.{attr}}}}}", r.name),
                        crate::REGION.into(),
                    ));
                }
            }
            (true, "aws_partition") => {
                subst.push((
                    format!("{{{{{p}data.aws_partition.{}.partition}}}}", r.name),
                    "aws".into(),
                ));
            }
            _ => {}
        }
    }
    subst.retain(|(k, _)| k.starts_with("{{"));
    // Instances (`fn[0]`, `fn[a]`): `fn[*].arn` is the list of them all, and an index that is
    // only known at deploy time (`fn[{{count.index}}]`) stands for the first.
    let mut lists: HashMap<String, Vec<String>> = HashMap::new();
    let mut aliases: Vec<(String, String)> = Vec::new();
    for (k, v) in &exact {
        let Some(inner) = k.strip_prefix("{{").and_then(|x| x.strip_suffix("}}")) else {
            continue;
        };
        let Some(open) = inner.rfind('[') else {
            continue;
        };
        let Some(close) = inner
            .get(open..)
            .and_then(|t| t.find(']'))
            .map(|c| open + c)
        else {
            continue;
        };
        let (Some(base), Some(attr)) = (inner.get(..open), inner.get(close + 1..)) else {
            continue;
        };
        lists
            .entry(format!("{{{{{base}[*]{attr}}}}}"))
            .or_default()
            .push(v.clone());
        for unknown in ["{{count.index}}", "{{each.key}}"] {
            aliases.push((format!("{{{{{base}[{unknown}]{attr}}}}}"), v.clone()));
        }
    }
    for v in lists.values_mut() {
        v.sort();
    }
    for (k, v) in aliases {
        exact.entry(k).or_insert(v);
    }
    // `data "aws_iam_policy"` by ARN, or by the name of an AWS managed policy.
    for r in res.iter().filter(|r| r.data && r.ty == "aws_iam_policy") {
        let arn = r
            .str("arn")
            .filter(|a| is_literal(a))
            .map(str::to_string)
            .or_else(|| {
                r.str("name")
                    .filter(|n| is_literal(n))
                    .and_then(|n| rolecall_catalog::ManagedPolicies::get().by_name(n))
                    .map(|m| m.arn())
            });
        if let Some(arn) = arn {
            let a = format!("{}data.aws_iam_policy.{}", prefix(r), r.name);
            exact.insert(format!("{{{{{a}.arn}}}}"), arn.clone());
            exact.insert(format!("{{{{{a}.id}}}}"), arn);
        }
    }
    // Resolve references in every value, substrings included (`"${aws_s3_bucket.b.arn}/*"` stays
    // symbolic, `"${aws_iam_role.r.arn}"` becomes the role's ARN).
    let replace = |v: &mut Value| fix(v, &exact, &subst, &lists);
    for r in &mut res {
        for v in r.values.values_mut() {
            replace(v);
        }
    }
    // Policy documents (data sources), which other values reference as `.json`.
    let mut docs: HashMap<String, (Doc, Anchor)> = HashMap::new();
    for r in res
        .iter()
        .filter(|r| r.data && r.ty == "aws_iam_policy_document")
    {
        let doc = policy_document(r, &docs);
        docs.insert(
            format!(
                "{{{{{}data.aws_iam_policy_document.{}.json}}}}",
                prefix(r),
                r.name
            ),
            (doc, r.anchor()),
        );
    }
    // A policy attribute → document, statement positions, and the data source that wrote it.
    let policy_of = |r: &TfRes, v: Option<&Value>, attr: &str| -> Option<(Doc, Option<Anchor>)> {
        let v = v?;
        let s = text_of(v);
        if let Some((d, a)) = docs.get(s.trim()) {
            return Some((d.clone(), Some(a.clone())));
        }
        let value: Value = match v {
            Value::Object(_) => v.clone(),
            // Text left to deploy time (a file not in the tree, an unknown variable) is a note;
            // literal text that is not JSON is LR902's.
            _ => match serde_json::from_str(&s) {
                Ok(v) => v,
                Err(_) if s.contains("{{") => json!({"Statement": [], "_unresolved": s}),
                Err(_) => Value::String(s.clone()),
            },
        };
        let n = match value.get("Statement") {
            Some(Value::Array(a)) => a.len(),
            Some(_) => 1,
            None => 0,
        };
        let mut locs = r.statement_locs.get(attr).cloned().unwrap_or_default();
        if locs.len() != n {
            locs = vec![r.attr_loc(attr.split('.').next().unwrap_or(attr)); n];
        }
        Some((
            Doc {
                value,
                statement_locs: locs,
            },
            None,
        ))
    };

    for r in &res {
        b.span(&r.loc.file, r.loc.line, r.last_line, &r.owner());
    }
    // Roles.
    for r in res.iter().filter(|r| !r.data && r.ty == "aws_iam_role") {
        let a = format!("{{{{{}aws_iam_role.{}.arn}}}}", prefix(r), r.name);
        let Some(arn) = exact.get(&a).cloned() else {
            continue;
        };
        let name = exact
            .get(&a.replace(".arn}}", ".name}}"))
            .cloned()
            .unwrap_or_default();
        let trust = policy_of(r, r.values.get("assume_role_policy"), "assume_role_policy");
        let role = Role {
            arn: arn.clone(),
            name: name.clone(),
            account: crate::ACCOUNT.into(),
            path: r.str("path").unwrap_or("/").to_string(),
            trust_policy: trust
                .as_ref()
                .map(|(d, _)| Document::from_value(&d.value))
                .unwrap_or_default(),
            managed_policy_arns: strings(r.values.get("managed_policy_arns"))
                .iter()
                .map(|a| managed_arn(a))
                .collect(),
            permissions_boundary_arn: r
                .str("permissions_boundary")
                .filter(|s| !s.is_empty())
                .map(managed_arn),
            tags: tags(r.values.get("tags")),
            ..Default::default()
        };
        if let Some((d, a)) = &trust {
            let owner = a
                .as_ref()
                .map(|a| a.owner.clone())
                .unwrap_or_else(|| r.owner());
            b.record_statements(&arn, &format!("{name} trust policy"), d, &owner);
        }
        b.add_role(role, r.anchor());
        if let Some(Value::Array(blocks)) = r.values.get("inline_policy") {
            for (i, p) in blocks.iter().enumerate() {
                let pname = p
                    .get("name")
                    .map(text_of)
                    .unwrap_or_else(|| format!("inline-{i}"));
                if let Some((doc, a)) =
                    policy_of(r, p.get("policy"), &format!("inline_policy.{i}.policy"))
                {
                    let stmt_owner = a.map(|a| a.owner).unwrap_or_else(|| r.owner());
                    let at = Anchor {
                        loc: r.attr_loc("inline_policy"),
                        owner: r.owner(),
                    };
                    b.add_inline(&arn, &pname, doc, at, &stmt_owner);
                }
            }
        }
    }
    let role_of = |v: &str| -> Option<String> { role_ids.get(v).cloned() };
    for r in res.iter().filter(|r| !r.data) {
        match r.ty.as_str() {
            "aws_iam_policy" => {
                let a = format!("{{{{{}aws_iam_policy.{}.arn}}}}", prefix(r), r.name);
                let Some(arn) = exact.get(&a).cloned() else {
                    continue;
                };
                if let Some((doc, a)) = policy_of(r, r.values.get("policy"), "policy") {
                    let name = arn.rsplit('/').next().unwrap_or("").to_string();
                    let stmt_owner = a.map(|a| a.owner).unwrap_or_else(|| r.owner());
                    b.add_managed_policy(&arn, &name, doc, r.anchor(), &stmt_owner);
                }
            }
            "aws_iam_role_policy" => {
                let target = r.str("role").unwrap_or("");
                let pname = r
                    .str("name")
                    .filter(|s| !s.is_empty())
                    .unwrap_or(&r.name)
                    .to_string();
                match role_of(target) {
                    Some(role_arn) => {
                        if let Some((doc, a)) = policy_of(r, r.values.get("policy"), "policy") {
                            // The policy is where it is attached; its statements may be in a
                            // policy document data source.
                            let stmt_owner = a.map(|a| a.owner).unwrap_or_else(|| r.owner());
                            b.add_inline(&role_arn, &pname, doc, r.anchor(), &stmt_owner);
                        }
                    }
                    None => b.note(
                        r.attr_loc("role"),
                        format!(
                            "{}: role {target} is not defined in the files read",
                            r.address
                        ),
                    ),
                }
            }
            "aws_iam_role_policy_attachment" | "aws_iam_policy_attachment" => {
                let policy = managed_arn(r.str("policy_arn").unwrap_or(""));
                let roles: Vec<String> = if r.ty == "aws_iam_role_policy_attachment" {
                    r.str("role")
                        .map(|s| vec![s.to_string()])
                        .unwrap_or_default()
                } else {
                    strings(r.values.get("roles"))
                };
                for target in roles {
                    match role_of(&target) {
                        Some(role_arn) => {
                            b.attach(&role_arn, &policy);
                            let at = Anchor {
                                loc: r.attr_loc("policy_arn"),
                                owner: r.anchor().owner,
                            };
                            b.attached_at(&role_arn, &policy, at);
                        }
                        None => b.note(
                            r.attr_loc("role"),
                            format!(
                                "{}: role {target} is not defined in the files read",
                                r.address
                            ),
                        ),
                    }
                }
            }
            _ => {}
        }
    }
    // Functions.
    for r in res
        .iter()
        .filter(|r| !r.data && r.ty == "aws_lambda_function")
    {
        let a = format!("{{{{{}aws_lambda_function.{}.arn}}}}", prefix(r), r.name);
        let Some(arn) = exact.get(&a).cloned() else {
            continue;
        };
        let name = arn.rsplit(':').next().unwrap_or("").to_string();
        let role = r.str("role").unwrap_or("").to_string();
        let role_arn = role_of(&role).unwrap_or(role.clone());
        let f = Function {
            arn,
            name,
            account: crate::ACCOUNT.into(),
            region: crate::REGION.into(),
            runtime: r.str("runtime").map(str::to_string),
            role_arn,
            tags: tags(r.values.get("tags")),
            ..Default::default()
        };
        b.add_function(f, r.anchor());
    }
    for r in res.iter().filter(|r| !r.data) {
        let target = r.str("function_name").unwrap_or("").to_string();
        match r.ty.as_str() {
            "aws_lambda_function_url" => {
                let auth = r.str("authorization_type").unwrap_or("AWS_IAM").to_string();
                if let Some(f) = b.function_mut(&target) {
                    f.url = Some(FunctionUrl {
                        auth_type: auth,
                        url: None,
                    });
                }
            }
            "aws_lambda_permission" => {
                let value = |k: &str| r.values.get(k).filter(|v| !v.is_null()).cloned();
                let p = Permission {
                    sid: r
                        .str("statement_id")
                        .filter(|s| is_literal(s))
                        .unwrap_or(&r.name)
                        .to_string(),
                    principal: r.str("principal").unwrap_or("").to_string(),
                    action: r
                        .str("action")
                        .unwrap_or("lambda:InvokeFunction")
                        .to_string(),
                    source_arn: value("source_arn"),
                    source_account: value("source_account"),
                    url_auth_type: value("function_url_auth_type"),
                    invoked_via_url: value("invoked_via_function_url"),
                    principal_org_id: value("principal_org_id"),
                    event_source_token: value("event_source_token"),
                };
                b.add_permission(&target, p, r.anchor());
            }
            "aws_lambda_event_source_mapping" => {
                let source = r.str("event_source_arn").map(str::to_string);
                let kind = source
                    .as_deref()
                    .and_then(|s| s.split(':').nth(2))
                    .filter(|s| is_literal(s))
                    .unwrap_or("event-source")
                    .to_string();
                if let Some(f) = b.function_mut(&target) {
                    f.triggers.push(Trigger {
                        kind,
                        source_arn: source,
                    });
                }
            }
            _ => {}
        }
    }
    let mut files: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in &res {
        let e = files.entry(r.loc.file.as_str()).or_default();
        if !r.data && r.ty == "aws_iam_role" {
            e.1 += 1;
        }
        if !r.data && r.ty == "aws_lambda_function" {
            e.0 += 1;
        }
    }
    for (f, (functions, roles)) in files {
        b.files.push(FileInfo {
            path: f.to_string(),
            format,
            functions,
            roles,
        });
    }
}

/// Replaces references this module defines: whole strings exactly, and inside longer strings.
fn fix(
    v: &mut Value,
    exact: &HashMap<String, String>,
    subst: &[(String, String)],
    lists: &HashMap<String, Vec<String>>,
) {
    match v {
        Value::String(s) => {
            if !s.contains("{{") {
                return;
            }
            if let Some(l) = lists.get(s.as_str()) {
                *v = Value::Array(l.iter().cloned().map(Value::String).collect());
                return;
            }
            if let Some(x) = exact.get(s.as_str()) {
                *s = x.clone();
                return;
            }
            let mut out = s.clone();
            for (k, x) in subst {
                if out.contains(k.as_str()) {
                    out = out.replace(k.as_str(), x);
                }
            }
            if out.contains("{{") {
                for (k, x) in exact {
                    if out.contains(k.as_str()) {
                        out = out.replace(k.as_str(), x);
                    }
                }
            }
            *s = out;
        }
        Value::Array(a) => {
            // A splat inside a list (`[aws_iam_role.fn[*].arn]`) flattens into it.
            let mut out = Vec::with_capacity(a.len());
            for mut x in std::mem::take(a) {
                let was_string = x.is_string();
                fix(&mut x, exact, subst, lists);
                match x {
                    Value::Array(inner) if was_string => out.extend(inner),
                    other => out.push(other),
                }
            }
            *a = out;
        }
        Value::Object(m) => m.values_mut().for_each(|x| fix(x, exact, subst, lists)),
        _ => {}
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().map(text_of).filter(|s| !s.is_empty()).collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn tags(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), text_of(v))).collect(),
        _ => BTreeMap::new(),
    }
}

/// `data "aws_iam_policy_document"`: statement blocks → an IAM policy (source documents first).
fn policy_document(r: &TfRes, earlier: &HashMap<String, (Doc, Anchor)>) -> Doc {
    let mut statements = Vec::new();
    let mut locs = Vec::new();
    for src in strings(r.values.get("source_policy_documents")) {
        if let Some((d, _)) = earlier.get(src.trim()) {
            if let Some(Value::Array(a)) = d.value.get("Statement") {
                statements.extend(a.iter().cloned());
                locs.extend(d.statement_locs.iter().cloned());
            }
        }
    }
    let blocks: Vec<Value> = match r.values.get("statement") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let own_locs = r
        .statement_locs
        .get("statement")
        .cloned()
        .unwrap_or_default();
    for (i, s) in blocks.iter().enumerate() {
        let mut st = Map::new();
        if let Some(sid) = s.get("sid").filter(|v| !v.is_null()) {
            st.insert("Sid".into(), sid.clone());
        }
        st.insert(
            "Effect".into(),
            s.get("effect")
                .filter(|v| !v.is_null())
                .cloned()
                .unwrap_or(json!("Allow")),
        );
        for (k, out) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            if let Some(v) = s.get(k).filter(|v| !v.is_null()) {
                st.insert(out.into(), v.clone());
            }
        }
        for (k, out) in [
            ("principals", "Principal"),
            ("not_principals", "NotPrincipal"),
        ] {
            if let Some(Value::Array(ps)) = s.get(k) {
                let mut m = Map::new();
                for p in ps {
                    let ty = p.get("type").map(text_of).unwrap_or_default();
                    let ids = strings(p.get("identifiers"));
                    if ty == "*" || (ty == "AWS" && ids == ["*"]) {
                        st.insert(out.into(), json!("*"));
                        m.clear();
                        break;
                    }
                    m.insert(ty, json!(ids));
                }
                if !m.is_empty() {
                    st.insert(out.into(), Value::Object(m));
                }
            }
        }
        if let Some(Value::Array(cs)) = s.get("condition") {
            let mut cond: Map<String, Value> = Map::new();
            for c in cs {
                let test = c.get("test").map(text_of).unwrap_or_default();
                let var = c.get("variable").map(text_of).unwrap_or_default();
                let values = strings(c.get("values"));
                if let Value::Object(m) = cond.entry(test).or_insert_with(|| json!({})) {
                    m.insert(var, json!(values));
                }
            }
            st.insert("Condition".into(), Value::Object(cond));
        }
        statements.push(Value::Object(st));
        locs.push(own_locs.get(i).cloned().unwrap_or(r.loc.clone()));
    }
    Doc {
        value: json!({"Version": "2012-10-17", "Statement": statements}),
        statement_locs: locs,
    }
}

/// A `terraform show -json` plan: planned values (every module), with the configuration's
/// references standing in for values only known after apply (a role ARN, a policy ARN).
pub(crate) fn load_plan(file: &str, root: &Node, b: &mut Builder) {
    let mut res = Vec::new();
    let config = root.get("configuration").and_then(|c| c.get("root_module"));
    if let Some(m) = root
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        plan_module(file, m, config, "", &mut res);
    }
    // Data sources read during planning live in prior_state.
    if let Some(m) = root
        .get("prior_state")
        .and_then(|p| p.get("values"))
        .and_then(|v| v.get("root_module"))
    {
        let mut prior = Vec::new();
        plan_module(file, m, config, "", &mut prior);
        let known: std::collections::HashSet<String> =
            res.iter().map(|r| r.address.clone()).collect();
        res.extend(
            prior
                .into_iter()
                .filter(|r| r.data && !known.contains(&r.address)),
        );
    }
    let module = std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plan".into());
    link(&module, res, Format::TerraformPlan, b);
}

fn plan_module(file: &str, m: &Node, config: Option<&Node>, prefix: &str, out: &mut Vec<TfRes>) {
    for r in m.get("resources").map(Node::items).unwrap_or(&[]) {
        let ty = r.get("type").and_then(Node::str).unwrap_or("").to_string();
        let name = r.get("name").and_then(Node::str).unwrap_or("").to_string();
        let data = r.get("mode").and_then(Node::str) == Some("data");
        let mut values = match r.get("values").map(Node::to_json) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        // References for what the plan does not know yet.
        let conf = config.and_then(|c| {
            c.get("resources")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .find(|x| {
                    x.get("type").and_then(Node::str) == Some(ty.as_str())
                        && x.get("name").and_then(Node::str) == Some(name.as_str())
                        && (x.get("mode").and_then(Node::str) == Some("data")) == data
                })
        });
        for (attr, e) in conf
            .and_then(|c| c.get("expressions"))
            .map(Node::entries)
            .unwrap_or(&[])
        {
            let missing = values.get(attr).map_or(true, Value::is_null);
            if !missing {
                continue;
            }
            let refs: Vec<String> = e
                .get("references")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .filter_map(|x| x.str().map(str::to_string))
                .collect();
            if let Some(first) = refs.first() {
                values.insert(
                    attr.clone(),
                    Value::String(format!("{{{{{prefix}{first}}}}}")),
                );
            }
        }
        let address = r
            .get("address")
            .and_then(Node::str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{prefix}{}{ty}.{name}", if data { "data." } else { "" }));
        let address = address.split('[').next().unwrap_or(&address).to_string();
        out.push(TfRes {
            address,
            ty,
            name,
            data,
            values,
            loc: Loc {
                file: file.into(),
                line: r.line,
                col: r.col,
            },
            last_line: r.last_line(),
            statement_locs: HashMap::new(),
            attr_locs: HashMap::new(),
        });
    }
    for child in m.get("child_modules").map(Node::items).unwrap_or(&[]) {
        let addr = child.get("address").and_then(Node::str).unwrap_or("");
        let call = addr.rsplit("module.").next().unwrap_or("");
        let child_conf = config
            .and_then(|c| c.get("module_calls"))
            .and_then(|c| c.get(call))
            .and_then(|c| c.get("module"));
        plan_module(file, child, child_conf, &format!("{addr}."), out);
    }
}
