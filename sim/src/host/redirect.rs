//! ICMPv6 Redirect, receive side (RFC 4861 §8.1, §8.3), as Linux does it: `ndisc_redirect_rcv` →
//! `icmpv6_notify` → `icmpv6_err` / `ip6_redirect_no_header` → `ip6_route_redirect` → `rt6_do_redirect`
//! (linux-ipv6.md §D).
//!
//! Where Linux and RFC 4861 differ, Linux wins:
//! - "The IP source address of the Redirect is the same as the current first-hop router" is checked the Linux way
//!   (D9, `__ip6_route_redirect` / `ip6_redirect_nh_match`): the source must be the gateway of *any* non-expired
//!   gateway route on the receiving interface in the longest-match node, backtracking to shorter prefixes, or the
//!   gateway of an exception already cached there. So a redirect from a non-selected default router is accepted
//!   and stored, but has no effect while another route is selected (D9a, D13).
//! - The Redirected Header decides whether anything happens (D10): none → applied for the ICMP Destination; an
//!   ICMPv6 packet inside → applied; TCP inside → applied only through a connection for that 4-tuple whose
//!   snd_una ≤ seq ≤ snd_nxt, and then without the first-hop check (D10c); UDP inside → ignored, as 6.18 does
//!   unless a socket is bound to the device, which the simulated sockets cannot be (D10d).
//! - The exception lives `net.ipv6.route.gc_timeout` (60 s) and goes earlier when its gateway stops being a router
//!   (D12, B17). Linux refreshes `lastuse` when the exception is used; here it ages from its last redirect.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use ipnet::{IpNet, Ipv6Net};

use super::lookup::RouteQuery;
use super::node::Host;
use super::route::{Proto, Route, RouteFlags, RouteKey, RouteType};
use super::rule::RuleAction;
use crate::id::IfIndex;
use crate::node::Ctx;
use crate::time::Instant;
use crate::wire::{NdOptionRepr, NdOptionType, NdOptions};

/// Redirect counters (for tests and findings).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedirectCounters {
    /// Redirects that installed or refreshed an exception.
    pub accepted: u64,
    /// Redirects ignored by one of the §D checks.
    pub ignored: u64,
}

/// Why a redirect was not applied (one variant per §D check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectVerdict {
    /// Applied: an exception for `dest` was stored under the route `parent`.
    Accepted {
        /// The route the exception hangs off.
        parent: RouteKey,
    },
    /// D3: the source is not link-local.
    SourceNotLinkLocal,
    /// D10: the Redirected Header is shorter than an IPv6 header + 8 bytes.
    ShortInner,
    /// D10c/d: TCP/UDP (or another protocol) inside and no socket to take it.
    NoTaker,
    /// D5: multicast destination.
    MulticastDest,
    /// D6: target neither link-local unicast nor the destination.
    BadTarget,
    /// D7: forwarding on, or accept_redirects off, on the receiving interface.
    Disabled,
    /// D8: a TLLA of the wrong length.
    BadTlla,
    /// D9: the source is not a first hop for the destination.
    NotFirstHop,
}

fn host_net(a: Ipv6Addr) -> IpNet {
    IpNet::V6(Ipv6Net::from(a))
}

/// The quoted packet of a Redirected Header (`icmpv6_notify`): addresses, upper protocol and its first 8 bytes.
#[derive(Debug, Clone, Copy)]
struct InnerFlow {
    src: Ipv6Addr,
    dst: Ipv6Addr,
    proto: u8,
    l4: [u8; 8],
}

/// Parses a Redirected Header payload, or `None` when it is shorter than an IPv6 header + 8 bytes of upper layer.
fn inner_flow(inner: &[u8]) -> Option<InnerFlow> {
    if inner.len() < 48 {
        return None;
    }
    let src = <[u8; 16]>::try_from(inner.get(8..24)?).ok()?;
    let dst = <[u8; 16]>::try_from(inner.get(24..40)?).ok()?;
    let mut next = inner[6];
    let mut off = 40usize;
    // ipv6_skip_exthdr over HBH (0), Routing (43), Destination Options (60); a Fragment (44) is 8 bytes.
    while matches!(next, 0 | 43 | 44 | 60) {
        let hdr = inner.get(off..off + 2)?;
        let len = if next == 44 { 8 } else { (usize::from(hdr[1]) + 1) * 8 };
        next = hdr[0];
        off += len;
    }
    let l4 = <[u8; 8]>::try_from(inner.get(off..off + 8)?).ok()?;
    Some(InnerFlow {
        src: Ipv6Addr::from(src),
        dst: Ipv6Addr::from(dst),
        proto: next,
        l4,
    })
}

impl Host {
    /// Redirect counters.
    pub fn redirect_counters(&self) -> RedirectCounters {
        self.ra.redirects
    }

    /// Processes a Redirect from `src` on `ifindex` and applies it when every §D check passes.
    pub(super) fn process_redirect(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        src: Ipv6Addr,
        target: Ipv6Addr,
        dest: Ipv6Addr,
        options: NdOptions<'_>,
    ) -> RedirectVerdict {
        let v = self.redirect_verdict(ctx, ifindex, src, target, dest, options);
        if matches!(v, RedirectVerdict::Accepted { .. }) {
            self.ra.redirects.accepted += 1;
        } else {
            self.ra.redirects.ignored += 1;
        }
        v
    }

    fn redirect_verdict(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        src: Ipv6Addr,
        target: Ipv6Addr,
        dest: Ipv6Addr,
        options: NdOptions<'_>,
    ) -> RedirectVerdict {
        if !src.is_unicast_link_local() {
            return RedirectVerdict::SourceNotLinkLocal; // D3
        }
        let inner = options.reprs().find_map(|o| match o {
            Ok(NdOptionRepr::RedirectedHeader(b)) => Some(b),
            _ => None,
        });
        // D10: the flow comes from the inner packet; without one, from the ICMP Destination. TCP goes through its
        // socket (tcp_v6_err), which skips the first-hop check (D10c).
        let (flow_dst, via_socket) = match inner {
            None => (dest, false),
            Some(b) => match inner_flow(b) {
                None => return RedirectVerdict::ShortInner,
                Some(f) if f.proto == 58 => (f.dst, false),
                Some(f) if f.proto == 6 && self.tcp_redirect_taker(&f) => (f.dst, true),
                Some(_) => return RedirectVerdict::NoTaker,
            },
        };
        if dest.is_multicast() {
            return RedirectVerdict::MulticastDest; // D5
        }
        let on_link = dest == target;
        // fe80::/10 is never multicast, so link-local here means link-local unicast.
        if !on_link && !target.is_unicast_link_local() {
            return RedirectVerdict::BadTarget; // D6
        }
        if !self.tables.sysctl.accept_redirects6(ifindex) {
            return RedirectVerdict::Disabled; // D7
        }
        let tlla = options.target_lladdr();
        if tlla.is_none() && options.contains(NdOptionType::TargetLinkLayerAddr) {
            return RedirectVerdict::BadTlla; // D8
        }
        let found = if via_socket {
            self.socket_route(flow_dst)
        } else {
            self.redirect_parent(ifindex, src, flow_dst, ctx.now)
        };
        let Some((table, parent)) = found else {
            return RedirectVerdict::NotFirstHop; // D9
        };
        let mut out = std::mem::take(&mut self.neigh_out);
        self.neigh
            .recv_redirect(ctx.now, ifindex, IpAddr::V6(target), tlla, on_link, &mut out);
        self.apply_neigh(ctx, &mut out);
        self.neigh_out = out;
        self.insert_exception(table, &parent, dest, target, on_link, ctx.now);
        RedirectVerdict::Accepted { parent: parent.key() }
    }

    /// `tcp_v6_err` for NDISC_REDIRECT: a connection for the quoted 4-tuple whose sequence number lies in
    /// [snd_una, snd_nxt] takes it (a wrong one is OutOfWindowIcmps, none is Icmp6InErrors).
    fn tcp_redirect_taker(&self, f: &InnerFlow) -> bool {
        let sport = u16::from_be_bytes([f.l4[0], f.l4[1]]);
        let dport = u16::from_be_bytes([f.l4[2], f.l4[3]]);
        let seq = u32::from_be_bytes([f.l4[4], f.l4[5], f.l4[6], f.l4[7]]);
        let key = (
            SocketAddr::new(IpAddr::V6(f.src), sport),
            SocketAddr::new(IpAddr::V6(f.dst), dport),
        );
        let Some(id) = self.transport.index.get(&key) else {
            return false;
        };
        self.transport.conn(*id).is_some_and(|c| {
            let (una, nxt) = (c.tcb.snd_una(), c.tcb.snd_nxt());
            seq.wrapping_sub(una) <= nxt.wrapping_sub(una) // `between(seq, snd_una, snd_nxt)`
        })
    }

    /// The route the socket's cached dst came from (`rt->from`): the selected route for `dst`, or the parent of the
    /// exception selected.
    fn socket_route(&self, dst: Ipv6Addr) -> Option<(u32, Route)> {
        let d = self.route_get(&RouteQuery::to(IpAddr::V6(dst))).ok()?;
        let r = d.route?;
        if !r.flags.has(RouteFlags::CACHE) {
            return Some((d.table, r));
        }
        let key = r.parent?;
        let parent = self
            .tables
            .fib6
            .table(d.table)
            .iter()
            .find(|p| p.parent.is_none() && p.key() == key)?;
        Some((d.table, parent.clone()))
    }

    /// `__ip6_route_redirect` over the lookup tables in rule order: the route (and its table) whose gateway is `gw`,
    /// or that carries an exception for `dst` through `gw` (D9).
    fn redirect_parent(&self, ifindex: IfIndex, gw: Ipv6Addr, dst: Ipv6Addr, now: Instant) -> Option<(u32, Route)> {
        let d = IpAddr::V6(dst);
        let gw = Some(IpAddr::V6(gw));
        let fib_node = |r: &&Route| r.matches(d) && !r.flags.has(RouteFlags::CACHE);
        for rule in self.tables.rules6.iter() {
            let RuleAction::Lookup(tbl) = rule.action else {
                continue;
            };
            let routes = self.tables.fib6.table(tbl);
            let mut upper = 129u8;
            while let Some(len) = routes
                .iter()
                .filter(fib_node)
                .map(|r| r.dst.prefix_len())
                .filter(|l| *l < upper)
                .max()
            {
                for r in routes.iter().filter(fib_node).filter(|r| r.dst.prefix_len() == len) {
                    if r.expires.is_some_and(|t| t <= now) {
                        continue;
                    }
                    if r.kind.is_reject() {
                        return None;
                    }
                    if r.kind != RouteType::Unicast || r.gateway.is_none() || r.dev != ifindex {
                        continue;
                    }
                    let key = Some(r.key());
                    let cached_via_gw = || {
                        routes.iter().any(|e| {
                            e.flags.has(RouteFlags::CACHE)
                                && e.parent == key
                                && e.dst == host_net(dst)
                                && e.gateway == gw
                        })
                    };
                    if r.gateway == gw || cached_via_gw() {
                        return Some((tbl, r.clone()));
                    }
                }
                upper = len;
            }
        }
        None
    }

    /// `rt6_insert_exception`: the /128 clone for `dest` under `parent` (RTF_CACHE|RTF_DYNAMIC, RTF_GATEWAY unless
    /// on-link; D11), replacing an older one, aging out after gc_timeout (D12).
    fn insert_exception(
        &mut self,
        table: u32,
        parent: &Route,
        dest: Ipv6Addr,
        target: Ipv6Addr,
        on_link: bool,
        now: Instant,
    ) {
        let key = parent.key();
        let dst = host_net(dest);
        self.tables
            .fib6
            .remove_where(|e| e.flags.has(RouteFlags::CACHE) && e.dst == dst && e.parent == Some(key));
        let gateway = (!on_link).then_some(IpAddr::V6(target));
        let mut e = Route::new(dst, gateway, parent.dev)
            .with_table(table)
            .with_metric(parent.metric)
            .with_pref(parent.pref)
            .with_flags(RouteFlags::CACHE | RouteFlags::DYNAMIC);
        e.proto = Proto::Redirect;
        e.metrics = parent.metrics;
        e.parent = Some(key);
        let gc = u64::try_from(self.tables.sysctl.global.route6_gc_timeout).unwrap_or(60);
        e.expires = Some(now + Duration::from_secs(gc));
        self.tables.fib6.ensure(e);
    }

    /// `rt6_flush_exceptions`: exceptions go with the route they hang off (lifetime-0 RA, expiry).
    pub(super) fn flush_exceptions(&mut self, gone: &[Route]) {
        if gone.is_empty() {
            return;
        }
        self.tables.fib6.remove_where(|e| {
            e.flags.has(RouteFlags::CACHE) && gone.iter().any(|g| e.parent == Some(g.key()) && e.table == g.table)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::ra_testutil::*;
    use super::*;
    use crate::host::render::ip_route_show_cache;
    use crate::host::route::Pref;
    use crate::wire::build::{append_ipv6, Ipv6Params, Upper, L2};
    use crate::wire::{Icmpv6Repr, MacAddr, NdiscRepr, RouterPreference};

    /// An ICMPv6 echo from us to `dest`, as the Redirected Header would quote it.
    fn inner_echo(dest: Ipv6Addr, proto: u8) -> Vec<u8> {
        let mut b = vec![0u8; 56];
        b[0] = 0x60;
        b[5] = 16;
        b[6] = proto;
        b[7] = 64;
        b[8..24].copy_from_slice(&v6("2001:db8:1:0:5054:ff:fe12:3456").octets());
        b[24..40].copy_from_slice(&dest.octets());
        b[40] = 128;
        b
    }

    fn redirect(src: &str, target: &str, dest: &str, hlim: u8, inner: Option<&[u8]>) -> Vec<u8> {
        let src = v6(src);
        let mut opts = vec![NdOptionRepr::TargetLinkLayerAddr(MacAddr([2, 0, 0, 0, 0, 0x99]))];
        if let Some(i) = inner {
            opts.push(NdOptionRepr::RedirectedHeader(i));
        }
        let msg = Icmpv6Repr::Ndisc(NdiscRepr::Redirect {
            target: v6(target),
            dest: v6(dest),
            options: NdOptions::Reprs(&opts),
        });
        let l2 = L2 {
            src: MacAddr([2, 0, 0, 0, 0, src.octets()[15]]),
            dst: MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56]),
            vlan: None,
        };
        let p = Ipv6Params::new(src, v6("fe80::5054:ff:fe12:3456"), hlim);
        let mut buf = Vec::new();
        append_ipv6(&mut buf, l2, &p, &Upper::Icmpv6(msg)).unwrap();
        buf
    }

    /// Two routers as in D.log: fe80::1 medium (selected), fe80::2 low.
    fn two_routers(sysctls: &[(&str, &str)]) -> One {
        let mut o = one(sysctls);
        o.run(3);
        o.send_ra(&ra("fe80::1"));
        let mut r = ra("fe80::2");
        r.flags.preference = RouterPreference::Low;
        o.send_ra(&r);
        o
    }

    fn get(o: &One, d: &str) -> Option<IpAddr> {
        let q = crate::host::lookup::RouteQuery::to(IpAddr::V6(v6(d)));
        o.host().route_get(&q).ok().and_then(|d| d.gateway)
    }

    #[test]
    fn d11_redirect_from_first_hop_installs_cache_route_and_d13_takes_effect() {
        let mut o = two_routers(&[]);
        let echo = inner_echo(v6("2001:db8:99::1"), 58);
        o.deliver(redirect("fe80::1", "fe80::99", "2001:db8:99::1", 255, Some(&echo)));
        assert_eq!(o.host().redirect_counters().accepted, 1);
        assert_eq!(
            ip_route_show_cache(&o.host().tables, o.now()),
            "2001:db8:99::1 via fe80::99 dev h0 metric 1024 hoplimit 64 pref medium\n"
        );
        assert_eq!(get(&o, "2001:db8:99::1"), Some(IpAddr::V6(v6("fe80::99"))));
        assert_eq!(get(&o, "2001:db8:99::2"), Some(IpAddr::V6(v6("fe80::1"))));
        let n = o.host().neigh.get(o.h0, IpAddr::V6(v6("fe80::99"))).unwrap();
        assert!(n.router, "D11: target flagged as router");
    }

    #[test]
    fn d9a_from_non_selected_router_stored_but_ineffective_d9c_stranger_rejected() {
        let mut o = two_routers(&[]);
        o.deliver(redirect("fe80::2", "fe80::99", "2001:db8:99::1", 255, None));
        assert_eq!(o.host().redirect_counters().accepted, 1);
        assert_eq!(get(&o, "2001:db8:99::1"), Some(IpAddr::V6(v6("fe80::1"))), "D13");
        o.deliver(redirect("fe80::5", "fe80::98", "2001:db8:99::3", 255, None));
        assert_eq!(o.host().redirect_counters().ignored, 1);
        assert!(!ip_route_show_cache(&o.host().tables, o.now()).contains("2001:db8:99::3"));
    }

    #[test]
    fn d9_same_target_under_two_parents_are_two_exceptions() {
        let mut o = two_routers(&[]);
        o.deliver(redirect("fe80::2", "fe80::99", "2001:db8:99::1", 255, None));
        o.deliver(redirect("fe80::1", "fe80::99", "2001:db8:99::1", 255, None));
        assert_eq!(o.host().redirect_counters().accepted, 2);
        assert_eq!(ip_route_show_cache(&o.host().tables, o.now()).lines().count(), 2);
        assert_eq!(get(&o, "2001:db8:99::1"), Some(IpAddr::V6(v6("fe80::99"))));
    }

    /// A TCP header quote: our port `sport` → 22, sequence `seq`, behind an IPv6 header from `src` to `dst`.
    fn inner_tcp(src: Ipv6Addr, dst: Ipv6Addr, sport: u16, seq: u32) -> Vec<u8> {
        let mut b = inner_echo(dst, 6);
        b[8..24].copy_from_slice(&src.octets());
        b[40..42].copy_from_slice(&sport.to_be_bytes());
        b[42..44].copy_from_slice(&22u16.to_be_bytes());
        b[44..48].copy_from_slice(&seq.to_be_bytes());
        b
    }

    #[test]
    fn d10c_tcp_inner_applies_through_its_socket_without_first_hop_check() {
        use crate::transport::socket::Family;
        let mut o = one(&[]);
        o.run(3);
        let mut r = ra("fe80::1");
        r.opts
            .push(crate::wire::NdOptionRepr::PrefixInformation(crate::wire::PrefixInfo {
                prefix_len: 64,
                on_link: true,
                autonomous: true,
                other_flags: 0,
                valid_lifetime: 86400,
                preferred_lifetime: 14400,
                prefix: v6("2001:db8:1::"),
            }));
        o.send_ra(&r);
        o.run(3);
        let server = std::net::SocketAddr::new(IpAddr::V6(v6("2001:db8:99::1")), 22);
        let id = o
            .sim
            .with_host(o.h, |h, ctx| h.tcp_connect(ctx, Family::Inet6, server, None, None))
            .unwrap()
            .unwrap();
        let c = o.host().transport.conn(id).unwrap();
        let (local, una) = (c.tcb.local, c.tcb.snd_una());
        let IpAddr::V6(src) = local.ip() else {
            panic!("v6 socket")
        };
        // Wrong sequence number: OutOfWindowIcmps, ignored.
        let bad = inner_tcp(src, v6("2001:db8:99::1"), local.port(), una.wrapping_add(1000));
        o.deliver(redirect("fe80::5", "fe80::5", "2001:db8:99::1", 255, Some(&bad)));
        // No socket for the 4-tuple: ignored.
        let none = inner_tcp(src, v6("2001:db8:99::1"), local.port().wrapping_add(1), una);
        o.deliver(redirect("fe80::5", "fe80::5", "2001:db8:99::1", 255, Some(&none)));
        assert_eq!(get(&o, "2001:db8:99::1"), Some(IpAddr::V6(v6("fe80::1"))));
        // The right one from fe80::5, which is no route's gateway: applied anyway (D10c).
        let good = inner_tcp(src, v6("2001:db8:99::1"), local.port(), una);
        o.deliver(redirect("fe80::5", "fe80::5", "2001:db8:99::1", 255, Some(&good)));
        assert_eq!(get(&o, "2001:db8:99::1"), Some(IpAddr::V6(v6("fe80::5"))));
        assert_eq!(
            o.host().redirect_counters(),
            RedirectCounters {
                accepted: 1,
                ignored: 2
            }
        );
    }

    #[test]
    fn d1_d3_d5_d6_d7_d10_checks() {
        let mut o = two_routers(&[]);
        let seen = |o: &One| ip_route_show_cache(&o.host().tables, o.now());
        o.deliver(redirect("fe80::1", "fe80::99", "2001:db8:99::1", 64, None)); // D1 hop limit
        o.deliver(redirect("fe80::1", "fe80::99", "ff0e::1", 255, None)); // D5
        o.deliver(redirect("fe80::1", "2001:db8::99", "2001:db8:99::1", 255, None)); // D6
        let udp = inner_echo(v6("2001:db8:99::1"), 17);
        o.deliver(redirect("fe80::1", "fe80::99", "2001:db8:99::1", 255, Some(&udp))); // D10d
        let short = [0u8; 30];
        o.deliver(redirect("fe80::1", "fe80::99", "2001:db8:99::1", 255, Some(&short))); // D10 length
        assert_eq!(seen(&o), "");
        let mut o = two_routers(&[("accept_redirects", "0")]);
        o.deliver(redirect("fe80::1", "fe80::99", "2001:db8:99::1", 255, None)); // D7
        assert_eq!(seen(&o), "");
        let mut o = two_routers(&[("forwarding", "1"), ("accept_ra", "2")]);
        o.deliver(redirect("fe80::1", "fe80::99", "2001:db8:99::1", 255, None)); // D7 forwarding
        assert_eq!(seen(&o), "");
    }

    #[test]
    fn d11_on_link_redirect_has_no_gateway_and_no_router_flag() {
        let mut o = two_routers(&[]);
        o.deliver(redirect("fe80::1", "2001:db8:99::7", "2001:db8:99::7", 255, None));
        assert_eq!(
            ip_route_show_cache(&o.host().tables, o.now()),
            "2001:db8:99::7 dev h0 metric 1024 hoplimit 64 pref medium\n"
        );
        let n = o.host().neigh.get(o.h0, IpAddr::V6(v6("2001:db8:99::7"))).unwrap();
        assert!(!n.router);
        assert_eq!(get(&o, "2001:db8:99::7"), None, "on-link: no gateway");
    }

    #[test]
    fn d12_exception_ages_out_after_gc_timeout_and_goes_with_router_b17() {
        let mut o = two_routers(&[]);
        o.deliver(redirect("fe80::1", "fe80::99", "2001:db8:99::1", 255, None));
        o.run(50);
        assert!(
            !ip_route_show_cache(&o.host().tables, o.now()).is_empty(),
            "still cached at 50 s"
        );
        o.run(11);
        assert_eq!(ip_route_show_cache(&o.host().tables, o.now()), "", "gone by 60 s");
        // A lifetime-0 RA removes the parent route and its exceptions.
        o.deliver(redirect("fe80::1", "fe80::99", "2001:db8:99::1", 255, None));
        let mut r = ra("fe80::1");
        r.rl = 0;
        o.send_ra(&r);
        assert_eq!(ip_route_show_cache(&o.host().tables, o.now()), "");
        assert_eq!(Pref::Medium.name(), "medium");
    }
}
