//! A set of catalogue actions as a bitset: about 2.8 KB for the whole catalogue, with union,
//! intersection and difference in a few hundred word operations.

use crate::ActionId;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ActionSet {
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
            words: vec![0; universe.div_ceil(64)],
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
        self.words.iter_mut().for_each(|w| *w = u64::MAX);
        self.trim();
    }

    fn trim(&mut self) {
        let rem = self.universe % 64;
        if rem != 0 {
            if let Some(last) = self.words.last_mut() {
                *last &= (1u64 << rem) - 1;
            }
        }
    }

    pub fn universe(&self) -> usize {
        self.universe as usize
    }

    pub fn insert(&mut self, id: ActionId) {
        if let Some(w) = self.words.get_mut((id / 64) as usize) {
            *w |= 1u64 << (id % 64);
        }
    }

    pub fn insert_range(&mut self, range: std::ops::Range<u32>) {
        for id in range {
            self.insert(id);
        }
    }

    pub fn remove(&mut self, id: ActionId) {
        if let Some(w) = self.words.get_mut((id / 64) as usize) {
            *w &= !(1u64 << (id % 64));
        }
    }

    pub fn contains(&self, id: ActionId) -> bool {
        self.words
            .get((id / 64) as usize)
            .is_some_and(|w| w & (1u64 << (id % 64)) != 0)
    }

    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    pub fn is_full(&self) -> bool {
        self.len() == self.universe as usize
    }

    pub fn union_with(&mut self, other: &ActionSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    pub fn intersect_with(&mut self, other: &ActionSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
    }

    pub fn subtract(&mut self, other: &ActionSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !b;
        }
    }

    /// Complement within the catalogue (what `NotAction` grants).
    pub fn complement(&self) -> ActionSet {
        let mut s = ActionSet {
            words: self.words.iter().map(|w| !w).collect(),
            universe: self.universe,
        };
        s.trim();
        s
    }

    /// `|self ∩ other|` without allocating.
    pub fn intersection_len(&self, other: &ActionSet) -> usize {
        self.words
            .iter()
            .zip(&other.words)
            .map(|(a, b)| (a & b).count_ones() as usize)
            .sum()
    }

    /// How many members fall in `range` (a service's actions are one contiguous range).
    /// How many actions of `self` are not in `other`.
    pub fn difference_len(&self, other: &ActionSet) -> usize {
        self.len() - self.intersection_len(other)
    }

    pub fn count_in_range(&self, range: std::ops::Range<u32>) -> usize {
        if range.start >= range.end {
            return 0;
        }
        let (first, last) = ((range.start / 64) as usize, ((range.end - 1) / 64) as usize);
        let mut n = 0;
        for (i, w) in self.words.iter().enumerate().take(last + 1).skip(first) {
            let mut m = u64::MAX;
            if i == first {
                m &= u64::MAX << (range.start % 64);
            }
            if i == last {
                let hi = (range.end - 1) % 64;
                m &= if hi == 63 {
                    u64::MAX
                } else {
                    (1u64 << (hi + 1)) - 1
                };
            }
            n += (w & m).count_ones() as usize;
        }
        n
    }

    pub fn intersects(&self, other: &ActionSet) -> bool {
        self.words.iter().zip(&other.words).any(|(a, b)| a & b != 0)
    }

    pub fn intersection(&self, other: &ActionSet) -> ActionSet {
        let mut s = self.clone();
        s.intersect_with(other);
        s
    }

    pub fn is_subset(&self, other: &ActionSet) -> bool {
        self.words
            .iter()
            .zip(&other.words)
            .all(|(a, b)| a & !b == 0)
    }

    pub fn iter(&self) -> impl Iterator<Item = ActionId> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let base = (i as u32) * 64;
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
}
