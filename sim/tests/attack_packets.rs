//! Every attacker action puts real frames on the wire: captured at the switch, parsed back with
//! `wire::parse_frame` and checked field by field, for each tool (linux-ipv6.md G10) and each RA-Guard evasion
//! wrapping (RFC 7113 §2).

use std::net::Ipv6Addr;
use std::time::Duration;

use dualhome_sim::attack::{Action, Attack, Evasion, RogueRa, Spoof, SpoofedRedirect};
use dualhome_sim::engine::{Sim, SimConfig};
use dualhome_sim::id::{NodeId, SegmentId};
use dualhome_sim::segment::{PortConfig, Segment};
use dualhome_sim::time::Instant;
use dualhome_sim::wire::ipv6::ALL_NODES;
use dualhome_sim::wire::{
    parse_frame, FrameView, Icmpv6Repr, IpProtocol, L3View, MacAddr, NdOptionRepr, NdiscRepr, RouterPreference,
};

const ATTACKER: MacAddr = MacAddr([0x02, 0xaa, 0, 0, 0, 1]);
const ROUTER: MacAddr = MacAddr([0x52, 0x54, 0, 0, 0, 1]);
const VICTIM: MacAddr = MacAddr([0x52, 0x54, 0, 0, 0, 0x10]);

fn a6(s: &str) -> Ipv6Addr {
    s.parse().expect("test address")
}

fn lan() -> (Sim, SegmentId, NodeId) {
    let mut sim = Sim::new(SimConfig { seed: 11, trace: false });
    let seg = sim.add_segment(Segment::new("lan", None));
    sim.capture(seg);
    let a = sim.add_attacker("mallory", ATTACKER, seg, PortConfig::default());
    (sim, seg, a)
}

/// Runs `attack` on a fresh segment for `secs` seconds and returns the frames it put on the wire.
fn frames_of(attack: Attack, secs: u64) -> Vec<Vec<u8>> {
    let (mut sim, seg, a) = lan();
    sim.with_attacker(a, |m, ctx| m.launch(ctx.now, attack))
        .expect("attacker");
    sim.run_until(Instant::from_secs(secs));
    sim.captured(seg).iter().map(|c| c.frame.bytes().to_vec()).collect()
}

fn nd<'a>(view: &FrameView<'a>) -> NdiscRepr<'a> {
    match view.icmpv6() {
        Some(Ok(Icmpv6Repr::Ndisc(nd))) => nd,
        other => panic!("not ND: {other:?}"),
    }
}

fn rogue() -> RogueRa {
    let mut ra = RogueRa::new(a6("2001:db8:bad::"));
    ra.routes.push((a6("::"), 0, 600));
    ra.rdnss.push(a6("2001:db8:bad::53"));
    ra.mtu = Some(1280);
    ra
}

#[test]
fn rogue_ra_is_fake_router6() {
    let frames = frames_of(Attack::once(Action::RogueRa(rogue())), 1);
    assert_eq!(frames.len(), 1);
    let view = parse_frame(&frames[0]).expect("parses");
    assert_eq!(
        (view.src, view.dst),
        (ATTACKER, MacAddr::from_ipv6_multicast(ALL_NODES))
    );
    assert_eq!(view.ipv6_addrs(), Some((ATTACKER.eui64_link_local(), ALL_NODES)));
    let L3View::Ipv6(ip) = view.l3 else { panic!("ipv6") };
    assert_eq!(ip.repr.hop_limit, 255);
    let NdiscRepr::RouterAdvert {
        hop_limit,
        flags,
        router_lifetime,
        options,
        ..
    } = nd(&view)
    else {
        panic!("not an RA");
    };
    assert_eq!(
        (hop_limit, router_lifetime, flags.preference),
        (64, 1800, RouterPreference::High)
    );
    let opts: Vec<NdOptionRepr<'_>> = options.reprs().map(|o| o.expect("decodes")).collect();
    let NdOptionRepr::PrefixInformation(p) = opts[0] else {
        panic!("PIO")
    };
    assert_eq!(
        (p.prefix, p.prefix_len, p.on_link, p.autonomous),
        (a6("2001:db8:bad::"), 64, true, true)
    );
    assert_eq!((p.valid_lifetime, p.preferred_lifetime), (99_999, 99_999));
    let NdOptionRepr::RouteInformation(r) = opts[1] else {
        panic!("RIO")
    };
    assert_eq!(
        (r.prefix_len, r.preference, r.lifetime),
        (0, RouterPreference::High, 600)
    );
    let NdOptionRepr::Rdnss { lifetime, servers } = opts[2] else {
        panic!("RDNSS")
    };
    assert_eq!(
        (lifetime, servers.iter().collect::<Vec<_>>()),
        (1800, vec![a6("2001:db8:bad::53")])
    );
    assert_eq!(opts[3], NdOptionRepr::Mtu(1280));
    assert_eq!(opts[4], NdOptionRepr::SourceLinkLayerAddr(ATTACKER));
}

#[test]
fn kill_router_spoofs_the_routers_link_local_and_mac() {
    let router = ROUTER.eui64_link_local();
    let action = Action::KillRouter {
        router,
        router_mac: ROUTER,
        spoof_mac: true,
    };
    let frames = frames_of(Attack::repeat(action, Duration::from_secs(2)), 5);
    assert_eq!(frames.len(), 3, "at 0, 2 and 4 s");
    let view = parse_frame(&frames[0]).expect("parses");
    assert_eq!(view.src, ROUTER, "Ethernet source spoofed");
    assert_eq!(view.ipv6_addrs(), Some((router, ALL_NODES)));
    let NdiscRepr::RouterAdvert {
        router_lifetime,
        options,
        ..
    } = nd(&view)
    else {
        panic!("not an RA");
    };
    assert_eq!(router_lifetime, 0);
    assert_eq!(options.source_lladdr(), Some(ROUTER));
}

#[test]
fn ra_flood_sends_n_random_routers_per_second() {
    let frames = frames_of(Attack::ra_flood(100, 2, 3), 5);
    assert_eq!(frames.len(), 200);
    let mut sources = std::collections::BTreeSet::new();
    for f in &frames {
        let view = parse_frame(f).expect("parses");
        let (src, _) = view.ipv6_addrs().expect("ipv6");
        assert_eq!(
            src,
            view.src.eui64_link_local(),
            "each router's link-local is its MAC's EUI-64"
        );
        let NdiscRepr::RouterAdvert { options, .. } = nd(&view) else {
            panic!("RA")
        };
        let pios = options
            .reprs()
            .filter(|o| matches!(o, Ok(NdOptionRepr::PrefixInformation(p)) if p.prefix_len == 64))
            .count();
        assert_eq!(pios, 3);
        sources.insert(src);
    }
    assert_eq!(sources.len(), 200, "every RA from a new router");
}

#[test]
fn redirect_is_redir6_from_the_spoofed_first_hop() {
    let router = ROUTER.eui64_link_local();
    let victim = a6("2001:db8:1::10");
    let redirect = SpoofedRedirect {
        dest: a6("2001:db8:99::1"),
        target: ATTACKER.eui64_link_local(),
        target_mac: Some(ATTACKER),
        inner_src: victim,
    };
    let action = Action::Redirect {
        first_hop: Spoof {
            mac: ATTACKER,
            ip: router,
        },
        victim,
        victim_mac: VICTIM,
        redirect,
    };
    let frames = frames_of(Attack::once(action), 1);
    let view = parse_frame(&frames[0]).expect("parses");
    assert_eq!((view.src, view.dst), (ATTACKER, VICTIM));
    assert_eq!(view.ipv6_addrs(), Some((router, victim)));
    let NdiscRepr::Redirect { target, dest, options } = nd(&view) else {
        panic!("redirect")
    };
    assert_eq!((target, dest), (ATTACKER.eui64_link_local(), a6("2001:db8:99::1")));
    assert_eq!(options.target_lladdr(), Some(ATTACKER));
    let quoted = options
        .reprs()
        .find_map(|o| match o {
            Ok(NdOptionRepr::RedirectedHeader(q)) => Some(q),
            _ => None,
        })
        .expect("redirected header");
    let inner = dualhome_sim::wire::Ipv6Packet::new_checked(&quoted[..56]).expect("inner IPv6");
    assert_eq!(
        (inner.src(), inner.dst(), inner.next_header()),
        (victim, a6("2001:db8:99::1"), IpProtocol::ICMPV6)
    );
}

#[test]
fn na_spoof_claims_each_target_with_override() {
    let targets = vec![ROUTER.eui64_link_local(), a6("2001:db8:1::1")];
    let frames = frames_of(
        Attack::once(Action::NaSpoof {
            targets: targets.clone(),
            router: true,
            override_: true,
            victim: None,
        }),
        1,
    );
    assert_eq!(frames.len(), 2);
    for (f, t) in frames.iter().zip(&targets) {
        let view = parse_frame(f).expect("parses");
        assert_eq!(view.src, ATTACKER);
        assert_eq!(view.ipv6_addrs(), Some((*t, ALL_NODES)));
        let NdiscRepr::NeighborAdvert { flags, target, options } = nd(&view) else {
            panic!("NA")
        };
        assert_eq!(target, *t);
        assert!(flags.router && flags.override_ && !flags.solicited);
        assert_eq!(options.target_lladdr(), Some(ATTACKER));
    }
}

#[test]
fn na_spoof_against_one_victim_is_unicast_to_it_with_the_flags_asked() {
    let (victim, victim_mac) = (a6("2001:db8:1::10"), MacAddr([0x52, 0x54, 0, 0, 1, 0]));
    let frames = frames_of(
        Attack::once(Action::NaSpoof {
            targets: vec![ROUTER.eui64_link_local()],
            router: true,
            override_: false,
            victim: Some((victim, victim_mac)),
        }),
        1,
    );
    assert_eq!(frames.len(), 1);
    let view = parse_frame(&frames[0]).expect("parses");
    assert_eq!((view.src, view.dst), (ATTACKER, victim_mac));
    assert_eq!(view.ipv6_addrs(), Some((ROUTER.eui64_link_local(), victim)));
    let NdiscRepr::NeighborAdvert { flags, .. } = nd(&view) else {
        panic!("NA")
    };
    assert!(flags.router && !flags.override_ && !flags.solicited, "O as asked");
}

/// The first frame's chain per evasion: (Next Header of the fixed header, upper layer if the frame holds it).
fn chain(frame: &[u8]) -> (u8, Option<IpProtocol>) {
    let upper = parse_frame(frame).ok().and_then(|v| match v.l3 {
        L3View::Ipv6(ip) => Some(ip.ext.upper),
        _ => None,
    });
    (frame[20], upper)
}

#[test]
fn every_tool_has_every_evasion_variant() {
    let router = ROUTER.eui64_link_local();
    let actions = [
        Action::RogueRa(rogue()),
        Action::KillRouter {
            router,
            router_mac: ROUTER,
            spoof_mac: false,
        },
        Action::RaFlood {
            prefixes: 1,
            lifetime: 1800,
        },
        Action::NaSpoof {
            targets: vec![router],
            router: true,
            override_: true,
            victim: None,
        },
    ];
    for action in actions {
        for evasion in Evasion::ALL {
            let frames = frames_of(Attack::once(action.clone()).with_evasion(evasion), 1);
            let (first_next, upper) = chain(&frames[0]);
            let expect_next = match evasion {
                Evasion::None => 58,
                Evasion::HopByHop => 0,
                Evasion::DestOpts => 60,
                Evasion::Fragment | Evasion::FragmentedDestOpts => 44,
            };
            assert_eq!(first_next, expect_next, "{action:?} {evasion:?}");
            if evasion == Evasion::FragmentedDestOpts {
                assert!(frames.len() >= 2, "{evasion:?}");
                assert_ne!(
                    upper,
                    Some(IpProtocol::ICMPV6),
                    "ICMPv6 header pushed out of the first fragment"
                );
            } else {
                assert_eq!(frames.len(), 1);
                assert_eq!(upper, Some(IpProtocol::ICMPV6), "{action:?} {evasion:?}");
                let view = parse_frame(&frames[0]).expect("parses");
                assert!(
                    matches!(view.icmpv6(), Some(Ok(Icmpv6Repr::Ndisc(_)))),
                    "{action:?} {evasion:?}"
                );
            }
        }
    }
}

#[test]
fn same_seed_same_frames() {
    let run = || frames_of(Attack::ra_flood(50, 1, 2).with_evasion(Evasion::HopByHop), 2);
    assert_eq!(run(), run());
}
