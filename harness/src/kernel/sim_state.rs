//! Reading the simulator's tables into the common [`NetState`], field for field what `ip -json` reports on the
//! kernel side (sim/src/host/render*.rs print the same fields as text).

use super::observe::parse_rules;
use super::snapshot::{AddrEntry, NetState, NodeState, PingEntry, RouteEntry, RouterNeigh};
use crate::run::world::World;
use dualhome_sim::host::addr::{Addr, AddrFlags};
use dualhome_sim::host::render::ip_rule_show;
use dualhome_sim::host::route::{Proto, Route, RouteFlags};
use dualhome_sim::host::tables::HostTables;
use dualhome_sim::time::Instant;

/// (flag bit, `ip` name), sorted by name as [`AddrEntry::flags`] is.
const FLAG_NAMES: [(u32, &str); 8] = [
    (AddrFlags::DADFAILED, "dadfailed"),
    (AddrFlags::DEPRECATED, "deprecated"),
    (AddrFlags::MNGTMPADDR, "mngtmpaddr"),
    (AddrFlags::NODAD, "nodad"),
    (AddrFlags::NOPREFIXROUTE, "noprefixroute"),
    (AddrFlags::OPTIMISTIC, "optimistic"),
    (AddrFlags::TEMPORARY, "temporary"),
    (AddrFlags::TENTATIVE, "tentative"),
];

fn addr_entry(t: &HostTables, a: &Addr, now: Instant) -> AddrEntry {
    let mut flags: Vec<String> = FLAG_NAMES
        .iter()
        .filter(|(bit, _)| a.flags.has(*bit) && (a.is_v6() || *bit != AddrFlags::TEMPORARY))
        .map(|(_, n)| (*n).to_owned())
        .collect();
    // `dynamic` is the absence of IFA_F_PERMANENT on IPv6 (print_addrinfo); IPv4 addresses with a finite
    // lifetime print it too.
    if (a.is_v6() && !a.flags.has(AddrFlags::PERMANENT)) || (!a.is_v6() && a.valid_until.is_some()) {
        flags.push("dynamic".into());
    }
    flags.sort();
    AddrEntry {
        dev: t.ifaces.name(a.ifindex).to_owned(),
        cidr: format!("{}/{}", a.addr, a.prefix_len),
        flags,
        valid: a.valid_until.map(|u| now.secs_until(u)),
        preferred: a.preferred_until.map(|u| now.secs_until(u)),
    }
}

fn route_entry(t: &HostTables, r: &Route, now: Instant) -> RouteEntry {
    let v6 = r.is_v6();
    let cache = r.flags.has(RouteFlags::CACHE);
    let dst = if r.dst.prefix_len() == 0 {
        "default".to_owned()
    } else if r.dst.prefix_len() == r.dst.max_prefix_len() {
        r.dst.addr().to_string()
    } else {
        r.dst.to_string()
    };
    RouteEntry {
        table: r.table,
        cache,
        kind: r.kind.keyword().map(str::to_owned),
        dst,
        via: r.gateway.map(|g| g.to_string()),
        dev: Some(t.ifaces.name(r.dev).to_owned()),
        proto: (!cache && r.proto != Proto::Boot).then(|| r.proto.to_string()),
        metric: if v6 {
            Some(r.metric)
        } else {
            Some(r.metric).filter(|&m| m != 0)
        },
        pref: v6.then(|| r.pref.name().to_owned()),
        expires: if cache {
            None
        } else {
            r.expires.map(|e| now.secs_until(e))
        },
    }
}

/// One simulated host's state at `now`, without `lo` (as the kernel side).
pub fn host_state(t: &HostTables, routers: Vec<RouterNeigh>, now: Instant) -> NodeState {
    let mut addrs: Vec<AddrEntry> = t
        .addrs
        .iter()
        .filter(|a| t.ifaces.name(a.ifindex) != "lo")
        .map(|a| addr_entry(t, a, now))
        .collect();
    addrs.sort();
    let routes = t
        .fib4
        .dump(None)
        .into_iter()
        .chain(t.fib6.dump(None))
        .filter(|r| t.ifaces.name(r.dev) != "lo")
        .map(|r| route_entry(t, r, now))
        .collect();
    let mut rules = parse_rules(&ip_rule_show(&t.rules4), false);
    rules.extend(parse_rules(&ip_rule_show(&t.rules6), true));
    NodeState {
        addrs,
        routes,
        rules,
        routers,
        pings: Vec::new(),
        accepts: Vec::new(),
        flows: Vec::new(),
        boot: Vec::new(),
    }
}

/// Every node of `world` (those that are hosts), now.
pub fn world_state(world: &World) -> NetState {
    let now = world.sim.now();
    let mut out = NetState::default();
    for (name, entry) in &world.nodes {
        if let Some(h) = world.sim.host(entry.id) {
            let t = &h.tables;
            let mut routers: Vec<RouterNeigh> = h
                .neigh
                .iter()
                .filter(|n| n.router)
                .map(|n| RouterNeigh {
                    dev: t.ifaces.name(n.ifindex).to_owned(),
                    ip: n.ip.to_string(),
                })
                .collect();
            routers.sort();
            let mut state = host_state(t, routers, now);
            state.pings = h
                .pings
                .iter()
                .map(|p| PingEntry {
                    dst: p.config.dst.to_string(),
                    sent: p.report.transmitted,
                    received: p.report.received,
                })
                .collect();
            out.nodes.insert(name.clone(), state);
        }
    }
    out
}
