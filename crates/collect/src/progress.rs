//! Progress on standard error: a live line on a terminal, plain lines otherwise, nothing with
//! `--quiet`.

use rolecall_inventory::Inventory;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressMode {
    Bar,
    Lines,
    Quiet,
}

#[derive(Debug)]
pub struct Progress {
    mode: ProgressMode,
    accounts: AtomicUsize,
    accounts_done: AtomicUsize,
    regions: AtomicUsize,
    regions_done: AtomicUsize,
    functions: AtomicUsize,
}

impl Progress {
    pub fn new(mode: ProgressMode) -> Self {
        Progress {
            mode,
            accounts: AtomicUsize::new(0),
            accounts_done: AtomicUsize::new(0),
            regions: AtomicUsize::new(0),
            regions_done: AtomicUsize::new(0),
            functions: AtomicUsize::new(0),
        }
    }

    fn bar(&self) {
        if self.mode == ProgressMode::Bar {
            let mut e = std::io::stderr().lock();
            let _ = write!(
                e,
                "\r\x1b[Kcollecting: accounts {}/{} · regions {}/{} · functions {}",
                self.accounts_done.load(Ordering::Relaxed),
                self.accounts.load(Ordering::Relaxed),
                self.regions_done.load(Ordering::Relaxed),
                self.regions.load(Ordering::Relaxed),
                self.functions.load(Ordering::Relaxed)
            );
            let _ = e.flush();
        }
    }

    pub(crate) fn set_accounts(&self, n: usize) {
        self.accounts.store(n, Ordering::Relaxed);
        if self.mode == ProgressMode::Lines {
            eprintln!("collecting {n} account(s)");
        }
        self.bar();
    }

    pub(crate) fn add_regions(&self, n: usize) {
        self.regions.fetch_add(n, Ordering::Relaxed);
        self.bar();
    }

    pub(crate) fn region_done(&self, account: &str, region: &str, functions: usize, ok: bool) {
        self.regions_done.fetch_add(1, Ordering::Relaxed);
        self.functions.fetch_add(functions, Ordering::Relaxed);
        if self.mode == ProgressMode::Lines {
            eprintln!(
                "account {account} region {region}: {functions} function(s){}",
                if ok { "" } else { " (incomplete)" }
            );
        }
        self.bar();
    }

    pub(crate) fn account_done(&self, account: &str, ok: bool) {
        self.accounts_done.fetch_add(1, Ordering::Relaxed);
        if self.mode == ProgressMode::Lines {
            eprintln!(
                "account {account}: {}",
                if ok {
                    "done"
                } else {
                    "not collected (see coverage)"
                }
            );
        }
        self.bar();
    }

    pub(crate) fn finish(&self, inv: &Inventory) {
        match self.mode {
            ProgressMode::Quiet => {}
            ProgressMode::Bar | ProgressMode::Lines => {
                if self.mode == ProgressMode::Bar {
                    eprint!("\r\x1b[K");
                }
                eprintln!(
                    "collected {} account(s), {} region(s), {} function(s), {} role(s); {} coverage gap(s)",
                    inv.accounts.len(),
                    inv.regions.len(),
                    inv.functions.len(),
                    inv.roles.len(),
                    inv.coverage.len()
                );
            }
        }
    }
}
