//! Unit tests of the neighbour table rules; the time-driven NUD scenarios are in sim/tests/neigh_*.rs.

use std::net::IpAddr;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;

const IF: IfIndex = IfIndex(2);
const M1: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
const M2: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn table() -> NeighTable<Vec<u8>> {
    NeighTable::new(&mut ChaCha8Rng::seed_from_u64(9))
}

#[test]
fn unknown_neighbour_goes_incomplete_queues_and_probes_multicast() {
    let mut t = table();
    let mut out = Vec::new();
    let r = t.resolve(Instant::ZERO, IF, ip("fe80::1"), vec![1; 100], &mut out);
    assert_eq!(r, Resolution::Queued);
    assert_eq!(
        out,
        vec![NeighAction::Solicit {
            ifindex: IF,
            target: ip("fe80::1"),
            probe: Probe::Multicast
        }]
    );
    assert_eq!(
        t.get(IF, ip("fe80::1")).map(|v| (v.state, v.queued)),
        Some((NudState::Incomplete, 1))
    );
    assert_eq!(t.last_queued(IF, ip("fe80::1")).map(|p| p.len()), Some(100));
    assert_eq!(t.next_deadline(), Instant::from_secs(1));
}

#[test]
fn solicited_na_releases_the_queue_in_order() {
    let mut t = table();
    let mut out = Vec::new();
    t.resolve(Instant::ZERO, IF, ip("fe80::1"), vec![1], &mut out);
    t.resolve(Instant::ZERO, IF, ip("fe80::1"), vec![2], &mut out);
    out.clear();
    let na = NaInput {
        target: ip("fe80::1"),
        tlla: Some(M1),
        solicited: true,
        override_flag: true,
        router: true,
        create_untracked: false,
    };
    let o = t.recv_na(Instant::from_millis(5), IF, na, &mut out);
    assert!(matches!(
        o,
        NaOutcome::Updated {
            router_to_host: false,
            ..
        }
    ));
    assert_eq!(
        out,
        vec![NeighAction::Transmit {
            ifindex: IF,
            neighbour: ip("fe80::1"),
            lladdr: M1,
            packets: vec![vec![1], vec![2]]
        }]
    );
    let v = t.get(IF, ip("fe80::1")).unwrap();
    assert_eq!(
        (v.state, v.lladdr, v.router, v.queued),
        (NudState::Reachable, Some(M1), true, 0)
    );
    out.clear();
    let r = t.resolve(Instant::from_millis(6), IF, ip("fe80::1"), vec![3], &mut out);
    assert_eq!(
        r,
        Resolution::Send {
            lladdr: M1,
            packet: vec![3]
        }
    );
    assert!(out.is_empty());
}

#[test]
fn unres_queue_drops_oldest_beyond_qlen_bytes() {
    let mut t = table();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let parms = NeighParms {
        queue_len_bytes: 3 * (100 + SKB_OVERHEAD),
        ..NeighParms::nd()
    };
    t.set_parms(IF, Family::V6, parms, &mut rng);
    let mut out = Vec::new();
    for i in 0..5u8 {
        t.resolve(Instant::ZERO, IF, ip("fe80::1"), vec![i; 100], &mut out);
    }
    assert_eq!(t.get(IF, ip("fe80::1")).map(|v| v.queued), Some(3));
    assert_eq!(t.last_queued(IF, ip("fe80::1")).map(|p| p[0]), Some(4));
    assert_eq!(t.stats().unres_discards, 2);
}

#[test]
fn no_multicast_probes_fails_at_once() {
    let mut t = table();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    t.set_parms(
        IF,
        Family::V4,
        NeighParms {
            mcast_probes: 0,
            ..NeighParms::arp()
        },
        &mut rng,
    );
    let mut out = Vec::new();
    let r = t.resolve(Instant::ZERO, IF, ip("10.0.0.1"), vec![7], &mut out);
    assert_eq!(r, Resolution::Dropped { packet: vec![7] });
    assert_eq!(t.get(IF, ip("10.0.0.1")).map(|v| v.state), Some(NudState::Failed));
}

#[test]
fn ns_with_same_lladdr_does_not_demote_reachable() {
    let mut t = table();
    let mut out = Vec::new();
    let f = UpdateFlags::OVERRIDE;
    t.neigh_update(
        Instant::ZERO,
        IF,
        ip("fe80::2"),
        Some(M1),
        NudState::Reachable,
        f,
        true,
        &mut out,
    );
    assert!(t.recv_ns(Instant::ZERO, IF, ip("fe80::2"), Some(M1), true, &mut out));
    assert_eq!(t.get(IF, ip("fe80::2")).map(|v| v.state), Some(NudState::Reachable));
    t.recv_ns(Instant::ZERO, IF, ip("fe80::2"), Some(M2), true, &mut out);
    assert_eq!(
        t.get(IF, ip("fe80::2")).map(|v| (v.state, v.lladdr)),
        Some((NudState::Stale, Some(M2)))
    );
}

#[test]
fn multicast_ns_without_slla_creates_nothing_unicast_creates_none_state() {
    let mut t = table();
    let mut out = Vec::new();
    assert!(!t.recv_ns(Instant::ZERO, IF, ip("fe80::3"), None, true, &mut out));
    assert!(t.get(IF, ip("fe80::3")).is_none());
    assert!(t.recv_ns(Instant::ZERO, IF, ip("fe80::3"), None, false, &mut out));
    assert_eq!(t.get(IF, ip("fe80::3")).map(|v| v.state), Some(NudState::None));
    assert_eq!(t.render(&NeighFilter::default(), |_| "h0"), "");
}

#[test]
fn permanent_entries_change_only_by_admin() {
    let mut t = table();
    let mut out = Vec::new();
    t.set_admin(
        Instant::ZERO,
        IF,
        ip("10.0.0.9"),
        Some(M1),
        NudState::Permanent,
        false,
        &mut out,
    );
    let arp = ArpInput {
        sender_ip: ip("10.0.0.9"),
        sender_mac: M2,
        request_for_us: true,
        is_reply: false,
        unicast_to_us: false,
        is_garp: false,
        arp_accept: false,
    };
    t.recv_arp(Instant::from_secs(9), IF, arp, &mut out);
    assert_eq!(
        t.get(IF, ip("10.0.0.9")).map(|v| (v.state, v.lladdr)),
        Some((NudState::Permanent, Some(M1)))
    );
    assert_eq!(t.next_deadline(), Instant::FAR_FUTURE);
}

#[test]
fn arp_first_reply_wins_within_locktime() {
    let mut t = table();
    let mut out = Vec::new();
    t.resolve(Instant::ZERO, IF, ip("10.0.0.1"), vec![1], &mut out);
    let reply = |mac| ArpInput {
        sender_ip: ip("10.0.0.1"),
        sender_mac: mac,
        request_for_us: false,
        is_reply: true,
        unicast_to_us: true,
        is_garp: false,
        arp_accept: false,
    };
    t.recv_arp(Instant::from_millis(100), IF, reply(M1), &mut out);
    t.recv_arp(Instant::from_millis(200), IF, reply(M2), &mut out);
    assert_eq!(
        t.get(IF, ip("10.0.0.1")).map(|v| (v.state, v.lladdr)),
        Some((NudState::Reachable, Some(M1)))
    );
    t.recv_arp(Instant::from_millis(1300), IF, reply(M2), &mut out);
    assert_eq!(t.get(IF, ip("10.0.0.1")).map(|v| v.lladdr), Some(Some(M2)));
    // An unsolicited reply for an unknown sender is not cached without arp_accept.
    t.recv_arp(
        Instant::from_secs(2),
        IF,
        ArpInput {
            sender_ip: ip("10.0.0.2"),
            ..reply(M2)
        },
        &mut out,
    );
    assert!(t.get(IF, ip("10.0.0.2")).is_none());
}

#[test]
fn ra_without_slla_leaves_a_hidden_none_entry_and_with_slla_stale_router() {
    let mut t = table();
    let mut out = Vec::new();
    t.recv_ra(Instant::ZERO, IF, ip("fe80::7"), None, &mut out);
    assert_eq!(
        t.get(IF, ip("fe80::7")).map(|v| (v.state, v.router)),
        Some((NudState::None, false))
    );
    let o = t.recv_ra(
        Instant::ZERO,
        IF,
        ip("fe80::7"),
        Some(MacAddr([2, 0, 0, 0, 0, 0x77])),
        &mut out,
    );
    assert!(o.router_set);
    assert_eq!(
        t.render(
            &NeighFilter {
                dev: Some(IF),
                ..NeighFilter::default()
            },
            |_| "h0"
        ),
        "fe80::7 lladdr 02:00:00:00:00:77 router STALE \n"
    );
}

#[test]
fn render_matches_iproute2_shapes() {
    let mut t = table();
    let mut out = Vec::new();
    let c0 = IfIndex(3);
    t.neigh_update(
        Instant::ZERO,
        c0,
        ip("fe80::5a:ff:fe00:a"),
        Some(MacAddr([2, 0x5a, 0, 0, 0, 0x0a])),
        NudState::Reachable,
        UpdateFlags::OVERRIDE,
        true,
        &mut out,
    );
    t.recv_ra(
        Instant::ZERO,
        c0,
        ip("fe80::ec12:6cff:fe15:d79e"),
        Some(MacAddr([0xee, 0x12, 0x6c, 0x15, 0xd7, 0x9e])),
        &mut out,
    );
    t.neigh_update(
        Instant::ZERO,
        c0,
        ip("fe80::ec12:6cff:fe15:d79e"),
        None,
        NudState::Reachable,
        UpdateFlags::NONE,
        false,
        &mut out,
    );
    t.resolve(Instant::ZERO, c0, ip("10.0.9.151"), vec![1], &mut out);
    let names = |i: IfIndex| if i == c0 { "c0" } else { "h0" };
    let all = t.render(&NeighFilter::default(), names);
    assert_eq!(
        all,
        "10.0.9.151 dev c0 INCOMPLETE \n\
         fe80::5a:ff:fe00:a dev c0 lladdr 02:5a:00:00:00:0a REACHABLE \n\
         fe80::ec12:6cff:fe15:d79e dev c0 lladdr ee:12:6c:15:d7:9e router REACHABLE \n"
    );
    let v6 = t.render(
        &NeighFilter {
            family: Some(Family::V6),
            addr: Some(ip("fe80::5a:ff:fe00:a")),
            ..NeighFilter::default()
        },
        names,
    );
    assert_eq!(v6, "fe80::5a:ff:fe00:a dev c0 lladdr 02:5a:00:00:00:0a REACHABLE \n");
}

#[test]
fn ra_timers_change_base_reachable_and_retrans() {
    let mut t = table();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    t.apply_ra_timers(IF, 20_000, 1_500, &mut rng);
    let p = t.parms(IF, Family::V6);
    assert_eq!(
        (p.base_reachable_time, p.retrans_time, p.gc_stale_time),
        (
            Duration::from_secs(20),
            Duration::from_millis(1500),
            Duration::from_secs(60)
        )
    );
    let r = t.reachable_time(IF, Family::V6);
    assert!(r >= Duration::from_secs(10) && r < Duration::from_secs(30));
    t.apply_ra_timers(IF, 50, 5, &mut rng);
    let p = t.parms(IF, Family::V6);
    assert_eq!(
        (p.base_reachable_time, p.retrans_time),
        (Duration::from_millis(100), Duration::from_millis(10))
    );
    assert_eq!(t.parms(IfIndex(9), Family::V6), NeighParms::nd());
}

#[test]
fn gc_keeps_the_table_bounded() {
    let mut t = table();
    t.set_gc(GcConfig {
        thresh1: 4,
        thresh2: 8,
        thresh3: 10,
    });
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut out = Vec::new();
    for i in 0..20u8 {
        let a = IpAddr::from([10, 0, 1, i]);
        t.neigh_update(
            Instant::ZERO,
            IF,
            a,
            Some(M1),
            NudState::Stale,
            UpdateFlags::OVERRIDE,
            true,
            &mut out,
        );
    }
    assert_eq!(t.len(), 10, "creation refused at gc_thresh3");
    assert!(t.stats().table_fulls > 0);
    let later = Instant::from_secs(10);
    t.neigh_update(
        later,
        IF,
        ip("10.0.2.1"),
        Some(M1),
        NudState::Stale,
        UpdateFlags::OVERRIDE,
        true,
        &mut out,
    );
    assert!(t.len() <= 9, "forced GC removed entries not updated for 5 s");
    assert!(t.next_deadline() < Instant::FAR_FUTURE);
    t.poll(Instant::from_secs(90), &mut rng, &mut out);
    assert_eq!(t.len(), 0, "periodic GC removes entries unused for gc_stale_time");
}

#[test]
fn flush_interface_keeps_permanent_on_carrier_loss() {
    let mut t = table();
    let mut out = Vec::new();
    t.set_admin(
        Instant::ZERO,
        IF,
        ip("fe80::9"),
        Some(M1),
        NudState::Permanent,
        false,
        &mut out,
    );
    t.recv_ra(Instant::ZERO, IF, ip("fe80::1"), Some(M1), &mut out);
    assert_eq!(t.flush_interface(IF, true), 1);
    assert_eq!(t.flush_interface(IF, false), 1);
    assert!(t.is_empty());
}
