//! Base64, hand-rolled once for the whole crate (SSH key blobs and fingerprints, encoded
//! values the matcher looks inside): small enough not to need a dependency. And the one
//! check every text input (config, roster, rules, allowlist) makes for UTF-16.

use std::path::Path;

/// UTF-16 text: a byte-order mark, or (saved without one) a NUL in every other byte of
/// the start, the high byte of each ASCII character, which no UTF-8 text file has.
pub fn is_utf16(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return true;
    }
    let head = &bytes[..bytes.len().min(64) & !1];
    if head.len() < 4 {
        return false;
    }
    let (even, odd): (Vec<u8>, Vec<u8>) = head.chunks(2).map(|c| (c[0], c[1])).unzip();
    let all_nul = |v: &[u8]| v.iter().all(|b| *b == 0);
    let none_nul = |v: &[u8]| v.iter().all(|b| *b != 0);
    (all_nul(&odd) && none_nul(&even)) || (all_nul(&even) && none_nul(&odd))
}

/// The text of the UTF-8 file at `path`, as [`std::fs::read_to_string`] reads it, except
/// that a UTF-16 file is an error saying so: decoded, it would be reported as a garbled
/// first line (or, NULs being valid UTF-8, read as nonsense without any error).
pub fn read_utf8(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    if is_utf16(&bytes) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is UTF-16; save it as UTF-8",
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 without padding (as OpenSSH prints fingerprints).
pub fn base64_encode_nopad(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let emit = chunk.len() + 1;
        for k in 0..emit {
            out.push(B64[((n >> (18 - 6 * k)) & 63) as usize] as char);
        }
    }
    out
}

/// Base64 decoded, padding optional; with `url_safe`, `-` and `_` are accepted as well as
/// `+` and `/`. `None` on any other character or an impossible length.
pub fn base64_decode(data: &[u8], url_safe: bool) -> Option<Vec<u8>> {
    let body = data
        .strip_suffix(b"==")
        .or_else(|| data.strip_suffix(b"="))
        .unwrap_or(data);
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in body {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'-' if url_safe => 62,
            b'_' if url_safe => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_in_both_alphabets() {
        for data in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"foob",
            b"fooba",
            b"foobar",
            &[0xfb, 0xff],
        ] {
            let enc = base64_encode_nopad(data);
            assert_eq!(base64_decode(enc.as_bytes(), false).as_deref(), Some(data));
        }
        assert_eq!(base64_encode_nopad(b"foobar"), "Zm9vYmFy");
        assert_eq!(
            base64_decode(b"Zm9vYg==", false).as_deref(),
            Some(&b"foob"[..])
        );
        assert_eq!(base64_decode(b"Z", false), None);
        assert_eq!(base64_decode(b"-_8", false), None);
        assert_eq!(
            base64_decode(b"-_8", true).as_deref(),
            Some(&[0xfb, 0xff][..])
        );
    }
}
