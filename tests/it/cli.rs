//! Integration tests: the leaver, sweep and secrets jobs end to end through the real
//! binary, on the bundled example environment and on bad input.

use crate::support::{fixture, nhiscan};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A private copy of the example environment (roster, hosts, config) with its git
/// repositories built by the example's own script.
fn example_env() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = repo_root().join("examples/acme");
    copy_dir(&src, tmp.path());
    let _ = std::fs::remove_dir_all(tmp.path().join("repos"));
    let st = std::process::Command::new("bash")
        .arg(tmp.path().join("make-repos.sh"))
        .arg(tmp.path().join("repos"))
        .output()
        .expect("run make-repos.sh");
    assert!(
        st.status.success(),
        "make-repos.sh failed: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let ty = e.file_type().expect("file type");
        let dest = to.join(e.file_name());
        if ty.is_dir() {
            copy_dir(&e.path(), &dest);
        } else if ty.is_file() {
            std::fs::copy(e.path(), &dest).expect("copy");
        } else if ty.is_symlink() {
            let target = std::fs::read_link(e.path()).expect("readlink");
            std::os::unix::fs::symlink(target, &dest).expect("symlink");
        }
    }
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).expect("findings file written")).expect("valid JSON")
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().expect("findings array")
}

fn find<'a>(v: &'a Value, kind: &str, resource_contains: &str) -> Option<&'a Value> {
    findings(v).iter().find(|f| {
        f["kind"] == kind
            && f["resource"]
                .as_str()
                .unwrap_or("")
                .contains(resource_contains)
    })
}

#[test]
fn leaver_on_the_example_environment_finds_alice_everywhere() {
    let env = example_env();
    let out = env.path().join("out.json");
    let assert = nhiscan()
        .current_dir(env.path())
        .args([
            "leaver",
            "alice@acme.example",
            "-c",
            "nhiscan.toml",
            "--no-progress",
            "-o",
        ])
        .arg(&out)
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        stdout.contains("alice@acme.example"),
        "summary names the subject: {stdout}"
    );

    let v = read_json(&out);
    assert_eq!(v["schema_version"], "1");
    assert_eq!(v["scan"]["mode"], "leaver");
    assert_eq!(v["scan"]["subject"]["email"], "alice@acme.example");
    assert_eq!(v["scan"]["subject"]["employee_id"], "E1001");
    assert_eq!(v["scan"]["subject"]["risk"], "high");
    for c in v["coverage"].as_array().expect("coverage") {
        assert_eq!(c["status"], "complete", "coverage {c}");
    }
    assert!(v["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["connector"] == "git"));
    assert!(v["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["connector"] == "host:web-1"));

    // Her own admin login on web-1.
    let acct = find(&v, "host_admin", "web-1:alice").expect("alice's admin account on web-1");
    assert_eq!(acct["relation"], "is");
    assert_eq!(acct["owner"], "alice@acme.example");

    // The AWS key she committed under an old alias email and then deleted: still a finding,
    // authored by her, not in HEAD.
    let key = findings(&v)
        .iter()
        .find(|f| {
            f["kind"] == "secret_in_repo"
                && f["resource"].as_str().unwrap_or("").contains("deploy.env")
        })
        .expect("the deleted deploy.env secret");
    assert_eq!(key["relation"], "authored");
    assert_eq!(key["location"]["in_head"], false);
    assert_eq!(
        key["location"]["author_email"],
        "alice.archer@acme-old.example"
    );
    assert!(
        key["resource"].as_str().unwrap().contains('@'),
        "history resource names the commit"
    );

    // A GitHub noreply commit resolves through her github: alias.
    assert!(findings(&v).iter().any(|f| f["kind"] == "secret_in_repo"
        && f["location"]["author_email"] == "123456+alice-dev@users.noreply.github.com"
        && f["relation"] == "authored"));

    // Every finding carries evidence and a remediation; no raw secret anywhere.
    for f in findings(&v) {
        assert!(
            !f["evidence"].as_array().unwrap().is_empty(),
            "evidence for {f}"
        );
        assert!(f["remediation"]["action"].is_string());
        assert_eq!(f["owner"], "alice@acme.example");
    }
    let raw = std::fs::read_to_string(&out).unwrap();
    for secret in [
        "AKIAZ7FAKEK3Y4LEAK5Q",
        "q8Zr1FAKEx0Vb3nT6yWm2Lk9Pd4Hs7Jc5Ga1Xe0U",
        "Tq7vFAKEr9Lx2Wp",
    ] {
        assert!(
            !raw.contains(secret),
            "raw secret {secret} leaked into the findings file"
        );
        assert!(
            !stdout.contains(secret),
            "raw secret leaked to the terminal"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn finding_ids_are_stable_across_runs() {
    let env = example_env();
    let run = |name: &str| {
        let out = env.path().join(name);
        nhiscan()
            .current_dir(env.path())
            .args([
                "leaver",
                "E1001",
                "-c",
                "nhiscan.toml",
                "--no-progress",
                "-q",
                "-o",
            ])
            .arg(&out)
            .assert()
            .code(1);
        let mut ids: Vec<String> = findings(&read_json(&out))
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let a = run("a.json");
    assert!(!a.is_empty());
    assert_eq!(a, run("b.json"));
}

#[test]
fn sweep_reports_orphans_and_departed_owners_and_keeps_exceptions() {
    let env = example_env();
    let out = env.path().join("sweep.json");
    nhiscan()
        .current_dir(env.path())
        .args(["sweep", "-c", "nhiscan.toml", "--no-progress", "-q", "-o"])
        .arg(&out)
        .assert()
        .code(1);
    let v = read_json(&out);
    assert_eq!(v["scan"]["mode"], "sweep");
    // A local admin nobody in HR knows: orphaned.
    let b = find(&v, "host_admin", "db-1:backupadm").expect("backupadm orphaned admin");
    assert_eq!(b["relation"], "orphaned");
    assert!(b["owner"].is_null());
    assert!(matches!(
        b["severity"].as_str(),
        Some("high") | Some("critical")
    ));
    // The token committed by a contractor who left.
    assert!(findings(&v).iter().any(|f| f["kind"] == "secret_in_repo"
        && f["owner"] == "carol@contractors.example"
        && f["relation"] == "authored"));
    // Nothing owned by an active person is reported.
    for f in findings(&v) {
        assert_ne!(f["owner"], "bob@acme.example", "active owner reported: {f}");
        assert_ne!(
            f["owner"], "dave@acme.example",
            "active owner reported: {f}"
        );
    }
    // Regression: alice's key in root's authorized_keys was reported as orphaned with no
    // owner; it is her leftover root access. dave (active) holds the other root key.
    let root_keys: Vec<&Value> = findings(&v)
        .iter()
        .filter(|f| {
            f["kind"] == "ssh_authorized_key"
                && f["resource"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("web-1:root#")
        })
        .collect();
    assert_eq!(root_keys.len(), 1, "{root_keys:?}");
    assert_eq!(root_keys[0]["owner"], "alice@acme.example");
    assert_eq!(root_keys[0]["relation"], "has_access");
    // The approved exception travels with its finding.
    let toor = find(&v, "host_admin", "db-1:toor").expect("toor uid-0 account");
    assert_eq!(toor["exception"]["approved_by"], "ciso@acme.example");
}

#[test]
fn sweep_without_a_roster_exits_2_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    nhiscan()
        .current_dir(tmp.path())
        .args(["sweep", "--no-progress"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--hr"));
}

#[test]
fn leaver_not_in_hr_exits_2_unless_aliases_are_given() {
    let env = example_env();
    nhiscan()
        .current_dir(env.path())
        .args([
            "leaver",
            "nobody@acme.example",
            "-c",
            "nhiscan.toml",
            "--no-progress",
        ])
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("nobody@acme.example")
                .and(predicates::str::contains("--alias")),
        );
    let out = env.path().join("o.json");
    nhiscan()
        .current_dir(env.path())
        .args([
            "leaver",
            "nobody@acme.example",
            "--alias",
            "backupadm",
            "-c",
            "nhiscan.toml",
            "--no-progress",
            "-q",
            "-o",
        ])
        .arg(&out)
        .assert()
        .code(1);
    let v = read_json(&out);
    assert!(find(&v, "host_admin", "db-1:backupadm").is_some());
}

use predicates::prelude::PredicateBooleanExt;

#[test]
fn config_with_unknown_key_exits_2_naming_key_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[[connector]]\ntype = \"git\"\npaths = [\".\"]\nbranchez = 1\n",
    )
    .unwrap();
    nhiscan()
        .current_dir(tmp.path())
        .args(["leaver", "x@acme.example", "--no-progress", "-c"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("branchez").and(predicates::str::contains("bad.toml")));
    std::fs::write(&cfg, "[[connector]]\ntype = \"ftp\"\n").unwrap();
    nhiscan()
        .current_dir(tmp.path())
        .args(["leaver", "x@acme.example", "--no-progress", "-c"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("ftp"));
}

#[test]
fn a_missing_host_root_makes_the_scan_incomplete_not_clean() {
    let env = example_env();
    let cfg = env.path().join("missing.toml");
    std::fs::write(
        &cfg,
        "[hr]\nroster = \"hr/roster.csv\"\n[[connector]]\ntype = \"host\"\nroots = [\"hosts/does-not-exist\"]\n",
    )
    .unwrap();
    let out = env.path().join("m.json");
    nhiscan()
        .current_dir(env.path())
        .args(["leaver", "bob@acme.example", "--no-progress", "-q", "-c"])
        .arg(&cfg)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(3);
    let v = read_json(&out);
    let cov = v["coverage"].as_array().unwrap();
    assert!(cov.iter().any(|c| c["status"] == "failed"
        && c["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("does-not-exist"))));
}

#[test]
fn malformed_roster_rows_are_reported_with_file_and_line_and_the_rest_loads() {
    let env = example_env();
    let roster = env.path().join("hr/broken.csv");
    std::fs::write(
        &roster,
        "employee_id,email,name,status\nE1,alice@acme.example,Alice,terminated\nE2,not-an-email,Bob,active\nE3,carol@acme.example,Carol,maybe\n",
    )
    .unwrap();
    let out = env.path().join("r.json");
    let a = nhiscan()
        .current_dir(env.path())
        .args([
            "leaver",
            "alice@acme.example",
            "--no-progress",
            "-q",
            "--hr",
        ])
        .arg(&roster)
        .arg("-c")
        .arg("nhiscan.toml")
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("broken.csv:3"), "{err}");
    assert!(err.contains("broken.csv:4"), "{err}");
    let v = read_json(&out);
    assert!(!v["scan"]["warnings"].as_array().unwrap().is_empty());
}

#[test]
fn secrets_on_a_path_that_does_not_exist_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    nhiscan()
        .current_dir(tmp.path())
        .args(["secrets", "no/such/dir", "--no-progress"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no/such/dir"));
}

#[test]
fn usage_errors_exit_2() {
    nhiscan().args(["leaver"]).assert().code(2);
    nhiscan().args(["frobnicate"]).assert().code(2);
    let _ = fixture("unused");
}
