//! The `git` connector: local files and git repositories, history included. Walks the
//! configured paths, scans working-tree files and every blob reachable from any ref once,
//! and attributes each secret to the commit that introduced it.
//!
//! Layout: [`walk`] finds repositories and scans files, leaving to the history scan the
//! ones git's index proves identical to HEAD ([`clean`]); [`history`] scans each
//! repository's blobs; [`aggregate`] folds every sighting of one secret in one
//! repository into one NHI; [`codeowners`] and the commit authors supply owner hints.
//! Like every connector it knows nothing about people and never writes to what it reads.

mod aggregate;
mod archive;
mod clean;
mod codeowners;
pub(crate) mod content;
mod history;
mod integrity;
mod tally;
mod walk;

#[cfg(test)]
mod tests;

use super::{Connector, Mode, ScanContext, Sink};
use crate::model::{Coverage, Nhi};
use aggregate::{RepoAgg, RepoView};
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use walk::{Owner, WalkResult};

/// `[[connector]] type = "git"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitConfig {
    /// Directories, files or repositories to scan. Relative to the config file.
    pub paths: Vec<PathBuf>,
    /// Scan git history (every blob reachable from any ref). Default true.
    #[serde(default)]
    pub history: Option<bool>,
    /// Optional connector name suffix (`git:NAME`).
    #[serde(default)]
    pub name: Option<String>,
}

pub struct GitConnector {
    paths: Vec<PathBuf>,
    history: bool,
    name: String,
}

impl GitConnector {
    pub fn new(cfg: &GitConfig, base: &Path) -> anyhow::Result<Self> {
        Ok(GitConnector {
            paths: cfg
                .paths
                .iter()
                .map(|p| super::resolve_path(base, p))
                .collect(),
            history: cfg.history.unwrap_or(true),
            name: cfg
                .name
                .as_ref()
                .map_or("git".to_string(), |n| format!("git:{n}")),
        })
    }
    pub fn from_paths(paths: Vec<PathBuf>, history: bool) -> Self {
        GitConnector {
            paths,
            history,
            name: "git".into(),
        }
    }
}

impl Connector for GitConnector {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn scan(&self, ctx: &ScanContext<'_>, sink: &dyn Sink) -> Vec<Coverage> {
        let tally = tally::Tally::new(ctx.progress);
        let running = ctx.progress.start(&self.name);
        running.phase("files", 0, None);
        history::init_libgit2();
        let walked = walk::walk(&self.paths, self.history, ctx, &tally);
        let (repos_done, repos) = (AtomicU64::new(0), walked.repos.len() as u64);
        running.phase("repos", 0, Some(repos));
        let names = repo_names(&walked);

        // Working-tree hits, grouped by the repository (or root) they belong to.
        let mut repo_aggs: Vec<RepoAgg> = walked.repos.iter().map(|_| RepoAgg::default()).collect();
        let mut loose_aggs: Vec<RepoAgg> =
            walked.roots.iter().map(|_| RepoAgg::default()).collect();
        for f in walked.files {
            let agg = match f.owner {
                Owner::Repo(i) => repo_aggs.get_mut(i),
                Owner::Loose(i) => loose_aggs.get_mut(i),
            };
            let Some(agg) = agg else { continue };
            let path: Arc<str> = f.rel.into();
            for hit in f.hits {
                let at = hit.path_in(&path);
                agg.add_present(hit, at, true);
            }
        }

        let emit = |nhis: Vec<Nhi>| {
            for n in nhis {
                sink.emit(n);
            }
        };
        let no_commits = HashMap::new();
        for (root, agg) in walked.roots.iter().zip(loose_aggs) {
            if agg.is_empty() {
                continue;
            }
            let view = RepoView {
                connector: &self.name,
                repo: &root.name,
                commits: &no_commits,
                codeowners: None,
                contributors: None,
                history_scanned: false,
            };
            emit(agg.into_nhis(&view));
        }

        // Working-tree files left to the history scan, by repository.
        let mut deferred: Vec<Vec<walk::Deferred>> =
            walked.repos.iter().map(|_| Vec::new()).collect();
        for d in walked.deferred {
            if let Some(list) = deferred.get_mut(d.repo) {
                list.push(d);
            }
        }

        // Repositories in parallel; each also scans its own blobs in parallel.
        let contributors = ctx.mode != Mode::Secrets;
        walked
            .repos
            .par_iter()
            .zip(repo_aggs)
            .zip(names)
            .zip(deferred)
            .for_each(|(((repo, mut agg), name), deferred)| {
                // The run's deadline passed: the pipeline records what was not read.
                if ctx.limits.cancel.is_cancelled() {
                    return;
                }
                let input = history::RepoInput {
                    name: &name,
                    path: &repo.path,
                    history: self.history,
                    contributors,
                    scope: repo.scope.as_deref(),
                    named: &repo.named,
                };
                let meta = history::scan_repo(&input, ctx, &tally, &mut agg);
                // A file on disk is read from disk when history could not read its blob
                // (a corrupt object, a missing tree, an unreadable HEAD): a hole in
                // history never hides what is checked out.
                for d in deferred {
                    if meta.head_read.contains(d.rel.as_str()) {
                        continue;
                    }
                    let path: Arc<str> = d.rel.as_str().into();
                    for hit in walk::scan_deferred(&d, ctx, &tally) {
                        let at = hit.path_in(&path);
                        agg.add_unread_head(hit, at);
                    }
                }
                agg.mark_head_unread(&meta.head_unread);
                let view = RepoView {
                    connector: &self.name,
                    repo: &name,
                    commits: &meta.commits,
                    codeowners: meta.codeowners.as_ref(),
                    contributors: meta.contributors.clone(),
                    history_scanned: meta.history_scanned,
                };
                emit(agg.into_nhis(&view));
                let done = repos_done.fetch_add(1, Ordering::Relaxed) + 1;
                running.phase("repos", done, Some(repos));
            });

        vec![tally.into_coverage(&self.name)]
    }
}

/// Scan one local repository (a bare clone another connector fetched: a GitHub org's
/// repository) as `name` under `connector`, history included, through the same blob
/// stage and aggregation as the git connector: its secret NHIs and its coverage counts
/// (bytes, skips, errors) under `connector`.
pub(crate) fn scan_local_repo(
    connector: &str,
    name: &str,
    path: &Path,
    ctx: &ScanContext<'_>,
) -> (Vec<Nhi>, Coverage) {
    let tally = tally::Tally::new(ctx.progress);
    let mut agg = RepoAgg::default();
    let input = history::RepoInput {
        name,
        path,
        history: true,
        contributors: ctx.mode != Mode::Secrets,
        scope: None,
        named: &[],
    };
    let meta = history::scan_repo(&input, ctx, &tally, &mut agg);
    agg.mark_head_unread(&meta.head_unread);
    let view = RepoView {
        connector,
        repo: name,
        commits: &meta.commits,
        codeowners: meta.codeowners.as_ref(),
        contributors: meta.contributors.clone(),
        history_scanned: meta.history_scanned,
    };
    let nhis = agg.into_nhis(&view);
    (nhis, tally.into_coverage(connector))
}

/// A repository is named after its directory, a bare one without its `.git` suffix (a
/// mirror `api.git` and a checkout `api` are the same repository, with the same finding
/// ids). Two repositories with the same name are told apart by their path under the
/// scanned root (`clients/api`, `api`).
fn repo_names(w: &WalkResult) -> Vec<String> {
    let base: Vec<String> = w.repos.iter().map(|r| repo_name(&r.path)).collect();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for b in &base {
        *count.entry(b.as_str()).or_default() += 1;
    }
    let mut used: HashSet<String> = HashSet::new();
    w.repos
        .iter()
        .zip(&base)
        .map(|(r, b)| {
            let mut name = if count.get(b.as_str()).copied().unwrap_or(0) > 1 {
                let root = w.roots.get(r.root);
                let rel = root
                    .and_then(|root| r.path.strip_prefix(&root.path).ok())
                    .map(|p| {
                        let p = p.to_string_lossy();
                        bare_stem(&r.path, &p).to_string()
                    });
                match (root, rel) {
                    (Some(root), Some(rel)) if !rel.is_empty() => format!("{}/{rel}", root.name),
                    _ => b.clone(),
                }
            } else {
                b.clone()
            };
            let mut n = 2;
            while used.contains(&name) {
                name = format!("{b}~{n}");
                n += 1;
            }
            used.insert(name.clone());
            name
        })
        .collect()
}

/// The name of the repository at `path`: the last segment of its `origin` remote's URL
/// when it has one (`git@github.com:acme/payments.git` -> `payments`), so that a clone
/// into another directory (CI workspaces, `git clone URL tmp-123`) keeps its finding ids;
/// else its directory name.
fn repo_name(path: &Path) -> String {
    if let Some(n) = origin_name(path) {
        return n;
    }
    let base = walk::basename(path);
    bare_stem(path, &base).to_string()
}

fn origin_name(path: &Path) -> Option<String> {
    let repo = git2::Repository::open_ext(
        path,
        git2::RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&std::ffi::OsStr>(),
    )
    .ok()?;
    let remote = repo.find_remote("origin").ok()?;
    remote_url_name(remote.url()?)
}

/// The repository name a remote URL ends in (scp-like, URL or local path forms).
fn remote_url_name(url: &str) -> Option<String> {
    let last = url.trim_end_matches('/').rsplit(['/', ':', '\\']).next()?;
    let stem = last.strip_suffix(".git").unwrap_or(last);
    (!stem.is_empty() && stem != "." && stem != "..").then(|| stem.to_string())
}

/// `name` without the `.git` suffix git gives bare repositories, when `path` is one.
fn bare_stem<'a>(path: &Path, name: &'a str) -> &'a str {
    match name.strip_suffix(".git") {
        Some(stem)
            if !stem.is_empty()
                && !stem.ends_with('/')
                && path.join(".git").symlink_metadata().is_err() =>
        {
            stem
        }
        _ => name,
    }
}
