//! The route-table side of Router Advertisement processing: default routers (B10–B12, A9), Route Information
//! Options (B32–B33), PIO on-link routes (B22, B25) and router→host changes (B17).
//!
//! Only the table operations live here, with their list-order semantics (a refresh keeps the route's place, a metric
//! change re-adds it last). Validating the RA and the sysctl gates (A6–A17) is the RA engine's job.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use ipnet::{IpNet, Ipv6Net};

use super::route::{Pref, Proto, Route, RouteFlags};
use super::tables::HostTables;
use crate::id::IfIndex;
use crate::time::Instant;

/// An infinite RIO/PIO lifetime (0xffffffff): no `expires` (B25, B33).
pub const INFINITE: u32 = u32::MAX;

/// What a table update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RaRouteChange {
    /// A new route was added (it goes last in its node).
    Added,
    /// The existing route kept its place; expiry, preference or metrics were updated (B11).
    Refreshed,
    /// The route was deleted and added again, now last (A9: metric change).
    Readded,
    /// Lifetime 0 deleted the route (B12, B22, B33).
    Removed(Route),
    /// Nothing to do (lifetime 0 for a route that does not exist).
    Unchanged,
}

fn expiry(now: Instant, lifetime: u32) -> Option<Instant> {
    (lifetime != INFINITE).then(|| now + Duration::from_secs(u64::from(lifetime)))
}

/// The default-router part of one RA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaRouter {
    /// Interface the RA arrived on.
    pub dev: IfIndex,
    /// The RA's source (a link-local).
    pub router: Ipv6Addr,
    /// Router Lifetime, seconds.
    pub lifetime: u16,
    /// Router preference (reserved already mapped to medium, B14).
    pub pref: Pref,
    /// conf/IF/ra_defrtr_metric (A9).
    pub metric: u32,
    /// CurHopLimit when applied (A14), stored as the route's hoplimit metric.
    pub hoplimit: Option<u8>,
}

const RA_ROUTER: u32 = RouteFlags::ADDRCONF | RouteFlags::DEFAULT;

impl HostTables {
    /// The default route learned from an RA (ndisc.c:ndisc_router_discovery with rt6_get_dflt_router /
    /// rt6_add_dflt_router). Lifetime 0 deletes it (B12); a changed `metric` (ra_defrtr_metric) deletes and re-adds
    /// it (A9); otherwise the route is refreshed in place: expiry = lifetime, preference updated (B11).
    pub fn ra_default_router(&mut self, ra: &RaRouter, now: Instant) -> RaRouteChange {
        let RaRouter {
            dev,
            router,
            lifetime,
            pref,
            metric,
            hoplimit,
        } = *ra;
        let gw = IpAddr::V6(router);
        let is_it = |r: &Route| {
            r.is_v6() && r.dst.prefix_len() == 0 && r.dev == dev && r.gateway == Some(gw) && r.flags.has(RA_ROUTER)
        };
        let mut readd = false;
        if let Some(old) = self.fib6.table(super::route::table::MAIN).iter().find(|r| is_it(r)) {
            if lifetime == 0 || old.metric != metric {
                let removed = self.fib6.remove_where(is_it);
                if lifetime == 0 {
                    return removed
                        .into_iter()
                        .next()
                        .map_or(RaRouteChange::Unchanged, RaRouteChange::Removed);
                }
                readd = true;
            }
        }
        let expires = Some(now + Duration::from_secs(u64::from(lifetime)));
        if let Some(r) = self.fib6.find_mut(is_it) {
            r.pref = pref;
            r.expires = expires;
            if hoplimit.is_some() {
                r.metrics.hoplimit = hoplimit;
            }
            return RaRouteChange::Refreshed;
        }
        if lifetime == 0 {
            return RaRouteChange::Unchanged;
        }
        let mut r = Route::new(IpNet::V6(Ipv6Net::default()), Some(gw), dev)
            .with_metric(metric)
            .with_proto(Proto::Ra)
            .with_pref(pref)
            .with_flags(RA_ROUTER);
        r.expires = expires;
        r.metrics.hoplimit = hoplimit;
        self.fib6.ensure(r);
        if readd {
            RaRouteChange::Readded
        } else {
            RaRouteChange::Added
        }
    }

    /// A Route Information Option from `router` (route.c:rt6_route_rcv, rt6_add_route_info): `P/len via R dev IF
    /// proto ra metric 1024 expires <lt>sec pref <prf>`, RTF_ROUTEINFO|RTF_GATEWAY|RTF_ADDRCONF, plus RTF_DEFAULT
    /// for ::/0 (B32, B33). Lifetime 0 deletes; an existing route is refreshed in place.
    pub fn ra_route_info(
        &mut self,
        dev: IfIndex,
        router: Ipv6Addr,
        prefix: Ipv6Net,
        lifetime: u32,
        pref: Pref,
        now: Instant,
    ) -> RaRouteChange {
        let dst = IpNet::V6(prefix.trunc());
        let gw = IpAddr::V6(router);
        let is_it =
            |r: &Route| r.dst == dst && r.dev == dev && r.gateway == Some(gw) && r.flags.has(RouteFlags::ROUTEINFO);
        if lifetime == 0 {
            return self
                .fib6
                .remove_where(is_it)
                .into_iter()
                .next()
                .map_or(RaRouteChange::Unchanged, RaRouteChange::Removed);
        }
        if let Some(r) = self.fib6.find_mut(is_it) {
            r.pref = pref;
            r.expires = expiry(now, lifetime);
            return RaRouteChange::Refreshed;
        }
        let default = if dst.prefix_len() == 0 { RouteFlags::DEFAULT } else { 0 };
        let mut r = Route::new(dst, Some(gw), dev)
            .with_proto(Proto::Ra)
            .with_pref(pref)
            .with_flags(RouteFlags::ROUTEINFO | RouteFlags::ADDRCONF | default);
        r.expires = expiry(now, lifetime);
        self.fib6.ensure(r);
        RaRouteChange::Added
    }

    /// A PIO with L=1 (addrconf.c:addrconf_prefix_rcv → addrconf_prefix_route): `P/len dev IF proto kernel metric 256
    /// [expires <valid>sec] pref medium` with RTF_ADDRCONF|RTF_PREFIX_RT. The route takes the received valid lifetime
    /// as is (no two-hour rule, B22); valid 0 deletes it at once.
    pub fn ra_prefix_route(&mut self, dev: IfIndex, prefix: Ipv6Net, valid: u32, now: Instant) -> RaRouteChange {
        let dst = IpNet::V6(prefix.trunc());
        let is_it = |r: &Route| {
            r.dst == dst && r.dev == dev && r.gateway.is_none() && r.metric == 256 && r.proto == Proto::Kernel
        };
        if valid == 0 {
            let removed = self
                .fib6
                .remove_where(|r| is_it(r) && r.flags.has(RouteFlags::ADDRCONF | RouteFlags::PREFIX_RT));
            return removed
                .into_iter()
                .next()
                .map_or(RaRouteChange::Unchanged, RaRouteChange::Removed);
        }
        if let Some(r) = self.fib6.find_mut(is_it) {
            // addrconf_prefix_rcv looks the route up by RTF_ADDRCONF|RTF_PREFIX_RT: a static address's prefix
            // route lacks them, so the RA's route add meets it as a duplicate (fib6_add_rt2node → -EEXIST), which
            // only re-times a route that already expires. A permanent one stays permanent (docs/fidelity.md #7).
            if r.flags.has(RouteFlags::ADDRCONF | RouteFlags::PREFIX_RT) || r.expires.is_some() {
                r.expires = expiry(now, valid);
                return RaRouteChange::Refreshed;
            }
            return RaRouteChange::Unchanged;
        }
        let mut r = Route::new(dst, None, dev)
            .with_metric(256)
            .with_proto(Proto::Kernel)
            .with_flags(RouteFlags::ADDRCONF | RouteFlags::PREFIX_RT);
        r.expires = expiry(now, valid);
        self.fib6.ensure(r);
        RaRouteChange::Added
    }

    /// A router turned host (NA with R=0, RFC 4861 §7.2.5): every RA default route through it goes, and the redirect
    /// exceptions through it (B17; route.c:rt6_clean_tohost, fib6_clean_tohost). Returns the removed routes.
    pub fn router_became_host(&mut self, dev: IfIndex, router: Ipv6Addr) -> Vec<Route> {
        let gw = Some(IpAddr::V6(router));
        self.fib6.remove_where(|r| {
            r.gateway == gw && r.dev == dev && (r.flags.has(RA_ROUTER) || r.flags.has(RouteFlags::CACHE))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::render::{ip_route_show, TableFilter};
    use crate::host::route::table;

    fn host() -> (HostTables, IfIndex) {
        let mut t = HostTables::new();
        let h0 = t.add_interface("h0", [0x52, 0x54, 0, 0x12, 0x34, 0x56], 1500).unwrap();
        t.set_link(h0, true).unwrap();
        (t, h0)
    }

    fn v6(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    fn defaults(t: &HostTables, now: Instant) -> String {
        let all = ip_route_show(t, true, TableFilter::Only(table::MAIN), now);
        all.lines()
            .filter(|l| l.starts_with("default"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn b11_refresh_keeps_place_a9_metric_change_goes_last_b12_removes() {
        let (mut t, h0) = host();
        let t0 = Instant::from_secs(0);
        assert_eq!(
            t.ra_default_router(
                &RaRouter {
                    dev: h0,
                    router: v6("fe80::1"),
                    lifetime: 1800,
                    pref: Pref::Medium,
                    metric: 1024,
                    hoplimit: Some(64)
                },
                t0
            ),
            RaRouteChange::Added
        );
        assert_eq!(
            t.ra_default_router(
                &RaRouter {
                    dev: h0,
                    router: v6("fe80::2"),
                    lifetime: 1200,
                    pref: Pref::High,
                    metric: 1024,
                    hoplimit: Some(64)
                },
                t0
            ),
            RaRouteChange::Added
        );
        let t1 = Instant::from_secs(100);
        assert_eq!(
            t.ra_default_router(
                &RaRouter {
                    dev: h0,
                    router: v6("fe80::1"),
                    lifetime: 1800,
                    pref: Pref::Low,
                    metric: 1024,
                    hoplimit: None
                },
                t1
            ),
            RaRouteChange::Refreshed
        );
        assert_eq!(
            defaults(&t, t1),
            "default via fe80::1 dev h0 proto ra metric 1024 expires 1800sec hoplimit 64 pref low\n\
             default via fe80::2 dev h0 proto ra metric 1024 expires 1100sec hoplimit 64 pref high"
        );
        assert_eq!(
            t.ra_default_router(
                &RaRouter {
                    dev: h0,
                    router: v6("fe80::1"),
                    lifetime: 1800,
                    pref: Pref::Low,
                    metric: 2048,
                    hoplimit: None
                },
                t1
            ),
            RaRouteChange::Readded
        );
        assert!(defaults(&t, t1).ends_with("default via fe80::1 dev h0 proto ra metric 2048 expires 1800sec pref low"));
        assert!(matches!(
            t.ra_default_router(
                &RaRouter {
                    dev: h0,
                    router: v6("fe80::2"),
                    lifetime: 0,
                    pref: Pref::High,
                    metric: 1024,
                    hoplimit: None
                },
                t1
            ),
            RaRouteChange::Removed(_)
        ));
        assert_eq!(
            t.ra_default_router(
                &RaRouter {
                    dev: h0,
                    router: v6("fe80::2"),
                    lifetime: 0,
                    pref: Pref::High,
                    metric: 1024,
                    hoplimit: None
                },
                t1
            ),
            RaRouteChange::Unchanged
        );
    }

    #[test]
    fn b32_b33_route_information() {
        // B3.log:54-55 and :88.
        let (mut t, h0) = host();
        let now = Instant::from_secs(3);
        t.ra_route_info(
            h0,
            v6("fe80::1"),
            "2001:db8:99::/48".parse().unwrap(),
            600,
            Pref::High,
            Instant::ZERO,
        );
        t.ra_route_info(
            h0,
            v6("fe80::9"),
            "::/0".parse().unwrap(),
            886,
            Pref::Low,
            Instant::ZERO,
        );
        let all = ip_route_show(&t, true, TableFilter::Only(table::MAIN), now);
        assert!(all.contains("2001:db8:99::/48 via fe80::1 dev h0 proto ra metric 1024 expires 597sec pref high\n"));
        assert!(all.contains("default via fe80::9 dev h0 proto ra metric 1024 expires 883sec pref low\n"));
        assert!(
            t.fib6.table(table::MAIN).iter().any(|r| r.is_ra_default()),
            "RIO ::/0 is a default router route"
        );
        let gone = t.ra_route_info(
            h0,
            v6("fe80::1"),
            "2001:db8:99::/48".parse().unwrap(),
            0,
            Pref::High,
            now,
        );
        assert!(matches!(gone, RaRouteChange::Removed(_)));
        let inf = t.ra_route_info(
            h0,
            v6("fe80::1"),
            "2001:db8:98::/48".parse().unwrap(),
            INFINITE,
            Pref::Medium,
            now,
        );
        assert_eq!(inf, RaRouteChange::Added);
        assert!(ip_route_show(&t, true, TableFilter::Only(table::MAIN), now)
            .contains("2001:db8:98::/48 via fe80::1 dev h0 proto ra metric 1024 pref medium\n"));
    }

    #[test]
    fn pio_for_a_static_prefix_leaves_the_permanent_route_alone() {
        // A static address's connected route (proto kernel, metric 256, no RTF_ADDRCONF): Linux's RA lookup misses
        // it and the duplicate add leaves it permanent; a PIO with valid 0 does not remove it either.
        let (mut t, h0) = host();
        let p: Ipv6Net = "2001:db8:7::/64".parse().unwrap();
        let connected = Route::new(IpNet::V6(p), None, h0)
            .with_metric(256)
            .with_proto(Proto::Kernel);
        t.fib6.ensure(connected);
        assert_eq!(t.ra_prefix_route(h0, p, 600, Instant::ZERO), RaRouteChange::Unchanged);
        assert_eq!(t.ra_prefix_route(h0, p, 0, Instant::ZERO), RaRouteChange::Unchanged);
        let shown = ip_route_show(&t, true, TableFilter::Only(table::MAIN), Instant::ZERO);
        assert!(
            shown.contains("2001:db8:7::/64 dev h0 proto kernel metric 256 pref medium\n"),
            "{shown}"
        );
        // An expiring route that is not the RA's own (e.g. `ip route add … expires 100`) is re-timed.
        let q: Ipv6Net = "2001:db8:8::/64".parse().unwrap();
        let mut timed = Route::new(IpNet::V6(q), None, h0)
            .with_metric(256)
            .with_proto(Proto::Kernel);
        timed.expires = Some(Instant::ZERO + Duration::from_secs(100));
        t.fib6.ensure(timed);
        assert_eq!(t.ra_prefix_route(h0, q, 600, Instant::ZERO), RaRouteChange::Refreshed);
    }

    #[test]
    fn b22_b25_prefix_route_and_b17_router_to_host() {
        let (mut t, h0) = host();
        let p: Ipv6Net = "2001:db8:1::/64".parse().unwrap();
        assert_eq!(t.ra_prefix_route(h0, p, 86400, Instant::ZERO), RaRouteChange::Added);
        assert_eq!(t.ra_prefix_route(h0, p, 60, Instant::ZERO), RaRouteChange::Refreshed);
        assert!(
            ip_route_show(&t, true, TableFilter::Only(table::MAIN), Instant::from_millis(500))
                .contains("2001:db8:1::/64 dev h0 proto kernel metric 256 expires 59sec pref medium\n")
        );
        assert!(matches!(
            t.ra_prefix_route(h0, p, 0, Instant::ZERO),
            RaRouteChange::Removed(_)
        ));
        t.ra_default_router(
            &RaRouter {
                dev: h0,
                router: v6("fe80::2"),
                lifetime: 1800,
                pref: Pref::Medium,
                metric: 1024,
                hoplimit: None,
            },
            Instant::ZERO,
        );
        t.route_add(Route::new(
            "2001:db8:55::/64".parse().unwrap(),
            Some("fe80::2".parse().unwrap()),
            h0,
        ))
        .unwrap();
        let gone = t.router_became_host(h0, v6("fe80::2"));
        assert_eq!(gone.len(), 1, "only the RA default route; the static route stays");
        assert_eq!(
            t.fib6.table(table::MAIN).iter().filter(|r| r.gateway.is_some()).count(),
            1
        );
    }
}
