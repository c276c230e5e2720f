//! Command-line parsing and dispatch: one file per subcommand, each
//! `run(&Global, &Args) -> anyhow::Result<ExitCode>`. Maps errors to the contract's exit
//! codes: 2 for usage, config and input errors (nothing scanned), 3 for an incomplete scan.

pub mod diff;
pub mod leaver;
pub mod offboard;
pub mod report;
pub mod rules;
pub mod secrets;
pub mod serve;
pub mod setup;
pub mod sweep;

use crate::report::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_INCOMPLETE: u8 = 3;

/// An error that means "nothing was scanned, fix the input" (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// Print to stdout like `print!`, but a closed stdout (`nhiscan ... | head`) is not a
/// panic: the rest of the text is dropped and the run ends with its real exit code.
pub fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

#[derive(Debug, Parser)]
#[command(
    name = "nhiscan",
    version,
    about = "Find the non-human identities and credentials a leaver left behind"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Config file (default: ./nhiscan.toml if present).
    #[arg(short = 'c', long, global = true)]
    pub config: Option<PathBuf>,
    /// Where to write (`-` for stdout): the scan commands default to findings.json,
    /// `report` and `diff` to stdout. Each command's --help says its own default.
    #[arg(short = 'o', long, global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// HR roster CSV (overrides the config's [hr] roster).
    #[arg(long, global = true)]
    pub hr: Option<PathBuf>,
    /// Extra rules directory (added to the built-in rules).
    #[arg(long, global = true)]
    pub rules: Option<PathBuf>,
    /// Print only errors.
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// More logging (-v info, -vv debug).
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No progress display (it is also off when stderr is not a terminal).
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Allowlist file of finding ids and path globs (default: .nhiscanignore in the
    /// config's directory or the scanned path).
    #[arg(long, global = true)]
    pub ignore: Option<PathBuf>,
    /// Largest file or blob scanned, in bytes (default 64 MiB); a text file over it makes
    /// the scan partial (exit 3), a binary one is only counted as skipped.
    #[arg(long, global = true)]
    pub max_file_size: Option<u64>,
    /// Stop the connectors still running after this long (`30m`, `2h`, `1h30m`, or
    /// seconds; overrides [scan] deadline): what they gathered is kept, and each is
    /// recorded as partial or failed with error class `timeout` (exit 3).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_deadline)]
    pub deadline: Option<std::time::Duration>,
}

fn parse_deadline(s: &str) -> Result<std::time::Duration, String> {
    crate::connectors::runtime::parse_duration(s)
}

/// The scan commands' findings file when `-o` is not given.
pub const DEFAULT_FINDINGS: &str = "findings.json";

impl Global {
    /// The scan commands' findings file: `-o`, else [`DEFAULT_FINDINGS`].
    pub fn findings_path(&self) -> PathBuf {
        self.output
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_FINDINGS))
    }
}

/// `-o` is one global flag, but what it does differs by command: each command's --help
/// says its own default (a `report --help` promising `findings.json` would be wrong), and
/// `rules`, which writes no file, does not list it.
fn per_command_help(mut cmd: clap::Command) -> clap::Command {
    // A subcommand that already has the global flag keeps its own copy when the globals
    // are propagated, and values still flow through it as for any global flag.
    let Some(output) = cmd
        .get_arguments()
        .find(|a| a.get_id() == "output")
        .cloned()
    else {
        return cmd;
    };
    let scan = "Findings file to write (`-` for stdout) [default: findings.json]";
    let render = "Write to FILE instead of stdout (`-` is stdout) [default: stdout]";
    for (sub, help) in [
        ("leaver", scan),
        ("sweep", scan),
        ("secrets", scan),
        ("report", render),
        ("diff", render),
    ] {
        let arg = output.clone().help(help);
        cmd = cmd.mut_subcommand(sub, |s| s.arg(arg));
    }
    let hidden = output.hide(true);
    // Commands that write no findings file (`offboard` writes the store, and each case's
    // file only with --out-dir).
    for sub in ["rules", "offboard", "status", "signoff", "history", "serve"] {
        let arg = hidden.clone();
        cmd = cmd.mut_subcommand(sub, |r| r.arg(arg));
    }
    cmd
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Everything tied to one person who left (or is leaving).
    Leaver(leaver::LeaverArgs),
    /// Inventory every NHI and report those whose owner is not active.
    Sweep(sweep::SweepArgs),
    /// Plain secret scan of files, directories and git history.
    Secrets(secrets::SecretsArgs),
    /// Load and lint the detection rules.
    Rules(rules::RulesArgs),
    /// Re-render a findings file in another format.
    Report(report::ReportArgs),
    /// New, resolved and unchanged findings between two runs.
    Diff(diff::DiffArgs),
    /// Open a case and run the leaver scan for everyone the roster says has left.
    Offboard(offboard::OffboardArgs),
    /// Open offboarding cases, overdue first, with who must act.
    Status(offboard::StatusArgs),
    /// Record that an app's access was removed (or a finding fixed by hand) on a case.
    Signoff(offboard::SignoffArgs),
    /// One finding's timeline across runs.
    History(offboard::HistoryArgs),
    /// Receive HR events (SCIM, CloudEvents, HR webhooks) and open cases from them.
    Serve(serve::ServeArgs),
}

pub fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let parsed = per_command_help(Cli::command())
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_CLEAN
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(&cli.global);
    let result = match &cli.command {
        Command::Leaver(a) => leaver::run(&cli.global, a),
        Command::Sweep(a) => sweep::run(&cli.global, a),
        Command::Secrets(a) => secrets::run(&cli.global, a),
        Command::Rules(a) => rules::run(&cli.global, a),
        Command::Report(a) => report::run(&cli.global, a),
        Command::Diff(a) => diff::run(&cli.global, a),
        Command::Offboard(a) => offboard::run_offboard(&cli.global, a),
        Command::Status(a) => offboard::run_status(&cli.global, a),
        Command::Signoff(a) => offboard::run_signoff(&cli.global, a),
        Command::History(a) => offboard::run_history(&cli.global, a),
        Command::Serve(a) => serve::run(&cli.global, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "nhiscan: error: {}",
                crate::model::scrub::redact_urls_in(&format!("{e:#}"))
            );
            if e.downcast_ref::<UsageError>().is_some()
                || e.downcast_ref::<crate::rules::RuleError>().is_some()
            {
                ExitCode::from(EXIT_USAGE)
            } else {
                // Anything else that stops a run before it finishes: nothing trustworthy
                // was produced, and it must not look clean.
                ExitCode::from(EXIT_INCOMPLETE)
            }
        }
    }
}

fn init_logging(g: &Global) {
    let level = if g.quiet {
        "error"
    } else {
        match g.verbose {
            0 => "warn",
            1 => "info",
            _ => "debug",
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("NHISCAN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("nhiscan={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Through the progress display, which lifts its line first: a WARN printed while
        // the line is drawn would otherwise be glued onto its end.
        .with_writer(|| LogWriter)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .with_target(false)
        .try_init();
}

/// Log lines to stderr by way of [`crate::pipeline::progress::write_stderr`]. tracing
/// writes each event with one `write_all`, so a line is never split around a redraw, and
/// a URL's userinfo (`https://admin:PW@host/`) is hidden in every line whichever part of
/// the program logged it.
struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let line = String::from_utf8_lossy(buf);
        crate::pipeline::progress::write_stderr(
            crate::model::scrub::redact_urls_in(&line).as_bytes(),
        )?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
