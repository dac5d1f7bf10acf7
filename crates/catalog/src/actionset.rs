//! A set of catalogue actions as a bitset over the window of words that holds its members: a
//! service's actions are contiguous, so a grant of one service's actions is a few words rather
//! than the whole catalogue's 2.8 KB, and union, intersection and difference cost the words of
//! the windows they touch. `Action: *` and `NotAction` sets span the catalogue, as before.
//!
//! Invariant (kept by every operation): the window's first and last words are non-zero, and an
//! empty set has no words at offset 0, so equal sets have equal fields.

use crate::ActionId;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ActionSet {
    /// Index of the first word held.
    start: u32,
    words: Vec<u64>,
    universe: u32,
}

impl std::fmt::Debug for ActionSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ActionSet({} of {})", self.len(), self.universe)
    }
}

impl ActionSet {
    /// An empty set over a catalogue of `universe` actions.
    pub fn empty(universe: usize) -> Self {
        ActionSet {
            start: 0,
            words: Vec::new(),
            universe: universe as u32,
        }
    }

    /// Every action of the catalogue.
    pub fn full(universe: usize) -> Self {
        let mut s = Self::empty(universe);
        s.fill();
        s
    }

    pub fn fill(&mut self) {
        self.start = 0;
        self.words.clear();
        self.words.resize(self.total_words(), u64::MAX);
        self.trim_universe();
        self.normalize();
    }

    fn total_words(&self) -> usize {
        (self.universe as usize).div_ceil(64)
    }

    /// Clears the bits past the universe in the catalogue's last word.
    fn trim_universe(&mut self) {
        let rem = self.universe % 64;
        let last = self.total_words();
        if rem != 0 && last > 0 && self.start as usize + self.words.len() == last {
            if let Some(w) = self.words.last_mut() {
                *w &= (1u64 << rem) - 1;
            }
        }
    }

    /// Drops zero words at both ends of the window.
    fn normalize(&mut self) {
        let Some(first) = self.words.iter().position(|&w| w != 0) else {
            self.words.clear();
            self.start = 0;
            return;
        };
        let last = self.words.iter().rposition(|&w| w != 0).unwrap_or(first);
        self.words.truncate(last + 1);
        if first > 0 {
            self.words.drain(..first);
            self.start += first as u32;
        }
    }

    fn end(&self) -> u32 {
        self.start + self.words.len() as u32
    }

    /// Widens the window to hold words `lo..hi` (zero-filled).
    fn cover(&mut self, lo: u32, hi: u32) {
        if self.words.is_empty() {
            self.start = lo;
            self.words.resize((hi - lo) as usize, 0);
            return;
        }
        if lo < self.start {
            let grow = (self.start - lo) as usize;
            self.words.splice(0..0, std::iter::repeat_n(0, grow));
            self.start = lo;
        }
        if hi > self.end() {
            let len = (hi - self.start) as usize;
            self.words.resize(len, 0);
        }
    }

    fn word(&self, i: u32) -> u64 {
        i.checked_sub(self.start)
            .and_then(|k| self.words.get(k as usize))
            .copied()
            .unwrap_or(0)
    }

    pub fn universe(&self) -> usize {
        self.universe as usize
    }

    pub fn insert(&mut self, id: ActionId) {
        if id >= self.universe {
            return;
        }
        let w = id / 64;
        self.cover(w, w + 1);
        if let Some(x) = self.words.get_mut((w - self.start) as usize) {
            *x |= 1u64 << (id % 64);
        }
    }

    pub fn insert_range(&mut self, range: std::ops::Range<u32>) {
        let end = range.end.min(self.universe);
        if range.start >= end {
            return;
        }
        self.cover(range.start / 64, (end - 1) / 64 + 1);
        for id in range.start..end {
            if let Some(x) = self.words.get_mut((id / 64 - self.start) as usize) {
                *x |= 1u64 << (id % 64);
            }
        }
    }

    pub fn remove(&mut self, id: ActionId) {
        let Some(k) = (id / 64).checked_sub(self.start) else {
            return;
        };
        if let Some(x) = self.words.get_mut(k as usize) {
            *x &= !(1u64 << (id % 64));
            if *x == 0 {
                self.normalize();
            }
        }
    }

    pub fn contains(&self, id: ActionId) -> bool {
        self.word(id / 64) & (1u64 << (id % 64)) != 0
    }

    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.len() == self.universe as usize
    }

    /// The word range both windows share, as indexes into each.
    fn overlap(&self, other: &ActionSet) -> Option<(std::ops::Range<usize>, usize)> {
        let lo = self.start.max(other.start);
        let hi = self.end().min(other.end());
        (lo < hi).then(|| {
            let a = (lo - self.start) as usize;
            (a..a + (hi - lo) as usize, (lo - other.start) as usize)
        })
    }

    /// Pairs of words both windows hold: (self's, other's).
    fn shared<'a>(&'a self, other: &'a ActionSet) -> impl Iterator<Item = (u64, u64)> + 'a {
        let (mine, theirs): (&[u64], &[u64]) = match self.overlap(other) {
            Some((a, b)) => (
                self.words.get(a.clone()).unwrap_or(&[]),
                other.words.get(b..b + a.len()).unwrap_or(&[]),
            ),
            None => (&[], &[]),
        };
        mine.iter().copied().zip(theirs.iter().copied())
    }

    pub fn union_with(&mut self, other: &ActionSet) {
        if other.words.is_empty() {
            return;
        }
        self.cover(other.start, other.end());
        let off = (other.start - self.start) as usize;
        if let Some(mine) = self.words.get_mut(off..off + other.words.len()) {
            for (a, b) in mine.iter_mut().zip(&other.words) {
                *a |= b;
            }
        }
    }

    pub fn intersect_with(&mut self, other: &ActionSet) {
        let Some((a, b)) = self.overlap(other) else {
            self.words.clear();
            self.start = 0;
            return;
        };
        let n = a.len();
        self.words.truncate(a.end);
        self.words.drain(..a.start);
        self.start += a.start as u32;
        if let Some(theirs) = other.words.get(b..b + n) {
            for (x, y) in self.words.iter_mut().zip(theirs) {
                *x &= y;
            }
        }
        self.normalize();
    }

    pub fn subtract(&mut self, other: &ActionSet) {
        let Some((a, b)) = self.overlap(other) else {
            return;
        };
        let n = a.len();
        if let (Some(mine), Some(theirs)) = (self.words.get_mut(a), other.words.get(b..b + n)) {
            for (x, y) in mine.iter_mut().zip(theirs) {
                *x &= !y;
            }
        }
        self.normalize();
    }

    /// Complement within the catalogue (what `NotAction` grants).
    pub fn complement(&self) -> ActionSet {
        let mut s = ActionSet {
            start: 0,
            words: (0..self.total_words() as u32)
                .map(|i| !self.word(i))
                .collect(),
            universe: self.universe,
        };
        s.trim_universe();
        s.normalize();
        s
    }

    /// `|self ∩ other|` without allocating.
    pub fn intersection_len(&self, other: &ActionSet) -> usize {
        self.shared(other)
            .map(|(a, b)| (a & b).count_ones() as usize)
            .sum()
    }

    /// How many actions of `self` are not in `other`.
    pub fn difference_len(&self, other: &ActionSet) -> usize {
        self.len() - self.intersection_len(other)
    }

    /// How many members fall in `range` (a service's actions are one contiguous range).
    pub fn count_in_range(&self, range: std::ops::Range<u32>) -> usize {
        if range.start >= range.end {
            return 0;
        }
        let first = (range.start / 64).max(self.start);
        let last = ((range.end - 1) / 64).min(self.end().saturating_sub(1));
        if self.words.is_empty() || first > last {
            return 0;
        }
        let mut n = 0;
        for i in first..=last {
            let mut m = u64::MAX;
            if i == range.start / 64 {
                m &= u64::MAX << (range.start % 64);
            }
            if i == (range.end - 1) / 64 {
                let hi = (range.end - 1) % 64;
                m &= if hi == 63 {
                    u64::MAX
                } else {
                    (1u64 << (hi + 1)) - 1
                };
            }
            n += (self.word(i) & m).count_ones() as usize;
        }
        n
    }

    pub fn intersects(&self, other: &ActionSet) -> bool {
        self.shared(other).any(|(a, b)| a & b != 0)
    }

    pub fn intersection(&self, other: &ActionSet) -> ActionSet {
        let Some((a, b)) = self.overlap(other) else {
            return ActionSet::empty(self.universe as usize);
        };
        let n = a.len();
        let mut s = ActionSet {
            start: self.start + a.start as u32,
            words: match (self.words.get(a), other.words.get(b..b + n)) {
                (Some(x), Some(y)) => x.iter().zip(y).map(|(p, q)| p & q).collect(),
                _ => Vec::new(),
            },
            universe: self.universe,
        };
        s.normalize();
        s
    }

    pub fn is_subset(&self, other: &ActionSet) -> bool {
        // Every word of self outside other's window must be empty: the window's ends are
        // non-zero, so it is enough that other's window contains self's.
        if self.words.is_empty() {
            return true;
        }
        if self.start < other.start || self.end() > other.end() {
            return false;
        }
        self.shared(other).all(|(a, b)| a & !b == 0)
    }

    pub fn iter(&self) -> impl Iterator<Item = ActionId> + '_ {
        let start = self.start;
        self.words.iter().enumerate().flat_map(move |(i, &w)| {
            let base = (start + i as u32) * 64;
            BitIter(w).map(move |b| base + b)
        })
    }
}

struct BitIter(u64);

impl Iterator for BitIter {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.0 == 0 {
            return None;
        }
        let b = self.0.trailing_zeros();
        self.0 &= self.0 - 1;
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_algebra() {
        let mut a = ActionSet::empty(130);
        a.insert(0);
        a.insert(64);
        a.insert(129);
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![0, 64, 129]);
        let c = a.complement();
        assert_eq!(c.len(), 127);
        assert!(!c.contains(129) && c.contains(128));
        assert!(!a.intersects(&c));
        let full = ActionSet::full(130);
        assert!(full.is_full() && a.is_subset(&full));
        let mut d = full.clone();
        d.subtract(&a);
        assert_eq!(d, c);
        a.remove(64);
        assert_eq!(a.len(), 2);
        let full = ActionSet::full(200);
        for (lo, hi) in [
            (0u32, 200u32),
            (3, 64),
            (63, 65),
            (64, 128),
            (70, 71),
            (5, 5),
            (128, 200),
        ] {
            assert_eq!(
                full.count_in_range(lo..hi),
                (hi - lo) as usize,
                "{lo}..{hi}"
            );
        }
        assert_eq!(
            c.count_in_range(0..65),
            63,
            "0 and 64 are not in the complement"
        );
        assert_eq!(full.intersection_len(&c), 127);
    }

    /// Every operation against a plain model (a sorted set) on random windows, including sets
    /// confined to a few words, sets spanning the catalogue, and empty ones.
    #[test]
    fn windowed_sets_agree_with_a_plain_model() {
        use std::collections::BTreeSet;
        let universe = 1000u32;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let random_set = |next: &mut dyn FnMut() -> u64| {
            let mut s = ActionSet::empty(universe as usize);
            let mut m = BTreeSet::new();
            match next() % 4 {
                0 => {}
                1 => {
                    // One "service": a contiguous range, partly filled.
                    let lo = (next() % u64::from(universe)) as u32;
                    let hi = (lo + (next() % 150) as u32).min(universe);
                    for id in lo..hi {
                        if !next().is_multiple_of(3) {
                            s.insert(id);
                            m.insert(id);
                        }
                    }
                }
                2 => {
                    let lo = (next() % u64::from(universe)) as u32;
                    let hi = (lo + (next() % 300) as u32).min(universe);
                    s.insert_range(lo..hi);
                    m.extend(lo..hi);
                }
                _ => {
                    s.fill();
                    m.extend(0..universe);
                    for _ in 0..(next() % 40) {
                        let id = (next() % u64::from(universe)) as u32;
                        s.remove(id);
                        m.remove(&id);
                    }
                }
            }
            (s, m)
        };
        let check = |s: &ActionSet, m: &BTreeSet<u32>| {
            assert_eq!(
                s.iter().collect::<Vec<_>>(),
                m.iter().copied().collect::<Vec<_>>()
            );
            assert_eq!(s.len(), m.len());
            assert_eq!(s.is_empty(), m.is_empty());
            let mut fresh = ActionSet::empty(universe as usize);
            for &id in m {
                fresh.insert(id);
            }
            assert_eq!(s, &fresh, "equal sets have equal representations");
        };
        for _ in 0..800 {
            let (a, ma) = random_set(&mut next);
            let (b, mb) = random_set(&mut next);
            check(&a, &ma);
            check(&b, &mb);
            let mut u = a.clone();
            u.union_with(&b);
            check(&u, &ma.union(&mb).copied().collect());
            let mut i = a.clone();
            i.intersect_with(&b);
            let mi: BTreeSet<u32> = ma.intersection(&mb).copied().collect();
            check(&i, &mi);
            check(&a.intersection(&b), &mi);
            let mut d = a.clone();
            d.subtract(&b);
            check(&d, &ma.difference(&mb).copied().collect());
            check(
                &a.complement(),
                &(0..universe).filter(|x| !ma.contains(x)).collect(),
            );
            assert_eq!(a.intersection_len(&b), mi.len());
            assert_eq!(a.difference_len(&b), ma.len() - mi.len());
            assert_eq!(a.intersects(&b), !mi.is_empty());
            assert_eq!(a.is_subset(&b), ma.is_subset(&mb));
            assert_eq!(a.is_full(), ma.len() == universe as usize);
            let lo = (next() % u64::from(universe)) as u32;
            let hi = (lo + (next() % 400) as u32).min(universe);
            assert_eq!(a.count_in_range(lo..hi), ma.range(lo..hi).count());
            let probe = (next() % u64::from(universe)) as u32;
            assert_eq!(a.contains(probe), ma.contains(&probe));
        }
    }
}
