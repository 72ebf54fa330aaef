//! `mitm: forward`: an attacker that has made itself a first hop (rogue RA, spoofed NA, redirect) relays what it
//! captures to the real owner of the destination, so the victims' flows keep working and the attack goes
//! unnoticed, as parasite6 with forwarding on does. Every relayed flow is recorded, so a trace or harness can
//! say which flows "crossed the attacker".
//!
//! The relay is a layer-2 rewrite (the IP packet is not touched, its hop limit included, as a bridging MITM
//! does): destination MAC = the real owner learned from traffic, source MAC = the attacker's.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::wire::{FrameView, L3View, MacAddr};

/// How many IP → MAC bindings the relay remembers (further ones are not learned: memory stays bounded even
/// under a flood of random sources).
pub const MAX_LEARNED: usize = 4096;

/// One relayed flow: addresses and IP protocol (Next Header of the upper layer for IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelayedFlow {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IP protocol (58 ICMPv6, 6 TCP, 17 UDP, …).
    pub protocol: u8,
}

/// The relay state.
#[derive(Debug, Clone, Default)]
pub struct Mitm {
    /// Where packets for destinations not seen on the link go: the real router's MAC.
    pub gateway_mac: Option<MacAddr>,
    learned: BTreeMap<IpAddr, MacAddr>,
    flows: BTreeMap<RelayedFlow, u64>,
    /// Frames that reached us for someone else but had nowhere to go.
    pub unrelayable: u64,
}

fn addrs(view: &FrameView<'_>) -> Option<(IpAddr, IpAddr, u8)> {
    match view.l3 {
        L3View::Ipv6(v) => Some((IpAddr::V6(v.repr.src), IpAddr::V6(v.repr.dst), v.ext.upper.0)),
        L3View::Ipv4(v) => Some((IpAddr::V4(v.repr.src), IpAddr::V4(v.repr.dst), v.repr.protocol.0)),
        _ => None,
    }
}

impl Mitm {
    /// A relay sending unknown destinations to `gateway_mac`.
    pub fn new(gateway_mac: Option<MacAddr>) -> Mitm {
        Mitm {
            gateway_mac,
            ..Mitm::default()
        }
    }

    /// Learns the true MAC of a frame's IP source (frames not sent by us; unspecified and multicast sources are
    /// not addresses anyone owns).
    pub fn learn(&mut self, view: &FrameView<'_>, own_mac: MacAddr) {
        if view.src == own_mac || !view.src.is_unicast() {
            return;
        }
        let Some((src, _, _)) = addrs(view) else {
            return;
        };
        if src.is_unspecified() || src.is_multicast() {
            return;
        }
        if self.learned.len() < MAX_LEARNED || self.learned.contains_key(&src) {
            self.learned.insert(src, view.src);
        }
    }

    /// The true MAC learned for `ip`.
    pub fn learned(&self, ip: IpAddr) -> Option<MacAddr> {
        self.learned.get(&ip).copied()
    }

    /// If `frame` was sent to our MAC for an IP destination that is not ours, the frame to send on: a copy with
    /// the real next hop's MAC as destination and ours as source. The flow is recorded.
    pub fn relay(
        &mut self,
        bytes: &[u8],
        view: &FrameView<'_>,
        own_mac: MacAddr,
        is_own: impl Fn(IpAddr) -> bool,
    ) -> Option<Vec<u8>> {
        if view.dst != own_mac {
            return None;
        }
        let (src, dst, protocol) = addrs(view)?;
        if is_own(dst) || dst.is_multicast() {
            return None;
        }
        let Some(next) = self.learned(dst).or(self.gateway_mac).filter(|m| *m != own_mac) else {
            self.unrelayable += 1;
            return None;
        };
        let mut out = bytes.to_vec();
        out.get_mut(0..6)?.copy_from_slice(&next.0);
        out.get_mut(6..12)?.copy_from_slice(&own_mac.0);
        *self.flows.entry(RelayedFlow { src, dst, protocol }).or_insert(0) += 1;
        Some(out)
    }

    /// Relayed flows with their frame counts, ordered by flow.
    pub fn flows(&self) -> &BTreeMap<RelayedFlow, u64> {
        &self.flows
    }

    /// Whether any frame from `src` to `dst` crossed the attacker.
    pub fn crossed(&self, src: IpAddr, dst: IpAddr) -> bool {
        self.flows.keys().any(|f| f.src == src && f.dst == dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::build::{ipv6_frame, Ipv6Params, Upper, L2};
    use crate::wire::{parse_frame, Icmpv6Repr};
    use std::net::Ipv6Addr;

    const ME: MacAddr = MacAddr([2, 0xaa, 0, 0, 0, 1]);
    const VICTIM: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x10]);
    const PEER: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x20]);

    fn echo(src_mac: MacAddr, dst_mac: MacAddr, src: Ipv6Addr, dst: Ipv6Addr) -> Vec<u8> {
        let l2 = L2 {
            src: src_mac,
            dst: dst_mac,
            vlan: None,
        };
        let echo = Icmpv6Repr::EchoRequest {
            ident: 1,
            seq_no: 1,
            data: &[],
        };
        ipv6_frame(l2, &Ipv6Params::new(src, dst, 64), &Upper::Icmpv6(echo)).unwrap_or_default()
    }

    #[test]
    fn relays_to_the_learned_owner_and_records_the_flow() {
        let (a, b) = (
            "2001:db8::10".parse().unwrap_or(Ipv6Addr::LOCALHOST),
            "2001:db8::20".parse().unwrap_or(Ipv6Addr::LOCALHOST),
        );
        let mut m = Mitm::new(None);
        let from_peer = echo(PEER, VICTIM, b, a);
        m.learn(&parse_frame(&from_peer).expect("parses"), ME);
        let to_me = echo(VICTIM, ME, a, b);
        let view = parse_frame(&to_me).expect("parses");
        let out = m.relay(&to_me, &view, ME, |_| false).expect("relayed");
        assert_eq!((&out[0..6], &out[6..12]), (&PEER.0[..], &ME.0[..]));
        assert_eq!(out[14..], to_me[14..]);
        assert!(m.crossed(IpAddr::V6(a), IpAddr::V6(b)));
        assert!(!m.crossed(IpAddr::V6(b), IpAddr::V6(a)));
    }

    #[test]
    fn frames_for_us_or_nowhere_are_not_relayed() {
        let (a, b) = (
            "2001:db8::10".parse().unwrap_or(Ipv6Addr::LOCALHOST),
            "2001:db8::20".parse().unwrap_or(Ipv6Addr::LOCALHOST),
        );
        let mut m = Mitm::new(None);
        let f = echo(VICTIM, ME, a, b);
        let view = parse_frame(&f).expect("parses");
        assert!(m.relay(&f, &view, ME, |ip| ip == IpAddr::V6(b)).is_none());
        assert!(m.relay(&f, &view, ME, |_| false).is_none());
        assert_eq!(m.unrelayable, 1);
        assert!(m.flows().is_empty());
    }
}
