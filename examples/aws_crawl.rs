//! Times one crawl of the `aws` connector against an endpoint (moto for the benchmark in
//! `benches/aws_crawl.sh`). Prints one JSON line: requests in flight, items, wall time.
//!
//! Usage: `cargo run --release --example aws_crawl -- ENDPOINT [MAX_IN_FLIGHT]`, with
//! credentials from the standard chain (the benchmark uses moto's fake `testing` ones).

use nhiscan::connectors::aws::{AwsConfig, AwsConnector};
use nhiscan::connectors::{Connector, Limits, Mode, PathAllowlist, Progress, ScanContext, Sink};
use nhiscan::model::Nhi;
use std::sync::atomic::{AtomicU64, Ordering};

struct Count(AtomicU64);

impl Sink for Count {
    fn emit(&self, _nhi: Nhi) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let endpoint = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: aws_crawl ENDPOINT [MAX_IN_FLIGHT]"))?;
    let in_flight: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(16);
    let cfg: AwsConfig = toml::from_str(&format!(
        "name = \"bench\"\nendpoint_url = \"{endpoint}\"\nmax_in_flight = {in_flight}\ncloudtrail = false\n"
    ))?;
    let conn = AwsConnector::new(&cfg, std::path::Path::new("."))?;
    let matcher = nhiscan::matcher::Matcher::new(nhiscan::rules::RuleSet::default())?;
    let progress = Progress::default();
    let allow = PathAllowlist::default();
    let ctx = ScanContext {
        matcher: &matcher,
        progress: &progress,
        mode: Mode::Sweep,
        limits: Limits::default(),
        allow_paths: &allow,
    };
    let sink = Count(AtomicU64::new(0));
    let started = std::time::Instant::now();
    let cov = conn.scan(&ctx, &sink);
    let secs = started.elapsed().as_secs_f64();
    let status: Vec<String> = cov
        .iter()
        .map(|c| format!("{:?}", c.status).to_lowercase())
        .collect();
    let throttled: u64 = cov.iter().map(|c| c.throttled).sum();
    println!(
        "{{\"max_in_flight\": {in_flight}, \"items\": {}, \"wall_s\": {secs:.2}, \"status\": {:?}, \"throttled\": {throttled}}}",
        sink.0.load(Ordering::Relaxed),
        status.join(",")
    );
    Ok(())
}
