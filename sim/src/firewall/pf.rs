//! pf's TCP state table (FreeBSD sys/netpfil/pf/pf.c: `pf_create_state`, `pf_tcp_track_full`,
//! `pf_tcp_track_sloppy`), its default timeouts (`PFTM_*_VAL`, linux-ipv6.md F10) and purge interval, and a
//! last-match ruleset of `pass … flags S/SA keep state [(sloppy)]` and `block drop|return` (F11).
//!
//! The one-direction case: the SYN creates a state (src SYN_SENT, dst CLOSED, tcp.first); the handshake ACK
//! passes the full window check and sets tcp.opening because dst never leaves CLOSED; later data lies beyond
//! `seqhi` and passes only by the loose branch, which does not refresh the TTL. The state is purged 30–40 s after
//! the handshake, the next segment is not a SYN, no rule passes it, and `block return` answers with an RST.
//!
//! Purging: the purge thread visits every state once per `interval` (10 s); modelled as ticks at multiples of the
//! interval, evaluated lazily at lookup. Not modelled: sequence modulation, scrub, the SACK and timestamp checks.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use super::pf_rule::evaluate;
pub use super::pf_rule::{PfAction, PfDir, PfRule};
use super::{PacketMeta, TcpMeta, Verdict};
use crate::time::Instant;
use crate::transport::tcp::{seq_le, seq_lt};
use crate::wire::tcp::TcpFlags;

/// `MAXACKWINDOW`: 65535 + 1500.
pub const MAXACKWINDOW: u32 = 65535 + 1500;

/// pf's per-peer TCP states (TCPS_* values pf compares with `<`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PeerState {
    /// TCPS_CLOSED.
    Closed,
    /// TCPS_SYN_SENT.
    SynSent,
    /// TCPS_ESTABLISHED.
    Established,
    /// TCPS_CLOSING.
    Closing,
    /// TCPS_FIN_WAIT_2.
    FinWait2,
    /// TCPS_TIME_WAIT.
    TimeWait,
}

impl PeerState {
    /// The name `pfctl -ss` prints (`tcpstates[]`).
    pub fn name(self) -> &'static str {
        match self {
            PeerState::Closed => "CLOSED",
            PeerState::SynSent => "SYN_SENT",
            PeerState::Established => "ESTABLISHED",
            PeerState::Closing => "CLOSING",
            PeerState::FinWait2 => "FIN_WAIT_2",
            PeerState::TimeWait => "TIME_WAIT",
        }
    }
}

/// `PFTM_*` timeout classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    /// tcp.first.
    First,
    /// tcp.opening.
    Opening,
    /// tcp.established.
    Established,
    /// tcp.closing.
    Closing,
    /// tcp.finwait.
    FinWait,
    /// tcp.closed.
    Closed,
}

/// pf's timeouts (F10 defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PfTimeouts {
    /// tcp.first 120 s.
    pub first: Duration,
    /// tcp.opening 30 s.
    pub opening: Duration,
    /// tcp.established 86400 s.
    pub established: Duration,
    /// tcp.closing 900 s.
    pub closing: Duration,
    /// tcp.finwait 45 s.
    pub finwait: Duration,
    /// tcp.closed 90 s.
    pub closed: Duration,
    /// Purge interval 10 s.
    pub interval: Duration,
}

impl Default for PfTimeouts {
    fn default() -> Self {
        let s = Duration::from_secs;
        PfTimeouts {
            first: s(120),
            opening: s(30),
            established: s(86_400),
            closing: s(900),
            finwait: s(45),
            closed: s(90),
            interval: s(10),
        }
    }
}

impl PfTimeouts {
    fn get(&self, t: Timeout) -> Duration {
        match t {
            Timeout::First => self.first,
            Timeout::Opening => self.opening,
            Timeout::Established => self.established,
            Timeout::Closing => self.closing,
            Timeout::FinWait => self.finwait,
            Timeout::Closed => self.closed,
        }
    }
}

/// One side of a state (`struct pf_state_peer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// State.
    pub state: PeerState,
    /// Lowest sequence number seen (0: not seen, as pf uses it).
    pub seqlo: u32,
    /// Highest sequence number the other side's window allows.
    pub seqhi: u32,
    /// Largest window seen.
    pub max_win: u32,
}

/// One state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PfState {
    /// The initiator (stack side `src`).
    pub src: Peer,
    /// The responder.
    pub dst: Peer,
    /// Timeout class.
    pub timeout: Timeout,
    /// Last TTL refresh (`state->expire`).
    pub expire: Instant,
    /// Created by a `(sloppy)` rule.
    pub sloppy: bool,
}

/// pf on a router.
#[derive(Debug, Clone, Default)]
pub struct Pf {
    /// Timeouts.
    pub timeouts: PfTimeouts,
    /// Rules in order.
    pub rules: Vec<PfRule>,
    states: BTreeMap<(IpAddr, u16, IpAddr, u16), PfState>,
    /// Packets dropped as "BAD state".
    pub bad_state: u64,
}

impl Pf {
    /// `block <drop|return> all; pass proto tcp to port P flags S/SA keep state [(sloppy)]`; non-TCP passes.
    pub fn ssh_ruleset(port: u16, block_return: bool, sloppy: bool) -> Pf {
        Pf {
            rules: vec![
                PfRule::block_all(block_return, false),
                PfRule::pass_tcp(Some(port), sloppy, false),
            ],
            ..Pf::default()
        }
    }

    fn purged(&self, s: &PfState, now: Instant) -> bool {
        let deadline = s.expire + self.timeouts.get(s.timeout);
        // The purge thread passes every `interval`: the state goes at the first pass at or after its deadline.
        let iv = self.timeouts.interval.as_nanos().max(1) as u64;
        let tick = deadline.as_nanos().div_ceil(iv) * iv;
        now.as_nanos() >= tick
    }

    /// Live states at `now`, keyed by initiator tuple.
    pub fn states(&self, now: Instant) -> impl Iterator<Item = (&(IpAddr, u16, IpAddr, u16), &PfState)> {
        self.states.iter().filter(move |(_, s)| !self.purged(s, now))
    }

    /// `pfctl -ss` lines for states created by inbound `pass` rules: `all tcp DST <- SRC  SRC_STATE:DST_STATE`,
    /// with `addr[port]` for IPv6 and `addr:port` for IPv4.
    pub fn render(&self, now: Instant) -> String {
        let ep = |a: &IpAddr, p: &u16| match a {
            IpAddr::V6(x) => format!("{x}[{p}]"),
            IpAddr::V4(x) => format!("{x}:{p}"),
        };
        self.states(now)
            .map(|((a, ap, b, bp), st)| {
                format!(
                    "all tcp {} <- {}       {}:{}\n",
                    ep(b, bp),
                    ep(a, ap),
                    st.src.state.name(),
                    st.dst.state.name()
                )
            })
            .collect()
    }

    /// `pf_test` at the forward hook without interface names (rules `on` an interface never match).
    pub fn filter(&mut self, now: Instant, p: &PacketMeta) -> Verdict {
        self.filter_on(now, p, None, None)
    }

    /// Does any rule need the interfaces a packet crosses?
    pub fn needs_ifaces(&self) -> bool {
        self.rules.iter().any(PfRule::needs_iface)
    }

    /// `pf_test` for a forwarded packet: TCP state lookup (states float: one created inbound also matches the
    /// packet leaving and the replies, on any interface); an ICMP error quoting a TCP connection that has a state
    /// passes with it (`pf_test_state_icmp`); otherwise the ruleset inbound on `iif`, then outbound on `oif`.
    /// Only TCP keeps state here: other protocols are filtered rule by rule.
    pub fn filter_on(&mut self, now: Instant, p: &PacketMeta, iif: Option<&str>, oif: Option<&str>) -> Verdict {
        let Some(t) = p.tcp else {
            if let Some(q) = p.icmp.and_then(|m| m.quote).filter(|q| q.proto == 6) {
                let fwd = (q.src, q.sport, q.dst, q.dport);
                let rev = (q.dst, q.dport, q.src, q.sport);
                if [fwd, rev]
                    .iter()
                    .any(|k| self.states.get(k).is_some_and(|s| !self.purged(s, now)))
                {
                    return Verdict::Accept;
                }
            }
            return self.rules_both_ways(now, p, None, iif, oif);
        };
        let fwd = (p.src, p.sport, p.dst, p.dport);
        let rev = (p.dst, p.dport, p.src, p.sport);
        for k in [fwd, rev] {
            if self.states.get(&k).is_some_and(|s| self.purged(s, now)) {
                self.states.remove(&k);
            }
        }
        let (key, reverse) = if self.states.contains_key(&fwd) {
            (fwd, false)
        } else if self.states.contains_key(&rev) {
            (rev, true)
        } else {
            return self.rules_both_ways(now, p, Some(&t), iif, oif);
        };
        let Some(s) = self.states.get_mut(&key) else {
            return Verdict::Drop;
        };
        let ok = if s.sloppy {
            track_sloppy(s, reverse, &t, now);
            true
        } else {
            track_full(s, reverse, &t, now)
        };
        if ok {
            Verdict::Accept
        } else {
            self.bad_state += 1;
            Verdict::Drop
        }
    }

    /// The ruleset inbound, then (if that passed without creating a state) outbound.
    fn rules_both_ways(
        &mut self,
        now: Instant,
        p: &PacketMeta,
        t: Option<&TcpMeta>,
        iif: Option<&str>,
        oif: Option<&str>,
    ) -> Verdict {
        for (dir, iface) in [(PfDir::In, iif), (PfDir::Out, oif)] {
            match evaluate(&self.rules, p, dir, iface).map(|r| r.action) {
                Some(PfAction::Block { ret }) => {
                    return if ret { Verdict::Return } else { Verdict::Drop };
                }
                Some(PfAction::Pass {
                    keep_state: true,
                    sloppy,
                }) => {
                    if let Some(t) = t {
                        self.create_state(now, (p.src, p.sport, p.dst, p.dport), t, sloppy);
                        return Verdict::Accept;
                    }
                }
                // `no state`, or no rule: pf's implicit pass; the other direction still gets its say.
                Some(PfAction::Pass { .. }) | None => {}
            }
        }
        Verdict::Accept
    }

    /// `pf_create_state` for the SYN a `keep state` rule passed.
    fn create_state(&mut self, now: Instant, fwd: (IpAddr, u16, IpAddr, u16), t: &TcpMeta, sloppy: bool) {
        let seqlo = t.seq;
        let mut seqhi = t.seq.wrapping_add(t.len).wrapping_add(1);
        if t.flags.contains(TcpFlags::SYN) {
            seqhi = seqhi.wrapping_add(1);
        }
        let src = Peer {
            state: PeerState::SynSent,
            seqlo,
            seqhi,
            max_win: u32::from(t.window).max(1),
        };
        let dst = Peer {
            state: PeerState::Closed,
            seqlo: 0,
            seqhi: 1,
            max_win: 1,
        };
        let state = PfState {
            src,
            dst,
            timeout: Timeout::First,
            expire: now,
            sloppy,
        };
        self.states.insert(fwd, state);
    }
}

/// `pf_tcp_track_full` without modulation or SACK: the full window check refreshes the TTL; the loose branch for a
/// peer that never answered does not; anything else is a BAD state.
fn track_full(s: &mut PfState, reverse: bool, t: &TcpMeta, now: Instant) -> bool {
    let (src, dst) = if reverse {
        (&mut s.dst, &mut s.src)
    } else {
        (&mut s.src, &mut s.dst)
    };
    let seq = t.seq;
    let win = u32::from(t.window);
    let end = t.end();
    if src.seqlo == 0 {
        // First packet from this end.
        src.seqlo = seq;
        if src.state < PeerState::SynSent {
            src.state = PeerState::SynSent;
        }
        let w = dst.max_win.max(1);
        if src.seqhi == 1 || seq_le(src.seqhi, end.wrapping_add(w)) {
            src.seqhi = end.wrapping_add(w);
        }
        src.max_win = src.max_win.max(win);
    }
    // "broken tcp stacks do not set ack": no ACK, or a peer not yet in SYN_SENT, skips the ack-skew test.
    let ack = if !t.flags.contains(TcpFlags::ACK) || dst.state < PeerState::SynSent {
        dst.seqlo
    } else {
        t.ack
    };
    let ackskew = dst.seqlo.wrapping_sub(ack) as i32;
    let full = seq_le(end, src.seqhi)
        && seq_le(src.seqlo.wrapping_sub(dst.max_win), seq)
        && ackskew >= -(MAXACKWINDOW as i32)
        && ackskew <= MAXACKWINDOW as i32;
    if full {
        src.max_win = src.max_win.max(win);
        if seq_lt(src.seqlo, end) {
            src.seqlo = end;
        }
        if t.flags.contains(TcpFlags::ACK) && seq_lt(dst.seqhi, ack.wrapping_add(win.max(1))) {
            dst.seqhi = ack.wrapping_add(win.max(1));
        }
        if t.flags.contains(TcpFlags::SYN) && src.state < PeerState::SynSent {
            src.state = PeerState::SynSent;
        }
        if t.flags.contains(TcpFlags::FIN) && src.state < PeerState::Closing {
            src.state = PeerState::Closing;
        }
        if t.flags.contains(TcpFlags::ACK) {
            if dst.state == PeerState::SynSent {
                dst.state = PeerState::Established;
            } else if dst.state == PeerState::Closing {
                dst.state = PeerState::FinWait2;
            }
        }
        if t.flags.contains(TcpFlags::RST) {
            src.state = PeerState::TimeWait;
            dst.state = PeerState::TimeWait;
        }
        let (a, b) = (src.state, dst.state);
        s.expire = now;
        s.timeout = if a >= PeerState::FinWait2 && b >= PeerState::FinWait2 {
            Timeout::Closed
        } else if a >= PeerState::Closing && b >= PeerState::Closing {
            Timeout::FinWait
        } else if a < PeerState::Established || b < PeerState::Established {
            Timeout::Opening
        } else if a >= PeerState::Closing || b >= PeerState::Closing {
            Timeout::Closing
        } else {
            Timeout::Established
        };
        return true;
    }
    let loose =
        (dst.state < PeerState::SynSent || dst.state >= PeerState::FinWait2 || src.state >= PeerState::FinWait2)
            && seq_le(end, src.seqhi.wrapping_add(MAXACKWINDOW))
            && seq_le(src.seqlo.wrapping_sub(MAXACKWINDOW), seq);
    if loose {
        // "We don't update the TTL here".
        src.max_win = src.max_win.max(win);
        if seq_lt(src.seqlo, end) {
            src.seqlo = end;
        }
        if t.flags.contains(TcpFlags::FIN) && src.state < PeerState::Closing {
            src.state = PeerState::Closing;
        }
        if t.flags.contains(TcpFlags::RST) {
            src.state = PeerState::TimeWait;
            dst.state = PeerState::TimeWait;
        }
        return true;
    }
    false
}

/// `pf_tcp_track_sloppy`: flags only, TTL refreshed on every packet; an ACK after a one-sided SYN means both
/// peers ESTABLISHED.
fn track_sloppy(s: &mut PfState, reverse: bool, t: &TcpMeta, now: Instant) {
    let (src, dst) = if reverse {
        (&mut s.dst, &mut s.src)
    } else {
        (&mut s.src, &mut s.dst)
    };
    let f = t.flags;
    let mut timeout = s.timeout;
    if f.contains(TcpFlags::SYN) && src.state < PeerState::SynSent {
        src.state = PeerState::SynSent;
        timeout = Timeout::First;
    }
    if f.contains(TcpFlags::FIN) && src.state < PeerState::Closing {
        src.state = PeerState::Closing;
        timeout = Timeout::Closing;
    }
    if f.contains(TcpFlags::ACK) {
        if dst.state == PeerState::SynSent {
            dst.state = PeerState::Established;
            if src.state == PeerState::Established {
                timeout = Timeout::Established;
            }
        } else if dst.state == PeerState::Closing {
            dst.state = PeerState::FinWait2;
            timeout = Timeout::FinWait;
        } else if src.state == PeerState::SynSent && dst.state < PeerState::SynSent {
            dst.state = PeerState::Established;
            src.state = PeerState::Established;
            timeout = Timeout::Established;
        } else if src.state == PeerState::Closing && dst.state == PeerState::Established && dst.seqlo == 0 {
            dst.state = PeerState::Closing;
            timeout = Timeout::Closing;
        }
    }
    if f.contains(TcpFlags::RST) {
        src.state = PeerState::TimeWait;
        dst.state = PeerState::TimeWait;
        timeout = Timeout::Closed;
    }
    s.timeout = timeout;
    s.expire = now;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(from_client: bool, flags: TcpFlags, seq: u32, ack: u32, len: u32) -> PacketMeta {
        let c: IpAddr = "2001:db8:a::c".parse().unwrap();
        let s: IpAddr = "2001:db8:b::10".parse().unwrap();
        let (src, dst, sport, dport) = if from_client {
            (c, s, 50000, 22)
        } else {
            (s, c, 22, 50000)
        };
        PacketMeta {
            src,
            dst,
            proto: 6,
            sport,
            dport,
            tcp: Some(TcpMeta {
                seq,
                ack,
                flags,
                window: 502,
                wscale: None,
                len,
            }),
            icmp: None,
        }
    }

    const ISN: u32 = 1000;
    const SISN: u32 = 777_000;

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    fn one_sided(pf: &mut Pf) {
        let ack = TcpFlags::ACK;
        assert_eq!(pf.filter(at(0), &pkt(true, TcpFlags::SYN, ISN, 0, 0)), Verdict::Accept);
        assert_eq!(pf.filter(at(1), &pkt(true, ack, ISN + 1, SISN + 1, 0)), Verdict::Accept);
    }

    #[test]
    fn opening_state_is_never_refreshed_by_loose_data_f11() {
        let mut pf = Pf::ssh_ruleset(22, true, false);
        one_sided(&mut pf);
        let st = pf.states(at(1)).next().map(|(_, s)| s.clone()).unwrap();
        assert_eq!(
            (st.src.state, st.dst.state, st.timeout),
            (PeerState::SynSent, PeerState::Closed, Timeout::Opening)
        );
        assert_eq!(
            pf.render(at(1)),
            "all tcp 2001:db8:b::10[22] <- 2001:db8:a::c[50000]       SYN_SENT:CLOSED\n"
        );
        let data = |_ms: u64, n: u32| pkt(true, TcpFlags::ACK | TcpFlags::PSH, ISN + 1 + 36 * n, SISN + 1, 36);
        for n in 0..3u32 {
            let ms = 10_000 * (u64::from(n) + 1);
            assert_eq!(pf.filter(at(ms), &data(ms, n)), Verdict::Accept);
        }
        assert_eq!(
            pf.states(at(30_001)).next().map(|(_, s)| s.expire),
            Some(at(1)),
            "TTL not refreshed"
        );
        // Deadline 30.001 s → purged at the 40 s pass; the next segment draws `block return`.
        assert_eq!(pf.states(at(39_999)).count(), 1);
        assert_eq!(pf.filter(at(40_000), &data(40_000, 3)), Verdict::Return);
        // With block drop it is dropped instead.
        let mut pf = Pf::ssh_ruleset(22, false, false);
        one_sided(&mut pf);
        assert_eq!(pf.filter(at(50_000), &data(50_000, 0)), Verdict::Drop);
    }

    #[test]
    fn data_far_beyond_the_window_is_a_bad_state() {
        let mut pf = Pf::ssh_ruleset(22, true, false);
        one_sided(&mut pf);
        let far = pkt(true, TcpFlags::ACK, ISN + 1 + 70_000, SISN + 1, 1400);
        assert_eq!(pf.filter(at(2), &far), Verdict::Drop);
        assert_eq!(pf.bad_state, 1);
    }

    #[test]
    fn sloppy_goes_established_on_the_one_sided_ack() {
        let mut pf = Pf::ssh_ruleset(22, true, true);
        one_sided(&mut pf);
        let st = pf.states(at(1)).next().map(|(_, s)| s.clone()).unwrap();
        assert_eq!(
            (st.src.state, st.dst.state, st.timeout),
            (PeerState::Established, PeerState::Established, Timeout::Established)
        );
        assert_eq!(pf.states(at(3_600_000)).count(), 1);
    }

    #[test]
    fn symmetric_handshake_reaches_established() {
        let mut pf = Pf::ssh_ruleset(22, true, false);
        pf.filter(at(0), &pkt(true, TcpFlags::SYN, ISN, 0, 0));
        assert_eq!(
            pf.filter(at(0), &pkt(false, TcpFlags::SYN | TcpFlags::ACK, SISN, ISN + 1, 0)),
            Verdict::Accept
        );
        assert_eq!(
            pf.filter(at(0), &pkt(true, TcpFlags::ACK, ISN + 1, SISN + 1, 0)),
            Verdict::Accept
        );
        let st = pf.states(at(0)).next().map(|(_, s)| s.clone()).unwrap();
        assert_eq!(st.timeout, Timeout::Established);
        // A FIN from each side and the last ACK: tcp.closed.
        pf.filter(at(1), &pkt(true, TcpFlags::FIN | TcpFlags::ACK, ISN + 1, SISN + 1, 0));
        pf.filter(at(1), &pkt(false, TcpFlags::FIN | TcpFlags::ACK, SISN + 1, ISN + 2, 0));
        pf.filter(at(1), &pkt(true, TcpFlags::ACK, ISN + 2, SISN + 2, 0));
        let st = pf.states(at(1)).next().map(|(_, s)| s.clone()).unwrap();
        assert_eq!(st.timeout, Timeout::Closed);
        // A non-SYN without state never matches `flags S/SA`.
        let mut pf = Pf::ssh_ruleset(22, true, false);
        assert_eq!(pf.filter(at(0), &pkt(true, TcpFlags::ACK, 5, 5, 0)), Verdict::Return);
        assert_eq!(
            pf.filter(at(0), &pkt(true, TcpFlags::SYN, 5, 0, 0)).clone(),
            Verdict::Accept
        );
    }
}
