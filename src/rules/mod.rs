//! Detection rules as data: the TOML schema, loading the embedded set and `--rules DIR`,
//! and the checks on rule files that `nhiscan rules check` runs (stable unique ids, valid
//! patterns, keywords and examples present).
//!
//! Owns no scanning and does not depend on the matcher: the matcher compiles a
//! [`RuleSet`] into its engine. Loading and [`check_set`] check what can be checked
//! without the engine (schema, id syntax, duplicate ids, pattern syntax, keyword hygiene);
//! the CLI's `rules check` adds the example checks, which need a matcher.
//!
//! # Rule ids
//!
//! `nhi.<system>.<name>.<n>`: lowercase, dot-separated, the system is the `unlocks`
//! value, the name says what credential it is, and `<n>` is a version number. An id is
//! never reused: when a rule's meaning changes (different secret span, different
//! credential), it gets a new `<n>` and the old id is retired, so finding ids (which hash
//! the rule id) stay meaningful across runs. User rules loaded with `--rules DIR` follow
//! the same shape with their own first segment (e.g. `acme.billing.api-key.1`); the
//! `nhi.` prefix is reserved for built-in rules.
//!
//! A rule that is renamed or split keeps its findings' ids by declaring the ids it
//! replaces (`replaces = ["nhi.x.old.1"]`): finding ids hash [`fingerprint_rule_id`], the
//! first replaced id, instead of the new one. A replaced id must be well formed and must
//! not be a loaded rule's own id.
//!
//! # Validators
//!
//! Some credential formats carry their own integrity check, which tells a real token from
//! a look-alike with the right shape (a typo, a truncated copy, a made-up example). A rule
//! names one with `validate = "NAME"`. A match whose secret fails it is still reported
//! (a fixture token with a made-up checksum is most likely a test value, but nothing proves
//! it never was a real one, and a scanner that hides it looks clean when it is not): the
//! finding carries the attribute `checksum = "invalid"` and its severity is one step lower.
//! Known validators (see [`Validator`]):
//!
//! - `github_crc32`: GitHub's classic token formats (`ghp_`, `gho_`, `ghu_`, `ghs_`,
//!   `ghr_`) end in a 6-character base62 (`0-9A-Za-z`, left-padded with `0`) CRC-32 of the
//!   30 random characters before it; GitHub's own secret scanning rejects tokens whose
//!   checksum does not match. The check runs on the part of the secret after its last `_`.
//! - `aws_base32`: AWS access key ids are a 4-letter prefix (`AKIA`, `ASIA`, ...) and 16
//!   base32 characters (`A-Z2-7`). A hand-made fake typed from `[A-Z0-9]` (a `0`, `1`, `8`
//!   or `9` in it) still reads as a leaked key to whoever finds it: the rule matches it and
//!   this check marks it.
//!
//! An unknown name is a load error. Examples of a validated rule should pass the check
//! (fake examples need a computed checksum: `FAKE`-marked bodies are fine, their checksum
//! just has to match); an example that fails it on purpose says so in a comment.

use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The built-in rule files, embedded at build time. One plain list on purpose: adding a
/// file means adding a line here.
pub const BUILTIN: &[(&str, &str)] = &[
    ("rules/aws.toml", include_str!("../../rules/aws.toml")),
    ("rules/github.toml", include_str!("../../rules/github.toml")),
    ("rules/gitlab.toml", include_str!("../../rules/gitlab.toml")),
    ("rules/slack.toml", include_str!("../../rules/slack.toml")),
    ("rules/stripe.toml", include_str!("../../rules/stripe.toml")),
    ("rules/gcp.toml", include_str!("../../rules/gcp.toml")),
    ("rules/azure.toml", include_str!("../../rules/azure.toml")),
    ("rules/keys.toml", include_str!("../../rules/keys.toml")),
    ("rules/saas.toml", include_str!("../../rules/saas.toml")),
    (
        "rules/packages.toml",
        include_str!("../../rules/packages.toml"),
    ),
    ("rules/vault.toml", include_str!("../../rules/vault.toml")),
    (
        "rules/database.toml",
        include_str!("../../rules/database.toml"),
    ),
    (
        "rules/generic.toml",
        include_str!("../../rules/generic.toml"),
    ),
];

/// One detection rule as written in `rules/*.toml` (`[[rule]]` tables).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id, never reused (`nhi.aws.access-key-id.1` style).
    pub id: String,
    pub name: String,
    /// Regex (Rust `regex` syntax, bytes mode, ASCII semantics: `\w`, `\b`, `(?i)` are
    /// ASCII-only, which keeps the engine on its fast DFA paths). The secret is the
    /// capture group named `secret`, else group 1, else the whole match. `^` and `$`
    /// must be written `(?m)^` / `(?m)$`: the matcher runs line-local rules line by line.
    pub pattern: String,
    /// Literals for the prefilter; a rule is only run on data containing one of them
    /// (case-insensitive). Every match must contain one of them. Empty means the rule
    /// always runs (avoid; `rules check` rejects it).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// What credential this is (`aws_access_key_id`, `github_pat_classic`, ...).
    pub credential: String,
    /// Which system it unlocks (`aws`, `github`, `slack`, `generic`, ...): lets later
    /// stages join a finding to a connector's records.
    pub unlocks: String,
    /// The secret itself is a join key of this kind (e.g. `aws_access_key_id`).
    #[serde(default)]
    pub join_key: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    /// Drop matches that look like placeholders (`${VAR}`, `changeme`, `your-api-key`,
    /// `example`, `test`, ...). Default: on for `unlocks = "generic"` rules, off otherwise
    /// (a specific format with an entropy floor rarely needs it).
    #[serde(default)]
    pub placeholders: Option<bool>,
    /// A format check the secret must pass (`github_crc32`); see [`Validator`].
    #[serde(default)]
    pub validate: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// The retired ids this rule replaces (it was renamed, or split out of them). Its
    /// findings are fingerprinted with the first one, so their finding ids, and with them
    /// `diff`, the state store and tickets, do not change on the upgrade.
    #[serde(default)]
    pub replaces: Vec<String>,
    /// Where the rule came from (file path), filled in by the loader.
    #[serde(skip)]
    pub origin: PathBuf,
    /// The pattern as parsed when the loader checked it, with the text it was parsed
    /// from, so that the matcher does not parse it again (see [`Rule::parsed`]).
    #[serde(skip)]
    pub(crate) parsed: Option<(Arc<str>, Arc<regex_syntax::hir::Hir>)>,
}

impl Rule {
    /// The parsed pattern: the loader's parse when the pattern is unchanged since.
    pub(crate) fn parsed(&self) -> Result<Arc<regex_syntax::hir::Hir>, String> {
        match &self.parsed {
            Some((text, hir)) if **text == *self.pattern => Ok(hir.clone()),
            _ => parse_pattern(&self.pattern).map(Arc::new),
        }
    }

    /// Whether `secret` passes the rule's `validate` check: `None` for a rule without one.
    pub fn checksum_ok(&self, secret: &[u8]) -> Option<bool> {
        self.validate
            .as_deref()
            .and_then(Validator::from_name)
            .map(|v| v.check(secret))
    }

    /// A catch-all rule (keyword assignment, URL credentials): loses to any specific rule
    /// that finds the same secret.
    pub fn is_generic(&self) -> bool {
        self.unlocks == "generic"
    }

    /// Whether placeholder suppression applies (see [`Rule::placeholders`]).
    pub fn filters_placeholders(&self) -> bool {
        self.placeholders.unwrap_or_else(|| self.is_generic())
    }
}

/// A structural check of a secret's own integrity data, named by a rule's `validate` key
/// (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// GitHub classic tokens: base62 CRC-32 of the 30-character body in the last 6 characters.
    GithubCrc32,
    /// AWS access key ids: only base32 (`A-Z2-7`) after the 4-character prefix.
    AwsBase32,
}

impl Validator {
    /// Every validator name a rule may use.
    pub const NAMES: &'static [&'static str] = &["github_crc32", "aws_base32"];

    /// The validator called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Validator> {
        match name {
            "github_crc32" => Some(Validator::GithubCrc32),
            "aws_base32" => Some(Validator::AwsBase32),
            _ => None,
        }
    }

    /// Whether `secret` passes the check.
    pub fn check(self, secret: &[u8]) -> bool {
        match self {
            Validator::GithubCrc32 => github_checksum_ok(secret),
            Validator::AwsBase32 => {
                secret.len() > 4
                    && secret[4..]
                        .iter()
                        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(b))
            }
        }
    }
}

const fn crc32_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// CRC-32 (IEEE 802.3, the one zlib and GitHub use).
pub fn crc32(data: &[u8]) -> u32 {
    static TABLE: [u32; 256] = crc32_table();
    !data.iter().fold(!0u32, |c, &b| {
        TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8)
    })
}

/// `n` in base62 (`0-9A-Za-z`), left-padded with `0` to 6 characters (a CRC-32 fits in 6).
pub fn base62_6(mut n: u32) -> [u8; 6] {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// `prefix` + `body` + the body's GitHub checksum: a classic-format token that passes
/// `github_crc32` (how test fixtures and rule examples make fake tokens that still count).
pub fn with_github_checksum(prefix: &str, body: &str) -> String {
    let sum = base62_6(crc32(body.as_bytes()));
    format!("{prefix}{body}{}", String::from_utf8_lossy(&sum))
}

/// GitHub's classic token checksum: the part after the last `_` is a body followed by the
/// base62 CRC-32 of that body in 6 characters.
fn github_checksum_ok(secret: &[u8]) -> bool {
    let token = match secret.iter().rposition(|&b| b == b'_') {
        Some(i) => &secret[i + 1..],
        None => secret,
    };
    if token.len() <= 6 || !token.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (body, sum) = token.split_at(token.len() - 6);
    base62_6(crc32(body)) == sum
}

#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("rule {id} in {path}: {message}")]
    Invalid {
        id: String,
        path: PathBuf,
        message: String,
    },
    #[error("rule id {id} is defined twice: {first} and {second}")]
    Duplicate {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("reading {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The top level of a rule file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<Rule>,
}

/// Rule id -> the retired id its findings are fingerprinted with, for every rule loaded
/// in this process that declares `replaces`.
static LINEAGE: std::sync::RwLock<Option<HashMap<String, String>>> = std::sync::RwLock::new(None);

fn register_lineage(id: &str, old: &str) {
    let mut map = LINEAGE.write().unwrap_or_else(|e| e.into_inner());
    map.get_or_insert_with(HashMap::new)
        .insert(id.to_string(), old.to_string());
}

/// The rule id a finding of rule `id` is fingerprinted with: the first id it replaces, or
/// its own. Keeps finding ids stable when a rule is renamed or split.
pub fn fingerprint_rule_id(id: &str) -> std::borrow::Cow<'_, str> {
    let map = LINEAGE.read().unwrap_or_else(|e| e.into_inner());
    match map.as_ref().and_then(|m| m.get(id)) {
        Some(old) => std::borrow::Cow::Owned(old.clone()),
        None => std::borrow::Cow::Borrowed(id),
    }
}

/// Whether a rule was loaded from the embedded rule files (`origin`).
pub fn is_builtin_origin(origin: &Path) -> bool {
    BUILTIN.iter().any(|(p, _)| Path::new(p) == origin)
}

impl RuleSet {
    /// The rules embedded in the binary (`rules/*.toml` at build time).
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        for (path, text) in BUILTIN {
            set.add_file_text(Path::new(path), text)?;
        }
        Ok(set)
    }

    /// Built-in rules plus every `*.toml` under `dir` (recursively, in path order so the
    /// result does not depend on the file system's listing order).
    pub fn with_dir(dir: &Path) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::builtin()?;
        for (path, text) in read_rule_dir(dir)? {
            set.add_file_text(&path, &text)?;
        }
        Ok(set)
    }

    /// Built-in rules, plus `dir` when given: what every command loads.
    pub fn load(dir: Option<&Path>) -> Result<RuleSet, RuleError> {
        match dir {
            Some(d) => RuleSet::with_dir(d),
            None => RuleSet::builtin(),
        }
    }

    /// Parse one rule file's text and add its rules, checking each one (see
    /// [`check_rule`]) and that no id is already taken.
    pub fn add_file_text(&mut self, path: &Path, text: &str) -> Result<(), RuleError> {
        let file: RuleFile = toml::from_str(text).map_err(|e| RuleError::Parse {
            path: path.to_path_buf(),
            message: crate::model::toml_error_line(&e, text),
        })?;
        let builtin = is_builtin_origin(path);
        for mut rule in file.rule {
            rule.origin = path.to_path_buf();
            if let Some(first) = self.rules.iter().find(|r| r.id == rule.id) {
                return Err(RuleError::Duplicate {
                    id: rule.id,
                    first: first.origin.clone(),
                    second: path.to_path_buf(),
                });
            }
            let (problems, hir) = check_rule_parsed(&rule, builtin);
            if let Some(problem) = problems.into_iter().next() {
                return Err(invalid(&rule, problem));
            }
            rule.parsed = hir.map(|h| (Arc::from(rule.pattern.as_str()), Arc::new(h)));
            // Both orders: this rule replaces a loaded id, or a loaded rule replaced it.
            let retired = rule
                .replaces
                .iter()
                .find(|old| **old == rule.id || self.rules.iter().any(|r| &r.id == *old))
                .or_else(|| {
                    self.rules
                        .iter()
                        .any(|r| r.replaces.contains(&rule.id))
                        .then_some(&rule.id)
                });
            if let Some(old) = retired {
                return Err(invalid(
                    &rule,
                    format!(
                        "{old:?} is in a rule's `replaces` and is still a rule's id (a replaced id is retired)"
                    ),
                ));
            }
            if let Some(old) = rule.replaces.first() {
                register_lineage(&rule.id, old);
            }
            self.rules.push(rule);
        }
        Ok(())
    }
}

/// Every `*.toml` under `dir` with its text, in path order (so the result does not depend
/// on the file system's listing order).
fn read_rule_dir(dir: &Path) -> Result<Vec<(PathBuf, String)>, RuleError> {
    let mut files = Vec::new();
    collect_toml(dir, &mut files)?;
    files.sort();
    files
        .into_iter()
        .map(|path| match crate::codec::read_utf8(&path) {
            Ok(text) => Ok((path, text)),
            Err(source) => Err(RuleError::Io { path, source }),
        })
        .collect()
}

/// Load the built-in rules and `dir` for `nhiscan rules check`: unlike
/// [`RuleSet::with_dir`] this does not stop at the first bad rule. Files that do not parse
/// are returned as problems; every rule that parses is kept, good or bad, for [`check_set`].
/// An unreadable `dir` is still an error.
pub fn load_for_lint(dir: Option<&Path>) -> Result<(RuleSet, Vec<LintProblem>), RuleError> {
    let mut texts: Vec<(PathBuf, String)> = BUILTIN
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect();
    if let Some(dir) = dir {
        texts.extend(read_rule_dir(dir)?);
    }
    let mut set = RuleSet::default();
    let mut problems = Vec::new();
    for (path, text) in texts {
        match toml::from_str::<RuleFile>(&text) {
            Ok(file) => set.rules.extend(file.rule.into_iter().map(|mut r| {
                r.origin = path.clone();
                r
            })),
            Err(e) => problems.push(LintProblem {
                id: "-".into(),
                message: crate::model::toml_error_line(&e, &text),
                path,
            }),
        }
    }
    Ok((set, problems))
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), RuleError> {
    let io = |source| RuleError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let ft = entry.file_type().map_err(io)?;
        if ft.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

pub(crate) fn invalid(rule: &Rule, message: impl Into<String>) -> RuleError {
    RuleError::Invalid {
        id: rule.id.clone(),
        path: rule.origin.clone(),
        message: message.into(),
    }
}

/// Whether `id` has the documented shape: at least four lowercase dot-separated
/// segments of `[a-z0-9_-]` (`owner.system.name.N`), the last one a version number.
pub fn id_is_well_formed(id: &str) -> bool {
    let segs: Vec<&str> = id.split('.').collect();
    if segs.len() < 4 {
        return false;
    }
    let ok_seg = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && s.as_bytes()[0].is_ascii_alphanumeric()
    };
    let last = segs[segs.len() - 1];
    segs.iter().all(|s| ok_seg(s)) && last.bytes().all(|b| b.is_ascii_digit())
}

/// The regex-syntax parser configured exactly as the matcher compiles patterns.
pub(crate) fn parse_pattern(pattern: &str) -> Result<regex_syntax::hir::Hir, String> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| format!("bad pattern: {e}"))
}

/// Problems with one rule that need no matcher: id shape, keywords, pattern syntax,
/// entropy range. `builtin` rules must use the reserved `nhi.` prefix; others must not.
pub fn check_rule(rule: &Rule, builtin: bool) -> Vec<String> {
    check_rule_parsed(rule, builtin).0
}

/// [`check_rule`], with the parsed pattern when it parses.
fn check_rule_parsed(rule: &Rule, builtin: bool) -> (Vec<String>, Option<regex_syntax::hir::Hir>) {
    let mut problems = Vec::new();
    for old in &rule.replaces {
        if !id_is_well_formed(old) {
            problems.push(format!(
                "replaces {old:?}, which is not a well-formed rule id"
            ));
        }
    }
    if !id_is_well_formed(&rule.id) {
        problems.push(format!(
            "id {:?} is not well formed (want lowercase `prefix.system.name.N`: `nhi.` for built-in rules, your own prefix for --rules, e.g. acme.billing.api-key.1)",
            rule.id
        ));
    }
    if builtin && !rule.id.starts_with("nhi.") {
        problems.push("built-in rule ids start with `nhi.`".to_string());
    }
    if !builtin && rule.id.starts_with("nhi.") {
        problems.push("the `nhi.` id prefix is reserved for built-in rules".to_string());
    }
    if rule.name.trim().is_empty()
        || rule.credential.trim().is_empty()
        || rule.unlocks.trim().is_empty()
    {
        problems.push("name, credential and unlocks must not be empty".to_string());
    }
    for kw in &rule.keywords {
        if kw.is_empty() || !kw.is_ascii() || kw.bytes().any(|b| b.is_ascii_control()) {
            problems.push(format!(
                "keyword {kw:?} must be non-empty printable ASCII (the prefilter folds ASCII case only)"
            ));
        }
    }
    if let Some(v) = &rule.validate {
        if Validator::from_name(v).is_none() {
            problems.push(format!(
                "unknown validator {v:?} (known: {})",
                Validator::NAMES.join(", ")
            ));
        }
    }
    if let Some(e) = rule.entropy {
        if !(0.0..=8.0).contains(&e) {
            problems.push(format!("entropy floor {e} is outside 0..=8 bits per byte"));
        }
    }
    let parsed = match parse_pattern(&rule.pattern) {
        Err(e) => {
            problems.push(e);
            None
        }
        Ok(hir) => {
            use regex_syntax::hir::Look;
            let looks = hir.properties().look_set();
            if looks.contains(Look::Start) || looks.contains(Look::End) {
                problems.push(
                    "pattern uses `^`/`$`/`\\A`/`\\z` without (?m): rules run line by line"
                        .to_string(),
                );
            }
            if hir.properties().minimum_len() == Some(0) {
                problems.push("pattern can match the empty string".to_string());
            }
            Some(hir)
        }
    };
    (problems, parsed)
}

/// One problem `nhiscan rules check` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintProblem {
    pub id: String,
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for LintProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rule {} in {}: {}",
            self.id,
            self.path.display(),
            self.message
        )
    }
}

/// The checks on the rule files alone (`nhiscan rules check` adds the example checks,
/// which need the matcher and so live in the CLI): every rule passes [`check_rule`], ids
/// are unique, keywords and examples are present. Returns the problems and the rules the
/// example checks can run on (patterns that parse, first of each id).
pub fn check_set(set: &RuleSet) -> (Vec<LintProblem>, RuleSet) {
    let mut problems = Vec::new();
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    let mut runnable = RuleSet::default();
    for rule in &set.rules {
        let builtin = is_builtin_origin(&rule.origin);
        let mut msgs = check_rule(rule, builtin);
        if rule.keywords.is_empty() {
            msgs.push("no keywords: the rule would run on every byte".to_string());
        }
        if rule.examples.is_empty() {
            msgs.push("no examples".to_string());
        }
        let first_of_id = match seen.insert(&rule.id, &rule.origin) {
            Some(first) => {
                msgs.push(format!("id is also defined in {}", first.display()));
                false
            }
            None => true,
        };
        if first_of_id && parse_pattern(&rule.pattern).is_ok() {
            runnable.rules.push(rule.clone());
        }
        problems.extend(msgs.into_iter().map(|message| LintProblem {
            id: rule.id.clone(),
            path: rule.origin.clone(),
            message,
        }));
    }
    (problems, runnable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_toml(id: &str, pattern: &str) -> String {
        format!(
            "[[rule]]\nid = {id:?}\nname = \"t\"\npattern = '{pattern}'\nkeywords = [\"tok_\"]\n\
             credential = \"t\"\nunlocks = \"acme\"\nexamples = [\"tok_ABCDEFGH12\"]\n"
        )
    }

    #[test]
    fn a_renamed_rule_keeps_the_finding_ids_of_the_id_it_replaces() {
        use crate::model::{Kind, Nhi};
        let finding = |rule: &str| {
            let mut n = Nhi::new("git", Kind::SecretInRepo, "repo:a.env:1", "t");
            n.rule = Some(rule.into());
            n.fingerprint_basis = Some("repo\0abc".into());
            n.finding_id()
        };
        let before = finding("acme.lineage.old-tok.1");
        let mut set = RuleSet::default();
        let text = rule_toml("acme.lineage.tok.2", r"tok_[A-Z0-9]{10}")
            + "replaces = [\"acme.lineage.old-tok.1\"]\n";
        set.add_file_text(Path::new("renamed.toml"), &text).unwrap();
        assert_eq!(finding("acme.lineage.tok.2"), before);
        // A rule without `replaces` is fingerprinted with its own id.
        assert_ne!(finding("acme.lineage.other.1"), before);
        // A replaced id must be retired and well formed.
        let mut set = RuleSet::default();
        set.add_file_text(
            Path::new("a.toml"),
            &rule_toml("acme.lineage.live.1", r"tok_[A-Z0-9]{10}"),
        )
        .unwrap();
        let text = rule_toml("acme.lineage.live.2", r"tok_[A-Z0-9]{10}")
            + "replaces = [\"acme.lineage.live.1\"]\n";
        let err = set
            .add_file_text(Path::new("b.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("still a rule's id"), "{err}");
        // The same when the replaced id is loaded after the rule that retired it.
        let mut set = RuleSet::default();
        let text = rule_toml("acme.lineage.new.2", r"tok_[A-Z0-9]{10}")
            + "replaces = [\"acme.lineage.new.1\"]\n";
        set.add_file_text(Path::new("a.toml"), &text).unwrap();
        let err = set
            .add_file_text(
                Path::new("b.toml"),
                &rule_toml("acme.lineage.new.1", r"tok_[A-Z0-9]{10}"),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("still a rule's id"), "{err}");
        let text =
            rule_toml("acme.lineage.odd.2", r"tok_[A-Z0-9]{10}") + "replaces = [\"Not An Id\"]\n";
        let err = RuleSet::default()
            .add_file_text(Path::new("c.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a well-formed rule id"), "{err}");
    }

    #[test]
    fn builtin_rules_load_and_are_many() {
        let set = RuleSet::builtin().unwrap();
        assert!(set.rules.len() >= 60, "only {} rules", set.rules.len());
    }

    #[test]
    fn ids_shape() {
        assert!(id_is_well_formed("nhi.aws.access-key-id.1"));
        assert!(id_is_well_formed("acme.billing.api_key.12"));
        assert!(!id_is_well_formed("nhi.aws.1"));
        assert!(!id_is_well_formed("nhi.AWS.key.1"));
        assert!(!id_is_well_formed("nhi.aws.key.v1"));
        assert!(!id_is_well_formed("nhi..key.1"));
    }

    #[test]
    fn bad_regex_names_rule_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bad.toml");
        std::fs::write(&f, rule_toml("acme.x.bad.1", r"tok_([A-Z")).unwrap();
        let err = RuleSet::with_dir(dir.path()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, RuleError::Invalid { .. }), "{msg}");
        assert!(
            msg.contains("acme.x.bad.1") && msg.contains("bad.toml"),
            "{msg}"
        );
    }

    #[test]
    fn duplicate_id_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.toml"),
            rule_toml("acme.x.tok.1", r"tok_[A-Z0-9]{10}"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.toml"),
            rule_toml("acme.x.tok.1", r"tok_[A-Z0-9]{10}"),
        )
        .unwrap();
        let err = RuleSet::with_dir(dir.path()).unwrap_err();
        assert!(matches!(err, RuleError::Duplicate { .. }), "{err}");
        assert!(err.to_string().contains("a.toml") && err.to_string().contains("b.toml"));
        // Clashing with a built-in id is a duplicate too (and uses the reserved prefix).
        let mut set = RuleSet::builtin().unwrap();
        let id = set.rules[0].id.clone();
        let err = set
            .add_file_text(Path::new("x.toml"), &rule_toml(&id, "tok_[A-Z]{10}"))
            .unwrap_err();
        assert!(matches!(err, RuleError::Duplicate { .. }));
    }

    #[test]
    fn user_rules_load_and_unknown_fields_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ok.toml"),
            rule_toml("acme.x.tok.1", r"\btok_[A-Z0-9]{10}\b"),
        )
        .unwrap();
        let n = RuleSet::builtin().unwrap().rules.len();
        let set = RuleSet::with_dir(dir.path()).unwrap();
        assert_eq!(set.rules.len(), n + 1);
        assert!(check_set(&set).0.is_empty(), "{:?}", check_set(&set).0);
        std::fs::write(
            dir.path().join("z.toml"),
            "[[rule]]\nid = \"acme.y.z.1\"\nbogus = 1\n",
        )
        .unwrap();
        assert!(matches!(
            RuleSet::with_dir(dir.path()),
            Err(RuleError::Parse { .. })
        ));
    }

    #[test]
    fn github_checksum_validator() {
        // The standard CRC-32 check value, and base62 padding.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(&base62_6(0), b"000000");
        assert_eq!(&base62_6(61), b"00000z");
        assert_eq!(&base62_6(u32::MAX), b"4gfFC3");
        let v = Validator::from_name("github_crc32").unwrap();
        // Computed independently (Python: zlib.crc32 + base62 0-9A-Za-z). Split so this
        // file holds no token-shaped literal (the project scans itself).
        let good = format!("ghp_{}", "FAKEujOeHwdFcAefAZhnM6Jy8c1rih0MpMFE");
        let good = good.as_str();
        assert!(v.check(good.as_bytes()));
        assert!(v.check(&good.as_bytes()[4..]), "the prefix is optional");
        let mut bad = good.as_bytes().to_vec();
        *bad.last_mut().unwrap() = b'F';
        assert!(!v.check(&bad));
        bad = good.as_bytes().to_vec();
        bad[8] = b'X'; // body changed, checksum kept
        assert!(!v.check(&bad));
        assert!(!v.check(b"ghp_"));
        assert!(!v.check(b"ghp_abc-def"));
        assert!(Validator::from_name("luhn").is_none());
        let aws = Validator::from_name("aws_base32").unwrap();
        assert!(aws.check(b"AKIAFAKEOFQPC3EVIX6H"));
        assert!(
            !aws.check(b"AKIAFAKE9DHODZ0C1IS8"),
            "0, 1, 8, 9 are not base32"
        );
        assert!(!aws.check(b"AKIA"));
        assert_eq!(with_github_checksum("ghp_", &good[4..34]), good);
    }

    #[test]
    fn unknown_validator_is_a_load_error() {
        let mut set = RuleSet::default();
        let text = rule_toml("acme.x.tok.1", r"tok_[A-Z0-9]{10}") + "validate = \"nope\"\n";
        let err = set.add_file_text(Path::new("u.toml"), &text).unwrap_err();
        assert!(err.to_string().contains("unknown validator"), "{err}");
        let text = rule_toml("acme.x.tok.1", r"tok_[A-Z0-9]{10}") + "validate = \"github_crc32\"\n";
        set.add_file_text(Path::new("u.toml"), &text).unwrap();
        // A failed check marks the secret; it does not make the example stop matching.
        let rule = set.rules.iter().find(|r| r.id == "acme.x.tok.1").unwrap();
        assert_eq!(rule.checksum_ok(b"tok_ABCDEFGH12"), Some(false));
        assert!(check_set(&set).0.iter().all(|p| p.id != "acme.x.tok.1"));
    }

    #[test]
    fn anchors_without_multiline_are_rejected() {
        let mut set = RuleSet::default();
        let err = set
            .add_file_text(
                Path::new("u.toml"),
                &rule_toml("acme.x.tok.1", "^tok_[A-Z]{4}"),
            )
            .unwrap_err();
        assert!(err.to_string().contains("(?m)"), "{err}");
    }
}
