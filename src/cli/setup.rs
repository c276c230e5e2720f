//! What the scanning subcommands share: finding and loading the config, the rules, the HR
//! directory and the allowlist, running the pipeline, writing the findings file, printing
//! the summary, and the exit code. Input problems become exit-2 usage errors here, before
//! any scanning starts.

use super::{usage, Global, EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE};
use crate::config::Config;
use crate::connectors::{self, Connector};
use crate::hr::Directory;
use crate::matcher::Matcher;
use crate::pipeline::{self, Exceptions, IgnoreList, RunSpec};
use crate::pipeline::{Limits, Mode};
use crate::report::{self, FindingsFile, Format};
use crate::rules::RuleSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The config named by `-c`, else `./nhiscan.toml` if present, else none.
pub fn load_config(g: &Global) -> anyhow::Result<Option<Config>> {
    let path = match &g.config {
        Some(p) => {
            if p.is_dir() {
                return Err(usage(format!(
                    "config {} is a directory: pass the file, e.g. -c {}",
                    p.display(),
                    p.join("nhiscan.toml").display()
                )));
            }
            if !p.is_file() {
                return Err(usage(format!("config file {} does not exist", p.display())));
            }
            p.clone()
        }
        None => {
            let p = PathBuf::from("nhiscan.toml");
            if !p.is_file() {
                return Ok(None);
            }
            p
        }
    };
    Config::load(&path)
        .map(Some)
        .map_err(|e| usage(format!("{e:#}")))
}

pub fn load_matcher(g: &Global, cfg: Option<&Config>) -> anyhow::Result<Matcher> {
    let dir = g
        .rules
        .clone()
        .or_else(|| cfg.and_then(|c| c.scan.rules.as_ref().map(|r| c.resolve(r))));
    let rules = match &dir {
        Some(d) => {
            if !d.is_dir() {
                return Err(usage(format!(
                    "rules directory {} does not exist",
                    d.display()
                )));
            }
            RuleSet::with_dir(d)?
        }
        None => RuleSet::builtin()?,
    };
    Ok(Matcher::new(rules)?)
}

/// Load the roster (`--hr` wins over `[hr] roster`) and extra sources. Bad rows become
/// warnings, kept for the findings file and the terminal summary.
pub fn load_directory(
    g: &Global,
    cfg: Option<&Config>,
) -> anyhow::Result<Option<(Directory, Vec<String>)>> {
    let roster = match (
        &g.hr,
        cfg.and_then(|c| c.hr.roster.as_ref().map(|r| c.resolve(r))),
    ) {
        (Some(p), _) => p.clone(),
        (None, Some(p)) => p,
        (None, None) => return Ok(None),
    };
    let extra: Vec<PathBuf> = cfg
        .map(|c| c.hr.extra.iter().map(|p| c.resolve(p)).collect())
        .unwrap_or_default();
    for p in std::iter::once(&roster).chain(extra.iter()) {
        if p.is_dir() {
            return Err(usage(format!(
                "HR roster {} is a directory, not a CSV file",
                p.display()
            )));
        }
        if !p.is_file() {
            return Err(usage(format!("HR roster {} does not exist", p.display())));
        }
    }
    let mapping = cfg.map(|c| c.hr.columns.clone()).unwrap_or_default();
    let (dir, issues) =
        Directory::load(&roster, &extra, &mapping).map_err(|e| usage(format!("{e:#}")))?;
    // Each issue says itself whether its row was skipped or loaded without a bad field.
    let warnings: Vec<String> = issues.iter().map(|i| format!("HR roster: {i}")).collect();
    // The terminal summary repeats them at the end. With --quiet they are only in the
    // findings file's `scan.warnings`: quiet means errors only.
    Ok(Some((dir, warnings)))
}

/// The allowlist: `--ignore`, else `[scan] ignore_file`, else `.nhiscanignore` beside the
/// config or in the current directory.
pub fn load_ignore(
    g: &Global,
    cfg: Option<&Config>,
    scan_roots: &[PathBuf],
) -> anyhow::Result<IgnoreList> {
    let explicit = g
        .ignore
        .clone()
        .or_else(|| cfg.and_then(|c| c.scan.ignore_file.as_ref().map(|p| c.resolve(p))));
    if let Some(p) = explicit {
        if !p.is_file() {
            return Err(usage(format!(
                "allowlist file {} does not exist",
                p.display()
            )));
        }
        return IgnoreList::load(&p).map_err(|e| usage(format!("{e:#}")));
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(c) = cfg {
        candidates.push(c.base.join(".nhiscanignore"));
    }
    for r in scan_roots {
        if r.is_dir() {
            candidates.push(r.join(".nhiscanignore"));
        }
    }
    // A scan of a subdirectory (a per-service CI job) uses its repository's allowlist:
    // finding ids and paths are the whole repository's anyway.
    for r in scan_roots {
        if let Some(top) = enclosing_work_tree(r) {
            candidates.push(top.join(".nhiscanignore"));
        }
    }
    candidates.push(PathBuf::from(".nhiscanignore"));
    for p in candidates {
        if p.is_file() {
            return IgnoreList::load(&p).map_err(|e| usage(format!("{e:#}")));
        }
    }
    Ok(IgnoreList::default())
}

/// The top of the git work tree holding `p` (the nearest directory, `p` included, with a
/// `.git` entry), if any.
fn enclosing_work_tree(p: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(p).ok()?;
    abs.ancestors()
        .find(|a| a.join(".git").symlink_metadata().is_ok())
        .map(Path::to_path_buf)
}

pub fn limits(g: &Global, cfg: Option<&Config>) -> Limits {
    let mut l = Limits::default();
    if let Some(n) = g
        .max_file_size
        .or_else(|| cfg.and_then(|c| c.scan.max_file_size))
    {
        l.max_file_size = n;
    }
    l.deadline = g.deadline.or_else(|| cfg.and_then(|c| c.scan.deadline));
    l
}

/// Connectors from the config; with none configured, the current directory (files and
/// history) and the local host, which stderr says (unless `-q`): a config with only `[hr]`
/// must not scan the live host without a word.
pub fn connectors_or_default(
    g: &Global,
    cfg: Option<&Config>,
) -> anyhow::Result<Vec<Box<dyn Connector>>> {
    let configured: Vec<Box<dyn Connector>> = match cfg {
        Some(c) => c
            .connector
            .iter()
            .map(|cc| connectors::build(cc, &c.base))
            .collect::<anyhow::Result<_>>()
            .map_err(|e| match &c.path {
                Some(p) => usage(format!("config {}: {e:#}", p.display())),
                None => usage(format!("{e:#}")),
            })?,
        None => Vec::new(),
    };
    // Two accounts both called `aws:default` could not be told apart in findings or
    // coverage. Plain `git` and `host` may repeat: their findings are named by repository
    // and host, not by connector.
    let mut named = std::collections::HashSet::new();
    for c in &configured {
        let n = c.name();
        if n.contains(':') && !named.insert(n.clone()) {
            let file = cfg
                .and_then(|c| c.path.as_ref())
                .map_or("the config".to_string(), |p| p.display().to_string());
            return Err(usage(format!(
                "config {file}: two [[connector]] tables are both named `{n}`; give each its own `name`"
            )));
        }
    }
    if !configured.is_empty() {
        return Ok(configured);
    }
    if !g.quiet {
        let why = match cfg.and_then(|c| c.path.as_ref()) {
            Some(p) => format!("config {} has no [[connector]] table", p.display()),
            None => "no config (-c FILE, or ./nhiscan.toml)".to_string(),
        };
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| ".".into());
        eprintln!(
            "nhiscan: note: {why}: using the defaults, the current directory ({cwd}: files and git history) and the live host (/)"
        );
    }
    Ok(vec![
        Box::new(connectors::git::GitConnector::from_paths(
            vec![PathBuf::from(".")],
            true,
        )),
        Box::new(connectors::host::HostConnector::from_roots(vec![
            PathBuf::from("/"),
        ])),
    ])
}

pub fn exceptions(cfg: Option<&Config>) -> anyhow::Result<Exceptions> {
    Exceptions::new(cfg.map(|c| c.exception.as_slice()).unwrap_or(&[]))
        .map_err(|e| usage(format!("{e:#}")))
}

pub fn show_progress(g: &Global) -> bool {
    !g.quiet && !g.no_progress && std::io::stderr().is_terminal()
}

/// The format: `--format`, else from the output file's extension (`.sarif.json` and
/// `.ocsf.json` count as SARIF and OCSF), else json.
pub fn output_format(g: &Global) -> Format {
    if let Some(f) = g.format {
        return f;
    }
    format_for_path(&g.findings_path())
}

pub(crate) fn format_for_path(output: &Path) -> Format {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".json").unwrap_or(&name);
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("jsonl") | Some("ndjson") => Format::Jsonl,
        Some("csv") => Format::Csv,
        Some("sarif") => Format::Sarif,
        Some("ocsf") => Format::Ocsf,
        Some("md") | Some("markdown") => Format::Markdown,
        Some("html") | Some("htm") => Format::Html,
        _ => Format::Json,
    }
}

/// Refuse a `--format` that contradicts the output file's extension (`--format markdown
/// -o findings.json`): `report` and `diff` could not read the file back, and whoever opens
/// it by its name gets something else. `.json` holds any JSON rendering (json, jsonl,
/// sarif, ocsf); a name with no known extension, or stdout, takes any format.
pub fn check_format_fits(g: &Global, output: &Path) -> anyhow::Result<()> {
    let Some(given) = g.format else {
        return Ok(());
    };
    if writes_to_stdout(output) {
        return Ok(());
    }
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, ext)) = name.rsplit_once('.') else {
        return Ok(());
    };
    let json_family = |f: Format| {
        matches!(
            f,
            Format::Json | Format::Jsonl | Format::Sarif | Format::Ocsf
        )
    };
    let fits = match ext {
        "json" => json_family(given),
        "jsonl" | "ndjson" | "csv" | "sarif" | "ocsf" | "md" | "markdown" | "html" | "htm" => {
            format_for_path(output) == given || (ext == "sarif" && given == Format::Json)
        }
        _ => true,
    };
    if fits {
        return Ok(());
    }
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let suggestion = output.with_file_name(format!("{stem}.{}", extension(given)));
    Err(usage(format!(
        "--format {} does not fit the output name {}: its extension says {}; write to {} (or leave out --format: the extension picks it)",
        given.as_str(),
        output.display(),
        ext,
        suggestion.display()
    )))
}

/// The file extension nhiscan uses for a format.
fn extension(f: Format) -> &'static str {
    match f {
        Format::Json => "json",
        Format::Jsonl => "jsonl",
        Format::Csv => "csv",
        Format::Sarif => "sarif",
        Format::Ocsf => "ocsf.json",
        Format::Markdown => "md",
        Format::Html => "html",
    }
}

/// Run, write, summarise, and pick the exit code.
pub fn finish(g: &Global, spec: RunSpec) -> anyhow::Result<ExitCode> {
    let output = g.findings_path();
    // Before scanning: a run that cannot write its findings has produced nothing.
    report::check_output(&output).map_err(|e| usage(format!("{e:#}")))?;
    check_format_fits(g, &output)?;
    probe_output(&output).map_err(|e| usage(format!("{e:#}")))?;
    let file = pipeline::run(spec);
    write_and_exit(g, &file)
}

/// Create and remove the temporary file the final write will create, where it will
/// create it, so an unwritable directory (permissions, a read-only mount) stops the run
/// before the scan rather than after it. A device or FIFO (`-o /dev/null`, `-o >(gzip)`)
/// is written in place and not opened here: opening a FIFO early would block, or end the
/// reader's input before the findings arrive.
fn probe_output(output: &Path) -> anyhow::Result<()> {
    if writes_to_stdout(output) {
        return Ok(());
    }
    let name = output.display();
    if matches!(std::fs::metadata(output), Ok(m) if !m.is_file() && !m.is_dir()) {
        return Ok(());
    }
    if output.starts_with("/dev") || output.starts_with("/proc") {
        // Written in place (never replaced), so it must already exist and be writable.
        return std::fs::OpenOptions::new()
            .write(true)
            .open(output)
            .map(drop)
            .map_err(|e| anyhow::anyhow!("cannot write {name}: {e} (choose another -o path)"));
    }
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".nhiscan-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| {
            // The kind of error alone: the probe's random temporary name means nothing.
            let e = std::io::Error::from(e.kind());
            anyhow::anyhow!(
                "cannot write {name}: creating a file in {} failed: {e} (choose another -o path, or make the directory writable)",
                dir.display()
            )
        })
}

/// `-`, and the device paths that name standard output.
pub(crate) fn writes_to_stdout(output: &Path) -> bool {
    output == Path::new("-")
        || output == Path::new("/dev/stdout")
        || output == Path::new("/dev/fd/1")
        || output == Path::new("/proc/self/fd/1")
}

/// The results of a scan whose output could not be written after all (the directory was
/// removed or made read-only during the scan, the disk filled up): a new file of mode 0600
/// in `$TMPDIR`, else in the current directory, named after the output so its extension
/// still says its format. Returns where they went.
fn save_fallback(file: &FindingsFile, format: Format, output: &Path) -> anyhow::Result<PathBuf> {
    let base = if writes_to_stdout(output) {
        format!("findings.{}", extension(format))
    } else {
        output
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| format!("findings.{}", extension(format)))
    };
    let mut last = None;
    for dir in [std::env::temp_dir(), PathBuf::from(".")] {
        let attempt = (|| -> anyhow::Result<PathBuf> {
            // tempfile creates the file 0600 and with a name nobody else holds.
            let mut tmp = tempfile::Builder::new()
                .prefix("nhiscan-")
                .suffix(&format!("-{base}"))
                .tempfile_in(&dir)?;
            {
                use std::io::Write;
                let mut w = std::io::BufWriter::new(tmp.as_file_mut());
                report::render(file, format, &mut w).and_then(|()| w.flush())?;
            }
            tmp.as_file().sync_all()?;
            let (_, path) = tmp.keep()?;
            Ok(std::fs::canonicalize(&path).unwrap_or(path))
        })();
        match attempt {
            Ok(p) => return Ok(p),
            Err(e) => last = Some(format!("{}: {e:#}", dir.display())),
        }
    }
    anyhow::bail!(
        "no fallback file could be written either ({})",
        last.unwrap_or_default()
    )
}

pub fn write_and_exit(g: &Global, file: &FindingsFile) -> anyhow::Result<ExitCode> {
    let output = g.findings_path();
    let format = output_format(g);
    // Where the findings ended up, or None when nowhere: a failed write loses neither the
    // results (a fallback file) nor the summary, and it always exits 3.
    let (written, write_failed) = match report::write_output(file, format, &output) {
        Ok(()) => (Some(output.clone()), false),
        Err(e) => {
            eprintln!("nhiscan: error: {e:#}");
            match save_fallback(file, format, &output) {
                Ok(p) => {
                    eprintln!(
                        "nhiscan: the findings were NOT written to {}; they were saved to {} instead (mode 0600)",
                        output.display(),
                        p.display()
                    );
                    (Some(p), true)
                }
                Err(e) => {
                    eprintln!("nhiscan: error: {e:#}; the findings are only in the summary below");
                    (None, true)
                }
            }
        }
    };
    if !g.quiet {
        let summary = report::terminal_summary(file, 10);
        let tail = match (&written, write_failed) {
            (Some(p), false) if writes_to_stdout(p) => String::new(),
            (Some(p), _) => format!("Findings written to {}\n", p.display()),
            (None, _) => "Findings NOT written: see the errors above\n".to_string(),
        };
        // When the findings go to stdout, stdout carries nothing else.
        if writes_to_stdout(&output) {
            eprint!("{summary}{tail}");
        } else {
            super::out(&format!("{summary}{tail}"));
        }
    } else if !pipeline::complete(file) {
        // Quiet still says why a scan was incomplete: exit 3 alone is no reason to act on.
        for c in file
            .coverage
            .iter()
            .filter(|c| c.status != crate::model::CoverageStatus::Complete)
        {
            for e in &c.errors {
                eprintln!("nhiscan: incomplete: {}: {e}", c.connector);
            }
            if c.errors.is_empty() {
                eprintln!("nhiscan: incomplete: {} ({:?})", c.connector, c.status);
            }
        }
        if file.coverage.is_empty() {
            eprintln!("nhiscan: incomplete: no sources were scanned");
        }
    }
    let open = file
        .findings
        .iter()
        .filter(|f| f.exception.is_none())
        .count();
    Ok(ExitCode::from(
        if write_failed || !pipeline::complete(file) {
            EXIT_INCOMPLETE
        } else if open > 0 {
            EXIT_FINDINGS
        } else {
            EXIT_CLEAN
        },
    ))
}

/// The common part of a RunSpec.
pub fn base_spec(
    g: &Global,
    cfg: Option<&Config>,
    mode: Mode,
    connectors: Vec<Box<dyn Connector>>,
    scan_roots: &[PathBuf],
) -> anyhow::Result<RunSpec> {
    let matcher = load_matcher(g, cfg)?;
    let ignore = load_ignore(g, cfg, scan_roots)?;
    let allow_paths = ignore.paths.clone();
    Ok(RunSpec {
        mode,
        connectors,
        directory: None,
        subject: None,
        matcher,
        limits: limits(g, cfg),
        allow_paths,
        ignore,
        exceptions: exceptions(cfg)?,
        show_progress: show_progress(g),
        warnings: Vec::new(),
        exposure: cfg.is_some_and(|c| c.scan.exposure),
        unconfirmed: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_output_extension() {
        for (name, want) in [
            ("findings.json", Format::Json),
            ("out", Format::Json),
            ("-", Format::Json),
            ("a.JSONL", Format::Jsonl),
            ("a.ndjson", Format::Jsonl),
            ("a.csv", Format::Csv),
            ("results.sarif", Format::Sarif),
            ("results.sarif.json", Format::Sarif),
            ("events.ocsf", Format::Ocsf),
            ("events.ocsf.json", Format::Ocsf),
            ("report.md", Format::Markdown),
            ("audit.html", Format::Html),
            ("Audit.HTM", Format::Html),
            ("dir.csv/findings.json", Format::Json),
        ] {
            assert_eq!(format_for_path(Path::new(name)), want, "{name}");
        }
    }

    #[test]
    fn stdout_paths_keep_stdout_for_findings_only() {
        assert!(writes_to_stdout(Path::new("-")));
        assert!(writes_to_stdout(Path::new("/dev/stdout")));
        assert!(!writes_to_stdout(Path::new("findings.json")));
    }
}
