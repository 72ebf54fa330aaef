//! `dualhome ipam …` (being written).

/// `dualhome ipam` subcommands.
#[derive(clap::Subcommand)]
pub enum IpamCommand {}

/// Runs a `dualhome ipam` subcommand and returns the process exit code.
pub fn run(cmd: IpamCommand) -> u8 {
    match cmd {}
}
