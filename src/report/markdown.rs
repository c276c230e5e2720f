//! Markdown report for humans and tickets (GitHub-flavoured: tables, code spans).
//!
//! Layout: a header (mode, subject, scan id and times), a loud warning when any source was
//! not scanned completely, the coverage table, counts by severity and kind, then the
//! findings grouped by severity (critical first), each with resource, owner,
//! relation/confidence, evidence and remediation.
//!
//! Every string that came from a scanned system is escaped with [`text`] (Markdown and
//! HTML metacharacters, line breaks), or shown as a [`code`] span, so a hostile commit
//! author, tag or path cannot inject links, images, HTML or table cells.

use super::FindingsFile;
use crate::model::{CoverageStatus, Finding, Severity};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Escape text for Markdown prose and table cells: one line, no active markup.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            // Line-start markers (`-`, `+`, `1.`) need no escape: escaped text never starts
            // a line here. `$` is GitHub math.
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '!' | '|' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A code span holding `s` verbatim: fenced with more backticks than `s` contains in a
/// row, on one line; in tables `|` must still be escaped (GFM splits cells first).
pub(crate) fn code(s: &str, in_table: bool) -> String {
    let mut s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if in_table {
        s = s.replace('|', "\\|");
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A space on each side keeps a leading or trailing backtick from joining the fence.
    if s.starts_with('`') || s.ends_with('`') || s.is_empty() {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

fn heading(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

fn word<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn finding(out: &mut String, n: usize, f: &Finding) -> std::fmt::Result {
    writeln!(out, "#### {n}. {}", text(&f.title))?;
    writeln!(out)?;
    writeln!(out, "- **Resource:** {}", code(&f.resource, false))?;
    writeln!(
        out,
        "- **Kind:** {} on {}",
        f.kind.as_str(),
        code(&f.connector, false)
    )?;
    let owner = match &f.owner {
        Some(o) => text(o),
        None => "*none*".to_string(),
    };
    writeln!(
        out,
        "- **Owner:** {owner} ({}, {} confidence)",
        f.relation.map(|r| r.as_str()).unwrap_or("no relation"),
        f.confidence.as_str()
    )?;
    let mut status = format!("- **Status:** {}", word(&f.status));
    if let Some(t) = f.created_at {
        let _ = write!(status, "; created {}", t.to_rfc3339());
    }
    if let Some(t) = f.last_used_at {
        let _ = write!(status, "; last used {}", t.to_rfc3339());
    }
    writeln!(out, "{status}")?;
    if let Some(s) = &f.secret {
        writeln!(
            out,
            "- **Secret:** {} (sha256 {})",
            code(&s.redacted, false),
            code(&s.sha256, false)
        )?;
    }
    if let Some(r) = &f.rule {
        writeln!(out, "- **Rule:** {}", code(r, false))?;
    }
    if let Some(l) = &f.location {
        let mut where_ = match &l.repo {
            Some(r) => format!(
                "{} {}",
                code(r, false),
                code(&format!("{}:{}", l.path, l.line), false)
            ),
            None => code(&format!("{}:{}", l.path, l.line), false),
        };
        if let Some(c) = &l.commit {
            let _ = write!(where_, ", commit {}", code(c, false));
        }
        match (&l.author_name, &l.author_email) {
            (Some(n), Some(e)) => {
                let _ = write!(where_, " by {} &lt;{}&gt;", text(n), text(e));
            }
            (Some(x), None) | (None, Some(x)) => {
                let _ = write!(where_, " by {}", text(x));
            }
            (None, None) => {}
        }
        where_.push_str(if l.in_head {
            " (still in HEAD)"
        } else {
            " (history only)"
        });
        writeln!(out, "- **Location:** {where_}")?;
    }
    if !f.evidence.is_empty() {
        writeln!(out, "- **Evidence:**")?;
        for e in &f.evidence {
            writeln!(out, "  - {}: {}", code(&e.source, false), text(&e.detail))?;
        }
    }
    writeln!(
        out,
        "- **Remediation:** **{}**: {}",
        word(&f.remediation.action),
        text(&f.remediation.detail)
    )?;
    if let Some(e) = &f.exception {
        writeln!(
            out,
            "- **Exception:** {} (approved by {}, expires {})",
            text(&e.reason),
            text(&e.approved_by),
            text(&e.expires)
        )?;
    }
    writeln!(out, "- **Finding id:** {}", code(&f.id, false))?;
    writeln!(out)
}

fn build(file: &FindingsFile) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    let mode = text(&file.scan.mode);
    match &file.scan.subject {
        Some(s) => writeln!(out, "# nhiscan {mode} report: {}", text(&s.email))?,
        None => writeln!(out, "# nhiscan {mode} report")?,
    }
    writeln!(out)?;
    if let Some(s) = &file.scan.subject {
        let mut line = format!("**Subject:** {}", text(&s.email));
        if let Some(id) = &s.employee_id {
            let _ = write!(line, " ({})", text(id));
        }
        let _ = write!(line, "; status {}; risk {}", text(&s.status), text(&s.risk));
        if let Some(d) = &s.end_date {
            let _ = write!(line, "; end date {}", text(d));
        }
        writeln!(out, "{line}  ")?;
        if !s.identifiers.is_empty() {
            let ids: Vec<String> = s.identifiers.iter().map(|i| code(i, false)).collect();
            writeln!(out, "**Identifiers:** {}  ", ids.join(", "))?;
        }
    }
    writeln!(
        out,
        "**Scan:** {} from {} to {}; {} {}",
        code(&file.scan.id, false),
        text(&file.scan.started_at),
        text(&file.scan.finished_at),
        text(&file.tool.name),
        text(&file.tool.version)
    )?;
    writeln!(out)?;

    let incomplete: Vec<_> = file.incomplete_sources().collect();
    if !incomplete.is_empty() {
        writeln!(
            out,
            "> **⚠ INCOMPLETE SCAN:** {} of {} sources were not scanned completely. \
             Missing findings from them do not mean there is nothing there.",
            incomplete.len(),
            file.coverage.len()
        )?;
        writeln!(out)?;
    }
    for w in &file.scan.warnings {
        writeln!(out, "> Warning: {}", text(w))?;
    }
    if !file.scan.warnings.is_empty() {
        writeln!(out)?;
    }

    writeln!(out, "## Coverage")?;
    writeln!(out)?;
    if file.coverage.is_empty() {
        writeln!(out, "**No sources were scanned.**")?;
    } else {
        writeln!(out, "| Source | Status | Items scanned | Errors |")?;
        writeln!(out, "| --- | --- | ---: | --- |")?;
        for c in &file.coverage {
            let status = match c.status {
                CoverageStatus::Complete => "complete".to_string(),
                s => format!("**⚠ {}**", super::summary::status_word(s).to_uppercase()),
            };
            let errors: Vec<String> = c.errors.iter().map(|e| text(e)).collect();
            writeln!(
                out,
                "| {} | {status} | {} | {} |",
                code(&c.connector, true),
                c.items_scanned,
                errors.join("<br>")
            )?;
        }
    }
    writeln!(out)?;

    writeln!(out, "## Summary")?;
    writeln!(out)?;
    let mut total = format!("**{} findings**", file.summary.total);
    if file.summary.excepted > 0 {
        let _ = write!(
            total,
            " ({} under an approved exception)",
            file.summary.excepted
        );
    }
    writeln!(out, "{total}")?;
    writeln!(out)?;
    if !file.summary.by_severity.is_empty() {
        writeln!(out, "| Severity | Count |")?;
        writeln!(out, "| --- | ---: |")?;
        for s in [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Info,
        ] {
            if let Some(n) = file.summary.by_severity.get(s.as_str()) {
                writeln!(out, "| {} | {n} |", s.as_str())?;
            }
        }
        writeln!(out)?;
        writeln!(out, "| Kind | Count |")?;
        writeln!(out, "| --- | ---: |")?;
        for (k, n) in &file.summary.by_kind {
            writeln!(out, "| {} | {n} |", text(k))?;
        }
        writeln!(out)?;
    }

    writeln!(out, "## Findings")?;
    writeln!(out)?;
    if file.findings.is_empty() {
        writeln!(out, "No findings.")?;
        writeln!(out)?;
    }
    let ranked = file.ranked();
    let mut n = 0;
    for sev in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let group: Vec<&&Finding> = ranked.iter().filter(|f| f.severity == sev).collect();
        if group.is_empty() {
            continue;
        }
        writeln!(out, "### {} ({})", heading(sev), group.len())?;
        writeln!(out)?;
        for f in group {
            n += 1;
            finding(&mut out, n, f)?;
        }
    }
    Ok(out)
}

pub(super) fn render(file: &FindingsFile, w: &mut dyn Write) -> io::Result<()> {
    let s = build(file).map_err(|_| io::Error::other("formatting the Markdown report"))?;
    w.write_all(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample;

    fn md() -> String {
        let mut out = Vec::new();
        render(&sample(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_pipes_and_markup() {
        assert_eq!(text("a|b"), "a\\|b");
        assert_eq!(text("[x](http://e)"), "\\[x\\](http://e)");
        assert_eq!(text("<img src=x>"), "&lt;img src=x&gt;");
        assert_eq!(text("line\nbreak"), "line break");
        assert_eq!(code("a`b", false), "``a`b``");
        assert_eq!(code("a|b", true), "`a\\|b`");
        let md = md();
        assert!(md.contains("AWS key committed by alice \\| =cmd"), "{md}");
        assert!(!md.contains("alice | =cmd"));
        assert!(
            md.contains("by =HYPERLINK(\"http://x\") &lt;@alice@acme.example&gt;"),
            "{md}"
        );
    }

    #[test]
    fn structure_and_loud_incomplete_coverage() {
        let md = md();
        assert!(md.starts_with("# nhiscan leaver report: alice@acme.example"));
        assert!(md.contains("INCOMPLETE SCAN"));
        assert!(
            md.contains("| `aws:prod` | **⚠ FAILED** | 0 | AccessDenied: iam:ListUsers |"),
            "{md}"
        );
        // Severity groups in order, critical first.
        let c = md.find("### Critical (1)").unwrap();
        let h = md.find("### High (1)").unwrap();
        let m = md.find("### Medium (1)").unwrap();
        let l = md.find("### Low (1)").unwrap();
        assert!(c < h && h < m && m < l);
        assert!(md.contains("- **Remediation:** **rotate**"));
        assert!(md.contains("**Exception:** legal hold, case 2291"));
        assert!(md.contains("`AKIA…MPLE`"));
    }
}
