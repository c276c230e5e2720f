//! Comparing two findings files by finding id (ids are stable across runs: same NHI,
//! same rule, same id).
//!
//! - `new`: ids only in the new file.
//! - `resolved`: ids only in the old file, whose source the new scan covered completely.
//! - `unverified`: ids only in the old file whose source the new scan did *not* cover
//!   completely (partial, failed, or absent from its `coverage`). Their absence proves
//!   nothing, so they are never reported as resolved: an incomplete scan must not look
//!   clean. `resolved` + `unverified` is every id that disappeared.
//! - `unchanged`: ids in both (the new file's version of each finding).
//! - `changed`: the subset of `unchanged` whose severity, status, owner, relation,
//!   confidence, resource, `location.in_head` or exception changed, with each field's old
//!   and new value.
//!
//! Order: `new` and `unchanged` follow the new file, `resolved` and `unverified` the old.
//! A duplicated id in one file counts once (its first occurrence).

use super::FindingsFile;
use crate::model::{coverage_unit, CoverageStatus, Finding};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Diff {
    pub new: Vec<Finding>,
    pub resolved: Vec<Finding>,
    pub unchanged: Vec<Finding>,
    pub changed: Vec<Change>,
    pub unverified: Vec<Finding>,
    /// Whether every source of the new scan was scanned completely.
    pub new_scan_complete: bool,
}

/// A finding present in both files whose triage-relevant fields moved.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub id: String,
    pub fields: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

fn word<T: Serialize>(v: &T) -> Option<String> {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => Some(s),
        Ok(Value::Null) | Err(_) => None,
        Ok(other) => Some(other.to_string()),
    }
}

fn changes(old: &Finding, new: &Finding) -> Vec<FieldChange> {
    let pairs = [
        ("severity", word(&old.severity), word(&new.severity)),
        ("status", word(&old.status), word(&new.status)),
        ("owner", old.owner.clone(), new.owner.clone()),
        ("relation", word(&old.relation), word(&new.relation)),
        ("confidence", word(&old.confidence), word(&new.confidence)),
        // A secret removed from HEAD moves from `repo:path:line` to `repo@commit:...`.
        (
            "resource",
            Some(old.resource.clone()),
            Some(new.resource.clone()),
        ),
        (
            "in_head",
            old.location.as_ref().map(|l| l.in_head.to_string()),
            new.location.as_ref().map(|l| l.in_head.to_string()),
        ),
        (
            "exception",
            old.exception.as_ref().map(|e| e.reason.clone()),
            new.exception.as_ref().map(|e| e.reason.clone()),
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, o, n)| o != n)
        .map(|(field, old, new)| FieldChange {
            field: field.to_string(),
            old,
            new,
        })
        .collect()
}

/// Whether `scan` covered the finding `f`'s coverage unit completely: at least one entry
/// covers it ([`coverage_unit::covers`]: its own unit, such as `aws:prod/111111111111`,
/// or its whole connector) and every entry that covers it is complete.
fn covered(scan: &FindingsFile, f: &Finding) -> bool {
    let mut seen = false;
    for c in &scan.coverage {
        if coverage_unit::covers(&c.connector, &f.connector, &f.resource) {
            seen = true;
            if c.status != CoverageStatus::Complete {
                return false;
            }
        }
    }
    seen
}

pub fn diff(old: &FindingsFile, new: &FindingsFile) -> Diff {
    let mut old_by_id: HashMap<&str, &Finding> = HashMap::new();
    for f in &old.findings {
        old_by_id.entry(f.id.as_str()).or_insert(f);
    }
    let mut new_ids: HashSet<&str> = HashSet::new();
    let mut d = Diff {
        new_scan_complete: new.is_complete(),
        ..Diff::default()
    };
    for f in &new.findings {
        if !new_ids.insert(f.id.as_str()) {
            continue;
        }
        match old_by_id.get(f.id.as_str()) {
            Some(o) => {
                let fields = changes(o, f);
                if !fields.is_empty() {
                    d.changed.push(Change {
                        id: f.id.clone(),
                        fields,
                    });
                }
                d.unchanged.push(f.clone());
            }
            None => d.new.push(f.clone()),
        }
    }
    let mut old_seen: HashSet<&str> = HashSet::new();
    for f in &old.findings {
        if new_ids.contains(f.id.as_str()) || !old_seen.insert(f.id.as_str()) {
            continue;
        }
        if covered(new, f) {
            d.resolved.push(f.clone());
        } else {
            d.unverified.push(f.clone());
        }
    }
    d
}

impl Diff {
    /// The JSON form `nhiscan diff --format json` prints: full findings for `new`,
    /// `resolved` and `unverified`, ids for `unchanged`, and `changed` with its fields.
    pub fn to_json(&self) -> Value {
        json!({
            "new": self.new,
            "resolved": self.resolved,
            "unchanged": self.unchanged.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            "changed": self.changed,
            "unverified": self.unverified,
            "new_scan_complete": self.new_scan_complete,
            "summary": {
                "new": self.new.len(),
                "resolved": self.resolved.len(),
                "unchanged": self.unchanged.len(),
                "changed": self.changed.len(),
                "unverified": self.unverified.len(),
            },
        })
    }

    /// The plain-text form: counts, then the new, resolved, unverified and changed
    /// findings one per line. Strings from scanned systems are sanitised for the terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} new, {} resolved, {} unchanged ({} changed), {} not rescanned",
            self.new.len(),
            self.resolved.len(),
            self.unchanged.len(),
            self.changed.len(),
            self.unverified.len()
        );
        if !self.new_scan_complete {
            let _ = writeln!(
                out,
                "INCOMPLETE: the new scan did not cover every source; see its coverage"
            );
        }
        let sections: [(&str, &[Finding]); 3] = [
            ("New", &self.new),
            ("Resolved", &self.resolved),
            (
                "Not rescanned (source incomplete or missing in the new scan; not resolved)",
                &self.unverified,
            ),
        ];
        for (title, list) in sections {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{title}:");
            for f in list {
                let _ = writeln!(out, "  {}  {}", super::summary::finding_line(f), f.id);
            }
        }
        if !self.changed.is_empty() {
            let _ = writeln!(out, "\nChanged:");
            let by_id: HashMap<&str, &Finding> =
                self.unchanged.iter().map(|f| (f.id.as_str(), f)).collect();
            for c in &self.changed {
                let what: Vec<String> = c
                    .fields
                    .iter()
                    .map(|fc| {
                        format!(
                            "{} {} -> {}",
                            fc.field,
                            super::sanitize_terminal(fc.old.as_deref().unwrap_or("none")),
                            super::sanitize_terminal(fc.new.as_deref().unwrap_or("none"))
                        )
                    })
                    .collect();
                let resource = by_id
                    .get(c.id.as_str())
                    .map(|f| super::sanitize_terminal(&f.resource))
                    .unwrap_or_default();
                let _ = writeln!(out, "  {resource}  {}: {}", c.id, what.join(", "));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Coverage, Severity};
    use crate::report::testdata::sample;

    #[test]
    fn a_secret_leaving_head_is_a_change_of_resource_and_in_head() {
        let old = sample();
        let mut new = sample();
        let f = new
            .findings
            .iter_mut()
            .find(|f| f.location.is_some())
            .expect("a finding with a location");
        let id = f.id.clone();
        f.resource = format!("{}@moved", f.resource);
        if let Some(l) = f.location.as_mut() {
            l.in_head = !l.in_head;
        }
        let d = diff(&old, &new);
        let c = d.changed.iter().find(|c| c.id == id).expect("changed");
        let fields: Vec<&str> = c.fields.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["resource", "in_head"]);
    }

    #[test]
    fn diff_by_id() {
        let old = sample();
        let mut new = sample();
        // b2 resolved (git is complete), c3 changed, e5 new; a1 vanished from a failed source.
        new.findings.retain(|f| f.id != "b2" && f.id != "a1");
        new.findings[0].severity = Severity::High;
        let mut extra = new.findings[1].clone();
        extra.id = "e5".into();
        new.findings.push(extra);
        let d = diff(&old, &new);
        let ids = |v: &[Finding]| v.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&d.new), ["e5"]);
        assert_eq!(ids(&d.resolved), ["b2"]);
        assert_eq!(ids(&d.unverified), ["a1"]);
        assert_eq!(ids(&d.unchanged), ["c3", "d4"]);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].id, "c3");
        assert_eq!(
            d.changed[0].fields,
            [FieldChange {
                field: "severity".into(),
                old: Some("medium".into()),
                new: Some("high".into())
            }]
        );
        assert!(!d.new_scan_complete);
        let j = d.to_json();
        assert_eq!(j["unchanged"], json!(["c3", "d4"]));
        assert_eq!(j["new"][0]["id"], "e5");
        let t = d.to_text();
        assert!(
            t.starts_with("1 new, 1 resolved, 2 unchanged (1 changed), 1 not rescanned\n"),
            "{t}"
        );
        assert!(t.contains("severity medium -> high"));
    }

    #[test]
    fn identical_files_have_nothing_new_or_resolved() {
        let d = diff(&sample(), &sample());
        assert!(
            d.new.is_empty()
                && d.resolved.is_empty()
                && d.unverified.is_empty()
                && d.changed.is_empty()
        );
        assert_eq!(d.unchanged.len(), 4);
    }

    #[test]
    fn coverage_matching() {
        let mut file = sample();
        let finding = |connector: &str, resource: &str| {
            let mut f = file_finding();
            f.connector = connector.into();
            f.resource = resource.into();
            f
        };
        let key = "arn:aws:iam::111111111111:user/svc#AKIAIOSFODNN7EXAMPLE";
        file.coverage = vec![
            Coverage::new("git"),
            Coverage::new("aws:prod/111111111111"),
            Coverage::new("host:web-1"),
        ];
        assert!(covered(&file, &finding("git", "repo:a:1")));
        assert!(covered(&file, &finding("aws:prod", key)));
        assert!(!covered(
            &file,
            &finding("aws:prod", &key.replace("1111", "2222"))
        ));
        assert!(!covered(&file, &finding("aws:pro", key)));
        assert!(covered(&file, &finding("host:web-1", "web-1:alice")));
        assert!(!covered(&file, &finding("host:web-2", "web-2:alice")));
        assert!(!covered(&file, &finding("git:main", "repo:a:1")));
        file.coverage[1].error("boom");
        assert!(!covered(&file, &finding("aws:prod", key)));
        // A failure of the whole connector (no account list) leaves every account open.
        file.coverage[1] = Coverage::new("aws:prod/111111111111");
        let mut whole = Coverage::new("aws:prod");
        whole.fail("the organization's accounts are unknown");
        file.coverage.push(whole);
        assert!(!covered(&file, &finding("aws:prod", key)));
        file.coverage[0].error("boom");
        assert!(!covered(&file, &finding("git", "repo:a:1")));
    }

    fn file_finding() -> Finding {
        sample().findings[0].clone()
    }
}
