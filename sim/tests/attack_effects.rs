//! What the attacks do to Linux-like hosts on a LAN with a legitimate radvd router (linux-ipv6.md G10, B12, C6,
//! D9): a rogue router becomes the default with `accept_ra=1` and not with `accept_ra=0`; kill-router removes the
//! real default; redir6 from the first hop moves a destination and from anyone else does not; dos-new-ip6 makes
//! DAD fail; parasite6 with `mitm: forward` keeps a ping working while every request crosses the attacker; an RA
//! flood stays bounded by `max_addresses`.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use dualhome_sim::app::ping::PingConfig;
use dualhome_sim::attack::{Action, Attack, Attacker, DadDos, Evasion, Mitm, NsSpoof, RogueRa, Spoof, SpoofedRedirect};
use dualhome_sim::engine::{Sim, SimConfig};
use dualhome_sim::host::addr::{Addr, AddrFlags};
use dualhome_sim::host::lookup::RouteQuery;
use dualhome_sim::host::render::{ip_route_show, TableFilter};
use dualhome_sim::host::route::table;
use dualhome_sim::id::{IfIndex, NodeId};
use dualhome_sim::radvd::{PrefixConfig, RaIfaceConfig};
use dualhome_sim::segment::{PortConfig, PortRole, Segment};
use dualhome_sim::time::Instant;
use dualhome_sim::trace::{Actor, TraceEvent};
use dualhome_sim::wire::MacAddr;

const ROUTER: MacAddr = MacAddr([0x52, 0x54, 0, 0, 0, 1]);
const ATTACKER: MacAddr = MacAddr([0x02, 0xaa, 0, 0, 0, 1]);
const ETH0: IfIndex = IfIndex(2);

fn a6(s: &str) -> Ipv6Addr {
    s.parse().expect("test address")
}

struct Lan {
    sim: Sim,
    router: NodeId,
    hosts: Vec<NodeId>,
    attacker: NodeId,
}

/// A router running radvd (2001:db8:1::/64, medium preference, RA every 4–10 s), `hosts` hosts and an attacker.
fn lan(seed: u64, hosts: u8, host_sysctls: &[(&str, &str)]) -> Lan {
    let mut sim = Sim::new(SimConfig { seed, trace: true });
    let seg = sim.add_segment(Segment::new("lan", None));
    let router = sim.add_host("r");
    let port = PortConfig {
        role: PortRole::Router,
        ..PortConfig::default()
    };
    sim.add_nic(router, "eth0", ROUTER, seg, port).expect("nic");
    let mut ra = RaIfaceConfig::new("eth0");
    ra.max_interval = Duration::from_secs(10);
    ra.prefixes.push(PrefixConfig::new(a6("2001:db8:1::"), 64));
    sim.with_host(router, |h, ctx| {
        h.set_sysctl(ctx, "net.ipv6.conf.all.forwarding", "1").expect("sysctl");
        h.start_radvd(ctx, ra).expect("radvd");
    });
    let mut ids = Vec::new();
    for i in 0..hosts {
        let h = sim.add_host(&format!("h{i}"));
        sim.with_host(h, |h, ctx| {
            for (k, v) in host_sysctls {
                h.set_sysctl(ctx, k, v).expect("sysctl");
            }
        });
        sim.add_nic(h, "eth0", MacAddr([0x52, 0x54, 0, 0, 1, i]), seg, PortConfig::default())
            .expect("nic");
        ids.push(h);
    }
    let attacker = sim.add_attacker("mallory", ATTACKER, seg, PortConfig::default());
    Lan {
        sim,
        router,
        hosts: ids,
        attacker,
    }
}

fn defaults(sim: &Sim, h: NodeId) -> Vec<String> {
    let host = sim.host(h).expect("host");
    ip_route_show(&host.tables, true, TableFilter::Only(table::MAIN), sim.now())
        .lines()
        .filter(|l| l.starts_with("default"))
        .map(str::to_string)
        .collect()
}

fn gateway(sim: &Sim, h: NodeId, dst: &str) -> Option<IpAddr> {
    let q = RouteQuery::to(IpAddr::V6(a6(dst)));
    sim.host(h).expect("host").route_get(&q).ok().and_then(|d| d.gateway)
}

fn launch(sim: &mut Sim, attacker: NodeId, attack: Attack) {
    sim.with_attacker(attacker, |m, ctx| m.launch(ctx.now, attack))
        .expect("attacker");
}

#[test]
fn rogue_ra_becomes_the_default_router_with_accept_ra_1() {
    let Lan {
        mut sim,
        hosts,
        attacker,
        ..
    } = lan(1, 1, &[]);
    sim.run_until(Instant::from_secs(20));
    let real = IpAddr::V6(ROUTER.eui64_link_local());
    assert_eq!(gateway(&sim, hosts[0], "2001:db8:99::1"), Some(real));
    launch(
        &mut sim,
        attacker,
        Attack::repeat(
            Action::RogueRa(RogueRa::new(a6("2001:db8:bad::"))),
            Duration::from_secs(5),
        ),
    );
    sim.run_until(Instant::from_secs(30));
    let d = defaults(&sim, hosts[0]);
    assert_eq!(d.len(), 2, "{d:?}");
    let rogue = ATTACKER.eui64_link_local();
    assert!(
        d.iter()
            .any(|l| l.contains(&format!("via {rogue} ")) && l.contains("pref high")),
        "{d:?}"
    );
    // RFC 4191 §3.2: the high-preference router wins the default route.
    assert_eq!(gateway(&sim, hosts[0], "2001:db8:99::1"), Some(IpAddr::V6(rogue)));
}

#[test]
fn rogue_ra_is_ignored_with_accept_ra_0() {
    let Lan {
        mut sim,
        hosts,
        attacker,
        ..
    } = lan(2, 1, &[("net.ipv6.conf.default.accept_ra", "0")]);
    launch(
        &mut sim,
        attacker,
        Attack::repeat(
            Action::RogueRa(RogueRa::new(a6("2001:db8:bad::"))),
            Duration::from_secs(5),
        ),
    );
    sim.run_until(Instant::from_secs(30));
    assert!(defaults(&sim, hosts[0]).is_empty());
    assert_eq!(gateway(&sim, hosts[0], "2001:db8:99::1"), None);
}

#[test]
fn kill_router_removes_the_real_default_route() {
    let Lan {
        mut sim,
        hosts,
        attacker,
        ..
    } = lan(3, 1, &[]);
    sim.run_until(Instant::from_secs(20));
    assert_eq!(defaults(&sim, hosts[0]).len(), 1);
    let kill = Action::KillRouter {
        router: ROUTER.eui64_link_local(),
        router_mac: ROUTER,
        spoof_mac: true,
    };
    launch(&mut sim, attacker, Attack::once(kill));
    sim.run_until(Instant::from_millis(20_001));
    assert!(
        defaults(&sim, hosts[0]).is_empty(),
        "B12: lifetime 0 removes the default router"
    );
}

#[test]
fn rogue_ra_behind_a_fragment_header_is_dropped_by_the_host_rfc6980() {
    let Lan {
        mut sim,
        hosts,
        attacker,
        ..
    } = lan(4, 1, &[("net.ipv6.conf.default.accept_ra", "1")]);
    let rogue = Attack::repeat(
        Action::RogueRa(RogueRa::new(a6("2001:db8:bad::"))),
        Duration::from_secs(5),
    );
    launch(&mut sim, attacker, rogue.clone().with_evasion(Evasion::Fragment));
    sim.run_until(Instant::from_secs(30));
    let via_rogue = |sim: &Sim| {
        defaults(sim, hosts[0])
            .iter()
            .any(|l| l.contains(&ATTACKER.eui64_link_local().to_string()))
    };
    assert!(!via_rogue(&sim), "B2: fragmented ND is dropped");
    launch(&mut sim, attacker, rogue.with_evasion(Evasion::HopByHop));
    sim.run_until(Instant::from_secs(40));
    assert!(via_rogue(&sim), "B47: an RA behind a hop-by-hop header is accepted");
}

#[test]
fn redirect_from_the_first_hop_is_accepted_and_from_anyone_else_ignored() {
    let Lan {
        mut sim,
        hosts,
        attacker,
        ..
    } = lan(5, 1, &[]);
    sim.run_until(Instant::from_secs(20));
    let victim = sim
        .host(hosts[0])
        .expect("host")
        .tables
        .addrs
        .on(ETH0, true)
        .find_map(|a| match a.addr {
            IpAddr::V6(x) if x.segments()[0] == 0x2001 => Some(x),
            _ => None,
        })
        .expect("a SLAAC address");
    let me = ATTACKER.eui64_link_local();
    let redirect = |first_hop: Ipv6Addr| Action::Redirect {
        first_hop: Spoof {
            mac: ATTACKER,
            ip: first_hop,
        },
        victim,
        victim_mac: MacAddr([0x52, 0x54, 0, 0, 1, 0]),
        redirect: SpoofedRedirect {
            dest: a6("2001:db8:99::1"),
            target: me,
            target_mac: Some(ATTACKER),
            inner_src: victim,
        },
    };
    launch(&mut sim, attacker, Attack::once(redirect(me)));
    sim.run_until(Instant::from_secs(21));
    let real = IpAddr::V6(ROUTER.eui64_link_local());
    assert_eq!(
        gateway(&sim, hosts[0], "2001:db8:99::1"),
        Some(real),
        "D: not from the current first hop"
    );
    launch(&mut sim, attacker, Attack::once(redirect(ROUTER.eui64_link_local())));
    sim.run_until(Instant::from_secs(22));
    assert_eq!(
        gateway(&sim, hosts[0], "2001:db8:99::1"),
        Some(IpAddr::V6(me)),
        "redir6 works"
    );
    assert_eq!(
        gateway(&sim, hosts[0], "2001:db8:98::1"),
        Some(real),
        "only that destination"
    );
}

#[test]
fn dad_dos_makes_every_new_address_fail_dad() {
    let Lan {
        mut sim,
        hosts,
        attacker,
        ..
    } = lan(6, 1, &[]);
    sim.run_until(Instant::from_secs(20));
    sim.with_attacker(attacker, |m, _| {
        m.nic_mut(Attacker::IFINDEX).map(|n| n.dad_dos = Some(DadDos::all()))
    })
    .expect("attacker");
    sim.with_host(hosts[0], |h, ctx| {
        h.add_address(ctx, Addr::new(ETH0, IpAddr::V6(a6("2001:db8:1::77")), 64))
    })
    .expect("host")
    .expect("added");
    sim.run_until(Instant::from_secs(25));
    let h = sim.host(hosts[0]).expect("host");
    let a = h
        .tables
        .addrs
        .get(ETH0, IpAddr::V6(a6("2001:db8:1::77")))
        .expect("kept as dadfailed");
    assert!(a.flags.has(AddrFlags::DADFAILED), "C6: a DAD answer fails the address");
    assert!(h.counters.dad_failures >= 1);
    assert!(sim.attacker(attacker).expect("attacker").stats.dad_answered >= 1);
}

#[test]
fn parasite6_with_mitm_forward_relays_the_flow_and_records_it() {
    let Lan {
        mut sim,
        hosts,
        attacker,
        ..
    } = lan(7, 2, &[]);
    let (a, b) = (hosts[0], hosts[1]);
    // Off the RA prefix, so source selection picks these (longest match) and not the SLAAC addresses.
    let (ia, ib) = (a6("2001:db8:2::a"), a6("2001:db8:2::b"));
    for (h, ip) in [(a, ia), (b, ib)] {
        sim.with_host(h, |h, ctx| h.add_address(ctx, Addr::new(ETH0, IpAddr::V6(ip), 64)))
            .expect("host")
            .expect("added");
    }
    sim.with_attacker(attacker, |m, _| m.mitm = Some(Mitm::on(Attacker::IFINDEX, None)))
        .expect("attacker");
    sim.run_until(Instant::from_secs(5));
    // b talks first: its multicast NS for a teaches the attacker b's real MAC.
    sim.with_host(b, |h, ctx| h.start_ping(ctx, PingConfig::new(IpAddr::V6(ia), 1)));
    sim.run_until(Instant::from_secs(7));
    let spoof = Action::NaSpoof {
        targets: vec![ib],
        router: false,
        override_: true,
        victim: None,
    };
    launch(&mut sim, attacker, Attack::once(spoof));
    sim.run_until(Instant::from_secs(8));
    let entry = sim.host(a).expect("a").neigh.get(ETH0, IpAddr::V6(ib)).expect("entry");
    assert_eq!(entry.lladdr, Some(ATTACKER), "parasite6 overrode a's entry for b");
    sim.with_host(a, |h, ctx| {
        let mut cfg = PingConfig::new(IpAddr::V6(ib), 3);
        cfg.interval = Duration::from_millis(200);
        h.start_ping(ctx, cfg)
    });
    sim.run_until(Instant::from_secs(12));
    let r = &sim.host(a).expect("a").pings[0].report;
    assert_eq!((r.transmitted, r.received), (3, 3), "the flow keeps working: {r:?}");
    let m = sim.attacker(attacker).expect("attacker");
    let mitm = m.mitm.as_ref().expect("mitm");
    assert!(mitm.crossed(IpAddr::V6(ia), IpAddr::V6(ib)), "{:?}", mitm.flows());
    assert!(!mitm.crossed(IpAddr::V6(ib), IpAddr::V6(ia)), "replies went direct");
    assert!(m.stats.relayed >= 3);
    // The trace marks each relayed request as a forwarding step by the attacker node.
    let crossed = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.actor == Actor::Node(attacker))
        .filter(|r| matches!(r.event, TraceEvent::Routed { dst, forwarded: true, .. } if dst == IpAddr::V6(ib)))
        .count();
    assert_eq!(crossed as u64, m.stats.relayed);
}

#[test]
fn ra_flood_stays_bounded_by_max_addresses() {
    let Lan {
        mut sim,
        hosts,
        attacker,
        router,
    } = lan(8, 1, &[]);
    launch(&mut sim, attacker, Attack::ra_flood(200, 5, 2));
    sim.run_until(Instant::from_secs(20));
    let h = sim.host(hosts[0]).expect("host");
    let global = h
        .tables
        .addrs
        .on(ETH0, true)
        .filter(|a| a.scope.name() == "global")
        .count();
    assert!(global <= 16, "max_addresses = 16 caps SLAAC addresses (G10): {global}");
    assert!(global >= 2, "the flood did reach the host: {global}");
    assert_eq!(sim.attacker(attacker).expect("attacker").stats.attack_frames, 1000);
    assert!(sim.host(router).expect("router").radvd.stats().multicast_sent >= 2);
}

#[test]
fn parasite6_answers_address_resolution_for_addresses_it_does_not_own() {
    let Lan {
        mut sim,
        hosts,
        attacker,
        ..
    } = lan(9, 1, &[]);
    sim.with_attacker(attacker, |m, _| {
        m.nic_mut(Attacker::IFINDEX).map(|n| n.ns_spoof = Some(NsSpoof::all()))
    })
    .expect("attacker");
    sim.run_until(Instant::from_secs(20));
    // Nobody owns 2001:db8:1::99, yet the host resolves it: to the attacker's MAC.
    let ghost = a6("2001:db8:1::99");
    sim.with_host(hosts[0], |h, ctx| {
        h.start_ping(ctx, PingConfig::new(IpAddr::V6(ghost), 1))
    });
    sim.run_until(Instant::from_secs(22));
    let h = sim.host(hosts[0]).expect("host");
    let n = h.neigh.get(ETH0, IpAddr::V6(ghost)).expect("entry");
    assert_eq!(n.lladdr, Some(ATTACKER));
    assert_eq!(h.pings[0].report.received, 0, "the attacker swallows the echo");
    assert!(sim.attacker(attacker).expect("attacker").stats.ns_spoofed >= 1);
}
