//! Secrets in source metadata: every free-text string a connector put on an NHI (its
//! attributes, title, owner hints and their evidence, commit authors) runs through the
//! secret engine before anything is correlated, attributed or written.
//!
//! - A rule match is redacted in place (4+4 characters, as `secret.redacted`) in every
//!   string of every record that holds it, and becomes a finding of its own: a secret in
//!   metadata (`secret_in_repo` for git, `secret_on_host` for hosts, `secret_in_metadata`
//!   for cloud and SaaS records), whose resource names the field
//!   (`arn:aws:iam::1:user/x#tag:note`) and whose owner hints are its parent's.
//! - An owner-tag value that resolves to nobody in HR and [`looks_like_secret`] is shown
//!   redacted wherever it appears (attributes, evidence, the hint itself).
//! - Coverage errors get the same treatment (redaction only).
//!
//! Public identifiers the contract puts in `resource` (an access key id, a key
//! fingerprint, an ARN) are not secret values: `resource` is never rewritten, and a match
//! that is part of any record's resource is ignored.
//!
//! Pure: reshapes records, reads nothing, logs nothing.

use crate::hr::Directory;
use crate::matcher::{looks_like_identifier, shannon_entropy, Matcher};
use crate::model::{
    redact, Coverage, Evidence, JoinKey, Kind, Nhi, NhiStatus, OwnerHint, SecretBytes, Signal,
};
use crate::rules::Rule;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// At most this many other places are listed (`also_in`) on a metadata secret seen in
/// several records; the total is given as well.
const MAX_ALSO_IN: usize = 10;

/// Whether a value (an owner tag's, say) reads like a generated secret rather than a
/// name, an email or an identifier: at least 16 characters, no `@` and no whitespace,
/// not an ARN or a word-like identifier, several character classes and high entropy.
pub fn looks_like_secret(value: &str) -> bool {
    let v = value.trim();
    let n = v.chars().count();
    if n < 16 || v.contains('@') || v.chars().any(char::is_whitespace) {
        return false;
    }
    if v.starts_with("arn:") || looks_like_identifier(v.as_bytes()) {
        return false;
    }
    let (mut lower, mut upper, mut digit) = (0usize, 0usize, 0usize);
    for c in v.chars() {
        if c.is_ascii_lowercase() {
            lower += 1;
        } else if c.is_ascii_uppercase() {
            upper += 1;
        } else if c.is_ascii_digit() {
            digit += 1;
        }
    }
    let classes = [lower, upper, digit].iter().filter(|c| **c > 0).count();
    // Dates, versions and numbered names (`platform-2024-q3`) have digits in one or two
    // runs; generated values scatter them (or mix both letter cases).
    let digit_runs = v
        .as_bytes()
        .split(|b| !b.is_ascii_digit())
        .filter(|r| !r.is_empty())
        .count();
    let mixed = (lower > 0 && upper > 0) || digit_runs >= 3;
    classes >= 2 && mixed && shannon_entropy(v.as_bytes()) >= 3.5
}

/// The kind of a secret found in `connector`'s metadata.
fn kind_for(connector: &str) -> Kind {
    if connector == "git" || connector.starts_with("git:") {
        Kind::SecretInRepo
    } else if connector.starts_with("host:") {
        Kind::SecretOnHost
    } else {
        Kind::SecretInMetadata
    }
}

/// One rule match in one field of one record.
struct Sighting {
    item: usize,
    /// Ordered: attribute fields first, then the title, hints and evidence.
    rank: u8,
    field: String,
    rule: Arc<Rule>,
    secret: SecretBytes,
}

/// Scan every string field of `items` (and the coverage errors) for secrets: redact what
/// is found, add one finding per secret found, and redact owner-tag values that look like
/// secrets and resolve to nobody in `dir`.
pub fn scrub(
    items: &mut Vec<Nhi>,
    coverage: &mut [Coverage],
    matcher: &Matcher,
    dir: Option<&Directory>,
) {
    let public = public_tokens(items);
    let is_public = |nhi: &Nhi, value: &str| nhi.resource.contains(value) || public.contains(value);
    // raw value -> what is shown instead
    let mut replace: BTreeMap<String, String> = BTreeMap::new();
    let mut sightings: Vec<Sighting> = Vec::new();

    for (i, nhi) in items.iter().enumerate() {
        let mut hit = |rank: u8, field: String, text: &str, offset: usize| {
            for m in matcher.scan(text.as_bytes()) {
                if m.start < offset {
                    continue;
                }
                let value = String::from_utf8_lossy(m.secret.expose()).into_owned();
                if value.is_empty() || is_public(nhi, &value) {
                    continue;
                }
                replace.insert(value, m.secret.redacted());
                sightings.push(Sighting {
                    item: i,
                    rank,
                    field: field.clone(),
                    rule: m.rule.clone(),
                    secret: m.secret,
                });
            }
        };
        for (k, v) in &nhi.attributes {
            match k.strip_prefix("tag:") {
                // A tag's key gives its value the context a rule may need (`db_password`).
                Some(tag) => {
                    let text = format!("{tag}={v}");
                    hit(0, k.clone(), &text, tag.len() + 1);
                }
                None => hit(0, k.clone(), v, 0),
            }
        }
        hit(1, "title".into(), &nhi.title, 0);
        for h in &nhi.hints {
            hit(2, "owner".into(), &h.identifier, 0);
            hit(3, "evidence".into(), &h.evidence.detail, 0);
        }
        for l in nhi.location.iter().chain(&nhi.other_locations) {
            for s in [&l.author_name, &l.author_email].into_iter().flatten() {
                hit(2, "author".into(), s, 0);
            }
        }
        for h in nhi.shared_hints.iter().flat_map(|h| h.iter()) {
            hit(4, "contributor".into(), &h.identifier, 0);
            hit(4, "evidence".into(), &h.evidence.detail, 0);
        }
        // Owner-tag values that resolve to nobody and read like a generated secret.
        for h in &nhi.hints {
            if matches!(h.signal, Signal::OwnerTag | Signal::Naming)
                && looks_like_secret(&h.identifier)
                && !is_public(nhi, &h.identifier)
                && !dir.is_some_and(|d| !d.lookup(&h.identifier).is_empty())
            {
                replace
                    .entry(h.identifier.clone())
                    .or_insert_with(|| redact(h.identifier.as_bytes()));
            }
        }
    }
    for c in coverage.iter() {
        for e in &c.errors {
            for m in matcher.scan(e.as_bytes()) {
                let value = String::from_utf8_lossy(m.secret.expose()).into_owned();
                if !value.is_empty() && !public.contains(&value) {
                    replace.insert(value, m.secret.redacted());
                }
            }
        }
    }
    if replace.is_empty() {
        return;
    }
    let Some(r) = Replacer::new(&replace) else {
        return;
    };
    let mut shared_done: HashMap<*const Vec<OwnerHint>, Arc<Vec<OwnerHint>>> = HashMap::new();
    for nhi in items.iter_mut() {
        r.apply_nhi(nhi, &mut shared_done);
    }
    for c in coverage.iter_mut() {
        for e in &mut c.errors {
            r.apply(e);
        }
    }
    let found = findings(items, sightings);
    items.extend(found);
}

/// Every part of every resource (`#`, `/` and `:` separate them): public identifiers
/// that a rule may match (an access key id) but that are not secret values.
fn public_tokens(items: &[Nhi]) -> HashSet<String> {
    let mut out = HashSet::new();
    for n in items {
        for part in n.resource.split(['#', '/', ':', '@']) {
            if part.len() >= 8 {
                out.insert(part.to_string());
            }
        }
    }
    out
}

/// Replaces every raw value with its redacted form, in one pass per string.
struct Replacer {
    ac: AhoCorasick,
    with: Vec<String>,
}

impl Replacer {
    fn new(map: &BTreeMap<String, String>) -> Option<Replacer> {
        let (pats, with): (Vec<&str>, Vec<String>) =
            map.iter().map(|(k, v)| (k.as_str(), v.clone())).unzip();
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(pats)
            .ok()?;
        Some(Replacer { ac, with })
    }

    fn apply(&self, s: &mut String) {
        if self.ac.find(s.as_str()).is_some() {
            *s = self.ac.replace_all(s, &self.with);
        }
    }

    fn apply_hint(&self, h: &mut OwnerHint) {
        self.apply(&mut h.identifier);
        self.apply(&mut h.evidence.detail);
    }

    fn apply_nhi(
        &self,
        nhi: &mut Nhi,
        shared_done: &mut HashMap<*const Vec<OwnerHint>, Arc<Vec<OwnerHint>>>,
    ) {
        self.apply(&mut nhi.title);
        for v in nhi.attributes.values_mut() {
            self.apply(v);
        }
        for h in &mut nhi.hints {
            self.apply_hint(h);
        }
        for l in nhi
            .location
            .iter_mut()
            .chain(nhi.other_locations.iter_mut())
        {
            for s in [&mut l.author_name, &mut l.author_email]
                .into_iter()
                .flatten()
            {
                self.apply(s);
            }
        }
        // Shared hints (a repository's contributors) are rewritten once per list.
        if let Some(shared) = &nhi.shared_hints {
            let key = Arc::as_ptr(shared);
            let done = shared_done.entry(key).or_insert_with(|| {
                let mut v: Vec<OwnerHint> = shared.as_ref().clone();
                for h in &mut v {
                    self.apply_hint(h);
                }
                Arc::new(v)
            });
            nhi.shared_hints = Some(done.clone());
        }
    }
}

/// One finding per secret (connector, rule, value), at its first sighting in a stable
/// order (attributes before titles and hints, then by resource and field), with the
/// owner hints of every record that holds it.
fn findings(items: &[Nhi], sightings: Vec<Sighting>) -> Vec<Nhi> {
    let mut groups: BTreeMap<(String, String, String), Vec<Sighting>> = BTreeMap::new();
    for s in sightings {
        let key = (
            items[s.item].connector.clone(),
            s.rule.id.clone(),
            s.secret.sha256_hex(),
        );
        groups.entry(key).or_default().push(s);
    }
    let mut out = Vec::new();
    for ((connector, rule_id, sha), mut group) in groups {
        group.sort_by(|a, b| {
            (a.rank, &items[a.item].resource, &a.field).cmp(&(
                b.rank,
                &items[b.item].resource,
                &b.field,
            ))
        });
        let Some(first) = group.first() else { continue };
        let parent = &items[first.item];
        let rule = &first.rule;
        let field = first.field.replace("tag:", "tag ");
        let resource = format!("{}#{}", parent.resource, first.field);
        let title = format!(
            "{} in the {field} of {} {}",
            rule.name,
            parent.kind.as_str().replace('_', " "),
            parent.resource
        );
        let mut n = Nhi::new(&connector, kind_for(&connector), resource, title);
        n.rule = Some(rule_id.clone());
        n.secret = Some(first.secret.to_ref());
        n.status = NhiStatus::Unknown;
        n.fingerprint_basis = Some(format!("metadata\0{connector}\0{rule_id}\0{sha}"));
        if let Some(jk) = &rule.join_key {
            n.add_join(JoinKey::credential(jk, first.secret.expose()));
        }
        let a = &mut n.attributes;
        a.insert("metadata_field".into(), first.field.clone());
        a.insert("parent".into(), parent.resource.clone());
        a.insert("parent_kind".into(), parent.kind.as_str().into());
        a.insert("credential".into(), rule.credential.clone());
        a.insert("unlocks".into(), rule.unlocks.clone());
        if let Some(ok) = rule.checksum_ok(first.secret.expose()) {
            n.set_checksum(ok);
            if !ok {
                n.title.push_str(crate::model::CHECKSUM_INVALID_NOTE);
            }
        }
        // Other records holding it, each at its first field (the group is sorted).
        let mut seen = HashSet::from([first.item]);
        let mut places: Vec<String> = group
            .iter()
            .filter(|s| seen.insert(s.item))
            .map(|s| format!("{}#{}", items[s.item].resource, s.field))
            .collect();
        places.sort();
        if !places.is_empty() {
            n.attributes
                .insert("also_in_total".into(), places.len().to_string());
            places.truncate(MAX_ALSO_IN);
            n.attributes.insert("also_in".into(), places.join(", "));
        }
        // Whoever the records holding it belong to knows it. A record's own account hint
        // (the IAM user, the host login) becomes access: the account holder can read
        // their own metadata, but the secret is not their account.
        let mut seen_items: Vec<usize> = group.iter().map(|s| s.item).collect();
        seen_items.sort_unstable();
        seen_items.dedup();
        for i in seen_items {
            let p = &items[i];
            for h in &p.hints {
                let signal = if h.signal == Signal::Account {
                    Signal::Access
                } else {
                    h.signal
                };
                let hint = OwnerHint::new(
                    h.identifier.clone(),
                    signal,
                    Evidence::new(
                        h.evidence.source.clone(),
                        format!("{} (holds the secret in {})", h.evidence.detail, field),
                    ),
                );
                if !n.hints.contains(&hint) {
                    n.hints.push(hint);
                }
            }
            if n.shared_hints.is_none() {
                n.shared_hints = p.shared_hints.clone();
            }
            if n.location.is_none() {
                n.location = p.location.clone();
            }
        }
        out.push(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    fn matcher() -> Matcher {
        Matcher::new(RuleSet::builtin().expect("builtin rules")).expect("matcher")
    }

    /// A GitHub classic PAT with a valid checksum, built at run time so that this file
    /// holds no token-shaped literal.
    fn ghp() -> String {
        crate::rules::with_github_checksum("ghp_", "FAKEm7q2x9Lm4Np8Rs3Tv6Wy1Zb5Cd")
    }

    #[test]
    fn secret_like_values_are_told_from_names_and_ids() {
        for s in [
            "Xk9fQ2mLp7RtZ3vBn8WcY4hJ6sDa1EgU",
            "q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3",
            "b3JkZXJfc2VjcmV0X3ZhbHVlXzIwMjQ",
        ] {
            assert!(looks_like_secret(s), "{s}");
        }
        for s in [
            "alice@acme.example",
            "alice",
            "Alice Liddell",
            "svc-deploy-production",
            "platform-team-2024",
            "team-platform-2024-q3",
            "ExclusiveStartTableName",
            "arn:aws:iam::123456789012:user/alice",
            "github:alice-dev",
            "E100234",
            "",
        ] {
            assert!(!looks_like_secret(s), "{s}");
        }
    }

    fn user(tags: &[(&str, &str)]) -> Nhi {
        let mut n = Nhi::new(
            "aws:prod",
            Kind::AwsIamUser,
            "arn:aws:iam::123456789012:user/svc-x",
            "IAM user svc-x",
        );
        n.hints.push(OwnerHint::new(
            "aws:svc-x",
            Signal::Account,
            Evidence::new("aws:iam", "IAM user arn:aws:iam::123456789012:user/svc-x"),
        ));
        for (k, v) in tags {
            n.attributes.insert(format!("tag:{k}"), v.to_string());
            if k.eq_ignore_ascii_case("createdby") {
                n.hints.push(OwnerHint::new(
                    *v,
                    Signal::OwnerTag,
                    Evidence::new("aws:iam", format!("tag {k}={v} on IAM user svc-x")),
                ));
            }
        }
        n
    }

    fn all_text(items: &[Nhi]) -> String {
        let mut s = String::new();
        for n in items {
            s.push_str(&n.title);
            s.push_str(&format!("{:?}", n.attributes));
            s.push_str(&format!("{:?}", n.hints));
        }
        s
    }

    #[test]
    fn a_rule_match_in_a_tag_is_redacted_and_becomes_a_finding() {
        let token = ghp();
        let opaque = "Xk9fQ2mLp7RtZ3vBn8WcY4hJ6sDa1EgU";
        let mut items = vec![user(&[
            ("note", &format!("token {token}")),
            ("CreatedBy", opaque),
        ])];
        let mut cov = vec![Coverage::new("aws:prod")];
        scrub(&mut items, &mut cov, &matcher(), None);
        let text = all_text(&items);
        assert!(!text.contains(&token), "{text}");
        assert!(!text.contains(opaque), "{text}");
        assert!(!text.contains(&token[4..16]), "{text}");
        assert_eq!(items.len(), 2, "{text}");
        let f = &items[1];
        assert_eq!(f.kind, Kind::SecretInMetadata);
        assert_eq!(f.resource, "arn:aws:iam::123456789012:user/svc-x#tag:note");
        assert_eq!(f.attributes["checksum"], "valid");
        let s = f.secret.as_ref().expect("secret");
        assert_eq!(s.redacted, format!("ghp_…{}", &token[token.len() - 4..]));
        assert!(items[0].attributes["tag:note"].starts_with("token ghp_…"));
        assert_eq!(items[0].attributes["tag:CreatedBy"], "Xk9f…1EgU");
        assert_eq!(items[0].hints[1].identifier, "Xk9f…1EgU");
        assert!(f
            .hints
            .iter()
            .any(|h| h.identifier == "aws:svc-x" && h.signal == Signal::Access));
        assert_eq!(f.resource, items[1].resource);
    }

    #[test]
    fn the_same_secret_twice_is_one_finding_with_the_same_id_each_run() {
        let token = ghp();
        let run = |order_flip: bool| {
            let mut a = user(&[("note", &token)]);
            let mut b = user(&[("description", &format!("{token} again"))]);
            b.resource = "arn:aws:iam::123456789012:user/svc-y".into();
            if order_flip {
                std::mem::swap(&mut a, &mut b);
            }
            let mut items = vec![a, b];
            scrub(&mut items, &mut [], &matcher(), None);
            items
        };
        let (one, two) = (run(false), run(true));
        let ids = |v: &[Nhi]| {
            v.iter()
                .filter(|n| n.kind == Kind::SecretInMetadata)
                .map(|n| (n.finding_id(), n.resource.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&one).len(), 1);
        assert_eq!(ids(&one), ids(&two));
    }

    #[test]
    fn a_resource_identifier_is_not_a_secret() {
        let mut key = Nhi::new(
            "aws:prod",
            Kind::AwsAccessKey,
            "arn:aws:iam::123456789012:user/svc-x#AKIAFAKEOFQPC3EVIX6H",
            "Access key AKIAFAKEOFQPC3EVIX6H of IAM user svc-x",
        );
        key.attributes
            .insert("access_key_id".into(), "AKIAFAKEOFQPC3EVIX6H".into());
        let mut items = vec![key];
        scrub(&mut items, &mut [], &matcher(), None);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].attributes["access_key_id"], "AKIAFAKEOFQPC3EVIX6H");
        assert!(items[0].title.contains("AKIAFAKEOFQPC3EVIX6H"));
    }

    #[test]
    fn an_owner_value_someone_in_hr_goes_by_is_kept() {
        let mut items = vec![user(&[("CreatedBy", "alice@acme.example")])];
        scrub(&mut items, &mut [], &matcher(), None);
        assert_eq!(items[0].attributes["tag:CreatedBy"], "alice@acme.example");
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn coverage_errors_are_scrubbed() {
        let token = ghp();
        let mut cov = Coverage::new("git");
        cov.error(format!("ref refs/heads/{token} points to 123: broken"));
        let mut cov = vec![cov];
        scrub(&mut Vec::new(), &mut cov, &matcher(), None);
        assert!(!cov[0].errors[0].contains(&token), "{}", cov[0].errors[0]);
    }
}
