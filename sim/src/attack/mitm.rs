//! `mitm: forward`: an attacker that has made itself a first hop (rogue RA, spoofed NA, redirect) relays what it
//! captures to the real owner of the destination, so the victims' flows keep working and the attack goes
//! unnoticed, as parasite6 with forwarding on does. Every relayed flow is recorded, so a trace or harness can
//! say which flows "crossed the attacker".
//!
//! The relay is a layer-2 rewrite (the IP packet is not touched, its hop limit included, as a bridging MITM
//! does): destination MAC = the real owner learned from traffic, source MAC = the attacker's NIC that sends it.
//! An attacker with NICs on several segments relays between them: a destination seen only on another relaying
//! NIC's segment is sent there (a MITM bridging VLAN A and VLAN B past the router and its firewall).

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::id::IfIndex;
use crate::wire::{FrameView, L3View, MacAddr};

/// How many (IP, NIC) → MAC bindings the relay remembers (further ones are not learned: memory stays bounded
/// even under a flood of random sources).
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

/// The relay state, shared by the attacker's NICs.
#[derive(Debug, Clone, Default)]
pub struct Mitm {
    /// NICs that relay what they attract, each with the MAC where packets for destinations not seen on the link
    /// go (the real router of that segment).
    relays: BTreeMap<IfIndex, Option<MacAddr>>,
    /// The true MAC of each address, per NIC it was seen on.
    learned: BTreeMap<(IpAddr, IfIndex), MacAddr>,
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

/// Where a relayed frame goes and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relayed {
    /// The NIC it leaves by.
    pub ifindex: IfIndex,
    /// The rewritten frame.
    pub frame: Vec<u8>,
    /// Its IP destination.
    pub dst: IpAddr,
}

impl Mitm {
    /// A relay on NIC `ifindex` sending unknown destinations to `gateway_mac`.
    pub fn on(ifindex: IfIndex, gateway_mac: Option<MacAddr>) -> Mitm {
        let mut m = Mitm::default();
        m.enable(ifindex, gateway_mac);
        m
    }

    /// Starts relaying on NIC `ifindex` (unknown destinations to `gateway_mac`); what was learned is kept.
    pub fn enable(&mut self, ifindex: IfIndex, gateway_mac: Option<MacAddr>) {
        self.relays.insert(ifindex, gateway_mac);
    }

    /// Stops relaying on NIC `ifindex`: what it attracts is dropped there (`mitm: drop`).
    pub fn disable(&mut self, ifindex: IfIndex) {
        self.relays.remove(&ifindex);
    }

    /// Whether NIC `ifindex` relays.
    pub fn relays_on(&self, ifindex: IfIndex) -> bool {
        self.relays.contains_key(&ifindex)
    }

    /// Learns the true MAC of a frame's IP source as seen on NIC `ifindex` (frames not sent by us; unspecified
    /// and multicast sources are not addresses anyone owns).
    pub fn learn(&mut self, view: &FrameView<'_>, ifindex: IfIndex, is_own_mac: impl Fn(MacAddr) -> bool) {
        if is_own_mac(view.src) || !view.src.is_unicast() {
            return;
        }
        let Some((src, _, _)) = addrs(view) else {
            return;
        };
        if src.is_unspecified() || src.is_multicast() {
            return;
        }
        let key = (src, ifindex);
        if self.learned.len() < MAX_LEARNED || self.learned.contains_key(&key) {
            self.learned.insert(key, view.src);
        }
    }

    /// The true MAC learned for `ip` on NIC `ifindex`.
    pub fn learned(&self, ip: IpAddr, ifindex: IfIndex) -> Option<MacAddr> {
        self.learned.get(&(ip, ifindex)).copied()
    }

    /// The next hop for `dst` arriving on `in_if`: its owner on the same link, else its owner on another relaying
    /// NIC's link (lowest ifindex first), else the arrival link's gateway.
    fn next_hop(&self, dst: IpAddr, in_if: IfIndex) -> Option<(IfIndex, MacAddr)> {
        if let Some(mac) = self.learned(dst, in_if) {
            return Some((in_if, mac));
        }
        let elsewhere = self
            .learned
            .range((dst, IfIndex(0))..=(dst, IfIndex(u32::MAX)))
            .find(|((_, i), _)| *i != in_if && self.relays_on(*i))
            .map(|((_, i), m)| (*i, *m));
        elsewhere.or_else(|| self.relays.get(&in_if).copied().flatten().map(|m| (in_if, m)))
    }

    /// If `frame`, received on a relaying NIC `in_if`, was sent to that NIC's MAC for an IP destination that is
    /// not ours, the frame to send on: a copy with the real next hop's MAC as destination and the outgoing NIC's
    /// as source. The flow is recorded. `mac_of` gives our NICs' MACs.
    pub fn relay(
        &mut self,
        bytes: &[u8],
        view: &FrameView<'_>,
        in_if: IfIndex,
        mac_of: impl Fn(IfIndex) -> Option<MacAddr>,
        is_own: impl Fn(IpAddr) -> bool,
    ) -> Option<Relayed> {
        let own_mac = mac_of(in_if)?;
        if view.dst != own_mac || !self.relays_on(in_if) {
            return None;
        }
        let (src, dst, protocol) = addrs(view)?;
        if is_own(dst) || dst.is_multicast() {
            return None;
        }
        let next = self.next_hop(dst, in_if).and_then(|(i, m)| {
            let out_mac = mac_of(i)?;
            (m != out_mac).then_some((i, m, out_mac))
        });
        let Some((out_if, next_mac, out_mac)) = next else {
            self.unrelayable += 1;
            return None;
        };
        let mut out = bytes.to_vec();
        out.get_mut(0..6)?.copy_from_slice(&next_mac.0);
        out.get_mut(6..12)?.copy_from_slice(&out_mac.0);
        *self.flows.entry(RelayedFlow { src, dst, protocol }).or_insert(0) += 1;
        Some(Relayed {
            ifindex: out_if,
            frame: out,
            dst,
        })
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
    const ME_B: MacAddr = MacAddr([2, 0xaa, 0, 0, 0, 2]);
    const VICTIM: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x10]);
    const PEER: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x20]);
    const GW_A: MacAddr = MacAddr([2, 0, 0, 0, 0, 0xa1]);
    const A: IfIndex = IfIndex(2);
    const B: IfIndex = IfIndex(3);

    fn mac_of(i: IfIndex) -> Option<MacAddr> {
        match i {
            A => Some(ME),
            B => Some(ME_B),
            _ => None,
        }
    }

    fn ip(s: &str) -> Ipv6Addr {
        s.parse().unwrap_or(Ipv6Addr::LOCALHOST)
    }

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

    fn ours(m: MacAddr) -> bool {
        m == ME || m == ME_B
    }

    #[test]
    fn relays_to_the_learned_owner_and_records_the_flow() {
        let (a, b) = (ip("2001:db8::10"), ip("2001:db8::20"));
        let mut m = Mitm::on(A, None);
        let from_peer = echo(PEER, VICTIM, b, a);
        m.learn(&parse_frame(&from_peer).expect("parses"), A, ours);
        let to_me = echo(VICTIM, ME, a, b);
        let view = parse_frame(&to_me).expect("parses");
        let out = m.relay(&to_me, &view, A, mac_of, |_| false).expect("relayed");
        assert_eq!(out.ifindex, A);
        assert_eq!((&out.frame[0..6], &out.frame[6..12]), (&PEER.0[..], &ME.0[..]));
        assert_eq!(out.frame[14..], to_me[14..]);
        assert!(m.crossed(IpAddr::V6(a), IpAddr::V6(b)));
        assert!(!m.crossed(IpAddr::V6(b), IpAddr::V6(a)));
    }

    #[test]
    fn frames_for_us_or_nowhere_or_on_a_non_relaying_nic_are_not_relayed() {
        let (a, b) = (ip("2001:db8::10"), ip("2001:db8::20"));
        let mut m = Mitm::on(A, None);
        let f = echo(VICTIM, ME, a, b);
        let view = parse_frame(&f).expect("parses");
        assert!(m.relay(&f, &view, A, mac_of, |ip| ip == IpAddr::V6(b)).is_none());
        assert!(m.relay(&f, &view, A, mac_of, |_| false).is_none());
        assert_eq!(m.unrelayable, 1);
        // Sent to NIC B's MAC, which does not relay (`mitm: drop` there).
        let f = echo(VICTIM, ME_B, a, b);
        assert!(m
            .relay(&f, &parse_frame(&f).expect("parses"), B, mac_of, |_| false)
            .is_none());
        assert_eq!(m.unrelayable, 1, "not counted: NIC B drops on purpose");
        assert!(m.flows().is_empty());
    }

    #[test]
    fn a_destination_seen_only_on_the_other_segment_is_bridged_there_else_the_gateway() {
        let (victim, server, internet) = (ip("2001:db8:a::10"), ip("2001:db8:b::20"), ip("2001:db8:ff::1"));
        let mut m = Mitm::on(A, Some(GW_A));
        // The server talks on segment B: learned there. Before B relays, nothing crosses to it.
        let hello = echo(PEER, MacAddr([0x33, 0x33, 0, 0, 0, 1]), server, ip("ff02::1"));
        m.learn(&parse_frame(&hello).expect("parses"), B, ours);
        let to_me = echo(VICTIM, ME, victim, server);
        let view = parse_frame(&to_me).expect("parses");
        let out = m.relay(&to_me, &view, A, mac_of, |_| false).expect("to the gateway");
        assert_eq!((out.ifindex, &out.frame[0..6]), (A, &GW_A.0[..]));
        m.enable(B, None);
        let out = m.relay(&to_me, &view, A, mac_of, |_| false).expect("bridged");
        assert_eq!(out.ifindex, B);
        assert_eq!((&out.frame[0..6], &out.frame[6..12]), (&PEER.0[..], &ME_B.0[..]));
        // Off-link destinations still go to segment A's router.
        let far = echo(VICTIM, ME, victim, internet);
        let out = m
            .relay(&far, &parse_frame(&far).expect("parses"), A, mac_of, |_| false)
            .expect("to the gateway");
        assert_eq!((out.ifindex, out.dst), (A, IpAddr::V6(internet)));
        m.disable(A);
        assert!(!m.relays_on(A) && m.relays_on(B));
    }
}
