//! pf rules (pf.conf(5)): `pass|block [drop|return] [in|out] [quick] [on IFACE] [inet|inet6] [proto P]
//! [from PREFIX] [to PREFIX [port N]] [flags S/SA] [keep state [(sloppy)] | no state]`, and the evaluation order
//! `pf_test_rule` applies: every rule is tried, the last match wins, a `quick` match stops at once, and a
//! packet no rule matches is passed (pf's implicit `pass all`).
//!
//! A router sees a forwarded packet twice, inbound on the interface it arrived on and outbound on the one the
//! route picks ([`PfDir`]); rules without a direction match both, rules `on` an interface only there.

use ipnet::IpNet;

use super::PacketMeta;
use crate::wire::tcp::TcpFlags;

/// The direction a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PfDir {
    /// `in`: entering the router.
    In,
    /// `out`: leaving it.
    Out,
}

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PfAction {
    /// `pass`; `keep_state` creates a state (pf's default since 4.1, with `flags S/SA` for TCP).
    Pass {
        /// `keep state` (false: `no state`).
        keep_state: bool,
        /// `keep state (sloppy)`.
        sloppy: bool,
    },
    /// `block drop` or `block return` (an RST for TCP, `pf_send_tcp`).
    Block {
        /// `return`.
        ret: bool,
    },
}

/// One rule; every `Some` field must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PfRule {
    /// Action.
    pub action: PfAction,
    /// `quick`: the first match wins.
    pub quick: bool,
    /// `in` / `out`; `None` matches both.
    pub dir: Option<PfDir>,
    /// `on IFACE` (the router's interface name).
    pub iface: Option<String>,
    /// `proto` number.
    pub proto: Option<u8>,
    /// `from PREFIX`.
    pub from: Option<IpNet>,
    /// `to PREFIX`.
    pub to: Option<IpNet>,
    /// `port N` (destination port, TCP/UDP).
    pub port: Option<u16>,
}

impl PfRule {
    /// `pass [quick] proto tcp [to port P] flags S/SA keep state [(sloppy)]`.
    pub fn pass_tcp(port: Option<u16>, sloppy: bool, quick: bool) -> PfRule {
        PfRule {
            proto: Some(6),
            port,
            quick,
            ..PfRule::new(PfAction::Pass {
                keep_state: true,
                sloppy,
            })
        }
    }

    /// `block drop|return [quick] all`.
    pub fn block_all(ret: bool, quick: bool) -> PfRule {
        PfRule {
            quick,
            ..PfRule::new(PfAction::Block { ret })
        }
    }

    /// A rule matching everything, with `action`.
    pub fn new(action: PfAction) -> PfRule {
        PfRule {
            action,
            quick: false,
            dir: None,
            iface: None,
            proto: None,
            from: None,
            to: None,
            port: None,
        }
    }

    /// Does the rule match `p` travelling `dir` on interface `iface`? A stateful TCP pass rule carries pf's
    /// default `flags S/SA`: only a SYN without ACK matches it.
    pub fn matches(&self, p: &PacketMeta, dir: PfDir, iface: Option<&str>) -> bool {
        if self.dir.is_some_and(|d| d != dir) {
            return false;
        }
        if let Some(want) = &self.iface {
            if iface != Some(want.as_str()) {
                return false;
            }
        }
        if self.proto.is_some_and(|x| x != p.proto)
            || self.from.is_some_and(|n| !n.contains(&p.src))
            || self.to.is_some_and(|n| !n.contains(&p.dst))
            || self.port.is_some_and(|x| !matches!(p.proto, 6 | 17) || x != p.dport)
        {
            return false;
        }
        if let (PfAction::Pass { keep_state: true, .. }, Some(t)) = (self.action, p.tcp) {
            return t.flags.0 & (TcpFlags::SYN.0 | TcpFlags::ACK.0) == TcpFlags::SYN.0;
        }
        true
    }

    /// Needs to know interfaces (an `on` clause or an `out` direction), so the router must look them up.
    pub fn needs_iface(&self) -> bool {
        self.iface.is_some() || self.dir == Some(PfDir::Out)
    }
}

/// `pf_test_rule`: the deciding rule for `p` in `dir` on `iface` (last match, or the first `quick` one); `None`
/// when nothing matches (pf passes it).
pub fn evaluate<'a>(rules: &'a [PfRule], p: &PacketMeta, dir: PfDir, iface: Option<&str>) -> Option<&'a PfRule> {
    let mut decision = None;
    for r in rules {
        if r.matches(p, dir, iface) {
            decision = Some(r);
            if r.quick {
                break;
            }
        }
    }
    decision
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::TcpMeta;
    use std::net::IpAddr;

    fn pkt(src: &str, dst: &str, proto: u8, dport: u16, flags: TcpFlags) -> PacketMeta {
        let ip = |s: &str| s.parse().unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        PacketMeta {
            src: ip(src),
            dst: ip(dst),
            proto,
            sport: 40000,
            dport,
            tcp: (proto == 6).then_some(TcpMeta {
                seq: 1,
                ack: 0,
                flags,
                window: 100,
                wscale: None,
                len: 0,
            }),
            icmp: None,
        }
    }

    fn net(s: &str) -> Option<IpNet> {
        s.parse().ok()
    }

    /// `block return in on em1 all; pass in on em0 proto tcp from 2001:db8:a::/64 to any port 22 keep state`.
    fn ruleset() -> Vec<PfRule> {
        let mut block = PfRule::block_all(true, false);
        block.dir = Some(PfDir::In);
        block.iface = Some("em1".into());
        let mut ssh = PfRule::pass_tcp(Some(22), false, false);
        ssh.dir = Some(PfDir::In);
        ssh.iface = Some("em0".into());
        ssh.from = net("2001:db8:a::/64");
        vec![PfRule::block_all(false, false), block, ssh]
    }

    #[test]
    fn last_match_wins_and_interfaces_and_prefixes_select() {
        let rules = ruleset();
        let syn = pkt("2001:db8:a::c", "2001:db8:b::5", 6, 22, TcpFlags::SYN);
        let hit = evaluate(&rules, &syn, PfDir::In, Some("em0"));
        assert!(
            matches!(hit.map(|r| r.action), Some(PfAction::Pass { .. })),
            "the later pass wins over block all"
        );
        let on_em1 = evaluate(&rules, &syn, PfDir::In, Some("em1"));
        assert_eq!(on_em1.map(|r| r.action), Some(PfAction::Block { ret: true }));
        let other_src = pkt("2001:db8:c::1", "2001:db8:b::5", 6, 22, TcpFlags::SYN);
        let r = evaluate(&rules, &other_src, PfDir::In, Some("em0"));
        assert_eq!(r.map(|r| r.action), Some(PfAction::Block { ret: false }));
        // flags S/SA: a mid-stream segment does not match the stateful pass rule.
        let ack = pkt("2001:db8:a::c", "2001:db8:b::5", 6, 22, TcpFlags::ACK);
        let r = evaluate(&rules, &ack, PfDir::In, Some("em0"));
        assert_eq!(r.map(|r| r.action), Some(PfAction::Block { ret: false }));
        // Outbound: only the direction-less block all applies.
        let r = evaluate(&rules, &syn, PfDir::Out, Some("em1"));
        assert_eq!(r.map(|r| r.action), Some(PfAction::Block { ret: false }));
        assert!(evaluate(&[], &syn, PfDir::In, None).is_none(), "implicit pass");
    }

    #[test]
    fn quick_stops_at_the_first_match() {
        let mut rules = ruleset();
        rules[0].quick = true;
        let syn = pkt("2001:db8:a::c", "2001:db8:b::5", 6, 22, TcpFlags::SYN);
        let r = evaluate(&rules, &syn, PfDir::In, Some("em0"));
        assert_eq!(r.map(|r| r.action), Some(PfAction::Block { ret: false }));
        assert!(rules[1].needs_iface() && !rules[0].needs_iface());
    }

    #[test]
    fn proto_and_port_match_udp_but_port_never_matches_icmp() {
        let mut dns = PfRule::new(PfAction::Pass {
            keep_state: false,
            sloppy: false,
        });
        dns.proto = Some(17);
        dns.port = Some(53);
        dns.to = net("198.51.100.0/24");
        assert!(dns.matches(&pkt("192.0.2.10", "198.51.100.5", 17, 53, TcpFlags(0)), PfDir::In, None));
        assert!(!dns.matches(&pkt("192.0.2.10", "203.0.113.5", 17, 53, TcpFlags(0)), PfDir::In, None));
        let mut any_port = PfRule::new(PfAction::Block { ret: false });
        any_port.port = Some(0);
        assert!(!any_port.matches(&pkt("192.0.2.10", "198.51.100.5", 1, 0, TcpFlags(0)), PfDir::In, None));
    }
}
