//! The run report: what a `dualhome run` invocation (or one shard of it) did, scenario by scenario, with totals and
//! the exit code it implies.

use serde::{Deserialize, Serialize};

use crate::error::ReportError;
use crate::outcome::Severity;
use crate::scenario::{ScenarioReport, ScenarioStatus};
use crate::shard::Shard;

/// The JSON schema version this build writes and reads (`docs/reports.md`). Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The program that produced a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolInfo {
    /// Program name (`dualhome`).
    pub name: String,
    /// Its version (the harness crate's version).
    pub version: String,
}

/// Scenario counts by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioTotals {
    /// All scenarios in the report.
    pub total: usize,
    /// Status `passed`.
    pub passed: usize,
    /// Status `failed`.
    pub failed: usize,
    /// Status `error`.
    pub error: usize,
    /// Status `skipped`.
    pub skipped: usize,
}

/// Expectation counts by verdict, over all scenarios.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectationTotals {
    /// All expectation outcomes.
    pub total: usize,
    /// Verdict `passed`.
    pub passed: usize,
    /// Verdict `failed`.
    pub failed: usize,
    /// Verdict `skipped`.
    pub skipped: usize,
}

/// Finding counts by severity, over all scenarios.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingTotals {
    /// Severity `error`.
    pub error: usize,
    /// Severity `warning`.
    pub warning: usize,
    /// Severity `info`.
    pub info: usize,
}

impl FindingTotals {
    /// The count for one severity.
    pub fn of(&self, severity: Severity) -> usize {
        match severity {
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
        }
    }
}

/// Counts derived from the scenarios; stored in the JSON so that a reader needs no arithmetic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    /// Scenarios by status.
    pub scenarios: ScenarioTotals,
    /// Expectations by verdict.
    pub expectations: ExpectationTotals,
    /// Findings by severity.
    pub findings: FindingTotals,
}

impl Totals {
    /// Counts `scenarios`.
    pub fn count(scenarios: &[ScenarioReport]) -> Self {
        let mut totals = Totals::default();
        for scenario in scenarios {
            let s = &mut totals.scenarios;
            s.total += 1;
            match scenario.status {
                ScenarioStatus::Passed => s.passed += 1,
                ScenarioStatus::Failed => s.failed += 1,
                ScenarioStatus::Error { .. } => s.error += 1,
                ScenarioStatus::Skipped { .. } => s.skipped += 1,
            }
            let v = scenario.verdict_counts();
            let e = &mut totals.expectations;
            e.total += v.total();
            e.passed += v.passed;
            e.failed += v.failed;
            e.skipped += v.skipped;
            let f = &mut totals.findings;
            f.error += scenario.findings_of(Severity::Error);
            f.warning += scenario.findings_of(Severity::Warning);
            f.info += scenario.findings_of(Severity::Info);
        }
        totals
    }

    /// Pairs of (field name, value), in a fixed order, for comparing two totals field by field.
    fn fields(&self) -> [(&'static str, usize); 12] {
        let (s, e, f) = (&self.scenarios, &self.expectations, &self.findings);
        [
            ("scenarios.total", s.total),
            ("scenarios.passed", s.passed),
            ("scenarios.failed", s.failed),
            ("scenarios.error", s.error),
            ("scenarios.skipped", s.skipped),
            ("expectations.total", e.total),
            ("expectations.passed", e.passed),
            ("expectations.failed", e.failed),
            ("expectations.skipped", e.skipped),
            ("findings.error", f.error),
            ("findings.warning", f.warning),
            ("findings.info", f.info),
        ]
    }
}

/// What a run means for the process exit code (`dualhome run` and `dualhome report merge`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Every scenario that ran passed (skipped scenarios and skipped expectations do not fail a run): exit 0.
    Passed,
    /// An expectation failed, or a scenario errored at run time: exit 1.
    Failed,
    /// The input (scenario, configuration, report) was invalid and no report was written: exit 2.
    InvalidInput,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Passed => 0,
            Exit::Failed => 1,
            Exit::InvalidInput => 2,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

/// The report of one `dualhome run` (or of one shard of it, or of merged shards).
///
/// Holds no wall-clock time and lists scenarios sorted by file path, so the same inputs and seeds always serialise
/// to the same bytes, whatever `--jobs` was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunReport {
    /// [`SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// The program that ran.
    pub tool: ToolInfo,
    /// The command-line arguments after the program name, without `--shard K/N` (that is in `shard`), so that all
    /// shards of one run carry the same `args`.
    pub args: Vec<String>,
    /// Which shard this report covers; `None` for the whole corpus (an unsharded run or merged shards).
    pub shard: Option<Shard>,
    /// Counts over `scenarios`.
    pub totals: Totals,
    /// One report per scenario file, sorted by `file`, each file once.
    pub scenarios: Vec<ScenarioReport>,
}

impl RunReport {
    /// Builds a report: sorts `scenarios` by file path (parallel runs finish in any order), counts the totals and
    /// checks every scenario.
    pub fn new(
        tool: ToolInfo,
        args: Vec<String>,
        shard: Option<Shard>,
        mut scenarios: Vec<ScenarioReport>,
    ) -> Result<Self, ReportError> {
        // Stable sort: equal files stay in input order, and the duplicate check below reports them.
        scenarios.sort_by(|a, b| a.file.cmp(&b.file));
        let report = RunReport {
            schema_version: SCHEMA_VERSION,
            tool,
            args,
            shard,
            totals: Totals::count(&scenarios),
            scenarios,
        };
        report.check()?;
        Ok(report)
    }

    /// Checks the invariants every writer and reader relies on: the schema version, scenarios sorted by file with no
    /// file twice, each status consistent with its outcomes, and totals equal to the counts.
    pub fn check(&self) -> Result<(), ReportError> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(ReportError::SchemaVersion {
                found: self.schema_version,
                supported: SCHEMA_VERSION,
            });
        }
        for pair in self.scenarios.windows(2) {
            let (before, after) = (&pair[0].file, &pair[1].file);
            if before == after {
                return Err(ReportError::DuplicateScenario { file: before.clone() });
            }
            if before > after {
                return Err(ReportError::Unsorted {
                    before: before.clone(),
                    after: after.clone(),
                });
            }
        }
        for scenario in &self.scenarios {
            scenario.check()?;
        }
        let counted = Totals::count(&self.scenarios);
        for ((field, recorded), (_, counted)) in self.totals.fields().into_iter().zip(counted.fields()) {
            if recorded != counted {
                return Err(ReportError::InconsistentTotals {
                    field,
                    recorded,
                    counted,
                });
            }
        }
        Ok(())
    }

    /// `Failed` if an expectation failed or a scenario errored, else `Passed`.
    pub fn exit(&self) -> Exit {
        let s = &self.totals.scenarios;
        if s.failed > 0 || s.error > 0 || self.totals.expectations.failed > 0 {
            Exit::Failed
        } else {
            Exit::Passed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{ExpectationOutcome, Finding, FindingLocation, Verdict};
    use crate::scenario::{Artifacts, Backend};

    fn tool() -> ToolInfo {
        ToolInfo {
            name: "dualhome".into(),
            version: "0.1.0".into(),
        }
    }

    fn scenario(file: &str, status: ScenarioStatus, verdicts: &[Verdict]) -> ScenarioReport {
        let expectations = verdicts
            .iter()
            .enumerate()
            .map(|(i, verdict)| ExpectationOutcome {
                id: format!("expect[{i}]"),
                kind: "reachable".into(),
                description: "d".into(),
                at_ns: None,
                verdict: verdict.clone(),
                expected: "reply".into(),
                observed: Some("reply".into()),
                location: None,
            })
            .collect();
        ScenarioReport {
            file: file.into(),
            name: file.into(),
            description: String::new(),
            tags: vec![],
            seed: 7,
            backend: Backend::Sim,
            simulated_ns: 1,
            events: 2,
            frames: 3,
            status,
            expectations,
            findings: vec![Finding {
                code: "DH-TEST".into(),
                severity: Severity::Warning,
                title: "t".into(),
                message: "m".into(),
                location: FindingLocation::default(),
                evidence: vec![],
            }],
            artifacts: Artifacts::default(),
        }
    }

    #[test]
    fn new_sorts_counts_and_rejects_duplicates() {
        let skip = Verdict::Skipped { reason: "r".into() };
        let scenarios = vec![
            scenario("b.yml", ScenarioStatus::Failed, &[Verdict::Passed, Verdict::Failed]),
            scenario("a.yml", ScenarioStatus::Passed, &[Verdict::Passed, skip]),
        ];
        let report = RunReport::new(tool(), vec![], None, scenarios.clone()).unwrap();
        let files: Vec<&str> = report.scenarios.iter().map(|s| s.file.as_str()).collect();
        assert_eq!(files, ["a.yml", "b.yml"]);
        let t = report.totals;
        assert_eq!((t.scenarios.total, t.scenarios.passed, t.scenarios.failed), (2, 1, 1));
        assert_eq!(
            (
                t.expectations.total,
                t.expectations.passed,
                t.expectations.failed,
                t.expectations.skipped
            ),
            (4, 2, 1, 1)
        );
        assert_eq!(t.findings.of(Severity::Warning), 2);
        assert_eq!(report.exit(), Exit::Failed);

        let mut twice = scenarios;
        twice.push(scenario("a.yml", ScenarioStatus::Passed, &[]));
        let err = RunReport::new(tool(), vec![], None, twice).unwrap_err();
        assert_eq!(err.to_string(), "scenario file `a.yml` appears more than once");
    }

    #[test]
    fn check_catches_tampered_totals_and_order() {
        let scenarios = vec![
            scenario("a.yml", ScenarioStatus::Passed, &[Verdict::Passed]),
            scenario("b.yml", ScenarioStatus::Passed, &[]),
        ];
        let report = RunReport::new(tool(), vec![], None, scenarios).unwrap();
        let mut tampered = report.clone();
        tampered.totals.expectations.passed = 5;
        assert_eq!(
            tampered.check().unwrap_err().to_string(),
            "totals do not match the scenarios: expectations.passed is recorded as 5 but counts 1"
        );
        let mut reversed = report.clone();
        reversed.scenarios.reverse();
        assert!(matches!(reversed.check(), Err(ReportError::Unsorted { .. })));
        let mut future = report;
        future.schema_version = 2;
        assert!(matches!(
            future.check(),
            Err(ReportError::SchemaVersion { found: 2, .. })
        ));
    }

    #[test]
    fn exit_fails_on_failures_and_errors_only() {
        let passed = scenario("a.yml", ScenarioStatus::Passed, &[Verdict::Passed]);
        let skipped = scenario("b.yml", ScenarioStatus::Skipped { reason: "r".into() }, &[]);
        let errored = scenario("c.yml", ScenarioStatus::Error { message: "m".into() }, &[]);
        let ok = RunReport::new(tool(), vec![], None, vec![passed.clone(), skipped.clone()]).unwrap();
        assert_eq!(ok.exit(), Exit::Passed);
        assert_eq!(ok.exit().code(), 0);
        let bad = RunReport::new(tool(), vec![], None, vec![passed, skipped, errored]).unwrap();
        assert_eq!(bad.exit().code(), 1);
        assert_eq!(Exit::InvalidInput.code(), 2);
        assert_eq!(
            std::process::ExitCode::from(Exit::Failed),
            std::process::ExitCode::from(1)
        );
        let empty = RunReport::new(tool(), vec![], None, vec![]).unwrap();
        assert_eq!(empty.exit(), Exit::Passed);
    }
}
