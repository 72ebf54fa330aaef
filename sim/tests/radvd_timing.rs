//! The RA daemon on a router host, seen on the wire: RAs from the router's own link-local and MAC, intervals within
//! [Min, Max]RtrAdvInterval with seeded jitter, fast initial RAs, RSs answered within MAX_RA_DELAY_TIME, the
//! multicast rate limit, and the final RA on shutdown (RFC 4861 §6.2.4–§6.2.6).

use std::net::Ipv6Addr;
use std::rc::Rc;
use std::time::Duration;

use dualhome_sim::engine::{Sim, SimConfig};
use dualhome_sim::frame::Frame;
use dualhome_sim::id::{IfIndex, NodeId, SegmentId};
use dualhome_sim::node::{Ctx, Node};
use dualhome_sim::radvd::config::MAX_RA_DELAY_TIME;
use dualhome_sim::radvd::{PrefixConfig, RaIfaceConfig};
use dualhome_sim::segment::{PortConfig, PortRole, Segment};
use dualhome_sim::time::Instant;
use dualhome_sim::wire::build::{ipv6_frame, Ipv6Params, Upper, L2};
use dualhome_sim::wire::ipv6::ALL_ROUTERS;
use dualhome_sim::wire::{parse_frame, Icmpv6Repr, MacAddr, NdOptionRepr, NdOptions, NdiscRepr};

const ROUTER_MAC: MacAddr = MacAddr([0x52, 0x54, 0, 0, 0, 1]);
const HOST_MAC: MacAddr = MacAddr([0x52, 0x54, 0, 0, 0, 0x10]);

/// A bare node that sends one Router Solicitation at `at` (from its link-local with SLLA, or from ::).
struct Solicitor {
    at: Option<Instant>,
    from_unspecified: bool,
}

impl Node for Solicitor {
    fn handle_frame(&mut self, _: &mut Ctx<'_>, _: IfIndex, _: &Rc<Frame>) {}
    fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) {
        self.at = None;
        let slla = [NdOptionRepr::SourceLinkLayerAddr(HOST_MAC)];
        let (src, options) = if self.from_unspecified {
            (Ipv6Addr::UNSPECIFIED, NdOptions::NONE)
        } else {
            (HOST_MAC.eui64_link_local(), NdOptions::Reprs(&slla))
        };
        let rs = Icmpv6Repr::Ndisc(NdiscRepr::RouterSolicit { options });
        let l2 = L2 {
            src: HOST_MAC,
            dst: MacAddr::from_ipv6_multicast(ALL_ROUTERS),
            vlan: None,
        };
        if let Ok(f) = ipv6_frame(l2, &Ipv6Params::new(src, ALL_ROUTERS, 255), &Upper::Icmpv6(rs)) {
            ctx.send(IfIndex(2), f);
        }
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.at
    }
    fn name(&self) -> &str {
        "solicitor"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

struct Lan {
    sim: Sim,
    seg: SegmentId,
    router: NodeId,
}

fn lan(seed: u64, config: RaIfaceConfig) -> Lan {
    let mut sim = Sim::new(SimConfig { seed, trace: false });
    let seg = sim.add_segment(Segment::new("lan", None));
    sim.capture(seg);
    let router = sim.add_host("r");
    let port = PortConfig {
        role: PortRole::Router,
        ..PortConfig::default()
    };
    sim.add_nic(router, "eth0", ROUTER_MAC, seg, port).expect("nic");
    sim.with_host(router, |h, ctx| {
        h.set_sysctl(ctx, "net.ipv6.conf.all.forwarding", "1").expect("sysctl");
        h.start_radvd(ctx, config).expect("radvd");
    });
    Lan { sim, seg, router }
}

fn config(max_secs: u64) -> RaIfaceConfig {
    let mut c = RaIfaceConfig::new("eth0");
    c.max_interval = Duration::from_secs(max_secs);
    c.prefixes
        .push(PrefixConfig::new(Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0), 64));
    c
}

/// (time, destination IP, router lifetime) of every RA on the segment, checking each comes from the router.
fn ras(sim: &Sim, seg: SegmentId) -> Vec<(Instant, Ipv6Addr, u16)> {
    let mut out = Vec::new();
    for c in sim.captured(seg) {
        let view = parse_frame(c.frame.bytes()).expect("every frame parses");
        if let Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            router_lifetime,
            options,
            ..
        }))) = view.icmpv6()
        {
            let (src, dst) = view.ipv6_addrs().expect("ipv6");
            assert_eq!(src, ROUTER_MAC.eui64_link_local());
            assert_eq!(view.src, ROUTER_MAC);
            assert_eq!(options.source_lladdr(), Some(ROUTER_MAC));
            out.push((c.at, dst, router_lifetime));
        }
    }
    out
}

#[test]
fn first_ra_waits_for_the_link_local_then_initial_ras_are_fast() {
    let Lan { mut sim, seg, .. } = lan(1, config(600));
    sim.run_until(Instant::from_secs(2000));
    let t: Vec<Instant> = ras(&sim, seg).iter().map(|r| r.0).collect();
    // Link-local DAD takes up to 1 s of random delay + 1 s; radvd retries every second until it can send.
    assert!(
        t[0] >= Instant::from_secs(1) && t[0] <= Instant::from_secs(4),
        "{:?}",
        t[0]
    );
    for w in t.windows(2).take(3) {
        assert!(
            w[1] - w[0] <= Duration::from_secs(16),
            "initial interval {:?}",
            w[1] - w[0]
        );
    }
    for w in t.windows(2).skip(3) {
        let gap = w[1] - w[0];
        assert!(
            gap >= Duration::from_secs(198) && gap <= Duration::from_secs(600),
            "{gap:?}"
        );
    }
    assert!(t.len() >= 6, "{}", t.len());
}

#[test]
fn intervals_stay_within_min_and_max_and_jitter_is_seeded() {
    let mut c = config(10);
    c.min_interval = Some(Duration::from_secs(4));
    let times = |seed| {
        let Lan { mut sim, seg, .. } = lan(seed, c.clone());
        sim.run_until(Instant::from_secs(300));
        ras(&sim, seg).iter().map(|r| r.0).collect::<Vec<_>>()
    };
    let (a, b, other) = (times(7), times(7), times(8));
    assert_eq!(a, b, "same seed, same RA times");
    assert_ne!(a, other, "another seed jitters differently");
    for w in a.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            gap >= Duration::from_secs(4) && gap <= Duration::from_secs(10),
            "{gap:?}"
        );
    }
    // The gaps are not all equal: the jitter is real.
    let first_gap = a[1] - a[0];
    assert!(a.windows(2).any(|w| w[1] - w[0] != first_gap));
}

#[test]
fn rs_is_answered_unicast_within_max_ra_delay_time() {
    let Lan { mut sim, seg, router } = lan(3, config(600));
    let at = Instant::from_secs(100);
    let host = sim.add_node(Box::new(Solicitor {
        at: Some(at),
        from_unspecified: false,
    }));
    sim.connect(host, IfIndex(2), seg, PortConfig::default());
    sim.run_until(Instant::from_secs(101));
    let answers: Vec<_> = ras(&sim, seg).into_iter().filter(|r| r.0 > at).collect();
    assert_eq!(answers.len(), 1, "{answers:?}");
    let (t, dst, lifetime) = answers[0];
    assert_eq!(dst, HOST_MAC.eui64_link_local(), "RFC 7772 unicast answer");
    assert!(t - at <= MAX_RA_DELAY_TIME + Duration::from_micros(20), "{:?}", t - at);
    assert_eq!(lifetime, 1800);
    let stats = sim.host(router).expect("router").radvd.stats();
    assert_eq!((stats.rs_received, stats.unicast_sent), (1, 1));
}

#[test]
fn rs_from_unspecified_moves_the_next_multicast_ra_but_not_within_min_delay() {
    let mut c = config(600);
    c.solicited_unicast = false;
    let Lan { mut sim, seg, .. } = lan(4, c);
    sim.run_until(Instant::from_secs(5));
    let last = ras(&sim, seg).last().expect("an initial RA").0;
    // An RS right after an RA: the answer waits for MIN_DELAY_BETWEEN_RAS after the previous one.
    let at = last + Duration::from_millis(100);
    let host = sim.add_node(Box::new(Solicitor {
        at: Some(at),
        from_unspecified: true,
    }));
    sim.connect(host, IfIndex(2), seg, PortConfig::default());
    sim.run_until(last + Duration::from_secs(4));
    let next = ras(&sim, seg).into_iter().find(|r| r.0 > last).expect("answered");
    assert_eq!(next.1, dualhome_sim::wire::ipv6::ALL_NODES);
    let gap = next.0 - last;
    assert!(
        gap >= Duration::from_secs(3) && gap <= Duration::from_millis(3501),
        "{gap:?}"
    );
}

#[test]
fn stopping_sends_a_final_ra_with_lifetime_zero_and_then_nothing() {
    let Lan { mut sim, seg, router } = lan(5, config(10));
    sim.run_until(Instant::from_secs(30));
    sim.with_host(router, |h, ctx| h.stop_radvd(ctx, "eth0"))
        .expect("router")
        .expect("running");
    let stop = sim.now();
    sim.run_until(Instant::from_secs(100));
    let after: Vec<_> = ras(&sim, seg).into_iter().filter(|r| r.0 >= stop).collect();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!((after[0].1, after[0].2), (dualhome_sim::wire::ipv6::ALL_NODES, 0));
    let again = sim
        .with_host(router, |h, ctx| h.stop_radvd(ctx, "eth0"))
        .expect("router");
    assert!(again.is_err());
}
