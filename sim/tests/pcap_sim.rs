//! A simulated run (DAD, ND, ARP, echo over IPv4 and IPv6, forwarding, ICMP errors, a redirect) captured on both
//! segments as pcapng: tshark reads it with no malformed packet and no expert error, and two runs with the same
//! seed give the same bytes. Skipped (with a message) when tshark is not installed.

mod common;

use common::*;
use dualhome_sim::app::ping::PingConfig;
use dualhome_sim::time::Instant;
use std::process::Command;
use std::time::Duration;

fn capture(seed: u64) -> Vec<u8> {
    let mut r = routed(seed);
    r.sim.capture(r.lan_a);
    r.sim.capture(r.lan_b);
    // A second path to lan-a on the server provokes a redirect from the router.
    nic(&mut r.sim, r.server, "eth1", r.lan_a, 3, 1, &["2001:db8:a::5/64"]);
    r.sim.run_until(Instant::from_secs(3));
    r.sim.with_host(r.client, |h, ctx| {
        for dst in ["2001:db8:b::5", "198.51.100.5", "2001:db8:ffff::1", "203.0.113.1"] {
            let cfg = PingConfig {
                interval: Duration::from_millis(100),
                ..PingConfig::new(ip(dst), 2)
            };
            h.start_ping(ctx, cfg);
        }
    });
    r.sim.with_host(r.client, |h, _| {
        h.tables.fib6.remove_where(|rt| rt.dst == net("2001:db8:a::/64"));
    });
    r.sim.with_host(r.client, |h, ctx| {
        h.start_ping(ctx, PingConfig::new(ip("2001:db8:a::5"), 1))
    });
    r.sim.run_until(Instant::from_secs(15));
    r.sim.write_pcapng(&[r.lan_a, r.lan_b], Vec::new()).expect("pcapng")
}

#[test]
fn same_seed_same_capture_bytes() {
    assert_eq!(capture(11), capture(11));
}

#[test]
fn tshark_reads_a_simulated_run_cleanly() {
    let bytes = capture(11);
    if Command::new("tshark").arg("--version").output().is_err() {
        println!("skipped: tshark not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("dualhome-pcap-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("run.pcapng");
    std::fs::write(&path, &bytes).expect("write capture");
    let run = |args: &[&str]| {
        let out = Command::new("tshark")
            .args([
                "-n",
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "udp.check_checksum:TRUE",
                "-r",
            ])
            .arg(&path)
            .args(args)
            .output()
            .expect("tshark runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let summary = run(&[]);
    for kind in [
        "Neighbor Solicitation",
        "Neighbor Advertisement",
        "Echo (ping) request",
        "Echo (ping) reply",
        "Who has",
        "Redirect",
        "Destination Unreachable",
    ] {
        assert!(summary.contains(kind), "{kind} missing from the capture:\n{summary}");
    }
    let expert = run(&["-q", "-z", "expert,error"]);
    assert!(!expert.contains("Errors ("), "expert errors:\n{expert}");
    let verbose = run(&["-V"]);
    for bad in ["Malformed", "[incorrect", "Checksum Status: Bad", "Exception occurred"] {
        assert!(!verbose.contains(bad), "tshark reports {bad:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
