//! dualhome run reports: the result model of a run and its writers.
//!
//! The harness runs scenarios and fills a [`RunReport`] (one [`ScenarioReport`] per scenario file, with
//! [`ExpectationOutcome`]s and [`Finding`]s); this crate checks it, writes it as JUnit XML ([`junit`]), JSON
//! ([`json`], schema in `docs/reports.md`) and Markdown for a CI job summary ([`markdown`]), merges the JSON reports of
//! shards ([`merge()`]), and says which exit code the run implies ([`Exit`]).
//!
//! Contract:
//! - Deterministic: no wall-clock time, no hash-map order; the same report always gives the same bytes.
//! - Checked: every writer refuses a report whose statuses or totals contradict its outcomes ([`RunReport::check`]).
//! - Atomic: [`write_reports`] renders everything in memory, writes temporary files beside the targets and renames
//!   them, so an error leaves no half-written report.
//!
//! Packet captures (pcapng) are written by the simulator during the run; a report only lists their paths
//! ([`Artifacts`]).

pub mod error;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod outcome;
pub mod run;
pub mod scenario;
pub mod shard;
pub mod write;

pub use error::ReportError;
pub use merge::merge;
pub use outcome::{format_ns, ExpectationOutcome, Finding, FindingLocation, Severity, SourceLocation, Verdict};
pub use run::{Exit, RunReport, ToolInfo, Totals, SCHEMA_VERSION};
pub use scenario::{Artifacts, Backend, Capture, ScenarioReport, ScenarioStatus};
pub use shard::Shard;
pub use write::{write_reports, Format, Formats};
