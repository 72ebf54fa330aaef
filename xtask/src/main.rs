//! `cargo xtask ci|bench [TARGET]`: the project's chores, so CI and a developer run the same steps.

use std::process::{Command, ExitCode};

fn cargo(args: &[&str]) -> bool {
    eprintln!("xtask: cargo {}", args.join(" "));
    match Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .status()
    {
        Ok(status) => status.success(),
        Err(err) => {
            eprintln!("xtask: cannot run cargo: {err}");
            false
        }
    }
}

/// The CI gate: formatting, lints as errors, then the README's test command.
fn ci() -> bool {
    cargo(&["fmt", "--all", "--", "--check"])
        && cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])
        && cargo(&["test", "--workspace"])
}

/// Benchmarks by target name; each maps to a bench binary of one crate.
const BENCHES: &[(&str, &str, &str)] = &[
    ("ipam", "dualhome-ipam", "ipam_plan"),
    ("sim", "dualhome-sim", "w1_echo"),
    ("sim", "dualhome-sim", "w2_tcp"),
    ("sim", "dualhome-sim", "w3_radvd"),
    ("wire", "dualhome-sim", "wire"),
    ("tables", "dualhome-sim", "tables"),
    ("reports", "dualhome-reports", "writers"),
];

fn bench(target: Option<&str>) -> bool {
    let mut ran = false;
    for (name, package, bench) in BENCHES {
        if target.is_some_and(|t| t != *name) {
            continue;
        }
        ran = true;
        if !cargo(&["bench", "-p", package, "--bench", bench]) {
            return false;
        }
    }
    if !ran {
        let names: Vec<&str> = BENCHES.iter().map(|b| b.0).collect();
        eprintln!("xtask: unknown bench target; known: {}", names.join(", "));
    }
    ran
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ok = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench") => bench(args.get(1).map(String::as_str)),
        _ => {
            eprintln!("usage: cargo xtask ci | cargo xtask bench [ipam|sim|wire|tables|reports]");
            false
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
