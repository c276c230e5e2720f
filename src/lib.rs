//! nhiscan: find the non-human identities and credentials tied to people who left.
//!
//! Data flows one way: HR roster -> directory; connectors -> NHI records; files and
//! history -> matcher -> secrets; all records -> correlate -> attribute -> policy ->
//! report. Each stage is a module that can be tested without the others.

pub mod attribution;
pub mod cli;
pub mod codec;
pub mod config;
pub mod connectors;
pub mod hr;
pub mod matcher;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod state;
