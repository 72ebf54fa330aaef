//! Linux nf_conntrack TCP tracking (net/netfilter/nf_conntrack_proto_tcp.c): the `tcp_conntracks` state table,
//! per-state timeouts with the kernel defaults, INVALID, `tcp_loose` mid-stream pickup, the UNACK cap on
//! unreplied ESTABLISHED entries, and the `conntrack -L` line (linux-ipv6.md F1–F9, F15).
//!
//! Window tracking (`tcp_in_window`) is in [`super::ct_window`]. Not modelled: SACK blocks in the window check
//! and `max_retrans` counting. Expiry is evaluated when a packet looks the entry up, so no timer is needed and
//! `now` stays the only clock.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use super::ct_icmp::{classify, IcmpClass, IcmpPacket, IcmpTable};
use super::ct_window::{in_window, init_loose, init_syn, TdState};
use super::{PacketMeta, TcpMeta};
use crate::time::Instant;
use crate::transport::icmp_quote::Quote;
use crate::wire::tcp::TcpFlags;

/// TCP conntrack states (`enum tcp_conntrack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CtTcpState {
    /// sNO: none.
    None,
    /// sSS.
    SynSent,
    /// sSR.
    SynRecv,
    /// sES.
    Established,
    /// sFW.
    FinWait,
    /// sCW.
    CloseWait,
    /// sLA.
    LastAck,
    /// sTW.
    TimeWait,
    /// sCL.
    Close,
    /// sS2: simultaneous open.
    SynSent2,
}

impl CtTcpState {
    /// The name `conntrack -L` prints.
    pub fn name(self) -> &'static str {
        match self {
            CtTcpState::None => "NONE",
            CtTcpState::SynSent => "SYN_SENT",
            CtTcpState::SynRecv => "SYN_RECV",
            CtTcpState::Established => "ESTABLISHED",
            CtTcpState::FinWait => "FIN_WAIT",
            CtTcpState::CloseWait => "CLOSE_WAIT",
            CtTcpState::LastAck => "LAST_ACK",
            CtTcpState::TimeWait => "TIME_WAIT",
            CtTcpState::Close => "CLOSE",
            CtTcpState::SynSent2 => "SYN_SENT2",
        }
    }
}

/// What the table says for one packet: a new state, INVALID (sIV) or ignore (sIG).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    To(CtTcpState),
    Invalid,
    Ignore,
}

/// `get_conntrack_index`.
fn flag_index(f: TcpFlags) -> usize {
    if f.contains(TcpFlags::RST) {
        4
    } else if f.contains(TcpFlags::SYN) {
        if f.contains(TcpFlags::ACK) {
            1
        } else {
            0
        }
    } else if f.contains(TcpFlags::FIN) {
        2
    } else if f.contains(TcpFlags::ACK) {
        3
    } else {
        5
    }
}

/// `tcp_conntracks[dir][index][state]`, rows syn, synack, fin, ack, rst, none; columns sNO…sS2.
fn table(reply: bool, index: usize, state: CtTcpState) -> Next {
    use CtTcpState::*;
    const NO: u8 = 0;
    const SS: u8 = 1;
    const SR: u8 = 2;
    const ES: u8 = 3;
    const FW: u8 = 4;
    const CW: u8 = 5;
    const LA: u8 = 6;
    const TW: u8 = 7;
    const CL: u8 = 8;
    const S2: u8 = 9;
    const IV: u8 = 10;
    const IG: u8 = 11;
    const ORIG: [[u8; 10]; 6] = [
        [SS, SS, IG, IG, IG, IG, IG, SS, SS, S2],
        [IV, IV, SR, IV, IV, IV, IV, IV, IV, SR],
        [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
        [ES, IV, ES, ES, CW, CW, TW, TW, CL, IV],
        [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
        [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
    ];
    const REPLY: [[u8; 10]; 6] = [
        [IV, S2, IV, IV, IV, IV, IV, SS, IV, S2],
        [IV, SR, IG, IG, IG, IG, IG, IG, IG, SR],
        [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
        [IV, IG, SR, ES, CW, CW, TW, TW, CL, IG],
        [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
        [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
    ];
    let col = state as usize;
    let v = if reply { REPLY[index][col] } else { ORIG[index][col] };
    let _ = NO;
    match v {
        IV => Next::Invalid,
        IG => Next::Ignore,
        x => Next::To(
            [
                None,
                SynSent,
                SynRecv,
                Established,
                FinWait,
                CloseWait,
                LastAck,
                TimeWait,
                Close,
                SynSent2,
            ][x as usize],
        ),
    }
}

/// `net.netfilter.nf_conntrack_tcp_*` settings (F1 defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtConfig {
    /// `tcp_loose`: pick up connections mid-stream.
    pub loose: bool,
    /// timeout_syn_sent (120 s).
    pub syn_sent: Duration,
    /// timeout_syn_recv (60 s).
    pub syn_recv: Duration,
    /// timeout_established (432000 s).
    pub established: Duration,
    /// timeout_fin_wait (120 s).
    pub fin_wait: Duration,
    /// timeout_close_wait (60 s).
    pub close_wait: Duration,
    /// timeout_last_ack (30 s).
    pub last_ack: Duration,
    /// timeout_time_wait (120 s).
    pub time_wait: Duration,
    /// timeout_close (10 s).
    pub close: Duration,
    /// timeout_unacknowledged (300 s): caps unreplied ESTABLISHED entries.
    pub unacknowledged: Duration,
    /// `tcp_be_liberal`: window tracking never marks a segment INVALID.
    pub be_liberal: bool,
    /// `nf_conntrack_udp_timeout` (30 s): a UDP flow that has not seen a reply.
    pub udp: Duration,
    /// `nf_conntrack_udp_timeout_stream` (120 s): once a reply was seen.
    pub udp_stream: Duration,
    /// `nf_conntrack_icmp_timeout` / `nf_conntrack_icmpv6_timeout` (30 s).
    pub icmp: Duration,
}

impl Default for CtConfig {
    fn default() -> Self {
        let s = Duration::from_secs;
        CtConfig {
            loose: true,
            syn_sent: s(120),
            syn_recv: s(60),
            established: s(432_000),
            fin_wait: s(120),
            close_wait: s(60),
            last_ack: s(30),
            time_wait: s(120),
            close: s(10),
            unacknowledged: s(300),
            be_liberal: false,
            udp: s(30),
            udp_stream: s(120),
            icmp: super::ct_icmp::ICMP_TIMEOUT,
        }
    }
}

impl CtConfig {
    fn timeout(&self, st: CtTcpState) -> Duration {
        match st {
            CtTcpState::SynSent | CtTcpState::SynSent2 => self.syn_sent,
            CtTcpState::SynRecv => self.syn_recv,
            CtTcpState::Established => self.established,
            CtTcpState::FinWait => self.fin_wait,
            CtTcpState::CloseWait => self.close_wait,
            CtTcpState::LastAck => self.last_ack,
            CtTcpState::TimeWait => self.time_wait,
            CtTcpState::Close | CtTcpState::None => self.close,
        }
    }
}

/// `ct state` of a packet, as rules match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CtInfo {
    /// No valid entry for it.
    Invalid,
    /// Original direction of an entry that has not seen a reply (a mid-stream pickup is NEW too, F13).
    New,
    /// Either direction once a reply was seen, or the reply direction.
    Established,
    /// An ICMP error about a tracked connection (`IP_CT_RELATED`, `nf_conntrack_inet_error`).
    Related,
    /// Not tracked on purpose: MLD and ND (`IP_CT_UNTRACKED`, nf_conntrack_proto_icmpv6 `noct_valid_new`);
    /// matches no `new`, `established`, `related` or `invalid` rule.
    Untracked,
}

/// A connection's tuple in its original direction.
pub type Tuple = (IpAddr, u16, IpAddr, u16);

/// One tracked TCP connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtEntry {
    /// Original direction (the first packet seen).
    pub orig: Tuple,
    /// State.
    pub state: CtTcpState,
    /// When it expires.
    pub expires: Instant,
    /// A reply-direction packet was seen.
    pub seen_reply: bool,
    /// Window tracking, original and reply direction.
    pub window: [TdState; 2],
}

/// The conntrack table: TCP connections, UDP flows and ICMP queries; ICMP errors are RELATED to them.
#[derive(Debug, Clone, Default)]
pub struct Conntrack {
    /// Settings.
    pub config: CtConfig,
    entries: BTreeMap<Tuple, CtEntry>,
    /// UDP flows by original tuple: (expiry, reply seen).
    udp: BTreeMap<Tuple, (Instant, bool)>,
    /// ICMP echo and the other queries.
    icmp: IcmpTable,
    /// The entry the last packet opened, until its verdict: (protocol, key).
    unconfirmed: Option<(u8, Tuple)>,
}

impl Conntrack {
    /// An empty table with `config`.
    pub fn new(config: CtConfig) -> Conntrack {
        Conntrack {
            config,
            entries: BTreeMap::new(),
            udp: BTreeMap::new(),
            icmp: IcmpTable::default(),
            unconfirmed: None,
        }
    }

    /// `nf_conntrack_in` + `nf_conntrack_tcp_packet` for one TCP packet: its ctinfo; updates the table.
    pub fn track(&mut self, now: Instant, p: &PacketMeta) -> CtInfo {
        self.unconfirmed = None;
        let Some(t) = p.tcp else {
            return CtInfo::Invalid;
        };
        let fwd: Tuple = (p.src, p.sport, p.dst, p.dport);
        let rev: Tuple = (p.dst, p.dport, p.src, p.sport);
        for k in [fwd, rev] {
            if self.entries.get(&k).is_some_and(|e| e.expires <= now) {
                self.entries.remove(&k);
            }
        }
        let (key, reply) = if self.entries.contains_key(&fwd) {
            (fwd, false)
        } else if self.entries.contains_key(&rev) {
            (rev, true)
        } else {
            return self.new_entry(now, fwd, &t);
        };
        let Some(e) = self.entries.get_mut(&key) else {
            return CtInfo::Invalid;
        };
        let old = e.state;
        let idx = flag_index(t.flags);
        let next = table(reply, idx, old);
        let new_state = match next {
            Next::Invalid => return CtInfo::Invalid,
            // Ignored packets pass with their ctinfo and change nothing, not even the timeout.
            Next::Ignore => return info(e.seen_reply, reply),
            Next::To(s) => s,
        };
        // Only the side still in its SYN phase may restart its sequence space.
        let syn_phase = (old == CtTcpState::SynSent && !reply) || (old == CtTcpState::SynRecv && reply);
        if !in_window(&mut e.window, reply, syn_phase, &t) && !self.config.be_liberal {
            return CtInfo::Invalid;
        }
        if reply {
            e.seen_reply = true;
        }
        // "If only reply is a RST, we can consider ourselves not to have an established connection" (F9).
        if t.flags.contains(TcpFlags::RST) && !e.seen_reply {
            self.entries.remove(&key);
            return CtInfo::New;
        }
        let cfg = self.config;
        let mut timeout = cfg.timeout(new_state);
        // "do not renew timeout on SYN retransmit" (F2).
        let syn_retransmit = idx == 0 && old == CtTcpState::SynSent && new_state == CtTcpState::SynSent;
        if !e.seen_reply && new_state == CtTcpState::Established && timeout > cfg.unacknowledged {
            timeout = cfg.unacknowledged;
        }
        e.state = new_state;
        if !syn_retransmit {
            e.expires = now + timeout;
        }
        info(e.seen_reply, reply)
    }

    /// `tcp_new`: a SYN opens SYN_SENT; with `tcp_loose` any other non-RST segment with ACK opens ESTABLISHED
    /// (mid-stream pickup, F4/F5); everything else is INVALID.
    fn new_entry(&mut self, now: Instant, fwd: Tuple, t: &TcpMeta) -> CtInfo {
        let state = match table(false, flag_index(t.flags), CtTcpState::None) {
            Next::To(CtTcpState::SynSent) => CtTcpState::SynSent,
            Next::To(CtTcpState::Established) if self.config.loose => CtTcpState::Established,
            _ => return CtInfo::Invalid,
        };
        let mut timeout = self.config.timeout(state);
        if state == CtTcpState::Established {
            timeout = timeout.min(self.config.unacknowledged);
        }
        self.unconfirmed = Some((6, fwd));
        self.entries.insert(
            fwd,
            CtEntry {
                orig: fwd,
                state,
                expires: now + timeout,
                seen_reply: false,
                window: if state == CtTcpState::SynSent {
                    init_syn(t)
                } else {
                    init_loose(t)
                },
            },
        );
        CtInfo::New
    }

    /// `nf_conntrack_udp_packet`: the first datagram is NEW (30 s); a datagram the other way makes the flow
    /// ESTABLISHED and moves it to the stream timeout (120 s); every datagram refreshes.
    pub fn track_udp(&mut self, now: Instant, p: &PacketMeta) -> CtInfo {
        self.unconfirmed = None;
        let fwd: Tuple = (p.src, p.sport, p.dst, p.dport);
        let rev: Tuple = (p.dst, p.dport, p.src, p.sport);
        for k in [fwd, rev] {
            if self.udp.get(&k).is_some_and(|(exp, _)| *exp <= now) {
                self.udp.remove(&k);
            }
        }
        let cfg = self.config;
        if let Some((exp, seen_reply)) = self.udp.get_mut(&fwd) {
            *exp = now + if *seen_reply { cfg.udp_stream } else { cfg.udp };
            return info(*seen_reply, false);
        }
        if let Some((exp, seen_reply)) = self.udp.get_mut(&rev) {
            *seen_reply = true;
            *exp = now + cfg.udp_stream;
            return CtInfo::Established;
        }
        self.udp.insert(fwd, (now + cfg.udp, false));
        self.unconfirmed = Some((17, fwd));
        CtInfo::New
    }

    /// `nf_conntrack_icmp_packet` / `nf_conntrack_icmpv6_packet` and the error path before them
    /// (`nf_conntrack_icmpv6_error`, `icmp_error`): queries go to the ICMP table; an error is RELATED when its
    /// quoted packet belongs to a live connection, INVALID otherwise (including an error quoting an error);
    /// MLD and ND are UNTRACKED. Errors neither create nor refresh entries.
    pub fn track_icmp(&mut self, now: Instant, p: &PacketMeta) -> CtInfo {
        self.unconfirmed = None;
        let Some(m) = p.icmp else {
            return CtInfo::Invalid;
        };
        match classify(p.proto == 58, m.msg_type) {
            IcmpClass::Error => match m.quote {
                Some(q) if self.related(now, p.dst, &q) => CtInfo::Related,
                _ => CtInfo::Invalid,
            },
            _ => {
                let q = IcmpPacket {
                    src: p.src,
                    dst: p.dst,
                    msg_type: m.msg_type,
                    code: m.code,
                    id: m.id,
                };
                let mut created = None;
                let info = self.icmp.track(now, self.config.icmp, &q, &mut created);
                self.unconfirmed = created.map(|k| (p.proto, k));
                info
            }
        }
    }

    /// `nf_conntrack_inet_error`: the quoted packet, inverted, finds a live entry, and the error goes to the
    /// address that entry's direction sends to (the quoted source): "outer daddr" must match, so an error
    /// cannot be RELATED towards a third host.
    pub fn related(&self, now: Instant, outer_dst: IpAddr, q: &Quote) -> bool {
        if outer_dst != q.src {
            return false;
        }
        let fwd: Tuple = (q.src, q.sport, q.dst, q.dport);
        let rev: Tuple = (q.dst, q.dport, q.src, q.sport);
        match q.proto {
            6 => [fwd, rev]
                .iter()
                .any(|k| self.entries.get(k).is_some_and(|e| e.expires > now)),
            17 => [fwd, rev]
                .iter()
                .any(|k| self.udp.get(k).is_some_and(|(e, _)| *e > now)),
            1 | 58 => {
                let quoted = IcmpPacket {
                    src: q.src,
                    dst: q.dst,
                    msg_type: q.icmp_type(),
                    code: q.dport as u8,
                    id: q.sport,
                };
                self.icmp.contains_quoted(now, &quoted)
            }
            _ => false,
        }
    }

    /// The last tracked packet was dropped: an entry it opened is never confirmed (`nf_conntrack_confirm` runs
    /// only for packets that leave; a dropped skb frees its unconfirmed conntrack), so it is forgotten.
    pub fn drop_unconfirmed(&mut self) {
        match self.unconfirmed.take() {
            Some((6, k)) => {
                self.entries.remove(&k);
            }
            Some((17, k)) => {
                self.udp.remove(&k);
            }
            Some((_, k)) => self.icmp.remove(&k),
            None => {}
        }
    }

    /// Live UDP flows at `now`: (original tuple, reply seen).
    pub fn udp_flows(&self, now: Instant) -> impl Iterator<Item = (&Tuple, bool)> {
        self.udp
            .iter()
            .filter(move |(_, (e, _))| *e > now)
            .map(|(k, (_, r))| (k, *r))
    }

    /// Live entries at `now`, in tuple order.
    pub fn entries(&self, now: Instant) -> impl Iterator<Item = &CtEntry> {
        self.entries.values().filter(move |e| e.expires > now)
    }

    /// Live ICMP query entries at `now`: (request tuple `(src, id, dst, type << 8 | code)`, reply seen).
    pub fn icmp_entries(&self, now: Instant) -> impl Iterator<Item = (&Tuple, bool)> {
        self.icmp.entries(now).map(|(k, e)| (k, e.seen_reply))
    }

    /// `conntrack -L` lines (F15 shape): TCP entries, then UDP flows, then ICMP queries.
    pub fn render(&self, now: Instant) -> String {
        let mut s = String::new();
        for e in self.entries(now) {
            let (a, ap, b, bp) = e.orig;
            let left = e.expires.saturating_since(now).as_secs();
            let unreplied = if e.seen_reply { "" } else { " [UNREPLIED]" };
            let _ = writeln!(
                s,
                "tcp      6 {left} {} src={a} dst={b} sport={ap} dport={bp}{unreplied} src={b} dst={a} sport={bp} dport={ap} mark=0 use=1",
                e.state.name()
            );
        }
        for ((a, ap, b, bp), (exp, replied)) in self.udp.iter().filter(|(_, (e, _))| *e > now) {
            let left = exp.saturating_since(now).as_secs();
            let unreplied = if *replied { "" } else { " [UNREPLIED]" };
            let _ = writeln!(
                s,
                "udp      17 {left} src={a} dst={b} sport={ap} dport={bp}{unreplied} src={b} dst={a} sport={bp} dport={ap} mark=0 use=1"
            );
        }
        self.icmp.render(now, &mut s);
        s
    }
}

fn info(seen_reply: bool, reply: bool) -> CtInfo {
    if seen_reply || reply {
        CtInfo::Established
    } else {
        CtInfo::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::TcpMeta;

    const C: IpAddr = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0xa, 0, 0, 0, 0, 0xc));
    const S: IpAddr = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0xb, 0, 0, 0, 0, 0x10));

    fn pkt(from_client: bool, flags: TcpFlags) -> PacketMeta {
        let (src, dst, sport, dport) = if from_client {
            (C, S, 55082, 2222)
        } else {
            (S, C, 2222, 55082)
        };
        PacketMeta {
            src,
            dst,
            proto: 6,
            sport,
            dport,
            tcp: Some(TcpMeta {
                seq: 1,
                ack: 1,
                flags,
                window: 502,
                wscale: None,
                len: 0,
            }),
            icmp: None,
        }
    }

    fn at(s: u64) -> Instant {
        Instant::from_secs(s)
    }

    const SYN: TcpFlags = TcpFlags::SYN;
    const ACK: TcpFlags = TcpFlags::ACK;

    #[test]
    fn one_direction_timeline_f3_f4() {
        let mut ct = Conntrack::default();
        assert_eq!(ct.track(at(0), &pkt(true, SYN)), CtInfo::New);
        // The handshake ACK and data in SYN_SENT are INVALID and do not refresh (F3).
        assert_eq!(ct.track(at(0), &pkt(true, ACK)), CtInfo::Invalid);
        assert_eq!(ct.track(at(100), &pkt(true, ACK | TcpFlags::PSH)), CtInfo::Invalid);
        assert!(ct.render(at(10)).starts_with("tcp      6 110 SYN_SENT src=2001:db8:a::c dst=2001:db8:b::10 sport=55082 dport=2222 [UNREPLIED] src=2001:db8:b::10"));
        // A SYN retransmit does not renew the timeout (F2).
        assert_eq!(ct.track(at(3), &pkt(true, SYN)), CtInfo::New);
        assert_eq!(ct.entries(at(119)).count(), 1);
        assert_eq!(ct.entries(at(120)).count(), 0);
        // After expiry a data segment is picked up loose: NEW, ESTABLISHED [UNREPLIED], 300 s (F4, F5).
        assert_eq!(ct.track(at(204), &pkt(true, ACK)), CtInfo::New);
        let r = ct.render(at(210));
        assert!(r.starts_with("tcp      6 294 ESTABLISHED"), "{r}");
        assert!(r.contains("[UNREPLIED]"));
        // Refreshed per packet, still capped at 300 s.
        assert_eq!(ct.track(at(250), &pkt(true, ACK)), CtInfo::New);
        assert!(ct.render(at(250)).starts_with("tcp      6 300 ESTABLISHED"));
    }

    #[test]
    fn loose_off_never_picks_up_f7() {
        let mut ct = Conntrack::new(CtConfig {
            loose: false,
            ..CtConfig::default()
        });
        assert_eq!(ct.track(at(0), &pkt(true, ACK)), CtInfo::Invalid);
        assert_eq!(ct.entries(at(0)).count(), 0);
    }

    #[test]
    fn symmetric_handshake_and_close() {
        let mut ct = Conntrack::default();
        ct.track(at(0), &pkt(true, SYN));
        assert_eq!(ct.track(at(0), &pkt(false, SYN | ACK)), CtInfo::Established);
        assert_eq!(ct.entries(at(0)).next().map(|e| e.state), Some(CtTcpState::SynRecv));
        assert_eq!(ct.track(at(0), &pkt(true, ACK)), CtInfo::Established);
        let e = ct.entries(at(1)).next().cloned().unwrap();
        assert_eq!((e.state, e.expires), (CtTcpState::Established, at(432_000)));
        assert!(!ct.render(at(1)).contains("UNREPLIED"));
        ct.track(at(5), &pkt(true, TcpFlags::FIN | ACK));
        assert_eq!(ct.entries(at(5)).next().map(|e| e.state), Some(CtTcpState::FinWait));
        ct.track(at(5), &pkt(false, TcpFlags::FIN | ACK));
        assert_eq!(ct.entries(at(5)).next().map(|e| e.state), Some(CtTcpState::LastAck));
        ct.track(at(5), &pkt(true, ACK));
        let e = ct.entries(at(5)).next().cloned().unwrap();
        assert_eq!((e.state, e.expires), (CtTcpState::TimeWait, at(125)));
        // Reply SYN-ACK in ESTABLISHED is ignored: passes, changes nothing.
        assert_eq!(ct.track(at(6), &pkt(false, SYN | ACK)), CtInfo::Established);
        assert_eq!(ct.entries(at(6)).next().map(|e| e.state), Some(CtTcpState::TimeWait));
    }

    #[test]
    fn rst_before_any_reply_deletes_f9_and_after_closes() {
        let mut ct = Conntrack::default();
        ct.track(at(0), &pkt(true, ACK));
        ct.track(at(1), &pkt(true, TcpFlags::RST));
        assert_eq!(ct.entries(at(1)).count(), 0);
        ct.track(at(0), &pkt(true, SYN));
        ct.track(at(0), &pkt(false, SYN | ACK));
        ct.track(at(2), &pkt(false, TcpFlags::RST));
        let e = ct.entries(at(2)).next().cloned().unwrap();
        assert_eq!((e.state, e.expires), (CtTcpState::Close, at(12)));
        // A packet without flags, and a lone SYN-ACK, are INVALID as new.
        assert_eq!(ct.track(at(3), &pkt(true, TcpFlags(0)).clone()), CtInfo::Invalid);
        let mut fresh = Conntrack::default();
        assert_eq!(fresh.track(at(0), &pkt(false, SYN | ACK)), CtInfo::Invalid);
    }

    #[test]
    fn udp_new_then_established_with_stream_timeout() {
        let mut ct = Conntrack::default();
        let mut q = pkt(true, TcpFlags(0));
        q.proto = 17;
        q.tcp = None;
        let mut a = q;
        std::mem::swap(&mut a.src, &mut a.dst);
        std::mem::swap(&mut a.sport, &mut a.dport);
        assert_eq!(ct.track_udp(at(0), &q), CtInfo::New);
        assert_eq!(ct.track_udp(at(10), &q), CtInfo::New, "still unreplied");
        assert_eq!(ct.track_udp(at(11), &a), CtInfo::Established);
        assert_eq!(ct.track_udp(at(12), &q), CtInfo::Established);
        assert_eq!(
            ct.udp_flows(at(131)).count(),
            1,
            "stream timeout 120 s from the last datagram"
        );
        assert_eq!(ct.udp_flows(at(132)).count(), 0);
        assert_eq!(
            ct.track_udp(at(200), &a),
            CtInfo::New,
            "expired: the answer starts a new flow"
        );
    }
}
