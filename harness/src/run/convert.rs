//! Scenario and agent values turned into the simulator's: RA configuration (radvd.conf semantics), routes, rules
//! and MACs. Pure functions, so each mapping is tested on its own.

use super::world::{iface_for_gateway, NodeEntry};
use crate::scenario::ra::{Malformed, Preference, RaConfig};
use crate::scenario::topology::{Route as ScRoute, RoutingRule};
use crate::scenario::values::Lifetime;
use dualhome_sim::attack::malformed::{Malformation, FORWARDED_HOP_LIMIT, NONZERO_CODE};
use dualhome_sim::host::route::{Proto, Route};
use dualhome_sim::host::rule::{Rule, RuleAction};
use dualhome_sim::id::IfIndex;
use dualhome_sim::radvd::{DnsslConfig, PrefixConfig, RaIfaceConfig, RdnssConfig, RouteConfig};
use dualhome_sim::wire::{MacAddr, RouterPreference};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

/// The Fragment header identification of a `malformed: fragment` RA: fixed, so runs are byte-identical.
const FRAGMENT_IDENT: u32 = 6980;

/// A `send-ra` `malformed:` value as the simulator's [`Malformation`]; `global_src` is the sending interface's
/// global address, needed (and `None` returned without it) for `global-source` only.
pub fn malformation(m: Malformed, global_src: Option<Ipv6Addr>) -> Option<Malformation> {
    Some(match m {
        Malformed::HopLimit => Malformation::HopLimit(FORWARDED_HOP_LIMIT),
        Malformed::GlobalSource => Malformation::Source(global_src?),
        Malformed::IcmpCode => Malformation::Code(NONZERO_CODE),
        Malformed::BadChecksum => Malformation::BadChecksum,
        Malformed::ZeroLengthOption => Malformation::ZeroLengthOption,
        Malformed::Truncated => Malformation::Truncated,
        Malformed::Fragment => Malformation::Fragment { ident: FRAGMENT_IDENT },
    })
}

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
    apply_ra(&mut c, ra);
    c
}

/// Writes the fields `ra` sets over `c` (a `send-ra` override keeps the rest of the interface's configuration);
/// lists replace lists when given.
pub fn apply_ra(c: &mut RaIfaceConfig, ra: &RaConfig) {
    if let Some(max) = &ra.max_interval {
        c.max_interval = max.value.0;
    }
    if let Some(m) = &ra.min_interval {
        c.min_interval = Some(m.value.0);
    }
    if let Some(l) = &ra.default_lifetime {
        c.default_lifetime = Some(u16::try_from(l.value.0.as_secs()).unwrap_or(u16::MAX));
    }
    if let Some(p) = ra.preference {
        c.default_preference = pref(p);
    }
    if let Some(h) = ra.cur_hop_limit {
        c.cur_hop_limit = h;
    }
    if let Some(m) = ra.managed {
        c.managed = m;
    }
    if let Some(o) = ra.other_config {
        c.other_config = o;
    }
    if let Some(r) = ra.reachable_time {
        c.reachable_time = ms(r.0);
    }
    if let Some(r) = ra.retrans_timer {
        c.retrans_timer = ms(r.0);
    }
    if let Some(m) = &ra.mtu {
        c.link_mtu = m.value;
    }
    if !ra.prefixes.is_empty() {
        c.prefixes = ra
            .prefixes
            .iter()
            .filter_map(|p| match p.prefix.value.0 {
                IpNet::V6(net) => Some((p, net)),
                IpNet::V4(_) => None,
            })
            .map(|(p, net)| {
                let mut pc = PrefixConfig::new(net.network(), net.prefix_len());
                pc.on_link = p.on_link.unwrap_or(true);
                pc.autonomous = p.autonomous.unwrap_or(true);
                if let Some(v) = &p.valid_lifetime {
                    pc.valid_lifetime = lifetime_secs(v.value);
                }
                if let Some(v) = &p.preferred_lifetime {
                    pc.preferred_lifetime = lifetime_secs(v.value);
                }
                pc
            })
            .collect();
    }
    if !ra.routes.is_empty() {
        c.routes = ra
            .routes
            .iter()
            .filter_map(|r| match r.prefix.value.0 {
                IpNet::V6(net) => Some(RouteConfig {
                    prefix: net.network(),
                    len: net.prefix_len(),
                    preference: pref(r.preference),
                    lifetime: r.lifetime.map(lifetime_secs),
                    remove_on_shutdown: true,
                }),
                IpNet::V4(_) => None,
            })
            .collect();
    }
    if !ra.rdnss.is_empty() {
        c.rdnss = ra
            .rdnss
            .iter()
            .map(|d| RdnssConfig {
                servers: d
                    .servers
                    .iter()
                    .filter_map(|s| match s.value.0 {
                        IpAddr::V6(a) => Some(a),
                        IpAddr::V4(_) => None,
                    })
                    .collect(),
                lifetime: d.lifetime.map(lifetime_secs),
                flush_on_shutdown: true,
            })
            .collect();
    }
    if !ra.dnssl.is_empty() {
        c.dnssl = ra
            .dnssl
            .iter()
            .map(|d| DnsslConfig {
                domains: d.domains.clone(),
                lifetime: d.lifetime.map(lifetime_secs),
                flush_on_shutdown: true,
            })
            .collect();
    }
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
    fn overrides_change_only_what_they_set() -> Result<(), serde_saphyr::Error> {
        let base: RaConfig =
            serde_saphyr::from_str("max_interval: 10s\npreference: high\nprefixes: [{prefix: \"2001:db8:1::/64\"}]\n")?;
        let mut c = ra_config("eth1", &base);
        let kill: RaConfig = serde_saphyr::from_str("default_lifetime: 0s\n")?;
        apply_ra(&mut c, &kill);
        assert_eq!(c.default_lifetime, Some(0));
        assert_eq!((c.default_preference, c.prefixes.len()), (RouterPreference::High, 1));
        Ok(())
    }

    #[test]
    fn each_malformed_value_breaks_its_own_check() -> Result<(), serde_saphyr::Error> {
        let global = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
        let m = |text: &str| serde_saphyr::from_str::<Malformed>(text);
        assert_eq!(malformation(m("hop-limit")?, None), Some(Malformation::HopLimit(64)));
        assert_eq!(malformation(m("icmp-code")?, None), Some(Malformation::Code(1)));
        assert_eq!(
            malformation(m("global-source")?, Some(global)),
            Some(Malformation::Source(global))
        );
        assert_eq!(
            malformation(m("global-source")?, None),
            None,
            "no global address to send from"
        );
        assert_eq!(
            malformation(m("fragment")?, None),
            Some(Malformation::Fragment { ident: FRAGMENT_IDENT })
        );
        for (text, want) in [
            ("bad-checksum", Malformation::BadChecksum),
            ("zero-length-option", Malformation::ZeroLengthOption),
            ("truncated", Malformation::Truncated),
        ] {
            assert_eq!(malformation(m(text)?, Some(global)), Some(want), "{text}");
        }
        assert!(m("hop-limit-64").is_err());
        Ok(())
    }

    #[test]
    fn lifetimes_saturate_below_infinity() {
        let huge = Lifetime::Finite(crate::scenario::values::HumanDuration(Duration::from_secs(u64::MAX)));
        assert_eq!(lifetime_secs(huge), u32::MAX - 1);
        assert_eq!(lifetime_secs(Lifetime::Infinity), u32::MAX);
    }
}
