//! The neighbour cache of one node: IPv6 ND and IPv4 ARP entries with Linux's NUD state machine
//! (net/core/neighbour.c), sans-I/O. Events go in (`resolve`, `neigh_update` and the per-message entry points in
//! [`update`]), [`NeighAction`]s come out, and [`NeighTable::next_deadline`] tells the engine when to call
//! [`NeighTable::poll`].
//!
//! Entries are keyed by (interface, address) in a `BTreeMap` so every dump is in a deterministic order. A lookup
//! hit on a REACHABLE/DELAY/PROBE entry allocates nothing; timers live in a binary heap with lazy deletion so
//! re-arming a timer after warm-up reuses its capacity.

mod gc;
mod parms;
mod timer;
pub mod update;
mod view;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;

use crate::id::IfIndex;
use crate::time::Instant;
use crate::wire::MacAddr;

pub use gc::GcConfig;
pub use parms::{random_reachable_time, Family, NeighParms, NudState, QueuedPacket, SKB_OVERHEAD};
pub use update::{ArpInput, NaInput, NaOutcome, UpdateFlags, UpdateOutcome};
pub use view::{NeighFilter, NeighView};

use parms::{IfParms, RERANDOMISE_INTERVAL};
use timer::{arm, disarm, invalidate, probe, timer_handler};

/// Key of an entry: the interface and the neighbour's protocol address.
pub type NeighKey = (IfIndex, IpAddr);

/// How a solicitation is to be sent (`ndisc_solicit` / `arp_solicit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// To the solicited-node group (ND) or broadcast (ARP): INCOMPLETE resolution.
    Multicast,
    /// Unicast to the cached lladdr: PROBE state (RFC 4861 §7.3.3).
    Unicast(MacAddr),
    /// `app_solicit`: handed to a userspace daemon (`neigh_app_ns`); the host only reports it.
    Application,
}

/// What the host must do after a neighbour event.
#[derive(Debug, PartialEq, Eq)]
pub enum NeighAction<P> {
    /// Send an NS for `target` (IPv6) or an ARP request (IPv4). The host picks the source as `ndisc_solicit` does:
    /// the source of [`NeighTable::last_queued`] if it is local, else by source address selection.
    Solicit {
        /// Interface to send on.
        ifindex: IfIndex,
        /// The address being resolved.
        target: IpAddr,
        /// Multicast, unicast or application probe.
        probe: Probe,
    },
    /// Resolution succeeded: send these packets, queued while INCOMPLETE, to `lladdr` in order.
    Transmit {
        /// Interface to send on.
        ifindex: IfIndex,
        /// The resolved neighbour.
        neighbour: IpAddr,
        /// Its link-layer address.
        lladdr: MacAddr,
        /// The queued packets, oldest first.
        packets: Vec<P>,
    },
    /// Resolution failed (`neigh_invalidate`): drop these packets and report "address unreachable" for each
    /// (`ndisc_error_report` / `arp_error_report` send ICMPv6 type 1 code 3 / ICMP host unreachable).
    Unreachable {
        /// Interface the packets were for.
        ifindex: IfIndex,
        /// The neighbour that did not answer.
        neighbour: IpAddr,
        /// The queued packets, oldest first.
        packets: Vec<P>,
    },
}

/// The answer to [`NeighTable::resolve`].
#[derive(Debug, PartialEq, Eq)]
pub enum Resolution<P> {
    /// The lladdr is usable now: send `packet` to it.
    Send {
        /// Destination MAC.
        lladdr: MacAddr,
        /// The packet, handed back.
        packet: P,
    },
    /// The packet waits in the entry's queue; it comes back in a `Transmit` or `Unreachable` action.
    Queued,
    /// Dropped without an ICMP error: no probes configured, or the table is full (`neighbour table overflow`).
    Dropped {
        /// The packet, handed back for the drop counter.
        packet: P,
    },
}

/// Counters in the spirit of `/proc/net/stat/ndisc_cache`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NeighStats {
    /// Entries created.
    pub allocs: u64,
    /// Entries removed by garbage collection.
    pub gc_removed: u64,
    /// Packets dropped from a full INCOMPLETE queue (`unres_discards`).
    pub unres_discards: u64,
    /// Creations refused at `gc_thresh3` (`table_fulls`).
    pub table_fulls: u64,
}

/// One cache entry (`struct neighbour`).
#[derive(Debug)]
pub(crate) struct Entry<P> {
    pub(crate) state: NudState,
    pub(crate) lladdr: Option<MacAddr>,
    pub(crate) router: bool,
    /// Last reachability confirmation; `None` stands for the kernel's "2 × base_reachable_time ago".
    pub(crate) confirmed: Option<Instant>,
    pub(crate) used: Instant,
    pub(crate) updated: Instant,
    pub(crate) probes: u32,
    pub(crate) timer: Option<Instant>,
    pub(crate) queue: VecDeque<P>,
    pub(crate) queue_bytes: usize,
}

impl<P> Entry<P> {
    fn new(now: Instant) -> Entry<P> {
        Entry {
            state: NudState::None,
            lladdr: None,
            router: false,
            confirmed: None,
            used: now,
            updated: now,
            probes: 0,
            timer: None,
            queue: VecDeque::new(),
            queue_bytes: 0,
        }
    }
}

/// The neighbour table of one node, for both ARP and ND.
#[derive(Debug)]
pub struct NeighTable<P> {
    pub(crate) entries: BTreeMap<NeighKey, Entry<P>>,
    pub(crate) timers: BinaryHeap<Reverse<(Instant, NeighKey)>>,
    parms: BTreeMap<(IfIndex, Family), IfParms>,
    defaults: [IfParms; 2],
    gc: GcConfig,
    next_gc: Instant,
    last_flush: Instant,
    last_rand: Instant,
    stats: NeighStats,
}

impl<P: QueuedPacket> NeighTable<P> {
    /// An empty table with Linux defaults, `reachable_time` drawn from `rng`.
    pub fn new<R: rand::Rng + ?Sized>(rng: &mut R) -> NeighTable<P> {
        let defaults = [
            IfParms::new(NeighParms::arp(), rng),
            IfParms::new(NeighParms::nd(), rng),
        ];
        NeighTable {
            entries: BTreeMap::new(),
            timers: BinaryHeap::new(),
            parms: BTreeMap::new(),
            defaults,
            gc: GcConfig::default(),
            next_gc: Instant::ZERO + Duration::from_secs(15),
            last_flush: Instant::ZERO,
            last_rand: Instant::ZERO,
            stats: NeighStats::default(),
        }
    }

    /// Replaces the GC thresholds.
    pub fn set_gc(&mut self, gc: GcConfig) {
        self.gc = gc;
    }

    /// Counters.
    pub fn stats(&self) -> NeighStats {
        self.stats
    }

    /// Number of entries (all states).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sets `ifindex`'s parameters for `family` (sysctl write), drawing a fresh `reachable_time`.
    pub fn set_parms<R: rand::Rng + ?Sized>(
        &mut self,
        ifindex: IfIndex,
        family: Family,
        parms: NeighParms,
        rng: &mut R,
    ) {
        self.parms.insert((ifindex, family), IfParms::new(parms, rng));
    }

    /// The parameters in force on `ifindex` for `family`.
    pub fn parms(&self, ifindex: IfIndex, family: Family) -> NeighParms {
        self.if_parms(ifindex, family).parms
    }

    /// The current randomised `reachable_time` on `ifindex` for `family`.
    pub fn reachable_time(&self, ifindex: IfIndex, family: Family) -> Duration {
        self.if_parms(ifindex, family).reachable_time
    }

    /// Applies an RA's Reachable Time and Retrans Timer (ms, 0 = unspecified) as `ndisc_router_discovery` does
    /// (linux-ipv6.md B19): retrans at least 10 ms; reachable at least 100 ms, and a change also sets
    /// `gc_stale_time` to 3× and re-draws `reachable_time`.
    pub fn apply_ra_timers<R: rand::Rng + ?Sized>(
        &mut self,
        ifindex: IfIndex,
        reachable_ms: u32,
        retrans_ms: u32,
        rng: &mut R,
    ) {
        let mut p = self.if_parms(ifindex, Family::V6);
        if retrans_ms != 0 {
            p.parms.retrans_time = Duration::from_millis(u64::from(retrans_ms).max(10));
        }
        if reachable_ms != 0 {
            let base = Duration::from_millis(u64::from(reachable_ms).max(100));
            if base != p.parms.base_reachable_time {
                p.parms.base_reachable_time = base;
                p.parms.gc_stale_time = base * 3;
                p.reachable_time = random_reachable_time(base, rng);
            }
        }
        self.parms.insert((ifindex, Family::V6), p);
    }

    pub(crate) fn if_parms(&self, ifindex: IfIndex, family: Family) -> IfParms {
        match self.parms.get(&(ifindex, family)) {
            Some(p) => *p,
            None => self.defaults[family as usize],
        }
    }

    /// Output path (`neigh_output` → `neigh_resolve_output` → `__neigh_event_send`, net/core/neighbour.c):
    /// - REACHABLE/NOARP/PERMANENT: send (the kernel's hh-cache fast path: `used` is not touched);
    /// - DELAY/PROBE: send and mark used;
    /// - STALE: send, go DELAY for `delay_first_probe_time` (RFC 4861 §7.3.3);
    /// - none/NONE/FAILED: go INCOMPLETE with `probes = ucast_probes`, queue, multicast probe now, next after
    ///   `retrans_time` (or FAILED and drop when `mcast_probes + app_probes` is 0);
    /// - INCOMPLETE: queue, dropping the oldest packets beyond `unres_qlen_bytes`.
    ///
    /// The caller resolves multicast and broadcast destinations itself; they never enter the table.
    pub fn resolve(
        &mut self,
        now: Instant,
        ifindex: IfIndex,
        ip: IpAddr,
        packet: P,
        out: &mut Vec<NeighAction<P>>,
    ) -> Resolution<P> {
        let key = (ifindex, ip);
        if let Some(e) = self.entries.get_mut(&key) {
            match (e.state, e.lladdr) {
                (NudState::Reachable | NudState::Noarp | NudState::Permanent, Some(lladdr)) => {
                    return Resolution::Send { lladdr, packet };
                }
                (NudState::Delay | NudState::Probe, Some(lladdr)) => {
                    e.used = now;
                    return Resolution::Send { lladdr, packet };
                }
                _ => {}
            }
        } else if !self.make_room(now) {
            self.stats.table_fulls += 1;
            return Resolution::Dropped { packet };
        } else {
            self.entries.insert(key, Entry::new(now));
            self.stats.allocs += 1;
        }
        let p = self.if_parms(ifindex, Family::of(ip)).parms;
        let Some(e) = self.entries.get_mut(&key) else {
            return Resolution::Dropped { packet };
        };
        e.used = now;
        match e.state {
            NudState::Stale => {
                e.state = NudState::Delay;
                e.updated = now;
                arm(&mut self.timers, e, key, now + p.delay_probe_time);
                match e.lladdr {
                    Some(lladdr) => Resolution::Send { lladdr, packet },
                    None => Resolution::Dropped { packet },
                }
            }
            NudState::Incomplete => {
                enqueue(e, packet, p.queue_len_bytes, &mut self.stats);
                Resolution::Queued
            }
            _ => {
                if p.mcast_probes.saturating_add(p.app_probes) == 0 {
                    e.state = NudState::Failed;
                    e.updated = now;
                    disarm(e);
                    return Resolution::Dropped { packet };
                }
                e.probes = p.ucast_probes;
                e.state = NudState::Incomplete;
                e.updated = now;
                arm(&mut self.timers, e, key, now + p.probe_interval());
                enqueue(e, packet, p.queue_len_bytes, &mut self.stats);
                probe(e, key, &p, out);
                Resolution::Queued
            }
        }
    }

    /// Upper-layer reachability confirmation (`neigh_confirm`, from TCP progress or `MSG_CONFIRM`): refreshes
    /// `confirmed`, which the DELAY and REACHABLE timers read (RFC 4861 §7.3.1).
    pub fn confirm(&mut self, now: Instant, ifindex: IfIndex, ip: IpAddr) {
        if let Some(e) = self.entries.get_mut(&(ifindex, ip)) {
            e.confirmed = Some(now);
        }
    }

    /// Removes an entry (`ip neigh del`); its queued packets are dropped silently. Returns whether it existed.
    pub fn delete(&mut self, ifindex: IfIndex, ip: IpAddr) -> bool {
        let existed = self.entries.remove(&(ifindex, ip)).is_some();
        self.prune_timer_top();
        existed
    }

    /// Removes every entry of an interface (`neigh_ifdown` at link down or unregister); with `keep_permanent`
    /// (carrier loss, `neigh_carrier_down`) PERMANENT entries stay. Returns how many were removed.
    pub fn flush_interface(&mut self, ifindex: IfIndex, keep_permanent: bool) -> usize {
        let before = self.entries.len();
        self.entries
            .retain(|(i, _), e| *i != ifindex || (keep_permanent && e.state == NudState::Permanent));
        self.prune_timer_top();
        before - self.entries.len()
    }

    /// When the table next needs [`NeighTable::poll`]: the earliest entry timer, and the periodic GC while the
    /// table holds at least `gc_thresh1` entries. `Instant::FAR_FUTURE` when idle.
    pub fn next_deadline(&self) -> Instant {
        let timer = self.timers.peek().map_or(Instant::FAR_FUTURE, |Reverse((t, _))| *t);
        if self.entries.len() >= self.gc.thresh1 {
            timer.min(self.next_gc)
        } else {
            timer
        }
    }

    /// Runs every timer due at or before `now` (`neigh_timer_handler`), the periodic GC and the 300 s
    /// re-randomisation of `reachable_time` (`neigh_periodic_work`).
    pub fn poll<R: rand::Rng + ?Sized>(&mut self, now: Instant, rng: &mut R, out: &mut Vec<NeighAction<P>>) {
        while let Some(Reverse((when, key))) = self.timers.peek().copied() {
            if when > now {
                break;
            }
            self.timers.pop();
            let p = self.if_parms(key.0, Family::of(key.1));
            if let Some(e) = self.entries.get_mut(&key) {
                if e.timer == Some(when) {
                    e.timer = None;
                    timer_handler(now, key, e, &p, &mut self.timers, out);
                }
            }
        }
        if now >= self.last_rand + RERANDOMISE_INTERVAL {
            self.last_rand = now;
            for slot in self.defaults.iter_mut().chain(self.parms.values_mut()) {
                slot.reachable_time = random_reachable_time(slot.parms.base_reachable_time, rng);
            }
        }
        if now >= self.next_gc {
            let interval = self.defaults[Family::V6 as usize].parms.base_reachable_time / 2;
            self.next_gc = now + interval.max(Duration::from_millis(10));
            if self.entries.len() >= self.gc.thresh1 {
                self.periodic_gc(now);
            }
        }
        // Stale heap items from re-armed timers: compact so the heap stays proportional to the table.
        if self.timers.len() > 4 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.timers
                .retain(|Reverse((t, k))| entries.get(k).is_some_and(|e| e.timer == Some(*t)));
        }
        self.prune_timer_top();
    }

    /// Drops heap items of re-armed, cancelled or removed timers from the top, so [`NeighTable::next_deadline`]
    /// reports a live timer.
    pub(crate) fn prune_timer_top(&mut self) {
        while let Some(Reverse((t, k))) = self.timers.peek() {
            if self.entries.get(k).is_some_and(|e| e.timer == Some(*t)) {
                break;
            }
            self.timers.pop();
        }
    }

    /// Looks up or creates the entry for an update (`__neigh_lookup(…, creat)`); `None` when absent and not
    /// created.
    pub(crate) fn lookup_or_create(&mut self, now: Instant, key: NeighKey, create: bool) -> Option<&mut Entry<P>> {
        if !self.entries.contains_key(&key) {
            if !create || !self.make_room(now) {
                if create {
                    self.stats.table_fulls += 1;
                }
                return None;
            }
            self.entries.insert(key, Entry::new(now));
            self.stats.allocs += 1;
        }
        self.entries.get_mut(&key)
    }
}

/// Appends to the INCOMPLETE queue, dropping the oldest packets until it fits `unres_qlen_bytes`.
fn enqueue<P: QueuedPacket>(e: &mut Entry<P>, packet: P, limit: usize, stats: &mut NeighStats) {
    let size = packet.truesize();
    while e.queue_bytes + size > limit {
        match e.queue.pop_front() {
            Some(old) => {
                e.queue_bytes -= old.truesize();
                stats.unres_discards += 1;
            }
            None => break,
        }
    }
    e.queue_bytes += size;
    e.queue.push_back(packet);
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    const IF: IfIndex = IfIndex(2);
    const M1: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);

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
}
