//! Smoke test for the attribution evaluation (benches/attribution/, issue 8): the generator,
//! the real binary's `sweep` and one `leaver` scan, and the scorer still run together. It
//! checks the scorer's output shape and recall only; precision is what the attribution work
//! is improving, and `benches/attribution.sh` measures it.

use crate::support::nhiscan;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bench(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("benches/attribution")
        .join(file)
}

fn python(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new("python3")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python3 {:?} failed: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scan(env: &Path, args: &[&str], out: &str) -> PathBuf {
    let path = env.join(out);
    let code = nhiscan()
        .current_dir(env)
        .args(args)
        .args(["-c", "nhiscan.toml", "--no-progress", "-q", "-o"])
        .arg(&path)
        .output()
        .expect("nhiscan runs")
        .status
        .code();
    assert!(
        matches!(code, Some(0 | 1 | 3)),
        "nhiscan {args:?} exited {code:?}"
    );
    path
}

/// `recall 0.93` on a line -> 0.93 (None for `n/a`).
fn number_after(line: &str, word: &str) -> Option<f64> {
    let rest = line.split(word).nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

#[test]
fn attribution_eval_scripts_generate_scan_and_score() {
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("company");
    python(&[
        bench("gen_company.py").as_os_str(),
        "--seed".as_ref(),
        "1".as_ref(),
        "--people".as_ref(),
        "40".as_ref(),
        "--out".as_ref(),
        env.as_os_str(),
    ]);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.join("truth.json")).unwrap()).unwrap();
    let leaver = truth["leavers"][0]["email"].as_str().unwrap().to_string();
    let sweep = scan(&env, &["sweep"], "sweep.json");
    let one = scan(&env, &["leaver", &leaver], "leaver.json");
    let out = python(&[
        bench("score.py").as_os_str(),
        env.as_os_str(),
        sweep.as_os_str(),
        one.as_os_str(),
        "-q".as_ref(),
    ]);
    for job in ["== sweep", &format!("== leaver {leaver}")] {
        let block: Vec<&str> = out
            .split("== ")
            .find(|b| format!("== {b}").starts_with(job))
            .unwrap_or_else(|| panic!("no {job} block in:\n{out}"))
            .lines()
            .collect();
        for conn in ["git", "host", "aws"] {
            let line = block
                .iter()
                .find(|l| l.trim_start().starts_with(&format!("{conn} ")))
                .unwrap_or_else(|| panic!("no {conn} line for {job} in:\n{out}"));
            assert!(
                line.contains("recall") && line.contains("precision"),
                "{line}"
            );
        }
    }
    let overall = out
        .lines()
        .find(|l| l.starts_with("overall "))
        .unwrap_or_else(|| panic!("no overall line in:\n{out}"));
    let recall = number_after(overall, "recall").expect("overall recall is a number");
    assert!(recall >= 0.9, "recall fell below 0.9: {overall}\n{out}");
}
