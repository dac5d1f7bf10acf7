//! The validated policy model. Built from the lenient wire format by [`crate::parse`].

use serde::Serialize;

/// What a document is for: decides which elements it must and must not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    Identity,
    Resource,
    Trust,
    Boundary,
    Scp,
    /// Resource control policy (AWS Organizations): a ceiling on what can be done to the
    /// resources of an account, whoever asks.
    Rcp,
    /// Session policy passed when a role session (or federated user session) was created.
    Session,
}

impl PolicyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity",
            PolicyKind::Resource => "resource",
            PolicyKind::Trust => "trust",
            PolicyKind::Boundary => "boundary",
            PolicyKind::Scp => "scp",
            PolicyKind::Rcp => "rcp",
            PolicyKind::Session => "session",
        }
    }
}

/// `Version`: policy variables are only substituted in `2012-10-17` documents; a document
/// without a version is `2008-10-17`, as IAM treats it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PolicyVersion {
    #[serde(rename = "2012-10-17")]
    V2012,
    #[serde(rename = "2008-10-17")]
    V2008,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// A name for messages and evidence: file name, policy name or ARN.
    pub name: String,
    pub kind: PolicyKind,
    pub version: PolicyVersion,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// Position in the document's `Statement` list.
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Principals>,
    pub not_principal: Option<Principals>,
    pub action: ActionMatch,
    pub resource: Option<ResourceMatch>,
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// The Sid, or the index when there is none: how evidence names a statement.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) if !s.is_empty() => s.clone(),
            _ => self.index.to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionMatch {
    Action(Vec<String>),
    NotAction(Vec<String>),
}

impl ActionMatch {
    pub fn patterns(&self) -> &[String] {
        match self {
            ActionMatch::Action(v) | ActionMatch::NotAction(v) => v,
        }
    }

    pub fn is_not(&self) -> bool {
        matches!(self, ActionMatch::NotAction(_))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceMatch {
    Resource(Vec<String>),
    NotResource(Vec<String>),
}

impl ResourceMatch {
    pub fn patterns(&self) -> &[String] {
        match self {
            ResourceMatch::Resource(v) | ResourceMatch::NotResource(v) => v,
        }
    }

    pub fn is_not(&self) -> bool {
        matches!(self, ResourceMatch::NotResource(_))
    }
}

/// `Principal` / `NotPrincipal`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Principals {
    /// `"Principal": "*"`: everyone, authenticated or not.
    pub any: bool,
    /// `AWS`: account ids, account root ARNs, role/user/session ARNs, or `*`.
    pub aws: Vec<String>,
    pub service: Vec<String>,
    pub federated: Vec<String>,
    pub canonical_user: Vec<String>,
}

impl Principals {
    /// True for `"*"` and `{"AWS": "*"}`.
    pub fn is_wildcard(&self) -> bool {
        self.any || self.aws.iter().any(|a| a == "*")
    }
}

/// One condition: `operator` applied to `key` with `values` (OR across values).
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    /// The key as written (`aws:SourceVpc`); compared case-insensitively.
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

/// The comparison at the heart of an operator. Negated operators (`StringNotEquals`,
/// `NotIpAddress`, `ArnNotLike`, ...) are the positive comparison with `negated` set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    ArnLike,
    Null,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    /// As written in the document (`ForAnyValue:StringNotLikeIfExists`).
    pub name: String,
    pub comparison: Comparison,
    pub negated: bool,
    pub if_exists: bool,
    pub qualifier: Option<SetQualifier>,
}

impl Operator {
    /// Parses an operator name. Names are matched case-insensitively.
    pub fn parse(name: &str) -> Option<Operator> {
        let lower = name.to_ascii_lowercase();
        let (qualifier, rest) = if let Some(r) = lower.strip_prefix("foranyvalue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else if let Some(r) = lower.strip_prefix("forallvalues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else {
            (None, lower.as_str())
        };
        let (if_exists, base) = match rest.strip_suffix("ifexists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        use Comparison::*;
        let (comparison, negated) = match base {
            "stringequals" => (StringEquals, false),
            "stringnotequals" => (StringEquals, true),
            "stringequalsignorecase" => (StringEqualsIgnoreCase, false),
            "stringnotequalsignorecase" => (StringEqualsIgnoreCase, true),
            "stringlike" => (StringLike, false),
            "stringnotlike" => (StringLike, true),
            "numericequals" => (NumericEquals, false),
            "numericnotequals" => (NumericEquals, true),
            "numericlessthan" => (NumericLessThan, false),
            "numericlessthanequals" => (NumericLessThanEquals, false),
            "numericgreaterthan" => (NumericGreaterThan, false),
            "numericgreaterthanequals" => (NumericGreaterThanEquals, false),
            "dateequals" => (DateEquals, false),
            "datenotequals" => (DateEquals, true),
            "datelessthan" => (DateLessThan, false),
            "datelessthanequals" => (DateLessThanEquals, false),
            "dategreaterthan" => (DateGreaterThan, false),
            "dategreaterthanequals" => (DateGreaterThanEquals, false),
            "bool" => (Bool, false),
            "binaryequals" => (BinaryEquals, false),
            "ipaddress" => (IpAddress, false),
            "notipaddress" => (IpAddress, true),
            "arnequals" | "arnlike" => (ArnLike, false),
            "arnnotequals" | "arnnotlike" => (ArnLike, true),
            "null" => (Null, false),
            _ => return None,
        };
        if comparison == Null && (if_exists || qualifier.is_some()) {
            return None;
        }
        Some(Operator {
            name: name.to_string(),
            comparison,
            negated,
            if_exists,
            qualifier,
        })
    }
}
