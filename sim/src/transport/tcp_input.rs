//! The receive path of a TCP connection (RFC 9293 §3.10.7 in the order `tcp_rcv_state_process` applies it):
//! SYN_SENT processing, the acceptability test, RST validation (RFC 5961 §3.2: only an exact sequence match
//! resets; any other in-window RST or a SYN in a synchronized state draws a challenge ACK), ACK processing with
//! Reno and fast retransmit, in-order data, FIN and TIME_WAIT.

use super::tcp::{reset_for, seq_le, seq_lt, SegIn, SegOut, Tcb, TcpError, TcpState, DELACK, TIME_WAIT};
use crate::time::Instant;
use crate::wire::tcp::TcpFlags;

/// `tcp_invalid_ratelimit`: at most one out-of-window or challenge ACK per 500 ms per connection.
const OOW_RATELIMIT: std::time::Duration = std::time::Duration::from_millis(500);

impl Tcb {
    /// An ACK answering an out-of-window segment or a challenge (`tcp_oow_rate_limited`): two stacks that
    /// disagree about the sequence space would otherwise ACK each other forever.
    fn oow_ack(&mut self, now: Instant, out: &mut Vec<SegOut>) {
        if self
            .last_oow_ack
            .is_some_and(|t| now.saturating_since(t) < OOW_RATELIMIT)
        {
            return;
        }
        self.last_oow_ack = Some(now);
        self.send_ack(out);
    }

    /// RFC 9293 §3.10.7.4 acceptability test.
    fn acceptable(&self, seg: &SegIn<'_>) -> bool {
        let wnd = u32::from(self.window_field()) << self.rcv_wscale;
        let len = seg.len();
        let in_wnd = |s: u32| seq_le(self.rcv_nxt, s) && seq_lt(s, self.rcv_nxt.wrapping_add(wnd));
        match (len, wnd) {
            (0, 0) => seg.seq == self.rcv_nxt,
            (0, _) => in_wnd(seg.seq),
            (_, 0) => false,
            _ => in_wnd(seg.seq) || in_wnd(seg.seq.wrapping_add(len - 1)),
        }
    }

    /// Processes one segment (RFC 9293 §3.10.7 as `tcp_rcv_state_process` orders it).
    pub fn on_segment(&mut self, now: Instant, seg: &SegIn<'_>, out: &mut Vec<SegOut>) {
        let f = seg.flags;
        if self.state == TcpState::Closed {
            return;
        }
        if self.state == TcpState::SynSent {
            return self.syn_sent_input(now, seg, out);
        }
        self.last_recv = now;
        if self.state == TcpState::SynReceived && f.contains(TcpFlags::SYN) && !f.contains(TcpFlags::ACK) {
            // A retransmitted SYN: the request sock resends its SYN-ACK (tcp_check_req).
            if seg.seq.wrapping_add(1) == self.rcv_nxt {
                out.push(self.syn_segment());
            }
            return;
        }
        if !self.acceptable(seg) {
            if !f.contains(TcpFlags::RST) {
                if self.state == TcpState::TimeWait {
                    self.timewait_at = Some(now + TIME_WAIT);
                }
                // Data segments always get their duplicate ACK; pure ACKs only at the limited rate.
                if !seg.payload.is_empty() {
                    self.send_ack(out);
                } else {
                    self.oow_ack(now, out);
                }
            }
            return;
        }
        if f.contains(TcpFlags::RST) {
            // RFC 5961 §3.2: only an exact match resets; any other in-window RST gets a challenge ACK.
            if seg.seq == self.rcv_nxt {
                let err = match self.state {
                    TcpState::SynReceived | TcpState::TimeWait | TcpState::Closing | TcpState::LastAck => None,
                    _ => Some(TcpError::Reset),
                };
                self.finish(now, err);
            } else {
                self.oow_ack(now, out);
            }
            return;
        }
        if f.contains(TcpFlags::SYN) {
            // RFC 5961 §4: a SYN in a synchronized state draws a challenge ACK.
            self.oow_ack(now, out);
            return;
        }
        if !f.contains(TcpFlags::ACK) {
            return;
        }
        if self.state == TcpState::SynReceived {
            if seq_lt(self.snd_una, seg.ack) && seq_le(seg.ack, self.snd_nxt) {
                self.state = TcpState::Established;
                self.established_at = Some(now);
                self.snd_wnd = u32::from(seg.window) << self.snd_wscale;
                self.snd_wl1 = seg.seq;
                self.snd_wl2 = seg.ack;
                self.keepalive_rearm(now);
            } else {
                if let Some(r) = reset_for(seg) {
                    out.push(r);
                }
                return;
            }
        }
        self.ack_input(now, seg, out);
        if self.state == TcpState::Closed {
            return;
        }
        self.data_input(now, seg, out);
        self.output(now, out);
    }

    fn syn_sent_input(&mut self, now: Instant, seg: &SegIn<'_>, out: &mut Vec<SegOut>) {
        let f = seg.flags;
        let ack_ok = f.contains(TcpFlags::ACK) && seq_lt(self.iss, seg.ack) && seq_le(seg.ack, self.snd_nxt);
        if f.contains(TcpFlags::ACK) && !ack_ok {
            if let Some(r) = reset_for(seg) {
                out.push(r);
            }
            return;
        }
        if f.contains(TcpFlags::RST) {
            if ack_ok {
                self.finish(now, Some(TcpError::Refused));
            }
            return;
        }
        if !f.contains(TcpFlags::SYN) {
            return;
        }
        self.rcv_nxt = seg.seq.wrapping_add(1);
        self.take_syn_options(seg);
        if !ack_ok {
            // Simultaneous open (RFC 9293 §3.5): answer with a SYN-ACK.
            self.state = TcpState::SynReceived;
            out.push(self.syn_segment());
            return;
        }
        if let Some((_, at)) = self.rtt_probe.take() {
            self.rtt_sample(now.saturating_since(at));
        }
        self.snd_una = seg.ack;
        self.snd_wnd = u32::from(seg.window) << self.snd_wscale;
        self.snd_wl1 = seg.seq;
        self.snd_wl2 = seg.ack;
        self.state = TcpState::Established;
        self.established_at = Some(now);
        self.last_recv = now;
        self.retransmits = 0;
        self.rto_at = None;
        self.keepalive_rearm(now);
        self.ack_now = true;
        self.output(now, out);
    }

    fn ack_input(&mut self, now: Instant, seg: &SegIn<'_>, out: &mut Vec<SegOut>) {
        let ack = seg.ack;
        if seq_lt(self.snd_nxt, ack) {
            // Acknowledges something never sent (RFC 9293, RFC 5961 §5.2): a challenge ACK, and drop.
            self.oow_ack(now, out);
            return;
        }
        let synack_acked = self.established_at == Some(now) && self.snd_una == self.iss;
        // Most ACKs of a clean transfer carry no blocks and find an empty scoreboard: nothing to do.
        if self.sack.ok && (seg.sack[0].is_some() || !self.sack.is_empty()) {
            let una = if seq_lt(self.snd_una, ack) { ack } else { self.snd_una };
            self.sack.update(una, self.snd_nxt, &seg.sack);
        }
        if seq_lt(self.snd_una, ack) {
            let mut acked = ack.wrapping_sub(self.snd_una);
            if synack_acked {
                acked -= 1; // the SYN's sequence number carries no data
            }
            let fin_acked = self.fin_sent() && ack == self.snd_nxt;
            let data_acked = (acked - u32::from(fin_acked)) as usize;
            let data_acked = data_acked.min(self.unacked());
            self.send_head += data_acked;
            self.bytes_acked += data_acked as u64;
            if self.send_head == self.send_buf.len() {
                self.send_buf.clear();
                self.send_head = 0;
            }
            self.snd_una = ack;
            if let Some((s, at)) = self.rtt_probe {
                if seq_lt(s, ack) {
                    self.rtt_sample(now.saturating_since(at));
                    self.rtt_probe = None;
                }
            }
            // Reno: slow start below ssthresh, then about one MSS per RTT; no growth while recovering.
            let mss = u32::from(self.peer_mss);
            if let Some(recover) = self.recover {
                if seq_lt(ack, recover) {
                    // NewReno partial ACK (RFC 6582 §3.2 step 5, Linux's Reno path without SACK): the next
                    // hole is lost too, send it at once instead of waiting for three more duplicates or the RTO.
                    // With SACK the scoreboard names it (the head, unless it went again already).
                    if !self.sack.ok {
                        self.retransmit_head(out);
                    } else if !self.sack_retransmit(out) && seq_le(self.sack.high_rxt, self.snd_una) {
                        self.retransmit_head(out);
                        self.sack.high_rxt = self.snd_una.wrapping_add(u32::from(self.peer_mss));
                    }
                } else {
                    // Full ACK: recovery is over, cwnd deflates to ssthresh.
                    self.recover = None;
                    self.cwnd = self.ssthresh;
                }
            } else if self.cwnd < self.ssthresh {
                self.cwnd = self.cwnd.saturating_add(acked.min(mss));
            } else {
                self.cwnd = self.cwnd.saturating_add((mss * mss / self.cwnd).max(1));
            }
            self.dupacks = 0;
            self.retransmits = 0;
            if self.snd_una == self.snd_nxt {
                self.rto_at = None;
                self.retrans_stamp = None;
            } else {
                self.retrans_stamp = Some(now);
                self.arm_rto(now);
            }
            if fin_acked {
                match self.state {
                    TcpState::FinWait1 => self.state = TcpState::FinWait2,
                    TcpState::Closing => self.enter_time_wait(now),
                    TcpState::LastAck => return self.finish(now, None),
                    _ => {}
                }
            }
        } else if ack == self.snd_una
            && seg.is_empty()
            && self.snd_una != self.snd_nxt
            && (u32::from(seg.window) << self.snd_wscale) == self.snd_wnd
        {
            self.dupacks += 1;
            if self.dupacks == 3 && self.recover.is_none() {
                // Fast retransmit (RFC 5681 §3.2).
                let flight = self.snd_nxt.wrapping_sub(self.snd_una);
                self.ssthresh = (flight / 2).max(2 * u32::from(self.peer_mss));
                self.cwnd = self.ssthresh;
                self.recover = Some(self.snd_nxt);
                self.retransmit_head(out);
                self.sack.high_rxt = self.snd_una.wrapping_add(u32::from(self.peer_mss));
            } else if self.dupacks > 3 && self.recover.is_some() && self.sack.ok {
                // Each further duplicate ACK clocks out the next SACK hole (RFC 6675 §5 step C).
                self.sack_retransmit(out);
            }
        }
        if seq_lt(self.snd_wl1, seg.seq) || (self.snd_wl1 == seg.seq && seq_le(self.snd_wl2, ack)) {
            self.snd_wnd = u32::from(seg.window) << self.snd_wscale;
            self.snd_wl1 = seg.seq;
            self.snd_wl2 = ack;
        }
    }

    fn data_input(&mut self, now: Instant, seg: &SegIn<'_>, out: &mut Vec<SegOut>) {
        let receiving = matches!(
            self.state,
            TcpState::Established | TcpState::FinWait1 | TcpState::FinWait2
        );
        let fin = seg.flags.contains(TcpFlags::FIN);
        if !receiving {
            if !seg.payload.is_empty() {
                // Data after our receive side closed: acknowledge, keep nothing.
                self.ack_now = true;
            }
            if fin && self.state == TcpState::TimeWait {
                // A retransmitted FIN: ACK again and restart the 2MSL wait (RFC 9293 §3.10.7.4).
                self.timewait_at = Some(now + TIME_WAIT);
                self.ack_now = true;
            }
            return;
        }
        let mut payload = seg.payload;
        let mut seq = seg.seq;
        // Trim what we already have (a retransmission overlapping rcv_nxt).
        if seq_lt(seq, self.rcv_nxt) {
            let skip = (self.rcv_nxt.wrapping_sub(seq) as usize).min(payload.len());
            payload = &payload[skip..];
            seq = seq.wrapping_add(skip as u32);
        }
        if seq != self.rcv_nxt {
            if (!payload.is_empty() || fin) && !self.peer_fin {
                self.queue_ofo(seq, payload, fin);
            }
            // tcp_data_queue_ofo + __tcp_ack_snd_check: a duplicate ACK at once asks for the hole (RFC 5681 §4.2).
            self.send_ack(out);
            return;
        }
        let had_ofo = !self.ofo.is_empty();
        let take = self.deliver(payload, payload.len());
        let mut fin_seq = (fin && take == payload.len()).then_some(self.rcv_nxt);
        if !payload.is_empty() {
            self.segs_unacked += 1;
            if self.segs_unacked >= 2 || self.established_at == Some(now) && self.bytes_received == take as u64 {
                self.ack_now = true;
            } else if self.delack_at.is_none() {
                self.delack_at = Some(now + DELACK);
            }
        }
        if had_ofo && !payload.is_empty() {
            // tcp_ofo_queue: what the hole was holding back follows; "RFC5681 4.2: SHOULD send immediate ACK when
            // gap in queue is filled", and while a gap remains every segment is acknowledged at once.
            while let Some(e) = self.ofo.pop_ready(self.rcv_nxt) {
                let skip = self.rcv_nxt.wrapping_sub(e.seq).min(e.len) as usize;
                let rest = e.len as usize - skip;
                let data = e.data.get(skip..).unwrap_or(&[]);
                let took = self.deliver(data, rest);
                if took < rest {
                    break; // receive buffer full: the rest is dropped, the sender will resend it
                }
                if e.fin {
                    fin_seq = Some(self.rcv_nxt);
                }
            }
            self.ack_now = true;
        }
        if fin_seq == Some(self.rcv_nxt) && !self.peer_fin {
            self.peer_fin = true;
            self.rcv_nxt = self.rcv_nxt.wrapping_add(1);
            self.ack_now = true;
            match self.state {
                TcpState::Established => self.state = TcpState::CloseWait,
                TcpState::FinWait1 => self.state = TcpState::Closing,
                TcpState::FinWait2 => self.enter_time_wait(now),
                _ => {}
            }
        }
    }

    /// Holds a segment that arrived beyond a hole, if it is inside the receive window
    /// (`tcp_data_queue`: "out of window" segments are dropped).
    fn queue_ofo(&mut self, seq: u32, payload: &[u8], fin: bool) {
        let wnd = (u32::from(self.window_field()) << self.rcv_wscale).max(1);
        if !seq_lt(seq, self.rcv_nxt.wrapping_add(wnd)) {
            return;
        }
        let cap = self.cfg.rcv_buf as usize;
        if self.ofo.insert(self.rcv_nxt, seq, payload, fin, !self.discard, cap) {
            self.info.ofo_queued += 1;
            self.info.ofo_peak_bytes = self.info.ofo_peak_bytes.max(self.ofo.bytes());
        }
    }

    /// Appends in-order bytes (`len` of them; a sink counts them without `data`) as far as the receive buffer
    /// has room; returns how many were taken.
    fn deliver(&mut self, data: &[u8], len: usize) -> usize {
        let room = self.cfg.rcv_buf.saturating_sub(self.recv_buf.len() as u32) as usize;
        let take = len.min(room);
        if self.discard {
            // A sink reads and drops: count the bytes instead of storing them.
            self.discarded += take;
        } else {
            let take = take.min(data.len());
            self.recv_buf.extend_from_slice(&data[..take]);
        }
        self.rcv_nxt = self.rcv_nxt.wrapping_add(take as u32);
        self.bytes_received += take as u64;
        take
    }

    fn enter_time_wait(&mut self, now: Instant) {
        self.state = TcpState::TimeWait;
        self.rto_at = None;
        self.keepalive_at = None;
        self.timewait_at = Some(now + TIME_WAIT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::tcp::tests::{pair, A, B};
    use crate::transport::tcp::TcpConfig;

    fn seg(seq: u32, ack: u32, flags: TcpFlags) -> SegIn<'static> {
        SegIn {
            seq,
            ack,
            flags,
            window: 1000,
            mss: None,
            wscale: None,
            sack_permitted: false,
            sack: [None; 3],
            payload: &[],
        }
    }

    const T: Instant = Instant::from_secs(1);

    #[test]
    fn rst_resets_only_on_an_exact_sequence_match() {
        // rcv_nxt on the client is 5001.
        let (mut c, _) = pair();
        let mut out = Vec::new();
        c.on_segment(T, &seg(5001 + 100, 0, TcpFlags::RST), &mut out);
        assert_eq!(c.state, TcpState::Established, "in window, not exact: RFC 5961 §3.2");
        assert_eq!(out.len(), 1, "challenge ACK");
        assert_eq!((out[0].flags, out[0].seq, out[0].ack), (TcpFlags::ACK, 1001, 5001));
        out.clear();
        c.on_segment(T, &seg(5001u32.wrapping_sub(10), 0, TcpFlags::RST), &mut out);
        assert_eq!(
            (c.state, out.len()),
            (TcpState::Established, 0),
            "left of the window: ignored silently"
        );
        c.on_segment(T, &seg(5001 + (8 << 20), 0, TcpFlags::RST), &mut out);
        assert_eq!(
            (c.state, out.len()),
            (TcpState::Established, 0),
            "beyond the window: ignored silently"
        );
        c.on_segment(T, &seg(5001, 0, TcpFlags::RST), &mut out);
        assert_eq!(
            (c.state, c.error, c.closed_at),
            (TcpState::Closed, Some(TcpError::Reset), Some(T))
        );
    }

    #[test]
    fn rst_on_a_half_open_request_deletes_it_without_an_error() {
        let mut out = Vec::new();
        let syn = seg(1, 0, TcpFlags::SYN);
        let mut s = Tcb::accept(TcpConfig::default(), B, A, 9, &syn, Instant::ZERO, &mut out);
        s.on_segment(T, &seg(2, 0, TcpFlags::RST), &mut out);
        assert_eq!((s.state, s.error), (TcpState::Closed, None));
    }

    #[test]
    fn syn_in_a_synchronized_state_draws_a_challenge_ack() {
        let (mut c, _) = pair();
        let mut out = Vec::new();
        c.on_segment(T, &seg(5001, 0, TcpFlags::SYN), &mut out);
        assert_eq!(c.state, TcpState::Established);
        assert_eq!((out[0].flags, out[0].ack), (TcpFlags::ACK, 5001));
    }

    #[test]
    fn syn_sent_refused_bad_ack_and_bare_rst() {
        let mut out = Vec::new();
        let mut c = Tcb::connect(TcpConfig::default(), A, B, 100, Instant::ZERO, &mut out);
        out.clear();
        // An RST without ACK in SYN_SENT is ignored (RFC 9293 §3.10.7.3).
        c.on_segment(T, &seg(0, 0, TcpFlags::RST), &mut out);
        assert_eq!((c.state, out.len()), (TcpState::SynSent, 0));
        // A SYN-ACK acknowledging something else draws an RST with seq = its ACK.
        c.on_segment(T, &seg(7, 5000, TcpFlags::SYN | TcpFlags::ACK), &mut out);
        assert_eq!(
            (c.state, out[0].flags, out[0].seq),
            (TcpState::SynSent, TcpFlags::RST, 5000)
        );
        out.clear();
        // RST|ACK for our SYN: ECONNREFUSED.
        c.on_segment(T, &seg(0, 101, TcpFlags::RST | TcpFlags::ACK), &mut out);
        assert_eq!((c.state, c.error), (TcpState::Closed, Some(TcpError::Refused)));
    }

    #[test]
    fn out_of_order_data_is_held_and_delivered_when_the_hole_fills() {
        let (_, mut s) = pair();
        let data = [7u8; 10];
        let mut later = seg(1001 + 10, 5001, TcpFlags::ACK);
        later.payload = &data;
        let mut out = Vec::new();
        s.on_segment(T, &later, &mut out);
        assert_eq!(
            (s.rcv_nxt(), out.len(), out[0].ack),
            (1001, 1, 1001),
            "duplicate ACK at once"
        );
        assert_eq!(
            out[0].sack,
            [Some((1011, 1021)), None, None],
            "SACK negotiated by pair(): the held block"
        );
        let mut fin = seg(1001 + 20, 5001, TcpFlags::ACK | TcpFlags::FIN);
        fin.payload = &data[..5];
        s.on_segment(T, &fin, &mut out);
        assert_eq!((out.len(), out[1].ack, s.info.ofo_queued), (2, 1001, 2));
        let mut first = seg(1001, 5001, TcpFlags::ACK);
        first.payload = &data;
        s.on_segment(T, &first, &mut out);
        assert_eq!(s.rcv_nxt(), 1001 + 25 + 1, "the held data and the FIN follow");
        assert_eq!(s.state, TcpState::CloseWait);
        assert_eq!(
            out.last().map(|o| o.ack),
            Some(1027),
            "the filled gap is acknowledged at once"
        );
        assert_eq!(s.recv_buf.len(), 25);
    }

    #[test]
    fn out_of_window_segments_are_not_held() {
        let (_, mut s) = pair();
        let data = [1u8; 10];
        let mut far = seg(1001 + (64 << 20), 5001, TcpFlags::ACK);
        far.payload = &data;
        let mut out = Vec::new();
        s.on_segment(T, &far, &mut out);
        assert_eq!((s.info.ofo_queued, s.ofo.is_empty()), (0, true));
    }

    #[test]
    fn unanswered_segments_get_linux_resets() {
        let with_ack = seg(10, 77, TcpFlags::ACK);
        let r = reset_for(&with_ack).unwrap();
        assert_eq!((r.flags, r.seq, r.ack), (TcpFlags::RST, 77, 0));
        let mut syn = seg(10, 0, TcpFlags::SYN);
        let data = [0u8; 5];
        syn.payload = &data;
        let r = reset_for(&syn).unwrap();
        assert_eq!((r.flags, r.seq, r.ack), (TcpFlags::RST | TcpFlags::ACK, 0, 16));
        assert!(reset_for(&seg(1, 1, TcpFlags::RST)).is_none(), "never answer an RST");
    }

    #[test]
    fn out_of_window_acks_are_rate_limited_so_two_stacks_cannot_ack_forever() {
        let (mut c, _) = pair();
        let mut out = Vec::new();
        // Acknowledges data never sent: a challenge ACK, then silence for 500 ms (tcp_invalid_ratelimit).
        c.on_segment(T, &seg(5001, 9999, TcpFlags::ACK), &mut out);
        c.on_segment(T, &seg(5001, 9999, TcpFlags::ACK), &mut out);
        c.on_segment(
            T + std::time::Duration::from_millis(499),
            &seg(5001, 9999, TcpFlags::ACK),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        c.on_segment(
            T + std::time::Duration::from_millis(500),
            &seg(5001, 9999, TcpFlags::ACK),
            &mut out,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(c.snd_una(), 1001, "nothing was acknowledged");
    }

    #[test]
    fn the_head_retransmission_carries_only_data_already_sent() {
        let (mut c, _) = pair();
        let mut out = Vec::new();
        c.send(b"first");
        c.output(T, &mut out);
        let rto = c.poll_at().expect("rto");
        c.send(b"second");
        out.clear();
        c.on_timer(rto, &mut out);
        assert_eq!((out.len(), out[0].seq, out[0].data.clone()), (1, 1001, 0..5));
    }
}
