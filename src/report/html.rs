//! The audit report: one self-contained HTML page an auditor or manager opens in a
//! browser. Two views: a findings file ([`render`], `report FILE --format html`) and an
//! offboarding case from the state store ([`render_case`], `report --case ID`).
//!
//! Self-contained means no external anything: the CSS is inline, there is no script,
//! font, image or link to another origin, and a Content-Security-Policy of
//! `default-src 'none'` forbids the browser to fetch anything even if some string did get
//! through. Every string that came from a scanned system or the store (titles, evidence,
//! paths, commit authors, notes) is escaped with [`esc`] (`& < > " '`), control characters
//! are replaced and bidirectional overrides are shown as `<U+202E>` rather than obeyed, so
//! hostile text can neither inject markup nor reorder what the auditor reads. Secrets
//! appear only as the findings file has them: redacted, with their SHA-256.

use super::FindingsFile;
use crate::model::{Coverage, CoverageStatus, Finding, Severity};
use crate::state::{Case, CaseApp, StoredFinding, TimelineEntry};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Escape `s` for HTML text and double- or single-quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            // Bidirectional controls (Trojan Source): shown, not obeyed.
            '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{061c}' => {
                let _ = write!(out, "&lt;U+{:04X}&gt;", c as u32);
            }
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px 32px;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:0 0 6px}
.sub{color:var(--muted);margin:0 0 16px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
table.kv th{width:220px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:130px;background:var(--soft)}
.card .n{font-size:22px;font-weight:700}.card .l{color:var(--muted);font-size:12px}
.badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;border:1px solid transparent;white-space:nowrap}
.sev-critical{background:#ffebe9;color:#82071e;border-color:#ff8182}
.sev-high{background:#fff1e5;color:#953800;border-color:#ffb77c}
.sev-medium{background:#fff8c5;color:#7d4e00;border-color:#e3c34b}
.sev-low{background:#ddf4ff;color:#0a3069;border-color:#80ccff}
.sev-info{background:#f6f8fa;color:#57606a;border-color:#d0d7de}
.st-open,.st-reopened{background:#ffebe9;color:#82071e;border-color:#ff8182}
.st-resolved,.st-verified,.st-signed_off,.st-complete,.st-met,.st-closed{background:#dafbe1;color:#116329;border-color:#4ac26b}
.st-excepted,.st-partial,.st-due{background:#fff8c5;color:#7d4e00;border-color:#e3c34b}
.st-failed,.st-missed,.st-overdue,.st-pending,.st-expired{background:#ffebe9;color:#82071e;border-color:#ff8182}
.warn{border:1px solid #ff8182;background:#ffebe9;color:#82071e;border-radius:6px;padding:8px 12px;margin:10px 0}
.finding{border:1px solid var(--line);border-radius:6px;padding:10px 14px;margin:10px 0;page-break-inside:avoid}
.finding table{margin:6px 0 0}
ul{margin:2px 0;padding-left:20px}
.muted{color:var(--muted)}
footer{margin-top:32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
@media print{body{padding:0;max-width:none}.finding{break-inside:avoid}}
";

fn head(out: &mut String, title: &str) {
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n",
    );
    out.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", esc(title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
}

fn foot(out: &mut String, generated: &str) {
    let _ = writeln!(
        out,
        "<footer>Generated by nhiscan {} at {}. Secrets appear only redacted, with their SHA-256. This page is self-contained: it loads nothing.</footer>\n</body>\n</html>",
        esc(env!("CARGO_PKG_VERSION")),
        esc(generated)
    );
}

/// A CSS-class-safe token (`[a-z0-9_-]`) from a state or severity word.
fn token(s: &str) -> String {
    s.chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

fn badge(class_prefix: &str, word: &str) -> String {
    labelled_badge(class_prefix, word, word)
}

/// A badge coloured by `word`, reading `label`.
fn labelled_badge(class_prefix: &str, word: &str, label: &str) -> String {
    format!(
        "<span class=\"badge {class_prefix}-{}\">{}</span>",
        token(word),
        esc(label)
    )
}

fn sev_badge(s: &str) -> String {
    badge("sev", s)
}

fn state_badge(s: &str) -> String {
    badge("st", s)
}

fn card(out: &mut String, id: &str, n: impl std::fmt::Display, label: &str) {
    let _ = write!(
        out,
        "<div class=\"card\"><div class=\"n\" id=\"{}\">{n}</div><div class=\"l\">{}</div></div>",
        esc(id),
        esc(label)
    );
}

fn kv(out: &mut String, k: &str, v_html: &str) {
    let _ = writeln!(out, "<tr><th>{}</th><td>{v_html}</td></tr>", esc(k));
}

fn opt(v: Option<&str>) -> String {
    match v {
        Some(s) if !s.is_empty() => esc(s),
        _ => "<span class=\"muted\">none</span>".to_string(),
    }
}

fn word<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn coverage_table(out: &mut String, coverage: &[Coverage]) {
    if coverage.is_empty() {
        out.push_str("<p class=\"warn\">No sources were scanned.</p>\n");
        return;
    }
    out.push_str("<table class=\"coverage\"><thead><tr><th>Source (coverage unit)</th><th>Status</th><th class=\"num\">Items scanned</th><th>Errors</th><th>Skipped / notes</th></tr></thead><tbody>\n");
    for c in coverage {
        let errors = if c.errors.is_empty() {
            "<span class=\"muted\">none</span>".to_string()
        } else {
            let items: Vec<String> = c
                .errors
                .iter()
                .map(|e| format!("<li>{}</li>", esc(e)))
                .collect();
            format!("<ul>{}</ul>", items.join(""))
        };
        let mut extra: Vec<String> = c
            .skipped
            .iter()
            .map(|(k, n)| format!("<li>skipped {}: {n}</li>", esc(k)))
            .collect();
        if c.throttled > 0 {
            extra.push(format!(
                "<li>throttled requests retried: {}</li>",
                c.throttled
            ));
        }
        if c.bytes_scanned > 0 {
            extra.push(format!("<li>bytes scanned: {}</li>", c.bytes_scanned));
        }
        extra.extend(c.notes.iter().map(|n| format!("<li>{}</li>", esc(n))));
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!("<ul>{}</ul>", extra.join(""))
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td>{errors}</td><td>{extra}</td></tr>",
            esc(&c.connector),
            state_badge(c.status.as_str()),
            c.items_scanned
        );
    }
    out.push_str("</tbody></table>\n");
}

fn incomplete_warning(out: &mut String, coverage: &[Coverage]) {
    let bad = coverage
        .iter()
        .filter(|c| c.status != CoverageStatus::Complete)
        .count();
    if bad > 0 {
        let _ = writeln!(
            out,
            "<p class=\"warn\"><strong>Incomplete scan:</strong> {bad} of {} sources were not scanned completely. Missing findings from them do not mean there is nothing there, and nothing in them was verified gone.</p>",
            coverage.len()
        );
    }
}

fn location_html(l: &crate::model::Location) -> String {
    let mut s = match &l.repo {
        Some(r) => format!(
            "<code>{}</code> <code>{}:{}</code>",
            esc(r),
            esc(&l.path),
            l.line
        ),
        None => format!("<code>{}:{}</code>", esc(&l.path), l.line),
    };
    if let Some(c) = &l.commit {
        let _ = write!(s, ", commit <code>{}</code>", esc(c));
    }
    match (&l.author_name, &l.author_email) {
        (Some(n), Some(e)) => {
            let _ = write!(s, " by {} &lt;{}&gt;", esc(n), esc(e));
        }
        (Some(x), None) | (None, Some(x)) => {
            let _ = write!(s, " by {}", esc(x));
        }
        (None, None) => {}
    }
    if let Some(t) = l.committed_at {
        let _ = write!(s, " on {}", esc(&t.to_rfc3339()));
    }
    s.push_str(if l.in_head {
        " (still in HEAD)"
    } else {
        " (history only)"
    });
    s
}

/// The rows describing one finding (inside a `<table class="kv">`).
fn finding_rows(out: &mut String, f: &Finding) {
    kv(
        out,
        "Resource",
        &format!("<code>{}</code>", esc(&f.resource)),
    );
    kv(
        out,
        "Kind / source",
        &format!(
            "{} on <code>{}</code>",
            esc(f.kind.as_str()),
            esc(&f.connector)
        ),
    );
    kv(
        out,
        "Owner",
        &format!(
            "{} <span class=\"muted\">({}, {} confidence)</span>",
            esc(super::owner_label(f)),
            esc(f.relation.map(|r| r.as_str()).unwrap_or("no relation")),
            esc(f.confidence.as_str())
        ),
    );
    let mut status = esc(&word(&f.status));
    if let Some(t) = f.created_at {
        let _ = write!(status, "; created {}", esc(&t.to_rfc3339()));
    }
    if let Some(t) = f.last_used_at {
        let _ = write!(status, "; last used {}", esc(&t.to_rfc3339()));
    }
    kv(out, "Credential status", &status);
    if let Some(s) = &f.secret {
        kv(
            out,
            "Secret (redacted)",
            &format!(
                "<code>{}</code> <span class=\"muted\">sha256</span> <code>{}</code>",
                esc(&s.redacted),
                esc(&s.sha256)
            ),
        );
    }
    if let Some(r) = &f.rule {
        kv(out, "Rule", &format!("<code>{}</code>", esc(r)));
    }
    if let Some(l) = &f.location {
        kv(out, "Location", &location_html(l));
    }
    if !f.other_locations.is_empty() {
        let items: Vec<String> = f
            .other_locations
            .iter()
            .map(|l| format!("<li>{}</li>", location_html(l)))
            .collect();
        kv(out, "Also seen at", &format!("<ul>{}</ul>", items.join("")));
    }
    if f.evidence.is_empty() {
        kv(out, "Evidence", "<span class=\"muted\">none</span>");
    } else {
        let items: Vec<String> = f
            .evidence
            .iter()
            .map(|e| {
                format!(
                    "<li><code>{}</code>: {}</li>",
                    esc(&e.source),
                    esc(&e.detail)
                )
            })
            .collect();
        kv(
            out,
            "Evidence",
            &format!("<ul class=\"evidence\">{}</ul>", items.join("")),
        );
    }
    kv(
        out,
        "Remediation",
        &format!(
            "<strong>{}</strong>: {}",
            esc(&word(&f.remediation.action)),
            esc(&f.remediation.detail)
        ),
    );
    if let Some(e) = &f.exception {
        kv(
            out,
            "Exception",
            &format!(
                "{} (approved by {}, expires {})",
                esc(&e.reason),
                esc(&e.approved_by),
                esc(&e.expires)
            ),
        );
    }
    if !f.attributes.is_empty() {
        let items: Vec<String> = f
            .attributes
            .iter()
            .map(|(k, v)| format!("<li><code>{}</code> = {}</li>", esc(k), esc(v)))
            .collect();
        kv(out, "Attributes", &format!("<ul>{}</ul>", items.join("")));
    }
    kv(out, "Finding id", &format!("<code>{}</code>", esc(&f.id)));
}

fn summary_tables(out: &mut String, file: &FindingsFile) {
    let s = &file.summary;
    out.push_str("<div class=\"cards\">");
    card(out, "finding-count", s.total, "findings");
    for sev in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let n = s.by_severity.get(sev.as_str()).copied().unwrap_or(0);
        card(out, &format!("sev-{}", sev.as_str()), n, sev.as_str());
    }
    card(out, "excepted-count", s.excepted, "under an exception");
    card(out, "allowlisted-count", s.allowlisted, "allowlisted");
    out.push_str("</div>\n");
    if !s.by_kind.is_empty() {
        out.push_str(
            "<table><thead><tr><th>Kind</th><th class=\"num\">Count</th></tr></thead><tbody>",
        );
        for (k, n) in &s.by_kind {
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"num\">{n}</td></tr>",
                esc(k)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    let mut extra = Vec::new();
    if s.unconfirmed > 0 {
        extra.push(format!(
            "{} unconfirmed NHIs (one weak signal to an active person; not findings)",
            s.unconfirmed
        ));
    }
    if s.exposure > 0 {
        extra.push(format!(
            "{} exposure-only secrets (not findings unless --exposure)",
            s.exposure
        ));
    }
    for (why, n) in &s.not_reported {
        extra.push(format!("{n} not reported: {}", esc(why)));
    }
    if !extra.is_empty() {
        let _ = writeln!(out, "<p class=\"muted\">{}</p>", extra.join("; "));
    }
}

/// `report FILE --format html`: the findings file's scan, coverage, summary and findings.
pub(super) fn render(file: &FindingsFile, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(build(file, Utc::now()).as_bytes())
}

fn build(file: &FindingsFile, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let title = match &file.scan.subject {
        Some(s) => format!("nhiscan {} report: {}", file.scan.mode, s.email),
        None => format!("nhiscan {} report", file.scan.mode),
    };
    head(&mut out, &title);
    let _ = writeln!(out, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        out,
        "<p class=\"sub\">Scan <code>{}</code> from {} to {} by {} {}</p>",
        esc(&file.scan.id),
        esc(&file.scan.started_at),
        esc(&file.scan.finished_at),
        esc(&file.tool.name),
        esc(&file.tool.version)
    );
    incomplete_warning(&mut out, &file.coverage);
    for w in &file.scan.warnings {
        let _ = writeln!(out, "<p class=\"warn\">Warning: {}</p>", esc(w));
    }
    if let Some(s) = &file.scan.subject {
        out.push_str("<h2>Who left</h2>\n<table class=\"kv\"><tbody>\n");
        kv(
            &mut out,
            "Email",
            &format!("<span id=\"subject-email\">{}</span>", esc(&s.email)),
        );
        kv(&mut out, "Employee id", &opt(s.employee_id.as_deref()));
        kv(&mut out, "HR status", &esc(&s.status));
        kv(&mut out, "HR end date", &opt(s.end_date.as_deref()));
        kv(&mut out, "Risk", &esc(&s.risk));
        kv(&mut out, "Manager", &opt(s.manager_email.as_deref()));
        kv(
            &mut out,
            "In the HR roster",
            if s.in_roster {
                "yes"
            } else {
                "no (command line only)"
            },
        );
        if !s.identifiers.is_empty() {
            let ids: Vec<String> = s
                .identifiers
                .iter()
                .map(|i| format!("<code>{}</code>", esc(i)))
                .collect();
            kv(&mut out, "Identifiers", &ids.join(", "));
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("<h2>Coverage</h2>\n");
    coverage_table(&mut out, &file.coverage);
    out.push_str("<h2>Summary</h2>\n");
    summary_tables(&mut out, file);
    let _ = writeln!(out, "<h2>Findings ({})</h2>", file.findings.len());
    if file.findings.is_empty() {
        out.push_str("<p>No findings.</p>\n");
    }
    for (n, f) in file.ranked().into_iter().enumerate() {
        let _ = writeln!(
            out,
            "<section class=\"finding\" id=\"f-{}\"><h3>{}. {} {}{}</h3>\n<table class=\"kv\"><tbody>",
            esc(&f.id),
            n + 1,
            sev_badge(f.severity.as_str()),
            if f.exception.is_some() {
                format!("{} ", state_badge("excepted"))
            } else {
                String::new()
            },
            esc(&f.title)
        );
        finding_rows(&mut out, f);
        out.push_str("</tbody></table></section>\n");
    }
    foot(
        &mut out,
        &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    out
}

/// The HR event a case came from, as the store recorded it (never its payload).
#[derive(Debug, Clone)]
pub struct CaseEvent {
    pub id: String,
    pub source: String,
    pub received_at: String,
    pub processed_at: Option<String>,
}

/// One finding of a case: as the store keeps it, as last reported, and its timeline.
#[derive(Debug, Clone)]
pub struct CaseFinding {
    pub stored: StoredFinding,
    pub finding: Option<Finding>,
    pub timeline: Vec<TimelineEntry>,
}

/// A sign-off recorded on a case (an app, or a finding fixed by hand).
#[derive(Debug, Clone)]
pub struct CaseSignoff {
    pub item: String,
    pub by: String,
    pub note: Option<String>,
    pub at: String,
}

/// An approved exception applied to a finding of the case, over the runs it applied in.
#[derive(Debug, Clone)]
pub struct CaseException {
    pub finding_id: String,
    pub reason: String,
    pub approved_by: String,
    pub expires: String,
    pub first_applied: String,
    pub last_applied: String,
}

/// How the case stands against its SLA target.
#[derive(Debug, Clone)]
pub struct CaseSla {
    pub target_hours: i64,
    /// `met`, `missed`, `overdue` or `due`.
    pub verdict: &'static str,
    /// e.g. `SLA met`, `OVERDUE by 2h`, `due in 3h`.
    pub text: String,
}

/// Everything the case page shows, read from the store by the caller.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub case: Case,
    pub store: String,
    pub generated_at: DateTime<Utc>,
    pub sla: CaseSla,
    pub event: Option<CaseEvent>,
    /// Each scan of the case (its whole findings document), oldest first.
    pub runs: Vec<FindingsFile>,
    pub findings: Vec<CaseFinding>,
    pub apps: Vec<CaseApp>,
    pub signoffs: Vec<CaseSignoff>,
    pub exceptions: Vec<CaseException>,
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// `report --case ID --format html`.
pub fn render_case(r: &CaseReport, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(build_case(r).as_bytes())
}

pub(crate) fn build_case(r: &CaseReport) -> String {
    let c = &r.case;
    let mut out = String::new();
    let title = format!("Offboarding audit report: case {} ({})", c.id, c.email);
    head(&mut out, &title);
    let _ = writeln!(
        out,
        "<h1>Offboarding audit report: case <span id=\"case-id\">{}</span></h1>",
        c.id
    );
    let _ = writeln!(
        out,
        "<p class=\"sub\"><span id=\"case-email\">{}</span>{} &middot; status {} &middot; SLA {}</p>",
        esc(&c.email),
        c.name
            .as_deref()
            .map(|n| format!(" ({})", esc(n)))
            .unwrap_or_default(),
        state_badge(&c.status),
        labelled_badge("st", r.sla.verdict, &r.sla.text)
    );

    let count = |st: &str| r.findings.iter().filter(|f| f.stored.state == st).count();
    let apps_pending = r.apps.iter().filter(|a| a.signed_off.is_none()).count();
    let critical_open = r
        .findings
        .iter()
        .filter(|f| f.stored.state == crate::state::OPEN && f.stored.severity == "critical")
        .count();
    out.push_str("<div class=\"cards\">");
    card(&mut out, "finding-count", r.findings.len(), "findings");
    card(&mut out, "open-count", count(crate::state::OPEN), "open");
    card(
        &mut out,
        "critical-open-count",
        critical_open,
        "critical, open",
    );
    card(
        &mut out,
        "resolved-count",
        count(crate::state::RESOLVED),
        "verified gone",
    );
    card(
        &mut out,
        "verified-count",
        count(crate::state::VERIFIED),
        "verified (credential inactive)",
    );
    card(
        &mut out,
        "excepted-count",
        count(crate::state::EXCEPTED),
        "excepted",
    );
    card(
        &mut out,
        "signed-off-count",
        count(crate::state::SIGNED_OFF),
        "signed off",
    );
    card(
        &mut out,
        "apps-pending-count",
        apps_pending,
        "app sign-offs pending",
    );
    card(&mut out, "scan-count", r.runs.len(), "scans");
    out.push_str("</div>\n");
    let after: Vec<&CaseFinding> = r
        .findings
        .iter()
        .filter(|f| {
            f.finding
                .as_ref()
                .is_some_and(|x| x.attributes.contains_key("used_after_departure"))
        })
        .collect();
    if !after.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"warn\"><strong>Used after departure:</strong> {} credential(s) tied to this person were used after their HR end date; see the critical findings below.</p>",
            after.len()
        );
    }
    if let Some(last) = r.runs.last() {
        incomplete_warning(&mut out, &last.coverage);
    } else {
        out.push_str("<p class=\"warn\">No scan has been recorded for this case.</p>\n");
    }

    out.push_str("<h2>Who left</h2>\n<table class=\"kv\"><tbody>\n");
    kv(&mut out, "Email", &esc(&c.email));
    kv(&mut out, "Name", &opt(c.name.as_deref()));
    kv(&mut out, "Employee id", &opt(Some(&c.employee_id)));
    kv(&mut out, "Risk", &esc(&c.risk));
    kv(&mut out, "HR end date", &opt(c.end_date.as_deref()));
    kv(&mut out, "Manager", &opt(c.manager_email.as_deref()));
    out.push_str("</tbody></table>\n");

    out.push_str("<h2>HR event and case</h2>\n<table class=\"kv\"><tbody>\n");
    let source = if c.source == "roster" {
        "HR roster (offboard: status terminated or end date passed)".to_string()
    } else {
        esc(&c.source)
    };
    kv(&mut out, "Case opened from", &source);
    if let Some(e) = &r.event {
        kv(
            &mut out,
            "HR event",
            &format!("<code>{}</code> from {}", esc(&e.id), esc(&e.source)),
        );
        kv(&mut out, "Event received at", &esc(&e.received_at));
        kv(
            &mut out,
            "Event processed at",
            &opt(e.processed_at.as_deref()),
        );
    }
    kv(
        &mut out,
        "Case opened at",
        &format!("<span id=\"opened-at\">{}</span>", esc(&c.opened_at)),
    );
    kv(&mut out, "Case status", &state_badge(&c.status));
    kv(&mut out, "Closed at", &opt(c.closed_at.as_deref()));
    out.push_str("</tbody></table>\n");

    out.push_str("<h2>SLA</h2>\n<table class=\"kv\"><tbody>\n");
    kv(
        &mut out,
        "Target",
        &format!(
            "<span id=\"sla-target\">{}</span> hours from the case opening ({} risk exit)",
            r.sla.target_hours,
            esc(&c.risk)
        ),
    );
    kv(&mut out, "Due", &esc(&c.due_at));
    kv(
        &mut out,
        "Result",
        &format!(
            "<span id=\"sla-verdict\" class=\"badge st-{}\">{}</span>",
            token(r.sla.verdict),
            esc(&r.sla.text)
        ),
    );
    out.push_str("</tbody></table>\n");
    out.push_str("<p class=\"muted\">The case meets its target when every finding is verified gone, excepted or signed off, every application is signed off, and its last scan was complete, all before the due time.</p>\n");

    let _ = writeln!(out, "<h2>Scans ({})</h2>", r.runs.len());
    if r.runs.is_empty() {
        out.push_str("<p>None.</p>\n");
    }
    for (i, run) in r.runs.iter().enumerate() {
        let _ = writeln!(
            out,
            "<h3>Scan {}: <code>{}</code> {}</h3>\n<p class=\"muted\">{} from {} to {}; {} findings</p>",
            i + 1,
            esc(&run.scan.id),
            if run.is_complete() {
                labelled_badge("st", "complete", "complete")
            } else {
                labelled_badge("st", "partial", "incomplete")
            },
            esc(&run.scan.mode),
            esc(&run.scan.started_at),
            esc(&run.scan.finished_at),
            run.findings.len()
        );
        for w in &run.scan.warnings {
            let _ = writeln!(out, "<p class=\"warn\">Warning: {}</p>", esc(w));
        }
        coverage_table(&mut out, &run.coverage);
    }

    let _ = writeln!(out, "<h2>Findings ({})</h2>", r.findings.len());
    if r.findings.is_empty() {
        out.push_str("<p>No findings.</p>\n");
    } else {
        out.push_str("<table><thead><tr><th>#</th><th>State</th><th>Severity</th><th>Kind</th><th>Resource</th><th>Since</th></tr></thead><tbody>\n");
        for (n, f) in r.findings.iter().enumerate() {
            let s = &f.stored;
            let _ = writeln!(
                out,
                "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                n + 1,
                state_badge(&s.state),
                sev_badge(&s.severity),
                esc(&s.kind),
                esc(&s.resource),
                esc(&s.state_at)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    let due = parse_ts(&c.due_at);
    for (n, f) in r.findings.iter().enumerate() {
        let s = &f.stored;
        let _ = writeln!(
            out,
            "<section class=\"finding\" id=\"f-{}\"><h3>{}. {} {} {}</h3>\n<table class=\"kv\"><tbody>",
            esc(&s.id),
            n + 1,
            state_badge(&s.state),
            sev_badge(&s.severity),
            esc(&s.title)
        );
        let mut state = format!("{} since {}", state_badge(&s.state), esc(&s.state_at));
        if let Some(d) = &s.state_detail {
            let _ = write!(state, ": {}", esc(d));
        }
        if s.state != crate::state::OPEN {
            if let (Some(due), Some(at)) = (due, parse_ts(&s.state_at)) {
                state.push_str(if at <= due {
                    " <span class=\"badge st-met\">within SLA</span>"
                } else {
                    " <span class=\"badge st-missed\">after the SLA due time</span>"
                });
            }
        }
        kv(&mut out, "State", &state);
        kv(
            &mut out,
            "Seen",
            &format!("first {}, last {}", esc(&s.first_seen), esc(&s.last_seen)),
        );
        match &f.finding {
            Some(x) => finding_rows(&mut out, x),
            None => {
                kv(
                    &mut out,
                    "Resource",
                    &format!("<code>{}</code>", esc(&s.resource)),
                );
                kv(&mut out, "Kind", &esc(&s.kind));
                kv(&mut out, "Owner", &opt(s.owner.as_deref()));
                kv(
                    &mut out,
                    "Finding id",
                    &format!("<code>{}</code>", esc(&s.id)),
                );
            }
        }
        if !f.timeline.is_empty() {
            let items: Vec<String> = f
                .timeline
                .iter()
                .map(|e| {
                    format!(
                        "<li>{} {}{}{}</li>",
                        esc(&e.at),
                        state_badge(&e.event),
                        e.run_id
                            .as_deref()
                            .map(|r| format!(" run <code>{}</code>", esc(r)))
                            .unwrap_or_default(),
                        if e.detail.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", esc(&e.detail))
                        }
                    )
                })
                .collect();
            kv(
                &mut out,
                "Timeline",
                &format!("<ul>{}</ul>", items.join("")),
            );
        }
        out.push_str("</tbody></table></section>\n");
    }

    let _ = writeln!(
        out,
        "<h2>Applications without an API ({})</h2>",
        r.apps.len()
    );
    if r.apps.is_empty() {
        out.push_str("<p>None on this case.</p>\n");
    } else {
        out.push_str("<table><thead><tr><th>Application</th><th>Owner</th><th>How to remove access</th><th>Sign-off</th></tr></thead><tbody>\n");
        for a in &r.apps {
            let signed = match &a.signed_off {
                Some((by, at, note)) => format!(
                    "{} by {} at {}{}",
                    state_badge("signed_off"),
                    esc(by),
                    esc(at),
                    note.as_deref()
                        .map(|n| format!(": {}", esc(n)))
                        .unwrap_or_default()
                ),
                None => state_badge("pending"),
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{signed}</td></tr>",
                esc(&a.app),
                esc(&a.owner),
                opt(a.how.as_deref())
            );
        }
        out.push_str("</tbody></table>\n");
    }

    let _ = writeln!(out, "<h2>Sign-offs ({})</h2>", r.signoffs.len());
    if r.signoffs.is_empty() {
        out.push_str("<p>None recorded.</p>\n");
    } else {
        out.push_str("<table><thead><tr><th>Item</th><th>By</th><th>At</th><th>Note</th></tr></thead><tbody>\n");
        for s in &r.signoffs {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s.item),
                esc(&s.by),
                esc(&s.at),
                opt(s.note.as_deref())
            );
        }
        out.push_str("</tbody></table>\n");
    }

    let _ = writeln!(out, "<h2>Exceptions ({})</h2>", r.exceptions.len());
    if r.exceptions.is_empty() {
        out.push_str("<p>None applied.</p>\n");
    } else {
        let today = r.generated_at.date_naive();
        out.push_str("<table><thead><tr><th>Finding</th><th>Reason</th><th>Approved by</th><th>Expires</th><th>Applied</th></tr></thead><tbody>\n");
        for x in &r.exceptions {
            let expired = crate::hr::parse_date(&x.expires).is_some_and(|d| d < today);
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{} {}</td><td>{} to {}</td></tr>",
                esc(&x.finding_id),
                esc(&x.reason),
                esc(&x.approved_by),
                esc(&x.expires),
                state_badge(if expired { "expired" } else { "in force" }),
                esc(&x.first_applied),
                esc(&x.last_applied)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    foot(
        &mut out,
        &format!(
            "{} from the state store {}",
            r.generated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            r.store
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample;

    fn hostile(file: &mut FindingsFile) {
        let f = &mut file.findings[0];
        f.title = "<script>alert(1)</script> \"quoted\" & 'single'".into();
        f.evidence[0].detail = "<img src=x onerror=alert(2)>\u{202e}gnp.exe\u{1b}[31m".into();
        f.resource = "arn:x\"><a href=\"https://evil.example/\">".into();
    }

    #[test]
    fn esc_covers_markup_quotes_controls_and_bidi() {
        assert_eq!(
            esc("<a href='x'>\"&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(esc("a\u{202e}b"), "a&lt;U+202E&gt;b");
        assert_eq!(esc("a\u{1b}b\u{0}"), "a\u{fffd}b\u{fffd}");
        assert_eq!(token("Signed_Off\"><x"), "signed_offx");
    }

    #[test]
    fn findings_file_page_escapes_hostile_strings_and_is_self_contained() {
        let mut file = sample();
        hostile(&mut file);
        let html = build(&file, Utc::now());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<a "), "{html}");
        assert!(html.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; &#39;single&#39;"
        ));
        assert!(
            html.contains("&lt;img src=x onerror=alert(2)&gt;&lt;U+202E&gt;gnp.exe\u{fffd}[31m")
        );
        assert!(!html.contains('\u{202e}'));
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
        assert!(html.contains("default-src 'none'"));
        assert!(html.contains(&format!(
            "<div class=\"n\" id=\"finding-count\">{}</div>",
            file.findings.len()
        )));
        assert!(html.contains("id=\"subject-email\">alice@acme.example<"));
        assert!(html.contains("Incomplete scan"));
        assert!(html.contains("AccessDenied: iam:ListUsers"));
        assert!(html.contains("AKIA…MPLE"));
        assert!(html.contains("legal hold, case 2291"));
        assert!(html.trim_end().ends_with("</html>"));
    }

    fn case_report(file: &FindingsFile) -> CaseReport {
        let case = Case {
            id: 7,
            email: "alice@acme.example".into(),
            employee_id: "E1".into(),
            name: Some("Alice <b>Archer</b>".into()),
            risk: "high".into(),
            end_date: Some("2026-11-20".into()),
            manager_email: Some("dave@acme.example".into()),
            opened_at: "2026-12-01T09:00:00Z".into(),
            source: "event:evt-42".into(),
            due_at: "2026-12-01T13:00:00Z".into(),
            closed_at: None,
            status: "open".into(),
        };
        let findings = file
            .findings
            .iter()
            .enumerate()
            .map(|(i, f)| CaseFinding {
                stored: StoredFinding {
                    id: f.id.clone(),
                    scope: "leaver:alice@acme.example".into(),
                    kind: f.kind.as_str().into(),
                    resource: f.resource.clone(),
                    owner: f.owner.clone(),
                    severity: f.severity.as_str().into(),
                    title: f.title.clone(),
                    first_seen: "2026-12-01T09:05:00Z".into(),
                    last_seen: "2026-12-01T09:05:00Z".into(),
                    state: if i == 1 { "resolved" } else { "open" }.into(),
                    state_at: if i == 1 {
                        "2026-12-01T15:00:00Z"
                    } else {
                        "2026-12-01T09:05:00Z"
                    }
                    .into(),
                    state_detail: (i == 1).then(|| "absent from complete run r2".to_string()),
                    data: serde_json::to_string(f).unwrap(),
                },
                finding: Some(f.clone()),
                timeline: vec![TimelineEntry {
                    at: "2026-12-01T09:05:00Z".into(),
                    scope: "leaver:alice@acme.example".into(),
                    run_id: Some("r1".into()),
                    event: "first_seen".into(),
                    detail: f.title.clone(),
                }],
            })
            .collect();
        CaseReport {
            case,
            store: "state/nhiscan.db".into(),
            generated_at: "2026-12-02T00:00:00Z".parse().unwrap(),
            sla: CaseSla {
                target_hours: 4,
                verdict: "overdue",
                text: "OVERDUE by 11h".into(),
            },
            event: Some(CaseEvent {
                id: "evt-42".into(),
                source: "scim".into(),
                received_at: "2026-12-01T08:59:58Z".into(),
                processed_at: Some("2026-12-01T09:00:00Z".into()),
            }),
            runs: vec![file.clone()],
            findings,
            apps: vec![
                CaseApp {
                    app: "Payroll".into(),
                    owner: "fin-ops@acme.example".into(),
                    how: Some("disable <the> user".into()),
                    signed_off: Some((
                        "fin@acme.example".into(),
                        "2026-12-01T10:00:00Z".into(),
                        Some("done <script>".into()),
                    )),
                },
                CaseApp {
                    app: "Wiki".into(),
                    owner: "it@acme.example".into(),
                    how: None,
                    signed_off: None,
                },
            ],
            signoffs: vec![CaseSignoff {
                item: "app:Payroll".into(),
                by: "fin@acme.example".into(),
                note: Some("done <script>".into()),
                at: "2026-12-01T10:00:00Z".into(),
            }],
            exceptions: vec![CaseException {
                finding_id: "c3".into(),
                reason: "legal hold, case 2291".into(),
                approved_by: "ciso@acme.example".into(),
                expires: "2026-11-30".into(),
                first_applied: "2026-12-01T09:05:00Z".into(),
                last_applied: "2026-12-01T09:05:00Z".into(),
            }],
        }
    }

    #[test]
    fn case_page_shows_the_case_numbers_and_escapes() {
        let mut file = sample();
        hostile(&mut file);
        let r = case_report(&file);
        let html = build_case(&r);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("id=\"case-id\">7<"));
        assert!(html.contains("id=\"case-email\">alice@acme.example<"));
        let n = file.findings.len();
        assert!(
            html.contains(&format!("id=\"finding-count\">{n}<")),
            "{html}"
        );
        assert!(html.contains(&format!("id=\"open-count\">{}<", n - 1)));
        assert!(html.contains("id=\"resolved-count\">1<"));
        assert!(html.contains("id=\"apps-pending-count\">1<"));
        assert!(html.contains("id=\"sla-target\">4<"));
        assert!(html.contains("OVERDUE by 11h"));
        assert!(html.contains("after the SLA due time"));
        assert!(html.contains("evt-42"));
        assert!(html.contains("2026-12-01T08:59:58Z"));
        assert!(html.contains("dave@acme.example"));
        assert!(html.contains("2026-11-20"));
        assert!(html.contains("ciso@acme.example"));
        assert!(html.contains("badge st-expired"));
        assert!(html.contains("badge st-pending"));
        assert!(html.contains("AccessDenied: iam:ListUsers"));
        assert!(html.contains(&format!("<h2>Findings ({n})</h2>")));
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    }
}
