//! The `dualhome` command line.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli_agent;
mod cli_explain;
mod cli_ipam;
mod cli_kernel;
mod cli_lint;
mod cli_report;
mod cli_run;
mod cli_schema;

/// Deterministic simulator and conformance harness for multihomed (IPv4 + IPv6) cloud VMs.
#[derive(Parser)]
#[command(name = "dualhome", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// BOSH-director-style IP allocation for manual networks.
    #[command(subcommand)]
    Ipam(cli_ipam::IpamCommand),
    /// BOSH-agent-style network configuration.
    #[command(subcommand)]
    Agent(cli_agent::AgentCommand),
    /// Print the JSON Schema of scenario files.
    Schema(cli_schema::SchemaCommand),
    /// Run scenario files on the simulator and write reports (JUnit, JSON, Markdown, pcapng).
    Run(cli_run::RunCommand),
    /// Kernel backend housekeeping (network namespaces).
    #[command(subcommand)]
    Kernel(cli_kernel::KernelCommand),
    /// A node's `ip` tables at a time and each flow's hop-by-hop path with the routing decision at every hop.
    Explain(cli_explain::ExplainCommand),
    /// The configuration analyzers on real BOSH files (text, JSON or SARIF).
    Lint(cli_lint::LintCommand),
    /// Run reports: merge the JSON reports of shards.
    #[command(subcommand)]
    Report(cli_report::ReportCommand),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Ipam(cmd) => cli_ipam::run(cmd),
        Command::Agent(cmd) => cli_agent::run(cmd),
        Command::Schema(cmd) => cli_schema::run(cmd),
        Command::Run(cmd) => cli_run::run(cmd, args),
        Command::Kernel(cmd) => cli_kernel::run(cmd),
        Command::Explain(cmd) => cli_explain::run(cmd),
        Command::Lint(cmd) => cli_lint::run(cmd),
        Command::Report(cmd) => cli_report::run(cmd),
    };
    ExitCode::from(code)
}
