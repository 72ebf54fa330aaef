//! Every scenario file under `scenarios/` as its own test (libtest-mimic), so `cargo test -p dualhome --test
//! scenarios -- <filter>` runs one and `cargo nextest run --partition count:K/N` spreads the corpus over machines.
//! A scenario passes when it loads, runs to its end and every expectation holds.

use dualhome::run::{run_scenario, RunOptions};
use dualhome::scenario::{load_scenario_with, render_plain, LoadOptions};
use dualhome_reports::ScenarioStatus;
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            // `files/` directories hold the BOSH inputs and radvd.conf that scenarios point at.
            if p.file_name().is_some_and(|n| n != "files") {
                scenario_files(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(p);
        }
    }
}

fn run_one(path: &Path) -> Result<(), Failed> {
    let codes: Vec<&str> = dualhome::findings::CATALOG.iter().map(|c| c.code).collect();
    let opts = LoadOptions {
        finding_codes: Some(&codes),
        ..LoadOptions::default()
    };
    let scenario = load_scenario_with(path, &opts).map_err(|e| Failed::from(render_plain(&e, 120)))?;
    let run = run_scenario(&scenario, &path.display().to_string(), &RunOptions::default());
    let report = &run.report;
    if report.expectations.is_empty() {
        return Err("a scenario without expectations shows nothing".into());
    }
    match &report.status {
        ScenarioStatus::Passed => Ok(()),
        ScenarioStatus::Error { message } => Err(format!("error: {message}").into()),
        ScenarioStatus::Skipped { reason } => Err(format!("skipped: {reason}").into()),
        ScenarioStatus::Failed => {
            let failed: Vec<String> = report
                .expectations
                .iter()
                .filter(|o| o.verdict == dualhome_reports::Verdict::Failed)
                .map(|o| {
                    format!(
                        "{} {}: expected {}, observed {}",
                        o.id,
                        o.kind,
                        o.expected,
                        o.observed.as_deref().unwrap_or("-")
                    )
                })
                .collect();
            Err(failed.join("\n").into())
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().unwrap_or(manifest_dir).join("scenarios");
    let mut files = Vec::new();
    scenario_files(&root, &mut files);
    let trials = files
        .into_iter()
        .map(|p| {
            let name = p
                .strip_prefix(&root)
                .map_or_else(|_| p.display().to_string(), |r| r.display().to_string());
            // A file without `expect:` (a kernel-backend comparison case) shows nothing here: listed as ignored.
            let has_expectations = std::fs::read_to_string(&p).is_ok_and(|t| t.contains("\nexpect:"));
            Trial::test(name, move || run_one(&p)).with_ignored_flag(!has_expectations)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
