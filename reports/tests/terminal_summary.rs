//! The end-of-run summary printed on a terminal: a snapshot of the mixed run, and no control characters from
//! scenario text reach the terminal.

mod common;

use dualhome_reports::terminal::to_text;
use dualhome_reports::{RunReport, Verdict};

#[test]
fn summary_of_a_mixed_run() {
    let text = to_text(&common::whole_run()).unwrap();
    insta::assert_snapshot!(text);
}

#[test]
fn a_passing_run_says_ok() {
    let report = RunReport::new(common::tool(), common::args(), None, vec![common::seed_offlink()]).unwrap();
    let text = to_text(&report).unwrap();
    assert!(text.ends_with(
        "\nresult: ok. 1 scenarios: 1 passed, 0 failed, 0 errored, 0 skipped; expectations: 2 of 2 passed, 0 failed, \
         0 skipped; findings: 0 error, 1 warning, 1 info\n"
    ));
    assert!(!text.contains("failed expectations:"));
}

#[test]
fn scenario_text_cannot_send_escape_sequences() {
    let mut scenario = common::ssh_reset();
    scenario.expectations[0].observed = Some("\u{1b}]0;owned\u{7}\u{1b}[2J".into());
    scenario.expectations[0].verdict = Verdict::Failed;
    let report = RunReport::new(common::tool(), common::args(), None, vec![scenario]).unwrap();
    let text = to_text(&report).unwrap();
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
    assert!(text.contains("    observed: \\u{1b}]0;owned\\u{7}\\u{1b}[2J\n"));
}
