//! `nhiscan report FILE [--format F] [-o OUT]`: re-render a findings file.
//!
//! - FILE is a findings file in either form nhiscan writes (JSON document or JSON Lines,
//!   told apart by content); `-` reads stdin. Only `schema_version` "1" is accepted.
//! - `--format` defaults, like the scan commands, to the `-o` file's extension, else `json`
//!   (the contract document); `markdown` is the one for humans and tickets.
//! - Output goes to stdout unless `-o` names a file. The global `-o` defaults to
//!   `findings.json`, which suits a scan but would make `report` silently overwrite the
//!   default findings file; so for `report` and `diff` that default value counts as "not
//!   given". To really write to a file called `findings.json`, pass `-o ./findings.json`.
//!   A file output is written atomically with mode 0600.
//! - Exit codes: 0 rendered; 2 the input could not be read or is not a valid findings
//!   file, or the output could not be written (the message names the path).

use super::{usage, Global, EXIT_CLEAN};
use crate::report::{read_findings, write_output};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Findings file to re-render (JSON or JSON Lines; `-` for stdin).
    pub file: PathBuf,
}

/// The value clap fills in for `-o` when it is not given (see the module doc).
const DEFAULT_OUTPUT: &str = "findings.json";

/// Where `report` and `diff` write: the `-o` path when given explicitly, else stdout (`-`).
pub(crate) fn output_for_rendering(g: &Global) -> PathBuf {
    if g.output == Path::new(DEFAULT_OUTPUT) {
        PathBuf::from("-")
    } else {
        g.output.clone()
    }
}

pub fn run(g: &Global, a: &ReportArgs) -> anyhow::Result<ExitCode> {
    let file = read_findings(&a.file).map_err(|e| usage(format!("{e:#}")))?;
    let output = output_for_rendering(g);
    // Like the scan commands: `--format`, else the output file's extension, else json.
    let format = g
        .format
        .unwrap_or_else(|| super::setup::format_for_path(&output));
    write_output(&file, format, &output).map_err(|e| usage(format!("{e:#}")))?;
    Ok(ExitCode::from(EXIT_CLEAN))
}
