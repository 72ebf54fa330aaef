//! Route lookup: what `ip route get` answers and what the packet path uses (policy rules, then the table).
//!
//! IPv6 follows route.c:fib6_table_lookup / rt6_select (linux-ipv6.md B15): longest prefix, then the lowest-metric
//! group scored by oif match and RFC 4191 preference, FAILED gateways skipped while `all.forwarding` is 0, and a
//! retry without reachability. IPv4 follows route.c:ip_route_output_key_hash_rcu and fib_trie.c:fib_table_lookup.
//! Lookups scan the tables in place and allocate nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv6Net};

use super::route::{table, Route, RouteFlags, RouteScope, RouteType};
use super::rule::{RuleAction, RuleFlow, RuleSet};
use super::srcsel::{select_v4, select_v6, TempPref};
use super::tables::HostTables;
use crate::id::IfIndex;

/// A route query: `ip route get DST [from SRC] [iif IF] [oif IF] [mark M]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteQuery {
    /// Destination.
    pub dst: IpAddr,
    /// Source (`from`), if the flow has one.
    pub src: Option<IpAddr>,
    /// Input interface for a forwarded/received packet; `None` for locally generated traffic.
    pub iif: Option<IfIndex>,
    /// Output interface the flow is bound to (`oif`, SO_BINDTODEVICE, scope id).
    pub oif: Option<IfIndex>,
    /// Packet mark.
    pub fwmark: u32,
    /// Temporary-address preference of the socket (E13).
    pub temp_pref: TempPref,
    /// Compute [`RouteDecision::src`] by source selection. The packet path clears it when the packet already has
    /// its source (a reply, a bound socket), since selection is the costliest part of a lookup.
    pub select_src: bool,
}

impl RouteQuery {
    /// A query for `dst` only.
    pub fn to(dst: IpAddr) -> RouteQuery {
        RouteQuery {
            dst,
            src: None,
            iif: None,
            oif: None,
            fwmark: 0,
            temp_pref: TempPref::Sysctl,
            select_src: true,
        }
    }

    /// Builder: source.
    pub fn from(mut self, src: IpAddr) -> RouteQuery {
        self.src = Some(src);
        self
    }

    /// Builder: output interface.
    pub fn oif(mut self, oif: IfIndex) -> RouteQuery {
        self.oif = Some(oif);
        self
    }

    /// Builder: input interface.
    pub fn iif(mut self, iif: IfIndex) -> RouteQuery {
        self.iif = Some(iif);
        self
    }
}

/// The answer of a successful lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDecision {
    /// The query.
    pub query: RouteQuery,
    /// Table the route came from.
    pub table: u32,
    /// Local, broadcast, multicast or unicast.
    pub kind: RouteType,
    /// The route used; `None` when IPv4 assumed the destination on-link because `oif` was given and no route
    /// matched (ip_route_output_key_hash_rcu "Apparently, routing tables are wrong").
    pub route: Option<Route>,
    /// Device the packet leaves by (`lo` for local delivery).
    pub dev: IfIndex,
    /// Next hop; `None` means on-link (the destination itself).
    pub gateway: Option<IpAddr>,
    /// Chosen source (prefsrc, else source selection); `None` if no address qualifies.
    pub src: Option<IpAddr>,
    /// Path MTU: the route's `mtu` metric, else the IPv6 conf mtu / device MTU.
    pub mtu: u32,
    /// Hop limit / TTL for locally generated packets: the route's `hoplimit` metric, else conf/IF/hop_limit (IPv6,
    /// ip6_dst_hoplimit) or net.ipv4.ip_default_ttl (IPv4).
    pub hoplimit: u8,
}

impl RouteDecision {
    /// The neighbour to resolve: the gateway, or the destination when on-link.
    pub fn next_hop(&self) -> IpAddr {
        self.gateway.unwrap_or(self.query.dst)
    }
}

/// Why a lookup failed, with the errno text `ip route get` prints after "RTNETLINK answers:".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// ENETUNREACH: no route (the null entry), a rule `unreachable`, or a down `oif`.
    #[error("Network is unreachable")]
    NetUnreachable,
    /// EHOSTUNREACH: an `unreachable` route; IPv4 input on an interface that does not forward.
    #[error("No route to host")]
    HostUnreachable,
    /// EACCES: a `prohibit` route or rule.
    #[error("Permission denied")]
    Prohibited,
    /// EINVAL: a `blackhole` route or rule; a multicast/broadcast/zero IPv4 source.
    #[error("Invalid argument")]
    Invalid,
    /// ENODEV: `oif`/`iif` names no interface.
    #[error("No such device")]
    NoDevice,
}

/// Errors of a route type or rule action (ip6_rt_type_to_error, fib_props[], fib4_rule_action).
fn reject_error(kind: RouteType) -> LookupError {
    match kind {
        RouteType::Prohibit => LookupError::Prohibited,
        RouteType::Blackhole => LookupError::Invalid,
        _ => LookupError::HostUnreachable,
    }
}

/// IPv6 destinations whose route must use the requested interface (route.c:rt6_need_strict).
fn need_strict(dst: Ipv6Addr) -> bool {
    dst.is_multicast() || dst.is_unicast_link_local() || dst.is_loopback()
}

/// Whether a socket may not send to `dst` without an interface: link-local unicast and interface/link-local
/// multicast need a scope id, else EINVAL (net/ipv6/datagram.c:ip6_datagram_connect, __ipv6_addr_needs_scope_id;
/// linux-ipv6.md E12). `ip route get` itself does not check this: it answers with the first matching route.
pub fn needs_scope_id(dst: IpAddr, oif: Option<IfIndex>) -> bool {
    let IpAddr::V6(d) = dst else { return false };
    let link_local = d.is_unicast_link_local();
    let mc_link = d.is_multicast() && matches!(d.octets()[1] & 0x0f, 1 | 2);
    oif.is_none() && (link_local || mc_link)
}

/// Flags of one IPv6 table lookup.
#[derive(Clone, Copy)]
struct Strict {
    /// RT6_LOOKUP_F_IFACE: a route on another device fails hard.
    iface: bool,
    /// RT6_LOOKUP_F_REACHABLE: skip gateways whose neighbour is FAILED.
    reachable: bool,
}

impl HostTables {
    /// `ip route get`: walks the family's rules, then the selected tables. `reachable(dev, gateway)` answers whether
    /// the neighbour is usable — false only for a FAILED entry (route.c:rt6_check_neigh with
    /// CONFIG_IPV6_ROUTER_PREF: no entry, INCOMPLETE, STALE, DELAY and PROBE all count as usable; B15c).
    pub fn route_get(
        &self,
        q: &RouteQuery,
        reachable: impl Fn(IfIndex, IpAddr) -> bool,
    ) -> Result<RouteDecision, LookupError> {
        for dev in [q.iif, q.oif].into_iter().flatten() {
            if self.ifaces.get(dev).is_none() {
                return Err(LookupError::NoDevice);
            }
        }
        match q.dst {
            IpAddr::V6(d) => self.route_get6(q, d, &reachable),
            IpAddr::V4(d) => self.route_get4(q, d),
        }
    }

    /// Walks `rules`; `table_lookup` returns `Ok(None)` to continue (no route or `throw`).
    fn walk_rules<'a>(
        &'a self,
        rules: &RuleSet,
        q: &RouteQuery,
        mut table_lookup: impl FnMut(u32) -> Result<Option<&'a Route>, LookupError>,
    ) -> Result<(u32, &'a Route), LookupError> {
        let iif_name = q.iif.map_or("lo", |i| self.ifaces.name(i));
        let flow = RuleFlow {
            dst: q.dst,
            src: q.src,
            iif_name,
            oif_name: q.oif.map(|o| self.ifaces.name(o)),
            fwmark: q.fwmark,
        };
        for rule in rules.iter() {
            if !rule.matches(&flow) {
                continue;
            }
            match rule.action {
                RuleAction::Lookup(t) => {
                    if let Some(r) = table_lookup(t)? {
                        return Ok((t, r));
                    }
                }
                RuleAction::Unreachable => return Err(LookupError::NetUnreachable),
                RuleAction::Blackhole => return Err(LookupError::Invalid),
                RuleAction::Prohibit => return Err(LookupError::Prohibited),
            }
        }
        Err(LookupError::NetUnreachable)
    }

    fn route_get6(
        &self,
        q: &RouteQuery,
        dst: Ipv6Addr,
        reachable: &impl Fn(IfIndex, IpAddr) -> bool,
    ) -> Result<RouteDecision, LookupError> {
        // ip6_route_output_flags: strict iface for link-local/multicast destinations or an oif without a source;
        // ip6_pol_route: reachability only while all.forwarding == 0. Input lookups use iif as oif for strict dsts.
        let oif = if q.iif.is_some() {
            q.iif.filter(|_| need_strict(dst))
        } else {
            q.oif
        };
        let strict = Strict {
            iface: need_strict(dst) || (oif.is_some() && q.src.is_none_or(|s| s.is_unspecified())),
            reachable: !self.sysctl.ipv6_forwarding_all(),
        };
        let (tbl, r) = self.walk_rules(&self.rules6, q, |t| {
            let found = self.fib6_table_lookup(self.fib6.table(t), dst, oif, strict, reachable);
            match found {
                Some(r) if r.kind == RouteType::Throw => Ok(None),
                Some(r) if r.kind.is_reject() => Err(reject_error(r.kind)),
                other => Ok(other),
            }
        })?;
        // A redirect exception for this destination hanging off the selected route replaces it (D11, D13); one
        // under a route that was not selected has no effect. An exception added without a parent (by hand) hangs
        // off whatever route is selected on its device.
        let host = IpNet::V6(Ipv6Net::from(dst));
        let key = r.key();
        let r = if self.fib6.has_exceptions() {
            self.fib6
                .table(tbl)
                .iter()
                .find(|e| {
                    e.flags.has(RouteFlags::CACHE) && e.dst == host && e.parent.map_or(e.dev == r.dev, |p| p == key)
                })
                .unwrap_or(r)
        } else {
            r
        };
        let conf = self.sysctl.v6(r.dev);
        // Local and anycast delivery leave by lo (ip6_rt_get_dev_rcu: RTF_LOCAL | RTF_ANYCAST); the source is
        // computed on the route's own device (ip6_route_get_saddr), which for our own address picks it by rule 1.
        let dev = if matches!(r.kind, RouteType::Local | RouteType::Anycast) {
            IfIndex::LOOPBACK
        } else {
            r.dev
        };
        let src = match r.prefsrc {
            Some(s) => Some(s),
            None if !q.select_src => q.src,
            None => select_v6(&self.addrs, &self.ifaces, &self.sysctl, dst, Some(r.dev), q.temp_pref).map(IpAddr::V6),
        };
        let dev_mtu = self.ifaces.get(r.dev).map_or(1280, |i| i.mtu);
        let hoplimit = r
            .metrics
            .hoplimit
            .unwrap_or_else(|| u8::try_from(conf.hop_limit).unwrap_or(64));
        let mtu = r
            .metrics
            .mtu
            .unwrap_or_else(|| u32::try_from(conf.mtu).unwrap_or(1280).min(dev_mtu).max(1280));
        Ok(RouteDecision {
            query: *q,
            table: tbl,
            kind: r.kind,
            route: Some(r.clone()),
            dev,
            gateway: r.gateway,
            src,
            mtu,
            hoplimit,
        })
    }

    /// fib6_table_lookup: most specific prefix first; if its node yields nothing, back off to shorter prefixes
    /// (fib6_backtrack); if nothing at all and reachability was required, start again without it.
    fn fib6_table_lookup<'a>(
        &self,
        routes: &'a [Route],
        dst: Ipv6Addr,
        oif: Option<IfIndex>,
        strict: Strict,
        reachable: &impl Fn(IfIndex, IpAddr) -> bool,
    ) -> Option<&'a Route> {
        let d = IpAddr::V6(dst);
        for reach in [strict.reachable, false] {
            let mut upper = 129u8;
            // Exceptions (RTF_CACHE) are not FIB nodes: they are found through their parent, above.
            let longest_below = |upper: u8| {
                routes
                    .iter()
                    .filter(|r| r.dst.prefix_len() < upper && r.matches(d) && !r.flags.has(RouteFlags::CACHE))
                    .map(|r| r.dst.prefix_len())
                    .max()
            };
            let mut saw_node = false;
            while let Some(len) = longest_below(upper) {
                saw_node = true;
                let s = Strict {
                    iface: strict.iface,
                    reachable: reach,
                };
                if let Some(r) = self.rt6_select(routes, d, len, oif, s, reachable) {
                    return Some(r);
                }
                upper = len;
            }
            // No node matched at all (e.g. the local table for a remote destination): the retry cannot differ.
            if !strict.reachable || !saw_node {
                break;
            }
        }
        None
    }

    /// rt6_select / find_rr_leaf on one node (the routes with exactly this prefix): first the lowest-metric group,
    /// then, if none matched, all others together. Score = 2 for an oif match (or no oif) + pref << 2; strictly
    /// greater wins, so ties go to list order (B15a–c).
    fn rt6_select<'a>(
        &self,
        routes: &'a [Route],
        dst: IpAddr,
        len: u8,
        oif: Option<IfIndex>,
        strict: Strict,
        reachable: &impl Fn(IfIndex, IpAddr) -> bool,
    ) -> Option<&'a Route> {
        let node = || {
            routes
                .iter()
                .filter(move |r| r.dst.prefix_len() == len && r.matches(dst) && !r.flags.has(RouteFlags::CACHE))
        };
        let min_metric = node().map(|r| r.metric).min()?;
        let score = |r: &Route| -> Option<i32> {
            if r.kind == RouteType::Unicast && !self.ifaces.is_up(r.dev) {
                return None; // RTNH_F_DEAD
            }
            let m = if oif.is_none_or(|o| o == r.dev) { 2 } else { 0 };
            if m == 0 && strict.iface {
                return None; // RT6_NUD_FAIL_HARD
            }
            if strict.reachable {
                if let Some(gw) = r.gateway {
                    if !reachable(r.dev, gw) {
                        return None; // RT6_NUD_FAIL_PROBE
                    }
                }
            }
            Some(m | (r.pref.decode() << 2))
        };
        // Strictly greater score wins; equal scores keep the earlier route in node order (metric, insertion).
        let pick = |group: &mut dyn Iterator<Item = &'a Route>| -> Option<&'a Route> {
            let mut best: Option<(i32, &Route)> = None;
            for r in group {
                if let Some(s) = score(r) {
                    let better =
                        best.is_none_or(|(b, br)| s > b || (s == b && (r.metric, r.seq) < (br.metric, br.seq)));
                    if better {
                        best = Some((s, r));
                    }
                }
            }
            best.map(|(_, r)| r)
        };
        pick(&mut node().filter(|r| r.metric == min_metric))
            .or_else(|| pick(&mut node().filter(|r| r.metric != min_metric)))
    }

    fn route_get4(&self, q: &RouteQuery, dst: Ipv4Addr) -> Result<RouteDecision, LookupError> {
        let src4 = match q.src {
            Some(IpAddr::V4(s)) if !s.is_unspecified() => Some(s),
            _ => None,
        };
        if let Some(s) = src4 {
            if s.is_multicast() || s.is_broadcast() || s.octets()[0] == 0 {
                return Err(LookupError::Invalid);
            }
            // Output with a source: it must be one of ours (weak host: any interface; __ip_dev_find).
            if q.iif.is_none() && self.addrs.find_local(IpAddr::V4(s)).is_none() {
                return Err(LookupError::NetUnreachable);
            }
        }
        if let Some(o) = q.oif {
            if !self.ifaces.is_up(o) {
                return Err(LookupError::NetUnreachable);
            }
        }
        let oif = if q.iif.is_some() { None } else { q.oif };
        let found = self.walk_rules(&self.rules4, q, |t| {
            match self.fib4_table_lookup(self.fib4.table(t), dst, oif) {
                Some(r) if r.kind == RouteType::Throw => Ok(None),
                Some(r) if r.kind.is_reject() => Err(reject_error(r.kind)),
                other => Ok(other),
            }
        });
        let (tbl, r) = match found {
            Ok(x) => x,
            Err(LookupError::NetUnreachable) if q.iif.is_none() && q.oif.is_some() => {
                // No route but a bound device: assume the destination is on-link there.
                let dev = q.oif.unwrap_or(IfIndex::LOOPBACK);
                let src =
                    src4.or_else(|| select_v4(&self.addrs, &self.ifaces, &self.sysctl, dev, None, RouteScope::Link));
                let mtu = self.ifaces.get(dev).map_or(1500, |i| i.mtu);
                return Ok(RouteDecision {
                    query: *q,
                    table: table::MAIN,
                    kind: RouteType::Unicast,
                    route: None,
                    dev,
                    gateway: None,
                    src: src.map(IpAddr::V4),
                    mtu,
                    hoplimit: self.ttl4(),
                });
            }
            Err(e) => return Err(e),
        };
        if let Some(iif) = q.iif {
            // Input: not for us and the interface does not forward → EHOSTUNREACH (ip_route_input_slow).
            if r.kind == RouteType::Unicast && !self.sysctl.ipv4_forwarding(iif) {
                return Err(LookupError::HostUnreachable);
            }
        }
        let (dev, src) = if r.kind == RouteType::Local {
            (IfIndex::LOOPBACK, src4.or(r.prefsrc.and_then(v4)).or(Some(dst)))
        } else {
            let hint = r.gateway.and_then(v4);
            let chosen = r
                .prefsrc
                .and_then(v4)
                .or_else(|| select_v4(&self.addrs, &self.ifaces, &self.sysctl, r.dev, hint, r.scope));
            (r.dev, src4.or(chosen))
        };
        let mtu = r
            .metrics
            .mtu
            .unwrap_or_else(|| self.ifaces.get(dev).map_or(1500, |i| i.mtu));
        Ok(RouteDecision {
            query: *q,
            table: tbl,
            kind: r.kind,
            route: Some(r.clone()),
            dev,
            gateway: r.gateway,
            src: src.map(IpAddr::V4),
            mtu,
            hoplimit: r.metrics.hoplimit.unwrap_or_else(|| self.ttl4()),
        })
    }

    /// net.ipv4.ip_default_ttl (sysctl_ip_default_ttl).
    fn ttl4(&self) -> u8 {
        u8::try_from(self.sysctl.global.ip_default_ttl).unwrap_or(64)
    }

    /// fib_table_lookup: the longest prefix whose aliases (in metric, insertion order) have a usable one; a reject
    /// type answers at once; dead next hops (device down) and, with an oif, other devices are skipped.
    fn fib4_table_lookup<'a>(&self, routes: &'a [Route], dst: Ipv4Addr, oif: Option<IfIndex>) -> Option<&'a Route> {
        let d = IpAddr::V4(dst);
        let mut upper = 33u8;
        loop {
            let len = routes
                .iter()
                .filter(|r| r.dst.prefix_len() < upper && r.matches(d))
                .map(|r| r.dst.prefix_len())
                .max()?;
            let mut best: Option<&Route> = None;
            for r in routes.iter().filter(|r| r.dst.prefix_len() == len && r.matches(d)) {
                let usable = r.kind.is_reject()
                    || (self.ifaces.is_up(r.dev) || r.kind == RouteType::Local)
                        && oif.is_none_or(|o| o == r.dev || r.kind == RouteType::Local);
                if usable && best.is_none_or(|b| (r.metric, r.seq) < (b.metric, b.seq)) {
                    best = Some(r);
                }
            }
            if best.is_some() {
                return best;
            }
            upper = len;
        }
    }
}

fn v4(a: IpAddr) -> Option<Ipv4Addr> {
    match a {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::addr::Addr;
    use crate::host::route::{Pref, Proto, RouteFlags};

    fn ra_default(t: &mut HostTables, gw: &str, dev: IfIndex, pref: Pref) {
        let r = Route::new("::/0".parse().unwrap(), Some(gw.parse().unwrap()), dev)
            .with_proto(Proto::Ra)
            .with_pref(pref)
            .with_flags(RouteFlags::DEFAULT | RouteFlags::ADDRCONF);
        assert!(t.route_add_kernel(r).unwrap());
    }

    fn host() -> (HostTables, IfIndex) {
        let mut t = HostTables::new();
        let h0 = t.add_interface("h0", [0x52, 0x54, 0, 0x12, 0x34, 0x56], 1500).unwrap();
        t.set_link(h0, true).unwrap();
        t.add_addr(
            Addr::new(h0, "2001:db8:1:0:5054:ff:fe12:3456".parse().unwrap(), 64)
                .with_flags(crate::host::addr::AddrFlags::NODAD),
        )
        .unwrap();
        (t, h0)
    }

    fn gw_of(t: &HostTables, q: RouteQuery, failed: &[&str]) -> String {
        let failed: Vec<IpAddr> = failed.iter().map(|f| f.parse().unwrap()).collect();
        let d = t.route_get(&q, |_, g| !failed.contains(&g)).unwrap();
        d.gateway.map_or("onlink".into(), |g| g.to_string())
    }

    #[test]
    fn b15_high_pref_wins_then_failed_is_skipped() {
        // B3.log: fe80::1 medium + fe80::2 high → fe80::2; fe80::2 FAILED → fe80::1.
        let (mut t, h0) = host();
        ra_default(&mut t, "fe80::1", h0, Pref::Medium);
        ra_default(&mut t, "fe80::2", h0, Pref::High);
        let q = RouteQuery::to("2001:db8:ffff::1".parse().unwrap());
        assert_eq!(gw_of(&t, q, &[]), "fe80::2");
        assert_eq!(gw_of(&t, q, &["fe80::2"]), "fe80::1");
        assert_eq!(
            gw_of(&t, q, &["fe80::1", "fe80::2"]),
            "fe80::2",
            "B15d: retry without reachability"
        );
        t.set_sysctl("net.ipv6.conf.all.forwarding", "1").unwrap();
        assert!(
            t.fib6.table(table::MAIN).iter().all(|r| r.dst.prefix_len() != 0),
            "A5 purge"
        );
    }

    #[test]
    fn b15_lowest_metric_first_and_ties_in_list_order() {
        let (mut t, h0) = host();
        ra_default(&mut t, "fe80::1", h0, Pref::High);
        let r = Route::new("::/0".parse().unwrap(), Some("fe80::9".parse().unwrap()), h0).with_metric(100);
        t.route_add(r).unwrap();
        let q = RouteQuery::to("2001:db8:ffff::1".parse().unwrap());
        assert_eq!(gw_of(&t, q, &[]), "fe80::9", "metric 100 beats any preference at 1024");
        assert_eq!(
            gw_of(&t, q, &["fe80::9"]),
            "fe80::1",
            "higher metric tried when the group fails"
        );
        let (mut t, h0) = host();
        ra_default(&mut t, "fe80::1", h0, Pref::Medium);
        ra_default(&mut t, "fe80::2", h0, Pref::Medium);
        assert_eq!(gw_of(&t, q, &[]), "fe80::1");
    }

    #[test]
    fn longest_prefix_then_backtrack() {
        let (mut t, h0) = host();
        ra_default(&mut t, "fe80::1", h0, Pref::Medium);
        t.route_add(Route::new(
            "2001:db8:99::/48".parse().unwrap(),
            Some("fe80::99".parse().unwrap()),
            h0,
        ))
        .unwrap();
        assert_eq!(
            gw_of(&t, RouteQuery::to("2001:db8:99::1".parse().unwrap()), &[]),
            "fe80::99"
        );
        assert_eq!(
            gw_of(&t, RouteQuery::to("2001:db8:1::50".parse().unwrap()), &[]),
            "onlink"
        );
        let other = t.add_interface("h1", [2, 0, 0, 0, 0, 2], 1500).unwrap();
        t.set_link(other, true).unwrap();
        let q = RouteQuery::to("2001:db8:99::1".parse().unwrap()).oif(other);
        assert_eq!(
            t.route_get(&q, |_, _| true),
            Err(LookupError::NetUnreachable),
            "strict oif without source"
        );
    }

    #[test]
    fn reject_types_and_rules() {
        let (mut t, h0) = host();
        let _ = h0;
        for (p, k) in [
            ("2001:db8:a::/48", RouteType::Unreachable),
            ("2001:db8:b::/48", RouteType::Blackhole),
            ("2001:db8:c::/48", RouteType::Prohibit),
        ] {
            t.route_add(Route::new(p.parse().unwrap(), None, IfIndex::LOOPBACK).with_kind(k))
                .unwrap();
        }
        let get = |t: &HostTables, d: &str| {
            t.route_get(&RouteQuery::to(d.parse().unwrap()), |_, _| true)
                .map(|x| x.dev)
        };
        assert_eq!(get(&t, "2001:db8:a::1"), Err(LookupError::HostUnreachable));
        assert_eq!(get(&t, "2001:db8:b::1"), Err(LookupError::Invalid));
        assert_eq!(get(&t, "2001:db8:c::1"), Err(LookupError::Prohibited));
        assert_eq!(get(&t, "2001:db8:ffff::1"), Err(LookupError::NetUnreachable));
        // throw in table 100 continues with the next rule (main).
        t.route_add(
            Route::new("::/0".parse().unwrap(), None, IfIndex::LOOPBACK)
                .with_table(100)
                .with_kind(RouteType::Throw),
        )
        .unwrap();
        t.rules6
            .add(crate::host::rule::Rule::lookup(0, 100), Some(100))
            .unwrap();
        assert_eq!(get(&t, "2001:db8:1::7"), Ok(h0));
    }

    #[test]
    fn local_destination_goes_to_lo() {
        let (t, _) = host();
        let d = t
            .route_get(
                &RouteQuery::to("2001:db8:1:0:5054:ff:fe12:3456".parse().unwrap()),
                |_, _| true,
            )
            .unwrap();
        assert_eq!(
            (d.kind, d.dev, d.table),
            (RouteType::Local, IfIndex::LOOPBACK, table::LOCAL)
        );
        assert_eq!(d.src, Some("2001:db8:1:0:5054:ff:fe12:3456".parse().unwrap()));
        let d4 = t
            .route_get(&RouteQuery::to("127.0.0.1".parse().unwrap()), |_, _| true)
            .unwrap();
        assert_eq!(
            (d4.kind, d4.dev, d4.src),
            (RouteType::Local, IfIndex::LOOPBACK, Some("127.0.0.1".parse().unwrap()))
        );
    }

    #[test]
    fn ipv4_oif_without_route_assumes_onlink() {
        let mut t = HostTables::new();
        let e = t.add_interface("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        t.set_link(e, true).unwrap();
        t.add_addr(Addr::new(e, "10.0.9.165".parse().unwrap(), 24)).unwrap();
        let q = RouteQuery::to("8.8.8.8".parse().unwrap());
        assert_eq!(t.route_get(&q, |_, _| true), Err(LookupError::NetUnreachable));
        let d = t.route_get(&q.oif(e), |_, _| true).unwrap();
        assert_eq!(
            (d.dev, d.gateway, d.src),
            (e, None, Some("10.0.9.165".parse().unwrap()))
        );
        assert_eq!(
            t.route_get(&q.from("10.9.9.9".parse().unwrap()), |_, _| true),
            Err(LookupError::NetUnreachable)
        );
    }

    #[test]
    fn mtu_and_hoplimit_from_route_metrics_else_conf() {
        // B1.log: the RA route carries mtu 1400 hoplimit 61; conf/h0/mtu starts at the device MTU (ipv6_add_dev).
        let (mut t, h0) = host();
        assert_eq!(t.sysctl.get("net.ipv6.conf.h0.mtu").unwrap(), "1500");
        ra_default(&mut t, "fe80::1", h0, Pref::Medium);
        let q = RouteQuery::to("2001:db8:ffff::1".parse().unwrap());
        let d = t.route_get(&q, |_, _| true).unwrap();
        assert_eq!((d.mtu, d.hoplimit), (1500, 64));
        let r = t.fib6.find_mut(|r| r.dst.prefix_len() == 0).unwrap();
        r.metrics.mtu = Some(1400);
        r.metrics.hoplimit = Some(61);
        let d = t.route_get(&q, |_, _| true).unwrap();
        assert_eq!((d.mtu, d.hoplimit), (1400, 61));
        t.set_sysctl("net.ipv6.conf.h0.hop_limit", "33").unwrap();
        let on_link = t
            .route_get(&RouteQuery::to("2001:db8:1::9".parse().unwrap()), |_, _| true)
            .unwrap();
        assert_eq!((on_link.mtu, on_link.hoplimit), (1500, 33));
    }

    #[test]
    fn e12_scope_id_needed_for_link_scope_destinations() {
        assert!(needs_scope_id("fe80::1".parse().unwrap(), None));
        assert!(needs_scope_id("ff02::1".parse().unwrap(), None));
        assert!(!needs_scope_id("ff05::1".parse().unwrap(), None));
        assert!(!needs_scope_id("fe80::1".parse().unwrap(), Some(IfIndex(2))));
        assert!(!needs_scope_id("2001:db8::1".parse().unwrap(), None));
        assert!(!needs_scope_id("10.0.0.1".parse().unwrap(), None));
    }
}
