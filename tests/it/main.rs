//! The one integration test binary: drives the real `nhiscan` binary (assert_cmd) and the
//! connectors against local servers (moto on 127.0.0.1). Never the internet.

mod attribution_eval;
mod aws;
mod cli;
mod conformance;
mod git;
mod github;
mod github_code;
mod host;
mod metadata;
mod moto;
mod offboard;
mod precision;
mod report;
mod report_html;
mod saas;
mod schema;
mod serve;
mod support;
