//! The Markdown report, fit for a CI job summary (GitHub-flavoured, no HTML).
//!
//! Layout: a heading with the verdict, a line of totals, a table `scenario | status | expectations | findings`,
//! then the failed expectations (expected vs observed, time, source location), the scenarios that errored or were
//! skipped, and the findings grouped by severity, most severe first.
//!
//! Text that came from scenarios (names, messages, observed values) is escaped so that it renders as written and
//! cannot inject markup: inline values go in code spans, multi-line text in fenced blocks, the rest is
//! backslash-escaped.

use std::fmt::{self, Write as _};

use crate::error::ReportError;
use crate::outcome::{format_ns, Severity, Verdict};
use crate::run::RunReport;
use crate::scenario::{ScenarioReport, ScenarioStatus};

/// Renders `report` as Markdown, after checking it.
pub fn to_markdown(report: &RunReport) -> Result<String, ReportError> {
    report.check()?;
    let mut text = String::new();
    // `fmt::Write` for `String` never fails, so the result carries no information.
    let _ = render(report, &mut text);
    Ok(text)
}

fn render(report: &RunReport, out: &mut String) -> fmt::Result {
    summary(report, out)?;
    failures(report, out)?;
    errors_and_skips(report, out)?;
    findings(report, out)
}

fn summary(report: &RunReport, out: &mut String) -> fmt::Result {
    let t = &report.totals;
    let (s, e, f) = (&t.scenarios, &t.expectations, &t.findings);
    let shard = report.shard.map(|s| format!(" (shard {s})")).unwrap_or_default();
    writeln!(
        out,
        "# {}: {} of {} scenarios passed{shard}\n",
        escape(&report.tool.name),
        s.passed,
        s.total
    )?;
    writeln!(
        out,
        "{} failed, {} errored, {} skipped · expectations: {} of {} passed, {} failed, {} skipped · \
         findings: {} error, {} warning, {} info\n",
        s.failed, s.error, s.skipped, e.passed, e.total, e.failed, e.skipped, f.error, f.warning, f.info
    )?;
    if report.scenarios.is_empty() {
        return writeln!(out, "No scenario was run.");
    }
    writeln!(out, "| scenario | status | expectations | findings |")?;
    writeln!(out, "| --- | --- | --- | --- |")?;
    for scenario in &report.scenarios {
        let counts = scenario.verdict_counts();
        let skipped = if counts.skipped > 0 {
            format!(" ({} skipped)", counts.skipped)
        } else {
            String::new()
        };
        writeln!(
            out,
            "| {} {} | {} | {}/{}{skipped} | {} |",
            code_in_table(&scenario.file),
            escape(&scenario.name),
            status_cell(&scenario.status),
            counts.passed,
            counts.total(),
            findings_cell(scenario),
        )?;
    }
    Ok(())
}

/// Failed and errored scenarios in bold so they stand out in the table.
fn status_cell(status: &ScenarioStatus) -> String {
    match status {
        ScenarioStatus::Failed | ScenarioStatus::Error { .. } => format!("**{}**", status.as_str()),
        _ => status.as_str().to_owned(),
    }
}

fn findings_cell(scenario: &ScenarioReport) -> String {
    let parts: Vec<String> = Severity::ALL
        .iter()
        .map(|&severity| (severity, scenario.findings_of(severity)))
        .filter(|&(_, n)| n > 0)
        .map(|(severity, n)| format!("{n} {severity}"))
        .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

fn failures(report: &RunReport, out: &mut String) -> fmt::Result {
    let failed: Vec<&ScenarioReport> = report
        .scenarios
        .iter()
        .filter(|s| s.verdict_counts().failed > 0)
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n## Failed expectations")?;
    for scenario in failed {
        writeln!(out, "\n### {} {}\n", code(&scenario.file), escape(&scenario.name))?;
        for outcome in scenario.expectations.iter().filter(|o| o.verdict == Verdict::Failed) {
            write!(
                out,
                "- {} {}: {}",
                code(&outcome.id),
                code(&outcome.kind),
                escape(&outcome.description)
            )?;
            if let Some(at) = outcome.at_ns {
                write!(out, " at {}", format_ns(at))?;
            }
            if let Some(location) = &outcome.location {
                write!(out, " ({})", code(&location.to_string()))?;
            }
            writeln!(out)?;
            writeln!(out, "  - expected: {}", code(&outcome.expected))?;
            match &outcome.observed {
                Some(observed) => writeln!(out, "  - observed: {}", code(observed))?,
                None => writeln!(out, "  - observed: nothing")?,
            }
        }
    }
    Ok(())
}

fn errors_and_skips(report: &RunReport, out: &mut String) -> fmt::Result {
    let mut errored = report.scenarios.iter().filter_map(|s| match &s.status {
        ScenarioStatus::Error { message } => Some((s, message)),
        _ => None,
    });
    if let Some(first) = errored.next() {
        writeln!(out, "\n## Scenarios that could not run")?;
        for (scenario, message) in std::iter::once(first).chain(errored) {
            writeln!(out, "\n### {} {}\n", code(&scenario.file), escape(&scenario.name))?;
            fenced(message.lines(), "", out)?;
        }
    }
    let skipped: Vec<(&ScenarioReport, &String)> = report
        .scenarios
        .iter()
        .filter_map(|s| match &s.status {
            ScenarioStatus::Skipped { reason } => Some((s, reason)),
            _ => None,
        })
        .collect();
    if !skipped.is_empty() {
        writeln!(out, "\n## Skipped scenarios\n")?;
        for (scenario, reason) in skipped {
            writeln!(out, "- {}: {}", code(&scenario.file), escape(reason))?;
        }
    }
    Ok(())
}

fn findings(report: &RunReport, out: &mut String) -> fmt::Result {
    for severity in Severity::ALL {
        let count = report.totals.findings.of(severity);
        if count == 0 {
            continue;
        }
        writeln!(out, "\n## Findings: {severity} ({count})")?;
        for scenario in &report.scenarios {
            for finding in scenario.findings.iter().filter(|f| f.severity == severity) {
                writeln!(out, "\n### {} {}\n", code(&finding.code), escape(&finding.title))?;
                write!(out, "In {}", code(&scenario.file))?;
                let place = &finding.location;
                if let Some(source) = &place.source {
                    write!(out, "; source {}", code(&source.to_string()))?;
                }
                if let Some(node) = &place.node {
                    write!(out, "; node {}", code(node))?;
                }
                if let Some(interface) = &place.interface {
                    write!(out, "; interface {}", code(interface))?;
                }
                writeln!(out, ".\n")?;
                let lines: Vec<&str> = finding.message.lines().collect();
                for (i, line) in lines.iter().enumerate() {
                    // A trailing backslash is a hard line break (GFM), so a multi-line message keeps its lines.
                    let brk = if i + 1 < lines.len() { "\\" } else { "" };
                    writeln!(out, "{}{brk}", escape(line))?;
                }
                if !finding.evidence.is_empty() {
                    writeln!(out)?;
                    fenced(finding.evidence.iter().map(String::as_str), "text", out)?;
                }
            }
        }
    }
    Ok(())
}

/// A fenced code block whose fence is longer than any backtick run in the content, so nothing can close it early.
fn fenced<'a>(lines: impl Iterator<Item = &'a str> + Clone, info: &str, out: &mut String) -> fmt::Result {
    let longest = lines.clone().map(longest_backtick_run).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    writeln!(out, "{fence}{info}")?;
    for line in lines {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{fence}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// An inline code span that shows `text` verbatim (GFM: a delimiter longer than any inner backtick run, padded with
/// a space when the text touches a backtick); newlines become spaces since a span is one line.
fn code(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let ticks = "`".repeat(longest_backtick_run(&text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// A code span inside a table cell: GFM splits cells at unescaped pipes before it parses code spans, so pipes are
/// escaped (and the escape is removed again inside the span).
fn code_in_table(text: &str) -> String {
    code(&text.replace('|', "\\|"))
}

/// Backslash-escapes the characters that would start markup (emphasis, links, code, HTML, table cells, entities)
/// and the markers that would start a block at the beginning of a line; newlines become spaces.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    // Block markers only matter at the start: a heading, list, quote or numbered list.
    match out.chars().next() {
        Some('#' | '-' | '+' | '=') => out.insert(0, '\\'),
        Some(c) if c.is_ascii_digit() => {
            let digits = out.bytes().take_while(u8::is_ascii_digit).count();
            let marker = matches!(out.as_bytes().get(digits), Some(b'.' | b')'));
            if marker && matches!(out.as_bytes().get(digits + 1), None | Some(b' ' | b'\t')) {
                out.insert(digits, '\\');
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("eth0"), "`eth0`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a|b\nc"), "`a|b c`");
        assert_eq!(code_in_table("a|b"), "`a\\|b`");
    }

    #[test]
    fn escape_neutralises_markup_and_block_starts() {
        assert_eq!(
            escape("<script> *x* [l](u) a|b"),
            "\\<script\\> \\*x\\* \\[l\\](u) a\\|b"
        );
        assert_eq!(escape("# h"), "\\# h");
        assert_eq!(escape("- item"), "\\- item");
        assert_eq!(escape("12. item"), "12\\. item");
        assert_eq!(escape("10.0.0.1 is down"), "10.0.0.1 is down");
        assert_eq!(escape("3)"), "3\\)");
        assert_eq!(escape("2001:db8::1"), "2001:db8::1");
    }

    #[test]
    fn fences_outgrow_the_content() {
        let mut out = String::new();
        fenced(["a ```` b"].into_iter(), "text", &mut out).unwrap();
        assert_eq!(out, "`````text\na ```` b\n`````\n");
        let mut out = String::new();
        fenced(["plain"].into_iter(), "", &mut out).unwrap();
        assert_eq!(out, "```\nplain\n```\n");
    }
}
