//! Every expectation kind evaluated on the seed network (tests/run_cases/seed-net.yml): once where it holds and
//! once where it does not — so each check can fail — plus timeline actions (send-ra, link-down, sysctl, snapshot).
//!
//! Flow findings on the seed network with pf on the router (seed footnote [Router Advertisements]): ssh from VLAN A
//! to the VM's far (VLAN B) address arrives on eth1, the replies leave by eth0 (asymmetric), and pf's `block return`
//! resets the session; ssh to the near IPv4 address is symmetric and survives.

use dualhome::run::{run_scenario, RunOptions};
use dualhome::scenario::{load_text, render_plain, LoadOptions, Scenario};
use dualhome_reports::{ScenarioReport, ScenarioStatus, Verdict};
use std::path::Path;

const NET: &str = include_str!("run_cases/seed-net.yml");

const HOLDS: &str = include_str!("run_cases/holds.expect.yml");

const FAILS: &str = include_str!("run_cases/fails.expect.yml");

const ALL_KINDS: [&str; 15] = [
    "instances",
    "reachable",
    "unreachable",
    "route-get",
    "address-present",
    "address-absent",
    "default-routers",
    "finding-present",
    "finding-absent",
    "capture",
    "count",
    "established",
    "reset-within",
    "survives",
    "path",
];

fn load(extra: &str) -> Scenario {
    let text = format!("{NET}{extra}");
    match load_text("seed-net.yml", &text, Some(Path::new(".")), &LoadOptions::default()) {
        Ok(s) => s,
        Err(e) => panic!("{}", render_plain(&e, 120)),
    }
}

fn run(extra: &str) -> ScenarioReport {
    run_scenario(&load(extra), "seed-net.yml", &RunOptions::default()).report
}

#[test]
fn every_kind_holds_on_the_seed_network() {
    let report = run(HOLDS);
    for o in &report.expectations {
        assert_eq!(
            o.verdict,
            Verdict::Passed,
            "{} {}: {:?} vs {:?}",
            o.id,
            o.kind,
            o.expected,
            o.observed
        );
    }
    assert_eq!(report.status, ScenarioStatus::Passed);
    for kind in ALL_KINDS {
        assert!(report.expectations.iter().any(|o| o.kind == kind), "{kind} not covered");
    }
}

#[test]
fn every_kind_fails_when_the_network_says_otherwise() {
    let report = run(FAILS);
    for o in &report.expectations {
        assert_eq!(
            o.verdict,
            Verdict::Failed,
            "{} {} should fail: observed {:?}",
            o.id,
            o.kind,
            o.observed
        );
        assert!(
            o.location.as_ref().is_some_and(|l| l.line > 0),
            "{} has no location",
            o.id
        );
    }
    assert_eq!(report.status, ScenarioStatus::Failed);
    for kind in ALL_KINDS {
        assert!(report.expectations.iter().any(|o| o.kind == kind), "{kind} not covered");
    }
    let instances = &report.expectations[0];
    assert_eq!(
        instances.observed.as_deref(),
        Some("nginx/0 running [10.0.9.165, 2601:0646:0100:69f1:0000:0000:0000:0165]"),
        "the 2018 director prints IPv6 expanded"
    );
}

#[test]
fn send_ra_with_a_zero_lifetime_withdraws_the_router() {
    let extra = "timeline:\n  - at: 30s\n    send-ra: {router: rtr, iface: eth0, ra: {default_lifetime: 0s}}\nexpect:\n  - at: 29s\n    default-routers: {node: nginx/0, routers: [\"2601:646:100:69f1:20d:b9ff:fe48:9249\", \"rtr:eth1:ll\", \"rtr:eth0:ll\"]}\n  - at: 30s100ms\n    default-routers: {node: nginx/0, routers: [\"2601:646:100:69f1:20d:b9ff:fe48:9249\", \"rtr:eth1:ll\"]}\n";
    let report = run(extra);
    for o in &report.expectations {
        assert_eq!(
            o.verdict,
            Verdict::Passed,
            "{} {}: {} vs {:?}",
            o.id,
            o.kind,
            o.expected,
            o.observed
        );
    }
}

#[test]
fn timeline_link_down_makes_the_director_unreachable_and_sysctl_applies() {
    let extra = "timeline:\n  - at: 20s\n    link-down: {node: nginx/0, iface: eth0}\n  - at: 21s\n    sysctl: {node: nginx/0, key: net.ipv6.conf.eth0.accept_ra, value: 0}\n  - at: 21s\n    sysctl: {node: nginx/0, key: net.ipv6.conf.eth1.accept_ra, value: 0}\n  - at: 22s\n    snapshot: {label: down, nodes: [nginx/0]}\nexpect:\n  - at: 10s\n    reachable: {probe: ping, from: nginx/0, to: director}\n  - at: 30s\n    unreachable: {probe: ping, from: nginx/0, to: director}\n  - at: 30s\n    finding-absent: {code: ra-mitm-exposure, node: nginx/0}\n  - at: 15s\n    finding-present: {code: ra-mitm-exposure, node: nginx/0}\n";
    let scenario = load(extra);
    let run = run_scenario(&scenario, "seed-net.yml", &RunOptions::default());
    for o in &run.report.expectations {
        assert_eq!(o.verdict, Verdict::Passed, "{} {}: {:?}", o.id, o.kind, o.observed);
    }
    assert_eq!(run.snapshots.len(), 1);
    let snap = &run.snapshots[0];
    assert_eq!((snap.label.as_str(), snap.at_ns), ("down", 22_000_000_000));
    assert!(
        snap.text.contains("== nginx/0 ==") && snap.text.contains("$ ip -6 route"),
        "{}",
        snap.text
    );
    assert!(!snap.text.contains("== rtr =="));
}

fn network() -> String {
    NET.replace("duration: 1m\n", "duration: 3m\n").replace(
        "  hosts:\n    - name: browser",
        "      firewall:\n        kind: pf\n        block: return\n        rules:\n          - {action: pass, direction: in, proto: tcp, port: 22}\n          - {action: block, direction: in, proto: tcp, keep_state: false}\n  hosts:\n    - name: ws\n      interfaces:\n        - {name: eth0, segment: vlan-a, mac: \"02:00:00:00:0a:01\", addresses: [10.0.9.50/24, \"2601:646:100:69f0::50/64\"]}\n      routes:\n        - {dst: \"::/0\", via: \"2601:646:100:69f0::1\", dev: eth0}\n      sysctls:\n        net.ipv6.conf.eth0.accept_ra: 0\n    - name: browser",
    )
}

#[test]
fn the_far_address_session_is_asymmetric_and_reset_by_pf() {
    let text = format!(
        "{}timeline:\n  - at: 20s\n    ssh: {{id: far, from: ws, to: \"nginx/0:eth1\", hold: 2m, keepalive: 15s}}\n  - at: 20s\n    ssh: {{id: near, from: ws, to: \"nginx/0:eth0:v4\", hold: 2m, keepalive: 15s}}\nexpect:\n  - at: 25s\n    established: {{flow: far}}\n  - reset-within: {{flow: far, within: 60s}}\n  - survives: {{flow: near, for: 2m}}\n  - finding-present: {{code: asymmetric-tcp-flow, node: nginx/0}}\n  - finding-present: {{code: middlebox-reset, node: ws}}\n  - path: {{flow: far, via: [ws, rtr, nginx/0]}}\n",
        network()
    );
    let s = match load_text("f.yml", &text, Some(Path::new(".")), &LoadOptions::default()) {
        Ok(s) => s,
        Err(e) => panic!("{}", render_plain(&e, 120)),
    };
    let report = run_scenario(&s, "f.yml", &RunOptions::default()).report;
    for o in &report.expectations {
        assert_eq!(
            o.verdict,
            Verdict::Passed,
            "{} {}: {} vs {:?}",
            o.id,
            o.kind,
            o.expected,
            o.observed
        );
    }
    assert_eq!(report.status, ScenarioStatus::Passed);
    let asym = report.findings.iter().find(|f| f.code == "asymmetric-tcp-flow");
    assert!(
        asym.is_some_and(|f| f.message.contains("receives it on eth1 but sends on eth0")),
        "{asym:?}"
    );
    // The near session is symmetric: no finding names it.
    assert!(report.findings.iter().all(|f| !f.message.contains("flow `near`")));
}

/// A router with no RA daemon and a host, as `scenarios/conformance/ra-validity.yml` has them.
const RA_LAN: &str = "name: ra-lan\nduration: 10s\ntopology:\n  segments:\n    - {name: lan, prefixes: [2001:db8:1::/64]}\n  routers:\n    - name: rtr\n      interfaces:\n        - {name: eth0, segment: lan, mac: \"02:00:00:00:00:01\", addresses: [2001:db8:1::1/64]}\n  hosts:\n    - name: nut\n      interfaces:\n        - {name: eth0, segment: lan, mac: \"02:00:00:00:01:01\"}\n";

/// `send-ra` with `malformed:` (RFC 4861 §6.1.2, RFC 6980): the host ignores each broken RA — and the same
/// expectations fail on the same RA sent valid, so they are not vacuous.
#[test]
fn send_ra_malformed_is_ignored_and_its_valid_twin_is_not() {
    let expect = "expect:\n  - at: 6s\n    default-routers: {node: nut, routers: []}\n  - at: 6s\n    count: {node: nut, what: addresses, iface: eth0, family: ipv6, count: 1}\n  - at: 6s\n    count: {node: nut, what: neighbours, iface: eth0, count: 0}\n";
    let malformed = [
        "hop-limit",
        "global-source",
        "icmp-code",
        "bad-checksum",
        "zero-length-option",
        "truncated",
        "fragment",
    ];
    for m in malformed
        .iter()
        .map(|m| format!("malformed: {m}, "))
        .chain([String::new()])
    {
        let text = format!(
            "{RA_LAN}timeline:\n  - at: 5s\n    send-ra: {{router: rtr, iface: eth0, {m}ra: {{prefixes: [{{prefix: \"2001:db8:11::/64\"}}]}}}}\n{expect}"
        );
        let s = match load_text("ra.yml", &text, Some(Path::new(".")), &LoadOptions::default()) {
            Ok(s) => s,
            Err(e) => panic!("{}", render_plain(&e, 120)),
        };
        let report = run_scenario(&s, "ra.yml", &RunOptions::default()).report;
        let want = if m.is_empty() { Verdict::Failed } else { Verdict::Passed };
        for o in &report.expectations {
            assert_eq!(o.verdict, want, "`{m}` {} {}: {:?}", o.id, o.kind, o.observed);
        }
        assert_eq!(report.expectations.len(), 3);
    }
}
