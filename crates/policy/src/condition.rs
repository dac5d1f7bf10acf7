//! Condition evaluation, following IAM's documented semantics:
//!
//! - conditions in a block are ANDed (every key, every operator); the values of one key are ORed;
//! - a positive operator on a key absent from the request is false (`...IfExists`: true);
//! - a negated operator (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, ...) is true when the key
//!   is absent, and otherwise true only when the request value matches *none* of the values;
//! - `ForAnyValue:` is true when at least one request value passes (false when the key is absent);
//! - `ForAllValues:` is true when every request value passes (true when the key is absent or empty);
//! - a multi-valued key used without a qualifier behaves as `ForAnyValue:` for positive operators
//!   and as "no request value matches" for negated ones (AWS says multi-valued keys "require" a set
//!   operator and documents nothing else: a warning says so);
//! - `Null: true` holds when the key is absent, `Null: false` when it is present;
//! - policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, `${*}`, `${?}`, `${$}`,
//!   `${key, 'default'}`) are substituted in String and Arn values of `2012-10-17` documents; a
//!   variable the request cannot resolve (and with no default) makes that value match nothing.

use crate::model::{Comparison, Condition, PolicyVersion, SetQualifier};
use crate::Context;
use rolecall_catalog::wildcard::{Pattern, Tok};
use std::net::IpAddr;

/// Evaluates every condition of a statement (AND).
pub fn all_hold(conds: &[Condition], ctx: &Context, version: PolicyVersion) -> bool {
    conds.iter().all(|c| holds(c, ctx, version))
}

/// [`all_hold`], noting every ambiguity and assumption met on the way in `notes`.
pub fn all_hold_noting(
    conds: &[Condition],
    ctx: &Context,
    version: PolicyVersion,
    notes: &mut Vec<String>,
) -> bool {
    conds.iter().all(|c| holds_noting(c, ctx, version, notes))
}

/// Evaluates one condition (one operator, one key, its values).
pub fn holds(c: &Condition, ctx: &Context, version: PolicyVersion) -> bool {
    holds_noting(c, ctx, version, &mut Vec::new())
}

fn note(notes: &mut Vec<String>, text: String) {
    if !notes.contains(&text) {
        notes.push(text);
    }
}

/// [`holds`], noting in `notes` where the documentation leaves the answer open (and what rolecall
/// chose), and where the value of the key was assumed rather than known.
pub fn holds_noting(
    c: &Condition,
    ctx: &Context,
    version: PolicyVersion,
    notes: &mut Vec<String>,
) -> bool {
    let op = &c.operator;
    let request = ctx.get(&c.key).filter(|v| !v.is_empty());
    if let Some(why) = ctx.assumption(&c.key) {
        note(notes, format!("{}: {why}", c.key));
    }
    let multivalued = request.is_some_and(|v| v.len() > 1)
        || (request.is_some() && rolecall_catalog::catalog().is_multivalued_key(&c.key));
    if op.qualifier.is_none() && multivalued {
        note(notes, format!(
            "warning: {} on the multi-valued key {} without ForAnyValue:/ForAllValues: AWS documents only the set operators for keys with several values; rolecall treats a positive operator as ForAnyValue and a negated one as \"no value matches\"",
            op.name, c.key
        ));
    }
    if op.qualifier == Some(SetQualifier::ForAnyValue) && op.if_exists && request.is_none() {
        note(notes, format!(
            "warning: {} on {}, which the request does not have: AWS says ForAnyValue on an absent key is false and IfExists on an absent key is true; rolecall follows IfExists (true)",
            op.name, c.key
        ));
    }
    if op.comparison == Comparison::ArnLike {
        for v in &c.values {
            if v.split(':').count() < 6 {
                note(notes, format!(
                    "warning: {} value `{v}` for {} has fewer than the six colon-separated parts of an ARN: AWS compares ARNs part by part and does not say what a shorter value matches; rolecall takes it to match no ARN",
                    op.name, c.key
                ));
            }
        }
    }
    if op.comparison == Comparison::Null {
        let want_absent = c.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        let want_present = c.values.iter().any(|v| v.eq_ignore_ascii_case("false"));
        return (want_absent && request.is_none()) || (want_present && request.is_some());
    }
    let values = PolicyValues::new(c, ctx, version);
    // One request value against the policy values: for a positive operator, does any match; for
    // a negated one, does none match.
    let passes = |v: &str| values.any_match(op.comparison, v) != op.negated;
    match (op.qualifier, request) {
        (Some(SetQualifier::ForAllValues), None) => true,
        (Some(SetQualifier::ForAllValues), Some(vs)) => vs.iter().all(|v| passes(v)),
        (Some(SetQualifier::ForAnyValue), None) => op.if_exists,
        (Some(SetQualifier::ForAnyValue), Some(vs)) => vs.iter().any(|v| passes(v)),
        (None, None) => op.if_exists || op.negated,
        (None, Some(vs)) => {
            if op.negated {
                vs.iter().all(|v| passes(v))
            } else {
                vs.iter().any(|v| passes(v))
            }
        }
    }
}

/// The policy side of a condition, with variables substituted where IAM substitutes them.
struct PolicyValues<'a> {
    raw: &'a [String],
    /// For String and Arn comparisons: the substituted values (None = unresolvable variable).
    substituted: Vec<Option<Pattern>>,
}

impl<'a> PolicyValues<'a> {
    fn new(c: &'a Condition, ctx: &Context, version: PolicyVersion) -> Self {
        let substitutes = matches!(
            c.operator.comparison,
            Comparison::StringEquals
                | Comparison::StringEqualsIgnoreCase
                | Comparison::StringLike
                | Comparison::ArnLike
        );
        let substituted = if substitutes {
            c.values
                .iter()
                .map(|v| substitute(v, ctx, version))
                .collect()
        } else {
            Vec::new()
        };
        PolicyValues {
            raw: &c.values,
            substituted,
        }
    }

    fn any_match(&self, cmp: Comparison, request: &str) -> bool {
        use Comparison::*;
        match cmp {
            StringEquals => self.subst().any(|p| equals_literal(p, request, false)),
            StringEqualsIgnoreCase => self.subst().any(|p| equals_literal(p, request, true)),
            StringLike => self.subst().any(|p| p.is_match(request)),
            ArnLike => self.subst().any(|p| arn_like(p, request)),
            NumericEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => {
                let Ok(r) = request.trim().parse::<f64>() else {
                    return false;
                };
                self.raw
                    .iter()
                    .filter_map(|p| p.trim().parse::<f64>().ok())
                    .any(|p| compare(cmp, r, p))
            }
            DateEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => {
                let Some(r) = parse_date(request) else {
                    return false;
                };
                self.raw
                    .iter()
                    .filter_map(|p| parse_date(p))
                    .any(|p| compare(cmp, r, p))
            }
            Bool => self
                .raw
                .iter()
                .any(|p| p.eq_ignore_ascii_case(request.trim())),
            BinaryEquals => {
                let r = decode_b64(request);
                self.raw.iter().any(|p| match (&r, decode_b64(p)) {
                    (Some(a), Some(b)) => *a == b,
                    _ => p == request,
                })
            }
            IpAddress => {
                let Ok(ip) = request.trim().parse::<IpAddr>() else {
                    return false;
                };
                self.raw.iter().any(|p| cidr_contains(p, ip))
            }
            Null => false,
        }
    }

    fn subst(&self) -> impl Iterator<Item = &Pattern> {
        self.substituted.iter().flatten()
    }
}

fn compare(cmp: Comparison, request: f64, policy: f64) -> bool {
    use Comparison::*;
    match cmp {
        NumericEquals | DateEquals => request == policy,
        NumericLessThan | DateLessThan => request < policy,
        NumericLessThanEquals | DateLessThanEquals => request <= policy,
        NumericGreaterThan | DateGreaterThan => request > policy,
        NumericGreaterThanEquals | DateGreaterThanEquals => request >= policy,
        _ => false,
    }
}

/// StringEquals compares literally: a substituted pattern's wildcard tokens are ordinary
/// characters there (only StringLike gives `*` a meaning).
fn equals_literal(p: &Pattern, request: &str, ignore_case: bool) -> bool {
    let text = p.to_text();
    if ignore_case {
        text.to_lowercase() == request.to_lowercase()
    } else {
        text == request
    }
}

/// ArnLike/ArnEquals: the six colon-separated parts are matched separately, so a wildcard never
/// spans one of the first five colons. A value with fewer than six parts (`*`, `arn:aws:iam::*`)
/// matches no ARN: AWS compares part by part and documents nothing else (a warning says so).
fn arn_like(p: &Pattern, request: &str) -> bool {
    let mut parts = vec![Pattern::default()];
    for t in p.toks() {
        match (t, parts.len() < 6) {
            (Tok::Lit(b':'), true) => parts.push(Pattern::default()),
            _ => {
                if let Some(last) = parts.last_mut() {
                    last.push(*t);
                }
            }
        }
    }
    let rp: Vec<&str> = request.splitn(6, ':').collect();
    if parts.len() < 6 {
        return false;
    }
    rp.len() == 6 && parts.iter().zip(rp.iter()).all(|(p, r)| p.is_match(r))
}

/// Substitutes policy variables in a policy value. Returns None when a variable cannot be
/// resolved from the request and has no default.
pub fn substitute(value: &str, ctx: &Context, version: PolicyVersion) -> Option<Pattern> {
    if version == PolicyVersion::V2008 || !value.contains("${") {
        return Some(Pattern::new(value));
    }
    let mut pat = Pattern::default();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let (before, after) = rest.split_at(start);
        push_wild(&mut pat, before);
        let Some(end) = after.find('}') else {
            push_wild(&mut pat, after);
            return Some(pat);
        };
        let inner = after.get(2..end).unwrap_or("");
        rest = after.get(end + 1..).unwrap_or("");
        match inner.trim() {
            "*" => pat.push(Tok::Lit(b'*')),
            "?" => pat.push(Tok::Lit(b'?')),
            "$" => pat.push(Tok::Lit(b'$')),
            var => {
                let (key, default) = match var.split_once(',') {
                    Some((k, d)) => (k.trim(), Some(d.trim().trim_matches('\'').to_string())),
                    None => (var, None),
                };
                match ctx.get(key).and_then(|v| v.first()).cloned().or(default) {
                    Some(v) => pat.push_literal(&v),
                    None => return None,
                }
            }
        }
    }
    push_wild(&mut pat, rest);
    Some(pat)
}

fn push_wild(pat: &mut Pattern, s: &str) {
    for t in Pattern::new(s).toks() {
        pat.push(*t);
    }
}

/// ISO 8601 (`2026-01-31T12:00:00Z`, with offset or fraction, or a bare date) or epoch seconds.
pub fn parse_date(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return Some(n);
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp() as f64 + f64::from(d.timestamp_subsec_millis()) / 1000.0);
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(d.and_utc().timestamp() as f64);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp() as f64);
    }
    None
}

fn decode_b64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

/// `203.0.113.0/24`, `2001:db8::/32` or a bare address.
pub fn cidr_contains(cidr: &str, ip: IpAddr) -> bool {
    let cidr = cidr.trim();
    let (addr, bits) = match cidr.split_once('/') {
        Some((a, b)) => (a, b.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let Ok(net) = addr.parse::<IpAddr>() else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}
