//! The JUnit XML report (`quick-junit`), the format CI systems turn into test results.
//!
//! Mapping (one run → one `<testsuites name="dualhome">`):
//! - a `<testsuite>` per scenario file, named by its path, with the run's facts as `<property>`s (scenario name,
//!   seed, backend, simulated time, events, frames, tags, captures) and its findings as `<system-out>`;
//! - a `<testcase>` per expectation (`id: description`, classname = the file): a failed one has a `<failure>` whose
//!   message is "expected …, observed …" and whose text adds the time and the source location; a skipped one has
//!   `<skipped>` with the reason;
//! - a scenario that could not run gets an extra testcase `scenario: NAME` with an `<error>` holding the message; a
//!   skipped scenario without expectations gets one such testcase, `<skipped>` with the reason.
//!
//! No `time` or `timestamp` attributes: the report is deterministic.

use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::error::ReportError;
use crate::outcome::{format_ns, ExpectationOutcome, Finding, Verdict};
use crate::run::RunReport;
use crate::scenario::{ScenarioReport, ScenarioStatus};

/// Renders `report` as JUnit XML, after checking it.
pub fn to_junit(report: &RunReport) -> Result<String, ReportError> {
    report.check()?;
    let mut junit = Report::new(report.tool.name.as_str());
    for scenario in &report.scenarios {
        junit.add_test_suite(test_suite(scenario));
    }
    junit.to_string().map_err(ReportError::Junit)
}

/// The `<testsuite>` of one scenario.
fn test_suite(scenario: &ScenarioReport) -> TestSuite {
    let mut suite = TestSuite::new(scenario.file.as_str());
    suite.add_properties(properties(scenario));
    for outcome in &scenario.expectations {
        suite.add_test_case(expectation_case(scenario, outcome));
    }
    match &scenario.status {
        ScenarioStatus::Error { message } => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(message.as_str()).set_type("scenario-error");
            suite.add_test_case(scenario_case(scenario, status));
        }
        ScenarioStatus::Skipped { reason } if scenario.expectations.is_empty() => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.as_str());
            suite.add_test_case(scenario_case(scenario, status));
        }
        _ => {}
    }
    if !scenario.findings.is_empty() {
        suite.set_system_out(findings_text(&scenario.findings));
    }
    suite
}

/// The run's facts, in a fixed order.
fn properties(scenario: &ScenarioReport) -> Vec<Property> {
    let mut properties = vec![
        Property::new("scenario", scenario.name.as_str()),
        Property::new("seed", scenario.seed.to_string()),
        Property::new("backend", scenario.backend.as_str()),
        Property::new("simulated_ns", scenario.simulated_ns.to_string()),
        Property::new("events", scenario.events.to_string()),
        Property::new("frames", scenario.frames.to_string()),
    ];
    if !scenario.tags.is_empty() {
        properties.push(Property::new("tags", scenario.tags.join(",")));
    }
    for capture in &scenario.artifacts.captures {
        properties.push(Property::new(
            format!("capture.{}", capture.segment),
            capture.path.as_str(),
        ));
    }
    if let Some(trace) = &scenario.artifacts.trace {
        properties.push(Property::new("trace", trace.as_str()));
    }
    properties
}

/// The testcase standing for the scenario as a whole (errored, or skipped with nothing to list).
fn scenario_case(scenario: &ScenarioReport, status: TestCaseStatus) -> TestCase {
    let mut case = TestCase::new(format!("scenario: {}", scenario.name), status);
    case.set_classname(scenario.file.as_str());
    case
}

/// The testcase of one expectation.
fn expectation_case(scenario: &ScenarioReport, outcome: &ExpectationOutcome) -> TestCase {
    let status = match &outcome.verdict {
        Verdict::Passed => TestCaseStatus::success(),
        Verdict::Failed => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(failure_message(outcome))
                .set_type(outcome.kind.as_str())
                .set_description(failure_detail(outcome));
            status
        }
        Verdict::Skipped { reason } => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.as_str());
            status
        }
    };
    let mut case = TestCase::new(format!("{}: {}", outcome.id, outcome.description), status);
    case.set_classname(scenario.file.as_str());
    case
}

/// "expected X, observed Y": the line CI shows first.
pub(crate) fn failure_message(outcome: &ExpectationOutcome) -> String {
    let observed = outcome.observed.as_deref().unwrap_or("nothing");
    format!("expected {}, observed {observed}", outcome.expected)
}

/// The failure's full text: what, when, where.
fn failure_detail(outcome: &ExpectationOutcome) -> String {
    let mut text = String::new();
    // Writing to a String cannot fail; the results are ignored for that reason only.
    let _ = writeln!(text, "{} ({})", outcome.description, outcome.kind);
    if let Some(at) = outcome.at_ns {
        let _ = writeln!(text, "at: {}", format_ns(at));
    }
    let _ = writeln!(text, "expected: {}", outcome.expected);
    let _ = writeln!(text, "observed: {}", outcome.observed.as_deref().unwrap_or("nothing"));
    if let Some(location) = &outcome.location {
        let _ = writeln!(text, "location: {location}");
    }
    text
}

/// Findings as plain text lines for `<system-out>`.
fn findings_text(findings: &[Finding]) -> String {
    let mut text = String::new();
    for finding in findings {
        let _ = writeln!(text, "{} {}: {}", finding.severity, finding.code, finding.title);
        let location = finding.location.to_string();
        if !location.is_empty() {
            let _ = writeln!(text, "  at {location}");
        }
        for line in finding.message.lines() {
            let _ = writeln!(text, "  {line}");
        }
        for line in &finding.evidence {
            let _ = writeln!(text, "  | {line}");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{FindingLocation, Severity, SourceLocation};

    fn failed() -> ExpectationOutcome {
        ExpectationOutcome {
            id: "expect[2]".into(),
            kind: "route-get".into(),
            description: "vm/0 routes 10.1.0.5".into(),
            at_ns: Some(2_500_000_000),
            verdict: Verdict::Failed,
            expected: "dev eth0 via 10.0.0.1".into(),
            observed: None,
            location: Some(SourceLocation {
                file: "s.yml".into(),
                line: 40,
                column: 5,
            }),
        }
    }

    #[test]
    fn failure_names_expected_and_observed() {
        assert_eq!(
            failure_message(&failed()),
            "expected dev eth0 via 10.0.0.1, observed nothing"
        );
        assert_eq!(
            failure_detail(&failed()),
            "vm/0 routes 10.1.0.5 (route-get)\nat: 2.5 s\nexpected: dev eth0 via 10.0.0.1\nobserved: nothing\n\
             location: s.yml:40:5\n"
        );
    }

    #[test]
    fn findings_text_indents_message_and_evidence() {
        let finding = Finding {
            code: "DH-RA-MITM".into(),
            severity: Severity::Error,
            title: "RA accepted from a non-gateway".into(),
            message: "line one\nline two".into(),
            location: FindingLocation {
                source: None,
                node: Some("vm/0".into()),
                interface: Some("eth1".into()),
            },
            evidence: vec!["RA from fe80::bad".into()],
        };
        assert_eq!(
            findings_text(&[finding]),
            "error DH-RA-MITM: RA accepted from a non-gateway\n  at vm/0 eth1\n  line one\n  line two\n  \
             | RA from fe80::bad\n"
        );
    }
}
