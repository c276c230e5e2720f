//! What the GitHub API returned → NHI records. Pure: no I/O, unit-tested.
//!
//! Identifiers: a login is `github:LOGIN` (the roster's `aliases` spelling), an email as
//! it is. Resources follow the contract: `org#kind:ID` and `org/repo#kind:ID`, the kind
//! without its `github_` prefix.

use super::api::*;
use crate::model::{Evidence, JoinKey, Kind, Nhi, NhiStatus, OwnerHint, Signal};
use std::collections::{BTreeMap, BTreeSet};

/// The evidence source of facts read from the REST API.
pub const SOURCE: &str = "github:api";
/// The evidence source of SAML SSO identity links.
pub const SAML_SOURCE: &str = "github:saml";

/// Why an NHI nobody can be tied to is left out rather than called orphaned: the API has
/// no creator or owner field for it (webhooks, app installations, Actions secrets).
pub const NO_OWNER_FIELD: &str = "github_no_owner_field";

pub fn login_id(login: &str) -> String {
    format!("github:{}", login.trim())
}

fn hint(login: &str, signal: Signal, detail: String) -> OwnerHint {
    OwnerHint::new(login_id(login), signal, Evidence::new(SOURCE, detail))
}

fn is_bot(u: &SimpleUser) -> bool {
    u.user_type.as_deref() == Some("Bot") || u.login.ends_with("[bot]")
}

/// An org member; `admin` when the login is among `role=admin` (an org owner).
pub fn member(connector: &str, org: &str, u: &SimpleUser, admin: bool) -> Nhi {
    let role = if admin { "owner" } else { "member" };
    let mut n = Nhi::new(
        connector,
        Kind::GithubMember,
        format!("{org}#member:{}", u.login),
        format!("GitHub org {org} {role} {}", u.login),
    );
    n.status = NhiStatus::Active;
    n.privileged = admin;
    n.attributes.insert("role".into(), role.into());
    n.attributes.insert("login".into(), u.login.clone());
    if let Some(id) = u.id {
        n.attributes.insert("user_id".into(), id.to_string());
    }
    if is_bot(u) {
        n.attributes.insert("account_type".into(), "bot".into());
    }
    n.hints.push(hint(
        &u.login,
        Signal::Account,
        format!("{} is a {role} of the GitHub org {org}", u.login),
    ));
    n
}

pub fn outside_collaborator(connector: &str, org: &str, u: &SimpleUser) -> Nhi {
    let mut n = Nhi::new(
        connector,
        Kind::GithubOutsideCollaborator,
        format!("{org}#outside_collaborator:{}", u.login),
        format!(
            "GitHub outside collaborator {} on repositories of {org}",
            u.login
        ),
    );
    n.status = NhiStatus::Active;
    n.attributes.insert("login".into(), u.login.clone());
    n.hints.push(hint(
        &u.login,
        Signal::Account,
        format!(
            "{} is an outside collaborator on repositories of {org}",
            u.login
        ),
    ));
    n
}

/// A pending invitation: a membership that is not live yet (`inactive`, `pending`), created
/// by its inviter; the invitee is who the membership would be.
pub fn invitation(connector: &str, org: &str, i: &Invitation) -> Nhi {
    let who = i
        .login
        .clone()
        .or_else(|| i.email.clone())
        .unwrap_or_else(|| format!("invitation {}", i.id));
    let mut n = Nhi::new(
        connector,
        Kind::GithubMember,
        format!("{org}#member:invitation/{}", i.id),
        format!("Pending invitation of {who} to the GitHub org {org}"),
    );
    n.status = NhiStatus::Inactive;
    n.created_at = i.created_at;
    n.attributes.insert("pending".into(), "true".into());
    let role = i.role.clone().unwrap_or_else(|| "direct_member".into());
    n.privileged = role == "admin";
    n.attributes.insert("role".into(), role);
    if i.failed_at.is_some() {
        n.attributes.insert("invitation".into(), "failed".into());
    }
    if let Some(inv) = &i.inviter {
        n.attributes.insert("inviter".into(), inv.login.clone());
        n.hints.push(hint(
            &inv.login,
            Signal::CreatorField,
            format!("{} invited {who} to {org} (invitation {})", inv.login, i.id),
        ));
    }
    if let Some(l) = &i.login {
        n.hints.push(hint(
            l,
            Signal::Account,
            format!("{l} is invited to {org} (invitation {})", i.id),
        ));
    }
    if let Some(e) = &i.email {
        n.hints.push(OwnerHint::new(
            e.trim(),
            Signal::Account,
            Evidence::new(
                SOURCE,
                format!("{e} is invited to {org} (invitation {})", i.id),
            ),
        ));
    }
    n
}

/// The OpenSSH fingerprint of a public key line (`ssh-ed25519 AAAA…`).
pub fn key_fingerprint(key: &str) -> Option<String> {
    crate::connectors::aws::transform::ssh_key_fingerprint(key)
}

pub fn deploy_key(connector: &str, org: &str, repo: &str, k: &DeployKey) -> Nhi {
    let write = k.read_only == Some(false);
    let access = if write { "read-write" } else { "read-only" };
    let title = k.title.clone().unwrap_or_default();
    let mut n = Nhi::new(
        connector,
        Kind::GithubDeployKey,
        format!("{org}/{repo}#deploy_key:{}", k.id),
        format!("{access} deploy key {title:?} on {org}/{repo}"),
    );
    n.status = if k.enabled == Some(false) {
        NhiStatus::Inactive
    } else {
        NhiStatus::Active
    };
    n.created_at = k.created_at;
    n.last_used_at = k.last_used;
    n.privileged = write;
    n.attributes
        .insert("repository".into(), format!("{org}/{repo}"));
    n.attributes
        .insert("read_only".into(), (!write).to_string());
    n.attributes.insert("key_title".into(), title.clone());
    n.attributes
        .insert("credential".into(), "deploy key".into());
    if let Some(fp) = key_fingerprint(&k.key) {
        n.set_ssh_key(&fp);
    }
    if let Some(by) = k.added_by.as_deref().filter(|s| !s.trim().is_empty()) {
        n.attributes.insert("added_by".into(), by.to_string());
        n.hints.push(hint(
            by,
            Signal::CreatorField,
            format!("{by} added the deploy key {title:?} to {org}/{repo}"),
        ));
    }
    n
}

/// Only the scheme and host of a webhook URL: its path and query can hold a token.
pub fn url_host(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!("{}://{}", u.scheme(), u.host_str().unwrap_or("?")),
        Err(_) => "(unparsable URL)".into(),
    }
}

/// An org webhook (`repo` None) or a repository webhook.
pub fn webhook(connector: &str, org: &str, repo: Option<&str>, h: &Hook) -> Nhi {
    let scope = match repo {
        Some(r) => format!("{org}/{r}"),
        None => org.to_string(),
    };
    let target = h.config.url.as_deref().map(url_host).unwrap_or_default();
    let mut n = Nhi::new(
        connector,
        Kind::GithubWebhook,
        format!("{scope}#webhook:{}", h.id),
        format!("webhook of {scope} delivering to {target}"),
    );
    n.status = match h.active {
        Some(true) => NhiStatus::Active,
        Some(false) => NhiStatus::Inactive,
        None => NhiStatus::Unknown,
    };
    n.created_at = h.created_at;
    n.attributes.insert("target".into(), target);
    n.attributes.insert("events".into(), h.events.join(", "));
    // GitHub masks a set secret as `********`; only whether there is one is kept.
    n.attributes.insert(
        "has_secret".into(),
        h.config
            .secret
            .as_deref()
            .is_some_and(|s| !s.is_empty())
            .to_string(),
    );
    if let Some(u) = h.updated_at {
        n.attributes.insert("updated_at".into(), u.to_rfc3339());
    }
    n.tie_required = Some(NO_OWNER_FIELD);
    n
}

pub fn installation(connector: &str, org: &str, i: &Installation) -> Nhi {
    let slug = i
        .app_slug
        .clone()
        .unwrap_or_else(|| format!("app {}", i.app_id.unwrap_or(0)));
    let mut n = Nhi::new(
        connector,
        Kind::GithubAppInstallation,
        format!("{org}#app_installation:{}", i.id),
        format!("GitHub App {slug} installed on {org}"),
    );
    n.status = if i.suspended_at.is_some() {
        NhiStatus::Inactive
    } else {
        NhiStatus::Active
    };
    n.created_at = i.created_at;
    n.attributes.insert("app_slug".into(), slug);
    if let Some(sel) = &i.repository_selection {
        n.attributes
            .insert("repository_selection".into(), sel.clone());
    }
    n.attributes
        .insert("permissions".into(), permission_list(&i.permissions));
    n.privileged = i
        .permissions
        .iter()
        .any(|(k, v)| v == "admin" || (k == "administration" && v == "write"));
    n.tie_required = Some(NO_OWNER_FIELD);
    n
}

/// An org secret (`repo` None) or a repository secret: its name and dates only.
pub fn actions_secret(connector: &str, org: &str, repo: Option<&str>, s: &ActionsSecret) -> Nhi {
    let scope = match repo {
        Some(r) => format!("{org}/{r}"),
        None => org.to_string(),
    };
    let mut n = Nhi::new(
        connector,
        Kind::GithubActionsSecret,
        format!("{scope}#actions_secret:{}", s.name),
        format!("Actions secret {} of {scope}", s.name),
    );
    n.status = NhiStatus::Active;
    n.created_at = s.created_at;
    if let Some(u) = s.updated_at {
        n.attributes.insert("updated_at".into(), u.to_rfc3339());
    }
    if let Some(v) = &s.visibility {
        n.attributes.insert("visibility".into(), v.clone());
    }
    n.tie_required = Some(NO_OWNER_FIELD);
    n
}

fn permission_list(m: &BTreeMap<String, String>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pat_permissions(p: &PatPermissions) -> String {
    let mut parts = Vec::new();
    for (scope, m) in [
        ("organization", &p.organization),
        ("repository", &p.repository),
        ("other", &p.other),
    ] {
        if !m.is_empty() {
            parts.push(format!("{scope}: {}", permission_list(m)));
        }
    }
    parts.join("; ")
}

/// A fine-grained PAT approved for the org (`pending` false) or a request awaiting
/// approval (`pending` true: the requester owns it, nobody approved it yet).
pub fn pat(connector: &str, org: &str, g: &PatGrant, pending: bool) -> Nhi {
    let name = g.token_name.clone().unwrap_or_default();
    let owner = &g.owner.login;
    let resource = if pending {
        format!("{org}#pat:request/{}", g.id)
    } else {
        format!("{org}#pat:{}", g.id)
    };
    let what = if pending {
        "requested for"
    } else {
        "approved for"
    };
    let mut n = Nhi::new(
        connector,
        Kind::GithubPat,
        resource,
        format!("fine-grained PAT {name:?} of {owner} {what} {org}"),
    );
    let expired =
        g.token_expired == Some(true) || g.token_expires_at.is_some_and(|t| t < chrono::Utc::now());
    n.status = if pending || expired {
        NhiStatus::Inactive
    } else {
        NhiStatus::Active
    };
    n.created_at = g.access_granted_at.or(g.created_at);
    n.last_used_at = g.token_last_used_at;
    n.attributes.insert("token_name".into(), name.clone());
    n.attributes.insert("owner".into(), owner.clone());
    n.attributes.insert(
        "credential".into(),
        "fine-grained personal access token".into(),
    );
    if let Some(t) = g.token_expires_at {
        n.attributes.insert("expires_at".into(), t.to_rfc3339());
    } else {
        n.attributes.insert("expires_at".into(), "never".into());
    }
    if let Some(id) = g.token_id {
        n.attributes.insert("token_id".into(), id.to_string());
    }
    if let Some(sel) = &g.repository_selection {
        n.attributes
            .insert("repository_selection".into(), sel.clone());
    }
    n.attributes
        .insert("permissions".into(), pat_permissions(&g.permissions));
    if pending {
        n.attributes.insert("pending".into(), "true".into());
        if let Some(r) = &g.reason {
            n.attributes.insert("reason".into(), r.clone());
        }
    }
    n.privileged = g
        .permissions
        .organization
        .values()
        .chain(g.permissions.repository.values())
        .any(|v| v == "admin")
        || g.permissions
            .repository
            .get("administration")
            .is_some_and(|v| v == "write")
        || g.permissions
            .organization
            .get("administration")
            .is_some_and(|v| v == "write");
    let (signal, detail) = if pending {
        (
            Signal::OwnerTag,
            format!("{owner} requested the fine-grained PAT {name:?} for {org}"),
        )
    } else {
        (
            Signal::CreatorField,
            format!("{owner} owns the fine-grained PAT {name:?} approved for {org}"),
        )
    };
    n.hints.push(hint(owner, signal, detail));
    n
}

/// A credential a member authorized for SAML SSO: the only view of their classic PATs,
/// OAuth tokens and SSH keys used against the org.
pub fn credential_authorization(connector: &str, org: &str, c: &CredentialAuthorization) -> Nhi {
    let ty = c.credential_type.clone();
    let label = match (&c.token_last_eight, &c.fingerprint) {
        (Some(l8), _) if !l8.is_empty() => format!(" ending {l8}"),
        (_, Some(fp)) if !fp.is_empty() => format!(" {fp}"),
        _ => String::new(),
    };
    let mut n = Nhi::new(
        connector,
        Kind::GithubCredentialAuthorization,
        format!("{org}#credential_authorization:{}", c.credential_id),
        format!(
            "{ty}{label} of {} authorized for SAML SSO to {org}",
            c.login
        ),
    );
    let expired = c
        .authorized_credential_expires_at
        .is_some_and(|t| t < chrono::Utc::now());
    n.status = if expired {
        NhiStatus::Inactive
    } else {
        NhiStatus::Active
    };
    n.created_at = c.credential_authorized_at;
    n.last_used_at = c.credential_accessed_at;
    n.attributes.insert("credential_type".into(), ty.clone());
    n.attributes.insert("credential".into(), ty.clone());
    n.attributes.insert("login".into(), c.login.clone());
    if let Some(l8) = c.token_last_eight.as_deref().filter(|s| !s.is_empty()) {
        n.attributes
            .insert("token_last_eight".into(), l8.to_string());
        n.add_join(JoinKey::github_token_last_eight(l8.as_bytes()));
    }
    if !c.scopes.is_empty() {
        n.attributes.insert("scopes".into(), c.scopes.join(", "));
        n.privileged = c
            .scopes
            .iter()
            .any(|s| matches!(s.as_str(), "admin:org" | "delete_repo" | "admin:enterprise"));
    }
    if let Some(fp) = c.fingerprint.as_deref().filter(|s| !s.is_empty()) {
        n.attributes.insert("fingerprint".into(), fp.to_string());
        let fp = if fp.starts_with("SHA256:") {
            fp.to_string()
        } else {
            format!("SHA256:{fp}")
        };
        n.add_join(JoinKey::ssh_key(&fp));
        n.ssh_fingerprint = Some(fp);
    }
    if let Some(t) = c.authorized_credential_title.as_deref() {
        n.attributes
            .insert("credential_title".into(), t.to_string());
    }
    if let Some(t) = c.authorized_credential_expires_at {
        n.attributes.insert("expires_at".into(), t.to_rfc3339());
    }
    n.hints.push(hint(
        &c.login,
        Signal::CreatorField,
        format!("{} authorized this {ty} for SAML SSO to {org}", c.login),
    ));
    n
}

/// After the crawl: SAML identities (login → email) add the email beside every
/// `github:LOGIN` hint, with the same signal and the SAML link as evidence; members'
/// public SSH keys become join keys of their membership; repository admin rights are
/// listed on the member.
pub fn enrich(
    items: &mut [Nhi],
    saml: &BTreeMap<String, String>,
    user_keys: &BTreeMap<String, Vec<String>>,
    repo_admins: &BTreeMap<String, Vec<String>>,
) {
    let lower: BTreeMap<String, &String> = saml
        .iter()
        .map(|(l, e)| (l.to_ascii_lowercase(), e))
        .collect();
    for n in items.iter_mut() {
        let mut extra = Vec::new();
        for h in &n.hints {
            let Some(login) = h.identifier.strip_prefix("github:") else {
                continue;
            };
            if let Some(email) = lower.get(&login.to_ascii_lowercase()) {
                extra.push(OwnerHint::new(
                    email.as_str(),
                    h.signal,
                    Evidence::new(
                        SAML_SOURCE,
                        format!(
                            "{login}'s SAML SSO identity is {email}: {}",
                            h.evidence.detail
                        ),
                    ),
                ));
            }
        }
        for e in extra {
            if !n.hints.contains(&e) {
                n.hints.push(e);
            }
        }
        if !matches!(n.kind, Kind::GithubMember | Kind::GithubOutsideCollaborator)
            || n.attributes.contains_key("pending")
        {
            continue;
        }
        let Some(login) = n.attributes.get("login").cloned() else {
            continue;
        };
        if let Some(email) = lower.get(&login.to_ascii_lowercase()) {
            n.attributes.insert("saml_name_id".into(), (*email).clone());
        }
        if let Some(fps) = user_keys.get(&login) {
            let mut set: BTreeSet<&String> = BTreeSet::new();
            for fp in fps {
                if set.insert(fp) {
                    n.add_join(JoinKey::ssh_key(fp));
                }
            }
            n.attributes
                .insert("ssh_keys".into(), set.len().to_string());
            let shown: Vec<&str> = set.iter().map(|s| s.as_str()).collect();
            n.attributes
                .insert("ssh_key_fingerprints".into(), shown.join(", "));
        }
        if let Some(repos) = repo_admins.get(&login) {
            let mut repos = repos.clone();
            repos.sort();
            repos.dedup();
            n.attributes
                .insert("repo_admin_of".into(), repos.join(", "));
        }
    }
}
