//! IAM wildcard matching: `*` matches any run of characters (including none), `?` exactly one.
//!
//! IAM uses the same two wildcards in `Action`, `Resource`, `StringLike` and `ArnLike`; only the
//! case rule differs (action names are case-insensitive, resources and strings are not), so the
//! caller chooses. The matcher is iterative with a single backtrack point, which is linear in
//! practice and never recursive, so hostile patterns such as `*a*a*a*a*b` cannot blow the stack.
//!
//! ARNs in `Resource` follow one more rule (IAM User Guide, "IAM JSON policy elements: Resource",
//! wildcards in resource ARNs): wildcards work within the colon-separated segments of an ARN, and
//! only a `*` that is the *last character of a segment* may expand past colon boundaries.
//! [`Pattern::arn`] compiles a resource pattern that way: a `*` followed by anything but `:` (or
//! the end) and every `?` become segment-bound tokens that never match `:`. Such patterns are
//! matched by a small NFA simulation (O(pattern × text), no recursion), since one backtrack
//! point is not enough once some stars cannot cross a colon.
//!
//! [`overlaps`] (could one string match both patterns?) and [`covers`] (does every string the
//! second matches also match the first?) compare patterns with each other, for resource scopes.

/// One element of a compiled pattern: a literal byte, `*` or `?`.
///
/// Policy variables can produce literal `*` and `?` (`${*}`, `${?}`), so a pattern is a list of
/// tokens rather than a string: a literal asterisk is `Lit(b'*')`, never `Star`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    Lit(u8),
    Star,
    One,
    /// `*` inside an ARN segment: any run of characters except `:`.
    SegStar,
    /// `?` inside an ARN: one character other than `:`.
    SegOne,
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

    /// Compiles a `Resource` pattern. A pattern that starts with `arn:` follows IAM's segment rule:
    /// only a `*` that ends a segment (followed by `:` or the end of the pattern) may match colons;
    /// other wildcards stay inside their segment. Anything else compiles as [`Pattern::new`].
    pub fn arn(pattern: &str) -> Self {
        let mut p = Pattern::new(pattern);
        if pattern.starts_with("arn:") {
            p.bind_to_segments();
        }
        p
    }

    /// Makes the wildcards of an ARN pattern segment-bound (see [`Pattern::arn`]); literal
    /// asterisks from `${*}` stay literal.
    pub fn bind_to_segments(&mut self) {
        let n = self.toks.len();
        for i in 0..n {
            let next_is_colon_or_end = match self.toks.get(i + 1) {
                None => true,
                Some(Tok::Lit(b':')) => true,
                Some(_) => false,
            };
            if let Some(t) = self.toks.get_mut(i) {
                match t {
                    Tok::Star if !next_is_colon_or_end => *t = Tok::SegStar,
                    Tok::One => *t = Tok::SegOne,
                    _ => {}
                }
            }
        }
    }

    /// A resource pattern as it applies to real ARNs, for comparing patterns with each other and
    /// with the catalogue's ARN formats: [`Pattern::arn`], and moreover no wildcard of the first
    /// five segments (partition, service, region, account) spans a colon, since no real ARN has a
    /// colon there. Request matching uses [`Pattern::arn`], which follows the documented rule.
    pub fn arn_structural(pattern: &str) -> Self {
        let mut p = Pattern::arn(pattern);
        if pattern.starts_with("arn:") {
            let mut colons = 0;
            for t in &mut p.toks {
                match t {
                    Tok::Lit(b':') => colons += 1,
                    Tok::Star if colons < 5 => *t = Tok::SegStar,
                    Tok::One if colons < 5 => *t = Tok::SegOne,
                    _ => {}
                }
            }
        }
        p
    }

    /// True when some wildcard is bound to an ARN segment.
    fn has_segment_tokens(&self) -> bool {
        self.toks
            .iter()
            .any(|t| matches!(t, Tok::SegStar | Tok::SegOne))
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
        if self.has_segment_tokens() {
            return nfa_match(&self.toks, text.as_bytes(), |a, b| a == b);
        }
        matches_toks(&self.toks, text.as_bytes(), |a, b| a == b)
    }

    pub fn is_match_ignore_case(&self, text: &str) -> bool {
        if self.has_segment_tokens() {
            return nfa_match(&self.toks, text.as_bytes(), |a, b| {
                a.eq_ignore_ascii_case(&b)
            });
        }
        matches_toks(&self.toks, text.as_bytes(), |a, b| {
            a.eq_ignore_ascii_case(&b)
        })
    }

    /// True when the pattern has no wildcard token (it matches one string).
    pub fn is_literal(&self) -> bool {
        self.toks.iter().all(|t| matches!(t, Tok::Lit(_)))
    }

    /// The pattern as text; literal wildcards come back as `*`/`?` (for display only).
    pub fn to_text(&self) -> String {
        let bytes: Vec<u8> = self
            .toks
            .iter()
            .map(|t| match t {
                Tok::Lit(b) => *b,
                Tok::Star | Tok::SegStar => b'*',
                Tok::One | Tok::SegOne => b'?',
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

/// Does the resource ARN match the `Resource` pattern, with IAM's ARN segment rule?
pub fn arn_matches(pattern: &str, resource: &str) -> bool {
    Pattern::arn(pattern).is_match(resource)
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

/// NFA simulation for patterns with segment-bound tokens: the set of pattern positions reachable
/// after each character of the text. Works on characters (a `?` is one character, as IAM has it).
fn nfa_match(p: &[Tok], t: &[u8], eq: impl Fn(u8, u8) -> bool) -> bool {
    #[derive(Clone, Copy)]
    enum C {
        Lit(char),
        Star,
        SegStar,
        One,
        SegOne,
    }
    // Literal bytes back into characters (they come from UTF-8 text).
    let mut pat: Vec<C> = Vec::with_capacity(p.len());
    let mut pending: Vec<u8> = Vec::new();
    let flush = |pending: &mut Vec<u8>, pat: &mut Vec<C>| {
        if !pending.is_empty() {
            for ch in String::from_utf8_lossy(pending).chars() {
                pat.push(C::Lit(ch));
            }
            pending.clear();
        }
    };
    for tok in p {
        match tok {
            Tok::Lit(b) => pending.push(*b),
            other => {
                flush(&mut pending, &mut pat);
                pat.push(match other {
                    Tok::Star => C::Star,
                    Tok::SegStar => C::SegStar,
                    Tok::One => C::One,
                    _ => C::SegOne,
                });
            }
        }
    }
    flush(&mut pending, &mut pat);
    let text: Vec<char> = String::from_utf8_lossy(t).chars().collect();
    let same = |a: char, b: char| {
        if a.is_ascii() && b.is_ascii() {
            eq(a as u8, b as u8)
        } else {
            a == b
        }
    };
    let n = pat.len();
    let mut cur = vec![false; n + 1];
    let mut next = vec![false; n + 1];
    let close = |set: &mut Vec<bool>| {
        // A star may match nothing: a reachable star makes the position after it reachable.
        for i in 0..n {
            if set.get(i).copied().unwrap_or(false)
                && matches!(pat.get(i), Some(C::Star | C::SegStar))
            {
                if let Some(x) = set.get_mut(i + 1) {
                    *x = true;
                }
            }
        }
    };
    if let Some(x) = cur.get_mut(0) {
        *x = true;
    }
    close(&mut cur);
    for &c in &text {
        next.iter_mut().for_each(|x| *x = false);
        let mut any = false;
        for i in 0..n {
            if !cur.get(i).copied().unwrap_or(false) {
                continue;
            }
            let target = match pat.get(i) {
                Some(C::Star) => Some(i),
                Some(C::SegStar) if c != ':' => Some(i),
                Some(C::One) => Some(i + 1),
                Some(C::SegOne) if c != ':' => Some(i + 1),
                Some(&C::Lit(x)) if same(x, c) => Some(i + 1),
                _ => None,
            };
            if let Some(x) = target.and_then(|j| next.get_mut(j)) {
                *x = true;
                any = true;
            }
        }
        if !any {
            return false;
        }
        std::mem::swap(&mut cur, &mut next);
        close(&mut cur);
    }
    cur.get(n).copied().unwrap_or(false)
}

/// What one token accepts, for comparing two patterns: any character, any but `:`, or one byte.
#[derive(Clone, Copy)]
enum Class {
    Any,
    NotColon,
    Byte(u8),
}

/// (repeats, class) of a token: stars repeat, the rest consume exactly one character.
fn class_of(t: Tok) -> (bool, Class) {
    match t {
        Tok::Lit(b) => (false, Class::Byte(b)),
        Tok::Star => (true, Class::Any),
        Tok::SegStar => (true, Class::NotColon),
        Tok::One => (false, Class::Any),
        Tok::SegOne => (false, Class::NotColon),
    }
}

/// Can one character satisfy both classes?
fn classes_meet(a: Class, b: Class) -> bool {
    match (a, b) {
        (Class::Byte(x), Class::Byte(y)) => x == y,
        (Class::Byte(x), Class::NotColon) | (Class::NotColon, Class::Byte(x)) => x != b':',
        _ => true,
    }
}

/// Is there a string both patterns match? Exact, by reachability over pairs of pattern
/// positions (O(|a| × |b|)); case-sensitive, bytes as characters.
pub fn overlaps(a: &Pattern, b: &Pattern) -> bool {
    let (pa, pb) = (a.toks(), b.toks());
    if !ends_meet(pa, pb) {
        return false;
    }
    let (n, m) = (pa.len(), pb.len());
    let w = m + 1;
    let mut seen = vec![false; (n + 1) * w];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let Some(slot) = seen.get_mut(i * w + j) else {
            continue;
        };
        if *slot {
            continue;
        }
        *slot = true;
        if i == n && j == m {
            return true;
        }
        let ta = pa.get(i).map(|t| class_of(*t));
        let tb = pb.get(j).map(|t| class_of(*t));
        // A star may match nothing.
        if let Some((true, _)) = ta {
            stack.push((i + 1, j));
        }
        if let Some((true, _)) = tb {
            stack.push((i, j + 1));
        }
        // Or both consume one common character.
        if let (Some((ra, ca)), Some((rb, cb))) = (ta, tb) {
            if classes_meet(ca, cb) {
                let ni = if ra { i } else { i + 1 };
                let nj = if rb { j } else { j + 1 };
                // Two stars consuming together stay where they are: nothing new to visit.
                if (ni, nj) != (i, j) {
                    stack.push((ni, nj));
                }
            }
        }
    }
    false
}

/// A quick necessary test for [`overlaps`]: up to the first star of either pattern, and from
/// the end back to the last one, each pattern consumes exactly one character per token, so those
/// characters must meet position by position. Most patterns that do not overlap differ there
/// (`arn:aws:s3:::a/*` against `arn:*:s3:::*` ends in `/*` against a bare `*`, which meet, but a
/// table ARN against an index type differs in its fixed words).
fn ends_meet(pa: &[Tok], pb: &[Tok]) -> bool {
    fn meet(x: &Tok, y: &Tok) -> Option<bool> {
        let ((rx, cx), (ry, cy)) = (class_of(*x), class_of(*y));
        if rx || ry {
            None // a star: the lengths no longer line up
        } else {
            Some(classes_meet(cx, cy))
        }
    }
    for (x, y) in pa.iter().zip(pb) {
        match meet(x, y) {
            Some(false) => return false,
            Some(true) => {}
            None => break,
        }
    }
    for (x, y) in pa.iter().rev().zip(pb.iter().rev()) {
        match meet(x, y) {
            Some(false) => return false,
            Some(true) => {}
            None => break,
        }
    }
    // Without a star, the patterns match strings of one length each.
    let star = |p: &[Tok]| p.iter().any(|t| class_of(*t).0);
    star(pa) || star(pb) || pa.len() == pb.len()
}

/// Does `outer` match every string `inner` matches? A sufficient test, exact for the patterns
/// policies use: each wildcard of `inner` must be absorbed by a wildcard of `outer` at least as
/// broad. (A literal `inner` is simply matched.)
pub fn covers(outer: &Pattern, inner: &Pattern) -> bool {
    if inner.is_literal() {
        return outer.is_match(&inner.to_text());
    }
    let (po, pi) = (outer.toks(), inner.toks());
    let (n, m) = (po.len(), pi.len());
    let w = m + 1;
    let mut seen = vec![false; (n + 1) * w];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let Some(slot) = seen.get_mut(i * w + j) else {
            continue;
        };
        if *slot {
            continue;
        }
        *slot = true;
        if i == n && j == m {
            return true;
        }
        let o = po.get(i).copied();
        let x = pi.get(j).copied();
        match o {
            Some(Tok::Star) => {
                stack.push((i + 1, j)); // matches nothing more
                if x.is_some() {
                    stack.push((i, j + 1)); // absorbs inner's next token, whatever it is
                }
            }
            Some(Tok::SegStar) => {
                stack.push((i + 1, j));
                match x {
                    Some(Tok::Lit(c)) if c != b':' => stack.push((i, j + 1)),
                    Some(Tok::SegStar | Tok::SegOne) => stack.push((i, j + 1)),
                    _ => {}
                }
            }
            Some(Tok::One) => {
                if matches!(x, Some(Tok::Lit(_) | Tok::One | Tok::SegOne)) {
                    stack.push((i + 1, j + 1));
                }
            }
            Some(Tok::SegOne) => match x {
                Some(Tok::Lit(c)) if c != b':' => stack.push((i + 1, j + 1)),
                Some(Tok::SegOne) => stack.push((i + 1, j + 1)),
                _ => {}
            },
            Some(Tok::Lit(c)) if x == Some(Tok::Lit(c)) => stack.push((i + 1, j + 1)),
            Some(Tok::Lit(_)) | None => {}
        }
    }
    false
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

    #[test]
    fn arn_segments_bind_wildcards() {
        // A `*` inside a segment does not cross a colon...
        assert!(!arn_matches(
            "arn:aws:lambda:us-east-1:111*-fn",
            "arn:aws:lambda:us-east-1:111122223333:function:orders-fn"
        ));
        // ...one that ends a segment may.
        assert!(arn_matches(
            "arn:aws:lambda:us-east-1:111*",
            "arn:aws:lambda:us-east-1:111122223333:function:orders-fn"
        ));
        assert!(arn_matches(
            "arn:aws:lambda:*:111122223333:function:*",
            "arn:aws:lambda:us-east-1:111122223333:function:orders-fn:prod"
        ));
        assert!(arn_matches(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket/a:b/c"
        ));
        assert!(!arn_matches(
            "arn:aws:lambda:us-east-1:111122223333:function:o*s-fn",
            "arn:aws:lambda:us-east-1:111122223333:function:o:s-fn"
        ));
        assert!(arn_matches(
            "arn:aws:lambda:us-east-1:111122223333:function:o*s-fn",
            "arn:aws:lambda:us-east-1:111122223333:function:orders-fn"
        ));
        assert!(!arn_matches(
            "arn:aws:sqs:us-east-1:1?1:q",
            "arn:aws:sqs:us-east-1:1:1:q"
        ));
        assert!(arn_matches("*", "arn:aws:sqs:us-east-1:111:q"));
        // Non-ARN patterns keep the plain rule.
        assert!(arn_matches("*-fn", "a:b-fn"));
        assert!(arn_matches("arn:aws:s3:::b/?.txt", "arn:aws:s3:::b/é.txt"));
    }

    #[test]
    fn pattern_overlap_and_cover() {
        let p = Pattern::new;
        assert!(overlaps(&p("a*"), &p("*b")));
        assert!(!overlaps(&p("a*"), &p("b*")));
        assert!(overlaps(&p("arn:aws:s3:::b/*"), &p("arn:*:s3:::*/*")));
        assert!(!overlaps(&p("arn:aws:s3:::b"), &p("arn:*:s3:::*/*")));
        // By the letter of the segment rule, a `*` ending the region segment could span colons,
        // so these two overlap; no real ARN has a colon there, which the structural form says.
        assert!(overlaps(
            &Pattern::arn("arn:aws:ssm:*:*:parameter/*"),
            &Pattern::arn("arn:*:ssm:*:*:document/*")
        ));
        assert!(!overlaps(
            &Pattern::arn_structural("arn:aws:ssm:*:*:parameter/*"),
            &Pattern::arn_structural("arn:*:ssm:*:*:document/*")
        ));
        assert!(overlaps(
            &Pattern::arn_structural("arn:aws:ssm:*:*:parameter/*"),
            &Pattern::arn_structural("arn:*:ssm:*:*:parameter/*")
        ));
        assert!(overlaps(&p("a?c"), &p("*b*")));
        assert!(!overlaps(&Pattern::arn("arn:a*b:x"), &p("arn:a:b:x")));
        assert!(covers(&p("arn:aws:s3:::*"), &p("arn:aws:s3:::*/*")));
        assert!(covers(&p("*"), &p("a*b")));
        assert!(!covers(&p("arn:aws:s3:::b*"), &p("arn:aws:s3:::*")));
        assert!(!covers(&p("a?"), &p("a*")));
        assert!(covers(&p("a*"), &p("a?")));
        assert!(covers(&p("arn:aws:s3:::b/x"), &p("arn:aws:s3:::b/x")));
    }

    /// Brute force: every string over a small alphabet up to a length.
    fn strings(alpha: &[char], max: usize) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..max {
            let mut next = Vec::new();
            for s in &frontier {
                for c in alpha {
                    let mut t = s.clone();
                    t.push(*c);
                    next.push(t);
                }
            }
            out.extend(next.iter().cloned());
            frontier = next;
        }
        out
    }

    proptest! {
        #[test]
        fn overlap_is_exact_and_cover_is_sound(a in "[ab:*?]{0,3}", b in "[ab:*?]{0,3}") {
            let (pa, pb) = (Pattern::arn(&format!("arn:{a}")), Pattern::arn(&format!("arn:{b}")));
            let all = strings(&['a', 'b', ':'], 6);
            let witness = all.iter().map(|s| format!("arn:{s}")).find(|s| pa.is_match(s) && pb.is_match(s));
            // A witness proves overlap; a shortest one uses each non-star token at most once, so with
            // three tokens a side, no witness up to six characters proves there is none.
            prop_assert_eq!(overlaps(&pa, &pb), witness.is_some());
            if covers(&pa, &pb) {
                for s in &all {
                    let s = format!("arn:{s}");
                    prop_assert!(!pb.is_match(&s) || pa.is_match(&s), "{} covers {} but not {}", a, b, s);
                }
            }
        }

        #[test]
        fn segment_matcher_agrees_with_plain_matcher_without_colons(p in "[ab*?é]{0,8}", t in "[abé]{0,10}") {
            let mut seg = Pattern::new(&p);
            seg.bind_to_segments();
            // With no colon in the text, segment binding changes nothing.
            prop_assert_eq!(seg.is_match(&t), matches(&p, &t));
        }

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
