//! Attacks aimed at one node, and attackers with a NIC on each of two segments (linux-ipv6.md G10, §C): parasite6
//! against one victim poisons only its neighbour entry for the router, so only its flows cross the relaying
//! attacker while its neighbour keeps the router's MAC; dos-new-ip6 against one NIC (or one tentative address)
//! fails only that DAD; a two-NIC attacker plays a rogue router on one segment and parasite6 on the other, each
//! seen only on its own segment; a two-NIC relay bridges a victim's traffic to a server on the other segment.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use dualhome_sim::app::ping::PingConfig;
use dualhome_sim::attack::{Action, Attack, Attacker, DadDos, Evasion, Mitm, NsSpoof, RelayedFlow, RogueRa, Victim};
use dualhome_sim::engine::{Sim, SimConfig};
use dualhome_sim::host::addr::{Addr, AddrFlags};
use dualhome_sim::host::lookup::RouteQuery;
use dualhome_sim::host::route::Route;
use dualhome_sim::id::{IfIndex, NodeId, SegmentId};
use dualhome_sim::radvd::{PrefixConfig, RaIfaceConfig};
use dualhome_sim::segment::{PortConfig, PortRole, Segment};
use dualhome_sim::time::Instant;
use dualhome_sim::trace::{Actor, TraceEvent};
use dualhome_sim::wire::{Icmpv6Repr, MacAddr, NdiscRepr};

const ETH0: IfIndex = IfIndex(2);
const ETH1: IfIndex = IfIndex(3);
const ATTACKER: MacAddr = MacAddr([0x02, 0xaa, 0, 0, 0, 1]);
const ATTACKER_B: MacAddr = MacAddr([0x02, 0xaa, 0, 0, 0, 2]);
const SERVER: &str = "2001:db8:ff::10";

fn a6(s: &str) -> Ipv6Addr {
    s.parse().expect("test address")
}

fn router_mac(lan: u8) -> MacAddr {
    MacAddr([0x52, 0x54, 0, 0, lan, 1])
}

fn host_mac(lan: u8, i: u8) -> MacAddr {
    MacAddr([0x52, 0x54, 0, 0, lan, 0x10 + i])
}

/// One router `r` with LANs 1..=`lans` (2001:db8:N::1/64 and radvd 2001:db8:N::/64 on eth(N-1)) and a server segment behind it
/// (2001:db8:ff::/64 on the last NIC, server 2001:db8:ff::10), two hosts per LAN, an attacker on LAN 1.
struct Net {
    sim: Sim,
    lans: Vec<SegmentId>,
    servers: SegmentId,
    /// hosts[lan-1][i].
    hosts: Vec<Vec<NodeId>>,
    server: NodeId,
    attacker: NodeId,
}

fn net(seed: u64, lans: u8) -> Net {
    let mut sim = Sim::new(SimConfig { seed, trace: true });
    let r = sim.add_host("r");
    sim.with_host(r, |h, ctx| h.set_sysctl(ctx, "net.ipv6.conf.all.forwarding", "1"))
        .expect("host")
        .expect("sysctl");
    let router_port = PortConfig {
        role: PortRole::Router,
        ..PortConfig::default()
    };
    let mut segs = Vec::new();
    let mut hosts = Vec::new();
    for lan in 1..=lans {
        let seg = sim.add_segment(Segment::new(format!("lan{lan}"), None));
        sim.capture(seg);
        let eth = format!("eth{}", lan - 1);
        sim.add_nic(r, &eth, router_mac(lan), seg, router_port.clone())
            .expect("nic");
        let mut ra = RaIfaceConfig::new(&eth);
        ra.max_interval = Duration::from_secs(10);
        ra.prefixes
            .push(PrefixConfig::new(a6(&format!("2001:db8:{lan}::")), 64));
        let ifindex = IfIndex(1 + u32::from(lan));
        let own = IpAddr::V6(a6(&format!("2001:db8:{lan}::1")));
        sim.with_host(r, |h, ctx| h.add_address(ctx, Addr::new(ifindex, own, 64)))
            .expect("host")
            .expect("addr");
        sim.with_host(r, |h, ctx| h.start_radvd(ctx, ra))
            .expect("host")
            .expect("radvd");
        let mut ids = Vec::new();
        for i in 0..2 {
            let h = sim.add_host(&format!("h{lan}{i}"));
            sim.add_nic(h, "eth0", host_mac(lan, i), seg, PortConfig::default())
                .expect("nic");
            ids.push(h);
        }
        segs.push(seg);
        hosts.push(ids);
    }
    let back = sim.add_segment(Segment::new("servers", None));
    let back_if = IfIndex(2 + u32::from(lans));
    sim.add_nic(r, "eth9", MacAddr([0x52, 0x54, 0, 0, 0xff, 1]), back, router_port)
        .expect("nic");
    sim.with_host(r, |h, ctx| {
        h.add_address(ctx, Addr::new(back_if, IpAddr::V6(a6("2001:db8:ff::1")), 64))
    })
    .expect("host")
    .expect("addr");
    let server = sim.add_host("s");
    sim.add_nic(
        server,
        "eth0",
        MacAddr([0x52, 0x54, 0, 0, 0xff, 0x10]),
        back,
        PortConfig::default(),
    )
    .expect("nic");
    sim.with_host(server, |h, ctx| {
        h.add_address(ctx, Addr::new(ETH0, IpAddr::V6(a6(SERVER)), 64))?;
        h.add_route(Route::new(
            "::/0".parse().expect("net"),
            Some(IpAddr::V6(a6("2001:db8:ff::1"))),
            ETH0,
        ))
    })
    .expect("host")
    .expect("server config");
    let attacker = sim.add_attacker("mallory", ATTACKER, segs[0], PortConfig::default());
    Net {
        sim,
        lans: segs,
        servers: back,
        hosts,
        server,
        attacker,
    }
}

/// The host's SLAAC address on eth0.
fn slaac(sim: &Sim, h: NodeId) -> Ipv6Addr {
    sim.host(h)
        .expect("host")
        .tables
        .addrs
        .on(ETH0, true)
        .find_map(|a| match a.addr {
            IpAddr::V6(x) if x.segments()[0] == 0x2001 => Some(x),
            _ => None,
        })
        .expect("a SLAAC address")
}

fn neigh_mac(sim: &Sim, h: NodeId, ip: Ipv6Addr) -> Option<MacAddr> {
    sim.host(h)
        .expect("host")
        .neigh
        .get(ETH0, IpAddr::V6(ip))
        .and_then(|n| n.lladdr)
}

fn ping(sim: &mut Sim, h: NodeId, dst: Ipv6Addr) {
    sim.with_host(h, |x, ctx| {
        let mut cfg = PingConfig::new(IpAddr::V6(dst), 3);
        cfg.interval = Duration::from_millis(200);
        x.start_ping(ctx, cfg)
    });
}

fn gateway(sim: &Sim, h: NodeId) -> Option<IpAddr> {
    let q = RouteQuery::to(IpAddr::V6(a6(SERVER)));
    sim.host(h).expect("host").route_get(&q).ok().and_then(|d| d.gateway)
}

#[test]
fn parasite6_against_one_victim_leaves_its_neighbour_alone_and_only_its_flow_crosses() {
    let Net {
        mut sim,
        hosts,
        attacker,
        ..
    } = net(21, 1);
    let (victim, neighbour) = (hosts[0][0], hosts[0][1]);
    sim.run_until(Instant::from_secs(15));
    let router_ll = router_mac(1).eui64_link_local();
    assert_eq!(
        neigh_mac(&sim, victim, router_ll),
        Some(router_mac(1)),
        "learned from the RA"
    );
    assert_eq!(neigh_mac(&sim, neighbour, router_ll), Some(router_mac(1)));
    let victim_mac = host_mac(1, 0);
    sim.with_attacker(attacker, |m, ctx| {
        m.mitm = Some(Mitm::on(Attacker::IFINDEX, Some(router_mac(1))));
        if let Some(n) = m.nic_mut(Attacker::IFINDEX) {
            n.ns_spoof = Some(NsSpoof {
                victim: Victim::Mac(victim_mac),
                router: true,
            });
        }
        let spoof = Action::NaSpoof {
            targets: vec![router_ll],
            router: true,
            override_: true,
            victim: Some((victim_mac.eui64_link_local(), victim_mac)),
        };
        // Repeated: the router's own RAs carry its SLLA and put the real MAC back (RFC 4861 §6.3.4).
        m.launch(ctx.now, Attack::repeat(spoof, Duration::from_millis(500)));
    })
    .expect("attacker");
    sim.run_until(Instant::from_millis(16_100));
    assert_eq!(
        neigh_mac(&sim, victim, router_ll),
        Some(ATTACKER),
        "parasite6 overrode the victim's entry"
    );
    assert_eq!(
        neigh_mac(&sim, neighbour, router_ll),
        Some(router_mac(1)),
        "the neighbour saw nothing"
    );
    let server = a6(SERVER);
    ping(&mut sim, victim, server);
    ping(&mut sim, neighbour, server);
    // Long enough for both hosts' entries to go STALE → DELAY → PROBE: the victim's unicast probe reaches the
    // attacker, which answers it (solicited, override); the neighbour's reaches the router.
    sim.run_until(Instant::from_secs(60));
    ping(&mut sim, victim, server);
    ping(&mut sim, neighbour, server);
    sim.run_until(Instant::from_secs(62));
    for h in [victim, neighbour] {
        for p in &sim.host(h).expect("host").pings {
            assert_eq!(
                (p.report.transmitted, p.report.received),
                (3, 3),
                "flows keep working: {:?}",
                p.report
            );
        }
    }
    assert_eq!(
        neigh_mac(&sim, victim, router_ll),
        Some(ATTACKER),
        "kept by answering the victim's probes"
    );
    assert_eq!(neigh_mac(&sim, neighbour, router_ll), Some(router_mac(1)));
    let m = sim.attacker(attacker).expect("attacker");
    let mitm = m.mitm.as_ref().expect("mitm");
    let (v, n) = (IpAddr::V6(slaac(&sim, victim)), IpAddr::V6(slaac(&sim, neighbour)));
    assert!(mitm.crossed(v, IpAddr::V6(server)), "{:?}", mitm.flows());
    assert!(
        mitm.flows().keys().all(|f: &RelayedFlow| f.src != n && f.dst != n),
        "{:?}",
        mitm.flows()
    );
    // Most echo requests crossed; the rest left in the moments between a router RA (which puts the real MAC
    // back) and the next spoofed NA.
    let requests = mitm.flows().get(&RelayedFlow {
        src: v,
        dst: IpAddr::V6(server),
        protocol: 58,
    });
    assert!(requests.is_some_and(|n| *n >= 3), "{requests:?}");
    // The trace marks the relayed requests as forwarding steps by the attacker, all towards the server.
    let crossed: Vec<IpAddr> = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.actor == Actor::Node(attacker))
        .filter_map(|r| match r.event {
            TraceEvent::Routed {
                dst, forwarded: true, ..
            } => Some(dst),
            _ => None,
        })
        .collect();
    assert_eq!(crossed.len() as u64, m.stats.relayed);
    assert!(crossed.iter().all(|d| *d == IpAddr::V6(server)));
    // Address resolution: the victim's NS for an address nobody owns is answered with the attacker's MAC, the
    // neighbour's is not (its entry fails).
    let (ghost_v, ghost_n) = (a6("2001:db8:1::99"), a6("2001:db8:1::98"));
    ping(&mut sim, victim, ghost_v);
    ping(&mut sim, neighbour, ghost_n);
    sim.run_until(Instant::from_secs(66));
    assert_eq!(neigh_mac(&sim, victim, ghost_v), Some(ATTACKER));
    assert_eq!(neigh_mac(&sim, neighbour, ghost_n), None);
    assert_eq!(sim.attacker(attacker).expect("attacker").stats.ns_spoofed, 1);
}

#[test]
fn dos_new_ip6_against_one_nic_or_one_address_fails_only_that_dad() {
    let Net {
        mut sim,
        hosts,
        attacker,
        ..
    } = net(22, 1);
    let (victim, neighbour) = (hosts[0][0], hosts[0][1]);
    sim.run_until(Instant::from_secs(15));
    let add = |sim: &mut Sim, h: NodeId, ip: &str| {
        sim.with_host(h, |x, ctx| x.add_address(ctx, Addr::new(ETH0, IpAddr::V6(a6(ip)), 64)))
            .expect("host")
            .expect("added");
    };
    let flags = |sim: &Sim, h: NodeId, ip: &str| {
        sim.host(h)
            .expect("host")
            .tables
            .addrs
            .get(ETH0, IpAddr::V6(a6(ip)))
            .map(|a| a.flags.has(AddrFlags::DADFAILED))
    };
    sim.with_attacker(attacker, |m, _| {
        m.nic_mut(Attacker::IFINDEX).map(|n| {
            n.dad_dos = Some(DadDos {
                victim: Victim::Mac(host_mac(1, 0)),
                evasion: Evasion::None,
            })
        })
    })
    .expect("attacker");
    add(&mut sim, victim, "2001:db8:1::70");
    add(&mut sim, neighbour, "2001:db8:1::71");
    sim.run_until(Instant::from_secs(20));
    assert_eq!(
        flags(&sim, victim, "2001:db8:1::70"),
        Some(true),
        "C6: the victim's DAD failed"
    );
    assert_eq!(
        flags(&sim, neighbour, "2001:db8:1::71"),
        Some(false),
        "the neighbour's address is usable"
    );
    let answered = sim.attacker(attacker).expect("attacker").stats.dad_answered;
    assert!(answered >= 1);
    // By address: only the probe for ::81 is answered, whoever sends it.
    sim.with_attacker(attacker, |m, _| {
        m.nic_mut(Attacker::IFINDEX).map(|n| {
            n.dad_dos = Some(DadDos {
                victim: Victim::Addr(a6("2001:db8:1::81")),
                evasion: Evasion::None,
            })
        })
    })
    .expect("attacker");
    add(&mut sim, neighbour, "2001:db8:1::81");
    add(&mut sim, neighbour, "2001:db8:1::82");
    sim.run_until(Instant::from_secs(25));
    assert_eq!(flags(&sim, neighbour, "2001:db8:1::81"), Some(true));
    assert_eq!(flags(&sim, neighbour, "2001:db8:1::82"), Some(false));
    assert_eq!(
        sim.attacker(attacker).expect("attacker").stats.dad_answered,
        answered + 1
    );
}

/// The (sender MAC, ICMPv6 type) of every ND frame the attacker's MACs sent on `seg`.
fn attacker_nd(sim: &Sim, seg: SegmentId) -> Vec<(MacAddr, &'static str)> {
    sim.captured(seg)
        .iter()
        .filter_map(|c| {
            let v = c.frame.view().ok()?;
            if v.src != ATTACKER && v.src != ATTACKER_B {
                return None;
            }
            let kind = match v.icmpv6() {
                Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert { .. }))) => "ra",
                Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert { .. }))) => "na",
                _ => "other",
            };
            Some((v.src, kind))
        })
        .collect()
}

#[test]
fn a_two_nic_attacker_plays_rogue_router_on_one_segment_and_parasite6_on_the_other() {
    let Net {
        mut sim,
        lans,
        hosts,
        attacker,
        ..
    } = net(23, 2);
    let b = sim
        .add_attacker_nic(attacker, ATTACKER_B, lans[1], PortConfig::default())
        .expect("second NIC");
    assert_eq!(b, ETH1);
    sim.run_until(Instant::from_secs(15));
    let (r1, r2) = (router_mac(1).eui64_link_local(), router_mac(2).eui64_link_local());
    sim.with_attacker(attacker, |m, ctx| {
        let rogue = Action::RogueRa(RogueRa::new(a6("2001:db8:bad::")));
        m.launch(ctx.now, Attack::repeat(rogue, Duration::from_secs(5)));
        let spoof = Action::NaSpoof {
            targets: vec![r2],
            router: true,
            override_: true,
            victim: None,
        };
        m.launch(ctx.now, Attack::repeat(spoof, Duration::from_millis(500)).on(b));
    })
    .expect("attacker");
    sim.run_until(Instant::from_millis(20_100));
    let rogue = IpAddr::V6(ATTACKER.eui64_link_local());
    for h in &hosts[0] {
        assert_eq!(
            gateway(&sim, *h),
            Some(rogue),
            "lan 1 follows the rogue router (pref high)"
        );
        assert_eq!(neigh_mac(&sim, *h, r1), Some(router_mac(1)), "no parasite6 on lan 1");
    }
    for h in &hosts[1] {
        assert_eq!(gateway(&sim, *h), Some(IpAddr::V6(r2)), "no rogue RA on lan 2");
        assert_eq!(
            neigh_mac(&sim, *h, r2),
            Some(ATTACKER_B),
            "parasite6 on lan 2, with NIC b's MAC"
        );
    }
    let lan1 = attacker_nd(&sim, lans[0]);
    let lan2 = attacker_nd(&sim, lans[1]);
    assert!(
        lan1.iter().all(|f| *f == (ATTACKER, "ra")) && lan1.len() >= 2,
        "{lan1:?}"
    );
    assert!(
        lan2.iter().all(|f| *f == (ATTACKER_B, "na")) && lan2.len() >= 10,
        "{lan2:?}"
    );
}

#[test]
fn a_two_nic_relay_bridges_a_victim_to_a_server_on_the_other_segment() {
    let Net {
        mut sim,
        servers,
        hosts,
        server,
        attacker,
        ..
    } = net(24, 1);
    // The second NIC sits on the server segment: the relay can hand the victim's packets to the server itself,
    // past the router.
    let b = sim
        .add_attacker_nic(attacker, ATTACKER_B, servers, PortConfig::default())
        .expect("second NIC");
    let victim = hosts[0][0];
    sim.with_attacker(attacker, |m, ctx| {
        let mut mitm = Mitm::on(Attacker::IFINDEX, Some(router_mac(1)));
        mitm.enable(b, None);
        m.mitm = Some(mitm);
        let rogue = Action::RogueRa(RogueRa::new(a6("2001:db8:bad::")));
        m.launch(ctx.now, Attack::repeat(rogue, Duration::from_secs(5)));
    })
    .expect("attacker");
    sim.run_until(Instant::from_secs(15));
    // The server talks on its segment first (a ping to its router), so the relay learns its MAC there.
    ping(&mut sim, server, a6("2001:db8:ff::1"));
    sim.run_until(Instant::from_secs(17));
    ping(&mut sim, victim, a6(SERVER));
    sim.run_until(Instant::from_secs(20));
    let r = &sim.host(victim).expect("victim").pings[0].report;
    assert_eq!((r.transmitted, r.received), (3, 3), "{r:?}");
    let relayed_out_b = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.actor == Actor::Node(attacker))
        .filter(|r| matches!(r.event, TraceEvent::Routed { dev, forwarded: true, .. } if dev == b))
        .count();
    assert_eq!(
        relayed_out_b, 3,
        "each echo request left by NIC b, straight to the server"
    );
    let mitm = sim.attacker(attacker).expect("attacker").mitm.as_ref().expect("mitm");
    assert!(
        mitm.flows().keys().any(|f| f.dst == IpAddr::V6(a6(SERVER))),
        "{:?}",
        mitm.flows()
    );
}

#[test]
fn without_the_override_flag_a_cached_entry_keeps_the_real_mac() {
    let Net {
        mut sim,
        hosts,
        attacker,
        ..
    } = net(25, 1);
    let victim = hosts[0][0];
    sim.run_until(Instant::from_secs(15));
    let router_ll = router_mac(1).eui64_link_local();
    let spoof = |override_: bool| Action::NaSpoof {
        targets: vec![router_ll],
        router: true,
        override_,
        victim: Some((host_mac(1, 0).eui64_link_local(), host_mac(1, 0))),
    };
    sim.with_attacker(attacker, |m, ctx| m.launch(ctx.now, Attack::once(spoof(false))))
        .expect("attacker");
    sim.run_until(Instant::from_millis(15_100));
    assert_eq!(
        neigh_mac(&sim, victim, router_ll),
        Some(router_mac(1)),
        "RFC 4861 §7.2.5: O = 0 does not replace a cached address"
    );
    sim.with_attacker(attacker, |m, ctx| m.launch(ctx.now, Attack::once(spoof(true))))
        .expect("attacker");
    sim.run_until(Instant::from_millis(15_200));
    assert_eq!(neigh_mac(&sim, victim, router_ll), Some(ATTACKER), "O = 1 does");
}
