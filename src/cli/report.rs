//! `nhiscan report FILE [--format F] [-o OUT]`: re-render a findings file.
//!
//! - FILE is a findings file in either form nhiscan writes (JSON document or JSON Lines,
//!   told apart by content); `-` reads stdin. Only `schema_version` "1" is accepted.
//! - `--format` defaults, like the scan commands, to the `-o` file's extension, else `json`
//!   (the contract document); `markdown` is the one for humans and tickets.
//! - Output goes to stdout unless `-o` names a file (the scan commands' default,
//!   `findings.json`, is theirs only: `report` never overwrites a findings file it was
//!   not told to). A file output is written atomically with mode 0600.
//! - Exit codes: 0 rendered; 2 the input could not be read or is not a valid findings
//!   file, or the output could not be written (the message names the path).

use super::{usage, Global, EXIT_CLEAN};
use crate::report::{read_findings, write_output};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Findings file to re-render (JSON or JSON Lines; `-` for stdin).
    pub file: PathBuf,
}

/// Where `report` and `diff` write: the `-o` path when given, else stdout (`-`).
pub(crate) fn output_for_rendering(g: &Global) -> PathBuf {
    g.output.clone().unwrap_or_else(|| PathBuf::from("-"))
}

pub fn run(g: &Global, a: &ReportArgs) -> anyhow::Result<ExitCode> {
    let file = read_findings(&a.file).map_err(|e| usage(format!("{e:#}")))?;
    let output = output_for_rendering(g);
    // Like the scan commands: `--format`, else the output file's extension, else json.
    let format = g
        .format
        .unwrap_or_else(|| super::setup::format_for_path(&output));
    super::setup::check_format_fits(g, &output)?;
    write_output(&file, format, &output).map_err(|e| usage(format!("{e:#}")))?;
    Ok(ExitCode::from(EXIT_CLEAN))
}
