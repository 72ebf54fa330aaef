//! DAD conflicts and NUD over virtual time, driven by real frames between simulated hosts.

mod common;

use common::*;
use dualhome_sim::app::ping::PingConfig;
use dualhome_sim::host::neigh::NudState;
use dualhome_sim::host::render_addr::{ip_addr_show, Family};
use dualhome_sim::id::IfIndex;
use dualhome_sim::time::Instant;
use std::time::Duration;

#[test]
fn a_manual_address_already_in_use_ends_dadfailed() {
    let mut s = sim(1);
    let lan = segment(&mut s, "lan");
    let a = s.add_host("a");
    let b = s.add_host("b");
    nic(&mut s, a, "eth0", lan, 1, 0, &["2001:db8:3::5/64"]);
    s.run_until(Instant::from_secs(5));
    // b adds the same address after a finished DAD: a defends it, b keeps it as `dadfailed tentative` (C7).
    nic(&mut s, b, "eth0", lan, 2, 0, &["2001:db8:3::5/64"]);
    s.run_until(Instant::from_secs(10));
    let hb = s.host(b).expect("b");
    let text = ip_addr_show(&hb.tables, Family::V6, Some(IfIndex(2)), s.now());
    assert!(
        text.contains("inet6 2001:db8:3::5/64 scope global dadfailed tentative"),
        "{text}"
    );
    assert_eq!(hb.counters.dad_failures, 1);
    let ha = s.host(a).expect("a");
    let text = ip_addr_show(&ha.tables, Family::V6, Some(IfIndex(2)), s.now());
    assert!(
        text.contains("inet6 2001:db8:3::5/64 scope global \n"),
        "a keeps it clean: {text}"
    );
}

#[test]
fn a_second_host_with_the_same_mac_fails_link_local_dad() {
    let mut s = sim(2);
    let lan = segment(&mut s, "lan");
    let a = s.add_host("a");
    let b = s.add_host("b");
    nic(&mut s, a, "eth0", lan, 7, 7, &[]);
    s.run_until(Instant::from_secs(3));
    nic(&mut s, b, "eth0", lan, 7, 7, &[]);
    s.run_until(Instant::from_secs(6));
    let hb = s.host(b).expect("b");
    let text = ip_addr_show(&hb.tables, Family::V6, Some(IfIndex(2)), s.now());
    assert!(
        text.contains("fe80::5054:ff:fe00:707/64 scope link dadfailed tentative"),
        "{text}"
    );
}

#[test]
fn nud_reachable_stale_delay_probe_reachable() {
    let mut s = sim(3);
    let lan = segment(&mut s, "lan");
    let a = s.add_host("a");
    let b = s.add_host("b");
    nic(&mut s, a, "eth0", lan, 1, 0, &["2001:db8:1::a/64"]);
    nic(&mut s, b, "eth0", lan, 2, 0, &["2001:db8:1::b/64"]);
    s.run_until(Instant::from_secs(3));
    s.with_host(a, |h, ctx| h.start_ping(ctx, PingConfig::new(ip("2001:db8:1::b"), 1)));
    s.run_until(Instant::from_secs(4));
    let state = |s: &dualhome_sim::engine::Sim| {
        s.host(a)
            .expect("a")
            .neigh
            .get(IfIndex(2), ip("2001:db8:1::b"))
            .map(|n| n.state)
    };
    assert_eq!(state(&s), Some(NudState::Reachable));
    // base_reachable_time 30 s randomised to 15–45 s (B38): stale by 50 s.
    s.run_until(Instant::from_secs(50));
    assert_eq!(state(&s), Some(NudState::Stale));
    // Using a STALE entry sends at once and waits delay_first_probe_time (5 s) for confirmation.
    s.with_host(a, |h, ctx| h.start_ping(ctx, PingConfig::new(ip("2001:db8:1::b"), 1)));
    s.run_until(Instant::from_secs(51));
    assert_eq!(state(&s), Some(NudState::Delay));
    // No upper-layer confirmation: PROBE with a unicast NS at +5 s, b answers, REACHABLE again.
    s.run_until(Instant::from_secs(50) + Duration::from_millis(5_100));
    assert_eq!(state(&s), Some(NudState::Reachable));
    assert_eq!(s.host(a).expect("a").pings[1].report.received, 1);
}

#[test]
fn nud_fails_when_the_neighbour_goes_away() {
    let mut s = sim(4);
    let lan = segment(&mut s, "lan");
    let a = s.add_host("a");
    let b = s.add_host("b");
    nic(&mut s, a, "eth0", lan, 1, 0, &["2001:db8:1::a/64"]);
    nic(&mut s, b, "eth0", lan, 2, 0, &["2001:db8:1::b/64"]);
    s.run_until(Instant::from_secs(3));
    s.with_host(a, |h, ctx| h.start_ping(ctx, PingConfig::new(ip("2001:db8:1::b"), 1)));
    s.run_until(Instant::from_secs(50));
    // b's cable is pulled; a keeps sending and walks DELAY → PROBE ×3 → FAILED (B38: ≈8 s after first use).
    s.schedule_carrier(s.now(), lan, dualhome_sim::id::PortId(1), false);
    s.with_host(a, |h, ctx| h.start_ping(ctx, PingConfig::new(ip("2001:db8:1::b"), 1)));
    s.run_until(Instant::from_secs(57));
    let n = s
        .host(a)
        .expect("a")
        .neigh
        .get(IfIndex(2), ip("2001:db8:1::b"))
        .expect("entry");
    assert_eq!(n.state, NudState::Probe);
    s.run_until(Instant::from_secs(60));
    let n = s
        .host(a)
        .expect("a")
        .neigh
        .get(IfIndex(2), ip("2001:db8:1::b"))
        .expect("entry");
    assert_eq!(n.state, NudState::Failed);
}
