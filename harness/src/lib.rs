//! dualhome: a deterministic simulator and conformance harness for multihomed (IPv4 + IPv6) cloud VMs.
//!
//! This library holds what the `dualhome` CLI and the scenario test runner share. [`scenario`] is the scenario file
//! format: model, loader, validator and JSON Schema; [`run`]
//! executes a scenario on the simulator and [`findings`] holds the analyzers and their codes.

#![warn(missing_docs)]

pub mod findings;
pub mod kernel;
pub mod run;
pub mod scenario;
