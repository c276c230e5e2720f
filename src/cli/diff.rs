//! `nhiscan diff OLD NEW`: new, resolved and unchanged findings between two runs, by
//! finding id (see [`crate::report::diff`] for the exact rules).
//!
//! - Output: a plain-text summary (counts, then the new, resolved, not-rescanned and
//!   changed findings one per line); with `--format json` the object
//!   `{"new":[findings],"resolved":[findings],"unchanged":[ids],"changed":[..],
//!   "unverified":[findings],"new_scan_complete":bool,"summary":{counts}}`. Other formats
//!   are a usage error.
//! - Findings that vanished from a source the new scan did not cover completely are
//!   listed as "not rescanned" (`unverified`), never as resolved.
//! - Output goes to stdout unless `-o` is given explicitly (the same rule as `report`).
//! - Exit codes, like `diff(1)` plus the contract's: 1 there are new findings; 3 no new
//!   findings but the new scan was incomplete (it must not look clean); 0 otherwise;
//!   2 either file could not be read or is not a valid findings file.

use super::{usage, Global, EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE};
use crate::report::{diff, read_findings, write_atomic, Format};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier findings file (JSON or JSON Lines); with --last, the later one.
    pub old: PathBuf,
    /// The later findings file (JSON or JSON Lines).
    pub new: Option<PathBuf>,
    /// Compare the one file given with the last run of the same job (the same leaver,
    /// or sweep) recorded in the state store.
    #[arg(long)]
    pub last: bool,
    #[command(flatten)]
    pub state: super::offboard::StateArg,
}

pub fn run(g: &Global, a: &DiffArgs) -> anyhow::Result<ExitCode> {
    let as_json = match g.format {
        None => false,
        Some(Format::Json) => true,
        Some(other) => {
            return Err(usage(format!(
                "diff prints text (the default) or --format json, not --format {}",
                other.as_str()
            )))
        }
    };
    let (old, new, new_path) = match (&a.new, a.last) {
        (Some(new_path), false) => {
            if a.old == *new_path && a.old.as_os_str() == "-" {
                return Err(usage("diff can read only one of OLD and NEW from stdin"));
            }
            let old = read_findings(&a.old).map_err(|e| usage(format!("{e:#}")))?;
            let new = read_findings(new_path).map_err(|e| usage(format!("{e:#}")))?;
            (old, new, new_path.clone())
        }
        (None, true) => {
            let new = read_findings(&a.old).map_err(|e| usage(format!("{e:#}")))?;
            let cfg = super::setup::load_config(g)?;
            let store = super::offboard::open_store(&a.state, cfg.as_ref())?;
            let scope = crate::state::scope_of(&new);
            let old = store
                .last_document(&scope, Some(&new.scan.id))?
                .ok_or_else(|| {
                    usage(format!(
                        "{} holds no earlier run of {scope} to compare with",
                        store.path().display()
                    ))
                })?;
            (old, new, a.old.clone())
        }
        (Some(_), true) => return Err(usage("diff --last takes one file, NEW")),
        (None, false) => return Err(usage("diff needs OLD and NEW (or --last NEW)")),
    };
    let d = diff(&old, &new);
    let text = if as_json {
        let mut s = serde_json::to_string_pretty(&d.to_json())?;
        s.push('\n');
        s
    } else {
        d.to_text()
    };
    let output = super::report::output_for_rendering(g);
    write_atomic(&output, |w| w.write_all(text.as_bytes())).map_err(|e| usage(format!("{e:#}")))?;
    if !d.new_scan_complete && as_json {
        eprintln!(
            "nhiscan: warning: {} is from an incomplete scan; see its coverage",
            new_path.display()
        );
    }
    let code = if !d.new.is_empty() {
        EXIT_FINDINGS
    } else if !d.new_scan_complete {
        EXIT_INCOMPLETE
    } else {
        EXIT_CLEAN
    };
    Ok(ExitCode::from(code))
}
