//! Detection rules as data: the TOML schema, loading the embedded set and `--rules DIR`,
//! and the lint that `nhiscan rules check` runs (stable unique ids, valid patterns, every
//! example matches and every negative example does not).
//!
//! Owns no scanning: the matcher compiles a [`RuleSet`] into its engine.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One detection rule as written in `rules/*.toml` (`[[rule]]` tables).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id, never reused (`nhi.aws.access-key-id.1` style).
    pub id: String,
    pub name: String,
    /// Regex (Rust `regex` syntax, bytes mode). The secret is the capture group named
    /// `secret`, else group 1, else the whole match.
    pub pattern: String,
    /// Literals for the prefilter; a rule is only run on data containing one of them
    /// (case-insensitive). Empty means the rule always runs (avoid).
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
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// Where the rule came from (file path), filled in by the loader.
    #[serde(skip)]
    pub origin: PathBuf,
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
    Invalid { id: String, path: PathBuf, message: String },
    #[error("rule id {id} is defined twice: {first} and {second}")]
    Duplicate { id: String, first: PathBuf, second: PathBuf },
    #[error("reading {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl RuleSet {
    /// The rules embedded in the binary (`rules/*.toml` at build time).
    pub fn builtin() -> Result<RuleSet, RuleError> {
        unimplemented!("rules engine")
    }
    /// Built-in rules plus every `*.toml` under `dir`.
    pub fn with_dir(dir: &Path) -> Result<RuleSet, RuleError> {
        let _ = dir;
        unimplemented!("rules engine")
    }
}
