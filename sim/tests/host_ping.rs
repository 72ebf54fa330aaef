//! Ping across one switch, IPv6 and IPv4: ND/ARP resolution, echo service, RTTs from virtual time.

use dualhome_sim::app::ping::PingConfig;
use dualhome_sim::engine::{Sim, SimConfig};
use dualhome_sim::host::addr::Addr;
use dualhome_sim::host::neigh::NudState;
use dualhome_sim::id::{IfIndex, NodeId};
use dualhome_sim::segment::{PortConfig, Segment};
use dualhome_sim::time::Instant;
use dualhome_sim::wire::MacAddr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

fn a6(s: &str) -> Ipv6Addr {
    s.parse().expect("test address")
}

struct Lan {
    sim: Sim,
    a: NodeId,
    b: NodeId,
}

fn lan(seed: u64) -> Lan {
    let mut sim = Sim::new(SimConfig { seed, trace: true });
    let seg = sim.add_segment(Segment::new("lan", None));
    let a = sim.add_host("a");
    let b = sim.add_host("b");
    let ea = sim
        .add_nic(
            a,
            "eth0",
            MacAddr([0x52, 0x54, 0, 0, 0, 0xa]),
            seg,
            PortConfig::default(),
        )
        .expect("nic");
    let eb = sim
        .add_nic(
            b,
            "eth0",
            MacAddr([0x52, 0x54, 0, 0, 0, 0xb]),
            seg,
            PortConfig::default(),
        )
        .expect("nic");
    sim.with_host(a, |h, ctx| {
        h.add_address(ctx, Addr::new(ea, IpAddr::V6(a6("2001:db8:1::a")), 64))?;
        h.add_address(ctx, Addr::new(ea, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)), 24))
    })
    .expect("host")
    .expect("addr");
    sim.with_host(b, |h, ctx| {
        h.add_address(ctx, Addr::new(eb, IpAddr::V6(a6("2001:db8:1::b")), 64))?;
        h.add_address(ctx, Addr::new(eb, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11)), 24))
    })
    .expect("host")
    .expect("addr");
    Lan { sim, a, b }
}

#[test]
fn ipv6_ping_resolves_neighbours_and_gets_every_reply() {
    let Lan { mut sim, a, b } = lan(1);
    // DAD takes up to 1 s random delay + 1 s probe: ping once it is over.
    sim.run_until(Instant::from_secs(3));
    sim.with_host(a, |h, ctx| {
        let mut cfg = PingConfig::new(IpAddr::V6(a6("2001:db8:1::b")), 3);
        cfg.interval = Duration::from_millis(100);
        h.start_ping(ctx, cfg)
    });
    sim.run_until(Instant::from_secs(20));
    let ha = sim.host(a).expect("a");
    let r = &ha.pings[0].report;
    assert_eq!((r.transmitted, r.received, r.errors), (3, 3, 0), "{r:?}");
    assert_eq!(r.responders, vec![IpAddr::V6(a6("2001:db8:1::b"))]);
    // The first round trip waits for NS/NA: four cable crossings more than the others.
    assert!(r.rtt_max > r.rtt_min);
    assert_eq!(r.rtt_min, Some(Duration::from_micros(40)));
    let n = ha
        .neigh
        .get(IfIndex(2), IpAddr::V6(a6("2001:db8:1::b")))
        .expect("entry");
    assert_eq!(n.state, NudState::Reachable);
    // The trace shows why the first request waited: the next hop was INCOMPLETE, later REACHABLE.
    let states: Vec<&str> = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.actor == dualhome_sim::trace::Actor::Node(a))
        .filter_map(|r| match r.event {
            dualhome_sim::trace::TraceEvent::Neighbour { state, .. } => Some(state),
            _ => None,
        })
        .collect();
    assert_eq!(states.first(), Some(&"INCOMPLETE"), "{states:?}");
    assert_eq!(states.last(), Some(&"REACHABLE"), "{states:?}");
    // b learned a from the NS (STALE, B42) and answered without asking.
    let hb = sim.host(b).expect("b");
    assert!(hb.neigh.get(IfIndex(2), IpAddr::V6(a6("2001:db8:1::a"))).is_some());
}

#[test]
fn ipv4_ping_uses_arp() {
    let Lan { mut sim, a, .. } = lan(2);
    sim.with_host(a, |h, ctx| {
        h.start_ping(ctx, PingConfig::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11)), 2))
    });
    sim.run_until(Instant::from_secs(15));
    let ha = sim.host(a).expect("a");
    let r = &ha.pings[0].report;
    assert_eq!((r.transmitted, r.received), (2, 2), "{r:?}");
    let n = ha
        .neigh
        .get(IfIndex(2), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11)))
        .expect("arp entry");
    assert_eq!(n.lladdr, Some(MacAddr([0x52, 0x54, 0, 0, 0, 0xb])));
}

#[test]
fn ping_to_a_silent_address_fails_with_address_unreachable() {
    let Lan { mut sim, a, .. } = lan(3);
    sim.run_until(Instant::from_secs(3));
    sim.with_host(a, |h, ctx| {
        h.start_ping(ctx, PingConfig::new(IpAddr::V6(a6("2001:db8:1::99")), 1))
    });
    sim.run_until(Instant::from_secs(20));
    let r = &sim.host(a).expect("a").pings[0].report;
    assert_eq!(r.received, 0);
    assert_eq!(
        r.errors, 1,
        "INCOMPLETE → FAILED after 3 probes reports the queued request: {r:?}"
    );
    let n = sim
        .host(a)
        .expect("a")
        .neigh
        .get(IfIndex(2), IpAddr::V6(a6("2001:db8:1::99")))
        .expect("entry");
    assert_eq!(n.state, NudState::Failed);
}

#[test]
fn ping_without_a_route_fails_locally() {
    let Lan { mut sim, a, .. } = lan(4);
    sim.run_until(Instant::from_secs(3));
    sim.with_host(a, |h, ctx| {
        h.start_ping(ctx, PingConfig::new(IpAddr::V6(a6("2001:db8:ffff::1")), 1))
    });
    sim.run_until(Instant::from_secs(20));
    let r = &sim.host(a).expect("a").pings[0].report;
    assert_eq!((r.received, r.errors), (0, 1));
}

#[test]
fn same_seed_same_trace() {
    let run = |seed| {
        let Lan { mut sim, a, .. } = lan(seed);
        sim.run_until(Instant::from_secs(3));
        sim.with_host(a, |h, ctx| {
            h.start_ping(ctx, PingConfig::new(IpAddr::V6(a6("2001:db8:1::b")), 2))
        });
        sim.run_until(Instant::from_secs(10));
        (sim.stats(), format!("{:?}", sim.trace().records()))
    };
    assert_eq!(run(9), run(9));
}
