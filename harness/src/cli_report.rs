//! `dualhome report merge REPORT.json...`: the JSON reports of `dualhome run --shard K/N` runs merged into one run
//! report, written in the chosen formats with the end-of-run summary. Exit codes as `dualhome run`: 0 all passed,
//! 1 a failure in any shard, 2 a report that cannot be read or does not merge (nothing written).

use clap::{Args, Subcommand};
use dualhome_reports::{Exit, Formats};
use std::path::PathBuf;

/// Work with run reports.
#[derive(Subcommand)]
pub enum ReportCommand {
    /// Merge the JSON reports of shards into one report.
    Merge(MergeArgs),
}

/// `dualhome report merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// The shards' `report.json` files.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Where the merged reports go.
    #[arg(long, default_value = "target/dualhome/merged")]
    pub report_dir: PathBuf,
    /// Comma-separated outputs: junit, json, md (captures stay where the shards wrote them).
    #[arg(long, default_value = "junit,json,md")]
    pub format: String,
}

/// Runs the command and returns the exit code.
pub fn run(cmd: ReportCommand) -> u8 {
    let ReportCommand::Merge(args) = cmd;
    let formats = match Formats::parse(&args.format) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("dualhome report merge: {e}");
            return Exit::InvalidInput.code();
        }
    };
    let merged = match dualhome_reports::merge::merge_files(&args.reports) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dualhome report merge: {e}");
            return Exit::InvalidInput.code();
        }
    };
    if let Err(e) = dualhome_reports::write_reports(&merged, &args.report_dir, &formats) {
        eprintln!("dualhome report merge: {e}");
        return Exit::Failed.code();
    }
    match dualhome_reports::terminal::to_text(&merged) {
        Ok(text) => print!("{text}"),
        Err(e) => eprintln!("dualhome report merge: {e}"),
    }
    merged.exit().code()
}
