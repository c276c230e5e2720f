//! Integration tests: every output the real binary writes as JSON validates against the
//! project's published schema, docs/findings.schema.json. Each mode that runs offline
//! (leaver, sweep and secrets on the example environment and the fixtures), in `json`
//! and `jsonl`, plus `report` and `diff --format json`. A field, kind or value the schema
//! does not know fails here, so the schema and docs/CONTRACT.md cannot fall behind.

use crate::support::{fixture, git, nhiscan};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema_doc() -> Value {
    let path = repo_root().join("docs/findings.schema.json");
    let text = std::fs::read_to_string(&path).expect("docs/findings.schema.json exists");
    serde_json::from_str(&text).expect("the schema is valid JSON")
}

/// A validator for `$defs/NAME` of the schema (`None`: the root, the findings file).
fn validator(def: Option<&str>) -> jsonschema::Validator {
    let mut schema = schema_doc();
    if let Some(name) = def {
        assert!(schema["$defs"][name].is_object(), "no $defs/{name}");
        schema = json!({
            "$schema": schema["$schema"],
            "$defs": schema["$defs"],
            "$ref": format!("#/$defs/{name}"),
        });
    }
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[track_caller]
fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errs = errors(v, doc);
    assert!(
        errs.is_empty(),
        "{what} does not match the schema:\n{}",
        errs.join("\n")
    );
}

/// Validate one output file: a findings document, or JSON Lines line by line (and the
/// lines must be a scan record, findings, then the closing summary).
fn check_output(path: &Path, what: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{what}: {e}"));
    if path.extension().is_some_and(|e| e == "jsonl") {
        let line_v = validator(Some("jsonl_record"));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() >= 2, "{what}: {text}");
        for (i, line) in lines.iter().enumerate() {
            let rec: Value = serde_json::from_str(line).expect("each line is JSON");
            assert_valid(&line_v, &rec, &format!("{what} line {}", i + 1));
            let want = if i == 0 {
                "scan"
            } else if i == lines.len() - 1 {
                "summary"
            } else {
                "finding"
            };
            assert_eq!(rec["record"], want, "{what} line {}", i + 1);
        }
        lines.len() - 2
    } else {
        let doc: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_valid(&validator(None), &doc, what);
        doc["findings"].as_array().map_or(0, Vec::len)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        let ty = e.file_type().expect("file type");
        if ty.is_dir() {
            copy_dir(&e.path(), &dest);
        } else if ty.is_file() {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// A private copy of examples/acme with its git repositories built by its own script.
fn example_env() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_dir(&repo_root().join("examples/acme"), tmp.path());
    let _ = std::fs::remove_dir_all(tmp.path().join("repos"));
    let st = std::process::Command::new("bash")
        .arg(tmp.path().join("make-repos.sh"))
        .arg(tmp.path().join("repos"))
        .output()
        .expect("run make-repos.sh");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    tmp
}

/// Run nhiscan in `dir` with `args`, writing `out`; the exit code must be one of `codes`.
fn run(dir: &Path, args: &[&str], out: &Path, codes: &[i32]) {
    let o = nhiscan()
        .current_dir(dir)
        .args(args)
        .args(["--no-progress", "-q", "-o"])
        .arg(out)
        .output()
        .expect("run nhiscan");
    let code = o.status.code().unwrap_or(-1);
    assert!(
        codes.contains(&code),
        "{args:?}: exit {code}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every scan mode, on every offline fixture, in both JSON forms, matches the schema; and
/// `report` re-renders each of them (JSON to JSON Lines and back) to output that does too.
#[test]
fn every_scan_output_matches_the_published_schema() {
    let env = example_env();
    let e = env.path();
    // A loose file outside any git repository: a finding with no author, owner or relation.
    let loose = tempfile::tempdir().expect("tempdir");
    let key = ["AKIA", "QZ7XN4FAKEZNHSCN"].concat();
    std::fs::write(
        loose.path().join("deploy.env"),
        format!("AWS_ACCESS_KEY_ID={key}\n"),
    )
    .expect("write");
    // A repository with a commit whose secret is gone from HEAD: in_head false, history.
    let hist = tempfile::tempdir().expect("tempdir");
    let who = Some(("Ann Other", "ann@elsewhere.example", "2025-01-02T03:04:05Z"));
    git(hist.path(), &["init", "-q"], None);
    std::fs::write(hist.path().join("ci.env"), format!("KEY={key}\n")).expect("write");
    git(hist.path(), &["add", "-A"], None);
    git(hist.path(), &["commit", "-q", "-m", "ci"], who);
    std::fs::write(hist.path().join("ci.env"), "KEY=from-vault\n").expect("write");
    git(hist.path(), &["commit", "-q", "-am", "vault"], who);

    let example_cfg = e.join("nhiscan.toml");
    let hosts = fixture("hosts");
    let company = fixture("company");
    let cases: Vec<(&str, PathBuf, Vec<String>, &[i32])> = vec![
        (
            "leaver-example",
            e.to_path_buf(),
            vec![
                "leaver".into(),
                "alice@acme.example".into(),
                "-c".into(),
                example_cfg.display().to_string(),
            ],
            &[1],
        ),
        (
            "leaver-alias-not-in-roster",
            e.to_path_buf(),
            vec![
                "leaver".into(),
                "zed@nowhere.example".into(),
                "--alias".into(),
                "alice".into(),
                "-c".into(),
                example_cfg.display().to_string(),
            ],
            &[0, 1],
        ),
        (
            "sweep-example",
            e.to_path_buf(),
            vec![
                "sweep".into(),
                "-c".into(),
                example_cfg.display().to_string(),
            ],
            &[1],
        ),
        (
            "secrets-example-repos",
            e.to_path_buf(),
            vec!["secrets".into(), e.join("repos").display().to_string()],
            &[1],
        ),
        (
            "secrets-no-history-with-roster",
            e.to_path_buf(),
            vec![
                "secrets".into(),
                "--no-history".into(),
                "--hr".into(),
                e.join("hr/roster.csv").display().to_string(),
                e.join("repos").display().to_string(),
            ],
            &[1],
        ),
        (
            "secrets-loose-file",
            loose.path().to_path_buf(),
            vec!["secrets".into(), loose.path().display().to_string()],
            &[1],
        ),
        (
            "secrets-history-only",
            hist.path().to_path_buf(),
            vec!["secrets".into(), hist.path().display().to_string()],
            &[1],
        ),
        (
            "sweep-hosts-fixture",
            hosts.clone(),
            vec![
                "sweep".into(),
                "-c".into(),
                hosts.join("nhiscan.toml").display().to_string(),
            ],
            &[0, 1, 3],
        ),
        (
            "sweep-company-fixture",
            company.clone(),
            vec![
                "sweep".into(),
                "-c".into(),
                company.join("nhiscan.toml").display().to_string(),
            ],
            &[0, 1, 3],
        ),
    ];
    let out = tempfile::tempdir().expect("tempdir");
    let mut total = 0;
    for (name, dir, args, codes) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        for ext in ["json", "jsonl"] {
            let path = out.path().join(format!("{name}.{ext}"));
            run(dir, &args, &path, codes);
            total += check_output(&path, &format!("{name} --format {ext}"));
            // `report` reads it back and writes the other form, which must match too.
            let other = if ext == "json" { "jsonl" } else { "json" };
            let back = out.path().join(format!("{name}.{ext}.report.{other}"));
            run(
                out.path(),
                &["report", path.to_str().expect("utf-8 path")],
                &back,
                &[0],
            );
            check_output(&back, &format!("report of {name}.{ext} as {other}"));
        }
    }
    assert!(total > 20, "the cases produced only {total} findings");
}

/// `report` of the hand-written fixtures and `diff --format json` of them match too.
#[test]
fn report_and_diff_outputs_match_the_published_schema() {
    let out = tempfile::tempdir().expect("tempdir");
    let fx = |n: &str| fixture(&format!("report/{n}"));
    for name in ["old.json", "new.json", "incomplete.json"] {
        for ext in ["json", "jsonl"] {
            let path = out.path().join(format!("{name}.{ext}"));
            run(
                out.path(),
                &["report", fx(name).to_str().unwrap()],
                &path,
                &[0],
            );
            check_output(&path, &format!("report {name} as {ext}"));
        }
        // The hand-written fixtures themselves are what the schema describes.
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(fx(name)).unwrap()).unwrap();
        assert_valid(&validator(None), &doc, name);
    }
    let diff_v = validator(Some("diff"));
    for (old, new, codes) in [
        ("old.json", "new.json", &[1][..]),
        ("old.json", "incomplete.json", &[3][..]),
        ("old.json", "old.json", &[0][..]),
    ] {
        let o = nhiscan()
            .args(["diff", "--format", "json"])
            .arg(fx(old))
            .arg(fx(new))
            .output()
            .expect("run diff");
        assert!(
            codes.contains(&o.status.code().unwrap_or(-1)),
            "{old} {new}"
        );
        let v: Value = serde_json::from_slice(&o.stdout).expect("diff JSON");
        assert_valid(&diff_v, &v, &format!("diff {old} {new}"));
    }
}

/// The schema is itself a valid 2020-12 schema, and strict: a document with an unknown
/// `kind`, an unplanned field, a bad enum value or a missing contract field fails it.
#[test]
fn the_schema_is_valid_and_rejects_what_the_contract_does_not_allow() {
    let schema = schema_doc();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    jsonschema::meta::validate(&schema).expect("a valid JSON Schema");
    let v = validator(None);
    let good: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("report/old.json")).expect("fixture"),
    )
    .expect("fixture JSON");
    assert_valid(&v, &good, "old.json");

    let bad = |edit: &dyn Fn(&mut Value)| {
        let mut doc = good.clone();
        edit(&mut doc);
        errors(&v, &doc)
    };
    let unknown_kind = bad(&|d| d["findings"][0]["kind"] = json!("aws_mystery_key"));
    assert!(
        unknown_kind.iter().any(|e| e.contains("/findings/0/kind")),
        "{unknown_kind:?}"
    );
    for (what, edit) in [
        (
            "unplanned field",
            &(|d: &mut Value| d["findings"][0]["colour"] = json!("red")) as &dyn Fn(&mut Value),
        ),
        ("bad relation", &|d: &mut Value| {
            d["findings"][1]["relation"] = json!("knows")
        }),
        ("bad confidence", &|d: &mut Value| {
            d["findings"][1]["confidence"] = json!("sure")
        }),
        ("bad severity", &|d: &mut Value| {
            d["findings"][1]["severity"] = json!("urgent")
        }),
        ("bad status", &|d: &mut Value| {
            d["findings"][1]["status"] = json!("live")
        }),
        ("bad action", &|d: &mut Value| {
            d["findings"][1]["remediation"]["action"] = json!("burn")
        }),
        ("missing owner", &|d: &mut Value| {
            d["findings"][1].as_object_mut().unwrap().remove("owner");
        }),
        ("full secret", &|d: &mut Value| {
            d["findings"][1]["secret"]["redacted"] = json!("AKIAIOSFODNN7EXAMPLE")
        }),
        ("bad coverage status", &|d: &mut Value| {
            d["coverage"][0]["status"] = json!("ok")
        }),
        ("other schema version", &|d: &mut Value| {
            d["schema_version"] = json!("2")
        }),
        ("top-level extra", &|d: &mut Value| d["extra"] = json!(1)),
        ("bad timestamp", &|d: &mut Value| {
            d["scan"]["started_at"] = json!("yesterday")
        }),
    ] {
        assert!(!bad(edit).is_empty(), "{what} was accepted");
    }

    // A JSON Lines record of an unknown shape fails too.
    let line_v = validator(Some("jsonl_record"));
    let mut rec = good["findings"][0].clone();
    rec["record"] = json!("finding");
    assert_valid(&line_v, &rec, "a finding record");
    rec["kind"] = json!("aws_mystery_key");
    assert!(!errors(&line_v, &rec).is_empty());
    assert!(!errors(&line_v, &json!({"record": "summary", "findings": 3})).is_empty());
}
