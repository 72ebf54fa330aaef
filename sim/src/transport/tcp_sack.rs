//! Selective acknowledgment (RFC 2018), on by default as Linux's `net.ipv4.tcp_sack`: the sender's scoreboard of
//! what the receiver holds beyond a hole (`tcp_sacktag_write_queue`) and the retransmission of the next hole per
//! arriving ACK during recovery (RFC 6675's `NextSeg()` with `HighRxt`, simplified: a hole below the highest
//! SACKed byte counts as lost, one retransmission per ACK). The receiver's blocks come from its out-of-order
//! queue ([`super::tcp_ofo::OfoQueue::sack_blocks`]).

use super::tcp::Tcb;
use super::tcp_seg::{seq_le, seq_lt, SackBlocks, SegOut};
use crate::wire::tcp::TcpFlags;

/// A connection's SACK state.
#[derive(Debug, Clone, Default)]
pub(super) struct SackState {
    /// Both ends sent SACK-permitted.
    pub ok: bool,
    /// SACKed ranges above `snd_una`, sorted and disjoint.
    scoreboard: Vec<(u32, u32)>,
    /// Everything below was retransmitted in this recovery (RFC 6675 `HighRxt`).
    pub high_rxt: u32,
}

impl SackState {
    /// Merges the blocks of an ACK for `[snd_una, snd_nxt)`; blocks outside it are ignored (RFC 2018 §4,
    /// `tcp_is_sackblock_valid`), and what `snd_una` passed is forgotten.
    pub fn update(&mut self, snd_una: u32, snd_nxt: u32, blocks: &SackBlocks) {
        self.scoreboard.retain(|&(_, r)| seq_lt(snd_una, r));
        for &(l, r) in blocks.iter().flatten() {
            if !(seq_lt(l, r) && seq_lt(snd_una, r) && seq_le(r, snd_nxt)) {
                continue;
            }
            let l = if seq_lt(l, snd_una) { snd_una } else { l };
            self.insert(snd_una, l, r);
        }
        for e in &mut self.scoreboard {
            if seq_lt(e.0, snd_una) {
                e.0 = snd_una;
            }
        }
    }

    fn insert(&mut self, base: u32, l: u32, r: u32) {
        let off = |s: u32| s.wrapping_sub(base);
        let (mut lo, mut hi) = (off(l), off(r));
        // Absorb every range that touches [lo, hi).
        self.scoreboard.retain(|&(a, b)| {
            let (a, b) = (off(a), off(b));
            if b < lo || a > hi {
                return true;
            }
            lo = lo.min(a);
            hi = hi.max(b);
            false
        });
        let at = self.scoreboard.partition_point(|&(a, _)| off(a) < lo);
        self.scoreboard
            .insert(at, (base.wrapping_add(lo), base.wrapping_add(hi)));
    }

    /// The first hole at or after `from` and below the highest SACKed byte: `[start, end)`.
    pub fn next_hole(&self, snd_una: u32, from: u32) -> Option<(u32, u32)> {
        let mut cur = if seq_lt(from, snd_una) { snd_una } else { from };
        for &(l, r) in &self.scoreboard {
            if seq_lt(cur, l) {
                return Some((cur, l));
            }
            if seq_lt(cur, r) {
                cur = r;
            }
        }
        None
    }

    /// Nothing SACKed.
    pub fn is_empty(&self) -> bool {
        self.scoreboard.is_empty()
    }

    /// Forgets the scoreboard (an RTO: `tcp_enter_loss` starts over from `snd_una`).
    pub fn clear(&mut self) {
        self.scoreboard.clear();
    }
}

impl Tcb {
    /// During recovery with SACK: resends the next hole past `HighRxt` (at most one MSS), if there is one.
    pub(super) fn sack_retransmit(&mut self, out: &mut Vec<SegOut>) -> bool {
        let Some((start, end)) = self.sack.next_hole(self.snd_una, self.sack.high_rxt) else {
            return false;
        };
        let sent_end = self.snd_una.wrapping_add(self.unacked() as u32);
        let end = if seq_lt(sent_end, end) { sent_end } else { end };
        let len = end.wrapping_sub(start).min(u32::from(self.peer_mss));
        if len == 0 || !seq_lt(start, self.snd_nxt) {
            return false;
        }
        let off = start.wrapping_sub(self.snd_una) as usize;
        let mut s = self.bare(start, TcpFlags::ACK);
        s.data = off..off + len as usize;
        out.push(s);
        self.sack.high_rxt = start.wrapping_add(len);
        self.info.retrans_segs += 1;
        self.rtt_probe = None;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoreboard_merges_clamps_and_forgets() {
        let mut s = SackState::default();
        s.update(1000, 9000, &[Some((3000, 4000)), Some((5000, 6000)), None]);
        s.update(1000, 9000, &[Some((4000, 5000)), Some((9500, 9900)), Some((900, 1500))]);
        assert_eq!(
            s.scoreboard,
            vec![(1000, 1500), (3000, 6000)],
            "adjacent merged, outside ignored, clamped"
        );
        assert_eq!(s.next_hole(1000, 1000), Some((1500, 3000)));
        assert_eq!(s.next_hole(1000, 2000), Some((2000, 3000)));
        assert_eq!(s.next_hole(1000, 3500), None, "nothing SACKed above 6000: not yet lost");
        s.update(3500, 9000, &[None; 3]);
        assert_eq!(s.scoreboard, vec![(3500, 6000)]);
        s.clear();
        assert_eq!(s.next_hole(3500, 3500), None);
    }
}
