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
mod keys;
mod root;
mod sudoers;

use super::{Connector, ScanContext, Sink};
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
        // Roots are independent: a failed root does not stop the others.
        self.roots
            .par_iter()
            .map(|r| root::scan_root(r, ctx, sink))
            .collect()
    }
}

#[cfg(test)]
mod tests;
