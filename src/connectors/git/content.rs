//! What to do with one buffer of file or blob content: decide whether it is worth
//! scanning (binary, minified), run the matcher over it, and tie matches in the same
//! buffer together for correlation. No I/O and no git here.

use crate::matcher::Matcher;
use crate::model::SecretBytes;
use crate::rules::Rule;
use std::sync::Arc;

/// Why a buffer was not scanned, as counted in coverage.
pub(crate) const SKIP_BINARY: &str = "binary";
pub(crate) const SKIP_TOO_LARGE: &str = "too_large";
pub(crate) const SKIP_ALLOWLISTED: &str = "allowlisted";

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
    pub join_key: Option<String>,
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

fn hits_of(matches: Vec<crate::matcher::Match>) -> Vec<Hit> {
    if matches.is_empty() {
        return Vec::new();
    }
    let own_key: Vec<Option<String>> = matches
        .iter()
        .map(|m| {
            m.rule
                .join_key
                .as_ref()
                .map(|k| crate::model::join_key(k, m.secret.expose()))
        })
        .collect();
    matches
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let join_key = own_key[i].clone().or_else(|| {
                matches
                    .iter()
                    .enumerate()
                    .filter(|(j, o)| {
                        *j != i && own_key[*j].is_some() && o.rule.unlocks == m.rule.unlocks
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
            }
        })
        .collect()
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
}
