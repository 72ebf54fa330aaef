//! `dad-dos` (THC dos-new-ip6) on the kernel backend: the attacker's namespace interface listens on an AF_PACKET
//! socket for Duplicate Address Detection probes — Neighbor Solicitations from `::` (RFC 4862 §5.4.2) — and
//! answers each one it is aimed at with the simulator's own frame: an NA to all-nodes from the probed address,
//! Override set, Solicited clear (RFC 4861 §7.2.4 for a `::` source), TLLA the attacker's MAC
//! (sim/src/attack/react.rs `Attacker::on_ns`). Which probes are answered is the simulator's rule too
//! ([`dualhome_sim::attack::DadDos::answers`]): every probe, those from one NIC (by MAC) or those for one address.
//!
//! The kernel that receives the NA while the address is tentative fails DAD (`ndisc_recv_na` →
//! `addrconf_dad_failure`): a permanent address stays `tentative dadfailed`, an autoconfigured one is deleted
//! (`addrconf_dad_stop`), linux-ipv6.md C-section. Probes are polled with the RA daemons every ≤ 10 ms, far
//! inside the 1 s RetransTimer the prober waits for an answer.

use super::raw::FrameSocket;
use super::runner::KernelNet;
use super::KernelError;
use crate::run::convert::sim_mac;
use crate::scenario::timeline::DadDos;
use crate::scenario::AddrRef;
use dualhome_sim::attack::packets::append_spoofed_na;
use dualhome_sim::attack::{DadDos as SimDadDos, Delivery, Spoof, Victim};
use dualhome_sim::wire::{MacAddr, NaFlags};
use std::net::{IpAddr, Ipv6Addr};

/// One armed `dad-dos`: the attacker NIC's socket and whose probes it answers.
pub(super) struct KernelDadDos {
    sock: FrameSocket,
    mac: MacAddr,
    rule: SimDadDos,
    /// The attacker's own configured addresses, never answered (the simulator defends them instead).
    own: Vec<Ipv6Addr>,
}

/// The Ethernet source and target of a DAD probe (an NS from `::`, no extension headers); `None` for any other
/// frame. Malformed frames are `None`, never a panic.
pub fn parse_dad_probe(frame: &[u8]) -> Option<(MacAddr, Ipv6Addr)> {
    if frame.get(12..14)? != [0x86, 0xdd] || *frame.get(20)? != 58 || *frame.get(54)? != 135 {
        return None;
    }
    if frame.get(22..38)?.iter().any(|&b| b != 0) {
        return None;
    }
    let src: [u8; 6] = frame.get(6..12)?.try_into().ok()?;
    let target: [u8; 16] = frame.get(62..78)?.try_into().ok()?;
    Some((sim_mac(src), Ipv6Addr::from(target)))
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
                let i = match iface {
                    Some(n) => v.iface(n),
                    None => v.ifaces.iter().find(|i| i.segment == nic.segment),
                }
                .ok_or_else(|| setup(format!("`{node}` has no interface on segment `{}`", nic.segment)))?;
                Victim::Mac(MacAddr(i.mac))
            }
        };
        let ns = self
            .nodes
            .get(&attacker)
            .ok_or_else(|| setup(format!("unknown node `{attacker}`")))?;
        let sock = FrameSocket::open(ns, &nic.name)?;
        let own = entry
            .ifaces
            .iter()
            .flat_map(|i| &i.configured)
            .filter_map(|n| match n.addr() {
                IpAddr::V6(a) => Some(a),
                IpAddr::V4(_) => None,
            })
            .collect();
        self.dad_dos.push(KernelDadDos {
            sock,
            mac: sim_mac(nic.mac),
            rule: SimDadDos {
                victim,
                ..SimDadDos::all()
            },
            own,
        });
        Ok(None)
    }

    /// Answers the DAD probes that arrived on every armed `dad-dos` socket.
    pub(super) fn answer_dad_probes(&mut self) -> Result<(), KernelError> {
        for d in &self.dad_dos {
            while let Some(frame) = d.sock.recv() {
                let Some((src_mac, target)) = parse_dad_probe(&frame) else {
                    continue;
                };
                if src_mac == d.mac || d.own.contains(&target) || !d.rule.answers(src_mac, target) {
                    continue;
                }
                let flags = NaFlags {
                    router: false,
                    solicited: false,
                    override_: true,
                };
                let mut buf = Vec::new();
                let from = Spoof { mac: d.mac, ip: target };
                let Ok(ranges) = append_spoofed_na(&mut buf, from, Delivery::all_nodes(), target, d.mac, flags) else {
                    continue;
                };
                for r in ranges {
                    if let Some(f) = buf.get(r) {
                        d.sock.send(f)?;
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
