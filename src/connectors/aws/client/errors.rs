//! Errors: classification of SDK failures ([`AwsError`]), scrubbing, throttle counting.

#[allow(unused_imports)]
use super::*;

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
    pub(super) fn scrubbed(self, s: &Scrubber) -> Self {
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

pub(super) const THROTTLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
];
pub(super) const DENIED_CODES: &[&str] = &[
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
pub(super) fn sniff_error_body(body: &[u8]) -> (Option<String>, Option<String>) {
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

pub(super) fn is_throttle_body(body: &[u8]) -> bool {
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
