//! Terraform `*.tf` (HCL, parsed by hcl-edit, which keeps byte spans) into [`TfRes`]. One directory
//! is one module. Expressions are evaluated as far as a module allows without running Terraform:
//! literals, `jsonencode`, heredocs, templates, `local.*`, `concat`/`merge`/`flatten`/`join` and
//! friends; references to resources, variables and anything else become `{{reference}}`.

use crate::terraform::{link, TfRes};
use crate::{Builder, Format, Loc};
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::template::Element;
use hcl_edit::Span;
use serde_json::{Map, Value};
use std::collections::HashMap;

struct Source<'a> {
    file: &'a str,
    line_starts: Vec<usize>,
}

impl Source<'_> {
    fn loc(&self, offset: usize) -> Loc {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = line
            .checked_sub(1)
            .and_then(|i| self.line_starts.get(i))
            .copied()
            .unwrap_or(0);
        Loc {
            file: self.file.to_string(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(offset.saturating_sub(start) + 1).unwrap_or(u32::MAX),
        }
    }

    fn span_loc(&self, s: Option<std::ops::Range<usize>>) -> Loc {
        self.loc(s.map(|r| r.start).unwrap_or(0))
    }
}

pub(crate) fn load_module(files: &[(String, String)], b: &mut Builder) {
    let mut parsed = Vec::new();
    for (name, text) in files {
        match hcl_edit::parser::parse_body(text) {
            Ok(body) => {
                b.comments(name, text);
                parsed.push((name.as_str(), text.as_str(), body));
            }
            Err(e) => {
                let loc = e.location();
                b.error(
                    Loc {
                        file: name.clone(),
                        line: u32::try_from(loc.line()).unwrap_or(0),
                        col: u32::try_from(loc.column()).unwrap_or(0),
                    },
                    format!("not valid HCL: {}", e.message()),
                );
            }
        }
    }
    // Locals, module-wide.
    let mut locals: HashMap<String, Expression> = HashMap::new();
    for (_, _, body) in &parsed {
        for block in body.blocks().filter(|bl| bl.ident.as_str() == "locals") {
            for attr in block.body.attributes() {
                locals.insert(attr.key.as_str().to_string(), attr.value.clone());
            }
        }
    }
    let mut res = Vec::new();
    for (name, text, body) in &parsed {
        let src = Source {
            file: name,
            line_starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        };
        let ev = Eval {
            locals: &locals,
            depth: 0,
        };
        for block in body.blocks() {
            let kind = block.ident.as_str();
            if kind != "resource" && kind != "data" {
                continue;
            }
            let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
            let [ty, rname] = labels.as_slice() else {
                continue;
            };
            if !(ty.starts_with("aws_iam_") || ty.starts_with("aws_lambda_") || kind == "data") {
                continue;
            }
            let values = ev.body(&block.body);
            let loc = src.span_loc(block.span());
            let last_line = src
                .loc(block.span().map(|r| r.end.saturating_sub(1)).unwrap_or(0))
                .line;
            let mut attr_locs = HashMap::new();
            let mut statement_locs: HashMap<String, Vec<Loc>> = HashMap::new();
            for attr in block.body.attributes() {
                let k = attr.key.as_str().to_string();
                attr_locs.insert(k.clone(), src.span_loc(attr.span()));
                let spans = statement_spans(&attr.value);
                if !spans.is_empty() {
                    statement_locs.insert(k, spans.into_iter().map(|s| src.loc(s)).collect());
                }
            }
            let stmts: Vec<Loc> = block
                .body
                .blocks()
                .filter(|bl| bl.ident.as_str() == "statement")
                .map(|bl| src.span_loc(bl.span()))
                .collect();
            if !stmts.is_empty() {
                statement_locs.insert("statement".into(), stmts);
            }
            for (i, bl) in block
                .body
                .blocks()
                .filter(|bl| bl.ident.as_str() == "inline_policy")
                .enumerate()
            {
                for attr in bl.body.attributes().filter(|a| a.key.as_str() == "policy") {
                    let spans = statement_spans(&attr.value);
                    if !spans.is_empty() {
                        statement_locs.insert(
                            format!("inline_policy.{i}.policy"),
                            spans.into_iter().map(|s| src.loc(s)).collect(),
                        );
                    }
                }
            }
            let address = if kind == "data" {
                format!("data.{ty}.{rname}")
            } else {
                format!("{ty}.{rname}")
            };
            res.push(TfRes {
                address,
                ty: ty.to_string(),
                name: rname.to_string(),
                data: kind == "data",
                values,
                loc,
                last_line,
                statement_locs,
                attr_locs,
            });
        }
    }
    let module = files
        .first()
        .and_then(|(f, _)| std::path::Path::new(f).parent())
        .and_then(|p| p.file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "main".into());
    link(&module, res, Format::Terraform, b);
}

/// Start offsets of the elements of a `Statement = [...]` list inside an expression (a
/// `jsonencode({...})` policy), so findings point at the statement.
fn statement_spans(e: &Expression) -> Vec<usize> {
    match e {
        Expression::FuncCall(f) => f.args.iter().flat_map(statement_spans).collect(),
        Expression::Parenthesis(p) => statement_spans(p.inner()),
        Expression::Object(o) => {
            for (k, v) in o.iter() {
                let key = match k {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.as_str().to_string(),
                    _ => continue,
                };
                if key == "Statement" {
                    if let Expression::Array(a) = v.expr() {
                        return a.iter().filter_map(|x| x.span().map(|r| r.start)).collect();
                    }
                    return v.expr().span().map(|r| vec![r.start]).unwrap_or_default();
                }
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

struct Eval<'a> {
    locals: &'a HashMap<String, Expression>,
    depth: u8,
}

fn sym(s: &str) -> Value {
    Value::String(format!("{{{{{s}}}}}"))
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Eval<'_> {
    fn body(&self, body: &Body) -> Map<String, Value> {
        let mut out = Map::new();
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    out.insert(a.key.as_str().to_string(), self.expr(&a.value));
                }
                Structure::Block(bl) => {
                    if bl.ident.as_str() == "dynamic" {
                        continue;
                    }
                    let v = Value::Object(self.body(&bl.body));
                    match out
                        .entry(bl.ident.as_str().to_string())
                        .or_insert_with(|| Value::Array(Vec::new()))
                    {
                        Value::Array(a) => a.push(v),
                        other => *other = Value::Array(vec![v]),
                    }
                }
            }
        }
        out
    }

    /// A template's text: literals, interpolations as their values, directives symbolic.
    fn elements<'e>(&self, elements: impl Iterator<Item = &'e Element>) -> String {
        let mut out = String::new();
        for el in elements {
            match el {
                Element::Literal(s) => out.push_str(s.as_str()),
                Element::Interpolation(i) => out.push_str(&text_of(&self.expr(&i.expr))),
                Element::Directive(_) => out.push_str("{{directive}}"),
            }
        }
        out
    }

    /// `a.b[0].c` of a traversal whose root is a variable.
    fn path(&self, root: &str, ops: &[hcl_edit::Decorated<TraversalOperator>]) -> String {
        let mut p = root.to_string();
        for op in ops {
            match &**op {
                TraversalOperator::GetAttr(i) => {
                    p.push('.');
                    p.push_str(i.as_str());
                }
                TraversalOperator::Index(e) => {
                    p.push('[');
                    p.push_str(&text_of(&self.expr(e)));
                    p.push(']');
                }
                TraversalOperator::LegacyIndex(i) => {
                    p.push('.');
                    p.push_str(&i.to_string());
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    p.push_str("[*]")
                }
            }
        }
        p
    }

    fn expr(&self, e: &Expression) -> Value {
        match e {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(**b),
            Expression::Number(n) => serde_json::from_str(&n.to_string()).unwrap_or(Value::Null),
            Expression::String(s) => Value::String(s.as_str().to_string()),
            Expression::Array(a) => Value::Array(a.iter().map(|x| self.expr(x)).collect()),
            Expression::Object(o) => {
                let mut m = Map::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(x) => text_of(&self.expr(x)),
                    };
                    m.insert(key, self.expr(v.expr()));
                }
                Value::Object(m)
            }
            Expression::StringTemplate(t) => Value::String(self.elements(t.iter())),
            Expression::HeredocTemplate(h) => Value::String(self.elements(h.template.iter())),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => sym(v.as_str()),
            Expression::Traversal(t) => {
                let Expression::Variable(root) = &t.expr else {
                    return sym("expression");
                };
                let root = root.as_str();
                if root == "local" {
                    if let Some((first, rest)) = t.operators.split_first() {
                        if let TraversalOperator::GetAttr(name) = &**first {
                            if let (Some(x), true) =
                                (self.locals.get(name.as_str()), self.depth < 8)
                            {
                                let inner = Eval {
                                    locals: self.locals,
                                    depth: self.depth + 1,
                                };
                                let mut v = inner.expr(x);
                                for op in rest {
                                    v = match (&**op, v) {
                                        (TraversalOperator::GetAttr(k), Value::Object(m)) => {
                                            m.get(k.as_str()).cloned().unwrap_or(Value::Null)
                                        }
                                        (TraversalOperator::Index(i), Value::Array(a)) => self
                                            .expr(i)
                                            .as_u64()
                                            .and_then(|i| a.get(usize::try_from(i).ok()?).cloned())
                                            .unwrap_or(Value::Null),
                                        _ => return sym(&self.path(root, &t.operators)),
                                    };
                                }
                                return v;
                            }
                        }
                    }
                }
                sym(&self.path(root, &t.operators))
            }
            Expression::Conditional(c) => {
                // Either branch may be deployed: lists give both, anything else the first.
                match (self.expr(&c.true_expr), self.expr(&c.false_expr)) {
                    (Value::Array(mut a), Value::Array(b)) => {
                        a.extend(b);
                        Value::Array(a)
                    }
                    (t, _) => t,
                }
            }
            Expression::FuncCall(f) => self.call(f),
            Expression::UnaryOp(_) | Expression::BinaryOp(_) => sym("expression"),
            Expression::ForExpr(_) => sym("for"),
        }
    }

    fn call(&self, f: &hcl_edit::expr::FuncCall) -> Value {
        let name = f.name.name.as_str();
        let args: Vec<Value> = f.args.iter().map(|a| self.expr(a)).collect();
        let first = args.first().cloned().unwrap_or(Value::Null);
        match name {
            "jsonencode" => Value::String(first.to_string()),
            "jsondecode" => serde_json::from_str(&text_of(&first)).unwrap_or(first),
            "concat" => Value::Array(
                args.into_iter()
                    .flat_map(|a| match a {
                        Value::Array(v) => v,
                        other => vec![other],
                    })
                    .collect(),
            ),
            "flatten" => {
                fn flat(v: Value, out: &mut Vec<Value>) {
                    match v {
                        Value::Array(a) => a.into_iter().for_each(|x| flat(x, out)),
                        other => out.push(other),
                    }
                }
                let mut out = Vec::new();
                flat(first, &mut out);
                Value::Array(out)
            }
            "merge" => {
                let mut m = Map::new();
                for a in args {
                    if let Value::Object(o) = a {
                        m.extend(o);
                    }
                }
                Value::Object(m)
            }
            "tolist" | "toset" | "distinct" | "compact" | "tostring" | "tomap" | "sensitive"
            | "nonsensitive" | "trimspace" => first,
            "join" => match args.get(1) {
                Some(Value::Array(a)) => Value::String(
                    a.iter()
                        .map(text_of)
                        .collect::<Vec<_>>()
                        .join(&text_of(&first)),
                ),
                _ => sym("join()"),
            },
            "format" => {
                let mut out = text_of(&first);
                for a in args.iter().skip(1) {
                    out = out.replacen("%s", &text_of(a), 1);
                }
                Value::String(out)
            }
            "lower" => Value::String(text_of(&first).to_lowercase()),
            "upper" => Value::String(text_of(&first).to_uppercase()),
            _ => sym(&format!("{name}()")),
        }
    }
}
