//! Kubernetes `Secret` manifests: their `data:` values are base64, decoded before the
//! rules see them.

/// What marks a buffer as a Kubernetes `Secret` manifest (YAML or JSON).
pub(super) const K8S_SECRET_KINDS: &[&[u8]] = &[
    b"kind: Secret",
    b"kind: \"Secret\"",
    b"\"kind\": \"Secret\"",
    b"\"kind\":\"Secret\"",
];

/// Whether `data` holds one of [`K8S_SECRET_KINDS`]: one pass for `Secret` (a finder
/// built once), each occurrence checked against the forms, rather than a pass per form.
pub(super) fn declares_secret_kind(data: &[u8]) -> bool {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    let finder = FINDER.get_or_init(|| memchr::memmem::Finder::new(b"Secret"));
    finder.find_iter(data).any(|p| {
        K8S_SECRET_KINDS.iter().any(|k| {
            let at = memchr::memmem::find(k, b"Secret").unwrap_or(0);
            p.checked_sub(at)
                .and_then(|s| data.get(s..s + k.len()))
                .is_some_and(|w| w == *k)
        })
    })
}

/// A `name: value` entry of a manifest's `data:` map (`  password: c2VjcmV0`, or JSON's
/// `"password": "c2VjcmV0",`): the name and the value's span within `line`, when the
/// value looks like base64 (at least 8 characters, a multiple of 4).
pub(super) fn k8s_data_entry(line: &[u8]) -> Option<(&[u8], (usize, usize))> {
    let indent = line.iter().position(|b| !b.is_ascii_whitespace())?;
    let colon = indent + line[indent..].iter().position(|&b| b == b':')?;
    let name = line[indent..colon].trim_ascii();
    let name = name
        .strip_prefix(b"\"")
        .and_then(|n| n.strip_suffix(b"\""))
        .unwrap_or(name);
    if name.is_empty()
        || !name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return None;
    }
    let rest = &line[colon + 1..];
    let vs = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    let mut value = rest[vs..].trim_ascii_end();
    value = value.strip_suffix(b",").unwrap_or(value);
    let (mut s, mut e) = (colon + 1 + vs, colon + 1 + vs + value.len());
    if let Some(q) = value.first().filter(|q| matches!(q, b'"' | b'\'')) {
        if value.len() < 2 || value.last() != Some(q) {
            return None;
        }
        s += 1;
        e -= 1;
    }
    let v = &line[s..e];
    let body = v
        .strip_suffix(b"==")
        .or_else(|| v.strip_suffix(b"="))
        .unwrap_or(v);
    let ok = v.len() >= 8
        && v.len() % 4 == 0
        && body
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    ok.then_some((name, (s, e)))
}

/// Standard base64 decoded, when the result is text (printable ASCII, tabs and line
/// breaks: a token, a URL, a PEM block); `None` for binary data or bad input.
pub(super) fn decode_base64_to_text(data: &[u8]) -> Option<Vec<u8>> {
    crate::codec::base64_decode(data, false).filter(|t| {
        t.iter()
            .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\n' | b'\r' | b'\t'))
    })
}
