//! Integration tests: host. The real binary runs `sweep` and `leaver` with the host
//! connector over the snapshot under `tests/fixtures/hosts/web-test` (roster and config
//! beside it), and the findings file is checked for the contract's kinds, resources,
//! coverage and exit codes. Needs the whole pipeline (config, roster, attribution,
//! policy, report).

use crate::support::{fixture, nhiscan};
use serde_json::Value;
use std::path::Path;

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).expect("findings file written")).expect("valid JSON")
}

fn finding<'a>(v: &'a Value, kind: &str, resource: &str) -> Option<&'a Value> {
    v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .find(|f| f["kind"] == kind && f["resource"] == resource)
}

fn coverage<'a>(v: &'a Value, connector: &str) -> &'a Value {
    v["coverage"]
        .as_array()
        .expect("coverage array")
        .iter()
        .find(|c| c["connector"] == connector)
        .unwrap_or_else(|| panic!("no coverage for {connector}: {}", v["coverage"]))
}

#[test]
fn sweep_reports_unowned_admins_and_leavers_accounts_on_a_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("findings.json");
    let dir = fixture("hosts");
    nhiscan()
        .current_dir(tmp.path())
        .args(["sweep", "--no-progress", "-q", "--hr"])
        .arg(dir.join("roster.csv"))
        .arg("-c")
        .arg(dir.join("nhiscan.toml"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let v = read_json(&out);
    let cov = coverage(&v, "host:web-test");
    assert_eq!(cov["status"], "complete", "{cov}");

    // A uid-0 account nobody in HR owns: orphaned shadow admin.
    let toor = finding(&v, "host_admin", "web-test:toor").expect("toor reported");
    assert_eq!(toor["relation"], "orphaned");
    assert_eq!(toor["connector"], "host:web-test");
    // The leaver's own login, still live.
    let alice = finding(&v, "host_admin", "web-test:alice").expect("alice reported");
    assert_eq!(alice["owner"], "alice@acme.example");
    assert_eq!(alice["relation"], "is");
    // An active person's plain account is not a sweep finding.
    assert!(finding(&v, "host_admin", "web-test:bob").is_none());
    // The AWS key in deploy's crontab, redacted.
    let aws = finding(
        &v,
        "secret_on_host",
        "web-test:/var/spool/cron/crontabs/deploy:3",
    )
    .expect("crontab secret reported");
    assert_eq!(aws["secret"]["redacted"], "AKIA…Q2WM");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        !text.contains("AKIAZFAKEFIXT7R3Q2WM"),
        "raw secret in findings file"
    );
}

#[test]
fn leaver_finds_keys_the_leaver_left_in_other_accounts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("findings.json");
    let dir = fixture("hosts");
    nhiscan()
        .current_dir(tmp.path())
        .args(["leaver", "alice@acme.example", "--no-progress", "-q", "-c"])
        .arg(dir.join("nhiscan.toml"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let v = read_json(&out);
    let key = finding(
        &v,
        "ssh_authorized_key",
        "web-test:deploy#SHA256:tcKBtY94NtVfEtqM2UqdYiI+LvZRrM4M/NDYM5tHaNU",
    )
    .expect("alice's key in deploy's authorized_keys");
    assert_eq!(key["owner"], "alice@acme.example");
    assert_eq!(key["relation"], "has_access");
    let ev = key["evidence"].to_string();
    assert!(
        ev.contains("/home/deploy/.ssh/authorized_keys line 3 grants login as deploy"),
        "{ev}"
    );
    assert!(finding(&v, "host_admin", "web-test:alice").is_some());
}

#[test]
fn a_missing_root_is_failed_coverage_and_exit_3_but_the_others_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("findings.json");
    let dir = fixture("hosts");
    let cfg = tmp.path().join("nhiscan.toml");
    std::fs::write(
        &cfg,
        format!(
            "[hr]\nroster = {:?}\n\n[[connector]]\ntype = \"host\"\nroots = [{:?}, \"no-such-host\"]\n",
            dir.join("roster.csv"),
            dir.join("web-test"),
        ),
    )
    .unwrap();
    nhiscan()
        .current_dir(tmp.path())
        .args(["sweep", "--no-progress", "-q", "-c"])
        .arg(&cfg)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(3);
    let v = read_json(&out);
    let failed = coverage(&v, "host:no-such-host");
    assert_eq!(failed["status"], "failed");
    assert!(failed["errors"][0]
        .as_str()
        .unwrap()
        .contains("no-such-host"));
    assert_eq!(coverage(&v, "host:web-test")["status"], "complete");
    assert!(finding(&v, "host_admin", "web-test:toor").is_some());
}

/// A roster as an HRIS/Excel export writes it (BOM, `;` separators, CRLF, HRIS headers and
/// statuses, a US date, a trailing separator): the leaver is found by a listed alias, the
/// subject block carries the parsed date and risk, and the host findings name them.
#[test]
fn leaver_from_an_excel_style_roster_by_alias() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("findings.json");
    let dir = fixture("hosts");
    let roster = tmp.path().join("export.csv");
    std::fs::write(
        &roster,
        "\u{feff}Employee ID;Work Email;Full Name;Status;Termination Date;Manager Email;Aliases;Risk Level;\r\n\
         T1001;Alice@Acme.example;\"Liddell; Alice\";TERMINATED;11/20/2026;dave@acme.example;\" alice ; github:alice-dev \";Elevated;\r\n\
         T1002;bob@acme.example;Bob Builder;Active \r\n\
         T1004;dave@acme.example;Dave Dunn;on leave;;;dave;;\r\n\r\n",
    )
    .unwrap();
    let cfg = tmp.path().join("nhiscan.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[connector]]\ntype = \"host\"\nroots = [{:?}]\n",
            dir.join("web-test")
        ),
    )
    .unwrap();
    nhiscan()
        .current_dir(tmp.path())
        .args(["leaver", "GitHub:Alice-Dev", "--no-progress", "-q", "-c"])
        .arg(&cfg)
        .arg("--hr")
        .arg(&roster)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let v = read_json(&out);
    let s = &v["scan"]["subject"];
    assert_eq!(s["employee_id"], "T1001");
    assert_eq!(s["email"], "alice@acme.example");
    assert_eq!(s["status"], "terminated");
    assert_eq!(s["end_date"], "2026-11-20");
    assert_eq!(s["risk"], "high");
    let ids: Vec<&str> = s["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        ids.contains(&"github:alice-dev") && ids.contains(&"alice"),
        "{ids:?}"
    );
    let alice = finding(&v, "host_admin", "web-test:alice").expect("alice's admin account");
    assert_eq!(alice["owner"], "alice@acme.example");
    assert_eq!(alice["relation"], "is");
    assert!(alice["remediation"]["detail"]
        .as_str()
        .unwrap()
        .contains("dave@acme.example"));
}

/// A roster nobody could be loaded from is an input error, not a sweep that calls every
/// account orphaned.
#[test]
fn sweep_with_an_unusable_roster_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture("hosts");
    let roster = tmp.path().join("hr.csv");
    std::fs::write(&roster, "employee_id,email,status\r\n\r\n").unwrap();
    let out = tmp.path().join("findings.json");
    let assert = nhiscan()
        .current_dir(tmp.path())
        .args(["sweep", "--no-progress", "-c"])
        .arg(dir.join("nhiscan.toml"))
        .arg("--hr")
        .arg(&roster)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        err.contains("hr.csv") && err.contains("no usable people"),
        "{err}"
    );
    assert!(!out.exists());
}

/// Two snapshots of `web-test` (copies of one machine at two dates): each root gets its
/// own connector name and coverage entry, so neither's findings hide the other's.
#[test]
fn two_snapshots_with_one_hostname_are_reported_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("findings.json");
    let dir = fixture("hosts");
    let copy = tmp.path().join("snaps/web-test-2026-06");
    copy_tree(&dir.join("web-test"), &copy);
    let cfg = tmp.path().join("nhiscan.toml");
    std::fs::write(
        &cfg,
        format!(
            "[hr]\nroster = {:?}\n\n[[connector]]\ntype = \"host\"\nroots = [{:?}, \"snaps/web-test-2026-06\"]\n",
            dir.join("roster.csv"),
            dir.join("web-test"),
        ),
    )
    .unwrap();
    nhiscan()
        .current_dir(tmp.path())
        .args(["sweep", "--no-progress", "-q", "-c"])
        .arg(&cfg)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let v = read_json(&out);
    assert_eq!(coverage(&v, "host:web-test")["status"], "complete");
    let snap = coverage(&v, "host:web-test@web-test-2026-06");
    assert_eq!(snap["status"], "complete", "{snap}");
    let a = finding(&v, "host_admin", "web-test:toor").expect("first root");
    let b = finding(&v, "host_admin", "web-test@web-test-2026-06:toor").expect("second root");
    assert_eq!(b["connector"], "host:web-test@web-test-2026-06");
    assert_ne!(a["id"], b["id"]);
}

/// The live machine's own `/`: no crash, nothing under /proc or /sys walked, one coverage
/// entry, and quick.
#[test]
fn the_live_root_scans_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("findings.json");
    let started = std::time::Instant::now();
    let code = nhiscan()
        .current_dir(tmp.path())
        .args(["leaver", "nobody-here@acme.example", "--no-progress", "-q"])
        .arg("-c")
        .arg({
            let cfg = tmp.path().join("nhiscan.toml");
            std::fs::write(&cfg, "[[connector]]\ntype = \"host\"\nroots = [\"/\"]\n").unwrap();
            cfg
        })
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap()
        .status
        .code();
    assert!(matches!(code, Some(0 | 1 | 3)), "exit {code:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let v = read_json(&out);
    let cov = v["coverage"].as_array().unwrap();
    assert_eq!(cov.len(), 1, "{cov:?}");
    assert!(cov[0]["connector"].as_str().unwrap().starts_with("host:"));
    assert_ne!(cov[0]["status"], "failed", "{cov:?}");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        let dest = to.join(e.file_name());
        if t.is_dir() {
            copy_tree(&e.path(), &dest);
        } else if t.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).unwrap(), &dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}
