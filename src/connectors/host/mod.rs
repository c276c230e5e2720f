//! The `host` connector: local accounts, admin rights, sudoers, SSH authorized keys and
//! crontabs of a live root filesystem or a snapshot of one. Read-only.
//!
//! Each root is scanned on its own rayon worker and reported as its own coverage entry,
//! `host:<hostname>`. This module owns the config and the fan-out; [`root`] does the
//! scanning, the parsers ([`accounts`], [`sudoers`], [`keys`]) are pure, and [`fs`]
//! confines every read to the root. It must never write under a root, follow a symlink
//! out of a snapshot, or put a secret value anywhere but a [`crate::model::SecretRef`].
//! Permissions it needs are documented in `connectors/host/README.md`.

mod accounts;
mod fs;
pub(crate) mod keys;
mod root;
mod sshd;
mod sudoers;

use super::{Connector, ScanContext, Sink};

/// A root's configuration files, read through the scan's cache and fault recording, so
/// every read stays inside the root. The sudoers and sshd_config parsers are pure and read
/// their includes through it.
pub trait ConfigSource {
    /// The text of a file (root-relative path), or `None` if it is absent or unreadable
    /// (the source records why).
    fn read(&mut self, rel: &str) -> Option<String>;
    /// Names of the regular files in a directory (root-relative), sorted; empty if absent.
    fn list(&mut self, rel_dir: &str) -> Vec<String>;
}

/// In-memory files for the parsers' unit tests.
#[cfg(test)]
pub(crate) struct MemSource(pub std::collections::BTreeMap<String, String>);

#[cfg(test)]
impl ConfigSource for MemSource {
    fn read(&mut self, rel: &str) -> Option<String> {
        self.0.get(rel).cloned()
    }
    fn list(&mut self, rel_dir: &str) -> Vec<String> {
        let prefix = format!("{}/", rel_dir.trim_end_matches('/'));
        self.0
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|n| !n.contains('/'))
            .map(str::to_string)
            .collect()
    }
}
use crate::model::Coverage;
use rayon::prelude::*;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `[[connector]] type = "host"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// Root filesystems or snapshots of one (`/`, `hosts/web-1`). Relative to the config.
    pub roots: Vec<PathBuf>,
}

pub struct HostConnector {
    roots: Vec<PathBuf>,
}

impl HostConnector {
    pub fn new(cfg: &HostConfig, base: &Path) -> anyhow::Result<Self> {
        Ok(HostConnector {
            roots: cfg
                .roots
                .iter()
                .map(|p| super::resolve_path(base, p))
                .collect(),
        })
    }
    pub fn from_roots(roots: Vec<PathBuf>) -> Self {
        HostConnector { roots }
    }
}

impl Connector for HostConnector {
    fn name(&self) -> String {
        "host".into()
    }
    fn scan(&self, ctx: &ScanContext<'_>, sink: &dyn Sink) -> Vec<Coverage> {
        // The same directory listed twice is scanned once.
        let mut seen = std::collections::HashSet::new();
        let roots: Vec<&PathBuf> = self
            .roots
            .iter()
            .filter(|r| seen.insert(std::fs::canonicalize(r).unwrap_or_else(|_| (*r).clone())))
            .collect();
        let hostnames: Vec<String> = roots.iter().map(|r| root::hostname_of(r)).collect();
        let names = unique_names(&roots, &hostnames);
        // Roots are independent: a failed root does not stop the others.
        roots
            .par_iter()
            .zip(names.par_iter())
            .map(|(r, name)| {
                if ctx.limits.cancel.is_cancelled() {
                    let mut cov = Coverage::new(format!("host:{name}"));
                    cov.classed_fail(
                        "timeout",
                        format!(
                            "the run deadline ({}) passed before host:{name} was started: nothing on it was read",
                            ctx.limits.cancel.label()
                        ),
                    );
                    return cov;
                }
                let _running = ctx.progress.start(&format!("host:{name}"));
                root::scan_root(r, name, ctx, sink)
            })
            .collect()
    }
}

/// One name per root, unique within the scan and stable across runs of the same config:
/// the hostname; where several roots share one (two snapshots of `web-1`, cloned images),
/// the first in config order keeps it and each later one becomes `hostname@dir`, `dir`
/// being the root directory's name (its whole path if that is not enough).
fn unique_names(roots: &[&PathBuf], hostnames: &[String]) -> Vec<String> {
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(roots.len());
    for (r, h) in roots.iter().zip(hostnames) {
        if taken.insert(h.clone()) {
            out.push(h.clone());
            continue;
        }
        let canon = std::fs::canonicalize(r).unwrap_or_else(|_| (*r).clone());
        let dir = sanitize(&root::fallback_name(&canon));
        let path = sanitize(&r.to_string_lossy());
        let mut candidates = vec![format!("{h}@{dir}"), format!("{h}@{path}")];
        candidates.extend(
            (2..)
                .take(roots.len() + 1)
                .map(|i| format!("{h}@{path}#{i}")),
        );
        let name = candidates
            .into_iter()
            .find(|c| !taken.contains(c))
            .unwrap_or_else(|| h.clone());
        taken.insert(name.clone());
        out.push(name);
    }
    out
}

/// Printable, separator-free characters for a name built from a path.
fn sanitize(s: &str) -> String {
    let t = s.trim_end_matches('/');
    let t = if t.is_empty() { "root" } else { t };
    t.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._/+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
