//! `nhiscan report FILE [--format F] [-o OUT]`: re-render a findings file; and
//! `nhiscan report --case ID [--state FILE] [-o OUT]`: the audit report of an offboarding
//! case from the state store, as one self-contained HTML page.
//!
//! - FILE is a findings file in either form nhiscan writes (JSON document or JSON Lines,
//!   told apart by content); `-` reads stdin. Only `schema_version` "1" is accepted.
//! - `--format` defaults, like the scan commands, to the `-o` file's extension, else `json`
//!   (the contract document); `markdown` is the one for humans and tickets, `html` the
//!   one for auditors.
//! - `--case ID` reads the store (`--state FILE`, else the config's `[state] path`, the
//!   same resolution as `offboard`) and writes HTML only: without `--format` it is html
//!   whatever the `-o` name; any other format is a usage error.
//! - Output goes to stdout unless `-o` names a file (the scan commands' default,
//!   `findings.json`, is theirs only: `report` never overwrites a findings file it was
//!   not told to). A file output is written atomically with mode 0600.
//! - Exit codes: 0 rendered; 2 the input could not be read or is not a valid findings
//!   file, the case or store does not exist, or the output could not be written (the
//!   message names the path).

use super::offboard::{open_store, StateArg};
use super::{setup, usage, Global, EXIT_CLEAN};
use crate::report::html::{
    CaseEvent, CaseException, CaseFinding, CaseReport, CaseSignoff, CaseSla,
};
use crate::report::{read_findings, write_atomic, write_output, Format};
use chrono::Utc;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Findings file to re-render (JSON or JSON Lines; `-` for stdin).
    #[arg(required_unless_present = "case", conflicts_with = "case")]
    pub file: Option<PathBuf>,
    /// The audit report of this offboarding case, from the state store (HTML).
    #[arg(long = "case", value_name = "ID")]
    pub case: Option<i64>,
    #[command(flatten)]
    pub state: StateArg,
}

/// Where `report` and `diff` write: the `-o` path when given, else stdout (`-`).
pub(crate) fn output_for_rendering(g: &Global) -> PathBuf {
    g.output.clone().unwrap_or_else(|| PathBuf::from("-"))
}

pub fn run(g: &Global, a: &ReportArgs) -> anyhow::Result<ExitCode> {
    if let Some(id) = a.case {
        return run_case(g, a, id);
    }
    if a.state.state.is_some() {
        return Err(usage("--state is only for `report --case ID`"));
    }
    let path = a
        .file
        .as_ref()
        .ok_or_else(|| usage("report needs a findings FILE or --case ID"))?;
    let file = read_findings(path).map_err(|e| usage(format!("{e:#}")))?;
    let output = output_for_rendering(g);
    // Like the scan commands: `--format`, else the output file's extension, else json.
    let format = g
        .format
        .unwrap_or_else(|| super::setup::format_for_path(&output));
    super::setup::check_format_fits(g, &output)?;
    write_output(&file, format, &output).map_err(|e| usage(format!("{e:#}")))?;
    Ok(ExitCode::from(EXIT_CLEAN))
}

fn run_case(g: &Global, a: &ReportArgs, id: i64) -> anyhow::Result<ExitCode> {
    if let Some(f) = g.format.filter(|f| *f != Format::Html) {
        return Err(usage(format!(
            "report --case writes the HTML audit report only (--format html), not {}; a case's findings files: offboard --out-dir DIR",
            f.as_str()
        )));
    }
    let output = output_for_rendering(g);
    let ext = output
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if !setup::writes_to_stdout(&output)
        && ext.as_deref().is_some_and(|e| e != "html" && e != "htm")
    {
        return Err(usage(format!(
            "report --case writes HTML: name the output {} (not {})",
            output.with_extension("html").display(),
            output.display()
        )));
    }
    crate::report::check_output(&output).map_err(|e| usage(format!("{e:#}")))?;
    let cfg = setup::load_config(g)?;
    let store = open_store(&a.state, cfg.as_ref())?;
    let case = store
        .case(id)?
        .ok_or_else(|| usage(format!("no case {id} in {}", store.path().display())))?;
    let now = Utc::now();
    let (overdue, text) = super::offboard::sla_state(&store, &case, now)?;
    let verdict = if text.starts_with("SLA met") {
        "met"
    } else if text.starts_with("SLA missed") {
        "missed"
    } else if overdue {
        "overdue"
    } else {
        "due"
    };
    let target_hours = match (
        chrono::DateTime::parse_from_rfc3339(&case.opened_at),
        chrono::DateTime::parse_from_rfc3339(&case.due_at),
    ) {
        (Ok(o), Ok(d)) => (d - o).num_hours(),
        _ => 0,
    };
    let scope = format!("leaver:{}", case.email);
    let mut findings = Vec::new();
    for stored in store.case_findings(&case)? {
        let timeline = store
            .history(&stored.id)?
            .into_iter()
            .filter(|e| e.scope == scope)
            .collect();
        let finding = serde_json::from_str(&stored.data).ok();
        findings.push(CaseFinding {
            stored,
            finding,
            timeline,
        });
    }
    let report = CaseReport {
        sla: CaseSla {
            target_hours,
            verdict,
            text: if verdict == "due" {
                format!("open, {text}")
            } else {
                text
            },
        },
        event: store
            .case_event(id)?
            .map(|(id, source, received_at, processed_at)| CaseEvent {
                id,
                source,
                received_at,
                processed_at,
            }),
        runs: store.case_documents(id)?,
        findings,
        apps: store.case_apps(id)?,
        signoffs: store
            .case_signoffs(id)?
            .into_iter()
            .map(|(item, by, note, at)| CaseSignoff { item, by, note, at })
            .collect(),
        exceptions: store
            .case_exceptions(id)?
            .into_iter()
            .map(
                |(finding_id, reason, approved_by, expires, first_applied, last_applied)| {
                    CaseException {
                        finding_id,
                        reason,
                        approved_by,
                        expires,
                        first_applied,
                        last_applied,
                    }
                },
            )
            .collect(),
        store: store.path().display().to_string(),
        generated_at: now,
        case,
    };
    write_atomic(&output, |w| crate::report::html::render_case(&report, w))
        .map_err(|e| usage(format!("writing the case report: {e:#}")))?;
    Ok(ExitCode::from(EXIT_CLEAN))
}
