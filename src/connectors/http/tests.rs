//! The HTTP layer against a real local server (axum on 127.0.0.1) that injects each fault.

use super::*;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;

#[derive(Clone, Default)]
struct Srv {
    hits: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    port: Arc<std::sync::OnceLock<u16>>,
}

const TOKEN: &str = "tok_live_0123456789abcdefFAKE";

async fn flaky(State(s): State<Srv>) -> impl IntoResponse {
    let n = s.hits.fetch_add(1, Ordering::SeqCst);
    if n < 2 {
        (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response()
    } else {
        (StatusCode::OK, "{\"ok\":true}").into_response()
    }
}

async fn limited(State(s): State<Srv>) -> impl IntoResponse {
    let n = s.hits.fetch_add(1, Ordering::SeqCst);
    if n == 0 {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("Retry-After", "1")],
            "slow down",
        )
            .into_response()
    } else {
        (StatusCode::OK, "[]").into_response()
    }
}

async fn secondary(State(s): State<Srv>) -> impl IntoResponse {
    let n = s.hits.fetch_add(1, Ordering::SeqCst);
    if n == 0 {
        (
            StatusCode::FORBIDDEN,
            [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1")],
            "{\"message\":\"API rate limit exceeded\"}",
        )
            .into_response()
    } else {
        (StatusCode::OK, "[]").into_response()
    }
}

async fn echo_auth(headers: HeaderMap) -> impl IntoResponse {
    let a = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (StatusCode::UNAUTHORIZED, format!("bad credentials: {a}"))
}

async fn slow() -> impl IntoResponse {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "late"
}

async fn linked(
    State(s): State<Srv>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let page: u32 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let port = s.port.get().copied().unwrap_or(0);
    let body = format!("[{{\"n\":{page}}}]");
    if page < 3 {
        (
            StatusCode::OK,
            [(
                "Link",
                format!(
                    "<http://127.0.0.1:{port}/linked?page={}>; rel=\"next\"",
                    page + 1
                ),
            )],
            body,
        )
            .into_response()
    } else {
        (StatusCode::OK, body).into_response()
    }
}

async fn cursor(Query(q): Query<HashMap<String, String>>) -> impl IntoResponse {
    let (items, next) = match q.get("cursor").map(|s| s.as_str()) {
        None => ("[1,2]", "c2"),
        Some("c2") => ("[3]", "c3"),
        _ => ("[4]", ""),
    };
    format!("{{\"members\":{items},\"response_metadata\":{{\"next_cursor\":\"{next}\"}}}}")
}

async fn odata(
    State(s): State<Srv>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let port = s.port.get().copied().unwrap_or(0);
    if q.contains_key("skiptoken") {
        "{\"value\":[{\"id\":\"b\"}]}".to_string()
    } else {
        format!("{{\"value\":[{{\"id\":\"a\"}}],\"@odata.nextLink\":\"http://127.0.0.1:{port}/odata?skiptoken=x\"}}")
    }
}

async fn elsewhere() -> impl IntoResponse {
    "{\"value\":[],\"@odata.nextLink\":\"http://198.51.100.7/steal\"}"
}

async fn numbered(Query(q): Query<HashMap<String, String>>) -> impl IntoResponse {
    let p: u32 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    format!("{{\"paging\":{{\"pages\":3}},\"values\":[{p}]}}")
}

async fn wide(State(s): State<Srv>) -> impl IntoResponse {
    let now = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    s.max_in_flight.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(30)).await;
    s.in_flight.fetch_sub(1, Ordering::SeqCst);
    "[]"
}

/// Pages with ETags: 304 when `If-None-Match` names the current one. The tag of page 1
/// changes after `bump` (a member added).
async fn tagged(
    State(s): State<Srv>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> axum::response::Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    let page: u32 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let version = s.in_flight.load(Ordering::SeqCst);
    let tag = format!("W/\"p{page}v{}\"", if page == 1 { version } else { 0 });
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(tag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [("ETag", tag)]).into_response();
    }
    let port = s.port.get().copied().unwrap_or(0);
    let body = format!("[{{\"page\":{page},\"v\":{version}}}]");
    if page == 1 {
        (
            [
                ("ETag", tag),
                (
                    "Link",
                    format!("<http://127.0.0.1:{port}/tagged?page=2>; rel=\"next\""),
                ),
            ],
            body,
        )
            .into_response()
    } else {
        ([("ETag", tag)], body).into_response()
    }
}

async fn start() -> (String, Srv) {
    let s = Srv::default();
    let app = Router::new()
        .route("/flaky", get(flaky))
        .route("/limited", get(limited))
        .route("/secondary", get(secondary))
        .route("/auth", get(echo_auth))
        .route(
            "/forbidden",
            get(|| async {
                (
                    StatusCode::FORBIDDEN,
                    "Resource not accessible by integration",
                )
            }),
        )
        .route(
            "/missing",
            get(|| async { (StatusCode::NOT_FOUND, "{\"message\":\"Not Found\"}") }),
        )
        .route("/garbage", get(|| async { "<html>not json" }))
        .route("/slow", get(slow))
        .route("/linked", get(linked))
        .route("/cursor", get(cursor))
        .route("/odata", get(odata))
        .route("/elsewhere", get(elsewhere))
        .route("/numbered", get(numbered))
        .route("/wide", get(wide))
        .route("/tagged", get(tagged))
        .with_state(s.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    s.port.set(port).unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.ok() });
    (format!("http://127.0.0.1:{port}"), s)
}

fn fast() -> HttpSettings {
    HttpSettings {
        backoff_floor: Duration::from_millis(5),
        max_wait: Duration::from_secs(3),
        timeout: Duration::from_millis(700),
        max_attempts: 3,
        ..HttpSettings::default()
    }
}

fn client(base: &str) -> HttpClient {
    HttpClient::new(base, Auth::Bearer(Secret::new(TOKEN)), fast()).unwrap()
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let (base, s) = start().await;
    let c = client(&base);
    let r = c.get("/flaky", &[]).await.unwrap();
    assert_eq!(r.json().unwrap()["ok"], true);
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
    assert_eq!(c.stats().retries.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn retry_after_is_honoured_and_counted() {
    let (base, _s) = start().await;
    let c = client(&base);
    let t = Instant::now();
    c.get("/limited", &[]).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        t.elapsed()
    );
    assert_eq!(c.stats().throttled(), 1);
}

#[tokio::test]
async fn a_403_with_an_exhausted_budget_is_a_rate_limit_not_forbidden() {
    let (base, _s) = start().await;
    let c = client(&base);
    c.get("/secondary", &[]).await.unwrap();
    assert_eq!(c.stats().throttled(), 1);
    let e = c.get("/forbidden", &[]).await.unwrap_err();
    assert_eq!(e.class(), "forbidden");
}

#[tokio::test]
async fn each_fault_has_its_class_and_no_token_in_the_message() {
    let (base, _s) = start().await;
    let c = client(&base);
    let e = c.get("/auth", &[]).await.unwrap_err();
    assert_eq!(e.class(), "auth");
    // The server echoed the Authorization header into its body: scrubbed.
    let text = format!("{e} {e:?}");
    assert!(!text.contains(TOKEN), "{text}");
    assert!(text.contains("[REDACTED]"), "{text}");
    assert_eq!(
        c.get("/missing", &[]).await.unwrap_err().class(),
        "not_found"
    );
    let r = c.get("/garbage", &[]).await.unwrap();
    assert_eq!(r.json().unwrap_err().class(), "malformed");
    assert_eq!(c.get("/slow", &[]).await.unwrap_err().class(), "timeout");
    // Nobody listens on this port.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c2 = client(&format!("http://127.0.0.1:{dead}"));
    assert_eq!(c2.get("/x", &[]).await.unwrap_err().class(), "unavailable");
    assert!(!format!("{c2:?}").contains(TOKEN));
}

#[tokio::test]
async fn every_pagination_style_reads_every_page() {
    let (base, _s) = start().await;
    let c = client(&base);
    let all = c
        .get_all("/linked", &[], "", &Pagination::LinkHeader, 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let all = c
        .get_all(
            "/cursor",
            &[("limit", "2".into())],
            "/members",
            &Pagination::BodyCursor {
                pointer: "/response_metadata/next_cursor".into(),
                param: "cursor".into(),
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(all, vec![1, 2, 3, 4]);
    let all = c
        .get_all(
            "/odata",
            &[],
            "/value",
            &Pagination::NextUrl {
                pointer: "/@odata.nextLink".into(),
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let all = c
        .get_all(
            "/numbered",
            &[],
            "/values",
            &Pagination::PageNumber {
                param: "page".into(),
                start: 1,
                total_pointer: Some("/paging/pages".into()),
                per_page: None,
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(all, vec![1, 2, 3]);
    // A page limit reached is an error, never a silent cut.
    let e = c
        .get_all("/linked", &[], "", &Pagination::LinkHeader, 2)
        .await
        .unwrap_err();
    assert_eq!(e.class(), "malformed");
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let (base, _s) = start().await;
    let c = client(&base);
    let e = c
        .get_all(
            "/elsewhere",
            &[],
            "/value",
            &Pagination::NextUrl {
                pointer: "/@odata.nextLink".into(),
            },
            10,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("another host"), "{e}");
}

#[tokio::test]
async fn requests_in_flight_are_bounded() {
    let (base, s) = start().await;
    let c = HttpClient::new(
        &base,
        Auth::None,
        HttpSettings {
            in_flight: 3,
            ..fast()
        },
    )
    .unwrap();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let c = c.clone();
        set.spawn(async move { c.get("/wide", &[]).await.map(|_| ()) });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    assert!(s.max_in_flight.load(Ordering::SeqCst) <= 3);
    assert_eq!(s.hits.load(Ordering::SeqCst), 0);
}

#[test]
fn retry_after_parses_seconds_and_dates() {
    assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
    assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("soon"), None);
}

#[tokio::test]
async fn a_rerun_asks_with_etags_and_a_304_is_served_from_the_cache_with_its_links() {
    let (base, s) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let crawl = |scope: &'static str| {
        let base = base.clone();
        let cache = super::etag::EtagCache::new(dir.path(), scope).unwrap();
        async move {
            let c = client(&base).with_etag_cache(cache);
            let v = c
                .get_all("/tagged", &[], "", &Pagination::LinkHeader, 10)
                .await
                .unwrap();
            (v, c.stats().not_modified(), c.stats().requests())
        }
    };
    let (first, nm, req) = crawl("app:1:2").await;
    assert_eq!((first.len(), nm, req), (2, 0, 2));
    // Unchanged: both pages are 304s, page 1's Link still leads to page 2.
    let (again, nm, _) = crawl("app:1:2").await;
    assert_eq!(again, first);
    assert_eq!(nm, 2);
    // Page 1 changed: asked in full; page 2 still from the cache.
    s.in_flight.store(1, Ordering::SeqCst);
    let (changed, nm, _) = crawl("app:1:2").await;
    assert_eq!(nm, 1);
    assert_eq!(changed[0]["v"], 1);
    // Another credential's view never uses this one's answers.
    let (_, nm, _) = crawl("token:other").await;
    assert_eq!(nm, 0);
}
