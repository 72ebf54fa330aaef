//! The D.log experiment replayed (linux-ipv6.md D1–D13): redirects sent the way `nd.py redirect` sends them, and
//! the kernel's `ip -6 route get` / `ip -6 route show cache` / `ip -6 neigh` lines compared with ours.

mod ra_support;

use std::net::IpAddr;

use dualhome_sim::host::lookup::RouteQuery;
use dualhome_sim::host::neigh::{Family, NeighFilter};
use dualhome_sim::host::render::ip_route_get;
use dualhome_sim::host::route::Route;
use dualhome_sim::id::NodeId;
use dualhome_sim::wire::{MacAddr, RouterPreference};
use ra_support::*;

const HS: &str = "2001:db8:1:0:5054:ff:fe12:3456";

fn get(lan: &Lan, h: NodeId, dst: &str) -> String {
    let host = lan.sim.host(h).expect("h");
    let d = host.route_get(&RouteQuery::to(IpAddr::V6(a6(dst)))).expect("route");
    ip_route_get(&host.tables, &d)
}

fn via_fe80_1(dst: &str) -> String {
    format!("{dst} from :: via fe80::1 dev eth0 proto ra src {HS} metric 1024 hoplimit 64 pref medium\n")
}

/// An inner packet from the host to `dest` with upper protocol `proto` (58 echo, 6 TCP, 17 UDP), 8 bytes of it.
fn inner(dest: &str, proto: u8) -> Vec<u8> {
    if proto == 58 {
        return echo_packet(a6(HS), a6(dest));
    }
    let mut b = vec![0u8; 48];
    b[0] = 0x60;
    b[5] = 8;
    b[6] = proto;
    b[7] = 64;
    b[8..24].copy_from_slice(&a6(HS).octets());
    b[24..40].copy_from_slice(&a6(dest).octets());
    b
}

/// `nd.py redirect` from router N (default fe80::1) with target MAC 02:00:00:00:00:<last byte of target>.
fn rd(lan: &mut Lan, from: NodeId, src: u8, dest: &str, target: &str, proto: u8) {
    let t = a6(target).octets()[15];
    let i = inner(dest, proto);
    let f = redirect(&format!("fe80::{src:x}"), rmac(src), target, dest, rmac(t), &i);
    lan.send(from, f);
    lan.run_ms(50);
}

#[test]
fn d_log_redirects() {
    let mut lan = Lan::new(91);
    let r = lan.router("r", 1, &[]);
    let h = lan.host("h", H_MAC, &[]);
    lan.run(3);
    let mut a = ra(1);
    a.opts.push(pio("2001:db8:1::", 64, 86400, 14400));
    lan.send(r, a.frame());
    let mut b = ra(2);
    b.flags.preference = RouterPreference::Low;
    lan.send(r, b.frame());
    lan.run(3);
    // D1: from the first hop.
    rd(&mut lan, r, 1, "2001:db8:99::1", "fe80::99", 58);
    assert_eq!(
        get(&lan, h, "2001:db8:99::1"),
        format!("2001:db8:99::1 from :: via fe80::99 dev eth0 src {HS} metric 1024 hoplimit 64 pref medium\n")
    );
    assert_eq!(
        lan.cache(h),
        "2001:db8:99::1 via fe80::99 dev eth0 metric 1024 hoplimit 64 pref medium\n"
    );
    let filter = NeighFilter {
        family: Some(Family::V6),
        dev: Some(ETH),
        addr: Some(IpAddr::V6(a6("fe80::99"))),
        all_states: false,
    };
    assert_eq!(
        lan.sim.host(h).expect("h").neigh.render(&filter, |_| "eth0"),
        "fe80::99 lladdr 02:00:00:00:00:99 router STALE \n"
    );
    // D2 non-router source, D3 hop limit 64, D4 global target, D12 multicast destination, code 1, bad checksum.
    rd(&mut lan, r, 5, "2001:db8:99::2", "fe80::98", 58);
    let i3 = inner("2001:db8:99::3", 58);
    let mut f = redirect("fe80::1", rmac(1), "fe80::98", "2001:db8:99::3", rmac(0x98), &i3);
    f[21] = 64;
    lan.send(r, f);
    rd(&mut lan, r, 1, "2001:db8:99::4", "2001:db8:1::98", 58);
    rd(&mut lan, r, 1, "ff0e::1", "fe80::98", 58);
    let i5 = inner("2001:db8:99::5", 58);
    let mut f = redirect("fe80::1", rmac(1), "fe80::98", "2001:db8:99::5", rmac(0x98), &i5);
    f[55] = 1;
    fix_icmpv6_checksum(&mut f, 54);
    lan.send(r, f);
    let i6 = inner("2001:db8:99::6", 58);
    let mut f = redirect("fe80::1", rmac(1), "fe80::98", "2001:db8:99::6", rmac(0x98), &i6);
    f[56] ^= 0x55;
    lan.send(r, f);
    lan.run_ms(50);
    for d in 2..=6 {
        let dst = format!("2001:db8:99::{d}");
        assert_eq!(get(&lan, h, &dst), via_fe80_1(&dst));
    }
    assert_eq!(
        lan.cache(h),
        "2001:db8:99::1 via fe80::99 dev eth0 metric 1024 hoplimit 64 pref medium\n"
    );
    // D5: on-link redirect.
    let i7 = inner("2001:db8:99::7", 58);
    let f = redirect(
        "fe80::1",
        rmac(1),
        "2001:db8:99::7",
        "2001:db8:99::7",
        MacAddr([2, 0, 0, 0, 0, 0x77]),
        &i7,
    );
    lan.send(r, f);
    lan.run_ms(50);
    assert_eq!(
        get(&lan, h, "2001:db8:99::7"),
        format!("2001:db8:99::7 from :: dev eth0 src {HS} metric 1024 hoplimit 64 pref medium\n")
    );
    let filter = NeighFilter {
        addr: Some(IpAddr::V6(a6("2001:db8:99::7"))),
        ..filter
    };
    assert_eq!(
        lan.sim.host(h).expect("h").neigh.render(&filter, |_| "eth0"),
        "2001:db8:99::7 lladdr 02:00:00:00:00:77 STALE \n"
    );
    // D8 (D10c/d): TCP and UDP inside without a socket are ignored; no Redirected Header is applied.
    rd(&mut lan, r, 1, "2001:db8:99::8", "fe80::98", 6);
    rd(&mut lan, r, 1, "2001:db8:99::9", "fe80::98", 17);
    let f = {
        use dualhome_sim::wire::build::{append_ipv6, Ipv6Params, Upper, L2};
        use dualhome_sim::wire::{Icmpv6Repr, NdOptionRepr, NdOptions, NdiscRepr};
        let opts = [NdOptionRepr::TargetLinkLayerAddr(rmac(0x98))];
        let msg = Icmpv6Repr::Ndisc(NdiscRepr::Redirect {
            target: a6("fe80::98"),
            dest: a6("2001:db8:99::a"),
            options: NdOptions::Reprs(&opts),
        });
        let p = Ipv6Params::new(a6("fe80::1"), a6("fe80::5054:ff:fe12:3456"), 255);
        let l2 = L2 {
            src: rmac(1),
            dst: H_MAC,
            vlan: None,
        };
        let mut buf = Vec::new();
        append_ipv6(&mut buf, l2, &p, &Upper::Icmpv6(msg)).expect("build");
        buf
    };
    lan.send(r, f);
    lan.run_ms(50);
    assert_eq!(get(&lan, h, "2001:db8:99::8"), via_fe80_1("2001:db8:99::8"));
    assert_eq!(get(&lan, h, "2001:db8:99::9"), via_fe80_1("2001:db8:99::9"));
    assert_eq!(
        get(&lan, h, "2001:db8:99::a"),
        format!("2001:db8:99::a from :: via fe80::98 dev eth0 src {HS} metric 1024 hoplimit 64 pref medium\n")
    );
    // D10 (D9a): from the non-selected router: stored, no effect.
    rd(&mut lan, r, 2, "2001:db8:99::b", "fe80::97", 58);
    assert_eq!(get(&lan, h, "2001:db8:99::b"), via_fe80_1("2001:db8:99::b"));
    // D11 (D9b): an on-link destination stays on-link.
    rd(&mut lan, r, 1, "2001:db8:1::50", "fe80::96", 58);
    assert_eq!(
        get(&lan, h, "2001:db8:1::50"),
        format!("2001:db8:1::50 from :: dev eth0 proto kernel src {HS} metric 256 pref medium\n")
    );
    // D13 (D9b): a more specific static route wins over the exception stored under the default route.
    lan.sim
        .with_host(h, |x, _| {
            x.add_route(Route::new(
                "2001:db8:55::/64".parse().expect("net"),
                Some(IpAddr::V6(a6("fe80::3"))),
                ETH,
            ))
        })
        .expect("host")
        .expect("route");
    rd(&mut lan, r, 1, "2001:db8:55::1", "fe80::95", 58);
    assert_eq!(
        get(&lan, h, "2001:db8:55::1"),
        format!("2001:db8:55::1 from :: via fe80::3 dev eth0 src {HS} metric 1024 pref medium\n")
    );
    // D6: accept_redirects=0.
    lan.sim
        .with_host(h, |x, ctx| {
            x.set_sysctl(ctx, "net.ipv6.conf.eth0.accept_redirects", "0")
        })
        .expect("host")
        .expect("sysctl");
    rd(&mut lan, r, 1, "2001:db8:99::c", "fe80::98", 58);
    assert_eq!(get(&lan, h, "2001:db8:99::c"), via_fe80_1("2001:db8:99::c"));
}
