//! Work split over the machine's cores with results in input order, so every output is the same
//! byte for byte whatever the number of threads.
//!
//! Items are handed out in blocks from a shared counter (a role with a large policy does not hold
//! up a whole half of the estate); each thread keeps its own state (policy store, analyzer) made
//! by `init`, and the blocks are put back in order at the end.

use std::sync::atomic::{AtomicUsize, Ordering};

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

/// `f(state, i)` for every `i` in `0..n`, in order. `init` makes one state per thread.
pub fn map<S, T, I, F>(n: usize, init: I, f: F) -> Vec<T>
where
    T: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, usize) -> T + Sync,
{
    let workers = threads().min(n.div_ceil(BLOCK)).max(1);
    if workers == 1 {
        let mut state = init();
        return (0..n).map(|i| f(&mut state, i)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut blocks: Vec<(usize, Vec<T>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut state = init();
                    let mut done = Vec::new();
                    loop {
                        let b = next.fetch_add(1, Ordering::Relaxed);
                        let start = b.saturating_mul(BLOCK);
                        if start >= n {
                            break;
                        }
                        let end = start.saturating_add(BLOCK).min(n);
                        done.push((b, (start..end).map(|i| f(&mut state, i)).collect()));
                    }
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

#[cfg(test)]
mod tests {
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
}
