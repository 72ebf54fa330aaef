//! Throughput of the per-packet path, measured on demand (not a pass/fail test):
//! `cargo test --release -p dualhome-sim --test wire_throughput -- --ignored --nocapture`.
//! Reports nanoseconds per `parse_frame` and per whole-frame build for an ICMPv6 echo and the rich RA.

#[path = "wire_samples/mod.rs"]
mod samples;

use std::hint::black_box;
use std::time::Instant as WallClock;

use dualhome_sim::wire::build::{append_ipv6, Ipv6Params, Upper, L2};
use dualhome_sim::wire::*;

const ROUNDS: u32 = 200_000;

fn per_op(start: WallClock) -> f64 {
    start.elapsed().as_nanos() as f64 / f64::from(ROUNDS)
}

#[test]
#[ignore = "measurement; run with --ignored --nocapture in release"]
fn parse_and_build_rates() {
    let frames = samples::all();
    for name in [
        "icmpv6 echo request",
        "ra with pios, rio, rdnss, dnssl, mtu",
        "tcp data over ipv6",
    ] {
        let frame = &frames.iter().find(|(n, _)| *n == name).unwrap().1;
        let start = WallClock::now();
        for _ in 0..ROUNDS {
            let view = parse_frame(black_box(frame)).unwrap();
            black_box(view.l4());
        }
        let parse = per_op(start);
        let start = WallClock::now();
        for _ in 0..ROUNDS {
            let view = parse_frame(black_box(frame)).unwrap();
            if let Some(Ok(Icmpv6Repr::Ndisc(nd))) = view.icmpv6() {
                black_box(nd.options().reprs().filter(|r| r.is_ok()).count());
            }
        }
        let decode = per_op(start);
        println!(
            "{name}: {} bytes, parse_frame {parse:.0} ns, parse + ND option decode {decode:.0} ns",
            frame.len()
        );
    }
    let mut buf = Vec::with_capacity(256);
    let echo = Icmpv6Repr::EchoRequest {
        ident: 1,
        seq_no: 1,
        data: &[0; 56],
    };
    let l2 = L2 {
        src: samples::HOST_MAC,
        dst: samples::ROUTER_MAC,
        vlan: None,
    };
    let ip = Ipv6Params::new(samples::HOST_V6, samples::PEER_V6, 64);
    let start = WallClock::now();
    for _ in 0..ROUNDS {
        buf.clear();
        append_ipv6(&mut buf, l2, &ip, &Upper::Icmpv6(black_box(echo))).unwrap();
        black_box(&buf);
    }
    println!("build ICMPv6 echo frame into a reused buffer: {:.0} ns", per_op(start));
}
