//! The Markdown report, fit for a CI job summary (GitHub-flavoured, no HTML).
//!
//! Layout: a heading with the verdict, a line of totals, a table `scenario | status | expectations | findings`,
//! then the failed expectations (expected vs observed, time, source location), the scenarios that errored or were
//! skipped, and the findings grouped by severity, most severe first.
//!
//! Text that came from scenarios (names, messages, observed values) is escaped so that it renders as written and
//! cannot inject markup: inline values go in code spans, multi-line text in fenced blocks, the rest is
//! backslash-escaped.
//!
//! The summary stays under [`SUMMARY_LIMIT`] bytes (GitHub's job summary limit is 1 MiB): entries that would not fit
//! are counted in a closing note instead.

use std::fmt::{self, Write as _};

use crate::error::ReportError;
use crate::outcome::{format_ns, Finding, Severity, Verdict};
use crate::run::RunReport;
use crate::scenario::{ScenarioReport, ScenarioStatus};

/// The size [`to_markdown`] keeps under, in bytes: GitHub refuses a job summary over 1 MiB, which would lose the
/// whole summary of exactly the runs that fail most.
pub const SUMMARY_LIMIT: usize = 1_000_000;

/// Room kept for the closing note that says how much was left out.
const NOTE_RESERVE: usize = 400;

/// Renders `report` as Markdown within [`SUMMARY_LIMIT`] bytes, after checking it.
pub fn to_markdown(report: &RunReport) -> Result<String, ReportError> {
    to_markdown_within(report, SUMMARY_LIMIT)
}

/// Renders `report` as Markdown of at most about `limit` bytes (the heading and totals are always written).
///
/// Entries (table rows, failed expectations, errors, skips, findings) are written in order until the next one would
/// not fit; the rest are counted in a closing note that points to the JSON and JUnit reports, which have them all.
pub fn to_markdown_within(report: &RunReport, limit: usize) -> Result<String, ReportError> {
    report.check()?;
    let mut page = Page {
        out: String::new(),
        pending: String::new(),
        limit,
        omitted: 0,
    };
    // `fmt::Write` for `String` never fails, so the result carries no information.
    let _ = render(report, &mut page);
    Ok(page.finish())
}

/// The output under construction, with its size budget.
struct Page {
    out: String,
    /// Headings waiting for their first entry, so that a heading is never left without one.
    pending: String,
    limit: usize,
    omitted: usize,
}

impl Page {
    fn heading(&mut self, text: &str) {
        self.pending.push_str(text);
    }

    /// Writes `piece` (after the pending headings) if it fits and nothing was left out before it, else counts it.
    fn entry(&mut self, piece: &str) {
        let needed = self.out.len() + self.pending.len() + piece.len() + NOTE_RESERVE;
        if self.omitted == 0 && needed <= self.limit {
            self.out.push_str(&self.pending);
            self.out.push_str(piece);
        } else {
            self.omitted += 1;
        }
        self.pending.clear();
    }

    /// Drops headings that got no entry: a section with nothing to list is not shown.
    fn end_section(&mut self) {
        self.pending.clear();
    }

    fn finish(mut self) -> String {
        if self.omitted > 0 {
            let _ = write!(
                self.out,
                "\n---\n\n{} more entries are not shown, to keep this summary under {} bytes; `report.json` and \
                 `junit.xml` have them all.\n",
                self.omitted, self.limit
            );
        }
        self.out
    }
}

fn render(report: &RunReport, page: &mut Page) -> fmt::Result {
    summary(report, page)?;
    failures(report, page)?;
    errors_and_skips(report, page)?;
    findings(report, page)
}

fn summary(report: &RunReport, page: &mut Page) -> fmt::Result {
    let t = &report.totals;
    let (s, e, f) = (&t.scenarios, &t.expectations, &t.findings);
    let shard = report.shard.map(|s| format!(" (shard {s})")).unwrap_or_default();
    let out = &mut page.out;
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
    page.heading("| scenario | status | expectations | findings |\n| --- | --- | --- | --- |\n");
    for scenario in &report.scenarios {
        let counts = scenario.verdict_counts();
        let skipped = if counts.skipped > 0 {
            format!(" ({} skipped)", counts.skipped)
        } else {
            String::new()
        };
        let row = format!(
            "| {} {} | {} | {}/{}{skipped} | {} |\n",
            code_in_table(&scenario.file),
            escape(&scenario.name),
            status_cell(&scenario.status),
            counts.passed,
            counts.total(),
            findings_cell(scenario),
        );
        page.entry(&row);
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

fn scenario_heading(scenario: &ScenarioReport) -> String {
    format!("\n### {} {}\n\n", code(&scenario.file), escape(&scenario.name))
}

fn failures(report: &RunReport, page: &mut Page) -> fmt::Result {
    let failed = report.scenarios.iter().filter(|s| s.verdict_counts().failed > 0);
    page.heading("\n## Failed expectations\n");
    for scenario in failed {
        page.heading(&scenario_heading(scenario));
        for outcome in scenario.expectations.iter().filter(|o| o.verdict == Verdict::Failed) {
            let mut piece = String::new();
            write!(
                piece,
                "- {} {}: {}",
                code(&outcome.id),
                code(&outcome.kind),
                escape(&outcome.description)
            )?;
            if let Some(at) = outcome.at_ns {
                write!(piece, " at {}", format_ns(at))?;
            }
            if let Some(location) = &outcome.location {
                write!(piece, " ({})", code(&location.to_string()))?;
            }
            writeln!(piece)?;
            writeln!(piece, "  - expected: {}", code(&outcome.expected))?;
            match &outcome.observed {
                Some(observed) => writeln!(piece, "  - observed: {}", code(observed))?,
                None => writeln!(piece, "  - observed: nothing")?,
            }
            page.entry(&piece);
        }
    }
    page.end_section();
    Ok(())
}

fn errors_and_skips(report: &RunReport, page: &mut Page) -> fmt::Result {
    page.heading("\n## Scenarios that could not run\n");
    for scenario in &report.scenarios {
        if let ScenarioStatus::Error { message } = &scenario.status {
            let mut piece = scenario_heading(scenario);
            fenced(message.lines(), "", &mut piece)?;
            page.entry(&piece);
        }
    }
    page.end_section();
    page.heading("\n## Skipped scenarios\n\n");
    for scenario in &report.scenarios {
        if let ScenarioStatus::Skipped { reason } = &scenario.status {
            page.entry(&format!("- {}: {}\n", code(&scenario.file), escape(reason)));
        }
    }
    page.end_section();
    Ok(())
}

fn findings(report: &RunReport, page: &mut Page) -> fmt::Result {
    for severity in Severity::ALL {
        let count = report.totals.findings.of(severity);
        page.heading(&format!("\n## Findings: {severity} ({count})\n"));
        for scenario in &report.scenarios {
            for finding in scenario.findings.iter().filter(|f| f.severity == severity) {
                page.entry(&finding_entry(scenario, finding)?);
            }
        }
        page.end_section();
    }
    Ok(())
}

fn finding_entry(scenario: &ScenarioReport, finding: &Finding) -> Result<String, fmt::Error> {
    let mut piece = String::new();
    writeln!(piece, "\n### {} {}\n", code(&finding.code), escape(&finding.title))?;
    write!(piece, "In {}", code(&scenario.file))?;
    let place = &finding.location;
    if let Some(source) = &place.source {
        write!(piece, "; source {}", code(&source.to_string()))?;
    }
    if let Some(node) = &place.node {
        write!(piece, "; node {}", code(node))?;
    }
    if let Some(interface) = &place.interface {
        write!(piece, "; interface {}", code(interface))?;
    }
    writeln!(piece, ".\n")?;
    let lines: Vec<&str> = finding.message.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        // A trailing backslash is a hard line break (GFM), so a multi-line message keeps its lines.
        let brk = if i + 1 < lines.len() { "\\" } else { "" };
        writeln!(piece, "{}{brk}", escape(line))?;
    }
    if !finding.evidence.is_empty() {
        writeln!(piece)?;
        fenced(finding.evidence.iter().map(String::as_str), "text", &mut piece)?;
    }
    Ok(piece)
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
    // GFM has no empty code span: a bare pair of backticks is literal text that would open a span later on the line.
    if text.is_empty() {
        return "(empty)".to_owned();
    }
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
        assert_eq!(code(""), "(empty)");
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
    fn page_stops_at_the_first_entry_that_does_not_fit_and_says_so() {
        let mut page = Page {
            out: String::from("# head\n"),
            pending: String::new(),
            limit: NOTE_RESERVE + 30,
            omitted: 0,
        };
        page.heading("## h\n");
        page.entry("- one\n");
        page.entry(&"x".repeat(40));
        // A later entry that would fit is dropped too: the summary is a prefix of the full one.
        page.entry("- two\n");
        page.heading("## empty\n");
        page.end_section();
        let text = page.finish();
        assert!(
            text.starts_with("# head\n## h\n- one\n\n---\n\n2 more entries are not shown"),
            "{text}"
        );
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
