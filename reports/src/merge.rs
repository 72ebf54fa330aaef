//! Merging the JSON reports of the shards of one run (`dualhome report merge`) into the report of the whole run.
//!
//! The inputs must be shards of one run: the same tool and version, the same arguments, the same shard count N,
//! and every shard 1..N exactly once (an unsharded report counts as shard 1/1). A scenario file may appear in only
//! one shard. The result lists the scenarios sorted by file path with recounted totals and no shard, so merging all
//! shards gives the same bytes as the unsharded run.

use std::path::Path;

use crate::error::ReportError;
use crate::json::read_json;
use crate::run::RunReport;
use crate::shard::Shard;

/// Merges the reports of the shards of one run into the report of the whole run.
pub fn merge(reports: impl IntoIterator<Item = RunReport>) -> Result<RunReport, ReportError> {
    let mut reports = reports.into_iter();
    let first = reports.next().ok_or(ReportError::NothingToMerge)?;
    first.check()?;
    let count = first.shard.unwrap_or(Shard::WHOLE).count();
    // Indexed by K-1; a Vec of flags keeps the "missing" list in shard order.
    let mut seen = vec![false; count as usize];
    mark_shard(&mut seen, first.shard.unwrap_or(Shard::WHOLE))?;
    let tool = first.tool;
    let args = first.args;
    let mut scenarios = first.scenarios;
    for report in reports {
        report.check()?;
        if report.tool != tool {
            return Err(ReportError::NotOneRun {
                what: "tool",
                first: format!("{} {}", tool.name, tool.version),
                other: format!("{} {}", report.tool.name, report.tool.version),
            });
        }
        if report.args != args {
            return Err(ReportError::NotOneRun {
                what: "args",
                first: args.join(" "),
                other: report.args.join(" "),
            });
        }
        let shard = report.shard.unwrap_or(Shard::WHOLE);
        if shard.count() != count {
            return Err(ReportError::NotOneRun {
                what: "shard count",
                first: count.to_string(),
                other: shard.count().to_string(),
            });
        }
        mark_shard(&mut seen, shard)?;
        scenarios.extend(report.scenarios);
    }
    let missing: Vec<String> = (1..=count)
        .zip(&seen)
        .filter(|(_, seen)| !**seen)
        .map(|(k, _)| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(ReportError::MissingShards { missing });
    }
    // `RunReport::new` sorts by file, rejects a file listed by two shards (naming it) and recounts the totals.
    RunReport::new(tool, args, None, scenarios)
}

/// Records that `shard` was given; an error if it was already.
fn mark_shard(seen: &mut [bool], shard: Shard) -> Result<(), ReportError> {
    // `shard.index()` is in 1..=count and `seen.len() == count`, so the slot exists; `get_mut` keeps it panic-free.
    match seen.get_mut(shard.index() as usize - 1) {
        Some(slot) if !*slot => {
            *slot = true;
            Ok(())
        }
        _ => Err(ReportError::DuplicateShard(shard.to_string())),
    }
}

/// Reads the JSON reports at `paths` and merges them.
pub fn merge_files<P: AsRef<Path>>(paths: &[P]) -> Result<RunReport, ReportError> {
    let reports = paths
        .iter()
        .map(|path| read_json(path.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    merge(reports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::ToolInfo;
    use crate::scenario::{Artifacts, Backend, ScenarioReport, ScenarioStatus};

    fn scenario(file: &str) -> ScenarioReport {
        ScenarioReport {
            file: file.into(),
            name: file.into(),
            description: String::new(),
            tags: vec![],
            seed: 1,
            backend: Backend::Sim,
            simulated_ns: 0,
            events: 0,
            frames: 0,
            status: ScenarioStatus::Passed,
            expectations: vec![],
            findings: vec![],
            artifacts: Artifacts::default(),
        }
    }

    fn shard(spec: &str, files: &[&str]) -> RunReport {
        let tool = ToolInfo {
            name: "dualhome".into(),
            version: "0.1.0".into(),
        };
        let shard = spec.parse().ok();
        RunReport::new(
            tool,
            vec!["run".into()],
            shard,
            files.iter().map(|f| scenario(f)).collect(),
        )
        .unwrap()
    }

    #[test]
    fn merges_complete_shards_sorted() {
        let merged = merge([shard("2/2", &["b.yml", "d.yml"]), shard("1/2", &["a.yml", "c.yml"])]).unwrap();
        let files: Vec<&str> = merged.scenarios.iter().map(|s| s.file.as_str()).collect();
        assert_eq!(files, ["a.yml", "b.yml", "c.yml", "d.yml"]);
        assert_eq!(merged.shard, None);
        assert_eq!(merged.totals.scenarios.total, 4);
    }

    #[test]
    fn rejects_what_is_not_one_complete_run() {
        let err = |reports: Vec<RunReport>| merge(reports).unwrap_err().to_string();
        assert_eq!(err(vec![]), "nothing to merge: no report given");
        assert_eq!(
            err(vec![shard("1/2", &["a.yml"]), shard("2/2", &["a.yml"])]),
            "scenario file `a.yml` appears more than once"
        );
        assert_eq!(
            err(vec![shard("1/3", &["a.yml"]), shard("3/3", &["c.yml"])]),
            "shards missing from the merge: 2/3"
        );
        assert_eq!(
            err(vec![shard("1/2", &["a.yml"]), shard("1/2", &["b.yml"])]),
            "shard 1/2 is given more than once"
        );
        assert_eq!(
            err(vec![shard("1/2", &["a.yml"]), shard("2/3", &["b.yml"])]),
            "reports are not shards of one run: shard count differs (`2` vs `3`)"
        );
        let mut other_args = shard("2/2", &["b.yml"]);
        other_args.args.push("--seed=3".into());
        assert_eq!(
            err(vec![shard("1/2", &["a.yml"]), other_args]),
            "reports are not shards of one run: args differs (`run` vs `run --seed=3`)"
        );
        let mut other_tool = shard("2/2", &["b.yml"]);
        other_tool.tool.version = "0.2.0".into();
        assert!(err(vec![shard("1/2", &["a.yml"]), other_tool]).contains("tool differs"));
    }

    #[test]
    fn a_single_unsharded_report_merges_to_itself() {
        let whole = shard("", &["a.yml", "b.yml"]);
        assert_eq!(merge([whole.clone()]).unwrap(), whole);
    }
}
