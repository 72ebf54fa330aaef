//! The attacker's reactive behaviours on the kernel backend, as sim/src/attack/react.rs has them: the attacker's
//! namespace interface listens on an AF_PACKET socket for Neighbor Solicitations and answers with the
//! simulator's own frames (`Attacker::on_ns`), choosing by the simulator's rules:
//! - `dad-dos` (THC dos-new-ip6): a Duplicate Address Detection probe — an NS from `::` (RFC 4862 §5.4.2) — is
//!   answered with an NA to all-nodes from the probed address, Override set, Solicited clear (RFC 4861 §7.2.4 for
//!   a `::` source), TLLA the attacker's MAC; every probe, those from one NIC (by MAC) or those for one address
//!   ([`dualhome_sim::attack::DadDos::answers`]).
//! - `na-spoof` (parasite6): an address-resolution or NUD NS from the victim is answered, whatever its target,
//!   with an NA to the soliciter, Solicited and Override set, Router as the attack claims
//!   ([`dualhome_sim::attack::NsSpoof::answers`]).
//!
//! The attacker's own addresses are left to its namespace's stack, which answers them itself.
//!
//! The kernel that receives the NA while the address is tentative fails DAD (`ndisc_recv_na` →
//! `addrconf_dad_failure`): a permanent address stays `tentative dadfailed`, an autoconfigured one is deleted
//! (`addrconf_dad_stop`), linux-ipv6.md C-section. Probes are polled with the RA daemons every ≤ 10 ms, far
//! inside the 1 s RetransTimer the prober waits for an answer.

use super::raw::FrameSocket;
use super::runner::KernelNet;
use super::KernelError;
use crate::run::convert::sim_mac;
use crate::run::world::NodeKind;
use crate::scenario::timeline::{DadDos, Mitm as ScMitm, NaSpoof};
use crate::scenario::AddrRef;
use dualhome_sim::attack::packets::append_spoofed_na;
use dualhome_sim::attack::{DadDos as SimDadDos, Delivery, NsSpoof, Spoof, Victim};
use dualhome_sim::host::iid::{eui64_iid, with_iid};
use dualhome_sim::wire::{MacAddr, NaFlags};
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

/// One attacker NIC that answers solicitations: its socket and the rules it answers by.
pub(super) struct KernelResponder {
    node: String,
    ifname: String,
    sock: FrameSocket,
    mac: MacAddr,
    dad: Option<SimDadDos>,
    ns: Option<NsSpoof>,
    /// The attacker's own configured addresses, never answered (the simulator defends them instead).
    own: Vec<Ipv6Addr>,
}

/// A Neighbor Solicitation: Ethernet source, IPv6 source, target.
struct Solicitation {
    src_mac: MacAddr,
    src: Ipv6Addr,
    target: Ipv6Addr,
}

/// The solicitation in `frame` (no extension headers); `None` for any other frame or a malformed one.
fn parse_ns(frame: &[u8]) -> Option<Solicitation> {
    if frame.get(12..14)? != [0x86, 0xdd] || *frame.get(20)? != 58 || *frame.get(54)? != 135 {
        return None;
    }
    let src_mac: [u8; 6] = frame.get(6..12)?.try_into().ok()?;
    let src: [u8; 16] = frame.get(22..38)?.try_into().ok()?;
    let target: [u8; 16] = frame.get(62..78)?.try_into().ok()?;
    Some(Solicitation {
        src_mac: sim_mac(src_mac),
        src: Ipv6Addr::from(src),
        target: Ipv6Addr::from(target),
    })
}

/// The Ethernet source and target of a DAD probe (an NS from `::`, no extension headers); `None` for any other
/// frame. Malformed frames are `None`, never a panic.
pub fn parse_dad_probe(frame: &[u8]) -> Option<(MacAddr, Ipv6Addr)> {
    parse_ns(frame)
        .filter(|n| n.src.is_unspecified())
        .map(|n| (n.src_mac, n.target))
}

fn setup(e: impl std::fmt::Display) -> KernelError {
    KernelError::Setup(e.to_string())
}

impl KernelNet {
    /// Arms `dad-dos` on the attacker's interface (its first unless named), with the victim resolved as
    /// `run::attacks::dad_dos` resolves it.
    pub(super) fn start_dad_dos(&mut self, d: &DadDos) -> Result<Option<String>, KernelError> {
        let attacker = d.attacker.value.to_string();
        let entry = self.names.node(&attacker).map_err(setup)?;
        let nic = match &d.iface {
            Some(i) => entry.iface(&i.value),
            None => entry.ifaces.first(),
        }
        .ok_or_else(|| setup(format!("attacker `{attacker}` has no such interface")))?
        .clone();
        let victim = match d.victim.as_ref().map(|v| &v.value) {
            None => Victim::All,
            Some(r @ (AddrRef::Literal(_) | AddrRef::Node { select: Some(_), .. })) => {
                match crate::run::resolve::resolve(&self.names, r, None).map_err(setup)? {
                    IpAddr::V6(a) => Victim::Addr(a),
                    IpAddr::V4(a) => return Err(setup(format!("dad-dos victim {a} is not an IPv6 address"))),
                }
            }
            Some(AddrRef::Node { node, iface, .. }) => {
                let v = self.names.node(&node.to_string()).map_err(setup)?;
                // A named NIC must be on the attacker's segment, as run::attacks::victim_nic requires.
                let i = match iface {
                    Some(n) => v.iface(n).filter(|i| i.segment == nic.segment),
                    None => v.ifaces.iter().find(|i| i.segment == nic.segment),
                }
                .ok_or_else(|| setup(format!("`{node}` has no interface on segment `{}`", nic.segment)))?;
                Victim::Mac(MacAddr(i.mac))
            }
        };
        let rule = SimDadDos {
            victim,
            ..SimDadDos::all()
        };
        self.responder(&attacker, &nic.name)?.dad = Some(rule);
        Ok(None)
    }

    /// `na-spoof` as `run::attacks::na_spoof` launches it: `count` unsolicited NAs claiming the address, `interval`
    /// apart (to all-nodes, or unicast to the victim), Router set when the address is a router's or the attacker
    /// relays, then NSs from the victim answered with our MAC for the rest of the run.
    pub(super) fn start_na_spoof(&mut self, n: &NaSpoof, now: Duration) -> Result<Option<String>, KernelError> {
        let attacker = n.attacker.value.to_string();
        let entry = self.names.node(&attacker).map_err(setup)?;
        let nic = match &n.iface {
            Some(i) => entry.iface(&i.value),
            None => entry.ifaces.first(),
        }
        .ok_or_else(|| setup(format!("attacker `{attacker}` has no such interface")))?
        .clone();
        let ll_of = |mac: [u8; 6]| with_iid(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), eui64_iid(MacAddr(mac)));
        let target = match crate::run::resolve::resolve(&self.names, &n.address.value, None).map_err(setup)? {
            IpAddr::V6(a) => a,
            IpAddr::V4(a) => return Err(setup(format!("na-spoof address {a} is not an IPv6 address"))),
        };
        let owner = |a: Ipv6Addr| {
            self.names.nodes.values().find_map(|e| {
                e.ifaces
                    .iter()
                    .find(|i| ll_of(i.mac) == a || i.configured.iter().any(|c| c.addr() == IpAddr::V6(a)))
                    .map(|i| (e.kind, i.mac))
            })
        };
        let (victim, to) = match n.victim.as_ref().map(|v| &v.value) {
            None => (Victim::All, None),
            Some(AddrRef::Literal(IpAddr::V6(a))) => {
                let (_, mac) = owner(*a).ok_or_else(|| setup(format!("victim `{a}`: nobody owns it")))?;
                (Victim::Addr(*a), Some((*a, MacAddr(mac))))
            }
            Some(AddrRef::Literal(IpAddr::V4(a))) => {
                return Err(setup(format!("na-spoof victim {a} is not an IPv6 address")))
            }
            Some(AddrRef::Node { node, iface, .. }) => {
                let v = self.names.node(&node.to_string()).map_err(setup)?;
                let i = match iface {
                    Some(x) => v.iface(x).filter(|i| i.segment == nic.segment),
                    None => v.ifaces.iter().find(|i| i.segment == nic.segment),
                }
                .ok_or_else(|| setup(format!("`{node}` has no interface on segment `{}`", nic.segment)))?;
                let (mac, ifname) = (i.mac, i.name.clone());
                // The victim's address as its kernel has it now: a global one if any, else the link-local
                // (run::attacks::victim_on reads the simulator's table the same way).
                let ns = self
                    .nodes
                    .get(&node.to_string())
                    .ok_or_else(|| setup(format!("unknown node `{node}`")))?;
                let live = super::observe::addrs(ns)?;
                let v6: Vec<Ipv6Addr> = live
                    .iter()
                    .filter(|a| a.dev == ifname)
                    .filter_map(|a| a.cidr.split('/').next().and_then(|x| x.parse::<Ipv6Addr>().ok()))
                    .collect();
                let ip = v6
                    .iter()
                    .find(|a| !a.is_unicast_link_local())
                    .or(v6.first())
                    .copied()
                    .ok_or_else(|| setup(format!("`{node}` has no IPv6 address on {}", nic.segment)))?;
                (Victim::Mac(MacAddr(mac)), Some((ip, MacAddr(mac))))
            }
        };
        let router_owned = match &n.address.value {
            AddrRef::Node { node, .. } => self
                .names
                .node(&node.to_string())
                .is_ok_and(|e| e.kind == NodeKind::Router),
            AddrRef::Literal(_) => owner(target).is_some_and(|(k, _)| k == NodeKind::Router),
        };
        let router = n.mitm == ScMitm::Forward || router_owned;
        let flags = NaFlags {
            router,
            solicited: false,
            override_: n.override_flag.unwrap_or(true),
        };
        let mut to_all = Delivery::all_nodes();
        if let Some((ip, mac)) = to {
            to_all.dst = ip;
            to_all.dst_mac = mac;
        }
        let mac = MacAddr(nic.mac);
        let mut buf = Vec::new();
        let from = Spoof { mac, ip: target };
        let ranges =
            append_spoofed_na(&mut buf, from, to_all, target, mac, flags).map_err(|e| setup(format!("{e:?}")))?;
        let frames: Vec<Vec<u8>> = ranges
            .into_iter()
            .filter_map(|r| buf.get(r).map(<[u8]>::to_vec))
            .collect();
        let every = n.interval.map_or(Duration::from_secs(1), |i| i.0);
        for k in 0..n.count.unwrap_or(1) {
            self.bursts.push(super::attack::Burst {
                at: now + every * k,
                node: attacker.clone(),
                iface: nic.name.clone(),
                frames: frames.clone(),
            });
        }
        self.bursts.sort_by_key(|b| b.at);
        self.responder(&attacker, &nic.name)?.ns = Some(NsSpoof { victim, router });
        if n.mitm == ScMitm::Forward {
            self.start_relay(&attacker, &nic.name)?;
        }
        Ok(None)
    }

    /// The responder of attacker `node`'s NIC `ifname`, opened on first use.
    pub(super) fn responder(&mut self, node: &str, ifname: &str) -> Result<&mut KernelResponder, KernelError> {
        if let Some(i) = self
            .responders
            .iter()
            .position(|r| r.node == node && r.ifname == ifname)
        {
            return self.responders.get_mut(i).ok_or_else(|| setup("responder vanished"));
        }
        let entry = self.names.node(node).map_err(setup)?;
        let nic = entry
            .iface(ifname)
            .ok_or_else(|| setup(format!("`{node}` has no interface `{ifname}`")))?;
        let mac = sim_mac(nic.mac);
        let own = entry
            .ifaces
            .iter()
            .flat_map(|i| &i.configured)
            .filter_map(|n| match n.addr() {
                IpAddr::V6(a) => Some(a),
                IpAddr::V4(_) => None,
            })
            .collect();
        let ns = self
            .nodes
            .get(node)
            .ok_or_else(|| setup(format!("unknown node `{node}`")))?;
        let sock = FrameSocket::open(ns, ifname)?;
        self.responders.push(KernelResponder {
            node: node.to_owned(),
            ifname: ifname.to_owned(),
            sock,
            mac,
            dad: None,
            ns: None,
            own,
        });
        let last = self.responders.len() - 1;
        self.responders.get_mut(last).ok_or_else(|| setup("responder vanished"))
    }

    /// Answers the solicitations that arrived on every responder socket.
    pub(super) fn answer_solicitations(&mut self) -> Result<(), KernelError> {
        for r in &self.responders {
            while let Some(frame) = r.sock.recv() {
                let Some(n) = parse_ns(&frame) else {
                    continue;
                };
                if n.src_mac == r.mac || r.own.contains(&n.target) {
                    continue;
                }
                let (to, flags) = if n.src.is_unspecified() {
                    if !r.dad.is_some_and(|d| d.answers(n.src_mac, n.target)) {
                        continue;
                    }
                    let flags = NaFlags {
                        router: false,
                        solicited: false,
                        override_: true,
                    };
                    (Delivery::all_nodes(), flags)
                } else {
                    let Some(spoof) = r.ns.filter(|s| s.answers(n.src_mac, n.src)) else {
                        continue;
                    };
                    let to = Delivery {
                        dst: n.src,
                        dst_mac: n.src_mac,
                        ..Delivery::all_nodes()
                    };
                    let flags = NaFlags {
                        router: spoof.router,
                        solicited: true,
                        override_: true,
                    };
                    (to, flags)
                };
                let mut buf = Vec::new();
                let from = Spoof {
                    mac: r.mac,
                    ip: n.target,
                };
                let Ok(ranges) = append_spoofed_na(&mut buf, from, to, n.target, r.mac, flags) else {
                    continue;
                };
                for range in ranges {
                    if let Some(f) = buf.get(range) {
                        r.sock.send(f)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dad_ns(target: Ipv6Addr) -> Vec<u8> {
        let mut f = vec![0u8; 86];
        f[0..6].copy_from_slice(&[0x33, 0x33, 0xff, 0, 0, 0x10]);
        f[6..12].copy_from_slice(&[2, 0, 0, 0, 1, 1]);
        f[12] = 0x86;
        f[13] = 0xdd;
        f[14] = 0x60;
        f[20] = 58;
        f[54] = 135;
        f[62..78].copy_from_slice(&target.octets());
        f
    }

    #[test]
    fn dad_probes_parse_and_other_solicitations_do_not() {
        let t: Ipv6Addr = "2001:db8::10".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let mut f = dad_ns(t);
        assert_eq!(parse_dad_probe(&f), Some((MacAddr([2, 0, 0, 0, 1, 1]), t)));
        // An address-resolution NS has a source: not a DAD probe.
        f[37] = 1;
        assert_eq!(parse_dad_probe(&f), None);
        f[37] = 0;
        f[54] = 136;
        assert_eq!(parse_dad_probe(&f), None, "an NA");
        assert_eq!(parse_dad_probe(&dad_ns(t)[..70]), None, "truncated");
        assert_eq!(parse_dad_probe(&[]), None);
    }
}
