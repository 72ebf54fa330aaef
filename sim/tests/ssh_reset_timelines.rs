//! The asymmetric-routing ssh reset (seed issue; linux-ipv6.md E8, F4, F6, F11): a workstation on VLAN A, a VM with
//! eth0 on A (IPv4 and a near IPv6 address) and eth1 on B (the far IPv6 address and the default route), a router
//! between A and B running a stateful firewall. ssh to the far address goes in through the router; the SYN-ACK
//! and everything after leave eth0 straight to the workstation, so the firewall sees one direction only.

mod common;

use common::*;
use dualhome_sim::app::host_app::AppReport;
use dualhome_sim::app::ssh::{Ssh, SshConfig};
use dualhome_sim::engine::Sim;
use dualhome_sim::firewall::conntrack::{CtConfig, CtInfo};
use dualhome_sim::firewall::nft::{Action, NftFirewall, NftRule};
use dualhome_sim::firewall::pf::Pf;
use dualhome_sim::firewall::Firewall;
use dualhome_sim::id::{NodeId, SegmentId};
use dualhome_sim::time::Instant;
use dualhome_sim::transport::socket::Family;
use dualhome_sim::transport::tcp::TcpError;
use dualhome_sim::transport::Service;
use dualhome_sim::wire::tcp::TcpFlags;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

const FAR: &str = "2001:db8:b::10";
const NEAR: &str = "2001:db8:a::20";
const VM4: &str = "10.0.1.20";

struct Seed {
    sim: Sim,
    ws: NodeId,
    router: NodeId,
    vm: NodeId,
    vlan_a: SegmentId,
}

/// The seed topology. `near`: the VM has its eth0 IPv6 address (SLAAC in the field; static here, same prefix).
fn seed(seed: u64, firewall: Option<Firewall>, near: bool) -> Seed {
    let mut s = sim(seed);
    let vlan_a = segment(&mut s, "vlan-a");
    let vlan_b = segment(&mut s, "vlan-b");
    let ws = s.add_host("workstation");
    let router = s.add_host("router");
    let vm = s.add_host("vm");
    sysctl(&mut s, router, "net.ipv6.conf.all.forwarding", "1");
    sysctl(&mut s, router, "net.ipv4.conf.all.forwarding", "1");
    let w0 = nic(&mut s, ws, "eth0", vlan_a, 1, 0, &["2001:db8:a::c/64", "10.0.1.12/24"]);
    nic(
        &mut s,
        router,
        "eth0",
        vlan_a,
        2,
        0,
        &["2001:db8:a::1/64", "10.0.1.1/24"],
    );
    nic(&mut s, router, "eth1", vlan_b, 2, 1, &["2001:db8:b::1/64"]);
    let near_addr = format!("{NEAR}/64");
    let eth0_addrs: Vec<&str> = if near {
        vec!["10.0.1.20/24", &near_addr]
    } else {
        vec!["10.0.1.20/24"]
    };
    nic(&mut s, vm, "eth0", vlan_a, 3, 0, &eth0_addrs);
    let v1 = nic(&mut s, vm, "eth1", vlan_b, 3, 1, &["2001:db8:b::10/64"]);
    route(&mut s, ws, "::/0", Some("2001:db8:a::1"), w0);
    route(&mut s, vm, "::/0", Some("2001:db8:b::1"), v1);
    s.with_host(router, |h, _| h.firewall = firewall);
    // sshd: `ListenAddress ::` (dual-stack with bindv6only 0); the shell echoes keystrokes.
    let any = SocketAddr::new(ip("::"), 22);
    s.with_host(vm, |h, _| h.tcp_listen(Family::Inet6, any, None, Service::Echo))
        .expect("vm")
        .expect("listen");
    s.capture(vlan_a);
    s.run_until(Instant::from_secs(3));
    Seed {
        sim: s,
        ws,
        router,
        vm,
        vlan_a,
    }
}

const START: Instant = Instant::from_secs(5);

fn ssh(s: &mut Seed, dst: &str, duration: Duration, interval: Duration) -> AppReport {
    let mut cfg = SshConfig::new(ip(dst));
    cfg.duration = duration;
    cfg.interval = interval;
    let app = s
        .sim
        .with_host(s.ws, |h, ctx| h.start_app(ctx, Box::new(Ssh::new(cfg))))
        .expect("ws");
    s.sim.run_until(START + duration + Duration::from_secs(5));
    s.sim.host(s.ws).and_then(|h| h.app_report(app)).expect("report")
}

fn start_ssh(s: &mut Seed, dst: &str, duration: Duration) -> AppReport {
    s.sim.run_until(START);
    ssh(s, dst, duration, Duration::from_secs(10))
}

/// TCP segments captured on VLAN A from `src` with exactly `flags`, as (time, seq).
fn segments_on_a(s: &Seed, src: &str, flags: TcpFlags) -> Vec<(Instant, u32)> {
    s.sim
        .captured(s.vlan_a)
        .iter()
        .filter_map(|c| {
            let v = c.frame.view().ok()?;
            let t = v.tcp()?.ok()?;
            let (from, _) = v.ipv6_addrs()?;
            (IpAddr::V6(from) == ip(src) && t.flags == flags).then_some((c.at, t.seq))
        })
        .collect()
}

fn secs_after_handshake(r: &AppReport, at: Option<Instant>) -> f64 {
    let est = r.established_at.expect("handshake completed");
    at.expect("event").saturating_since(est).as_secs_f64()
}

#[test]
fn far_address_with_pf_block_return_resets_30_to_40_s_after_the_handshake() {
    // Someone typing (a keystroke every 2 s): the first keystroke after the purge pass draws the RST.
    let mut s = seed(1, Some(Firewall::Pf(Pf::ssh_ruleset(22, true, false))), true);
    s.sim.run_until(START);
    let r = ssh(&mut s, FAR, Duration::from_secs(600), Duration::from_secs(2));
    let t = secs_after_handshake(&r, r.reset_at);
    assert!((30.0..=40.0).contains(&t), "reset {t} s after the handshake: {r:?}");
    // Typing every 10 s: "ssh session reset within 60 seconds" (the seed).
    let mut s10 = seed(6, Some(Firewall::Pf(Pf::ssh_ruleset(22, true, false))), true);
    let r10 = start_ssh(&mut s10, FAR, Duration::from_secs(600));
    let t10 = secs_after_handshake(&r10, r10.reset_at);
    assert!(
        (30.0..=60.0).contains(&t10),
        "reset {t10} s after the handshake: {r10:?}"
    );
    assert_eq!(r.error, Some(TcpError::Reset));
    assert!(r.bytes_sent > 0, "data flowed before the purge");
    // The asymmetry itself: the VM's SYN-ACK left eth0 onto VLAN A with the far address as source.
    let synack_on_a = s.sim.captured(s.vlan_a).iter().any(|c| {
        let Ok(v) = c.frame.view() else { return false };
        let is_synack = v
            .tcp()
            .and_then(Result::ok)
            .is_some_and(|t| t.flags.contains(TcpFlags::SYN | TcpFlags::ACK));
        is_synack && v.ipv6_addrs().is_some_and(|(src, _)| IpAddr::V6(src) == ip(FAR)) && v.src == mac(3, 0)
    });
    assert!(synack_on_a, "SYN-ACK straight from eth0 with source {FAR}");
}

#[test]
fn far_address_with_pf_block_drop_freezes() {
    let mut s = seed(2, Some(Firewall::Pf(Pf::ssh_ruleset(22, false, false))), true);
    let r = start_ssh(&mut s, FAR, Duration::from_secs(120));
    assert_eq!(r.reset_at, None, "{r:?}");
    let stall = secs_after_handshake(&r, r.stalled_at);
    assert!(
        (30.0..=50.0).contains(&stall),
        "stalled {stall} s after the handshake: {r:?}"
    );
}

#[test]
fn far_address_with_pf_sloppy_state_survives() {
    let mut s = seed(3, Some(Firewall::Pf(Pf::ssh_ruleset(22, true, true))), true);
    let r = start_ssh(&mut s, FAR, Duration::from_secs(600));
    assert_eq!((r.reset_at, r.stalled_at, r.error), (None, None, None), "{r:?}");
    assert_eq!(r.successes, 59, "a write every 10 s for 10 minutes");
    assert_eq!(r.bytes_sent, 59 * 36);
}

#[test]
fn far_address_with_conntrack_invalid_drop_stalls_then_resets_at_about_215_s() {
    let fw = NftFirewall::invalid_only(Action::Drop, CtConfig::default());
    let mut s = seed(4, Some(Firewall::Conntrack(fw)), true);
    let r = start_ssh(&mut s, FAR, Duration::from_secs(600));
    // First write at +10 s is never acknowledged; its retransmissions back off from 200 ms; the one at +204.6 s
    // after it is picked up loose once the SYN_SENT entry expired (120 s), reaches a VM that dropped the request
    // at 63 s, and draws the RST (F4: client ECONNRESET at 215 s).
    let stall = secs_after_handshake(&r, r.stalled_at);
    assert!((9.9..=10.1).contains(&stall), "stalled at the first write: {r:?}");
    let reset = secs_after_handshake(&r, r.reset_at);
    assert!(
        (205.0..=225.0).contains(&reset),
        "reset {reset} s after the handshake: {r:?}"
    );
    assert_eq!(r.bytes_sent, 0, "no data ever reached the VM");
    // The VM's side, straight onto VLAN A (F4): the SYN-ACK and its retransmits at 1, 3, 7, 15, 31 s, then,
    // long after the request was dropped, a bare RST with seq = its ISN + 1.
    let synacks = segments_on_a(&s, FAR, TcpFlags::SYN | TcpFlags::ACK);
    let t0 = synacks.first().expect("SYN-ACK").0;
    let gaps: Vec<u64> = synacks
        .iter()
        .map(|(t, _)| t.saturating_since(t0).as_secs_f64().round() as u64)
        .collect();
    assert_eq!(gaps, [0, 1, 3, 7, 15, 31]);
    let rsts = segments_on_a(&s, FAR, TcpFlags::RST);
    assert_eq!(rsts.len(), 1, "{rsts:?}");
    assert_eq!(rsts[0].1, synacks[0].1.wrapping_add(1));
    let Some(Firewall::Conntrack(fw)) = s.sim.host(s.router).and_then(|h| h.firewall.clone()) else {
        panic!("router firewall");
    };
    // The handshake ACK, one duplicate ACK per SYN-ACK retransmit, the write and its retransmissions up to the
    // entry's expiry: 16 here, 17 in F-invdrop.log (whose client wrote on a slightly different schedule).
    assert!(
        (15..=17).contains(&fw.rules[0].packets),
        "ct state invalid drop counted the ACK and data: {}",
        fw.rules[0].packets
    );
    let listing = fw.conntrack.render(s.sim.now());
    assert!(listing.is_empty() || listing.contains("ESTABLISHED"), "{listing}");
}

#[test]
fn far_address_with_reject_tcp_reset_resets_at_once() {
    let fw = NftFirewall::stateful(&[22], CtConfig::default());
    let mut s = seed(5, Some(Firewall::Conntrack(fw)), true);
    let r = start_ssh(&mut s, FAR, Duration::from_secs(60));
    let t = secs_after_handshake(&r, r.reset_at);
    assert!(t < 0.01, "reset {t} s after the handshake: {r:?}");
    // The VM is left with its half-open request (F6: SYN-RECV), which it drops after five SYN-ACK retransmits.
    let vm = s.sim.host(s.vm).expect("vm");
    let accepted = vm.transport.conns.iter().filter(|c| c.listener.is_some()).count();
    assert_eq!(accepted, 1);
}

#[test]
fn ipv4_and_near_address_survive_ten_minutes_through_any_firewall() {
    for (i, dst) in [VM4, NEAR].into_iter().enumerate() {
        let mut s = seed(
            10 + i as u64,
            Some(Firewall::Pf(Pf::ssh_ruleset(22, true, false))),
            true,
        );
        let r = start_ssh(&mut s, dst, Duration::from_secs(600));
        assert_eq!((r.reset_at, r.stalled_at, r.error), (None, None, None), "{dst}: {r:?}");
        assert_eq!(r.successes, 59, "{dst}");
        let fw = NftFirewall::invalid_only(Action::Drop, CtConfig::default());
        let mut s = seed(20 + i as u64, Some(Firewall::Conntrack(fw)), true);
        let r = start_ssh(&mut s, dst, Duration::from_secs(600));
        assert_eq!((r.reset_at, r.stalled_at), (None, None), "{dst}: {r:?}");
    }
}

#[test]
fn without_the_near_address_the_far_session_is_symmetric_and_survives() {
    // accept_ra=0 on eth0: no near prefix, so replies follow the default route back through the router.
    let mut s = seed(30, Some(Firewall::Pf(Pf::ssh_ruleset(22, true, false))), false);
    let r = start_ssh(&mut s, FAR, Duration::from_secs(600));
    assert_eq!((r.reset_at, r.stalled_at, r.error), (None, None, None), "{r:?}");
    let fw = NftFirewall::invalid_only(Action::Drop, CtConfig::default());
    let mut s = seed(31, Some(Firewall::Conntrack(fw)), false);
    let r = start_ssh(&mut s, FAR, Duration::from_secs(600));
    assert_eq!((r.reset_at, r.stalled_at), (None, None), "{r:?}");
    let Some(Firewall::Conntrack(fw)) = s.sim.host(s.router).and_then(|h| h.firewall.clone()) else {
        panic!("router firewall");
    };
    let listing = fw.conntrack.render(s.sim.now());
    assert!(
        !listing.is_empty() && !listing.contains("UNREPLIED"),
        "tracked both ways: {listing}"
    );
}

#[test]
fn same_seed_same_timeline() {
    let run = || {
        let mut s = seed(40, Some(Firewall::Pf(Pf::ssh_ruleset(22, true, false))), true);
        start_ssh(&mut s, FAR, Duration::from_secs(120))
    };
    assert_eq!(run(), run());
}

#[test]
fn far_address_with_tcp_loose_off_hangs_until_the_client_gives_up_f7() {
    let cfg = CtConfig {
        loose: false,
        ..CtConfig::default()
    };
    let fw = NftFirewall::invalid_only(Action::Drop, cfg);
    let mut s = seed(7, Some(Firewall::Conntrack(fw)), true);
    let r = start_ssh(&mut s, FAR, Duration::from_secs(1200));
    assert_eq!(
        r.reset_at, None,
        "no pickup, so the VM never sees a segment to reset: {r:?}"
    );
    let stall = secs_after_handshake(&r, r.stalled_at);
    assert!((9.9..=10.1).contains(&stall), "{r:?}");
    // tcp_retries2 = 15: ETIMEDOUT 924.6 s after the first unacknowledged write (F7: "≈15 min").
    let gave_up = secs_after_handshake(&r, r.timed_out_at);
    assert!(
        (934.0..=936.0).contains(&gave_up),
        "timed out {gave_up} s after the handshake: {r:?}"
    );
}

#[test]
fn far_address_with_the_hardening_rule_hangs_instead_of_resetting_f13() {
    // `tcp flags & (fin|syn|rst|ack) != syn ct state new drop` before `ct state invalid drop`: the loose pickup at
    // +214.6 s is NEW but not a SYN, so it is dropped too and the VM never answers with its RST.
    let mut fw = NftFirewall::invalid_only(Action::Drop, CtConfig::default());
    let mut harden = NftRule::new(Action::Drop).ct(&[CtInfo::New]);
    harden.not_syn = true;
    fw.rules.insert(0, harden);
    let mut s = seed(8, Some(Firewall::Conntrack(fw)), true);
    let r = start_ssh(&mut s, FAR, Duration::from_secs(1200));
    assert_eq!(r.reset_at, None, "{r:?}");
    let gave_up = secs_after_handshake(&r, r.timed_out_at);
    assert!(
        (934.0..=936.0).contains(&gave_up),
        "timed out {gave_up} s after the handshake: {r:?}"
    );
    let Some(Firewall::Conntrack(fw)) = s.sim.host(s.router).and_then(|h| h.firewall.clone()) else {
        panic!("router firewall");
    };
    assert!(fw.rules[0].packets >= 1, "the hardening rule dropped the pickups");
}

#[test]
fn conntrack_listing_matches_f_invdrop240_after_the_pickup() {
    let fw = NftFirewall::invalid_only(Action::Drop, CtConfig::default());
    let mut s = seed(9, Some(Firewall::Conntrack(fw)), true);
    s.sim.run_until(START);
    let mut cfg = SshConfig::new(ip(FAR));
    cfg.duration = Duration::from_secs(600);
    s.sim
        .with_host(s.ws, |h, ctx| h.start_app(ctx, Box::new(Ssh::new(cfg))));
    let listing = |s: &Seed| match s.sim.host(s.router).and_then(|h| h.firewall.as_ref()) {
        Some(Firewall::Conntrack(fw)) => fw.conntrack.render(s.sim.now()),
        _ => String::new(),
    };
    // F-invdrop240.log at t=10 after connect: `tcp 6 111 SYN_SENT … [UNREPLIED]` (sampled ~0.9 s late there).
    s.sim.run_until(START + Duration::from_secs(10));
    let l = listing(&s);
    assert!(
        l.starts_with("tcp      6 110 SYN_SENT src=2001:db8:a::c dst=2001:db8:b::10 "),
        "{l}"
    );
    assert!(
        l.contains(" dport=22 [UNREPLIED] src=2001:db8:b::10 dst=2001:db8:a::c sport=22 "),
        "{l}"
    );
    s.sim.run_until(START + Duration::from_secs(130));
    assert_eq!(listing(&s), "", "expired at 120 s (F4: gone by t=130)");
    // The pickup at +214.6 s; 5.4 s later the entry reads 294 s, ESTABLISHED, UNREPLIED (t=220 in the log).
    s.sim.run_until(START + Duration::from_millis(220_000));
    let l = listing(&s);
    assert!(
        l.starts_with("tcp      6 294 ESTABLISHED src=2001:db8:a::c dst=2001:db8:b::10 "),
        "{l}"
    );
    assert!(l.contains("[UNREPLIED]"), "{l}");
}

#[test]
fn far_address_with_a_short_syn_sent_timeout_recovers_f5() {
    // syn_sent 20 s: the loose pickup comes while the VM still holds the half-open request (dropped at 63 s),
    // so the picked-up segment completes the VM's handshake and the session carries on.
    let cfg = CtConfig {
        syn_sent: Duration::from_secs(20),
        ..CtConfig::default()
    };
    let fw = NftFirewall::invalid_only(Action::Drop, cfg);
    let mut s = seed(11, Some(Firewall::Conntrack(fw)), true);
    let r = start_ssh(&mut s, FAR, Duration::from_secs(120));
    assert_eq!((r.reset_at, r.error), (None, None), "{r:?}");
    assert_eq!(r.bytes_sent, 11 * 36, "every keystroke acknowledged in the end: {r:?}");
    let vm = s.sim.host(s.vm).expect("vm");
    let est = vm.transport.conns[0].tcb.established_at.expect("VM side established");
    let t = est.saturating_since(START).as_secs_f64();
    assert!(
        (20.0..=40.0).contains(&t),
        "VM handshake completed by the picked-up segment at {t} s"
    );
}
