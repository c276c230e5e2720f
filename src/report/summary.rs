//! The end-of-run summary printed to the terminal: mode and subject, coverage (every
//! source that was not scanned completely on its own `INCOMPLETE:` line), counts by
//! severity and kind, and the top findings one per line.
//!
//! Plain text, no colour. Every string from a scanned system goes through
//! [`sanitize_terminal`], so a hostile commit author or tag cannot send escape sequences
//! to the user's terminal. Findings only carry redacted secrets, and none is printed here.

use super::FindingsFile;
use crate::model::{Action, CoverageStatus, Finding, Severity};
use std::fmt::Write as _;

/// The word for a coverage status, as the findings file spells it.
pub(crate) fn status_word(s: CoverageStatus) -> &'static str {
    match s {
        CoverageStatus::Complete => "complete",
        CoverageStatus::Partial => "partial",
        CoverageStatus::Failed => "failed",
    }
}

/// Replace control characters (ESC, CR, BEL, ...) with their escaped form so the string
/// prints as one inert line.
pub fn sanitize_terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// How many errors of one source to show before `(+N more)`.
const ERRORS_SHOWN: usize = 3;

/// The remediation action as one short word for a terminal column.
pub(crate) fn action_word(a: Action) -> &'static str {
    match a {
        Action::Revoke => "revoke",
        Action::Rotate => "rotate",
        Action::Disable => "disable",
        Action::Delete => "delete",
        Action::TransferOwnership => "transfer",
        Action::Review => "review",
    }
}

/// One line for a finding: severity, action, kind, resource, owner relation/confidence.
pub(crate) fn finding_line(f: &Finding) -> String {
    let mut line = format!(
        "{:<8}  {:<8}  {:<22}  {}  {} {}",
        f.severity.as_str().to_uppercase(),
        action_word(f.remediation.action),
        f.kind.as_str(),
        sanitize_terminal(&f.resource),
        sanitize_terminal(super::owner_label(f)),
        super::relation_label(f),
    );
    if f.exception.is_some() {
        line.push_str("  [excepted]");
    }
    line
}

/// Counts of open findings (not under an exception) by remediation action, in the order
/// a responder works: cut live access, then rotate what they knew, then hand over.
fn actions_line(file: &FindingsFile) -> Option<String> {
    let order = [
        Action::Disable,
        Action::Revoke,
        Action::Rotate,
        Action::Delete,
        Action::TransferOwnership,
        Action::Review,
    ];
    let parts: Vec<String> = order
        .iter()
        .filter_map(|a| {
            let n = file
                .findings
                .iter()
                .filter(|f| f.exception.is_none() && f.remediation.action == *a)
                .count();
            (n > 0).then(|| format!("{} {n}", action_word(*a)))
        })
        .collect();
    (!parts.is_empty()).then(|| format!("To do: {}", parts.join(", ")))
}

/// The readable end-of-run summary; `top` is how many findings to list.
pub fn terminal_summary(file: &FindingsFile, top: usize) -> String {
    let mut out = String::new();
    let _ = build(&mut out, file, top);
    out
}

fn build(out: &mut String, file: &FindingsFile, top: usize) -> std::fmt::Result {
    let mode = sanitize_terminal(&file.scan.mode);
    match &file.scan.subject {
        Some(s) => {
            let mut who = sanitize_terminal(&s.email);
            if let Some(id) = &s.employee_id {
                let _ = write!(who, " ({})", sanitize_terminal(id));
            }
            let roster = if s.in_roster {
                ""
            } else {
                ", not in HR roster"
            };
            writeln!(
                out,
                "nhiscan {mode}: {who}: {}, risk {}{roster}",
                sanitize_terminal(&s.status),
                sanitize_terminal(&s.risk)
            )?;
        }
        None => writeln!(out, "nhiscan {mode}")?,
    }
    for w in &file.scan.warnings {
        writeln!(out, "WARNING: {}", sanitize_terminal(w))?;
    }

    let complete = file
        .coverage
        .iter()
        .filter(|c| c.status == CoverageStatus::Complete)
        .count();
    let items: u64 = file.coverage.iter().map(|c| c.items_scanned).sum();
    if file.coverage.is_empty() {
        writeln!(out, "INCOMPLETE: no sources were scanned")?;
    } else {
        writeln!(
            out,
            "Coverage: {complete} of {} sources complete, {items} items scanned",
            file.coverage.len()
        )?;
    }
    for c in file.incomplete_sources() {
        let mut errs: Vec<String> = c
            .errors
            .iter()
            .take(ERRORS_SHOWN)
            .map(|e| sanitize_terminal(e))
            .collect();
        if c.errors.len() > ERRORS_SHOWN {
            errs.push(format!("(+{} more)", c.errors.len() - ERRORS_SHOWN));
        }
        let why = if errs.is_empty() {
            "no error recorded".to_string()
        } else {
            errs.join("; ")
        };
        writeln!(
            out,
            "INCOMPLETE: {} {}: {why}",
            sanitize_terminal(&c.connector),
            status_word(c.status)
        )?;
    }

    // What the allowlist kept out, and what it was overruled on, is said, never silent.
    for c in &file.coverage {
        let name = sanitize_terminal(&c.connector);
        if let Some(n) = c.skipped.get("allowlisted").filter(|n| **n > 0) {
            writeln!(
                out,
                "Allowlisted: {name}: {n} items not scanned (allowlisted paths)"
            )?;
        }
        for note in &c.notes {
            writeln!(out, "NOTE: {name}: {}", sanitize_terminal(note))?;
        }
    }

    let sev: Vec<String> = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ]
    .iter()
    .filter_map(|s| {
        file.summary
            .by_severity
            .get(s.as_str())
            .map(|n| format!("{} {n}", s.as_str()))
    })
    .collect();
    if file.summary.allowlisted > 0 {
        writeln!(
            out,
            "Allowlisted: {} finding(s) dropped by id or commit:path entry (.nhiscanignore)",
            file.summary.allowlisted
        )?;
    }
    // Left out on purpose, and how to see it: never silent.
    if file.summary.unconfirmed > 0 {
        writeln!(
            out,
            "Not reported: {} NHI(s) with an unconfirmed active owner (one weak signal ties each to an active person); list them with `nhiscan sweep --unconfirmed`",
            file.summary.unconfirmed
        )?;
    }
    if file.summary.exposure > 0 {
        writeln!(
            out,
            "Not listed: {} secret(s) the leaver could read in repositories they committed to (exposure); list them with `--exposure`",
            file.summary.exposure
        )?;
    }
    for (reason, n) in &file.summary.not_reported {
        let what = match reason.as_str() {
            "aws_managed_role" => "role(s) AWS created for its own services and landing zones",
            "idle_system_account" => "no-login system account(s) without keys",
            other => other,
        };
        writeln!(
            out,
            "Not reported: {n} {what}, tied to nobody ({})",
            sanitize_terminal(reason)
        )?;
    }
    if file.findings.is_empty() {
        if file.is_complete() && !file.coverage.is_empty() {
            writeln!(out, "Findings: none")?;
        } else {
            writeln!(out, "Findings: none in the sources that were scanned; the scan is INCOMPLETE, so this is not a clean result")?;
        }
        return Ok(());
    }
    let mut line = format!("Findings: {}", file.findings.len());
    if !sev.is_empty() {
        let _ = write!(line, " ({})", sev.join(", "));
    }
    if file.summary.excepted > 0 {
        let _ = write!(line, ", {} under exception", file.summary.excepted);
    }
    writeln!(out, "{line}")?;
    let kinds: Vec<String> = file
        .summary
        .by_kind
        .iter()
        .map(|(k, n)| format!("{} {n}", sanitize_terminal(k)))
        .collect();
    if !kinds.is_empty() {
        writeln!(out, "By kind: {}", kinds.join(", "))?;
    }
    if let Some(line) = actions_line(file) {
        writeln!(
            out,
            "{line} (each finding's remediation.detail says how, in order)"
        )?;
    }
    if top > 0 {
        let ranked = file.ranked();
        let shown = ranked.len().min(top);
        if shown < ranked.len() {
            writeln!(out, "Top {shown} of {}:", ranked.len())?;
        } else {
            writeln!(out, "Findings by severity:")?;
        }
        for f in ranked.iter().take(shown) {
            writeln!(out, "  {}", finding_line(f))?;
            writeln!(out, "            {}", sanitize_terminal(&f.title))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample;

    #[test]
    fn a_scan_of_no_sources_is_never_complete() {
        let mut f = sample();
        f.coverage.retain(|c| c.is_complete());
        assert!(f.is_complete());
        assert!(crate::pipeline::complete(&f));
        f.coverage.clear();
        assert!(!f.is_complete());
        assert!(!crate::pipeline::complete(&f));
        let s = terminal_summary(&f, 2);
        assert!(s.contains("INCOMPLETE: no sources were scanned"), "{s}");
    }

    #[test]
    fn summary_is_loud_about_incomplete_sources_and_ranks_findings() {
        let s = terminal_summary(&sample(), 2);
        assert!(
            s.starts_with("nhiscan leaver: alice@acme.example (E1001): terminated, risk high\n"),
            "{s}"
        );
        assert!(
            s.contains("\nINCOMPLETE: aws:prod failed: AccessDenied: iam:ListUsers\n"),
            "{s}"
        );
        assert!(
            s.contains("Findings: 4 (critical 1, high 1, medium 1, low 1), 1 under exception"),
            "{s}"
        );
        assert!(s.contains("Top 2 of 4:"));
        let lines: Vec<&str> = s
            .lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains("CRITICAL") && lines[0].contains("secret_in_repo"));
        assert!(lines[0].contains("alice@acme.example authored/likely"));
        assert!(lines[1].starts_with("  HIGH"));
        assert!(
            !s.contains("ab".repeat(32).as_str()),
            "no secret material at all"
        );
    }

    #[test]
    fn summary_says_what_to_do_and_ranks_excepted_findings_last() {
        let mut f = sample();
        // Make the excepted finding the most severe: it still goes after the open ones.
        let exc = f
            .findings
            .iter_mut()
            .find(|x| x.exception.is_some())
            .expect("sample has an excepted finding");
        exc.severity = Severity::Critical;
        exc.confidence = crate::model::Confidence::Confirmed;
        let exc_resource = exc.resource.clone();
        f.summarize();
        let ranked = f.ranked();
        assert_eq!(ranked.last().unwrap().resource, exc_resource);
        let s = terminal_summary(&f, 10);
        // Excepted findings are not counted as work to do.
        let open: Vec<&Finding> = f
            .findings
            .iter()
            .filter(|x| x.exception.is_none())
            .collect();
        let rotate = open
            .iter()
            .filter(|x| x.remediation.action == Action::Rotate)
            .count();
        assert!(s.contains(&format!("rotate {rotate}")), "{s}");
        assert!(s.contains("To do: "), "{s}");
        // Each listed finding: severity, action, then its title on the next line.
        let lines: Vec<&str> = s.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.starts_with("  CRITICAL"))
            .expect("a critical line");
        let first = ranked[0];
        assert!(
            lines[i].contains(action_word(first.remediation.action)),
            "{s}"
        );
        assert_eq!(lines[i + 1].trim(), sanitize_terminal(&first.title));
        assert!(lines[lines.len() - 2].contains("[excepted]"), "{s}");
    }

    #[test]
    fn empty_incomplete_scan_never_looks_clean() {
        let mut f = sample();
        f.findings.clear();
        f.summarize();
        let s = terminal_summary(&f, 10);
        assert!(s.contains("not a clean result"), "{s}");
        f.coverage.retain(|c| c.is_complete());
        assert!(terminal_summary(&f, 10).contains("Findings: none\n"));
    }

    #[test]
    fn control_characters_are_neutralised() {
        let mut f = sample();
        f.findings[0].resource = "evil\u{1b}[2J\rx".into();
        let s = terminal_summary(&f, 10);
        assert!(!s.contains('\u{1b}') && !s.contains('\r'));
        assert!(s.contains("evil\\u{1b}[2J\\rx"), "{s}");
    }
}
