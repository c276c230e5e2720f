//! The contract's JSON document and its JSON Lines form, both ways (render and parse).
//!
//! JSON Lines (`--format jsonl`), for log pipelines and `jq -c` streams:
//!
//! - line 1: `{"record":"scan","schema_version":"1","tool":{..},"scan":{..},"coverage":[..],"summary":{..}}`
//!   The scan record says `"closing_record":"summary"`: it promises the closing line below.
//! - then one line per finding: `{"record":"finding", ...every field of the finding...}`
//!   (the same fields, with the same names and `null`s, as in the JSON document).
//! - last line: `{"record":"summary","findings":N,"summary":{..}}`, N the number of finding
//!   lines before it.
//!
//! A file cut off at a line boundary is therefore told from a whole one: a reader rejects a
//! file whose scan record promises a closing line that is missing, or whose count
//! disagrees with the finding lines read. A file from an earlier nhiscan (no promise) is
//! read with a warning that its completeness cannot be checked. In both forms, a
//! `summary.total` that disagrees with the findings listed is rejected.
//!
//! A reader skips records of other types, so that adding one later is not a breaking change.
//! This module must not change field names: both forms are the public contract.

use super::{FindingsFile, ScanInfo, Summary, Tool, SCHEMA_VERSION};
use crate::model::{Coverage, Finding};
use anyhow::{anyhow, bail, Context};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};

pub(super) fn render_json(file: &FindingsFile, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, file).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

/// The `closing_record` value of a scan record that promises a closing summary line.
const CLOSING_SUMMARY: &str = "summary";

#[derive(Serialize)]
struct ScanRecordRef<'a> {
    record: &'static str,
    schema_version: &'a str,
    tool: &'a Tool,
    scan: &'a ScanInfo,
    coverage: &'a [Coverage],
    summary: &'a Summary,
    closing_record: &'static str,
}

#[derive(Deserialize)]
struct ScanRecord {
    schema_version: String,
    tool: Tool,
    scan: ScanInfo,
    coverage: Vec<Coverage>,
    summary: Summary,
    /// Absent in files from earlier versions, which have no closing line.
    #[serde(default)]
    closing_record: Option<String>,
}

/// The closing line: how many finding lines precede it, and the summary again.
#[derive(Serialize, Deserialize)]
struct ClosingRecord<S> {
    findings: u64,
    summary: S,
}

#[derive(Serialize)]
struct ClosingRecordRef<'a> {
    record: &'static str,
    #[serde(flatten)]
    closing: ClosingRecord<&'a Summary>,
}

#[derive(Serialize)]
struct FindingRecordRef<'a> {
    record: &'static str,
    #[serde(flatten)]
    finding: &'a Finding,
}

pub(super) fn render_jsonl(file: &FindingsFile, w: &mut dyn Write) -> io::Result<()> {
    let head = ScanRecordRef {
        record: "scan",
        schema_version: &file.schema_version,
        tool: &file.tool,
        scan: &file.scan,
        coverage: &file.coverage,
        summary: &file.summary,
        closing_record: CLOSING_SUMMARY,
    };
    serde_json::to_writer(&mut *w, &head).map_err(io::Error::from)?;
    w.write_all(b"\n")?;
    for f in &file.findings {
        serde_json::to_writer(
            &mut *w,
            &FindingRecordRef {
                record: "finding",
                finding: f,
            },
        )
        .map_err(io::Error::from)?;
        w.write_all(b"\n")?;
    }
    let closing = ClosingRecordRef {
        record: CLOSING_SUMMARY,
        closing: ClosingRecord {
            findings: file.findings.len() as u64,
            summary: &file.summary,
        },
    };
    serde_json::to_writer(&mut *w, &closing).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

/// Refuse a document whose `summary.total` disagrees with the findings it lists: it was
/// cut short or edited, and a report of it would say one count and list another.
fn check_total(file: &FindingsFile, name: &str) -> anyhow::Result<()> {
    let listed = file.findings.len() as u64;
    if file.summary.total != listed {
        bail!(
            "{name} is incomplete or was edited: summary.total is {} but it lists {listed} finding{}",
            file.summary.total,
            if listed == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// True when `text` is JSON Lines: its first non-blank line is a complete JSON object with
/// a `record` key. A pretty-printed document's first line is a lone `{`, and a compact
/// document has no `record` key, so neither is mistaken for JSON Lines.
pub(super) fn looks_like_jsonl(text: &str) -> bool {
    let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return false;
    };
    matches!(
        serde_json::from_str::<serde_json::Value>(first),
        Ok(serde_json::Value::Object(m)) if m.contains_key("record")
    )
}

/// Refuse any schema version but ours, before field errors could hide the real cause.
pub(super) fn check_version(version: Option<&serde_json::Value>, name: &str) -> anyhow::Result<()> {
    match version {
        Some(serde_json::Value::String(v)) if v == SCHEMA_VERSION => Ok(()),
        Some(serde_json::Value::String(v)) => bail!(
            "{name} has schema_version \"{v}\"; this nhiscan ({}) reads schema_version \"{SCHEMA_VERSION}\" only",
            env!("CARGO_PKG_VERSION")
        ),
        Some(other) => bail!("{name} has an invalid schema_version {other}: expected the string \"{SCHEMA_VERSION}\""),
        None => bail!("{name} has no schema_version: it is not an nhiscan findings file"),
    }
}

pub(super) fn parse_json(text: &str, name: &str) -> anyhow::Result<FindingsFile> {
    let value: serde_json::Value =
        serde_json::from_str(text).with_context(|| format!("{name} is not valid JSON"))?;
    let serde_json::Value::Object(map) = &value else {
        bail!("{name} is not an nhiscan findings file: expected a JSON object at the top level");
    };
    check_version(map.get("schema_version"), name)?;
    // Parse the text again rather than the Value: serde_json then reports line and column.
    let file: FindingsFile = serde_json::from_str(text)
        .with_context(|| format!("{name} is not a valid findings file"))?;
    check_total(&file, name)?;
    Ok(file)
}

/// Parse JSON Lines, checking that the file is whole (see the module doc). A file that
/// cannot be checked (from an earlier version) is read, and `warnings` says so.
pub(super) fn parse_jsonl(
    text: &str,
    name: &str,
    warnings: &mut Vec<String>,
) -> anyhow::Result<FindingsFile> {
    let mut head: Option<ScanRecord> = None;
    let mut closing: Option<(usize, ClosingRecord<Summary>)> = None;
    let mut findings = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{name} line {n}: not valid JSON"))?;
        let serde_json::Value::Object(mut map) = value else {
            bail!("{name} line {n}: expected a JSON object");
        };
        let record = match map.remove("record") {
            Some(serde_json::Value::String(r)) => r,
            _ => bail!("{name} line {n}: no \"record\" type"),
        };
        match record.as_str() {
            "scan" => {
                if head.is_some() {
                    bail!("{name} line {n}: a second \"scan\" record");
                }
                check_version(map.get("schema_version"), name)?;
                let rec: ScanRecord = serde_json::from_value(serde_json::Value::Object(map))
                    .with_context(|| format!("{name} line {n}: invalid scan record"))?;
                head = Some(rec);
            }
            "finding" => {
                if head.is_none() {
                    bail!("{name} line {n}: a finding before the \"scan\" record (line 1 must be the scan record)");
                }
                if let Some((at, _)) = &closing {
                    bail!("{name} line {n}: a finding after the closing summary line (line {at})");
                }
                let f: Finding = serde_json::from_value(serde_json::Value::Object(map))
                    .with_context(|| format!("{name} line {n}: invalid finding"))?;
                findings.push(f);
            }
            CLOSING_SUMMARY => {
                if head.is_none() {
                    bail!("{name} line {n}: a closing summary before the \"scan\" record");
                }
                if let Some((at, _)) = &closing {
                    bail!(
                        "{name} line {n}: a second closing summary line (the first is line {at})"
                    );
                }
                let rec: ClosingRecord<Summary> =
                    serde_json::from_value(serde_json::Value::Object(map))
                        .with_context(|| format!("{name} line {n}: invalid closing summary"))?;
                closing = Some((n, rec));
            }
            // Record types added later are skipped, not fatal: see the module doc.
            _ => {}
        }
    }
    let head = head.ok_or_else(|| anyhow!("{name} has no \"scan\" record"))?;
    let read = findings.len() as u64;
    match (head.closing_record.as_deref(), &closing) {
        (_, Some((_, c))) if c.findings != read => bail!(
            "{name} is incomplete: its closing summary line counts {} findings, but {read} finding lines were read",
            c.findings
        ),
        (_, Some(_)) => {}
        (Some(CLOSING_SUMMARY), None) => bail!(
            "{name} is incomplete: its scan record promises a closing summary line, which is missing (the file ends after {read} finding line{}; it was cut off or is still being written)",
            if read == 1 { "" } else { "s" }
        ),
        (Some(other), None) => bail!(
            "{name}: its scan record promises a closing {other:?} record, which this nhiscan ({}) does not know and did not find",
            env!("CARGO_PKG_VERSION")
        ),
        (None, None) => warnings.push(format!(
            "{name} has no closing summary line (written by an earlier nhiscan): whether it is complete cannot be checked"
        )),
    }
    let file = FindingsFile {
        schema_version: head.schema_version,
        tool: head.tool,
        scan: head.scan,
        coverage: head.coverage,
        findings,
        summary: head.summary,
    };
    check_total(&file, name)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample;

    #[test]
    fn json_keeps_contract_nulls_and_round_trips() {
        let file = sample();
        let mut out = Vec::new();
        render_json(&file, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let f0 = &v["findings"][2];
        for key in [
            "owner",
            "created_at",
            "secret",
            "rule",
            "exception",
            "relation",
        ] {
            assert!(f0.as_object().unwrap().contains_key(key), "missing {key}");
        }
        assert!(f0["exception"].is_null());
        assert_eq!(v["schema_version"], "1");
        assert!(!looks_like_jsonl(&text));
        let back = parse_json(&text, "x.json").unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), v);
    }

    #[test]
    fn jsonl_round_trips() {
        let file = sample();
        let mut out = Vec::new();
        render_jsonl(&file, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + file.findings.len() + 1);
        let last: serde_json::Value = serde_json::from_str(lines[lines.len() - 1]).unwrap();
        assert_eq!(last["record"], "summary");
        assert_eq!(last["findings"], file.findings.len());
        let head: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(head["record"], "scan");
        assert_eq!(head["schema_version"], "1");
        assert!(head.get("findings").is_none());
        let f: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(f["record"], "finding");
        assert_eq!(f["id"], file.findings[0].id.as_str());
        assert_eq!(head["closing_record"], "summary");
        assert!(looks_like_jsonl(&text));
        let mut warnings = Vec::new();
        let back = parse_jsonl(&text, "x.jsonl", &mut warnings).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&file).unwrap()
        );
    }

    #[test]
    fn version_and_shape_errors_are_clear() {
        let err = parse_json(r#"{"schema_version":"2"}"#, "old.json").unwrap_err();
        assert!(
            format!("{err:#}").contains("schema_version \"2\""),
            "{err:#}"
        );
        let err = parse_json(r#"{"findings":[]}"#, "x.json").unwrap_err();
        assert!(format!("{err:#}").contains("no schema_version"));
        let err = parse_json("{\"schema_version\":\"1\",\n\"tool\":3}", "x.json").unwrap_err();
        assert!(format!("{err:#}").contains("x.json is not a valid findings file"));
        let err =
            parse_jsonl("{\"record\":\"finding\"}\n", "x.jsonl", &mut Vec::new()).unwrap_err();
        assert!(format!("{err:#}").contains("line 1"));
    }

    fn jsonl_lines() -> Vec<String> {
        let mut out = Vec::new();
        render_jsonl(&sample(), &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }

    #[test]
    fn jsonl_cut_at_a_line_boundary_is_rejected() {
        let lines = jsonl_lines();
        for keep in 1..lines.len() {
            let text = lines[..keep].join("\n") + "\n";
            let err = parse_jsonl(&text, "cut.jsonl", &mut Vec::new()).unwrap_err();
            let msg = format!("{err:#}");
            assert!(
                msg.contains("cut.jsonl is incomplete") && msg.contains("closing summary"),
                "{keep}: {msg}"
            );
        }
    }

    #[test]
    fn jsonl_closing_count_must_match_the_finding_lines() {
        let mut lines = jsonl_lines();
        lines.remove(2);
        let err = parse_jsonl(&(lines.join("\n") + "\n"), "x.jsonl", &mut Vec::new()).unwrap_err();
        assert!(
            format!("{err:#}").contains("counts 4 findings, but 3 finding lines were read"),
            "{err:#}"
        );
        let mut lines = jsonl_lines();
        let last = lines.pop().unwrap();
        lines.insert(2, last);
        let err = parse_jsonl(&(lines.join("\n") + "\n"), "x.jsonl", &mut Vec::new()).unwrap_err();
        assert!(
            format!("{err:#}").contains("after the closing summary"),
            "{err:#}"
        );
    }

    #[test]
    fn jsonl_from_an_earlier_version_is_read_with_a_warning() {
        let lines = jsonl_lines();
        let mut head: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        head.as_object_mut().unwrap().remove("closing_record");
        let mut old = vec![head.to_string()];
        old.extend_from_slice(&lines[1..lines.len() - 1]);
        let mut warnings = Vec::new();
        let f = parse_jsonl(&(old.join("\n") + "\n"), "old.jsonl", &mut warnings).unwrap();
        assert_eq!(f.findings.len(), 4);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("cannot be checked"), "{warnings:?}");
        // Cut short, its summary still gives it away.
        old.pop();
        let err = parse_jsonl(&(old.join("\n") + "\n"), "old.jsonl", &mut Vec::new()).unwrap_err();
        assert!(
            format!("{err:#}").contains("summary.total is 4 but it lists 3"),
            "{err:#}"
        );
    }

    #[test]
    fn json_whose_total_disagrees_with_its_findings_is_rejected() {
        let mut file = sample();
        file.findings.pop();
        let mut out = Vec::new();
        render_json(&file, &mut out).unwrap();
        let err = parse_json(std::str::from_utf8(&out).unwrap(), "x.json").unwrap_err();
        assert!(
            format!("{err:#}").contains("summary.total is 4 but it lists 3 findings"),
            "{err:#}"
        );
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(text in "(\\PC|\n){0,300}") {
            let _ = if looks_like_jsonl(&text) { parse_jsonl(&text, "p", &mut Vec::new()).map(|_| ()) } else { parse_json(&text, "p").map(|_| ()) };
        }
    }
}
