//! The connector interface and the registry of connector types.
//!
//! A connector reads one kind of source (local git, host snapshots, AWS IAM, a GitHub org,
//! a SaaS API), emits [`Nhi`] records through a [`Sink`] as it goes, and reports how
//! completely it read its source as [`Coverage`]. Connectors know nothing about people:
//! they attach owner hints, and attribution resolves them. A connector never writes to
//! the system it reads.
//!
//! Registering a connector type: add its config struct to [`ConnectorConfig`] and a line
//! to [`build`]. That is the whole registry, kept greppable on purpose.

mod allowlist;
pub mod aws;
pub mod git;
pub mod github;
pub mod host;
pub mod http;
pub mod runtime;
pub mod saas;

pub use allowlist::{AllowEntry, PathAllowlist, Verdict};
pub use github::GithubConfig;
pub use saas::SaasConfig;

use crate::matcher::Matcher;
use crate::model::{Coverage, Nhi};
use serde::Deserialize;
use std::path::{Path, PathBuf};

// What a run is (its job, counters, limits) belongs to the pipeline that runs it; the
// names are re-exported here because every connector's scan receives them.
pub use crate::pipeline::run::{Limits, Mode, Phase, Progress, Running};

/// Receives NHIs as a connector finds them. Called from many threads.
pub trait Sink: Sync {
    fn emit(&self, nhi: Nhi);
}

/// What every connector gets for a scan.
pub struct ScanContext<'a> {
    pub matcher: &'a Matcher,
    pub progress: &'a Progress,
    pub mode: Mode,
    pub limits: Limits,
    pub allow_paths: &'a PathAllowlist,
}

/// A configured source.
pub trait Connector: Send + Sync {
    /// The connector name as it appears in findings and coverage (`git`, `aws:prod`).
    fn name(&self) -> String;
    /// Read the source, emitting NHIs as they are found. Returns one coverage entry per
    /// unit scanned (a host connector with two roots returns two). Faults are recorded in
    /// coverage, never swallowed; this only returns when the scan is over.
    fn scan(&self, ctx: &ScanContext<'_>, sink: &dyn Sink) -> Vec<Coverage>;
}

/// One `[[connector]]` table of the config, tagged by `type`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConnectorConfig {
    Git(git::GitConfig),
    Host(host::HostConfig),
    Aws(aws::AwsConfig),
    Github(GithubConfig),
    Saas(SaasConfig),
}

/// A configured source this build cannot read. Its scan records one `failed` coverage
/// entry saying so, which makes the run incomplete (exit 3) while the other connectors
/// still run: a sweep config that also lists GitHub must not scan nothing, nor look clean.
pub struct Unsupported {
    connector: String,
    kind: &'static str,
}

impl Unsupported {
    pub fn github(c: &GithubConfig) -> Self {
        Unsupported {
            connector: format!("github:{}", c.org.trim()),
            kind: "github",
        }
    }

    pub fn saas(c: &SaasConfig) -> Self {
        // `spec` is a name under connectors/saas/ or a path to one: name the entry after
        // the spec, not after the path it lives at.
        let spec = c.spec.trim();
        let label = if spec.contains('/') || spec.contains('.') {
            Path::new(spec)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or(spec)
        } else {
            spec
        };
        Unsupported {
            connector: format!("saas:{label}"),
            kind: "saas",
        }
    }
}

impl Connector for Unsupported {
    fn name(&self) -> String {
        self.connector.clone()
    }

    fn scan(&self, _ctx: &ScanContext<'_>, _sink: &dyn Sink) -> Vec<Coverage> {
        let mut cov = Coverage::new(self.connector.clone());
        cov.fail(format!(
            "this nhiscan version ({}) has no {} connector yet: {} was NOT scanned",
            env!("CARGO_PKG_VERSION"),
            self.kind,
            self.connector
        ));
        vec![cov]
    }
}

/// Build the connector for a config entry. `base` is the config file's directory, against
/// which relative paths resolve.
pub fn build(cfg: &ConnectorConfig, base: &Path) -> anyhow::Result<Box<dyn Connector>> {
    Ok(match cfg {
        // An empty list would scan nothing and report a complete, clean source.
        ConnectorConfig::Git(c) if c.paths.is_empty() => {
            anyhow::bail!("[[connector]] type = \"git\": paths is empty; list at least one file, directory or repository")
        }
        ConnectorConfig::Host(c) if c.roots.is_empty() => {
            anyhow::bail!("[[connector]] type = \"host\": roots is empty; list at least one root (\"/\" or a snapshot)")
        }
        ConnectorConfig::Git(c) => Box::new(git::GitConnector::new(c, base)?),
        ConnectorConfig::Host(c) => Box::new(host::HostConnector::new(c, base)?),
        ConnectorConfig::Aws(c) => Box::new(aws::AwsConnector::new(c, base)?),
        ConnectorConfig::Github(c) => {
            if c.org.trim().is_empty() {
                anyhow::bail!("[[connector]] type = \"github\": org must not be empty");
            }
            github::build(c, base)?
        }
        ConnectorConfig::Saas(c) => {
            if c.spec.trim().is_empty() {
                anyhow::bail!("[[connector]] type = \"saas\": spec must not be empty");
            }
            saas::build(c, base)?
        }
    })
}

/// Resolve a config path against the config file's directory.
pub fn resolve_path(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}
