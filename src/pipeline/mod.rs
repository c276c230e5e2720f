//! The run itself: connectors in parallel, correlation across connectors, attribution,
//! the leaver/sweep/secrets policy (selection, severity, remediation, exceptions) and the
//! findings document. The CLI calls in here; nothing here parses arguments or writes files.

pub mod correlate;
pub mod exceptions;
pub mod metadata;
pub mod policy;
pub mod progress;
pub mod reach;
pub mod run;

use crate::attribution::{self, Attribution};
use crate::connectors::{runtime::Cancel, Connector, PathAllowlist, ScanContext, Sink};
use crate::hr::Directory;
use crate::matcher::Matcher;
use crate::model::{Coverage, CoverageStatus, Nhi};
use crate::report::{FindingsFile, ScanInfo, Subject, Tool, SCHEMA_VERSION};
use chrono::{SecondsFormat, Utc};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

pub use exceptions::{Exceptions, IgnoreList};
pub use run::{Limits, Mode, Phase, Progress, Running};

/// Everything a run needs, prepared by the CLI.
pub struct RunSpec {
    pub mode: Mode,
    pub connectors: Vec<Box<dyn Connector>>,
    pub directory: Option<Directory>,
    /// The leaver, for `Mode::Leaver`: index into the directory.
    pub subject: Option<usize>,
    pub matcher: Matcher,
    pub limits: Limits,
    pub allow_paths: PathAllowlist,
    pub ignore: IgnoreList,
    pub exceptions: Exceptions,
    pub show_progress: bool,
    /// Problems with the input that did not stop the run (bad roster rows).
    pub warnings: Vec<String>,
    /// Leaver: list exposure-only secrets as findings (`--exposure`).
    pub exposure: bool,
    /// Sweep: list NHIs with an unconfirmed active owner (`--unconfirmed`).
    pub unconfirmed: bool,
}

/// Collects NHIs from connector threads.
struct Collector {
    items: Mutex<Vec<Nhi>>,
}

impl Sink for Collector {
    fn emit(&self, nhi: Nhi) {
        match self.items.lock() {
            Ok(mut v) => v.push(nhi),
            Err(poisoned) => poisoned.into_inner().push(nhi),
        }
    }
}

/// One connector's view of the collector: counts what it emitted, so that a connector
/// stopped by the deadline is `partial` when it gathered something and `failed` when not.
struct Counted<'a> {
    inner: &'a Collector,
    emitted: AtomicU64,
}

impl Sink for Counted<'_> {
    fn emit(&self, nhi: Nhi) {
        self.emitted.fetch_add(1, Ordering::Relaxed);
        self.inner.emit(nhi);
    }
}

/// Run every connector at once, each on its own thread. A connector that panics is
/// recorded as failed in coverage; the others finish. With a run deadline
/// (`ctx.limits.cancel`), a watchdog tells the connectors to stop when it passes (async
/// ones are dropped by [`crate::connectors::runtime::block_on`], blocking ones check the
/// flag between units), and each connector still running then gets a `timeout` error
/// naming what it had not finished; what it emitted before is kept.
pub fn collect(
    connectors: &[Box<dyn Connector>],
    ctx: &ScanContext<'_>,
) -> (Vec<Nhi>, Vec<Coverage>) {
    let sink = Collector {
        items: Mutex::new(Vec::new()),
    };
    let cancel = ctx.limits.cancel.clone();
    let finished = (Mutex::new(0usize), Condvar::new());
    // What was running when the deadline passed, by unit name, with its phase.
    let at_deadline: Mutex<Vec<(String, Phase)>> = Mutex::new(Vec::new());
    let mut coverage = Vec::new();
    std::thread::scope(|s| {
        if let Some(at) = cancel.deadline() {
            let (finished, at_deadline, cancel) = (&finished, &at_deadline, &cancel);
            s.spawn(move || {
                let (lock, cv) = finished;
                let mut n = lock.lock().unwrap_or_else(|p| p.into_inner());
                loop {
                    if *n >= connectors.len() {
                        return;
                    }
                    let now = Instant::now();
                    if now >= at {
                        break;
                    }
                    n = cv
                        .wait_timeout(n, at - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
                drop(n);
                *at_deadline.lock().unwrap_or_else(|p| p.into_inner()) = ctx.progress.running();
                cancel.cancel();
                tracing::warn!(
                    "the run deadline ({}) passed: stopping the connectors still running",
                    cancel.label()
                );
            });
        }
        let handles: Vec<_> = connectors
            .iter()
            .map(|c| {
                let (sink, finished, cancel) = (&sink, &finished, &cancel);
                let name = c.name();
                let h = s.spawn(move || {
                    tracing::info!(connector = %name, "Scanning");
                    let counted = Counted {
                        inner: sink,
                        emitted: AtomicU64::new(0),
                    };
                    let out = {
                        let _deadline = cancel.enter();
                        catch_unwind(AssertUnwindSafe(|| c.scan(ctx, &counted)))
                    };
                    let done_at = Instant::now();
                    let (lock, cv) = finished;
                    *lock.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                    cv.notify_all();
                    (out, counted.emitted.load(Ordering::Relaxed), done_at)
                });
                (c.name(), h)
            })
            .collect();
        for (name, h) in handles {
            let (covs, emitted, done_at) = match h.join() {
                Ok((Ok(cov), emitted, done_at)) => (cov, emitted, Some(done_at)),
                Ok((Err(_), emitted, done_at)) => {
                    let mut cov = Coverage::new(name.clone());
                    cov.classed_fail(
                        "panic",
                        format!("connector {name} crashed; its results are incomplete"),
                    );
                    (vec![cov], emitted, Some(done_at))
                }
                Err(_) => {
                    let mut cov = Coverage::new(name.clone());
                    cov.classed_fail(
                        "panic",
                        format!("connector {name} crashed; its results are incomplete"),
                    );
                    (vec![cov], 0, None)
                }
            };
            let overran = match (cancel.deadline(), done_at) {
                (Some(at), Some(done)) => done >= at,
                _ => false,
            };
            let mut covs = covs;
            if overran {
                let running = at_deadline
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                mark_overrun(&name, &mut covs, emitted, &running, &cancel.label());
            }
            coverage.extend(covs);
        }
    });
    let items = sink.items.into_inner().unwrap_or_else(|p| p.into_inner());
    (items, coverage)
}

/// A connector `name` that returned after the run deadline: every entry of it that was
/// still running then (by unit name, or the connector's own when it has no units running)
/// gets a `timeout` error saying the deadline and where it stopped. An entry is `partial`
/// when the connector gathered something, `failed` when it gathered nothing.
fn mark_overrun(
    name: &str,
    covs: &mut [Coverage],
    emitted: u64,
    running: &[(String, Phase)],
    deadline: &str,
) {
    let phase_of = |unit: &str| {
        running
            .iter()
            .find(|(n, _)| n == unit)
            .map(|(_, p)| describe_phase(p))
    };
    let unit_level = covs
        .iter()
        .any(|c| c.connector != name && phase_of(&c.connector).is_some());
    let connector_running = phase_of(name).is_some()
        || !running
            .iter()
            .any(|(n, _)| covs.iter().any(|c| &c.connector == n));
    for cov in covs.iter_mut() {
        let gathered = emitted > 0 || cov.items_scanned > 0;
        if cov.error_classes.contains_key("timeout") {
            // Stopped by the deadline itself (an async connector dropped, a unit never
            // started): keep it partial when something was gathered before.
            if let Some(p) = phase_of(&cov.connector).or_else(|| phase_of(name)) {
                if !p.is_empty() {
                    cov.notes.push(format!("at the deadline it was {p}"));
                }
            }
            if cov.connector == name && emitted > 0 && cov.status == CoverageStatus::Failed {
                cov.status = CoverageStatus::Partial;
                cov.notes.push(format!(
                    "{emitted} items gathered before the deadline are kept; the rest was not read"
                ));
            }
            continue;
        }
        let phase = phase_of(&cov.connector);
        if phase.is_none() && (unit_level || !connector_running) {
            // This unit had finished before the deadline.
            continue;
        }
        let phase = phase.or_else(|| phase_of(name)).unwrap_or_default();
        let at = if phase.is_empty() {
            String::new()
        } else {
            format!(" ({phase})")
        };
        let msg = format!(
            "the run deadline ({deadline}) passed while {} was still running{at}: it was stopped, and what it had not reached was NOT scanned",
            cov.connector
        );
        if gathered {
            cov.classed_error("timeout", msg);
        } else {
            cov.classed_fail("timeout", msg);
        }
    }
}

/// `in repos, 3 of 10 done`; empty when the connector reported no phase.
fn describe_phase(p: &Phase) -> String {
    if p.what.is_empty() {
        return String::new();
    }
    match p.total {
        Some(t) => format!("in {}, {} of {t} done", p.what, p.done),
        None => format!("in {}, {} done", p.what, p.done),
    }
}

/// What every connector found, attributed: the part of a run shared by all the
/// findings documents built from it (one per leaver in `offboard`).
pub struct Gathered {
    pub started: chrono::DateTime<Utc>,
    pub attributed: Vec<(Nhi, Vec<Attribution>)>,
    pub coverage: Vec<Coverage>,
}

/// Crawl every source once, scrub metadata, correlate and attribute.
pub fn gather(spec: &RunSpec) -> Gathered {
    let started = Utc::now();
    let progress = Arc::new(Progress::default());
    let mut limits = spec.limits.clone();
    // The deadline's clock starts with the connectors.
    if let Some(d) = limits.deadline {
        limits.cancel = Cancel::with_deadline(d);
    }
    let ctx = ScanContext {
        matcher: &spec.matcher,
        progress: &progress,
        mode: spec.mode,
        limits,
        allow_paths: &spec.allow_paths,
    };
    let display = progress::Display::start(progress.clone(), spec.show_progress);
    let (mut items, mut coverage) = collect(&spec.connectors, &ctx);
    display.finish();
    metadata::scrub(
        &mut items,
        &mut coverage,
        &spec.matcher,
        spec.directory.as_ref(),
    );

    correlate::correlate(&mut items);

    let empty = Directory::default();
    let dir = spec.directory.as_ref().unwrap_or(&empty);
    let mut attributed: Vec<(Nhi, Vec<Attribution>)> = items
        .into_par_iter()
        .map(|nhi| {
            let a = if dir.people.is_empty() {
                Vec::new()
            } else {
                attribution::attribute(&nhi, dir)
            };
            (nhi, a)
        })
        .collect();
    reach::add_key_access(&mut attributed);
    Gathered {
        started,
        attributed,
        coverage,
    }
}

/// Run the scan and build the findings document.
pub fn run(spec: RunSpec) -> FindingsFile {
    let g = gather(&spec);
    let subject = spec.subject;
    document(&spec, g.started, g.attributed, g.coverage, subject)
}

/// One crawl, one findings document per leaver (`offboard`): the leaver job for each of
/// `subjects` (indexes into the directory), from the same gathered NHIs.
pub fn run_leavers(spec: &RunSpec, subjects: &[usize]) -> Vec<(usize, FindingsFile)> {
    let g = gather(spec);
    subjects
        .iter()
        .map(|&s| {
            let mine: Vec<(Nhi, Vec<Attribution>)> = g
                .attributed
                .iter()
                .filter(|(_, attrs)| attrs.iter().any(|a| a.person == s))
                .cloned()
                .collect();
            let mut file = document(spec, g.started, mine, g.coverage.clone(), Some(s));
            // One crawl, but each leaver's document is a run of its own: its own id.
            let mut h = Sha256::new();
            h.update(file.scan.id.as_bytes());
            h.update(b":");
            h.update(s.to_le_bytes());
            file.scan.id = hex::encode(&h.finalize()[..8]);
            (s, file)
        })
        .collect()
}

/// The policy, exceptions and summary for one job over gathered NHIs.
fn document(
    spec: &RunSpec,
    started: chrono::DateTime<Utc>,
    attributed: Vec<(Nhi, Vec<Attribution>)>,
    coverage: Vec<Coverage>,
    subject: Option<usize>,
) -> FindingsFile {
    let empty = Directory::default();
    let dir = spec.directory.as_ref().unwrap_or(&empty);
    let today = started.date_naive();
    let selection = policy::select_with(
        spec.mode,
        dir,
        subject,
        attributed,
        policy::Options {
            exposure: spec.exposure,
            unconfirmed: spec.unconfirmed,
        },
    );
    let mut findings = selection.findings;
    if spec.mode == Mode::Leaver {
        if let Some(end) = subject
            .and_then(|i| dir.people.get(i))
            .and_then(|p| p.end_date)
        {
            flag_used_after_departure(&mut findings, end);
        }
    }
    let before = findings.len();
    findings.retain(|f| !spec.ignore.ignores_finding(f));
    let allowlisted = (before - findings.len()) as u64;
    let unmatched = spec.exceptions.apply(&mut findings, today);
    // The file lists findings in the order to act on them, as the terminal summary does.
    findings.sort_by(crate::report::action_order);

    let subject = subject
        .and_then(|i| dir.people.get(i).map(|p| (i, p)))
        .map(|(i, p)| Subject {
            employee_id: if p.employee_id.is_empty() {
                None
            } else {
                Some(p.employee_id.clone())
            },
            email: p.email.clone(),
            status: p.status.as_str().to_string(),
            end_date: p.end_date.map(|d| d.to_string()),
            risk: match p.risk {
                crate::hr::Risk::High => "high".into(),
                crate::hr::Risk::Standard => "standard".into(),
            },
            identifiers: dir.identifiers(i),
            in_roster: !p.source.is_empty(),
            manager_email: p.manager_email.clone(),
        });

    let mut warnings = spec.warnings.clone();
    warnings.extend(spec.exceptions.warnings(today));
    // An exception that names nothing no longer protects what it was written for (a
    // resource `repo:path:line` becomes `repo@commit:path:line` once the secret leaves
    // HEAD). A leaver scan sees one person's findings, so there it proves nothing.
    if spec.mode != Mode::Leaver {
        warnings.extend(unmatched.into_iter().map(|name| {
            format!(
                "exception for {name} matched no finding: it may name a resource that changed (use the finding id) or something already fixed"
            )
        }));
    }
    let finished = Utc::now();
    let mut file = FindingsFile {
        schema_version: SCHEMA_VERSION.into(),
        tool: Tool::default(),
        scan: ScanInfo {
            id: scan_id(&started),
            mode: spec.mode.as_str().into(),
            started_at: started.to_rfc3339_opts(SecondsFormat::Secs, true),
            finished_at: finished.to_rfc3339_opts(SecondsFormat::Secs, true),
            subject,
            warnings,
        },
        coverage,
        findings,
        summary: crate::report::Summary {
            allowlisted,
            unconfirmed: selection.unconfirmed,
            exposure: selection.exposure,
            not_reported: selection.not_reported,
            ..Default::default()
        },
    };
    file.summarize();
    file
}

/// A credential tied to the leaver that was used after their HR end date (an access key's
/// last use, a token's last access) is the most urgent item of the case: a pipeline that
/// still depends on it, or the leaver. Critical, with both dates in the evidence and the
/// attribute `used_after_departure`.
pub fn flag_used_after_departure(findings: &mut [crate::model::Finding], end: chrono::NaiveDate) {
    // The end date is the last working day: use after the end of that day counts.
    let Some(cutoff) = end
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
    else {
        return;
    };
    for f in findings.iter_mut() {
        let Some(used) = f.last_used_at else { continue };
        if used < cutoff {
            continue;
        }
        f.severity = crate::model::Severity::Critical;
        f.attributes
            .insert("used_after_departure".into(), used.to_rfc3339());
        f.evidence.push(crate::model::Evidence::new(
            "hr",
            format!(
                "used after departure: last used {}, after the HR end date {end}",
                used.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
        ));
        if !f.title.starts_with("USED AFTER DEPARTURE") {
            f.title = format!("USED AFTER DEPARTURE: {}", f.title);
        }
    }
}

/// Whether every source was read completely. A run that scanned no source at all is
/// incomplete: it must never look clean.
pub fn complete(file: &FindingsFile) -> bool {
    file.is_complete()
}

fn scan_id(started: &chrono::DateTime<Utc>) -> String {
    let mut h = Sha256::new();
    h.update(
        started
            .timestamp_nanos_opt()
            .unwrap_or_default()
            .to_le_bytes(),
    );
    h.update(std::process::id().to_le_bytes());
    hex::encode(&h.finalize()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_used_after_the_end_date_is_critical_with_both_dates() {
        let end = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let at = |s: &str| Some(s.parse::<chrono::DateTime<Utc>>().unwrap());
        let mut fs = vec![
            crate::state::tests::finding("late", "aws:prod", "arn:aws:iam::1:user/a#AKIA1"),
            crate::state::tests::finding("same-day", "aws:prod", "arn:aws:iam::1:user/a#AKIA2"),
            crate::state::tests::finding("never", "aws:prod", "arn:aws:iam::1:user/a#AKIA3"),
        ];
        fs[0].last_used_at = at("2026-11-22T08:00:00Z");
        fs[1].last_used_at = at("2026-11-20T23:59:00Z");
        flag_used_after_departure(&mut fs, end);
        assert_eq!(fs[0].severity, crate::model::Severity::Critical);
        assert!(fs[0].attributes.contains_key("used_after_departure"));
        let ev = fs[0].evidence.last().unwrap().detail.clone();
        assert!(
            ev.contains("2026-11-22") && ev.contains("2026-11-20"),
            "{ev}"
        );
        // The last working day itself, and never used: not flagged.
        assert!(!fs[1].attributes.contains_key("used_after_departure"));
        assert!(!fs[2].attributes.contains_key("used_after_departure"));
    }
}
