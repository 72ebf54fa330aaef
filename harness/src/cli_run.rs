//! `dualhome run [PATH...]`: run scenario files on the simulator (or on Linux, `--backend kernel`) and write the CI
//! reports.
//!
//! Exit codes: 0 every scenario passed or was skipped; 1 an expectation failed or a scenario errored at run time;
//! 2 invalid input (a scenario that does not load, a bad `--format`/`--shard`): every problem is printed with
//! file, line, column and a caret, and no report file is written. `--backend kernel` without root or
//! CAP_NET_ADMIN skips every scenario with the reason and exits 0 (nothing failed, nothing passed).

use clap::Args;
use dualhome::run::backend::{kernel_outcomes, kernel_report, Backend};
use dualhome::run::batch;
use dualhome::run::RunOptions;
use dualhome_reports::ScenarioStatus;
use dualhome_reports::{Exit, Formats, Shard};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Run scenarios and write reports.
#[derive(Args)]
pub struct RunCommand {
    /// Scenario files or directories (walked for `*.yml`).
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Where the reports go.
    #[arg(long, default_value = "target/dualhome")]
    pub report_dir: PathBuf,
    /// Comma-separated outputs: junit, json, md, pcap.
    #[arg(long, default_value = "junit,json,md,pcap")]
    pub format: String,
    /// Scenarios run in parallel (each one single-threaded); 0 = one per CPU.
    #[arg(long, default_value_t = 0)]
    pub jobs: usize,
    /// Run only the K-th of N slices of the corpus (sorted by path, round-robin), e.g. `2/4`.
    #[arg(long)]
    pub shard: Option<String>,
    /// Only scenarios whose path or name contains this text, or that carry this tag.
    #[arg(long)]
    pub filter: Option<String>,
    /// Replace every scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// `sim`; `both`: also run every kernel-capable scenario in Linux network namespaces (root) and report each
    /// difference from the simulator as a failed expectation; `kernel`: Linux only, the scenarios' expectations
    /// judged on the kernel (kinds only the simulator judges, and scenarios that are not kernel-capable, skipped).
    #[arg(long, value_enum, default_value = "sim")]
    pub backend: Backend,
}

fn invalid(msg: &str) -> u8 {
    eprintln!("dualhome run: {msg}");
    Exit::InvalidInput.code()
}

/// The arguments as reports record them: without `--shard K/N` (docs/reports.md `args`), so shards of one run
/// carry the same list and merge.
fn report_args(args: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if a == "--shard" {
            skip = true;
        } else if !a.starts_with("--shard=") {
            out.push(a);
        }
    }
    out
}

/// Runs the command and returns the exit code.
pub fn run(cmd: RunCommand, args: Vec<String>) -> u8 {
    let args = report_args(args);
    let formats = match Formats::parse(&cmd.format) {
        Ok(f) => f,
        Err(e) => return invalid(&e.to_string()),
    };
    let shard = match cmd.shard.as_deref().map(str::parse::<Shard>).transpose() {
        Ok(s) => s,
        Err(e) => return invalid(&e.to_string()),
    };
    let files = match batch::collect(&cmd.paths) {
        Ok(f) => batch::shard(f, shard),
        Err(e) => return invalid(&e.to_string()),
    };
    let mut scenarios = match batch::load_all(&files) {
        Ok(s) => s,
        Err(errors) => {
            for e in errors {
                eprintln!("{:?}", miette::Report::new(e));
            }
            eprintln!("dualhome run: invalid input, no report written");
            return Exit::InvalidInput.code();
        }
    };
    if let Some(f) = &cmd.filter {
        scenarios.retain(|(p, s)| batch::matches(p, s, f));
    }
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(scenarios.len() as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    let opts = RunOptions {
        seed: cmd.seed,
        stop_at: None,
    };
    let mut runs = if cmd.backend == Backend::Kernel {
        // Real time and real namespaces: one scenario at a time.
        scenarios
            .iter()
            .enumerate()
            .map(|(i, (path, scenario))| {
                let source = std::fs::read_to_string(path).ok();
                let run_id = format!("r{}-{i}", std::process::id() % 100_000);
                let file = batch::display_path(path);
                let run = kernel_report(scenario, &file, source, cmd.seed, &run_id);
                bar.set_message(run.report.name.clone());
                bar.inc(1);
                run
            })
            .collect()
    } else {
        batch::run_all(&scenarios, &opts, cmd.jobs, &|run| {
            bar.set_message(run.report.name.clone());
            bar.inc(1);
        })
    };
    if cmd.backend == Backend::Both {
        // Kernel runs take real time and real namespaces: one at a time, after the simulator runs.
        for (i, (run, (path, scenario))) in runs.iter_mut().zip(&scenarios).enumerate() {
            let source = std::fs::read_to_string(path).ok();
            let run_id = format!("r{}-{i}", std::process::id() % 100_000);
            let extra = kernel_outcomes(scenario, source, cmd.seed, &run_id);
            run.report.expectations.extend(extra);
            if !matches!(run.report.status, ScenarioStatus::Error { .. }) {
                run.report.status = ScenarioStatus::from_outcomes(&run.report.expectations);
            }
        }
    }
    bar.finish_and_clear();
    let report = match batch::assemble(runs, &cmd.report_dir, &formats, args, shard) {
        Ok(r) => r,
        Err(e) => return invalid(&e.to_string()),
    };
    if let Err(e) = dualhome_reports::write_reports(&report, &cmd.report_dir, &formats) {
        eprintln!("dualhome run: {e}");
        return Exit::Failed.code();
    }
    match dualhome_reports::terminal::to_text(&report) {
        Ok(text) => print!("{text}"),
        Err(e) => eprintln!("dualhome run: {e}"),
    }
    report.exit().code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_options_are_left_out_of_report_args() {
        let args = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            report_args(args(&["run", "s", "--shard", "1/2", "--jobs", "2"])),
            args(&["run", "s", "--jobs", "2"])
        );
        assert_eq!(report_args(args(&["run", "--shard=2/3", "s"])), args(&["run", "s"]));
    }
}
