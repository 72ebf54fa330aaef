//! An nftables `forward` chain over conntrack: first-match rules on `ct state`, protocol, destination port and
//! prefixes, with per-rule counters, and the chain policy (linux-ipv6.md F4, F6, F8, F13).
//!
//! TCP, UDP and ICMP queries are tracked, ICMP errors are RELATED to what they quote or INVALID, and MLD/ND are
//! untracked ([`super::ct_icmp`]), so `ct state established,related accept` passes echo replies and errors about
//! allowed flows, as on Linux.

use ipnet::IpNet;

use super::conntrack::{Conntrack, CtConfig, CtInfo};
use super::{PacketMeta, Verdict};
use crate::time::Instant;
use crate::wire::tcp::TcpFlags;

/// A rule's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `accept`.
    Accept,
    /// `drop`.
    Drop,
    /// `reject with tcp reset` (non-TCP packets are dropped).
    RejectTcpReset,
}

/// One rule; every `Some` field must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NftRule {
    /// `ct state a,b` (any of).
    pub ct_state: Option<Vec<CtInfo>>,
    /// `meta l4proto` number.
    pub l4proto: Option<u8>,
    /// `tcp dport` / `udp dport`.
    pub dport: Option<u16>,
    /// `ip6 saddr` / `ip saddr` prefix.
    pub saddr: Option<IpNet>,
    /// `ip6 daddr` / `ip daddr` prefix.
    pub daddr: Option<IpNet>,
    /// `tcp flags & (fin|syn|rst|ack) != syn` (F13 hardening): matches TCP packets that are not a bare SYN.
    pub not_syn: bool,
    /// What to do.
    pub action: Action,
    /// `counter packets N`.
    pub packets: u64,
}

impl NftRule {
    /// A rule with only an action (add matches with the builder methods).
    pub fn new(action: Action) -> NftRule {
        NftRule {
            ct_state: None,
            l4proto: None,
            dport: None,
            saddr: None,
            daddr: None,
            not_syn: false,
            action,
            packets: 0,
        }
    }

    /// `ct state …`.
    pub fn ct(mut self, states: &[CtInfo]) -> NftRule {
        self.ct_state = Some(states.to_vec());
        self
    }

    /// `tcp dport P` (implies TCP).
    pub fn tcp_dport(mut self, port: u16) -> NftRule {
        self.l4proto = Some(6);
        self.dport = Some(port);
        self
    }

    /// `meta l4proto P`.
    pub fn proto(mut self, p: u8) -> NftRule {
        self.l4proto = Some(p);
        self
    }

    /// `… daddr PREFIX`.
    pub fn daddr(mut self, n: IpNet) -> NftRule {
        self.daddr = Some(n);
        self
    }

    /// `… saddr PREFIX`.
    pub fn saddr(mut self, n: IpNet) -> NftRule {
        self.saddr = Some(n);
        self
    }

    fn matches(&self, p: &PacketMeta, ct: Option<CtInfo>) -> bool {
        if let Some(states) = &self.ct_state {
            match ct {
                Some(c) if states.contains(&c) => {}
                _ => return false,
            }
        }
        if self.l4proto.is_some_and(|x| x != p.proto)
            || self.dport.is_some_and(|d| d != p.dport)
            || self.saddr.is_some_and(|n| !n.contains(&p.src))
            || self.daddr.is_some_and(|n| !n.contains(&p.dst))
        {
            return false;
        }
        if self.not_syn {
            let Some(t) = p.tcp else { return false };
            let f = t.flags.0 & (TcpFlags::FIN.0 | TcpFlags::SYN.0 | TcpFlags::RST.0 | TcpFlags::ACK.0);
            if f == TcpFlags::SYN.0 {
                return false;
            }
        }
        true
    }
}

/// A forward chain with conntrack underneath.
#[derive(Debug, Clone)]
pub struct NftFirewall {
    /// The connection tracker.
    pub conntrack: Conntrack,
    /// Rules in order.
    pub rules: Vec<NftRule>,
    /// Chain policy.
    pub policy_accept: bool,
}

impl NftFirewall {
    /// `policy accept; ct state invalid drop` (F4) or `… reject with tcp reset`.
    pub fn invalid_only(action: Action, config: CtConfig) -> NftFirewall {
        NftFirewall {
            conntrack: Conntrack::new(config),
            rules: vec![NftRule::new(action).ct(&[CtInfo::Invalid])],
            policy_accept: true,
        }
    }

    /// The F6 ruleset: `policy drop; ct state established,related accept; meta l4proto ipv6-icmp accept;
    /// meta l4proto icmp accept; tcp dport P ct state new accept; meta l4proto tcp reject with tcp reset`.
    pub fn stateful(ports: &[u16], config: CtConfig) -> NftFirewall {
        let mut rules = vec![
            NftRule::new(Action::Accept).ct(&[CtInfo::Established]),
            NftRule::new(Action::Accept).proto(58),
            NftRule::new(Action::Accept).proto(1),
        ];
        for &p in ports {
            rules.push(NftRule::new(Action::Accept).tcp_dport(p).ct(&[CtInfo::New]));
        }
        rules.push(NftRule::new(Action::RejectTcpReset).proto(6));
        NftFirewall {
            conntrack: Conntrack::new(config),
            rules,
            policy_accept: false,
        }
    }

    /// Tracks and filters one forwarded packet.
    pub fn filter(&mut self, now: Instant, p: &PacketMeta) -> Verdict {
        let ct = match p.proto {
            6 => Some(self.conntrack.track(now, p)),
            17 => Some(self.conntrack.track_udp(now, p)),
            1 | 58 => Some(self.conntrack.track_icmp(now, p)),
            _ => None,
        };
        let mut verdict = if self.policy_accept {
            Verdict::Accept
        } else {
            Verdict::Drop
        };
        for r in &mut self.rules {
            if r.matches(p, ct) {
                r.packets += 1;
                verdict = match r.action {
                    Action::Accept => Verdict::Accept,
                    Action::Drop => Verdict::Drop,
                    Action::RejectTcpReset => Verdict::Reset,
                };
                break;
            }
        }
        if verdict != Verdict::Accept {
            self.conntrack.drop_unconfirmed();
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::TcpMeta;
    use std::net::IpAddr;

    fn tcp(flags: TcpFlags, dport: u16) -> PacketMeta {
        PacketMeta {
            src: IpAddr::V6("2001:db8:a::c".parse().unwrap()),
            dst: IpAddr::V6("2001:db8:b::10".parse().unwrap()),
            proto: 6,
            sport: 40000,
            dport,
            tcp: Some(TcpMeta {
                seq: 7,
                ack: 9,
                flags,
                window: 100,
                wscale: None,
                len: 0,
            }),
            icmp: None,
        }
    }

    #[test]
    fn f6_stateful_ruleset_rejects_the_one_sided_handshake_ack() {
        let mut fw = NftFirewall::stateful(&[2222], CtConfig::default());
        let t = Instant::ZERO;
        assert_eq!(fw.filter(t, &tcp(TcpFlags::SYN, 2222)), Verdict::Accept);
        assert_eq!(fw.filter(t, &tcp(TcpFlags::ACK, 2222)), Verdict::Reset);
        assert_eq!(fw.rules[3].packets, 1, "tcp dport 2222 ct state new");
        assert_eq!(fw.rules[4].packets, 1, "reject with tcp reset");
        // Other ports never get in; ICMPv6 always does.
        assert_eq!(fw.filter(t, &tcp(TcpFlags::SYN, 80)), Verdict::Reset);
        let mut icmp = tcp(TcpFlags::SYN, 0);
        icmp.proto = 58;
        icmp.tcp = None;
        assert_eq!(fw.filter(t, &icmp), Verdict::Accept);
    }

    #[test]
    fn a_dropped_packet_leaves_no_entry_behind_unconfirmed() {
        // nf_conntrack_confirm runs only for packets that leave: the rejected SYN's entry never existed.
        let mut fw = NftFirewall::stateful(&[22], CtConfig::default());
        assert_eq!(fw.filter(Instant::ZERO, &tcp(TcpFlags::SYN, 80)), Verdict::Reset);
        assert_eq!(fw.conntrack.entries(Instant::ZERO).count(), 0);
        assert_eq!(fw.filter(Instant::ZERO, &tcp(TcpFlags::SYN, 22)), Verdict::Accept);
        assert_eq!(fw.conntrack.entries(Instant::ZERO).count(), 1);
        // A later drop of a packet that opened nothing does not touch the accepted entry.
        assert_eq!(fw.filter(Instant::ZERO, &tcp(TcpFlags::ACK, 80)), Verdict::Reset);
        assert_eq!(fw.conntrack.entries(Instant::ZERO).count(), 1);
    }

    #[test]
    fn invalid_drop_with_policy_accept() {
        let mut fw = NftFirewall::invalid_only(Action::Drop, CtConfig::default());
        assert_eq!(fw.filter(Instant::ZERO, &tcp(TcpFlags::SYN, 22)), Verdict::Accept);
        assert_eq!(fw.filter(Instant::ZERO, &tcp(TcpFlags::ACK, 22)), Verdict::Drop);
        assert_eq!(fw.rules[0].packets, 1);
        // After syn_sent expires the loose pickup is NEW and passes (F4).
        assert_eq!(
            fw.filter(Instant::from_secs(121), &tcp(TcpFlags::ACK, 22)),
            Verdict::Accept
        );
    }

    #[test]
    fn hardening_rule_stops_mid_stream_pickup_f13() {
        let mut fw = NftFirewall::invalid_only(Action::Drop, CtConfig::default());
        let mut harden = NftRule::new(Action::Drop).ct(&[CtInfo::New]);
        harden.not_syn = true;
        fw.rules.insert(0, harden);
        assert_eq!(fw.filter(Instant::ZERO, &tcp(TcpFlags::ACK, 22)), Verdict::Drop);
        assert_eq!(fw.filter(Instant::ZERO, &tcp(TcpFlags::SYN, 22)), Verdict::Accept);
        let pfx: IpNet = "2001:db8:b::/64".parse().unwrap();
        assert!(NftRule::new(Action::Accept)
            .daddr(pfx)
            .matches(&tcp(TcpFlags::ACK, 1), None));
        assert!(!NftRule::new(Action::Accept)
            .saddr(pfx)
            .matches(&tcp(TcpFlags::ACK, 1), None));
    }

    #[test]
    fn udp_replies_pass_as_established_under_policy_drop() {
        let mut fw = NftFirewall::stateful(&[22], CtConfig::default());
        fw.rules
            .insert(1, NftRule::new(Action::Accept).proto(17).ct(&[CtInfo::New]));
        let mut q = tcp(TcpFlags(0), 53);
        q.proto = 17;
        q.tcp = None;
        let mut a = q;
        std::mem::swap(&mut a.src, &mut a.dst);
        std::mem::swap(&mut a.sport, &mut a.dport);
        assert_eq!(fw.filter(Instant::ZERO, &q), Verdict::Accept);
        assert_eq!(fw.filter(Instant::ZERO, &a), Verdict::Accept);
        assert_eq!(fw.rules[0].packets, 1, "the answer matched ct state established");
        let mut stateful_only = NftFirewall::stateful(&[22], CtConfig::default());
        assert_eq!(
            stateful_only.filter(Instant::ZERO, &q),
            Verdict::Drop,
            "policy drop, reject only TCP"
        );
    }
}
