//! `dualhome explain`: tables at a time and hop-by-hop flow paths from the trace.

use std::path::Path;
use std::process::{Command, Output};

const NET: &str = include_str!("run_cases/seed-net.yml");
const TIMELINE: &str = "timeline:\n  - at: 20s\n    ping: {from: browser, to: \"nginx/0:eth1\"}\n  - at: 25s\n    link-down: {node: nginx/0, iface: eth0}\n  - at: 26s\n    ping: {from: nginx/0, to: director}\nexpect:\n  - reachable: {probe: ping, from: nginx/0, to: director}\n";

fn explain(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dualhome"))
        .arg("explain")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run dualhome: {e}"))
}

fn scenario_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    assert!(std::fs::write(dir.path().join("s.yml"), format!("{NET}{TIMELINE}")).is_ok());
    dir
}

#[test]
fn tables_at_a_time_and_each_hop_with_its_routing_decision() {
    let dir = scenario_dir();
    let out = explain(
        &["s.yml", "--at", "24s", "--node", "nginx/0", "--flow", "timeline[0]"],
        dir.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("# seed-net at 24.000000"), "{text}");
    for want in [
        "$ ip addr",
        "inet 10.0.9.165/24",
        "$ ip -6 route show table all",
        "$ ip rule",
        "$ ip neigh",
    ] {
        assert!(text.contains(want), "missing {want}:\n{text}");
    }
    assert!(!text.contains("== rtr =="), "only the asked node");
    // The request crosses the router, which forwards by its table; the VM answers by its default route.
    let hops: Vec<&str> = text.lines().filter(|l| l.starts_with("  2")).collect();
    assert!(
        hops.iter()
            .any(|l| l.contains("browser  routes 2601:646:100:69f1::165: dev eth0 via 2001:db8:ffff::1")),
        "{text}"
    );
    assert!(
        hops.iter()
            .any(|l| l.contains("rtr  forwards 2601:646:100:69f1::165: dev eth1 on-link table main")),
        "{text}"
    );
    assert!(
        hops.iter()
            .any(|l| l.contains("nginx/0  routes 2001:db8:ffff::100: dev eth1 via")),
        "{text}"
    );
    assert!(hops.iter().any(|l| l.contains("browser  receives")), "{text}");
    assert!(!text.contains("timeline[2]"), "only the asked flow");
}

#[test]
fn the_time_matters_and_drops_are_shown() {
    let dir = scenario_dir();
    let out = explain(&["s.yml", "--at", "40s", "--node", "nginx/0"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    // eth0 is down at 40 s: the kernel keeps its IPv4 address but drops its routes (fib_sync_down_dev), so the
    // ping to the director dies at the VM with no route.
    assert!(
        text.contains("eth0: <BROADCAST,MULTICAST> mtu 1500 qdisc fq_codel state DOWN"),
        "{text}"
    );
    assert!(!text.contains("10.0.9.0/24 dev eth0"), "{text}");
    let flow = text.split("flow timeline[2]").nth(1).unwrap_or_default();
    assert!(flow.contains("nginx/0  drops a packet: NoRoute"), "{flow}");
    assert!(!flow.contains("director  receives"), "{flow}");
}

#[test]
fn unknown_node_or_flow_is_exit_2() {
    let dir = scenario_dir();
    assert_eq!(
        explain(&["s.yml", "--node", "ghost"], dir.path()).status.code(),
        Some(2)
    );
    let out = explain(&["s.yml", "--flow", "nope"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("timeline[0]"),
        "lists the known flows"
    );
    assert_eq!(explain(&["missing.yml"], dir.path()).status.code(), Some(2));
}

#[test]
fn tcp_flows_are_followed_by_their_port() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let timeline = "timeline:\n  - at: 20s\n    http: {id: web, from: browser, to: \"nginx/0:eth1\", port: 80}\nexpect:\n  - reachable: {probe: ping, from: nginx/0, to: director}\n";
    assert!(std::fs::write(dir.path().join("s.yml"), format!("{NET}{timeline}")).is_ok());
    let out = explain(
        &["s.yml", "--at", "25s", "--node", "browser", "--flow", "web"],
        dir.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("flow web http browser → nginx/0:eth1"), "{text}");
    assert!(
        text.contains("rtr  forwards 2601:646:100:69f1::165: dev eth1"),
        "{text}"
    );
    assert!(
        text.contains("nginx/0  sends #") && text.contains(": TCP 80 > "),
        "{text}"
    );
}
