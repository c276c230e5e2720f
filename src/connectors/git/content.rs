//! The blob stage: what to do with one buffer of file or blob content, for the git
//! connector (working tree and history) and the host connector alike. Text gets every
//! rule (minified bundles the specific ones), binary content the specific (vendor-format)
//! rules, an archive is opened and each entry goes through the stage again
//! ([`super::archive`]); matches in the same buffer are tied together for correlation.
//! Entry "hits" name their place inside the blob: `META-INF/app.properties`, nested
//! `b.tar.gz!/c.env`, reported as `ARCHIVE!/ENTRY`. No file I/O and no git here.

use crate::matcher::Matcher;
use crate::model::SecretBytes;
use crate::rules::Rule;
use std::borrow::Cow;
use std::sync::Arc;

/// Why a buffer was not (fully) scanned, as counted in coverage. Binary content is
/// scanned, with the specific rules only.
pub(crate) const SKIP_BINARY: &str = "binary_specific_only";
pub(crate) const SKIP_TOO_LARGE: &str = "too_large";
pub(crate) const SKIP_ALLOWLISTED: &str = "allowlisted";

/// How much of a file's start [`is_binary`] looks at.
pub(crate) const BINARY_SNIFF: usize = 8 * 1024;

/// The coverage error for a text file or blob over the size limit: it was not scanned,
/// so the scan is incomplete (a skipped 30 MB SQL dump must not look clean). Names what,
/// how big, and how to fix it. Binary content over the limit is only counted.
pub(crate) fn too_large_error(what: &str, size: u64, max: u64) -> String {
    format!(
        "{what}: {} ({size} bytes) is over the size limit of {} and was not scanned: \
         raise --max-file-size or [scan] max_file_size, or allowlist the path",
        human_size(size),
        human_size(max)
    )
}

pub(crate) fn human_size(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB {
        let tenths = n * 10 / MIB;
        if tenths % 10 == 0 {
            format!("{} MiB", tenths / 10)
        } else {
            format!("{}.{} MiB", tenths / 10, tenths % 10)
        }
    } else if n >= 1024 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// Archives, media, images, fonts, compiled code and disk images: binary by format, for
/// content too large to read (an over-limit packed blob) whose first bytes cannot be
/// sniffed. Everything else over the limit is treated as text.
pub(crate) fn binary_by_name(path: &str) -> bool {
    const EXT: &[&str] = &[
        "7z", "a", "apk", "avi", "bin", "bmp", "bz2", "class", "deb", "dll", "dmg", "dylib", "ear",
        "exe", "flac", "gif", "gz", "ico", "iso", "jar", "jpeg", "jpg", "lib", "lz4", "mkv", "mov",
        "mp3", "mp4", "o", "obj", "ogg", "otf", "pdf", "png", "psd", "pyc", "qcow2", "rar", "rpm",
        "so", "tar", "tgz", "tif", "tiff", "ttf", "vmdk", "war", "wasm", "wav", "webm", "webp",
        "whl", "woff", "woff2", "xz", "zip", "zst",
    ];
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && EXT.iter().any(|e| e.eq_ignore_ascii_case(ext))
    })
}

/// UTF-16 text with its byte-order mark (as Windows tools write `.ps1`, `.reg` and config
/// files) as UTF-8, so that its NUL bytes do not make it look binary and its secrets are
/// found; anything else unchanged. Line numbers are the same in both forms.
pub(crate) fn as_utf8_text(data: &[u8]) -> Cow<'_, [u8]> {
    let le = data.starts_with(&[0xFF, 0xFE]);
    if !(le || data.starts_with(&[0xFE, 0xFF])) {
        return Cow::Borrowed(data);
    }
    let units = data[2..].chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    Cow::Owned(text.into_bytes())
}

/// A NUL byte in the first 8 KiB: the same test git and ripgrep use.
pub(crate) fn is_binary(data: &[u8]) -> bool {
    crate::matcher::is_probably_binary(data)
}

/// Minified bundles and similar generated one-liners (over 64 KiB, lines averaging over
/// 1000 bytes), scanned with the specific rules only (see [`scan`]). Judged by content,
/// not name: a small `app.min.js` gets every rule, and short single-line files (`.env`,
/// a token file) never count.
pub(crate) fn is_minified(data: &[u8]) -> bool {
    crate::matcher::is_minified(data)
}

/// One secret found in one buffer.
pub(crate) struct Hit {
    pub rule: Arc<Rule>,
    pub secret: SecretBytes,
    pub sha256: String,
    pub line: u64,
    /// Correlation keys (`aws_access_key_id:AKIA...`): internal, never serialised.
    pub join_key: Option<crate::model::JoinKey>,
    /// Join keys derived from the value itself, never lent to a neighbour: a private
    /// key's public-half fingerprint, a GitHub token's last eight characters (what the
    /// credential-authorizations API shows of it).
    pub derived_keys: Vec<crate::model::JoinKey>,
    /// Where inside an archive, when the blob is one: `META-INF/app.properties`, nested
    /// `b.tar.gz!/c.env`; the line is the entry's.
    pub entry: Option<String>,
}

impl Hit {
    /// The location path of this hit in the blob at `path`: `path`, or `path!/ENTRY`.
    pub(crate) fn path_in(&self, path: &std::sync::Arc<str>) -> std::sync::Arc<str> {
        match &self.entry {
            None => path.clone(),
            Some(e) => format!("{path}!/{e}").into(),
        }
    }
}

/// Bounds on opening archives, per top-level blob.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ArchiveLimits {
    /// Archives opened inside one another, the blob's own included (default 3).
    pub max_depth: u32,
    /// Bytes expanded (entries and decompressed streams, all levels; default 256 MiB).
    pub max_total: u64,
    /// Entries read, all levels (default 10,000).
    pub max_entries: u64,
    /// One entry's size: the file size limit.
    pub max_entry: u64,
    /// Expansion of one archive over its own size (beyond 16 MiB; default 250:1).
    pub max_ratio: u64,
}

impl ArchiveLimits {
    pub(crate) fn new(max_file_size: u64) -> Self {
        ArchiveLimits {
            max_depth: 3,
            max_total: 256 * 1024 * 1024,
            max_entries: 10_000,
            max_entry: max_file_size,
            max_ratio: 250,
        }
    }
}

/// What the blob stage made of one blob.
#[derive(Default)]
pub(crate) struct BlobScan {
    pub hits: Vec<Hit>,
    /// Bytes the matcher ran over (entries included).
    pub bytes: u64,
    /// Coverage counts by reason, one per occurrence.
    pub skips: Vec<&'static str>,
    /// Coverage notes: archive limits reached, entries that could not be opened.
    pub notes: Vec<String>,
    /// Coverage errors (the scan is partial): corrupt archives, text entries over the
    /// size limit.
    pub errors: Vec<String>,
}

impl BlobScan {
    /// Record what was scanned, counted and noted in the git connector's tally.
    pub(crate) fn record(&self, tally: &super::tally::Tally<'_>) {
        tally.scanned(self.bytes);
        tally.matched(self.hits.len());
        for s in &self.skips {
            tally.skip(s);
        }
        for n in &self.notes {
            tally.note(n.clone());
        }
        for e in &self.errors {
            tally.error(e.clone());
        }
    }
}

/// The blob stage: scan `data` (named `label` in coverage messages) and, if it is an
/// archive, everything inside it within `limits`.
pub(crate) fn scan_blob(
    matcher: &Matcher,
    label: &str,
    data: &[u8],
    limits: ArchiveLimits,
) -> BlobScan {
    let mut x = super::archive::Expander::new(matcher, limits);
    x.visit(label, None, data, 0);
    x.out
}

/// Scan a buffer and tie matches without a join key of their own to the nearest match
/// in the same buffer that has one and unlocks the same system: an AWS secret key next
/// to its key id gets the key id's join key, so it correlates with the IAM key.
/// Nearest counts lines first (credentials come in adjacent-line pairs), then prefers
/// the key id before the secret, then bytes.
pub(crate) fn hits(matcher: &Matcher, data: &[u8]) -> Vec<Hit> {
    hits_of(matcher.scan(data))
}

/// What a scan of `data` finds: minified bundles and similar generated one-liners with
/// the specific (vendor-format) rules only, anything else with every rule. Skipping
/// bundles outright missed the `sk_live_…` and `AKIA…` keys front-end builds embed.
pub(crate) fn scan(matcher: &Matcher, data: &[u8]) -> Vec<Hit> {
    if is_minified(data) {
        hits_of(matcher.scan_specific(data))
    } else {
        hits(matcher, data)
    }
}

pub(crate) fn hits_of(matches: Vec<crate::matcher::Match>) -> Vec<Hit> {
    if matches.is_empty() {
        return Vec::new();
    }
    let own_key: Vec<Option<crate::model::JoinKey>> = matches
        .iter()
        .map(|m| {
            m.rule
                .join_key
                .as_ref()
                .map(|k| crate::model::JoinKey::credential(k, m.secret.expose()))
        })
        .collect();
    // A private key joins by the fingerprint of its public half (the deploy key, host
    // key or IAM/GitHub SSH key it opens); a GitHub token also by its last eight
    // characters. Never lent to or borrowed from a neighbour: two keys are two keys.
    let derived: Vec<Vec<crate::model::JoinKey>> = matches
        .iter()
        .map(|m| derived_keys(&m.rule, m.secret.expose()))
        .collect();
    matches
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if is_private_key(&m.rule) {
                return Hit {
                    rule: m.rule.clone(),
                    sha256: m.secret.sha256_hex(),
                    secret: m.secret.clone(),
                    line: m.line,
                    join_key: None,
                    derived_keys: derived[i].clone(),
                    entry: None,
                };
            }
            let join_key = own_key[i].clone().or_else(|| {
                matches
                    .iter()
                    .enumerate()
                    .filter(|(j, o)| {
                        *j != i
                            && own_key[*j].is_some()
                            && !is_private_key(&o.rule)
                            && o.rule.unlocks == m.rule.unlocks
                    })
                    .min_by_key(|(_, o)| {
                        (
                            o.line.abs_diff(m.line),
                            o.start > m.start,
                            o.start.abs_diff(m.start),
                        )
                    })
                    .and_then(|(j, _)| own_key[j].clone())
            });
            Hit {
                rule: m.rule.clone(),
                sha256: m.secret.sha256_hex(),
                secret: m.secret.clone(),
                line: m.line,
                join_key,
                derived_keys: derived[i].clone(),
                entry: None,
            }
        })
        .collect()
}

/// A private-key rule (its credential is `*_private_key`): its public half may be
/// derivable, and its join key is its own.
fn is_private_key(rule: &crate::rules::Rule) -> bool {
    rule.credential.ends_with("_private_key")
}

fn derived_keys(rule: &crate::rules::Rule, value: &[u8]) -> Vec<crate::model::JoinKey> {
    let mut out = Vec::new();
    if is_private_key(rule) {
        if let Some(fp) = crate::model::keypair::public_fingerprint(value) {
            out.push(crate::model::JoinKey::ssh_key(&fp));
        }
    }
    // GitHub shows a classic token (`ghp_`, and OAuth/app tokens) by its last eight
    // characters in credential authorizations.
    if rule.join_key.as_deref() == Some("github_token") && value.len() >= 40 {
        if let Some(l8) = value.get(value.len() - 8..) {
            out.push(crate::model::JoinKey::github_token_last_eight(l8));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_minified() {
        assert!(is_binary(b"abc\0def"));
        assert!(!is_binary(b"plain text\n"));
        let mut late_nul = vec![b'a'; 9000];
        late_nul.push(0);
        assert!(!is_binary(&late_nul));
        assert!(!is_minified(b"TOKEN=abc"));
        let one_line = vec![b'x'; 100_000];
        assert!(is_minified(&one_line));
        let mut lines = Vec::new();
        for _ in 0..1000 {
            lines.extend_from_slice(b"some ordinary line of code;\n");
        }
        assert!(!is_minified(&lines));
    }

    #[test]
    fn too_large_error_names_size_limit_and_fix() {
        let e = too_large_error("repo/events_dump.sql", 31_457_280, 64 * 1024 * 1024);
        assert!(
            e.starts_with("repo/events_dump.sql: 30 MiB (31457280 bytes)"),
            "{e}"
        );
        assert!(e.contains("limit of 64 MiB"), "{e}");
        assert!(e.contains("--max-file-size or [scan] max_file_size"), "{e}");
        assert!(e.contains("allowlist the path"), "{e}");
        assert_eq!(human_size(1536 * 1024), "1.5 MiB");
        assert_eq!(human_size(2048), "2 KiB");
        assert_eq!(human_size(12), "12 bytes");
        assert!(binary_by_name("assets/video.MP4"));
        assert!(binary_by_name("dist/app.tar.gz"));
        assert!(!binary_by_name("db/events_dump.sql"));
        assert!(!binary_by_name(".zip"));
        assert!(!binary_by_name("zip"));
    }
}
