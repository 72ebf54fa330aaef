//! ICMP and ICMPv6 in conntrack (net/netfilter/nf_conntrack_proto_icmp.c, nf_conntrack_proto_icmpv6.c): query
//! messages (echo, and the other request/reply pairs of `invmap`) are tracked by (source, destination,
//! identifier, request type and code) with `nf_conntrack_icmp_timeout` / `icmpv6_timeout` (30 s, refreshed by
//! every packet); errors are classified by the connection their quoted packet belongs to
//! (`nf_conntrack_inet_error`, done by [`super::conntrack::Conntrack::related`]); MLD and Neighbour Discovery are
//! untracked (`noct_valid_new`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use super::conntrack::{CtInfo, Tuple};
use crate::time::Instant;

/// How conntrack treats an ICMP message type, before any lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpClass {
    /// A request that may open an entry (`valid_new`); carries the reply type (`invmap`).
    Request {
        /// The matching reply type.
        reply: u8,
    },
    /// A reply: belongs to the entry its request opened, INVALID without one.
    Reply {
        /// The request type it answers.
        request: u8,
    },
    /// An error (`icmp_is_err`, ICMPv6 type < 128): RELATED to the connection its quote belongs to.
    Error,
    /// MLD and ND (ICMPv6 130–136, 143): `nf_ct_set(skb, NULL, IP_CT_UNTRACKED)`.
    Untracked,
    /// Anything else (no `invmap` entry: `init_conntrack` cannot invert the tuple): no conntrack, INVALID.
    Invalid,
}

/// Classifies an ICMP (`v6 = false`) or ICMPv6 type.
pub fn classify(v6: bool, msg_type: u8) -> IcmpClass {
    use IcmpClass::*;
    if v6 {
        match msg_type {
            // nf_conntrack_icmpv6_error: "is not error message?" — type < 128 goes to icmpv6_error_message.
            0..=127 => Error,
            128 => Request { reply: 129 },
            129 => Reply { request: 128 },
            // Node Information query / reply (RFC 4620).
            139 => Request { reply: 140 },
            140 => Reply { request: 139 },
            130..=136 | 143 => Untracked,
            _ => Invalid,
        }
    } else {
        match msg_type {
            // icmp_is_err: dest unreachable, source quench, redirect, time exceeded, parameter problem.
            3 | 4 | 5 | 11 | 12 => Error,
            8 => Request { reply: 0 },
            0 => Reply { request: 8 },
            13 => Request { reply: 14 },
            14 => Reply { request: 13 },
            15 => Request { reply: 16 },
            16 => Reply { request: 15 },
            17 => Request { reply: 18 },
            18 => Reply { request: 17 },
            _ => Invalid,
        }
    }
}

/// One tracked ICMP query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpEntry {
    /// When it expires.
    pub expires: Instant,
    /// A reply was seen.
    pub seen_reply: bool,
}

/// The ICMP part of the conntrack table. Keys are the request's tuple: (source, identifier, destination,
/// `request type << 8 | code`), the code being part of Linux's tuple too.
#[derive(Debug, Clone, Default)]
pub struct IcmpTable {
    entries: BTreeMap<Tuple, IcmpEntry>,
}

/// `nf_conntrack_icmp_timeout` and `nf_conntrack_icmpv6_timeout` (both 30 s).
pub const ICMP_TIMEOUT: Duration = Duration::from_secs(30);

impl IcmpTable {
    /// `nf_conntrack_icmp_packet` / `nf_conntrack_icmpv6_packet` for a query message: a request opens or
    /// refreshes its entry (NEW until a reply was seen), a reply makes it ESTABLISHED; a reply with no entry is
    /// INVALID ("can't create new conn"). Every accepted packet refreshes the timeout. Errors and untracked
    /// types are not for this table: they return INVALID and UNTRACKED.
    /// `created` is set to the key when the packet opened the entry.
    pub fn track(&mut self, now: Instant, timeout: Duration, p: &IcmpPacket, created: &mut Option<Tuple>) -> CtInfo {
        let (key, reply) = match classify(p.src.is_ipv6(), p.msg_type) {
            IcmpClass::Request { .. } => ((p.src, p.id, p.dst, type_code(p.msg_type, p.code)), false),
            IcmpClass::Reply { request } => ((p.dst, p.id, p.src, type_code(request, p.code)), true),
            IcmpClass::Error | IcmpClass::Invalid => return CtInfo::Invalid,
            IcmpClass::Untracked => return CtInfo::Untracked,
        };
        if self.entries.get(&key).is_some_and(|e| e.expires <= now) {
            self.entries.remove(&key);
        }
        match self.entries.get_mut(&key) {
            Some(e) => {
                e.expires = now + timeout;
                e.seen_reply |= reply;
                if e.seen_reply {
                    CtInfo::Established
                } else {
                    CtInfo::New
                }
            }
            None if reply => CtInfo::Invalid,
            None => {
                let e = IcmpEntry {
                    expires: now + timeout,
                    seen_reply: false,
                };
                self.entries.insert(key, e);
                *created = Some(key);
                CtInfo::New
            }
        }
    }

    /// Forgets the entry `key` (an unconfirmed one whose packet was dropped).
    pub fn remove(&mut self, key: &Tuple) {
        self.entries.remove(key);
    }

    /// Is the quoted query part of a live entry, in either direction?
    pub fn contains_quoted(&self, now: Instant, p: &IcmpPacket) -> bool {
        let key = match classify(p.src.is_ipv6(), p.msg_type) {
            IcmpClass::Request { .. } => (p.src, p.id, p.dst, type_code(p.msg_type, p.code)),
            IcmpClass::Reply { request } => (p.dst, p.id, p.src, type_code(request, p.code)),
            _ => return false,
        };
        self.entries.get(&key).is_some_and(|e| e.expires > now)
    }

    /// Live entries at `now`, in key order.
    pub fn entries(&self, now: Instant) -> impl Iterator<Item = (&Tuple, &IcmpEntry)> {
        self.entries.iter().filter(move |(_, e)| e.expires > now)
    }

    /// `conntrack -L` lines: `icmp 1` / `icmpv6 58` with type, code and id in both directions.
    pub fn render(&self, now: Instant, out: &mut String) {
        for (&(a, id, b, tc), e) in self.entries(now) {
            let left = e.expires.saturating_since(now).as_secs();
            let (t, code) = ((tc >> 8) as u8, tc as u8);
            let v6 = a.is_ipv6();
            let reply = match classify(v6, t) {
                IcmpClass::Request { reply } => reply,
                _ => t,
            };
            let (name, num) = if v6 { ("icmpv6", 58) } else { ("icmp", 1) };
            let unreplied = if e.seen_reply { "" } else { " [UNREPLIED]" };
            let _ = writeln!(
                out,
                "{name:<8} {num} {left} src={a} dst={b} type={t} code={code} id={id}{unreplied} src={b} dst={a} type={reply} code={code} id={id} mark=0 use=1"
            );
        }
    }
}

/// An ICMP query message as the table sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpPacket {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Type.
    pub msg_type: u8,
    /// Code.
    pub code: u8,
    /// Identifier.
    pub id: u16,
}

fn type_code(t: u8, code: u8) -> u16 {
    u16::from(t) << 8 | u16::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::conntrack::Conntrack;
    use crate::firewall::nft::{Action, NftFirewall, NftRule};
    use crate::firewall::{IcmpMeta, PacketMeta, TcpMeta, Verdict};
    use crate::transport::icmp_quote::Quote;
    use crate::wire::tcp::TcpFlags;

    const C: &str = "2001:db8:1::10";
    const S: &str = "2001:db8:2::80";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    fn icmp(src: &str, dst: &str, msg_type: u8, id: u16, quote: Option<Quote>) -> PacketMeta {
        let (src, dst) = (ip(src), ip(dst));
        PacketMeta {
            src,
            dst,
            proto: if src.is_ipv6() { 58 } else { 1 },
            sport: 0,
            dport: 0,
            tcp: None,
            icmp: Some(IcmpMeta {
                msg_type,
                code: 0,
                id,
                quote,
            }),
        }
    }

    fn syn(src: &str, dst: &str) -> PacketMeta {
        PacketMeta {
            src: ip(src),
            dst: ip(dst),
            proto: 6,
            sport: 40000,
            dport: 22,
            tcp: Some(TcpMeta {
                seq: 100,
                ack: 0,
                flags: TcpFlags::SYN,
                window: 64240,
                wscale: None,
                len: 0,
            }),
            icmp: None,
        }
    }

    fn quote_of(p: &PacketMeta) -> Quote {
        Quote {
            src: p.src,
            dst: p.dst,
            proto: p.proto,
            sport: p.sport,
            dport: p.dport,
            seq: 100,
        }
    }

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn echo_request_is_new_reply_established_and_both_expire_after_30_s() {
        let mut ct = Conntrack::default();
        assert_eq!(ct.track_icmp(at(0), &icmp(C, S, 128, 7, None)), CtInfo::New);
        assert_eq!(
            ct.track_icmp(at(10), &icmp(C, S, 128, 7, None)),
            CtInfo::New,
            "unreplied"
        );
        assert_eq!(ct.track_icmp(at(20), &icmp(S, C, 129, 7, None)), CtInfo::Established);
        assert_eq!(ct.track_icmp(at(30), &icmp(C, S, 128, 7, None)), CtInfo::Established);
        assert!(ct.render(at(1030)).starts_with("icmpv6   58 29 src=2001:db8:1::10 dst=2001:db8:2::80 type=128 code=0 id=7 src=2001:db8:2::80 dst=2001:db8:1::10 type=129 code=0 id=7 mark=0 use=1"), "{}", ct.render(at(1030)));
        // Another identifier, or a reply from a host that was not asked, is a different tuple.
        assert_eq!(ct.track_icmp(at(40), &icmp(S, C, 129, 8, None)), CtInfo::Invalid);
        assert_eq!(
            ct.track_icmp(at(40), &icmp("2001:db8:2::99", C, 129, 7, None)),
            CtInfo::Invalid
        );
        assert_eq!(ct.icmp_entries(at(30_029)).count(), 1);
        assert_eq!(ct.icmp_entries(at(30_030)).count(), 0, "30 s after the last packet");
        assert_eq!(
            ct.track_icmp(at(30_031), &icmp(S, C, 129, 7, None)),
            CtInfo::Invalid,
            "expired"
        );
    }

    #[test]
    fn icmpv4_echo_and_timestamp_pairs() {
        let mut ct = Conntrack::default();
        let (a, b) = ("192.0.2.10", "198.51.100.80");
        assert_eq!(ct.track_icmp(at(0), &icmp(a, b, 8, 1, None)), CtInfo::New);
        assert_eq!(ct.track_icmp(at(0), &icmp(b, a, 0, 1, None)), CtInfo::Established);
        assert_eq!(
            ct.track_icmp(at(0), &icmp(b, a, 14, 1, None)),
            CtInfo::Invalid,
            "no timestamp request"
        );
        assert_eq!(ct.track_icmp(at(0), &icmp(a, b, 13, 1, None)), CtInfo::New);
        assert_eq!(ct.track_icmp(at(0), &icmp(b, a, 14, 1, None)), CtInfo::Established);
        // Router advertisement (9) has no invmap entry: no conntrack, INVALID.
        assert_eq!(ct.track_icmp(at(0), &icmp(a, b, 9, 0, None)), CtInfo::Invalid);
        assert!(ct.render(at(0)).contains("icmp     1 30 src=192.0.2.10 dst=198.51.100.80 type=8 code=0 id=1 src=198.51.100.80 dst=192.0.2.10 type=0 code=0 id=1 mark=0 use=1"));
    }

    #[test]
    fn nd_and_mld_are_untracked_redirect_is_invalid() {
        let mut ct = Conntrack::default();
        for t in [130, 131, 132, 133, 134, 135, 136, 143] {
            assert_eq!(
                ct.track_icmp(at(0), &icmp(C, S, t, 0, None)),
                CtInfo::Untracked,
                "type {t}"
            );
        }
        assert_eq!(
            ct.track_icmp(at(0), &icmp(C, S, 137, 0, None)),
            CtInfo::Invalid,
            "not in noct_valid_new"
        );
        assert_eq!(ct.icmp_entries(at(0)).count(), 0);
    }

    #[test]
    fn errors_are_related_to_what_they_quote_or_invalid() {
        let mut ct = Conntrack::default();
        let s = syn(C, S);
        assert_eq!(ct.track(at(0), &s), CtInfo::New);
        // The server's side answers the SYN with port unreachable: RELATED, towards the quoted source only.
        let q = quote_of(&s);
        assert_eq!(ct.track_icmp(at(1), &icmp(S, C, 1, 0, Some(q))), CtInfo::Related);
        assert_eq!(
            ct.track_icmp(at(1), &icmp("2001:db8:2::1", C, 3, 0, Some(q))),
            CtInfo::Related,
            "from a router on the path"
        );
        assert_eq!(
            ct.track_icmp(at(1), &icmp(S, "2001:db8:1::99", 1, 0, Some(q))),
            CtInfo::Invalid,
            "outer daddr"
        );
        // A quote of a connection nobody opened, or an unparsable quote, is INVALID.
        let other = Quote { dport: 23, ..q };
        assert_eq!(ct.track_icmp(at(1), &icmp(S, C, 1, 0, Some(other))), CtInfo::Invalid);
        assert_eq!(ct.track_icmp(at(1), &icmp(S, C, 1, 0, None)), CtInfo::Invalid);
        // An error about a ping (time exceeded quoting the echo request) and about its reply.
        ct.track_icmp(at(2), &icmp(C, S, 128, 9, None));
        let echo = Quote {
            src: ip(C),
            dst: ip(S),
            proto: 58,
            sport: 9,
            dport: 128 << 8,
            seq: 0,
        };
        assert_eq!(
            ct.track_icmp(at(3), &icmp("2001:db8:2::1", C, 3, 0, Some(echo))),
            CtInfo::Related
        );
        let reply = Quote {
            src: ip(S),
            dst: ip(C),
            dport: 129 << 8,
            ..echo
        };
        assert_eq!(
            ct.track_icmp(at(3), &icmp("2001:db8:1::1", S, 3, 0, Some(reply))),
            CtInfo::Related
        );
        // Errors do not refresh: the TCP entry still expires 120 s after its SYN.
        assert_eq!(ct.entries(at(119_999)).count(), 1);
        assert_eq!(ct.entries(at(120_000)).count(), 0);
        assert_eq!(ct.track_icmp(at(120_000), &icmp(S, C, 1, 0, Some(q))), CtInfo::Invalid);
    }

    #[test]
    fn established_related_rule_passes_replies_and_errors_policy_drops_the_rest() {
        let mut fw = NftFirewall::stateful(&[22], Default::default());
        fw.rules[0] = NftRule::new(Action::Accept).ct(&[CtInfo::Established, CtInfo::Related]);
        // Only the established,related rule and the final TCP reject remain in front of policy drop.
        fw.rules.retain(|r| r.l4proto != Some(58) && r.l4proto != Some(1));
        fw.rules.insert(
            1,
            NftRule::new(Action::Accept)
                .proto(58)
                .ct(&[CtInfo::New])
                .saddr(ip(C).into()),
        );
        let t = at(0);
        assert_eq!(fw.filter(t, &icmp(C, S, 128, 1, None)), Verdict::Accept);
        assert_eq!(fw.filter(t, &icmp(S, C, 129, 1, None)), Verdict::Accept);
        assert_eq!(
            fw.filter(t, &icmp(S, C, 128, 2, None)),
            Verdict::Drop,
            "new from the wrong side"
        );
        let s = syn(C, S);
        assert_eq!(fw.filter(t, &s), Verdict::Accept);
        assert_eq!(fw.filter(t, &icmp(S, C, 1, 4, Some(quote_of(&s)))), Verdict::Accept);
        assert_eq!(fw.rules[0].packets, 2, "the echo reply and the error");
        assert_eq!(
            fw.filter(t, &icmp(S, C, 135, 0, None)),
            Verdict::Drop,
            "untracked matches no ct state"
        );
    }
}
