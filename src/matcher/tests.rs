use super::*;
use std::path::Path;

fn matcher() -> &'static Matcher {
    static M: std::sync::OnceLock<Matcher> = std::sync::OnceLock::new();
    M.get_or_init(|| Matcher::new(RuleSet::builtin().unwrap()).unwrap())
}

fn user_matcher(text: &str) -> Matcher {
    let mut set = RuleSet::default();
    set.add_file_text(Path::new("user.toml"), text).unwrap();
    Matcher::new(set).unwrap()
}

fn ids(ms: &[Match]) -> Vec<&str> {
    ms.iter().map(|m| m.rule.id.as_str()).collect()
}

/// A GitHub classic token with a valid checksum: `prefix`, the 30-character `body`,
/// then the body's base62 CRC-32 (see `crate::rules::Validator::GithubCrc32`).
fn gh_token(prefix: &str, body: &str) -> String {
    assert_eq!(body.len(), 30);
    crate::rules::with_github_checksum(prefix, body)
}

// Built at run time so this source file holds no token-shaped literal.
fn ghp() -> String {
    gh_token("ghp_", &"FAKEa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"[..30])
}

#[test]
fn finds_a_token_with_line_and_span() {
    let tok = ghp();
    let data = format!("a\nb\nlet t = \"{tok}\";\n");
    let ms = matcher().scan(data.as_bytes());
    assert_eq!(ms.len(), 1, "{ms:?}");
    assert_eq!(ms[0].line, 3);
    assert_eq!(&data.as_bytes()[ms[0].start..ms[0].end], tok.as_bytes());
    assert_eq!(ms[0].secret.expose(), tok.as_bytes());
    assert!(ms[0].rule.id.starts_with("nhi.github."));
}

#[test]
fn debug_never_shows_the_secret() {
    let tok = ghp();
    let ms = matcher().scan(tok.as_bytes());
    let dbg = format!("{ms:?}");
    assert!(!dbg.contains(&tok), "{dbg}");
    assert!(!dbg.contains(&tok[4..]), "{dbg}");
}

#[test]
fn inline_allow_skips_only_that_line() {
    let tok = ghp();
    let data = format!("x = \"{tok}\" # nhiscan:allow\ny = \"{tok}\"\n");
    let ms = matcher().scan(data.as_bytes());
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].line, 2);
}

#[test]
fn invalid_utf8_is_fine() {
    let tok = ghp();
    let mut data = vec![0xff, 0xfe, b'\n', 0xc3, 0x28, b' '];
    data.extend_from_slice(tok.as_bytes());
    data.extend_from_slice(&[0x80, b'\n']);
    let ms = matcher().scan(&data);
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].line, 2);
}

#[test]
fn line_numbers_for_many_matches() {
    let tok = ghp();
    let mut data = String::new();
    for i in 0..50 {
        data.push_str(&format!("line {i}\n"));
        if i % 7 == 0 {
            data.push_str(&format!("t{i} = {tok}\n"));
        }
    }
    let ms = matcher().scan(data.as_bytes());
    assert_eq!(ms.len(), 8);
    for m in &ms {
        let expect = 1 + data.as_bytes()[..m.start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        assert_eq!(m.line, expect);
    }
}

#[test]
fn prefilter_never_loses_a_match() {
    // For every rule and every example, line-window scanning with the prefilter finds
    // exactly what the bare regex finds over the whole buffer, including when the
    // example is buried in unrelated lines and its case-folded keyword appears elsewhere.
    let m = matcher();
    for (ri, c) in m.compiled.iter().enumerate() {
        for ex in &c.rule.examples {
            let data = format!(
                "filler line one\nKEY: {}\n{ex}\nmore filler {ex} after\nend",
                c.rule.keywords[0]
            );
            let expect: Vec<(usize, usize)> = c
                .regex()
                .captures_iter(data.as_bytes())
                .map(|cap| {
                    let g = cap.get(c.group).or_else(|| cap.get(0)).unwrap();
                    (g.start(), g.end())
                })
                .collect();
            let mut got = Vec::new();
            let mut allow = AllowCheck::new(data.as_bytes());
            let all = m.scan_all(data.as_bytes());
            for mm in all.iter().filter(|mm| mm.rule.id == c.rule.id) {
                got.push((mm.start, mm.end));
            }
            // Filters may only remove; compare against filtered bare-regex results.
            let mut bare = Vec::new();
            m.run_rule(ri, data.as_bytes(), 0, data.len(), &mut allow, &mut bare);
            let bare: Vec<(usize, usize)> = bare.iter().map(|b| (b.start, b.end)).collect();
            assert_eq!(got, bare, "rule {}", c.rule.id);
            assert!(
                bare.iter().all(|b| expect.contains(b)),
                "rule {}",
                c.rule.id
            );
        }
    }
}

#[test]
fn keyword_case_folding_and_lines() {
    let m = user_matcher(
        "[[rule]]\nid = \"acme.x.tok.1\"\nname = \"t\"\npattern = '(?i)\\bacme_tok_[a-z0-9]{8}\\b'\n\
         keywords = [\"acme_tok_\"]\ncredential = \"t\"\nunlocks = \"acme\"\nexamples = [\"acme_tok_k3j4h5g6\"]\n",
    );
    let data = b"ACME_TOK_k3j4h5g6 and\nacme_tok_zz9yy8xx\nxacme_tok_k3j4h5g6\n";
    let ms = m.scan(data);
    assert_eq!(ms.iter().map(|m| m.line).collect::<Vec<_>>(), vec![1, 2]);
}

#[test]
fn multiline_rule_runs_on_whole_buffer() {
    let m = user_matcher(
        "[[rule]]\nid = \"acme.x.block.1\"\nname = \"t\"\npattern = 'BEGIN ACME\\n(?P<secret>[A-Za-z0-9\\n]{10,200}?)\\nEND ACME'\n\
         keywords = [\"begin acme\"]\ncredential = \"t\"\nunlocks = \"acme\"\nexamples = [\"BEGIN ACME\\nQm9vb3Zk\\nZ2hqa2xt\\nEND ACME\"]\n",
    );
    assert!(!m.compiled[0].line_local);
    let ms = m.scan(b"junk\nBEGIN ACME\nQm9vb3Zk\nZ2hqa2xt\nEND ACME\n");
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].line, 3);
    assert_eq!(ms[0].secret.expose(), b"Qm9vb3Zk\nZ2hqa2xt");
}

#[test]
fn entropy_values() {
    assert_eq!(shannon_entropy(b""), 0.0);
    assert_eq!(shannon_entropy(b"aaaa"), 0.0);
    assert!((shannon_entropy(b"abab") - 1.0).abs() < 1e-9);
    assert!((shannon_entropy(b"0123456789abcdef") - 4.0).abs() < 1e-9);
}

#[test]
fn entropy_floor_drops_low_entropy_secrets() {
    let m = user_matcher(
        "[[rule]]\nid = \"acme.x.tok.1\"\nname = \"t\"\npattern = '\\bacme_(?P<secret>[a-z0-9]{12})\\b'\nentropy = 3.0\n\
         keywords = [\"acme_\"]\ncredential = \"t\"\nunlocks = \"acme\"\nplaceholders = false\nexamples = [\"acme_k3j4h5g6q7w8\"]\n",
    );
    assert_eq!(m.scan(b"acme_k3j4h5g6q7w8").len(), 1);
    assert!(m.scan(b"acme_abababababab").is_empty());
}

#[test]
fn placeholders_are_suppressed() {
    for p in [
        "${DB_PASSWORD}",
        "{{ db_password }}",
        "os.environ",
        "process.env.API_KEY",
        "changeme",
        "xxxxxxxxxxxx",
        "<password>",
        "your-api-key",
        "my_example_key",
        "dummy-secret-value",
        "TestPassword99",
        "$API_KEY",
    ] {
        assert!(looks_like_placeholder(p.as_bytes()), "{p}");
    }
    for p in ["k3J9vQ2mZx8Lw4Rt", "Zq8fK2mPw9Lr4Vt7", "hunter2-Vb7Nq"] {
        assert!(!looks_like_placeholder(p.as_bytes()), "{p}");
    }
    // Regression (benchmark): random token bodies containing `1111` or `aaaa` were
    // dropped as placeholders.
    for real in [
        "xoxb-8086093010401-8451276111166-ToJ2oG5PRkWV9n3H3BfA9nuS", // nhiscan:allow
        "ghp_Qm3aaaaT7wLp0Zr5Yk2Nd8Vx6Bc4Hj1Fg9Ws",                  // nhiscan:allow
    ] {
        assert!(!looks_like_format_placeholder(real.as_bytes()), "{real}");
    }
    for fake in [
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "AKIAABCDEFGHIJKLWXYZ",
        "sk_live_your_key_here",
        "xoxb-test-token",
        "${SLACK_TOKEN}",
    ] {
        assert!(looks_like_format_placeholder(fake.as_bytes()), "{fake}");
    }
    let m = matcher();
    for line in [
        "password = \"${DB_PASSWORD}\"",
        "password: \"{{ vault_db_password }}\"",
        "api_key = os.environ[\"API_KEY\"]",
        "const apiKey = process.env.STRIPE_KEY;",
        "password = \"changeme\"",
        "secret = \"xxxxxxxxxxxxxxxx\"",
        "password=<password>",
        "api_key = \"your-api-key\"",
        "token = \"dummy-token-value-123\"",
        "password = \"test1234test\"",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ] {
        let ms = m.scan(line.as_bytes());
        assert!(ms.is_empty(), "{line}: {:?}", ids(&ms));
    }
}

/// False-positive shapes met scanning real code (crates.io sources, botocore, moto,
/// cryptography, oauthlib, npm, /usr/share/doc): identifiers, paths, code aliases,
/// paging tokens, truncated or base64-encoded stand-ins, documentation hosts.
#[test]
fn real_code_false_positive_shapes() {
    for id in [
        "ExclusiveStartTableName",
        "waitForTaskToken",
        "_EllipticCurvePrivateKey",
        "Access-Control-Allow-Credentials",
        "NEW!!secret-access-token",
    ] {
        assert!(looks_like_identifier(id.as_bytes()), "{id}");
    }
    for secret in [
        "FkQzWxVbNmLpKjHgTrEdYu",
        "Fk9uu6KLMDvr15ZNFZZ57ywcDRBeSf",
        "3f1e8c2a-9b7d-4e6f-a1c3-5d8b2e4f7a90",
        "s.VUqAkQnPjWpP0T",
        "ILQMESfEW0p6i6gIJcEWvO65TP5hg6B99hGFZ2lxrIs=",
    ] {
        assert!(!looks_like_identifier(secret.as_bytes()), "{secret}");
    }
    for id in ["V1LocalObjectReference", "V2beta1HorizontalPodAutoscaler"] {
        assert!(looks_like_identifier(id.as_bytes()), "{id}");
    }
    for path in [
        "roles/iam.serviceAccountTokenCreator",
        "/home/user/me/my_key.pfx",
        "projects/123/secrets/my-secret/versions/1",
    ] {
        assert!(looks_like_resource_path(path.as_bytes()), "{path}");
    }
    for secret in [
        "Fk7/Qx2LmVb9Kp4+Zr8Tn3Wd6Yh1Cs5j0Ge4Ua=",
        "/K7MDENG/bPxRfiCY",
        "ab/cd",
    ] {
        assert!(!looks_like_resource_path(secret.as_bytes()), "{secret}");
    }
    assert!(looks_like_placeholder(b"dXNlcjpwYXNz"), "user:pass");
    assert!(!looks_like_placeholder(
        b"c3ZjLWZha2U6dUE3RkQ2UllQdjFuVERXakRJ"
    ));
    assert!(looks_like_path(b"~/.aws/credentials"));
    assert!(!looks_like_path(b"/K7MDENGbPxRfiCYzz9"));
    assert!(value_restates_name(
        b"MLKEM768X25519PrivateKey",
        b"rust_openssl.hpke.MLKEM768X25519PrivateKey"
    ));
    assert!(value_restates_name(
        b"private_key",
        b"x25519.X25519PrivateKey"
    ));
    assert!(!value_restates_name(b"api_key", b"Fk9uu6KLMDvr15ZNFZZ57y"));
    assert!(!value_restates_name(
        b"SECRET_KEY",
        b"Fk9uu6KLM+DvrSecretKey1"
    ));
    assert!(names_documentation_host(b"@example.com/x"));
    assert!(names_documentation_host(b"@Example.ORG."));
    assert!(!names_documentation_host(b"@pypi.example.org"));
    assert!(!names_documentation_host(b"@db.acme.example:5432"));
    assert!(names_documentation_host(b"@db.invalid:5432"));
    assert!(!names_documentation_host(b"@example-corp.com"));
    assert!(!names_documentation_host(b"@notexample.com"));
    assert!(!names_documentation_host(b"/path"));
    // "not my real password", base64; a real value's base64 is not a stand-in.
    assert!(looks_like_placeholder(b"bm90IG15IHJlYWwgcGFzc3dvcmQ="));
    assert!(!looks_like_placeholder(b"RmsxSzlwUXo3dlh3MnQ="));
    assert_eq!(
        decode_base64_text(b"aGVsbG8gd29ybGQh").unwrap(),
        b"hello world!"
    );
    assert!(decode_base64_text(b"Fk9uu6KLMDvr15ZN").is_none());
    assert!(looks_like_placeholder(b"eyJ2IjoiMSIsInMiOjEsImMiOi..."));
    let long_doc = format!("AQoEXAMPLEH4{}", "aoAH0gNCAPyJxz4BlCFF".repeat(8));
    assert!(looks_like_placeholder(long_doc.as_bytes()));
    // Edited copies of AWS's documented key are still documentation.
    let m = matcher();
    assert!(m.scan(b"key = \"AKIAIOSFODNN7EXAMPLF\"").is_empty());
    let data = "{\n  \"NextToken\": \"CpHNsscimcV5oH7bSbub03CI2Qms5+ypNpNm+53MNlR0Y\",\n  \"ClientRequestToken\": \"f4c94ed7-238d-4c46-93db-48cd62ec33b7\"\n}";
    assert!(
        m.scan(data.as_bytes()).is_empty(),
        "{:?}",
        m.scan(data.as_bytes())
    );
}

/// Recall guard for the identifier and path filters: random token bodies are almost
/// never taken for identifiers (measured about 1 in 10,000; the bound leaves room).
#[test]
fn identifier_filters_keep_random_tokens() {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (n, mut dropped) = (100_000, 0);
    for _ in 0..n {
        let len = 16 + (next() % 25) as usize;
        let v: Vec<u8> = (0..len).map(|_| B62[(next() % 62) as usize]).collect();
        if looks_like_identifier(&v) || looks_like_path(&v) {
            dropped += 1;
        }
    }
    assert!(
        dropped * 2_000 < n,
        "{dropped} of {n} random tokens dropped"
    );
}

#[test]
fn specific_rule_beats_generic_on_same_span() {
    let tok = ghp();
    let data = format!("token = \"{tok}\"\n");
    let all = matcher().scan_all(data.as_bytes());
    assert!(all.len() >= 2, "{:?}", ids(&all));
    let ms = matcher().scan(data.as_bytes());
    assert_eq!(ms.len(), 1, "{:?}", ids(&ms));
    assert!(!ms[0].rule.is_generic());
}

#[test]
fn bad_regex_is_rule_error() {
    let mut set = RuleSet::default();
    set.rules.push(Rule {
        id: "acme.x.bad.1".into(),
        name: "n".into(),
        pattern: "([a-z".into(),
        keywords: vec!["a".into()],
        entropy: None,
        credential: "c".into(),
        unlocks: "acme".into(),
        join_key: None,
        severity: None,
        placeholders: None,
        validate: None,
        references: vec![],
        examples: vec![],
        negative_examples: vec![],
        replaces: vec![],
        origin: "u.toml".into(),
        parsed: None,
    });
    let err = Matcher::new(set).unwrap_err();
    assert!(err.to_string().contains("acme.x.bad.1") && err.to_string().contains("u.toml"));
}

#[test]
fn binary_and_minified() {
    assert!(is_probably_binary(b"abc\0def"));
    assert!(!is_probably_binary(b"abc def"));
    let mut late_nul = vec![b'a'; 9000];
    late_nul.push(0);
    assert!(!is_probably_binary(&late_nul));
    assert!(is_minified(&vec![b'a'; 100_000]));
    assert!(!is_minified(&vec![b'a'; 1000]));
    let src = "fn main() { println!(\"hi\"); }\n".repeat(5000);
    assert!(!is_minified(src.as_bytes()));
}

#[test]
fn no_keywords_no_allocation_path_returns_empty() {
    let data = "fn main() { let x = 1 + 2; println!(\"{}\", x); }\n".repeat(1000);
    assert!(matcher().scan(data.as_bytes()).is_empty());
}

/// Look-alikes the benchmark plants: none may be flagged.
#[test]
fn decoys_are_not_flagged() {
    let b32 = "QZK3TRW7PLMXN4BV";
    let b62 = "Q7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0Ge4UaR";
    let decoys = [
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE".to_string(),
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string(),
        "AKIAI44QH8DHBEXAMPLE je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY".to_string(),
        format!("AKIA{}", &b32[..15]),
        format!("AKIA{}X", b32),
        format!("XAKIA{}", b32),
        "AKIA1234567890ABCDEF".to_string(),
        "AKIAXXXXXXXXXXXXXXXX".to_string(),
        format!("ghp_{}", &b62[..35]),
        format!("ghp_{}x", b62),
        format!("GHP_{}", b62),
        format!("my_ghp_{}", b62),
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".to_string(),
        "ghp_EXAMPLEexampleEXAMPLEexampleEXAMPLE1".to_string(),
        "xoxb-your-bot-token-here".to_string(),
        format!("sk_test_{}", &b62[..24]),
        "password = \"${DB_PASSWORD}\"".to_string(),
        "password: {{ .Values.db.password }}".to_string(),
        "api_key: \"<YOUR_API_KEY>\"".to_string(),
        "const token = process.env.GITHUB_TOKEN;".to_string(),
        "api_key = os.environ[\"API_KEY\"]".to_string(),
        "password = \"changeme\"".to_string(),
        "SECRET_KEY=your-secret-key".to_string(),
        "token = \"dummy_token_for_tests\"".to_string(),
        format!("AIza{}", &b62[..30]),
        "postgres://user:password@localhost:5432/db".to_string(),
        "postgresql://postgres:postgres@localhost/app".to_string(),
        "https://user:pass@example.com/".to_string(),
        "secret = \"0000000000000000\"".to_string(),
        "secret_name = \"my-app-secret-prod\"".to_string(),
        "password = self.config.password".to_string(),
        "token_url = \"https://auth.fake.internal/oauth/token\"".to_string(),
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----".to_string(),
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----".to_string(),
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c".to_string(),
        "hvs.short".to_string(),
        "npm_config_cache=/tmp/npm".to_string(),
        "Authorization: Bearer <token>".to_string(),
        "commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3".to_string(),
    ];
    for d in &decoys {
        let ms = matcher().scan(d.as_bytes());
        assert!(ms.is_empty(), "decoy flagged: {d:?} by {:?}", ids(&ms));
    }
}

/// Standard base64, for building manifests in tests.
fn b64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn k8s_secret_data_values_are_decoded() {
    let b62 = "Q7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0Ge4UaR";
    let stripe = format!("sk_live_{}", &b62[..24]);
    let url = format!("postgres://app:{}@db.prod:5432/app", &b62[..16]);
    let pw = format!("Pr0d{}!", &b62[3..11]);
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  STRIPE_SECRET_KEY: {}\n  \
         DATABASE_URL: \"{}\"\n  password: {}\n  username: {}\n  other: {}\n",
        b64(stripe.as_bytes()),
        b64(url.as_bytes()),
        b64(pw.as_bytes()),
        b64(b"app"),
        b64(b"changeme-changeme"),
    );
    let ms = matcher().scan(manifest.as_bytes());
    let got: Vec<(&str, u64, &[u8])> = ms
        .iter()
        .map(|m| (m.rule.id.as_str(), m.line, m.secret.expose()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("nhi.stripe.secret-key.1", 6, stripe.as_bytes()),
            ("nhi.database.postgres-url.1", 7, &b62.as_bytes()[..16]),
            ("nhi.generic.password-env.1", 8, pw.as_bytes()),
        ],
        "{manifest}"
    );
    // The span is the encoded value's, so the finding points at the right text.
    assert_eq!(
        &manifest.as_bytes()[ms[0].start..ms[0].end],
        b64(stripe.as_bytes()).as_bytes()
    );
    // JSON manifests too; and nothing is decoded outside a Secret manifest.
    let json = format!(
        "{{\"kind\": \"Secret\", \"data\": {{\n  \"token\": \"{}\"\n}}}}",
        b64(stripe.as_bytes())
    );
    assert_eq!(
        ids(&matcher().scan(json.as_bytes())),
        vec!["nhi.stripe.secret-key.1"]
    );
    let cm = manifest.replace("kind: Secret", "kind: ConfigMap");
    assert!(
        ids(&matcher().scan(cm.as_bytes()))
            .iter()
            .all(|id| *id != "nhi.stripe.secret-key.1" && *id != "nhi.database.postgres-url.1"),
        "{cm}"
    );
}

#[test]
fn hex_keys_under_secret_names_pass_a_hex_floor() {
    // 40 random hex digits measure about 3.7 bits per character, under the unquoted
    // generic rule's 3.8 floor: held to the hex floor instead.
    let hex = "d20b04054786444d82952f941247ae121430195c";
    assert!(shannon_entropy(hex.as_bytes()) < 3.8);
    let text = format!("API_KEY={hex}");
    assert_eq!(
        ids(&matcher().scan(text.as_bytes())),
        vec!["nhi.generic.secret-env.1"]
    );
    // Long runs of few digits still fail it.
    let low = format!("API_KEY={}", "0a0a0a0b0b0b0c0c0c0d0d0d0a0a0a0b0b0b0c0c");
    assert!(matcher().scan(low.as_bytes()).is_empty());
    assert_eq!(entropy_floor_for(3.8, b"abc"), 3.8);
}

#[test]
fn hand_made_aws_key_ids_are_found_and_marked() {
    // [A-Z0-9] instead of base32: a 0, 1, 8 or 9 in the body.
    let id = format!("AKIA{}", "PF91DHODZDOC9IS0");
    let text = format!("AWS_ACCESS_KEY_ID={id}");
    let ms = matcher().scan(text.as_bytes());
    assert_eq!(ids(&ms), vec!["nhi.aws.access-key-id.1"]);
    assert_eq!(ms[0].rule.checksum_ok(ms[0].secret.expose()), Some(false));
    let b32 = format!("AKIA{}", "QZK3TRW7PLMXN4BV");
    assert_eq!(ms[0].rule.checksum_ok(b32.as_bytes()), Some(true));
    // Placeholder-like ones stay quiet.
    for fake in [
        "AKIA1234567890ABCDEF",
        "AKIAXXXXXXXXXXXXXXXX",
        "AKIA0000000000000000",
    ] {
        assert!(matcher().scan(fake.as_bytes()).is_empty(), "{fake}");
    }
}

#[test]
fn key_ids_emulator_keys_and_env_pairs() {
    let b62 = "Q7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0Ge4UaR";
    let hex = "3f9a1c07b24d58e91f2a6b3c8d4e70f15a9b2c6d";
    // Which key, not the key; but `secret_id` (Vault AppRole) is a credential.
    for name in ["private_key_id", "access_key_id", "signingKeyId"] {
        let text = format!("\"{name}\": \"{hex}\",");
        assert!(matcher().scan(text.as_bytes()).is_empty(), "{text}");
    }
    for name in ["secret_id", "client_secret_id"] {
        let text = format!("{name} = \"{}\"", &b62[..30]);
        assert_eq!(
            ids(&matcher().scan(text.as_bytes())),
            vec!["nhi.generic.secret-assignment.1"],
            "{text}"
        );
    }
    // The storage emulator's published key, under any name; another key is reported.
    let azurite = [
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq",
        "/K1SZFPTOtr/KBHBeksoGMGw==",
    ]
    .concat();
    let other = format!("{}{}{}==", &b62[..30], &b62[..30], &b62[..26]);
    let conn = |key: &str| {
        format!("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};")
    };
    assert!(matcher().scan(conn(&azurite).as_bytes()).is_empty());
    let text = format!("AZURE_STORAGE_KEY={azurite}");
    assert!(matcher().scan(text.as_bytes()).is_empty());
    assert_eq!(
        ids(&matcher().scan(conn(&other).as_bytes())),
        vec!["nhi.azure.storage-connection-string.1"]
    );
    // Kubernetes env entries: the value's line, quoted or not; references and
    // placeholders are not values.
    let pw = &b62[..16];
    let tok = &b62[..32];
    let manifest = format!(
        "env:\n  - name: ADMIN_PASSWORD\n    value: \"{pw}\"\n  - name: GH_TOKEN\n    value: {tok}\n  \
         - name: A_TOKEN\n    valueFrom:\n      secretKeyRef: {{name: a, key: b}}\n  \
         - name: B_TOKEN\n    value: $(A_TOKEN)\n  - name: C_PASSWORD\n    value: changeme\n  \
         - name: D_PASSWORD\n    value: \"\"\n  - name: API_TOKEN_FILE\n    value: /run/s/{tok}\n"
    );
    let ms = matcher().scan(manifest.as_bytes());
    let got: Vec<(&str, u64, &[u8])> = ms
        .iter()
        .map(|m| (m.rule.id.as_str(), m.line, m.secret.expose()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("nhi.generic.env-pair-password.1", 3, pw.as_bytes()),
            ("nhi.generic.env-pair-secret.1", 5, tok.as_bytes()),
        ],
        "{manifest}"
    );
}

#[test]
fn planted_secrets_are_found() {
    let b32 = "QZK3TRW7PLMXN4BV";
    let b62 = "Q7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0Ge4UaR";
    let cases = [
        (format!("AKIA{b32}"), "nhi.aws.access-key-id.1"),
        (format!("key = \"ASIA{b32}\""), "nhi.aws.access-key-id.1"),
        (
            format!("aws_secret_access_key = {}{}", &b62[..35], "Ab/+9"),
            "nhi.aws.secret-access-key.1",
        ),
        (gh_token("ghp_", &b62[..30]), "nhi.github.pat-classic.1"),
        (
            gh_token("ghs_", &b62[..30]),
            "nhi.github.installation-token.1",
        ),
        (gh_token("gho_", &b62[6..]), "nhi.github.oauth-token.1"),
        (
            format!("xoxb-483920175634-7295018364521-{}", &b62[..24]),
            "nhi.slack.bot-token.1",
        ),
        (format!("sk_live_{}", &b62[..24]), "nhi.stripe.secret-key.1"),
        (format!("AIza{}", &b62[..35]), "nhi.gcp.api-key.1"),
        (format!("npm_{b62}"), "nhi.npm.access-token.1"),
        (
            format!("DATABASE_URL=postgres://app:{}@db.internal/app", &b62[..12]),
            "nhi.database.postgres-url.1",
        ),
        (
            format!("db_password = \"{}\"", &b62[..14]),
            "nhi.generic.password-assignment.1",
        ),
        (
            format!("api_key: \"{}\"", &b62[..30]),
            "nhi.generic.secret-assignment.1",
        ),
    ];
    for (text, rule) in &cases {
        let ms = matcher().scan(text.as_bytes());
        assert_eq!(ids(&ms), vec![*rule], "{text}");
    }
}

/// What a rule finds in `data` when run over the whole buffer (the reference for
/// the anchored path), as (start, end) spans.
fn whole_buffer(m: &Matcher, ri: usize, data: &[u8]) -> Vec<(usize, usize)> {
    let mut allow = AllowCheck::new(data);
    let mut out = Vec::new();
    m.run_rule(ri, data, 0, data.len(), &mut allow, &mut out);
    out.iter().map(|x| (x.start, x.end)).collect()
}

fn by_rule(ms: &[Match], id: &str) -> Vec<(usize, usize)> {
    let mut v: Vec<(usize, usize)> = ms
        .iter()
        .filter(|x| x.rule.id == id)
        .map(|x| (x.start, x.end))
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn most_multiline_rules_are_anchored() {
    let m = matcher();
    let multi = m.compiled.iter().filter(|c| !c.line_local).count();
    let anchored = m
        .compiled
        .iter()
        .filter(|c| !c.line_local && c.anchored.is_some())
        .count();
    assert!(
        multi > 0 && anchored * 10 >= multi * 8,
        "{anchored} of {multi}"
    );
    for id in [
        "nhi.generic.secret-assignment.1",
        "nhi.generic.password-assignment.1",
        "nhi.azure.storage-account-key.1",
        "nhi.aws.secret-access-key.1",
        "nhi.generic.env-pair-password.1",
        "nhi.generic.env-pair-secret.1",
    ] {
        let c = m.compiled.iter().find(|c| c.rule.id == id).unwrap();
        assert!(
            c.anchored.as_ref().and_then(Anchored::get).is_some(),
            "{id}"
        );
    }
}

#[test]
fn line_start_rules_are_tried_at_line_starts_only() {
    let m = matcher();
    for id in [
        "nhi.generic.windows-set-secret.1",
        "nhi.generic.secret-env.1",
    ] {
        let c = m.compiled.iter().find(|c| c.rule.id == id).unwrap();
        assert!(c.line_anchored && c.anchored.is_some(), "{id}");
    }
    let hir = |p: &str| crate::rules::parse_pattern(p).unwrap();
    assert!(starts_at_line_start(&hir(r"(?m)^[ \t]*(?:a|b)=x")));
    assert!(starts_at_line_start(&hir(r"(?m)(?:^a|^b)")));
    assert!(!starts_at_line_start(&hir(r"(?m)(?:^a|b)")));
    // `(?R)^` also holds after a lone `\r` inside a line.
    assert!(!starts_at_line_start(&hir(r"(?mR)^a")));
    assert!(!starts_at_line_start(&hir(r"a(?m)^")));
    // Consecutive matching lines, the first line, CRLF endings: the same matches as a
    // search of the whole buffer.
    let data = b"set API_TOKEN=Zq8fK2mPw9Lr4Vt7\r\nset API_TOKEN=Xq8fK2mPw9Lr4Vt8\n  setx DB_PASSWORD \"Wq8fK2mPw9Lr4Vt9\"\n# set password=Vq8fK2mPw9Lr4Vt0\n";
    let all = m.scan_all(data);
    let ri = m
        .compiled
        .iter()
        .position(|c| c.rule.id == "nhi.generic.windows-set-secret.1")
        .unwrap();
    let want = whole_buffer(m, ri, data);
    assert_eq!(want.len(), 3, "{want:?}");
    assert_eq!(by_rule(&all, "nhi.generic.windows-set-secret.1"), want);
}

#[test]
fn keyword_offsets_cover_every_match_start() {
    let hir = |p: &str| crate::rules::parse_pattern(p).unwrap();
    let kws = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // `account_?(?:account_?)?key` holds `accountkey` 7 or 8 bytes in when doubled.
    let got = keyword_offsets(
        &hir(r"(?i)(?:storage|account)_?(?:account_?)?key\s*=\s*(\w+)"),
        &kws(&["storage", "accountkey", "account_key"]),
    )
    .unwrap();
    for want in [
        ("storage", 0),
        ("accountkey", 0),
        ("account_key", 0),
        ("accountkey", 7),
        ("account_key", 8),
        ("accountkey", 8),
        ("account_key", 7),
    ] {
        assert!(
            got.contains(&(want.0.to_string(), want.1)),
            "{want:?} not in {got:?}"
        );
    }
    // A match that need not start with a keyword-bearing literal: no offsets.
    assert!(keyword_offsets(&hir(r"[a-z]+_token\s*=\s*x"), &kws(&["_token"])).is_none());
    assert!(keyword_offsets(&hir(r"(?:tok_)?\s*abc"), &kws(&["tok_"])).is_none());
    // Case-insensitive classes fold; a `\b` in front is zero-width.
    assert_eq!(
        keyword_offsets(&hir(r"\b(?i)xY-\s+"), &kws(&["xy-"])),
        Some(vec![("xy-".to_string(), 0)])
    );
}

#[test]
fn anchored_and_line_start_rules_match_whole_buffer_search_on_examples() {
    let m = matcher();
    let mut pool: Vec<String> = Vec::new();
    for c in &m.compiled {
        pool.extend(c.rule.examples.iter().cloned());
        pool.extend(c.rule.negative_examples.iter().cloned());
    }
    let seps = ["\n", " ", "\n\n  ", "=", "\"", ";\n", "\r\n", ""];
    for (i, sep) in seps.iter().enumerate() {
        // Rotate so that neighbours differ between rounds.
        let mut parts = pool.clone();
        parts.rotate_left(i * 7 % pool.len().max(1));
        let data = parts.join(sep);
        let all = m.scan_all(data.as_bytes());
        for (ri, c) in m.compiled.iter().enumerate() {
            if c.anchored.is_some() || c.line_start.is_some() {
                assert_eq!(
                    by_rule(&all, &c.rule.id),
                    whole_buffer(m, ri, data.as_bytes()),
                    "rule {} sep {sep:?}",
                    c.rule.id
                );
            }
        }
    }
}

proptest::proptest! {
    #[test]
    fn scanning_arbitrary_bytes_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
        let ms = matcher().scan(&data);
        for m in &ms {
            proptest::prop_assert!(m.start < m.end && m.end <= data.len());
            proptest::prop_assert!(m.line >= 1);
        }
    }

    #[test]
    fn anchored_and_line_start_rules_match_whole_buffer_search(parts in proptest::collection::vec(
        proptest::sample::select(vec![
            "secret", "SECRET_KEY", "token", "api_key", "password", "passwd", "storage",
            "accountkey", "account_account_key", "aws_secret_access_key", "=", ":", "=>",
            "\"", "'", "\n", " ", "\t", "\n\n", "-----BEGIN RSA PRIVATE KEY-----",
            "-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA7x", "Zq8fK2mPw9Lr4Vt7Xc3N",
            "Q7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0Ge4UaR/+9bQ7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0Ge4UaRab", "==",
            "glpat-", "ghp_", "eyJhbGciOiJIUzI1NiJ9", ".", "x", "_", "nhiscan:allow",
            // Rules searched from their keywords' lines (libpq DSNs, Telegram tokens).
            "password=", "host=db ", " dbname=app", "123456789:AA", "Zq8fK2mPw9Lr4Vt7Xc3N-_Q7xLm2Vb9K",
            "\r", "NRAL", ".atlasv1.",
            // Rules tried only at line starts (`(?m)^...`).
            "set ", "@setx ", "export ", "ENV ", "- ", "DB_PASSWORD", "api_token",
        ]), 0..60)) {
        let data = parts.concat();
        let m = matcher();
        let all = m.scan_all(data.as_bytes());
        for (ri, c) in m.compiled.iter().enumerate() {
            if c.anchored.is_some() || c.line_start.is_some() {
                proptest::prop_assert_eq!(
                    by_rule(&all, &c.rule.id),
                    whole_buffer(m, ri, data.as_bytes()),
                    "rule {}", c.rule.id
                );
            }
        }
    }

    #[test]
    #[test]
    fn scanning_keyword_soup_never_panics(parts in proptest::collection::vec(
        proptest::sample::select(vec![
            "ghp_", "AKIA", "password", "=", "\"", "\n", "xoxb-", "-----BEGIN", "PRIVATE KEY-----",
            "postgres://", ":", "@", "nhiscan:allow", "aB3", "Zz9/", "\0", "sk_live_", "eyJ", ".",
        ]), 0..200)) {
        let data = parts.concat();
        let _ = matcher().scan(data.as_bytes());
    }
}

#[test]
fn builtin_patterns_compile_with_the_groups_read_at_load() {
    // The built-in regexes are compiled on first use; this compiles each one and checks
    // that the secret group read from the parsed pattern is the compiled regex's.
    let m = matcher();
    for c in &m.compiled {
        let re = c.regex();
        let by_name = re
            .capture_names()
            .position(|n| n == Some("secret"))
            .unwrap_or(if re.captures_len() > 1 { 1 } else { 0 });
        assert_eq!(c.group, by_name, "{}", c.rule.id);
    }
}

#[test]
fn required_bytes_are_in_every_match() {
    let hir = |p: &str| crate::rules::parse_pattern(p).unwrap();
    let kws = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // A URL credential needs `@`; `:` and `/` are in its keyword already.
    assert_eq!(
        &*required_bytes(
            &hir(r"\b(?i:https?)://(\w{1,9}):(\w{3,9})@[a-z.]+"),
            &kws(&["://"])
        ),
        b"@"
    );
    // Optional parts, alternation branches that differ, and case-folded letters do not
    // count; what every branch shares does.
    assert!(required_bytes(&hir(r"(?i)tok(?:@x)?=[a-z]+"), &kws(&["tok"])).contains(&b'='));
    assert!(!required_bytes(&hir(r"(?i)tok(?:@x)?=[a-z]+"), &kws(&["tok"])).contains(&b'@'));
    assert_eq!(
        &*required_bytes(&hir(r"k(?:a#b|c#d)(?:;|,)"), &kws(&["k"])),
        b"#"
    );
    assert!(required_bytes(&hir(r"(?i)key\s*[=:]\s*\w+"), &kws(&["key"])).is_empty());
}

#[test]
fn a_window_without_a_required_byte_is_not_searched_and_nothing_is_lost() {
    // Every example of every built-in rule is still found by the rule it belongs to, with
    // the filter in place (`rules check` runs the same); and URL lines with no `@` give
    // no candidate.
    let m = Matcher::load(None).unwrap();
    let url = m
        .compiled
        .iter()
        .find(|c| c.rule.id == "nhi.generic.url-credentials.1")
        .unwrap();
    assert_eq!(&*url.required, b"@");
    let mut misses = Vec::new();
    for c in &m.compiled {
        for ex in &c.rule.examples {
            if !m
                .scan_all(ex.as_bytes())
                .iter()
                .any(|x| x.rule.id == c.rule.id)
            {
                misses.push(c.rule.id.clone());
            }
        }
    }
    assert!(misses.is_empty(), "{misses:?}");
    let text = "see https://example.com/a:b for more\nclone git://host/x:y.git\n".repeat(50);
    assert!(m.scan(text.as_bytes()).is_empty());
}

#[test]
fn secret_kind_is_found_in_each_form_and_only_there() {
    for form in K8S_SECRET_KINDS {
        let mut doc = b"apiVersion: v1\n".to_vec();
        doc.extend_from_slice(form);
        doc.extend_from_slice(b"\ndata:\n");
        assert!(
            declares_secret_kind(&doc),
            "{}",
            String::from_utf8_lossy(form)
        );
        // At the very start and the very end of a buffer too.
        assert!(declares_secret_kind(form));
    }
    for text in [
        &b"kind: ConfigMap\n# a Secret is not a kind here\n"[..],
        b"Secret",
        b"kind:Secret",
        b"",
    ] {
        assert!(
            !declares_secret_kind(text),
            "{}",
            String::from_utf8_lossy(text)
        );
    }
}

/// The start-up shortcut of `wraps_same`: a built-in pattern without `#` means the same
/// wrapped in each prefix the matcher uses, checked here by parsing every wrapping.
#[test]
fn builtin_patterns_without_hash_wrap_cleanly() {
    use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, Look, Repetition};
    let any = || {
        Hir::class(Class::Bytes(ClassBytes::new([ClassBytesRange::new(
            0, 0xff,
        )])))
    };
    let not_nl = || {
        Hir::repetition(Repetition {
            min: 0,
            max: None,
            greedy: false,
            sub: Box::new(Hir::class(Class::Bytes(ClassBytes::new([
                ClassBytesRange::new(0, b'\n' - 1),
                ClassBytesRange::new(b'\n' + 1, 0xff),
            ])))),
        })
    };
    let parse = |p: &str| crate::rules::parse_pattern(p).unwrap();
    let set = RuleSet::builtin().unwrap();
    let mut checked = 0;
    for rule in set.rules.iter().filter(|r| !r.pattern.contains('#')) {
        let p = &rule.pattern;
        let hir = parse(p);
        let start = || Hir::look(Look::Start);
        for (wrapped, parts) in [
            (format!("^(?s:.)(?:{p})"), vec![start(), any(), hir.clone()]),
            (
                format!("^(?s:.)[^\n]*?(?:{p})"),
                vec![start(), any(), not_nl(), hir.clone()],
            ),
            (
                format!("^[^\n]*?(?:{p})"),
                vec![start(), not_nl(), hir.clone()],
            ),
        ] {
            assert_eq!(parse(&wrapped), Hir::concat(parts), "{}", rule.id);
        }
        checked += 1;
    }
    assert!(checked > 400, "{checked}");
}
