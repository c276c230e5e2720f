use super::*;
use std::io::Write;

fn write(dir: &tempfile::TempDir, name: &str, body: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    f.write_all(body).unwrap();
    p
}

fn load_str(body: &str) -> (Directory, Vec<RosterIssue>) {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(&tmp, "roster.csv", body.as_bytes());
    Directory::load(&p, &[], &ColumnMapping::default()).unwrap()
}

const ROSTER: &str = "\
employee_id,email,name,status,end_date,type,manager_email,aliases,risk
E1001,alice@acme.example,Alice Smith,terminated,2026-11-20,employee,carol@acme.example,alice;github:alice-dev;aws:asmith;alice@old.example,high
E1002,bob@acme.example,Bob Jones,active,,contractor,,github:bobby,
E1003,carol.white@acme.example,\"White, Carol\",leave,,,,,standard
E1004,dave@acme.example,Dave Smith,active,,,,okta:00U123;slack:U999,
";

fn dir() -> Directory {
    let (d, issues) = load_str(ROSTER);
    assert!(issues.is_empty(), "{issues:?}");
    d
}

fn people(d: &Directory, id: &str) -> Vec<(String, MatchStrength)> {
    d.lookup(id)
        .into_iter()
        .map(|m| (d.people[m.person].email.clone(), m.strength))
        .collect()
}

const A: &str = "alice@acme.example";
const S: MatchStrength = MatchStrength::Strong;
const W: MatchStrength = MatchStrength::Weak;

#[test]
fn loads_contract_roster() {
    let d = dir();
    assert_eq!(d.len(), 4);
    let a = &d.people[0];
    assert_eq!(a.employee_id, "E1001");
    assert_eq!(a.status, PersonStatus::Terminated);
    assert_eq!(a.end_date, NaiveDate::from_ymd_opt(2026, 11, 20));
    assert_eq!(a.risk, Risk::High);
    assert_eq!(a.manager_email.as_deref(), Some("carol@acme.example"));
    assert_eq!(a.aliases.len(), 4);
    assert!(a.source.ends_with("roster.csv:2"), "{}", a.source);
    assert_eq!(d.people[1].person_type, PersonType::Contractor);
    assert_eq!(d.people[1].risk, Risk::Standard);
    assert_eq!(d.people[2].status, PersonStatus::Leave);
    assert!(d.people[2].status.is_active());
    assert_eq!(d.people[2].name.as_deref(), Some("White, Carol"));
}

#[test]
fn bom_crlf_and_whitespace() {
    let body = "\u{feff}Employee ID , Work Email ,Status\r\n E1 , Alice@Acme.example , Active \r\n\r\nE2,bob@acme.example,terminated\r\n";
    let (d, issues) = load_str(body);
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(d.len(), 2);
    assert_eq!(d.people[0].employee_id, "E1");
    assert_eq!(d.people[0].email, "alice@acme.example");
    assert_eq!(d.people[0].status, PersonStatus::Active);
    assert!(d.people[1].source.ends_with(":4"), "{}", d.people[1].source);
}

#[test]
fn bad_rows_are_issues_with_physical_line_numbers() {
    let body = "employee_id,email,status,end_date\n\
                E1,alice@acme.example,active,\n\
                ,bob@acme.example,active,\n\
                E3,not-an-email,active,\n\
                E4,dan@acme.example,retiring,\n\
                E5,eve@acme.example,terminated,03/04/2026\n\
                E6,frank@acme.example\n\
                \"E7\",\"grace@acme.example\",\"active\",\"\"\n\
                E8,,,\n\
                E9,heidi@acme.example,active,2026-01-01\n\
                E10,Ivan,Petrov,ivan@acme.example,active\n";
    let (d, issues) = load_str(body);
    let got: Vec<(u64, &str)> = issues.iter().map(|i| (i.line, i.reason.as_str())).collect();
    assert_eq!(got.len(), 7, "{got:?}");
    assert_eq!(got[0], (3, "missing employee_id"));
    assert_eq!(got[1], (4, "invalid email `not-an-email`"));
    assert_eq!(got[2].0, 5);
    assert!(got[2].1.contains("unknown status `retiring`"));
    // An unreadable optional field is reported, but the leaver stays in the roster.
    assert_eq!(got[3].0, 6);
    assert!(got[3].1.contains("ambiguous end_date `03/04/2026`"));
    assert!(got[3].1.contains("row loaded without end_date"));
    assert_eq!(got[4], (7, "expected 4 fields, found 2 (no status)"));
    assert_eq!(got[5], (9, "missing email; missing status"));
    assert_eq!(got[6].0, 11);
    assert!(got[6].1.starts_with("expected 4 fields, found 5"));
    let ids: Vec<&str> = d.people.iter().map(|p| p.employee_id.as_str()).collect();
    assert_eq!(ids, ["E1", "E5", "E7", "E9"]);
    assert_eq!(d.people[1].end_date, None);
    assert!(issues[0]
        .to_string()
        .contains("roster.csv:3: missing employee_id"));
}

#[test]
fn real_hris_export_quirks_still_load_everyone() {
    // Excel in a decimal-comma locale: `;` separators, BOM, CRLF, a trailing separator on
    // some rows and a missing trailing cell on others, US dates, odd type/risk/manager.
    let body = "\u{feff}Employee ID;Work Email;Status;Termination Date;Worker Type;Manager Email;Risk;\r\n\
                E1;Alice@Acme.example;TERMINATED;11/20/2026;Robot;not a mail;extreme;\r\n\
                E2;bob@acme.example;Active \r\n\
                E3;carol@acme.example;on leave;;;;;\r\n\r\n";
    let (d, issues) = load_str(body);
    assert_eq!(d.len(), 3, "{issues:?}");
    let a = &d.people[0];
    assert_eq!(a.email, A);
    assert_eq!(a.status, PersonStatus::Terminated);
    assert_eq!(a.end_date, NaiveDate::from_ymd_opt(2026, 11, 20));
    assert_eq!(a.person_type, PersonType::Employee);
    assert_eq!(a.manager_email, None);
    assert_eq!(a.risk, Risk::High);
    assert_eq!(d.people[1].status, PersonStatus::Active);
    assert_eq!(d.people[2].status, PersonStatus::Leave);
    let reasons: Vec<&str> = issues.iter().map(|i| i.reason.as_str()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(issues.iter().all(|i| i.line == 2), "{issues:?}");
    assert!(reasons[0].contains("unknown type `Robot`"), "{reasons:?}");
    assert!(reasons[1].contains("unknown risk `extreme`"), "{reasons:?}");
    assert!(reasons[2].contains("invalid manager_email"), "{reasons:?}");
}

#[test]
fn roster_with_no_usable_row_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let header_only = write(&tmp, "h.csv", b"employee_id,email,status\r\n\r\n");
    let err = format!(
        "{:#}",
        Directory::load(&header_only, &[], &ColumnMapping::default()).unwrap_err()
    );
    assert!(err.contains("h.csv") && err.contains("no rows"), "{err}");
    let all_bad = write(
        &tmp,
        "b.csv",
        b"employee_id,email,status\nE1,a@acme.example,maybe\nE2,b@acme.example,\n",
    );
    let err = format!(
        "{:#}",
        Directory::load(&all_bad, &[], &ColumnMapping::default()).unwrap_err()
    );
    assert!(err.contains("all 2 rows were rejected"), "{err}");
    assert!(err.contains("b.csv:2: unknown status `maybe`"), "{err}");
    // An empty extra source (no contractors this quarter) is fine.
    let main = write(
        &tmp,
        "m.csv",
        b"employee_id,email,status\nE1,a@acme.example,active\n",
    );
    let (d, issues) = Directory::load(&main, &[header_only], &ColumnMapping::default()).unwrap();
    assert_eq!((d.len(), issues.len()), (1, 0));
}

#[test]
fn quoted_multiline_field_keeps_line_numbers_right() {
    let body = "employee_id,email,name,status\nE1,a@acme.example,\"Alice\nSmith\",active\nE2,bad,Bob,active\n";
    let (_, issues) = load_str(body);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].line, 4);
}

#[test]
fn missing_required_column_is_an_error_naming_file_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(
        &tmp,
        "hr.csv",
        b"employee_id,name,status\nE1,Alice,active\n",
    );
    let err = Directory::load(&p, &[], &ColumnMapping::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("hr.csv"), "{err}");
    assert!(err.contains("`email`"), "{err}");
}

#[test]
fn unreadable_or_empty_file_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope.csv");
    let err = format!(
        "{:#}",
        Directory::load(&missing, &[], &ColumnMapping::default()).unwrap_err()
    );
    assert!(err.contains("nope.csv"), "{err}");
    let empty = write(&tmp, "empty.csv", b"");
    assert!(Directory::load(&empty, &[], &ColumnMapping::default()).is_err());
}

#[test]
fn hris_headers_are_recognised() {
    let body = "Employee Number,Full Name,Email Address,Employment Status,Termination Date,Worker Type,Manager Email,Risk Level\n\
                1001,Alice Smith,alice@acme.example,Inactive,2026-11-20,Consultant,carol@acme.example,Elevated\n\
                1002,Bob Jones,bob@acme.example,On Leave,,Full-Time,,\n";
    let (d, issues) = load_str(body);
    assert!(issues.is_empty(), "{issues:?}");
    let a = &d.people[0];
    assert_eq!((a.employee_id.as_str(), a.email.as_str()), ("1001", A));
    assert_eq!(a.name.as_deref(), Some("Alice Smith"));
    assert_eq!(a.status, PersonStatus::Terminated);
    assert_eq!(a.end_date, NaiveDate::from_ymd_opt(2026, 11, 20));
    assert_eq!(a.person_type, PersonType::Contractor);
    assert_eq!(a.risk, Risk::High);
    assert_eq!(d.people[1].status, PersonStatus::Leave);
}

#[test]
fn first_and_last_name_are_joined() {
    let (d, _) = load_str(
        "employee_id,email,status,First Name,Last Name\nE1,alice@acme.example,active,Alice,Smith\n",
    );
    assert_eq!(d.people[0].name.as_deref(), Some("Alice Smith"));
}

#[test]
fn column_mapping_maps_contract_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(
        &tmp,
        "export.csv",
        b"Staff Ref,Login Mail,Email,HR State,Other IDs\nX1,alice@acme.example,alice@personal.example,ACTIVE,github:alice\n",
    );
    let mut m = ColumnMapping::default();
    m.columns.insert("employee_id".into(), "staff ref".into());
    m.columns.insert("email".into(), "Login Mail".into());
    m.columns.insert("status".into(), "HR State".into());
    m.columns.insert("aliases".into(), "Other IDs".into());
    let (d, issues) = Directory::load(&p, &[], &m).unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(d.people[0].employee_id, "X1");
    assert_eq!(d.people[0].email, A);
    assert_eq!(d.people[0].aliases, ["github:alice"]);

    // A mapped header that is not there, and nothing else provides the column: error.
    let mut bad = m.clone();
    bad.columns.insert("email".into(), "Work Mail".into());
    let p2 = write(
        &tmp,
        "export2.csv",
        b"Staff Ref,Login Mail,HR State\nX1,alice@acme.example,active\n",
    );
    let err = Directory::load(&p2, &[], &bad).unwrap_err().to_string();
    assert!(
        err.contains("Work Mail") && err.contains("export2.csv"),
        "{err}"
    );

    let mut unknown = ColumnMapping::default();
    unknown.columns.insert("mail".into(), "Login Mail".into());
    let err = Directory::load(&p, &[], &unknown).unwrap_err().to_string();
    assert!(err.contains("`mail`"), "{err}");
}

#[test]
fn column_mapping_deserialises_from_toml() {
    let m: ColumnMapping =
        toml::from_str("email = \"Work Email\"\nemployee_id = \"Employee Number\"").unwrap();
    assert_eq!(
        m.columns.get("email").map(String::as_str),
        Some("Work Email")
    );
    assert_eq!(m.columns.len(), 2);
}

#[test]
fn extra_sources_duplicates_and_merges() {
    let tmp = tempfile::tempdir().unwrap();
    let main = write(
        &tmp,
        "roster.csv",
        b"employee_id,email,status,aliases\nE1,alice@acme.example,terminated,alice\nE2,bob@acme.example,active,\n",
    );
    let extra = write(
        &tmp,
        "contractors.csv",
        b"employee_id,email,status,aliases,risk\n\
          E1,Alice@acme.example,terminated,github:alice-dev,high\n\
          E2,robert@acme.example,active,,\n\
          C9,bob@acme.example,active,,\n\
          C10,carl@vendor.example,active,,\n\
          C10,carl2@vendor.example,active,,\n",
    );
    let (d, issues) = Directory::load(&main, &[extra], &ColumnMapping::default()).unwrap();
    assert_eq!(d.len(), 3);
    let a = &d.people[0];
    assert_eq!(a.aliases, ["alice", "github:alice-dev"]);
    assert_eq!(a.risk, Risk::High);
    let got: Vec<(u64, &str)> = issues.iter().map(|i| (i.line, i.reason.as_str())).collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].0, 3);
    assert!(
        got[0].1.starts_with("duplicate employee_id `E2`"),
        "{}",
        got[0].1
    );
    assert_eq!(got[1].0, 4);
    assert!(got[1].1.starts_with("duplicate email"), "{}", got[1].1);
    assert_eq!(got[2].0, 6);
    assert!(issues.iter().all(|i| i.path.ends_with("contractors.csv")));
    assert_eq!(d.find("github:alice-dev"), Some(0));
}

#[test]
fn same_person_with_conflicting_status_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let main = write(
        &tmp,
        "a.csv",
        b"employee_id,email,status\nE1,alice@acme.example,active\n",
    );
    let extra = write(
        &tmp,
        "b.csv",
        b"employee_id,email,status\nE1,alice@acme.example,terminated\n",
    );
    let (d, issues) = Directory::load(&main, &[extra], &ColumnMapping::default()).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d.people[0].status, PersonStatus::Active);
    assert_eq!(issues.len(), 1);
    assert!(
        issues[0].reason.contains("conflicts"),
        "{}",
        issues[0].reason
    );
}

#[test]
fn latin1_names_are_decoded() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(
        &tmp,
        "r.csv",
        b"employee_id,email,name,status\nE1,jose@acme.example,Jos\xe9,active\n",
    );
    let (d, issues) = Directory::load(&p, &[], &ColumnMapping::default()).unwrap();
    assert!(issues.is_empty());
    assert_eq!(d.people[0].name.as_deref(), Some("José"));
}

#[test]
fn email_and_plus_addressing() {
    let d = dir();
    assert_eq!(people(&d, "alice@acme.example"), [(A.to_string(), S)]);
    assert_eq!(people(&d, "Alice+ci@ACME.example"), [(A.to_string(), S)]);
    assert_eq!(
        people(&d, "Alice Smith <alice@acme.example>"),
        [(A.to_string(), S)]
    );
    // Alias email in another domain is listed: strong.
    assert_eq!(people(&d, "alice@old.example"), [(A.to_string(), S)]);
    let m = d.lookup_with_basis("alice@old.example");
    assert_eq!(m[0].1, MatchBasis::AliasEmail);
}

#[test]
fn github_noreply_maps_to_login() {
    let d = dir();
    assert_eq!(
        people(&d, "12345+alice-dev@users.noreply.github.com"),
        [(A.to_string(), S)]
    );
    assert_eq!(
        people(&d, "alice-dev@users.noreply.github.com"),
        [(A.to_string(), S)]
    );
    assert_eq!(
        people(&d, "bobby@users.noreply.github.com"),
        [("bob@acme.example".to_string(), S)]
    );
}

#[test]
fn namespaced_identifiers() {
    let d = dir();
    assert_eq!(people(&d, "github:alice-dev"), [(A.to_string(), S)]);
    assert_eq!(people(&d, "GitHub:Alice-Dev"), [(A.to_string(), S)]);
    assert_eq!(people(&d, "aws:asmith"), [(A.to_string(), S)]);
    assert_eq!(
        people(&d, "arn:aws:iam::123456789012:user/asmith"),
        [(A.to_string(), S)]
    );
    // A bare listed alias matches in every namespace.
    assert_eq!(people(&d, "aws:alice"), [(A.to_string(), S)]);
    assert_eq!(people(&d, "host:alice"), [(A.to_string(), S)]);
    assert_eq!(
        people(&d, "okta:00u123"),
        [("dave@acme.example".to_string(), S)]
    );
    // The same login in another namespace is only a guess.
    assert_eq!(people(&d, "aws:alice-dev"), [(A.to_string(), W)]);
    assert_eq!(
        d.lookup_with_basis("aws:alice-dev")[0].1,
        MatchBasis::OtherNamespace
    );
    // Host user vs derived email local part: weak.
    assert_eq!(
        people(&d, "host:bob"),
        [("bob@acme.example".to_string(), W)]
    );
    assert_eq!(
        people(&d, "employee_id:E1002"),
        [("bob@acme.example".to_string(), S)]
    );
    assert!(d.lookup("github:nobody").is_empty());
}

#[test]
fn bare_usernames() {
    let d = dir();
    assert_eq!(people(&d, "alice"), [(A.to_string(), S)]);
    assert_eq!(people(&d, "alice-dev"), [(A.to_string(), S)]);
    assert_eq!(people(&d, "bobby"), [("bob@acme.example".to_string(), S)]);
    assert_eq!(people(&d, "bob"), [("bob@acme.example".to_string(), W)]);
    assert_eq!(d.lookup_with_basis("bob")[0].1, MatchBasis::DerivedUsername);
    assert_eq!(
        people(&d, "carol.white"),
        [("carol.white@acme.example".to_string(), W)]
    );
    assert_eq!(
        people(&d, "carolwhite"),
        [("carol.white@acme.example".to_string(), W)]
    );
    assert_eq!(people(&d, "alice@laptop"), [(A.to_string(), S)]);
    assert_eq!(
        people(&d, "bob@laptop"),
        [("bob@acme.example".to_string(), W)]
    );
    assert_eq!(
        people(&d, "ACME\\bob"),
        [("bob@acme.example".to_string(), W)]
    );
    assert!(d.lookup("mallory").is_empty());
    assert!(d.lookup("").is_empty());
    assert!(d.lookup("   ").is_empty());
}

#[test]
fn email_local_part_is_weak() {
    let d = dir();
    // Someone's personal address: the local part matches a username, weakly.
    assert_eq!(
        people(&d, "bob@gmail.example"),
        [("bob@acme.example".to_string(), W)]
    );
    assert_eq!(
        d.lookup_with_basis("bob@gmail.example")[0].1,
        MatchBasis::LocalPart
    );
    // Even a listed alias reached through a local part is only weak.
    assert_eq!(
        people(&d, "bobby@gmail.example"),
        [("bob@acme.example".to_string(), W)]
    );
    assert!(d.lookup("mallory@acme.example").is_empty());
}

#[test]
fn display_names_are_weak_and_can_be_ambiguous() {
    let d = dir();
    assert_eq!(people(&d, "Alice  Smith"), [(A.to_string(), W)]);
    assert_eq!(
        people(&d, "carol white"),
        [("carol.white@acme.example".to_string(), W)]
    );
    assert_eq!(
        people(&d, "White, Carol"),
        [("carol.white@acme.example".to_string(), W)]
    );
    assert!(d.lookup("Eve Smith").is_empty());
}

#[test]
fn strong_match_drops_weak_ones_and_ambiguity_is_reported() {
    let body = "employee_id,email,status,aliases\n\
                E1,alice@acme.example,terminated,\n\
                E2,alice@other.example,active,\n\
                E3,ally@acme.example,active,alice\n\
                E4,x@acme.example,active,github:sam\n\
                E5,y@acme.example,active,github:sam\n";
    let (d, _) = load_str(body);
    // `alice` is listed by E3: the derived `alice` of E1 and E2 is dropped.
    assert_eq!(people(&d, "alice"), [("ally@acme.example".to_string(), S)]);
    // Without a listed alias, two derived matches: ambiguous, both weak.
    assert_eq!(
        people(&d, "host:alice"),
        [("ally@acme.example".to_string(), S)],
        "bare listed alias wins for a namespaced lookup"
    );
    let both = people(&d, "alice@personal.example");
    assert_eq!(both.len(), 3, "{both:?}");
    assert!(both.iter().all(|(_, s)| *s == W));
    assert_eq!(people(&d, "github:sam").len(), 2);
    assert_eq!(d.find("github:sam"), None);
    assert_eq!(d.find_all("github:sam"), [3, 4]);
}

#[test]
fn find_by_email_id_alias() {
    let d = dir();
    assert_eq!(d.find("alice@acme.example"), Some(0));
    assert_eq!(d.find("ALICE+x@acme.example"), Some(0));
    assert_eq!(d.find("E1001"), Some(0));
    assert_eq!(d.find("e1001"), Some(0));
    assert_eq!(d.find("github:alice-dev"), Some(0));
    assert_eq!(d.find("alice-dev"), Some(0));
    assert_eq!(d.find("alice@old.example"), Some(0));
    // Weak matches are not enough to name a person on the command line.
    assert_eq!(d.find("bob"), None);
    assert_eq!(d.find("Alice Smith"), None);
    assert_eq!(d.find("nobody"), None);
    assert!(d.find_all("nobody").is_empty());
}

#[test]
fn identifiers_email_first_then_aliases_then_derived() {
    let d = dir();
    assert_eq!(
        d.identifiers(0),
        [
            "alice@acme.example",
            "alice",
            "github:alice-dev",
            "aws:asmith",
            "alice@old.example"
        ]
    );
    assert_eq!(
        d.identifiers(2),
        ["carol.white@acme.example", "carol.white", "carolwhite"]
    );
    assert!(d.identifiers(99).is_empty());
}

#[test]
fn synthetic_person_from_identifiers() {
    let d = Directory::from_identifiers(
        " Alice@Acme.example",
        &[
            "github:alice-dev".into(),
            "asmith".into(),
            "alice@acme.example".into(),
        ],
    );
    assert_eq!(d.len(), 1);
    let p = &d.people[0];
    assert_eq!(p.email, "Alice@Acme.example");
    assert_eq!(p.status, PersonStatus::Terminated);
    assert!(p.employee_id.is_empty() && p.source.is_empty());
    assert_eq!(p.aliases, ["github:alice-dev", "asmith"]);
    assert_eq!(people(&d, "alice@acme.example")[0].1, S);
    assert_eq!(people(&d, "aws:asmith")[0].1, S);
    assert_eq!(people(&d, "12+alice-dev@users.noreply.github.com")[0].1, S);
    assert_eq!(people(&d, "host:alice")[0].1, W);
    assert_eq!(d.find("asmith"), Some(0));
    assert_eq!(
        d.identifiers(0),
        ["alice@acme.example", "github:alice-dev", "asmith", "alice"]
    );

    // A bare username or a display name given on the command line is listed too.
    let u = Directory::from_identifiers("alice", &["Alice Smith".into()]);
    assert_eq!(people(&u, "host:alice")[0].1, S);
    assert_eq!(people(&u, "alice smith")[0].1, S);
    assert_eq!(u.find("alice"), Some(0));
}

#[test]
fn add_aliases_reindexes() {
    let mut d = dir();
    assert!(d.lookup("github:al1ce").is_empty());
    d.add_aliases(0, &["github:AL1CE".into(), "alice".into()]);
    assert_eq!(people(&d, "github:al1ce"), [(A.to_string(), S)]);
    assert_eq!(d.people[0].aliases.len(), 5);
    d.add_aliases(42, &["x".into()]);
}

#[test]
fn stale_index_still_answers() {
    let mut d = dir();
    let mut p = d.people[1].clone();
    p.email = "zed@acme.example".into();
    p.aliases.clear();
    d.people.push(p);
    assert_eq!(
        people(&d, "zed@acme.example"),
        [("zed@acme.example".to_string(), S)]
    );
}

#[test]
fn directory_is_sync_and_send() {
    fn assert_sync<T: Sync + Send>() {}
    assert_sync::<Directory>();
}

#[test]
fn scales_to_ten_thousand_people() {
    let mut body = String::from("employee_id,email,name,status,aliases\n");
    for i in 0..10_000 {
        body.push_str(&format!(
            "E{i},user{i}@acme.example,User {i},active,github:u{i};aws:user{i}\n"
        ));
    }
    let (d, issues) = load_str(&body);
    assert!(issues.is_empty());
    let start = std::time::Instant::now();
    let mut hits = 0usize;
    for i in 0..100_000u32 {
        let n = i % 12_000;
        let id = match i % 4 {
            0 => format!("user{n}@acme.example"),
            1 => format!("github:u{n}"),
            2 => format!("user{n}"),
            _ => format!("User {n}"),
        };
        hits += d.lookup(&id).len();
    }
    assert!(hits > 80_000, "{hits}");
    // Generous: a debug build on a busy 2-core machine; a linear scan would take minutes.
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

proptest::proptest! {
    #[test]
    fn lookup_and_find_never_panic(s in "\\PC{0,60}") {
        let d = dir();
        let _ = d.lookup(&s);
        let _ = d.find(&s);
        let _ = Directory::from_identifiers(&s, std::slice::from_ref(&s)).lookup(&s);
    }

    #[test]
    fn lookup_is_invariant_under_normalisation(s in "[A-Za-z0-9@.+:_ -]{0,30}") {
        let d = dir();
        let norm = normalize_identifier(&s);
        proptest::prop_assert_eq!(d.lookup(&s), d.lookup(&norm));
    }
}

#[test]
fn line_numbers_survive_blank_lines_and_crlf() {
    // Regression: the csv crate's own line count drifts after blank lines and with CRLF.
    for eol in ["\n", "\r\n"] {
        let body = [
            "employee_id,email,status",
            "E1,a@acme.example,active",
            "",
            "",
            "E2,bad,active",
            "E3,c@acme.example,\"act",
            "ive\"",
            "",
            "E4,bad,active",
            "",
        ]
        .join(eol);
        let (_, issues) = load_str(&body);
        let lines: Vec<u64> = issues.iter().map(|i| i.line).collect();
        // E3's quoted status spans lines 6-7 and is invalid as a whole, so each of its
        // lines is reported on its own (a multi-line row is only taken when it loads:
        // otherwise a stray quote would swallow the rows after it).
        assert_eq!(lines, [5, 6, 7, 9], "eol {eol:?}: {issues:?}");
    }
}

#[test]
fn a_stray_quote_costs_one_row_not_the_rest_of_the_file() {
    let body = "employee_id,email,status,name\n\
                E1,alice@acme.example,active,Alice\n\
                E2,\"bob@acme.example,terminated,Bob\n\
                E3,carol@acme.example,leave,Carol\n\
                E4,dan@acme.example,terminated,\"Dan\n\
                Smith\"\n\
                E5,erin@acme.example,active,Erin\n";
    let (d, issues) = load_str(body);
    let ids: Vec<&str> = d.people.iter().map(|p| p.employee_id.as_str()).collect();
    // Bob's row is lost (its quote never closes), nobody after it; a quoted value that
    // really spans two lines (Dan's name) still loads as one row.
    assert_eq!(ids, ["E1", "E3", "E4", "E5"], "{issues:?}");
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].line, 3);
    assert!(issues[0].reason.contains("unbalanced quote"), "{issues:?}");
    assert_eq!(d.people[2].name.as_deref(), Some("Dan\nSmith"));
    assert!(d.people[3].source.ends_with(":7"), "{}", d.people[3].source);
}

#[test]
fn roster_messages_never_echo_a_long_value_in_full() {
    // FAKE token pasted into cells that are reported back.
    let tok = format!("ghp_{}", "FAKE0roster0Leak0Tok0aB3dE5fG7hJk9Q");
    let body = format!(
        "employee_id,email,status,end_date,risk\n\
         E1,{tok},active,,\n\
         E2,b@acme.example,{tok},,\n\
         E3,c@acme.example,active,{tok},{tok}\n\
         E4,not-an-email,active,,\n"
    );
    let (_, issues) = load_str(&body);
    let text: String = issues.iter().map(|i| format!("{i}\n")).collect();
    assert!(!text.contains(&tok), "{text}");
    assert!(text.contains("ghp_…Jk9Q"), "{text}");
    // Short values stay readable.
    assert!(text.contains("invalid email `not-an-email`"), "{text}");
}

#[test]
fn a_utf16_roster_says_to_save_as_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.csv");
    let mut bytes = vec![0xFF, 0xFE];
    for u in "employee_id,email,status\n".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(&p, bytes).unwrap();
    let err = crate::hr::roster::read_file(&p, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("UTF-16") && err.contains("UTF-8"), "{err}");
}

/// A rehire: one email, a terminated row under the old employee id (with the old login)
/// and an active row under the new one. One person, active now, who keeps the old login.
#[test]
fn a_rehire_is_one_active_person_keeping_the_old_rows_aliases() {
    for body in [
        "employee_id,email,status,end_date,aliases\nE1,tom@acme.example,terminated,2022-01-31,tgruen1\nE9,tom@acme.example,active,,tom\n",
        "employee_id,email,status,end_date,aliases\nE9,tom@acme.example,active,,tom\nE1,tom@acme.example,terminated,2022-01-31,tgruen1\n",
    ] {
        let (d, issues) = load_str(body);
        assert_eq!(d.len(), 1, "{issues:?}");
        let p = &d.people[0];
        assert_eq!(p.status, PersonStatus::Active);
        assert_eq!(p.employee_id, "E9");
        assert!(p.aliases.iter().any(|a| a == "tgruen1"), "{:?}", p.aliases);
        assert!(issues.iter().any(|i| i.reason.starts_with("rehire:")), "{issues:?}");
        assert_eq!(people(&d, "tgruen1").len(), 1);
        // Both employee ids name the person.
        assert_eq!(d.find_all("E1"), [0]);
        assert_eq!(d.find_all("E9"), [0]);
    }
}

/// An owner tag holding HR's employee id names that person exactly.
#[test]
fn a_bare_employee_id_resolves_exactly() {
    let (d, _) = load_str(
        "employee_id,email,status\nG20289,mia@acme.example,terminated\nE2,bob@acme.example,active\n",
    );
    let m = d.lookup("G20289");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].strength, MatchStrength::Strong);
    assert!(d.lookup("bob").iter().all(|m| m.person == 1));
}
