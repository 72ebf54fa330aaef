//! dualhome run reports: the result model of a run and its writers.
//!
//! The harness runs scenarios and fills a [`RunReport`] (one [`ScenarioReport`] per scenario file, with
//! [`ExpectationOutcome`]s and [`Finding`]s); this crate checks it, writes it as JUnit XML ([`junit`]), JSON
//! ([`json`], schema in `docs/reports.md`) and Markdown for a CI job summary ([`markdown`]), merges the JSON reports of
//! shards ([`merge()`]), prints the end-of-run summary for a terminal ([`terminal`]), and says which exit code the run
//! implies ([`Exit`]).
//!
//! Contract:
//! - Deterministic: no wall-clock time, no hash-map order; the same report always gives the same bytes.
//! - Checked: every writer refuses a report whose statuses or totals contradict its outcomes ([`RunReport::check`]).
//! - Atomic: [`write_reports`] renders everything in memory, writes temporary files beside the targets and renames
//!   them, so an error leaves no half-written report.
//!
//! ```
//! use dualhome_reports::{
//!     Artifacts, Backend, ExpectationOutcome, Formats, RunReport, ScenarioReport, ScenarioStatus, ToolInfo, Verdict,
//! };
//!
//! let outcome = ExpectationOutcome {
//!     id: "expect[0]".into(),
//!     kind: "reachable".into(),
//!     description: "vm/0 reaches the director by tcp/25555".into(),
//!     at_ns: None,
//!     verdict: Verdict::Failed,
//!     expected: "established".into(),
//!     observed: Some("no route to host".into()),
//!     location: None,
//! };
//! let scenario = ScenarioReport {
//!     file: "scenarios/seed/offlink.yml".into(),
//!     name: "off-link director".into(),
//!     description: String::new(),
//!     tags: vec![],
//!     seed: 42,
//!     backend: Backend::Sim,
//!     simulated_ns: 5_000_000_000,
//!     events: 1_200,
//!     frames: 310,
//!     status: ScenarioStatus::from_outcomes(std::slice::from_ref(&outcome)),
//!     expectations: vec![outcome],
//!     findings: vec![],
//!     artifacts: Artifacts::default(),
//! };
//! let tool = ToolInfo { name: "dualhome".into(), version: "0.1.0".into() };
//! let report = RunReport::new(tool, vec!["run".into()], None, vec![scenario])?;
//! assert_eq!(report.exit().code(), 1);
//!
//! let dir = tempfile::tempdir()?;
//! let written = dualhome_reports::write_reports(&report, dir.path(), &Formats::parse("junit,json,md")?)?;
//! assert_eq!(written.len(), 3);
//! let summary = std::fs::read_to_string(dir.path().join("summary.md"))?;
//! assert!(summary.contains("- observed: `no route to host`"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Packet captures (pcapng) are written by the simulator during the run; a report only lists their paths
//! ([`Artifacts`]).

#![warn(missing_docs)]

mod de;
pub mod error;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod outcome;
pub mod run;
pub mod scenario;
pub mod shard;
pub mod terminal;
pub mod write;

pub use error::ReportError;
pub use merge::merge;
pub use outcome::{format_ns, ExpectationOutcome, Finding, FindingLocation, Severity, SourceLocation, Verdict};
pub use run::{Exit, RunReport, ToolInfo, Totals, SCHEMA_VERSION};
pub use scenario::{Artifacts, Backend, Capture, ScenarioReport, ScenarioStatus};
pub use shard::Shard;
pub use write::{write_reports, Format, Formats};
