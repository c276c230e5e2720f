//! The connector conformance test (modelled on vector's source compliance checks), through
//! the real binary. Every connector:
//! (a) emits items with provenance (its connector name and a resource);
//! (b) leaks no fixture secret or token into any serialised output (every format, stderr);
//! (c) gives the same finding ids on two runs;
//! (d) turns each injected fault into the right coverage status and `error_classes` class,
//!     and exit 3 when the scan is incomplete.
//!
//! HTTP connectors (github, saas) are driven against [`FaultServer`], one small axum server
//! that answers every request with the same fault; git and host get unreadable files and
//! corrupt repositories; aws gets a refused connection.

use crate::support::{fixture, git, nhiscan, write};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Router;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

const TOKEN: &str = "ghp_FAKEconformanceToken000000000000000000";
/// A fixture secret planted in git and host sources: never in any output. Not AWS's
/// documented example pair (`...EXAMPLE`), which the engine rightly reports as no secret.
const SECRET: &str = "AKIAZQ3DMQ5TR7XYZW2B";
const SECRET_KEY: &str = "wJalrXUtnQ3MI/K7MDNGbPxRfiCYzq8R4LnKpT2v";

/// One injected fault, served for every request.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Nothing listens on the port.
    Refused,
    Status(u16),
    /// 429 with `Retry-After: 1`, every time.
    RateLimited,
    /// 200 with a body that is not JSON.
    Malformed,
    /// Accepts the connection and never answers.
    Hang,
}

/// A local server that answers every request with one [`Fault`]; `base` is its URL.
struct FaultServer {
    base: String,
}

fn fault_server(fault: Fault) -> FaultServer {
    if let Fault::Refused = fault {
        // Bind and drop: the port is free and nothing answers on it.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        return FaultServer {
            base: format!("http://127.0.0.1:{port}"),
        };
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!(
                "http://127.0.0.1:{}",
                l.local_addr().unwrap().port()
            ))
            .unwrap();
            let app = Router::new().fallback(move || async move {
                match fault {
                    Fault::Status(code) => (
                        StatusCode::from_u16(code).unwrap(),
                        [("content-type", "application/json")],
                        format!("{{\"message\":\"injected {code}\"}}"),
                    )
                        .into_response(),
                    Fault::RateLimited => (
                        StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", "1"), ("content-type", "application/json")],
                        "{\"message\":\"slow down\"}".to_string(),
                    )
                        .into_response(),
                    Fault::Malformed => (
                        StatusCode::OK,
                        [("content-type", "application/json")],
                        "{\"this is\": not json".to_string(),
                    )
                        .into_response(),
                    Fault::Hang => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        StatusCode::OK.into_response()
                    }
                    Fault::Refused => unreachable!(),
                }
            });
            axum::serve(l, app).await.ok();
        });
    });
    FaultServer {
        base: rx.recv().unwrap(),
    }
}

struct Out {
    code: Option<i32>,
    doc: Value,
    stderr: String,
    stdout: String,
    raw: String,
}

fn run(dir: &Path, args: &[&str]) -> Out {
    let r = nhiscan()
        .current_dir(dir)
        .env("NHISCAN_IT_CONF_TOKEN", TOKEN)
        .args(args)
        .args(["-o", "f.json", "--no-progress"])
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run nhiscan");
    let raw = std::fs::read_to_string(dir.join("f.json")).unwrap_or_default();
    Out {
        code: r.status.code(),
        doc: serde_json::from_str(&raw).unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&r.stderr).into_owned(),
        stdout: String::from_utf8_lossy(&r.stdout).into_owned(),
        raw,
    }
}

const ROSTER: &str = "employee_id,email,name,status,end_date,type,manager_email,aliases,risk
E1,alice@acme.example,Alice Example,terminated,2026-11-20,employee,,,
E2,bob@acme.example,Bob Builder,active,,employee,,,
";

fn cov<'a>(doc: &'a Value, connector: &str) -> &'a Value {
    doc["coverage"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["connector"] == connector))
        .unwrap_or_else(|| panic!("no coverage entry {connector}: {}", doc["coverage"]))
}

/// (d) for one HTTP connector and one fault: exit 3, the connector's own entry is
/// `failed` or `partial`, and its `error_classes` has `class`.
fn assert_fault(o: &Out, connector: &str, class: &str, what: &str) {
    assert_eq!(o.code, Some(3), "{what}: exit\nstderr: {}", o.stderr);
    for text in [&o.raw, &o.stderr, &o.stdout] {
        assert!(!text.contains(TOKEN), "{what}: the token leaked");
    }
    let c = cov(&o.doc, connector);
    let status = c["status"].as_str().unwrap_or("");
    assert!(
        status == "failed" || status == "partial",
        "{what}: status {status}: {c}"
    );
    assert!(
        c["error_classes"][class].as_u64().unwrap_or(0) >= 1,
        "{what}: no error class {class}: {c}"
    );
    assert!(
        !c["errors"].as_array().map_or(true, |e| e.is_empty()),
        "{what}: no error message: {c}"
    );
}

fn saas_dir(base: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "hr/roster.csv", ROSTER);
    write(
        dir.path(),
        "nhiscan.toml",
        &format!(
            "[hr]\nroster = \"hr/roster.csv\"\n{extra}\n[[connector]]\ntype = \"saas\"\nspec = \"okta\"\nbase_url = \"{base}\"\ntoken_env = \"NHISCAN_IT_CONF_TOKEN\"\n"
        ),
    );
    dir
}

fn github_dir(base: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "hr/roster.csv", ROSTER);
    write(
        dir.path(),
        "nhiscan.toml",
        &format!(
            "[hr]\nroster = \"hr/roster.csv\"\n{extra}\n[[connector]]\ntype = \"github\"\norg = \"acme\"\napi_url = \"{base}\"\ntoken_env = \"NHISCAN_IT_CONF_TOKEN\"\nbackoff_floor_ms = 10\nscan_code = false\n"
        ),
    );
    dir
}

/// The fault matrix of the HTTP connectors: fault, expected class.
fn http_matrix() -> Vec<(Fault, &'static str)> {
    vec![
        (Fault::Refused, "unavailable"),
        (Fault::Status(401), "auth"),
        (Fault::Status(403), "forbidden"),
        (Fault::Status(404), "not_found"),
        (Fault::RateLimited, "rate_limited"),
        (Fault::Status(500), "unavailable"),
        (Fault::Malformed, "malformed"),
    ]
}

fn http_faults(dir_for: fn(&str, &str) -> tempfile::TempDir, connector: &str) {
    let cases: Vec<_> = http_matrix()
        .into_iter()
        .map(|(fault, class)| {
            let connector = connector.to_string();
            std::thread::spawn(move || {
                let srv = fault_server(fault);
                let dir = dir_for(&srv.base, "");
                let o = run(dir.path(), &["sweep"]);
                assert_fault(&o, &connector, class, &format!("{connector} {fault:?}"));
            })
        })
        .collect();
    let mut failed = Vec::new();
    for h in cases {
        if let Err(e) = h.join() {
            failed.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "panicked".into()),
            );
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// A server that never answers: the run deadline stops the connector, which becomes a
/// `failed` entry of class `timeout` under its own name, and the run ends soon after.
fn http_deadline(dir_for: fn(&str, &str) -> tempfile::TempDir, connector: &str, via_flag: bool) {
    let srv = fault_server(Fault::Hang);
    let (dir, args): (_, Vec<&str>) = if via_flag {
        (dir_for(&srv.base, ""), vec!["sweep", "--deadline", "2s"])
    } else {
        (
            dir_for(&srv.base, "\n[scan]\ndeadline = \"2s\"\n"),
            vec!["sweep"],
        )
    };
    let t = Instant::now();
    let o = run(dir.path(), &args);
    assert!(
        t.elapsed() < Duration::from_secs(25),
        "the deadline did not stop the run: {:?}",
        t.elapsed()
    );
    assert_fault(&o, connector, "timeout", &format!("{connector} hang"));
    let c = cov(&o.doc, connector);
    assert_eq!(c["status"], "failed", "{c}");
    assert!(c["errors"].to_string().contains("2s"), "{c}");
}

#[test]
fn saas_faults_become_classed_coverage_and_exit_3() {
    http_faults(saas_dir, "saas:okta");
}

#[test]
fn github_faults_become_classed_coverage_and_exit_3() {
    http_faults(github_dir, "github:acme");
}

#[test]
fn saas_that_never_answers_is_stopped_by_the_deadline_flag() {
    http_deadline(saas_dir, "saas:okta", true);
}

#[test]
fn github_that_never_answers_is_stopped_by_the_configured_deadline() {
    http_deadline(github_dir, "github:acme", false);
}

#[test]
fn a_bad_deadline_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["secrets", ".", "--deadline", "soon"]);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    write(dir.path(), "nhiscan.toml", "[scan]\ndeadline = \"0s\"\n");
    let o = run(dir.path(), &["secrets", "."]);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(o.stderr.contains("deadline"), "{}", o.stderr);
}

#[test]
fn aws_refused_connection_is_a_failed_source_of_its_own_name() {
    let srv = fault_server(Fault::Refused);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "hr/roster.csv", ROSTER);
    write(
        dir.path(),
        "nhiscan.toml",
        &format!(
            "[hr]\nroster = \"hr/roster.csv\"\n\n[[connector]]\ntype = \"aws\"\nname = \"prod\"\nregion = \"us-east-1\"\nendpoint_url = \"{}\"\n",
            srv.base
        ),
    );
    let r = nhiscan()
        .current_dir(dir.path())
        .env("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .args([
            "sweep",
            "-o",
            "f.json",
            "--no-progress",
            "--deadline",
            "60s",
        ])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(3));
    let raw = std::fs::read_to_string(dir.path().join("f.json")).unwrap();
    assert!(!raw.contains(SECRET_KEY));
    assert!(!String::from_utf8_lossy(&r.stderr).contains(SECRET_KEY));
    let doc: Value = serde_json::from_str(&raw).unwrap();
    let c = doc["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["connector"]
                .as_str()
                .unwrap_or("")
                .starts_with("aws:prod")
        })
        .unwrap_or_else(|| panic!("{}", doc["coverage"]));
    assert_eq!(c["status"], "failed", "{c}");
}

/// A git repository with a planted key in history and a working-tree file.
fn git_source(dir: &Path) {
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"], None);
    write(
        &repo,
        "deploy/aws.env",
        &format!("AWS_ACCESS_KEY_ID={SECRET}\nAWS_SECRET_ACCESS_KEY={SECRET_KEY}\n"),
    );
    git(&repo, &["add", "."], None);
    git(
        &repo,
        &["commit", "-qm", "add deploy creds"],
        Some((
            "Alice Example",
            "alice@acme.example",
            "2026-01-05T10:00:00Z",
        )),
    );
}

fn ids(doc: &Value) -> Vec<String> {
    let mut v: Vec<String> = doc["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// (a), (b), (c) for one config: items with provenance, no secret in any format or on
/// stderr, the same ids twice.
fn assert_well_behaved(dir: &Path, args: &[&str], connector_prefix: &str) {
    let a = run(dir, args);
    assert!(matches!(a.code, Some(1)), "exit {:?}: {}", a.code, a.stderr);
    let findings = a.doc["findings"].as_array().cloned().unwrap_or_default();
    assert!(!findings.is_empty(), "no findings: {}", a.raw);
    for f in &findings {
        assert!(
            f["connector"]
                .as_str()
                .unwrap_or("")
                .starts_with(connector_prefix),
            "provenance: {f}"
        );
        assert!(
            !f["resource"].as_str().unwrap_or("").is_empty(),
            "provenance: {f}"
        );
    }
    assert!(
        a.doc["coverage"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["connector"]
                .as_str()
                .unwrap_or("")
                .starts_with(connector_prefix)),
        "{}",
        a.doc["coverage"]
    );
    let b = run(dir, args);
    assert_eq!(ids(&a.doc), ids(&b.doc), "ids differ between two runs");
    let mut outputs = vec![a.raw.clone(), a.stderr.clone(), a.stdout.clone()];
    for fmt in ["jsonl", "csv", "sarif", "ocsf", "markdown", "html"] {
        let r = nhiscan()
            .current_dir(dir)
            .args(["report", "f.json", "--format", fmt])
            .output()
            .unwrap();
        outputs.push(String::from_utf8_lossy(&r.stdout).into_owned());
        outputs.push(String::from_utf8_lossy(&r.stderr).into_owned());
    }
    for (i, text) in outputs.iter().enumerate() {
        assert!(!text.contains(SECRET_KEY), "output {i} leaks the secret");
    }
}

#[test]
fn git_emits_provenance_leaks_nothing_and_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    git_source(dir.path());
    write(
        dir.path(),
        "nhiscan.toml",
        "[[connector]]\ntype = \"git\"\npaths = [\"repo\"]\n",
    );
    assert_well_behaved(dir.path(), &["secrets", "repo"], "git");
}

#[test]
fn host_emits_provenance_leaks_nothing_and_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("web");
    copy_dir(&fixture("hosts/web-test"), &root);
    write(
        &root,
        "srv/app/.env",
        &format!("AWS_ACCESS_KEY_ID={SECRET}\nAWS_SECRET_ACCESS_KEY={SECRET_KEY}\n"),
    );
    write(dir.path(), "hr/roster.csv", ROSTER);
    write(
        dir.path(),
        "nhiscan.toml",
        "[hr]\nroster = \"hr/roster.csv\"\n\n[[connector]]\ntype = \"host\"\nroots = [\"web\"]\n",
    );
    assert_well_behaved(dir.path(), &["sweep"], "host:");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            copy_dir(&e.path(), &t);
        } else if ft.is_symlink() {
            let target = std::fs::read_link(e.path()).unwrap();
            std::os::unix::fs::symlink(target, t).unwrap();
        } else {
            std::fs::copy(e.path(), t).unwrap();
        }
    }
}

fn running_as_root() -> bool {
    // Root reads mode-000 files anyway: the unreadable-file fault cannot be injected.
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("x");
    std::fs::write(&p, "x").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::read(&p).is_ok()
}

#[test]
fn git_unreadable_file_and_corrupt_repository_are_partial_and_exit_3() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    git_source(dir.path());
    // A corrupt repository: HEAD names a missing object.
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    git(&bad, &["init", "-q"], None);
    write(&bad, "a.txt", "hello\n");
    git(&bad, &["add", "."], None);
    git(
        &bad,
        &["commit", "-qm", "one"],
        Some(("Bob", "bob@acme.example", "2026-01-05T10:00:00Z")),
    );
    let objects = bad.join(".git/objects");
    for e in std::fs::read_dir(&objects).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap().len() == 2 {
            std::fs::remove_dir_all(p).unwrap();
        }
    }
    let o = run(dir.path(), &["secrets", "repo", "bad"]);
    assert_eq!(o.code, Some(3), "corrupt repository: {}", o.stderr);
    let c = &o.doc["coverage"][0];
    assert_ne!(c["status"], "complete", "{c}");
    assert!(!o.raw.contains(SECRET_KEY));
    // What could be read is kept.
    assert!(!ids(&o.doc).is_empty(), "{}", o.raw);

    if !running_as_root() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "src/ok.txt", "nothing here\n");
        write(dir.path(), "src/locked.env", &format!("K={SECRET_KEY}\n"));
        std::fs::set_permissions(
            dir.path().join("src/locked.env"),
            std::fs::Permissions::from_mode(0o000),
        )
        .unwrap();
        let o = run(dir.path(), &["secrets", "src"]);
        std::fs::set_permissions(
            dir.path().join("src/locked.env"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        assert_eq!(o.code, Some(3), "unreadable file: {}", o.stderr);
        assert_eq!(o.doc["coverage"][0]["status"], "partial");
    }
}

#[test]
fn host_unreadable_file_is_partial_and_a_missing_root_failed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("web");
    copy_dir(&fixture("hosts/web-test"), &root);
    write(dir.path(), "hr/roster.csv", ROSTER);
    write(
        dir.path(),
        "nhiscan.toml",
        "[hr]\nroster = \"hr/roster.csv\"\n\n[[connector]]\ntype = \"host\"\nroots = [\"web\", \"missing\"]\n",
    );
    let locked = root.join("etc/sudoers");
    let can_lock = locked.exists() && !running_as_root();
    if can_lock {
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let o = run(dir.path(), &["sweep"]);
    if can_lock {
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    assert_eq!(o.code, Some(3), "{}", o.stderr);
    let covs = o.doc["coverage"].as_array().unwrap();
    let missing = covs
        .iter()
        .find(|c| c["connector"].as_str().unwrap_or("").contains("missing"))
        .unwrap_or_else(|| panic!("{}", o.doc["coverage"]));
    assert_eq!(missing["status"], "failed", "{missing}");
    let web = covs
        .iter()
        .find(|c| !c["connector"].as_str().unwrap_or("").contains("missing"))
        .unwrap();
    assert!(web["connector"].as_str().unwrap().starts_with("host:"));
    if can_lock {
        assert_eq!(web["status"], "partial", "{web}");
    }
}
