//! ICMP errors reaching sockets (client — router — server), as `tcp_v6_err`, `tcp_v4_err`, `__udp6_lib_err` and
//! `icmpv6_err_convert` do on Linux: a connect to an address nobody answers on the server's LAN fails with
//! EHOSTUNREACH when the router's address unreachable arrives (not ETIMEDOUT two minutes later); an established
//! connection keeps going through such errors and reports the last one when it finally times out; a connected
//! UDP socket gets ECONNREFUSED from a port unreachable, an unconnected one nothing; Packet Too Big lowers the
//! MSS and a bulk transfer completes through a 1280-byte link.

mod common;

use common::*;
use dualhome_sim::app::bulk::BulkSend;
use dualhome_sim::host::route::Route;
use dualhome_sim::time::Instant;
use dualhome_sim::transport::icmp_err::Errno;
use dualhome_sim::transport::socket::{Family, SockError};
use dualhome_sim::transport::tcp::{TcpError, TcpState};
use dualhome_sim::transport::{ConnId, Service};
use std::net::SocketAddr;

fn setup() -> Routed {
    let mut r = routed(5);
    r.sim.run_until(Instant::from_secs(3));
    r
}

fn conn_state(r: &Routed, id: ConnId) -> (TcpState, Option<TcpError>, Option<Instant>) {
    let h = r.sim.host(r.client).expect("client");
    let c = h.transport.conn(id).expect("conn");
    (c.tcb.state, c.tcb.error, c.tcb.closed_at)
}

#[test]
fn connect_to_a_silent_address_fails_with_ehostunreach_from_the_routers_error() {
    for dst in ["2001:db8:b::99", "198.51.100.99"] {
        let mut r = setup();
        let family = if dst.contains(':') { Family::Inet6 } else { Family::Inet };
        let to = SocketAddr::new(ip(dst), 22);
        let id = r
            .sim
            .with_host(r.client, |h, ctx| h.tcp_connect(ctx, family, to, None, None))
            .expect("client")
            .expect("connect");
        r.sim.run_until(Instant::from_secs(10));
        let (state, err, closed) = conn_state(&r, id);
        assert_eq!(state, TcpState::Closed, "{dst}");
        assert_eq!(err, Some(TcpError::Unreachable(Errno::HostUnreach)), "{dst}");
        // Neighbour resolution gives up after 3 probes 1 s apart: the error arrives about 3 s after the SYN.
        let at = closed.expect("closed").saturating_since(Instant::from_secs(3));
        assert!(at.as_millis() >= 2_900 && at.as_millis() < 4_500, "{dst}: {at:?}");
    }
}

#[test]
fn established_connection_survives_soft_errors_and_times_out_with_the_last_one() {
    let mut r = setup();
    let any = SocketAddr::new(ip("::"), 22);
    r.sim
        .with_host(r.server, |h, _| h.tcp_listen(Family::Inet6, any, None, Service::Echo))
        .expect("server")
        .expect("listen");
    let to = SocketAddr::new(ip("2001:db8:b::5"), 22);
    let id = r
        .sim
        .with_host(r.client, |h, ctx| h.tcp_connect(ctx, Family::Inet6, to, None, None))
        .expect("client")
        .expect("connect");
    r.sim.run_until(Instant::from_secs(4));
    assert_eq!(conn_state(&r, id).0, TcpState::Established);
    // The server vanishes (its port goes down): the router's neighbour entry fails and every further segment
    // draws an address unreachable.
    let s0 = r
        .sim
        .host(r.server)
        .and_then(|h| h.tables.ifaces.by_name("eth0").map(|i| i.ifindex))
        .expect("eth0");
    r.sim
        .with_host(r.server, |h, ctx| h.set_link(ctx, s0, false))
        .expect("server")
        .expect("link");
    r.sim.with_host(r.client, |h, ctx| h.tcp_send(ctx, id, b"still there?"));
    r.sim.run_until(Instant::from_secs(60));
    let c = r
        .sim
        .host(r.client)
        .and_then(|h| h.transport.conn(id).cloned())
        .expect("conn");
    assert_eq!(c.tcb.state, TcpState::Established, "soft errors do not abort");
    assert_eq!(c.tcb.soft_error, Some(Errno::HostUnreach));
    // tcp_retries2 = 15: about 924.6 s after the first unacknowledged transmission; then sk_err_soft is the error.
    r.sim.run_until(Instant::from_secs(1000));
    let (state, err, _) = conn_state(&r, id);
    assert_eq!(
        (state, err),
        (TcpState::Closed, Some(TcpError::SoftError(Errno::HostUnreach)))
    );
    assert_eq!(
        err.map(|e| e.to_string()),
        Some("EHOSTUNREACH: no route to host".into())
    );
}

#[test]
fn connected_udp_socket_gets_econnrefused_and_an_unconnected_one_does_not() {
    let mut r = setup();
    let a = SocketAddr::new(ip("2001:db8:a::c"), 40001);
    let b = SocketAddr::new(ip("2001:db8:a::c"), 40002);
    let to = SocketAddr::new(ip("2001:db8:b::5"), 9);
    let (ca, cb) = r
        .sim
        .with_host(r.client, |h, ctx| {
            let ca = h.udp_bind(Family::Inet6, a, None, None)?;
            let cb = h.udp_bind(Family::Inet6, b, None, None)?;
            h.udp_connect(ca, to)?;
            h.udp_send(ctx, a, to, b"x")?;
            h.udp_send(ctx, b, to, b"y")?;
            Ok::<_, SockError>((ca, cb))
        })
        .expect("client")
        .expect("udp");
    r.sim.run_until(Instant::from_secs(4));
    r.sim.with_host(r.client, |h, _| {
        assert_eq!(h.sock_take_error(ca), Some(SockError::Icmp(Errno::ConnRefused)));
        assert_eq!(h.sock_take_error(ca), None, "SO_ERROR clears it");
        assert_eq!(
            h.sock_take_error(cb),
            None,
            "unconnected: no IP_RECVERR, nothing reported"
        );
    });
}

#[test]
fn packet_too_big_lowers_the_mss_and_the_bulk_transfer_completes() {
    // IPv6 Packet Too Big (1280 − 40 − 20) and IPv4 Fragmentation Needed with DF set (1000 − 20 − 20).
    for (server, prefix, mtu, mss) in [("2001:db8:b::5", 128, 1280, 1220), ("198.51.100.5", 32, 1000, 960)] {
        let mut r = setup();
        // The router reaches the server over a narrower path (a route MTU metric, `ip route add … mtu N`).
        let r1 = r
            .sim
            .host(r.router)
            .and_then(|h| h.tables.ifaces.by_name("eth1").map(|i| i.ifindex))
            .expect("eth1");
        let mut narrow = Route::new(net(&format!("{server}/{prefix}")), None, r1);
        narrow.metrics.mtu = Some(mtu);
        r.sim
            .with_host(r.router, |h, _| h.add_route(narrow))
            .expect("router")
            .expect("route");
        let any = SocketAddr::new(ip("::"), 5001);
        r.sim
            .with_host(r.server, |h, _| {
                h.tcp_listen(Family::Inet6, any, None, Service::Discard)
            })
            .expect("server")
            .expect("listen");
        let dst = SocketAddr::new(ip(server), 5001);
        let bytes = 200_000;
        r.sim
            .with_host(r.client, |h, ctx| h.start_app(ctx, Box::new(BulkSend::new(dst, bytes))))
            .expect("client");
        r.sim.run_until(Instant::from_secs(20));
        let read: u64 = r
            .sim
            .host(r.server)
            .map_or(0, |h| h.transport.conns.iter().map(|c| c.read).sum());
        assert_eq!(read, bytes, "{server}");
        let h = r.sim.host(r.client).expect("client");
        let c = h.transport.conns.first().expect("conn");
        assert_eq!(c.tcb.mss(), mss, "{server}");
        assert!(c.tcb.info.retrans_segs > 0, "{server}: what was in flight went again");
    }
}
