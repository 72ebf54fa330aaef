//! radvd.conf(5) files as users write them: a realistic two-interface file read field by field, the RA a router
//! sends from it, and the errors (with `file:line:column`) for the mistakes radvd itself rejects.

use std::net::Ipv6Addr;
use std::time::Duration;

use dualhome_sim::engine::{Sim, SimConfig};
use dualhome_sim::radvd::config::INFINITY;
use dualhome_sim::radvd::parse_radvd_conf;
use dualhome_sim::segment::{PortConfig, PortRole, Segment};
use dualhome_sim::time::Instant;
use dualhome_sim::wire::{parse_frame, Icmpv6Repr, MacAddr, NdOptionRepr, NdiscRepr, RouterPreference};

const REALISTIC: &str = r#"# /etc/radvd.conf on the BOSH director network's router
interface eth1
{
    AdvSendAdvert on;
    MinRtrAdvInterval 30;
    MaxRtrAdvInterval 100;
    AdvDefaultPreference high;
    AdvDefaultLifetime 300;
    AdvCurHopLimit 64;
    AdvReachableTime 30000;
    AdvRetransTimer 1000;
    AdvLinkMTU 1500;
    AdvManagedFlag off;
    AdvOtherConfigFlag on;

    prefix 2001:db8:10::/64
    {
        AdvOnLink on;
        AdvAutonomous on;
        AdvRouterAddr off;
        AdvValidLifetime 86400;
        AdvPreferredLifetime 14400;
        DeprecatePrefix on;
    };

    prefix 2001:db8:11::/64 {
        AdvAutonomous off;      # on-link only, addresses come from BOSH
        AdvValidLifetime infinity;
        AdvPreferredLifetime infinity;
    };

    route 2001:db8:ff00::/40 {
        AdvRoutePreference low;
        AdvRouteLifetime 1800;
    };

    RDNSS 2001:db8:10::53 2001:db8:10::54 {
        AdvRDNSSLifetime 200;
    };

    DNSSL bosh.example.com example.com {
    };
};

interface eth2 {
    AdvSendAdvert on;
    MaxRtrAdvInterval 10;
    UnicastOnly off;
    AdvRASolicitedUnicast off;
    IgnoreIfMissing on;
    prefix fd00:2::/64 { };
};
"#;

fn a6(s: &str) -> Ipv6Addr {
    s.parse().expect("test address")
}

#[test]
fn a_realistic_file_is_read_field_by_field() {
    let ifs = parse_radvd_conf("/etc/radvd.conf", REALISTIC).expect("parses");
    assert_eq!(ifs.len(), 2);
    let e = &ifs[0];
    assert_eq!(e.ifname, "eth1");
    assert!(e.send_advert && e.other_config && !e.managed);
    assert_eq!(
        (e.min_interval, e.max_interval),
        (Some(Duration::from_secs(30)), Duration::from_secs(100))
    );
    assert_eq!(e.default_preference, RouterPreference::High);
    assert_eq!(e.effective_default_lifetime(), 300);
    assert_eq!(
        (e.reachable_time, e.retrans_timer, e.link_mtu, e.cur_hop_limit),
        (30000, 1000, 1500, 64)
    );
    assert_eq!(e.prefixes.len(), 2);
    assert_eq!((e.prefixes[0].prefix, e.prefixes[0].len), (a6("2001:db8:10::"), 64));
    assert!(e.prefixes[0].deprecate_on_shutdown && e.prefixes[0].autonomous);
    assert!(!e.prefixes[1].autonomous && e.prefixes[1].on_link);
    assert_eq!(e.prefixes[1].valid_lifetime, INFINITY);
    assert_eq!(e.routes[0].len, 40);
    assert_eq!(
        (e.routes[0].preference, e.routes[0].lifetime),
        (RouterPreference::Low, Some(1800))
    );
    assert_eq!(e.rdnss[0].servers, vec![a6("2001:db8:10::53"), a6("2001:db8:10::54")]);
    assert_eq!(e.rdnss[0].lifetime, Some(200));
    assert_eq!(e.dnssl[0].domains, vec!["bosh.example.com", "example.com"]);
    assert_eq!(e.dnssl[0].lifetime, None);
    let f = &ifs[1];
    assert_eq!(f.ifname, "eth2");
    assert!(!f.solicited_unicast && !f.unicast_only);
    // Defaults: Min = 0.33 × Max from 9 s up, lifetime = 3 × Max (RFC 4861 §6.2.1, radvd).
    assert_eq!(f.effective_min_interval(), Duration::from_millis(3300));
    assert_eq!(f.effective_default_lifetime(), 30);
}

#[test]
fn a_router_advertises_what_the_file_says() {
    let ifs = parse_radvd_conf("/etc/radvd.conf", REALISTIC).expect("parses");
    let mut sim = Sim::new(SimConfig { seed: 1, trace: false });
    let seg = sim.add_segment(Segment::new("lan", None));
    sim.capture(seg);
    let r = sim.add_host("r");
    let mac = MacAddr([0x52, 0x54, 0, 0, 0, 1]);
    let port = PortConfig {
        role: PortRole::Router,
        ..PortConfig::default()
    };
    sim.add_nic(r, "eth1", mac, seg, port).expect("nic");
    sim.with_host(r, |h, ctx| {
        h.set_sysctl(ctx, "net.ipv6.conf.all.forwarding", "1").expect("sysctl");
        h.start_radvd(ctx, ifs[0].clone())
    })
    .expect("router")
    .expect("eth1 exists");
    let missing = sim
        .with_host(r, |h, ctx| h.start_radvd(ctx, ifs[1].clone()))
        .expect("router");
    assert_eq!(
        missing.map_err(|e| e.to_string()),
        Err("interface eth2 does not exist".into())
    );
    sim.run_until(Instant::from_secs(5));
    let frame = sim.captured(seg).iter().find_map(|c| {
        let v = parse_frame(c.frame.bytes()).ok()?;
        matches!(v.icmpv6(), Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert { .. })))).then(|| c.frame.clone())
    });
    let frame = frame.expect("an RA");
    let view = parse_frame(frame.bytes()).expect("parses");
    let Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
        hop_limit,
        flags,
        router_lifetime,
        reachable_time,
        retrans_time,
        options,
    }))) = view.icmpv6()
    else {
        panic!("not an RA");
    };
    assert_eq!(
        (hop_limit, router_lifetime, reachable_time, retrans_time),
        (64, 300, 30000, 1000)
    );
    assert!(flags.other && !flags.managed);
    assert_eq!(flags.preference, RouterPreference::High);
    let opts: Vec<NdOptionRepr<'_>> = options.reprs().map(|o| o.expect("decodes")).collect();
    let kinds: Vec<u8> = opts.iter().map(|o| u8::from(o.kind())).collect();
    assert_eq!(kinds, vec![3, 3, 24, 25, 31, 5, 1], "PIO PIO RIO RDNSS DNSSL MTU SLLA");
    let NdOptionRepr::PrefixInformation(p) = opts[1] else {
        panic!("PIO");
    };
    assert_eq!(
        (p.prefix, p.autonomous, p.on_link, p.valid_lifetime),
        (a6("2001:db8:11::"), false, true, INFINITY)
    );
    let NdOptionRepr::Dnssl { lifetime, domains } = opts[4] else {
        panic!("DNSSL");
    };
    assert_eq!(lifetime, 200, "2 × MaxRtrAdvInterval");
    assert_eq!(
        domains.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        vec!["bosh.example.com", "example.com"]
    );
}

fn error(text: &str) -> String {
    parse_radvd_conf("radvd.conf", text)
        .map(|_| ())
        .expect_err("must be rejected")
        .to_string()
}

#[test]
fn mistakes_are_reported_with_file_line_and_column() {
    assert_eq!(
        error("interface eth0 {\n    AdvSendAdvert on;\n    AdvSendAdvrt on;\n};\n"),
        "radvd.conf:3:5: unknown or unsupported interface option \"AdvSendAdvrt\""
    );
    assert_eq!(
        error("interface eth0 {\n    prefix 2001:db8::/129 { };\n};"),
        "radvd.conf:2:12: prefix length 129 is over 128"
    );
    assert_eq!(
        error("interface eth0 {\n    prefix 2001:db8:: { };\n};"),
        "radvd.conf:2:12: expected an IPv6 prefix ADDR/LEN, found \"2001:db8::\""
    );
    assert_eq!(
        error("interface eth0 {\n    AdvSendAdvert on\n};"),
        "radvd.conf:3:1: expected ';', found '}'"
    );
    assert_eq!(
        error("interface eth0 {\n  MaxRtrAdvInterval 2000;\n};"),
        "radvd.conf:1:11: interface eth0: MaxRtrAdvInterval must be between 4 and 1800 seconds, is 2000"
    );
    assert_eq!(
        error("interface eth0 { };\ninterface eth0 { };"),
        "radvd.conf:2:11: interface eth0 is configured twice"
    );
    assert_eq!(
        error("interface eth0 {\n  RDNSS 2001:db8::zz { };\n};"),
        "radvd.conf:2:9: expected an IPv6 address, found \"2001:db8::zz\""
    );
    assert_eq!(
        error("interface eth0 {\n  route ::/0 { AdvRoutePreference highest; };\n};"),
        "radvd.conf:2:35: expected low, medium or high, found \"highest\""
    );
    assert_eq!(
        error("interface eth0 {\n  prefix ::/64 { AdvPreferredLifetime 99999; };\n};"),
        "radvd.conf:1:11: interface eth0: AdvValidLifetime must be greater than AdvPreferredLifetime for prefix ::/64"
    );
    assert_eq!(
        error("  iface eth0 { };"),
        "radvd.conf:1:3: expected 'interface', found \"iface\""
    );
    assert_eq!(
        error("interface eth0 {\n  clients { fe80::1; };\n};"),
        "radvd.conf:2:3: unknown or unsupported interface option \"clients\""
    );
}

#[test]
fn an_empty_or_comment_only_file_has_no_interfaces() {
    assert_eq!(parse_radvd_conf("x", "").map(|v| v.len()), Ok(0));
    assert_eq!(parse_radvd_conf("x", "# nothing\n\n  # here\n").map(|v| v.len()), Ok(0));
}
