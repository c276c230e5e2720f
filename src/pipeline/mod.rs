//! The run itself: connectors in parallel, correlation across connectors, attribution,
//! the leaver/sweep/secrets policy (selection, severity, remediation, exceptions) and the
//! findings file. The CLI calls in here; nothing here parses arguments.
