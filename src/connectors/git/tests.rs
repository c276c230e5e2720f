//! Connector-level tests on repositories built with the `git` CLI in temp dirs, with
//! fixed authors and dates so commits are deterministic. Secrets are obviously fake and
//! assembled at run time, so this file holds no token-shaped literal.

use super::*;
use crate::connectors::{Limits, PathAllowlist, Progress};
use crate::matcher::Matcher;
use crate::model::{CoverageStatus, Signal};
use crate::rules::RuleSet;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

struct Collect(Mutex<Vec<Nhi>>);

impl Sink for Collect {
    fn emit(&self, nhi: Nhi) {
        self.0.lock().unwrap().push(nhi);
    }
}

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| Matcher::new(RuleSet::builtin().expect("builtin rules")).expect("matcher"))
}

/// A fake classic GitHub token; `seed` makes distinct ones.
fn ghp(seed: char) -> String {
    // 30 body characters and the 6-character checksum the classic-PAT rule checks.
    let body = format!("FAKE{seed}7q2x9Lm4Np8Rs3Tv6Wy1Zb5Cd0Fg2Hj4KmQ8");
    crate::rules::with_github_checksum("ghp_", &body[..30])
}

/// A fake AWS access key id (`AKIA` + 16 of `[A-Z2-7]`).
fn akia() -> String {
    format!("AKIA{}", "Z7FAKEQ3KEY4NH2X")
}

struct Who(&'static str, &'static str);
const ALICE: Who = Who("Alice Leaver", "alice@acme.example");
const BOB: Who = Who("Bob Stayer", "bob@acme.example");

struct Repo {
    path: PathBuf,
    day: std::cell::Cell<u32>,
}

fn git_cmd(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/nonexistent/nhiscan-test-gitconfig")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.autocrlf=false",
        ]);
    c
}

fn run(mut c: Command) -> String {
    let out = c.output().expect("git runs");
    assert!(
        out.status.success(),
        "git failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Repo {
    fn init(parent: &Path, name: &str) -> Repo {
        let path = parent.join(name);
        std::fs::create_dir_all(&path).unwrap();
        let mut c = git_cmd(&path);
        c.args(["init", "-q"]);
        run(c);
        Repo {
            path,
            day: std::cell::Cell::new(1),
        }
    }
    fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.path.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    fn rm(&self, rel: &str) {
        std::fs::remove_file(self.path.join(rel)).unwrap();
    }
    fn git(&self, args: &[&str]) -> String {
        let mut c = git_cmd(&self.path);
        c.args(args);
        run(c)
    }
    /// Stage everything and commit as `who`, one day after the previous commit.
    fn commit(&self, who: &Who, msg: &str) -> String {
        self.git(&["add", "-A"]);
        let day = self.day.get();
        self.day.set(day + 1);
        let date = format!("2024-03-{day:02}T10:00:00Z");
        let mut c = git_cmd(&self.path);
        c.env("GIT_AUTHOR_NAME", who.0)
            .env("GIT_AUTHOR_EMAIL", who.1)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_NAME", who.0)
            .env("GIT_COMMITTER_EMAIL", who.1)
            .env("GIT_COMMITTER_DATE", &date)
            .args(["commit", "-q", "--allow-empty", "-m", msg]);
        run(c);
        self.settle();
        self.git(&["rev-parse", "HEAD"])
    }
    /// Age every working-tree file and refresh the index, so git's stat cache is not
    /// "racy" and clean files are recognised deterministically (as they are in any real
    /// checkout older than a second).
    fn settle(&self) {
        fn age(dir: &Path) {
            for e in std::fs::read_dir(dir).unwrap() {
                let e = e.unwrap();
                let ft = e.file_type().unwrap();
                if e.file_name() == ".git" {
                    continue;
                }
                if ft.is_dir() {
                    age(&e.path());
                } else if ft.is_file() {
                    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
                    std::fs::File::options()
                        .write(true)
                        .open(e.path())
                        .unwrap()
                        .set_modified(t)
                        .unwrap();
                }
            }
        }
        age(&self.path);
        self.git(&["update-index", "-q", "--really-refresh"]);
    }
}

struct Scan {
    nhis: Vec<Nhi>,
    cov: Coverage,
}

fn scan_with(paths: Vec<PathBuf>, mode: Mode, limits: Limits, allow: &PathAllowlist) -> Scan {
    let progress = Progress::default();
    let ctx = ScanContext {
        matcher: matcher(),
        progress: &progress,
        mode,
        limits,
        allow_paths: allow,
    };
    let sink = Collect(Mutex::new(Vec::new()));
    let conn = GitConnector::from_paths(paths, true);
    let mut covs = conn.scan(&ctx, &sink);
    assert_eq!(covs.len(), 1);
    let cov = covs.remove(0);
    assert_eq!(cov.connector, "git");
    let mut nhis = sink.0.into_inner().unwrap();
    nhis.sort_by(|a, b| a.resource.cmp(&b.resource));
    // The live progress counter counts matches as they are found, before the same secret
    // seen in several blobs or files is folded into one finding.
    assert!(progress.findings.load(std::sync::atomic::Ordering::Relaxed) >= nhis.len() as u64);
    Scan { nhis, cov }
}

fn scan(path: &Path) -> Scan {
    scan_with(
        vec![path.to_path_buf()],
        Mode::Leaver,
        Limits::default(),
        &PathAllowlist::default(),
    )
}

fn loc(n: &Nhi) -> &crate::model::Location {
    n.location.as_ref().expect("location")
}

fn hint_ids(n: &Nhi, sig: Signal) -> Vec<String> {
    n.hints
        .iter()
        .filter(|h| h.signal == sig)
        .map(|h| h.identifier.clone())
        .collect()
}

#[test]
fn deleted_secret_is_found_with_its_introducing_author() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "acme-api");
    r.write("README.md", "hello\n");
    r.commit(&BOB, "init");
    r.write(
        "config/prod.env",
        format!("# prod\nGITHUB_TOKEN={}\n", ghp('a')),
    );
    let c_alice = r.commit(&ALICE, "add prod config");
    r.rm("config/prod.env");
    r.commit(&BOB, "remove secrets");

    let s = scan(&r.path);
    assert!(s.cov.is_complete(), "{:?}", s.cov.errors);
    assert_eq!(s.nhis.len(), 1);
    let n = &s.nhis[0];
    let l = loc(n);
    assert_eq!(l.commit.as_deref(), Some(c_alice.as_str()));
    assert_eq!(l.author_email.as_deref(), Some("alice@acme.example"));
    assert_eq!(l.author_name.as_deref(), Some("Alice Leaver"));
    assert_eq!(l.path, "config/prod.env");
    assert_eq!(l.line, 2);
    assert!(!l.in_head);
    assert_eq!(
        l.committed_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2024-03-02T10:00:00+00:00")
    );
    assert_eq!(n.resource, format!("acme-api@{c_alice}:config/prod.env:2"));
    assert_eq!(n.kind, crate::model::Kind::SecretInRepo);
    assert_eq!(n.connector, "git");
    assert_eq!(n.rule.as_deref(), Some("nhi.github.pat-classic.1"));
    assert_eq!(
        n.title,
        format!("GitHub personal access token (classic) in acme-api config/prod.env (introduced by alice@acme.example in {})", &c_alice[..7])
    );
    assert!(!n.title.contains(&ghp('a')));
    assert_eq!(
        hint_ids(n, Signal::CommitAuthor),
        vec!["alice@acme.example", "Alice Leaver"]
    );
    assert_eq!(n.hints[0].evidence.source, "git:commit");
    assert!(n.hints[0].evidence.detail.starts_with(&format!(
        "introduced in {} by Alice Leaver <alice@acme.example> on 2024-03-02",
        &c_alice[..7]
    )));
    // The token itself, and its last eight characters (what GitHub's credential
    // authorizations show of it).
    let t = ghp('a');
    let mut want = vec![
        crate::model::JoinKey::credential("github_token", t.as_bytes()),
        crate::model::JoinKey::credential("github_token_last_eight", &t.as_bytes()[t.len() - 8..]),
    ];
    want.sort();
    assert_eq!(n.join_keys, want);
    assert_eq!(
        n.attributes.get("credential").map(String::as_str),
        Some("github_pat_classic")
    );
    assert_eq!(
        n.attributes.get("unlocks").map(String::as_str),
        Some("github")
    );
    assert_eq!(
        n.fingerprint_basis.as_deref(),
        Some(
            format!(
                "acme-api\0nhi.github.pat-classic.1\0{}",
                crate::model::SecretBytes::new(ghp('a')).sha256_hex()
            )
            .as_str()
        )
    );
    // Both authors could read it: they are contributors (not in secrets mode).
    let contrib: Vec<String> = n
        .shared_hints
        .as_ref()
        .expect("contributors")
        .iter()
        .map(|h| h.identifier.clone())
        .collect();
    assert_eq!(contrib, vec!["alice@acme.example", "bob@acme.example"]);
    let bob = n
        .shared_hints
        .as_ref()
        .unwrap()
        .iter()
        .find(|h| h.identifier == "bob@acme.example")
        .unwrap();
    assert_eq!(bob.signal, Signal::Contributor);
    assert_eq!(
        bob.evidence.detail,
        "committed 2 times to acme-api, last on 2024-03-03"
    );
    // The same run twice gives the same finding id.
    assert_eq!(scan(&r.path).nhis[0].finding_id(), n.finding_id());
    // Two blobs; the clean README.md in the working tree is its HEAD blob, read once.
    assert_eq!(s.cov.items_scanned, 2);
    assert!(s.cov.bytes_scanned > 0);
}

#[test]
fn secret_still_in_head_keeps_introducing_author() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "acme-api");
    r.write(
        "config/prod.env",
        format!("# prod\nGITHUB_TOKEN={}\n", ghp('b')),
    );
    let c_alice = r.commit(&ALICE, "add prod config");
    r.write(
        "config/prod.env",
        format!(
            "# prod\n# owned by platform\nDEBUG=0\nGITHUB_TOKEN={}\n",
            ghp('b')
        ),
    );
    r.commit(&BOB, "edit other lines");

    let s = scan(&r.path);
    assert!(s.cov.is_complete(), "{:?}", s.cov.errors);
    assert_eq!(
        s.nhis.len(),
        1,
        "one finding per secret, not per blob or file"
    );
    let n = &s.nhis[0];
    let l = loc(n);
    assert_eq!(l.commit.as_deref(), Some(c_alice.as_str()));
    assert_eq!(l.author_email.as_deref(), Some("alice@acme.example"));
    assert_eq!(l.line, 2, "line in the introducing commit");
    assert!(l.in_head);
    assert_eq!(n.resource, "acme-api:config/prod.env:4", "where it is now");
    assert!(n.other_locations.is_empty());
    assert_eq!(
        n.attributes.get("occurrences").map(String::as_str),
        Some("2"),
        "two blobs; the clean working copy is read once, as HEAD's blob"
    );
}

#[test]
fn same_secret_in_two_files_is_one_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "svc");
    r.write("a.env", format!("TOKEN={}\n", ghp('c')));
    let c1 = r.commit(&ALICE, "a");
    r.write("deploy/b.yaml", format!("env:\n  token: {}\n", ghp('c')));
    let c2 = r.commit(&BOB, "b");

    let s = scan(&r.path);
    assert_eq!(s.nhis.len(), 1);
    let n = &s.nhis[0];
    assert_eq!(loc(n).path, "a.env");
    assert_eq!(loc(n).commit.as_deref(), Some(c1.as_str()));
    assert_eq!(n.resource, "svc:a.env:1");
    assert_eq!(n.other_locations.len(), 1);
    let o = &n.other_locations[0];
    assert_eq!(o.path, "deploy/b.yaml");
    assert_eq!(o.line, 2);
    assert_eq!(o.commit.as_deref(), Some(c2.as_str()));
    assert_eq!(o.author_email.as_deref(), Some("bob@acme.example"));
    assert!(o.in_head);
    assert_eq!(
        n.attributes
            .get("other_locations_total")
            .map(String::as_str),
        Some("1")
    );
}

#[test]
fn branch_only_secret_and_secrets_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "svc");
    r.write("README.md", "x\n");
    r.commit(&BOB, "init");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("ci/token.txt", ghp('d'));
    let c = r.commit(&ALICE, "wip");
    r.git(&["checkout", "-q", "main"]);

    let s = scan_with(
        vec![r.path.clone()],
        Mode::Secrets,
        Limits::default(),
        &PathAllowlist::default(),
    );
    assert_eq!(s.nhis.len(), 1);
    let n = &s.nhis[0];
    assert_eq!(loc(n).commit.as_deref(), Some(c.as_str()));
    assert!(!loc(n).in_head);
    assert_eq!(n.resource, format!("svc@{c}:ci/token.txt:1"));
    assert!(n.shared_hints.is_none(), "no contributors in secrets mode");
}

/// Binary content is scanned with the specific rules only (a key compiled into a tool is
/// found, and counted as `binary_specific_only`); text over the size limit is a hole.
#[test]
fn binary_files_get_specific_rules_and_oversized_ones_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "svc");
    let mut bin = b"\x7fELF\0\0\0".to_vec();
    bin.extend_from_slice(ghp('e').as_bytes());
    r.write("bin/tool", &bin);
    let mut big = "x = 1\n".repeat(400);
    big.push_str(&format!("TOKEN={}\n", ghp('f')));
    r.write("big.txt", &big);
    r.commit(&ALICE, "add");
    // The same, untracked: only the file scan sees these.
    r.write("bin/tool2", &bin);
    r.write("big2.txt", &big);

    let limits = Limits {
        max_file_size: 1024,
        ..Limits::default()
    };
    let s = scan_with(
        vec![r.path.clone()],
        Mode::Leaver,
        limits,
        &PathAllowlist::default(),
    );
    // The token in the binary, committed at bin/tool and copied untracked to bin/tool2:
    // one secret. The oversized text was not read.
    assert_eq!(
        s.nhis.iter().map(|n| &n.resource).collect::<Vec<_>>(),
        ["svc:bin/tool:1"]
    );
    let n = &s.nhis[0];
    assert_eq!(n.rule.as_deref(), Some("nhi.github.pat-classic.1"));
    assert!(n.other_locations.iter().any(|l| l.path == "bin/tool2"));
    // Committed ones once (history), untracked ones once (files).
    assert_eq!(s.cov.skipped.get("binary_specific_only"), Some(&2));
    assert_eq!(s.cov.skipped.get("binary"), None);
    assert_eq!(s.cov.skipped.get("too_large"), Some(&2));
    // Text that was not scanned is a hole in the scan: one error each, naming it.
    assert_eq!(s.cov.status, CoverageStatus::Partial);
    assert_eq!(s.cov.errors.len(), 2, "{:?}", s.cov.errors);
    assert!(
        s.cov
            .errors
            .iter()
            .any(|e| e.contains("blob ") && e.contains("(big.txt in commit ")),
        "{:?}",
        s.cov.errors
    );
    assert!(
        s.cov.errors.iter().any(|e| e.contains("big2.txt")
            && e.contains("over the size limit of 1 KiB")
            && e.contains("--max-file-size")),
        "{:?}",
        s.cov.errors
    );
}

#[test]
fn untracked_env_file_is_found_without_a_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "svc");
    r.write(".gitignore", ".env\n");
    r.commit(&BOB, "init");
    r.write(".env", format!("GH={}\n", ghp('g')));

    let s = scan(&r.path);
    assert_eq!(s.nhis.len(), 1, "ignored, hidden files are scanned");
    let n = &s.nhis[0];
    let l = loc(n);
    assert_eq!(l.path, ".env");
    assert!(l.commit.is_none() && l.author_email.is_none());
    assert!(l.in_head);
    assert_eq!(
        n.attributes.get("untracked").map(String::as_str),
        Some("true")
    );
    assert_eq!(n.resource, "svc:.env:1");
    assert!(hint_ids(n, Signal::CommitAuthor).is_empty());
    assert!(n.title.contains("untracked"));
}

#[test]
fn codeowners_hints_for_the_secret_path() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "svc");
    r.write(
        ".github/CODEOWNERS",
        "* @acme/platform\n/config/ @alice-dev carol@acme.example\n",
    );
    r.write("config/app.env", format!("T={}\n", ghp('h')));
    r.commit(&BOB, "init");

    let s = scan(&r.path);
    assert_eq!(s.nhis.len(), 1);
    let n = &s.nhis[0];
    assert_eq!(
        hint_ids(n, Signal::Codeowners),
        vec!["github:alice-dev", "carol@acme.example"]
    );
    let h = n
        .hints
        .iter()
        .find(|h| h.signal == Signal::Codeowners)
        .unwrap();
    assert_eq!(h.evidence.source, "git:codeowners");
    assert_eq!(
        h.evidence.detail,
        ".github/CODEOWNERS line 2: /config/ @alice-dev carol@acme.example"
    );
}

#[test]
fn shallow_clone_is_recorded_in_coverage() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "origin");
    r.write("old.env", format!("T={}\n", ghp('i')));
    r.commit(&ALICE, "old");
    r.rm("old.env");
    r.write("new.env", format!("T={}\n", ghp('j')));
    r.commit(&BOB, "new");
    let clones = tmp.path().join("clones");
    std::fs::create_dir_all(&clones).unwrap();
    let mut c = git_cmd(&clones);
    c.args([
        "clone",
        "-q",
        "--depth",
        "1",
        &format!("file://{}", r.path.display()),
        "shallow",
    ]);
    run(c);

    // Named after its origin URL (`.../origin`), not its directory.
    let s = scan(&clones.join("shallow"));
    assert_eq!(s.cov.status, CoverageStatus::Partial);
    assert!(
        s.cov.errors.iter().any(
            |e| e.starts_with("origin is a shallow clone: history before ")
                && e.contains("not scanned")
                && e.contains("git fetch --unshallow")
                && e.ends_with("--no-history (`history = false` in a git connector's config)")
        ),
        "{:?}",
        s.cov.errors
    );
    assert_eq!(s.cov.errors.len(), 1, "{:?}", s.cov.errors);
    // What is there is still scanned.
    assert_eq!(s.nhis.len(), 1);
    let n = &s.nhis[0];
    assert_eq!(loc(n).path, "new.env");
    // Bob's commit is the cut point: the secret was introduced there or earlier, by
    // someone the clone cannot tell. Not a confirmed author; a weak contributor hint.
    assert!(loc(n).commit.is_some());
    assert_eq!(loc(n).author_email, None);
    assert_eq!(
        n.attributes.get("introduced").map(String::as_str),
        Some("at_or_before")
    );
    assert!(!n.hints.iter().any(|h| h.signal == Signal::CommitAuthor));
    let h = n
        .hints
        .iter()
        .find(|h| h.identifier == "bob@acme.example")
        .expect("bob hinted");
    assert_eq!(h.signal, Signal::Contributor);
    assert!(
        h.evidence
            .detail
            .starts_with("present at the shallow-clone boundary ")
            && h.evidence
                .detail
                .ends_with(": introduced at or before it, by an unknown author"),
        "{}",
        h.evidence.detail
    );
    assert_eq!(n.created_at, None);
}

#[test]
fn corrupt_repository_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "broken");
    r.write("gone.env", format!("T={}\n", ghp('k')));
    r.write("kept.env", format!("T={}\n", ghp('l')));
    r.commit(&ALICE, "add");
    r.rm("gone.env");
    r.commit(&ALICE, "rm");
    let blob = r.git(&["rev-parse", "HEAD~1:gone.env"]);
    std::fs::remove_file(
        r.path
            .join(".git/objects")
            .join(&blob[..2])
            .join(&blob[2..]),
    )
    .unwrap();

    let s = scan(&r.path);
    assert_eq!(s.cov.status, CoverageStatus::Partial);
    assert!(
        s.cov
            .errors
            .iter()
            .any(|e| e.contains(&blob) && e.contains("gone.env")),
        "{:?}",
        s.cov.errors
    );
    // The readable rest is still reported.
    assert_eq!(s.nhis.len(), 1);
    assert_eq!(loc(&s.nhis[0]).path, "kept.env");

    // A repository whose HEAD commit is gone.
    let r2 = Repo::init(tmp.path(), "headless");
    r2.write("a.env", format!("T={}\n", ghp('m')));
    let c = r2.commit(&ALICE, "add");
    std::fs::remove_file(r2.path.join(".git/objects").join(&c[..2]).join(&c[2..])).unwrap();
    let s = scan(&r2.path);
    assert_eq!(s.cov.status, CoverageStatus::Partial);
    assert!(
        s.cov.errors.iter().any(|e| e.contains(&c)),
        "{:?}",
        s.cov.errors
    );
    // The working tree is still scanned.
    assert_eq!(s.nhis.len(), 1);
}

#[test]
fn missing_path_is_recorded_and_the_rest_scanned() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "svc");
    r.write("a.env", format!("T={}\n", ghp('n')));
    r.commit(&ALICE, "add");
    let missing = tmp.path().join("nope");
    let s = scan_with(
        vec![missing.clone(), r.path.clone()],
        Mode::Leaver,
        Limits::default(),
        &PathAllowlist::default(),
    );
    assert_eq!(s.cov.status, CoverageStatus::Partial);
    assert_eq!(
        s.cov.errors,
        vec![format!("{}: path does not exist", missing.display())]
    );
    assert_eq!(s.nhis.len(), 1);
}

#[test]
fn many_repositories_and_loose_files_under_one_root() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repos");
    for (i, name) in ["one", "two", "three"].iter().enumerate() {
        let r = Repo::init(&root, name);
        r.write("k.env", format!("T={}\n", ghp(char::from(b'o' + i as u8))));
        r.commit(&ALICE, "add");
    }
    // A bare repository and a loose file.
    let mut c = git_cmd(&root);
    c.args(["clone", "-q", "--bare", "one", "one-bare.git"]);
    run(c);
    std::fs::write(root.join("notes.txt"), format!("T={}\n", ghp('z'))).unwrap();

    let s = scan(&root);
    assert!(s.cov.is_complete(), "{:?}", s.cov.errors);
    let resources: Vec<&str> = s.nhis.iter().map(|n| n.resource.as_str()).collect();
    assert_eq!(
        resources,
        // The bare clone's origin is `one`: two repositories named `one` are told apart
        // by their path under the root.
        vec![
            "repos/one-bare:k.env:1",
            "repos/one:k.env:1",
            "repos:notes.txt:1",
            "three:k.env:1",
            "two:k.env:1"
        ]
    );
    let bare = &s.nhis[0];
    assert_eq!(
        loc(bare).author_email.as_deref(),
        Some("alice@acme.example")
    );
    assert!(loc(bare).in_head);
    let loose = &s.nhis[2];
    assert!(loc(loose).commit.is_none());
    assert!(!loose.attributes.contains_key("untracked"));
}

#[test]
fn allowlisted_paths_are_skipped_in_files_and_history() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "svc");
    r.write("fixtures/k.env", format!("T={}\n", ghp('p')));
    r.write("real.env", format!("T={}\n", ghp('q')));
    r.commit(&ALICE, "add");
    let allow = crate::pipeline::IgnoreList::parse("/fixtures/\n")
        .unwrap()
        .paths;
    let s = scan_with(
        vec![r.path.clone()],
        Mode::Leaver,
        Limits::default(),
        &allow,
    );
    assert_eq!(s.nhis.len(), 1);
    assert_eq!(loc(&s.nhis[0]).path, "real.env");
    assert_eq!(s.cov.skipped.get("allowlisted"), Some(&2));
}

#[test]
fn a_secret_next_to_a_key_id_shares_its_join_key() {
    let mut set = RuleSet::default();
    set.add_file_text(
        Path::new("t.toml"),
        r#"
[[rule]]
id = "acme.test.key-id.1"
name = "Key id"
pattern = '\b(?P<secret>KID[A-Z0-9]{12})\b'
keywords = ["kid"]
credential = "key_id"
unlocks = "acme"
join_key = "acme_key_id"

[[rule]]
id = "acme.test.key-secret.1"
name = "Key secret"
pattern = 'ksecret=(?P<secret>[a-z0-9]{16})'
keywords = ["ksecret"]
credential = "key_secret"
unlocks = "acme"
"#,
    )
    .unwrap();
    let m = Matcher::new(set).unwrap();
    let data = b"id=KIDA1B2C3D4E5F6\nksecret=q8w7e6r5t4y3u2i1\n\nid=KIDZ9Y8X7W6V5U4\n";
    let hits = content::hits(&m, data);
    assert_eq!(hits.len(), 3);
    assert_eq!(
        hits[0].join_key.as_ref(),
        Some(&crate::model::JoinKey::credential(
            "acme_key_id",
            b"KIDA1B2C3D4E5F6"
        ))
    );
    assert_eq!(
        hits[1].join_key.as_ref(),
        Some(&crate::model::JoinKey::credential(
            "acme_key_id",
            b"KIDA1B2C3D4E5F6"
        )),
        "nearest key id"
    );
    assert_eq!(
        hits[2].join_key.as_ref(),
        Some(&crate::model::JoinKey::credential(
            "acme_key_id",
            b"KIDZ9Y8X7W6V5U4"
        ))
    );
}

#[test]
fn aws_key_id_in_history_gets_its_join_key() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "svc");
    r.write(
        "aws.ini",
        format!("[default]\naws_access_key_id = {}\n", akia()),
    );
    r.commit(&ALICE, "add");
    let s = scan(&r.path);
    assert_eq!(s.nhis.len(), 1);
    assert_eq!(
        s.nhis[0].join_keys,
        vec![crate::model::JoinKey::credential(
            "aws_access_key_id",
            akia().as_bytes()
        )]
    );
    assert_eq!(
        s.nhis[0].secret.as_ref().map(|s| s.redacted.as_str()),
        Some("AKIA…NH2X")
    );
}

#[test]
fn no_secret_in_debug_or_titles() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "svc");
    r.write("a.env", format!("T={}\n", ghp('r')));
    r.commit(&ALICE, "add");
    let s = scan(&r.path);
    // Regression: join keys used to hold the raw token, so Debug of an Nhi leaked it.
    let n = s.nhis[0].clone();
    let dbg = format!("{n:?} {:?}", s.cov);
    assert!(!dbg.contains(&ghp('r')));
}

#[test]
fn clean_working_files_are_read_once_modified_ones_are_scanned() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "svc");
    r.write("a.env", format!("T={}\n", ghp('s')));
    r.write("b.txt", "nothing here\n");
    let c = r.commit(&ALICE, "add");
    r.write("b.txt", format!("nothing here\nT={}\n", ghp('t')));

    let s = scan(&r.path);
    // Two blobs, plus the modified b.txt; the clean a.env is covered by its blob.
    assert_eq!(s.cov.items_scanned, 3);
    assert_eq!(s.nhis.len(), 2);
    let a = s.nhis.iter().find(|n| loc(n).path == "a.env").unwrap();
    assert_eq!(a.resource, "svc:a.env:1");
    assert!(loc(a).in_head);
    assert_eq!(loc(a).commit.as_deref(), Some(c.as_str()));
    let b = s.nhis.iter().find(|n| loc(n).path == "b.txt").unwrap();
    assert_eq!(b.resource, "svc:b.txt:2");
    assert!(loc(b).commit.is_none());
    assert_eq!(
        b.attributes.get("untracked").map(String::as_str),
        Some("true")
    );

    // Without history every file is read.
    let progress = Progress::default();
    let allow = PathAllowlist::default();
    let ctx = ScanContext {
        matcher: matcher(),
        progress: &progress,
        mode: Mode::Secrets,
        limits: Limits::default(),
        allow_paths: &allow,
    };
    let sink = Collect(Mutex::new(Vec::new()));
    let cov = GitConnector::from_paths(vec![r.path.clone()], false).scan(&ctx, &sink);
    assert_eq!(cov[0].items_scanned, 2);
    let nhis = sink.0.into_inner().unwrap();
    assert_eq!(nhis.len(), 2);
    assert!(nhis
        .iter()
        .all(|n| loc(n).commit.is_none() && !n.attributes.contains_key("untracked")));
}

#[test]
fn stashed_secret_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "svc");
    r.write("app.env", "DEBUG=1\n");
    r.commit(&BOB, "init");
    r.write("app.env", format!("DEBUG=1\nT={}\n", ghp('u')));
    let mut c = git_cmd(&r.path);
    c.env("GIT_AUTHOR_NAME", ALICE.0)
        .env("GIT_AUTHOR_EMAIL", ALICE.1)
        .env("GIT_AUTHOR_DATE", "2024-04-01T10:00:00Z")
        .env("GIT_COMMITTER_NAME", ALICE.0)
        .env("GIT_COMMITTER_EMAIL", ALICE.1)
        .env("GIT_COMMITTER_DATE", "2024-04-01T10:00:00Z")
        .args(["stash", "-q"]);
    run(c);

    let s = scan(&r.path);
    assert_eq!(s.nhis.len(), 1);
    let l = loc(&s.nhis[0]);
    assert_eq!(l.author_email.as_deref(), Some("alice@acme.example"));
    assert!(!l.in_head);
    assert!(s.nhis[0].resource.starts_with("svc@"));
}

/// A minified bundle (one 100 KiB line) with a hard-coded vendor token and a generic
/// `apiToken:"…"` assignment: the token is found, in the working tree and in history;
/// the catch-all rules stay off for generated one-liners.
#[test]
fn minified_bundle_is_scanned_with_specific_rules_only() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "web");
    let mut js = String::new();
    for i in 0..2500 {
        js.push_str(&format!("function f{i}(a,b){{return a+b*{i}}};"));
        if i == 1200 {
            js.push_str(&format!("var gh=\"{}\";", ghp('m')));
            js.push_str("var cfg={apiToken:\"Qm7Zx2Lp9Wv4Rt8Ky3Nd6Hs1\"};");
        }
    }
    js.push('\n');
    assert!(content::is_minified(js.as_bytes()));
    r.write("dist/app.min.js", &js);
    r.commit(&ALICE, "bundle");
    r.rm("dist/app.min.js");
    r.commit(&BOB, "drop bundle");
    r.write("public/app.min.js", &js);
    let s = scan(&r.path);
    assert_eq!(s.nhis.len(), 1, "{:#?}", s.nhis);
    let n = &s.nhis[0];
    assert_eq!(n.rule.as_deref(), Some("nhi.github.pat-classic.1"));
    assert_eq!(loc(n).author_email.as_deref(), Some("alice@acme.example"));
    assert_eq!(loc(n).path, "dist/app.min.js");
    assert_eq!(n.resource, "web:public/app.min.js:1");
    assert!(
        !s.cov.skipped.contains_key("minified"),
        "{:?}",
        s.cov.skipped
    );
}

#[test]
fn repository_names_come_from_the_origin_url_in_every_form() {
    for (url, want) in [
        ("git@github.com:acme/payments.git", Some("payments")),
        ("https://github.com/acme/payments.git", Some("payments")),
        ("https://github.com/acme/payments/", Some("payments")),
        (
            "ssh://git@ghe.acme.example:2222/acme/payments",
            Some("payments"),
        ),
        ("file:///srv/git/payments.git", Some("payments")),
        ("/srv/git/payments", Some("payments")),
        ("C:\\repos\\payments.git", Some("payments")),
        ("https://github.com/", Some("github.com")),
        ("", None),
        (".git", None),
    ] {
        assert_eq!(super::remote_url_name(url).as_deref(), want, "{url}");
    }
}

/// A zip built here (`zip` writer): `entries` deflated.
fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Issue 12: a key inside a committed jar is found in history (introducing commit and
/// author, location `JAR!/ENTRY`, the entry's line) and, while the jar is checked out,
/// as present; the same key in a second, untracked copy is another location.
#[test]
fn secrets_inside_archives_are_found_in_history_and_working_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(tmp.path(), "svc");
    let props = format!("# app\nname=svc\naws.key={}\n", akia());
    let jar = zip_bytes(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        ("META-INF/app.properties", props.as_bytes()),
    ]);
    r.write("dist/app.jar", &jar);
    let c = r.commit(&ALICE, "add jar");
    r.write("copy/app.jar", &jar);

    let s = scan(&r.path);
    assert!(s.cov.is_complete(), "{:?}", s.cov.errors);
    assert_eq!(
        s.nhis.len(),
        1,
        "{:?}",
        s.nhis.iter().map(|n| &n.resource).collect::<Vec<_>>()
    );
    let n = &s.nhis[0];
    assert_eq!(n.rule.as_deref(), Some("nhi.aws.access-key-id.1"));
    let l = loc(n);
    assert_eq!(l.path, "dist/app.jar!/META-INF/app.properties");
    assert_eq!(l.line, 3);
    assert_eq!(l.commit.as_deref(), Some(c.as_str()));
    assert_eq!(l.author_email.as_deref(), Some("alice@acme.example"));
    assert!(l.in_head);
    assert_eq!(
        n.resource,
        format!("svc@{c}:dist/app.jar!/META-INF/app.properties:3").replace(&format!("@{c}"), ""),
        "{}",
        n.resource
    );
    assert!(
        n.other_locations
            .iter()
            .any(|o| o.path == "copy/app.jar!/META-INF/app.properties"),
        "{:?}",
        n.other_locations
    );
    assert!(
        !s.cov.skipped.contains_key("binary_specific_only"),
        "{:?}",
        s.cov.skipped
    );

    // Deleted: still found, from history alone.
    r.rm("dist/app.jar");
    std::fs::remove_file(r.path.join("copy/app.jar")).unwrap();
    let d = r.commit(&BOB, "drop jar");
    assert_ne!(c, d);
    let s = scan(&r.path);
    assert_eq!(s.nhis.len(), 1);
    let l = loc(&s.nhis[0]);
    assert_eq!(l.path, "dist/app.jar!/META-INF/app.properties");
    assert_eq!(l.commit.as_deref(), Some(c.as_str()));
    assert!(!l.in_head);
}
