//! The fetch-only API layer of the `aws` connector: builds SDK clients (ring-only TLS,
//! standard retries, timeouts, a throttle counter) and reads IAM, the credential report,
//! CloudTrail, STS and Organizations into the plain structs of [`super::transform`].
//!
//! It decides *what* to fetch (bounded concurrency, the credential report before
//! per-key fallbacks, CloudTrail pacing) but never reshapes data into findings, and
//! never writes: the only "Generate" call, GenerateCredentialReport, only asks IAM to
//! refresh a read-only report. Errors are classified ([`AwsError`]) and scrubbed of
//! every credential value this process holds before they leave this module.

use super::transform::{
    self, AccessKeyData, AccountData, AttachedPolicy, CloudTrailEvent, GroupData, InlinePolicy,
    RoleData, UserCredential, UserData,
};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_iam::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// SDK attempts per call (standard retry mode: exponential backoff with full jitter,
/// 1 s initial, 20 s cap; the SDK default is 3, too few for IAM's low account-wide rate
/// limits). Not adaptive mode: its client-side rate limiter drops towards 0.5 requests/s
/// whenever throttles keep coming regardless of our own rate (another tool using the
/// account's IAM quota), which turned a 300-user crawl under 30% throttling from under
/// a minute into more than five; `max_in_flight` bounds our own rate instead. Each
/// account has its own retry quota (see [`AccountClients::new`]).
pub const MAX_ATTEMPTS: u32 = 5;
/// CloudTrail LookupEvents allows 2 requests per second per account and region.
const CLOUDTRAIL_PACE: Duration = Duration::from_millis(500);
/// How far back LookupEvents can see.
const CLOUDTRAIL_DAYS: i64 = 90;
/// Events we attribute creators from.
pub const CLOUDTRAIL_EVENTS: &[&str] = &[
    "CreateUser",
    "CreateAccessKey",
    "CreateRole",
    "CreateLoginProfile",
];
/// How long to wait for IAM to finish generating the credential report.
const REPORT_WAIT: Duration = Duration::from_secs(60);

/// Collect a paginator's items, recording a failure (and returning what it has) on error.
macro_rules! collect_items {
    ($c:expr, $op:expr, $req:expr) => {{
        let mut out = Vec::new();
        let mut listed = Listed::Ok;
        if $c.skip($op) {
            listed = Listed::Failed;
        } else {
            let mut stream = $req.into_paginator().items().send();
            loop {
                match stream.next().await {
                    Some(Ok(item)) => out.push(item),
                    Some(Err(e)) if not_found(&e) => {
                        listed = Listed::Gone;
                        break;
                    }
                    Some(Err(e)) => {
                        $c.fail($op, &e);
                        listed = Listed::Failed;
                        break;
                    }
                    None => break,
                }
            }
        }
        (out, listed)
    }};
}

mod errors;
mod iam;
mod sts;
mod trail;

pub use errors::*;
#[allow(unused_imports)]
pub use iam::*;
pub use sts::*;
#[allow(unused_imports)]
pub use trail::*;

/// Connection settings shared by every account.
#[derive(Debug, Clone)]
pub struct Settings {
    pub profile: Option<String>,
    pub region: String,
    pub endpoint_url: Option<String>,
    pub cloudtrail: bool,
    /// IAM requests in flight per account.
    pub in_flight: usize,
}

/// The base SDK config: the standard credential chain (env, profile, SSO, process,
/// web identity, container and instance roles), ring-only TLS, standard retries.
pub async fn base_config(s: &Settings) -> SdkConfig {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .region(Region::new(s.region.clone()))
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(60))
                .build(),
        );
    if let Some(p) = &s.profile {
        loader = loader.profile_name(p);
    }
    if let Some(e) = &s.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    loader.load().await
}

pub(super) fn chrono_time(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

pub(super) fn opt_time(t: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    t.and_then(chrono_time)
}

/// Errors of one account crawl, kept per API so a per-user failure repeated for 5 000
/// users becomes one line, and so an API that keeps failing is not asked again.
#[derive(Debug, Default)]
pub struct Failures {
    by_op: Mutex<BTreeMap<&'static str, (AwsError, u64)>>,
    /// APIs switched off for the rest of this account after a non-transient failure.
    disabled: Mutex<BTreeSet<&'static str>>,
}

impl Failures {
    pub fn record(&self, e: AwsError) {
        let sticky = !matches!(e, AwsError::RateLimited { .. } | AwsError::NotFound { .. });
        let op = e.op();
        if sticky {
            if let Ok(mut d) = self.disabled.lock() {
                d.insert(op);
            }
        }
        if let Ok(mut m) = self.by_op.lock() {
            m.entry(op).or_insert((e, 0)).1 += 1;
        }
    }
    pub fn is_disabled(&self, op: &'static str) -> bool {
        self.disabled
            .lock()
            .map(|d| d.contains(op))
            .unwrap_or(false)
    }
    /// `(error, how many calls failed or were skipped because of it)`, by API name.
    pub fn errors(&self) -> Vec<(AwsError, u64)> {
        self.by_op
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }
}

/// The clients for one account and the crawl's shared state.
#[derive(Clone)]
pub struct AccountClients {
    pub iam: aws_sdk_iam::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub scrub: Scrubber,
    pub failures: Arc<Failures>,
    /// Principals and credentials that ListUsers/ListRoles/... returned but that were
    /// deleted before their own calls (NoSuchEntity): gone, so skipped, not errors.
    pub deleted: Arc<Mutex<BTreeSet<String>>>,
    /// Service-linked roles (`/aws-service-role/`) left out of the inventory: AWS owns
    /// them. Counted in coverage `skipped.service_linked_role`.
    pub service_linked: Arc<std::sync::atomic::AtomicU64>,
    /// Principals listed and crawled so far, for the progress line (shared by every
    /// account of one connector).
    pub counts: Arc<CrawlCounts>,
}

/// How far a crawl is: IAM principals (users, groups, roles) listed, and how many of
/// them have had their own calls (keys, policies, tags) made.
#[derive(Debug, Default)]
pub struct CrawlCounts {
    listed: std::sync::atomic::AtomicU64,
    done: std::sync::atomic::AtomicU64,
}

impl CrawlCounts {
    fn listed(&self, n: usize) {
        self.listed
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
    }
    fn done(&self) {
        self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    /// `(crawled, listed)` so far.
    pub fn get(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.done.load(Relaxed), self.listed.load(Relaxed))
    }
}

impl AccountClients {
    pub fn new(
        sdk: &SdkConfig,
        throttles: &ThrottleCounter,
        scrub: &Scrubber,
        cloudtrail_region: String,
        account: &str,
        counts: Arc<CrawlCounts>,
    ) -> Self {
        // IAM's rate limits are per account: each account gets its own retry quota, so
        // one heavily throttled account cannot use up the retries of the others (the
        // SDK's default partition is shared by every IAM client in the process).
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(sdk)
                .interceptor(throttles.clone())
                .retry_partition(aws_sdk_iam::config::retry::RetryPartition::new(format!(
                    "nhiscan-iam-{account}"
                )))
                .build(),
        );
        let cloudtrail = aws_sdk_cloudtrail::Client::from_conf(
            aws_sdk_cloudtrail::config::Builder::from(sdk)
                .interceptor(throttles.clone())
                .region(Region::new(cloudtrail_region))
                .build(),
        );
        AccountClients {
            iam,
            cloudtrail,
            scrub: scrub.clone(),
            failures: Arc::new(Failures::default()),
            deleted: Arc::default(),
            service_linked: Arc::default(),
            counts,
        }
    }

    /// A per-principal task that panicked or was cancelled: what it would have read is
    /// missing, so the account is partial (never a silent drop).
    fn task_lost(&self, what: &str, e: &tokio::task::JoinError) {
        let why = if e.is_panic() {
            "panicked"
        } else {
            "was cancelled"
        };
        self.failures.record(AwsError::Other {
            op: "nhiscan:crawl",
            message: format!("a {what} crawl task {why}: that {what} is not in the results"),
        });
    }

    /// Note that `what` (`user bob`) was deleted while the crawl ran: it no longer
    /// exists, so it is skipped (counted in coverage `skipped`), never an error.
    fn gone<T>(&self, what: String) -> Option<T> {
        tracing::debug!(entity = %what, "IAM entity deleted during the scan (NoSuchEntity); skipped");
        if let Ok(mut d) = self.deleted.lock() {
            d.insert(what);
        }
        None
    }

    fn fail<E>(&self, op: &'static str, e: &SdkError<E, HttpResponse>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let err = classify(op, e).scrubbed(&self.scrub);
        self.failures.record(err.clone());
        err
    }

    /// Skip an API already known to fail in this account, counting the skipped call.
    fn skip(&self, op: &'static str) -> bool {
        if self.failures.is_disabled(op) {
            if let Ok(mut m) = self.failures.by_op.lock() {
                if let Some(entry) = m.get_mut(op) {
                    entry.1 += 1;
                }
            }
            return true;
        }
        false
    }
}

/// Did the call fail because the entity it names does not exist (IAM `NoSuchEntity`)?
pub(super) fn not_found<E>(e: &SdkError<E, HttpResponse>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    matches!(classify("", e), AwsError::NotFound { .. })
}

/// How a listing went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Listed {
    Ok,
    /// Failed (recorded in the crawl's failures) or skipped.
    Failed,
    /// NoSuchEntity: the user/role/group it is about was deleted. Not recorded.
    Gone,
}

/// Crawl one account. `listed` in the result says whether the core inventory (users or
/// roles) could be listed at all; errors are in `clients.failures`.
pub async fn fetch_account(
    c: &AccountClients,
    s: &Settings,
    account_id: String,
) -> (AccountData, bool) {
    let mut data = AccountData {
        account_id,
        ..Default::default()
    };
    let ct = async {
        if s.cloudtrail {
            fetch_cloudtrail(c).await
        } else {
            Vec::new()
        }
    };
    let iam = fetch_iam(c, s, &mut data);
    let (events, listed) = tokio::join!(ct, iam);
    data.cloudtrail = events;
    (data, listed)
}

pub(super) async fn fetch_iam(c: &AccountClients, s: &Settings, data: &mut AccountData) -> bool {
    // Ask IAM to (re)build the report first; it is ready by the time users are listed.
    let report_started = generate_report(c).await;
    let sem = Arc::new(Semaphore::new(s.in_flight.max(1)));

    let (users, users_listed) = collect_items!(c, "iam:ListUsers", c.iam.list_users());
    c.counts.listed(users.len());
    let mut set = JoinSet::new();
    for u in users {
        let c = c.clone();
        let sem = sem.clone();
        set.spawn(async move {
            let Ok(_permit) = sem.acquire_owned().await else {
                return None;
            };
            let base = UserData {
                name: u.user_name().to_string(),
                arn: u.arn().to_string(),
                user_id: u.user_id().to_string(),
                path: u.path().to_string(),
                created: chrono_time(u.create_date()),
                password_last_used: opt_time(u.password_last_used()),
                ..Default::default()
            };
            fetch_user(&c, base).await
        });
    }
    let (groups, _) = collect_items!(c, "iam:ListGroups", c.iam.list_groups());
    c.counts.listed(groups.len());
    let mut gset = JoinSet::new();
    for g in groups {
        let c = c.clone();
        let sem = sem.clone();
        gset.spawn(async move {
            let Ok(_permit) = sem.acquire_owned().await else {
                return None;
            };
            fetch_group(&c, g.group_name().to_string()).await
        });
    }
    let (roles, roles_listed) = collect_items!(c, "iam:ListRoles", c.iam.list_roles());
    let mut rset = JoinSet::new();
    for r in roles {
        if transform::is_service_linked(r.path()) {
            c.service_linked
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            continue;
        }
        c.counts.listed(1);
        let c = c.clone();
        let sem = sem.clone();
        let base = RoleData {
            name: r.role_name().to_string(),
            arn: r.arn().to_string(),
            path: r.path().to_string(),
            created: chrono_time(r.create_date()),
            description: r.description().map(str::to_string),
            trust_policy: r.assume_role_policy_document().map(str::to_string),
            ..Default::default()
        };
        rset.spawn(async move {
            let Ok(_permit) = sem.acquire_owned().await else {
                return None;
            };
            fetch_role(&c, base).await
        });
    }
    while let Some(r) = set.join_next().await {
        c.counts.done();
        match r {
            Ok(Some(u)) => data.users.push(u),
            Ok(None) => {}
            Err(e) => c.task_lost("user", &e),
        }
    }
    while let Some(r) = gset.join_next().await {
        c.counts.done();
        match r {
            Ok(Some(g)) => {
                data.groups.insert(g.name.clone(), g);
            }
            Ok(None) => {}
            Err(e) => c.task_lost("group", &e),
        }
    }
    while let Some(r) = rset.join_next().await {
        c.counts.done();
        match r {
            Ok(Some(role)) => data.roles.push(role),
            Ok(None) => {}
            Err(e) => c.task_lost("role", &e),
        }
    }
    // Stable order regardless of which task finished first.
    data.users.sort_by(|a, b| a.name.cmp(&b.name));
    data.roles.sort_by(|a, b| a.name.cmp(&b.name));

    attach_service_credentials(c, &mut data.users).await;
    data.policy_docs = fetch_customer_policies(c, &sem, data).await;
    data.key_last_used = key_last_used(c, &sem, &data.users, report_started).await;
    users_listed == Listed::Ok || roles_listed == Listed::Ok
}

#[cfg(test)]
mod tests;
