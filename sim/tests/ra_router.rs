//! Hosts learning routers from RAs on a LAN (linux-ipv6.md §A, §B): one router with SLAAC and traffic through the
//! learned default route, two routers with different preferences, a rogue RA with accept_ra 1 and 0, lifetime 0,
//! NA with R=0, RS at link-up, and the golden `ip -6 route` / `ip -6 addr` text of B1.log.

mod ra_support;

use std::net::IpAddr;
use std::time::Duration;

use dualhome_sim::app::ping::PingConfig;
use dualhome_sim::host::addr::Addr;
use dualhome_sim::host::route::Route;
use dualhome_sim::segment::{PortConfig, Segment};
use dualhome_sim::wire::{MacAddr, NdOptionRepr, RouterPreference};
use ra_support::*;

#[test]
fn one_router_slaac_default_route_carries_traffic_off_link() {
    let mut lan = Lan::new(11);
    let r = lan.router("r", 1, &["2001:db8:1::1"]);
    let h = lan.host("h", H_MAC, &[]);
    // A server behind the router on a second segment, routing back via the router.
    let back = lan.sim.add_segment(Segment::new("back", None));
    lan.sim
        .add_nic(r, "eth1", rmac(0x21), back, PortConfig::default())
        .expect("nic");
    let s = lan.sim.add_host("s");
    lan.sim
        .add_nic(s, "eth0", MacAddr([2, 0, 0, 0, 0, 0x55]), back, PortConfig::default())
        .expect("nic");
    let eth1 = dualhome_sim::id::IfIndex(3);
    lan.sim
        .with_host(r, |x, ctx| {
            x.add_address(ctx, Addr::new(eth1, IpAddr::V6(a6("2001:db8:2::1")), 64))
        })
        .expect("host")
        .expect("addr");
    lan.sim
        .with_host(s, |x, ctx| {
            x.add_address(ctx, Addr::new(ETH, IpAddr::V6(a6("2001:db8:2::5")), 64))?;
            x.add_route(Route::new(
                "::/0".parse().expect("net"),
                Some(IpAddr::V6(a6("fe80::1:21"))),
                ETH,
            ))
        })
        .expect("host")
        .expect("config");
    lan.sim
        .with_host(r, |x, ctx| {
            x.add_address(
                ctx,
                Addr::new(eth1, IpAddr::V6(a6("fe80::1:21")), 64)
                    .with_flags(dualhome_sim::host::addr::AddrFlags::NODAD),
            )
        })
        .expect("host")
        .expect("addr");
    lan.run(3);
    // The host solicited at link-up (A27); the router learned it from the RS (B46).
    let st = lan.sim.host(h).expect("h").ra_state(ETH).expect("state").rs;
    assert!(st.sent, "{st:?}");
    assert!(lan
        .sim
        .host(r)
        .expect("r")
        .neigh
        .get(ETH, IpAddr::V6(a6("fe80::5054:ff:fe12:3456")))
        .is_some());
    let mut adv = ra(1);
    adv.opts.push(pio("2001:db8:1::", 64, 86400, 14400));
    lan.send(r, adv.frame());
    lan.run(3);
    assert_eq!(
        lan.defaults(h),
        ["default via fe80::1 dev eth0 proto ra metric 1024 expires 1797sec hoplimit 64 pref medium"]
    );
    assert!(lan
        .addrs(h)
        .contains("inet6 2001:db8:1:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr \n"));
    lan.sim.with_host(h, |x, ctx| {
        let mut cfg = PingConfig::new(IpAddr::V6(a6("2001:db8:2::5")), 3);
        cfg.interval = Duration::from_millis(200);
        x.start_ping(ctx, cfg)
    });
    lan.run(10);
    let rep = &lan.sim.host(h).expect("h").pings[0].report;
    assert_eq!((rep.transmitted, rep.received), (3, 3), "{rep:?}");
    // The RA stopped the RS retransmissions (IF_RA_RCVD).
    assert_eq!(lan.sim.host(h).expect("h").ra_state(ETH).expect("state").rs.next, None);
}

#[test]
fn two_routers_higher_preference_wins_and_lifetime_zero_falls_back() {
    let mut lan = Lan::new(12);
    let r1 = lan.router("r1", 1, &[]);
    let r2 = lan.router("r2", 2, &[]);
    let h = lan.host("h", H_MAC, &[]);
    lan.run(3);
    lan.send(r1, ra(1).frame());
    let mut hi = ra(2);
    hi.flags.preference = RouterPreference::High;
    hi.rl = 1200;
    lan.send(r2, hi.frame());
    lan.run(1);
    assert_eq!(lan.via(h, "2001:db8:ffff::1"), Some(a6("fe80::2")));
    hi.rl = 0;
    lan.send(r2, hi.frame());
    lan.run(1);
    assert_eq!(lan.via(h, "2001:db8:ffff::1"), Some(a6("fe80::1")));
    assert_eq!(lan.defaults(h).len(), 1, "B12: rl=0 removed fe80::2");
}

#[test]
fn rogue_high_preference_ra_becomes_default_only_with_accept_ra() {
    for (accept_ra, expect_rogue) in [("1", true), ("0", false)] {
        let mut lan = Lan::new(13);
        let r = lan.router("r", 1, &[]);
        let rogue = lan.router("rogue", 0x66, &[]);
        let h = lan.host("h", H_MAC, &[("accept_ra", accept_ra)]);
        lan.run(3);
        lan.send(r, ra(1).frame());
        let mut fake = ra(0x66);
        fake.flags.preference = RouterPreference::High;
        fake.opts.push(pio("2001:db8:bad::", 64, 86400, 86400));
        fake.opts.push(NdOptionRepr::Mtu(1280));
        lan.send(rogue, fake.frame());
        lan.run(1);
        let via = lan.via(h, "2001:db8:ffff::1");
        if expect_rogue {
            assert_eq!(via, Some(a6("fe80::66")));
            assert!(lan.addrs(h).contains("2001:db8:bad:0:5054:ff:fe12:3456"));
        } else {
            assert_eq!(via, None, "accept_ra=0: no default route at all");
            assert!(lan.defaults(h).is_empty());
            assert!(!lan.addrs(h).contains("2001:db8:bad"));
        }
    }
}

#[test]
fn na_with_router_flag_clear_removes_the_default_route_b17() {
    let mut lan = Lan::new(14);
    let r = lan.router("r", 2, &[]);
    let h = lan.host("h", H_MAC, &[]);
    lan.run(3);
    lan.send(r, ra(2).frame());
    lan.run(1);
    assert_eq!(lan.defaults(h).len(), 1);
    lan.send(r, na(2, true));
    lan.run(1);
    assert_eq!(lan.defaults(h).len(), 1, "R=1 keeps it");
    lan.send(r, na(2, false));
    lan.run(1);
    assert!(lan.defaults(h).is_empty(), "B17: router became host");
    let n = lan
        .sim
        .host(h)
        .expect("h")
        .neigh
        .get(ETH, IpAddr::V6(a6("fe80::2")))
        .expect("entry");
    assert!(!n.router);
}

#[test]
fn golden_b1_log_route_addr_and_neighbour_text() {
    // B1.log: nd.py ra pfx=2001:db8:1::/64 mtu=1400 chlim=61 reach=20000 retrans=1500, shown 2.5–4 s later.
    let mut lan = Lan::new(15);
    let r = lan.router("r", 1, &[]);
    let h = lan.host("h", H_MAC, &[]);
    lan.run(3);
    let mut adv = ra(1);
    adv.chlim = 61;
    adv.reach = 20000;
    adv.retrans = 1500;
    adv.opts.push(NdOptionRepr::Mtu(1400));
    adv.opts.push(pio("2001:db8:1::", 64, 86400, 14400));
    lan.send(r, adv.frame());
    // iproute2 rounds address lifetimes up and route expiries down (the log's 86397 / 86396 at ~3 s).
    lan.run_ms(3100);
    let addrs = lan.addrs(h);
    assert!(
        addrs.contains(
            "    inet6 2001:db8:1:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr \n       valid_lft 86397sec preferred_lft 14397sec\n    inet6 fe80::5054:ff:fe12:3456/64 scope link \n       valid_lft forever preferred_lft forever\n"
        ),
        "{addrs}"
    );
    lan.run_ms(500);
    let routes = lan.routes(h);
    for line in [
        "2001:db8:1::/64 dev eth0 proto kernel metric 256 expires 86396sec pref medium",
        "fe80::/64 dev eth0 proto kernel metric 256 pref medium",
    ] {
        assert!(routes.contains(&format!("{line}\n")), "{line}\n{routes}");
    }
    assert_eq!(
        lan.defaults(h),
        ["default via fe80::1 dev eth0 proto ra metric 1024 expires 1796sec mtu 1400 hoplimit 61 pref medium"]
    );
    let conf = lan.sim.host(h).expect("h").tables.sysctl.v6(ETH).clone();
    assert_eq!((conf.hop_limit, conf.mtu), (61, 1400));
    let n = lan
        .sim
        .host(h)
        .expect("h")
        .neigh
        .get(ETH, IpAddr::V6(a6("fe80::1")))
        .expect("entry");
    assert!(n.router && n.lladdr == Some(rmac(1)));
}
