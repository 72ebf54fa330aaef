//! One router advertising every 3 s to H hosts for 600 s of virtual time (the W3 shape): every host solicits,
//! configures its SLAAC address and default route, and keeps them refreshed; the RA path allocates per host only
//! for state it keeps. H = 100 here; `cargo test --release -p dualhome-sim --test ra_fanout -- --ignored
//! --nocapture` runs H = 1,000 and 10,000 and prints RA deliveries per wall second.

mod ra_support;

use std::time::Duration;

use dualhome_sim::wire::MacAddr;
use ra_support::*;

struct Outcome {
    ra_deliveries: u64,
    wall: Duration,
    frames: u64,
}

fn run(hosts: u32, secs: u64) -> Outcome {
    let mut lan = Lan::new(51);
    let r = lan.router("r", 1, &[]);
    let mut ids = Vec::new();
    for i in 0..hosts {
        let b = i.to_be_bytes();
        ids.push(lan.host(&format!("h{i}"), MacAddr([0x52, 0x54, b[0], b[1], b[2], b[3]]), &[]));
    }
    let wall = std::time::Instant::now();
    let mut adv = ra(1);
    adv.opts.push(pio("2001:db8:1::", 64, 86400, 14400));
    let frame = adv.frame();
    let rounds = secs / 3;
    for _ in 0..rounds {
        lan.send(r, frame.clone());
        lan.run(3);
    }
    let wall = wall.elapsed();
    let mut accepted = 0;
    for (i, h) in ids.iter().enumerate() {
        let host = lan.sim.host(*h).expect("host");
        let st = host.ra_state(ETH).expect("ra state");
        assert!(st.rs.sent, "h{i} solicited");
        assert_eq!(st.rs.next, None, "h{i} stopped soliciting after the first RA");
        accepted += st.accepted;
        let global = host
            .tables
            .addrs
            .on(ETH, true)
            .filter(|a| a.scope == dualhome_sim::host::addr::AddrScope::Global && a.is_usable())
            .count();
        assert_eq!(global, 1, "h{i} has its SLAAC address");
        assert_eq!(lan.defaults(*h).len(), 1, "h{i} has its default route");
    }
    assert_eq!(accepted, u64::from(hosts) * rounds);
    Outcome {
        ra_deliveries: accepted,
        wall,
        frames: lan.sim.stats().frames_delivered,
    }
}

#[test]
fn w3_hundred_hosts_configure_and_stay_configured() {
    let o = run(100, 600);
    assert_eq!(o.ra_deliveries, 100 * 200);
    assert!(o.frames >= o.ra_deliveries);
}

#[test]
#[ignore = "measurement: run in release"]
fn w3_measure_thousand_and_ten_thousand_hosts() {
    for hosts in [1_000u32, 10_000] {
        let o = run(hosts, 600);
        let per_s = o.ra_deliveries as f64 / o.wall.as_secs_f64();
        println!(
            "H={hosts}: {} RA deliveries, {} frames, {:.3} s wall, {:.0} RA deliveries/s",
            o.ra_deliveries,
            o.frames,
            o.wall.as_secs_f64(),
            per_s
        );
    }
}
