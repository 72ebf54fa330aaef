//! `ip route`, `ip -6 route`, `ip rule` and `ip route get` text, byte-exact with iproute2 6.1 on the kernel in
//! /work/shared/reference/linux-exp/*.log (iproute.c:print_route, iprule.c:print_rule).
//!
//! Field order of a route line: type, destination, `from`, `via`, `dev`, `table` (unless main or a table filter),
//! `proto` (unless boot) and `scope` (unless global) for non-cloned routes, `src`, `metric`, flags, `expires`,
//! metrics (`mtu`, `hoplimit`), `pref`. Each field ends with a space except `pref`, the last field of IPv6 lines, so
//! IPv4 lines end in a space and IPv6 lines do not.

use std::fmt::Write;
use std::net::IpAddr;

use ipnet::IpNet;

use super::lookup::{LookupError, RouteDecision};
use super::route::{table, Proto, Route, RouteFlags, RouteScope, RouteType};
use super::rule::{RuleAction, RuleSet};
use super::tables::HostTables;
use crate::time::Instant;

/// Table name as rtnl_rttable_n2a prints it.
pub fn table_name(id: u32) -> String {
    match id {
        table::LOCAL => "local".into(),
        table::MAIN => "main".into(),
        table::DEFAULT => "default".into(),
        n => n.to_string(),
    }
}

/// A prefix as iproute2 prints a destination: `default`, a bare address for host prefixes, else `addr/len`.
fn prefix_text(net: &IpNet) -> String {
    let host = match net {
        IpNet::V4(_) => 32,
        IpNet::V6(_) => 128,
    };
    if net.prefix_len() == 0 {
        "default".into()
    } else if net.prefix_len() == host {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// Which table(s) a route listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFilter {
    /// `ip route` / `ip route show table T`: one table, no `table` field.
    Only(u32),
    /// `ip route show table all`: every table, `table T` printed for tables other than main.
    All,
}

struct Line<'a> {
    t: &'a HostTables,
    out: String,
}

impl Line<'_> {
    fn field(&mut self, text: std::fmt::Arguments<'_>) {
        let _ = self.out.write_fmt(text);
        self.out.push(' ');
    }
}

/// Shared body of `ip route` lines and `ip route get` answers.
struct RouteText<'a> {
    kind: RouteType,
    dst: String,
    from: Option<IpAddr>,
    route: Option<&'a Route>,
    gateway: Option<IpAddr>,
    dev: Option<crate::id::IfIndex>,
    table: Option<u32>,
    cloned: bool,
    src: Option<IpAddr>,
    show_expires: bool,
    /// Input interface of an input-route query (`iif`), printed before `pref`.
    iif: Option<crate::id::IfIndex>,
}

fn route_line(t: &HostTables, rt: &RouteText<'_>, now: Instant) -> String {
    let mut l = Line {
        t,
        out: String::with_capacity(96),
    };
    if let Some(k) = rt.kind.keyword() {
        l.field(format_args!("{k}"));
    }
    l.field(format_args!("{}", rt.dst));
    if let Some(f) = rt.from {
        l.field(format_args!("from {f}"));
    }
    if let Some(g) = rt.gateway {
        l.field(format_args!("via {g}"));
    }
    if let Some(d) = rt.dev {
        let name = l.t.ifaces.name(d).to_string();
        l.field(format_args!("dev {name}"));
    }
    if let Some(tb) = rt.table.filter(|&tb| tb != table::MAIN) {
        l.field(format_args!("table {}", table_name(tb)));
    }
    let v6 = rt.route.map_or(rt.dst.contains(':'), |r| r.is_v6());
    if let Some(r) = rt.route {
        if !rt.cloned {
            if r.proto != Proto::Boot {
                l.field(format_args!("proto {}", r.proto));
            }
            // IPv6 routes are reported with RT_SCOPE_UNIVERSE (rt6_fill_node), so only IPv4 prints a scope.
            if !v6 && r.scope != RouteScope::Universe {
                l.field(format_args!("scope {}", r.scope.name()));
            }
        }
    }
    if let Some(s) = rt.src {
        l.field(format_args!("src {s}"));
    }
    if let Some(r) = rt.route {
        if v6 || r.metric != 0 {
            l.field(format_args!("metric {}", r.metric));
        }
        if r.kind == RouteType::Unicast && l.t.ifaces.get(r.dev).is_some_and(|i| i.admin_up && !i.carrier) {
            l.field(format_args!("linkdown"));
        }
        if rt.show_expires && !rt.cloned {
            if let Some(e) = r.expires {
                l.field(format_args!("expires {}sec", now.secs_until(e)));
            }
        }
        if let Some(m) = r.metrics.mtu {
            l.field(format_args!("mtu {m}"));
        }
        if let Some(h) = r.metrics.hoplimit {
            l.field(format_args!("hoplimit {h}"));
        }
        if let Some(i) = rt.iif {
            let name = l.t.ifaces.name(i).to_string();
            l.field(format_args!("iif {name}"));
        }
        if v6 {
            let _ = write!(l.out, "pref {}", r.pref.name());
        }
    }
    l.out
}

/// `ip [-6] route show [table T|all]` for one family: one line per route, each ending in `\n`. Cache entries
/// (RTF_CACHE) are listed only by [`ip_route_show_cache`], as `ip -6 route show cache` does.
pub fn ip_route_show(t: &HostTables, v6: bool, filter: TableFilter, now: Instant) -> String {
    let fib = if v6 { &t.fib6 } else { &t.fib4 };
    let tb = match filter {
        TableFilter::Only(id) => Some(id),
        TableFilter::All => None,
    };
    let mut out = String::new();
    for r in fib.dump(tb).into_iter().filter(|r| !r.flags.has(RouteFlags::CACHE)) {
        let text = RouteText {
            kind: r.kind,
            dst: prefix_text(&r.dst),
            from: None,
            route: Some(r),
            gateway: r.gateway,
            // IPv4 reject routes have no device (fib_dump_info omits RTA_OIF); IPv6 ones report `lo`.
            dev: Some(r.dev).filter(|_| r.is_v6() || !r.kind.is_reject()),
            table: if filter == TableFilter::All {
                Some(r.table)
            } else {
                None
            },
            cloned: false,
            src: r.prefsrc,
            show_expires: true,
            iif: None,
        };
        out.push_str(&route_line(t, &text, now));
        out.push('\n');
    }
    out
}

/// `ip -6 route show cache`: redirect/PMTU exceptions, printed as cloned routes (no proto, no expires; D.log).
pub fn ip_route_show_cache(t: &HostTables, now: Instant) -> String {
    let mut out = String::new();
    for r in t.fib6.dump(None).into_iter().filter(|r| r.flags.has(RouteFlags::CACHE)) {
        let text = RouteText {
            kind: r.kind,
            dst: prefix_text(&r.dst),
            from: None,
            route: Some(r),
            gateway: r.gateway,
            dev: Some(r.dev),
            table: None,
            cloned: true,
            src: None,
            show_expires: false,
            iif: None,
        };
        out.push_str(&route_line(t, &text, now));
        out.push('\n');
    }
    out
}

/// `ip [-6] route get` output for a successful lookup (what `inet6_rtm_getroute` / `inet_rtm_getroute` report).
///
/// IPv6: `from` is always printed (`::` when none was given) and `src` is the selected source even when `from`
/// was given (rt6_fill_node recomputes it, E.log E1); exceptions print as cloned (no proto). IPv4: `from` only when
/// given, `src` only when it differs from it (never for input lookups), then `uid 0` and a `cache` line with `<local>`/`<local,brd>`
/// (rt_fill_info, RTCF_LOCAL / RTCF_BROADCAST).
pub fn ip_route_get(t: &HostTables, d: &RouteDecision) -> String {
    let v6 = d.query.dst.is_ipv6();
    let from = if v6 {
        Some(d.query.src.unwrap_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)))
    } else {
        d.query.src
    };
    // Input lookups print no selected source (rt6_fill_node prints RTA_PREFSRC from the route only; rt_fill_info
    // skips it for input routes); IPv4 output prints it only when it differs from `from`.
    let src = match (v6, d.query.iif) {
        (true, Some(_)) => d.route.as_ref().and_then(|r| r.prefsrc),
        (true, None) => d.src,
        (false, Some(_)) => None,
        (false, None) if d.query.src.is_some() && d.query.src == d.src => None,
        (false, None) => d.src,
    };
    let cloned = !v6 || d.route.as_ref().is_some_and(|r| r.flags.has(RouteFlags::CACHE));
    let text = RouteText {
        kind: d.kind,
        dst: d.query.dst.to_string(),
        from,
        route: d.route.as_ref().filter(|_| v6),
        gateway: d.gateway,
        dev: Some(d.dev),
        table: Some(d.table),
        cloned,
        src,
        show_expires: false,
        iif: d.query.iif.filter(|_| v6),
    };
    let mut line = route_line(t, &text, Instant::ZERO);
    if !v6 {
        line.push_str("uid 0 \n    cache ");
        match d.kind {
            RouteType::Local => line.push_str("<local> "),
            RouteType::Broadcast => line.push_str("<local,brd> "),
            _ => {}
        }
        if let Some(i) = d.query.iif {
            let _ = write!(line, "iif {} ", t.ifaces.name(i));
        }
    }
    line.push('\n');
    line
}

/// The error line `ip route get` prints on stderr.
pub fn ip_route_get_error(e: &LookupError) -> String {
    format!("RTNETLINK answers: {e}\n")
}

/// `ip rule` / `ip -6 rule` listing (iprule.c:print_rule): `PRIO:\tfrom SEL[ to SEL][ fwmark][ iif][ oif] ACTION`.
pub fn ip_rule_show(rules: &RuleSet) -> String {
    let mut out = String::new();
    for r in rules.iter() {
        let _ = write!(out, "{}:\t", r.priority);
        if r.invert {
            out.push_str("not ");
        }
        match &r.from {
            Some(n) if n.prefix_len() > 0 => {
                let _ = write!(out, "from {}", prefix_text(n));
            }
            _ => out.push_str("from all"),
        }
        if let Some(n) = &r.to {
            let _ = write!(out, " to {}", prefix_text(n));
        }
        if let Some((mark, mask)) = r.fwmark {
            if mask == u32::MAX {
                let _ = write!(out, " fwmark {mark:#x}");
            } else {
                let _ = write!(out, " fwmark {mark:#x}/{mask:#x}");
            }
        }
        if let Some(i) = &r.iif {
            let _ = write!(out, " iif {i}");
        }
        if let Some(o) = &r.oif {
            let _ = write!(out, " oif {o}");
        }
        match r.action {
            RuleAction::Lookup(tb) => {
                let _ = write!(out, " lookup {}", table_name(tb));
            }
            RuleAction::Unreachable => out.push_str(" unreachable"),
            RuleAction::Blackhole => out.push_str(" blackhole"),
            RuleAction::Prohibit => out.push_str(" prohibit"),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::addr::{Addr, AddrFlags};
    use crate::host::rule::Rule;

    #[test]
    fn rules_default_and_custom() {
        let mut rs = RuleSet::default_v4();
        rs.add(Rule::lookup(0, 100).from("10.0.9.165/32".parse().unwrap()), None)
            .unwrap();
        rs.add(
            Rule {
                action: RuleAction::Prohibit,
                ..Rule::lookup(0, 0).to("10.9.0.0/16".parse().unwrap()).iif("eth0")
            },
            Some(5),
        )
        .unwrap();
        assert_eq!(
            ip_rule_show(&rs),
            "0:\tfrom all lookup local\n5:\tfrom all to 10.9.0.0/16 iif eth0 prohibit\n32765:\tfrom 10.0.9.165 lookup 100\n\
             32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n"
        );
        assert_eq!(
            ip_rule_show(&RuleSet::default_v6()),
            "0:\tfrom all lookup local\n32766:\tfrom all lookup main\n"
        );
    }

    #[test]
    fn ipv4_routes_end_with_a_space() {
        let mut t = HostTables::new();
        let e = t.add_interface("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        t.set_link(e, true).unwrap();
        t.add_addr(Addr::new(e, "10.0.9.165".parse().unwrap(), 24)).unwrap();
        let gw = Route::new("0.0.0.0/0".parse().unwrap(), Some("10.0.9.1".parse().unwrap()), e).with_metric(100);
        t.route_add(gw).unwrap();
        assert_eq!(
            ip_route_show(&t, false, TableFilter::Only(254), Instant::ZERO),
            "default via 10.0.9.1 dev eth0 metric 100 \n10.0.9.0/24 dev eth0 proto kernel scope link src 10.0.9.165 \n"
        );
        let local = ip_route_show(&t, false, TableFilter::Only(255), Instant::ZERO);
        assert_eq!(
            local,
            "local 10.0.9.165 dev eth0 proto kernel scope host src 10.0.9.165 \n\
             broadcast 10.0.9.255 dev eth0 proto kernel scope link src 10.0.9.165 \n\
             local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1 \n\
             local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1 \n\
             broadcast 127.255.255.255 dev lo proto kernel scope link src 127.0.0.1 \n"
        );
    }

    #[test]
    fn ipv6_table_all_prints_table_for_non_main() {
        let mut t = HostTables::new();
        let e = t.add_interface("sb0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        t.set_link(e, true).unwrap();
        t.add_addr(Addr::new(e, "2001:db8:b::10".parse().unwrap(), 64).with_flags(AddrFlags::NODAD))
            .unwrap();
        let all = ip_route_show(&t, true, TableFilter::All, Instant::ZERO);
        assert_eq!(
            all,
            "2001:db8:b::/64 dev sb0 proto kernel metric 256 pref medium\n\
             fe80::/64 dev sb0 proto kernel metric 256 pref medium\n\
             local ::1 dev lo table local proto kernel metric 0 pref medium\n\
             local 2001:db8:b::10 dev sb0 table local proto kernel metric 0 pref medium\n\
             multicast ff00::/8 dev sb0 table local proto kernel metric 256 pref medium\n"
        );
    }

    #[test]
    fn ipv4_route_get_shapes() {
        use crate::host::lookup::RouteQuery;
        let mut t = HostTables::new();
        let e = t.add_interface("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        t.set_link(e, true).unwrap();
        t.add_addr(Addr::new(e, "10.0.9.165".parse().unwrap(), 24)).unwrap();
        t.route_add(Route::new(
            "0.0.0.0/0".parse().unwrap(),
            Some("10.0.9.1".parse().unwrap()),
            e,
        ))
        .unwrap();
        let get = |q: RouteQuery| ip_route_get(&t, &t.route_get(&q, |_, _| true).unwrap());
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            get(RouteQuery::to(ip("8.8.8.8"))),
            "8.8.8.8 via 10.0.9.1 dev eth0 src 10.0.9.165 uid 0 \n    cache \n"
        );
        assert_eq!(
            get(RouteQuery::to(ip("8.8.8.8")).from(ip("10.0.9.165"))),
            "8.8.8.8 from 10.0.9.165 via 10.0.9.1 dev eth0 uid 0 \n    cache \n",
            "src is printed only when it differs from `from` (rt_fill_info)"
        );
        assert_eq!(
            get(RouteQuery::to(ip("127.0.0.1"))),
            "local 127.0.0.1 dev lo table local src 127.0.0.1 uid 0 \n    cache <local> \n"
        );
        assert_eq!(
            get(RouteQuery::to(ip("10.0.9.255"))),
            "broadcast 10.0.9.255 dev eth0 table local src 10.0.9.165 uid 0 \n    cache <local,brd> \n"
        );
        assert_eq!(
            ip_route_get_error(
                &t.route_get(&RouteQuery::to(ip("8.8.8.8")).from(ip("1.2.3.4")), |_, _| true)
                    .unwrap_err()
            ),
            "RTNETLINK answers: Network is unreachable\n"
        );
    }

    #[test]
    fn ipv6_input_route_get_prints_iif_and_no_selected_source() {
        use crate::host::lookup::RouteQuery;
        let mut t = HostTables::new();
        let sa0 = t.add_interface("sa0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        let sb0 = t.add_interface("sb0", [2, 0, 0, 0, 0, 2], 1500).unwrap();
        t.set_link(sa0, true).unwrap();
        t.set_link(sb0, true).unwrap();
        t.add_addr(Addr::new(sb0, "2001:db8:b::10".parse().unwrap(), 64).with_flags(AddrFlags::NODAD))
            .unwrap();
        let q = RouteQuery::to("2001:db8:b::10".parse().unwrap())
            .from("2001:db8:a::c".parse().unwrap())
            .iif(sa0);
        let d = t.route_get(&q, |_, _| true).unwrap();
        assert_eq!(
            ip_route_get(&t, &d),
            "local 2001:db8:b::10 from 2001:db8:a::c dev lo table local proto kernel metric 0 iif sa0 pref medium\n"
        );
    }

    #[test]
    fn reject_routes_per_family() {
        let mut t = HostTables::new();
        let lo = crate::id::IfIndex::LOOPBACK;
        t.route_add(Route::new("10.9.0.0/16".parse().unwrap(), None, lo).with_kind(RouteType::Unreachable))
            .unwrap();
        t.route_add(Route::new("2001:db8:a::/48".parse().unwrap(), None, lo).with_kind(RouteType::Blackhole))
            .unwrap();
        assert_eq!(
            ip_route_show(&t, false, TableFilter::Only(254), Instant::ZERO),
            "unreachable 10.9.0.0/16 \n"
        );
        assert_eq!(
            ip_route_show(&t, true, TableFilter::Only(254), Instant::ZERO),
            "blackhole 2001:db8:a::/48 dev lo metric 1024 pref medium\n"
        );
    }
}
