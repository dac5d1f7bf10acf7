//! Inline suppressions: `rolecall:ignore LR103 <reason>` in a comment (`#` or `//`) inside or just
//! above a resource, or in a CloudFormation resource's Metadata, as a string or as
//! `Metadata: {rolecall: {ignore: {LR103: reason}}}`. The reason is required: a suppression without
//! one is an error and suppresses nothing.

use crate::yaml::{Kind, Node};
use crate::{Builder, Loc};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InlineSuppression {
    /// Rule code (`LR103`).
    pub code: String,
    pub reason: String,
    /// The resource it covers (`file#LogicalId`).
    pub owner: String,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub(crate) struct Comment {
    line: u32,
    col: u32,
    codes: Vec<String>,
    reason: String,
}

const MARK: &str = "rolecall:ignore";

/// Splits `LR103,LR201 reason words` into codes and reason.
fn parse_mark(rest: &str) -> (Vec<String>, String) {
    let mut codes = Vec::new();
    let mut rest = rest.trim_start_matches(':').trim();
    loop {
        let end = rest
            .find(|c: char| c.is_whitespace() || c == ',')
            .unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        // Rule codes only: a reason may well start with a kebab-case word ("break-glass").
        let is_code = word.len() >= 3
            && word.starts_with("LR")
            && word
                .get(2..)
                .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()));
        if !is_code {
            break;
        }
        codes.push(word.to_string());
        rest = tail.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
    }
    let reason = rest
        .trim()
        .trim_start_matches(['-', ':', '—'])
        .trim()
        .trim_end_matches("*/")
        .trim();
    (codes, reason.to_string())
}

pub(crate) fn scan_comments(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(at) = line.find(MARK) else { continue };
        let before = line.get(..at).unwrap_or("");
        if !(before.contains('#') || before.contains("//") || before.contains("/*")) {
            continue;
        }
        let (codes, reason) = parse_mark(line.get(at + MARK.len()..).unwrap_or(""));
        out.push(Comment {
            line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            col: u32::try_from(at + 1).unwrap_or(u32::MAX),
            codes,
            reason,
        });
    }
    out
}

fn add(b: &mut Builder, codes: Vec<String>, reason: String, owner: &str, loc: Loc) {
    if codes.is_empty() {
        b.error(
            loc,
            "rolecall:ignore names no rule: write `rolecall:ignore LR103 <reason>`".into(),
        );
        return;
    }
    if reason.is_empty() {
        b.error(
            loc,
            format!(
                "rolecall:ignore {} has no reason: a suppression must say why (`rolecall:ignore {} <reason>`)",
                codes.join(","),
                codes.join(",")
            ),
        );
        return;
    }
    for code in codes {
        b.suppressions.push(InlineSuppression {
            code,
            reason: reason.clone(),
            owner: owner.to_string(),
            loc: loc.clone(),
        });
    }
}

/// Comments belong to the resource whose span holds them, or else to the next resource below.
pub(crate) fn attach_comments(b: &mut Builder) {
    let comments = std::mem::take(&mut b.comments);
    let mut files: Vec<_> = comments.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (file, list) in files {
        let spans = b.spans.get(&file).cloned().unwrap_or_default();
        for c in list {
            let loc = Loc {
                file: file.clone(),
                line: c.line,
                col: c.col,
            };
            let inside = spans
                .iter()
                .filter(|(first, last, _)| *first <= c.line && c.line <= *last)
                .min_by_key(|(first, last, _)| last - first);
            let below = spans
                .iter()
                .filter(|(first, _, _)| *first > c.line)
                .min_by_key(|(first, _, _)| *first);
            match inside.or(below) {
                Some((_, _, owner)) => {
                    let owner = owner.clone();
                    add(b, c.codes, c.reason, &owner, loc);
                }
                None => b.error(
                    loc,
                    "rolecall:ignore is not inside or above any role, policy or function".into(),
                ),
            }
        }
    }
}

/// Marks in a resource's Metadata.
pub(crate) fn from_metadata(b: &mut Builder, owner: &str, meta: &Node, file: &str) {
    let loc = |n: &Node| Loc {
        file: file.to_string(),
        line: n.line,
        col: n.col,
    };
    // The structured form.
    if let Some(ignore) = meta.get("rolecall").and_then(|r| r.get("ignore")) {
        match &ignore.kind {
            Kind::Map(m) => {
                for (code, reason) in m {
                    let reason = reason.str().unwrap_or("").trim().to_string();
                    add(b, vec![code.clone()], reason, owner, loc(ignore));
                }
            }
            Kind::Seq(v) => {
                for item in v {
                    let (codes, reason) = parse_mark(item.str().unwrap_or(""));
                    add(b, codes, reason, owner, loc(item));
                }
            }
            Kind::Scalar(s, _) => {
                let (codes, reason) = parse_mark(s);
                add(b, codes, reason, owner, loc(ignore));
            }
        }
    }
    // Strings anywhere else in Metadata that carry the mark.
    let mut stack = vec![meta];
    while let Some(n) = stack.pop() {
        match &n.kind {
            Kind::Scalar(s, _) => {
                if let Some(at) = s.find(MARK) {
                    let (codes, reason) = parse_mark(s.get(at + MARK.len()..).unwrap_or(""));
                    add(b, codes, reason, owner, loc(n));
                }
            }
            Kind::Seq(v) => stack.extend(v.iter()),
            Kind::Map(m) => {
                for (k, v) in m {
                    if k != "rolecall" {
                        stack.push(v);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_parse_codes_and_reason() {
        assert_eq!(
            parse_mark(" LR103 logs go to a shared bucket"),
            (vec!["LR103".into()], "logs go to a shared bucket".into())
        );
        assert_eq!(
            parse_mark(" LR103,LR204 - reviewed in SEC-12"),
            (
                vec!["LR103".into(), "LR204".into()],
                "reviewed in SEC-12".into()
            )
        );
        assert_eq!(parse_mark(" LR103"), (vec!["LR103".into()], String::new()));
        assert_eq!(
            parse_mark(" LR304 break-glass role"),
            (vec!["LR304".into()], "break-glass role".into())
        );
    }

    #[test]
    fn only_comments_count() {
        let c = scan_comments("a: b # rolecall:ignore LR101 ok\nx: \"rolecall:ignore LR101 no\"\n");
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].line, c[0].col), (1, 8));
    }
}
