//! Subnet-router anycast (RFC 4291 §2.6.1): an IPv6 interface with forwarding on answers the all-zero-IID address
//! of each of its prefixes. Linux installs `anycast P:: dev IF table local proto kernel metric 0 pref medium` for
//! every non-tentative address on such an interface (addrconf.c:addrconf_join_anycast, called from
//! dev_forward_change and __ipv6_ifa_notify; anycast.c:__ipv6_dev_ac_inc → addrconf_f6i_alloc(anycast = true)),
//! skipping /127 and /128 (RFC 6164) and the unspecified prefix.

use std::net::{IpAddr, Ipv6Addr};

use ipnet::{IpNet, Ipv6Net};

use super::route::{table, Proto, Route, RouteType};
use super::tables::HostTables;
use crate::id::IfIndex;

fn anycast_route(ifindex: IfIndex, addr: Ipv6Addr) -> Route {
    Route::new(IpNet::V6(Ipv6Net::from(addr)), None, ifindex)
        .with_table(table::LOCAL)
        .with_kind(RouteType::Anycast)
        .with_metric(0)
        .with_proto(Proto::Kernel)
}

impl HostTables {
    /// The subnet-router anycast addresses `ifindex` should hold now: one per distinct prefix of its usable IPv6
    /// addresses, while the interface is up, IPv6 is enabled and conf/IF/forwarding is set.
    pub fn anycast_wanted(&self, ifindex: IfIndex) -> Vec<Ipv6Addr> {
        let conf = self.sysctl.v6(ifindex);
        let active = self.ifaces.is_up(ifindex)
            && conf.forwarding != 0
            && conf.disable_ipv6 == 0
            && self.sysctl.all6.disable_ipv6 == 0;
        let mut out: Vec<Ipv6Addr> = Vec::new();
        if !active {
            return out;
        }
        for a in self
            .addrs
            .on(ifindex, true)
            .filter(|a| a.is_usable() && a.prefix_len < 127)
        {
            let IpAddr::V6(x) = a.addr else { continue };
            let Ok(net) = Ipv6Net::new(x, a.prefix_len) else {
                continue;
            };
            let p = net.network();
            if !p.is_unspecified() && !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// Brings the interface's anycast routes in line with [`HostTables::anycast_wanted`]; called after every change
    /// that can alter it (address usable or gone, forwarding, link, disable_ipv6). Control-plane only.
    pub(crate) fn sync_anycast(&mut self, ifindex: IfIndex) {
        let wanted = self.anycast_wanted(ifindex);
        self.fib6.remove_where(|r| {
            r.kind == RouteType::Anycast
                && r.dev == ifindex
                && !matches!(r.dst, IpNet::V6(n) if wanted.contains(&n.addr()))
        });
        for a in wanted {
            self.fib6.ensure(anycast_route(ifindex, a));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::addr::{Addr, AddrFlags, AddrProto};
    use crate::host::lookup::RouteQuery;
    use crate::host::render::{ip_route_show, TableFilter};
    use crate::time::Instant;

    fn router() -> (HostTables, IfIndex) {
        let mut t = HostTables::new();
        let rb0 = t.add_interface("rb0", [2, 0, 0, 0, 0, 0xb1], 1500).unwrap();
        t.set_link(rb0, true).unwrap();
        t.add_addr_kernel(Addr::new(rb0, "fe80::b1".parse().unwrap(), 64).with_proto(AddrProto::KernelLl))
            .unwrap();
        t.dad_completed(rb0, "fe80::b1".parse().unwrap()).unwrap();
        t.add_addr(Addr::new(rb0, "2001:db8:b::1".parse().unwrap(), 64).with_flags(AddrFlags::NODAD))
            .unwrap();
        (t, rb0)
    }

    fn local_table(t: &HostTables) -> String {
        ip_route_show(t, true, TableFilter::Only(table::LOCAL), Instant::ZERO)
    }

    #[test]
    fn forwarding_joins_and_leaves_subnet_router_anycast() {
        let (mut t, rb0) = router();
        assert!(!local_table(&t).contains("anycast"));
        t.set_sysctl("net.ipv6.conf.all.forwarding", "1").unwrap();
        assert_eq!(
            local_table(&t),
            "local ::1 dev lo proto kernel metric 0 pref medium\n\
             anycast 2001:db8:b:: dev rb0 proto kernel metric 0 pref medium\n\
             local 2001:db8:b::1 dev rb0 proto kernel metric 0 pref medium\n\
             anycast fe80:: dev rb0 proto kernel metric 0 pref medium\n\
             local fe80::b1 dev rb0 proto kernel metric 0 pref medium\n\
             multicast ff00::/8 dev rb0 proto kernel metric 256 pref medium\n"
        );
        let d = t
            .route_get(&RouteQuery::to("2001:db8:b::".parse().unwrap()), |_, _| true)
            .unwrap();
        assert_eq!((d.kind, d.dev), (RouteType::Anycast, IfIndex::LOOPBACK));
        // A second address of the same prefix shares the anycast route; it goes only with the last one.
        t.add_addr(Addr::new(rb0, "2001:db8:b::2".parse().unwrap(), 64).with_flags(AddrFlags::NODAD))
            .unwrap();
        t.del_addr(rb0, "2001:db8:b::1".parse().unwrap()).unwrap();
        assert!(local_table(&t).contains("anycast 2001:db8:b:: dev rb0"));
        t.del_addr(rb0, "2001:db8:b::2".parse().unwrap()).unwrap();
        assert!(!local_table(&t).contains("anycast 2001:db8:b::"));
        t.set_sysctl("net.ipv6.conf.rb0.forwarding", "0").unwrap();
        assert!(!local_table(&t).contains("anycast"));
    }

    #[test]
    fn tentative_and_point_to_point_prefixes_get_none() {
        let (mut t, rb0) = router();
        t.set_sysctl("net.ipv6.conf.rb0.forwarding", "1").unwrap();
        t.add_addr(Addr::new(rb0, "2001:db8:c::1".parse().unwrap(), 64))
            .unwrap();
        t.add_addr(Addr::new(rb0, "2001:db8:d::1".parse().unwrap(), 127).with_flags(AddrFlags::NODAD))
            .unwrap();
        assert!(
            !t.anycast_wanted(rb0).contains(&"2001:db8:c::".parse().unwrap()),
            "tentative"
        );
        assert!(
            !t.anycast_wanted(rb0).contains(&"2001:db8:d::".parse().unwrap()),
            "RFC 6164 /127"
        );
        t.dad_completed(rb0, "2001:db8:c::1".parse().unwrap()).unwrap();
        assert!(local_table(&t).contains("anycast 2001:db8:c:: dev rb0"));
        t.set_link(rb0, false).unwrap();
        t.set_link(rb0, true).unwrap();
        assert!(
            t.anycast_wanted(rb0).is_empty(),
            "addresses went with the link (keep_addr_on_down=0)"
        );
    }
}
