//! Source and destination validation of received IPv4 packets: the martian checks of route.c:ip_route_input_slow
//! and reverse-path filtering (fib_frontend.c:fib_validate_source / __fib_validate_source), driven by `rp_filter` =
//! max(all, IF): 0 off, 1 strict, 2 loose.
//!
//! IPv6 has no rp_filter (linux-ipv6.md E9); a firewall RPF is a separate switch of the packet path.

use std::net::{IpAddr, Ipv4Addr};

use super::lookup::RouteQuery;
use super::route::RouteType;
use super::tables::HostTables;
use crate::id::IfIndex;

/// Why a received IPv4 packet fails source validation (the packet is dropped and counted as a martian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RpfError {
    /// EINVAL: the source is one of this host's addresses (accept_local = 0), or the reverse route is neither
    /// unicast nor local.
    #[error("martian source: local address")]
    LocalSource,
    /// EXDEV: rp_filter rejected it (strict: the reply would leave by another interface; loose: no route back).
    #[error("martian source: reverse path check failed")]
    ReversePath,
}

/// A received packet's address that Linux refuses before any routing (counted in /proc/net/stat/rt_cache
/// in_martian_src / in_martian_dst).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Martian {
    /// Source multicast, limited broadcast, 0/8 (unless to 255.255.255.255) or 127/8 off loopback.
    #[error("martian source")]
    Source,
    /// Destination 0/8, or 127/8 off loopback without route_localnet.
    #[error("martian destination")]
    Destination,
}

impl HostTables {
    /// The address checks ip_route_input_slow makes before the lookup: multicast or broadcast sources are martian;
    /// 0.0.0.0/8 sources only for the limited broadcast (DHCP); 0/8 destinations are martian; 127/8 on a
    /// non-loopback interface only with route_localnet.
    pub fn check_martian4(&self, src: Ipv4Addr, dst: Ipv4Addr, iif: IfIndex) -> Result<(), Martian> {
        if src.is_multicast() || src.is_broadcast() {
            return Err(Martian::Source);
        }
        if dst.is_broadcast() || (src.is_unspecified() && dst.is_unspecified()) {
            return Ok(());
        }
        if src.octets()[0] == 0 {
            return Err(Martian::Source);
        }
        if dst.octets()[0] == 0 {
            return Err(Martian::Destination);
        }
        let localnet =
            iif == IfIndex::LOOPBACK || self.sysctl.all4.route_localnet != 0 || self.sysctl.v4(iif).route_localnet != 0;
        if dst.is_loopback() && !localnet {
            return Err(Martian::Destination);
        }
        if src.is_loopback() && !localnet {
            return Err(Martian::Source);
        }
        Ok(())
    }

    /// Validates the source of an IPv4 packet `src → dst` received on `iif`.
    ///
    /// rp_filter 0 (and accept_local 0): only a source equal to one of our addresses is rejected
    /// (fib_validate_source fast path, inet_lookup_ifaddr_rcu). Otherwise the reverse route (to `src`, from `dst`,
    /// input device `iif`) is looked up: no route → EXDEV when rp_filter ≠ 0; a route through `iif` passes; a route
    /// through another device fails in strict mode and passes in loose mode (__fib_validate_source).
    pub fn validate_source4(&self, src: Ipv4Addr, dst: Ipv4Addr, iif: IfIndex) -> Result<(), RpfError> {
        let rpf = self.sysctl.rp_filter(iif);
        let accept_local = self.sysctl.all4.accept_local != 0 || self.sysctl.v4(iif).accept_local != 0;
        if rpf == 0 {
            if !accept_local && self.addrs.find_local(IpAddr::V4(src)).is_some() {
                return Err(RpfError::LocalSource);
            }
            return Ok(());
        }
        // The reverse lookup runs as an output lookup would for the reply, but with iif set for the rules
        // (fl4.flowi4_iif = oif ?: LOOPBACK, saddr = dst); the forwarding check of input lookups does not apply.
        let mut q = RouteQuery::to(IpAddr::V4(src));
        q.src = Some(IpAddr::V4(dst)).filter(|_| self.addrs.find_local(IpAddr::V4(dst)).is_some());
        let Ok(d) = self.route_get(&q, |_, _| true) else {
            return Err(RpfError::ReversePath);
        };
        match d.kind {
            RouteType::Unicast => {}
            RouteType::Local if accept_local => {}
            _ => return Err(RpfError::LocalSource),
        }
        if d.dev == iif || rpf == 2 {
            Ok(())
        } else {
            Err(RpfError::ReversePath)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::addr::Addr;
    use crate::host::route::Route;

    /// The seed VM's IPv4 side: eth0 10.0.9.165/24 without a gateway; eth1 IPv6 only.
    fn vm() -> (HostTables, IfIndex, IfIndex) {
        let mut t = HostTables::new();
        let eth0 = t.add_interface("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        let eth1 = t.add_interface("eth1", [2, 0, 0, 0, 0, 2], 1500).unwrap();
        t.set_link(eth0, true).unwrap();
        t.set_link(eth1, true).unwrap();
        t.add_addr(Addr::new(eth0, "10.0.9.165".parse().unwrap(), 24)).unwrap();
        (t, eth0, eth1)
    }

    fn v4(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn off_link_client_dropped_by_rp_filter_accepted_without() {
        let (mut t, eth0, _) = vm();
        let me = v4("10.0.9.165");
        assert_eq!(
            t.validate_source4(v4("192.168.50.7"), me, eth0),
            Ok(()),
            "rp_filter=0 accepts"
        );
        assert_eq!(
            t.validate_source4(v4("10.0.9.165"), me, eth0),
            Err(RpfError::LocalSource)
        );
        for mode in ["1", "2"] {
            t.set_sysctl("net.ipv4.conf.all.rp_filter", mode).unwrap();
            assert_eq!(
                t.validate_source4(v4("192.168.50.7"), me, eth0),
                Err(RpfError::ReversePath),
                "mode {mode}: no route back"
            );
            assert_eq!(
                t.validate_source4(v4("10.0.9.151"), me, eth0),
                Ok(()),
                "mode {mode}: director on-link"
            );
        }
    }

    #[test]
    fn strict_rejects_asymmetric_loose_accepts() {
        let (mut t, eth0, eth1) = vm();
        t.add_addr(Addr::new(eth1, "10.0.8.5".parse().unwrap(), 24)).unwrap();
        t.route_add(Route::new(
            "0.0.0.0/0".parse().unwrap(),
            Some("10.0.8.1".parse().unwrap()),
            eth1,
        ))
        .unwrap();
        let me = v4("10.0.9.165");
        // A packet from the internet arriving on eth0, whose reply would leave by eth1's default route.
        t.set_sysctl("net.ipv4.conf.eth0.rp_filter", "1").unwrap();
        assert_eq!(t.validate_source4(v4("8.8.8.8"), me, eth0), Err(RpfError::ReversePath));
        assert_eq!(t.validate_source4(v4("8.8.8.8"), me, eth1), Ok(()));
        t.set_sysctl("net.ipv4.conf.eth0.rp_filter", "2").unwrap();
        assert_eq!(t.validate_source4(v4("8.8.8.8"), me, eth0), Ok(()));
    }

    #[test]
    fn martians() {
        let (mut t, eth0, _) = vm();
        let me = v4("10.0.9.165");
        assert_eq!(t.check_martian4(v4("224.0.0.1"), me, eth0), Err(Martian::Source));
        assert_eq!(t.check_martian4(v4("255.255.255.255"), me, eth0), Err(Martian::Source));
        assert_eq!(
            t.check_martian4(v4("0.0.0.0"), v4("255.255.255.255"), eth0),
            Ok(()),
            "DHCP discover"
        );
        assert_eq!(t.check_martian4(v4("0.0.0.0"), me, eth0), Err(Martian::Source));
        assert_eq!(
            t.check_martian4(v4("10.0.9.151"), v4("0.1.2.3"), eth0),
            Err(Martian::Destination)
        );
        assert_eq!(
            t.check_martian4(v4("10.0.9.151"), v4("127.0.0.1"), eth0),
            Err(Martian::Destination)
        );
        assert_eq!(t.check_martian4(v4("127.0.0.1"), me, eth0), Err(Martian::Source));
        assert_eq!(
            t.check_martian4(v4("127.0.0.1"), v4("127.0.0.1"), IfIndex::LOOPBACK),
            Ok(())
        );
        t.set_sysctl("net.ipv4.conf.eth0.route_localnet", "1").unwrap();
        assert_eq!(t.check_martian4(v4("10.0.9.151"), v4("127.0.0.1"), eth0), Ok(()));
        assert_eq!(t.check_martian4(v4("10.0.9.151"), me, eth0), Ok(()));
    }
}
