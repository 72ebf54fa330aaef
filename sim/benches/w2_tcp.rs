//! W2 from `shared/anchors/ns3`: client – router – server on two segments, IPv6 (2001:1::/64, 2001:2::/64) with
//! static routes, one bulk TCP transfer of 100 MB in 1400-byte segments (`TCP_MAXSEG` 1400 on both ends, as
//! ns-3's `SegmentSize`), stopped when the receiver has every byte. Prints one `RESULT {json}` line (data
//! segments, events and frames per wall second, virtual transfer time, peak RSS), then runs divan.
//!
//! `cargo bench -p dualhome-sim --bench w2_tcp`; `W2_BYTES=…` changes the size. Compare with ns-3 side by side:
//! `shared/anchors/ns3/setup.sh`, then `DIR/drivers/w2_tcp_bulk`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use dualhome_sim::app::bulk::BulkSend;
use dualhome_sim::engine::{Sim, SimConfig, Stats};
use dualhome_sim::host::addr::Addr;
use dualhome_sim::host::route::Route;
use dualhome_sim::id::{IfIndex, NodeId};
use dualhome_sim::segment::{PortConfig, Segment};
use dualhome_sim::time::Instant;
use dualhome_sim::transport::socket::Family;
use dualhome_sim::transport::Service;
use dualhome_sim::wire::MacAddr;

const BYTES: u64 = 100_000_000;
const SEG: u16 = 1400;

fn addr(s: &str) -> IpAddr {
    s.parse().unwrap_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED))
}

fn nic(sim: &mut Sim, node: NodeId, name: &str, seg: dualhome_sim::id::SegmentId, n: u8, i: u8, ip: &str) -> IfIndex {
    let mac = MacAddr([0x02, 0, 0, 0, n, i]);
    let i = sim
        .add_nic(node, name, mac, seg, PortConfig::default())
        .unwrap_or(IfIndex::LOOPBACK);
    sim.with_host(node, |h, ctx| h.add_address(ctx, Addr::new(i, addr(ip), 64)));
    i
}

/// The topology with DAD done; returns (sim, client, server).
fn topology() -> (Sim, NodeId, NodeId) {
    let mut sim = Sim::new(SimConfig { seed: 1, trace: false });
    let s1 = sim.add_segment(Segment::new("net1", None));
    let s2 = sim.add_segment(Segment::new("net2", None));
    let client = sim.add_host("client");
    let router = sim.add_host("router");
    let server = sim.add_host("server");
    sim.with_host(router, |h, ctx| h.set_sysctl(ctx, "net.ipv6.conf.all.forwarding", "1"));
    let c0 = nic(&mut sim, client, "eth0", s1, 1, 0, "2001:1::1");
    nic(&mut sim, router, "eth0", s1, 2, 0, "2001:1::2");
    nic(&mut sim, router, "eth1", s2, 2, 1, "2001:2::1");
    let v0 = nic(&mut sim, server, "eth0", s2, 3, 0, "2001:2::2");
    let default = |gw: &str, dev| {
        Route::new(
            "::/0".parse().unwrap_or_else(|_| ipnet::IpNet::default()),
            Some(addr(gw)),
            dev,
        )
    };
    sim.with_host(client, |h, _| h.add_route(default("2001:1::2", c0)));
    sim.with_host(server, |h, _| h.add_route(default("2001:2::1", v0)));
    for n in [client, server] {
        sim.with_host(n, |h, _| h.transport.max_seg = Some(SEG));
    }
    sim.with_host(server, |h, _| {
        h.tcp_listen(Family::Inet6, SocketAddr::new(addr("::"), 5001), None, Service::Discard)
    });
    sim.run_until(Instant::from_secs(3));
    (sim, client, server)
}

/// Runs the transfer; returns (stats, bytes received by the server, virtual seconds the transfer took).
fn w2(bytes: u64) -> (Stats, u64, f64) {
    let (mut sim, client, server) = topology();
    let dst = SocketAddr::new(addr("2001:2::2"), 5001);
    let app = sim.with_host(client, |h, ctx| h.start_app(ctx, Box::new(BulkSend::new(dst, bytes))));
    let start = sim.now();
    let received = |sim: &Sim| {
        sim.host(server)
            .map_or(0, |h| h.transport.conns.iter().map(|c| c.read).sum::<u64>())
    };
    // Step in 10 ms slices of virtual time until the sink has everything (ns-3 stops from the sink's trace).
    while received(&sim) < bytes && sim.now() < start + Duration::from_secs(600) {
        sim.run_until(sim.now() + Duration::from_millis(10));
    }
    let done = app
        .and_then(|i| sim.host(client).and_then(|h| h.app_report(i)))
        .and_then(|r| r.finished_at)
        .unwrap_or(sim.now());
    (sim.stats(), received(&sim), done.saturating_since(start).as_secs_f64())
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

/// Runs of the whole workload behind the `RESULT` line (`W2_RUNS`, default 5): one run is ~90 ms, so the line
/// reports the median run (by wall time) with the slowest and fastest rates beside it.
const DEFAULT_RUNS: usize = 5;

fn main() {
    let bytes = std::env::var("W2_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(BYTES);
    let runs = std::env::var("W2_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_RUNS)
        .max(1);
    let mut samples: Vec<(f64, Stats, u64, f64)> = (0..runs)
        .map(|_| {
            let start = std::time::Instant::now();
            let (stats, received, virt) = w2(bytes);
            (start.elapsed().as_secs_f64(), stats, received, virt)
        })
        .collect();
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    let rate = |s: &(f64, Stats, u64, f64)| s.2.div_ceil(u64::from(SEG)) as f64 / s.0;
    let (fastest, slowest) = (rate(&samples[0]), rate(&samples[runs - 1]));
    let (wall, stats, received, virt) = samples[runs / 2];
    let segments = received.div_ceil(u64::from(SEG));
    println!(
        "RESULT {{\"workload\":\"W2\",\"runs\":{runs},\"bytes\":{received},\"data_segments\":{segments},\
         \"wall_s\":{wall:.4},\"data_segments_per_s\":{:.0},\"data_segments_per_s_min\":{slowest:.0},\
         \"data_segments_per_s_max\":{fastest:.0},\"virtual_s\":{virt:.4},\"events\":{},\"events_per_s\":{:.0},\
         \"frames\":{},\"frames_per_s\":{:.0},\"peak_rss_kib\":{}}}",
        segments as f64 / wall,
        stats.events,
        stats.events as f64 / wall,
        stats.frames_delivered,
        stats.frames_delivered as f64 / wall,
        peak_rss_kib(),
    );
    divan::main();
}

/// 10 MB of the W2 workload end to end (setup and DAD included), for the statistics.
#[divan::bench(sample_count = 3)]
fn w2_10mb_bulk() -> (Stats, u64, f64) {
    w2(divan::black_box(10_000_000))
}
