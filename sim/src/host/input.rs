//! The receive path: layer-2 filtering, ARP, IPv4 and IPv6 input, local delivery and the ICMP echo service.
//!
//! Order and checks follow the kernel: `__netif_receive_skb` (PACKET_OTHERHOST frames are dropped), `arp_rcv` /
//! `arp_process`, `ip_rcv_core` → `ip_route_input` → `ip_local_deliver` or `ip_forward`, `ipv6_rcv` →
//! `ip6_route_input` → `ip6_input` or `ip6_forward`, `icmpv6_rcv` → `icmpv6_echo_reply` / `ndisc_rcv`.
//! Input uses the weak host model (linux-ipv6.md E11): a unicast packet for any of the host's addresses is
//! accepted on any interface, except link-local destinations, which must belong to the receiving interface.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

use super::neigh::ArpInput;
use super::node::Host;
use super::output::{Icmp4Error, Icmp6Error};
use crate::frame::Frame;
use crate::id::IfIndex;
use crate::node::Ctx;
use crate::trace::{DropReason, TraceEvent};
use crate::transport::glue::TcpDemux;
use crate::wire::{
    ArpOperation, ArpRepr, FrameView, Icmpv4Packet, Icmpv4Repr, Icmpv4Unreachable, Icmpv6Packet, Icmpv6Repr,
    Icmpv6Unreachable, Ipv4View, Ipv6View, L3View, L4View, MacAddr,
};

/// A host's NIC multicast filters for solicited-node groups (see [`Host::mc_filter_drops`]), valid for the table
/// stamps it was taken at. Inline and small (one cache line of entries); a host with more interface/address
/// pairs than fit is not covered (`overflow`) and takes the table walk.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct McFilter {
    stamps: Option<[super::version::Version; 3]>,
    len: u8,
    overflow: bool,
    /// (ifindex, low 24 bits of an address) pairs, or (ifindex, MARKER) for an interface the filter covers.
    entries: [(u32, u32); 8],
}

impl McFilter {
    /// Not a 24-bit value: marks an interface as covered even without addresses.
    const MARKER: u32 = u32::MAX;

    fn push(&mut self, ifindex: u32, suffix: u32) {
        match self.entries.get_mut(usize::from(self.len)) {
            Some(e) => {
                *e = (ifindex, suffix);
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    /// Whether a frame to the solicited-node MAC with these low 24 bits is dropped on `ifindex`: the interface is
    /// covered and none of its addresses ends in them.
    fn drops(&self, ifindex: u32, suffix: u32) -> bool {
        if self.overflow {
            return false;
        }
        let entries = &self.entries[..usize::from(self.len)];
        let covered = entries.iter().any(|&(i, s)| i == ifindex && s == Self::MARKER);
        covered && !entries.iter().any(|&(i, s)| i == ifindex && s == suffix)
    }
}

impl Host {
    pub(super) fn drop_packet(&mut self, ctx: &mut Ctx<'_>, reason: DropReason) {
        ctx.trace(|| TraceEvent::Dropped { frame: None, reason });
    }

    /// A frame arrived on `ifindex`.
    pub(super) fn receive(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, frame: &Rc<Frame>) {
        if self.mc_filter_drops(ifindex, frame.bytes()) {
            // Dropped by the NIC's multicast filter: the stack never sees it (no counter but the link's).
            self.counters.l2_dropped += 1;
            return ctx.timers_unchanged();
        }
        let Some(iface) = self.tables.ifaces.get(ifindex) else {
            return;
        };
        if ifindex != IfIndex::LOOPBACK && !iface.admin_up {
            self.counters.l2_dropped += 1;
            return self.drop_packet(ctx, DropReason::LinkDown);
        }
        if ifindex != IfIndex::LOOPBACK && self.filtered_solicited_node(ifindex, frame.bytes()) {
            self.counters.l2_dropped += 1;
            return ctx.timers_unchanged();
        }
        let ours = MacAddr(iface.mac);
        let view = match frame.view() {
            Ok(v) => v,
            Err(_) => {
                self.counters.l2_dropped += 1;
                return self.drop_packet(ctx, DropReason::RuntFrame);
            }
        };
        // No VLAN sub-interfaces: a tagged frame is not for us (Linux drops it without a matching vlan device).
        let for_us = ifindex == IfIndex::LOOPBACK || view.dst == ours || view.dst.is_multicast();
        if !for_us || view.vlan.is_some() {
            self.counters.l2_dropped += 1;
            ctx.timers_unchanged();
            return self.drop_packet(ctx, DropReason::OtherHost);
        }
        match view.l3 {
            L3View::Arp(arp) => self.arp_input(ctx, ifindex, &view, arp),
            L3View::Ipv4(ip) => self.ipv4_input(ctx, ifindex, frame, &view, ip),
            L3View::Ipv6(ip) => self.ipv6_input(ctx, ifindex, frame, &view, ip),
            L3View::Malformed(_) => {
                self.counters.ip_in_hdr_errors += 1;
                self.drop_packet(ctx, DropReason::Malformed);
            }
            L3View::Other => self.counters.l2_dropped += 1,
        }
    }

    /// The NIC's multicast filter for solicited-node groups: an IPv6 frame to 33:33:ff:XX:XX:XX passes only if the
    /// interface joined a solicited-node group with those low 24 bits, i.e. has an address (tentative ones
    /// included) ending in them (RFC 4861 §7.2.1, RFC 2464 §7; Linux programs the joined groups' MACs into the
    /// device's list with dev_mc_add from igmp6_group_added, and the hardware drops the rest before the stack
    /// runs). Checked on the raw bytes, so a segment-wide DAD/RS storm costs each other host one address scan.
    /// Only for interfaces with IPv6 on, so every other drop keeps its own reason.
    fn filtered_solicited_node(&self, ifindex: IfIndex, bytes: &[u8]) -> bool {
        let (Some(dst), Some(ethertype)) = (bytes.get(0..6), bytes.get(12..14)) else {
            return false;
        };
        if dst[..3] != [0x33, 0x33, 0xff] || ethertype != [0x86, 0xdd] || !self.ipv6_enabled(ifindex) {
            return false;
        }
        !self.tables.addrs.on(ifindex, true).any(|a| match a.addr {
            IpAddr::V6(x) => x.octets()[13..] == dst[3..],
            IpAddr::V4(_) => false,
        })
    }

    /// [`Host::filtered_solicited_node`] answered from [`McFilter`], a snapshot of the joined solicited-node
    /// groups of every interface that is up with IPv6 on, kept inline in the host: during a segment-wide DAD or RS
    /// storm every host sees every probe, and the snapshot spares each of them the walk through its interface,
    /// sysctl and address tables. False (not decided here) when the snapshot does not cover the interface.
    fn mc_filter_drops(&self, ifindex: IfIndex, bytes: &[u8]) -> bool {
        let (Some(dst), Some(ethertype)) = (bytes.get(0..6), bytes.get(12..14)) else {
            return false;
        };
        if dst[..3] != [0x33, 0x33, 0xff] || ethertype != [0x86, 0xdd] {
            return false;
        }
        let stamps = [
            self.tables.addrs.version(),
            self.tables.ifaces.version(),
            self.tables.sysctl.version(),
        ];
        let mut f = self.mc_filter.get();
        if f.stamps != Some(stamps) {
            f = self.mc_filter_snapshot(stamps);
            self.mc_filter.set(f);
        }
        let suffix = u32::from_be_bytes([0, dst[3], dst[4], dst[5]]);
        f.drops(ifindex.0, suffix)
    }

    /// The groups [`McFilter`] holds: per interface that is up, not `lo`, with IPv6 on, a marker and the low 24
    /// bits of each of its IPv6 addresses (as [`Host::filtered_solicited_node`] reads them).
    fn mc_filter_snapshot(&self, stamps: [super::version::Version; 3]) -> McFilter {
        let mut f = McFilter {
            stamps: Some(stamps),
            ..McFilter::default()
        };
        for i in self.tables.ifaces.iter() {
            let ix = i.ifindex;
            if ix == IfIndex::LOOPBACK || !i.admin_up || !self.ipv6_enabled(ix) {
                continue;
            }
            f.push(ix.0, McFilter::MARKER);
            for a in self.tables.addrs.on(ix, true) {
                if let IpAddr::V6(x) = a.addr {
                    let o = x.octets();
                    f.push(ix.0, u32::from_be_bytes([0, o[13], o[14], o[15]]));
                }
            }
        }
        f
    }

    /// `arp_process` (net/ipv4/arp.c): answer requests for any local address (arp_ignore = 0), learn from
    /// requests for us and from replies, ignore probes from 0.0.0.0 and bogus senders.
    fn arp_input(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, view: &FrameView<'_>, arp: ArpRepr) {
        let sip = arp.sender_ip;
        if sip.is_multicast() || sip.is_loopback() || sip.is_broadcast() {
            return self.drop_packet(ctx, DropReason::Malformed);
        }
        let ours = MacAddr(self.tables.ifaces.get(ifindex).map_or([0; 6], |i| i.mac));
        let target_local = self.is_local_v4(arp.target_ip, ifindex);
        let arp_ignore = self.tables.sysctl.arp_ignore(ifindex);
        // arp_ignore 1: reply only if the target address is configured on the receiving interface.
        let answer =
            target_local && (arp_ignore == 0 || self.tables.addrs.get(ifindex, IpAddr::V4(arp.target_ip)).is_some());
        let is_request = arp.operation == ArpOperation::Request;
        if sip.is_unspecified() {
            // RFC 5227 probe: answer it (so the prober sees the conflict) but learn nothing.
            if is_request && answer {
                self.send_arp_reply(ctx, ifindex, arp, ours);
            }
            return;
        }
        let input = ArpInput {
            sender_ip: IpAddr::V4(sip),
            sender_mac: arp.sender_mac,
            request_for_us: is_request && answer,
            is_reply: arp.operation == ArpOperation::Reply,
            unicast_to_us: view.dst == ours,
            is_garp: sip == arp.target_ip,
            arp_accept: self.tables.sysctl.v4(ifindex).arp_accept != 0,
        };
        let mut out = std::mem::take(&mut self.neigh_out);
        self.neigh.recv_arp(ctx.now, ifindex, input, &mut out);
        self.apply_neigh(ctx, &mut out);
        self.neigh_out = out;
        if is_request && answer {
            self.send_arp_reply(ctx, ifindex, arp, ours);
        }
    }

    /// True if `addr` is one of our IPv4 addresses (any interface: the weak host model) or a broadcast of `ifindex`.
    pub(super) fn is_local_v4(&self, addr: Ipv4Addr, _ifindex: IfIndex) -> bool {
        self.tables.addrs.find_local(IpAddr::V4(addr)).is_some()
    }

    fn is_broadcast_v4(&self, addr: Ipv4Addr, ifindex: IfIndex) -> bool {
        addr.is_broadcast() || self.tables.addrs.on(ifindex, false).any(|a| a.broadcast == Some(addr))
    }

    /// `ip_rcv` → route input: local delivery, forwarding (if this interface forwards), or a drop.
    fn ipv4_input(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        frame: &Rc<Frame>,
        view: &FrameView<'_>,
        ip: Ipv4View,
    ) {
        self.counters.ip_in_receives += 1;
        let dst = ip.repr.dst;
        let local = self.is_local_v4(dst, ifindex)
            || self.is_broadcast_v4(dst, ifindex)
            || dst == Ipv4Addr::new(224, 0, 0, 1)
            || ifindex == IfIndex::LOOPBACK && dst.is_loopback();
        if !local {
            if ip.repr.src.is_multicast() || dst.is_multicast() {
                self.counters.ip_in_addr_errors += 1;
                return self.drop_packet(ctx, DropReason::NotForwarding);
            }
            return self.forward_v4(ctx, ifindex, frame, view, ip);
        }
        if ip.repr.frag_offset != 0 || ip.repr.more_frags {
            // No reassembly: a fragmented datagram never reaches a socket here (documented limitation).
            self.counters.ip_in_hdr_errors += 1;
            return self.drop_packet(ctx, DropReason::Malformed);
        }
        self.counters.ip_in_delivers += 1;
        let l3 = view.l3_bytes();
        match ip.l4 {
            L4View::Icmpv4 { .. } => self.icmpv4_input(ctx, ifindex, view, ip),
            L4View::Tcp { .. } => {
                if !(self.is_broadcast_v4(dst, ifindex) || dst.is_multicast()) {
                    let src = IpAddr::V4(ip.repr.src);
                    if self.tcp_input(ctx, ifindex, src, IpAddr::V4(dst), view.l4_bytes()) == TcpDemux::Reset {
                        self.counters.no_listener += 1;
                    }
                }
            }
            L4View::Udp { .. } if self.udp_input(ctx, IpAddr::V4(ip.repr.src), IpAddr::V4(dst), view.l4_bytes()) => {}
            L4View::Udp { .. } => {
                self.counters.no_listener += 1;
                if !self.is_broadcast_v4(dst, ifindex) && !dst.is_multicast() {
                    let err = Icmp4Error::Unreachable(Icmpv4Unreachable::PortUnreachable, 0);
                    self.send_icmp4_error(ctx, ifindex, l3, err);
                }
            }
            L4View::Malformed(_) => {
                self.counters.icmp_in_csum_errors += 1;
                self.drop_packet(ctx, DropReason::Malformed);
            }
            _ => {
                self.counters.no_listener += 1;
                self.drop_packet(ctx, DropReason::NoListener);
            }
        }
    }

    fn icmpv4_input(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, view: &FrameView<'_>, ip: Ipv4View) {
        let l4 = view.l4_bytes();
        let Ok(packet) = Icmpv4Packet::new_checked(l4) else {
            return self.drop_packet(ctx, DropReason::Malformed);
        };
        let Ok(repr) = Icmpv4Repr::decode(&packet) else {
            return self.drop_packet(ctx, DropReason::NoListener);
        };
        let (src, dst) = (ip.repr.src, ip.repr.dst);
        match repr {
            Icmpv4Repr::EchoRequest { ident, seq_no, data } => {
                // icmp_echo: broadcasts are ignored by default (icmp_echo_ignore_broadcasts = 1).
                if self.is_broadcast_v4(dst, ifindex) || dst.is_multicast() {
                    return;
                }
                let reply = Icmpv4Repr::EchoReply { ident, seq_no, data };
                self.send_icmp4(ctx, Some(dst), src, None, reply);
            }
            Icmpv4Repr::EchoReply { ident, seq_no, .. } => {
                self.ping_reply(ctx, ident, seq_no, IpAddr::V4(src), ip.repr.ttl);
            }
            Icmpv4Repr::DstUnreachable {
                code,
                next_hop_mtu,
                invoking,
            } => {
                self.icmp_err_to_socket(ctx, false, 3, u8::from(code), u32::from(next_hop_mtu), invoking);
                let error = match code {
                    Icmpv4Unreachable::HostUnreachable => crate::app::ping::PingError::AddressUnreachable,
                    c => crate::app::ping::PingError::DestinationUnreachable {
                        from: IpAddr::V4(src),
                        code: u8::from(c),
                    },
                };
                self.ping_error_from_quote(ctx, invoking, error);
            }
            Icmpv4Repr::TimeExceeded { code, invoking } => {
                self.icmp_err_to_socket(ctx, false, 11, u8::from(code), 0, invoking);
                let error = crate::app::ping::PingError::TimeExceeded { from: IpAddr::V4(src) };
                self.ping_error_from_quote(ctx, invoking, error);
            }
        }
    }

    /// Is `dst` for this host, as received on `ifindex`? Multicast: a group the interface joined; link-local:
    /// an address of this interface; other unicast: any usable address (weak host, E11). Tentative addresses
    /// receive nothing but ND (RFC 4862 §5.4).
    pub(super) fn is_local_v6(&self, dst: Ipv6Addr, ifindex: IfIndex) -> bool {
        if dst.is_multicast() {
            return self.joined_v6(dst, ifindex);
        }
        if ifindex == IfIndex::LOOPBACK && dst.is_loopback() {
            return true;
        }
        if dst.is_unicast_link_local() {
            return self
                .tables
                .addrs
                .get(ifindex, IpAddr::V6(dst))
                .is_some_and(|a| a.is_usable());
        }
        self.tables.addrs.find_local(IpAddr::V6(dst)).is_some()
    }

    /// Multicast groups an interface listens to: all-nodes (and interface-local all-nodes), all-routers while
    /// forwarding (A5, `dev_forward_change`), and the solicited-node group of each of its addresses, tentative
    /// ones included (joined before DAD, RFC 4862 §5.4.2).
    pub(super) fn joined_v6(&self, group: Ipv6Addr, ifindex: IfIndex) -> bool {
        let s = group.segments();
        match s {
            [0xff02 | 0xff01, 0, 0, 0, 0, 0, 0, 1] => true,
            [0xff02, 0, 0, 0, 0, 0, 0, 2] => self.tables.sysctl.v6(ifindex).forwarding != 0,
            [0xff02, 0, 0, 0, 0, 1, hi, lo] if hi >> 8 == 0xff => {
                self.tables.addrs.on(ifindex, true).any(|a| match a.addr {
                    IpAddr::V6(x) => {
                        let o = x.octets();
                        o[13] == (hi & 0xff) as u8 && o[14] == (lo >> 8) as u8 && o[15] == lo as u8
                    }
                    IpAddr::V4(_) => false,
                })
            }
            _ => false,
        }
    }

    /// `ipv6_rcv` and `ip6_rcv_finish`.
    fn ipv6_input(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        frame: &Rc<Frame>,
        view: &FrameView<'_>,
        ip: Ipv6View,
    ) {
        if !self.ipv6_enabled(ifindex) {
            return self.drop_packet(ctx, DropReason::Ipv6Disabled);
        }
        self.counters.ip_in_receives += 1;
        let (src, dst) = (ip.repr.src, ip.repr.dst);
        // ipv6_rcv: a multicast source, or a loopback address from the wire, is an address error.
        if src.is_multicast() || (ifindex != IfIndex::LOOPBACK && (src.is_loopback() || dst.is_loopback())) {
            self.counters.ip_in_addr_errors += 1;
            return self.drop_packet(ctx, DropReason::Malformed);
        }
        if !self.is_local_v6(dst, ifindex) {
            // ND for our tentative addresses arrives here: deliver it so DAD can see it.
            let dad_target = matches!(
                ip.l4,
                L4View::Icmpv6 {
                    msg_type: 135 | 136,
                    ..
                }
            ) && self.tables.addrs.get(ifindex, IpAddr::V6(dst)).is_some();
            if !dad_target {
                if dst.is_multicast() {
                    // A group this interface did not join (another host's solicited-node, all-routers on a host).
                    self.counters.l2_dropped += 1;
                    return ctx.timers_unchanged();
                }
                return self.forward_v6(ctx, ifindex, frame, view, ip);
            }
        }
        self.counters.ip_in_delivers += 1;
        match ip.l4 {
            L4View::Icmpv6 { .. } => self.icmpv6_input(ctx, ifindex, view, ip),
            L4View::Tcp { .. } => {
                if !dst.is_multicast()
                    && self.tcp_input(ctx, ifindex, IpAddr::V6(src), IpAddr::V6(dst), view.l4_bytes())
                        == TcpDemux::Reset
                {
                    self.counters.no_listener += 1;
                }
            }
            L4View::Udp { .. } if self.udp_input(ctx, IpAddr::V6(src), IpAddr::V6(dst), view.l4_bytes()) => {}
            L4View::Udp { .. } => {
                self.counters.no_listener += 1;
                if !dst.is_multicast() {
                    let err = Icmp6Error::Unreachable(Icmpv6Unreachable::PortUnreachable);
                    self.send_icmp6_error(ctx, ifindex, view.l3_bytes(), err);
                }
            }
            L4View::Malformed(_) => {
                self.counters.icmp_in_csum_errors += 1;
                self.drop_packet(ctx, DropReason::Malformed);
            }
            _ => {
                self.counters.no_listener += 1;
                self.drop_packet(ctx, DropReason::NoListener);
            }
        }
    }

    /// `icmpv6_rcv`: echo service, echo replies and errors for `ping`, and Neighbour Discovery.
    fn icmpv6_input(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, view: &FrameView<'_>, ip: Ipv6View) {
        let Ok(packet) = Icmpv6Packet::new_checked(view.l4_bytes()) else {
            return self.drop_packet(ctx, DropReason::Malformed);
        };
        let repr = match Icmpv6Repr::decode(&packet) {
            Ok(r) => r,
            Err(_) => {
                // ndisc_rcv drops malformed ND (bad option length, short body, code ≠ 0); other types are ignored.
                if (133..=137).contains(&packet.msg_type()) {
                    self.counters.ndisc_dropped += 1;
                }
                return self.drop_packet(ctx, DropReason::Malformed);
            }
        };
        let (src, dst) = (ip.repr.src, ip.repr.dst);
        match repr {
            Icmpv6Repr::EchoRequest { ident, seq_no, data } => {
                // icmpv6_echo_reply: the reply's source is the request's destination when that was unicast;
                // multicast requests are answered from a selected source (echo_ignore_multicast = 0).
                let reply_src = (!dst.is_multicast()).then_some(dst);
                let oif = (dst.is_multicast() || src.is_unicast_link_local()).then_some(ifindex);
                let reply = Icmpv6Repr::EchoReply { ident, seq_no, data };
                let _ = self.send_icmp6(ctx, reply_src, src, oif, reply);
            }
            Icmpv6Repr::EchoReply { ident, seq_no, .. } => {
                self.ping_reply(ctx, ident, seq_no, IpAddr::V6(src), ip.repr.hop_limit);
            }
            Icmpv6Repr::DstUnreachable { code, invoking } => {
                self.icmp_err_to_socket(ctx, true, 1, u8::from(code), 0, invoking);
                let error = match code {
                    Icmpv6Unreachable::AddressUnreachable => crate::app::ping::PingError::AddressUnreachable,
                    c => crate::app::ping::PingError::DestinationUnreachable {
                        from: IpAddr::V6(src),
                        code: u8::from(c),
                    },
                };
                self.ping_error_from_quote(ctx, invoking, error);
            }
            Icmpv6Repr::TimeExceeded { code, invoking } => {
                self.icmp_err_to_socket(ctx, true, 3, u8::from(code), 0, invoking);
                let error = crate::app::ping::PingError::TimeExceeded { from: IpAddr::V6(src) };
                self.ping_error_from_quote(ctx, invoking, error);
            }
            Icmpv6Repr::PacketTooBig { mtu, invoking } => {
                self.icmp_err_to_socket(ctx, true, 2, 0, mtu, invoking);
                let error = crate::app::ping::PingError::PacketTooBig {
                    from: IpAddr::V6(src),
                    mtu,
                };
                self.ping_error_from_quote(ctx, invoking, error);
            }
            Icmpv6Repr::ParamProblem { .. } => {}
            Icmpv6Repr::Ndisc(nd) => self.ndisc_input(ctx, ifindex, view, ip, nd),
        }
    }

    fn ping_reply(&mut self, ctx: &mut Ctx<'_>, ident: u16, seq: u16, from: IpAddr, ttl: u8) {
        if let Some(p) = self
            .pings
            .iter_mut()
            .find(|p| p.ident == ident && p.config.dst.is_ipv4() == from.is_ipv4())
        {
            p.on_reply(ctx.now, seq, from, ttl);
        }
    }

    /// An ICMP error quoting one of our echo requests: the identifier and sequence sit at the quoted ICMP header.
    pub(super) fn ping_error_from_quote(
        &mut self,
        ctx: &mut Ctx<'_>,
        invoking: &[u8],
        error: crate::app::ping::PingError,
    ) {
        let (ident, seq) = match invoking.first().map(|b| b >> 4) {
            Some(6) if invoking.len() >= 48 && invoking[6] == 58 && invoking[40] == 128 => (
                u16::from_be_bytes([invoking[44], invoking[45]]),
                u16::from_be_bytes([invoking[46], invoking[47]]),
            ),
            Some(4) => {
                let ihl = usize::from(invoking[0] & 0x0f) * 4;
                match invoking.get(ihl..ihl + 8) {
                    Some(icmp) if invoking.get(9) == Some(&1) && icmp[0] == 8 => (
                        u16::from_be_bytes([icmp[4], icmp[5]]),
                        u16::from_be_bytes([icmp[6], icmp[7]]),
                    ),
                    _ => return,
                }
            }
            _ => return,
        };
        if let Some(p) = self.pings.iter_mut().find(|p| p.ident == ident) {
            p.on_error(ctx.now, seq, error);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;

    use crate::engine::{Sim, SimConfig};
    use crate::frame::Frame;
    use crate::node::Node;
    use crate::segment::{PortConfig, Segment};
    use crate::time::Instant;
    use crate::wire::build::{ipv6_frame, Ipv6Params, Upper, L2};
    use crate::wire::ipv6::solicited_node;
    use crate::wire::{Icmpv6Repr, MacAddr, NdOptions, NdiscRepr};

    /// A DAD probe for `target` from another host, to `target`'s solicited-node group.
    fn dad_ns(target: Ipv6Addr) -> Vec<u8> {
        let group = solicited_node(target);
        let l2 = L2 {
            src: MacAddr([2, 0, 0, 0, 0, 9]),
            dst: MacAddr::from_ipv6_multicast(group),
            vlan: None,
        };
        let ns = NdiscRepr::NeighborSolicit {
            target,
            options: NdOptions::NONE,
        };
        let ip = Ipv6Params::new(Ipv6Addr::UNSPECIFIED, group, 255);
        ipv6_frame(l2, &ip, &Upper::Icmpv6(Icmpv6Repr::Ndisc(ns))).unwrap()
    }

    #[test]
    fn solicited_node_frames_for_groups_not_joined_stop_at_the_nic_filter() {
        let mut sim = Sim::new(SimConfig::default());
        let seg = sim.add_segment(Segment::new("lan", None));
        let h = sim.add_host("h");
        let mac = MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
        let eth0 = sim.add_nic(h, "eth0", mac, seg, PortConfig::default()).unwrap();
        sim.run_until(Instant::from_secs(3));
        let deliver = |sim: &mut Sim, bytes: Vec<u8>| {
            let f = Frame::new(bytes);
            sim.with_host(h, |host, ctx| host.handle_frame(ctx, eth0, &f));
            sim.host(h).map(|x| x.counters).unwrap()
        };
        let before = sim.host(h).map(|x| x.counters).unwrap();
        // Another host's group (…:ff00:0001): dropped by the filter, the IPv6 layer never counts it.
        let other = deliver(&mut sim, dad_ns("fe80::200:ff:fe00:1".parse().unwrap()));
        assert_eq!(other.l2_dropped, before.l2_dropped + 1);
        assert_eq!(other.ip_in_receives, before.ip_in_receives);
        // Our own link-local's group (…:ff12:3456) passes: the probe reaches ND (and our address is defended).
        let ours = deliver(&mut sim, dad_ns("fe80::5054:ff:fe12:3456".parse().unwrap()));
        assert_eq!(ours.l2_dropped, other.l2_dropped);
        assert_eq!(ours.ip_in_receives, other.ip_in_receives + 1);
        // A new address joins its group at once (the filter snapshot follows the address table).
        let extra = crate::host::addr::Addr::new(eth0, "2001:db8::200:ff:fe00:1".parse().unwrap(), 64);
        sim.with_host(h, |host, ctx| host.add_address(ctx, extra))
            .unwrap()
            .unwrap();
        let joined = deliver(&mut sim, dad_ns("fe80::200:ff:fe00:1".parse().unwrap()));
        assert_eq!(
            joined.l2_dropped, ours.l2_dropped,
            "same low 24 bits: the group is joined now"
        );
        assert_eq!(joined.ip_in_receives, ours.ip_in_receives + 1);
        // An interface that is down is not filtered here: the frame is dropped as link-down, as before.
        sim.with_host(h, |host, ctx| host.set_link(ctx, eth0, false))
            .unwrap()
            .unwrap();
        let down = deliver(&mut sim, dad_ns("fe80::200:ff:fe99:1".parse().unwrap()));
        assert_eq!(down.l2_dropped, joined.l2_dropped + 1);
        assert_eq!(down.ip_in_receives, joined.ip_in_receives);
    }

    #[test]
    fn the_filter_snapshot_drops_only_covered_interfaces_without_the_group() {
        let mut f = super::McFilter::default();
        f.push(2, super::McFilter::MARKER);
        f.push(2, 0x12_3456);
        assert!(!f.drops(2, 0x12_3456));
        assert!(f.drops(2, 0x00_0001));
        assert!(!f.drops(3, 0x00_0001), "interface 3 is not covered");
        for i in 0..10 {
            f.push(4, i);
        }
        assert!(!f.drops(2, 0x00_0001), "an overflowing snapshot decides nothing");
    }
}
