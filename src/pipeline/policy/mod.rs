//! The policy stage: which attributed NHIs become findings for each job (leaver: tied to
//! the subject; sweep: no active owner; secrets: every secret), and each finding's
//! severity and remediation. Pure: no I/O.

use crate::attribution::Attribution;
use crate::hr::{Directory, Person, Risk};
use crate::model::{
    Action, Confidence, Evidence, Finding, Kind, Nhi, NhiStatus, Relation, Remediation, Severity,
    Signal,
};
use crate::pipeline::Mode;

mod remediation;
mod severity;

use crate::hr::handover_to;
pub use remediation::remediation;
pub use severity::{base_severity, in_test_path, is_test_path};

/// Relations that make a person accountable for an NHI (has_access does not).
fn is_ownership(r: Relation) -> bool {
    matches!(
        r,
        Relation::Is | Relation::Created | Relation::Owns | Relation::Authored | Relation::Approved
    )
}

/// What the caller asked the policy to list beyond the default findings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Leaver: also list the secrets the leaver could read only because they committed to
    /// the repository (`--exposure`, `[scan] exposure = true`).
    pub exposure: bool,
    /// Sweep: also list the NHIs whose only tie is one weak signal to an active person
    /// (`--unconfirmed`).
    pub unconfirmed: bool,
}

/// The policy's result: the findings, and the counts of what was left out on purpose
/// (which the summary states, so nothing vanishes silently).
#[derive(Debug, Default)]
pub struct Selection {
    pub findings: Vec<Finding>,
    /// Sweep: NHIs with an unconfirmed active owner (listed only with `--unconfirmed`).
    pub unconfirmed: u64,
    /// Leaver: exposure-only secrets (listed only with `--exposure`).
    pub exposure: u64,
    /// NHIs that need a tie to be reported and had none, by reason.
    pub not_reported: std::collections::BTreeMap<String, u64>,
}

/// Turn attributed NHIs into findings for `mode`.
pub fn select(
    mode: Mode,
    dir: &Directory,
    subject: Option<usize>,
    attributed: Vec<(Nhi, Vec<Attribution>)>,
) -> Vec<Finding> {
    select_with(mode, dir, subject, attributed, Options::default()).findings
}

/// [`select`] with options, returning what was left out as counts.
pub fn select_with(
    mode: Mode,
    dir: &Directory,
    subject: Option<usize>,
    attributed: Vec<(Nhi, Vec<Attribution>)>,
    opts: Options,
) -> Selection {
    let mut out = Selection::default();
    for (nhi, attrs) in attributed {
        let f = match mode {
            Mode::Leaver => subject.and_then(|s| {
                let a = attrs.iter().find(|a| a.person == s)?;
                let p = dir.people.get(s)?;
                if a.is_exposure_only() {
                    out.exposure += 1;
                    return opts
                        .exposure
                        .then(|| exposure_finding(&nhi, a, p, &attrs, dir));
                }
                Some(tied(&nhi, a, p, dir))
            }),
            Mode::Sweep => match sweep_one(&nhi, &attrs, dir) {
                Sweep::Finding(f) => Some(*f),
                Sweep::Unconfirmed(f) => {
                    if let Some(reason) = nhi.tie_required {
                        *out.not_reported.entry(reason.to_string()).or_default() += 1;
                        None
                    } else {
                        out.unconfirmed += 1;
                        opts.unconfirmed.then_some(*f)
                    }
                }
                Sweep::Orphan(f) => match nhi.tie_required {
                    Some(reason) => {
                        *out.not_reported.entry(reason.to_string()).or_default() += 1;
                        None
                    }
                    None => Some(*f),
                },
                Sweep::Nothing => None,
            },
            Mode::Secrets => Some(secret_one(&nhi, &attrs, dir)),
        };
        out.findings.extend(f);
    }
    out
}

/// A secret the leaver could read because they committed to its repository: listed on
/// request, `low` (one step up for a high-risk exit), to be rotated by whoever owns it.
fn exposure_finding(
    nhi: &Nhi,
    a: &Attribution,
    p: &Person,
    attrs: &[Attribution],
    dir: &Directory,
) -> Finding {
    let mut sev = Severity::Low;
    if p.risk == Risk::High {
        sev = sev.raise();
    }
    // Who rotates it: the secret's author when active, else a CODEOWNERS owner.
    let rotator = attrs
        .iter()
        .filter(|o| o.person != a.person)
        .filter(|o| matches!(o.relation, Relation::Authored | Relation::Owns))
        .filter_map(|o| dir.people.get(o.person).map(|q| (o, q)))
        .find(|(_, q)| q.status.is_active())
        .map(|(o, q)| format!("{} ({} it)", q.email, o.relation.as_str()))
        .or_else(|| {
            nhi.location
                .as_ref()
                .and_then(|l| l.author_email.clone())
                .map(|e| format!("{e} (committed it)"))
        })
        .unwrap_or_else(|| "the owner of the system it unlocks".to_string());
    let remediation = Remediation {
        action: Action::Rotate,
        detail: format!(
            "{} could read this secret in {} (they committed to the repository). {rotator} should rotate it and update its consumers; then remove it from the repository.",
            p.email, nhi.resource
        ),
    };
    let mut evidence = a.evidence.clone();
    evidence.push(Evidence::new(
        "attribution",
        "exposure: the leaver committed to this repository; nothing ties them to this secret itself",
    ));
    finding(
        nhi,
        Some(p.email.clone()),
        Some(a.relation),
        a.confidence,
        evidence,
        sev,
        remediation,
    )
}

fn tied(nhi: &Nhi, a: &Attribution, p: &Person, dir: &Directory) -> Finding {
    let mut sev = base_severity(nhi);
    let live_for_leaver = nhi.status == NhiStatus::Active && !p.status.is_active();
    if live_for_leaver && (a.relation == Relation::Is || nhi.kind == Kind::SshAuthorizedKey) {
        // The leaver's own account, or an authorized key whose private half they hold:
        // a login that still works after they left.
        sev = sev.raise();
    }
    if p.risk == Risk::High {
        sev = sev.raise();
    }
    if a.confidence == Confidence::Possible {
        sev = sev.lower();
    }
    let remediation = remediation(nhi, Some(a.relation), handover_to(p, dir).as_deref());
    finding(
        nhi,
        Some(p.email.clone()),
        Some(a.relation),
        a.confidence,
        a.evidence.clone(),
        sev,
        remediation,
    )
}

/// Whether a tie makes the person accountable for the NHI in a sweep. Holding the private
/// half of an authorized SSH key (its comment names them) counts: the key is theirs.
fn accountable(nhi: &Nhi, a: &Attribution) -> bool {
    is_ownership(a.relation)
        || (nhi.kind == Kind::SshAuthorizedKey && a.relation == Relation::HasAccess)
}

/// Evidence naming each active accountable owner (other than `except`) as the one who
/// can act on a finding reported for someone else: rotate the secret, remove the key.
fn active_owners(
    nhi: &Nhi,
    attrs: &[Attribution],
    dir: &Directory,
    except: Option<usize>,
) -> Vec<Evidence> {
    let act = if nhi.kind == Kind::SshAuthorizedKey {
        "can remove the key"
    } else {
        "can rotate it"
    };
    attrs
        .iter()
        .filter(|o| accountable(nhi, o) && Some(o.person) != except)
        .filter_map(|o| {
            let op = dir.people.get(o.person).filter(|p| p.status.is_active())?;
            Some(Evidence::new(
                "attribution",
                format!(
                    "{} {} it ({}) and {act}",
                    op.email,
                    o.relation.as_str(),
                    o.confidence.as_str()
                ),
            ))
        })
        .collect()
}

/// What a sweep makes of one NHI.
enum Sweep {
    /// Reported: tied to someone who left, or held by someone outside.
    Finding(Box<Finding>),
    /// Only one weak signal ties it to an active person: not orphaned, not a finding by
    /// default (the summary counts it; `--unconfirmed` lists it).
    Unconfirmed(Box<Finding>),
    /// No active owner could be resolved at all.
    Orphan(Box<Finding>),
    /// An active person owns it.
    Nothing,
}

fn sweep_one(nhi: &Nhi, attrs: &[Attribution], dir: &Directory) -> Sweep {
    match sweep_decide(nhi, attrs, dir) {
        Some(s) => s,
        None => Sweep::Nothing,
    }
}

fn sweep_decide(nhi: &Nhi, attrs: &[Attribution], dir: &Directory) -> Option<Sweep> {
    let person = |a: &Attribution| dir.people.get(a.person);
    // Access a departed person still holds is reported whoever owns the NHI now: a secret
    // they committed (they know the value), or an SSH key of theirs (its comment names
    // them) authorized for an active colleague's account. Reported with the departed
    // person; the active owner is named for routing.
    // An account they can still log into (their key in its authorized_keys, a sudoers
    // runas grant) is access they hold too.
    // A departed person's own account (`is`: their listed login, their IAM user) is
    // theirs whoever else a field names as its owner or sponsor.
    let holds = |a: &Attribution| {
        a.relation == Relation::Is
            || match nhi.kind {
                Kind::SecretInRepo | Kind::SecretOnHost => a.relation == Relation::Authored,
                Kind::SshAuthorizedKey => {
                    matches!(a.relation, Relation::HasAccess | Relation::Owns)
                }
                Kind::HostAccount | Kind::HostAdmin => a.relation == Relation::HasAccess,
                _ => false,
            }
    };
    if let Some(a) = attrs.iter().find(|a| {
        holds(a)
            && a.confidence >= Confidence::Likely
            && person(a).is_some_and(|p| !p.status.is_active())
    }) {
        let p = person(a)?;
        let mut f = tied(nhi, a, p, dir);
        let role = if nhi.kind == Kind::SshAuthorizedKey {
            "key holder"
        } else {
            "author"
        };
        f.evidence.push(Evidence::new(
            "hr",
            format!("{role} {} is {} in HR", p.email, p.status.as_str()),
        ));
        let routing = active_owners(nhi, attrs, dir, Some(a.person));
        let routed = !routing.is_empty();
        f.evidence.extend(routing);
        if !routed && nhi.kind != Kind::SshAuthorizedKey {
            f.evidence.push(Evidence::new(
                "attribution",
                "no active person owns or authored it: whoever runs the system it unlocks must rotate it",
            ));
        }
        return Some(Sweep::Finding(Box::new(f)));
    }
    let has_active_owner = attrs.iter().any(|a| {
        accountable(nhi, a)
            && a.confidence >= Confidence::Likely
            && person(a).is_some_and(|p| p.status.is_active())
    });
    // A secret whose author nobody in HR is (a contractor outside HR, a personal address
    // never listed as an alias): the outsider knows the value, whoever owns it now.
    if has_active_owner && matches!(nhi.kind, Kind::SecretInRepo | Kind::SecretOnHost) {
        let authored = attrs.iter().any(|a| a.relation == Relation::Authored);
        let outsider = nhi
            .hints
            .iter()
            .filter(|h| h.signal == Signal::CommitAuthor)
            .find(|h| h.identifier.contains('@') && dir.lookup(&h.identifier).is_empty());
        if let (false, Some(h)) = (authored, outsider) {
            let mut evidence = vec![
                h.evidence.clone(),
                Evidence::new(
                    "hr",
                    format!(
                        "author {} is nobody in HR (never listed, or an alias missing from the roster)",
                        h.identifier
                    ),
                ),
            ];
            evidence.extend(active_owners(nhi, attrs, dir, None));
            return Some(Sweep::Finding(Box::new(finding(
                nhi,
                None,
                Some(Relation::Authored),
                Confidence::Confirmed,
                evidence,
                base_severity(nhi),
                remediation(nhi, Some(Relation::Authored), None),
            ))));
        }
    }
    if has_active_owner {
        return None;
    }
    // A departed owner, else a departed person who still holds access (an SSH key whose
    // comment names them in root's authorized_keys): report the tie to them, the
    // strongest one (attributions come sorted). With no active owner the NHI is reported
    // either way; a weaker access tie to someone who left (a credential in their
    // account's crontab, a role whose trust policy names their IAM user) still names the
    // one lead there is, at the confidence it has, rather than nobody.
    let departed = |a: &&Attribution| person(a).is_some_and(|p| !p.status.is_active());
    let pick = attrs
        .iter()
        .filter(departed)
        .find(|a| accountable(nhi, a))
        .or_else(|| {
            attrs
                .iter()
                .filter(departed)
                .find(|a| a.confidence >= Confidence::Likely)
        })
        .or_else(|| {
            attrs
                .iter()
                .filter(departed)
                .find(|a| !a.is_exposure_only())
        });
    if let Some(a) = pick {
        let p = person(a)?;
        let mut f = tied(nhi, a, p, dir);
        f.evidence.push(Evidence::new(
            "hr",
            format!("owner {} is {} in HR", p.email, p.status.as_str()),
        ));
        return Some(Sweep::Finding(Box::new(f)));
    }
    // A weak tie to an active person is never `orphaned`: one signal (an account named
    // like their username, a crontab in that account) is a guess to confirm, not proof
    // that nobody owns it. Exposure (having committed to the repository) is no tie here.
    // Only a tie that would make them its owner counts (or, for a credential in a host
    // file, the account it sits in): being able to log into an account is no claim to it.
    if let Some(a) = attrs.iter().find(|a| {
        !a.is_exposure_only()
            && (accountable(nhi, a)
                || nhi.kind == Kind::SecretOnHost
                // A role only an active person's principal may assume is theirs to
                // confirm, not an orphan.
                || (nhi.kind == Kind::AwsIamRole && a.relation == Relation::HasAccess))
            && person(a).is_some_and(|p| p.status.is_active())
    }) {
        let p = person(a)?;
        let mut evidence = a.evidence.clone();
        evidence.push(Evidence::new(
            "attribution",
            format!(
                "only a weak signal ties it to {} (active): confirm the owner, then record it (an owner tag, or the identifier as an alias in the roster)",
                p.email
            ),
        ));
        let mut f = finding(
            nhi,
            Some(p.email.clone()),
            Some(a.relation),
            a.confidence,
            evidence,
            Severity::Info,
            Remediation {
                action: Action::Review,
                detail: format!(
                    "Ask {} to confirm they own {}; record the owner so the next sweep resolves it.",
                    p.email, nhi.resource
                ),
            },
        );
        f.attributes
            .insert("unconfirmed_owner".into(), p.email.clone());
        return Some(Sweep::Unconfirmed(Box::new(f)));
    }
    // No active owner could be resolved at all: orphaned.
    // One evidence line per piece of evidence: a connector often offers one account under
    // several names (`host:deploy`, `deploy`), and each line lists every name it tried.
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut unmatched: Vec<(&Evidence, Vec<&str>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for h in nhi.hints.iter() {
        if !seen.insert((h.identifier.as_str(), h.evidence.detail.as_str())) {
            continue;
        }
        let resolved = dir.lookup(&h.identifier);
        if resolved.is_empty() {
            match unmatched.iter_mut().find(|(e, _)| **e == h.evidence) {
                Some((_, ids)) => ids.push(&h.identifier),
                None => unmatched.push((&h.evidence, vec![&h.identifier])),
            }
        } else {
            let names: Vec<&str> = resolved
                .iter()
                .filter_map(|m| dir.people.get(m.person).map(|p| p.email.as_str()))
                .collect();
            evidence.push(Evidence::new(
                h.evidence.source.clone(),
                format!(
                    "{} (weak or non-owning tie to {})",
                    h.evidence.detail,
                    names.join(", ")
                ),
            ));
        }
    }
    for (e, ids) in unmatched {
        let ids: Vec<String> = ids.iter().map(|i| format!("`{i}`")).collect();
        let verb = if ids.len() == 1 { "matches" } else { "match" };
        evidence.push(Evidence::new(
            e.source.clone(),
            format!("{} ({} {verb} nobody in HR)", e.detail, ids.join(", ")),
        ));
    }
    for a in attrs {
        if let Some(p) = person(a) {
            evidence.push(Evidence::new(
                "attribution",
                format!(
                    "{} {} ({}): not an accountable owner",
                    p.email,
                    a.relation.as_str(),
                    a.confidence.as_str()
                ),
            ));
        }
    }
    let tags_unread = nhi.unread.contains(&crate::model::Unread::OwnerTags);
    let confidence = if tags_unread {
        // No owner among what was read; the owner tags were not read at all.
        Confidence::Possible
    } else if nhi.hints.is_empty() {
        evidence.push(Evidence::new(
            nhi.connector.clone(),
            "no owner tag, creator, author or account name to resolve",
        ));
        Confidence::Confirmed
    } else {
        Confidence::Likely
    };
    let sev = base_severity(nhi);
    let remediation = remediation(nhi, Some(Relation::Orphaned), None);
    Some(Sweep::Orphan(Box::new(finding(
        nhi,
        None,
        Some(Relation::Orphaned),
        confidence,
        evidence,
        sev,
        remediation,
    ))))
}

fn secret_one(nhi: &Nhi, attrs: &[Attribution], dir: &Directory) -> Finding {
    let sev = base_severity(nhi);
    let author = nhi.location.as_ref().and_then(|l| l.author_email.clone());
    let authored = attrs.iter().find(|a| a.relation == Relation::Authored);
    let (owner, relation, confidence, evidence) = match (authored, author) {
        (Some(a), _) => (
            dir.people.get(a.person).map(|p| p.email.clone()),
            Some(Relation::Authored),
            a.confidence,
            a.evidence.clone(),
        ),
        (None, Some(email)) => {
            let ev: Vec<Evidence> = nhi
                .hints
                .iter()
                .filter(|h| h.identifier.eq_ignore_ascii_case(&email))
                .map(|h| h.evidence.clone())
                .take(1)
                .collect();
            (
                Some(email),
                Some(Relation::Authored),
                Confidence::Confirmed,
                ev,
            )
        }
        (None, None) => (None, None, Confidence::Possible, Vec::new()),
    };
    let remediation = remediation(nhi, relation, None);
    finding(nhi, owner, relation, confidence, evidence, sev, remediation)
}

fn finding(
    nhi: &Nhi,
    owner: Option<String>,
    relation: Option<Relation>,
    confidence: Confidence,
    evidence: Vec<Evidence>,
    severity: Severity,
    remediation: Remediation,
) -> Finding {
    let mut evidence = evidence;
    if !nhi.unread.is_empty() {
        let u: Vec<&str> = nhi
            .unread
            .iter()
            .map(crate::model::Unread::as_str)
            .collect();
        evidence.push(Evidence::new(
            nhi.connector.clone(),
            format!(
                "its {} could not be read (see coverage): owner and severity rest on what was read",
                u.join(", ")
            ),
        ));
    }
    if in_test_path(nhi) {
        evidence.push(Evidence::new(
            "policy",
            "under a test or fixture path: most likely a test value, so one severity step lower (still rotate it if it is real)",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    evidence.retain(|e| seen.insert((e.source.clone(), e.detail.clone())));
    Finding {
        id: nhi.finding_id(),
        kind: nhi.kind,
        connector: nhi.connector.clone(),
        resource: nhi.resource.clone(),
        title: nhi.title.clone(),
        owner,
        relation,
        confidence,
        evidence,
        severity,
        status: nhi.status,
        created_at: nhi.created_at,
        last_used_at: nhi.last_used_at,
        secret: nhi.secret.clone(),
        rule: nhi.rule.clone(),
        location: nhi.location.clone(),
        other_locations: nhi.other_locations.clone(),
        remediation,
        exception: None,
        attributes: nhi.attributes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_that_declares_a_low_severity_caps_its_findings() {
        let mut hash = Nhi::new("host:web-1", Kind::SecretOnHost, "web-1:/etc/x:1", "hash");
        assert_eq!(base_severity(&hash), Severity::High);
        hash.rule_severity = crate::model::rule_severity_cap(Some("low"));
        assert_eq!(base_severity(&hash), Severity::Low);
        // `high` and `critical` leave the policy's own rating alone.
        assert_eq!(crate::model::rule_severity_cap(Some("critical")), None);
        assert_eq!(crate::model::rule_severity_cap(Some("high")), None);
    }

    #[test]
    fn an_orphan_whose_owner_tags_were_not_read_is_only_possible_and_says_why() {
        let dir = Directory::from_people(Vec::new());
        let mut user = Nhi::new(
            "aws:prod",
            Kind::AwsIamUser,
            "arn:aws:iam::1:user/ci-bot",
            "IAM user ci-bot",
        );
        user.hints.push(crate::model::OwnerHint::new(
            "aws:ci-bot",
            Signal::Account,
            Evidence::new("aws:iam", "IAM user ci-bot"),
        ));
        let mut unread = user.clone();
        unread.mark_unread(&[crate::model::Unread::OwnerTags]);
        let f = select(Mode::Sweep, &dir, None, vec![(user, Vec::new())]);
        assert_eq!(f[0].confidence, Confidence::Likely);
        let f = select(Mode::Sweep, &dir, None, vec![(unread, Vec::new())]);
        assert_eq!(f[0].relation, Some(Relation::Orphaned));
        assert_eq!(f[0].confidence, Confidence::Possible);
        assert!(
            f[0].evidence
                .iter()
                .any(|e| e.detail.contains("owner tags could not be read")),
            "{:?}",
            f[0].evidence
        );
    }

    #[test]
    fn test_and_fixture_paths_are_recognised_and_real_code_is_not() {
        for p in [
            "tests/fixtures/x.env",
            "src/testdata/key.pem",
            "pkg/auth/auth_test.go",
            "app/__tests__/api.js",
            "test_settings.py",
            "web/login.spec.ts",
            "spec/models/user_spec.rb",
        ] {
            assert!(is_test_path(p), "{p}");
        }
        for p in [
            "src/config.rs",
            "contest/app.py",
            "latest/settings.py",
            "attestation.go",
        ] {
            assert!(!is_test_path(p), "{p}");
        }
    }

    #[test]
    fn access_to_a_role_is_revoked_not_transferred() {
        let role = Nhi::new(
            "aws:prod",
            Kind::AwsIamRole,
            "arn:aws:iam::1:role/break-glass",
            "role",
        );
        let r = remediation(&role, Some(Relation::HasAccess), Some("boss@acme.example"));
        assert_eq!(r.action, Action::Revoke);
        assert!(r.detail.contains("trust policy"), "{}", r.detail);
        // A role the person owns is still handed over.
        let r = remediation(&role, Some(Relation::Owns), Some("boss@acme.example"));
        assert_eq!(r.action, Action::TransferOwnership);
        assert!(r.detail.contains("boss@acme.example"), "{}", r.detail);
    }
}
