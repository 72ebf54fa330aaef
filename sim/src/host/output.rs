//! The send path: route lookup, source selection, frame building, neighbour resolution, and ICMP errors with
//! Linux's rules and rate limit.
//!
//! A packet is built once as a whole Ethernet frame whose destination MAC is left zero; multicast frames get the
//! group MAC at once, unicast frames wait in the neighbour cache if needed and are patched when the next hop
//! resolves (`neigh_resolve_output`). Locally addressed packets go through the loopback queue.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::lookup::{LookupError, RouteQuery};
use super::neigh::{NeighAction, Probe, Resolution};
use super::node::{Host, PendingFrame};
use super::route::RouteType;
use super::route_cache::OutputRoute;
use crate::app::ping::PingError;
use crate::frame::Frame;
use crate::id::IfIndex;
use crate::node::Ctx;
use crate::trace::{DropReason, TraceEvent};
use crate::wire::build::{append_arp, append_ipv4, append_ipv6, Ipv4Params, Ipv6Params, Upper, L2};
use crate::wire::{
    ArpOperation, ArpRepr, Icmpv4Repr, Icmpv4TimeExceeded, Icmpv4Unreachable, Icmpv6Repr, Icmpv6TimeExceeded,
    Icmpv6Unreachable, MacAddr,
};

/// An ICMPv6 error to send (RFC 4443 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmp6Error {
    /// Destination Unreachable with a code.
    Unreachable(Icmpv6Unreachable),
    /// Packet Too Big with the next-hop MTU.
    PacketTooBig(u32),
    /// Time Exceeded with a code.
    TimeExceeded(Icmpv6TimeExceeded),
}

/// An ICMPv4 error to send (RFC 792).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmp4Error {
    /// Destination Unreachable with a code and, for fragmentation needed, the next-hop MTU.
    Unreachable(Icmpv4Unreachable, u16),
    /// Time Exceeded with a code.
    TimeExceeded(Icmpv4TimeExceeded),
}

/// Per-destination token bucket of `inet_peer_xrlim_allow`: one error per `ratelimit` (1 s), bursts of 6.
const XRLIM_BURST_FACTOR: u64 = 6;
const ICMP_RATELIMIT_NS: u64 = 1_000_000_000;

/// Zero echo data for pings up to the largest ICMP payload an IPv4 or IPv6 packet carries (in .bss: it costs
/// memory only where read).
static ZEROS: [u8; 65_535] = [0; 65_535];

/// Where a resolved packet goes.
fn patch_dst(frame: &mut [u8], mac: MacAddr) {
    if let Some(d) = frame.get_mut(0..6) {
        d.copy_from_slice(&mac.0);
    }
}

impl Host {
    /// Hands a built frame to the next hop: multicast at once, unicast through the neighbour cache. `l4_trusted`:
    /// the transport checksum was computed by this stack (or carried by a trusted frame it forwards), so receivers
    /// need not verify it again ([`Frame::l4_trusted`]); frames released later from the neighbour queue are sent
    /// untrusted, which only costs their receivers a verification.
    pub(super) fn transmit(
        &mut self,
        ctx: &mut Ctx<'_>,
        dev: IfIndex,
        next_hop: IpAddr,
        mut frame: PendingFrame,
        l4_trusted: bool,
    ) {
        if dev == IfIndex::LOOPBACK {
            self.loopback.push(Frame::copied(&frame, l4_trusted));
            return self.recycle_tx(frame);
        }
        let group = match next_hop {
            IpAddr::V6(a) if a.is_multicast() => Some(MacAddr::from_ipv6_multicast(a)),
            IpAddr::V4(a) if a.is_multicast() => Some(MacAddr::from_ipv4_multicast(a)),
            IpAddr::V4(a) if a.is_broadcast() || self.is_broadcast_on(dev, a) => Some(MacAddr::BROADCAST),
            _ => None,
        };
        if let Some(mac) = group {
            patch_dst(&mut frame, mac);
            ctx.send_shared(dev, Frame::copied(&frame, l4_trusted));
            return self.recycle_tx(frame);
        }
        let mut out = std::mem::take(&mut self.neigh_out);
        let resolution = self.neigh.resolve(ctx.now, dev, next_hop, frame, &mut out);
        if ctx.tracing() {
            let state = self.neigh.get(dev, next_hop).map_or("NONE", |n| n.state.name());
            ctx.trace(|| TraceEvent::Neighbour { dev, next_hop, state });
        }
        match resolution {
            Resolution::Send { lladdr, mut packet } => {
                patch_dst(&mut packet, lladdr);
                ctx.send_shared(dev, Frame::copied(&packet, l4_trusted));
                self.recycle_tx(packet);
            }
            Resolution::Queued => {}
            Resolution::Dropped { .. } => {
                self.counters.neigh_dropped += 1;
                self.drop_packet(ctx, DropReason::NeighbourFailed);
            }
        }
        self.apply_neigh(ctx, &mut out);
        self.neigh_out = out;
    }

    /// A build buffer for the next locally generated or forwarded packet: the one the last sent packet was built
    /// in, so neither path allocates per packet (the frame itself copies the bytes, see [`Frame::from_slice`]).
    pub(super) fn take_tx_buf(&mut self) -> Vec<u8> {
        let mut buf = std::mem::take(&mut self.tx_buf);
        buf.clear();
        buf
    }

    /// Keeps a sent packet's buffer for [`Host::take_tx_buf`] (one at most: the send path builds one at a time).
    fn recycle_tx(&mut self, buf: Vec<u8>) {
        if buf.capacity() > self.tx_buf.capacity() {
            self.tx_buf = buf;
        }
    }

    fn is_broadcast_on(&self, dev: IfIndex, a: Ipv4Addr) -> bool {
        self.tables.addrs.on(dev, false).any(|x| x.broadcast == Some(a))
    }

    /// Carries out neighbour-cache actions: solicitations, released queues, and failures reported as ICMP
    /// "address unreachable" (`ndisc_error_report`, `arp_error_report`).
    pub(super) fn apply_neigh(&mut self, ctx: &mut Ctx<'_>, actions: &mut Vec<NeighAction<PendingFrame>>) {
        // Handling an action may queue more (an ICMP error resolving its own next hop): loop until quiet.
        while !actions.is_empty() {
            let batch = std::mem::take(actions);
            for action in batch {
                match action {
                    NeighAction::Solicit { ifindex, target, probe } => {
                        let unicast = match probe {
                            Probe::Unicast(m) => Some(m),
                            Probe::Multicast => None,
                            Probe::Application => continue,
                        };
                        match target {
                            IpAddr::V6(t) => self.send_solicit_ns(ctx, ifindex, t, unicast),
                            IpAddr::V4(t) => self.send_arp_request(ctx, ifindex, t, unicast),
                        }
                    }
                    NeighAction::Transmit {
                        ifindex,
                        lladdr,
                        packets,
                        ..
                    } => {
                        for mut p in packets {
                            patch_dst(&mut p, lladdr);
                            ctx.send(ifindex, p);
                        }
                    }
                    NeighAction::Unreachable { ifindex, packets, .. } => {
                        for p in packets {
                            self.counters.neigh_dropped += 1;
                            self.drop_packet(ctx, DropReason::NeighbourFailed);
                            self.report_unreachable(ctx, ifindex, &p);
                        }
                    }
                }
            }
            let mut more = std::mem::take(&mut self.neigh_out);
            actions.append(&mut more);
            self.neigh_out = more;
        }
    }

    /// A queued packet whose next hop failed: a local ping learns at once; a forwarded packet's sender gets an ICMP
    /// address-unreachable error.
    fn report_unreachable(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, frame: &[u8]) {
        let Some(l3) = frame.get(14..) else { return };
        let src: Option<IpAddr> = match l3.first().map(|b| b >> 4) {
            Some(6) => l3
                .get(8..24)
                .and_then(|b| <[u8; 16]>::try_from(b).ok())
                .map(|o| IpAddr::V6(Ipv6Addr::from(o))),
            Some(4) => l3
                .get(12..16)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(|o| IpAddr::V4(Ipv4Addr::from(o))),
            _ => None,
        };
        let Some(src) = src else { return };
        if self.tables.addrs.find_local(src).is_some() {
            self.ping_error_from_quote(ctx, l3, PingError::AddressUnreachable);
            return;
        }
        match src {
            IpAddr::V6(_) => {
                let err = Icmp6Error::Unreachable(Icmpv6Unreachable::AddressUnreachable);
                self.send_icmp6_error(ctx, ifindex, l3, err);
            }
            IpAddr::V4(_) => {
                let err = Icmp4Error::Unreachable(Icmpv4Unreachable::HostUnreachable, 0);
                self.send_icmp4_error(ctx, ifindex, l3, err);
            }
        }
    }

    /// Sends an ICMPv6 message from this host (route lookup and source selection unless given).
    pub(super) fn send_icmp6(
        &mut self,
        ctx: &mut Ctx<'_>,
        src: Option<Ipv6Addr>,
        dst: Ipv6Addr,
        oif: Option<IfIndex>,
        msg: Icmpv6Repr<'_>,
    ) -> Result<(), LookupError> {
        self.send_ipv6(ctx, src, dst, oif, None, &Upper::Icmpv6(msg))
    }

    /// The route for a locally generated packet (`ip6_route_output` / `ip_route_output_key`), counted and traced.
    fn output_route(
        &mut self,
        ctx: &mut Ctx<'_>,
        dst: IpAddr,
        src: Option<IpAddr>,
        oif: Option<IfIndex>,
    ) -> Result<OutputRoute, LookupError> {
        let mut q = RouteQuery::to(dst);
        if let Some(s) = src {
            q = q.from(s);
            q.select_src = false;
        }
        if let Some(o) = oif {
            q = q.oif(o);
        }
        match self.route_output(&q) {
            Ok(d) => {
                ctx.trace(|| TraceEvent::Routed {
                    dst,
                    dev: d.dev,
                    via: d.gateway,
                    table: d.table,
                    forwarded: false,
                });
                Ok(d)
            }
            Err(e) => {
                self.counters.ip_out_no_routes += 1;
                self.drop_packet(ctx, DropReason::NoRoute);
                Err(e)
            }
        }
    }

    /// The IPv6 output path (`ip6_route_output` + `ip6_finish_output2`).
    pub fn send_ipv6(
        &mut self,
        ctx: &mut Ctx<'_>,
        src: Option<Ipv6Addr>,
        dst: Ipv6Addr,
        oif: Option<IfIndex>,
        hop_limit: Option<u8>,
        upper: &Upper<'_>,
    ) -> Result<(), LookupError> {
        let (dev, next_hop, chosen_src, mtu) = if dst.is_multicast() {
            // Multicast leaves by the given interface; the source comes from that interface (E2).
            let dev = oif.ok_or(LookupError::NetUnreachable)?;
            let s = src.or_else(|| {
                super::srcsel::select_v6(
                    &self.tables.addrs,
                    &self.tables.ifaces,
                    &self.tables.sysctl,
                    dst,
                    Some(dev),
                    super::srcsel::TempPref::Sysctl,
                )
            });
            let mtu = self.tables.ifaces.get(dev).map_or(1500, |i| i.mtu);
            (dev, IpAddr::V6(dst), s, mtu)
        } else {
            let d = self.output_route(ctx, IpAddr::V6(dst), src.map(IpAddr::V6), oif)?;
            let s = src.or(match d.src {
                Some(IpAddr::V6(s)) => Some(s),
                _ => None,
            });
            let (dev, nh) = if d.kind == RouteType::Local {
                (IfIndex::LOOPBACK, IpAddr::V6(dst))
            } else {
                (d.dev, d.next_hop())
            };
            (dev, nh, s, d.mtu)
        };
        let Some(src) = chosen_src else {
            self.counters.ip_out_no_routes += 1;
            self.drop_packet(ctx, DropReason::NoRoute);
            return Err(LookupError::NetUnreachable);
        };
        let hop_limit = hop_limit.unwrap_or_else(|| {
            if dst.is_multicast() {
                1
            } else {
                u8::try_from(self.tables.sysctl.v6(dev).hop_limit).unwrap_or(64)
            }
        });
        let l2 = L2 {
            src: self.mac(dev),
            dst: MacAddr::UNSPECIFIED,
            vlan: None,
        };
        let params = Ipv6Params::new(src, dst, hop_limit);
        let mut buf = self.take_tx_buf();
        if append_ipv6(&mut buf, l2, &params, upper).is_err() {
            self.recycle_tx(buf);
            return Err(LookupError::Invalid);
        }
        // No fragmentation of our own packets: a too-big local send fails like EMSGSIZE.
        if dev != IfIndex::LOOPBACK && buf.len().saturating_sub(14) > mtu as usize {
            self.recycle_tx(buf);
            self.drop_packet(ctx, DropReason::Policy);
            return Err(LookupError::Invalid);
        }
        self.transmit(ctx, dev, next_hop, buf, true);
        Ok(())
    }

    /// The IPv4 output path (`ip_route_output_key` + `ip_finish_output2`).
    pub fn send_ipv4(
        &mut self,
        ctx: &mut Ctx<'_>,
        src: Option<Ipv4Addr>,
        dst: Ipv4Addr,
        oif: Option<IfIndex>,
        upper: &Upper<'_>,
    ) -> Result<(), LookupError> {
        let d = self.output_route(ctx, IpAddr::V4(dst), src.map(IpAddr::V4), oif)?;
        let s = src.or(match d.src {
            Some(IpAddr::V4(s)) => Some(s),
            _ => None,
        });
        let Some(s) = s else {
            self.counters.ip_out_no_routes += 1;
            return Err(LookupError::NetUnreachable);
        };
        let (dev, nh) = if d.kind == RouteType::Local {
            (IfIndex::LOOPBACK, IpAddr::V4(dst))
        } else {
            (d.dev, d.next_hop())
        };
        let ttl = if dst.is_multicast() { 1 } else { 64 };
        let mut params = Ipv4Params::new(s, dst, ttl);
        params.ident = self.ipv4_ident;
        self.ipv4_ident = self.ipv4_ident.wrapping_add(1);
        let l2 = L2 {
            src: self.mac(dev),
            dst: MacAddr::UNSPECIFIED,
            vlan: None,
        };
        let mut buf = self.take_tx_buf();
        if append_ipv4(&mut buf, l2, &params, upper).is_err() {
            self.recycle_tx(buf);
            return Err(LookupError::Invalid);
        }
        self.transmit(ctx, dev, nh, buf, true);
        Ok(())
    }

    pub(super) fn send_icmp4(
        &mut self,
        ctx: &mut Ctx<'_>,
        src: Option<Ipv4Addr>,
        dst: Ipv4Addr,
        oif: Option<IfIndex>,
        msg: Icmpv4Repr<'_>,
    ) {
        let _ = self.send_ipv4(ctx, src, dst, oif, &Upper::Icmpv4(msg));
    }

    /// Sends echo request `seq` of ping run `i`; a local routing failure is recorded as the run's error.
    pub(super) fn send_ping(&mut self, ctx: &mut Ctx<'_>, i: usize, seq: u16) {
        let Some(p) = self.pings.get(i) else { return };
        let (dst, src, oif, ident) = (p.config.dst, p.config.src, p.config.oif, p.ident);
        // The echo data is zeros; a static slice spares an allocation per request.
        let owned;
        let payload: &[u8] = match ZEROS.get(..p.config.size) {
            Some(z) => z,
            None => {
                owned = vec![0u8; p.config.size];
                &owned
            }
        };
        let result = match dst {
            IpAddr::V6(d) => {
                let s = match src {
                    Some(IpAddr::V6(s)) => Some(s),
                    _ => None,
                };
                let msg = Icmpv6Repr::EchoRequest {
                    ident,
                    seq_no: seq,
                    data: payload,
                };
                self.send_ipv6(ctx, s, d, oif, None, &Upper::Icmpv6(msg))
            }
            IpAddr::V4(d) => {
                let s = match src {
                    Some(IpAddr::V4(s)) => Some(s),
                    _ => None,
                };
                let msg = Icmpv4Repr::EchoRequest {
                    ident,
                    seq_no: seq,
                    data: payload,
                };
                self.send_ipv4(ctx, s, d, oif, &Upper::Icmpv4(msg))
            }
        };
        if result.is_err() {
            if let Some(p) = self.pings.get_mut(i) {
                p.on_error(ctx.now, seq, PingError::NetworkUnreachable);
            }
        }
    }

    /// `inet_peer_xrlim_allow`: a token bucket per destination, 1 s per error, bursts of 6.
    pub(super) fn icmp_rate_allows(&mut self, now: crate::time::Instant, dst: IpAddr) -> bool {
        let cap = XRLIM_BURST_FACTOR * ICMP_RATELIMIT_NS;
        let entry = self.icmp_peers.entry(dst).or_insert((cap, now));
        let elapsed = now.saturating_since(entry.1).as_nanos() as u64;
        entry.0 = (entry.0 + elapsed).min(cap);
        entry.1 = now;
        if entry.0 >= ICMP_RATELIMIT_NS {
            entry.0 -= ICMP_RATELIMIT_NS;
            true
        } else {
            false
        }
    }

    /// `icmp6_send` for an error about `invoking` (its IPv6 packet bytes), received on `iif`. Never about an error
    /// or a packet from :: or a multicast source; multicast destinations only for Packet Too Big (RFC 4443 §2.4e).
    pub(super) fn send_icmp6_error(&mut self, ctx: &mut Ctx<'_>, iif: IfIndex, invoking: &[u8], err: Icmp6Error) {
        let (Some(src), Some(dst)) = (
            invoking
                .get(8..24)
                .and_then(|b| <[u8; 16]>::try_from(b).ok())
                .map(Ipv6Addr::from),
            invoking
                .get(24..40)
                .and_then(|b| <[u8; 16]>::try_from(b).ok())
                .map(Ipv6Addr::from),
        ) else {
            return;
        };
        if src.is_unspecified() || src.is_multicast() {
            return;
        }
        if dst.is_multicast() && !matches!(err, Icmp6Error::PacketTooBig(_)) {
            return;
        }
        // Never an error about an ICMPv6 error (the quoted next header 58 with a type below 128).
        if invoking.get(6) == Some(&58) && invoking.get(40).is_some_and(|t| *t < 128) {
            return;
        }
        if !self.icmp_rate_allows(ctx.now, IpAddr::V6(src)) {
            return;
        }
        // The error's source: the offending packet's destination when it is ours, else selected (icmp6_send).
        let from = self.tables.addrs.find_local(IpAddr::V6(dst)).map(|_| dst);
        let msg = match err {
            Icmp6Error::Unreachable(code) => Icmpv6Repr::DstUnreachable { code, invoking },
            Icmp6Error::PacketTooBig(mtu) => Icmpv6Repr::PacketTooBig { mtu, invoking },
            Icmp6Error::TimeExceeded(code) => Icmpv6Repr::TimeExceeded { code, invoking },
        };
        let oif = (src.is_unicast_link_local()).then_some(iif);
        self.counters.icmp_out_errors += 1;
        let _ = self.send_ipv6(ctx, from, src, oif, None, &Upper::Icmpv6(msg));
    }

    /// `__icmp_send` for an error about `invoking` (its IPv4 datagram bytes). Never about ICMP errors, fragments
    /// other than the first, or broadcast/multicast datagrams (RFC 1122 §3.2.2).
    pub(super) fn send_icmp4_error(&mut self, ctx: &mut Ctx<'_>, iif: IfIndex, invoking: &[u8], err: Icmp4Error) {
        let (Some(src), Some(dst)) = (
            invoking
                .get(12..16)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(Ipv4Addr::from),
            invoking
                .get(16..20)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(Ipv4Addr::from),
        ) else {
            return;
        };
        if src.is_unspecified() || src.is_multicast() || src.is_broadcast() || dst.is_multicast() {
            return;
        }
        let frag_offset = invoking
            .get(6..8)
            .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) & 0x1fff);
        let ihl = usize::from(invoking[0] & 0x0f) * 4;
        let is_icmp_error = invoking.get(9) == Some(&1) && invoking.get(ihl).is_some_and(|t| ![0, 8].contains(t));
        if frag_offset != 0 || is_icmp_error {
            return;
        }
        if !self.icmp_rate_allows(ctx.now, IpAddr::V4(src)) {
            return;
        }
        let from = if self.tables.addrs.find_local(IpAddr::V4(dst)).is_some() {
            Some(dst)
        } else {
            // icmp_send picks the address of the interface the offending datagram came in on.
            self.tables.addrs.on(iif, false).find_map(|a| match a.addr {
                IpAddr::V4(x) => Some(x),
                IpAddr::V6(_) => None,
            })
        };
        let msg = match err {
            Icmp4Error::Unreachable(code, mtu) => Icmpv4Repr::DstUnreachable {
                code,
                next_hop_mtu: mtu,
                invoking,
            },
            Icmp4Error::TimeExceeded(code) => Icmpv4Repr::TimeExceeded { code, invoking },
        };
        self.counters.icmp_out_errors += 1;
        let _ = self.send_ipv4(ctx, from, src, None, &Upper::Icmpv4(msg));
    }

    /// An ARP request for `target` (`arp_solicit`): broadcast, or unicast to the cached MAC when probing.
    pub(super) fn send_arp_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        target: Ipv4Addr,
        unicast: Option<MacAddr>,
    ) {
        let queued_src = self
            .neigh
            .last_queued(ifindex, IpAddr::V4(target))
            .and_then(|f| f.get(26..30))
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(Ipv4Addr::from)
            .filter(|s| self.tables.addrs.find_local(IpAddr::V4(*s)).is_some());
        let src = queued_src.or_else(|| {
            super::srcsel::select_v4(
                &self.tables.addrs,
                &self.tables.ifaces,
                &self.tables.sysctl,
                ifindex,
                Some(target),
                super::route::RouteScope::Link,
            )
        });
        let Some(src) = src else { return };
        let mac = self.mac(ifindex);
        let arp = ArpRepr {
            operation: ArpOperation::Request,
            sender_mac: mac,
            sender_ip: src,
            target_mac: MacAddr::UNSPECIFIED,
            target_ip: target,
        };
        let l2 = L2 {
            src: mac,
            dst: unicast.unwrap_or(MacAddr::BROADCAST),
            vlan: None,
        };
        let mut buf = Vec::new();
        if append_arp(&mut buf, l2, &arp).is_ok() {
            ctx.send(ifindex, buf);
        }
    }

    /// The reply to an ARP request for one of our addresses.
    pub(super) fn send_arp_reply(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, req: ArpRepr, ours: MacAddr) {
        let arp = ArpRepr {
            operation: ArpOperation::Reply,
            sender_mac: ours,
            sender_ip: req.target_ip,
            target_mac: req.sender_mac,
            target_ip: req.sender_ip,
        };
        let l2 = L2 {
            src: ours,
            dst: req.sender_mac,
            vlan: None,
        };
        let mut buf = Vec::new();
        if append_arp(&mut buf, l2, &arp).is_ok() {
            ctx.send(ifindex, buf);
        }
    }
}
