//! Attacker actions (sim/src/attack, the THC-IPv6 tools of linux-ipv6.md G10): `rogue-ra` (fake_router6),
//! `kill-router` (kill_router6), `ra-flood` (flood_router26), `redirect` (redir6), `na-spoof` (parasite6) and
//! `dad-dos` (dos-new-ip6), each launched on the attacker node at the action's time from the NIC it names
//! (`iface`, default the first): an attacker with NICs on two segments attacks each separately.
//!
//! `mitm: forward` turns that NIC into a relay towards the real router of its segment (the first router
//! interface on it), so attracted traffic still flows and `path … crossed_attacker` can see it; `mitm: drop` leaves
//! attracted traffic to die there. A destination the relay has seen only on another forwarding NIC's segment is
//! relayed there (sim/src/attack/mitm.rs). `evasion: fragment` is the RFC 7113 variant whose first fragment
//! carries no ICMPv6 header (THC `-E D`). `na-spoof` and `dad-dos` take an optional `victim`: one NIC (by MAC) or
//! one address, so the other nodes of the segment are left alone.

use super::resolve::{node, resolve};
use super::world::IfaceEntry;
use super::world::{NodeKind, World};
use super::RunError;
use crate::scenario::located::Located;
use crate::scenario::reference::AddrRef;
use crate::scenario::timeline::{
    DadDos, Evasion as ScEvasion, KillRouter, Mitm as ScMitm, NaSpoof, RaFlood, Redirect, RogueRa as ScRogueRa,
};
use crate::scenario::values::Lifetime;
use dualhome_sim::attack::{
    Action, Attack, Attacker, DadDos as SimDadDos, Evasion, NsSpoof, RogueRa, Spoof, SpoofedRedirect, Victim,
};
use dualhome_sim::id::{IfIndex, NodeId};
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

/// The attacker NIC an action uses.
struct Nic {
    id: NodeId,
    ifindex: IfIndex,
    segment: String,
}

/// The attacker node's NIC `iface` (its first when `None`) and that NIC's segment.
fn attacker(
    world: &World,
    name: &crate::scenario::reference::NodeName,
    iface: Option<&Located<String>>,
) -> Result<Nic, RunError> {
    let e = node(world, name)?;
    if e.kind != NodeKind::Attacker {
        return Err(RunError::Setup(format!("`{name}` is not an attacker")));
    }
    let i = match iface {
        Some(n) => e.iface(&n.value),
        None => e.ifaces.first(),
    }
    .ok_or_else(|| RunError::Unresolved(format!("attacker `{name}` has no interface `{}`", display(iface))))?;
    Ok(Nic {
        id: e.id,
        ifindex: i.ifindex,
        segment: i.segment.clone(),
    })
}

fn display(iface: Option<&Located<String>>) -> &str {
    iface.map_or("(first)", |i| i.value.as_str())
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

/// Launches `attack` from NIC `nic` after `setup`; `relay` is the action's `mitm` (`None`: it has no say).
fn launch(
    world: &mut World,
    nic: &Nic,
    mut attack: Attack,
    relay: Option<ScMitm>,
    setup: impl FnOnce(&mut Attacker),
) -> Result<(), RunError> {
    let gateway = router_mac(world, &nic.segment);
    attack.ifindex = nic.ifindex;
    let ifindex = nic.ifindex;
    world
        .sim
        .with_attacker(nic.id, |a, ctx| {
            match relay {
                Some(ScMitm::Forward) => a.mitm.get_or_insert_default().enable(ifindex, gateway),
                Some(ScMitm::Drop) => {
                    if let Some(m) = a.mitm.as_mut() {
                        m.disable(ifindex);
                    }
                }
                None => {}
            }
            setup(a);
            a.launch(ctx.now, attack);
        })
        .ok_or_else(|| RunError::Setup("not an attacker node".into()))
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
    let nic = attacker(world, &r.attacker.value, r.iface.as_ref())?;
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
        ifindex: nic.ifindex,
        evasion: evasion(r.evasion),
        every: r.interval.map_or(Duration::from_secs(1), |i| i.0),
        count: Some(r.count.unwrap_or(1)),
    };
    launch(world, &nic, attack, Some(r.mitm), |_| {})
}

/// `kill-router`: a lifetime-0 RA from the router's link-local address (kill_router6 sends it with its own MAC).
pub fn kill_router(world: &mut World, k: &KillRouter) -> Result<(), RunError> {
    let nic = attacker(world, &k.attacker.value, k.iface.as_ref())?;
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
    launch(world, &nic, attack, None, |_| {})
}

/// `ra-flood`: `count` RAs from random routers, spread over `over` (default back to back, 1 ms apart).
pub fn ra_flood(world: &mut World, f: &RaFlood) -> Result<(), RunError> {
    let nic = attacker(world, &f.attacker.value, f.iface.as_ref())?;
    let every = f
        .over
        .as_ref()
        .map_or(Duration::from_millis(1), |o| o.value.0 / f.count.max(1));
    let attack = Attack {
        action: Action::RaFlood {
            prefixes: u8::try_from(f.prefixes_per_ra.unwrap_or(1)).unwrap_or(u8::MAX),
            lifetime: 1800,
        },
        ifindex: nic.ifindex,
        evasion: evasion(f.evasion),
        every,
        count: Some(f.count),
    };
    launch(world, &nic, attack, None, |_| {})
}

/// The victim's NIC on segment `seg`: the interface named, which must be plugged into `seg`, or the node's
/// interface on it.
fn victim_nic<'w>(
    world: &'w World,
    victim: &crate::scenario::reference::NodeName,
    iface: Option<&str>,
    seg: &str,
) -> Result<(NodeId, &'w IfaceEntry), RunError> {
    let e = node(world, victim)?;
    let i = match iface {
        Some(n) => e
            .iface(n)
            .filter(|i| i.segment == seg)
            .ok_or_else(|| RunError::Unresolved(format!("`{victim}:{n}` is not on the attacker's segment {seg}")))?,
        None => e
            .ifaces
            .iter()
            .find(|i| i.segment == seg)
            .ok_or_else(|| RunError::Unresolved(format!("`{victim}` has no interface on {seg}")))?,
    };
    Ok((e.id, i))
}

/// The victim's IPv6 address and MAC on segment `seg`: a global address if it has one, else link-local.
fn victim_on(
    world: &World,
    victim: &crate::scenario::reference::NodeName,
    iface: Option<&str>,
    seg: &str,
) -> Result<(Ipv6Addr, MacAddr), RunError> {
    let (id, i) = victim_nic(world, victim, iface, seg)?;
    let host = world
        .sim
        .host(id)
        .ok_or_else(|| RunError::Setup(format!("`{victim}` is not a host")))?;
    let mut best: Option<Ipv6Addr> = None;
    for a in host.tables.addrs.on(i.ifindex, true) {
        if let IpAddr::V6(x) = a.addr {
            let ll = x.is_unicast_link_local();
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
    let nic = attacker(world, &r.attacker.value, r.iface.as_ref())?;
    let (victim, victim_mac) = victim_on(world, &r.victim.value, None, &nic.segment)?;
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
        .attacker(nic.id)
        .and_then(|a| a.nic(nic.ifindex))
        .map(|n| (n.mac, n.link_local()))
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
    launch(world, &nic, attack, Some(r.mitm), |_| {})
}

/// Whether `ip` (named by `r`) belongs to a router node: parasite6 then claims it with the Router flag, or the
/// victim would drop the router from its default router list (RFC 4861 §7.2.5, linux-ipv6.md B13).
fn is_router_address(world: &World, r: &AddrRef, ip: IpAddr) -> bool {
    let kind_of = |name: &str| world.nodes.get(name).map(|e| e.kind);
    match r {
        AddrRef::Node { node, .. } => kind_of(&node.to_string()) == Some(NodeKind::Router),
        AddrRef::Literal(_) => world.nodes.values().any(|e| {
            e.kind == NodeKind::Router
                && world
                    .sim
                    .host(e.id)
                    .is_some_and(|h| h.tables.addrs.iter().any(|a| a.addr == ip))
        }),
    }
}

/// `na-spoof`: parasite6 — unsolicited NAs (Override set) claiming the address, and answers to NSs with our MAC:
/// everyone's, or with `victim` only the victim's, the NAs unicast to it.
pub fn na_spoof(world: &mut World, n: &NaSpoof) -> Result<(), RunError> {
    let nic = attacker(world, &n.attacker.value, n.iface.as_ref())?;
    let ip = resolve(world, &n.address.value, None)?;
    let target = v6(ip, "address")?;
    let (victim, to) = match n.victim.as_ref().map(|v| &v.value) {
        None => (Victim::All, None),
        Some(r @ AddrRef::Literal(a)) => {
            let a = v6(*a, "victim")?;
            let mac = mac_of(world, r, IpAddr::V6(a))
                .ok_or_else(|| RunError::Unresolved(format!("victim `{a}`: nobody owns it")))?;
            (Victim::Addr(a), Some((a, MacAddr(mac))))
        }
        Some(AddrRef::Node { node, iface, .. }) => {
            let (ip, mac) = victim_on(world, node, iface.as_deref(), &nic.segment)?;
            (Victim::Mac(mac), Some((ip, mac)))
        }
    };
    let router = n.mitm == ScMitm::Forward || is_router_address(world, &n.address.value, ip);
    let attack = Attack {
        action: Action::NaSpoof {
            targets: vec![target],
            router,
            override_: n.override_flag.unwrap_or(true),
            victim: to,
        },
        ifindex: nic.ifindex,
        evasion: Evasion::None,
        every: n.interval.map_or(Duration::from_secs(1), |i| i.0),
        count: Some(n.count.unwrap_or(1)),
    };
    let ifindex = nic.ifindex;
    launch(world, &nic, attack, Some(n.mitm), |a| {
        if let Some(nic) = a.nic_mut(ifindex) {
            nic.ns_spoof = Some(NsSpoof { victim, router });
        }
    })
}

/// `dad-dos`: answer the DAD probes on the attacker NIC's segment (dos-new-ip6): all of them, or those of one
/// NIC (a node reference), or those for one address (a literal or a reference with an address selector).
pub fn dad_dos(world: &mut World, d: &DadDos) -> Result<(), RunError> {
    let nic = attacker(world, &d.attacker.value, d.iface.as_ref())?;
    let victim = match d.victim.as_ref().map(|v| &v.value) {
        None => Victim::All,
        Some(r @ (AddrRef::Literal(_) | AddrRef::Node { select: Some(_), .. })) => {
            Victim::Addr(v6(resolve(world, r, None)?, "victim")?)
        }
        Some(AddrRef::Node { node, iface, .. }) => {
            let (_, i) = victim_nic(world, node, iface.as_deref(), &nic.segment)?;
            Victim::Mac(MacAddr(i.mac))
        }
    };
    let ifindex = nic.ifindex;
    world
        .sim
        .with_attacker(nic.id, |a, _| {
            if let Some(n) = a.nic_mut(ifindex) {
                n.dad_dos = Some(SimDadDos {
                    victim,
                    evasion: Evasion::None,
                });
            }
        })
        .ok_or_else(|| RunError::Setup("not an attacker node".into()))
}
