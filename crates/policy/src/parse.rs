//! Lenient reading of IAM JSON into the strict model.
//!
//! Lenient where IAM is: string-or-list everywhere, a single statement object instead of a list,
//! numbers and booleans as condition values, URL-encoded documents as IAM's API returns them.
//! Strict where IAM is: unknown elements, a missing `Effect`, both `Action` and `NotAction`, an
//! unknown condition operator. Every error names the path of the offending field.

use crate::model::*;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A document that cannot be read. `path` is the JSON path of the offending field, such as
/// `Statement[2].Condition.StringEquals`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy {policy}: {path}: {message}")]
pub struct PolicyError {
    pub policy: String,
    pub path: String,
    pub message: String,
}

/// Decodes the text of a policy document: plain JSON, or URL-encoded JSON (as IAM returns
/// documents from `GetAccountAuthorizationDetails`, `GetRolePolicy`, ...).
pub fn decode_document(text: &str) -> Result<Cow<'_, str>, String> {
    let t = text.trim_start();
    if t.starts_with('{') || !t.contains('%') {
        return Ok(Cow::Borrowed(text));
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("invalid URL encoding at byte {i}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| "URL-decoded document is not UTF-8".to_string())
}

/// Parses document text (plain or URL-encoded JSON).
pub fn parse_policy(name: &str, kind: PolicyKind, text: &str) -> Result<Policy, PolicyError> {
    let err = |path: &str, message: String| PolicyError {
        policy: name.to_string(),
        path: path.to_string(),
        message,
    };
    let decoded = decode_document(text).map_err(|m| err("(document)", m))?;
    let value: Value = serde_json::from_str(&decoded)
        .map_err(|e| err("(document)", format!("not valid JSON: {e}")))?;
    parse_policy_value(name, kind, &value)
}

/// Parses an already-decoded JSON value. A JSON string is taken as document text (IAM exports
/// sometimes nest the document as an encoded string).
pub fn parse_policy_value(
    name: &str,
    kind: PolicyKind,
    value: &Value,
) -> Result<Policy, PolicyError> {
    if let Value::String(s) = value {
        return parse_policy(name, kind, s);
    }
    let p = Parser { policy: name };
    let obj = value
        .as_object()
        .ok_or_else(|| p.err("(document)", "a policy document must be a JSON object"))?;
    let mut version = PolicyVersion::V2008;
    let mut id = None;
    let mut statements = None;
    for (k, v) in obj {
        match k.as_str() {
            "Version" => {
                version = match v.as_str() {
                    Some("2012-10-17") => PolicyVersion::V2012,
                    Some("2008-10-17") => PolicyVersion::V2008,
                    _ => return Err(p.err("Version", "must be \"2012-10-17\" or \"2008-10-17\"")),
                }
            }
            "Id" => id = Some(p.string(v, "Id")?),
            "Statement" => statements = Some(v),
            other => return Err(p.err(&field_name(other), "unknown policy element")),
        }
    }
    let statements = statements.ok_or_else(|| p.err("Statement", "missing"))?;
    let list: Vec<&Value> = match statements {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![statements],
        _ => return Err(p.err("Statement", "must be an object or a list of objects")),
    };
    let statements = list
        .into_iter()
        .enumerate()
        .map(|(i, s)| p.statement(i, s, kind))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Policy {
        name: name.to_string(),
        kind,
        version,
        id,
        statements,
    })
}

struct Parser<'a> {
    policy: &'a str,
}

impl Parser<'_> {
    fn err(&self, path: &str, message: impl Into<String>) -> PolicyError {
        PolicyError {
            policy: self.policy.to_string(),
            path: path.to_string(),
            message: message.into(),
        }
    }

    fn string(&self, v: &Value, path: &str) -> Result<String, PolicyError> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| self.err(path, "must be a string"))
    }

    /// A string or a list of strings.
    fn strings(&self, v: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
        match v {
            Value::String(s) => Ok(vec![s.clone()]),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, x)| self.string(x, &format!("{path}[{i}]")))
                .collect(),
            _ => Err(self.err(path, "must be a string or a list of strings")),
        }
    }

    fn statement(
        &self,
        index: usize,
        v: &Value,
        kind: PolicyKind,
    ) -> Result<Statement, PolicyError> {
        let base = format!("Statement[{index}]");
        let at = |field: &str| format!("{base}.{field}");
        let obj = v
            .as_object()
            .ok_or_else(|| self.err(&base, "a statement must be a JSON object"))?;
        let mut sid = None;
        let mut effect = None;
        let mut principal = None;
        let mut not_principal = None;
        let mut action = None;
        let mut resource = None;
        let mut conditions = Vec::new();
        for (k, val) in obj {
            match k.as_str() {
                "Sid" => sid = Some(self.string(val, &at("Sid"))?),
                "Effect" => {
                    effect = Some(match val.as_str() {
                        Some("Allow") => Effect::Allow,
                        Some("Deny") => Effect::Deny,
                        _ => return Err(self.err(&at("Effect"), "must be \"Allow\" or \"Deny\"")),
                    })
                }
                "Principal" => principal = Some(self.principals(val, &at("Principal"))?),
                "NotPrincipal" => not_principal = Some(self.principals(val, &at("NotPrincipal"))?),
                "Action" | "NotAction" => {
                    if action.is_some() {
                        return Err(self.err(
                            &at(k),
                            "a statement has either Action or NotAction, not both",
                        ));
                    }
                    let list = self.strings(val, &at(k))?;
                    for (i, a) in list.iter().enumerate() {
                        if !valid_action_pattern(a) {
                            return Err(self.err(
                                &format!("{}[{i}]", at(k)),
                                format!(
                                    "{a:?} is not an action (expected \"service:Action\" or \"*\")"
                                ),
                            ));
                        }
                    }
                    action = Some(if k == "Action" {
                        ActionMatch::Action(list)
                    } else {
                        ActionMatch::NotAction(list)
                    });
                }
                "Resource" | "NotResource" => {
                    if resource.is_some() {
                        return Err(self.err(
                            &at(k),
                            "a statement has either Resource or NotResource, not both",
                        ));
                    }
                    let list = self.strings(val, &at(k))?;
                    resource = Some(if k == "Resource" {
                        ResourceMatch::Resource(list)
                    } else {
                        ResourceMatch::NotResource(list)
                    });
                }
                "Condition" => conditions = self.conditions(val, &at("Condition"))?,
                other => return Err(self.err(&at(&field_name(other)), "unknown statement element")),
            }
        }
        let effect = effect.ok_or_else(|| self.err(&at("Effect"), "missing"))?;
        let action =
            action.ok_or_else(|| self.err(&at("Action"), "missing (Action or NotAction)"))?;
        if principal.is_some() && not_principal.is_some() {
            return Err(self.err(
                &at("NotPrincipal"),
                "a statement has either Principal or NotPrincipal, not both",
            ));
        }
        let has_principal = principal.is_some() || not_principal.is_some();
        match kind {
            PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Scp | PolicyKind::Session => {
                if has_principal {
                    let f = if principal.is_some() {
                        "Principal"
                    } else {
                        "NotPrincipal"
                    };
                    return Err(
                        self.err(&at(f), format!("not allowed in a {} policy", kind.as_str()))
                    );
                }
                if resource.is_none() {
                    return Err(self.err(&at("Resource"), "missing (Resource or NotResource)"));
                }
            }
            PolicyKind::Resource | PolicyKind::Trust => {
                if !has_principal {
                    return Err(self.err(&at("Principal"), "missing (Principal or NotPrincipal)"));
                }
            }
            PolicyKind::Rcp => {
                // RCP syntax (AWS Organizations User Guide, "RCP syntax"): Principal is required
                // and only "*" is supported (conditions narrow it); NotPrincipal and NotAction are
                // not RCP elements; `"Action": "*"` only in an Allow (RCPFullAWSAccess, the one
                // policy that may allow).
                if not_principal.is_some() {
                    return Err(self.err(&at("NotPrincipal"), "not allowed in an rcp policy"));
                }
                if matches!(action, ActionMatch::NotAction(_)) {
                    return Err(self.err(&at("NotAction"), "not allowed in an rcp policy"));
                }
                if effect == Effect::Deny && action.patterns().iter().any(|a| a == "*") {
                    return Err(self.err(
                        &at("Action"),
                        "an RCP Deny cannot use \"*\" as the action: name the services (\"s3:*\", \"kms:*\", ...)",
                    ));
                }
                match &principal {
                    None => return Err(self.err(&at("Principal"), "missing (an RCP names \"*\")")),
                    Some(p) if !p.is_wildcard() => {
                        return Err(self.err(
                            &at("Principal"),
                            "an RCP supports only \"Principal\": \"*\" (narrow it with conditions such as aws:PrincipalOrgID)",
                        ))
                    }
                    Some(_) => {}
                }
                if resource.is_none() {
                    return Err(self.err(&at("Resource"), "missing (Resource or NotResource)"));
                }
            }
        }
        Ok(Statement {
            index,
            sid,
            effect,
            principal,
            not_principal,
            action,
            resource,
            conditions,
        })
    }

    fn principals(&self, v: &Value, path: &str) -> Result<Principals, PolicyError> {
        let mut p = Principals::default();
        match v {
            Value::String(s) if s == "*" => p.any = true,
            Value::Object(m) => {
                for (k, val) in m {
                    let list = self.strings(val, &format!("{path}.{k}"))?;
                    match k.as_str() {
                        "AWS" => p.aws = list,
                        "Service" => p.service = list,
                        "Federated" => p.federated = list,
                        "CanonicalUser" => p.canonical_user = list,
                        _ => {
                            return Err(self.err(
                                &format!("{path}.{k}"),
                                "unknown principal type (AWS, Service, Federated or CanonicalUser)",
                            ))
                        }
                    }
                }
            }
            _ => return Err(self.err(path, "must be \"*\" or an object such as {\"AWS\": ...}")),
        }
        Ok(p)
    }

    fn conditions(&self, v: &Value, path: &str) -> Result<Vec<Condition>, PolicyError> {
        let obj: &Map<String, Value> = v
            .as_object()
            .ok_or_else(|| self.err(path, "must be an object of operators"))?;
        let mut out = Vec::new();
        for (op_name, block) in obj {
            let op_path = format!("{path}.{op_name}");
            let operator = Operator::parse(op_name)
                .ok_or_else(|| self.err(&op_path, "unknown condition operator"))?;
            let keys = block
                .as_object()
                .ok_or_else(|| self.err(&op_path, "must be an object of condition keys"))?;
            for (key, vals) in keys {
                let key_path = format!("{op_path}.{key}");
                let values = match vals {
                    Value::Array(a) => a
                        .iter()
                        .enumerate()
                        .map(|(i, x)| self.scalar(x, &format!("{key_path}[{i}]")))
                        .collect::<Result<Vec<_>, _>>()?,
                    other => vec![self.scalar(other, &key_path)?],
                };
                if operator.comparison == Comparison::Null
                    && values.iter().any(|v| {
                        !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false")
                    })
                {
                    return Err(self.err(&key_path, "Null takes \"true\" or \"false\""));
                }
                out.push(Condition {
                    operator: operator.clone(),
                    key: key.clone(),
                    values,
                });
            }
        }
        Ok(out)
    }

    fn scalar(&self, v: &Value, path: &str) -> Result<String, PolicyError> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(self.err(
                path,
                "condition values must be strings, numbers or booleans",
            )),
        }
    }
}

/// A field name as it appears in an error path: plain names as they are, others quoted
/// (`""`, `"a.b"`) so the path always names something.
fn field_name(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b':')
    {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

fn valid_action_pattern(a: &str) -> bool {
    if a == "*" {
        return true;
    }
    match a.split_once(':') {
        Some((svc, act)) => {
            !svc.is_empty()
                && !act.is_empty()
                && svc
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'*' || b == b'?')
                && act.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || b == b'*' || b == b'?' || b == b'-' || b == b'_'
                })
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(kind: PolicyKind, s: &str) -> Result<Policy, PolicyError> {
        parse_policy("p.json", kind, s)
    }

    #[test]
    fn string_or_list_and_single_statement() {
        let p = parse(
            PolicyKind::Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*"]}}"#,
        )
        .unwrap();
        assert_eq!(p.statements.len(), 1);
        assert_eq!(
            p.statements[0].action,
            ActionMatch::Action(vec!["s3:GetObject".into()])
        );
        assert_eq!(p.version, PolicyVersion::V2012);
    }

    #[test]
    fn url_encoded_documents() {
        let enc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        let p = parse(PolicyKind::Identity, enc).unwrap();
        assert_eq!(p.statements[0].effect, Effect::Allow);
        assert!(decode_document("%7B%2").is_err());
    }

    #[test]
    fn errors_name_the_path() {
        let e = parse(
            PolicyKind::Identity,
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"},
               {"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "Statement[2].Condition.StringEquals");
        assert_eq!(e.policy, "p.json");
        assert!(e
            .to_string()
            .contains("Statement[2].Condition.StringEquals"));

        let e = parse(
            PolicyKind::Identity,
            r#"{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "Statement[0].Effect");
        let e = parse(
            PolicyKind::Identity,
            r#"{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "Statement[0].NotAction");
        let e = parse(
            PolicyKind::Identity,
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:Get*","nonsense"],"Resource":"*"}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "Statement[0].Action[1]");
        let e = parse(PolicyKind::Identity, r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}]}"#).unwrap_err();
        assert_eq!(e.path, "Statement[0].Condition.StringEqualz");
        let e = parse(
            PolicyKind::Identity,
            r#"{"Statement":[{"Effect":"Allow","Action":"*"}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "Statement[0].Resource");
        let e = parse(
            PolicyKind::Trust,
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "Statement[0].Principal");
        let e = parse(PolicyKind::Identity, r#"{"": "Version"}"#).unwrap_err();
        assert_eq!(e.path, "\"\"");
        let e = parse(PolicyKind::Identity, "[1,2]").unwrap_err();
        assert_eq!(e.path, "(document)");
        let e = parse(PolicyKind::Identity, "{").unwrap_err();
        assert!(e.message.contains("not valid JSON"));
    }

    #[test]
    fn principals_in_all_forms() {
        let p = parse(
            PolicyKind::Trust,
            r#"{"Statement":[
                {"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
                {"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::111122223333:root"],"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},
                {"Effect":"Deny","NotPrincipal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#,
        )
        .unwrap();
        assert!(p.statements[0].principal.as_ref().unwrap().is_wildcard());
        let s1 = p.statements[1].principal.as_ref().unwrap();
        assert_eq!(s1.aws.len(), 2);
        assert_eq!(s1.service, vec!["lambda.amazonaws.com".to_string()]);
        assert!(p.statements[2].not_principal.is_some());
    }

    #[test]
    fn condition_values_are_scalars() {
        let p = parse(
            PolicyKind::Identity,
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
                "NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},
                "ForAnyValue:StringNotLikeIfExists":{"aws:TagKeys":["a*","b"]}}}]}"#,
        )
        .unwrap();
        let c = &p.statements[0].conditions;
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].values, vec!["10".to_string()]);
        assert_eq!(c[1].values, vec!["true".to_string()]);
        let op = &c[2].operator;
        assert!(op.negated && op.if_exists && op.qualifier == Some(SetQualifier::ForAnyValue));
    }
}
