//! The file side of the git connector: walk each configured path in parallel, find the
//! repositories under it, and scan every regular file once (working trees included).
//!
//! Hidden files are walked (`.env*` is where secrets live) and ignore files are not
//! honoured (a leaver's untracked, ignored `.env` matters). `.git` directories and bare
//! repositories are not descended into: their content is history, read by
//! [`super::history`]. Symlinks are never followed, so there are no loops.

use super::clean::{self, CleanFiles, StatSig};
use super::content::{self, Hit, SKIP_ALLOWLISTED, SKIP_BINARY, SKIP_MINIFIED, SKIP_TOO_LARGE};
use super::tally::Tally;
use crate::connectors::ScanContext;
use ignore::{WalkBuilder, WalkState};
use std::collections::HashMap;
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
        let root_idx = out.roots.len();
        if meta.is_file() {
            // A single file: named after its directory, path is the file name.
            let parent = canon
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| canon.clone());
            out.roots.push(Root {
                name: basename(&parent),
                path: canon.clone(),
            });
            let rel = canon
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            scan_file(
                &canon,
                rel,
                Owner::Loose(root_idx),
                None,
                ctx,
                tally,
                &files,
            );
            continue;
        }
        out.roots.push(Root {
            name: basename(&canon),
            path: canon.clone(),
        });
        walk_dir(&canon, root_idx, history, ctx, tally, &repos, &files);
    }

    out.repos = repos.into_inner().unwrap_or_else(|e| e.into_inner()).list;
    out.files = files.into_inner().unwrap_or_else(|e| e.into_inner());
    out
}

fn walk_dir(
    root: &Path,
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
                // history of repositories inside it (vendored trees, generated corpora).
                if entry.depth() > 0 && ctx.allow_paths.is_allowed(&rel_path(root, path)) {
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
            let (owner, rel, clean) = owner_of(repos, root, root_idx, path);
            let sig = clean.as_ref().and_then(|c| c.get(&rel)).copied();
            scan_file(path, rel, owner, sig.as_ref(), ctx, tally, files);
            WalkState::Continue
        })
    });
}

fn register(repos: &RwLock<Registry>, path: &Path, root: usize, clean: Option<CleanFiles>) {
    let mut r = repos.write().unwrap_or_else(|e| e.into_inner());
    if !r.by_path.contains_key(path) {
        let idx = r.list.len();
        r.list.push(RepoDir {
            path: path.to_path_buf(),
            root,
        });
        r.by_path
            .insert(path.to_path_buf(), (idx, clean.map(Arc::new)));
    }
}

/// The deepest repository containing `path` (with its clean files), else the root; and
/// the path relative to it.
fn owner_of(
    repos: &RwLock<Registry>,
    root: &Path,
    root_idx: usize,
    path: &Path,
) -> (Owner, String, Option<Arc<CleanFiles>>) {
    let r = repos.read().unwrap_or_else(|e| e.into_inner());
    for anc in path.ancestors().skip(1) {
        if let Some((i, clean)) = r.by_path.get(anc) {
            return (Owner::Repo(*i), rel_path(anc, path), clean.clone());
        }
        if anc == root {
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
    TooLarge,
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
        return Ok(FileRead::TooLarge);
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
        return Ok(FileRead::TooLarge);
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
        Ok(FileRead::TooLarge) => {
            tally.skip(SKIP_TOO_LARGE);
            return;
        }
        Err(e) => {
            tally.error(format!("{}: cannot read: {e}", path.display()));
            return;
        }
    };
    if content::is_binary(&data) {
        tally.skip(SKIP_BINARY);
        return;
    }
    if content::is_minified(&data) {
        tally.skip(SKIP_MINIFIED);
        return;
    }
    tally.scanned(data.len() as u64);
    let hits = content::hits(ctx.matcher, &data);
    tally.matched(hits.len());
    if !hits.is_empty() {
        files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(FileHits { owner, rel, hits });
    }
}
