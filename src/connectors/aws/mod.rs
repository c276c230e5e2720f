//! The `aws` connector: IAM users, access keys, roles, SSH keys, service-specific
//! credentials and signing certificates of one or more accounts, with CloudTrail creator
//! events where readable. Uses only read-only IAM/STS/CloudTrail/Organizations calls; the
//! least-privilege policy is `connectors/aws/policy.json`.
//!
//! Split: [`client`] fetches (and only fetches), [`transform`] turns what was fetched into
//! NHI records (pure, unit-tested), and this module runs accounts concurrently and turns
//! faults into coverage. One account's failure never stops the others, and an account
//! with any failed API is never reported complete.

pub mod client;
pub mod transform;

use super::{Connector, ScanContext, Sink};
use crate::model::{Coverage, Nhi};
use client::{AccountClients, CrawlCounts, Scrubber, Settings, ThrottleCounter};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How often the progress line is told how far an account crawl is.
const PROGRESS_TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// `[[connector]] type = "aws"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// Appears in findings as `aws:NAME`. Default `default`.
    #[serde(default)]
    pub name: Option<String>,
    /// Named profile; default credential chain otherwise.
    #[serde(default)]
    pub profile: Option<String>,
    /// Region for STS and CloudTrail (IAM is global). Default `us-east-1`.
    #[serde(default)]
    pub region: Option<String>,
    /// Emulators and VPC endpoints.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// Accounts to crawl by assuming `assume_role` in each.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Role ARN template with `{account}`.
    #[serde(default)]
    pub assume_role: Option<String>,
    /// List the organization's accounts (Organizations ListAccounts) and crawl each.
    #[serde(default)]
    pub organization: bool,
    /// Read CloudTrail LookupEvents for creator attribution. Default true.
    #[serde(default)]
    pub cloudtrail: Option<bool>,
    /// Accounts crawled at once. Default 4.
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// IAM requests in flight per account (users, groups and roles fetched at once).
    /// Default 16; lower it if IAM throttles.
    #[serde(default)]
    pub max_in_flight: Option<usize>,
}

/// Default IAM requests in flight per account.
pub const DEFAULT_IN_FLIGHT: usize = 16;
/// Default accounts crawled at once.
pub const DEFAULT_CONCURRENCY: usize = 4;

pub struct AwsConnector {
    cfg: AwsConfig,
}

impl AwsConnector {
    pub fn new(cfg: &AwsConfig, base: &Path) -> anyhow::Result<Self> {
        // Nothing in this config is a path.
        let _ = base;
        let name = cfg.name.as_deref().unwrap_or("default");
        let multi = !cfg.accounts.is_empty() || cfg.organization;
        match &cfg.assume_role {
            None if multi => anyhow::bail!(
                "aws connector {name}: `accounts` and `organization` need `assume_role`, a role ARN template such as \
                 \"arn:aws:iam::{{account}}:role/nhiscan-readonly\""
            ),
            Some(t) if !t.contains("{account}") => {
                anyhow::bail!("aws connector {name}: `assume_role` must contain {{account}}, got {t:?}")
            }
            _ => {}
        }
        // A typo in a configured account id is a config error, not an account that failed.
        if let Some(bad) = cfg
            .accounts
            .iter()
            .find(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
        {
            anyhow::bail!(
                "aws connector {name}: `accounts` entry {bad:?} is not an AWS account id (12 digits)"
            );
        }
        if let Some(r) = &cfg.region {
            // The SDK would only fail at the first call, with an endpoint-resolution error.
            let valid = !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !r.starts_with('-')
                && !r.ends_with('-');
            if !valid {
                anyhow::bail!(
                    "aws connector {name}: `region` must be an AWS region such as \"us-east-1\", got {r:?} \
                     (leave it out for the default, us-east-1)"
                );
            }
        }
        if let Some(u) = &cfg.endpoint_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                anyhow::bail!(
                    "aws connector {name}: `endpoint_url` must be an http:// or https:// URL, got {u:?}"
                );
            }
        }
        if cfg.concurrency == Some(0) || cfg.max_in_flight == Some(0) {
            anyhow::bail!(
                "aws connector {name}: `concurrency` and `max_in_flight` must be at least 1"
            );
        }
        Ok(AwsConnector { cfg: cfg.clone() })
    }

    fn settings(&self) -> Settings {
        Settings {
            profile: self.cfg.profile.clone(),
            region: self
                .cfg
                .region
                .clone()
                .unwrap_or_else(|| "us-east-1".into()),
            endpoint_url: self.cfg.endpoint_url.clone(),
            cloudtrail: self.cfg.cloudtrail.unwrap_or(true),
            in_flight: self.cfg.max_in_flight.unwrap_or(DEFAULT_IN_FLIGHT),
        }
    }

    async fn scan_async(&self, progress: &super::Progress, sink: &dyn Sink) -> Vec<Coverage> {
        let name = self.name();
        let running = progress.start(&name);
        running.phase("credentials", 0, None);
        let settings = self.settings();
        let sdk = client::base_config(&settings).await;
        let scrub = Scrubber::default();
        if let Err(e) = client::check_credentials(&sdk, settings.profile.as_deref(), &scrub).await {
            let mut cov = Coverage::new(&name);
            cov.fail(e);
            return vec![cov];
        }
        let multi = !self.cfg.accounts.is_empty() || self.cfg.organization;
        if !multi {
            let throttles = ThrottleCounter::default();
            let account = match client::caller_account(&sdk, &throttles, &scrub).await {
                Ok(a) => a,
                Err(e) => {
                    let mut cov = Coverage::new(&name);
                    cov.fail(with_endpoint(&e, &settings));
                    cov.throttled = throttles.get();
                    return vec![cov];
                }
            };
            let what = format!("account {account}: IAM principals");
            running.phase(&what, 0, None);
            let counts = Arc::new(CrawlCounts::default());
            let job = crawl(
                sdk,
                settings,
                account,
                Unit {
                    connector: name.clone(),
                    coverage: name,
                },
                throttles,
                scrub,
                counts.clone(),
            );
            tokio::pin!(job);
            let mut tick = tokio::time::interval(PROGRESS_TICK);
            let (nhis, cov) = loop {
                tokio::select! {
                    r = &mut job => break r,
                    _ = tick.tick() => {
                        let (done, listed) = counts.get();
                        running.phase(&what, done, Some(listed));
                    }
                }
            };
            progress.add_items(nhis.len() as u64);
            for n in nhis {
                sink.emit(n);
            }
            return vec![cov];
        }

        let mut coverage = Vec::new();
        let mut accounts = self.cfg.accounts.clone();
        if self.cfg.organization {
            let throttles = ThrottleCounter::default();
            match client::org_accounts(&sdk, &throttles, &scrub).await {
                Ok(a) => accounts.extend(a),
                Err(e) => {
                    let mut cov = Coverage::new(&name);
                    cov.fail(format!("{e}: the organization's accounts are unknown"));
                    cov.throttled = throttles.get();
                    coverage.push(cov);
                }
            }
        }
        accounts.sort();
        accounts.dedup();
        if accounts.is_empty() && coverage.is_empty() {
            // Nothing to crawl is a gap, never a clean run with no coverage at all.
            let mut cov = Coverage::new(&name);
            cov.fail(
                "no accounts to scan: Organizations ListAccounts returned no ACTIVE account \
                 (is this the management or a delegated-admin account?) and `accounts` is empty",
            );
            coverage.push(cov);
        }
        let (mut accounts_done, accounts_total) = (0, accounts.len() as u64);
        running.phase("accounts", 0, Some(accounts_total));
        let template = self.cfg.assume_role.clone().unwrap_or_default();
        let sem = Arc::new(Semaphore::new(
            self.cfg.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
        ));
        let counts = Arc::new(CrawlCounts::default());
        let mut set = JoinSet::new();
        // Which coverage unit each task is, so a task that panics is reported under its
        // own account, not the connector's name.
        let mut units: HashMap<tokio::task::Id, String> = HashMap::new();
        for account in accounts {
            let counts = counts.clone();
            let (sdk, settings, scrub, sem) =
                (sdk.clone(), settings.clone(), scrub.clone(), sem.clone());
            let connector = name.clone();
            let cov_name = crate::model::coverage_unit::unit_name(&name, Some(&account));
            let role = template.replace("{account}", &account);
            let unit = cov_name.clone();
            let handle = set.spawn(async move {
                let Ok(_permit) = sem.acquire_owned().await else {
                    let mut cov = Coverage::new(&cov_name);
                    cov.fail("account crawl cancelled");
                    return (Vec::new(), cov);
                };
                if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                    let mut cov = Coverage::new(&cov_name);
                    cov.fail(format!(
                        "invalid AWS account id {account:?}: expected 12 digits"
                    ));
                    return (Vec::new(), cov);
                }
                let assumed = match client::assume_role(&sdk, &role, &scrub).await {
                    Ok(c) => c,
                    Err(e) => {
                        let mut cov = Coverage::new(&cov_name);
                        cov.fail(format!("{e} (account {account})"));
                        return (Vec::new(), cov);
                    }
                };
                crawl(
                    assumed,
                    settings,
                    account,
                    Unit {
                        connector,
                        coverage: cov_name,
                    },
                    ThrottleCounter::default(),
                    scrub,
                    counts,
                )
                .await
            });
            units.insert(handle.id(), unit);
        }
        let mut per_account = Vec::new();
        let mut tick = tokio::time::interval(PROGRESS_TICK);
        loop {
            let r = tokio::select! {
                r = set.join_next_with_id() => match r {
                    Some(r) => r,
                    None => break,
                },
                _ = tick.tick() => {
                    let (done, listed) = counts.get();
                    running.phase(
                        &format!("accounts {accounts_done}/{accounts_total}: IAM principals"),
                        done,
                        Some(listed),
                    );
                    continue;
                }
            };
            accounts_done += 1;
            match r {
                Ok((_, (nhis, cov))) => {
                    progress.add_items(nhis.len() as u64);
                    for n in nhis {
                        sink.emit(n);
                    }
                    per_account.push(cov);
                }
                Err(e) => {
                    // A panicking account task must still show up as a gap, never as
                    // clean, under the account it was crawling.
                    let unit = units.get(&e.id()).cloned().unwrap_or_else(|| name.clone());
                    let why = if e.is_panic() {
                        "panicked"
                    } else {
                        "was cancelled"
                    };
                    let mut cov = Coverage::new(&unit);
                    cov.fail(format!(
                        "account crawl {why}: nothing from it is in the results"
                    ));
                    per_account.push(cov);
                }
            }
        }
        per_account.sort_by(|a, b| a.connector.cmp(&b.connector));
        coverage.extend(per_account);
        coverage
    }
}

/// The error's text, naming the endpoint or region it could not reach, since the SDK's
/// own connection errors do not.
fn with_endpoint(e: &client::AwsError, s: &Settings) -> String {
    match e {
        client::AwsError::Unavailable { .. } => match &s.endpoint_url {
            Some(u) => format!("{e} (endpoint_url {u})"),
            None => format!("{e} (region {})", s.region),
        },
        _ => e.to_string(),
    }
}

/// Region whose CloudTrail event history holds IAM events: IAM is global and its
/// events land in us-east-1 (cn-north-1 and us-gov-west-1 in those partitions).
/// Emulators and VPC endpoints answer in the configured region.
fn cloudtrail_region(s: &Settings) -> String {
    if s.endpoint_url.is_some() {
        s.region.clone()
    } else if s.region.starts_with("cn-") {
        "cn-north-1".into()
    } else if s.region.starts_with("us-gov-") {
        "us-gov-west-1".into()
    } else {
        "us-east-1".into()
    }
}

/// Crawl one account and turn it into NHIs and one coverage entry.
/// Where one account's results go: the connector's name (in findings) and the coverage
/// unit (`aws:prod`, or `aws:prod/123456789012` in a multi-account run).
struct Unit {
    connector: String,
    coverage: String,
}

async fn crawl(
    sdk: aws_config::SdkConfig,
    settings: Settings,
    account: String,
    unit: Unit,
    throttles: ThrottleCounter,
    scrub: Scrubber,
    counts: Arc<CrawlCounts>,
) -> (Vec<Nhi>, Coverage) {
    let clients = AccountClients::new(
        &sdk,
        &throttles,
        &scrub,
        cloudtrail_region(&settings),
        &account,
        counts,
    );
    let started = std::time::Instant::now();
    let (data, listed) = client::fetch_account(&clients, &settings, account.clone()).await;
    let nhis = transform::account_nhis(&unit.connector, &data);
    let mut cov = Coverage::new(unit.coverage);
    cov.items_scanned = nhis.len() as u64;
    for (e, n) in clients.failures.errors() {
        let msg = if n > 1 {
            format!("{e} (account {account}; {n} calls failed or skipped)")
        } else {
            format!("{e} (account {account})")
        };
        tracing::warn!(account = %account, api = e.op(), "AWS API failed: {msg}");
        if listed {
            cov.error(msg);
        } else {
            cov.fail(msg);
        }
    }
    if !listed && cov.is_complete() {
        cov.fail(format!("nothing could be listed in account {account}"));
    }
    cov.throttled = throttles.get();
    let linked = clients
        .service_linked
        .load(std::sync::atomic::Ordering::Relaxed);
    if linked > 0 {
        // AWS creates and owns these; nobody in the org can be their owner.
        cov.skipped.insert("service_linked_role".into(), linked);
    }
    let deleted = clients.deleted.lock().map(|d| d.len()).unwrap_or(0) as u64;
    if deleted > 0 {
        // Listed, then deleted before their own calls: they no longer exist, so the
        // scan is still complete.
        cov.skipped.insert("deleted_during_scan".into(), deleted);
    }
    tracing::info!(
        account = %account,
        users = data.users.len(),
        roles = data.roles.len(),
        items = nhis.len(),
        throttled = cov.throttled,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "AWS account crawled"
    );
    (nhis, cov)
}

impl Connector for AwsConnector {
    fn name(&self) -> String {
        format!("aws:{}", self.cfg.name.as_deref().unwrap_or("default"))
    }

    fn scan(&self, ctx: &ScanContext<'_>, sink: &dyn Sink) -> Vec<Coverage> {
        let progress = ctx.progress;
        // On the process's one runtime; a panic in the crawl is recorded under this
        // connector's name, never lost.
        super::runtime::block_on(self.scan_async(progress, sink)).unwrap_or_else(|e| {
            let mut cov = Coverage::new(self.name());
            cov.classed_fail(
                e.class(),
                format!("aws connector {e}; nothing from it can be trusted as complete"),
            );
            vec![cov]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(toml_text: &str) -> AwsConfig {
        toml::from_str(toml_text).expect("config")
    }

    #[test]
    fn config_rejects_unknown_keys_and_bad_templates() {
        assert!(toml::from_str::<AwsConfig>("bogus = 1").is_err());
        let base = Path::new(".");
        assert!(AwsConnector::new(&cfg(r#"accounts = ["111111111111"]"#), base).is_err());
        assert!(AwsConnector::new(
            &cfg(r#"accounts = ["111111111111"]
assume_role = "arn:aws:iam::111111111111:role/x""#),
            base
        )
        .is_err());
        let ok = AwsConnector::new(
            &cfg(r#"name = "prod"
accounts = ["111111111111"]
assume_role = "arn:aws:iam::{account}:role/nhiscan-readonly""#),
            base,
        )
        .expect("valid");
        assert_eq!(ok.name(), "aws:prod");
        assert_eq!(ok.settings().region, "us-east-1");
        assert!(ok.settings().cloudtrail);
    }

    #[test]
    fn config_rejects_empty_or_malformed_region_and_endpoint() {
        let base = Path::new(".");
        for bad in [
            r#"region = """#,
            r#"region = "US East 1""#,
            r#"region = "us-east-1 ""#,
            r#"endpoint_url = "127.0.0.1:5000""#,
        ] {
            let e = AwsConnector::new(&cfg(bad), base)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(
                e.to_string().contains("region") || e.to_string().contains("endpoint_url"),
                "{e}"
            );
        }
        assert!(AwsConnector::new(&cfg(r#"region = "us-gov-west-1""#), base).is_ok());
        let role = r#"assume_role = "arn:aws:iam::{account}:role/r""#;
        let e = AwsConnector::new(&cfg(&format!("accounts = [\"1234\"]\n{role}")), base)
            .err()
            .expect("a short account id is refused");
        assert!(e.to_string().contains("\"1234\""), "{e}");
        assert!(AwsConnector::new(
            &cfg(&format!("accounts = [\"111111111111\"]\n{role}")),
            base
        )
        .is_ok());
    }

    #[test]
    fn iam_events_are_read_where_iam_logs_them() {
        let mut s = AwsConnector::new(&cfg(r#"region = "eu-west-1""#), Path::new("."))
            .expect("cfg")
            .settings();
        assert_eq!(cloudtrail_region(&s), "us-east-1");
        s.region = "cn-northwest-1".into();
        assert_eq!(cloudtrail_region(&s), "cn-north-1");
        s.endpoint_url = Some("http://127.0.0.1:5000".into());
        assert_eq!(cloudtrail_region(&s), "cn-northwest-1");
    }

    #[test]
    fn scrubber_removes_known_secrets_and_debug_hides_them() {
        let s = Scrubber::default();
        s.add("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let msg = s.scrub("failed with secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in it");
        assert!(!msg.contains("wJalrXUtnFEMI"));
        assert!(!format!("{s:?}").contains("wJalr"));
    }
}
