//! Folding a boot's operations into the host configuration they leave behind.
//!
//! [`apply`] is a pure function of the op list. It is deliberately small: it applies sysctls with
//! the propagation model of [`crate::sysctl`], adds addresses with their connected routes (as
//! `ip addr add` does), and records routes, rules, DNS and files. An op the kernel would refuse
//! (an IPv6 address on an interface with IPv6 disabled, a gateway that is not on-link) is recorded
//! as a failure, not applied. Runtime events (RAs, SLAAC, DHCP leases, link-local addresses) are the
//! simulator's business and do not appear here.

use crate::addr::{Mac, Prefix};
use crate::ops::{BootOp, Route, RouteProto, Rule, MAIN_TABLE};
use crate::replay::{replay, BootTarget, OpFailure};
use crate::sysctl::{Ipv6Effective, SysctlTree};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

/// One interface after boot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InterfaceState {
    /// Interface name.
    pub name: String,
    /// Hardware address.
    pub mac: Mac,
    /// `ip link set up` happened.
    pub up: bool,
    /// Configured addresses with prefix length, in the order added.
    pub addresses: Vec<Prefix>,
    /// Effective IPv6 behaviour from the sysctl model.
    pub ipv6: Ipv6Effective,
}

/// The VM's network configuration after a boot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostConfig {
    /// Whether the kernel has IPv6 (no `ipv6.disable=1`).
    pub kernel_ipv6: bool,
    /// The boot ended in `shutdown -r now`.
    pub reboot_pending: bool,
    /// Kernel arguments removed from grub for the next boot.
    pub next_boot_removed_args: Vec<String>,
    /// Interfaces in creation order.
    pub interfaces: Vec<InterfaceState>,
    /// All routes (connected ones included), in insertion order.
    pub routes: Vec<Route>,
    /// Policy rules added (the kernel's built-in 0/32766/32767 rules are not listed).
    pub rules: Vec<Rule>,
    /// Resolver nameservers.
    pub dns: Vec<IpAddr>,
    /// Files written, by path.
    pub files: BTreeMap<String, String>,
    /// The IPv6 sysctl tree.
    pub sysctl: SysctlTree,
    /// Refused ops.
    pub failures: Vec<OpFailure>,
}

impl HostConfig {
    /// The interface called `name`.
    pub fn interface(&self, name: &str) -> Option<&InterfaceState> {
        self.interfaces.iter().find(|i| i.name == name)
    }

    /// The interface with this MAC (interfaces are matched by MAC, as the agent does).
    pub fn interface_by_mac(&self, mac: Mac) -> Option<&InterfaceState> {
        self.interfaces.iter().find(|i| i.mac == mac)
    }

    /// Default routes of one family in one table.
    pub fn default_routes(&self, v6: bool, table: u32) -> Vec<&Route> {
        self.routes
            .iter()
            .filter(|r| r.dst.is_default() && r.is_ipv6() == v6 && r.table == table)
            .collect()
    }

    /// Main-table default routes of one family.
    pub fn main_default_routes(&self, v6: bool) -> Vec<&Route> {
        self.default_routes(v6, MAIN_TABLE)
    }
}

impl fmt::Display for HostConfig {
    /// A stable text summary: kernel, interfaces with effective IPv6 flags, routes, rules, DNS and
    /// refused ops (used by `dualhome agent render --format ops` and the golden tests).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "kernel ipv6: {}",
            if self.kernel_ipv6 { "yes" } else { "no (ipv6.disable=1)" }
        )?;
        if self.reboot_pending {
            writeln!(
                f,
                "reboot pending; next boot without: {}",
                self.next_boot_removed_args.join(" ")
            )?;
        }
        for i in &self.interfaces {
            let addrs: Vec<String> = i.addresses.iter().map(|a| a.to_string()).collect();
            let e = i.ipv6;
            writeln!(
                f,
                "{} {} {} addrs=[{}] ipv6={} accept_ra={} accept_redirects={} autoconf={}",
                i.name,
                i.mac,
                if i.up { "UP" } else { "DOWN" },
                addrs.join(" "),
                if e.disabled { "disabled" } else { "enabled" },
                u8::from(e.accept_ra),
                u8::from(e.accept_redirects),
                u8::from(e.autoconf),
            )?;
        }
        for r in &self.routes {
            writeln!(f, "route {r}")?;
        }
        for r in &self.rules {
            writeln!(f, "rule {r}")?;
        }
        let dns: Vec<String> = self.dns.iter().map(|d| d.to_string()).collect();
        writeln!(f, "dns: {}", dns.join(" "))?;
        for x in &self.failures {
            writeln!(f, "refused #{}: {} ({})", x.index, x.op, x.reason)?;
        }
        Ok(())
    }
}

impl HostConfig {
    /// A host before boot: no interfaces, kernel defaults.
    pub fn empty() -> HostConfig {
        HostConfig {
            kernel_ipv6: true,
            reboot_pending: false,
            next_boot_removed_args: Vec::new(),
            interfaces: Vec::new(),
            routes: Vec::new(),
            rules: Vec::new(),
            dns: Vec::new(),
            files: BTreeMap::new(),
            sysctl: SysctlTree::new(true),
            failures: Vec::new(),
        }
    }

    /// Recomputes each interface's effective IPv6 flags from the sysctl tree.
    fn refresh_effective(&mut self) {
        for i in &mut self.interfaces {
            if let Some(e) = self.sysctl.effective(&i.name) {
                i.ipv6 = e;
            }
        }
    }
}

/// Applies `ops` in order to an empty host (a pure function of the list).
pub fn apply(ops: &[BootOp]) -> HostConfig {
    let mut h = HostConfig::empty();
    let failures = replay(ops, &mut h);
    h.failures = failures;
    h.refresh_effective();
    h
}

impl BootTarget for HostConfig {
    fn kernel_cmdline(&mut self, args: &[String]) -> Result<(), String> {
        if !self.interfaces.is_empty() {
            return Err("kernel command line after interfaces exist".into());
        }
        self.kernel_ipv6 = !args.iter().any(|a| a == "ipv6.disable=1");
        self.sysctl = SysctlTree::new(self.kernel_ipv6);
        Ok(())
    }

    fn nic_created(&mut self, name: &str, mac: Mac) -> Result<(), String> {
        if self.interface(name).is_some() {
            return Err(format!("interface {name} exists"));
        }
        self.sysctl.create_interface(name);
        let ipv6 = self.sysctl.effective(name).ok_or("interface vanished")?;
        self.interfaces.push(InterfaceState {
            name: name.to_owned(),
            mac,
            up: false,
            addresses: Vec::new(),
            ipv6,
        });
        Ok(())
    }

    fn sysctl_write(&mut self, key: &str, value: &str) -> Result<(), String> {
        let touched = self.sysctl.set(key, value).map_err(|e| e.to_string())?;
        for ifname in touched {
            if self.sysctl.effective(&ifname).is_some_and(|e| e.disabled) {
                purge_ipv6(self, &ifname);
            }
        }
        Ok(())
    }

    fn file_written(&mut self, path: &str, contents: &str) -> Result<(), String> {
        self.files.insert(path.to_owned(), contents.to_owned());
        Ok(())
    }

    fn link_up(&mut self, dev: &str) -> Result<(), String> {
        iface_mut(self, dev)?.up = true;
        Ok(())
    }

    fn address_added(&mut self, dev: &str, addr: IpAddr, prefix_len: u8) -> Result<(), String> {
        add_address(self, dev, addr, prefix_len)
    }

    fn route_added(&mut self, route: &Route) -> Result<(), String> {
        add_route(self, route)
    }

    fn rule_added(&mut self, rule: &Rule) -> Result<(), String> {
        if rule.from.addr.is_ipv6() && !self.kernel_ipv6 {
            return Err("RTNETLINK answers: Address family not supported by protocol".into());
        }
        if self.rules.contains(rule) {
            return Err("RTNETLINK answers: File exists".into());
        }
        self.rules.push(rule.clone());
        Ok(())
    }

    fn dns_written(&mut self, servers: &[IpAddr]) -> Result<(), String> {
        self.dns = servers.to_vec();
        Ok(())
    }

    fn grub_cmdline_rewritten(&mut self, removed: &str) -> Result<(), String> {
        self.next_boot_removed_args.push(removed.to_owned());
        Ok(())
    }

    fn reboot(&mut self) -> Result<(), String> {
        self.reboot_pending = true;
        Ok(())
    }
}

fn iface_mut<'a>(h: &'a mut HostConfig, dev: &str) -> Result<&'a mut InterfaceState, String> {
    h.interfaces
        .iter_mut()
        .find(|i| i.name == dev)
        .ok_or_else(|| format!("Cannot find device \"{dev}\""))
}

fn ipv6_usable(h: &HostConfig, dev: &str) -> Result<(), String> {
    if !h.kernel_ipv6 {
        return Err("RTNETLINK answers: Address family not supported by protocol".into());
    }
    if h.sysctl.effective(dev).is_some_and(|e| e.disabled) {
        return Err("RTNETLINK answers: Permission denied".into());
    }
    Ok(())
}

/// `ip addr add`: the address and its connected route (metric 0 for IPv4, 256 for IPv6).
fn add_address(h: &mut HostConfig, dev: &str, addr: IpAddr, len: u8) -> Result<(), String> {
    iface_mut(h, dev)?;
    if addr.is_ipv6() {
        ipv6_usable(h, dev)?;
    }
    let p = Prefix { addr, len };
    let iface = iface_mut(h, dev)?;
    if iface.addresses.iter().any(|a| a.addr == addr) {
        return Err("RTNETLINK answers: File exists".into());
    }
    iface.addresses.push(p);
    let connected = Route {
        dst: Prefix::network_of(addr, len),
        gateway: None,
        dev: dev.to_owned(),
        metric: if addr.is_ipv6() { 256 } else { 0 },
        table: MAIN_TABLE,
        proto: RouteProto::Kernel,
    };
    if !h.routes.contains(&connected) {
        h.routes.push(connected);
    }
    Ok(())
}

/// `ip route add`: the device must exist, the family must be enabled on it, and a gateway must be
/// on-link (inside a subnet of the device, or IPv6 link-local), else "Nexthop has invalid gateway".
fn add_route(h: &mut HostConfig, r: &Route) -> Result<(), String> {
    iface_mut(h, &r.dev)?;
    if r.is_ipv6() {
        ipv6_usable(h, &r.dev)?;
    }
    if let Some(gw) = r.gateway {
        let link_local = matches!(gw, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80);
        let iface = iface_mut(h, &r.dev)?;
        let on_link = iface
            .addresses
            .iter()
            .any(|a| Prefix::network_of(a.addr, a.len).contains(gw));
        if !link_local && !on_link {
            return Err("RTNETLINK answers: Nexthop has invalid gateway".into());
        }
    }
    if h.routes
        .iter()
        .any(|x| x.dst == r.dst && x.table == r.table && x.metric == r.metric && x.dev == r.dev)
    {
        return Err("RTNETLINK answers: File exists".into());
    }
    h.routes.push(r.clone());
    Ok(())
}

/// `disable_ipv6=1` removes the interface's IPv6 addresses and routes (linux-ipv6.md A26).
fn purge_ipv6(h: &mut HostConfig, dev: &str) {
    if let Some(i) = h.interfaces.iter_mut().find(|i| i.name == dev) {
        i.addresses.retain(|a| !a.addr.is_ipv6());
    }
    h.routes.retain(|r| !(r.dev == dev && r.is_ipv6()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nic(name: &str, last: u8) -> BootOp {
        BootOp::NicCreated {
            name: name.into(),
            mac: Mac([0, 0x50, 0x56, 0, 0, last]),
        }
    }
    fn sysctl(k: &str, v: &str) -> BootOp {
        BootOp::SysctlWrite {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn address_brings_connected_route_and_disable_purges_it() {
        let ops = vec![
            nic("eth1", 2),
            BootOp::AddressAdded {
                dev: "eth1".into(),
                addr: "2001:db8::5".parse().unwrap(),
                prefix_len: 64,
            },
            BootOp::RouteAdded(Route {
                dst: "::/0".parse().unwrap(),
                gateway: Some("2001:db8::1".parse().unwrap()),
                dev: "eth1".into(),
                metric: 1024,
                table: MAIN_TABLE,
                proto: RouteProto::Boot,
            }),
        ];
        let h = apply(&ops);
        assert!(h.failures.is_empty(), "{:?}", h.failures);
        assert_eq!(
            h.routes[0].to_string(),
            "2001:db8::/64 dev eth1 proto kernel metric 256"
        );
        assert_eq!(h.main_default_routes(true).len(), 1);
        let mut more = ops.clone();
        more.push(sysctl("net.ipv6.conf.all.disable_ipv6", "1"));
        let h = apply(&more);
        assert!(h.routes.is_empty());
        assert!(h.interface("eth1").unwrap().addresses.is_empty());
    }

    #[test]
    fn refused_ops_are_failures_not_state() {
        let ops = vec![
            BootOp::KernelCmdline {
                args: vec!["ipv6.disable=1".into()],
            },
            nic("eth0", 1),
            sysctl("net.ipv6.conf.all.accept_ra", "1"),
            BootOp::AddressAdded {
                dev: "eth0".into(),
                addr: "2001:db8::5".parse().unwrap(),
                prefix_len: 64,
            },
            BootOp::AddressAdded {
                dev: "eth0".into(),
                addr: "10.0.0.5".parse().unwrap(),
                prefix_len: 24,
            },
            BootOp::RouteAdded(Route {
                dst: "0.0.0.0/0".parse().unwrap(),
                gateway: Some("10.0.1.1".parse().unwrap()),
                dev: "eth0".into(),
                metric: 0,
                table: MAIN_TABLE,
                proto: RouteProto::Boot,
            }),
            BootOp::LinkUp { dev: "eth9".into() },
            BootOp::Reboot,
            BootOp::LinkUp { dev: "eth0".into() },
        ];
        let h = apply(&ops);
        let idx: Vec<usize> = h.failures.iter().map(|f| f.index).collect();
        assert_eq!(idx, vec![2, 3, 5, 6, 8]);
        assert!(h.failures[2].reason.contains("Nexthop has invalid gateway"));
        assert!(h.interface("eth0").unwrap().ipv6.disabled);
        assert!(h.reboot_pending);
        assert!(!h.interface("eth0").unwrap().up);
    }
}
