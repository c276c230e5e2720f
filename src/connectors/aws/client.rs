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

/// A classified API failure. The message never holds a credential.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AwsError {
    #[error("{op} denied: {message}")]
    AccessDenied { op: &'static str, message: String },
    #[error(
        "{op} throttled (gave up after up to {MAX_ATTEMPTS} attempts with backoff): {message}"
    )]
    RateLimited { op: &'static str, message: String },
    #[error("{op}: cannot reach AWS: {message}")]
    Unavailable { op: &'static str, message: String },
    #[error("{op}: not found: {message}")]
    NotFound { op: &'static str, message: String },
    #[error("{op} failed: {message}")]
    Other { op: &'static str, message: String },
}

impl AwsError {
    pub fn op(&self) -> &'static str {
        match self {
            AwsError::AccessDenied { op, .. }
            | AwsError::RateLimited { op, .. }
            | AwsError::Unavailable { op, .. }
            | AwsError::NotFound { op, .. }
            | AwsError::Other { op, .. } => op,
        }
    }
    fn scrubbed(self, s: &Scrubber) -> Self {
        self.map_message(|m| s.scrub(&m))
    }
    /// The same error with its message rewritten.
    pub fn map_message(self, f: impl FnOnce(String) -> String) -> Self {
        match self {
            AwsError::AccessDenied { op, message } => AwsError::AccessDenied {
                op,
                message: f(message),
            },
            AwsError::RateLimited { op, message } => AwsError::RateLimited {
                op,
                message: f(message),
            },
            AwsError::Unavailable { op, message } => AwsError::Unavailable {
                op,
                message: f(message),
            },
            AwsError::NotFound { op, message } => AwsError::NotFound {
                op,
                message: f(message),
            },
            AwsError::Other { op, message } => AwsError::Other {
                op,
                message: f(message),
            },
        }
    }
}

const THROTTLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
];
const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthFailure",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "UnrecognizedClientException",
    "AWSOrganizationsNotInUseException",
    "TrailNotFoundException",
];

/// An error and its sources as one line of `Display` texts (`dispatch failure: io error:
/// ... Connection refused`), without the `Debug` dump of raw responses, headers and
/// bodies that the SDK's `DisplayErrorContext` appends. A source whose text the line
/// already holds is left out.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        let text = text.trim();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(text)) {
            parts.push(text.to_string());
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// The error code and message of an error body the SDK could not parse: query-protocol
/// XML in any nesting (`<Error><Code>`, or `<Errors><Error><Code>` as some emulators and
/// proxies send it) or JSON (`__type`, `code`; `message`/`Message`).
fn sniff_error_body(body: &[u8]) -> (Option<String>, Option<String>) {
    let text = String::from_utf8_lossy(&body[..body.len().min(8192)]);
    let xml = |tag: &str| {
        let open = format!("<{tag}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{tag}>"))? + start;
        Some(text[start..end].trim().to_string()).filter(|s| !s.is_empty())
    };
    if let (Some(code), message) = (xml("Code"), xml("Message")) {
        return (Some(code), message);
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text.trim()) {
        let field = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| v.get(*k).and_then(serde_json::Value::as_str))
                .map(str::to_string)
        };
        // `__type` may carry a namespace: `com.amazonaws...#AccessDeniedException`.
        let code = field(&["__type", "code", "Code"])
            .map(|c| c.rsplit('#').next().unwrap_or(&c).to_string());
        return (code, field(&["message", "Message"]));
    }
    (None, None)
}

/// Classify an SDK error for `op` (`iam:ListUsers`). When the SDK found no error code
/// (an emulator's or proxy's error body it could not parse, an HTML error page), the
/// code comes from the body if it has one, else from the HTTP status, so the coverage
/// line says `HTTP 403` or `AccessDenied` rather than `Unknown`.
pub fn classify<E>(op: &'static str, err: &SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let (mut code, mut message) = (
                err.code().map(str::to_string),
                err.message().map(str::to_string),
            );
            if code.is_none() {
                let (c, m) = ctx
                    .raw()
                    .body()
                    .bytes()
                    .map(sniff_error_body)
                    .unwrap_or_default();
                code = c;
                message = message.or(m);
            }
            let code_s = code.clone().unwrap_or_else(|| format!("HTTP {status}"));
            let message = match message {
                Some(m) if code.is_some() => format!("{code_s}: {m}"),
                Some(m) => format!("HTTP {status}: {m}"),
                None if code.is_some() => format!("{code_s} (HTTP {status})"),
                None => code_s.clone(),
            };
            let code = code.unwrap_or_default();
            if THROTTLE_CODES.contains(&code.as_str()) || status == 429 {
                AwsError::RateLimited { op, message }
            } else if DENIED_CODES.contains(&code.as_str())
                || (code.is_empty() && (status == 401 || status == 403))
            {
                AwsError::AccessDenied { op, message }
            } else if code == "NoSuchEntity" {
                AwsError::NotFound { op, message }
            } else {
                AwsError::Other { op, message }
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            AwsError::Unavailable {
                op,
                message: error_chain(err),
            }
        }
        _ => AwsError::Other {
            op,
            message: error_chain(err),
        },
    }
}

pub use crate::model::scrub::Scrubber;

/// AWS credentials into a [`Scrubber`].
pub trait ScrubAws {
    fn add_credentials(&self, c: &aws_credential_types::Credentials);
}

impl ScrubAws for Scrubber {
    fn add_credentials(&self, c: &aws_credential_types::Credentials) {
        self.add(c.secret_access_key());
        if let Some(t) = c.session_token() {
            self.add(t);
        }
    }
}

/// Counts throttled attempts (the SDK retries them; coverage reports how many).
#[derive(Debug, Clone, Default)]
pub struct ThrottleCounter(pub Arc<AtomicU64>);

impl ThrottleCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

fn is_throttle_body(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&body[..body.len().min(2048)]);
    THROTTLE_CODES.iter().any(|c| text.contains(c))
}

impl Intercept for ThrottleCounter {
    fn name(&self) -> &'static str {
        "NhiscanThrottleCounter"
    }
    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let resp = context.response();
        let status = resp.status().as_u16();
        // Error bodies are read into memory before deserialization, so `bytes()` is
        // available; IAM/STS say "Throttling" in XML, CloudTrail/Organizations in JSON.
        let throttled = status == 429
            || ((400..600).contains(&status) && resp.body().bytes().is_some_and(is_throttle_body));
        if throttled {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

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

/// Resolve the config's credentials once, so a missing or broken chain is reported up
/// front, and remember the secret values for scrubbing.
pub async fn check_credentials(
    sdk: &SdkConfig,
    profile: Option<&str>,
    scrub: &Scrubber,
) -> Result<(), String> {
    let Some(p) = sdk.credentials_provider() else {
        return Err("no AWS credentials: the default chain found no provider".into());
    };
    match p.provide_credentials().await {
        Ok(c) => {
            scrub.add_credentials(&c);
            Ok(())
        }
        Err(e) => {
            // One line: the SDK lists each provider it tried on its own line.
            let detail = error_chain(&e)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("; ")
                .replace(":;", ":");
            // An emulator or VPC endpoint: the instance metadata service, ECS and web
            // identity are beside the point there, and an emulator needs (any) keys too.
            if profile.is_none() && sdk.endpoint_url().is_some() {
                // The chain's own error is its last provider's (IMDS, off EC2), with no
                // provider name in front: every part that is about those is dropped.
                let skip = [
                    "webidentitytoken",
                    "web identity",
                    "ecscontainer",
                    "ec2instancemetadata",
                    "imds",
                    "metadata",
                ];
                let detail: Vec<&str> = detail
                    .split("; ")
                    .filter(|part| {
                        let part = part.to_ascii_lowercase();
                        !skip.iter().any(|p| part.contains(p))
                    })
                    .collect();
                let detail = if detail.is_empty() {
                    "none in the environment or the shared config files".to_string()
                } else {
                    detail.join("; ")
                };
                return Err(scrub.scrub(&format!(
                    "no usable AWS credentials for the configured endpoint_url: {detail} (an emulator needs credentials too, any values will do: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, e.g. to `test`, or set `profile` in the config)"
                )));
            }
            let hint = match profile {
                Some(p) => format!(
                    "profile {p:?} (from the config) must exist in ~/.aws/config or ~/.aws/credentials \
                     (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) and yield credentials"
                ),
                None => "set `profile` in the config, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY".into(),
            };
            Err(scrub.scrub(&format!("no usable AWS credentials: {detail} ({hint})")))
        }
    }
}

/// The caller's account id (STS GetCallerIdentity needs no permission).
pub async fn caller_account(
    sdk: &SdkConfig,
    throttles: &ThrottleCounter,
    scrub: &Scrubber,
) -> Result<String, AwsError> {
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .interceptor(throttles.clone())
            .build(),
    );
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| classify("sts:GetCallerIdentity", &e).scrubbed(scrub))?;
    Ok(out.account().unwrap_or_default().to_string())
}

/// Accounts of the organization (Organizations ListAccounts), active ones only.
pub async fn org_accounts(
    sdk: &SdkConfig,
    throttles: &ThrottleCounter,
    scrub: &Scrubber,
) -> Result<Vec<String>, AwsError> {
    let org = aws_sdk_organizations::Client::from_conf(
        aws_sdk_organizations::config::Builder::from(sdk)
            .interceptor(throttles.clone())
            .build(),
    );
    let pages = org
        .list_accounts()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify("organizations:ListAccounts", &e).scrubbed(scrub))?;
    Ok(pages
        .iter()
        .flat_map(|p| p.accounts())
        .filter(|a| a.status().map_or(true, |s| s.as_str() == "ACTIVE"))
        .filter_map(|a| a.id().map(str::to_string))
        .collect())
}

/// An SDK config whose credentials come from assuming `role_arn` (refreshed by the
/// provider). Assumes once eagerly so a denied role fails this account up front.
pub async fn assume_role(
    base: &SdkConfig,
    role_arn: &str,
    scrub: &Scrubber,
) -> Result<SdkConfig, AwsError> {
    let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name("nhiscan")
        .configure(base)
        .build()
        .await;
    match provider.provide_credentials().await {
        Ok(c) => scrub.add_credentials(&c),
        Err(e) => {
            // The provider wraps the STS call's own error: classify that (denied, or STS
            // unreachable) and keep its code and message, without the raw response.
            type AssumeErr =
                SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError, HttpResponse>;
            let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            let mut classified = None;
            while let Some(x) = src {
                if let Some(se) = x.downcast_ref::<AssumeErr>() {
                    classified = Some(classify("sts:AssumeRole", se));
                    break;
                }
                src = x.source();
            }
            let err = match classified {
                Some(c) => c.map_message(|m| format!("{role_arn}: {m}")),
                None => AwsError::AccessDenied {
                    op: "sts:AssumeRole",
                    message: format!("{role_arn}: {}", error_chain(&e)),
                },
            };
            return Err(err.scrubbed(scrub));
        }
    }
    Ok(base
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build())
}

fn chrono_time(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

fn opt_time(t: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
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
fn not_found<E>(e: &SdkError<E, HttpResponse>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    matches!(classify("", e), AwsError::NotFound { .. })
}

/// How a listing went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listed {
    Ok,
    /// Failed (recorded in the crawl's failures) or skipped.
    Failed,
    /// NoSuchEntity: the user/role/group it is about was deleted. Not recorded.
    Gone,
}

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

async fn fetch_iam(c: &AccountClients, s: &Settings, data: &mut AccountData) -> bool {
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

/// Everything about one listed user; `None` when the user was deleted after ListUsers
/// returned it (any of its calls answers NoSuchEntity).
async fn fetch_user(c: &AccountClients, mut u: UserData) -> Option<UserData> {
    let name = u.name.clone();
    macro_rules! or_gone {
        ($listing:expr) => {{
            let (items, listed) = $listing;
            if listed == Listed::Gone {
                return c.gone(format!("user {name}"));
            }
            (items, listed)
        }};
    }
    let (tags, tags_listed) = or_gone!(collect_items!(
        c,
        "iam:ListUserTags",
        c.iam.list_user_tags().user_name(&name)
    ));
    u.tags_unread = tags_listed != Listed::Ok;
    u.tags = tags
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    if !c.skip("iam:GetLoginProfile") {
        match c.iam.get_login_profile().user_name(&name).send().await {
            Ok(out) => {
                u.login_profile = Some(
                    out.login_profile()
                        .and_then(|p| chrono_time(p.create_date())),
                )
            }
            // No console password (or the user is gone: the next call tells).
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) => {}
            Err(e) => {
                c.fail("iam:GetLoginProfile", &e);
                u.login_profile_unread = true;
            }
        }
    } else {
        u.login_profile_unread = true;
    }
    let (mfa, _) = or_gone!(collect_items!(
        c,
        "iam:ListMFADevices",
        c.iam.list_mfa_devices().user_name(&name)
    ));
    u.mfa_devices = mfa.iter().map(|d| d.serial_number().to_string()).collect();
    let (groups, groups_listed) = or_gone!(collect_items!(
        c,
        "iam:ListGroupsForUser",
        c.iam.list_groups_for_user().user_name(&name)
    ));
    u.admin_unread |= groups_listed != Listed::Ok;
    u.groups = groups.iter().map(|g| g.group_name().to_string()).collect();
    let (attached, attached_listed) = or_gone!(collect_items!(
        c,
        "iam:ListAttachedUserPolicies",
        c.iam.list_attached_user_policies().user_name(&name)
    ));
    u.admin_unread |= attached_listed != Listed::Ok;
    u.attached = attached
        .iter()
        .map(|p| AttachedPolicy {
            name: p.policy_name().unwrap_or_default().to_string(),
            arn: p.policy_arn().unwrap_or_default().to_string(),
        })
        .collect();
    let (inline_names, inline_listed) = or_gone!(collect_items!(
        c,
        "iam:ListUserPolicies",
        c.iam.list_user_policies().user_name(&name)
    ));
    u.admin_unread |= inline_listed != Listed::Ok;
    for p in inline_names {
        if c.skip("iam:GetUserPolicy") {
            u.admin_unread = true;
            break;
        }
        match c
            .iam
            .get_user_policy()
            .user_name(&name)
            .policy_name(&p)
            .send()
            .await
        {
            Ok(out) => u.inline.push(InlinePolicy {
                name: p,
                document: out.policy_document().to_string(),
            }),
            // The policy (or the user) was deleted since it was listed: nothing to judge.
            Err(e) if not_found(&e) => {}
            Err(e) => {
                c.fail("iam:GetUserPolicy", &e);
                u.admin_unread = true;
            }
        }
    }
    let (keys, keys_listed) = or_gone!(collect_items!(
        c,
        "iam:ListAccessKeys",
        c.iam.list_access_keys().user_name(&name)
    ));
    u.access_keys_unread = keys_listed != Listed::Ok;
    u.access_keys = keys
        .iter()
        .filter_map(|k| {
            Some(AccessKeyData {
                id: k.access_key_id()?.to_string(),
                status: k
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                created: opt_time(k.create_date()),
            })
        })
        .collect();
    let (ssh, _) = or_gone!(collect_items!(
        c,
        "iam:ListSSHPublicKeys",
        c.iam.list_ssh_public_keys().user_name(&name)
    ));
    for k in &ssh {
        let id = k.ssh_public_key_id().to_string();
        let mut cred = UserCredential {
            id: id.clone(),
            status: k.status().as_str().to_string(),
            created: chrono_time(k.upload_date()),
            ..Default::default()
        };
        // The key body, for its OpenSSH fingerprint (the join to hosts' authorized_keys).
        // IAM's own `Fingerprint` field is an MD5 digest, which nothing else prints.
        if !c.skip("iam:GetSSHPublicKey") {
            match c
                .iam
                .get_ssh_public_key()
                .user_name(&name)
                .ssh_public_key_id(&id)
                .encoding(aws_sdk_iam::types::EncodingType::Ssh)
                .send()
                .await
            {
                Ok(out) => {
                    cred.fingerprint = out
                        .ssh_public_key()
                        .and_then(|b| transform::ssh_key_fingerprint(b.ssh_public_key_body()));
                }
                Err(e) if not_found(&e) => {
                    c.gone::<()>(format!("SSH public key {id} of user {name}"));
                    continue;
                }
                Err(e) => {
                    c.fail("iam:GetSSHPublicKey", &e);
                }
            }
        }
        u.ssh_keys.push(cred);
    }
    let (certs, _) = or_gone!(collect_items!(
        c,
        "iam:ListSigningCertificates",
        c.iam.list_signing_certificates().user_name(&name)
    ));
    u.certificates = certs
        .iter()
        .map(|k| UserCredential {
            id: k.certificate_id().to_string(),
            status: k.status().as_str().to_string(),
            created: opt_time(k.upload_date()),
            ..Default::default()
        })
        .collect();
    Some(u)
}

/// Service-specific credentials (CodeCommit, Keyspaces, Bedrock) of every user in one
/// paginated `AllUsers` call instead of one call per user.
async fn attach_service_credentials(c: &AccountClients, users: &mut [UserData]) {
    const OP: &str = "iam:ListServiceSpecificCredentials";
    let mut marker: Option<String> = None;
    let mut by_user: BTreeMap<String, Vec<UserCredential>> = BTreeMap::new();
    loop {
        let req = c
            .iam
            .list_service_specific_credentials()
            .all_users(true)
            .set_marker(marker.clone());
        match req.send().await {
            Ok(out) => {
                for m in out.service_specific_credentials() {
                    by_user
                        .entry(m.user_name().to_string())
                        .or_default()
                        .push(UserCredential {
                            id: m.service_specific_credential_id().to_string(),
                            status: m.status().as_str().to_string(),
                            created: chrono_time(m.create_date()),
                            service: Some(m.service_name().to_string()),
                            fingerprint: None,
                        });
                }
                marker = out
                    .marker()
                    .filter(|_| out.is_truncated())
                    .map(str::to_string);
                if marker.is_none() {
                    break;
                }
            }
            Err(e) => {
                c.fail(OP, &e);
                break;
            }
        }
    }
    for u in users.iter_mut() {
        if let Some(creds) = by_user.remove(&u.name) {
            u.service_credentials = creds;
        }
    }
}

/// A group's policies; `None` when it was deleted after ListGroups returned it.
async fn fetch_group(c: &AccountClients, name: String) -> Option<GroupData> {
    let (attached, listed) = collect_items!(
        c,
        "iam:ListAttachedGroupPolicies",
        c.iam.list_attached_group_policies().group_name(&name)
    );
    if listed == Listed::Gone {
        return c.gone(format!("group {name}"));
    }
    let (inline_names, listed) = collect_items!(
        c,
        "iam:ListGroupPolicies",
        c.iam.list_group_policies().group_name(&name)
    );
    if listed == Listed::Gone {
        return c.gone(format!("group {name}"));
    }
    let mut g = GroupData {
        name: name.clone(),
        attached: attached
            .iter()
            .map(|p| AttachedPolicy {
                name: p.policy_name().unwrap_or_default().to_string(),
                arn: p.policy_arn().unwrap_or_default().to_string(),
            })
            .collect(),
        inline: Vec::new(),
    };
    for p in inline_names {
        if c.skip("iam:GetGroupPolicy") {
            break;
        }
        match c
            .iam
            .get_group_policy()
            .group_name(&name)
            .policy_name(&p)
            .send()
            .await
        {
            Ok(out) => g.inline.push(InlinePolicy {
                name: p,
                document: out.policy_document().to_string(),
            }),
            Err(e) if not_found(&e) => {}
            Err(e) => {
                c.fail("iam:GetGroupPolicy", &e);
            }
        }
    }
    Some(g)
}

/// A role's tags, last use and policies; `None` when it was deleted after ListRoles
/// returned it.
async fn fetch_role(c: &AccountClients, mut r: RoleData) -> Option<RoleData> {
    let role = format!("role {}", r.name);
    macro_rules! or_gone {
        ($listing:expr) => {{
            let (items, listed) = $listing;
            if listed == Listed::Gone {
                return c.gone(role);
            }
            items
        }};
    }
    // ListRoles returns no tags (as real AWS does), hence ListRoleTags.
    let tags = or_gone!(collect_items!(
        c,
        "iam:ListRoleTags",
        c.iam.list_role_tags().role_name(&r.name)
    ));
    r.tags = tags
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    // ListRoles does not fill RoleLastUsed either; GetRole does.
    if !c.skip("iam:GetRole") {
        match c.iam.get_role().role_name(&r.name).send().await {
            Ok(out) => {
                if let Some(lu) = out.role().and_then(|x| x.role_last_used()) {
                    r.last_used = opt_time(lu.last_used_date());
                    r.last_used_region = lu.region().map(str::to_string);
                }
            }
            Err(e) if not_found(&e) => return c.gone(role),
            Err(e) => {
                c.fail("iam:GetRole", &e);
            }
        }
    }
    let attached = or_gone!(collect_items!(
        c,
        "iam:ListAttachedRolePolicies",
        c.iam.list_attached_role_policies().role_name(&r.name)
    ));
    r.attached = attached
        .iter()
        .map(|p| AttachedPolicy {
            name: p.policy_name().unwrap_or_default().to_string(),
            arn: p.policy_arn().unwrap_or_default().to_string(),
        })
        .collect();
    // Inline role policies grant admin as often as attached ones do.
    let inline_names = or_gone!(collect_items!(
        c,
        "iam:ListRolePolicies",
        c.iam.list_role_policies().role_name(&r.name)
    ));
    for p in inline_names {
        if c.skip("iam:GetRolePolicy") {
            break;
        }
        match c
            .iam
            .get_role_policy()
            .role_name(&r.name)
            .policy_name(&p)
            .send()
            .await
        {
            Ok(out) => r.inline.push(InlinePolicy {
                name: p,
                document: out.policy_document().to_string(),
            }),
            Err(e) if not_found(&e) => {}
            Err(e) => {
                c.fail("iam:GetRolePolicy", &e);
            }
        }
    }
    Some(r)
}

/// Default-version documents of the customer-managed policies attached anywhere, once
/// per policy. AWS-managed policies are judged by ARN, never fetched.
async fn fetch_customer_policies(
    c: &AccountClients,
    sem: &Arc<Semaphore>,
    data: &AccountData,
) -> BTreeMap<String, String> {
    let arns: BTreeSet<String> = data
        .users
        .iter()
        .flat_map(|u| u.attached.iter())
        .chain(data.groups.values().flat_map(|g| g.attached.iter()))
        .chain(data.roles.iter().flat_map(|r| r.attached.iter()))
        .map(|p| p.arn.clone())
        .filter(|a| !a.contains(":iam::aws:policy/") && !a.is_empty())
        .collect();
    let mut set = JoinSet::new();
    for arn in arns {
        let c = c.clone();
        let sem = sem.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.ok()?;
            if c.skip("iam:GetPolicy") {
                return None;
            }
            let version = match c.iam.get_policy().policy_arn(&arn).send().await {
                Ok(out) => out
                    .policy()
                    .and_then(|p| p.default_version_id())
                    .map(str::to_string)?,
                Err(e) if not_found(&e) => return c.gone(format!("policy {arn}")),
                Err(e) => {
                    c.fail("iam:GetPolicy", &e);
                    return None;
                }
            };
            if c.skip("iam:GetPolicyVersion") {
                return None;
            }
            match c
                .iam
                .get_policy_version()
                .policy_arn(&arn)
                .version_id(version)
                .send()
                .await
            {
                Ok(out) => {
                    let doc = out
                        .policy_version()
                        .and_then(|v| v.document())
                        .map(str::to_string)?;
                    Some((arn, doc))
                }
                Err(e) => {
                    c.fail("iam:GetPolicyVersion", &e);
                    None
                }
            }
        });
    }
    let mut out = BTreeMap::new();
    while let Some(r) = set.join_next().await {
        if let Ok(Some((arn, doc))) = r {
            out.insert(arn, doc);
        }
    }
    out
}

/// Start credential report generation; true when IAM accepted (or already has) one.
async fn generate_report(c: &AccountClients) -> bool {
    match c.iam.generate_credential_report().send().await {
        Ok(_) => true,
        Err(e) => {
            // Not a coverage error on its own: GetAccessKeyLastUsed covers the keys.
            tracing::debug!(error = %classify("iam:GenerateCredentialReport", &e).scrubbed(&c.scrub), "Credential report unavailable");
            false
        }
    }
}

/// Wait for the credential report and read its CSV.
async fn read_report(c: &AccountClients) -> Option<Vec<u8>> {
    let deadline = tokio::time::Instant::now() + REPORT_WAIT;
    loop {
        match c.iam.get_credential_report().send().await {
            Ok(out) => return out.content().map(|b| b.as_ref().to_vec()),
            Err(e) => {
                let not_ready = e.as_service_error().is_some_and(|s| {
                    s.is_credential_report_not_ready_exception()
                        || s.is_credential_report_not_present_exception()
                });
                if !not_ready || tokio::time::Instant::now() >= deadline {
                    tracing::debug!(error = %classify("iam:GetCredentialReport", &e).scrubbed(&c.scrub), "Credential report unavailable");
                    return None;
                }
                let _ = c.iam.generate_credential_report().send().await;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

/// Last use of every access key: from the credential report where its rows match the
/// keys, else one GetAccessKeyLastUsed per remaining key.
async fn key_last_used(
    c: &AccountClients,
    sem: &Arc<Semaphore>,
    users: &[UserData],
    report_started: bool,
) -> BTreeMap<String, Option<DateTime<Utc>>> {
    let mut out = BTreeMap::new();
    if users.iter().all(|u| u.access_keys.is_empty()) {
        return out;
    }
    let rows = if report_started {
        read_report(c).await
    } else {
        None
    }
    .and_then(|csv| transform::parse_credential_report(&csv).ok())
    .unwrap_or_default();
    let mut missing = Vec::new();
    for u in users {
        let matched = rows
            .get(&u.arn)
            .map(|row| transform::match_report_keys(row, &u.access_keys))
            .unwrap_or_default();
        for k in &u.access_keys {
            if !matched.contains_key(&k.id) {
                missing.push(k.id.clone());
            }
        }
        out.extend(matched);
    }
    let mut set = JoinSet::new();
    for id in missing {
        let c = c.clone();
        let sem = sem.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.ok()?;
            if c.skip("iam:GetAccessKeyLastUsed") {
                return None;
            }
            match c
                .iam
                .get_access_key_last_used()
                .access_key_id(&id)
                .send()
                .await
            {
                Ok(o) => Some((
                    id,
                    o.access_key_last_used()
                        .and_then(|l| opt_time(l.last_used_date())),
                )),
                Err(e) => {
                    c.fail("iam:GetAccessKeyLastUsed", &e);
                    None
                }
            }
        });
    }
    while let Some(r) = set.join_next().await {
        if let Ok(Some((id, t))) = r {
            out.insert(id, t);
        }
    }
    out
}

/// CloudTrail LookupEvents for the creation events, last 90 days, at most 2 calls a
/// second (the API's limit). Any failure is recorded; what was read is kept.
async fn fetch_cloudtrail(c: &AccountClients) -> Vec<CloudTrailEvent> {
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
    const OP: &str = "cloudtrail:LookupEvents";
    let end = chrono::Utc::now();
    let start = end - chrono::Duration::days(CLOUDTRAIL_DAYS);
    let (start, end) = (
        aws_smithy_types::DateTime::from_secs(start.timestamp()),
        aws_smithy_types::DateTime::from_secs(end.timestamp()),
    );
    let mut out = Vec::new();
    let mut first = true;
    'names: for name in CLOUDTRAIL_EVENTS {
        let Ok(attr) = LookupAttribute::builder()
            .attribute_key(LookupAttributeKey::EventName)
            .attribute_value(*name)
            .build()
        else {
            continue;
        };
        let mut token: Option<String> = None;
        loop {
            if !first {
                tokio::time::sleep(CLOUDTRAIL_PACE).await;
            }
            first = false;
            let req = c
                .cloudtrail
                .lookup_events()
                .lookup_attributes(attr.clone())
                .start_time(start)
                .end_time(end)
                .set_next_token(token.clone());
            match req.send().await {
                Ok(resp) => {
                    for e in resp.events() {
                        out.push(CloudTrailEvent {
                            event_id: e.event_id().unwrap_or_default().to_string(),
                            event_name: e.event_name().unwrap_or(name).to_string(),
                            event_time: opt_time(e.event_time()),
                            cloud_trail_event: e
                                .cloud_trail_event()
                                .unwrap_or_default()
                                .to_string(),
                        });
                    }
                    token = resp.next_token().map(str::to_string);
                    if token.is_none() {
                        break;
                    }
                }
                Err(e) => {
                    c.fail(OP, &e);
                    break 'names;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    #[test]
    fn throttle_bodies_are_recognised_in_xml_and_json() {
        assert!(is_throttle_body(b"<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"));
        assert!(is_throttle_body(
            br#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
        ));
        assert!(is_throttle_body(
            br#"{"__type":"TooManyRequestsException"}"#
        ));
        assert!(!is_throttle_body(
            b"<Error><Code>AccessDenied</Code></Error>"
        ));
    }

    #[test]
    fn unparsed_error_bodies_still_name_a_code() {
        // moto's IAM authorization errors nest <Error> in <Errors>, which the SDK's
        // query-protocol parser does not read; some proxies answer JSON or HTML.
        let moto = br#"<?xml version="1.0" encoding="utf-8"?>
<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/limited is not authorized to perform: iam:ListUserTags</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"#;
        let (code, msg) = sniff_error_body(moto);
        assert_eq!(code.as_deref(), Some("AccessDenied"));
        assert!(msg.expect("message").contains("iam:ListUserTags"));
        let (code, msg) = sniff_error_body(
            br#"{"__type":"com.amazonaws.cloudtrail#AccessDeniedException","Message":"no"}"#,
        );
        assert_eq!(code.as_deref(), Some("AccessDeniedException"));
        assert_eq!(msg.as_deref(), Some("no"));
        assert_eq!(
            sniff_error_body(b"<html><body>Internal Server Error</body></html>"),
            (None, None)
        );
    }

    #[test]
    fn error_chain_is_one_line_of_display_texts_without_debug_dumps() {
        #[derive(Debug)]
        struct E(&'static str, Option<Box<E>>);
        impl fmt::Display for E {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for E {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|e| e as _)
            }
        }
        let e = E(
            "dispatch failure",
            Some(Box::new(E(
                "io error",
                Some(Box::new(E(
                    "io error",
                    Some(Box::new(E("Connection refused (os error 111)", None))),
                ))),
            ))),
        );
        assert_eq!(
            error_chain(&e),
            "dispatch failure: io error: Connection refused (os error 111)"
        );
    }

    #[test]
    fn failures_group_by_api_and_switch_off_non_transient_ones() {
        let f = Failures::default();
        let denied = || AwsError::AccessDenied {
            op: "iam:ListSSHPublicKeys",
            message: "AccessDenied: no".into(),
        };
        f.record(denied());
        f.record(denied());
        f.record(AwsError::RateLimited {
            op: "iam:ListUsers",
            message: "Throttling".into(),
        });
        assert!(f.is_disabled("iam:ListSSHPublicKeys"));
        assert!(!f.is_disabled("iam:ListUsers"), "throttling is transient");
        let errs = f.errors();
        assert_eq!(errs.len(), 2);
        assert!(errs
            .iter()
            .any(|(e, n)| *n == 2
                && e.to_string() == "iam:ListSSHPublicKeys denied: AccessDenied: no"));
    }
}
