//! Sharding: over the real corpus (`scenarios/`) and this crate's run cases, the union of K shards is the corpus
//! and no scenario lands in two shards, for several K.

use dualhome::run::batch;
use dualhome_reports::Shard;
use std::path::PathBuf;

fn corpus() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let paths = [root.join("../scenarios"), root.join("tests/run_cases")];
    batch::collect(&paths).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn union_of_shards_is_the_corpus_without_overlap() {
    let all = corpus();
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
    let all = corpus();
    assert!(all.iter().all(|p| !p.components().any(|c| c.as_os_str() == "files")));
    assert!(batch::collect(&[PathBuf::from("no/such/dir")]).is_err());
}
