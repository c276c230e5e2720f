//! The HR roster and the identity directory: loading roster CSVs (primary plus extra
//! sources such as contractors), reporting bad rows with file, line and reason, and
//! normalising every identifier a person goes by so that connectors' owner hints can be
//! resolved concurrently.
//!
//! Knows nothing about connectors or findings.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    Active,
    Terminated,
    Leave,
}

impl PersonStatus {
    /// `active` and `leave` people are active owners; `terminated` people are not.
    pub fn is_active(&self) -> bool {
        !matches!(self, PersonStatus::Terminated)
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::Terminated => "terminated",
            PersonStatus::Leave => "leave",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PersonType {
    #[default]
    Employee,
    Contractor,
    Vendor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    #[default]
    Standard,
    High,
}

/// One person of the roster.
#[derive(Debug, Clone)]
pub struct Person {
    pub employee_id: String,
    pub email: String,
    pub name: Option<String>,
    pub status: PersonStatus,
    pub end_date: Option<NaiveDate>,
    pub person_type: PersonType,
    pub manager_email: Option<String>,
    /// Raw aliases as listed (`alice`, `alice@old.example`, `github:alice-dev`, ...).
    pub aliases: Vec<String>,
    pub risk: Risk,
    /// `file:line` the row came from (empty for a person made from the command line).
    pub source: String,
}

/// A row that could not be loaded.
#[derive(Debug, Clone)]
pub struct RosterIssue {
    pub path: PathBuf,
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for RosterIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.reason)
    }
}

/// Maps the contract's column names to the names a given HRIS export uses
/// (`[hr.columns]` in config: `email = "Work Email"`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    #[serde(flatten)]
    pub columns: BTreeMap<String, String>,
}

/// How strongly an identifier matched a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchStrength {
    /// Derived only: an email local part used as a username, a display name.
    Weak,
    /// Listed: the email, employee id, or an alias the roster lists.
    Strong,
}

/// One person an identifier resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdMatch {
    /// Index into [`Directory::people`].
    pub person: usize,
    pub strength: MatchStrength,
    /// Which of the person's identifiers matched (normalised), for evidence.
    pub via: String,
}

/// Every person with all their identifiers, normalised and indexed.
#[derive(Debug, Default)]
pub struct Directory {
    pub people: Vec<Person>,
}

impl Directory {
    /// Load the roster and extra sources. Bad rows are returned, not fatal; a missing or
    /// unreadable file, or one without the required columns, is an error.
    pub fn load(
        roster: &Path,
        extra: &[PathBuf],
        mapping: &ColumnMapping,
    ) -> anyhow::Result<(Directory, Vec<RosterIssue>)> {
        let _ = (roster, extra, mapping);
        unimplemented!("hr")
    }
    /// A directory of one synthetic person, for `leaver` without a roster: the given
    /// identifier plus aliases, treated as terminated.
    pub fn from_identifiers(primary: &str, aliases: &[String]) -> Directory {
        let _ = (primary, aliases);
        unimplemented!("hr")
    }
    /// Add aliases (from `--alias`) to a person.
    pub fn add_aliases(&mut self, person: usize, aliases: &[String]) {
        let _ = (person, aliases);
        unimplemented!("hr")
    }
    /// The person a command-line PERSON names: email, employee id or any listed alias.
    pub fn find(&self, query: &str) -> Option<usize> {
        let _ = query;
        unimplemented!("hr")
    }
    /// Every person an identifier seen by a connector could be. Safe to call from many
    /// threads at once.
    pub fn lookup(&self, identifier: &str) -> Vec<IdMatch> {
        let _ = identifier;
        unimplemented!("hr")
    }
    /// All identifiers of a person, normalised (for the findings file's `subject`).
    pub fn identifiers(&self, person: usize) -> Vec<String> {
        let _ = person;
        unimplemented!("hr")
    }
}
