//! Integration tests: `nhiscan secrets` over git repositories built in temp dirs with the
//! `git` CLI (fixed authors and dates): exit codes, commit-author attribution in the
//! findings file, and no raw secret in it. Secrets are fake and assembled at run time.

use crate::support::nhiscan;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn token() -> String {
    let t = format!("ghp_FAKE{}", "s7q2x9Lm4Np8Rs3Tv6Wy1Zb5Cd0Fg2Hj4KmQ8");
    t[..40].to_string()
}

fn git(dir: &Path, args: &[&str], who: Option<(&str, &str, &str)>) -> String {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/nonexistent/nhiscan-test-gitconfig")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args);
    if let Some((name, email, date)) = who {
        c.env("GIT_AUTHOR_NAME", name)
            .env("GIT_AUTHOR_EMAIL", email)
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_NAME", name)
            .env("GIT_COMMITTER_EMAIL", email)
            .env("GIT_COMMITTER_DATE", date);
    }
    let out = c.output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(dir: &Path, who: (&str, &str), date: &str, msg: &str) -> String {
    git(dir, &["add", "-A"], None);
    git(
        dir,
        &["commit", "-q", "--allow-empty", "-m", msg],
        Some((who.0, who.1, date)),
    );
    git(dir, &["rev-parse", "HEAD"], None)
}

const ALICE: (&str, &str) = ("Alice Leaver", "alice@acme.example");
const BOB: (&str, &str) = ("Bob Stayer", "bob@acme.example");

/// `acme-api`: alice adds a token in `config/prod.env`, bob deletes it. Returns the
/// repository path and alice's commit.
fn leaked_and_deleted(tmp: &Path) -> (PathBuf, String) {
    let repo = tmp.join("acme-api");
    std::fs::create_dir_all(repo.join("config")).expect("mkdir");
    git(&repo, &["init", "-q"], None);
    std::fs::write(repo.join("README.md"), "acme api\n").expect("write");
    commit(&repo, BOB, "2024-03-01T10:00:00Z", "init");
    std::fs::write(
        repo.join("config/prod.env"),
        format!("# prod\nGITHUB_TOKEN={}\n", token()),
    )
    .expect("write");
    let c = commit(&repo, ALICE, "2024-03-02T10:00:00Z", "add prod config");
    std::fs::remove_file(repo.join("config/prod.env")).expect("rm");
    commit(&repo, BOB, "2024-03-03T10:00:00Z", "remove secrets");
    (repo, c)
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).expect("findings file written")).expect("valid JSON")
}

#[test]
fn secrets_attributes_a_deleted_secret_to_the_commit_that_introduced_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (repo, c) = leaked_and_deleted(tmp.path());
    let out = tmp.path().join("f.json");
    nhiscan()
        .args([
            "secrets",
            repo.to_str().expect("utf-8 path"),
            "-o",
            out.to_str().expect("utf-8 path"),
            "--no-progress",
        ])
        .assert()
        .code(1);
    let raw = std::fs::read_to_string(&out).expect("findings file");
    assert!(
        !raw.contains(&token()),
        "the raw secret must never reach the findings file"
    );
    let v = read_json(&out);
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f["kind"], "secret_in_repo");
    assert_eq!(f["connector"], "git");
    assert_eq!(f["resource"], format!("acme-api@{c}:config/prod.env:2"));
    assert_eq!(f["location"]["commit"], c.as_str());
    assert_eq!(f["location"]["author_email"], "alice@acme.example");
    assert_eq!(f["location"]["author_name"], "Alice Leaver");
    assert_eq!(f["location"]["in_head"], false);
    assert_eq!(f["location"]["path"], "config/prod.env");
    assert_eq!(f["secret"]["redacted"], format!("ghp_…{}", &token()[36..]));
    assert_eq!(v["coverage"][0]["status"], "complete");
}

#[test]
fn secrets_on_a_clean_repository_exits_zero_and_ids_are_stable() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("clean");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q"], None);
    std::fs::write(repo.join("main.rs"), "fn main() {}\n").expect("write");
    commit(&repo, ALICE, "2024-03-01T10:00:00Z", "init");
    let out = tmp.path().join("f.json");
    nhiscan()
        .args([
            "secrets",
            repo.to_str().expect("utf-8 path"),
            "-o",
            out.to_str().expect("utf-8 path"),
            "--no-progress",
        ])
        .assert()
        .code(0);
    assert_eq!(
        read_json(&out)["findings"].as_array().map(Vec::len),
        Some(0)
    );

    // Same leak scanned twice: same finding id.
    let (leak, _) = leaked_and_deleted(tmp.path());
    let ids: Vec<Value> = (0..2)
        .map(|i| {
            let out = tmp.path().join(format!("run{i}.json"));
            nhiscan()
                .args([
                    "secrets",
                    leak.to_str().expect("utf-8 path"),
                    "-o",
                    out.to_str().expect("utf-8 path"),
                    "--no-progress",
                ])
                .assert()
                .code(1);
            read_json(&out)["findings"][0]["id"].clone()
        })
        .collect();
    assert_eq!(ids[0], ids[1]);
}

#[test]
fn secrets_on_a_shallow_clone_is_incomplete_but_still_reports() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (repo, _) = leaked_and_deleted(tmp.path());
    std::fs::write(repo.join("app.env"), format!("TOKEN={}\n", token())).expect("write");
    commit(&repo, BOB, "2024-03-04T10:00:00Z", "oops");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &format!("file://{}", repo.display()),
            "shallow",
        ],
        None,
    );
    let out = tmp.path().join("f.json");
    nhiscan()
        .args([
            "secrets",
            tmp.path().join("shallow").to_str().expect("utf-8 path"),
            "-o",
            out.to_str().expect("utf-8 path"),
            "--no-progress",
        ])
        .assert()
        .code(3);
    let v = read_json(&out);
    assert_eq!(v["coverage"][0]["status"], "partial");
    let errors = v["coverage"][0]["errors"].to_string();
    assert!(errors.contains("shallow clone"), "{errors}");
    let f = &v["findings"][0];
    assert_eq!(f["location"]["author_email"], "bob@acme.example");
    assert_eq!(f["location"]["in_head"], true);
}

/// Scan `paths` (relative to `tmp`) and return the findings file.
fn scan(tmp: &Path, paths: &[&str], out: &str, code: i32) -> Value {
    let out = tmp.join(out);
    let mut args = vec!["secrets".to_string()];
    args.extend(paths.iter().map(|p| tmp.join(p).display().to_string()));
    args.extend([
        "-o".into(),
        out.display().to_string(),
        "--no-progress".into(),
    ]);
    nhiscan().args(&args).assert().code(code);
    read_json(&out)
}

fn summary(v: &Value) -> Vec<(String, String, String)> {
    let mut s: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or("").to_string(),
                f["resource"].as_str().unwrap_or("").to_string(),
                f["location"]["author_email"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    s.sort();
    s
}

#[test]
fn a_path_inside_a_repository_keeps_repository_names_history_and_ids() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (repo, c) = leaked_and_deleted(tmp.path());
    // Another token, still checked out, outside `config/`.
    let other = token().replace("FAKE", "FAKF");
    std::fs::write(repo.join("app.env"), format!("TOKEN={other}\n")).expect("write");
    commit(&repo, BOB, "2024-03-04T10:00:00Z", "app");
    std::fs::create_dir_all(repo.join("config")).expect("mkdir");
    std::fs::write(repo.join("config/dev.env"), "DEBUG=1\n").expect("write");
    commit(&repo, BOB, "2024-03-05T10:00:00Z", "dev config");

    let whole = scan(tmp.path(), &["acme-api"], "whole.json", 1);
    assert_eq!(summary(&whole).len(), 2, "{whole:#}");

    // A sub-directory: only its history, named and attributed as in the whole scan.
    let sub = scan(tmp.path(), &["acme-api/config"], "sub.json", 1);
    let s = summary(&sub);
    assert_eq!(s.len(), 1, "{sub:#}");
    assert_eq!(s[0].1, format!("acme-api@{c}:config/prod.env:2"));
    assert_eq!(s[0].2, "alice@acme.example");
    assert!(summary(&whole).contains(&s[0]), "same id as the whole scan");
    assert_eq!(sub["findings"][0]["location"]["commit"], c.as_str());

    // A file inside the repository, and the repository's .git directory.
    let file = scan(tmp.path(), &["acme-api/app.env"], "file.json", 1);
    let f = summary(&file);
    assert_eq!(f.len(), 1, "{file:#}");
    assert_eq!(f[0].1, "acme-api:app.env:1");
    assert_eq!(f[0].2, "bob@acme.example");
    assert!(summary(&whole).contains(&f[0]));
    let both = scan(
        tmp.path(),
        &["acme-api/app.env", "acme-api/config"],
        "both.json",
        1,
    );
    assert_eq!(summary(&both), summary(&whole));
    let dotgit = scan(tmp.path(), &["acme-api/.git"], "dotgit.json", 1);
    assert_eq!(summary(&dotgit), summary(&whole));
}

#[test]
fn a_bare_mirror_is_named_and_identified_like_its_checkout() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (repo, c) = leaked_and_deleted(tmp.path());
    let checkout = scan(tmp.path(), &["acme-api"], "checkout.json", 1);
    std::fs::create_dir_all(tmp.path().join("mirrors")).expect("mkdir");
    git(
        &tmp.path().join("mirrors"),
        &[
            "clone",
            "-q",
            "--mirror",
            repo.to_str().expect("utf-8"),
            "acme-api.git",
        ],
        None,
    );
    let mirror = scan(tmp.path(), &["mirrors/acme-api.git"], "mirror.json", 1);
    assert_eq!(summary(&mirror), summary(&checkout));
    assert_eq!(
        summary(&mirror)[0].1,
        format!("acme-api@{c}:config/prod.env:2")
    );
}
