//! Stateful firewalls on a router's forward path: Linux netfilter with conntrack and an nftables-style first-match
//! ruleset ([`conntrack`], [`nft`]), and pf's state table with last-match rules ([`pf`]).
//!
//! Both see only what the router forwards. With asymmetric routing (linux-ipv6.md E8) that is one direction of a
//! TCP connection, which is what turns their state machines into the resets and stalls of §F. The hook runs where
//! nftables' `forward` hook runs (after the routing decision, before output).

pub mod conntrack;
pub mod ct_icmp;
pub mod ct_window;
pub mod nft;
pub mod pf;
pub mod pf_rule;

use std::net::{IpAddr, SocketAddr};

use crate::host::node::Host;
use crate::node::Ctx;
use crate::time::Instant;
use crate::trace::DropReason;
use crate::transport::icmp_quote::Quote;
use crate::transport::tcp::{reset_for, SegIn};
use crate::wire::tcp::{TcpFlags, TcpPacket};
use crate::wire::{FrameView, L3View, L4View};

/// The transport facts a firewall decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketMeta {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IP protocol number.
    pub proto: u8,
    /// Source port (0 without ports).
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// TCP header facts, for TCP.
    pub tcp: Option<TcpMeta>,
    /// ICMP header facts, for ICMP and ICMPv6.
    pub icmp: Option<IcmpMeta>,
}

/// ICMP header facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpMeta {
    /// Type.
    pub msg_type: u8,
    /// Code.
    pub code: u8,
    /// Identifier (the first half of the rest-of-header word: echo's id).
    pub id: u16,
    /// For errors: the quoted packet (`None` if it cannot be parsed).
    pub quote: Option<Quote>,
}

impl IcmpMeta {
    /// Reads type, code, identifier and (for errors, per [`ct_icmp::classify`]) the quote from an ICMP message.
    pub fn parse(v6: bool, msg: &[u8]) -> Option<IcmpMeta> {
        let h = msg.get(..8)?;
        let msg_type = h[0];
        let quote = match ct_icmp::classify(v6, msg_type) {
            ct_icmp::IcmpClass::Error => Quote::parse(&msg[8..]),
            _ => None,
        };
        Some(IcmpMeta {
            msg_type,
            code: h[1],
            id: u16::from_be_bytes([h[4], h[5]]),
            quote,
        })
    }
}

/// TCP header facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpMeta {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Raw window.
    pub window: u16,
    /// Window scale option (SYNs).
    pub wscale: Option<u8>,
    /// Data length.
    pub len: u32,
}

impl TcpMeta {
    /// Sequence number after the segment (data, SYN and FIN count).
    pub fn end(&self) -> u32 {
        let mut e = self.seq.wrapping_add(self.len);
        if self.flags.contains(TcpFlags::SYN) {
            e = e.wrapping_add(1);
        }
        if self.flags.contains(TcpFlags::FIN) {
            e = e.wrapping_add(1);
        }
        e
    }
}

impl PacketMeta {
    /// Reads the facts from a parsed frame; `None` for non-IP frames and malformed TCP.
    pub fn from_view(view: &FrameView<'_>) -> Option<PacketMeta> {
        let (src, dst, l4, proto) = match view.l3 {
            L3View::Ipv6(ip) => (
                IpAddr::V6(ip.repr.src),
                IpAddr::V6(ip.repr.dst),
                ip.l4,
                ip.repr.next_header,
            ),
            L3View::Ipv4(ip) => (
                IpAddr::V4(ip.repr.src),
                IpAddr::V4(ip.repr.dst),
                ip.l4,
                ip.repr.protocol,
            ),
            _ => return None,
        };
        // The upper-layer protocol after any extension headers.
        let proto = match l4 {
            L4View::Tcp { .. } => 6,
            L4View::Udp { .. } => 17,
            L4View::Icmpv4 { .. } => 1,
            L4View::Icmpv6 { .. } => 58,
            L4View::Other(p) => p.0,
            _ => proto.0,
        };
        let icmp = match l4 {
            L4View::Icmpv4 { .. } => IcmpMeta::parse(false, view.l4_bytes()),
            L4View::Icmpv6 { .. } => IcmpMeta::parse(true, view.l4_bytes()),
            _ => None,
        };
        let (sport, dport, tcp) = match l4 {
            L4View::Tcp { src_port, dst_port, .. } => {
                let p = TcpPacket::new_checked(view.l4_bytes()).ok()?;
                let opts = crate::wire::tcp::TcpOptions::parse(p.options()).ok()?;
                let meta = TcpMeta {
                    seq: p.seq(),
                    ack: p.ack(),
                    flags: p.flags(),
                    window: p.window(),
                    wscale: opts.window_scale,
                    len: p.payload().len() as u32,
                };
                (src_port, dst_port, Some(meta))
            }
            L4View::Udp { src_port, dst_port } => (src_port, dst_port, None),
            _ => (0, 0, None),
        };
        Some(PacketMeta {
            src,
            dst,
            proto,
            sport,
            dport,
            tcp,
            icmp,
        })
    }
}

/// What the firewall does with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Forward it.
    Accept,
    /// Drop it silently.
    Drop,
    /// Drop it and answer a TCP packet with an RST from its destination (`reject with tcp reset`,
    /// `nf_reject_ip6_tcphdr_put`: RST with seq = the packet's ACK, or RST|ACK acknowledging it); other protocols
    /// are only dropped.
    Reset,
    /// pf `block return` (`pf_send_tcp`): RST|ACK with seq = the packet's ACK and ack = its end.
    Return,
}

/// The firewall a router runs.
#[derive(Debug, Clone)]
pub enum Firewall {
    /// netfilter conntrack + an nftables forward chain.
    Conntrack(nft::NftFirewall),
    /// pf.
    Pf(pf::Pf),
}

impl Firewall {
    /// Filters one forwarded packet at `now`.
    pub fn filter(&mut self, now: Instant, pkt: &PacketMeta) -> Verdict {
        match self {
            Firewall::Conntrack(f) => f.filter(now, pkt),
            Firewall::Pf(f) => f.filter(now, pkt),
        }
    }
}

impl Host {
    /// The forward hook: true if the packet may be forwarded. A `Reset` verdict sends the RST
    /// (`nf_send_reset6`, pf_send_tcp) from the packet's destination to its source, routed normally.
    pub(crate) fn firewall_forward(&mut self, ctx: &mut Ctx<'_>, view: &FrameView<'_>) -> bool {
        if self.firewall.is_none() {
            return true;
        }
        let Some(pkt) = PacketMeta::from_view(view) else {
            return true;
        };
        // pf rules `on` an interface or `out` need the interfaces the packet crosses: the one owning the frame's
        // destination MAC, and the one the route picks.
        let ifaces = match &self.firewall {
            Some(Firewall::Pf(pf)) if pf.needs_ifaces() => {
                let iif = self
                    .tables
                    .ifaces
                    .iter()
                    .find(|i| i.mac == view.dst.0)
                    .map(|i| i.ifindex);
                let q = crate::host::lookup::RouteQuery::to(pkt.dst).from(pkt.src);
                let q = match iif {
                    Some(i) => q.iif(i),
                    None => q,
                };
                let oif = self.route_get(&q).ok().map(|d| d.dev);
                Some((iif, oif))
            }
            _ => None,
        };
        let name = |i: Option<crate::id::IfIndex>| i.and_then(|i| self.tables.ifaces.get(i)).map(|i| i.name.as_str());
        let verdict = match (&mut self.firewall, ifaces) {
            (Some(Firewall::Pf(pf)), Some((iif, oif))) => pf.filter_on(ctx.now, &pkt, name(iif), name(oif)),
            (Some(fw), _) => fw.filter(ctx.now, &pkt),
            (None, _) => Verdict::Accept,
        };
        if verdict == Verdict::Accept {
            return true;
        }
        self.drop_packet_policy(ctx);
        let Some(t) = pkt.tcp else { return false };
        let seg = SegIn {
            seq: t.seq,
            ack: t.ack,
            flags: t.flags,
            window: t.window,
            mss: None,
            wscale: None,
            sack_permitted: false,
            sack: [None; 3],
            payload: &[],
        };
        let rst = match verdict {
            // reset_for counts data from the payload; the end of the sequence space stands in for it.
            Verdict::Reset => reset_for(&seg).map(|mut r| {
                if r.flags.contains(TcpFlags::ACK) {
                    r.ack = t.end();
                }
                r
            }),
            Verdict::Return if !t.flags.contains(TcpFlags::RST) => reset_for(&seg).map(|mut r| {
                r.seq = t.ack;
                r.ack = t.end();
                r.flags = TcpFlags::RST | TcpFlags::ACK;
                r
            }),
            _ => None,
        };
        if let Some(rst) = rst {
            let from = SocketAddr::new(pkt.dst, pkt.dport);
            let to = SocketAddr::new(pkt.src, pkt.sport);
            let _ = self.send_tcp_segment(ctx, from, to, None, &rst, &[]);
        }
        false
    }

    fn drop_packet_policy(&mut self, ctx: &mut Ctx<'_>) {
        ctx.trace(|| crate::trace::TraceEvent::Dropped {
            frame: None,
            reason: DropReason::Policy,
        });
    }
}
