//! `dualhome kernel …`: housekeeping for the kernel backend.

use clap::Subcommand;
use dualhome::kernel::netns::{cleanup, PREFIX};

/// Kernel backend subcommands.
#[derive(Subcommand)]
pub enum KernelCommand {
    /// Delete network namespaces left by earlier kernel runs (names starting with `dh-`).
    Cleanup {
        /// Only namespaces of this run id (`dh-<run>-…`).
        #[arg(long)]
        run: Option<String>,
    },
}

/// Runs a kernel subcommand; returns the exit code.
pub fn run(cmd: KernelCommand) -> u8 {
    match cmd {
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
