//! The out-of-order queue of a TCP receiver (`tcp_data_queue_ofo`, `tcp_ofo_queue` in net/ipv4/tcp_input.c):
//! segments that arrive beyond a hole are held, coalesced with what is already there, and delivered when the
//! hole fills, so one lost segment costs one retransmission instead of the whole flight (RFC 9293 §3.10.7.4
//! "segments with higher beginning sequence numbers SHOULD be held for later processing").
//!
//! Entries are kept sorted and disjoint, all ahead of `rcv_nxt`; offsets from `rcv_nxt` make the order immune to
//! sequence wrap (everything held is inside the receive window, far below 2³¹). A sink keeps only lengths.

/// One held range: `[seq, seq + len)`, plus the FIN after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OfoSeg {
    /// First sequence number.
    pub seq: u32,
    /// Data length.
    pub len: u32,
    /// A FIN follows the data.
    pub fin: bool,
    /// The bytes (empty for a sink, which counts but never stores).
    pub data: Vec<u8>,
}

/// The queue.
#[derive(Debug, Clone, Default)]
pub(super) struct OfoQueue {
    segs: Vec<OfoSeg>,
    bytes: usize,
    /// Start of the segment held last: its block is reported first (RFC 2018 §4).
    last: Option<u32>,
}

impl OfoQueue {
    /// Nothing held.
    pub fn is_empty(&self) -> bool {
        self.segs.is_empty()
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Holds `[seq, seq + payload.len())` (and a FIN after it), trimmed against what is already held; `keep`
    /// stores the bytes. Returns false if nothing new was added (a duplicate) or `cap` bytes would be exceeded
    /// (`tcp_try_rmem_schedule` failing: the segment is dropped).
    pub fn insert(&mut self, rcv_nxt: u32, seq: u32, payload: &[u8], fin: bool, keep: bool, cap: usize) -> bool {
        let off = |s: u32| s.wrapping_sub(rcv_nxt);
        let mut start = off(seq);
        let mut end = start.wrapping_add(payload.len() as u32);
        let mut fin = fin;
        // Position: the first entry starting after us.
        let idx = self.segs.partition_point(|e| off(e.seq) <= start);
        if let Some(prev) = idx.checked_sub(1).and_then(|i| self.segs.get(i)) {
            let prev_end = off(prev.seq).wrapping_add(prev.len);
            if prev_end >= end && (!fin || prev.fin || prev_end > end) {
                return false; // covered
            }
            start = start.max(prev_end);
        }
        // Entries wholly inside the new range are replaced by it.
        let mut last = idx;
        while let Some(e) = self.segs.get(last) {
            let b = off(e.seq).wrapping_add(e.len);
            if b > end || (b == end && e.fin && !fin) {
                break;
            }
            last += 1;
        }
        if let Some(next) = self.segs.get(last) {
            let a = off(next.seq);
            if a < end {
                end = a;
                fin = false;
            }
        }
        if start > end || (start == end && !fin) {
            return false;
        }
        let lo = (start - off(seq)) as usize;
        let hi = (end - off(seq)) as usize;
        let len = (hi - lo) as u32;
        let removed: usize = self.segs[idx..last].iter().map(|e| e.len as usize).sum();
        if self.bytes - removed + len as usize > cap {
            return false;
        }
        let seg = OfoSeg {
            seq: rcv_nxt.wrapping_add(start),
            len,
            fin,
            data: if keep { payload[lo..hi].to_vec() } else { Vec::new() },
        };
        self.bytes = self.bytes - removed + len as usize;
        self.last = Some(seg.seq);
        self.segs.splice(idx..last, std::iter::once(seg));
        true
    }

    /// SACK blocks for an ACK (RFC 2018 §4): contiguous held ranges, the one holding the segment received last
    /// first, then the others in sequence order, at most three.
    pub fn sack_blocks(&self) -> [Option<(u32, u32)>; 3] {
        let mut recent = None;
        let mut others = [None; 3];
        let mut n = 0;
        let mut push = |b: (u32, u32)| {
            if b.0 == b.1 {
                return; // a held FIN alone is no block
            }
            let holds_last = self.last.is_some_and(|l| l.wrapping_sub(b.0) < b.1.wrapping_sub(b.0));
            if holds_last && recent.is_none() {
                recent = Some(b);
            } else if n < 3 {
                others[n] = Some(b);
                n += 1;
            }
        };
        let mut cur: Option<(u32, u32)> = None;
        for e in &self.segs {
            cur = match cur {
                Some((l, r)) if e.seq == r => Some((l, r.wrapping_add(e.len))),
                Some(b) => {
                    push(b);
                    Some((e.seq, e.seq.wrapping_add(e.len)))
                }
                None => Some((e.seq, e.seq.wrapping_add(e.len))),
            };
        }
        if let Some(b) = cur {
            push(b);
        }
        let mut blocks = [None; 3];
        for (slot, b) in blocks.iter_mut().zip(recent.iter().chain(others.iter().flatten())) {
            *slot = Some(*b);
        }
        blocks
    }

    /// The first entry if it starts at or before `rcv_nxt` (the hole is filled up to it).
    pub fn pop_ready(&mut self, rcv_nxt: u32) -> Option<OfoSeg> {
        let first = self.segs.first()?;
        // Held entries are ahead of the old rcv_nxt; one starting behind the new one is (partly) delivered.
        if first.seq.wrapping_sub(rcv_nxt) as i32 > 0 {
            return None;
        }
        let e = self.segs.remove(0);
        self.bytes -= e.len as usize;
        Some(e)
    }
}

impl super::tcp::Tcb {
    /// Bytes held beyond a hole in the received sequence space.
    pub fn ofo_bytes(&self) -> usize {
        self.ofo.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(q: &OfoQueue) -> Vec<(u32, u32, bool)> {
        q.segs.iter().map(|e| (e.seq, e.len, e.fin)).collect()
    }

    #[test]
    fn holds_sorted_disjoint_ranges_and_drops_duplicates() {
        let mut q = OfoQueue::default();
        let d = [1u8; 100];
        assert!(q.insert(1000, 1200, &d, false, true, 1 << 20));
        assert!(q.insert(1000, 1100, &d, false, true, 1 << 20));
        assert!(!q.insert(1000, 1100, &d, false, true, 1 << 20), "duplicate");
        assert!(!q.insert(1000, 1150, &d[..50], false, true, 1 << 20), "inside");
        // Overlaps the tail of the first and the head of the second: only the gap is new.
        assert!(q.insert(1000, 1250, &d, false, true, 1 << 20));
        assert_eq!(
            ranges(&q),
            vec![(1100, 100, false), (1200, 100, false), (1300, 50, false)]
        );
        assert_eq!(q.bytes(), 250);
        // A wider segment swallows what it covers.
        assert!(q.insert(1000, 1050, &[2u8; 400], false, true, 1 << 20));
        assert_eq!(ranges(&q), vec![(1050, 400, false)]);
        assert_eq!(q.bytes(), 400);
        assert!(
            !q.insert(1000, 1500, &d, false, true, 450),
            "cap: tcp_try_rmem_schedule"
        );
    }

    #[test]
    fn sack_blocks_put_the_latest_first_and_merge_adjacent_ranges() {
        let mut q = OfoQueue::default();
        let d = [0u8; 10];
        for seq in [110, 120, 150, 200] {
            assert!(q.insert(100, seq, &d, false, false, 1000));
        }
        assert_eq!(q.sack_blocks(), [Some((200, 210)), Some((110, 130)), Some((150, 160))]);
        assert!(q.insert(100, 160, &d, false, false, 1000));
        assert_eq!(q.sack_blocks(), [Some((150, 170)), Some((110, 130)), Some((200, 210))]);
        assert_eq!(OfoQueue::default().sack_blocks(), [None; 3]);
    }

    #[test]
    fn pops_when_the_hole_fills_and_keeps_the_fin() {
        let mut q = OfoQueue::default();
        let d = [3u8; 10];
        assert!(q.insert(0, 10, &d, false, false, 100));
        assert!(q.insert(0, 20, &d, true, false, 100));
        assert!(!q.insert(0, 30, &[], true, false, 100), "that FIN is already held");
        assert_eq!(q.pop_ready(0), None, "hole at 0..10");
        let e = q.pop_ready(10).map(|e| (e.seq, e.len, e.data.len()));
        assert_eq!(e, Some((10, 10, 0)), "a sink keeps no bytes");
        assert_eq!(q.pop_ready(20).map(|e| e.fin), Some(true));
        assert!(q.is_empty());
        // Sequence wrap.
        let mut w = OfoQueue::default();
        assert!(w.insert(u32::MAX - 5, 4, &d, false, true, 100));
        assert_eq!(w.pop_ready(u32::MAX - 5), None);
        assert_eq!(w.pop_ready(4).map(|e| e.seq), Some(4));
    }
}
