//! Joins NHIs across connectors by their join keys: an AWS access key id found in a
//! repository or on a host is tied to the IAM key it names, so that the leak inherits the
//! key's owner and liveness, and the key learns who committed it (they know the secret:
//! `has_access`). An IAM user's SSH public key is joined the same way, by its OpenSSH
//! fingerprint, to that key in a host's `authorized_keys`: the host key gains the IAM
//! user (and that user's owner signals) as its owner, so a key with no comment on a host
//! is still attributed. One key listed in several `authorized_keys` files (other accounts,
//! other hosts) carries its holder to each of them. A GitHub user's public key, deploy
//! key or SSO-authorized SSH key joins a host key by fingerprint the same way: the GitHub
//! login becomes a holder (`has_access`) of the host key. Pure: reshapes records, reads
//! nothing.

use crate::model::{Evidence, JoinKey, Kind, Nhi, OwnerHint, Signal};
use std::collections::HashMap;

fn is_leak(kind: Kind) -> bool {
    matches!(kind, Kind::SecretInRepo | Kind::SecretOnHost)
}

/// The join key of an SSH public key, from its OpenSSH `SHA256:` fingerprint.
pub fn ssh_key_join(fingerprint: &str) -> JoinKey {
    JoinKey::ssh_key(fingerprint)
}

/// Link every leaked secret to the records that share one of its join keys, and every
/// host SSH key to the IAM SSH key with the same fingerprint.
pub fn correlate(items: &mut [Nhi]) {
    let mut by_key: HashMap<&JoinKey, Vec<usize>> = HashMap::new();
    for (i, n) in items.iter().enumerate() {
        for k in &n.join_keys {
            by_key.entry(k).or_default().push(i);
        }
    }
    // The map borrows the records' keys; the joins below change the records.
    let by_key: Vec<Vec<usize>> = {
        let mut groups: Vec<(&JoinKey, Vec<usize>)> = by_key.into_iter().collect();
        groups.sort();
        groups.into_iter().map(|(_, v)| v).collect()
    };
    let mut ssh_pairs: Vec<(usize, usize)> = Vec::new();
    for idxs in by_key.iter() {
        for &host in idxs
            .iter()
            .filter(|&&i| items[i].kind == Kind::SshAuthorizedKey)
        {
            for &iam in idxs.iter().filter(|&&i| items[i].kind == Kind::AwsSshKey) {
                ssh_pairs.push((host, iam));
            }
        }
    }
    ssh_pairs.sort_unstable();
    ssh_pairs.dedup();
    for (host, iam) in ssh_pairs {
        join_ssh_key(items, host, iam);
    }
    // A GitHub user's public key, a deploy key or an SSO-authorized SSH key with the
    // fingerprint of a host's authorized key.
    let mut gh_pairs: Vec<(usize, usize)> = Vec::new();
    for idxs in by_key.iter() {
        for &host in idxs
            .iter()
            .filter(|&&i| items[i].kind == Kind::SshAuthorizedKey)
        {
            for &gh in idxs
                .iter()
                .filter(|&&i| is_github_key_holder(items[i].kind))
            {
                gh_pairs.push((host, gh));
            }
        }
    }
    gh_pairs.sort_unstable();
    gh_pairs.dedup();
    for (host, gh) in gh_pairs {
        join_github_key(items, host, gh);
    }
    // One key listed for several accounts or hosts: whoever holds it (its comment, the
    // account whose own file lists it, its IAM user) can log in at every one of them.
    let mut host_groups: Vec<Vec<usize>> = by_key
        .iter()
        .map(|idxs| {
            let mut g: Vec<usize> = idxs
                .iter()
                .copied()
                .filter(|&i| items[i].kind == Kind::SshAuthorizedKey)
                .collect();
            g.sort_unstable();
            g.dedup();
            g
        })
        .filter(|g| g.len() > 1)
        .collect();
    host_groups.sort_unstable();
    host_groups.dedup();
    for g in host_groups {
        share_key_holders(items, &g);
    }
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for idxs in by_key.iter() {
        for &leak in idxs.iter().filter(|&&i| is_leak(items[i].kind)) {
            for &record in idxs.iter().filter(|&&i| !is_leak(items[i].kind)) {
                pairs.push((leak, record));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    for (leak, record) in pairs {
        let (rec_hints, rec_resource, rec_status, rec_priv, rec_title) = {
            let r = &items[record];
            (
                r.hints.clone(),
                r.resource.clone(),
                r.status,
                r.privileged,
                r.title.clone(),
            )
        };
        let (leak_hints, leak_resource) = {
            let l = &items[leak];
            let authors: Vec<OwnerHint> = l
                .hints
                .iter()
                .filter(|h| h.signal == Signal::CommitAuthor)
                .cloned()
                .collect();
            (authors, l.resource.clone())
        };
        {
            let l = &mut items[leak];
            // One leaked key can open several records (a deploy key and a host login):
            // it is live when any of them is.
            let first = !l.attributes.contains_key("joined_to");
            if first || rec_status == crate::model::NhiStatus::Active {
                l.status = rec_status;
            }
            l.privileged |= rec_priv;
            append_attr(l, "joined_to", &rec_resource);
            for h in rec_hints {
                let detail = format!("leaked credential is {rec_title}: {}", h.evidence.detail);
                // The record *is* someone's account (a member's own key): the leaked
                // secret is theirs, not their account.
                let signal = match h.signal {
                    Signal::Account => Signal::OwnerTag,
                    s => s,
                };
                let new = OwnerHint::new(
                    h.identifier,
                    signal,
                    Evidence::new(h.evidence.source, detail),
                );
                if !l.hints.contains(&new) {
                    l.hints.push(new);
                }
            }
        }
        let r = &mut items[record];
        append_attr(r, "leaked_in", &leak_resource);
        for h in leak_hints {
            let detail = format!("credential found in {leak_resource}: {}", h.evidence.detail);
            r.hints.push(OwnerHint::new(
                h.identifier,
                Signal::Access,
                Evidence::new(h.evidence.source, detail),
            ));
        }
    }
}

/// The host key `host` is the IAM SSH key `iam`: an IAM user's SSH key is that user's,
/// so the IAM user (creator field there) becomes a declared owner of the host key, and
/// the user's own owner signals (owner tag, naming) come along. The IAM key learns where
/// it grants login.
fn join_ssh_key(items: &mut [Nhi], host: usize, iam: usize) {
    let (iam_hints, iam_resource, iam_title, iam_status) = {
        let r = &items[iam];
        (
            r.hints.clone(),
            r.resource.clone(),
            r.title.clone(),
            r.status,
        )
    };
    let host_resource = items[host].resource.clone();
    {
        let h = &mut items[host];
        append_attr(h, "iam_ssh_key", &iam_resource);
        if iam_status == crate::model::NhiStatus::Inactive {
            h.attributes
                .insert("iam_ssh_key_status".into(), "inactive".into());
        }
        for hint in iam_hints {
            let signal = match hint.signal {
                // "belongs to IAM user X" / "X uploaded it": X's key, not X's host grant.
                Signal::CreatorField | Signal::AuditEvent | Signal::Account => Signal::OwnerTag,
                s => s,
            };
            let detail = format!(
                "same key (fingerprint) as {iam_title}: {}",
                hint.evidence.detail
            );
            let new = OwnerHint::new(
                hint.identifier,
                signal,
                Evidence::new(hint.evidence.source, detail),
            );
            if !h.hints.contains(&new) {
                h.hints.push(new);
            }
        }
    }
    append_attr(&mut items[iam], "authorized_on", &host_resource);
}

/// GitHub records that carry an SSH public key's fingerprint as a join key: a member's
/// (or outside collaborator's) public keys (`/users/{login}/keys`), a deploy key, a
/// SAML-authorized SSH key.
fn is_github_key_holder(k: Kind) -> bool {
    matches!(
        k,
        Kind::GithubMember
            | Kind::GithubOutsideCollaborator
            | Kind::GithubDeployKey
            | Kind::GithubCredentialAuthorization
    )
}

/// The host key `host` has the fingerprint of the GitHub record `gh`: whoever the GitHub
/// record names (the account itself, the deploy key's `added_by`, the member who
/// authorized the key) holds the private half, so they can log in on the host
/// (`Access`), even when the key has no comment. The GitHub record learns where the key
/// grants login; a deploy key also gains the host key's holders (its comment, the account
/// whose own file lists it) as access, since they hold the key that writes to the
/// repository.
fn join_github_key(items: &mut [Nhi], host: usize, gh: usize) {
    let (gh_hints, gh_resource, gh_title, gh_kind) = {
        let r = &items[gh];
        let hints: Vec<OwnerHint> = r
            .hints
            .iter()
            .filter(|h| {
                matches!(
                    h.signal,
                    Signal::Account | Signal::CreatorField | Signal::AuditEvent
                )
            })
            .cloned()
            .collect();
        (hints, r.resource.clone(), r.title.clone(), r.kind)
    };
    let (host_resource, host_holders) = {
        let h = &items[host];
        let holders: Vec<OwnerHint> = h
            .hints
            .iter()
            .filter(|x| matches!(x.signal, Signal::KeyComment | Signal::OwnerTag))
            .cloned()
            .collect();
        (h.resource.clone(), holders)
    };
    {
        let h = &mut items[host];
        append_attr(h, "github_key", &gh_resource);
        for hint in gh_hints {
            let what = if gh_kind == Kind::GithubDeployKey {
                "the deploy key"
            } else {
                "a GitHub SSH key of"
            };
            let detail = format!(
                "same key (fingerprint) as {what} {gh_title}: {}",
                hint.evidence.detail
            );
            let new = OwnerHint::new(
                hint.identifier,
                Signal::Access,
                Evidence::new(hint.evidence.source, detail),
            );
            if !h.hints.contains(&new) {
                h.hints.push(new);
            }
        }
    }
    let g = &mut items[gh];
    append_attr(g, "authorized_on", &host_resource);
    if gh_kind == Kind::GithubDeployKey {
        for hint in host_holders {
            let new = OwnerHint::new(
                hint.identifier,
                Signal::Access,
                Evidence::new(
                    hint.evidence.source,
                    format!("same key as {host_resource}: {}", hint.evidence.detail),
                ),
            );
            if !g.hints.contains(&new) {
                g.hints.push(new);
            }
        }
    }
}

/// The same public key in several `authorized_keys` entries (`group`): each entry gains,
/// as access, the holder hints of the others: a key comment naming someone, the account
/// whose own file lists it, an owner carried over from IAM. Holder hints are taken from
/// every entry before any is changed, so the result does not depend on the order.
fn share_key_holders(items: &mut [Nhi], group: &[usize]) {
    let holders: Vec<(usize, String, Vec<OwnerHint>)> = group
        .iter()
        .map(|&i| {
            let n = &items[i];
            let hints = n
                .hints
                .iter()
                .filter(|h| matches!(h.signal, Signal::KeyComment | Signal::OwnerTag))
                .cloned()
                .collect();
            (i, n.resource.clone(), hints)
        })
        .collect();
    for &target in group {
        for (src, src_resource, hints) in &holders {
            if *src == target {
                continue;
            }
            for h in hints {
                let new = OwnerHint::new(
                    h.identifier.clone(),
                    Signal::Access,
                    Evidence::new(
                        h.evidence.source.clone(),
                        format!("same key as {src_resource}: {}", h.evidence.detail),
                    ),
                );
                let t = &mut items[target];
                if !t.hints.contains(&new) {
                    t.hints.push(new);
                }
            }
        }
    }
}

/// Add `value` to a comma-separated attribute, once.
fn append_attr(n: &mut Nhi, key: &str, value: &str) {
    let entry = n.attributes.entry(key.to_string()).or_default();
    if !entry.split(", ").any(|v| v == value) {
        if !entry.is_empty() {
            entry.push_str(", ");
        }
        entry.push_str(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NhiStatus;

    #[test]
    fn leaked_key_id_joins_iam_key_both_ways() {
        let mut key = Nhi::new(
            "aws:prod",
            Kind::AwsAccessKey,
            "arn:aws:iam::1:user/alice#AKIAX",
            "key",
        );
        key.status = NhiStatus::Active;
        key.join_keys.push(JoinKey::aws_access_key_id("AKIAX"));
        key.hints.push(OwnerHint::new(
            "aws:alice",
            Signal::CreatorField,
            Evidence::new("aws:iam", "key of user alice"),
        ));
        let mut leak = Nhi::new("git", Kind::SecretInRepo, "api:.env:3", "AWS key id in api");
        leak.join_keys.push(JoinKey::aws_access_key_id("AKIAX"));
        leak.hints.push(OwnerHint::new(
            "bob@acme.example",
            Signal::CommitAuthor,
            Evidence::new("git:commit", "by bob"),
        ));
        let other = Nhi::new("git", Kind::SecretInRepo, "api:.env:9", "unrelated");
        let mut items = vec![key, leak, other];
        correlate(&mut items);
        assert_eq!(items[1].status, NhiStatus::Active);
        assert!(items[1]
            .hints
            .iter()
            .any(|h| h.identifier == "aws:alice" && h.signal == Signal::CreatorField));
        assert!(items[0]
            .hints
            .iter()
            .any(|h| h.identifier == "bob@acme.example" && h.signal == Signal::Access));
        assert_eq!(
            items[0].attributes.get("leaked_in").map(String::as_str),
            Some("api:.env:3")
        );
        assert!(items[2].hints.is_empty());
    }

    #[test]
    fn iam_ssh_key_owns_the_same_key_on_a_host() {
        let fp = "SHA256:fakeFingerprintForATestOnly0000000000000000";
        let mut iam = Nhi::new(
            "aws:prod",
            Kind::AwsSshKey,
            "arn:aws:iam::1:user/svc-ops#ssh:APKA1",
            "SSH public key APKA1 of IAM user svc-ops",
        );
        iam.join_keys.push(ssh_key_join(fp));
        iam.hints.push(OwnerHint::new(
            "aws:svc-ops",
            Signal::CreatorField,
            Evidence::new(
                "aws:iam",
                "SSH public key APKA1 belongs to IAM user svc-ops",
            ),
        ));
        iam.hints.push(OwnerHint::new(
            "carol@acme.example",
            Signal::OwnerTag,
            Evidence::new("aws:iam", "tag owner on user svc-ops"),
        ));
        let mut host = Nhi::new(
            "host:web-1",
            Kind::SshAuthorizedKey,
            format!("web-1:deploy#{fp}"),
            "SSH key grants login as deploy on web-1",
        );
        host.set_ssh_key(fp);
        let mut other = Nhi::new(
            "host:web-1",
            Kind::SshAuthorizedKey,
            "web-1:deploy#SHA256:other",
            "another key",
        );
        other.set_ssh_key("SHA256:other");
        let mut items = vec![iam, host, other];
        correlate(&mut items);
        correlate(&mut items); // idempotent
        let h = &items[1];
        assert!(h.hints.iter().any(|x| x.identifier == "aws:svc-ops"
            && x.signal == Signal::OwnerTag
            && x.evidence.detail.contains("APKA1")));
        assert!(h
            .hints
            .iter()
            .any(|x| x.identifier == "carol@acme.example" && x.signal == Signal::OwnerTag));
        assert_eq!(h.hints.len(), 2, "{:#?}", h.hints);
        assert_eq!(
            h.attributes.get("iam_ssh_key").map(String::as_str),
            Some("arn:aws:iam::1:user/svc-ops#ssh:APKA1")
        );
        assert_eq!(
            items[0].attributes.get("authorized_on").map(String::as_str),
            Some(format!("web-1:deploy#{fp}").as_str())
        );
        assert!(items[2].hints.is_empty());
    }

    #[test]
    fn github_user_key_gives_its_login_access_to_the_host_key() {
        let fp = "SHA256:fakeFingerprintForATestOnly2222222222222222";
        let mut member = Nhi::new(
            "github:acme",
            Kind::GithubMember,
            "acme#member:jdoe",
            "GitHub org acme member jdoe",
        );
        member.join_keys.push(ssh_key_join(fp));
        member.hints.push(OwnerHint::new(
            "github:jdoe",
            Signal::Account,
            Evidence::new("github:api", "jdoe is a member of acme"),
        ));
        let mut host = Nhi::new(
            "host:web-1",
            Kind::SshAuthorizedKey,
            format!("web-1:deploy#{fp}"),
            "SSH key grants login as deploy on web-1",
        );
        host.set_ssh_key(fp);
        let mut items = vec![member, host];
        correlate(&mut items);
        correlate(&mut items); // idempotent
        let h = &items[1];
        assert_eq!(h.hints.len(), 1, "{:#?}", h.hints);
        assert_eq!(h.hints[0].identifier, "github:jdoe");
        assert_eq!(h.hints[0].signal, Signal::Access);
        assert_eq!(
            h.attributes.get("github_key").map(String::as_str),
            Some("acme#member:jdoe")
        );
        assert_eq!(
            items[0].attributes.get("authorized_on").map(String::as_str),
            Some(format!("web-1:deploy#{fp}").as_str())
        );
    }

    #[test]
    fn one_key_on_two_hosts_carries_its_holder_to_both() {
        let fp = "SHA256:fakeFingerprintForATestOnly1111111111111111";
        let key = |res: &str, hint: OwnerHint| {
            let mut n = Nhi::new("host:x", Kind::SshAuthorizedKey, res, "key");
            n.set_ssh_key(fp);
            n.hints.push(hint);
            n
        };
        let own = key(
            "web-1:jsmith#k",
            OwnerHint::new(
                "host:jsmith",
                Signal::OwnerTag,
                Evidence::new("host:authorized_keys", "in jsmith's own file"),
            ),
        );
        let shared = key(
            "web-2:deploy#k",
            OwnerHint::new(
                "host:deploy",
                Signal::Access,
                Evidence::new("host:authorized_keys", "grants login as deploy"),
            ),
        );
        let mut items = vec![own, shared];
        correlate(&mut items);
        correlate(&mut items); // idempotent
        let d = &items[1];
        assert!(
            d.hints.iter().any(|h| h.identifier == "host:jsmith"
                && h.signal == Signal::Access
                && h.evidence.detail.starts_with("same key as web-1:jsmith#k")),
            "{:#?}",
            d.hints
        );
        assert_eq!(d.hints.len(), 2, "{:#?}", d.hints);
        // Access hints are not holder hints: deploy does not come back to jsmith's key.
        assert_eq!(items[0].hints.len(), 1, "{:#?}", items[0].hints);
    }
}
