//! Serverless Framework `serverless.yml`, translated to the CloudFormation it deploys: the shared
//! `IamRoleLambdaExecution` role (CloudWatch Logs plus `provider.iam.role.statements`, or v2's
//! `provider.iamRoleStatements`), managed policies and boundary; one function per
//! `functions.<name>`, on that role, on its own `role:`, or on a per-function role from
//! `iamRoleStatements` (the serverless-iam-roles-per-function plugin); `resources.Resources` as
//! written. Synthesised nodes carry the position of the YAML they came from.
//! Serverless variables (`${self:custom.table}`, `${opt:stage}`) resolve when they point at a
//! literal in the same file, and otherwise stay symbolic (`{{opt:stage}}`).

use crate::cfn::Template;
use crate::yaml::{Kind, Node};
use crate::Format;
use serde_json::json;

const VAR_PREFIXES: &[&str] = &[
    "self:",
    "opt:",
    "sls:",
    "env:",
    "file(",
    "cf:",
    "cf.",
    "ssm:",
    "aws:",
    "param:",
    "s3:",
    "strToBool(",
];

fn entry(k: &str, v: Node) -> (String, Node) {
    (k.to_string(), v)
}

fn map(line: u32, col: u32, entries: Vec<(String, Node)>) -> Node {
    Node::new(Kind::Map(entries), line, col)
}

fn scalar(s: &str, line: u32, col: u32) -> Node {
    Node::new(Kind::Scalar(s.into(), false), line, col)
}

/// `${self:...}` lookups per file: references that fan out (a value naming others many times
/// over) stop resolving there and stay symbolic.
const MAX_LOOKUPS: usize = 100_000;
/// One resolved value's length in bytes, likewise.
const MAX_RESOLVED: usize = 64 * 1024;

/// `${self:custom.x}` → the literal at `custom.x`; other Serverless variables → `{{...}}`.
fn resolve_vars(n: &mut Node, root: &Node, depth: u8, budget: &mut usize) {
    match &mut n.kind {
        Kind::Scalar(s, plain) => {
            if !s.contains("${") {
                return;
            }
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                out.push_str(rest.get(..start).unwrap_or(""));
                let after = rest.get(start + 2..).unwrap_or("");
                let end = after.find('}').unwrap_or(after.len());
                let inner = after.get(..end).unwrap_or("");
                if VAR_PREFIXES.iter().any(|p| inner.starts_with(p)) && !inner.contains("::") {
                    let own = inner
                        .strip_prefix("self:")
                        .and_then(|path| lookup(root, path.split(',').next().unwrap_or("").trim()))
                        .filter(|_| depth < 4 && *budget > 0 && out.len() < MAX_RESOLVED);
                    match own {
                        Some(v) => {
                            *budget -= 1;
                            let mut v = v.clone();
                            resolve_vars(&mut v, root, depth + 1, budget);
                            out.push_str(v.str().unwrap_or(""));
                        }
                        None => {
                            out.push_str("{{");
                            out.push_str(inner.split(',').next().unwrap_or(inner).trim());
                            out.push_str("}}");
                        }
                    }
                } else {
                    out.push_str("${");
                    out.push_str(inner);
                    out.push('}');
                }
                rest = after.get(end + 1..).unwrap_or("");
            }
            out.push_str(rest);
            *s = out;
            *plain = false;
        }
        Kind::Seq(v) => v
            .iter_mut()
            .for_each(|x| resolve_vars(x, root, depth, budget)),
        Kind::Map(m) => m
            .iter_mut()
            .for_each(|(_, x)| resolve_vars(x, root, depth, budget)),
    }
}

fn lookup<'a>(root: &'a Node, path: &str) -> Option<&'a Node> {
    let mut n = root;
    for part in path.split('.') {
        n = n.get(part)?;
    }
    n.str().is_some().then_some(n)
}

pub(crate) fn template(file: String, raw: &Node) -> Template {
    let mut root = raw.clone();
    let mut budget = MAX_LOOKUPS;
    resolve_vars(&mut root, raw, 0, &mut budget);
    let service = root
        .get("service")
        .and_then(|s| s.str().or_else(|| s.get("name").and_then(Node::str)))
        .unwrap_or("service")
        .to_string();
    let provider = root.get("provider").cloned().unwrap_or(map(1, 1, vec![]));
    let (pl, pc) = provider.key_pos();
    let iam_role = provider.get("iam").and_then(|i| i.get("role"));
    // v3 `provider.iam.role: {statements, managedPolicies, permissionsBoundary}` or a role
    // given by ARN; v2 `provider.iamRoleStatements`, `iamManagedPolicies`, `role`.
    let external_role = match iam_role {
        Some(r) if !matches!(r.kind, Kind::Map(_)) || r.intrinsic().is_some() => Some(r.clone()),
        _ => provider.get("role").cloned(),
    };
    let statements = iam_role
        .and_then(|r| r.get("statements"))
        .or_else(|| provider.get("iamRoleStatements"))
        .map(|s| s.items().to_vec())
        .unwrap_or_default();
    let managed = iam_role
        .and_then(|r| r.get("managedPolicies"))
        .or_else(|| provider.get("iamManagedPolicies"))
        .cloned();
    let boundary = iam_role
        .and_then(|r| r.get("permissionsBoundary"))
        .or_else(|| provider.get("rolePermissionsBoundary"))
        .cloned();
    let role_at = iam_role.map(Node::key_pos).unwrap_or((pl, pc));
    let runtime = provider.get("runtime").cloned();

    let mut resources: Vec<(String, Node)> = root
        .get("resources")
        .and_then(|r| r.get("Resources"))
        .map(|r| r.entries().to_vec())
        .unwrap_or_default();

    let make_role = |id_line: (u32, u32),
                     stmts: Vec<Node>,
                     managed: Option<Node>,
                     boundary: Option<Node>| {
        let (l, c) = id_line;
        let logs = Node::from_json(
            &json!({
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:TagResource", "logs:PutLogEvents"],
                "Resource": format!("arn:aws:logs:{}:{}:log-group:/aws/lambda/{service}-*", crate::REGION, crate::ACCOUNT),
            }),
            l,
            c,
        );
        let mut all = vec![logs];
        all.extend(stmts);
        let doc = map(
            l,
            c,
            vec![
                entry("Version", scalar("2012-10-17", l, c)),
                entry("Statement", Node::new(Kind::Seq(all), l, c)),
            ],
        );
        let mut props = vec![
            entry(
                "AssumeRolePolicyDocument",
                Node::from_json(&crate::lambda_trust(), l, c),
            ),
            entry(
                "Policies",
                Node::new(
                    Kind::Seq(vec![map(
                        l,
                        c,
                        vec![
                            entry("PolicyName", scalar(&format!("{service}-lambda"), l, c)),
                            entry("PolicyDocument", doc),
                        ],
                    )]),
                    l,
                    c,
                ),
            ),
        ];
        if let Some(m) = managed {
            props.push(entry("ManagedPolicyArns", m));
        }
        if let Some(bd) = boundary {
            props.push(entry("PermissionsBoundary", bd));
        }
        let mut res = map(
            l,
            c,
            vec![
                entry("Type", scalar("AWS::IAM::Role", l, c)),
                entry("Properties", map(l, c, props)),
            ],
        );
        res.key_line = l;
        res.key_col = c;
        res
    };

    let functions = root.get("functions").map(Node::entries).unwrap_or(&[]);
    let shared_needed = external_role.is_none()
        && functions
            .iter()
            .any(|(_, f)| f.get("role").is_none() && f.get("iamRoleStatements").is_none());
    if shared_needed {
        resources.push((
            "IamRoleLambdaExecution".into(),
            make_role(
                role_at,
                statements.clone(),
                managed.clone(),
                boundary.clone(),
            ),
        ));
    }
    for (name, f) in functions {
        let (fl, fc) = f.key_pos();
        let id = format!("{}LambdaFunction", upper_first(name));
        let role = if let Some(r) = f.get("role") {
            match r.str() {
                // A logical id in resources.Resources, or an ARN.
                Some(s) if !s.starts_with("arn:") && !s.contains("{{") => Node::new(
                    Kind::Map(vec![entry(
                        "Fn::GetAtt",
                        Node::new(
                            Kind::Seq(vec![scalar(s, r.line, r.col), scalar("Arn", r.line, r.col)]),
                            r.line,
                            r.col,
                        ),
                    )]),
                    r.line,
                    r.col,
                ),
                _ => r.clone(),
            }
        } else if let Some(own) = f.get("iamRoleStatements") {
            let rid = format!("{}IamRoleLambdaExecution", upper_first(name));
            let mut stmts = own.items().to_vec();
            if f.get("iamRoleStatementsInherit").and_then(Node::str) == Some("true") {
                stmts.extend(statements.iter().cloned());
            }
            resources.push((
                rid.clone(),
                make_role(own.key_pos(), stmts, managed.clone(), boundary.clone()),
            ));
            getatt(&rid, fl, fc)
        } else if let Some(r) = &external_role {
            r.clone()
        } else {
            getatt("IamRoleLambdaExecution", fl, fc)
        };
        let mut props = vec![
            entry("FunctionName", scalar(&format!("{service}-{name}"), fl, fc)),
            entry("Role", role),
        ];
        if let Some(rt) = f.get("runtime").or(runtime.as_ref()) {
            props.push(entry("Runtime", rt.clone()));
        }
        if let Some(t) = f.get("tags") {
            props.push(entry("Tags", t.clone()));
        }
        if let Some(u) = f.get("url") {
            let auth = match u.get("authorizer").and_then(Node::str) {
                Some("aws_iam") => "AWS_IAM",
                _ if u.str() == Some("false") => "",
                _ => "NONE",
            };
            if !auth.is_empty() {
                props.push(entry(
                    "FunctionUrlConfig",
                    map(
                        u.line,
                        u.col,
                        vec![entry("AuthType", scalar(auth, u.line, u.col))],
                    ),
                ));
            }
        }
        let mut events = Vec::new();
        for (i, e) in f
            .get("events")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let Some((kind, _)) = e.entries().first() else {
                continue;
            };
            let ty = match kind.as_str() {
                "http" => "Api",
                "httpApi" => "HttpApi",
                "sqs" => "SQS",
                "stream" => "DynamoDB",
                "s3" => "S3",
                "sns" => "SNS",
                "schedule" => "Schedule",
                "eventBridge" | "cloudwatchEvent" => "EventBridgeRule",
                "kafka" | "msk" => "MSK",
                other => other,
            };
            events.push(entry(
                &format!("E{i}"),
                map(
                    e.line,
                    e.col,
                    vec![entry("Type", scalar(ty, e.line, e.col))],
                ),
            ));
        }
        if !events.is_empty() {
            props.push(entry("Events", map(fl, fc, events)));
        }
        let mut res = map(
            fl,
            fc,
            vec![
                entry("Type", scalar("AWS::Lambda::Function", fl, fc)),
                entry("Properties", map(fl, fc, props)),
            ],
        );
        res.key_line = fl;
        res.key_col = fc;
        resources.push((id, res));
    }
    let mut out = vec![entry("Resources", map(1, 1, resources))];
    if let Some(o) = root.get("resources").and_then(|r| r.get("Outputs")) {
        out.push(entry("Outputs", o.clone()));
    }
    Template::new(file, map(1, 1, out), Format::Serverless)
}

fn getatt(id: &str, l: u32, c: u32) -> Node {
    Node::new(
        Kind::Map(vec![entry(
            "Fn::GetAtt",
            Node::new(Kind::Seq(vec![scalar(id, l, c), scalar("Arn", l, c)]), l, c),
        )]),
        l,
        c,
    )
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f
            .to_uppercase()
            .chain(c)
            .filter(|c| c.is_ascii_alphanumeric())
            .collect(),
        None => String::new(),
    }
}
