//! Attacker timeline actions on the kernel backend: the frames come from the simulator's attack packet builders
//! (sim/src/attack/packets.rs: fake_router6, kill_router6, flood_router26, redir6, parasite6) with the parameters
//! the simulator's attacker node uses, and leave through an AF_PACKET socket on the attacker's namespace
//! interface. `dad-dos` and `na-spoof` answer solicitations as they happen: super::react, not a plan of frames.

use super::KernelError;
use crate::run::resolve::resolve;
use crate::run::world::World;
use crate::scenario::ra::Preference;
use crate::scenario::timeline::{Action, Evasion as ScEvasion, Family, Mitm};
use crate::scenario::values::Lifetime;
use crate::scenario::AddrRef;
use dualhome_sim::attack::packets::{append_flood_ra, append_kill_router, append_redirect, append_rogue_ra};
use dualhome_sim::attack::{Delivery, Evasion, RogueRa, Spoof, SpoofedRedirect};
use dualhome_sim::host::iid::{eui64_iid, with_iid};
use dualhome_sim::wire::{MacAddr, RouterPreference};
use rand_chacha::ChaCha8Rng;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

/// Frames an attacker sends at one time.
#[derive(Debug)]
pub struct Burst {
    /// Scenario time of the send.
    pub at: Duration,
    /// Attacker node.
    pub node: String,
    /// Its interface.
    pub iface: String,
    /// Complete Ethernet frames.
    pub frames: Vec<Vec<u8>>,
}

/// The planned sends of one attacker action, and whether the attacker must forward (`mitm: forward`).
#[derive(Debug, Default)]
pub struct Plan {
    /// Sends in time order.
    pub bursts: Vec<Burst>,
    /// Relay what the attack attracts (`mitm: forward`, super::mitm).
    pub forward: bool,
    /// The attacker NIC now claims to be a router (a rogue RA with a non-zero router lifetime): its namespace's
    /// own NAs must carry R = 1 as the simulator's attacker's do (`Nic::router`), else a victim's NUD probe
    /// would delete the rogue default (RFC 4861 §7.2.5, linux-ipv6.md B17).
    pub plays_router: bool,
}

fn evasion(e: ScEvasion) -> Evasion {
    match e {
        ScEvasion::None => Evasion::None,
        ScEvasion::Hbh => Evasion::HopByHop,
        ScEvasion::Dstopt => Evasion::DestOpts,
        // "Fragmented so the first fragment carries no ICMPv6 header" (THC -E D).
        ScEvasion::Fragment => Evasion::FragmentedDestOpts,
    }
}

fn preference(p: Preference) -> RouterPreference {
    match p {
        Preference::High => RouterPreference::High,
        Preference::Medium => RouterPreference::Medium,
        Preference::Low => RouterPreference::Low,
    }
}

fn ll_of(mac: [u8; 6]) -> Ipv6Addr {
    with_iid(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), eui64_iid(MacAddr(mac)))
}

/// A PIO lifetime in seconds (`infinity` = 0xffffffff), `default` when not written (fake_router6: 99999 s, as
/// run::attacks uses).
fn secs(l: Option<Lifetime>, default: u32) -> u32 {
    match l {
        None => default,
        Some(Lifetime::Infinity) => u32::MAX,
        Some(Lifetime::Finite(d)) => u32::try_from(d.0.as_secs()).unwrap_or(u32::MAX - 1),
    }
}

fn err(e: impl std::fmt::Display) -> KernelError {
    KernelError::Setup(e.to_string())
}

/// The (name, MAC, link-local) of node `node`'s interface `iface` (its first when `None`).
fn iface_of(w: &World, node: &str, iface: Option<&str>) -> Result<(String, [u8; 6], Ipv6Addr), KernelError> {
    let entry = w.node(node).map_err(err)?;
    let i = match iface {
        Some(n) => entry.iface(n),
        None => entry.ifaces.first(),
    }
    .ok_or_else(|| err(format!("`{node}` has no interface {}", iface.unwrap_or("at all"))))?;
    Ok((i.name.clone(), i.mac, ll_of(i.mac)))
}

/// The MAC of the interface owning link-local or configured address `a`.
fn owner_of(w: &World, a: Ipv6Addr) -> Option<[u8; 6]> {
    w.nodes.values().find_map(|n| {
        n.ifaces
            .iter()
            .find(|i| ll_of(i.mac) == a || i.configured.iter().any(|c| c.addr() == IpAddr::V6(a)))
            .map(|i| i.mac)
    })
}

fn v6(w: &World, r: &AddrRef) -> Result<Ipv6Addr, KernelError> {
    match resolve(w, r, Some(Family::Ipv6)).map_err(err)? {
        IpAddr::V6(a) => Ok(a),
        IpAddr::V4(a) => Err(err(format!("{a} is not an IPv6 address"))),
    }
}

fn frames(buf: &[u8], ranges: Vec<std::ops::Range<usize>>) -> Vec<Vec<u8>> {
    ranges
        .into_iter()
        .filter_map(|r| buf.get(r).map(<[u8]>::to_vec))
        .collect()
}

/// Plans `action` at scenario time `now`; `count_scale` divides flood counts (scenario `kernel.count_scale`),
/// `time_scale` multiplies the lifetimes the frames carry (super::timescale);
/// `victim` is the redirect victim's address (a global one if it has one, else link-local, as run::attacks
/// picks it) and MAC, read from the kernel by the caller.
/// Returns `None` for actions that are not attacks.
pub fn plan(
    w: &World,
    victim: (Ipv6Addr, [u8; 6]),
    action: &Action,
    now: Duration,
    (count_scale, time_scale): (u32, f64),
    rng: &mut ChaCha8Rng,
) -> Result<Option<Plan>, KernelError> {
    let real = |secs: u32| super::timescale::scale_secs(secs, time_scale);
    let mut plan = Plan::default();
    let wire = |e| err(format!("building the frame: {e:?}"));
    match action {
        Action::RogueRa(a) => {
            let node = a.attacker.value.to_string();
            let (iface, mac, ll) = iface_of(w, &node, a.iface.as_ref().map(|i| i.value.as_str()))?;
            let mut ra = RogueRa::new(Ipv6Addr::UNSPECIFIED);
            ra.prefixes = a
                .prefixes
                .iter()
                .filter_map(|p| match p.prefix.value.0 {
                    ipnet::IpNet::V6(n) => Some((
                        n.network(),
                        n.prefix_len(),
                        real(secs(p.valid_lifetime.as_ref().map(|l| l.value), 99_999)),
                        real(secs(p.preferred_lifetime.as_ref().map(|l| l.value), 99_999)),
                    )),
                    ipnet::IpNet::V4(_) => None,
                })
                .collect();
            ra.preference = preference(a.preference.unwrap_or(Preference::High));
            let lifetime = a
                .default_lifetime
                .as_ref()
                .map_or(1800, |d| u32::try_from(d.value.0.as_secs()).unwrap_or(u32::MAX));
            ra.router_lifetime = u16::try_from(real(lifetime)).unwrap_or(u16::MAX);
            let interval = a.interval.map_or(Duration::from_secs(1), |i| i.0);
            for k in 0..a.count.unwrap_or(1) {
                let mut buf = Vec::new();
                let to = Delivery {
                    evasion: evasion(a.evasion),
                    ident: k + 1,
                    ..Delivery::all_nodes()
                };
                let ranges = append_rogue_ra(
                    &mut buf,
                    Spoof {
                        mac: MacAddr(mac),
                        ip: ll,
                    },
                    to,
                    &ra,
                )
                .map_err(wire)?;
                let at = now + interval * k;
                plan.bursts.push(Burst {
                    at,
                    node: node.clone(),
                    iface: iface.clone(),
                    frames: frames(&buf, ranges),
                });
            }
            plan.forward = a.mitm == Mitm::Forward;
            plan.plays_router = ra.router_lifetime > 0;
        }
        Action::KillRouter(a) => {
            let node = a.attacker.value.to_string();
            let (iface, mac, _) = iface_of(w, &node, a.iface.as_ref().map(|i| i.value.as_str()))?;
            let router = v6(w, &a.router.value)?;
            // kill_router6 sends in the router's name from its own MAC (run::attacks: spoof_mac false).
            let mut buf = Vec::new();
            let to = Delivery {
                evasion: evasion(a.evasion),
                ident: 1,
                ..Delivery::all_nodes()
            };
            let ranges = append_kill_router(
                &mut buf,
                Spoof {
                    mac: MacAddr(mac),
                    ip: router,
                },
                to,
            )
            .map_err(wire)?;
            plan.bursts.push(Burst {
                at: now,
                node,
                iface,
                frames: frames(&buf, ranges),
            });
        }
        Action::RaFlood(a) => {
            let node = a.attacker.value.to_string();
            let (iface, _, _) = iface_of(w, &node, a.iface.as_ref().map(|i| i.value.as_str()))?;
            let count = (a.count / count_scale.max(1)).max(1);
            let over = a.over.as_ref().map_or(Duration::ZERO, |o| o.value.0);
            let per = u8::try_from(a.prefixes_per_ra.unwrap_or(1)).unwrap_or(u8::MAX);
            for k in 0..count {
                let mut buf = Vec::new();
                let to = Delivery {
                    evasion: evasion(a.evasion),
                    ident: k + 1,
                    ..Delivery::all_nodes()
                };
                let (_, ranges) =
                    append_flood_ra(&mut buf, rng, to, per, u16::try_from(real(1800)).unwrap_or(u16::MAX))
                        .map_err(wire)?;
                let at = now + over.mul_f64(f64::from(k) / f64::from(count));
                plan.bursts.push(Burst {
                    at,
                    node: node.clone(),
                    iface: iface.clone(),
                    frames: frames(&buf, ranges),
                });
            }
        }
        Action::Redirect(a) => {
            let node = a.attacker.value.to_string();
            let (iface, mac, ll) = iface_of(w, &node, a.iface.as_ref().map(|i| i.value.as_str()))?;
            let (victim_ip, victim_mac) = victim;
            let first_hop = v6(w, &a.spoof.value)?;
            // redir6 as run::attacks builds it: Ethernet source the spoofed router's MAC, TLLA our own.
            let hop_mac = owner_of(w, first_hop).ok_or_else(|| err(format!("no interface owns {first_hop}")))?;
            let target = match &a.target {
                Some(t) => v6(w, &t.value)?,
                None => ll,
            };
            let r = SpoofedRedirect {
                dest: v6(w, &a.destination.value)?,
                target,
                target_mac: Some(MacAddr(mac)),
                inner_src: victim_ip,
            };
            let to = Delivery {
                dst: victim_ip,
                dst_mac: MacAddr(victim_mac),
                ident: 1,
                ..Delivery::all_nodes()
            };
            let mut buf = Vec::new();
            let ranges = append_redirect(
                &mut buf,
                Spoof {
                    mac: MacAddr(hop_mac),
                    ip: first_hop,
                },
                to,
                &r,
            )
            .map_err(wire)?;
            plan.bursts.push(Burst {
                at: now,
                node,
                iface,
                frames: frames(&buf, ranges),
            });
            plan.forward = a.mitm == Mitm::Forward;
        }
        Action::DadDos(_) | Action::NaSpoof(_) => {
            return Err(KernelError::Unsupported(
                "dad-dos and na-spoof answer solicitations as they come (kernel::react), they have no frame plan"
                    .into(),
            ));
        }
        _ => return Ok(None),
    }
    Ok(Some(plan))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    const TWO_NICS: &str = r#"
name: t
duration: 5s
topology:
  segments:
    - {name: a, prefixes: [2001:db8:1::/64]}
    - {name: b, prefixes: [2001:db8:3::/64]}
  routers:
    - name: rtr
      interfaces:
        - {name: a0, segment: a, mac: "02:00:5e:00:53:01", addresses: [2001:db8:1::1/64]}
        - {name: b0, segment: b, mac: "02:00:5e:00:53:03", addresses: [2001:db8:3::1/64]}
  hosts:
    - name: vm
      interfaces:
        - {name: eth0, segment: b, mac: "02:00:00:00:03:01", addresses: [2001:db8:3::10/64]}
  attackers:
    - name: mallory
      interfaces:
        - {name: eth0, segment: a, mac: "02:00:00:00:66:66"}
        - {name: eth1, segment: b, mac: "02:00:00:00:66:67"}
timeline:
  - at: 1s
    kill-router: {attacker: mallory, iface: eth1, router: "rtr:b0:ll"}
  - at: 1s
    ra-flood: {attacker: mallory, iface: eth1, count: 2}
  - at: 1s
    redirect: {attacker: mallory, iface: eth1, victim: vm, spoof: "rtr:b0:ll", destination: "2001:db8:2::80"}
  - at: 1s
    kill-router: {attacker: mallory, router: "rtr:a0:ll"}
"#;

    #[test]
    fn every_attack_leaves_by_the_nic_it_names_with_that_nics_addresses() {
        let scenario = match crate::scenario::load_str("t.yml", TWO_NICS) {
            Ok(s) => s,
            Err(e) => panic!("{e:?}"),
        };
        let w = match crate::run::world::build(&scenario, 1) {
            Ok(w) => w,
            Err(e) => panic!("{e}"),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let eth1 = [2, 0, 0, 0, 0x66, 0x67];
        let victim = (
            "2001:db8:3::10".parse().unwrap_or(Ipv6Addr::UNSPECIFIED),
            [2, 0, 0, 0, 3, 1],
        );
        let mut ifaces = Vec::new();
        for (k, entry) in scenario.timeline.iter().enumerate() {
            let p = match plan(&w, victim, &entry.action, Duration::ZERO, (1, 1.0), &mut rng) {
                Ok(Some(p)) => p,
                other => panic!("timeline[{k}]: {other:?}"),
            };
            let b = &p.bursts[0];
            ifaces.push(b.iface.clone());
            if k == 0 {
                // kill_router6: the attacker's own MAC as Ethernet source.
                assert_eq!(&b.frames[0][6..12], &eth1[..]);
            }
            if k == 2 {
                // redir6: the target (and TLLA) is the named NIC's link-local.
                let target = ll_of(eth1).octets();
                assert!(
                    b.frames[0].windows(16).any(|x| x == target),
                    "no eth1 link-local in the redirect"
                );
            }
        }
        assert_eq!(ifaces, ["eth1", "eth1", "eth1", "eth0"], "the default is the first NIC");
    }

    #[test]
    fn link_locals_are_eui64_and_evasions_map() {
        assert_eq!(
            ll_of([0x02, 0, 0x5e, 0, 0x53, 0x01]).to_string(),
            "fe80::5eff:fe00:5301"
        );
        assert_eq!(evasion(ScEvasion::Fragment), Evasion::FragmentedDestOpts);
        assert_eq!(preference(Preference::Low), RouterPreference::Low);
    }
}
