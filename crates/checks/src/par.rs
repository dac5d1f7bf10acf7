//! Work split over the machine's cores with results in input order, so every output is the same
//! byte for byte whatever the number of threads.
//!
//! Items are handed out in blocks from a shared counter (a role with a large policy does not hold
//! up a whole half of the estate); each thread keeps its own state (policy store, analyzer) made
//! by `init`, and the blocks are put back in order at the end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Items per block handed to a thread.
const BLOCK: usize = 64;

/// Threads to use: `ROLECALL_THREADS` when set (1 runs everything on the calling thread), else
/// the cores available to the process.
pub fn threads() -> usize {
    std::env::var("ROLECALL_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(64)
}

/// Thread states kept from one pass to the next: a worker takes one (or makes one) when it starts
/// and puts it back when it is done, so caches built in the first pass (parsed managed policies,
/// wildcard expansions) serve the second. States must be pure caches: which thread gets which
/// one varies from run to run, and the output must not.
pub struct Pool<S>(Mutex<Vec<S>>);

impl<S> Default for Pool<S> {
    fn default() -> Self {
        Pool(Mutex::new(Vec::new()))
    }
}

impl<S> Pool<S> {
    fn take(&self, init: impl Fn() -> S) -> S {
        let got = match self.0.lock() {
            Ok(mut v) => v.pop(),
            Err(p) => p.into_inner().pop(),
        };
        got.unwrap_or_else(init)
    }

    fn put(&self, s: S) {
        match self.0.lock() {
            Ok(mut v) => v.push(s),
            Err(p) => p.into_inner().push(s),
        }
    }
}

/// `f(state, i)` for every `i` in `0..n`, in order. `init` makes one state per thread.
pub fn map<S, T, I, F>(n: usize, init: I, f: F) -> Vec<T>
where
    S: Send,
    T: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, usize) -> T + Sync,
{
    map_pooled(n, &Pool::default(), init, |s, _: &mut (), i| f(s, i))
}

/// `f(pooled, local, i)` for every `i` in `0..n`, in order: `pooled` comes from `pool` (made by
/// `init` when the pool has none left) and goes back to it; `local` is new for each thread.
pub fn map_pooled<P, L, T, I, F>(n: usize, pool: &Pool<P>, init: I, f: F) -> Vec<T>
where
    P: Send,
    L: Default,
    T: Send,
    I: Fn() -> P + Sync,
    F: Fn(&mut P, &mut L, usize) -> T + Sync,
{
    let workers = threads().min(n.div_ceil(BLOCK)).max(1);
    if workers == 1 {
        let mut state = pool.take(&init);
        let mut local = L::default();
        let out = (0..n).map(|i| f(&mut state, &mut local, i)).collect();
        pool.put(state);
        return out;
    }
    let next = AtomicUsize::new(0);
    let mut blocks: Vec<(usize, Vec<T>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut state = pool.take(&init);
                    let mut local = L::default();
                    let mut done = Vec::new();
                    loop {
                        let b = next.fetch_add(1, Ordering::Relaxed);
                        let start = b.saturating_mul(BLOCK);
                        if start >= n {
                            break;
                        }
                        let end = start.saturating_add(BLOCK).min(n);
                        done.push((
                            b,
                            (start..end).map(|i| f(&mut state, &mut local, i)).collect(),
                        ));
                    }
                    pool.put(state);
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(e) => std::panic::resume_unwind(e),
            })
            .collect()
    });
    blocks.sort_unstable_by_key(|(b, _)| *b);
    blocks.into_iter().flat_map(|(_, v)| v).collect()
}

/// `v` sorted by `cmp`, stably (the same order as `v.sort_by(cmp)`), on both halves at once and
/// without moving the elements until the order is known: a large estate's findings are a few
/// hundred bytes each, and a merge sort moving them was most of the queue's cost.
pub fn sort_by<T, C>(v: Vec<T>, cmp: C) -> Vec<T>
where
    T: Sync,
    C: Fn(&T, &T) -> std::cmp::Ordering + Sync,
{
    let order = order_by(v.len(), |a, b| match (v.get(a), v.get(b)) {
        (Some(x), Some(y)) => cmp(x, y),
        _ => a.cmp(&b),
    });
    permute(v, &order)
}

/// The positions `0..n` in the order `cmp` (comparing positions) gives, stably, sorted on both
/// halves at once and merged.
pub fn order_by<C>(n: usize, cmp: C) -> Vec<u32>
where
    C: Fn(usize, usize) -> std::cmp::Ordering + Sync,
{
    let by_index = |a: &u32, b: &u32| cmp(*a as usize, *b as usize);
    let mut order: Vec<u32> = (0..n as u32).collect();
    if threads() > 1 && n >= 4096 {
        let mid = order.len() / 2;
        let (left, right) = order.split_at_mut(mid);
        std::thread::scope(|s| {
            let h = s.spawn(|| left.sort_by(by_index));
            right.sort_by(by_index);
            if let Err(e) = h.join() {
                std::panic::resume_unwind(e);
            }
        });
        // A stable merge: on a tie the left half (earlier in the input) goes first.
        let (left, right) = order.split_at(mid);
        let mut merged = Vec::with_capacity(order.len());
        let (mut i, mut j) = (0, 0);
        while let (Some(a), Some(b)) = (left.get(i), right.get(j)) {
            if by_index(b, a) == std::cmp::Ordering::Less {
                merged.push(*b);
                j += 1;
            } else {
                merged.push(*a);
                i += 1;
            }
        }
        merged.extend_from_slice(left.get(i..).unwrap_or(&[]));
        merged.extend_from_slice(right.get(j..).unwrap_or(&[]));
        order = merged;
    } else {
        order.sort_by(by_index);
    }
    order
}

/// `v` rearranged so that its `k`-th element is `v[order[k]]` (`order` a permutation of its
/// positions).
pub fn permute<T>(v: Vec<T>, order: &[u32]) -> Vec<T> {
    let mut slots: Vec<Option<T>> = v.into_iter().map(Some).collect();
    order
        .iter()
        .filter_map(|&i| slots.get_mut(i as usize).and_then(Option::take))
        .collect()
}

#[cfg(test)]
mod tests {
    /// The same order as the standard library's stable sort, ties included, on inputs above and
    /// below the size that splits the work.
    #[test]
    fn sort_is_the_stable_sort() {
        for n in [0usize, 1, 7, 4095, 4096, 10_001] {
            // Many ties (keys 0..50), tagged with their input position to see stability.
            let v: Vec<(u32, usize)> = (0..n)
                .map(|i| (((i as u64 * 2_654_435_761) % 50) as u32, i))
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|a| a.0);
            assert_eq!(super::sort_by(v, |a, b| a.0.cmp(&b.0)), want, "n = {n}");
        }
    }

    #[test]
    fn order_is_kept_whatever_the_threads() {
        let n = 10_000;
        let out = super::map(
            n,
            || 0usize,
            |calls, i| {
                *calls += 1;
                i * 3
            },
        );
        assert_eq!(out, (0..n).map(|i| i * 3).collect::<Vec<_>>());
        assert!(super::map(0, || (), |_, i| i).is_empty());
    }

    /// States go back to the pool and the next pass starts from them (a state counts the items
    /// it has seen: after two passes over n items, the pool's states have seen 2n in all).
    #[test]
    fn pooled_states_serve_the_next_pass() {
        let pool = super::Pool::default();
        let n = 5_000;
        for _ in 0..2 {
            let out = super::map_pooled(
                n,
                &pool,
                || 0usize,
                |seen, local: &mut usize, i| {
                    *seen += 1;
                    *local += 1;
                    i
                },
            );
            assert_eq!(out.len(), n);
        }
        let states = pool.0.lock().unwrap();
        assert!(!states.is_empty() && states.len() <= super::threads().max(1));
        assert_eq!(states.iter().sum::<usize>(), 2 * n);
    }
}
