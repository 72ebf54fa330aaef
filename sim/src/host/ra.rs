//! Router Advertisement processing on the host, as `net/ipv6/ndisc.c:ndisc_router_discovery` does it
//! (linux-ipv6.md §A and B5–B20, B32–B36).
//!
//! The common ND checks (hop limit 255, no Fragment header, code 0, option lengths, checksum; B1–B6, B47) and the
//! neighbour-cache update that happens even for ignored RAs (A7, B18) run before this in [`super::ndisc`]. Here:
//! the `accept_ra` gate (A6), the default-router block (`accept_ra_defrtr`, `accept_ra_min_lft`,
//! `accept_ra_from_local`, `accept_ra_rtr_pref`, `ra_defrtr_metric`, CurHopLimit with `accept_ra_min_hop_limit`;
//! A8–A17, B10–B14), the Reachable/Retrans timers (B19), M/O flags (B20), Route Information Options (A12–A13,
//! B32–B34), PIOs (handed to [`super::slaac`]) and the MTU option (A15, B36).
//!
//! Options are walked on the received bytes ([`NdOptions::reprs`] over the wire views): nothing is allocated per
//! option, so an RA delivered to 10,000 hosts costs each host one walk.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr};

use ipnet::Ipv6Net;

use super::node::Host;
use super::ra_routes::{RaRouteChange, RaRouter};
use super::redirect::RedirectCounters;
use super::route::{Pref, RouteFlags};
use super::rs::RsState;
use super::slaac::TempAddr;
use crate::id::IfIndex;
use crate::node::Ctx;
use crate::time::Instant;
use crate::wire::{NdOptionRepr, NdOptionType, NdOptions, RaFlags, RouteInfo, RouterPreference};

/// The fields of a received Router Advertisement (RFC 4861 §4.2) the host acts on.
#[derive(Debug, Clone, Copy)]
pub struct RaMessage<'a> {
    /// The RA's IPv6 source (already checked to be link-local, B5).
    pub src: Ipv6Addr,
    /// Cur Hop Limit; 0 = unspecified.
    pub hop_limit: u8,
    /// M, O and the default router preference.
    pub flags: RaFlags,
    /// Router Lifetime, seconds.
    pub router_lifetime: u16,
    /// Reachable Time, ms; 0 = unspecified.
    pub reachable_time: u32,
    /// Retrans Timer, ms; 0 = unspecified.
    pub retrans_time: u32,
    /// The options area.
    pub options: NdOptions<'a>,
}

/// What Linux keeps per interface from RAs and for RS (`struct inet6_dev`: if_flags, ra_mtu, rs_*, token,
/// desync_factor).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RaIfState {
    /// IF_RA_MANAGED: M flag of the last accepted RA (B20; stored only, no DHCPv6 is started).
    pub managed: bool,
    /// IF_RA_OTHERCONF: O flag of the last accepted RA (B20).
    pub other: bool,
    /// `ra_mtu`: the last MTU option seen, even an out-of-range one (B36).
    pub ra_mtu: Option<u32>,
    /// RAs processed past the `accept_ra` gate.
    pub accepted: u64,
    /// RAs ignored by the `accept_ra` gate (neighbour cache still updated, A7).
    pub ignored: u64,
    /// Router Solicitation state (A27).
    pub rs: RsState,
    /// `ip token set` (B31).
    pub token: Option<Ipv6Addr>,
    /// RFC 8981 DESYNC_FACTOR in seconds, drawn once per interface (C12).
    pub desync_factor: Option<u32>,
}

/// The host's RA/SLAAC/RS state across interfaces.
#[derive(Debug, Clone, Default)]
pub struct RaHostState {
    /// Per interface, by index (BTreeMap: iteration order is deterministic).
    pub ifs: BTreeMap<IfIndex, RaIfState>,
    /// Temporary addresses and the public SLAAC address each belongs to (`ifpub`, C12).
    pub temps: Vec<TempAddr>,
    /// `ifpub->regen_count`: temporaries made for each public address since its last regular regeneration.
    pub regen_counts: Vec<(IfIndex, Ipv6Addr, u32)>,
    /// The earliest RS timer of all interfaces, kept current by the RS code (`Host::poll_timeout` asks for it
    /// after every event, so it must not walk the interfaces).
    pub rs_next: Option<Instant>,
    /// Redirect counters (§D).
    pub redirects: RedirectCounters,
}

/// The `conf/IF` values one RA reads, copied once so the walk does not re-borrow the sysctl table.
#[derive(Debug, Clone, Copy)]
pub(super) struct RaConf {
    pub accept_ra_defrtr: i32,
    pub accept_ra_min_lft: i32,
    pub accept_ra_from_local: i32,
    pub accept_ra_rtr_pref: i32,
    pub ra_defrtr_metric: i32,
    pub accept_ra_min_hop_limit: i32,
    pub accept_ra_rt_info_min_plen: i32,
    pub accept_ra_rt_info_max_plen: i32,
    pub accept_ra_pinfo: i32,
    pub accept_ra_mtu: i32,
    pub mtu: i32,
}

/// Below `accept_ra_min_lft` (A16): a non-zero lifetime under the minimum is ignored; zero still withdraws.
pub(super) fn below_min_lft(lifetime: u32, min_lft: i32) -> bool {
    lifetime != 0 && i64::from(lifetime) < i64::from(min_lft)
}

/// The route preference of the RA header: reserved (10) is medium, and so is everything with
/// `accept_ra_rtr_pref = 0` (B14, A12).
pub fn ra_pref(p: RouterPreference, accept_rtr_pref: bool) -> Pref {
    match p {
        RouterPreference::High if accept_rtr_pref => Pref::High,
        RouterPreference::Low if accept_rtr_pref => Pref::Low,
        _ => Pref::Medium,
    }
}

/// Whether a RIO passes the `ndisc_router_discovery` filters: ::/0 needs `accept_ra_defrtr` (B34), a non-zero
/// lifetime must reach `accept_ra_min_lft` (A16), the length must sit in [min_plen, max_plen] (A13), and the
/// reserved preference is rejected by `rt6_route_rcv` (B34). Length/prefix-length rules are the parser's.
pub(super) fn rio_accepted(ri: &RouteInfo, c: &RaConf) -> bool {
    let plen = i32::from(ri.prefix_len);
    let default_skipped = ri.prefix_len == 0 && c.accept_ra_defrtr == 0;
    !default_skipped
        && !below_min_lft(ri.lifetime, c.accept_ra_min_lft)
        && plen >= c.accept_ra_rt_info_min_plen
        && plen <= c.accept_ra_rt_info_max_plen
        && ri.preference != RouterPreference::Reserved
}

/// CurHopLimit handling (A14): 0 leaves everything; below `accept_ra_min_hop_limit` is ignored; a minimum of
/// 256 or more turns the feature off.
pub(super) fn applied_hop_limit(hop_limit: u8, min_hop_limit: i32) -> Option<u8> {
    (min_hop_limit < 256 && hop_limit != 0 && min_hop_limit <= i32::from(hop_limit)).then_some(hop_limit)
}

impl Host {
    /// RA state of an interface, if any RA or RS touched it.
    pub fn ra_state(&self, ifindex: IfIndex) -> Option<&RaIfState> {
        self.ra.ifs.get(&ifindex)
    }

    /// `ip token set TOKEN dev IF` (B31): later SLAAC addresses use the token's low 64 bits as IID.
    pub fn set_token(&mut self, ifindex: IfIndex, token: Option<Ipv6Addr>) {
        self.ra.ifs.entry(ifindex).or_default().token = token;
    }

    fn ra_conf(&self, ifindex: IfIndex) -> RaConf {
        let c = self.tables.sysctl.v6(ifindex);
        RaConf {
            accept_ra_defrtr: c.accept_ra_defrtr,
            accept_ra_min_lft: c.accept_ra_min_lft,
            accept_ra_from_local: c.accept_ra_from_local,
            accept_ra_rtr_pref: c.accept_ra_rtr_pref,
            ra_defrtr_metric: c.ra_defrtr_metric,
            accept_ra_min_hop_limit: c.accept_ra_min_hop_limit,
            accept_ra_rt_info_min_plen: c.accept_ra_rt_info_min_plen,
            accept_ra_rt_info_max_plen: c.accept_ra_rt_info_max_plen,
            accept_ra_pinfo: c.accept_ra_pinfo,
            accept_ra_mtu: c.accept_ra_mtu,
            mtu: c.mtu,
        }
    }

    /// `ndisc_router_discovery` after the neighbour update, in the kernel's order: accept_ra gate (A6), RS
    /// bookkeeping (A27), M/O (B20), default router + CurHopLimit (A8–A9, A14, A16–A17, B10–B14), timers (B19),
    /// RIOs (A12–A13, B32–B34), PIOs (A10, B21–B31), MTU (A15, B36). RDNSS/DNSSL go to userspace in Linux and leave
    /// no kernel state (B35), so nothing is kept for them here.
    pub(super) fn process_ra(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, ra: &RaMessage<'_>) {
        let accept = self.tables.sysctl.accept_ra(ifindex);
        let st = self.ra.ifs.entry(ifindex).or_default();
        if !accept {
            st.ignored += 1;
            return;
        }
        st.accepted += 1;
        if st.rs.sent {
            st.rs.ra_received = true; // IF_RA_RCVD: the RS timer stops (addrconf_rs_timer)
        }
        st.managed = ra.flags.managed;
        st.other = ra.flags.other;
        let conf = self.ra_conf(ifindex);
        let now = ctx.now;
        // ipv6_chk_addr(saddr, dev): an RA from one of our own addresses on this interface (A17).
        let from_local = conf.accept_ra_from_local == 0
            && self
                .tables
                .addrs
                .get(ifindex, IpAddr::V6(ra.src))
                .is_some_and(|a| a.is_usable());
        let lifetime = ra.router_lifetime;
        let mut router_route = false;
        if conf.accept_ra_defrtr != 0 && !below_min_lft(u32::from(lifetime), conf.accept_ra_min_lft) && !from_local {
            let pref = ra_pref(ra.flags.preference, conf.accept_ra_rtr_pref != 0);
            let hoplimit = applied_hop_limit(ra.hop_limit, conf.accept_ra_min_hop_limit);
            let change = self.tables.ra_default_router(
                &RaRouter {
                    dev: ifindex,
                    router: ra.src,
                    lifetime,
                    pref,
                    metric: u32::try_from(conf.ra_defrtr_metric).unwrap_or(1024),
                    hoplimit,
                },
                now,
            );
            if let RaRouteChange::Removed(gone) = &change {
                self.flush_exceptions(std::slice::from_ref(gone));
            }
            router_route = matches!(
                change,
                RaRouteChange::Added | RaRouteChange::Refreshed | RaRouteChange::Readded
            );
            if let (Some(h), Some(c)) = (hoplimit, self.tables.sysctl.v6_mut(ifindex)) {
                c.hop_limit = i32::from(h);
            }
        }
        self.apply_ra_timers(ctx, ifindex, ra.reachable_time, ra.retrans_time);
        let accept_rtr_pref = conf.accept_ra_rtr_pref != 0;
        let sllao = ra.options.source_lladdr().is_some();
        let pio_or_rio = |k| matches!(k, NdOptionType::PrefixInformation | NdOptionType::RouteInformation);
        for opt in ra.options.reprs_where(pio_or_rio) {
            match opt {
                Ok(NdOptionRepr::RouteInformation(ri))
                    if !from_local && accept_rtr_pref && rio_accepted(&ri, &conf) =>
                {
                    self.route_info_rcv(ifindex, ra.src, &ri, now);
                }
                Ok(NdOptionRepr::PrefixInformation(pi)) if conf.accept_ra_pinfo != 0 => {
                    self.prefix_rcv(ctx, ifindex, &pi, sllao);
                }
                _ => {}
            }
        }
        if let Some(mtu) = ra.options.mtu().filter(|_| conf.accept_ra_mtu != 0) {
            self.ra_mtu_option(ifindex, ra.src, mtu, conf.mtu, router_route);
        }
    }

    /// Reachable Time and Retrans Timer (B19): the neighbour table's parameters and the `neigh/IF/*` sysctls,
    /// with the kernel's floors (100 ms reachable, 10 ms retrans) and gc_stale_time = 3 × reachable.
    fn apply_ra_timers(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, reachable_ms: u32, retrans_ms: u32) {
        if reachable_ms == 0 && retrans_ms == 0 {
            return;
        }
        self.neigh.apply_ra_timers(ifindex, reachable_ms, retrans_ms, ctx.rng);
        if let Some(p) = self.tables.sysctl.neigh6_mut(ifindex) {
            if retrans_ms != 0 {
                p.retrans_time_ms = i32::try_from(retrans_ms.max(10)).unwrap_or(i32::MAX);
            }
            if reachable_ms != 0 {
                let base = i32::try_from(reachable_ms.max(100)).unwrap_or(i32::MAX);
                p.base_reachable_time_ms = base;
                p.gc_stale_time = (base / 1000).saturating_mul(3);
            }
        }
    }

    /// `rt6_route_rcv` (B32–B33): ::/0 acts on the router's default route when there is one (rt6_get_dflt_router:
    /// lifetime 0 deletes it, otherwise preference and expiry are updated), else it goes through the RIO table op.
    fn route_info_rcv(&mut self, ifindex: IfIndex, router: Ipv6Addr, ri: &RouteInfo, now: crate::time::Instant) {
        let pref = ra_pref(ri.preference, true);
        let Ok(prefix) = Ipv6Net::new(ri.prefix, ri.prefix_len) else {
            return;
        };
        if ri.prefix_len == 0 {
            let gw = Some(IpAddr::V6(router));
            let is_dflt = |r: &super::route::Route| {
                r.is_v6()
                    && r.dst.prefix_len() == 0
                    && r.dev == ifindex
                    && r.gateway == gw
                    && r.flags.has(RouteFlags::ADDRCONF | RouteFlags::DEFAULT)
            };
            if ri.lifetime == 0 {
                self.tables.fib6.remove_where(is_dflt);
                return;
            }
            if let Some(r) = self.tables.fib6.find_mut(is_dflt) {
                r.pref = pref;
                r.expires = (ri.lifetime != super::ra_routes::INFINITE)
                    .then(|| now + std::time::Duration::from_secs(u64::from(ri.lifetime)));
                return;
            }
        }
        self.tables
            .ra_route_info(ifindex, router, prefix, ri.lifetime, pref, now);
    }

    /// The MTU option (A15, B36): recorded as `ra_mtu` always; applied to conf/IF/mtu only within
    /// [1280, device MTU] and when it changes, and then set as the `mtu` metric of this router's default route.
    fn ra_mtu_option(&mut self, ifindex: IfIndex, router: Ipv6Addr, mtu: u32, conf_mtu: i32, router_route: bool) {
        if let Some(st) = self.ra.ifs.get_mut(&ifindex) {
            st.ra_mtu = Some(mtu);
        }
        let dev_mtu = self.tables.ifaces.get(ifindex).map_or(1280, |i| i.mtu);
        if !(1280..=dev_mtu).contains(&mtu) || i64::from(conf_mtu) == i64::from(mtu) {
            return;
        }
        if let Some(c) = self.tables.sysctl.v6_mut(ifindex) {
            c.mtu = i32::try_from(mtu).unwrap_or(i32::MAX);
        }
        if router_route {
            let gw = Some(IpAddr::V6(router));
            if let Some(r) = self.tables.fib6.find_mut(|r| {
                r.dst.prefix_len() == 0 && r.dev == ifindex && r.gateway == gw && r.is_ra_default() && r.is_v6()
            }) {
                r.metrics.mtu = Some(mtu);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ra_testutil::*;
    use super::*;
    use crate::wire::{Ipv6ExtRepr, PrefixInfo};

    fn pio(p: &str, len: u8, valid: u32, pref: u32) -> NdOptionRepr<'static> {
        NdOptionRepr::PrefixInformation(PrefixInfo {
            prefix_len: len,
            on_link: true,
            autonomous: true,
            other_flags: 0,
            valid_lifetime: valid,
            preferred_lifetime: pref,
            prefix: v6(p),
        })
    }

    #[test]
    fn b10_default_route_as_linux_installs_it_with_b19_timers_and_a15_mtu() {
        // B1.log: nd.py ra pfx=2001:db8:1::/64 mtu=1400 chlim=61 reach=20000 retrans=1500, shown ~4 s later.
        let mut o = one(&[]);
        let mut r = ra("fe80::1");
        r.chlim = 61;
        r.reach = 20000;
        r.retrans = 1500;
        r.opts.push(NdOptionRepr::Mtu(1400));
        r.opts.push(pio("2001:db8:1::", 64, 86400, 14400));
        o.send_ra(&r);
        o.run(4);
        assert_eq!(
            o.defaults(),
            ["default via fe80::1 dev h0 proto ra metric 1024 expires 1796sec mtu 1400 hoplimit 61 pref medium"]
        );
        let h = o.host();
        assert_eq!(h.tables.sysctl.v6(o.h0).hop_limit, 61);
        assert_eq!(h.tables.sysctl.v6(o.h0).mtu, 1400);
        assert_eq!(h.tables.sysctl.neigh6(o.h0).base_reachable_time_ms, 20000);
        assert_eq!(h.tables.sysctl.neigh6(o.h0).retrans_time_ms, 1500);
    }

    #[test]
    fn a6_accept_ra_zero_or_forwarding_ignores_but_a7_neighbour_is_updated() {
        let mut o = one(&[("accept_ra", "0")]);
        o.send_ra(&ra("fe80::7"));
        assert!(o.defaults().is_empty());
        let n = o.host().neigh.get(o.h0, IpAddr::V6(v6("fe80::7"))).unwrap();
        assert!(n.router, "A7: router flag set from an ignored RA");
        assert_eq!(o.host().ra_state(o.h0).unwrap().ignored, 1);
        // forwarding=1 with accept_ra=1 ignores; accept_ra=2 accepts (A6, B3.log).
        let mut o = one(&[("forwarding", "1")]);
        o.send_ra(&ra("fe80::f"));
        assert!(o.defaults().is_empty());
        let mut o = one(&[("forwarding", "1"), ("accept_ra", "2")]);
        o.send_ra(&ra("fe80::f"));
        assert_eq!(o.defaults().len(), 1);
    }

    #[test]
    fn a8_accept_ra_defrtr_zero_skips_route_and_hop_limit_but_not_pio() {
        let mut o = one(&[("accept_ra_defrtr", "0")]);
        let mut r = ra("fe80::d");
        r.chlim = 33;
        r.opts.push(pio("2001:db8:d::", 64, 86400, 14400));
        o.send_ra(&r);
        assert!(o.defaults().is_empty());
        assert_eq!(o.host().tables.sysctl.v6(o.h0).hop_limit, 64);
        assert!(o.routes().contains("2001:db8:d::/64 dev h0 proto kernel metric 256"));
    }

    #[test]
    fn a9_ra_defrtr_metric_readds_with_new_metric() {
        let mut o = one(&[]);
        o.send_ra(&ra("fe80::1"));
        let h0 = o.h0;
        o.sim.with_host(o.h, |h, ctx| {
            h.set_sysctl(
                ctx,
                &format!("net.ipv6.conf.{}.ra_defrtr_metric", h.tables.ifaces.name(h0)),
                "2048",
            )
        });
        o.send_ra(&ra("fe80::1"));
        assert_eq!(o.defaults().len(), 1);
        assert!(o.defaults()[0].contains("metric 2048"), "{:?}", o.defaults());
    }

    #[test]
    fn a12_b14_preference_reserved_is_medium_and_rtr_pref_zero_flattens() {
        let mut o = one(&[]);
        let mut r = ra("fe80::8");
        r.flags.preference = RouterPreference::Reserved;
        o.send_ra(&r);
        let mut r = ra("fe80::2");
        r.flags.preference = RouterPreference::High;
        o.send_ra(&r);
        let d = o.defaults();
        assert!(d[0].ends_with("pref medium") && d[1].ends_with("pref high"), "{d:?}");
        let mut o = one(&[("accept_ra_rtr_pref", "0")]);
        o.send_ra(&r);
        assert!(o.defaults()[0].ends_with("pref medium"));
    }

    #[test]
    fn b12_lifetime_zero_removes_router_but_processes_pio() {
        let mut o = one(&[]);
        o.send_ra(&ra("fe80::2"));
        let mut r = ra("fe80::2");
        r.rl = 0;
        r.opts.push(pio("2001:db8:2::", 64, 600, 300));
        o.send_ra(&r);
        assert!(o.defaults().is_empty());
        assert!(o.routes().contains("2001:db8:2::/64 dev h0"));
    }

    #[test]
    fn b13_default_route_expires_in_virtual_time() {
        let mut o = one(&[]);
        let mut r = ra("fe80::3");
        r.rl = 30;
        o.send_ra(&r);
        o.run(29);
        assert_eq!(o.defaults().len(), 1);
        o.run(2);
        assert!(o.defaults().is_empty());
    }

    #[test]
    fn a13_rio_plen_window_and_b34_reserved_pref() {
        let rio = |p: &str, len: u8, prf: RouterPreference| {
            NdOptionRepr::RouteInformation(RouteInfo {
                prefix_len: len,
                preference: prf,
                lifetime: 600,
                prefix: v6(p),
            })
        };
        let mut o = one(&[]);
        let mut r = ra("fe80::1");
        r.opts.push(rio("2001:db8:99::", 48, RouterPreference::High));
        o.send_ra(&r);
        assert!(
            !o.routes().contains("2001:db8:99::/48"),
            "default max_plen 0 ignores prefixes"
        );
        let mut o = one(&[("accept_ra_rt_info_max_plen", "64")]);
        r.opts.push(rio("2001:db8:98::", 64, RouterPreference::Low));
        r.opts.push(rio("2001:db8:97::", 80, RouterPreference::Low));
        r.opts.push(rio("2001:db8:96::", 48, RouterPreference::Reserved));
        o.send_ra(&r);
        let routes = o.routes();
        assert!(routes.contains("2001:db8:99::/48 via fe80::1 dev h0 proto ra metric 1024 expires 600sec pref high"));
        assert!(routes.contains("2001:db8:98::/64 via fe80::1"));
        assert!(!routes.contains("2001:db8:97::"), "/80 above max_plen");
        assert!(!routes.contains("2001:db8:96::"), "reserved preference");
    }

    #[test]
    fn b33_rio_default_from_rl0_ra_and_a8_skip() {
        let rio0 = NdOptionRepr::RouteInformation(RouteInfo {
            prefix_len: 0,
            preference: RouterPreference::Low,
            lifetime: 886,
            prefix: Ipv6Addr::UNSPECIFIED,
        });
        let mut o = one(&[]);
        let mut r = ra("fe80::9");
        r.rl = 0;
        r.opts.push(rio0);
        o.send_ra(&r);
        assert_eq!(
            o.defaults(),
            ["default via fe80::9 dev h0 proto ra metric 1024 expires 886sec pref low"]
        );
        let mut o = one(&[("accept_ra_defrtr", "0")]);
        o.send_ra(&r);
        assert!(o.defaults().is_empty());
    }

    #[test]
    fn a14_cur_hop_limit_zero_kept_below_min_ignored() {
        let mut o = one(&[("accept_ra_min_hop_limit", "40")]);
        let mut r = ra("fe80::1");
        r.chlim = 0;
        o.send_ra(&r);
        assert_eq!(o.host().tables.sysctl.v6(o.h0).hop_limit, 64);
        r.chlim = 20;
        o.send_ra(&r);
        assert_eq!(o.host().tables.sysctl.v6(o.h0).hop_limit, 64);
        r.chlim = 50;
        o.send_ra(&r);
        assert_eq!(o.host().tables.sysctl.v6(o.h0).hop_limit, 50);
        assert_eq!(applied_hop_limit(33, 256), None, "min ≥ 256 disables");
    }

    #[test]
    fn a15_mtu_out_of_range_or_disabled_ignored_b36_ra_mtu_recorded() {
        let mut o = one(&[]);
        let mut r = ra("fe80::1");
        r.opts.push(NdOptionRepr::Mtu(9000));
        o.send_ra(&r);
        assert_eq!(o.host().tables.sysctl.v6(o.h0).mtu, 1500);
        assert_eq!(o.host().ra_state(o.h0).unwrap().ra_mtu, Some(9000));
        r.opts[1] = NdOptionRepr::Mtu(1279);
        o.send_ra(&r);
        assert_eq!(o.host().tables.sysctl.v6(o.h0).mtu, 1500);
        let mut o = one(&[("accept_ra_mtu", "0")]);
        r.opts[1] = NdOptionRepr::Mtu(1400);
        o.send_ra(&r);
        assert_eq!(o.host().tables.sysctl.v6(o.h0).mtu, 1500);
    }

    #[test]
    fn a16_min_lft_ignores_short_router_and_pio() {
        let mut o = one(&[("accept_ra_min_lft", "600")]);
        let mut r = ra("fe80::1");
        r.rl = 300;
        r.opts.push(pio("2001:db8:16::", 64, 300, 300));
        o.send_ra(&r);
        assert!(o.defaults().is_empty());
        assert!(!o.routes().contains("2001:db8:16::"));
        assert!(below_min_lft(1, 2) && !below_min_lft(0, 600));
    }

    #[test]
    fn a17_ra_from_own_address_gives_pio_but_no_router() {
        let mut o = one(&[]);
        o.run(3); // link-local DAD done
        let mut r = ra("fe80::5054:ff:fe12:3456");
        r.opts.push(pio("2001:db8:77::", 64, 86400, 14400));
        o.send_ra(&r);
        assert!(o.defaults().is_empty());
        assert!(o.routes().contains("2001:db8:77::/64 dev h0 proto kernel metric 256"));
        assert!(o.has_addr("2001:db8:77::5054:ff:fe12:3456"));
    }

    #[test]
    fn b7_unicast_ra_accepted_and_b20_m_o_stored() {
        let mut o = one(&[]);
        o.run(3); // our link-local is no longer tentative
        let mut r = ra("fe80::a");
        r.dst = v6("fe80::5054:ff:fe12:3456");
        r.flags.managed = true;
        r.flags.other = true;
        o.send_ra(&r);
        assert_eq!(o.defaults().len(), 1);
        let st = o.host().ra_state(o.h0).unwrap();
        assert!(st.managed && st.other);
    }

    #[test]
    fn b2_b3_b5_b47_invalid_envelopes_dropped_extension_headers_accepted() {
        let mut o = one(&[]);
        let mut r = ra("fe80::2");
        r.hlim = 64;
        o.send_ra(&r);
        let mut r = ra("2001:db8:ffff::2");
        r.opts.clear();
        o.send_ra(&r);
        let mut r = ra("fe80::33");
        r.exts = vec![Ipv6ExtRepr::Fragment(crate::wire::FragmentInfo {
            offset: 0,
            more: false,
            ident: 1,
        })];
        o.send_ra(&r);
        assert!(o.defaults().is_empty());
        let mut r = ra("fe80::31");
        r.exts = vec![Ipv6ExtRepr::HopByHop { options: &[] }];
        o.send_ra(&r);
        let mut r = ra("fe80::32");
        r.exts = vec![Ipv6ExtRepr::DestinationOptions { options: &[] }];
        o.send_ra(&r);
        assert_eq!(o.defaults().len(), 2, "{:?}", o.defaults());
    }

    #[test]
    fn b8_duplicate_mtu_first_wins_unknown_option_ignored() {
        let mut o = one(&[]);
        let mut r = ra("fe80::1");
        r.opts.push(NdOptionRepr::Unknown {
            kind: 200,
            data: &[0; 6],
        });
        r.opts.push(NdOptionRepr::Mtu(1400));
        r.opts.push(NdOptionRepr::Mtu(1300));
        o.send_ra(&r);
        assert_eq!(o.host().tables.sysctl.v6(o.h0).mtu, 1400);
    }
}
