//! Integration tests: the `github` connector through the real binary against a small
//! GitHub API of our own on 127.0.0.1 (axum). It replays responses shaped after GitHub's
//! published REST description (`github/rest-api-description` examples), pages lists with
//! `Link` headers (members over two pages, repositories over three, a deploy key on the
//! third), answers one request with a 429 and `Retry-After`, one with a 500, one with
//! malformed JSON, a 404 for the Enterprise-only credential authorizations and a 403 for
//! the App-only fine-grained PAT endpoints when called with a token.

use crate::support::{fixture, nhiscan, write};
use axum::body::Body;
use axum::extract::{Path as AxPath, Query, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Fake test-only token: the server accepts it, the findings file must never show it.
const TOKEN: &str = "ghp_FAKEtesttoken0000000000000000000000";
/// The installation token the fake App exchange hands out.
const APP_TOKEN: &str = "ghs_FAKEinstallation00000000000000000000";

/// jdoe's public key (on GitHub and, without a comment, in a host's authorized_keys).
const KEY_JDOE: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMoLCaQ2O6Nv9IaZvpFbBcfDw/tb4nwOKU9dJBePfI4/";
const KEY_JDOE_FP: &str = "SHA256:E9vcap7dvrRnqHXNfb6O5oy/Tlt76R7M+ugas+bLXwc";
/// The deploy key jdoe2 (an active engineer) added.
const KEY_JDOE2_DEPLOY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHivCTzrI7D5reb5RDTtMEbBK7yQixc9N944P02rZRob";
/// The write deploy key jdoe (the leaver) added.
const KEY_JDOE_DEPLOY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDV2dMs2ZTM4cN2vEe6rAPO2IT/nt5W1Ht4e3xnKUKwH";

#[derive(Clone, Default)]
struct Srv {
    port: Arc<std::sync::OnceLock<u16>>,
    /// Fine-grained PAT endpoints answer (an App installation token) or 403 (a token).
    pats_ok: bool,
    hits: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
    unauthorized: Arc<AtomicUsize>,
    jwt_seen: Arc<Mutex<Option<String>>>,
}

impl Srv {
    fn hit(&self, path: &str) -> usize {
        let mut h = self.hits.lock().unwrap();
        let v = h.entry(path.to_string()).or_default();
        v.push(Instant::now());
        v.len()
    }
    fn link(&self, path: &str, page: u32, last: u32) -> Option<String> {
        let port = self.port.get().copied().unwrap_or(0);
        (page < last).then(|| {
            format!(
                "<http://127.0.0.1:{port}{path}?per_page=100&page={}>; rel=\"next\", <http://127.0.0.1:{port}{path}?per_page=100&page={last}>; rel=\"last\"",
                page + 1
            )
        })
    }
}

fn user(login: &str, id: u64) -> Value {
    json!({
        "login": login, "id": id, "node_id": "MDQ6VXNlcjE=",
        "avatar_url": "https://github.com/images/error/octocat_happy.gif", "gravatar_id": "",
        "url": format!("https://api.github.com/users/{login}"),
        "html_url": format!("https://github.com/{login}"), "type": "User", "site_admin": false
    })
}

fn repo(name: &str, id: u64) -> Value {
    json!({
        "id": id, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "name": name,
        "full_name": format!("acme/{name}"), "owner": user("acme", 1), "private": true,
        "fork": false, "archived": false, "url": format!("https://api.github.com/repos/acme/{name}")
    })
}

fn json_resp(v: Value, link: Option<String>) -> Response {
    let mut b = Response::builder()
        .status(StatusCode::OK)
        .header("Content-Type", "application/json; charset=utf-8")
        .header("X-RateLimit-Limit", "5000")
        .header("X-RateLimit-Remaining", "4999");
    if let Some(l) = link {
        b = b.header("Link", l);
    }
    b.body(Body::from(v.to_string())).unwrap()
}

fn status(code: StatusCode, msg: &str) -> Response {
    (
        code,
        [("Content-Type", "application/json")],
        json!({"message": msg, "documentation_url": "https://docs.github.com/rest"}).to_string(),
    )
        .into_response()
}

fn authorized(h: &HeaderMap) -> bool {
    let a = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    a == format!("Bearer {TOKEN}") || a == format!("Bearer {APP_TOKEN}")
}

async fn api(
    State(s): State<Srv>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    req: Request<Body>,
) -> Response {
    let path = req.uri().path().to_string();
    if !authorized(&headers) {
        s.unauthorized.fetch_add(1, Ordering::SeqCst);
        return status(StatusCode::UNAUTHORIZED, "Bad credentials");
    }
    let n = s.hit(&path);
    let page: u32 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let empty = || json_resp(json!([]), None);
    match path.as_str() {
        "/orgs/acme/members" => match q.get("role").map(String::as_str) {
            Some("admin") => json_resp(json!([user("jdoe", 11)]), None),
            _ if page == 1 => json_resp(
                json!([user("jdoe", 11), user("jdoe2", 12)]),
                s.link(&path, 1, 2),
            ),
            _ => json_resp(json!([user("bob-gh", 13), user("ci-bot", 14)]), None),
        },
        // The first answer is a secondary rate limit with Retry-After.
        "/orgs/acme/outside_collaborators" => {
            if n == 1 {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("Retry-After", "1"), ("Content-Type", "application/json")],
                    json!({"message": "You have exceeded a secondary rate limit."}).to_string(),
                )
                    .into_response()
            } else {
                empty()
            }
        }
        "/orgs/acme/invitations" => json_resp(
            json!([{
                "id": 5, "login": "newhire", "node_id": "MDQ6VXNlcjE=", "email": null,
                "role": "direct_member", "created_at": "2026-11-02T10:00:00Z", "failed_at": null,
                "inviter": user("jdoe", 11), "team_count": 0,
                "invitation_teams_url": "https://api.github.com/organizations/2/invitations/5/teams"
            }]),
            None,
        ),
        "/orgs/acme/repos" => {
            let r = match page {
                1 => repo("api", 101),
                2 => repo("web", 102),
                _ => repo("infra", 103),
            };
            json_resp(json!([r]), s.link(&path, page, 3))
        }
        "/repos/acme/api/keys" => json_resp(
            json!([{
                "id": 42, "key": KEY_JDOE2_DEPLOY,
                "url": "https://api.github.com/repos/acme/api/keys/42", "title": "ci@api",
                "verified": true, "created_at": "2025-03-01T09:00:00Z", "read_only": true,
                "added_by": "jdoe2", "last_used": "2026-11-30T08:00:00Z", "enabled": true
            }]),
            None,
        ),
        "/repos/acme/infra/keys" => json_resp(
            json!([{
                "id": 77, "key": KEY_JDOE_DEPLOY,
                "url": "https://api.github.com/repos/acme/infra/keys/77", "title": "deploy@infra",
                "verified": true, "created_at": "2024-06-01T09:00:00Z", "read_only": false,
                "added_by": "jdoe", "last_used": "2026-11-29T08:00:00Z", "enabled": true
            }]),
            None,
        ),
        // A 500 first, then the answer: retried.
        "/repos/acme/api/hooks" => {
            if n == 1 {
                status(StatusCode::INTERNAL_SERVER_ERROR, "Server Error")
            } else {
                json_resp(
                    json!([{
                        "type": "Repository", "id": 9, "name": "web", "active": true,
                        "events": ["push"],
                        "config": {"content_type": "json", "insecure_ssl": "0", "url": "https://ci.example.com/hook"},
                        "updated_at": "2025-01-01T00:00:00Z", "created_at": "2025-01-01T00:00:00Z",
                        "url": "https://api.github.com/repos/acme/api/hooks/9"
                    }]),
                    None,
                )
            }
        }
        "/repos/acme/api/actions/secrets" => json_resp(
            json!({"total_count": 1, "secrets": [{"name": "NPM_TOKEN", "created_at": "2025-01-10T10:00:00Z", "updated_at": "2025-01-10T10:00:00Z"}]}),
            None,
        ),
        "/repos/acme/web/actions/secrets"
        | "/repos/acme/infra/actions/secrets"
        | "/orgs/acme/actions/secrets" => json_resp(json!({"total_count": 0, "secrets": []}), None),
        "/repos/acme/infra/collaborators" => json_resp(
            json!([{
                "login": "jdoe", "id": 11, "type": "User", "site_admin": false,
                "permissions": {"pull": true, "triage": true, "push": true, "maintain": true, "admin": true},
                "role_name": "admin"
            }]),
            None,
        ),
        "/orgs/acme/installations" => json_resp(
            json!({"total_count": 1, "installations": [{
                "id": 1, "account": user("acme", 1), "repository_selection": "all",
                "access_tokens_url": "https://api.github.com/app/installations/1/access_tokens",
                "app_id": 1, "target_id": 1, "target_type": "Organization",
                "permissions": {"contents": "read", "metadata": "read"}, "events": ["push"],
                "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
                "single_file_name": null, "app_slug": "ci-app", "suspended_by": null, "suspended_at": null
            }]}),
            None,
        ),
        "/orgs/acme/personal-access-tokens" => {
            if !s.pats_ok {
                return status(
                    StatusCode::FORBIDDEN,
                    "Resource not accessible by personal access token",
                );
            }
            json_resp(
                json!([{
                    "id": 7731001, "owner": user("jdoe", 11), "repository_selection": "subset",
                    "repositories_url": "https://api.github.com/organizations/2/personal-access-tokens/7731001/repositories",
                    "permissions": {"organization": {"members": "read"}, "repository": {"contents": "write", "metadata": "read"}},
                    "access_granted_at": "2026-01-05T10:00:00Z", "token_id": 98716,
                    "token_name": "release-bot", "token_expired": false,
                    "token_expires_at": "2099-01-05T10:00:00Z", "token_last_used_at": "2026-11-28T10:00:00Z"
                }]),
                None,
            )
        }
        "/orgs/acme/personal-access-token-requests" => {
            if !s.pats_ok {
                return status(
                    StatusCode::FORBIDDEN,
                    "Resource not accessible by personal access token",
                );
            }
            empty()
        }
        // Not Enterprise Cloud.
        "/orgs/acme/credential-authorizations" => status(StatusCode::NOT_FOUND, "Not Found"),
        "/users/jdoe/keys" => json_resp(json!([{"id": 1, "key": KEY_JDOE}]), None),
        p if p.starts_with("/users/") && p.ends_with("/keys") => empty(),
        p if p.starts_with("/repos/acme/")
            || p == "/orgs/acme/hooks"
            || p == "/orgs/acme/outside_collaborators" =>
        {
            empty()
        }
        _ => status(StatusCode::NOT_FOUND, "Not Found"),
    }
}

async fn graphql(State(s): State<Srv>, headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return status(StatusCode::UNAUTHORIZED, "Bad credentials");
    }
    s.hit("/graphql");
    json_resp(
        json!({"data": {"organization": {"samlIdentityProvider": null}}}),
        None,
    )
}

async fn app_token(
    State(s): State<Srv>,
    AxPath(id): AxPath<String>,
    headers: HeaderMap,
) -> Response {
    let a = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(jwt) = a.strip_prefix("Bearer ") else {
        return status(
            StatusCode::UNAUTHORIZED,
            "A JSON web token could not be decoded",
        );
    };
    if id != "99" || jwt.split('.').count() != 3 {
        return status(
            StatusCode::UNAUTHORIZED,
            "A JSON web token could not be decoded",
        );
    }
    *s.jwt_seen.lock().unwrap() = Some(jwt.to_string());
    (
        StatusCode::CREATED,
        [("Content-Type", "application/json")],
        json!({"token": APP_TOKEN, "expires_at": "2099-01-01T00:00:00Z", "permissions": {"members": "read"}, "repository_selection": "all"}).to_string(),
    )
        .into_response()
}

/// A server on 127.0.0.1 in its own runtime thread, for the life of the test.
struct Server {
    srv: Srv,
    port: u16,
    _rt: tokio::runtime::Runtime,
}

fn serve(pats_ok: bool) -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let srv = Srv {
        pats_ok,
        ..Srv::default()
    };
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

const ROSTER: &str = "employee_id,email,name,status,end_date,type,manager_email,aliases,risk
J1001,john.doe@acme.example,John Doe,terminated,2026-11-20,employee,mia@acme.example,jdoe;github:jdoe,standard
J1002,jane.doe@acme.example,Jane Doe,active,,employee,mia@acme.example,github:jdoe2,standard
J1003,bob@acme.example,Bob Builder,active,,employee,mia@acme.example,github:bob-gh,standard
J1004,mia@acme.example,Mia Manager,active,,employee,,mia,standard
";

/// A temp dir with a roster, a host snapshot whose `deploy` account authorizes jdoe's
/// GitHub key (no comment), and a config with `github` (the given auth lines) and `host`.
fn setup(port: u16, auth: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "roster.csv", ROSTER);
    write(d, "hosts/web-gh/etc/hostname", "web-gh\n");
    write(
        d,
        "hosts/web-gh/etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\ndeploy:x:998:998:deploy service:/home/deploy:/bin/bash\n",
    );
    write(d, "hosts/web-gh/etc/group", "root:x:0:\ndeploy:x:998:\n");
    write(
        d,
        "hosts/web-gh/home/deploy/.ssh/authorized_keys",
        &format!("{KEY_JDOE}\n"),
    );
    let cfg = d.join("nhiscan.toml");
    std::fs::write(
        &cfg,
        format!(
            "[hr]\nroster = \"roster.csv\"\n\n[[connector]]\ntype = \"github\"\norg = \"acme\"\napi_url = \"http://127.0.0.1:{port}\"\nbackoff_floor_ms = 20\n{auth}\n\n[[connector]]\ntype = \"host\"\nroots = [\"hosts/web-gh\"]\n"
        ),
    )
    .unwrap();
    (tmp, cfg)
}

fn token_auth() -> &'static str {
    "token_env = \"NHISCAN_TEST_GH_TOKEN\""
}

fn app_auth() -> String {
    format!(
        "app_id = 4242\ninstallation_id = 99\nprivate_key_path = {:?}",
        fixture("github").join("app-key.pem")
    )
}

struct Run {
    v: Value,
    text: String,
    stderr: String,
    code: i32,
}

fn run(cfg: &Path, args: &[&str], token: Option<&str>) -> Run {
    let dir = cfg.parent().unwrap();
    let out = dir.join(format!("findings-{}.json", fastrand_suffix()));
    let mut c = nhiscan();
    c.current_dir(dir).env_remove("NHISCAN_TEST_GH_TOKEN");
    if let Some(t) = token {
        c.env("NHISCAN_TEST_GH_TOKEN", t);
    }
    let o = c
        .args(args)
        .args(["--no-progress", "-q", "-c"])
        .arg(cfg)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let v = serde_json::from_str(&text).unwrap_or(Value::Null);
    Run {
        v,
        text,
        stderr: String::from_utf8_lossy(&o.stderr).to_string(),
        code: o.status.code().unwrap_or(-1),
    }
}

fn fastrand_suffix() -> String {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

fn finding<'a>(v: &'a Value, kind: &str, resource: &str) -> Option<&'a Value> {
    v["findings"]
        .as_array()?
        .iter()
        .find(|f| f["kind"] == kind && f["resource"] == resource)
}

fn coverage<'a>(v: &'a Value, connector: &str) -> &'a Value {
    v["coverage"]
        .as_array()
        .expect("coverage")
        .iter()
        .find(|c| c["connector"] == connector)
        .unwrap_or_else(|| panic!("no coverage for {connector}: {}", v["coverage"]))
}

#[test]
fn github_leaver_with_a_token_finds_membership_keys_and_host_access_and_is_partial_without_pats() {
    let s = serve(false);
    let (_tmp, cfg) = setup(s.port, token_auth());
    let r = run(&cfg, &["leaver", "john.doe@acme.example"], Some(TOKEN));
    assert_eq!(
        r.code, 3,
        "PATs unreadable with a token: partial\n{}\n{}",
        r.stderr, r.text
    );
    let v = &r.v;
    let cov = coverage(v, "github:acme");
    assert_eq!(cov["status"], "partial", "{cov}");
    let errors = cov["errors"].to_string();
    assert!(
        errors.contains("GitHub App") && errors.contains("Personal access tokens"),
        "{errors}"
    );
    // Credential authorizations 404: a note, not an error.
    let notes = cov["notes"].to_string();
    assert!(notes.contains("not on this plan"), "{notes}");
    assert!(!errors.contains("credential-authorizations"), "{errors}");
    assert!(cov["throttled"].as_u64().unwrap_or(0) >= 1, "{cov}");

    // The leaver's own membership, as an org owner: `is`, confirmed, critical.
    let m = finding(v, "github_member", "acme#member:jdoe").expect("membership");
    assert_eq!(m["relation"], "is");
    assert_eq!(m["confidence"], "confirmed");
    assert_eq!(m["severity"], "critical");
    assert_eq!(m["connector"], "github:acme");
    assert_eq!(
        m["attributes"]["repo_admin_of"],
        "acme/infra (the only direct admin)"
    );
    // The write deploy key they added (on the third page of repositories).
    let k = finding(v, "github_deploy_key", "acme/infra#deploy_key:77").expect("deploy key");
    assert_eq!(k["relation"], "created");
    assert_eq!(k["confidence"], "confirmed");
    assert_eq!(k["attributes"]["read_only"], "false");
    assert!(
        k["remediation"]["detail"]
            .as_str()
            .unwrap()
            .contains("before revoking"),
        "{k}"
    );
    // jdoe2's key is not jdoe's.
    assert!(
        finding(v, "github_deploy_key", "acme/api#deploy_key:42").is_none(),
        "{}",
        r.text
    );
    // The invitation jdoe sent.
    let inv = finding(v, "github_member", "acme#member:invitation/5").expect("invitation");
    assert_eq!(inv["relation"], "created");
    // jdoe's GitHub key in deploy's authorized_keys on the host, no comment there.
    let hk = finding(
        v,
        "ssh_authorized_key",
        &format!("web-gh:deploy#{KEY_JDOE_FP}"),
    )
    .unwrap_or_else(|| panic!("host key joined to jdoe's GitHub key\n{}", r.text));
    assert_eq!(hk["owner"], "john.doe@acme.example");
    assert_eq!(hk["relation"], "has_access");
    assert!(
        hk["evidence"].to_string().contains("GitHub SSH key"),
        "{hk}"
    );

    // The 429 was waited out (Retry-After: 1) before the retry.
    let hits = s.srv.hits.lock().unwrap();
    let oc = &hits["/orgs/acme/outside_collaborators"];
    assert_eq!(oc.len(), 2);
    assert!(
        oc[1] - oc[0] >= Duration::from_millis(900),
        "{:?}",
        oc[1] - oc[0]
    );
    assert_eq!(
        hits["/repos/acme/api/hooks"].len(),
        2,
        "the 500 was retried"
    );
    drop(hits);
    // The token never leaves the process.
    assert!(!r.text.contains(TOKEN) && !r.stderr.contains(TOKEN));
}

#[test]
fn github_app_reads_fine_grained_pats_and_ids_are_stable() {
    let s = serve(true);
    let (_tmp, cfg) = setup(s.port, &app_auth());
    let a = run(&cfg, &["leaver", "john.doe@acme.example"], None);
    assert_eq!(
        a.code, 1,
        "complete with findings\n{}\n{}",
        a.stderr, a.text
    );
    assert!(s.srv.jwt_seen.lock().unwrap().is_some());
    let cov = coverage(&a.v, "github:acme");
    assert_eq!(cov["status"], "complete", "{cov}");
    assert!(cov["notes"].to_string().contains("not on this plan"));
    let pat = finding(&a.v, "github_pat", "acme#pat:7731001").expect("fine-grained PAT");
    assert_eq!(pat["relation"], "created");
    assert_eq!(pat["attributes"]["token_name"], "release-bot");
    assert!(!a.text.contains(APP_TOKEN) && !a.stderr.contains(APP_TOKEN));
    let b = run(&cfg, &["leaver", "john.doe@acme.example"], None);
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
    assert!(!ids(&a.v).is_empty());
    assert_eq!(ids(&a.v), ids(&b.v));
}

#[test]
fn github_sweep_reports_the_leavers_records_not_the_active_engineers() {
    let s = serve(true);
    let (_tmp, cfg) = setup(s.port, &app_auth());
    let r = run(&cfg, &["sweep"], None);
    assert_eq!(r.code, 1, "{}\n{}", r.stderr, r.text);
    let v = &r.v;
    assert!(finding(v, "github_member", "acme#member:jdoe").is_some());
    assert!(finding(v, "github_deploy_key", "acme/infra#deploy_key:77").is_some());
    assert!(finding(v, "github_pat", "acme#pat:7731001").is_some());
    // Jane (jdoe2) is active and owns her key and membership.
    assert!(finding(v, "github_deploy_key", "acme/api#deploy_key:42").is_none());
    assert!(finding(v, "github_member", "acme#member:jdoe2").is_none());
    // A member nobody in HR is: orphaned.
    let bot = finding(v, "github_member", "acme#member:ci-bot").expect("unknown member");
    assert_eq!(bot["relation"], "orphaned");
}

#[test]
fn github_missing_token_env_is_a_failed_source_and_exit_3() {
    let s = serve(false);
    let (_tmp, cfg) = setup(s.port, token_auth());
    let r = run(&cfg, &["leaver", "john.doe@acme.example"], None);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let cov = coverage(&r.v, "github:acme");
    assert_eq!(cov["status"], "failed");
    assert!(
        cov["errors"].to_string().contains("NHISCAN_TEST_GH_TOKEN"),
        "{cov}"
    );
    // The other sources are still read.
    assert_eq!(coverage(&r.v, "host:web-gh")["status"], "complete");
    let s2 = run(
        &cfg,
        &["leaver", "john.doe@acme.example"],
        Some("wrong-token"),
    );
    assert_eq!(s2.code, 3);
    let cov = coverage(&s2.v, "github:acme");
    assert_eq!(cov["status"], "failed", "{cov}");
    assert!(cov["errors"].to_string().contains("refused"), "{cov}");
    assert!(!s2.text.contains("wrong-token"));
}

#[test]
fn github_config_without_a_credential_is_exit_2_naming_the_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("nhiscan.toml");
    std::fs::write(&cfg, "[[connector]]\ntype = \"github\"\norg = \"acme\"\n").unwrap();
    let o = nhiscan()
        .current_dir(tmp.path())
        .args([
            "leaver",
            "john.doe@acme.example",
            "--no-progress",
            "-q",
            "-c",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("token_env") && err.contains("app_id"), "{err}");
}
