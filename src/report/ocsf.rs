//! OCSF 1.1.0 Detection Finding events (class 2004), one per finding, as a JSON array:
//! for security data lakes (Amazon Security Lake, Splunk, ...).
//!
//! Mapping: `finding_info.uid` is the finding id, `finding_info.types` its kind,
//! `resources[0]` the NHI (`uid` the resource, `type` the kind), `severity_id` 1–5 from
//! info–critical, `confidence_id` 1–3 from possible–confirmed, `time` the scan's finish
//! (epoch ms). OCSF `status` is the finding's workflow state, not the NHI's: `New`, or
//! `Suppressed` under an approved exception; the NHI's own status (`active`, ...) goes to
//! `unmapped.nhi_status`, with owner, relation, confidence, evidence and secret reference.

use super::FindingsFile;
use crate::model::{Confidence, Finding, Severity};
use serde_json::{json, Value};
use std::io::{self, Write};

pub(crate) fn severity_id(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

fn confidence_id(c: Confidence) -> (u8, &'static str) {
    match c {
        Confidence::Possible => (1, "Low"),
        Confidence::Likely => (2, "Medium"),
        Confidence::Confirmed => (3, "High"),
    }
}

fn epoch_ms(rfc3339: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.timestamp_millis())
}

fn event(file: &FindingsFile, f: &Finding, time: i64) -> Value {
    let (sev_id, sev) = severity_id(f.severity);
    let (conf_id, conf) = confidence_id(f.confidence);
    let (status_id, status) = if f.exception.is_some() {
        (3, "Suppressed")
    } else {
        (1, "New")
    };
    let desc = match &f.owner {
        Some(o) => format!("{} (owner {o}, {})", f.title, super::relation_label(f)),
        None => format!("{} ({})", f.title, super::relation_label(f)),
    };
    let mut finding_info = json!({
        "uid": f.id,
        "title": f.title,
        "desc": desc,
        "types": [f.kind.as_str()],
        "product_uid": file.tool.name,
    });
    if let (Some(rule), Value::Object(m)) = (&f.rule, &mut finding_info) {
        m.insert(
            "analytic".into(),
            json!({ "uid": rule, "name": rule, "type_id": 1, "type": "Rule" }),
        );
    }
    if let (Some(t), Value::Object(m)) = (f.created_at, &mut finding_info) {
        m.insert("created_time".into(), json!(t.timestamp_millis()));
    }
    json!({
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "severity_id": sev_id,
        "severity": sev,
        "confidence_id": conf_id,
        "confidence": conf,
        "status_id": status_id,
        "status": status,
        "time": time,
        "message": f.title,
        "finding_info": finding_info,
        "resources": [{ "uid": f.resource, "type": f.kind.as_str(), "name": f.resource, "labels": [f.connector] }],
        "remediation": { "desc": format!("{}: {}", serde_json::to_value(f.remediation.action).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(), f.remediation.detail) },
        "metadata": {
            "product": { "name": file.tool.name, "vendor_name": "nhiscan", "version": file.tool.version },
            "version": "1.1.0",
            "correlation_uid": file.scan.id,
        },
        "unmapped": {
            "owner": f.owner,
            "relation": f.relation,
            "confidence": f.confidence,
            "evidence": f.evidence,
            "nhi_status": f.status,
            "connector": f.connector,
            "scan_mode": file.scan.mode,
            "secret": f.secret,
            "location": f.location,
            "exception": f.exception,
            "last_used_at": f.last_used_at,
        },
    })
}

pub(crate) fn to_value(file: &FindingsFile) -> Value {
    let time = epoch_ms(&file.scan.finished_at)
        .or_else(|| epoch_ms(&file.scan.started_at))
        .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
    Value::Array(file.findings.iter().map(|f| event(file, f, time)).collect())
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
    fn detection_finding_events() {
        let v = to_value(&sample());
        let events = v.as_array().unwrap();
        assert_eq!(events.len(), 4);
        let e = &events[0];
        assert_eq!(e["class_uid"], 2004);
        assert_eq!(e["category_uid"], 2);
        assert_eq!(e["activity_id"], 1);
        assert_eq!(e["type_uid"], 200401);
        assert_eq!(e["severity_id"], 4);
        assert_eq!(e["finding_info"]["uid"], "a1");
        assert_eq!(e["finding_info"]["types"][0], "aws_access_key");
        assert_eq!(e["resources"][0]["type"], "aws_access_key");
        assert_eq!(e["metadata"]["version"], "1.1.0");
        assert_eq!(e["metadata"]["product"]["name"], "nhiscan");
        assert_eq!(e["time"], 1_795_255_500_000_i64);
        assert_eq!(e["unmapped"]["owner"], "alice@acme.example");
        assert_eq!(e["unmapped"]["relation"], "created");
        assert_eq!(events[1]["severity_id"], 5);
        assert_eq!(events[2]["severity_id"], 3);
        assert_eq!(events[3]["severity_id"], 2);
        assert_eq!(events[3]["status"], "Suppressed");
    }
}
