//! TCP timers (net/ipv4/tcp_timer.c): retransmission with exponential backoff and the give-up rules of
//! `tcp_write_timeout`, delayed ACK, keepalive probes, TIME_WAIT expiry; and the RTT estimator that sets the RTO.

use std::time::Duration;

use super::tcp::{SegOut, Tcb, TcpError, TcpState, RTO_MAX, RTO_MIN};
use crate::time::Instant;
use crate::wire::tcp::TcpFlags;

/// `tcp_model_timeout` (net/ipv4/tcp_timer.c): how long `boundary` doubling retransmissions from `rto_base`, capped
/// at [`RTO_MAX`], take. `tcp_retries2` 15 from 200 ms is 924.6 s.
pub fn model_timeout(boundary: u32, rto_base: Duration) -> Duration {
    let thresh = (RTO_MAX.as_millis() / rto_base.as_millis().max(1))
        .checked_ilog2()
        .unwrap_or(0)
        .min(30);
    if boundary <= thresh {
        rto_base * ((2u32 << boundary) - 1)
    } else {
        rto_base * ((2u32 << thresh) - 1) + RTO_MAX * (boundary - thresh)
    }
}

impl Tcb {
    /// RFC 6298 §2 with Linux's floor: RTO = SRTT + max(4·RTTVAR, 200 ms).
    pub(super) fn rtt_sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(s) => {
                let d = s.abs_diff(r);
                self.rttvar = (self.rttvar * 3 + d) / 4;
                self.srtt = Some((s * 7 + r) / 8);
            }
        }
        let s = self.srtt.unwrap_or(r);
        self.rto = (s + (self.rttvar * 4).max(RTO_MIN)).min(RTO_MAX);
    }

    /// The earliest timer (retransmission, delayed ACK, keepalive, TIME_WAIT).
    pub fn poll_at(&self) -> Option<Instant> {
        [self.rto_at, self.delack_at, self.keepalive_at, self.timewait_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs the timers due at `now` (`tcp_retransmit_timer`, `tcp_write_timeout`, `tcp_keepalive_timer`).
    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<SegOut>) {
        if self.timewait_at.is_some_and(|t| t <= now) {
            return self.finish(now, None);
        }
        if self.delack_at.is_some_and(|t| t <= now) {
            self.delack_at = None;
            self.send_ack(out);
        }
        if self.rto_at.is_some_and(|t| t <= now) {
            self.retransmit_timer(now, out);
        }
        if self.keepalive_at.is_some_and(|t| t <= now) {
            self.keepalive_timer(now, out);
        }
    }

    fn retransmit_timer(&mut self, now: Instant, out: &mut Vec<SegOut>) {
        let expired = match self.state {
            // SYN states count retransmissions (tcp_write_timeout, retry_until).
            TcpState::SynSent => self.retransmits >= self.cfg.syn_retries,
            // inet_csk_reqsk_queue_drop once num_timeout reaches tcp_synack_retries: silently, no RST.
            TcpState::SynReceived => self.retransmits >= self.cfg.synack_retries,
            _ => self
                .retrans_stamp
                .is_some_and(|s| now.saturating_since(s) >= model_timeout(self.cfg.retries2, RTO_MIN)),
        };
        if expired {
            let err = (self.state != TcpState::SynReceived).then_some(TcpError::TimedOut);
            return self.finish(now, err);
        }
        // tcp_enter_loss: an RTO ends any fast recovery and starts over from snd_una.
        self.recover = None;
        self.sack.clear();
        if self.retransmits == 0 && !matches!(self.state, TcpState::SynSent | TcpState::SynReceived) {
            // RTO loss recovery (RFC 5681 §3.1): one segment in flight.
            let flight = self.snd_nxt.wrapping_sub(self.snd_una);
            self.ssthresh = (flight / 2).max(2 * u32::from(self.peer_mss));
            self.cwnd = u32::from(self.peer_mss);
        }
        self.retransmit_head(out);
        self.retransmits += 1;
        self.rto = (self.rto * 2).min(RTO_MAX);
        self.rto_at = Some(now + self.rto);
    }

    fn keepalive_timer(&mut self, now: Instant, out: &mut Vec<SegOut>) {
        let Some((idle, intvl, probes)) = self.cfg.keepalive else {
            self.keepalive_at = None;
            return;
        };
        if self.state != TcpState::Established || self.unacked() > 0 {
            self.keepalive_at = Some(now + idle);
            return;
        }
        let since = now.saturating_since(self.last_recv);
        if since < idle {
            self.probes_out = 0;
            self.keepalive_at = Some(self.last_recv + idle);
            return;
        }
        if self.probes_out >= probes {
            return self.finish(now, Some(TcpError::TimedOut));
        }
        // tcp_write_wakeup: a zero-length segment one below snd_una forces the peer to ACK.
        out.push(self.bare(self.snd_una.wrapping_sub(1), TcpFlags::ACK));
        self.probes_out += 1;
        self.keepalive_at = Some(now + intvl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries2_budget_is_924_6_seconds() {
        assert_eq!(model_timeout(15, RTO_MIN), Duration::from_millis(924_600));
        assert_eq!(model_timeout(3, RTO_MIN), Duration::from_millis(3_000));
        assert_eq!(model_timeout(6, Duration::from_secs(1)), Duration::from_secs(127));
        assert_eq!(
            model_timeout(2, Duration::from_secs(500)),
            Duration::from_secs(500 + 240),
            "no panic above RTO_MAX"
        );
    }
}
