//! TCP between hosts through a router: the socket outcomes (ECONNREFUSED, ETIMEDOUT, EADDRINUSE,
//! EADDRNOTAVAIL), dual-stack and V6ONLY listeners reached by IPv4 and IPv6 clients, nginx `listen` directives,
//! and the http / heartbeat / bulk applications.

mod common;

use common::*;
use dualhome_sim::app::bulk::BulkSend;
use dualhome_sim::app::heartbeat::{Heartbeat, HeartbeatConfig};
use dualhome_sim::app::http::HttpGet;
use dualhome_sim::engine::Sim;
use dualhome_sim::firewall::conntrack::CtConfig;
use dualhome_sim::firewall::nft::{Action, NftFirewall, NftRule};
use dualhome_sim::firewall::Firewall;
use dualhome_sim::id::NodeId;
use dualhome_sim::time::Instant;
use dualhome_sim::transport::nginx::parse_server_listens;
use dualhome_sim::transport::socket::{Family, SockError};
use dualhome_sim::transport::tcp::{TcpError, TcpState};
use dualhome_sim::transport::{ConnId, Service};
use std::net::{IpAddr, SocketAddr};

fn sa(a: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip(a), port)
}

fn listen(s: &mut Sim, node: NodeId, fam: Family, addr: SocketAddr, v6only: Option<bool>, svc: Service) {
    s.with_host(node, |h, _| h.tcp_listen(fam, addr, v6only, svc))
        .expect("host")
        .expect("listen");
}

fn connect(s: &mut Sim, node: NodeId, fam: Family, dst: SocketAddr) -> ConnId {
    s.with_host(node, |h, ctx| h.tcp_connect(ctx, fam, dst, None, None))
        .expect("host")
        .expect("connect")
}

fn state(s: &Sim, node: NodeId, id: ConnId) -> (TcpState, Option<TcpError>, Option<Instant>) {
    let c = s.host(node).and_then(|h| h.transport.conn(id)).expect("conn");
    (c.tcb.state, c.tcb.error, c.tcb.closed_at)
}

#[test]
fn dual_stack_listener_takes_both_families_and_sees_v4_mapped_peers() {
    let mut r = routed(1);
    listen(
        &mut r.sim,
        r.server,
        Family::Inet6,
        sa("::", 22),
        Some(false),
        Service::Echo,
    );
    r.sim.run_until(Instant::from_secs(3));
    let c6 = connect(&mut r.sim, r.client, Family::Inet6, sa("2001:db8:b::5", 22));
    let c4 = connect(&mut r.sim, r.client, Family::Inet6, sa("::ffff:198.51.100.5", 22));
    r.sim.run_until(Instant::from_secs(4));
    assert_eq!(state(&r.sim, r.client, c6).0, TcpState::Established);
    assert_eq!(state(&r.sim, r.client, c4).0, TcpState::Established);
    let h = r.sim.host(r.server).expect("server");
    let peers: Vec<String> = h
        .transport
        .conns
        .iter()
        .map(|c| h.transport.sockets.app_view(c.sock, c.tcb.remote).ip().to_string())
        .collect();
    assert_eq!(peers, ["2001:db8:a::c", "::ffff:192.0.2.10"]);
}

#[test]
fn v6only_listener_refuses_ipv4_with_an_rst() {
    let mut r = routed(2);
    listen(
        &mut r.sim,
        r.server,
        Family::Inet6,
        sa("::", 80),
        Some(true),
        Service::Discard,
    );
    r.sim.run_until(Instant::from_secs(3));
    let c4 = connect(&mut r.sim, r.client, Family::Inet, sa("198.51.100.5", 80));
    let c6 = connect(&mut r.sim, r.client, Family::Inet6, sa("2001:db8:b::5", 80));
    r.sim.run_until(Instant::from_secs(4));
    let (st, err, _) = state(&r.sim, r.client, c4);
    assert_eq!((st, err), (TcpState::Closed, Some(TcpError::Refused)));
    assert_eq!(state(&r.sim, r.client, c6).0, TcpState::Established);
    assert_eq!(r.sim.host(r.server).expect("server").transport.resets_sent, 1);
}

#[test]
fn silent_destination_times_out_after_the_syn_retries() {
    let mut r = routed(3);
    // The router drops SYNs to port 22 silently (`tcp dport 22 drop`): no RST and no ICMP error comes back (an
    // absent host would draw address unreachable, tests/icmp_sockets.rs), so connect() gives up at 127 s.
    let mut fw = NftFirewall::invalid_only(Action::Drop, CtConfig::default());
    fw.rules.push(NftRule::new(Action::Drop).tcp_dport(22));
    r.sim
        .with_host(r.router, |h, _| h.firewall = Some(Firewall::Conntrack(fw)));
    r.sim.run_until(Instant::from_secs(3));
    let c = connect(&mut r.sim, r.client, Family::Inet6, sa("2001:db8:b::5", 22));
    r.sim.run_until(Instant::from_secs(200));
    let (st, err, at) = state(&r.sim, r.client, c);
    assert_eq!((st, err), (TcpState::Closed, Some(TcpError::TimedOut)));
    assert_eq!(
        at.map(|t| t.saturating_since(Instant::from_secs(3)).as_secs()),
        Some(127)
    );
}

#[test]
fn bind_errors_on_a_host() {
    let mut r = routed(4);
    listen(
        &mut r.sim,
        r.server,
        Family::Inet,
        sa("0.0.0.0", 80),
        None,
        Service::Discard,
    );
    let dual = r
        .sim
        .with_host(r.server, |h, _| {
            h.tcp_listen(Family::Inet6, sa("::", 80), Some(false), Service::Discard)
        })
        .expect("host");
    assert_eq!(dual, Err(SockError::AddrInUse));
    let foreign = r
        .sim
        .with_host(r.server, |h, _| {
            h.tcp_listen(Family::Inet6, sa("2001:db8:a::c", 80), None, Service::Discard)
        })
        .expect("host");
    assert_eq!(foreign, Err(SockError::AddrNotAvail));
    // bindv6only=1 makes a plain [::] listener v6-only, so it coexists with 0.0.0.0:80.
    sysctl(&mut r.sim, r.server, "net.ipv6.bindv6only", "1");
    let v6 = r
        .sim
        .with_host(r.server, |h, _| {
            h.tcp_listen(Family::Inet6, sa("::", 80), None, Service::Discard)
        })
        .expect("host");
    assert!(v6.is_ok());
}

#[test]
fn nginx_listen_directives_open_the_sockets_nginx_would() {
    let mut r = routed(5);
    let conf = "server {\n listen 80;\n listen [::]:80;\n server_name _;\n}";
    for l in parse_server_listens(conf).expect("config") {
        let svc = Service::Http {
            status: 200,
            body_len: 612,
        };
        listen(&mut r.sim, r.server, l.family, l.addr, l.v6only, svc);
    }
    r.sim.run_until(Instant::from_secs(3));
    let apps: Vec<usize> = ["198.51.100.5", "2001:db8:b::5"]
        .iter()
        .map(|d| {
            r.sim
                .with_host(r.client, |h, ctx| {
                    h.start_app(ctx, Box::new(HttpGet::new(sa(d, 80), "/")))
                })
                .expect("client")
        })
        .collect();
    r.sim.run_until(Instant::from_secs(5));
    for a in apps {
        let rep = r.sim.host(r.client).and_then(|h| h.app_report(a)).expect("report");
        assert_eq!(
            (rep.status, rep.bytes_received, rep.failures),
            (Some(200), 612, 0),
            "{rep:?}"
        );
    }
    // The same server with `ipv6only=off` next to `listen 80;` fails to start.
    let conf = "listen 80; listen [::]:80 ipv6only=off;";
    let mut r = routed(6);
    let results: Vec<Result<_, SockError>> = parse_server_listens(conf)
        .expect("config")
        .into_iter()
        .map(|l| {
            r.sim
                .with_host(r.server, |h, _| {
                    h.tcp_listen(l.family, l.addr, l.v6only, Service::Discard)
                })
                .expect("host")
        })
        .collect();
    assert!(results[0].is_ok());
    assert_eq!(results[1], Err(SockError::AddrInUse));
}

#[test]
fn heartbeat_reaches_the_director_and_reports_when_it_cannot() {
    let mut r = routed(7);
    listen(
        &mut r.sim,
        r.server,
        Family::Inet,
        sa("0.0.0.0", 4222),
        None,
        Service::Echo,
    );
    r.sim.run_until(Instant::from_secs(3));
    let ok = r
        .sim
        .with_host(r.client, |h, ctx| {
            h.start_app(
                ctx,
                Box::new(Heartbeat::new(HeartbeatConfig::new(ip("198.51.100.5"), 3))),
            )
        })
        .expect("client");
    // The IPv6 director address has no listener on 4222: every beat is refused.
    let refused = r
        .sim
        .with_host(r.client, |h, ctx| {
            h.start_app(
                ctx,
                Box::new(Heartbeat::new(HeartbeatConfig::new(ip("2001:db8:b::5"), 2))),
            )
        })
        .expect("client");
    r.sim.run_until(Instant::from_secs(80));
    let h = r.sim.host(r.client).expect("client");
    let a = h.app_report(ok).expect("report");
    assert_eq!((a.successes, a.failures), (3, 0), "{a:?}");
    let hb = h.app::<Heartbeat>(ok).expect("heartbeat");
    let gaps: Vec<u64> = hb
        .answered
        .windows(2)
        .map(|w| w[1].saturating_since(w[0]).as_secs_f64().round() as u64)
        .collect();
    assert_eq!(gaps, [20, 20]);
    let b = h.app_report(refused).expect("report");
    assert_eq!(
        (b.successes, b.failures, b.error),
        (0, 2, Some(TcpError::Refused)),
        "{b:?}"
    );
}

#[test]
fn bulk_transfer_through_the_router_delivers_every_byte() {
    let mut r = routed(8);
    listen(
        &mut r.sim,
        r.server,
        Family::Inet6,
        sa("::", 5001),
        None,
        Service::Discard,
    );
    r.sim.run_until(Instant::from_secs(3));
    let total = 5_000_000;
    let app = r
        .sim
        .with_host(r.client, |h, ctx| {
            h.start_app(ctx, Box::new(BulkSend::new(sa("2001:db8:b::5", 5001), total)))
        })
        .expect("client");
    r.sim.run_until(Instant::from_secs(10));
    let rep = r.sim.host(r.client).and_then(|h| h.app_report(app)).expect("report");
    assert_eq!((rep.bytes_sent, rep.successes, rep.error), (total, 1, None), "{rep:?}");
    let got: u64 = r
        .sim
        .host(r.server)
        .expect("server")
        .transport
        .conns
        .iter()
        .map(|c| c.read)
        .sum();
    assert_eq!(got, total);
    let took = rep.finished_at.expect("done").saturating_since(Instant::from_secs(3));
    assert!(
        took.as_secs_f64() < 1.0,
        "window-limited transfer over 40 µs RTT took {took:?}"
    );
    let _: IpAddr = ip("::");
}

#[test]
fn link_local_peers_need_a_scope_and_stay_on_that_interface() {
    let mut r = routed(9);
    listen(&mut r.sim, r.router, Family::Inet6, sa("::", 22), None, Service::Echo);
    r.sim.run_until(Instant::from_secs(3));
    // The router's link-local on lan-a, from its MAC 52:54:00:00:02:00 (EUI-64).
    let ll: std::net::Ipv6Addr = "fe80::5054:ff:fe00:200".parse().expect("ll");
    let no_scope = r
        .sim
        .with_host(r.client, |h, ctx| {
            h.tcp_connect(ctx, Family::Inet6, SocketAddr::new(IpAddr::V6(ll), 22), None, None)
        })
        .expect("client");
    assert_eq!(no_scope, Err(SockError::Invalid));
    let scoped = SocketAddr::V6(std::net::SocketAddrV6::new(ll, 22, 0, 2));
    let c = r
        .sim
        .with_host(r.client, |h, ctx| h.tcp_connect(ctx, Family::Inet6, scoped, None, None))
        .expect("client")
        .expect("connect");
    r.sim.run_until(Instant::from_secs(4));
    let conn = r.sim.host(r.client).and_then(|h| h.transport.conn(c)).expect("conn");
    assert_eq!(conn.tcb.state, TcpState::Established);
    assert!(
        conn.tcb.local.ip().to_string().starts_with("fe80::"),
        "link-local source for a link-local peer"
    );
    let accepted = r.sim.host(r.router).map(|h| h.transport.conns.len());
    assert_eq!(accepted, Some(1));
}
