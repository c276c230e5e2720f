//! Read-only access to files *inside* one host root.
//!
//! Every path the host connector reads goes through [`RootFs`], which resolves it one
//! component at a time and interprets symlinks as if the root were `/` (like `chroot`):
//! an absolute link target is re-rooted, `..` stops at the root. A snapshot can therefore
//! never make us read the scanning machine's own `/etc/shadow` through a symlinked home.
//! Only regular files are read (a link to `/dev/zero` or a FIFO would hang a live scan),
//! and never more than the size limit. Nothing here writes.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// More symlink hops than this on one path is a loop (Linux uses 40 as well).
const MAX_SYMLINK_HOPS: usize = 40;

/// How reading one file failed.
#[derive(Debug)]
pub enum ReadError {
    /// Absent, or not a regular file: normal, nothing to report.
    Missing,
    /// Larger than the size limit: counted as skipped.
    TooLarge(u64),
    /// Present but unreadable (permission denied, symlink loop, I/O error).
    Io(io::Error),
}

/// One root filesystem (live `/` or a snapshot directory).
#[derive(Debug, Clone)]
pub struct RootFs {
    root: PathBuf,
}

impl RootFs {
    pub fn new(root: PathBuf) -> Self {
        RootFs { root }
    }

    /// The real path of `rel` (a path inside the root, with or without a leading `/`),
    /// with every symlink resolved inside the root.
    pub fn resolve(&self, rel: &str) -> io::Result<PathBuf> {
        // `resolved` holds the real components below the root; `pending` is what is left
        // to walk, in reverse so that a link target can be pushed in front cheaply.
        let mut resolved: Vec<OsString> = Vec::new();
        let mut pending: Vec<OsString> = Vec::new();
        push_components(&mut pending, Path::new(rel));
        let mut hops = 0usize;
        while let Some(comp) = pending.pop() {
            if comp == "." || comp.is_empty() {
                continue;
            }
            if comp == ".." {
                resolved.pop();
                continue;
            }
            let mut candidate = self.root.clone();
            candidate.extend(resolved.iter());
            candidate.push(&comp);
            let meta = fs::symlink_metadata(&candidate)?;
            if meta.file_type().is_symlink() {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(io::Error::other("too many levels of symbolic links"));
                }
                let target = fs::read_link(&candidate)?;
                if target.is_absolute() {
                    resolved.clear();
                }
                push_components(&mut pending, &target);
            } else {
                resolved.push(comp);
            }
        }
        let mut out = self.root.clone();
        out.extend(resolved.iter());
        Ok(out)
    }

    /// Read a regular file inside the root, at most `max` bytes.
    pub fn read(&self, rel: &str, max: u64) -> Result<Vec<u8>, ReadError> {
        let real = match self.resolve(rel) {
            Ok(p) => p,
            Err(e) if e.kind() == io::ErrorKind::NotFound || is_not_a_directory(&e) => {
                return Err(ReadError::Missing)
            }
            Err(e) => return Err(ReadError::Io(e)),
        };
        let meta = match fs::metadata(&real) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::Missing),
            Err(e) => return Err(ReadError::Io(e)),
        };
        if !meta.is_file() {
            return Err(ReadError::Missing);
        }
        if meta.len() > max {
            return Err(ReadError::TooLarge(meta.len()));
        }
        let file = fs::File::open(&real).map_err(ReadError::Io)?;
        let mut buf = Vec::with_capacity(meta.len() as usize);
        // The file may grow between stat and read: never read past the limit.
        file.take(max.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(ReadError::Io)?;
        if buf.len() as u64 > max {
            return Err(ReadError::TooLarge(buf.len() as u64));
        }
        Ok(buf)
    }

    /// Names of the regular files (after resolving links inside the root) in a directory
    /// inside the root, sorted. `Ok(None)` if the directory does not exist.
    pub fn list_files(&self, rel: &str) -> io::Result<Option<Vec<String>>> {
        let real = match self.resolve(rel) {
            Ok(p) => p,
            Err(e) if e.kind() == io::ErrorKind::NotFound || is_not_a_directory(&e) => {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        match fs::metadata(&real) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        }
        let mut names = Vec::new();
        for entry in fs::read_dir(&real)? {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let child = join_rel(rel, &name);
            let is_file = self
                .resolve(&child)
                .ok()
                .and_then(|p| fs::metadata(p).ok())
                .is_some_and(|m| m.is_file());
            if is_file {
                names.push(name);
            }
        }
        names.sort();
        Ok(Some(names))
    }
}

/// `dir` + `/` + `name` as a root-relative path with a leading `/`.
pub fn join_rel(dir: &str, name: &str) -> String {
    let d = dir.trim_end_matches('/');
    let n = name.trim_start_matches('/');
    if d.is_empty() {
        format!("/{n}")
    } else if d.starts_with('/') {
        format!("{d}/{n}")
    } else {
        format!("/{d}/{n}")
    }
}

/// Normalise a root-relative path for display: a leading `/`, no `.` or `..` (clamped
/// at the root), no doubled separators.
pub fn normalize_rel(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

fn push_components(pending: &mut Vec<OsString>, p: &Path) {
    let mut comps: Vec<OsString> = Vec::new();
    for c in p.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => {}
            Component::CurDir => {}
            Component::ParentDir => comps.push(OsString::from("..")),
            Component::Normal(s) => comps.push(s.to_os_string()),
        }
    }
    // `pending` is a stack: the first component must be popped first.
    pending.extend(comps.into_iter().rev());
}

fn is_not_a_directory(e: &io::Error) -> bool {
    // ENOTDIR: a path component is a regular file. `io::ErrorKind::NotADirectory` is
    // newer than our MSRV, so compare the raw code.
    e.raw_os_error() == Some(20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs::create_dir_all(root.join("etc")).unwrap();
        fs::create_dir_all(root.join("home")).unwrap();
        fs::write(root.join("etc/shadow"), "snapshot-shadow").unwrap();
        // Absolute link: must be re-rooted, never the real /etc/shadow.
        std::os::unix::fs::symlink("/etc/shadow", root.join("home/evil")).unwrap();
        // Relative link climbing above the root: clamped.
        std::os::unix::fs::symlink("../../../../../../etc/shadow", root.join("home/evil2"))
            .unwrap();
        let rfs = RootFs::new(root.clone());
        assert_eq!(rfs.read("/home/evil", 1000).unwrap(), b"snapshot-shadow");
        assert_eq!(rfs.read("home/evil2", 1000).unwrap(), b"snapshot-shadow");
        assert_eq!(
            rfs.resolve("/home/../../etc/shadow").unwrap(),
            root.join("etc/shadow")
        );
    }

    #[test]
    fn loops_and_non_files_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::os::unix::fs::symlink("/a", root.join("a")).unwrap();
        let rfs = RootFs::new(root.clone());
        assert!(matches!(rfs.read("/a", 10), Err(ReadError::Io(_))));
        fs::create_dir(root.join("d")).unwrap();
        assert!(matches!(rfs.read("/d", 10), Err(ReadError::Missing)));
        assert!(matches!(rfs.read("/nope/x", 10), Err(ReadError::Missing)));
        fs::write(root.join("big"), "0123456789").unwrap();
        assert!(matches!(rfs.read("/big", 5), Err(ReadError::TooLarge(10))));
        // A path through a regular file is simply absent.
        assert!(matches!(rfs.read("/big/x", 50), Err(ReadError::Missing)));
    }

    #[test]
    fn rel_paths_normalise() {
        assert_eq!(join_rel("/etc", "passwd"), "/etc/passwd");
        assert_eq!(join_rel("etc/", "/x"), "/etc/x");
        assert_eq!(join_rel("", "x"), "/x");
        assert_eq!(normalize_rel("/home//alice/./../bob"), "/home/bob");
        assert_eq!(normalize_rel("../.."), "/");
    }
}
