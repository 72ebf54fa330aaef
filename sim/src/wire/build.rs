//! Whole-frame builders: Ethernet + (ARP | IPv4 + ICMP/UDP/TCP | IPv6 + extension headers + ICMPv6/UDP/TCP),
//! appended to a caller's buffer so that a sender reuses one allocation for every frame it builds.
//!
//! Frames are padded with zeros to the Ethernet minimum of 60 bytes (without FCS), as a NIC sends them, so that
//! every receiver sees the padding real links carry.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use super::arp::ArpRepr;
use super::ethernet::{EtherType, EthernetRepr, VlanTag};
use super::icmpv4::Icmpv4Repr;
use super::icmpv6::Icmpv6Repr;
use super::ip::{IpPair, IpProtocol};
use super::ipv4::{Ipv4Repr, HEADER_LEN as IPV4_HEADER_LEN};
use super::ipv6::{Ipv6Repr, HEADER_LEN as IPV6_HEADER_LEN};
use super::ipv6ext::{chain_len, emit_chain, Ipv6ExtRepr};
use super::mac::MacAddr;
use super::tcp::TcpRepr;
use super::udp::UdpRepr;
use super::WireError;

/// The Ethernet minimum frame length without the FCS (Linux `ETH_ZLEN`).
pub const MIN_FRAME_LEN: usize = 60;

/// The link-layer addressing of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct L2 {
    /// Source MAC.
    pub src: MacAddr,
    /// Destination MAC.
    pub dst: MacAddr,
    /// 802.1Q tag.
    pub vlan: Option<VlanTag>,
}

/// The IPv6 header fields a sender chooses, and the extension headers to put in front of the upper layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Params<'a> {
    /// Source.
    pub src: Ipv6Addr,
    /// Destination (the pseudo-header uses it even with a Routing header: set it to the final destination).
    pub dst: Ipv6Addr,
    /// Hop limit (255 for ND, RFC 4861 §4).
    pub hop_limit: u8,
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label.
    pub flow_label: u32,
    /// Extension headers in order.
    pub exts: &'a [Ipv6ExtRepr<'a>],
}

impl Ipv6Params<'_> {
    /// `src` → `dst` with this hop limit, no traffic class, no flow label, no extension headers.
    pub const fn new(src: Ipv6Addr, dst: Ipv6Addr, hop_limit: u8) -> Ipv6Params<'static> {
        Ipv6Params {
            src,
            dst,
            hop_limit,
            traffic_class: 0,
            flow_label: 0,
            exts: &[],
        }
    }
}

/// The IPv4 header fields a sender chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Params {
    /// Source.
    pub src: Ipv4Addr,
    /// Destination.
    pub dst: Ipv4Addr,
    /// Time to live.
    pub ttl: u8,
    /// Identification.
    pub ident: u16,
    /// Don't fragment (Linux sets it with path MTU discovery on, the default).
    pub dont_frag: bool,
    /// DSCP and ECN.
    pub dscp_ecn: u8,
}

impl Ipv4Params {
    /// `src` → `dst` with this TTL, DF set, ident 0, DSCP 0.
    pub const fn new(src: Ipv4Addr, dst: Ipv4Addr, ttl: u8) -> Ipv4Params {
        Ipv4Params {
            src,
            dst,
            ttl,
            ident: 0,
            dont_frag: true,
            dscp_ecn: 0,
        }
    }
}

/// The upper layer of an IP packet to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upper<'a> {
    /// ICMPv4 (IPv4 only).
    Icmpv4(Icmpv4Repr<'a>),
    /// ICMPv6, ND included (IPv6 only).
    Icmpv6(Icmpv6Repr<'a>),
    /// UDP.
    Udp(UdpRepr<'a>),
    /// TCP.
    Tcp(TcpRepr<'a>),
}

impl Upper<'_> {
    /// The protocol number.
    pub const fn protocol(&self) -> IpProtocol {
        match self {
            Upper::Icmpv4(_) => IpProtocol::ICMP,
            Upper::Icmpv6(_) => IpProtocol::ICMPV6,
            Upper::Udp(_) => IpProtocol::UDP,
            Upper::Tcp(_) => IpProtocol::TCP,
        }
    }

    /// Emitted length.
    pub fn buffer_len(&self) -> usize {
        match self {
            Upper::Icmpv4(r) => r.buffer_len(),
            Upper::Icmpv6(r) => r.buffer_len(),
            Upper::Udp(r) => r.buffer_len(),
            Upper::Tcp(r) => r.buffer_len(),
        }
    }

    /// Writes the message with its checksum. ICMPv4 over IPv6 or ICMPv6 over IPv4 is `BadField`.
    pub fn emit(&self, addrs: IpPair, buf: &mut [u8]) -> Result<(), WireError> {
        match (self, addrs) {
            (Upper::Icmpv4(r), IpPair::V4 { .. }) => r.emit(buf),
            (Upper::Icmpv6(r), IpPair::V6 { src, dst }) => r.emit(src, dst, buf),
            (Upper::Udp(r), _) => r.emit(addrs, buf),
            (Upper::Tcp(r), _) => r.emit(addrs, buf),
            _ => Err(WireError::BadField),
        }
    }
}

/// Grows `buf` by a zeroed frame of `len` bytes (at least [`MIN_FRAME_LEN`]), runs `fill` on it, and returns
/// the frame's range; on error `buf` is restored to its previous length.
pub(super) fn append(
    buf: &mut Vec<u8>,
    len: usize,
    fill: impl FnOnce(&mut [u8]) -> Result<(), WireError>,
) -> Result<Range<usize>, WireError> {
    let start = buf.len();
    buf.resize(start + len.max(MIN_FRAME_LEN), 0);
    let range = start..buf.len();
    match fill(&mut buf[range.clone()]) {
        Ok(()) => Ok(range),
        Err(e) => {
            buf.truncate(start);
            Err(e)
        }
    }
}

pub(super) fn eth(l2: L2, ethertype: EtherType) -> EthernetRepr {
    EthernetRepr {
        dst: l2.dst,
        src: l2.src,
        vlan: l2.vlan,
        ethertype,
    }
}

/// Appends an ARP frame.
pub fn append_arp(buf: &mut Vec<u8>, l2: L2, arp: &ArpRepr) -> Result<Range<usize>, WireError> {
    let eth = eth(l2, EtherType::ARP);
    let l2_len = eth.buffer_len();
    append(buf, l2_len + arp.buffer_len(), |f| {
        eth.emit(f)?;
        arp.emit(&mut f[l2_len..])
    })
}

/// Appends an Ethernet + IPv6 (+ extension headers) frame carrying `upper`.
pub fn append_ipv6(
    buf: &mut Vec<u8>,
    l2: L2,
    ip: &Ipv6Params<'_>,
    upper: &Upper<'_>,
) -> Result<Range<usize>, WireError> {
    let eth = eth(l2, EtherType::IPV6);
    let l2_len = eth.buffer_len();
    let exts_len = chain_len(ip.exts);
    let payload_len = u16::try_from(exts_len + upper.buffer_len()).map_err(|_| WireError::BadLength)?;
    let total = l2_len + IPV6_HEADER_LEN + usize::from(payload_len);
    append(buf, total, |f| {
        eth.emit(f)?;
        let upper_start = l2_len + IPV6_HEADER_LEN + exts_len;
        let next_header = emit_chain(ip.exts, upper.protocol(), &mut f[l2_len + IPV6_HEADER_LEN..upper_start])?;
        let repr = Ipv6Repr {
            src: ip.src,
            dst: ip.dst,
            next_header,
            payload_len,
            hop_limit: ip.hop_limit,
            traffic_class: ip.traffic_class,
            flow_label: ip.flow_label,
        };
        repr.emit(&mut f[l2_len..])?;
        upper.emit(
            IpPair::V6 {
                src: ip.src,
                dst: ip.dst,
            },
            &mut f[upper_start..total],
        )
    })
}

/// Appends an Ethernet + IPv4 frame carrying `upper` (never fragmented: the caller respects the MTU).
pub fn append_ipv4(buf: &mut Vec<u8>, l2: L2, ip: &Ipv4Params, upper: &Upper<'_>) -> Result<Range<usize>, WireError> {
    let eth = eth(l2, EtherType::IPV4);
    let l2_len = eth.buffer_len();
    let payload_len = u16::try_from(upper.buffer_len()).map_err(|_| WireError::BadLength)?;
    let total = l2_len + IPV4_HEADER_LEN + usize::from(payload_len);
    append(buf, total, |f| {
        eth.emit(f)?;
        let repr = Ipv4Repr {
            src: ip.src,
            dst: ip.dst,
            protocol: upper.protocol(),
            ttl: ip.ttl,
            payload_len,
            dscp_ecn: ip.dscp_ecn,
            ident: ip.ident,
            dont_frag: ip.dont_frag,
            more_frags: false,
            frag_offset: 0,
        };
        repr.emit(&mut f[l2_len..])?;
        upper.emit(
            IpPair::V4 {
                src: ip.src,
                dst: ip.dst,
            },
            &mut f[l2_len + IPV4_HEADER_LEN..total],
        )
    })
}

/// A new ARP frame.
pub fn arp_frame(l2: L2, arp: &ArpRepr) -> Result<Vec<u8>, WireError> {
    let mut buf = Vec::with_capacity(MIN_FRAME_LEN);
    append_arp(&mut buf, l2, arp)?;
    Ok(buf)
}

/// A new IPv6 frame.
pub fn ipv6_frame(l2: L2, ip: &Ipv6Params<'_>, upper: &Upper<'_>) -> Result<Vec<u8>, WireError> {
    let mut buf = Vec::new();
    append_ipv6(&mut buf, l2, ip, upper)?;
    Ok(buf)
}

/// A new IPv4 frame.
pub fn ipv4_frame(l2: L2, ip: &Ipv4Params, upper: &Upper<'_>) -> Result<Vec<u8>, WireError> {
    let mut buf = Vec::new();
    append_ipv4(&mut buf, l2, ip, upper)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::frame::{parse_frame, L3View, L4View};
    use crate::wire::icmpv6::Icmpv6Repr;
    use crate::wire::ndisc::NdiscRepr;
    use crate::wire::ndisc_option::{NdOptionRepr, NdOptions};

    // Golden: Linux's DAD probe for 2001:db8:1:0:5054:ff:fe12:3456 from 52:54:00:12:34:56 with an enhanced-DAD
    // nonce (RFC 7527), :: → ff02::1:ff12:3456, hop limit 255. Encoded and summed independently, decoded by
    // tshark as "Neighbor Solicitation for 2001:db8:1:0:5054:ff:fe12:3456" with a correct checksum.
    const DAD_NS: [u8; 86] = [
        0x33, 0x33, 0xff, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x86, 0xdd, 0x60, 0x00, //
        0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        0x00, 0x01, 0xff, 0x12, 0x34, 0x56, 0x87, 0x00, 0x7d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, //
        0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56, 0x0e, 0x01, //
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    ];

    const MAC: MacAddr = MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    const TARGET: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0x5054, 0xff, 0xfe12, 0x3456);
    const NONCE: [NdOptionRepr<'static>; 1] = [NdOptionRepr::Nonce(&[1, 2, 3, 4, 5, 6])];

    fn dad_ns() -> (L2, Ipv6Params<'static>, Upper<'static>) {
        let group = crate::wire::ipv6::solicited_node(TARGET);
        let l2 = L2 {
            src: MAC,
            dst: MacAddr::from_ipv6_multicast(group),
            vlan: None,
        };
        let ip = Ipv6Params::new(Ipv6Addr::UNSPECIFIED, group, 255);
        let ns = NdiscRepr::NeighborSolicit {
            target: TARGET,
            options: NdOptions::Reprs(&NONCE),
        };
        (l2, ip, Upper::Icmpv6(Icmpv6Repr::Ndisc(ns)))
    }

    #[test]
    fn dad_ns_golden() {
        let (l2, ip, upper) = dad_ns();
        assert_eq!(ipv6_frame(l2, &ip, &upper).unwrap(), DAD_NS);
        let view = parse_frame(&DAD_NS).unwrap();
        assert!(view.is_ndisc());
        assert_eq!(view.l4(), Some(L4View::Icmpv6 { msg_type: 135, code: 0 }));
        let Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit { target, options }))) = view.icmpv6() else {
            panic!("not an NS: {view:?}");
        };
        assert_eq!(target, TARGET);
        assert_eq!(options.nonce(), Some(&[1u8, 2, 3, 4, 5, 6][..]));
    }

    #[test]
    fn short_frames_are_padded_and_buffers_reused() {
        let arp = ArpRepr::request(MAC, Ipv4Addr::new(10, 0, 9, 165), Ipv4Addr::new(10, 0, 9, 151));
        let l2 = L2 {
            src: MAC,
            dst: MacAddr::BROADCAST,
            vlan: None,
        };
        let mut buf = Vec::new();
        let first = append_arp(&mut buf, l2, &arp).unwrap();
        let second = append_arp(&mut buf, l2, &arp).unwrap();
        assert_eq!((first.len(), second.start), (60, 60));
        assert_eq!(buf[first.clone()], buf[second]);
        assert_eq!(parse_frame(&buf[first]).unwrap().l3, L3View::Arp(arp));
    }

    #[test]
    fn mismatched_upper_layer_leaves_the_buffer_alone() {
        let (l2, _, upper) = dad_ns();
        let mut buf = vec![7u8; 3];
        let ip = Ipv4Params::new(Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST, 64);
        assert_eq!(append_ipv4(&mut buf, l2, &ip, &upper), Err(WireError::BadField));
        assert_eq!(buf, [7, 7, 7]);
    }
}
