//! `dualhome run` as a process: exit 0 when everything passes, 1 when an expectation fails, 2 on invalid input —
//! with every problem located and no report written — and the report files, shard and filter options.
//!
//! `dualhome report merge`: the JSON reports of shards merge into the report of the whole corpus.

use std::path::Path;
use std::process::{Command, Output};

const NET: &str = include_str!("run_cases/seed-net.yml");
const HOLDS: &str = include_str!("run_cases/holds.expect.yml");
const FAILS: &str = include_str!("run_cases/fails.expect.yml");

fn dualhome(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dualhome"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run dualhome: {e}"))
}

fn write(dir: &Path, name: &str, text: &str) {
    if let Some(parent) = dir.join(name).parent() {
        assert!(std::fs::create_dir_all(parent).is_ok());
    }
    assert!(std::fs::write(dir.join(name), text).is_ok());
}

#[test]
fn passing_corpus_exits_0_and_writes_every_report() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "scenarios/ok.yml", &format!("{NET}{HOLDS}"));
    let out = dualhome(&["run"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("scenarios/ok.yml") && stdout.contains("passed"),
        "{stdout}"
    );
    let reports = dir.path().join("target/dualhome");
    for f in [
        "junit.xml",
        "report.json",
        "summary.md",
        "pcap/scenarios_ok/vlan-a.pcapng",
    ] {
        assert!(reports.join(f).is_file(), "{f} missing");
    }
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap_or_default();
    let doc = roxmltree::Document::parse(&junit).unwrap_or_else(|e| panic!("{e}"));
    let cases = doc.descendants().filter(|n| n.has_tag_name("testcase")).count();
    let expect_section = HOLDS.split("expect:\n").nth(1).unwrap_or_default();
    assert_eq!(cases, expect_section.lines().filter(|l| l.starts_with("  - ")).count());
}

#[test]
fn a_failed_expectation_exits_1_with_expected_and_observed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "s/bad.yml", &format!("{NET}{FAILS}"));
    let out = dualhome(&["run", "s", "--format", "json,junit", "--report-dir", "r"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("expected:") && stdout.contains("observed:"), "{stdout}");
    assert!(dir.path().join("r/report.json").is_file());
    assert!(!dir.path().join("r/summary.md").exists(), "md was not asked for");
    let junit = std::fs::read_to_string(dir.path().join("r/junit.xml")).unwrap_or_default();
    assert!(junit.contains("<failure"), "{junit}");
}

#[test]
fn invalid_input_exits_2_locates_every_problem_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "s/a-ok.yml", &format!("{NET}{HOLDS}"));
    write(
        dir.path(),
        "s/b-broken.yml",
        "name: broken\nduration: 10s\ntopology:\n  segments: [{name: lan, vlan: x}]\n",
    );
    write(
        dir.path(),
        "s/c-unknown.yml",
        "name: c\nduration: 10s\nexpect:\n  - reachable: {probe: ping, from: ghost, to: 10.0.0.1}\n",
    );
    let out = dualhome(&["run", "s", "--report-dir", "r"], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("b-broken.yml:4"), "{stderr}");
    assert!(
        stderr.contains("c-unknown.yml:4") && stderr.contains("ghost"),
        "{stderr}"
    );
    assert!(!dir.path().join("r").exists(), "no report on invalid input");
}

#[test]
fn shard_and_filter_select_scenarios() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        "s/one.yml",
        &format!("{NET}{HOLDS}").replace("name: seed-net", "name: one"),
    );
    write(
        dir.path(),
        "s/two.yml",
        &format!("{NET}{FAILS}").replace("name: seed-net", "name: two"),
    );
    let out = dualhome(
        &["run", "s", "--shard", "1/2", "--format", "json", "--report-dir", "r1"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "shard 1/2 is one.yml only");
    let out = dualhome(
        &["run", "s", "--shard", "2/2", "--format", "json", "--report-dir", "r2"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "shard 2/2 is two.yml only");
    let out = dualhome(
        &["run", "s", "--filter", "one", "--format", "json", "--report-dir", "r3"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let json = std::fs::read_to_string(dir.path().join("r3/report.json")).unwrap_or_default();
    assert!(json.contains("s/one.yml") && !json.contains("s/two.yml"), "{json}");
    let out = dualhome(&["run", "s", "--shard", "3/2"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let out = dualhome(&["run", "s", "--format", "xml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn shards_merge_into_the_whole_run() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    assert!(std::fs::create_dir_all(d.join("s")).is_ok());
    for (name, expect) in [("a", HOLDS), ("b", FAILS), ("c", HOLDS)] {
        let text = format!("{NET}{expect}").replace("name: seed-net", &format!("name: {name}"));
        assert!(std::fs::write(d.join(format!("s/{name}.yml")), text).is_ok());
    }
    // Each CI machine runs its shard with the same command line; the reports are collected afterwards.
    for k in 1..=2 {
        let shard = format!("{k}/2");
        let out = dualhome(
            &["run", "s", "--shard", &shard, "--format", "json", "--report-dir", "r"],
            d,
        );
        assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
        assert!(std::fs::rename(d.join("r/report.json"), d.join(format!("r{k}.json"))).is_ok());
    }
    let out = dualhome(&["report", "merge", "r1.json", "r2.json", "--report-dir", "m"], d);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "b fails: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("m/report.json")).unwrap_or_default()).unwrap_or_default();
    let files: Vec<&str> = merged["scenarios"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["file"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(files, ["s/a.yml", "s/b.yml", "s/c.yml"]);
    assert!(d.join("m/junit.xml").is_file() && d.join("m/summary.md").is_file());
    let twice = dualhome(&["report", "merge", "r1.json", "r1.json", "--report-dir", "m2"], d);
    assert_eq!(twice.status.code(), Some(2), "the same shard twice does not merge");
    assert!(!d.join("m2").exists());
}
