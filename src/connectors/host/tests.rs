//! Connector-level tests: `HostConnector::scan` on fixture roots.
