//! The `github` connector: an organization's members, outside collaborators, invitations,
//! deploy keys, fine-grained PATs, SSO credential authorizations, webhooks, app
//! installations and Actions secrets, over the shared HTTP layer ([`super::http`]).

use super::{Connector, Unsupported};
use serde::Deserialize;
use std::path::Path;

/// `[[connector]] type = "github"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    /// The organization; findings would appear as `github:ORG`.
    pub org: String,
    #[serde(default)]
    pub name: Option<String>,
    /// GitHub Enterprise Server or an emulator.
    #[serde(default)]
    pub api_url: Option<String>,
    /// The environment variable holding the token (never the token itself).
    #[serde(default)]
    pub token_env: Option<String>,
}

/// The connector for a config entry.
pub fn build(c: &GithubConfig, base: &Path) -> anyhow::Result<Box<dyn Connector>> {
    let _ = base;
    Ok(Box::new(Unsupported::github(c)))
}
