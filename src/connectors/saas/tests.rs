//! The saas engine against recorded responses replayed by a local server (axum on
//! 127.0.0.1): each shipped spec, each auth kind, pagination, in-band errors.

use super::*;
use crate::connectors::Progress;
use crate::model::{Kind, Nhi, NhiStatus, Signal};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// The replay server: `tests/fixtures/saas/<vendor>.json` lists routes (path, query subset,
// status, headers, body; `once` for a fault served a single time; `method` POST for a
// token endpoint, which is not checked for the API credential).

#[derive(Default)]
struct Replay {
    auth: Option<String>,
    routes: Vec<Value>,
    base: String,
    served: Mutex<HashMap<usize, usize>>,
    hits: Mutex<HashMap<String, usize>>,
    forms: Mutex<Vec<String>>,
}

fn fixture(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/saas")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
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
    body: String,
) -> axum::response::Response {
    let path = uri.path().to_string();
    let query = parse_query(uri.query());
    *s.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let want_method = |r: &Value| {
        r["method"]
            .as_str()
            .unwrap_or("GET")
            .eq_ignore_ascii_case(method.as_str())
    };
    let mut best: Option<(usize, usize)> = None;
    for (i, r) in s.routes.iter().enumerate() {
        if r["path"].as_str() != Some(path.as_str()) || !want_method(r) {
            continue;
        }
        let rq = r["query"].as_object().cloned().unwrap_or_default();
        if !rq
            .iter()
            .all(|(k, v)| query.get(k).map(|x| x.as_str()) == v.as_str())
        {
            continue;
        }
        if r["once"].as_bool() == Some(true)
            && s.served.lock().unwrap().get(&i).copied().unwrap_or(0) > 0
        {
            continue;
        }
        if best.map_or(true, |(_, n)| rq.len() > n) {
            best = Some((i, rq.len()));
        }
    }
    let Some((i, _)) = best else {
        return (StatusCode::NOT_FOUND, "{\"error\":\"no such route\"}").into_response();
    };
    *s.served.lock().unwrap().entry(i).or_default() += 1;
    let r = &s.routes[i];
    if method == Method::POST {
        s.forms.lock().unwrap().push(body);
    } else if let Some(a) = &s.auth {
        let got = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if got != a {
            // Echo what was sent, as a careless API might: the scrubber must hide it.
            return (
                StatusCode::UNAUTHORIZED,
                format!("{{\"error\":\"invalid token {got}\"}}"),
            )
                .into_response();
        }
    }
    let status = StatusCode::from_u16(r["status"].as_u64().unwrap_or(200) as u16).unwrap();
    let mut resp = match &r["raw"] {
        Value::String(raw) => raw.replace("{base}", &s.base).into_response(),
        _ => r["body"]
            .to_string()
            .replace("{base}", &s.base)
            .into_response(),
    };
    *resp.status_mut() = status;
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

async fn serve(fixture_json: &str, patch: impl FnOnce(&mut Value)) -> Arc<Replay> {
    let mut v: Value = serde_json::from_str(fixture_json).unwrap();
    patch(&mut v);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    let s = Arc::new(Replay {
        auth: v["auth"].as_str().map(str::to_string),
        routes: v["routes"].as_array().cloned().unwrap_or_default(),
        base,
        ..Replay::default()
    });
    let app = Router::new().fallback(handle).with_state(s.clone());
    tokio::spawn(async move { axum::serve(l, app).await.ok() });
    s
}

fn config(toml_text: &str) -> SaasConfig {
    toml::from_str(toml_text).unwrap()
}

async fn scan(cfg: &SaasConfig) -> (Vec<Nhi>, Coverage) {
    let mut c = SaasConnector::new(cfg, Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let src = c.source_mut();
    src.settings.backoff_floor = Duration::from_millis(5);
    src.settings.max_attempts = 3;
    src.settings.max_wait = Duration::from_secs(5);
    src.settings.timeout = Duration::from_secs(5);
    let p = Progress::default();
    engine::run(&c.source, &p).await
}

fn find<'a>(nhis: &'a [Nhi], resource: &str) -> &'a Nhi {
    nhis.iter()
        .find(|n| n.resource == resource)
        .unwrap_or_else(|| {
            panic!(
                "{resource} not found in {:?}",
                nhis.iter().map(|n| &n.resource).collect::<Vec<_>>()
            )
        })
}

fn has_hint(n: &Nhi, id: &str, signal: Signal) -> bool {
    n.hints
        .iter()
        .any(|h| h.identifier == id && h.signal == signal)
}

const OKTA_TOKEN: &str = "00aFAKEoktaTokenForNhiscanTests0123456789";

#[tokio::test]
async fn okta_users_tokens_apps_and_admins_map_to_nhis() {
    let s = serve(&fixture("okta.json"), |_| {}).await;
    std::env::set_var("NHISCAN_UT_OKTA_TOKEN", OKTA_TOKEN);
    let cfg = config(&format!(
        "spec = \"okta\"\nbase_url = \"{}\"\ntoken_env = \"NHISCAN_UT_OKTA_TOKEN\"\n",
        s.base
    ));
    let (nhis, cov) = scan(&cfg).await;
    assert!(cov.is_complete(), "{cov:?}");
    assert_eq!(cov.connector, "saas:okta");
    // Users: two Link pages; DEPROVISIONED is not listed, SUSPENDED is inactive.
    let alice = find(&nhis, "okta#user:00u1alice");
    assert_eq!(alice.kind, Kind::SaasUser);
    assert_eq!(alice.status, NhiStatus::Active);
    assert!(has_hint(alice, "alice@acme.example", Signal::Account));
    assert!(has_hint(alice, "okta:00u1alice", Signal::Account));
    assert!(alice.last_used_at.is_some());
    assert!(!nhis.iter().any(|n| n.resource == "okta#user:00u4carol"));
    assert_eq!(find(&nhis, "okta#user:00u6sus").status, NhiStatus::Inactive);
    // API tokens: the creator from userId and from the follow-up user lookup.
    let t = find(&nhis, "okta#api_token:00T1alice");
    assert_eq!(t.kind, Kind::SaasApiToken);
    assert_eq!(t.status, NhiStatus::Active);
    assert!(
        has_hint(t, "alice@acme.example", Signal::CreatorField),
        "{:?}",
        t.hints
    );
    assert!(has_hint(t, "okta:00u1alice", Signal::CreatorField));
    assert_eq!(t.attributes["client_name"], "Okta API");
    assert_eq!(t.attributes["expires_at"], "2027-06-01T00:00:00Z");
    assert!(t.created_at.is_some());
    // A token of a deactivated user no longer authenticates.
    let c = find(&nhis, "okta#api_token:00T4carol");
    assert_eq!(c.status, NhiStatus::Inactive);
    assert_eq!(c.attributes["user_status"], "DEPROVISIONED");
    // The look-alike's token names only the look-alike.
    let a2 = find(&nhis, "okta#api_token:00T3asmith");
    assert!(a2
        .hints
        .iter()
        .all(|h| !h.identifier.eq_ignore_ascii_case("alice@acme.example")));
    // A token whose user was deleted: reported, and a note says the lookup found nothing.
    find(&nhis, "okta#api_token:00T9orphan");
    assert!(
        cov.notes.iter().any(|n| n.contains("user lookup")),
        "{:?}",
        cov.notes
    );
    // Service apps only, with the creator from the System Log.
    let app = find(&nhis, "okta#app:0oa1svc");
    assert!(
        has_hint(app, "alice@acme.example", Signal::AuditEvent),
        "{:?}",
        app.hints
    );
    assert!(!nhis.iter().any(|n| n.resource.contains("0oa2web")));
    // Admins: two pages of role assignees, privileged.
    let adm = find(&nhis, "okta#admin:00u1alice");
    assert!(adm.privileged);
    assert!(has_hint(adm, "alice@acme.example", Signal::Account));
    find(&nhis, "okta#admin:00u2bob");
    // Follow-ups are cached: alice's user record was read once for her token and her role.
    assert_eq!(s.hits.lock().unwrap()["/api/v1/users/00u1alice"], 1);
    // Nothing carries the token.
    assert!(!format!("{nhis:?}{cov:?}").contains(OKTA_TOKEN));
}

#[tokio::test]
async fn a_wrong_okta_token_fails_the_source_without_showing_it() {
    let s = serve(&fixture("okta.json"), |_| {}).await;
    let wrong = "00aFAKEwrongTokenValueNhiscan987654321";
    std::env::set_var("NHISCAN_UT_OKTA_WRONG", wrong);
    let cfg = config(&format!(
        "spec = \"okta\"\nbase_url = \"{}\"\ntoken_env = \"NHISCAN_UT_OKTA_WRONG\"\n",
        s.base
    ));
    let (nhis, cov) = scan(&cfg).await;
    assert!(nhis.is_empty());
    assert_eq!(cov.status, crate::model::CoverageStatus::Failed, "{cov:?}");
    let text = format!("{cov:?}");
    assert!(text.contains("authentication failed"), "{text}");
    assert!(!text.contains(wrong), "{text}");
}

#[tokio::test]
async fn a_missing_token_variable_is_named_and_fails_the_source() {
    let cfg = config("spec = \"okta\"\nbase_url = \"http://127.0.0.1:9\"\ntoken_env = \"NHISCAN_UT_NEVER_SET\"\n");
    let (_, cov) = scan(&cfg).await;
    assert_eq!(cov.status, crate::model::CoverageStatus::Failed);
    assert!(
        cov.errors[0].contains("NHISCAN_UT_NEVER_SET"),
        "{:?}",
        cov.errors
    );
}

#[tokio::test]
async fn a_403_names_the_permission_an_optional_404_is_a_note_and_bad_json_is_partial() {
    let s = serve(&fixture("okta.json"), |v| {
        let routes = v["routes"].as_array_mut().unwrap();
        routes.retain(|r| r["path"] != "/api/v1/iam/assignees/users" && r["path"] != "/api/v1/apps");
        routes.insert(0, serde_json::json!({"path": "/api/v1/api-tokens", "query": {}, "status": 403,
            "body": {"errorCode": "E0000006", "errorSummary": "You do not have permission to perform the requested action"}}));
        routes.push(serde_json::json!({"path": "/api/v1/apps", "raw": "[{\"id\": \"0oa1\", "}));
    })
    .await;
    std::env::set_var("NHISCAN_UT_OKTA_403", OKTA_TOKEN);
    let cfg = config(&format!(
        "spec = \"okta\"\nbase_url = \"{}\"\ntoken_env = \"NHISCAN_UT_OKTA_403\"\n",
        s.base
    ));
    let (nhis, cov) = scan(&cfg).await;
    assert_eq!(cov.status, crate::model::CoverageStatus::Partial, "{cov:?}");
    let errors = cov.errors.join("\n");
    assert!(
        errors.contains("api_tokens") && errors.contains("okta.apiTokens.read"),
        "{errors}"
    );
    assert!(
        errors.contains("apps") && errors.contains("not JSON"),
        "{errors}"
    );
    // The admin endpoint is optional: its 404 is a note.
    assert!(
        cov.notes.iter().any(|n| n.contains("admins")),
        "{:?}",
        cov.notes
    );
    // What was readable is still reported.
    find(&nhis, "okta#user:00u1alice");
}

#[tokio::test]
async fn okta_429_retry_after_is_honoured() {
    let s = serve(&fixture("okta.json"), |v| {
        let routes = v["routes"].as_array_mut().unwrap();
        routes.insert(0, serde_json::json!({"path": "/api/v1/apps", "status": 429, "once": true,
            "headers": {"Retry-After": "1", "X-Rate-Limit-Remaining": "0"}, "body": {"errorCode": "E0000047"}}));
    })
    .await;
    std::env::set_var("NHISCAN_UT_OKTA_429", OKTA_TOKEN);
    let cfg = config(&format!(
        "spec = \"okta\"\nbase_url = \"{}\"\ntoken_env = \"NHISCAN_UT_OKTA_429\"\n",
        s.base
    ));
    let t = std::time::Instant::now();
    let (nhis, cov) = scan(&cfg).await;
    assert!(cov.is_complete(), "{cov:?}");
    assert!(cov.throttled >= 1);
    assert!(t.elapsed() >= Duration::from_millis(900));
    find(&nhis, "okta#app:0oa1svc");
}

/// A spec for an application nhiscan does not ship, written only here: basic auth, page
/// numbers with a total, a kind chosen per record, a follow-up list of owners.
const CUSTOM: &str = r#"
[spec]
name = "acmecrm"
title = "Acme CRM"
alias = "acmecrm"
requires = ["crm:read"]
[auth]
kind = "basic"
[[endpoint]]
name = "keys"
path = "/v2/keys"
pagination = { style = "page", param = "page", start = 1, total_pointer = "/paging/pages" }
records = "/values"
kind = "saas_api_token"
[endpoint.map]
id = "/key_id"
name = "/label"
status = "/state"
status_map = { enabled = "active", disabled = "inactive" }
created = "/created_epoch"
admin = "/full_access"
[[endpoint.when]]
pointer = "/type"
equals = "integration"
kind = "saas_app"
[[endpoint.hint]]
identifier = "/creator/email"
signal = "creator"
[[endpoint.follow]]
name = "owners"
path = "/v2/keys/{/key_id}/owners"
records = "/owners"
[[endpoint.follow.hint]]
identifier = "/email"
signal = "owner"
"#;

#[tokio::test]
async fn a_new_saas_needs_only_a_spec_basic_auth_and_page_numbers() {
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "svc@acme.example:crmFAKEpass123"
        )
    );
    let fixture = serde_json::json!({"auth": basic, "routes": [
        {"path": "/v2/keys", "query": {"page": "1"}, "body": {"paging": {"pages": 2}, "values": [
            {"key_id": "k1", "label": "etl", "state": "enabled", "created_epoch": 1700000000, "full_access": true,
             "creator": {"email": "alice@acme.example"}, "type": "personal"}]}},
        {"path": "/v2/keys", "query": {"page": "2"}, "body": {"paging": {"pages": 2}, "values": [
            {"key_id": "k2", "label": "zap", "state": "disabled", "creator": {"email": "bob@acme.example"}, "type": "integration"}]}},
        {"path": "/v2/keys/k1/owners", "body": {"owners": [{"email": "carol@acme.example"}]}},
        {"path": "/v2/keys/k2/owners", "body": {"owners": []}}
    ]});
    let s = serve(&fixture.to_string(), |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("acmecrm.toml"), CUSTOM).unwrap();
    std::env::set_var("NHISCAN_UT_CRM_PASS", "crmFAKEpass123");
    let cfg = config(&format!(
        "spec = \"acmecrm.toml\"\nbase_url = \"{}\"\ntoken_env = \"NHISCAN_UT_CRM_PASS\"\nuser = \"svc@acme.example\"\n",
        s.base
    ));
    let mut c = SaasConnector::new(&cfg, dir.path()).unwrap();
    c.source_mut().settings.backoff_floor = Duration::from_millis(5);
    let (nhis, cov) = engine::run(&c.source, &Progress::default()).await;
    assert!(cov.is_complete(), "{cov:?}");
    assert_eq!(cov.connector, "saas:acmecrm");
    let k1 = find(&nhis, "acmecrm#api_token:k1");
    assert!(k1.privileged);
    assert_eq!(k1.status, NhiStatus::Active);
    assert_eq!(k1.created_at.unwrap().timestamp(), 1_700_000_000);
    assert!(has_hint(k1, "alice@acme.example", Signal::CreatorField));
    assert!(has_hint(k1, "carol@acme.example", Signal::OwnerTag));
    let k2 = find(&nhis, "acmecrm#app:k2");
    assert_eq!(k2.status, NhiStatus::Inactive);
}

#[tokio::test]
async fn entra_exchanges_client_credentials_and_follows_odata_next_links() {
    let s = serve(&fixture("entra.json"), |_| {}).await;
    std::env::set_var(
        "NHISCAN_UT_ENTRA_SECRET",
        "entraFAKEclientSecret~0123456789",
    );
    let cfg = config(&format!(
        "spec = \"entra\"\nbase_url = \"{0}/v1.0\"\ntenant = \"7f3c0000-0000-0000-0000-00000000FAKE\"\nclient_id = \"11111111-2222-3333-4444-555555555555\"\nclient_secret_env = \"NHISCAN_UT_ENTRA_SECRET\"\ntoken_url = \"{0}/7f3c0000-0000-0000-0000-00000000FAKE/oauth2/v2.0/token\"\n",
        s.base
    ));
    let (nhis, cov) = scan(&cfg).await;
    assert!(cov.is_complete(), "{cov:?}");
    let form = s.forms.lock().unwrap()[0].clone();
    assert!(form.contains("grant_type=client_credentials"), "{form}");
    assert!(
        form.contains("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"),
        "{form}"
    );
    let u = find(&nhis, "entra#user:aaaa0001-0000-0000-0000-000000000001");
    assert_eq!(u.status, NhiStatus::Active);
    assert!(has_hint(u, "alice@acme.example", Signal::Account));
    assert_eq!(
        find(&nhis, "entra#user:aaaa0003-0000-0000-0000-000000000003").status,
        NhiStatus::Inactive
    );
    let app = find(&nhis, "entra#app:app00001-0000-0000-0000-000000000001");
    assert!(has_hint(app, "alice@acme.example", Signal::OwnerTag));
    assert_eq!(app.attributes["expires_at"], "2027-03-01T00:00:00Z");
    assert_eq!(app.attributes["password_credentials"], "1");
    let sp = find(
        &nhis,
        "entra#service_account:sp000001-0000-0000-0000-000000000001",
    );
    assert!(has_hint(sp, "bob@acme.example", Signal::OwnerTag));
    assert!(!nhis.iter().any(|n| n.resource.contains("sp-microsoft")));
    let g = find(&nhis, "entra#oauth_grant:grant-alice-1");
    assert!(
        has_hint(g, "alice@acme.example", Signal::Approval),
        "{:?}",
        g.hints
    );
    let adm = find(
        &nhis,
        "entra#admin:62e90394-69f5-4237-9190-012177145e10:aaaa0001-0000-0000-0000-000000000001",
    );
    assert!(adm.privileged);
    assert_eq!(adm.attributes["role"], "Global Administrator");
}

#[tokio::test]
async fn google_signs_a_service_account_jwt_and_reads_grants_per_user() {
    let s = serve(&fixture("google.json"), |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let mut sa: Value = serde_json::from_str(&fixture("fake-google-sa.json")).unwrap();
    sa["token_uri"] = Value::String(format!("{}/token", s.base));
    std::fs::write(dir.path().join("sa.json"), sa.to_string()).unwrap();
    let cfg = config(&format!(
        "spec = \"google\"\nbase_url = \"{}\"\nservice_account_file = \"sa.json\"\nsubject = \"admin@acme.example\"\n",
        s.base
    ));
    let mut c = SaasConnector::new(&cfg, dir.path()).unwrap();
    c.source_mut().settings.backoff_floor = Duration::from_millis(5);
    let (nhis, cov) = engine::run(&c.source, &Progress::default()).await;
    assert!(cov.is_complete(), "{cov:?}");
    // The assertion: RS256 over the RFC 7523 claims, verifiable with the key's public half.
    let form = s.forms.lock().unwrap()[0].clone();
    let q = parse_query(Some(&form));
    assert_eq!(
        q["grant_type"],
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    let jwt = &q["assertion"];
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let dec = |p: &str| {
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, p).unwrap()
    };
    let claims: Value = serde_json::from_slice(&dec(parts[1])).unwrap();
    assert_eq!(claims["sub"], "admin@acme.example");
    assert_eq!(claims["aud"], format!("{}/token", s.base));
    assert!(claims["scope"]
        .as_str()
        .unwrap()
        .contains("admin.directory.user.readonly"));
    let header: Value = serde_json::from_slice(&dec(parts[0])).unwrap();
    assert_eq!(header["alg"], "RS256");
    let key: auth::ServiceAccountKey = serde_json::from_value(sa).unwrap();
    let der: String = key
        .private_key
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, der).unwrap();
    let pair = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    let public = ring::signature::KeyPair::public_key(&pair)
        .as_ref()
        .to_vec();
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, public)
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &dec(parts[2]),
        )
        .expect("the signature verifies");
    // Users (two pages of nextPageToken), an admin, per-user grants, role assignments.
    assert_eq!(find(&nhis, "google#user:g-alice").status, NhiStatus::Active);
    assert_eq!(
        find(&nhis, "google#user:g-carol").status,
        NhiStatus::Inactive
    );
    assert!(find(&nhis, "google#admin:g-bob").privileged);
    let grant = find(
        &nhis,
        "google#oauth_grant:g-alice:1234567890-abc.apps.googleusercontent.com",
    );
    assert!(has_hint(grant, "alice@acme.example", Signal::Approval));
    assert!(grant.attributes["scopes"].contains("drive"));
    let ra = find(&nhis, "google#admin:ra-1");
    assert!(has_hint(ra, "bob@acme.example", Signal::Account));
}

#[tokio::test]
async fn slack_in_band_errors_missing_scope_is_partial_wrong_plan_is_a_note() {
    let s = serve(&fixture("slack.json"), |_| {}).await;
    std::env::set_var("NHISCAN_UT_SLACK", "xoxp-FAKE-0000000000-nhiscan-tests");
    let cfg = config(&format!(
        "spec = \"slack\"\nbase_url = \"{}/api\"\ntoken_env = \"NHISCAN_UT_SLACK\"\n",
        s.base
    ));
    let (nhis, cov) = scan(&cfg).await;
    // integrationLogs: missing_scope (partial, naming the scope); the Grid-only method
    // answers not_allowed_token_type: a note.
    assert_eq!(cov.status, crate::model::CoverageStatus::Partial, "{cov:?}");
    let errors = cov.errors.join("\n");
    assert!(
        errors.contains("missing_scope") && errors.contains("needs admin"),
        "{errors}"
    );
    assert!(
        cov.notes.iter().any(|n| n.contains("approved_apps")),
        "{:?}",
        cov.notes
    );
    let u = find(&nhis, "slack#user:U01ALICE");
    assert!(has_hint(u, "alice@acme.example", Signal::Account));
    assert!(has_hint(u, "slack:U01ALICE", Signal::Account));
    assert_eq!(
        find(&nhis, "slack#service_account:B01BOT").kind,
        Kind::SaasServiceAccount
    );
    assert!(find(&nhis, "slack#admin:U02BOB").privileged);
    assert!(!nhis
        .iter()
        .any(|n| n.resource.contains("U03GONE") || n.resource.contains("USLACKBOT")));
}

#[tokio::test]
async fn atlassian_reads_accounts_and_api_tokens_by_cursor() {
    let s = serve(&fixture("atlassian.json"), |_| {}).await;
    std::env::set_var("NHISCAN_UT_ATL", "atlFAKEorgApiKey0123456789");
    let cfg = config(&format!(
        "spec = \"atlassian\"\nbase_url = \"{}\"\ntoken_env = \"NHISCAN_UT_ATL\"\norg_id = \"org-1\"\n",
        s.base
    ));
    let (nhis, cov) = scan(&cfg).await;
    assert!(cov.is_complete(), "{cov:?}");
    let u = find(&nhis, "atlassian#user:557058:alice");
    assert!(has_hint(u, "alice@acme.example", Signal::Account));
    assert_eq!(
        find(&nhis, "atlassian#service_account:557058:bot").kind,
        Kind::SaasServiceAccount
    );
    let t = find(&nhis, "atlassian#api_token:tok-1");
    assert!(has_hint(t, "alice@acme.example", Signal::CreatorField));
    assert!(t.last_used_at.is_some());
    assert_eq!(
        find(&nhis, "atlassian#api_token:tok-2").status,
        NhiStatus::Inactive
    );
}

#[test]
fn config_errors_are_caught_before_scanning() {
    let base = Path::new(".");
    let e = SaasConnector::new(&config("spec = \"nosuch\"\n"), base)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("nosuch") && e.contains("okta"), "{e}");
    let e = SaasConnector::new(
        &config("spec = \"entra\"\nclient_id = \"x\"\nclient_secret_env = \"Y\"\n"),
        base,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("tenant"), "{e}");
    let e = SaasConnector::new(&config("spec = \"okta\"\ntoken_env = \"T\"\n"), base)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("base_url"), "{e}");
    let e = SaasConnector::new(
        &config("spec = \"okta\"\nbase_url = \"https://a.okta.com\"\n"),
        base,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("token_env"), "{e}");
    let e = SaasConnector::new(
        &config("spec = \"google\"\nservice_account_file = \"x.json\"\n"),
        base,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("subject"), "{e}");
    assert!(toml::from_str::<SaasConfig>("spec = \"okta\"\ntoken = \"x\"\n").is_err());
    let named = SaasConnector::new(
        &config("spec = \"okta\"\nname = \"eu\"\nbase_url = \"https://eu.okta.com\"\ntoken_env = \"T\"\n"),
        base,
    )
    .unwrap();
    assert_eq!(named.name(), "saas:okta:eu");
}

#[test]
fn dates_parse_in_every_vendor_spelling() {
    for s in [
        "2026-11-20T10:00:00.000Z",
        "2026-11-20T10:00:00Z",
        "1795170000",
        "1795170000000",
        "2026-11-20",
        "2026-11-20T10:00:00.0000000",
    ] {
        assert!(engine::parse_time(s).is_some(), "{s}");
    }
    assert!(engine::parse_time("never").is_none());
    assert!(engine::parse_time("0").is_none());
}

/// The measurement of the README: an Okta tenant of 20,000 users and 2,000 API tokens
/// (1,000 distinct creators) served with 20 ms per request. Run with
/// `cargo test --release --lib saas::tests::tenant_of_20000_users -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn tenant_of_20000_users_and_2000_tokens() {
    use axum::extract::Query;
    use std::sync::atomic::{AtomicU64, Ordering};
    #[derive(Clone)]
    struct Big {
        base: Arc<std::sync::OnceLock<String>>,
        requests: Arc<AtomicU64>,
    }
    const USERS: usize = 20_000;
    const TOKENS: usize = 2_000;
    const PAGE: usize = 200;
    fn user(i: usize) -> Value {
        serde_json::json!({"id": format!("00u{i:06}"), "status": "ACTIVE", "created": "2024-01-01T00:00:00.000Z",
            "lastLogin": "2026-11-01T00:00:00.000Z", "type": {"id": "oty1"},
            "profile": {"login": format!("user{i}@acme.example"), "email": format!("user{i}@acme.example"),
                "firstName": "U", "lastName": format!("{i}")}})
    }
    async fn page(
        State(s): State<Big>,
        uri: Uri,
        Query(q): Query<HashMap<String, String>>,
    ) -> axum::response::Response {
        s.requests.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let base = s.base.get().unwrap();
        let after: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
        let path = uri.path();
        if let Some(id) = path.strip_prefix("/api/v1/users/00u") {
            return user(id.parse().unwrap()).to_string().into_response();
        }
        let (total, mk): (usize, fn(usize) -> Value) = match path {
            "/api/v1/users" => (USERS, user),
            "/api/v1/api-tokens" => (TOKENS, |i| {
                serde_json::json!({"id": format!("00T{i:06}"), "name": format!("t{i}"), "userId": format!("00u{:06}", i % 1000),
                    "clientName": "Okta API", "created": "2025-01-01T00:00:00.000Z", "expiresAt": "2027-01-01T00:00:00.000Z"})
            }),
            "/api/v1/apps" => (0, user),
            _ => return serde_json::json!({"value": []}).to_string().into_response(),
        };
        let end = (after + PAGE).min(total);
        let body = Value::Array((after..end).map(mk).collect()).to_string();
        if end < total {
            let link = format!("<{base}{path}?after={end}&limit={PAGE}>; rel=\"next\"");
            ([("Link", link)], body).into_response()
        } else {
            body.into_response()
        }
    }
    let s = Big {
        base: Arc::new(std::sync::OnceLock::new()),
        requests: Arc::new(AtomicU64::new(0)),
    };
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    s.base.set(base.clone()).unwrap();
    let app = Router::new().fallback(page).with_state(s.clone());
    tokio::spawn(async move { axum::serve(l, app).await.ok() });
    std::env::set_var("NHISCAN_UT_BIG", OKTA_TOKEN);
    let cfg = config(&format!(
        "spec = \"okta\"\nbase_url = \"{base}\"\ntoken_env = \"NHISCAN_UT_BIG\"\n"
    ));
    let t = std::time::Instant::now();
    let (nhis, cov) = scan(&cfg).await;
    let wall = t.elapsed();
    assert!(cov.is_complete(), "{cov:?}");
    assert_eq!(nhis.len(), USERS + TOKENS);
    let requests = s.requests.load(Ordering::Relaxed);
    // Listings are sequential page walks; follow-ups run 8 at a time, once per user.
    let pages = (USERS / PAGE + TOKENS / PAGE + 1 + 1) as f64;
    let ideal = pages * 0.020 + (1000.0 / 8.0) * 0.020;
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_string)
        })
        .unwrap_or_default();
    println!(
        "records {} requests {requests} ({:.3}/record) wall {:.2}s ideal {ideal:.2}s ({:.2}x) {hwm}",
        USERS + TOKENS,
        requests as f64 / (USERS + TOKENS) as f64,
        wall.as_secs_f64(),
        wall.as_secs_f64() / ideal
    );
}
