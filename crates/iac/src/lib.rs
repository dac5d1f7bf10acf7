//! Infrastructure as code → [`Inventory`], so `rolecall lint` runs the same rules as a live scan.
//!
//! Reads CloudFormation and SAM (YAML or JSON, short-form tags included), CDK output
//! (`cdk.out/*.template.json`), Terraform (`*.tf` and `terraform show -json` plans) and Serverless
//! Framework `serverless.yml`. Functions are linked to their roles; SAM policy templates expand from
//! data generated from aws-sam-translator; AWS managed policies resolve through the embedded
//! catalogue. What a template leaves open (parameters, `var.x`, resources defined elsewhere) stays
//! symbolic as `{{name}}`: an unknown ARN is never read as `*`.
//!
//! Every role, function, policy and statement remembers the file, line and column it came from
//! ([`Locations`]), and `rolecall:ignore CODE reason` marks (in a resource's Metadata or a comment)
//! are collected as [`InlineSuppression`]s.

mod cfn;
mod hcl;
mod sam;
mod serverless;
mod suppress;
mod terraform;
pub mod yaml;

use rolecall_inventory::{Document, Function, Inventory, ManagedPolicy, NamedDocument, Role};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

pub use suppress::InlineSuppression;

/// The account every template resource is placed in: templates do not know it. (No `:` in
/// symbols: they sit inside ARNs, which split on it.)
pub const ACCOUNT: &str = "{{AccountId}}";
/// The region every template function is placed in.
pub const REGION: &str = "{{Region}}";

/// A place in a file: 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Loc {
    pub file: String,
    pub line: u32,
    pub col: u32,
}

/// Where something was declared, and the template resource that owns it (`file#LogicalId`), which
/// is what an inline suppression names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Anchor {
    pub loc: Loc,
    pub owner: String,
}

/// Declaration sites of everything the inventory holds.
#[derive(Clone, Debug, Default)]
pub struct Locations {
    /// Role, function and managed policy ARN → declaration.
    pub resources: HashMap<String, Anchor>,
    /// (role or managed policy ARN, policy name) → declaration.
    pub policies: HashMap<(String, String), Anchor>,
    /// (role or managed policy ARN, policy name, statement Sid or index) → declaration.
    pub statements: HashMap<(String, String, String), Anchor>,
}

impl Locations {
    /// The anchors of a finding about `resource` whose evidence names `policy` and `statement`,
    /// most precise first: statement, policy, then the resource itself.
    pub fn locate(&self, resource: &str, policy: Option<(&str, &str)>) -> Vec<&Anchor> {
        let mut out = Vec::new();
        if let Some((p, s)) = policy {
            for owner in [resource, p] {
                if let Some(a) =
                    self.statements
                        .get(&(owner.to_string(), p.to_string(), s.to_string()))
                {
                    out.push(a);
                    break;
                }
            }
            for owner in [resource, p] {
                if let Some(a) = self.policies.get(&(owner.to_string(), p.to_string())) {
                    out.push(a);
                    break;
                }
            }
            if let Some(a) = self.resources.get(p) {
                out.push(a);
            }
        }
        if let Some(a) = self.resources.get(resource) {
            out.push(a);
        }
        out
    }
}

/// A problem with the input itself (a file that does not parse, a reference that cannot be
/// followed, a suppression without a reason).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    pub loc: Loc,
    /// `error` stops the gate (the input could not be read as intended); `note` is for `--verbose`.
    pub level: Level,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    /// Read, but worth knowing (a duplicate key): shown, never fails the run.
    Warning,
    Note,
}

/// One file read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileInfo {
    pub path: String,
    pub format: Format,
    pub functions: usize,
    pub roles: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Cloudformation,
    Sam,
    Cdk,
    Terraform,
    TerraformPlan,
    Serverless,
}

/// Everything `lint` read.
#[derive(Debug, Default)]
pub struct Lint {
    pub inventory: Inventory,
    pub locations: Locations,
    pub suppressions: Vec<InlineSuppression>,
    pub diagnostics: Vec<Diagnostic>,
    pub files: Vec<FileInfo>,
}

/// Templates larger than this are skipped with a warning unless [`load_limited`] says otherwise
/// (CloudFormation itself takes at most 1 MB; Terraform plans of large stacks reach tens of MB).
pub const DEFAULT_MAX_TEMPLATE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads every template under `paths` (files, or directories searched recursively).
pub fn load(paths: &[PathBuf]) -> Lint {
    load_limited(paths, DEFAULT_MAX_TEMPLATE_BYTES)
}

/// [`load`] with a bound on one template's size: larger files are skipped with a warning.
pub fn load_limited(paths: &[PathBuf], max_bytes: u64) -> Lint {
    let mut files = Vec::new();
    let mut b = Builder::default();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files, &mut b);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            b.error(
                Loc {
                    file: display(p),
                    line: 0,
                    col: 0,
                },
                "no such file or directory".into(),
            );
        }
    }
    files.sort();
    files.dedup();
    let mut cfn_docs = Vec::new();
    let mut tf_dirs: Vec<(PathBuf, Vec<(String, String)>)> = Vec::new();
    for f in &files {
        let name = display(f);
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".tf") || lower.ends_with(".tf.json") {
            let text = match read_template(f, max_bytes, &name, &mut b) {
                None => continue,
                Some(Ok(t)) if lower.ends_with(".tf.json") => match hcl::tf_json_to_hcl(&t) {
                    Ok(h) => h,
                    Err(m) => {
                        b.error(loc0(&name), m);
                        continue;
                    }
                },
                Some(Ok(t)) => t,
                Some(Err(e)) => {
                    b.error(
                        read_loc(&name, &e),
                        without_file(&e.to_string(), &f.to_string_lossy()),
                    );
                    continue;
                }
            };
            let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
            match tf_dirs.iter_mut().find(|(d, _)| *d == dir) {
                Some((_, v)) => v.push((name, text)),
                None => tf_dirs.push((dir, vec![(name, text)])),
            }
            continue;
        }
        let is_yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
        let is_json = lower.ends_with(".json") || lower.ends_with(".template");
        if !is_yaml && !is_json {
            continue;
        }
        let text = match read_template(f, max_bytes, &name, &mut b) {
            None => continue,
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                b.error(
                    read_loc(&name, &e),
                    without_file(&e.to_string(), &f.to_string_lossy()),
                );
                continue;
            }
        };
        if !looks_like_template(&text) {
            continue;
        }
        let node = match yaml::parse_with_warnings(&text) {
            Ok((n, warnings)) => {
                for (line, col, message) in warnings {
                    b.warning(
                        Loc {
                            file: name.clone(),
                            line,
                            col,
                        },
                        message,
                    );
                }
                n
            }
            Err(_) if text.contains("{%") || name.contains("{{cookiecutter") => {
                // A Jinja or cookiecutter source (aws-sam-cli-app-templates): a template only
                // once rendered; CloudFormation and cfn-lint cannot read it either.
                b.note(
                    loc0(&name),
                    "a Jinja/cookiecutter source, not YAML until rendered: render it (sam init, cookiecutter) and lint the result".into(),
                );
                continue;
            }
            Err(e) => {
                b.error(
                    Loc {
                        file: name,
                        line: e.line,
                        col: e.col,
                    },
                    format!("not valid YAML/JSON: {}", e.message),
                );
                continue;
            }
        };
        b.comments(&name, &text);
        if node.get("Resources").is_some() && node.get("provider").is_none() {
            let format = if node
                .get("Transform")
                .is_some_and(|t| t.to_json().to_string().contains("AWS::Serverless"))
            {
                Format::Sam
            } else if lower.ends_with(".template.json") && lower.contains("cdk.out")
                || text.contains("aws:cdk:path")
            {
                Format::Cdk
            } else {
                Format::Cloudformation
            };
            cfn_docs.push(cfn::Template::new(name, node, format));
        } else if node.get("planned_values").is_some() || node.get("terraform_version").is_some() {
            terraform::load_plan(&name, &node, &mut b);
        } else if let (Some(provider), true) = (node.get("provider"), node.get("service").is_some())
        {
            // Only `provider: aws` (or `provider.name: aws`) deploys to AWS; the Framework also
            // serves Azure, Google, OpenWhisk and others.
            let pname = match &provider.kind {
                yaml::Kind::Scalar(s, _) => s.clone(),
                _ => provider
                    .get("name")
                    .map(|n| match &n.kind {
                        yaml::Kind::Scalar(s, _) => s.clone(),
                        _ => String::new(),
                    })
                    .unwrap_or_default(),
            };
            if pname.eq_ignore_ascii_case("aws") {
                cfn_docs.push(serverless::template(name, &node));
            } else {
                b.note(
                    loc0(&name),
                    format!(
                        "Serverless Framework file for provider {:?}: not an AWS template, not linted",
                        pname
                    ),
                );
            }
        }
    }
    cfn::load_all(&mut cfn_docs, &mut b);
    let dirs: Vec<hcl::Dir> = tf_dirs
        .into_iter()
        .map(|(dir, files)| hcl::parse_dir(dir, &files, &mut b))
        .collect();
    hcl::load_dirs(dirs, &mut b);
    b.finish()
}

/// Cheap look before parsing: JSON/YAML files that cannot be templates (package.json, CDK's
/// manifest and tree files, editor settings) are skipped without a full parse.
fn looks_like_template(text: &str) -> bool {
    text.contains("Resources")
        || text.contains("planned_values")
        || (text.contains("provider") && text.contains("service"))
}

/// A reader error without the file name (and position) the location already gives.
fn without_file(message: &str, file: &str) -> String {
    let rest = message.strip_prefix(file).unwrap_or(message);
    let rest = rest.trim_start_matches(':');
    // `3:32: NUL byte` → `NUL byte` (the position goes to the location).
    let rest = match rest.split_once(": ") {
        Some((pos, m)) if pos.split(':').all(|n| n.parse::<u64>().is_ok()) => m,
        _ => rest,
    };
    rest.trim_start().to_string()
}

/// Where a read error points: the NUL byte's line and column, else the start of the file.
fn read_loc(name: &str, e: &rolecall_inventory::textfile::TextFileError) -> Loc {
    match e {
        rolecall_inventory::textfile::TextFileError::Nul { line, column, .. } => Loc {
            file: name.into(),
            line: u32::try_from(*line).unwrap_or(u32::MAX),
            col: u32::try_from(*column).unwrap_or(u32::MAX),
        },
        _ => loc0(name),
    }
}

/// Directories followed at most this deep (a deeper tree is a loop or a mistake).
const MAX_DEPTH: usize = 64;

fn walk(dir: &Path, out: &mut Vec<PathBuf>, b: &mut Builder) {
    let mut seen = std::collections::HashSet::new();
    let root = match std::fs::canonicalize(dir) {
        Ok(r) => r,
        Err(e) => {
            b.error(loc0(&display(dir)), format!("cannot read directory: {e}"));
            return;
        }
    };
    walk_in(dir, &root, out, b, &mut seen, 0);
}

/// Walks a tree given on the command line. A symbolic link is followed only when its target
/// stays inside that tree (a link to `/etc` or to a home directory is not read), and a link
/// to a directory already read (a loop through `.` or a parent) is reported once, not followed.
fn walk_in(
    dir: &Path,
    root: &Path,
    out: &mut Vec<PathBuf>,
    b: &mut Builder,
    seen: &mut std::collections::HashSet<PathBuf>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        b.error(
            loc0(&display(dir)),
            format!("more than {MAX_DEPTH} directories deep: not read further"),
        );
        return;
    }
    match std::fs::canonicalize(dir) {
        Ok(real) => {
            if !seen.insert(real) {
                return;
            }
        }
        Err(e) => {
            b.error(loc0(&display(dir)), format!("cannot read directory: {e}"));
            return;
        }
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            b.error(loc0(&display(dir)), format!("cannot read directory: {e}"));
            return;
        }
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let is_link = e.file_type().is_ok_and(|t| t.is_symlink());
        if is_link {
            let Ok(target) = std::fs::canonicalize(&p) else {
                b.note(
                    loc0(&display(&p)),
                    "symbolic link to nothing (or a loop of links): not read".into(),
                );
                continue;
            };
            if !target.starts_with(root) {
                b.warning(
                    loc0(&display(&p)),
                    format!(
                        "symbolic link to {} outside {}: not followed",
                        target.display(),
                        display(root)
                    ),
                );
                continue;
            }
            if target.is_dir() && (seen.contains(&target) || p.starts_with(&target)) {
                b.note(
                    loc0(&display(&p)),
                    format!(
                        "symbolic link loop: {} is already read, not followed again",
                        target.display()
                    ),
                );
                continue;
            }
        }
        // The link's target decides (is_dir follows links; a broken link is neither).
        if p.is_dir() {
            // Hidden directories (.git, .terraform with downloaded modules) and dependencies.
            if name.starts_with('.') || name == "node_modules" || name == "target" {
                continue;
            }
            walk_in(&p, root, out, b, seen, depth + 1);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

/// A template's text, or `None` (with a warning) when it is over the size bound.
fn read_template(
    f: &Path,
    max_bytes: u64,
    name: &str,
    b: &mut Builder,
) -> Option<Result<String, rolecall_inventory::textfile::TextFileError>> {
    let bound = max_bytes.min(rolecall_inventory::textfile::max_file_bytes());
    match rolecall_inventory::textfile::read_text_limited(f, bound) {
        Err(rolecall_inventory::textfile::TextFileError::TooLarge { size, limit, .. }) => {
            b.warning(
                loc0(name),
                format!(
                    "{size} bytes is over the {} MiB bound for one template: skipped (raise it with --max-file-mb)",
                    limit / (1024 * 1024)
                ),
            );
            None
        }
        r => Some(r),
    }
}

pub(crate) fn display(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

pub(crate) fn loc0(file: &str) -> Loc {
    Loc {
        file: file.into(),
        line: 1,
        col: 1,
    }
}

/// Collects roles, functions and policies from every format and the places they came from.
#[derive(Default)]
pub(crate) struct Builder {
    pub inv: Inventory,
    pub loc: Locations,
    pub suppressions: Vec<InlineSuppression>,
    pub diagnostics: Vec<Diagnostic>,
    pub files: Vec<FileInfo>,
    names: BTreeSet<String>,
    /// Comment suppressions by file, waiting for the resource spans that own them.
    comments: HashMap<String, Vec<suppress::Comment>>,
    /// Resource spans per file: (first line, last line, owner).
    spans: HashMap<String, Vec<(u32, u32, String)>>,
    /// Functions by ARN and by name (the first of each), for permissions that name their target.
    functions_by_arn: HashMap<String, usize>,
    functions_by_name: HashMap<String, usize>,
}

impl Builder {
    pub fn error(&mut self, loc: Loc, message: String) {
        self.diagnostics.push(Diagnostic {
            loc,
            level: Level::Error,
            message,
        });
    }

    pub fn warning(&mut self, loc: Loc, message: String) {
        self.diagnostics.push(Diagnostic {
            loc,
            level: Level::Warning,
            message,
        });
    }

    pub fn note(&mut self, loc: Loc, message: String) {
        self.diagnostics.push(Diagnostic {
            loc,
            level: Level::Note,
            message,
        });
    }

    /// A name no other template used: `base`, else `base-2`, `base-3`...
    pub fn unique_name(&mut self, kind: &str, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 2;
        while !self.names.insert(format!("{kind}/{name}")) {
            name = format!("{base}-{n}");
            n += 1;
        }
        name
    }

    pub fn role_arn(name: &str, path: &str) -> String {
        format!("arn:aws:iam::{ACCOUNT}:role{path}{name}")
    }

    pub fn function_arn(name: &str) -> String {
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
    }

    pub fn policy_arn(name: &str) -> String {
        format!("arn:aws:iam::{ACCOUNT}:policy/{name}")
    }

    pub fn add_role(&mut self, mut role: Role, anchor: Anchor) {
        // A trust statement whose principal type or condition is left to deploy time is not
        // evaluated (and says so), rather than reported as a policy that does not parse.
        let mut trust = role.trust_policy.to_value();
        if let Some(text) = trust.as_object_mut().and_then(|m| m.remove("_unresolved")) {
            self.note(
                anchor.loc.clone(),
                format!(
                    "{}: the trust policy is known only at deploy time ({}): not evaluated",
                    role.name,
                    text.as_str()
                        .unwrap_or("")
                        .chars()
                        .take(120)
                        .collect::<String>()
                ),
            );
            role.trust_policy = Document::from_value(&trust);
        }
        if let Some(serde_json::Value::Array(list)) = trust.get_mut("Statement") {
            let before = list.len();
            list.retain(|st| {
                let principal_keys_symbolic = ["Principal", "NotPrincipal"].iter().any(|k| {
                    st.get(*k)
                        .and_then(serde_json::Value::as_object)
                        .is_some_and(|m| m.keys().any(|x| x.contains("{{")))
                });
                let condition_symbolic = st
                    .get("Condition")
                    .and_then(serde_json::Value::as_object)
                    .is_some_and(|m| {
                        m.iter().any(|(op, v)| {
                            op.contains("{{")
                                || v.as_object()
                                    .is_some_and(|kv| kv.keys().any(|k| k.contains("{{")))
                        })
                    });
                !(principal_keys_symbolic || condition_symbolic)
            });
            if list.len() != before {
                self.note(
                    anchor.loc.clone(),
                    format!(
                        "{}: {} trust statement(s) name principal types or condition keys known only at deploy time: not evaluated",
                        role.name,
                        before - list.len()
                    ),
                );
                role.trust_policy = Document::from_value(&trust);
            }
        }
        self.loc.resources.insert(role.arn.clone(), anchor);
        self.inv.roles.push(role);
    }

    pub fn add_function(&mut self, f: Function, anchor: Anchor) {
        self.loc.resources.insert(f.arn.clone(), anchor);
        let i = self.inv.functions.len();
        self.functions_by_arn.entry(f.arn.clone()).or_insert(i);
        self.functions_by_name.entry(f.name.clone()).or_insert(i);
        self.inv.functions.push(f);
    }

    /// Actions a template leaves to deploy time (`{{var.actions}}`, an unread data source): an
    /// Allow keeps its literal actions and the others are named in a note; a statement whose
    /// `NotAction`, or a Deny whose actions, are unknown is not evaluated at all, and says so.
    /// Never a false "does not parse".
    fn unresolved_actions(&mut self, doc: &mut Doc, what: &str) {
        let symbolic = |v: &serde_json::Value| v.as_str().is_some_and(|s| s.contains("{{"));
        if let Some(m) = doc.value.as_object_mut() {
            if let Some(text) = m.remove("_unresolved") {
                let loc = doc
                    .statement_locs
                    .first()
                    .cloned()
                    .unwrap_or_else(|| loc0("(template)"));
                self.note(
                    loc,
                    format!(
                        "{what}: the policy document is known only at deploy time ({}): not evaluated",
                        text.as_str().unwrap_or("").chars().take(120).collect::<String>()
                    ),
                );
            }
        }
        let locs = doc.statement_locs.clone();
        let Some(stmts) = doc.value.get_mut("Statement") else {
            return;
        };
        let single = !stmts.is_array();
        if single {
            *stmts = serde_json::Value::Array(vec![stmts.take()]);
        }
        let Some(list) = stmts.as_array_mut() else {
            return;
        };
        let mut keep_locs = Vec::new();
        let mut kept = Vec::new();
        for (i, mut st) in std::mem::take(list).into_iter().enumerate() {
            let loc = locs.get(i).cloned().unwrap_or_else(|| loc0("(template)"));
            let deny = st.get("Effect").and_then(|e| e.as_str()) == Some("Deny");
            let mut drop = false;
            for key in ["Action", "NotAction"] {
                let Some(v) = st.get_mut(key) else { continue };
                let items: Vec<serde_json::Value> = match v.take() {
                    serde_json::Value::Array(a) => a,
                    other => vec![other],
                };
                let (unknown, known): (Vec<_>, Vec<_>) = items.into_iter().partition(symbolic);
                if unknown.is_empty() {
                    *v = serde_json::Value::Array(known);
                    continue;
                }
                let names: Vec<String> = unknown
                    .iter()
                    .filter_map(|u| u.as_str().map(str::to_string))
                    .collect();
                if key == "NotAction" || deny || known.is_empty() {
                    drop = true;
                    self.note(
                        loc.clone(),
                        format!(
                            "{what}: statement {i}'s {key} {} is known only at deploy time: the statement is not evaluated",
                            names.join(", ")
                        ),
                    );
                } else {
                    self.note(
                        loc.clone(),
                        format!(
                            "{what}: statement {i}'s {key} {} is known only at deploy time: only its other actions are evaluated",
                            names.join(", ")
                        ),
                    );
                }
                *v = serde_json::Value::Array(known);
            }
            if !drop {
                kept.push(st);
                keep_locs.push(loc);
            }
        }
        *list = kept;
        doc.statement_locs = keep_locs;
    }

    pub fn add_managed_policy(
        &mut self,
        arn: &str,
        name: &str,
        doc: Doc,
        anchor: Anchor,
        stmt_owner: &str,
    ) {
        let mut doc = doc;
        self.unresolved_actions(&mut doc, name);
        self.record_statements(arn, arn, &doc, stmt_owner);
        self.loc.resources.insert(arn.to_string(), anchor);
        self.inv.managed_policies.push(ManagedPolicy {
            arn: arn.into(),
            name: name.into(),
            document: Document::from_value(&doc.value),
            default_version: Some("v1".into()),
        });
    }

    /// Adds an inline policy to a role already added (by ARN). `anchor` is where the policy is
    /// attached; its statements belong to `stmt_owner` (a Terraform policy document data source
    /// may hold them, and a suppression written there covers them).
    pub fn add_inline(
        &mut self,
        role_arn: &str,
        base: &str,
        doc: Doc,
        anchor: Anchor,
        stmt_owner: &str,
    ) -> Option<String> {
        let mut doc = doc;
        self.unresolved_actions(&mut doc, base);
        let role = self.inv.roles.iter_mut().find(|r| r.arn == role_arn)?;
        let mut name = base.to_string();
        let mut n = 2;
        while role.inline_policies.iter().any(|p| p.name == name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        role.inline_policies.push(NamedDocument {
            name: name.clone(),
            arn: None,
            document: Document::from_value(&doc.value),
        });
        self.record_statements(role_arn, &name, &doc, stmt_owner);
        self.loc
            .policies
            .insert((role_arn.to_string(), name.clone()), anchor);
        Some(name)
    }

    /// Marks an inline policy as written by AWS tooling (a SAM policy template).
    pub fn mark_aws_baseline(&mut self, role_arn: &str, policy_name: &str) {
        self.inv
            .aws_baseline_policies
            .push(format!("{role_arn}#{policy_name}"));
    }

    /// The function a template names by ARN or by name (`FunctionName`, `function_name`).
    pub fn function_mut(&mut self, name_or_arn: &str) -> Option<&mut Function> {
        // The first function whose ARN or name it is (one lookup each, not a pass over all).
        let i = match (
            self.functions_by_arn.get(name_or_arn),
            self.functions_by_name.get(name_or_arn),
        ) {
            (Some(a), Some(b)) => *a.min(b),
            (Some(a), None) | (None, Some(a)) => *a,
            (None, None) => return None,
        };
        self.inv.functions.get_mut(i)
    }

    /// Adds a `lambda:AddPermission` grant (AWS::Lambda::Permission, aws_lambda_permission) to
    /// the resource policy of the function `target` names, recording where it was written.
    pub fn add_permission(&mut self, target: &str, p: Permission, anchor: Anchor) {
        if p.action.contains("{{") || p.principal.contains("{{") {
            self.note(
                anchor.loc.clone(),
                format!(
                    "permission {}: its action or principal is known only at deploy time: not evaluated",
                    p.sid
                ),
            );
            return;
        }
        let Some(f) = self.function_mut(target) else {
            return;
        };
        let principal = if p.principal == "*" {
            serde_json::json!("*")
        } else if p.principal.ends_with(".amazonaws.com")
            || p.principal.ends_with(".amazonaws.com.cn")
        {
            serde_json::json!({"Service": p.principal})
        } else {
            serde_json::json!({"AWS": p.principal})
        };
        let mut cond = serde_json::Map::new();
        if let Some(v) = p.source_arn {
            cond.insert("ArnLike".into(), serde_json::json!({"AWS:SourceArn": v}));
        }
        let mut equals = serde_json::Map::new();
        if let Some(v) = p.source_account {
            equals.insert("AWS:SourceAccount".into(), v);
        }
        if let Some(v) = p.url_auth_type {
            equals.insert("lambda:FunctionUrlAuthType".into(), v);
        }
        if let Some(v) = p.principal_org_id {
            equals.insert("aws:PrincipalOrgID".into(), v);
        }
        if let Some(v) = p.event_source_token {
            equals.insert("lambda:EventSourceToken".into(), v);
        }
        if !equals.is_empty() {
            cond.insert("StringEquals".into(), serde_json::Value::Object(equals));
        }
        if let Some(v) = p.invoked_via_url {
            cond.insert(
                "Bool".into(),
                serde_json::json!({"lambda:InvokedViaFunctionUrl": v}),
            );
        }
        let mut stmt = serde_json::json!({
            "Sid": p.sid, "Effect": "Allow", "Principal": principal, "Action": p.action, "Resource": f.arn
        });
        if let (false, serde_json::Value::Object(m)) = (cond.is_empty(), &mut stmt) {
            m.insert("Condition".into(), serde_json::Value::Object(cond));
        }
        let mut doc = f
            .resource_policy
            .as_ref()
            .map(Document::to_value)
            .unwrap_or_else(|| serde_json::json!({"Version": "2012-10-17", "Statement": []}));
        if let Some(serde_json::Value::Array(v)) = doc.get_mut("Statement") {
            v.push(stmt);
        }
        f.resource_policy = Some(Document::from_value(&doc));
        let key = (f.arn.clone(), format!("{} resource policy", f.name), p.sid);
        self.loc.statements.insert(key, anchor);
    }

    /// Where `policy_arn` is attached to `role_arn` (a SAM `Policies` entry, a
    /// `ManagedPolicyArns` item, an attachment resource): findings about an AWS managed policy,
    /// whose statements are in no file, point there.
    pub fn attached_at(&mut self, role_arn: &str, policy_arn: &str, anchor: Anchor) {
        self.loc
            .policies
            .entry((role_arn.to_string(), policy_arn.to_string()))
            .or_insert(anchor);
    }

    pub fn attach(&mut self, role_arn: &str, policy_arn: &str) -> bool {
        let Some(role) = self.inv.roles.iter_mut().find(|r| r.arn == role_arn) else {
            return false;
        };
        if !role.managed_policy_arns.iter().any(|a| a == policy_arn) {
            role.managed_policy_arns.push(policy_arn.to_string());
        }
        true
    }

    pub fn record_statements(&mut self, owner_arn: &str, policy: &str, doc: &Doc, owner: &str) {
        for (label, loc) in doc.labels() {
            self.loc.statements.insert(
                (owner_arn.to_string(), policy.to_string(), label),
                Anchor {
                    loc,
                    owner: owner.to_string(),
                },
            );
        }
    }

    /// A resource's extent in its file, for comment suppressions.
    pub fn span(&mut self, file: &str, first: u32, last: u32, owner: &str) {
        self.spans
            .entry(file.to_string())
            .or_default()
            .push((first, last, owner.to_string()));
    }

    pub fn comments(&mut self, file: &str, text: &str) {
        let found = suppress::scan_comments(text);
        if !found.is_empty() {
            self.comments.insert(file.to_string(), found);
        }
    }

    pub fn metadata_suppressions(&mut self, owner: &str, node: &yaml::Node, file: &str) {
        suppress::from_metadata(self, owner, node, file);
    }

    /// Links each function to a role the templates define when it names one by name or by an ARN
    /// with a real account id; says which functions' roles are defined elsewhere.
    fn link_function_roles(&mut self) {
        let mut notes = Vec::new();
        let arns: HashSet<&str> = self.inv.roles.iter().map(|r| r.arn.as_str()).collect();
        let mut by_name: HashMap<&str, &str> = HashMap::new();
        for r in &self.inv.roles {
            by_name.entry(r.name.as_str()).or_insert(r.arn.as_str());
        }
        for f in &mut self.inv.functions {
            if arns.contains(f.role_arn.as_str()) {
                continue;
            }
            let wanted = rolecall_inventory::role_key(&f.role_arn)
                .map(|(_, name)| name)
                .unwrap_or_else(|| f.role_arn.clone());
            match by_name.get(wanted.as_str()) {
                Some(arn) => f.role_arn = arn.to_string(),
                None => {
                    let loc = self
                        .loc
                        .resources
                        .get(&f.arn)
                        .map(|a| a.loc.clone())
                        .unwrap_or_else(|| loc0("?"));
                    notes.push((
                        loc,
                        format!(
                            "function {}: its role {} is not defined in the templates read; its permissions are not analysed",
                            f.name, f.role_arn
                        ),
                    ));
                }
            }
        }
        for (loc, message) in notes {
            self.note(loc, message);
        }
    }

    fn finish(mut self) -> Lint {
        self.link_function_roles();
        suppress::attach_comments(&mut self);
        let mut inv = std::mem::take(&mut self.inv);
        inv.source = "iac".into();
        inv.schema_version = rolecall_inventory::SCHEMA_VERSION;
        if !inv.functions.is_empty() || !inv.roles.is_empty() {
            inv.accounts.push(rolecall_inventory::Account {
                id: ACCOUNT.into(),
                name: Some("template account".into()),
                ..Default::default()
            });
            inv.regions.push(REGION.into());
        }
        inv.normalize();
        self.diagnostics.sort_by(|a, b| a.loc.cmp(&b.loc));
        self.diagnostics.dedup();
        self.suppressions.sort_by(|a, b| a.loc.cmp(&b.loc));
        Lint {
            inventory: inv,
            locations: self.loc,
            suppressions: self.suppressions,
            diagnostics: self.diagnostics,
            files: self.files,
        }
    }
}

/// One invoke permission on a function, as a template grants it.
pub(crate) struct Permission {
    pub sid: String,
    pub principal: String,
    pub action: String,
    pub source_arn: Option<serde_json::Value>,
    pub source_account: Option<serde_json::Value>,
    pub url_auth_type: Option<serde_json::Value>,
    /// `InvokedViaFunctionUrl`: the grant holds only for calls through the function URL.
    pub invoked_via_url: Option<serde_json::Value>,
    /// `PrincipalOrgID`: only principals of this Organization.
    pub principal_org_id: Option<serde_json::Value>,
    /// `EventSourceToken` (Alexa skills).
    pub event_source_token: Option<serde_json::Value>,
}

/// A policy document evaluated from a template, with where each statement was written.
#[derive(Clone, Debug)]
pub(crate) struct Doc {
    pub value: serde_json::Value,
    /// One per statement in `value`'s Statement list, in order.
    pub statement_locs: Vec<Loc>,
}

impl Doc {
    /// (Sid or index, location) of each statement: the labels evidence uses.
    fn labels(&self) -> Vec<(String, Loc)> {
        let stmts: Vec<&serde_json::Value> = match self.value.get("Statement") {
            Some(serde_json::Value::Array(v)) => v.iter().collect(),
            Some(v) => vec![v],
            None => Vec::new(),
        };
        stmts
            .iter()
            .zip(self.statement_locs.iter())
            .enumerate()
            .map(|(i, (s, l))| {
                let label = match s.get("Sid").and_then(|x| x.as_str()) {
                    Some(sid) if !sid.is_empty() => sid.to_string(),
                    _ => i.to_string(),
                };
                (label, l.clone())
            })
            .collect()
    }
}

/// The trust policy every Lambda execution role created by SAM or Serverless has.
pub(crate) fn lambda_trust() -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// `arn:aws:iam::aws:policy/NAME` for a bare managed policy name (SAM `Policies: AmazonS3ReadOnlyAccess`).
pub(crate) fn managed_arn(name_or_arn: &str) -> String {
    if name_or_arn.starts_with("arn:") || name_or_arn.contains("{{") {
        name_or_arn.to_string()
    } else {
        format!("arn:aws:iam::aws:policy/{name_or_arn}")
    }
}
