//! `nhiscan secrets PATH...`: the plain secret scan CI pipelines run, over files,
//! directories and git history, with commit-author attribution.

use super::{setup, usage, Global};
use crate::connectors::git::GitConnector;
use crate::connectors::Connector;
use crate::pipeline::Mode;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct SecretsArgs {
    /// Files, directories or git repositories to scan.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Scan only the files on disk, not git history.
    #[arg(long)]
    pub no_history: bool,
}

pub fn run(g: &Global, a: &SecretsArgs) -> anyhow::Result<ExitCode> {
    let cfg = setup::load_config(g)?;
    let cfg = cfg.as_ref();
    let missing: Vec<String> = a
        .paths
        .iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if missing.len() == a.paths.len() {
        return Err(usage(format!(
            "nothing to scan: {} does not exist",
            missing.join(", ")
        )));
    }
    let directory = setup::load_directory(g, cfg)?;
    let connectors: Vec<Box<dyn Connector>> = vec![Box::new(GitConnector::from_paths(
        a.paths.clone(),
        !a.no_history,
    ))];
    let mut spec = setup::base_spec(g, cfg, Mode::Secrets, connectors, &a.paths)?;
    if let Some((dir, warnings)) = directory {
        spec.directory = Some(dir);
        spec.warnings = warnings;
    }
    setup::finish(g, spec)
}
