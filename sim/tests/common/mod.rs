//! Topology helpers shared by the host behaviour tests.
#![allow(dead_code)]

use dualhome_sim::engine::{Sim, SimConfig};
use dualhome_sim::host::addr::Addr;
use dualhome_sim::host::route::Route;
use dualhome_sim::id::{IfIndex, NodeId, SegmentId};
use dualhome_sim::segment::{PortConfig, Segment};
use dualhome_sim::wire::MacAddr;
use ipnet::IpNet;
use std::net::IpAddr;

/// Parses a test literal.
pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

/// Parses a test prefix.
pub fn net(s: &str) -> IpNet {
    s.parse().expect("test prefix")
}

/// `52:54:00:00:<n>:<i>`: unique per node number and interface.
pub fn mac(n: u8, i: u8) -> MacAddr {
    MacAddr([0x52, 0x54, 0, 0, n, i])
}

/// A simulation with a trace.
pub fn sim(seed: u64) -> Sim {
    Sim::new(SimConfig { seed, trace: true })
}

/// Adds a segment.
pub fn segment(sim: &mut Sim, name: &str) -> SegmentId {
    sim.add_segment(Segment::new(name, None))
}

/// Adds a NIC and its addresses (`"2001:db8::1/64"` forms).
pub fn nic(sim: &mut Sim, node: NodeId, name: &str, seg: SegmentId, n: u8, i: u8, addrs: &[&str]) -> IfIndex {
    let ifindex = sim
        .add_nic(node, name, mac(n, i), seg, PortConfig::default())
        .expect("nic");
    for a in addrs {
        let (addr, len) = a.split_once('/').expect("addr/len");
        let a = Addr::new(ifindex, ip(addr), len.parse().expect("len"));
        sim.with_host(node, |h, ctx| h.add_address(ctx, a))
            .expect("host")
            .expect("address");
    }
    ifindex
}

/// `ip route add DST via GW dev IF`.
pub fn route(sim: &mut Sim, node: NodeId, dst: &str, gw: Option<&str>, dev: IfIndex) {
    let r = Route::new(net(dst), gw.map(ip), dev);
    sim.with_host(node, |h, _| h.add_route(r))
        .expect("host")
        .expect("route");
}

/// `sysctl -w KEY=VALUE`.
pub fn sysctl(sim: &mut Sim, node: NodeId, key: &str, value: &str) {
    sim.with_host(node, |h, ctx| h.set_sysctl(ctx, key, value).map(|_| ()))
        .expect("host")
        .expect("sysctl");
}

/// client — lan-a — router — lan-b — server, IPv6 2001:db8:a::/64 and 2001:db8:b::/64, IPv4 192.0.2.0/24 and
/// 198.51.100.0/24, static routes both ways, router forwarding on.
pub struct Routed {
    pub sim: Sim,
    pub client: NodeId,
    pub router: NodeId,
    pub server: NodeId,
    pub lan_a: SegmentId,
    pub lan_b: SegmentId,
}

pub fn routed(seed: u64) -> Routed {
    let mut s = sim(seed);
    let lan_a = segment(&mut s, "lan-a");
    let lan_b = segment(&mut s, "lan-b");
    let client = s.add_host("client");
    let router = s.add_host("router");
    let server = s.add_host("server");
    sysctl(&mut s, router, "net.ipv6.conf.all.forwarding", "1");
    sysctl(&mut s, router, "net.ipv4.conf.all.forwarding", "1");
    let c0 = nic(
        &mut s,
        client,
        "eth0",
        lan_a,
        1,
        0,
        &["2001:db8:a::c/64", "192.0.2.10/24"],
    );
    let r0 = nic(
        &mut s,
        router,
        "eth0",
        lan_a,
        2,
        0,
        &["2001:db8:a::1/64", "192.0.2.1/24"],
    );
    let r1 = nic(
        &mut s,
        router,
        "eth1",
        lan_b,
        2,
        1,
        &["2001:db8:b::1/64", "198.51.100.1/24"],
    );
    let s0 = nic(
        &mut s,
        server,
        "eth0",
        lan_b,
        3,
        0,
        &["2001:db8:b::5/64", "198.51.100.5/24"],
    );
    let _ = (r0, r1);
    route(&mut s, client, "::/0", Some("2001:db8:a::1"), c0);
    route(&mut s, client, "0.0.0.0/0", Some("192.0.2.1"), c0);
    route(&mut s, server, "::/0", Some("2001:db8:b::1"), s0);
    route(&mut s, server, "0.0.0.0/0", Some("198.51.100.1"), s0);
    Routed {
        sim: s,
        client,
        router,
        server,
        lan_a,
        lan_b,
    }
}
