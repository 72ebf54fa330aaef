//! The B2.log experiment replayed: PIO variants, then the two-hour rule sequence on 2001:db8:1::/64, compared
//! line by line with the kernel's `ip -6 addr` / `ip -6 route` text (linux-ipv6.md B21–B30). RAs are sent at the
//! offsets the logged lifetimes imply (iproute2 rounds address lifetimes up and route expiries down).

mod ra_support;

use dualhome_sim::time::Instant;
use dualhome_sim::wire::{NdOptionRepr, PrefixInfo};
use ra_support::*;
use std::time::Duration;

fn pio_la(prefix: &str, len: u8, valid: u32, preferred: u32, l: bool, a: bool) -> NdOptionRepr<'static> {
    NdOptionRepr::PrefixInformation(PrefixInfo {
        prefix_len: len,
        on_link: l,
        autonomous: a,
        other_flags: 0,
        valid_lifetime: valid,
        preferred_lifetime: preferred,
        prefix: a6(prefix),
    })
}

fn at(lan: &mut Lan, t: Instant) {
    lan.sim.run_until(t);
}

fn line_after(text: &str, needle: &str) -> String {
    let mut it = text.lines().skip_while(|l| !l.contains(needle));
    format!("{}\n{}\n", it.next().unwrap_or(""), it.next().unwrap_or(""))
}

#[test]
fn b2_log_pio_variants_and_two_hour_rule() {
    let mut lan = Lan::new(41);
    let r = lan.router("r", 1, &[]);
    let h = lan.host("h", H_MAC, &[]);
    lan.run(3);
    let t0 = lan.now();
    let s = t0 + Duration::from_secs(12);
    let ms = |x: u64| Duration::from_millis(x);
    let sends: [(Duration, NdOptionRepr<'static>); 7] = [
        (ms(11_500), pio_la("2001:db8:1::", 64, 86400, 14400, true, true)),
        (ms(10_500), pio_la("2001:db8:48::", 48, 86400, 14400, true, true)),
        (ms(9_500), pio_la("fe80::", 64, 86400, 14400, true, true)),
        (ms(8_500), pio_la("2001:db8:10::", 64, 100, 200, true, true)),
        (ms(5_500), pio_la("2001:db8:12::", 64, 86400, 14400, false, true)),
        (ms(4_500), pio_la("2001:db8:13::", 64, 86400, 14400, true, false)),
        (ms(2_500), pio_la("2001:db8:14::", 64, u32::MAX, u32::MAX, true, true)),
    ];
    for (before, opt) in sends {
        at(&mut lan, t0 + (ms(12_000) - before));
        let mut adv = ra(1);
        adv.opts.push(opt);
        lan.send(r, adv.frame());
    }
    at(&mut lan, s);
    assert_eq!(
        lan.addrs(h).lines().skip(1).collect::<Vec<_>>().join("\n"),
        "    inet6 2001:db8:14:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr 
       valid_lft forever preferred_lft forever
    inet6 2001:db8:12:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr 
       valid_lft 86395sec preferred_lft 14395sec
    inet6 2001:db8:1:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr 
       valid_lft 86389sec preferred_lft 14389sec
    inet6 fe80::5054:ff:fe12:3456/64 scope link 
       valid_lft forever preferred_lft forever"
    );
    at(&mut lan, s + ms(200));
    assert_eq!(
        lan.routes(h),
        "2001:db8:1::/64 dev eth0 proto kernel metric 256 expires 86388sec pref medium
2001:db8:13::/64 dev eth0 proto kernel metric 256 expires 86395sec pref medium
2001:db8:14::/64 dev eth0 proto kernel metric 256 pref medium
2001:db8:48::/48 dev eth0 proto kernel metric 256 expires 86389sec pref medium
fe80::/64 dev eth0 proto kernel metric 256 pref medium
default via fe80::1 dev eth0 proto ra metric 1024 expires 1797sec hoplimit 64 pref medium
"
    );
    let a1 = "2001:db8:1:0:5054:ff:fe12:3456";
    let send1 = |lan: &mut Lan, valid: u32, pref: u32| {
        let mut adv = ra(1);
        adv.opts.push(pio_la("2001:db8:1::", 64, valid, pref, true, true));
        lan.send(r, adv.frame());
        lan.run_ms(50);
    };
    send1(&mut lan, 60, 30);
    assert_eq!(
        line_after(&lan.addrs(h), a1),
        "    inet6 2001:db8:1:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr \n       valid_lft 7200sec preferred_lft 30sec\n"
    );
    lan.run_ms(500);
    assert!(lan
        .routes(h)
        .contains("2001:db8:1::/64 dev eth0 proto kernel metric 256 expires 59sec pref medium\n"));
    lan.run_ms(2000);
    send1(&mut lan, 7000, 0);
    assert_eq!(
        line_after(&lan.addrs(h), a1),
        "    inet6 2001:db8:1:0:5054:ff:fe12:3456/64 scope global deprecated dynamic mngtmpaddr \n       valid_lft 7198sec preferred_lft 0sec\n"
    );
    send1(&mut lan, 10000, 5000);
    assert_eq!(
        line_after(&lan.addrs(h), a1),
        "    inet6 2001:db8:1:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr \n       valid_lft 10000sec preferred_lft 5000sec\n"
    );
    send1(&mut lan, 0, 0);
    assert_eq!(
        line_after(&lan.addrs(h), a1),
        "    inet6 2001:db8:1:0:5054:ff:fe12:3456/64 scope global deprecated dynamic mngtmpaddr \n       valid_lft 7200sec preferred_lft 0sec\n"
    );
    assert!(
        !lan.routes(h).contains("2001:db8:1::/64"),
        "B22: valid 0 deletes the prefix route"
    );
    lan.sim
        .with_host(h, |x, ctx| {
            x.set_sysctl(ctx, "net.ipv6.conf.eth0.ra_honor_pio_life", "1")
        })
        .expect("host")
        .expect("sysctl");
    let mut adv = ra(1);
    adv.opts.push(pio_la("2001:db8:14::", 64, 30, 20, true, true));
    lan.send(r, adv.frame());
    lan.run_ms(50);
    assert_eq!(
        line_after(&lan.addrs(h), "2001:db8:14:"),
        "    inet6 2001:db8:14:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr \n       valid_lft 30sec preferred_lft 20sec\n"
    );
    let mut adv = ra(1);
    adv.opts.push(pio_la("2001:db8:15::", 64, 0, 0, true, true));
    lan.send(r, adv.frame());
    lan.run_ms(50);
    assert!(!lan.addrs(h).contains("2001:db8:15"), "B29");
}
