//! Issue 13: the offboarding workflow through the real binary: `offboard` opens a case
//! per leaver and records each scan in the state store; a finding removed from its
//! source is verified gone on the next complete scan and not on an incomplete one; app
//! sign-offs close a case; `history` shows a finding's timeline; a damaged store is an
//! error naming it.

use crate::support::{nhiscan, write};
use serde_json::Value;
use std::path::Path;

const ROSTER: &str =
    "employee_id,email,name,status,end_date,manager_email,aliases,risk,department\n\
E1,alice@acme.example,Alice Archer,terminated,2026-11-20,dave@acme.example,alice,high,Finance\n\
E2,bob@acme.example,Bob Baker,active,,dave@acme.example,bob,standard,Engineering\n\
E3,carol@acme.example,Carol Chen,active,2026-11-01,dave@acme.example,carol,standard,Engineering\n\
E4,dave@acme.example,Dave Dunn,active,,,dave,standard,Engineering\n";

/// One host: alice's account with a credential in her crontab, carol's account.
fn company(dir: &Path) {
    write(dir, "roster.csv", ROSTER);
    let h = dir.join("hosts/web-1");
    write(&h, "etc/hostname", "web-1\n");
    write(
        &h,
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\n\
         alice:x:1001:1001:Alice Archer:/home/alice:/bin/bash\n\
         carol:x:1003:1003:Carol Chen:/home/carol:/bin/bash\n\
         bob:x:1002:1002:Bob Baker:/home/bob:/bin/bash\n",
    );
    write(&h, "etc/group", "root:x:0:\nalice:x:1001:\n");
    write(
        &h,
        "etc/shadow",
        "root:*:20228:0:99999:7:::\nalice:$6$x$y:20228::::::\ncarol:$6$x$y:20228::::::\nbob:!:20228::::::\n",
    );
    // FAKE credential for nhiscan tests.
    write(
        &h,
        "var/spool/cron/crontabs/alice",
        "# FAKE credential for nhiscan tests\n0 1 * * * AWS_ACCESS_KEY_ID=AKIAZFAKEOFFBQ7R3Q2W /usr/local/bin/sync.sh\n",
    );
    write(
        dir,
        "nhiscan.toml",
        "[hr]\nroster = \"roster.csv\"\n\n[state]\npath = \"state/nhiscan.db\"\n\n[sla]\nstandard_hours = 24\nhigh_risk_hours = 4\n\n\
         [[app]]\nname = \"Payroll\"\nowner = \"fin-ops@acme.example\"\nremove = \"disable the user in Payroll admin\"\nwhen = { department = \"Finance\" }\n\n\
         [[app]]\nname = \"Wiki\"\nowner = \"it@acme.example\"\n\n\
         [[connector]]\ntype = \"host\"\nroots = [\"hosts/web-1\"]\n",
    );
    std::fs::create_dir_all(dir.join("state")).unwrap();
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = nhiscan()
        .current_dir(dir)
        .args(["-c", "nhiscan.toml", "--no-progress"])
        .args(args)
        .output()
        .expect("run nhiscan");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn case_file(dir: &Path, id: u32) -> Value {
    let text =
        std::fs::read_to_string(dir.join(format!("cases/case-{id}.json"))).expect("case file");
    serde_json::from_str(&text).expect("json")
}

#[test]
fn offboard_opens_a_case_per_leaver_and_verifies_removal_only_on_a_complete_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    company(d);
    std::fs::create_dir_all(d.join("cases")).unwrap();
    let (code, out, err) = run(
        d,
        &["offboard", "--today", "2026-12-01", "--out-dir", "cases"],
    );
    assert_eq!(code, Some(1), "{out}{err}");
    // alice (terminated, high risk) first, then carol (active, end date passed).
    let a = out.find("alice@acme.example").expect(&out);
    let c = out.find("carol@acme.example").expect(&out);
    assert!(a < c, "{out}");
    assert!(!out.contains("bob@acme.example"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("state/nhiscan.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let f = case_file(d, 1);
    let cron = f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "secret_on_host")
        .expect("alice's crontab credential")
        .clone();
    let id = cron["id"].as_str().unwrap().to_string();

    // Status: both open, alice's Payroll sign-off pending (she is in Finance), carol's not.
    let (code, out, _) = run(d, &["status"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Payroll (fin-ops@acme.example)"), "{out}");
    let carol_line = out.lines().find(|l| l.contains("carol@")).unwrap();
    assert!(!carol_line.contains("Payroll"), "{out}");

    // The credential is removed, but the rescan is incomplete (every file over the size
    // limit): nothing is resolved.
    std::fs::remove_file(d.join("hosts/web-1/var/spool/cron/crontabs/alice")).unwrap();
    let (code, out, err) = run(
        d,
        &["offboard", "--today", "2026-12-01", "--max-file-size", "8"],
    );
    assert_eq!(code, Some(3), "{out}{err}");
    assert!(out.contains("INCOMPLETE"), "{out}");
    let (_, hist, _) = run(d, &["history", &id[..12]]);
    assert!(!hist.contains("resolved"), "{hist}");

    // A complete rescan verifies it gone.
    let (_, out, err) = run(d, &["offboard", "--today", "2026-12-01"]);
    assert!(out.contains("1 resolved"), "{out}{err}");
    let (code, hist, _) = run(d, &["history", &id]);
    assert_eq!(code, Some(0));
    assert!(
        hist.contains("first_seen") && hist.contains("resolved"),
        "{hist}"
    );
    assert!(hist.contains("verified gone"), "{hist}");
}

#[test]
fn sign_offs_close_a_case_and_a_new_leaver_in_the_roster_opens_one() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    company(d);
    // carol's case: her host account and the Wiki item.
    run(d, &["offboard", "--today", "2026-12-01"]);
    let (_, out, _) = run(d, &["status", "--case", "2"]);
    assert!(
        out.contains("carol@acme.example") && out.contains("PENDING     Wiki"),
        "{out}"
    );
    let (code, _, err) = run(
        d,
        &["signoff", "2", "Payroll", "--by", "fin-ops@acme.example"],
    );
    assert_eq!(code, Some(2), "carol's case has no Payroll item: {err}");
    assert!(err.contains("Wiki"), "{err}");
    let (code, out, err) = run(
        d,
        &[
            "signoff",
            "2",
            "Wiki",
            "--by",
            "it@acme.example",
            "--note",
            "account removed",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    // Her host account is still an open finding: the case stays open.
    assert!(!out.contains("closed"), "{out}");
    let (code, out, err) = run(
        d,
        &[
            "signoff",
            "2",
            "web-1:carol",
            "--by",
            "it@acme.example",
            "--note",
            "locked by hand",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("closed"), "{out}");
    let (_, out, _) = run(d, &["status"]);
    assert!(
        !out.contains("carol@"),
        "closed cases are not listed: {out}"
    );
    let (_, out, _) = run(d, &["status", "--all"]);
    assert!(out.contains("carol@") && out.contains("closed"), "{out}");

    // bob leaves: the next offboard opens his case and leaves carol's closed.
    write(
        d,
        "roster.csv",
        &ROSTER.replace(
            "E2,bob@acme.example,Bob Baker,active,,",
            "E2,bob@acme.example,Bob Baker,terminated,2026-11-30,",
        ),
    );
    let (_, out, _) = run(d, &["offboard", "--today", "2026-12-01"]);
    assert!(
        out.contains("bob@acme.example") && out.contains("opened"),
        "{out}"
    );
    assert!(!out.contains("carol@"), "{out}");
}

#[test]
fn a_damaged_state_store_is_an_error_naming_it_never_a_fresh_start() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    company(d);
    let garbage = b"SQLite format 3\0 but truncated and scribbled over".repeat(20);
    std::fs::write(d.join("state/nhiscan.db"), &garbage).unwrap();
    let (code, _, err) = run(d, &["offboard", "--today", "2026-12-01"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("state/nhiscan.db"), "{err}");
    assert_eq!(std::fs::read(d.join("state/nhiscan.db")).unwrap(), garbage);
    let (code, _, err) = run(d, &["status"]);
    assert_eq!(code, Some(2), "{err}");
}

/// `diff --last NEW` compares a findings file with the last earlier run of the same job
/// in the store.
#[test]
fn diff_last_compares_with_the_previous_run_in_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    company(d);
    std::fs::create_dir_all(d.join("one")).unwrap();
    std::fs::create_dir_all(d.join("two")).unwrap();
    run(
        d,
        &["offboard", "--today", "2026-12-01", "--out-dir", "one"],
    );
    std::fs::remove_file(d.join("hosts/web-1/var/spool/cron/crontabs/alice")).unwrap();
    run(
        d,
        &["offboard", "--today", "2026-12-01", "--out-dir", "two"],
    );
    let (code, out, err) = run(d, &["diff", "--last", "two/case-1.json"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("1 resolved"), "{out}");
    // With no earlier run of that job: a clear error.
    let fresh = tempfile::tempdir().unwrap();
    company(fresh.path());
    let (code, _, err) = run(
        fresh.path(),
        &[
            "diff",
            "--last",
            d.join("two/case-1.json").to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no earlier run"), "{err}");
}
