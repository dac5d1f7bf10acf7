//! Terraform `*.tf` (HCL, parsed by hcl-edit, which keeps byte spans) and `*.tf.json` into
//! [`TfRes`]. A directory is a module; a root module is linted with the modules it calls.
//!
//! Expressions are evaluated as far as the configuration allows without running Terraform:
//! literals, `jsonencode`, heredocs, templates, `local.*`, `var.*` (the caller's input, else the
//! variable's default), `count` and `for_each` (literal counts, lists, maps and sets; an unknown
//! count is one symbolic instance, never none), `count.index`, `each.key`, `each.value`,
//! `dynamic` blocks and `for` expressions, `file()`, `templatefile()`, `fileexists()`,
//! `path.module`, `path.root`, `abspath()`, `concat`/`merge`/`flatten`/`join` and friends, module
//! outputs. References to resources stay `{{aws_iam_role.app.arn}}` until linking resolves the
//! ones the configuration defines; anything else stays symbolic.
//!
//! Local modules (`source = "./..."`) are read with the inputs their callers pass; modules
//! `terraform init` installed under `.terraform/modules` are read from there; other remote
//! modules are named in a note. Every expansion is bounded: instances per resource, elements of a
//! `for`, nesting of locals and modules, bytes read by `file()`.

use crate::terraform::{link, TfRes};
use crate::{Builder, Format, Loc};
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::template::{Element, Template};
use hcl_edit::Span;
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Instances of one resource (`count`, `for_each`) evaluated one by one; beyond, one symbolic.
const MAX_INSTANCES: usize = 256;
/// Elements a `for` expression or a `dynamic` block produces.
const MAX_ELEMENTS: usize = 10_000;
/// Nesting of locals, and of modules calling modules.
const MAX_DEPTH: u8 = 8;
/// Length of one string built from interpolations.
const MAX_STRING: usize = 4 * 1024 * 1024;
/// Expression evaluations (and value elements copied) per root module.
const MAX_STEPS: usize = 5_000_000;
/// Bytes `file()` and `templatefile()` read in all, per root module.
const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

struct Source<'a> {
    file: &'a str,
    line_starts: Vec<usize>,
}

impl Source<'_> {
    fn new<'s>(file: &'s str, text: &str) -> Source<'s> {
        Source {
            file,
            line_starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        }
    }

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

/// One directory's files, parsed.
pub(crate) struct Dir {
    pub path: PathBuf,
    /// (display name, text, body)
    files: Vec<(String, String, Body)>,
}

/// Parses every file of a directory (errors become diagnostics).
pub(crate) fn parse_dir(path: PathBuf, files: &[(String, String)], b: &mut Builder) -> Dir {
    let mut parsed = Vec::new();
    for (name, text) in files {
        match hcl_edit::parser::parse_body(text) {
            Ok(body) => {
                b.comments(name, text);
                parsed.push((name.clone(), text.clone(), body));
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
    Dir {
        path,
        files: parsed,
    }
}

/// Reads a module directory that is not among the paths given (a caller's `../modules/x`).
fn read_dir(path: &Path, b: &mut Builder) -> Option<Dir> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(path).ok()?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let name = crate::display(&p);
        let lower = name.to_ascii_lowercase();
        if !p.is_file() || !(lower.ends_with(".tf") || lower.ends_with(".tf.json")) {
            continue;
        }
        match rolecall_inventory::textfile::read_text(&p) {
            Ok(t) if lower.ends_with(".tf.json") => match tf_json_to_hcl(&t) {
                Ok(h) => files.push((name, h)),
                Err(m) => b.error(crate::loc0(&name), m),
            },
            Ok(t) => files.push((name, t)),
            Err(e) => b.error(crate::loc0(&name), e.to_string()),
        }
    }
    Some(parse_dir(path.to_path_buf(), &files, b))
}

/// `a/./b/../c` as `a/c`, without touching the file system (`..` past the start is kept).
fn lexical(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// A local module source: `./x`, `../x`.
fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// Lints every Terraform directory: root modules with the modules they call. A directory another
/// directory calls as a local module is linted through its callers (with their inputs), not on
/// its own.
pub(crate) fn load_dirs(dirs: Vec<Dir>, b: &mut Builder) {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut called = std::collections::HashSet::new();
    for d in &dirs {
        for (_, _, body) in &d.files {
            for block in body.blocks().filter(|bl| bl.ident.as_str() == "module") {
                if let Some(src) = block
                    .body
                    .attributes()
                    .find(|a| a.key.as_str() == "source")
                    .and_then(|a| match &a.value {
                        Expression::String(s) => Some(s.as_str().to_string()),
                        _ => None,
                    })
                {
                    if is_local(&src) {
                        called.insert(canon(&d.path.join(src)));
                    }
                }
            }
        }
    }
    let mut cache: HashMap<PathBuf, std::rc::Rc<Dir>> = HashMap::new();
    let mut roots = Vec::new();
    for d in dirs {
        let c = canon(&d.path);
        let is_root = !called.contains(&c);
        let d = std::rc::Rc::new(d);
        cache.insert(c, d.clone());
        if is_root {
            roots.push(d);
        }
    }
    for root in roots {
        // Every file is reported as read, whether or not it defines IAM or Lambda resources.
        for (name, _, _) in &root.files {
            b.files.push(crate::FileInfo {
                path: name.clone(),
                format: Format::Terraform,
                functions: 0,
                roles: 0,
            });
        }
        let mut res = Vec::new();
        let ctx = Tree {
            root: root.path.clone(),
            cache: RefCell::new(cache.clone()),
            file_bytes: Cell::new(0),
            steps: Cell::new(0),
        };
        eval_module(&ctx, &root, "", Map::new(), 0, &mut res, b);
        // The modules' files are read too (through their callers).
        for d in ctx.cache.borrow().values() {
            for (name, _, _) in &d.files {
                if !b.files.iter().any(|f| &f.path == name) {
                    b.files.push(crate::FileInfo {
                        path: name.clone(),
                        format: Format::Terraform,
                        functions: 0,
                        roles: 0,
                    });
                }
            }
        }
        if ctx.steps.get() > MAX_STEPS {
            b.error(
                crate::loc0(
                    &root
                        .files
                        .first()
                        .map(|f| f.0.clone())
                        .unwrap_or_else(|| crate::display(&root.path)),
                ),
                format!("expressions (locals, variables, for) in this module expand beyond the budget of {MAX_STEPS} evaluation steps: values past it are left unresolved"),
            );
        }
        let module = std::fs::canonicalize(&root.path)
            .ok()
            .as_deref()
            .unwrap_or(&root.path)
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "main".into());
        // FileInfo counts are filled by link (it adds its own entries): merge them into the ones
        // above.
        let before = b.files.len();
        link(&module, res, Format::Terraform, b);
        let added: Vec<crate::FileInfo> = b.files.drain(before..).collect();
        for a in added {
            match b.files.iter_mut().find(|f| f.path == a.path) {
                Some(f) => {
                    f.functions += a.functions;
                    f.roles += a.roles;
                }
                None => b.files.push(a),
            }
        }
    }
}

/// What one root module's evaluation shares: its directory, the modules read, the file budget.
struct Tree {
    root: PathBuf,
    cache: RefCell<HashMap<PathBuf, std::rc::Rc<Dir>>>,
    file_bytes: Cell<usize>,
    /// Expressions evaluated and values copied: a fan-out of locals stops at [`MAX_STEPS`].
    steps: Cell<usize>,
}

impl Tree {
    /// Spends `n` steps; false once the budget is gone.
    fn spend(&self, n: usize) -> bool {
        let total = self.steps.get().saturating_add(n);
        self.steps.set(total);
        total <= MAX_STEPS
    }
    fn dir(&self, path: &Path, b: &mut Builder) -> Option<std::rc::Rc<Dir>> {
        let c = std::fs::canonicalize(path).ok()?;
        if let Some(d) = self.cache.borrow().get(&c) {
            return Some(d.clone());
        }
        // Read through the path as written (`../..`), so locations stay relative to where
        // rolecall runs; the canonical path only keys the cache.
        let d = std::rc::Rc::new(read_dir(&lexical(path), b)?);
        self.cache.borrow_mut().insert(c, d.clone());
        Some(d)
    }

    /// `.terraform/modules/modules.json` of the root: module key → directory.
    fn installed(&self, key: &str) -> Option<PathBuf> {
        let text =
            std::fs::read_to_string(self.root.join(".terraform/modules/modules.json")).ok()?;
        let v: Value = serde_json::from_str(&text).ok()?;
        v.get("Modules")?.as_array()?.iter().find_map(|m| {
            (m.get("Key")?.as_str()? == key)
                .then(|| {
                    m.get("Dir")
                        .and_then(Value::as_str)
                        .map(|d| self.root.join(d))
                })
                .flatten()
        })
    }
}

/// One module instance being evaluated.
struct Scope<'a> {
    tree: &'a Tree,
    dir: PathBuf,
    /// `module.x.` for a child module's resources.
    prefix: String,
    locals: HashMap<String, Expression>,
    vars: Map<String, Value>,
    outputs: RefCell<HashMap<String, Map<String, Value>>>,
}

#[allow(clippy::too_many_arguments)]
fn eval_module(
    tree: &Tree,
    dir: &Dir,
    prefix: &str,
    inputs: Map<String, Value>,
    depth: u8,
    res: &mut Vec<TfRes>,
    b: &mut Builder,
) -> Map<String, Value> {
    let mut scope = Scope {
        tree,
        dir: dir.path.clone(),
        prefix: prefix.to_string(),
        locals: HashMap::new(),
        vars: Map::new(),
        outputs: RefCell::new(HashMap::new()),
    };
    for (_, _, body) in &dir.files {
        for block in body.blocks() {
            match block.ident.as_str() {
                "locals" => {
                    for attr in block.body.attributes() {
                        scope
                            .locals
                            .insert(attr.key.as_str().to_string(), attr.value.clone());
                    }
                }
                "variable" => {
                    if let Some(name) = block.labels.first() {
                        if let Some(d) = block
                            .body
                            .attributes()
                            .find(|a| a.key.as_str() == "default")
                        {
                            let v = Eval::new(&scope).expr(&d.value);
                            scope.vars.insert(name.as_str().to_string(), v);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    scope.vars.extend(inputs);
    // Modules first: resources and outputs may use their outputs.
    for (name, text, body) in &dir.files {
        let src = Source::new(name, text);
        for block in body.blocks().filter(|bl| bl.ident.as_str() == "module") {
            let Some(label) = block.labels.first().map(|l| l.as_str().to_string()) else {
                continue;
            };
            let source = block
                .body
                .attributes()
                .find(|a| a.key.as_str() == "source")
                .map(|a| text_of(&Eval::new(&scope).expr(&a.value)))
                .unwrap_or_default();
            // modules.json keys: `a` for a root module's call, `a.b` for a call inside it.
            let key = format!("{}{label}", prefix.replace("module.", ""));
            let child_dir = if is_local(&source) {
                tree.dir(&dir.path.join(&source), b)
            } else {
                tree.installed(&key).and_then(|d| tree.dir(&d, b))
            };
            let loc = src.span_loc(block.span());
            match child_dir {
                Some(child) if depth < MAX_DEPTH => {
                    // A module with count or for_each is one call per instance.
                    let mut first = None;
                    for (ikey, bind) in instances(&scope, &block.body, &src, block.span(), b) {
                        let ev = Eval {
                            scope: &scope,
                            bind,
                            depth: 0,
                        };
                        let mut inputs = Map::new();
                        for attr in block.body.attributes() {
                            let k = attr.key.as_str();
                            if !matches!(
                                k,
                                "source"
                                    | "version"
                                    | "count"
                                    | "for_each"
                                    | "providers"
                                    | "depends_on"
                            ) {
                                inputs.insert(k.to_string(), ev.expr(&attr.value));
                            }
                        }
                        let child_prefix = match &ikey {
                            Some(k) => format!("{prefix}module.{label}[{k}]."),
                            None => format!("{prefix}module.{label}."),
                        };
                        let outs =
                            eval_module(tree, &child, &child_prefix, inputs, depth + 1, res, b);
                        first.get_or_insert(outs);
                    }
                    if let Some(outs) = first {
                        scope.outputs.borrow_mut().insert(label, outs);
                    }
                }
                Some(_) => b.note(
                    loc,
                    format!("module {label}: more than {MAX_DEPTH} modules deep: not read"),
                ),
                None => b.note(
                    loc,
                    format!(
                        "module {label} ({source}) is not available locally (run `terraform init` to install it under .terraform/modules): its roles are not linted"
                    ),
                ),
            }
        }
    }
    for (name, text, body) in &dir.files {
        let src = Source::new(name, text);
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
            for (key, bind) in instances(&scope, &block.body, &src, block.span(), b) {
                let ev = Eval {
                    scope: &scope,
                    bind,
                    depth: 0,
                };
                res.push(resource(&ev, &src, kind, ty, rname, key.as_deref(), block));
            }
        }
    }
    let mut outputs = Map::new();
    for (_, _, body) in &dir.files {
        for block in body.blocks().filter(|bl| bl.ident.as_str() == "output") {
            if let (Some(name), Some(v)) = (
                block.labels.first(),
                block.body.attributes().find(|a| a.key.as_str() == "value"),
            ) {
                outputs.insert(name.as_str().to_string(), Eval::new(&scope).expr(&v.value));
            }
        }
    }
    outputs
}

/// The instances `count` or `for_each` make: (index or key, bindings). One instance with no key
/// when neither is set; one symbolic instance when the count or collection is not known.
fn instances(
    scope: &Scope<'_>,
    body: &Body,
    src: &Source<'_>,
    span: Option<std::ops::Range<usize>>,
    b: &mut Builder,
) -> Vec<(Option<String>, HashMap<String, Value>)> {
    let ev = Eval::new(scope);
    let attr = |k: &str| body.attributes().find(|a| a.key.as_str() == k);
    if let Some(c) = attr("count") {
        return match ev.expr(&c.value).as_u64() {
            Some(n) if (n as usize) <= MAX_INSTANCES => (0..n)
                .map(|i| {
                    let bind = HashMap::from([("count.index".to_string(), Value::from(i))]);
                    (Some(i.to_string()), bind)
                })
                .collect(),
            other => {
                if other.is_some() {
                    b.note(
                        src.span_loc(span),
                        format!("count over {MAX_INSTANCES}: evaluated as one instance"),
                    );
                }
                let bind = HashMap::from([("count.index".to_string(), sym("count.index"))]);
                vec![(Some("0".into()), bind)]
            }
        };
    }
    if let Some(f) = attr("for_each") {
        let pairs: Option<Vec<(String, Value)>> = match ev.expr(&f.value) {
            Value::Object(m) => Some(m.into_iter().collect()),
            Value::Array(a) if a.iter().all(|x| x.is_string()) => {
                Some(a.into_iter().map(|x| (text_of(&x), x)).collect())
            }
            _ => None,
        };
        return match pairs {
            Some(p) if p.len() <= MAX_INSTANCES => p
                .into_iter()
                .map(|(k, v)| {
                    let bind = HashMap::from([
                        ("each.key".to_string(), Value::String(k.clone())),
                        ("each.value".to_string(), v),
                    ]);
                    (Some(k), bind)
                })
                .collect(),
            _ => {
                let bind = HashMap::from([
                    ("each.key".to_string(), sym("each.key")),
                    ("each.value".to_string(), sym("each.value")),
                ]);
                vec![(Some("{{each.key}}".into()), bind)]
            }
        };
    }
    vec![(None, HashMap::new())]
}

fn resource(
    ev: &Eval<'_>,
    src: &Source<'_>,
    kind: &str,
    ty: &str,
    rname: &str,
    key: Option<&str>,
    block: &hcl_edit::structure::Block,
) -> TfRes {
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
    if !stmts.is_empty() && !block.body.blocks().any(|bl| bl.ident.as_str() == "dynamic") {
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
    let name = match key {
        Some(k) => format!("{rname}[{k}]"),
        None => rname.to_string(),
    };
    let address = if kind == "data" {
        format!("{}data.{ty}.{name}", ev.scope.prefix)
    } else {
        format!("{}{ty}.{name}", ev.scope.prefix)
    };
    TfRes {
        address,
        ty: ty.to_string(),
        name,
        data: kind == "data",
        values,
        loc,
        last_line,
        statement_locs,
        attr_locs,
    }
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

fn sym(s: &str) -> Value {
    Value::String(format!("{{{{{s}}}}}"))
}

fn is_sym(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.contains("{{"))
}

/// What an expression that fails in Terraform (a missing attribute of a known object, an index
/// past a list's end, an attribute of null) evaluates to here: what `try` falls back from and
/// `can` reports false. Unknown values (`{{var.x}}`) are not failures.
const FAILED: &str = "{{!failed}}";

fn is_unresolved(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.contains(FAILED))
}

/// `replace`'s pattern: empty, or a `/regular expression/` this evaluator does not run.
fn is_regex_or_empty(from: &str) -> bool {
    from.is_empty() || (from.len() > 1 && from.starts_with('/') && from.ends_with('/'))
}

/// Terraform's `format`: `%s`, `%v`, `%d`, `%q` and `%%` (width and precision ignored).
fn format_verbs(spec: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Skip flags, width and precision.
        while chars
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | '#' | ' '))
        {
            chars.next();
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('q') => out.push_str(&format!(
                "{:?}",
                text_of(args.next().unwrap_or(&Value::Null))
            )),
            Some(_) => out.push_str(&text_of(args.next().unwrap_or(&Value::Null))),
            None => out.push('%'),
        }
    }
    out
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

struct Eval<'a> {
    scope: &'a Scope<'a>,
    /// `count.index`, `each.key`, `each.value`, `for` variables, `dynamic` iterators.
    bind: HashMap<String, Value>,
    depth: u8,
}

impl<'a> Eval<'a> {
    fn new(scope: &'a Scope<'a>) -> Self {
        Eval {
            scope,
            bind: HashMap::new(),
            depth: 0,
        }
    }

    fn with(&self, extra: impl IntoIterator<Item = (String, Value)>) -> Eval<'a> {
        let mut bind = self.bind.clone();
        bind.extend(extra);
        Eval {
            scope: self.scope,
            bind,
            depth: self.depth,
        }
    }

    fn body(&self, body: &Body) -> Map<String, Value> {
        let mut out = Map::new();
        let push = |out: &mut Map<String, Value>, name: &str, v: Value| match out
            .entry(name.to_string())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(a) => a.push(v),
            other => *other = Value::Array(vec![v]),
        };
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    out.insert(a.key.as_str().to_string(), self.expr(&a.value));
                }
                Structure::Block(bl) if bl.ident.as_str() == "dynamic" => {
                    let Some(label) = bl.labels.first().map(|l| l.as_str().to_string()) else {
                        continue;
                    };
                    let iter = bl
                        .body
                        .attributes()
                        .find(|a| a.key.as_str() == "iterator")
                        .and_then(|a| match &a.value {
                            Expression::Variable(v) => Some(v.as_str().to_string()),
                            _ => None,
                        })
                        .unwrap_or_else(|| label.clone());
                    let Some(content) = bl.body.blocks().find(|c| c.ident.as_str() == "content")
                    else {
                        continue;
                    };
                    let coll = bl
                        .body
                        .attributes()
                        .find(|a| a.key.as_str() == "for_each")
                        .map(|a| self.expr(&a.value))
                        .unwrap_or(Value::Null);
                    match elements(&coll) {
                        Some(items) => {
                            for (k, v) in items.into_iter().take(MAX_ELEMENTS) {
                                let it = serde_json::json!({"key": k, "value": v});
                                let inner = self.with([(iter.clone(), it)]);
                                push(&mut out, &label, Value::Object(inner.body(&content.body)));
                            }
                        }
                        None => {
                            // Unknown collection: one symbolic instance.
                            let it = serde_json::json!({"key": sym(&format!("{iter}.key")), "value": sym(&format!("{iter}.value"))});
                            let inner = self.with([(iter.clone(), it)]);
                            push(&mut out, &label, Value::Object(inner.body(&content.body)));
                        }
                    }
                }
                Structure::Block(bl) => {
                    let v = Value::Object(self.body(&bl.body));
                    push(&mut out, bl.ident.as_str(), v);
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
            if out.len() > MAX_STRING {
                break;
            }
        }
        out
    }

    /// `a.b[0].c` of a traversal: its text, indexes evaluated.
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
                    p.push('[');
                    p.push_str(&i.to_string());
                    p.push(']');
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    p.push_str("[*]")
                }
            }
        }
        p
    }

    /// Follows traversal operators into a value; None when the value does not have them.
    fn apply(&self, v: Value, ops: &[hcl_edit::Decorated<TraversalOperator>]) -> Option<Value> {
        let Some((op, rest)) = ops.split_first() else {
            return Some(v);
        };
        match (&**op, v) {
            // A known object without the attribute, a null, a list index past the end: errors
            // in Terraform, which `try` falls back from.
            (TraversalOperator::GetAttr(k), Value::Object(m)) => match m.get(k.as_str()) {
                Some(x) => self.apply(x.clone(), rest),
                None => Some(Value::String(FAILED.into())),
            },
            (TraversalOperator::GetAttr(_) | TraversalOperator::Index(_), Value::Null) => {
                Some(Value::String(FAILED.into()))
            }
            (TraversalOperator::Index(i), v) => {
                let key = self.expr(i);
                if is_sym(&key) {
                    return None;
                }
                let next = match (&v, &key) {
                    (Value::Array(a), k) => match a.get(usize::try_from(k.as_u64()?).ok()?) {
                        Some(x) => x.clone(),
                        None => return Some(Value::String(FAILED.into())),
                    },
                    (Value::Object(m), k) => match m.get(&text_of(k)) {
                        Some(x) => x.clone(),
                        None => return Some(Value::String(FAILED.into())),
                    },
                    _ => return None,
                };
                self.apply(next, rest)
            }
            (TraversalOperator::LegacyIndex(i), Value::Array(a)) => {
                self.apply(a.get(usize::try_from(**i).ok()?).cloned()?, rest)
            }
            (
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_),
                Value::Array(a),
            ) => {
                let out: Option<Vec<Value>> = a.into_iter().map(|x| self.apply(x, rest)).collect();
                Some(Value::Array(out?))
            }
            _ => None,
        }
    }

    fn traversal(&self, t: &hcl_edit::expr::Traversal) -> Value {
        let root = match &t.expr {
            Expression::Variable(v) => v.as_str().to_string(),
            other => {
                let base = self.expr(other);
                return self
                    .apply(base, &t.operators)
                    .unwrap_or_else(|| sym("expression"));
            }
        };
        let ops = &t.operators;
        let first_attr = ops.first().and_then(|o| match &**o {
            TraversalOperator::GetAttr(a) => Some(a.as_str().to_string()),
            _ => None,
        });
        let rest = ops.get(1..).unwrap_or(&[]);
        let fallback = || {
            sym(&format!(
                "{}{}",
                self.prefix_for(&root),
                self.path(&root, ops)
            ))
        };
        // Bound names: `for` variables and `dynamic` iterators, then count/each.
        if let Some(v) = self.bind.get(&root) {
            return self.apply(v.clone(), ops).unwrap_or_else(fallback);
        }
        let Some(attr) = first_attr else {
            return fallback();
        };
        match root.as_str() {
            "count" | "each" => match self.bind.get(&format!("{root}.{attr}")) {
                Some(v) if !is_sym(v) => self.apply(v.clone(), rest).unwrap_or_else(fallback),
                Some(v) => v.clone(),
                None => fallback(),
            },
            "local" => match (self.scope.locals.get(&attr), self.depth < MAX_DEPTH) {
                (Some(x), true) => {
                    let inner = Eval {
                        scope: self.scope,
                        bind: HashMap::new(),
                        depth: self.depth + 1,
                    };
                    inner.apply(inner.expr(x), rest).unwrap_or_else(fallback)
                }
                _ => fallback(),
            },
            "var" => match self.scope.vars.get(&attr) {
                Some(v) if !self.scope.tree.spend(weight(v)) => sym("evaluation budget"),
                Some(v) => self.apply(v.clone(), rest).unwrap_or_else(fallback),
                None => fallback(),
            },
            "module" => {
                let outs = self.scope.outputs.borrow();
                match (outs.get(&attr), rest.split_first()) {
                    (Some(m), Some((op, more))) => match &**op {
                        TraversalOperator::GetAttr(o) => m
                            .get(o.as_str())
                            .cloned()
                            .and_then(|v| self.apply(v, more))
                            .unwrap_or_else(fallback),
                        _ => fallback(),
                    },
                    _ => fallback(),
                }
            }
            "path" => match attr.as_str() {
                // As Terraform gives them: relative to the root module, where it runs.
                "module" => {
                    Value::String(match self.scope.dir.strip_prefix(&self.scope.tree.root) {
                        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
                        Ok(rel) => rel.display().to_string(),
                        Err(_) => self.scope.dir.display().to_string(),
                    })
                }
                "root" | "cwd" => Value::String(".".into()),
                _ => fallback(),
            },
            "terraform" if attr == "workspace" => Value::String("default".into()),
            _ => fallback(),
        }
    }

    /// `module.x.` before references to this module's resources and data sources.
    fn prefix_for(&self, root: &str) -> &str {
        if root.starts_with("aws_") || root == "data" {
            &self.scope.prefix
        } else {
            ""
        }
    }

    fn expr(&self, e: &Expression) -> Value {
        if !self.scope.tree.spend(1) {
            return sym("evaluation budget");
        }
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
            Expression::StringTemplate(t) => Value::String(self.bounded(self.elements(t.iter()))),
            Expression::HeredocTemplate(h) => {
                Value::String(self.bounded(self.elements(h.template.iter())))
            }
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => match self.bind.get(v.as_str()) {
                Some(x) => x.clone(),
                None => sym(v.as_str()),
            },
            Expression::Traversal(t) => self.traversal(t),
            Expression::Conditional(c) => match self.expr(&c.cond_expr) {
                Value::Bool(true) => self.expr(&c.true_expr),
                Value::Bool(false) => self.expr(&c.false_expr),
                // Either branch may be deployed: lists give both, anything else the first.
                _ => match (self.expr(&c.true_expr), self.expr(&c.false_expr)) {
                    (Value::Array(mut a), Value::Array(b)) => {
                        a.extend(b);
                        Value::Array(a)
                    }
                    (t, _) => t,
                },
            },
            Expression::FuncCall(f) => self.call(f),
            Expression::UnaryOp(u) => match (&*u.operator, self.expr(&u.expr)) {
                (UnaryOperator::Not, Value::Bool(b)) => Value::Bool(!b),
                (UnaryOperator::Neg, Value::Number(n)) => n
                    .as_f64()
                    .and_then(|f| serde_json::Number::from_f64(-f))
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
                _ => sym("expression"),
            },
            Expression::BinaryOp(op) => self.binary(op),
            Expression::ForExpr(f) => self.for_expr(f),
        }
    }

    fn binary(&self, op: &hcl_edit::expr::BinaryOp) -> Value {
        let (l, r) = (self.expr(&op.lhs_expr), self.expr(&op.rhs_expr));
        if is_sym(&l) || is_sym(&r) {
            return sym("expression");
        }
        let num = |v: &Value| v.as_f64();
        match &*op.operator {
            BinaryOperator::Eq => Value::Bool(l == r),
            BinaryOperator::NotEq => Value::Bool(l != r),
            BinaryOperator::And => match (l, r) {
                (Value::Bool(a), Value::Bool(b)) => Value::Bool(a && b),
                _ => sym("expression"),
            },
            BinaryOperator::Or => match (l, r) {
                (Value::Bool(a), Value::Bool(b)) => Value::Bool(a || b),
                _ => sym("expression"),
            },
            o => match (num(&l), num(&r)) {
                (Some(a), Some(b)) => {
                    let f = match o {
                        BinaryOperator::Plus => Some(a + b),
                        BinaryOperator::Minus => Some(a - b),
                        BinaryOperator::Mul => Some(a * b),
                        BinaryOperator::Div if b != 0.0 => Some(a / b),
                        BinaryOperator::Less => return Value::Bool(a < b),
                        BinaryOperator::LessEq => return Value::Bool(a <= b),
                        BinaryOperator::Greater => return Value::Bool(a > b),
                        BinaryOperator::GreaterEq => return Value::Bool(a >= b),
                        _ => None,
                    };
                    match f {
                        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => Value::from(x as i64),
                        Some(x) => serde_json::Number::from_f64(x)
                            .map(Value::Number)
                            .unwrap_or(Value::Null),
                        None => sym("expression"),
                    }
                }
                _ => sym("expression"),
            },
        }
    }

    fn for_expr(&self, f: &hcl_edit::expr::ForExpr) -> Value {
        let coll = self.expr(&f.intro.collection_expr);
        let Some(items) = elements(&coll) else {
            return sym("for");
        };
        let kvar = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let vvar = f.intro.value_var.as_str().to_string();
        let mut list = Vec::new();
        let mut obj = Map::new();
        for (k, v) in items.into_iter().take(MAX_ELEMENTS) {
            let mut bind = vec![(vvar.clone(), v)];
            if let Some(kv) = &kvar {
                bind.push((kv.clone(), k));
            }
            let ev = self.with(bind);
            if let Some(c) = &f.cond {
                match ev.expr(&c.expr) {
                    Value::Bool(false) => continue,
                    Value::Bool(true) => {}
                    _ => {} // unknown: kept (it may be deployed)
                }
            }
            match &f.key_expr {
                Some(ke) => {
                    let key = text_of(&ev.expr(ke));
                    let val = ev.expr(&f.value_expr);
                    if f.grouping {
                        if let Value::Array(a) =
                            obj.entry(key).or_insert_with(|| Value::Array(Vec::new()))
                        {
                            a.push(val);
                        }
                    } else {
                        obj.insert(key, val);
                    }
                }
                None => list.push(ev.expr(&f.value_expr)),
            }
        }
        if f.key_expr.is_some() {
            Value::Object(obj)
        } else {
            Value::Array(list)
        }
    }

    /// A file a function names: relative paths from the root module, as Terraform reads them.
    fn read_file(&self, path: &str) -> Option<String> {
        if path.contains("{{") {
            return None;
        }
        let p = Path::new(path);
        let full = if p.is_absolute() {
            p.to_path_buf()
        } else {
            let from_root = self.scope.tree.root.join(p);
            if from_root.exists() {
                from_root
            } else {
                self.scope.dir.join(p)
            }
        };
        let text = rolecall_inventory::textfile::read_text(&full).ok()?;
        let used = self.scope.tree.file_bytes.get().saturating_add(text.len());
        if used > MAX_FILE_BYTES {
            return None;
        }
        self.scope.tree.file_bytes.set(used);
        Some(text)
    }

    fn call(&self, f: &hcl_edit::expr::FuncCall) -> Value {
        let name = f.name.name.as_str();
        let args: Vec<Value> = f.args.iter().map(|a| self.expr(a)).collect();
        let first = args.first().cloned().unwrap_or(Value::Null);
        match name {
            "jsonencode" => Value::String(first.to_string()),
            "jsondecode" => serde_json::from_str(&text_of(&first)).unwrap_or(first),
            "file" => match self.read_file(&text_of(&first)) {
                Some(t) => Value::String(t),
                None => sym(&format!("file({})", text_of(&first))),
            },
            "fileexists" => Value::Bool(self.read_file(&text_of(&first)).is_some()),
            "abspath" => first,
            "templatefile" => match self.read_file(&text_of(&first)) {
                Some(t) => match hcl_edit::parser::parse_template(&t) {
                    Ok(tpl) => {
                        let vars: Vec<(String, Value)> = match args.get(1) {
                            Some(Value::Object(m)) => {
                                m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
                            }
                            _ => Vec::new(),
                        };
                        let ev = Eval {
                            scope: self.scope,
                            bind: vars.into_iter().collect(),
                            depth: self.depth,
                        };
                        Value::String(ev.template(&tpl))
                    }
                    Err(_) => sym("templatefile()"),
                },
                None => sym(&format!("templatefile({})", text_of(&first))),
            },
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
            "tolist" | "toset" | "tomap" | "sensitive" | "nonsensitive" => first,
            "trimspace" => match &first {
                Value::String(s) => Value::String(s.trim().to_string()),
                other => other.clone(),
            },
            // Scalars convert; a list or object is an error (what `can(tostring(x))` tests).
            "tostring" => match &first {
                Value::String(_) => first,
                Value::Number(n) => Value::String(n.to_string()),
                Value::Bool(b) => Value::String(b.to_string()),
                Value::Null => Value::Null,
                Value::Array(_) | Value::Object(_) => Value::String(FAILED.into()),
            },
            "tonumber" => match &first {
                Value::Number(_) => first,
                Value::String(s) => serde_json::from_str::<serde_json::Number>(s.trim())
                    .map(Value::Number)
                    .unwrap_or_else(|_| sym("tonumber()")),
                _ => sym("tonumber()"),
            },
            "tobool" => match &first {
                Value::Bool(_) => first,
                Value::String(s) if s == "true" || s == "false" => Value::Bool(s == "true"),
                _ => sym("tobool()"),
            },
            // What could not be evaluated here is what `try` skips and `can` reports.
            "try" => args
                .iter()
                .find(|a| !is_unresolved(a))
                .or(args.last())
                .cloned()
                .unwrap_or(Value::Null),
            "can" => {
                if is_unresolved(&first) {
                    Value::Bool(false)
                } else if is_sym(&first) {
                    sym("can()")
                } else {
                    Value::Bool(true)
                }
            }
            "coalesce" => args
                .iter()
                .find(|a| !a.is_null() && a.as_str() != Some(""))
                .cloned()
                .unwrap_or(Value::Null),
            "compact" => match first {
                Value::Array(a) => Value::Array(
                    a.into_iter()
                        .filter(|x| !x.is_null() && x.as_str() != Some(""))
                        .collect(),
                ),
                other => other,
            },
            "distinct" => match first {
                Value::Array(a) => {
                    let mut out: Vec<Value> = Vec::with_capacity(a.len());
                    let mut seen = std::collections::HashSet::new();
                    for x in a {
                        if seen.insert(x.to_string()) {
                            out.push(x);
                        }
                    }
                    Value::Array(out)
                }
                other => other,
            },
            "slice" => match (
                &first,
                args.get(1).and_then(Value::as_u64),
                args.get(2).and_then(Value::as_u64),
            ) {
                (Value::Array(a), Some(from), Some(to)) if from <= to => Value::Array(
                    a.iter()
                        .skip(usize::try_from(from).unwrap_or(usize::MAX))
                        .take(usize::try_from(to - from).unwrap_or(0))
                        .cloned()
                        .collect(),
                ),
                _ => sym("slice()"),
            },
            "contains" => match (&first, args.get(1)) {
                (Value::Array(a), Some(v)) if !is_sym(v) => Value::Bool(a.contains(v)),
                _ => sym("contains()"),
            },
            "one" => match &first {
                Value::Array(a) if a.len() <= 1 => a.first().cloned().unwrap_or(Value::Null),
                _ => sym("one()"),
            },
            "replace" => match (&first, args.get(1), args.get(2)) {
                (Value::String(s), Some(Value::String(from)), Some(to))
                    if !is_regex_or_empty(from) && !s.contains("{{") =>
                {
                    Value::String(s.replace(from.as_str(), &text_of(to)))
                }
                _ => sym("replace()"),
            },
            "startswith" | "endswith" => match (&first, args.get(1)) {
                (Value::String(s), Some(Value::String(x))) if !s.contains("{{") => {
                    Value::Bool(if name == "startswith" {
                        s.starts_with(x.as_str())
                    } else {
                        s.ends_with(x.as_str())
                    })
                }
                _ => sym(&format!("{name}()")),
            },
            "length" => match &first {
                Value::Array(a) => Value::from(a.len()),
                Value::Object(m) => Value::from(m.len()),
                Value::String(s) if !s.contains("{{") => Value::from(s.chars().count()),
                _ => sym("length()"),
            },
            "keys" => match &first {
                Value::Object(m) => Value::Array(m.keys().cloned().map(Value::String).collect()),
                _ => sym("keys()"),
            },
            "values" => match &first {
                Value::Object(m) => Value::Array(m.values().cloned().collect()),
                _ => sym("values()"),
            },
            "lookup" => match (&first, args.get(1)) {
                (Value::Object(m), Some(k)) => m
                    .get(&text_of(k))
                    .cloned()
                    .or_else(|| args.get(2).cloned())
                    .unwrap_or_else(|| sym("lookup()")),
                _ => sym("lookup()"),
            },
            "element" => match (&first, args.get(1).and_then(Value::as_u64)) {
                (Value::Array(a), Some(i)) if !a.is_empty() => a
                    .get(usize::try_from(i).unwrap_or(0) % a.len())
                    .cloned()
                    .unwrap_or(Value::Null),
                _ => sym("element()"),
            },
            "join" => match args.get(1) {
                Some(Value::Array(a)) => Value::String(
                    a.iter()
                        .map(text_of)
                        .collect::<Vec<_>>()
                        .join(&text_of(&first)),
                ),
                _ => sym("join()"),
            },
            "format" => Value::String(format_verbs(&text_of(&first), args.get(1..).unwrap_or(&[]))),
            "lower" => Value::String(text_of(&first).to_lowercase()),
            "upper" => Value::String(text_of(&first).to_uppercase()),
            _ => sym(&format!("{name}()")),
        }
    }

    fn template(&self, t: &Template) -> String {
        self.bounded(self.elements(t.iter()))
    }

    /// Interpolations that double a string at every level stop at a bound.
    fn bounded(&self, out: String) -> String {
        if out.len() > MAX_STRING || !self.scope.tree.spend(out.len() / 1024) {
            self.scope.tree.spend(MAX_STEPS);
            return text_of(&sym("evaluation budget"));
        }
        out
    }
}

/// What copying a value costs, in steps: its elements, and a step per KiB of text.
fn weight(v: &Value) -> usize {
    match v {
        Value::Array(a) => a.iter().map(weight).fold(1, usize::saturating_add),
        Value::Object(m) => m.values().map(weight).fold(1, usize::saturating_add),
        Value::String(s) => 1 + s.len() / 1024,
        _ => 1,
    }
}

/// A collection's (key, value) pairs: a list's are (index, element), a map's (key, value).
fn elements(v: &Value) -> Option<Vec<(Value, Value)>> {
    match v {
        Value::Array(a) => Some(
            a.iter()
                .enumerate()
                .map(|(i, x)| (Value::from(i), x.clone()))
                .collect(),
        ),
        Value::Object(m) => Some(
            m.iter()
                .map(|(k, x)| (Value::String(k.clone()), x.clone()))
                .collect(),
        ),
        _ => None,
    }
}

/// Terraform's JSON syntax as HCL text: blocks (`resource`, `data`, `module`, `variable`,
/// `locals`, `output`) with their attributes; `${...}` in strings stays an interpolation.
pub(crate) fn tf_json_to_hcl(text: &str) -> Result<String, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(top) = v else {
        return Err("a .tf.json file holds an object".into());
    };
    let mut out = String::new();
    for (kind, v) in top {
        match kind.as_str() {
            "resource" | "data" => {
                for (ty, by_name) in v.as_object().into_iter().flatten() {
                    for (name, body) in by_name.as_object().into_iter().flatten() {
                        for body in one_or_many(body) {
                            out.push_str(&format!("{kind} {} {} {{\n", hcl_str(ty), hcl_str(name)));
                            hcl_body(body, &mut out);
                            out.push_str("}\n");
                        }
                    }
                }
            }
            "module" | "variable" | "output" => {
                for (name, body) in v.as_object().into_iter().flatten() {
                    out.push_str(&format!("{kind} {} {{\n", hcl_str(name)));
                    hcl_body(body, &mut out);
                    out.push_str("}\n");
                }
            }
            "locals" => {
                for body in one_or_many(&v) {
                    out.push_str("locals {\n");
                    hcl_body(body, &mut out);
                    out.push_str("}\n");
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn one_or_many(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

/// Blocks that Terraform's JSON syntax writes as objects (or lists of objects).
const JSON_BLOCKS: &[&str] = &[
    "statement",
    "principals",
    "not_principals",
    "condition",
    "inline_policy",
    "environment",
    "dynamic",
    "content",
    "vpc_config",
];

fn hcl_body(body: &Value, out: &mut String) {
    for (k, v) in body.as_object().into_iter().flatten() {
        if JSON_BLOCKS.contains(&k.as_str()) {
            for b in one_or_many(v) {
                out.push_str(&format!("{k} {{\n"));
                hcl_body(b, out);
                out.push_str("}\n");
            }
        } else {
            out.push_str(&format!("{k} = {}\n", hcl_value(v)));
        }
    }
}

fn hcl_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => hcl_template_str(s),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(hcl_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{} = {}", hcl_str(k), hcl_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A quoted HCL string literal (no interpolation).
fn hcl_str(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '$' => out.push_str("$$"),
            '%' => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A quoted HCL template: `${...}` kept, everything else literal.
fn hcl_template_str(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
