//! `mitm: forward` on the kernel backend: the attacker namespace relays what its rogue RA (or spoofed NA) attracts
//! with the simulator's own relay ([`dualhome_sim::attack::Mitm`]): a layer-2 rewrite — destination MAC the real
//! owner learned from traffic, else the segment's router (the first router interface on it, as
//! `run::attacks::router_mac` picks it), source MAC the attacker's — read and sent on an AF_PACKET socket.
//!
//! The attacker's own kernel must stay out of the way, as the simulator's attacker has no IP stack: its
//! namespace keeps forwarding off and gets `blackhole` default routes for both families ([`quiet`]), so packets it
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

/// The relay's one NIC, as the simulator's [`Mitm`] numbers it.
const NIC: IfIndex = IfIndex(0);

/// One relaying attacker NIC.
pub(super) struct KernelRelay {
    node: String,
    ifname: String,
    sock: FrameSocket,
    mac: MacAddr,
    mitm: Mitm,
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

impl KernelNet {
    /// Starts relaying on attacker `node`'s interface `ifname` (once; a second `mitm: forward` on it is a no-op).
    pub(super) fn start_relay(&mut self, node: &str, ifname: &str) -> Result<(), KernelError> {
        if self.relays.iter().any(|r| r.node == node && r.ifname == ifname) {
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
            .collect();
        let mac = sim_mac(nic.mac);
        let ns = self
            .nodes
            .get(node)
            .ok_or_else(|| setup(format!("unknown node `{node}`")))?;
        let sock = FrameSocket::open(ns, ifname)?;
        self.relays.push(KernelRelay {
            node: node.to_owned(),
            ifname: ifname.to_owned(),
            sock,
            mac,
            mitm: Mitm::on(NIC, gateway),
            own,
        });
        Ok(())
    }

    /// Learns from and relays every frame waiting on the relay sockets. Frames that do not parse are skipped.
    pub(super) fn relay_frames(&mut self) -> Result<(), KernelError> {
        for r in &mut self.relays {
            while let Some(mut frame) = r.sock.recv() {
                if frame.get(0..6) == Some(&r.mac.0[..]) {
                    complete_l4_checksum(&mut frame);
                }
                let Ok(view) = parse_frame(&frame) else {
                    continue;
                };
                let mac = r.mac;
                // Our own link-local is the rogue router's address: never relayed, the namespace answers it.
                let own = &r.own;
                let is_own = |ip: IpAddr| {
                    own.contains(&ip)
                        || matches!(ip, IpAddr::V6(a) if a == dualhome_sim::host::iid::with_iid(
                            std::net::Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
                            dualhome_sim::host::iid::eui64_iid(mac)
                        ))
                };
                r.mitm.learn(&view, NIC, |m| m == mac);
                if let Some(out) = r.mitm.relay(&frame, &view, NIC, |_| Some(mac), is_own) {
                    r.sock.send(&out.frame)?;
                }
            }
        }
        Ok(())
    }
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
        let mut m = Mitm::on(NIC, Some(gw));
        let out = m.relay(&f, &view, NIC, |_| Some(me), |_| false);
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
