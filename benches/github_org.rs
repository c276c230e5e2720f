//! Crawl benchmark of the `github` connector through the real binary: a GitHub API of our
//! own on 127.0.0.1 serving an org of R repositories (100 per page), M members, and per
//! repository its deploy keys, webhooks, Actions secrets and collaborators, every answer
//! after 20 ms and with an `ETag`. Reports the wall time of a `sweep` against the
//! concurrency-limited ideal (requests x 20 ms / requests in flight), requests per
//! repository, the binary's peak memory, and a rerun where every unchanged answer is a
//! `304 Not Modified` (requests that cost no quota).
//!
//! `cargo bench --bench github_org` (R=5000, M=200, 32 in flight); under `cargo test` it
//! runs R=60 once as a smoke test.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "ghs_FAKEbenchinstallation000000000000000";
const LATENCY: Duration = Duration::from_millis(20);

#[derive(Clone)]
struct Srv {
    repos: usize,
    members: usize,
    port: u16,
    served: Arc<AtomicU64>,
    not_modified: Arc<AtomicU64>,
}

fn user(login: &str, id: usize) -> Value {
    json!({"login": login, "id": id, "type": "User", "site_admin": false})
}

fn link(s: &Srv, path: &str, page: usize, last: usize) -> Option<String> {
    (page < last).then(|| {
        format!(
            "<http://127.0.0.1:{}{path}?per_page=100&page={}>; rel=\"next\"",
            s.port,
            page + 1
        )
    })
}

async fn api(
    State(s): State<Srv>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    req: Request<Body>,
) -> Response {
    tokio::time::sleep(LATENCY).await;
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {TOKEN}"))
    {
        return (
            StatusCode::UNAUTHORIZED,
            "{\"message\":\"Bad credentials\"}",
        )
            .into_response();
    }
    let path = req.uri().path().to_string();
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let (body, next): (Value, Option<String>) = match path.as_str() {
        "/orgs/acme/members" => {
            if q.get("role").map(String::as_str) == Some("admin") {
                (json!([user("owner-0", 1)]), None)
            } else {
                let last = s.members.div_ceil(100).max(1);
                let v: Vec<Value> = (0..s.members)
                    .skip((page - 1) * 100)
                    .take(100)
                    .map(|i| user(&format!("dev-{i}"), 1000 + i))
                    .collect();
                (json!(v), link(&s, &path, page, last))
            }
        }
        "/orgs/acme/repos" => {
            let last = s.repos.div_ceil(100).max(1);
            let v: Vec<Value> = (0..s.repos)
                .skip((page - 1) * 100)
                .take(100)
                .map(|i| {
                    json!({"id": 10_000 + i, "name": format!("repo-{i}"),
                        "full_name": format!("acme/repo-{i}"), "private": true,
                        "fork": false, "archived": false, "default_branch": "main"})
                })
                .collect();
            (json!(v), link(&s, &path, page, last))
        }
        "/orgs/acme/credential-authorizations" => {
            return (StatusCode::NOT_FOUND, "{\"message\":\"Not Found\"}").into_response()
        }
        "/orgs/acme/installations" => (json!({"total_count": 0, "installations": []}), None),
        p if p.ends_with("/actions/secrets") => (json!({"total_count": 0, "secrets": []}), None),
        p if p.ends_with("/keys") && p.starts_with("/repos/") => {
            let n: usize = p
                .trim_start_matches("/repos/acme/repo-")
                .trim_end_matches("/keys")
                .parse()
                .unwrap_or(0);
            let v = if n % 10 == 0 {
                json!([{"id": n, "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDV2dMs2ZTM4cN2vEe6rAPO2IT/nt5W1Ht4e3xnKUKwH",
                    "title": "deploy", "verified": true, "created_at": "2024-06-01T09:00:00Z",
                    "read_only": n % 20 == 0, "added_by": format!("dev-{}", n % s.members.max(1)),
                    "last_used": "2026-11-29T08:00:00Z", "enabled": true}])
            } else {
                json!([])
            };
            (v, None)
        }
        _ => (json!([]), None),
    };
    let text = body.to_string();
    let tag = format!(
        "W/\"{}\"",
        &nhiscan::model::SecretBytes::new(format!("{text}{next:?}").into_bytes()).sha256_hex()
            [..16]
    );
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(tag.as_str()) {
        s.not_modified.fetch_add(1, Ordering::Relaxed);
        return (StatusCode::NOT_MODIFIED, [("ETag", tag)]).into_response();
    }
    s.served.fetch_add(1, Ordering::Relaxed);
    let mut b = Response::builder()
        .header("Content-Type", "application/json")
        .header("ETag", tag)
        .header("X-RateLimit-Remaining", "4999");
    if let Some(l) = next {
        b = b.header("Link", l);
    }
    b.body(Body::from(text)).unwrap()
}

async fn graphql() -> Response {
    tokio::time::sleep(LATENCY).await;
    (
        [("Content-Type", "application/json")],
        json!({"data": {"organization": {"samlIdentityProvider": null}}}).to_string(),
    )
        .into_response()
}

async fn app_token() -> Response {
    (
        StatusCode::CREATED,
        [("Content-Type", "application/json")],
        json!({"token": TOKEN, "expires_at": "2099-01-01T00:00:00Z"}).to_string(),
    )
        .into_response()
}

/// Run the binary; (wall, exit code, peak RSS in MB from /proc polling).
fn run(dir: &Path, cfg: &Path) -> (Duration, i32, f64) {
    let start = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_nhiscan"))
        .current_dir(dir)
        .args(["sweep", "--no-progress", "-q", "-c"])
        .arg(cfg)
        .arg("-o")
        .arg(dir.join("findings.json"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the nhiscan binary");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let code = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(l) = text.lines().find(|l| l.starts_with("VmHWM:")) {
                let kb: u64 = l
                    .split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                peak_kb = peak_kb.max(kb);
            }
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st.code().unwrap_or(-1);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (start.elapsed(), code, peak_kb as f64 / 1024.0)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (repos, members, in_flight) = if bench { (5000, 200, 32) } else { (60, 20, 16) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let srv = Srv {
        repos,
        members,
        port,
        served: Arc::default(),
        not_modified: Arc::default(),
    };
    let app = Router::new()
        .route("/graphql", post(graphql))
        .route("/app/installations/{id}/access_tokens", post(app_token))
        .fallback(api)
        .with_state(srv.clone());
    rt.spawn(async move { axum::serve(listener, app).await.ok() });

    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("roster.csv"),
        "employee_id,email,name,status,end_date,type,manager_email,aliases,risk\nE1,owner@acme.example,Owner,active,,employee,,github:owner-0,standard\n",
    )
    .unwrap();
    let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github/app-key.pem");
    let cfg = d.join("nhiscan.toml");
    std::fs::write(
        &cfg,
        format!(
            "[hr]\nroster = \"roster.csv\"\n\n[[connector]]\ntype = \"github\"\norg = \"acme\"\napi_url = \"http://127.0.0.1:{port}\"\napp_id = 1\ninstallation_id = 2\nprivate_key_path = {key:?}\nmax_in_flight = {in_flight}\nrepo_concurrency = {in_flight}\ncache_dir = \"cache\"\nbackoff_floor_ms = 50\n"
        ),
    )
    .unwrap();

    let (wall, code, peak) = run(d, &cfg);
    let served = srv.served.swap(0, Ordering::Relaxed);
    // Each request waits 20 ms on the server; at most `in_flight` at once.
    let ideal = LATENCY.as_secs_f64() * served as f64 / in_flight as f64;
    println!(
        "github_org: {repos} repositories, {members} members, {in_flight} in flight, 20 ms per request"
    );
    println!(
        "  first run: {:.2}s wall, ideal {:.2}s ({:.2}x), {served} requests ({:.2} per repository), peak RSS {peak:.0} MB, exit {code}",
        wall.as_secs_f64(),
        ideal,
        wall.as_secs_f64() / ideal,
        served as f64 / repos as f64,
    );
    let (wall2, code2, peak2) = run(d, &cfg);
    let served2 = srv.served.load(Ordering::Relaxed);
    let nm = srv.not_modified.load(Ordering::Relaxed);
    println!(
        "  rerun:     {:.2}s wall, {} requests: {nm} answered 304 Not Modified (no quota), {served2} in full; peak RSS {peak2:.0} MB, exit {code2}",
        wall2.as_secs_f64(),
        nm + served2,
    );
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("findings.json")).unwrap()).unwrap();
    let keys = v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| f["kind"] == "github_deploy_key")
                .count()
        })
        .unwrap_or(0);
    println!("  deploy keys reported: {keys} of {}", repos.div_ceil(10));
    let complete = v["coverage"]
        .as_array()
        .is_some_and(|c| c.iter().all(|c| c["status"] == "complete"));
    assert!(complete, "the crawl is complete: {}", v["coverage"]);
    // Exit 1: findings (the deploy keys of people outside HR), never 3 (incomplete).
    assert_eq!((code, code2), (1, 1));
    assert_eq!(keys, repos.div_ceil(10), "every page was read");
    assert!(nm > served2, "the rerun is mostly 304s");
}
