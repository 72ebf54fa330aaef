//! UDP through a router: an echo service answers from the address the datagram was sent to, a closed port
//! draws ICMP port unreachable, and the bind semantics match TCP's (dual-stack and V6ONLY sockets).

mod common;

use common::*;
use dualhome_sim::app::udp_echo::UdpEcho;
use dualhome_sim::time::Instant;
use dualhome_sim::transport::socket::{Family, SockError};
use dualhome_sim::transport::Service;
use std::net::SocketAddr;
use std::time::Duration;

fn sa(a: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip(a), port)
}

#[test]
fn echo_over_both_families_to_a_dual_stack_socket() {
    let mut r = routed(1);
    r.sim
        .with_host(r.server, |h, _| {
            h.udp_bind(Family::Inet6, sa("::", 7), Some(false), Some(Service::Echo))
        })
        .expect("server")
        .expect("bind");
    r.sim.run_until(Instant::from_secs(3));
    let apps: Vec<usize> = ["2001:db8:b::5", "198.51.100.5"]
        .iter()
        .map(|d| {
            let app = UdpEcho::new(sa(d, 7), 10, 64, Duration::from_millis(1));
            r.sim
                .with_host(r.client, |h, ctx| h.start_app(ctx, Box::new(app)))
                .expect("client")
        })
        .collect();
    r.sim.run_until(Instant::from_secs(6));
    for a in apps {
        let rep = r.sim.host(r.client).and_then(|h| h.app_report(a)).expect("report");
        assert_eq!(
            (rep.successes, rep.failures, rep.bytes_received),
            (10, 0, 640),
            "{rep:?}"
        );
        assert!(rep.finished_at.is_some());
    }
}

#[test]
fn closed_port_draws_port_unreachable_and_counts_no_listener() {
    let mut r = routed(2);
    r.sim.run_until(Instant::from_secs(3));
    let app = UdpEcho::new(sa("2001:db8:b::5", 9999), 3, 8, Duration::from_millis(10));
    let a = r
        .sim
        .with_host(r.client, |h, ctx| h.start_app(ctx, Box::new(app)))
        .expect("client");
    r.sim.run_until(Instant::from_secs(6));
    let rep = r.sim.host(r.client).and_then(|h| h.app_report(a)).expect("report");
    assert_eq!((rep.successes, rep.failures), (0, 3));
    let server = r.sim.host(r.server).expect("server");
    assert_eq!(server.counters.no_listener, 3);
    assert!(
        server.counters.icmp_out_errors >= 1,
        "ICMPv6 port unreachable sent (rate limited)"
    );
}

#[test]
fn v6only_udp_socket_ignores_ipv4_and_frees_the_ipv4_port() {
    let mut r = routed(3);
    let v6 = r
        .sim
        .with_host(r.server, |h, _| {
            h.udp_bind(Family::Inet6, sa("::", 53), Some(true), None)
        })
        .expect("server");
    assert!(v6.is_ok());
    let v4 = r
        .sim
        .with_host(r.server, |h, _| {
            h.udp_bind(Family::Inet, sa("0.0.0.0", 53), None, Some(Service::Discard))
        })
        .expect("server");
    assert!(v4.is_ok(), "V6ONLY leaves 0.0.0.0:53 free");
    let again = r
        .sim
        .with_host(r.server, |h, _| {
            h.udp_bind(Family::Inet6, sa("::", 53), Some(false), None)
        })
        .expect("server");
    assert_eq!(again, Err(SockError::AddrInUse));
    r.sim.run_until(Instant::from_secs(3));
    let app = UdpEcho::new(sa("198.51.100.5", 53), 2, 20, Duration::from_millis(5));
    r.sim.with_host(r.client, |h, ctx| h.start_app(ctx, Box::new(app)));
    let app6 = UdpEcho::new(sa("2001:db8:b::5", 53), 2, 20, Duration::from_millis(5));
    r.sim.with_host(r.client, |h, ctx| h.start_app(ctx, Box::new(app6)));
    r.sim.run_until(Instant::from_secs(5));
    let server = r.sim.host(r.server).expect("server");
    let queued: Vec<(String, usize)> = server
        .transport
        .udp_queues
        .values()
        .flatten()
        .map(|d| (d.from.ip().to_string(), d.data.len()))
        .collect();
    assert_eq!(
        queued,
        [("2001:db8:a::c".to_string(), 20), ("2001:db8:a::c".to_string(), 20)]
    );
    assert_eq!(
        server.counters.no_listener, 0,
        "the IPv4 datagrams went to the AF_INET socket"
    );
}
