//! The findings file and its renderings: the contract's JSON document, JSON Lines, CSV,
//! SARIF 2.1.0, OCSF and Markdown; reading a findings file back (`report`, `diff`);
//! the atomic 0600 write; and the terminal summary. Knows nothing about connectors.

use crate::model::{Coverage, Finding};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: &str = "1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool { name: "nhiscan".into(), version: env!("CARGO_PKG_VERSION").into() }
    }
}

/// The leaver a `leaver` scan is about.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subject {
    pub employee_id: Option<String>,
    pub email: String,
    pub status: String,
    pub end_date: Option<String>,
    pub risk: String,
    pub identifiers: Vec<String>,
    /// Extension: whether the subject came from the roster (false: command line only).
    #[serde(default)]
    pub in_roster: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanInfo {
    pub id: String,
    pub mode: String,
    pub started_at: String,
    pub finished_at: String,
    #[serde(default)]
    pub subject: Option<Subject>,
    /// Extension: problems with the input that did not stop the scan (bad roster rows).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub total: u64,
    pub by_severity: BTreeMap<String, u64>,
    pub by_kind: BTreeMap<String, u64>,
    /// Extension: findings covered by an approved, unexpired exception.
    #[serde(default)]
    pub excepted: u64,
}

/// The findings file, exactly per the contract (`schema_version` "1").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingsFile {
    pub schema_version: String,
    pub tool: Tool,
    pub scan: ScanInfo,
    pub coverage: Vec<Coverage>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

impl FindingsFile {
    /// Recompute `summary` from `findings`.
    pub fn summarize(&mut self) {
        let mut s = Summary::default();
        for f in &self.findings {
            s.total += 1;
            *s.by_severity.entry(f.severity.as_str().to_string()).or_default() += 1;
            *s.by_kind.entry(f.kind.as_str().to_string()).or_default() += 1;
            if f.exception.is_some() {
                s.excepted += 1;
            }
        }
        self.summary = s;
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Jsonl,
    Csv,
    Sarif,
    Ocsf,
    Markdown,
}
