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
