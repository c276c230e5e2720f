//! The scanning engine: compiles a [`RuleSet`] into a literal prefilter plus per-rule
//! regexes, and finds secrets in byte buffers. Pure and thread-safe (`&self` scans from
//! many rayon workers); knows nothing about files, git or people.

use crate::model::SecretBytes;
use crate::rules::{Rule, RuleError, RuleSet};
use std::sync::Arc;

/// One secret found in a buffer.
#[derive(Debug, Clone)]
pub struct Match {
    pub rule: Arc<Rule>,
    /// Byte range of the secret within the buffer.
    pub start: usize,
    pub end: usize,
    /// 1-based line number of `start`.
    pub line: u64,
    pub secret: SecretBytes,
}

pub struct Matcher {
    _private: (),
}

impl Matcher {
    pub fn new(rules: RuleSet) -> Result<Matcher, RuleError> {
        let _ = rules;
        unimplemented!("matcher")
    }
    /// Every secret in `data`, in order of position. Lines carrying an inline
    /// `nhiscan:allow` marker are skipped. Invalid UTF-8 is fine.
    pub fn scan(&self, data: &[u8]) -> Vec<Match> {
        let _ = data;
        unimplemented!("matcher")
    }
    pub fn rules(&self) -> &[Arc<Rule>] {
        unimplemented!("matcher")
    }
}
