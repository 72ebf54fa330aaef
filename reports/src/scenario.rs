//! One scenario's report: what was run (file, seed, backend), how much was simulated, its status, its expectation
//! outcomes, its findings and the artifacts it left.

use serde::{Deserialize, Serialize};

use crate::error::ReportError;
use crate::outcome::{ExpectationOutcome, Finding, Severity, Verdict};

/// Which backend executed the scenario (s2n-quic netbench style: one scenario file, several drivers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The deterministic userspace simulator (`sim/`).
    Sim,
    /// Real Linux network namespaces.
    Kernel,
}

impl Backend {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sim => "sim",
            Backend::Kernel => "kernel",
        }
    }
}

/// How a scenario ended.
///
/// Serialised flattened into its [`ScenarioReport`] as `"status": "passed" | "failed" | "error" | "skipped"`, an
/// errored one with `"message"`, a skipped one with `"reason"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ScenarioStatus {
    /// It ran and no expectation failed.
    Passed,
    /// It ran and at least one expectation failed.
    Failed,
    /// It could not run to the end (a deploy step failed, the simulation exceeded its event budget, ...).
    Error {
        /// What went wrong, one paragraph.
        message: String,
    },
    /// It was not run.
    Skipped {
        /// Why (e.g. "needs the kernel backend").
        reason: String,
    },
}

impl ScenarioStatus {
    /// The lowercase name used in every output format.
    pub fn as_str(&self) -> &'static str {
        match self {
            ScenarioStatus::Passed => "passed",
            ScenarioStatus::Failed => "failed",
            ScenarioStatus::Error { .. } => "error",
            ScenarioStatus::Skipped { .. } => "skipped",
        }
    }

    /// `Passed` if no outcome failed, else `Failed`: the status of a scenario that ran to the end.
    pub fn from_outcomes(outcomes: &[ExpectationOutcome]) -> Self {
        if outcomes.iter().any(|o| o.verdict == Verdict::Failed) {
            ScenarioStatus::Failed
        } else {
            ScenarioStatus::Passed
        }
    }
}

/// A packet capture written for one segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// The segment's name in the scenario.
    pub segment: String,
    /// The pcapng file, relative to the report directory, `/`-separated.
    pub path: String,
}

/// Files a scenario left beside the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifacts {
    /// One pcapng per captured segment, in the scenario's segment order.
    pub captures: Vec<Capture>,
    /// The event trace, relative to the report directory, if one was written.
    pub trace: Option<String>,
}

/// The report of one scenario file.
///
/// Holds no wall-clock time: two runs of the same file and seed serialise to the same bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "crate::de::ScenarioWire")]
pub struct ScenarioReport {
    /// The scenario file as given on the command line or found in a directory, `/`-separated; the sort key.
    pub file: String,
    /// The scenario's `name`.
    pub name: String,
    /// The scenario's `description`.
    pub description: String,
    /// The scenario's `tags`, in file order.
    pub tags: Vec<String>,
    /// The RNG seed the run used (the file's `seed` or the `--seed` override).
    pub seed: u64,
    /// The backend that ran it.
    pub backend: Backend,
    /// Simulated time covered by the run, in nanoseconds.
    pub simulated_ns: u64,
    /// Events the engine processed.
    pub events: u64,
    /// Ethernet frames sent on all segments.
    pub frames: u64,
    /// How it ended (flattened: `status`, with `message` or `reason`).
    #[serde(flatten)]
    pub status: ScenarioStatus,
    /// One outcome per `expect` entry, in file order.
    pub expectations: Vec<ExpectationOutcome>,
    /// Findings, in the order the analyzers emitted them.
    pub findings: Vec<Finding>,
    /// Files written for this scenario.
    pub artifacts: Artifacts,
}

/// Counts of a scenario's expectation verdicts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerdictCounts {
    /// Passed expectations.
    pub passed: usize,
    /// Failed expectations.
    pub failed: usize,
    /// Skipped expectations.
    pub skipped: usize,
}

impl VerdictCounts {
    /// All expectations counted.
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped
    }
}

impl ScenarioReport {
    /// Counts this scenario's expectations by verdict.
    pub fn verdict_counts(&self) -> VerdictCounts {
        let mut counts = VerdictCounts::default();
        for outcome in &self.expectations {
            match outcome.verdict {
                Verdict::Passed => counts.passed += 1,
                Verdict::Failed => counts.failed += 1,
                Verdict::Skipped { .. } => counts.skipped += 1,
            }
        }
        counts
    }

    /// How many findings of `severity` this scenario has.
    pub fn findings_of(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    /// Checks that the status agrees with the outcomes: a scenario that ran is `failed` exactly when an expectation
    /// failed; one that was skipped has no passed or failed expectation.
    pub fn check(&self) -> Result<(), ReportError> {
        let counts = self.verdict_counts();
        let problem = match &self.status {
            ScenarioStatus::Passed if counts.failed > 0 => Some(format!(
                "status is `passed` but {} expectation(s) failed",
                counts.failed
            )),
            ScenarioStatus::Failed if counts.failed == 0 => {
                Some("status is `failed` but no expectation failed".to_owned())
            }
            ScenarioStatus::Skipped { .. } if counts.passed + counts.failed > 0 => {
                Some("status is `skipped` but some expectations were evaluated".to_owned())
            }
            _ => None,
        };
        match problem {
            Some(problem) => Err(ReportError::InconsistentStatus {
                file: self.file.clone(),
                problem,
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(verdict: Verdict) -> ExpectationOutcome {
        ExpectationOutcome {
            id: "e".into(),
            kind: "reachable".into(),
            description: "d".into(),
            at_ns: None,
            verdict,
            expected: "x".into(),
            observed: Some("x".into()),
            location: None,
        }
    }

    fn scenario(status: ScenarioStatus, expectations: Vec<ExpectationOutcome>) -> ScenarioReport {
        ScenarioReport {
            file: "s.yml".into(),
            name: "s".into(),
            description: String::new(),
            tags: vec![],
            seed: 1,
            backend: Backend::Sim,
            simulated_ns: 0,
            events: 0,
            frames: 0,
            status,
            expectations,
            findings: vec![],
            artifacts: Artifacts::default(),
        }
    }

    #[test]
    fn status_from_outcomes_fails_on_any_failure() {
        let pass = outcome(Verdict::Passed);
        let skip = outcome(Verdict::Skipped { reason: "r".into() });
        assert_eq!(ScenarioStatus::from_outcomes(&[]), ScenarioStatus::Passed);
        assert_eq!(
            ScenarioStatus::from_outcomes(&[pass.clone(), skip.clone()]),
            ScenarioStatus::Passed
        );
        assert_eq!(
            ScenarioStatus::from_outcomes(&[pass, outcome(Verdict::Failed), skip]),
            ScenarioStatus::Failed
        );
    }

    #[test]
    fn check_rejects_a_status_that_contradicts_the_outcomes() {
        let failed = vec![outcome(Verdict::Passed), outcome(Verdict::Failed)];
        assert!(scenario(ScenarioStatus::Failed, failed.clone()).check().is_ok());
        let err = scenario(ScenarioStatus::Passed, failed).check().unwrap_err();
        assert_eq!(
            err.to_string(),
            "scenario `s.yml`: status is `passed` but 1 expectation(s) failed"
        );
        assert!(scenario(ScenarioStatus::Failed, vec![outcome(Verdict::Passed)])
            .check()
            .is_err());
        let skipped = ScenarioStatus::Skipped { reason: "r".into() };
        assert!(scenario(skipped.clone(), vec![outcome(Verdict::Passed)])
            .check()
            .is_err());
        let all_skipped = vec![outcome(Verdict::Skipped { reason: "r".into() })];
        assert!(scenario(skipped, all_skipped).check().is_ok());
        let error = ScenarioStatus::Error { message: "m".into() };
        assert!(scenario(error, vec![outcome(Verdict::Failed)]).check().is_ok());
    }

    #[test]
    fn status_serialises_as_a_lowercase_string_beside_its_detail() {
        let s = scenario(ScenarioStatus::Error { message: "boom".into() }, vec![]);
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            json.contains(r#""frames":0,"status":"error","message":"boom","expectations""#),
            "{json}"
        );
        let back: ScenarioReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        assert_eq!(serde_json::to_string(&Backend::Kernel).unwrap(), r#""kernel""#);
    }
}
