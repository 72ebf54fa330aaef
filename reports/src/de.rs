//! Strict reading of the two JSON objects that carry a flattened enum: a scenario (`status` with `message` or
//! `reason`) and an expectation outcome (`result` with `reason`).
//!
//! serde cannot combine `flatten` with `deny_unknown_fields`, so these objects are read through plain "wire" structs
//! that list every field, reject unknown ones, and are then converted, refusing a detail that does not belong to the
//! status (a `reason` on a passed scenario) or a missing one (an `error` without `message`). Serialisation stays the
//! derived, flattened one, so the field order is the struct order.

use serde::Deserialize;

use crate::outcome::{ExpectationOutcome, Finding, SourceLocation, Verdict};
use crate::scenario::{Artifacts, Backend, ScenarioReport, ScenarioStatus};

/// The value of a scenario's `status`.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum StatusName {
    Passed,
    Failed,
    Error,
    Skipped,
}

/// A scenario object as written in JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenarioWire {
    file: String,
    name: String,
    description: String,
    tags: Vec<String>,
    seed: u64,
    backend: Backend,
    simulated_ns: u64,
    events: u64,
    frames: u64,
    status: StatusName,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    expectations: Vec<ExpectationOutcome>,
    findings: Vec<Finding>,
    artifacts: Artifacts,
}

impl TryFrom<ScenarioWire> for ScenarioReport {
    type Error = String;

    fn try_from(wire: ScenarioWire) -> Result<Self, Self::Error> {
        let status = match (wire.status, wire.message, wire.reason) {
            (StatusName::Passed, None, None) => ScenarioStatus::Passed,
            (StatusName::Failed, None, None) => ScenarioStatus::Failed,
            (StatusName::Error, Some(message), None) => ScenarioStatus::Error { message },
            (StatusName::Skipped, None, Some(reason)) => ScenarioStatus::Skipped { reason },
            (StatusName::Error, _, _) => return Err("status `error` needs a `message` and no `reason`".into()),
            (StatusName::Skipped, _, _) => return Err("status `skipped` needs a `reason` and no `message`".into()),
            (_, _, _) => return Err("only status `error` has a `message`, only `skipped` a `reason`".into()),
        };
        Ok(ScenarioReport {
            file: wire.file,
            name: wire.name,
            description: wire.description,
            tags: wire.tags,
            seed: wire.seed,
            backend: wire.backend,
            simulated_ns: wire.simulated_ns,
            events: wire.events,
            frames: wire.frames,
            status,
            expectations: wire.expectations,
            findings: wire.findings,
            artifacts: wire.artifacts,
        })
    }
}

/// The value of an expectation's `result`.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum ResultName {
    Passed,
    Failed,
    Skipped,
}

/// An expectation outcome object as written in JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpectationWire {
    id: String,
    kind: String,
    description: String,
    at_ns: Option<u64>,
    result: ResultName,
    #[serde(default)]
    reason: Option<String>,
    expected: String,
    observed: Option<String>,
    location: Option<SourceLocation>,
}

impl TryFrom<ExpectationWire> for ExpectationOutcome {
    type Error = String;

    fn try_from(wire: ExpectationWire) -> Result<Self, Self::Error> {
        let verdict = match (wire.result, wire.reason) {
            (ResultName::Passed, None) => Verdict::Passed,
            (ResultName::Failed, None) => Verdict::Failed,
            (ResultName::Skipped, Some(reason)) => Verdict::Skipped { reason },
            (ResultName::Skipped, None) => return Err("result `skipped` needs a `reason`".into()),
            (_, Some(_)) => return Err("only result `skipped` has a `reason`".into()),
        };
        Ok(ExpectationOutcome {
            id: wire.id,
            kind: wire.kind,
            description: wire.description,
            at_ns: wire.at_ns,
            verdict,
            expected: wire.expected,
            observed: wire.observed,
            location: wire.location,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"{"file":"a.yml","name":"a","description":"","tags":[],"seed":1,"backend":"sim",
        "simulated_ns":0,"events":0,"frames":0,"status":"passed","expectations":[],"findings":[],
        "artifacts":{"captures":[],"trace":null}}"#;

    fn scenario(text: &str) -> Result<ScenarioReport, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn scenario_status_details_must_match_the_status() {
        assert_eq!(scenario(SCENARIO).unwrap().status, ScenarioStatus::Passed);
        let error = SCENARIO.replace(r#""passed""#, r#""error","message":"boom""#);
        assert_eq!(
            scenario(&error).unwrap().status,
            ScenarioStatus::Error { message: "boom".into() }
        );
        let bare_error = SCENARIO.replace(r#""passed""#, r#""error""#);
        assert!(scenario(&bare_error)
            .unwrap_err()
            .starts_with("status `error` needs a `message`"));
        let passed_with_reason = SCENARIO.replace(r#""passed""#, r#""passed","reason":"r""#);
        assert!(scenario(&passed_with_reason)
            .unwrap_err()
            .starts_with("only status `error` has a `message`"));
        let skipped_with_message = SCENARIO.replace(r#""passed""#, r#""skipped","reason":"r","message":"m""#);
        assert!(scenario(&skipped_with_message).is_err());
    }

    #[test]
    fn scenario_rejects_unknown_fields() {
        let extra = SCENARIO.replace(r#""seed":1"#, r#""seed":1,"wall_ms":5"#);
        assert!(scenario(&extra).unwrap_err().starts_with("unknown field `wall_ms`"));
    }

    #[test]
    fn expectation_reason_only_when_skipped() {
        let base = r#"{"id":"e","kind":"k","description":"d","at_ns":null,"result":"RESULT","expected":"x",
            "observed":null,"location":null}"#;
        let parse = |result: &str| serde_json::from_str::<ExpectationOutcome>(&base.replace("RESULT", result));
        assert_eq!(parse("failed").unwrap().verdict, Verdict::Failed);
        assert_eq!(
            parse(r#"skipped","reason":"r"#).unwrap().verdict,
            Verdict::Skipped { reason: "r".into() }
        );
        assert!(parse("skipped").is_err());
        assert!(parse(r#"passed","reason":"r"#).is_err());
        assert!(parse(r#"passed","colour":"r"#).is_err());
    }
}
