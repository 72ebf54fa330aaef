//! Source address selection and the asymmetric path of linux-ipv6.md §E (E5, E6, E7/E8, E11) and C2.log C9
//! (use_tempaddr), through the public table API.

use std::net::IpAddr;
use std::time::Duration;

use dualhome_sim::host::addr::{Addr, AddrFlags, AddrProto};
use dualhome_sim::host::lookup::{LookupError, RouteQuery};
use dualhome_sim::host::render::ip_route_get;
use dualhome_sim::host::render_addr::{ip_addr_show, Family};
use dualhome_sim::host::route::{Pref, Proto, Route, RouteFlags, RouteMetrics, RouteType};
use dualhome_sim::host::srcsel::{select_v6, TempPref};
use dualhome_sim::host::tables::HostTables;
use dualhome_sim::id::IfIndex;
use dualhome_sim::time::Instant;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn ll(t: &mut HostTables, dev: IfIndex, a: &str) {
    t.add_addr_kernel(Addr::new(dev, ip(a), 64).with_proto(AddrProto::KernelLl))
        .unwrap();
    t.dad_completed(dev, a.parse().unwrap()).unwrap();
}

/// The E8 server: sa0 on net A (no global yet), sb0 = X = 2001:db8:b::10 with the default route.
fn server() -> (HostTables, IfIndex, IfIndex) {
    let mut t = HostTables::new();
    let sa0 = t.add_interface("sa0", [0x02, 0x5a, 0, 0, 0, 0x0a], 1500).unwrap();
    let sb0 = t.add_interface("sb0", [0x02, 0x5b, 0, 0, 0, 0x0b], 1500).unwrap();
    t.set_link(sa0, true).unwrap();
    t.set_link(sb0, true).unwrap();
    t.add_addr(Addr::new(sb0, ip("2001:db8:b::10"), 64).with_flags(AddrFlags::NODAD))
        .unwrap();
    ll(&mut t, sa0, "fe80::5a:ff:fe00:a");
    ll(&mut t, sb0, "fe80::5b:ff:fe00:b");
    t.route_add(Route::new("::/0".parse().unwrap(), Some(ip("2001:db8:b::1")), sb0))
        .unwrap();
    (t, sa0, sb0)
}

fn add_slaac(t: &mut HostTables, sa0: IfIndex) {
    let now = Instant::from_secs(10);
    let pio = Route::new("2001:db8:a::/64".parse().unwrap(), None, sa0)
        .with_metric(256)
        .with_proto(Proto::Kernel)
        .with_flags(RouteFlags::ADDRCONF | RouteFlags::PREFIX_RT)
        .with_expires(now + Duration::from_secs(86400));
    t.route_add(pio).unwrap();
    let a = Addr::new(sa0, ip("2001:db8:a:0:5a:ff:fe00:a"), 64)
        .with_lifetimes(now, 86400, 14400)
        .with_flags(AddrFlags::MNGTMPADDR);
    t.add_addr_kernel(a).unwrap();
    t.dad_completed(sa0, "2001:db8:a:0:5a:ff:fe00:a".parse().unwrap())
        .unwrap();
}

fn decide(t: &HostTables, q: RouteQuery) -> (IfIndex, Option<IpAddr>, Option<IpAddr>) {
    let d = t.route_get(&q, |_, _| true).unwrap();
    (d.dev, d.gateway, d.src)
}

#[test]
fn e5_egress_without_global_borrows_other_interface_then_own() {
    let (mut t, sa0, _) = server();
    t.route_add(Route::new(
        "2001:db8:cc::/64".parse().unwrap(),
        Some(ip("fe80::1")),
        sa0,
    ))
    .unwrap();
    let q = RouteQuery::to(ip("2001:db8:cc::1"));
    assert_eq!(decide(&t, q), (sa0, Some(ip("fe80::1")), Some(ip("2001:db8:b::10"))));
    add_slaac(&mut t, sa0);
    assert_eq!(
        decide(&t, q),
        (sa0, Some(ip("fe80::1")), Some(ip("2001:db8:a:0:5a:ff:fe00:a")))
    );
}

#[test]
fn e6_default_and_on_link_destinations() {
    let (mut t, sa0, sb0) = server();
    add_slaac(&mut t, sa0);
    assert_eq!(
        decide(&t, RouteQuery::to(ip("2001:db8:ffff::1"))),
        (sb0, Some(ip("2001:db8:b::1")), Some(ip("2001:db8:b::10")))
    );
    assert_eq!(
        decide(&t, RouteQuery::to(ip("2001:db8:a::c"))),
        (sa0, None, Some(ip("2001:db8:a:0:5a:ff:fe00:a")))
    );
}

#[test]
fn e7_e8_reply_to_on_link_client_leaves_sa0_with_source_x() {
    // The SYN to X arrives on sb0; the reply is routed by destination only (oif 0, TCP) or with oif = incoming
    // interface and a source (ICMP echo: not strict), and both pick the on-link route on sa0 with source X.
    let (mut t, sa0, sb0) = server();
    add_slaac(&mut t, sa0);
    let client = ip("2001:db8:a::c");
    let x = ip("2001:db8:b::10");
    let tcp = t.route_get(&RouteQuery::to(client).from(x), |_, _| true).unwrap();
    assert_eq!((tcp.dev, tcp.gateway), (sa0, None));
    let echo = t
        .route_get(&RouteQuery::to(client).from(x).oif(sb0), |_, _| true)
        .unwrap();
    assert_eq!(
        (echo.dev, echo.gateway),
        (sa0, None),
        "E7b: oif with a source is not strict"
    );
    // oif without a source is strict: the on-link route on sa0 fails hard, the lookup backs off to sb0's default.
    let bound = t.route_get(&RouteQuery::to(client).oif(sb0), |_, _| true).unwrap();
    assert_eq!((bound.dev, bound.gateway), (sb0, Some(ip("2001:db8:b::1"))));
}

#[test]
fn e11_weak_host_input_and_strict_link_local() {
    let (t, sa0, sb0) = server();
    // A packet to X (on sb0) arriving on sa0 is local: the local table has no device check for global dsts.
    let d = t
        .route_get(
            &RouteQuery::to(ip("2001:db8:b::10")).from(ip("2001:db8:a::c")).iif(sa0),
            |_, _| true,
        )
        .unwrap();
    assert_eq!((d.kind, d.dev), (RouteType::Local, IfIndex::LOOPBACK));
    // sb0's link-local arriving on sa0 is not ours on that link (rt6_need_strict).
    let q = RouteQuery::to(ip("fe80::5b:ff:fe00:b")).from(ip("fe80::1")).iif(sa0);
    let d = t.route_get(&q, |_, _| true).unwrap();
    assert_eq!((d.kind, d.dev), (RouteType::Unicast, sa0));
    let q = RouteQuery::to(ip("fe80::5b:ff:fe00:b")).from(ip("fe80::1")).iif(sb0);
    assert_eq!(t.route_get(&q, |_, _| true).unwrap().kind, RouteType::Local);
}

#[test]
fn e12_link_local_destination_with_oif_uses_that_interface() {
    let (t, sa0, sb0) = server();
    for dev in [sa0, sb0] {
        let d = t
            .route_get(&RouteQuery::to(ip("fe80::99")).oif(dev), |_, _| true)
            .unwrap();
        let want = if dev == sa0 {
            "fe80::5a:ff:fe00:a"
        } else {
            "fe80::5b:ff:fe00:b"
        };
        assert_eq!((d.dev, d.src), (dev, Some(ip(want))));
    }
}

#[test]
fn e4_prefsrc_overrides_selection() {
    let (mut t, sa0, _) = server();
    add_slaac(&mut t, sa0);
    let r =
        Route::new("2001:db8:dd::/64".parse().unwrap(), Some(ip("fe80::1")), sa0).with_prefsrc(ip("2001:db8:b::10"));
    t.route_add(r).unwrap();
    assert_eq!(
        decide(&t, RouteQuery::to(ip("2001:db8:dd::1"))).2,
        Some(ip("2001:db8:b::10"))
    );
}

#[test]
fn deprecated_and_dadfailed_are_avoided() {
    let (mut t, sa0, sb0) = server();
    add_slaac(&mut t, sa0);
    // Expire the preferred lifetime of the SLAAC address (B30): rule 3 then prefers X on sb0 despite rule 5.
    let changes = t.expire(Instant::from_secs(10 + 14400));
    assert_eq!(changes.addrs.len(), 1);
    let s = select_v6(
        &t.addrs,
        &t.ifaces,
        &t.sysctl,
        "2001:db8:cc::1".parse().unwrap(),
        Some(sa0),
        TempPref::Sysctl,
    );
    assert_eq!(s, Some("2001:db8:b::10".parse().unwrap()));
    t.dad_failed(sb0, "2001:db8:b::10".parse().unwrap()).unwrap();
    let s = select_v6(
        &t.addrs,
        &t.ifaces,
        &t.sysctl,
        "2001:db8:cc::1".parse().unwrap(),
        Some(sa0),
        TempPref::Sysctl,
    );
    assert_eq!(
        s,
        Some("2001:db8:a:0:5a:ff:fe00:a".parse().unwrap()),
        "dadfailed stays tentative: no candidate"
    );
    assert_eq!(
        t.route_get(&RouteQuery::to(ip("2001:db8:b::10")), |_, _| true)
            .map(|d| d.kind),
        Ok(RouteType::Unicast),
        "a dadfailed address has no local route"
    );
    let _ = LookupError::NetUnreachable;
}

#[test]
fn c2_log_c9_use_tempaddr() {
    let mut t = HostTables::new();
    let h0 = t.add_interface("h0", [0x52, 0x54, 0, 0x12, 0x34, 0x56], 1500).unwrap();
    t.ifaces.get_mut(h0).unwrap().qdisc = "noqueue";
    t.set_link(h0, true).unwrap();
    ll(&mut t, h0, "fe80::5054:ff:fe12:3456");
    t.set_sysctl("net.ipv6.conf.h0.use_tempaddr", "2").unwrap();
    let t0 = Instant::from_secs(40);
    let public = Addr::new(h0, ip("2001:db8:6:0:5054:ff:fe12:3456"), 64)
        .with_lifetimes(t0, 86400, 14400)
        .with_flags(AddrFlags::MNGTMPADDR)
        .with_proto(AddrProto::KernelRa);
    t.add_addr_kernel(public).unwrap();
    let temp = Addr::new(h0, ip("2001:db8:6:0:350d:81d1:4612:cbdd"), 64)
        .with_lifetimes(t0, 86400, 14400)
        .with_flags(AddrFlags::TEMPORARY)
        .with_proto(AddrProto::KernelRa);
    t.add_addr_kernel(temp).unwrap();
    t.dad_completed(h0, "2001:db8:6:0:5054:ff:fe12:3456".parse().unwrap())
        .unwrap();
    t.dad_completed(h0, "2001:db8:6:0:350d:81d1:4612:cbdd".parse().unwrap())
        .unwrap();
    let mut r = Route::new("::/0".parse().unwrap(), Some(ip("fe80::1")), h0)
        .with_proto(Proto::Ra)
        .with_pref(Pref::Medium)
        .with_flags(RouteFlags::ADDRCONF | RouteFlags::DEFAULT)
        .with_expires(t0 + Duration::from_secs(1800));
    r.metrics = RouteMetrics {
        mtu: None,
        hoplimit: Some(64),
    };
    t.route_add(r).unwrap();
    // C2.log:89-95 (veth suffixes removed).
    assert_eq!(
        ip_addr_show(&t, Family::V6, Some(h0), t0 + Duration::from_millis(3200)),
        "2: h0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    inet6 2001:db8:6:0:350d:81d1:4612:cbdd/64 scope global temporary dynamic 
       valid_lft 86397sec preferred_lft 14397sec
    inet6 2001:db8:6:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr 
       valid_lft 86397sec preferred_lft 14397sec
    inet6 fe80::5054:ff:fe12:3456/64 scope link 
       valid_lft forever preferred_lft forever
"
    );
    let get = |t: &HostTables| {
        ip_route_get(
            t,
            &t.route_get(&RouteQuery::to(ip("2001:db8:ffff::1")), |_, _| true)
                .unwrap(),
        )
    };
    // C2.log:97 and :100.
    assert_eq!(
        get(&t),
        "2001:db8:ffff::1 from :: via fe80::1 dev h0 proto ra src 2001:db8:6:0:350d:81d1:4612:cbdd metric 1024 hoplimit 64 pref medium\n"
    );
    t.set_sysctl("net.ipv6.conf.h0.use_tempaddr", "1").unwrap();
    assert_eq!(
        get(&t),
        "2001:db8:ffff::1 from :: via fe80::1 dev h0 proto ra src 2001:db8:6:0:5054:ff:fe12:3456 metric 1024 hoplimit 64 pref medium\n"
    );
}
