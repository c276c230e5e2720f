//! The `host` connector: local accounts, admin rights, sudoers, SSH authorized keys and
//! crontabs of a live root filesystem or a snapshot of one. Read-only.

use super::{Connector, ScanContext, Sink};
use crate::model::Coverage;
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
        Ok(HostConnector { roots: cfg.roots.iter().map(|p| super::resolve_path(base, p)).collect() })
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
        let _ = (ctx, sink, &self.roots);
        unimplemented!("host connector")
    }
}
