use super::*;
use crate::hr::{Person, PersonStatus, PersonType, Risk};
use crate::model::Kind;
use std::sync::Arc;

fn person(id: &str, email: &str, name: Option<&str>, aliases: &[&str]) -> Person {
    Person {
        employee_id: id.into(),
        email: email.into(),
        name: name.map(Into::into),
        status: PersonStatus::Terminated,
        end_date: None,
        person_type: PersonType::Employee,
        manager_email: None,
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        risk: Risk::Standard,
        source: format!("roster.csv:{id}"),
        extra: Default::default(),
    }
}

/// 0 alice (aliases github:alice-dev, aws:asmith), 1 bob (no aliases),
/// 2 alice@other.example, 3 carol (listed alias `carol`).
fn dir() -> Directory {
    Directory::from_people(vec![
        person(
            "1",
            "alice@acme.example",
            Some("Alice Smith"),
            &["github:alice-dev", "aws:asmith"],
        ),
        person("2", "bob@acme.example", Some("Bob Jones"), &[]),
        person("3", "alice@other.example", Some("Alice Other"), &[]),
        person("4", "carol@acme.example", None, &["carol"]),
    ])
}

fn nhi(hints: &[(&str, Signal)]) -> Nhi {
    let mut n = Nhi::new("test", Kind::AwsIamUser, "arn:aws:iam::1:user/x", "x");
    n.hints = hints
        .iter()
        .map(|(id, s)| OwnerHint::new(*id, *s, Evidence::new("test:src", format!("saw {id}"))))
        .collect();
    n
}

fn one(hints: &[(&str, Signal)]) -> Attribution {
    let out = attribute(&nhi(hints), &dir());
    assert_eq!(out.len(), 1, "{out:#?}");
    out.into_iter().next().unwrap()
}

use Confidence::{Confirmed, Likely, Possible};

#[test]
fn every_signal_maps_to_its_relation_and_ceiling() {
    let cases = [
        (Signal::Account, Relation::Is, Confirmed),
        (Signal::CreatorField, Relation::Created, Confirmed),
        (Signal::AuditEvent, Relation::Created, Confirmed),
        (Signal::OwnerTag, Relation::Owns, Likely),
        (Signal::Codeowners, Relation::Owns, Likely),
        (Signal::CommitAuthor, Relation::Authored, Confirmed),
        (Signal::Approval, Relation::Approved, Confirmed),
        (Signal::KeyComment, Relation::HasAccess, Likely),
        (Signal::Access, Relation::HasAccess, Likely),
        (Signal::Contributor, Relation::HasAccess, Possible),
        (Signal::Naming, Relation::Owns, Possible),
    ];
    for (signal, relation, confidence) in cases {
        let a = one(&[("alice@acme.example", signal)]);
        assert_eq!(
            (a.person, a.relation, a.confidence),
            (0, relation, confidence),
            "{signal:?}"
        );
        assert_eq!(
            a.evidence,
            [Evidence::new("test:src", "saw alice@acme.example")]
        );
        assert_eq!(signal_relation(signal), (relation, confidence));
    }
}

#[test]
fn weak_match_lowers_one_step_and_says_why() {
    // Host user `bob` vs bob@acme.example's local part.
    let a = one(&[("host:bob", Signal::Account)]);
    assert_eq!(
        (a.person, a.relation, a.confidence),
        (1, Relation::Is, Likely)
    );
    assert!(
        a.evidence[0].detail.contains("matched by derived username"),
        "{}",
        a.evidence[0].detail
    );
    assert!(a.evidence[0].detail.starts_with("saw host:bob"));

    let a = one(&[("Bob Jones", Signal::CommitAuthor)]);
    assert_eq!((a.relation, a.confidence), (Relation::Authored, Likely));
    assert!(
        a.evidence[0].detail.contains("display name"),
        "{}",
        a.evidence[0].detail
    );

    let a = one(&[("bob", Signal::KeyComment)]);
    assert_eq!((a.relation, a.confidence), (Relation::HasAccess, Possible));

    let a = one(&[("bob@personal.example", Signal::CommitAuthor)]);
    assert_eq!((a.person, a.confidence), (1, Likely));
    assert!(
        a.evidence[0].detail.contains("local part"),
        "{}",
        a.evidence[0].detail
    );
}

#[test]
fn strong_identifiers_keep_the_ceiling() {
    let a = one(&[(
        "12345+alice-dev@users.noreply.github.com",
        Signal::CommitAuthor,
    )]);
    assert_eq!((a.person, a.confidence), (0, Confirmed));
    let a = one(&[("alice+ci@acme.example", Signal::CreatorField)]);
    assert_eq!(
        (a.person, a.relation, a.confidence),
        (0, Relation::Created, Confirmed)
    );
    let a = one(&[("aws:asmith", Signal::Account)]);
    assert_eq!(
        (a.person, a.relation, a.confidence),
        (0, Relation::Is, Confirmed)
    );
    let a = one(&[("host:carol", Signal::Account)]);
    assert_eq!((a.person, a.confidence), (3, Confirmed));
    let a = one(&[("carol@laptop", Signal::KeyComment)]);
    assert_eq!(
        (a.person, a.relation, a.confidence),
        (3, Relation::HasAccess, Likely)
    );
    assert_eq!(a.evidence.len(), 1);
}

#[test]
fn ambiguity_lowers_every_candidate_and_is_noted() {
    let out = attribute(&nhi(&[("alice", Signal::Account)]), &dir());
    assert_eq!(out.len(), 2, "{out:#?}");
    for a in &out {
        // Confirmed, weak (derived) → likely, ambiguous → possible.
        assert_eq!((a.relation, a.confidence), (Relation::Is, Possible));
        let note = a.evidence.last().unwrap();
        assert_eq!(note.source, ATTRIBUTION_SOURCE);
        assert_eq!(
            note.detail,
            "ambiguous: `alice` matches alice@acme.example and alice@other.example"
        );
    }
    assert_eq!(out.iter().map(|a| a.person).collect::<Vec<_>>(), [0, 2]);

    // Strong but shared by two people: confirmed → likely.
    let d = Directory::from_people(vec![
        person("1", "x@acme.example", None, &["github:sam"]),
        person("2", "y@acme.example", None, &["github:sam"]),
    ]);
    let out = attribute(&nhi(&[("github:sam", Signal::CreatorField)]), &d);
    assert!(
        out.iter()
            .all(|a| a.confidence == Likely && a.relation == Relation::Created),
        "{out:#?}"
    );
}

#[test]
fn one_entry_per_person_with_strongest_relation_and_all_evidence() {
    let a = one(&[
        ("alice@acme.example", Signal::Contributor),
        ("github:alice-dev", Signal::CommitAuthor),
        ("alice+x@acme.example", Signal::Approval),
    ]);
    assert_eq!((a.relation, a.confidence), (Relation::Authored, Confirmed));
    assert_eq!(a.evidence.len(), 3);
    assert_eq!(
        a.evidence[0].detail, "saw github:alice-dev",
        "chosen relation's evidence first"
    );

    // `is` beats `created` even at lower confidence: the relation order is the rule.
    let a = one(&[
        ("host:bob", Signal::Account),
        ("bob@acme.example", Signal::CreatorField),
    ]);
    assert_eq!((a.relation, a.confidence), (Relation::Is, Likely));
    assert_eq!(a.evidence.len(), 2);

    // Best confidence among hints of the chosen relation.
    let a = one(&[
        ("Alice Smith", Signal::OwnerTag),
        ("alice@acme.example", Signal::Codeowners),
    ]);
    assert_eq!((a.relation, a.confidence), (Relation::Owns, Likely));
}

#[test]
fn identical_evidence_is_kept_once() {
    let a = one(&[
        ("alice@acme.example", Signal::Access),
        ("alice@acme.example", Signal::Access),
    ]);
    assert_eq!(a.evidence.len(), 1);
}

#[test]
fn naming_alone_is_possible_and_corroborated_is_likely() {
    let a = one(&[("alice-dev", Signal::Naming)]);
    assert_eq!((a.relation, a.confidence), (Relation::Owns, Possible));

    let a = one(&[
        ("alice-dev", Signal::Naming),
        ("alice@acme.example", Signal::Contributor),
    ]);
    assert_eq!((a.relation, a.confidence), (Relation::Owns, Likely));
    let note = a.evidence.last().unwrap();
    assert_eq!(note.source, ATTRIBUTION_SOURCE);
    assert!(note.detail.contains("contributor"), "{}", note.detail);

    // Two naming hints are not independent of each other.
    let a = one(&[
        ("alice-dev", Signal::Naming),
        ("github:alice-dev", Signal::Naming),
    ]);
    assert_eq!(a.confidence, Possible);

    // Corroboration only counts for the same person.
    let out = attribute(
        &nhi(&[
            ("alice-dev", Signal::Naming),
            ("bob@acme.example", Signal::Contributor),
        ]),
        &dir(),
    );
    let alice = out.iter().find(|a| a.person == 0).unwrap();
    assert_eq!(alice.confidence, Possible);
}

#[test]
fn naming_hints_from_resource_names_resolve() {
    let mut n = nhi(&[]);
    n.hints = naming_hints("svc-carol-deploy", "aws:iam");
    assert_eq!(n.hints.len(), 1);
    assert_eq!(
        n.hints[0].evidence.detail,
        "name `svc-carol-deploy` contains `carol`"
    );
    let out = attribute(&n, &dir());
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].person, out[0].relation, out[0].confidence),
        (3, Relation::Owns, Possible)
    );
}

#[test]
fn shared_hints_count() {
    let mut n = nhi(&[("alice@acme.example", Signal::CommitAuthor)]);
    n.shared_hints = Some(Arc::new(vec![
        OwnerHint::new(
            "alice@acme.example",
            Signal::Contributor,
            Evidence::new("git:repo", "contributor"),
        ),
        OwnerHint::new(
            "bob@acme.example",
            Signal::Contributor,
            Evidence::new("git:repo", "contributor"),
        ),
    ]));
    let out = attribute(&n, &dir());
    assert_eq!(out.len(), 2);
    assert_eq!(
        (out[0].person, out[0].relation, out[0].confidence),
        (0, Relation::Authored, Confirmed)
    );
    assert_eq!(out[0].evidence.len(), 2);
    assert_eq!(
        (out[1].person, out[1].relation, out[1].confidence),
        (1, Relation::HasAccess, Possible)
    );
}

#[test]
fn ordering_is_confidence_then_relation_then_person() {
    let out = attribute(
        &nhi(&[
            ("bob@acme.example", Signal::Access),
            ("carol@acme.example", Signal::CreatorField),
            ("alice@acme.example", Signal::Approval),
        ]),
        &dir(),
    );
    let got: Vec<(usize, Relation)> = out.iter().map(|a| (a.person, a.relation)).collect();
    assert_eq!(
        got,
        [
            (3, Relation::Created),
            (0, Relation::Approved),
            (1, Relation::HasAccess)
        ]
    );
}

#[test]
fn unresolved_and_empty() {
    let n = nhi(&[
        ("mallory@evil.example", Signal::CreatorField),
        ("alice@acme.example", Signal::Access),
    ]);
    assert_eq!(attribute(&n, &dir()).len(), 1);
    let un = unresolved_hints(&n, &dir());
    assert_eq!(un.len(), 1);
    assert_eq!(un[0].identifier, "mallory@evil.example");
    assert!(attribute(&nhi(&[]), &dir()).is_empty());
    assert!(attribute(&n, &Directory::default()).is_empty());
}

#[test]
fn synthetic_leaver_without_roster() {
    let d = Directory::from_identifiers("alice@acme.example", &["github:alice-dev".into()]);
    let out = attribute(
        &nhi(&[(
            "12+alice-dev@users.noreply.github.com",
            Signal::CommitAuthor,
        )]),
        &d,
    );
    assert_eq!(
        (out[0].person, out[0].relation, out[0].confidence),
        (0, Relation::Authored, Confirmed)
    );
    let out = attribute(&nhi(&[("host:alice", Signal::Account)]), &d);
    assert_eq!(out[0].confidence, Likely);
}

#[test]
fn tokens_from_resource_names() {
    assert_eq!(tokens_from_name("svc-alice-deploy"), ["alice"]);
    assert_eq!(tokens_from_name("alice_ci_bot"), ["alice"]);
    assert_eq!(tokens_from_name("ci.alice"), ["alice"]);
    assert_eq!(tokens_from_name("deployAliceKey"), ["alice"]);
    assert_eq!(tokens_from_name("svc-alice01"), ["alice01", "alice"]);
    assert_eq!(
        tokens_from_name("svc-alice-smith-prod"),
        ["alice", "smith", "alice.smith", "alicesmith"]
    );
    assert_eq!(
        tokens_from_name("arn:aws:iam::123456789012:user/svc-bob-ci"),
        ["bob"]
    );
    assert!(tokens_from_name("prod-api-key-2024").is_empty());
    assert!(tokens_from_name("").is_empty());
    assert!(tokens_from_name("---").is_empty());
    assert!(name_mentions("svc-alice-deploy", "Alice"));
    assert!(!name_mentions("svc-alice-deploy", "ali"));
    assert!(!name_mentions("svc-alice-deploy", ""));
    assert!(name_mentions_email(
        "svc-alice-smith",
        "alice.smith@acme.example"
    ));
    assert!(name_mentions_email(
        "alicesmith-ci",
        "Alice.Smith+x@acme.example"
    ));
    assert!(!name_mentions_email("svc-bob", "alice@acme.example"));
}

#[test]
fn evidence_never_gains_more_than_identifiers() {
    // Hints carry no secrets; attribution only appends identifiers and roster emails.
    let a = one(&[("host:bob", Signal::Account)]);
    assert_eq!(
        a.evidence[0].detail,
        "saw host:bob (matched by derived username `bob` from bob@acme.example)"
    );
}

#[test]
fn one_account_seen_under_two_names_is_one_evidence_line() {
    // Host connectors hint `host:bob` and `bob` with the same evidence: one line, not two
    // lines that differ only in the namespace of the looked-up name.
    let mut n = nhi(&[]);
    for id in ["host:bob", "bob"] {
        n.hints.push(OwnerHint::new(
            id,
            Signal::Account,
            Evidence::new("host:passwd", "local account bob"),
        ));
    }
    let out = attribute(&n, &dir());
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].evidence.len(), 1, "{:?}", out[0].evidence);
    assert_eq!(
        out[0].evidence[0].detail,
        "local account bob (matched by derived username `bob` from bob@acme.example)"
    );
}

#[test]
fn many_candidates_are_summarised() {
    let people: Vec<Person> = (0..8)
        .map(|i| person(&i.to_string(), &format!("sam@d{i}.example"), None, &[]))
        .collect();
    let d = Directory::from_people(people);
    let out = attribute(&nhi(&[("sam", Signal::Access)]), &d);
    assert_eq!(out.len(), 8);
    let note = out[0].evidence.last().unwrap();
    assert!(note.detail.ends_with("and 3 more"), "{}", note.detail);
}

proptest::proptest! {
    #[test]
    fn attribute_never_panics_and_is_one_per_person(ids in proptest::collection::vec("\\PC{0,24}", 0..6)) {
        let d = dir();
        let hints: Vec<(&str, Signal)> = ids.iter().map(|s| (s.as_str(), Signal::Naming)).collect();
        let out = attribute(&nhi(&hints), &d);
        let mut persons: Vec<usize> = out.iter().map(|a| a.person).collect();
        persons.dedup();
        proptest::prop_assert_eq!(persons.len(), out.len());
        for s in &ids {
            let _ = tokens_from_name(s);
        }
    }
}

#[test]
fn weak_copy_of_evidence_that_also_matched_strongly_is_folded() {
    // A commit yields a hint for its author email and one for its author name, with the
    // same evidence. The email matched outright; "(matched by display name ...)" on a
    // second copy of the same sentence adds nothing.
    let mut n = nhi(&[]);
    for (id, signal) in [
        ("Alice Smith", Signal::CommitAuthor),
        ("alice@acme.example", Signal::CommitAuthor),
        ("Alice Smith", Signal::Contributor),
    ] {
        n.hints.push(OwnerHint::new(
            id,
            signal,
            Evidence::new("git:commit", "introduced in abc1234 by Alice Smith"),
        ));
    }
    n.hints.push(OwnerHint::new(
        "github:alice-dev",
        Signal::Codeowners,
        Evidence::new("git:codeowners", "CODEOWNERS line 1: * @alice-dev"),
    ));
    let out = attribute(&n, &dir());
    let a = out.iter().find(|a| a.person == 0).expect("alice");
    assert_eq!((a.relation, a.confidence), (Relation::Authored, Confirmed));
    let details: Vec<&str> = a.evidence.iter().map(|e| e.detail.as_str()).collect();
    assert_eq!(
        details,
        [
            "introduced in abc1234 by Alice Smith",
            "CODEOWNERS line 1: * @alice-dev"
        ]
    );
    // Alone, the weak match keeps its explanation.
    let weak = one(&[("Alice Smith", Signal::CommitAuthor)]);
    assert_eq!(weak.confidence, Likely);
    assert!(weak.evidence[0].detail.contains("display name"), "{weak:?}");
}

// Hint precedence (issue: attribution precision).

/// 0 alice@acme.example (leaver), 1 alice.smithson@acme.example with the alias
/// `aws:alice.smithson`, 2 bob@acme.example (active, derived username `bob`).
fn lookalikes() -> Directory {
    let mut alice = person("1", "alice@acme.example", Some("Alice Liddell"), &[]);
    alice.status = PersonStatus::Terminated;
    let mut smithson = person(
        "2",
        "alice.smithson@acme.example",
        Some("Alice Smithson"),
        &["aws:alice.smithson"],
    );
    smithson.status = PersonStatus::Active;
    let mut bob = person("3", "bob@acme.example", Some("Bob Jones"), &[]);
    bob.status = PersonStatus::Active;
    Directory::from_people(vec![alice, smithson, bob])
}

fn hints(list: &[(&str, Signal, &str)]) -> Nhi {
    let mut n = Nhi::new("test", Kind::AwsIamUser, "arn:aws:iam::1:user/x", "x");
    n.hints = list
        .iter()
        .map(|(id, s, ev)| OwnerHint::new(*id, *s, Evidence::new("test:src", *ev)))
        .collect();
    n
}

#[test]
fn an_exact_identifier_of_one_person_suppresses_a_naming_hint_towards_another() {
    let n = hints(&[
        (
            "aws:alice.smithson",
            Signal::Account,
            "IAM user alice.smithson",
        ),
        ("alice.smithson@acme.example", Signal::OwnerTag, "tag email"),
        ("alice", Signal::Naming, "name contains alice"),
        ("smithson", Signal::Naming, "name contains smithson"),
    ]);
    let out = attribute(&n, &lookalikes());
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].person, 1);
    assert_eq!(out[0].relation, Relation::Is);
}

#[test]
fn a_two_word_name_token_covers_its_parts() {
    // No exact claim at all: `alice.smithson` derives from person 1's email, and covers
    // the `alice` that would otherwise name the leaver.
    let n = hints(&[
        ("alice", Signal::Naming, "name contains alice"),
        (
            "alice.smithson",
            Signal::Naming,
            "name contains alice.smithson",
        ),
    ]);
    let out = attribute(&n, &lookalikes());
    assert!(out.iter().all(|a| a.person != 0), "{out:#?}");
    assert!(out.iter().any(|a| a.person == 1), "{out:#?}");
}

#[test]
fn an_exact_claim_keeps_another_person_s_access_hints() {
    // Bob's own account (listed email in GECOS) holds a key whose comment names alice:
    // bob's exact claim must not hide that alice can log in.
    let n = hints(&[
        ("bob@acme.example", Signal::Account, "GECOS names bob"),
        ("alice", Signal::KeyComment, "comment alice@laptop"),
    ]);
    let out = attribute(&n, &lookalikes());
    let alice = out.iter().find(|a| a.person == 0).expect("alice kept");
    assert_eq!(alice.relation, Relation::HasAccess);
}

#[test]
fn a_weak_claim_loses_to_another_person_s_exact_claim() {
    // Host account `bob` (bob's derived username) whose GECOS email is alice.smithson's.
    let n = hints(&[
        ("host:bob", Signal::Account, "account bob"),
        (
            "alice.smithson@acme.example",
            Signal::Account,
            "GECOS email",
        ),
    ]);
    let out = attribute(&n, &lookalikes());
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].person, 1);
}

#[test]
fn two_independent_weak_signals_that_agree_make_a_tie_likely() {
    // bob's key in bob's own authorized_keys (account name = derived username) with the
    // comment bob@macbook (local part = derived username).
    let n = hints(&[
        (
            "host:bob",
            Signal::OwnerTag,
            "key in bob's own authorized_keys",
        ),
        ("bob", Signal::KeyComment, "comment bob@macbook"),
    ]);
    let out = attribute(&n, &lookalikes());
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].relation, Relation::Owns);
    assert_eq!(out[0].confidence, Likely);
    assert!(out[0]
        .evidence
        .iter()
        .any(|e| e.detail.contains("independent weak signals agree")));
}

#[test]
fn one_weak_signal_stays_possible_and_two_hints_of_one_signal_are_not_two_signals() {
    let n = hints(&[("host:bob", Signal::Access, "crontab of bob")]);
    let out = attribute(&n, &lookalikes());
    assert_eq!(out[0].confidence, Possible);
    let n = hints(&[
        ("host:bob", Signal::Access, "crontab of bob"),
        ("bob", Signal::Access, "crontab of bob again"),
    ]);
    let out = attribute(&n, &lookalikes());
    assert_eq!(out[0].confidence, Possible);
}

#[test]
fn exposure_only_is_a_contributor_tie_and_nothing_else() {
    let n = hints(&[(
        "alice@acme.example",
        Signal::Contributor,
        "committed to repo",
    )]);
    let out = attribute(&n, &lookalikes());
    assert!(out[0].is_exposure_only());
    let n = hints(&[
        (
            "alice@acme.example",
            Signal::Contributor,
            "committed to repo",
        ),
        ("alice@acme.example", Signal::CommitAuthor, "introduced it"),
    ]);
    let out = attribute(&n, &lookalikes());
    assert!(!out[0].is_exposure_only());
}

/// A commit signed `Andre <andre.dang@…>`: the email names Andre Dang exactly, so the
/// author name, which is also the leaver's listed username `andre`, does not hand the
/// secret to the leaver. When the email names nobody, the name still counts.
#[test]
fn the_looser_spelling_of_an_identity_an_observation_names_exactly_cannot_name_someone_else() {
    let mut andre = person("1", "andre@acme.example", Some("Andre Dubois"), &["andre"]);
    andre.status = PersonStatus::Terminated;
    let mut dang = person(
        "2",
        "andre.dang@acme.example",
        Some("Andre Dang"),
        &["aws:andre.dang"],
    );
    dang.status = PersonStatus::Active;
    let dir = Directory::from_people(vec![andre, dang]);
    let commit = "introduced in abc by Andre <andre.dang@acme.example>";
    let n = hints(&[
        ("andre.dang@acme.example", Signal::CommitAuthor, commit),
        ("Andre", Signal::CommitAuthor, commit),
    ]);
    let out = attribute(&n, &dir);
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!((out[0].person, out[0].relation), (1, Relation::Authored));
    assert_eq!(out[0].confidence, Confirmed);

    // The email resolves to nobody: the name is the only identity there is.
    let commit = "introduced in abc by Andre <andre@laptop.local>";
    let n = hints(&[
        ("andre@laptop.local", Signal::CommitAuthor, commit),
        ("Andre", Signal::CommitAuthor, commit),
    ]);
    let out = attribute(&n, &dir);
    assert!(out.iter().any(|a| a.person == 0), "{out:#?}");

    // Separate observations are not spellings of one identity: both stay.
    let n = hints(&[
        ("andre.dang@acme.example", Signal::CommitAuthor, "commit 1"),
        ("andre", Signal::OwnerTag, "tag owner=andre"),
    ]);
    let people: Vec<usize> = attribute(&n, &dir).iter().map(|a| a.person).collect();
    assert!(people.contains(&0) && people.contains(&1), "{people:?}");
}

/// `bastion:jane.m.smith` with GECOS "Jane Smith": the account name is the other Jane's
/// email local part; the display name made of its words does not name the leaver.
#[test]
fn a_display_name_made_of_a_two_word_names_parts_does_not_name_someone_else() {
    let leaver = person("1", "jane.smith@acme.example", Some("Jane Smith"), &[]);
    let mut other = person("2", "jane.m.smith@acme.example", Some("Jane Smith"), &[]);
    other.status = PersonStatus::Active;
    let dir = Directory::from_people(vec![leaver, other]);
    let n = hints(&[
        (
            "host:jane.m.smith",
            Signal::Account,
            "account jane.m.smith on bastion",
        ),
        (
            "Jane Smith",
            Signal::Naming,
            "GECOS name of jane.m.smith is \"Jane Smith\"",
        ),
    ]);
    let people: Vec<usize> = attribute(&n, &dir).iter().map(|a| a.person).collect();
    assert_eq!(people, [1]);
}
