use super::*;
use crate::model::{Confidence, Coverage, Remediation, Severity};
use crate::report::{ScanInfo, Subject, Tool};

pub(crate) fn finding(id: &str, connector: &str, resource: &str) -> Finding {
    Finding {
        id: id.into(),
        kind: Kind::AwsAccessKey,
        connector: connector.into(),
        resource: resource.into(),
        title: format!("key {id}"),
        owner: Some("alice@acme.example".into()),
        relation: Some(crate::model::Relation::Created),
        confidence: Confidence::Confirmed,
        evidence: Vec::new(),
        severity: Severity::High,
        status: NhiStatus::Active,
        created_at: None,
        last_used_at: None,
        secret: None,
        rule: None,
        location: None,
        other_locations: Vec::new(),
        remediation: Remediation {
            action: crate::model::Action::Revoke,
            detail: "revoke".into(),
        },
        exception: None,
        attributes: Default::default(),
    }
}

fn run(
    id: &str,
    at: &str,
    units: &[(&str, CoverageStatus)],
    findings: Vec<Finding>,
) -> FindingsFile {
    let mut file = FindingsFile {
        schema_version: crate::report::SCHEMA_VERSION.into(),
        tool: Tool::default(),
        scan: ScanInfo {
            id: id.into(),
            mode: "leaver".into(),
            started_at: at.into(),
            finished_at: at.into(),
            subject: Some(Subject {
                employee_id: Some("E1".into()),
                email: "alice@acme.example".into(),
                status: "terminated".into(),
                end_date: Some("2026-11-20".into()),
                risk: "standard".into(),
                identifiers: Vec::new(),
                in_roster: true,
                manager_email: None,
            }),
            warnings: Vec::new(),
        },
        coverage: units
            .iter()
            .map(|(u, s)| {
                let mut c = Coverage::new(*u);
                match s {
                    CoverageStatus::Complete => {}
                    CoverageStatus::Partial => c.error("x"),
                    CoverageStatus::Failed => c.fail("x"),
                }
                c
            })
            .collect(),
        findings,
        summary: Default::default(),
    };
    file.summarize();
    file
}

const ARN_A: &str = "arn:aws:iam::111111111111:user/alice#AKIA1";
const ARN_B: &str = "arn:aws:iam::222222222222:user/alice#AKIA2";

#[test]
fn a_finding_is_resolved_only_by_a_complete_scan_of_its_own_unit() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("state.db")).unwrap();
    let both = vec![
        finding("a", "aws:prod", ARN_A),
        finding("b", "aws:prod", ARN_B),
    ];
    let units = [
        ("aws:prod/111111111111", CoverageStatus::Complete),
        ("aws:prod/222222222222", CoverageStatus::Complete),
    ];
    let c = s
        .record_run(&run("r1", "2026-12-01T10:00:00Z", &units, both), None)
        .unwrap();
    assert_eq!(c.new, 2);
    // Both gone, but account 222 failed: only a is resolved.
    let partial = [
        ("aws:prod/111111111111", CoverageStatus::Complete),
        ("aws:prod/222222222222", CoverageStatus::Failed),
    ];
    let c = s
        .record_run(&run("r2", "2026-12-02T10:00:00Z", &partial, vec![]), None)
        .unwrap();
    assert_eq!((c.resolved, c.not_rescanned), (1, 1));
    let states: Vec<(String, String)> = s
        .findings_of_scope("leaver:alice@acme.example")
        .unwrap()
        .into_iter()
        .map(|f| (f.id, f.state))
        .collect();
    assert!(
        states.contains(&("a".into(), RESOLVED.into())),
        "{states:?}"
    );
    assert!(states.contains(&("b".into(), OPEN.into())), "{states:?}");
    // a comes back: reopened, with the timeline saying so.
    let c = s
        .record_run(
            &run(
                "r3",
                "2026-12-03T10:00:00Z",
                &units,
                vec![
                    finding("a", "aws:prod", ARN_A),
                    finding("b", "aws:prod", ARN_B),
                ],
            ),
            None,
        )
        .unwrap();
    assert_eq!((c.reopened, c.seen_again), (1, 1));
    let events: Vec<String> = s
        .history("a")
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(events, ["first_seen", "resolved", "reopened"]);
}

#[test]
fn a_secret_in_history_needs_an_inactive_credential_or_a_sign_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("state.db")).unwrap();
    let mut f = finding("h", "git", "api@abc:config/prod.env:2");
    f.kind = Kind::SecretInRepo;
    f.location = Some(crate::model::Location {
        repo: Some("api".into()),
        path: "config/prod.env".into(),
        line: 2,
        in_head: false,
        ..Default::default()
    });
    let units = [("git", CoverageStatus::Complete)];
    s.record_run(
        &run("r1", "2026-12-01T10:00:00Z", &units, vec![f.clone()]),
        None,
    )
    .unwrap();
    // Absent from a complete scan (say, the repository was rewritten): still open.
    let c = s
        .record_run(&run("r2", "2026-12-02T10:00:00Z", &units, vec![]), None)
        .unwrap();
    assert_eq!(c.resolved, 0);
    // The credential it joins to is now inactive: verified.
    f.status = NhiStatus::Inactive;
    let c = s
        .record_run(&run("r3", "2026-12-03T10:00:00Z", &units, vec![f]), None)
        .unwrap();
    assert_eq!(c.verified, 1);
}

#[test]
fn a_file_that_is_not_a_store_is_an_error_naming_it_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("state.db");
    std::fs::write(&p, b"this is not a database, it is a findings file\n").unwrap();
    let e = format!("{:#}", Store::open(&p).err().expect("error"));
    assert!(e.contains("state.db"), "{e}");
    assert_eq!(
        std::fs::read(&p).unwrap(),
        b"this is not a database, it is a findings file\n"
    );
    // An SQLite file of something else.
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x);")
        .unwrap();
    let e = format!("{:#}", Store::open(&other).err().expect("error"));
    assert!(e.contains("not an nhiscan state store"), "{e}");
}

#[cfg(unix)]
#[test]
fn the_store_is_private_and_reopens_at_the_same_schema() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("state.db");
    drop(Store::open(&p).unwrap());
    let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let s = Store::open(&p).unwrap();
    let v: String = s
        .conn
        .query_row(
            "SELECT value FROM nhiscan_meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(v, MIGRATIONS.len().to_string());
}

#[test]
fn cases_are_one_per_person_and_close_only_when_everything_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("state.db")).unwrap();
    let now: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
    let new = NewCase {
        email: "alice@acme.example",
        employee_id: "E1",
        name: Some("Alice"),
        risk: "standard",
        end_date: Some("2026-11-20"),
        manager_email: Some("carol@acme.example"),
        source: "roster",
        opened_at: now,
        due_at: now + chrono::Duration::hours(24),
    };
    let apps = vec![("Payroll".to_string(), "fin@acme.example".to_string(), None)];
    let (case, created) = s.open_case(&new, &apps).unwrap();
    assert!(created);
    let (again, created) = s.open_case(&new, &apps).unwrap();
    assert!(!created);
    assert_eq!(case.id, again.id);
    let units = [("aws:prod", CoverageStatus::Complete)];
    s.record_run(
        &run(
            "r1",
            "2026-12-01T11:00:00Z",
            &units,
            vec![finding("k", "aws:prod", ARN_A)],
        ),
        Some(case.id),
    )
    .unwrap();
    assert!(!s.close_if_done(&case, now).unwrap());
    s.signoff(case.id, "k", "sec@acme.example", Some("rotated"), now)
        .unwrap();
    assert!(
        !s.close_if_done(&case, now).unwrap(),
        "the app is not signed off"
    );
    assert!(s
        .signoff(case.id, "Slack", "x@acme.example", None, now)
        .is_err());
    s.signoff(case.id, "Payroll", "fin@acme.example", None, now)
        .unwrap();
    assert!(s.close_if_done(&case, now).unwrap());
}

#[test]
fn an_event_id_is_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("state.db")).unwrap();
    let now = Utc::now();
    assert!(s.record_event("ev-1", "scim", "{}", now).unwrap());
    assert!(!s.record_event("ev-1", "scim", "{}", now).unwrap());
    assert_eq!(s.pending_events().unwrap().len(), 1);
    s.mark_event_processed("ev-1", None, now).unwrap();
    assert!(s.pending_events().unwrap().is_empty());
}
