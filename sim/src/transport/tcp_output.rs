//! The send path of a TCP connection (`tcp_write_xmit`, `tcp_send_ack`): segments as large as the MSS, the peer's
//! window and the congestion window allow; Nagle (RFC 896) unless TCP_NODELAY; nothing new while an RTO
//! retransmission is outstanding (Linux's loss state has a one-packet window); the FIN after the last data; a
//! pending ACK when no data carried it; and the head retransmission RTO, fast retransmit and NewReno use.

use super::tcp::{Tcb, TcpState};
use crate::time::Instant;
use crate::transport::tcp_seg::{seq_lt, SegOut};
use crate::wire::tcp::TcpFlags;

impl Tcb {
    /// Sends what the windows allow, then a pending ACK (`tcp_write_xmit`, `tcp_send_ack`).
    pub fn output(&mut self, now: Instant, out: &mut Vec<SegOut>) {
        if !matches!(
            self.state,
            TcpState::Established | TcpState::CloseWait | TcpState::FinWait1 | TcpState::Closing | TcpState::LastAck
        ) {
            if self.ack_now {
                self.send_ack(out);
            }
            return;
        }
        let mss = u32::from(self.peer_mss);
        loop {
            let in_flight = self.snd_nxt.wrapping_sub(self.snd_una);
            let wnd = self.snd_wnd.min(self.cwnd);
            let end = self.data_end();
            let pending = end.wrapping_sub(self.snd_nxt);
            if seq_lt(end, self.snd_nxt) {
                break; // FIN already out
            }
            if pending == 0 {
                if self.fin_queued && !self.fin_sent() {
                    let mut s = self.bare(self.snd_nxt, TcpFlags::FIN | TcpFlags::ACK);
                    s.data = 0..0;
                    out.push(s);
                    self.snd_nxt = self.snd_nxt.wrapping_add(1);
                    self.state = match self.state {
                        TcpState::CloseWait => TcpState::LastAck,
                        _ => TcpState::FinWait1,
                    };
                    self.arm_rto(now);
                    self.segs_unacked = 0;
                    self.delack_at = None;
                    self.ack_now = false;
                }
                break;
            }
            // RTO recovery (TCP_CA_Loss): Linux's cwnd is one *packet* and the head is out again, so nothing new
            // leaves until it is acknowledged, however small the writes (F4: only retransmissions reach the wire).
            if self.retransmits > 0 && in_flight > 0 {
                break;
            }
            let room = wnd.saturating_sub(in_flight);
            let len = pending.min(mss).min(room);
            if len == 0 {
                break;
            }
            // Nagle (RFC 896, tcp_nagle_check): a small segment waits while data is unacknowledged.
            if len < mss && !self.cfg.nodelay && in_flight > 0 && !self.fin_queued {
                break;
            }
            let off = self.snd_nxt.wrapping_sub(self.snd_una) as usize;
            let last = len == pending;
            let mut flags = TcpFlags::ACK;
            if last {
                flags = flags | TcpFlags::PSH;
            }
            let mut s = self.bare(self.snd_nxt, flags);
            s.data = off..off + len as usize;
            // The FIN rides on the last data segment when the close is already queued.
            if last && self.fin_queued {
                s.flags = s.flags | TcpFlags::FIN;
                self.snd_nxt = self.snd_nxt.wrapping_add(1);
                self.state = match self.state {
                    TcpState::CloseWait => TcpState::LastAck,
                    _ => TcpState::FinWait1,
                };
            }
            out.push(s);
            if self.rtt_probe.is_none() {
                self.rtt_probe = Some((self.snd_nxt, now));
            }
            if in_flight == 0 {
                self.retrans_stamp = Some(now);
            }
            self.snd_nxt = self.snd_nxt.wrapping_add(len);
            self.segs_unacked = 0;
            self.delack_at = None;
            self.ack_now = false;
            if self.rto_at.is_none() {
                self.arm_rto(now);
            }
        }
        if self.ack_now {
            self.send_ack(out);
        }
    }

    /// Sends the first unacknowledged segment again (`tcp_retransmit_skb` on the head of the queue).
    pub(super) fn retransmit_head(&mut self, out: &mut Vec<SegOut>) {
        self.info.retrans_segs += 1;
        match self.state {
            TcpState::SynSent | TcpState::SynReceived => out.push(self.syn_segment()),
            _ => {
                // Only what was sent before: data written since waits behind the head (tcp_retransmit_skb).
                let sent = self
                    .snd_nxt
                    .wrapping_sub(self.snd_una)
                    .wrapping_sub(u32::from(self.fin_sent()));
                let len = sent.min(self.unacked() as u32).min(u32::from(self.peer_mss)) as usize;
                let mut s = self.bare(self.snd_una, TcpFlags::ACK);
                if len > 0 {
                    s.data = 0..len;
                    s.flags = TcpFlags::ACK | TcpFlags::PSH;
                    if self.fin_sent() && len == self.unacked() {
                        s.flags = s.flags | TcpFlags::FIN;
                    }
                } else if self.fin_sent() {
                    s.flags = TcpFlags::FIN | TcpFlags::ACK;
                }
                out.push(s);
            }
        }
        self.rtt_probe = None;
    }
}

#[cfg(test)]
mod tests {
    use crate::time::Instant;
    use crate::transport::tcp::tests::pair;
    use crate::wire::tcp::TcpFlags;

    #[test]
    fn nagle_holds_small_writes_while_data_is_unacknowledged() {
        let (mut c, _) = pair();
        let mut out = Vec::new();
        c.send(b"a");
        c.output(Instant::from_millis(10), &mut out);
        c.send(b"b");
        c.output(Instant::from_millis(11), &mut out);
        assert_eq!(out.len(), 1, "the second byte waits for the first ACK");
        c.set_nodelay(true);
        c.output(Instant::from_millis(12), &mut out);
        assert_eq!((out.len(), out[1].seq, out[1].data.clone()), (2, 1002, 1..2));
    }

    #[test]
    fn nothing_new_leaves_during_rto_recovery_and_fin_follows_the_data() {
        let (mut c, _) = pair();
        c.set_nodelay(true);
        let mut out = Vec::new();
        c.send(b"first");
        c.output(Instant::from_millis(10), &mut out);
        let rto_at = c.poll_at().expect("rto armed");
        out.clear();
        c.on_timer(rto_at, &mut out);
        assert_eq!((out.len(), out[0].seq), (1, 1001), "head retransmitted");
        out.clear();
        c.send(b"second");
        c.output(rto_at, &mut out);
        assert!(out.is_empty(), "one-packet window while the head is outstanding");
        let (mut c, _) = pair();
        c.send(b"bye");
        c.close(Instant::from_millis(10), &mut out);
        let last = out.last().expect("segment");
        assert_eq!(
            last.flags,
            TcpFlags::ACK | TcpFlags::PSH | TcpFlags::FIN,
            "FIN rides on the last data"
        );
    }
}
