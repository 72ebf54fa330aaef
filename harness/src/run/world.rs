//! The simulated network of a scenario: its segments, routers, hosts, attackers and director built into a
//! [`Sim`], and the name tables (node → id, interface → ifindex, segment → id) the rest of the run resolves with.
//!
//! Routers are hosts with forwarding on (`net.ipv6.conf.all.forwarding=1`, `net.ipv4.ip_forward=1` unless the
//! scenario sets them) and their switch ports are RA-Guard router ports. Sysctls are applied in the order written:
//! namespace-wide, `all` and `default` keys before the NICs exist (so new NICs copy `default`, linux-ipv6.md A1),
//! per-interface keys after.

use super::convert::{ra_config, sim_mac, sim_route, sim_rule};
use super::RunError;
use crate::scenario::radvd::router_ra_configs;
use crate::scenario::topology::{Interface, RaGuard, Route as ScRoute, Sysctls};
use crate::scenario::Scenario;
use dualhome_sim::engine::{Sim, SimConfig};
use dualhome_sim::host::addr::Addr;
use dualhome_sim::id::{IfIndex, NodeId, SegmentId};
use dualhome_sim::segment::{PortConfig, PortRole, Segment, DEFAULT_LINK_DELAY};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// What a node is in the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A router (`topology.routers`).
    Router,
    /// A workstation or server (`topology.hosts`).
    Host,
    /// An attacker (`topology.attackers`).
    Attacker,
    /// The BOSH director.
    Director,
    /// A BOSH-deployed VM (`group/index`).
    Vm,
}

/// One interface of a node, by name.
#[derive(Clone, Debug)]
pub struct IfaceEntry {
    /// `eth0`.
    pub name: String,
    /// Its index on the node.
    pub ifindex: IfIndex,
    /// The segment it is plugged into.
    pub segment: String,
    /// Its MAC.
    pub mac: [u8; 6],
    /// Addresses configured by the scenario or by BOSH (not SLAAC or link-local).
    pub configured: Vec<IpNet>,
}

/// One node.
#[derive(Clone, Debug)]
pub struct NodeEntry {
    /// The simulator's id.
    pub id: NodeId,
    /// Its role.
    pub kind: NodeKind,
    /// Interfaces in creation order.
    pub ifaces: Vec<IfaceEntry>,
}

impl NodeEntry {
    /// The interface called `name`.
    pub fn iface(&self, name: &str) -> Option<&IfaceEntry> {
        self.ifaces.iter().find(|i| i.name == name)
    }

    /// The interface with index `ifindex`.
    pub fn iface_by_index(&self, ifindex: IfIndex) -> Option<&IfaceEntry> {
        self.ifaces.iter().find(|i| i.ifindex == ifindex)
    }
}

/// The simulation and its name tables.
pub struct World {
    /// The simulation.
    pub sim: Sim,
    /// Nodes by name (`rtr`, `nginx/0`).
    pub nodes: BTreeMap<String, NodeEntry>,
    /// Segments by name, in scenario order.
    pub segments: Vec<(String, SegmentId)>,
    /// Why the BOSH deploy created no VMs, when the director refused it.
    pub deploy_error: Option<String>,
}

impl World {
    /// The node called `name`, or an error naming it.
    pub fn node(&self, name: &str) -> Result<&NodeEntry, RunError> {
        self.nodes
            .get(name)
            .ok_or_else(|| match (&self.deploy_error, name.contains('/')) {
                (Some(why), true) => {
                    RunError::Deploy(format!("no VM `{name}`: the director refused the deployment ({why})"))
                }
                _ => RunError::Setup(format!("unknown node `{name}`")),
            })
    }

    /// The segment called `name`.
    pub fn segment(&self, name: &str) -> Result<SegmentId, RunError> {
        self.segments
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
            .ok_or_else(|| RunError::Setup(format!("unknown segment `{name}`")))
    }

    /// The node name of a simulator id (for traces).
    pub fn name_of(&self, id: NodeId) -> &str {
        self.nodes
            .iter()
            .find(|(_, n)| n.id == id)
            .map_or("?", |(name, _)| name.as_str())
    }

    /// Port settings for a NIC on `segment`: the scenario's segment delay split over the two cables a frame crosses,
    /// and its loss split so that the end-to-end loss equals the segment's.
    pub fn port_config(scenario: &Scenario, segment: &str, router_port: bool) -> PortConfig {
        let seg = scenario.topology.segments.iter().find(|s| s.name.value == segment);
        let delay = seg.and_then(|s| s.delay).map_or(DEFAULT_LINK_DELAY, |d| d.0 / 2);
        let loss = seg
            .and_then(|s| s.loss.as_ref())
            .map_or(0.0, |l| 1.0 - (1.0 - l.value.clamp(0.0, 1.0)).sqrt());
        PortConfig {
            delay: delay.max(Duration::from_nanos(1)),
            loss,
            tagged: false,
            role: if router_port { PortRole::Router } else { PortRole::Host },
        }
    }
}

fn is_interface_key(key: &str) -> bool {
    let parts: Vec<&str> = key.split('.').collect();
    // net.ipv6.conf.<if>.<key>, net.ipv4.conf.<if>.<key>, net.ipv6.neigh.<if>.<key>
    parts.len() >= 5 && matches!(parts[2], "conf" | "neigh") && !matches!(parts[3], "all" | "default")
}

/// Builds the topology: segments (with capture on), then routers, hosts, attackers; RA daemons start at t = 0.
pub fn build(scenario: &Scenario, seed: u64) -> Result<World, RunError> {
    let mut sim = Sim::new(SimConfig { seed, trace: true });
    let mut segments = Vec::new();
    for s in &scenario.topology.segments {
        let mut seg = Segment::new(s.name.value.clone(), s.vlan.as_ref().map(|v| v.value));
        seg.ra_guard = match s.ra_guard {
            RaGuard::Off => dualhome_sim::segment::RaGuard::Off,
            RaGuard::Naive => dualhome_sim::segment::RaGuard::Naive,
            RaGuard::FullChain => dualhome_sim::segment::RaGuard::FullChain,
        };
        let id = sim.add_segment(seg);
        sim.capture(id);
        segments.push((s.name.value.clone(), id));
    }
    let mut world = World {
        sim,
        nodes: BTreeMap::new(),
        segments,
        deploy_error: None,
    };
    for r in &scenario.topology.routers {
        let mut sysctls = r.sysctls.clone();
        for key in ["net.ipv6.conf.all.forwarding", "net.ipv4.ip_forward"] {
            if !sysctls.contains_key(key) {
                sysctls.insert(
                    key.to_owned(),
                    crate::scenario::Located::new("1".parse().map_err(RunError::Setup)?),
                );
            }
        }
        add_node(
            scenario,
            &mut world,
            &r.name.value,
            NodeKind::Router,
            &r.interfaces,
            &sysctls,
            &r.routes,
        )?;
        let configs = router_ra_configs(scenario, r).map_err(|e| RunError::Setup(e.to_string()))?;
        let id = world.node(&r.name.value)?.id;
        if let Some(fw) = &r.firewall {
            let fw = super::services::firewall(&r.name.value, fw)?;
            world.sim.with_host(id, |h, _| h.firewall = Some(fw));
        }
        for (ifname, ra) in configs {
            let cfg = ra_config(&ifname, &ra);
            world
                .sim
                .with_host(id, |h, ctx| h.start_radvd(ctx, cfg))
                .ok_or_else(|| RunError::Setup(format!("`{}` is not a host", r.name.value)))?
                .map_err(|e| RunError::Setup(format!("radvd on {}: {e}", r.name.value)))?;
        }
    }
    for h in &scenario.topology.hosts {
        add_node(
            scenario,
            &mut world,
            &h.name.value,
            NodeKind::Host,
            &h.interfaces,
            &h.sysctls,
            &h.routes,
        )?;
        super::services::host_services(&mut world, h)?;
        let node = world.node(&h.name.value)?.clone();
        for rule in &h.rules {
            let v6 = rule
                .from
                .as_ref()
                .or(rule.to.as_ref())
                .is_none_or(|c| c.value.0.addr().is_ipv6());
            let sim_rule = sim_rule(rule);
            let prio = Some(rule.priority);
            world
                .sim
                .with_host(node.id, |host, _| host.add_rule(sim_rule, prio, v6))
                .ok_or_else(|| RunError::Setup(format!("`{}` is not a host", h.name.value)))?
                .map_err(|e| RunError::Setup(format!("{}: ip rule add: {e}", h.name.value)))?;
        }
    }
    for a in &scenario.topology.attackers {
        add_attacker(scenario, &mut world, a)?;
    }
    Ok(world)
}

/// Adds an attacker node (sim/src/attack): one NIC per interface (ifindex 2, 3, … in the order written), raw-frame
/// powers, no IP stack. Its `sysctls` have nothing to act on; relaying is the attack's `mitm: forward`.
fn add_attacker(
    scenario: &Scenario,
    world: &mut World,
    a: &crate::scenario::topology::Attacker,
) -> Result<(), RunError> {
    let name = &a.name.value;
    let Some((first, rest)) = a.interfaces.split_first() else {
        return Err(RunError::Setup(format!("attacker `{name}` has no interface")));
    };
    let mut ifaces = Vec::with_capacity(a.interfaces.len());
    let mut id = None;
    for i in std::iter::once(first).chain(rest) {
        let segment = world.segment(&i.segment.value)?;
        let port = World::port_config(scenario, &i.segment.value, i.router_port.unwrap_or(false));
        let mac = sim_mac(i.mac.value.0);
        let ifindex = match id {
            None => {
                id = Some(world.sim.add_attacker(name, mac, segment, port));
                dualhome_sim::attack::Attacker::IFINDEX
            }
            Some(node) => world
                .sim
                .add_attacker_nic(node, mac, segment, port)
                .ok_or_else(|| RunError::Setup(format!("{name}: cannot add {}", i.name.value)))?,
        };
        ifaces.push(IfaceEntry {
            name: i.name.value.clone(),
            ifindex,
            segment: i.segment.value.clone(),
            mac: i.mac.value.0,
            configured: i.addresses.iter().map(|a| a.value.0).collect(),
        });
    }
    let id = id.ok_or_else(|| RunError::Setup(format!("attacker `{name}` has no interface")))?;
    world.nodes.insert(
        name.clone(),
        NodeEntry {
            id,
            kind: NodeKind::Attacker,
            ifaces,
        },
    );
    Ok(())
}

/// Adds a host node with its interfaces, sysctls, static addresses and routes.
fn add_node(
    scenario: &Scenario,
    world: &mut World,
    name: &str,
    kind: NodeKind,
    interfaces: &[Interface],
    sysctls: &Sysctls,
    routes: &[ScRoute],
) -> Result<(), RunError> {
    let id = world.sim.add_host(name);
    let (early, late): (Vec<_>, Vec<_>) = sysctls.iter().partition(|(k, _)| !is_interface_key(k));
    apply_sysctls(world, id, name, &early)?;
    let mut entry = NodeEntry {
        id,
        kind,
        ifaces: Vec::new(),
    };
    for i in interfaces {
        let segment = world.segment(&i.segment.value)?;
        let router_port = i.router_port.unwrap_or(kind == NodeKind::Router);
        let port = World::port_config(scenario, &i.segment.value, router_port);
        let ifindex = world
            .sim
            .add_nic(id, &i.name.value, sim_mac(i.mac.value.0), segment, port)
            .map_err(|e| RunError::Setup(format!("{name}: ip link add {}: {e}", i.name.value)))?;
        entry.ifaces.push(IfaceEntry {
            name: i.name.value.clone(),
            ifindex,
            segment: i.segment.value.clone(),
            mac: i.mac.value.0,
            configured: i.addresses.iter().map(|a| a.value.0).collect(),
        });
    }
    apply_sysctls(world, id, name, &late)?;
    for (i, iface) in interfaces.iter().zip(entry.ifaces.clone()) {
        for a in &i.addresses {
            add_address(world, id, name, iface.ifindex, a.value.0)?;
        }
    }
    for r in routes {
        let route = sim_route(r, &entry).map_err(|e| RunError::Setup(format!("{name}: {e}")))?;
        world
            .sim
            .with_host(id, |h, _| h.add_route(route))
            .ok_or_else(|| RunError::Setup(format!("`{name}` is not a host")))?
            .map_err(|e| RunError::Setup(format!("{name}: ip route add {}: {e}", r.dst.value)))?;
    }
    world.nodes.insert(name.to_owned(), entry);
    Ok(())
}

/// `ip addr add` on a node.
pub fn add_address(world: &mut World, id: NodeId, name: &str, ifindex: IfIndex, net: IpNet) -> Result<(), RunError> {
    let addr = Addr::new(ifindex, net.addr(), net.prefix_len());
    world
        .sim
        .with_host(id, |h, ctx| h.add_address(ctx, addr))
        .ok_or_else(|| RunError::Setup(format!("`{name}` is not a host")))?
        .map_err(|e| RunError::Setup(format!("{name}: ip addr add {net}: {e}")))
}

fn apply_sysctls(
    world: &mut World,
    id: NodeId,
    name: &str,
    list: &[(&String, &crate::scenario::Located<crate::scenario::values::SysctlValue>)],
) -> Result<(), RunError> {
    for (key, value) in list {
        let text = value.value.to_string();
        world
            .sim
            .with_host(id, |h, ctx| h.set_sysctl(ctx, key, &text))
            .ok_or_else(|| RunError::Setup(format!("`{name}` is not a host")))?
            .map_err(|e| RunError::Setup(format!("{name}: sysctl {key}={text}: {e}")))?;
    }
    Ok(())
}

/// The addresses of an interface that fall in one of `prefixes` — used to pick a route's device from its gateway.
pub fn iface_for_gateway(node: &NodeEntry, gw: IpAddr) -> Option<&IfaceEntry> {
    node.ifaces
        .iter()
        .find(|i| i.configured.iter().any(|n| n.contains(&gw)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_keys_are_told_from_global_ones() {
        assert!(is_interface_key("net.ipv6.conf.eth0.accept_ra"));
        assert!(is_interface_key("net.ipv6.neigh.eth1.retrans_time_ms"));
        assert!(!is_interface_key("net.ipv6.conf.all.forwarding"));
        assert!(!is_interface_key("net.ipv6.conf.default.accept_ra"));
        assert!(!is_interface_key("net.ipv4.ip_forward"));
    }
}
