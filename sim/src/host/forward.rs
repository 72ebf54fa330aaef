//! Forwarding (`ip6_forward`, `ip_forward`): the gates, hop limit and TTL, MTU, and the redirect a Linux router
//! sends when a packet leaves by the interface it arrived on.
//!
//! IPv6 forwarding is gated by `all.forwarding` (or the interface's `force_forwarding`, 6.18) as ip6_forward
//! reads it (linux-ipv6.md A4); IPv4 by the receiving interface's `forwarding` (IN_DEV_FORWARD). A packet that is
//! not for us on a host that does not forward is counted as an address error and dropped without an ICMP error.

use std::net::{IpAddr, Ipv6Addr};
use std::rc::Rc;

use super::lookup::RouteQuery;
use super::node::Host;
use super::output::{Icmp4Error, Icmp6Error};
use super::route::RouteType;
use crate::frame::Frame;
use crate::id::IfIndex;
use crate::node::Ctx;
use crate::trace::{DropReason, TraceEvent};
use crate::wire::{
    FrameView, Icmpv4TimeExceeded, Icmpv4Unreachable, Icmpv6Repr, Icmpv6TimeExceeded, Icmpv6Unreachable, Ipv4View,
    Ipv6View, MacAddr, NdOptionRepr, NdOptions, NdiscRepr,
};

/// The IPv4 header checksum after a TTL decrement, by incremental update (RFC 1624 §3).
fn ipv4_ttl_decrement(l3: &mut [u8]) {
    if l3.len() < 20 {
        return;
    }
    let old = u16::from_be_bytes([l3[8], l3[9]]);
    l3[8] = l3[8].wrapping_sub(1);
    let new = u16::from_be_bytes([l3[8], l3[9]]);
    let sum = u16::from_be_bytes([l3[10], l3[11]]);
    // HC' = ~(~HC + ~m + m')
    let mut acc = u32::from(!sum) + u32::from(!old) + u32::from(new);
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    let c = !(acc as u16);
    l3[10..12].copy_from_slice(&c.to_be_bytes());
}

impl Host {
    /// `ip6_forward`.
    pub(super) fn forward_v6(
        &mut self,
        ctx: &mut Ctx<'_>,
        iif: IfIndex,
        frame: &Rc<Frame>,
        view: &FrameView<'_>,
        ip: Ipv6View,
    ) {
        let conf = &self.tables.sysctl;
        if conf.all6.forwarding == 0 && conf.v6(iif).force_forwarding == 0 {
            self.counters.ip_in_addr_errors += 1;
            return self.drop_packet(ctx, DropReason::NotForwarding);
        }
        let (src, dst) = (ip.repr.src, ip.repr.dst);
        let l3 = view.l3_bytes();
        // Link-local traffic never crosses a router (RFC 4291 §2.5.6): "beyond scope of source address".
        if src.is_unicast_link_local() || dst.is_unicast_link_local() || src.is_unspecified() {
            let err = Icmp6Error::Unreachable(Icmpv6Unreachable::BeyondScope);
            if !src.is_unspecified() {
                self.send_icmp6_error(ctx, iif, l3, err);
            }
            return self.drop_packet(ctx, DropReason::Policy);
        }
        if ip.repr.hop_limit <= 1 {
            self.counters.ip_in_hdr_errors += 1;
            self.send_icmp6_error(
                ctx,
                iif,
                l3,
                Icmp6Error::TimeExceeded(Icmpv6TimeExceeded::HopLimitExceeded),
            );
            return self.drop_packet(ctx, DropReason::HopLimitExceeded);
        }
        let q = RouteQuery::to(IpAddr::V6(dst)).from(IpAddr::V6(src)).iif(iif);
        let d = match self.route_get(&q) {
            Ok(d) if !d.kind.is_reject() => d,
            Ok(_) | Err(_) => {
                self.counters.ip_in_no_routes += 1;
                self.send_icmp6_error(ctx, iif, l3, Icmp6Error::Unreachable(Icmpv6Unreachable::NoRoute));
                return self.drop_packet(ctx, DropReason::NoRoute);
            }
        };
        if d.kind == RouteType::Local {
            return self.drop_packet(ctx, DropReason::Policy);
        }
        ctx.trace(|| TraceEvent::Routed {
            dst: IpAddr::V6(dst),
            dev: d.dev,
            via: d.gateway,
            table: d.table,
            forwarded: true,
        });
        if l3.len() > d.mtu as usize {
            self.send_icmp6_error(ctx, iif, l3, Icmp6Error::PacketTooBig(d.mtu));
            return self.drop_packet(ctx, DropReason::Policy);
        }
        // netfilter's forward hook (nftables `forward` chain / pf): after routing, before output.
        if !self.firewall_forward(ctx, view) {
            return;
        }
        // Leaving by the interface it came in on: tell the sender about the better first hop (RFC 4861 §8.2).
        if d.dev == iif {
            self.send_redirect(ctx, iif, src, dst, d.gateway, l3);
        }
        self.counters.ip_forwarded += 1;
        // A new Ethernet header for the egress link (untagged, our source MAC), the hop limit one less.
        let mut fwd = self.take_tx_buf();
        fwd.extend_from_slice(&[0; 6]);
        fwd.extend_from_slice(&self.mac(d.dev).0);
        fwd.extend_from_slice(&[0x86, 0xdd]);
        fwd.extend_from_slice(l3);
        fwd[14 + 7] -= 1;
        fwd.resize(fwd.len().max(crate::wire::build::MIN_FRAME_LEN), 0);
        self.transmit(ctx, d.dev, d.next_hop(), fwd, frame.l4_trusted());
    }

    /// `ndisc_send_redirect`: the target is a link-local gateway or the destination itself (on-link); the source
    /// is our link-local on that interface; rate-limited per destination; TLLA when the target is resolved.
    fn send_redirect(
        &mut self,
        ctx: &mut Ctx<'_>,
        dev: IfIndex,
        to: Ipv6Addr,
        dst: Ipv6Addr,
        gateway: Option<IpAddr>,
        l3: &[u8],
    ) {
        let target = match gateway {
            Some(IpAddr::V6(g)) => g,
            Some(IpAddr::V4(_)) => return,
            None => dst,
        };
        // "target address is not link-local unicast": a global gateway cannot be redirected to.
        if target != dst && !target.is_unicast_link_local() {
            return;
        }
        if self.tables.sysctl.v6(dev).forwarding == 0 && self.tables.sysctl.all6.forwarding == 0 {
            return;
        }
        // The redirect's source must be our link-local on that interface (RFC 4861 §4.5).
        let Some(src) = self.tables.addrs.on(dev, true).find_map(|a| match a.addr {
            IpAddr::V6(x) if x.is_unicast_link_local() && a.is_usable() => Some(x),
            _ => None,
        }) else {
            return;
        };
        // ndisc_send_redirect uses the same inet_peer token bucket as ICMP errors.
        if !self.icmp_rate_allows(ctx.now, IpAddr::V6(to)) {
            return;
        }
        let tlla = self
            .neigh
            .get(dev, IpAddr::V6(target))
            .filter(|n| n.state.is_valid())
            .and_then(|n| n.lladdr);
        let quoted = &l3[..l3.len().min(crate::wire::ndisc::MAX_REDIRECTED_PAYLOAD)];
        let opts_with = [
            NdOptionRepr::TargetLinkLayerAddr(tlla.unwrap_or(MacAddr::UNSPECIFIED)),
            NdOptionRepr::RedirectedHeader(quoted),
        ];
        let options = if tlla.is_some() {
            NdOptions::Reprs(&opts_with)
        } else {
            NdOptions::Reprs(&opts_with[1..])
        };
        let msg = Icmpv6Repr::Ndisc(NdiscRepr::Redirect {
            target,
            dest: dst,
            options,
        });
        self.counters.redirects_sent += 1;
        self.send_ndisc(ctx, dev, src, to, msg);
    }

    /// `ip_forward`.
    pub(super) fn forward_v4(
        &mut self,
        ctx: &mut Ctx<'_>,
        iif: IfIndex,
        frame: &Rc<Frame>,
        view: &FrameView<'_>,
        ip: Ipv4View,
    ) {
        if self.tables.sysctl.v4(iif).forwarding == 0 {
            self.counters.ip_in_addr_errors += 1;
            return self.drop_packet(ctx, DropReason::NotForwarding);
        }
        let (src, dst) = (ip.repr.src, ip.repr.dst);
        let l3 = view.l3_bytes();
        if ip.repr.ttl <= 1 {
            self.counters.ip_in_hdr_errors += 1;
            self.send_icmp4_error(ctx, iif, l3, Icmp4Error::TimeExceeded(Icmpv4TimeExceeded::TtlExceeded));
            return self.drop_packet(ctx, DropReason::HopLimitExceeded);
        }
        let q = RouteQuery::to(IpAddr::V4(dst)).from(IpAddr::V4(src)).iif(iif);
        let d = match self.route_get(&q) {
            Ok(d) if !d.kind.is_reject() && d.kind != RouteType::Local => d,
            _ => {
                self.counters.ip_in_no_routes += 1;
                let err = Icmp4Error::Unreachable(Icmpv4Unreachable::NetUnreachable, 0);
                self.send_icmp4_error(ctx, iif, l3, err);
                return self.drop_packet(ctx, DropReason::NoRoute);
            }
        };
        ctx.trace(|| TraceEvent::Routed {
            dst: IpAddr::V4(dst),
            dev: d.dev,
            via: d.gateway,
            table: d.table,
            forwarded: true,
        });
        if l3.len() > d.mtu as usize && ip.repr.dont_frag {
            let mtu = u16::try_from(d.mtu).unwrap_or(u16::MAX);
            let err = Icmp4Error::Unreachable(Icmpv4Unreachable::FragNeeded, mtu);
            self.send_icmp4_error(ctx, iif, l3, err);
            return self.drop_packet(ctx, DropReason::Policy);
        }
        if !self.firewall_forward(ctx, view) {
            return;
        }
        self.counters.ip_forwarded += 1;
        let l3_off = usize::from(view.l3_offset);
        let end = usize::from(ip.l4_end).min(frame.len());
        let mut fwd = self.take_tx_buf();
        fwd.extend_from_slice(&[0; 6]);
        fwd.extend_from_slice(&self.mac(d.dev).0);
        fwd.extend_from_slice(&[0x08, 0x00]);
        fwd.extend_from_slice(&frame.bytes()[l3_off..end]);
        ipv4_ttl_decrement(&mut fwd[14..]);
        fwd.resize(fwd.len().max(crate::wire::build::MIN_FRAME_LEN), 0);
        self.transmit(ctx, d.dev, d.next_hop(), fwd, frame.l4_trusted());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_decrement_keeps_the_checksum_valid() {
        // RFC 791 header: 45 00 00 1c 00 00 40 00 40 01 <csum> c0 00 02 01 c6 33 64 02
        let mut h = [
            0x45, 0, 0, 0x1c, 0, 0, 0x40, 0, 0x40, 1, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2,
        ];
        let sum = |h: &[u8]| {
            let mut acc: u32 = h.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], c[1]]))).sum();
            while acc > 0xffff {
                acc = (acc & 0xffff) + (acc >> 16);
            }
            acc as u16
        };
        let c = !sum(&h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(sum(&h), 0xffff);
        ipv4_ttl_decrement(&mut h);
        assert_eq!(h[8], 0x3f);
        assert_eq!(sum(&h), 0xffff, "checksum still verifies");
    }
}
