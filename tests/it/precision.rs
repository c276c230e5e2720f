//! Integration tests: attribution precision, one test per class of error found on
//! environments built outside this project. Each builds a small company (roster, one
//! host snapshot, one repository) in a temp dir and runs the real binary.
//!
//! The classes: an active person's own access called orphaned; a look-alike's item
//! handed to the leaver; a shared account the leaver can become left out; exposure
//! reported as ownership; service accounts named after the leaver missed.

use crate::support::{git, nhiscan, write};
use serde_json::Value;
use std::path::Path;

/// A syntactically valid ed25519 public key line, different for each `seed`.
fn ed25519(seed: u8, comment: &str) -> String {
    let mut blob = Vec::new();
    blob.extend_from_slice(&11u32.to_be_bytes());
    blob.extend_from_slice(b"ssh-ed25519");
    blob.extend_from_slice(&32u32.to_be_bytes());
    blob.extend((0..32u8).map(|i| i.wrapping_mul(31).wrapping_add(seed)));
    format!("ssh-ed25519 {} {comment}", b64(&blob))
}

fn b64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

const ROSTER: &str = "employee_id,email,name,status,end_date,manager_email,aliases,risk\n\
E1,alice@acme.example,Alice Liddell,terminated,2026-11-20,carol@acme.example,,standard\n\
E2,alice.smithson@acme.example,Alice Smithson,active,,carol@acme.example,aws:alice.smithson,standard\n\
E3,bob@acme.example,Bob Builder,active,,carol@acme.example,,standard\n\
E4,carol@acme.example,Carol Chen,active,,,,standard\n";

/// The company: a roster, host `web-9` and repository `payments`.
fn company(dir: &Path) {
    write(dir, "roster.csv", ROSTER);
    let h = dir.join("hosts/web-9");
    write(&h, "etc/hostname", "web-9\n");
    write(
        &h,
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\n\
         bob:x:1001:1001:Bob Builder:/home/bob:/bin/bash\n\
         deploy:x:1002:1002:shared deploy account:/home/deploy:/bin/bash\n\
         svc-alice-backup:x:998:998::/var/lib/svc-alice-backup:/usr/sbin/nologin\n\
         svc-zed-cache:x:997:997::/var/lib/svc-zed-cache:/usr/sbin/nologin\n\
         alice.smithson:x:1003:1003:Alice Smithson,,,alice.smithson@acme.example:/home/alice.smithson:/bin/bash\n",
    );
    write(
        &h,
        "etc/group",
        "root:x:0:\nsudo:x:27:deploy\nbob:x:1001:\ndeploy:x:1002:\n",
    );
    write(
        &h,
        "etc/shadow",
        "root:*:20228:0:99999:7:::\nbob:!:20228::::::\ndeploy:!:20228::::::\n\
         svc-alice-backup:*:20228::::::\nsvc-zed-cache:*:20228::::::\nalice.smithson:!:20228::::::\n",
    );
    write(
        &h,
        "etc/sudoers",
        "root ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n",
    );
    // bob's own key, in his own authorized_keys.
    write(
        &h,
        "home/bob/.ssh/authorized_keys",
        &format!("{}\n", ed25519(1, "bob@macbook")),
    );
    // The shared admin account trusts the leaver's laptop key.
    write(
        &h,
        "home/deploy/.ssh/authorized_keys",
        &format!("{}\n", ed25519(2, "alice@acme.example")),
    );
    // A look-alike's own key: `alice` is in the comment, but it is Alice Smithson's.
    write(
        &h,
        "home/alice.smithson/.ssh/authorized_keys",
        &format!("{}\n", ed25519(3, "alice.smithson@acme.example")),
    );
    // A credential in bob's crontab. FAKE, for nhiscan tests.
    write(
        &h,
        "var/spool/cron/crontabs/bob",
        "# FAKE credential for nhiscan tests\n0 1 * * * AWS_ACCESS_KEY_ID=AKIAZFAKEPRECQ7R3Q2W /usr/local/bin/sync.sh\n",
    );

    // One repository: alice committed code, bob committed a secret.
    let r = dir.join("repos/payments");
    std::fs::create_dir_all(&r).unwrap();
    git(&r, &["init", "-q"], None);
    write(&r, "README.md", "payments\n");
    git(&r, &["add", "."], None);
    git(
        &r,
        &["commit", "-q", "-m", "readme"],
        Some((
            "Alice Liddell",
            "alice@acme.example",
            "2026-01-02T10:00:00Z",
        )),
    );
    write(
        &r,
        "config/prod.env",
        "# FAKE credential for nhiscan tests\nAWS_ACCESS_KEY_ID=AKIAZFAKEREPOQ7R3Q2X\n",
    );
    git(&r, &["add", "."], None);
    git(
        &r,
        &["commit", "-q", "-m", "config"],
        Some(("Bob Builder", "bob@acme.example", "2026-02-03T10:00:00Z")),
    );

    write(
        dir,
        "nhiscan.toml",
        "[hr]\nroster = \"roster.csv\"\n\n[[connector]]\ntype = \"host\"\nroots = [\"hosts/web-9\"]\n\n\
         [[connector]]\ntype = \"git\"\npaths = [\"repos\"]\n",
    );
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let out = nhiscan()
        .current_dir(dir)
        .args(args)
        .args(["-c", "nhiscan.toml", "-o", "out.json", "--no-progress"])
        .output()
        .expect("run nhiscan");
    // The terminal summary, wherever it went (stdout or stderr).
    let stderr = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("out.json"))
        .unwrap_or_else(|_| panic!("no findings file; stderr: {stderr}"));
    (
        out.status.code(),
        serde_json::from_str(&text).expect("findings JSON"),
        stderr,
    )
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().expect("findings")
}

fn get<'a>(v: &'a Value, kind: &str, resource_prefix: &str) -> Option<&'a Value> {
    findings(v).iter().find(|f| {
        f["kind"] == kind
            && f["resource"]
                .as_str()
                .unwrap_or("")
                .starts_with(resource_prefix)
    })
}

#[test]
fn sweep_never_calls_an_active_persons_own_key_or_crontab_orphaned() {
    let tmp = tempfile::tempdir().unwrap();
    company(tmp.path());
    let (code, v, stderr) = run(tmp.path(), &["sweep"]);
    assert_eq!(code, Some(1), "{stderr}");
    for f in findings(&v) {
        let res = f["resource"].as_str().unwrap_or("");
        assert!(
            !(res.starts_with("web-9:bob")
                || res.starts_with("web-9:/var/spool/cron/crontabs/bob")),
            "bob's own access reported in a sweep: {f:#}"
        );
        if f["relation"] == "orphaned" {
            assert!(
                !res.contains("bob") && !res.contains("smithson"),
                "an active person's access called orphaned: {f:#}"
            );
        }
    }
    // The crontab credential's only tie is one weak signal to bob: counted, not hidden.
    assert!(
        v["summary"]["unconfirmed"].as_u64().unwrap_or(0) >= 1,
        "{}",
        v["summary"]
    );
    assert!(stderr.contains("unconfirmed active owner"), "{stderr}");

    // --unconfirmed lists it, naming the person to confirm.
    let (_, v, _) = run(tmp.path(), &["sweep", "--unconfirmed"]);
    let cron = get(&v, "secret_on_host", "web-9:/var/spool/cron/crontabs/bob")
        .expect("listed with --unconfirmed");
    assert_eq!(cron["attributes"]["unconfirmed_owner"], "bob@acme.example");
    assert_eq!(cron["severity"], "info");
    assert_ne!(cron["relation"], "orphaned");
}

#[test]
fn bobs_own_key_in_his_own_account_is_a_likely_tie_from_two_weak_signals() {
    let tmp = tempfile::tempdir().unwrap();
    company(tmp.path());
    // bob leaves: his key comes out owned by him, likely (account name and key comment
    // agree), not possible.
    let roster = ROSTER.replace(
        "E3,bob@acme.example,Bob Builder,active,",
        "E3,bob@acme.example,Bob Builder,terminated,",
    );
    write(tmp.path(), "roster.csv", &roster);
    let (_, v, _) = run(tmp.path(), &["leaver", "bob@acme.example"]);
    let key = get(&v, "ssh_authorized_key", "web-9:bob#").expect("bob's key");
    assert_eq!(key["owner"], "bob@acme.example");
    assert_eq!(key["confidence"], "likely", "{key:#}");
}

#[test]
fn a_lookalikes_items_are_never_handed_to_the_leaver() {
    let tmp = tempfile::tempdir().unwrap();
    company(tmp.path());
    let (_, v, _) = run(tmp.path(), &["leaver", "alice@acme.example"]);
    for f in findings(&v) {
        let res = f["resource"].as_str().unwrap_or("");
        assert!(
            !res.contains("alice.smithson"),
            "a look-alike's item handed to the leaver: {f:#}"
        );
        assert_eq!(f["owner"], "alice@acme.example");
    }
}

#[test]
fn a_shared_account_the_leaver_can_become_is_reported_not_only_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    company(tmp.path());
    let (_, v, _) = run(tmp.path(), &["leaver", "alice@acme.example"]);
    let key = get(&v, "ssh_authorized_key", "web-9:deploy#").expect("the key");
    assert_eq!(key["relation"], "has_access");
    let acct = get(&v, "host_admin", "web-9:deploy").expect("the account itself");
    assert_eq!(acct["relation"], "has_access");
    assert_eq!(acct["confidence"], "likely");
    let detail = acct["remediation"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("rotate") && detail.contains("sudo"),
        "{detail}"
    );
    // The sweep reports it too: a departed person can still log in as it.
    let (_, v, _) = run(tmp.path(), &["sweep"]);
    let acct = get(&v, "host_admin", "web-9:deploy").expect("account in sweep");
    assert_eq!(acct["owner"], "alice@acme.example");
    assert_eq!(acct["relation"], "has_access");
}

#[test]
fn exposure_is_opt_in_and_names_who_rotates_it() {
    let tmp = tempfile::tempdir().unwrap();
    company(tmp.path());
    let (_, v, stderr) = run(tmp.path(), &["leaver", "alice@acme.example"]);
    assert!(
        get(&v, "secret_in_repo", "payments:config/prod.env").is_none(),
        "bob's secret is exposure, not alice's: {:#}",
        v["findings"]
    );
    assert_eq!(v["summary"]["exposure"], 1, "{}", v["summary"]);
    assert!(stderr.contains("--exposure"), "{stderr}");

    let (_, v, _) = run(tmp.path(), &["leaver", "alice@acme.example", "--exposure"]);
    let s = get(&v, "secret_in_repo", "payments:config/prod.env").expect("listed on request");
    assert_eq!(s["relation"], "has_access");
    assert_eq!(s["confidence"], "possible");
    assert_eq!(s["severity"], "low");
    let detail = s["remediation"]["detail"].as_str().unwrap();
    assert!(detail.contains("bob@acme.example"), "{detail}");
}

#[test]
fn a_service_account_named_after_the_leaver_is_reported_for_transfer() {
    let tmp = tempfile::tempdir().unwrap();
    company(tmp.path());
    let (_, v, _) = run(tmp.path(), &["leaver", "alice@acme.example"]);
    let svc = get(&v, "host_account", "web-9:svc-alice-backup").expect("svc-alice-backup");
    assert_eq!(svc["relation"], "owns");
    assert_eq!(svc["confidence"], "possible");
    assert_eq!(svc["remediation"]["action"], "transfer_ownership");
    // In a sweep an idle system account tied to nobody is counted, not called orphaned.
    let (_, v, _) = run(tmp.path(), &["sweep"]);
    assert!(get(&v, "host_account", "web-9:svc-zed-cache").is_none());
    assert!(
        v["summary"]["not_reported"]["idle_system_account"]
            .as_u64()
            .unwrap_or(0)
            >= 1,
        "{}",
        v["summary"]
    );
}

/// The company again, with the traps of the second round: the leaver's listed username
/// (`alice`) is also the first name in a look-alike's commits and in a service account
/// named after the look-alike; a departed colleague's crontab.
fn company_with_lookalike_spellings(dir: &Path) {
    company(dir);
    // The leaver is listed with the bare username `alice`; dave has left too.
    write(
        dir,
        "roster.csv",
        &ROSTER
            .replace(
                "carol@acme.example,,standard\nE2",
                "carol@acme.example,alice,standard\nE2",
            )
            .replace(
                "E4,carol",
                "E5,dave@acme.example,Dave Doe,terminated,2026-05-01,carol@acme.example,,standard\nE4,carol",
            ),
    );
    let h = dir.join("hosts/web-9");
    let passwd = std::fs::read_to_string(h.join("etc/passwd")).unwrap();
    write(
        &h,
        "etc/passwd",
        &format!(
            "{passwd}svc-alice.smithson-backup:x:996:996:backup jobs:/var/lib/svc-alice.smithson-backup:/usr/sbin/nologin\n\
             dave:x:1004:1004:Dave Doe:/home/dave:/bin/bash\n"
        ),
    );
    write(
        &h,
        "var/spool/cron/crontabs/dave",
        "# FAKE credential for nhiscan tests\n0 2 * * * AWS_ACCESS_KEY_ID=AKIAZFAKEDAVEQ7R3Q2Y /usr/local/bin/report.sh\n",
    );
    // The look-alike signs her commits with her first name only.
    let r = dir.join("repos/payments");
    write(
        &r,
        "config/reports.env",
        "# FAKE credential for nhiscan tests\nAWS_ACCESS_KEY_ID=AKIAZFAKESMITHQ7R3Q2Z\n",
    );
    git(&r, &["add", "."], None);
    git(
        &r,
        &["commit", "-q", "-m", "reports"],
        Some((
            "Alice",
            "alice.smithson@acme.example",
            "2026-03-03T10:00:00Z",
        )),
    );
}

/// One observation names one identity: a commit `Alice <alice.smithson@…>` is the
/// look-alike's, even though `alice` is the leaver's listed username, and a service
/// account `svc-alice.smithson-backup` is hers too (the two-word name covers `alice`).
#[test]
fn a_lookalikes_first_name_commit_and_service_account_are_not_the_leavers() {
    let tmp = tempfile::tempdir().unwrap();
    company_with_lookalike_spellings(tmp.path());
    let (_, v, _) = run(tmp.path(), &["leaver", "alice@acme.example"]);
    assert!(
        get(&v, "secret_in_repo", "payments:config/reports.env").is_none(),
        "{v:#}"
    );
    assert!(
        get(&v, "host_account", "web-9:svc-alice.smithson-backup").is_none(),
        "{v:#}"
    );
    // The leaver's own service account is still hers.
    assert!(get(&v, "host_account", "web-9:svc-alice-backup").is_some());
    // In a sweep the look-alike (active) authored it: not a finding.
    let (_, v, _) = run(tmp.path(), &["sweep"]);
    assert!(
        get(&v, "secret_in_repo", "payments:config/reports.env").is_none(),
        "{v:#}"
    );
}

/// A credential in a departed person's crontab has no active owner: the sweep reports
/// it naming the one who left (at the tie's confidence), not `owner: null`.
#[test]
fn a_sweep_names_the_departed_person_whose_crontab_holds_a_credential() {
    let tmp = tempfile::tempdir().unwrap();
    company_with_lookalike_spellings(tmp.path());
    let (_, v, _) = run(tmp.path(), &["sweep"]);
    let f = get(&v, "secret_on_host", "web-9:/var/spool/cron/crontabs/dave").expect("dave's cron");
    assert_eq!(f["owner"], "dave@acme.example", "{f:#}");
    assert_eq!(f["relation"], "has_access", "{f:#}");
    assert!(
        f["evidence"].to_string().contains("crontab of dave"),
        "{f:#}"
    );
}
