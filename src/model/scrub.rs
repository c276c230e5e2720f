//! Credentials in URLs: one pure function that hides the userinfo of a URL
//! (`https://admin:PW@host/` → `https://***@host/`) and one that does it for every URL in
//! a line of text (an error message, a log line, a coverage entry).
//!
//! Used wherever a URL can reach output or logs: [`super::Coverage::error`] and
//! [`super::Coverage::fail`], the AWS client's error formatting, the CLI's top-level
//! error. No I/O; knows nothing about connectors.

use std::borrow::Cow;
use std::sync::OnceLock;

/// What replaces the userinfo of a URL. Neither the user nor the password is kept: a
/// token often *is* the user (`https://ghp_…@github.com/`, `https://TOKEN:x-oauth-basic@…`).
pub const USERINFO_MASK: &str = "***";

/// `url` with its userinfo (`user:password@`) replaced by `***@`. A URL without userinfo,
/// or text that is not a URL, comes back unchanged.
pub fn redact_url_userinfo(url: &str) -> String {
    redact_urls_in(url).into_owned()
}

/// Every `scheme://userinfo@host` in `text` with its userinfo replaced by `***`. Borrowed
/// when there is nothing to hide (the common case costs one substring search).
pub fn redact_urls_in(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    // The userinfo runs from `://` to the last `@` before the path, query, fragment or
    // the end of the URL: a password with an unencoded `@` (`p@ss`) is hidden whole.
    let re = URL_USERINFO.get_or_init(|| {
        regex::Regex::new(r#"(?i)\b([a-z][a-z0-9+.\-]*://)([^/?#\s"'<>`]*)@"#).expect("valid regex")
    });
    re.replace_all(text, |c: &regex::Captures<'_>| {
        if c[2] == *USERINFO_MASK {
            c[0].to_string()
        } else {
            format!("{}{USERINFO_MASK}@", &c[1])
        }
    })
}

static URL_USERINFO: OnceLock<regex::Regex> = OnceLock::new();

/// Removes every credential value a source holds (tokens, secret keys, session tokens)
/// from text before it becomes an error or a log line, and hides URL userinfo. Shared by
/// clones; `Debug` shows only a count.
#[derive(Clone, Default)]
pub struct Scrubber(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map(|v| v.len()).unwrap_or(0);
        write!(f, "Scrubber({n} secrets)")
    }
}

impl Scrubber {
    /// Remember a credential value. Very short values would redact ordinary words; real
    /// secrets are long.
    pub fn add(&self, secret: &str) {
        if secret.len() >= 8 {
            if let Ok(mut v) = self.0.lock() {
                if !v.iter().any(|s| s == secret) {
                    v.push(secret.to_string());
                }
            }
        }
    }
    /// `text` without any credential value this scrubber holds, and with the userinfo of
    /// every URL in it hidden.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = redact_urls_in(text).into_owned();
        if let Ok(v) = self.0.lock() {
            for s in v.iter() {
                out = out.replace(s.as_str(), "[REDACTED]");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_hidden_whole() {
        assert_eq!(
            redact_url_userinfo("https://admin:PW@host/"),
            "https://***@host/"
        );
        assert_eq!(
            redact_url_userinfo("https://x-access-token:ghp_abc@github.com/acme/api.git"),
            "https://***@github.com/acme/api.git"
        );
        // A token as the user, no password.
        assert_eq!(
            redact_url_userinfo("https://ghp_abcdef@github.com/acme/api"),
            "https://***@github.com/acme/api"
        );
        // An unencoded `@` in the password.
        assert_eq!(
            redact_url_userinfo("postgres://app:p@ss@db:5432/x"),
            "postgres://***@db:5432/x"
        );
    }

    #[test]
    fn urls_without_userinfo_and_plain_text_are_unchanged() {
        for s in [
            "https://host/path?q=a@b",
            "http://127.0.0.1:5000",
            "git@github.com:acme/api.git",
            "alice@acme.example",
            "no url here",
            "https://host/#frag@x",
        ] {
            assert_eq!(redact_url_userinfo(s), s, "{s}");
            assert!(matches!(redact_urls_in(s), Cow::Borrowed(_)) || redact_urls_in(s) == s);
        }
    }

    #[test]
    fn every_url_in_a_message_is_redacted() {
        let msg = r#"sts:GetCallerIdentity: cannot reach AWS: dispatch failure (endpoint_url "https://admin:PW@host/"), retried https://u:p@other:8443/x"#;
        let out = redact_urls_in(msg);
        assert!(!out.contains("admin"), "{out}");
        assert!(!out.contains(":PW@"), "{out}");
        assert!(!out.contains("u:p@"), "{out}");
        assert!(out.contains(r#""https://***@host/""#), "{out}");
        assert!(out.contains("https://***@other:8443/x"), "{out}");
        // Idempotent.
        assert_eq!(redact_urls_in(&out), out);
    }

    proptest::proptest! {
        #[test]
        fn a_password_never_survives(user in "[a-z]{1,8}", pw in "[A-Za-z0-9!$%&*+,;=~-]{12,40}", host in "[a-z]{1,10}") {
            let url = format!("https://{user}:{pw}@{host}.example/p");
            let out = redact_url_userinfo(&url);
            proptest::prop_assert!(!out.contains(&pw));
            let tail = format!("{}.example/p", host);
            proptest::prop_assert!(out.ends_with(&tail));
        }
    }
}
