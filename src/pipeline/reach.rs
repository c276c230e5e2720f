//! Accounts a person can become. A host account whose `authorized_keys` holds a key tied
//! to someone (its comment names them, the same key sits in their own account, it is
//! their IAM SSH key) lets that person log in as the account and read everything it
//! holds: the account itself is tied to them (`has_access`, at the key's confidence).
//! Runs after attribution, on attributed NHIs; pure, no I/O.
//!
//! Sudoers `runas` grants need no step here: the host connector gives the target
//! account an access hint for each user the grant names.

use crate::attribution::Attribution;
use crate::model::{Evidence, Kind, Nhi, Relation, Signal};
use std::collections::HashMap;

/// Add to each host account the people who can log into it through an authorized key.
/// A person already tied to the account at least as strongly keeps that tie.
pub fn add_key_access(attributed: &mut [(Nhi, Vec<Attribution>)]) {
    let mut accounts: HashMap<(String, String), usize> = HashMap::new();
    for (i, (n, _)) in attributed.iter().enumerate() {
        if matches!(n.kind, Kind::HostAccount | Kind::HostAdmin) {
            if let Some((_, user)) = n.resource.rsplit_once(':') {
                accounts.insert((n.connector.clone(), user.to_string()), i);
            }
        }
    }
    if accounts.is_empty() {
        return;
    }
    let mut adds: Vec<(usize, Attribution)> = Vec::new();
    for (n, attrs) in attributed.iter() {
        if n.kind != Kind::SshAuthorizedKey {
            continue;
        }
        let Some(account) = n.attributes.get("account") else {
            continue;
        };
        let Some(&target) = accounts.get(&(n.connector.clone(), account.clone())) else {
            continue;
        };
        let fp = n.ssh_fingerprint.as_ref().map_or_else(
            || n.resource.rsplit('#').next().unwrap_or(""),
            String::as_str,
        );
        for a in attrs {
            if a.relation == Relation::Orphaned {
                continue;
            }
            let mut evidence = vec![Evidence::new(
                "host:authorized_keys",
                format!(
                    "can log in as {account} on {} with key {fp} ({} {} the key)",
                    n.connector.strip_prefix("host:").unwrap_or(&n.connector),
                    a.confidence.as_str(),
                    a.relation.as_str()
                ),
            )];
            evidence.extend(a.evidence.iter().cloned());
            adds.push((
                target,
                Attribution {
                    person: a.person,
                    relation: Relation::HasAccess,
                    confidence: a.confidence,
                    evidence,
                    signals: vec![Signal::Access],
                },
            ));
        }
    }
    let mut touched: Vec<usize> = adds.iter().map(|(t, _)| *t).collect();
    touched.sort_unstable();
    touched.dedup();
    for (target, add) in adds {
        let attrs = &mut attributed[target].1;
        match attrs.iter_mut().find(|x| x.person == add.person) {
            Some(existing) => {
                let stronger = existing.relation.rank() > add.relation.rank()
                    || (existing.relation == add.relation && existing.confidence >= add.confidence);
                if !stronger {
                    *existing = add;
                }
            }
            None => attrs.push(add),
        }
    }
    for t in touched {
        crate::attribution::sort_strongest_first(&mut attributed[t].1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Confidence;

    fn key(account: &str) -> Nhi {
        let mut k = Nhi::new(
            "host:web-1",
            Kind::SshAuthorizedKey,
            format!("host:web-1:{account}#SHA256:abc"),
            "key",
        );
        k.attributes.insert("account".into(), account.into());
        k.set_ssh_key("SHA256:abc");
        k
    }

    fn tie(person: usize, relation: Relation, confidence: Confidence) -> Attribution {
        Attribution {
            person,
            relation,
            confidence,
            evidence: vec![Evidence::new("host:authorized_keys", "comment names them")],
            signals: vec![Signal::KeyComment],
        }
    }

    #[test]
    fn a_shared_account_the_leaver_can_become_is_tied_to_them() {
        let acct = Nhi::new("host:web-1", Kind::HostAdmin, "host:web-1:deploy", "admin");
        let mut items = vec![
            (acct, Vec::new()),
            (
                key("deploy"),
                vec![tie(3, Relation::HasAccess, Confidence::Likely)],
            ),
        ];
        add_key_access(&mut items);
        let a = &items[0].1;
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(
            (a[0].person, a[0].relation, a[0].confidence),
            (3, Relation::HasAccess, Confidence::Likely)
        );
        assert!(a[0].evidence[0].detail.contains("can log in as deploy"));
    }

    #[test]
    fn the_account_holder_keeps_their_stronger_tie() {
        let acct = Nhi::new("host:web-1", Kind::HostAccount, "host:web-1:bob", "bob");
        let mut items = vec![
            (acct, vec![tie(1, Relation::Is, Confidence::Likely)]),
            (key("bob"), vec![tie(1, Relation::Owns, Confidence::Likely)]),
        ];
        add_key_access(&mut items);
        assert_eq!(items[0].1.len(), 1);
        assert_eq!(items[0].1[0].relation, Relation::Is);
    }

    #[test]
    fn a_key_on_another_host_gives_no_access_here() {
        let acct = Nhi::new("host:db-1", Kind::HostAccount, "host:db-1:deploy", "deploy");
        let mut items = vec![
            (acct, Vec::new()),
            (
                key("deploy"),
                vec![tie(3, Relation::HasAccess, Confidence::Likely)],
            ),
        ];
        add_key_access(&mut items);
        assert!(items[0].1.is_empty());
    }
}
