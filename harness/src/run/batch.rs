//! A batch of scenarios: the corpus from paths, the shard's slice, loading (all or nothing), running in parallel
//! (rayon; each scenario single-threaded), and writing the reports, captures and snapshots.
//!
//! Shards are taken over the corpus sorted by path, round-robin ([`Shard::selects`]), so the union of the N shards
//! is the corpus with no overlap whatever machine runs them.

use super::{run_scenario, RunOptions, ScenarioRun};
use crate::scenario::{load_scenario_with, LoadOptions, Scenario, ScenarioError};
use dualhome_reports::{Capture, Formats, ReportError, RunReport, Shard, ToolInfo};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Scenario files under `paths` (files as given, directories walked), sorted, without repeats. `files/`
/// directories hold a scenario's BOSH inputs and radvd.conf and are not walked.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no such file or directory", p.display()),
            ));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), std::io::Error> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "files") {
                walk(&p, out)?;
            }
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(p);
        }
    }
    Ok(())
}

/// The files of one shard.
pub fn shard(files: Vec<PathBuf>, shard: Option<Shard>) -> Vec<PathBuf> {
    match shard {
        None => files,
        Some(s) => files
            .into_iter()
            .enumerate()
            .filter(|(i, _)| s.selects(*i))
            .map(|(_, p)| p)
            .collect(),
    }
}

/// Loads every file; all problems of every file are returned together, so one run reports them all.
pub fn load_all(files: &[PathBuf]) -> Result<Vec<(PathBuf, Scenario)>, Vec<ScenarioError>> {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    let codes: Vec<&str> = crate::findings::CATALOG.iter().map(|c| c.code).collect();
    let opts = LoadOptions {
        finding_codes: Some(&codes),
        ..LoadOptions::default()
    };
    for f in files {
        match load_scenario_with(f, &opts) {
            Ok(s) => ok.push((f.clone(), s)),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}

/// Whether a scenario matches `--filter`: a substring of its path or name, or one of its tags.
pub fn matches(path: &Path, s: &Scenario, filter: &str) -> bool {
    path.display().to_string().contains(filter) || s.name.value.contains(filter) || s.tags.iter().any(|t| t == filter)
}

/// Runs the scenarios on `jobs` threads (0 = rayon's default); results come back in input order.
pub fn run_all(
    scenarios: &[(PathBuf, Scenario)],
    opts: &RunOptions,
    jobs: usize,
    on_done: &(dyn Fn(&ScenarioRun) + Sync),
) -> Vec<ScenarioRun> {
    let work = || {
        scenarios
            .par_iter()
            .map(|(path, s)| {
                let run = run_scenario(s, &display_path(path), opts);
                on_done(&run);
                run
            })
            .collect::<Vec<_>>()
    };
    match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// A path as reports show it: `/`-separated.
pub fn display_path(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
        .replace("//", "/")
}

/// A file-name-safe stem for a scenario's artifacts.
pub fn artifact_stem(file: &str) -> String {
    let stem = file
        .strip_suffix(".yml")
        .or_else(|| file.strip_suffix(".yaml"))
        .unwrap_or(file);
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes the captures (when `formats.pcap`) and snapshots of each run, lists the captures in its report, and builds
/// the run report. Nothing is written when the report itself is inconsistent.
pub fn assemble(
    runs: Vec<ScenarioRun>,
    dir: &Path,
    formats: &Formats,
    args: Vec<String>,
    shard: Option<Shard>,
) -> Result<RunReport, ReportError> {
    let mut reports = Vec::new();
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for run in runs {
        let mut report = run.report;
        let stem = artifact_stem(&report.file);
        if formats.pcap {
            for (segment, bytes) in run.captures {
                let rel = format!("pcap/{stem}/{segment}.pcapng");
                files.push((dir.join(&rel), bytes));
                report.artifacts.captures.push(Capture { segment, path: rel });
            }
        }
        if !run.snapshots.is_empty() {
            let mut text = String::new();
            for s in &run.snapshots {
                text.push_str(&format!(
                    "### {} at {}\n",
                    s.label,
                    dualhome_reports::format_ns(s.at_ns)
                ));
                text.push_str(&s.text);
            }
            files.push((dir.join(format!("snapshots/{stem}.txt")), text.into_bytes()));
        }
        reports.push(report);
    }
    let tool = ToolInfo {
        name: "dualhome".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let report = RunReport::new(tool, args, shard, reports)?;
    for (path, bytes) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ReportError::Io {
                path: parent.to_path_buf(),
                source: e,
            })?;
        }
        dualhome_reports::write::write_atomic(&path, &bytes)?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_by_position() {
        let files: Vec<PathBuf> = (0..7).map(|i| PathBuf::from(format!("s{i}.yml"))).collect();
        let mut union = Vec::new();
        for k in 1..=3 {
            let part = shard(files.clone(), Shard::new(k, 3));
            assert!(part.iter().all(|p| !union.contains(p)));
            union.extend(part);
        }
        union.sort();
        assert_eq!(union, files);
    }

    #[test]
    fn artifact_stems_are_file_safe() {
        assert_eq!(artifact_stem("scenarios/seed/nginx v4.yml"), "scenarios_seed_nginx_v4");
        assert_eq!(display_path(Path::new("scenarios/seed/a.yml")), "scenarios/seed/a.yml");
    }
}
