//! Attacker frames built by the simulator's attack code, injected on the real kernel through AF_PACKET, do to a
//! Linux host what the attack is known to do (the same scenarios are diffed against the simulator in
//! kernel_scenarios.rs; this file pins the kernel's own outcome). Needs root or CAP_NET_ADMIN.

use dualhome::kernel::snapshot::{NodeState, StepSnapshot};
use dualhome::kernel::{check_privileges, run, KernelOptions};
use dualhome::scenario::load_scenario;

fn run_attack(file: &str, id: u32) -> Option<Vec<StepSnapshot>> {
    if let Err(e) = check_privileges() {
        println!("skipped: {file}: {e}");
        return None;
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/kernel")
        .join(file);
    let scenario = match load_scenario(&path) {
        Ok(s) => s,
        Err(e) => panic!("{file} does not load: {e:?}"),
    };
    let run_id = format!("a{}-{id}", std::process::id() % 100_000);
    let opts = KernelOptions {
        run_id: Some(run_id.clone()),
        source: std::fs::read_to_string(&path).ok(),
        ..KernelOptions::default()
    };
    let result = run(&scenario, &opts);
    assert_eq!(
        dualhome::kernel::netns::list(&format!("dh-{run_id}-")).ok(),
        Some(Vec::new()),
        "{file}: namespaces left"
    );
    match result {
        Ok(r) => Some(r.steps),
        Err(e) => panic!("{file}: {e}"),
    }
}

fn vm(step: &StepSnapshot) -> &NodeState {
    match step.state.nodes.get("vm") {
        Some(n) => n,
        None => panic!("no vm at {}", step.label),
    }
}

fn defaults(n: &NodeState) -> Vec<String> {
    n.routes
        .iter()
        .filter(|r| r.dst == "default" && r.via.is_some())
        .map(|r| {
            format!(
                "{} {}",
                r.via.clone().unwrap_or_default(),
                r.pref.clone().unwrap_or_default()
            )
        })
        .collect()
}

const RTR_LL: &str = "fe80::5eff:fe00:5301";
const MALLORY_LL: &str = "fe80::ff:fe00:6666";

#[test]
fn kill_router_removes_the_default_route() {
    let Some(steps) = run_attack("attack-kill-router.yml", 0) else {
        return;
    };
    assert_eq!(
        defaults(vm(&steps[1])),
        [format!("{RTR_LL} medium")],
        "before the attack"
    );
    assert!(
        defaults(vm(&steps[2])).is_empty(),
        "after: {:?}",
        defaults(vm(&steps[2]))
    );
}

#[test]
fn a_rogue_ra_with_high_preference_adds_a_winning_default() {
    let Some(steps) = run_attack("attack-rogue-ra.yml", 1) else {
        return;
    };
    let mut after = defaults(vm(&steps[2]));
    after.sort();
    assert_eq!(after, [format!("{RTR_LL} medium"), format!("{MALLORY_LL} high")]);
    assert!(
        vm(&steps[2]).routers.iter().any(|r| r.ip == MALLORY_LL),
        "mallory not flagged as router"
    );
}

#[test]
fn a_fragmented_rogue_ra_is_dropped() {
    let Some(steps) = run_attack("attack-rogue-ra-fragment.yml", 2) else {
        return;
    };
    assert_eq!(
        defaults(vm(&steps[2])),
        [format!("{RTR_LL} medium")],
        "RFC 6980: fragmented ND is dropped"
    );
}

#[test]
fn a_forged_redirect_from_the_first_hop_is_accepted() {
    let Some(steps) = run_attack("attack-redirect.yml", 3) else {
        return;
    };
    let cached: Vec<String> = vm(&steps[2])
        .routes
        .iter()
        .filter(|r| r.cache)
        .map(ToString::to_string)
        .collect();
    assert!(
        cached
            .iter()
            .any(|c| c.starts_with(&format!("2001:db8:99::1 via {MALLORY_LL} dev eth0 cache"))),
        "{cached:?}"
    );
    assert!(
        vm(&steps[1]).routes.iter().all(|r| !r.cache),
        "no exception before the redirect"
    );
}

fn node<'s>(step: &'s StepSnapshot, name: &str) -> &'s NodeState {
    match step.state.nodes.get(name) {
        Some(n) => n,
        None => panic!("no {name} at {}", step.label),
    }
}

#[test]
fn a_two_nic_relay_bridges_two_unrouted_vlans_and_kill_router_leaves_by_the_named_nic() {
    let Some(steps) = run_attack("attack-mitm-bridge.yml", 4) else {
        return;
    };
    let Some(end) = steps.last() else { panic!("no steps") };
    let pings = |n: &str| -> Vec<String> { node(end, n).pings.iter().map(ToString::to_string).collect() };
    // No router joins lan and lan2: only the attacker's shared relay (out of eth1 to vmB's MAC) answers these.
    assert_eq!(pings("vmA"), ["ping 2001:db8:3::10: 3 sent, 3 received"]);
    // vmA had never been seen when vmB pinged it: handed to rtr2, which has no route.
    assert_eq!(pings("vmB"), ["ping 2001:db8:1::10: 1 sent, 0 received"]);
    // The kill-router went out of eth1 (lan2): rtr2 gone for vmB, rtr kept by vmA; the rogue defaults survive
    // the victims' NUD probes (R = 1 from a relaying NIC).
    assert_eq!(defaults(node(end, "vmB")), ["fe80::ff:fe00:6667 high"]);
    let mut a = defaults(node(end, "vmA"));
    a.sort();
    assert_eq!(a, [format!("{RTR_LL} medium"), format!("{MALLORY_LL} high")]);
}
