//! Roster CSV loading: header resolution (contract names, common HRIS spellings and the
//! `[hr.columns]` mapping), per-row validation with file and line, and merging several
//! sources while reporting duplicates.
//!
//! Bad rows become [`RosterIssue`]s and the rest still loads; only an unreadable file, a
//! missing header, a missing required column or a bad mapping key is an error. Must not
//! build the lookup index (the directory does that once everything is loaded).

use super::ident::{is_valid_email, normalize_identifier};
use super::{ColumnMapping, Person, PersonStatus, PersonType, Risk, RosterIssue};
use crate::model::shown;
use anyhow::{bail, Context};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::path::Path;

/// The contract's roster columns, in contract order.
pub const COLUMNS: &[&str] = &[
    "employee_id",
    "email",
    "name",
    "status",
    "end_date",
    "type",
    "manager_email",
    "aliases",
    "risk",
];

/// Extra columns we understand when an export has no `name`: joined into `name`.
const NAME_PARTS: &[&str] = &["first_name", "last_name"];

const REQUIRED: &[&str] = &["employee_id", "email", "status"];

/// Header spellings recognised without a mapping, as [`header_key`]s, best first. The
/// contract name itself always wins over these.
fn synonyms(column: &str) -> &'static [&'static str] {
    match column {
        "employee_id" => &[
            "employee_number",
            "employee_no",
            "employee_num",
            "employeeid",
            "employeenumber",
            "emp_id",
            "emp_no",
            "worker_id",
            "staff_id",
            "person_id",
            "personnel_number",
            "id",
        ],
        "email" => &[
            "work_email",
            "email_address",
            "work_email_address",
            "primary_email",
            "business_email",
            "corporate_email",
            "company_email",
            "user_email",
            "e_mail",
            "mail",
        ],
        "name" => &[
            "full_name",
            "display_name",
            "employee_name",
            "preferred_name",
            "legal_name",
            "worker_name",
        ],
        "status" => &[
            "employment_status",
            "employee_status",
            "worker_status",
            "hr_status",
            "active_status",
            "state",
        ],
        "end_date" => &[
            "termination_date",
            "term_date",
            "terminated_date",
            "separation_date",
            "last_day",
            "last_working_day",
            "last_day_of_work",
            "exit_date",
            "leave_date",
            "end",
        ],
        "type" => &[
            "employee_type",
            "worker_type",
            "employment_type",
            "person_type",
            "worker_category",
            "employee_class",
        ],
        "manager_email" => &[
            "manager_email_address",
            "manager_work_email",
            "supervisor_email",
            "reports_to_email",
            "line_manager_email",
        ],
        "aliases" => &[
            "alias",
            "other_identifiers",
            "identifiers",
            "usernames",
            "identities",
            "accounts",
        ],
        "risk" => &["risk_level", "risk_rating"],
        "first_name" => &["given_name", "firstname", "first"],
        "last_name" => &["family_name", "surname", "lastname", "last"],
        _ => &[],
    }
}

/// Header cell → comparison key: lowercase, runs of non-alphanumerics to one `_`
/// (`"Work Email"`, `"work-email"`, `"WORK_EMAIL"` → `work_email`).
fn header_key(h: &str) -> String {
    let mut out = String::with_capacity(h.len());
    for c in h
        .trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .flat_map(char::to_lowercase)
    {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// Which field index holds each column of one file.
#[derive(Debug, Default)]
struct Columns {
    at: HashMap<&'static str, usize>,
    width: usize,
    /// Columns the contract does not name (`department`, `location`), by header key:
    /// kept on each person for `[[app]] when` rules.
    extra: Vec<(String, usize)>,
}

impl Columns {
    fn resolve(
        headers: &[String],
        mapping: &ColumnMapping,
        path: &Path,
    ) -> anyhow::Result<Columns> {
        let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
        let mut cols = Columns {
            at: HashMap::new(),
            width: headers.len(),
            extra: Vec::new(),
        };
        let mut taken = vec![false; headers.len()];
        let all = COLUMNS.iter().chain(NAME_PARTS.iter());
        // Mapped columns first so that auto-recognition cannot steal their header.
        for &col in all.clone() {
            let Some(mapped) = mapping.columns.get(col) else {
                continue;
            };
            let want = header_key(mapped);
            match keys.iter().enumerate().position(|(i, k)| !taken[i] && *k == want) {
                Some(i) => {
                    taken[i] = true;
                    cols.at.insert(col, i);
                }
                // Extra sources may use the contract's names even when the main export does
                // not; only fail when nothing else provides the column either.
                None if auto(col, &keys, &taken).is_some() => {}
                None => bail!(
                    "HR roster {}: column `{}` (mapped to `{}` in [hr.columns]) not found; the header has: {}",
                    path.display(),
                    mapped,
                    col,
                    header_list(headers)
                ),
            }
        }
        for &col in all {
            if cols.at.contains_key(col) {
                continue;
            }
            if let Some(i) = auto(col, &keys, &taken) {
                taken[i] = true;
                cols.at.insert(col, i);
            }
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|c| !cols.at.contains_key(c))
            .collect();
        if !missing.is_empty() {
            bail!(
                "HR roster {}: missing required column{} {} (the header has: {}); rename the column or map it in [hr.columns], e.g. {} = \"Your Header\"",
                path.display(),
                if missing.len() > 1 { "s" } else { "" },
                missing.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
                header_list(headers),
                missing[0]
            );
        }
        cols.extra = keys
            .iter()
            .enumerate()
            .filter(|(i, k)| !taken[*i] && !k.is_empty())
            .map(|(i, k)| (k.clone(), i))
            .collect();
        Ok(cols)
    }

    fn get<'a>(&self, col: &str, fields: &'a [String]) -> &'a str {
        self.at
            .get(col)
            .and_then(|&i| fields.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    }
}

/// The header index for `col` by contract name, then by known spelling.
fn auto(col: &str, keys: &[String], taken: &[bool]) -> Option<usize> {
    std::iter::once(col)
        .chain(synonyms(col).iter().copied())
        .find_map(|want| {
            keys.iter()
                .enumerate()
                .position(|(i, k)| !taken[i] && k == want)
        })
}

/// Reject mapping keys that are not contract columns, before any file is read.
pub fn check_mapping(mapping: &ColumnMapping) -> anyhow::Result<()> {
    for key in mapping.columns.keys() {
        if !COLUMNS.contains(&key.as_str()) && !NAME_PARTS.contains(&key.as_str()) {
            bail!(
                "unknown HR column mapping key `{}` in [hr.columns] (expected one of: {})",
                key,
                COLUMNS
                    .iter()
                    .chain(NAME_PARTS.iter())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}

/// HR exports are mostly UTF-8, but Excel on Windows still writes Windows-1252; a Latin-1
/// reading keeps names legible instead of rejecting the row.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// Accepts the contract values and common HRIS spellings, case-insensitively:
/// `inactive`, `separated`, `former`, `offboarded`, ... → terminated; `on leave`, `loa`,
/// `leave of absence`, ... → leave; `employed`, `current` → active.
pub fn parse_status(s: &str) -> Option<PersonStatus> {
    let k = header_key(s).replace('_', " ");
    Some(match k.as_str() {
        "active" | "employed" | "current" | "enabled" => PersonStatus::Active,
        "terminated" | "termed" | "inactive" | "separated" | "former" | "offboarded"
        | "deactivated" | "departed" | "resigned" | "retired" | "dismissed" | "disabled"
        | "left" => PersonStatus::Terminated,
        "leave"
        | "on leave"
        | "loa"
        | "leave of absence"
        | "on leave of absence"
        | "paid leave"
        | "unpaid leave"
        | "parental leave"
        | "medical leave"
        | "sabbatical" => PersonStatus::Leave,
        _ => return None,
    })
}

/// `employee` (default), `contractor`, `vendor`, and their usual HRIS spellings.
pub fn parse_type(s: &str) -> Option<PersonType> {
    let k = header_key(s).replace('_', " ");
    Some(match k.as_str() {
        "" | "employee" | "full time" | "part time" | "fte" | "permanent" | "regular" | "staff"
        | "intern" => PersonType::Employee,
        "contractor" | "contract" | "contingent" | "contingent worker" | "consultant" | "temp"
        | "temporary" | "freelance" | "freelancer" => PersonType::Contractor,
        "vendor" | "supplier" | "partner" | "third party" | "external" => PersonType::Vendor,
        _ => return None,
    })
}

/// `standard` (default) or `high`; `normal`/`low`/`medium` read as standard and
/// `elevated`/`critical`/`privileged` as high.
pub fn parse_risk(s: &str) -> Option<Risk> {
    Some(match header_key(s).as_str() {
        "" | "standard" | "normal" | "default" | "low" | "medium" | "none" | "no" | "false"
        | "n" | "0" => Risk::Standard,
        "high" | "elevated" | "critical" | "privileged" | "yes" | "true" | "y" | "1" => Risk::High,
        _ => return None,
    })
}

/// An ISO date, or the date part of an ISO date-time (`2026-11-20T17:00:00Z`), or one of
/// the spellings HRIS exports and spreadsheets write: `2026/11/20`, `20261120`,
/// `20.11.2026` (dots are day-first), `20-Nov-2026`, `Nov 20, 2026`, `20 November 2026`,
/// and `11/20/2026` or `20/11/2026` when the order is unambiguous (one part above 12, or
/// both equal). A trailing time (`11/20/2026 0:00`) is ignored.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    parse_date_inner(s).ok()
}

fn parse_date_inner(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    let expected = || format!("invalid end_date `{}` (expected YYYY-MM-DD)", shown(s));
    let date = match s.char_indices().nth(10) {
        Some((i, 'T' | 't' | ' ')) if s.as_bytes().get(4) == Some(&b'-') => &s[..i],
        _ => s,
    };
    // A time after the date (`11/20/2026 0:00`, `20 Nov 2026 5:00 PM`).
    let mut tokens: Vec<&str> = date.split_whitespace().collect();
    while tokens.len() > 1 {
        let last = tokens[tokens.len() - 1];
        if last.contains(':') || last.eq_ignore_ascii_case("am") || last.eq_ignore_ascii_case("pm")
        {
            tokens.pop();
        } else {
            break;
        }
    }
    let joined = tokens.join(" ");
    let date = joined.as_str();
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(date, fmt) {
            return Ok(d);
        }
    }
    if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(d) = NaiveDate::parse_from_str(date, "%Y%m%d") {
            return Ok(d);
        }
    }
    for fmt in [
        "%d-%b-%Y",
        "%d %b %Y",
        "%b %d, %Y",
        "%b %d %Y",
        "%d-%B-%Y",
        "%d %B %Y",
        "%B %d, %Y",
        "%B %d %Y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(date, fmt) {
            return Ok(d);
        }
    }
    // `a/b/YYYY` (or `a-b-YYYY`): month-first in US exports, day-first elsewhere. Only an
    // order the numbers themselves settle is accepted.
    let parts: Vec<&str> = date.split(['/', '-']).collect();
    if let [a, b, y] = parts.as_slice() {
        let num = |t: &str| {
            (!t.is_empty() && t.len() <= 2 && t.bytes().all(|c| c.is_ascii_digit()))
                .then(|| t.parse::<u32>().ok())
                .flatten()
        };
        let year = (y.len() == 4).then(|| y.parse::<i32>().ok()).flatten();
        if let (Some(a), Some(b), Some(y)) = (num(a), num(b), year) {
            let (m, d) = match (a > 12, b > 12) {
                (false, true) => (a, b),
                (true, false) => (b, a),
                (false, false) if a == b => (a, b),
                (false, false) => {
                    return Err(format!(
                        "ambiguous end_date `{}` (month/day or day/month?); write it as YYYY-MM-DD",
                        shown(s)
                    ))
                }
                (true, true) => return Err(expected()),
            };
            return NaiveDate::from_ymd_opt(y, m, d).ok_or_else(expected);
        }
    }
    Err(expected())
}

/// The header cells for an error message. A file without a header row puts its first
/// data row here, so each cell is shown like any other input value.
fn header_list(headers: &[String]) -> String {
    headers
        .iter()
        .map(|h| shown(h))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One file's rows: valid people (with `source` set) and issues.
pub fn read_file(
    path: &Path,
    mapping: &ColumnMapping,
) -> anyhow::Result<(Vec<Person>, Vec<RosterIssue>)> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading HR roster {}", path.display()))?;
    if crate::codec::is_utf16(&bytes) {
        bail!(
            "HR roster {}: the file is UTF-16 (Excel's \"Unicode Text\"); save it as CSV UTF-8",
            path.display()
        );
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .delimiter(sniff_delimiter(body))
        // Rows with the wrong number of fields are issues, not a fatal parse error.
        .flexible(true)
        .from_reader(body);
    let headers: Vec<String> = rdr
        .byte_headers()
        .with_context(|| format!("reading HR roster {}", path.display()))?
        .iter()
        .map(|h| decode(h).trim().to_string())
        .collect();
    if headers.iter().all(|h| h.is_empty()) {
        bail!(
            "HR roster {}: no header row (expected columns: {})",
            path.display(),
            COLUMNS.join(", ")
        );
    }
    let cols = Columns::resolve(&headers, mapping, path)?;
    let mut people = Vec::new();
    let mut issues = Vec::new();
    let delimiter = sniff_delimiter(body);
    // Rows are read one physical line at a time; a line whose quotes do not balance is
    // joined with the next ones (a quoted value with a line break) only while the result
    // still parses as one row. Otherwise that one line is reported and reading goes on
    // with the next line: a stray `"` must not swallow every row after it.
    let data_start = rdr.position().byte() as usize;
    let rest = &body[data_start.min(body.len())..];
    let first_line = body[..data_start.min(body.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
        + 1;
    let lines: Vec<&[u8]> = rest.split(|b| *b == b'\n').collect();
    let parse = |chunk: &[u8]| -> Option<Vec<String>> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(chunk);
        let mut rec = csv::ByteRecord::new();
        match r.read_byte_record(&mut rec) {
            Ok(true) => {}
            _ => return None,
        }
        let fields = rec.iter().map(decode).collect();
        // A second record means the chunk did not end inside the row.
        match r.read_byte_record(&mut rec) {
            Ok(false) => Some(fields),
            _ => None,
        }
    };
    let quotes_open = |l: &[u8]| l.iter().filter(|b| **b == b'"').count() % 2 == 1;
    let mut i = 0;
    while i < lines.len() {
        let line = first_line + i as u64;
        let trim = |l: &[u8]| -> Vec<u8> { l.strip_suffix(b"\r").unwrap_or(l).to_vec() };
        let mut chunk = trim(lines[i]);
        let mut end = i;
        let mut open = quotes_open(&chunk);
        while open && end + 1 < lines.len() {
            end += 1;
            chunk.push(b'\n');
            chunk.extend_from_slice(&trim(lines[end]));
            open = quotes_open(&chunk);
        }
        let joined = if open { None } else { parse(&chunk) };
        let (fields, next) = match joined.map(|f| (parse_row(&cols, &f).is_ok(), f)) {
            // A clean multi-line row, or any single line: take it.
            Some((ok, f)) if ok || end == i => (f, end + 1),
            // The quote never closed, or closing it made a broken row: this line alone.
            _ => {
                let alone = trim(lines[i]);
                if quotes_open(&alone) {
                    issues.push(RosterIssue {
                        path: path.to_path_buf(),
                        line,
                        reason: "unbalanced quote `\"`: row skipped (the rows after it still load)"
                            .to_string(),
                    });
                    i += 1;
                    continue;
                }
                (parse(&alone).unwrap_or_default(), i + 1)
            }
        };
        i = next;
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match parse_row(&cols, &fields) {
            Ok((mut p, warnings)) => {
                p.source = format!("{}:{}", path.display(), line);
                people.push(p);
                issues.extend(warnings.into_iter().map(|reason| RosterIssue {
                    path: path.to_path_buf(),
                    line,
                    reason,
                }));
            }
            Err(reason) => issues.push(RosterIssue {
                path: path.to_path_buf(),
                line,
                reason,
            }),
        }
    }
    Ok((people, issues))
}

/// The field separator, from the header line: `,` unless the header has more unquoted
/// `;` (Excel in locales with a decimal comma) or tabs (TSV exports).
fn sniff_delimiter(body: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quote = false;
    for &b in body {
        match b {
            b'"' => in_quote = !in_quote,
            b'\n' if !in_quote => break,
            b',' if !in_quote => counts[0] += 1,
            b';' if !in_quote => counts[1] += 1,
            b'\t' if !in_quote => counts[2] += 1,
            _ => {}
        }
    }
    let seps = [b',', b';', b'\t'];
    let best = (0..3)
        .max_by_key(|&i| (counts[i], usize::from(i == 0)))
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        seps[best]
    }
}

/// One row → a person plus problems with optional fields (the row still loads without
/// them: a bad end date must not drop a leaver from the roster), or why the row cannot
/// load at all (a required field is missing or wrong, or the cells are misaligned).
fn parse_row(cols: &Columns, fields: &[String]) -> Result<(Person, Vec<String>), String> {
    // Spreadsheets drop trailing empty cells or add trailing separators; neither shifts a
    // column. Extra cells with text do: an unquoted comma inside a value.
    if fields.len() > cols.width && fields[cols.width..].iter().any(|f| !f.trim().is_empty()) {
        return Err(format!(
            "expected {} fields, found {} (an unquoted comma inside a value?)",
            cols.width,
            fields.len()
        ));
    }
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let get = |c: &str| cols.get(c, fields);
    if fields.len() < cols.width {
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|c| cols.at.get(c).is_some_and(|&i| i >= fields.len()))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "expected {} fields, found {} (no {})",
                cols.width,
                fields.len(),
                missing.join(", ")
            ));
        }
    }
    let employee_id = get("employee_id");
    if employee_id.is_empty() {
        problems.push("missing employee_id".to_string());
    }
    let email = get("email");
    if email.is_empty() {
        problems.push("missing email".to_string());
    } else if !is_valid_email(email) {
        problems.push(format!("invalid email `{}`", shown(email)));
    }
    let status_raw = get("status");
    let status = if status_raw.is_empty() {
        problems.push("missing status".to_string());
        None
    } else {
        let s = parse_status(status_raw);
        if s.is_none() {
            problems.push(format!(
                "unknown status `{}` (expected active, terminated or leave)",
                shown(status_raw)
            ));
        }
        s
    };
    let end_raw = get("end_date");
    let end_date = if end_raw.is_empty() {
        None
    } else {
        match parse_date_inner(end_raw) {
            Ok(d) => Some(d),
            Err(why) => {
                warnings.push(format!("{why}; row loaded without end_date"));
                None
            }
        }
    };
    let type_raw = get("type");
    let person_type = parse_type(type_raw).unwrap_or_else(|| {
        warnings.push(format!(
            "unknown type `{}` (expected employee, contractor or vendor); row loaded as employee",
            shown(type_raw)
        ));
        PersonType::Employee
    });
    let risk_raw = get("risk");
    // Under-rating a dismissal is the costly mistake: a risk nobody can read is high.
    let risk = parse_risk(risk_raw).unwrap_or_else(|| {
        warnings.push(format!(
            "unknown risk `{}` (expected standard or high); row loaded as high",
            shown(risk_raw)
        ));
        Risk::High
    });
    let manager = get("manager_email");
    let manager = if !manager.is_empty() && !is_valid_email(manager) {
        warnings.push(format!(
            "invalid manager_email `{}`; row loaded without manager",
            shown(manager)
        ));
        ""
    } else {
        manager
    };
    let mut name = get("name").to_string();
    if name.is_empty() {
        name = [get("first_name"), get("last_name")]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
    }
    let aliases = split_aliases(get("aliases"));
    let Some(status) = status else {
        return Err(problems.join("; "));
    };
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    let person = Person {
        employee_id: employee_id.to_string(),
        email: email.to_lowercase(),
        name: (!name.is_empty()).then_some(name),
        status,
        end_date,
        person_type,
        manager_email: (!manager.is_empty()).then(|| manager.to_lowercase()),
        aliases,
        risk,
        source: String::new(),
        extra: cols
            .extra
            .iter()
            .filter_map(|(k, i)| {
                let v = fields.get(*i)?.trim();
                (!v.is_empty()).then(|| (k.clone(), v.to_string()))
            })
            .collect(),
    };
    Ok((person, warnings))
}

/// `;`-separated aliases, trimmed, empties dropped, duplicates (after normalisation) once.
pub fn split_aliases(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for a in s.split(';').map(str::trim).filter(|a| !a.is_empty()) {
        let key = normalize_identifier(a);
        if key.is_empty() || seen.contains(&key) {
            continue;
        }
        seen.push(key);
        out.push(a.to_string());
    }
    out
}

/// Merges rows from several files into one people list, first row wins. A later row with
/// the same employee id *and* the same email is the same person (say, listed in both the
/// main roster and the contractors file): its aliases and missing fields are merged in and
/// a conflicting status is reported. Any other clash on id or email is an issue.
#[derive(Default)]
pub struct Merger {
    pub people: Vec<Person>,
    pub issues: Vec<RosterIssue>,
    by_id: HashMap<String, usize>,
    by_email: HashMap<String, usize>,
}

impl Merger {
    pub fn add_file(&mut self, path: &Path, people: Vec<Person>, issues: Vec<RosterIssue>) {
        self.issues.extend(issues);
        for p in people {
            self.add(path, p);
        }
    }

    fn add(&mut self, path: &Path, p: Person) {
        let id_key = p.employee_id.trim().to_lowercase();
        let email_key = normalize_identifier(&p.email);
        let by_id = self.by_id.get(&id_key).copied();
        let by_email = self.by_email.get(&email_key).copied();
        let line = p
            .source
            .rsplit_once(':')
            .and_then(|(_, l)| l.parse().ok())
            .unwrap_or(0);
        let issue = |reason: String| RosterIssue {
            path: path.to_path_buf(),
            line,
            reason,
        };
        match (by_id, by_email) {
            (None, None) => {
                let i = self.people.len();
                self.by_id.insert(id_key, i);
                self.by_email.insert(email_key, i);
                self.people.push(p);
            }
            (Some(a), Some(b)) if a == b => {
                let first = &mut self.people[a];
                if first.status != p.status {
                    self.issues.push(issue(format!(
                        "same person as {} but status `{}` conflicts with `{}`; kept `{}`",
                        first.source,
                        p.status.as_str(),
                        first.status.as_str(),
                        first.status.as_str()
                    )));
                }
                merge_into(first, p);
            }
            (Some(a), _) => {
                let first = &self.people[a];
                self.issues.push(issue(format!(
                    "duplicate employee_id `{}` (first at {}); row skipped",
                    shown(&p.employee_id),
                    first.source
                )));
            }
            // A rehire: the same email under a new employee id, one row terminated and
            // the other not. One human, employed now: the current row is the person, and
            // the earlier row's aliases (an old login) stay theirs, so access left from
            // the first employment is an active person's, not an orphan.
            (None, Some(b))
                if (self.people[b].status == PersonStatus::Terminated)
                    != (p.status == PersonStatus::Terminated) =>
            {
                let first_is_current = self.people[b].status != PersonStatus::Terminated;
                let (current, former) = if first_is_current {
                    (self.people[b].clone(), p)
                } else {
                    (p, self.people[b].clone())
                };
                self.issues.push(issue(format!(
                    "rehire: email `{}` has a terminated row ({}, employee_id `{}`) and a current one ({}, employee_id `{}`, {}): the current one is the person, with the earlier row's aliases",
                    current.email,
                    former.source,
                    shown(&former.employee_id),
                    current.source,
                    shown(&current.employee_id),
                    current.status.as_str(),
                )));
                let id = current.employee_id.trim().to_lowercase();
                let mut merged = current;
                // The earlier employee id still names them (old tickets, tags).
                if !former.employee_id.trim().is_empty() {
                    merged
                        .aliases
                        .push(format!("employee_id:{}", former.employee_id.trim()));
                }
                for a in former.aliases {
                    let key = normalize_identifier(&a);
                    if !merged
                        .aliases
                        .iter()
                        .any(|x| normalize_identifier(x) == key)
                    {
                        merged.aliases.push(a);
                    }
                }
                self.by_id.insert(id, b);
                self.people[b] = merged;
            }
            (None, Some(b)) => {
                let first = &self.people[b];
                self.issues.push(issue(format!(
                    "duplicate email `{}` (first at {}); row skipped",
                    p.email, first.source
                )));
            }
        }
    }
}

/// Fill what the first row lacks from a later row of the same person; aliases are unioned
/// and the higher risk wins (under-rating a dismissal is the costly mistake).
fn merge_into(first: &mut Person, later: Person) {
    for a in later.aliases {
        let key = normalize_identifier(&a);
        if !first.aliases.iter().any(|x| normalize_identifier(x) == key) {
            first.aliases.push(a);
        }
    }
    if first.name.is_none() {
        first.name = later.name;
    }
    if first.end_date.is_none() {
        first.end_date = later.end_date;
    }
    if first.manager_email.is_none() {
        first.manager_email = later.manager_email;
    }
    if later.risk == Risk::High {
        first.risk = Risk::High;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_keys() {
        assert_eq!(header_key(" Work Email "), "work_email");
        assert_eq!(header_key("\u{feff}Employee-ID"), "employee_id");
        assert_eq!(header_key("E-mail (work)"), "e_mail_work");
        assert_eq!(header_key("EMPLOYMENT_STATUS"), "employment_status");
    }

    #[test]
    fn utf16_without_a_bom_is_told_apart_from_utf8() {
        let le: Vec<u8> = "email,status\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "email,status\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert!(crate::codec::is_utf16(&le) && crate::codec::is_utf16(&be));
        assert!(!crate::codec::is_utf16(
            b"email,status\nalice@acme.example,active\n"
        ));
        assert!(!crate::codec::is_utf16(b"e\0"));
    }

    #[test]
    fn statuses_types_risks_dates() {
        assert_eq!(parse_status("Active"), Some(PersonStatus::Active));
        assert_eq!(parse_status("TERMINATED"), Some(PersonStatus::Terminated));
        assert_eq!(parse_status("Inactive"), Some(PersonStatus::Terminated));
        assert_eq!(parse_status("separated"), Some(PersonStatus::Terminated));
        assert_eq!(parse_status("On Leave"), Some(PersonStatus::Leave));
        assert_eq!(parse_status("on_leave"), Some(PersonStatus::Leave));
        assert_eq!(parse_status("LOA"), Some(PersonStatus::Leave));
        assert_eq!(parse_status("leave"), Some(PersonStatus::Leave));
        assert_eq!(parse_status("maybe"), None);
        assert_eq!(parse_type(""), Some(PersonType::Employee));
        assert_eq!(parse_type("Contractor"), Some(PersonType::Contractor));
        assert_eq!(parse_type("Full-Time"), Some(PersonType::Employee));
        assert_eq!(parse_type("vendor"), Some(PersonType::Vendor));
        assert_eq!(parse_type("robot"), None);
        assert_eq!(parse_risk(""), Some(Risk::Standard));
        assert_eq!(parse_risk("HIGH"), Some(Risk::High));
        assert_eq!(parse_risk("extreme"), None);
        assert_eq!(
            parse_date("2026-11-20"),
            NaiveDate::from_ymd_opt(2026, 11, 20)
        );
        assert_eq!(
            parse_date("2026-11-20T17:00:00Z"),
            NaiveDate::from_ymd_opt(2026, 11, 20)
        );
        assert_eq!(
            parse_date("20/11/2026"),
            NaiveDate::from_ymd_opt(2026, 11, 20)
        );
        assert_eq!(parse_date("01/02/2026"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("2026-11-2é"), None);
    }

    #[test]
    fn hris_date_spellings() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 20);
        for s in [
            "2026-11-20",
            " 2026-11-20 ",
            "2026-11-20 00:00:00",
            "2026/11/20",
            "2026.11.20",
            "20261120",
            "20.11.2026",
            "11/20/2026",
            "11/20/2026 0:00",
            "11/20/2026 5:00 PM",
            "20/11/2026",
            "11-20-2026",
            "20-Nov-2026",
            "20 nov 2026",
            "Nov 20, 2026",
            "November 20, 2026",
            "20 November 2026",
        ] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        assert_eq!(parse_date("5/5/2026"), NaiveDate::from_ymd_opt(2026, 5, 5));
        for s in [
            "03/04/2026",
            "13/14/2026",
            "2026-02-30",
            "soon",
            "11/20/26",
            "",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        assert!(parse_date_inner("03/04/2026")
            .unwrap_err()
            .contains("ambiguous"));
    }

    #[test]
    fn delimiter_is_sniffed_from_the_header() {
        assert_eq!(sniff_delimiter(b"employee_id,email,status\n"), b',');
        assert_eq!(
            sniff_delimiter(b"Employee ID;Work Email;Status\r\nE1;a;b"),
            b';'
        );
        assert_eq!(sniff_delimiter(b"id\temail\tstatus\n"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b\",email,status\n"), b',');
        assert_eq!(sniff_delimiter(b"email\n"), b',');
    }

    #[test]
    fn aliases_split_trim_dedupe() {
        assert_eq!(
            split_aliases(" alice ; GitHub:alice-dev;;github:ALICE-DEV; alice@old.example "),
            vec!["alice", "GitHub:alice-dev", "alice@old.example"]
        );
        assert!(split_aliases("").is_empty());
    }

    #[test]
    fn unknown_mapping_key_is_an_error() {
        let mut m = ColumnMapping::default();
        m.columns.insert("mail".into(), "Work Email".into());
        let err = check_mapping(&m).unwrap_err().to_string();
        assert!(err.contains("`mail`"), "{err}");
        m.columns.clear();
        m.columns.insert("email".into(), "Work Email".into());
        m.columns.insert("first_name".into(), "Given".into());
        assert!(check_mapping(&m).is_ok());
    }
}
