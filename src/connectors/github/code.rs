//! The org's code (`scan_code = true`): every repository is fetched with the system
//! `git` into a cache directory (a bare repository per repository, fetched again
//! incrementally on the next run) and handed to the git connector's blob stage, history
//! included, so one config covers memberships and committed secrets.
//!
//! The bundled libgit2 has no HTTPS, so the fetch runs `git`. The token never appears in
//! a URL, an argument (process lists) or the repository's config: it reaches git as an
//! `http.<origin>.extraHeader` through `GIT_CONFIG_*` environment variables, scoped to the
//! clone URL's origin so a redirect elsewhere carries nothing. Only the http, https and
//! git transports are allowed (`GIT_ALLOW_PROTOCOL`: no `ext::` commands, no local paths
//! a hostile API answer could name); no credential helper, prompt or system config is
//! consulted. Read-only toward GitHub: fetches only.

use super::api::Repo;
use crate::connectors::http::Secret;
use crate::connectors::ScanContext;
use crate::model::{Coverage, Nhi};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One repository to fetch and scan.
#[derive(Debug, Clone)]
pub struct CodeRepo {
    /// `org/name`, the repository name in findings.
    pub full_name: String,
    pub clone_url: String,
    pub default_branch: Option<String>,
}

/// What `scan_code` needs after the API crawl: the repositories and the token git
/// presents (the configured token or the App's installation token).
pub struct CodeJob {
    pub repos: Vec<CodeRepo>,
    pub token: Option<Secret>,
    pub cache_dir: PathBuf,
    pub concurrency: usize,
    pub timeout: Duration,
}

/// The repositories `scan_code` covers, with what was left out on purpose counted
/// (`skip`) and what cannot be fetched said (`error`).
pub fn select(
    org: &str,
    repos: &[Repo],
    include_archived: bool,
    include_forks: bool,
    cov: &mut Coverage,
) -> Vec<CodeRepo> {
    let mut out = Vec::new();
    for r in repos {
        if r.archived == Some(true) && !include_archived {
            cov.skip("code_archived_repository");
            continue;
        }
        if r.fork == Some(true) && !include_forks {
            cov.skip("code_fork_repository");
            continue;
        }
        let full_name = r
            .full_name
            .clone()
            .unwrap_or_else(|| format!("{org}/{}", r.name));
        let Some(url) = r.clone_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            cov.classed_error(
                "malformed",
                format!("repository {full_name}: the API gave no clone_url, so its code was NOT scanned"),
            );
            continue;
        };
        if !allowed_url(url) {
            cov.classed_error(
                "malformed",
                format!(
                    "repository {full_name}: clone_url {:?} is not an http(s):// or git:// URL, so its code was NOT scanned",
                    crate::model::shown(url)
                ),
            );
            continue;
        }
        out.push(CodeRepo {
            full_name,
            clone_url: url.to_string(),
            default_branch: r.default_branch.clone(),
        });
    }
    out
}

fn allowed_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("git://"))
        && !url.contains('@')
        && !url.chars().any(char::is_whitespace)
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let host_end = rest.find('/').unwrap_or(rest.len());
    Some(&url[..scheme_end + host_end])
}

/// The default cache: `$XDG_CACHE_HOME/nhiscan/github`, else `~/.cache/nhiscan/github`,
/// else the system temporary directory.
pub fn default_cache_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("nhiscan").join("github");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h)
            .join(".cache")
            .join("nhiscan")
            .join("github");
    }
    std::env::temp_dir().join("nhiscan-cache").join("github")
}

/// The cache directory of one repository: `CACHE/HOST/ORG/NAME.git`.
/// One path segment from an API name: safe characters only, never `.`/`..`/empty.
pub fn safe_segment(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string();
    if s.is_empty() {
        "_".to_string()
    } else {
        s
    }
}

fn repo_dir(cache: &Path, api_host: &str, full_name: &str) -> PathBuf {
    let safe = safe_segment;
    let mut p = cache.join(safe(api_host));
    let parts: Vec<&str> = full_name.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            p = p.join(format!("{}.git", safe(part)));
        } else {
            p = p.join(safe(part));
        }
    }
    p
}

/// Fetch and scan every repository of `job`, `concurrency` at a time, emitting the
/// secrets through `emit` and folding each repository's coverage into `cov`.
pub fn scan(
    job: &CodeJob,
    connector: &str,
    api_host: &str,
    ctx: &ScanContext<'_>,
    cov: &mut Coverage,
    emit: &(dyn Fn(Nhi) + Sync),
) {
    if job.repos.is_empty() {
        return;
    }
    if let Err(e) = std::fs::create_dir_all(&job.cache_dir) {
        cov.classed_error(
            "io",
            format!(
                "cannot create the code cache {} (cache_dir): {e}; the code of {} repositories was NOT scanned",
                job.cache_dir.display(),
                job.repos.len()
            ),
        );
        return;
    }
    restrict(&job.cache_dir);
    let running = ctx.progress.start(&format!("{connector} code"));
    let total = job.repos.len() as u64;
    running.phase("fetch+scan", 0, Some(total));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let merged = Mutex::new(std::mem::replace(cov, Coverage::new(connector)));
    let workers = job.concurrency.clamp(1, 32).min(job.repos.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(r) = job.repos.get(i) else { break };
                let dir = repo_dir(&job.cache_dir, api_host, &r.full_name);
                let fetched = fetch(&dir, r, job.token.as_ref(), job.timeout);
                let cached = dir.join("objects").is_dir();
                let mut repo_cov = None;
                match &fetched {
                    Ok(()) => {}
                    Err((class, msg)) => {
                        let mut m = merged.lock().unwrap_or_else(|p| p.into_inner());
                        let tail = if cached && has_refs(&dir) {
                            "the copy cached by an earlier run was scanned instead"
                        } else {
                            "its code was NOT scanned"
                        };
                        m.classed_error(
                            class,
                            format!("repository {}: fetch failed: {msg}; {tail}", r.full_name),
                        );
                    }
                }
                if fetched.is_ok() || (cached && has_refs(&dir)) {
                    let (nhis, c) =
                        crate::connectors::git::scan_local_repo(connector, &r.full_name, &dir, ctx);
                    for n in nhis {
                        emit(n);
                    }
                    repo_cov = Some(c);
                }
                if let Some(c) = repo_cov {
                    let mut m = merged.lock().unwrap_or_else(|p| p.into_inner());
                    absorb(&mut m, c);
                }
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                running.phase("fetch+scan", d as u64, Some(total));
            });
        }
    });
    *cov = merged.into_inner().unwrap_or_else(|p| p.into_inner());
    cov.notes.push(format!(
        "code: {} repositories fetched into {} and scanned with their history",
        job.repos.len(),
        job.cache_dir.display()
    ));
}

/// Fold a repository scan's coverage into the connector's.
fn absorb(into: &mut Coverage, c: Coverage) {
    into.bytes_scanned += c.bytes_scanned;
    for (k, v) in c.skipped {
        *into.skipped.entry(k).or_default() += v;
    }
    for (k, v) in c.error_classes {
        *into.error_classes.entry(k).or_default() += v;
    }
    for e in c.errors {
        into.error(e);
    }
    for n in c.notes {
        if !into.notes.contains(&n) {
            into.notes.push(n);
        }
    }
    if c.status != crate::model::CoverageStatus::Complete
        && into.status == crate::model::CoverageStatus::Complete
    {
        into.status = crate::model::CoverageStatus::Partial;
    }
}

fn has_refs(dir: &Path) -> bool {
    git2::Repository::open_bare(dir)
        .ok()
        .and_then(|r| r.references().ok().map(|mut refs| refs.next().is_some()))
        .unwrap_or(false)
}

#[cfg(unix)]
fn restrict(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}
#[cfg(not(unix))]
fn restrict(_: &Path) {}

/// `git` with nothing from the environment that could prompt, call a credential helper,
/// run a command or read the system config; the token, if any, as an extra header
/// scoped to `url`'s origin.
fn git(url: &str, token: Option<&Secret>) -> Command {
    let mut c = Command::new("git");
    c.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_ALLOW_PROTOCOL", "http:https:git")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .args([
            "-c",
            "credential.helper=",
            "-c",
            "core.askPass=",
            "-c",
            "http.followRedirects=false",
        ])
        .stdin(Stdio::null());
    let header = token.and_then(|t| {
        let o = origin(url)?;
        let l = o.to_ascii_lowercase();
        (l.starts_with("https://") || l.starts_with("http://")).then(|| {
            use base64::Engine;
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("x-access-token:{}", t.expose()));
            (
                format!("http.{o}/.extraHeader"),
                format!("Authorization: Basic {basic}"),
            )
        })
    });
    match header {
        Some((k, v)) => {
            c.env("GIT_CONFIG_COUNT", "1")
                .env("GIT_CONFIG_KEY_0", k)
                .env("GIT_CONFIG_VALUE_0", v);
        }
        None => {
            c.env("GIT_CONFIG_COUNT", "0");
        }
    }
    c
}

/// Fetch `r` into the bare repository `dir` (created on first use): every branch and
/// tag, pruned, HEAD on the default branch. An error is (class, message), the message
/// scrubbed of the token.
fn fetch(
    dir: &Path,
    r: &CodeRepo,
    token: Option<&Secret>,
    timeout: Duration,
) -> Result<(), (&'static str, String)> {
    if !dir.join("objects").is_dir() {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| ("io", format!("cannot create {}: {e}", parent.display())))?;
        }
        git2::Repository::init_bare(dir).map_err(|e| {
            (
                "io",
                format!("cannot create {}: {}", dir.display(), e.message()),
            )
        })?;
    }
    let mut cmd = git(&r.clone_url, token);
    cmd.arg("-C")
        .arg(dir)
        .args([
            "fetch",
            "--quiet",
            "--prune",
            "--no-tags",
            "--no-write-fetch-head",
            "--",
            &r.clone_url,
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let out = run(cmd, timeout).map_err(|e| match e {
        RunError::Spawn(e) => (
            "unavailable",
            format!("cannot run git (needed to fetch repositories): {e}"),
        ),
        RunError::Timeout => (
            "timeout",
            format!("git fetch did not finish within {}s", timeout.as_secs()),
        ),
    })?;
    if !out.0.success() {
        let msg = scrub(&out.1, token);
        let class = if msg.contains("403")
            || msg.contains("401")
            || msg.contains("Authentication failed")
            || msg.contains("could not read Username")
        {
            "auth"
        } else if msg.contains("not found") || msg.contains("404") {
            "not_found"
        } else {
            "unavailable"
        };
        return Err((class, format!("git fetch exited with {}: {}", out.0, msg)));
    }
    if let Some(b) = r.default_branch.as_deref().filter(|b| !b.is_empty()) {
        if let Ok(repo) = git2::Repository::open_bare(dir) {
            let head = format!("refs/heads/{b}");
            if repo.find_reference(&head).is_ok() {
                let _ = repo.set_head(&head);
            }
        }
    }
    Ok(())
}

enum RunError {
    Spawn(std::io::Error),
    Timeout,
}

/// Run `cmd`, killing it after `timeout`; (exit status, stderr tail).
fn run(
    mut cmd: Command,
    timeout: Duration,
) -> Result<(std::process::ExitStatus, String), RunError> {
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.take(64 * 1024).read_to_end(&mut buf);
            // Drain the rest so git never blocks on a full pipe.
            let _ = std::io::copy(s, &mut std::io::sink());
        }
        buf
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = reader.join();
                return Err(RunError::Timeout);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(RunError::Spawn(e)),
        }
    };
    let err = reader.join().unwrap_or_default();
    let text = String::from_utf8_lossy(&err);
    let tail: String = text
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("")
        .chars()
        .take(300)
        .collect();
    Ok((status, tail))
}

/// A git message with the token (raw or in its Basic form) and anything token-shaped
/// removed.
fn scrub(msg: &str, token: Option<&Secret>) -> String {
    let s = crate::model::scrub::Scrubber::default();
    if let Some(t) = token {
        use base64::Engine;
        s.add(t.expose());
        s.add(
            &base64::engine::general_purpose::STANDARD
                .encode(format!("x-access-token:{}", t.expose())),
        );
    }
    s.scrub(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_cache_paths() {
        assert!(allowed_url("https://github.com/acme/api.git"));
        assert!(allowed_url("git://127.0.0.1:9418/acme/api.git"));
        assert!(!allowed_url("ext::sh -c touch% /tmp/pwned"));
        assert!(!allowed_url("file:///etc"));
        assert!(!allowed_url("/srv/git/api.git"));
        assert!(!allowed_url("https://user:pw@github.com/acme/api.git"));
        assert_eq!(
            origin("https://ghe.acme.example:8443/acme/api.git"),
            Some("https://ghe.acme.example:8443")
        );
        let d = repo_dir(Path::new("/c"), "api.github.com", "acme/../api");
        assert_eq!(d, PathBuf::from("/c/api.github.com/acme/_/api.git"));
        let d = repo_dir(Path::new("/c"), "api.github.com", "acme/.hidden");
        assert_eq!(d, PathBuf::from("/c/api.github.com/acme/hidden.git"));
        let d = repo_dir(Path::new("/c"), "127.0.0.1:8080", "acme/my.repo");
        assert_eq!(d, PathBuf::from("/c/127.0.0.1_8080/acme/my.repo.git"));
    }

    #[test]
    fn the_token_reaches_git_only_as_a_scoped_header() {
        let t = Secret::new("ghp_notarealtoken000000000000000000000000");
        let c = git("https://ghe.acme.example/acme/api.git", Some(&t));
        let args: Vec<String> = c
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(args.iter().all(|a| !a.contains(t.expose())), "{args:?}");
        let envs: Vec<(String, String)> = c
            .get_envs()
            .filter_map(|(k, v)| {
                Some((
                    k.to_string_lossy().into_owned(),
                    v?.to_string_lossy().into_owned(),
                ))
            })
            .collect();
        let key = envs.iter().find(|(k, _)| k == "GIT_CONFIG_KEY_0").unwrap();
        assert_eq!(key.1, "http.https://ghe.acme.example/.extraHeader");
        let val = envs
            .iter()
            .find(|(k, _)| k == "GIT_CONFIG_VALUE_0")
            .unwrap();
        assert!(val.1.starts_with("Authorization: Basic "));
        assert!(!val.1.contains(t.expose()));
        // git:// carries no header at all.
        let c = git("git://127.0.0.1/acme/api.git", Some(&t));
        assert!(c
            .get_envs()
            .any(|(k, v)| k == "GIT_CONFIG_COUNT" && v == Some("0".as_ref())));
        assert_eq!(
            scrub(&format!("fatal: bad {}", t.expose()), Some(&t)),
            "fatal: bad [REDACTED]"
        );
    }
}
