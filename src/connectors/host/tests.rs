//! Connector-level tests: `HostConnector::scan` on the snapshot trees under
//! `tests/fixtures/hosts/`, with the built-in rules and a collecting sink.

use super::HostConnector;
use crate::connectors::{Connector, Limits, Mode, PathAllowlist, Progress, ScanContext, Sink};
use crate::matcher::Matcher;
use crate::model::{Coverage, CoverageStatus, Kind, Nhi, NhiStatus, Signal};
use crate::rules::RuleSet;
use std::path::PathBuf;
use std::sync::Mutex;

struct Collect(Mutex<Vec<Nhi>>);

impl Sink for Collect {
    fn emit(&self, nhi: Nhi) {
        self.0.lock().unwrap().push(nhi);
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hosts")
        .join(name)
}

fn scan_with(roots: Vec<PathBuf>, limits: Limits) -> (Vec<Nhi>, Vec<Coverage>) {
    let matcher = Matcher::new(RuleSet::builtin().unwrap()).unwrap();
    let progress = Progress::default();
    let allow = PathAllowlist::default();
    let ctx = ScanContext {
        matcher: &matcher,
        progress: &progress,
        mode: Mode::Sweep,
        limits,
        allow_paths: &allow,
    };
    let sink = Collect(Mutex::new(Vec::new()));
    let cov = HostConnector::from_roots(roots).scan(&ctx, &sink);
    let mut items = sink.0.into_inner().unwrap();
    items.sort_by(|a, b| (a.kind, &a.resource).cmp(&(b.kind, &b.resource)));
    (items, cov)
}

fn scan(roots: Vec<PathBuf>) -> (Vec<Nhi>, Vec<Coverage>) {
    scan_with(roots, Limits::default())
}

fn find<'a>(items: &'a [Nhi], resource: &str) -> &'a Nhi {
    items
        .iter()
        .find(|n| n.resource == resource)
        .unwrap_or_else(|| {
            let all: Vec<_> = items.iter().map(|n| n.resource.as_str()).collect();
            panic!("no NHI {resource}; have {all:#?}")
        })
}

fn has_hint(n: &Nhi, id: &str, signal: Signal) -> bool {
    n.hints
        .iter()
        .any(|h| h.identifier == id && h.signal == signal)
}

#[test]
fn web_test_accounts_admins_and_skips() {
    let (items, cov) = scan(vec![fixture("web-test")]);
    assert_eq!(cov.len(), 1);
    assert_eq!(cov[0].connector, "host:web-test");
    assert_eq!(
        cov[0].status,
        CoverageStatus::Complete,
        "{:?}",
        cov[0].errors
    );
    assert!(cov[0].items_scanned > 10);
    assert!(items.iter().all(|n| n.connector == "host:web-test"));

    let accounts: Vec<&str> = items
        .iter()
        .filter(|n| n.kind.is_account())
        .map(|n| n.resource.as_str())
        .collect();
    // root itself, system accounts (daemon, syslog in adm, postgres, nobody) and the
    // nologin account with no keys or admin rights (idle) are not reported.
    assert_eq!(
        accounts,
        vec![
            "web-test:locked",
            "web-test:alice",
            "web-test:bob",
            "web-test:deploy",
            "web-test:svc-carol-etl",
            "web-test:toor",
        ]
    );

    let alice = find(&items, "web-test:alice");
    assert_eq!(alice.kind, Kind::HostAdmin);
    assert!(alice.privileged);
    assert_eq!(alice.status, NhiStatus::Active);
    assert_eq!(alice.attributes["uid"], "1001");
    assert_eq!(alice.attributes["groups"], "alice,sudo");
    assert!(
        alice.attributes["admin_via"].contains("group sudo"),
        "{}",
        alice.attributes["admin_via"]
    );
    let via = &alice.attributes["admin_via"];
    assert!(
        via.contains("sudoers /etc/sudoers line 8 (%sudo): (ALL:ALL) ALL"),
        "{via}"
    );
    assert_eq!(alice.attributes["nopasswd"], "false");
    assert!(has_hint(alice, "host:alice", Signal::Account));
    assert!(has_hint(alice, "alice", Signal::Account));
    assert!(has_hint(alice, "alice@acme.example", Signal::Account));
    assert!(has_hint(alice, "Alice Liddell", Signal::Naming));

    // bob is admin only through a User_Alias of %ops restricted to a Host_Alias.
    let bob = find(&items, "web-test:bob");
    assert_eq!(bob.kind, Kind::HostAdmin);
    assert!(bob.attributes["admin_via"].contains("sudoers /etc/sudoers.d/20-ops line 3 (%ops)"));

    let deploy = find(&items, "web-test:deploy");
    assert_eq!(
        deploy.kind,
        Kind::HostAdmin,
        "uid 998 but has keys and a sudo grant"
    );
    assert_eq!(deploy.attributes["nopasswd"], "true");
    assert!(deploy.attributes["admin_via"]
        .contains("NOPASSWD: /usr/bin/systemctl restart app, /usr/bin/systemctl reload app"));

    // Skipped sudoers.d names (`~`, `.`) grant nothing.
    let locked = find(&items, "web-test:locked");
    assert_eq!(locked.kind, Kind::HostAccount);
    assert!(!locked.privileged);
    assert_eq!(locked.status, NhiStatus::Inactive);
    assert_eq!(locked.attributes["password"], "locked");
    assert!(!items.iter().any(|n| n.resource == "web-test:idle"));

    let carol = find(&items, "web-test:svc-carol-etl");
    assert_eq!(carol.kind, Kind::HostAdmin);
    assert!(carol.attributes["admin_via"].contains("group docker (root-equivalent)"));
    assert!(has_hint(carol, "carol", Signal::Naming));
    assert_eq!(carol.status, NhiStatus::Inactive);

    let toor = find(&items, "web-test:toor");
    assert_eq!(toor.kind, Kind::HostAdmin);
    assert!(toor.privileged);
    assert!(toor.title.contains("Root-equivalent"));
    assert!(toor.attributes["admin_via"].starts_with("uid 0"));

    // One finding per account, never an account and an admin for the same user.
    let mut seen = std::collections::BTreeSet::new();
    for n in items.iter().filter(|n| n.kind.is_account()) {
        assert!(seen.insert(n.resource.clone()), "duplicate {}", n.resource);
    }
}

#[test]
fn web_test_authorized_keys() {
    let (items, _) = scan(vec![fixture("web-test")]);
    let keys: Vec<&Nhi> = items
        .iter()
        .filter(|n| n.kind == Kind::SshAuthorizedKey)
        .collect();
    // alice's own, bob's (authorized_keys2), two in deploy's, one in root's; toor shares
    // /root and so gets root's key too.
    assert_eq!(
        keys.len(),
        6,
        "{:#?}",
        keys.iter().map(|k| &k.resource).collect::<Vec<_>>()
    );

    let alice_in_deploy = find(
        &items,
        "web-test:deploy#SHA256:tcKBtY94NtVfEtqM2UqdYiI+LvZRrM4M/NDYM5tHaNU",
    );
    assert_eq!(alice_in_deploy.attributes["account"], "deploy");
    assert_eq!(alice_in_deploy.attributes["line"], "3");
    assert!(alice_in_deploy.privileged, "deploy has a sudo grant");
    assert!(has_hint(alice_in_deploy, "alice", Signal::KeyComment));
    assert!(has_hint(
        alice_in_deploy,
        "alice@acme.example",
        Signal::KeyComment
    ));
    assert!(has_hint(alice_in_deploy, "host:deploy", Signal::OwnerTag));
    let ev = &alice_in_deploy.hints[0].evidence.detail;
    assert_eq!(
        ev,
        "key comment alice@acme.example in /home/deploy/.ssh/authorized_keys line 3 grants login as deploy on web-test"
    );

    let ci = find(
        &items,
        "web-test:deploy#SHA256:/sGGWTWTcND3vGgMUMmbAj933R/KUm4NKdrOh22n5jk",
    );
    assert_eq!(
        ci.attributes["options"],
        "command,from,no-pty,no-port-forwarding"
    );
    assert_eq!(ci.attributes["from"], "10.0.0.0/8");
    assert_eq!(ci.attributes["forced_command"], "true");
    assert!(
        !ci.attributes.values().any(|v| v.contains("deploy.sh")),
        "forced command text is not kept"
    );

    let root_key = find(
        &items,
        "web-test:root#SHA256:gdZJptUTsrAuP2KziFKlZ31oKhQ623jN5vZAGhYItOo",
    );
    assert!(root_key.privileged);
    assert!(has_hint(root_key, "dave", Signal::KeyComment));
    assert!(has_hint(root_key, "host:root", Signal::Access));
    assert_eq!(root_key.status, NhiStatus::Active);

    let bob = find(
        &items,
        "web-test:bob#SHA256:Wu/1EskC/vCesyNRf29qlf1sahDdt0RlatyNRDHEsFs",
    );
    assert_eq!(bob.attributes["file"], "/home/bob/.ssh/authorized_keys2");
}

#[test]
fn web_test_secrets_in_crontabs_and_dotfiles() {
    let (items, _) = scan(vec![fixture("web-test")]);
    let secrets: Vec<&Nhi> = items
        .iter()
        .filter(|n| n.kind == Kind::SecretOnHost)
        .collect();
    let res: Vec<&str> = secrets.iter().map(|n| n.resource.as_str()).collect();
    assert_eq!(
        res,
        vec![
            "web-test:/etc/crontab:4",
            "web-test:/home/alice/.bashrc:4",
            "web-test:/var/spool/cron/crontabs/deploy:3",
        ]
    );
    let aws = find(&items, "web-test:/var/spool/cron/crontabs/deploy:3");
    assert_eq!(aws.rule.as_deref(), Some("nhi.aws.access-key-id.1"));
    assert_eq!(aws.secret.as_ref().unwrap().redacted, "AKIA…Q2WM");
    let loc = aws.location.as_ref().unwrap();
    assert_eq!(
        (loc.path.as_str(), loc.line, loc.in_head),
        ("/var/spool/cron/crontabs/deploy", 3, true)
    );
    assert_eq!(
        aws.other_locations
            .iter()
            .map(|l| l.line)
            .collect::<Vec<_>>(),
        vec![5]
    );
    assert_eq!(
        aws.join_keys,
        vec![crate::model::JoinKey::credential(
            "aws_access_key_id",
            b"AKIAZFAKEFIXT7R3Q2WM"
        )]
    );
    assert!(has_hint(aws, "host:deploy", Signal::Access));
    assert!(aws.title.contains("crontab of deploy"), "{}", aws.title);
    let basis = aws.fingerprint_basis.as_deref().unwrap();
    assert!(basis.starts_with("web-test\0"));

    let bashrc = find(&items, "web-test:/home/alice/.bashrc:4");
    assert!(has_hint(bashrc, "host:alice", Signal::Access));
    let crontab = find(&items, "web-test:/etc/crontab:4");
    assert!(
        has_hint(crontab, "host:postgres", Signal::Access),
        "system crontab user field"
    );

    // No secret value anywhere but the join key (internal, never serialised).
    for n in &items {
        let dump = format!("{:?}{:?}{:?}", n.title, n.attributes, n.hints);
        assert!(!dump.contains("AKIAZFAKEFIXT7R3Q2WM"), "{dump}");
        assert!(!dump.contains("ghp_FAKE"), "{dump}");
    }
}

#[test]
fn ids_are_stable_across_runs() {
    let (a, _) = scan(vec![fixture("web-test")]);
    let (b, _) = scan(vec![fixture("web-test")]);
    let ids = |v: &[Nhi]| v.iter().map(|n| n.finding_id()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
}

#[test]
fn broken_root_reports_faults_and_goes_on() {
    let (items, cov) = scan(vec![fixture("broken")]);
    let cov = &cov[0];
    assert_eq!(cov.connector, "host:broken-host");
    assert_eq!(cov.status, CoverageStatus::Partial);
    let errs = cov.errors.join("\n");
    for needle in [
        "/etc/passwd:2: skipped malformed line",
        "/etc/passwd:5: skipped malformed line",
        "/etc/group:2: skipped malformed line",
        "/etc/sudoers:2: user specification without '='",
        "/etc/sudoers:3: included file /etc/sudoers.local is missing or unreadable",
        "/home/alice/.ssh/authorized_keys:1: skipped malformed line",
        "/home/alice/.ssh/authorized_keys:3: skipped malformed line",
        "/home/mallory/.ssh/authorized_keys:2: skipped malformed line",
    ] {
        assert!(errs.contains(needle), "missing {needle:?} in\n{errs}");
    }
    // Error lines name file and line, never the content (a shadow hash here).
    assert!(!errs.contains("SHADOWMARKER"), "{errs}");
    // The good key on line 2 still made it.
    assert!(items
        .iter()
        .any(|n| n.resource
            == "broken-host:alice#SHA256:tcKBtY94NtVfEtqM2UqdYiI+LvZRrM4M/NDYM5tHaNU"));
    assert!(items.iter().any(|n| n.resource == "broken-host:mallory"));
}

#[test]
fn missing_root_fails_alone() {
    let (items, cov) = scan(vec![fixture("web-test"), fixture("does-not-exist")]);
    assert_eq!(cov.len(), 2);
    assert_eq!(cov[0].status, CoverageStatus::Complete);
    assert_eq!(cov[1].connector, "host:does-not-exist");
    assert_eq!(cov[1].status, CoverageStatus::Failed);
    assert!(cov[1].errors[0].contains("does-not-exist"));
    assert!(cov[1].errors[0].contains("no such file or directory"));
    assert!(!items.is_empty());
}

#[test]
fn large_files_are_skipped_and_counted() {
    let (items, cov) = scan_with(
        vec![fixture("web-test")],
        Limits {
            max_file_size: 120,
            ..Limits::default()
        },
    );
    assert!(cov[0].skipped.get("too_large").copied().unwrap_or(0) > 0);
    // passwd is over the limit: that makes the scan incomplete, not clean.
    assert_eq!(cov[0].status, CoverageStatus::Partial);
    assert!(cov[0]
        .errors
        .iter()
        .any(|e| e.contains("/etc/passwd over the size limit")));
    assert!(!items.iter().any(|n| n.kind == Kind::HostAccount));
}

#[test]
fn hostname_falls_back_to_directory_name_and_unreadable_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("snap-7");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("home/zed/.ssh")).unwrap();
    std::fs::write(
        root.join("etc/passwd"),
        "zed:x:1500:1500::/home/zed:/bin/bash\n",
    )
    .unwrap();
    std::fs::write(root.join("etc/shadow"), "zed:!:1:0:99999:7:::\n").unwrap();
    let keys = root.join("home/zed/.ssh/authorized_keys");
    std::fs::write(&keys, "").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads anything: only check permission errors when they can happen.
    let can_read = std::fs::read(&keys).is_ok();
    let (items, cov) = scan(vec![root.clone()]);
    assert_eq!(cov[0].connector, "host:snap-7");
    let zed = find(&items, "snap-7:zed");
    assert_eq!(zed.status, NhiStatus::Inactive, "locked, no keys");
    if !can_read {
        assert_eq!(cov[0].status, CoverageStatus::Partial);
        assert!(cov[0]
            .errors
            .iter()
            .any(|e| e.contains("/home/zed/.ssh/authorized_keys: permission denied")));
    }
}

#[test]
fn nothing_is_written_under_a_root() {
    fn snapshot(p: &std::path::Path, out: &mut Vec<(PathBuf, std::time::SystemTime, u64)>) {
        for e in std::fs::read_dir(p).unwrap() {
            let e = e.unwrap();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            out.push((e.path(), m.modified().unwrap(), m.len()));
            if m.is_dir() {
                snapshot(&e.path(), out);
            }
        }
    }
    let mut before = Vec::new();
    snapshot(&fixture("web-test"), &mut before);
    let _ = scan(vec![fixture("web-test")]);
    let mut after = Vec::new();
    snapshot(&fixture("web-test"), &mut after);
    assert_eq!(before, after);
}

/// The bundled example (`examples/acme/hosts`): the lead's roster, config and docs rely
/// on exactly these accounts, keys and secrets.
#[test]
fn acme_example_snapshots() {
    let ex = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/acme/hosts");
    let (items, cov) = scan(vec![ex.join("web-1"), ex.join("db-1")]);
    let names: Vec<(&str, CoverageStatus)> = cov
        .iter()
        .map(|c| (c.connector.as_str(), c.status))
        .collect();
    assert_eq!(
        names,
        vec![
            ("host:web-1", CoverageStatus::Complete),
            ("host:db-1", CoverageStatus::Complete)
        ]
    );
    if std::env::var_os("NHISCAN_DUMP").is_some() {
        for n in &items {
            eprintln!(
                "{:<22} {:<60} {:?} priv={} {}",
                n.kind, n.resource, n.status, n.privileged, n.title
            );
        }
    }
    let kinds: Vec<(Kind, &str)> = items
        .iter()
        .filter(|n| n.kind.is_account())
        .map(|n| (n.kind, n.resource.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (Kind::HostAccount, "db-1:carol"),
            (Kind::HostAccount, "web-1:bob"),
            (Kind::HostAdmin, "db-1:backupadm"),
            (Kind::HostAdmin, "db-1:dave"),
            (Kind::HostAdmin, "db-1:toor"),
            (Kind::HostAdmin, "web-1:alice"),
            (Kind::HostAdmin, "web-1:dave"),
            (Kind::HostAdmin, "web-1:deploy"),
        ]
    );
    assert_eq!(
        find(&items, "db-1:backupadm").attributes["nopasswd"],
        "true"
    );
    let alice_keys: Vec<&str> = items
        .iter()
        .filter(|n| {
            n.kind == Kind::SshAuthorizedKey
                && n.attributes.get("comment").map(String::as_str) == Some("alice@alice-laptop")
        })
        .map(|n| n.attributes["account"].as_str())
        .collect();
    assert_eq!(alice_keys, vec!["alice", "deploy", "root"]);
    let aws = find(&items, "web-1:/var/spool/cron/crontabs/deploy:4");
    assert_eq!(aws.rule.as_deref(), Some("nhi.aws.access-key-id.1"));
    assert_eq!(
        aws.join_keys,
        vec![crate::model::JoinKey::credential(
            "aws_access_key_id",
            b"AKIAZFAKE7Q2XWEB4NDK"
        )]
    );
    assert_eq!(
        items
            .iter()
            .filter(|n| n.kind == Kind::SecretOnHost)
            .count(),
        1
    );
}

/// A throwaway root with these files (path relative to the root, content).
fn make_root(name: &str, files: &[(&str, String)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(name);
    for (rel, body) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    (dir, root)
}

/// A valid ed25519 authorized_keys blob (type string plus 32 fake key bytes), base64.
fn ed25519_blob(seed: u8) -> String {
    let mut blob = Vec::new();
    blob.extend_from_slice(&11u32.to_be_bytes());
    blob.extend_from_slice(b"ssh-ed25519");
    blob.extend_from_slice(&32u32.to_be_bytes());
    blob.extend((0..32u8).map(|i| i.wrapping_mul(seed).wrapping_add(seed)));
    let s = super::keys::base64_encode_nopad(&blob);
    let pad = (4 - s.len() % 4) % 4;
    format!("{s}{}", "=".repeat(pad))
}

#[test]
fn one_secret_in_several_files_of_a_host_is_one_finding() {
    // FAKE token, made up for this test (with the checksum the classic-PAT rule checks).
    let token = &crate::rules::with_github_checksum("ghp_", "FAKEZ3jkJuAFsmDgrYShlHJ9eA1ugd");
    let (_tmp, root) = make_root(
        "app-3",
        &[
            (
                "etc/passwd",
                "root:x:0:0::/root:/bin/bash\ndeploy:x:1003:1003::/home/deploy:/bin/bash\nops:x:1004:1004::/home/ops:/bin/bash\n".into(),
            ),
            (
                "etc/cron.d/report",
                format!("*/5 * * * * ops curl -H 'Authorization: token {token}' https://x\n"),
            ),
            (
                "home/deploy/.bashrc",
                format!("export PATH=$PATH:~/bin\nexport GITHUB_TOKEN={token}\n"),
            ),
        ],
    );
    let (items, cov) = scan(vec![root]);
    assert_eq!(
        cov[0].status,
        CoverageStatus::Complete,
        "{:?}",
        cov[0].errors
    );
    let secrets: Vec<&Nhi> = items
        .iter()
        .filter(|n| {
            n.kind == Kind::SecretOnHost && n.rule.as_deref() == Some("nhi.github.pat-classic.1")
        })
        .collect();
    assert_eq!(secrets.len(), 1, "{secrets:#?}");
    let n = secrets[0];
    assert_eq!(n.resource, "app-3:/etc/cron.d/report:1");
    let loc = n.location.as_ref().unwrap();
    assert_eq!(
        (loc.path.as_str(), loc.line, loc.in_head),
        ("/etc/cron.d/report", 1, true)
    );
    let others: Vec<(&str, u64)> = n
        .other_locations
        .iter()
        .map(|l| (l.path.as_str(), l.line))
        .collect();
    assert_eq!(others, vec![("/home/deploy/.bashrc", 2)]);
    // Both accounts that can read it are tied to it.
    assert!(has_hint(n, "host:ops", Signal::Access));
    assert!(has_hint(n, "host:deploy", Signal::Access));
    // The id does not depend on which file was found first.
    assert!(!n
        .fingerprint_basis
        .as_deref()
        .unwrap()
        .contains("/etc/cron.d"));
}

#[test]
fn adm_membership_alone_is_not_admin() {
    let (_tmp, root) = make_root(
        "log-1",
        &[
            (
                "etc/passwd",
                "root:x:0:0::/root:/bin/bash\nsyslog:x:104:110::/home/syslog:/usr/sbin/nologin\nfrank:x:1007:1007:Frank:/home/frank:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n".into(),
            ),
            ("etc/group", "adm:x:4:syslog,frank,alice\nsudo:x:27:alice\n".into()),
        ],
    );
    let (items, _) = scan(vec![root]);
    let frank = find(&items, "log-1:frank");
    assert_eq!(frank.kind, Kind::HostAccount);
    assert!(!frank.privileged);
    assert!(!items.iter().any(|n| n.resource == "log-1:syslog"));
    let alice = find(&items, "log-1:alice");
    assert_eq!(alice.kind, Kind::HostAdmin);
    assert_eq!(alice.attributes["admin_via"], "group sudo");
    assert!(!alice.title.contains("adm,"), "{}", alice.title);
}

#[test]
fn a_key_listed_twice_keeps_every_comment() {
    let k = ed25519_blob(7);
    let (_tmp, root) = make_root(
        "bastion",
        &[
            (
                "etc/passwd",
                "root:x:0:0::/root:/bin/bash\ndeploy:x:1003:1003::/home/deploy:/bin/bash\n".into(),
            ),
            (
                "home/deploy/.ssh/authorized_keys",
                format!("from=\"10.0.0.0/8\" ssh-ed25519 {k}\nssh-ed25519 {k} bob@bastion\n"),
            ),
        ],
    );
    let (items, cov) = scan(vec![root]);
    assert_eq!(
        cov[0].status,
        CoverageStatus::Complete,
        "{:?}",
        cov[0].errors
    );
    let keys: Vec<&Nhi> = items
        .iter()
        .filter(|n| n.kind == Kind::SshAuthorizedKey)
        .collect();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].attributes["line"], "1");
    assert!(
        has_hint(keys[0], "bob@bastion", Signal::KeyComment)
            || has_hint(keys[0], "bob", Signal::KeyComment),
        "{:?}",
        keys[0].hints
    );
    assert!(keys[0]
        .hints
        .iter()
        .any(|h| h.evidence.detail.contains("authorized_keys line 2")));
}

#[test]
fn authorized_keys_file_from_sshd_config() {
    let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                  alice:x:1001:1001:Alice:/home/alice:/bin/bash\n\
                  deploy:x:1002:1002::/srv/deploy:/bin/bash\n";
    let (_d, root) = make_root(
        "keys-host",
        &[
            ("etc/hostname", "keys-host\n".into()),
            ("etc/passwd", passwd.into()),
            ("etc/group", "sudo:x:27:\ndeployers:x:1002:deploy\n".into()),
            (
                "etc/ssh/sshd_config",
                "Include /etc/ssh/sshd_config.d/*.conf\nAuthorizedKeysFile .ssh/authorized_keys\n"
                    .into(),
            ),
            (
                "etc/ssh/sshd_config.d/50-central.conf",
                "AuthorizedKeysFile /etc/ssh/authorized_keys/%u .config/ssh/keys_%u\n\
                 Match Group deployers\n    AuthorizedKeysFile %h/keys.d/%%ci\n"
                    .into(),
            ),
            (
                "etc/ssh/authorized_keys/alice",
                format!("ssh-ed25519 {} alice@laptop\n", ed25519_blob(3)),
            ),
            (
                "home/alice/.config/ssh/keys_alice",
                format!("ssh-ed25519 {} alice@desk\n", ed25519_blob(4)),
            ),
            // Not read: sshd_config moved the keys elsewhere.
            (
                "home/alice/.ssh/authorized_keys",
                format!("ssh-ed25519 {} stale\n", ed25519_blob(5)),
            ),
            (
                "srv/deploy/keys.d/%ci",
                format!("ssh-ed25519 {} ci@runner\n", ed25519_blob(6)),
            ),
            (
                "etc/ssh/authorized_keys/deploy",
                format!("ssh-ed25519 {} not-for-match\n", ed25519_blob(7)),
            ),
        ],
    );
    let (items, cov) = scan(vec![root]);
    assert_eq!(
        cov[0].status,
        CoverageStatus::Complete,
        "{:?}",
        cov[0].errors
    );
    let keys: Vec<(&str, &str)> = items
        .iter()
        .filter(|n| n.kind == Kind::SshAuthorizedKey)
        .map(|n| {
            (
                n.attributes["file"].as_str(),
                n.attributes["comment"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            ("/etc/ssh/authorized_keys/alice", "alice@laptop"),
            ("/home/alice/.config/ssh/keys_alice", "alice@desk"),
            ("/srv/deploy/keys.d/%ci", "ci@runner"),
        ],
        "{keys:?}"
    );
    // A central file is managed by root: the account can use the key, it does not own it.
    let central = items
        .iter()
        .find(|n| n.attributes.get("comment").map(String::as_str) == Some("alice@laptop"))
        .unwrap();
    assert!(has_hint(central, "host:alice", Signal::Access));
    let own = items
        .iter()
        .find(|n| n.attributes.get("comment").map(String::as_str) == Some("alice@desk"))
        .unwrap();
    assert!(has_hint(own, "host:alice", Signal::OwnerTag));
}

#[test]
fn roots_with_the_same_hostname_get_distinct_names() {
    let files = |k: u8| {
        vec![
            ("etc/hostname", "web-1\n".to_string()),
            (
                "etc/passwd",
                "alice:x:1001:1001::/home/alice:/bin/bash\n".to_string(),
            ),
            (
                "home/alice/.ssh/authorized_keys",
                format!("ssh-ed25519 {} a\n", ed25519_blob(k)),
            ),
        ]
    };
    let (_a, jan) = make_root("web-1-2026-01", &files(1));
    let (_b, jun) = make_root("web-1-2026-06", &files(1));
    let (_c, clone) = make_root("web-1-2026-06", &files(2));
    let run = || scan(vec![jan.clone(), jun.clone(), clone.clone(), jan.clone()]);
    let (items, cov) = run();
    let names: Vec<&str> = cov.iter().map(|c| c.connector.as_str()).collect();
    assert_eq!(
        names.len(),
        3,
        "a root listed twice is scanned once: {names:?}"
    );
    assert_eq!(names[0], "host:web-1");
    assert_eq!(names[1], "host:web-1@web-1-2026-06");
    assert!(names[2].starts_with("host:web-1@/"), "{names:?}");
    let ids: std::collections::BTreeSet<String> = items.iter().map(|n| n.finding_id()).collect();
    assert_eq!(ids.len(), items.len(), "no two roots share a finding id");
    assert!(items
        .iter()
        .any(|n| n.resource == "web-1@web-1-2026-06:alice"));
    // Stable: the same config gives the same names.
    let (_, again) = run();
    let again: Vec<&str> = again.iter().map(|c| c.connector.as_str()).collect();
    assert_eq!(names, again);
}
