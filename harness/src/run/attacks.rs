//! Attacker actions (sim/src/attack, the THC-IPv6 tools of linux-ipv6.md G10): `rogue-ra` (fake_router6),
//! `kill-router` (kill_router6), `ra-flood` (flood_router26), `redirect` (redir6), `na-spoof` (parasite6) and
//! `dad-dos` (dos-new-ip6), each launched on the attacker node at the action's time.
//!
//! `mitm: forward` turns the attacker into a relay towards the real router of its segment (the first router
//! interface on it), so attracted traffic still flows and `path … crossed_attacker` can see it; `mitm: drop` leaves
//! attracted traffic to die there. `evasion: fragment` is the RFC 7113 variant whose first fragment carries no
//! ICMPv6 header (THC `-E D`).

use super::resolve::{node, resolve};
use super::world::{NodeKind, World};
use super::RunError;
use crate::scenario::reference::AddrRef;
use crate::scenario::timeline::{
    DadDos, Evasion as ScEvasion, KillRouter, Mitm as ScMitm, NaSpoof, RaFlood, Redirect, RogueRa as ScRogueRa,
};
use crate::scenario::values::Lifetime;
use dualhome_sim::attack::{Action, Attack, Attacker, Evasion, Mitm, RogueRa, Spoof, SpoofedRedirect};
use dualhome_sim::id::NodeId;
use dualhome_sim::wire::{MacAddr, RouterPreference};
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

fn evasion(e: ScEvasion) -> Evasion {
    match e {
        ScEvasion::None => Evasion::None,
        ScEvasion::Hbh => Evasion::HopByHop,
        ScEvasion::Dstopt => Evasion::DestOpts,
        ScEvasion::Fragment => Evasion::FragmentedDestOpts,
    }
}

fn v6(ip: IpAddr, what: &str) -> Result<Ipv6Addr, RunError> {
    match ip {
        IpAddr::V6(a) => Ok(a),
        IpAddr::V4(a) => Err(RunError::Unresolved(format!("{what} {a} is not IPv6"))),
    }
}

/// The attacker node's id and its segment.
fn attacker(world: &World, name: &crate::scenario::reference::NodeName) -> Result<(NodeId, String), RunError> {
    let e = node(world, name)?;
    if e.kind != NodeKind::Attacker {
        return Err(RunError::Setup(format!("`{name}` is not an attacker")));
    }
    let seg = e.ifaces.first().map(|i| i.segment.clone()).unwrap_or_default();
    Ok((e.id, seg))
}

/// The MAC of the interface a reference names (`rtr:eth1:ll` → rtr's eth1).
fn mac_of(world: &World, r: &AddrRef, ip: IpAddr) -> Option<[u8; 6]> {
    if let AddrRef::Node { node, iface, .. } = r {
        let e = world.nodes.get(&node.to_string())?;
        let i = match iface {
            Some(n) => e.iface(n)?,
            None => e.ifaces.first()?,
        };
        return Some(i.mac);
    }
    // A literal: whoever owns it.
    world.nodes.values().find_map(|e| {
        let h = world.sim.host(e.id)?;
        let a = h.tables.addrs.iter().find(|a| a.addr == ip)?;
        e.iface_by_index(a.ifindex).map(|i| i.mac)
    })
}

/// The MAC of the first router interface on `segment` (where a relay sends what it attracted).
fn router_mac(world: &World, segment: &str) -> Option<MacAddr> {
    world
        .nodes
        .values()
        .filter(|e| e.kind == NodeKind::Router)
        .flat_map(|e| &e.ifaces)
        .find(|i| i.segment == segment)
        .map(|i| MacAddr(i.mac))
}

fn launch(world: &mut World, id: NodeId, attack: Attack, setup: impl FnOnce(&mut Attacker)) -> Result<(), RunError> {
    world
        .sim
        .with_attacker(id, |a, ctx| {
            setup(a);
            a.launch(ctx.now, attack);
        })
        .ok_or_else(|| RunError::Setup("not an attacker node".into()))
}

fn relay(world: &World, mitm: ScMitm, segment: &str) -> Option<Mitm> {
    (mitm == ScMitm::Forward).then(|| Mitm::new(router_mac(world, segment)))
}

fn lifetime_secs(l: Option<Lifetime>, default: u32) -> u32 {
    match l {
        None => default,
        Some(Lifetime::Infinity) => u32::MAX,
        Some(Lifetime::Finite(d)) => u32::try_from(d.0.as_secs()).unwrap_or(u32::MAX - 1),
    }
}

/// `rogue-ra`: fake_router6 with the scenario's preference, lifetime and prefixes.
pub fn rogue_ra(world: &mut World, r: &ScRogueRa) -> Result<(), RunError> {
    let (id, seg) = attacker(world, &r.attacker.value)?;
    let mut ra = RogueRa::new(Ipv6Addr::UNSPECIFIED);
    ra.prefixes.clear();
    for p in &r.prefixes {
        let ipnet::IpNet::V6(net) = p.prefix.value.0 else {
            continue;
        };
        let valid = lifetime_secs(p.valid_lifetime.as_ref().map(|l| l.value), 99_999);
        let preferred = lifetime_secs(p.preferred_lifetime.as_ref().map(|l| l.value), 99_999);
        ra.prefixes.push((net.network(), net.prefix_len(), valid, preferred));
    }
    ra.preference = match r.preference.unwrap_or(crate::scenario::ra::Preference::High) {
        crate::scenario::ra::Preference::Low => RouterPreference::Low,
        crate::scenario::ra::Preference::Medium => RouterPreference::Medium,
        crate::scenario::ra::Preference::High => RouterPreference::High,
    };
    if let Some(l) = &r.default_lifetime {
        ra.router_lifetime = u16::try_from(l.value.0.as_secs()).unwrap_or(u16::MAX);
    }
    let attack = Attack {
        action: Action::RogueRa(ra),
        evasion: evasion(r.evasion),
        every: r.interval.map_or(Duration::from_secs(1), |i| i.0),
        count: Some(r.count.unwrap_or(1)),
    };
    let mitm = relay(world, r.mitm, &seg);
    launch(world, id, attack, |a| a.mitm = mitm)
}

/// `kill-router`: a lifetime-0 RA from the router's link-local address (kill_router6 sends it with its own MAC).
pub fn kill_router(world: &mut World, k: &KillRouter) -> Result<(), RunError> {
    let (id, _) = attacker(world, &k.attacker.value)?;
    let ip = resolve(world, &k.router.value, None)?;
    let router = v6(ip, "router")?;
    let router_mac = MacAddr(
        mac_of(world, &k.router.value, ip)
            .ok_or_else(|| RunError::Unresolved(format!("`{}`: whose MAC?", k.router.value)))?,
    );
    let attack = Attack::once(Action::KillRouter {
        router,
        router_mac,
        spoof_mac: false,
    })
    .with_evasion(evasion(k.evasion));
    launch(world, id, attack, |_| {})
}

/// `ra-flood`: `count` RAs from random routers, spread over `over` (default back to back, 1 ms apart).
pub fn ra_flood(world: &mut World, f: &RaFlood) -> Result<(), RunError> {
    let (id, _) = attacker(world, &f.attacker.value)?;
    let every = f
        .over
        .as_ref()
        .map_or(Duration::from_millis(1), |o| o.value.0 / f.count.max(1));
    let attack = Attack {
        action: Action::RaFlood {
            prefixes: u8::try_from(f.prefixes_per_ra.unwrap_or(1)).unwrap_or(u8::MAX),
            lifetime: 1800,
        },
        evasion: evasion(f.evasion),
        every,
        count: Some(f.count),
    };
    launch(world, id, attack, |_| {})
}

/// The victim's IPv6 address and MAC on the attacker's segment: a global address if it has one, else link-local.
fn victim_on(
    world: &World,
    victim: &crate::scenario::reference::NodeName,
    seg: &str,
) -> Result<(Ipv6Addr, MacAddr), RunError> {
    let e = node(world, victim)?;
    let i = e
        .ifaces
        .iter()
        .find(|i| i.segment == seg)
        .ok_or_else(|| RunError::Unresolved(format!("`{victim}` has no interface on {seg}")))?;
    let host = world
        .sim
        .host(e.id)
        .ok_or_else(|| RunError::Setup(format!("`{victim}` is not a host")))?;
    let mut best: Option<Ipv6Addr> = None;
    for a in host.tables.addrs.on(i.ifindex, true) {
        if let IpAddr::V6(x) = a.addr {
            let ll = x.segments()[0] & 0xffc0 == 0xfe80;
            if best.is_none() || !ll {
                best = Some(x);
            }
        }
    }
    let ip = best.ok_or_else(|| RunError::Unresolved(format!("`{victim}` has no IPv6 address on {seg}")))?;
    Ok((ip, MacAddr(i.mac)))
}

/// `redirect`: redir6 in the name of the victim's first hop.
pub fn redirect(world: &mut World, r: &Redirect) -> Result<(), RunError> {
    let (id, seg) = attacker(world, &r.attacker.value)?;
    let (victim, victim_mac) = victim_on(world, &r.victim.value, &seg)?;
    let spoof_ip = resolve(world, &r.spoof.value, None)?;
    let first_hop = Spoof {
        mac: MacAddr(
            mac_of(world, &r.spoof.value, spoof_ip)
                .ok_or_else(|| RunError::Unresolved(format!("`{}`: whose MAC?", r.spoof.value)))?,
        ),
        ip: v6(spoof_ip, "spoofed first hop")?,
    };
    let dest = v6(resolve(world, &r.destination.value, None)?, "destination")?;
    let (own_mac, own_ll) = world
        .sim
        .attacker(id)
        .map(|a| (a.mac, a.link_local()))
        .ok_or_else(|| RunError::Setup("not an attacker node".into()))?;
    let target = match &r.target {
        Some(t) => v6(resolve(world, &t.value, None)?, "target")?,
        None => own_ll,
    };
    let attack = Attack::once(Action::Redirect {
        first_hop,
        victim,
        victim_mac,
        redirect: SpoofedRedirect {
            dest,
            target,
            target_mac: Some(own_mac),
            inner_src: victim,
        },
    });
    let mitm = relay(world, r.mitm, &seg);
    launch(world, id, attack, |a| a.mitm = mitm)
}

/// `na-spoof`: parasite6 — unsolicited NAs (Override set) claiming the address, and answers to every NS for it.
pub fn na_spoof(world: &mut World, n: &NaSpoof) -> Result<(), RunError> {
    let (id, seg) = attacker(world, &n.attacker.value)?;
    if n.override_flag == Some(false) || n.victim.is_some() {
        return Err(RunError::NotBuilt {
            what: "na-spoof without the Override flag or to one victim".into(),
            needs: "unicast and O=0 NA spoofing in the attacker (sim/src/attack)",
        });
    }
    let target = v6(resolve(world, &n.address.value, None)?, "address")?;
    let attack = Attack::once(Action::NaSpoof {
        targets: vec![target],
        router: false,
    });
    let mitm = relay(world, n.mitm, &seg);
    launch(world, id, attack, |a| {
        a.answer_ns = true;
        a.mitm = mitm;
    })
}

/// `dad-dos`: answer every DAD probe on the attacker's segment (dos-new-ip6).
pub fn dad_dos(world: &mut World, d: &DadDos) -> Result<(), RunError> {
    let (id, _) = attacker(world, &d.attacker.value)?;
    if d.victim.is_some() {
        return Err(RunError::NotBuilt {
            what: "dad-dos against one victim".into(),
            needs: "per-victim DAD answering in the attacker (sim/src/attack)",
        });
    }
    world
        .sim
        .with_attacker(id, |a, _| a.dad_dos = Some(Evasion::None))
        .ok_or_else(|| RunError::Setup("not an attacker node".into()))
}
