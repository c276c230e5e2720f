//! `nhiscan.toml`: parsing, validation (unknown keys and connector types are errors that
//! name the key and the file), and resolving paths against the config file's directory.

use crate::connectors::ConnectorConfig;
use crate::hr::ColumnMapping;
use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HrConfig {
    /// Primary roster CSV. Required for sweep.
    #[serde(default)]
    pub roster: Option<PathBuf>,
    /// Other sources of truth with the same columns (contractors, vendors).
    #[serde(default)]
    pub extra: Vec<PathBuf>,
    /// Column names of an HRIS export, by contract column: `email = "Work Email"`.
    #[serde(default)]
    pub columns: ColumnMapping,
}

/// An approved, time-bound exception.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionConfig {
    /// A finding id, or a resource.
    pub finding: String,
    pub reason: String,
    pub approved_by: String,
    /// ISO date; the exception stops applying after this day.
    #[serde(deserialize_with = "date_string")]
    pub expires: String,
}

/// Scan settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanConfig {
    /// Extra rules directory, added to the built-in rules.
    #[serde(default)]
    pub rules: Option<PathBuf>,
    /// Files larger than this are not scanned: counted in coverage, and the scan is partial
    /// unless they are binary. Bytes; default 64 MiB.
    #[serde(default)]
    pub max_file_size: Option<u64>,
    /// Allowlist file (finding ids and path globs). Default: `.nhiscanignore` beside the config.
    #[serde(default)]
    pub ignore_file: Option<PathBuf>,
    /// Leaver: also list, as low-severity findings, the secrets the leaver could read only
    /// because they committed to the repository (`--exposure`). Default false: the
    /// summary counts them.
    #[serde(default)]
    pub exposure: bool,
    /// How long the connectors of a run may take (`30m`, `2h`, `1h30m`, or seconds):
    /// when it passes, the ones still running are stopped and recorded as `partial` or
    /// `failed` with error class `timeout` (exit 3). `--deadline` overrides it. Default:
    /// none.
    #[serde(default, deserialize_with = "deadline_string")]
    pub deadline: Option<std::time::Duration>,
}

/// `[scan] deadline`: a duration string (`30m`) or a number of seconds.
fn deadline_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<std::time::Duration>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(u64),
        Text(String),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Secs(n) => n.to_string(),
        Raw::Text(s) => s,
    };
    crate::connectors::runtime::parse_duration(&text)
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("[scan] deadline: {e}")))
}

/// `[state]`: the offboarding store.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    /// SQLite file (created with mode 0600). Default: `nhiscan-state.db` beside the config.
    #[serde(default)]
    pub path: Option<PathBuf>,
}

/// `[sla]`: how long IT has to remove a leaver's access, from the HR event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaConfig {
    /// Hours for a standard exit. Default 24.
    #[serde(default = "default_standard_hours")]
    pub standard_hours: u32,
    /// Hours for a high-risk exit (roster `risk = high`). Default 4.
    #[serde(default = "default_high_risk_hours")]
    pub high_risk_hours: u32,
}

impl Default for SlaConfig {
    fn default() -> Self {
        SlaConfig {
            standard_hours: default_standard_hours(),
            high_risk_hours: default_high_risk_hours(),
        }
    }
}

fn default_standard_hours() -> u32 {
    24
}
fn default_high_risk_hours() -> u32 {
    4
}

/// `[[app]]`: an application with no API; every case (or the cases whose roster row
/// matches `when`) gets a checklist item its owner signs off.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    pub name: String,
    /// Who removes access and signs off (an email).
    pub owner: String,
    /// How access is removed (shown on the case).
    #[serde(default)]
    pub remove: Option<String>,
    /// Only for people whose roster row has these values (`department = "Finance"`),
    /// by column name as in the roster file; empty: every case.
    #[serde(default)]
    pub when: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub hr: HrConfig,
    #[serde(default)]
    pub scan: ScanConfig,
    #[serde(default, deserialize_with = "numbered_connectors")]
    pub connector: Vec<ConnectorConfig>,
    #[serde(default)]
    pub exception: Vec<ExceptionConfig>,
    #[serde(default)]
    pub state: StateConfig,
    #[serde(default)]
    pub sla: SlaConfig,
    #[serde(default)]
    pub app: Vec<AppConfig>,
    /// Directory of the config file; relative paths resolve against it.
    #[serde(skip)]
    pub base: PathBuf,
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// `[[connector]]` tables, each read on its own so that an error says which one it is in
/// (the TOML parser can only point at the first `[[connector]]` header of the array).
fn numbered_connectors<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<ConnectorConfig>, D::Error> {
    use serde::de::Error;
    let tables: Vec<toml::Table> = match toml::Value::deserialize(d)? {
        toml::Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                toml::Value::Table(t) => Ok(t),
                other => Err(D::Error::custom(format!(
                    "each [[connector]] must be a table, got {}",
                    other.type_str()
                ))),
            })
            .collect::<Result<_, _>>()?,
        toml::Value::Table(_) => {
            return Err(D::Error::custom(
                "connectors are an array of tables: write [[connector]], not [connector]",
            ))
        }
        other => {
            return Err(D::Error::custom(format!(
                "connector must be an array of [[connector]] tables, got {}",
                other.type_str()
            )))
        }
    };
    tables
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let ty = match t.get("type").and_then(|v| v.as_str()) {
                Some(ty) => format!(" (type = {ty:?})"),
                None => String::new(),
            };
            ConnectorConfig::deserialize(toml::Value::Table(t)).map_err(|e| {
                D::Error::custom(format!(
                    "[[connector]] number {}{ty}: {}",
                    i + 1,
                    e.message().trim()
                ))
            })
        })
        .collect()
}

/// `expires` as a quoted ISO date (`"2027-01-31"`) or a bare TOML date (`2027-01-31`).
fn date_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error;
    match toml::Value::deserialize(d)? {
        toml::Value::String(s) => Ok(s),
        toml::Value::Datetime(dt) => Ok(dt.to_string()),
        other => Err(D::Error::custom(format!(
            "expires must be an ISO date (YYYY-MM-DD), got {}",
            other.type_str()
        ))),
    }
}

/// The TOML error, at the line of the key it is about. A `[[connector]]` table is read on
/// its own (see [`numbered_connectors`]), so the parser can only point at the start of the
/// array; the line is found again here from the table's number and the key the message
/// names (`type` for an unknown connector type), else the table's own header line.
fn error_at_own_line(e: &toml::de::Error, text: &str) -> String {
    let shown = crate::model::toml_error_line(e, text);
    let msg = e.message();
    let Some(n) = msg
        .strip_prefix("[[connector]] number ")
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|d| d.parse::<usize>().ok())
    else {
        return shown;
    };
    let key = if msg.contains("unknown variant") {
        Some("type")
    } else {
        msg.split_once("unknown field `")
            .and_then(|(_, r)| r.split_once('`'))
            .map(|(k, _)| k)
    };
    let Some((line, col)) = connector_line(text, n, key) else {
        return shown;
    };
    match shown.split_once(": ") {
        Some((_, rest)) => format!("TOML error at line {line}, column {col}: {rest}"),
        None => shown,
    }
}

/// The line (1-based) of `key` in the table `[table]` (a dotted name, `hr.columns`) of
/// `text`, when it is written there as `key = ...`.
fn table_key_line(text: &str, table: &str, key: &str) -> Option<usize> {
    let bare = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
            .collect()
    };
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.split('#').next().unwrap_or("").trim();
        if t.starts_with('[') {
            inside =
                !t.starts_with("[[") && bare(t.trim_matches(|c| c == '[' || c == ']')) == table;
            continue;
        }
        if inside {
            if let Some((lhs, _)) = t.split_once('=') {
                if bare(lhs) == key {
                    return Some(i + 1);
                }
            }
        }
    }
    None
}

/// Line and column (1-based) of `key` in the `n`th `[[connector]]` table of `text`, else
/// of that table's header.
fn connector_line(text: &str, n: usize, key: Option<&str>) -> Option<(usize, usize)> {
    let mut seen = 0;
    let mut header = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with('[') {
            if header.is_some() {
                break;
            }
            let name = t.trim_start_matches('[');
            if t.starts_with("[[") && name.trim_start().starts_with("connector") {
                let rest = name
                    .trim_start()
                    .trim_start_matches("connector")
                    .trim_start();
                if rest.starts_with(']') {
                    seen += 1;
                    if seen == n {
                        header = Some((i + 1, line.len() - t.len() + 1));
                    }
                }
            }
            continue;
        }
        if header.is_none() {
            continue;
        }
        let Some(k) = key else { continue };
        let lhs = t.split('=').next().unwrap_or("").trim();
        if t.contains('=') && lhs.trim_matches(|c| c == '"' || c == '\'') == k {
            return Some((i + 1, line.len() - t.len() + 1));
        }
    }
    header
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = crate::codec::read_utf8(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        let mut cfg: Config = toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "config {}: {}",
                path.display(),
                error_at_own_line(&e, &text)
            )
        })?;
        cfg.hr.columns.validate().map_err(|e| {
            // A key the mapping does not know is named at its own line, as the parser
            // names the keys it rejects.
            let msg = format!("{e:#}");
            let line = msg
                .split_once("key `")
                .and_then(|(_, r)| r.split_once('`'))
                .and_then(|(key, _)| table_key_line(&text, "hr.columns", key));
            match line {
                Some(n) => {
                    anyhow::anyhow!("config {}: line {n}: [hr.columns]: {msg}", path.display())
                }
                None => anyhow::anyhow!("config {}: [hr.columns]: {msg}", path.display()),
            }
        })?;
        // Exceptions are checked here too so that a bad date names the file.
        crate::pipeline::Exceptions::new(&cfg.exception)
            .map_err(|e| anyhow::anyhow!("config {}: [[exception]]: {e:#}", path.display()))?;
        cfg.base = path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .to_path_buf();
        cfg.path = Some(path.to_path_buf());
        Ok(cfg)
    }

    pub fn resolve(&self, p: &Path) -> PathBuf {
        crate::connectors::resolve_path(&self.base, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_errors_name_line_and_column_but_never_quote_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        // FAKE token pasted without quotes (a syntax error), then as a wrong-typed value.
        let tok = format!("ghp_{}", "FAKE0config0Leak0Tok0aB3dE5fG7hJk9Q");
        for (text, line) in [
            (format!("[hr]\nroster = \"r.csv\"\n\n[[connector]]\ntype = \"github\"\norg = \"a\"\ntoken_env={tok}\n"), 7),
            (format!("[[connector]]\ntype = \"git\"\npaths = \"{tok}\"\n"), 1),
        ] {
            std::fs::write(&p, &text).unwrap();
            let err = format!("{:#}", Config::load(&p).unwrap_err());
            assert!(!err.contains(&tok), "{err}");
            assert!(err.contains("c.toml") && err.contains(&format!("line {line}")), "{err}");
        }
    }

    #[test]
    fn unknown_key_in_connector_is_an_error_naming_it() {
        let err =
            toml::from_str::<Config>("[[connector]]\ntype = \"git\"\npaths = [\".\"]\nbogus = 1\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("bogus"), "{err}");
    }

    #[test]
    fn unknown_connector_type_is_an_error_naming_it() {
        let err = toml::from_str::<Config>("[[connector]]\ntype = \"ftp\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("ftp"), "{err}");
    }

    #[test]
    fn unknown_top_level_key_is_an_error() {
        let err = toml::from_str::<Config>("[hrr]\nroster = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("hrr"), "{err}");
    }

    #[test]
    fn github_and_saas_parse_and_check_their_keys() {
        let cfg: Config = toml::from_str(
            "[[connector]]\ntype = \"github\"\norg = \"acme\"\napi_url = \"https://ghe.example\"\ntoken_env = \"GITHUB_TOKEN\"\nname = \"main\"\n\
             [[connector]]\ntype = \"saas\"\nspec = \"okta\"\nbase_url = \"https://acme.okta.com\"\ntoken_env = \"OKTA_API_TOKEN\"\n",
        )
        .unwrap();
        assert_eq!(cfg.connector.len(), 2);
        let err = toml::from_str::<Config>(
            "[[connector]]\ntype = \"git\"\npaths = []\n[[connector]]\ntype = \"saas\"\nspec = \"okta\"\ntoken = \"x\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`token`") && err.contains("number 2"), "{err}");
    }

    #[test]
    fn exception_expiry_may_be_a_bare_toml_date() {
        let cfg: Config = toml::from_str(
            "[[exception]]\nfinding = \"x\"\nreason = \"r\"\napproved_by = \"a\"\nexpires = 2027-01-31\n",
        )
        .unwrap();
        assert_eq!(cfg.exception[0].expires, "2027-01-31");
        let err = toml::from_str::<Config>(
            "[[exception]]\nfinding = \"x\"\nreason = \"r\"\napproved_by = \"a\"\nexpires = 5\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("ISO date"), "{err}");
    }

    #[test]
    fn an_unknown_key_in_a_connector_is_reported_at_its_own_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        for (text, line) in [
            ("[[connector]]\ntype = \"git\"\npaths = [\".\"]\n\n[[connector]]\ntype = \"aws\"\nname = \"x\"\n  bogus = 2\n", "line 8, column 3"),
            ("[hr]\nroster = \"r.csv\"\n[[connector]]\ntype = \"gitx\"\n", "line 4, column 1"),
            // A wrong type names no key: the table's own header, not the first table's.
            ("[[connector]]\ntype = \"git\"\npaths = [\".\"]\n[[connector]]\ntype = \"host\"\nroots = 5\n", "line 4, column 1"),
            ("[scan]\nmax_file_size = 1\nbogus = 1\n", "line 3, column 1"),
        ] {
            std::fs::write(&p, text).unwrap();
            let err = format!("{:#}", Config::load(&p).unwrap_err());
            assert!(err.contains(line), "{line}: {err}");
        }
    }

    #[test]
    fn single_connector_table_says_to_use_double_brackets() {
        let err = toml::from_str::<Config>("[connector]\ntype = \"git\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("[[connector]]"), "{err}");
    }
}
