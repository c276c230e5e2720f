//! The `saas` connector: one engine that runs a declarative spec per application (Okta,
//! Entra ID, Google Workspace, Slack, Atlassian), over the shared HTTP layer.
//!
//! - [`spec`]: the spec format, parsed and validated (a spec error is a config error);
//! - [`auth`]: static tokens, OAuth client credentials, Google service-account JWTs;
//! - [`engine`]: the run itself: pages, records, follow-ups, coverage.
//!
//! The shipped specs live in `connectors/saas/*.toml` and are embedded in the binary
//! (`spec = "okta"`); `spec = "path/x.toml"` loads a file relative to the config. The
//! format is documented in `connectors/saas/README.md`.

pub mod auth;
pub mod engine;
pub mod spec;

use super::{Connector, ScanContext, Sink};
use crate::connectors::http::HttpSettings;
use crate::model::Coverage;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// `[[connector]] type = "saas"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaasConfig {
    /// A spec name (`okta`) or a path to a spec file.
    pub spec: String,
    /// Another tenant of the same spec: the connector is `saas:SPEC:NAME`.
    #[serde(default)]
    pub name: Option<String>,
    /// The tenant's API base URL; default the spec's `base_url` template.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The environment variable holding the API token (bearer, scheme, header, basic).
    #[serde(default)]
    pub token_env: Option<String>,
    /// Basic auth: the user name, or the variable holding it.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub user_env: Option<String>,
    /// OAuth 2.0 client credentials.
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_id_env: Option<String>,
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// Overrides the spec's token URL (a proxy, an emulator).
    #[serde(default)]
    pub token_url: Option<String>,
    /// The tenant (directory) id: `{tenant}` in the spec (Entra ID).
    #[serde(default)]
    pub tenant: Option<String>,
    /// The organization id: `{org_id}` in the spec (Atlassian).
    #[serde(default)]
    pub org_id: Option<String>,
    /// Google: the service-account key JSON file (relative to the config), or the
    /// variable holding its text, and the admin to impersonate (domain-wide delegation).
    #[serde(default)]
    pub service_account_file: Option<String>,
    #[serde(default)]
    pub service_account_env: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    /// Other variables a custom spec declares in `spec.vars`.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// Requests in flight at once for this source. Default 8.
    #[serde(default)]
    pub max_in_flight: Option<usize>,
    /// The most pages one listing reads before the source is reported partial.
    #[serde(default)]
    pub max_pages: Option<usize>,
}

/// Default requests in flight per tenant.
pub const DEFAULT_IN_FLIGHT: usize = 8;

/// A spec as loaded: its text and where it came from.
fn load_spec(c: &SaasConfig, base: &Path) -> anyhow::Result<(String, String)> {
    let s = c.spec.trim();
    let looks_like_path = s.contains('/') || s.contains('\\') || s.ends_with(".toml");
    if !looks_like_path {
        return match spec::builtin(s) {
            Some(t) => Ok((
                t.to_string(),
                format!("connectors/saas/{}.toml (built in)", s.to_ascii_lowercase()),
            )),
            None => anyhow::bail!(
                "[[connector]] type = \"saas\": spec = {s:?} is not a built-in spec ({}); give a path to a spec file (ending in .toml) for another application",
                spec::BUILTIN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
    }
    let path = super::resolve_path(base, Path::new(s));
    let text = std::fs::read_to_string(&path).map_err(|e| {
        anyhow::anyhow!(
            "[[connector]] type = \"saas\": cannot read the spec file {}: {e}",
            path.display()
        )
    })?;
    Ok((text, path.display().to_string()))
}

/// The connector for a config entry: the spec is loaded and validated here, before
/// anything is scanned.
pub fn build(c: &SaasConfig, base: &Path) -> anyhow::Result<Box<dyn Connector>> {
    Ok(Box::new(SaasConnector::new(c, base)?))
}

/// One tenant of one spec.
pub struct SaasConnector {
    source: engine::Source,
}

impl SaasConnector {
    pub fn new(c: &SaasConfig, base: &Path) -> anyhow::Result<Self> {
        let (text, origin) = load_spec(c, base)?;
        let spec = spec::parse(&text, &origin).map_err(|e| anyhow::anyhow!("{e}"))?;
        let connector = match c.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => format!("saas:{}:{n}", spec.name),
            _ => format!("saas:{}", spec.name),
        };
        if c.max_in_flight == Some(0) || c.max_pages == Some(0) {
            anyhow::bail!("{connector}: `max_in_flight` and `max_pages` must be at least 1");
        }
        let mut vars = c.vars.clone();
        for (k, v) in [
            ("tenant", &c.tenant),
            ("org_id", &c.org_id),
            ("subject", &c.subject),
        ] {
            if let Some(v) = v {
                vars.insert(k.to_string(), v.clone());
            }
        }
        for v in &spec.vars {
            if !vars.contains_key(v) {
                let key = if matches!(v.as_str(), "tenant" | "org_id" | "subject") {
                    format!("`{v}`")
                } else {
                    format!("`vars.{v}`")
                };
                anyhow::bail!(
                    "{connector}: the spec {} needs {key} in the connector's config",
                    spec.origin
                );
            }
        }
        let base_url = match (&c.base_url, &spec.base_url) {
            (Some(b), _) => b.trim().trim_end_matches('/').to_string(),
            (None, Some(t)) => t
                .render(&serde_json::Value::Null, None, &vars)
                .ok_or_else(|| anyhow::anyhow!("{connector}: spec.base_url needs a variable the config does not set"))?,
            (None, None) => anyhow::bail!(
                "{connector}: `base_url` is required (the tenant's API URL, e.g. https://acme.okta.com)"
            ),
        };
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            anyhow::bail!(
                "{connector}: `base_url` must be an http:// or https:// URL, got {base_url:?}"
            );
        }
        vars.insert("base_url".into(), base_url.clone());
        let auth = auth::AuthConfig {
            token_env: c.token_env.clone(),
            user: c.user.clone(),
            user_env: c.user_env.clone(),
            client_id: c.client_id.clone(),
            client_id_env: c.client_id_env.clone(),
            client_secret_env: c.client_secret_env.clone(),
            service_account_file: c
                .service_account_file
                .as_deref()
                .map(|p| super::resolve_path(base, Path::new(p))),
            service_account_env: c.service_account_env.clone(),
            subject: c.subject.clone(),
            token_url: c.token_url.clone(),
        };
        auth::check_config(&spec.auth, &auth, &connector).map_err(|e| anyhow::anyhow!("{e}"))?;
        let settings = HttpSettings {
            in_flight: c.max_in_flight.unwrap_or(DEFAULT_IN_FLIGHT),
            ..HttpSettings::default()
        };
        Ok(SaasConnector {
            source: engine::Source {
                connector,
                label: spec.name.clone(),
                spec: Arc::new(spec),
                base_url,
                vars,
                auth,
                settings,
                max_pages: c
                    .max_pages
                    .unwrap_or(crate::connectors::http::paginate::DEFAULT_MAX_PAGES),
            },
        })
    }

    /// The resolved source (tests lower the HTTP floors through it).
    pub fn source_mut(&mut self) -> &mut engine::Source {
        &mut self.source
    }
}

impl Connector for SaasConnector {
    fn name(&self) -> String {
        self.source.connector.clone()
    }

    fn scan(&self, ctx: &ScanContext<'_>, sink: &dyn Sink) -> Vec<Coverage> {
        let src = &self.source;
        match super::runtime::block_on(engine::run(src, ctx.progress)) {
            Ok((nhis, cov)) => {
                for n in nhis {
                    sink.emit(n);
                }
                vec![cov]
            }
            Err(e) => {
                let mut cov = Coverage::new(self.name());
                cov.classed_fail(
                    e.class(),
                    format!(
                        "{} connector {e}; nothing from it can be trusted as complete",
                        self.name()
                    ),
                );
                vec![cov]
            }
        }
    }
}

#[cfg(test)]
mod tests;
