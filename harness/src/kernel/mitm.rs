//! `mitm: forward` on the kernel backend: the attacker namespace relays what its rogue RA (or spoofed NA) attracts
//! with the simulator's own relay ([`dualhome_sim::attack::Mitm`]): a layer-2 rewrite — destination MAC the real
//! owner learned from traffic, else the segment's router (the first router interface on it, as
//! `run::attacks::router_mac` picks it), source MAC the attacker's — read and sent on an AF_PACKET socket.
//! An attacker relaying on two NICs shares one relay state between them, as the simulator's does: a destination
//! learned only on the other NIC's segment is sent out of that NIC (bridging the two segments past the router).
//!
//! The attacker's own kernel must stay out of the way, as the simulator's attacker has no IP stack: its
//! namespace keeps forwarding off and gets `blackhole` default routes for both families (`quiet`), so packets it
//! attracts for foreign addresses are dropped silently (`dst_discard`) instead of being answered with ICMP
//! "no route" errors (ip6_pkt_discard) or forwarded with a decremented hop limit and redirects.

use super::netns::ip;
use super::raw::FrameSocket;
use super::runner::KernelNet;
use super::KernelError;
use crate::run::convert::sim_mac;
use crate::run::world::NodeKind;
use dualhome_sim::attack::Mitm;
use dualhome_sim::id::IfIndex;
use dualhome_sim::wire::{parse_frame, MacAddr};
use std::net::IpAddr;

/// One relaying NIC of an attacker: its socket and the index the shared [`Mitm`] knows it by (its position
/// among the node's interfaces, as the simulator numbers them).
struct RelayNic {
    ifname: String,
    ifindex: IfIndex,
    sock: FrameSocket,
    mac: MacAddr,
}

/// One relaying attacker: its relaying NICs and one relay state shared by them, as the simulator's attacker
/// has it, so a destination seen only on another relaying NIC's segment is sent there (sim/src/attack/mitm.rs).
pub(super) struct KernelRelay {
    node: String,
    nics: Vec<RelayNic>,
    mitm: Mitm,
    /// The attacker's configured addresses and its NICs' link-locals (never relayed: its namespace answers them).
    own: Vec<IpAddr>,
}

/// Fills in the TCP or UDP checksum of `frame`. A frame the attacker's socket reads from a veth may carry a
/// partial checksum (CHECKSUM_PARTIAL: the sender's stack left it to an offload that a veth never performs, the
/// receiving stack trusting the skb's flag instead); relayed as bytes it would be dropped at the next hop, so
/// the relay completes it, as a real NIC would have on the wire. A complete checksum is recomputed unchanged.
/// Frames that are not plain IPv4/IPv6 TCP/UDP, or are truncated, are left alone.
pub fn complete_l4_checksum(frame: &mut [u8]) -> Option<()> {
    let ethertype = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    let (pseudo, start, end, proto) = match ethertype {
        0x86dd => {
            let plen = usize::from(u16::from_be_bytes([*frame.get(18)?, *frame.get(19)?]));
            let proto = *frame.get(20)?;
            let mut p = frame.get(22..54)?.to_vec();
            p.extend_from_slice(&u32::try_from(plen).ok()?.to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, proto]);
            (p, 54, 54 + plen, proto)
        }
        0x0800 => {
            let ihl = usize::from(*frame.get(14)? & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([*frame.get(16)?, *frame.get(17)?]));
            let proto = *frame.get(23)?;
            let len = u16::try_from(total.checked_sub(ihl)?).ok()?;
            let mut p = frame.get(26..34)?.to_vec();
            p.extend_from_slice(&[0, proto]);
            p.extend_from_slice(&len.to_be_bytes());
            (p, 14 + ihl, 14 + total, proto)
        }
        _ => return None,
    };
    let at = match proto {
        6 => 16,
        17 => 6,
        _ => return None,
    };
    let l4 = frame.get_mut(start..end)?;
    l4.get_mut(at..at + 2)?.copy_from_slice(&[0, 0]);
    let mut data = pseudo;
    data.extend_from_slice(l4);
    let mut sum = super::raw::checksum(&data);
    if proto == 17 && sum == 0 {
        sum = 0xffff;
    }
    l4.get_mut(at..at + 2)?.copy_from_slice(&sum.to_be_bytes());
    Some(())
}

/// Drops, silently, every packet the attacker namespace's own stack would route: `blackhole` defaults for both
/// families (the namespace has no other routes off its link).
pub(super) fn quiet(ns: &str) -> Result<(), KernelError> {
    for fam in ["-4", "-6"] {
        ip(&["-n", ns, fam, "route", "add", "blackhole", "default"])?;
    }
    Ok(())
}

/// Makes the attacker namespace's own NAs on `ifname` carry R = 1, as the simulator's attacker sets it on a NIC that
/// relays or sent a rogue RA (`plays_router`, sim/src/attack/react.rs): the namespace's stack takes R from the
/// interface's forwarding flag (ndisc_recv_ns: is_router = idev->cnf.forwarding), and with R = 0 a victim's NUD
/// probe of the rogue router deletes its default route (ndisc_recv_na → rt6_clean_tohost, linux-ipv6.md B17).
/// Per-interface forwarding does not make the namespace forward (ip6_forward reads all.forwarding), and its
/// blackhole defaults stay.
pub(super) fn play_router(ns: &str, ifname: &str) -> Result<(), KernelError> {
    super::netns::write_sysctl(ns, &format!("net.ipv6.conf.{ifname}.forwarding"), "1")
}

impl KernelNet {
    /// Starts relaying on attacker `node`'s interface `ifname` (once; a second `mitm: forward` on it is a no-op).
    /// A second NIC of the same attacker joins its relay, as `Mitm::enable` does in the simulator.
    pub(super) fn start_relay(&mut self, node: &str, ifname: &str) -> Result<(), KernelError> {
        let existing = self.relays.iter().position(|r| r.node == node);
        if existing.is_some_and(|k| {
            self.relays
                .get(k)
                .is_some_and(|r| r.nics.iter().any(|n| n.ifname == ifname))
        }) {
            return Ok(());
        }
        let setup = |e: String| KernelError::Setup(e);
        let entry = self.names.node(node).map_err(|e| setup(e.to_string()))?;
        let nic = entry
            .iface(ifname)
            .ok_or_else(|| setup(format!("`{node}` has no interface `{ifname}`")))?;
        let gateway = self
            .names
            .nodes
            .values()
            .filter(|e| e.kind == NodeKind::Router)
            .flat_map(|e| &e.ifaces)
            .find(|i| i.segment == nic.segment)
            .map(|i| MacAddr(i.mac));
        let own = entry
            .ifaces
            .iter()
            .flat_map(|i| &i.configured)
            .map(|n| n.addr())
            .chain(entry.ifaces.iter().map(|i| IpAddr::V6(link_local(sim_mac(i.mac)))))
            .collect();
        let (mac, ifindex) = (sim_mac(nic.mac), nic.ifindex);
        let ns = self
            .nodes
            .get(node)
            .ok_or_else(|| setup(format!("unknown node `{node}`")))?;
        play_router(ns, ifname)?;
        let sock = FrameSocket::open(ns, ifname)?;
        let added = RelayNic {
            ifname: ifname.to_owned(),
            ifindex,
            sock,
            mac,
        };
        match existing.and_then(|k| self.relays.get_mut(k)) {
            Some(r) => {
                r.mitm.enable(ifindex, gateway);
                r.nics.push(added);
            }
            None => self.relays.push(KernelRelay {
                node: node.to_owned(),
                nics: vec![added],
                mitm: Mitm::on(ifindex, gateway),
                own,
            }),
        }
        Ok(())
    }

    /// Learns from and relays every frame waiting on the relay sockets, out of the NIC the shared relay picks.
    /// Frames that do not parse are skipped.
    pub(super) fn relay_frames(&mut self) -> Result<(), KernelError> {
        for r in &mut self.relays {
            for k in 0..r.nics.len() {
                while let Some(mut frame) = r.nics.get(k).and_then(|n| n.sock.recv()) {
                    let Some(nic) = r.nics.get(k) else { break };
                    let (in_if, mac) = (nic.ifindex, nic.mac);
                    if frame.get(0..6) == Some(&mac.0[..]) {
                        complete_l4_checksum(&mut frame);
                    }
                    let Ok(view) = parse_frame(&frame) else {
                        continue;
                    };
                    let (nics, own) = (&r.nics, &r.own);
                    r.mitm.learn(&view, in_if, |m| nics.iter().any(|n| n.mac == m));
                    let mac_of = |i: IfIndex| nics.iter().find(|n| n.ifindex == i).map(|n| n.mac);
                    let Some(out) = r.mitm.relay(&frame, &view, in_if, mac_of, |ip| own.contains(&ip)) else {
                        continue;
                    };
                    if let Some(n) = nics.iter().find(|n| n.ifindex == out.ifindex) {
                        n.sock.send(&out.frame)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The EUI-64 link-local of `mac` (the rogue router's address: the namespace answers it, never relayed).
fn link_local(mac: MacAddr) -> std::net::Ipv6Addr {
    dualhome_sim::host::iid::with_iid(
        std::net::Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
        dualhome_sim::host::iid::eui64_iid(mac),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_tcp_checksum_is_completed_and_a_complete_one_kept() {
        // IPv6 + TCP SYN header (20 bytes), checksum left zero as CHECKSUM_PARTIAL leaves it.
        let mut f = vec![0u8; 74];
        f[12..14].copy_from_slice(&[0x86, 0xdd]);
        f[14] = 0x60;
        f[19] = 20;
        f[20] = 6;
        f[22..38].copy_from_slice(
            &"2001:db8:1::10"
                .parse::<std::net::Ipv6Addr>()
                .map_or([0; 16], |a| a.octets()),
        );
        f[38..54].copy_from_slice(
            &"2001:db8:2::80"
                .parse::<std::net::Ipv6Addr>()
                .map_or([0; 16], |a| a.octets()),
        );
        f[54..58].copy_from_slice(&[0xc0, 0x00, 0x00, 0x50]);
        f[66] = 0x50;
        f[67] = 0x02;
        assert_eq!(complete_l4_checksum(&mut f), Some(()));
        let sum = u16::from_be_bytes([f[70], f[71]]);
        assert_ne!(sum, 0);
        // Verifying over pseudo-header + segment gives 0 (RFC 1071).
        let mut data = f[22..54].to_vec();
        data.extend_from_slice(&[0, 0, 0, 20, 0, 0, 0, 6]);
        data.extend_from_slice(&f[54..74]);
        assert_eq!(super::super::raw::checksum(&data), 0);
        let again = f.clone();
        assert_eq!(complete_l4_checksum(&mut f), Some(()));
        assert_eq!(f, again);
        assert_eq!(complete_l4_checksum(&mut f[..60]), None, "truncated");
    }

    #[test]
    fn the_relay_rewrites_only_the_macs_towards_the_gateway() {
        // An echo request from a victim to an off-link host, sent to the attacker's MAC (its rogue default).
        let me = MacAddr([2, 0, 0, 0, 0x66, 0x66]);
        let gw = MacAddr([2, 0, 0x5e, 0, 0x53, 1]);
        let victim = [2u8, 0, 0, 0, 1, 1];
        let mut f = vec![0u8; 62];
        f[0..6].copy_from_slice(&me.0);
        f[6..12].copy_from_slice(&victim);
        f[12..14].copy_from_slice(&[0x86, 0xdd]);
        f[14] = 0x60;
        f[19] = 8;
        f[20] = 58;
        f[21] = 64;
        f[22..38].copy_from_slice(
            &"2001:db8:1::10"
                .parse::<std::net::Ipv6Addr>()
                .map_or([0; 16], |a| a.octets()),
        );
        f[38..54].copy_from_slice(
            &"2001:db8:2::80"
                .parse::<std::net::Ipv6Addr>()
                .map_or([0; 16], |a| a.octets()),
        );
        f[54] = 128;
        let Ok(view) = parse_frame(&f) else {
            panic!("test frame does not parse")
        };
        let mut m = Mitm::on(IfIndex(0), Some(gw));
        let out = m.relay(&f, &view, IfIndex(0), |_| Some(me), |_| false);
        let Some(out) = out else { panic!("not relayed") };
        assert_eq!(&out.frame[0..6], &gw.0);
        assert_eq!(&out.frame[6..12], &me.0);
        assert_eq!(
            &out.frame[12..],
            &f[12..],
            "the IP packet is untouched, hop limit included"
        );
    }
}
