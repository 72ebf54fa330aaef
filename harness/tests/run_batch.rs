//! Determinism: the same scenario and seed give byte-identical JSON reports and pcapng captures, whatever the
//! number of worker threads; another seed gives other bytes.
//!
//! Sharding: over the real corpus (`scenarios/`) and this crate's run cases, the union of K shards is the corpus
//! and no scenario lands in two shards, for several K.

use dualhome::run::batch;
use dualhome::run::RunOptions;
use dualhome_reports::Formats;
use dualhome_reports::Shard;
use std::path::{Path, PathBuf};

const NET: &str = include_str!("run_cases/seed-net.yml");
const HOLDS: &str = include_str!("run_cases/holds.expect.yml");

fn corpus(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for i in 0..3 {
        let p = dir.join(format!("seed-{i}.yml"));
        let text = format!("{NET}{HOLDS}").replace("name: seed-net", &format!("name: seed-net-{i}"));
        assert!(std::fs::write(&p, text).is_ok());
        files.push(p);
    }
    files
}

/// Runs the corpus into `out` and returns (report.json bytes, every pcapng's bytes by relative path).
fn run_into(files: &[PathBuf], out: &Path, jobs: usize, seed: Option<u64>) -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let scenarios = match batch::load_all(files) {
        Ok(s) => s,
        Err(e) => panic!("{e:?}"),
    };
    let runs = batch::run_all(&scenarios, &RunOptions { seed, stop_at: None }, jobs, &|_| {});
    let formats = Formats::parse("json,pcap").unwrap_or_else(|e| panic!("{e}"));
    let report = batch::assemble(runs, out, &formats, vec!["run".into()], None).unwrap_or_else(|e| panic!("{e}"));
    let written = dualhome_reports::write_reports(&report, out, &formats);
    assert!(written.is_ok(), "{written:?}");
    let json = std::fs::read(out.join("report.json")).unwrap_or_default();
    let mut pcaps = Vec::new();
    for s in &report.scenarios {
        for c in &s.artifacts.captures {
            pcaps.push((c.path.clone(), std::fs::read(out.join(&c.path)).unwrap_or_default()));
        }
    }
    (json, pcaps)
}

#[test]
fn two_runs_give_identical_json_and_pcapng_bytes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let files = corpus(dir.path());
    let (json_a, pcap_a) = run_into(&files, &dir.path().join("a"), 1, None);
    let (json_b, pcap_b) = run_into(&files, &dir.path().join("b"), 3, None);
    assert!(json_a.len() > 1000, "the report has content");
    assert_eq!(json_a, json_b, "report.json differs between runs");
    assert_eq!(pcap_a.len(), 9, "three segments per scenario");
    assert!(pcap_a.iter().all(|(_, b)| b.len() > 100), "captures have frames");
    assert_eq!(pcap_a, pcap_b, "pcapng bytes differ between runs");
    let (json_c, pcap_c) = run_into(&files, &dir.path().join("c"), 2, Some(99));
    assert_ne!(json_a, json_c, "the seed is in the report");
    assert_ne!(pcap_a, pcap_c, "another seed draws other timings and MACs");
}

fn real_corpus() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let paths = [root.join("../scenarios"), root.join("tests/run_cases")];
    batch::collect(&paths).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn union_of_shards_is_the_corpus_without_overlap() {
    let all = real_corpus();
    assert!(all.len() >= 3, "{all:?}");
    for n in 1..=5u32 {
        let mut seen: Vec<PathBuf> = Vec::new();
        for k in 1..=n {
            let part = batch::shard(all.clone(), Shard::new(k, n));
            for p in &part {
                assert!(!seen.contains(p), "{} in two shards of {n}", p.display());
            }
            seen.extend(part);
        }
        seen.sort();
        assert_eq!(seen, all, "shards of {n} do not cover the corpus");
    }
}

#[test]
fn collect_skips_files_directories_and_rejects_missing_paths() {
    let all = real_corpus();
    assert!(all.iter().all(|p| !p.components().any(|c| c.as_os_str() == "files")));
    assert!(batch::collect(&[PathBuf::from("no/such/dir")]).is_err());
}
