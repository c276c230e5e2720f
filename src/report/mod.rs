//! The findings file and its renderings: the contract's JSON document, JSON Lines, CSV,
//! SARIF 2.1.0, OCSF, Markdown and the self-contained HTML audit report; reading a findings file back (`report`, `diff`);
//! the atomic 0600 write; and the terminal summary. Knows nothing about connectors.
//!
//! One module per format; this one holds the document types, [`render`] (the dispatch),
//! and the helpers the formats share (ordering, coverage checks). Every renderer treats
//! every string of a finding as attacker-controlled (commit authors, file paths, tags)
//! and escapes it for its own medium: formula prefixes in CSV, markup in Markdown,
//! control characters on the terminal. No renderer ever sees a raw secret: findings
//! carry only [`crate::model::SecretRef`].

mod csv;
mod diff;
mod file;
pub mod html;
mod json;
mod markdown;
mod ocsf;
mod sarif;
mod summary;
#[cfg(test)]
pub(crate) mod testdata;

pub use diff::{diff, Change, Diff, FieldChange};
pub use file::{check_output, read_findings, read_findings_checked, write_atomic, write_output};
pub use summary::{sanitize_terminal, terminal_summary};

use crate::model::{Coverage, CoverageStatus, Finding};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{self, Write};

pub const SCHEMA_VERSION: &str = "1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "nhiscan".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
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
    /// Extension: findings dropped because their id is in the allowlist file (they are
    /// not in `findings`; counted so that nothing vanishes silently).
    #[serde(default)]
    pub allowlisted: u64,
    /// Extension (sweep): NHIs whose only tie is one weak signal to an active person.
    /// They are not findings (a guess must not call an active person's access
    /// orphaned); `--unconfirmed` lists them, each naming the person to confirm.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unconfirmed: u64,
    /// Extension (leaver): secrets the leaver could read only because they committed to
    /// the repository that holds them. Not findings unless `--exposure` is given (or
    /// `[scan] exposure = true`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub exposure: u64,
    /// Extension: NHIs left out on purpose because nothing ties them to anyone, by reason
    /// (`aws_managed_role`: roles AWS creates for its own services and landing zones;
    /// `idle_system_account`: a no-login account without keys).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_reported: BTreeMap<String, u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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
    /// Recompute `summary` from `findings` (`allowlisted` counts findings that are not in
    /// the file, so it is kept).
    pub fn summarize(&mut self) {
        let mut s = Summary {
            allowlisted: self.summary.allowlisted,
            unconfirmed: self.summary.unconfirmed,
            exposure: self.summary.exposure,
            not_reported: std::mem::take(&mut self.summary.not_reported),
            ..Summary::default()
        };
        for f in &self.findings {
            s.total += 1;
            *s.by_severity
                .entry(f.severity.as_str().to_string())
                .or_default() += 1;
            *s.by_kind.entry(f.kind.as_str().to_string()).or_default() += 1;
            if f.exception.is_some() {
                s.excepted += 1;
            }
        }
        self.summary = s;
    }

    /// Sources that were not scanned completely (`partial` or `failed`).
    pub fn incomplete_sources(&self) -> impl Iterator<Item = &Coverage> {
        self.coverage
            .iter()
            .filter(|c| c.status != CoverageStatus::Complete)
    }

    /// True when at least one source was scanned and every source in `coverage` was
    /// scanned completely. A scan of no sources at all is not a clean scan.
    pub fn is_complete(&self) -> bool {
        !self.coverage.is_empty() && self.incomplete_sources().next().is_none()
    }

    /// Findings in report order, the ones to act on first at the top ([`action_order`]).
    pub fn ranked(&self) -> Vec<&Finding> {
        let mut v: Vec<&Finding> = self.findings.iter().collect();
        v.sort_by(|a, b| action_order(a, b));
        v
    }
}

/// The order to act in: open findings before those under an approved exception, then
/// severity, confidence, the strength of the tie (the leaver's own account before a
/// secret they could read), and kind, resource and id so that it is stable across runs.
pub fn action_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    a.exception
        .is_some()
        .cmp(&b.exception.is_some())
        .then(b.severity.cmp(&a.severity))
        .then(b.confidence.cmp(&a.confidence))
        .then(relation_rank(b).cmp(&relation_rank(a)))
        .then_with(|| a.kind.as_str().cmp(b.kind.as_str()))
        .then_with(|| a.resource.cmp(&b.resource))
        .then_with(|| a.id.cmp(&b.id))
}

fn relation_rank(f: &Finding) -> u8 {
    f.relation.map_or(0, |r| r.rank())
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
    /// One self-contained HTML page (the audit report).
    Html,
}

impl Format {
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Sarif => "sarif",
            Format::Ocsf => "ocsf",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }
}

/// Render `file` in `format` to `w`. Every format ends with a newline. The caller flushes.
pub fn render(file: &FindingsFile, format: Format, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => json::render_json(file, w),
        Format::Jsonl => json::render_jsonl(file, w),
        Format::Csv => csv::render(file, w),
        Format::Sarif => sarif::render(file, w),
        Format::Ocsf => ocsf::render(file, w),
        Format::Markdown => markdown::render(file, w),
        Format::Html => html::render(file, w),
    }
}

/// `owner` for one-line displays: the email, or why there is none.
pub(crate) fn owner_label(f: &Finding) -> &str {
    match (&f.owner, f.relation) {
        (Some(o), _) => o.as_str(),
        (None, Some(crate::model::Relation::Orphaned)) => "no active owner",
        (None, _) => "owner unknown",
    }
}

/// `relation/confidence`, e.g. `created/confirmed`, `orphaned/possible`.
pub(crate) fn relation_label(f: &Finding) -> String {
    let rel = f.relation.map(|r| r.as_str()).unwrap_or("unattributed");
    format!("{rel}/{}", f.confidence.as_str())
}
