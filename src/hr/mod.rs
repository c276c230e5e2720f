//! The HR roster and the identity directory: loading roster CSVs (primary plus extra
//! sources such as contractors), reporting bad rows with file, line and reason, and
//! normalising every identifier a person goes by so that connectors' owner hints can be
//! resolved concurrently.
//!
//! Knows nothing about connectors or findings.
//!
//! # Roster rules
//!
//! Columns are found by their contract name, by a common HRIS spelling (`Employee ID`,
//! `Employee Number`, `Work Email`, `Email Address`, `Full Name`, `Employment Status`,
//! `Termination Date`, `Manager Email`, ...; compared case- and punctuation-insensitively),
//! or by `[hr.columns]` (`email = "Work Email"`). Without a `name` column, `first_name` and
//! `last_name` (`Given Name`, `Surname`, ...) are joined. `status` accepts the contract
//! values and these HRIS synonyms: `inactive`, `separated`, `former`, `offboarded`,
//! `termed`, `resigned`, `retired`, `dismissed` → terminated; `on leave`, `loa`,
//! `leave of absence`, `sabbatical` → leave; `employed`, `current` → active. `type` and
//! `risk` accept similar spellings (`full-time` → employee, `consultant` → contractor,
//! `elevated` → high). A UTF-8 BOM, CRLF line ends and whitespace around values are fine;
//! `;` or tab separators are detected from the header; trailing empty cells (or missing
//! trailing optional cells) are fine. `end_date` also reads `2026/11/20`, `20.11.2026`,
//! `20-Nov-2026`, `Nov 20, 2026` and unambiguous `11/20/2026`. A bad *optional* value
//! (end date, type, risk, manager email) is reported but the row still loads (an unknown
//! risk as `high`); a bad required value skips the row. A main roster with no usable row
//! is an error.
//!
//! # Matching rules
//!
//! Listed identifiers (email, aliases, employee id) match **strongly**; identifiers the
//! directory only derives (an email's local part as a username, a display name, the same
//! login in another namespace) match **weakly**. When any person matches strongly, weak
//! matches are dropped. See [`Directory::lookup`].

mod ident;
mod index;
mod roster;

pub use ident::{derived_usernames, is_valid_email, normalize_identifier, parse_identifier, Ident};
pub use roster::{parse_date, parse_status, COLUMNS};

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
    /// The row's other columns (`department`, ...), by lowercased header.
    pub extra: std::collections::BTreeMap<String, String>,
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
///
/// Keys are checked by [`ColumnMapping::validate`] (and by [`Directory::load`]), not by
/// serde: `deny_unknown_fields` with a flattened map rejects every key.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ColumnMapping {
    #[serde(flatten)]
    pub columns: BTreeMap<String, String>,
}

impl ColumnMapping {
    /// An error naming the first key that is not a contract column (`first_name` and
    /// `last_name` are accepted too: joined into `name`).
    pub fn validate(&self) -> anyhow::Result<()> {
        roster::check_mapping(self)
    }
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

/// Why an identifier matched a person (for evidence text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchBasis {
    /// The person's primary email.
    Email,
    /// An email the roster lists as an alias.
    AliasEmail,
    /// A listed alias: bare username or namespaced (`github:alice-dev`).
    Alias,
    /// The employee id.
    EmployeeId,
    /// Weak: a username derived from the person's email local part.
    DerivedUsername,
    /// Weak: the looked-up email's local part equals one of the person's usernames.
    LocalPart,
    /// Weak: the same value as a listed alias in another namespace (`aws:alice` vs `github:alice`).
    OtherNamespace,
    /// Weak (unless given on the command line): the display name.
    DisplayName,
}

impl MatchBasis {
    /// A short phrase for evidence: "matched by derived username", ...
    pub fn describe(&self) -> &'static str {
        match self {
            MatchBasis::Email => "matched by email",
            MatchBasis::AliasEmail => "matched by alias email",
            MatchBasis::Alias => "matched by listed alias",
            MatchBasis::EmployeeId => "matched by employee id",
            MatchBasis::DerivedUsername => "matched by derived username",
            MatchBasis::LocalPart => "matched by email local part",
            MatchBasis::OtherNamespace => "matched by the same login in another namespace",
            MatchBasis::DisplayName => "matched by display name",
        }
    }
}

/// Every person with all their identifiers, normalised and indexed.
///
/// The index is built once (by [`Directory::load`], [`Directory::from_people`],
/// [`Directory::from_identifiers`], [`Directory::add_aliases`]) and is read-only afterwards,
/// so a `&Directory` can be shared across threads. Change people through those functions:
/// pushing onto `people` directly leaves the index stale (lookups then rebuild a temporary
/// index each call, correct but slow).
#[derive(Debug, Default)]
pub struct Directory {
    pub people: Vec<Person>,
    index: index::Index,
}

impl Directory {
    /// Load the roster and extra sources. Bad rows are returned, not fatal; a missing or
    /// unreadable file, one without the required columns, or a main roster with no
    /// usable row, is an error. Problems with optional fields (an unreadable end date,
    /// an unknown type or risk, a bad manager email) are returned too, but the row loads. An unknown
    /// `[hr.columns]` key is an error too. Duplicates across files are issues on the later
    /// row (the first row wins), except a later row with the same employee id and email,
    /// which is merged into the first (aliases unioned).
    pub fn load(
        roster: &Path,
        extra: &[PathBuf],
        mapping: &ColumnMapping,
    ) -> anyhow::Result<(Directory, Vec<RosterIssue>)> {
        roster::check_mapping(mapping)?;
        let mut merger = roster::Merger::default();
        for (i, path) in std::iter::once(roster)
            .chain(extra.iter().map(PathBuf::as_path))
            .enumerate()
        {
            let (people, issues) = roster::read_file(path, mapping)?;
            // A roster with nobody in it makes every owner unknown: a sweep would call
            // everything orphaned. That is a broken export, not an empty company.
            if i == 0 && people.is_empty() {
                let why = match issues.first() {
                    Some(first) => {
                        format!("all {} rows were rejected (first: {first})", issues.len())
                    }
                    None => "it has a header but no rows".to_string(),
                };
                anyhow::bail!("HR roster {}: no usable people: {why}", path.display());
            }
            merger.add_file(path, people, issues);
        }
        tracing::debug!(
            people = merger.people.len(),
            issues = merger.issues.len(),
            "Loaded HR roster"
        );
        Ok((Directory::from_people(merger.people), merger.issues))
    }

    /// A directory of these people, indexed.
    pub fn from_people(people: Vec<Person>) -> Directory {
        let index = index::Index::build(&people);
        Directory { people, index }
    }

    /// A directory of one synthetic person, for `leaver` without a roster: the given
    /// identifier plus aliases, treated as terminated. `email` is `primary` as given (it may
    /// be a username); employee id and source are empty. Every given identifier is listed,
    /// so it matches strongly (usernames derived from an email stay weak).
    pub fn from_identifiers(primary: &str, aliases: &[String]) -> Directory {
        let primary_key = normalize_identifier(primary);
        let mut person = Person {
            employee_id: String::new(),
            email: primary.trim().to_string(),
            name: None,
            status: PersonStatus::Terminated,
            end_date: None,
            person_type: PersonType::Employee,
            manager_email: None,
            aliases: Vec::new(),
            risk: Risk::Standard,
            source: String::new(),
            extra: Default::default(),
        };
        push_aliases(&mut person, &primary_key, aliases);
        Directory::from_people(vec![person])
    }

    /// Add aliases (from `--alias`) to a person; normalised duplicates are skipped and an
    /// out-of-range index is ignored.
    pub fn add_aliases(&mut self, person: usize, aliases: &[String]) {
        let Some(p) = self.people.get_mut(person) else {
            return;
        };
        let primary_key = normalize_identifier(&p.email);
        push_aliases(p, &primary_key, aliases);
        self.index = index::Index::build(&self.people);
    }

    /// The person a command-line PERSON names: email, employee id or any listed alias
    /// (strong matches only). `None` when nobody or more than one person matches; use
    /// [`Directory::find_all`] to tell the two apart.
    pub fn find(&self, query: &str) -> Option<usize> {
        match self.find_all(query).as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Every person a command-line PERSON could name (strong matches and employee ids),
    /// sorted by index. More than one means the query is ambiguous.
    pub fn find_all(&self, query: &str) -> Vec<usize> {
        self.with_index(|idx| idx.find_all(query))
    }

    /// Every person an identifier seen by a connector could be. Safe to call from many
    /// threads at once.
    ///
    /// - an email matches primary and alias emails strongly (plus-addressing ignored); its
    ///   local part matches usernames weakly; a GitHub noreply email is `github:LOGIN`;
    /// - `ns:value` matches the same namespaced alias and a bare listed alias `value`
    ///   strongly, and weakly the same value in another namespace or as a derived username;
    ///   `employee_id:E1` matches the employee id;
    /// - a bare username matches listed aliases (bare or namespaced) strongly and usernames
    ///   derived from email local parts weakly (`alice.smith` and `alicesmith`);
    /// - a display name (`Alice Smith`, `Smith, Alice`) matches names weakly;
    /// - IAM user ARNs and assumed-role session ARNs are `aws:NAME`; `Name <email>` is the email.
    ///
    /// One match per person (the strongest), sorted by person index; when any match is
    /// strong the weak ones are dropped. More than one match means the identifier is ambiguous.
    pub fn lookup(&self, identifier: &str) -> Vec<IdMatch> {
        self.lookup_with_basis(identifier)
            .into_iter()
            .map(|(m, _)| m)
            .collect()
    }

    /// [`Directory::lookup`], with why each person matched.
    pub fn lookup_with_basis(&self, identifier: &str) -> Vec<(IdMatch, MatchBasis)> {
        self.with_index(|idx| idx.lookup(identifier))
    }

    /// All identifiers of a person, normalised (for the findings file's `subject`): the
    /// email first, then listed aliases, then usernames derived from the emails. Empty for
    /// an out-of-range index.
    pub fn identifiers(&self, person: usize) -> Vec<String> {
        let Some(p) = self.people.get(person) else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        let mut add = |s: String| {
            if !s.is_empty() && !out.contains(&s) {
                out.push(s);
            }
        };
        add(normalize_identifier(&p.email));
        for a in &p.aliases {
            add(normalize_identifier(a));
        }
        for raw in std::iter::once(&p.email).chain(p.aliases.iter()) {
            if let Some(Ident::Email(e)) = parse_identifier(raw) {
                for u in derived_usernames(&e) {
                    add(u);
                }
            }
        }
        out
    }

    /// The people, or `None` past the end.
    pub fn person(&self, person: usize) -> Option<&Person> {
        self.people.get(person)
    }

    pub fn len(&self) -> usize {
        self.people.len()
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    fn with_index<T>(&self, f: impl FnOnce(&index::Index) -> T) -> T {
        if self.index.len == self.people.len() {
            f(&self.index)
        } else {
            tracing::debug!("Directory index is stale; rebuilding for this lookup");
            f(&index::Index::build(&self.people))
        }
    }
}

/// Append aliases not already present (after normalisation), nor equal to the primary.
fn push_aliases(p: &mut Person, primary_key: &str, aliases: &[String]) {
    for a in aliases {
        let key = normalize_identifier(a);
        if key.is_empty() || key == primary_key {
            continue;
        }
        if !p.aliases.iter().any(|x| normalize_identifier(x) == key) {
            p.aliases.push(a.trim().to_string());
        }
    }
}

/// Who receives what a person leaves behind, as a phrase for a remediation: their
/// manager from HR when that manager is still accountable (active or on leave), else the
/// first accountable manager up the chain, saying who was skipped and why. A manager who
/// is not in the roster is named as HR gives them. `None` when HR names no manager.
pub fn handover_to(p: &Person, dir: &Directory) -> Option<String> {
    let first = p.manager_email.as_deref().map(str::trim)?;
    if first.is_empty() {
        return None;
    }
    let mut skipped: Vec<String> = Vec::new();
    let mut seen: Vec<String> = vec![p.email.to_lowercase()];
    let mut email = first.to_string();
    loop {
        let manager = dir.find(&email).and_then(|i| dir.people.get(i));
        let Some(m) = manager.filter(|m| !m.status.is_active()) else {
            // Accountable, or not in the roster (named as HR gives them).
            break;
        };
        skipped.push(format!("{} is {}", m.email, m.status.as_str()));
        seen.push(m.email.to_lowercase());
        match m.manager_email.as_deref().map(str::trim) {
            Some(next) if !next.is_empty() && !seen.contains(&next.to_lowercase()) => {
                email = next.to_string();
            }
            _ => {
                return Some(format!(
                    "a new accountable owner (the manager {}, and HR names nobody above)",
                    skipped.join(", whose manager ")
                ));
            }
        }
    }
    if skipped.is_empty() {
        Some(format!("the manager {email}"))
    } else {
        Some(format!(
            "{email}, the first active manager up the chain (the manager {})",
            skipped.join(", whose manager ")
        ))
    }
}

#[cfg(test)]
mod tests;
