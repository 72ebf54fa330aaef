//! `dualhome explain SCENARIO [--at T] [--node N] [--flow ID]`: runs the scenario up to T and prints the node's
//! `ip addr`, `ip route`, `ip rule` and `ip neigh`, then each flow's hop-by-hop path with the routing decision at
//! every hop. Exit 0, or 2 when the scenario does not load or names an unknown node or flow.

use clap::Args;
use dualhome::run::explain::all_tables;
use dualhome::run::explain::{flow_path, flows};
use dualhome::run::{run_keeping_world, RunOptions};
use dualhome::scenario::values::HumanDuration;
use std::path::PathBuf;

/// Show a node's tables at a time and the flows' hop-by-hop paths.
#[derive(Args)]
pub struct ExplainCommand {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Simulated time to stop at (`30s`, `1m30s`); default: the scenario's duration.
    #[arg(long)]
    pub at: Option<HumanDuration>,
    /// Only this node's tables (`nginx/0`, `rtr`); default: every node.
    #[arg(long)]
    pub node: Option<String>,
    /// Only this flow (`timeline[2]` for a ping, the id of an ssh/http flow); default: every flow.
    #[arg(long)]
    pub flow: Option<String>,
    /// Replace the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Runs the command and returns the exit code.
pub fn run(cmd: ExplainCommand) -> u8 {
    let scenario = match dualhome::scenario::load_scenario(&cmd.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            return 2;
        }
    };
    let opts = RunOptions {
        seed: cmd.seed,
        stop_at: cmd.at.map(|a| a.0),
    };
    let (run, world) = run_keeping_world(&scenario, &cmd.scenario.display().to_string(), &opts);
    let Some(world) = world else {
        eprintln!("dualhome explain: {}", run.report.status.as_str());
        if let dualhome_reports::ScenarioStatus::Error { message } = &run.report.status {
            eprintln!("{message}");
        }
        return 1;
    };
    if let dualhome_reports::ScenarioStatus::Error { message } = &run.report.status {
        println!("note: the run stopped early: {message}\n");
    }
    println!("# {} at {}", scenario.name.value, world.sim.now());
    let only: Vec<String> = cmd.node.iter().cloned().collect();
    if let Some(n) = &cmd.node {
        if !world.nodes.contains_key(n) {
            let known: Vec<&str> = world.nodes.keys().map(String::as_str).collect();
            eprintln!("dualhome explain: unknown node `{n}` (nodes: {})", known.join(", "));
            return 2;
        }
    }
    print!("{}", all_tables(&world, &only));
    let all = flows(&scenario);
    let chosen: Vec<_> = match &cmd.flow {
        Some(id) => all.iter().filter(|f| &f.id == id).cloned().collect(),
        None => all.clone(),
    };
    if let (Some(id), true) = (&cmd.flow, chosen.is_empty()) {
        let known: Vec<&str> = all.iter().map(|f| f.id.as_str()).collect();
        eprintln!("dualhome explain: unknown flow `{id}` (flows: {})", known.join(", "));
        return 2;
    }
    for f in &chosen {
        println!();
        print!("{}", flow_path(&world, &scenario, f));
    }
    0
}
