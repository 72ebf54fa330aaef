//! Per-packet cost of the packet layer: `parse_frame` and option decoding for an echo, a rich RA and TCP data,
//! and building an echo frame into a reused buffer. `cargo bench -p dualhome-sim --bench wire`.

#[path = "../tests/wire_samples/mod.rs"]
mod samples;

use divan::black_box;
use dualhome_sim::wire::build::{append_ipv6, Ipv6Params, Upper, L2};
use dualhome_sim::wire::*;

fn main() {
    divan::main();
}

const FRAMES: [&str; 3] = [
    "icmpv6 echo request",
    "ra with pios, rio, rdnss, dnssl, mtu",
    "tcp data over ipv6",
];

fn sample(name: &str) -> Vec<u8> {
    samples::all()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| f)
        .unwrap_or_default()
}

#[divan::bench(args = FRAMES)]
fn parse(bencher: divan::Bencher, name: &str) {
    let frame = sample(name);
    bencher.bench(|| parse_frame(black_box(&frame)).map(|v| v.l4()));
}

#[divan::bench(args = FRAMES)]
fn parse_and_decode_nd_options(bencher: divan::Bencher, name: &str) {
    let frame = sample(name);
    bencher.bench(|| {
        let view = parse_frame(black_box(&frame)).ok()?;
        match view.icmpv6() {
            Some(Ok(Icmpv6Repr::Ndisc(nd))) => Some(nd.options().reprs().filter(|r| r.is_ok()).count()),
            _ => Some(0),
        }
    });
}

#[divan::bench]
fn build_echo_into_reused_buffer(bencher: divan::Bencher) {
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
    bencher.bench_local(|| {
        buf.clear();
        append_ipv6(&mut buf, l2, &ip, &Upper::Icmpv6(black_box(echo))).map(|r| r.len())
    });
}
