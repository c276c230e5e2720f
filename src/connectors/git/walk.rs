//! The file side of the git connector: walk each configured path in parallel, find the
//! repositories under it, and scan every regular file once (working trees included).
//!
//! Hidden files are walked (`.env*` is where secrets live) and ignore files are not
//! honoured (a leaver's untracked, ignored `.env` matters). `.git` directories and bare
//! repositories are not descended into: their content is history, read by
//! [`super::history`]. Symlinks are never followed, so there are no loops.

use super::clean::{self, CleanFiles, StatSig};
use super::content::{self, Hit, SKIP_ALLOWLISTED, SKIP_BINARY, SKIP_TOO_LARGE};
use super::tally::Tally;
use crate::connectors::ScanContext;
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

#[derive(Default)]
pub(crate) struct WalkResult {
    pub roots: Vec<Root>,
    pub repos: Vec<RepoDir>,
    pub files: Vec<FileHits>,
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
    let files: Mutex<Vec<FileHits>> = Mutex::new(Vec::new());

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
            scan_file(&canon, rel, owner, sig.as_ref(), ctx, tally, &files);
            continue;
        }
        out.roots.push(Root {
            name: basename(&canon),
            path: canon.clone(),
        });
        let stop = enclosing.as_deref().unwrap_or(&canon);
        walk_dir(&canon, stop, root_idx, history, ctx, tally, &repos, &files);
    }

    out.repos = repos.into_inner().unwrap_or_else(|e| e.into_inner()).list;
    out.files = files.into_inner().unwrap_or_else(|e| e.into_inner());
    out
}

/// Walk `root`; files outside any repository found under it belong to the repository at
/// `stop` (an enclosing one) when it is registered, else to the root.
#[allow(clippy::too_many_arguments)]
fn walk_dir(
    root: &Path,
    stop: &Path,
    root_idx: usize,
    history: bool,
    ctx: &ScanContext<'_>,
    tally: &Tally<'_>,
    repos: &RwLock<Registry>,
    files: &Mutex<Vec<FileHits>>,
) {
    let walker = WalkBuilder::new(root)
        .standard_filters(false)
        .follow_links(false)
        .build_parallel();
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
                // An allowlisted directory is not entered at all: neither its files nor the
                // history of repositories inside it (vendored trees, generated corpora). It
                // is matched by the same path its files and history are: relative to the
                // enclosing repository, else to the scanned root.
                if entry.depth() > 0
                    && ctx
                        .allow_paths
                        .is_allowed(&owner_of(repos, root, stop, root_idx, path).1)
                {
                    tally.skip(SKIP_ALLOWLISTED);
                    return WalkState::Skip;
                }
                // Registered before any child is visited: the walker visits a directory
                // before it queues the directory's entries.
                if path.join(".git").symlink_metadata().is_ok() {
                    let clean = if history {
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
                // A `gitdir:` pointer file (submodule, worktree): its parent is the repository.
                return WalkState::Continue;
            }
            let (owner, rel, clean) = owner_of(repos, root, stop, root_idx, path);
            let sig = clean.as_ref().and_then(|c| c.get(&rel)).copied();
            scan_file(path, rel, owner, sig.as_ref(), ctx, tally, files);
            WalkState::Continue
        })
    });
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

fn scan_file(
    path: &Path,
    rel: String,
    owner: Owner,
    clean: Option<&StatSig>,
    ctx: &ScanContext<'_>,
    tally: &Tally<'_>,
    files: &Mutex<Vec<FileHits>>,
) {
    if ctx.allow_paths.is_allowed(&rel) {
        tally.skip(SKIP_ALLOWLISTED);
        return;
    }
    let data = match read_limited(path, ctx.limits.max_file_size, clean) {
        Ok(FileRead::Data(d)) => d,
        // HEAD's copy of this very content is read by the history scan.
        Ok(FileRead::Clean) => return,
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
            return;
        }
        Err(e) => {
            tally.error(format!("{}: cannot read: {e}", path.display()));
            return;
        }
    };
    let data = content::as_utf8_text(&data);
    if content::is_binary(&data) {
        tally.skip(SKIP_BINARY);
        return;
    }
    tally.scanned(data.len() as u64);
    let hits = content::scan(ctx.matcher, &data);
    tally.matched(hits.len());
    if !hits.is_empty() {
        files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(FileHits { owner, rel, hits });
    }
}
