//! What a run is, as the pipeline hands it to every connector: the job ([`Mode`]), the
//! counters the progress display reads ([`Progress`], with each running connector's
//! [`Phase`]), and the limits on reading ([`Limits`]: file size, deadline, stop flag).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Which job is running: connectors may skip work a job does not need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Leaver,
    Sweep,
    Secrets,
}

impl Mode {
    pub fn as_str(&self) -> &'static str {
        match self {
            Mode::Leaver => "leaver",
            Mode::Sweep => "sweep",
            Mode::Secrets => "secrets",
        }
    }
}

/// Counters the terminal progress display reads. Connectors bump them as they go, and
/// say which phase each running connector (or unit: one host root) is in, so a long API
/// crawl shows what it is doing rather than a count that stands still.
#[derive(Debug, Default)]
pub struct Progress {
    pub items: AtomicU64,
    pub bytes: AtomicU64,
    pub findings: AtomicU64,
    /// Running connectors by name, in the order they started, with their current phase.
    running: Mutex<Vec<(String, Phase)>>,
}

/// What one running connector is doing: `what` (`users`, `repos`, `accounts`; empty when
/// it only runs), `done` so far and the `total` when it is known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phase {
    pub what: String,
    pub done: u64,
    pub total: Option<u64>,
}

/// Marks a connector (or unit) as running until dropped; see [`Progress::start`].
pub struct Running<'a> {
    progress: &'a Progress,
    name: String,
}

impl Running<'_> {
    /// The same as [`Progress::phase`] for this connector.
    pub fn phase(&self, what: &str, done: u64, total: Option<u64>) {
        self.progress.phase(&self.name, what, done, total);
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.progress.finish(&self.name);
    }
}

impl Progress {
    /// `name` (`git`, `aws:prod`, `host:web-1`) is running until the guard is dropped,
    /// whichever way its scan returns.
    pub fn start(&self, name: &str) -> Running<'_> {
        self.phase(name, "", 0, None);
        Running {
            progress: self,
            name: name.to_string(),
        }
    }
    /// `name` is now in phase `what`, `done` of `total` (when known) through it.
    pub fn phase(&self, name: &str, what: &str, done: u64, total: Option<u64>) {
        let phase = Phase {
            what: what.to_string(),
            done,
            total,
        };
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        match running.iter_mut().find(|(n, _)| n == name) {
            Some((_, p)) => *p = phase,
            None => running.push((name.to_string(), phase)),
        }
    }
    /// `name` is no longer running.
    pub fn finish(&self, name: &str) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running.retain(|(n, _)| n != name);
    }
    /// The running connectors and their phases, in the order they started.
    pub fn running(&self) -> Vec<(String, Phase)> {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    pub fn add_items(&self, n: u64) {
        self.items.fetch_add(n, Ordering::Relaxed);
    }
    pub fn add_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }
    pub fn add_findings(&self, n: u64) {
        self.findings.fetch_add(n, Ordering::Relaxed);
    }
}

/// Limits for reading files and blobs.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Files and blobs larger than this are not read: counted (`too_large`), and a coverage
    /// error (partial) unless binary. Bytes; default 64 MiB.
    pub max_file_size: u64,
    /// The run's deadline and stop flag (`[scan] deadline`, `--deadline`): blocking
    /// connectors check [`crate::connectors::runtime::Cancel::is_cancelled`] between units and stop early;
    /// the pipeline records what they did not finish. Default: no deadline.
    pub cancel: crate::connectors::runtime::Cancel,
    /// How long the connectors of a run may take; the pipeline starts the clock (and sets
    /// `cancel`) when they start. None: no deadline.
    pub deadline: Option<std::time::Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 64 * 1024 * 1024,
            cancel: crate::connectors::runtime::Cancel::default(),
            deadline: None,
        }
    }
}
