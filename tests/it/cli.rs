//! Integration tests: the leaver, sweep and secrets jobs end to end through the real
//! binary, on the bundled example environment and on bad input.

use crate::support::{fixture, git, nhiscan};
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
    let run = |quiet: bool| {
        let mut c = nhiscan();
        c.current_dir(env.path())
            .args(["leaver", "alice@acme.example", "--no-progress", "--hr"])
            .arg(&roster)
            .args(["-c", "nhiscan.toml", "-o"])
            .arg(&out);
        if quiet {
            c.arg("-q");
        }
        let a = c.assert().code(1);
        let o = a.get_output();
        (
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let (stdout, _) = run(false);
    assert!(stdout.contains("broken.csv:3"), "{stdout}");
    assert!(stdout.contains("broken.csv:4"), "{stdout}");
    let v = read_json(&out);
    assert!(!v["scan"]["warnings"].as_array().unwrap().is_empty());

    // Quiet means quiet: the rows are only in the findings file.
    let (stdout, stderr) = run(true);
    assert!(
        stdout.is_empty() && !stderr.contains("broken.csv"),
        "{stdout}{stderr}"
    );
    let v = read_json(&out);
    let warnings = v["scan"]["warnings"].to_string();
    assert!(
        warnings.contains("broken.csv:3") && warnings.contains("broken.csv:4"),
        "{warnings}"
    );
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

/// A nightly sweep config that also lists GitHub and a SaaS spec whose token variables
/// are not set: both are recorded as failed sources naming the variable (exit 3), and
/// every other connector still runs. It must never scan nothing, nor look clean.
#[test]
fn github_and_saas_connectors_without_their_tokens_are_failed_sources_not_clean() {
    let env = example_env();
    let cfg = env.path().join("nightly.toml");
    std::fs::write(
        &cfg,
        "[hr]\nroster = \"hr/roster.csv\"\n\
         [[connector]]\ntype = \"host\"\nroots = [\"hosts/web-1\"]\n\
         [[connector]]\ntype = \"github\"\nname = \"main\"\norg = \"acme\"\napi_url = \"http://127.0.0.1:9\"\ntoken_env = \"NHISCAN_TEST_UNSET_GH\"\n\
         [[connector]]\ntype = \"saas\"\nspec = \"okta\"\nbase_url = \"http://127.0.0.1:9\"\ntoken_env = \"NHISCAN_TEST_UNSET_OKTA\"\n",
    )
    .unwrap();
    let out = env.path().join("nightly.json");
    let a = nhiscan()
        .current_dir(env.path())
        .env_remove("NHISCAN_TEST_UNSET_GH")
        .env_remove("NHISCAN_TEST_UNSET_OKTA")
        .args(["sweep", "--no-progress", "-c"])
        .arg(&cfg)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(3);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(stdout.contains("github:acme"), "{stdout}");
    let v = read_json(&out);
    let cov = v["coverage"].as_array().unwrap();
    let entry = |name: &str| {
        cov.iter()
            .find(|c| c["connector"] == name)
            .unwrap_or_else(|| panic!("no coverage entry {name}: {cov:?}"))
    };
    assert_eq!(entry("host:web-1")["status"], "complete");
    for (name, var) in [
        ("github:acme", "NHISCAN_TEST_UNSET_GH"),
        ("saas:okta", "NHISCAN_TEST_UNSET_OKTA"),
    ] {
        let c = entry(name);
        assert_eq!(c["status"], "failed", "{c}");
        let err = c["errors"][0].as_str().unwrap();
        assert!(err.contains(var), "{err}");
    }
    // The host connector still ran and its findings are in the file.
    assert!(find(&v, "host_admin", "web-1:alice").is_some());
}

#[test]
fn unknown_keys_in_github_and_saas_connectors_exit_2_naming_key_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("gh.toml");
    for (text, key) in [
        (
            "[[connector]]\ntype = \"git\"\npaths = [\".\"]\n[[connector]]\ntype = \"github\"\norg = \"acme\"\ntoken = \"x\"\n",
            "token",
        ),
        (
            "[[connector]]\ntype = \"saas\"\nspec = \"okta\"\napi_key_env = \"X\"\n",
            "api_key_env",
        ),
        ("[[connector]]\ntype = \"github\"\napi_url = \"x\"\n", "org"),
        ("[[connector]]\ntype = \"saas\"\nspec = \" \"\n", "spec"),
    ] {
        std::fs::write(&cfg, text).unwrap();
        let a = nhiscan()
            .current_dir(tmp.path())
            .args(["leaver", "x@acme.example", "--no-progress", "-c"])
            .arg(&cfg)
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains(key) && err.contains("gh.toml"), "{text}: {err}");
    }
    // The error says which [[connector]] it is in, not just the first header.
    std::fs::write(
        &cfg,
        "[[connector]]\ntype = \"git\"\npaths = [\".\"]\n[[connector]]\ntype = \"github\"\norg = \"acme\"\ntoken = \"x\"\n",
    )
    .unwrap();
    nhiscan()
        .current_dir(tmp.path())
        .args(["leaver", "x@acme.example", "--no-progress", "-c"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("number 2 (type = \"github\")"));

    // Two accounts without a `name` would both be `aws:default` in findings and coverage.
    std::fs::write(
        &cfg,
        "[[connector]]\ntype = \"aws\"\nregion = \"us-east-1\"\n[[connector]]\ntype = \"aws\"\nprofile = \"other\"\n",
    )
    .unwrap();
    nhiscan()
        .current_dir(tmp.path())
        .args(["leaver", "x@acme.example", "--no-progress", "-c"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("aws:default").and(predicates::str::contains("gh.toml")));
}

/// Exceptions: a bare TOML date works, by id and by resource; an expired one is a warning
/// and does not apply; a bad date is exit 2 naming the file. Findings that are all under
/// valid exceptions exit 0.
#[test]
fn exceptions_by_id_and_resource_expired_and_bad_dates() {
    let env = example_env();
    let cfg = env.path().join("exc.toml");
    let base = "[hr]\nroster = \"hr/roster.csv\"\n[[connector]]\ntype = \"host\"\nroots = [\"hosts/db-1\"]\n";
    std::fs::write(&cfg, base).unwrap();
    let out = env.path().join("exc.json");
    let run = |code: i32| {
        nhiscan()
            .current_dir(env.path())
            .args(["sweep", "--no-progress", "-c"])
            .arg(&cfg)
            .arg("-o")
            .arg(&out)
            .assert()
            .code(code)
    };
    run(1);
    let v = read_json(&out);
    let fs = findings(&v);
    assert!(fs.len() >= 2, "{fs:?}");
    let exc = |finding: &str, expires: &str| {
        format!(
            "[[exception]]\nfinding = \"{finding}\"\nreason = \"legal hold\"\napproved_by = \"ciso@acme.example\"\nexpires = {expires}\n"
        )
    };
    // All but the first by id, the first by resource (bare TOML date), plus an expired one.
    let mut text = base.to_string();
    text.push_str(&exc(fs[0]["resource"].as_str().unwrap(), "2999-01-31"));
    for f in &fs[1..] {
        text.push_str(&exc(f["id"].as_str().unwrap(), "\"2999-01-31\""));
    }
    text.push_str(&exc("db-1:nobody", "\"2001-01-01\""));
    std::fs::write(&cfg, &text).unwrap();
    let a = run(0);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(stdout.contains("expired on 2001-01-01"), "{stdout}");
    let v = read_json(&out);
    assert!(findings(&v).iter().all(|f| f["exception"].is_object()));
    assert_eq!(v["summary"]["excepted"], findings(&v).len());
    assert!(v["scan"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("db-1:nobody"));

    // An expired exception on a real finding leaves it open.
    let mut text = base.to_string();
    text.push_str(&exc(fs[0]["id"].as_str().unwrap(), "\"2001-01-01\""));
    std::fs::write(&cfg, &text).unwrap();
    run(1);
    let v = read_json(&out);
    assert!(findings(&v).iter().all(|f| f["exception"].is_null()));

    for bad in ["\"2027-02-30\"", "\"soon\"", "2027-01-01T00:00:00Z", "5"] {
        let mut text = base.to_string();
        text.push_str(&exc("x", bad));
        std::fs::write(&cfg, &text).unwrap();
        run(2).stderr(
            predicates::str::contains("exc.toml").and(predicates::str::contains("expires")),
        );
    }
}

/// `-o` into a directory that does not exist fails before scanning (exit 2, clear
/// message); `-o /dev/null` and a FIFO are written into, never replaced.
#[test]
fn output_paths_are_checked_before_scanning_and_special_files_kept() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.txt"), "nothing here\n").unwrap();
    let a = nhiscan()
        .current_dir(tmp.path())
        .args([
            "secrets",
            "a.txt",
            "--no-progress",
            "-o",
            "no/such/dir/f.json",
        ])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("no/such/dir") && err.contains("does not exist"),
        "{err}"
    );
    assert!(!err.contains(".nhiscan-"), "{err}");
    nhiscan()
        .current_dir(tmp.path())
        .args(["secrets", "a.txt", "--no-progress", "-o", "."])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("directory"));
    let fifo = tmp.path().join("pipe");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    nhiscan()
        .current_dir(tmp.path())
        .args([
            "secrets",
            "a.txt",
            "--no-progress",
            "-q",
            "--format",
            "csv",
            "-o",
        ])
        .arg(&fifo)
        .assert()
        .code(0);
    assert!(reader.join().unwrap().starts_with("id,kind,"));
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

/// A connector with nothing to scan is a config error, never a complete, clean scan.
#[test]
fn empty_paths_or_roots_exit_2_not_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("zero.toml");
    for (text, what) in [
        (
            "[[connector]]\ntype = \"git\"\npaths = []\n",
            "paths is empty",
        ),
        (
            "[[connector]]\ntype = \"host\"\nroots = []\n",
            "roots is empty",
        ),
    ] {
        std::fs::write(&cfg, text).unwrap();
        nhiscan()
            .current_dir(tmp.path())
            .args(["leaver", "x@acme.example", "--no-progress", "-c"])
            .arg(&cfg)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(what).and(predicates::str::contains("zero.toml")));
    }
}

/// `nhiscan ... | head -1`: a closed stdout is not a panic, and the exit code is the scan's.
#[test]
fn closed_stdout_is_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.txt"), "nothing here\n").unwrap();
    let bin = assert_cmd::cargo::cargo_bin("nhiscan");
    for args in [
        vec!["secrets", "a.txt", "--no-progress", "-o", "f.json"],
        vec!["rules", "list"],
    ] {
        let mut child = std::process::Command::new(&bin)
            .current_dir(tmp.path())
            .args(&args)
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// A private copy of `tests/fixtures/company` (roster with a manager chain in which
/// managers left, a contractor with a personal-email alias, host snapshot `app-9`) plus a
/// git repository `repos/legacy-etl` that only leavers committed to: uma, under her GitHub
/// noreply address, adds a (fake) token; wes, her manager who also left, adds a README.
fn company_env() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("company"), tmp.path());
    let repo = tmp.path().join("repos/legacy-etl");
    std::fs::create_dir_all(&repo).expect("mkdir repo");
    let when = "2025-05-02T10:00:00Z";
    let git = |args: &[&str], who: Option<(&str, &str)>| {
        git(&repo, args, who.map(|(n, e)| (n, e, when)));
    };
    git(&["init", "-q"], None);
    // FAKE, assembled here so that no token-shaped literal sits in the source.
    let token = nhiscan::rules::with_github_checksum("ghp_", "FAKE0nhiscan0Legcy0Tok0aB3dE5f");
    assert_eq!(token.len(), 40);
    std::fs::write(repo.join("sync.sh"), format!("GITHUB_TOKEN={token}\n")).unwrap();
    git(&["add", "-A"], None);
    git(
        &["commit", "-q", "-m", "sync"],
        Some(("Uma Upton", "4242+uma-u@users.noreply.github.com")),
    );
    std::fs::write(repo.join("README.md"), "# etl\n").unwrap();
    git(&["add", "-A"], None);
    git(
        &["commit", "-q", "-m", "readme"],
        Some(("Wes West", "wes@corp.example")),
    );
    tmp
}

fn run_company(env: &Path, args: &[&str], out: &str) -> (Value, String) {
    let out = env.join(out);
    let a = nhiscan()
        .current_dir(env)
        .args(args)
        .args(["-c", "nhiscan.toml", "--no-progress", "-o"])
        .arg(&out)
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    (read_json(&out), stdout)
}

/// Regressions from an offboarding-day run: transfers went to a manager who had left
/// too; a leaver's key in a service account's authorized_keys ranked medium; the same
/// commit or key comment was listed twice as evidence (once more "matched by display
/// name"); the terminal summary did not say what to do.
#[test]
fn leaver_remediation_skips_departed_managers_and_evidence_is_not_repeated() {
    let env = company_env();
    let (v, stdout) = run_company(env.path(), &["leaver", "uma@corp.example"], "uma.json");

    // Her own account: hand over to the first active manager, saying why not wes.
    let acct = find(&v, "host_account", "app-9:uma").expect("uma's account");
    assert_eq!(acct["relation"], "is");
    let detail = acct["remediation"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("ceo@corp.example, the first active manager up the chain")
            && detail.contains("wes@corp.example is terminated"),
        "{detail}"
    );
    assert!(
        !detail.contains("the manager wes@corp.example."),
        "{detail}"
    );

    // Her key in deploy's authorized_keys: a login that still works after she left.
    let key = find(&v, "ssh_authorized_key", "app-9:deploy#").expect("uma's key on deploy");
    assert_eq!(key["relation"], "has_access");
    assert_eq!(key["severity"], "high", "{key}");

    // The token she committed under her noreply address: one line for the commit.
    let secret = find(&v, "secret_in_repo", "legacy-etl:sync.sh").expect("uma's token");
    assert_eq!(secret["relation"], "authored");
    assert_eq!(secret["confidence"], "confirmed");
    let ev: Vec<&str> = secret["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        ev.iter().filter(|d| d.contains("introduced in")).count(),
        1,
        "{ev:?}"
    );
    for f in findings(&v) {
        let details: Vec<&Value> = f["evidence"].as_array().unwrap().iter().collect();
        for d in &details {
            let text = d["detail"].as_str().unwrap();
            if let Some((base, _)) = text.split_once(" (matched by") {
                assert!(
                    !details.iter().any(|o| o["detail"] == base),
                    "weak copy of an evidence line beside the plain one: {f}"
                );
            }
        }
    }

    // The summary says what to do, per finding and in total, with each finding's title.
    assert!(
        // revoke 3: the two keys, and an account uma can log into with her key.
        stdout.contains("To do: disable 1, revoke 3, rotate 1"),
        "{stdout}"
    );
    let top: Vec<&str> = stdout.lines().filter(|l| l.starts_with("  ")).collect();
    assert!(
        top[0].contains("disable") && top[0].contains("app-9:uma "),
        "own account first: {stdout}"
    );
    assert!(
        top[1]
            .trim_start()
            .starts_with("Local account uma on app-9"),
        "{stdout}"
    );

    // wes (her manager, also gone) could read the token: exposure, listed on request
    // (`--exposure`) at low severity, counted otherwise.
    let (w, _) = run_company(env.path(), &["leaver", "wes", "--exposure"], "wes.json");
    let s = find(&w, "secret_in_repo", "legacy-etl:sync.sh").expect("wes has access");
    assert_eq!(s["relation"], "has_access");
    assert_eq!(s["confidence"], "possible");
    assert_eq!(s["severity"], "low");
}

#[test]
fn key_comment_naming_a_personal_email_alias_is_one_strong_evidence_line() {
    let env = company_env();
    let (v, _) = run_company(env.path(), &["leaver", "vvance"], "vic.json");
    let key = find(&v, "ssh_authorized_key", "app-9:root#").expect("vic's root key");
    assert_eq!(key["owner"], "vic@vendor.example");
    assert_eq!(key["relation"], "has_access");
    assert_eq!(key["confidence"], "likely");
    let ev = key["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(!ev[0]["detail"].as_str().unwrap().contains("derived"));
    // Contractor's manager is active: named directly.
    assert!(key["remediation"]["detail"].is_string());
}

#[test]
fn handover_with_no_active_manager_in_the_chain_asks_for_a_new_owner() {
    let env = company_env();
    // ola's manager is pia, whose manager is ola: both left.
    let (v, _) = run_company(env.path(), &["leaver", "ola@corp.example"], "ola.json");
    let acct = find(&v, "host_account", "app-9:ola").expect("ola's account");
    let detail = acct["remediation"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("a new accountable owner (the manager pia@corp.example is terminated"),
        "{detail}"
    );
}

#[test]
fn sweep_of_the_company_reports_leavers_not_active_owners() {
    let env = company_env();
    let (v, stdout) = run_company(env.path(), &["sweep"], "sweep.json");
    for f in findings(&v) {
        assert_ne!(
            f["owner"], "nick@corp.example",
            "active owner reported: {f}"
        );
        assert_ne!(f["owner"], "ceo@corp.example", "active owner reported: {f}");
    }
    // The repository only leavers touched: reported with its departed author.
    let s = find(&v, "secret_in_repo", "legacy-etl:sync.sh").expect("token");
    assert_eq!(s["owner"], "uma@corp.example");
    assert_eq!(s["relation"], "authored");
    assert!(
        s["evidence"].as_array().unwrap().iter().any(|e| e["detail"]
            .as_str()
            .unwrap()
            .contains("no active person owns")),
        "the sweep says nobody active can route the rotation: {s}"
    );
    // The CI key in deploy's authorized_keys has no owner at all: orphaned, and so is deploy.
    // deploy is reported: orphaned, or as access a departed person holds (their key in
    // its authorized_keys), never as an active person's.
    assert!(
        findings(&v).iter().any(|f| f["resource"] == "app-9:deploy"
            && (f["relation"] == "orphaned" || f["relation"] == "has_access")),
        "{:#}",
        v["findings"]
    );
    // One finding per NHI.
    let mut ids: Vec<&str> = findings(&v)
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert!(stdout.contains("To do: "), "{stdout}");
}

/// Sweep: a departed person's key left in an active colleague's `authorized_keys` is still
/// a way in for them. It is reported with them (not hidden by bob being an active owner of
/// his own account), and bob is named as the one who can remove it.
#[test]
fn sweep_reports_a_leavers_key_in_an_active_colleagues_authorized_keys() {
    let env = example_env();
    let web = env.path().join("hosts/web-1/home");
    let alice_key = std::fs::read_to_string(web.join("alice/.ssh/authorized_keys")).unwrap();
    std::fs::create_dir_all(web.join("bob/.ssh")).unwrap();
    std::fs::write(web.join("bob/.ssh/authorized_keys"), &alice_key).unwrap();
    let cfg = env.path().join("bob.toml");
    std::fs::write(
        &cfg,
        "[hr]\nroster = \"hr/roster.csv\"\n[[connector]]\ntype = \"host\"\nroots = [\"hosts/web-1\"]\n",
    )
    .unwrap();
    let out = env.path().join("sweep.json");
    nhiscan()
        .current_dir(env.path())
        .args(["sweep", "--no-progress", "-q", "-c"])
        .arg(&cfg)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let v = read_json(&out);
    let f = find(&v, "ssh_authorized_key", "web-1:bob#SHA256:")
        .unwrap_or_else(|| panic!("alice's key in bob's file not reported: {v}"));
    assert_eq!(f["owner"], "alice@acme.example", "{f}");
    let evidence = f["evidence"].to_string();
    assert!(evidence.contains("is terminated in HR"), "{evidence}");
    assert!(
        evidence.contains("bob@acme.example") && evidence.contains("can remove the key"),
        "{evidence}"
    );
}

/// `-q` prints no summary, but an incomplete scan still says why on stderr: exit 3 alone
/// gives a CI log nothing to act on.
#[test]
fn quiet_still_says_why_a_scan_was_incomplete() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.txt"), "nothing here\n").unwrap();
    let a = nhiscan()
        .current_dir(tmp.path())
        .args([
            "secrets",
            "-q",
            "--no-progress",
            "-o",
            "f.json",
            "a.txt",
            "missing-dir",
        ])
        .assert()
        .code(3);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("incomplete") && err.contains("missing-dir"),
        "{err}"
    );
}

/// A scan of one directory of a repository (a per-service CI job) uses the repository's
/// `.nhiscanignore`, as a scan of the whole repository does.
#[test]
fn a_subdirectory_scan_uses_its_repositorys_allowlist() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("mono");
    std::fs::create_dir_all(repo.join("svc/fixtures")).unwrap();
    let git = |args: &[&str]| {
        git(
            &repo,
            args,
            Some(("T", "t@acme.example", "2025-05-02T10:00:00Z")),
        );
    };
    git(&["init", "-q"]);
    // FAKE, assembled here so that no token-shaped literal sits in the source.
    let token = nhiscan::rules::with_github_checksum("ghp_", "FAKE0nhiscan0Subdir0Tok0aB3dE5");
    std::fs::write(
        repo.join("svc/fixtures/test.env"),
        format!("GITHUB_TOKEN={token}\n"),
    )
    .unwrap();
    std::fs::write(
        repo.join(".nhiscanignore"),
        "fixtures/ # fake test tokens\n",
    )
    .unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "fixtures"]);
    nhiscan()
        .current_dir(repo.join("svc"))
        .args(["secrets", ".", "-q", "--no-progress", "-o"])
        .arg(tmp.path().join("f.json"))
        .assert()
        .code(0);
}

/// Sweep: a secret committed by someone nobody in HR is (a freelancer's address) is
/// reported even though an active person owns the path through CODEOWNERS: the outsider
/// knows the value. Owner null (nobody in HR), relation `authored`, the owner for routing.
#[test]
fn sweep_reports_a_secret_an_outsider_committed_under_an_active_owners_path() {
    let env = example_env();
    let repo = env.path().join("repos/payments-api");
    // FAKE, assembled here so that no token-shaped literal sits in the source.
    let token = nhiscan::rules::with_github_checksum("ghp_", "FAKE0nhiscan0Ghost0Tok0aB3dE5f");
    std::fs::write(repo.join("ghost.sh"), format!("GITHUB_TOKEN={token}\n")).unwrap();
    let git = |args: &[&str]| {
        git(
            &repo,
            args,
            Some(("Ghost", "ghost@freelance.example", "2025-06-01T10:00:00Z")),
        );
    };
    git(&["add", "ghost.sh"]);
    git(&["commit", "-q", "-m", "deploy helper"]);
    let cfg = env.path().join("ghost.toml");
    std::fs::write(
        &cfg,
        "[hr]\nroster = \"hr/roster.csv\"\n[[connector]]\ntype = \"git\"\npaths = [\"repos\"]\n",
    )
    .unwrap();
    let out = env.path().join("sweep.json");
    nhiscan()
        .current_dir(env.path())
        .args(["sweep", "--no-progress", "-q", "-c"])
        .arg(&cfg)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let v = read_json(&out);
    let f = find(&v, "secret_in_repo", "payments-api:ghost.sh")
        .unwrap_or_else(|| panic!("outsider's secret not reported: {v}"));
    assert!(f["owner"].is_null(), "{f}");
    assert_eq!(f["relation"], "authored");
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains("ghost@freelance.example is nobody in HR"),
        "{evidence}"
    );
    assert!(evidence.contains("bob@acme.example"), "{evidence}");
}

/// A finding dropped by its id in the allowlist file does not vanish silently: the
/// summary counts it (`summary.allowlisted`) and the terminal says so.
#[test]
fn findings_dropped_by_id_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    // FAKE, assembled here so that no token-shaped literal sits in the source.
    let token = nhiscan::rules::with_github_checksum("ghp_", "FAKE0nhiscan0Allow0Tok0aB3dE5f");
    std::fs::write(tmp.path().join("a.env"), format!("GITHUB_TOKEN={token}\n")).unwrap();
    let out = tmp.path().join("f.json");
    let scan = |code: i32| {
        let a = nhiscan()
            .current_dir(tmp.path())
            .args(["secrets", "--no-progress", "-o"])
            .arg(&out)
            .arg("a.env")
            .assert()
            .code(code);
        (
            read_json(&out),
            String::from_utf8_lossy(&a.get_output().stdout).to_string(),
        )
    };
    let (v, _) = scan(1);
    let id = v["findings"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(v["summary"]["allowlisted"], 0);
    std::fs::write(
        tmp.path().join(".nhiscanignore"),
        format!("{id} # test value\n"),
    )
    .unwrap();
    let (v, stdout) = scan(0);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["summary"]["allowlisted"], 1);
    assert!(stdout.contains("Allowlisted: 1"), "{stdout}");
}

/// Issue 7, defect 5: `-o` into a directory the process cannot create files in scanned
/// everything and then failed (exit 3, no summary). It is found before scanning: exit 2,
/// a message naming the path, no summary. `/sys` refuses new files even to root; the
/// chmod variant runs only where a read-only mode actually stops this process.
#[test]
fn unwritable_output_directory_exits_2_before_scanning() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.txt"), "nothing here\n").unwrap();
    let mut targets = vec![
        PathBuf::from("/sys/nhiscan-findings.json"),
        PathBuf::from("/proc/nhiscan-findings.json"),
    ];
    let ro = tmp.path().join("read-only");
    std::fs::create_dir(&ro).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
    if std::fs::write(ro.join("probe"), "x").is_err() {
        targets.push(ro.join("findings.json"));
    }
    for out in &targets {
        let a = nhiscan()
            .current_dir(tmp.path())
            .args(["secrets", "a.txt", "--no-progress", "-o"])
            .arg(out)
            .assert()
            .code(2);
        let o = a.get_output();
        let (stdout, err) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        assert!(
            err.contains("cannot write") && err.contains(&out.display().to_string()),
            "{}: {err}",
            out.display()
        );
        assert!(!err.contains(".nhiscan-"), "no temporary name: {err}");
        assert!(
            !stdout.contains("Coverage:"),
            "nothing was scanned: {stdout}"
        );
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// Issue 7, defect 5: when the output still cannot be written at the end (here its
/// directory is removed while an AWS call is in flight), the results are not lost: they go
/// to a 0600 file in $TMPDIR named on stderr, the summary is printed, and the run exits 3.
#[test]
fn output_lost_at_the_end_is_saved_to_a_fallback_file() {
    use std::io::{Read, Write};
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let fallback_dir = tmp.path().join("tmp");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::create_dir_all(&fallback_dir).unwrap();
    std::fs::create_dir_all(tmp.path().join("repo")).unwrap();
    std::fs::write(tmp.path().join("repo/a.txt"), "nothing here\n").unwrap();
    // A local stand-in for STS: the first request removes the output directory, then
    // every request is refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let doomed = out_dir.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let _ = std::fs::remove_dir_all(&doomed);
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    std::fs::write(
        tmp.path().join("nhiscan.toml"),
        format!(
            "[[connector]]\ntype = \"git\"\npaths = [\"repo\"]\n\n[[connector]]\ntype = \"aws\"\nname = \"emu\"\nendpoint_url = \"http://127.0.0.1:{port}\"\n"
        ),
    )
    .unwrap();
    let out = out_dir.join("findings.json");
    let a = nhiscan()
        .current_dir(tmp.path())
        .env("TMPDIR", &fallback_dir)
        .env("HOME", tmp.path())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args([
            "leaver",
            "x@acme.example",
            "--no-progress",
            "-c",
            "nhiscan.toml",
            "-o",
        ])
        .arg(&out)
        .assert()
        .code(3);
    let o = a.get_output();
    let (stdout, err) = (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    );
    let saved: Vec<PathBuf> = std::fs::read_dir(&fallback_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 1, "one fallback file: {saved:?}; {err}");
    let saved = std::fs::canonicalize(&saved[0]).unwrap();
    let name = saved.file_name().unwrap().to_string_lossy().to_string();
    assert!(name.ends_with("-findings.json"), "{name}");
    assert!(
        err.contains(&saved.display().to_string()),
        "named on stderr: {err}"
    );
    assert!(err.contains("NOT written to"), "{err}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let v = read_json(&saved);
    let connectors: Vec<&str> = v["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["connector"].as_str().unwrap())
        .collect();
    assert!(
        connectors.contains(&"git") && connectors.contains(&"aws:emu"),
        "{connectors:?}"
    );
    assert!(
        stdout.contains("Coverage:"),
        "the summary is still printed: {stdout}"
    );
    assert!(
        stdout.contains(&format!("Findings written to {}", saved.display())),
        "{stdout}"
    );
}

/// Issue 7, defect 9: `report`, `diff` and `rules` help showed `-o [default:
/// findings.json]`, though `report` and `diff` write to stdout and `rules` writes no file.
#[test]
fn help_says_each_commands_own_output_default() {
    let help = |args: &[&str]| {
        let a = nhiscan().args(args).arg("--help").assert().code(0);
        String::from_utf8_lossy(&a.get_output().stdout).to_string()
    };
    // The flag's line and the next (clap puts the help under the flag when it wraps).
    let output_line = |text: &str| {
        let lines: Vec<&str> = text.lines().collect();
        lines
            .iter()
            .position(|l| l.contains("--output"))
            .map(|i| lines[i..(i + 2).min(lines.len())].join(" "))
            .unwrap_or_default()
    };
    for cmd in ["report", "diff"] {
        let line = output_line(&help(&[cmd]));
        assert!(
            line.contains("[default: stdout]") && !line.contains("findings.json"),
            "{cmd}: {line}"
        );
    }
    for cmd in ["leaver", "sweep", "secrets"] {
        let line = output_line(&help(&[cmd]));
        assert!(line.contains("[default: findings.json]"), "{cmd}: {line}");
    }
    for args in [
        &["rules"][..],
        &["rules", "check"],
        &["offboard"],
        &["status"],
        &["serve"],
    ] {
        assert!(!help(args).contains("--output"), "{args:?} writes no file");
    }
    // And `report -o findings.json`, now that it can be told from no -o at all, writes it.
    let tmp = tempfile::tempdir().unwrap();
    nhiscan()
        .current_dir(tmp.path())
        .arg("report")
        .arg(fixture("report/old.json"))
        .args(["-o", "findings.json"])
        .assert()
        .code(0)
        .stdout("");
    assert!(read_json(&tmp.path().join("findings.json"))["findings"].is_array());
}

/// Issue 7, defect 9: a UTF-16 roster saved without a byte-order mark gave a garbled
/// header in the error; it is told apart like the BOM case.
#[test]
fn utf16_roster_without_bom_says_utf16() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "employee_id,email,name,status\nE1,alice@acme.example,Alice,terminated\n";
    let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    std::fs::write(tmp.path().join("roster.csv"), bytes).unwrap();
    std::fs::write(tmp.path().join("a.txt"), "nothing here\n").unwrap();
    let a = nhiscan()
        .current_dir(tmp.path())
        .args(["secrets", "a.txt", "--no-progress", "--hr", "roster.csv"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("UTF-16") && err.contains("roster.csv"),
        "{err}"
    );
    assert!(!err.contains('\0') && !err.contains("\\0"), "{err:?}");
}

/// Issue 7, defect 9: an unknown key in a `[[connector]]` table was reported at the line
/// of the first `[[connector]]` header; it is reported at its own line.
#[test]
fn unknown_connector_key_is_reported_at_its_own_line() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("nhiscan.toml"),
        "[[connector]]\ntype = \"git\"\npaths = [\".\"]\n\n[[connector]]\ntype = \"host\"\nroots = [\".\"]\nhistroy = true\n",
    )
    .unwrap();
    nhiscan()
        .current_dir(tmp.path())
        .args([
            "leaver",
            "x@acme.example",
            "--no-progress",
            "-c",
            "nhiscan.toml",
        ])
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("line 8, column 1")
                .and(predicates::str::contains("histroy"))
                .and(predicates::str::contains("nhiscan.toml")),
        );
}

/// Issue 7, defect 9: a config with only `[hr]` scanned the current directory and the
/// live host without a word; stderr now says which defaults were used (not under -q).
#[test]
fn config_without_connectors_says_it_scans_the_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("roster.csv"),
        "employee_id,email,name,status\nE1,alice@acme.example,Alice,terminated\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("nhiscan.toml"),
        "[hr]\nroster = \"roster.csv\"\n",
    )
    .unwrap();
    let run = |quiet: bool| {
        let mut c = nhiscan();
        c.current_dir(tmp.path()).args([
            "leaver",
            "alice@acme.example",
            "--no-progress",
            "-o",
            "f.json",
        ]);
        if quiet {
            c.arg("-q");
        }
        let o = c.output().unwrap();
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    let err = run(false);
    assert!(
        err.contains("nhiscan.toml has no [[connector]]")
            && err.contains("current directory")
            && err.contains("live host (/)"),
        "{err}"
    );
    assert!(!run(true).contains("no [[connector]]"));
}

/// Issue 7, defect 9: with `endpoint_url` pointing at an emulator, the no-credentials
/// error talked about the instance metadata service; it says what an emulator needs.
#[test]
fn aws_without_credentials_at_an_emulator_does_not_mention_imds() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("nhiscan.toml"),
        "[[connector]]\ntype = \"aws\"\nname = \"emu\"\nendpoint_url = \"http://127.0.0.1:1\"\n",
    )
    .unwrap();
    let mut c = nhiscan();
    for v in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        c.env_remove(v);
    }
    let a = c
        .current_dir(tmp.path())
        .env("HOME", tmp.path())
        .env("AWS_CONFIG_FILE", tmp.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", tmp.path().join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args([
            "leaver",
            "x@acme.example",
            "--no-progress",
            "-q",
            "-o",
            "f.json",
        ])
        .assert()
        .code(3);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("endpoint_url") && err.contains("AWS_ACCESS_KEY_ID"),
        "{err}"
    );
    assert!(
        !err.contains("IMDS") && !err.contains("Ec2InstanceMetadata") && !err.contains("metadata"),
        "{err}"
    );
}

/// Issue 7, README: `--format markdown` wrote Markdown into `findings.json`, which
/// `report` then could not read. A format that contradicts the output's extension is
/// refused before scanning (exit 2, naming the file to use instead); a JSON rendering in a
/// `.json` file, and any format on stdout or in a name without an extension, are fine.
#[test]
fn a_format_that_contradicts_the_output_extension_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.txt"), "nothing here\n").unwrap();
    let scan = |format: &str, out: &str| {
        nhiscan()
            .current_dir(tmp.path())
            .args([
                "secrets",
                "a.txt",
                "--no-progress",
                "-q",
                "--format",
                format,
                "-o",
                out,
            ])
            .output()
            .unwrap()
    };
    let o = scan("markdown", "findings.json");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("findings.md") && err.contains("--format markdown"),
        "{err}"
    );
    assert!(!tmp.path().join("findings.json").exists());
    for (format, out) in [
        ("markdown", "findings.md"),
        ("sarif", "out.json"),
        ("jsonl", "out.json"),
        ("csv", "-"),
        ("csv", "findings"),
    ] {
        let o = scan(format, out);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{format} {out}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    nhiscan()
        .current_dir(tmp.path())
        .args(["report", "findings.md", "--format", "csv", "-o", "x.json"])
        .assert()
        .code(2);
    nhiscan()
        .current_dir(tmp.path())
        .arg("report")
        .arg(fixture("report/old.json"))
        .args(["--format", "csv", "-o", "x.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("x.csv"));
}

/// Issue 7, defect 2, for an allowlist entry written as a directory's contents
/// (`venv2/**`, `build/*`): naming that directory scanned 0 items and ended "Findings:
/// none", exit 0. It is scanned, with a note naming the file and line; an entry for only
/// some names inside it (`*.pem`) still applies there.
#[test]
fn an_explicit_path_allowlisted_by_a_contents_glob_is_scanned_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("app");
    std::fs::create_dir_all(repo.join("venv2/lib")).unwrap();
    std::fs::create_dir_all(repo.join("build")).unwrap();
    // FAKE, assembled here so that no token-shaped literal sits in the source.
    let token = nhiscan::rules::with_github_checksum("ghp_", "FAKE0nhiscan0Glob0Tok0aB3dE5x7");
    for f in ["venv2/lib/s.env", "build/out.env", "build/k.pem"] {
        std::fs::write(repo.join(f), format!("GITHUB_TOKEN={token}\n")).unwrap();
    }
    std::fs::write(
        repo.join(".nhiscanignore"),
        "# vendored\nvenv2/**\nbuild/*\n*.pem\n",
    )
    .unwrap();
    git(&repo, &["init", "-q"], None);
    for (named, line, pattern) in [("venv2", 2, "venv2/**"), ("build", 3, "build/*")] {
        let a = nhiscan()
            .current_dir(&repo)
            .args(["secrets", named, "--no-progress", "-o"])
            .arg(tmp.path().join("f.json"))
            .assert()
            .code(1);
        let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
        assert!(
            stdout.contains(&format!(".nhiscanignore:{line} (`{pattern}`)"))
                && stdout.contains("named explicitly"),
            "{named}: {stdout}"
        );
        let v = read_json(&tmp.path().join("f.json"));
        let paths: Vec<&str> = findings(&v)
            .iter()
            .filter_map(|f| f["location"]["path"].as_str())
            .collect();
        assert_eq!(paths.len(), 1, "{named}: {paths:?}");
        assert!(paths[0].starts_with(named), "{paths:?}");
    }
    // Not named: still allowlisted.
    nhiscan()
        .current_dir(&repo)
        .args(["secrets", ".", "-q", "--no-progress", "-o"])
        .arg(tmp.path().join("f.json"))
        .assert()
        .code(0);
}

/// Issue 7, defect 7, in log lines: a WARN about a path that is a URL with a password
/// (`paths = ["https://admin:PW@host/x"]`) printed the password. Every log line hides a
/// URL's userinfo, whichever part of the program logged it.
#[test]
fn a_password_in_a_url_is_hidden_in_log_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let password = "Pw9xQ2mL7vRt4KzB";
    std::fs::write(
        tmp.path().join("nhiscan.toml"),
        format!("[[connector]]\ntype = \"git\"\npaths = [\"https://admin:{password}@git.acme.example/x\"]\n"),
    )
    .unwrap();
    let o = nhiscan()
        .current_dir(tmp.path())
        .args([
            "leaver",
            "x@acme.example",
            "--no-progress",
            "-vv",
            "-c",
            "nhiscan.toml",
            "-o",
            "f.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let (stdout, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(
        err.contains("WARN") && err.contains("***@git.acme.example"),
        "{err}"
    );
    for (what, text) in [
        ("stderr", err.to_string()),
        ("stdout", stdout.to_string()),
        (
            "the file",
            std::fs::read_to_string(tmp.path().join("f.json")).unwrap(),
        ),
    ] {
        assert!(!text.contains(password), "{what}: {text}");
    }
}

/// Issue 7, defect 9, for every text input: a UTF-16 config, rules file or allowlist
/// (saved as "Unicode" by a Windows editor) was reported as a TOML error in a garbled first
/// line, or (an allowlist: NULs are valid UTF-8) read as nonsense without a word. Each is
/// refused saying UTF-16, as the roster is.
#[test]
fn utf16_config_rules_and_allowlist_say_utf16() {
    let tmp = tempfile::tempdir().unwrap();
    let le = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let be = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_be_bytes).collect() };
    std::fs::write(tmp.path().join("a.txt"), "nothing here\n").unwrap();
    std::fs::write(
        tmp.path().join("utf16.toml"),
        le("[scan]\nmax_file_size = 1000\n"),
    )
    .unwrap();
    let mut bom = vec![0xFE, 0xFF];
    bom.extend(be("[scan]\nmax_file_size = 1000\n"));
    std::fs::write(tmp.path().join("bom.toml"), bom).unwrap();
    std::fs::create_dir_all(tmp.path().join("rules")).unwrap();
    std::fs::write(
        tmp.path().join("rules/extra.toml"),
        le("[[rule]]\nid = \"x\"\n"),
    )
    .unwrap();
    std::fs::write(tmp.path().join("ignore"), le("a.txt\n")).unwrap();
    for (args, file) in [
        (&["secrets", "a.txt", "-c", "utf16.toml"][..], "utf16.toml"),
        (&["secrets", "a.txt", "-c", "bom.toml"][..], "bom.toml"),
        (&["secrets", "a.txt", "--rules", "rules"][..], "extra.toml"),
        (&["rules", "check", "--rules", "rules"][..], "extra.toml"),
        (&["secrets", "a.txt", "--ignore", "ignore"][..], "ignore"),
    ] {
        let o = nhiscan()
            .current_dir(tmp.path())
            .args(args)
            .args(["--no-progress", "-o", "f.json"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("UTF-16") && err.contains(file) && !err.contains("TOML error"),
            "{args:?}: {err}"
        );
    }
}

/// Issue 7, defect 9, in `[hr.columns]`: an unknown key there was reported with no line
/// at all; it is named at its own line, as unknown keys elsewhere are.
#[test]
fn unknown_hr_columns_key_is_reported_at_its_own_line() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("nhiscan.toml"),
        "[hr]\nroster = \"roster.csv\"\n\n[hr.columns]\nemail = \"Work Email\"\n\nstatuss = \"State\"\n",
    )
    .unwrap();
    nhiscan()
        .current_dir(tmp.path())
        .args(["sweep", "--no-progress", "-c", "nhiscan.toml"])
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("nhiscan.toml: line 7:")
                .and(predicates::str::contains("statuss")),
        );
}

/// Issue 7, README: `./examples/acme/run.sh --format markdown` wrote Markdown into
/// `findings.json`, and the example's summary ended without saying what to do next. The
/// file's extension follows `--format`, and a findings file `report` can read is followed
/// by the next commands, which work as printed.
#[test]
fn example_run_sh_keeps_format_and_extension_and_prints_the_next_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let here = tmp.path().join("examples/acme");
    copy_dir(&repo_root().join("examples/acme"), &here);
    let _ = std::fs::remove_dir_all(here.join("repos"));
    for f in ["findings.json", "findings.md"] {
        let _ = std::fs::remove_file(here.join(f));
    }
    let bin = assert_cmd::cargo::cargo_bin("nhiscan");
    let run = |args: &[&str]| {
        let o = std::process::Command::new("bash")
            .arg(here.join("run.sh"))
            .args(args)
            .env("NHISCAN_BIN", &bin)
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_TOKEN")
            .output()
            .expect("run.sh runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let out = run(&["--format", "markdown"]);
    assert!(out.contains("exit code 1"), "{out}");
    let md = std::fs::read_to_string(here.join("findings.md")).expect("findings.md");
    assert!(md.starts_with("# "), "{md}");
    assert!(!here.join("findings.json").exists());

    let out = run(&[]);
    let v = read_json(&here.join("findings.json"));
    assert!(!findings(&v).is_empty());
    let next = out.split("Next").nth(1).unwrap_or_else(|| panic!("{out}"));
    assert!(
        next.contains("report findings.json --format markdown") && next.contains(" sweep "),
        "{out}"
    );
    // The printed commands run as printed, from examples/acme.
    nhiscan()
        .current_dir(&here)
        .args([
            "report",
            "findings.json",
            "--format",
            "markdown",
            "-o",
            "alice.md",
        ])
        .assert()
        .code(0);
    assert!(std::fs::read_to_string(here.join("alice.md"))
        .unwrap()
        .starts_with("# "));
    nhiscan()
        .current_dir(&here)
        .args(["sweep", "--no-progress", "-q", "-o", "sweep.json"])
        .assert()
        .code(1);
}

/// Issue 7, defect 9, where the instance metadata service answers (a cloud VM, or a
/// network that refuses 169.254.169.254 with HTTP 403): the chain's own error is IMDS's,
/// with no provider name in front, and it was still printed for an emulator endpoint.
#[test]
fn aws_without_credentials_at_an_emulator_does_not_mention_an_answering_imds() {
    use std::io::{Read, Write};
    let tmp = tempfile::tempdir().unwrap();
    // A stand-in for IMDS that refuses every request, as a locked-down one does.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let imds = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    std::fs::write(
        tmp.path().join("nhiscan.toml"),
        "[[connector]]\ntype = \"aws\"\nname = \"emu\"\nendpoint_url = \"http://127.0.0.1:1\"\n",
    )
    .unwrap();
    let mut c = nhiscan();
    for v in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_EC2_METADATA_DISABLED",
    ] {
        c.env_remove(v);
    }
    let a = c
        .current_dir(tmp.path())
        .env("HOME", tmp.path())
        .env("AWS_CONFIG_FILE", tmp.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", tmp.path().join("none"))
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds)
        .args([
            "leaver",
            "x@acme.example",
            "--no-progress",
            "-q",
            "-o",
            "f.json",
        ])
        .assert()
        .code(3);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("endpoint_url") && err.contains("AWS_ACCESS_KEY_ID"),
        "{err}"
    );
    assert!(!err.contains("IMDS") && !err.contains("metadata"), "{err}");
}
