//! Reading a findings file back, and writing any rendering of it: to stdout (`-`) or
//! atomically to a path (temporary file in the same directory, mode 0600 before the first
//! byte, fsync, rename over the target, fsync the directory). A reader therefore sees the
//! old file or the new one, never half of one, and never a world-readable copy.

use super::{json, render, FindingsFile, Format};
use anyhow::{bail, Context};
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

/// Read a findings file in either form nhiscan writes: the JSON document or JSON Lines
/// (told apart by content, not by extension). `-` reads stdin. Refuses any
/// `schema_version` but "1", and a file that is not whole (a JSON Lines file missing its
/// promised closing line, a `summary.total` that disagrees with the findings). Every
/// error names the file. What could not be checked (a JSON Lines file from an earlier
/// version) is printed to stderr as a warning; [`read_findings_checked`] returns it instead.
pub fn read_findings(path: &Path) -> anyhow::Result<FindingsFile> {
    let (file, warnings) = read_findings_checked(path)?;
    for w in warnings {
        eprintln!("nhiscan: warning: {w}");
    }
    Ok(file)
}

/// [`read_findings`], returning the warnings rather than printing them.
pub fn read_findings_checked(path: &Path) -> anyhow::Result<(FindingsFile, Vec<String>)> {
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("reading findings from stdin")?;
    } else {
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("reading findings file {name}"))?;
    }
    let text = String::from_utf8(bytes).with_context(|| format!("{name} is not UTF-8 text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim().is_empty() {
        bail!("{name} is empty: not an nhiscan findings file");
    }
    let mut warnings = Vec::new();
    let file = if json::looks_like_jsonl(text) {
        json::parse_jsonl(text, &name, &mut warnings)?
    } else {
        json::parse_json(text, &name)?
    };
    Ok((file, warnings))
}

/// Render `file` as `format` to `output`: `-` is stdout, anything else is written with
/// [`write_atomic`]. A closed stdout (`nhiscan report f | head`) is not an error.
pub fn write_output(file: &FindingsFile, format: Format, output: &Path) -> anyhow::Result<()> {
    write_atomic(output, |w| render(file, format, w))
        .with_context(|| format!("writing {} output", format.as_str()))
}

/// Check, before any work is done, that `output` can be written: `-`, or a path that is not
/// a directory and whose parent directory exists. The message names the path and what to
/// fix, so a long scan never ends with nowhere to put its results.
pub fn check_output(output: &Path) -> anyhow::Result<()> {
    if output == Path::new("-") {
        return Ok(());
    }
    let name = output.display();
    if output.is_dir() || output.as_os_str().to_string_lossy().ends_with('/') {
        bail!(
            "output {name} names a directory: give a file name, e.g. -o {}",
            output.join("findings.json").display()
        );
    }
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.exists() {
        bail!(
            "cannot write {name}: directory {} does not exist (create it first or choose another -o path)",
            dir.display()
        );
    }
    if !dir.is_dir() {
        bail!("cannot write {name}: {} is not a directory", dir.display());
    }
    Ok(())
}

/// True when `output` is not a place for a regular file that may be replaced by a rename:
/// a device (`/dev/null`, `/dev/stdout`), a FIFO or process substitution (`/dev/fd/63`),
/// a socket, or anything under `/dev` or `/proc`. Renaming a temporary file over
/// `/dev/null` would replace the null device with a findings file.
fn is_special(output: &Path) -> bool {
    if output.starts_with("/dev") || output.starts_with("/proc") {
        return true;
    }
    // `metadata` follows symlinks: the question is what the writes would reach.
    matches!(std::fs::metadata(output), Ok(m) if !m.is_file() && !m.is_dir())
}

/// Write straight into an existing special file (no temporary file, no rename, no chmod).
fn write_in_place(
    output: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    let name = output.display();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(output)
        .with_context(|| format!("opening {name} for writing"))?;
    let mut w = BufWriter::new(f);
    match write(&mut w).and_then(|()| w.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r.with_context(|| format!("writing {name}")),
    }
}

/// Run `write` against `output` (`-`: stdout) so that the target is replaced atomically
/// with a complete file of mode 0600. On any error the target is left as it was and the
/// temporary file is removed. Errors name the path.
pub fn write_atomic(
    output: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    if output == Path::new("-") {
        let stdout = io::stdout();
        let mut w = BufWriter::new(stdout.lock());
        return match write(&mut w).and_then(|()| w.flush()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            r => r.context("writing to stdout"),
        };
    }
    check_output(output)?;
    if is_special(output) {
        return write_in_place(output, write);
    }
    let name = output.display();
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Same directory as the target, so that the final rename never crosses filesystems.
    let mut tmp = tempfile::Builder::new()
        .prefix(".nhiscan-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file next to {name}"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // tempfile already creates 0600; set it explicitly so no umask or platform default
        // can ever leave findings readable by others, and before any content exists.
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("setting mode 0600 on the temporary file for {name}"))?;
    }
    {
        let mut w = BufWriter::new(tmp.as_file_mut());
        write(&mut w)
            .and_then(|()| w.flush())
            .with_context(|| format!("writing {name}"))?;
    }
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("syncing {name}"))?;
    tmp.persist(output)
        .map_err(|e| e.error)
        .with_context(|| format!("replacing {name}"))?;
    #[cfg(unix)]
    {
        // Make the rename itself durable. Best effort: some filesystems refuse to fsync a
        // directory, and the data is already safely in place.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample;

    #[cfg(unix)]
    #[test]
    fn atomic_write_is_0600_and_leaves_no_temp_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("findings.json");
        std::fs::write(&out, "old").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_output(&sample(), Format::Json, &out).unwrap();
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("findings.json")]);
        let back = read_findings(&out).unwrap();
        assert_eq!(back.findings.len(), 4);
    }

    #[test]
    fn failed_render_keeps_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("f.json");
        std::fs::write(&out, "old").unwrap();
        let err = write_atomic(&out, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("f.json"), "{err:#}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn output_checks_name_the_problem_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_output(Path::new("-")).is_ok());
        assert!(check_output(&dir.path().join("f.json")).is_ok());
        let err = format!("{:#}", check_output(dir.path()).unwrap_err());
        assert!(err.contains("names a directory"), "{err}");
        let missing = dir.path().join("nope/f.json");
        let err = format!(
            "{:#}",
            write_output(&sample(), Format::Json, &missing).unwrap_err()
        );
        assert!(
            err.contains("nope/f.json") && err.contains("does not exist"),
            "{err}"
        );
        assert!(!err.contains(".nhiscan-"), "{err}");
        let file = dir.path().join("plain");
        std::fs::write(&file, "x").unwrap();
        let err = format!("{:#}", check_output(&file.join("f.json")).unwrap_err());
        assert!(err.contains("not a directory"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_written_in_place_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        write_output(&sample(), Format::Json, Path::new("/dev/null")).unwrap();
        let m = std::fs::metadata("/dev/null").unwrap();
        assert!(m.file_type().is_char_device(), "/dev/null was replaced");
        // A FIFO (what `-o >(jq .)` hands over) is streamed into, not renamed over.
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let st = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(st.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_output(&sample(), Format::Json, &fifo).unwrap();
        let text = reader.join().unwrap();
        assert!(text.contains("\"schema_version\""), "{text}");
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
    }

    #[test]
    fn write_error_names_the_path() {
        let err = write_output(
            &sample(),
            Format::Json,
            Path::new("/nonexistent-dir-nhiscan/x.json"),
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("/nonexistent-dir-nhiscan/x.json"),
            "{err:#}"
        );
    }

    #[test]
    fn reads_both_forms_and_names_the_file_on_errors() {
        let dir = tempfile::tempdir().unwrap();
        for format in [Format::Json, Format::Jsonl] {
            let p = dir.path().join(format!("f.{}", format.as_str()));
            write_output(&sample(), format, &p).unwrap();
            assert_eq!(read_findings(&p).unwrap().findings.len(), 4);
        }
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{ nope").unwrap();
        let err = format!("{:#}", read_findings(&bad).unwrap_err());
        assert!(err.contains("bad.json"), "{err}");
        let empty = dir.path().join("empty.json");
        std::fs::write(&empty, "\n").unwrap();
        assert!(format!("{:#}", read_findings(&empty).unwrap_err()).contains("empty"));
        let missing = dir.path().join("missing.json");
        assert!(format!("{:#}", read_findings(&missing).unwrap_err()).contains("missing.json"));
    }
}
