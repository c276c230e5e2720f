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
    assert_eq!(text.lines().count(), 6, "scan, 4 findings, closing summary");
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

/// A findings file rendered as JSON Lines by the real binary, as lines.
fn jsonl_lines_of(dir: &std::path::Path, json: &std::path::Path) -> Vec<String> {
    let out = dir.join("whole.jsonl");
    nhiscan()
        .arg("report")
        .arg(json)
        .args(["--format", "jsonl", "-o"])
        .arg(&out)
        .assert()
        .code(0);
    std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// Defect 4: `report` on a JSON Lines file cut at a line boundary printed "8 findings" and
/// listed 3, and `diff` called the missing ones resolved (exit 0). A file cut short is now
/// refused by both, with exit 2 and a message naming the file and what is missing.
#[test]
fn a_truncated_jsonl_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let lines = jsonl_lines_of(dir.path(), &fx("old.json"));
    assert_eq!(lines.len(), 6);
    let head: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(head["closing_record"], "summary");
    let last: serde_json::Value = serde_json::from_str(&lines[5]).unwrap();
    assert_eq!(
        (last["record"].as_str(), last["findings"].as_u64()),
        (Some("summary"), Some(4))
    );

    // Cut after 2 of 4 findings: the closing line is missing.
    let cut = dir.path().join("cut.jsonl");
    std::fs::write(&cut, lines[..3].join("\n") + "\n").unwrap();
    for args in [
        vec!["report".to_string(), cut.display().to_string()],
        vec![
            "diff".to_string(),
            fx("old.json").display().to_string(),
            cut.display().to_string(),
        ],
    ] {
        let (code, out, err) = stdout_of(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.contains("cut.jsonl is incomplete") && err.contains("closing summary line"),
            "{err}"
        );
    }

    // One finding line lost from the middle: the closing count disagrees.
    let holed = dir.path().join("holed.jsonl");
    let mut v = lines.clone();
    v.remove(2);
    std::fs::write(&holed, v.join("\n") + "\n").unwrap();
    let (code, _, err) = stdout_of(&["report", holed.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("holed.jsonl") && err.contains("counts 4 findings, but 3 finding lines"),
        "{err}"
    );

    // The whole file still reads.
    let whole = dir.path().join("whole.jsonl");
    let (code, _, err) = stdout_of(&["report", whole.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
}

/// Defect 4, the other side: a JSON Lines file from an earlier nhiscan (no promise of a
/// closing line) is still read, with a warning that its completeness cannot be checked;
/// cut short, the summary in its scan record still gives it away.
#[test]
fn a_jsonl_file_from_an_earlier_version_is_read_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let lines = jsonl_lines_of(dir.path(), &fx("old.json"));
    let mut head: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    head.as_object_mut().unwrap().remove("closing_record");
    let mut old = vec![head.to_string()];
    old.extend_from_slice(&lines[1..5]);
    let p = dir.path().join("earlier.jsonl");
    std::fs::write(&p, old.join("\n") + "\n").unwrap();
    let (code, out, err) = stdout_of(&["report", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning")
            && err.contains("earlier.jsonl")
            && err.contains("cannot be checked"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 4);

    old.pop();
    std::fs::write(&p, old.join("\n") + "\n").unwrap();
    let (code, _, err) = stdout_of(&["report", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("summary.total is 4 but it lists 3"), "{err}");
}

/// Defect 4 in the JSON form: a document whose `summary.total` disagrees with the findings
/// it lists (cut and re-closed, or edited) is refused, not reported with two counts.
#[test]
fn a_json_file_whose_total_disagrees_with_its_findings_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fx("old.json")).unwrap()).unwrap();
    doc["findings"].as_array_mut().unwrap().truncate(1);
    let p = dir.path().join("short.json");
    std::fs::write(&p, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    for args in [
        vec!["report", p.to_str().unwrap()],
        vec!["diff", p.to_str().unwrap(), p.to_str().unwrap()],
    ] {
        let (code, out, err) = stdout_of(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.contains("short.json") && err.contains("summary.total is 4 but it lists 1 finding"),
            "{err}"
        );
    }
    // A JSON file cut mid-document is a parse error naming the file.
    let text = std::fs::read_to_string(fx("old.json")).unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let (code, _, err) = stdout_of(&["report", cut.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cut.json"), "{err}");
}

/// Two hand-written scans of the same sources: AWS per account (`aws:prod/ACCOUNT`), two
/// hosts and a named git connector. `drop` lists the finding ids the second scan no longer
/// has; `coverage` the second scan's coverage entries.
fn scan_pair(
    dir: &std::path::Path,
    drop: &[&str],
    coverage: serde_json::Value,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let finding = |id: &str, kind: &str, connector: &str, resource: &str| {
        serde_json::json!({
            "id": id, "kind": kind, "connector": connector, "resource": resource,
            "title": format!("{kind} {resource}"), "owner": "alice@acme.example",
            "relation": "created", "confidence": "confirmed",
            "evidence": [{"source": "test", "detail": "hand-written"}],
            "severity": "high", "status": "active", "created_at": null, "last_used_at": null,
            "secret": null, "rule": null, "location": null,
            "remediation": {"action": "rotate", "detail": "rotate it"}, "exception": null
        })
    };
    let all = vec![
        finding(
            "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
            "aws_access_key",
            "aws:prod",
            "arn:aws:iam::111111111111:user/svc-deploy#AKIAIOSFODNN7EXAMPLE",
        ),
        finding(
            "a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2",
            "aws_access_key",
            "aws:prod",
            "arn:aws:iam::222222222222:user/svc-etl#AKIAI44QH8DHBEXAMPLE",
        ),
        finding(
            "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1",
            "host_account",
            "host:web-1",
            "web-1:alice",
        ),
        finding(
            "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2",
            "host_account",
            "host:web-2",
            "web-2:alice",
        ),
        finding(
            "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1",
            "host_admin",
            "host:db-1",
            "db-1:alice",
        ),
    ];
    let complete = |name: &str| serde_json::json!({"connector": name, "status": "complete", "items_scanned": 5, "errors": []});
    let file = |findings: Vec<serde_json::Value>, coverage: serde_json::Value| {
        let mut by_kind = serde_json::Map::new();
        for f in &findings {
            let k = f["kind"].as_str().unwrap().to_string();
            let n = by_kind.get(&k).and_then(|v| v.as_u64()).unwrap_or(0);
            by_kind.insert(k, serde_json::json!(n + 1));
        }
        serde_json::json!({
            "schema_version": "1", "tool": {"name": "nhiscan", "version": "0.1.0"},
            "scan": {"id": "s", "mode": "sweep", "started_at": "2026-11-21T09:00:00Z",
                     "finished_at": "2026-11-21T09:01:00Z", "subject": null},
            "coverage": coverage, "findings": findings,
            "summary": {"total": findings.len(), "by_severity": {"high": findings.len()},
                        "by_kind": by_kind}
        })
    };
    let old_cov = serde_json::json!([
        complete("aws:prod/111111111111"),
        complete("aws:prod/222222222222"),
        complete("host:web-1"),
        complete("host:web-2"),
        complete("host:db-1"),
    ]);
    let new_findings: Vec<_> = all
        .iter()
        .filter(|f| !drop.contains(&f["id"].as_str().unwrap()))
        .cloned()
        .collect();
    let (old, new) = (dir.join("old.json"), dir.join("new.json"));
    std::fs::write(&old, file(all, old_cov).to_string()).unwrap();
    std::fs::write(&new, file(new_findings, coverage).to_string()).unwrap();
    (old, new)
}

/// Defect 6: per-account coverage entries are named `aws:NAME/ACCOUNT`, and `diff` only
/// recognised sub-entries after `:`, so a key deleted between two complete scans of its
/// account was "not rescanned", never resolved. One rule (src/model/coverage_unit.rs) now
/// says which coverage unit a finding belongs to: its account's, for AWS.
#[test]
fn diff_resolves_an_aws_key_deleted_between_two_complete_scans_of_its_account() {
    let dir = tempfile::tempdir().unwrap();
    let complete = |name: &str| serde_json::json!({"connector": name, "status": "complete", "items_scanned": 5, "errors": []});
    let denied = serde_json::json!({"connector": "aws:prod/222222222222", "status": "failed",
        "items_scanned": 0, "errors": ["AccessDenied on sts:AssumeRole (account 222222222222)"]});
    // Account 111 complete in both, its key gone: resolved. Account 222 failed in the
    // second scan: its vanished key is not rescanned. web-1 complete, its account gone:
    // resolved. web-2 absent from the second scan: not rescanned. db-1 unchanged.
    let (old, new) = scan_pair(
        dir.path(),
        &[
            "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
            "a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2",
            "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1",
            "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2",
        ],
        serde_json::json!([
            complete("aws:prod/111111111111"),
            denied,
            complete("host:web-1"),
            complete("host:db-1"),
        ]),
    );
    let (code, out, err) = stdout_of(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 3, "incomplete new scan, nothing new: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ids = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap()[..2].to_string())
            .collect()
    };
    assert_eq!(ids("resolved"), ["a1", "b1"], "{out}");
    assert_eq!(ids("unverified"), ["a2", "b2"], "{out}");
    assert_eq!(v["unchanged"].as_array().unwrap().len(), 1);

    // Both accounts complete in the second scan: both keys resolved, exit 0.
    let (old, new) = scan_pair(
        dir.path(),
        &[
            "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
            "a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2",
        ],
        serde_json::json!([
            complete("aws:prod/111111111111"),
            complete("aws:prod/222222222222"),
            complete("host:web-1"),
            complete("host:web-2"),
            complete("host:db-1"),
        ]),
    );
    let (code, out, err) = stdout_of(&["diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("0 new, 2 resolved, 3 unchanged (0 changed), 0 not rescanned\n"),
        "{out}"
    );
    assert!(
        out.contains("svc-deploy") && out.contains("svc-etl"),
        "{out}"
    );
}

/// The same rule for git: a finding of the named connector `git:main` is resolved by a
/// complete `git:main` entry, not by another git connector's.
#[test]
fn diff_resolves_git_findings_by_their_own_connector_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fx("old.json")).unwrap()).unwrap();
    doc["findings"][1]["connector"] = serde_json::json!("git:main");
    doc["coverage"][1]["connector"] = serde_json::json!("git:main");
    let old = dir.path().join("old.json");
    std::fs::write(&old, doc.to_string()).unwrap();
    let secret_id = doc["findings"][1]["id"].clone();
    doc["findings"].as_array_mut().unwrap().remove(1);
    doc["summary"]["total"] = serde_json::json!(3);
    let resolved = dir.path().join("resolved.json");
    std::fs::write(&resolved, doc.to_string()).unwrap();
    doc["coverage"][1]["connector"] = serde_json::json!("git:other");
    let elsewhere = dir.path().join("elsewhere.json");
    std::fs::write(&elsewhere, doc.to_string()).unwrap();

    let run = |new: &std::path::Path| {
        let (_, out, err) = stdout_of(&[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "json",
        ]);
        serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|e| panic!("{e}: {err}"))
    };
    let v = run(&resolved);
    assert_eq!(v["resolved"][0]["id"], secret_id);
    let v = run(&elsewhere);
    assert_eq!(v["unverified"][0]["id"], secret_id);
    assert!(v["resolved"].as_array().unwrap().is_empty());
}
