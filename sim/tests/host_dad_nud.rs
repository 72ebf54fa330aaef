//! DAD conflicts and NUD over virtual time, driven by real frames between simulated hosts.

mod common;

use common::*;
use dualhome_sim::app::ping::PingConfig;
use dualhome_sim::engine::Sim;
use dualhome_sim::host::neigh::NudState;
use dualhome_sim::host::render_addr::{ip_addr_show, Family};
use dualhome_sim::id::{IfIndex, NodeId, PortId};
use dualhome_sim::time::Instant;
use std::time::Duration;

/// Host `a` joins the LAN; once its DAD is over (5 s), host `b` joins with the same MAC suffix and addresses, and
/// runs to 10 s. Returns the simulation and both hosts.
fn late_duplicate(seed: u64, a_mac: (u8, u8), b_mac: (u8, u8), addrs: &[&str]) -> (Sim, NodeId, NodeId) {
    let mut s = sim(seed);
    let lan = segment(&mut s, "lan");
    let a = s.add_host("a");
    let b = s.add_host("b");
    nic(&mut s, a, "eth0", lan, a_mac.0, a_mac.1, addrs);
    s.run_until(Instant::from_secs(5));
    nic(&mut s, b, "eth0", lan, b_mac.0, b_mac.1, addrs);
    s.run_until(Instant::from_secs(10));
    (s, a, b)
}

/// `ip -6 addr show dev eth0` on `node`.
fn eth0_v6(s: &Sim, node: NodeId) -> String {
    let h = s.host(node).expect("host");
    ip_addr_show(&h.tables, Family::V6, Some(IfIndex(2)), s.now())
}

/// Hosts a (2001:db8:1::a) and b (2001:db8:1::b) on one LAN; a pings b once at 3 s.
fn pinged_pair(seed: u64) -> (Sim, NodeId) {
    let mut s = sim(seed);
    let lan = segment(&mut s, "lan");
    let a = s.add_host("a");
    let b = s.add_host("b");
    nic(&mut s, a, "eth0", lan, 1, 0, &["2001:db8:1::a/64"]);
    nic(&mut s, b, "eth0", lan, 2, 0, &["2001:db8:1::b/64"]);
    s.run_until(Instant::from_secs(3));
    ping_b(&mut s, a);
    (s, a)
}

fn ping_b(s: &mut Sim, a: NodeId) {
    s.with_host(a, |h, ctx| h.start_ping(ctx, PingConfig::new(ip("2001:db8:1::b"), 1)));
}

/// The state of a's entry for b.
fn state(s: &Sim, a: NodeId) -> Option<NudState> {
    s.host(a)
        .expect("a")
        .neigh
        .get(IfIndex(2), ip("2001:db8:1::b"))
        .map(|n| n.state)
}

#[test]
fn a_manual_address_already_in_use_ends_dadfailed() {
    // b adds the address after a finished DAD: a defends it, b keeps it as `dadfailed tentative` (C7).
    let (s, a, b) = late_duplicate(1, (1, 0), (2, 0), &["2001:db8:3::5/64"]);
    let text = eth0_v6(&s, b);
    assert!(
        text.contains("inet6 2001:db8:3::5/64 scope global dadfailed tentative"),
        "{text}"
    );
    assert_eq!(s.host(b).expect("b").counters.dad_failures, 1);
    let text = eth0_v6(&s, a);
    assert!(
        text.contains("inet6 2001:db8:3::5/64 scope global \n"),
        "a keeps it clean: {text}"
    );
}

#[test]
fn a_second_host_with_the_same_mac_fails_link_local_dad() {
    let (s, _, b) = late_duplicate(2, (7, 7), (7, 7), &[]);
    let text = eth0_v6(&s, b);
    assert!(
        text.contains("fe80::5054:ff:fe00:707/64 scope link dadfailed tentative"),
        "{text}"
    );
}

#[test]
fn nud_reachable_stale_delay_probe_reachable() {
    let (mut s, a) = pinged_pair(3);
    s.run_until(Instant::from_secs(4));
    assert_eq!(state(&s, a), Some(NudState::Reachable));
    // base_reachable_time 30 s randomised to 15–45 s (B38): stale by 50 s.
    s.run_until(Instant::from_secs(50));
    assert_eq!(state(&s, a), Some(NudState::Stale));
    // Using a STALE entry sends at once and waits delay_first_probe_time (5 s) for confirmation.
    ping_b(&mut s, a);
    s.run_until(Instant::from_secs(51));
    assert_eq!(state(&s, a), Some(NudState::Delay));
    // No upper-layer confirmation: PROBE with a unicast NS at +5 s, b answers, REACHABLE again.
    s.run_until(Instant::from_secs(50) + Duration::from_millis(5_100));
    assert_eq!(state(&s, a), Some(NudState::Reachable));
    assert_eq!(s.host(a).expect("a").pings[1].report.received, 1);
}

#[test]
fn nud_fails_when_the_neighbour_goes_away() {
    let (mut s, a) = pinged_pair(4);
    s.run_until(Instant::from_secs(50));
    // b's cable is pulled; a keeps sending and walks DELAY → PROBE ×3 → FAILED (B38: ≈8 s after first use).
    let lan = dualhome_sim::id::SegmentId(0);
    s.schedule_carrier(s.now(), lan, PortId(1), false);
    ping_b(&mut s, a);
    s.run_until(Instant::from_secs(57));
    assert_eq!(state(&s, a), Some(NudState::Probe));
    s.run_until(Instant::from_secs(60));
    assert_eq!(state(&s, a), Some(NudState::Failed));
}
