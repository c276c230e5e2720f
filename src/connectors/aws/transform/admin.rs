//! Admin detection: AWS-managed admin policies, policy documents granting `*` or `iam:*`,
//! service-linked and AWS-created roles.

#[allow(unused_imports)]
use super::*;

/// AWS managed policies that make a principal an administrator on their own.
pub const ADMIN_MANAGED_POLICIES: &[&str] = &[
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/IAMFullAccess",
];

/// Is this role an AWS service-linked role (managed by AWS, not by anyone in the org)?
pub fn is_service_linked(path: &str) -> bool {
    path.starts_with("/aws-service-role/")
}

/// Roles AWS creates for its own services and landing zones, which nobody in the
/// organisation owns: IAM Identity Center's permission-set roles (`AWSReservedSSO_*`
/// under `/aws-reserved/`), the role Organizations puts in every new account, Control
/// Tower's and StackSets' execution roles, Account Factory for Terraform's roles. They
/// are reported only when something about them is a person's (a tag, a trust policy
/// naming them); otherwise they are counted in `summary.not_reported`.
pub fn is_aws_managed_role(path: &str, name: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "AWSReservedSSO_",
        "AWSControlTower",
        "aws-controltower-",
        "AWSCloudFormationStackSetExecutionRole",
        "AWSCloudFormationStackSetAdministrationRole",
        "stacksets-exec-",
        "AWSAFTExecution",
        "AWSAFTService",
        "AWSAFTAdmin",
    ];
    path.starts_with("/aws-reserved/")
        || path.starts_with("/service-role/aws-controltower")
        || name == "OrganizationAccountAccessRole"
        || PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Decode a policy document as IAM returns it (URL-encoded JSON) into JSON.
pub fn parse_policy(doc: &str) -> Option<Value> {
    let trimmed = doc.trim_start();
    if trimmed.starts_with('{') {
        return serde_json::from_str(trimmed).ok();
    }
    let decoded = urlencoding::decode(trimmed).ok()?;
    serde_json::from_str(&decoded).ok()
}

pub(super) fn as_list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
}

pub(super) fn str_list(v: Option<&Value>) -> Vec<String> {
    as_list(v)
        .into_iter()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// Is this AWS managed policy ARN (any partition: `aws`, `aws-cn`, `aws-us-gov`) one of
/// [`ADMIN_MANAGED_POLICIES`]?
pub fn is_admin_managed_policy(arn: &str) -> bool {
    ADMIN_MANAGED_POLICIES.iter().any(|a| {
        let suffix = a.trim_start_matches("arn:aws");
        arn.strip_suffix(suffix)
            .is_some_and(|partition| partition.starts_with("arn:aws"))
    })
}

/// Does an action pattern match every action (`*`, `*:*`)?
pub(super) fn action_matches_all(a: &str) -> bool {
    a.contains('*') && a.chars().all(|c| c == '*' || c == ':')
}

/// Does an action pattern match every IAM action (`iam:*`, any case), or every action?
pub(super) fn action_matches_all_iam(a: &str) -> bool {
    if action_matches_all(a) {
        return true;
    }
    match a.split_once(':') {
        Some((svc, act)) => {
            svc.eq_ignore_ascii_case("iam") && act.contains('*') && act.chars().all(|c| c == '*')
        }
        None => false,
    }
}

/// Does this policy document grant admin: `Allow` of `*` (also spelled `*:*`) or `iam:*`
/// on resource `*`, or `Allow` with `NotAction` on `*` whose exclusions leave IAM
/// writable (`NotAction: iam:DeleteUser` still allows every other action)?
pub fn policy_grants_admin(doc: &str) -> bool {
    let Some(v) = parse_policy(doc) else {
        return false;
    };
    as_list(v.get("Statement")).into_iter().any(|st| {
        let allow = st
            .get("Effect")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("allow"));
        let any_resource = str_list(st.get("Resource")).iter().any(|r| r == "*");
        if !allow || !any_resource {
            return false;
        }
        let broad_action = str_list(st.get("Action"))
            .iter()
            .any(|a| action_matches_all_iam(a));
        let not_action = st.get("NotAction").map(|n| str_list(Some(n)));
        // `NotAction` allows everything it does not list: admin unless it excludes all
        // of IAM (AWS's PowerUserAccess excludes `iam:*`, so it is not admin).
        let broad_not_action =
            not_action.is_some_and(|excluded| !excluded.iter().any(|a| action_matches_all_iam(a)));
        broad_action || broad_not_action
    })
}

/// Why a principal with these policies is an admin, if it is (first reason only).
pub(super) fn admin_reason(
    attached: &[AttachedPolicy],
    inline: &[InlinePolicy],
    policy_docs: &BTreeMap<String, String>,
    via: &str,
) -> Option<String> {
    for p in attached {
        if is_admin_managed_policy(&p.arn) {
            return Some(format!("{via}managed policy {}", p.name));
        }
        if policy_docs
            .get(&p.arn)
            .is_some_and(|d| policy_grants_admin(d))
        {
            return Some(format!("{via}managed policy {} allows *", p.name));
        }
    }
    inline
        .iter()
        .find(|p| policy_grants_admin(&p.document))
        .map(|p| format!("{via}inline policy {} allows *", p.name))
}
