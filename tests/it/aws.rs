//! Integration tests: the `aws` connector against moto, a real AWS emulator, on
//! 127.0.0.1 (started per test from `.venv`, installed by `scripts/moto.sh`).
//!
//! moto records no API calls as CloudTrail events and answers LookupEvents with HTTP 500,
//! so the CloudTrail tests run against `tests/moto/launch.py`, which patches moto's
//! LookupEvents handler to replay recorded responses (`tests/moto/cloudtrail_events.json`,
//! shaped like real AWS LookupEvents output). Everything else is moto's own behaviour.

use crate::moto::{root, Moto};
use nhiscan::connectors::aws::{AwsConfig, AwsConnector};
use nhiscan::connectors::{Connector, Limits, Mode, PathAllowlist, Progress, ScanContext, Sink};
use nhiscan::model::{Coverage, CoverageStatus, Kind, Nhi, NhiStatus, Signal};
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// moto's own fake credentials for the in-process connector (the default chain reads
/// the environment first). Every test sets the same values, so the races are benign.
fn fake_aws_env() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    });
}

#[derive(Default)]
struct Collect(Mutex<Vec<Nhi>>);

impl Sink for Collect {
    fn emit(&self, nhi: Nhi) {
        self.0.lock().expect("lock").push(nhi);
    }
}

fn scan(cfg_toml: &str) -> (Vec<Nhi>, Vec<Coverage>) {
    scan_with(cfg_toml, &Progress::default())
}

fn scan_with(cfg_toml: &str, progress: &Progress) -> (Vec<Nhi>, Vec<Coverage>) {
    fake_aws_env();
    let cfg: AwsConfig = toml::from_str(cfg_toml).expect("aws config");
    let conn = AwsConnector::new(&cfg, Path::new(".")).expect("connector");
    let matcher =
        nhiscan::matcher::Matcher::new(nhiscan::rules::RuleSet::default()).expect("matcher");
    let allow = PathAllowlist::default();
    let ctx = ScanContext {
        matcher: &matcher,
        progress,
        mode: Mode::Leaver,
        limits: Limits::default(),
        allow_paths: &allow,
    };
    let sink = Collect::default();
    let cov = conn.scan(&ctx, &sink);
    let mut nhis = sink.0.into_inner().expect("lock");
    nhis.sort_by(|a, b| a.resource.cmp(&b.resource));
    (nhis, cov)
}

fn find<'a>(nhis: &'a [Nhi], resource: &str) -> &'a Nhi {
    nhis.iter()
        .find(|n| n.resource == resource)
        .unwrap_or_else(|| {
            let all: Vec<_> = nhis.iter().map(|n| n.resource.as_str()).collect();
            panic!("no NHI {resource}; have {all:#?}")
        })
}

fn has_hint(n: &Nhi, signal: Signal, id: &str) -> bool {
    n.hints
        .iter()
        .any(|h| h.signal == signal && h.identifier == id)
}

const ACCT: &str = "123456789012";

fn user_arn(acct: &str, name: &str) -> String {
    format!("arn:aws:iam::{acct}:user/{name}")
}

#[test]
fn moto_inventory_users_keys_roles_and_hints() {
    let moto = Moto::start(&[]);
    let ids = moto.seed(&["basic"]);
    let (nhis, cov) = scan(&format!(
        "name = \"test\"\nendpoint_url = \"{}\"\n",
        moto.endpoint()
    ));

    // moto answers ListServiceSpecificCredentials with HTTP 500: a named, partial gap.
    assert_eq!(cov.len(), 1, "{cov:#?}");
    assert_eq!(cov[0].connector, "aws:test");
    assert_eq!(cov[0].status, CoverageStatus::Partial, "{cov:#?}");
    assert_eq!(cov[0].errors.len(), 1, "{:#?}", cov[0].errors);
    assert!(
        cov[0].errors[0].contains("iam:ListServiceSpecificCredentials"),
        "{}",
        cov[0].errors[0]
    );
    assert!(cov[0].errors[0].contains(ACCT), "{}", cov[0].errors[0]);
    assert_eq!(cov[0].items_scanned, nhis.len() as u64);
    assert!(nhis.iter().all(|n| n.connector == "aws:test"));

    let alice = find(&nhis, &user_arn(ACCT, "alice"));
    assert_eq!(alice.kind, Kind::AwsIamUser);
    assert!(
        has_hint(alice, Signal::Account, "aws:alice") && has_hint(alice, Signal::Account, "alice")
    );
    assert_eq!(alice.status, NhiStatus::Active);
    assert!(alice.privileged);
    assert_eq!(alice.attributes["console_access"], "true");
    assert_eq!(alice.attributes["groups"], "admins");
    assert!(
        alice.attributes["admin_via"].contains("group admins"),
        "{:?}",
        alice.attributes
    );

    let active_id = ids["alice_active"].as_str().expect("id");
    let key = find(&nhis, &format!("{}#{active_id}", user_arn(ACCT, "alice")));
    assert_eq!(key.kind, Kind::AwsAccessKey);
    assert_eq!(key.status, NhiStatus::Active);
    assert!(key.created_at.is_some());
    assert!(
        key.last_used_at.is_some(),
        "seed signed a request with this key"
    );
    assert!(key.privileged);
    assert!(has_hint(key, Signal::CreatorField, "aws:alice"));
    assert_eq!(
        key.join_keys,
        vec![nhiscan::model::JoinKey::aws_access_key_id(active_id)]
    );
    let inactive = find(
        &nhis,
        &format!(
            "{}#{}",
            user_arn(ACCT, "alice"),
            ids["alice_inactive"].as_str().expect("id")
        ),
    );
    assert_eq!(inactive.status, NhiStatus::Inactive);
    assert_eq!(inactive.last_used_at, None);

    let ssh = find(
        &nhis,
        &format!(
            "{}#ssh:{}",
            user_arn(ACCT, "alice"),
            ids["alice_ssh"].as_str().expect("id")
        ),
    );
    assert_eq!(ssh.kind, Kind::AwsSshKey);
    assert!(has_hint(ssh, Signal::CreatorField, "aws:alice"));

    let svc = find(&nhis, &user_arn(ACCT, "svc-deploy"));
    assert!(has_hint(svc, Signal::OwnerTag, "alice@acme.example"));
    assert_eq!(svc.attributes["service_like_name"], "true");
    assert!(
        has_hint(svc, Signal::Naming, "platform"),
        "team tag is a weaker label"
    );
    assert!(!svc.privileged);
    assert_eq!(svc.attributes["console_access"], "false");
    let svc_key = find(
        &nhis,
        &format!(
            "{}#{}",
            user_arn(ACCT, "svc-deploy"),
            ids["svc_deploy_key"].as_str().expect("id")
        ),
    );
    assert!(has_hint(svc_key, Signal::OwnerTag, "alice@acme.example"));
    assert!(has_hint(svc_key, Signal::CreatorField, "aws:svc-deploy"));

    let bob = find(&nhis, &user_arn(ACCT, "bob"));
    assert!(bob.privileged, "customer-managed policy allowing * on *");
    assert!(bob.attributes["admin_via"].contains("power-user"));
    assert!(has_hint(bob, Signal::OwnerTag, "bob@acme.example"));

    let orphan = find(&nhis, &user_arn(ACCT, "orphan-bot"));
    assert_eq!(
        orphan.status,
        NhiStatus::Inactive,
        "no console password, only an inactive key"
    );
    assert!(!orphan.hints.iter().any(|h| h.signal == Signal::OwnerTag));

    let deployer = find(&nhis, &format!("arn:aws:iam::{ACCT}:role/deployer"));
    assert_eq!(deployer.kind, Kind::AwsIamRole);
    assert!(has_hint(deployer, Signal::Access, "aws:alice"));
    assert!(has_hint(deployer, Signal::OwnerTag, "alice@acme.example"));
    assert!(deployer.privileged);
    assert_eq!(
        deployer.attributes["trusted_principals"],
        user_arn(ACCT, "alice")
    );
    find(&nhis, &format!("arn:aws:iam::{ACCT}:role/ci-runner"));
    assert!(
        !nhis
            .iter()
            .any(|n| n.resource.contains("AWSServiceRoleForSupport")),
        "service-linked roles skipped"
    );

    // Same ids twice.
    let (again, _) = scan(&format!(
        "name = \"test\"\nendpoint_url = \"{}\"\n",
        moto.endpoint()
    ));
    let ids1: Vec<_> = nhis.iter().map(Nhi::finding_id).collect();
    let ids2: Vec<_> = again.iter().map(Nhi::finding_id).collect();
    assert_eq!(ids1, ids2);
}

/// Writes the recorded LookupEvents fixture with this run's account and key ids.
fn write_cloudtrail_fixture(path: &Path, account: &str, svc_key: &str) {
    let template =
        std::fs::read_to_string(root().join("tests/moto/cloudtrail_events.json")).expect("fixture");
    let text = template
        .replace("{{ACCOUNT}}", account)
        .replace("{{SVC_DEPLOY_KEY}}", svc_key);
    std::fs::write(path, text).expect("write fixture");
}

#[test]
fn moto_cloudtrail_recorded_events_become_audit_hints() {
    // Recorded CloudTrail responses, served by launch.py's patched LookupEvents.
    let dir = tempfile::tempdir().expect("tmp");
    let fixture = dir.path().join("events.json");
    let fixture_s = fixture.to_string_lossy().to_string();
    let moto = Moto::start(&[
        ("NHISCAN_CLOUDTRAIL_FIXTURE", &fixture_s),
        ("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1"),
    ]);
    let ids = moto.seed(&["basic"]);
    let svc_key = ids["svc_deploy_key"].as_str().expect("id");
    write_cloudtrail_fixture(&fixture, ACCT, svc_key);
    let (nhis, cov) = scan(&format!(
        "name = \"test\"\nendpoint_url = \"{}\"\n",
        moto.endpoint()
    ));

    assert_eq!(cov.len(), 1);
    assert_eq!(cov[0].status, CoverageStatus::Complete, "{cov:#?}");
    let key = find(
        &nhis,
        &format!("{}#{svc_key}", user_arn(ACCT, "svc-deploy")),
    );
    let audit: Vec<_> = key
        .hints
        .iter()
        .filter(|h| h.signal == Signal::AuditEvent)
        .collect();
    assert_eq!(audit.len(), 1, "{:#?}", key.hints);
    assert_eq!(audit[0].identifier, "aws:alice");
    assert_eq!(audit[0].evidence.source, "aws:cloudtrail");
    assert!(
        audit[0].evidence.detail.contains("CreateAccessKey"),
        "{}",
        audit[0].evidence.detail
    );
    assert!(has_hint(
        find(&nhis, &user_arn(ACCT, "svc-deploy")),
        Signal::AuditEvent,
        "aws:alice"
    ));
    // IAM Identity Center session: the session name (the person's email) is the caller.
    let role = find(&nhis, &format!("arn:aws:iam::{ACCT}:role/deployer"));
    assert!(
        has_hint(role, Signal::AuditEvent, "alice@acme.example"),
        "{:#?}",
        role.hints
    );
    assert!(
        has_hint(
            find(&nhis, &user_arn(ACCT, "bob")),
            Signal::AuditEvent,
            "aws:alice"
        ),
        "CreateLoginProfile"
    );
    // Root created orphan-bot: no person to name.
    assert!(!find(&nhis, &user_arn(ACCT, "orphan-bot"))
        .hints
        .iter()
        .any(|h| h.signal == Signal::AuditEvent));
}

#[test]
fn moto_cloudtrail_denied_is_a_partial_scan_not_a_failure() {
    let dir = tempfile::tempdir().expect("tmp");
    let fixture = dir.path().join("events.json");
    std::fs::write(&fixture, r#"{"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform cloudtrail:LookupEvents"}}"#)
        .expect("write");
    let fixture_s = fixture.to_string_lossy().to_string();
    let moto = Moto::start(&[
        ("NHISCAN_CLOUDTRAIL_FIXTURE", &fixture_s),
        ("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1"),
    ]);
    moto.seed(&["basic"]);
    let (nhis, cov) = scan(&format!(
        "name = \"test\"\nendpoint_url = \"{}\"\n",
        moto.endpoint()
    ));
    assert_eq!(cov[0].status, CoverageStatus::Partial, "{cov:#?}");
    assert_eq!(cov[0].errors.len(), 1, "{:#?}", cov[0].errors);
    assert!(
        cov[0].errors[0].contains("cloudtrail:LookupEvents denied"),
        "{}",
        cov[0].errors[0]
    );
    assert!(
        nhis.iter().any(|n| n.kind == Kind::AwsAccessKey),
        "IAM inventory still emitted"
    );
}

#[test]
fn unreachable_endpoint_fails_with_a_clear_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let (nhis, cov) = scan(&format!(
        "name = \"down\"\nendpoint_url = \"http://127.0.0.1:{port}\"\n"
    ));
    assert!(nhis.is_empty());
    assert_eq!(cov.len(), 1);
    assert_eq!(cov[0].connector, "aws:down");
    assert_eq!(cov[0].status, CoverageStatus::Failed);
    let err = cov[0].errors.join("\n");
    assert!(
        err.contains("sts:GetCallerIdentity") && err.contains("cannot reach AWS"),
        "{err}"
    );
    assert!(!err.contains("testing"), "no credential in errors: {err}");
}

#[test]
fn moto_multi_account_one_denied_others_complete() {
    let moto = Moto::start(&[
        ("NHISCAN_DENY_ASSUME_ACCOUNTS", "333333333333"),
        ("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1"),
    ]);
    // moto keeps separate IAM state per account id; seed 222222222222 through AssumeRole.
    moto.seed(&["basic", "--account", "222222222222"]);
    let (nhis, cov) = scan(&format!(
        "name = \"test\"\nendpoint_url = \"{}\"\naccounts = [\"222222222222\", \"333333333333\"]\n\
         assume_role = \"arn:aws:iam::{{account}}:role/nhiscan-readonly\"\nconcurrency = 2\n",
        moto.endpoint()
    ));
    let by: std::collections::BTreeMap<_, _> =
        cov.iter().map(|c| (c.connector.as_str(), c)).collect();
    assert_eq!(by.len(), 2, "{cov:#?}");
    let ok = by["aws:test/222222222222"];
    assert_eq!(ok.status, CoverageStatus::Complete, "{ok:#?}");
    assert!(ok.items_scanned > 5);
    let denied = by["aws:test/333333333333"];
    assert_eq!(denied.status, CoverageStatus::Failed);
    assert!(
        denied.errors[0].contains("sts:AssumeRole") && denied.errors[0].contains("333333333333"),
        "{denied:#?}"
    );
    // A configured id that is no account id is a config error (exit 2), not a failure.
    let typo: AwsConfig = toml::from_str(
        "accounts = [\"222222222222\", \"not-an-account\"]\n\
         assume_role = \"arn:aws:iam::{account}:role/nhiscan-readonly\"\n",
    )
    .expect("aws config");
    assert!(AwsConnector::new(&typo, Path::new(".")).is_err());
    assert!(nhis
        .iter()
        .all(|n| n.connector == "aws:test" && n.resource.contains(":222222222222:")));
    find(&nhis, &user_arn("222222222222", "alice"));
}

/// `organization = true` where Organizations lists no account (not the management
/// account, or no organization): one failed coverage entry, never an empty coverage list
/// that would hide the connector altogether.
#[test]
fn moto_organization_with_no_accounts_is_a_failed_source() {
    let moto = Moto::start(&[("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1")]);
    let (nhis, cov) = scan(&format!(
        "name = \"org\"\nendpoint_url = \"{}\"\norganization = true\n\
         assume_role = \"arn:aws:iam::{{account}}:role/nhiscan-readonly\"\n",
        moto.endpoint()
    ));
    assert!(nhis.is_empty());
    assert_eq!(cov.len(), 1, "{cov:#?}");
    assert_eq!(cov[0].connector, "aws:org");
    assert_eq!(cov[0].status, CoverageStatus::Failed);
    assert!(cov[0].errors[0].contains("no accounts to scan"), "{cov:#?}");
}

/// End to end through the real binary: `nhiscan leaver` with an aws connector on moto.
/// Depends on the leaver pipeline (attribution, policy, report) as well as this connector.
#[test]
fn moto_leaver_cli_reports_alice_credentials() {
    let moto = Moto::start(&[("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1")]);
    let ids = moto.seed(&["basic"]);
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("nhiscan.toml"),
        format!("[[connector]]\ntype = \"aws\"\nname = \"test\"\nendpoint_url = \"{}\"\ncloudtrail = false\n", moto.endpoint()),
    )
    .expect("config");
    std::fs::write(
        dir.path().join("roster.csv"),
        "employee_id,email,name,status,end_date,aliases\n\
         E1001,alice@acme.example,Alice,terminated,2026-11-20,alice;aws:alice\n\
         E1002,bob@acme.example,Bob,active,,bob;aws:bob\n",
    )
    .expect("roster");
    let (text, f) = run_expecting_findings(
        dir.path(),
        &[
            "leaver",
            "alice@acme.example",
            "-c",
            "nhiscan.toml",
            "--hr",
            "roster.csv",
        ],
        "findings.json",
    );
    assert!(
        !text.contains("testing\""),
        "no credential in the findings file"
    );
    assert_eq!(f["coverage"][0]["connector"], "aws:test");
    assert_eq!(f["coverage"][0]["status"], "complete");
    let findings = f["findings"].as_array().expect("findings");
    let get = |res: &str| findings.iter().find(|x| x["resource"] == res);
    let alice = get(&user_arn(ACCT, "alice")).expect("alice's own IAM user");
    assert_eq!(alice["relation"], "is");
    assert_eq!(alice["owner"], "alice@acme.example");
    let key = format!(
        "{}#{}",
        user_arn(ACCT, "svc-deploy"),
        ids["svc_deploy_key"].as_str().expect("id")
    );
    let svc_key = get(&key).expect("svc-deploy key owned by alice via tag");
    assert_eq!(svc_key["owner"], "alice@acme.example");
    assert_eq!(svc_key["kind"], "aws_access_key");
    assert!(
        get(&user_arn(ACCT, "bob")).is_none(),
        "bob is active and not alice's"
    );
}

/// The issue's join: an access key id committed to a repository is tied to its IAM key,
/// that key's owner, and whoever committed it (`has_access`). The key id is moto's own, so
/// the join is against a real emulator record, not a fixture.
#[test]
fn moto_leaked_key_id_in_git_is_joined_to_its_iam_key() {
    let moto = Moto::start(&[("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1")]);
    let leak = moto.seed(&["leak"]);
    let key_id = leak["leak_key"].as_str().expect("leak_key").to_string();
    let dir = tempfile::tempdir().expect("tmp");
    let repo = dir.path().join("repos/reports");
    std::fs::create_dir_all(&repo).expect("mkdir");
    let git = |args: &[&str]| {
        let st = Command::new("git")
            .current_dir(&repo)
            .args(args)
            .env("GIT_AUTHOR_NAME", "Alice")
            .env("GIT_AUTHOR_EMAIL", "alice@acme.example")
            .env("GIT_AUTHOR_DATE", "2026-03-01T10:00:00Z")
            .env("GIT_COMMITTER_NAME", "Alice")
            .env("GIT_COMMITTER_EMAIL", "alice@acme.example")
            .env("GIT_COMMITTER_DATE", "2026-03-01T10:00:00Z")
            .status()
            .expect("git");
        assert!(st.success(), "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(
        repo.join("reports.env"),
        format!("AWS_ACCESS_KEY_ID={key_id}\n"),
    )
    .expect("write");
    git(&["add", "-A"]);
    git(&[
        "-c",
        "commit.gpgsign=false",
        "commit",
        "-q",
        "-m",
        "reports job",
    ]);
    std::fs::write(
        dir.path().join("nhiscan.toml"),
        format!(
            "[hr]\nroster = \"roster.csv\"\n\n[[connector]]\ntype = \"git\"\npaths = [\"repos\"]\n\n\
             [[connector]]\ntype = \"aws\"\nname = \"test\"\nendpoint_url = \"{}\"\ncloudtrail = false\n",
            moto.endpoint()
        ),
    )
    .expect("config");
    std::fs::write(
        dir.path().join("roster.csv"),
        "employee_id,email,name,status,end_date,aliases\n\
         E1001,alice@acme.example,Alice,terminated,2026-11-20,alice\n\
         E1002,bob@acme.example,Bob,active,,bob\n",
    )
    .expect("roster");
    let (text, f) = run_expecting_findings(
        dir.path(),
        &["leaver", "alice@acme.example", "-q"],
        "findings.json",
    );
    let findings = f["findings"].as_array().expect("findings");
    let iam_key = format!("{}#{key_id}", user_arn(ACCT, "svc-reports"));

    // The IAM key: alice committed its id, so she has access to it and it must be rotated.
    let key = findings
        .iter()
        .find(|x| x["resource"] == iam_key.as_str())
        .unwrap_or_else(|| panic!("IAM key {iam_key} tied to alice: {text}"));
    assert_eq!(key["relation"], "has_access");
    assert_eq!(key["owner"], "alice@acme.example");
    assert_eq!(key["remediation"]["action"], "rotate");
    assert!(key["attributes"]["leaked_in"]
        .as_str()
        .expect("leaked_in")
        .starts_with("reports:reports.env"));

    // The leak itself: authored by alice, joined to the live IAM key.
    let leak = findings
        .iter()
        .find(|x| x["kind"] == "secret_in_repo")
        .expect("the committed key id");
    assert_eq!(leak["relation"], "authored");
    assert_eq!(leak["attributes"]["joined_to"], iam_key.as_str());
    assert_eq!(leak["status"], "active", "liveness comes from IAM");
    assert_eq!(leak["severity"], "critical");

    // The sweep: the key's declared owner (bob, tag) is active, so the IAM key is not
    // orphaned; the leak's author left, so the leak is reported with her.
    let (text, f) = run_expecting_findings(dir.path(), &["sweep", "-q"], "sweep.json");
    let findings = f["findings"].as_array().expect("findings");
    assert!(
        findings.iter().all(|x| x["resource"] != iam_key.as_str()),
        "a key whose owner tag names an active person is not orphaned: {text}"
    );
    assert!(findings.iter().any(|x| x["kind"] == "secret_in_repo"
        && x["owner"] == "alice@acme.example"
        && x["relation"] == "authored"));
}

/// moto enforcing IAM policies (seed `authz` switches its authorization on) and paging
/// ListUsers like real IAM: the scanning identity holds exactly `connectors/aws/policy.json`
/// and the scan is complete, so the policy covers every call the connector makes; a
/// narrower identity gets a partial scan naming each denied API; a wrong key fails the
/// account with the error code. Also: owners found only through naming, admin rights
/// spelled `*:*`, via `NotAction`, or in a role's inline policy, and a user on page 3.
#[test]
fn moto_authorized_by_policy_json_paged_naming_and_admin_spellings() {
    let moto = Moto::start(&[
        ("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1"),
        ("NHISCAN_IAM_PAGE_SIZE", "100"),
    ]);
    let ids = moto.seed(&["authz", "230"]);
    let pair = |who: &str| {
        let p = ids[who].as_array().expect("key pair");
        (
            p[0].as_str().expect("id").to_string(),
            p[1].as_str().expect("secret").to_string(),
        )
    };
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("nhiscan.toml"),
        format!(
            "[hr]\nroster = \"roster.csv\"\n\n[[connector]]\ntype = \"aws\"\nname = \"acme\"\nendpoint_url = \"{}\"\n",
            moto.endpoint()
        ),
    )
    .expect("config");
    std::fs::write(
        dir.path().join("roster.csv"),
        "employee_id,email,name,status,end_date,aliases\n\
         E1001,alice@acme.example,Alice Liddell,terminated,2026-11-01,alice\n\
         E1002,bob@acme.example,Bob,active,,bob\n",
    )
    .expect("roster");
    let run = |creds: &(String, String), out: &str| {
        let r = crate::support::nhiscan()
            .current_dir(dir.path())
            .env("AWS_ACCESS_KEY_ID", &creds.0)
            .env("AWS_SECRET_ACCESS_KEY", &creds.1)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .args([
                "leaver",
                "alice@acme.example",
                "-o",
                out,
                "--no-progress",
                "-q",
            ])
            .output()
            .expect("run nhiscan");
        let text = std::fs::read_to_string(dir.path().join(out)).expect("findings file");
        let json: serde_json::Value = serde_json::from_str(&text).expect("findings JSON");
        (r.status.code(), json)
    };

    let (code, f) = run(&pair("scanner"), "scanner.json");
    assert_eq!(
        f["coverage"][0]["status"], "complete",
        "{:#}",
        f["coverage"]
    );
    assert_eq!(code, Some(1));
    // 230 fillers + 8 seeded users' and roles' NHIs, over three ListUsers pages.
    assert!(
        f["coverage"][0]["items_scanned"].as_u64().expect("n") > 230,
        "{:#}",
        f["coverage"]
    );
    let findings = f["findings"].as_array().expect("findings");
    let get = |res: String| {
        findings
            .iter()
            .find(|x| x["resource"] == res.as_str())
            .unwrap_or_else(|| panic!("no finding {res}: {findings:#?}"))
    };
    let zz = get(format!(
        "{}#{}",
        user_arn(ACCT, "zz-reports"),
        ids["zz_key"].as_str().expect("id")
    ));
    assert_eq!(
        zz["relation"], "owns",
        "owner tag on a user of the last page"
    );
    let svc_key = get(format!(
        "arn:aws:iam::{ACCT}:user/service/svc-alice-deploy#{}",
        ids["svc_alice_key"].as_str().expect("id")
    ));
    assert_eq!(svc_key["owner"], "alice@acme.example");
    assert_eq!(svc_key["confidence"], "possible", "naming alone");
    assert!(svc_key["evidence"].to_string().contains("contains `alice`"));
    get(user_arn(ACCT, "alice-ci"));
    let admin_via = |res: String| get(res)["attributes"]["admin_via"].clone();
    assert_eq!(
        admin_via(user_arn(ACCT, "opsbot")),
        "group ops: inline policy everything allows *"
    );
    assert_eq!(
        admin_via(user_arn(ACCT, "almost-admin")),
        "inline policy na allows *"
    );
    assert_eq!(
        admin_via(format!("arn:aws:iam::{ACCT}:role/alice-lambda-admin")),
        "inline policy all allows *"
    );

    // Only ListUsers/ListAccessKeys/ListRoles: partial, every denied API named once.
    let (code, f) = run(&pair("limited"), "limited.json");
    assert_eq!(code, Some(3));
    assert_eq!(f["coverage"][0]["status"], "partial");
    let errors = f["coverage"][0]["errors"].to_string();
    for api in [
        "iam:ListUserTags",
        "iam:GetLoginProfile",
        "cloudtrail:LookupEvents",
    ] {
        assert!(
            errors.contains(&format!("{api} denied: AccessDenied")),
            "{api}: {errors}"
        );
    }
    assert!(!errors.contains("Unknown"), "{errors}");
    let limited_user = f["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|x| x["resource"] == user_arn(ACCT, "alice-ci").as_str())
        .expect("alice-ci still listed");
    assert_eq!(limited_user["status"], "active", "its key is active");

    // A key moto does not know: the account fails with the code, no secret echoed.
    let wrong = (
        "AKIAWRONGWRONGWRONG1".to_string(),
        "obviously-fake-secret-for-a-test-0000000".to_string(),
    );
    let (code, f) = run(&wrong, "wrong.json");
    assert_eq!(code, Some(3));
    assert_eq!(f["coverage"][0]["status"], "failed");
    let errors = f["coverage"][0]["errors"].to_string();
    assert!(errors.contains("InvalidClientTokenId"), "{errors}");
    assert!(!errors.contains("obviously-fake-secret"), "{errors}");
}

/// Run the real binary in `dir` with moto's fake credentials, require exit code 1 (scan
/// complete, findings present), and return the findings file `out` as text and JSON.
fn run_expecting_findings(dir: &Path, args: &[&str], out: &str) -> (String, serde_json::Value) {
    let run = crate::support::nhiscan()
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(args)
        .args(["-o", out, "--no-progress"])
        .output()
        .expect("run nhiscan");
    assert_eq!(
        run.status.code(),
        Some(1),
        "nhiscan {args:?}: stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(dir.join(out)).expect("findings file");
    let json = serde_json::from_str(&text).expect("findings JSON");
    (text, json)
}

/// Run the real binary in `dir` with moto's fake credentials; the exit code and the
/// findings file `out` as JSON.
fn run_cli(dir: &Path, args: &[&str], out: &str) -> (Option<i32>, serde_json::Value) {
    let run = crate::support::nhiscan()
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(args)
        .args(["-o", out, "--no-progress", "-q"])
        .output()
        .expect("run nhiscan");
    let text = std::fs::read_to_string(dir.join(out)).unwrap_or_else(|_| {
        panic!(
            "no findings file; stderr: {}",
            String::from_utf8_lossy(&run.stderr)
        )
    });
    (
        run.status.code(),
        serde_json::from_str(&text).expect("findings JSON"),
    )
}

/// A leaver run against moto with the AWS connector (and `extra` config) in a temp dir.
fn leaver_dir(moto: &Moto, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("nhiscan.toml"),
        format!(
            "[hr]\nroster = \"roster.csv\"\n\n{extra}[[connector]]\ntype = \"aws\"\nname = \"test\"\n\
             endpoint_url = \"{}\"\ncloudtrail = false\n",
            moto.endpoint()
        ),
    )
    .expect("config");
    std::fs::write(
        dir.path().join("roster.csv"),
        "employee_id,email,name,status,end_date,aliases\n\
         E1001,alice@acme.example,Alice,terminated,2026-11-20,alice;aws:alice\n\
         E1002,bob@acme.example,Bob,active,,bob;aws:bob\n",
    )
    .expect("roster");
    dir
}

/// IAM throttling (launch.py's fault injector answers HTTP 400 `<Code>Throttling</Code>`
/// as IAM's query API does): throttled requests are retried with backoff, the scan is
/// complete and `coverage.throttled` counts every throttled attempt; an API throttled on
/// every attempt is a named gap and exit 3, never a clean run.
#[test]
fn moto_throttling_is_retried_and_counted_and_never_hides_a_gap() {
    let moto = Moto::start(&[("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1")]);
    moto.seed(&["basic"]);
    let dir = leaver_dir(&moto, "");
    // Every per-user listing, the role listing and the SSH key bodies are throttled on
    // their first attempt (repeatably, so the test cannot flake).
    let state = moto.faults(Some(
        "Throttling:first1@ListUserTags,Throttling:first1@ListAccessKeys,\
         Throttling:first1@ListRoles,Throttling:first1@GetSSHPublicKey",
    ));
    assert_eq!(state["injected"], serde_json::json!({}), "{state}");
    let args = ["leaver", "alice@acme.example"];
    let (code, f) = run_cli(dir.path(), &args, "throttled.json");
    let cov = &f["coverage"][0];
    assert_eq!(cov["status"], "complete", "{cov:#}");
    assert_eq!(code, Some(1));
    let injected = moto.faults(None)["injected"]["Throttling"]
        .as_u64()
        .expect("throttles injected");
    // 4 users x 2 listings + ListRoles + alice's SSH key.
    assert_eq!(injected, 10);
    assert_eq!(cov["throttled"], injected, "{cov:#}");
    assert!(f["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|x| x["kind"] == "aws_ssh_key" && x["attributes"]["fingerprint"].is_string()));

    // ListUsers throttled on every attempt: the users are unknown, the account is not
    // complete, the error names the API and the account, and the exit code says so.
    moto.faults(Some("Throttling:1@ListUsers"));
    let (code, f) = run_cli(dir.path(), &args, "always.json");
    let cov = &f["coverage"][0];
    assert_eq!(code, Some(3), "{cov:#}");
    assert_ne!(cov["status"], "complete", "{cov:#}");
    let errors = cov["errors"].to_string();
    assert!(
        errors.contains("iam:ListUsers throttled") && errors.contains(ACCT),
        "{errors}"
    );
    assert!(
        cov["throttled"].as_u64().expect("throttled") >= 5,
        "{cov:#}"
    );
}

/// A user that ListUsers returns but that is deleted before its own calls (they answer
/// NoSuchEntity) is gone: skipped and counted, not an error, and the scan stays complete.
#[test]
fn moto_user_deleted_mid_scan_is_skipped_not_a_gap() {
    let moto = Moto::start(&[("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1")]);
    moto.seed(&["basic"]);
    // bob is still listed by ListUsers; every call naming him answers NoSuchEntity.
    moto.faults(Some("gone:bob"));
    let (nhis, cov) = scan(&format!(
        "name = \"test\"\nendpoint_url = \"{}\"\ncloudtrail = false\n",
        moto.endpoint()
    ));
    assert_eq!(cov[0].status, CoverageStatus::Complete, "{cov:#?}");
    assert_eq!(
        cov[0].skipped.get("deleted_during_scan"),
        Some(&1),
        "{cov:#?}"
    );
    assert!(
        !nhis.iter().any(|n| n.resource.contains(":user/bob")),
        "a deleted user is not a finding"
    );
    find(&nhis, &user_arn(ACCT, "alice"));
    assert!(moto.faults(None)["injected"]["gone"].as_u64().expect("n") >= 1);
}

/// The same SSH public key in IAM (alice's, seeded in moto) and in a host's
/// authorized_keys with no comment: the host key is attributed to alice through IAM.
#[test]
fn moto_iam_ssh_key_attributes_the_same_key_on_a_host() {
    let moto = Moto::start(&[("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1")]);
    let ids = moto.seed(&["basic"]);
    let dir = leaver_dir(
        &moto,
        "[[connector]]\ntype = \"host\"\nroots = [\"hosts/bastion\"]\n\n",
    );
    let root = dir.path().join("hosts/bastion");
    std::fs::create_dir_all(root.join("etc")).expect("mkdir");
    std::fs::create_dir_all(root.join("home/deploy/.ssh")).expect("mkdir");
    std::fs::write(root.join("etc/hostname"), "bastion\n").expect("write");
    std::fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/bash\ndeploy:x:1001:1001:deploy:/home/deploy:/bin/bash\n",
    )
    .expect("write");
    std::fs::write(root.join("etc/group"), "root:x:0:\ndeploy:x:1001:\n").expect("write");
    // seed.py's key for alice, without its comment (what `ssh-keygen -lf` prints below).
    std::fs::write(
        root.join("home/deploy/.ssh/authorized_keys"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHnhiscanTestKeyNotRealAAAAAAAAAAAAAAAAAAAAA\n",
    )
    .expect("write");
    let fp = "SHA256:8ibWsoZ49rrR3MvzksXp+l+u6PztxDd9Z5TMOd9tCc4";
    let (code, f) = run_cli(dir.path(), &["leaver", "alice@acme.example"], "ssh.json");
    assert_eq!(code, Some(1), "{:#}", f["coverage"]);
    let findings = f["findings"].as_array().expect("findings");
    let iam_res = format!(
        "{}#ssh:{}",
        user_arn(ACCT, "alice"),
        ids["alice_ssh"].as_str().expect("id")
    );
    let host_res = format!("bastion:deploy#{fp}");
    let get = |res: &str| {
        findings
            .iter()
            .find(|x| x["resource"] == res)
            .unwrap_or_else(|| panic!("no finding {res}: {findings:#?}"))
    };
    let iam = get(&iam_res);
    assert_eq!(iam["attributes"]["fingerprint"], fp);
    assert_eq!(iam["attributes"]["authorized_on"], host_res.as_str());
    let host = get(&host_res);
    assert_eq!(host["kind"], "ssh_authorized_key");
    assert_eq!(host["owner"], "alice@acme.example");
    assert_eq!(host["relation"], "owns");
    assert_eq!(host["attributes"]["iam_ssh_key"], iam_res.as_str());
    assert!(
        host["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .any(|e| e["source"] == "aws:iam"
                && e["detail"]
                    .as_str()
                    .expect("detail")
                    .contains("IAM user alice")),
        "{host:#}"
    );
}

/// Issue 7, defect 8: the progress line sat at "0 items" while one account's users were
/// crawled. It now names the account and how many IAM principals of how many listed
/// have been crawled, while the crawl runs.
#[test]
fn progress_during_an_aws_crawl_names_the_account_and_counts_principals() {
    let moto = Moto::start(&[("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1")]);
    moto.seed(&["bulk", "120", "--keys", "1"]);
    let progress = Progress::default();
    let seen = Mutex::new(Vec::new());
    let done = std::sync::atomic::AtomicBool::new(false);
    let cfg = format!("name = \"test\"\nendpoint_url = \"{}\"\n", moto.endpoint());
    let (nhis, cov) = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                for (name, phase) in progress.running() {
                    seen.lock().expect("lock").push((name, phase));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        });
        let r = scan_with(&cfg, &progress);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        r
    });
    assert_eq!(cov[0].status, CoverageStatus::Complete, "{cov:#?}");
    assert!(nhis.len() >= 240, "{}", nhis.len());
    let seen = seen.into_inner().expect("lock");
    let crawling: Vec<_> = seen
        .iter()
        .filter(|(n, p)| n == "aws:test" && p.what == format!("account {ACCT}: IAM principals"))
        .collect();
    assert!(
        crawling
            .iter()
            .any(|(_, p)| p.total.is_some_and(|t| t >= 120)),
        "{seen:#?}"
    );
    assert!(
        crawling.iter().any(|(_, p)| p.done > 0 && p.done < 120),
        "no intermediate count seen: {seen:#?}"
    );
    // Finished connectors leave the line.
    assert!(progress.running().is_empty());
}

/// Issue 8 on AWS, through the binary: an IAM user `alice.smithson` listed as the
/// look-alike's alias and tagged with her email is never the leaver `alice`'s; a user
/// named after the leaver is hers to transfer (`owns`/`possible`); roles AWS creates
/// for itself are counted, not reported, unless something ties them to the leaver (a
/// tag); a role trusting a departed colleague's IAM user names that colleague in a
/// sweep; an owner tag in another spelling (`Contact_Email`, `Name <email>`) keeps an
/// active person's user out of the sweep.
#[test]
fn moto_precision_lookalike_user_platform_roles_and_a_departed_trust() {
    let moto = Moto::start(&[("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1")]);
    moto.seed(&["precision"]);
    let dir = leaver_dir(&moto, "");
    std::fs::write(
        dir.path().join("roster.csv"),
        "employee_id,email,name,status,end_date,aliases\n\
         E1,alice@acme.example,Alice Liddell,terminated,2026-11-20,alice\n\
         E2,alice.smithson@acme.example,Alice Smithson,active,,aws:alice.smithson\n\
         E3,dana@acme.example,Dana Smith,active,,\n\
         E4,dave@acme.example,Dave Doe,terminated,2026-05-01,\n",
    )
    .expect("roster");
    let res = |f: &serde_json::Value| f["resource"].as_str().unwrap_or("").to_string();

    let (_, v) = run_cli(dir.path(), &["leaver", "alice@acme.example"], "l.json");
    let findings = v["findings"].as_array().expect("findings");
    for f in findings {
        assert!(!res(f).contains("alice.smithson"), "look-alike's: {f:#}");
        assert!(!res(f).contains("AWSReservedSSO"), "{f:#}");
    }
    let svc = findings
        .iter()
        .find(|f| res(f).ends_with(":user/svc-alice-reports"))
        .expect("svc-alice-reports");
    assert_eq!(
        (&svc["relation"], &svc["confidence"]),
        (&"owns".into(), &"possible".into()),
        "{svc:#}"
    );
    let ct = findings
        .iter()
        .find(|f| res(f).ends_with(":role/AWSControlTowerExecution"))
        .expect("the platform role tagged with the leaver");
    assert_eq!(ct["owner"], "alice@acme.example");

    let (_, v) = run_cli(dir.path(), &["sweep"], "s.json");
    let findings = v["findings"].as_array().expect("findings");
    for f in findings {
        let r = res(f);
        assert!(
            !r.contains("AWSReservedSSO")
                && !r.ends_with(":role/OrganizationAccountAccessRole")
                && !r.contains("alice.smithson")
                && !r.ends_with(":user/svc-dana-etl"),
            "not a sweep finding: {f:#}"
        );
    }
    assert!(
        v["summary"]["not_reported"]["aws_managed_role"]
            .as_u64()
            .unwrap_or(0)
            >= 2,
        "{}",
        v["summary"]
    );
    assert_eq!(v["coverage"][0]["skipped"]["service_linked_role"], 1);
    let role = findings
        .iter()
        .find(|f| res(f).ends_with(":role/deploy-search"))
        .expect("the role trusting a departed user");
    assert_eq!(role["owner"], "dave@acme.example", "{role:#}");
    assert_eq!(role["relation"], "has_access", "{role:#}");
}
