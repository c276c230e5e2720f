//! The `github` connector: an organization's members, outside collaborators, invitations,
//! deploy keys, fine-grained PATs, SSO credential authorizations, webhooks, app
//! installations and Actions secrets, over the shared HTTP layer ([`super::http`]).
//!
//! Split: [`api`] holds the serde types (after GitHub's REST description), [`transform`]
//! turns them into NHIs (pure), [`app`] signs GitHub App JWTs, and this module crawls and
//! turns faults into coverage. Read-only: every call is a GET, except the GraphQL query
//! (POST, reads) and the App's installation-token exchange.
//!
//! Error policy: an endpoint that does not exist on the org's plan (credential
//! authorizations and SAML without Enterprise Cloud) is a coverage note; data that exists
//! but the credential cannot read (403) is a coverage error naming what grants it
//! (`partial`, exit 3); a 401 or an unreadable member list is `failed`.

pub mod api;
pub mod app;
pub mod code;
pub mod transform;

#[cfg(test)]
mod tests;

use super::http::{Auth, HttpClient, HttpError, HttpSettings, Pagination, Secret};
use super::{Connector, ScanContext, Sink};
use crate::model::{Coverage, Nhi};
use api::*;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `[[connector]] type = "github"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    /// The organization; findings appear as `github:ORG`.
    pub org: String,
    /// A label for the progress display; findings and coverage stay `github:ORG`.
    #[serde(default)]
    pub name: Option<String>,
    /// GitHub Enterprise Server (`https://HOST/api/v3`) or an emulator.
    #[serde(default)]
    pub api_url: Option<String>,
    /// The environment variable holding a token (never the token itself).
    #[serde(default)]
    pub token_env: Option<String>,
    /// GitHub App authentication: the App's id ...
    #[serde(default)]
    pub app_id: Option<u64>,
    /// ... its installation on the org ...
    #[serde(default)]
    pub installation_id: Option<u64>,
    /// ... and its private key: a PEM file (relative to the config file) ...
    #[serde(default)]
    pub private_key_path: Option<PathBuf>,
    /// ... or an environment variable holding the PEM.
    #[serde(default)]
    pub private_key_env: Option<String>,
    /// Only these repositories (names without the org); default every repository.
    #[serde(default)]
    pub repos: Vec<String>,
    /// Requests in flight at once. Default 8; GitHub allows at most 100.
    #[serde(default)]
    pub max_in_flight: Option<usize>,
    /// Repositories crawled at once. Default 8.
    #[serde(default)]
    pub repo_concurrency: Option<usize>,
    /// Read members' public SSH keys (`/users/{login}/keys`) to join host
    /// `authorized_keys` by fingerprint. Default true.
    #[serde(default)]
    pub user_keys: Option<bool>,
    /// The first retry wait in milliseconds (doubles per retry). Default 1000; tests
    /// lower it.
    #[serde(default)]
    pub backoff_floor_ms: Option<u64>,
    /// Fetch every repository (full history) into `cache_dir` and scan it for
    /// committed secrets. Default false.
    #[serde(default)]
    pub scan_code: Option<bool>,
    /// Where `scan_code` keeps its bare clones (relative to the config file); reruns
    /// fetch incrementally. Default `$XDG_CACHE_HOME/nhiscan/github` or
    /// `~/.cache/nhiscan/github`.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// Scan archived repositories' code. Default true.
    #[serde(default)]
    pub include_archived: Option<bool>,
    /// Scan forks' code. Default false (counted in coverage as skipped).
    #[serde(default)]
    pub include_forks: Option<bool>,
    /// The longest one repository's fetch may take, in seconds. Default 1800.
    #[serde(default)]
    pub fetch_timeout_seconds: Option<u64>,
    /// Conditional requests: keep each answer's ETag under `cache_dir/http` and ask with
    /// `If-None-Match` on the next run (a 304 costs GitHub no quota). Default true.
    #[serde(default)]
    pub etags: Option<bool>,
}

/// How the connector authenticates, resolved from the config (secrets read at scan time).
#[derive(Debug, Clone)]
enum Credential {
    Token {
        env: String,
    },
    App {
        app_id: u64,
        installation_id: u64,
        key: KeySource,
    },
}

#[derive(Debug, Clone)]
enum KeySource {
    Path(PathBuf),
    Env(String),
}

pub struct GithubConnector {
    cfg: GithubConfig,
    org: String,
    api_url: String,
    credential: Credential,
    cache_dir: PathBuf,
}

/// The connector for a config entry.
pub fn build(c: &GithubConfig, base: &Path) -> anyhow::Result<Box<dyn Connector>> {
    Ok(Box::new(GithubConnector::new(c, base)?))
}

const PREFIX: &str = "[[connector]] type = \"github\"";

impl GithubConnector {
    pub fn new(c: &GithubConfig, base: &Path) -> anyhow::Result<Self> {
        let org = c.org.trim().to_string();
        if org.is_empty() || org.contains('/') || org.contains(char::is_whitespace) {
            anyhow::bail!(
                "{PREFIX}: org must be an organization login such as \"acme\", got {:?}",
                c.org
            );
        }
        let api_url = c
            .api_url
            .clone()
            .unwrap_or_else(|| "https://api.github.com".into());
        if !(api_url.starts_with("http://") || api_url.starts_with("https://")) {
            anyhow::bail!(
                "{PREFIX} (org {org}): api_url must be an http:// or https:// URL, got {api_url:?}"
            );
        }
        let app_keys = c.app_id.is_some()
            || c.installation_id.is_some()
            || c.private_key_path.is_some()
            || c.private_key_env.is_some();
        let credential = match (&c.token_env, app_keys) {
            (Some(_), true) => anyhow::bail!(
                "{PREFIX} (org {org}): token_env and GitHub App keys (app_id, installation_id, private_key_path/private_key_env) \
                 are both set; use one or the other"
            ),
            (Some(env), false) => {
                if env.trim().is_empty() {
                    anyhow::bail!("{PREFIX} (org {org}): token_env is empty; name the environment variable holding the token");
                }
                Credential::Token { env: env.trim().to_string() }
            }
            (None, true) => {
                let Some(app_id) = c.app_id else {
                    anyhow::bail!("{PREFIX} (org {org}): app_id is missing (GitHub App authentication needs app_id, installation_id and private_key_path or private_key_env)");
                };
                let Some(installation_id) = c.installation_id else {
                    anyhow::bail!("{PREFIX} (org {org}): installation_id is missing (GitHub App authentication needs app_id, installation_id and private_key_path or private_key_env)");
                };
                let key = match (&c.private_key_path, &c.private_key_env) {
                    (Some(_), Some(_)) => anyhow::bail!(
                        "{PREFIX} (org {org}): private_key_path and private_key_env are both set; use one"
                    ),
                    (Some(p), None) => KeySource::Path(super::resolve_path(base, p)),
                    (None, Some(e)) => KeySource::Env(e.trim().to_string()),
                    (None, None) => anyhow::bail!(
                        "{PREFIX} (org {org}): private_key_path or private_key_env is missing (the GitHub App's private key)"
                    ),
                };
                Credential::App { app_id, installation_id, key }
            }
            (None, false) => anyhow::bail!(
                "{PREFIX} (org {org}): no credential: set token_env (the environment variable holding a token), \
                 or app_id, installation_id and private_key_path/private_key_env for a GitHub App"
            ),
        };
        if c.max_in_flight == Some(0) || c.repo_concurrency == Some(0) {
            anyhow::bail!(
                "{PREFIX} (org {org}): max_in_flight and repo_concurrency must be at least 1"
            );
        }
        if c.max_in_flight.is_some_and(|n| n > 100) {
            anyhow::bail!("{PREFIX} (org {org}): max_in_flight is at most 100 (GitHub's limit on concurrent requests)");
        }
        if c.fetch_timeout_seconds == Some(0) {
            anyhow::bail!("{PREFIX} (org {org}): fetch_timeout_seconds must be at least 1");
        }
        let cache_dir = c
            .cache_dir
            .as_ref()
            .map_or_else(code::default_cache_dir, |p| super::resolve_path(base, p));
        Ok(GithubConnector {
            cfg: c.clone(),
            org,
            api_url,
            credential,
            cache_dir,
        })
    }

    fn settings(&self) -> HttpSettings {
        HttpSettings {
            in_flight: self.cfg.max_in_flight.unwrap_or(8),
            backoff_floor: Duration::from_millis(self.cfg.backoff_floor_ms.unwrap_or(1000)),
            ..HttpSettings::default()
        }
    }

    /// A client authenticated for the org, or why not (the scan is then `failed`).
    async fn client(&self) -> Result<(HttpClient, Secret), String> {
        let headers = [
            ("Accept", "application/vnd.github+json"),
            ("X-GitHub-Api-Version", "2022-11-28"),
        ];
        match &self.credential {
            Credential::Token { env } => {
                let token = std::env::var(env).unwrap_or_default();
                let token = token.trim();
                if token.is_empty() {
                    return Err(format!(
                        "the environment variable {env} (token_env) is unset or empty: github:{} was NOT scanned",
                        self.org
                    ));
                }
                let scope = format!(
                    "token:{}",
                    &crate::model::SecretBytes::new(token.as_bytes()).sha256_hex()[..16]
                );
                let token = Secret::new(token);
                HttpClient::new(&self.api_url, Auth::Bearer(token.clone()), self.settings())
                    .map(|c| (self.conditional(c.with_headers(&headers), &scope), token))
                    .map_err(|e| e.to_string())
            }
            Credential::App {
                app_id,
                installation_id,
                key,
            } => {
                let pem = match key {
                    KeySource::Path(p) => std::fs::read_to_string(p).map_err(|e| {
                        format!(
                            "cannot read the GitHub App private key {} (private_key_path): {e}",
                            p.display()
                        )
                    })?,
                    KeySource::Env(v) => {
                        let s = std::env::var(v).unwrap_or_default();
                        if s.trim().is_empty() {
                            return Err(format!(
                                "the environment variable {v} (private_key_env) is unset or empty: github:{} was NOT scanned",
                                self.org
                            ));
                        }
                        s
                    }
                };
                let key = app::AppKey::from_pem(&pem)
                    .map_err(|e| format!("GitHub App private key: {e}"))?;
                let now = chrono::Utc::now().timestamp();
                let jwt = Secret::new(key.jwt(&app_id.to_string(), now)?);
                let client = HttpClient::new(&self.api_url, Auth::None, self.settings())
                    .map_err(|e| e.to_string())?
                    .with_headers(&headers);
                let client = self.conditional(client, &format!("app:{app_id}:{installation_id}"));
                let resp = client
                    .post_with_bearer(
                        &format!("/app/installations/{installation_id}/access_tokens"),
                        &jwt,
                    )
                    .await
                    .map_err(|e| {
                        format!(
                            "GitHub App {app_id}: exchanging the JWT for an installation token of installation {installation_id} failed: {e}"
                        )
                    })?;
                let tok: InstallationToken = resp.parse().map_err(|e| e.to_string())?;
                let token = Secret::new(tok.token);
                client.set_auth(Auth::Bearer(token.clone()));
                Ok((client, token))
            }
        }
    }

    /// `client` with the ETag cache of this credential identity, unless `etags = false`
    /// or the cache cannot be created (then every request is asked in full).
    fn conditional(&self, client: HttpClient, scope: &str) -> HttpClient {
        if self.cfg.etags == Some(false) {
            return client;
        }
        let dir = self
            .cache_dir
            .join("http")
            .join(code::safe_segment(&self.org));
        match super::http::etag::EtagCache::new(&dir, scope) {
            Ok(c) => client.with_etag_cache(c),
            Err(e) => {
                tracing::warn!(org = %self.org, "no ETag cache at {}: {e}", dir.display());
                client
            }
        }
    }

    fn uses_app(&self) -> bool {
        matches!(self.credential, Credential::App { .. })
    }

    async fn scan_async(
        &self,
        ctx: &ScanContext<'_>,
        sink: &dyn Sink,
    ) -> (Vec<Coverage>, Option<code::CodeJob>) {
        let name = self.name();
        let label = match &self.cfg.name {
            Some(n) if !n.trim().is_empty() => format!("{name} ({})", n.trim()),
            _ => name.clone(),
        };
        let running = ctx.progress.start(&label);
        running.phase("credentials", 0, None);
        let mut cov = Coverage::new(&name);
        let (client, token) = match self.client().await {
            Ok(c) => c,
            Err(e) => {
                cov.classed_fail("config", e);
                return (vec![cov], None);
            }
        };
        let crawl = Arc::new(Crawl {
            client: client.clone(),
            org: self.org.clone(),
            connector: name.clone(),
            app: self.uses_app(),
            log: Mutex::new(Log::default()),
            items: Mutex::new(Vec::new()),
        });
        let outcome = crawl_org(crawl.clone(), &self.cfg, &running).await;
        let log = std::mem::take(&mut *crawl.log.lock().unwrap_or_else(|p| p.into_inner()));
        let mut items = std::mem::take(&mut *crawl.items.lock().unwrap_or_else(|p| p.into_inner()));
        match outcome {
            Ok(()) => {}
            Err((class, e)) => cov.classed_fail(class, e),
        }
        for (msg, class, n) in log.errors {
            let msg = if n > 1 {
                format!("{msg} ({n} requests failed like this)")
            } else {
                msg
            };
            cov.classed_error(class, msg);
        }
        cov.notes.extend(log.notes);
        let job = (self.cfg.scan_code == Some(true)).then(|| code::CodeJob {
            repos: code::select(
                &self.org,
                &log.code_repos,
                self.cfg.include_archived.unwrap_or(true),
                self.cfg.include_forks.unwrap_or(false),
                &mut cov,
            ),
            token: Some(token),
            cache_dir: self.cache_dir.clone(),
            concurrency: self.cfg.repo_concurrency.unwrap_or(4),
            timeout: Duration::from_secs(self.cfg.fetch_timeout_seconds.unwrap_or(1800)),
        });
        transform::enrich(&mut items, &log.saml, &log.user_keys, &log.repo_admins);
        items.sort_by(|a, b| a.resource.cmp(&b.resource));
        cov.items_scanned = items.len() as u64;
        cov.throttled = client.stats().throttled();
        let nm = client.stats().not_modified();
        if nm > 0 {
            cov.notes.push(format!(
                "{nm} of {} API requests were answered 304 Not Modified from the ETag cache (no quota used)",
                client.stats().requests()
            ));
        }
        tracing::info!(org = %self.org, items = items.len(), requests = client.stats().requests(), throttled = cov.throttled, "GitHub org crawled");
        ctx.progress.add_items(items.len() as u64);
        for n in items {
            sink.emit(n);
        }
        (vec![cov], job)
    }
}

/// What a crawl learned besides NHIs: errors (message → how many requests failed that
/// way), notes, and the joins applied at the end.
#[derive(Default)]
struct Log {
    /// (message, class, how many).
    errors: Vec<(String, &'static str, u64)>,
    notes: Vec<String>,
    saml: BTreeMap<String, String>,
    user_keys: BTreeMap<String, Vec<String>>,
    repo_admins: BTreeMap<String, Vec<String>>,
    /// The repositories crawled, for `scan_code`.
    code_repos: Vec<Repo>,
}

struct Crawl {
    client: HttpClient,
    org: String,
    connector: String,
    app: bool,
    log: Mutex<Log>,
    items: Mutex<Vec<Nhi>>,
}

impl Crawl {
    fn push(&self, n: Nhi) {
        self.items.lock().unwrap_or_else(|p| p.into_inner()).push(n);
    }
    fn note(&self, msg: String) {
        let mut l = self.log.lock().unwrap_or_else(|p| p.into_inner());
        if !l.notes.contains(&msg) {
            l.notes.push(msg);
        }
    }
    /// Record an error; the same message for many repositories is counted once.
    fn error(&self, class: &'static str, msg: String) {
        let mut l = self.log.lock().unwrap_or_else(|p| p.into_inner());
        match l
            .errors
            .iter_mut()
            .find(|(m, k, _)| *m == msg && *k == class)
        {
            Some((_, _, n)) => *n += 1,
            None => l.errors.push((msg, class, 1)),
        }
    }
    /// A failed read of `what`, which `grant` lets the credential read.
    fn failed(&self, what: &str, grant: &str, e: &HttpError) {
        let msg = match e {
            HttpError::Forbidden { .. } => format!(
                "cannot read {what} (HTTP 403): the credential lacks the permission; grant {grant}"
            ),
            HttpError::NotFound { .. } => format!(
                "cannot read {what} (HTTP 404: GitHub answers 404 when the credential may not see it); grant {grant}"
            ),
            _ => format!("cannot read {what}: {e}"),
        };
        tracing::warn!(org = %self.org, "{msg}");
        self.error(e.class(), msg);
    }

    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        pointer: &str,
    ) -> Result<Vec<T>, HttpError> {
        let mut q: Vec<(&str, String)> = query.to_vec();
        q.push(("per_page", "100".into()));
        let values = self
            .client
            .get_all(
                path,
                &q,
                pointer,
                &Pagination::LinkHeader,
                super::http::paginate::DEFAULT_MAX_PAGES,
            )
            .await?;
        values
            .into_iter()
            .map(|v| {
                serde_json::from_value(v).map_err(|e| HttpError::Malformed {
                    url: path.to_string(),
                    message: format!("unexpected shape: {e}"),
                })
            })
            .collect()
    }
}

const GRANT_MEMBERS: &str = "the classic scope read:org, or the App permission Members (read)";
const GRANT_ADMIN: &str = "the classic scope admin:org (read), or the App permission Administration (read) on the organization";
const GRANT_REPO_ADMIN: &str = "the classic scope repo and admin rights on the repository, or the App permission Administration (read) on repositories";
const GRANT_HOOKS: &str = "the classic scope admin:org_hook (org) / admin:repo_hook (repositories), or the App permission Webhooks (read)";
const GRANT_SECRETS: &str =
    "the classic scope repo (and admin:org for org secrets), or the App permission Secrets (read)";
const GRANT_PATS: &str = "a GitHub App installation with the organization permission \"Personal access tokens\" (read): these endpoints do not answer to a token";

/// `panic` or `cancelled`: the class of a crawl task that did not finish.
fn task_class(e: &tokio::task::JoinError) -> &'static str {
    if e.is_panic() {
        "panic"
    } else {
        "cancelled"
    }
}

async fn crawl_org(
    c: Arc<Crawl>,
    cfg: &GithubConfig,
    running: &super::Running<'_>,
) -> Result<(), (&'static str, String)> {
    let org = c.org.clone();
    running.phase("members", 0, None);
    // Owners first: a failure here (401, unknown org) means nothing can be trusted.
    let admins: Vec<SimpleUser> = match c
        .list(
            &format!("/orgs/{org}/members"),
            &[("role", "admin".into())],
            "",
        )
        .await
    {
        Ok(v) => v,
        Err(e @ HttpError::Auth { .. }) => {
            return Err((e.class(), format!("the GitHub credential was refused: {e}")))
        }
        Err(e @ HttpError::NotFound { .. }) => {
            return Err((
                e.class(),
                format!("the org {org} does not exist or the credential cannot see it: {e}"),
            ))
        }
        Err(e) => return Err((e.class(), format!("cannot list the members of {org}: {e}"))),
    };
    let admin_logins: BTreeSet<String> = admins.iter().map(|u| u.login.clone()).collect();
    let members: Vec<SimpleUser> = match c
        .list(
            &format!("/orgs/{org}/members"),
            &[("role", "all".into())],
            "",
        )
        .await
    {
        Ok(v) => v,
        Err(e) => {
            c.failed(&format!("the members of {org}"), GRANT_MEMBERS, &e);
            admins.clone()
        }
    };
    running.phase("members", members.len() as u64, Some(members.len() as u64));
    for m in &members {
        c.push(transform::member(
            &c.connector,
            &org,
            m,
            admin_logins.contains(&m.login),
        ));
    }
    let logins: Vec<String> = members.iter().map(|m| m.login.clone()).collect();

    let org_level = async {
        tokio::join!(
            outside_collaborators(&c),
            invitations(&c),
            org_hooks(&c),
            installations(&c),
            org_secrets(&c),
            pats(&c, false),
            pats(&c, true),
            credential_authorizations(&c),
            saml(&c),
        )
    };
    let repos = repos_crawl(c.clone(), cfg, running);
    let keys = user_keys(c.clone(), logins, cfg.user_keys.unwrap_or(true));
    tokio::join!(org_level, repos, keys);
    Ok(())
}

async fn outside_collaborators(c: &Crawl) {
    let org = &c.org;
    match c
        .list::<SimpleUser>(&format!("/orgs/{org}/outside_collaborators"), &[], "")
        .await
    {
        Ok(v) => v
            .iter()
            .for_each(|u| c.push(transform::outside_collaborator(&c.connector, org, u))),
        Err(e) => c.failed(
            &format!("the outside collaborators of {org}"),
            GRANT_ADMIN,
            &e,
        ),
    }
}

async fn invitations(c: &Crawl) {
    let org = &c.org;
    match c
        .list::<Invitation>(&format!("/orgs/{org}/invitations"), &[], "")
        .await
    {
        Ok(v) => v
            .iter()
            .for_each(|i| c.push(transform::invitation(&c.connector, org, i))),
        Err(e) => c.failed(
            &format!("the pending invitations of {org}"),
            "org owner rights (classic scope admin:org), or the App permission Members (read)",
            &e,
        ),
    }
}

async fn org_hooks(c: &Crawl) {
    let org = &c.org;
    match c.list::<Hook>(&format!("/orgs/{org}/hooks"), &[], "").await {
        Ok(v) => v
            .iter()
            .for_each(|h| c.push(transform::webhook(&c.connector, org, None, h))),
        Err(e) => c.failed(&format!("the webhooks of {org}"), GRANT_HOOKS, &e),
    }
}

async fn installations(c: &Crawl) {
    let org = &c.org;
    match c
        .list::<Installation>(&format!("/orgs/{org}/installations"), &[], "/installations")
        .await
    {
        Ok(v) => {
            v.iter()
                .for_each(|i| c.push(transform::installation(&c.connector, org, i)));
            if !v.is_empty() {
                c.note(format!(
                    "app installations of {org}: who installed an app is not in the REST API (only the audit log, on Enterprise Cloud); installations are reported only when something ties them to a person"
                ));
            }
        }
        Err(e) => c.failed(&format!("the app installations of {org}"), GRANT_ADMIN, &e),
    }
}

async fn org_secrets(c: &Crawl) {
    let org = &c.org;
    match c
        .list::<ActionsSecret>(&format!("/orgs/{org}/actions/secrets"), &[], "/secrets")
        .await
    {
        Ok(v) => v
            .iter()
            .for_each(|s| c.push(transform::actions_secret(&c.connector, org, None, s))),
        Err(e) => c.failed(&format!("the Actions secrets of {org}"), GRANT_SECRETS, &e),
    }
}

async fn pats(c: &Crawl, pending: bool) {
    let org = &c.org;
    let (path, what) = if pending {
        (
            format!("/orgs/{org}/personal-access-token-requests"),
            format!("the pending fine-grained PAT requests of {org}"),
        )
    } else {
        (
            format!("/orgs/{org}/personal-access-tokens"),
            format!("the fine-grained PATs approved for {org}"),
        )
    };
    match c.list::<PatGrant>(&path, &[], "").await {
        Ok(v) => v
            .iter()
            .for_each(|g| c.push(transform::pat(&c.connector, org, g, pending))),
        Err(e @ (HttpError::Forbidden { .. } | HttpError::NotFound { .. })) if !c.app => {
            c.error(e.class(), format!(
                "cannot read {what}: they need {GRANT_PATS}; the connector authenticates with a token (token_env)"
            ));
        }
        Err(e) => c.failed(&what, GRANT_PATS, &e),
    }
}

async fn credential_authorizations(c: &Crawl) {
    let org = &c.org;
    match c
        .list::<CredentialAuthorization>(&format!("/orgs/{org}/credential-authorizations"), &[], "")
        .await
    {
        Ok(v) => v
            .iter()
            .for_each(|a| c.push(transform::credential_authorization(&c.connector, org, a))),
        Err(HttpError::NotFound { .. }) => c.note(format!(
            "credential authorizations of {org}: not on this plan (SAML SSO credential authorizations exist only on GitHub Enterprise Cloud with SAML SSO); classic PATs and SSH keys members use against the org cannot be listed"
        )),
        Err(e) => c.failed(
            &format!("the SAML SSO credential authorizations of {org}"),
            "org owner rights (classic scope read:org as an owner); GitHub Apps cannot read them",
            &e,
        ),
    }
}

async fn saml(c: &Crawl) {
    let org = &c.org;
    let mut after: Option<String> = None;
    for _ in 0..1000 {
        let body = serde_json::json!({
            "query": SAML_QUERY,
            "variables": {"org": org, "after": after},
        });
        let resp = match c.client.post_json("/graphql", &body).await {
            Ok(r) => r,
            Err(HttpError::NotFound { .. }) => {
                c.note(format!("SAML identities of {org}: this API has no GraphQL endpoint; logins are not mapped to SSO emails"));
                return;
            }
            Err(e) => {
                c.failed(
                    &format!("the SAML identities of {org}"),
                    "org owner rights (classic scope read:org as an owner)",
                    &e,
                );
                return;
            }
        };
        let ans: SamlAnswer = match resp.parse() {
            Ok(a) => a,
            Err(e) => {
                c.failed(
                    &format!("the SAML identities of {org}"),
                    "org owner rights",
                    &e,
                );
                return;
            }
        };
        if !ans.errors.is_empty() {
            let msg: Vec<String> = ans.errors.iter().map(|e| e.message.clone()).collect();
            let msg = msg.join("; ");
            let forbidden = ans
                .errors
                .iter()
                .any(|e| e.error_type.as_deref() == Some("FORBIDDEN"));
            if forbidden {
                c.error("forbidden", format!("cannot read the SAML identities of {org}: {msg}; grant org owner rights (classic scope read:org as an owner)"));
            } else {
                c.note(format!("SAML identities of {org}: not read ({msg}); logins are not mapped to SSO emails"));
            }
            return;
        }
        let Some(provider) = ans
            .data
            .and_then(|d| d.organization)
            .and_then(|o| o.saml_identity_provider)
        else {
            c.note(format!("SAML identities of {org}: the org has no SAML SSO (needs Enterprise Cloud); logins are mapped to people only through the roster's github: aliases"));
            return;
        };
        {
            let mut l = c.log.lock().unwrap_or_else(|p| p.into_inner());
            for n in &provider.external_identities.nodes {
                if let (Some(u), Some(id)) = (
                    &n.user,
                    n.saml_identity.as_ref().and_then(|s| s.name_id.clone()),
                ) {
                    if id.contains('@') {
                        l.saml.insert(u.login.clone(), id.trim().to_string());
                    }
                }
            }
        }
        match provider.external_identities.page_info {
            Some(p) if p.has_next_page && p.end_cursor.is_some() => after = p.end_cursor,
            _ => return,
        }
    }
}

async fn user_keys(c: Arc<Crawl>, logins: Vec<String>, enabled: bool) {
    if !enabled {
        return;
    }
    let sem = Arc::new(tokio::sync::Semaphore::new(8));
    let mut set = tokio::task::JoinSet::new();
    for login in logins {
        let (c, sem) = (c.clone(), sem.clone());
        set.spawn(async move {
            let _p = sem.acquire_owned().await;
            let path = format!("/users/{login}/keys");
            match c.list::<UserKey>(&path, &[], "").await {
                Ok(keys) => {
                    let fps: Vec<String> = keys
                        .iter()
                        .filter_map(|k| transform::key_fingerprint(&k.key))
                        .collect();
                    let mut l = c.log.lock().unwrap_or_else(|p| p.into_inner());
                    l.user_keys.insert(login, fps);
                }
                // A user deleted or renamed mid-scan.
                Err(HttpError::NotFound { .. }) => {}
                Err(e) => c.failed(
                    "members' public SSH keys",
                    "nothing (public data); retry later",
                    &e,
                ),
            }
        });
    }
    while let Some(r) = set.join_next().await {
        if let Err(e) = r {
            c.error(task_class(&e), format!("a member SSH key task failed: {e}"));
        }
    }
}

async fn repos_crawl(c: Arc<Crawl>, cfg: &GithubConfig, running: &super::Running<'_>) {
    let org = c.org.clone();
    let wanted: Option<BTreeSet<String>> = (!cfg.repos.is_empty()).then(|| {
        cfg.repos
            .iter()
            .map(|r| r.trim().to_ascii_lowercase())
            .collect()
    });
    let sem = Arc::new(tokio::sync::Semaphore::new(
        cfg.repo_concurrency.unwrap_or(8),
    ));
    let mut set = tokio::task::JoinSet::new();
    let mut kept: Vec<Repo> = Vec::new();
    let mut found: BTreeSet<String> = BTreeSet::new();
    let mut shape: Option<String> = None;
    // Each page of repositories is crawled as it arrives: on a large org the listing
    // (100 per page, one page after the other) overlaps the per-repository requests.
    let path = format!("/orgs/{org}/repos");
    let query = [("type", "all".to_string()), ("per_page", "100".to_string())];
    let listed = c
        .client
        .walk(
            &path,
            &query,
            "",
            &Pagination::LinkHeader,
            super::http::paginate::DEFAULT_MAX_PAGES,
            |page| {
                for v in page.records {
                    let r: Repo = match serde_json::from_value(v) {
                        Ok(r) => r,
                        Err(e) => {
                            shape = Some(format!("unexpected shape: {e}"));
                            continue;
                        }
                    };
                    let lower = r.name.to_ascii_lowercase();
                    found.insert(lower.clone());
                    if wanted.as_ref().is_some_and(|w| !w.contains(&lower)) {
                        continue;
                    }
                    kept.push(r.clone());
                    let (c, sem) = (c.clone(), sem.clone());
                    set.spawn(async move {
                        let _p = sem.acquire_owned().await;
                        crawl_repo(&c, &r).await;
                    });
                }
                running.phase("repos", 0, Some(kept.len() as u64));
            },
        )
        .await;
    let grant = "the classic scope repo, or the App permission Metadata (read)";
    match listed {
        Ok(_) => {}
        Err(e) => c.failed(&format!("the repositories of {org}"), grant, &e),
    }
    if let Some(msg) = shape {
        let e = HttpError::Malformed {
            url: path.clone(),
            message: msg,
        };
        c.failed(&format!("the repositories of {org}"), grant, &e);
    }
    if let Some(w) = &wanted {
        for missing in w.difference(&found) {
            c.error("not_found", format!("repository {org}/{missing} (listed in repos) was not found or the credential cannot see it"));
        }
    }
    let total = kept.len() as u64;
    c.log.lock().unwrap_or_else(|p| p.into_inner()).code_repos = kept;
    let mut done = 0;
    while let Some(r) = set.join_next().await {
        done += 1;
        running.phase("repos", done, Some(total));
        if let Err(e) = r {
            c.error(
                task_class(&e),
                format!("a repository crawl of {org} failed: {e}"),
            );
        }
    }
}

async fn crawl_repo(c: &Crawl, r: &Repo) {
    let org = &c.org;
    let name = &r.name;
    let base = format!("/repos/{org}/{name}");
    let (p_keys, p_hooks, p_secrets, p_collabs) = (
        format!("{base}/keys"),
        format!("{base}/hooks"),
        format!("{base}/actions/secrets"),
        format!("{base}/collaborators"),
    );
    let direct = [("affiliation", "direct".to_string())];
    let (keys, hooks, secrets, collabs) = tokio::join!(
        c.list::<DeployKey>(&p_keys, &[], ""),
        c.list::<Hook>(&p_hooks, &[], ""),
        c.list::<ActionsSecret>(&p_secrets, &[], "/secrets"),
        c.list::<Collaborator>(&p_collabs, &direct, ""),
    );
    match keys {
        Ok(v) => v
            .iter()
            .for_each(|k| c.push(transform::deploy_key(&c.connector, org, name, k))),
        Err(e) => c.failed("deploy keys of repositories", GRANT_REPO_ADMIN, &e),
    }
    match hooks {
        Ok(v) => v
            .iter()
            .for_each(|h| c.push(transform::webhook(&c.connector, org, Some(name), h))),
        Err(e) => c.failed("webhooks of repositories", GRANT_HOOKS, &e),
    }
    match secrets {
        Ok(v) => v
            .iter()
            .for_each(|s| c.push(transform::actions_secret(&c.connector, org, Some(name), s))),
        // Actions disabled on the repository.
        Err(HttpError::NotFound { .. }) => {}
        Err(e) => c.failed("Actions secrets of repositories", GRANT_SECRETS, &e),
    }
    match collabs {
        Ok(v) => {
            let admins: Vec<&Collaborator> = v
                .iter()
                .filter(|x| x.permissions.as_ref().is_some_and(|p| p.admin))
                .collect();
            let only = admins.len() == 1;
            let mut l = c.log.lock().unwrap_or_else(|p| p.into_inner());
            for a in admins {
                let entry = if only {
                    format!("{org}/{name} (the only direct admin)")
                } else {
                    format!("{org}/{name}")
                };
                l.repo_admins
                    .entry(a.login.clone())
                    .or_default()
                    .push(entry);
            }
        }
        Err(e) => c.failed(
            "direct collaborators of repositories",
            "the classic scope repo, or the App permission Metadata (read)",
            &e,
        ),
    }
}

impl Connector for GithubConnector {
    fn name(&self) -> String {
        format!("github:{}", self.org)
    }

    fn scan(&self, ctx: &ScanContext<'_>, sink: &dyn Sink) -> Vec<Coverage> {
        let (mut covs, job) =
            super::runtime::block_on(self.scan_async(ctx, sink)).unwrap_or_else(|e| {
                let mut cov = Coverage::new(self.name());
                cov.classed_fail(
                    e.class(),
                    format!("github connector {e}; nothing from it can be trusted as complete"),
                );
                (vec![cov], None)
            });
        if let (Some(job), Some(cov)) = (job, covs.first_mut()) {
            // The org's code runs on threads (git and the blob stage block), after the
            // API crawl has listed the repositories.
            let host = self
                .api_url
                .split("://")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .unwrap_or("github")
                .to_string();
            let emit = |n: Nhi| sink.emit(n);
            code::scan(&job, &self.name(), &host, ctx, cov, &emit);
        }
        covs
    }
}
