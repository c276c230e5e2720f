//! The shared HTTP layer of the REST connectors (GitHub, the SaaS specs).
//!
//! One [`HttpClient`] per source: one connection pool (reqwest, rustls with ring), a bound
//! on requests in flight, retries with exponential backoff and jitter, and a rate gate
//! shared by every task of the source that honours `Retry-After`, `X-RateLimit-Remaining`
//! / `-Reset` and the `X-Rate-Limit-*` spelling (Okta), on 429 and on a 403 that says it
//! is a rate limit (GitHub's secondary limits). Errors are typed ([`HttpError`]) so that
//! coverage records a class as well as a message, and every message goes through a
//! [`Scrubber`] that knows the source's credentials. Pagination helpers follow `Link`
//! headers, body cursors, full next URLs and page numbers ([`Pagination`]).
//!
//! Read-only by construction: a connector gets `get` and `post_form`/`post_json` (token
//! exchanges and GraphQL queries, which read); nothing here sends PUT, PATCH or DELETE.
//! Every wait has a floor ([`HttpSettings::backoff_floor`]) that tests can lower.

pub mod etag;
pub mod paginate;

pub use crate::model::scrub::Scrubber;
pub use paginate::Pagination;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

/// The class of a failed request, as coverage records it. Connectors decide what a class
/// means for their source (a 404 on an Enterprise-only endpoint is "not on this plan").
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    /// 401: the credential is missing, wrong or expired.
    #[error("authentication failed (HTTP {status}) at {url}: {message}")]
    Auth {
        status: u16,
        url: String,
        message: String,
    },
    /// 403 that is not a rate limit: the credential lacks a permission or scope.
    #[error("forbidden (HTTP 403) at {url}: {message}")]
    Forbidden { url: String, message: String },
    /// 404 or 410.
    #[error("not found (HTTP {status}) at {url}: {message}")]
    NotFound {
        status: u16,
        url: String,
        message: String,
    },
    /// Still rate limited after the retries (or the wait asked for is longer than allowed).
    #[error("rate limited at {url} (retry after {}): {message}", retry_after.map(|d| format!("{}s", d.as_secs())).unwrap_or_else(|| "unknown".into()))]
    RateLimited {
        url: String,
        retry_after: Option<Duration>,
        message: String,
    },
    /// 5xx after the retries, connection refused or reset, DNS.
    #[error("unavailable at {url}: {message}")]
    Unavailable { url: String, message: String },
    /// A body that is not the JSON expected, or a 4xx the API rejects the request with.
    #[error("malformed response at {url}: {message}")]
    Malformed { url: String, message: String },
    /// No answer within the request timeout, after the retries.
    #[error("timed out at {url}: {message}")]
    Timeout { url: String, message: String },
}

impl HttpError {
    /// `auth`, `forbidden`, `not_found`, `rate_limited`, `unavailable`, `malformed`,
    /// `timeout`: the key of `coverage.error_classes`.
    pub fn class(&self) -> &'static str {
        match self {
            HttpError::Auth { .. } => "auth",
            HttpError::Forbidden { .. } => "forbidden",
            HttpError::NotFound { .. } => "not_found",
            HttpError::RateLimited { .. } => "rate_limited",
            HttpError::Unavailable { .. } => "unavailable",
            HttpError::Malformed { .. } => "malformed",
            HttpError::Timeout { .. } => "timeout",
        }
    }
    /// The HTTP status the error came from, where there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Auth { status, .. } | HttpError::NotFound { status, .. } => Some(*status),
            HttpError::Forbidden { .. } => Some(403),
            _ => None,
        }
    }
    fn scrubbed(self, s: &Scrubber) -> Self {
        match self {
            HttpError::Auth {
                status,
                url,
                message,
            } => HttpError::Auth {
                status,
                url: s.scrub(&url),
                message: s.scrub(&message),
            },
            HttpError::Forbidden { url, message } => HttpError::Forbidden {
                url: s.scrub(&url),
                message: s.scrub(&message),
            },
            HttpError::NotFound {
                status,
                url,
                message,
            } => HttpError::NotFound {
                status,
                url: s.scrub(&url),
                message: s.scrub(&message),
            },
            HttpError::RateLimited {
                url,
                retry_after,
                message,
            } => HttpError::RateLimited {
                url: s.scrub(&url),
                retry_after,
                message: s.scrub(&message),
            },
            HttpError::Unavailable { url, message } => HttpError::Unavailable {
                url: s.scrub(&url),
                message: s.scrub(&message),
            },
            HttpError::Malformed { url, message } => HttpError::Malformed {
                url: s.scrub(&url),
                message: s.scrub(&message),
            },
            HttpError::Timeout { url, message } => HttpError::Timeout {
                url: s.scrub(&url),
                message: s.scrub(&message),
            },
        }
    }
}

/// A credential value: `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Secret(Arc<str>);

impl Secret {
    pub fn new(v: impl Into<String>) -> Self {
        Secret(Arc::from(v.into()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", crate::model::redact(self.0.as_bytes()))
    }
}

/// How requests authenticate. Swappable at run time ([`HttpClient::set_auth`]): a GitHub
/// App or an OAuth client exchanges its credential for a token first.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    /// `Authorization: Bearer TOKEN`.
    Bearer(Secret),
    /// `Authorization: SCHEME TOKEN` (Okta's `SSWS`, GitHub's `token`).
    Scheme {
        scheme: String,
        token: Secret,
    },
    /// A header of its own (`X-Api-Key: TOKEN`).
    Header {
        name: String,
        value: Secret,
    },
    /// `Authorization: Basic base64(user:password)`.
    Basic {
        user: String,
        password: Secret,
    },
}

impl Auth {
    fn secrets(&self) -> Vec<&str> {
        match self {
            Auth::None => vec![],
            Auth::Bearer(t) => vec![t.expose()],
            Auth::Scheme { token, .. } => vec![token.expose()],
            Auth::Header { value, .. } => vec![value.expose()],
            Auth::Basic { password, .. } => vec![password.expose()],
        }
    }
    fn apply(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => rb,
            Auth::Bearer(t) => rb.header("Authorization", format!("Bearer {}", t.expose())),
            Auth::Scheme { scheme, token } => {
                rb.header("Authorization", format!("{scheme} {}", token.expose()))
            }
            Auth::Header { name, value } => rb.header(name.as_str(), value.expose()),
            Auth::Basic { user, password } => rb.basic_auth(user, Some(password.expose())),
        }
    }
}

/// Tunables of one source's client. Defaults suit a public API; tests lower the floors.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Requests in flight at once for this source.
    pub in_flight: usize,
    /// Attempts per request (first try included) for 5xx, timeouts, connection errors and
    /// rate limits.
    pub max_attempts: u32,
    /// The first backoff; doubles each retry, with up to 50% jitter.
    pub backoff_floor: Duration,
    /// The longest single wait for a rate limit reset; a longer one is a `RateLimited`
    /// error rather than a stall.
    pub max_wait: Duration,
    /// Per request.
    pub timeout: Duration,
    /// Requests per second this source may send, shared by its tasks (0: no budget).
    pub rate_per_sec: f64,
    /// Pause when `X-RateLimit-Remaining` falls to this many (the reset is then awaited).
    pub remaining_floor: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            in_flight: 8,
            max_attempts: 5,
            backoff_floor: Duration::from_millis(500),
            max_wait: Duration::from_secs(300),
            timeout: Duration::from_secs(30),
            rate_per_sec: 0.0,
            remaining_floor: 0,
        }
    }
}

/// Counters a connector copies into its coverage entry.
#[derive(Debug, Default)]
pub struct HttpStats {
    pub requests: AtomicU64,
    /// Responses that were a rate limit (429, or 403 with a rate-limit header or body).
    pub throttled: AtomicU64,
    pub retries: AtomicU64,
    /// Conditional GETs answered `304 Not Modified` (served from the ETag cache).
    pub not_modified: AtomicU64,
}

impl HttpStats {
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    pub fn not_modified(&self) -> u64 {
        self.not_modified.load(Ordering::Relaxed)
    }
}

/// The shared rate state of one source: the instant before which nobody sends, and the
/// next free slot of the per-second budget.
#[derive(Debug, Default)]
struct Gate {
    paused_until: Option<Instant>,
    next_slot: Option<Instant>,
    /// When the answers of the last second arrived, to learn the server's rate.
    recent_ok: std::collections::VecDeque<Instant>,
    /// Requests per second learned from the first rate limit (90% of what the server
    /// accepted in the second before it): after one `Retry-After`, the source paces
    /// itself below the limit instead of running into it again.
    learned_rate: Option<f64>,
}

/// A response with its body read.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub url: String,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| HttpError::Malformed {
            url: self.url.clone(),
            message: format!("the body is not JSON: {e}"),
        })
    }
    /// The body as `T`.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| HttpError::Malformed {
            url: self.url.clone(),
            message: format!("unexpected shape: {e}"),
        })
    }
}

/// One source's HTTP client. Cheap to clone; clones share the pool, the in-flight bound,
/// the rate gate and the counters.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    base: String,
    auth: Mutex<Auth>,
    settings: HttpSettings,
    in_flight: Semaphore,
    gate: Mutex<Gate>,
    stats: HttpStats,
    scrubber: Scrubber,
    default_headers: Vec<(String, String)>,
    etags: Option<etag::EtagCache>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("base", &self.inner.scrubber.scrub(&self.inner.base))
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client for `base` (`https://api.github.com`, `http://127.0.0.1:PORT`). Relative
    /// paths given to the request methods are joined to it; absolute URLs (a next link)
    /// are used as they are, but only on the same host as `base`, so that a hostile
    /// `Link` header cannot make the client send the token elsewhere.
    pub fn new(base: &str, auth: Auth, settings: HttpSettings) -> Result<Self, HttpError> {
        let scrubber = Scrubber::default();
        for s in auth.secrets() {
            scrubber.add(s);
        }
        let parsed = reqwest::Url::parse(base).map_err(|e| HttpError::Malformed {
            url: scrubber.scrub(base),
            message: format!("not a URL: {e}"),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(HttpError::Malformed {
                url: scrubber.scrub(base),
                message: "the URL must be http:// or https://".into(),
            });
        }
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("nhiscan/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(settings.in_flight.max(1))
            // A redirect could carry the Authorization header to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| HttpError::Unavailable {
                url: scrubber.scrub(base),
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                client,
                base: base.trim_end_matches('/').to_string(),
                auth: Mutex::new(auth),
                in_flight: Semaphore::new(settings.in_flight.max(1)),
                settings,
                gate: Mutex::new(Gate::default()),
                stats: HttpStats::default(),
                scrubber,
                default_headers: Vec::new(),
                etags: None,
            }),
        })
    }

    /// The same client with headers sent on every request (`Accept`, an API version).
    /// Call before cloning.
    pub fn with_headers(mut self, headers: &[(&str, &str)]) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner
                .default_headers
                .extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        }
        self
    }

    /// The same client sending conditional GETs from `cache` ([`etag`]). Call before
    /// cloning.
    pub fn with_etag_cache(mut self, cache: etag::EtagCache) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.etags = Some(cache);
        }
        self
    }

    /// Replace the credential (after a token exchange); the new value is scrubbed too.
    pub fn set_auth(&self, auth: Auth) {
        for s in auth.secrets() {
            self.inner.scrubber.add(s);
        }
        *self.inner.auth.lock().unwrap_or_else(|p| p.into_inner()) = auth;
    }

    pub fn scrubber(&self) -> &Scrubber {
        &self.inner.scrubber
    }
    pub fn stats(&self) -> &HttpStats {
        &self.inner.stats
    }
    pub fn base(&self) -> &str {
        &self.inner.base
    }

    /// `path` (relative to the base, or an absolute URL on the base's host) as a URL.
    pub fn url(&self, path: &str) -> Result<String, HttpError> {
        if path.starts_with("http://") || path.starts_with("https://") {
            let want = reqwest::Url::parse(&self.inner.base).ok();
            let got = reqwest::Url::parse(path).map_err(|e| HttpError::Malformed {
                url: self.inner.scrubber.scrub(path),
                message: format!("not a URL: {e}"),
            })?;
            let same = want.is_some_and(|w| {
                w.host_str() == got.host_str()
                    && w.port_or_known_default() == got.port_or_known_default()
            });
            if !same {
                return Err(HttpError::Malformed {
                    url: self.inner.scrubber.scrub(path),
                    message: format!(
                        "the API pointed at another host than {}; not followed (the credential is only sent to the configured host)",
                        self.inner.scrubber.scrub(&self.inner.base)
                    ),
                });
            }
            return Ok(path.to_string());
        }
        let sep = if path.starts_with('/') { "" } else { "/" };
        Ok(format!("{}{sep}{path}", self.inner.base))
    }

    /// GET `path` with `query`; a non-2xx answer is an error of its class.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Response, HttpError> {
        self.send(reqwest::Method::GET, path, query, Body::None, true)
            .await
    }

    /// GET without the source's credential (a public endpoint, a pre-signed URL).
    pub async fn get_anonymous(&self, path: &str) -> Result<Response, HttpError> {
        self.send(reqwest::Method::GET, path, &[], Body::None, false)
            .await
    }

    /// POST a JSON body (GraphQL queries, which only read).
    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Response, HttpError> {
        self.send(
            reqwest::Method::POST,
            path,
            &[],
            Body::Json(body.clone()),
            true,
        )
        .await
    }

    /// POST a form without the source's credential (an OAuth token exchange: the client
    /// secret is in the form). `secrets` are added to the scrubber first.
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, String)],
        secrets: &[&str],
    ) -> Result<Response, HttpError> {
        for s in secrets {
            self.inner.scrubber.add(s);
        }
        let form = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        self.send(reqwest::Method::POST, path, &[], Body::Form(form), false)
            .await
    }

    /// POST a JSON body with a bearer token of its own (GitHub's installation token
    /// exchange is authenticated by the App's JWT, not by the installation token).
    pub async fn post_with_bearer(
        &self,
        path: &str,
        bearer: &Secret,
    ) -> Result<Response, HttpError> {
        self.inner.scrubber.add(bearer.expose());
        self.send(
            reqwest::Method::POST,
            path,
            &[],
            Body::Bearer(bearer.clone()),
            false,
        )
        .await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        with_auth: bool,
    ) -> Result<Response, HttpError> {
        let url = self.url(path)?;
        let s = &self.inner.scrubber;
        let out = self
            .send_inner(method, &url, query, &body, with_auth)
            .await
            .map_err(|e| e.scrubbed(s));
        if let Err(e) = &out {
            tracing::debug!(target: "nhiscan::http", "{}", e);
        }
        out
    }

    async fn send_inner(
        &self,
        method: reqwest::Method,
        url: &str,
        query: &[(&str, String)],
        body: &Body,
        with_auth: bool,
    ) -> Result<Response, HttpError> {
        let st = &self.inner.settings;
        let conditional = match &self.inner.etags {
            Some(c)
                if method == reqwest::Method::GET && with_auth && matches!(body, Body::None) =>
            {
                let key = c.key(url, query);
                let cached = c.load(&key);
                Some((c, key, cached))
            }
            _ => None,
        };
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            // The slot is taken after the permit: a task queued for a permit while a
            // pause or a pace began must not go out on a slot handed out before it.
            let _permit =
                self.inner
                    .in_flight
                    .acquire()
                    .await
                    .map_err(|_| HttpError::Unavailable {
                        url: url.to_string(),
                        message: "the client was shut down".into(),
                    })?;
            self.wait_gate().await?;
            let mut rb = self.inner.client.request(method.clone(), url);
            if !query.is_empty() {
                rb = rb.query(query);
            }
            for (k, v) in &self.inner.default_headers {
                rb = rb.header(k.as_str(), v.as_str());
            }
            if with_auth {
                let auth = self
                    .inner
                    .auth
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                rb = auth.apply(rb);
            }
            if let Some((_, _, Some(cached))) = &conditional {
                rb = rb.header("If-None-Match", cached.etag.as_str());
            }
            rb = match body {
                Body::None => rb,
                Body::Json(v) => rb
                    .header("Content-Type", "application/json")
                    .body(v.to_string()),
                Body::Form(f) => rb
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(form_encode(f)),
                Body::Bearer(t) => rb.header("Authorization", format!("Bearer {}", t.expose())),
            };
            self.inner.stats.requests.fetch_add(1, Ordering::Relaxed);
            let sent = rb.send().await;
            drop(_permit);
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    let err = if e.is_timeout() {
                        HttpError::Timeout {
                            url: url.to_string(),
                            message: format!("no answer within {}s", st.timeout.as_secs_f32()),
                        }
                    } else {
                        HttpError::Unavailable {
                            url: url.to_string(),
                            message: error_chain(&e),
                        }
                    };
                    if attempt < st.max_attempts {
                        self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(err);
                }
            };
            let status = resp.status().as_u16();
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .filter_map(|(k, v)| {
                    v.to_str()
                        .ok()
                        .map(|v| (k.as_str().to_string(), v.to_string()))
                })
                .collect();
            let final_url = resp.url().to_string();
            let bytes = match resp.bytes().await {
                Ok(b) => b,
                Err(e) => {
                    if attempt < st.max_attempts {
                        self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(if e.is_timeout() {
                        HttpError::Timeout {
                            url: url.to_string(),
                            message: "the body did not arrive in time".into(),
                        }
                    } else {
                        HttpError::Unavailable {
                            url: url.to_string(),
                            message: format!("the body could not be read: {}", error_chain(&e)),
                        }
                    });
                }
            };
            let r = Response {
                status,
                url: final_url,
                headers,
                body: bytes.to_vec(),
            };
            let limits = RateHeaders::of(&r);
            // Pace by the remaining budget the API reports, whatever the status.
            if let (Some(rem), Some(reset)) = (limits.remaining, limits.reset_in) {
                if rem <= st.remaining_floor && !(200..300).contains(&status) {
                    // handled below as a rate limit
                } else if rem <= st.remaining_floor {
                    self.pause_for(reset);
                }
            }
            if (200..300).contains(&status) {
                self.note_ok();
                if let (Some((cache, key, _)), Some(etag)) = (&conditional, r.header("etag")) {
                    cache.store(key, etag, &r.headers, &r.body);
                }
                return Ok(r);
            }
            if status == 304 {
                if let Some((_, _, Some(cached))) = &conditional {
                    self.note_ok();
                    self.inner
                        .stats
                        .not_modified
                        .fetch_add(1, Ordering::Relaxed);
                    return Ok(Response {
                        status: 200,
                        url: r.url,
                        headers: cached.headers.clone(),
                        body: cached.body.clone().into_bytes(),
                    });
                }
            }
            let message = short_body(&r.body);
            if is_rate_limited(status, &limits, &r.body) {
                self.inner.stats.throttled.fetch_add(1, Ordering::Relaxed);
                let wait = limits
                    .retry_after
                    .or(limits.reset_in)
                    .unwrap_or_else(|| self.backoff(attempt));
                if wait > st.max_wait || attempt >= st.max_attempts {
                    return Err(HttpError::RateLimited {
                        url: url.to_string(),
                        retry_after: Some(wait),
                        message,
                    });
                }
                self.learn_rate();
                self.pause_for(wait);
                self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            match status {
                401 => {
                    return Err(HttpError::Auth {
                        status,
                        url: url.to_string(),
                        message,
                    })
                }
                403 => {
                    return Err(HttpError::Forbidden {
                        url: url.to_string(),
                        message,
                    })
                }
                404 | 410 => {
                    return Err(HttpError::NotFound {
                        status,
                        url: url.to_string(),
                        message,
                    })
                }
                500..=599 => {
                    if attempt < st.max_attempts {
                        self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                        let wait = limits.retry_after.unwrap_or_else(|| self.backoff(attempt));
                        tokio::time::sleep(wait.min(st.max_wait)).await;
                        continue;
                    }
                    return Err(HttpError::Unavailable {
                        url: url.to_string(),
                        message: format!("HTTP {status} after {attempt} attempts: {message}"),
                    });
                }
                _ => {
                    return Err(HttpError::Malformed {
                        url: url.to_string(),
                        message: format!("HTTP {status}: {message}"),
                    })
                }
            }
        }
    }

    /// Exponential backoff from the floor, doubled per attempt, with up to 50% jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.inner.settings.backoff_floor
            * 2u32.saturating_pow(attempt.saturating_sub(1).min(8));
        let jitter = base.mul_f64(fastrand::f64() * 0.5);
        (base + jitter).min(self.inner.settings.max_wait)
    }

    /// Nobody of this source sends before `now + d`.
    fn pause_for(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut g = self.inner.gate.lock().unwrap_or_else(|p| p.into_inner());
        if g.paused_until.map_or(true, |p| p < until) {
            g.paused_until = Some(until);
        }
    }

    fn note_ok(&self) {
        let now = Instant::now();
        let mut g = self.inner.gate.lock().unwrap_or_else(|p| p.into_inner());
        g.recent_ok.push_back(now);
        while g
            .recent_ok
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(1))
        {
            g.recent_ok.pop_front();
        }
    }

    /// On a rate limit: pace at 90% of what the server accepted in the last second (the
    /// lowest rate learned so far wins).
    fn learn_rate(&self) {
        let now = Instant::now();
        let mut g = self.inner.gate.lock().unwrap_or_else(|p| p.into_inner());
        // The other answers of the same burst (sent before the first 429 arrived) say
        // nothing new: learn once per pause.
        if g.paused_until.is_some_and(|p| p > now) {
            return;
        }
        let ok = g
            .recent_ok
            .iter()
            .filter(|t| now.duration_since(**t) <= Duration::from_secs(1))
            .count();
        if ok == 0 {
            return;
        }
        let r = (ok as f64 * 0.9).max(1.0);
        g.learned_rate = Some(g.learned_rate.map_or(r, |l| l.min(r)));
    }

    /// Requests per second this source paces itself at, if any (configured or learned).
    pub fn pace(&self) -> Option<f64> {
        let g = self.inner.gate.lock().unwrap_or_else(|p| p.into_inner());
        let conf = self.inner.settings.rate_per_sec;
        match (conf > 0.0, g.learned_rate) {
            (true, Some(l)) => Some(conf.min(l)),
            (true, None) => Some(conf),
            (false, l) => l,
        }
    }

    /// Wait for a pause to end and for this request's slot of the per-second budget.
    async fn wait_gate(&self) -> Result<(), HttpError> {
        let rate = self.pace().unwrap_or(0.0);
        let wait_until = {
            let mut g = self.inner.gate.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let mut at = g.paused_until.filter(|p| *p > now).unwrap_or(now);
            if rate > 0.0 {
                let step = Duration::from_secs_f64(1.0 / rate);
                let slot = g.next_slot.filter(|s| *s > at).unwrap_or(at);
                g.next_slot = Some(slot + step);
                at = slot;
            }
            at
        };
        let now = Instant::now();
        if wait_until > now {
            tokio::time::sleep(wait_until - now).await;
        }
        Ok(())
    }
}

enum Body {
    None,
    Json(serde_json::Value),
    Form(Vec<(String, String)>),
    Bearer(Secret),
}

fn form_encode(f: &[(String, String)]) -> String {
    f.iter()
        .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// What a response says about the source's rate limit.
#[derive(Debug, Default, Clone, Copy)]
pub struct RateHeaders {
    pub retry_after: Option<Duration>,
    pub remaining: Option<u64>,
    /// Until the limit resets, from `X-RateLimit-Reset` / `X-Rate-Limit-Reset` (epoch
    /// seconds, or seconds from now when the value is small).
    pub reset_in: Option<Duration>,
}

impl RateHeaders {
    pub fn of(r: &Response) -> Self {
        let num = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| r.header(n))
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        let retry_after = r.header("retry-after").and_then(parse_retry_after);
        let remaining = num(&["x-ratelimit-remaining", "x-rate-limit-remaining"]).map(|v| v as u64);
        let reset_in = num(&["x-ratelimit-reset", "x-rate-limit-reset"]).map(|v| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            // Epoch seconds are large; a few digits mean "seconds from now".
            if v > 1_000_000_000.0 {
                Duration::from_secs_f64((v - now).max(0.0))
            } else {
                Duration::from_secs_f64(v.max(0.0))
            }
        });
        RateHeaders {
            retry_after,
            remaining,
            reset_in,
        }
    }
}

/// `Retry-After` as seconds (`120`, `0.5`) or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<f64>() {
        return (s >= 0.0 && s.is_finite()).then(|| Duration::from_secs_f64(s));
    }
    let t = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let d = t.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(d.to_std().unwrap_or(Duration::ZERO))
}

/// 429, or a 403 that says it is a rate limit (GitHub's primary limit sends 403 with
/// `X-RateLimit-Remaining: 0`; its secondary limit a 403 with `Retry-After` or a
/// "secondary rate limit" message).
fn is_rate_limited(status: u16, h: &RateHeaders, body: &[u8]) -> bool {
    match status {
        429 => true,
        403 => {
            h.retry_after.is_some()
                || h.remaining == Some(0)
                || String::from_utf8_lossy(&body[..body.len().min(1024)])
                    .to_ascii_lowercase()
                    .contains("rate limit")
        }
        _ => false,
    }
}

/// The first 300 characters of an error body, on one line.
fn short_body(b: &[u8]) -> String {
    let text = String::from_utf8_lossy(&b[..b.len().min(600)]);
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one.chars().take(300).collect();
    if one.chars().count() > 300 {
        out.push('…');
    }
    if out.is_empty() {
        "(empty body)".into()
    } else {
        out
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests;
