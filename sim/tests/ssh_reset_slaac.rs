//! The seed scenario with the near address learned the way the VM really gets it: the router advertises VLAN A's
//! prefix (radvd, router lifetime 0 as in linux-ipv6.md E8), the VM's eth0 configures a SLAAC address and the
//! on-link prefix route, and from then on replies to the workstation leave eth0 directly. With `accept_ra = 0`
//! on eth0 there is no SLAAC address, the replies go back through the router, and pf keeps the session.

mod common;

use common::*;
use dualhome_sim::app::host_app::AppReport;
use dualhome_sim::app::ssh::{Ssh, SshConfig};
use dualhome_sim::firewall::pf::Pf;
use dualhome_sim::firewall::Firewall;
use dualhome_sim::radvd::{PrefixConfig, RaIfaceConfig};
use dualhome_sim::segment::{PortConfig, PortRole};
use dualhome_sim::time::Instant;
use dualhome_sim::transport::socket::Family;
use dualhome_sim::transport::Service;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Runs a 10-minute ssh to the VM's far address; returns the record and the VM's eth0 global IPv6 addresses.
fn run(seed: u64, vm_accept_ra: &str) -> (AppReport, Vec<IpAddr>) {
    let mut s = sim(seed);
    let vlan_a = segment(&mut s, "vlan-a");
    let vlan_b = segment(&mut s, "vlan-b");
    let ws = s.add_host("workstation");
    let router = s.add_host("router");
    let vm = s.add_host("vm");
    sysctl(&mut s, router, "net.ipv6.conf.all.forwarding", "1");
    sysctl(&mut s, ws, "net.ipv6.conf.default.accept_ra", "0");
    sysctl(&mut s, vm, "net.ipv6.conf.default.accept_ra", vm_accept_ra);
    let w0 = nic(&mut s, ws, "eth0", vlan_a, 1, 0, &["2001:db8:a::c/64"]);
    let router_port = PortConfig {
        role: PortRole::Router,
        ..PortConfig::default()
    };
    let r0 = s.add_nic(router, "eth0", mac(2, 0), vlan_a, router_port).expect("nic");
    s.with_host(router, |h, ctx| {
        h.add_address(ctx, dualhome_sim::host::addr::Addr::new(r0, ip("2001:db8:a::1"), 64))
    })
    .expect("router")
    .expect("address");
    nic(&mut s, router, "eth1", vlan_b, 2, 1, &["2001:db8:b::1/64"]);
    let v0 = nic(&mut s, vm, "eth0", vlan_a, 3, 0, &["10.0.1.20/24"]);
    let v1 = nic(&mut s, vm, "eth1", vlan_b, 3, 1, &["2001:db8:b::10/64"]);
    route(&mut s, ws, "::/0", Some("2001:db8:a::1"), w0);
    route(&mut s, vm, "::/0", Some("2001:db8:b::1"), v1);
    let mut ra = RaIfaceConfig::new("eth0");
    ra.max_interval = Duration::from_secs(30);
    ra.default_lifetime = Some(0);
    ra.prefixes
        .push(PrefixConfig::new(Ipv6Addr::new(0x2001, 0xdb8, 0xa, 0, 0, 0, 0, 0), 64));
    s.with_host(router, |h, ctx| h.start_radvd(ctx, ra))
        .expect("router")
        .expect("radvd");
    s.with_host(router, |h, _| {
        h.firewall = Some(Firewall::Pf(Pf::ssh_ruleset(22, true, false)))
    });
    s.with_host(vm, |h, _| {
        h.tcp_listen(Family::Inet6, SocketAddr::new(ip("::"), 22), None, Service::Echo)
    })
    .expect("vm")
    .expect("listen");
    s.run_until(Instant::from_secs(20));
    let mut cfg = SshConfig::new(ip("2001:db8:b::10"));
    cfg.interval = Duration::from_secs(2);
    let app = s
        .with_host(ws, |h, ctx| h.start_app(ctx, Box::new(Ssh::new(cfg))))
        .expect("ws");
    s.run_until(Instant::from_secs(640));
    let report = s.host(ws).and_then(|h| h.app_report(app)).expect("report");
    let eth0_globals = s
        .host(vm)
        .map(|h| {
            h.tables
                .addrs
                .on(v0, true)
                .filter(|a| matches!(a.addr, IpAddr::V6(x) if x.segments()[0] == 0x2001))
                .map(|a| a.addr)
                .collect()
        })
        .unwrap_or_default();
    (report, eth0_globals)
}

#[test]
fn slaac_near_address_makes_the_far_session_asymmetric_and_pf_resets_it() {
    let (r, globals) = run(1, "1");
    assert_eq!(globals.len(), 1, "one SLAAC address from A's prefix: {globals:?}");
    // The state is purged 30–40 s after the handshake; the next keystroke (every 2 s) draws the RST.
    let t = r.reset_after_handshake().expect("reset").as_secs_f64();
    assert!((30.0..=42.0).contains(&t), "reset {t} s after the handshake: {r:?}");
    assert!(r.bytes_sent > 0, "the session worked until then");
}

#[test]
fn accept_ra_0_on_eth0_keeps_the_far_session_symmetric() {
    let (r, globals) = run(2, "0");
    assert!(globals.is_empty(), "{globals:?}");
    assert_eq!((r.reset_at, r.stalled_at, r.error), (None, None, None), "{r:?}");
    assert_eq!(r.successes, 299, "a keystroke every 2 s for 10 minutes");
}
