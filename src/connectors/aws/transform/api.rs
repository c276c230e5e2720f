//! Plain structs mirroring what the IAM, credential-report and CloudTrail APIs return.

#[allow(unused_imports)]
use super::*;

/// Everything fetched for one account.
#[derive(Debug, Clone, Default)]
pub struct AccountData {
    pub account_id: String,
    pub users: Vec<UserData>,
    pub roles: Vec<RoleData>,
    /// Group name → its policies.
    pub groups: BTreeMap<String, GroupData>,
    /// Customer-managed policy ARN → document of its default version.
    pub policy_docs: BTreeMap<String, String>,
    /// Access key id → last use, from the credential report or GetAccessKeyLastUsed.
    /// A present key with `None` means "never used" (the API said so).
    pub key_last_used: BTreeMap<String, Option<DateTime<Utc>>>,
    pub cloudtrail: Vec<CloudTrailEvent>,
}

#[derive(Debug, Clone, Default)]
pub struct AttachedPolicy {
    pub name: String,
    pub arn: String,
}

#[derive(Debug, Clone, Default)]
pub struct InlinePolicy {
    pub name: String,
    /// As IAM returns it (URL-encoded JSON) or plain JSON.
    pub document: String,
}

#[derive(Debug, Clone, Default)]
pub struct GroupData {
    pub name: String,
    pub attached: Vec<AttachedPolicy>,
    pub inline: Vec<InlinePolicy>,
}

#[derive(Debug, Clone, Default)]
pub struct AccessKeyData {
    pub id: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created: Option<DateTime<Utc>>,
}

/// An SSH public key, service-specific credential or signing certificate of a user.
#[derive(Debug, Clone, Default)]
pub struct UserCredential {
    pub id: String,
    pub status: String,
    pub created: Option<DateTime<Utc>>,
    /// Service name, for service-specific credentials.
    pub service: Option<String>,
    /// OpenSSH `SHA256:` fingerprint, for SSH public keys whose body was read.
    pub fingerprint: Option<String>,
}

/// The OpenSSH SHA-256 fingerprint (`SHA256:...`, as `ssh-keygen -lf` prints it) of an
/// SSH public key body as IAM GetSSHPublicKey returns it with `Encoding=SSH`
/// (`ssh-rsa AAAA... [comment]`); `None` for a body that is not one OpenSSH key.
pub fn ssh_key_fingerprint(body: &str) -> Option<String> {
    let (keys, _) = crate::connectors::host::keys::parse_authorized_keys(body.trim());
    match keys.as_slice() {
        [k] => Some(k.fingerprint.clone()),
        _ => None,
    }
}

#[derive(Debug, Clone, Default)]
pub struct UserData {
    pub name: String,
    pub arn: String,
    pub user_id: String,
    pub path: String,
    pub created: Option<DateTime<Utc>>,
    pub password_last_used: Option<DateTime<Utc>>,
    pub tags: Vec<(String, String)>,
    /// `Some(created)` when the user has a console password (login profile).
    pub login_profile: Option<Option<DateTime<Utc>>>,
    pub mfa_devices: Vec<String>,
    pub groups: Vec<String>,
    pub attached: Vec<AttachedPolicy>,
    pub inline: Vec<InlinePolicy>,
    pub access_keys: Vec<AccessKeyData>,
    pub ssh_keys: Vec<UserCredential>,
    pub service_credentials: Vec<UserCredential>,
    pub certificates: Vec<UserCredential>,
    /// GetLoginProfile failed: whether the user has a console password is unknown.
    pub login_profile_unread: bool,
    /// ListAccessKeys failed: the user's keys are unknown.
    pub access_keys_unread: bool,
    /// ListUserTags failed: owner tags are unknown, so "no owner" is not established.
    pub tags_unread: bool,
    /// A group or policy listing failed: whether the user is an admin is unknown.
    pub admin_unread: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RoleData {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub created: Option<DateTime<Utc>>,
    pub description: Option<String>,
    /// As IAM returns it (URL-encoded JSON) or plain JSON.
    pub trust_policy: Option<String>,
    pub tags: Vec<(String, String)>,
    pub last_used: Option<DateTime<Utc>>,
    pub last_used_region: Option<String>,
    pub attached: Vec<AttachedPolicy>,
    pub inline: Vec<InlinePolicy>,
}

/// One LookupEvents result: the top-level fields and the raw `CloudTrailEvent` JSON.
#[derive(Debug, Clone, Default)]
pub struct CloudTrailEvent {
    pub event_id: String,
    pub event_name: String,
    pub event_time: Option<DateTime<Utc>>,
    pub cloud_trail_event: String,
}
