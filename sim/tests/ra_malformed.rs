//! Every malformed RA variant is dropped without a panic and leaves no state (linux-ipv6.md B1–B6, B47), while
//! Hop-by-Hop and Destination Options headers in front are accepted; an RA flood stays bounded by max_addresses and
//! its state goes away with the lifetimes.

mod ra_support;

use dualhome_sim::wire::{FragmentInfo, Ipv6ExtRepr, NdOptionRepr};
use ra_support::*;

const L4: usize = 14 + 40;

fn setup() -> (Lan, dualhome_sim::id::NodeId, dualhome_sim::id::NodeId) {
    let mut lan = Lan::new(21);
    let r = lan.router("r", 1, &[]);
    let h = lan.host("h", H_MAC, &[]);
    lan.run(3);
    (lan, r, h)
}

#[test]
fn malformed_ras_leave_no_router_and_no_neighbour() {
    let (mut lan, r, h) = setup();
    let mut frames = Vec::new();
    let mut hl = ra(2);
    hl.hlim = 64; // B3
    frames.push(hl.frame());
    let mut global = ra(3);
    global.src = a6("2001:db8:ffff::3"); // B5
    frames.push(global.frame());
    let mut badsum = ra(4).frame(); // B1
    badsum[L4 + 2] ^= 0xff;
    frames.push(badsum);
    let mut code = ra(5).frame(); // B4
    code[L4 + 1] = 1;
    fix_icmpv6_checksum(&mut code, L4);
    frames.push(code);
    let mut frag = ra(6); // B2, RFC 6980: even an atomic fragment
    frag.exts = vec![Ipv6ExtRepr::Fragment(FragmentInfo {
        offset: 0,
        more: false,
        ident: 7,
    })];
    frag.opts.push(pio("2001:db8:6::", 64, 600, 600));
    frames.push(frag.frame());
    let mut zero = ra(7); // B6: a zero-length option drops the whole RA
    zero.opts.push(NdOptionRepr::Unknown {
        kind: 200,
        data: &[0; 6],
    });
    let mut z = zero.frame();
    let last = z.len() - 8;
    z[last + 1] = 0;
    fix_icmpv6_checksum(&mut z, L4);
    frames.push(z);
    let mut overrun = ra(8).frame(); // B6: option running past the end
    overrun[L4 + 16 + 1] = 9;
    fix_icmpv6_checksum(&mut overrun, L4);
    frames.push(overrun);
    let mut short = ra(9).frame(); // B6: body shorter than the RA header
    short.truncate(L4 + 12);
    short[18..20].copy_from_slice(&12u16.to_be_bytes());
    fix_icmpv6_checksum(&mut short, L4);
    frames.push(short);
    for f in frames {
        lan.send(r, f);
        lan.run_ms(10);
    }
    assert!(lan.defaults(h).is_empty(), "{:?}", lan.defaults(h));
    assert!(!lan.routes(h).contains("2001:db8:6::"));
    let host = lan.sim.host(h).expect("h");
    for n in 2..=9u8 {
        let ll = a6(&format!("fe80::{n:x}"));
        let entry = host.neigh.get(ETH, std::net::IpAddr::V6(ll));
        assert!(
            entry.is_none(),
            "no neighbour from a dropped RA (fe80::{n:x}): {entry:?}"
        );
    }
    // B47: HBH and DstOpt in front are fine.
    let mut hbh = ra(0x31);
    hbh.exts = vec![Ipv6ExtRepr::HopByHop { options: &[] }];
    lan.send(r, hbh.frame());
    let mut dst = ra(0x32);
    dst.exts = vec![Ipv6ExtRepr::DestinationOptions { options: &[] }];
    lan.send(r, dst.frame());
    lan.run_ms(10);
    assert_eq!(lan.defaults(h).len(), 2, "{:?}", lan.defaults(h));
}

#[test]
fn every_single_byte_corruption_of_an_ra_is_survived() {
    let (mut lan, r, h) = setup();
    let mut good = ra(1);
    good.opts.push(pio("2001:db8:1::", 64, 600, 300));
    good.opts.push(NdOptionRepr::Mtu(1400));
    let base = good.frame();
    for i in 0..base.len() {
        for v in [0u8, 1, 0x7f, 0xff] {
            let mut f = base.clone();
            f[i] = v;
            lan.send(r, f.clone());
            fix_icmpv6_checksum(&mut f, L4);
            lan.send(r, f);
        }
    }
    lan.run(1);
    let host = lan.sim.host(h).expect("h");
    assert!(host.tables.addrs.on(ETH, true).count() <= 16);
}

#[test]
fn ra_flood_is_bounded_by_max_addresses_and_expires() {
    let (mut lan, r, h) = setup();
    let rounds = 3;
    let mut sizes = Vec::new();
    for _ in 0..rounds {
        for n in 0..200u16 {
            let mut f = ra(1);
            f.src = a6(&format!("fe80::1:{n:x}"));
            f.rl = 60;
            f.opts.push(pio(&format!("2001:db8:{n:x}::"), 64, 60, 30));
            lan.send(r, f.frame());
        }
        lan.run(1);
        let host = lan.sim.host(h).expect("h");
        let addrs = host.tables.addrs.on(ETH, true).count();
        let routes = host.tables.fib6.dump(None).len();
        assert!(addrs <= 16, "max_addresses bounds SLAAC: {addrs}");
        sizes.push((addrs, routes, host.neigh.len()));
    }
    // The same flood again does not grow anything.
    assert_eq!(sizes[1], sizes[2], "{sizes:?}");
    lan.run(200);
    let host = lan.sim.host(h).expect("h");
    assert!(lan.defaults(h).is_empty());
    assert_eq!(
        host.tables.addrs.on(ETH, true).count(),
        1,
        "only the link-local is left"
    );
    assert!(host.tables.fib6.dump(None).len() < 10, "{}", lan.routes(h));
}
