//! One router advertising every 3 s to H hosts for 600 s of virtual time (the W3 shape): every host solicits,
//! configures its SLAAC address and default route, and keeps them refreshed. H = 100 here; speed at H = 1,000 and
//! 10,000 is the W3 benchmark (`cargo bench -p dualhome-sim --bench w3_radvd`), never a timed test.

mod ra_support;

use dualhome_sim::wire::MacAddr;
use ra_support::*;

struct Outcome {
    /// RAs accepted by all hosts over the whole run.
    ra_deliveries: u64,
    /// Frames delivered in rounds 2..
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
    let mut adv = ra(1);
    adv.opts.push(pio("2001:db8:1::", 64, 86400, 14400));
    let frame = adv.frame();
    let rounds = secs / 3;
    // The first round carries the link-up storm (DAD and RS, multicast flooded to every port).
    lan.send(r, frame.clone());
    lan.run(3);
    let frames_setup = lan.sim.stats().frames_delivered;
    for _ in 1..rounds {
        lan.send(r, frame.clone());
        lan.run(3);
    }
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
        frames: lan.sim.stats().frames_delivered - frames_setup,
    }
}

#[test]
fn w3_hundred_hosts_configure_and_stay_configured() {
    let o = run(100, 600);
    assert_eq!(o.ra_deliveries, 100 * 200);
    assert!(o.frames >= 100 * 199, "every steady-state RA reached every host");
}
