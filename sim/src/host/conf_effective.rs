//! Effective sysctl values: where Linux combines `all` with the interface value when it reads a key instead of
//! pushing `all` down (linux-ipv6.md A3, A6, A20; include/linux/inetdevice.h IN_DEV_* macros for IPv4).
//!
//! These are the reads the packet path makes; each is a few field loads.

use super::sysctl::Sysctls;
use crate::id::IfIndex;

impl Sysctls {
    /// Packet forwarding is gated by `all.forwarding` (A4; ip6_output.c:ip6_forward).
    pub fn ipv6_forwarding_all(&self) -> bool {
        self.all6.forwarding != 0
    }

    /// accept_dad = max(all, IF) (A25; addrconf.c:addrconf_dad_begin).
    pub fn accept_dad(&self, ifindex: IfIndex) -> i32 {
        self.all6.accept_dad.max(self.v6(ifindex).accept_dad)
    }

    /// optimistic_dad = all OR IF (A3; addrconf.c:ipv6_use_optimistic_addr).
    pub fn optimistic_dad(&self, ifindex: IfIndex) -> bool {
        self.all6.optimistic_dad != 0 || self.v6(ifindex).optimistic_dad != 0
    }

    /// Optimistic addresses may be used as source when optimistic_dad and use_optimistic hold, each all OR IF
    /// (A3; addrconf.c:ipv6_use_optimistic_addr).
    pub fn use_optimistic(&self, ifindex: IfIndex) -> bool {
        self.optimistic_dad(ifindex) && (self.all6.use_optimistic != 0 || self.v6(ifindex).use_optimistic != 0)
    }

    /// Enhanced DAD sends a nonce unless both all and IF are 0 (A3, RFC 7527).
    pub fn enhanced_dad(&self, ifindex: IfIndex) -> bool {
        self.all6.enhanced_dad != 0 || self.v6(ifindex).enhanced_dad != 0
    }

    /// accept_source_route = min(all, IF) (A3, A21; exthdrs.c:ipv6_rthdr_rcv).
    pub fn accept_source_route6(&self, ifindex: IfIndex) -> i32 {
        self.all6.accept_source_route.min(self.v6(ifindex).accept_source_route)
    }

    /// keep_addr_on_down: `all` wins if non-zero (A3; addrconf.c:addrconf_ifdown).
    pub fn keep_addr_on_down(&self, ifindex: IfIndex) -> bool {
        if self.all6.keep_addr_on_down != 0 {
            self.all6.keep_addr_on_down > 0
        } else {
            self.v6(ifindex).keep_addr_on_down > 0
        }
    }

    /// ndisc_notify = all OR IF (A3).
    pub fn ndisc_notify(&self, ifindex: IfIndex) -> bool {
        self.all6.ndisc_notify != 0 || self.v6(ifindex).ndisc_notify != 0
    }

    /// ndisc_evict_nocarrier = all AND IF (A3; ndisc.c:ndisc_netdev_event).
    pub fn ndisc_evict_nocarrier(&self, ifindex: IfIndex) -> bool {
        self.all6.ndisc_evict_nocarrier != 0 && self.v6(ifindex).ndisc_evict_nocarrier != 0
    }

    /// proxy_ndp = all OR IF, and only on a forwarding interface (A3, B40).
    pub fn proxy_ndp(&self, ifindex: IfIndex) -> bool {
        let c = self.v6(ifindex);
        c.forwarding != 0 && (self.all6.proxy_ndp != 0 || c.proxy_ndp != 0)
    }

    /// RAs are processed when `forwarding ? accept_ra == 2 : accept_ra != 0` (A6; include/net/ipv6.h:ipv6_accept_ra).
    pub fn accept_ra(&self, ifindex: IfIndex) -> bool {
        let c = self.v6(ifindex);
        if c.forwarding != 0 {
            c.accept_ra == 2
        } else {
            c.accept_ra != 0
        }
    }

    /// Redirects are honoured only if IF.forwarding == 0 and IF.accept_redirects != 0; `all` is not read
    /// (A20; route.c:rt6_do_redirect).
    pub fn accept_redirects6(&self, ifindex: IfIndex) -> bool {
        let c = self.v6(ifindex);
        c.forwarding == 0 && c.accept_redirects != 0
    }

    /// Source addresses only from the outgoing interface (E2; addrconf.c:ipv6_dev_get_saddr).
    pub fn use_oif_addrs_only(&self, ifindex: IfIndex) -> bool {
        self.v6(ifindex).use_oif_addrs_only != 0
    }

    /// IPv4 forwarding on an interface (IN_DEV_FORWARD reads the device value; `all` is pushed down).
    pub fn ipv4_forwarding(&self, ifindex: IfIndex) -> bool {
        self.v4(ifindex).forwarding != 0
    }

    /// rp_filter = max(all, IF) (include/linux/inetdevice.h:IN_DEV_RPFILTER, IN_DEV_MAXCONF).
    pub fn rp_filter(&self, ifindex: IfIndex) -> i32 {
        self.all4.rp_filter.max(self.v4(ifindex).rp_filter)
    }

    /// IPv4 redirects accepted: forwarding ? (all AND IF) : (all OR IF) (inetdevice.h:IN_DEV_RX_REDIRECTS).
    pub fn accept_redirects4(&self, ifindex: IfIndex) -> bool {
        let c = self.v4(ifindex);
        if c.forwarding != 0 {
            self.all4.accept_redirects != 0 && c.accept_redirects != 0
        } else {
            self.all4.accept_redirects != 0 || c.accept_redirects != 0
        }
    }

    /// send_redirects = all OR IF (inetdevice.h:IN_DEV_TX_REDIRECTS).
    pub fn send_redirects4(&self, ifindex: IfIndex) -> bool {
        self.all4.send_redirects != 0 || self.v4(ifindex).send_redirects != 0
    }

    /// arp_ignore = max(all, IF) (inetdevice.h:IN_DEV_ARP_IGNORE).
    pub fn arp_ignore(&self, ifindex: IfIndex) -> i32 {
        self.all4.arp_ignore.max(self.v4(ifindex).arp_ignore)
    }

    /// arp_announce = max(all, IF) (inetdevice.h:IN_DEV_ARP_ANNOUNCE).
    pub fn arp_announce(&self, ifindex: IfIndex) -> i32 {
        self.all4.arp_announce.max(self.v4(ifindex).arp_announce)
    }

    /// arp_filter = all OR IF (inetdevice.h:IN_DEV_ARPFILTER).
    pub fn arp_filter(&self, ifindex: IfIndex) -> bool {
        self.all4.arp_filter != 0 || self.v4(ifindex).arp_filter != 0
    }

    /// proxy_arp = all OR IF (inetdevice.h:IN_DEV_PROXY_ARP).
    pub fn proxy_arp(&self, ifindex: IfIndex) -> bool {
        self.all4.proxy_arp != 0 || self.v4(ifindex).proxy_arp != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Sysctls {
        let mut s = Sysctls::new();
        s.add_interface(IfIndex(1), "lo", true);
        s.add_interface(IfIndex(2), "eth0", false);
        s
    }

    #[test]
    fn a3_combined_reads() {
        let mut s = host();
        let eth0 = IfIndex(2);
        assert_eq!(s.accept_dad(eth0), 1);
        s.set("net.ipv6.conf.all.accept_dad", "2").unwrap();
        assert_eq!(s.accept_dad(eth0), 2);
        assert_eq!(s.v6(eth0).accept_dad, 1);
        s.set("net.ipv6.conf.all.ndisc_evict_nocarrier", "0").unwrap();
        assert!(!s.ndisc_evict_nocarrier(eth0));
        assert!(!s.proxy_ndp(eth0));
        s.set("net.ipv6.conf.all.proxy_ndp", "1").unwrap();
        assert!(!s.proxy_ndp(eth0), "only while forwarding");
        s.set("net.ipv6.conf.eth0.forwarding", "1").unwrap();
        assert!(s.proxy_ndp(eth0));
    }

    #[test]
    fn a6_a20_effective_accept_ra_and_redirects() {
        let mut s = host();
        let eth0 = IfIndex(2);
        assert!(s.accept_ra(eth0) && s.accept_redirects6(eth0));
        s.set("net.ipv6.conf.eth0.forwarding", "1").unwrap();
        assert!(!s.accept_ra(eth0) && !s.accept_redirects6(eth0));
        s.set("net.ipv6.conf.eth0.accept_ra", "2").unwrap();
        assert!(s.accept_ra(eth0));
        s.set("net.ipv6.conf.eth0.forwarding", "0").unwrap();
        s.set("net.ipv6.conf.all.accept_redirects", "0").unwrap();
        assert!(s.accept_redirects6(eth0), "all.accept_redirects is not read (A20)");
    }

    #[test]
    fn ipv4_combinations() {
        let mut s = host();
        let eth0 = IfIndex(2);
        s.set("net.ipv4.conf.all.arp_ignore", "1").unwrap();
        s.set("net.ipv4.conf.eth0.arp_announce", "2").unwrap();
        assert_eq!((s.arp_ignore(eth0), s.arp_announce(eth0)), (1, 2));
        s.set("net.ipv4.conf.eth0.send_redirects", "0").unwrap();
        assert!(s.send_redirects4(eth0), "all.send_redirects=1 still ORs in");
        s.set("net.ipv4.conf.all.send_redirects", "0").unwrap();
        assert!(!s.send_redirects4(eth0));
        assert!(!s.proxy_arp(eth0) && !s.arp_filter(eth0));
        s.set("net.ipv4.conf.eth0.proxy_arp", "1").unwrap();
        assert!(s.proxy_arp(eth0));
        assert!(s.accept_redirects4(eth0));
        s.set("net.ipv4.conf.eth0.accept_redirects", "0").unwrap();
        assert!(s.accept_redirects4(eth0), "not forwarding: all OR IF");
    }
}
