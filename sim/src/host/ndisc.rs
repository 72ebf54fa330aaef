//! Neighbour Discovery on the host (RFC 4861 §7, RFC 4862 §5.4), as `net/ipv6/ndisc.c` does it: validation
//! common to every ND message, NS/NA processing with the neighbour cache and DAD, and the NS/NA senders.
//!
//! Router Advertisements here only refresh the neighbour cache, which Linux does even when it ignores the RA
//! (linux-ipv6.md A7, B18); turning RAs into routes and addresses is the RA processing module's job. Redirects
//! are validated and handed to the same place.

use std::net::{IpAddr, Ipv6Addr};

use super::addr::AddrFlags;
use super::dad::DadNsVerdict;
use super::iid::{solicited_node, solicited_node_mac};
use super::neigh::{NaInput, NaOutcome};
use super::node::Host;
use super::route::RouteFlags;
use crate::id::IfIndex;
use crate::node::Ctx;
use crate::trace::DropReason;
use crate::wire::build::{append_ipv6, Ipv6Params, Upper, L2};
use crate::wire::{FrameView, Icmpv6Repr, Ipv6View, MacAddr, NaFlags, NdOptionRepr, NdOptions, NdiscRepr};

/// All-nodes multicast, where unsolicited NAs and DAD answers go (RFC 4291 §2.7.1).
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

impl Host {
    /// `ndisc_rcv`: hop limit 255 (B3), no fragment header (RFC 6980, B2), code 0 and option lengths (checked by
    /// the parser, B4/B6); then per message type.
    pub(super) fn ndisc_input(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        view: &FrameView<'_>,
        ip: Ipv6View,
        nd: NdiscRepr<'_>,
    ) {
        if ip.repr.hop_limit != 255 || ip.ext.fragment.is_some() {
            self.counters.ndisc_dropped += 1;
            return self.drop_packet(ctx, DropReason::Policy);
        }
        let (src, dst) = (ip.repr.src, ip.repr.dst);
        match nd {
            NdiscRepr::NeighborSolicit { target, options } => self.recv_ns(ctx, ifindex, src, dst, target, options),
            NdiscRepr::NeighborAdvert { flags, target, options } => {
                self.recv_na(ctx, ifindex, dst, flags, target, options)
            }
            NdiscRepr::RouterSolicit { options } => {
                // ndisc_recv_rs: only a forwarding interface learns from RS, and never from :: (B46).
                if self.tables.sysctl.v6(ifindex).forwarding == 0 {
                    return;
                }
                // radvd reads RSs on its raw socket, from :: too (RFC 4861 §6.2.6).
                self.radvd_recv_rs(ctx, ifindex, src, options.source_lladdr());
                if src.is_unspecified() {
                    return;
                }
                let Some(slla) = options.source_lladdr() else {
                    return;
                };
                let mut out = std::mem::take(&mut self.neigh_out);
                self.neigh.recv_rs(ctx.now, ifindex, IpAddr::V6(src), slla, &mut out);
                self.apply_neigh(ctx, &mut out);
                self.neigh_out = out;
            }
            NdiscRepr::RouterAdvert { options, .. } => {
                // B5: a router's source is link-local, else the RA is ignored and no entry is made.
                if !src.is_unicast_link_local() {
                    self.counters.ndisc_dropped += 1;
                    return self.drop_packet(ctx, DropReason::Policy);
                }
                let slla = options.source_lladdr();
                let mut out = std::mem::take(&mut self.neigh_out);
                self.neigh.recv_ra(ctx.now, ifindex, IpAddr::V6(src), slla, &mut out);
                self.apply_neigh(ctx, &mut out);
                self.neigh_out = out;
                self.ra_input(ctx, ifindex, view, ip, nd);
            }
            NdiscRepr::Redirect { .. } => self.redirect_input(ctx, ifindex, view, ip, nd),
        }
    }

    /// Router Advertisement processing beyond the neighbour cache (default routers, prefixes, options): the
    /// RA module extends this; the core host keeps RAs to the neighbour update above.
    fn ra_input(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, view: &FrameView<'_>, ip: Ipv6View, nd: NdiscRepr<'_>) {
        let _ = view;
        if let NdiscRepr::RouterAdvert {
            hop_limit,
            flags,
            router_lifetime,
            reachable_time,
            retrans_time,
            options,
        } = nd
        {
            let ra = super::ra::RaMessage {
                src: ip.repr.src,
                hop_limit,
                flags,
                router_lifetime,
                reachable_time,
                retrans_time,
                options,
            };
            self.process_ra(ctx, ifindex, &ra);
        }
    }

    /// Redirect processing (RFC 4861 §8.1): the RA/redirect module extends this; the core host ignores them.
    fn redirect_input(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        view: &FrameView<'_>,
        ip: Ipv6View,
        nd: NdiscRepr<'_>,
    ) {
        let _ = view;
        if let NdiscRepr::Redirect { target, dest, options } = nd {
            self.process_redirect(ctx, ifindex, ip.repr.src, target, dest, options);
        }
    }

    /// `ndisc_recv_ns` (B39–B42, C5).
    fn recv_ns(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        target: Ipv6Addr,
        options: NdOptions<'_>,
    ) {
        let dad = src.is_unspecified();
        let slla = options.source_lladdr();
        // B39: multicast target; DAD NS not to the solicited-node group; DAD NS carrying an SLLA.
        if target.is_multicast() || (dad && (dst != solicited_node(target) || slla.is_some())) {
            self.counters.ndisc_dropped += 1;
            return self.drop_packet(ctx, DropReason::Policy);
        }
        // B40: the target must be an address of the receiving interface (ND is strict, unlike input).
        let Some(a) = self.tables.addrs.get(ifindex, IpAddr::V6(target)) else {
            return;
        };
        let tentative = a.flags.has(AddrFlags::TENTATIVE);
        let optimistic = a.flags.has(AddrFlags::OPTIMISTIC);
        if a.flags.has(AddrFlags::DADFAILED) {
            return;
        }
        if tentative {
            if dad {
                // C5: a DAD probe for our tentative address; our own looped-back probe is recognised by its nonce.
                let nonce = options.nonce().and_then(|n| <[u8; 6]>::try_from(n).ok());
                let mut out = std::mem::take(&mut self.dad_out);
                let verdict = self.dad.recv_ns(ctx.now, ifindex, target, nonce, &mut out);
                self.apply_dad(ctx, &mut out);
                self.dad_out = out;
                let _ = verdict == DadNsVerdict::Conflict;
                return;
            }
            if !optimistic {
                return; // B41
            }
        }
        let router = self.tables.sysctl.v6(ifindex).forwarding != 0;
        if dad {
            // Someone else is probing an address we own: defend it with an NA to all-nodes (S=0, O=1).
            let flags = NaFlags {
                router,
                solicited: false,
                override_: true,
            };
            return self.send_na(ctx, ifindex, ALL_NODES, target, flags, true);
        }
        let mut out = std::mem::take(&mut self.neigh_out);
        self.neigh
            .recv_ns(ctx.now, ifindex, IpAddr::V6(src), slla, dst.is_multicast(), &mut out);
        self.apply_neigh(ctx, &mut out);
        self.neigh_out = out;
        let flags = NaFlags {
            router,
            solicited: true,
            override_: !optimistic,
        };
        // TLLA only when the NS was multicast (ndisc_recv_ns: inc = ipv6_addr_is_multicast(daddr)).
        self.send_na(ctx, ifindex, src, target, flags, dst.is_multicast());
    }

    /// `ndisc_recv_na` (B43–B45, B17, C5).
    fn recv_na(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        dst: Ipv6Addr,
        flags: NaFlags,
        target: Ipv6Addr,
        options: NdOptions<'_>,
    ) {
        if target.is_multicast() || (dst.is_multicast() && flags.solicited) {
            self.counters.ndisc_dropped += 1;
            return self.drop_packet(ctx, DropReason::Policy);
        }
        if let Some(a) = self.tables.addrs.get(ifindex, IpAddr::V6(target)) {
            if a.flags.has(AddrFlags::TENTATIVE) {
                let mut out = std::mem::take(&mut self.dad_out);
                self.dad.recv_na(ctx.now, ifindex, target, &mut out);
                self.apply_dad(ctx, &mut out);
                self.dad_out = out;
            }
            // Someone advertises one of our addresses: Linux logs it and keeps its own.
            return;
        }
        let conf = self.tables.sysctl.v6(ifindex);
        if conf.drop_unsolicited_na != 0 && !flags.solicited {
            return;
        }
        let untracked = conf.forwarding != 0 && conf.accept_untracked_na != 0;
        let na = NaInput {
            target: IpAddr::V6(target),
            tlla: options.target_lladdr(),
            solicited: flags.solicited,
            override_flag: flags.override_,
            router: flags.router,
            create_untracked: untracked,
        };
        let mut out = std::mem::take(&mut self.neigh_out);
        let outcome = self.neigh.recv_na(ctx.now, ifindex, na, &mut out);
        self.apply_neigh(ctx, &mut out);
        self.neigh_out = out;
        if let NaOutcome::Updated {
            router_to_host: true, ..
        } = outcome
        {
            // B17, rt6_clean_tohost: a router that says it is a host loses its RA default routes and redirects.
            let gw = IpAddr::V6(target);
            self.tables.fib6.remove_where(|r| {
                r.gateway == Some(gw) && r.dev == ifindex && (r.is_ra_default() || r.flags.has(RouteFlags::CACHE))
            });
        }
    }

    /// Sends a Neighbour Advertisement for our `target` to `dst` (`ndisc_send_na`).
    pub(super) fn send_na(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        dst: Ipv6Addr,
        target: Ipv6Addr,
        flags: NaFlags,
        tlla: bool,
    ) {
        let mac = self.mac(ifindex);
        let opts = [NdOptionRepr::TargetLinkLayerAddr(mac)];
        let options = if tlla { NdOptions::Reprs(&opts) } else { NdOptions::NONE };
        let na = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert { flags, target, options });
        // ndisc_send_na: the source is the target itself when it is ours (it is, here).
        self.send_ndisc(ctx, ifindex, target, dst, na);
    }

    /// Sends an ND message on the link of `ifindex` (`ndisc_send_skb` with `icmp6_dst_alloc`): never routed,
    /// the destination is the next hop (its lladdr comes from the neighbour cache or the group MAC), hop limit 255.
    pub(super) fn send_ndisc(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        msg: Icmpv6Repr<'_>,
    ) {
        let l2 = L2 {
            src: self.mac(ifindex),
            dst: MacAddr::UNSPECIFIED,
            vlan: None,
        };
        let mut buf = Vec::new();
        if append_ipv6(&mut buf, l2, &Ipv6Params::new(src, dst, 255), &Upper::Icmpv6(msg)).is_ok() {
            self.transmit(ctx, ifindex, IpAddr::V6(dst), buf, true);
        }
    }

    /// A DAD probe: from ::, to the target's solicited-node group, with the nonce and no SLLA (RFC 4862 §5.4.2,
    /// RFC 7527).
    pub(super) fn send_dad_ns(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        target: Ipv6Addr,
        dst: Ipv6Addr,
        dst_mac: MacAddr,
        nonce: Option<[u8; 6]>,
    ) {
        let nonce_bytes = nonce.unwrap_or_default();
        let opts = [NdOptionRepr::Nonce(&nonce_bytes)];
        let options = if nonce.is_some() {
            NdOptions::Reprs(&opts)
        } else {
            NdOptions::NONE
        };
        let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit { target, options });
        let l2 = L2 {
            src: self.mac(ifindex),
            dst: dst_mac,
            vlan: None,
        };
        let params = Ipv6Params::new(Ipv6Addr::UNSPECIFIED, dst, 255);
        let mut buf = Vec::new();
        if append_ipv6(&mut buf, l2, &params, &Upper::Icmpv6(ns)).is_ok() {
            ctx.send(ifindex, buf);
        }
    }

    /// An NS to resolve `target` (`ndisc_solicit`): multicast to its solicited-node group, or unicast to the
    /// cached lladdr when probing. The source is the queued packet's source if it is ours on this interface
    /// (RFC 4861 §7.2.2), else the interface's best address for the target.
    pub(super) fn send_solicit_ns(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        target: Ipv6Addr,
        unicast: Option<MacAddr>,
    ) {
        let queued_src = self
            .neigh
            .last_queued(ifindex, IpAddr::V6(target))
            .and_then(|f| f.get(22..38))
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map(Ipv6Addr::from)
            .filter(|s| {
                self.tables
                    .addrs
                    .get(ifindex, IpAddr::V6(*s))
                    .is_some_and(|a| a.is_usable())
            });
        // Otherwise ndisc_send_ns(saddr = NULL) takes ipv6_get_lladdr: the interface's link-local address,
        // neither tentative nor optimistic, and sends nothing without one (net/ipv6/ndisc.c). A router resolving
        // a host for a forwarded packet therefore solicits from fe80::, never from its global address — checked
        // against the kernel backend (docs/fidelity.md, redirect-accepted).
        let src = queued_src.or_else(|| {
            let banned = AddrFlags::TENTATIVE | AddrFlags::OPTIMISTIC | AddrFlags::DADFAILED;
            self.tables.addrs.on(ifindex, true).find_map(|a| match a.addr {
                IpAddr::V6(x) if x.is_unicast_link_local() && !a.flags.any(banned) => Some(x),
                _ => None,
            })
        });
        let Some(src) = src else {
            return; // no usable address on the link yet (still tentative): nothing to send from
        };
        let mac = self.mac(ifindex);
        let opts = [NdOptionRepr::SourceLinkLayerAddr(mac)];
        let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
            target,
            options: NdOptions::Reprs(&opts),
        });
        let (dst, dst_mac) = match unicast {
            Some(m) => (target, m),
            None => {
                let g = solicited_node(target);
                (g, solicited_node_mac(target))
            }
        };
        let l2 = L2 {
            src: mac,
            dst: dst_mac,
            vlan: None,
        };
        let params = Ipv6Params::new(src, dst, 255);
        let mut buf = Vec::new();
        if append_ipv6(&mut buf, l2, &params, &Upper::Icmpv6(ns)).is_ok() {
            ctx.send(ifindex, buf);
        }
    }
}
