//! Integration tests: `nhiscan secrets` over git repositories built in temp dirs with the
//! `git` CLI (fixed authors and dates): exit codes, commit-author attribution in the
//! findings file, and no raw secret in it. Secrets are fake and assembled at run time.

use crate::support::{git, nhiscan};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A FAKE GitHub token with a valid checksum (built here: no token-shaped literal in source).
fn token() -> String {
    nhiscan::rules::with_github_checksum("ghp_", "FAKEs7q2x9Lm4Np8Rs3Tv6Wy1Zb5Cd")
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
    assert!(errors.contains("git fetch --unshallow"), "{errors}");
    assert!(errors.contains("fetch-depth: 0"), "{errors}");
    assert!(errors.contains("--no-history"), "{errors}");
    let f = &v["findings"][0];
    assert_eq!(f["location"]["in_head"], true);
    // The graft commit is the cut point, not necessarily where the secret came from:
    // bob is not named as its author, nor as a confirmed owner.
    assert!(f["location"]["author_email"].is_null(), "{f}");
    assert_ne!(f["relation"], "authored", "{f}");
    assert_ne!(f["confidence"], "confirmed", "{f}");
    assert_eq!(f["attributes"]["introduced"], "at_or_before", "{f}");
    assert!(f["title"]
        .as_str()
        .is_some_and(|t| t.contains("shallow-clone boundary") && !t.contains("introduced by")));
}

/// A depth-2 clone: a secret at the boundary commit has an unknown introducer, one added
/// by the commit after it (whose parent is present) is still its author's.
#[test]
fn a_shallow_clone_attributes_only_commits_after_the_boundary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("acme-web");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q"], None);
    std::fs::write(repo.join("old.env"), format!("TOKEN={}\n", token())).expect("write");
    commit(
        &repo,
        ALICE,
        "2024-03-01T10:00:00Z",
        "really introduced by alice",
    );
    std::fs::write(repo.join("README.md"), "web\n").expect("write");
    let boundary = commit(&repo, BOB, "2024-03-02T10:00:00Z", "bob touches the readme");
    let other = nhiscan::rules::with_github_checksum("ghp_", "FAKEk3J8wQ5rT1yU7iO2pA6sD9fG4h");
    std::fs::write(repo.join("new.env"), format!("TOKEN={other}\n")).expect("write");
    let after = commit(&repo, ALICE, "2024-03-03T10:00:00Z", "alice adds a key");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "2",
            &format!("file://{}", repo.display()),
            "shallow",
        ],
        None,
    );
    let v = scan(tmp.path(), &["shallow"], "f.json", 3);
    let by_path = |p: &str| {
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["location"]["path"] == p)
            .unwrap_or_else(|| panic!("no finding at {p}: {v}"))
            .clone()
    };
    let old = by_path("old.env");
    assert_eq!(old["location"]["commit"], boundary.as_str());
    assert!(old["location"]["author_email"].is_null(), "{old}");
    assert_eq!(old["attributes"]["introduced"], "at_or_before");
    assert_ne!(old["relation"], "authored", "{old}");
    let new = by_path("new.env");
    assert_eq!(new["location"]["commit"], after.as_str());
    assert_eq!(new["location"]["author_email"], "alice@acme.example");
    assert!(new["attributes"].get("introduced").is_none(), "{new}");
}

/// A text file over the size limit is a hole in the scan (exit 3, an error naming it and
/// the fix), in the working tree and in history; a binary one is only counted.
#[test]
fn a_text_file_over_the_size_limit_makes_the_scan_partial() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("dumps");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q"], None);
    let mut big = "INSERT INTO events VALUES (1, 'x');\n".repeat(200);
    big.push_str(&format!("-- TOKEN={}\n", token()));
    std::fs::write(repo.join("events_dump.sql"), &big).expect("write");
    let mut bin = vec![0u8; 16];
    bin.extend(std::iter::repeat(b'a').take(big.len()));
    std::fs::write(repo.join("blob.dat"), &bin).expect("write");
    let c = commit(&repo, ALICE, "2024-03-01T10:00:00Z", "dump");
    std::fs::remove_file(repo.join("events_dump.sql")).expect("rm");
    commit(&repo, BOB, "2024-03-02T10:00:00Z", "drop dump");
    // Still in the working tree, untracked.
    std::fs::write(tmp.path().join("loose.sql"), &big).expect("write");

    let run = |args: &[&str], code: i32| {
        let out = tmp.path().join("f.json");
        let mut a = vec!["secrets"];
        a.extend_from_slice(args);
        a.extend(["-o", out.to_str().expect("utf-8"), "--no-progress"]);
        nhiscan().args(&a).assert().code(code);
        read_json(&out)
    };
    let limit = "4096";
    let repo_s = repo.to_str().expect("utf-8");
    let v = run(&[repo_s, "--max-file-size", limit], 3);
    let cov = &v["coverage"][0];
    assert_eq!(cov["status"], "partial");
    let errors = cov["errors"].as_array().expect("errors");
    assert_eq!(
        errors.len(),
        1,
        "the binary blob is not an error: {errors:?}"
    );
    let e = errors[0].as_str().expect("string");
    assert!(e.contains("events_dump.sql") && e.contains(&c), "{e}");
    assert!(e.contains(&format!("({} bytes)", big.len())), "{e}");
    assert!(e.contains("--max-file-size or [scan] max_file_size"), "{e}");
    assert!(e.contains("allowlist the path"), "{e}");
    assert_eq!(cov["skipped"]["too_large"], 2, "{cov}");
    assert!(!v.to_string().contains(&token()));

    let loose = tmp.path().join("loose.sql");
    let v = run(
        &[loose.to_str().expect("utf-8"), "--max-file-size", limit],
        3,
    );
    let e = v["coverage"][0]["errors"].to_string();
    assert!(
        e.contains("loose.sql") && e.contains("max_file_size"),
        "{e}"
    );

    // Under the default limit both are scanned whole.
    let v = run(&[repo_s, loose.to_str().expect("utf-8")], 1);
    assert_eq!(v["coverage"][0]["status"], "complete", "{v}");
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(2), "{v}");
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

/// Layouts seen on real disks: a vendored repository nested in another (its own history,
/// deleted secret included), git LFS pointer files (a sha256 oid is not a secret), and a
/// repository whose HEAD names a branch that does not exist (its other branches are still
/// history). Everything was scanned, so coverage is complete.
#[test]
fn nested_repos_lfs_pointers_and_a_dangling_head_are_scanned_completely() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let outer = tmp.path().join("app");
    std::fs::create_dir_all(&outer).expect("mkdir");
    git(&outer, &["init", "-q"], None);
    std::fs::write(
        outer.join("model.bin"),
        "version https://git-lfs.github.com/spec/v1\n\
         oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n\
         size 104857600\n",
    )
    .expect("write");
    std::fs::write(
        outer.join(".gitattributes"),
        "*.bin filter=lfs diff=lfs merge=lfs -text\n",
    )
    .expect("write");
    commit(&outer, BOB, "2024-03-01T10:00:00Z", "lfs");
    let lib = outer.join("vendor/lib");
    std::fs::create_dir_all(&lib).expect("mkdir");
    git(&lib, &["init", "-q"], None);
    std::fs::write(lib.join("cfg.py"), format!("TOKEN = \"{}\"\n", token())).expect("write");
    let c = commit(&lib, ALICE, "2024-03-02T10:00:00Z", "vendored");
    std::fs::remove_file(lib.join("cfg.py")).expect("rm");
    commit(&lib, ALICE, "2024-03-03T10:00:00Z", "rm");

    let dangling = tmp.path().join("dangling");
    std::fs::create_dir_all(&dangling).expect("mkdir");
    git(&dangling, &["init", "-q"], None);
    let other = token().replace("FAKE", "FAKD");
    std::fs::write(dangling.join("s.env"), format!("GITHUB_TOKEN={other}\n")).expect("write");
    let d = commit(&dangling, BOB, "2024-03-04T10:00:00Z", "s");
    git(&dangling, &["branch", "-m", "work"], None);
    git(
        &dangling,
        &["symbolic-ref", "HEAD", "refs/heads/gone"],
        None,
    );
    std::fs::remove_file(dangling.join("s.env")).expect("rm");

    let v = scan(tmp.path(), &["app", "dangling"], "edge.json", 1);
    assert_eq!(v["coverage"][0]["status"], "complete", "{v:#}");
    let s = summary(&v);
    let resources: Vec<&str> = s.iter().map(|x| x.1.as_str()).collect();
    assert_eq!(
        resources,
        [format!("dangling@{d}:s.env:1"), format!("lib@{c}:cfg.py:1")],
        "{v:#}"
    );
}

/// An unreadable `.git` (another user's repository, scanned without root) is an
/// incomplete scan naming the real cause, not "could not find repository".
#[test]
fn an_unreadable_git_dir_is_incomplete_and_says_why() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (repo, _) = leaked_and_deleted(tmp.path());
    let objects = repo.join(".git/objects");
    std::fs::set_permissions(&objects, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read_dir(&objects).is_ok() {
        // Running as root: permissions do not apply, nothing to test.
        std::fs::set_permissions(&objects, std::fs::Permissions::from_mode(0o755)).ok();
        return;
    }
    let v = scan(tmp.path(), &["acme-api"], "locked.json", 3);
    std::fs::set_permissions(&objects, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let errors = v["coverage"][0]["errors"].to_string();
    assert!(errors.contains("permission denied"), "{errors}");
    assert!(!errors.contains("missing object"), "{errors}");
}

/// A GitHub token whose checksum does not match is still reported by the GitHub rule (a
/// scanner cannot prove it fake), marked `checksum = "invalid"` and one severity below the
/// same token with a valid checksum.
#[test]
fn a_github_token_with_a_wrong_checksum_is_reported_lower_not_dropped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("tokens");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q"], None);
    let good = token();
    // Same shape, last character changed: the CRC-32 no longer matches.
    let mut bad = good.clone();
    let last = bad.pop().expect("non-empty");
    bad.push(if last == 'A' { 'B' } else { 'A' });
    std::fs::write(repo.join("good.sh"), format!("x {good}\n")).expect("write");
    std::fs::write(repo.join("bad.sh"), format!("x {bad}\n")).expect("write");
    commit(&repo, ALICE, "2024-03-02T10:00:00Z", "tokens");
    let out = tmp.path().join("f.json");
    nhiscan()
        .args(["secrets", "--no-progress", "-q", "-o"])
        .arg(&out)
        .arg(&repo)
        .assert()
        .code(1);
    let v = read_json(&out);
    let by_path = |p: &str| -> Value {
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["location"]["path"] == p)
            .unwrap_or_else(|| panic!("no finding in {p}: {v}"))
            .clone()
    };
    let (g, b) = (by_path("good.sh"), by_path("bad.sh"));
    assert_eq!(g["rule"], "nhi.github.pat-classic.1");
    assert_eq!(b["rule"], "nhi.github.pat-classic.1");
    assert_eq!(g["attributes"]["checksum"], "valid");
    assert_eq!(b["attributes"]["checksum"], "invalid");
    assert!(b["title"].as_str().unwrap().contains("format check fails"));
    let rank = |s: &Value| {
        ["info", "low", "medium", "high", "critical"]
            .iter()
            .position(|x| s == x)
            .expect("severity word")
    };
    assert_eq!(rank(&b["severity"]) + 1, rank(&g["severity"]), "{g}\n{b}");
    let text = std::fs::read_to_string(&out).expect("read");
    assert!(!text.contains(&good) && !text.contains(&bad));
}

/// An allowlisted directory is matched by its path inside the repository for the working
/// tree and for history alike, with gitignore's anchoring: `tests/` is any `tests`
/// directory at any depth, so neither the file nor its history is reported.
#[test]
fn allowlisted_directories_match_the_same_way_in_files_and_history() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("repos/r1");
    std::fs::create_dir_all(repo.join("svc/tests")).expect("mkdir");
    git(&repo, &["init", "-q"], None);
    std::fs::write(
        repo.join("svc/tests/fixture.env"),
        format!("GITHUB_TOKEN={}\n", token()),
    )
    .expect("write");
    commit(&repo, ALICE, "2024-03-02T10:00:00Z", "fixture");
    let ignore = tmp.path().join("allow");
    let out = tmp.path().join("f.json");
    let run = |allow: &str, code: i32| {
        std::fs::write(&ignore, allow).expect("write");
        nhiscan()
            .args(["secrets", "--no-progress", "-q", "--ignore"])
            .arg(&ignore)
            .arg("-o")
            .arg(&out)
            .arg(tmp.path().join("repos"))
            .assert()
            .code(code);
        read_json(&out)
    };
    let v = run("tests/\n", 0);
    assert_eq!(v["findings"].as_array().expect("findings").len(), 0, "{v}");
    // Anchored at the repository root: `svc/tests/` matches, `r1/svc/tests/` (a path
    // relative to the scanned directory, not the repository) matches nothing.
    run("svc/tests/\n", 0);
    let v = run("r1/svc/tests/\n", 1);
    let f = &v["findings"][0];
    assert_eq!(f["location"]["path"], "svc/tests/fixture.env", "{v}");
}

/// A clone keeps its finding ids whatever directory it is cloned into (CI workspaces,
/// `git clone URL tmp-123`): the repository is named after its origin URL.
#[test]
fn clones_in_differently_named_directories_share_finding_ids() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (src, _) = leaked_and_deleted(tmp.path());
    let ids = |dir: &str| -> Vec<String> {
        let clone = tmp.path().join(dir);
        git(
            tmp.path(),
            &["clone", "-q", src.to_str().expect("utf-8 path"), dir],
            None,
        );
        let out = tmp.path().join(format!("{dir}.json"));
        nhiscan()
            .args(["secrets", "--no-progress", "-q", "-o"])
            .arg(&out)
            .arg(&clone)
            .assert()
            .code(1);
        let v = read_json(&out);
        let mut ids: Vec<String> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                assert!(
                    f["resource"].as_str().unwrap().starts_with("acme-api"),
                    "{f}"
                );
                f["id"].as_str().expect("id").to_string()
            })
            .collect();
        ids.sort();
        ids
    };
    let a = ids("ci-workspace-1");
    assert!(!a.is_empty());
    assert_eq!(a, ids("checkout"));
}

/// A UTF-16 file with its byte-order mark (PowerShell, .reg and config files written by
/// Windows tools) is text, not binary: its secret is found, on the right line, in the
/// working tree and in history.
#[test]
fn utf16_files_are_scanned_as_text() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("win");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q"], None);
    let text = format!("# deploy\r\n$env:GITHUB_TOKEN = \"{}\"\r\n", token());
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(repo.join("deploy.ps1"), &bytes).expect("write");
    commit(&repo, ALICE, "2024-03-02T10:00:00Z", "deploy script");
    let out = tmp.path().join("f.json");
    nhiscan()
        .args(["secrets", "--no-progress", "-q", "-o"])
        .arg(&out)
        .arg(&repo)
        .assert()
        .code(1);
    let v = read_json(&out);
    let f = &v["findings"][0];
    assert_eq!(f["location"]["path"], "deploy.ps1", "{v}");
    assert_eq!(f["location"]["line"], 2, "{v}");
    assert_eq!(f["location"]["author_email"], ALICE.1, "{v}");
    assert_eq!(v["findings"].as_array().expect("findings").len(), 1, "{v}");
}

/// A device or FIFO named as a PATH is not scanned, and the run says so (exit 3), rather
/// than reporting a complete scan of nothing.
#[test]
fn a_device_named_as_a_path_is_incomplete_not_clean() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("f.json");
    let a = nhiscan()
        .args(["secrets", "--no-progress", "-q", "-o"])
        .arg(&out)
        .arg("/dev/zero")
        .assert()
        .code(3);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("/dev/zero") && err.contains("not scanned"),
        "{err}"
    );
}

/// A FAKE GitHub token, checksum valid, different from [`token`] by its last character.
fn token_n(c: char) -> String {
    nhiscan::rules::with_github_checksum("ghp_", &format!("FAKEs7q2x9Lm4Np8Rs3Tv6Wy1Zb5C{c}"))
}

fn findings_by_path(v: &Value) -> Vec<String> {
    let mut p: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap_or("").to_string())
        .collect();
    p.sort();
    p
}

/// Run `nhiscan ARGS -o OUT --no-progress`, expect `code`; the findings file and stdout.
fn run_nhiscan(args: &[&std::ffi::OsStr], out: &Path, code: i32) -> (Value, String) {
    let a = nhiscan()
        .args(args)
        .arg("-o")
        .arg(out)
        .arg("--no-progress")
        .assert()
        .code(code);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    (read_json(out), stdout)
}

/// Issue 7, defect 2: `secrets repo/.venv`, a directory the repository's `.nhiscanignore`
/// lists, scanned nothing and ended "Findings: none", exit 0. A path the user named is
/// scanned (working tree and history), and coverage and the summary say which allowlist
/// line was set aside; entries that only match deeper paths still apply; the same holds
/// for a single file, a `--ignore` file with a glob, and a git connector path in config.
/// Whatever the allowlist skips is counted in the summary.
#[test]
fn an_explicit_path_disappears_under_an_allowlist() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("svc");
    std::fs::create_dir_all(repo.join(".venv/lib")).expect("mkdir");
    git(&repo, &["init", "-q"], None);
    std::fs::write(
        repo.join(".nhiscanignore"),
        "# tool caches, not ours\n\n.venv/ # virtualenv\n*.pem\n",
    )
    .expect("write");
    std::fs::write(
        repo.join(".venv/lib/cfg.py"),
        format!("TOKEN = \"{}\"\n", token_n('a')),
    )
    .expect("write");
    std::fs::write(repo.join(".venv/old.env"), format!("T={}\n", token_n('b'))).expect("write");
    std::fs::write(repo.join(".venv/k.pem"), format!("T={}\n", token_n('c'))).expect("write");
    commit(&repo, ALICE, "2024-03-02T10:00:00Z", "venv");
    std::fs::remove_file(repo.join(".venv/old.env")).expect("rm");
    commit(&repo, BOB, "2024-03-03T10:00:00Z", "rm old");
    let out = tmp.path().join("f.json");
    let os = |p: &Path| p.as_os_str().to_owned();

    // The whole repository: `.venv` is not scanned, and the summary says how much was not.
    let (v, stdout) = run_nhiscan(&["secrets".as_ref(), os(&repo).as_ref()], &out, 0);
    assert!(findings_by_path(&v).is_empty(), "{v:#}");
    assert!(
        v["coverage"][0]["skipped"]["allowlisted"].as_u64() >= Some(1),
        "{v:#}"
    );
    assert!(stdout.contains("Allowlisted: git: "), "{stdout}");
    assert!(v["coverage"][0].get("notes").is_none(), "{v:#}");

    // Named: its working tree and its history are scanned, with a note naming the line;
    // `*.pem` still applies inside it.
    let venv = repo.join(".venv");
    let (v, stdout) = run_nhiscan(&["secrets".as_ref(), os(&venv).as_ref()], &out, 1);
    assert_eq!(
        findings_by_path(&v),
        [".venv/lib/cfg.py", ".venv/old.env"],
        "{v:#}"
    );
    for f in v["findings"].as_array().expect("findings") {
        assert_eq!(f["location"]["author_email"], ALICE.1, "{f}");
    }
    let notes = v["coverage"][0]["notes"].to_string();
    assert!(
        notes.contains(".nhiscanignore:3 (`.venv/`)") && notes.contains("named explicitly"),
        "{notes}"
    );
    assert!(
        stdout.contains("NOTE: git: ") && stdout.contains(".nhiscanignore:3 (`.venv/`)"),
        "{stdout}"
    );
    assert_eq!(v["coverage"][0]["status"], "complete", "{v:#}");
    let (v, _) = run_nhiscan(
        &[
            "secrets".as_ref(),
            os(&venv).as_ref(),
            "--no-history".as_ref(),
        ],
        &out,
        1,
    );
    assert_eq!(findings_by_path(&v), [".venv/lib/cfg.py"], "{v:#}");

    // A single file, covered by the directory entry or by a glob of its own.
    let (v, _) = run_nhiscan(
        &[
            "secrets".as_ref(),
            os(&repo.join(".venv/lib/cfg.py")).as_ref(),
        ],
        &out,
        1,
    );
    assert_eq!(findings_by_path(&v), [".venv/lib/cfg.py"], "{v:#}");
    let (v, _) = run_nhiscan(
        &["secrets".as_ref(), os(&repo.join(".venv/k.pem")).as_ref()],
        &out,
        1,
    );
    assert_eq!(findings_by_path(&v), [".venv/k.pem"], "{v:#}");
    assert!(
        v["coverage"][0]["notes"].to_string().contains("(`*.pem`)"),
        "{v:#}"
    );

    // A file outside any repository, allowlisted by a glob in an --ignore file.
    let loose = tmp.path().join("loose");
    std::fs::create_dir_all(&loose).expect("mkdir");
    std::fs::write(loose.join("deploy.sh"), format!("T={}\n", token_n('d'))).expect("write");
    let allow = tmp.path().join("allow.txt");
    std::fs::write(&allow, "*.sh\n").expect("write");
    let (v, _) = run_nhiscan(
        &[
            "secrets".as_ref(),
            "--ignore".as_ref(),
            os(&allow).as_ref(),
            os(&loose.join("deploy.sh")).as_ref(),
        ],
        &out,
        1,
    );
    assert_eq!(findings_by_path(&v), ["deploy.sh"], "{v:#}");
    assert!(v["coverage"][0]["notes"]
        .to_string()
        .contains("allow.txt:1 (`*.sh`)"));
    // The directory holding it is what was named: the glob applies to its files.
    let (v, stdout) = run_nhiscan(
        &[
            "secrets".as_ref(),
            "--ignore".as_ref(),
            os(&allow).as_ref(),
            os(&loose).as_ref(),
        ],
        &out,
        0,
    );
    assert!(findings_by_path(&v).is_empty(), "{v:#}");
    assert!(stdout.contains("Allowlisted: git: 1 items"), "{stdout}");

    // A git connector path in config, under the config's allowlist.
    std::fs::write(
        tmp.path().join("nhiscan.toml"),
        "[scan]\nignore_file = \"svc/.nhiscanignore\"\n\n[[connector]]\ntype = \"git\"\npaths = [\"svc/.venv\"]\n",
    )
    .expect("write");
    let (v, _) = run_nhiscan(
        &[
            "leaver".as_ref(),
            ALICE.1.as_ref(),
            "-c".as_ref(),
            os(&tmp.path().join("nhiscan.toml")).as_ref(),
        ],
        &out,
        1,
    );
    assert_eq!(
        findings_by_path(&v),
        [".venv/lib/cfg.py", ".venv/old.env"],
        "{v:#}"
    );
    assert!(
        v["coverage"][0]["notes"].to_string().contains("(`.venv/`)"),
        "{v:#}"
    );
}

/// Make every working-tree file older than the index, then refresh it, so that git's
/// stat cache proves them clean (the scan then leaves them to the history scan).
fn settle_index(repo: &Path) {
    fn age(dir: &Path) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let e = e.expect("entry");
            if e.file_name() == ".git" {
                continue;
            }
            let ft = e.file_type().expect("file type");
            if ft.is_dir() {
                age(&e.path());
            } else if ft.is_file() {
                let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
                std::fs::File::options()
                    .write(true)
                    .open(e.path())
                    .expect("open")
                    .set_modified(t)
                    .expect("set mtime");
            }
        }
    }
    age(repo);
    git(repo, &["update-index", "-q", "--really-refresh"], None);
}

/// Truncate the loose object `oid` to half its size: a corrupt object.
fn corrupt_object(repo: &Path, oid: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = repo.join(".git/objects").join(&oid[..2]).join(&oid[2..]);
    let len = std::fs::metadata(&path).expect("loose object").len();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    std::fs::File::options()
        .write(true)
        .open(&path)
        .expect("open object")
        .set_len(len / 2)
        .expect("truncate");
}

/// Three files, three tokens, committed by alice, the index settled.
fn three_secrets(tmp: &Path) -> PathBuf {
    let repo = tmp.join("trio");
    std::fs::create_dir_all(repo.join("cfg")).expect("mkdir");
    git(&repo, &["init", "-q"], None);
    for (name, c) in [("a.env", 'e'), ("cfg/b.env", 'f'), ("c.env", 'g')] {
        std::fs::write(repo.join(name), format!("TOKEN={}\n", token_n(c))).expect("write");
    }
    commit(&repo, ALICE, "2024-03-02T10:00:00Z", "three");
    settle_index(&repo);
    repo
}

/// Issue 7, defect 3: with one history object truncated, a secret in an unchanged file on
/// disk was missed (2 of 3 findings; `--no-history` found 3): the working-tree pass left
/// files git's index proves clean to the history scan, which could not read the blob. The
/// file is read from disk; the unreadable object is a coverage error naming it (exit 3).
#[test]

fn a_corrupt_blob_hides_a_readable_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = three_secrets(tmp.path());
    let blob = git(&repo, &["rev-parse", "HEAD:cfg/b.env"], None);
    corrupt_object(&repo, &blob);
    let out = tmp.path().join("f.json");
    let os = repo.as_os_str();
    let (v, _) = run_nhiscan(&["secrets".as_ref(), os], &out, 3);
    assert_eq!(
        findings_by_path(&v),
        ["a.env", "c.env", "cfg/b.env"],
        "{v:#}"
    );
    let errors = v["coverage"][0]["errors"].to_string();
    assert!(errors.contains(&blob), "{errors}");
    let b = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["location"]["path"] == "cfg/b.env")
        .expect("b.env found")
        .clone();
    assert_eq!(b["resource"], "trio:cfg/b.env:1", "{b}");
    assert!(b["attributes"].get("untracked").is_none(), "{b}");
    // The readable ones keep their commit and author.
    let a = &v["findings"][0];
    assert_eq!(a["location"]["author_email"], ALICE.1, "{a}");
    // A scan of the subdirectory holding it, too.
    let (v, _) = run_nhiscan(&["secrets".as_ref(), repo.join("cfg").as_os_str()], &out, 3);
    assert_eq!(findings_by_path(&v), ["cfg/b.env"], "{v:#}");
    let (v, _) = run_nhiscan(&["secrets".as_ref(), os, "--no-history".as_ref()], &out, 1);
    assert_eq!(findings_by_path(&v).len(), 3, "{v:#}");
}

/// The same class for the other objects history is read from: a corrupt HEAD commit, a
/// missing tree, a corrupt branch tip and a ref that does not parse each make the scan
/// partial (exit 3) with an error naming what was not read, and everything readable is
/// still reported: the working tree from disk, the other commits from history.
#[test]

fn a_corrupt_commit_a_missing_tree_or_a_bad_ref_keeps_everything_readable() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("f.json");

    // HEAD's commit corrupt: its files are read from disk.
    let repo = three_secrets(tmp.path());
    let head = git(&repo, &["rev-parse", "HEAD"], None);
    corrupt_object(&repo, &head);
    let (v, _) = run_nhiscan(&["secrets".as_ref(), repo.as_os_str()], &out, 3);
    assert_eq!(findings_by_path(&v).len(), 3, "{v:#}");
    assert!(
        v["coverage"][0]["errors"].to_string().contains(&head),
        "{v:#}"
    );

    // HEAD's tree missing: the same.
    let tmp2 = tempfile::tempdir().expect("tempdir");
    let repo = three_secrets(tmp2.path());
    let tree = git(&repo, &["rev-parse", "HEAD^{tree}"], None);
    std::fs::remove_file(repo.join(".git/objects").join(&tree[..2]).join(&tree[2..]))
        .expect("rm tree");
    let (v, _) = run_nhiscan(&["secrets".as_ref(), repo.as_os_str()], &out, 3);
    assert_eq!(findings_by_path(&v).len(), 3, "{v:#}");
    assert!(
        v["coverage"][0]["errors"].to_string().contains(&tree),
        "{v:#}"
    );

    // A side branch whose tip is corrupt, and a ref that is not an object id: main's
    // history (a deleted secret included) is still read, with its author.
    let tmp3 = tempfile::tempdir().expect("tempdir");
    let (repo, c) = leaked_and_deleted(tmp3.path());
    git(&repo, &["checkout", "-q", "-b", "side"], None);
    std::fs::write(repo.join("side.env"), format!("T={}\n", token_n('h'))).expect("write");
    let tip = commit(&repo, BOB, "2024-03-04T10:00:00Z", "side");
    git(&repo, &["checkout", "-q", "main"], None);
    corrupt_object(&repo, &tip);
    std::fs::write(repo.join(".git/refs/heads/broken"), "not an object id\n").expect("write");
    let (v, _) = run_nhiscan(&["secrets".as_ref(), repo.as_os_str()], &out, 3);
    let s = summary(&v);
    assert_eq!(s.len(), 1, "{v:#}");
    assert_eq!(s[0].1, format!("acme-api@{c}:config/prod.env:2"));
    assert_eq!(s[0].2, ALICE.1);
    let errors = v["coverage"][0]["errors"].to_string();
    assert!(errors.contains(&tip), "{errors}");
    assert!(errors.contains("broken"), "{errors}");
}

/// Archives and binaries through the real binary: a token inside a jar, inside a tar.gz
/// and compiled into a binary is found, each location names the archive and the entry,
/// the ids are the same on a second run, and the token never reaches the findings file.
#[test]
fn secrets_inside_archives_and_binaries_are_found_with_archive_and_entry() {
    use std::io::Write;
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("release");
    std::fs::create_dir_all(root.join("dist")).expect("mkdir");
    let tok = token();
    // dist/app.jar (a zip) with META-INF/app.properties.
    {
        let f = std::fs::File::create(root.join("dist/app.jar")).expect("create");
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("META-INF/MANIFEST.MF", opts).expect("entry");
        z.write_all(b"Manifest-Version: 1.0\n").expect("write");
        z.start_file("META-INF/app.properties", opts)
            .expect("entry");
        z.write_all(format!("app.name=billing\ngithub.token={tok}\n").as_bytes())
            .expect("write");
        z.finish().expect("finish");
    }
    // backup.tar.gz with etc/app.env.
    {
        let f = std::fs::File::create(root.join("backup.tar.gz")).expect("create");
        let gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
        let mut t = tar::Builder::new(gz);
        let body = format!("# app\n\nGITHUB_TOKEN={tok}\n");
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, "etc/app.env", body.as_bytes())
            .expect("append");
        t.into_inner().expect("tar").finish().expect("gzip");
    }
    // A binary with the token compiled in.
    let mut bin = b"\x7fELF\x02\x01\x01\0\0\0\0\0".to_vec();
    bin.extend(format!("\0\0token\0{tok}\0\0").as_bytes());
    std::fs::write(root.join("dist/agent"), &bin).expect("write");

    let run = || {
        let out = tmp.path().join("f.json");
        nhiscan()
            .args([
                "secrets",
                root.to_str().expect("utf-8"),
                "-o",
                out.to_str().expect("utf-8"),
                "--no-progress",
            ])
            .assert()
            .code(1);
        let text = std::fs::read_to_string(&out).expect("written");
        assert!(!text.contains(&tok), "no raw token in the findings file");
        serde_json::from_str::<Value>(&text).expect("json")
    };
    let v = run();
    let mut paths: Vec<String> = Vec::new();
    for f in v["findings"].as_array().expect("findings") {
        paths.push(f["location"]["path"].as_str().unwrap_or("").to_string());
        for o in f["other_locations"].as_array().into_iter().flatten() {
            paths.push(o["path"].as_str().unwrap_or("").to_string());
        }
    }
    let has = |suffix: &str| paths.iter().any(|p| p.ends_with(suffix));
    assert!(has("dist/app.jar!/META-INF/app.properties"), "{paths:?}");
    assert!(has("backup.tar.gz!/etc/app.env"), "{paths:?}");
    assert!(has("dist/agent"), "{paths:?}");
    let ids = |v: &Value| {
        let mut ids: Vec<String> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["id"].as_str().expect("id").to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&v), ids(&run()), "the same ids on a second run");
    let cov = &v["coverage"][0];
    assert_eq!(cov["status"], "complete", "{cov}");
}
