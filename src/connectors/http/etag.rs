//! Conditional requests: a GET whose last answer carried an `ETag` is sent again with
//! `If-None-Match`, and a `304 Not Modified` is answered from the copy kept on disk.
//! GitHub does not count a 304 against the rate limit, so a rerun over an unchanged org
//! costs latency, not quota.
//!
//! One file per (scope, URL, query) under the cache directory, named by the SHA-256 of
//! those (the scope keeps two credentials' views apart: an App installation and a
//! member's token see different things), written atomically with mode 0600. Bodies that
//! are not UTF-8 are not kept. Only the headers pagination needs (`Link`) are kept.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct EtagCache {
    dir: PathBuf,
    scope: String,
}

/// A kept answer.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Cached {
    pub etag: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The headers worth keeping with a cached body.
const KEPT: &[&str] = &["link", "content-type"];

impl EtagCache {
    /// A cache in `dir` (created, mode 0700, on the first answer kept) for the credential identity `scope` (never
    /// a raw secret: a hash or an App id).
    pub fn new(dir: &Path, scope: &str) -> std::io::Result<Self> {
        Ok(EtagCache {
            dir: dir.to_path_buf(),
            scope: scope.to_string(),
        })
    }

    pub fn key(&self, url: &str, query: &[(&str, String)]) -> String {
        let mut h = Sha256::new();
        h.update(self.scope.as_bytes());
        h.update([0]);
        h.update(url.as_bytes());
        for (k, v) in query {
            h.update([0]);
            h.update(k.as_bytes());
            h.update([b'=']);
            h.update(v.as_bytes());
        }
        hex::encode(h.finalize())
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.json"))
    }

    pub fn load(&self, key: &str) -> Option<Cached> {
        let text = std::fs::read(self.path(key)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Keep an answer; failures are ignored (the next run simply asks in full).
    pub fn store(&self, key: &str, etag: &str, headers: &[(String, String)], body: &[u8]) {
        let Ok(body) = std::str::from_utf8(body) else {
            return;
        };
        let c = Cached {
            etag: etag.to_string(),
            headers: headers
                .iter()
                .filter(|(k, _)| KEPT.iter().any(|w| k.eq_ignore_ascii_case(w)))
                .cloned()
                .collect(),
            body: body.to_string(),
        };
        let path = self.path(key);
        let Some(parent) = path.parent() else { return };
        if !self.dir.is_dir() {
            if std::fs::create_dir_all(&self.dir).is_err() {
                return;
            }
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700));
            }
        }
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let Ok(text) = serde_json::to_vec(&c) else {
            return;
        };
        let tmp = parent.join(format!(".{key}.{}.tmp", std::process::id()));
        let written = {
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o600);
            }
            o.open(&tmp)
                .and_then(|mut f| std::io::Write::write_all(&mut f, &text))
        };
        if written.is_err() || std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_scopes_and_queries_and_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let a = EtagCache::new(d.path(), "app:1:2").unwrap();
        let b = EtagCache::new(d.path(), "token:abcd").unwrap();
        let q = [("per_page", "100".to_string())];
        assert_ne!(
            a.key("http://x/orgs/acme/repos", &q),
            b.key("http://x/orgs/acme/repos", &q)
        );
        assert_ne!(
            a.key("http://x/orgs/acme/repos", &q),
            a.key("http://x/orgs/acme/repos", &[])
        );
        let k = a.key("http://x/orgs/acme/repos", &q);
        let headers = vec![
            (
                "Link".to_string(),
                "<http://x/next>; rel=\"next\"".to_string(),
            ),
            ("Set-Cookie".to_string(), "session=1".to_string()),
        ];
        a.store(&k, "W/\"abc\"", &headers, b"[1,2]");
        let c = a.load(&k).unwrap();
        assert_eq!(c.etag, "W/\"abc\"");
        assert_eq!(c.body, "[1,2]");
        assert_eq!(c.headers.len(), 1, "only what pagination needs is kept");
        assert!(b.load(&b.key("http://x/orgs/acme/repos", &q)).is_none());
        a.store(&k, "x", &[], &[0xff, 0xfe]);
        assert_eq!(
            a.load(&k).unwrap().etag,
            "W/\"abc\"",
            "a binary body is not kept"
        );
    }
}
