//! Integration tests: `nhiscan report` and `nhiscan diff` on hand-written findings files
//! (tests/fixtures/report/: fake, redacted secrets and made-up hashes only).

use crate::support::{fixture, nhiscan};

fn fx(name: &str) -> std::path::PathBuf {
    fixture(&format!("report/{name}"))
}

fn stdout_of(args: &[&str]) -> (i32, String, String) {
    let out = nhiscan().args(args).output().expect("run nhiscan");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

#[test]
fn report_csv_to_stdout_neutralises_formulas() {
    let old = fx("old.json");
    let (code, out, err) = stdout_of(&[
        "report",
        old.to_str().unwrap(),
        "--format",
        "csv",
        "-o",
        "-",
    ]);
    assert_eq!(code, 0, "{err}");
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(headers[0], "id");
    // Columns are only ever appended: `evidence` keeps its place, new ones follow it.
    let evidence = headers.iter().position(|h| h == "evidence").unwrap();
    assert_eq!(evidence, 25);
    assert_eq!(headers[evidence + 1], "exception_approved_by");
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 4);
    let path_col = headers.iter().position(|h| h == "path").unwrap();
    assert_eq!(&rows[1][path_col], "'=cmd|config/prod.env");
    for row in &rows {
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "formula cell {cell:?}"
            );
        }
    }
    assert!(out.contains("AKIA…MPLE"));
}

#[test]
fn report_defaults_to_json_on_stdout_and_round_trips() {
    // The default `-o findings.json` means stdout for `report`: nothing is written.
    let dir = tempfile::tempdir().unwrap();
    let old = fx("old.json");
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["report", old.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let orig: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&old).unwrap()).unwrap();
    // Extensions (`summary.excepted`, `subject.in_roster`) get their defaults; the
    // contract's fields come back exactly.
    for key in ["schema_version", "tool", "coverage", "findings"] {
        assert_eq!(v[key], orig[key], "{key}");
    }
    assert_eq!(v["scan"]["id"], orig["scan"]["id"]);
    assert_eq!(v["summary"]["by_kind"], orig["summary"]["by_kind"]);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn report_sarif_has_rules_results_and_fingerprints() {
    let old = fx("old.json");
    let (code, out, err) = stdout_of(&["report", old.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "nhiscan");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for r in results {
        assert!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
        assert!(r["partialFingerprints"]["nhiscanFindingId/v1"].is_string());
    }
    let repo = results
        .iter()
        .find(|r| r["ruleId"] == "aws-access-key-id")
        .unwrap();
    assert_eq!(repo["level"], "error");
    assert_eq!(
        repo["locations"][0]["physicalLocation"]["region"]["startLine"],
        12
    );
}

#[test]
fn report_writes_a_0600_file_with_explicit_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.md");
    let old = fx("old.json");
    let (code, stdout, err) = stdout_of(&[
        "report",
        old.to_str().unwrap(),
        "--format",
        "markdown",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.is_empty());
    let md = std::fs::read_to_string(&out).unwrap();
    assert!(
        md.contains("AWS access key in payments history \\| committed by alice"),
        "{md}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp files left"
    );
}

#[test]
fn report_jsonl_then_back_to_json() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("f.jsonl");
    let old = fx("old.json");
    nhiscan()
        .args([
            "report",
            old.to_str().unwrap(),
            "--format",
            "jsonl",
            "-o",
            jsonl.to_str().unwrap(),
        ])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert_eq!(text.lines().count(), 5);
    let (code, out, err) = stdout_of(&["report", jsonl.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let orig: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&old).unwrap()).unwrap();
    // Extensions (`summary.excepted`, `subject.in_roster`) get their defaults; the
    // contract's fields come back exactly.
    for key in ["schema_version", "tool", "coverage", "findings"] {
        assert_eq!(v[key], orig[key], "{key}");
    }
    assert_eq!(v["scan"]["id"], orig["scan"]["id"]);
    assert_eq!(v["summary"]["by_kind"], orig["summary"]["by_kind"]);
}

#[test]
fn report_bad_input_exits_2_naming_the_file() {
    for name in ["bad.json", "v2.json", "does-not-exist.json"] {
        let p = fx(name);
        let (code, out, err) = stdout_of(&["report", p.to_str().unwrap(), "--format", "csv"]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(name), "{name}: {err}");
    }
    let (_, _, err) = stdout_of(&["report", fx("v2.json").to_str().unwrap()]);
    assert!(err.contains("schema_version \"2\""), "{err}");
}

#[test]
fn diff_reports_new_resolved_changed_and_exits_1() {
    let (code, out, err) = stdout_of(&[
        "diff",
        fx("old.json").to_str().unwrap(),
        fx("new.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.starts_with("1 new, 1 resolved, 3 unchanged (1 changed), 0 not rescanned\n"),
        "{out}"
    );
    assert!(out.contains("New:\n  HIGH"), "{out}");
    assert!(out.contains("ssh_authorized_key"));
    assert!(out.contains("Resolved:\n  MEDIUM"), "{out}");
    assert!(out.contains("web-1:alice"));
    assert!(out.contains("severity high -> critical"));
}

#[test]
fn diff_json_and_exit_codes() {
    let (code, out, err) = stdout_of(&[
        "diff",
        fx("old.json").to_str().unwrap(),
        fx("new.json").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["new"][0]["id"], "0123456789abcdef0123456789abcdef");
    assert_eq!(v["resolved"][0]["id"], "c0ffee00c0ffee00c0ffee00c0ffee00");
    assert_eq!(v["unchanged"].as_array().unwrap().len(), 3);
    assert!(v["unchanged"][0].is_string());

    // Same file twice: nothing new, complete scan.
    let (code, out, _) = stdout_of(&[
        "diff",
        fx("old.json").to_str().unwrap(),
        fx("old.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("0 new, 0 resolved, 4 unchanged"), "{out}");

    // Nothing new, but the new scan failed on aws:prod: the vanished key is not resolved,
    // and the result is not clean.
    let (code, out, _) = stdout_of(&[
        "diff",
        fx("old.json").to_str().unwrap(),
        fx("incomplete.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.starts_with("0 new, 0 resolved, 3 unchanged (0 changed), 1 not rescanned\n"),
        "{out}"
    );
    assert!(out.contains("INCOMPLETE"));
}

#[test]
fn diff_bad_input_exits_2() {
    let (code, _, err) = stdout_of(&[
        "diff",
        fx("old.json").to_str().unwrap(),
        fx("bad.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.json"), "{err}");
    let (code, _, err) = stdout_of(&[
        "diff",
        fx("old.json").to_str().unwrap(),
        fx("new.json").to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--format json"), "{err}");
}

/// `report -o FILE` picks the format from the extension, as the scan commands do:
/// `-o ticket.md` is Markdown, not JSON in a file called `.md`.
#[test]
fn report_picks_the_format_from_the_output_extension() {
    let dir = tempfile::tempdir().unwrap();
    for (name, check) in [
        (
            "ticket.md",
            (|t: &str| t.starts_with('#')) as fn(&str) -> bool,
        ),
        ("f.sarif", |t: &str| {
            t.contains("\"version\": \"2.1.0\"") || t.contains("\"version\":\"2.1.0\"")
        }),
        ("f.csv", |t: &str| {
            t.lines().next().is_some_and(|h| h.contains("severity"))
        }),
    ] {
        let out = dir.path().join(name);
        nhiscan()
            .current_dir(dir.path())
            .arg("report")
            .arg(fx("old.json"))
            .arg("-o")
            .arg(&out)
            .assert()
            .code(0);
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(check(&text), "{name}: {}", &text[..text.len().min(300)]);
    }
}
