//! Coverage units: the one rule for naming what a `coverage` entry covers, and for deciding
//! which entry a finding belongs to. `diff` uses it to tell "resolved" from "not
//! rescanned"; anything that later tracks findings across runs (a state store) must use
//! the same rule, never its own string matching.
//!
//! A coverage entry is named after a connector, optionally split into parts:
//!
//! | entry | covers |
//! | --- | --- |
//! | `git`, `git:NAME` | every repository and path of that git connector |
//! | `host:HOST` | one root (a live host or a snapshot) |
//! | `aws:NAME` | a whole AWS connector (one account, or a failure before any account) |
//! | `aws:NAME/ACCOUNT` | one account of a multi-account AWS connector |
//! | `github:ORG`, `saas:SPEC` | the whole connector |
//!
//! A finding's unit is its `connector` plus, for AWS, `/ACCOUNT`, the account id of the
//! ARN its `resource` starts with. An entry covers a finding when it is named after the
//! finding's unit or after the finding's whole connector. Pure string logic: no I/O.

/// Separator between a connector and a part of it in a coverage entry's name.
pub const PART_SEPARATOR: char = '/';

/// The name of the coverage entry for `connector` (`aws:prod`), or for one part of it
/// (`aws:prod/111111111111`).
pub fn unit_name(connector: &str, part: Option<&str>) -> String {
    match part {
        Some(p) => format!("{connector}{PART_SEPARATOR}{p}"),
        None => connector.to_string(),
    }
}

/// The connector type: `aws` for `aws:prod`, `git` for `git` and `git:main`.
pub fn connector_type(connector: &str) -> &str {
    connector.split_once(':').map_or(connector, |(t, _)| t)
}

/// The part of its connector a finding with this `resource` belongs to, if the connector
/// is split into parts: for AWS, the account id of the resource's ARN
/// (`arn:aws:iam::111111111111:user/x#AKIA...` gives `111111111111`).
pub fn part_of(connector: &str, resource: &str) -> Option<String> {
    match connector_type(connector) {
        "aws" => arn_account(resource).map(str::to_string),
        _ => None,
    }
}

/// The coverage unit a finding of `connector` with `resource` belongs to.
pub fn unit_of(connector: &str, resource: &str) -> String {
    unit_name(connector, part_of(connector, resource).as_deref())
}

/// Whether the coverage entry named `entry` covers a finding of `connector` with
/// `resource`: the entry is the finding's own unit or its whole connector.
pub fn covers(entry: &str, connector: &str, resource: &str) -> bool {
    entry == connector || entry == unit_of(connector, resource)
}

/// The account field of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`), when it
/// is a 12-digit account id (AWS-managed policies have `aws` there, and belong to no
/// account).
fn arn_account(resource: &str) -> Option<&str> {
    let mut fields = resource.strip_prefix("arn:")?.splitn(5, ':');
    let (_partition, _service, _region) = (fields.next()?, fields.next()?, fields.next()?);
    let account = fields.next()?;
    fields.next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_findings_belong_to_their_account() {
        let r = "arn:aws:iam::111111111111:user/svc-deploy#AKIAIOSFODNN7EXAMPLE";
        assert_eq!(unit_of("aws:prod", r), "aws:prod/111111111111");
        assert!(covers("aws:prod/111111111111", "aws:prod", r));
        assert!(covers("aws:prod", "aws:prod", r));
        assert!(!covers("aws:prod/222222222222", "aws:prod", r));
        assert!(!covers("aws:pro", "aws:prod", r));
        assert!(!covers("aws:prod/111111111111", "aws:staging", r));
        // A resource that is not an account's ARN belongs to the whole connector only.
        assert_eq!(
            unit_of("aws:prod", "arn:aws:iam::aws:policy/AdministratorAccess"),
            "aws:prod"
        );
        assert_eq!(unit_of("aws:prod", "svc-deploy"), "aws:prod");
        assert_eq!(
            unit_name("aws:prod", Some("111111111111")),
            "aws:prod/111111111111"
        );
    }

    #[test]
    fn git_and_host_units_are_the_connector() {
        assert_eq!(unit_of("git", "payments:config/prod.env:12"), "git");
        assert!(covers("git", "git", "payments:a:1"));
        assert!(!covers("git:main", "git", "payments:a:1"));
        assert!(covers("git:main", "git:main", "payments:a:1"));
        assert!(!covers("git", "git:main", "payments:a:1"));
        // A secret_in_repo resource can look like an ARN's prefix; only AWS splits.
        assert_eq!(unit_of("git", "arn:aws:iam::111111111111:x"), "git");
        assert!(covers("host:web-1", "host:web-1", "web-1:alice"));
        assert!(!covers("host:web-10", "host:web-1", "web-1:alice"));
        assert_eq!(connector_type("host:web-1"), "host");
        assert_eq!(connector_type("git"), "git");
    }
}
