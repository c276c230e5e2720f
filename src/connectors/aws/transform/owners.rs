//! Owner signals: owner tags in the spellings teams use, naming conventions, trust-policy
//! principals, IAM user names from ARNs.

#[allow(unused_imports)]
use super::*;

/// How strongly a tag key declares an owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagStrength {
    /// `owner`, `CreatedBy`, `owner_email`, `maintainer`, ...
    Owner,
    /// `team`, `contact`: a group or a point of contact, not necessarily the owner.
    Weak,
}

/// Classify a tag key by its normalised form (lowercase, letters and digits only), so
/// `Owner`, `OWNER`, `created_by`, `createdBy` and `Created-By` all match.
pub fn owner_tag_strength(key: &str) -> Option<TagStrength> {
    let norm: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match norm.as_str() {
        "owner" | "owneremail" | "ownername" | "ownedby" | "createdby" | "creator"
        | "creatoremail" | "author" | "maintainer" | "maintainedby" | "email"
        | "technicalowner" | "businessowner" | "serviceowner" | "appowner" | "applicationowner"
        | "responsible" | "custodian" | "ownerid" | "owneremployeeid" | "ownerlogin"
        | "ownerusername" | "owners" | "requestedby" | "requester" | "contact" | "contactemail"
        | "createdbyemail" | "owneruser" => Some(TagStrength::Owner),
        "team" | "poc" | "pointofcontact" | "oncall" | "supportcontact" | "squad" | "group" => {
            Some(TagStrength::Weak)
        }
        _ => None,
    }
}

/// Owner hints from tags. Weak tags (`team`, `contact`) become [`Signal::Naming`] hints:
/// `owns` at `possible` confidence on their own, `likely` once another signal names the
/// same person. (They used to ride on `KeyComment`, which made a contact tag read as
/// "has access" instead of a weak claim of ownership.)
pub fn tag_hints(tags: &[(String, String)], what: &str) -> Vec<OwnerHint> {
    let mut out = Vec::new();
    for (k, v) in tags {
        let value = v.trim();
        if value.is_empty() {
            continue;
        }
        let signal = match owner_tag_strength(k) {
            Some(TagStrength::Owner) => Signal::OwnerTag,
            Some(TagStrength::Weak) => Signal::Naming,
            None => continue,
        };
        for id in tag_owner_values(value) {
            out.push(OwnerHint::new(
                id,
                signal,
                Evidence::new("aws:iam", format!("tag {k}={value} on {what}")),
            ));
        }
    }
    out
}

/// The identifiers in an owner tag's value: the value itself, or each address when it
/// holds several (`alice@acme.example bob@acme.example`, `a@x/b@y`; IAM tag values allow
/// only letters, digits, spaces and `_.:/=+-@`, other sources also `a@x, b@y`), or just
/// the address of `Alice Liddell alice@acme.example`.
pub fn tag_owner_values(value: &str) -> Vec<String> {
    let value = value.trim();
    if !value.contains('@') {
        return vec![value.to_string()];
    }
    let mut out: Vec<String> = Vec::new();
    for part in value.split(|c: char| ",;/<>()".contains(c) || c.is_whitespace()) {
        let p = part.trim().trim_start_matches("mailto:");
        if p.contains('@') && p.len() > 2 && !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    }
    if out.is_empty() {
        out.push(value.to_string());
    }
    out
}

/// Names that read like a service account rather than a person (`svc-alice-deploy`,
/// `ci-bot`, `terraform`), whose person-like parts attribution may match.
pub fn is_service_like(name: &str) -> bool {
    const TOKENS: &[&str] = &[
        "svc",
        "service",
        "bot",
        "ci",
        "cd",
        "deploy",
        "deployer",
        "automation",
        "robot",
        "app",
        "api",
        "sa",
        "jenkins",
        "terraform",
        "tf",
        "github",
        "gitlab",
        "pipeline",
        "backup",
        "batch",
        "cron",
        "job",
        "sync",
        "integration",
        "system",
        "sys",
        "monitor",
        "monitoring",
    ];
    name.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|t| TOKENS.contains(&t))
}

/// Naming-convention hints for an IAM user or role name: the person-like words of
/// `svc-alice-deploy`, `alice-ci` or `deployAliceRole` (`alice`), which attribution
/// rates `possible` alone and `likely` with one more signal for the same person. A
/// user's own name is not repeated here: it is the user's `Account` hint.
pub fn name_hints(name: &str, what: &str) -> Vec<OwnerHint> {
    let own = name.to_lowercase();
    crate::attribution::tokens_from_name(name)
        .into_iter()
        .filter(|t| *t != own)
        .map(|t| {
            OwnerHint::new(
                &t,
                Signal::Naming,
                Evidence::new("aws:iam", format!("{what} name {name} contains `{t}`")),
            )
        })
        .collect()
}

/// Principals a trust policy lets assume the role: `(principal, Some(iam user name))`.
pub fn trust_principals(doc: &str) -> Vec<(String, Option<String>)> {
    let Some(v) = parse_policy(doc) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for st in as_list(v.get("Statement")) {
        let allow = st
            .get("Effect")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("allow"));
        if !allow {
            continue;
        }
        let mut principals: Vec<String> = match st.get("Principal") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Object(m)) => m.values().flat_map(|v| str_list(Some(v))).collect(),
            _ => Vec::new(),
        };
        // A trust of the whole account narrowed by a condition on the caller's ARN
        // (`"ArnEquals": {"aws:PrincipalArn": "arn:...:user/alice"}`) lets exactly those
        // principals in: they are who can assume it.
        if let Some(Value::Object(ops)) = st.get("Condition") {
            for cond in ops.values() {
                if let Value::Object(keys) = cond {
                    for (k, v) in keys {
                        if k.eq_ignore_ascii_case("aws:PrincipalArn") {
                            principals.extend(str_list(Some(v)));
                        }
                    }
                }
            }
        }
        for p in principals {
            if seen.insert(p.clone()) {
                let user = iam_user_name_from_arn(&p);
                out.push((p, user));
            }
        }
    }
    out
}

/// `arn:aws:iam::123456789012:user/path/alice` → `alice`.
pub fn iam_user_name_from_arn(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("iam"), Some(_region), Some(_acct), Some(res)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let rest = res.strip_prefix("user/")?;
    rest.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
