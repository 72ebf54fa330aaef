//! The RA daemon driving real Linux-like hosts end to end: one router gives a host its SLAAC address and default
//! route; of two routers the one with the higher AdvDefaultPreference is used (RFC 4191 §3.2); the final RA on
//! shutdown removes the default route from every host (RFC 4861 §6.2.5, linux-ipv6.md B12).

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use dualhome_sim::engine::{Sim, SimConfig};
use dualhome_sim::host::lookup::RouteQuery;
use dualhome_sim::host::render::{ip_route_show, TableFilter};
use dualhome_sim::host::route::table;
use dualhome_sim::id::{IfIndex, NodeId, SegmentId};
use dualhome_sim::radvd::{PrefixConfig, RaIfaceConfig};
use dualhome_sim::segment::{PortConfig, PortRole, Segment};
use dualhome_sim::time::Instant;
use dualhome_sim::wire::{MacAddr, RouterPreference};

const HOST_MAC: MacAddr = MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56]);

fn a6(s: &str) -> Ipv6Addr {
    s.parse().expect("test address")
}

fn router(sim: &mut Sim, seg: SegmentId, name: &str, mac: MacAddr, pref: RouterPreference, prefix: &str) -> NodeId {
    let r = sim.add_host(name);
    let port = PortConfig {
        role: PortRole::Router,
        ..PortConfig::default()
    };
    sim.add_nic(r, "eth0", mac, seg, port).expect("nic");
    let mut ra = RaIfaceConfig::new("eth0");
    ra.max_interval = Duration::from_secs(10);
    ra.default_preference = pref;
    ra.prefixes.push(PrefixConfig::new(a6(prefix), 64));
    sim.with_host(r, |h, ctx| {
        h.set_sysctl(ctx, "net.ipv6.conf.all.forwarding", "1").expect("sysctl");
        h.start_radvd(ctx, ra).expect("radvd");
    });
    r
}

fn host(sim: &mut Sim, seg: SegmentId, name: &str, mac: MacAddr) -> NodeId {
    let h = sim.add_host(name);
    sim.add_nic(h, "eth0", mac, seg, PortConfig::default()).expect("nic");
    h
}

fn defaults(sim: &Sim, h: NodeId) -> Vec<String> {
    let t = &sim.host(h).expect("host").tables;
    ip_route_show(t, true, TableFilter::Only(table::MAIN), sim.now())
        .lines()
        .filter(|l| l.starts_with("default"))
        .map(str::to_string)
        .collect()
}

fn gateway(sim: &Sim, h: NodeId) -> Option<IpAddr> {
    let q = RouteQuery::to(IpAddr::V6(a6("2001:db8:99::1")));
    sim.host(h).expect("host").route_get(&q).ok().and_then(|d| d.gateway)
}

#[test]
fn one_router_gives_a_host_its_slaac_address_and_default_route() {
    let mut sim = Sim::new(SimConfig { seed: 1, trace: false });
    let seg = sim.add_segment(Segment::new("lan", None));
    let rmac = MacAddr([0x52, 0x54, 0, 0, 0, 1]);
    router(&mut sim, seg, "r", rmac, RouterPreference::Medium, "2001:db8:1::");
    let h = host(&mut sim, seg, "h", HOST_MAC);
    sim.run_until(Instant::from_secs(20));
    let slaac = a6("2001:db8:1:0:5054:ff:fe12:3456");
    let host_ref = sim.host(h).expect("host");
    assert!(
        host_ref.tables.addrs.get(IfIndex(2), IpAddr::V6(slaac)).is_some(),
        "EUI-64 address with u/l flipped"
    );
    let d = defaults(&sim, h);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].starts_with(&format!(
            "default via {} dev eth0 proto ra metric 1024",
            rmac.eui64_link_local()
        )),
        "{d:?}"
    );
}

#[test]
fn the_higher_preference_router_is_the_default() {
    let mut sim = Sim::new(SimConfig { seed: 2, trace: false });
    let seg = sim.add_segment(Segment::new("lan", None));
    let (low, high) = (MacAddr([0x52, 0x54, 0, 0, 0, 1]), MacAddr([0x52, 0x54, 0, 0, 0, 2]));
    router(&mut sim, seg, "r1", low, RouterPreference::Low, "2001:db8:1::");
    router(&mut sim, seg, "r2", high, RouterPreference::High, "2001:db8:2::");
    let h = host(&mut sim, seg, "h", HOST_MAC);
    sim.run_until(Instant::from_secs(30));
    let d = defaults(&sim, h);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(
        d.iter().any(|l| l.contains("pref high")) && d.iter().any(|l| l.contains("pref low")),
        "{d:?}"
    );
    assert_eq!(gateway(&sim, h), Some(IpAddr::V6(high.eui64_link_local())));
}

#[test]
fn the_final_ra_removes_the_default_route_from_every_host() {
    let mut sim = Sim::new(SimConfig { seed: 3, trace: false });
    let seg = sim.add_segment(Segment::new("lan", None));
    let r = router(
        &mut sim,
        seg,
        "r",
        MacAddr([0x52, 0x54, 0, 0, 0, 1]),
        RouterPreference::Medium,
        "2001:db8:1::",
    );
    let hosts: Vec<NodeId> = (0..5u8)
        .map(|i| host(&mut sim, seg, &format!("h{i}"), MacAddr([0x52, 0x54, 0, 0, 1, i])))
        .collect();
    sim.run_until(Instant::from_secs(20));
    assert!(hosts.iter().all(|&h| defaults(&sim, h).len() == 1));
    sim.with_host(r, |h, ctx| h.stop_radvd(ctx, "eth0"))
        .expect("router")
        .expect("running");
    sim.run_until(Instant::from_millis(20_001));
    assert!(hosts.iter().all(|&h| defaults(&sim, h).is_empty()));
    // The addresses stay: the final RA withdraws the router, not the prefix (no DeprecatePrefix).
    let a = sim
        .host(hosts[0])
        .expect("host")
        .tables
        .addrs
        .on(IfIndex(2), true)
        .count();
    assert!(a >= 2, "link-local and SLAAC address remain: {a}");
}
