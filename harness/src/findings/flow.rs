//! Flow analyzers: what the trace says about each TCP flow the timeline started (seed footnote [Router
//! Advertisements]; linux-ipv6.md E8 and §F).
//!
//! - `asymmetric-tcp-flow`: an endpoint sends the flow's segments out of an interface it never received them on
//!   (the reply leaves by the near NIC while the request came in on the far one).
//! - `middlebox-reset`: a node that is neither endpoint sent a RST for the flow (pf `block return`, conntrack
//!   `reject with tcp reset`), or the flow stalled or timed out while a node in between dropped its segments by
//!   policy (conntrack `ct state invalid drop`).

use super::{about_node, ASYMMETRIC_TCP_FLOW, MIDDLEBOX_RESET};
use crate::run::flows::{flow_frames, Flows};
use crate::run::world::World;
use dualhome_reports::Finding;
use dualhome_sim::id::{IfIndex, NodeId};
use dualhome_sim::trace::{Actor, DropReason, TraceEvent};
use std::collections::{BTreeMap, BTreeSet};

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
                TraceEvent::FrameReceived { frame, ifindex } if frames.contains_key(frame) => {
                    received.entry(n).or_default().insert(*ifindex);
                }
                TraceEvent::FrameSent { frame, ifindex, .. } if frames.contains_key(frame) => {
                    sent.entry(n).or_default().insert(*ifindex);
                    if !endpoints.contains(&n) && frames.get(frame).copied().unwrap_or(false) && middle_rst.is_none() {
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
