//! Firewalls on a router's forward path with symmetric routing (client — router — server): conntrack sees both
//! directions and the flow is ESTABLISHED without UNREPLIED; pf reaches tcp.established; rejected and dropped
//! SYNs give ECONNREFUSED and ETIMEDOUT; `tcp_loose` 0 or the hardening rule turn the F4 reset into a hang (F7,
//! F13).

mod common;

use common::*;
use dualhome_sim::app::ssh::{Ssh, SshConfig};
use dualhome_sim::engine::Sim;
use dualhome_sim::firewall::conntrack::{CtConfig, CtInfo};
use dualhome_sim::firewall::nft::{Action, NftFirewall, NftRule};
use dualhome_sim::firewall::pf::{Pf, Timeout};
use dualhome_sim::firewall::Firewall;
use dualhome_sim::id::NodeId;
use dualhome_sim::time::Instant;
use dualhome_sim::transport::socket::Family;
use dualhome_sim::transport::tcp::TcpError;
use dualhome_sim::transport::Service;
use std::net::SocketAddr;
use std::time::Duration;

fn with_fw(seed: u64, fw: Firewall) -> Routed {
    let mut r = routed(seed);
    r.sim.with_host(r.router, |h, _| h.firewall = Some(fw));
    let any = SocketAddr::new(ip("::"), 22);
    r.sim
        .with_host(r.server, |h, _| h.tcp_listen(Family::Inet6, any, None, Service::Echo))
        .expect("server")
        .expect("listen");
    r.sim.run_until(Instant::from_secs(3));
    r
}

fn ssh(sim: &mut Sim, node: NodeId, dst: &str, secs: u64) -> usize {
    let mut cfg = SshConfig::new(ip(dst));
    cfg.duration = Duration::from_secs(secs);
    sim.with_host(node, |h, ctx| h.start_app(ctx, Box::new(Ssh::new(cfg))))
        .expect("host")
}

fn firewall(sim: &Sim, router: NodeId) -> Firewall {
    sim.host(router).and_then(|h| h.firewall.clone()).expect("firewall")
}

#[test]
fn conntrack_tracks_a_symmetric_flow_as_established() {
    let fw = NftFirewall::stateful(&[22], CtConfig::default());
    let mut r = with_fw(1, Firewall::Conntrack(fw));
    let a = ssh(&mut r.sim, r.client, "2001:db8:b::5", 60);
    r.sim.run_until(Instant::from_secs(30));
    let Firewall::Conntrack(fw) = firewall(&r.sim, r.router) else {
        panic!("conntrack")
    };
    let listing = fw.conntrack.render(r.sim.now());
    assert!(listing.starts_with("tcp      6 43"), "{listing}");
    assert!(
        listing.contains(" ESTABLISHED src=2001:db8:a::c dst=2001:db8:b::5 "),
        "{listing}"
    );
    assert!(!listing.contains("UNREPLIED"));
    assert!(fw.rules[0].packets > 0, "established,related accepted the flow");
    r.sim.run_until(Instant::from_secs(80));
    let rep = r.sim.host(r.client).and_then(|h| h.app_report(a)).expect("report");
    assert_eq!(
        (rep.reset_at, rep.stalled_at, rep.successes),
        (None, None, 5),
        "{rep:?}"
    );
}

#[test]
fn pf_symmetric_flow_reaches_tcp_established() {
    let mut r = with_fw(2, Firewall::Pf(Pf::ssh_ruleset(22, true, false)));
    ssh(&mut r.sim, r.client, "2001:db8:b::5", 600);
    r.sim.run_until(Instant::from_secs(200));
    let Firewall::Pf(pf) = firewall(&r.sim, r.router) else {
        panic!("pf")
    };
    let states: Vec<Timeout> = pf.states(r.sim.now()).map(|(_, s)| s.timeout).collect();
    assert_eq!(states, [Timeout::Established]);
}

#[test]
fn reject_and_drop_of_the_syn() {
    // Port 23 is not in the ruleset: reject with tcp reset → ECONNREFUSED at once.
    let fw = NftFirewall::stateful(&[22], CtConfig::default());
    let mut r = with_fw(3, Firewall::Conntrack(fw));
    let c = r
        .sim
        .with_host(r.client, |h, ctx| {
            h.tcp_connect(ctx, Family::Inet6, SocketAddr::new(ip("2001:db8:b::5"), 23), None, None)
        })
        .expect("client")
        .expect("connect");
    r.sim.run_until(Instant::from_secs(4));
    let err = r
        .sim
        .host(r.client)
        .and_then(|h| h.transport.conn(c))
        .map(|c| c.tcb.error);
    assert_eq!(err, Some(Some(TcpError::Refused)));
    // pf block drop: the SYNs vanish, connect() times out after 127 s.
    let mut r = with_fw(4, Firewall::Pf(Pf::ssh_ruleset(22, false, false)));
    let c = r
        .sim
        .with_host(r.client, |h, ctx| {
            h.tcp_connect(ctx, Family::Inet6, SocketAddr::new(ip("2001:db8:b::5"), 23), None, None)
        })
        .expect("client")
        .expect("connect");
    r.sim.run_until(Instant::from_secs(200));
    let c = r.sim.host(r.client).and_then(|h| h.transport.conn(c)).expect("conn");
    assert_eq!(c.tcb.error, Some(TcpError::TimedOut));
    assert_eq!(c.tcb.closed_at, Some(Instant::from_secs(130)));
}

#[test]
fn hardening_rule_turns_the_mid_stream_pickup_into_a_drop() {
    let mut fw = NftFirewall::invalid_only(Action::Drop, CtConfig::default());
    let mut harden = NftRule::new(Action::Drop).ct(&[CtInfo::New]);
    harden.not_syn = true;
    fw.rules.insert(0, harden);
    let mut r = with_fw(5, Firewall::Conntrack(fw));
    // Symmetric here, so nothing is INVALID and the flow lives: the rule only bites mid-stream packets.
    let a = ssh(&mut r.sim, r.client, "2001:db8:b::5", 60);
    r.sim.run_until(Instant::from_secs(70));
    let rep = r.sim.host(r.client).and_then(|h| h.app_report(a)).expect("report");
    assert_eq!((rep.reset_at, rep.stalled_at), (None, None), "{rep:?}");
    let Firewall::Conntrack(fw) = firewall(&r.sim, r.router) else {
        panic!("conntrack")
    };
    assert_eq!(fw.rules[0].packets, 0);
}
