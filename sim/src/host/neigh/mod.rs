//! The neighbour cache of one node: IPv6 ND and IPv4 ARP entries with Linux's NUD state machine
//! (net/core/neighbour.c), sans-I/O. Events go in (`resolve`, `neigh_update` and the per-message entry points in
//! [`update`]), [`NeighAction`]s come out, and [`NeighTable::next_deadline`] tells the engine when to call
//! [`NeighTable::poll`].
//!
//! Entries are keyed by (interface, address) in a `BTreeMap` so every dump is in a deterministic order. A lookup
//! hit on a REACHABLE/DELAY/PROBE entry allocates nothing; timers live in a binary heap with lazy deletion so
//! re-arming a timer after warm-up reuses its capacity.

mod parms;
mod render;
pub mod update;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;

use crate::id::IfIndex;
use crate::time::Instant;
use crate::wire::MacAddr;

pub use parms::{random_reachable_time, Family, NeighParms, NudState, QueuedPacket, SKB_OVERHEAD};
pub use render::NeighFilter;
pub use update::{ArpInput, NaInput, NaOutcome, UpdateFlags, UpdateOutcome};

use parms::{within, IfParms, RERANDOMISE_INTERVAL};

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

/// Garbage-collection thresholds (`gc_thresh1..3`, `gc_interval`), Linux defaults 128 / 512 / 1024 / 30 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcConfig {
    /// Below this many entries nothing is collected.
    pub thresh1: usize,
    /// Above this a creation runs the forced GC (at most every 5 s).
    pub thresh2: usize,
    /// Hard limit: creation fails when the forced GC cannot get below it.
    pub thresh3: usize,
}

impl Default for GcConfig {
    fn default() -> Self {
        GcConfig {
            thresh1: 128,
            thresh2: 512,
            thresh3: 1024,
        }
    }
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

/// A read-only view of one entry, for `explain`, traces and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeighView {
    /// Interface.
    pub ifindex: IfIndex,
    /// Protocol address.
    pub ip: IpAddr,
    /// NUD state.
    pub state: NudState,
    /// Link-layer address, reported only while the state is valid (as `neigh_fill_info` does).
    pub lladdr: Option<MacAddr>,
    /// `NTF_ROUTER`.
    pub router: bool,
    /// Packets waiting for resolution.
    pub queued: usize,
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

    /// A view of one entry.
    pub fn get(&self, ifindex: IfIndex, ip: IpAddr) -> Option<NeighView> {
        self.entries.get(&(ifindex, ip)).map(|e| view((ifindex, ip), e))
    }

    /// Every entry in key order.
    pub fn iter(&self) -> impl Iterator<Item = NeighView> + '_ {
        self.entries.iter().map(|(k, e)| view(*k, e))
    }

    /// The newest packet queued for `ip` (what `ndisc_solicit` reads the probe's source address from).
    pub fn last_queued(&self, ifindex: IfIndex, ip: IpAddr) -> Option<&P> {
        self.entries.get(&(ifindex, ip)).and_then(|e| e.queue.back())
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

    /// `neigh_periodic_work`: drop entries not in a timer state, not PERMANENT, that are FAILED or unused for
    /// `gc_stale_time` (`used` is first advanced to `confirmed`).
    fn periodic_gc(&mut self, now: Instant) {
        let defaults = self.defaults;
        let parms = &self.parms;
        let before = self.entries.len();
        self.entries.retain(|k, e| {
            if e.state == NudState::Permanent || e.state.in_timer() {
                return true;
            }
            if let Some(c) = e.confirmed {
                if e.used < c && c <= now {
                    e.used = c;
                }
            }
            let fam = Family::of(k.1);
            let stale = parms
                .get(&(k.0, fam))
                .unwrap_or(&defaults[fam as usize])
                .parms
                .gc_stale_time;
            !(e.state == NudState::Failed || now >= e.used + stale)
        });
        self.stats.gc_removed += (before - self.entries.len()) as u64;
    }

    /// Room for one more entry (`neigh_alloc`): at `gc_thresh3`, or at `gc_thresh2` with no flush in the last
    /// 5 s, run `neigh_forced_gc`, which removes FAILED, NOARP, NONE and entries not updated for 5 s, oldest
    /// update first, down to `gc_thresh2`. Fails when still at `gc_thresh3`.
    fn make_room(&mut self, now: Instant) -> bool {
        let n = self.entries.len();
        if n >= self.gc.thresh3 || (n >= self.gc.thresh2 && now >= self.last_flush + Duration::from_secs(5)) {
            self.last_flush = now;
            let tref = Instant::from_nanos(now.as_nanos().saturating_sub(5_000_000_000));
            let mut victims: Vec<(Instant, NeighKey)> = self
                .entries
                .iter()
                .filter(|(_, e)| {
                    e.state != NudState::Permanent
                        && (matches!(e.state, NudState::Failed | NudState::Noarp | NudState::None) || e.updated < tref)
                })
                .map(|(k, e)| (e.updated, *k))
                .collect();
            victims.sort();
            let excess = n.saturating_sub(self.gc.thresh2);
            for (_, k) in victims.into_iter().take(excess) {
                self.entries.remove(&k);
                self.stats.gc_removed += 1;
            }
        }
        self.entries.len() < self.gc.thresh3
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

fn view<P>(key: NeighKey, e: &Entry<P>) -> NeighView {
    NeighView {
        ifindex: key.0,
        ip: key.1,
        state: e.state,
        lladdr: if e.state.is_valid() { e.lladdr } else { None },
        router: e.router,
        queued: e.queue.len(),
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

/// Arms the entry timer (`neigh_add_timer`); an older heap item becomes stale.
pub(crate) fn arm<P>(
    timers: &mut BinaryHeap<Reverse<(Instant, NeighKey)>>,
    e: &mut Entry<P>,
    key: NeighKey,
    at: Instant,
) {
    e.timer = Some(at);
    timers.push(Reverse((at, key)));
}

/// Cancels the entry timer (`neigh_del_timer`).
pub(crate) fn disarm<P>(e: &mut Entry<P>) {
    e.timer = None;
}

/// `neigh_probe` → `ndisc_solicit` / `arp_solicit`: the first `ucast_probes` go unicast to the cached lladdr, then
/// `app_probes` to userspace, then multicast; `probes` counts them.
fn probe<P>(e: &mut Entry<P>, key: NeighKey, p: &NeighParms, out: &mut Vec<NeighAction<P>>) {
    let kind = if e.probes < p.ucast_probes {
        // An INCOMPLETE entry starts at ucast_probes, so a unicast probe always has a cached lladdr.
        e.lladdr
            .filter(|_| e.state.is_valid())
            .map_or(Probe::Multicast, Probe::Unicast)
    } else if e.probes - p.ucast_probes < p.app_probes {
        Probe::Application
    } else {
        Probe::Multicast
    };
    out.push(NeighAction::Solicit {
        ifindex: key.0,
        target: key.1,
        probe: kind,
    });
    e.probes = e.probes.saturating_add(1);
}

/// `neigh_invalidate`: report the queued packets unreachable.
pub(crate) fn invalidate<P>(e: &mut Entry<P>, key: NeighKey, out: &mut Vec<NeighAction<P>>) {
    if !e.queue.is_empty() {
        let packets = Vec::from(std::mem::take(&mut e.queue));
        out.push(NeighAction::Unreachable {
            ifindex: key.0,
            neighbour: key.1,
            packets,
        });
    }
    e.queue_bytes = 0;
}

/// `neigh_timer_handler` (net/core/neighbour.c), RFC 4861 §7.3.3 and Appendix C:
/// - REACHABLE: still confirmed within `reachable_time` → re-arm at `confirmed + reachable_time`; used within
///   `delay_first_probe_time` → DELAY; otherwise → STALE (no timer).
/// - DELAY: confirmed within `delay_first_probe_time` → REACHABLE; otherwise → PROBE with `probes = 0`.
/// - INCOMPLETE/PROBE: `neigh_max_probes` reached → FAILED and `neigh_invalidate`; else another probe after
///   `retrans_time`.
fn timer_handler<P>(
    now: Instant,
    key: NeighKey,
    e: &mut Entry<P>,
    ip: &IfParms,
    timers: &mut BinaryHeap<Reverse<(Instant, NeighKey)>>,
    out: &mut Vec<NeighAction<P>>,
) {
    let p = &ip.parms;
    let mut next = now + Duration::from_secs(1);
    match e.state {
        NudState::Reachable => {
            if within(now, e.confirmed, ip.reachable_time) {
                next = e.confirmed.map_or(now, |c| c + ip.reachable_time);
            } else if now <= e.used + p.delay_probe_time {
                e.state = NudState::Delay;
                e.updated = now;
                next = now + p.delay_probe_time;
            } else {
                e.state = NudState::Stale;
                e.updated = now;
            }
        }
        NudState::Delay => {
            if within(now, e.confirmed, p.delay_probe_time) {
                e.state = NudState::Reachable;
                e.updated = now;
                next = e.confirmed.map_or(now, |c| c + ip.reachable_time);
            } else {
                e.state = NudState::Probe;
                e.updated = now;
                e.probes = 0;
                next = now + p.probe_interval();
            }
        }
        NudState::Incomplete | NudState::Probe => next = now + p.probe_interval(),
        _ => return,
    }
    if matches!(e.state, NudState::Incomplete | NudState::Probe) && e.probes >= p.max_probes(e.state) {
        e.state = NudState::Failed;
        e.updated = now;
        invalidate(e, key, out);
        return;
    }
    if e.state.in_timer() {
        arm(timers, e, key, next.max(now + Duration::from_millis(10)));
    }
    if matches!(e.state, NudState::Incomplete | NudState::Probe) {
        probe(e, key, p, out);
    }
}

#[cfg(test)]
mod tests;
