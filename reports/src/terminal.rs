//! The plain-text summary `dualhome run` prints at the end on a terminal (or into a CI log).
//!
//! Layout: an aligned table `scenario | status | expectations | findings`, then every failed expectation as
//! `file:line:column: id kind: description` with its expected and observed values (the `file:line:column` prefix is
//! what terminals and editors turn into links), the scenarios that errored with their messages, the skipped ones
//! with their reasons, and a closing result line. Findings are counted, not listed: they are in `summary.md` and
//! `report.json`.
//!
//! Text that came from scenarios has its control characters shown as `\u{..}` escapes, so a scenario cannot send
//! escape sequences to the user's terminal.

use std::fmt::{self, Write as _};

use crate::error::ReportError;
use crate::outcome::{format_ns, Severity, Verdict};
use crate::run::{Exit, RunReport};
use crate::scenario::{ScenarioReport, ScenarioStatus};

/// Renders the terminal summary of `report`, after checking it.
pub fn to_text(report: &RunReport) -> Result<String, ReportError> {
    report.check()?;
    let mut out = String::new();
    // `fmt::Write` for `String` never fails, so the result carries no information.
    let _ = render(report, &mut out);
    Ok(out)
}

fn render(report: &RunReport, out: &mut String) -> fmt::Result {
    table(report, out)?;
    failures(report, out)?;
    errors_and_skips(report, out)?;
    result_line(report, out)
}

fn table(report: &RunReport, out: &mut String) -> fmt::Result {
    if report.scenarios.is_empty() {
        return writeln!(out, "no scenario was run");
    }
    let mut rows = vec![[
        "scenario".to_owned(),
        "status".to_owned(),
        "expectations".to_owned(),
        "findings".to_owned(),
    ]];
    for scenario in &report.scenarios {
        let counts = scenario.verdict_counts();
        let mut expectations = format!("{}/{}", counts.passed, counts.total());
        if counts.skipped > 0 {
            write!(expectations, " ({} skipped)", counts.skipped)?;
        }
        rows.push([
            clean(&scenario.file),
            scenario.status.as_str().to_owned(),
            expectations,
            findings_cell(scenario),
        ]);
    }
    let mut widths = [0usize; 4];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn findings_cell(scenario: &ScenarioReport) -> String {
    let parts: Vec<String> = Severity::ALL
        .iter()
        .map(|&severity| (severity, scenario.findings_of(severity)))
        .filter(|&(_, n)| n > 0)
        .map(|(severity, n)| format!("{n} {severity}"))
        .collect();
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(", ")
    }
}

fn failures(report: &RunReport, out: &mut String) -> fmt::Result {
    let mut heading = false;
    for scenario in &report.scenarios {
        for outcome in scenario.expectations.iter().filter(|o| o.verdict == Verdict::Failed) {
            if !heading {
                writeln!(out, "\nfailed expectations:")?;
                heading = true;
            }
            let place = match &outcome.location {
                Some(location) => location.to_string(),
                None => scenario.file.clone(),
            };
            write!(
                out,
                "{}: {} {}: {}",
                clean(&place),
                clean(&outcome.id),
                clean(&outcome.kind),
                clean(&outcome.description)
            )?;
            if let Some(at) = outcome.at_ns {
                write!(out, " (at {})", format_ns(at))?;
            }
            writeln!(out)?;
            writeln!(out, "    expected: {}", clean(&outcome.expected))?;
            let observed = outcome.observed.as_deref().map_or_else(|| "nothing".to_owned(), clean);
            writeln!(out, "    observed: {observed}")?;
        }
    }
    Ok(())
}

fn errors_and_skips(report: &RunReport, out: &mut String) -> fmt::Result {
    let mut errors = report.scenarios.iter().filter_map(|s| match &s.status {
        ScenarioStatus::Error { message } => Some((s, message)),
        _ => None,
    });
    if let Some(first) = errors.next() {
        writeln!(out, "\nscenarios that could not run:")?;
        for (scenario, message) in std::iter::once(first).chain(errors) {
            let mut lines = message.lines();
            writeln!(out, "{}: {}", clean(&scenario.file), clean(lines.next().unwrap_or("")))?;
            for line in lines {
                writeln!(out, "    {}", clean(line))?;
            }
        }
    }
    let mut skips = report.scenarios.iter().filter_map(|s| match &s.status {
        ScenarioStatus::Skipped { reason } => Some((s, reason)),
        _ => None,
    });
    if let Some(first) = skips.next() {
        writeln!(out, "\nskipped:")?;
        for (scenario, reason) in std::iter::once(first).chain(skips) {
            writeln!(out, "{}: {}", clean(&scenario.file), clean(reason))?;
        }
    }
    Ok(())
}

fn result_line(report: &RunReport, out: &mut String) -> fmt::Result {
    let t = &report.totals;
    let (s, e, f) = (&t.scenarios, &t.expectations, &t.findings);
    let verdict = match report.exit() {
        Exit::Passed => "ok",
        Exit::Failed | Exit::InvalidInput => "FAILED",
    };
    writeln!(
        out,
        "\nresult: {verdict}. {} scenarios: {} passed, {} failed, {} errored, {} skipped; expectations: {} of {} \
         passed, {} failed, {} skipped; findings: {} error, {} warning, {} info",
        s.total,
        s.passed,
        s.failed,
        s.error,
        s.skipped,
        e.passed,
        e.total,
        e.failed,
        e.skipped,
        f.error,
        f.warning,
        f.info
    )
}

/// `text` with control characters (escape sequences, carriage returns, newlines) written as `\u{..}`.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_escapes_control_characters_only() {
        assert_eq!(clean("vm/0 → eth1"), "vm/0 → eth1");
        assert_eq!(clean("\u{1b}[31mred\r\n"), "\\u{1b}[31mred\\u{d}\\u{a}");
    }
}
