//! Evidence to owners: from an NHI's owner hints to candidate people, each with a
//! relation and a confidence in the contract's vocabulary. Pure functions over the
//! directory; knows nothing about HTTP, files or output formats.

use crate::hr::Directory;
use crate::model::{Confidence, Evidence, Nhi, Relation};

/// One person an NHI is tied to, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// Index into the directory's people.
    pub person: usize,
    pub relation: Relation,
    pub confidence: Confidence,
    /// Every piece of evidence that tied the NHI to this person (with ambiguity notes).
    pub evidence: Vec<Evidence>,
}

/// Every person the NHI's hints resolve to, strongest tie first. A person appears once,
/// with the strongest relation the evidence supports.
pub fn attribute(nhi: &Nhi, dir: &Directory) -> Vec<Attribution> {
    let _ = (nhi, dir);
    unimplemented!("attribution")
}
