//! YAML (and JSON, which YAML 1.2 contains) into a tree that remembers where every node was, with
//! CloudFormation's short-form tags (`!Ref`, `!Sub`, `!GetAtt`, ...) rewritten to their long form
//! (`{"Ref": ...}`, `{"Fn::Sub": ...}`) so the rest of the crate sees one shape. Unknown tags are
//! kept as a one-key map too (`!Foo x` → `{"Fn::Foo": x}`): parsed, never rejected.

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span, SpannedEventReceiver, Tag};
use std::collections::HashMap;

/// A node with the 1-based line and column where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub line: u32,
    pub col: u32,
    /// For a mapping's value: where its key was written (0, 0 otherwise).
    pub key_line: u32,
    pub key_col: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A scalar: its text, and whether it was plain (unquoted: may be a number, bool or null).
    Scalar(String, bool),
    Seq(Vec<Node>),
    /// Keys are scalars in every format rolecall reads; a non-scalar key becomes its text form.
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn new(kind: Kind, line: u32, col: u32) -> Node {
        Node {
            kind,
            line,
            col,
            key_line: 0,
            key_col: 0,
        }
    }

    /// Where this node's key was written, else where the node starts.
    pub fn key_pos(&self) -> (u32, u32) {
        if self.key_line > 0 {
            (self.key_line, self.key_col)
        } else {
            (self.line, self.col)
        }
    }

    /// The last line any part of this node is on.
    pub fn last_line(&self) -> u32 {
        match &self.kind {
            Kind::Scalar(..) => self.line,
            Kind::Seq(v) => v.iter().map(Node::last_line).max().unwrap_or(self.line),
            Kind::Map(m) => m
                .iter()
                .map(|(_, v)| v.last_line())
                .max()
                .unwrap_or(self.line),
        }
    }

    /// JSON into a node placed at (line, col) (SAM policy templates, synthesised resources).
    pub fn from_json(v: &serde_json::Value, line: u32, col: u32) -> Node {
        use serde_json::Value;
        let kind = match v {
            Value::Null => Kind::Scalar("null".into(), true),
            Value::Bool(b) => Kind::Scalar(b.to_string(), true),
            Value::Number(n) => Kind::Scalar(n.to_string(), true),
            Value::String(s) => Kind::Scalar(s.clone(), false),
            Value::Array(a) => Kind::Seq(a.iter().map(|x| Node::from_json(x, line, col)).collect()),
            Value::Object(o) => Kind::Map(
                o.iter()
                    .map(|(k, x)| (k.clone(), Node::from_json(x, line, col)))
                    .collect(),
            ),
        };
        Node::new(kind, line, col)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.kind {
            Kind::Map(m) => m,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq(v) => v,
            _ => &[],
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar(s, true) if s.is_empty() || s == "~" || s == "null")
    }

    /// A one-key map `{"Fn::X": arg}` (an intrinsic function): its name and argument.
    pub fn intrinsic(&self) -> Option<(&str, &Node)> {
        match &self.kind {
            Kind::Map(m) if m.len() == 1 => {
                let (k, v) = m.first()?;
                (k == "Ref" || k == "Condition" || k.starts_with("Fn::")).then_some((k.as_str(), v))
            }
            _ => None,
        }
    }

    /// Plain JSON, intrinsics left as their long-form maps.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Scalar(s, plain) => scalar_json(s, *plain),
            Kind::Seq(v) => Value::Array(v.iter().map(Node::to_json).collect()),
            Kind::Map(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

/// A plain scalar's YAML meaning (null, bool, number) or its text.
pub fn scalar_json(s: &str, plain: bool) -> serde_json::Value {
    use serde_json::Value;
    if !plain {
        return Value::String(s.to_string());
    }
    match s {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => {
            // Keep a number's text when it would not survive the trip (leading zeros: an account id).
            if let Ok(i) = s.parse::<i64>() {
                if i.to_string() == s {
                    return Value::from(i);
                }
            }
            if s.contains('.') && !s.starts_with('.') && !s.ends_with('.') {
                if let Ok(f) = s.parse::<f64>() {
                    if let Some(n) = serde_json::Number::from_f64(f) {
                        return Value::Number(n);
                    }
                }
            }
            Value::String(s.to_string())
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// A warning: line, column, message.
pub type Warning = (u32, u32, String);

/// Parses the first document of `text`, as CloudFormation and cfn-lint (libyaml) read it: the
/// YAML specification wants the lines of a multi-line flow collection or quoted scalar indented
/// more than their parent, but libyaml accepts a closing `}` or `]` (or the last line of a quoted
/// scalar) at the parent's own indentation, and real templates are written that way. Such lines
/// are indented one column more and the document parsed again; lines keep their numbers.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    parse_with_warnings(text).map(|(n, _)| n)
}

/// [`parse`], with the warnings (duplicate keys): (line, col, message).
pub fn parse_with_warnings(text: &str) -> Result<(Node, Vec<Warning>), YamlError> {
    let first = match parse_strict(text) {
        Ok(n) => return Ok(n),
        Err(e) => e,
    };
    let mut fixed = text.to_string();
    let mut err = first.clone();
    for _ in 0..500 {
        if !err.message.contains("invalid indentation") {
            break;
        }
        match relax_indentation(&fixed, &err) {
            Some(t) => fixed = t,
            None => break,
        }
        match parse_strict(&fixed) {
            Ok(n) => return Ok(n),
            Err(e) => err = e,
        }
    }
    Err(first)
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// One step of the libyaml leniency: the lines the error is about, indented one column more than
/// the line their construct starts on. None when there is nothing to change.
fn relax_indentation(text: &str, err: &YamlError) -> Option<String> {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let l = usize::try_from(err.line).ok()?.checked_sub(1)?;
    let c = usize::try_from(err.col).ok()?.checked_sub(1)?;
    let (start, end) = if err.message.contains("quoted scalar") {
        // The error is at the scalar's opening quote: its lines run to the closing quote.
        let line = lines.get(l)?;
        let quote = line.get(c..)?.chars().next()?;
        let mut end = l;
        let mut rest: String = line.get(c + quote.len_utf8()..)?.to_string();
        loop {
            if closes(&rest, quote) {
                break;
            }
            end += 1;
            rest = lines.get(end)?.clone();
        }
        (l, end)
    } else {
        // The error is at the offending line: its construct opened at the innermost unclosed
        // bracket before it.
        (opener_line(&lines, l, c)?, l)
    };
    let parent = indentation(lines.get(start)?);
    let mut changed = false;
    for i in start + 1..=end {
        let line = lines.get_mut(i)?;
        if line.trim().is_empty() {
            continue;
        }
        let have = indentation(line);
        if have <= parent {
            line.insert_str(0, &" ".repeat(parent + 1 - have));
            changed = true;
        }
    }
    changed.then(|| lines.join("\n"))
}

/// Does this text close a scalar quoted with `quote` (`''` and `\"` are escapes)?
fn closes(rest: &str, quote: char) -> bool {
    let mut chars = rest.chars().peekable();
    while let Some(ch) = chars.next() {
        if quote == '"' && ch == '\\' {
            chars.next();
            continue;
        }
        if ch == quote {
            if quote == '\'' && chars.peek() == Some(&'\'') {
                chars.next();
                continue;
            }
            return true;
        }
    }
    false
}

/// The line of the innermost `[` or `{` still open at (line, col), outside quotes.
fn opener_line(lines: &[String], line: usize, col: usize) -> Option<usize> {
    let mut stack: Vec<usize> = Vec::new();
    for (i, text) in lines.iter().enumerate().take(line + 1) {
        let mut quote: Option<char> = None;
        let mut after_space = true;
        for (j, ch) in text.chars().enumerate() {
            if i == line && j >= col {
                break;
            }
            let was_space = std::mem::replace(&mut after_space, ch == ' ');
            match (quote, ch) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(ch),
                (None, '#') if was_space => break,
                (None, '[' | '{') => stack.push(i),
                (None, ']' | '}') => {
                    stack.pop();
                }
                _ => {}
            }
        }
    }
    stack.last().copied()
}

fn parse_strict(text: &str) -> Result<(Node, Vec<Warning>), YamlError> {
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, false).map_err(|e| YamlError {
        line: u32::try_from(e.marker().line()).unwrap_or(u32::MAX),
        col: u32::try_from(e.marker().col() + 1).unwrap_or(u32::MAX),
        message: e.info().to_string(),
    })?;
    if let Some((line, col, message)) = b.error {
        return Err(YamlError { line, col, message });
    }
    let warnings = std::mem::take(&mut b.warnings);
    b.done
        .ok_or(YamlError {
            line: 1,
            col: 1,
            message: "empty document".into(),
        })
        .map(|n| (n, warnings))
}

enum Open {
    Seq(Node, Option<Tag>, usize),
    Map(Node, Option<Tag>, usize, Option<(String, u32, u32)>),
}

/// Nodes that aliases may expand to in one document, in all (a "billion laughs" document
/// stops here with an error instead of filling memory).
const MAX_ALIAS_NODES: usize = 1_000_000;
/// Nesting depth of one document (deeper is an attack or a mistake; readers recurse).
const MAX_DEPTH: usize = 256;

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    anchors: HashMap<usize, (Node, usize)>,
    done: Option<Node>,
    /// Nodes copied by aliases so far.
    expanded: usize,
    /// The first budget exceeded: (line, col, message).
    error: Option<(u32, u32, String)>,
    /// What CloudFormation accepts but a reader should hear about: (line, col, message).
    warnings: Vec<Warning>,
}

/// Nodes in a tree (iteratively: the tree may be deep).
fn size(n: &Node) -> usize {
    let mut count = 0;
    let mut todo = vec![n];
    while let Some(x) = todo.pop() {
        count += 1;
        match &x.kind {
            Kind::Seq(v) => todo.extend(v.iter()),
            Kind::Map(m) => todo.extend(m.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    count
}

fn pos(m: Marker) -> (u32, u32) {
    (
        u32::try_from(m.line()).unwrap_or(u32::MAX),
        u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
    )
}

/// `!Ref x` → `{"Ref": x}`; `!GetAtt A.B` → `{"Fn::GetAtt": ["A", "B"]}`; `!Sub` etc. → `Fn::Sub`.
fn apply_tag(tag: Option<Tag>, node: Node) -> Node {
    let Some(tag) = tag else { return node };
    if tag.handle != "!" {
        // `!!str` and friends: standard YAML tags, meaning the node as it is.
        return node;
    }
    let (line, col) = (node.line, node.col);
    let node_key = (node.key_line, node.key_col);
    let name = tag.suffix;
    let key = match name.as_str() {
        "Ref" | "Condition" => name.clone(),
        _ => format!("Fn::{name}"),
    };
    let value = if name == "GetAtt" {
        match &node.kind {
            Kind::Scalar(s, _) => {
                let (a, b) = s.split_once('.').unwrap_or((s.as_str(), ""));
                Node::new(
                    Kind::Seq(vec![
                        Node::new(Kind::Scalar(a.into(), false), line, col),
                        Node::new(Kind::Scalar(b.into(), false), line, col),
                    ]),
                    line,
                    col,
                )
            }
            _ => node,
        }
    } else {
        node
    };
    let mut out = Node::new(Kind::Map(vec![(key, value)]), line, col);
    out.key_line = node_key.0;
    out.key_col = node_key.1;
    out
}

impl Builder {
    fn push_value(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            let n = size(&node);
            self.anchors.insert(anchor, (node.clone(), n));
        }
        match self.stack.last_mut() {
            None => {
                if self.done.is_none() {
                    self.done = Some(node);
                }
            }
            Some(Open::Seq(seq, _, _)) => {
                if let Kind::Seq(v) = &mut seq.kind {
                    v.push(node);
                }
            }
            Some(Open::Map(map, _, _, key)) => match key.take() {
                None => {
                    let k = match &node.kind {
                        Kind::Scalar(s, _) => s.clone(),
                        _ => node.to_json().to_string(),
                    };
                    *key = Some((k, node.line, node.col));
                }
                Some((k, kl, kc)) => {
                    let mut node = node;
                    node.key_line = kl;
                    node.key_col = kc;
                    if let Kind::Map(m) = &mut map.kind {
                        // YAML merge key: `<<: *defaults`.
                        if k == "<<" {
                            if let Kind::Map(more) = node.kind {
                                for (mk, mv) in more {
                                    if !m.iter().any(|(x, _)| *x == mk) {
                                        m.push((mk, mv));
                                    }
                                }
                            }
                        } else if let Some(i) = m.iter().position(|(x, _)| *x == k) {
                            // CloudFormation keeps the last of duplicate keys; say so.
                            if let Some(slot) = m.get_mut(i) {
                                let first = slot.1.key_pos();
                                self.warnings.push((
                                    kl,
                                    kc,
                                    format!(
                                        "duplicate key {k:?} (also at line {}): the last one is used, as CloudFormation does",
                                        first.0
                                    ),
                                ));
                                slot.1 = node;
                            }
                        } else {
                            m.push((k, node));
                        }
                    }
                }
            },
        }
    }
}

impl<'input> SpannedEventReceiver<'input> for Builder {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        let (line, col) = pos(span.start);
        if self.error.is_some() {
            return;
        }
        if matches!(ev, Event::SequenceStart(..) | Event::MappingStart(..))
            && self.stack.len() >= MAX_DEPTH
        {
            self.error = Some((
                line,
                col,
                format!("nested more than {MAX_DEPTH} levels deep"),
            ));
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(std::borrow::Cow::into_owned);
                let node = Node::new(
                    Kind::Scalar(
                        text.into_owned(),
                        style == ScalarStyle::Plain && tag.is_none(),
                    ),
                    line,
                    col,
                );
                let node = apply_tag(tag, node);
                self.push_value(node, anchor);
            }
            Event::SequenceStart(anchor, tag) => self.stack.push(Open::Seq(
                Node::new(Kind::Seq(Vec::new()), line, col),
                tag.map(std::borrow::Cow::into_owned),
                anchor,
            )),
            Event::MappingStart(anchor, tag) => self.stack.push(Open::Map(
                Node::new(Kind::Map(Vec::new()), line, col),
                tag.map(std::borrow::Cow::into_owned),
                anchor,
                None,
            )),
            Event::SequenceEnd | Event::MappingEnd => {
                let (mut node, tag, anchor) = match self.stack.pop() {
                    Some(Open::Seq(n, t, a)) | Some(Open::Map(n, t, a, _)) => (n, t, a),
                    None => return,
                };
                // A block mapping's start event is marked at its first `:`; it starts at its
                // first key.
                if let Kind::Map(m) = &node.kind {
                    if let Some((_, first)) = m.first() {
                        let key = (first.key_line, first.key_col);
                        if first.key_line > 0 && key < (node.line, node.col) {
                            (node.line, node.col) = key;
                        }
                    }
                }
                let node = apply_tag(tag, node);
                self.push_value(node, anchor);
            }
            Event::Alias(id) => {
                let n = self.anchors.get(&id).map_or(1, |(_, n)| *n);
                self.expanded = self.expanded.saturating_add(n);
                if self.expanded > MAX_ALIAS_NODES {
                    self.error = Some((
                        line,
                        col,
                        format!("aliases expand to more than {MAX_ALIAS_NODES} nodes: not read (an alias bomb?)"),
                    ));
                    return;
                }
                let node = self
                    .anchors
                    .get(&id)
                    .map(|(n, _)| n.clone())
                    .unwrap_or(Node::new(Kind::Scalar(String::new(), true), line, col));
                self.push_value(node, 0);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_tags_become_long_form_with_positions() {
        let n =
            parse("A:\n  B: !GetAtt Role.Arn\n  C: !Sub\n    - x${Y}\n    - Y: !Ref Z\n").unwrap();
        let b = n.get("A").unwrap().get("B").unwrap();
        assert_eq!(
            b.to_json(),
            serde_json::json!({"Fn::GetAtt": ["Role", "Arn"]})
        );
        // The scalar's own position, after its tag.
        assert_eq!((b.line, b.col), (2, 14));
        assert_eq!(b.key_pos(), (2, 3));
        let c = n.get("A").unwrap().get("C").unwrap();
        assert_eq!(
            c.to_json(),
            serde_json::json!({"Fn::Sub": ["x${Y}", {"Y": {"Ref": "Z"}}]})
        );
    }

    #[test]
    fn json_parses_with_positions_and_types() {
        let n = parse("{\n  \"a\": [1, \"2\", true, null, \"012\"]\n}").unwrap();
        let a = n.get("a").unwrap();
        assert_eq!(a.to_json(), serde_json::json!([1, "2", true, null, "012"]));
        assert_eq!((a.line, a.col), (2, 8));
    }

    #[test]
    fn plain_scalars_keep_account_ids_as_text() {
        let n = parse("a: 012345678901\nb: 123\nc: 2012-10-17\n").unwrap();
        assert_eq!(
            n.to_json(),
            serde_json::json!({"a": "012345678901", "b": 123, "c": "2012-10-17"})
        );
    }

    #[test]
    fn libyaml_leniency_and_duplicate_keys() {
        // A flow mapping closed at its parent's indentation (lambda-iot-sam in serverless-patterns).
        let n = parse("P:\n  Doc: {\n    \"A\": 1\n  }\n  Next: 2\n").unwrap();
        assert_eq!(
            n.get("P").unwrap().get("Next").unwrap().line,
            5,
            "line numbers kept"
        );
        // A quoted scalar whose last line sits at the key's indentation.
        let n = parse("- Name: x\n  Doc: !Sub '{\n      \"V\": 1\n  }'\n- Name: y\n").unwrap();
        assert!(matches!(&n.kind, Kind::Seq(v) if v.len() == 2));
        // A flow sequence holding a single-pair mapping and a trailing comma (Fn::Sub's map).
        assert!(parse("F: !Sub [\n    \"x-${ID}\",\n    ID: !Ref Y,\n  ]\n").is_ok());
        // Invalid for libyaml too: still an error.
        assert!(parse("A: 'x' (y)\n").is_err());
        let (n, w) = parse_with_warnings("A: 1\nB: 2\nA: 3\n").unwrap();
        assert_eq!(n.get("A").unwrap().to_json(), serde_json::json!(3));
        assert_eq!(w.len(), 1);
        assert!(w[0].2.contains("line 1") && w[0].0 == 3, "{w:?}");
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_errors() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = (b'a' + i - 1) as char;
            let name = (b'a' + i) as char;
            bomb.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let e = parse(&bomb).unwrap_err();
        assert!(e.message.contains("alias"), "{}", e.message);
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).is_err());
        let deep = format!("{}x{}", "- ".repeat(300), "");
        let _ = parse(&deep);
    }

    #[test]
    fn anchors_and_merge_keys() {
        let n = parse("d: &d {x: 1}\ne:\n  <<: *d\n  y: 2\nf: *d\n").unwrap();
        assert_eq!(
            n.to_json(),
            serde_json::json!({"d": {"x": 1}, "e": {"y": 2, "x": 1}, "f": {"x": 1}})
        );
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.line >= 1, "{e:?}");
    }
}
