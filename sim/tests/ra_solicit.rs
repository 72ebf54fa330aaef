//! Router Solicitations on the wire (linux-ipv6.md A27, B4.log): the first right after link-local DAD, from the
//! link-local to ff02::2 with an SLLA (ICMPv6 length 16), the next ~4 s later (B4.log: 3.7 s), doubling after that,
//! stopped by an accepted RA; none with accept_ra=0, router_solicitations=0 or forwarding on.

mod ra_support;

use std::time::Duration;

use dualhome_sim::time::Instant;
use dualhome_sim::wire::{L3View, L4View};
use ra_support::*;

/// (time, source, destination, ICMPv6 length) of every RS captured on the LAN.
fn rs_frames(lan: &Lan) -> Vec<(Instant, std::net::Ipv6Addr, std::net::Ipv6Addr, usize)> {
    lan.sim
        .captured(lan.seg)
        .iter()
        .filter_map(|c| {
            let v = c.frame.view().ok()?;
            let L3View::Ipv6(ip) = v.l3 else { return None };
            let L4View::Icmpv6 { msg_type: 133, .. } = ip.l4 else {
                return None;
            };
            assert_eq!(ip.repr.hop_limit, 255);
            Some((c.at, ip.repr.src, ip.repr.dst, v.l4_bytes().len()))
        })
        .collect()
}

fn lan_with(sysctls: &[(&str, &str)]) -> Lan {
    let mut lan = Lan::new(71);
    lan.sim.capture(lan.seg);
    lan.host("h", H_MAC, sysctls);
    lan
}

#[test]
fn rs_after_dad_then_backoff_until_an_ra() {
    let mut lan = lan_with(&[]);
    let r = lan.router("r", 1, &[]);
    lan.run(20);
    let rs = rs_frames(&lan);
    assert!(rs.len() >= 3, "{rs:?}");
    for (_, src, dst, len) in &rs {
        assert_eq!(*src, a6("fe80::5054:ff:fe12:3456"));
        assert_eq!(*dst, a6("ff02::2"));
        assert_eq!(*len, 16, "RS header + SLLA");
    }
    // DAD: up to 1 s random delay + 1 s probe; the RS follows at once.
    assert!(
        rs[0].0 <= Instant::from_secs(2) + Duration::from_millis(10),
        "{:?}",
        rs[0].0
    );
    let gap1 = rs[1].0 - rs[0].0;
    let gap2 = rs[2].0 - rs[1].0;
    assert!(
        gap1 >= Duration::from_millis(3600) && gap1 <= Duration::from_millis(4400),
        "{gap1:?}"
    );
    assert!(gap2 >= gap1 * 19 / 10 - Duration::from_millis(1) && gap2 <= gap1 * 21 / 10 + Duration::from_millis(1));
    lan.send(r, ra(1).frame());
    let before = rs_frames(&lan).len();
    lan.run(600);
    assert_eq!(rs_frames(&lan).len(), before, "an accepted RA stops the solicitations");
}

#[test]
fn no_rs_without_accept_ra_or_with_zero_solicitations_or_forwarding() {
    for sysctls in [
        &[("accept_ra", "0")][..],
        &[("router_solicitations", "0")][..],
        &[("forwarding", "1")][..],
    ] {
        let mut lan = lan_with(sysctls);
        lan.run(30);
        assert!(rs_frames(&lan).is_empty(), "{sysctls:?}");
    }
    // router_solicitations=3: exactly three (RFC 4861's MAX_RTR_SOLICITATIONS, Linux's old default).
    let mut lan = lan_with(&[("router_solicitations", "3")]);
    lan.run(120);
    assert_eq!(rs_frames(&lan).len(), 3);
}
