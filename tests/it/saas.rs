//! The `saas` connector through the real binary: the shipped Okta spec (and a custom spec
//! from a path) against recorded Okta responses replayed by a local server on 127.0.0.1.

use crate::support::{fixture, nhiscan, write};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

const TOKEN: &str = "00aFAKEoktaTokenForNhiscanTests0123456789";

/// Replays `tests/fixtures/saas/<vendor>.json`: routes by path and query subset (the most
/// specific wins), `once` for a fault served a single time, `{base}` for the server URL.
#[derive(Default)]
struct Replay {
    auth: Option<String>,
    routes: Vec<Value>,
    base: String,
    served: Mutex<HashMap<usize, usize>>,
}

fn parse_query(q: Option<&str>) -> BTreeMap<String, String> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let d = |s: &str| {
                urlencoding::decode(&s.replace('+', " "))
                    .map(|c| c.into_owned())
                    .unwrap_or_default()
            };
            (d(k), d(v))
        })
        .collect()
}

async fn handle(
    State(s): State<Arc<Replay>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> axum::response::Response {
    let path = uri.path().to_string();
    let query = parse_query(uri.query());
    let mut best: Option<(usize, usize)> = None;
    for (i, r) in s.routes.iter().enumerate() {
        let m = r["method"].as_str().unwrap_or("GET");
        if r["path"].as_str() != Some(path.as_str()) || !m.eq_ignore_ascii_case(method.as_str()) {
            continue;
        }
        let rq = r["query"].as_object().cloned().unwrap_or_default();
        if !rq
            .iter()
            .all(|(k, v)| query.get(k).map(|x| x.as_str()) == v.as_str())
        {
            continue;
        }
        let used = s.served.lock().unwrap().get(&i).copied().unwrap_or(0);
        if r["once"].as_bool() == Some(true) && used > 0 {
            continue;
        }
        if best.map_or(true, |(_, n)| rq.len() > n) {
            best = Some((i, rq.len()));
        }
    }
    let Some((i, _)) = best else {
        return (StatusCode::NOT_FOUND, "{\"errorCode\":\"E0000022\"}").into_response();
    };
    *s.served.lock().unwrap().entry(i).or_default() += 1;
    let r = &s.routes[i];
    if let Some(a) = &s.auth {
        let got = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if got != a {
            return (
                StatusCode::UNAUTHORIZED,
                format!("{{\"errorSummary\":\"Invalid token provided: {got}\"}}"),
            )
                .into_response();
        }
    }
    let mut resp = r["body"]
        .to_string()
        .replace("{base}", &s.base)
        .into_response();
    *resp.status_mut() = StatusCode::from_u16(r["status"].as_u64().unwrap_or(200) as u16).unwrap();
    if let Some(h) = r["headers"].as_object() {
        for (k, v) in h {
            resp.headers_mut().insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.as_str()
                    .unwrap()
                    .replace("{base}", &s.base)
                    .parse()
                    .unwrap(),
            );
        }
    }
    resp
}

/// Start the replay server on its own thread; its base URL.
fn start(patch: impl FnOnce(&mut Vec<Value>)) -> String {
    let text = std::fs::read_to_string(fixture("saas/okta.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let mut routes = v["routes"].as_array().cloned().unwrap();
    patch(&mut routes);
    let auth = v["auth"].as_str().map(str::to_string);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
            let s = Arc::new(Replay {
                auth,
                routes,
                base: base.clone(),
                ..Replay::default()
            });
            tx.send(base).unwrap();
            let app = Router::new().fallback(handle).with_state(s);
            axum::serve(l, app).await.ok();
        });
    });
    rx.recv().unwrap()
}

const ROSTER: &str = "employee_id,email,name,status,end_date,type,manager_email,aliases,risk
E1,alice@acme.example,Alice Example,terminated,2026-11-20,employee,mgr@acme.example,,
E2,bob@acme.example,Bob Builder,active,,employee,,,
E3,alice.smith@acme.example,Alice Smith,active,,employee,,,
E4,carol@acme.example,Carol Gone,terminated,2026-10-01,employee,,,
E5,sam@acme.example,Sam Paused,leave,,employee,,,
E9,mgr@acme.example,Manager,active,,employee,,,
";

fn setup(dir: &Path, base: &str, spec: &str) {
    write(dir, "hr/roster.csv", ROSTER);
    write(
        dir,
        "nhiscan.toml",
        &format!(
            "[hr]\nroster = \"hr/roster.csv\"\n\n[[connector]]\ntype = \"saas\"\nspec = \"{spec}\"\nbase_url = \"{base}\"\ntoken_env = \"NHISCAN_IT_OKTA_TOKEN\"\n"
        ),
    );
}

struct Out {
    code: Option<i32>,
    doc: Value,
    stdout: String,
    stderr: String,
    raw: String,
}

fn run(dir: &Path, args: &[&str], out: &str) -> Out {
    let r = nhiscan()
        .current_dir(dir)
        .env("NHISCAN_IT_OKTA_TOKEN", TOKEN)
        .args(args)
        .args(["-o", out, "--no-progress"])
        .output()
        .expect("run nhiscan");
    let raw = std::fs::read_to_string(dir.join(out)).unwrap_or_default();
    Out {
        code: r.status.code(),
        doc: serde_json::from_str(&raw).unwrap_or(Value::Null),
        stdout: String::from_utf8_lossy(&r.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&r.stderr).into_owned(),
        raw,
    }
}

fn finding<'a>(doc: &'a Value, resource: &str) -> Option<&'a Value> {
    doc["findings"]
        .as_array()?
        .iter()
        .find(|f| f["resource"] == resource)
}

/// The findings file matches the published schema.
fn assert_schema(doc: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/findings.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errs: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errs.is_empty(), "{}", errs.join("\n"));
}

fn assert_no_token(o: &Out) {
    for (what, text) in [
        ("stdout", &o.stdout),
        ("stderr", &o.stderr),
        ("file", &o.raw),
    ] {
        assert!(!text.contains(TOKEN), "the token leaked into {what}");
    }
}

#[test]
fn leaver_finds_the_okta_account_and_the_token_they_created_not_the_look_alikes() {
    let base = start(|_| {});
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &base, "okta");
    let o = run(dir.path(), &["leaver", "alice@acme.example"], "f.json");
    assert_eq!(o.code, Some(1), "stderr: {}", o.stderr);
    assert_no_token(&o);
    let cov = &o.doc["coverage"][0];
    assert_eq!(cov["connector"], "saas:okta");
    assert_eq!(cov["status"], "complete", "{cov}");
    let acct = finding(&o.doc, "okta#user:00u1alice").expect("the Okta account");
    assert_eq!(acct["kind"], "saas_user");
    assert_eq!(acct["relation"], "is");
    assert_eq!(acct["owner"], "alice@acme.example");
    assert_eq!(acct["severity"], "critical", "{acct}");
    assert_eq!(acct["remediation"]["action"], "disable");
    assert_schema(&o.doc);
    let tok = finding(&o.doc, "okta#api_token:00T1alice").expect("her API token");
    assert_eq!(tok["relation"], "created");
    assert_eq!(tok["confidence"], "confirmed");
    assert_eq!(tok["status"], "active");
    assert!(finding(&o.doc, "okta#admin:00u1alice").is_some());
    assert!(finding(&o.doc, "okta#app:0oa1svc").is_some());
    // The look-alike's token and account are not hers.
    assert!(finding(&o.doc, "okta#api_token:00T3asmith").is_none());
    assert!(finding(&o.doc, "okta#user:00u3asmith").is_none());

    // Same NHIs, same ids on a second run.
    let o2 = run(dir.path(), &["leaver", "alice@acme.example"], "g.json");
    let ids = |d: &Value| {
        let mut v: Vec<String> = d["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["id"], f["resource"]))
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&o.doc), ids(&o2.doc));
}

#[test]
fn sweep_reports_accounts_outside_hr_and_a_deactivated_users_token_as_inactive() {
    let base = start(|_| {});
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &base, "okta");
    let o = run(dir.path(), &["sweep"], "s.json");
    assert_eq!(o.code, Some(1), "stderr: {}", o.stderr);
    assert_no_token(&o);
    assert_schema(&o.doc);
    let dave = finding(&o.doc, "okta#user:00u5dave").expect("shadow account");
    assert_eq!(dave["relation"], "orphaned", "{dave}");
    let alice = finding(&o.doc, "okta#user:00u1alice").expect("leaver's account");
    assert_eq!(alice["relation"], "is");
    let carol = finding(&o.doc, "okta#api_token:00T4carol").expect("carol's token");
    assert_eq!(carol["status"], "inactive");
    // Active people's accounts are not findings.
    assert!(finding(&o.doc, "okta#user:00u2bob").is_none());
}

#[test]
fn a_429_is_waited_out_and_a_403_on_a_required_endpoint_is_exit_3() {
    let base = start(|routes| {
        routes.insert(
            0,
            serde_json::json!({"path": "/api/v1/users", "query": {}, "status": 429, "once": true,
                "headers": {"Retry-After": "1", "X-Rate-Limit-Remaining": "0"},
                "body": {"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."}}),
        );
        routes.insert(
            0,
            serde_json::json!({"path": "/api/v1/api-tokens", "query": {}, "status": 403,
                "body": {"errorCode": "E0000006", "errorSummary": "You do not have permission to perform the requested action"}}),
        );
    });
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &base, "okta");
    let o = run(dir.path(), &["leaver", "alice@acme.example"], "f.json");
    assert_eq!(o.code, Some(3), "stderr: {}", o.stderr);
    assert_no_token(&o);
    let cov = &o.doc["coverage"][0];
    assert_eq!(cov["status"], "partial", "{cov}");
    assert!(cov["throttled"].as_u64().unwrap_or(0) >= 1, "{cov}");
    let errors = cov["errors"].to_string();
    assert!(
        errors.contains("api_tokens") && errors.contains("okta.apiTokens.read"),
        "{errors}"
    );
    // What could be read is still reported.
    assert!(finding(&o.doc, "okta#user:00u1alice").is_some());
}

#[test]
fn a_missing_token_variable_fails_the_source_and_names_it() {
    let base = start(|_| {});
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &base, "okta");
    let r = nhiscan()
        .current_dir(dir.path())
        .env_remove("NHISCAN_IT_OKTA_TOKEN")
        .args([
            "leaver",
            "alice@acme.example",
            "-o",
            "f.json",
            "--no-progress",
        ])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(3));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("f.json")).unwrap()).unwrap();
    assert_eq!(doc["coverage"][0]["status"], "failed");
    assert!(doc["coverage"][0]["errors"]
        .to_string()
        .contains("NHISCAN_IT_OKTA_TOKEN"));
}

/// A spec nhiscan does not ship, from a path relative to the config.
const CUSTOM: &str = r#"
[spec]
name = "oktalite"
title = "Okta (custom)"
alias = "okta"
requires = ["okta.apiTokens.read"]
[auth]
kind = "scheme"
scheme = "SSWS"
[[endpoint]]
name = "tokens"
path = "/api/v1/api-tokens"
pagination = { style = "link" }
kind = "saas_api_token"
[endpoint.map]
id = "/id"
name = "/name"
status_default = "active"
[[endpoint.hint]]
identifier = "okta:{/userId}"
signal = "creator"
"#;

#[test]
fn a_custom_spec_from_a_path_runs_and_a_broken_one_is_a_config_error() {
    let base = start(|_| {});
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &base, "specs/oktalite.toml");
    write(dir.path(), "specs/oktalite.toml", CUSTOM);
    // The roster names alice's Okta id as an alias.
    write(
        dir.path(),
        "hr/roster.csv",
        &ROSTER.replace("mgr@acme.example,,\n", "mgr@acme.example,okta:00u1alice,\n"),
    );
    let o = run(dir.path(), &["leaver", "alice@acme.example"], "f.json");
    assert_eq!(o.code, Some(1), "stderr: {}", o.stderr);
    assert_eq!(o.doc["coverage"][0]["connector"], "saas:oktalite");
    let t = finding(&o.doc, "oktalite#api_token:00T1alice").expect("token via alias");
    assert_eq!(t["relation"], "created");

    write(
        dir.path(),
        "specs/oktalite.toml",
        &CUSTOM.replace("style = \"link\"", "style = \"infinite\""),
    );
    let o = run(dir.path(), &["leaver", "alice@acme.example"], "h.json");
    assert_eq!(o.code, Some(2), "stderr: {}", o.stderr);
    assert!(
        o.stderr.contains("specs/oktalite.toml") && o.stderr.contains("infinite"),
        "{}",
        o.stderr
    );
    write(
        dir.path(),
        "specs/oktalite.toml",
        &CUSTOM.replace("id = \"/id\"", "id = \"id\"\nowner = \"/x\""),
    );
    let o = run(dir.path(), &["leaver", "alice@acme.example"], "h.json");
    assert_eq!(o.code, Some(2), "stderr: {}", o.stderr);
    assert!(
        o.stderr.contains("oktalite.toml") && o.stderr.contains("owner"),
        "{}",
        o.stderr
    );
}
