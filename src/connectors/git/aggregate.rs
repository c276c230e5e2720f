//! Fold every sighting of a secret in one repository (history blobs, HEAD tree, working
//! tree files) into one [`Nhi`] per (repository, rule, secret hash), and describe it: the
//! introducing location, whether it is still checked out, every other path it was seen
//! at, and the owner hints that come with it.
//!
//! Pure data: no git, no I/O. The history and walk modules feed it.

use super::codeowners::Codeowners;
use super::content::Hit;
use crate::model::{Evidence, Kind, Location, Nhi, OwnerHint, SecretBytes, Signal};
use crate::rules::Rule;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// At most this many `other_locations` per finding; the total goes in the attributes.
pub(crate) const MAX_OTHER_LOCATIONS: usize = 50;
/// At most this many join keys per finding (a secret next to many key ids is noise).
const MAX_JOIN_KEYS: usize = 8;

/// The commit that introduced a blob, as reports show it.
#[derive(Debug, Clone)]
pub(crate) struct CommitInfo {
    /// Full hex id.
    pub id: String,
    pub author_name: String,
    pub author_email: String,
    /// Author time.
    pub time: Option<DateTime<Utc>>,
    /// A shallow clone's cut point: its parents are missing, so what it holds was
    /// introduced there or in a commit before it, by an author nobody can tell.
    pub shallow_boundary: bool,
    /// `Co-authored-by:` trailers of the commit message: (name, email). Git's own record
    /// of a second author, who knows what the commit added as well.
    pub co_authors: Vec<(String, String)>,
}

/// The `Co-authored-by: Name <email>` trailers of a commit message (case-insensitive key,
/// one per line, at most 20). Names and emails are what the trailer says, trimmed.
pub(crate) fn co_authors(message: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in message.lines() {
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("co-authored-by") {
            continue;
        }
        let value = value.trim();
        let (name, email) = match (value.rfind('<'), value.rfind('>')) {
            (Some(l), Some(r)) if l < r => (value[..l].trim(), value[l + 1..r].trim()),
            _ => (value, ""),
        };
        if email.is_empty() && name.is_empty() {
            continue;
        }
        let pair = (name.to_string(), email.to_string());
        if !out.contains(&pair) && out.len() < 20 {
            out.push(pair);
        }
    }
    out
}

impl CommitInfo {
    pub(crate) fn short(&self) -> &str {
        self.id.get(..7).unwrap_or(&self.id)
    }
}

/// Sightings of one secret at one path.
#[derive(Default)]
struct PathAgg {
    /// Earliest history sighting: (commit order, line in that commit's blob).
    first: Option<(u32, u64)>,
    /// Line where it is now (working tree, else HEAD tree).
    present: Option<u64>,
    /// `present` came from the working tree, which wins over the HEAD tree.
    present_in_worktree: bool,
    /// Tracked, but its HEAD blob could not be read (so no commit can be named).
    head_unread: bool,
}

struct KeyAgg {
    rule: Arc<Rule>,
    secret: SecretBytes,
    join_keys: BTreeSet<crate::model::JoinKey>,
    /// Number of blobs and files the secret was seen in.
    occurrences: u64,
    paths: BTreeMap<Arc<str>, PathAgg>,
}

/// Every secret seen in one repository (or one set of loose files), keyed by rule id and
/// secret hash.
#[derive(Default)]
pub(crate) struct RepoAgg {
    keys: BTreeMap<(String, String), KeyAgg>,
}

/// What [`RepoAgg::into_nhis`] needs to know about the repository.
pub(crate) struct RepoView<'a> {
    pub connector: &'a str,
    pub repo: &'a str,
    /// Introducing commits by commit order, for every order the aggregate references.
    pub commits: &'a HashMap<u32, CommitInfo>,
    pub codeowners: Option<&'a Codeowners>,
    pub contributors: Option<Arc<Vec<OwnerHint>>>,
    /// History was scanned: a secret seen in no commit is then untracked.
    pub history_scanned: bool,
}

impl RepoAgg {
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn entry(&mut self, hit: Hit) -> &mut KeyAgg {
        let k = self
            .keys
            .entry((hit.rule.id.clone(), hit.sha256))
            .or_insert_with(|| KeyAgg {
                rule: hit.rule,
                secret: hit.secret,
                join_keys: BTreeSet::new(),
                occurrences: 0,
                paths: BTreeMap::new(),
            });
        k.occurrences += 1;
        for j in hit.join_key.into_iter().chain(hit.derived_keys) {
            if k.join_keys.len() < MAX_JOIN_KEYS {
                k.join_keys.insert(j);
            }
        }
        k
    }

    /// A hit in a history blob first introduced by commit number `commit` (walk order,
    /// oldest first) at `path`; `head_paths` are the paths the same blob has in HEAD.
    pub(crate) fn add_history(
        &mut self,
        hit: Hit,
        commit: u32,
        path: &Arc<str>,
        head_paths: &[Arc<str>],
    ) {
        let line = hit.line;
        let k = self.entry(hit);
        let p = k.paths.entry(path.clone()).or_default();
        if p.first.map_or(true, |f| (commit, line) < f) {
            p.first = Some((commit, line));
        }
        for hp in head_paths {
            let p = k.paths.entry(hp.clone()).or_default();
            if !p.present_in_worktree {
                p.present = Some(p.present.map_or(line, |l| l.min(line)));
            }
        }
    }

    /// A hit in a file as it is now: the working tree (`worktree`) or, for bare
    /// repositories, the HEAD tree.
    pub(crate) fn add_present(&mut self, hit: Hit, path: Arc<str>, worktree: bool) {
        let line = hit.line;
        let k = self.entry(hit);
        let p = k.paths.entry(path).or_default();
        if worktree && !p.present_in_worktree {
            p.present = Some(line);
            p.present_in_worktree = true;
        } else if worktree == p.present_in_worktree {
            p.present = Some(p.present.map_or(line, |l| l.min(line)));
        }
    }

    /// A hit in a working-tree file read from disk because the history scan could not
    /// read the HEAD blob it is tracked as: present, but in no commit that could be read.
    pub(crate) fn add_unread_head(&mut self, hit: Hit, path: Arc<str>) {
        let line = hit.line;
        let k = self.entry(hit);
        let p = k.paths.entry(path).or_default();
        if p.present_in_worktree {
            p.present = Some(p.present.map_or(line, |l| l.min(line)));
        } else {
            p.present = Some(line);
            p.present_in_worktree = true;
        }
        p.head_unread = true;
    }

    /// Paths found on disk that HEAD tracks but history could not read: tracked, with
    /// an unknown introducing commit (not "untracked").
    pub(crate) fn mark_head_unread(&mut self, paths: &HashSet<Arc<str>>) {
        if paths.is_empty() {
            return;
        }
        for k in self.keys.values_mut() {
            for (path, p) in k.paths.iter_mut() {
                if p.first.is_none() && paths.contains(archive_path(path)) {
                    p.head_unread = true;
                }
            }
        }
    }

    /// Commit orders whose details [`RepoView::commits`] must hold.
    pub(crate) fn commits_needed(&self) -> BTreeSet<u32> {
        self.keys
            .values()
            .flat_map(|k| k.paths.values().filter_map(|p| p.first.map(|f| f.0)))
            .collect()
    }

    /// One NHI per secret, in a stable order.
    pub(crate) fn into_nhis(self, view: &RepoView<'_>) -> Vec<Nhi> {
        self.keys
            .into_iter()
            .filter_map(|((rule_id, sha), k)| build(view, &rule_id, &sha, k))
            .collect()
    }
}

/// The file an archive entry's location path (`dist/app.jar!/META-INF/x`) is in: what
/// CODEOWNERS and the tracked-file lists name.
fn archive_path(path: &str) -> &str {
    path.split_once("!/").map_or(path, |(file, _)| file)
}

fn history_location(
    view: &RepoView<'_>,
    path: &str,
    commit: u32,
    line: u64,
    in_head: bool,
) -> Location {
    let ci = view.commits.get(&commit);
    // A shallow boundary commit's author did not necessarily introduce anything: keep
    // the commit, not an author that reports would present as the one who did.
    let author = ci.filter(|c| !c.shallow_boundary);
    Location {
        repo: Some(view.repo.to_string()),
        path: path.to_string(),
        line,
        commit: ci.map(|c| c.id.clone()),
        author_name: author
            .map(|c| c.author_name.clone())
            .filter(|s| !s.is_empty()),
        author_email: author
            .map(|c| c.author_email.clone())
            .filter(|s| !s.is_empty()),
        committed_at: ci.and_then(|c| c.time),
        in_head,
    }
}

fn present_location(view: &RepoView<'_>, path: &str, line: u64) -> Location {
    Location {
        repo: Some(view.repo.to_string()),
        path: path.to_string(),
        line,
        in_head: true,
        ..Location::default()
    }
}

fn build(view: &RepoView<'_>, rule_id: &str, sha: &str, k: KeyAgg) -> Option<Nhi> {
    let present_any = k.paths.values().any(|p| p.present.is_some());
    let main_hist = k
        .paths
        .iter()
        .filter_map(|(p, a)| a.first.map(|(c, l)| (c, p.clone(), l)))
        .min_by(|a, b| (a.0, &a.1, a.2).cmp(&(b.0, &b.1, b.2)));
    // A file whose HEAD blob was unreadable is tracked: which commit added the secret
    // is unknown, not "none".
    let head_unread = k.paths.values().any(|p| p.head_unread);
    let untracked = main_hist.is_none() && view.history_scanned && !head_unread;
    let (main_path, location, commit) = match main_hist {
        Some((c, p, l)) => {
            let loc = history_location(view, &p, c, l, present_any);
            (p, loc, view.commits.get(&c))
        }
        None => {
            let (p, l) = k
                .paths
                .iter()
                .find_map(|(p, a)| a.present.map(|l| (p.clone(), l)))?;
            let loc = present_location(view, &p, l);
            (p, loc, None)
        }
    };

    // Point at where the secret is now when it is still checked out, else at the
    // commit that introduced it.
    let now = k
        .paths
        .get(&main_path)
        .and_then(|a| a.present.map(|l| (main_path.clone(), l)))
        .or_else(|| {
            k.paths
                .iter()
                .find_map(|(p, a)| a.present.map(|l| (p.clone(), l)))
        });
    let resource = match (&now, commit) {
        (Some((p, l)), _) => format!("{}:{p}:{l}", view.repo),
        (None, Some(c)) => format!("{}@{}:{}:{}", view.repo, c.id, location.path, location.line),
        (None, None) => format!("{}:{}:{}", view.repo, location.path, location.line),
    };

    let rule = &k.rule;
    let suffix = match commit {
        Some(c) if c.shallow_boundary => {
            format!(" (present at the shallow-clone boundary {})", c.short())
        }
        Some(c) => {
            let who = if c.author_email.is_empty() {
                &c.author_name
            } else {
                &c.author_email
            };
            format!(" (introduced by {who} in {})", c.short())
        }
        None if untracked => " (untracked: in no commit)".to_string(),
        None if head_unread => " (its commit could not be read)".to_string(),
        None => String::new(),
    };
    let title = format!("{} in {} {}{suffix}", rule.name, view.repo, location.path);

    let mut nhi = Nhi::new(view.connector, Kind::SecretInRepo, resource, title);
    nhi.rule = Some(rule_id.to_string());
    nhi.secret = Some(k.secret.to_ref());
    nhi.fingerprint_basis = Some(format!("{}\0{rule_id}\0{sha}", view.repo));
    nhi.attributes
        .insert("credential".into(), rule.credential.clone());
    nhi.rule_severity = crate::model::rule_severity_cap(rule.severity.as_deref());
    nhi.attributes
        .insert("unlocks".into(), rule.unlocks.clone());
    nhi.attributes
        .insert("occurrences".into(), k.occurrences.to_string());
    if let Some(ok) = rule.checksum_ok(k.secret.expose()) {
        nhi.set_checksum(ok);
        if !ok {
            nhi.title.push_str(crate::model::CHECKSUM_INVALID_NOTE);
        }
    }
    if untracked {
        nhi.attributes.insert("untracked".into(), "true".into());
    }
    nhi.join_keys = k.join_keys.into_iter().collect();

    if let Some(c) = commit.filter(|c| c.shallow_boundary) {
        // History before the cut was not fetched: the secret is at least this old, and
        // whoever authored the boundary commit only had it in their tree.
        nhi.attributes
            .insert("introduced".into(), "at_or_before".into());
        let ev = Evidence::new(
            "git:commit",
            format!(
                "present at the shallow-clone boundary {}: introduced at or before it, by an \
                 unknown author",
                c.id
            ),
        );
        if !c.author_email.is_empty() {
            nhi.hints.push(OwnerHint::new(
                c.author_email.clone(),
                Signal::Contributor,
                ev.clone(),
            ));
        }
        if !c.author_name.is_empty() && c.author_name != c.author_email {
            nhi.hints.push(OwnerHint::new(
                c.author_name.clone(),
                Signal::Contributor,
                ev,
            ));
        }
    } else if let Some(c) = commit {
        nhi.created_at = c.time;
        let date = c
            .time
            .map_or_else(|| "an unknown date".to_string(), |t| t.to_rfc3339());
        let ev = Evidence::new(
            "git:commit",
            format!(
                "introduced in {} by {} <{}> on {date}",
                c.short(),
                c.author_name,
                c.author_email
            ),
        );
        if !c.author_email.is_empty() {
            nhi.hints.push(OwnerHint::new(
                c.author_email.clone(),
                Signal::CommitAuthor,
                ev.clone(),
            ));
        }
        if !c.author_name.is_empty() && c.author_name != c.author_email {
            nhi.hints.push(OwnerHint::new(
                c.author_name.clone(),
                Signal::CommitAuthor,
                ev,
            ));
        }
        // Each co-author is an observation of its own (the trailer names one identity).
        for (name, email) in &c.co_authors {
            let ev = Evidence::new(
                "git:commit",
                format!(
                    "co-authored {} by {name} <{email}> (Co-authored-by trailer)",
                    c.short()
                ),
            );
            if !email.is_empty() {
                nhi.hints.push(OwnerHint::new(
                    email.clone(),
                    Signal::CommitAuthor,
                    ev.clone(),
                ));
            }
            if !name.is_empty() && name != email {
                nhi.hints
                    .push(OwnerHint::new(name.clone(), Signal::CommitAuthor, ev));
            }
        }
    }
    if let Some(co) = view.codeowners {
        let mut paths = vec![main_path.clone()];
        if let Some((p, _)) = &now {
            if *p != main_path {
                paths.push(p.clone());
            }
        }
        for p in paths {
            for h in co.hints_for(archive_path(&p)) {
                if !nhi.hints.contains(&h) {
                    nhi.hints.push(h);
                }
            }
        }
    }
    nhi.shared_hints = view.contributors.clone();

    let others: Vec<Location> = k
        .paths
        .iter()
        .filter(|(p, _)| **p != main_path)
        .filter_map(|(p, a)| match (a.first, a.present) {
            (Some((c, l)), present) => Some(history_location(view, p, c, l, present.is_some())),
            (None, Some(l)) => Some(present_location(view, p, l)),
            (None, None) => None,
        })
        .collect();
    if !others.is_empty() {
        nhi.attributes
            .insert("other_locations_total".into(), others.len().to_string());
    }
    nhi.other_locations = others.into_iter().take(MAX_OTHER_LOCATIONS).collect();
    nhi.location = Some(location);
    Some(nhi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn co_authored_by_trailers_are_read_whatever_their_case() {
        let m = "Add config\n\nCo-authored-by: Lorenzo Falk <lorenzo.falk.dev@gmail.com>\nco-authored-by: Ann <ann@acme.example>\nSigned-off-by: X <x@y>\n";
        assert_eq!(
            co_authors(m),
            [
                (
                    "Lorenzo Falk".to_string(),
                    "lorenzo.falk.dev@gmail.com".to_string()
                ),
                ("Ann".to_string(), "ann@acme.example".to_string())
            ]
        );
        assert!(co_authors("no trailers here").is_empty());
    }
}
