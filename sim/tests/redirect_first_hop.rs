//! ICMPv6 redirects on a LAN with two routers (linux-ipv6.md §D): accepted from the current first hop and then
//! used by traffic, stored but ineffective from the other router (D9a), ignored from a host that is no router's
//! gateway (D9c), and aged out after gc_timeout (D12).

mod ra_support;

use std::net::IpAddr;
use std::time::Duration;

use dualhome_sim::app::ping::PingConfig;
use dualhome_sim::host::addr::Addr;
use dualhome_sim::host::route::Route;
use dualhome_sim::segment::{PortConfig, Segment};
use dualhome_sim::wire::{MacAddr, RouterPreference};
use ra_support::*;

/// h ↔ r1 (fe80::1, high) and r2 (fe80::2, low) on the LAN; both route to server s (2001:db8:2::5) on "back".
fn topology() -> (Lan, [dualhome_sim::id::NodeId; 5]) {
    let mut lan = Lan::new(31);
    let r1 = lan.router("r1", 1, &[]);
    let r2 = lan.router("r2", 2, &[]);
    let stranger = lan.host("x", MacAddr([2, 0, 0, 0, 0, 5]), &[]);
    let h = lan.host("h", H_MAC, &[]);
    let back = lan.sim.add_segment(Segment::new("back", None));
    let s = lan.sim.add_host("s");
    lan.sim
        .add_nic(s, "eth0", MacAddr([2, 0, 0, 0, 0, 0x55]), back, PortConfig::default())
        .expect("nic");
    let eth1 = dualhome_sim::id::IfIndex(3);
    for (r, n, a) in [(r1, 0x21u8, "2001:db8:2::1"), (r2, 0x22, "2001:db8:2::2")] {
        lan.sim
            .add_nic(r, "eth1", rmac(n), back, PortConfig::default())
            .expect("nic");
        lan.sim
            .with_host(r, |x, ctx| x.add_address(ctx, Addr::new(eth1, IpAddr::V6(a6(a)), 64)))
            .expect("host")
            .expect("addr");
    }
    lan.sim
        .with_host(s, |x, ctx| {
            x.add_address(ctx, Addr::new(ETH, IpAddr::V6(a6("2001:db8:2::5")), 64))?;
            x.add_route(Route::new(
                "2001:db8:1::/64".parse().expect("net"),
                Some(IpAddr::V6(a6("2001:db8:2::1"))),
                ETH,
            ))
        })
        .expect("host")
        .expect("config");
    for r in [r1, r2] {
        lan.sim
            .with_host(r, |x, ctx| {
                x.add_address(ctx, Addr::new(ETH, IpAddr::V6(a6("2001:db8:1::fe")), 64))
            })
            .expect("host")
            .ok();
    }
    lan.run(3);
    let mut a1 = ra(1);
    a1.flags.preference = RouterPreference::High;
    a1.opts.push(pio("2001:db8:1::", 64, 86400, 14400));
    lan.send(r1, a1.frame());
    let mut a2 = ra(2);
    a2.flags.preference = RouterPreference::Low;
    lan.send(r2, a2.frame());
    lan.run(3);
    (lan, [h, r1, r2, stranger, s])
}

const H_GLOBAL: &str = "2001:db8:1:0:5054:ff:fe12:3456";

fn ping(lan: &mut Lan, h: dualhome_sim::id::NodeId, dst: &str) -> (u32, u32) {
    let i = lan.sim.with_host(h, |x, ctx| {
        let mut cfg = PingConfig::new(IpAddr::V6(a6(dst)), 2);
        cfg.interval = Duration::from_millis(100);
        x.start_ping(ctx, cfg)
    });
    lan.run(5);
    let r = &lan.sim.host(h).expect("h").pings[i.expect("ping")].report;
    (r.transmitted, r.received)
}

#[test]
fn redirect_from_first_hop_is_applied_and_traffic_follows_it() {
    let (mut lan, [h, r1, r2, _, s]) = topology();
    assert_eq!(lan.via(h, "2001:db8:2::5"), Some(a6("fe80::1")));
    let inner = echo_packet(a6(H_GLOBAL), a6("2001:db8:2::5"));
    lan.send(
        r1,
        redirect("fe80::1", rmac(1), "fe80::2", "2001:db8:2::5", rmac(2), &inner),
    );
    lan.run_ms(10);
    assert_eq!(lan.via(h, "2001:db8:2::5"), Some(a6("fe80::2")));
    assert_eq!(
        lan.cache(h),
        "2001:db8:2::5 via fe80::2 dev eth0 metric 1024 hoplimit 64 pref high\n"
    );
    let before = lan.sim.host(r2).expect("r2").counters.ip_forwarded;
    assert_eq!(ping(&mut lan, h, "2001:db8:2::5"), (2, 2));
    assert!(
        lan.sim.host(r2).expect("r2").counters.ip_forwarded >= before + 2,
        "echoes went via r2"
    );
    let _ = s;
    // D12: gone after gc_timeout; the route is fe80::1 again.
    lan.run(61);
    assert_eq!(lan.cache(h), "");
    assert_eq!(lan.via(h, "2001:db8:2::5"), Some(a6("fe80::1")));
}

#[test]
fn redirect_from_anyone_else_is_ignored_or_ineffective() {
    let (mut lan, [h, _, r2, x, _]) = topology();
    let inner = echo_packet(a6(H_GLOBAL), a6("2001:db8:2::5"));
    // D9c: fe80::5 is no route's gateway.
    lan.send(
        x,
        redirect(
            "fe80::5",
            MacAddr([2, 0, 0, 0, 0, 5]),
            "fe80::5",
            "2001:db8:2::5",
            MacAddr([2, 0, 0, 0, 0, 5]),
            &inner,
        ),
    );
    lan.run_ms(10);
    assert_eq!(lan.cache(h), "");
    assert_eq!(lan.via(h, "2001:db8:2::5"), Some(a6("fe80::1")));
    let c = lan.sim.host(h).expect("h").redirect_counters();
    assert_eq!((c.accepted, c.ignored), (0, 1));
    // D9a: from the non-selected router it is stored under that router's route and has no effect (D13).
    lan.send(
        r2,
        redirect("fe80::2", rmac(2), "fe80::9", "2001:db8:2::5", rmac(9), &inner),
    );
    lan.run_ms(10);
    assert_eq!(
        lan.cache(h),
        "2001:db8:2::5 via fe80::9 dev eth0 metric 1024 hoplimit 64 pref low\n"
    );
    assert_eq!(lan.via(h, "2001:db8:2::5"), Some(a6("fe80::1")));
    // A spoofed first-hop source from the wrong MAC is still "from fe80::1" to Linux: accepted (redir6).
    lan.send(
        x,
        redirect(
            "fe80::1",
            MacAddr([2, 0, 0, 0, 0, 5]),
            "fe80::5",
            "2001:db8:2::5",
            MacAddr([2, 0, 0, 0, 0, 5]),
            &inner,
        ),
    );
    lan.run_ms(10);
    assert_eq!(lan.via(h, "2001:db8:2::5"), Some(a6("fe80::5")));
}
