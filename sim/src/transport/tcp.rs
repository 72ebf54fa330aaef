//! A sans-I/O TCP connection (RFC 9293) with the timers and choices Linux makes: RTO initial 1 s with doubling
//! backoff capped at 120 s, minimum 200 ms (`TCP_RTO_MIN`), `tcp_syn_retries` 6, `tcp_synack_retries` 5,
//! `tcp_retries2` 15 as a time budget (`tcp_model_timeout`), delayed ACKs (40 ms or every second segment),
//! keepalive, RST validation per RFC 5961 §3 (exact sequence resets, in-window ones draw a challenge ACK),
//! Reno congestion control with NewReno recovery (RFC 6582) and SACK (`tcp_sack.rs`), an out-of-order
//! queue (`tcp_ofo.rs`), and TIME_WAIT of 60 s (`TCP_TIMEWAIT_LEN`).
//!
//! The connection never touches packets: segments come in as [`SegIn`], go out as [`SegOut`] whose payload is a
//! range of [`Tcb::send_bytes`]; time comes in as `now`.

use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

use super::tcp_ofo::OfoQueue;
use super::tcp_sack::SackState;
pub use super::tcp_seg::{reset_for, seq_le, seq_lt, SegIn, SegOut, TcpConfig, TcpCounters, TcpError, TcpState};
use crate::time::Instant;
use crate::wire::tcp::TcpFlags;

/// `TCP_RTO_MIN` (include/net/tcp.h).
pub const RTO_MIN: Duration = Duration::from_millis(200);
/// `TCP_RTO_MAX`.
pub const RTO_MAX: Duration = Duration::from_secs(120);
/// `TCP_TIMEOUT_INIT`: the RTO before any RTT sample (RFC 6298 §2.1).
pub const RTO_INIT: Duration = Duration::from_secs(1);
/// `TCP_DELACK_MIN`.
pub const DELACK: Duration = Duration::from_millis(40);
/// `TCP_TIMEWAIT_LEN`.
pub const TIME_WAIT: Duration = Duration::from_secs(60);
/// Window scale Linux announces with the default `tcp_rmem` (wscale 7).
pub const WSCALE: u8 = 7;

/// One TCP connection.
#[derive(Debug, Clone)]
pub struct Tcb {
    /// State.
    pub state: TcpState,
    /// Our address (wire form: IPv4 for a v4-mapped connection).
    pub local: SocketAddr,
    /// The peer.
    pub remote: SocketAddr,
    /// Why it ended, if it ended badly.
    pub error: Option<TcpError>,
    /// When the handshake completed.
    pub established_at: Option<Instant>,
    /// When the connection ended (error or close).
    pub closed_at: Option<Instant>,
    /// The last ICMP error of a synchronized connection (`sk_err_soft`).
    pub soft_error: Option<super::icmp_err::Errno>,
    pub(super) cfg: TcpConfig,
    pub(super) iss: u32,
    pub(super) snd_una: u32,
    pub(super) snd_nxt: u32,
    pub(super) snd_wnd: u32,
    pub(super) snd_wl1: u32,
    pub(super) snd_wl2: u32,
    pub(super) snd_wscale: u8,
    pub(super) rcv_wscale: u8,
    pub(super) peer_mss: u16,
    pub(super) rcv_nxt: u32,
    pub(super) cwnd: u32,
    pub(super) ssthresh: u32,
    pub(super) dupacks: u32,
    /// Unacknowledged and unsent data; `send_buf[0]` is at `snd_una` (after the SYN).
    pub(super) send_buf: Vec<u8>,
    /// Bytes of `send_buf` already acknowledged (compacted lazily).
    pub(super) send_head: usize,
    pub(super) fin_queued: bool,
    pub(super) recv_buf: Vec<u8>,
    /// Sink mode: received data is counted in `discarded`, never stored.
    pub(super) discard: bool,
    pub(super) last_oow_ack: Option<Instant>,
    pub(super) discarded: usize,
    pub(super) peer_fin: bool,
    pub(super) rto: Duration,
    pub(super) srtt: Option<Duration>,
    pub(super) rttvar: Duration,
    pub(super) rtt_probe: Option<(u32, Instant)>,
    pub(super) retransmits: u32,
    pub(super) retrans_stamp: Option<Instant>,
    pub(super) rto_at: Option<Instant>,
    pub(super) delack_at: Option<Instant>,
    pub(super) segs_unacked: u32,
    pub(super) ack_now: bool,
    pub(super) keepalive_at: Option<Instant>,
    pub(super) probes_out: u32,
    pub(super) last_recv: Instant,
    pub(super) timewait_at: Option<Instant>,
    /// Total bytes acknowledged by the peer.
    pub bytes_acked: u64,
    /// Total in-order bytes received.
    pub bytes_received: u64,
    /// Counters (`tcp_info`).
    pub info: TcpCounters,
    pub(super) ofo: OfoQueue,
    /// NewReno recovery point (RFC 6582 `recover`): `snd_nxt` when fast retransmit started.
    pub(super) recover: Option<u32>,
    pub(super) sack: SackState,
}

impl Tcb {
    fn new(cfg: TcpConfig, local: SocketAddr, remote: SocketAddr, iss: u32, now: Instant) -> Tcb {
        Tcb {
            state: TcpState::Closed,
            local,
            remote,
            error: None,
            established_at: None,
            closed_at: None,
            soft_error: None,
            cfg,
            iss,
            snd_una: iss,
            snd_nxt: iss,
            snd_wnd: 0,
            snd_wl1: 0,
            snd_wl2: 0,
            snd_wscale: 0,
            rcv_wscale: 0,
            peer_mss: 536,
            rcv_nxt: 0,
            cwnd: 10 * u32::from(cfg.mss),
            ssthresh: u32::MAX,
            dupacks: 0,
            send_buf: Vec::new(),
            send_head: 0,
            fin_queued: false,
            recv_buf: Vec::new(),
            discard: false,
            last_oow_ack: None,
            discarded: 0,
            peer_fin: false,
            rto: RTO_INIT,
            srtt: None,
            rttvar: Duration::ZERO,
            rtt_probe: None,
            retransmits: 0,
            retrans_stamp: None,
            rto_at: None,
            delack_at: None,
            segs_unacked: 0,
            ack_now: false,
            keepalive_at: None,
            probes_out: 0,
            last_recv: now,
            timewait_at: None,
            bytes_acked: 0,
            bytes_received: 0,
            info: TcpCounters::default(),
            ofo: OfoQueue::default(),
            recover: None,
            sack: SackState::default(),
        }
    }

    /// `connect()`: a SYN goes out now (`tcp_connect`).
    pub fn connect(
        cfg: TcpConfig,
        local: SocketAddr,
        remote: SocketAddr,
        iss: u32,
        now: Instant,
        out: &mut Vec<SegOut>,
    ) -> Tcb {
        let mut t = Tcb::new(cfg, local, remote, iss, now);
        t.state = TcpState::SynSent;
        t.snd_nxt = iss.wrapping_add(1);
        t.retrans_stamp = Some(now);
        t.rto_at = Some(now + t.rto);
        t.rtt_probe = Some((iss, now));
        out.push(t.syn_segment());
        t
    }

    /// A listener received `syn`: the request sock answers with a SYN-ACK (`tcp_conn_request`).
    pub fn accept(
        cfg: TcpConfig,
        local: SocketAddr,
        remote: SocketAddr,
        iss: u32,
        syn: &SegIn<'_>,
        now: Instant,
        out: &mut Vec<SegOut>,
    ) -> Tcb {
        let mut t = Tcb::new(cfg, local, remote, iss, now);
        t.state = TcpState::SynReceived;
        t.rcv_nxt = syn.seq.wrapping_add(1);
        t.take_syn_options(syn);
        t.snd_wnd = u32::from(syn.window);
        t.snd_nxt = iss.wrapping_add(1);
        t.retrans_stamp = Some(now);
        t.rto_at = Some(now + t.rto);
        t.rtt_probe = Some((iss, now));
        out.push(t.syn_segment());
        t
    }

    pub(super) fn take_syn_options(&mut self, syn: &SegIn<'_>) {
        self.peer_mss = syn.mss.unwrap_or(536).min(self.cfg.mss);
        // RFC 7323 §2.2: scaling only if both sides sent the option.
        if let Some(ws) = syn.wscale {
            self.snd_wscale = ws.min(14);
            self.rcv_wscale = WSCALE;
        }
        self.cwnd = 10 * u32::from(self.peer_mss);
        self.sack.ok = self.cfg.sack && syn.sack_permitted;
    }

    pub(super) fn syn_segment(&self) -> SegOut {
        let synack = self.state == TcpState::SynReceived;
        SegOut {
            seq: self.iss,
            ack: if synack { self.rcv_nxt } else { 0 },
            flags: if synack {
                TcpFlags::SYN | TcpFlags::ACK
            } else {
                TcpFlags::SYN
            },
            // The SYN's window is never scaled (RFC 7323 §2.2).
            window: self.cfg.rcv_buf.min(65535) as u16,
            mss: Some(self.cfg.mss),
            wscale: (!synack || self.rcv_wscale != 0).then_some(WSCALE),
            // tcp_syn_options / tcp_synack_options: offered on the SYN, echoed on the SYN-ACK if it was offered.
            sack_permitted: if synack { self.sack.ok } else { self.cfg.sack },
            sack: [None; 3],
            data: 0..0,
        }
    }

    /// `setsockopt(TCP_NODELAY)`.
    pub fn set_nodelay(&mut self, on: bool) {
        self.cfg.nodelay = on;
    }

    /// `setsockopt(SO_KEEPALIVE)` with (idle, interval, probes); the idle clock starts now.
    pub fn set_keepalive(&mut self, now: Instant, keepalive: Option<(Duration, Duration, u32)>) {
        self.cfg.keepalive = keepalive;
        self.keepalive_at = None;
        if self.state == TcpState::Established {
            self.keepalive_rearm(now);
        }
    }

    /// Sequence number of the first unsent byte.
    pub fn snd_nxt(&self) -> u32 {
        self.snd_nxt
    }

    /// Sequence number expected next from the peer.
    pub fn rcv_nxt(&self) -> u32 {
        self.rcv_nxt
    }

    /// Oldest unacknowledged sequence number.
    pub fn snd_una(&self) -> u32 {
        self.snd_una
    }

    /// Current retransmission timeout.
    pub fn rto(&self) -> Duration {
        self.rto
    }

    /// Bytes written and not yet acknowledged.
    pub fn unacked(&self) -> usize {
        self.send_buf.len() - self.send_head
    }

    /// The send buffer slice a [`SegOut`] names.
    pub fn send_bytes(&self, r: Range<usize>) -> &[u8] {
        &self.send_buf[self.send_range(r)]
    }

    /// Where in the send buffer a [`SegOut`]'s data lies (clamped to the buffer).
    pub(super) fn send_range(&self, r: Range<usize>) -> Range<usize> {
        let a = (self.send_head + r.start).min(self.send_buf.len());
        let b = (self.send_head + r.end).min(self.send_buf.len()).max(a);
        a..b
    }

    /// True while the application may write.
    pub fn can_send(&self) -> bool {
        matches!(self.state, TcpState::Established | TcpState::CloseWait) && !self.fin_queued
    }

    /// `send()`: queues up to the free send buffer; returns the bytes accepted. Call [`Tcb::output`] afterwards.
    pub fn send(&mut self, data: &[u8]) -> usize {
        if !self.can_send() && self.state != TcpState::SynSent {
            return 0;
        }
        let free = (self.cfg.snd_buf as usize).saturating_sub(self.unacked());
        let n = data.len().min(free);
        if self.send_head > 0 && self.send_head >= self.send_buf.len() / 2 {
            self.send_buf.drain(..self.send_head);
            self.send_head = 0;
        }
        self.send_buf.extend_from_slice(&data[..n]);
        n
    }

    /// `recv()`: takes everything received in order.
    pub fn recv(&mut self, into: &mut Vec<u8>) {
        into.append(&mut self.recv_buf);
    }

    /// Discards what was received and returns its length (a sink that does not keep bytes).
    pub fn recv_discard(&mut self) -> usize {
        let n = self.recv_buf.len() + self.discarded;
        self.recv_buf.clear();
        self.discarded = 0;
        n
    }

    /// Sink mode for a reader that only discards: data is counted, not buffered ([`Tcb::recv_discard`] reports
    /// it; [`Tcb::recv`] then returns nothing).
    pub fn set_discard(&mut self, on: bool) {
        self.discard = on;
    }

    /// True once the peer's FIN was received and all data before it read.
    pub fn peer_closed(&self) -> bool {
        self.peer_fin && self.recv_buf.is_empty()
    }

    /// `close()`: a FIN follows the queued data.
    pub fn close(&mut self, now: Instant, out: &mut Vec<SegOut>) {
        match self.state {
            TcpState::SynSent | TcpState::SynReceived => self.finish(now, None),
            TcpState::Established | TcpState::CloseWait => {
                self.fin_queued = true;
                self.output(now, out);
            }
            _ => {}
        }
    }

    /// `SO_LINGER` 0 / abort: RST now.
    pub fn abort(&mut self, now: Instant, out: &mut Vec<SegOut>) {
        if !matches!(self.state, TcpState::Closed | TcpState::TimeWait | TcpState::SynSent) {
            out.push(self.bare(self.snd_nxt, TcpFlags::RST | TcpFlags::ACK));
        }
        self.finish(now, None);
    }

    pub(super) fn finish(&mut self, now: Instant, error: Option<TcpError>) {
        self.state = TcpState::Closed;
        let error = match (error, self.soft_error) {
            (Some(TcpError::TimedOut), Some(soft)) => Some(TcpError::SoftError(soft)),
            (e, _) => e,
        };
        self.error = self.error.or(error);
        self.closed_at = Some(now);
        self.rto_at = None;
        self.delack_at = None;
        self.keepalive_at = None;
        self.timewait_at = None;
    }

    pub(super) fn window_field(&self) -> u16 {
        let free = self.cfg.rcv_buf.saturating_sub(self.recv_buf.len() as u32);
        (free >> self.rcv_wscale).min(65535) as u16
    }

    pub(super) fn bare(&self, seq: u32, flags: TcpFlags) -> SegOut {
        SegOut {
            seq,
            ack: self.rcv_nxt,
            flags,
            window: self.window_field(),
            mss: None,
            wscale: None,
            sack_permitted: false,
            // tcp_established_options: SACK blocks while something is held beyond a hole.
            sack: if self.sack.ok && !self.ofo.is_empty() {
                self.ofo.sack_blocks()
            } else {
                [None; 3]
            },
            data: 0..0,
        }
    }

    pub(super) fn send_ack(&mut self, out: &mut Vec<SegOut>) {
        out.push(self.bare(self.snd_nxt, TcpFlags::ACK));
        self.segs_unacked = 0;
        self.delack_at = None;
        self.ack_now = false;
    }

    /// Sequence number just past the last data byte written (before any FIN).
    pub(super) fn data_end(&self) -> u32 {
        self.snd_una
            .wrapping_add(u32::from(
                self.state == TcpState::SynSent || self.state == TcpState::SynReceived,
            ))
            .wrapping_add(self.unacked() as u32)
    }

    pub(super) fn fin_sent(&self) -> bool {
        self.fin_queued && seq_lt(self.data_end(), self.snd_nxt)
    }

    pub(super) fn arm_rto(&mut self, now: Instant) {
        self.rto_at = Some(now + self.rto);
    }

    pub(super) fn keepalive_rearm(&mut self, now: Instant) {
        if let Some((idle, _, _)) = self.cfg.keepalive {
            self.keepalive_at = Some(now + idle);
            self.probes_out = 0;
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv6Addr};

    pub(in crate::transport) const A: SocketAddr =
        SocketAddr::new(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xa, 0, 0, 0, 0, 0xc)), 40000);
    pub(in crate::transport) const B: SocketAddr =
        SocketAddr::new(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xb, 0, 0, 0, 0, 0x10)), 22);

    /// A segment on the wire: the descriptor and its payload, copied when it was sent (as the glue does).
    pub(in crate::transport) type Wire = (SegOut, Vec<u8>);

    /// Copies the payloads of `segs` from `from`'s send buffer, as sending does.
    pub(in crate::transport) fn wire(from: &Tcb, segs: Vec<SegOut>) -> Vec<Wire> {
        segs.into_iter()
            .map(|s| {
                let p = from.send_bytes(s.data.clone()).to_vec();
                (s, p)
            })
            .collect()
    }

    /// Hands `segs` to `to` one by one, returns what `to` answered.
    pub(in crate::transport) fn deliver(segs: &[Wire], to: &mut Tcb, now: Instant) -> Vec<Wire> {
        let mut answers = Vec::new();
        for (s, payload) in segs {
            let seg = SegIn {
                seq: s.seq,
                ack: s.ack,
                flags: s.flags,
                window: s.window,
                mss: s.mss,
                wscale: s.wscale,
                sack_permitted: s.sack_permitted,
                sack: s.sack,
                payload,
            };
            let mut out = Vec::new();
            to.on_segment(now, &seg, &mut out);
            answers.extend(wire(to, out));
        }
        answers
    }

    /// A completed handshake at t = 0 with 1 ms one-way delay; returns (client, server).
    pub(in crate::transport) fn pair() -> (Tcb, Tcb) {
        let cfg = TcpConfig::default();
        let mut out = Vec::new();
        let mut c = Tcb::connect(cfg, A, B, 1000, Instant::ZERO, &mut out);
        let syn = out[0].clone();
        assert_eq!(
            (syn.flags, syn.seq, syn.mss, syn.wscale),
            (TcpFlags::SYN, 1000, Some(1440), Some(WSCALE))
        );
        let payload: &[u8] = &[];
        let syn_in = SegIn {
            seq: syn.seq,
            ack: 0,
            flags: syn.flags,
            window: syn.window,
            mss: syn.mss,
            wscale: syn.wscale,
            sack_permitted: syn.sack_permitted,
            sack: syn.sack,
            payload,
        };
        let mut out = Vec::new();
        let mut s = Tcb::accept(cfg, B, A, 5000, &syn_in, Instant::from_millis(1), &mut out);
        assert_eq!(s.state, TcpState::SynReceived);
        let ack = deliver(&wire(&s, out), &mut c, Instant::from_millis(2));
        assert_eq!(c.state, TcpState::Established);
        assert_eq!(ack.len(), 1);
        assert_eq!(
            (ack[0].0.flags, ack[0].0.seq, ack[0].0.ack),
            (TcpFlags::ACK, 1001, 5001)
        );
        let none = deliver(&ack, &mut s, Instant::from_millis(3));
        assert!(none.is_empty());
        assert_eq!(s.state, TcpState::Established);
        (c, s)
    }

    #[test]
    fn handshake_data_and_graceful_close_through_time_wait() {
        let (mut c, mut s) = pair();
        assert_eq!(
            c.rto(),
            RTO_MIN + Duration::from_millis(2),
            "SRTT 2 ms + max(4·RTTVAR, 200 ms)"
        );
        let mut out = Vec::new();
        assert_eq!(c.send(b"hello"), 5);
        c.output(Instant::from_millis(10), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].flags, TcpFlags::ACK | TcpFlags::PSH);
        let ack = deliver(&wire(&c, out), &mut s, Instant::from_millis(11));
        assert!(
            ack.is_empty(),
            "the first segment is acknowledged by the delayed-ACK timer"
        );
        assert_eq!(s.poll_at(), Some(Instant::from_millis(11) + DELACK));
        let mut got = Vec::new();
        s.recv(&mut got);
        assert_eq!(got, b"hello");
        let mut ack = Vec::new();
        s.on_timer(Instant::from_millis(51), &mut ack);
        assert_eq!((ack[0].flags, ack[0].ack), (TcpFlags::ACK, 1006));
        deliver(&wire(&s, ack), &mut c, Instant::from_millis(52));
        assert_eq!((c.unacked(), c.bytes_acked, c.poll_at()), (0, 5, None));
        // Active close by the client: FIN_WAIT1 → FIN_WAIT2 → TIME_WAIT; the server CLOSE_WAIT → LAST_ACK → CLOSED.
        let mut fin = Vec::new();
        c.close(Instant::from_millis(60), &mut fin);
        assert_eq!(
            (c.state, fin[0].flags),
            (TcpState::FinWait1, TcpFlags::FIN | TcpFlags::ACK)
        );
        let ack = deliver(&wire(&c, fin), &mut s, Instant::from_millis(61));
        assert_eq!((s.state, s.peer_closed()), (TcpState::CloseWait, true));
        deliver(&ack, &mut c, Instant::from_millis(62));
        assert_eq!(c.state, TcpState::FinWait2);
        let mut fin2 = Vec::new();
        s.close(Instant::from_millis(63), &mut fin2);
        assert_eq!(s.state, TcpState::LastAck);
        let fin2 = wire(&s, fin2);
        let last = deliver(&fin2, &mut c, Instant::from_millis(64));
        assert_eq!(c.state, TcpState::TimeWait);
        deliver(&last, &mut s, Instant::from_millis(65));
        assert_eq!((s.state, s.error), (TcpState::Closed, None));
        assert_eq!(c.poll_at(), Some(Instant::from_millis(64) + TIME_WAIT));
        // A retransmitted FIN in TIME_WAIT is acknowledged again.
        let again = deliver(&fin2, &mut c, Instant::from_millis(70));
        assert_eq!(again.len(), 1);
        c.on_timer(Instant::from_millis(70) + TIME_WAIT, &mut Vec::new());
        assert_eq!((c.state, c.error), (TcpState::Closed, None));
    }

    #[test]
    fn syn_retries_back_off_1_3_7_15_31_63_then_etimedout_at_127_s() {
        let mut out = Vec::new();
        let mut c = Tcb::connect(TcpConfig::default(), A, B, 7, Instant::ZERO, &mut out);
        let mut fired = Vec::new();
        while let Some(t) = c.poll_at() {
            out.clear();
            c.on_timer(t, &mut out);
            if !out.is_empty() {
                assert_eq!(out[0].flags, TcpFlags::SYN);
                fired.push(t.since_start().as_secs());
            }
        }
        assert_eq!(fired, [1, 3, 7, 15, 31, 63]);
        assert_eq!(
            (c.state, c.error, c.closed_at),
            (
                TcpState::Closed,
                Some(TcpError::TimedOut),
                Some(Instant::from_secs(127))
            )
        );
    }

    #[test]
    fn synack_retries_drop_the_request_silently_at_63_s() {
        let (_, _) = pair();
        let mut out = Vec::new();
        let syn = SegIn {
            seq: 1,
            ack: 0,
            flags: TcpFlags::SYN,
            window: 100,
            mss: Some(1440),
            wscale: None,
            sack_permitted: false,
            sack: [None; 3],
            payload: &[],
        };
        let mut s = Tcb::accept(TcpConfig::default(), B, A, 9, &syn, Instant::ZERO, &mut out);
        let mut fired = Vec::new();
        while let Some(t) = s.poll_at() {
            out.clear();
            s.on_timer(t, &mut out);
            fired.extend(out.iter().map(|o| (t.since_start().as_secs(), o.flags)));
        }
        let synack = TcpFlags::SYN | TcpFlags::ACK;
        assert_eq!(
            fired,
            [(1, synack), (3, synack), (7, synack), (15, synack), (31, synack)]
        );
        assert_eq!(
            (s.state, s.error, s.closed_at),
            (TcpState::Closed, None, Some(Instant::from_secs(63)))
        );
    }

    #[test]
    fn unacknowledged_data_backs_off_from_the_measured_rto_and_times_out_after_retries2() {
        let (mut c, _) = pair();
        let mut out = Vec::new();
        c.send(b"x");
        let t0 = Instant::from_secs(10);
        c.output(t0, &mut out);
        let mut fired = Vec::new();
        while let Some(t) = c.poll_at() {
            out.clear();
            c.on_timer(t, &mut out);
            if !out.is_empty() {
                assert_eq!(
                    (out[0].seq, out[0].data.clone()),
                    (1001, 0..1),
                    "the head is retransmitted"
                );
                fired.push(t.saturating_since(t0).as_millis() / 100);
            }
        }
        // RTO 202 ms (SRTT 2 ms + 200 ms) doubling to the 120 s cap: 15 retransmissions, then ETIMEDOUT once
        // 924.6 s (tcp_retries2 from 200 ms) have passed since the first transmission.
        assert_eq!(fired.len(), 15);
        assert_eq!(fired[..10], [2, 6, 14, 30, 62, 127, 256, 515, 1032, 2066]);
        let gave_up = c.closed_at.unwrap().saturating_since(t0).as_secs_f64();
        assert_eq!(c.error, Some(TcpError::TimedOut));
        assert!((924.6..940.0).contains(&gave_up), "{gave_up}");
    }

    #[test]
    fn keepalive_probes_then_etimedout() {
        let (mut c, mut s) = pair();
        let _ = &mut s;
        let mut cfg_c = c.clone();
        cfg_c.cfg.keepalive = Some((Duration::from_secs(60), Duration::from_secs(5), 3));
        c = cfg_c;
        c.keepalive_rearm(Instant::from_millis(2));
        let mut probes = Vec::new();
        while let Some(t) = c.poll_at() {
            let mut out = Vec::new();
            c.on_timer(t, &mut out);
            for o in out {
                assert_eq!((o.seq, o.flags), (1000, TcpFlags::ACK), "snd_una - 1");
                probes.push(t.since_start().as_millis());
            }
        }
        assert_eq!(probes, [60_002, 65_002, 70_002]);
        assert_eq!(
            (c.error, c.closed_at),
            (Some(TcpError::TimedOut), Some(Instant::from_millis(75_002)))
        );
    }

    #[test]
    fn bulk_transfer_fills_the_window_and_everything_arrives_in_order() {
        let (mut c, mut s) = pair();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut sent = 0;
        let mut received = Vec::new();
        let mut now = Instant::from_millis(10);
        let mut to_s: Vec<Wire> = Vec::new();
        for _ in 0..10_000 {
            sent += c.send(&data[sent..]);
            let mut out = Vec::new();
            c.output(now, &mut out);
            to_s.extend(wire(&c, out));
            let mut to_c = deliver(&to_s, &mut s, now);
            to_s.clear();
            s.recv(&mut received);
            if let Some(t) = s.poll_at() {
                let mut out = Vec::new();
                s.on_timer(t, &mut out);
                to_c.extend(wire(&s, out));
                now = now.max(t);
            }
            to_s.extend(deliver(&to_c, &mut c, now));
            if received.len() == data.len() {
                break;
            }
        }
        assert_eq!(received.len(), data.len());
        assert!(received == data, "bytes arrive intact and in order");
        assert_eq!(c.bytes_acked, data.len() as u64);
        assert!(c.cwnd > 10 * 1440, "slow start grew the window: {}", c.cwnd);
    }
}
