//! IAM wildcard matching: `*` matches any run of characters (including none), `?` exactly one.
//!
//! IAM uses the same two wildcards in `Action`, `Resource`, `StringLike` and `ArnLike`; only the
//! case rule differs (action names are case-insensitive, resources and strings are not), so the
//! caller chooses. The matcher is iterative with a single backtrack point, which is linear in
//! practice and never recursive, so hostile patterns such as `*a*a*a*a*b` cannot blow the stack.

/// Does `text` match `pattern` (case-sensitive)?
pub fn matches(pattern: &str, text: &str) -> bool {
    matches_by(pattern.as_bytes(), text.as_bytes(), |a, b| a == b)
}

/// Does `text` match `pattern`, ignoring ASCII case?
pub fn matches_ignore_case(pattern: &str, text: &str) -> bool {
    matches_by(pattern.as_bytes(), text.as_bytes(), |a, b| {
        a.eq_ignore_ascii_case(&b)
    })
}

/// True when the string contains an IAM wildcard.
pub fn has_wildcard(s: &str) -> bool {
    s.bytes().any(|b| b == b'*' || b == b'?')
}

// Works on bytes; `?` must match one *character*, so a multi-byte UTF-8 sequence is consumed whole.
fn matches_by(p: &[u8], t: &[u8], eq: impl Fn(u8, u8) -> bool) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    // Position after the last `*` in the pattern and the text position it is trying.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi + 1, ti));
                pi += 1;
                continue;
            }
            Some(b'?') => {
                pi += 1;
                ti += char_len(t, ti);
                continue;
            }
            Some(&c) if t.get(ti).is_some_and(|&x| eq(c, x)) => {
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
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
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
            (Some('*'), _) => reference(&p[1..], t, ci) || (!t.is_empty() && reference(p, &t[1..], ci)),
            (Some(_), None) => false,
            (Some('?'), Some(_)) => reference(&p[1..], &t[1..], ci),
            (Some(a), Some(b)) => {
                let same = if ci { a.eq_ignore_ascii_case(b) } else { a == b };
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
