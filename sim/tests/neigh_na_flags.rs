//! The Neighbor Advertisement flag matrix (RFC 4861 §7.2.5; linux-ipv6.md B17, B44, B45; `ndisc_recv_na` →
//! `__neigh_update`), and the RA / NS updates that share `neigh_update` (A7, B18, B42).

use std::net::IpAddr;

use dualhome_sim::host::neigh::{NaInput, NaOutcome, NeighFilter, NeighTable, NudState, UpdateFlags};
use dualhome_sim::id::IfIndex;
use dualhome_sim::time::Instant;
use dualhome_sim::wire::MacAddr;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const H0: IfIndex = IfIndex(2);
const OLD: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
const NEW: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x11]);
const T: Instant = Instant::from_secs(1);

fn target() -> IpAddr {
    "fe80::1".parse().unwrap()
}

fn table_with(state: NudState, router: bool) -> NeighTable<Vec<u8>> {
    let mut t = NeighTable::new(&mut ChaCha8Rng::seed_from_u64(1));
    let mut out = Vec::new();
    match state {
        NudState::Incomplete => {
            t.resolve(Instant::ZERO, H0, target(), vec![1], &mut out);
        }
        NudState::Failed => {
            t.resolve(Instant::ZERO, H0, target(), vec![1], &mut out);
            t.neigh_update(
                Instant::ZERO,
                H0,
                target(),
                None,
                NudState::Failed,
                UpdateFlags::ADMIN,
                false,
                &mut out,
            );
        }
        s => {
            t.set_admin(Instant::ZERO, H0, target(), Some(OLD), s, router, &mut out);
        }
    }
    assert_eq!(t.get(H0, target()).map(|v| v.state), Some(state));
    t
}

fn na(tlla: Option<MacAddr>, s: bool, o: bool, r: bool) -> NaInput {
    NaInput {
        target: target(),
        tlla,
        solicited: s,
        override_flag: o,
        router: r,
        create_untracked: false,
    }
}

/// (start state, TLLA, S, O, state after, lladdr after).
type Row = (NudState, Option<MacAddr>, bool, bool, NudState, Option<MacAddr>);

/// (start state, TLLA, S, O) → (state, lladdr) after the NA.
#[test]
fn flag_matrix() {
    use NudState::*;
    let rows: &[Row] = &[
        // Same lladdr: S decides; S=0 with the same lladdr keeps the state.
        (Stale, Some(OLD), true, false, Reachable, Some(OLD)),
        (Stale, Some(OLD), false, true, Stale, Some(OLD)),
        (Reachable, Some(OLD), false, false, Reachable, Some(OLD)),
        (Delay, Some(OLD), true, true, Reachable, Some(OLD)),
        (Probe, Some(OLD), true, false, Reachable, Some(OLD)),
        // No TLLA: the cached lladdr is used.
        (Probe, Option::None, true, false, Reachable, Some(OLD)),
        (Stale, Option::None, false, false, Stale, Some(OLD)),
        // Different lladdr with O=1: replaced; S decides the state.
        (Reachable, Some(NEW), true, true, Reachable, Some(NEW)),
        (Reachable, Some(NEW), false, true, Stale, Some(NEW)),
        (Stale, Some(NEW), false, true, Stale, Some(NEW)),
        // Different lladdr with O=0: not replaced; REACHABLE → STALE, anything else unchanged (B45).
        (Reachable, Some(NEW), true, false, Stale, Some(OLD)),
        (Stale, Some(NEW), true, false, Stale, Some(OLD)),
        (Delay, Some(NEW), true, false, Delay, Some(OLD)),
        (Probe, Some(NEW), false, false, Probe, Some(OLD)),
        // INCOMPLETE learns the TLLA whatever O is; without a TLLA nothing happens.
        (Incomplete, Some(NEW), true, false, Reachable, Some(NEW)),
        (Incomplete, Some(NEW), false, false, Stale, Some(NEW)),
        (Incomplete, Option::None, true, true, Incomplete, Option::None),
        // PERMANENT is never changed by an NA.
        (Permanent, Some(NEW), true, true, Permanent, Some(OLD)),
    ];
    for (i, (start, tlla, s, o, want_state, want_ll)) in rows.iter().enumerate() {
        let mut t = table_with(*start, false);
        let mut out = Vec::new();
        let outcome = t.recv_na(T, H0, na(*tlla, *s, *o, false), &mut out);
        assert!(matches!(outcome, NaOutcome::Updated { .. }), "row {i}: {outcome:?}");
        let v = t.get(H0, target()).unwrap();
        assert_eq!(
            (v.state, v.lladdr),
            (*want_state, *want_ll),
            "row {i}: {start:?} tlla={tlla:?} S={s} O={o}"
        );
    }
}

#[test]
fn na_without_entry_creates_nothing_unless_rfc9131_allows() {
    let mut t: NeighTable<Vec<u8>> = NeighTable::new(&mut ChaCha8Rng::seed_from_u64(1));
    let mut out = Vec::new();
    assert_eq!(
        t.recv_na(T, H0, na(Some(NEW), false, true, false), &mut out),
        NaOutcome::NoEntry
    );
    assert!(t.get(H0, target()).is_none(), "B44");
    let untracked = NaInput {
        create_untracked: true,
        ..na(Some(NEW), true, true, false)
    };
    assert!(matches!(
        t.recv_na(T, H0, untracked, &mut out),
        NaOutcome::Updated { .. }
    ));
    let v = t.get(H0, target()).unwrap();
    assert_eq!(
        (v.state, v.lladdr),
        (NudState::Stale, Some(NEW)),
        "RFC 9131 entries start STALE even with S=1"
    );
}

#[test]
fn failed_entries_ignore_nas() {
    let mut t = table_with(NudState::Failed, false);
    let mut out = Vec::new();
    assert_eq!(
        t.recv_na(T, H0, na(Some(NEW), true, true, true), &mut out),
        NaOutcome::Failed
    );
    assert_eq!(
        t.get(H0, target()).map(|v| (v.state, v.router)),
        Some((NudState::Failed, false))
    );
}

#[test]
fn router_flag_transitions() {
    let mut out = Vec::new();
    // R=0 from a router: B17 router → host, reported so the host deletes the RA default route.
    let mut t = table_with(NudState::Stale, true);
    let o = t.recv_na(T, H0, na(Some(OLD), true, true, false), &mut out);
    assert!(
        matches!(
            o,
            NaOutcome::Updated {
                router_to_host: true,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(t.get(H0, target()).map(|v| v.router), Some(false));
    // R=1 from a host: becomes a router, no router → host report.
    let o = t.recv_na(T, H0, na(Some(OLD), true, true, true), &mut out);
    assert!(matches!(o, NaOutcome::Updated { router_to_host: false, outcome } if outcome.router_set));
    // An O=0 NA with a different lladdr is not trusted: the router flag stays (update_isrouter cleared).
    let o = t.recv_na(T, H0, na(Some(NEW), true, false, false), &mut out);
    assert!(
        matches!(
            o,
            NaOutcome::Updated {
                router_to_host: false,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(
        t.get(H0, target()).map(|v| (v.router, v.lladdr)),
        Some((true, Some(OLD)))
    );
}

#[test]
fn ra_slla_change_overrides_and_keeps_router_flag() {
    // linux-exp/B3.log "SLLA change for fe80::1": lladdr 02:..:01 → 02:..:11, still `router STALE`.
    let mut t: NeighTable<Vec<u8>> = NeighTable::new(&mut ChaCha8Rng::seed_from_u64(1));
    let mut out = Vec::new();
    t.recv_ra(Instant::ZERO, H0, target(), Some(OLD), &mut out);
    let f = NeighFilter {
        dev: Some(H0),
        addr: Some(target()),
        ..NeighFilter::default()
    };
    assert_eq!(
        t.render(&f, |_| "h0"),
        "fe80::1 lladdr 02:00:00:00:00:01 router STALE \n"
    );
    t.recv_ra(T, H0, target(), Some(NEW), &mut out);
    assert_eq!(
        t.render(&f, |_| "h0"),
        "fe80::1 lladdr 02:00:00:00:00:11 router STALE \n"
    );
}

#[test]
fn rs_on_a_router_clears_the_router_flag() {
    let mut t = table_with(NudState::Reachable, true);
    let mut out = Vec::new();
    let o = t.recv_rs(T, H0, target(), OLD, &mut out);
    assert!(o.router_cleared);
    assert_eq!(
        t.get(H0, target()).map(|v| (v.state, v.router)),
        Some((NudState::Reachable, false))
    );
}

#[test]
fn ns_slla_creates_stale_entry_b42() {
    let mut t: NeighTable<Vec<u8>> = NeighTable::new(&mut ChaCha8Rng::seed_from_u64(1));
    let mut out = Vec::new();
    let peer: IpAddr = "2001:db8:99::7".parse().unwrap();
    assert!(t.recv_ns(T, H0, peer, Some(MacAddr([2, 0, 0, 0, 0, 0x77])), true, &mut out));
    // linux-exp/D.log line 90.
    let f = NeighFilter {
        dev: Some(H0),
        addr: Some(peer),
        ..NeighFilter::default()
    };
    assert_eq!(
        t.render(&f, |_| "h0"),
        "2001:db8:99::7 lladdr 02:00:00:00:00:77 STALE \n"
    );
}
