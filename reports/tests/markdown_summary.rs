//! The Markdown job summary, as a snapshot, plus the properties a CI summary depends on.

mod common;

use common::prose::outside_code;

use dualhome_reports::markdown::{to_markdown, to_markdown_within};
use dualhome_reports::{RunReport, Shard};

#[test]
fn summary_of_a_mixed_run() {
    let text = to_markdown(&common::whole_run()).unwrap();
    insta::assert_snapshot!(text);
}

#[test]
fn summary_of_a_passing_shard() {
    let report = RunReport::new(
        common::tool(),
        common::args(),
        Shard::new(2, 3),
        vec![common::seed_offlink()],
    )
    .unwrap();
    let text = to_markdown(&report).unwrap();
    insta::assert_snapshot!(text);
}

#[test]
fn summary_of_an_empty_run() {
    let report = RunReport::new(common::tool(), common::args(), None, vec![]).unwrap();
    let text = to_markdown(&report).unwrap();
    assert_eq!(
        text,
        "# dualhome: 0 of 0 scenarios passed\n\n0 failed, 0 errored, 0 skipped · expectations: 0 of 0 passed, \
         0 failed, 0 skipped · findings: 0 error, 0 warning, 0 info\n\nNo scenario was run.\n"
    );
}

#[test]
fn no_html_and_one_table_row_per_scenario() {
    let report = common::whole_run();
    let text = to_markdown(&report).unwrap();
    let prose = outside_code(&text);
    // Outside code, every `<` and `&` from scenario text is backslash-escaped, so nothing renders as HTML.
    for (i, c) in prose.match_indices(['<', '&']) {
        assert!(
            prose[..i].ends_with('\\'),
            "unescaped {c} in {:?}",
            &prose[i.saturating_sub(40)..i + 1]
        );
    }
    let rows = text.lines().filter(|l| l.starts_with("| `scenarios/")).count();
    assert_eq!(rows, report.scenarios.len());
    // Table rows have exactly four cells: pipes inside values are escaped.
    for row in text.lines().filter(|l| l.starts_with("| `")) {
        let unescaped = row
            .match_indices('|')
            .filter(|(i, _)| !row[..*i].ends_with('\\'))
            .count();
        assert_eq!(unescaped, 5, "{row}");
    }
}

#[test]
fn a_summary_over_the_limit_is_a_prefix_with_a_note() {
    let report = common::whole_run();
    let full = to_markdown(&report).unwrap();
    // Everything fits: identical to the unlimited rendering.
    assert_eq!(to_markdown_within(&report, full.len() + 400).unwrap(), full);

    let limit = full.len() / 2;
    let cut = to_markdown_within(&report, limit).unwrap();
    assert!(cut.len() <= limit, "{} > {limit}", cut.len());
    let (shown, note) = cut.split_once("\n---\n\n").unwrap();
    assert!(
        full.starts_with(shown),
        "the shown part is the start of the full summary"
    );
    // Every table row still fits in half the size; some details do not.
    assert_eq!(shown.lines().filter(|l| l.starts_with("| `scenarios/")).count(), 5);
    let omitted: usize = note.split(' ').next().unwrap().parse().unwrap();
    assert!(omitted > 0 && omitted < 12, "{note}");
    assert!(
        note.ends_with("`report.json` and `junit.xml` have them all.\n"),
        "{note}"
    );
}
