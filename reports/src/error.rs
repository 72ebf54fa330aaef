//! The one error type of this crate: what can go wrong building, checking, reading, writing or merging a report.

use std::path::PathBuf;

/// Why a report could not be built, read, written or merged.
///
/// Every variant names what it is about (a file, a scenario, a shard) so that the CLI can print it as is.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A JSON report could not be parsed; `at` is the JSON path of the offending value (e.g. `scenarios[2].status`).
    #[error("{}: invalid report at `{at}`: {message}", path.display())]
    JsonRead {
        /// The file that was read (`-` or empty for in-memory input).
        path: PathBuf,
        /// The JSON path of the value that did not fit the schema.
        at: String,
        /// serde_json's description.
        message: String,
    },
    /// Serialising to JSON failed (only possible through a serde bug; kept as an error, never a panic).
    #[error("cannot serialise the report as JSON: {0}")]
    JsonWrite(#[source] serde_json::Error),
    /// Serialising to JUnit XML failed.
    #[error("cannot serialise the report as JUnit XML: {0}")]
    Junit(#[source] quick_junit::SerializeError),
    /// A JSON report of another schema version; reading it as this one would misread fields.
    #[error("report schema version {found} is not supported (this build reads version {supported})")]
    SchemaVersion {
        /// The version found in the file.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// The same scenario file appears twice (in one report, or in two shards being merged).
    #[error("scenario file `{file}` appears more than once")]
    DuplicateScenario {
        /// The repeated file path.
        file: String,
    },
    /// The scenarios are not sorted by file path (a report must list them in a stable order).
    #[error("scenarios are not sorted by file path: `{before}` is listed before `{after}`")]
    Unsorted {
        /// The earlier entry.
        before: String,
        /// The later entry, which sorts before `before`.
        after: String,
    },
    /// A scenario's status disagrees with its expectation outcomes.
    #[error("scenario `{file}`: {problem}")]
    InconsistentStatus {
        /// The scenario file.
        file: String,
        /// What disagrees.
        problem: String,
    },
    /// The recorded totals are not the counts of the scenarios, expectations and findings.
    #[error("totals do not match the scenarios: {field} is recorded as {recorded} but counts {counted}")]
    InconsistentTotals {
        /// The totals field (e.g. `expectations.failed`).
        field: &'static str,
        /// The value in the report.
        recorded: usize,
        /// The value counted from the scenarios.
        counted: usize,
    },
    /// A shard designation that is not `K/N` with 1 ≤ K ≤ N.
    #[error("invalid shard `{0}`: expected K/N with 1 <= K <= N (e.g. 2/4)")]
    InvalidShard(String),
    /// `merge` was given no report.
    #[error("nothing to merge: no report given")]
    NothingToMerge,
    /// Two shards disagree on something that must be the same for shards of one run.
    #[error("reports are not shards of one run: {what} differs (`{first}` vs `{other}`)")]
    NotOneRun {
        /// The field that differs (`tool`, `args`, `shard count`).
        what: &'static str,
        /// The first report's value.
        first: String,
        /// The disagreeing report's value.
        other: String,
    },
    /// The same shard was given twice to `merge`.
    #[error("shard {0} is given more than once")]
    DuplicateShard(String),
    /// Some shards of the run are missing from `merge`'s input, so the merged report would be incomplete.
    #[error("shards missing from the merge: {}", missing.join(", "))]
    MissingShards {
        /// The missing shards, as `K/N`.
        missing: Vec<String>,
    },
    /// A report format name that is not one of `junit`, `json`, `md`.
    #[error("unknown report format `{0}` (known: junit, json, md)")]
    UnknownFormat(String),
}

impl ReportError {
    /// An I/O error about `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
