//! The seed's multihomed BOSH VM (/work/shared/seed/bosh-ipv6-on-vsphere.md): eth0 `10.0.9.165/24` without a
//! gateway, eth1 `2601:646:100:69f1::165/64` with `default via 2601:646:100:69f1:20d:b9ff:fe48:9249`, built from the
//! key/value sysctl writes and `ip` operations an agent emits, then queried as `ip route get` would be.

use std::net::IpAddr;

use dualhome_sim::host::addr::{Addr, AddrFlags, AddrProto};
use dualhome_sim::host::lookup::{LookupError, RouteQuery};
use dualhome_sim::host::render::{ip_route_get, ip_route_get_error, ip_route_show, ip_rule_show, TableFilter};
use dualhome_sim::host::render_addr::{ip_addr_show, Family};
use dualhome_sim::host::route::{table, Route};
use dualhome_sim::host::rule::Rule;
use dualhome_sim::host::tables::HostTables;
use dualhome_sim::id::IfIndex;
use dualhome_sim::time::Instant;

const GW6: &str = "2601:646:100:69f1:20d:b9ff:fe48:9249";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn vm() -> (HostTables, IfIndex, IfIndex) {
    let mut t = HostTables::new();
    let eth0 = t
        .add_interface("eth0", [0x00, 0x50, 0x56, 0x9a, 0x00, 0x01], 1500)
        .unwrap();
    let eth1 = t
        .add_interface("eth1", [0x00, 0x50, 0x56, 0x9a, 0x00, 0x02], 1500)
        .unwrap();
    for (k, v) in [
        ("net.ipv6.conf.all.accept_ra", "1"),
        ("net.ipv6.conf.eth1.accept_dad", "0"),
    ] {
        t.set_sysctl(k, v).unwrap();
    }
    t.set_link(eth0, true).unwrap();
    t.set_link(eth1, true).unwrap();
    for (dev, a) in [(eth0, "fe80::250:56ff:fe9a:1"), (eth1, "fe80::250:56ff:fe9a:2")] {
        t.add_addr_kernel(Addr::new(dev, ip(a), 64).with_proto(AddrProto::KernelLl))
            .unwrap();
        t.dad_completed(dev, a.parse().unwrap()).unwrap();
    }
    t.add_addr(Addr::new(eth0, ip("10.0.9.165"), 24)).unwrap();
    t.add_addr(Addr::new(eth1, ip("2601:646:100:69f1::165"), 64)).unwrap();
    t.route_add(Route::new("::/0".parse().unwrap(), Some(ip(GW6)), eth1))
        .unwrap();
    (t, eth0, eth1)
}

fn get(t: &HostTables, q: RouteQuery) -> Result<String, LookupError> {
    t.route_get(&q, |_, _| true).map(|d| ip_route_get(t, &d))
}

#[test]
fn off_link_ipv4_peer_is_unreachable() {
    let (t, _, _) = vm();
    for peer in ["10.0.10.5", "8.8.8.8", "192.168.50.1"] {
        let e = t.route_get(&RouteQuery::to(ip(peer)), |_, _| true).unwrap_err();
        assert_eq!(e, LookupError::NetUnreachable);
        assert_eq!(ip_route_get_error(&e), "RTNETLINK answers: Network is unreachable\n");
    }
}

#[test]
fn director_goes_out_eth0_with_its_address() {
    let (t, eth0, _) = vm();
    let d = t.route_get(&RouteQuery::to(ip("10.0.9.151")), |_, _| true).unwrap();
    assert_eq!((d.dev, d.gateway, d.src), (eth0, None, Some(ip("10.0.9.165"))));
    assert_eq!(
        get(&t, RouteQuery::to(ip("10.0.9.151"))).unwrap(),
        "10.0.9.151 dev eth0 src 10.0.9.165 uid 0 \n    cache \n"
    );
}

#[test]
fn ipv6_internet_host_goes_out_eth1() {
    let (t, _, eth1) = vm();
    let d = t
        .route_get(&RouteQuery::to(ip("2001:4860:4860::8888")), |_, _| true)
        .unwrap();
    assert_eq!(
        (d.dev, d.gateway, d.src),
        (eth1, Some(ip(GW6)), Some(ip("2601:646:100:69f1::165")))
    );
    assert_eq!(
        get(&t, RouteQuery::to(ip("2001:4860:4860::8888"))).unwrap(),
        format!("2001:4860:4860::8888 from :: via {GW6} dev eth1 src 2601:646:100:69f1::165 metric 1024 pref medium\n")
    );
}

#[test]
fn policy_rule_from_eth0_address_selects_table_100() {
    let (mut t, eth0, _) = vm();
    let r = Route::new("0.0.0.0/0".parse().unwrap(), Some(ip("10.0.9.1")), eth0).with_table(100);
    t.route_add(r).unwrap();
    t.rules4
        .add(Rule::lookup(0, 100).from("10.0.9.165/32".parse().unwrap()), None)
        .unwrap();
    assert_eq!(
        ip_rule_show(&t.rules4),
        "0:\tfrom all lookup local\n32765:\tfrom 10.0.9.165 lookup 100\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n"
    );
    let q = RouteQuery::to(ip("8.8.8.8")).from(ip("10.0.9.165"));
    let d = t.route_get(&q, |_, _| true).unwrap();
    assert_eq!((d.table, d.dev, d.gateway), (100, eth0, Some(ip("10.0.9.1"))));
    assert_eq!(
        get(&t, q).unwrap(),
        "8.8.8.8 from 10.0.9.165 via 10.0.9.1 dev eth0 table 100 uid 0 \n    cache \n"
    );
    // Without a source the rule does not match: still unreachable (the bug the seed describes).
    assert_eq!(
        t.route_get(&RouteQuery::to(ip("8.8.8.8")), |_, _| true),
        Err(LookupError::NetUnreachable)
    );
    // The director stays on main's connected route even with the source given.
    let d = t
        .route_get(&RouteQuery::to(ip("10.0.9.151")).from(ip("10.0.9.165")), |_, _| true)
        .unwrap();
    assert_eq!(
        (d.table, d.gateway),
        (100, Some(ip("10.0.9.1"))),
        "rule 32765 runs before main: table 100 wins"
    );
}

#[test]
fn vm_tables_render() {
    let (t, _, _) = vm();
    let now = Instant::from_secs(5);
    assert_eq!(
        ip_route_show(&t, false, TableFilter::Only(table::MAIN), now),
        "10.0.9.0/24 dev eth0 proto kernel scope link src 10.0.9.165 \n"
    );
    assert_eq!(
        ip_route_show(&t, true, TableFilter::Only(table::MAIN), now),
        format!(
            "2601:646:100:69f1::/64 dev eth1 proto kernel metric 256 pref medium\n\
             fe80::/64 dev eth0 proto kernel metric 256 pref medium\n\
             fe80::/64 dev eth1 proto kernel metric 256 pref medium\n\
             default via {GW6} dev eth1 metric 1024 pref medium\n"
        )
    );
    assert_eq!(
        ip_addr_show(&t, Family::V4, None, now),
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN qlen 1000\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n\
         2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP qlen 1000\n    inet 10.0.9.165/24 brd 10.0.9.255 scope global eth0\n       valid_lft forever preferred_lft forever\n"
    );
    // accept_dad=0 on eth1: the static address was usable at once (no `tentative`).
    let a = t.addrs.get(IfIndex(3), ip("2601:646:100:69f1::165")).unwrap();
    assert!(!a.flags.has(AddrFlags::TENTATIVE));
    assert_eq!(t.sysctl.get("net.ipv6.conf.eth1.accept_dad").unwrap(), "0");
}
