//! Sets of addresses as disjoint inclusive intervals of `u128`.
//!
//! The 2018 director expanded every reserved and static address into a Ruby `Set` of integers and sorted the union at
//! each allocation (bosh-networking.md §4.5); a reserved /64 could never finish. Here a range of 2^63 addresses is one
//! entry: every operation costs O(log n) in the number of intervals n and nothing in their sizes, so that hang is
//! impossible by construction. Intervals are kept merged (no two overlap or touch), keyed by start in a `BTreeMap`
//! rather than a sorted `Vec`, so that inserting one allocation into 10,000 intervals does not shift the other 9,999.

use std::collections::BTreeMap;

/// A set of `u128` values stored as disjoint, non-adjacent inclusive intervals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntervalSet {
    /// start → end (inclusive); invariant: for consecutive entries, `prev.end + 1 < next.start`.
    map: BTreeMap<u128, u128>,
}

impl IntervalSet {
    /// The empty set.
    pub fn new() -> IntervalSet {
        IntervalSet::default()
    }

    /// Number of stored intervals (not addresses).
    pub fn interval_count(&self) -> usize {
        self.map.len()
    }

    /// True when the set holds no address.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The intervals in ascending order.
    pub fn intervals(&self) -> impl Iterator<Item = (u128, u128)> + '_ {
        self.map.iter().map(|(&lo, &hi)| (lo, hi))
    }

    /// Adds `[lo, hi]` (ignored if `lo > hi`), merging with overlapping or touching intervals.
    pub fn insert(&mut self, lo: u128, hi: u128) {
        if lo > hi {
            return;
        }
        let (mut new_lo, mut new_hi) = (lo, hi);
        // A predecessor that overlaps or ends right before `lo` absorbs the new interval.
        if let Some((&p_lo, &p_hi)) = self.map.range(..=lo).next_back() {
            if p_hi.checked_add(1).is_none_or(|after| after >= lo) {
                new_lo = p_lo;
                new_hi = new_hi.max(p_hi);
            }
        }
        // Every interval starting inside `[lo, hi + 1]` is swallowed.
        let upper = new_hi.saturating_add(1);
        let swallowed: Vec<(u128, u128)> = self.map.range(new_lo..=upper).map(|(&a, &b)| (a, b)).collect();
        for (a, b) in swallowed {
            self.map.remove(&a);
            new_hi = new_hi.max(b);
        }
        self.map.insert(new_lo, new_hi);
    }

    /// Adds every interval of `other`.
    pub fn insert_all(&mut self, other: &IntervalSet) {
        for (lo, hi) in other.intervals() {
            self.insert(lo, hi);
        }
    }

    /// The interval containing `x`, if any.
    pub fn interval_of(&self, x: u128) -> Option<(u128, u128)> {
        self.map
            .range(..=x)
            .next_back()
            .filter(|(_, &hi)| hi >= x)
            .map(|(&lo, &hi)| (lo, hi))
    }

    /// Whether `x` is in the set.
    pub fn contains(&self, x: u128) -> bool {
        self.interval_of(x).is_some()
    }

    /// The lowest member of the set inside `[lo, hi]`.
    pub fn first_in(&self, lo: u128, hi: u128) -> Option<u128> {
        if lo > hi {
            return None;
        }
        if self.contains(lo) {
            return Some(lo);
        }
        self.map.range(lo..=hi).next().map(|(&start, _)| start)
    }

    /// Whether every value of `[lo, hi]` is in the set.
    pub fn covers(&self, lo: u128, hi: u128) -> bool {
        self.interval_of(lo).is_some_and(|(_, end)| end >= hi)
    }

    /// The lowest value of `[lo, hi]` that is not in the set. Because intervals are merged, the end of the interval
    /// holding `lo` is followed by a free value: one lookup, O(log n).
    pub fn lowest_free(&self, lo: u128, hi: u128) -> Option<u128> {
        if lo > hi {
            return None;
        }
        match self.interval_of(lo) {
            None => Some(lo),
            Some((_, end)) => end.checked_add(1).filter(|&free| free <= hi),
        }
    }

    /// The lowest base of an aligned block of `2^block_bits` values inside `[lo, hi]` that no member of the set
    /// touches. This is the director's prefix walk (`IpRepo#find_next_available_ip`, bosh-networking.md §4.4):
    /// each step skips at least one whole interval, so the cost is O(k log n) for k intervals skipped.
    pub fn lowest_free_block(&self, lo: u128, hi: u128, block_bits: u8) -> Option<u128> {
        let mask = crate::addr::low_mask(block_bits);
        let mut base = align_up(lo, mask)?;
        loop {
            let end = base.checked_add(mask)?;
            if end > hi {
                return None;
            }
            match self.first_in(base, end) {
                None => return Some(base),
                Some(blocker) => {
                    let (_, blocker_end) = self.interval_of(blocker)?;
                    base = align_up(blocker_end.checked_add(1)?, mask)?;
                }
            }
        }
    }
}

/// `x` rounded up to a multiple of `mask + 1` (`mask` is all low ones); `None` on overflow.
fn align_up(x: u128, mask: u128) -> Option<u128> {
    x.checked_add(mask).map(|v| v & !mask)
}

impl FromIterator<(u128, u128)> for IntervalSet {
    fn from_iter<I: IntoIterator<Item = (u128, u128)>>(iter: I) -> IntervalSet {
        let mut set = IntervalSet::new();
        for (lo, hi) in iter {
            set.insert(lo, hi);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[(u128, u128)]) -> IntervalSet {
        items.iter().copied().collect()
    }

    #[test]
    fn merges_overlapping_and_touching() {
        let s = set(&[(10, 20), (21, 25), (5, 9), (40, 50), (45, 60)]);
        assert_eq!(s.intervals().collect::<Vec<_>>(), vec![(5, 25), (40, 60)]);
        let mut t = s.clone();
        t.insert(26, 39);
        assert_eq!(t.intervals().collect::<Vec<_>>(), vec![(5, 60)]);
        t.insert(0, u128::MAX);
        assert_eq!(t.intervals().collect::<Vec<_>>(), vec![(0, u128::MAX)]);
    }

    #[test]
    fn lowest_free_jumps_a_huge_interval() {
        let s = set(&[(0, 0), (1, 1 << 63), (u128::MAX - 5, u128::MAX)]);
        assert_eq!(s.lowest_free(0, u128::MAX), Some((1 << 63) + 1));
        assert_eq!(s.lowest_free(u128::MAX - 5, u128::MAX), None);
        assert_eq!(s.lowest_free(7, 3), None);
    }

    #[test]
    fn first_in_and_covers() {
        let s = set(&[(10, 20), (30, 40)]);
        assert_eq!(s.first_in(0, 9), None);
        assert_eq!(s.first_in(0, 10), Some(10));
        assert_eq!(s.first_in(15, 100), Some(15));
        assert_eq!(s.first_in(21, 35), Some(30));
        assert!(s.covers(12, 20));
        assert!(!s.covers(12, 21));
        assert!(s.contains(40) && !s.contains(41));
    }

    #[test]
    fn aligned_blocks_skip_blockers() {
        // /24 with prefix 28: block 0 holds the network id and gateway, so the first free block is 16 (docs example
        // in bosh-networking.md §4.4).
        let s = set(&[(0, 1), (255, 255)]);
        assert_eq!(s.lowest_free_block(0, 255, 4), Some(16));
        let s = set(&[(0, 1), (20, 20), (255, 255)]);
        assert_eq!(s.lowest_free_block(0, 255, 4), Some(32));
        let s = set(&[(0, 239), (255, 255)]);
        assert_eq!(s.lowest_free_block(0, 255, 4), None);
        assert_eq!(IntervalSet::new().lowest_free_block(0, u128::MAX, 128), Some(0));
    }
}
