//! False-positive heuristics: entropy floors, documented example and placeholder values,
//! identifiers, member accesses, enum words, paths and keys captured as values, and
//! names that say a value is not a secret. Pure functions of the candidate bytes.

use super::*;

/// Shannon entropy of `data` in bits per byte (0 for empty input).
pub fn shannon_entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// The entropy floor a secret is held to. Floors are set for values drawn from a large
/// alphabet (base62/base64: up to 6 bits per character); a long value made only of hex
/// digits carries at most 4, and a random 32- or 40-digit one (an API key assigned to
/// `API_KEY=`) measures only 3.6-3.9, under the generic rules' 3.8. Such a value is held
/// to at most 3.3, which a run of a few repeated digits still fails.
pub(super) fn entropy_floor_for(floor: f64, secret: &[u8]) -> f64 {
    if secret.len() >= 32 && secret.iter().all(u8::is_ascii_hexdigit) {
        floor.min(HEX_ENTROPY_FLOOR)
    } else {
        floor
    }
}

pub(super) const HEX_ENTROPY_FLOOR: f64 = 3.3;

/// Substrings that mark a value as a template, a variable reference or a stand-in.
pub(super) const PLACEHOLDER_MARKERS: &[&[u8]] = &[
    b"${",
    b"{{",
    b"}}",
    b"$(",
    b"%(",
    b"#{",
    b"<%",
    b"os.environ",
    b"process.env",
    b"getenv",
    b"env[",
    b"env(",
    b"env.",
    b"environ",
    b"secretkeyref",
    b"valuefrom",
];

/// Words (ASCII case-insensitive) that mark a value as a stand-in, not a credential.
/// `fake` is deliberately absent: rule examples use it to look fake while still matching.
pub(super) const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"changeme",
    b"change_me",
    b"change-me",
    b"xxxx",
    b"****",
    b"....",
    b"your",
    b"example",
    b"dummy",
    b"test",
    b"sample",
    b"placeholder",
    b"redacted",
    b"fixme",
    b"todo",
    b"replace",
    b"insert",
    b"lorem",
    b"foobar",
    b"notreal",
    b"not_real",
    b"not-real",
    b"secret_here",
    b"password",
    b"passwd",
    b"p@ssw0rd",
    b"passw0rd",
    b"p4ssw0rd",
    b"p4ssword",
    b"12345",
    b"abcdef",
    b"qwerty",
    b"0000",
    b"1111",
    b"aaaa",
    b"letmein",
    b"undefined",
    b"none",
    b"null",
];

/// Values that are placeholders when they are the whole secret (ASCII case-insensitive).
pub(super) const PLACEHOLDER_VALUES: &[&[u8]] = &[
    b"pass",
    b"secret",
    b"admin",
    b"root",
    b"user",
    b"username",
    b"postgres",
    b"mysql",
    b"redis",
    b"guest",
    b"pwd",
    b"token",
    b"apikey",
    b"api_key",
    b"key",
    b"value",
    b"string",
    b"default",
    b"true",
    b"false",
    b"empty",
    b"required",
    b"optional",
    b"unknown",
    b"n/a",
    b"hunter2",
];

/// Whether a secret value looks like a placeholder rather than a credential: a template
/// or environment reference (`${VAR}`, `{{ var }}`, `os.environ[...]`, `process.env.X`),
/// an angle- or square-bracketed name (`<password>`), a stand-in word (`changeme`,
/// `your-api-key`, `example`, `dummy`, `test`, `xxxx`), or one repeated character.
pub fn looks_like_placeholder(secret: &[u8]) -> bool {
    if stand_in_text(secret) {
        return true;
    }
    // A base64-encoded stand-in (`.npmrc` `_password` values are base64): the decoded
    // text gets the same check (`bm90IG15IHJlYWwgcGFzc3dvcmQ=`, "not my real password").
    // Basic credentials decode to `user:password`: the password part is checked too.
    decode_base64_text(secret).is_some_and(|text| {
        stand_in_text(&text)
            || text
                .iter()
                .position(|&b| b == b':')
                .is_some_and(|i| i + 1 < text.len() && stand_in_text(&text[i + 1..]))
    })
}

/// The checks of [`looks_like_placeholder`] on the value itself.
pub(super) fn stand_in_text(secret: &[u8]) -> bool {
    if is_bracketed_name(secret) || is_truncated(secret) {
        return true;
    }
    if secret.iter().all(|&b| b == secret[0])
        || PLACEHOLDER_VALUES
            .iter()
            .any(|v| secret.eq_ignore_ascii_case(v))
    {
        return true;
    }
    if PLACEHOLDER_MARKERS
        .iter()
        .any(|m| contains_ignore_ascii_case(secret, m))
    {
        return true;
    }
    // Long values (keys, certificates) are random enough to contain any short word, but
    // not `example` (documentation tokens such as AWS's `AQoEXAMPLEH4aoAH0gNCAPy…`).
    contains_ignore_ascii_case(secret, b"example")
        || secret.len() <= 128
            && PLACEHOLDER_WORDS
                .iter()
                .any(|w| contains_ignore_ascii_case(secret, w))
}

/// A value cut short for display: `eyJ2IjoiMSIsInMiOjEsImMiOi...`, `sk_live_…`.
pub(super) fn is_truncated(secret: &[u8]) -> bool {
    secret.ends_with(b"...") || secret.ends_with("\u{2026}".as_bytes())
}

/// `data` decoded as standard or URL-safe base64 when it is that (at least 12 characters,
/// padded to a multiple of 4) and decodes to printable ASCII text; `None` otherwise.
pub(super) fn decode_base64_text(data: &[u8]) -> Option<Vec<u8>> {
    if data.len() < 12 || data.len() % 4 != 0 {
        return None;
    }
    crate::codec::base64_decode(data, true).filter(|t| t.iter().all(|b| (0x20..0x7f).contains(b)))
}

/// Credentials people choose rather than generate (passwords, and registry `auth`
/// values, which are base64 of `user:password`): these get the full stand-in word check
/// (`changeme`, `password`, a base64-encoded `user:password`), not only the format one.
pub(super) fn human_chosen(credential: &str) -> bool {
    credential.contains("password") || credential == "docker_registry_auth"
}

/// `<password>`, `[token]`, `%SECRET%` or `$VAR`: a name standing in for a value.
pub(super) fn is_bracketed_name(secret: &[u8]) -> bool {
    match (secret.first(), secret.last()) {
        (Some(b'$'), _) => true,
        (Some(&f), Some(&l)) if secret.len() >= 2 => {
            (f == b'<' && l == b'>') || (f == b'[' && l == b']') || (f == b'%' && l == b'%')
        }
        _ => false,
    }
}

/// Stand-in words for vendor-format tokens. Matched only as a whole alphanumeric token or
/// its start, never inside one: a random 36-character token body contains `1111`, `aaaa`
/// or `test` often enough that substring matching dropped real tokens (benchmark
/// regression: 4 of 4,048 planted Slack tokens were lost that way).
pub(super) const FORMAT_PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"example",
    b"your",
    b"changeme",
    b"dummy",
    b"sample",
    b"placeholder",
    b"redacted",
    b"test",
    b"fixme",
    b"todo",
    b"replace",
    b"insert",
    b"lorem",
    b"foobar",
    b"notreal",
];

/// Whether a value matched by a vendor-format rule (a fixed prefix and a random body) is a
/// stand-in: a template or environment reference, a bracketed name, a long run of one
/// character (`ghp_xxxxxxxx…`), `example` anywhere, or a token that is or starts with a
/// stand-in word (`sk_live_your_key_here`, `xoxb-test-…`). Random bodies are not
/// searched for short words; see [`FORMAT_PLACEHOLDER_WORDS`].
pub fn looks_like_format_placeholder(secret: &[u8]) -> bool {
    if is_bracketed_name(secret) {
        return true;
    }
    if PLACEHOLDER_MARKERS
        .iter()
        .any(|m| contains_ignore_ascii_case(secret, m))
        || contains_ignore_ascii_case(secret, b"example")
    {
        return true;
    }
    // Long runs of one character (`xxxxxxxx`) or of consecutive ones (`ABCDEFGH`,
    // `12345678`): typed by hand, vanishingly rare in a generated token body.
    let (mut same, mut step) = (1, 1);
    for w in secret.windows(2) {
        let (a, b) = (w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase());
        same = if a == b { same + 1 } else { 1 };
        step = if a.is_ascii_alphanumeric() && b == a.wrapping_add(1) {
            step + 1
        } else {
            1
        };
        if same >= 8 || step >= 8 {
            return true;
        }
    }
    secret
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .any(|t| {
            FORMAT_PLACEHOLDER_WORDS
                .iter()
                .any(|w| t.len() >= w.len() && t[..w.len()].eq_ignore_ascii_case(w))
        })
}

/// For catch-all rules: whether a value is more likely code or prose than a credential.
/// Generated secrets mix character classes; a value made of one class only (all
/// lowercase words with separators, say `my-app-secret-name`) or shaped like a dotted
/// code reference (`config.db.password`, `self.apiKey`) is dropped.
pub fn looks_like_code_or_words(secret: &[u8]) -> bool {
    let (mut lower, mut upper, mut digit, mut other) = (false, false, false, false);
    for &b in secret {
        match b {
            b'a'..=b'z' => lower = true,
            b'A'..=b'Z' => upper = true,
            b'0'..=b'9' => digit = true,
            b'-' | b'_' | b'.' => {}
            _ => other = true,
        }
    }
    if [lower, upper, digit, other].iter().filter(|x| **x).count() < 2 {
        return true;
    }
    secret.contains(&b'.') && secret.split(|b| *b == b'.').all(is_word_like_ident)
}

/// The name a value is assigned to: the identifier just before the separator and quote
/// that precede `secret_start` (`api_key_sha256` in `api_key_sha256 = "…"`), looking back
/// past the start of the match (`publicKeyToken`, matched from `Token`).
pub(super) fn assigned_name(data: &[u8], secret_start: usize) -> &[u8] {
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let mut end = secret_start;
    while end > 0 && !is_ident(data[end - 1]) && secret_start - end < 8 {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_ident(data[start - 1]) && end - start < 96 {
        start -= 1;
    }
    &data[start..end]
}

/// Like [`assigned_name`], but for a name/value pair (a Kubernetes env entry
/// `- name: API_TOKEN` / `value: "…"`, an ECS `{"name": …, "value": …}`) whose match starts
/// at `name`: the name the pair gives rather than `value`.
pub(super) fn assigned_name_in(data: &[u8], match_start: usize, secret_start: usize) -> &[u8] {
    let name = assigned_name(data, secret_start);
    if !name.eq_ignore_ascii_case(b"value") {
        return name;
    }
    let head = &data[match_start..secret_start];
    if !head
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"name"))
    {
        return name;
    }
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let rest = &head[4..];
    let Some(s) = rest.iter().position(|&b| is_ident(b)) else {
        return name;
    };
    let e = rest[s..]
        .iter()
        .position(|&b| !is_ident(b))
        .map_or(rest.len(), |e| s + e);
    &rest[s..e]
}

/// Name endings that say the value describes a secret rather than being one: its hash or
/// checksum, where it is stored, what kind it is, how long it lives.
pub(super) const NON_SECRET_NAME_SUFFIXES: &[&str] = &[
    "prefix",
    "suffix",
    "hash",
    "sha",
    "sha1",
    "sha256",
    "sha512",
    "md5",
    "digest",
    "checksum",
    "fingerprint",
    "path",
    "file",
    "filename",
    "dir",
    "url",
    "uri",
    "type",
    "ttl",
    "length",
    "version",
    "expiry",
    "expiresat",
    "name",
    // `private_key_id` (a GCP service-account file), `access_key_id`, `signing_keyId`:
    // which key, not the key. Not a bare `id`: Vault's `secret_id` is a credential.
    "keyid",
];

/// Tokens that are not credentials, by name (the whole name or its ending): API paging
/// cursors (`NextToken`, `ContinuationToken`, `input_token` in paginator definitions),
/// idempotency and concurrency tokens (`ClientRequestToken`, `ChangeToken`,
/// `update_token`). Anyone may hold them; they unlock nothing.
pub(super) const NON_SECRET_TOKEN_NAMES: &[&str] = &[
    "nexttoken",
    "nextpagetoken",
    "pagetoken",
    "paginationtoken",
    "continuationtoken",
    "nextcontinuationtoken",
    "inputtoken",
    "outputtoken",
    "clientrequesttoken",
    "idempotencytoken",
    "changetoken",
    "updatetoken",
];

/// Whether an assigned name (`token_hash`, `client_secret_path`, `publicKeyToken`,
/// `NextToken`) says the value is not a credential. Case, `_`, `-` and `.` are ignored.
pub(super) fn key_names_a_non_secret(name: &[u8]) -> bool {
    let norm: String = name
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect();
    norm.contains("publickey")
        || NON_SECRET_NAME_SUFFIXES
            .iter()
            .any(|suf| norm.len() > suf.len() && norm.ends_with(suf))
        || NON_SECRET_TOKEN_NAMES.iter().any(|n| norm.ends_with(n))
}

/// Whether a value is an identifier rather than a generated secret: every run of letters
/// and digits between separators (`.`, `-`, `_`, `:`, `!`) is a word a person would
/// write (see [`is_word_like_ident`]): `ExclusiveStartTableName`, `waitForTaskToken`,
/// `_EllipticCurvePrivateKey`, `Access-Control-Allow-Credentials`. Generated values
/// have digits inside their runs or capitals that do not start a lowercase hump.
pub fn looks_like_identifier(secret: &[u8]) -> bool {
    if !secret
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'!' | b'/'))
    {
        return false;
    }
    let mut words = secret
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .peekable();
    words.peek().is_some() && words.all(|w| is_word_like_ident(w) || is_versioned_camel(w))
}

/// A generated-code class name with a version number: `V1LocalObjectReference`,
/// `V2beta1HorizontalPodAutoscaler`. Split into humps (a capital and 2+ lowercase letters,
/// an acronym, a lowercase run, a digit run, a capital before digits), it must hold a
/// digit and two pronounceable words of 4+ letters (a vowel, at most 3 consonants in a
/// row) covering three quarters of it. A random token body almost never splits that way
/// (about 1 in 24,000 random 16-40 character base62 strings).
pub(super) fn is_versioned_camel(seg: &[u8]) -> bool {
    fn pronounceable(word: &[u8]) -> bool {
        let vowel = |b: &u8| {
            matches!(
                b.to_ascii_lowercase(),
                b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
            )
        };
        let mut consonants = 0;
        word.iter().any(vowel)
            && word.iter().all(|b| {
                consonants = if vowel(b) { 0 } else { consonants + 1 };
                consonants <= 3
            })
    }
    if !seg.iter().any(u8::is_ascii_digit) {
        return false;
    }
    let (mut i, mut words, mut word_len) = (0usize, 0usize, 0usize);
    let n = seg.len();
    let run = |from: usize, f: fn(&u8) -> bool| seg[from..].iter().take_while(|b| f(b)).count();
    while i < n {
        let b = seg[i];
        let step = if b.is_ascii_digit() {
            run(i, u8::is_ascii_digit)
        } else if b.is_ascii_lowercase() {
            let l = run(i, u8::is_ascii_lowercase);
            if l < 2 {
                return false;
            }
            if l >= 4 {
                if !pronounceable(&seg[i..i + l]) {
                    return false;
                }
                words += 1;
                word_len += l;
            }
            l
        } else if b.is_ascii_uppercase() {
            let lower = run(i + 1, u8::is_ascii_lowercase);
            let upper = run(i, u8::is_ascii_uppercase);
            if lower >= 2 {
                if lower >= 3 {
                    if !pronounceable(&seg[i..i + 1 + lower]) {
                        return false;
                    }
                    words += 1;
                    word_len += 1 + lower;
                }
                1 + lower
            } else if upper >= 2 {
                // An acronym; its last capital starts the next word when lowercase follows.
                if seg.get(i + upper).is_some_and(u8::is_ascii_lowercase) {
                    upper - 1
                } else {
                    upper
                }
            } else if seg.get(i + 1).is_some_and(u8::is_ascii_digit) {
                1
            } else {
                return false;
            }
        } else {
            return false;
        };
        i += step;
    }
    words >= 2 && word_len * 4 >= n * 3
}

/// Whether the value is a code reference that ends in the name it is assigned to, or in
/// a name holding it: an alias or re-export (`MLKEM768X25519PrivateKey =
/// rust_openssl.hpke.MLKEM768X25519PrivateKey`, `OID_PRIVATE_KEY_USAGE_PERIOD =
/// ExtensionOID.PRIVATE_KEY_USAGE_PERIOD`) or a type annotation (`private_key:
/// x25519.X25519PrivateKey`). Case, `_` and `-` are ignored; the shared part must be at
/// least 8 characters.
pub(super) fn value_restates_name(name: &[u8], value: &[u8]) -> bool {
    let is_ref = value
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_'));
    if !is_ref {
        return false;
    }
    let norm = |s: &[u8]| -> Vec<u8> {
        s.iter()
            .filter(|b| b.is_ascii_alphanumeric())
            .map(u8::to_ascii_lowercase)
            .collect()
    };
    let value = value.strip_suffix(b".").unwrap_or(value);
    let last = value.rsplit(|&b| b == b'.').next().unwrap_or(value);
    // The name's own last segment (`self.private_key` -> `private_key`).
    let name = name.rsplit(|&b| b == b'.').next().unwrap_or(name);
    let (name, last) = (norm(name), norm(last));
    let (short, long) = if name.len() <= last.len() {
        (&name, &last)
    } else {
        (&last, &name)
    };
    short.len() >= 8 && memmem::find(long, short).is_some()
}

/// A file path, not a secret: `~/.aws/credentials`, `./secrets/token`, `../keys/id`, or
/// any [`looks_like_resource_path`].
pub fn looks_like_path(secret: &[u8]) -> bool {
    [&b"~/"[..], b"./", b"../"]
        .iter()
        .any(|p| secret.starts_with(p))
        || looks_like_resource_path(secret)
}

/// A path or resource name made of words: `/home/user/me/my_key.pfx`,
/// `projects/123/secrets/my-secret/versions/1`, `roles/iam.serviceAccountTokenCreator`.
/// At least two `/`-separated parts, each made of words a person would write (see
/// [`is_word_like_ident`]) or numbers; random base64 with a `/` is not.
pub fn looks_like_resource_path(secret: &[u8]) -> bool {
    let parts: Vec<&[u8]> = secret
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty())
        .collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            p.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
                && p.split(|b| matches!(b, b'.' | b'-' | b'_'))
                    .filter(|w| !w.is_empty())
                    .all(|w| w.iter().all(u8::is_ascii_digit) || is_word_like_ident(w))
        })
        && secret
            .split(|b| !b.is_ascii_alphabetic())
            .any(|w| w.len() >= 3)
}

/// Whether `after` (what a match holds after its secret, as `@host` in a URL) names a
/// host reserved for documentation (RFC 2606) the way documentation writes it: the bare
/// `example.com`, `example.org` or `example.net`, or any name under `.invalid`.
pub(super) fn names_documentation_host(after: &[u8]) -> bool {
    let Some(at) = after.iter().position(|&b| b == b'@') else {
        return false;
    };
    let host: Vec<u8> = after[at + 1..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        .map(u8::to_ascii_lowercase)
        .collect();
    let host = host.strip_suffix(b".").unwrap_or(&host);
    let is_or_under = |domain: &[u8]| {
        host == domain
            || host.len() > domain.len()
                && host.ends_with(domain)
                && host[host.len() - domain.len() - 1] == b'.'
    };
    // The bare documentation domains are what docs write (`user:pw@example.com`); a
    // named host under one (`db.acme.example`, `pypi.example.org`) is how test estates
    // and fixtures name real-looking systems, and is reported. `.invalid` never resolves.
    host == b"example.com"
        || host == b"example.org"
        || host == b"example.net"
        || host == b"example"
        || is_or_under(b"invalid")
}

/// An identifier a person would write: `config`, `apiKey`, `db_password`, `MAX_RETRIES`,
/// `$scope`. Random mixed case (`VUqAkQnPjWpP0T`, two capitals in a row inside lowercase
/// text, digits in the middle) is not, so `s.VUqAkQnPjWpP0T` stays a candidate secret
/// rather than a dotted code reference (benchmark regression: one planted password lost).
pub(super) fn is_word_like_ident(seg: &[u8]) -> bool {
    let Some(&first) = seg.first() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'$') {
        return false;
    }
    if !seg
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$')
    {
        return false;
    }
    // SCREAMING_SNAKE or plain lowercase words.
    if !seg.iter().any(u8::is_ascii_lowercase) || !seg.iter().any(u8::is_ascii_uppercase) {
        return digits_only_at_end(seg);
    }
    // camelCase / PascalCase: every capital starts a hump of at least two lowercase
    // letters, or is one of the two-letter words names are made of (`registrationExpiresAt`,
    // `ownerId`, `sortBy`, `accessTokenExpiresAtUtc`) ending the name or followed by the
    // next hump.
    let n = seg.len();
    let humps_ok = (0..n).all(|i| {
        if !seg[i].is_ascii_uppercase() {
            return true;
        }
        let lower = |j: usize| seg.get(j).is_some_and(u8::is_ascii_lowercase);
        if lower(i + 1) && lower(i + 2) {
            return true;
        }
        lower(i + 1)
            && !lower(i + 2)
            && i + 2 <= n
            && TWO_LETTER_HUMPS
                .iter()
                .any(|w| w.eq_ignore_ascii_case(&seg[i..i + 2]))
    });
    humps_ok && digits_only_at_end(seg)
}

/// Whether the quoted value ending at `end` is followed by its closing quote and a `:`
/// (not `://`): a map key.
pub(super) fn quoted_key_follows(data: &[u8], end: usize) -> bool {
    let Some(&q) = data.get(end) else {
        return false;
    };
    if q != b'"' && q != b'\'' {
        return false;
    }
    let rest = &data[end + 1..data.len().min(end + 40)];
    let mut i = 0;
    while i < rest.len() && matches!(rest[i], b' ' | b'\t') {
        i += 1;
    }
    rest.get(i) == Some(&b':') && rest.get(i + 1) != Some(&b'/')
}

/// Two-letter words that end or join the humps of a camelCase name.
pub(super) const TWO_LETTER_HUMPS: &[&[u8]] = &[
    b"at", b"id", b"by", b"of", b"to", b"on", b"in", b"up", b"is", b"or", b"as", b"if", b"no",
    b"ok", b"db", b"io", b"ui", b"os", b"ms", b"my", b"do", b"go", b"be", b"an", b"it",
];

/// A generic value spelled with a capitalised marker word (`IQoJb3JpZ2luSECRETTOKENMARKERzzz`,
/// `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`): a stand-in a test or document wrote, not a
/// generated secret (a random 16+ character token holds one of these by chance about once
/// in a million).
pub fn has_marker_word(secret: &[u8]) -> bool {
    const MARKERS: &[&[u8]] = &[
        b"MARKER",
        b"REDACTED",
        b"EXAMPLE",
        b"DUMMY",
        b"PLACEHOLDER",
        b"CHANGEME",
        b"NOTREAL",
    ];
    MARKERS.iter().any(|m| memmem::find(secret, m).is_some())
}

pub(super) fn digits_only_at_end(seg: &[u8]) -> bool {
    let body = seg
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |i| i + 1);
    !seg[..body].iter().any(u8::is_ascii_digit)
}

pub(super) fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    needle.len() <= hay.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}
