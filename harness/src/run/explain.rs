//! `dualhome explain`: a node's tables at a time (as `ip addr`, `ip route`, `ip -6 route`, `ip rule`, `ip neigh`
//! print them, with the simulator's own renderers, also used for timeline snapshots) and each flow's hop-by-hop path with the routing decision taken
//! at every hop, read from the simulator's trace (`TraceEvent::Routed`, `FrameSent`, `Switched`,
//! `FrameReceived`, `Dropped`) — what a developer reproducing a routing bug wants first.
//!
//! Flows are the timeline's traffic: a `ping` is flow `timeline[i]` (its index in the timeline); `ssh`/`http`
//! entries are flows by their `id`. A flow's frames are the echo requests and replies, or the TCP segments of its
//! port, to and from its destination after its start (matched by addresses on the segments' captures).

use super::resolve::{node, resolve};
use super::world::World;
use crate::scenario::timeline::Action;
use crate::scenario::Scenario;
use dualhome_sim::host::neigh::NeighFilter;
use dualhome_sim::host::render::table_name;
use dualhome_sim::host::render::{ip_route_show, ip_rule_show, TableFilter};
use dualhome_sim::host::render_addr::{ip_addr_show, Family};
use dualhome_sim::time::Instant;
use dualhome_sim::trace::{Actor, TraceEvent};
use dualhome_sim::wire::{FrameSummary, L3View, L4View};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::net::IpAddr;

/// One node's tables now, each under a `$ ip …` header line.
pub fn node_tables(world: &World, name: &str) -> Option<String> {
    let entry = world.nodes.get(name)?;
    let host = world.sim.host(entry.id)?;
    let now = world.sim.now();
    let t = &host.tables;
    let mut out = String::new();
    let _ = writeln!(out, "$ ip addr");
    out.push_str(&ip_addr_show(t, Family::Any, None, now));
    let _ = writeln!(out, "$ ip route show table all");
    out.push_str(&ip_route_show(t, false, TableFilter::All, now));
    let _ = writeln!(out, "$ ip -6 route show table all");
    out.push_str(&ip_route_show(t, true, TableFilter::All, now));
    let _ = writeln!(out, "$ ip rule");
    out.push_str(&ip_rule_show(&t.rules4));
    let _ = writeln!(out, "$ ip -6 rule");
    out.push_str(&ip_rule_show(&t.rules6));
    let _ = writeln!(out, "$ ip neigh");
    out.push_str(&host.neigh.render(&NeighFilter::default(), |i| t.ifaces.name(i)));
    Some(out)
}

/// Every node's tables, in name order, each under a `== node ==` line.
pub fn all_tables(world: &World, only: &[String]) -> String {
    let mut out = String::new();
    for name in world.nodes.keys() {
        if !only.is_empty() && !only.contains(name) {
            continue;
        }
        if let Some(text) = node_tables(world, name) {
            let _ = writeln!(out, "== {name} ==");
            out.push_str(&text);
        }
    }
    out
}

/// Lines shown per flow at most (a long ping run repeats itself).
pub const MAX_LINES: usize = 80;

/// A flow of the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowRef {
    /// `timeline[3]` for a ping, the `id` for ssh/http.
    pub id: String,
    /// Index in the timeline.
    pub index: usize,
}

/// The flows of a scenario's timeline, in timeline order.
pub fn flows(scenario: &Scenario) -> Vec<FlowRef> {
    scenario
        .timeline
        .iter()
        .enumerate()
        .filter_map(|(index, e)| {
            let id = match &e.action {
                Action::Ping(_) => format!("timeline[{index}]"),
                Action::Ssh(s) => s.id.value.clone(),
                Action::Http(h) => {
                    h.id.as_ref()
                        .map_or_else(|| format!("timeline[{index}]"), |i| i.value.clone())
                }
                _ => return None,
            };
            Some(FlowRef { id, index })
        })
        .collect()
}

fn is_echo(l3: &L3View) -> Option<(IpAddr, IpAddr)> {
    match l3 {
        L3View::Ipv6(v)
            if matches!(
                v.l4,
                L4View::Icmpv6 {
                    msg_type: 128 | 129,
                    ..
                }
            ) =>
        {
            Some((IpAddr::V6(v.repr.src), IpAddr::V6(v.repr.dst)))
        }
        L3View::Ipv4(v) if matches!(v.l4, L4View::Icmpv4 { msg_type: 0 | 8, .. }) => {
            Some((IpAddr::V4(v.repr.src), IpAddr::V4(v.repr.dst)))
        }
        _ => None,
    }
}

/// A TCP segment to or from `port`: its addresses.
fn tcp_with_port(l3: &L3View, port: u16) -> Option<(IpAddr, IpAddr)> {
    let (s, d, l4) = match l3 {
        L3View::Ipv6(v) => (IpAddr::V6(v.repr.src), IpAddr::V6(v.repr.dst), v.l4),
        L3View::Ipv4(v) => (IpAddr::V4(v.repr.src), IpAddr::V4(v.repr.dst), v.l4),
        _ => return None,
    };
    match l4 {
        L4View::Tcp { src_port, dst_port, .. } if src_port == port || dst_port == port => Some((s, d)),
        _ => None,
    }
}

fn ifname(world: &World, id: dualhome_sim::id::NodeId, ifindex: dualhome_sim::id::IfIndex) -> String {
    world.sim.host(id).map_or_else(
        || format!("if{}", ifindex.0),
        |h| h.tables.ifaces.name(ifindex).to_owned(),
    )
}

fn segment_name(world: &World, id: dualhome_sim::id::SegmentId) -> &str {
    world
        .segments
        .iter()
        .find(|(_, s)| *s == id)
        .map_or("?", |(n, _)| n.as_str())
}

/// The hop-by-hop path of one flow, as text.
pub fn flow_path(world: &World, scenario: &Scenario, flow: &FlowRef) -> String {
    let mut out = String::new();
    let entry = &scenario.timeline[flow.index];
    // (what, client, destination reference, family, TCP port: None for a ping)
    let (what, from, to, family, port) = match &entry.action {
        Action::Ping(p) => ("ping", &p.from.value, &p.to.value, p.family, None),
        Action::Ssh(x) => ("ssh", &x.from.value, &x.to.value, x.family, Some(x.port.unwrap_or(22))),
        Action::Http(x) => ("http", &x.from.value, &x.to.value, x.family, Some(x.port.unwrap_or(80))),
        _ => return out,
    };
    let start = entry.at.as_ref().map_or(Instant::ZERO, |a| {
        Instant::from_nanos(u64::try_from(a.value.0.as_nanos()).unwrap_or(u64::MAX))
    });
    let dst = match resolve(world, to, family) {
        Ok(ip) => ip,
        Err(e) => {
            let _ = writeln!(out, "flow {}: {e}", flow.id);
            return out;
        }
    };
    let Ok(src_node) = node(world, from) else {
        let _ = writeln!(out, "flow {}: unknown node {from}", flow.id);
        return out;
    };
    let _ = writeln!(out, "flow {} {what} {from} → {to} ({dst}) from {start}", flow.id);
    // Frames of the flow from the captures: echo requests to dst and their replies, or the TCP segments to and
    // from dst's port.
    let mut frames: BTreeMap<u64, String> = BTreeMap::new();
    let mut endpoints: BTreeSet<IpAddr> = [dst].into_iter().collect();
    for (_, seg) in &world.segments {
        for c in world.sim.captured(*seg) {
            if c.at < start {
                continue;
            }
            let Ok(view) = c.frame.view() else { continue };
            let matched = match port {
                None => is_echo(&view.l3),
                Some(p) => tcp_with_port(&view.l3, p),
            };
            if let Some((s, d)) = matched {
                if d == dst || s == dst {
                    endpoints.insert(s);
                    endpoints.insert(d);
                    frames.insert(c.id, FrameSummary(&view).to_string());
                }
            }
        }
    }
    let mut seen_nodes: BTreeSet<dualhome_sim::id::NodeId> = [src_node.id].into_iter().collect();
    let mut lines = 0;
    for r in world.sim.trace().records() {
        if r.at < start || lines >= MAX_LINES {
            continue;
        }
        let line = match (&r.actor, &r.event) {
            (
                Actor::Node(n),
                TraceEvent::Routed {
                    dst: d,
                    dev,
                    via,
                    table,
                    forwarded,
                },
            ) if endpoints.contains(d) && seen_nodes.contains(n) => {
                let via = via.map_or_else(|| "on-link".to_owned(), |v| format!("via {v}"));
                let how = if *forwarded { "forwards" } else { "routes" };
                format!(
                    "{}  {how} {d}: dev {} {via} table {}",
                    world.name_of(*n),
                    ifname(world, *n, *dev),
                    table_name(*table)
                )
            }
            (Actor::Node(n), TraceEvent::FrameSent { frame, ifindex, .. }) if frames.contains_key(frame) => {
                format!(
                    "{}  sends #{frame} on {}: {}",
                    world.name_of(*n),
                    ifname(world, *n, *ifindex),
                    frames.get(frame).map_or("", String::as_str)
                )
            }
            (
                Actor::Segment(s),
                TraceEvent::Switched {
                    frame,
                    out_ports,
                    flooded,
                    ..
                },
            ) if frames.contains_key(frame) => {
                let how = if *flooded { "floods" } else { "switches" };
                format!("[{}]  {how} #{frame} to {out_ports} port(s)", segment_name(world, *s))
            }
            (Actor::Node(n), TraceEvent::FrameReceived { frame, ifindex }) if frames.contains_key(frame) => {
                seen_nodes.insert(*n);
                format!(
                    "{}  receives #{frame} on {}",
                    world.name_of(*n),
                    ifname(world, *n, *ifindex)
                )
            }
            (actor, TraceEvent::Dropped { frame, reason }) => {
                let ours = frame.is_some_and(|f| frames.contains_key(&f))
                    || (frame.is_none() && matches!(actor, Actor::Node(n) if seen_nodes.contains(n)));
                if !ours {
                    continue;
                }
                let who = match actor {
                    Actor::Node(n) => world.name_of(*n).to_owned(),
                    Actor::Segment(s) => format!("[{}]", segment_name(world, *s)),
                };
                let what = frame.map_or_else(|| "a packet".to_owned(), |f| format!("#{f}"));
                format!("{who}  drops {what}: {reason:?}")
            }
            _ => continue,
        };
        let _ = writeln!(out, "  {}  {line}", r.at);
        lines += 1;
    }
    if frames.is_empty() {
        let _ = writeln!(out, "  (no frame of the flow to or from {dst} was captured)");
    }
    if lines >= MAX_LINES {
        let _ = writeln!(out, "  … (first {MAX_LINES} steps shown)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pings_are_flows_by_timeline_index() -> Result<(), String> {
        let text = "name: t\nduration: 10s\ntopology:\n  segments: [{name: lan}]\n  hosts:\n    - name: a\n      interfaces: [{name: eth0, segment: lan, mac: \"02:00:00:00:00:01\", addresses: [10.0.0.1/24]}]\ntimeline:\n  - at: 1s\n    link-up: {node: a, iface: eth0}\n  - at: 2s\n    ping: {from: a, to: 10.0.0.2}\n";
        let s = crate::scenario::load_str("t.yml", text).map_err(|e| crate::scenario::render_plain(&e, 100))?;
        assert_eq!(
            flows(&s),
            vec![FlowRef {
                id: "timeline[1]".into(),
                index: 1
            }]
        );
        Ok(())
    }
}
