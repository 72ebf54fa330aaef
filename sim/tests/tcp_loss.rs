//! A bulk transfer across a lossy cable (client — router — server): the receiver holds what arrives beyond a
//! lost segment (Linux's out-of-order queue), answers with duplicate ACKs at once, and delivers everything when
//! the retransmission fills the hole, so one lost segment costs one retransmission, where a go-back-N receiver
//! would have made the sender resend the whole flight behind it. Without SACK (NewReno) a multi-segment hole is
//! repaired one segment per round trip; with SACK (Linux's default) within the first.

mod common;

use common::*;
use dualhome_sim::app::bulk::BulkSend;
use dualhome_sim::engine::Sim;
use dualhome_sim::id::NodeId;
use dualhome_sim::time::Instant;
use dualhome_sim::transport::socket::Family;
use dualhome_sim::transport::tcp::{Tcb, TcpState};
use dualhome_sim::transport::Service;
use std::net::SocketAddr;

const BYTES: u64 = 2_000_000;

fn first_tcb(sim: &Sim, node: NodeId) -> Tcb {
    sim.host(node)
        .and_then(|h| h.transport.conns.first().map(|c| c.tcb.clone()))
        .expect("connection")
}

fn received(sim: &Sim, server: NodeId) -> u64 {
    sim.host(server)
        .map_or(0, |h| h.transport.conns.iter().map(|c| c.read).sum())
}

/// Sets the loss probability of the cable of `node`'s `dev`.
fn cable_loss(sim: &mut Sim, node: NodeId, dev: &str, loss: f64) {
    let ifindex = sim
        .host(node)
        .and_then(|h| h.tables.ifaces.by_name(dev).map(|i| i.ifindex))
        .expect("interface");
    let (seg, port) = sim.attachment(node, ifindex).expect("attached");
    if let Some(p) = sim.segment_mut(seg).and_then(|s| s.port_mut(port)) {
        p.config.loss = loss;
    }
}

/// Runs a 2 MB transfer; after `drop_after` bytes are acknowledged, the next `drops` frames the router sends
/// towards the server are lost (one data segment each: the router forwards one frame per event). Returns (sim, client, server, flight in bytes when the first frame was lost).
/// `sack` sets `net.ipv4.tcp_sack` on both ends. Also returns when the server had every byte.
fn transfer(drops: u64, drop_after: u64, sack: bool) -> (Sim, NodeId, NodeId, u32, Instant) {
    let mut r = routed(11);
    let any = SocketAddr::new(ip("::"), 5001);
    r.sim
        .with_host(r.server, |h, _| {
            h.tcp_listen(Family::Inet6, any, None, Service::Discard)
        })
        .expect("server")
        .expect("listen");
    for n in [r.client, r.server] {
        r.sim.with_host(n, |h, _| h.transport.tcp_config.sack = sack);
    }
    r.sim.run_until(Instant::from_secs(3));
    let dst = SocketAddr::new(ip("2001:db8:b::5"), 5001);
    r.sim
        .with_host(r.client, |h, ctx| h.start_app(ctx, Box::new(BulkSend::new(dst, BYTES))))
        .expect("client");
    while r
        .sim
        .host(r.client)
        .and_then(|h| h.transport.conns.first())
        .map_or(0, |c| c.tcb.bytes_acked)
        < drop_after
    {
        assert!(r.sim.step(), "the transfer stalled before the loss");
    }
    let t = first_tcb(&r.sim, r.client);
    let flight = t.snd_nxt().wrapping_sub(t.snd_una());
    let dropped = r.sim.stats().frames_dropped;
    cable_loss(&mut r.sim, r.router, "eth1", 1.0);
    while r.sim.stats().frames_dropped < dropped + drops {
        assert!(r.sim.step());
    }
    cable_loss(&mut r.sim, r.router, "eth1", 0.0);
    let deadline = r.sim.now() + std::time::Duration::from_secs(60);
    while received(&r.sim, r.server) < BYTES && r.sim.now() < deadline {
        assert!(r.sim.step());
    }
    let done = r.sim.now();
    // The last ACKs and the FIN exchange.
    let end = r.sim.now() + std::time::Duration::from_secs(1);
    r.sim.run_until(end);
    (r.sim, r.client, r.server, flight, done)
}

#[test]
fn one_lost_segment_costs_one_retransmission() {
    let (sim, client, server, flight, _) = transfer(1, 300_000, true);
    assert_eq!(received(&sim, server), BYTES, "every byte, in order");
    let c = first_tcb(&sim, client);
    let s = first_tcb(&sim, server);
    assert!(
        s.info.ofo_queued >= 3,
        "the segments behind the hole were held: {:?}",
        s.info
    );
    assert_eq!(c.info.retrans_segs, 1, "{:?}", c.info);
    // Go-back-N would resend everything in flight behind the lost segment.
    let mss = u32::from(c.mss());
    assert!(flight / mss >= 10, "a real flight was at stake: {flight} bytes");
    assert!(u64::from(flight / mss) > 5 * c.info.retrans_segs);
    assert_eq!(c.bytes_acked, BYTES);
    assert!(matches!(
        c.state,
        TcpState::Established | TcpState::FinWait1 | TcpState::FinWait2 | TcpState::TimeWait
    ));
}

#[test]
fn a_burst_of_losses_is_repaired_and_the_byte_count_is_exact() {
    let (sim, client, server, _, _) = transfer(4, 800_000, false);
    assert_eq!(received(&sim, server), BYTES);
    let c = first_tcb(&sim, client);
    assert_eq!(
        c.info.retrans_segs, 4,
        "NewReno: each hole once, on a partial ACK: {:?}",
        c.info
    );
    assert_eq!(first_tcb(&sim, server).ofo_bytes(), 0, "nothing left held");
}

#[test]
fn sack_repairs_a_four_segment_hole_sooner_than_newreno() {
    let (sim, client, server, _, with_sack) = transfer(4, 800_000, true);
    assert_eq!(received(&sim, server), BYTES);
    assert_eq!(first_tcb(&sim, client).info.retrans_segs, 4, "each lost segment once");
    let (_, _, _, _, newreno) = transfer(4, 800_000, false);
    // NewReno resends one hole per round trip (each partial ACK); SACK resends the next hole on every further
    // duplicate ACK, within the first round trip.
    assert!(with_sack < newreno, "SACK {with_sack:?} vs NewReno {newreno:?}");
}
