//! CloudFormation, SAM and CDK output (and the CloudFormation that Serverless is translated to).
//!
//! Three passes over every template: name each role, function and managed policy; evaluate the
//! exports (`Outputs.*.Export`) so `Fn::ImportValue` can link a function to a role another stack
//! made; then build roles, policies and functions. Intrinsics are evaluated as far as the template
//! allows: pseudo parameters, `Ref`/`Fn::GetAtt` of the template's own roles, functions and
//! policies, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap`, `Fn::If` (both
//! branches where a list allows it, since either may be deployed). Everything else stays symbolic.

use crate::yaml::{Kind, Node};
use crate::{managed_arn, Anchor, Builder, Doc, FileInfo, Format, Loc, Permission};
use rolecall_inventory::{Document, Function, FunctionUrl, Role, Trigger};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

const NO_VALUE: &str = "{{AWS.NoValue}}";

pub(crate) struct Template {
    pub file: String,
    pub root: Node,
    pub format: Format,
    stack: String,
    /// Logical id → (name, ARN) of roles (SAM functions' generated roles under `<Id>Role`).
    roles: HashMap<String, (String, String)>,
    functions: HashMap<String, (String, String)>,
    /// Logical id → ARN of AWS::IAM::ManagedPolicy.
    policies: HashMap<String, String>,
}

impl Template {
    pub fn new(file: String, root: Node, format: Format) -> Template {
        let stem = std::path::Path::new(&file)
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stack = stem
            .trim_end_matches(".json")
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .trim_end_matches(".template")
            .to_string();
        let stack = if stack == "template" || stack == "serverless" {
            // Many projects call every template `template.yaml`: the directory names the stack.
            std::path::Path::new(&file)
                .parent()
                .and_then(|p| p.file_name())
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or(stack)
        } else {
            stack
        };
        Template {
            file,
            root,
            format,
            stack,
            roles: HashMap::new(),
            functions: HashMap::new(),
            policies: HashMap::new(),
        }
    }

    fn resources(&self) -> &[(String, Node)] {
        self.root.get("Resources").map(Node::entries).unwrap_or(&[])
    }

    fn loc(&self, n: &Node) -> Loc {
        Loc {
            file: self.file.clone(),
            line: n.line,
            col: n.col,
        }
    }

    fn key_loc(&self, n: &Node) -> Loc {
        let (line, col) = n.key_pos();
        Loc {
            file: self.file.clone(),
            line,
            col,
        }
    }

    fn owner(&self, logical: &str) -> String {
        format!("{}#{logical}", self.file)
    }

    /// Properties, with SAM's `Globals.Function` underneath a function's own.
    fn props(&self, res: &Node, ty: &str) -> Node {
        let own = res
            .get("Properties")
            .cloned()
            .unwrap_or_else(|| Node::new(Kind::Map(Vec::new()), res.line, res.col));
        if ty != "AWS::Serverless::Function" {
            return own;
        }
        let Some(globals) = self.root.get("Globals").and_then(|g| g.get("Function")) else {
            return own;
        };
        let mut merged = own.clone();
        if let Kind::Map(m) = &mut merged.kind {
            for (k, v) in globals.entries() {
                if !m.iter().any(|(x, _)| x == k) {
                    m.push((k.clone(), v.clone()));
                }
            }
        }
        merged
    }
}

fn literal(n: Option<&Node>) -> Option<String> {
    n.and_then(|n| match &n.kind {
        Kind::Scalar(s, _) if !s.is_empty() => Some(s.clone()),
        _ => None,
    })
}

pub(crate) fn load_all(docs: &mut [Template], b: &mut Builder) {
    // 1. Names.
    for t in docs.iter_mut() {
        let mut roles = HashMap::new();
        let mut functions = HashMap::new();
        let mut policies = HashMap::new();
        for (id, res) in t.resources() {
            let ty = res.get("Type").and_then(Node::str).unwrap_or("");
            let props = res.get("Properties");
            match ty {
                "AWS::IAM::Role" => {
                    let name = match literal(props.and_then(|p| p.get("RoleName"))) {
                        Some(n) => b.unique_name("role", &n),
                        None => b.unique_name("role", &format!("{}-{id}", t.stack)),
                    };
                    let path = literal(props.and_then(|p| p.get("Path"))).unwrap_or("/".into());
                    let arn = Builder::role_arn(&name, &path);
                    roles.insert(id.clone(), (name, arn));
                }
                "AWS::Lambda::Function" | "AWS::Serverless::Function" => {
                    let name = match literal(props.and_then(|p| p.get("FunctionName"))) {
                        Some(n) => b.unique_name("function", &n),
                        None => b.unique_name("function", &format!("{}-{id}", t.stack)),
                    };
                    let arn = Builder::function_arn(&name);
                    functions.insert(id.clone(), (name, arn));
                    if ty == "AWS::Serverless::Function"
                        && props.and_then(|p| p.get("Role")).is_none()
                    {
                        let rid = format!("{id}Role");
                        let name = b.unique_name("role", &format!("{}-{rid}", t.stack));
                        let path =
                            literal(props.and_then(|p| p.get("RolePath"))).unwrap_or("/".into());
                        let arn = Builder::role_arn(&name, &path);
                        roles.insert(rid, (name, arn));
                    }
                }
                "AWS::IAM::ManagedPolicy" => {
                    let name = match literal(props.and_then(|p| p.get("ManagedPolicyName"))) {
                        Some(n) => b.unique_name("policy", &n),
                        None => b.unique_name("policy", &format!("{}-{id}", t.stack)),
                    };
                    policies.insert(id.clone(), Builder::policy_arn(&name));
                }
                _ => {}
            }
        }
        t.roles = roles;
        t.functions = functions;
        t.policies = policies;
    }
    // 2. Exports.
    let mut exports: HashMap<String, Value> = HashMap::new();
    for t in docs.iter() {
        let none = HashMap::new();
        let ev = Ev::new(t, &none);
        for (_, out) in t.root.get("Outputs").map(Node::entries).unwrap_or(&[]) {
            let (Some(name), Some(value)) = (
                out.get("Export").and_then(|e| e.get("Name")),
                out.get("Value"),
            ) else {
                continue;
            };
            if let Value::String(name) = ev.eval(name) {
                exports.insert(name, ev.eval(value));
            }
        }
    }
    // 3. Resources.
    for t in docs.iter() {
        build(t, &exports, b);
    }
}

struct Ev<'a> {
    t: &'a Template,
    exports: &'a HashMap<String, Value>,
    /// `Fn::FindInMap` lookups in progress: a mapping value that looks itself up again is an
    /// error, not a stack overflow; nesting and the number of lookups are bounded too.
    map_stack: std::cell::RefCell<Vec<String>>,
    map_lookups: std::cell::Cell<usize>,
    /// Mapping entries found to refer to themselves: (mapping path, where).
    cycles: std::cell::RefCell<Vec<(String, Loc)>>,
}

/// Nested `Fn::FindInMap` lookups allowed (CloudFormation allows none inside Mappings).
const MAX_MAP_DEPTH: usize = 4;
/// `Fn::FindInMap` lookups per template (a fan-out of lists of lookups stays bounded).
const MAX_MAP_LOOKUPS: usize = 100_000;

impl<'a> Ev<'a> {
    fn new(t: &'a Template, exports: &'a HashMap<String, Value>) -> Ev<'a> {
        Ev {
            t,
            exports,
            map_stack: std::cell::RefCell::new(Vec::new()),
            map_lookups: std::cell::Cell::new(0),
            cycles: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Reports each self-referring mapping once.
    fn flush(&self, b: &mut Builder) {
        let mut cycles = self.cycles.take();
        cycles.sort_by(|a, b| a.0.cmp(&b.0));
        cycles.dedup_by(|a, b| a.0 == b.0);
        for (path, loc) in cycles {
            b.error(
                loc,
                format!("Fn::FindInMap {path} refers to itself or nests lookups beyond the budget (CloudFormation allows only literal values in Mappings): not evaluated"),
            );
        }
    }
}

/// A value as text inside `Fn::Sub` or `Fn::Join`.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => format!("{{{{{}}}}}", other),
    }
}

/// A value the template leaves open, as `{{name}}` (`::` written `.`, since symbols end up inside
/// ARNs, which split on `:`).
fn sym(s: &str) -> Value {
    Value::String(format!(
        "{{{{{}}}}}",
        s.replace("::", ".").replace(':', ".")
    ))
}

impl Ev<'_> {
    fn eval(&self, n: &Node) -> Value {
        if let Some((f, arg)) = n.intrinsic() {
            return self.intrinsic(f, arg);
        }
        match &n.kind {
            Kind::Scalar(s, plain) => crate::yaml::scalar_json(s, *plain),
            Kind::Seq(_) => Value::Array(self.list(n).into_iter().map(|(v, _)| v).collect()),
            Kind::Map(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    let x = self.eval(v);
                    if x.as_str() != Some(NO_VALUE) {
                        out.insert(k.clone(), x);
                    }
                }
                Value::Object(out)
            }
        }
    }

    /// A list's items, `Fn::If` items contributing both branches and `AWS::NoValue` dropped; each
    /// with the node it came from.
    fn list<'n>(&self, n: &'n Node) -> Vec<(Value, &'n Node)> {
        let mut out = Vec::new();
        let push = |v: Value, at: &'n Node, out: &mut Vec<(Value, &'n Node)>| {
            if v.as_str() != Some(NO_VALUE) {
                out.push((v, at));
            }
        };
        if let Some(("Fn::If", arg)) = n.intrinsic() {
            // A whole list chosen by a condition: both lists.
            for branch in arg.items().iter().skip(1) {
                match self.eval(branch) {
                    Value::Array(v) => v.into_iter().for_each(|x| push(x, branch, &mut out)),
                    other => push(other, branch, &mut out),
                }
            }
            return out;
        }
        if !matches!(n.kind, Kind::Seq(_)) {
            match self.eval(n) {
                Value::Array(v) => v.into_iter().for_each(|x| push(x, n, &mut out)),
                other => push(other, n, &mut out),
            }
            return out;
        }
        for item in n.items() {
            match item.intrinsic() {
                Some(("Fn::If", arg)) => {
                    for branch in arg.items().iter().skip(1) {
                        push(self.eval(branch), branch, &mut out);
                    }
                }
                _ => push(self.eval(item), item, &mut out),
            }
        }
        out
    }

    fn reference(&self, name: &str) -> Value {
        match name {
            "AWS::Partition" => return Value::String("aws".into()),
            "AWS::URLSuffix" => return Value::String("amazonaws.com".into()),
            "AWS::NoValue" => return Value::String(NO_VALUE.into()),
            "AWS::AccountId" => return Value::String(crate::ACCOUNT.into()),
            "AWS::Region" => return Value::String(crate::REGION.into()),
            _ => {}
        }
        if let Some((name, _)) = self.t.roles.get(name) {
            return Value::String(name.clone());
        }
        if let Some((name, _)) = self.t.functions.get(name) {
            return Value::String(name.clone());
        }
        if let Some(arn) = self.t.policies.get(name) {
            return Value::String(arn.clone());
        }
        sym(name)
    }

    fn get_att(&self, res: &str, attr: &str) -> Value {
        if attr == "Arn" {
            if let Some((_, arn)) = self.t.roles.get(res) {
                return Value::String(arn.clone());
            }
            if let Some((_, arn)) = self.t.functions.get(res) {
                return Value::String(arn.clone());
            }
        }
        sym(&format!("{res}.{attr}"))
    }

    fn intrinsic(&self, f: &str, arg: &Node) -> Value {
        match f {
            "Ref" => match arg.str() {
                Some(name) => self.reference(name),
                None => sym("Ref"),
            },
            "Fn::GetAtt" => {
                let parts: Vec<String> = match &arg.kind {
                    Kind::Scalar(s, _) => s.splitn(2, '.').map(str::to_string).collect(),
                    _ => arg.items().iter().map(|x| text_of(&self.eval(x))).collect(),
                };
                match parts.as_slice() {
                    [res, attr] => self.get_att(res, attr),
                    _ => sym("Fn::GetAtt"),
                }
            }
            "Fn::Sub" => {
                let (template, vars) = match &arg.kind {
                    Kind::Seq(v) => (v.first(), v.get(1)),
                    _ => (Some(arg), None),
                };
                let Some(template) = template.and_then(Node::str) else {
                    return sym("Fn::Sub");
                };
                Value::String(self.sub(template, vars))
            }
            "Fn::Join" => {
                let items = arg.items();
                let sep = items.first().and_then(Node::str).unwrap_or("");
                let Some(list) = items.get(1) else {
                    return sym("Fn::Join");
                };
                let parts: Vec<String> = self.list(list).iter().map(|(v, _)| text_of(v)).collect();
                Value::String(parts.join(sep))
            }
            "Fn::Select" => {
                let items = arg.items();
                let idx = items
                    .first()
                    .map(|i| text_of(&self.eval(i)))
                    .and_then(|s| s.parse::<usize>().ok());
                match (idx, items.get(1)) {
                    (Some(i), Some(list)) => self
                        .list(list)
                        .into_iter()
                        .nth(i)
                        .map(|(v, _)| v)
                        .unwrap_or_else(|| sym("Fn::Select")),
                    _ => sym("Fn::Select"),
                }
            }
            "Fn::Split" => {
                let items = arg.items();
                match (
                    items.first().and_then(Node::str),
                    items.get(1).map(|x| self.eval(x)),
                ) {
                    (Some(sep), Some(Value::String(s))) if !s.contains("{{") && !sep.is_empty() => {
                        Value::Array(s.split(sep).map(|x| Value::String(x.into())).collect())
                    }
                    _ => sym("Fn::Split"),
                }
            }
            "Fn::If" => {
                // One value: the first branch that is not AWS::NoValue.
                let items = arg.items();
                for branch in items.iter().skip(1) {
                    let v = self.eval(branch);
                    if v.as_str() != Some(NO_VALUE) {
                        return v;
                    }
                }
                Value::String(NO_VALUE.into())
            }
            "Fn::FindInMap" => {
                let keys: Vec<String> =
                    arg.items().iter().map(|k| text_of(&self.eval(k))).collect();
                let found = match keys.as_slice() {
                    [m, a, b] => self
                        .t
                        .root
                        .get("Mappings")
                        .and_then(|x| x.get(m))
                        .and_then(|x| x.get(a))
                        .and_then(|x| x.get(b)),
                    _ => None,
                };
                let path = keys.join(".");
                match found {
                    Some(n)
                        if self.map_stack.borrow().contains(&path)
                            || self.map_stack.borrow().len() >= MAX_MAP_DEPTH
                            || self.map_lookups.get() >= MAX_MAP_LOOKUPS =>
                    {
                        self.cycles.borrow_mut().push((path.clone(), self.t.loc(n)));
                        sym(&format!("FindInMap {path}"))
                    }
                    Some(n) => {
                        self.map_lookups.set(self.map_lookups.get() + 1);
                        self.map_stack.borrow_mut().push(path);
                        let v = self.eval(n);
                        self.map_stack.borrow_mut().pop();
                        v
                    }
                    None => sym(&format!("FindInMap {path}")),
                }
            }
            "Fn::ImportValue" => {
                let name = text_of(&self.eval(arg));
                self.exports
                    .get(&name)
                    .cloned()
                    .unwrap_or_else(|| sym(&format!("ImportValue {name}")))
            }
            "Fn::ToJsonString" => Value::String(self.eval(arg).to_string()),
            "Condition" => sym(&format!("Condition {}", arg.str().unwrap_or(""))),
            other => sym(other),
        }
    }

    fn sub(&self, template: &str, vars: Option<&Node>) -> String {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(rest.get(..start).unwrap_or(""));
            let after = rest.get(start + 2..).unwrap_or("");
            let Some(end) = after.find('}') else {
                out.push_str(rest.get(start..).unwrap_or(""));
                return out;
            };
            let name = after.get(..end).unwrap_or("");
            if let Some(lit) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(lit);
                out.push('}');
            } else if let Some(v) = vars.and_then(|v| v.get(name)) {
                out.push_str(&text_of(&self.eval(v)));
            } else if let Some((res, attr)) = name.split_once('.') {
                out.push_str(&text_of(&self.get_att(res, attr)));
            } else {
                out.push_str(&text_of(&self.reference(name)));
            }
            rest = after.get(end + 1..).unwrap_or("");
        }
        out.push_str(rest);
        out
    }

    /// A policy document and where each statement was written.
    fn doc(&self, n: &Node) -> Doc {
        let mut value = self.eval(n);
        let mut locs = Vec::new();
        if let Some(stmts) = n.get("Statement") {
            let items = self.list(stmts);
            locs = items.iter().map(|(_, at)| self.t.loc(at)).collect();
            if let Value::Object(m) = &mut value {
                m.insert(
                    "Statement".into(),
                    Value::Array(items.into_iter().map(|(v, _)| v).collect()),
                );
            }
        } else if n.intrinsic().is_some() {
            if let Some(Value::Array(v)) = value.get("Statement") {
                locs = vec![self.t.loc(n); v.len()];
            }
        }
        Doc {
            value,
            statement_locs: locs,
        }
    }

    fn strings(&self, n: Option<&Node>) -> Vec<String> {
        n.map(|n| self.list(n).into_iter().map(|(v, _)| text_of(&v)).collect())
            .unwrap_or_default()
    }

    fn tags(&self, n: Option<&Node>) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        match n.map(|n| self.eval(n)) {
            Some(Value::Array(v)) => {
                for t in v {
                    if let (Some(k), Some(val)) = (t.get("Key"), t.get("Value")) {
                        out.insert(text_of(k), text_of(val));
                    }
                }
            }
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    out.insert(k, text_of(&v));
                }
            }
            _ => {}
        }
        out
    }

    /// The role ARN a `Roles`/`RoleName` entry names: a role of this template by Ref, or by name.
    fn role_by_name(&self, v: &Value, b: &Builder) -> Option<String> {
        let s = v.as_str()?;
        self.t
            .roles
            .values()
            .find(|(name, arn)| name == s || arn == s)
            .map(|(_, arn)| arn.clone())
            .or_else(|| {
                b.inv
                    .roles
                    .iter()
                    .find(|r| r.name == s || r.arn == s)
                    .map(|r| r.arn.clone())
            })
    }
}

fn build(t: &Template, exports: &HashMap<String, Value>, b: &mut Builder) {
    let ev = Ev::new(t, exports);
    let (mut n_roles, mut n_functions) = (0, 0);
    let resources = t.resources();
    // Spans for comment suppressions.
    for (id, res) in resources {
        let (line, _) = res.key_pos();
        b.span(&t.file, line, res.last_line(), &t.owner(id));
        if let Some(meta) = res.get("Metadata") {
            b.metadata_suppressions(&t.owner(id), meta, &t.file);
        }
    }
    // Roles first, so policies and functions can find them.
    for (id, res) in resources {
        if res.get("Type").and_then(Node::str) != Some("AWS::IAM::Role") {
            continue;
        }
        let Some((name, arn)) = t.roles.get(id) else {
            continue;
        };
        let props = t.props(res, "AWS::IAM::Role");
        let role = Role {
            arn: arn.clone(),
            name: name.clone(),
            account: crate::ACCOUNT.into(),
            path: literal(props.get("Path")).unwrap_or("/".into()),
            trust_policy: props
                .get("AssumeRolePolicyDocument")
                .map(|d| Document::from_value(&ev.eval(d)))
                .unwrap_or_default(),
            managed_policy_arns: ev
                .strings(props.get("ManagedPolicyArns"))
                .iter()
                .map(|a| managed_arn(a))
                .collect(),
            permissions_boundary_arn: props
                .get("PermissionsBoundary")
                .map(|p| managed_arn(&text_of(&ev.eval(p)))),
            tags: ev.tags(props.get("Tags")),
            ..Default::default()
        };
        let owner = t.owner(id);
        if let Some(d) = props.get("AssumeRolePolicyDocument") {
            let doc = ev.doc(d);
            b.record_statements(arn, &format!("{name} trust policy"), &doc, &owner);
        }
        b.add_role(
            role,
            Anchor {
                loc: t.key_loc(res),
                owner: owner.clone(),
            },
        );
        n_roles += 1;
        if let Some(list) = props.get("ManagedPolicyArns") {
            for (v, at) in ev.list(list) {
                b.attached_at(
                    arn,
                    &managed_arn(&text_of(&v)),
                    Anchor {
                        loc: t.loc(at),
                        owner: owner.clone(),
                    },
                );
            }
        }
        for p in props.get("Policies").map(Node::items).unwrap_or(&[]) {
            let pname = p
                .get("PolicyName")
                .map(|n| text_of(&ev.eval(n)))
                .unwrap_or_else(|| "inline".into());
            if let Some(d) = p.get("PolicyDocument") {
                let doc = ev.doc(d);
                b.add_inline(
                    arn,
                    &pname,
                    doc,
                    Anchor {
                        loc: t.loc(p),
                        owner: owner.clone(),
                    },
                    &owner,
                );
            }
        }
    }
    // Functions (SAM ones make their roles).
    for (id, res) in resources {
        let ty = res.get("Type").and_then(Node::str).unwrap_or("");
        if ty != "AWS::Lambda::Function" && ty != "AWS::Serverless::Function" {
            continue;
        }
        let Some((name, arn)) = t.functions.get(id) else {
            continue;
        };
        let props = t.props(res, ty);
        let owner = t.owner(id);
        let anchor = Anchor {
            loc: t.key_loc(res),
            owner: owner.clone(),
        };
        let role_arn = match props.get("Role") {
            Some(r) => text_of(&ev.eval(r)),
            None if ty == "AWS::Serverless::Function" => {
                sam_role(t, &ev, id, &props, &anchor, b);
                n_roles += 1;
                t.roles
                    .get(&format!("{id}Role"))
                    .map(|(_, a)| a.clone())
                    .unwrap_or_default()
            }
            None => {
                b.error(t.key_loc(res), format!("function {id} has no Role"));
                String::new()
            }
        };
        let mut f = Function {
            arn: arn.clone(),
            name: name.clone(),
            account: crate::ACCOUNT.into(),
            region: crate::REGION.into(),
            runtime: literal(props.get("Runtime")),
            role_arn,
            tags: ev.tags(props.get("Tags")),
            ..Default::default()
        };
        if let Some(u) = props.get("FunctionUrlConfig") {
            f.url = Some(FunctionUrl {
                auth_type: u
                    .get("AuthType")
                    .map(|a| text_of(&ev.eval(a)))
                    .unwrap_or_else(|| "AWS_IAM".into()),
                url: None,
            });
        }
        for (_, e) in props.get("Events").map(Node::entries).unwrap_or(&[]) {
            let kind = match e.get("Type").and_then(Node::str).unwrap_or("") {
                "Api" => "apigateway-rest",
                "HttpApi" => "apigateway-http",
                "SQS" => "sqs",
                "Kinesis" => "kinesis",
                "DynamoDB" => "dynamodb",
                "S3" => "s3",
                "SNS" => "sns",
                "Schedule" | "ScheduleV2" | "EventBridgeRule" | "CloudWatchEvent" => "events",
                "MSK" | "SelfManagedKafka" => "kafka",
                other => other,
            };
            f.triggers.push(Trigger {
                kind: kind.to_ascii_lowercase(),
                source_arn: None,
            });
        }
        let public_url = f
            .url
            .as_ref()
            .is_some_and(|u| u.auth_type.eq_ignore_ascii_case("NONE"));
        let arn_of = f.arn.clone();
        b.add_function(f, anchor.clone());
        if public_url {
            // What SAM deploys for `FunctionUrlConfig: {AuthType: NONE}` (aws-sam-translator
            // 1.115.0, `_construct_url_permission` and `_construct_invoke_permission`): a public
            // lambda:InvokeFunctionUrl, and lambda:InvokeFunction through the URL only, as the
            // current function URL authorization model requires both.
            let url_anchor = props
                .get("FunctionUrlConfig")
                .map(|u| Anchor {
                    loc: t.key_loc(u),
                    ..anchor.clone()
                })
                .unwrap_or_else(|| anchor.clone());
            for (sid, action, auth, via) in [
                (
                    format!("{id}UrlPublicPermissions"),
                    "lambda:InvokeFunctionUrl",
                    true,
                    false,
                ),
                (
                    format!("{id}URLInvokeAllowPublicAccess"),
                    "lambda:InvokeFunction",
                    false,
                    true,
                ),
            ] {
                let p = Permission {
                    sid,
                    principal: "*".into(),
                    action: action.into(),
                    source_arn: None,
                    source_account: None,
                    url_auth_type: auth.then(|| serde_json::json!("NONE")),
                    invoked_via_url: via.then(|| serde_json::json!(true)),
                    principal_org_id: None,
                    event_source_token: None,
                };
                b.add_permission(&arn_of, p, url_anchor.clone());
            }
        }
        n_functions += 1;
    }
    // Policies attached from outside the role, URLs, permissions, event sources.
    for (id, res) in resources {
        let ty = res.get("Type").and_then(Node::str).unwrap_or("");
        if !matches!(
            ty,
            "AWS::IAM::Policy"
                | "AWS::IAM::RolePolicy"
                | "AWS::IAM::ManagedPolicy"
                | "AWS::Lambda::Url"
                | "AWS::Lambda::Permission"
                | "AWS::Lambda::EventSourceMapping"
        ) {
            continue;
        }
        let props = t.props(res, ty);
        let owner = t.owner(id);
        let anchor = Anchor {
            loc: t.key_loc(res),
            owner: owner.clone(),
        };
        match ty {
            "AWS::IAM::Policy" | "AWS::IAM::RolePolicy" => {
                let pname = props
                    .get("PolicyName")
                    .map(|n| text_of(&ev.eval(n)))
                    .unwrap_or_else(|| id.clone());
                let Some(d) = props.get("PolicyDocument") else {
                    continue;
                };
                let targets: Vec<Value> = match ty {
                    "AWS::IAM::Policy" => ev
                        .list(
                            props
                                .get("Roles")
                                .unwrap_or(&Node::new(Kind::Seq(vec![]), 0, 0)),
                        )
                        .into_iter()
                        .map(|(v, _)| v)
                        .collect(),
                    _ => props
                        .get("RoleName")
                        .map(|r| vec![ev.eval(r)])
                        .unwrap_or_default(),
                };
                for target in targets {
                    match ev.role_by_name(&target, b) {
                        Some(role_arn) => {
                            let doc = ev.doc(d);
                            b.add_inline(&role_arn, &pname, doc, anchor.clone(), &owner);
                        }
                        None => b.note(
                            t.key_loc(res),
                            format!(
                                "policy {id}: role {} is not defined in the templates read",
                                text_of(&target)
                            ),
                        ),
                    }
                }
            }
            "AWS::IAM::ManagedPolicy" => {
                let Some(arn) = t.policies.get(id) else {
                    continue;
                };
                let doc = props
                    .get("PolicyDocument")
                    .map(|d| ev.doc(d))
                    .unwrap_or(Doc {
                        value: json!({}),
                        statement_locs: vec![],
                    });
                let name = arn.rsplit('/').next().unwrap_or(id).to_string();
                b.add_managed_policy(arn, &name, doc, anchor.clone(), &owner);
                for (target, _) in ev.list(props.get("Roles").unwrap_or(&Node::new(
                    Kind::Seq(vec![]),
                    0,
                    0,
                ))) {
                    if let Some(role_arn) = ev.role_by_name(&target, b) {
                        b.attach(&role_arn, arn);
                        b.attached_at(&role_arn, arn, anchor.clone());
                    }
                }
            }
            "AWS::Lambda::Url" => {
                let target = props.get("TargetFunctionArn").map(|x| text_of(&ev.eval(x)));
                let auth = props
                    .get("AuthType")
                    .map(|a| text_of(&ev.eval(a)))
                    .unwrap_or_else(|| "AWS_IAM".into());
                if let Some(f) = target.and_then(|a| b.function_mut(&a)) {
                    f.url = Some(FunctionUrl {
                        auth_type: auth,
                        url: None,
                    });
                }
            }
            "AWS::Lambda::Permission" => {
                let value = |k: &str| props.get(k).map(|x| ev.eval(x));
                let text = |k: &str| value(k).map(|v| text_of(&v));
                let Some(target) = text("FunctionName") else {
                    continue;
                };
                let p = Permission {
                    sid: id.clone(),
                    principal: text("Principal").unwrap_or_default(),
                    action: text("Action").unwrap_or_else(|| "lambda:InvokeFunction".into()),
                    source_arn: value("SourceArn"),
                    source_account: value("SourceAccount"),
                    url_auth_type: value("FunctionUrlAuthType"),
                    invoked_via_url: value("InvokedViaFunctionUrl"),
                    principal_org_id: value("PrincipalOrgID"),
                    event_source_token: value("EventSourceToken"),
                };
                b.add_permission(&target, p, anchor.clone());
            }
            "AWS::Lambda::EventSourceMapping" => {
                let target = props.get("FunctionName").map(|x| text_of(&ev.eval(x)));
                let source = props.get("EventSourceArn").map(|x| text_of(&ev.eval(x)));
                let kind = source
                    .as_deref()
                    .and_then(|s| s.split(':').nth(2))
                    .filter(|s| !s.contains("{{"))
                    .unwrap_or("event-source")
                    .to_string();
                if let Some(f) = target.and_then(|a| b.function_mut(&a)) {
                    f.triggers.push(Trigger {
                        kind,
                        source_arn: source,
                    });
                }
            }
            _ => {}
        }
    }
    ev.flush(b);
    b.files.push(FileInfo {
        path: t.file.clone(),
        format: t.format,
        functions: n_functions,
        roles: n_roles,
    });
}

/// The role SAM creates for a function without `Role`: Lambda trust, AWSLambdaBasicExecutionRole,
/// and `Policies` (managed policy names or ARNs, SAM policy templates, inline documents).
fn sam_role(t: &Template, ev: &Ev<'_>, id: &str, props: &Node, anchor: &Anchor, b: &mut Builder) {
    let rid = format!("{id}Role");
    let Some((name, arn)) = t.roles.get(&rid) else {
        return;
    };
    let mut managed =
        vec!["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole".to_string()];
    // (document, where it is written, whether a SAM policy template wrote it)
    let mut inline: Vec<(Doc, &Node, bool)> = Vec::new();
    let policies: Vec<&Node> = match props.get("Policies") {
        Some(p) if matches!(p.kind, Kind::Seq(_)) => p.items().iter().collect(),
        Some(p) => vec![p],
        None => vec![],
    };
    // (managed policy ARN, the Policies entry naming it)
    let mut entries: Vec<(String, Loc)> = Vec::new();
    for p in policies {
        let before = managed.len();
        match &p.kind {
            Kind::Scalar(s, _) => managed.push(managed_arn(s)),
            Kind::Map(m) => {
                if p.get("Statement").is_some() {
                    inline.push((ev.doc(p), p, false));
                } else if let Some((f, _)) = p.intrinsic() {
                    if f == "Fn::If" {
                        for (v, at) in ev.list(p) {
                            match v {
                                Value::String(s) => managed.push(managed_arn(&s)),
                                other => inline.push((
                                    Doc {
                                        statement_locs: vec![t.loc(at); statements_len(&other)],
                                        value: other,
                                    },
                                    at,
                                    false,
                                )),
                            }
                        }
                    } else {
                        managed.push(managed_arn(&text_of(&ev.eval(p))));
                    }
                } else if let Some((tname, args)) = m.first() {
                    match crate::sam::expand(tname, args) {
                        Ok(doc) => inline.push((ev.doc(&doc), p, true)),
                        Err((doc, missing)) if crate::sam::is_template(tname) => {
                            b.error(
                                t.loc(p),
                                format!(
                                    "SAM policy template {tname} in function {id}: missing parameter {}",
                                    missing.join(", ")
                                ),
                            );
                            inline.push((ev.doc(&doc), p, true));
                        }
                        Err(_) => b.error(
                            t.loc(p),
                            format!("function {id}: Policies entry {tname} is not a SAM policy template (aws-sam-translator {})", crate::sam::source()),
                        ),
                    }
                }
            }
            Kind::Seq(_) => {}
        }
        for m in managed.iter().skip(before) {
            entries.push((m.clone(), t.loc(p)));
        }
    }
    let role = Role {
        arn: arn.clone(),
        name: name.clone(),
        account: crate::ACCOUNT.into(),
        path: literal(props.get("RolePath")).unwrap_or("/".into()),
        trust_policy: Document::from_value(&crate::lambda_trust()),
        managed_policy_arns: managed,
        permissions_boundary_arn: props
            .get("PermissionsBoundary")
            .map(|p| managed_arn(&text_of(&ev.eval(p)))),
        tags: ev.tags(props.get("Tags")),
        ..Default::default()
    };
    b.add_role(role, anchor.clone());
    for (policy, loc) in entries {
        b.attached_at(
            arn,
            &policy,
            Anchor {
                loc,
                owner: anchor.owner.clone(),
            },
        );
    }
    for (i, (doc, at, sam)) in inline.into_iter().enumerate() {
        let added = b.add_inline(
            arn,
            &format!("{rid}Policy{i}"),
            doc,
            Anchor {
                loc: t.loc(at),
                owner: anchor.owner.clone(),
            },
            &anchor.owner,
        );
        if let (true, Some(name)) = (sam, added) {
            b.mark_aws_baseline(arn, &name);
        }
    }
}

fn statements_len(v: &Value) -> usize {
    match v.get("Statement") {
        Some(Value::Array(a)) => a.len(),
        Some(_) => 1,
        None => 0,
    }
}
