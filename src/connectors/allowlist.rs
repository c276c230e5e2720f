//! The path allowlist connectors apply before reading (gitignore-style globs from
//! `.nhiscanignore` or `--ignore FILE`), with the file and line of every entry, so that
//! what it skips can be explained, and the one exception it has: a path the user named
//! explicitly.
//!
//! The allowlist is for what the user did not name. A scan of `repo/.venv` where the
//! allowlist lists `.venv/` reads `.venv` (saying so, see [`Verdict::Named`]); a scan of
//! `repo` still skips it. Entries that match only deeper paths (`*.pem` inside the named
//! `.venv`) still apply. Parsing the file is the pipeline's job
//! ([`crate::pipeline::IgnoreList`]); this holds the compiled result and never does I/O.

use globset::{Glob, GlobSet, GlobSetBuilder};
use std::fmt;
use std::sync::{Arc, RwLock};

/// One line of an allowlist file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowEntry {
    /// The file the entry is in, as it was found (`.nhiscanignore`, `--ignore` path).
    pub source: Arc<str>,
    /// 1-based line number.
    pub line: usize,
    /// The entry as written (comment stripped).
    pub pattern: String,
}

impl fmt::Display for AllowEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} (`{}`)", self.source, self.line, self.pattern)
    }
}

/// Path allowlist from `.nhiscanignore` files and `--ignore FILE` (gitignore-style globs).
/// Finding ids in those files are applied later, by the pipeline.
#[derive(Debug, Default, Clone)]
pub struct PathAllowlist {
    globs: Option<GlobSet>,
    /// For each glob in `globs`, the index in `entries` of the line it came from.
    glob_entry: Vec<usize>,
    entries: Vec<AllowEntry>,
    /// The entries covering each named path seen so far (see [`PathAllowlist::verdict`]):
    /// a scan asks about every file below the same few named paths.
    covering: Arc<RwLock<Vec<Covering>>>,
}

/// A named path and the indices of the entries that cover it.
type Covering = (String, Arc<[usize]>);

/// What the allowlist says about one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// No entry matches: scan it.
    Scan,
    /// An entry matches and the path was not named: skip it (count it as allowlisted).
    Skip,
    /// Every entry that matches covers a path the user named explicitly (the path itself
    /// or a directory above it): scan it, and say that these entries were set aside.
    Named(Vec<&'a AllowEntry>),
}

impl PathAllowlist {
    /// Compile entries, each with the globs that implement it.
    pub fn new(list: Vec<(AllowEntry, Vec<Glob>)>) -> Result<PathAllowlist, globset::Error> {
        let mut b = GlobSetBuilder::new();
        let mut glob_entry = Vec::new();
        let mut entries = Vec::new();
        for (entry, globs) in list {
            for g in globs {
                b.add(g);
                glob_entry.push(entries.len());
            }
            entries.push(entry);
        }
        let globs = if glob_entry.is_empty() {
            None
        } else {
            Some(b.build()?)
        };
        Ok(PathAllowlist {
            globs,
            glob_entry,
            entries,
            covering: Arc::default(),
        })
    }

    /// Some entry matches `path` (relative to the repository or scanned root).
    pub fn is_allowed(&self, path: &str) -> bool {
        self.globs.as_ref().is_some_and(|g| g.is_match(path))
    }

    /// The entries matching `path`, in file order.
    fn matching(&self, path: &str) -> Vec<usize> {
        let Some(g) = &self.globs else {
            return Vec::new();
        };
        let mut out: Vec<usize> = g
            .matches(path)
            .into_iter()
            .filter_map(|i| self.glob_entry.get(i).copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The first entry matching `path`, to name in messages.
    pub fn entry_for(&self, path: &str) -> Option<&AllowEntry> {
        self.matching(path)
            .first()
            .and_then(|&i| self.entries.get(i))
    }

    /// The verdict on `path`, which lies at or below `named` (a path the user named
    /// explicitly, in the same coordinates: `.venv` for `repo/.venv/lib/x.py` at
    /// `.venv/lib/x.py`), or is not under anything named (`None`). Entries that match
    /// `named` or a directory above it are set aside; any other match skips the path.
    pub fn verdict(&self, path: &str, named: Option<&str>) -> Verdict<'_> {
        if !self.is_allowed(path) {
            return Verdict::Scan;
        }
        let Some(named) = named.filter(|n| !n.is_empty()) else {
            return Verdict::Skip;
        };
        let covering = self.covering_of(named);
        let matched = self.matching(path);
        if matched.iter().all(|i| covering.contains(i)) {
            Verdict::Named(
                matched
                    .iter()
                    .filter_map(|&i| self.entries.get(i))
                    .collect(),
            )
        } else {
            Verdict::Skip
        }
    }
}

impl PathAllowlist {
    /// The entries that cover the named path `named`: those matching the path itself, a
    /// directory above it, or everything inside it whatever the names (`venv/**`,
    /// `venv/*`), probed with a name no real file has; one that matches only some names
    /// below it (`*.pem`) does not. Computed once per named path.
    fn covering_of(&self, named: &str) -> Arc<[usize]> {
        let cache = |c: &Vec<Covering>| c.iter().find(|(n, _)| n == named).map(|(_, v)| v.clone());
        if let Some(v) = cache(&self.covering.read().unwrap_or_else(|e| e.into_inner())) {
            return v;
        }
        let probe = |depth: usize| {
            let mut p = named.trim_end_matches('/').to_string();
            for _ in 0..depth {
                p.push_str("/\u{1}");
            }
            p
        };
        let mut covering: Vec<usize> = ancestors_or_self(named)
            .flat_map(|a| self.matching(a))
            .chain(self.matching(&probe(1)))
            .chain(self.matching(&probe(2)))
            .collect();
        covering.sort_unstable();
        covering.dedup();
        let covering: Arc<[usize]> = covering.into();
        let mut c = self.covering.write().unwrap_or_else(|e| e.into_inner());
        // A scan names a handful of paths; past that, stop remembering new ones.
        if c.len() < 64 {
            c.push((named.to_string(), covering.clone()));
        }
        covering
    }
}

/// `a/b/c`, `a/b`, `a`.
fn ancestors_or_self(path: &str) -> impl Iterator<Item = &str> {
    let path = path.trim_end_matches('/');
    std::iter::successors(Some(path), |p| p.rsplit_once('/').map(|(head, _)| head))
        .filter(|p| !p.is_empty())
}

/// `named` as it appears in `rel`, the path of a file at `suffix` below it (`rel` =
/// `named/suffix`); `None` when `rel` does not end that way.
pub fn named_prefix<'a>(rel: &'a str, suffix: &str) -> Option<&'a str> {
    if suffix.is_empty() {
        return Some(rel);
    }
    let head = rel.strip_suffix(suffix)?;
    match head.strip_suffix('/') {
        Some(h) => Some(h),
        None if head.is_empty() => Some(""),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(lines: &[(&str, &[&str])]) -> PathAllowlist {
        PathAllowlist::new(
            lines
                .iter()
                .enumerate()
                .map(|(n, (pat, globs))| {
                    (
                        AllowEntry {
                            source: ".nhiscanignore".into(),
                            line: n + 1,
                            pattern: pat.to_string(),
                        },
                        globs.iter().map(|g| Glob::new(g).unwrap()).collect(),
                    )
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn a_named_path_sets_aside_only_the_entries_that_cover_it() {
        let l = list(&[
            (".venv/", &["**/.venv", "**/.venv/**"]),
            ("*.pem", &["**/*.pem", "**/*.pem/**"]),
        ]);
        // Not named: skipped.
        assert_eq!(l.verdict(".venv/lib/x.py", None), Verdict::Skip);
        // Named `.venv`: its files are read, the entry named.
        match l.verdict(".venv/lib/x.py", Some(".venv")) {
            Verdict::Named(e) => assert_eq!(e[0].to_string(), ".nhiscanignore:1 (`.venv/`)"),
            v => panic!("{v:?}"),
        }
        // A deeper entry still applies below the named directory...
        assert_eq!(l.verdict(".venv/k.pem", Some(".venv")), Verdict::Skip);
        // ...unless that file itself was named.
        assert!(matches!(
            l.verdict(".venv/k.pem", Some(".venv/k.pem")),
            Verdict::Named(_)
        ));
        // A named directory below an allowlisted one is covered by it.
        assert!(matches!(
            l.verdict(".venv/lib/x.py", Some(".venv/lib")),
            Verdict::Named(_)
        ));
        assert_eq!(l.verdict("src/main.rs", Some("src")), Verdict::Scan);
        assert_eq!(l.verdict("src/k.pem", Some("")), Verdict::Skip);
        // An entry for everything inside a directory (`venv2/**`) covers the directory.
        let l = list(&[("venv2/**", &["venv2/**", "venv2/**/**"])]);
        assert_eq!(l.verdict("venv2/s.env", None), Verdict::Skip);
        assert!(matches!(
            l.verdict("venv2/lib/s.env", Some("venv2")),
            Verdict::Named(_)
        ));
        let l = list(&[("venv2/*.pem", &["venv2/*.pem", "venv2/*.pem/**"])]);
        assert_eq!(l.verdict("venv2/k.pem", Some("venv2")), Verdict::Skip);
    }

    #[test]
    fn named_prefix_strips_the_path_below_the_named_one() {
        assert_eq!(named_prefix(".venv/lib/x.py", "lib/x.py"), Some(".venv"));
        assert_eq!(named_prefix("x.py", ""), Some("x.py"));
        assert_eq!(named_prefix("lib/x.py", "lib/x.py"), Some(""));
        assert_eq!(named_prefix("a/blib/x.py", "lib/x.py"), None);
        assert_eq!(
            ancestors_or_self("a/b/c").collect::<Vec<_>>(),
            ["a/b/c", "a/b", "a"]
        );
    }
}
