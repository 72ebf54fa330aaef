//! Address references (`nginx/0:eth1`, `rtr:eth1:ll`, `nginx/0:eth0:slaac`) resolved against the running
//! simulation. Configured addresses come from the scenario or the IPAM plan; link-local and SLAAC addresses are
//! read from the node's address table at the moment of resolution, because they exist only once the kernel (or
//! an RA) made them (reference grammar: docs/scenarios.md "Names and references").

use super::world::{IfaceEntry, NodeEntry, World};
use super::RunError;
use crate::scenario::reference::{AddrRef, AddrSelect, NodeName};
use crate::scenario::timeline::Family;
use dualhome_sim::host::addr::AddrFlags;
use std::net::IpAddr;

fn family_ok(ip: IpAddr, family: Option<Family>) -> bool {
    match family {
        None => true,
        Some(Family::Ipv4) => ip.is_ipv4(),
        Some(Family::Ipv6) => ip.is_ipv6(),
    }
}

/// fe80::/10 (RFC 4291 §2.5.6), through std's `Ipv6Addr::is_unicast_link_local`; IPv4 has none here. Shared by
/// the simulator and kernel resolvers and the findings.
pub(crate) fn is_link_local(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(a) if a.is_unicast_link_local())
}

/// The node a name refers to.
pub fn node<'w>(world: &'w World, name: &NodeName) -> Result<&'w NodeEntry, RunError> {
    world.node(&name.to_string())
}

/// The configured address of `i` a reference without a selector (the first of `family`), with `v4` or with `v6`
/// (the first global one) means: as the scenario and the IPAM plan give them, so the same on both backends
/// (kernel/checks.rs `resolve`). `None` for the selectors read from live state (link-local, SLAAC).
pub(crate) fn configured(i: &IfaceEntry, select: Option<AddrSelect>, family: Option<Family>) -> Option<IpAddr> {
    let mut all = i.configured.iter().map(|n| n.addr());
    match select {
        None => all.find(|a| family_ok(*a, family)),
        Some(AddrSelect::V4) => all.find(IpAddr::is_ipv4),
        Some(AddrSelect::V6) => all.find(|a| a.is_ipv6() && !is_link_local(*a)),
        Some(AddrSelect::LinkLocal | AddrSelect::Slaac) => None,
    }
}

/// Resolves `r` now. `family` picks among a node's addresses when the reference has no selector.
pub fn resolve(world: &World, r: &AddrRef, family: Option<Family>) -> Result<IpAddr, RunError> {
    let (name, iface, select) = match r {
        AddrRef::Literal(ip) => return Ok(*ip),
        AddrRef::Node { node, iface, select } => (node, iface, select),
    };
    let entry = node(world, name)?;
    let unresolved = |why: &str| RunError::Unresolved(format!("`{r}`: {why}"));
    let ifaces: Vec<_> = match iface {
        Some(i) => vec![entry.iface(i).ok_or_else(|| unresolved("no such interface"))?],
        None => entry.ifaces.iter().collect(),
    };
    let Some(host) = world.sim.host(entry.id) else {
        // An attacker has no IP stack: a NIC's link-local address is the EUI-64 of its MAC, others are as written.
        world.sim.attacker(entry.id).ok_or_else(|| unresolved("not a host"))?;
        return match select {
            Some(AddrSelect::LinkLocal) => ifaces
                .first()
                .map(|i| IpAddr::V6(dualhome_sim::wire::MacAddr(i.mac).eui64_link_local()))
                .ok_or_else(|| unresolved("no interface")),
            _ => ifaces
                .iter()
                .flat_map(|i| &i.configured)
                .map(|n| n.addr())
                .find(|a| family_ok(*a, family))
                .ok_or_else(|| unresolved("no configured address of that family")),
        };
    };
    for i in ifaces {
        let found = match select {
            None | Some(AddrSelect::V4 | AddrSelect::V6) => configured(i, *select, family),
            Some(AddrSelect::LinkLocal) => host
                .tables
                .addrs
                .on(i.ifindex, true)
                .map(|a| a.addr)
                .find(|a| is_link_local(*a)),
            Some(AddrSelect::Slaac) => host
                .tables
                .addrs
                .on(i.ifindex, true)
                .find(|a| !is_link_local(a.addr) && !a.flags.has(AddrFlags::PERMANENT))
                .map(|a| a.addr),
        };
        if let Some(ip) = found {
            return Ok(ip);
        }
    }
    Err(unresolved(match select {
        Some(AddrSelect::Slaac) => "no SLAAC address (has an RA with an autonomous prefix arrived?)",
        Some(AddrSelect::LinkLocal) => "no link-local address",
        _ => "no configured address of that family",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_link_locals() {
        let v4: IpAddr = [10, 0, 0, 1].into();
        let ll: IpAddr = "fe80::1".parse().unwrap_or(v4);
        assert!(family_ok(v4, None) && family_ok(v4, Some(Family::Ipv4)) && !family_ok(v4, Some(Family::Ipv6)));
        assert!(is_link_local(ll) && !is_link_local(v4));
    }
}
