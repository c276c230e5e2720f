//! The history side of the git connector: every blob reachable from any ref (branches,
//! tags, remotes, stash, notes, HEAD) is scanned exactly once, at blob level, and each
//! secret is attributed to the commit that first introduced the blob it is in.
//!
//! How: collect every reachable commit, order them parents first and oldest first
//! (git's `--topo-order --date-order --reverse`), then walk each commit's tree, skipping
//! trees already seen, recording the first (commit, path) of every new blob. New blobs
//! are handed in batches to rayon workers as they are found, so enumeration and
//! scanning overlap; each worker opens its own `Repository` (it is not `Sync`) and holds
//! one blob at a time. Memory is the seen-tree and seen-blob sets plus the matches.
//!
//! Corrupt objects, missing commits and shallow clones are recorded in coverage and the
//! rest of the repository is still scanned. Never writes to the repository.

use super::aggregate::{CommitInfo, RepoAgg};
use super::codeowners::{Codeowners, CODEOWNERS_PATHS};
use super::content::{self, SKIP_ALLOWLISTED, SKIP_TOO_LARGE};
use super::integrity::Integrity;
use super::tally::Tally;
use crate::connectors::{PathAllowlist, ScanContext, Verdict};
use crate::matcher::Matcher;
use crate::model::{Evidence, OwnerHint, Signal};
use chrono::{DateTime, Utc};
use git2::{ErrorClass, ErrorCode, ObjectType, Oid, Repository, RepositoryOpenFlags, Tree};
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};

/// Blobs per rayon task: large enough that opening a `Repository` per task is noise.
const BATCH: usize = 256;
/// Errors listed per repository before the rest are only counted.
const MAX_REPO_ERRORS: usize = 20;

/// One repository to scan.
pub(crate) struct RepoInput<'a> {
    /// Name used in resources and messages.
    pub name: &'a str,
    /// Working directory, or the repository directory of a bare repository.
    pub path: &'a Path,
    /// Scan history (else only HEAD's CODEOWNERS is read).
    pub history: bool,
    /// Compute every author of the repository as a contributor hint.
    pub contributors: bool,
    /// Repository-relative paths (files or directories) the history scan is limited
    /// to; `None`: the whole repository.
    pub scope: Option<&'a [String]>,
    /// Repository-relative paths the user named explicitly, with how they wrote them:
    /// allowlist entries covering them are set aside below them, as in the walk.
    pub named: &'a [(String, String)],
}

/// Which repository paths a scan covers: everything, or some files and directories.
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a>(Option<&'a [String]>);

impl Scope<'_> {
    /// `path` (a blob's or tree's repository path) is one of the scoped paths or under one.
    pub(crate) fn covers(&self, path: &str) -> bool {
        self.0.map_or(true, |list| {
            list.iter().any(|s| {
                path == s
                    || (path.len() > s.len()
                        && path.starts_with(s.as_str())
                        && path.as_bytes()[s.len()] == b'/')
            })
        })
    }
    /// The tree at `path` holds a scoped path below it, so must be entered.
    pub(crate) fn leads_to(&self, path: &str) -> bool {
        self.0.map_or(true, |list| {
            list.iter().any(|s| {
                s.len() > path.len() && s.starts_with(path) && s.as_bytes()[path.len()] == b'/'
            })
        })
    }
}

/// What aggregation needs to describe the repository's findings.
#[derive(Default)]
pub(crate) struct RepoMeta {
    pub commits: HashMap<u32, CommitInfo>,
    pub codeowners: Option<Codeowners>,
    pub contributors: Option<Arc<Vec<OwnerHint>>>,
    pub history_scanned: bool,
    /// HEAD paths whose blob the history scan read (scanned, or judged binary or too
    /// large). A working-tree file left to the history scan and not in here is read from
    /// disk.
    pub head_read: HashSet<Arc<str>>,
    /// HEAD paths whose blob history could not read (damaged or missing): their files
    /// are tracked, whichever commit added them is unknown.
    pub head_unread: HashSet<Arc<str>>,
}

/// Errors of one repository, capped so a badly broken one reports a sample and a count.
struct RepoErrors<'a, 't> {
    name: &'a str,
    tally: &'a Tally<'t>,
    count: AtomicUsize,
}

impl RepoErrors<'_, '_> {
    fn error(&self, msg: String) {
        if self.count.fetch_add(1, Ordering::Relaxed) < MAX_REPO_ERRORS {
            self.tally.error(format!("{}: {msg}", self.name));
        }
    }
    fn finish(&self) {
        let n = self.count.load(Ordering::Relaxed);
        if n > MAX_REPO_ERRORS {
            self.tally.error(format!(
                "{}: {} more unreadable objects not listed",
                self.name,
                n - MAX_REPO_ERRORS
            ));
        }
    }
}

/// Process-wide libgit2 settings for read-only scanning, applied once.
pub(crate) fn init_libgit2() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // Re-hashing every object read doubles the cost of a history scan; a corrupt
        // object then scans as garbage instead of failing, which costs us nothing.
        git2::opts::strict_hash_verification(false);
        // Every tree and blob is read once (seen sets skip repeats), so libgit2's object
        // cache only grows: up to 256 MiB of trees on a large history, for no hits.
        git2::opts::enable_caching(false);
        // Security teams scan repositories owned by someone else (a leaver's home
        // directory, a mounted snapshot). The ownership check guards against running a
        // hostile repository's config-driven commands; we only read objects and refs and
        // never run hooks, filters or checkouts.
        // SAFETY: called once, before any repository is opened by this connector; the
        // option only toggles a libgit2 global flag.
        if let Err(e) = unsafe { git2::opts::set_verify_owner_validation(false) } {
            tracing::debug!(error = %e, "Could not disable libgit2 owner validation");
        }
    });
}

pub(crate) fn open(path: &Path) -> Result<Repository, git2::Error> {
    Repository::open_ext(
        path,
        RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&OsStr>(),
    )
}

/// Scan one repository's history into `agg` (which may already hold its working-tree
/// hits) and return what describing the findings needs.
pub(crate) fn scan_repo(
    input: &RepoInput<'_>,
    ctx: &ScanContext<'_>,
    tally: &Tally<'_>,
    agg: &mut RepoAgg,
) -> RepoMeta {
    init_libgit2();
    let errs = RepoErrors {
        name: input.name,
        tally,
        count: AtomicUsize::new(0),
    };
    let mut meta = RepoMeta::default();
    let repo = match open(input.path) {
        Ok(r) => r,
        Err(e) => {
            errs.error(format!(
                "cannot open git repository at {}: {}",
                input.path.display(),
                open_failure_reason(input.path, &e)
            ));
            meta.codeowners = codeowners_from_dir(input.path);
            errs.finish();
            return meta;
        }
    };

    // Without its object store nothing in history can be read: one clear error, not one
    // "missing object" per ref.
    let objects = repo.path().join("objects");
    if let Err(e) = std::fs::read_dir(&objects) {
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            errs.error(format!(
                "{}: permission denied: history not scanned",
                objects.display()
            ));
            meta.codeowners = repo.workdir().and_then(codeowners_from_dir);
            errs.finish();
            return meta;
        }
    }

    // Loose objects libgit2 would hang on are set aside before anything is read.
    let integ = Integrity::of(repo.path());
    let head_tree = match repo.head() {
        Ok(h) => {
            let at = h.resolve().ok().and_then(|r| r.target());
            let tree = match at {
                Some(oid) => peel_commit(&repo, &integ, oid).and_then(|c| {
                    let tid = c.tree_id();
                    integ.check(tid)?;
                    repo.find_tree(tid).map_err(|e| e.message().to_string())
                }),
                None => Err("HEAD points nowhere".to_string()),
            };
            match tree {
                Ok(t) => Some(t),
                Err(e) => {
                    let at = at.map_or_else(String::new, |t| format!(" at {t}"));
                    errs.error(format!("HEAD{at} unreadable: {e}"));
                    None
                }
            }
        }
        // A repository without commits yet.
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
        Err(e) => {
            errs.error(format!("HEAD unreadable: {}", e.message()));
            None
        }
    };
    meta.codeowners = head_tree
        .as_ref()
        .filter(|_| integ.is_whole())
        .and_then(|t| codeowners_from_tree(&repo, t))
        .or_else(|| repo.workdir().and_then(codeowners_from_dir));

    if !input.history && !input.contributors {
        errs.finish();
        return meta;
    }

    let started = std::time::Instant::now();
    let shallow = shallow_commits(&repo, &integ, input.name, tally);
    let graph = enumerate_commits(&repo, &integ, &shallow, input.contributors, &errs);
    tracing::debug!(
        repo = input.name,
        commits = graph.order.len(),
        ms = started.elapsed().as_millis() as u64,
        "Enumerated commits"
    );
    meta.contributors = graph
        .contributors
        .map(|c| Arc::new(contributor_hints(c, input.name)));
    if !input.history {
        errs.finish();
        return meta;
    }

    let scope = Scope(input.scope);
    let head = head_tree
        .map(|t| head_blobs(&repo, &integ, &t, scope, &errs))
        .unwrap_or_default();
    let shared = Shared {
        git_dir: repo.path().to_path_buf(),
        matcher: ctx.matcher,
        max: ctx.limits.max_file_size,
        head: &head,
        head_read: Mutex::new(HashSet::new()),
        order: &graph.order,
        agg: Mutex::new(agg),
        tally,
        errs: &errs,
        scope,
        named: input.named,
        integ: &integ,
    };
    let repo = walk_and_scan(repo, &graph.order, ctx, &shared);
    tracing::debug!(
        repo = input.name,
        ms = started.elapsed().as_millis() as u64,
        "Scanned history"
    );
    let read = shared
        .head_read
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    meta.head_read = head
        .iter()
        .filter(|(oid, _)| read.contains(*oid))
        .flat_map(|(_, paths)| paths.iter().cloned())
        .collect();
    meta.head_unread = head
        .iter()
        .filter(|(oid, _)| !read.contains(*oid))
        .flat_map(|(_, paths)| paths.iter().cloned())
        .collect();
    let agg = shared.agg.into_inner().unwrap_or_else(|e| e.into_inner());
    meta.history_scanned = true;
    meta.commits = commit_infos(&repo, &integ, &graph.order, &shallow, agg.commits_needed());
    errs.finish();
    meta
}

/// Why a repository would not open. libgit2 reports an unreadable `.git` as "could not
/// find repository", which sends the user looking for the wrong fault.
fn open_failure_reason(path: &Path, e: &git2::Error) -> String {
    let git_dir = path.join(".git");
    let dir = if git_dir.is_dir() {
        git_dir
    } else {
        path.to_path_buf()
    };
    for d in [dir.clone(), dir.join("objects"), dir.join("refs")] {
        if let Err(err) = std::fs::read_dir(&d) {
            if err.kind() == std::io::ErrorKind::PermissionDenied {
                return format!("{}: permission denied", d.display());
            }
        }
    }
    e.message().to_string()
}

/// Names (`refs/heads/x`) of the loose ref files under `git_dir/refs`.
fn loose_ref_names(git_dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(git_dir.join("refs"), "refs".to_string())];
    while let Some((dir, name)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let Some(leaf) = e.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let full = format!("{name}/{leaf}");
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push((e.path(), full)),
                // A lock file is a ref being written by git, not a ref.
                Ok(t) if t.is_file() && !leaf.ends_with(".lock") => out.push(full),
                _ => {}
            }
        }
    }
    out
}

/// The commit `oid` is or leads to through annotated tags, never reading an object the
/// integrity check set aside. Errors keep libgit2's codes: `NotFound` for a missing
/// object, `Peel` for a tag of a tree or blob.
fn peel_to_commit_id(
    repo: &Repository,
    integ: &Integrity,
    mut oid: Oid,
) -> Result<Oid, git2::Error> {
    let damaged = |e: String| git2::Error::new(ErrorCode::GenericError, ErrorClass::Odb, e);
    // Tags of tags are allowed, but not forever.
    for _ in 0..32 {
        integ.check(oid).map_err(damaged)?;
        let obj = repo.find_object(oid, None)?;
        match obj.kind() {
            Some(ObjectType::Commit) => return Ok(oid),
            Some(ObjectType::Tag) => match obj.as_tag() {
                Some(t) => oid = t.target_id(),
                None => return Err(damaged(format!("tag {oid} unreadable"))),
            },
            _ => {
                return Err(git2::Error::new(
                    ErrorCode::Peel,
                    ErrorClass::Object,
                    format!("{oid} is not a commit"),
                ))
            }
        }
    }
    Err(damaged(format!("tag chain at {oid} too long")))
}

/// The commit a reference leads to, guarded like [`peel_to_commit_id`].
fn guarded_peel(
    repo: &Repository,
    integ: &Integrity,
    r: &git2::Reference<'_>,
) -> Result<Oid, git2::Error> {
    let target = r.resolve()?.target().ok_or_else(|| {
        git2::Error::new(
            ErrorCode::NotFound,
            ErrorClass::Reference,
            "reference has no target",
        )
    })?;
    peel_to_commit_id(repo, integ, target)
}

/// The commit `oid` leads to, read.
fn peel_commit<'r>(
    repo: &'r Repository,
    integ: &Integrity,
    oid: Oid,
) -> Result<git2::Commit<'r>, String> {
    peel_to_commit_id(repo, integ, oid)
        .and_then(|c| repo.find_commit(c))
        .map_err(|e| e.message().to_string())
}

/// GitHub's CODEOWNERS from the HEAD tree.
fn codeowners_from_tree(repo: &Repository, tree: &Tree<'_>) -> Option<Codeowners> {
    CODEOWNERS_PATHS.iter().find_map(|p| {
        let entry = tree.get_path(Path::new(p)).ok()?;
        let blob = repo.find_blob(entry.id()).ok()?;
        Codeowners::parse(p, &String::from_utf8_lossy(blob.content()))
    })
}

/// CODEOWNERS from a working directory, when there is no HEAD to read it from.
pub(crate) fn codeowners_from_dir(dir: &Path) -> Option<Codeowners> {
    CODEOWNERS_PATHS.iter().find_map(|p| {
        let text = std::fs::read(dir.join(p)).ok()?;
        Codeowners::parse(p, &String::from_utf8_lossy(&text))
    })
}

/// The commits a shallow clone cuts history at, with the coverage error naming them.
fn shallow_commits(
    repo: &Repository,
    integ: &Integrity,
    name: &str,
    tally: &Tally<'_>,
) -> HashSet<Oid> {
    if !repo.is_shallow() {
        return HashSet::new();
    }
    let text = std::fs::read_to_string(repo.path().join("shallow")).unwrap_or_default();
    let cut: Vec<Oid> = text
        .lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect();
    let what = match cut.first() {
        Some(oid) => {
            let date = integ
                .check(*oid)
                .ok()
                .and_then(|()| repo.find_commit(*oid).ok())
                .and_then(|c| to_utc(c.author().when().seconds()));
            let short = &oid.to_string()[..7];
            let more = if cut.len() > 1 {
                format!(" and {} more cut points", cut.len() - 1)
            } else {
                String::new()
            };
            match date {
                Some(d) => format!("{short} ({}){more}", d.format("%Y-%m-%d")),
                None => format!("{short}{more}"),
            }
        }
        None => "the shallow boundary".to_string(),
    };
    tally.error(format!(
        "{name} is a shallow clone: history before {what} not scanned, and secrets present \
         at the cut were introduced there or earlier, by an unknown author: fetch the full \
         history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout) or pass \
         --no-history (`history = false` in a git connector's config)"
    ));
    cut.into_iter().collect()
}

fn to_utc(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp(secs, 0)
}

struct Contributor {
    email: String,
    commits: u64,
    last: i64,
}

struct Graph {
    /// (commit, its tree), parents before children, older before newer.
    order: Vec<(Oid, Oid)>,
    /// By lowercased email.
    contributors: Option<HashMap<String, Contributor>>,
}

struct Node {
    oid: Oid,
    tree: Oid,
    time: i64,
    parents: Vec<Oid>,
}

/// Every commit reachable from any ref or HEAD, in walk order. Done by hand rather than
/// with `Revwalk` so a missing commit costs that commit, not the whole walk.
fn enumerate_commits(
    repo: &Repository,
    integ: &Integrity,
    shallow: &HashSet<Oid>,
    want_contributors: bool,
    errs: &RepoErrors<'_, '_>,
) -> Graph {
    let mut stack = Vec::new();
    let mut listed: HashSet<Vec<u8>> = HashSet::new();
    match repo.references() {
        Ok(refs) => {
            for r in refs {
                if let Ok(r) = &r {
                    listed.insert(r.name_bytes().to_vec());
                }
                match r {
                    Ok(r) => match guarded_peel(repo, integ, &r) {
                        Ok(o) => stack.push(o),
                        Err(e) if e.code() == ErrorCode::NotFound => {
                            let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
                            let obj = r.resolve().ok().and_then(|t| t.target()).map_or_else(
                                || "a missing object".to_string(),
                                |t| format!("missing object {t}"),
                            );
                            errs.error(format!("ref {name} points to {obj}: {}", e.message()));
                        }
                        // A tag of a tree or blob: no history behind it.
                        Err(e) if matches!(e.code(), ErrorCode::Peel | ErrorCode::InvalidSpec) => {}
                        // A corrupt tag or commit: what it leads to is not read, say so.
                        Err(e) => {
                            let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
                            let at = r
                                .resolve()
                                .ok()
                                .and_then(|t| t.target())
                                .map_or_else(String::new, |t| format!(" ({t})"));
                            errs.error(format!("ref {name}{at} unreadable: {}", e.message()));
                        }
                    },
                    Err(e) => errs.error(format!("unreadable ref: {}", e.message())),
                }
            }
        }
        Err(e) => errs.error(format!("refs unreadable: {}", e.message())),
    }
    // libgit2 leaves out a loose ref file that does not parse: what it points to is not
    // read, so say which.
    for name in loose_ref_names(repo.path()) {
        if !listed.contains(name.as_bytes()) {
            errs.error(format!(
                "ref {name} unreadable: its file does not hold an object id or a symbolic ref"
            ));
        }
    }
    if let Ok(o) = repo
        .head()
        .map_err(|_| ())
        .and_then(|h| guarded_peel(repo, integ, &h).map_err(|_| ()))
    {
        stack.push(o);
    }

    let mut idx: HashMap<Oid, usize> = HashMap::new();
    let mut missing: HashSet<Oid> = HashSet::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut contributors: HashMap<String, Contributor> = HashMap::new();
    while let Some(oid) = stack.pop() {
        if idx.contains_key(&oid) || missing.contains(&oid) {
            continue;
        }
        let c = match integ.check(oid).and_then(|()| {
            repo.find_commit(oid)
                .map_err(|e| format!("commit {oid} unreadable: {}", e.message()))
        }) {
            Ok(c) => c,
            Err(e) => {
                missing.insert(oid);
                errs.error(e);
                continue;
            }
        };
        let parents: Vec<Oid> = if shallow.contains(&oid) {
            Vec::new()
        } else {
            c.parent_ids().collect()
        };
        if want_contributors {
            let author = c.author();
            let email = String::from_utf8_lossy(author.email_bytes())
                .trim()
                .to_string();
            if !email.is_empty() {
                let when = author.when().seconds();
                let e = contributors
                    .entry(email.to_lowercase())
                    .or_insert(Contributor {
                        email,
                        commits: 0,
                        last: when,
                    });
                e.commits += 1;
                e.last = e.last.max(when);
            }
        }
        stack.extend(parents.iter().filter(|p| !idx.contains_key(p)).copied());
        idx.insert(oid, nodes.len());
        nodes.push(Node {
            oid,
            tree: c.tree_id(),
            time: c.time().seconds(),
            parents,
        });
    }

    // Kahn's algorithm: a commit is ready once all its parents are out; among ready
    // commits the oldest goes first.
    let n = nodes.len();
    let mut pending = vec![0usize; n];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, node) in nodes.iter().enumerate() {
        for p in &node.parents {
            if let Some(&pi) = idx.get(p) {
                pending[i] += 1;
                children[pi].push(i);
            }
        }
    }
    let mut ready: BinaryHeap<Reverse<(i64, Oid, usize)>> = (0..n)
        .filter(|&i| pending[i] == 0)
        .map(|i| Reverse((nodes[i].time, nodes[i].oid, i)))
        .collect();
    let mut order = Vec::with_capacity(n);
    let mut done = vec![false; n];
    while let Some(Reverse((_, _, i))) = ready.pop() {
        done[i] = true;
        order.push((nodes[i].oid, nodes[i].tree));
        for &c in &children[i] {
            pending[c] -= 1;
            if pending[c] == 0 {
                ready.push(Reverse((nodes[c].time, nodes[c].oid, c)));
            }
        }
    }
    // Only a parent cycle (impossible without grafts) leaves commits out: keep them.
    order.extend(
        nodes
            .iter()
            .zip(done)
            .filter(|(_, d)| !d)
            .map(|(n, _)| (n.oid, n.tree)),
    );
    Graph {
        order,
        contributors: want_contributors.then_some(contributors),
    }
}

fn contributor_hints(c: HashMap<String, Contributor>, repo: &str) -> Vec<OwnerHint> {
    let mut list: Vec<Contributor> = c.into_values().collect();
    list.sort_by(|a, b| a.email.cmp(&b.email));
    list.into_iter()
        .map(|c| {
            let last = to_utc(c.last).map_or_else(
                || "an unknown date".to_string(),
                |d| d.format("%Y-%m-%d").to_string(),
            );
            let times = if c.commits == 1 {
                "once".to_string()
            } else {
                format!("{} times", c.commits)
            };
            OwnerHint::new(
                c.email,
                Signal::Contributor,
                Evidence::new(
                    "git:commit",
                    format!("committed {times} to {repo}, last on {last}"),
                ),
            )
        })
        .collect()
}

/// Every blob in the HEAD tree with the paths it has there.
fn head_blobs(
    repo: &Repository,
    integ: &Integrity,
    tree: &Tree<'_>,
    scope: Scope<'_>,
    errs: &RepoErrors<'_, '_>,
) -> HashMap<Oid, Vec<Arc<str>>> {
    let mut out: HashMap<Oid, Vec<Arc<str>>> = HashMap::new();
    let mut stack = vec![(tree.id(), String::new())];
    while let Some((tid, prefix)) = stack.pop() {
        let t = match integ
            .check(tid)
            .and_then(|()| repo.find_tree(tid).map_err(|e| e.message().to_string()))
        {
            Ok(t) => t,
            Err(e) => {
                errs.error(format!(
                    "tree {tid} at {} in HEAD unreadable: {e}",
                    display_dir(&prefix),
                ));
                continue;
            }
        };
        for entry in t.iter() {
            let path = join(&prefix, entry.name_bytes());
            match entry.kind() {
                Some(ObjectType::Tree) if scope.covers(&path) || scope.leads_to(&path) => {
                    stack.push((entry.id(), path))
                }
                Some(ObjectType::Blob) if scope.covers(&path) => {
                    out.entry(entry.id()).or_default().push(path.into())
                }
                _ => {}
            }
        }
    }
    out
}

fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

fn display_dir(prefix: &str) -> &str {
    if prefix.is_empty() {
        "/"
    } else {
        prefix
    }
}

/// What blob-scanning tasks share.
struct Shared<'a, 't> {
    git_dir: PathBuf,
    matcher: &'a Matcher,
    max: u64,
    head: &'a HashMap<Oid, Vec<Arc<str>>>,
    /// Blobs of `head` that were read.
    head_read: Mutex<HashSet<Oid>>,
    /// The walk order, to name a blob's introducing commit in errors.
    order: &'a [(Oid, Oid)],
    agg: Mutex<&'a mut RepoAgg>,
    tally: &'a Tally<'t>,
    errs: &'a RepoErrors<'a, 't>,
    scope: Scope<'a>,
    named: &'a [(String, String)],
    /// Loose objects not to hand to libgit2.
    integ: &'a Integrity,
}

impl Shared<'_, '_> {
    /// Whether the allowlist lets the blob at `path` be read: as in the walk, entries
    /// covering a path the user named are set aside at and below it (with a note).
    fn allowed(&self, allow: &PathAllowlist, path: &str) -> bool {
        if !allow.is_allowed(path) {
            return true;
        }
        let at = self
            .named
            .iter()
            .filter(|(n, _)| Scope(Some(std::slice::from_ref(n))).covers(path))
            .max_by_key(|(n, _)| n.len());
        match allow.verdict(path, at.map(|(n, _)| n.as_str())) {
            Verdict::Scan => true,
            Verdict::Named(entries) => {
                if let Some((_, shown)) = at {
                    self.tally.note(super::walk::named_note(shown, &entries));
                }
                true
            }
            Verdict::Skip => false,
        }
    }
}

struct BlobJob {
    oid: Oid,
    /// Index into the walk order of the commit that introduced the blob.
    commit: u32,
    path: Arc<str>,
}

/// Walk every commit's tree in order, handing new blobs to rayon as they are found.
/// Takes and returns the repository because it cannot be shared across threads.
fn walk_and_scan(
    repo: Repository,
    order: &[(Oid, Oid)],
    ctx: &ScanContext<'_>,
    shared: &Shared<'_, '_>,
) -> Repository {
    let allow = ctx.allow_paths;
    let scope = shared.scope;
    rayon::scope(move |s| {
        let walk_started = std::time::Instant::now();
        let mut seen_trees: HashSet<Oid> = HashSet::new();
        let mut seen_blobs: HashSet<Oid> = HashSet::new();
        let mut allowlisted: HashSet<Oid> = HashSet::new();
        let mut paths: HashSet<Arc<str>> = HashSet::new();
        let mut batch: Vec<BlobJob> = Vec::with_capacity(BATCH);
        for (ci, (commit, root)) in order.iter().enumerate() {
            if !seen_trees.insert(*root) {
                continue;
            }
            let commit_idx = u32::try_from(ci).unwrap_or(u32::MAX);
            let mut stack = vec![(*root, String::new())];
            while let Some((tid, prefix)) = stack.pop() {
                let t = match shared
                    .integ
                    .check(tid)
                    .and_then(|()| repo.find_tree(tid).map_err(|e| e.message().to_string()))
                {
                    Ok(t) => t,
                    Err(e) => {
                        shared.errs.error(format!(
                            "tree {tid} at {} in commit {commit} unreadable: {e}",
                            display_dir(&prefix),
                        ));
                        continue;
                    }
                };
                for entry in t.iter() {
                    let id = entry.id();
                    match entry.kind() {
                        Some(ObjectType::Tree) if !seen_trees.contains(&id) => {
                            let path = join(&prefix, entry.name_bytes());
                            if scope.covers(&path) {
                                seen_trees.insert(id);
                                stack.push((id, path));
                            } else if scope.leads_to(&path) {
                                // Entered for the scoped paths below it only: the same
                                // tree elsewhere may hold scoped paths this one skips.
                                stack.push((id, path));
                            }
                        }
                        Some(ObjectType::Blob) => {
                            if seen_blobs.contains(&id) {
                                continue;
                            }
                            let path = join(&prefix, entry.name_bytes());
                            if !scope.covers(&path) {
                                continue;
                            }
                            if !shared.allowed(allow, &path) {
                                if allowlisted.insert(id) {
                                    shared.tally.skip(SKIP_ALLOWLISTED);
                                }
                                continue;
                            }
                            seen_blobs.insert(id);
                            let path = match paths.get(path.as_str()) {
                                Some(p) => p.clone(),
                                None => {
                                    let p: Arc<str> = path.into();
                                    paths.insert(p.clone());
                                    p
                                }
                            };
                            batch.push(BlobJob {
                                oid: id,
                                commit: commit_idx,
                                path,
                            });
                            if batch.len() >= BATCH {
                                let jobs = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                                s.spawn(move |_| scan_batch(shared, jobs));
                            }
                        }
                        // Submodule commits belong to another repository's history.
                        _ => {}
                    }
                }
            }
        }
        tracing::debug!(
            repo = shared.errs.name,
            blobs = seen_blobs.len(),
            trees = seen_trees.len(),
            ms = walk_started.elapsed().as_millis() as u64,
            "Walked trees"
        );
        if !batch.is_empty() {
            s.spawn(move |_| scan_batch(shared, batch));
        }
        repo
    })
}

fn scan_batch(shared: &Shared<'_, '_>, jobs: Vec<BlobJob>) {
    let repo = match open(&shared.git_dir) {
        Ok(r) => r,
        Err(e) => {
            shared.errs.error(format!(
                "{} blobs not scanned: cannot reopen repository: {}",
                jobs.len(),
                e.message()
            ));
            return;
        }
    };
    let odb = match repo.odb() {
        Ok(o) => o,
        Err(e) => {
            shared.errs.error(format!(
                "{} blobs not scanned: object database unreadable: {}",
                jobs.len(),
                e.message()
            ));
            return;
        }
    };
    let mut found = Vec::new();
    let mut head_read = Vec::new();
    for job in jobs {
        if let Err(e) = shared.integ.check(job.oid) {
            shared
                .errs
                .error(format!("blob {} ({}): {e}", job.oid, job.path));
            continue;
        }
        match odb.read_header(job.oid) {
            Ok((size, _)) if size as u64 > shared.max => {
                // The file on disk, the same content, would be too large as well.
                if shared.head.contains_key(&job.oid) {
                    head_read.push(job.oid);
                }
                shared.tally.skip(SKIP_TOO_LARGE);
                // Binary content would be skipped anyway; text over the limit is a hole
                // in the scan, so an error (partial), not just a count.
                if !too_large_is_binary(&odb, job.oid, &job.path) {
                    let at = shared.order.get(job.commit as usize).map_or_else(
                        || format!("blob {} ({})", job.oid, job.path),
                        |(c, _)| format!("blob {} ({} in commit {c})", job.oid, job.path),
                    );
                    shared
                        .errs
                        .error(content::too_large_error(&at, size as u64, shared.max));
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                shared.errs.error(format!(
                    "blob {} ({}) unreadable: {}",
                    job.oid,
                    job.path,
                    e.message()
                ));
                continue;
            }
        }
        let obj = match odb.read(job.oid) {
            Ok(o) => o,
            Err(e) => {
                shared.errs.error(format!(
                    "blob {} ({}) unreadable: {}",
                    job.oid,
                    job.path,
                    e.message()
                ));
                continue;
            }
        };
        if shared.head.contains_key(&job.oid) {
            head_read.push(job.oid);
        }
        let label = shared.order.get(job.commit as usize).map_or_else(
            || format!("blob {} ({})", job.oid, job.path),
            |(c, _)| format!("blob {} ({} in commit {c})", job.oid, job.path),
        );
        let limits = content::ArchiveLimits::new(shared.max);
        let mut scan = content::scan_blob(shared.matcher, &label, obj.data(), limits);
        for e in std::mem::take(&mut scan.errors) {
            shared.errs.error(e);
        }
        scan.record(shared.tally);
        for hit in scan.hits {
            found.push((hit, job.oid, job.commit, job.path.clone()));
        }
    }
    if !head_read.is_empty() {
        shared
            .head_read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(head_read);
    }
    if !found.is_empty() {
        let mut agg = shared.agg.lock().unwrap_or_else(|e| e.into_inner());
        for (hit, oid, commit, path) in found {
            let head_paths = shared.head.get(&oid).map_or(&[][..], |v| &v[..]);
            if hit.entry.is_some() {
                // Inside an archive: the entry's place in each path the blob has.
                let at = hit.path_in(&path);
                let head: Vec<Arc<str>> = head_paths.iter().map(|p| hit.path_in(p)).collect();
                agg.add_history(hit, commit, &at, &head);
            } else {
                agg.add_history(hit, commit, &path, head_paths);
            }
        }
    }
}

/// Whether a blob too large to read whole is binary: its first 8 KiB when the object
/// database can stream it (loose objects), else (packed objects, which libgit2 only
/// inflates whole) its name, for formats that are binary by definition.
fn too_large_is_binary(odb: &git2::Odb<'_>, oid: Oid, path: &str) -> bool {
    use std::io::Read;
    if let Ok((reader, _, _)) = odb.reader(oid) {
        let mut head = Vec::with_capacity(content::BINARY_SNIFF);
        if reader
            .take(content::BINARY_SNIFF as u64)
            .read_to_end(&mut head)
            .is_ok()
        {
            return content::is_binary(&head);
        }
    }
    content::binary_by_name(path)
}

/// Author details of the introducing commits the findings reference.
fn commit_infos(
    repo: &Repository,
    integ: &Integrity,
    order: &[(Oid, Oid)],
    shallow: &HashSet<Oid>,
    needed: BTreeSet<u32>,
) -> HashMap<u32, CommitInfo> {
    needed
        .into_iter()
        .filter_map(|i| {
            let (oid, _) = order.get(i as usize)?;
            let read = integ
                .check(*oid)
                .map_err(|_| ())
                .and_then(|()| repo.find_commit(*oid).map_err(|_| ()));
            let info = match read {
                Ok(c) => {
                    let a = c.author();
                    CommitInfo {
                        id: oid.to_string(),
                        author_name: String::from_utf8_lossy(a.name_bytes()).trim().to_string(),
                        author_email: String::from_utf8_lossy(a.email_bytes()).trim().to_string(),
                        time: to_utc(a.when().seconds()),
                        shallow_boundary: shallow.contains(oid),
                        co_authors: super::aggregate::co_authors(&String::from_utf8_lossy(
                            c.message_bytes(),
                        )),
                    }
                }
                Err(_) => CommitInfo {
                    id: oid.to_string(),
                    author_name: String::new(),
                    author_email: String::new(),
                    time: None,
                    shallow_boundary: shallow.contains(oid),
                    co_authors: Vec::new(),
                },
            };
            Some((i, info))
        })
        .collect()
}
