//! Plain data shared by every stage: NHI records as connectors emit them, evidence,
//! findings as the contract defines them, coverage, and the secret types.
//!
//! No I/O here, and nothing that knows about a particular connector or output format.
//! A raw secret only ever lives in [`SecretBytes`], which cannot be serialised and whose
//! `Debug` redacts; everything that leaves the process carries a [`SecretRef`] instead.

pub mod coverage_unit;
pub mod keypair;
pub mod scrub;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// What sort of NHI or credential a finding is about. Serialised in snake_case;
/// the contract allows extending this list, never renaming an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    AwsIamUser,
    AwsAccessKey,
    AwsIamRole,
    AwsSshKey,
    AwsServiceCredential,
    AwsSigningCertificate,
    AwsLoginProfile,
    GithubMember,
    GithubOutsideCollaborator,
    GithubDeployKey,
    GithubPat,
    GithubCredentialAuthorization,
    GithubWebhook,
    GithubAppInstallation,
    GithubActionsSecret,
    SecretInRepo,
    HostAccount,
    HostAdmin,
    SshAuthorizedKey,
    SecretOnHost,
    SaasApiToken,
    SaasApp,
    SaasOauthGrant,
    SaasServiceAccount,
    SaasAdmin,
    /// An IdP or SaaS account still enabled (the leaver's own account: `is`).
    SaasUser,
    /// Extension: a credential in a cloud or SaaS record's metadata (a tag, a description,
    /// a webhook URL, a token's label). Git and host metadata use `secret_in_repo` and
    /// `secret_on_host`.
    SecretInMetadata,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::AwsIamUser => "aws_iam_user",
            Kind::AwsAccessKey => "aws_access_key",
            Kind::AwsIamRole => "aws_iam_role",
            Kind::AwsSshKey => "aws_ssh_key",
            Kind::AwsServiceCredential => "aws_service_credential",
            Kind::AwsSigningCertificate => "aws_signing_certificate",
            Kind::AwsLoginProfile => "aws_login_profile",
            Kind::GithubMember => "github_member",
            Kind::GithubOutsideCollaborator => "github_outside_collaborator",
            Kind::GithubDeployKey => "github_deploy_key",
            Kind::GithubPat => "github_pat",
            Kind::GithubCredentialAuthorization => "github_credential_authorization",
            Kind::GithubWebhook => "github_webhook",
            Kind::GithubAppInstallation => "github_app_installation",
            Kind::GithubActionsSecret => "github_actions_secret",
            Kind::SecretInRepo => "secret_in_repo",
            Kind::HostAccount => "host_account",
            Kind::HostAdmin => "host_admin",
            Kind::SshAuthorizedKey => "ssh_authorized_key",
            Kind::SecretOnHost => "secret_on_host",
            Kind::SaasApiToken => "saas_api_token",
            Kind::SaasApp => "saas_app",
            Kind::SaasOauthGrant => "saas_oauth_grant",
            Kind::SaasServiceAccount => "saas_service_account",
            Kind::SaasAdmin => "saas_admin",
            Kind::SaasUser => "saas_user",
            Kind::SecretInMetadata => "secret_in_metadata",
        }
    }

    /// Kinds that are a person's own account rather than a credential or machine identity.
    pub fn is_account(&self) -> bool {
        matches!(
            self,
            Kind::AwsIamUser
                | Kind::GithubMember
                | Kind::GithubOutsideCollaborator
                | Kind::HostAccount
                | Kind::HostAdmin
                | Kind::SaasAdmin
                | Kind::SaasUser
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a finding is tied to a person (contract vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Is,
    Created,
    Owns,
    Authored,
    Approved,
    HasAccess,
    Orphaned,
}

impl Relation {
    /// Strength of a relation for picking a person's strongest tie (higher is stronger):
    /// `is` > `created` > `authored` > `owns` > `approved` > `has_access` > `orphaned`.
    pub fn rank(&self) -> u8 {
        match self {
            Relation::Is => 6,
            Relation::Created => 5,
            Relation::Authored => 4,
            Relation::Owns => 3,
            Relation::Approved => 2,
            Relation::HasAccess => 1,
            Relation::Orphaned => 0,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Relation::Is => "is",
            Relation::Created => "created",
            Relation::Owns => "owns",
            Relation::Authored => "authored",
            Relation::Approved => "approved",
            Relation::HasAccess => "has_access",
            Relation::Orphaned => "orphaned",
        }
    }
}

/// How sure the tie is. Ordered: `Possible < Likely < Confirmed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Possible,
    Likely,
    Confirmed,
}

impl Confidence {
    pub fn as_str(&self) -> &'static str {
        match self {
            Confidence::Possible => "possible",
            Confidence::Likely => "likely",
            Confidence::Confirmed => "confirmed",
        }
    }
    /// One step less sure (used when evidence is ambiguous).
    pub fn lower(self) -> Self {
        match self {
            Confidence::Confirmed => Confidence::Likely,
            _ => Confidence::Possible,
        }
    }
}

/// A rule's declared `severity` as a cap on its findings: `info`, `low` and `medium`
/// cap, anything else (`high`, `critical`, absent) does not.
pub fn rule_severity_cap(declared: Option<&str>) -> Option<Severity> {
    match declared.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("info") => Some(Severity::Info),
        Some("low") => Some(Severity::Low),
        Some("medium") => Some(Severity::Medium),
        _ => None,
    }
}

/// Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    pub fn raise(self) -> Self {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            _ => Severity::Critical,
        }
    }
    pub fn lower(self) -> Self {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            _ => Severity::Info,
        }
    }
}

/// Whether the NHI or credential can still be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NhiStatus {
    Active,
    Inactive,
    #[default]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Revoke,
    Rotate,
    Disable,
    Delete,
    TransferOwnership,
    Review,
}

/// Why a finding is tied to a person: where the fact came from and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Evidence {
    /// e.g. `aws:iam`, `aws:cloudtrail`, `git:commit`, `git:codeowners`, `host:passwd`.
    pub source: String,
    /// One human-readable line. Never contains a secret value.
    pub detail: String,
}

impl Evidence {
    pub fn new(source: impl Into<String>, detail: impl Into<String>) -> Self {
        Evidence {
            source: source.into(),
            detail: detail.into(),
        }
    }
}

/// The kind of signal an owner hint carries. Attribution maps each to a relation and a
/// ceiling on confidence; connectors only say what they saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The NHI *is* this identity's own account (IAM user name, host login, org member).
    Account,
    /// An API's own creator field (`created_by`, the user an access key belongs to, ...).
    CreatorField,
    /// An audit event (CloudTrail CreateAccessKey by X, GitHub audit log, ...).
    AuditEvent,
    /// A declared owner tag or owner field (`owner=alice@...`).
    OwnerTag,
    /// CODEOWNERS or a similar ownership file covering the path.
    Codeowners,
    /// The commit that introduced a secret was authored by this identity.
    CommitAuthor,
    /// The identity committed to the repository where the secret lives (could read it).
    Contributor,
    /// An SSH public key comment `user@host` or a similar label on a credential.
    KeyComment,
    /// A naming convention (`svc-alice-deploy`): weak on its own.
    Naming,
    /// The identity was granted this credential or approved it (PAT approval, OAuth consent).
    Approval,
    /// The identity can use this credential (member of the group, holder of the key).
    Access,
}

/// An owner hint as a connector saw it: an identifier in its own namespace plus the
/// evidence. Attribution resolves it against the HR directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OwnerHint {
    /// Raw identifier: an email, a username, a display name, or a namespaced alias such as
    /// `github:login`, `aws:username`, `okta:00u123`, `host:alice`.
    pub identifier: String,
    pub signal: Signal,
    pub evidence: Evidence,
}

impl OwnerHint {
    pub fn new(identifier: impl Into<String>, signal: Signal, evidence: Evidence) -> Self {
        OwnerHint {
            identifier: identifier.into(),
            signal,
            evidence,
        }
    }
}

/// Where a secret was seen in a file or in git history. Every key is written (`null` where
/// unknown, e.g. the commit of a file outside git) so that scripts can index them blindly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Location {
    #[serde(default)]
    pub repo: Option<String>,
    pub path: String,
    pub line: u64,
    #[serde(default)]
    pub commit: Option<String>,
    #[serde(default)]
    pub author_name: Option<String>,
    #[serde(default)]
    pub author_email: Option<String>,
    #[serde(default)]
    pub committed_at: Option<DateTime<Utc>>,
    pub in_head: bool,
}

/// A secret value. Not `Serialize`, not `Display`; `Debug` prints only the redacted form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        SecretBytes(bytes.into())
    }
    /// The raw bytes, for hashing and joining only. Never log or print them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(&self.0))
    }
    /// At most 4 leading and 4 trailing characters, joined by `…`. Secrets of 12
    /// characters or fewer keep at most 2 + 2, and of 6 or fewer nothing at all.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
    pub fn to_ref(&self) -> SecretRef {
        SecretRef {
            redacted: self.redacted(),
            sha256: self.sha256_hex(),
        }
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes({})", self.redacted())
    }
}

/// The `checksum` attribute of a secret whose rule has a format validator. An invalid one
/// is still reported (one severity lower), so the word says which it was.
pub fn checksum_word(ok: bool) -> String {
    if ok { "valid" } else { "invalid" }.to_string()
}

/// The title suffix of a secret that fails its rule's format check (a GitHub token's
/// checksum, an AWS key id's base32 alphabet).
pub const CHECKSUM_INVALID_NOTE: &str =
    " (format check fails: likely a test value or a mistyped copy)";

/// A correlation key: the kind of identifier plus the SHA-256 of its exact bytes, never
/// the raw value. Connectors that see the same credential (a key id in a repository, the
/// IAM key itself; a private key and the deploy key that is its public half) produce the
/// same key through the same constructor, so a new connector cannot misspell a join, and
/// a `Debug` print of an NHI reveals no value. Internal only: never serialised.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JoinKey(String);

impl JoinKey {
    fn of(kind: &str, value: &[u8]) -> Self {
        JoinKey(format!("{kind}:{}", hex::encode(Sha256::digest(value))))
    }
    /// An AWS access key id (`AKIA…`/`ASIA…`): the IAM key and any copy of its id.
    pub fn aws_access_key_id(id: &str) -> Self {
        Self::of("aws_access_key_id", id.as_bytes())
    }
    /// An SSH public key by its OpenSSH `SHA256:` fingerprint: an `authorized_keys`
    /// entry, an IAM SSH key, a GitHub user or deploy key, a leaked private key's public
    /// half.
    pub fn ssh_key(fingerprint: &str) -> Self {
        Self::of("ssh_key_fingerprint", fingerprint.as_bytes())
    }
    /// The last eight characters of a GitHub token, all GitHub's credential
    /// authorizations show of it.
    pub fn github_token_last_eight(last_eight: &[u8]) -> Self {
        Self::of("github_token_last_eight", last_eight)
    }
    /// A credential a detection rule declares joinable (its `join_key` names the kind:
    /// `github_token`, `slack_token`, and `aws_access_key_id`, which equals
    /// [`JoinKey::aws_access_key_id`]).
    pub fn credential(kind: &str, value: &[u8]) -> Self {
        Self::of(kind, value)
    }
    /// The kind part (`ssh_key_fingerprint`).
    pub fn kind(&self) -> &str {
        self.0.split(':').next().unwrap_or("")
    }
}

impl std::fmt::Debug for JoinKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, hash) = self.0.split_once(':').unwrap_or(("", ""));
        write!(f, "JoinKey({kind}:{}…)", hash.get(..8).unwrap_or(hash))
    }
}

/// What a connector could not read about a record, that the policy must not guess: a
/// sweep does not call a user orphaned with confidence, or rate it below admin, on facts
/// it never saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unread {
    OwnerTags,
    AdminRights,
}

impl Unread {
    pub fn as_str(&self) -> &'static str {
        match self {
            Unread::OwnerTags => "owner tags",
            Unread::AdminRights => "admin rights",
        }
    }
}

/// A value from user input echoed in a message (a roster cell, a config value): shown as
/// is when short, else redacted like a secret, since a pasted token can sit in any field.
pub fn shown(value: &str) -> String {
    if value.chars().count() <= 12 {
        value.to_string()
    } else {
        redact(value.as_bytes())
    }
}

/// A TOML parse or type error as one line: line, column and the parser's message, with
/// quoted values redacted. The parser's own rendering quotes the offending source line,
/// which may hold a pasted token.
pub fn toml_error_line(e: &toml::de::Error, text: &str) -> String {
    let msg = e.message().trim().replace('\n', " ");
    let msg = QUOTED
        .get_or_init(|| regex::Regex::new(r#""([^"\\]|\\.)*""#).expect("valid regex"))
        .replace_all(&msg, |c: &regex::Captures<'_>| {
            let inner = c[0].trim_matches('"');
            format!("\"{}\"", shown(inner))
        })
        .into_owned();
    match e.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            format!("TOML error at line {line}, column {col}: {msg}")
        }
        None => format!("TOML error: {msg}"),
    }
}

static QUOTED: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();

/// Redact a secret so that at most 4 leading and 4 trailing characters remain visible.
pub fn redact(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let keep = if n > 12 {
        4
    } else if n > 6 {
        2
    } else {
        0
    };
    if keep == 0 {
        return "…".to_string();
    }
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[n - keep..].iter().collect();
    format!("{head}…{tail}")
}

/// The only form of a secret that may leave the process.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SecretRef {
    pub redacted: String,
    pub sha256: String,
}

/// One NHI or credential as a connector emits it: native id, kind, attributes and
/// owner hints. Connectors know nothing about people; they describe what they saw.
#[derive(Debug, Clone)]
pub struct Nhi {
    /// `git`, `host:web-1`, `aws:prod`, `github:acme`, `saas:okta`.
    pub connector: String,
    pub kind: Kind,
    /// Native, stable identifier per the contract (ARN, `ARN#KeyId`, `repo:path:line`, ...).
    pub resource: String,
    /// One line a human reads in a ticket. Never contains a secret value.
    pub title: String,
    pub status: NhiStatus,
    pub created_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub secret: Option<SecretRef>,
    /// Rule id, for NHIs a detection rule produced.
    pub rule: Option<String>,
    /// First (introducing) location, for secrets in files and history.
    pub location: Option<Location>,
    /// Every other place the same secret was seen (same repo/host, same rule).
    pub other_locations: Vec<Location>,
    pub hints: Vec<OwnerHint>,
    /// Hints shared by many NHIs (e.g. every contributor of a repository, which ties
    /// each secret in it to them as `has_access`), kept once per source.
    pub shared_hints: Option<Arc<Vec<OwnerHint>>>,
    /// Admin or root-equivalent rights (raises severity).
    pub privileged: bool,
    /// Attributes for reports and tickets only (`uid`, `groups`, `key_type`, `joined_to`,
    /// `leaked_in`, ...): no stage decides anything by reading one. What stages read is
    /// typed: [`Nhi::join_keys`], [`Nhi::ssh_fingerprint`], [`Nhi::checksum_valid`],
    /// [`Nhi::unread`] (whose setters also write the `fingerprint`, `checksum` and
    /// `unread` attributes the reports show). Exceptions kept on purpose, each a display
    /// value a later stage quotes rather than decides on: `credential` and `unlocks`
    /// (named in remediation text), and `account` (the host login an authorized key
    /// belongs to, which reach uses to find that account's record).
    pub attributes: BTreeMap<String, String>,
    /// Identifiers used to correlate NHIs across connectors ([`JoinKey`]: a hash, never a
    /// raw value). Internal only: never serialised.
    pub join_keys: Vec<JoinKey>,
    /// The OpenSSH fingerprint of the SSH public key this record is (an authorized key,
    /// an IAM or GitHub key). Set with [`Nhi::set_ssh_key`].
    pub ssh_fingerprint: Option<String>,
    /// For a secret whose rule has a format check: whether it passed. Set with
    /// [`Nhi::set_checksum`]; a failed check lowers the severity.
    pub checksum_valid: Option<bool>,
    /// What could not be read about this record. Set with [`Nhi::mark_unread`].
    pub unread: Vec<Unread>,
    /// Part of the stable identity of the finding in addition to connector/kind/resource
    /// (e.g. the secret hash for secrets, so that line moves keep the same id).
    pub fingerprint_basis: Option<String>,
    /// Set for NHIs that are reported only when something ties them to a person: roles
    /// AWS creates for itself (`aws_managed_role`), no-login system accounts without keys
    /// (`idle_system_account`). Untied, they are counted in `summary.not_reported` under
    /// this reason instead of being called orphaned.
    pub tie_required: Option<&'static str>,
    /// For a secret: the `severity` its rule declares when that is below `high` (a
    /// password hash is `low`, a generic keyword assignment `medium`): the finding is
    /// never rated above it. `high` and `critical` leave the severity to the policy.
    pub rule_severity: Option<Severity>,
}

impl Nhi {
    pub fn new(
        connector: impl Into<String>,
        kind: Kind,
        resource: impl Into<String>,
        title: impl Into<String>,
    ) -> Self {
        Nhi {
            connector: connector.into(),
            kind,
            resource: resource.into(),
            title: title.into(),
            status: NhiStatus::Unknown,
            created_at: None,
            last_used_at: None,
            secret: None,
            rule: None,
            location: None,
            other_locations: Vec::new(),
            hints: Vec::new(),
            shared_hints: None,
            privileged: false,
            attributes: BTreeMap::new(),
            join_keys: Vec::new(),
            ssh_fingerprint: None,
            checksum_valid: None,
            unread: Vec::new(),
            fingerprint_basis: None,
            tie_required: None,
            rule_severity: None,
        }
    }

    /// Add a join key once.
    pub fn add_join(&mut self, k: JoinKey) {
        if !self.join_keys.contains(&k) {
            self.join_keys.push(k);
        }
    }

    /// This record is the SSH public key with `fingerprint`: the typed field, its join
    /// key, and the `fingerprint` attribute reports show.
    pub fn set_ssh_key(&mut self, fingerprint: &str) {
        self.ssh_fingerprint = Some(fingerprint.to_string());
        self.add_join(JoinKey::ssh_key(fingerprint));
        self.attributes
            .insert("fingerprint".into(), fingerprint.to_string());
    }

    /// The outcome of the rule's format check, and the `checksum` attribute
    /// (`valid`/`invalid`) reports show.
    pub fn set_checksum(&mut self, ok: bool) {
        self.checksum_valid = Some(ok);
        self.attributes.insert("checksum".into(), checksum_word(ok));
    }

    /// What could not be read, and the `unread` attribute (`owner tags, admin rights`)
    /// reports show.
    pub fn mark_unread(&mut self, what: &[Unread]) {
        for w in what {
            if !self.unread.contains(w) {
                self.unread.push(*w);
            }
        }
        self.unread.sort();
        if !self.unread.is_empty() {
            let words: Vec<&str> = self.unread.iter().map(Unread::as_str).collect();
            self.attributes.insert("unread".into(), words.join(", "));
        }
    }

    /// Own hints, then shared ones.
    pub fn all_hints(&self) -> impl Iterator<Item = &OwnerHint> {
        self.hints
            .iter()
            .chain(self.shared_hints.iter().flat_map(|h| h.iter()))
    }

    /// Stable finding id: same NHI, same rule, same id across runs and rule renames. Hex
    /// SHA-256 prefix of connector, kind, rule (the one it replaces, if any) and either
    /// the fingerprint basis or the resource.
    pub fn finding_id(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.connector.as_bytes());
        h.update([0]);
        h.update(self.kind.as_str().as_bytes());
        h.update([0]);
        // A renamed or split rule's findings keep the id they had under the rule it
        // replaces (see `rules::fingerprint_rule_id`).
        let rule = self
            .rule
            .as_deref()
            .map(crate::rules::fingerprint_rule_id)
            .unwrap_or_default();
        h.update(rule.as_bytes());
        h.update([0]);
        h.update(
            self.fingerprint_basis
                .as_deref()
                .unwrap_or(&self.resource)
                .as_bytes(),
        );
        hex::encode(&h.finalize()[..16])
    }
}

/// How completely one source was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageStatus {
    Complete,
    Partial,
    Failed,
}

impl CoverageStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            CoverageStatus::Complete => "complete",
            CoverageStatus::Partial => "partial",
            CoverageStatus::Failed => "failed",
        }
    }
}

/// One `coverage` entry of the findings file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Coverage {
    pub connector: String,
    pub status: CoverageStatus,
    pub items_scanned: u64,
    pub errors: Vec<String>,
    /// Items deliberately skipped, by reason (`binary`, `too_large`, `minified`, ...):
    /// not errors, but the user should know they were not read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<String, u64>,
    /// Requests that were throttled (and retried) by the remote API.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub throttled: u64,
    /// Bytes read, for file and history scans.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bytes_scanned: u64,
    /// How the source was read where it differs from what the user may expect, without
    /// being an error (an allowlist entry set aside for a path named explicitly).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// API sources: the errors above counted by class (`forbidden`, `rate_limited`, ...),
    /// so a dashboard can tell a missing permission from an outage without parsing text.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_classes: BTreeMap<String, u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Coverage {
    pub fn new(connector: impl Into<String>) -> Self {
        Coverage {
            connector: connector.into(),
            status: CoverageStatus::Complete,
            items_scanned: 0,
            errors: Vec::new(),
            skipped: BTreeMap::new(),
            throttled: 0,
            bytes_scanned: 0,
            notes: Vec::new(),
            error_classes: BTreeMap::new(),
        }
    }
    /// [`Coverage::error`] with its class counted in `error_classes`.
    pub fn classed_error(&mut self, class: &str, msg: impl Into<String>) {
        *self.error_classes.entry(class.to_string()).or_default() += 1;
        self.error(msg);
    }
    /// [`Coverage::fail`] with its class counted in `error_classes`.
    pub fn classed_fail(&mut self, class: &str, msg: impl Into<String>) {
        *self.error_classes.entry(class.to_string()).or_default() += 1;
        self.fail(msg);
    }
    /// Record an error: the source becomes `partial` (unless already `failed`). A URL's
    /// userinfo in `msg` is hidden ([`scrub::redact_urls_in`]).
    pub fn error(&mut self, msg: impl Into<String>) {
        self.errors
            .push(scrub::redact_urls_in(&msg.into()).into_owned());
        if self.status == CoverageStatus::Complete {
            self.status = CoverageStatus::Partial;
        }
    }
    /// Record a fatal error: nothing (more) could be read from this source. A URL's
    /// userinfo in `msg` is hidden.
    pub fn fail(&mut self, msg: impl Into<String>) {
        self.errors
            .push(scrub::redact_urls_in(&msg.into()).into_owned());
        self.status = CoverageStatus::Failed;
    }
    pub fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.to_string()).or_default() += 1;
    }
    pub fn is_complete(&self) -> bool {
        self.status == CoverageStatus::Complete
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Remediation {
    pub action: Action,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExceptionRef {
    pub reason: String,
    pub approved_by: String,
    pub expires: String,
}

/// One finding of the findings file, exactly per the contract.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub kind: Kind,
    pub connector: String,
    pub resource: String,
    pub title: String,
    pub owner: Option<String>,
    pub relation: Option<Relation>,
    pub confidence: Confidence,
    pub evidence: Vec<Evidence>,
    pub severity: Severity,
    pub status: NhiStatus,
    pub created_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub secret: Option<SecretRef>,
    pub rule: Option<String>,
    /// `null` for findings that are not in a file or in git history.
    #[serde(default)]
    pub location: Option<Location>,
    /// Extension: every other place the same secret was seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_locations: Vec<Location>,
    pub remediation: Remediation,
    pub exception: Option<ExceptionRef>,
    /// Extension: attributes the connector reported (uid, groups, key type, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_at_most_four_each_side() {
        let s = SecretBytes::new("AKIAABCDEFGHIJKLWXYZ");
        assert_eq!(s.redacted(), "AKIA…WXYZ");
        assert_eq!(format!("{s:?}"), "SecretBytes(AKIA…WXYZ)");
        assert_eq!(SecretBytes::new("short").redacted(), "…");
        assert_eq!(SecretBytes::new("12345678").redacted(), "12…78");
    }

    #[test]
    fn finding_id_is_stable_and_uses_fingerprint_basis() {
        let mut a = Nhi::new("git", Kind::SecretInRepo, "repo:a.txt:1", "t");
        a.rule = Some("r".into());
        a.fingerprint_basis = Some("repo\0abc".into());
        let mut b = a.clone();
        b.resource = "repo:a.txt:9".into();
        assert_eq!(a.finding_id(), b.finding_id());
        assert_eq!(a.finding_id().len(), 32);
    }

    proptest::proptest! {
        #[test]
        fn redaction_never_reveals_more_than_eight_chars(s in ".{0,200}") {
            let r = redact(s.as_bytes());
            let visible = r.chars().filter(|c| *c != '…').count();
            proptest::prop_assert!(visible <= 8);
            if s.chars().count() > 8 {
                proptest::prop_assert!(!r.contains(s.as_str()));
            }
        }
    }
}
