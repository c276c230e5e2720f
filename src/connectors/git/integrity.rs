//! Which loose objects of a repository are unreadable, found before libgit2 touches them.
//!
//! libgit2 (1.9) inflates a loose object in a loop that never ends when the zlib stream
//! is cut short (zlib's "buffer error" is taken as "retry"), so a single truncated file
//! under `.git/objects` would hang the whole scan. Every loose object is inflated here
//! once, with a fixed buffer, and the ones that do not inflate whole (truncated, bad
//! zlib data, a header that does not parse, a length that does not match the header)
//! are set aside with the reason; every read of history asks [`Integrity::check`] first
//! and reports the object as a coverage error instead of reading it. Packed objects are
//! read by a different, bounded path in libgit2 and are left to it.
//!
//! The result is cached per object directory for the run: the working-tree walk and the
//! history scan of the same repository share it.

use flate2::{Decompress, FlushDecompress, Status};
use git2::Oid;
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The unreadable loose objects of one repository, with why.
#[derive(Debug, Default)]
pub(crate) struct Integrity {
    bad: HashMap<Oid, String>,
}

impl Integrity {
    /// The loose objects of the repository whose git directory is `git_dir` (and of its
    /// alternates), checked once per run.
    pub(crate) fn of(git_dir: &Path) -> Arc<Integrity> {
        static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Integrity>>>> = OnceLock::new();
        let key = std::fs::canonicalize(git_dir).unwrap_or_else(|_| git_dir.to_path_buf());
        let cache = CACHE.get_or_init(Default::default);
        if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return hit.clone();
        }
        let found = Arc::new(Self::scan(&key.join("objects")));
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, found.clone());
        found
    }

    fn scan(objects: &Path) -> Integrity {
        let mut dirs = vec![objects.to_path_buf()];
        dirs.extend(alternates(objects));
        let files: Vec<(Oid, PathBuf)> = dirs.iter().flat_map(|d| loose_files(d)).collect();
        let bad = files
            .par_iter()
            .filter_map(|(oid, path)| verify(path).err().map(|why| (*oid, why)))
            .collect();
        Integrity { bad }
    }

    /// `Ok` when libgit2 may read `oid`; else why it is not read.
    pub(crate) fn check(&self, oid: Oid) -> Result<(), String> {
        match self.bad.get(&oid) {
            None => Ok(()),
            Some(why) => Err(format!("object {oid} unreadable: {why}")),
        }
    }

    /// No loose object is damaged.
    pub(crate) fn is_whole(&self) -> bool {
        self.bad.is_empty()
    }
}

/// Object directories named in `objects/info/alternates`.
fn alternates(objects: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(objects.join("info/alternates")) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| objects.join(l))
        .collect()
}

/// Every `objects/xx/yyyy…` file, with the object id its path spells.
fn loose_files(objects: &Path) -> Vec<(Oid, PathBuf)> {
    let Ok(dirs) = std::fs::read_dir(objects) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in dirs.flatten() {
        let name = d.file_name();
        let Some(prefix) = name.to_str() else {
            continue;
        };
        if prefix.len() != 2 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(d.path()) else {
            continue;
        };
        for e in entries.flatten() {
            let rest = e.file_name();
            let Some(rest) = rest.to_str() else { continue };
            if let Ok(oid) = Oid::from_str(&format!("{prefix}{rest}")) {
                if rest.len() + 2 == oid.to_string().len() {
                    out.push((oid, e.path()));
                }
            }
        }
    }
    out
}

/// Inflate one loose object whole with a fixed buffer: `Err` with the reason when it is
/// truncated, not zlib, or its length disagrees with its header. A file that cannot be
/// opened is left to libgit2, which reports that as an error rather than hanging.
fn verify(path: &Path) -> Result<(), String> {
    let Ok(mut f) = std::fs::File::open(path) else {
        return Ok(());
    };
    let mut z = Decompress::new(true);
    let mut input = vec![0u8; 64 * 1024];
    let mut out = vec![0u8; 64 * 1024];
    // The header, `<type> <size>\0`, from the first inflated bytes.
    let mut header: Vec<u8> = Vec::new();
    let mut expected: Option<u64> = None;
    loop {
        let n = match f.read(&mut input) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Ok(()),
        };
        let mut chunk = &input[..n];
        loop {
            let before_in = z.total_in();
            let before_out = z.total_out();
            let flush = if n == 0 {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let status = z
                .decompress(chunk, &mut out, flush)
                .map_err(|e| format!("corrupt zlib data ({e})"))?;
            let used = (z.total_in() - before_in) as usize;
            let made = (z.total_out() - before_out) as usize;
            chunk = &chunk[used..];
            if expected.is_none() && header.len() < 64 {
                header.extend_from_slice(&out[..made.min(64)]);
                if let Some(end) = header.iter().position(|&b| b == 0) {
                    expected = Some(parse_header(&header[..end])? + end as u64 + 1);
                } else if header.len() >= 64 {
                    return Err("no object header".into());
                }
            }
            if status == Status::StreamEnd {
                let Some(want) = expected else {
                    return Err("no object header".into());
                };
                return if z.total_out() == want {
                    Ok(())
                } else {
                    Err(format!(
                        "inflates to {} bytes, its header says {want}",
                        z.total_out()
                    ))
                };
            }
            if used == 0 && made == 0 {
                if n == 0 {
                    return Err("truncated (the compressed data ends early)".into());
                }
                break;
            }
            if chunk.is_empty() && made < out.len() {
                break;
            }
        }
    }
}

/// The size in a loose object's header: `blob 123`.
fn parse_header(h: &[u8]) -> Result<u64, String> {
    let text = std::str::from_utf8(h).map_err(|_| "object header is not text".to_string())?;
    let (kind, size) = text
        .split_once(' ')
        .ok_or_else(|| "object header has no size".to_string())?;
    if !matches!(kind, "blob" | "tree" | "commit" | "tag") {
        return Err(format!("unknown object type {kind:?}"));
    }
    size.parse::<u64>()
        .map_err(|_| format!("object header size {size:?} is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut c = Compress::new(Compression::default(), true);
        let mut out = Vec::with_capacity(data.len() + 64);
        c.compress_vec(data, &mut out, FlushCompress::Finish)
            .expect("deflate");
        out
    }

    fn object(body: &[u8]) -> Vec<u8> {
        let mut raw = format!("blob {}\0", body.len()).into_bytes();
        raw.extend_from_slice(body);
        deflate(&raw)
    }

    fn check(bytes: &[u8]) -> Result<(), String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("obj");
        std::fs::write(&p, bytes).expect("write");
        verify(&p)
    }

    #[test]
    fn a_whole_object_passes_and_every_cut_of_it_fails() {
        // Larger than the buffers, so the loop runs more than once.
        let body: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let z = object(&body);
        assert_eq!(check(&z), Ok(()));
        for cut in [1, 2, 10, z.len() / 3, z.len() / 2, z.len() - 1] {
            let r = check(&z[..cut]);
            assert!(r.is_err(), "cut at {cut} of {} passed", z.len());
        }
        assert_eq!(check(&object(b"")), Ok(()));
    }

    #[test]
    fn garbage_a_bad_header_and_a_wrong_length_fail() {
        assert!(check(b"not zlib at all").is_err());
        assert!(check(&deflate(b"blob\0abc")).is_err());
        assert!(check(&deflate(b"weird 3\0abc")).is_err());
        let e = check(&deflate(b"blob 5\0abc")).expect_err("short body");
        assert!(e.contains("header says 12"), "{e}");
    }
}
