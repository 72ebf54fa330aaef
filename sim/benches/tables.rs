//! Cost of the per-packet reads on the seed VM's tables: `route_get` for IPv4 and IPv6 and source selection.
//! `cargo bench -p dualhome-sim --bench tables`.

use divan::black_box;
use std::net::IpAddr;

use dualhome_sim::host::addr::{Addr, AddrProto};
use dualhome_sim::host::lookup::RouteQuery;
use dualhome_sim::host::route::{Pref, Proto, Route, RouteFlags};
use dualhome_sim::host::srcsel::{select_v6, TempPref};
use dualhome_sim::host::tables::HostTables;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED))
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

fn main() {
    divan::main();
}

#[divan::bench(args = ["2001:4860:4860::8888", "10.0.9.151", "2601:646:100:69f1::165"])]
fn route_get(bencher: divan::Bencher, dst: &str) {
    let t = vm();
    let q = RouteQuery::to(ip(dst));
    bencher.bench_local(|| t.route_get(black_box(&q), |_, _| true).ok().map(|d| d.dev));
}

#[divan::bench]
fn select_v6_alone(bencher: divan::Bencher) {
    let t = vm();
    let dst = match ip("2001:4860:4860::8888") {
        IpAddr::V6(d) => d,
        IpAddr::V4(_) => return,
    };
    bencher.bench_local(|| select_v6(&t.addrs, &t.ifaces, &t.sysctl, black_box(dst), None, TempPref::Sysctl));
}
