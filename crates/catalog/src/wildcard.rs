//! IAM wildcard matching: `*` matches any run of characters (including none), `?` exactly one.
//!
//! IAM uses the same two wildcards in `Action`, `Resource`, `StringLike` and `ArnLike`; only the
//! case rule differs (action names are case-insensitive, resources and strings are not), so the
//! caller chooses. The matcher is iterative with a single backtrack point, which is linear in
//! practice and never recursive, so hostile patterns such as `*a*a*a*a*b` cannot blow the stack.

/// One element of a compiled pattern: a literal byte, `*` or `?`.
///
/// Policy variables can produce literal `*` and `?` (`${*}`, `${?}`), so a pattern is a list of
/// tokens rather than a string: a literal asterisk is `Lit(b'*')`, never `Star`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    Lit(u8),
    Star,
    One,
}

/// A compiled IAM wildcard pattern.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Pattern {
    toks: Vec<Tok>,
}

impl Pattern {
    /// Compiles a pattern in which every `*` and `?` is a wildcard.
    pub fn new(pattern: &str) -> Self {
        let toks = pattern
            .bytes()
            .map(|b| match b {
                b'*' => Tok::Star,
                b'?' => Tok::One,
                b => Tok::Lit(b),
            })
            .collect();
        Pattern { toks }
    }

    /// A pattern built token by token (used by policy-variable substitution).
    pub fn from_toks(toks: Vec<Tok>) -> Self {
        Pattern { toks }
    }

    pub fn push_literal(&mut self, s: &str) {
        self.toks.extend(s.bytes().map(Tok::Lit));
    }

    pub fn toks(&self) -> &[Tok] {
        &self.toks
    }

    pub fn push(&mut self, t: Tok) {
        self.toks.push(t);
    }

    pub fn is_match(&self, text: &str) -> bool {
        matches_toks(&self.toks, text.as_bytes(), |a, b| a == b)
    }

    pub fn is_match_ignore_case(&self, text: &str) -> bool {
        matches_toks(&self.toks, text.as_bytes(), |a, b| {
            a.eq_ignore_ascii_case(&b)
        })
    }

    /// The pattern as text; literal wildcards come back as `*`/`?` (for display only).
    pub fn to_text(&self) -> String {
        let bytes: Vec<u8> = self
            .toks
            .iter()
            .map(|t| match t {
                Tok::Lit(b) => *b,
                Tok::Star => b'*',
                Tok::One => b'?',
            })
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Does `text` match `pattern` (case-sensitive)?
pub fn matches(pattern: &str, text: &str) -> bool {
    Pattern::new(pattern).is_match(text)
}

/// Does `text` match `pattern`, ignoring ASCII case?
pub fn matches_ignore_case(pattern: &str, text: &str) -> bool {
    Pattern::new(pattern).is_match_ignore_case(text)
}

/// True when the string contains an IAM wildcard.
pub fn has_wildcard(s: &str) -> bool {
    s.bytes().any(|b| b == b'*' || b == b'?')
}

// Works on bytes; `?` must match one *character*, so a multi-byte UTF-8 sequence is consumed whole.
fn matches_toks(p: &[Tok], t: &[u8], eq: impl Fn(u8, u8) -> bool) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    // Position after the last `*` in the pattern and the text position it is trying.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Tok::Star) => {
                star = Some((pi + 1, ti));
                pi += 1;
                continue;
            }
            Some(Tok::One) => {
                pi += 1;
                ti += char_len(t, ti);
                continue;
            }
            Some(&Tok::Lit(c)) if t.get(ti).is_some_and(|&x| eq(c, x)) => {
                pi += 1;
                ti += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                let next = st + char_len(t, st);
                star = Some((sp, next));
                pi = sp;
                ti = next;
            }
            None => return false,
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == Tok::Star))
}

fn char_len(t: &[u8], i: usize) -> usize {
    match t.get(i) {
        Some(&b) if b >= 0xF0 => 4,
        Some(&b) if b >= 0xE0 => 3,
        Some(&b) if b >= 0xC0 => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Plain recursive reference: the definition, with no cleverness.
    fn reference(p: &[char], t: &[char], ci: bool) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (None, Some(_)) => false,
            (Some('*'), _) => {
                reference(&p[1..], t, ci) || (!t.is_empty() && reference(p, &t[1..], ci))
            }
            (Some(_), None) => false,
            (Some('?'), Some(_)) => reference(&p[1..], &t[1..], ci),
            (Some(a), Some(b)) => {
                let same = if ci {
                    a.eq_ignore_ascii_case(b)
                } else {
                    a == b
                };
                same && reference(&p[1..], &t[1..], ci)
            }
        }
    }

    fn r(p: &str, t: &str, ci: bool) -> bool {
        let p: Vec<char> = p.chars().collect();
        let t: Vec<char> = t.chars().collect();
        reference(&p, &t, ci)
    }

    #[test]
    fn examples() {
        assert!(matches("*", ""));
        assert!(matches("s3:Get*", "s3:GetObject"));
        assert!(!matches("s3:Get*", "s3:getObject"));
        assert!(matches_ignore_case("s3:get*", "s3:GetObject"));
        assert!(matches_ignore_case("iam:*Policy*", "iam:PutRolePolicy"));
        assert!(!matches_ignore_case("iam:*Policy*", "iam:PassRole"));
        assert!(matches("arn:aws:s3:::b/?.txt", "arn:aws:s3:::b/é.txt"));
        assert!(!matches("a?c", "ac"));
        assert!(matches("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaab"));
        assert!(!matches("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(has_wildcard("s3:*") && !has_wildcard("s3:GetObject"));
        // a literal asterisk from ${*} matches only an asterisk
        let mut lit = Pattern::new("a");
        lit.push_literal("*");
        assert!(lit.is_match("a*") && !lit.is_match("ab"));
    }

    proptest! {
        #[test]
        fn agrees_with_reference(p in "[ab*?é]{0,8}", t in "[abé]{0,10}") {
            prop_assert_eq!(matches(&p, &t), r(&p, &t, false));
        }

        #[test]
        fn agrees_with_reference_ignoring_case(p in "[aAbB*?:]{0,8}", t in "[aAbB:]{0,10}") {
            prop_assert_eq!(matches_ignore_case(&p, &t), r(&p, &t, true));
        }

        #[test]
        fn literal_pattern_matches_itself(t in "[^*?]{0,20}") {
            prop_assert!(matches(&t, &t));
            prop_assert!(matches_ignore_case(&t.to_ascii_uppercase(), &t));
        }
    }
}
