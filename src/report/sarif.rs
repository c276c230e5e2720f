//! SARIF 2.1.0, shaped for GitHub code scanning (`upload-sarif`) and other SARIF viewers.
//!
//! - One rule per distinct `rule` id, or per `kind` for findings no rule produced; a rule's
//!   `security-severity` and default level follow the most severe finding it has.
//! - `level`: critical and high are `error`, medium `warning`, low and info `note`.
//! - `partialFingerprints."nhiscanFindingId/v1"` is the finding id, so alerts track across
//!   runs exactly as `nhiscan diff` does.
//! - Findings in files have a physical location (path and line). GitHub rejects the
//!   *whole* upload if any result lacks an artifact URI, so findings with no file (cloud,
//!   SaaS and host identities) are anchored to a stable pseudo-path
//!   `nhiscan/<connector>/<resource>` (percent-encoded), with the real identifier in
//!   `logicalLocations` and `properties.resource`.
//! - Findings under an approved exception carry an accepted external `suppression`.

use super::FindingsFile;
use crate::model::{Finding, Severity};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFO_URI: &str = "https://github.com/nhiscan/nhiscan";

pub(crate) fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score bands: critical > 9.0, high 7.0–8.9, medium
/// 4.0–6.9, low 0.1–3.9.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn rule_id(f: &Finding) -> String {
    f.rule
        .clone()
        .unwrap_or_else(|| f.kind.as_str().to_string())
}

/// Percent-encode everything but RFC 3986 unreserved characters (and `/` when asked), so
/// that hostile paths cannot smuggle a scheme, query or fragment into the URI.
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/');
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn artifact_uri(f: &Finding) -> String {
    match &f.location {
        Some(loc) => {
            let path = loc.path.replace('\\', "/");
            if let Some(abs) = path.strip_prefix('/') {
                format!("file:///{}", encode(abs, true))
            } else {
                let rel = path.trim_start_matches("./");
                encode(rel, true)
            }
        }
        None => format!(
            "nhiscan/{}/{}",
            encode(&f.connector, false),
            encode(&f.resource, false)
        ),
    }
}

fn message(f: &Finding) -> String {
    let mut m = f.title.clone();
    match (&f.owner, f.relation) {
        (Some(o), Some(r)) => m.push_str(&format!(
            " (owner {o}, {}, {})",
            r.as_str(),
            f.confidence.as_str()
        )),
        (Some(o), None) => m.push_str(&format!(" (owner {o}, {})", f.confidence.as_str())),
        (None, _) => m.push_str(&format!(" (no active owner: {})", super::relation_label(f))),
    }
    m
}

fn result(f: &Finding, rule_index: usize) -> Value {
    let mut physical = Map::new();
    physical.insert("artifactLocation".into(), json!({ "uri": artifact_uri(f) }));
    let line = f
        .location
        .as_ref()
        .map(|l| l.line)
        .filter(|l| *l >= 1)
        .unwrap_or(1);
    physical.insert("region".into(), json!({ "startLine": line }));
    let location = json!({
        "physicalLocation": physical,
        "logicalLocations": [{ "name": f.resource, "fullyQualifiedName": format!("{}/{}", f.connector, f.resource), "kind": "resource" }],
    });

    let mut props = Map::new();
    props.insert("kind".into(), json!(f.kind.as_str()));
    props.insert("connector".into(), json!(f.connector));
    props.insert("resource".into(), json!(f.resource));
    props.insert("owner".into(), json!(f.owner));
    props.insert("relation".into(), json!(f.relation));
    props.insert("confidence".into(), json!(f.confidence));
    props.insert("severity".into(), json!(f.severity));
    props.insert("status".into(), json!(f.status));
    props.insert("evidence".into(), json!(f.evidence));
    props.insert("remediation".into(), json!(f.remediation));
    if let Some(s) = &f.secret {
        props.insert("secret_redacted".into(), json!(s.redacted));
        props.insert("secret_sha256".into(), json!(s.sha256));
    }
    if let Some(t) = f.created_at {
        props.insert("created_at".into(), json!(t));
    }
    if let Some(t) = f.last_used_at {
        props.insert("last_used_at".into(), json!(t));
    }
    if let Some(loc) = &f.location {
        props.insert("repo".into(), json!(loc.repo));
        props.insert("commit".into(), json!(loc.commit));
        props.insert("author_email".into(), json!(loc.author_email));
        props.insert("in_head".into(), json!(loc.in_head));
    }
    props.insert("tags".into(), json!(["security", "nhi", f.kind.as_str()]));

    let mut r = json!({
        "ruleId": rule_id(f),
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": message(f) },
        "locations": [location],
        "partialFingerprints": { "nhiscanFindingId/v1": f.id },
        "properties": props,
    });
    if let (Some(e), Value::Object(m)) = (&f.exception, &mut r) {
        m.insert(
            "suppressions".into(),
            json!([{ "kind": "external", "status": "accepted",
                     "justification": format!("{} (approved by {}, expires {})", e.reason, e.approved_by, e.expires) }]),
        );
    }
    r
}

pub(crate) fn to_value(file: &FindingsFile) -> Value {
    // Rules in first-seen order, each with the worst severity among its findings.
    let mut order: Vec<String> = Vec::new();
    let mut rules: BTreeMap<String, (Severity, &Finding)> = BTreeMap::new();
    for f in &file.findings {
        let id = rule_id(f);
        match rules.get_mut(&id) {
            Some((sev, _)) => *sev = (*sev).max(f.severity),
            None => {
                order.push(id.clone());
                rules.insert(id, (f.severity, f));
            }
        }
    }
    let index: BTreeMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let rule_objs: Vec<Value> = order
        .iter()
        .filter_map(|id| rules.get(id).map(|r| (id, r)))
        .map(|(id, (sev, first))| {
            let kind = first.kind.as_str();
            let short = match &first.rule {
                Some(_) => format!("Secret matched by rule {id} ({kind})"),
                None => format!("Non-human identity or credential: {kind}"),
            };
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": short },
                "fullDescription": { "text": format!("{short}. Each result names the owner, how it is tied to them (relation, confidence), the evidence and the remediation.") },
                "helpUri": INFO_URI,
                "defaultConfiguration": { "level": level(*sev) },
                "properties": { "security-severity": security_severity(*sev), "tags": ["security", "nhi", kind] },
            })
        })
        .collect();
    let results: Vec<Value> = file
        .findings
        .iter()
        .map(|f| result(f, index.get(rule_id(f).as_str()).copied().unwrap_or(0)))
        .collect();

    let incomplete: Vec<Value> = file
        .incomplete_sources()
        .map(|c| json!({ "level": "error", "message": { "text": format!("{} scan {}: {}", c.connector, super::summary::status_word(c.status), c.errors.join("; ")) } }))
        .collect();

    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": file.tool.name,
                "version": file.tool.version,
                "semanticVersion": file.tool.version,
                "informationUri": INFO_URI,
                "rules": rule_objs,
            }},
            "automationDetails": { "id": format!("nhiscan/{}/", file.scan.mode) },
            "invocations": [{
                "executionSuccessful": file.is_complete(),
                "toolExecutionNotifications": incomplete,
            }],
            "results": results,
            "properties": { "scan_id": file.scan.id, "mode": file.scan.mode, "coverage": file.coverage },
        }],
    })
}

pub(super) fn render(file: &FindingsFile, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &to_value(file)).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample;

    #[test]
    fn has_required_keys_for_github() {
        let v = to_value(&sample());
        assert_eq!(v["version"], "2.1.0");
        assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
        let run = &v["runs"][0];
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "nhiscan");
        assert!(driver["informationUri"].is_string());
        let rules = driver["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            [
                "aws_access_key",
                "aws-access-key-id",
                "host_admin",
                "github_deploy_key"
            ]
        );
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 4);
        for r in results {
            assert!(r["ruleId"].is_string());
            assert!(r["message"]["text"].is_string());
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            assert!(!uri.is_empty());
            assert!(
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap()
                    >= 1
            );
            assert!(r["partialFingerprints"]["nhiscanFindingId/v1"].is_string());
            let idx = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[idx]["id"], r["ruleId"]);
        }
        assert_eq!(results[1]["level"], "error");
        assert_eq!(results[2]["level"], "warning");
        assert_eq!(results[3]["level"], "note");
        assert_eq!(
            results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "-evil%7Cpath.py"
        );
        assert_eq!(
            results[1]["locations"][0]["physicalLocation"]["region"]["startLine"],
            12
        );
        assert!(
            results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("nhiscan/aws%3Aprod/arn%3Aaws%3Aiam")
        );
        assert_eq!(results[0]["properties"]["secret_sha256"], "ab".repeat(32));
        assert!(results[2]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("no active owner"));
        assert_eq!(results[3]["suppressions"][0]["status"], "accepted");
        assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    }
}
