//! NUD transitions over virtual time (linux-ipv6.md B38; RFC 4861 §7.3.3; net/core/neighbour.c
//! `neigh_timer_handler`): the engine's view, polling the table at each `next_deadline()`.

use std::net::IpAddr;
use std::time::Duration;

use dualhome_sim::host::neigh::{
    ArpInput, Family, NaInput, NeighAction, NeighFilter, NeighTable, NudState, Probe, Resolution,
};
use dualhome_sim::id::IfIndex;
use dualhome_sim::time::Instant;
use dualhome_sim::wire::MacAddr;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const H0: IfIndex = IfIndex(2);
const R2: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

type Log = Vec<(Instant, NeighAction<Vec<u8>>)>;

/// Polls at every deadline up to and including `end`, as the engine does.
fn run(t: &mut NeighTable<Vec<u8>>, end: Instant, rng: &mut ChaCha8Rng) -> Log {
    let mut log = Log::new();
    loop {
        let d = t.next_deadline();
        if d > end {
            return log;
        }
        let mut out = Vec::new();
        t.poll(d, rng, &mut out);
        log.extend(out.into_iter().map(|a| (d, a)));
    }
}

fn state(t: &NeighTable<Vec<u8>>, a: &str) -> Option<NudState> {
    t.get(H0, ip(a)).map(|v| v.state)
}

fn setup() -> (NeighTable<Vec<u8>>, ChaCha8Rng) {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    (NeighTable::new(&mut rng), rng)
}

#[test]
fn stale_gateway_used_goes_delay_probe_three_unicast_then_failed() {
    let (mut t, mut rng) = setup();
    let mut out = Vec::new();
    t.recv_ra(Instant::ZERO, H0, ip("fe80::2"), Some(R2), &mut out);
    assert_eq!(state(&t, "fe80::2"), Some(NudState::Stale));
    assert_eq!(t.next_deadline(), Instant::FAR_FUTURE, "STALE runs no timer");

    let first_use = Instant::from_secs(10);
    let r = t.resolve(first_use, H0, ip("fe80::2"), vec![0; 64], &mut out);
    assert_eq!(
        r,
        Resolution::Send {
            lladdr: R2,
            packet: vec![0; 64]
        }
    );
    assert_eq!(state(&t, "fe80::2"), Some(NudState::Delay));
    assert!(out.is_empty());

    let log = run(&mut t, first_use + Duration::from_millis(4999), &mut rng);
    assert!(log.is_empty());
    assert_eq!(state(&t, "fe80::2"), Some(NudState::Delay));

    let log = run(&mut t, first_use + Duration::from_secs(20), &mut rng);
    let probe = |s| {
        (
            first_use + Duration::from_secs(s),
            NeighAction::Solicit {
                ifindex: H0,
                target: ip("fe80::2"),
                probe: Probe::Unicast(R2),
            },
        )
    };
    assert_eq!(log, vec![probe(5), probe(6), probe(7)]);
    assert_eq!(state(&t, "fe80::2"), Some(NudState::Failed));
    assert_eq!(
        t.render(
            &NeighFilter {
                dev: Some(H0),
                ..NeighFilter::default()
            },
            |_| "h0"
        ),
        "fe80::2 router FAILED \n",
        "B3.log shape: no lladdr once FAILED"
    );
    assert_eq!(t.next_deadline(), Instant::FAR_FUTURE);
}

#[test]
fn probe_state_drops_to_failed_eight_seconds_after_first_use() {
    let (mut t, mut rng) = setup();
    let mut out = Vec::new();
    t.recv_ra(Instant::ZERO, H0, ip("fe80::2"), Some(R2), &mut out);
    let first_use = Instant::from_millis(1234);
    t.resolve(first_use, H0, ip("fe80::2"), vec![1], &mut out);
    run(&mut t, first_use + Duration::from_millis(7999), &mut rng);
    assert_eq!(state(&t, "fe80::2"), Some(NudState::Probe));
    run(&mut t, first_use + Duration::from_secs(8), &mut rng);
    assert_eq!(
        state(&t, "fe80::2"),
        Some(NudState::Failed),
        "B38: FAILED ≈8–9 s after the first use"
    );
}

#[test]
fn upper_layer_confirmation_in_delay_returns_to_reachable_without_probes() {
    let (mut t, mut rng) = setup();
    let mut out = Vec::new();
    t.recv_ra(Instant::ZERO, H0, ip("fe80::2"), Some(R2), &mut out);
    t.resolve(Instant::from_secs(1), H0, ip("fe80::2"), vec![1], &mut out);
    t.confirm(Instant::from_secs(3), H0, ip("fe80::2"));
    let log = run(&mut t, Instant::from_secs(6), &mut rng);
    assert!(log.is_empty(), "no probe sent: {log:?}");
    assert_eq!(state(&t, "fe80::2"), Some(NudState::Reachable));
    // REACHABLE lasts reachable_time from the confirmation, then STALE (the packet was used long before).
    let rt = t.reachable_time(H0, Family::V6);
    run(
        &mut t,
        Instant::from_secs(3) + (rt - Duration::from_millis(1)),
        &mut rng,
    );
    assert_eq!(state(&t, "fe80::2"), Some(NudState::Reachable));
    // At exactly confirmed + reachable_time the kernel's `time_before_eq` still holds; it re-checks one
    // centisecond later.
    run(&mut t, Instant::from_secs(3) + rt, &mut rng);
    assert_eq!(state(&t, "fe80::2"), Some(NudState::Reachable));
    run(&mut t, Instant::from_secs(3) + rt + Duration::from_millis(10), &mut rng);
    assert_eq!(state(&t, "fe80::2"), Some(NudState::Stale));
}

#[test]
fn reachable_becomes_stale_after_the_randomised_reachable_time() {
    let (mut t, mut rng) = setup();
    let mut out = Vec::new();
    t.recv_ra(Instant::ZERO, H0, ip("fe80::1"), Some(R2), &mut out);
    let na = NaInput {
        target: ip("fe80::1"),
        tlla: Some(R2),
        solicited: true,
        override_flag: true,
        router: true,
        create_untracked: false,
    };
    let t0 = Instant::from_secs(2);
    t.recv_na(t0, H0, na, &mut out);
    assert_eq!(state(&t, "fe80::1"), Some(NudState::Reachable));
    let rt = t.reachable_time(H0, Family::V6);
    assert!(rt >= Duration::from_secs(15) && rt < Duration::from_secs(45), "{rt:?}");
    assert_eq!(t.next_deadline(), t0 + rt);
    // Sending does not touch `used` while REACHABLE (hh fast path), so expiry goes straight to STALE.
    t.resolve(t0 + Duration::from_secs(1), H0, ip("fe80::1"), vec![1], &mut out);
    run(&mut t, t0 + (rt - Duration::from_millis(1)), &mut rng);
    assert_eq!(state(&t, "fe80::1"), Some(NudState::Reachable));
    let log = run(&mut t, t0 + rt + Duration::from_millis(10), &mut rng);
    assert!(log.is_empty());
    assert_eq!(state(&t, "fe80::1"), Some(NudState::Stale));
    assert_eq!(
        t.render(
            &NeighFilter {
                dev: Some(H0),
                ..NeighFilter::default()
            },
            |_| "h0"
        ),
        "fe80::1 lladdr 02:00:00:00:00:02 router STALE \n"
    );
}

#[test]
fn incomplete_sends_three_multicast_probes_then_fails_and_reports_queued_packets() {
    let (mut t, mut rng) = setup();
    let mut out = Vec::new();
    let dst = ip("2001:db8:1::99");
    assert_eq!(t.resolve(Instant::ZERO, H0, dst, vec![1], &mut out), Resolution::Queued);
    assert_eq!(
        t.resolve(Instant::from_millis(300), H0, dst, vec![2], &mut out),
        Resolution::Queued
    );
    assert_eq!(out.len(), 1, "one probe at once, not one per packet");
    assert_eq!(
        t.render(&NeighFilter::default(), |_| "h0"),
        "2001:db8:1::99 dev h0 INCOMPLETE \n"
    );
    let log = run(&mut t, Instant::from_secs(10), &mut rng);
    let mcast = |s| {
        (
            Instant::from_secs(s),
            NeighAction::Solicit {
                ifindex: H0,
                target: dst,
                probe: Probe::Multicast,
            },
        )
    };
    assert_eq!(
        log,
        vec![
            mcast(1),
            mcast(2),
            (
                Instant::from_secs(3),
                NeighAction::Unreachable {
                    ifindex: H0,
                    neighbour: dst,
                    packets: vec![vec![1], vec![2]]
                }
            ),
        ]
    );
    assert_eq!(state(&t, "2001:db8:1::99"), Some(NudState::Failed));

    // A FAILED entry used again restarts resolution.
    let mut out = Vec::new();
    assert_eq!(
        t.resolve(Instant::from_secs(20), H0, dst, vec![3], &mut out),
        Resolution::Queued
    );
    assert_eq!(
        out,
        vec![NeighAction::Solicit {
            ifindex: H0,
            target: dst,
            probe: Probe::Multicast
        }]
    );
    assert_eq!(state(&t, "2001:db8:1::99"), Some(NudState::Incomplete));
}

#[test]
fn an_answered_probe_keeps_the_entry_alive() {
    let (mut t, mut rng) = setup();
    let mut out = Vec::new();
    t.recv_ra(Instant::ZERO, H0, ip("fe80::2"), Some(R2), &mut out);
    t.resolve(Instant::ZERO, H0, ip("fe80::2"), vec![1], &mut out);
    let log = run(&mut t, Instant::from_secs(5), &mut rng);
    assert_eq!(log.len(), 1);
    assert_eq!(state(&t, "fe80::2"), Some(NudState::Probe));
    let na = NaInput {
        target: ip("fe80::2"),
        tlla: None,
        solicited: true,
        override_flag: false,
        router: true,
        create_untracked: false,
    };
    t.recv_na(Instant::from_millis(5100), H0, na, &mut out);
    assert_eq!(state(&t, "fe80::2"), Some(NudState::Reachable));
    let log = run(&mut t, Instant::from_secs(12), &mut rng);
    assert!(log.is_empty(), "no probes after confirmation: {log:?}");
}

#[test]
fn arp_resolution_broadcasts_and_a_unicast_reply_makes_reachable() {
    let (mut t, _rng) = setup();
    let eth0 = IfIndex(2);
    let mut out = Vec::new();
    let director = ip("10.0.9.151");
    t.resolve(Instant::ZERO, eth0, director, vec![9; 84], &mut out);
    assert_eq!(
        out,
        vec![NeighAction::Solicit {
            ifindex: eth0,
            target: director,
            probe: Probe::Multicast
        }]
    );
    out.clear();
    let reply = ArpInput {
        sender_ip: director,
        sender_mac: R2,
        request_for_us: false,
        is_reply: true,
        unicast_to_us: true,
        is_garp: false,
        arp_accept: false,
    };
    t.recv_arp(Instant::from_micros_for_test(40), eth0, reply, &mut out);
    assert_eq!(
        out,
        vec![NeighAction::Transmit {
            ifindex: eth0,
            neighbour: director,
            lladdr: R2,
            packets: vec![vec![9; 84]]
        }]
    );
    assert_eq!(
        t.render(&NeighFilter::default(), |_| "eth0"),
        "10.0.9.151 dev eth0 lladdr 02:00:00:00:00:02 REACHABLE \n"
    );
}

#[test]
fn same_seed_same_timeline() {
    let timeline = |seed| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut t: NeighTable<Vec<u8>> = NeighTable::new(&mut rng);
        let mut out = Vec::new();
        let na = NaInput {
            target: ip("fe80::1"),
            tlla: Some(R2),
            solicited: true,
            override_flag: true,
            router: false,
            create_untracked: false,
        };
        t.resolve(Instant::ZERO, H0, ip("fe80::1"), vec![1], &mut out);
        t.recv_na(Instant::from_millis(1), H0, na, &mut out);
        t.next_deadline()
    };
    assert_eq!(timeline(1), timeline(1));
    assert_ne!(timeline(1), timeline(2));
}

trait MicrosForTest {
    fn from_micros_for_test(us: u64) -> Instant;
}

impl MicrosForTest for Instant {
    fn from_micros_for_test(us: u64) -> Instant {
        Instant::from_nanos(us * 1000)
    }
}
