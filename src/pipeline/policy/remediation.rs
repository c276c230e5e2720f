//! Remediation: what to do about a finding, in order, and who receives ownership.

use super::severity::is_revocable_credential;
use crate::model::{Action, Kind, Nhi, Relation, Remediation};

pub(super) fn credential_name(nhi: &Nhi) -> String {
    nhi.attributes
        .get("credential")
        .cloned()
        .unwrap_or_else(|| nhi.kind.as_str().replace('_', " "))
}

/// What to do about a finding, in order. `to` says who receives ownership (see
/// [`handover_to`]); `None` for "a new accountable owner".
pub fn remediation(nhi: &Nhi, relation: Option<Relation>, to: Option<&str>) -> Remediation {
    let to = to.unwrap_or("a new accountable owner").to_string();
    let (action, detail) = match (nhi.kind, relation) {
        (Kind::SecretInRepo | Kind::SecretOnHost | Kind::SecretInMetadata, _) => (
            Action::Rotate,
            format!(
                "Rotate the {} in {} now (whoever committed or could read it knows the value), update its consumers, then remove it from {}{}.",
                credential_name(nhi),
                nhi.attributes
                    .get("unlocks")
                    .filter(|u| u.as_str() != "generic")
                    .map_or("the system it unlocks", String::as_str),
                nhi.resource,
                if nhi.kind == Kind::SecretInRepo { " and purge it from history if the repository is shared" } else { "" }
            ),
        ),
        (_, Some(Relation::Orphaned)) => (
            Action::Review,
            format!(
                "No active owner could be resolved for {}: find one and transfer ownership, or disable it and delete it after the retention period.",
                nhi.resource
            ),
        ),
        (Kind::HostAccount | Kind::HostAdmin, Some(Relation::Is)) => (
            Action::Disable,
            format!(
                "Lock {} (usermod -L and expire it), remove its authorized_keys, crontab and sudo/admin group rights, then delete it after the retention period; hand over its files to {to}.",
                nhi.resource
            ),
        ),
        (Kind::GithubMember | Kind::GithubOutsideCollaborator, Some(Relation::Is)) => (
            Action::Disable,
            format!(
                "Re-key or transfer the deploy keys and repositories this person holds first, then remove {} from the organization (or cancel the invitation); removal also ends their SSO-authorized tokens' access to it.",
                nhi.resource
            ),
        ),
        (Kind::SaasUser | Kind::SaasAdmin, Some(Relation::Is)) => (
            Action::Disable,
            format!(
                "Deactivate {} in {} now (suspend or deactivate the user, which also ends its sessions; then revoke the API tokens and OAuth grants it issued), remove its admin roles, then delete it after the retention period; hand over what it owns to {to}.",
                nhi.resource,
                nhi.connector.strip_prefix("saas:").unwrap_or(&nhi.connector)
            ),
        ),
        (k, Some(Relation::Is)) if k.is_account() => (
            Action::Disable,
            format!(
                "Disable {} now (console/password login, access keys, tokens), remove group memberships and admin rights, then delete it after the retention period.",
                nhi.resource
            ),
        ),
        (Kind::SshAuthorizedKey, _) => (
            Action::Revoke,
            format!(
                "Remove the key {} from {}'s authorized_keys, then check the account's login history.",
                nhi.resource.rsplit('#').next().unwrap_or(&nhi.resource),
                nhi.attributes.get("account").map_or("the account", String::as_str)
            ),
        ),
        // Deleting a leaver's PAT or OAuth token also deletes the deploy keys created with
        // it: re-key or transfer the deploy keys first.
        (Kind::GithubDeployKey, Some(Relation::Created)) => (
            Action::Rotate,
            format!(
                "Re-key {} first, before revoking the leaver's GitHub tokens (deleting the PAT or OAuth token it was added with also deletes the key and breaks its deployment): add a new deploy key held by {to}, move the deployment to it, then delete the old key.",
                nhi.resource
            ),
        ),
        (Kind::GithubPat | Kind::GithubCredentialAuthorization, Some(Relation::Created)) => (
            Action::Revoke,
            format!(
                "Re-key or transfer the deploy keys this person added first (revoking a token deletes the deploy keys created with it), then revoke {} (org settings: personal access tokens / SAML SSO credentials) and check its last use.",
                nhi.resource
            ),
        ),
        (k, Some(Relation::HasAccess)) if is_revocable_credential(k) => (
            Action::Rotate,
            format!(
                "Rotate {}: create a replacement, move its consumers, then deactivate and delete the old one (the person could use it).",
                nhi.resource
            ),
        ),
        (k, _) if is_revocable_credential(k) => (
            Action::Revoke,
            format!(
                "Check its last use, deactivate {}, confirm nothing breaks, then delete it; issue a replacement to {to} if a service still needs it.",
                nhi.resource
            ),
        ),
        // An account the person can become (their key in its authorized_keys, a sudoers
        // runas grant): take the way in away, then assume they read what it holds.
        (Kind::HostAccount | Kind::HostAdmin, Some(Relation::HasAccess)) => (
            Action::Revoke,
            format!(
                "Remove the person's way into {} (their key from its authorized_keys, their sudoers runas grant), then rotate the account's own password, keys and the secrets it holds (crontab, dotfiles), and review its sudo grant.",
                nhi.resource
            ),
        ),
        // Access to something the person never owned (a role whose trust policy names
        // them): take the access away; ownership stays where it is.
        (Kind::AwsIamRole, Some(Relation::HasAccess)) => (
            Action::Revoke,
            format!(
                "Remove the person's principal from the trust policy of {}, then revoke the role's active sessions (IAM: revoke sessions issued before now); the role stays with its owners.",
                nhi.resource
            ),
        ),
        (_, Some(Relation::HasAccess)) => (
            Action::Revoke,
            format!(
                "Remove the person's access to {} (group membership, grant or shared login), then rotate anything they could read through it; it stays with its owners.",
                nhi.resource
            ),
        ),
        _ => (
            Action::TransferOwnership,
            format!(
                "Transfer ownership of {} to {to}: update its owner tag or field, then rotate every credential the leaver could know.",
                nhi.resource
            ),
        ),
    };
    Remediation { action, detail }
}
