//! The file side of the git connector: walk each configured path in parallel, find the
//! repositories under it, and scan every regular file once (working trees included).
//!
//! Hidden files are walked (`.env*` is where secrets live) and ignore files are not
//! honoured (a leaver's untracked, ignored `.env` matters). `.git` directories and bare
//! repositories are not descended into: their content is history, read by
//! [`super::history`]. Symlinks are never followed, so there are no loops.

use super::clean::{self, CleanFiles, StatSig};
use super::content::{self, Hit, SKIP_ALLOWLISTED, SKIP_TOO_LARGE};
use super::tally::Tally;
use crate::connectors::allowlist::named_prefix;
use crate::connectors::{ScanContext, Verdict};
use ignore::{WalkBuilder, WalkState};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// A repository found under a scanned path.
pub(crate) struct RepoDir {
    /// The working directory, or the repository directory itself for a bare one.
    pub path: PathBuf,
    /// Index of the scanned root it was found under.
    pub root: usize,
    /// Repository-relative paths the scan is limited to, when the scanned paths lie
    /// inside the repository (`secrets repo/src repo/app.env`); `None`: all of it.
    pub scope: Option<Vec<String>>,
    /// Paths inside the repository the user named explicitly, repository-relative, with
    /// how the user wrote them: the allowlist does not hide them ([`Named`]).
    pub named: Vec<(String, String)>,
}

/// A scanned root, whose basename names the files outside any repository.
pub(crate) struct Root {
    pub path: PathBuf,
    pub name: String,
}

/// Which aggregate a file belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Owner {
    /// A file in the working tree of `repos[i]`.
    Repo(usize),
    /// A file outside any repository under `roots[i]`.
    Loose(usize),
}

/// Hits in one file, with the file's path relative to its owner.
pub(crate) struct FileHits {
    pub owner: Owner,
    pub rel: String,
    pub hits: Vec<Hit>,
}

/// A working-tree file not read because git's index proves it identical to HEAD's blob:
/// read from disk after all when the history scan could not read that blob.
pub(crate) struct Deferred {
    /// Index into [`WalkResult::repos`].
    pub repo: usize,
    /// Repository-relative path.
    pub rel: String,
    pub path: PathBuf,
}

#[derive(Default)]
pub(crate) struct WalkResult {
    pub roots: Vec<Root>,
    pub repos: Vec<RepoDir>,
    pub files: Vec<FileHits>,
    pub deferred: Vec<Deferred>,
}

/// What the walk collects, shared by its threads.
#[derive(Default)]
struct Found {
    files: Mutex<Vec<FileHits>>,
    deferred: Mutex<Vec<Deferred>>,
}

/// The paths the user named (command line or a connector's `paths`), canonical, with
/// how they were written. The allowlist is for what the user did not name: an entry that
/// covers a named path (the path itself, or a directory above it) is set aside for
/// everything at or below it, with a coverage note; other entries still apply there.
#[derive(Default)]
pub(crate) struct Named {
    list: Vec<(PathBuf, String)>,
}

impl Named {
    /// The deepest named path at or above `abs`.
    fn containing(&self, abs: &Path) -> Option<&(PathBuf, String)> {
        self.list
            .iter()
            .filter(|(n, _)| abs.starts_with(n))
            .max_by_key(|(n, _)| n.components().count())
    }

    /// Some named path lies strictly below the directory `abs`.
    fn below(&self, abs: &Path) -> bool {
        self.list
            .iter()
            .any(|(n, _)| n != abs && n.starts_with(abs))
    }
}

/// The coverage note for allowlist entries set aside because `shown` was named.
pub(crate) fn named_note(shown: &str, entries: &[&crate::connectors::AllowEntry]) -> String {
    let by: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
    format!(
        "{shown} is allowlisted by {}; scanned because it was named explicitly",
        by.join(", ")
    )
}

/// Whether the allowlist lets the file or directory `abs`, at `rel` in its repository
/// (else its scanned root), be read. A skipped file is counted; an entry set aside for a
/// named path is noted. A directory with a named path below it is entered (its other
/// files are then judged one by one).
fn allowed(
    ctx: &ScanContext<'_>,
    tally: &Tally<'_>,
    named: &Named,
    abs: &Path,
    rel: &str,
    dir: bool,
) -> bool {
    // The common case costs one glob match.
    if !ctx.allow_paths.is_allowed(rel) {
        return true;
    }
    let at = named
        .containing(abs)
        .and_then(|(n, shown)| named_prefix(rel, &rel_path(n, abs)).map(|anchor| (anchor, shown)));
    match ctx.allow_paths.verdict(rel, at.map(|(a, _)| a)) {
        Verdict::Scan => true,
        Verdict::Named(entries) => {
            if let Some((_, shown)) = at {
                tally.note(named_note(shown, &entries));
            }
            true
        }
        Verdict::Skip if dir && named.below(abs) => true,
        Verdict::Skip => {
            tally.skip(SKIP_ALLOWLISTED);
            false
        }
    }
}

/// Repositories found so far, looked up by directory while the walk goes on.
#[derive(Default)]
struct Registry {
    list: Vec<RepoDir>,
    by_path: HashMap<PathBuf, (usize, Option<Arc<CleanFiles>>)>,
}

/// Walk every path, scanning files as they are found. With `history`, working-tree
/// files that git's index proves identical to HEAD are left to the history scan.
pub(crate) fn walk(
    paths: &[PathBuf],
    history: bool,
    ctx: &ScanContext<'_>,
    tally: &Tally<'_>,
) -> WalkResult {
    let mut out = WalkResult::default();
    let repos: RwLock<Registry> = RwLock::new(Registry::default());
    let found = Found::default();

    let mut canonical: Vec<(PathBuf, &PathBuf)> = Vec::new();
    for p in paths {
        match std::fs::canonicalize(p) {
            // A repository's `.git` directory stands for the repository (walking it
            // would skip it as history and scan nothing).
            Ok(c) if c.file_name() == Some(OsStr::new(".git")) && c.is_dir() => {
                let repo = c.parent().map_or_else(|| c.clone(), Path::to_path_buf);
                canonical.push((repo, p));
            }
            Ok(c) => canonical.push((c, p)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tally.error(format!("{}: path does not exist", p.display()));
            }
            Err(e) => tally.error(format!("{}: cannot open: {e}", p.display())),
        }
    }
    // Outer paths first, so that a path inside another is recognised and not scanned twice.
    canonical.sort_by_key(|(c, _)| c.components().count());
    let named = Named {
        list: canonical
            .iter()
            .map(|(c, p)| (c.clone(), p.display().to_string()))
            .collect(),
    };
    let w = Walker {
        history,
        ctx,
        tally,
        repos: &repos,
        found: &found,
        named: &named,
    };
    for (canon, p) in canonical {
        // A path inside one already scanned would only be scanned twice.
        if out.roots.iter().any(|r| canon.starts_with(&r.path)) {
            continue;
        }
        let meta = match std::fs::metadata(&canon) {
            Ok(m) => m,
            Err(e) => {
                tally.error(format!("{}: cannot open: {e}", p.display()));
                continue;
            }
        };
        // A FIFO or device named on the command line was asked for and cannot be read
        // (it could block or never end): say so, never a clean scan of nothing.
        if !meta.is_file() && !meta.is_dir() {
            tally.error(format!(
                "{}: not a regular file or directory (a FIFO, socket or device): not scanned",
                p.display()
            ));
            continue;
        }
        let root_idx = out.roots.len();
        // A path inside a repository's working tree (not its root) belongs to that
        // repository: its files are named from the repository root, attributed to their
        // commits, and the history scan is limited to the paths given.
        let enclosing = enclosing_repo(&canon).map(|(dir, scope)| {
            let known = repos
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .by_path
                .contains_key(&dir);
            let clean = if history && !known {
                clean::clean_files(&dir)
            } else {
                None
            };
            register_scoped(&repos, &dir, root_idx, clean, Some(scope));
            dir
        });
        if meta.is_file() {
            // A single file: named after its directory, path is the file name; in a
            // repository, after the repository and its path there.
            let parent = canon
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| canon.clone());
            out.roots.push(Root {
                name: basename(&parent),
                path: canon.clone(),
            });
            let (owner, rel, sig) = match &enclosing {
                Some(dir) => {
                    let rel = rel_path(dir, &canon);
                    let r = repos.read().unwrap_or_else(|e| e.into_inner());
                    match r.by_path.get(dir) {
                        Some((idx, clean)) => {
                            let sig = clean.as_ref().and_then(|c| c.get(&rel)).copied();
                            (Owner::Repo(*idx), rel, sig)
                        }
                        None => (Owner::Loose(root_idx), rel, None),
                    }
                }
                None => {
                    let rel = canon
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                    (Owner::Loose(root_idx), rel, None)
                }
            };
            w.scan_file(&canon, rel, owner, sig.as_ref());
            continue;
        }
        out.roots.push(Root {
            name: basename(&canon),
            path: canon.clone(),
        });
        let stop = enclosing.as_deref().unwrap_or(&canon);
        w.walk_dir(&canon, stop, root_idx);
    }

    out.repos = repos.into_inner().unwrap_or_else(|e| e.into_inner()).list;
    for repo in &mut out.repos {
        repo.named = named
            .list
            .iter()
            .filter(|(n, _)| n != &repo.path && n.starts_with(&repo.path))
            .map(|(n, shown)| (rel_path(&repo.path, n), shown.clone()))
            .collect();
    }
    out.files = found.files.into_inner().unwrap_or_else(|e| e.into_inner());
    out.deferred = found
        .deferred
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    out
}

/// What the walk of every root shares.
struct Walker<'a, 'c> {
    history: bool,
    ctx: &'a ScanContext<'c>,
    tally: &'a Tally<'c>,
    repos: &'a RwLock<Registry>,
    found: &'a Found,
    named: &'a Named,
}

impl Walker<'_, '_> {
    /// Walk `root`; files outside any repository found under it belong to the repository
    /// at `stop` (an enclosing one) when it is registered, else to the root.
    fn walk_dir(&self, root: &Path, stop: &Path, root_idx: usize) {
        let walker = WalkBuilder::new(root)
            .standard_filters(false)
            .follow_links(false)
            .build_parallel();
        let (repos, tally) = (self.repos, self.tally);
        walker.run(|| {
            Box::new(move |res| {
                let entry = match res {
                    Ok(e) => e,
                    Err(e) => {
                        tally.error(format!("walking {}: {e}", root.display()));
                        return WalkState::Continue;
                    }
                };
                let Some(ft) = entry.file_type() else {
                    return WalkState::Continue;
                };
                let path = entry.path();
                if ft.is_dir() {
                    if entry.file_name() == ".git" {
                        return WalkState::Skip;
                    }
                    // An allowlisted directory is not entered at all: neither its files nor
                    // the history of repositories inside it (vendored trees, generated
                    // corpora). It is matched by the same path its files and history are:
                    // relative to the enclosing repository, else to the scanned root.
                    if entry.depth() > 0 {
                        let rel = owner_of(repos, root, stop, root_idx, path).1;
                        if !allowed(self.ctx, tally, self.named, path, &rel, true) {
                            return WalkState::Skip;
                        }
                    }
                    // Registered before any child is visited: the walker visits a directory
                    // before it queues the directory's entries.
                    if path.join(".git").symlink_metadata().is_ok() {
                        let clean = if self.history {
                            clean::clean_files(path)
                        } else {
                            None
                        };
                        register(repos, path, root_idx, clean);
                    } else if is_bare_repo(path) {
                        register(repos, path, root_idx, None);
                        return WalkState::Skip;
                    }
                    return WalkState::Continue;
                }
                if ft.is_symlink() {
                    tally.skip("symlink");
                    return WalkState::Continue;
                }
                if !ft.is_file() {
                    // FIFOs, sockets and devices: reading them could block or never end.
                    tally.skip("special_file");
                    return WalkState::Continue;
                }
                if entry.file_name() == ".git" {
                    // A `gitdir:` pointer file (submodule, worktree): its parent is the
                    // repository.
                    return WalkState::Continue;
                }
                let (owner, rel, clean) = owner_of(repos, root, stop, root_idx, path);
                let sig = clean.as_ref().and_then(|c| c.get(&rel)).copied();
                self.scan_file(path, rel, owner, sig.as_ref());
                WalkState::Continue
            })
        });
    }

    fn scan_file(&self, path: &Path, rel: String, owner: Owner, clean: Option<&StatSig>) {
        // The run's deadline passed: the pipeline records what was not read.
        if self.ctx.limits.cancel.is_cancelled() {
            return;
        }
        if !allowed(self.ctx, self.tally, self.named, path, &rel, false) {
            return;
        }
        let hits = match read_and_scan(path, clean, self.ctx, self.tally) {
            Scanned::Hits(h) => h,
            // HEAD's copy of this very content is read by the history scan; if that read
            // fails, the file is read from disk after all.
            Scanned::Clean => {
                if let Owner::Repo(repo) = owner {
                    self.found
                        .deferred
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(Deferred {
                            repo,
                            rel,
                            path: path.to_path_buf(),
                        });
                }
                return;
            }
        };
        if !hits.is_empty() {
            self.found
                .files
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(FileHits { owner, rel, hits });
        }
    }
}

fn register(repos: &RwLock<Registry>, path: &Path, root: usize, clean: Option<CleanFiles>) {
    register_scoped(repos, path, root, clean, None);
}

/// Register a repository, limited to `scope` (a repository-relative path) or whole. A
/// repository registered several times is scanned over the union of what was asked.
fn register_scoped(
    repos: &RwLock<Registry>,
    path: &Path,
    root: usize,
    clean: Option<CleanFiles>,
    scope: Option<String>,
) {
    let mut r = repos.write().unwrap_or_else(|e| e.into_inner());
    match r.by_path.get(path).map(|(i, _)| *i) {
        Some(idx) => {
            if let Some(dir) = r.list.get_mut(idx) {
                match (&mut dir.scope, scope) {
                    (Some(list), Some(s)) => {
                        if !list.contains(&s) {
                            list.push(s);
                        }
                    }
                    (Some(_), None) => dir.scope = None,
                    (None, _) => {}
                }
            }
        }
        None => {
            let idx = r.list.len();
            r.list.push(RepoDir {
                path: path.to_path_buf(),
                root,
                scope: scope.map(|s| vec![s]),
                named: Vec::new(),
            });
            r.by_path
                .insert(path.to_path_buf(), (idx, clean.map(Arc::new)));
        }
    }
}

/// The repository whose working tree holds `path` below its root, with `path` relative
/// to it. Not for a repository's own root or a path inside a `.git` directory.
fn enclosing_repo(path: &Path) -> Option<(PathBuf, String)> {
    if path.join(".git").symlink_metadata().is_ok() {
        return None;
    }
    for anc in path.ancestors().skip(1) {
        if anc.file_name() == Some(OsStr::new(".git")) {
            return None;
        }
        if anc.join(".git").symlink_metadata().is_ok() {
            let rel = rel_path(anc, path);
            if rel.is_empty() || rel == ".git" || rel.starts_with(".git/") {
                return None;
            }
            return Some((anc.to_path_buf(), rel));
        }
    }
    None
}

/// The deepest repository containing `path` (with its clean files), else the root; and
/// the path relative to it.
fn owner_of(
    repos: &RwLock<Registry>,
    root: &Path,
    stop: &Path,
    root_idx: usize,
    path: &Path,
) -> (Owner, String, Option<Arc<CleanFiles>>) {
    let r = repos.read().unwrap_or_else(|e| e.into_inner());
    for anc in path.ancestors().skip(1) {
        if let Some((i, clean)) = r.by_path.get(anc) {
            return (Owner::Repo(*i), rel_path(anc, path), clean.clone());
        }
        if anc == stop {
            break;
        }
    }
    (Owner::Loose(root_idx), rel_path(root, path), None)
}

fn rel_path(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let s = rel.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// `HEAD`, `objects/` and `refs/`: what git itself checks for.
fn is_bare_repo(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir()
}

pub(crate) fn basename(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.to_string_lossy().into_owned(),
        |n| n.to_string_lossy().into_owned(),
    )
}

enum FileRead {
    /// Over the limit: `size` bytes (at least), `binary` judged from its first 8 KiB.
    TooLarge {
        size: u64,
        binary: bool,
    },
    Clean,
    Data(Vec<u8>),
}

/// Read at most `max` bytes; a file that grows past the limit while being read is
/// still too large. A file git's index proves identical to HEAD (`clean`) is not read.
fn read_limited(path: &Path, max: u64, clean: Option<&StatSig>) -> std::io::Result<FileRead> {
    let f = File::open(path)?;
    let meta = f.metadata()?;
    if clean.is_some_and(|sig| clean::unchanged(sig, &meta)) {
        return Ok(FileRead::Clean);
    }
    let len = meta.len();
    if len > max {
        let mut head = Vec::with_capacity(content::BINARY_SNIFF);
        (&f).take(content::BINARY_SNIFF as u64)
            .read_to_end(&mut head)?;
        return Ok(FileRead::TooLarge {
            size: len,
            binary: content::is_binary(&head),
        });
    }
    // The size is known: one read fills the buffer (reading through `take` would go in
    // chunks of 8, 16, 32 KiB...), then one more finds the end or a file that grew.
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
    let mut filled = 0;
    while filled < buf.len() {
        match (&f).read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    (&f).take(max.saturating_add(1).saturating_sub(filled as u64))
        .read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Ok(FileRead::TooLarge {
            size: buf.len() as u64,
            binary: content::is_binary(&buf),
        });
    }
    Ok(FileRead::Data(buf))
}

enum Scanned {
    Hits(Vec<Hit>),
    /// Not read: git's index proves it is HEAD's blob.
    Clean,
}

/// Read one file (unless `clean` proves it identical to HEAD) and scan it; what could
/// not be read is counted or recorded in the tally.
fn read_and_scan(
    path: &Path,
    clean: Option<&StatSig>,
    ctx: &ScanContext<'_>,
    tally: &Tally<'_>,
) -> Scanned {
    let data = match read_limited(path, ctx.limits.max_file_size, clean) {
        Ok(FileRead::Data(d)) => d,
        Ok(FileRead::Clean) => return Scanned::Clean,
        // Binary content would be skipped anyway; text over the limit is a hole in the
        // scan, so an error (partial), not just a count.
        Ok(FileRead::TooLarge { size, binary }) => {
            tally.skip(SKIP_TOO_LARGE);
            if !binary {
                tally.error(content::too_large_error(
                    &path.display().to_string(),
                    size,
                    ctx.limits.max_file_size,
                ));
            }
            return Scanned::Hits(Vec::new());
        }
        Err(e) => {
            tally.error(format!("{}: cannot read: {e}", path.display()));
            return Scanned::Hits(Vec::new());
        }
    };
    let limits = content::ArchiveLimits::new(ctx.limits.max_file_size);
    let scan = content::scan_blob(ctx.matcher, &path.display().to_string(), &data, limits);
    scan.record(tally);
    Scanned::Hits(scan.hits)
}

/// Read a [`Deferred`] file from disk after all (the history scan could not read its
/// HEAD blob): its hits.
pub(crate) fn scan_deferred(d: &Deferred, ctx: &ScanContext<'_>, tally: &Tally<'_>) -> Vec<Hit> {
    match read_and_scan(&d.path, None, ctx, tally) {
        Scanned::Hits(h) => h,
        Scanned::Clean => Vec::new(),
    }
}
