//! ICMP through a conntrack router (client — router — server), as Linux's nf_conntrack_proto_icmp{,v6} tracks
//! it: echo requests from the allowed side are NEW and their replies ESTABLISHED under `policy drop`; requests
//! from the other side are dropped; an ICMP error about an allowed flow is RELATED and reaches the client; ND
//! keeps working (untracked, and never forwarded anyway).

mod common;

use common::*;
use dualhome_sim::app::ping::{PingConfig, PingReport};
use dualhome_sim::engine::Sim;
use dualhome_sim::firewall::conntrack::{CtConfig, CtInfo};
use dualhome_sim::firewall::nft::{Action, NftFirewall, NftRule};
use dualhome_sim::firewall::Firewall;
use dualhome_sim::id::NodeId;
use dualhome_sim::time::Instant;
use dualhome_sim::transport::socket::Family;
use std::net::SocketAddr;
use std::time::Duration;

/// `ct state invalid drop; ct state established,related accept; ip6 saddr A ct state new accept; ip saddr A ct
/// state new accept; policy drop` — the shape of scenarios/kernel/conntrack-stateful.yml, plus `related`.
fn from_lan_a_only() -> Firewall {
    let mut fw = NftFirewall::invalid_only(Action::Drop, CtConfig::default());
    fw.rules
        .push(NftRule::new(Action::Accept).ct(&[CtInfo::Established, CtInfo::Related]));
    for p in ["2001:db8:a::/64", "192.0.2.0/24"] {
        fw.rules
            .push(NftRule::new(Action::Accept).saddr(net(p)).ct(&[CtInfo::New]));
    }
    fw.policy_accept = false;
    Firewall::Conntrack(fw)
}

fn setup() -> Routed {
    let mut r = routed(3);
    r.sim.with_host(r.router, |h, _| h.firewall = Some(from_lan_a_only()));
    r.sim.run_until(Instant::from_secs(3));
    r
}

fn ping(sim: &mut Sim, node: NodeId, dst: &str, count: u32) -> usize {
    let mut cfg = PingConfig::new(ip(dst), count);
    cfg.interval = Duration::from_millis(300);
    cfg.timeout = Duration::from_secs(2);
    sim.with_host(node, |h, ctx| h.start_ping(ctx, cfg)).expect("host")
}

fn report(sim: &Sim, node: NodeId, i: usize) -> PingReport {
    sim.host(node).map(|h| h.pings[i].report.clone()).expect("ping")
}

fn listing(sim: &Sim, router: NodeId) -> String {
    match sim.host(router).and_then(|h| h.firewall.clone()) {
        Some(Firewall::Conntrack(fw)) => fw.conntrack.render(sim.now()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn echo_from_the_allowed_side_is_answered_in_both_families() {
    let mut r = setup();
    let v6 = ping(&mut r.sim, r.client, "2001:db8:b::5", 3);
    let v4 = ping(&mut r.sim, r.client, "198.51.100.5", 3);
    r.sim.run_until(Instant::from_secs(6));
    for i in [v6, v4] {
        let rep = report(&r.sim, r.client, i);
        assert_eq!((rep.transmitted, rep.received), (3, 3), "{rep:?}");
    }
    let l = listing(&r.sim, r.router);
    assert!(l.contains("icmpv6   58 "), "{l}");
    assert!(
        l.contains(" src=2001:db8:a::c dst=2001:db8:b::5 type=128 code=0 id="),
        "{l}"
    );
    assert!(l.contains(" src=192.0.2.10 dst=198.51.100.5 type=8 code=0 id="), "{l}");
    assert!(!l.contains("UNREPLIED"), "{l}");
    // nf_conntrack_icmp_timeout: 30 s after the last reply the entries are gone.
    r.sim.run_until(Instant::from_secs(40));
    assert_eq!(listing(&r.sim, r.router), "");
}

#[test]
fn echo_from_the_other_side_is_dropped_and_its_replies_never_exist() {
    let mut r = setup();
    let v6 = ping(&mut r.sim, r.server, "2001:db8:a::c", 2);
    let v4 = ping(&mut r.sim, r.server, "192.0.2.10", 2);
    r.sim.run_until(Instant::from_secs(6));
    for i in [v6, v4] {
        let rep = report(&r.sim, r.server, i);
        assert_eq!((rep.transmitted, rep.received, rep.errors), (2, 0, 0), "{rep:?}");
    }
    assert_eq!(listing(&r.sim, r.router), "", "dropped by policy: never confirmed");
}

#[test]
fn port_unreachable_for_an_allowed_udp_flow_is_related_and_passes_policy_drop() {
    let mut r = setup();
    let from = SocketAddr::new(ip("2001:db8:a::c"), 40000);
    r.sim
        .with_host(r.client, |h, _| h.udp_bind(Family::Inet6, from, None, None))
        .expect("client")
        .expect("bind");
    let to = SocketAddr::new(ip("2001:db8:b::5"), 9);
    r.sim
        .with_host(r.client, |h, ctx| h.udp_send(ctx, from, to, b"probe"))
        .expect("client")
        .expect("send");
    r.sim.run_until(Instant::from_secs(4));
    let Some(Firewall::Conntrack(fw)) = r.sim.host(r.router).and_then(|h| h.firewall.clone()) else {
        panic!("conntrack")
    };
    // The datagram opened a NEW flow; the server's port unreachable quoting it came back RELATED.
    assert_eq!(fw.rules[1].packets, 1, "established,related: the error");
    assert_eq!(fw.rules[2].packets, 1, "new from lan-a: the datagram");
    assert_eq!(fw.rules[0].packets, 0, "nothing invalid");
    let l = fw.conntrack.render(r.sim.now());
    assert!(
        l.starts_with("udp      17 29 src=2001:db8:a::c dst=2001:db8:b::5 sport=40000 dport=9 [UNREPLIED]"),
        "{l}"
    );
    // An error about a flow the router never saw is INVALID and dropped.
    let bogus = SocketAddr::new(ip("2001:db8:b::5"), 10);
    r.sim
        .with_host(r.server, |h, ctx| h.udp_send(ctx, bogus, from, b"x"))
        .expect("server")
        .expect("send");
    r.sim.run_until(Instant::from_secs(5));
    let Some(Firewall::Conntrack(fw)) = r.sim.host(r.router).and_then(|h| h.firewall.clone()) else {
        panic!("conntrack")
    };
    assert_eq!(
        fw.rules[1].packets, 1,
        "the server's datagram is NEW from lan-b and dropped by policy"
    );
}
