//! Forwarding across a router with static routes: hop limit and TTL, ICMP errors, redirects, policy routing.

mod common;

use common::*;
use dualhome_sim::app::ping::{PingConfig, PingError, PingEvent};
use dualhome_sim::host::lookup::RouteQuery;
use dualhome_sim::host::render;
use dualhome_sim::host::rule::Rule;
use dualhome_sim::id::IfIndex;
use dualhome_sim::time::Instant;
use dualhome_sim::trace::TraceEvent;
use std::time::Duration;

fn ping(r: &mut Routed, dst: &str, count: u32) {
    let cfg = PingConfig {
        interval: Duration::from_millis(200),
        ..PingConfig::new(ip(dst), count)
    };
    r.sim.with_host(r.client, |h, ctx| h.start_ping(ctx, cfg));
}

#[test]
fn ipv6_and_ipv4_cross_the_router_and_lose_one_hop() {
    let mut r = routed(1);
    r.sim.run_until(Instant::from_secs(3));
    ping(&mut r, "2001:db8:b::5", 3);
    ping(&mut r, "198.51.100.5", 3);
    r.sim.run_until(Instant::from_secs(20));
    let c = r.sim.host(r.client).expect("client");
    for p in &c.pings {
        assert_eq!((p.report.transmitted, p.report.received), (3, 3), "{:?}", p.report);
        let PingEvent::Reply { ttl, .. } = p.report.log[0].1 else {
            panic!("first event is a reply: {:?}", p.report.log);
        };
        assert_eq!(ttl, 63, "the reply crossed one router");
    }
    assert_eq!(r.sim.host(r.router).expect("router").counters.ip_forwarded, 12);
    // The trace shows the router's forwarding decisions.
    let forwarded = r
        .sim
        .trace()
        .records()
        .iter()
        .filter(|rec| matches!(rec.event, TraceEvent::Routed { forwarded: true, .. }))
        .count();
    assert_eq!(forwarded, 12);
}

#[test]
fn a_host_without_forwarding_drops_transit_traffic() {
    let mut r = routed(2);
    sysctl(&mut r.sim, r.router, "net.ipv6.conf.all.forwarding", "0");
    r.sim.run_until(Instant::from_secs(3));
    ping(&mut r, "2001:db8:b::5", 1);
    r.sim.run_until(Instant::from_secs(20));
    let c = r.sim.host(r.client).expect("client");
    assert_eq!(c.pings[0].report.received, 0);
    let router = r.sim.host(r.router).expect("router");
    assert_eq!(router.counters.ip_forwarded, 0);
    assert!(router.counters.ip_in_addr_errors >= 1, "Ip6InAddrErrors counts it");
}

#[test]
fn no_route_at_the_router_returns_destination_unreachable() {
    let mut r = routed(3);
    r.sim.run_until(Instant::from_secs(3));
    ping(&mut r, "2001:db8:ffff::1", 1);
    ping(&mut r, "203.0.113.9", 1);
    r.sim.run_until(Instant::from_secs(20));
    let c = r.sim.host(r.client).expect("client");
    for (p, from) in c.pings.iter().zip(["2001:db8:a::1", "192.0.2.1"]) {
        assert_eq!(p.report.errors, 1, "{:?}", p.report);
        let PingEvent::Error { error, .. } = p.report.log[0].1 else {
            panic!("an error: {:?}", p.report.log);
        };
        assert_eq!(
            error,
            PingError::DestinationUnreachable {
                from: ip(from),
                code: 0
            }
        );
    }
}

#[test]
fn hop_limit_one_is_answered_with_time_exceeded() {
    let mut r = routed(4);
    sysctl(&mut r.sim, r.client, "net.ipv6.conf.eth0.hop_limit", "1");
    r.sim.run_until(Instant::from_secs(3));
    ping(&mut r, "2001:db8:b::5", 1);
    r.sim.run_until(Instant::from_secs(20));
    let c = r.sim.host(r.client).expect("client");
    let PingEvent::Error { error, .. } = c.pings[0].report.log[0].1 else {
        panic!("an error: {:?}", c.pings[0].report.log);
    };
    assert_eq!(
        error,
        PingError::TimeExceeded {
            from: ip("2001:db8:a::1")
        }
    );
}

#[test]
fn router_redirects_a_host_to_an_on_link_destination() {
    // client and server share lan-a, but the client routes everything via the router: the router forwards
    // the packet back out of eth0 and tells the client the destination is on-link (RFC 4861 §8.2).
    let mut r = routed(5);
    let s1 = nic(&mut r.sim, r.server, "eth1", r.lan_a, 3, 1, &["2001:db8:a::5/64"]);
    let _ = s1;
    r.sim.with_host(r.client, |h, _| {
        h.tables.fib6.remove_where(|rt| rt.dst == net("2001:db8:a::/64"));
    });
    r.sim.run_until(Instant::from_secs(3));
    ping(&mut r, "2001:db8:a::5", 2);
    r.sim.run_until(Instant::from_secs(20));
    let router = r.sim.host(r.router).expect("router");
    assert_eq!(
        router.counters.redirects_sent, 2,
        "one redirect per forwarded request, within the burst"
    );
    assert_eq!(
        router.counters.ip_forwarded, 2,
        "only the requests cross the router; replies go direct"
    );
    let c = r.sim.host(r.client).expect("client");
    assert_eq!(c.pings[0].report.received, 2);
}

#[test]
fn a_source_rule_selects_another_table() {
    let mut r = routed(6);
    // The client gets a second uplink on lan-b with its own default in table 100, used only for its source.
    let c1 = nic(&mut r.sim, r.client, "eth1", r.lan_b, 1, 1, &["2001:db8:b::c/64"]);
    r.sim.with_host(r.client, |h, _| {
        h.tables
            .route_add(
                dualhome_sim::host::route::Route::new(net("::/0"), Some(ip("2001:db8:b::1")), c1).with_table(100),
            )
            .expect("table 100 route");
        let mut rule = Rule::lookup(0, 100);
        rule.from = Some(net("2001:db8:b::c/128"));
        h.add_rule(rule, Some(1000), true).expect("rule");
    });
    r.sim.run_until(Instant::from_secs(3));
    let c = r.sim.host(r.client).expect("client");
    let plain = c.route_get(&RouteQuery::to(ip("2001:db8:ffff::1"))).expect("route");
    assert_eq!((plain.dev, plain.table), (IfIndex(2), 254));
    let sourced = c
        .route_get(&RouteQuery::to(ip("2001:db8:ffff::1")).from(ip("2001:db8:b::c")))
        .expect("route");
    assert_eq!((sourced.dev, sourced.table), (c1, 100));
    assert_eq!(
        render::ip_rule_show(&c.tables.rules6),
        "0:\tfrom all lookup local\n1000:\tfrom 2001:db8:b::c lookup 100\n32766:\tfrom all lookup main\n"
    );
}
