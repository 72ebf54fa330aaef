//! Run analyzers: findings read from the simulated network's state at a moment (its sysctls, addresses, routes and
//! the deployed VMs' agent probes). Each analyzer names the rule it applies.
//!
//! Flow analyzers read the trace of each timeline TCP flow (seed footnote [Router Advertisements]; linux-ipv6.md
//! E8 and §F): `asymmetric-tcp-flow` when an endpoint sends the flow's segments out of an interface it never
//! received them on; `middlebox-reset` when a node that is neither endpoint sent a RST for the flow (pf `block
//! return`, conntrack `reject with tcp reset`), or the flow stalled while a node in between dropped its segments
//! by policy.

use super::{
    about_node, AGENT_UNRESPONSIVE, ASYMMETRIC_TCP_FLOW, BOOT_OP_REFUSED, DAD_FAILED, GATEWAY_OFF_SUBNET,
    MIDDLEBOX_RESET, RA_ACCEPTED_WHILE_FORWARDING, RA_FROM_NON_GATEWAY, RA_MITM_EXPOSURE, REDIRECTS_ACCEPTED,
    SINGLE_DEFAULT_ROUTE_OFFLINK, SLAAC_ON_IPV4_INTERFACE,
};
use crate::run::deploy::DeployedVm;
use crate::run::flows::{accepted, flow_frames, Flows};
use crate::run::resolve::is_link_local;
use crate::run::world::{NodeKind, World};
use dualhome_reports::Finding;
use dualhome_sim::host::addr::AddrFlags;
use dualhome_sim::host::lookup::RouteQuery;
use dualhome_sim::host::node::Host;
use dualhome_sim::host::route::Proto;
use dualhome_sim::id::{IfIndex, NodeId};
use dualhome_sim::trace::{Actor, DropReason, TraceEvent};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

fn default_routes(host: &Host) -> Vec<String> {
    let t = &host.tables;
    t.fib4
        .dump(None)
        .into_iter()
        .chain(t.fib6.dump(None))
        .filter(|r| r.dst.prefix_len() == 0)
        .map(|r| {
            let via = r.gateway.map_or_else(String::new, |g| format!(" via {g}"));
            format!("default{via} dev {} table {}", t.ifaces.name(r.dev), r.table)
        })
        .collect()
}

/// Every state finding now. `director` is the director's address when the scenario deploys with BOSH.
pub fn analyze(world: &World, vms: &[DeployedVm], director: Option<IpAddr>) -> Vec<Finding> {
    let mut out = Vec::new();
    for vm in vms {
        vm_findings(world, vm, director, &mut out);
    }
    for (name, entry) in &world.nodes {
        let Some(host) = world.sim.host(entry.id) else { continue };
        node_findings(name, host, &mut out);
        if entry.kind == NodeKind::Host {
            host_rogue_routers(world, name, host, &mut out);
        }
    }
    out
}

/// A workstation or server has no BOSH gateway; any router of the topology is legitimate, so a default route from
/// an RA sent by anything else (an attacker, an unknown address) is the RA MITM (RFC 6104 §3).
fn host_rogue_routers(world: &World, name: &str, host: &Host, out: &mut Vec<Finding>) {
    for r in host.tables.fib6.dump(None) {
        let Some(gw) = r.gateway.filter(|_| r.dst.prefix_len() == 0 && r.proto == Proto::Ra) else {
            continue;
        };
        let owner = owner_of(world, gw);
        let legit = owner
            .as_ref()
            .and_then(|(n, _)| world.nodes.get(n))
            .is_some_and(|e| e.kind == NodeKind::Router);
        if !legit {
            let who = owner.map_or_else(|| "an unknown node".to_owned(), |(n, _)| format!("`{n}`"));
            let dev = host.tables.ifaces.name(r.dev);
            out.push(about_node(
                RA_FROM_NON_GATEWAY,
                name,
                Some(dev),
                format!("{name} has a default route via {gw} learned from an RA sent by {who}, which is not a router"),
                vec![format!("default via {gw} dev {dev} proto ra")],
            ));
        }
    }
}

fn vm_findings(world: &World, vm: &DeployedVm, director: Option<IpAddr>, out: &mut Vec<Finding>) {
    let Some(entry) = world.nodes.get(&vm.name) else { return };
    let Some(host) = world.sim.host(entry.id) else { return };
    for f in &vm.failures {
        out.push(about_node(
            BOOT_OP_REFUSED,
            &vm.name,
            None,
            format!("boot op #{} `{}` refused: {}", f.index, f.op, f.reason),
            vec![f.op.clone()],
        ));
    }
    if let Some(d) = director {
        // Seed "single default route": the agent needs a route to the director; with the only default route on the
        // other family, an off-link director is unreachable (route.c: ENETUNREACH from the null entry).
        if let Err(e) = host.route_get(&RouteQuery::to(d)) {
            let mut evidence = vec![format!("ip route get {d}: RTNETLINK answers: {e}")];
            evidence.extend(default_routes(host));
            out.push(about_node(
                SINGLE_DEFAULT_ROUTE_OFFLINK,
                &vm.name,
                None,
                format!(
                    "{} has no route to the director {d}: its default route is of the other family or absent, and the director is off-link",
                    vm.name
                ),
                evidence,
            ));
        }
        if let Some(r) = vm.agent_app.and_then(|i| host.app_report(i)) {
            if r.successes == 0 && r.failures > 0 {
                out.push(about_node(
                    AGENT_UNRESPONSIVE,
                    &vm.name,
                    None,
                    format!(
                        "the agent on {} got no heartbeat answer from the director {d} ({} failed attempts{})",
                        vm.name,
                        r.failures,
                        r.error.map_or_else(String::new, |e| format!(", last error {e:?}"))
                    ),
                    Vec::new(),
                ));
            }
        }
    }
    let designated: Vec<IpAddr> = vm
        .networks
        .iter()
        .filter_map(|n| n.gateway)
        .filter(IpAddr::is_ipv6)
        .collect();
    for iface in &entry.ifaces {
        let conf = host.tables.sysctl.v6(iface.ifindex);
        let v6_planned = vm
            .networks
            .iter()
            .any(|n| n.nic == iface.name && n.address.is_some_and(|a| a.addr().is_ipv6()));
        // SLAAC forms a global address from an autonomous PIO on any interface that accepts RAs (RFC 4862 §5.5.3).
        if !v6_planned {
            for a in host.tables.addrs.on(iface.ifindex, true) {
                if !is_link_local(a.addr) && !a.flags.has(AddrFlags::PERMANENT) {
                    out.push(about_node(
                        SLAAC_ON_IPV4_INTERFACE,
                        &vm.name,
                        Some(&iface.name),
                        format!(
                            "{} {} has {}/{} from an RA although BOSH gave it no IPv6",
                            vm.name, iface.name, a.addr, a.prefix_len
                        ),
                        vec![format!("inet6 {}/{} scope global dynamic", a.addr, a.prefix_len)],
                    ));
                }
            }
        }
        // linux-ipv6.md A6/A8: RAs install a default router when accept_ra is effective and accept_ra_defrtr is set.
        if host.tables.sysctl.accept_ra(iface.ifindex) && conf.accept_ra_defrtr != 0 && conf.disable_ipv6 == 0 {
            out.push(about_node(
                RA_MITM_EXPOSURE,
                &vm.name,
                Some(&iface.name),
                format!(
                    "{} {} accepts router advertisements (accept_ra={}, accept_ra_defrtr={}): any node on {} can become its IPv6 router",
                    vm.name, iface.name, conf.accept_ra, conf.accept_ra_defrtr, iface.segment
                ),
                vec![format!("net.ipv6.conf.{}.accept_ra = {}", iface.name, conf.accept_ra)],
            ));
        }
        // linux-ipv6.md A20 (route.c:rt6_do_redirect): honoured iff IF.forwarding = 0 and IF.accept_redirects != 0.
        if host.tables.sysctl.accept_redirects6(iface.ifindex) && conf.disable_ipv6 == 0 {
            out.push(about_node(
                REDIRECTS_ACCEPTED,
                &vm.name,
                Some(&iface.name),
                format!("{} {} accepts ICMPv6 redirects", vm.name, iface.name),
                vec![format!(
                    "net.ipv6.conf.{}.accept_redirects = {}",
                    iface.name, conf.accept_redirects
                )],
            ));
        }
    }
    // One finding per interface: a flood of rogue routers is one exposure with many witnesses.
    let mut rogue: BTreeMap<String, Vec<(IpAddr, String)>> = BTreeMap::new();
    for r in host.tables.fib6.dump(None) {
        if r.dst.prefix_len() != 0 || r.proto != Proto::Ra {
            continue;
        }
        let Some(gw) = r.gateway else { continue };
        let owner = owner_of(world, gw);
        let owner_is_gateway = owner
            .as_ref()
            .is_some_and(|(_, addrs)| addrs.iter().any(|a| designated.contains(a)));
        if !owner_is_gateway {
            let who = owner.map_or_else(|| "an unknown node".to_owned(), |(n, _)| format!("`{n}`"));
            rogue
                .entry(host.tables.ifaces.name(r.dev).to_owned())
                .or_default()
                .push((gw, who));
        }
    }
    let gateways = designated.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ");
    for (dev, routers) in rogue {
        let (gw, who) = &routers[0];
        let more = match routers.len() {
            1 => String::new(),
            n => format!(" (and {} more rogue default routers)", n - 1),
        };
        let evidence = routers
            .iter()
            .take(10)
            .map(|(g, _)| format!("default via {g} dev {dev} proto ra"))
            .collect();
        out.push(about_node(
            RA_FROM_NON_GATEWAY,
            &vm.name,
            Some(&dev),
            format!(
                "{} has a default route via {gw} learned from an RA sent by {who}, not by the BOSH gateway ({gateways}){more}",
                vm.name
            ),
            evidence,
        ));
    }
}

/// The node that owns `addr`, and every address of that node.
fn owner_of(world: &World, addr: IpAddr) -> Option<(String, Vec<IpAddr>)> {
    world.nodes.iter().find_map(|(name, e)| {
        let all: Vec<IpAddr> = match world.sim.host(e.id) {
            Some(host) => host.tables.addrs.iter().map(|a| a.addr).collect(),
            None => world
                .sim
                .attacker(e.id)
                .map(|a| a.addrs.iter().map(|x| IpAddr::V6(*x)).collect())
                .unwrap_or_default(),
        };
        all.contains(&addr).then(|| (name.clone(), all))
    })
}

fn node_findings(name: &str, host: &Host, out: &mut Vec<Finding>) {
    let t = &host.tables;
    for r in t.fib4.dump(None).into_iter().chain(t.fib6.dump(None)) {
        let Some(gw) = r.gateway else { continue };
        if r.dst.prefix_len() != 0 || is_link_local(gw) {
            continue;
        }
        let on_subnet = t.addrs.on(r.dev, gw.is_ipv6()).any(|a| a.same_subnet(gw));
        if !on_subnet {
            out.push(about_node(
                GATEWAY_OFF_SUBNET,
                name,
                Some(t.ifaces.name(r.dev)),
                format!(
                    "{name}: default route via {gw} dev {}, but no address on {} covers {gw}",
                    t.ifaces.name(r.dev),
                    t.ifaces.name(r.dev)
                ),
                vec![format!(
                    "default via {gw} dev {} table {}",
                    t.ifaces.name(r.dev),
                    r.table
                )],
            ));
        }
    }
    for i in t.ifaces.iter() {
        let conf = t.sysctl.v6(i.ifindex);
        if conf.forwarding != 0 && conf.accept_ra == 2 {
            out.push(about_node(
                RA_ACCEPTED_WHILE_FORWARDING,
                name,
                Some(t.ifaces.name(i.ifindex)),
                format!(
                    "{name} {} forwards and accepts RAs (accept_ra = 2)",
                    t.ifaces.name(i.ifindex)
                ),
                Vec::new(),
            ));
        }
    }
    for a in t.addrs.iter().filter(|a| a.flags.has(AddrFlags::DADFAILED)) {
        out.push(about_node(
            DAD_FAILED,
            name,
            Some(t.ifaces.name(a.ifindex)),
            format!("{name}: {} failed duplicate address detection", a.addr),
            vec![format!("inet6 {}/{} dadfailed tentative", a.addr, a.prefix_len)],
        ));
    }
}

/// Whether the node is a deployed VM (findings about VMs name them as `group/index`).
pub fn is_vm(world: &World, name: &str) -> bool {
    world.nodes.get(name).is_some_and(|n| n.kind == NodeKind::Vm)
}

/// Findings about every flow in `flows`.
pub fn flow_findings(world: &World, flows: &Flows) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, rec) in flows {
        let Some((frames, server)) = flow_frames(world, rec) else {
            continue;
        };
        let endpoints: BTreeSet<NodeId> = [Some(rec.node), server].into_iter().flatten().collect();
        let mut received: BTreeMap<NodeId, BTreeSet<IfIndex>> = BTreeMap::new();
        let mut sent: BTreeMap<NodeId, BTreeSet<IfIndex>> = BTreeMap::new();
        let mut middle_rst: Option<(NodeId, String)> = None;
        let mut middle_drop: Option<NodeId> = None;
        for r in world.sim.trace().records() {
            let Actor::Node(n) = r.actor else { continue };
            match &r.event {
                TraceEvent::FrameReceived { frame, ifindex }
                    if frames.get(frame).is_some_and(|f| accepted(world, n, *ifindex, f.dst)) =>
                {
                    received.entry(n).or_default().insert(*ifindex);
                }
                TraceEvent::FrameSent { frame, ifindex, .. } if frames.contains_key(frame) => {
                    sent.entry(n).or_default().insert(*ifindex);
                    if !endpoints.contains(&n) && frames.get(frame).is_some_and(|f| f.rst) && middle_rst.is_none() {
                        middle_rst = Some((n, r.at.to_string()));
                    }
                }
                TraceEvent::Dropped {
                    frame: Some(f),
                    reason: DropReason::Policy,
                } if frames.contains_key(f) && !endpoints.contains(&n) => {
                    middle_drop.get_or_insert(n);
                }
                _ => {}
            }
        }
        let client = world.name_of(rec.node).to_owned();
        let report = world.sim.host(rec.node).and_then(|h| h.app_report(rec.app));
        if let Some((n, at)) = middle_rst {
            out.push(about_node(
                MIDDLEBOX_RESET,
                &client,
                None,
                format!(
                    "flow `{id}` was reset by `{}`, which is neither endpoint",
                    world.name_of(n)
                ),
                vec![format!("{at} {} sends a TCP RST for flow {id}", world.name_of(n))],
            ));
        } else if let (Some(n), Some(r)) = (middle_drop, &report) {
            if r.stalled_at.is_some() || r.timed_out_at.is_some() {
                out.push(about_node(
                    MIDDLEBOX_RESET,
                    &client,
                    None,
                    format!(
                        "flow `{id}` stalled while `{}` dropped its segments by policy",
                        world.name_of(n)
                    ),
                    Vec::new(),
                ));
            }
        }
        for e in &endpoints {
            let (Some(rx), Some(tx)) = (received.get(e), sent.get(e)) else {
                continue;
            };
            let stray: Vec<IfIndex> = tx.difference(rx).copied().collect();
            if stray.is_empty() {
                continue;
            }
            let name = world.name_of(*e).to_owned();
            let ifname = |i: IfIndex| {
                world
                    .sim
                    .host(*e)
                    .map_or_else(|| format!("if{}", i.0), |h| h.tables.ifaces.name(i).to_owned())
            };
            let rx_names: Vec<String> = rx.iter().map(|i| ifname(*i)).collect();
            let tx_names: Vec<String> = stray.iter().map(|i| ifname(*i)).collect();
            out.push(about_node(
                ASYMMETRIC_TCP_FLOW,
                &name,
                tx_names.first().map(String::as_str),
                format!(
                    "flow `{id}`: {name} receives it on {} but sends on {}",
                    rx_names.join(", "),
                    tx_names.join(", ")
                ),
                Vec::new(),
            ));
        }
    }
    out
}
