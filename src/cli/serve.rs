//! `nhiscan serve`: a small HTTP receiver for HR events, so that a termination opens a
//! case within seconds instead of at the next `offboard` run.
//!
//! - **Authentication**: every request carries either `X-Nhiscan-Signature:
//!   sha256=<hex HMAC-SHA256 of the raw body>` keyed with `$NHISCAN_WEBHOOK_SECRET`, or
//!   `Authorization: Bearer $NHISCAN_SERVE_TOKEN`. Anything else is 401 with no side
//!   effect. At least one of the two variables must be set or `serve` does not start.
//! - **Events**: `POST /events` takes a CloudEvents 1.0 JSON event (`specversion`, `id`,
//!   `source`, `type`, `data` naming the person) or a minimal HR webhook (`event_id`,
//!   `employee_id` or `email`, `changed_fields`). SCIM 2.0 for an identity provider's
//!   provisioning: `GET /scim/v2/Users?filter=userName eq "..."` and `GET
//!   /scim/v2/Users/{id}` answered from the roster, and `POST`, `PUT` and `PATCH` of a
//!   user setting `active: false`: the termination.
//! - **Durability**: an accepted event is written to the state store before the 2xx
//!   answer; a repeated event id is the same event (200, nothing new). A bounded worker
//!   opens the case and runs the leaver scan; events still pending when the process
//!   stops are processed at the next start (or by `offboard`).
//!
//! Listens on 127.0.0.1 by default; run it behind a TLS-terminating proxy to expose it.

use super::offboard::{open_store, StateArg};
use super::{setup, usage, Global, EXIT_CLEAN};
use crate::config::Config;
use crate::hr::{Directory, PersonStatus};
use crate::state::Store;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use clap::Args;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Condvar, Mutex};

/// The HMAC key's environment variable.
pub const SECRET_ENV: &str = "NHISCAN_WEBHOOK_SECRET";
/// The bearer token's environment variable.
pub const TOKEN_ENV: &str = "NHISCAN_SERVE_TOKEN";
/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-nhiscan-signature";
/// Largest request body accepted.
const MAX_BODY: usize = 1 << 20;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Only receive and store events; process them later (`offboard`, or `serve`
    /// without this flag).
    #[arg(long)]
    pub receive_only: bool,
    #[command(flatten)]
    pub state: StateArg,
}

/// Credentials requests are checked against (never printed).
struct Auth {
    secret: Option<Vec<u8>>,
    token: Option<Vec<u8>>,
}

struct App {
    auth: Auth,
    store: Mutex<Store>,
    roster: Mutex<Option<Directory>>,
    wake: Arc<(Mutex<bool>, Condvar)>,
}

/// Constant-time equality (no early exit on the first differing byte).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Auth {
    fn check(&self, headers: &HeaderMap, body: &[u8]) -> bool {
        if let (Some(key), Some(sig)) = (
            &self.secret,
            headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()),
        ) {
            let given = sig.trim().strip_prefix("sha256=").unwrap_or(sig.trim());
            if let Ok(given) = hex::decode(given) {
                if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) {
                    mac.update(body);
                    if mac.verify_slice(&given).is_ok() {
                        return true;
                    }
                }
            }
        }
        if let (Some(token), Some(h)) = (
            &self.token,
            headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
        ) {
            if let Some(given) = h.trim().strip_prefix("Bearer ") {
                return same(given.trim().as_bytes(), token);
            }
        }
        false
    }
}

fn env_bytes(name: &str) -> Option<Vec<u8>> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().as_bytes().to_vec())
        .filter(|v| !v.is_empty())
}

pub fn run(g: &Global, a: &ServeArgs) -> anyhow::Result<ExitCode> {
    let auth = Auth {
        secret: env_bytes(SECRET_ENV),
        token: env_bytes(TOKEN_ENV),
    };
    if auth.secret.is_none() && auth.token.is_none() {
        return Err(usage(format!(
            "serve needs a shared secret: set {SECRET_ENV} (HMAC-SHA256 of the body in the {SIGNATURE_HEADER} header) or {TOKEN_ENV} (Authorization: Bearer)"
        )));
    }
    let cfg = setup::load_config(g)?;
    let store = open_store(&a.state, cfg.as_ref())?;
    let store_path = store.path().to_path_buf();
    let roster = setup::load_directory(g, cfg.as_ref())?.map(|(d, _)| d);
    let wake = Arc::new((Mutex::new(true), Condvar::new()));
    let app = Arc::new(App {
        auth,
        store: Mutex::new(store),
        roster: Mutex::new(roster),
        wake: wake.clone(),
    });

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(a.listen))
        .map_err(|e| usage(format!("cannot listen on {}: {e}", a.listen)))?;
    let addr = listener.local_addr()?;
    super::out(&format!(
        "nhiscan serve: listening on http://{addr} (store {})\n",
        store_path.display()
    ));

    if !a.receive_only {
        // One worker, in its own thread: scans are CPU and disk work, never on the
        // runtime that answers requests.
        let g = g.clone();
        let cfg = cfg.clone();
        let path = store_path.clone();
        std::thread::spawn(move || worker(&g, cfg.as_ref(), &path, &wake));
    }

    let router = axum::Router::new()
        .fallback(handle)
        .with_state(app)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY));
    rt.block_on(async move { axum::serve(listener, router).await })?;
    Ok(ExitCode::from(EXIT_CLEAN))
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn handle(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !app.auth.check(&headers, &body) {
        tracing::warn!(
            path = uri.path(),
            "serve: request refused (no valid signature or token)"
        );
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({"error": "unauthenticated: sign the body or send the bearer token"}),
        );
    }
    let path = uri.path().trim_end_matches('/').to_string();
    let query = uri.query().map(str::to_string);
    let app2 = app.clone();
    let result =
        tokio::task::spawn_blocking(move || route(&app2, &method, path, query.as_deref(), &body))
            .await;
    match result {
        Ok(r) => r,
        Err(e) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": format!("handler failed: {e}")}),
        ),
    }
}

fn route(app: &App, method: &Method, path: String, query: Option<&str>, body: &[u8]) -> Response {
    let parsed: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => Some(v),
            Err(e) => {
                return reply(
                    StatusCode::BAD_REQUEST,
                    json!({"error": format!("body is not JSON: {e}")}),
                )
            }
        }
    };
    let scim_user = path.strip_prefix("/scim/v2/Users");
    match (method.as_str(), path.as_str(), scim_user) {
        ("POST", "/events", _) => match parsed.as_ref().and_then(|v| event_of(v, body)) {
            Some((id, source, person)) => accept(app, &id, &source, &person, body),
            None => reply(
                StatusCode::BAD_REQUEST,
                json!({"error": "not a CloudEvents 1.0 event or an HR webhook naming a person (employee_id or email)"}),
            ),
        },
        ("GET", _, Some("")) => scim_list(app, query),
        ("GET", _, Some(rest)) => scim_get(app, rest.trim_start_matches('/')),
        ("POST", _, Some("")) | ("PUT", _, Some(_)) | ("PATCH", _, Some(_)) => {
            let Some(v) = parsed else {
                return reply(
                    StatusCode::BAD_REQUEST,
                    json!({"error": "a SCIM request needs a JSON body"}),
                );
            };
            let id = scim_user.unwrap_or("").trim_start_matches('/');
            let person = if id.is_empty() {
                v.get("userName")
                    .or_else(|| v.get("externalId"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            } else {
                id.to_string()
            };
            if !scim_deactivates(method.as_str(), &v) {
                // Provisioning that does not end access: acknowledged, nothing stored.
                return reply(
                    StatusCode::OK,
                    scim_resource(app, &person).unwrap_or(json!({"id": person})),
                );
            }
            let digest = hex::encode(Sha256::digest(
                [method.as_str().as_bytes(), path.as_bytes(), body].concat(),
            ));
            accept(app, &format!("scim:{digest}"), "scim", &person, body)
        }
        _ => reply(StatusCode::NOT_FOUND, json!({"error": "no such endpoint"})),
    }
}

/// The event id, source and person of a CloudEvents event or an HR webhook.
fn event_of(v: &Value, body: &[u8]) -> Option<(String, String, String)> {
    fn s(x: Option<&Value>) -> Option<&str> {
        x.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
    let person_in = |d: &Value| {
        s(d.get("employee_id"))
            .or_else(|| s(d.get("employeeId")))
            .or_else(|| s(d.get("email")))
            .or_else(|| s(d.get("userName")))
            .map(str::to_string)
    };
    if s(v.get("specversion")).is_some() {
        let id = s(v.get("id"))?;
        let source = s(v.get("source")).unwrap_or("cloudevents");
        let person = v
            .get("data")
            .and_then(person_in)
            .or_else(|| s(v.get("subject")).map(str::to_string))?;
        return Some((
            format!("{source}#{id}"),
            format!("cloudevents:{}", s(v.get("type")).unwrap_or("")),
            person,
        ));
    }
    let person = person_in(v)?;
    let id = s(v.get("event_id"))
        .or_else(|| s(v.get("id")))
        .map(str::to_string)
        .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(body))));
    Some((format!("webhook#{id}"), "webhook".to_string(), person))
}

/// Whether a SCIM write ends the user's access (`active` set to false).
fn scim_deactivates(method: &str, v: &Value) -> bool {
    let is_false = |x: &Value| match x {
        Value::Bool(b) => !b,
        Value::String(s) => s.eq_ignore_ascii_case("false"),
        _ => false,
    };
    if method != "PATCH" {
        return v.get("active").is_some_and(is_false);
    }
    v.get("Operations")
        .and_then(Value::as_array)
        .is_some_and(|ops| {
            ops.iter().any(|op| {
                let path = op.get("path").and_then(Value::as_str).unwrap_or("");
                let value = op.get("value");
                (path.eq_ignore_ascii_case("active") && value.is_some_and(is_false))
                    || (path.is_empty()
                        && value.and_then(|x| x.get("active")).is_some_and(is_false))
            })
        })
}

/// Store the event (before answering), then wake the worker.
fn accept(app: &App, id: &str, source: &str, person: &str, body: &[u8]) -> Response {
    let payload = json!({
        "person": person,
        "body": String::from_utf8_lossy(body),
    })
    .to_string();
    let stored = {
        let mut store = app.store.lock().unwrap_or_else(|e| e.into_inner());
        store.record_event(id, source, &payload, Utc::now())
    };
    match stored {
        Ok(true) => {
            let (lock, cv) = &*app.wake;
            *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
            cv.notify_one();
            reply(
                StatusCode::ACCEPTED,
                json!({"event": id, "status": "queued"}),
            )
        }
        Ok(false) => reply(StatusCode::OK, json!({"event": id, "status": "duplicate"})),
        Err(e) => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": format!("event not stored, retry: {e:#}")}),
        ),
    }
}

fn scim_resource(app: &App, who: &str) -> Option<Value> {
    let roster = app.roster.lock().unwrap_or_else(|e| e.into_inner());
    let dir = roster.as_ref()?;
    let found = dir.find_all(who);
    let p = dir.people.get(*found.first()?)?;
    Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": p.employee_id,
        "userName": p.email,
        "active": p.status != PersonStatus::Terminated,
        "name": {"formatted": p.name},
        "emails": [{"value": p.email, "primary": true}],
    }))
}

fn scim_get(app: &App, id: &str) -> Response {
    match scim_resource(app, id) {
        Some(r) => reply(StatusCode::OK, r),
        None => reply(
            StatusCode::NOT_FOUND,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404", "detail": "no such user"}),
        ),
    }
}

/// `filter=userName eq "x"` (the one filter provisioning clients send to find a user).
fn scim_list(app: &App, query: Option<&str>) -> Response {
    let filter = query
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "filter")
        .map(|(_, v)| {
            urlencoding::decode(&v.replace('+', " "))
                .map(|s| s.into_owned())
                .unwrap_or_default()
        });
    let wanted = filter.as_deref().and_then(|f| {
        let (attr, rest) = f.trim().split_once(' ')?;
        let (op, value) = rest.trim().split_once(' ')?;
        (attr.eq_ignore_ascii_case("userName") && op.eq_ignore_ascii_case("eq"))
            .then(|| value.trim().trim_matches('"').to_string())
    });
    let resources: Vec<Value> = match &wanted {
        Some(w) => scim_resource(app, w).into_iter().collect(),
        None if filter.is_some() => {
            return reply(
                StatusCode::BAD_REQUEST,
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400", "scimType": "invalidFilter", "detail": "only userName eq \"...\" is supported"}),
            )
        }
        None => Vec::new(),
    };
    reply(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": resources.len(),
            "startIndex": 1,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

/// Process stored events until the process ends: open each one's case and run its
/// leaver scan. Woken by each accepted event, and every few seconds for events whose
/// person the roster did not know yet.
fn worker(g: &Global, cfg: Option<&Config>, path: &std::path::Path, wake: &(Mutex<bool>, Condvar)) {
    let (lock, cv) = wake;
    loop {
        {
            let mut pending = lock.lock().unwrap_or_else(|e| e.into_inner());
            if !*pending {
                let (p, _) = cv
                    .wait_timeout(pending, std::time::Duration::from_secs(5))
                    .unwrap_or_else(|e| e.into_inner());
                pending = p;
            }
            *pending = false;
        }
        if let Err(e) = process_pending(g, cfg, path) {
            tracing::error!("serve: processing events failed: {e:#}");
        }
    }
}

/// Open a case and run a leaver scan for every stored, unprocessed event whose person
/// the roster knows. Also called by `offboard`. Returns how many were processed.
pub fn process_pending(
    g: &Global,
    cfg: Option<&Config>,
    path: &std::path::Path,
) -> anyhow::Result<usize> {
    let mut store = Store::open(path)?;
    let events = store.pending_events()?;
    if events.is_empty() {
        return Ok(0);
    }
    let Some((directory, warnings)) = setup::load_directory(g, cfg)? else {
        anyhow::bail!("events are waiting but there is no HR roster to resolve them against");
    };
    let mut done = 0;
    // Cases first (one per person), then one crawl for all of them.
    let mut opened: Vec<(String, usize, crate::state::Case)> = Vec::new();
    for (id, source, payload) in events {
        let person = serde_json::from_str::<Value>(&payload)
            .ok()
            .and_then(|v| v.get("person").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        let found = directory.find_all(&person);
        let [idx] = found.as_slice() else {
            tracing::warn!(event = %id, "serve: event names {} people in the roster for {person:?}; kept for the next roster", found.len());
            continue;
        };
        let p = &directory.people[*idx];
        // A webhook only says something changed: it is a termination when the roster
        // says so. SCIM and CloudEvents terminations are terminations.
        if source == "webhook" && p.status != PersonStatus::Terminated && p.end_date.is_none() {
            store.mark_event_processed(&id, None, Utc::now())?;
            done += 1;
            continue;
        }
        let (case, _) =
            super::offboard::open_case_for(&mut store, cfg, p, &format!("event:{id}"), Utc::now())?;
        opened.push((id, *idx, case));
    }
    // One scan per case, however many events named the person.
    let mut cases: Vec<(usize, &crate::state::Case)> = Vec::new();
    for (_, idx, case) in &opened {
        if !cases.iter().any(|(_, c)| c.id == case.id) {
            cases.push((*idx, case));
        }
    }
    if !cases.is_empty() {
        super::offboard::scan_cases(
            g,
            cfg,
            &mut store,
            directory,
            warnings,
            &cases,
            false,
            Utc::now(),
        )?;
    }
    for (id, _, case) in &opened {
        store.mark_event_processed(id, Some(case.id), Utc::now())?;
        tracing::info!(event = %id, case = case.id, "serve: case opened and scanned");
        done += 1;
    }
    Ok(done)
}
