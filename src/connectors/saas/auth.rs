//! The auth kinds of the saas specs: static credentials from environment variables
//! (bearer, a custom scheme such as Okta's `SSWS`, a header, basic), OAuth 2.0 client
//! credentials (Entra ID, Okta OAuth service apps), and a Google service account with
//! domain-wide delegation (an RS256 JWT exchanged for a token, RFC 7523).
//!
//! Values are read from the environment at scan time, never from the config file, and
//! only ever held in [`Secret`]s; every value is added to the client's scrubber.

use super::spec::{AuthKind, Template};
use crate::connectors::http::{Auth, HttpClient, HttpError, HttpSettings, Secret};
use base64::Engine as _;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What a connector needs to authenticate, from its config (names of variables, paths).
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    pub token_env: Option<String>,
    pub user: Option<String>,
    pub user_env: Option<String>,
    pub client_id: Option<String>,
    pub client_id_env: Option<String>,
    pub client_secret_env: Option<String>,
    pub service_account_file: Option<PathBuf>,
    pub service_account_env: Option<String>,
    pub subject: Option<String>,
    /// Overrides the spec's token URL (a proxy, an emulator, a test server).
    pub token_url: Option<String>,
}

/// How the source authenticates once the environment was read.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Ready: every request carries this.
    Static(Auth),
    /// Exchange a client id and secret for a bearer token first.
    ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret: Secret,
        scope: Option<String>,
    },
    /// Sign a JWT with the service account's key and exchange it for a bearer token.
    Google {
        key: ServiceAccountKey,
        token_url: String,
        scopes: Vec<String>,
        subject: Option<String>,
    },
}

/// The fields of a Google service-account key file that nhiscan uses.
#[derive(Clone, serde::Deserialize)]
pub struct ServiceAccountKey {
    pub client_email: String,
    pub private_key: String,
    #[serde(default)]
    pub private_key_id: Option<String>,
    #[serde(default)]
    pub token_uri: Option<String>,
}

impl std::fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .finish_non_exhaustive()
    }
}

/// An environment variable's value; the error names it and the config key.
fn env(var: &str, key: &str, connector: &str) -> Result<Secret, String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim())),
        Ok(_) => Err(format!(
            "the environment variable {var} ({key}) is empty: {connector} was NOT scanned"
        )),
        Err(_) => Err(format!(
            "the environment variable {var} ({key}) is not set: {connector} was NOT scanned"
        )),
    }
}

fn need<'a>(
    v: &'a Option<String>,
    key: &str,
    connector: &str,
    kind: &str,
) -> Result<&'a str, String> {
    v.as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            format!("{connector}: auth kind {kind} needs `{key}` in the connector's config")
        })
}

/// The config keys an auth kind needs, checked before anything is scanned (a missing key
/// is a config error; a missing environment variable is found at scan time).
pub fn check_config(kind: &AuthKind, c: &AuthConfig, connector: &str) -> Result<(), String> {
    let k = kind.as_str();
    match kind {
        AuthKind::None => {}
        AuthKind::Bearer | AuthKind::Scheme(_) | AuthKind::Header(_) => {
            need(&c.token_env, "token_env", connector, k)?;
        }
        AuthKind::Basic => {
            need(&c.token_env, "token_env", connector, k)?;
            if c.user.is_none() && c.user_env.is_none() {
                return Err(format!(
                    "{connector}: auth kind basic needs `user` or `user_env` in the connector's config"
                ));
            }
        }
        AuthKind::ClientCredentials { .. } => {
            if c.client_id.is_none() && c.client_id_env.is_none() {
                return Err(format!(
                    "{connector}: auth kind {k} needs `client_id` or `client_id_env` in the connector's config"
                ));
            }
            need(&c.client_secret_env, "client_secret_env", connector, k)?;
        }
        AuthKind::GoogleServiceAccount { .. } => {
            if c.service_account_file.is_none() && c.service_account_env.is_none() {
                return Err(format!(
                    "{connector}: auth kind {k} needs `service_account_file` (a key JSON file) or `service_account_env`"
                ));
            }
            need(&c.subject, "subject", connector, k)?;
        }
    }
    Ok(())
}

/// Read the environment (and the key file) for the auth kind. `Err` is the message of a
/// failed coverage entry: it names the variable or file, never a value.
pub fn plan(
    kind: &AuthKind,
    c: &AuthConfig,
    vars: &BTreeMap<String, String>,
    connector: &str,
) -> Result<Plan, String> {
    check_config(kind, c, connector)?;
    let token = || {
        let var = c.token_env.as_deref().unwrap_or_default();
        env(var, "token_env", connector)
    };
    Ok(match kind {
        AuthKind::None => Plan::Static(Auth::None),
        AuthKind::Bearer => Plan::Static(Auth::Bearer(token()?)),
        AuthKind::Scheme(s) => Plan::Static(Auth::Scheme {
            scheme: s.clone(),
            token: token()?,
        }),
        AuthKind::Header(name) => Plan::Static(Auth::Header {
            name: name.clone(),
            value: token()?,
        }),
        AuthKind::Basic => {
            let user = match (&c.user, &c.user_env) {
                (Some(u), _) => u.clone(),
                (None, Some(v)) => env(v, "user_env", connector)?.expose().to_string(),
                (None, None) => unreachable!("checked"),
            };
            Plan::Static(Auth::Basic {
                user,
                password: token()?,
            })
        }
        AuthKind::ClientCredentials { token_url, scope } => {
            let client_id = match (&c.client_id, &c.client_id_env) {
                (Some(id), _) => id.clone(),
                (None, Some(v)) => env(v, "client_id_env", connector)?.expose().to_string(),
                (None, None) => unreachable!("checked"),
            };
            let secret_var = c.client_secret_env.as_deref().unwrap_or_default();
            let client_secret = env(secret_var, "client_secret_env", connector)?;
            Plan::ClientCredentials {
                token_url: c
                    .token_url
                    .clone()
                    .map(Ok)
                    .unwrap_or_else(|| render_url(token_url, vars, "auth.token_url", connector))?,
                client_id,
                client_secret,
                scope: scope.clone(),
            }
        }
        AuthKind::GoogleServiceAccount { scopes, token_url } => {
            let text = match (&c.service_account_file, &c.service_account_env) {
                (Some(p), _) => std::fs::read_to_string(p).map_err(|e| {
                    format!(
                        "{connector}: cannot read the service account key file {} (service_account_file): {e}: nothing was scanned",
                        p.display()
                    )
                })?,
                (None, Some(v)) => env(v, "service_account_env", connector)?
                    .expose()
                    .to_string(),
                (None, None) => unreachable!("checked"),
            };
            let key: ServiceAccountKey = serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{connector}: the service account key is not a Google key JSON file (client_email, private_key): {}",
                    e.to_string().split(" at line").next().unwrap_or("unreadable")
                )
            })?;
            let url = match (&c.token_url, token_url, &key.token_uri) {
                (Some(u), _, _) => u.clone(),
                (None, Some(t), _) => render_url(t, vars, "auth.token_url", connector)?,
                (None, None, Some(u)) => u.clone(),
                (None, None, None) => "https://oauth2.googleapis.com/token".to_string(),
            };
            Plan::Google {
                key,
                token_url: url,
                scopes: scopes.clone(),
                subject: c.subject.clone(),
            }
        }
    })
}

fn render_url(
    t: &Template,
    vars: &BTreeMap<String, String>,
    key: &str,
    connector: &str,
) -> Result<String, String> {
    t.render(&serde_json::Value::Null, None, vars)
        .ok_or_else(|| {
            format!("{connector}: {key} needs a variable the config does not set ({t:?})")
        })
}

/// The origin (`scheme://host:port`) of a URL, the base of a token client.
fn origin(url: &str) -> Result<String, HttpError> {
    let u = reqwest::Url::parse(url).map_err(|e| HttpError::Malformed {
        url: url.to_string(),
        message: format!("the token URL is not a URL: {e}"),
    })?;
    Ok(u.origin().ascii_serialization())
}

/// POST a token request to `token_url` and take `access_token` from the answer.
async fn token_request(
    token_url: &str,
    form: &[(&str, String)],
    secrets: &[&str],
    settings: &HttpSettings,
) -> Result<(Secret, u64), HttpError> {
    let client = HttpClient::new(&origin(token_url)?, Auth::None, settings.clone())?;
    let resp = client.post_form(token_url, form, secrets).await?;
    let body = resp.json()?;
    let tok = body
        .get("access_token")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| HttpError::Malformed {
            url: client.scrubber().scrub(token_url),
            message: "the token endpoint answered without an access_token".into(),
        })?;
    Ok((Secret::new(tok), client.stats().throttled()))
}

/// OAuth 2.0 client credentials (RFC 6749 §4.4): the bearer token, and the throttled count.
pub async fn client_credentials(
    token_url: &str,
    client_id: &str,
    client_secret: &Secret,
    scope: Option<&str>,
    settings: &HttpSettings,
) -> Result<(Secret, u64), HttpError> {
    let mut form = vec![
        ("grant_type", "client_credentials".to_string()),
        ("client_id", client_id.to_string()),
        ("client_secret", client_secret.expose().to_string()),
    ];
    if let Some(s) = scope {
        form.push(("scope", s.to_string()));
    }
    token_request(token_url, &form, &[client_secret.expose()], settings).await
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The DER bytes of a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
fn pem_der(pem: &str) -> Result<Vec<u8>, String> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| "the private_key is not a PEM key".to_string())
}

/// The signed assertion of RFC 7523 for a service account: RS256 over
/// `{"iss": client_email, "scope", "aud": token_url, "iat", "exp", "sub"}`.
pub fn google_assertion(
    key: &ServiceAccountKey,
    token_url: &str,
    scopes: &[String],
    subject: Option<&str>,
    now: i64,
) -> Result<String, String> {
    let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    if let Some(kid) = &key.private_key_id {
        header["kid"] = serde_json::Value::String(kid.clone());
    }
    let mut claims = serde_json::json!({
        "iss": key.client_email,
        "scope": scopes.join(" "),
        "aud": token_url,
        "iat": now,
        "exp": now + 3600,
    });
    if let Some(s) = subject {
        claims["sub"] = serde_json::Value::String(s.to_string());
    }
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let der = pem_der(&key.private_key)?;
    let pair = ring::signature::RsaKeyPair::from_pkcs8(&der)
        .map_err(|e| format!("the service account private_key is not an RSA PKCS#8 key: {e}"))?;
    let mut sig = vec![0u8; pair.public().modulus_len()];
    pair.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| "signing the service account assertion failed".to_string())?;
    Ok(format!("{signing_input}.{}", b64(&sig)))
}

/// Exchange a service-account assertion for a bearer token (RFC 7523 §2.1).
pub async fn google_token(
    key: &ServiceAccountKey,
    token_url: &str,
    scopes: &[String],
    subject: Option<&str>,
    settings: &HttpSettings,
) -> Result<(Secret, u64), HttpError> {
    let assertion = google_assertion(
        key,
        token_url,
        scopes,
        subject,
        chrono::Utc::now().timestamp(),
    )
    .map_err(|m| HttpError::Malformed {
        url: token_url.to_string(),
        message: m,
    })?;
    let form = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:jwt-bearer".to_string(),
        ),
        ("assertion", assertion.clone()),
    ];
    token_request(token_url, &form, &[assertion.as_str()], settings).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_kinds_need_their_keys_and_name_the_variable() {
        let c = AuthConfig {
            token_env: Some("NHISCAN_TEST_SAAS_UNSET_VAR".into()),
            ..AuthConfig::default()
        };
        let e = plan(&AuthKind::Bearer, &c, &BTreeMap::new(), "saas:x").unwrap_err();
        assert!(
            e.contains("NHISCAN_TEST_SAAS_UNSET_VAR") && e.contains("not set"),
            "{e}"
        );
        let e = check_config(&AuthKind::Basic, &c, "saas:x").unwrap_err();
        assert!(e.contains("user_env"), "{e}");
        let e = check_config(
            &AuthKind::ClientCredentials {
                token_url: Template::default(),
                scope: None,
            },
            &AuthConfig::default(),
            "saas:x",
        )
        .unwrap_err();
        assert!(e.contains("client_id"), "{e}");
    }
}
