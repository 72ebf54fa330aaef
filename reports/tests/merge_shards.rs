//! `dualhome report merge`: the JSON reports of all shards of a run merge into the unsharded run's report, byte for
//! byte; incomplete or overlapping shard sets are refused.

mod common;

use dualhome_reports::json::to_json;
use dualhome_reports::merge::merge_files;
use dualhome_reports::{merge, write_reports, Formats, ReportError, Shard};

#[test]
fn merging_every_shard_gives_the_unsharded_report() {
    let whole = common::whole_run();
    for count in 1..=6 {
        let shards: Vec<_> = (1..=count)
            .rev() // Shards arrive in any order.
            .map(|k| common::shard_run(Shard::new(k, count).unwrap()))
            .collect();
        let total: usize = shards.iter().map(|s| s.scenarios.len()).sum();
        assert_eq!(total, whole.scenarios.len(), "{count} shards partition the corpus");
        let merged = merge(shards).unwrap();
        assert_eq!(merged, whole, "{count} shards");
        assert_eq!(to_json(&merged).unwrap(), to_json(&whole).unwrap());
    }
}

#[test]
fn merging_json_files_from_disk() {
    let root = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for k in 1..=2 {
        let shard = common::shard_run(Shard::new(k, 2).unwrap());
        let dir = root.path().join(format!("shard-{k}"));
        let written = write_reports(&shard, &dir, &Formats::parse("json").unwrap()).unwrap();
        paths.extend(written);
    }
    let merged = merge_files(&paths).unwrap();
    assert_eq!(merged, common::whole_run());
    assert_eq!(merged.exit().code(), 1);
}

#[test]
fn a_missing_shard_is_named() {
    let shards = [1, 3].map(|k| common::shard_run(Shard::new(k, 3).unwrap()));
    let err = merge(shards).unwrap_err();
    assert_eq!(err.to_string(), "shards missing from the merge: 2/3");
}

#[test]
fn a_scenario_in_two_shards_is_named() {
    let one = common::shard_run(Shard::new(1, 2).unwrap());
    let mut two = common::shard_run(Shard::new(2, 2).unwrap());
    let stolen = one.scenarios[0].clone();
    let file = stolen.file.clone();
    let mut scenarios = std::mem::take(&mut two.scenarios);
    scenarios.push(stolen);
    let two = dualhome_reports::RunReport::new(two.tool, two.args, two.shard, scenarios).unwrap();
    match merge([one, two]) {
        Err(ReportError::DuplicateScenario { file: named }) => assert_eq!(named, file),
        other => panic!("expected a duplicate scenario error, got {other:?}"),
    }
}

#[test]
fn a_broken_shard_file_is_named_with_its_path() {
    let root = tempfile::tempdir().unwrap();
    let good = root.path().join("good.json");
    std::fs::write(&good, to_json(&common::shard_run(Shard::new(1, 2).unwrap())).unwrap()).unwrap();
    let broken = root.path().join("broken.json");
    std::fs::write(&broken, "{\"schema_version\": 1, \"tool\": ").unwrap();
    let err = merge_files(&[good, broken.clone()]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("{}: invalid report", broken.display())),
        "{err}"
    );
}
