//! Both halves together: a router running the simulated radvd and hosts doing DAD → RS → SLAAC. The host's RS
//! draws a solicited RA long before the next unsolicited one (MaxRtrAdvInterval 600 s), and radvd's final RA on
//! shutdown (router lifetime 0) removes the default route while the prefix and address stay (B12).

mod ra_support;

use dualhome_sim::radvd::config::{PrefixConfig, RaIfaceConfig};
use ra_support::*;

#[test]
fn radvd_answers_the_hosts_rs_and_its_final_ra_withdraws_the_router() {
    let mut lan = Lan::new(101);
    let r = lan.router("r", 1, &[]);
    lan.run(1);
    let mut cfg = RaIfaceConfig::new("eth0");
    cfg.prefixes.push(PrefixConfig::new(a6("2001:db8:1::"), 64));
    lan.sim
        .with_host(r, |x, ctx| x.start_radvd(ctx, cfg))
        .expect("router")
        .expect("radvd");
    // The host comes up after the daemon's initial RAs, so only its RS can bring the next one soon.
    lan.run(60);
    let h = lan.host("h", H_MAC, &[]);
    lan.run(5);
    let rs = lan.sim.host(h).expect("h").ra_state(ETH).expect("state").rs;
    assert!(rs.sent && rs.ra_received, "{rs:?}");
    assert_eq!(lan.via(h, "2001:db8:ffff::1"), Some(a6("fe80::1")));
    assert!(lan
        .addrs(h)
        .contains("inet6 2001:db8:1:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr"));
    lan.sim
        .with_host(r, |x, ctx| x.stop_radvd(ctx, "eth0"))
        .expect("router")
        .expect("stop");
    lan.run(1);
    assert!(lan.defaults(h).is_empty(), "{:?}", lan.defaults(h));
    assert!(lan
        .routes(h)
        .contains("2001:db8:1::/64 dev eth0 proto kernel metric 256"));
    assert!(lan.addrs(h).contains("2001:db8:1:0:5054:ff:fe12:3456"));
}
