//! A node's tables as `ip` prints them (`ip addr`, `ip route`, `ip -6 route`, `ip rule`, `ip -6 rule`,
//! `ip neigh`), for snapshots, failure evidence and `dualhome explain`. The renderers are the simulator's own
//! (sim/src/host/render*.rs), which are checked against a real kernel's output (reference/linux-exp).

use super::world::World;
use dualhome_sim::host::neigh::NeighFilter;
use dualhome_sim::host::render::{ip_route_show, ip_rule_show, TableFilter};
use dualhome_sim::host::render_addr::{ip_addr_show, Family};
use std::fmt::Write;

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
