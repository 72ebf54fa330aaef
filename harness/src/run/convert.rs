//! Scenario and agent values turned into the simulator's: RA configuration (radvd.conf semantics), routes, rules
//! and MACs. Pure functions, so each mapping is tested on its own.

use super::world::{iface_for_gateway, NodeEntry};
use crate::scenario::ra::{Preference, RaConfig};
use crate::scenario::topology::{Route as ScRoute, RoutingRule};
use crate::scenario::values::Lifetime;
use dualhome_sim::host::route::{Proto, Route};
use dualhome_sim::host::rule::{Rule, RuleAction};
use dualhome_sim::id::IfIndex;
use dualhome_sim::radvd::{DnsslConfig, PrefixConfig, RaIfaceConfig, RdnssConfig, RouteConfig};
use dualhome_sim::wire::{MacAddr, RouterPreference};
use ipnet::IpNet;
use std::net::IpAddr;
use std::time::Duration;

/// A scenario MAC as the simulator's.
pub fn sim_mac(octets: [u8; 6]) -> MacAddr {
    MacAddr(octets)
}

fn pref(p: Preference) -> RouterPreference {
    match p {
        Preference::Low => RouterPreference::Low,
        Preference::Medium => RouterPreference::Medium,
        Preference::High => RouterPreference::High,
    }
}

/// Seconds of a lifetime as the wire carries them (all ones = infinity, RFC 4861 §4.6.2), saturating.
fn lifetime_secs(l: Lifetime) -> u32 {
    match l {
        Lifetime::Infinity => u32::MAX,
        Lifetime::Finite(d) => u32::try_from(d.0.as_secs()).unwrap_or(u32::MAX - 1),
    }
}

fn ms(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

/// An interface's `ra:` block as radvd would run it (radvd defaults where the scenario says nothing).
pub fn ra_config(ifname: &str, ra: &RaConfig) -> RaIfaceConfig {
    let mut c = RaIfaceConfig::new(ifname);
    if let Some(max) = &ra.max_interval {
        c.max_interval = max.value.0;
    }
    c.min_interval = ra.min_interval.as_ref().map(|m| m.value.0);
    c.default_lifetime = ra
        .default_lifetime
        .as_ref()
        .map(|l| u16::try_from(l.value.0.as_secs()).unwrap_or(u16::MAX));
    if let Some(p) = ra.preference {
        c.default_preference = pref(p);
    }
    if let Some(h) = ra.cur_hop_limit {
        c.cur_hop_limit = h;
    }
    c.managed = ra.managed.unwrap_or(false);
    c.other_config = ra.other_config.unwrap_or(false);
    c.reachable_time = ra.reachable_time.map_or(0, |d| ms(d.0));
    c.retrans_timer = ra.retrans_timer.map_or(0, |d| ms(d.0));
    c.link_mtu = ra.mtu.as_ref().map_or(0, |m| m.value);
    for p in &ra.prefixes {
        let IpNet::V6(net) = p.prefix.value.0 else { continue };
        let mut pc = PrefixConfig::new(net.network(), net.prefix_len());
        pc.on_link = p.on_link.unwrap_or(true);
        pc.autonomous = p.autonomous.unwrap_or(true);
        if let Some(v) = &p.valid_lifetime {
            pc.valid_lifetime = lifetime_secs(v.value);
        }
        if let Some(v) = &p.preferred_lifetime {
            pc.preferred_lifetime = lifetime_secs(v.value);
        }
        c.prefixes.push(pc);
    }
    for r in &ra.routes {
        let IpNet::V6(net) = r.prefix.value.0 else { continue };
        c.routes.push(RouteConfig {
            prefix: net.network(),
            len: net.prefix_len(),
            preference: pref(r.preference),
            lifetime: r.lifetime.map(lifetime_secs),
            remove_on_shutdown: true,
        });
    }
    for d in &ra.rdnss {
        let servers = d
            .servers
            .iter()
            .filter_map(|s| match s.value.0 {
                IpAddr::V6(a) => Some(a),
                IpAddr::V4(_) => None,
            })
            .collect();
        c.rdnss.push(RdnssConfig {
            servers,
            lifetime: d.lifetime.map(lifetime_secs),
            flush_on_shutdown: true,
        });
    }
    for d in &ra.dnssl {
        c.dnssl.push(DnsslConfig {
            domains: d.domains.clone(),
            lifetime: d.lifetime.map(lifetime_secs),
            flush_on_shutdown: true,
        });
    }
    c
}

/// A scenario route on a node: `dev` by name, or the interface whose configured prefix holds the gateway.
/// Metrics default as the kernel assigns them to user routes (IPv6 1024, IP6_RT_PRIO_USER; IPv4 0).
pub fn sim_route(r: &ScRoute, node: &NodeEntry) -> Result<Route, String> {
    let via = r.via.as_ref().map(|v| v.value.0);
    let dev = match (&r.dev, via) {
        (Some(d), _) => node
            .iface(&d.value)
            .map(|i| i.ifindex)
            .ok_or_else(|| format!("ip route add {}: Cannot find device \"{}\"", r.dst.value, d.value))?,
        (None, Some(gw)) => iface_for_gateway(node, gw)
            .map(|i| i.ifindex)
            .ok_or_else(|| format!("ip route add {} via {gw}: Nexthop has invalid gateway", r.dst.value))?,
        (None, None) => return Err(format!("ip route add {}: a route needs `via` or `dev`", r.dst.value)),
    };
    let dst = r.dst.value.0.trunc();
    let metric = r.metric.unwrap_or(if dst.addr().is_ipv6() { 1024 } else { 0 });
    Ok(Route::new(dst, via, dev)
        .with_metric(metric)
        .with_table(r.table.unwrap_or(254))
        .with_proto(Proto::Boot))
}

/// A scenario policy rule.
pub fn sim_rule(r: &RoutingRule) -> Rule {
    let mut rule = Rule::lookup(r.priority, r.table);
    rule.from = r.from.as_ref().map(|c| c.value.0.trunc());
    rule.to = r.to.as_ref().map(|c| c.value.0.trunc());
    rule.iif = r.iif.as_ref().map(|i| i.value.clone());
    rule.oif = r.oif.as_ref().map(|i| i.value.clone());
    rule.action = RuleAction::Lookup(r.table);
    rule
}

/// An agent route (`BootOp::RouteAdded`) as a simulator route; `dev` already resolved.
pub fn agent_route(r: &dualhome_agent::Route, dev: IfIndex) -> Result<Route, String> {
    let dst = IpNet::new(r.dst.addr, r.dst.len)
        .map_err(|e| format!("route {r}: {e}"))?
        .trunc();
    let proto = match r.proto {
        dualhome_agent::RouteProto::Boot => Proto::Boot,
        dualhome_agent::RouteProto::Static => Proto::Static,
        dualhome_agent::RouteProto::Kernel => Proto::Kernel,
    };
    Ok(Route::new(dst, r.gateway, dev)
        .with_metric(r.metric)
        .with_table(r.table)
        .with_proto(proto))
}

/// An agent rule (`from SRC lookup T priority P`).
pub fn agent_rule(r: &dualhome_agent::Rule) -> Result<Rule, String> {
    let from = IpNet::new(r.from.addr, r.from.len).map_err(|e| format!("rule {r}: {e}"))?;
    let mut rule = Rule::lookup(r.priority, r.table);
    rule.from = Some(from.trunc());
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ra_blocks_keep_radvd_defaults_where_unset() -> Result<(), serde_saphyr::Error> {
        let ra: RaConfig = serde_saphyr::from_str(
            "max_interval: 10s\npreference: high\nprefixes:\n  - {prefix: \"2001:db8:1::/64\", autonomous: false, valid_lifetime: infinity}\n",
        )?;
        let c = ra_config("eth1", &ra);
        assert_eq!(c.max_interval, Duration::from_secs(10));
        assert_eq!(c.default_preference, RouterPreference::High);
        assert_eq!(c.default_lifetime, None, "3 × max is the daemon's default");
        let p = &c.prefixes[0];
        assert!(p.on_link && !p.autonomous);
        assert_eq!((p.valid_lifetime, p.preferred_lifetime), (u32::MAX, 14_400));
        Ok(())
    }

    #[test]
    fn lifetimes_saturate_below_infinity() {
        let huge = Lifetime::Finite(crate::scenario::values::HumanDuration(Duration::from_secs(u64::MAX)));
        assert_eq!(lifetime_secs(huge), u32::MAX - 1);
        assert_eq!(lifetime_secs(Lifetime::Infinity), u32::MAX);
    }
}
