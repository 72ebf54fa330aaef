//! The kernel backend (issue 9): a scenario run on the real Linux kernel in network namespaces, its state read
//! back after every timeline step and diffed against the simulator's.
//!
//! Entry points for the runner (`dualhome run --backend kernel|both`):
//! - [`run`]: builds the namespaces, runs the timeline in real time, returns the state at every step
//!   ([`KernelRun`]); every namespace is deleted on return, on error and on Ctrl-C.
//! - [`sim_steps`]: the same steps on the simulator (`run::world::build`, the BOSH deploy as `dualhome run` does
//!   it ([`bosh::sim_world`]), `run::actions::apply`).
//! - [`diff`]: the differences of one step, each a line like
//!   `t=5s vm route: kernel: default via fe80::1 dev eth1 proto ra metric 1024 pref high; sim: none`.
//! - [`compare`]: both backends and every step's differences (`--backend both`).
//! - [`judge`]: the kernel alone, the scenario's expectations judged there ([`checks`], `--backend kernel`).
//!
//! BOSH VMs boot from the agent's operation list on both sides ([`bosh`]); attackers' reactive behaviours run
//! on AF_PACKET sockets with the simulator's rules ([`react`], [`mitm`]); `kernel.time_scale` scales lifetimes
//! both ways ([`timescale`]).
//!
//! Safety: [`safety::check`] refuses scenarios with addresses outside documentation/ULA/link-local space; all
//! namespaces are `dh-*`; no interface of the initial namespace is touched. The kernel runs in real time, so
//! this module reads the wall clock (the one place in dualhome that does) and its output is not deterministic
//! to the nanosecond: lifetimes are compared with a tolerance ([`snapshot::DiffOptions`]).

mod apply;
pub mod attack;
pub mod bosh;
pub mod checks;
pub mod flows;
pub mod mitm;
pub mod netns;
pub mod nft;
pub mod observe;
pub mod raw;
pub mod react;
mod real_radvd;
pub mod runner;
pub mod safety;
pub mod sim_state;
pub mod snapshot;
pub mod sockets;
pub mod timescale;

use crate::run::actions::{apply, Effects, Snapshot as SimSnapshot};
use crate::run::RunError;
use crate::scenario::Scenario;
use dualhome_sim::time::Instant as SimInstant;
use snapshot::{diff_states, DiffOptions, Difference, StepSnapshot};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Why the kernel backend could not run a scenario.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    /// Not root and no CAP_NET_ADMIN, or no `ip`: callers report the scenario as skipped.
    #[error("kernel backend unavailable: {0}")]
    NotPermitted(String),
    /// The scenario is not marked `kernel: {capable: true}`.
    #[error("scenario is not kernel-capable: {0}")]
    NotCapable(String),
    /// An address outside the allowed ranges.
    #[error(transparent)]
    Unsafe(#[from] safety::UnsafeAddress),
    /// A refused name or argument.
    #[error("refused: {0}")]
    Refused(String),
    /// An `ip` command failed.
    #[error("`{cmd}` failed: {detail}")]
    Command {
        /// The command line.
        cmd: String,
        /// Its stderr.
        detail: String,
    },
    /// A system call or file failed.
    #[error("{what}: {detail}")]
    Io {
        /// What was attempted.
        what: String,
        /// The OS error.
        detail: String,
    },
    /// `ip -json` output that did not parse.
    #[error("cannot parse {what}: {detail}")]
    Parse {
        /// The command.
        what: String,
        /// The parser's message.
        detail: String,
    },
    /// The topology could not be set up.
    #[error("setup: {0}")]
    Setup(String),
    /// The scenario uses something the kernel backend does not carry out.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// SIGINT/SIGTERM arrived; everything created was deleted.
    #[error("interrupted; namespaces deleted")]
    Interrupted,
}

/// Options of a kernel run.
#[derive(Clone, Debug, Default)]
pub struct KernelOptions {
    /// Namespace infix (`dh-<run>-<node>`); default `k<pid>`. Letters, digits and `-`.
    pub run_id: Option<String>,
    /// The scenario file's text, for line numbers in the address check.
    pub source: Option<String>,
    /// Replaces the scenario's seed (RA interval jitter).
    pub seed: Option<u64>,
    /// Run even when the scenario is not marked kernel-capable.
    pub force: bool,
}

/// A finished kernel run.
#[derive(Clone, Debug)]
pub struct KernelRun {
    /// The state at every step.
    pub steps: Vec<StepSnapshot>,
    /// What was skipped on the kernel side (pf firewalls), for the report.
    pub skipped: Vec<String>,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Whether SIGINT or SIGTERM arrived since the handler was installed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

fn install_signal_handler() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
}

/// `Ok` when this process may create namespaces: root or CAP_NET_ADMIN (bit 12 of CapEff), and `ip` runs.
pub fn check_privileges() -> Result<(), KernelError> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let cap = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        .unwrap_or(0);
    if cap & (1 << 12) == 0 {
        return Err(KernelError::NotPermitted(
            "needs root or CAP_NET_ADMIN to create network namespaces".into(),
        ));
    }
    netns::ip(&["netns", "list"])
        .map(|_| ())
        .map_err(|e| KernelError::NotPermitted(format!("`ip netns` does not work here: {e}")))
}

/// The step times: every distinct timeline `at`, then `duration`, ascending.
pub fn step_times(scenario: &Scenario) -> Vec<Duration> {
    let mut t: Vec<Duration> = scenario
        .timeline
        .iter()
        .filter_map(|e| e.at.as_ref().map(|a| a.value.0))
        .collect();
    t.push(scenario.duration.value.0);
    t.sort();
    t.dedup();
    t
}

/// `t=1.5s`-style label of a step.
pub fn step_label(at: Duration) -> String {
    format!("t={}s", at.as_secs_f64())
}

/// What every kernel run checks and works out before creating anything: capability, the address check,
/// privileges; returns the kernel-side skips (pf firewalls), the run id and the time scale.
fn prepare(scenario: &Scenario, opts: &KernelOptions) -> Result<(Vec<String>, String, f64), KernelError> {
    let capable = scenario.kernel.as_ref().is_some_and(|k| k.capable);
    if !capable && !opts.force {
        let why = scenario
            .kernel
            .as_ref()
            .and_then(|k| k.reason.clone())
            .unwrap_or_else(|| "no `kernel:` section".into());
        return Err(KernelError::NotCapable(why));
    }
    safety::check(scenario, opts.source.as_deref())?;
    check_privileges()?;
    let mut skipped = Vec::new();
    for r in &scenario.topology.routers {
        match r.firewall.as_ref().map(|f| f.kind) {
            Some(crate::scenario::topology::FirewallKind::Pf) => {
                skipped.push(format!(
                    "router `{}`: pf firewall exists only in the simulator",
                    r.name.value
                ));
            }
            Some(crate::scenario::topology::FirewallKind::Conntrack) | None => {}
        }
    }
    install_signal_handler();
    let run_id = opts
        .run_id
        .clone()
        .unwrap_or_else(|| format!("k{}", std::process::id()));
    let scale = scenario
        .kernel
        .as_ref()
        .and_then(|k| k.time_scale.as_ref())
        .map_or(1.0, |s| s.value);
    Ok((skipped, run_id, scale))
}

/// Runs `scenario` on the kernel. Refuses unsafe scenarios before creating anything.
pub fn run(scenario: &Scenario, opts: &KernelOptions) -> Result<KernelRun, KernelError> {
    let (mut skipped, run_id, scale) = prepare(scenario, opts)?;
    let mut net = runner::KernelNet::build(scenario, opts, &run_id)?;
    let result = runner::run_timeline(&mut net, scenario, scale);
    let failures = std::mem::take(&mut net.boot_failures);
    let down = net.teardown();
    let (mut steps, notes) = result?;
    down?;
    add_boot_failures(&mut steps, failures.iter().map(|(vm, f)| (vm, f.as_slice())));
    skipped.extend(notes);
    Ok(KernelRun { steps, skipped })
}

/// A scenario's expectations judged on the kernel alone (`dualhome run --backend kernel`).
#[derive(Clone, Debug)]
pub struct KernelJudgement {
    /// One verdict per expectation, in `expect` order.
    pub checks: Vec<checks::KernelCheck>,
    /// What was skipped on the kernel side (pf firewalls, actions).
    pub skipped: Vec<String>,
    /// Boot ops each BOSH VM refused on the kernel.
    pub boot_failures: Vec<(String, Vec<dualhome_agent::OpFailure>)>,
}

/// Runs `scenario` on the kernel and judges its expectations there ([`checks::run_checks`]). Refuses unsafe
/// scenarios before creating anything; every namespace is deleted on return.
pub fn judge(scenario: &Scenario, opts: &KernelOptions) -> Result<KernelJudgement, KernelError> {
    let (mut skipped, run_id, scale) = prepare(scenario, opts)?;
    let mut net = runner::KernelNet::build(scenario, opts, &run_id)?;
    let result = checks::run_checks(&mut net, scenario, scale);
    let boot_failures = std::mem::take(&mut net.boot_failures);
    let down = net.teardown();
    let (checks, notes) = result?;
    down?;
    skipped.extend(notes);
    Ok(KernelJudgement {
        checks,
        skipped,
        boot_failures,
    })
}

/// Records each VM's refused boot ops in the first step's state (the deploy happens before it).
fn add_boot_failures<'a>(
    steps: &mut [StepSnapshot],
    failures: impl Iterator<Item = (&'a String, &'a [dualhome_agent::OpFailure])>,
) {
    let Some(first) = steps.first_mut() else { return };
    for (vm, list) in failures {
        if let Some(n) = first.state.nodes.get_mut(vm) {
            n.boot = list.iter().map(bosh::failure_text).collect();
        }
    }
}

/// The same steps on the simulator: the state just before each step's actions, and at the end. A BOSH
/// deployment is deployed first, as `dualhome run` does ([`bosh::sim_world`]).
pub fn sim_steps(scenario: &Scenario, seed: Option<u64>) -> Result<Vec<StepSnapshot>, RunError> {
    let (mut w, vms) = bosh::sim_world(scenario, seed.unwrap_or(scenario.seed))?;
    let mut out = Vec::new();
    let mut snapshots: Vec<SimSnapshot> = Vec::new();
    let mut flows = crate::run::flows::Flows::new();
    let end = SimInstant::from_nanos(u64::try_from(scenario.duration.value.0.as_nanos()).unwrap_or(u64::MAX));
    for at in step_times(scenario) {
        w.sim
            .run_until(SimInstant::from_nanos(u64::try_from(at.as_nanos()).unwrap_or(u64::MAX)));
        out.push(StepSnapshot {
            at_ms: u64::try_from(at.as_millis()).unwrap_or(u64::MAX),
            label: step_label(at),
            state: with_sim_flows(&w, &flows, sim_accepts(scenario, &w, sim_state::world_state(&w))?),
        });
        for (i, e) in scenario.timeline.iter().enumerate() {
            if e.at.as_ref().map(|a| a.value.0) != Some(at) {
                continue;
            }
            let mut fx = Effects {
                flows: &mut flows,
                snapshots: &mut snapshots,
                director: None,
                end,
            };
            apply(&mut w, i, &e.action, &mut fx)?;
        }
    }
    add_boot_failures(&mut out, vms.iter().map(|v| (&v.name, v.failures.as_slice())));
    Ok(out)
}

/// Adds the simulator's flow outcomes to their client nodes.
fn with_sim_flows(
    w: &crate::run::world::World,
    flows: &crate::run::flows::Flows,
    mut state: snapshot::NetState,
) -> snapshot::NetState {
    for (node, entry) in flows::sim_flows(w, flows) {
        if let Some(n) = state.nodes.get_mut(&node) {
            n.flows.push(entry);
        }
    }
    state
}

/// Adds the bind-semantics probes of every scenario host with services to `state` (simulator side).
fn sim_accepts(
    scenario: &Scenario,
    w: &crate::run::world::World,
    mut state: snapshot::NetState,
) -> Result<snapshot::NetState, RunError> {
    for h in scenario.topology.hosts.iter().filter(|h| !h.services.is_empty()) {
        let listens = sockets::host_listens(h).map_err(|e| RunError::Setup(e.to_string()))?;
        let targets = sockets::probe_targets(h, &listens);
        let id = w.node(&h.name.value)?.id;
        let host = w
            .sim
            .host(id)
            .ok_or_else(|| RunError::Setup(format!("`{}` is not a host", h.name.value)))?;
        if let Some(n) = state.nodes.get_mut(&h.name.value) {
            n.accepts = sockets::sim_accepts(&host.transport.sockets, &targets);
        }
    }
    Ok(state)
}

/// The differences between the simulator's and the kernel's state at one step.
pub fn diff(sim: &StepSnapshot, kernel: &StepSnapshot, opts: &DiffOptions) -> Vec<Difference> {
    diff_states(&kernel.label, &sim.state, &kernel.state, opts)
}

/// Both backends' steps and their differences.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// Simulator steps.
    pub sim: Vec<StepSnapshot>,
    /// Kernel run.
    pub kernel: KernelRun,
    /// Every difference, step by step.
    pub differences: Vec<Difference>,
}

/// Runs `scenario` on both backends and diffs every step (lifetimes in scenario seconds, super::timescale).
pub fn compare(scenario: &Scenario, opts: &KernelOptions) -> Result<Comparison, KernelError> {
    let sim = sim_steps(scenario, opts.seed).map_err(|e| KernelError::Setup(format!("simulator: {e}")))?;
    let kernel = run(scenario, opts)?;
    // Kernel lifetimes come back in scenario seconds (timescale.rs), so they compare at any scale.
    let scale = scenario
        .kernel
        .as_ref()
        .and_then(|k| k.time_scale.as_ref())
        .map_or(1.0, |s| s.value);
    let dopts = DiffOptions {
        lifetime_tolerance: timescale::tolerance(scale),
        ..DiffOptions::default()
    };
    let differences = sim
        .iter()
        .zip(&kernel.steps)
        .flat_map(|(s, k)| diff(s, k, &dopts))
        .collect();
    Ok(Comparison {
        sim,
        kernel,
        differences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{load_text, LoadOptions};

    #[test]
    fn steps_are_distinct_sorted_times_ending_at_duration() {
        let text = "name: t\nduration: 5s\ntimeline:\n  - at: 2s\n    snapshot: {label: b}\n  - at: 1s\n    snapshot: {label: a}\n  - at: 2s\n    snapshot: {label: c}\n";
        let s = load_text("t.yml", text, None, &LoadOptions::default());
        let Ok(s) = s else { panic!("scenario does not load") };
        assert_eq!(step_times(&s), [1, 2, 5].map(Duration::from_secs));
        assert_eq!(step_label(Duration::from_millis(1500)), "t=1.5s");
    }

    #[test]
    fn scenarios_without_kernel_section_are_refused_before_anything_is_created() {
        let s = load_text("t.yml", "name: t\nduration: 1s\n", None, &LoadOptions::default());
        let Ok(s) = s else { panic!("scenario does not load") };
        assert!(matches!(
            run(&s, &KernelOptions::default()),
            Err(KernelError::NotCapable(_))
        ));
    }
}
