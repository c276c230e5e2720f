//! The contract's JSON document and its JSON Lines form, both ways (render and parse).
//!
//! JSON Lines (`--format jsonl`), for log pipelines and `jq -c` streams:
//!
//! - line 1: `{"record":"scan","schema_version":"1","tool":{..},"scan":{..},"coverage":[..],"summary":{..}}`
//! - then one line per finding: `{"record":"finding", ...every field of the finding...}`
//!   (the same fields, with the same names and `null`s, as in the JSON document).
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

#[derive(Serialize)]
struct ScanRecordRef<'a> {
    record: &'static str,
    schema_version: &'a str,
    tool: &'a Tool,
    scan: &'a ScanInfo,
    coverage: &'a [Coverage],
    summary: &'a Summary,
}

#[derive(Deserialize)]
struct ScanRecord {
    schema_version: String,
    tool: Tool,
    scan: ScanInfo,
    coverage: Vec<Coverage>,
    summary: Summary,
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
    serde_json::from_str(text).with_context(|| format!("{name} is not a valid findings file"))
}

pub(super) fn parse_jsonl(text: &str, name: &str) -> anyhow::Result<FindingsFile> {
    let mut head: Option<ScanRecord> = None;
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
                let f: Finding = serde_json::from_value(serde_json::Value::Object(map))
                    .with_context(|| format!("{name} line {n}: invalid finding"))?;
                findings.push(f);
            }
            // Record types added later are skipped, not fatal: see the module doc.
            _ => {}
        }
    }
    let head = head.ok_or_else(|| anyhow!("{name} has no \"scan\" record"))?;
    Ok(FindingsFile {
        schema_version: head.schema_version,
        tool: head.tool,
        scan: head.scan,
        coverage: head.coverage,
        findings,
        summary: head.summary,
    })
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
        assert_eq!(lines.len(), 1 + file.findings.len());
        let head: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(head["record"], "scan");
        assert_eq!(head["schema_version"], "1");
        assert!(head.get("findings").is_none());
        let f: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(f["record"], "finding");
        assert_eq!(f["id"], file.findings[0].id.as_str());
        assert!(looks_like_jsonl(&text));
        let back = parse_jsonl(&text, "x.jsonl").unwrap();
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
        let err = parse_jsonl("{\"record\":\"finding\"}\n", "x.jsonl").unwrap_err();
        assert!(format!("{err:#}").contains("line 1"));
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(text in "(\\PC|\n){0,300}") {
            let _ = if looks_like_jsonl(&text) { parse_jsonl(&text, "p").map(|_| ()) } else { parse_json(&text, "p").map(|_| ()) };
        }
    }
}
