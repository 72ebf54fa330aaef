//! `dualhome kernel …`: the kernel backend from the command line — run a scenario on both backends and print
//! the differences, and remove namespaces left by earlier runs.

use clap::Subcommand;
use dualhome::kernel::netns::{cleanup, PREFIX};
use dualhome::kernel::{compare, KernelError, KernelOptions};
use std::path::PathBuf;

/// Kernel backend subcommands.
#[derive(Subcommand)]
pub enum KernelCommand {
    /// Run a scenario on the simulator and on the kernel (network namespaces) and print every difference.
    Run {
        /// The scenario file (must be marked `kernel: {capable: true}`).
        file: PathBuf,
        /// Namespace infix (`dh-<run>-<node>`); default `k<pid>`.
        #[arg(long)]
        run_id: Option<String>,
        /// Run a scenario not marked kernel-capable.
        #[arg(long)]
        force: bool,
    },
    /// Delete network namespaces left by earlier kernel runs (names starting with `dh-`).
    Cleanup {
        /// Only namespaces of this run id (`dh-<run>-…`).
        #[arg(long)]
        run: Option<String>,
    },
}

/// Runs a kernel subcommand; returns the exit code (0 agree/done, 1 differences or error, 2 skipped).
pub fn run(cmd: KernelCommand) -> u8 {
    match cmd {
        KernelCommand::Run { file, run_id, force } => run_file(&file, run_id, force),
        KernelCommand::Cleanup { run } => {
            let prefix = run.map_or_else(|| PREFIX.to_owned(), |r| format!("{PREFIX}{r}-"));
            if let Err(e) = dualhome::kernel::check_privileges() {
                eprintln!("skipped: {e}");
                return 2;
            }
            match cleanup(&prefix) {
                Ok(names) => {
                    for n in &names {
                        println!("deleted {n}");
                    }
                    println!("{} namespace(s) deleted", names.len());
                    0
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    1
                }
            }
        }
    }
}

fn run_file(file: &std::path::Path, run_id: Option<String>, force: bool) -> u8 {
    let scenario = match dualhome::scenario::load_scenario(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", dualhome::scenario::render_plain(&e, 100));
            return 1;
        }
    };
    let source = std::fs::read_to_string(file).ok();
    let opts = KernelOptions {
        run_id,
        source,
        seed: None,
        force,
    };
    match compare(&scenario, &opts) {
        Ok(c) => {
            for s in &c.kernel.skipped {
                println!("skipped on the kernel: {s}");
            }
            for d in &c.differences {
                println!("{d}");
            }
            println!(
                "{} step(s), {} difference(s)",
                c.kernel.steps.len(),
                c.differences.len()
            );
            u8::from(!c.differences.is_empty())
        }
        Err(e @ (KernelError::NotPermitted(_) | KernelError::NotCapable(_))) => {
            eprintln!("skipped: {e}");
            2
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}
