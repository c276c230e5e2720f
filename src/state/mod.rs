//! The offboarding state store: one SQLite file (mode 0600) holding every run, every
//! finding's lifecycle across runs, leaver cases with their SLA, sign-offs, the HR
//! events received, and room for ticketing (a finding-to-ticket map and an outbox).
//!
//! # Lifecycle
//!
//! A finding is *open* from the first run that reports it. It is *resolved* when a later
//! run of the same scope (the same job, for the same person) no longer reports it **and**
//! that run read the finding's coverage unit completely ([`crate::model::coverage_unit`]):
//! an incomplete scan resolves nothing. A finding reported again after it was resolved is
//! reopened. A secret in git history never leaves history, so it is never resolved by
//! absence: it is *verified* when the credential it joins to is reported inactive, or by
//! a recorded sign-off that it was rotated.
//!
//! Writers take SQLite's write lock (WAL mode, so readers see the last committed run
//! while a scan writes); a second writer waits up to [`BUSY_TIMEOUT`] and then fails
//! with an error naming the file. A file that is not this store, or that SQLite finds
//! damaged, is an error naming it: never a silent fresh start.

use crate::model::coverage_unit;
use crate::model::{CoverageStatus, Finding, Kind, NhiStatus};
use crate::report::FindingsFile;
use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};

/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The schema, one migration per version, applied in order inside one transaction each.
const MIGRATIONS: &[&str] = &[
    // 1: runs, findings and their lifecycle, cases, sign-offs, events, tickets, outbox.
    "CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        mode TEXT NOT NULL,
        scope TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        complete INTEGER NOT NULL,
        case_id INTEGER,
        findings INTEGER NOT NULL,
        document TEXT NOT NULL
    );
    CREATE TABLE run_units (
        run_id TEXT NOT NULL REFERENCES runs(id),
        unit TEXT NOT NULL,
        status TEXT NOT NULL,
        PRIMARY KEY (run_id, unit)
    );
    CREATE TABLE findings (
        id TEXT NOT NULL,
        scope TEXT NOT NULL,
        kind TEXT NOT NULL,
        connector TEXT NOT NULL,
        unit TEXT NOT NULL,
        resource TEXT NOT NULL,
        owner TEXT,
        severity TEXT NOT NULL,
        title TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        first_run TEXT NOT NULL,
        last_run TEXT NOT NULL,
        state TEXT NOT NULL,
        state_at TEXT NOT NULL,
        state_detail TEXT,
        data TEXT NOT NULL,
        PRIMARY KEY (id, scope)
    );
    CREATE INDEX findings_open ON findings(scope, state);
    CREATE TABLE finding_events (
        finding_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        at TEXT NOT NULL,
        run_id TEXT,
        event TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX finding_events_id ON finding_events(finding_id);
    CREATE TABLE cases (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        employee_id TEXT NOT NULL,
        name TEXT,
        risk TEXT NOT NULL,
        end_date TEXT,
        manager_email TEXT,
        opened_at TEXT NOT NULL,
        source TEXT NOT NULL,
        event_id TEXT,
        due_at TEXT NOT NULL,
        closed_at TEXT,
        status TEXT NOT NULL
    );
    CREATE UNIQUE INDEX cases_person ON cases(email, employee_id);
    CREATE TABLE case_apps (
        case_id INTEGER NOT NULL REFERENCES cases(id),
        app TEXT NOT NULL,
        owner TEXT NOT NULL,
        how TEXT,
        PRIMARY KEY (case_id, app)
    );
    CREATE TABLE signoffs (
        case_id INTEGER NOT NULL REFERENCES cases(id),
        item TEXT NOT NULL,
        by_email TEXT NOT NULL,
        note TEXT,
        at TEXT NOT NULL,
        PRIMARY KEY (case_id, item)
    );
    CREATE TABLE events (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        received_at TEXT NOT NULL,
        payload TEXT NOT NULL,
        processed_at TEXT,
        case_id INTEGER
    );
    CREATE TABLE exceptions_applied (
        run_id TEXT NOT NULL,
        finding_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        approved_by TEXT NOT NULL,
        expires TEXT NOT NULL
    );
    CREATE TABLE tickets (
        finding_id TEXT NOT NULL,
        system TEXT NOT NULL,
        ticket TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (finding_id, system)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        sent_at TEXT
    );",
];

/// A finding's state in the store.
pub const OPEN: &str = "open";
pub const RESOLVED: &str = "resolved";
pub const VERIFIED: &str = "verified";
pub const EXCEPTED: &str = "excepted";
pub const SIGNED_OFF: &str = "signed_off";

/// The store, open.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// What recording one run changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunChanges {
    pub new: usize,
    pub seen_again: usize,
    pub reopened: usize,
    pub resolved: usize,
    pub verified: usize,
    /// Open findings of this scope not reported, whose unit was not read completely.
    pub not_rescanned: usize,
}

/// One finding as the store keeps it.
#[derive(Debug, Clone)]
pub struct StoredFinding {
    pub id: String,
    pub scope: String,
    pub kind: String,
    pub resource: String,
    pub owner: Option<String>,
    pub severity: String,
    pub title: String,
    pub first_seen: String,
    pub last_seen: String,
    pub state: String,
    pub state_at: String,
    pub state_detail: Option<String>,
    /// The finding as last reported (JSON).
    pub data: String,
}

/// One entry of a finding's timeline.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub at: String,
    pub scope: String,
    pub run_id: Option<String>,
    pub event: String,
    pub detail: String,
}

/// One leaver case.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: i64,
    pub email: String,
    pub employee_id: String,
    pub name: Option<String>,
    pub risk: String,
    pub end_date: Option<String>,
    pub manager_email: Option<String>,
    pub opened_at: String,
    pub source: String,
    pub due_at: String,
    pub closed_at: Option<String>,
    pub status: String,
}

/// A checklist item of a case for an application with no API.
#[derive(Debug, Clone)]
pub struct CaseApp {
    pub app: String,
    pub owner: String,
    pub how: Option<String>,
    pub signed_off: Option<(String, String, Option<String>)>,
}

/// A new case's details.
pub struct NewCase<'a> {
    pub email: &'a str,
    pub employee_id: &'a str,
    pub name: Option<&'a str>,
    pub risk: &'a str,
    pub end_date: Option<&'a str>,
    pub manager_email: Option<&'a str>,
    /// `roster` or `event:<id>`.
    pub source: &'a str,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The scope of a run: which findings it would report again (`leaver:alice@acme.example`,
/// `sweep`, `secrets`).
pub fn scope_of(file: &FindingsFile) -> String {
    match &file.scan.subject {
        Some(s) if file.scan.mode == "leaver" => format!("leaver:{}", s.email),
        _ => file.scan.mode.clone(),
    }
}

/// A secret that lives only in git history: it never leaves it, so absence proves
/// nothing and it needs the credential's death or a sign-off.
fn history_only_secret(f: &Finding) -> bool {
    f.kind == Kind::SecretInRepo && f.location.as_ref().is_some_and(|l| !l.in_head)
}

impl Store {
    /// Open (or create, mode 0600) the store at `path` and bring its schema up to date.
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        let existed = path.exists();
        if !existed {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                if !dir.is_dir() {
                    bail!(
                        "state store {}: directory {} does not exist",
                        path.display(),
                        dir.display()
                    );
                }
            }
            create_private(path)
                .with_context(|| format!("state store {}: cannot create it", path.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("state store {}: cannot open it", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .with_context(|| format!("state store {}", path.display()))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.check_and_migrate(existed)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, what: &str) -> String {
        format!("state store {}: {what}", self.path.display())
    }

    fn check_and_migrate(&mut self, existed: bool) -> anyhow::Result<()> {
        // Any read of a file that is not SQLite fails here ("file is not a database").
        let journal: String = self
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| self.corrupt(e))?;
        tracing::debug!(journal, "state store opened");
        let ok: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| self.corrupt(e))?;
        if ok != "ok" {
            bail!(
                "{}: SQLite reports it damaged ({ok}); restore it from a backup or move it aside (nothing was changed)",
                self.err("integrity check failed")
            );
        }
        let (tables, has_meta): (i64, bool) = self
            .conn
            .query_row(
                "SELECT count(*), coalesce(sum(name = 'nhiscan_meta'), 0) > 0
                 FROM sqlite_master WHERE type = 'table'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.corrupt(e))?;
        if existed && tables > 0 && !has_meta {
            bail!(
                "{}",
                self.err("is an SQLite database but not an nhiscan state store (no nhiscan_meta table); point [state] path elsewhere")
            );
        }
        if !has_meta {
            self.conn
                .execute_batch(
                    "CREATE TABLE nhiscan_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                     INSERT INTO nhiscan_meta VALUES ('schema_version', '0');",
                )
                .map_err(|e| self.corrupt(e))?;
        }
        let version: i64 = self
            .conn
            .query_row(
                "SELECT value FROM nhiscan_meta WHERE key = 'schema_version'",
                [],
                |r| r.get::<_, String>(0),
            )
            .map_err(|e| self.corrupt(e))?
            .parse()
            .unwrap_or(-1);
        if version < 0 || version as usize > MIGRATIONS.len() {
            bail!(
                "{}",
                self.err(&format!(
                    "schema version {version} is newer than this nhiscan knows ({}); upgrade nhiscan",
                    MIGRATIONS.len()
                ))
            );
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)
                .with_context(|| format!("state store migration {}", i + 1))?;
            tx.execute(
                "UPDATE nhiscan_meta SET value = ?1 WHERE key = 'schema_version'",
                params![(i + 1).to_string()],
            )?;
            tx.commit()?;
        }
        Ok(())
    }

    fn corrupt(&self, e: rusqlite::Error) -> anyhow::Error {
        anyhow::anyhow!(
            "{}: {e} (not a state store, damaged, or locked by another process; nothing was changed)",
            self.err("cannot read it")
        )
    }

    /// Record a run: its coverage, every finding it reports, and what that changes for
    /// the findings of the same scope (see the module docs). `case_id` links it to a case.
    pub fn record_run(
        &mut self,
        file: &FindingsFile,
        case_id: Option<i64>,
    ) -> anyhow::Result<RunChanges> {
        let scope = scope_of(file);
        let now = file.scan.finished_at.clone();
        let run_id = file.scan.id.clone();
        let document = serde_json::to_string(file)?;
        let path = self.path.display().to_string();
        let tx = self
            .conn
            .transaction()
            .with_context(|| format!("state store {path}: cannot start a write"))?;
        tx.execute(
            "INSERT OR REPLACE INTO runs (id, mode, scope, started_at, finished_at, complete, case_id, findings, document)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                run_id,
                file.scan.mode,
                scope,
                file.scan.started_at,
                now,
                file.is_complete(),
                case_id,
                file.findings.len() as i64,
                document
            ],
        )?;
        for c in &file.coverage {
            tx.execute(
                "INSERT OR REPLACE INTO run_units (run_id, unit, status) VALUES (?1, ?2, ?3)",
                params![run_id, c.connector, c.status.as_str()],
            )?;
        }
        let mut changes = RunChanges::default();
        let mut reported = std::collections::HashSet::new();
        for f in &file.findings {
            reported.insert(f.id.clone());
            let data = serde_json::to_string(f)?;
            let unit = coverage_unit::unit_of(&f.connector, &f.resource);
            let prior: Option<String> = tx
                .query_row(
                    "SELECT state FROM findings WHERE id = ?1 AND scope = ?2",
                    params![f.id, scope],
                    |r| r.get(0),
                )
                .optional()?;
            // What the finding itself says about its state.
            let (state, detail) = if f.exception.is_some() {
                (EXCEPTED, Some("an approved exception applies".to_string()))
            } else if history_only_secret(f) && f.status == NhiStatus::Inactive {
                (
                    VERIFIED,
                    Some("the credential it joins to is inactive".to_string()),
                )
            } else {
                (OPEN, None)
            };
            match prior.as_deref() {
                None => {
                    tx.execute(
                        "INSERT INTO findings (id, scope, kind, connector, unit, resource, owner, severity, title,
                           first_seen, last_seen, first_run, last_run, state, state_at, state_detail, data)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?11, ?12, ?10, ?13, ?14)",
                        params![
                            f.id, scope, f.kind.as_str(), f.connector, unit, f.resource, f.owner,
                            f.severity.as_str(), f.title, now, run_id, state, detail, data
                        ],
                    )?;
                    event(
                        &tx,
                        &f.id,
                        &scope,
                        &now,
                        Some(&run_id),
                        "first_seen",
                        &f.title,
                    )?;
                    changes.new += 1;
                    if state != OPEN {
                        event(
                            &tx,
                            &f.id,
                            &scope,
                            &now,
                            Some(&run_id),
                            state,
                            detail.as_deref().unwrap_or(""),
                        )?;
                        if state == VERIFIED {
                            changes.verified += 1;
                        }
                    }
                }
                Some(old) => {
                    // Signed off stays signed off while it is still reported: the
                    // sign-off is the proof absence cannot give.
                    let next = if old == SIGNED_OFF && state == OPEN {
                        SIGNED_OFF
                    } else {
                        state
                    };
                    tx.execute(
                        "UPDATE findings SET last_seen = ?3, last_run = ?4, owner = ?5, severity = ?6, title = ?7,
                           resource = ?8, unit = ?9, data = ?10 WHERE id = ?1 AND scope = ?2",
                        params![f.id, scope, now, run_id, f.owner, f.severity.as_str(), f.title, f.resource, unit, data],
                    )?;
                    if next != old {
                        tx.execute(
                            "UPDATE findings SET state = ?3, state_at = ?4, state_detail = ?5 WHERE id = ?1 AND scope = ?2",
                            params![f.id, scope, next, now, detail],
                        )?;
                        let what = if old == RESOLVED && next == OPEN {
                            changes.reopened += 1;
                            "reopened".to_string()
                        } else {
                            if next == VERIFIED {
                                changes.verified += 1;
                            }
                            next.to_string()
                        };
                        let why = match (old, detail.as_deref()) {
                            (RESOLVED, _) => "reported again after it was resolved".to_string(),
                            (EXCEPTED, None) => {
                                "its exception no longer applies (expired or removed)".to_string()
                            }
                            (_, Some(d)) => d.to_string(),
                            (_, None) => String::new(),
                        };
                        event(&tx, &f.id, &scope, &now, Some(&run_id), &what, &why)?;
                    } else {
                        changes.seen_again += 1;
                    }
                }
            }
        }
        // Open findings of this scope that the run did not report.
        let units: Vec<(String, String)> = file
            .coverage
            .iter()
            .map(|c| (c.connector.clone(), c.status.as_str().to_string()))
            .collect();
        let absent: Vec<(String, String, String, String)> = {
            let mut st = tx.prepare(
                "SELECT id, connector, resource, data FROM findings WHERE scope = ?1 AND state = 'open'",
            )?;
            let rows = st.query_map(params![scope], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter(|(id, ..)| !reported.contains(id))
                .collect()
        };
        for (id, connector, resource, data) in absent {
            let read_whole = units.iter().any(|(u, status)| {
                status == CoverageStatus::Complete.as_str()
                    && coverage_unit::covers(u, &connector, &resource)
            });
            let history_only = serde_json::from_str::<Finding>(&data)
                .map(|f| history_only_secret(&f))
                .unwrap_or(false);
            if !read_whole || history_only {
                changes.not_rescanned += usize::from(!read_whole);
                continue;
            }
            tx.execute(
                "UPDATE findings SET state = 'resolved', state_at = ?3, state_detail = ?4 WHERE id = ?1 AND scope = ?2",
                params![id, scope, now, format!("absent from complete run {run_id}")],
            )?;
            event(
                &tx,
                &id,
                &scope,
                &now,
                Some(&run_id),
                RESOLVED,
                "verified gone: absent from a complete scan of its source",
            )?;
            changes.resolved += 1;
        }
        for f in file.findings.iter().filter(|f| f.exception.is_some()) {
            if let Some(x) = &f.exception {
                tx.execute(
                    "INSERT INTO exceptions_applied (run_id, finding_id, reason, approved_by, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![run_id, f.id, x.reason, x.approved_by, x.expires],
                )?;
            }
        }
        tx.commit()
            .with_context(|| format!("state store {path}: cannot commit the run"))?;
        Ok(changes)
    }

    /// The case of a person, if one was opened.
    pub fn case_of(&self, email: &str, employee_id: &str) -> anyhow::Result<Option<Case>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE email = ?1 AND employee_id = ?2"
        ))?;
        Ok(st
            .query_row(params![email, employee_id], case_row)
            .optional()?)
    }

    /// Open a case (or return the existing one: one case per person) with its app
    /// checklist. `true` when it was created now.
    pub fn open_case(
        &mut self,
        c: &NewCase<'_>,
        apps: &[(String, String, Option<String>)],
    ) -> anyhow::Result<(Case, bool)> {
        if let Some(existing) = self.case_of(c.email, c.employee_id)? {
            return Ok((existing, false));
        }
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO cases (email, employee_id, name, risk, end_date, manager_email, opened_at, source, event_id, due_at, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open')",
            params![
                c.email,
                c.employee_id,
                c.name,
                c.risk,
                c.end_date,
                c.manager_email,
                ts(c.opened_at),
                c.source,
                c.source.strip_prefix("event:"),
                ts(c.due_at)
            ],
        )?;
        let id = tx.last_insert_rowid();
        for (app, owner, how) in apps {
            tx.execute(
                "INSERT OR IGNORE INTO case_apps (case_id, app, owner, how) VALUES (?1, ?2, ?3, ?4)",
                params![id, app, owner, how],
            )?;
        }
        tx.commit()?;
        let case = self
            .case_of(c.email, c.employee_id)?
            .context("case just opened is missing")?;
        Ok((case, true))
    }

    /// Every case, open ones first, then by due time.
    pub fn cases(&self) -> anyhow::Result<Vec<Case>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {CASE_COLUMNS} FROM cases ORDER BY status = 'closed', due_at, id"
        ))?;
        let rows = st.query_map([], case_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn case(&self, id: i64) -> anyhow::Result<Option<Case>> {
        let mut st = self
            .conn
            .prepare(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?1"))?;
        Ok(st.query_row(params![id], case_row).optional()?)
    }

    /// The findings of a case's leaver scope, most urgent first.
    pub fn case_findings(&self, case: &Case) -> anyhow::Result<Vec<StoredFinding>> {
        self.findings_of_scope(&format!("leaver:{}", case.email))
    }

    pub fn findings_of_scope(&self, scope: &str) -> anyhow::Result<Vec<StoredFinding>> {
        let mut st = self.conn.prepare(
            "SELECT id, scope, kind, resource, owner, severity, title, first_seen, last_seen, state, state_at, state_detail, data
             FROM findings WHERE scope = ?1
             ORDER BY state != 'open', CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, id",
        )?;
        let rows = st.query_map(params![scope], finding_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The app checklist of a case with its sign-offs.
    pub fn case_apps(&self, case_id: i64) -> anyhow::Result<Vec<CaseApp>> {
        let mut st = self.conn.prepare(
            "SELECT a.app, a.owner, a.how, s.by_email, s.at, s.note FROM case_apps a
             LEFT JOIN signoffs s ON s.case_id = a.case_id AND s.item = 'app:' || a.app
             WHERE a.case_id = ?1 ORDER BY a.app",
        )?;
        let rows = st.query_map(params![case_id], |r| {
            let by: Option<String> = r.get(3)?;
            Ok(CaseApp {
                app: r.get(0)?,
                owner: r.get(1)?,
                how: r.get(2)?,
                signed_off: match by {
                    Some(b) => Some((b, r.get(4)?, r.get(5)?)),
                    None => None,
                },
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Record a sign-off on a case: `item` is an app of its checklist or one of its
    /// findings (a secret rotated, access removed by hand). Returns what was signed.
    pub fn signoff(
        &mut self,
        case_id: i64,
        item: &str,
        by: &str,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let case = self
            .case(case_id)?
            .with_context(|| format!("no case {case_id} in {}", self.path.display()))?;
        let apps = self.case_apps(case_id)?;
        let scope = format!("leaver:{}", case.email);
        let key = if apps.iter().any(|a| a.app == item) {
            format!("app:{item}")
        } else {
            let found: Option<String> = self
                .conn
                .query_row(
                    "SELECT id FROM findings WHERE scope = ?1 AND (id = ?2 OR resource = ?2)",
                    params![scope, item],
                    |r| r.get(0),
                )
                .optional()?;
            match found {
                Some(id) => format!("finding:{id}"),
                None => {
                    let names: Vec<String> = apps.iter().map(|a| a.app.clone()).collect();
                    bail!(
                        "case {case_id} ({}) has no app or finding {item:?}; its apps: {}",
                        case.email,
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    )
                }
            }
        };
        let at = ts(at);
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO signoffs (case_id, item, by_email, note, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![case_id, key, by, note, at],
        )?;
        if let Some(id) = key.strip_prefix("finding:") {
            let detail = format!(
                "signed off by {by}{}",
                note.map(|n| format!(": {n}")).unwrap_or_default()
            );
            tx.execute(
                "UPDATE findings SET state = 'signed_off', state_at = ?3, state_detail = ?4 WHERE id = ?1 AND scope = ?2 AND state IN ('open', 'excepted')",
                params![id, scope, at, detail],
            )?;
            event(&tx, id, &scope, &at, None, SIGNED_OFF, &detail)?;
        }
        tx.commit()?;
        Ok(key)
    }

    /// Close a case when nothing is left: every finding resolved, verified, excepted or
    /// signed off, and every app signed off. Returns whether it is (now) closed.
    pub fn close_if_done(&mut self, case: &Case, now: DateTime<Utc>) -> anyhow::Result<bool> {
        if case.status == "closed" {
            return Ok(true);
        }
        let findings = self.case_findings(case)?;
        let apps = self.case_apps(case.id)?;
        let done = findings.iter().all(|f| f.state != OPEN)
            && apps.iter().all(|a| a.signed_off.is_some())
            && self.case_scanned_completely(case)?;
        if done {
            self.conn.execute(
                "UPDATE cases SET status = 'closed', closed_at = ?2 WHERE id = ?1",
                params![case.id, ts(now)],
            )?;
        }
        Ok(done)
    }

    /// Whether the case's last leaver run read every source completely (a case is never
    /// closed on an incomplete scan).
    fn case_scanned_completely(&self, case: &Case) -> anyhow::Result<bool> {
        let last: Option<bool> = self
            .conn
            .query_row(
                "SELECT complete FROM runs WHERE case_id = ?1 ORDER BY finished_at DESC, rowid DESC LIMIT 1",
                params![case.id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(last.unwrap_or(false))
    }

    /// The runs of a case, oldest first: (id, finished, complete, findings).
    pub fn case_runs(&self, case_id: i64) -> anyhow::Result<Vec<(String, String, bool, i64)>> {
        let mut st = self.conn.prepare(
            "SELECT id, finished_at, complete, findings FROM runs WHERE case_id = ?1 ORDER BY finished_at, rowid",
        )?;
        let rows = st.query_map(params![case_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// A finding's timeline, in every scope it was seen in.
    pub fn history(&self, finding_id: &str) -> anyhow::Result<Vec<TimelineEntry>> {
        let mut st = self.conn.prepare(
            "SELECT at, scope, run_id, event, detail FROM finding_events WHERE finding_id = ?1 ORDER BY at, rowid",
        )?;
        let rows = st.query_map(params![finding_id], |r| {
            Ok(TimelineEntry {
                at: r.get(0)?,
                scope: r.get(1)?,
                run_id: r.get(2)?,
                event: r.get(3)?,
                detail: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Findings whose id starts with `prefix` (ids are long): the full ids.
    pub fn finding_ids(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let mut st = self.conn.prepare(
            "SELECT DISTINCT id FROM findings WHERE id LIKE ?1 || '%' ORDER BY id LIMIT 20",
        )?;
        let rows = st.query_map(params![prefix], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The findings document of the last run of `scope` (for `diff --store`).
    /// The last run of `scope` other than `except` (the run being compared).
    pub fn last_document(
        &self,
        scope: &str,
        except: Option<&str>,
    ) -> anyhow::Result<Option<FindingsFile>> {
        let doc: Option<String> = self
            .conn
            .query_row(
                "SELECT document FROM runs WHERE scope = ?1 AND id != ?2 ORDER BY finished_at DESC, rowid DESC LIMIT 1",
                params![scope, except.unwrap_or("")],
                |r| r.get(0),
            )
            .optional()?;
        match doc {
            Some(d) => Ok(Some(serde_json::from_str(&d).with_context(|| {
                format!(
                    "state store {}: a stored run does not parse",
                    self.path.display()
                )
            })?)),
            None => Ok(None),
        }
    }

    /// Record an HR event (webhook, SCIM). `false` when an event with this id was
    /// already recorded: the same event, not a new one.
    pub fn record_event(
        &mut self,
        id: &str,
        source: &str,
        payload: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO events (id, source, received_at, payload) VALUES (?1, ?2, ?3, ?4)",
            params![id, source, ts(at), payload],
        )?;
        Ok(n == 1)
    }

    /// Events recorded and not yet processed, oldest first: (id, source, payload).
    pub fn pending_events(&self) -> anyhow::Result<Vec<(String, String, String)>> {
        let mut st = self.conn.prepare(
            "SELECT id, source, payload FROM events WHERE processed_at IS NULL ORDER BY received_at, rowid",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn mark_event_processed(
        &mut self,
        id: &str,
        case_id: Option<i64>,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE events SET processed_at = ?2, case_id = ?3 WHERE id = ?1",
            params![id, ts(at), case_id],
        )?;
        Ok(())
    }

    // Read-only queries for the audit report (`report --case`).

    /// The findings document of every run of a case, oldest first.
    pub fn case_documents(&self, case_id: i64) -> anyhow::Result<Vec<FindingsFile>> {
        let mut st = self.conn.prepare(
            "SELECT id, document FROM runs WHERE case_id = ?1 ORDER BY finished_at, rowid",
        )?;
        let rows = st.query_map(params![case_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut docs = Vec::new();
        for row in rows {
            let (id, doc) = row?;
            docs.push(serde_json::from_str(&doc).with_context(|| {
                format!(
                    "state store {}: the stored run {id} does not parse",
                    self.path.display()
                )
            })?);
        }
        Ok(docs)
    }

    /// Every sign-off of a case (apps and findings), oldest first: (item, by, note, at).
    #[allow(clippy::type_complexity)]
    pub fn case_signoffs(
        &self,
        case_id: i64,
    ) -> anyhow::Result<Vec<(String, String, Option<String>, String)>> {
        let mut st = self.conn.prepare(
            "SELECT item, by_email, note, at FROM signoffs WHERE case_id = ?1 ORDER BY at, item",
        )?;
        let rows = st.query_map(params![case_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The exceptions applied in a case's runs, one row per finding and exception:
    /// (finding id, reason, approved by, expires, first applied, last applied).
    #[allow(clippy::type_complexity)]
    pub fn case_exceptions(
        &self,
        case_id: i64,
    ) -> anyhow::Result<Vec<(String, String, String, String, String, String)>> {
        let mut st = self.conn.prepare(
            "SELECT x.finding_id, x.reason, x.approved_by, x.expires, min(r.finished_at), max(r.finished_at)
             FROM exceptions_applied x JOIN runs r ON r.id = x.run_id
             WHERE r.case_id = ?1
             GROUP BY x.finding_id, x.reason, x.approved_by, x.expires
             ORDER BY x.finding_id, x.expires",
        )?;
        let rows = st.query_map(params![case_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The HR event a case was opened from or linked to, without its payload:
    /// (id, source, received at, processed at).
    #[allow(clippy::type_complexity)]
    pub fn case_event(
        &self,
        case_id: i64,
    ) -> anyhow::Result<Option<(String, String, String, Option<String>)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, source, received_at, processed_at FROM events
                 WHERE case_id = ?1 OR id = (SELECT event_id FROM cases WHERE id = ?1)
                 ORDER BY received_at, rowid LIMIT 1",
                params![case_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?)
    }
}

const CASE_COLUMNS: &str = "id, email, employee_id, name, risk, end_date, manager_email, opened_at, source, due_at, closed_at, status";

fn case_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Case> {
    Ok(Case {
        id: r.get(0)?,
        email: r.get(1)?,
        employee_id: r.get(2)?,
        name: r.get(3)?,
        risk: r.get(4)?,
        end_date: r.get(5)?,
        manager_email: r.get(6)?,
        opened_at: r.get(7)?,
        source: r.get(8)?,
        due_at: r.get(9)?,
        closed_at: r.get(10)?,
        status: r.get(11)?,
    })
}

fn finding_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredFinding> {
    Ok(StoredFinding {
        id: r.get(0)?,
        scope: r.get(1)?,
        kind: r.get(2)?,
        resource: r.get(3)?,
        owner: r.get(4)?,
        severity: r.get(5)?,
        title: r.get(6)?,
        first_seen: r.get(7)?,
        last_seen: r.get(8)?,
        state: r.get(9)?,
        state_at: r.get(10)?,
        state_detail: r.get(11)?,
        data: r.get(12)?,
    })
}

fn event(
    tx: &rusqlite::Transaction<'_>,
    id: &str,
    scope: &str,
    at: &str,
    run: Option<&str>,
    what: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO finding_events (finding_id, scope, at, run_id, event, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, scope, at, run, what, detail],
    )
    .map(|_| ())
}

/// Create an empty file readable by its owner only (the store holds evidence).
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).map(|_| ())
}

#[cfg(test)]
pub(crate) mod tests;
