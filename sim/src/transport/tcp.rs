//! A sans-I/O TCP connection (RFC 9293) with the timers and choices Linux makes: RTO initial 1 s with doubling
//! backoff capped at 120 s, minimum 200 ms (`TCP_RTO_MIN`), `tcp_syn_retries` 6, `tcp_synack_retries` 5,
//! `tcp_retries2` 15 as a time budget (`tcp_model_timeout`), delayed ACKs (40 ms or every second segment),
//! keepalive, RST validation per RFC 5961 §3 (exact sequence resets, in-window ones draw a challenge ACK),
//! Reno congestion control without SACK, and TIME_WAIT of 60 s (`TCP_TIMEWAIT_LEN`).
//!
//! The connection never touches packets: segments come in as [`SegIn`], go out as [`SegOut`] whose payload is a
//! range of [`Tcb::send_bytes`]; time comes in as `now`.

use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

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

/// `a < b` in sequence space (RFC 9293 §3.4).
pub fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `a <= b` in sequence space.
pub fn seq_le(a: u32, b: u32) -> bool {
    !seq_lt(b, a)
}

/// RFC 9293 §3.3.2 states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TcpState {
    /// Active open, SYN sent.
    SynSent,
    /// Passive open, SYN-ACK sent (Linux: a request sock).
    SynReceived,
    /// Data flows.
    Established,
    /// We closed; our FIN is not acknowledged.
    FinWait1,
    /// Our FIN is acknowledged; waiting for the peer's.
    FinWait2,
    /// The peer closed; we have not.
    CloseWait,
    /// Both closed at once.
    Closing,
    /// We closed after the peer; waiting for the ACK of our FIN.
    LastAck,
    /// Waiting 60 s for stray segments.
    TimeWait,
    /// Gone.
    Closed,
}

/// Why a connection ended badly (the errno a socket call would return).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TcpError {
    /// RST in SYN_SENT.
    #[error("ECONNREFUSED: connection refused")]
    Refused,
    /// RST in a synchronized state.
    #[error("ECONNRESET: connection reset by peer")]
    Reset,
    /// Retransmissions or keepalive probes exhausted.
    #[error("ETIMEDOUT: connection timed out")]
    TimedOut,
}

/// The Linux sysctls and socket options that shape a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpConfig {
    /// `net.ipv4.tcp_syn_retries` (6).
    pub syn_retries: u32,
    /// `net.ipv4.tcp_synack_retries` (5).
    pub synack_retries: u32,
    /// `net.ipv4.tcp_retries2` (15).
    pub retries2: u32,
    /// MSS we announce (MTU 1500 − 40 for IPv6; the glue sets the family's value).
    pub mss: u16,
    /// Receive buffer (bytes), which bounds the advertised window.
    pub rcv_buf: u32,
    /// Send buffer (bytes): [`Tcb::send`] accepts at most this much unacknowledged data.
    pub snd_buf: u32,
    /// `TCP_NODELAY` (Nagle off).
    pub nodelay: bool,
    /// `SO_KEEPALIVE` with (`tcp_keepalive_time`, `tcp_keepalive_intvl`, `tcp_keepalive_probes`).
    pub keepalive: Option<(Duration, Duration, u32)>,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            syn_retries: 6,
            synack_retries: 5,
            retries2: 15,
            mss: 1440,
            rcv_buf: 6 << 20,
            snd_buf: 4 << 20,
            nodelay: false,
            keepalive: None,
        }
    }
}

impl TcpConfig {
    /// Linux keepalive defaults: 7200 s idle, 75 s interval, 9 probes.
    pub const KEEPALIVE_DEFAULT: (Duration, Duration, u32) = (Duration::from_secs(7200), Duration::from_secs(75), 9);
}

/// An incoming segment, already checksummed and demultiplexed.
#[derive(Debug, Clone, Copy)]
pub struct SegIn<'a> {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Raw window field.
    pub window: u16,
    /// MSS option.
    pub mss: Option<u16>,
    /// Window scale option.
    pub wscale: Option<u8>,
    /// Data.
    pub payload: &'a [u8],
}

impl SegIn<'_> {
    /// Sequence space the segment occupies (data + SYN + FIN).
    pub fn len(&self) -> u32 {
        let mut l = self.payload.len() as u32;
        if self.flags.contains(TcpFlags::SYN) {
            l += 1;
        }
        if self.flags.contains(TcpFlags::FIN) {
            l += 1;
        }
        l
    }

    /// True for a segment without data, SYN or FIN.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A segment to send. Its data is `Tcb::send_bytes(data)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegOut {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (sent with ACK).
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Raw window field.
    pub window: u16,
    /// MSS option (SYN, SYN-ACK).
    pub mss: Option<u16>,
    /// Window scale option (SYN, SYN-ACK).
    pub wscale: Option<u8>,
    /// Range of the send buffer carried as data.
    pub data: Range<usize>,
}

/// The RST `tcp_v6_send_reset` / `tcp_v4_send_reset` answers an unexpected segment with (RFC 9293 §3.10.7.1):
/// `None` for an incoming RST, which is never answered.
pub fn reset_for(seg: &SegIn<'_>) -> Option<SegOut> {
    if seg.flags.contains(TcpFlags::RST) {
        return None;
    }
    let (seq, ack, flags) = if seg.flags.contains(TcpFlags::ACK) {
        (seg.ack, 0, TcpFlags::RST)
    } else {
        (0, seg.seq.wrapping_add(seg.len()), TcpFlags::RST | TcpFlags::ACK)
    };
    Some(SegOut {
        seq,
        ack,
        flags,
        window: 0,
        mss: None,
        wscale: None,
        data: 0..0,
    })
}

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

    fn take_syn_options(&mut self, syn: &SegIn<'_>) {
        self.peer_mss = syn.mss.unwrap_or(536).min(self.cfg.mss);
        // RFC 7323 §2.2: scaling only if both sides sent the option.
        if let Some(ws) = syn.wscale {
            self.snd_wscale = ws.min(14);
            self.rcv_wscale = WSCALE;
        }
        self.cwnd = 10 * u32::from(self.peer_mss);
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
            data: 0..0,
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
        let a = (self.send_head + r.start).min(self.send_buf.len());
        let b = (self.send_head + r.end).min(self.send_buf.len());
        &self.send_buf[a..b]
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
        let n = self.recv_buf.len();
        self.recv_buf.clear();
        n
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
        self.error = self.error.or(error);
        self.closed_at = Some(now);
        self.rto_at = None;
        self.delack_at = None;
        self.keepalive_at = None;
        self.timewait_at = None;
    }

    fn window_field(&self) -> u16 {
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
    fn data_end(&self) -> u32 {
        self.snd_una
            .wrapping_add(u32::from(
                self.state == TcpState::SynSent || self.state == TcpState::SynReceived,
            ))
            .wrapping_add(self.unacked() as u32)
    }

    fn fin_sent(&self) -> bool {
        self.fin_queued && seq_lt(self.data_end(), self.snd_nxt)
    }

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

    pub(super) fn arm_rto(&mut self, now: Instant) {
        self.rto_at = Some(now + self.rto);
    }

    fn keepalive_rearm(&mut self, now: Instant) {
        if let Some((idle, _, _)) = self.cfg.keepalive {
            self.keepalive_at = Some(now + idle);
            self.probes_out = 0;
        }
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
                self.send_ack(out);
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
                self.send_ack(out);
            }
            return;
        }
        if f.contains(TcpFlags::SYN) {
            // RFC 5961 §4: a SYN in a synchronized state draws a challenge ACK.
            self.send_ack(out);
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
            // Acknowledges something never sent (RFC 9293): ACK and drop.
            self.send_ack(out);
            return;
        }
        let synack_acked = self.established_at == Some(now) && self.snd_una == self.iss;
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
            // Reno: slow start below ssthresh, then about one MSS per RTT.
            let mss = u32::from(self.peer_mss);
            if self.cwnd < self.ssthresh {
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
            if self.dupacks == 3 {
                // Fast retransmit (RFC 5681 §3.2).
                let flight = self.snd_nxt.wrapping_sub(self.snd_una);
                self.ssthresh = (flight / 2).max(2 * u32::from(self.peer_mss));
                self.cwnd = self.ssthresh;
                self.retransmit_head(out);
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
        let mut payload = seg.payload;
        let mut seq = seg.seq;
        if !payload.is_empty() && receiving {
            // Trim what we already have (a retransmission overlapping rcv_nxt).
            if seq_lt(seq, self.rcv_nxt) {
                let skip = (self.rcv_nxt.wrapping_sub(seq) as usize).min(payload.len());
                payload = &payload[skip..];
                seq = self.rcv_nxt;
            }
            if seq != self.rcv_nxt {
                // Out of order: no reassembly queue; a duplicate ACK asks for the hole (RFC 5681 §4.2).
                self.send_ack(out);
                return;
            }
            let room = self.cfg.rcv_buf.saturating_sub(self.recv_buf.len() as u32) as usize;
            let take = payload.len().min(room);
            self.recv_buf.extend_from_slice(&payload[..take]);
            self.rcv_nxt = self.rcv_nxt.wrapping_add(take as u32);
            self.bytes_received += take as u64;
            self.segs_unacked += 1;
            if take > 0 && take == payload.len() {
                payload = &[];
            }
            if self.segs_unacked >= 2 || self.established_at == Some(now) && self.bytes_received == take as u64 {
                self.ack_now = true;
            } else if self.delack_at.is_none() {
                self.delack_at = Some(now + DELACK);
            }
        } else if !payload.is_empty() {
            // Data after our receive side closed: acknowledge, keep nothing.
            self.ack_now = true;
        }
        let fin_seq = seg.seq.wrapping_add(seg.payload.len() as u32);
        if seg.flags.contains(TcpFlags::FIN) && payload.is_empty() && fin_seq == self.rcv_nxt && !self.peer_fin {
            self.peer_fin = true;
            self.rcv_nxt = self.rcv_nxt.wrapping_add(1);
            self.ack_now = true;
            match self.state {
                TcpState::Established => self.state = TcpState::CloseWait,
                TcpState::FinWait1 => self.state = TcpState::Closing,
                TcpState::FinWait2 => self.enter_time_wait(now),
                _ => {}
            }
        } else if seg.flags.contains(TcpFlags::FIN) && self.state == TcpState::TimeWait {
            // A retransmitted FIN: ACK again and restart the 2MSL wait (RFC 9293 §3.10.7.4).
            self.timewait_at = Some(now + TIME_WAIT);
            self.ack_now = true;
        }
    }

    fn enter_time_wait(&mut self, now: Instant) {
        self.state = TcpState::TimeWait;
        self.rto_at = None;
        self.keepalive_at = None;
        self.timewait_at = Some(now + TIME_WAIT);
    }

    pub(super) fn retransmit_head(&mut self, out: &mut Vec<SegOut>) {
        match self.state {
            TcpState::SynSent | TcpState::SynReceived => out.push(self.syn_segment()),
            _ => {
                let len = (self.unacked() as u32).min(u32::from(self.peer_mss)) as usize;
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
mod tests {}
