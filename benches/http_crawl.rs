//! Crawl benchmark of the shared HTTP layer: a local server (127.0.0.1) that answers
//! each request after 20 ms and allows N requests per second (a fixed window; past it,
//! 429 with `Retry-After`), crawled by U units of two `Link`-paged pages each with 8
//! requests in flight. Reports wall time against the ideal (the lower of the rate limit
//! and in-flight / latency), every 429, the 429s after the first `Retry-After` was
//! honoured, and whether every page was read.
//!
//! `cargo bench --bench http_crawl` (U=400 at 100 req/s); under `cargo test` it runs a
//! small crawl once as a smoke test.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use nhiscan::connectors::http::{Auth, HttpClient, HttpSettings, Pagination};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
struct Srv {
    rate: u64,
    window: Arc<Mutex<(Instant, u64)>>,
    throttled: Arc<AtomicU64>,
    served: Arc<AtomicU64>,
    port: u16,
}

async fn page(
    State(s): State<Srv>,
    Path(unit): Path<u64>,
    Query(q): Query<HashMap<String, String>>,
) -> axum::response::Response {
    tokio::time::sleep(Duration::from_millis(20)).await;
    let over = {
        let mut w = s.window.lock().unwrap();
        if w.0.elapsed() >= Duration::from_secs(1) {
            *w = (Instant::now(), 0);
        }
        w.1 += 1;
        w.1 > s.rate
    };
    if over {
        s.throttled.fetch_add(1, Ordering::Relaxed);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("Retry-After", "1")],
            "rate limited",
        )
            .into_response();
    }
    s.served.fetch_add(1, Ordering::Relaxed);
    let p: u64 = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(1);
    let body = format!("[{{\"unit\":{unit},\"page\":{p}}}]");
    if p < 2 {
        let link = format!(
            "<http://127.0.0.1:{}/units/{unit}/keys?page=2>; rel=\"next\"",
            s.port
        );
        (StatusCode::OK, [("Link", link)], body).into_response()
    } else {
        (StatusCode::OK, body).into_response()
    }
}

async fn run(units: u64, rate: u64, in_flight: usize) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let srv = Srv {
        rate,
        window: Arc::new(Mutex::new((Instant::now(), 0))),
        throttled: Arc::default(),
        served: Arc::default(),
        port,
    };
    let app = Router::new()
        .route("/units/{unit}/keys", get(page))
        .with_state(srv.clone());
    tokio::spawn(async move { axum::serve(l, app).await.ok() });
    let client = HttpClient::new(
        &format!("http://127.0.0.1:{port}"),
        Auth::None,
        HttpSettings {
            in_flight,
            max_attempts: 10,
            backoff_floor: Duration::from_millis(50),
            ..HttpSettings::default()
        },
    )
    .unwrap();
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for u in 0..units {
        let c = client.clone();
        set.spawn(async move {
            c.get_all(
                &format!("/units/{u}/keys"),
                &[],
                "",
                &Pagination::LinkHeader,
                10,
            )
            .await
            .map(|v| v.len())
        });
    }
    let (mut pages, mut failed) = (0usize, 0usize);
    while let Some(r) = set.join_next().await {
        match r {
            Ok(Ok(n)) => pages += n,
            _ => failed += 1,
        }
    }
    let wall = t.elapsed().as_secs_f64();
    let requests = units * 2;
    let ideal = (requests as f64 / rate as f64).max(requests as f64 * 0.020 / in_flight as f64);
    let throttled = srv.throttled.load(Ordering::Relaxed);
    // 429s past the ones of the first burst: the first burst's answers are those sent
    // before the client saw the first Retry-After (at most the requests in flight).
    let later = throttled.saturating_sub(in_flight as u64);
    println!(
        "units {units}, requests {requests}, limit {rate}/s, in flight {in_flight}: \
         wall {wall:.2}s, ideal {ideal:.2}s ({:+.0}%), 429s {throttled} (after the first burst {later}), \
         pages read {pages}/{requests}, units failed {failed}, learned pace {:?} req/s",
        (wall / ideal - 1.0) * 100.0,
        client.pace().map(|p| p.round()),
    );
    assert_eq!(pages as u64, requests, "every page read");
    assert_eq!(failed, 0);
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if bench {
        rt.block_on(run(400, 100, 8));
        rt.block_on(run(400, 1000, 8));
    } else {
        rt.block_on(run(30, 40, 8));
    }
}
