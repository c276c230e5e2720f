//! Severity: what an NHI is worth before and after who it is tied to (liveness, admin
//! rights, the rule's own cap, a failed format check, a test path).

use crate::model::{Kind, Nhi, NhiStatus, Severity};

/// Severity of the NHI itself, before who it is tied to.
pub fn base_severity(nhi: &Nhi) -> Severity {
    use Severity::*;
    let active = nhi.status == NhiStatus::Active;
    let inactive = nhi.status == NhiStatus::Inactive;
    let mut sev = match nhi.kind {
        // An org membership or outside collaboration (an owner is privileged: raised to
        // critical below).
        // An IdP or SaaS account still enabled signs in the same way.
        Kind::AwsIamUser
        | Kind::GithubMember
        | Kind::GithubOutsideCollaborator
        | Kind::SaasUser => {
            if active {
                High
            } else {
                Medium
            }
        }
        k if rated_by_liveness(k) => {
            if active {
                High
            } else if inactive {
                Low
            } else {
                Medium
            }
        }
        Kind::SecretInRepo => {
            let in_head = nhi
                .location
                .as_ref()
                .is_some_and(|l| l.in_head || l.commit.is_none());
            match (in_head, nhi.status) {
                (_, NhiStatus::Active) => Critical,
                (true, _) => High,
                (false, _) => Medium,
            }
        }
        Kind::SecretOnHost | Kind::SecretInMetadata => High,
        Kind::HostAdmin | Kind::SaasAdmin => High,
        Kind::SshAuthorizedKey => Medium,
        _ => Medium,
    };
    if nhi.privileged && !matches!(nhi.kind, Kind::HostAdmin | Kind::SaasAdmin) {
        sev = sev.raise();
    }
    // What the rule says a match is worth (a password hash, a generic assignment).
    if let Some(cap) = nhi.rule_severity {
        sev = sev.min(cap);
    }
    // Kinds rated by liveness above already start low when inactive.
    if inactive && !rated_by_liveness(nhi.kind) {
        sev = sev.lower();
    }
    // A token whose own checksum fails is most likely a test value: reported, lower.
    if nhi.checksum_valid == Some(false) {
        sev = sev.lower();
    }
    if in_test_path(nhi) {
        sev = sev.lower();
    }
    sev
}

/// Whether a secret sits under a test or fixture path (`tests/`, `testdata/`,
/// `fixtures/`, `spec/`, `*_test.go`, `test_x.py`, `x.test.js`): most likely a test value,
/// still reported, one severity step lower, and the evidence says why.
pub fn in_test_path(nhi: &Nhi) -> bool {
    if !matches!(nhi.kind, Kind::SecretInRepo) {
        return false;
    }
    let Some(path) = nhi.location.as_ref().map(|l| l.path.as_str()) else {
        return false;
    };
    is_test_path(path)
}

/// Pure path test behind [`in_test_path`].
pub fn is_test_path(path: &str) -> bool {
    const DIRS: &[&str] = &[
        "test",
        "tests",
        "testdata",
        "test-data",
        "test_data",
        "fixtures",
        "fixture",
        "__tests__",
        "__fixtures__",
        "spec",
        "specs",
        "testing",
    ];
    let lower = path.to_ascii_lowercase();
    let mut parts: Vec<&str> = lower.split('/').filter(|p| !p.is_empty()).collect();
    let Some(file) = parts.pop() else {
        return false;
    };
    if parts.iter().any(|d| DIRS.contains(d)) {
        return true;
    }
    let stem = file.split('.').next().unwrap_or(file);
    stem.ends_with("_test")
        || stem.ends_with("_spec")
        || stem.starts_with("test_")
        || file.contains(".test.")
        || file.contains(".spec.")
}

/// Credentials issued to someone that can be deactivated on their own (keys, tokens,
/// certificates, grants), as opposed to identities whose ownership moves.
pub(super) fn is_revocable_credential(k: Kind) -> bool {
    matches!(
        k,
        Kind::AwsAccessKey
            | Kind::AwsSshKey
            | Kind::AwsServiceCredential
            | Kind::AwsSigningCertificate
            | Kind::GithubPat
            | Kind::GithubDeployKey
            | Kind::GithubCredentialAuthorization
            | Kind::SaasApiToken
            | Kind::SaasOauthGrant
    )
}

/// Kinds whose base severity is set by whether the credential is live: lowering them
/// again for being inactive would count the same fact twice.
pub(super) fn rated_by_liveness(k: Kind) -> bool {
    is_revocable_credential(k) || k == Kind::AwsLoginProfile
}
