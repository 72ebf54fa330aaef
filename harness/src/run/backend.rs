//! `dualhome run --backend both`: the kernel backend's verdict on a scenario, as expectation outcomes in the same
//! report. Each difference between the simulator's and the kernel's state at a timeline step is one failed
//! outcome ("kernel: default via fe80::1 dev eth1 proto ra metric 1024 pref high; sim: none"); agreement on every
//! step is one passed outcome. Scenarios that are not kernel-capable, a host without CAP_NET_ADMIN, and what the
//! kernel side cannot build (pf firewalls) are skipped outcomes with the reason, never passes.

use crate::kernel::{check_privileges, compare, KernelOptions};
use crate::scenario::Scenario;
use dualhome_reports::{ExpectationOutcome, Verdict};

/// Which backends `dualhome run` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// The simulator only (the default).
    Sim,
    /// The simulator, then the same scenario in Linux network namespaces, diffed step by step.
    Both,
}

fn outcome(
    id: String,
    description: String,
    verdict: Verdict,
    expected: String,
    observed: Option<String>,
) -> ExpectationOutcome {
    ExpectationOutcome {
        id,
        kind: "backend-agreement".to_owned(),
        description,
        at_ns: None,
        verdict,
        expected,
        observed,
        location: None,
    }
}

/// Runs `scenario` on the kernel next to the simulator and turns the comparison into outcomes. `run_id` makes the
/// namespace names unique (`dh-<run_id>-<node>`); kernel runs are real time, so callers run them one at a time.
pub fn kernel_outcomes(
    scenario: &Scenario,
    source: Option<String>,
    seed: Option<u64>,
    run_id: &str,
) -> Vec<ExpectationOutcome> {
    let skipped = |reason: String| {
        vec![outcome(
            "backend[0]".to_owned(),
            "simulator and Linux agree".to_owned(),
            Verdict::Skipped { reason },
            "the same state on both backends".to_owned(),
            None,
        )]
    };
    if !scenario.kernel.as_ref().is_some_and(|k| k.capable) {
        return skipped("not kernel-capable (`kernel: {capable: true}` not set)".to_owned());
    }
    if let Err(e) = check_privileges() {
        return skipped(format!("kernel backend unavailable: {e}"));
    }
    let opts = KernelOptions {
        run_id: Some(run_id.to_owned()),
        source,
        seed,
        force: false,
    };
    let cmp = match compare(scenario, &opts) {
        Ok(c) => c,
        Err(e) => {
            return vec![outcome(
                "backend[0]".to_owned(),
                "the scenario runs on Linux".to_owned(),
                Verdict::Failed,
                "a kernel run".to_owned(),
                Some(e.to_string()),
            )]
        }
    };
    let mut out: Vec<ExpectationOutcome> = cmp
        .differences
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let show = |x: &Option<String>| x.clone().unwrap_or_else(|| "none".to_owned());
            outcome(
                format!("backend[{i}]"),
                format!("{} {} {} agrees with Linux", d.step, d.node, d.table),
                Verdict::Failed,
                format!("kernel: {}", show(&d.kernel)),
                Some(format!("sim: {}", show(&d.sim))),
            )
        })
        .collect();
    if out.is_empty() {
        out.push(outcome(
            "backend[0]".to_owned(),
            format!("simulator and Linux agree at all {} steps", cmp.sim.len()),
            Verdict::Passed,
            "the same state on both backends".to_owned(),
            Some("no difference".to_owned()),
        ));
    }
    let base = out.len();
    out.extend(cmp.kernel.skipped.iter().enumerate().map(|(i, what)| {
        outcome(
            format!("backend[{}]", base + i),
            format!("kernel side: {what}"),
            Verdict::Skipped {
                reason: "simulator only (no kernel equivalent)".to_owned(),
            },
            what.clone(),
            None,
        )
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{load_text, LoadOptions};

    #[test]
    fn a_scenario_that_is_not_kernel_capable_is_skipped_not_passed() {
        let text = "name: t\nduration: 1s\ntopology:\n  segments: [{name: lan}]\n";
        let Ok(s) = load_text("t.yml", text, None, &LoadOptions::default()) else {
            panic!("scenario does not load")
        };
        let out = kernel_outcomes(&s, None, None, "unit");
        assert_eq!(out.len(), 1);
        assert!(matches!(&out[0].verdict, Verdict::Skipped { reason } if reason.contains("not kernel-capable")));
    }
}
