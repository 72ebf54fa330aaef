//! W3 from `shared/anchors/ns3` (`w3_radvd.cc`): one segment, a router running the RA daemon from t = 1 s with a
//! fixed 3 s interval (Min = Max = 3 s) announcing 2001:1::/64, and H hosts with only link-local addresses that do
//! DAD, RS and SLAAC; simulated to t = 601 s (600 s of RAs). Timed in two phases like the ns-3 driver: start-up
//! (to t = 31 s: the DAD/RS/SLAAC storms) and steady state (periodic RAs).
//!
//! RA deliveries are counted as ns-3 counts them (RAs handed to a host's IPv6 layer): every multicast RA reaches
//! each of the H hosts on the lossless switch, every unicast RS answer reaches one.
//!
//! `cargo bench -p dualhome-sim --bench w3_radvd` prints a `RESULT {json}` line for H = 100 and H = 1,000, then
//! runs divan. `W3_HOSTS=10000 cargo bench -p dualhome-sim --bench w3_radvd` runs only the listed sizes
//! (comma-separated) and skips divan, so each size's peak RSS can be measured in a process of its own.
//! `W3_END_S=31` stops the run at that simulated second instead of 601 (profiling the start-up alone; the
//! difference between two such runs is the steady state).

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use dualhome_sim::engine::{Sim, SimConfig};
use dualhome_sim::host::node::Host;
use dualhome_sim::id::NodeId;
use dualhome_sim::radvd::{PrefixConfig, RaIfaceConfig};
use dualhome_sim::segment::{PortConfig, PortRole, Segment};
use dualhome_sim::time::Instant;
use dualhome_sim::wire::MacAddr;

const RA_START: Instant = Instant::from_secs(1);
const SPLIT: Instant = Instant::from_secs(31);
const END: Instant = Instant::from_secs(601);

struct W3 {
    sim: Sim,
    router: NodeId,
    hosts: Vec<NodeId>,
}

fn setup(hosts: u32) -> W3 {
    let mut sim = Sim::new(SimConfig { seed: 1, trace: false });
    let seg = sim.add_segment(Segment::new("lan", None));
    let router = sim.add_host("router");
    let port = PortConfig {
        role: PortRole::Router,
        ..PortConfig::default()
    };
    let _ = sim.add_nic(router, "eth0", MacAddr([0x02, 0xff, 0, 0, 0, 1]), seg, port);
    sim.with_host(router, |h, ctx| h.set_sysctl(ctx, "net.ipv6.conf.all.forwarding", "1"));
    let mut ra = RaIfaceConfig::new("eth0");
    ra.max_interval = Duration::from_secs(3);
    ra.min_interval = Some(Duration::from_secs(3));
    ra.prefixes
        .push(PrefixConfig::new(Ipv6Addr::new(0x2001, 1, 0, 0, 0, 0, 0, 0), 64));
    sim.schedule_call(
        RA_START,
        router,
        Box::new(move |n, ctx| {
            if let Some(h) = n.as_any_mut().downcast_mut::<Host>() {
                let _ = h.start_radvd(ctx, ra);
            }
        }),
    );
    let mut ids = Vec::with_capacity(hosts as usize);
    for i in 0..hosts {
        let h = sim.add_host("h");
        let [_, a, b, c] = i.to_be_bytes();
        let _ = sim.add_nic(h, "eth0", MacAddr([0x02, 0, 0, a, b, c]), seg, PortConfig::default());
        ids.push(h);
    }
    W3 {
        sim,
        router,
        hosts: ids,
    }
}

/// RAs delivered to hosts so far.
fn ra_deliveries(w: &W3) -> u64 {
    let s = w.sim.host(w.router).map(|h| h.radvd.stats()).unwrap_or_default();
    s.multicast_sent * w.hosts.len() as u64 + s.unicast_sent
}

fn slaac_hosts(w: &W3) -> usize {
    w.hosts
        .iter()
        .filter(|&&h| {
            w.sim.host(h).is_some_and(|h| {
                h.tables
                    .addrs
                    .iter()
                    .any(|a| matches!(a.addr, IpAddr::V6(x) if x.segments()[..2] == [0x2001, 1]))
            })
        })
        .count()
}

/// CPU time this thread has run, in seconds (`/proc/thread-self/schedstat`): unlike the wall time it does not
/// count the time other processes held the core.
fn cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn result(hosts: u32) {
    let t0 = std::time::Instant::now();
    let mut w = setup(hosts);
    let setup_s = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    w.sim.run_until(SPLIT);
    let phase1_s = t1.elapsed().as_secs_f64();
    let (ra1, ev1) = (ra_deliveries(&w), w.sim.stats().events);
    let t2 = std::time::Instant::now();
    let cpu2 = cpu_s();
    let end = std::env::var("W3_END_S")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(END, Instant::from_secs);
    w.sim.run_until(end.max(SPLIT));
    let phase2_s = t2.elapsed().as_secs_f64();
    let phase2_cpu = cpu_s() - cpu2;
    let (ra, stats) = (ra_deliveries(&w), w.sim.stats());
    let wall = phase1_s + phase2_s;
    let rs = w.sim.host(w.router).map(|h| h.radvd.stats()).unwrap_or_default();
    println!(
        "RESULT {{\"workload\":\"W3\",\"hosts\":{hosts},\"sim_seconds\":{},\"wall_setup_s\":{setup_s:.4},\
         \"wall_run_s\":{wall:.4},\"ra_deliveries\":{ra},\"ra_deliveries_per_wall_s\":{:.0},\
         \"events\":{},\"events_per_wall_s\":{:.0},\"frames_delivered\":{},\"router_multicast_ras\":{},\
         \"router_unicast_ras\":{},\"router_rs_received\":{},\"router_rs_ignored\":{},\"slaac_hosts\":{},\
         \"phase1_wall_s\":{phase1_s:.4},\"phase1_events\":{ev1},\"phase1_ra_deliveries\":{ra1},\
         \"phase2_wall_s\":{phase2_s:.4},\"phase2_ra_deliveries\":{},\"phase2_ra_deliveries_per_wall_s\":{:.0},\
         \"phase2_cpu_s\":{phase2_cpu:.4},\"phase2_ra_deliveries_per_cpu_s\":{:.0},\
         \"peak_rss_kib\":{}}}",
        w.sim.now().as_nanos() / 1_000_000_000,
        ra as f64 / wall,
        stats.events,
        stats.events as f64 / wall,
        stats.frames_delivered,
        rs.multicast_sent,
        rs.unicast_sent,
        rs.rs_received,
        rs.rs_ignored,
        slaac_hosts(&w),
        ra - ra1,
        (ra - ra1) as f64 / phase2_s,
        (ra - ra1) as f64 / phase2_cpu.max(1e-9),
        peak_rss_kib(),
    );
}

fn main() {
    if let Ok(list) = std::env::var("W3_HOSTS") {
        for h in list.split(',').filter_map(|s| s.trim().parse().ok()) {
            result(h);
        }
        return;
    }
    result(100);
    result(1_000);
    divan::main();
}

/// The whole W3 workload (setup, start-up storm, 600 s of RAs).
#[divan::bench(args = [100, 1_000], sample_count = 3, sample_size = 1)]
fn w3_600s(hosts: u32) -> u64 {
    let mut w = setup(divan::black_box(hosts));
    w.sim.run_until(END);
    ra_deliveries(&w)
}
