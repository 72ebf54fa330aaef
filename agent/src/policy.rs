//! Source-based policy routing for the `hardened` profile: one table per interface holding that
//! interface's connected routes and its gateway, and one `ip rule from <addr> table N` per address.
//!
//! Why: with a single main table, a reply from the VM's IPv6 address on eth1 to a client on eth0's
//! subnet leaves by eth0 (the connected route wins), a stateful firewall sees half a connection and
//! resets it: the seed's "bosh ssh sessions will disconnect (TCP RESET) within 60 seconds". With a
//! rule per source address the reply leaves by the interface that owns the address.

use crate::addr::Prefix;
use crate::layout::{ConfigKind, Layout};
use crate::ops::{Route, RouteProto, Rule};
use crate::profile::Profile;
use std::net::IpAddr;

/// The policy routing of one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfacePolicy {
    /// Interface name.
    pub dev: String,
    /// Its table.
    pub table: u32,
    /// Routes in that table: connected subnets, then default routes via each network's gateway.
    pub routes: Vec<Route>,
    /// Rules selecting the table by source address.
    pub rules: Vec<Rule>,
}

/// Kernel metric for a route added without one: 0 for IPv4, 1024 (IP6_RT_PRIO_USER) for IPv6.
pub fn user_metric(v6: bool) -> u32 {
    if v6 {
        1024
    } else {
        0
    }
}

/// The policy tables for `layout` under `profile`; empty when the profile has no policy routing.
/// Tables and priorities count up over static interfaces in name order, addresses in network order.
pub fn policy_tables(layout: &Layout, profile: &Profile) -> Vec<InterfacePolicy> {
    let Some(pr) = profile.policy_routing else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut priority = pr.first_priority;
    let statics = layout.interfaces.iter().filter(|i| i.kind == ConfigKind::Static);
    for (idx, iface) in statics.enumerate() {
        let table = pr.first_table.saturating_add(u32::try_from(idx).unwrap_or(u32::MAX));
        let mut routes = Vec::new();
        let mut defaults = Vec::new();
        let mut rules = Vec::new();
        for a in &iface.networks {
            let (Some(ip), Some(subnet)) = (a.ip(), a.network.subnet()) else {
                continue;
            };
            let v6 = ip.addr.is_ipv6();
            routes.push(Route {
                dst: subnet,
                gateway: None,
                dev: iface.name.clone(),
                metric: user_metric(v6),
                table,
                proto: RouteProto::Static,
            });
            if let Some(gw) = a.network.gateway.as_ref() {
                defaults.push(Route {
                    dst: Prefix::default_for(v6),
                    gateway: Some(gw.addr),
                    dev: iface.name.clone(),
                    metric: user_metric(v6),
                    table,
                    proto: RouteProto::Static,
                });
            }
            rules.push(Rule {
                priority,
                from: Prefix::host(ip.addr),
                table,
            });
            priority = priority.saturating_add(1);
        }
        routes.extend(defaults);
        out.push(InterfacePolicy {
            dev: iface.name.clone(),
            table,
            routes,
            rules,
        });
    }
    out
}

/// The policy entry of `dev`, if any.
pub fn for_dev<'a>(tables: &'a [InterfacePolicy], dev: &str) -> Option<&'a InterfacePolicy> {
    tables.iter().find(|t| t.dev == dev)
}

/// Whether a source address selects a policy table (used by tests and the host fold).
pub fn table_for_source(tables: &[InterfacePolicy], src: IpAddr) -> Option<u32> {
    tables
        .iter()
        .flat_map(|t| t.rules.iter())
        .find(|r| r.from.contains(src))
        .map(|r| r.table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{layout, parse_nics};
    use crate::settings::Settings;

    #[test]
    fn one_table_per_interface_with_own_default() {
        let s = Settings::from_json(
            r#"{"a": {"ip": "10.0.9.165", "netmask": "255.255.255.0", "gateway": "10.0.9.1",
                      "mac": "00:50:56:00:00:01", "default": ["dns", "gateway"]},
                "b": {"ip": "2001:db8::165", "netmask": "ffff:ffff:ffff:ffff::", "gateway": "2001:db8::1",
                      "mac": "00:50:56:00:00:02"}}"#,
        )
        .unwrap();
        let nics = parse_nics("eth0=00:50:56:00:00:01,eth1=00:50:56:00:00:02").unwrap();
        let p = Profile::hardened();
        let l = layout(&s, &nics, &p).unwrap();
        let t = policy_tables(&l, &p);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].dev.as_str(), t[0].table), ("eth0", 100));
        assert_eq!((t[1].dev.as_str(), t[1].table), ("eth1", 101));
        assert_eq!(
            t[1].routes[1].to_string(),
            "default via 2001:db8::1 dev eth1 proto static metric 1024 table 101"
        );
        assert_eq!(t[1].rules[0].to_string(), "1001: from 2001:db8::165 lookup 101");
        assert_eq!(table_for_source(&t, "2001:db8::165".parse().unwrap()), Some(101));
        assert_eq!(table_for_source(&t, "2001:db8::166".parse().unwrap()), None);
        assert!(policy_tables(&l, &Profile::jammy()).is_empty());
    }
}
