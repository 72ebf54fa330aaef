//! `ping`: ICMP / ICMPv6 echo requests on a schedule, replies and errors matched by identifier and sequence.
//!
//! Semantics follow iputils `ping`: `count` requests `interval` apart, each answered or not; a reply counts only if
//! its identifier and sequence match an outstanding request (RFC 4443 §4.2, RFC 792). An ICMP error quoting our
//! request (destination unreachable, time exceeded, packet too big) is recorded as an error for that sequence, as
//! `ping` prints `From X icmp_seq=N Destination unreachable: Address unreachable`. A send that fails locally
//! (no route) is recorded as a local error, as `ping: connect: Network is unreachable`.

use crate::id::IfIndex;
use crate::time::Instant;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// How a ping run is configured.
#[derive(Debug, Clone, PartialEq)]
pub struct PingConfig {
    /// Destination.
    pub dst: IpAddr,
    /// Source address (`ping -I addr`), or chosen by source address selection.
    pub src: Option<IpAddr>,
    /// Outgoing interface (`ping -I eth0`), needed for link-local destinations.
    pub oif: Option<IfIndex>,
    /// Number of requests (`-c`).
    pub count: u32,
    /// Time between requests (`-i`, default 1 s).
    pub interval: Duration,
    /// ICMP payload bytes (`-s`, default 56).
    pub size: usize,
    /// How long after the last request to wait for replies (`-W`, default 10 s here, like a bounded `-w`).
    pub timeout: Duration,
}

impl PingConfig {
    /// `ping -c count dst` with iputils defaults.
    pub fn new(dst: IpAddr, count: u32) -> PingConfig {
        PingConfig {
            dst,
            src: None,
            oif: None,
            count,
            interval: Duration::from_secs(1),
            size: 56,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Why a request got no reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingError {
    /// The local stack refused to send: no route (ENETUNREACH).
    NetworkUnreachable,
    /// An ICMP destination unreachable came back from `from` (code as received).
    DestinationUnreachable {
        /// Who sent the error.
        from: IpAddr,
        /// The ICMP code.
        code: u8,
    },
    /// Hop limit / TTL exceeded in transit, reported by `from`.
    TimeExceeded {
        /// Who sent the error.
        from: IpAddr,
    },
    /// ICMPv6 packet too big from `from` with this MTU.
    PacketTooBig {
        /// Who sent the error.
        from: IpAddr,
        /// The MTU it reported.
        mtu: u32,
    },
    /// Neighbour resolution failed locally (the host reports "Destination Host Unreachable").
    AddressUnreachable,
}

/// One reply or error, as `ping` would print a line for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingEvent {
    /// `64 bytes from X: icmp_seq=N ttl=T time=R`.
    Reply {
        /// Sequence number.
        seq: u16,
        /// Who answered (the reply's source).
        from: IpAddr,
        /// Hop limit / TTL of the reply.
        ttl: u8,
        /// Round-trip time.
        rtt: Duration,
    },
    /// An error for sequence `seq`.
    Error {
        /// Sequence number.
        seq: u16,
        /// What went wrong.
        error: PingError,
    },
}

/// The summary line and a bounded log of events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PingReport {
    /// Requests sent.
    pub transmitted: u32,
    /// Matching replies received (duplicates excluded).
    pub received: u32,
    /// Errors recorded.
    pub errors: u32,
    /// Duplicate replies.
    pub duplicates: u32,
    /// Smallest RTT.
    pub rtt_min: Option<Duration>,
    /// Largest RTT.
    pub rtt_max: Option<Duration>,
    /// Sum of RTTs, for the average.
    pub rtt_sum: Duration,
    /// Sources that replied, in order of first reply.
    pub responders: Vec<IpAddr>,
    /// The first [`PingReport::LOG_LIMIT`] events, so long runs stay small.
    pub log: Vec<(Instant, PingEvent)>,
}

impl PingReport {
    /// Events kept in [`PingReport::log`].
    pub const LOG_LIMIT: usize = 64;

    /// Average RTT of received replies.
    pub fn rtt_avg(&self) -> Option<Duration> {
        (self.received > 0).then(|| self.rtt_sum / self.received)
    }

    /// Fraction of requests lost, 0.0–1.0 (`ping`'s "% packet loss").
    pub fn loss(&self) -> f64 {
        if self.transmitted == 0 {
            return 0.0;
        }
        1.0 - f64::from(self.received) / f64::from(self.transmitted)
    }

    fn record(&mut self, at: Instant, event: PingEvent) {
        if self.log.len() < Self::LOG_LIMIT {
            self.log.push((at, event));
        }
    }
}

/// A ping run in progress.
#[derive(Debug, Clone)]
pub struct Ping {
    /// Configuration.
    pub config: PingConfig,
    /// ICMP identifier (per run, like the socket's port for unprivileged ping).
    pub ident: u16,
    next_send: Option<Instant>,
    next_seq: u16,
    outstanding: BTreeMap<u16, Instant>,
    /// One bit per sequence number answered, to tell duplicates from strangers (sequence numbers wrap at 2^16).
    answered: Vec<u64>,
    deadline: Instant,
    /// What happened so far.
    pub report: PingReport,
}

impl Ping {
    /// A run whose first request goes out at `start`.
    pub fn new(config: PingConfig, ident: u16, start: Instant) -> Ping {
        let next_send = (config.count > 0).then_some(start);
        Ping {
            config,
            ident,
            next_send,
            next_seq: 1,
            outstanding: BTreeMap::new(),
            answered: Vec::new(),
            deadline: start,
            report: PingReport::default(),
        }
    }

    /// When the run next needs to act (send a request or give up waiting).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.next_send {
            Some(t) => Some(t),
            None if !self.outstanding.is_empty() => Some(self.deadline),
            None => None,
        }
    }

    /// True once every request was sent and answered or timed out.
    pub fn finished(&self) -> bool {
        self.next_send.is_none() && self.outstanding.is_empty()
    }

    /// Called at or after [`Ping::poll_timeout`]. Returns the sequence number of a request to send now, if any.
    pub fn on_timeout(&mut self, now: Instant) -> Option<u16> {
        match self.next_send {
            Some(t) if t <= now => {
                let seq = self.next_seq;
                self.next_seq = self.next_seq.wrapping_add(1);
                self.report.transmitted += 1;
                self.outstanding.insert(seq, now);
                self.next_send = (self.report.transmitted < self.config.count).then(|| now + self.config.interval);
                self.deadline = now + self.config.timeout;
                Some(seq)
            }
            _ => {
                if self.next_send.is_none() && now >= self.deadline {
                    self.outstanding.clear();
                }
                None
            }
        }
    }

    /// An echo reply with our identifier arrived.
    pub fn on_reply(&mut self, now: Instant, seq: u16, from: IpAddr, ttl: u8) {
        let (word, bit) = (usize::from(seq / 64), 1u64 << (seq % 64));
        let Some(sent) = self.outstanding.remove(&seq) else {
            if self.answered.get(word).is_some_and(|w| w & bit != 0) {
                self.report.duplicates += 1;
            }
            return;
        };
        if self.answered.len() <= word {
            self.answered.resize(word + 1, 0);
        }
        self.answered[word] |= bit;
        let rtt = now - sent;
        let r = &mut self.report;
        r.received += 1;
        r.rtt_sum += rtt;
        r.rtt_min = Some(r.rtt_min.map_or(rtt, |m| m.min(rtt)));
        r.rtt_max = Some(r.rtt_max.map_or(rtt, |m| m.max(rtt)));
        if !r.responders.contains(&from) {
            r.responders.push(from);
        }
        r.record(now, PingEvent::Reply { seq, from, ttl, rtt });
    }

    /// An error concerning request `seq` (an ICMP error quoting it, or a local failure).
    pub fn on_error(&mut self, now: Instant, seq: u16, error: PingError) {
        if self.outstanding.remove(&seq).is_none() {
            return;
        }
        self.report.errors += 1;
        self.report.record(now, PingEvent::Error { seq, error });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn dst() -> IpAddr {
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))
    }

    #[test]
    fn schedule_sends_count_requests_interval_apart() {
        let mut p = Ping::new(PingConfig::new(dst(), 3), 7, Instant::from_secs(1));
        let mut sent = Vec::new();
        while let Some(t) = p.poll_timeout() {
            if let Some(seq) = p.on_timeout(t) {
                sent.push((t, seq));
                p.on_reply(t + Duration::from_millis(2), seq, dst(), 64);
            }
        }
        assert_eq!(
            sent,
            vec![
                (Instant::from_secs(1), 1),
                (Instant::from_secs(2), 2),
                (Instant::from_secs(3), 3)
            ]
        );
        assert!(p.finished());
        assert_eq!(p.report.received, 3);
        assert_eq!(p.report.rtt_avg(), Some(Duration::from_millis(2)));
        assert_eq!(p.report.loss(), 0.0);
    }

    #[test]
    fn unanswered_requests_time_out_and_count_as_loss() {
        let mut p = Ping::new(PingConfig::new(dst(), 2), 7, Instant::ZERO);
        let mut last = Instant::ZERO;
        while let Some(t) = p.poll_timeout() {
            p.on_timeout(t);
            last = t;
        }
        assert_eq!(last, Instant::from_secs(11), "10 s after the last request");
        assert_eq!(p.report.transmitted, 2);
        assert_eq!(p.report.received, 0);
        assert_eq!(p.report.loss(), 1.0);
    }

    #[test]
    fn duplicates_and_strangers_do_not_count() {
        let mut p = Ping::new(PingConfig::new(dst(), 1), 7, Instant::ZERO);
        let seq = p.on_timeout(Instant::ZERO).unwrap_or_default();
        p.on_reply(Instant::from_millis(1), seq, dst(), 64);
        p.on_reply(Instant::from_millis(2), seq, dst(), 64);
        p.on_reply(Instant::from_millis(2), 999, dst(), 64);
        assert_eq!(p.report.received, 1);
        assert_eq!(p.report.duplicates, 1);
    }

    #[test]
    fn errors_are_matched_to_their_request() {
        let mut p = Ping::new(PingConfig::new(dst(), 1), 7, Instant::ZERO);
        let seq = p.on_timeout(Instant::ZERO).unwrap_or_default();
        p.on_error(Instant::from_millis(1), seq, PingError::AddressUnreachable);
        assert_eq!(p.report.errors, 1);
        assert!(p.finished());
        assert_eq!(
            p.report.log,
            vec![(
                Instant::from_millis(1),
                PingEvent::Error {
                    seq,
                    error: PingError::AddressUnreachable
                }
            )]
        );
    }
}
