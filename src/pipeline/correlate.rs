//! Joins NHIs across connectors by their join keys: an AWS access key id found in a
//! repository or on a host is tied to the IAM key it names, so that the leak inherits the
//! key's owner and liveness, and the key learns who committed it (they know the secret:
//! `has_access`). Pure: reshapes records, reads nothing.

use crate::model::{Evidence, Kind, Nhi, OwnerHint, Signal};
use std::collections::HashMap;

fn is_leak(kind: Kind) -> bool {
    matches!(kind, Kind::SecretInRepo | Kind::SecretOnHost)
}

/// Link every leaked secret to the records that share one of its join keys.
pub fn correlate(items: &mut [Nhi]) {
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, nhi) in items.iter().enumerate() {
        for k in &nhi.join_keys {
            by_key.entry(k.as_str()).or_default().push(i);
        }
    }
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for idxs in by_key.values() {
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
            l.status = rec_status;
            l.privileged |= rec_priv;
            l.attributes
                .insert("joined_to".into(), rec_resource.clone());
            for h in rec_hints {
                let detail = format!("leaked credential is {rec_title}: {}", h.evidence.detail);
                l.hints.push(OwnerHint::new(
                    h.identifier,
                    h.signal,
                    Evidence::new(h.evidence.source, detail),
                ));
            }
        }
        let r = &mut items[record];
        r.attributes
            .insert("leaked_in".into(), leak_resource.clone());
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
        key.join_keys.push("aws_access_key_id:AKIAX".into());
        key.hints.push(OwnerHint::new(
            "aws:alice",
            Signal::CreatorField,
            Evidence::new("aws:iam", "key of user alice"),
        ));
        let mut leak = Nhi::new("git", Kind::SecretInRepo, "api:.env:3", "AWS key id in api");
        leak.join_keys.push("aws_access_key_id:AKIAX".into());
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
}
