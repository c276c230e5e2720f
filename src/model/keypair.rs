//! The public half of a leaked private key, as the OpenSSH `SHA256:` fingerprint that
//! `ssh-keygen -lf` prints for it. A private key committed to a repository or left on a
//! host is joined by this fingerprint to the deploy key, `authorized_keys` entry, GitHub
//! user key or IAM SSH key it opens, so the finding can say what the leak unlocks.
//!
//! Read from the key's own structure, never by decrypting anything:
//! - `OPENSSH PRIVATE KEY` (`openssh-key-v1`): the public key blob is stored in clear,
//!   even when the private part is encrypted with a passphrase;
//! - `RSA PRIVATE KEY` (PKCS#1): the modulus and public exponent;
//! - `EC PRIVATE KEY` (SEC1): the public point it carries, on P-256/P-384/P-521;
//! - `PRIVATE KEY` (PKCS#8): RSA, EC, or Ed25519 (the public key derived from the seed,
//!   or taken from a v2 key's public key field).
//!
//! A key encrypted the PEM way (`Proc-Type: 4,ENCRYPTED`), an encrypted PKCS#8 key, DSA
//! or anything malformed gives `None`: no join, never a wrong one.

use sha2::{Digest, Sha256};

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];

/// The OpenSSH fingerprint of the public half of the PEM private key in `text` (the
/// matched secret: the whole block, possibly with `\n` escapes from a JSON or YAML
/// string). `None` when the key's format does not carry or determine its public key.
pub fn public_fingerprint(text: &[u8]) -> Option<String> {
    let blob = public_blob(text)?;
    Some(format!(
        "SHA256:{}",
        crate::codec::base64_encode_nopad(&Sha256::digest(&blob))
    ))
}

/// The SSH wire-format public key blob of the PEM private key in `text`.
pub fn public_blob(text: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(text).ok()?;
    let text = text.replace("\\r", "").replace("\\n", "\n");
    let begin = text.find("-----BEGIN ")?;
    let rest = &text[begin + "-----BEGIN ".len()..];
    let label_end = rest.find("-----")?;
    let label = rest[..label_end].trim();
    let body_start = label_end + 5;
    let end = rest.find("-----END ")?;
    let body = rest.get(body_start..end)?;
    let mut b64 = String::new();
    for line in body.lines() {
        let line = line
            .trim()
            .trim_matches(|c| c == '"' || c == '\'' || c == ',');
        if line.contains(':') {
            // An RFC 1421 header: `Proc-Type: 4,ENCRYPTED` means the DER is encrypted.
            if line.to_ascii_uppercase().contains("ENCRYPTED") {
                return None;
            }
            continue;
        }
        b64.extend(line.chars().filter(|c| !c.is_whitespace()));
    }
    let der = crate::codec::base64_decode(b64.as_bytes(), false)?;
    match label {
        "OPENSSH PRIVATE KEY" => openssh_public(&der),
        "RSA PRIVATE KEY" => pkcs1_public(&der),
        "EC PRIVATE KEY" => sec1_public(&der, None),
        "PRIVATE KEY" => pkcs8_public(&der),
        _ => None,
    }
}

/// `openssh-key-v1\0`, cipher, kdf, kdf options, key count, then the first public key.
fn openssh_public(data: &[u8]) -> Option<Vec<u8>> {
    let mut r = data.strip_prefix(b"openssh-key-v1\0")?;
    for _ in 0..3 {
        ssh_string(&mut r)?;
    }
    let n = u32::from_be_bytes(r.get(..4)?.try_into().ok()?);
    r = &r[4..];
    if n == 0 {
        return None;
    }
    let blob = ssh_string(&mut r)?;
    // The blob must itself start with a key type name.
    let mut b = blob;
    let kind = ssh_string(&mut b)?;
    (!kind.is_empty() && kind.iter().all(|c| c.is_ascii_graphic())).then(|| blob.to_vec())
}

fn ssh_string<'a>(r: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = u32::from_be_bytes(r.get(..4)?.try_into().ok()?) as usize;
    let s = r.get(4..4usize.checked_add(len)?)?;
    *r = &r[4 + len..];
    Some(s)
}

/// PKCS#1 `RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, ... }`.
fn pkcs1_public(der: &[u8]) -> Option<Vec<u8>> {
    let (tag, seq, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (t0, _version, rest) = tlv(seq)?;
    let (t1, n, rest) = tlv(rest)?;
    let (t2, e, _) = tlv(rest)?;
    if t0 != 0x02 || t1 != 0x02 || t2 != 0x02 {
        return None;
    }
    let mut blob = Vec::new();
    put_string(&mut blob, b"ssh-rsa");
    put_mpint(&mut blob, e);
    put_mpint(&mut blob, n);
    Some(blob)
}

/// SEC1 `ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING,
/// [0] parameters OID OPTIONAL, [1] publicKey BIT STRING OPTIONAL }`. `curve` comes from
/// a PKCS#8 wrapper when the inner key omits its parameters.
fn sec1_public(der: &[u8], curve: Option<&[u8]>) -> Option<Vec<u8>> {
    let (tag, seq, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (_, _version, mut rest) = tlv(seq)?;
    let (_, _private, r) = tlv(rest)?;
    rest = r;
    let mut oid = curve.map(<[u8]>::to_vec);
    let mut point = None;
    while !rest.is_empty() {
        let (t, v, r) = tlv(rest)?;
        rest = r;
        match t {
            0xa0 => {
                let (t, o, _) = tlv(v)?;
                if t == 0x06 {
                    oid = Some(o.to_vec());
                }
            }
            0xa1 => {
                let (t, bits, _) = tlv(v)?;
                if t == 0x03 && bits.first() == Some(&0) {
                    point = Some(bits[1..].to_vec());
                }
            }
            _ => {}
        }
    }
    let (kind, curve_name) = match oid.as_deref()? {
        o if o == OID_P256 => ("ecdsa-sha2-nistp256", "nistp256"),
        o if o == OID_P384 => ("ecdsa-sha2-nistp384", "nistp384"),
        o if o == OID_P521 => ("ecdsa-sha2-nistp521", "nistp521"),
        _ => return None,
    };
    let point = point?;
    if point.first() != Some(&0x04) {
        return None;
    }
    let mut blob = Vec::new();
    put_string(&mut blob, kind.as_bytes());
    put_string(&mut blob, curve_name.as_bytes());
    put_string(&mut blob, &point);
    Some(blob)
}

/// PKCS#8 `PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, privateKey
/// OCTET STRING, [0] attributes OPTIONAL, [1] publicKey OPTIONAL (v2) }`.
fn pkcs8_public(der: &[u8]) -> Option<Vec<u8>> {
    let (tag, seq, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (_, _version, rest) = tlv(seq)?;
    let (t_alg, alg, rest) = tlv(rest)?;
    if t_alg != 0x30 {
        return None;
    }
    let (t_oid, oid, params) = tlv(alg)?;
    if t_oid != 0x06 {
        return None;
    }
    let (t_key, key, mut rest) = tlv(rest)?;
    if t_key != 0x04 {
        return None;
    }
    if oid == OID_RSA {
        return pkcs1_public(key);
    }
    if oid == OID_EC {
        let curve = tlv(params)
            .filter(|(t, _, _)| *t == 0x06)
            .map(|(_, o, _)| o);
        return sec1_public(key, curve);
    }
    if oid == OID_ED25519 {
        // RFC 8410: the v2 public key, else derived from the 32-byte seed.
        let mut public = None;
        while !rest.is_empty() {
            let (t, v, r) = tlv(rest)?;
            rest = r;
            if t == 0x81 || t == 0xa1 {
                let bits = if t == 0xa1 { tlv(v)?.1 } else { v };
                if bits.len() == 33 && bits[0] == 0 {
                    public = Some(bits[1..].to_vec());
                }
            }
        }
        let public = match public {
            Some(p) => p,
            None => {
                let (t, seed, _) = tlv(key)?;
                if t != 0x04 || seed.len() != 32 {
                    return None;
                }
                use ring::signature::KeyPair;
                let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(seed).ok()?;
                pair.public_key().as_ref().to_vec()
            }
        };
        let mut blob = Vec::new();
        put_string(&mut blob, b"ssh-ed25519");
        put_string(&mut blob, &public);
        return Some(blob);
    }
    None
}

/// One DER tag-length-value: (tag, value, what follows).
fn tlv(d: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *d.first()?;
    let first = *d.get(1)? as usize;
    let (len, head) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *d.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = head.checked_add(len)?;
    Some((tag, d.get(head..end)?, &d[end..]))
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// An SSH `mpint` from a DER INTEGER's bytes (both big-endian two's complement: strip
/// redundant leading zeros, keep one where the high bit is set).
fn put_mpint(out: &mut Vec<u8>, int: &[u8]) {
    let mut v = int;
    while v.len() > 1 && v[0] == 0 && v[1] & 0x80 == 0 {
        v = &v[1..];
    }
    if v == [0] {
        v = &[];
    }
    put_string(out, v);
}

#[cfg(test)]
#[path = "keypair_tests.rs"]
mod tests;
