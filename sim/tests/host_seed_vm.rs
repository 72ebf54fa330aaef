//! The seed's multihomed VM (bosh-ipv6-on-vsphere.md §5, Routing footnote): eth0 10.0.9.165/24 without a gateway,
//! eth1 2601:646:100:69f1::165/64 with the only default route. Off-link IPv4 is unreachable; the director on
//! eth0's subnet is reachable; IPv6 goes out eth1.

mod common;

use common::*;
use dualhome_sim::app::ping::{PingConfig, PingError, PingEvent};
use dualhome_sim::host::lookup::{LookupError, RouteQuery};
use dualhome_sim::id::IfIndex;
use dualhome_sim::time::Instant;

#[test]
fn single_default_route_shapes_what_the_vm_reaches() {
    let mut s = sim(7);
    let v4 = segment(&mut s, "vlan-v4");
    let v6 = segment(&mut s, "vlan-v6");
    let vm = s.add_host("nginx/0");
    let director = s.add_host("director");
    let gw = s.add_host("gateway");
    sysctl(&mut s, gw, "net.ipv6.conf.all.forwarding", "1");
    let eth0 = nic(&mut s, vm, "eth0", v4, 1, 0, &["10.0.9.165/24"]);
    let eth1 = nic(&mut s, vm, "eth1", v6, 1, 1, &["2601:646:100:69f1::165/64"]);
    nic(&mut s, director, "eth0", v4, 2, 0, &["10.0.9.151/24"]);
    nic(
        &mut s,
        gw,
        "eth0",
        v6,
        3,
        0,
        &["2601:646:100:69f1:20d:b9ff:fe48:9249/64"],
    );
    route(&mut s, vm, "::/0", Some("2601:646:100:69f1:20d:b9ff:fe48:9249"), eth1);
    s.run_until(Instant::from_secs(3));

    let h = s.host(vm).expect("vm");
    assert_eq!(
        h.route_get(&RouteQuery::to(ip("198.51.100.7"))).err(),
        Some(LookupError::NetUnreachable),
        "no IPv4 default route"
    );
    let d = h.route_get(&RouteQuery::to(ip("10.0.9.151"))).expect("director");
    assert_eq!((d.dev, d.gateway, d.src), (eth0, None, Some(ip("10.0.9.165"))));
    let d = h
        .route_get(&RouteQuery::to(ip("2001:4860:4860::8888")))
        .expect("internet");
    assert_eq!(d.dev, eth1);
    assert_eq!(d.gateway, Some(ip("2601:646:100:69f1:20d:b9ff:fe48:9249")));
    assert_eq!(d.src, Some(ip("2601:646:100:69f1::165")));

    s.with_host(vm, |h, ctx| {
        h.start_ping(ctx, PingConfig::new(ip("10.0.9.151"), 1));
        h.start_ping(ctx, PingConfig::new(ip("198.51.100.7"), 1));
        h.start_ping(ctx, PingConfig::new(ip("2601:646:100:69f1:20d:b9ff:fe48:9249"), 1));
    });
    s.run_until(Instant::from_secs(15));
    let h = s.host(vm).expect("vm");
    assert_eq!(
        h.pings[0].report.received, 1,
        "the agent reaches the director over IPv4"
    );
    assert_eq!(
        h.pings[1].report.log.first().map(|e| e.1),
        Some(PingEvent::Error {
            seq: 1,
            error: PingError::NetworkUnreachable
        }),
        "ping: connect: Network is unreachable"
    );
    assert_eq!(h.pings[2].report.received, 1, "the IPv6 gateway answers");
    assert_eq!(IfIndex(3), eth1);
}
