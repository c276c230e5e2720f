//! Unit tests: config validation, App JWT signing, and the transforms from API records
//! (shaped like GitHub's published examples) to NHIs.

use super::*;
use crate::model::{Kind, NhiStatus, Signal};

const KEY_A: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMoLCaQ2O6Nv9IaZvpFbBcfDw/tb4nwOKU9dJBePfI4/";
const KEY_A_FP: &str = "SHA256:E9vcap7dvrRnqHXNfb6O5oy/Tlt76R7M+ugas+bLXwc";

fn cfg(text: &str) -> GithubConfig {
    toml::from_str(text).expect("config parses")
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/github")
        .join(name)
}

#[test]
fn config_needs_exactly_one_credential_and_names_the_key() {
    let base = Path::new("/etc/nhiscan");
    assert!(toml::from_str::<GithubConfig>("org = \"acme\"\nbogus = 1").is_err());
    let e = GithubConnector::new(&cfg("org = \"acme\""), base)
        .err()
        .unwrap();
    assert!(e.to_string().contains("token_env"), "{e}");
    let e = GithubConnector::new(&cfg("org = \"acme\"\ntoken_env = \"T\"\napp_id = 1"), base)
        .err()
        .unwrap();
    assert!(e.to_string().contains("both set"), "{e}");
    let e = GithubConnector::new(
        &cfg("org = \"acme\"\napp_id = 1\ninstallation_id = 2"),
        base,
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("private_key_path"), "{e}");
    let e = GithubConnector::new(
        &cfg("org = \"acme\"\napp_id = 1\nprivate_key_env = \"K\""),
        base,
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("installation_id"), "{e}");
    let e = GithubConnector::new(
        &cfg("org = \"acme\"\ntoken_env = \"T\"\napi_url = \"127.0.0.1:9\""),
        base,
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("api_url"), "{e}");
    let ok = GithubConnector::new(
        &cfg(
            "org = \"acme\"\napp_id = 1\ninstallation_id = 2\nprivate_key_path = \"keys/app.pem\"",
        ),
        base,
    )
    .expect("valid");
    assert_eq!(ok.name(), "github:acme");
    match &ok.credential {
        Credential::App {
            key: KeySource::Path(p),
            ..
        } => assert_eq!(p, Path::new("/etc/nhiscan/keys/app.pem")),
        other => panic!("{other:?}"),
    }
    let named = GithubConnector::new(
        &cfg("org = \"acme\"\nname = \"main\"\ntoken_env = \"T\""),
        base,
    )
    .expect("valid");
    assert_eq!(named.name(), "github:acme");
}

#[test]
fn app_jwt_is_rs256_signed_with_the_key_and_carries_the_claims() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    for file in ["app-key.pem", "app-key-pkcs8.pem"] {
        let pem = std::fs::read_to_string(fixture(file)).unwrap();
        let key = app::AppKey::from_pem(&pem).expect(file);
        let jwt = key.jwt("12345", 1_700_000_000).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "12345");
        assert_eq!(claims["iat"], 1_700_000_000 - 60);
        assert_eq!(claims["exp"], 1_700_000_000 + 540);
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            key.public_der(),
        );
        public
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .expect("signature verifies");
    }
    assert!(app::AppKey::from_pem("not a key").is_err());
    let e = app::AppKey::from_pem(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    )
    .unwrap_err();
    assert!(e.contains("OPENSSH"), "{e}");
}

fn user(login: &str) -> SimpleUser {
    serde_json::from_value(serde_json::json!({
        "login": login, "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false
    }))
    .unwrap()
}

#[test]
fn an_owner_is_a_privileged_member_with_an_account_hint() {
    let n = transform::member("github:acme", "acme", &user("alice-dev"), true);
    assert_eq!(n.kind, Kind::GithubMember);
    assert_eq!(n.resource, "acme#member:alice-dev");
    assert!(n.privileged);
    assert_eq!(n.status, NhiStatus::Active);
    assert_eq!(n.hints[0].identifier, "github:alice-dev");
    assert_eq!(n.hints[0].signal, Signal::Account);
    assert_eq!(n.attributes["role"], "owner");
    let m = transform::member("github:acme", "acme", &user("bob"), false);
    assert!(!m.privileged);
}

#[test]
fn deploy_key_from_the_published_shape() {
    // The example of GET /repos/{owner}/{repo}/keys, with our own key body.
    let k: DeployKey = serde_json::from_value(serde_json::json!({
        "id": 1, "key": KEY_A, "url": "https://api.github.com/repos/octocat/Hello-World/keys/1",
        "title": "octocat@octomac", "verified": true, "created_at": "2014-12-10T15:53:42Z",
        "read_only": false, "added_by": "octocat", "last_used": "2022-01-10T15:53:42Z",
        "enabled": true
    }))
    .unwrap();
    let n = transform::deploy_key("github:acme", "acme", "api", &k);
    assert_eq!(n.resource, "acme/api#deploy_key:1");
    assert!(n.privileged, "a write key");
    assert_eq!(n.attributes["fingerprint"], KEY_A_FP);
    assert_eq!(
        n.join_keys,
        vec![crate::pipeline::correlate::ssh_key_join(KEY_A_FP)]
    );
    assert_eq!(n.hints[0].identifier, "github:octocat");
    assert_eq!(n.hints[0].signal, Signal::CreatorField);
    assert!(n.last_used_at.is_some() && n.created_at.is_some());
    // Older servers omit last_used, enabled and added_by.
    let old: DeployKey = serde_json::from_value(serde_json::json!({
        "id": 2, "key": KEY_A, "title": "ci", "read_only": true, "created_at": null
    }))
    .unwrap();
    let n = transform::deploy_key("github:acme", "acme", "api", &old);
    assert!(!n.privileged && n.hints.is_empty());
}

#[test]
fn fine_grained_pat_grant_and_request() {
    let g: PatGrant = serde_json::from_value(serde_json::json!({
        "id": 25381, "owner": {"login": "octocat", "id": 1, "type": "User"},
        "repository_selection": "all",
        "repositories_url": "https://api.github.com/organizations/652551/personal-access-tokens/25381/repositories",
        "permissions": {"organization": {"members": "read"}, "repository": {"metadata": "read", "contents": "write"}},
        "access_granted_at": "2023-05-16T08:47:09.000-07:00",
        "token_id": 98716, "token_name": "Some Token", "token_expired": false,
        "token_expires_at": "2099-06-16T08:47:09.000-07:00", "token_last_used_at": null
    }))
    .unwrap();
    let n = transform::pat("github:acme", "acme", &g, false);
    assert_eq!(n.resource, "acme#pat:25381");
    assert_eq!(n.status, NhiStatus::Active);
    assert_eq!(n.hints[0].signal, Signal::CreatorField);
    assert!(n.attributes["permissions"].contains("contents:write"));
    assert!(!n.privileged);
    let r = transform::pat("github:acme", "acme", &g, true);
    assert_eq!(r.resource, "acme#pat:request/25381");
    assert_eq!(r.status, NhiStatus::Inactive);
    assert_eq!(r.hints[0].signal, Signal::OwnerTag);
}

#[test]
fn credential_authorization_joins_by_fingerprint_and_last_eight() {
    let c: CredentialAuthorization = serde_json::from_value(serde_json::json!({
        "login": "octocat", "credential_id": 161195, "credential_type": "SSH key",
        "token_last_eight": null, "credential_authorized_at": "2011-01-26T19:06:43Z",
        "scopes": [], "fingerprint": KEY_A_FP, "credential_accessed_at": "2011-01-26T19:06:43Z"
    }))
    .unwrap();
    let n = transform::credential_authorization("github:acme", "acme", &c);
    assert_eq!(n.resource, "acme#credential_authorization:161195");
    assert!(n
        .join_keys
        .contains(&crate::pipeline::correlate::ssh_key_join(KEY_A_FP)));
    let t: CredentialAuthorization = serde_json::from_value(serde_json::json!({
        "login": "octocat", "credential_id": 7, "credential_type": "personal access token",
        "token_last_eight": "12345678", "scopes": ["admin:org", "repo"]
    }))
    .unwrap();
    let n = transform::credential_authorization("github:acme", "acme", &t);
    assert!(n.privileged);
    assert_eq!(n.attributes["token_last_eight"], "12345678");
}

#[test]
fn webhook_shows_only_the_target_host() {
    let h: Hook = serde_json::from_value(serde_json::json!({
        "id": 1, "url": "https://api.github.com/orgs/octocat/hooks/1", "name": "web",
        "events": ["push", "pull_request"], "active": true,
        "config": {"url": "https://example.com/hook?token=FAKE-in-query", "content_type": "json", "secret": "********"},
        "updated_at": "2011-09-06T20:39:23Z", "created_at": "2011-09-06T17:26:27Z", "type": "Organization"
    }))
    .unwrap();
    let n = transform::webhook("github:acme", "acme", None, &h);
    assert_eq!(n.resource, "acme#webhook:1");
    assert_eq!(n.attributes["target"], "https://example.com");
    assert_eq!(n.attributes["has_secret"], "true");
    assert!(!format!("{n:?}").contains("FAKE-in-query"));
    let r = transform::webhook("github:acme", "acme", Some("api"), &h);
    assert_eq!(r.resource, "acme/api#webhook:1");
}

#[test]
fn invitation_is_a_pending_membership_created_by_the_inviter() {
    let i: Invitation = serde_json::from_value(serde_json::json!({
        "id": 1, "login": "monalisa", "node_id": "MDQ6VXNlcjE=", "email": "octocat@github.com",
        "role": "direct_member", "created_at": "2016-11-30T06:46:10-08:00", "failed_at": null,
        "inviter": {"login": "other_user", "id": 1, "type": "User"}, "team_count": 2
    }))
    .unwrap();
    let n = transform::invitation("github:acme", "acme", &i);
    assert_eq!(n.resource, "acme#member:invitation/1");
    assert_eq!(n.status, NhiStatus::Inactive);
    assert_eq!(n.attributes["pending"], "true");
    assert!(n
        .hints
        .iter()
        .any(|h| h.identifier == "github:other_user" && h.signal == Signal::CreatorField));
}

#[test]
fn enrich_adds_saml_emails_keys_and_admin_rights() {
    let mut items = vec![
        transform::member("github:acme", "acme", &user("alice-dev"), false),
        transform::deploy_key(
            "github:acme",
            "acme",
            "api",
            &serde_json::from_value(serde_json::json!({"id": 3, "key": KEY_A, "added_by": "Alice-Dev", "read_only": true}))
                .unwrap(),
        ),
    ];
    let saml = BTreeMap::from([("alice-dev".to_string(), "alice@acme.example".to_string())]);
    let keys = BTreeMap::from([("alice-dev".to_string(), vec![KEY_A_FP.to_string()])]);
    let admins = BTreeMap::from([(
        "alice-dev".to_string(),
        vec![
            "acme/web".to_string(),
            "acme/api (the only direct admin)".to_string(),
        ],
    )]);
    transform::enrich(&mut items, &saml, &keys, &admins);
    transform::enrich(&mut items, &saml, &keys, &admins);
    let m = &items[0];
    assert!(m
        .hints
        .iter()
        .any(|h| h.identifier == "alice@acme.example" && h.signal == Signal::Account));
    assert_eq!(m.hints.len(), 2, "{:#?}", m.hints);
    assert_eq!(m.attributes["saml_name_id"], "alice@acme.example");
    assert_eq!(
        m.attributes["repo_admin_of"],
        "acme/api (the only direct admin), acme/web"
    );
    assert!(m
        .join_keys
        .contains(&crate::pipeline::correlate::ssh_key_join(KEY_A_FP)));
    // The deploy key's creator field gains the SAML email too (case-insensitive login).
    assert!(items[1]
        .hints
        .iter()
        .any(|h| h.identifier == "alice@acme.example" && h.signal == Signal::CreatorField));
}
