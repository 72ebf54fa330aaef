//! Golden tests: host tables rebuilt from the kernel experiments and rendered, compared byte for byte with the
//! `ip` output in /work/shared/reference/linux-exp/*.log (kernel 6.18.44, iproute2 6.1.0).
//!
//! The only transformation of the golden text: veth names carry `@ifN` and `link-netns l-r`, which the simulator's
//! Ethernet interfaces do not have; `strip_veth` removes them from the expected lines.

use std::net::IpAddr;
use std::time::Duration;

use dualhome_sim::host::addr::{Addr, AddrFlags, AddrProto};
use dualhome_sim::host::lookup::RouteQuery;
use dualhome_sim::host::render::{ip_route_get, ip_route_show, TableFilter};
use dualhome_sim::host::render_addr::{ip_addr_show, Family};
use dualhome_sim::host::route::{table, Pref, Proto, Route, RouteFlags, RouteMetrics};
use dualhome_sim::host::tables::HostTables;
use dualhome_sim::id::IfIndex;
use dualhome_sim::time::Instant;

fn strip_veth(s: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        let mut l = line.replace(" link-netns l-r", "");
        if let Some(at) = l.find("@if") {
            if let Some(colon) = l[at..].find(':') {
                l.replace_range(at..at + colon, "");
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// SLAAC address as addrconf_prefix_rcv_add_addr creates it: dynamic mngtmpaddr, proto kernel_ra, no prefix route.
fn slaac(t: &mut HostTables, dev: IfIndex, a: &str, now: Instant) {
    let addr = Addr::new(dev, ip(a), 64)
        .with_lifetimes(now, 86400, 14400)
        .with_flags(AddrFlags::MNGTMPADDR)
        .with_proto(AddrProto::KernelRa);
    t.add_addr_kernel(addr).unwrap();
    t.dad_completed(dev, a.parse().unwrap()).unwrap();
}

/// The PIO on-link route (B25): proto kernel, metric 256, RTF_ADDRCONF|RTF_PREFIX_RT, expires = valid lifetime.
fn pio_route(dev: IfIndex, prefix: &str, now: Instant, valid: u64) -> Route {
    Route::new(prefix.parse().unwrap(), None, dev)
        .with_metric(256)
        .with_proto(Proto::Kernel)
        .with_flags(RouteFlags::ADDRCONF | RouteFlags::PREFIX_RT)
        .with_expires(now + Duration::from_secs(valid))
}

/// An RA default route (B10).
fn ra_default(dev: IfIndex, gw: &str, now: Instant, lifetime: u64, pref: Pref, metrics: RouteMetrics) -> Route {
    let mut r = Route::new("::/0".parse().unwrap(), Some(ip(gw)), dev)
        .with_proto(Proto::Ra)
        .with_pref(pref)
        .with_flags(RouteFlags::ADDRCONF | RouteFlags::DEFAULT)
        .with_expires(now + Duration::from_secs(lifetime));
    r.metrics = metrics;
    r
}

fn link_local(t: &mut HostTables, dev: IfIndex, a: &str) {
    t.add_addr_kernel(Addr::new(dev, ip(a), 64).with_proto(AddrProto::KernelLl))
        .unwrap();
    t.dad_completed(dev, a.parse().unwrap()).unwrap();
}

/// The E.log server l-sv after setup3.sh: sa0 without a global, sb0 = 2001:db8:b::10 with a static default.
fn e_log_server() -> (HostTables, IfIndex, IfIndex) {
    let mut t = HostTables::new();
    let sa0 = t.add_interface("sa0", [0x02, 0x5a, 0, 0, 0, 0x0a], 1500).unwrap();
    let sb0 = t.add_interface("sb0", [0x02, 0x5b, 0, 0, 0, 0x0b], 1500).unwrap();
    t.set_sysctl("net.ipv6.conf.sb0.accept_ra", "0").unwrap();
    t.set_link(sa0, true).unwrap();
    t.set_link(sb0, true).unwrap();
    t.add_addr(Addr::new(sb0, ip("2001:db8:b::10"), 64)).unwrap();
    t.dad_completed(sb0, "2001:db8:b::10".parse().unwrap()).unwrap();
    link_local(&mut t, sa0, "fe80::5a:ff:fe00:a");
    link_local(&mut t, sb0, "fe80::5b:ff:fe00:b");
    t.route_add(Route::new("::/0".parse().unwrap(), Some(ip("2001:db8:b::1")), sb0))
        .unwrap();
    (t, sa0, sb0)
}

fn get(t: &HostTables, q: RouteQuery) -> String {
    ip_route_get(t, &t.route_get(&q, |_, _| true).unwrap())
}

#[test]
fn e_log_e0_source_from_other_interface() {
    let (mut t, sa0, _) = e_log_server();
    let cc = Route::new(
        "2001:db8:cc::/64".parse().unwrap(),
        Some(ip("fe80::ec12:6cff:fe15:d79e")),
        sa0,
    );
    t.route_add(cc).unwrap();
    // E.log:54
    assert_eq!(
        get(&t, RouteQuery::to(ip("2001:db8:cc::1"))),
        "2001:db8:cc::1 from :: via fe80::ec12:6cff:fe15:d79e dev sa0 src 2001:db8:b::10 metric 1024 pref medium\n"
    );
}

#[test]
fn e_log_e1_addr_route_and_route_get() {
    let (mut t, sa0, _) = e_log_server();
    let t0 = Instant::from_secs(100);
    t.route_add(pio_route(sa0, "2001:db8:a::/64", t0, 86400)).unwrap();
    slaac(&mut t, sa0, "2001:db8:a:0:5a:ff:fe00:a", t0);
    let now = t0 + Duration::from_millis(2500);
    // E.log:62-73 (`ip -6 addr show`, no dev: short link lines).
    let golden_addr = "\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN qlen 1000
    inet6 ::1/128 scope host 
       valid_lft forever preferred_lft forever
2: sa0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP qlen 1000
    inet6 2001:db8:a:0:5a:ff:fe00:a/64 scope global dynamic mngtmpaddr 
       valid_lft 86398sec preferred_lft 14398sec
    inet6 fe80::5a:ff:fe00:a/64 scope link 
       valid_lft forever preferred_lft forever
3: sb0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP qlen 1000
    inet6 2001:db8:b::10/64 scope global 
       valid_lft forever preferred_lft forever
    inet6 fe80::5b:ff:fe00:b/64 scope link 
       valid_lft forever preferred_lft forever
";
    assert_eq!(ip_addr_show(&t, Family::V6, None, now), strip_veth(golden_addr));
    // E.log:76-80.
    let golden_routes = "\
2001:db8:a::/64 dev sa0 proto kernel metric 256 expires 86397sec pref medium
2001:db8:b::/64 dev sb0 proto kernel metric 256 pref medium
fe80::/64 dev sa0 proto kernel metric 256 pref medium
fe80::/64 dev sb0 proto kernel metric 256 pref medium
default via 2001:db8:b::1 dev sb0 metric 1024 pref medium
";
    assert_eq!(
        ip_route_show(&t, true, TableFilter::Only(table::MAIN), now),
        golden_routes
    );
    // E.log:88, :90, :92.
    assert_eq!(
        get(&t, RouteQuery::to(ip("2001:db8:ffff::1"))),
        "2001:db8:ffff::1 from :: via 2001:db8:b::1 dev sb0 src 2001:db8:b::10 metric 1024 pref medium\n"
    );
    assert_eq!(
        get(&t, RouteQuery::to(ip("2001:db8:a::c"))),
        "2001:db8:a::c from :: dev sa0 proto kernel src 2001:db8:a:0:5a:ff:fe00:a metric 256 pref medium\n"
    );
    assert_eq!(
        get(&t, RouteQuery::to(ip("2001:db8:a::c")).from(ip("2001:db8:b::10"))),
        "2001:db8:a::c from 2001:db8:b::10 dev sa0 proto kernel src 2001:db8:a:0:5a:ff:fe00:a metric 256 pref medium\n"
    );
    // E.log:95 and :98 (use_oif_addrs_only=1 gives the same answer: sa0 now has a global).
    let cc = Route::new(
        "2001:db8:cc::/64".parse().unwrap(),
        Some(ip("fe80::ec12:6cff:fe15:d79e")),
        sa0,
    );
    t.route_add(cc).unwrap();
    let want = "2001:db8:cc::1 from :: via fe80::ec12:6cff:fe15:d79e dev sa0 src 2001:db8:a:0:5a:ff:fe00:a metric 1024 pref medium\n";
    assert_eq!(get(&t, RouteQuery::to(ip("2001:db8:cc::1"))), want);
    t.set_sysctl("net.ipv6.conf.sa0.use_oif_addrs_only", "1").unwrap();
    assert_eq!(get(&t, RouteQuery::to(ip("2001:db8:cc::1"))), want);
}

#[test]
fn e_log_e4_static_default_inserted_first_wins() {
    let (mut t, sa0, _) = e_log_server();
    let t0 = Instant::from_secs(100);
    t.route_add(pio_route(sa0, "2001:db8:a::/64", t0, 86400)).unwrap();
    slaac(&mut t, sa0, "2001:db8:a:0:5a:ff:fe00:a", t0);
    t.route_add(Route::new(
        "2001:db8:cc::/64".parse().unwrap(),
        Some(ip("fe80::ec12:6cff:fe15:d79e")),
        sa0,
    ))
    .unwrap();
    // The new RA refreshes the PIO route (B11) and adds a default route via the router's link-local.
    let t1 = Instant::from_secs(200);
    let pio = t.fib6.find_mut(|r| r.dst.to_string() == "2001:db8:a::/64").unwrap();
    pio.expires = Some(t1 + Duration::from_secs(86400));
    let hop = RouteMetrics {
        mtu: None,
        hoplimit: Some(64),
    };
    t.route_add_kernel(ra_default(
        sa0,
        "fe80::ec12:6cff:fe15:d79e",
        t1,
        1800,
        Pref::Medium,
        hop,
    ))
    .unwrap();
    let now = t1 + Duration::from_millis(1500);
    // E.log:196-203.
    let golden = "\
2001:db8:a::/64 dev sa0 proto kernel metric 256 expires 86398sec pref medium
2001:db8:b::/64 dev sb0 proto kernel metric 256 pref medium
2001:db8:cc::/64 via fe80::ec12:6cff:fe15:d79e dev sa0 metric 1024 pref medium
fe80::/64 dev sa0 proto kernel metric 256 pref medium
fe80::/64 dev sb0 proto kernel metric 256 pref medium
default via 2001:db8:b::1 dev sb0 metric 1024 pref medium
default via fe80::ec12:6cff:fe15:d79e dev sa0 proto ra metric 1024 expires 1798sec hoplimit 64 pref medium
";
    assert_eq!(ip_route_show(&t, true, TableFilter::Only(table::MAIN), now), golden);
    // E.log:206 (E10: equal metric and preference → first inserted).
    assert_eq!(
        get(&t, RouteQuery::to(ip("2001:db8:ffff::1"))),
        "2001:db8:ffff::1 from :: via 2001:db8:b::1 dev sb0 src 2001:db8:b::10 metric 1024 pref medium\n"
    );
}

/// B1.log host l-h: h0 with EUI-64 link-local, then an RA with PIO 2001:db8:1::/64, MTU 1400, CurHopLimit 61.
fn b1_host() -> (HostTables, IfIndex, Instant) {
    let mut t = HostTables::new();
    let h0 = t.add_interface("h0", [0x52, 0x54, 0, 0x12, 0x34, 0x56], 1500).unwrap();
    t.ifaces.get_mut(h0).unwrap().qdisc = "noqueue";
    t.set_link(h0, true).unwrap();
    link_local(&mut t, h0, "fe80::5054:ff:fe12:3456");
    let t0 = Instant::from_secs(50);
    t.route_add(pio_route(h0, "2001:db8:1::/64", t0, 86400)).unwrap();
    slaac(&mut t, h0, "2001:db8:1:0:5054:ff:fe12:3456", t0);
    let m = RouteMetrics {
        mtu: Some(1400),
        hoplimit: Some(61),
    };
    t.route_add_kernel(ra_default(h0, "fe80::1", t0, 1800, Pref::Medium, m))
        .unwrap();
    (t, h0, t0)
}

#[test]
fn b1_log_after_first_ra() {
    let (t, h0, t0) = b1_host();
    let now = t0 + Duration::from_millis(3500);
    // B1.log:29-33 (`ip -6 addr show dev h0`: long link line).
    let golden_addr = "\
2: h0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000 link-netns l-r
    inet6 2001:db8:1:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr 
       valid_lft 86397sec preferred_lft 14397sec
    inet6 fe80::5054:ff:fe12:3456/64 scope link 
       valid_lft forever preferred_lft forever
";
    assert_eq!(ip_addr_show(&t, Family::V6, Some(h0), now), strip_veth(golden_addr));
    // B1.log:35-37.
    let golden_routes = "\
2001:db8:1::/64 dev h0 proto kernel metric 256 expires 86396sec pref medium
fe80::/64 dev h0 proto kernel metric 256 pref medium
default via fe80::1 dev h0 proto ra metric 1024 expires 1796sec mtu 1400 hoplimit 61 pref medium
";
    assert_eq!(
        ip_route_show(&t, true, TableFilter::Only(table::MAIN), now),
        golden_routes
    );
    // B1.log:43.
    assert_eq!(
        get(&t, RouteQuery::to(ip("2001:db8:ffff::1"))),
        "2001:db8:ffff::1 from :: via fe80::1 dev h0 proto ra src 2001:db8:1:0:5054:ff:fe12:3456 metric 1024 mtu 1400 hoplimit 61 pref medium\n"
    );
}

#[test]
fn b1_log_preferences_and_router_lifetime_zero() {
    let (mut t, h0, t0) = b1_host();
    // Timings that reproduce B1.log's remaining lifetimes: the RAs came 25.5, 4.5, 2.5 and 1.5 s before the dump.
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let hop = RouteMetrics {
        mtu: None,
        hoplimit: Some(64),
    };
    t.route_add_kernel(ra_default(h0, "fe80::2", at(21_000), 1200, Pref::High, hop))
        .unwrap();
    t.route_add_kernel(ra_default(h0, "fe80::3", at(23_000), 600, Pref::Low, hop))
        .unwrap();
    t.route_add_kernel(ra_default(h0, "fe80::8", at(24_000), 300, Pref::from_bits(0b10), hop))
        .unwrap();
    let now = at(25_500);
    // B1.log:71-74 (`ip -6 route show default`).
    let all = ip_route_show(&t, true, TableFilter::Only(table::MAIN), now);
    let defaults: String = all
        .lines()
        .filter(|l| l.starts_with("default"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        defaults,
        "\
default via fe80::1 dev h0 proto ra metric 1024 expires 1774sec mtu 1400 hoplimit 61 pref medium
default via fe80::2 dev h0 proto ra metric 1024 expires 1195sec hoplimit 64 pref high
default via fe80::3 dev h0 proto ra metric 1024 expires 597sec hoplimit 64 pref low
default via fe80::8 dev h0 proto ra metric 1024 expires 298sec hoplimit 64 pref medium
"
    );
    // B1.log:75: the high-preference router wins.
    assert_eq!(
        get(&t, RouteQuery::to(ip("2001:db8:ffff::1"))),
        "2001:db8:ffff::1 from :: via fe80::2 dev h0 proto ra src 2001:db8:1:0:5054:ff:fe12:3456 metric 1024 hoplimit 64 pref high\n"
    );
    // B12: rl=0 from fe80::2 deletes its route; B1.log:85 fe80::1 (medium, first in list order) is used.
    let sel = dualhome_sim::host::fib::RouteSelector {
        gateway: Some(ip("fe80::2")),
        ..dualhome_sim::host::fib::RouteSelector::new(table::MAIN, "::/0".parse().unwrap())
    };
    t.route_del(&sel).unwrap();
    assert_eq!(
        get(&t, RouteQuery::to(ip("2001:db8:ffff::1"))),
        "2001:db8:ffff::1 from :: via fe80::1 dev h0 proto ra src 2001:db8:1:0:5054:ff:fe12:3456 metric 1024 mtu 1400 hoplimit 61 pref medium\n"
    );
    // B13: routes disappear at their expiry.
    let gone = t.expire(at(325_000));
    assert_eq!(gone.routes.len(), 1);
    assert_eq!(gone.routes[0].gateway, Some(ip("fe80::8")));
}

#[test]
fn d_log_redirect_exception_renders_as_cloned() {
    let (mut t, h0, t0) = b1_host();
    let _ = t0;
    // D.log:35/37: a redirect exception for 2001:db8:99::1 via fe80::99, hoplimit copied from the RA route.
    let mut exc = Route::new("2001:db8:99::1/128".parse().unwrap(), Some(ip("fe80::99")), h0)
        .with_proto(Proto::Redirect)
        .with_flags(RouteFlags::CACHE | RouteFlags::DYNAMIC);
    exc.metrics.hoplimit = Some(64);
    // The exception hangs off the route the lookup selects (rt->from): the RA default via fe80::1.
    exc.parent = t
        .fib6
        .table(table::MAIN)
        .iter()
        .find(|r| r.dst.prefix_len() == 0)
        .map(|r| r.key());
    t.route_add_kernel(exc).unwrap();
    assert_eq!(
        dualhome_sim::host::render::ip_route_show_cache(&t, Instant::ZERO),
        "2001:db8:99::1 via fe80::99 dev h0 metric 1024 hoplimit 64 pref medium\n"
    );
    assert_eq!(
        get(&t, RouteQuery::to(ip("2001:db8:99::1"))),
        "2001:db8:99::1 from :: via fe80::99 dev h0 src 2001:db8:1:0:5054:ff:fe12:3456 metric 1024 hoplimit 64 pref medium\n"
    );
    assert!(!ip_route_show(&t, true, TableFilter::Only(table::MAIN), Instant::ZERO).contains("2001:db8:99::1"));
}
