//! The `saas` connector: one engine that runs a declarative spec per application (Okta,
//! Entra ID, Google Workspace, Slack, Atlassian), over the shared HTTP layer.

use super::{Connector, Unsupported};
use serde::Deserialize;
use std::path::Path;

/// `[[connector]] type = "saas"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaasConfig {
    /// A spec name (`okta`) or a path to a spec file.
    pub spec: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub token_env: Option<String>,
}

/// The connector for a config entry.
pub fn build(c: &SaasConfig, base: &Path) -> anyhow::Result<Box<dyn Connector>> {
    let _ = base;
    Ok(Box::new(Unsupported::saas(c)))
}
