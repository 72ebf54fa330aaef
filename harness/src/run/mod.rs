//! Running a scenario: topology → simulation ([`world`]), the BOSH deploy ([`deploy`]), the timeline
//! ([`actions`]) and the expectations ([`checks`]) at their times, the findings ([`crate::findings`]), and the
//! [`ScenarioReport`] the report writers take.
//!
//! Order of events at one instant: timeline actions in file order, then expectations in file order. An
//! expectation without `at` is checked at `duration`. A reachability probe starts at its check time and is read
//! `within` (default 5 s) later, so the simulation may run past `duration` to finish probes. Everything is
//! single-threaded and seeded: the same scenario and seed give the same report and capture bytes.

pub mod actions;
pub mod attacks;
pub mod backend;
pub mod batch;
pub mod checks;
pub mod convert;
pub mod deploy;
pub mod explain;
pub mod flows;
pub(crate) mod judge;
pub mod resolve;
pub mod services;
pub mod world;

use crate::findings;
use crate::scenario::Scenario;
use actions::Snapshot;
use checks::{Eval, RunFacts};
use dualhome_reports::{
    Artifacts, Backend, ExpectationOutcome, Finding, ScenarioReport, ScenarioStatus, SourceLocation, Verdict,
};
use dualhome_sim::time::Instant;
use std::net::IpAddr;
use world::World;

/// Why a scenario could not run to its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// Building the network failed (a verb the simulated kernel refused).
    #[error("setup: {0}")]
    Setup(String),
    /// The deploy could not be carried out (agent settings, unmapped port group).
    #[error("deploy: {0}")]
    Deploy(String),
    /// The scenario uses a part of the simulator that has not landed yet.
    #[error("{what}: needs {needs}, not built yet")]
    NotBuilt {
        /// What the scenario asked for.
        what: String,
        /// The missing part.
        needs: &'static str,
    },
    /// An address reference could not be resolved at run time.
    #[error("cannot resolve {0}")]
    Unresolved(String),
}

/// Options of one run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
    /// Stop at this simulated time instead of `duration` (`dualhome explain --at`): the timeline runs up to it and
    /// no expectation is checked.
    pub stop_at: Option<std::time::Duration>,
}

/// A finished run: the report, the captures and the snapshots.
pub struct ScenarioRun {
    /// The report.
    pub report: ScenarioReport,
    /// One pcapng per segment, in the scenario's segment order (none when the network was never built).
    pub captures: Vec<(String, Vec<u8>)>,
    /// Timeline snapshots.
    pub snapshots: Vec<Snapshot>,
}

enum Step {
    Action(usize),
    Check(usize),
    Finish(usize),
}

struct Pending {
    node: dualhome_sim::id::NodeId,
    probe: checks::ProbeKind,
    want_reply: bool,
    expected: String,
}

/// A report of `scenario` on `backend` before anything ran: passed, nothing judged, counters at zero (the kernel
/// backend's reports start here too).
pub(crate) fn new_report(scenario: &Scenario, file: &str, seed: u64, backend: Backend) -> ScenarioReport {
    ScenarioReport {
        file: file.to_owned(),
        name: scenario.name.value.clone(),
        description: scenario.description.trim().to_owned(),
        tags: scenario.tags.clone(),
        seed,
        backend,
        simulated_ns: 0,
        events: 0,
        frames: 0,
        status: ScenarioStatus::Passed,
        expectations: Vec::new(),
        findings: Vec::new(),
        artifacts: Artifacts::default(),
    }
}

/// Runs `scenario` (loaded from `file`) to its end.
pub fn run_scenario(scenario: &Scenario, file: &str, opts: &RunOptions) -> ScenarioRun {
    run_keeping_world(scenario, file, opts).0
}

/// [`run_scenario`], also returning the simulation at its end (when the network was built), for `explain`.
pub fn run_keeping_world(scenario: &Scenario, file: &str, opts: &RunOptions) -> (ScenarioRun, Option<World>) {
    let seed = opts.seed.unwrap_or(scenario.seed);
    let mut report = new_report(scenario, file, seed, Backend::Sim);
    let mut snapshots = Vec::new();
    let mut outcomes: Vec<Option<ExpectationOutcome>> = vec![None; scenario.expect.len()];
    let (world, error) = match world::build(scenario, seed) {
        Err(e) => (None, Some(e)),
        Ok(mut w) => {
            let result = execute(
                &mut w,
                scenario,
                file,
                (seed, opts.stop_at),
                &mut outcomes,
                &mut snapshots,
                &mut report.findings,
            );
            (Some(w), result.err())
        }
    };
    report.expectations = outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            o.unwrap_or_else(|| {
                let reason = match &error {
                    Some(e) => format!("not evaluated: the scenario errored ({e})"),
                    None => "not evaluated".to_owned(),
                };
                outcome(scenario, file, i, Verdict::Skipped { reason }, String::new(), None)
            })
        })
        .collect();
    findings::normalize(&mut report.findings);
    report.status = match &error {
        Some(e) => ScenarioStatus::Error { message: e.to_string() },
        // A scenario that asserts nothing proves nothing: it is skipped, never passed. Kernel-comparison files
        // (`kernel.capable`, no `expect`) are checked by `--backend both`, which diffs the two backends' state.
        None if report.expectations.is_empty() => ScenarioStatus::Skipped {
            reason:
                "no expectations: a backend-comparison scenario, checked against Linux by `dualhome run --backend both`"
                    .to_owned(),
        },
        None => ScenarioStatus::from_outcomes(&report.expectations),
    };
    let mut captures = Vec::new();
    if let Some(w) = &world {
        let stats = w.sim.stats();
        report.simulated_ns = w.sim.now().as_nanos();
        report.events = stats.events;
        report.frames = stats.frames_sent;
        for (name, id) in &w.segments {
            if let Ok(bytes) = w.sim.write_pcapng(&[*id], Vec::new()) {
                captures.push((name.clone(), bytes));
            }
        }
    }
    (
        ScenarioRun {
            report,
            captures,
            snapshots,
        },
        world,
    )
}

fn execute(
    world: &mut World,
    scenario: &Scenario,
    file: &str,
    (seed, stop_at): (u64, Option<std::time::Duration>),
    outcomes: &mut [Option<ExpectationOutcome>],
    snapshots: &mut Vec<Snapshot>,
    found: &mut Vec<Finding>,
) -> Result<(), RunError> {
    let end_of = |d: std::time::Duration| Instant::from_nanos(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let duration_end = end_of(scenario.duration.value.0);
    let end = stop_at.map_or(duration_end, |s| end_of(s).min(duration_end));
    let mut vms = Vec::new();
    let mut director: Option<IpAddr> = None;
    let mut flows = flows::Flows::new();
    if let Some(bosh) = &scenario.bosh {
        deploy::add_director(scenario, world, bosh, seed)?;
        director = Some(bosh.director.address.value.addr());
        found.extend(config_findings(scenario, bosh));
        match deploy::plan_deployment(scenario, bosh) {
            Ok(planned) => {
                if let Some(texts) = bosh_texts(scenario) {
                    let t = findings::config::BoshTexts {
                        cloud_config_file: &deploy::bosh_file_name(scenario, crate::scenario::BoshInput::CloudConfig),
                        cloud_config: &texts.0,
                        manifest_file: &deploy::bosh_file_name(scenario, crate::scenario::BoshInput::Manifest),
                        manifest: &texts.1,
                    };
                    found.extend(findings::config::service_findings(&t, &planned.settings));
                }
                vms = deploy::deploy(scenario, world, bosh, &planned, seed, duration_end)?;
            }
            // The director refusing the deployment is an outcome to assert on, not a harness error.
            Err(RunError::Deploy(msg)) => {
                world.deploy_error = Some(msg.clone());
                found.push(findings::about_source(findings::DEPLOY_FAILED, None, msg));
            }
            Err(e) => return Err(e),
        }
    }
    let config_only = found.clone();
    let at = |d: Option<&crate::scenario::Located<crate::scenario::values::HumanDuration>>| {
        d.map_or(end, |a| {
            Instant::from_nanos(u64::try_from(a.value.0.as_nanos()).unwrap_or(u64::MAX))
        })
    };
    let mut steps: Vec<(Instant, u8, usize, Step)> = Vec::new();
    for (i, e) in scenario.timeline.iter().enumerate() {
        steps.push((at(e.at.as_ref()), 0, i, Step::Action(i)));
    }
    // `explain` (a stop time) replays the timeline only: its own probes would add traffic to the flows it shows.
    for (i, e) in scenario.expect.iter().enumerate().filter(|_| stop_at.is_none()) {
        steps.push((at(e.at.as_ref()), 1, i, Step::Check(i)));
    }
    let mut pending: Vec<Option<Pending>> = (0..scenario.expect.len()).map(|_| None).collect();
    loop {
        steps.sort_by_key(|(t, order, i, _)| (*t, *order, *i));
        if steps.is_empty() {
            break;
        }
        let (t, _, _, step) = steps.remove(0);
        if stop_at.is_some() && t > end {
            continue;
        }
        world.sim.run_until(t);
        let facts = RunFacts {
            vms: &vms,
            director,
            config_findings: &config_only,
            flows: &flows,
        };
        match step {
            Step::Action(i) => {
                let mut fx = actions::Effects {
                    flows: &mut flows,
                    snapshots,
                    director,
                    end: duration_end,
                };
                actions::apply(world, i, &scenario.timeline[i].action, &mut fx)?;
            }
            Step::Check(i) => match checks::begin(world, &facts, &scenario.expect[i].expectation) {
                Ok(Eval::Done {
                    passed,
                    expected,
                    observed,
                }) => {
                    outcomes[i] = Some(outcome(scenario, file, i, verdict(passed), expected, Some(observed)));
                }
                Ok(Eval::Probe {
                    node,
                    probe,
                    finish,
                    want_reply,
                    expected,
                }) => {
                    pending[i] = Some(Pending {
                        node,
                        probe,
                        want_reply,
                        expected,
                    });
                    steps.push((finish, 2, i, Step::Finish(i)));
                }
                Err(e) => return Err(e),
            },
            Step::Finish(i) => {
                if let Some(p) = pending[i].take() {
                    let (passed, observed) = checks::finish(world, p.node, p.probe, p.want_reply);
                    outcomes[i] = Some(outcome(scenario, file, i, verdict(passed), p.expected, Some(observed)));
                }
            }
        }
    }
    if world.sim.now() < end {
        world.sim.run_until(end);
    }
    found.extend(findings::state::analyze(world, &vms, director));
    found.extend(findings::state::flow_findings(world, &flows));
    Ok(())
}

fn verdict(passed: bool) -> Verdict {
    if passed {
        Verdict::Passed
    } else {
        Verdict::Failed
    }
}

fn bosh_texts(scenario: &Scenario) -> Option<(String, String)> {
    use crate::scenario::BoshInput;
    let cc = scenario.bosh_text(BoshInput::CloudConfig)?.ok()?;
    let m = scenario.bosh_text(BoshInput::Manifest)?.ok()?;
    Some((cc, m))
}

fn config_findings(scenario: &Scenario, bosh: &crate::scenario::bosh::Bosh) -> Vec<Finding> {
    let Some((cc, m)) = bosh_texts(scenario) else {
        return Vec::new();
    };
    let texts = findings::config::BoshTexts {
        cloud_config_file: &deploy::bosh_file_name(scenario, crate::scenario::BoshInput::CloudConfig),
        cloud_config: &cc,
        manifest_file: &deploy::bosh_file_name(scenario, crate::scenario::BoshInput::Manifest),
        manifest: &m,
    };
    let era = match bosh.era {
        crate::scenario::bosh::Era::Y2018 => dualhome_ipam::Era::Y2018,
        crate::scenario::bosh::Era::Current => dualhome_ipam::Era::Current,
    };
    let director = [dualhome_ipam::Addr::from(bosh.director.address.value.addr())];
    findings::config::ipam_findings(&texts, era, &director)
}

/// The kind name of an expectation, as written in scenario files.
pub fn kind_name(e: &crate::scenario::expect::Expectation) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.as_object().and_then(|m| m.keys().next().cloned()))
        .unwrap_or_else(|| "expectation".to_owned())
}

/// One outcome of `expect[i]`, located and described the same on both backends (backend.rs reports the
/// kernel's verdicts through it too).
pub(crate) fn outcome(
    scenario: &Scenario,
    file: &str,
    i: usize,
    verdict: Verdict,
    expected: String,
    observed: Option<String>,
) -> ExpectationOutcome {
    let entry = &scenario.expect[i];
    let kind = kind_name(&entry.expectation);
    let payload = serde_json::to_value(&entry.expectation)
        .ok()
        .and_then(|v| v.as_object().and_then(|m| m.values().next().cloned()))
        .map_or_else(String::new, |v| v.to_string());
    ExpectationOutcome {
        id: format!("expect[{i}]"),
        description: format!("{kind} {payload}"),
        kind,
        at_ns: entry
            .at
            .as_ref()
            .map(|a| u64::try_from(a.value.0.as_nanos()).unwrap_or(u64::MAX)),
        verdict,
        expected,
        observed,
        location: entry.pos.is_known().then(|| SourceLocation {
            file: file.to_owned(),
            line: entry.pos.line,
            column: entry.pos.column,
        }),
    }
}
