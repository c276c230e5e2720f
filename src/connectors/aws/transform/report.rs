//! The IAM credential report: parsing it and matching its key columns to access keys.

#[allow(unused_imports)]
use super::*;

/// One row of the IAM credential report that matters here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportRow {
    pub arn: String,
    /// `(last_rotated, last_used)` for access key slots 1 and 2, present when active or
    /// rotated ("N/A" slots are left out).
    pub key_slots: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
}

pub(super) fn report_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Parse the credential report CSV (`GetCredentialReport` content) into rows by user ARN.
pub fn parse_credential_report(csv_bytes: &[u8]) -> Result<BTreeMap<String, ReportRow>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_bytes);
    let headers = rdr
        .headers()
        .map_err(|e| format!("credential report header: {e}"))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let arn_col = col("arn").ok_or("credential report has no arn column")?;
    let slots: Vec<(Option<usize>, Option<usize>)> = (1..=2)
        .map(|i| {
            (
                col(&format!("access_key_{i}_last_rotated")),
                col(&format!("access_key_{i}_last_used_date")),
            )
        })
        .collect();
    let mut out = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("credential report row: {e}"))?;
        let Some(arn) = rec.get(arn_col) else {
            continue;
        };
        let mut row = ReportRow {
            arn: arn.to_string(),
            key_slots: Vec::new(),
        };
        for (rot, used) in &slots {
            let Some(rotated) = rot.and_then(|c| rec.get(c)).and_then(report_time) else {
                continue;
            };
            let last_used = used.and_then(|c| rec.get(c)).and_then(report_time);
            row.key_slots.push((rotated, last_used));
        }
        out.insert(arn.to_string(), row);
    }
    Ok(out)
}

/// Match a user's keys to credential-report slots by creation time (the report names no
/// key ids; `last_rotated` is the key's creation time). Returns matched key id → last
/// use; keys that match no slot, or whose slot is ambiguous, are left out so the caller
/// can ask GetAccessKeyLastUsed instead.
pub fn match_report_keys(
    row: &ReportRow,
    keys: &[AccessKeyData],
) -> BTreeMap<String, Option<DateTime<Utc>>> {
    let mut out = BTreeMap::new();
    for k in keys {
        let Some(created) = k.created else { continue };
        let same_second = |t: &DateTime<Utc>| t.timestamp() == created.timestamp();
        let slots: Vec<_> = row
            .key_slots
            .iter()
            .filter(|(rot, _)| same_second(rot))
            .collect();
        let twins = keys
            .iter()
            .filter(|o| o.created.is_some_and(|c| same_second(&c)))
            .count();
        if slots.len() == 1 && twins == 1 {
            out.insert(k.id.clone(), slots[0].1);
        }
    }
    out
}
