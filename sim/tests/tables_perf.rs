//! Cost of the per-packet reads on the seed VM's tables: `route_get` for IPv4 and IPv6 and source selection, and the
//! memory of an idle two-interface host. A measurement, not a conformance test, so it is ignored by default:
//! `cargo test --release -p dualhome-sim --test tables_perf -- --ignored --nocapture`.

use std::hint::black_box;
use std::net::IpAddr;
use std::time::Instant as WallClock;

use dualhome_sim::host::addr::{Addr, AddrProto};
use dualhome_sim::host::lookup::RouteQuery;
use dualhome_sim::host::route::{Pref, Proto, Route, RouteFlags};
use dualhome_sim::host::srcsel::{select_v6, TempPref};
use dualhome_sim::host::tables::HostTables;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn vm() -> HostTables {
    let mut t = HostTables::new();
    let eth0 = t.add_interface("eth0", [0, 0x50, 0x56, 0, 0, 1], 1500).unwrap();
    let eth1 = t.add_interface("eth1", [0, 0x50, 0x56, 0, 0, 2], 1500).unwrap();
    t.set_link(eth0, true).unwrap();
    t.set_link(eth1, true).unwrap();
    for (dev, a) in [(eth0, "fe80::250:56ff:fe00:1"), (eth1, "fe80::250:56ff:fe00:2")] {
        t.add_addr_kernel(Addr::new(dev, ip(a), 64).with_proto(AddrProto::KernelLl))
            .unwrap();
        t.dad_completed(dev, a.parse().unwrap()).unwrap();
    }
    t.add_addr(Addr::new(eth0, ip("10.0.9.165"), 24)).unwrap();
    t.add_addr(Addr::new(eth1, ip("2601:646:100:69f1::165"), 64)).unwrap();
    t.dad_completed(eth1, "2601:646:100:69f1::165".parse().unwrap())
        .unwrap();
    let gw = ip("2601:646:100:69f1:20d:b9ff:fe48:9249");
    t.route_add(Route::new("::/0".parse().unwrap(), Some(gw), eth1))
        .unwrap();
    let ra = Route::new("::/0".parse().unwrap(), Some(ip("fe80::1")), eth1)
        .with_proto(Proto::Ra)
        .with_pref(Pref::High)
        .with_flags(RouteFlags::ADDRCONF | RouteFlags::DEFAULT);
    t.route_add_kernel(ra).unwrap();
    t
}

fn rate(name: &str, n: u32, mut f: impl FnMut(u32)) -> f64 {
    let start = WallClock::now();
    for i in 0..n {
        f(i);
    }
    let per_sec = f64::from(n) / start.elapsed().as_secs_f64();
    println!("{name}: {:.2} M/s ({:.0} ns each)", per_sec / 1e6, 1e9 / per_sec);
    per_sec
}

#[test]
#[ignore = "measurement; run with --release --ignored --nocapture"]
fn lookup_rates_and_idle_memory() {
    let t = vm();
    let v6 = RouteQuery::to(ip("2001:4860:4860::8888"));
    let v4 = RouteQuery::to(ip("10.0.9.151"));
    let local = RouteQuery::to(ip("2601:646:100:69f1::165"));
    let n = 1_000_000;
    let r6 = rate("route_get v6 (default route, src selection)", n, |_| {
        black_box(t.route_get(black_box(&v6), |_, _| true).ok());
    });
    let r4 = rate("route_get v4 (connected)", n, |_| {
        black_box(t.route_get(black_box(&v4), |_, _| true).ok());
    });
    rate("route_get v6 local", n, |_| {
        black_box(t.route_get(black_box(&local), |_, _| true).ok());
    });
    let dst = "2001:4860:4860::8888".parse().unwrap();
    rate("select_v6 alone", n, |_| {
        black_box(select_v6(
            &t.addrs,
            &t.ifaces,
            &t.sysctl,
            black_box(dst),
            None,
            TempPref::Sysctl,
        ));
    });
    // Memory of an idle two-interface host: the struct plus its heap (Vec capacities × element sizes).
    let routes = t.fib6.dump(None).len() + t.fib4.dump(None).len();
    let addrs = t.addrs.iter().count();
    let heap = routes * std::mem::size_of::<Route>()
        + addrs * std::mem::size_of::<Addr>()
        + 3 * (std::mem::size_of::<dualhome_sim::host::conf_keys::Ipv6DevConf>()
            + std::mem::size_of::<dualhome_sim::host::conf_keys::Ipv4DevConf>()
            + 2 * std::mem::size_of::<dualhome_sim::host::conf_keys::NeighParams>());
    println!(
        "idle host: {} B inline + ~{} B heap ({routes} routes × {} B, {addrs} addresses × {} B, 3 interfaces of sysctls)",
        std::mem::size_of::<HostTables>(),
        heap,
        std::mem::size_of::<Route>(),
        std::mem::size_of::<Addr>()
    );
    assert!(r6 > 100_000.0 && r4 > 100_000.0, "lookups must stay far below 10 µs");
}
