//! The offboarding workflow around the scanner: `offboard` (a case and a leaver scan for
//! every person the roster says has left), `status` (open cases, overdue first, with who
//! must act), `signoff` (an app with no API, or a finding confirmed by hand) and
//! `history` (one finding's timeline). State lives in the store ([`crate::state`]).

use super::{out, setup, usage, Global, EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE};
use crate::config::Config;
use crate::hr::{Person, Risk};
use crate::pipeline::Mode;
use crate::state::{Case, NewCase, Store, OPEN};
use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// The store's file name when `[state] path` is not set: beside the config.
pub const DEFAULT_STATE: &str = "nhiscan-state.db";

#[derive(Debug, Args)]
pub struct StateArg {
    /// State store (SQLite). Default: `[state] path`, else nhiscan-state.db beside the
    /// config (or in the current directory).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OffboardArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// Also write each case's findings file here, as `case-<ID>.json`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Treat this day as today (for end dates): YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// One case in full: its findings, apps, sign-offs and runs.
    #[arg(long = "case", value_name = "ID")]
    pub case: Option<i64>,
    /// Closed cases too.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct SignoffArgs {
    /// The case id (`nhiscan status` lists them).
    pub case: i64,
    /// An `[[app]]` name of the case's checklist, or one of its findings (id or resource)
    /// confirmed removed or rotated by hand.
    pub item: String,
    /// Who confirms it (an email).
    #[arg(long, value_name = "EMAIL")]
    pub by: String,
    /// What was done.
    #[arg(long)]
    pub note: Option<String>,
    #[command(flatten)]
    pub state: StateArg,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A finding id (or a unique prefix of one).
    pub finding: String,
    #[command(flatten)]
    pub state: StateArg,
}

/// The store of this config, opened (created on first use).
pub fn open_store(arg: &StateArg, cfg: Option<&Config>) -> anyhow::Result<Store> {
    let path = match (&arg.state, cfg) {
        (Some(p), _) => p.clone(),
        (None, Some(c)) => match &c.state.path {
            Some(p) => c.resolve(p),
            None => c.base.join(DEFAULT_STATE),
        },
        (None, None) => PathBuf::from(DEFAULT_STATE),
    };
    Store::open(&path).map_err(|e| usage(format!("{e:#}")))
}

/// Whether the roster says `p` has left by `today`: terminated, or an end date passed.
fn has_left(p: &Person, today: NaiveDate) -> bool {
    p.status == crate::hr::PersonStatus::Terminated || p.end_date.is_some_and(|d| d < today)
}

/// The `[[app]]` entries that apply to `p` (every entry without `when`; one with `when`
/// when each named column of the person's roster row has that value, case-insensitively).
pub fn apps_for(cfg: Option<&Config>, p: &Person) -> Vec<(String, String, Option<String>)> {
    let Some(cfg) = cfg else { return Vec::new() };
    cfg.app
        .iter()
        .filter(|a| {
            a.when.iter().all(|(col, want)| {
                let key = col.trim().to_lowercase().replace([' ', '-'], "_");
                p.extra
                    .get(&key)
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case(want.trim()))
            })
        })
        .map(|a| (a.name.clone(), a.owner.clone(), a.remove.clone()))
        .collect()
}

/// The SLA target for a person's exit.
pub fn sla_hours(cfg: Option<&Config>, risk: Risk) -> u32 {
    let sla = cfg.map(|c| c.sla.clone()).unwrap_or_default();
    match risk {
        Risk::High => sla.high_risk_hours,
        Risk::Standard => sla.standard_hours,
    }
}

fn risk_str(r: Risk) -> &'static str {
    match r {
        Risk::High => "high",
        Risk::Standard => "standard",
    }
}

/// Open the case of `p` (or find it: one case per person), due `[sla]` hours from `now`,
/// with the `[[app]]` items that apply to them. `source` is `roster` or `event:ID`.
pub fn open_case_for(
    store: &mut Store,
    cfg: Option<&Config>,
    p: &Person,
    source: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<(Case, bool)> {
    let end = p.end_date.map(|d| d.to_string());
    let new = NewCase {
        email: &p.email,
        employee_id: &p.employee_id,
        name: p.name.as_deref(),
        risk: risk_str(p.risk),
        end_date: end.as_deref(),
        manager_email: p.manager_email.as_deref(),
        source,
        opened_at: now,
        due_at: now + Duration::hours(i64::from(sla_hours(cfg, p.risk))),
    };
    store.open_case(&new, &apps_for(cfg, p))
}

/// One case's leaver scan, recorded.
pub struct ScannedCase {
    pub file: crate::report::FindingsFile,
    pub changes: crate::state::RunChanges,
    /// The case closed with this scan (nothing left open).
    pub closed: bool,
}

/// One crawl of the configured sources for every case in `cases` (the person's index in
/// `directory`, and the case), each case's leaver run recorded in `store` and the case
/// closed when nothing is left. Results in the order of `cases`.
#[allow(clippy::too_many_arguments)]
pub fn scan_cases(
    g: &Global,
    cfg: Option<&Config>,
    store: &mut Store,
    directory: crate::hr::Directory,
    warnings: Vec<String>,
    cases: &[(usize, &Case)],
    show_progress: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<ScannedCase>> {
    let connectors = setup::connectors_or_default(g, cfg)?;
    let mut spec = setup::base_spec(g, cfg, Mode::Leaver, connectors, &[])?;
    spec.directory = Some(directory);
    spec.warnings = warnings;
    spec.show_progress &= show_progress;
    let subjects: Vec<usize> = cases.iter().map(|(i, _)| *i).collect();
    let files = crate::pipeline::run_leavers(&spec, &subjects);
    let mut out = Vec::with_capacity(cases.len());
    for ((_, case), (_, file)) in cases.iter().zip(files) {
        let changes = store
            .record_run(&file, Some(case.id))
            .with_context(|| format!("recording the scan of case {}", case.id))?;
        let closed = store.close_if_done(case, now)?;
        out.push(ScannedCase {
            file,
            changes,
            closed,
        });
    }
    Ok(out)
}

pub fn run_offboard(g: &Global, a: &OffboardArgs) -> anyhow::Result<ExitCode> {
    let cfg = setup::load_config(g)?;
    let cfg = cfg.as_ref();
    let Some((directory, warnings)) = setup::load_directory(g, cfg)? else {
        return Err(usage(
            "offboard needs the HR roster: set [hr] roster in the config or pass --hr FILE",
        ));
    };
    let now = Utc::now();
    let today = match &a.today {
        Some(d) => crate::hr::parse_date(d)
            .ok_or_else(|| usage(format!("--today {d:?}: expected a date, YYYY-MM-DD")))?,
        None => now.date_naive(),
    };
    let mut store = open_store(&a.state, cfg)?;
    // HR events `serve` stored but did not process (it was stopped, or ran
    // --receive-only) open their cases first.
    let drained = super::serve::process_pending(g, cfg, store.path())
        .with_context(|| "processing stored HR events")?;
    if drained > 0 && !g.quiet {
        out(&format!("Processed {drained} stored HR event(s).\n"));
    }
    if let Some(dir) = &a.out_dir {
        if !dir.is_dir() {
            return Err(usage(format!(
                "--out-dir {}: not a directory",
                dir.display()
            )));
        }
    }

    // Everyone who has left and whose case is not closed, high-risk exits first.
    let mut leavers: Vec<usize> = Vec::new();
    for (i, p) in directory.people.iter().enumerate() {
        if !has_left(p, today) {
            continue;
        }
        match store.case_of(&p.email, &p.employee_id)? {
            Some(c) if c.status == "closed" => continue,
            _ => leavers.push(i),
        }
    }
    leavers.sort_by_key(|&i| {
        let p = &directory.people[i];
        (p.risk != Risk::High, p.end_date, p.email.clone())
    });
    let mut cases: Vec<(usize, Case, bool)> = Vec::new();
    for &i in &leavers {
        let (case, created) = open_case_for(&mut store, cfg, &directory.people[i], "roster", now)?;
        cases.push((i, case, created));
    }
    if cases.is_empty() {
        if !g.quiet {
            out(&format!(
                "No one to offboard: nobody in the roster has left without a closed case (store {}).\n",
                store.path().display()
            ));
        }
        return Ok(ExitCode::from(EXIT_CLEAN));
    }

    let targets: Vec<(usize, &Case)> = cases.iter().map(|(i, c, _)| (*i, c)).collect();
    let scanned = scan_cases(g, cfg, &mut store, directory, warnings, &targets, true, now)?;

    let mut incomplete = false;
    let mut open_total = 0usize;
    let mut lines = Vec::new();
    let sources = scanned.first().map_or(0, |s| s.file.coverage.len());
    for ((_, case, created), done) in cases.iter().zip(&scanned) {
        let ScannedCase {
            file,
            changes,
            closed,
        } = done;
        incomplete |= !file.is_complete();
        if let Some(dir) = &a.out_dir {
            let path = dir.join(format!("case-{}.json", case.id));
            crate::report::write_output(file, crate::report::Format::Json, &path)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        let open = store
            .case_findings(case)?
            .iter()
            .filter(|f| f.state == OPEN)
            .count();
        open_total += open;
        let after = file
            .findings
            .iter()
            .filter(|f| f.attributes.contains_key("used_after_departure"))
            .count();
        let apps = store.case_apps(case.id)?;
        let pending_apps = apps.iter().filter(|x| x.signed_off.is_none()).count();
        lines.push(format!(
            "  case {:<4} {:<32} {:<8} {} {:>3} open ({} new, {} resolved){}{}{}{}\n",
            case.id,
            case.email,
            case.risk,
            if *created { "opened " } else { "rechecked" },
            open,
            changes.new,
            changes.resolved,
            if pending_apps > 0 {
                format!(", {pending_apps} app sign-off(s) pending")
            } else {
                String::new()
            },
            if after > 0 {
                format!(", {after} USED AFTER DEPARTURE")
            } else {
                String::new()
            },
            if file.is_complete() {
                ""
            } else {
                ", scan INCOMPLETE (nothing resolved)"
            },
            if *closed { ", closed" } else { "" },
        ));
    }
    if !g.quiet {
        let mut text = format!(
            "Offboarding: {} case(s) ({} new) against {} source(s); store {}\n",
            cases.len(),
            cases.iter().filter(|c| c.2).count(),
            sources,
            store.path().display()
        );
        for l in &lines {
            text.push_str(l);
        }
        if incomplete {
            text.push_str("Some sources were not read completely: see `nhiscan status --case ID`; their findings stay open.\n");
        }
        text.push_str(
            "Next: nhiscan status   (overdue first), nhiscan signoff CASE APP --by EMAIL\n",
        );
        out(&text);
    }
    Ok(ExitCode::from(if incomplete {
        EXIT_INCOMPLETE
    } else if open_total > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }))
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// How a case stands against its SLA: `met`, `missed`, `open, due in 3h`, `OVERDUE by 2h`.
pub(crate) fn sla_state(
    store: &Store,
    case: &Case,
    now: DateTime<Utc>,
) -> anyhow::Result<(bool, String)> {
    let due = parse_ts(&case.due_at).unwrap_or(now);
    let findings = store.case_findings(case)?;
    let open = findings.iter().filter(|f| f.state == OPEN).count();
    let apps_pending = store
        .case_apps(case.id)?
        .iter()
        .filter(|a| a.signed_off.is_none())
        .count();
    if case.status == "closed" {
        let closed = case.closed_at.as_deref().and_then(parse_ts).unwrap_or(now);
        return Ok((
            false,
            if closed <= due {
                "SLA met".into()
            } else {
                format!("SLA missed by {}", human(closed - due))
            },
        ));
    }
    let pending = open + apps_pending;
    Ok(if now > due && pending > 0 {
        (true, format!("OVERDUE by {}", human(now - due)))
    } else {
        (false, format!("due in {}", human(due - now)))
    })
}

fn human(d: Duration) -> String {
    let m = d.num_minutes().max(0);
    if m >= 48 * 60 {
        format!("{}d", m / (24 * 60))
    } else if m >= 60 {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}

pub fn run_status(g: &Global, a: &StatusArgs) -> anyhow::Result<ExitCode> {
    let cfg = setup::load_config(g)?;
    let store = open_store(&a.state, cfg.as_ref())?;
    let now = Utc::now();
    if let Some(id) = a.case {
        let case = store
            .case(id)?
            .ok_or_else(|| usage(format!("no case {id} in {}", store.path().display())))?;
        out(&case_detail(&store, &case, now)?);
        return Ok(ExitCode::from(EXIT_CLEAN));
    }
    let mut rows = Vec::new();
    for c in store.cases()? {
        if c.status == "closed" && !a.all {
            continue;
        }
        let (overdue, sla) = sla_state(&store, &c, now)?;
        let findings = store.case_findings(&c)?;
        let open: Vec<_> = findings.iter().filter(|f| f.state == OPEN).collect();
        let critical = open.iter().filter(|f| f.severity == "critical").count();
        let apps: Vec<String> = store
            .case_apps(c.id)?
            .into_iter()
            .filter(|x| x.signed_off.is_none())
            .map(|x| format!("{} ({})", x.app, x.owner))
            .collect();
        let act = match (&c.manager_email, open.is_empty()) {
            (_, true) => String::new(),
            (Some(m), false) => format!("act: security with manager {m}"),
            (None, false) => "act: security (no manager in HR)".to_string(),
        };
        rows.push((
            overdue,
            c.due_at.clone(),
            format!(
                "case {:<4} {:<32} {:<8} {:<7} {:>3} open{}  {}{}{}\n",
                c.id,
                c.email,
                c.risk,
                c.status,
                open.len(),
                if critical > 0 {
                    format!(" ({critical} critical)")
                } else {
                    String::new()
                },
                sla,
                if act.is_empty() {
                    String::new()
                } else {
                    format!("; {act}")
                },
                if apps.is_empty() {
                    String::new()
                } else {
                    format!("; sign-off pending: {}", apps.join(", "))
                },
            ),
        ));
    }
    // Past their target first, then by due time.
    rows.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    let mut text = format!(
        "{} case(s){} in {}\n",
        rows.len(),
        if a.all { "" } else { " open" },
        store.path().display()
    );
    for (_, _, r) in &rows {
        text.push_str(r);
    }
    if rows.is_empty() {
        text.push_str("Nothing pending.\n");
    } else {
        text.push_str("Details: nhiscan status --case ID\n");
    }
    if !g.quiet {
        out(&text);
    }
    Ok(ExitCode::from(
        if rows.iter().any(|r| r.2.contains(" open")) {
            EXIT_FINDINGS
        } else {
            EXIT_CLEAN
        },
    ))
}

fn case_detail(store: &Store, case: &Case, now: DateTime<Utc>) -> anyhow::Result<String> {
    let (_, sla) = sla_state(store, case, now)?;
    let mut t = format!(
        "Case {}: {}{} ({}, risk {})\n  HR end date: {}; opened {} from {}; due {}; {}{}\n",
        case.id,
        case.email,
        case.name
            .as_deref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default(),
        case.status,
        case.risk,
        case.end_date.as_deref().unwrap_or("none"),
        case.opened_at,
        case.source,
        case.due_at,
        sla,
        case.manager_email
            .as_deref()
            .map(|m| format!("; manager {m}"))
            .unwrap_or_default()
    );
    t.push_str("Scans:\n");
    for (id, at, complete, n) in store.case_runs(case.id)? {
        t.push_str(&format!(
            "  {at}  run {id}  {}  {n} findings\n",
            if complete { "complete" } else { "INCOMPLETE" }
        ));
    }
    t.push_str("Findings:\n");
    let findings = store.case_findings(case)?;
    if findings.is_empty() {
        t.push_str("  none\n");
    }
    for f in findings {
        t.push_str(&format!(
            "  {:<10} {:<8} {}  {}  [{}]\n      {}{}\n",
            f.state,
            f.severity,
            f.kind,
            f.resource,
            &f.id[..f.id.len().min(12)],
            f.title,
            f.state_detail
                .as_deref()
                .map(|d| format!(" ({d}, {})", f.state_at))
                .unwrap_or_default()
        ));
    }
    let apps = store.case_apps(case.id)?;
    if !apps.is_empty() {
        t.push_str("Applications without an API:\n");
        for x in apps {
            match &x.signed_off {
                Some((by, at, note)) => t.push_str(&format!(
                    "  signed off  {}  by {by} at {at}{}\n",
                    x.app,
                    note.as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                )),
                None => t.push_str(&format!(
                    "  PENDING     {}  owner {}{}\n",
                    x.app,
                    x.owner,
                    x.how
                        .as_deref()
                        .map(|h| format!(": {h}"))
                        .unwrap_or_default()
                )),
            }
        }
    }
    Ok(t)
}

pub fn run_signoff(g: &Global, a: &SignoffArgs) -> anyhow::Result<ExitCode> {
    if !crate::hr::is_valid_email(a.by.trim()) {
        return Err(usage(format!("--by {:?}: not an email", a.by)));
    }
    let cfg = setup::load_config(g)?;
    let mut store = open_store(&a.state, cfg.as_ref())?;
    let now = Utc::now();
    let key = store
        .signoff(a.case, a.item.trim(), a.by.trim(), a.note.as_deref(), now)
        .map_err(|e| usage(format!("{e:#}")))?;
    let case = store.case(a.case)?.context("case vanished")?;
    let closed = store.close_if_done(&case, now)?;
    if !g.quiet {
        out(&format!(
            "Signed off {key} on case {} by {}{}\n",
            a.case,
            a.by.trim(),
            if closed {
                "; the case is now closed"
            } else {
                ""
            }
        ));
    }
    Ok(ExitCode::from(EXIT_CLEAN))
}

pub fn run_history(g: &Global, a: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let cfg = setup::load_config(g)?;
    let store = open_store(&a.state, cfg.as_ref())?;
    let ids = store.finding_ids(a.finding.trim())?;
    let id = match ids.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(usage(format!(
                "no finding {} in {}",
                a.finding,
                store.path().display()
            )))
        }
        many if many.iter().any(|i| i == a.finding.trim()) => a.finding.trim().to_string(),
        many => {
            return Err(usage(format!(
                "{} is ambiguous: {}",
                a.finding,
                many.join(", ")
            )))
        }
    };
    let mut t = format!("Finding {id}\n");
    for e in store.history(&id)? {
        t.push_str(&format!(
            "  {}  {:<10} {}{}{}\n",
            e.at,
            e.event,
            e.scope,
            e.run_id.map(|r| format!(" run {r}")).unwrap_or_default(),
            if e.detail.is_empty() {
                String::new()
            } else {
                format!(": {}", e.detail)
            }
        ));
    }
    if !g.quiet {
        out(&t);
    }
    Ok(ExitCode::from(EXIT_CLEAN))
}
