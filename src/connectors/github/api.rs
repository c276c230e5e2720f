//! Serde types for the GitHub REST operations the connector reads, shaped after GitHub's
//! published REST description (`github/rest-api-description`, `api.github.com` schemas):
//! only the fields the connector uses, every one optional where the schema allows null,
//! unknown fields ignored so that a newer API does not break a scan.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `simple-user` (members, outside collaborators, inviters, PAT owners).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct SimpleUser {
    pub login: String,
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default, rename = "type")]
    pub user_type: Option<String>,
    #[serde(default)]
    pub site_admin: Option<bool>,
    #[serde(default)]
    pub email: Option<String>,
}

/// `organization-invitation` (`GET /orgs/{org}/invitations`).
#[derive(Debug, Clone, Deserialize)]
pub struct Invitation {
    pub id: u64,
    #[serde(default)]
    pub login: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub failed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub inviter: Option<SimpleUser>,
}

/// `minimal-repository` (`GET /orgs/{org}/repos`).
#[derive(Debug, Clone, Deserialize)]
pub struct Repo {
    pub name: String,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub archived: Option<bool>,
    #[serde(default)]
    pub fork: Option<bool>,
    #[serde(default)]
    pub private: Option<bool>,
    /// The HTTPS clone URL (`https://github.com/acme/api.git`), fetched by `scan_code`.
    #[serde(default)]
    pub clone_url: Option<String>,
    #[serde(default)]
    pub default_branch: Option<String>,
}

/// `deploy-key` (`GET /repos/{owner}/{repo}/keys`).
#[derive(Debug, Clone, Deserialize)]
pub struct DeployKey {
    pub id: u64,
    pub key: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub verified: Option<bool>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub read_only: Option<bool>,
    #[serde(default)]
    pub added_by: Option<String>,
    #[serde(default)]
    pub last_used: Option<DateTime<Utc>>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `hook-config`: only whether a URL and a secret are set; the URL's host is shown, never
/// its path or query (which can carry a token).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct HookConfig {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub insecure_ssl: Option<serde_json::Value>,
    #[serde(default)]
    pub secret: Option<String>,
}

/// `org-hook` and `hook` (`GET /orgs/{org}/hooks`, `GET /repos/{owner}/{repo}/hooks`).
#[derive(Debug, Clone, Deserialize)]
pub struct Hook {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub config: HookConfig,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// `installation` (`GET /orgs/{org}/installations` → `installations`).
#[derive(Debug, Clone, Deserialize)]
pub struct Installation {
    pub id: u64,
    #[serde(default)]
    pub app_id: Option<u64>,
    #[serde(default)]
    pub app_slug: Option<String>,
    #[serde(default)]
    pub repository_selection: Option<String>,
    #[serde(default)]
    pub permissions: BTreeMap<String, String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub suspended_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub suspended_by: Option<SimpleUser>,
}

/// `actions-secret` / `organization-actions-secret` (names and dates only: the API never
/// returns a value).
#[derive(Debug, Clone, Deserialize)]
pub struct ActionsSecret {
    pub name: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub visibility: Option<String>,
}

/// The `permissions` of a fine-grained PAT grant or request: `organization`,
/// `repository` and `other`, each a map of permission name to `read`/`write`/`admin`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct PatPermissions {
    #[serde(default)]
    pub organization: BTreeMap<String, String>,
    #[serde(default)]
    pub repository: BTreeMap<String, String>,
    #[serde(default)]
    pub other: BTreeMap<String, String>,
}

/// `organization-programmatic-access-grant` (`GET /orgs/{org}/personal-access-tokens`)
/// and `organization-programmatic-access-grant-request`
/// (`GET /orgs/{org}/personal-access-token-requests`, which adds `reason`, `created_at`).
#[derive(Debug, Clone, Deserialize)]
pub struct PatGrant {
    pub id: u64,
    pub owner: SimpleUser,
    #[serde(default)]
    pub repository_selection: Option<String>,
    #[serde(default)]
    pub permissions: PatPermissions,
    #[serde(default)]
    pub access_granted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub token_id: Option<u64>,
    #[serde(default)]
    pub token_name: Option<String>,
    #[serde(default)]
    pub token_expired: Option<bool>,
    #[serde(default)]
    pub token_expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub token_last_used_at: Option<DateTime<Utc>>,
}

/// `credential-authorization` (`GET /orgs/{org}/credential-authorizations`, Enterprise
/// Cloud with SAML SSO).
#[derive(Debug, Clone, Deserialize)]
pub struct CredentialAuthorization {
    pub login: String,
    pub credential_id: u64,
    pub credential_type: String,
    #[serde(default)]
    pub token_last_eight: Option<String>,
    #[serde(default)]
    pub credential_authorized_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub fingerprint: Option<String>,
    #[serde(default)]
    pub credential_accessed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub authorized_credential_id: Option<u64>,
    #[serde(default)]
    pub authorized_credential_title: Option<String>,
    #[serde(default)]
    pub authorized_credential_note: Option<String>,
    #[serde(default)]
    pub authorized_credential_expires_at: Option<DateTime<Utc>>,
}

/// `key-simple` (`GET /users/{username}/keys`).
#[derive(Debug, Clone, Deserialize)]
pub struct UserKey {
    pub id: u64,
    pub key: String,
}

/// `collaborator` (`GET /repos/{owner}/{repo}/collaborators`).
#[derive(Debug, Clone, Deserialize)]
pub struct Collaborator {
    pub login: String,
    #[serde(default)]
    pub permissions: Option<CollaboratorPermissions>,
    #[serde(default)]
    pub role_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct CollaboratorPermissions {
    #[serde(default)]
    pub admin: bool,
}

/// `POST /app/installations/{installation_id}/access_tokens` → `installation-token`.
#[derive(Debug, Clone, Deserialize)]
pub struct InstallationToken {
    pub token: String,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The GraphQL answer to the SAML external identities query.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct SamlAnswer {
    #[serde(default)]
    pub data: Option<SamlData>,
    #[serde(default)]
    pub errors: Vec<GraphqlError>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct GraphqlError {
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub error_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct SamlData {
    #[serde(default)]
    pub organization: Option<SamlOrg>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SamlOrg {
    #[serde(default)]
    pub saml_identity_provider: Option<SamlProvider>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SamlProvider {
    #[serde(default)]
    pub external_identities: SamlIdentities,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SamlIdentities {
    #[serde(default)]
    pub nodes: Vec<SamlNode>,
    #[serde(default)]
    pub page_info: Option<PageInfo>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    #[serde(default)]
    pub has_next_page: bool,
    #[serde(default)]
    pub end_cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SamlNode {
    #[serde(default)]
    pub saml_identity: Option<SamlIdentity>,
    #[serde(default)]
    pub user: Option<SamlUser>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SamlIdentity {
    #[serde(default)]
    pub name_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct SamlUser {
    pub login: String,
}

/// The SAML external identities query, one page of 100 after `cursor`.
pub const SAML_QUERY: &str = "query($org: String!, $after: String) { organization(login: $org) { samlIdentityProvider { externalIdentities(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { samlIdentity { nameId } user { login } } } } } }";
