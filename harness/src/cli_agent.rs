//! `dualhome agent …` (being written).

/// `dualhome agent` subcommands.
#[derive(clap::Subcommand)]
pub enum AgentCommand {}

/// Runs a `dualhome agent` subcommand and returns the process exit code.
pub fn run(cmd: AgentCommand) -> u8 {
    match cmd {}
}
