//! RA-Guard on a switch with a radvd router on a router port, a Linux-like host and an attacker on host ports
//! (RFC 6105, RFC 7113): the legitimate RA passes, a rogue RA is dropped and traced; the naive guard is evaded by
//! every extension-header variant; the full-chain guard is not.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use dualhome_sim::attack::{Action, Attack, Evasion, RogueRa};
use dualhome_sim::engine::{Sim, SimConfig};
use dualhome_sim::host::render::{ip_route_show, TableFilter};
use dualhome_sim::host::route::table;
use dualhome_sim::id::{IfIndex, NodeId, SegmentId};
use dualhome_sim::radvd::{PrefixConfig, RaIfaceConfig};
use dualhome_sim::segment::{PortConfig, PortRole, RaGuard, Segment};
use dualhome_sim::time::Instant;
use dualhome_sim::trace::{DropReason, TraceEvent};
use dualhome_sim::wire::MacAddr;

const ROUTER: MacAddr = MacAddr([0x52, 0x54, 0, 0, 0, 1]);
const HOST: MacAddr = MacAddr([0x52, 0x54, 0, 0, 0, 0x10]);
const ATTACKER: MacAddr = MacAddr([0x02, 0xaa, 0, 0, 0, 1]);

struct Lan {
    sim: Sim,
    seg: SegmentId,
    host: NodeId,
}

/// Router (router port, radvd), host and attacker (host ports); the attacker sends a rogue RA every 2 s from
/// t = 10 s with `evasion`.
fn lan(guard: RaGuard, evasion: Evasion) -> Lan {
    let mut sim = Sim::new(SimConfig { seed: 21, trace: true });
    let mut segment = Segment::new("lan", None);
    segment.ra_guard = guard;
    let seg = sim.add_segment(segment);
    let router = sim.add_host("r");
    let port = PortConfig {
        role: PortRole::Router,
        ..PortConfig::default()
    };
    sim.add_nic(router, "eth0", ROUTER, seg, port).expect("nic");
    let mut ra = RaIfaceConfig::new("eth0");
    ra.max_interval = Duration::from_secs(10);
    ra.prefixes
        .push(PrefixConfig::new("2001:db8:1::".parse().expect("prefix"), 64));
    sim.with_host(router, |h, ctx| {
        h.set_sysctl(ctx, "net.ipv6.conf.all.forwarding", "1").expect("sysctl");
        h.start_radvd(ctx, ra).expect("radvd");
    });
    let host = sim.add_host("h");
    sim.add_nic(host, "eth0", HOST, seg, PortConfig::default())
        .expect("nic");
    let attacker = sim.add_attacker("mallory", ATTACKER, seg, PortConfig::default());
    let rogue = Action::RogueRa(RogueRa::new("2001:db8:bad::".parse().expect("prefix")));
    sim.with_attacker(attacker, |m, _| {
        m.launch(
            Instant::from_secs(10),
            Attack::repeat(rogue, Duration::from_secs(2)).with_evasion(evasion),
        )
    });
    sim.run_until(Instant::from_secs(30));
    Lan { sim, seg, host }
}

fn default_routers(sim: &Sim, h: NodeId) -> Vec<String> {
    let t = &sim.host(h).expect("host").tables;
    ip_route_show(t, true, TableFilter::Only(table::MAIN), sim.now())
        .lines()
        .filter(|l| l.starts_with("default"))
        .map(str::to_string)
        .collect()
}

fn rogue_ll() -> Ipv6Addr {
    ATTACKER.eui64_link_local()
}

/// Whether the rogue reached the host's stack at all: its RA always refreshes the neighbour cache (A7, B18).
fn host_heard_rogue(sim: &Sim, h: NodeId) -> bool {
    let host = sim.host(h).expect("host");
    host.neigh.get(IfIndex(2), IpAddr::V6(rogue_ll())).is_some()
}

fn guard_drops_traced(sim: &Sim) -> usize {
    sim.trace()
        .records()
        .iter()
        .filter(|r| {
            matches!(
                r.event,
                TraceEvent::Dropped {
                    reason: DropReason::RaGuard,
                    ..
                }
            )
        })
        .count()
}

#[test]
fn without_a_guard_the_rogue_becomes_a_default_router() {
    let Lan { sim, host, .. } = lan(RaGuard::Off, Evasion::None);
    let d = default_routers(&sim, host);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(host_heard_rogue(&sim, host));
}

#[test]
fn the_guard_blocks_a_rogue_on_a_host_port_and_passes_the_router() {
    for guard in [RaGuard::Naive, RaGuard::FullChain] {
        let Lan { sim, seg, host } = lan(guard, Evasion::None);
        let d = default_routers(&sim, host);
        assert_eq!(d.len(), 1, "{guard:?}: {d:?}");
        assert!(d[0].contains(&format!("via {} ", ROUTER.eui64_link_local())), "{d:?}");
        assert!(!host_heard_rogue(&sim, host), "{guard:?}");
        let drops = sim.segment(seg).expect("segment").ra_guard_drops();
        assert_eq!(drops, 11, "{guard:?}: one rogue RA every 2 s from 10 s to 30 s");
        assert_eq!(guard_drops_traced(&sim), 11);
    }
}

#[test]
fn the_naive_guard_is_evaded_by_every_extension_header_variant_rfc7113_2() {
    for evasion in [
        Evasion::HopByHop,
        Evasion::DestOpts,
        Evasion::Fragment,
        Evasion::FragmentedDestOpts,
    ] {
        let Lan { sim, seg, host } = lan(RaGuard::Naive, evasion);
        assert_eq!(
            sim.segment(seg).expect("segment").ra_guard_drops(),
            0,
            "{evasion:?} got through"
        );
        let d = default_routers(&sim, host);
        match evasion {
            // Linux accepts an RA behind HBH or destination options (B47): the evasion succeeds end to end.
            Evasion::HopByHop | Evasion::DestOpts => {
                assert!(
                    d.iter().any(|l| l.contains(&rogue_ll().to_string())),
                    "{evasion:?}: {d:?}"
                );
            }
            // Fragmented ND is dropped by the host itself (RFC 6980, B2): past the switch, stopped by Linux.
            _ => assert_eq!(d.len(), 1, "{evasion:?}: {d:?}"),
        }
    }
}

#[test]
fn the_full_chain_guard_is_not_evaded_rfc7113_3() {
    for evasion in [
        Evasion::HopByHop,
        Evasion::DestOpts,
        Evasion::Fragment,
        Evasion::FragmentedDestOpts,
    ] {
        let Lan { sim, seg, host } = lan(RaGuard::FullChain, evasion);
        let drops = sim.segment(seg).expect("segment").ra_guard_drops();
        // The split variant sends three fragments per RA: only the first (chain incomplete) is dropped.
        assert_eq!(drops, 11, "{evasion:?}");
        assert!(!host_heard_rogue(&sim, host), "{evasion:?}");
        assert_eq!(default_routers(&sim, host).len(), 1, "{evasion:?}");
    }
}
