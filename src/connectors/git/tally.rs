//! Thread-safe counters behind the connector's single [`Coverage`] entry: items and
//! bytes scanned, skips by reason, and errors (capped so a badly broken repository
//! cannot flood the findings file). Also bumps the shared progress counters.

use crate::connectors::Progress;
use crate::model::Coverage;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Errors kept verbatim; beyond this only a count is reported.
const MAX_ERRORS: usize = 200;

pub(crate) struct Tally<'a> {
    progress: &'a Progress,
    items: AtomicU64,
    bytes: AtomicU64,
    skipped: Mutex<BTreeMap<String, u64>>,
    errors: Mutex<Vec<String>>,
    suppressed: AtomicU64,
    /// Coverage notes, each once, in order.
    notes: Mutex<Vec<String>>,
}

impl<'a> Tally<'a> {
    pub(crate) fn new(progress: &'a Progress) -> Self {
        Tally {
            progress,
            items: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            skipped: Mutex::new(BTreeMap::new()),
            errors: Mutex::new(Vec::new()),
            suppressed: AtomicU64::new(0),
            notes: Mutex::new(Vec::new()),
        }
    }

    /// One file or blob of `bytes` bytes was read and scanned.
    pub(crate) fn scanned(&self, bytes: u64) {
        self.items.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.progress.add_items(1);
        self.progress.add_bytes(bytes);
    }

    /// Secrets matched so far (before de-duplication), for the live progress line.
    pub(crate) fn matched(&self, n: usize) {
        self.progress.add_findings(n as u64);
    }

    pub(crate) fn skip(&self, reason: &str) {
        let mut s = self.skipped.lock().unwrap_or_else(|e| e.into_inner());
        *s.entry(reason.to_string()).or_default() += 1;
    }

    /// Something could not be read: the scan becomes partial. `msg` says what and where,
    /// and never carries file content.
    pub(crate) fn error(&self, msg: String) {
        tracing::warn!(error = %msg, "Git connector could not read an item");
        let mut e = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        if e.len() < MAX_ERRORS {
            e.push(msg);
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Something the user should know about how the source was read, not an error; the
    /// same note twice is kept once.
    pub(crate) fn note(&self, msg: String) {
        let mut n = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        if !n.contains(&msg) {
            tracing::info!(note = %msg, "Git connector note");
            n.push(msg);
        }
    }

    pub(crate) fn into_coverage(self, connector: &str) -> Coverage {
        let mut cov = Coverage::new(connector);
        cov.items_scanned = self.items.into_inner();
        cov.bytes_scanned = self.bytes.into_inner();
        cov.skipped = self.skipped.into_inner().unwrap_or_else(|e| e.into_inner());
        for e in self.errors.into_inner().unwrap_or_else(|e| e.into_inner()) {
            cov.error(e);
        }
        cov.notes = self.notes.into_inner().unwrap_or_else(|e| e.into_inner());
        let n = self.suppressed.into_inner();
        if n > 0 {
            cov.error(format!("{n} more errors not listed"));
        }
        cov
    }
}
