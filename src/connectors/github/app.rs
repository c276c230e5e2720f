//! GitHub App authentication: an RS256 JWT signed with the App's private key (PEM,
//! PKCS#1 `BEGIN RSA PRIVATE KEY` or PKCS#8 `BEGIN PRIVATE KEY`), exchanged at
//! `POST /app/installations/{id}/access_tokens` for an installation token.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

/// The App's signing key, parsed once.
pub struct AppKey {
    pair: RsaKeyPair,
}

impl std::fmt::Debug for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppKey(..)")
    }
}

impl AppKey {
    /// Parse a PEM private key. Errors never quote the key.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let mut label = None;
        let mut body = String::new();
        let mut inside = false;
        for line in pem.lines() {
            let l = line.trim();
            if let Some(rest) = l.strip_prefix("-----BEGIN ") {
                label = Some(rest.trim_end_matches('-').trim().to_string());
                inside = true;
                continue;
            }
            if l.starts_with("-----END ") {
                break;
            }
            if inside && !l.contains(':') {
                body.push_str(l);
            }
        }
        let label = label.ok_or("not a PEM private key (no -----BEGIN line)")?;
        let der = STANDARD
            .decode(body.as_bytes())
            .map_err(|_| "the PEM body is not valid base64".to_string())?;
        let pair = match label.as_str() {
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            other => {
                return Err(format!(
                    "a {other:?} PEM block is not a GitHub App key (expected RSA PRIVATE KEY or PRIVATE KEY)"
                ))
            }
        }
        .map_err(|e| format!("the RSA private key was rejected: {e}"))?;
        Ok(AppKey { pair })
    }

    /// A JWT for App `app_id` issued at `now` (epoch seconds): `iat` a minute back for
    /// clock drift, `exp` nine minutes on (GitHub allows ten).
    pub fn jwt(&self, app_id: &str, now: i64) -> Result<String, String> {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "iat": now - 60,
            "exp": now + 540,
            "iss": app_id,
        });
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes());
        let signing_input = format!("{header}.{payload}");
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| "signing the App JWT failed".to_string())?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(&sig)))
    }

    /// The DER of the public key (`RSAPublicKey`), for verifying in tests.
    pub fn public_der(&self) -> Vec<u8> {
        self.pair.public().as_ref().to_vec()
    }
}
