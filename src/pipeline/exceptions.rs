//! Approved exceptions from config (`[[exception]]`: a finding id or resource, reason,
//! approver, expiry) and the allowlist file (`.nhiscanignore`: finding ids, path globs and
//! `COMMIT:PATH` entries for a secret that lives only in one commit's history).
//!
//! An exception never hides a finding: the finding stays in the file carrying it. An
//! expired exception applies to nothing. The allowlist is for false positives and does
//! remove them (path globs before scanning, finding ids after).

use crate::config::ExceptionConfig;
use crate::connectors::{AllowEntry, PathAllowlist};
use crate::model::{ExceptionRef, Finding};
use anyhow::{bail, Context};
use chrono::NaiveDate;
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Exceptions {
    items: Vec<(ExceptionConfig, NaiveDate)>,
}

impl Exceptions {
    /// Validate the config's exceptions; a bad date or an empty field is a config error.
    pub fn new(cfgs: &[ExceptionConfig]) -> anyhow::Result<Exceptions> {
        let mut items = Vec::new();
        for e in cfgs {
            let date =
                NaiveDate::parse_from_str(e.expires.trim(), "%Y-%m-%d").with_context(|| {
                    format!(
                        "exception for {:?}: expires {:?} is not an ISO date (YYYY-MM-DD)",
                        e.finding, e.expires
                    )
                })?;
            for (field, v) in [
                ("finding", &e.finding),
                ("reason", &e.reason),
                ("approved_by", &e.approved_by),
            ] {
                if v.trim().is_empty() {
                    bail!("exception for {:?}: {field} must not be empty", e.finding);
                }
            }
            items.push((e.clone(), date));
        }
        Ok(Exceptions { items })
    }

    /// Attach each unexpired exception to the findings it names (by id or resource).
    /// Returns the unexpired exceptions that named no finding, by their `finding` value.
    pub fn apply(&self, findings: &mut [Finding], today: NaiveDate) -> Vec<String> {
        let mut used = vec![false; self.items.len()];
        for f in findings.iter_mut() {
            // Ids are hex: match them in any case (copied from a ticket, upper-cased).
            let hit = self.items.iter().position(|(e, expires)| {
                let name = e.finding.trim();
                *expires >= today && (name.eq_ignore_ascii_case(&f.id) || name == f.resource)
            });
            if let Some(i) = hit {
                used[i] = true;
                let e = &self.items[i].0;
                f.exception = Some(ExceptionRef {
                    reason: e.reason.clone(),
                    approved_by: e.approved_by.clone(),
                    expires: e.expires.clone(),
                });
            }
        }
        self.items
            .iter()
            .zip(used)
            .filter(|((_, expires), used)| *expires >= today && !used)
            .map(|((e, _), _)| e.finding.trim().to_string())
            .collect()
    }

    /// Warnings about exceptions that no longer apply.
    pub fn warnings(&self, today: NaiveDate) -> Vec<String> {
        self.items
            .iter()
            .filter(|(_, d)| *d < today)
            .map(|(e, d)| {
                format!(
                    "exception for {} expired on {d} and no longer applies (approved by {})",
                    e.finding, e.approved_by
                )
            })
            .collect()
    }
}

/// The allowlist file: finding ids (32 hex characters), gitignore-style path globs, and
/// `COMMIT:PATH` entries (a commit id or prefix of at least 7 hex digits, a colon, a path
/// pattern anchored as the path globs are: the gitleaks convention), one per line; `#` starts a comment.
///
/// A `COMMIT:PATH` entry drops the findings introduced by that commit at that path and
/// nothing else: a fake fixture that was committed once and has since moved stays in
/// history, and allowlisting its path would also hide whatever lands there later, while a
/// finding id depends on the repository's name (a checkout directory).
#[derive(Debug, Default)]
pub struct IgnoreList {
    ids: HashSet<String>,
    /// Lowercased commit prefix, and the globs of its path.
    commits: Vec<(String, GlobSet)>,
    pub paths: PathAllowlist,
}

impl IgnoreList {
    pub fn load(path: &Path) -> anyhow::Result<IgnoreList> {
        let text = crate::codec::read_utf8(path)
            .with_context(|| format!("reading allowlist {}", path.display()))?;
        Self::parse_from(&text, &path.display().to_string())
            .with_context(|| format!("allowlist {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<IgnoreList> {
        Self::parse_from(text, "allowlist")
    }

    /// Parse the allowlist `text` read from `source` (named with each entry's line in
    /// what the scan reports about it).
    pub fn parse_from(text: &str, source: &str) -> anyhow::Result<IgnoreList> {
        let source: Arc<str> = source.into();
        let mut ids = HashSet::new();
        let mut commits = Vec::new();
        let mut entries = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split(" #").next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.len() == 32 && line.bytes().all(|b| b.is_ascii_hexdigit()) {
                ids.insert(line.to_ascii_lowercase());
                continue;
            }
            let bad = || format!("line {}: bad glob {line:?}", n + 1);
            if let Some((commit, path)) = line.split_once(':') {
                if (7..=40).contains(&commit.len()) && commit.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    let path = path.trim();
                    if path.trim_start_matches("./").trim_matches('/').is_empty() {
                        bail!("line {}: {line:?} names a commit but no path", n + 1);
                    }
                    let mut set = GlobSetBuilder::new();
                    for g in gitignore_globs(path).with_context(bad)? {
                        set.add(g);
                    }
                    commits.push((commit.to_ascii_lowercase(), set.build().with_context(bad)?));
                    continue;
                }
            }
            let globs = gitignore_globs(line).with_context(bad)?;
            let entry = AllowEntry {
                source: source.clone(),
                line: n + 1,
                pattern: line.to_string(),
            };
            entries.push((entry, globs));
        }
        Ok(IgnoreList {
            ids,
            commits,
            paths: PathAllowlist::new(entries)?,
        })
    }

    pub fn ignores(&self, finding_id: &str) -> bool {
        self.ids.contains(finding_id)
    }

    /// The finding is dropped: its id is listed, or it was introduced by a listed commit
    /// at a listed path.
    pub fn ignores_finding(&self, f: &Finding) -> bool {
        if self.ignores(&f.id) {
            return true;
        }
        let Some(loc) = &f.location else {
            return false;
        };
        let Some(commit) = loc.commit.as_deref() else {
            return false;
        };
        self.commits.iter().any(|(c, globs)| {
            commit
                .get(..c.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(c))
                && globs.is_match(&loc.path)
        })
    }
}

/// The globs implementing one gitignore-style pattern: a leading `/` (or `./`) anchors it
/// at the root; a pattern with no slash but a trailing one (`tests/`, `*.lock`) matches at
/// any depth; one with a slash at its start or in the middle (`/build`, `src/gen/`) is
/// anchored at the root; a directory matches its contents.
fn gitignore_globs(pattern: &str) -> Result<Vec<Glob>, globset::Error> {
    let rooted = pattern.starts_with('/') || pattern.starts_with("./");
    let body = pattern
        .trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/');
    let base = if rooted || (body.contains('/') && !body.starts_with("**/")) {
        body.to_string()
    } else {
        format!("**/{body}")
    };
    Ok(vec![Glob::new(&base)?, Glob::new(&format!("{base}/**"))?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_path_entries_drop_only_that_commits_findings_at_that_path() {
        let l = IgnoreList::parse("a54fbb9:src/model/keypair.rs  # moved to keypair_tests.rs\n")
            .unwrap();
        let mut f = crate::state::tests::finding("x", "git", "main:src/model/keypair.rs:1");
        assert!(!l.ignores_finding(&f), "no location: kept");
        let loc = |commit: Option<&str>, path: &str| crate::model::Location {
            repo: Some("main".into()),
            path: path.into(),
            line: 1,
            commit: commit.map(str::to_string),
            author_name: None,
            author_email: None,
            committed_at: None,
            in_head: false,
        };
        f.location = Some(loc(
            Some("A54FBB9737da051edc8befbe7d0a178e2c9f38da"),
            "src/model/keypair.rs",
        ));
        assert!(l.ignores_finding(&f));
        f.location = Some(loc(
            Some("b54fbb9737da051edc8befbe7d0a178e2c9f38da"),
            "src/model/keypair.rs",
        ));
        assert!(
            !l.ignores_finding(&f),
            "another commit at the same path is kept"
        );
        f.location = Some(loc(
            Some("a54fbb9737da051edc8befbe7d0a178e2c9f38da"),
            "src/other.rs",
        ));
        assert!(
            !l.ignores_finding(&f),
            "another path in the same commit is kept"
        );
        f.location = Some(loc(None, "src/model/keypair.rs"));
        assert!(!l.ignores_finding(&f), "the working tree is kept");
        assert!(IgnoreList::parse("a54fbb9:\n").is_err());
        assert!(IgnoreList::parse("a54fbb9:/\n").is_err());
        // The path is anchored the way the path globs are: no slash, any depth.
        let l = IgnoreList::parse("a54fbb9:keypair.rs\n").unwrap();
        f.location = Some(loc(
            Some("a54fbb9737da051edc8befbe7d0a178e2c9f38da"),
            "src/model/keypair.rs",
        ));
        assert!(l.ignores_finding(&f));
        // A short hex word before a colon is still a glob (`abc:def`), not a commit.
        assert!(IgnoreList::parse("abc:def\n").unwrap().commits.is_empty());
    }

    #[test]
    fn ignore_file_takes_ids_and_globs() {
        let l = IgnoreList::parse(
            "# why\n0123456789abcdef0123456789ABCDEF\ntests/fixtures/ # fake secrets\n*.lock\n",
        )
        .unwrap();
        assert!(l.ignores("0123456789abcdef0123456789abcdef"));
        assert!(l.paths.is_allowed("tests/fixtures/a/b.env"));
        assert!(l.paths.is_allowed("sub/Cargo.lock"));
        assert!(!l.paths.is_allowed("src/main.rs"));
    }

    #[test]
    fn globs_are_anchored_the_way_gitignore_anchors_them() {
        let l = IgnoreList::parse("tests/\n/build\nsrc/gen/\n").unwrap();
        // Only a trailing slash: any depth.
        assert!(l.paths.is_allowed("tests/a.env"));
        assert!(l.paths.is_allowed("svc/tests/a.env"));
        // A leading slash or one in the middle: at the root only.
        assert!(l.paths.is_allowed("build/out.js"));
        assert!(!l.paths.is_allowed("web/build/out.js"));
        assert!(l.paths.is_allowed("src/gen/keys.rs"));
        assert!(!l.paths.is_allowed("lib/src/gen/keys.rs"));
    }

    #[test]
    fn expired_exception_does_not_apply() {
        let cfg = |exp: &str| ExceptionConfig {
            finding: "res".into(),
            reason: "legal hold".into(),
            approved_by: "ciso@acme.example".into(),
            expires: exp.into(),
        };
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let ex = Exceptions::new(&[cfg("2026-11-25")]).unwrap();
        assert_eq!(ex.warnings(today).len(), 1);
        let ex = Exceptions::new(&[cfg("2026-11-26")]).unwrap();
        assert!(ex.warnings(today).is_empty());
        assert!(Exceptions::new(&[cfg("soon")]).is_err());
    }

    #[test]
    fn exceptions_that_name_nothing_are_returned() {
        let mut findings = crate::report::testdata::sample().findings;
        for f in findings.iter_mut() {
            f.exception = None;
        }
        let cfg = |name: &str, exp: &str| ExceptionConfig {
            finding: name.into(),
            reason: "legal hold".into(),
            approved_by: "ciso@acme.example".into(),
            expires: exp.into(),
        };
        let hit = findings[0].resource.clone();
        let ex = Exceptions::new(&[
            cfg(&hit, "2999-01-01"),
            cfg("gone:old.env:1", "2999-01-01"),
            cfg("expired:x:1", "2000-01-01"),
        ])
        .unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        // The expired one is reported by `warnings`, not here.
        assert_eq!(ex.apply(&mut findings, today), ["gone:old.env:1"]);
        assert!(findings[0].exception.is_some());
    }

    #[test]
    fn exception_ids_match_in_any_case_and_ignore_surrounding_space() {
        let mut f = crate::report::testdata::sample().findings.remove(0);
        f.exception = None;
        let ex = Exceptions::new(&[ExceptionConfig {
            finding: format!(" {} ", f.id.to_ascii_uppercase()),
            reason: "legal hold".into(),
            approved_by: "ciso@acme.example".into(),
            expires: "2999-01-01".into(),
        }])
        .unwrap();
        let mut fs = vec![f];
        ex.apply(&mut fs, NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        assert!(fs[0].exception.is_some());
    }
}
