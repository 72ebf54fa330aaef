//! The B3.log experiment replayed step by step (linux-ipv6.md A6–A17, B14, B18, B32–B36): each step's RA, then the
//! kernel's `ip -6 route` / `ip -6 neigh` / sysctl lines at the same delay (0.3 s or 0.5 s) compared with ours.

mod ra_support;

use std::net::IpAddr;

use dualhome_sim::host::neigh::{Family, NeighFilter};
use dualhome_sim::id::NodeId;
use dualhome_sim::wire::{NdOptionRepr, RouteInfo, RouterPreference};
use ra_support::*;

fn rio(prefix: &str, len: u8, prf: RouterPreference, lifetime: u32) -> NdOptionRepr<'static> {
    NdOptionRepr::RouteInformation(RouteInfo {
        prefix_len: len,
        preference: prf,
        lifetime,
        prefix: a6(prefix),
    })
}

fn sysctl(lan: &mut Lan, h: NodeId, key: &str, v: &str) {
    lan.sim
        .with_host(h, |x, ctx| x.set_sysctl(ctx, &format!("net.ipv6.conf.eth0.{key}"), v))
        .expect("host")
        .expect("sysctl");
}

fn has(lan: &Lan, h: NodeId, line: &str) -> bool {
    lan.routes(h).contains(&format!("{line}\n"))
}

fn neigh_line(lan: &Lan, h: NodeId, addr: &str) -> String {
    let filter = NeighFilter {
        family: Some(Family::V6),
        dev: Some(ETH),
        addr: Some(IpAddr::V6(a6(addr))),
        all_states: false,
    };
    lan.sim.host(h).expect("host").neigh.render(&filter, |_| "eth0")
}

#[test]
fn b3_log_rio_mtu_hop_limit_unicast_local_slla_metric_and_forwarding() {
    let mut lan = Lan::new(61);
    let r = lan.router("r", 1, &[]);
    let h = lan.host("h", H_MAC, &[]);
    lan.run(3);
    let mut base = ra(1);
    base.opts.push(pio("2001:db8:1::", 64, 86400, 14400));
    lan.send(r, base.frame());
    let mut hi = ra(2);
    hi.flags.preference = RouterPreference::High;
    hi.rl = 1200;
    lan.send(r, hi.frame());
    lan.run_ms(500);
    // B-RIO at the default max_plen 0: the /48 is ignored, ::/0 from an rl=0 RA becomes a low default.
    let mut a = ra(1);
    a.opts.push(rio("2001:db8:99::", 48, RouterPreference::High, 600));
    lan.send(r, a.frame());
    let mut nine = ra(9);
    nine.rl = 0;
    nine.opts.push(rio("::", 0, RouterPreference::Low, 900));
    lan.send(r, nine.frame());
    lan.run_ms(500);
    assert!(!lan.routes(h).contains("2001:db8:99::"));
    assert!(has(
        &lan,
        h,
        "default via fe80::9 dev eth0 proto ra metric 1024 expires 899sec pref low"
    ));
    sysctl(&mut lan, h, "accept_ra_rt_info_max_plen", "64");
    let mut a = ra(1);
    a.opts.push(rio("2001:db8:99::", 48, RouterPreference::High, 600));
    a.opts.push(rio("2001:db8:98:1::", 64, RouterPreference::High, 600));
    lan.send(r, a.frame());
    let mut b = ra(1);
    b.opts.push(rio("2001:db8:97:1:2::", 80, RouterPreference::High, 600));
    lan.send(r, b.frame());
    lan.run_ms(3500);
    assert!(has(
        &lan,
        h,
        "2001:db8:98:1::/64 via fe80::1 dev eth0 proto ra metric 1024 expires 596sec pref high"
    ));
    assert!(has(
        &lan,
        h,
        "2001:db8:99::/48 via fe80::1 dev eth0 proto ra metric 1024 expires 596sec pref high"
    ));
    assert!(!lan.routes(h).contains("2001:db8:97:"), "/80 above max_plen");
    let mut zero = ra(1);
    zero.opts.push(rio("2001:db8:99::", 48, RouterPreference::High, 0));
    lan.send(r, zero.frame());
    lan.run_ms(500);
    assert!(!lan.routes(h).contains("2001:db8:99::"), "RIO lifetime 0 removes");
    // MTU option: 1300, 1280 applied; 9000 and 1279 ignored; accept_ra_mtu=0 ignores 1400.
    let conf_mtu = |lan: &Lan| lan.sim.host(h).expect("h").tables.sysctl.v6(ETH).mtu;
    for (mtu, expect) in [(1300, 1300), (1280, 1280), (9000, 1280), (1279, 1280)] {
        let mut m = ra(1);
        m.opts.push(NdOptionRepr::Mtu(mtu));
        lan.send(r, m.frame());
        lan.run_ms(300);
        assert_eq!(conf_mtu(&lan), expect, "mtu={mtu}");
    }
    assert!(has(
        &lan,
        h,
        "default via fe80::1 dev eth0 proto ra metric 1024 expires 1799sec mtu 1280 hoplimit 64 pref medium"
    ));
    sysctl(&mut lan, h, "accept_ra_mtu", "0");
    let mut m = ra(1);
    m.opts.push(NdOptionRepr::Mtu(1400));
    lan.send(r, m.frame());
    lan.run_ms(300);
    assert_eq!(conf_mtu(&lan), 1280);
    sysctl(&mut lan, h, "accept_ra_mtu", "1");
    // CurHopLimit: 0 keeps 64, 33 applies, 20 below min 40 is ignored.
    let hop = |lan: &Lan| lan.sim.host(h).expect("h").tables.sysctl.v6(ETH).hop_limit;
    for (chlim, min, expect) in [(0u8, "1", 64), (33, "1", 33), (20, "40", 33)] {
        sysctl(&mut lan, h, "accept_ra_min_hop_limit", min);
        let mut c = ra(1);
        c.chlim = chlim;
        lan.send(r, c.frame());
        lan.run_ms(300);
        assert_eq!(hop(&lan), expect, "chlim={chlim}");
    }
    sysctl(&mut lan, h, "accept_ra_min_hop_limit", "1");
    // B7: unicast RA to our link-local from a new router.
    let mut uni = ra(0xa);
    uni.rl = 100;
    let mut f = uni.frame();
    f[0..6].copy_from_slice(&H_MAC.0);
    f[38..54].copy_from_slice(&a6("fe80::5054:ff:fe12:3456").octets());
    fix_icmpv6_checksum(&mut f, 54);
    lan.send(r, f);
    lan.run_ms(300);
    assert!(has(
        &lan,
        h,
        "default via fe80::a dev eth0 proto ra metric 1024 expires 99sec hoplimit 64 pref medium"
    ));
    // A17: an RA from our own link-local gives the PIO route and a tentative address, no default route.
    let mut own = ra(0xb);
    own.src = a6("fe80::5054:ff:fe12:3456");
    own.rl = 100;
    own.opts.push(pio("2001:db8:77::", 64, 86400, 14400));
    lan.send(r, own.frame());
    lan.run_ms(300);
    assert!(has(
        &lan,
        h,
        "2001:db8:77::/64 dev eth0 proto kernel metric 256 expires 86399sec pref medium"
    ));
    assert!(!lan.routes(h).contains("via fe80::5054"));
    assert!(lan
        .addrs(h)
        .contains("    inet6 2001:db8:77:0:5054:ff:fe12:3456/64 scope global tentative dynamic mngtmpaddr \n"));
    // B18: a changed SLLA replaces the lladdr.
    assert_eq!(
        neigh_line(&lan, h, "fe80::1"),
        "fe80::1 lladdr 02:00:00:00:00:01 router STALE \n"
    );
    let mut moved = ra(1);
    moved.src_mac = rmac(0x11);
    moved.opts = vec![NdOptionRepr::SourceLinkLayerAddr(rmac(0x11))];
    lan.send(r, moved.frame());
    lan.run_ms(300);
    assert_eq!(
        neigh_line(&lan, h, "fe80::1"),
        "fe80::1 lladdr 02:00:00:00:00:11 router STALE \n"
    );
    // A9: ra_defrtr_metric=2048 re-adds fe80::1 last with the new metric.
    sysctl(&mut lan, h, "ra_defrtr_metric", "2048");
    lan.send(r, ra(1).frame());
    lan.run_ms(300);
    let d = lan.defaults(h);
    assert_eq!(
        d.last().map(String::as_str),
        Some("default via fe80::1 dev eth0 proto ra metric 2048 expires 1799sec hoplimit 64 pref medium"),
        "{d:?}"
    );
    sysctl(&mut lan, h, "ra_defrtr_metric", "1024");
    lan.send(r, ra(1).frame());
    // A5/A6: forwarding=1 purges every RA default route and ignores RAs; accept_ra=2 accepts again.
    sysctl(&mut lan, h, "forwarding", "1");
    assert!(lan.defaults(h).is_empty());
    assert!(
        lan.routes(h)
            .contains("2001:db8:98:1::/64 via fe80::1 dev eth0 proto ra metric 1024 expires "),
        "A5: RIO routes stay"
    );
    let mut fwd = ra(0xf);
    fwd.rl = 500;
    fwd.opts.push(pio("2001:db8:22::", 64, 86400, 14400));
    lan.send(r, fwd.frame());
    lan.run_ms(300);
    assert!(!lan.routes(h).contains("2001:db8:22::"));
    sysctl(&mut lan, h, "accept_ra", "2");
    lan.send(r, fwd.frame());
    lan.run_ms(300);
    assert!(has(
        &lan,
        h,
        "2001:db8:22::/64 dev eth0 proto kernel metric 256 expires 86399sec pref medium"
    ));
    assert_eq!(
        lan.defaults(h),
        ["default via fe80::f dev eth0 proto ra metric 1024 expires 499sec hoplimit 64 pref medium"]
    );
}
