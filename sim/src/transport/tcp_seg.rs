//! TCP segment descriptors, states, errors and the sysctls of a connection, shared by the state machine
//! ([`super::tcp`]), the host glue and the firewalls; plus the RST a host answers an unexpected segment with.

use std::ops::Range;
use std::time::Duration;

use crate::wire::tcp::TcpFlags;

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

/// Per-connection counters, as `tcp_info` and the `TcpExt` MIB count them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpCounters {
    /// Segments sent again (`tcpi_total_retrans`): RTO, fast retransmit, and resends after a smaller path MTU.
    pub retrans_segs: u64,
    /// Segments held in the out-of-order queue (`TCPOFOQueue`).
    pub ofo_queued: u64,
    /// Most bytes the out-of-order queue held at once.
    pub ofo_peak_bytes: usize,
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
    /// An ICMP error aborted the connection while it was opening (`tcp_v4_err`/`tcp_v6_err` in SYN_SENT or
    /// SYN_RECV); ECONNREFUSED from a port unreachable is reported as [`TcpError::Refused`].
    #[error("{0}")]
    Unreachable(super::icmp_err::Errno),
    /// Timed out after an ICMP error: the socket reports that error instead of ETIMEDOUT (`tcp_write_err`:
    /// `sk_err_soft ? : ETIMEDOUT`).
    #[error("{0}")]
    SoftError(super::icmp_err::Errno),
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
    /// Send buffer (bytes): `Tcb::send` accepts at most this much unacknowledged data.
    pub snd_buf: u32,
    /// `TCP_NODELAY` (Nagle off).
    pub nodelay: bool,
    /// `net.ipv4.tcp_sack` (1): offer SACK (RFC 2018) and use it when the peer does.
    pub sack: bool,
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
            sack: true,
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
    /// SACK-permitted option (SYN, SYN-ACK).
    pub sack_permitted: bool,
    /// SACK blocks (RFC 2018 §3).
    pub sack: SackBlocks,
    /// Data.
    pub payload: &'a [u8],
}

/// Up to three SACK blocks, `[left, right)` in sequence space.
pub type SackBlocks = [Option<(u32, u32)>; 3];

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
    /// SACK-permitted option (SYN, SYN-ACK).
    pub sack_permitted: bool,
    /// SACK blocks.
    pub sack: SackBlocks,
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
        sack_permitted: false,
        sack: [None; 3],
        data: 0..0,
    })
}
