//! The host's control-plane tables as one consistent whole: adding an address installs the routes Linux installs,
//! link and sysctl changes flush what Linux flushes, and lifetimes expire on `now`.
//!
//! The packet path reads the public fields directly; every mutation goes through a method here so the tables never
//! disagree (an address without its `local` route, a route through a vanished interface).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::addr::{Addr, AddrChange, AddrError, AddrFlags, AddrProto, Addresses};
use super::fib::{Fib, FibError, RouteSelector};
use super::iface::{IfaceError, Interfaces};
use super::route::{table, Proto, Route, RouteScope, RouteType};
use super::rule::RuleSet;
use super::sysctl::Sysctls;
use super::version::Version;
use crate::id::IfIndex;
use crate::time::Instant;

/// What [`HostTables::add_addr`] means for the DAD engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DadNeed {
    /// The address is usable now (IPv4, `nodad`, accept_dad = 0, loopback).
    None,
    /// The address is `tentative`: run DAD, then call [`HostTables::dad_completed`] or [`HostTables::dad_failed`].
    /// If the link is down, DAD starts when it comes up (addrconf.c:addrconf_dad_begin waits for IFF_UP).
    Start,
}

/// What [`HostTables::expire`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expired {
    /// Address changes (deprecated or removed).
    pub addrs: Vec<AddrChange>,
    /// Routes removed (by their own expiry or with a removed address).
    pub routes: Vec<Route>,
}

/// A host's interfaces, sysctls, addresses, routing tables and rules.
#[derive(Debug, Clone)]
pub struct HostTables {
    /// Sysctls.
    pub sysctl: Sysctls,
    /// Interfaces (`lo` first).
    pub ifaces: Interfaces,
    /// Addresses of both families.
    pub addrs: Addresses,
    /// IPv4 routing tables.
    pub fib4: Fib,
    /// IPv6 routing tables.
    pub fib6: Fib,
    /// IPv4 policy rules.
    pub rules4: RuleSet,
    /// IPv6 policy rules.
    pub rules6: RuleSet,
}

impl Default for HostTables {
    fn default() -> Self {
        HostTables::new()
    }
}

/// The IPv6 `local` route of an address (addrconf.c:addrconf_f6i_alloc: table local, metric 0, proto kernel).
fn local6(ifindex: IfIndex, a: Ipv6Addr) -> Route {
    Route::new(IpNet::V6(Ipv6Net::from(a)), None, ifindex)
        .with_table(table::LOCAL)
        .with_kind(RouteType::Local)
        .with_metric(0)
        .with_proto(Proto::Kernel)
}

/// An IPv4 route from fib_magic: unicast goes to main, the rest to local; scope host for local, link otherwise.
fn magic4(kind: RouteType, dst: Ipv4Net, ifindex: IfIndex, src: Ipv4Addr, metric: u32) -> Route {
    let t = if kind == RouteType::Unicast {
        table::MAIN
    } else {
        table::LOCAL
    };
    Route::new(IpNet::V4(dst), None, ifindex)
        .with_table(t)
        .with_kind(kind)
        .with_metric(metric)
        .with_proto(Proto::Kernel)
        .with_scope(if kind == RouteType::Local {
            RouteScope::Host
        } else {
            RouteScope::Link
        })
        .with_prefsrc(IpAddr::V4(src))
}

impl HostTables {
    /// A host with `lo` up, `127.0.0.1/8` and `::1/128` and their routes (E.log shows no `::1` route in main on 6.18;
    /// addrconf.c:init_loopback adds the address without a prefix route).
    pub fn new() -> HostTables {
        let mut t = HostTables {
            sysctl: Sysctls::new(),
            ifaces: Interfaces::new(),
            addrs: Addresses::new(),
            fib4: Fib::new(),
            fib6: Fib::new(),
            rules4: RuleSet::default_v4(),
            rules6: RuleSet::default_v6(),
        };
        let lo = IfIndex::LOOPBACK;
        t.sysctl.add_interface(lo, "lo", true);
        t.link_up_routes(lo);
        // The kernel configures 127.0.0.1/8 on lo without a broadcast address (devinet.c:inetdev_event NETDEV_UP).
        let v4 = Addr {
            broadcast: None,
            ..Addr::new(lo, IpAddr::V4(Ipv4Addr::LOCALHOST), 8)
        };
        let v6 = Addr::new(lo, IpAddr::V6(Ipv6Addr::LOCALHOST), 128).with_proto(AddrProto::KernelLo);
        // Both are well-formed constants; insertion into an empty table cannot fail.
        let _ = t.insert_addr(v4, true);
        let _ = t.insert_addr(v6, false);
        t
    }

    /// The change stamps of every table a route lookup reads (sysctls, interfaces, addresses, both FIBs and both
    /// rule sets): equal stamps, equal lookup answers for equal queries and neighbour states.
    pub fn versions(&self) -> [Version; 7] {
        [
            self.sysctl.version(),
            self.ifaces.version(),
            self.addrs.version(),
            self.fib4.version(),
            self.fib6.version(),
            self.rules4.version(),
            self.rules6.version(),
        ]
    }

    /// Creates an Ethernet interface (down; bring it up with [`HostTables::set_link`]); its sysctls copy `default`.
    pub fn add_interface(&mut self, name: &str, mac: [u8; 6], mtu: u32) -> Result<IfIndex, IfaceError> {
        let i = self.ifaces.add_ether(name, mac, mtu)?;
        self.sysctl.add_interface(i, name, false);
        // conf/IF/mtu starts at the device MTU (addrconf.c:ipv6_add_dev, `cnf.mtu6 = dev->mtu`).
        if let Some(c) = self.sysctl.v6_mut(i) {
            c.mtu = i32::try_from(mtu).unwrap_or(i32::MAX).max(1280);
        }
        Ok(i)
    }

    fn ipv6_enabled(&self, ifindex: IfIndex) -> bool {
        self.sysctl.v6(ifindex).disable_ipv6 == 0 && self.sysctl.all6.disable_ipv6 == 0
    }

    /// Routes an interface gets when it comes up: IPv6 `multicast ff00::/8` in table local and `fe80::/64` in main
    /// (addrconf.c:addrconf_add_mroute, addrconf_add_linklocal's prefix route), and the IPv4 routes of its addresses
    /// (fib_frontend.c:fib_netdev_event NETDEV_UP → fib_add_ifaddr).
    pub(crate) fn link_up_routes(&mut self, ifindex: IfIndex) {
        if self.ipv6_enabled(ifindex) && ifindex != IfIndex::LOOPBACK {
            let mc = Route::new("ff00::/8".parse().unwrap_or_default(), None, ifindex)
                .with_table(table::LOCAL)
                .with_kind(RouteType::Multicast)
                .with_metric(256)
                .with_proto(Proto::Kernel);
            self.fib6.ensure(mc);
            let ll = Route::new("fe80::/64".parse().unwrap_or_default(), None, ifindex)
                .with_metric(256)
                .with_proto(Proto::Kernel);
            self.fib6.ensure(ll);
        }
        let v4: Vec<Addr> = self.addrs.on(ifindex, false).cloned().collect();
        for a in v4 {
            self.install_v4(&a);
        }
        let v6: Vec<Addr> = self
            .addrs
            .on(ifindex, true)
            .filter(|a| a.is_usable())
            .cloned()
            .collect();
        for a in v6 {
            let IpAddr::V6(x) = a.addr else { continue };
            self.fib6.ensure(local6(ifindex, x));
            // Addresses kept over a down/up (keep_addr_on_down) get their prefix route back if permanent
            // (addrconf.c:addrconf_permanent_addr → fixup_permanent_addr).
            if a.flags.has(AddrFlags::PERMANENT) && !a.flags.has(AddrFlags::NOPREFIXROUTE) {
                if let Ok(net) = Ipv6Net::new(x, a.prefix_len) {
                    let metric = if a.rt_metric == 0 { 256 } else { a.rt_metric };
                    let r = Route::new(IpNet::V6(net.trunc()), None, ifindex)
                        .with_metric(metric)
                        .with_proto(Proto::Kernel);
                    self.fib6.ensure(r);
                }
            }
        }
        self.sync_anycast(ifindex);
    }

    /// Administrative up/down (`ip link set IF up|down`). Down: IPv6 routes of the device go, and its IPv6 addresses
    /// unless keep_addr_on_down (addrconf.c:addrconf_ifdown); IPv4 routes through it go except host-scope `local`
    /// routes (fib_frontend.c:fib_disable_ip → fib_sync_down_dev(force=false)). Up: see `link_up_routes`.
    /// Returns the IPv6 addresses removed. The link-local is generated by the caller (addr_gen_mode needs the RNG).
    pub fn set_link(&mut self, ifindex: IfIndex, up: bool) -> Result<Vec<Addr>, IfaceError> {
        let iface = self
            .ifaces
            .get_mut(ifindex)
            .ok_or_else(|| IfaceError::NoDevice(ifindex.to_string()))?;
        if iface.admin_up == up {
            return Ok(Vec::new());
        }
        iface.admin_up = up;
        if up {
            self.link_up_routes(ifindex);
            return Ok(Vec::new());
        }
        self.fib6.remove_where(|r| r.dev == ifindex);
        self.fib4
            .remove_where(|r| r.dev == ifindex && r.kind != RouteType::Local);
        if self.sysctl.keep_addr_on_down(ifindex) {
            return Ok(Vec::new());
        }
        Ok(self.addrs.remove_where(|a| a.ifindex == ifindex && a.is_v6()))
    }

    /// Carrier change (link beat). Routes stay (RTNH_F_LINKDOWN only matters with ignore_routes_with_linkdown).
    pub fn set_carrier(&mut self, ifindex: IfIndex, carrier: bool) -> Result<(), IfaceError> {
        let iface = self
            .ifaces
            .get_mut(ifindex)
            .ok_or_else(|| IfaceError::NoDevice(ifindex.to_string()))?;
        iface.carrier = carrier;
        Ok(())
    }

    /// `ip addr add` (addrconf.c:inet6_addr_add, devinet.c:inet_rtm_newaddr). IPv6 starts `tentative` unless
    /// `nodad`, accept_dad = 0 (max of all/IF, A25) or loopback; a usable address gets its `local` route at once,
    /// a tentative one when DAD completes (ipv6_ifa_notify on addrconf_dad_completed). The prefix route
    /// `P/len dev IF proto kernel metric 256` is added unless `noprefixroute`, with the valid lifetime as expiry
    /// for non-permanent addresses (addrconf_prefix_route).
    pub fn add_addr(&mut self, a: Addr) -> Result<DadNeed, AddrError> {
        self.insert_addr(a, true)
    }

    /// Adds an address the way the kernel adds its own (SLAAC, link-local: addrconf.c:ipv6_add_addr): same DAD
    /// handling, but no prefix route — the RA's PIO decides that route (B25/B26), and `fe80::/64` comes with the link.
    pub fn add_addr_kernel(&mut self, a: Addr) -> Result<DadNeed, AddrError> {
        self.insert_addr(a, false)
    }

    pub(crate) fn insert_addr(&mut self, mut a: Addr, prefix_route: bool) -> Result<DadNeed, AddrError> {
        if self.ifaces.get(a.ifindex).is_none() {
            return Err(AddrError::NoDevice);
        }
        let IpAddr::V6(x) = a.addr else {
            self.addrs.insert(a.clone())?;
            let stored = self.addrs.get(a.ifindex, a.addr).cloned().unwrap_or(a);
            if self.ifaces.is_up(stored.ifindex) {
                self.install_v4(&stored);
            }
            return Ok(DadNeed::None);
        };
        if !self.ipv6_enabled(a.ifindex) {
            return Err(AddrError::Ipv6Disabled);
        }
        let no_dad =
            a.flags.has(AddrFlags::NODAD) || a.ifindex == IfIndex::LOOPBACK || self.sysctl.accept_dad(a.ifindex) <= 0;
        if no_dad {
            a.flags.0 &= !AddrFlags::TENTATIVE;
        } else {
            a.flags.0 |= AddrFlags::TENTATIVE;
        }
        let (ifindex, plen, metric, valid) = (a.ifindex, a.prefix_len, a.rt_metric, a.valid_until);
        let noprefix = a.flags.has(AddrFlags::NOPREFIXROUTE);
        self.addrs.insert(a)?;
        if prefix_route && !noprefix {
            let net = Ipv6Net::new(x, plen).map_err(|_| AddrError::Invalid)?.trunc();
            let mut r = Route::new(IpNet::V6(net), None, ifindex)
                .with_metric(if metric == 0 { 256 } else { metric })
                .with_proto(Proto::Kernel);
            r.expires = valid;
            self.fib6.ensure(r);
        }
        if no_dad {
            if self.ifaces.is_up(ifindex) {
                self.fib6.ensure(local6(ifindex, x));
            }
            self.sync_anycast(ifindex);
            Ok(DadNeed::None)
        } else {
            Ok(DadNeed::Start)
        }
    }

    /// IPv4 address routes (fib_frontend.c:fib_add_ifaddr): `local X` and `broadcast` in table local; the prefix
    /// route `P/len dev IF proto kernel scope link src X` in main for a primary (not for /32 or `noprefixroute`);
    /// the last address of the subnet as `broadcast` for prefixes shorter than /31. On `lo` the prefix is `local`.
    fn install_v4(&mut self, a: &Addr) {
        let IpAddr::V4(x) = a.addr else { return };
        let i = a.ifindex;
        let primary = if a.flags.has(AddrFlags::SECONDARY) {
            self.addrs
                .on(i, false)
                .find(|p| !p.flags.has(AddrFlags::SECONDARY) && p.same_subnet(a.addr))
                .and_then(|p| if let IpAddr::V4(p) = p.addr { Some(p) } else { None })
                .unwrap_or(x)
        } else {
            x
        };
        self.fib4
            .ensure(magic4(RouteType::Local, Ipv4Net::from(x), i, primary, 0));
        if let Some(b) = a.broadcast.filter(|b| *b != Ipv4Addr::BROADCAST) {
            self.fib4
                .ensure(magic4(RouteType::Broadcast, Ipv4Net::from(b), i, primary, 0));
        }
        let Ok(net) = Ipv4Net::new(x, a.prefix_len) else { return };
        let net = net.trunc();
        if a.flags.has(AddrFlags::SECONDARY) || net.network().is_unspecified() || a.prefix_len == 32 {
            return;
        }
        if !a.flags.has(AddrFlags::NOPREFIXROUTE) {
            let kind = if i == IfIndex::LOOPBACK {
                RouteType::Local
            } else {
                RouteType::Unicast
            };
            self.fib4.ensure(magic4(kind, net, i, primary, a.rt_metric));
        }
        if a.prefix_len < 31 {
            self.fib4.ensure(magic4(
                RouteType::Broadcast,
                Ipv4Net::from(net.broadcast()),
                i,
                primary,
                0,
            ));
        }
    }

    /// `ip addr del`: removes the address and the routes it owned (IPv6: its `local` route and its kernel prefix
    /// route if no other address on the device has that prefix, addrconf.c:check_cleanup_prefix_route; IPv4: routes
    /// whose preferred source it was, fib_frontend.c:fib_del_ifaddr), then re-installs routes for a promoted secondary.
    pub fn del_addr(&mut self, ifindex: IfIndex, addr: IpAddr) -> Result<Addr, AddrError> {
        let gone = self.addrs.remove(ifindex, addr)?;
        self.drop_addr_routes(&gone);
        Ok(gone)
    }

    fn drop_addr_routes(&mut self, gone: &Addr) {
        match gone.addr {
            IpAddr::V6(x) => {
                let still_local = self.addrs.iter().any(|a| a.addr == gone.addr);
                if !still_local {
                    self.fib6
                        .remove_where(|r| r.kind == RouteType::Local && r.dst == IpNet::V6(Ipv6Net::from(x)));
                }
                if let Ok(net) = Ipv6Net::new(x, gone.prefix_len) {
                    let net = net.trunc();
                    let shared = self
                        .addrs
                        .on(gone.ifindex, true)
                        .any(|a| a.prefix_len == gone.prefix_len && a.same_subnet(gone.addr));
                    if !shared && !gone.flags.has(AddrFlags::NOPREFIXROUTE) {
                        self.fib6.remove_where(|r| {
                            r.dst == IpNet::V6(net)
                                && r.dev == gone.ifindex
                                && r.proto == Proto::Kernel
                                && r.gateway.is_none()
                                && !r.flags.any(super::route::RouteFlags::ADDRCONF)
                        });
                    }
                }
                self.sync_anycast(gone.ifindex);
            }
            IpAddr::V4(_) => {
                self.fib4.remove_where(|r| {
                    r.dev == gone.ifindex && r.proto == Proto::Kernel && r.prefsrc == Some(gone.addr)
                });
                let promoted: Vec<Addr> = self.addrs.on(gone.ifindex, false).cloned().collect();
                if self.ifaces.is_up(gone.ifindex) {
                    for a in &promoted {
                        self.install_v4(a);
                    }
                }
            }
        }
    }

    /// DAD succeeded: the address loses `tentative`/`optimistic` and gets its `local` route (addrconf_dad_completed).
    pub fn dad_completed(&mut self, ifindex: IfIndex, addr: Ipv6Addr) -> Result<(), AddrError> {
        let a = self
            .addrs
            .get_mut(ifindex, IpAddr::V6(addr))
            .ok_or(AddrError::NotFound)?;
        a.flags.0 &= !(AddrFlags::TENTATIVE | AddrFlags::OPTIMISTIC);
        if self.ifaces.is_up(ifindex) {
            self.fib6.ensure(local6(ifindex, addr));
        }
        self.sync_anycast(ifindex);
        Ok(())
    }

    /// DAD failed for a kept address: `dadfailed`, still `tentative`, never a source (C-series; E2). Deleting SLAAC
    /// addresses instead is the caller's choice (addrconf_dad_failure), via [`HostTables::del_addr`].
    pub fn dad_failed(&mut self, ifindex: IfIndex, addr: Ipv6Addr) -> Result<(), AddrError> {
        let a = self
            .addrs
            .get_mut(ifindex, IpAddr::V6(addr))
            .ok_or(AddrError::NotFound)?;
        a.flags.0 |= AddrFlags::DADFAILED | AddrFlags::TENTATIVE;
        a.flags.0 &= !AddrFlags::OPTIMISTIC;
        self.fib6
            .remove_where(|r| r.kind == RouteType::Local && r.dst == IpNet::V6(Ipv6Net::from(addr)));
        Ok(())
    }

    /// `ip route add`: checks the device exists, then [`Fib::add`] in the family's tables.
    pub fn route_add(&mut self, r: Route) -> Result<(), FibError> {
        if self.ifaces.get(r.dev).is_none() {
            return Err(FibError::Invalid);
        }
        self.fib_for_mut(&r.dst).add(r)
    }

    /// `ip route append`: another path for an existing prefix and metric ([`Fib::append`]).
    pub fn route_append(&mut self, r: Route) -> Result<(), FibError> {
        if self.ifaces.get(r.dev).is_none() {
            return Err(FibError::Invalid);
        }
        self.fib_for_mut(&r.dst).append(r)
    }

    /// A route the kernel installs itself (no NLM_F_EXCL; [`Fib::ensure`]); false if it was already there.
    pub fn route_add_kernel(&mut self, r: Route) -> Result<bool, FibError> {
        if self.ifaces.get(r.dev).is_none() {
            return Err(FibError::Invalid);
        }
        Ok(self.fib_for_mut(&r.dst).ensure(r))
    }

    /// `ip route replace`.
    pub fn route_replace(&mut self, r: Route) -> Result<(), FibError> {
        if self.ifaces.get(r.dev).is_none() {
            return Err(FibError::Invalid);
        }
        self.fib_for_mut(&r.dst).replace(r);
        Ok(())
    }

    /// `ip route del`.
    pub fn route_del(&mut self, sel: &RouteSelector) -> Result<Route, FibError> {
        self.fib_for_mut(&sel.dst).del(sel)
    }

    fn fib_for_mut(&mut self, dst: &IpNet) -> &mut Fib {
        match dst {
            IpNet::V4(_) => &mut self.fib4,
            IpNet::V6(_) => &mut self.fib6,
        }
    }

    /// Ages address lifetimes and route expiries at `now`; removed addresses take their routes along.
    pub fn expire(&mut self, now: Instant) -> Expired {
        let mut out = Expired {
            addrs: self.addrs.expire(now),
            routes: self.fib6.expire(now),
        };
        out.routes.extend(self.fib4.expire(now));
        for c in &out.addrs {
            if let AddrChange::Removed(a) = c {
                let a = a.clone();
                self.drop_addr_routes(&a);
            }
        }
        out
    }

    /// When the tables next need [`HostTables::expire`].
    pub fn next_deadline(&self) -> Option<Instant> {
        let mut d = self.addrs.next_deadline();
        for x in [self.fib6.next_deadline(), self.fib4.next_deadline()]
            .into_iter()
            .flatten()
        {
            d = Some(d.map_or(x, |d| d.min(x)));
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump6(t: &HostTables, table: u32) -> Vec<String> {
        t.fib6
            .dump(Some(table))
            .iter()
            .map(|r| format!("{:?} {} {}", r.kind, r.dst, t.ifaces.name(r.dev)))
            .collect()
    }

    #[test]
    fn ipv6_address_routes_follow_dad() {
        let mut t = HostTables::new();
        let e = t.add_interface("eth1", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        t.set_link(e, true).unwrap();
        let x: Ipv6Addr = "2601:646:100:69f1::165".parse().unwrap();
        let need = t.add_addr(Addr::new(e, IpAddr::V6(x), 64)).unwrap();
        assert_eq!(need, DadNeed::Start);
        assert_eq!(
            dump6(&t, table::MAIN),
            ["Unicast 2601:646:100:69f1::/64 eth1", "Unicast fe80::/64 eth1"]
        );
        assert_eq!(dump6(&t, table::LOCAL), ["Local ::1/128 lo", "Multicast ff00::/8 eth1"]);
        t.dad_completed(e, x).unwrap();
        assert_eq!(
            dump6(&t, table::LOCAL),
            [
                "Local ::1/128 lo",
                "Local 2601:646:100:69f1::165/128 eth1",
                "Multicast ff00::/8 eth1"
            ]
        );
        t.del_addr(e, IpAddr::V6(x)).unwrap();
        assert_eq!(dump6(&t, table::MAIN), ["Unicast fe80::/64 eth1"]);
        assert_eq!(dump6(&t, table::LOCAL), ["Local ::1/128 lo", "Multicast ff00::/8 eth1"]);
    }

    #[test]
    fn nodad_and_noprefixroute() {
        let mut t = HostTables::new();
        let e = t.add_interface("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        t.set_link(e, true).unwrap();
        let a =
            Addr::new(e, "2001:db8::1".parse().unwrap(), 64).with_flags(AddrFlags::NODAD | AddrFlags::NOPREFIXROUTE);
        assert_eq!(t.add_addr(a).unwrap(), DadNeed::None);
        assert_eq!(dump6(&t, table::MAIN), ["Unicast fe80::/64 eth0"]);
        assert!(dump6(&t, table::LOCAL).contains(&"Local 2001:db8::1/128 eth0".to_string()));
    }

    #[test]
    fn ipv4_address_routes() {
        let mut t = HostTables::new();
        let e = t.add_interface("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        t.add_addr(Addr::new(e, "10.0.9.165".parse().unwrap(), 24)).unwrap();
        assert!(t.fib4.table(table::MAIN).is_empty(), "no routes while down");
        t.set_link(e, true).unwrap();
        let main: Vec<String> = t
            .fib4
            .dump(Some(table::MAIN))
            .iter()
            .map(|r| r.dst.to_string())
            .collect();
        assert_eq!(main, ["10.0.9.0/24"]);
        let local: Vec<String> = t
            .fib4
            .dump(Some(table::LOCAL))
            .iter()
            .map(|r| format!("{:?} {}", r.kind, r.dst))
            .collect();
        assert_eq!(
            local,
            [
                "Local 10.0.9.165/32",
                "Broadcast 10.0.9.255/32",
                "Local 127.0.0.0/8",
                "Local 127.0.0.1/32",
                "Broadcast 127.255.255.255/32"
            ]
        );
        t.set_link(e, false).unwrap();
        let local: Vec<String> = t
            .fib4
            .dump(Some(table::LOCAL))
            .iter()
            .map(|r| r.dst.to_string())
            .collect();
        assert!(local.contains(&"10.0.9.165/32".to_string()) && !local.contains(&"10.0.9.255/32".to_string()));
        assert!(t.fib4.table(table::MAIN).is_empty());
    }

    #[test]
    fn a5_forwarding_purges_ra_defaults_except_accept_ra_2() {
        use super::super::route::RouteFlags;
        let mut t = HostTables::new();
        let e0 = t.add_interface("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        let e1 = t.add_interface("eth1", [2, 0, 0, 0, 0, 2], 1500).unwrap();
        for (e, gw) in [(e0, "fe80::1"), (e1, "fe80::2")] {
            t.set_link(e, true).unwrap();
            let r = Route::new("::/0".parse().unwrap(), Some(gw.parse().unwrap()), e)
                .with_proto(Proto::Ra)
                .with_flags(RouteFlags::DEFAULT | RouteFlags::ADDRCONF);
            assert!(t.route_add_kernel(r).unwrap());
        }
        t.set_sysctl("net.ipv6.conf.eth1.accept_ra", "2").unwrap();
        let eff = t.set_sysctl("net.ipv6.conf.all.forwarding", "1").unwrap();
        assert!(matches!(
            eff,
            crate::host::sysctl::SysctlEffect::Ipv6ForwardingEnabled(_)
        ));
        let defaults: Vec<IfIndex> = t
            .fib6
            .table(table::MAIN)
            .iter()
            .filter(|r| r.dst.prefix_len() == 0)
            .map(|r| r.dev)
            .collect();
        assert_eq!(defaults, [e1]);
    }

    #[test]
    fn lifetimes_expire_address_and_prefix_route() {
        let mut t = HostTables::new();
        let e = t.add_interface("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        t.set_link(e, true).unwrap();
        let now = Instant::from_secs(10);
        t.add_addr(Addr::new(e, "2001:db8:1::5".parse().unwrap(), 64).with_lifetimes(now, 100, 50))
            .unwrap();
        assert_eq!(t.next_deadline(), Some(Instant::from_secs(60)));
        let x = t.expire(Instant::from_secs(60));
        assert!(matches!(x.addrs.as_slice(), [AddrChange::Deprecated(_)]));
        let x = t.expire(Instant::from_secs(110));
        assert_eq!(x.addrs.len(), 1);
        assert_eq!(x.routes.len(), 1, "the prefix route expires with the valid lifetime");
        assert_eq!(dump6(&t, table::MAIN), ["Unicast fe80::/64 eth0"]);
        assert_eq!(t.next_deadline(), None);
    }

    #[test]
    fn disable_ipv6_flushes_and_refuses_addresses() {
        let mut t = HostTables::new();
        let e = t.add_interface("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        t.set_link(e, true).unwrap();
        t.add_addr(Addr::new(e, "2001:db8::1".parse().unwrap(), 64)).unwrap();
        t.set_sysctl("net.ipv6.conf.eth0.disable_ipv6", "1").unwrap();
        assert_eq!(t.addrs.on(e, true).count(), 0);
        assert!(dump6(&t, table::MAIN).is_empty());
        assert_eq!(
            t.add_addr(Addr::new(e, "2001:db8::1".parse().unwrap(), 64)),
            Err(AddrError::Ipv6Disabled)
        );
        t.set_sysctl("net.ipv6.conf.eth0.disable_ipv6", "0").unwrap();
        assert_eq!(dump6(&t, table::MAIN), ["Unicast fe80::/64 eth0"]);
        t.set_sysctl("net.ipv6.conf.all.disable_ipv6", "1").unwrap();
        assert!(t.addrs.on(IfIndex::LOOPBACK, true).next().is_none());
        t.set_sysctl("net.ipv6.conf.all.disable_ipv6", "0").unwrap();
        assert!(
            t.addrs.get(IfIndex::LOOPBACK, "::1".parse().unwrap()).is_some(),
            "lo gets ::1 back"
        );
    }

    #[test]
    fn host_route_for_a_128_address() {
        // inet6_addr_add calls addrconf_prefix_route for any prefix length (no /128 exception since 2.6).
        let mut t = HostTables::new();
        let e = t.add_interface("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        t.set_link(e, true).unwrap();
        t.add_addr(Addr::new(e, "2001:db8::5".parse().unwrap(), 128)).unwrap();
        assert_eq!(
            dump6(&t, table::MAIN),
            ["Unicast 2001:db8::5/128 eth0", "Unicast fe80::/64 eth0"]
        );
    }

    #[test]
    fn keep_addr_on_down_restores_routes_on_up() {
        let mut t = HostTables::new();
        let e = t.add_interface("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        t.set_link(e, true).unwrap();
        t.add_addr(Addr::new(e, "2001:db8::1".parse().unwrap(), 64).with_flags(AddrFlags::NODAD))
            .unwrap();
        let removed = t.set_link(e, false).unwrap();
        assert_eq!(removed.len(), 1, "keep_addr_on_down=0: IPv6 addresses go with the link");
        t.set_link(e, true).unwrap();
        t.add_addr(Addr::new(e, "2001:db8::1".parse().unwrap(), 64).with_flags(AddrFlags::NODAD))
            .unwrap();
        t.set_sysctl("net.ipv6.conf.all.keep_addr_on_down", "1").unwrap();
        assert!(t.set_link(e, false).unwrap().is_empty());
        assert!(dump6(&t, table::MAIN).is_empty());
        t.set_link(e, true).unwrap();
        assert_eq!(
            dump6(&t, table::MAIN),
            ["Unicast 2001:db8::/64 eth0", "Unicast fe80::/64 eth0"]
        );
        assert!(dump6(&t, table::LOCAL).contains(&"Local 2001:db8::1/128 eth0".to_string()));
    }
}
