//! Which working-tree files of a repository are, byte for byte, the blob HEAD has at
//! the same path: git's own stat cache (the index) says so without reading them. Those
//! files need no file scan, because the history scan reads the HEAD blob and reports it
//! at its HEAD path and line. This saves reading the checked-out tree a second time.
//!
//! Conservative on purpose: a file is only clean when its size, mtime and inode equal
//! the index entry, the entry is not "racy" (written in the same instant as the index),
//! and the index's blob is HEAD's blob. Anything else is scanned as a file.

use git2::Repository;
use std::collections::HashMap;
use std::path::Path;

/// The stat data git recorded for a file when it last wrote the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatSig {
    /// Truncated to 32 bits, as the index stores it.
    size: u32,
    mtime: i64,
    /// 0 when the index did not record nanoseconds.
    nanos: u32,
    /// Truncated to 32 bits, as the index stores it.
    ino: u32,
}

/// Repository-relative paths of files known clean, with the stat data that proves it.
pub(crate) type CleanFiles = HashMap<String, StatSig>;

const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
/// Index entry flags: the merge stage (non-zero during a conflict).
const STAGE_MASK: u16 = 0x3000;

/// Clean files of the non-bare repository at `workdir`; `None` when the index or HEAD
/// cannot be read (then every file is scanned).
pub(crate) fn clean_files(workdir: &Path) -> Option<CleanFiles> {
    let repo = super::history::open(workdir).ok()?;
    clean_files_of(&repo)
}

#[cfg(unix)]
fn clean_files_of(repo: &Repository) -> Option<CleanFiles> {
    use std::os::unix::fs::MetadataExt;
    let index_meta = std::fs::metadata(repo.path().join("index")).ok()?;
    let index_time = (index_meta.mtime(), index_meta.mtime_nsec());
    // A damaged loose object could be one this reads (HEAD's commit or a tree): then
    // nothing is taken as clean and every file is read from disk.
    if !super::integrity::Integrity::of(repo.path()).is_whole() {
        return None;
    }
    let index = repo.index().ok()?;
    let head = repo.head().ok()?.peel_to_tree().ok()?;
    let mut out = HashMap::new();
    for e in index.iter() {
        if e.flags & STAGE_MASK != 0 || e.mode & S_IFMT != S_IFREG {
            continue;
        }
        let mtime = (
            i64::from(e.mtime.seconds()),
            i64::from(e.mtime.nanoseconds()),
        );
        // Racy git: a file changed in the same instant the index was written can carry
        // the recorded stat data with new content.
        if mtime.0 > index_time.0
            || (mtime.0 == index_time.0 && (mtime.1 == 0 || mtime.1 >= index_time.1))
        {
            continue;
        }
        let Ok(path) = String::from_utf8(e.path) else {
            continue;
        };
        match head.get_path(Path::new(&path)) {
            Ok(h) if h.id() == e.id => {}
            _ => continue,
        }
        out.insert(
            path,
            StatSig {
                size: e.file_size,
                mtime: mtime.0,
                nanos: e.mtime.nanoseconds(),
                ino: e.ino,
            },
        );
    }
    Some(out)
}

#[cfg(not(unix))]
fn clean_files_of(_repo: &Repository) -> Option<CleanFiles> {
    None
}

/// Whether the file with metadata `m` still has the stat data the index recorded.
#[cfg(unix)]
pub(crate) fn unchanged(sig: &StatSig, m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    // The index keeps the low 32 bits of size and inode.
    m.is_file()
        && m.size() as u32 == sig.size
        && m.ino() as u32 == sig.ino
        && m.mtime() == sig.mtime
        && (sig.nanos == 0 || m.mtime_nsec() == i64::from(sig.nanos))
}

#[cfg(not(unix))]
pub(crate) fn unchanged(_sig: &StatSig, _m: &std::fs::Metadata) -> bool {
    false
}
