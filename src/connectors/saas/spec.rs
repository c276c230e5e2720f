//! The declarative spec format of the `saas` connector: parse and validate.
//!
//! A spec is a TOML file (`connectors/saas/<name>.toml`, embedded in the binary, or a path
//! given in the config) that says how to read one SaaS application: base URL, auth,
//! endpoints with their pagination, where the records are (JSON pointer), how each record
//! maps to an NHI (id, name, kind, status, owner / creator / approver / user fields,
//! dates, admin flag, attributes), per-record follow-up requests, and the read-only
//! permissions it needs. The format is documented in `connectors/saas/README.md`.
//!
//! Everything is checked here, before anything is scanned: an unknown key, a bad JSON
//! pointer, an unknown pagination style, kind or signal is an error naming the spec file
//! and the key.

use crate::connectors::http::Pagination;
use crate::model::{Kind, NhiStatus, Signal};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// The specs shipped with nhiscan, embedded at build time (`spec = "okta"`).
pub const BUILTIN: &[(&str, &str)] = &[
    ("okta", include_str!("../../../connectors/saas/okta.toml")),
    ("entra", include_str!("../../../connectors/saas/entra.toml")),
    (
        "google",
        include_str!("../../../connectors/saas/google.toml"),
    ),
    ("slack", include_str!("../../../connectors/saas/slack.toml")),
    (
        "atlassian",
        include_str!("../../../connectors/saas/atlassian.toml"),
    ),
];

/// The text of a built-in spec.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, t)| *t)
}

// ---------------------------------------------------------------------------------------
// The file as written.

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    spec: RawMeta,
    #[serde(default)]
    auth: Option<RawAuth>,
    #[serde(default)]
    errors: Option<RawErrors>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default, rename = "endpoint")]
    endpoints: Vec<RawEndpoint>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    name: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    base_url: Option<String>,
    /// The namespace of this application's user ids in roster aliases (`okta:00u…`).
    #[serde(default)]
    alias: Option<String>,
    /// Config variables the spec's templates need (`tenant`, `org_id`, ...).
    #[serde(default)]
    vars: Vec<String>,
    /// The read-only permissions (scopes, roles) the whole spec needs.
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default)]
    docs: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum RawAuth {
    None,
    Bearer,
    Scheme {
        scheme: String,
    },
    Header {
        name: String,
    },
    Basic,
    Oauth2ClientCredentials {
        token_url: String,
        #[serde(default)]
        scope: Option<String>,
    },
    GoogleServiceAccount {
        scopes: Vec<String>,
        #[serde(default)]
        token_url: Option<String>,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawErrors {
    ok_pointer: Option<String>,
    error_pointer: String,
    #[serde(default)]
    detail_pointer: Option<String>,
    #[serde(default)]
    auth: Vec<String>,
    #[serde(default)]
    forbidden: Vec<String>,
    #[serde(default)]
    not_on_plan: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "style", rename_all = "snake_case", deny_unknown_fields)]
enum RawPagination {
    None,
    Link,
    Cursor {
        pointer: String,
        param: String,
    },
    NextUrl {
        pointer: String,
    },
    Page {
        param: String,
        #[serde(default)]
        start: Option<u64>,
        #[serde(default)]
        total_pointer: Option<String>,
        #[serde(default)]
        per_page: Option<u64>,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoint {
    name: String,
    /// No path: the records are taken from the `for_each` parent record itself.
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    query: BTreeMap<String, String>,
    #[serde(default)]
    pagination: Option<RawPagination>,
    #[serde(default)]
    records: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    for_each: Option<String>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    requires: Option<String>,
    #[serde(default)]
    max_pages: Option<usize>,
    #[serde(default)]
    map: Option<RawMap>,
    #[serde(default, rename = "hint")]
    hints: Vec<RawHint>,
    #[serde(default)]
    when: Vec<RawWhen>,
    #[serde(default)]
    follow: Vec<RawFollow>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMap {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    status_map: BTreeMap<String, String>,
    #[serde(default)]
    status_default: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    last_used: Option<String>,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    admin: Option<String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHint {
    identifier: String,
    signal: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    pointer: String,
    #[serde(default)]
    equals: Option<toml::Value>,
    #[serde(default, rename = "in")]
    any_of: Vec<toml::Value>,
    #[serde(default)]
    present: Option<bool>,
    #[serde(default)]
    skip: bool,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    admin: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFollow {
    name: String,
    path: String,
    #[serde(default)]
    query: BTreeMap<String, String>,
    #[serde(default)]
    records: String,
    #[serde(default)]
    pagination: Option<RawPagination>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    requires: Option<String>,
    #[serde(default, rename = "hint")]
    hints: Vec<RawHint>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    status_map: BTreeMap<String, String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

// ---------------------------------------------------------------------------------------
// Templates: `{/json/pointer}` (the record), `{^/pointer}` (the enclosing record: the
// `for_each` parent, or the main record inside a follow-up), `{var}` (a config value).
// A value that starts with `/` or `^/` is a pointer on its own (`"/id"` = `"{/id}"`).

/// One piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Lit(String),
    /// A JSON pointer into the record (`parent`: into the enclosing record).
    Ptr {
        parent: bool,
        pointer: String,
    },
    /// A config variable (`base_url`, `tenant`, `org_id`, ...).
    Var(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Template(pub Vec<Part>);

impl Template {
    /// Parse a path, a query value or a URL: `{...}` only, no pointer shorthand.
    pub fn parse_text(text: &str) -> Result<Template, String> {
        Self::parse_inner(text, false)
    }

    /// Parse `text`; `Err` says what is wrong (the caller adds file and key).
    pub fn parse(text: &str) -> Result<Template, String> {
        Self::parse_inner(text, true)
    }

    fn parse_inner(text: &str, shorthand: bool) -> Result<Template, String> {
        if let Some(p) = text.strip_prefix("^/").filter(|_| shorthand) {
            let pointer = format!("/{p}");
            check_pointer(&pointer)?;
            return Ok(Template(vec![Part::Ptr {
                parent: true,
                pointer,
            }]));
        }
        if shorthand && text.starts_with('/') && !text.contains('{') {
            check_pointer(text)?;
            return Ok(Template(vec![Part::Ptr {
                parent: false,
                pointer: text.to_string(),
            }]));
        }
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(i) = rest.find('{') {
            lit.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let Some(j) = after.find('}') else {
                return Err(format!("unclosed '{{' in {text:?}"));
            };
            let inner = &after[..j];
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(&mut lit)));
            }
            if let Some(p) = inner.strip_prefix('^') {
                check_pointer(p)?;
                if p.is_empty() {
                    return Err(format!("empty pointer in {{{inner}}}"));
                }
                parts.push(Part::Ptr {
                    parent: true,
                    pointer: p.to_string(),
                });
            } else if inner.starts_with('/') {
                check_pointer(inner)?;
                parts.push(Part::Ptr {
                    parent: false,
                    pointer: inner.to_string(),
                });
            } else if !inner.is_empty()
                && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                parts.push(Part::Var(inner.to_string()));
            } else {
                return Err(format!(
                    "{{{inner}}} in {text:?} is neither a JSON pointer ({{/field}}, {{^/field}}) nor a variable name"
                ));
            }
            rest = &after[j + 1..];
        }
        lit.push_str(rest);
        if lit.contains('}') {
            return Err(format!("unmatched '}}' in {text:?}"));
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Template(parts))
    }

    /// The config variables the template names.
    pub fn vars(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            _ => None,
        })
    }

    /// Whether the template reads a record.
    pub fn reads_record(&self) -> bool {
        self.0.iter().any(|p| matches!(p, Part::Ptr { .. }))
    }

    /// Replace config variables by their values (the rest stays).
    pub fn bind(&self, vars: &BTreeMap<String, String>) -> Template {
        Template(
            self.0
                .iter()
                .map(|p| match p {
                    Part::Var(v) => match vars.get(v) {
                        Some(x) => Part::Lit(x.clone()),
                        None => p.clone(),
                    },
                    _ => p.clone(),
                })
                .collect(),
        )
    }

    /// The template's text for a record; `None` when a pointer it reads is missing, null
    /// or empty (the field the template stands for is then absent).
    pub fn render(
        &self,
        rec: &serde_json::Value,
        parent: Option<&serde_json::Value>,
        vars: &BTreeMap<String, String>,
    ) -> Option<String> {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Var(v) => out.push_str(vars.get(v)?),
                Part::Ptr {
                    parent: up,
                    pointer,
                } => {
                    let src = if *up { parent? } else { rec };
                    let v = scalar(src.pointer(pointer)?)?;
                    if v.is_empty() {
                        return None;
                    }
                    out.push_str(&v);
                }
            }
        }
        Some(out)
    }

    /// The raw JSON value when the template is a single pointer (arrays for attributes).
    pub fn single<'a>(
        &self,
        rec: &'a serde_json::Value,
        parent: Option<&'a serde_json::Value>,
    ) -> Option<&'a serde_json::Value> {
        match self.0.as_slice() {
            [Part::Ptr {
                parent: up,
                pointer,
            }] => {
                let src = if *up { parent? } else { rec };
                src.pointer(pointer)
            }
            _ => None,
        }
    }
}

/// A JSON value as text: strings as they are, booleans and numbers printed, arrays of
/// scalars joined with `, `; objects and null are `None`.
pub fn scalar(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => {
            let items: Vec<String> = a.iter().filter_map(scalar).collect();
            Some(items.join(", "))
        }
        _ => None,
    }
}

/// RFC 6901 syntax: empty, or `/`-separated tokens where `~` is followed by 0 or 1.
pub fn check_pointer(p: &str) -> Result<(), String> {
    if p.is_empty() {
        return Ok(());
    }
    if !p.starts_with('/') {
        return Err(format!(
            "bad JSON pointer {p:?}: a pointer is empty or starts with '/' (RFC 6901)"
        ));
    }
    let b = p.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if *c == b'~' && !matches!(b.get(i + 1), Some(b'0') | Some(b'1')) {
            return Err(format!(
                "bad JSON pointer {p:?}: '~' must be followed by 0 or 1 (RFC 6901)"
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The validated spec.

/// How a spec authenticates.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthKind {
    None,
    Bearer,
    Scheme(String),
    Header(String),
    Basic,
    ClientCredentials {
        token_url: Template,
        scope: Option<String>,
    },
    GoogleServiceAccount {
        scopes: Vec<String>,
        token_url: Option<Template>,
    },
}

impl AuthKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthKind::None => "none",
            AuthKind::Bearer => "bearer",
            AuthKind::Scheme(_) => "scheme",
            AuthKind::Header(_) => "header",
            AuthKind::Basic => "basic",
            AuthKind::ClientCredentials { .. } => "oauth2_client_credentials",
            AuthKind::GoogleServiceAccount { .. } => "google_service_account",
        }
    }
}

/// Errors an API reports in a 200 body (Slack: `{"ok": false, "error": "missing_scope"}`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BodyErrors {
    pub ok_pointer: Option<String>,
    pub error_pointer: String,
    pub detail_pointer: Option<String>,
    pub auth: Vec<String>,
    pub forbidden: Vec<String>,
    pub not_on_plan: Vec<String>,
}

/// An owner hint a record yields.
#[derive(Debug, Clone, PartialEq)]
pub struct HintSpec {
    pub identifier: Template,
    pub signal: Signal,
    pub source: Option<Template>,
    pub detail: Option<Template>,
}

/// A value a `when` rule compares with.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Equals(Vec<String>),
    Present(bool),
}

/// A per-record rule: when the value at `pointer` matches, skip the record or set its
/// kind, status or admin flag. Rules apply in order; the first kind and status set win.
#[derive(Debug, Clone, PartialEq)]
pub struct When {
    pub pointer: Template,
    pub test: Test,
    pub skip: bool,
    pub kind: Option<Kind>,
    pub status: Option<NhiStatus>,
    pub admin: Option<bool>,
}

/// A per-record follow-up request.
#[derive(Debug, Clone, PartialEq)]
pub struct Follow {
    pub name: String,
    pub path: Template,
    pub query: Vec<(String, Template)>,
    pub records: String,
    pub pagination: Pagination,
    pub optional: bool,
    pub requires: Option<String>,
    pub hints: Vec<HintSpec>,
    pub status: Option<Template>,
    pub status_map: BTreeMap<String, NhiStatus>,
    pub attributes: Vec<(String, Template)>,
}

/// Field mapping of an endpoint's records.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mapping {
    pub id: Option<Template>,
    pub name: Option<Template>,
    pub title: Option<Template>,
    pub status: Option<Template>,
    pub status_map: BTreeMap<String, NhiStatus>,
    pub status_default: NhiStatus,
    pub created: Option<Template>,
    pub last_used: Option<Template>,
    pub expires: Option<Template>,
    pub admin: Option<Template>,
    pub attributes: Vec<(String, Template)>,
}

/// One endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub name: String,
    pub path: Option<Template>,
    pub query: Vec<(String, Template)>,
    pub pagination: Pagination,
    pub records: String,
    /// `None`: the records are not NHIs themselves (only parents of another endpoint).
    pub kind: Option<Kind>,
    /// Index of the parent endpoint.
    pub for_each: Option<usize>,
    pub optional: bool,
    pub requires: Option<String>,
    pub max_pages: Option<usize>,
    pub map: Mapping,
    pub hints: Vec<HintSpec>,
    pub when: Vec<When>,
    pub follow: Vec<Follow>,
    /// Whether another endpoint iterates over this one's records (they are kept).
    pub is_parent: bool,
}

/// A validated spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// Where it came from, for messages: `connectors/saas/okta.toml (built in)` or a path.
    pub origin: String,
    pub name: String,
    pub title: String,
    pub base_url: Option<Template>,
    pub alias: Option<String>,
    pub vars: Vec<String>,
    pub requires: Vec<String>,
    /// The vendor's API reference, for readers of the spec.
    pub docs: Option<String>,
    pub auth: AuthKind,
    pub errors: Option<BodyErrors>,
    pub headers: Vec<(String, String)>,
    pub endpoints: Vec<Endpoint>,
}

/// A spec error: the file, the key and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    pub origin: String,
    pub key: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "saas spec {}: {}", self.origin, self.message)
        } else {
            write!(
                f,
                "saas spec {}: {}: {}",
                self.origin, self.key, self.message
            )
        }
    }
}

impl std::error::Error for SpecError {}

/// The saas kinds a spec may map records to.
pub const KINDS: &[(&str, Kind)] = &[
    ("saas_api_token", Kind::SaasApiToken),
    ("saas_app", Kind::SaasApp),
    ("saas_oauth_grant", Kind::SaasOauthGrant),
    ("saas_service_account", Kind::SaasServiceAccount),
    ("saas_admin", Kind::SaasAdmin),
    ("saas_user", Kind::SaasUser),
];

/// The signals a hint may carry, by the names a spec uses.
pub const SIGNALS: &[(&str, Signal)] = &[
    ("account", Signal::Account),
    ("creator", Signal::CreatorField),
    ("audit_event", Signal::AuditEvent),
    ("owner", Signal::OwnerTag),
    ("approval", Signal::Approval),
    ("access", Signal::Access),
    ("naming", Signal::Naming),
];

fn parse_kind(s: &str) -> Result<Kind, String> {
    KINDS
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, k)| *k)
        .ok_or_else(|| {
            format!(
                "unknown kind {s:?}; one of {}",
                KINDS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            )
        })
}

fn parse_signal(s: &str) -> Result<Signal, String> {
    SIGNALS
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, k)| *k)
        .ok_or_else(|| {
            format!(
                "unknown signal {s:?}; one of {}",
                SIGNALS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

fn parse_status(s: &str) -> Result<NhiStatus, String> {
    match s {
        "active" => Ok(NhiStatus::Active),
        "inactive" => Ok(NhiStatus::Inactive),
        "unknown" => Ok(NhiStatus::Unknown),
        _ => Err(format!(
            "unknown status {s:?}; one of active, inactive, unknown"
        )),
    }
}

fn toml_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

struct Ctx<'a> {
    origin: &'a str,
}

impl Ctx<'_> {
    fn err(&self, key: impl Into<String>, message: impl Into<String>) -> SpecError {
        SpecError {
            origin: self.origin.to_string(),
            key: key.into(),
            message: message.into(),
        }
    }
    fn tpl(&self, key: &str, text: &str) -> Result<Template, SpecError> {
        Template::parse(text).map_err(|m| self.err(key, m))
    }
    fn opt(&self, key: &str, text: &Option<String>) -> Result<Option<Template>, SpecError> {
        text.as_deref().map(|t| self.tpl(key, t)).transpose()
    }
    /// A path, query value or URL (no pointer shorthand).
    fn text(&self, key: &str, text: &str) -> Result<Template, SpecError> {
        Template::parse_text(text).map_err(|m| self.err(key, m))
    }
    fn opt_text(&self, key: &str, text: &Option<String>) -> Result<Option<Template>, SpecError> {
        text.as_deref().map(|t| self.text(key, t)).transpose()
    }
    fn query(
        &self,
        key: &str,
        m: &BTreeMap<String, String>,
    ) -> Result<Vec<(String, Template)>, SpecError> {
        m.iter()
            .map(|(k, v)| Ok((k.clone(), self.text(&format!("{key}.{k}"), v)?)))
            .collect()
    }
    fn pointer(&self, key: &str, p: &str) -> Result<String, SpecError> {
        check_pointer(p).map_err(|m| self.err(key, m))?;
        Ok(p.to_string())
    }
    fn pagination(&self, key: &str, p: &Option<RawPagination>) -> Result<Pagination, SpecError> {
        Ok(match p {
            None | Some(RawPagination::None) => Pagination::None,
            Some(RawPagination::Link) => Pagination::LinkHeader,
            Some(RawPagination::Cursor { pointer, param }) => Pagination::BodyCursor {
                pointer: self.pointer(&format!("{key}.pointer"), pointer)?,
                param: param.clone(),
            },
            Some(RawPagination::NextUrl { pointer }) => Pagination::NextUrl {
                pointer: self.pointer(&format!("{key}.pointer"), pointer)?,
            },
            Some(RawPagination::Page {
                param,
                start,
                total_pointer,
                per_page,
            }) => Pagination::PageNumber {
                param: param.clone(),
                start: start.unwrap_or(1),
                total_pointer: total_pointer
                    .as_deref()
                    .map(|t| self.pointer(&format!("{key}.total_pointer"), t))
                    .transpose()?,
                per_page: *per_page,
            },
        })
    }
    fn hints(&self, key: &str, raw: &[RawHint]) -> Result<Vec<HintSpec>, SpecError> {
        raw.iter()
            .enumerate()
            .map(|(i, h)| {
                let k = format!("{key}.hint[{i}]");
                Ok(HintSpec {
                    identifier: self.tpl(&format!("{k}.identifier"), &h.identifier)?,
                    signal: parse_signal(&h.signal)
                        .map_err(|m| self.err(format!("{k}.signal"), m))?,
                    source: self.opt(&format!("{k}.source"), &h.source)?,
                    detail: self.opt(&format!("{k}.detail"), &h.detail)?,
                })
            })
            .collect()
    }
    fn status_map(
        &self,
        key: &str,
        m: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, NhiStatus>, SpecError> {
        m.iter()
            .map(|(k, v)| {
                parse_status(v)
                    .map(|s| (k.clone(), s))
                    .map_err(|e| self.err(format!("{key}.{k}"), e))
            })
            .collect()
    }
    fn pairs(
        &self,
        key: &str,
        m: &BTreeMap<String, String>,
    ) -> Result<Vec<(String, Template)>, SpecError> {
        m.iter()
            .map(|(k, v)| Ok((k.clone(), self.tpl(&format!("{key}.{k}"), v)?)))
            .collect()
    }
}

/// Parse and validate a spec. `origin` names it in errors (the file path, or
/// `connectors/saas/okta.toml (built in)`).
pub fn parse(text: &str, origin: &str) -> Result<Spec, SpecError> {
    let c = Ctx { origin };
    let raw: RawSpec =
        toml::from_str(text).map_err(|e| c.err("", crate::model::toml_error_line(&e, text)))?;
    let name = raw.spec.name.trim().to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-'))
    {
        return Err(c.err(
            "spec.name",
            format!("{name:?} must be a non-empty word (letters, digits, '-', '_')"),
        ));
    }
    let auth = match raw.auth.clone().unwrap_or(RawAuth::Bearer) {
        RawAuth::None => AuthKind::None,
        RawAuth::Bearer => AuthKind::Bearer,
        RawAuth::Scheme { scheme } => {
            if scheme.trim().is_empty() || scheme.contains(char::is_whitespace) {
                return Err(c.err("auth.scheme", "must be one word (SSWS, token)"));
            }
            AuthKind::Scheme(scheme)
        }
        RawAuth::Header { name } => {
            if name.trim().is_empty() {
                return Err(c.err("auth.name", "the header name must not be empty"));
            }
            AuthKind::Header(name)
        }
        RawAuth::Basic => AuthKind::Basic,
        RawAuth::Oauth2ClientCredentials { token_url, scope } => AuthKind::ClientCredentials {
            token_url: c.text("auth.token_url", &token_url)?,
            scope,
        },
        RawAuth::GoogleServiceAccount { scopes, token_url } => {
            if scopes.is_empty() {
                return Err(c.err("auth.scopes", "list at least one OAuth scope"));
            }
            AuthKind::GoogleServiceAccount {
                scopes,
                token_url: c.opt_text("auth.token_url", &token_url)?,
            }
        }
    };
    let errors = match &raw.errors {
        None => None,
        Some(e) => Some(BodyErrors {
            ok_pointer: e
                .ok_pointer
                .as_deref()
                .map(|p| c.pointer("errors.ok_pointer", p))
                .transpose()?,
            error_pointer: c.pointer("errors.error_pointer", &e.error_pointer)?,
            detail_pointer: e
                .detail_pointer
                .as_deref()
                .map(|p| c.pointer("errors.detail_pointer", p))
                .transpose()?,
            auth: e.auth.clone(),
            forbidden: e.forbidden.clone(),
            not_on_plan: e.not_on_plan.clone(),
        }),
    };
    if raw.endpoints.is_empty() {
        return Err(c.err("endpoint", "the spec has no [[endpoint]]"));
    }
    let mut endpoints: Vec<Endpoint> = Vec::new();
    for (i, e) in raw.endpoints.iter().enumerate() {
        let key = format!("endpoint[{i}] ({})", e.name);
        if e.name.trim().is_empty() {
            return Err(c.err(format!("endpoint[{i}].name"), "must not be empty"));
        }
        if endpoints.iter().any(|x| x.name == e.name) {
            return Err(c.err(format!("{key}.name"), "another endpoint has this name"));
        }
        let for_each = match &e.for_each {
            None => None,
            Some(p) => match endpoints.iter().position(|x| &x.name == p) {
                Some(ix) => Some(ix),
                None => {
                    return Err(c.err(
                        format!("{key}.for_each"),
                        format!("{p:?} is not an endpoint listed before this one"),
                    ))
                }
            },
        };
        let path = c.opt_text(&format!("{key}.path"), &e.path)?;
        match (&path, for_each) {
            (None, None) => {
                return Err(c.err(
                    format!("{key}.path"),
                    "missing (only an endpoint with for_each may take its records from the parent record)",
                ))
            }
            (Some(p), None) if p.0.iter().any(|x| matches!(x, Part::Ptr { .. })) => {
                return Err(c.err(
                    format!("{key}.path"),
                    "reads a record, but the endpoint has no for_each parent",
                ))
            }
            (Some(p), Some(_))
                if p
                    .0
                    .iter()
                    .any(|x| matches!(x, Part::Ptr { parent: false, .. })) =>
            {
                return Err(c.err(
                    format!("{key}.path"),
                    "a for_each endpoint's path reads its parent record: write {^/field}, not {/field}",
                ))
            }
            _ => {}
        }
        let records = c.pointer(
            &format!("{key}.records"),
            e.records.strip_prefix('^').unwrap_or(&e.records),
        )?;
        let kind = e
            .kind
            .as_deref()
            .map(parse_kind)
            .transpose()
            .map_err(|m| c.err(format!("{key}.kind"), m))?;
        let rm = e.map.clone().unwrap_or_default();
        let mk = format!("{key}.map");
        let map = Mapping {
            id: c.opt(&format!("{mk}.id"), &rm.id)?,
            name: c.opt(&format!("{mk}.name"), &rm.name)?,
            title: c.opt(&format!("{mk}.title"), &rm.title)?,
            status: c.opt(&format!("{mk}.status"), &rm.status)?,
            status_map: c.status_map(&format!("{mk}.status_map"), &rm.status_map)?,
            status_default: rm
                .status_default
                .as_deref()
                .map(parse_status)
                .transpose()
                .map_err(|m| c.err(format!("{mk}.status_default"), m))?
                .unwrap_or(NhiStatus::Unknown),
            created: c.opt(&format!("{mk}.created"), &rm.created)?,
            last_used: c.opt(&format!("{mk}.last_used"), &rm.last_used)?,
            expires: c.opt(&format!("{mk}.expires"), &rm.expires)?,
            admin: c.opt(&format!("{mk}.admin"), &rm.admin)?,
            attributes: c.pairs(&format!("{mk}.attributes"), &rm.attributes)?,
        };
        if kind.is_some() && map.id.is_none() {
            return Err(c.err(
                format!("{mk}.id"),
                "missing: a record that becomes an NHI needs a stable id",
            ));
        }
        let when = e
            .when
            .iter()
            .enumerate()
            .map(|(j, w)| {
                let wk = format!("{key}.when[{j}]");
                let test = match (&w.equals, w.any_of.is_empty(), w.present) {
                    (Some(v), true, None) => Test::Equals(vec![toml_text(v)]),
                    (None, false, None) => Test::Equals(w.any_of.iter().map(toml_text).collect()),
                    (None, true, Some(p)) => Test::Present(p),
                    _ => return Err(c.err(wk, "give exactly one of equals, in, present")),
                };
                Ok(When {
                    pointer: c.tpl(&format!("{wk}.pointer"), &w.pointer)?,
                    test,
                    skip: w.skip,
                    kind: w
                        .kind
                        .as_deref()
                        .map(parse_kind)
                        .transpose()
                        .map_err(|m| c.err(format!("{wk}.kind"), m))?,
                    status: w
                        .status
                        .as_deref()
                        .map(parse_status)
                        .transpose()
                        .map_err(|m| c.err(format!("{wk}.status"), m))?,
                    admin: w.admin,
                })
            })
            .collect::<Result<Vec<_>, SpecError>>()?;
        let follow = e
            .follow
            .iter()
            .enumerate()
            .map(|(j, f)| {
                let fk = format!("{key}.follow[{j}] ({})", f.name);
                Ok(Follow {
                    name: f.name.clone(),
                    path: c.text(&format!("{fk}.path"), &f.path)?,
                    query: c.query(&format!("{fk}.query"), &f.query)?,
                    records: c.pointer(&format!("{fk}.records"), &f.records)?,
                    pagination: c.pagination(&format!("{fk}.pagination"), &f.pagination)?,
                    optional: f.optional,
                    requires: f.requires.clone(),
                    hints: c.hints(&fk, &f.hints)?,
                    status: c.opt(&format!("{fk}.status"), &f.status)?,
                    status_map: c.status_map(&format!("{fk}.status_map"), &f.status_map)?,
                    attributes: c.pairs(&format!("{fk}.attributes"), &f.attributes)?,
                })
            })
            .collect::<Result<Vec<_>, SpecError>>()?;
        if let Some(p) = for_each {
            endpoints[p].is_parent = true;
        }
        endpoints.push(Endpoint {
            name: e.name.clone(),
            path,
            query: c.query(&format!("{key}.query"), &e.query)?,
            pagination: c.pagination(&format!("{key}.pagination"), &e.pagination)?,
            records,
            kind,
            for_each,
            optional: e.optional,
            requires: e.requires.clone(),
            max_pages: e.max_pages,
            map,
            hints: c.hints(&key, &e.hints)?,
            when,
            follow,
            is_parent: false,
        });
    }
    let spec = Spec {
        origin: origin.to_string(),
        title: raw.spec.title.clone().unwrap_or_else(|| name.clone()),
        name,
        base_url: c.opt_text("spec.base_url", &raw.spec.base_url)?,
        alias: raw.spec.alias.clone(),
        vars: raw.spec.vars.clone(),
        requires: raw.spec.requires.clone(),
        docs: raw.spec.docs.clone(),
        auth,
        errors,
        headers: raw.headers.into_iter().collect(),
        endpoints,
    };
    // Every variable a template names must be declared (or be a built-in one), so that a
    // typo is caught here rather than as an empty path at scan time.
    let declared = |v: &str| BUILTIN_VARS.contains(&v) || spec.vars.iter().any(|x| x == v);
    for (key, t) in spec.templates() {
        if let Some(v) = t.vars().find(|v| !declared(v)) {
            return Err(c.err(
                key,
                format!(
                    "{{{v}}} is not a variable of this spec; declare it in spec.vars (built in: {})",
                    BUILTIN_VARS.join(", ")
                ),
            ));
        }
    }
    Ok(spec)
}

/// Variables every spec may use without declaring them.
pub const BUILTIN_VARS: &[&str] = &["base_url", "tenant", "org_id", "subject"];

impl Spec {
    /// Every template of the spec with the key it came from.
    pub fn templates(&self) -> Vec<(String, &Template)> {
        let mut out: Vec<(String, &Template)> = Vec::new();
        if let Some(b) = &self.base_url {
            out.push(("spec.base_url".into(), b));
        }
        if let AuthKind::ClientCredentials { token_url, .. } = &self.auth {
            out.push(("auth.token_url".into(), token_url));
        }
        if let AuthKind::GoogleServiceAccount {
            token_url: Some(t), ..
        } = &self.auth
        {
            out.push(("auth.token_url".into(), t));
        }
        for e in &self.endpoints {
            let k = format!("endpoint ({})", e.name);
            if let Some(p) = &e.path {
                out.push((format!("{k}.path"), p));
            }
            for (q, t) in &e.query {
                out.push((format!("{k}.query.{q}"), t));
            }
            for f in &e.follow {
                out.push((format!("{k}.follow ({}).path", f.name), &f.path));
                for (q, t) in &f.query {
                    out.push((format!("{k}.follow ({}).query.{q}", f.name), t));
                }
            }
        }
        out
    }

    /// The endpoint-level permission, else the spec's.
    pub fn requires_of(&self, e: &Endpoint) -> String {
        e.requires
            .clone()
            .unwrap_or_else(|| self.requires.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = r#"
[spec]
name = "demo"
[auth]
kind = "bearer"
[[endpoint]]
name = "tokens"
path = "/tokens"
records = "/items"
kind = "saas_api_token"
pagination = { style = "cursor", pointer = "/next", param = "cursor" }
map = { id = "/id", name = "/label", status = "/state", status_map = { ON = "active" } }
[[endpoint.hint]]
identifier = "/owner"
signal = "creator"
"#;

    #[test]
    fn a_minimal_spec_parses() {
        let s = parse(MIN, "demo.toml").unwrap();
        assert_eq!(s.name, "demo");
        let e = &s.endpoints[0];
        assert_eq!(e.kind, Some(Kind::SaasApiToken));
        assert_eq!(
            e.pagination,
            Pagination::BodyCursor {
                pointer: "/next".into(),
                param: "cursor".into()
            }
        );
        assert_eq!(e.hints[0].signal, Signal::CreatorField);
        assert_eq!(e.map.status_map["ON"], NhiStatus::Active);
    }

    #[test]
    fn every_builtin_spec_parses() {
        for (name, text) in BUILTIN {
            let s = parse(text, &format!("connectors/saas/{name}.toml (built in)"))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&s.name, name);
            assert!(!s.requires.is_empty(), "{name}: document the permissions");
            assert!(s.alias.is_some(), "{name}: document the alias prefix");
        }
    }

    fn err(text: &str) -> String {
        parse(text, "x/bad.toml").unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let e = err(&MIN.replace("records = \"/items\"", "records = \"items\""));
        assert!(
            e.contains("x/bad.toml") && e.contains("records") && e.contains("JSON pointer"),
            "{e}"
        );
        let e = err(&MIN.replace("style = \"cursor\"", "style = \"scroll\""));
        assert!(
            e.contains("x/bad.toml") && e.contains("scroll") && e.contains("line"),
            "{e}"
        );
        let e = err(&MIN.replace("kind = \"saas_api_token\"", "kind = \"saas_thing\""));
        assert!(
            e.contains("endpoint[0] (tokens).kind") && e.contains("saas_thing"),
            "{e}"
        );
        let e = err(&MIN.replace("signal = \"creator\"", "signal = \"guess\""));
        assert!(e.contains("hint[0].signal"), "{e}");
        let e = err(&MIN.replace("path = \"/tokens\"", "path = \"/tokens\"\nlimit = 3"));
        assert!(
            e.contains("unknown field") && e.contains("limit") && e.contains("line"),
            "{e}"
        );
        let e = err(&MIN.replace("\"/label\"", "\"{/a~2b}\""));
        assert!(e.contains("map.name") && e.contains("~"), "{e}");
        let e = err(&MIN.replace("\"active\"", "\"on\""));
        assert!(e.contains("status_map.ON"), "{e}");
        let e = err(&MIN.replace("path = \"/tokens\"", "path = \"/orgs/{org}/tokens\""));
        assert!(e.contains("{org}") && e.contains("spec.vars"), "{e}");
        let e = err(&MIN.replace("map = { id = \"/id\", ", "map = { "));
        assert!(e.contains("map.id"), "{e}");
        let e = err(&MIN.replace("kind = \"bearer\"", "kind = \"kerberos\""));
        assert!(e.contains("kerberos"), "{e}");
    }

    #[test]
    fn templates_read_records_parents_and_vars() {
        let t = Template::parse("{^/email}:{/clientId} in {org_id}").unwrap();
        let rec = serde_json::json!({"clientId": "abc"});
        let parent = serde_json::json!({"email": "a@x"});
        let vars: BTreeMap<String, String> = [("org_id".to_string(), "o1".to_string())].into();
        assert_eq!(
            t.render(&rec, Some(&parent), &vars).as_deref(),
            Some("a@x:abc in o1")
        );
        // A missing field makes the whole value absent.
        assert_eq!(t.render(&rec, None, &vars), None);
        let b = Template::parse("/accountEnabled").unwrap();
        assert_eq!(
            b.render(&serde_json::json!({"accountEnabled": false}), None, &vars)
                .as_deref(),
            Some("false")
        );
        assert!(Template::parse("{oops").is_err());
        assert!(Template::parse("{a b}").is_err());
        assert!(check_pointer("/a~0b~1c").is_ok());
    }
}
