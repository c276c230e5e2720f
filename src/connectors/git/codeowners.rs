//! CODEOWNERS: parse a repository's ownership file and say who owns a path.
//!
//! GitHub's dialect of gitignore patterns: the last matching line wins, a line without
//! owners makes the path unowned, `docs/*` matches only the files directly in `docs`.
//! Only reports owners as identifiers (`github:user`, `github-team:org/team`, emails);
//! knows nothing about people.

use crate::model::{Evidence, OwnerHint, Signal};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Where GitHub looks for the file, in the order it looks.
pub(crate) const CODEOWNERS_PATHS: [&str; 3] =
    [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

struct Entry {
    /// 1-based line in the file, for evidence.
    line: usize,
    /// The line as written (pattern and owners), for evidence.
    text: String,
    owners: Vec<String>,
}

/// A parsed CODEOWNERS file.
pub(crate) struct Codeowners {
    /// Repository-relative path of the file (`.github/CODEOWNERS`).
    file: String,
    entries: Vec<Entry>,
    /// One glob set over all patterns; each pattern contributes one or two globs, and
    /// `glob_entry[i]` names the entry glob `i` came from.
    globs: GlobSet,
    glob_entry: Vec<usize>,
}

impl Codeowners {
    /// Parse `text`, the content of `file`. Lines whose pattern cannot be compiled are
    /// skipped (GitHub ignores them too); returns `None` if nothing usable remains.
    pub(crate) fn parse(file: &str, text: &str) -> Option<Codeowners> {
        let mut entries = Vec::new();
        let mut builder = GlobSetBuilder::new();
        let mut glob_entry = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // Owners may be followed by a comment.
            let line = line.split(" #").next().unwrap_or(line);
            let mut parts = line.split_whitespace();
            let Some(pattern) = parts.next() else {
                continue;
            };
            let pattern = pattern.strip_prefix('\\').unwrap_or(pattern);
            if pattern.starts_with('!') {
                // Negation is not supported by GitHub: the line is ignored there.
                continue;
            }
            let owners: Vec<String> = parts.filter_map(owner_identifier).collect();
            let globs = match pattern_globs(pattern) {
                Some(g) => g,
                None => continue,
            };
            let idx = entries.len();
            let mut ok = false;
            for g in globs {
                if let Ok(glob) = GlobBuilder::new(&g).literal_separator(true).build() {
                    builder.add(glob);
                    glob_entry.push(idx);
                    ok = true;
                }
            }
            if ok {
                entries.push(Entry {
                    line: i + 1,
                    text: line.to_string(),
                    owners,
                });
            }
        }
        if entries.is_empty() {
            return None;
        }
        let globs = builder.build().ok()?;
        Some(Codeowners {
            file: file.to_string(),
            entries,
            globs,
            glob_entry,
        })
    }

    /// Owner hints for a repository-relative path (`/`-separated), per the last
    /// matching line. Empty when no line matches or the matching line lists no owners.
    pub(crate) fn hints_for(&self, path: &str) -> Vec<OwnerHint> {
        let last = self
            .globs
            .matches(path)
            .into_iter()
            .filter_map(|g| self.glob_entry.get(g).copied())
            .max();
        let Some(entry) = last.and_then(|i| self.entries.get(i)) else {
            return Vec::new();
        };
        entry
            .owners
            .iter()
            .map(|o| {
                OwnerHint::new(
                    o.clone(),
                    Signal::Codeowners,
                    Evidence::new(
                        "git:codeowners",
                        format!("{} line {}: {}", self.file, entry.line, entry.text),
                    ),
                )
            })
            .collect()
    }
}

/// `@user` -> `github:user`, `@org/team` -> `github-team:org/team`, an email as is.
fn owner_identifier(owner: &str) -> Option<String> {
    if let Some(handle) = owner.strip_prefix('@') {
        if handle.is_empty() {
            return None;
        }
        return Some(if handle.contains('/') {
            format!("github-team:{handle}")
        } else {
            format!("github:{handle}")
        });
    }
    if owner.contains('@') {
        return Some(owner.to_string());
    }
    None
}

/// Translate one CODEOWNERS pattern into globs over repository-relative paths.
fn pattern_globs(pattern: &str) -> Option<Vec<String>> {
    let dir_only = pattern.ends_with('/');
    let trimmed = pattern.trim_end_matches('/');
    let anchored = trimmed.starts_with('/') || trimmed.trim_start_matches('/').contains('/');
    let body = trimmed.trim_start_matches('/');
    if body.is_empty() {
        // `/` alone: the whole repository.
        return Some(vec!["**".to_string()]);
    }
    let base = if anchored || body.starts_with("**/") {
        body.to_string()
    } else {
        format!("**/{body}")
    };
    let mut globs = Vec::with_capacity(2);
    if !dir_only {
        globs.push(base.clone());
    }
    // A pattern naming a directory covers everything below it, except GitHub's
    // `dir/*`, which covers only the files directly inside.
    if !body.ends_with("/*") && !body.ends_with("**") {
        globs.push(format!("{base}/**"));
    }
    Some(globs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owners(co: &Codeowners, path: &str) -> Vec<String> {
        co.hints_for(path)
            .into_iter()
            .map(|h| h.identifier)
            .collect()
    }

    #[test]
    fn last_match_wins_and_owner_forms() {
        let co = Codeowners::parse(
            ".github/CODEOWNERS",
            "# comment\n*       @acme/platform\n/config/ @alice-dev bob@acme.example\n*.md\ndocs/* @docs-team\napps/ @carol\n",
        )
        .expect("parsed");
        assert_eq!(
            owners(&co, "src/main.rs"),
            vec!["github-team:acme/platform"]
        );
        assert_eq!(
            owners(&co, "config/prod.env"),
            vec!["github:alice-dev", "bob@acme.example"]
        );
        assert_eq!(
            owners(&co, "config/deep/x.env"),
            vec!["github:alice-dev", "bob@acme.example"]
        );
        // `*.md` without owners: unowned.
        assert!(owners(&co, "README.md").is_empty());
        assert_eq!(owners(&co, "docs/a.txt"), vec!["github:docs-team"]);
        // `docs/*` does not reach nested files: falls back to `*`.
        assert_eq!(
            owners(&co, "docs/x/a.txt"),
            vec!["github-team:acme/platform"]
        );
        // Unanchored directory pattern matches at any depth.
        assert_eq!(owners(&co, "x/apps/y.js"), vec!["github:carol"]);
        let h = co.hints_for("config/prod.env");
        assert_eq!(h[0].signal, Signal::Codeowners);
        assert_eq!(
            h[0].evidence.detail,
            ".github/CODEOWNERS line 3: /config/ @alice-dev bob@acme.example"
        );
    }

    #[test]
    fn anchoring_rules() {
        let co = Codeowners::parse(
            "CODEOWNERS",
            "config/prod.env @a\n/secrets @b\nterraform @c\n",
        )
        .expect("parsed");
        assert_eq!(owners(&co, "config/prod.env"), vec!["github:a"]);
        assert!(owners(&co, "x/config/prod.env").is_empty());
        assert_eq!(owners(&co, "secrets/k"), vec!["github:b"]);
        assert!(owners(&co, "x/secrets/k").is_empty());
        assert_eq!(owners(&co, "infra/terraform/main.tf"), vec!["github:c"]);
    }

    #[test]
    fn garbage_never_panics() {
        assert!(Codeowners::parse("CODEOWNERS", "").is_none());
        assert!(Codeowners::parse("CODEOWNERS", "# only\n\n").is_none());
        let _ = Codeowners::parse("CODEOWNERS", "[ @x\n/ @root\n\\#file @y\n!neg @z\n@ \n");
    }
}
