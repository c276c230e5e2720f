//! The `aws` connector: IAM users, access keys, roles, SSH keys, service-specific
//! credentials and signing certificates of one or more accounts, with CloudTrail creator
//! events where readable. Uses only read-only IAM/STS/CloudTrail/Organizations calls; the
//! least-privilege policy is `connectors/aws/policy.json`.

use super::{Connector, ScanContext, Sink};
use crate::model::Coverage;
use serde::Deserialize;
use std::path::Path;

/// `[[connector]] type = "aws"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// Appears in findings as `aws:NAME`. Default `default`.
    #[serde(default)]
    pub name: Option<String>,
    /// Named profile; default credential chain otherwise.
    #[serde(default)]
    pub profile: Option<String>,
    /// Region for STS and CloudTrail (IAM is global). Default `us-east-1`.
    #[serde(default)]
    pub region: Option<String>,
    /// Emulators and VPC endpoints.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// Accounts to crawl by assuming `assume_role` in each.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Role ARN template with `{account}`.
    #[serde(default)]
    pub assume_role: Option<String>,
    /// List the organization's accounts (Organizations ListAccounts) and crawl each.
    #[serde(default)]
    pub organization: bool,
    /// Read CloudTrail LookupEvents for creator attribution. Default true.
    #[serde(default)]
    pub cloudtrail: Option<bool>,
    /// Accounts crawled at once. Default 4.
    #[serde(default)]
    pub concurrency: Option<usize>,
}

pub struct AwsConnector {
    cfg: AwsConfig,
}

impl AwsConnector {
    pub fn new(cfg: &AwsConfig, base: &Path) -> anyhow::Result<Self> {
        let _ = base;
        Ok(AwsConnector { cfg: cfg.clone() })
    }
}

impl Connector for AwsConnector {
    fn name(&self) -> String {
        format!("aws:{}", self.cfg.name.as_deref().unwrap_or("default"))
    }
    fn scan(&self, ctx: &ScanContext<'_>, sink: &dyn Sink) -> Vec<Coverage> {
        let _ = (ctx, sink);
        unimplemented!("aws connector")
    }
}
