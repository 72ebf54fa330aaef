//! The JSON report read back equal, and every writer deterministic: the same model gives the same bytes, whatever
//! order the scenarios finished in.

mod common;

use std::path::Path;

use dualhome_reports::json::{from_json, read_json, to_json};
use dualhome_reports::{write_reports, Format, Formats, RunReport, ScenarioStatus, Verdict};

#[test]
fn json_written_to_disk_reads_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    let report = common::whole_run();
    let written = write_reports(&report, dir.path(), &Formats::parse("json").unwrap()).unwrap();
    assert_eq!(written, [dir.path().join("report.json")]);
    let back = read_json(&written[0]).unwrap();
    assert_eq!(back, report);
    // Re-serialising what was read gives the file's bytes again.
    assert_eq!(to_json(&back).unwrap(), std::fs::read_to_string(&written[0]).unwrap());
}

#[test]
fn json_keeps_full_u64_seeds_and_lowercase_enums() {
    let text = to_json(&common::whole_run()).unwrap();
    assert!(text.contains("\"seed\": 18446744073709551615,"));
    assert!(text.contains("\"status\": \"error\",\n      \"message\": \"deploy step `ipam`"));
    assert!(text.contains("\"status\": \"skipped\",\n      \"reason\": \"the kernel backend needs CAP_NET_ADMIN\""));
    assert!(text.contains("\"result\": \"failed\","));
    assert!(text.contains("\"severity\": \"warning\","));
    assert!(text.contains("\"backend\": \"kernel\","));
    assert!(text.contains("\"shard\": null,"));
    assert!(text.ends_with("}\n"));
}

#[test]
fn reading_checks_the_reports_invariants() {
    let report = common::whole_run();
    let text = to_json(&report).unwrap();
    // A hand-edited status that contradicts the outcomes.
    let edited = text.replacen("\"status\": \"failed\"", "\"status\": \"passed\"", 1);
    let err = from_json(&edited, Path::new("shard-1.json")).unwrap_err();
    assert!(
        err.to_string()
            .contains("status is `passed` but 2 expectation(s) failed"),
        "{err}"
    );
    // An unknown status.
    let edited = text.replacen("\"status\": \"failed\"", "\"status\": \"flaky\"", 1);
    let err = from_json(&edited, Path::new("shard-1.json")).unwrap_err();
    let expected = "shard-1.json: invalid report at `scenarios[2].status`: unknown variant `flaky`";
    assert!(err.to_string().starts_with(expected), "{err}");
    // A status detail that does not belong to the status.
    let edited = text.replacen("\"status\": \"failed\"", "\"status\": \"failed\", \"reason\": \"r\"", 1);
    let err = from_json(&edited, Path::new("shard-1.json")).unwrap_err();
    let expected = "shard-1.json: invalid report at `scenarios[2]`: only status `error` has a `message`";
    assert!(err.to_string().starts_with(expected), "{err}");
}

#[test]
fn the_same_model_gives_the_same_bytes_in_every_format() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    // Built twice, from scenarios in different orders (as parallel jobs finish).
    let a = common::whole_run();
    let mut reversed = common::corpus();
    reversed.reverse();
    let b = RunReport::new(common::tool(), common::args(), None, reversed).unwrap();
    assert_eq!(a, b);
    write_reports(&a, dir_a.path(), &Formats::default()).unwrap();
    write_reports(&b, dir_b.path(), &Formats::default()).unwrap();
    for format in [Format::Junit, Format::Json, Format::Markdown] {
        let name = format.file_name();
        let bytes_a = std::fs::read(dir_a.path().join(name)).unwrap();
        let bytes_b = std::fs::read(dir_b.path().join(name)).unwrap();
        assert!(!bytes_a.is_empty());
        assert_eq!(bytes_a, bytes_b, "{name} differs");
    }
}

#[test]
fn an_inconsistent_report_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("reports");
    let mut report = common::whole_run();
    // The first scenario (ipam hang) claims to have passed although it errored: totals no longer match.
    report.scenarios[0].status = ScenarioStatus::Passed;
    assert!(write_reports(&report, &target, &Formats::default()).is_err());
    assert!(!target.exists(), "no directory, no partial file");

    // Existing reports stay untouched when a later write is refused.
    let good = common::whole_run();
    write_reports(&good, &target, &Formats::default()).unwrap();
    let before = std::fs::read(target.join("report.json")).unwrap();
    let mut bad = good.clone();
    bad.scenarios[2].expectations[0].verdict = Verdict::Failed;
    assert!(write_reports(&bad, &target, &Formats::default()).is_err());
    assert_eq!(std::fs::read(target.join("report.json")).unwrap(), before);
    let mut names: Vec<String> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["junit.xml", "report.json", "summary.md"]);
}

#[test]
fn exit_code_reflects_failures_and_errors() {
    let report = common::whole_run();
    assert_eq!(report.exit().code(), 1);
    let passing = RunReport::new(
        common::tool(),
        common::args(),
        None,
        vec![common::seed_offlink(), common::kernel_parity()],
    )
    .unwrap();
    assert_eq!(passing.exit().code(), 0);
    let erroring = RunReport::new(common::tool(), common::args(), None, vec![common::ipam_hang()]).unwrap();
    assert_eq!(erroring.exit().code(), 1);
}
