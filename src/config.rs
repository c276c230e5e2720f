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
    pub expires: String,
}

/// Scan settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanConfig {
    /// Extra rules directory, added to the built-in rules.
    #[serde(default)]
    pub rules: Option<PathBuf>,
    /// Files larger than this are skipped (counted in coverage). Bytes; default 10 MiB.
    #[serde(default)]
    pub max_file_size: Option<u64>,
    /// Allowlist file (finding ids and path globs). Default: `.nhiscanignore` beside the config.
    #[serde(default)]
    pub ignore_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub hr: HrConfig,
    #[serde(default)]
    pub scan: ScanConfig,
    #[serde(default)]
    pub connector: Vec<ConnectorConfig>,
    #[serde(default)]
    pub exception: Vec<ExceptionConfig>,
    /// Directory of the config file; relative paths resolve against it.
    #[serde(skip)]
    pub base: PathBuf,
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        let mut cfg: Config = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("config {}: {}", path.display(), e.to_string().trim()))?;
        cfg.hr
            .columns
            .validate()
            .map_err(|e| anyhow::anyhow!("config {}: [hr.columns]: {e:#}", path.display()))?;
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
}
