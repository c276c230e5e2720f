//! Key-pair join tests: keys written by ssh-keygen, plus fake truncated and encrypted
//! PEM blocks that must join nothing (allowlisted in the self-scan for that reason).

use super::*;
use std::process::Command;

/// `ssh-keygen` (openssh-client; CI installs it) writes the keys, and prints the
/// fingerprint this module must reproduce from the private key alone.
fn keygen(args: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    let st = Command::new("ssh-keygen")
        .args(args)
        .args(["-q", "-N", "", "-C", "test@example.invalid", "-f"])
        .arg(&path)
        .status()
        .expect("ssh-keygen (openssh-client) is needed by this test");
    assert!(st.success());
    let out = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(path.with_extension("pub"))
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    let fp = line.split_whitespace().nth(1).unwrap().to_string();
    (std::fs::read_to_string(&path).unwrap(), fp)
}

#[test]
fn every_unencrypted_format_gives_the_keygen_fingerprint() {
    for args in [
        &["-t", "ed25519"][..],
        &["-t", "rsa", "-b", "2048"],
        &["-t", "rsa", "-b", "2048", "-m", "PEM"],
        &["-t", "rsa", "-b", "2048", "-m", "PKCS8"],
        &["-t", "ecdsa", "-b", "256", "-m", "PEM"],
        &["-t", "ecdsa", "-b", "384", "-m", "PKCS8"],
        &["-t", "ecdsa", "-b", "521"],
    ] {
        let (pem, fp) = keygen(args);
        assert_eq!(public_fingerprint(pem.as_bytes()), Some(fp), "{args:?}");
        // The same key inside a JSON string, with `\n` escapes.
        let json = format!("{{\"key\": {:?}}}", pem);
        let escaped = &json[9..json.len() - 2];
        assert_eq!(
            public_fingerprint(escaped.as_bytes()),
            public_fingerprint(pem.as_bytes()),
            "{args:?} escaped"
        );
    }
}

#[test]
fn an_openssh_key_with_a_passphrase_still_names_its_public_half() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "correct horse", "-f"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(st.success());
    let pub_line = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    let blob = crate::codec::base64_decode(
        pub_line.split_whitespace().nth(1).unwrap().as_bytes(),
        false,
    )
    .unwrap();
    let pem = std::fs::read(&path).unwrap();
    assert_eq!(public_blob(&pem), Some(blob));
}

#[test]
fn ed25519_pkcs8_from_ring_derives_the_public_key_from_the_seed() {
    use ring::signature::KeyPair;
    let rng = ring::rand::SystemRandom::new();
    let doc = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(doc.as_ref())
        }
    );
    let mut want = Vec::new();
    put_string(&mut want, b"ssh-ed25519");
    put_string(&mut want, pair.public_key().as_ref());
    assert_eq!(public_blob(pem.as_bytes()), Some(want));
}

#[test]
fn what_cannot_be_read_joins_nothing() {
    // Encrypted PEM, random base64 (the rules' own fake examples), DSA, truncation.
    let enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----";
    assert_eq!(public_fingerprint(enc.as_bytes()), None);
    let fake = "-----BEGIN OPENSSH PRIVATE KEY-----\n2bBu/5m9S5t9xR/cidZp2ZHuqJwaLQaXlYzq42IihWt/kCVXq5NPBH3OWWuHys2o\n-----END OPENSSH PRIVATE KEY-----";
    assert_eq!(public_fingerprint(fake.as_bytes()), None);
    let (pem, _) = keygen(&["-t", "rsa", "-b", "2048", "-m", "PEM"]);
    let cut: String =
        pem.lines().take(5).collect::<Vec<_>>().join("\n") + "\n-----END RSA PRIVATE KEY-----";
    assert_eq!(public_fingerprint(cut.as_bytes()), None);
    assert_eq!(public_fingerprint(b"not a key"), None);
}
