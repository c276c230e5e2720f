//! Evidence to owners: from an NHI's owner hints to candidate people, each with a
//! relation and a confidence in the contract's vocabulary. Pure functions over the
//! directory; knows nothing about HTTP, files or output formats.
//!
//! # Rules
//!
//! Each hint's signal gives a relation and a confidence ceiling ([`signal_relation`]):
//!
//! | signal | relation | ceiling |
//! | --- | --- | --- |
//! | `Account` | `is` | confirmed |
//! | `CreatorField`, `AuditEvent` | `created` | confirmed |
//! | `CommitAuthor` | `authored` | confirmed |
//! | `OwnerTag`, `Codeowners` | `owns` | likely |
//! | `Approval` | `approved` | confirmed |
//! | `KeyComment`, `Access` | `has_access` | likely |
//! | `Contributor` | `has_access` | possible |
//! | `Naming` | `owns` | possible |
//!
//! The confidence drops one step ([`Confidence::lower`]) when the identifier matched the
//! person only weakly (derived username, display name, same login in another namespace),
//! and one more when the hint resolves to several people (the evidence then says
//! "ambiguous: ..."). A naming convention alone stays `possible`; naming plus any other
//! signal for the same person is `likely` (contract: "naming convention plus one more
//! signal"). Each person appears once, with the strongest relation any hint supports
//! (`is` > `created` > `authored` > `owns` > `approved` > `has_access`) at the best
//! confidence that relation reached, and all the evidence that tied them.
//!
//! Evidence details come from hints, which never carry a secret value; this module only
//! adds identifiers and roster emails to them.

use crate::hr::{Directory, IdMatch, MatchBasis, MatchStrength};
use crate::model::{Confidence, Evidence, Nhi, OwnerHint, Relation, Signal};
use std::collections::{BTreeMap, HashMap};

/// The evidence `source` of notes this module adds (ambiguity, corroboration).
pub const ATTRIBUTION_SOURCE: &str = "attribution";

/// One person an NHI is tied to, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// Index into the directory's people.
    pub person: usize,
    pub relation: Relation,
    pub confidence: Confidence,
    /// Every piece of evidence that tied the NHI to this person (with ambiguity notes).
    pub evidence: Vec<Evidence>,
    /// The signals behind the chosen relation (policy tells exposure, a tie only through
    /// [`Signal::Contributor`], from ownership).
    pub signals: Vec<Signal>,
}

impl Attribution {
    /// Whether the tie is exposure only: the person could read the secret because they
    /// committed to its repository, and nothing else ties them to it.
    pub fn is_exposure_only(&self) -> bool {
        self.relation == Relation::HasAccess
            && !self.signals.is_empty()
            && self.signals.iter().all(|s| *s == Signal::Contributor)
    }
}

/// The relation a signal supports and the most confidence it can carry on its own.
pub fn signal_relation(signal: Signal) -> (Relation, Confidence) {
    match signal {
        Signal::Account => (Relation::Is, Confidence::Confirmed),
        Signal::CreatorField | Signal::AuditEvent => (Relation::Created, Confidence::Confirmed),
        Signal::CommitAuthor => (Relation::Authored, Confidence::Confirmed),
        Signal::OwnerTag | Signal::Codeowners => (Relation::Owns, Confidence::Likely),
        Signal::Approval => (Relation::Approved, Confidence::Confirmed),
        Signal::KeyComment | Signal::Access => (Relation::HasAccess, Confidence::Likely),
        Signal::Contributor => (Relation::HasAccess, Confidence::Possible),
        Signal::Naming => (Relation::Owns, Confidence::Possible),
    }
}

/// One hint's contribution to one person.
struct Contribution {
    relation: Relation,
    confidence: Confidence,
    signal: Signal,
    /// The identifier matched the person only weakly (derived username, display name,
    /// another namespace).
    weak: bool,
    /// The identifier matched several people.
    ambiguous: bool,
    /// The hint's identifier, lowercased (for naming-token coverage).
    identifier: String,
    /// Index into the person's evidence list.
    evidence: usize,
}

impl Contribution {
    /// An exact identifier of the person in a signal that states identity or ownership:
    /// an account name, a creator field, an owner tag, a commit email that the roster
    /// lists. Such a hint outranks every guess about anyone else.
    fn is_exact_claim(&self) -> bool {
        !self.weak && !self.ambiguous && is_claim_signal(self.signal)
    }
}

/// Signals that claim who the NHI is or belongs to (as opposed to who can use it, or a
/// name that merely contains a word).
fn is_claim_signal(s: Signal) -> bool {
    matches!(
        s,
        Signal::Account
            | Signal::CreatorField
            | Signal::AuditEvent
            | Signal::OwnerTag
            | Signal::Codeowners
            | Signal::CommitAuthor
            | Signal::Approval
    )
}

#[derive(Default)]
struct PersonAcc {
    contributions: Vec<Contribution>,
    evidence: Vec<Evidence>,
    /// For each evidence entry, the hint's evidence before a weak match annotated it
    /// (the same entry when it was not annotated).
    raw: Vec<Evidence>,
}

impl PersonAcc {
    fn evidence_index(&mut self, ev: Evidence) -> usize {
        let raw = ev.clone();
        self.annotated_index(ev, raw)
    }

    fn annotated_index(&mut self, ev: Evidence, raw: Evidence) -> usize {
        match self.evidence.iter().position(|e| *e == ev) {
            Some(i) => i,
            None => {
                self.evidence.push(ev);
                self.raw.push(raw);
                self.evidence.len() - 1
            }
        }
    }

    /// Drop evidence no remaining contribution refers to (after
    /// [`suppress_weaker_claims`] removed some), and the ambiguity notes when no
    /// ambiguous contribution is left.
    fn compact(&mut self) {
        let n = self.evidence.len();
        let mut used = vec![false; n];
        for c in &self.contributions {
            used[c.evidence] = true;
        }
        let any_ambiguous = self.contributions.iter().any(|c| c.ambiguous);
        for (i, e) in self.evidence.iter().enumerate() {
            if e.source == ATTRIBUTION_SOURCE && any_ambiguous {
                used[i] = true;
            }
        }
        // An unused entry has no contribution to move: it maps to nothing, so it is dropped.
        let target: Vec<usize> = (0..n)
            .map(|i| if used[i] { i } else { usize::MAX })
            .collect();
        self.merge_into(&target);
    }

    /// One connector observation often yields several hints (a commit's email and its
    /// author name; a key comment's email and the username derived from it). When one
    /// of them matched the person outright, the same sentence again with "(matched by
    /// display name ...)" says nothing new: fold the weak copy into the plain one.
    fn fold_weak_duplicates(&mut self) {
        let n = self.evidence.len();
        let plain = |j: usize| self.evidence[j] == self.raw[j];
        let target: Vec<usize> = (0..n)
            .map(|i| {
                if plain(i) {
                    return i;
                }
                (0..n)
                    .find(|&j| j != i && plain(j) && self.evidence[j] == self.raw[i])
                    .unwrap_or(i)
            })
            .collect();
        self.merge_into(&target);
    }

    /// Keep the evidence entries that map to themselves (`target[i] == i`), moving each
    /// contribution to the entry its own one maps to; entries mapping elsewhere (or to
    /// `usize::MAX`) are dropped.
    fn merge_into(&mut self, target: &[usize]) {
        if target.iter().enumerate().all(|(i, t)| i == *t) {
            return;
        }
        let mut new_index = vec![0usize; target.len()];
        let mut kept = 0;
        for (i, t) in target.iter().enumerate() {
            if *t == i {
                new_index[i] = kept;
                kept += 1;
            }
        }
        for c in &mut self.contributions {
            c.evidence = new_index[target[c.evidence]];
        }
        let mut i = 0;
        self.evidence.retain(|_| {
            i += 1;
            target[i - 1] == i - 1
        });
        let mut i = 0;
        self.raw.retain(|_| {
            i += 1;
            target[i - 1] == i - 1
        });
    }
}

/// Every person the NHI's hints resolve to, strongest tie first. A person appears once,
/// with the strongest relation the evidence supports.
///
/// Order: confidence (confirmed first), then relation rank, then directory order, so the
/// result is deterministic. Hints that resolve to nobody are skipped (see
/// [`unresolved_hints`]).
pub fn attribute(nhi: &Nhi, dir: &Directory) -> Vec<Attribution> {
    let mut acc: BTreeMap<usize, PersonAcc> = BTreeMap::new();
    let resolved: Vec<(&OwnerHint, Vec<(IdMatch, MatchBasis)>)> = nhi
        .all_hints()
        .map(|h| (h, dir.lookup_with_basis(&h.identifier)))
        .collect();
    let anchors = observation_anchors(&resolved);
    for (hint, matches) in resolved {
        let anchor = anchors
            .get(&(hint.evidence.source.as_str(), hint.evidence.detail.as_str()))
            .copied()
            .flatten();
        // Another spelling of an identity the same observation already names exactly
        // (a commit's author name next to its email): it may only agree with it.
        let matches: Vec<(IdMatch, MatchBasis)> = match anchor {
            Some(p) => matches.into_iter().filter(|(m, _)| m.person == p).collect(),
            None => matches,
        };
        if matches.is_empty() {
            continue;
        }
        let (relation, ceiling) = signal_relation(hint.signal);
        let note = (matches.len() > 1).then(|| ambiguity_note(&hint.identifier, dir, &matches));
        for (m, basis) in &matches {
            let mut confidence = ceiling;
            let raw = hint.evidence.clone();
            let mut evidence = hint.evidence.clone();
            if m.strength == MatchStrength::Weak {
                confidence = confidence.lower();
                evidence.detail = weak_detail(&evidence.detail, &hint.identifier, *basis, &m.via);
            }
            if note.is_some() {
                confidence = confidence.lower();
            }
            let p = acc.entry(m.person).or_default();
            let evidence = p.annotated_index(evidence, raw);
            p.contributions.push(Contribution {
                relation,
                confidence,
                signal: hint.signal,
                weak: m.strength == MatchStrength::Weak,
                ambiguous: note.is_some(),
                identifier: hint.identifier.trim().to_lowercase(),
                evidence,
            });
            if let Some(n) = &note {
                p.evidence_index(n.clone());
            }
        }
    }

    suppress_weaker_claims(&mut acc);
    let mut out: Vec<Attribution> = acc
        .into_iter()
        .filter_map(|(person, p)| finish(person, p))
        .collect();
    sort_strongest_first(&mut out);
    out
}

/// One observation (a commit, a key comment, a tag) often yields several identifiers of
/// one identity: an email and a display name, an email and the username derived from
/// it. When one of them names a person exactly (a listed email or alias, one person),
/// that person is who the observation is about, and the looser spellings must not hand
/// the NHI to someone else (`Andre <andre.dang@…>` is Andre Dang, not the leaver whose
/// username is `andre`). Keyed by the observation's evidence; `None` when its exact
/// matches disagree (then nothing is filtered). Naming and contributor hints are facts
/// about a name or a repository, not one identity, and anchor nothing.
type ObservationKey<'a> = (&'a str, &'a str);

fn observation_anchors<'a>(
    resolved: &[(&'a OwnerHint, Vec<(IdMatch, MatchBasis)>)],
) -> HashMap<ObservationKey<'a>, Option<usize>> {
    // Per observation: the most specific exact match so far (specificity, person), and
    // whether another person was matched as specifically.
    let mut best: HashMap<ObservationKey<'a>, (u8, Option<usize>)> = HashMap::new();
    let mut spellings: HashMap<ObservationKey<'a>, usize> = HashMap::new();
    for (h, matches) in resolved {
        if matches!(h.signal, Signal::Naming | Signal::Contributor) {
            continue;
        }
        let key = (h.evidence.source.as_str(), h.evidence.detail.as_str());
        *spellings.entry(key).or_default() += 1;
        let (exact, basis) = match matches.as_slice() {
            [(m, b)] if m.strength == MatchStrength::Strong => (m.person, *b),
            _ => continue,
        };
        let rank = specificity(basis);
        match best.get(&key).copied() {
            Some((r, _)) if r > rank => {}
            Some((r, Some(p))) if r == rank && p != exact => {
                best.insert(key, (r, None));
            }
            Some((r, _)) if r == rank => {}
            _ => {
                best.insert(key, (rank, Some(exact)));
            }
        }
    }
    // An observation with a single identifier has nothing to filter.
    best.into_iter()
        .filter(|(k, _)| spellings.get(k).copied().unwrap_or(0) > 1)
        .map(|(k, (_, p))| (k, p))
        .collect()
}

/// How specific an exact match is: an email or employee id names one person anywhere,
/// a listed alias (a username) only within the systems that use it.
fn specificity(basis: MatchBasis) -> u8 {
    match basis {
        MatchBasis::Email | MatchBasis::AliasEmail | MatchBasis::EmployeeId => 3,
        MatchBasis::Alias => 2,
        _ => 1,
    }
}

/// Attributions in the order [`attribute`] returns them: confidence (confirmed first),
/// then relation rank, then directory order. Later stages that add ties keep it.
pub fn sort_strongest_first(attrs: &mut [Attribution]) {
    attrs.sort_by(|a, b| {
        b.confidence
            .cmp(&a.confidence)
            .then(b.relation.rank().cmp(&a.relation.rank()))
            .then(a.person.cmp(&b.person))
    });
}

/// Precedence between people: an exact identifier of one person beats every guess
/// towards anyone else.
///
/// - When some person is named by an exact claim ([`Contribution::is_exact_claim`]: an
///   IAM user that is their listed `aws:` alias, an owner tag with their email, their
///   commit email), every other person loses their naming-convention hints and their
///   weak or ambiguous claims of the same kinds (`alice` in `alice.smithson` when the
///   roster lists `aws:alice.smithson` for someone else). Access hints (a key comment, a
///   trust policy, having committed to the repository) are other facts and stay.
/// - A name token that resolves exactly to someone (a listed username), or a two-word
///   token (`alice.smithson`) that resolves to someone at all, covers its parts: the
///   single words inside it no longer attribute the NHI to other people by name.
///
/// Contributions are dropped, not lowered; a person left with none is no candidate.
fn suppress_weaker_claims(acc: &mut BTreeMap<usize, PersonAcc>) {
    let exact: Vec<usize> = acc
        .iter()
        .filter(|(_, p)| p.contributions.iter().any(Contribution::is_exact_claim))
        .map(|(i, _)| *i)
        .collect();
    if !exact.is_empty() {
        for (i, p) in acc.iter_mut() {
            if exact.contains(i) {
                continue;
            }
            p.contributions.retain(|c| {
                c.signal != Signal::Naming
                    && !(is_claim_signal(c.signal) && (c.weak || c.ambiguous))
            });
        }
    }
    // Naming tokens covered by a more specific name match of someone else. A two-word
    // name (`andre.dang` in `svc-andre.dang-backup`, the account `farah.becker`, an owner
    // `alice.smithson@…`) that resolves to one person is that person, whoever its single
    // words would name: its parts no longer name anyone else. A single word that
    // resolves exactly to someone only beats weak or ambiguous readings of itself.
    // A display name made of those words (`Jane Smith` beside the account
    // `jane.m.smith` of another Jane) is covered the same way.
    let mut parts: Vec<(usize, Vec<String>)> = Vec::new();
    let mut same: Vec<(usize, String)> = Vec::new();
    for (i, p) in acc.iter() {
        for c in p
            .contributions
            .iter()
            .filter(|c| c.signal != Signal::Contributor && !c.ambiguous)
        {
            let name = name_part(&c.identifier);
            if name.contains('.') {
                let words: Vec<String> = name
                    .split('.')
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                parts.push((*i, words));
            }
            if c.signal == Signal::Naming && !c.weak {
                same.push((*i, c.identifier.clone()));
            }
        }
    }
    if !parts.is_empty() || !same.is_empty() {
        for (i, p) in acc.iter_mut() {
            p.contributions.retain(|c| {
                if c.signal != Signal::Naming {
                    return true;
                }
                let words: Vec<&str> = c
                    .identifier
                    .split(|ch: char| !ch.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect();
                let by_part = !words.is_empty()
                    && parts
                        .iter()
                        .any(|(j, set)| j != i && words.iter().all(|w| set.iter().any(|s| s == w)));
                let by_same = same
                    .iter()
                    .any(|(j, t)| j != i && *t == c.identifier && (c.weak || c.ambiguous));
                !(by_part || by_same)
            });
        }
    }
    acc.retain(|_, p| !p.contributions.is_empty());
}

/// The name inside an identifier: `alice.smithson` of `aws:alice.smithson`, of
/// `alice.smithson@acme.example` and of `host:alice.smithson`.
fn name_part(identifier: &str) -> &str {
    let s = identifier.rsplit_once(':').map_or(identifier, |(_, r)| r);
    s.split_once('@').map_or(s, |(l, _)| l)
}

/// One person's contributions → relation, confidence and ordered evidence.
fn finish(person: usize, mut p: PersonAcc) -> Option<Attribution> {
    p.compact();
    p.fold_weak_duplicates();
    // Two independent weak signals that agree (the account's own authorized_keys and a
    // key comment naming the same person; an account name and a crontab in it) make the
    // tie `likely`. Naming has its own rule below; having committed to a repository says
    // nothing about one secret in it, so neither counts here. One observation that gave
    // several hints (a comment's email and its local part) is one signal.
    let mut weak_signals: Vec<Signal> = Vec::new();
    for c in p.contributions.iter().filter(|c| {
        c.confidence == Confidence::Possible
            && !c.ambiguous
            && !matches!(c.signal, Signal::Naming | Signal::Contributor)
    }) {
        if !weak_signals.contains(&c.signal) {
            weak_signals.push(c.signal);
        }
    }
    if weak_signals.len() >= 2 {
        for c in p.contributions.iter_mut().filter(|c| {
            c.confidence == Confidence::Possible && !c.ambiguous && weak_signals.contains(&c.signal)
        }) {
            c.confidence = Confidence::Likely;
        }
        let names: Vec<&str> = weak_signals.iter().map(|s| signal_name(*s)).collect();
        p.evidence.push(Evidence::new(
            ATTRIBUTION_SOURCE,
            format!(
                "independent weak signals agree on this person ({})",
                names.join(", ")
            ),
        ));
        p.raw.push(p.evidence[p.evidence.len() - 1].clone());
    }
    // Naming is weak alone; any other signal for the same person corroborates it.
    let corroborated = p.contributions.iter().any(|c| c.signal != Signal::Naming);
    let mut naming_raised = false;
    if corroborated {
        for c in p
            .contributions
            .iter_mut()
            .filter(|c| c.signal == Signal::Naming)
        {
            if c.confidence < Confidence::Likely {
                c.confidence = Confidence::Likely;
                naming_raised = true;
            }
        }
    }
    let relation = p
        .contributions
        .iter()
        .map(|c| c.relation)
        .max_by_key(|r| r.rank())?;
    let best = p.contributions.iter().filter(|c| c.relation == relation);
    let confidence = best.clone().map(|c| c.confidence).max()?;
    let chosen_by_naming = best.clone().all(|c| c.signal == Signal::Naming);
    if naming_raised && chosen_by_naming {
        let mut others: Vec<&str> = Vec::new();
        for c in p
            .contributions
            .iter()
            .filter(|c| c.signal != Signal::Naming)
        {
            if !others.contains(&signal_name(c.signal)) {
                others.push(signal_name(c.signal));
            }
        }
        p.evidence.push(Evidence::new(
            ATTRIBUTION_SOURCE,
            format!(
                "naming convention corroborated by another signal ({})",
                others.join(", ")
            ),
        ));
    }
    // Evidence for the chosen relation first, then the rest, then this module's notes;
    // hint order within each group.
    let mut group = vec![1u8; p.evidence.len()];
    for c in p.contributions.iter().filter(|c| c.relation == relation) {
        group[c.evidence] = 0;
    }
    let mut evidence: Vec<(u8, Evidence)> = p
        .evidence
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            (
                if e.source == ATTRIBUTION_SOURCE {
                    2
                } else {
                    group[i]
                },
                e,
            )
        })
        .collect();
    evidence.sort_by_key(|(g, _)| *g);
    let evidence = evidence.into_iter().map(|(_, e)| e).collect();
    let mut signals: Vec<Signal> = Vec::new();
    for c in p.contributions.iter().filter(|c| c.relation == relation) {
        if !signals.contains(&c.signal) {
            signals.push(c.signal);
        }
    }
    Some(Attribution {
        person,
        relation,
        confidence,
        evidence,
        signals,
    })
}

fn signal_name(s: Signal) -> &'static str {
    match s {
        Signal::Account => "account",
        Signal::CreatorField => "creator field",
        Signal::AuditEvent => "audit event",
        Signal::OwnerTag => "owner tag",
        Signal::Codeowners => "CODEOWNERS",
        Signal::CommitAuthor => "commit author",
        Signal::Contributor => "contributor",
        Signal::KeyComment => "key comment",
        Signal::Naming => "naming convention",
        Signal::Approval => "approval",
        Signal::Access => "access",
    }
}

/// The evidence of a weak match says what matched what. For a derived username the
/// hint's namespace is dropped (`host:bob` and `bob` are the same username), so that two
/// hints of one account with the same evidence stay one line.
fn weak_detail(detail: &str, identifier: &str, basis: MatchBasis, via: &str) -> String {
    let ident = identifier.trim();
    match basis {
        MatchBasis::DisplayName => format!("{detail} ({}: `{ident}`)", basis.describe()),
        MatchBasis::DerivedUsername => {
            let bare = match ident.split_once(':') {
                Some((ns, v))
                    if !v.is_empty()
                        && !ns.is_empty()
                        && ns.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    v
                }
                _ => ident,
            };
            format!("{detail} ({} `{bare}` from {via})", basis.describe())
        }
        _ => format!("{detail} ({} `{via}`: `{ident}`)", basis.describe()),
    }
}

fn ambiguity_note(
    identifier: &str,
    dir: &Directory,
    matches: &[(crate::hr::IdMatch, MatchBasis)],
) -> Evidence {
    const SHOWN: usize = 5;
    let mut emails: Vec<&str> = matches
        .iter()
        .filter_map(|(m, _)| dir.people.get(m.person).map(|p| p.email.as_str()))
        .collect();
    emails.sort_unstable();
    emails.dedup();
    let list = if emails.len() > SHOWN {
        format!(
            "{} and {} more",
            emails[..SHOWN].join(", "),
            emails.len() - SHOWN
        )
    } else {
        match emails.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            Some((last, _)) => last.to_string(),
            None => String::new(),
        }
    };
    Evidence::new(
        ATTRIBUTION_SOURCE,
        format!("ambiguous: `{}` matches {list}", identifier.trim()),
    )
}

/// Hints that resolve to nobody in the directory (for sweep: shadow-IT accounts and owners
/// who were never in HR).
pub fn unresolved_hints<'a>(nhi: &'a Nhi, dir: &Directory) -> Vec<&'a OwnerHint> {
    nhi.all_hints()
        .filter(|h| dir.lookup(&h.identifier).is_empty())
        .collect()
}

/// Words that appear in resource names but never name a person.
const STOPWORDS: &[&str] = &[
    "svc",
    "service",
    "services",
    "srv",
    "bot",
    "bots",
    "ci",
    "cd",
    "cicd",
    "deploy",
    "deployer",
    "deployment",
    "deployments",
    "prod",
    "production",
    "prd",
    "dev",
    "devel",
    "develop",
    "development",
    "test",
    "tests",
    "testing",
    "qa",
    "uat",
    "stage",
    "staging",
    "stg",
    "sandbox",
    "preprod",
    "app",
    "apps",
    "application",
    "api",
    "apis",
    "key",
    "keys",
    "token",
    "tokens",
    "secret",
    "secrets",
    "cred",
    "creds",
    "credential",
    "credentials",
    "user",
    "users",
    "admin",
    "admins",
    "administrator",
    "root",
    "system",
    "sys",
    "account",
    "acct",
    "automation",
    "auto",
    "job",
    "jobs",
    "cron",
    "task",
    "tasks",
    "worker",
    "workers",
    "runner",
    "runners",
    "build",
    "builder",
    "builds",
    "release",
    "releases",
    "backup",
    "backups",
    "sync",
    "integration",
    "integrations",
    "int",
    "internal",
    "external",
    "ext",
    "read",
    "readonly",
    "ro",
    "rw",
    "write",
    "writer",
    "reader",
    "access",
    "role",
    "roles",
    "policy",
    "group",
    "aws",
    "iam",
    "gcp",
    "azure",
    "github",
    "gh",
    "gitlab",
    "git",
    "repo",
    "repos",
    "s3",
    "ec2",
    "lambda",
    "k8s",
    "kube",
    "kubernetes",
    "terraform",
    "tf",
    "ansible",
    "jenkins",
    "circleci",
    "actions",
    "action",
    "docker",
    "db",
    "database",
    "sql",
    "mysql",
    "postgres",
    "pg",
    "redis",
    "web",
    "www",
    "http",
    "https",
    "server",
    "host",
    "local",
    "localhost",
    "default",
    "temp",
    "tmp",
    "old",
    "new",
    "legacy",
    "main",
    "master",
    "primary",
    "data",
    "etl",
    "pipeline",
    "monitor",
    "monitoring",
    "metrics",
    "logs",
    "logging",
    "log",
    "alert",
    "alerts",
    "the",
    "and",
    "for",
    "ssh",
    "rsa",
    "dsa",
    "ed25519",
    "ecdsa",
    "pem",
    "pub",
    "laptop",
    "desktop",
    "workstation",
    "mac",
    "macbook",
    "arn",
    "shared",
    "team",
    "east",
    "west",
    "north",
    "south",
    "central",
    "us",
    "eu",
    "ap",
    "region",
    "global",
    "webhook",
    "hook",
    "hooks",
    "slack",
    "okta",
    "jira",
    "mail",
    "email",
    "smtp",
    "notify",
    "notifications",
    "report",
    "reports",
    "reporting",
    "sa",
    "adm",
    "ops",
    "svn",
    "ftp",
    "sftp",
    "batch",
    "agent",
    "agents",
    "cli",
    "sdk",
    "tool",
    "tools",
    "temporary",
    "personal",
    "machine",
    "node",
    "cluster",
];

fn is_stopword(t: &str) -> bool {
    STOPWORDS.contains(&t)
}

/// Split a resource name into candidate username tokens, so that connectors can emit
/// [`Signal::Naming`] hints: `svc-alice-deploy` → `alice`; `alice_ci_bot` → `alice`;
/// `ci.alice` → `alice`; `deployAliceKey` → `alice`; `svc-alice-smith` → `alice`, `smith`,
/// `alice.smith`, `alicesmith` (adjacent pairs, to meet email-derived usernames).
///
/// Splits on anything not alphanumeric and on camelCase humps, lowercases, drops common
/// infrastructure words (`STOPWORDS`: svc, bot, ci, deploy, prod, api, key, admin, ...),
/// pure numbers and tokens shorter than three characters; `alice01` also yields `alice`.
/// Deterministic order, no duplicates.
pub fn tokens_from_name(name: &str) -> Vec<String> {
    // Words in order; `None` marks a dropped word, which breaks adjacency for pairs.
    let mut pieces: Vec<Option<String>> = Vec::new();
    for chunk in name.split(|c: char| !c.is_alphanumeric()) {
        for word in split_camel(chunk) {
            let w = word.to_lowercase();
            let keep = w.chars().count() >= 3
                && !w.chars().all(|c| c.is_ascii_digit())
                && !is_stopword(&w);
            pieces.push(keep.then_some(w));
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut add = |t: String| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    for t in pieces.iter().flatten() {
        add(t.clone());
        let trimmed = t.trim_end_matches(|c: char| c.is_ascii_digit());
        if trimmed.len() >= 3 && trimmed != t && !is_stopword(trimmed) {
            add(trimmed.to_string());
        }
    }
    for w in pieces.windows(2) {
        if let [Some(a), Some(b)] = w {
            add(format!("{a}.{b}"));
            add(format!("{a}{b}"));
        }
    }
    out
}

/// `deployAliceKey` → `deploy`, `Alice`, `Key`; `HTTPServer` → `HTTP`, `Server`.
fn split_camel(s: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for k in 1..chars.len() {
        let (i, c) = chars[k];
        let prev = chars[k - 1].1;
        let next_lower = chars.get(k + 1).is_some_and(|(_, n)| n.is_lowercase());
        let boundary = (c.is_uppercase() && prev.is_lowercase())
            || (c.is_uppercase() && prev.is_uppercase() && next_lower)
            || (c.is_alphabetic() && prev.is_ascii_digit());
        if boundary {
            out.push(&s[start..i]);
            start = i;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Whether a resource name contains `username` as one of its [`tokens_from_name`]
/// (case-insensitive): `name_mentions("svc-alice-deploy", "alice")` is true.
pub fn name_mentions(name: &str, username: &str) -> bool {
    let u = username.trim().to_lowercase();
    !u.is_empty() && tokens_from_name(name).contains(&u)
}

/// Whether a resource name contains a username derived from `email` (its local part, or
/// the local part without dots): `name_mentions_email("svc-alice-smith", "alice.smith@acme.example")`
/// is true. For leaver runs that check NHI names against the subject directly.
pub fn name_mentions_email(name: &str, email: &str) -> bool {
    let tokens = tokens_from_name(name);
    crate::hr::derived_usernames(email)
        .iter()
        .any(|u| tokens.contains(u))
}

/// [`Signal::Naming`] hints for a resource name, one per token, with evidence from `source`
/// ("name `svc-alice-deploy` contains `alice`"). Connectors call this on the names they
/// list; attribution decides whether a token is anyone.
pub fn naming_hints(name: &str, source: &str) -> Vec<OwnerHint> {
    tokens_from_name(name)
        .into_iter()
        .map(|t| {
            let detail = format!("name `{name}` contains `{t}`");
            OwnerHint::new(t, Signal::Naming, Evidence::new(source, detail))
        })
        .collect()
}

#[cfg(test)]
mod tests;
