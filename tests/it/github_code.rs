//! Integration tests: the `github` connector's `scan_code` through the real binary. A
//! small GitHub API of our own on 127.0.0.1 (axum) lists the org's repositories with a
//! `clone_url` on the same server, where `git http-backend` (git's own smart-HTTP server,
//! run as CGI) serves bare repositories and accepts only the App's installation token as
//! HTTP Basic credentials, the way GitHub does (`x-access-token:TOKEN`).
//!
//! The org's code holds a private key whose public half is a write deploy key of the
//! org, and a classic token whose last eight characters a SAML credential authorization
//! shows: both joins must appear in the findings.

use crate::support::{fixture, git, nhiscan, write};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The installation token the fake App exchange hands out (fake, test only).
const APP_TOKEN: &str = "ghs_FAKEcodeinstallation000000000000000";

#[derive(Clone)]
struct Srv {
    port: Arc<std::sync::OnceLock<u16>>,
    git_root: PathBuf,
    deploy_key: String,
    token_last_eight: String,
    git_requests: Arc<AtomicUsize>,
    git_unauthorized: Arc<AtomicUsize>,
}

fn user(login: &str, id: u64) -> Value {
    json!({"login": login, "id": id, "type": "User", "site_admin": false})
}

fn ok(v: Value) -> Response {
    (
        StatusCode::OK,
        [("Content-Type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn status(code: StatusCode, msg: &str) -> Response {
    (
        code,
        [("Content-Type", "application/json")],
        json!({"message": msg}).to_string(),
    )
        .into_response()
}

fn repo(s: &Srv, name: &str, id: u64, fork: bool) -> Value {
    let port = s.port.get().copied().unwrap_or(0);
    json!({
        "id": id, "name": name, "full_name": format!("acme/{name}"), "private": true,
        "fork": fork, "archived": false, "default_branch": "main",
        "clone_url": format!("http://127.0.0.1:{port}/git/acme/{name}.git"),
        "owner": user("acme", 1)
    })
}

async fn api(
    State(s): State<Srv>,
    headers: HeaderMap,
    Query(_q): Query<HashMap<String, String>>,
    req: Request<Body>,
) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/git/") {
        return git_cgi(s, headers, req).await;
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {APP_TOKEN}"))
    {
        return status(StatusCode::UNAUTHORIZED, "Bad credentials");
    }
    match path.as_str() {
        "/orgs/acme/members" => ok(json!([user("jdoe", 11), user("jdoe2", 12)])),
        "/orgs/acme/repos" => ok(json!([
            repo(&s, "infra", 103, false),
            repo(&s, "gone", 104, false),
            repo(&s, "upstream-fork", 105, true)
        ])),
        "/repos/acme/infra/keys" => ok(json!([{
            "id": 77, "key": s.deploy_key, "title": "deploy@infra", "verified": true,
            "created_at": "2024-06-01T09:00:00Z", "read_only": false,
            "added_by": "jdoe2", "last_used": "2026-11-29T08:00:00Z", "enabled": true
        }])),
        "/orgs/acme/credential-authorizations" => ok(json!([{
            "login": "jdoe", "credential_id": 161195, "credential_type": "personal access token",
            "token_last_eight": s.token_last_eight, "credential_authorized_at": "2026-01-05T10:00:00Z",
            "scopes": ["repo"], "credential_accessed_at": "2026-11-28T10:00:00Z"
        }])),
        "/orgs/acme/installations" => ok(json!({"total_count": 0, "installations": []})),
        p if p.ends_with("/actions/secrets") => ok(json!({"total_count": 0, "secrets": []})),
        _ => ok(json!([])),
    }
}

async fn graphql() -> Response {
    ok(json!({"data": {"organization": {"samlIdentityProvider": null}}}))
}

async fn app_token() -> Response {
    (
        StatusCode::CREATED,
        [("Content-Type", "application/json")],
        json!({"token": APP_TOKEN, "expires_at": "2099-01-01T00:00:00Z"}).to_string(),
    )
        .into_response()
}

/// `git http-backend` as CGI under `/git/`, behind HTTP Basic auth with the token.
async fn git_cgi(s: Srv, headers: HeaderMap, req: Request<Body>) -> Response {
    s.git_requests.fetch_add(1, Ordering::SeqCst);
    let want = {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{APP_TOKEN}"))
        )
    };
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(want.as_str()) {
        s.git_unauthorized.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::UNAUTHORIZED,
            [("WWW-Authenticate", "Basic realm=\"GitHub\"")],
            "",
        )
            .into_response();
    }
    let path = req.uri().path().trim_start_matches("/git").to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let method = req.method().to_string();
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (ct, enc, proto) = (h("content-type"), h("content-encoding"), h("git-protocol"));
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let root = s.git_root.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("git")
            .arg("http-backend")
            .env("GIT_PROJECT_ROOT", root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("PATH_INFO", path)
            .env("QUERY_STRING", query)
            .env("REQUEST_METHOD", method)
            .env("CONTENT_TYPE", ct)
            .env("CONTENT_LENGTH", body.len().to_string())
            .env("HTTP_CONTENT_ENCODING", enc)
            .env("GIT_PROTOCOL", proto)
            .env("REMOTE_ADDR", "127.0.0.1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&body).unwrap();
        child.wait_with_output().unwrap().stdout
    })
    .await
    .unwrap();
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((i, n)) = split else {
        return status(StatusCode::BAD_GATEWAY, "bad CGI output");
    };
    let head = String::from_utf8_lossy(&out[..i]).to_string();
    let mut b = Response::builder();
    let mut code = StatusCode::OK;
    for line in head.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        if k.eq_ignore_ascii_case("status") {
            code = v
                .split_whitespace()
                .next()
                .and_then(|c| c.parse::<u16>().ok())
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::OK);
        } else {
            b = b.header(k, v);
        }
    }
    b.status(code)
        .body(Body::from(out[i + n..].to_vec()))
        .unwrap()
}

struct Server {
    srv: Srv,
    port: u16,
    _rt: tokio::runtime::Runtime,
}

fn serve(srv: Srv) -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = Router::new()
        .route("/graphql", post(graphql))
        .route("/app/installations/{id}/access_tokens", post(app_token))
        .fallback(api)
        .with_state(srv.clone());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    srv.port.set(port).unwrap();
    rt.spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server { srv, port, _rt: rt }
}

/// A classic token in GitHub's format (`ghp_` and 36 characters), made at run time so
/// that no token-shaped literal sits in the repository.
fn classic_token() -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let seed = std::process::id() as usize;
    let body: String = (0..36)
        .map(|i| alphabet[(seed / (i + 1) + i * 7919) % alphabet.len()] as char)
        .collect();
    format!("{}_{body}", "ghp")
}

/// An ed25519 key pair from ssh-keygen: (private PEM, public line, fingerprint).
fn keypair(dir: &Path) -> (String, String, String) {
    let path = dir.join("leaked_key");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "", "-f"])
        .arg(&path)
        .status()
        .expect("ssh-keygen (openssh-client) is needed by this test");
    assert!(st.success());
    let fp = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(path.with_extension("pub"))
        .output()
        .unwrap();
    let fp = String::from_utf8_lossy(&fp.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let public = std::fs::read_to_string(path.with_extension("pub"))
        .unwrap()
        .trim()
        .to_string();
    let private = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    (private, public, fp)
}

const ROSTER: &str = "employee_id,email,name,status,end_date,type,manager_email,aliases,risk
J1001,john.doe@acme.example,John Doe,terminated,2026-11-20,employee,mia@acme.example,jdoe;github:jdoe,standard
J1002,jane.doe@acme.example,Jane Doe,active,,employee,mia@acme.example,github:jdoe2,standard
J1004,mia@acme.example,Mia Manager,active,,employee,,mia,standard
";

struct Env {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    cfg: PathBuf,
    server: Server,
    token: String,
    fp: String,
}

fn setup() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().to_path_buf();
    let (private, public, fp) = keypair(&d);
    let token = classic_token();
    // jdoe commits the deploy key's private half and a token; a later commit deletes
    // the key from the tree, so only history holds it.
    let work = d.join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q"], None);
    let jdoe = ("John Doe", "john.doe@acme.example", "2026-03-01T10:00:00Z");
    write(&work, "deploy/id_ed25519", &private);
    write(
        &work,
        "scripts/release.sh",
        &format!("#!/bin/sh\nexport GH_TOKEN={token}\n"),
    );
    write(&work, "README.md", "infra\n");
    git(&work, &["add", "."], None);
    git(&work, &["commit", "-q", "-m", "deploy tooling"], Some(jdoe));
    git(&work, &["rm", "-q", "deploy/id_ed25519"], None);
    git(&work, &["commit", "-q", "-m", "remove key"], Some(jdoe));
    let root = d.join("srv");
    std::fs::create_dir_all(root.join("acme")).unwrap();
    git(
        &d,
        &["clone", "-q", "--bare", "work", "srv/acme/infra.git"],
        None,
    );
    git(
        &d,
        &[
            "clone",
            "-q",
            "--bare",
            "work",
            "srv/acme/upstream-fork.git",
        ],
        None,
    );
    let last8 = token[token.len() - 8..].to_string();
    let srv = Srv {
        port: Arc::default(),
        git_root: root,
        deploy_key: public,
        token_last_eight: last8,
        git_requests: Arc::default(),
        git_unauthorized: Arc::default(),
    };
    let server = serve(srv);
    write(&d, "roster.csv", ROSTER);
    let cfg = d.join("nhiscan.toml");
    std::fs::write(
        &cfg,
        format!(
            "[hr]\nroster = \"roster.csv\"\n\n[[connector]]\ntype = \"github\"\norg = \"acme\"\napi_url = \"http://127.0.0.1:{}\"\nbackoff_floor_ms = 20\napp_id = 4242\ninstallation_id = 99\nprivate_key_path = {:?}\nscan_code = true\ncache_dir = \"cache\"\n",
            server.port,
            fixture("github").join("app-key.pem")
        ),
    )
    .unwrap();
    Env {
        _tmp: tmp,
        dir: d,
        cfg,
        server,
        token,
        fp,
    }
}

fn run(e: &Env, args: &[&str], out: &str) -> (Value, String, String, i32) {
    let path = e.dir.join(out);
    let o = nhiscan()
        .current_dir(&e.dir)
        .args(args)
        .args(["--no-progress", "-q", "-c"])
        .arg(&e.cfg)
        .arg("-o")
        .arg(&path)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    (
        serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
        String::from_utf8_lossy(&o.stderr).to_string(),
        o.status.code().unwrap_or(-1),
    )
}

fn findings<'a>(v: &'a Value, kind: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["kind"] == kind).collect())
        .unwrap_or_default()
}

#[test]
fn scan_code_fetches_the_orgs_history_and_joins_leaked_keys_and_tokens_to_what_they_open() {
    let e = setup();
    let (v, text, stderr, code) = run(&e, &["leaver", "john.doe@acme.example"], "f1.json");
    let cov = v["coverage"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["connector"] == "github:acme"))
        .unwrap_or_else(|| panic!("coverage\n{stderr}\n{text}"));
    // `gone` has no repository behind its clone_url: partial, named, exit 3.
    assert_eq!(code, 3, "{stderr}\n{cov}");
    assert_eq!(cov["status"], "partial", "{cov}");
    let errors = cov["errors"].to_string();
    assert!(
        errors.contains("acme/gone") && errors.contains("NOT scanned"),
        "{errors}"
    );
    assert!(!errors.contains("acme/infra"), "{errors}");
    // The fork is left out on purpose, and counted.
    assert_eq!(cov["skipped"]["code_fork_repository"], 1, "{cov}");
    assert!(cov["bytes_scanned"].as_u64().unwrap_or(0) > 0, "{cov}");

    // The private key, deleted from the tree, found in history with its author.
    let secrets = findings(&v, "secret_in_repo");
    let key = secrets
        .iter()
        .find(|f| {
            f["resource"]
                .as_str()
                .unwrap_or("")
                .contains("deploy/id_ed25519")
        })
        .unwrap_or_else(|| panic!("the committed private key\n{text}"));
    assert_eq!(key["connector"], "github:acme");
    assert!(
        key["resource"].as_str().unwrap().starts_with("acme/infra@"),
        "{key}"
    );
    assert_eq!(key["location"]["author_email"], "john.doe@acme.example");
    assert_eq!(key["location"]["in_head"], false);
    assert_eq!(key["owner"], "john.doe@acme.example");
    // ...joined to the write deploy key its public half is.
    assert_eq!(
        key["attributes"]["joined_to"], "acme/infra#deploy_key:77",
        "{key}"
    );
    // The deploy key was added by an active engineer, but the leaver committed its
    // private half: they can still write to the repository.
    let dk = findings(&v, "github_deploy_key");
    let dk = dk
        .iter()
        .find(|f| f["resource"] == "acme/infra#deploy_key:77")
        .unwrap_or_else(|| panic!("the deploy key, tied to the leaver by the leak\n{text}"));
    assert_eq!(dk["relation"], "has_access", "{dk}");
    assert!(
        dk["evidence"].to_string().contains("deploy/id_ed25519"),
        "{dk}"
    );

    // The token in a script, joined to the SSO authorization showing its last eight.
    let tok = secrets
        .iter()
        .find(|f| {
            f["resource"]
                .as_str()
                .unwrap_or("")
                .contains("scripts/release.sh")
        })
        .unwrap_or_else(|| panic!("the committed token\n{text}"));
    assert_eq!(
        tok["attributes"]["joined_to"], "acme#credential_authorization:161195",
        "{tok}"
    );
    let ca = findings(&v, "github_credential_authorization");
    assert!(
        ca.iter().any(|f| f["attributes"]["leaked_in"]
            .as_str()
            .unwrap_or("")
            .contains("scripts/release.sh")),
        "{ca:?}"
    );

    // git presented the token as Basic credentials; it is in no output, no cache config.
    assert!(e.server.srv.git_requests.load(Ordering::SeqCst) > 0);
    assert!(!text.contains(APP_TOKEN) && !stderr.contains(APP_TOKEN));
    assert!(!text.contains(&e.token) && !stderr.contains(&e.token));
    assert!(
        !text.contains(&e.fp) || text.contains("deploy_key"),
        "fingerprints are public"
    );
    let cache_cfg = std::fs::read_to_string(e.dir.join(format!(
        "cache/127.0.0.1_{}/acme/infra.git/config",
        e.server.port
    )))
    .unwrap();
    assert!(!cache_cfg.contains(APP_TOKEN) && !cache_cfg.contains("x-access-token"));

    // A rerun fetches into the cache incrementally and gives the same ids.
    let (v2, _, stderr2, code2) = run(&e, &["leaver", "john.doe@acme.example"], "f2.json");
    assert_eq!(code2, 3, "{stderr2}");
    let ids = |v: &Value| {
        let mut ids: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&v), ids(&v2));
}

#[test]
fn a_repository_that_cannot_be_fetched_is_never_scanned_clean() {
    let e = setup();
    let cfg = std::fs::read_to_string(&e.cfg).unwrap();
    std::fs::write(&e.cfg, format!("{cfg}repos = [\"infra\"]\n")).unwrap();
    // The API lists the repository, but git finds nothing behind its clone_url.
    std::fs::rename(e.dir.join("srv"), e.dir.join("srv-away")).unwrap();
    let (v, text, stderr, code) = run(&e, &["sweep"], "f3.json");
    assert_eq!(code, 3, "{stderr}\n{text}");
    let cov = v["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["connector"] == "github:acme")
        .unwrap();
    assert_eq!(cov["status"], "partial");
    let errors = cov["errors"].to_string();
    assert!(
        errors.contains("acme/infra") && errors.contains("NOT scanned"),
        "{cov}"
    );
    assert!(findings(&v, "secret_in_repo").is_empty());
    assert!(!text.contains(APP_TOKEN) && !stderr.contains(APP_TOKEN));
}
