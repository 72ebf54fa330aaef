//! pf rules with addresses, protocols, interfaces and directions on a router (client — eth0 — router — eth1 —
//! server): `block return all` then `pass in on eth0 proto tcp from 2001:db8:a::/64 to any port 22 keep state`
//! (last match wins), so the client's ssh works and its replies ride the state, the server cannot open
//! connections back (inbound on eth1: `block return` answers with an RST), other ports are refused, `quick`
//! stops at the first match, and an `out` rule filters on the interface the route picks.

mod common;

use common::*;
use dualhome_sim::engine::Sim;
use dualhome_sim::firewall::pf::{Pf, PfAction, PfDir, PfRule};
use dualhome_sim::firewall::Firewall;
use dualhome_sim::id::NodeId;
use dualhome_sim::time::Instant;
use dualhome_sim::transport::socket::Family;
use dualhome_sim::transport::tcp::{TcpError, TcpState};
use dualhome_sim::transport::{ConnId, Service};
use std::net::SocketAddr;

fn ssh_from_lan_a() -> PfRule {
    let mut r = PfRule::pass_tcp(Some(22), false, false);
    r.dir = Some(PfDir::In);
    r.iface = Some("eth0".into());
    r.from = Some(net("2001:db8:a::/64"));
    r
}

fn setup(rules: Vec<PfRule>) -> Routed {
    let mut r = routed(21);
    let mut pf = Pf::default();
    pf.rules = rules;
    r.sim.with_host(r.router, |h, _| h.firewall = Some(Firewall::Pf(pf)));
    for (node, port) in [(r.server, 22), (r.server, 80), (r.client, 22)] {
        let any = SocketAddr::new(ip("::"), port);
        r.sim
            .with_host(node, |h, _| h.tcp_listen(Family::Inet6, any, None, Service::Echo))
            .expect("host")
            .expect("listen");
    }
    r.sim.run_until(Instant::from_secs(3));
    r
}

fn connect(sim: &mut Sim, from: NodeId, to: &str, port: u16) -> ConnId {
    let dst = SocketAddr::new(ip(to), port);
    sim.with_host(from, |h, ctx| h.tcp_connect(ctx, Family::Inet6, dst, None, None))
        .expect("host")
        .expect("connect")
}

fn outcome(r: &Routed, node: NodeId, id: ConnId) -> (TcpState, Option<TcpError>) {
    let c = r.sim.host(node).and_then(|h| h.transport.conn(id)).expect("conn");
    (c.tcb.state, c.tcb.error)
}

#[test]
fn pass_in_on_eth0_from_the_lan_with_state_and_block_return_for_the_rest() {
    let mut r = setup(vec![PfRule::block_all(true, false), ssh_from_lan_a()]);
    let ssh = connect(&mut r.sim, r.client, "2001:db8:b::5", 22);
    let http = connect(&mut r.sim, r.client, "2001:db8:b::5", 80);
    let back = connect(&mut r.sim, r.server, "2001:db8:a::c", 22);
    r.sim.run_until(Instant::from_secs(4));
    r.sim.with_host(r.client, |h, ctx| h.tcp_send(ctx, ssh, b"ls\n"));
    r.sim.run_until(Instant::from_secs(5));
    assert_eq!(outcome(&r, r.client, ssh), (TcpState::Established, None));
    let echoed = r
        .sim
        .host(r.client)
        .and_then(|h| h.transport.conn(ssh))
        .map(|c| c.tcb.bytes_received);
    assert_eq!(echoed, Some(3), "the reply direction rides the state");
    assert_eq!(
        outcome(&r, r.client, http),
        (TcpState::Closed, Some(TcpError::Refused)),
        "block return"
    );
    assert_eq!(
        outcome(&r, r.server, back),
        (TcpState::Closed, Some(TcpError::Refused)),
        "inbound on eth1: no pass rule"
    );
    let Some(Firewall::Pf(pf)) = r.sim.host(r.router).and_then(|h| h.firewall.clone()) else {
        panic!("pf")
    };
    assert_eq!(pf.states(r.sim.now()).count(), 1, "only the ssh connection has a state");
}

#[test]
fn a_pass_rule_for_another_interface_or_source_does_not_match() {
    let mut wrong_if = ssh_from_lan_a();
    wrong_if.iface = Some("eth1".into());
    let mut wrong_src = ssh_from_lan_a();
    wrong_src.from = Some(net("2001:db8:c::/64"));
    for rule in [wrong_if, wrong_src] {
        let mut r = setup(vec![PfRule::block_all(true, false), rule]);
        let ssh = connect(&mut r.sim, r.client, "2001:db8:b::5", 22);
        r.sim.run_until(Instant::from_secs(4));
        assert_eq!(outcome(&r, r.client, ssh), (TcpState::Closed, Some(TcpError::Refused)));
    }
}

#[test]
fn quick_block_wins_over_a_later_pass_and_drops_silently() {
    let mut quick = PfRule::block_all(false, true);
    quick.proto = Some(6);
    quick.port = Some(22);
    quick.to = Some(net("2001:db8:b::5/128"));
    let mut r = setup(vec![quick, ssh_from_lan_a()]);
    let ssh = connect(&mut r.sim, r.client, "2001:db8:b::5", 22);
    r.sim.run_until(Instant::from_secs(10));
    assert_eq!(
        outcome(&r, r.client, ssh).0,
        TcpState::SynSent,
        "SYNs vanish: block drop"
    );
    // Without quick the later pass wins (last match).
    let mut not_quick = PfRule::block_all(false, false);
    not_quick.proto = Some(6);
    let mut r = setup(vec![not_quick, ssh_from_lan_a()]);
    let ssh = connect(&mut r.sim, r.client, "2001:db8:b::5", 22);
    r.sim.run_until(Instant::from_secs(4));
    assert_eq!(outcome(&r, r.client, ssh).0, TcpState::Established);
}

#[test]
fn an_out_rule_filters_on_the_interface_the_route_picks() {
    let mut out_udp = PfRule::new(PfAction::Block { ret: false });
    out_udp.dir = Some(PfDir::Out);
    out_udp.iface = Some("eth1".into());
    out_udp.proto = Some(17);
    let mut r = setup(vec![out_udp]);
    let a = SocketAddr::new(ip("2001:db8:a::c"), 40000);
    let b = SocketAddr::new(ip("2001:db8:b::5"), 40000);
    let (ca, sb) = (
        r.sim
            .with_host(r.client, |h, _| h.udp_bind(Family::Inet6, a, None, None))
            .expect("client")
            .expect("bind"),
        r.sim
            .with_host(r.server, |h, _| h.udp_bind(Family::Inet6, b, None, None))
            .expect("server")
            .expect("bind"),
    );
    r.sim.with_host(r.client, |h, ctx| h.udp_send(ctx, a, b, b"to server"));
    r.sim.with_host(r.server, |h, ctx| h.udp_send(ctx, b, a, b"to client"));
    r.sim.run_until(Instant::from_secs(4));
    let queued = |node: NodeId, id| {
        r.sim
            .host(node)
            .and_then(|h| h.transport.udp_queues.get(&id).map(Vec::len))
    };
    assert_eq!(queued(r.server, sb), Some(0), "leaving on eth1: blocked");
    assert_eq!(queued(r.client, ca), Some(1), "leaving on eth0: passed");
    // TCP is not UDP: ssh still works (no rule matches, pf's implicit pass).
    let ssh = connect(&mut r.sim, r.client, "2001:db8:b::5", 22);
    r.sim.run_until(Instant::from_secs(5));
    assert_eq!(outcome(&r, r.client, ssh).0, TcpState::Established);
}
