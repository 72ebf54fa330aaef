//! The neighbour lookup hot path allocates nothing: a REACHABLE hit, and after warm-up a STALE → DELAY use
//! (the timer heap reuses its capacity). Counted with a global allocator wrapper, per thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::IpAddr;

use dualhome_sim::host::neigh::{NaInput, NeighTable, NudState, Resolution, UpdateFlags};
use dualhome_sim::id::IfIndex;
use dualhome_sim::time::Instant;
use dualhome_sim::wire::MacAddr;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

/// A packet type that owns no heap memory, so only the table's own allocations are counted.
struct Pkt;

impl dualhome_sim::host::neigh::QueuedPacket for Pkt {
    fn truesize(&self) -> usize {
        640
    }
}

#[test]
fn lookup_hits_do_not_allocate() {
    let h0 = IfIndex(2);
    let mac = MacAddr([2, 0, 0, 0, 0, 1]);
    let gw: IpAddr = "fe80::1".parse().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut t: NeighTable<Pkt> = NeighTable::new(&mut rng);
    let mut out = Vec::with_capacity(16);
    // Warm-up: resolve, answer, let it go STALE and be used once, so the heap has capacity.
    t.resolve(Instant::ZERO, h0, gw, Pkt, &mut out);
    out.clear();
    let na = NaInput {
        target: gw,
        tlla: Some(mac),
        solicited: true,
        override_flag: true,
        router: true,
        create_untracked: false,
    };
    t.recv_na(Instant::from_millis(1), h0, na, &mut out);
    out.clear();
    for i in 0..4 {
        t.neigh_update(
            Instant::from_secs(10 + i),
            h0,
            gw,
            Some(mac),
            NudState::Stale,
            UpdateFlags::ADMIN,
            false,
            &mut out,
        );
        t.resolve(Instant::from_secs(10 + i), h0, gw, Pkt, &mut out);
        t.neigh_update(
            Instant::from_secs(10 + i),
            h0,
            gw,
            Some(mac),
            NudState::Reachable,
            Default::default(),
            false,
            &mut out,
        );
    }
    out.clear();

    let before = allocs();
    for i in 0..10_000u64 {
        let r = t.resolve(
            Instant::from_secs(20) + std::time::Duration::from_nanos(i),
            h0,
            gw,
            Pkt,
            &mut out,
        );
        assert!(matches!(r, Resolution::Send { lladdr, .. } if lladdr == mac));
    }
    assert_eq!(allocs() - before, 0, "REACHABLE hits");

    let before = allocs();
    for i in 0..100u64 {
        let now = Instant::from_secs(100 + i);
        t.neigh_update(
            now,
            h0,
            gw,
            Some(mac),
            NudState::Stale,
            UpdateFlags::ADMIN,
            false,
            &mut out,
        );
        let r = t.resolve(now, h0, gw, Pkt, &mut out);
        assert!(matches!(r, Resolution::Send { .. }));
        assert_eq!(t.get(h0, gw).map(|v| v.state), Some(NudState::Delay));
        t.neigh_update(
            now,
            h0,
            gw,
            Some(mac),
            NudState::Reachable,
            Default::default(),
            false,
            &mut out,
        );
    }
    assert_eq!(allocs() - before, 0, "STALE → DELAY uses after warm-up");
    assert!(out.is_empty());
}

#[test]
fn idle_polls_and_deadline_queries_do_not_allocate() {
    let h0 = IfIndex(2);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut t: NeighTable<Pkt> = NeighTable::new(&mut rng);
    let mut out = Vec::with_capacity(16);
    let peer: IpAddr = "10.0.9.151".parse().unwrap();
    let mac = MacAddr([2, 0, 0, 0, 0, 9]);
    t.neigh_update(
        Instant::ZERO,
        h0,
        peer,
        Some(mac),
        NudState::Reachable,
        UpdateFlags::OVERRIDE,
        true,
        &mut out,
    );
    let deadline = t.next_deadline();
    assert!(deadline > Instant::from_secs(10));

    let before = allocs();
    for i in 0..1_000u64 {
        let now = Instant::from_millis(i);
        assert_eq!(t.next_deadline(), deadline);
        t.poll(now, &mut rng, &mut out);
    }
    assert_eq!(allocs() - before, 0);
    assert!(out.is_empty());
}
