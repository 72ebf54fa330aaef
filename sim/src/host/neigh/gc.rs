//! Garbage collection of the neighbour table so memory stays bounded (net/core/neighbour.c `neigh_periodic_work`,
//! `neigh_forced_gc`, `gc_thresh1..3`).

use std::time::Duration;

use super::{Family, NeighKey, NeighTable, NudState, QueuedPacket};
use crate::time::Instant;

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

impl<P: QueuedPacket> NeighTable<P> {
    /// `neigh_periodic_work`: drop entries not in a timer state, not PERMANENT, that are FAILED or unused for
    /// `gc_stale_time` (`used` is first advanced to `confirmed`).
    pub(crate) fn periodic_gc(&mut self, now: Instant) {
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
    pub(crate) fn make_room(&mut self, now: Instant) -> bool {
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
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::host::neigh::UpdateFlags;
    use crate::id::IfIndex;
    use crate::time::Instant;
    use crate::wire::MacAddr;

    const IF: IfIndex = IfIndex(2);
    const M1: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn table() -> NeighTable<Vec<u8>> {
        NeighTable::new(&mut ChaCha8Rng::seed_from_u64(9))
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
}
