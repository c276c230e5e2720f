//! CSV: one row per finding, flat columns, for spreadsheets and SIEM imports.
//!
//! Columns (fixed order; new ones are only ever appended): id, kind, connector, resource,
//! title, owner, relation, confidence, severity, status, created_at, last_used_at,
//! secret_redacted, secret_sha256, rule, repo, path, line, commit, author_email, in_head,
//! remediation_action, remediation_detail, exception_reason, exception_expires, evidence,
//! exception_approved_by.
//! Absent values are empty cells; `evidence` is `source: detail` items joined by ` | `.
//!
//! Findings carry attacker-controlled strings (commit author names, file paths, tags), and
//! spreadsheets execute cells that start with a formula character. Every cell that starts
//! with `=`, `+`, `-`, `@`, tab or carriage return (after any leading spaces) is prefixed
//! with `'`, as OWASP recommends for CSV injection.

use super::FindingsFile;
use crate::model::Finding;
use std::borrow::Cow;
use std::io::{self, Write};

pub(crate) const COLUMNS: [&str; 27] = [
    "id",
    "kind",
    "connector",
    "resource",
    "title",
    "owner",
    "relation",
    "confidence",
    "severity",
    "status",
    "created_at",
    "last_used_at",
    "secret_redacted",
    "secret_sha256",
    "rule",
    "repo",
    "path",
    "line",
    "commit",
    "author_email",
    "in_head",
    "remediation_action",
    "remediation_detail",
    "exception_reason",
    "exception_expires",
    "evidence",
    "exception_approved_by",
];

/// Neutralise a cell against spreadsheet formula injection (see the module doc).
pub(crate) fn neutralise(s: &str) -> Cow<'_, str> {
    let first = s.trim_start_matches(' ').chars().next();
    match first {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// An enum as its serialised snake_case name (the same word the JSON document uses).
fn word<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn row(f: &Finding) -> Vec<String> {
    let loc = f.location.as_ref();
    let opt = |o: Option<&String>| o.cloned().unwrap_or_default();
    vec![
        f.id.clone(),
        f.kind.as_str().to_string(),
        f.connector.clone(),
        f.resource.clone(),
        f.title.clone(),
        opt(f.owner.as_ref()),
        f.relation
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
        f.confidence.as_str().to_string(),
        f.severity.as_str().to_string(),
        word(&f.status),
        f.created_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        f.last_used_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        f.secret
            .as_ref()
            .map(|s| s.redacted.clone())
            .unwrap_or_default(),
        f.secret
            .as_ref()
            .map(|s| s.sha256.clone())
            .unwrap_or_default(),
        opt(f.rule.as_ref()),
        opt(loc.and_then(|l| l.repo.as_ref())),
        loc.map(|l| l.path.clone()).unwrap_or_default(),
        loc.map(|l| l.line.to_string()).unwrap_or_default(),
        opt(loc.and_then(|l| l.commit.as_ref())),
        opt(loc.and_then(|l| l.author_email.as_ref())),
        loc.map(|l| l.in_head.to_string()).unwrap_or_default(),
        word(&f.remediation.action),
        f.remediation.detail.clone(),
        f.exception
            .as_ref()
            .map(|e| e.reason.clone())
            .unwrap_or_default(),
        f.exception
            .as_ref()
            .map(|e| e.expires.clone())
            .unwrap_or_default(),
        f.evidence
            .iter()
            .map(|e| format!("{}: {}", e.source, e.detail))
            .collect::<Vec<_>>()
            .join(" | "),
        f.exception
            .as_ref()
            .map(|e| e.approved_by.clone())
            .unwrap_or_default(),
    ]
}

pub(super) fn render(file: &FindingsFile, w: &mut dyn Write) -> io::Result<()> {
    let mut out = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(w);
    out.write_record(COLUMNS).map_err(io::Error::from)?;
    for f in &file.findings {
        let cells = row(f);
        out.write_record(cells.iter().map(|c| neutralise(c).into_owned()))
            .map_err(io::Error::from)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample;

    fn rows() -> Vec<Vec<String>> {
        let mut out = Vec::new();
        render(&sample(), &mut out).unwrap();
        let mut r = ::csv::Reader::from_reader(out.as_slice());
        assert_eq!(
            r.headers().unwrap().iter().collect::<Vec<_>>(),
            COLUMNS.to_vec()
        );
        r.records()
            .map(|x| x.unwrap().iter().map(String::from).collect())
            .collect()
    }

    #[test]
    fn one_row_per_finding_with_flat_columns() {
        let rows = rows();
        assert_eq!(rows.len(), 4);
        let key = &rows[0];
        assert_eq!(key[1], "aws_access_key");
        assert_eq!(key[9], "active");
        assert_eq!(key[12], "AKIA…MPLE");
        assert_eq!(key[21], "rotate");
        assert_eq!(rows[2][5], "", "orphan has no owner");
        assert_eq!(rows[3][23], "legal hold, case 2291");
        assert_eq!(rows[1][17], "12");
        assert_eq!(rows[1][20], "false");
    }

    #[test]
    fn formula_injection_is_neutralised() {
        let rows = rows();
        let repo = &rows[1];
        assert_eq!(repo[16], "'-evil|path.py");
        assert_eq!(repo[19], "'@alice@acme.example");
        for row in &rows {
            for cell in row {
                let c = cell.trim_start_matches(' ');
                assert!(
                    !c.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "unneutralised cell {cell:?}"
                );
            }
        }
        assert_eq!(neutralise("  =1+1"), "'  =1+1");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("safe=1"), "safe=1");
    }

    proptest::proptest! {
        #[test]
        fn neutralised_cells_never_start_a_formula(s in "[\\t\\r =+@-]{0,3}\\PC{0,30}") {
            let n = neutralise(&s);
            let first = n.trim_start_matches(' ').chars().next();
            proptest::prop_assert!(!matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')));
        }
    }
}
