//! A connection's side of an ICMP error (`tcp_v4_err`, `tcp_v6_err`): the quoted sequence number must lie in
//! `snd_una..=snd_nxt`; Packet Too Big / Fragmentation Needed lower the MSS and resend what no longer fits
//! (`tcp_v6_mtu_reduced` → `tcp_sync_mss`, `tcp_simple_retransmit`); other errors abort a connection that is
//! still opening and are only remembered (`sk_err_soft`) once it is synchronized (RFC 1122 §4.2.3.9).

use super::icmp_err::{opening, Errno, IcmpErr};
use super::tcp::{Tcb, TcpState};
use super::tcp_seg::{seq_le, SegOut, TcpError};
use crate::time::Instant;

/// `IPV6_MIN_MTU`: smaller Packet Too Big values are ignored.
const IPV6_MIN_MTU: u32 = 1280;
/// `ip_rt_min_pmtu` (552): IPv4 path MTUs are never taken below it.
const IPV4_MIN_PMTU: u32 = 552;
/// TCP header without options.
const TCP_HEADER: u32 = 20;

impl Tcb {
    /// The MSS segments are sent with (the peer's, capped by ours and by the path MTU).
    pub fn mss(&self) -> u16 {
        self.peer_mss
    }

    /// Applies an ICMP error quoting our segment with sequence number `seq`; false if it was ignored.
    pub fn on_icmp_error(&mut self, now: Instant, err: IcmpErr, seq: u32, out: &mut Vec<SegOut>) -> bool {
        if matches!(self.state, TcpState::Closed | TcpState::TimeWait) {
            return false;
        }
        // "!between(seq, snd_una, snd_nxt)": LINUX_MIB_OUTOFWINDOWICMPS.
        if !(seq_le(self.snd_una, seq) && seq_le(seq, self.snd_nxt)) {
            return false;
        }
        if let Some(mtu) = err.mtu {
            return self.mtu_reduced(now, mtu, out);
        }
        if opening(self.state) {
            if self.state == TcpState::SynReceived && !err.fatal {
                // tcp_req_err: a request socket drops only on fatal errors.
                return true;
            }
            // tcp_done_with_error: the connect() fails with the converted errno.
            let e = match err.errno {
                Errno::ConnRefused => TcpError::Refused,
                e => TcpError::Unreachable(e),
            };
            let passive = self.state == TcpState::SynReceived;
            self.finish(now, (!passive).then_some(e));
            return true;
        }
        self.soft_error = Some(err.errno);
        true
    }

    /// `tcp_v6_mtu_reduced` / `tcp_v4_mtu_reduced`: a smaller path MTU lowers the MSS (`tcp_mtu_to_mss`: the
    /// MTU less the IP and TCP headers) and everything in flight is sent again in segments that fit.
    fn mtu_reduced(&mut self, now: Instant, mtu: u32, out: &mut Vec<SegOut>) -> bool {
        let v6 = self.local.is_ipv6();
        let mtu = if v6 {
            if mtu < IPV6_MIN_MTU {
                return false;
            }
            mtu
        } else {
            mtu.max(IPV4_MIN_PMTU)
        };
        let ip_header = if v6 { 40 } else { 20 };
        let mss = u16::try_from(mtu.saturating_sub(ip_header + TCP_HEADER)).unwrap_or(u16::MAX);
        if mss >= self.peer_mss {
            return true;
        }
        self.peer_mss = mss;
        self.cfg.mss = self.cfg.mss.min(mss);
        self.cwnd = self.cwnd.max(u32::from(mss));
        if opening(self.state) || self.snd_nxt == self.snd_una {
            return true;
        }
        // tcp_simple_retransmit: every segment in flight was sized for the old MSS and is lost; resend from
        // snd_una (a FIN already out keeps its place: only the head goes again).
        self.rtt_probe = None;
        if self.fin_sent() {
            self.retransmit_head(out);
        } else {
            self.snd_nxt = self.snd_una;
            let before = out.len();
            self.output(now, out);
            self.info.retrans_segs += out.len().saturating_sub(before) as u64;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::icmp_err::{convert_v6, Errno};
    use crate::transport::tcp::tests::pair;

    fn err(t: u8, c: u8, info: u32) -> IcmpErr {
        convert_v6(t, c, info).unwrap_or(IcmpErr {
            errno: Errno::Proto,
            fatal: true,
            mtu: None,
        })
    }

    #[test]
    fn established_errors_are_soft_and_become_the_timeout_error() {
        let (mut c, _) = pair();
        let mut out = Vec::new();
        c.set_nodelay(true);
        c.send(b"hello");
        c.output(Instant::from_millis(10), &mut out);
        let seq = out[0].seq;
        // Out of window: ignored.
        assert!(!c.on_icmp_error(Instant::from_millis(20), err(1, 3, 0), seq.wrapping_add(100), &mut out));
        assert!(c.on_icmp_error(Instant::from_millis(20), err(1, 4, 0), seq, &mut out));
        assert_eq!(
            (c.state, c.soft_error),
            (TcpState::Established, Some(Errno::ConnRefused))
        );
        c.finish(Instant::from_secs(900), Some(TcpError::TimedOut));
        assert_eq!(c.error, Some(TcpError::SoftError(Errno::ConnRefused)));
        assert_eq!(
            c.error.map(|e| e.to_string()),
            Some("ECONNREFUSED: connection refused".into())
        );
    }

    #[test]
    fn packet_too_big_lowers_the_mss_and_resends_what_was_in_flight() {
        let (mut c, _) = pair();
        let mut out = Vec::new();
        c.set_nodelay(true);
        c.send(&[7u8; 3000]);
        c.output(Instant::from_millis(10), &mut out);
        let before: Vec<usize> = out.iter().map(|s| s.data.len()).collect();
        assert_eq!(before[0], usize::from(c.peer_mss));
        let head = out[0].seq;
        out.clear();
        assert!(c.on_icmp_error(Instant::from_millis(20), err(2, 0, 1280), head, &mut out));
        assert_eq!(c.peer_mss, 1220, "1280 − 40 − 20");
        assert_eq!(out[0].seq, head, "resent from snd_una");
        assert!(out.iter().all(|s| s.data.len() <= 1220));
        assert_eq!(out.iter().map(|s| s.data.len()).sum::<usize>(), 3000);
        // Below the IPv6 minimum: ignored.
        assert!(!c.on_icmp_error(Instant::from_millis(30), err(2, 0, 1000), head, &mut out));
        assert_eq!(c.peer_mss, 1220);
    }
}
