//! `dualhome run --backend both|kernel`: the kernel backend's verdict on a scenario, as outcomes in the usual
//! report.
//!
//! `both`: each difference between the simulator's and the kernel's state at a timeline step is one failed
//! outcome ("kernel: default via fe80::1 dev eth1 proto ra metric 1024 pref high; sim: none"); agreement on every
//! step is one passed outcome. `kernel`: the scenario runs on Linux alone and its own expectations are judged
//! there ([`crate::kernel::checks`]); kinds only the simulator can judge are skipped outcomes with the reason.
//! Scenarios that are not kernel-capable, a host without CAP_NET_ADMIN, and what the kernel side cannot build
//! (pf firewalls) are skipped with the reason, never passed.

use crate::kernel::checks::KernelVerdict;
use crate::kernel::{check_privileges, compare, judge, KernelError, KernelOptions};
use crate::run::actions::Snapshot;
use crate::run::ScenarioRun;
use crate::scenario::Scenario;
use dualhome_reports::{Backend as ReportBackend, ExpectationOutcome, ScenarioReport, ScenarioStatus, Verdict};

/// Which backends `dualhome run` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// The simulator only (the default).
    Sim,
    /// The simulator, then the same scenario in Linux network namespaces, diffed step by step.
    Both,
    /// Linux network namespaces only: the scenario's expectations judged on the kernel (root).
    Kernel,
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

/// `dualhome run --backend kernel` for one scenario: its report with the kernel's verdicts. `file` is the path
/// as reports show it; `source` the file's text (line numbers in the address check).
pub fn kernel_report(
    scenario: &Scenario,
    file: &str,
    source: Option<String>,
    seed: Option<u64>,
    run_id: &str,
) -> ScenarioRun {
    let mut report = super::new_report(scenario, file, seed.unwrap_or(scenario.seed), ReportBackend::Kernel);
    let skip_all = |report: &mut ScenarioReport, reason: String| {
        report.expectations = (0..scenario.expect.len())
            .map(|i| {
                let v = Verdict::Skipped { reason: reason.clone() };
                super::outcome(scenario, file, i, v, String::new(), None)
            })
            .collect();
        report.status = ScenarioStatus::Skipped { reason };
    };
    let opts = KernelOptions {
        run_id: Some(run_id.to_owned()),
        source,
        seed,
        force: false,
    };
    if scenario.expect.is_empty() {
        report.status = ScenarioStatus::Skipped {
            reason: "no expectations: a backend-comparison scenario, checked against the simulator by `--backend both`"
                .to_owned(),
        };
        return ScenarioRun {
            report,
            captures: Vec::new(),
            snapshots: Vec::new(),
        };
    }
    match judge(scenario, &opts) {
        Err(e @ (KernelError::NotCapable(_) | KernelError::NotPermitted(_))) => skip_all(&mut report, e.to_string()),
        Err(e) => {
            let message = format!("kernel backend: {e}");
            skip_all(&mut report, format!("not evaluated: the scenario errored ({message})"));
            report.status = ScenarioStatus::Error { message };
        }
        Ok(j) => {
            for c in j.checks {
                let verdict = match c.verdict {
                    KernelVerdict::Passed => Verdict::Passed,
                    KernelVerdict::Failed => Verdict::Failed,
                    KernelVerdict::Skipped(reason) => Verdict::Skipped { reason },
                };
                report
                    .expectations
                    .push(super::outcome(scenario, file, c.index, verdict, c.expected, c.observed));
            }
            let notes = j
                .skipped
                .into_iter()
                .chain(j.boot_failures.iter().flat_map(|(vm, list)| {
                    list.iter().map(move |f| {
                        format!(
                            "{vm}: boot op {} refused by the kernel: {} ({})",
                            f.index, f.op, f.reason
                        )
                    })
                }));
            for (i, what) in notes.enumerate() {
                report.expectations.push(outcome(
                    format!("backend[{i}]"),
                    format!("kernel side: {what}"),
                    Verdict::Skipped {
                        reason: "reported, not judged".to_owned(),
                    },
                    what,
                    None,
                ));
            }
            let judged = report
                .expectations
                .iter()
                .any(|o| matches!(o.verdict, Verdict::Passed | Verdict::Failed));
            report.status = if judged {
                ScenarioStatus::from_outcomes(&report.expectations)
            } else {
                ScenarioStatus::Skipped {
                    reason: "no expectation the kernel can judge".to_owned(),
                }
            };
        }
    }
    ScenarioRun {
        report,
        captures: Vec::new(),
        snapshots: Vec::<Snapshot>::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{load_text, LoadOptions};

    #[test]
    fn kernel_only_runs_skip_scenarios_that_are_not_kernel_capable_with_every_expectation() {
        let text = "name: t\nduration: 1s\ntopology:\n  segments: [{name: lan}]\n  hosts:\n    - name: a\n      interfaces: [{name: eth0, segment: lan, mac: \"02:00:00:00:00:01\", addresses: [2001:db8::1/64]}]\nexpect:\n  - address-present: {node: a, iface: eth0, address: \"2001:db8::1\"}\n";
        let Ok(s) = load_text("t.yml", text, None, &LoadOptions::default()) else {
            panic!("scenario does not load")
        };
        let run = kernel_report(&s, "t.yml", None, None, "unit");
        assert_eq!(run.report.backend, ReportBackend::Kernel);
        assert!(
            matches!(&run.report.status, ScenarioStatus::Skipped { reason } if reason.contains("not kernel-capable"))
        );
        assert_eq!(run.report.expectations.len(), 1);
        assert!(matches!(&run.report.expectations[0].verdict, Verdict::Skipped { .. }));
    }

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
