//! The one-shot frame parser: Ethernet → (ARP | IPv4 → ICMP/UDP/TCP | IPv6 → extension chain → ICMPv6/UDP/TCP)
//! into a small `Copy` [`FrameView`] that a switch and every receiver of a multicast frame share.
//!
//! Only a frame too short for its Ethernet header is an error: a switch forwards anything else. Problems above
//! Ethernet are recorded in the view ([`L3View::Malformed`], [`L4View::Malformed`]) so that each receiver drops the
//! frame and counts the reason without parsing again. Checksums (IPv4 header, ICMP, UDP, TCP) are verified here,
//! once, except on fragments, whose upper-layer checksum covers bytes that are not in this frame.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::arp::{ArpPacket, ArpRepr};
use super::ethernet::{EtherType, EthernetFrame, VlanTag};
use super::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use super::icmpv6::{msg_type as icmpv6_type, Icmpv6Packet, Icmpv6Repr};
use super::ip::{IpPair, IpProtocol};
use super::ipv4::{Ipv4Packet, Ipv4Repr};
use super::ipv6::{Ipv6Packet, Ipv6Repr};
use super::ipv6ext::{walk_ext_chain, ExtChain};
use super::mac::MacAddr;
use super::tcp::{TcpFlags, TcpPacket, TcpRepr};
use super::udp::{UdpPacket, UdpRepr};
use super::WireError;

/// What the transport header says, enough for demultiplexing and for a trace line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L4View {
    /// No upper-layer header here: a non-first fragment, or No Next Header.
    None,
    /// ICMPv4 type and code; checksum verified unless fragmented.
    Icmpv4 {
        /// Type.
        msg_type: u8,
        /// Code.
        code: u8,
    },
    /// ICMPv6 type and code; checksum verified unless fragmented.
    Icmpv6 {
        /// Type.
        msg_type: u8,
        /// Code.
        code: u8,
    },
    /// UDP ports.
    Udp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
    },
    /// TCP ports and flags.
    Tcp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
        /// Flags.
        flags: TcpFlags,
    },
    /// Another protocol, not parsed.
    Other(IpProtocol),
    /// The transport header is truncated or its checksum fails: receivers drop the packet.
    Malformed(WireError),
}

/// An IPv4 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4View {
    /// The header (checksum verified).
    pub repr: Ipv4Repr,
    /// Offset of the transport header in the frame.
    pub l4_offset: u16,
    /// End of the IPv4 packet in the frame (padding excluded).
    pub l4_end: u16,
    /// The transport header.
    pub l4: L4View,
}

/// An IPv6 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6View {
    /// The fixed header.
    pub repr: Ipv6Repr,
    /// The extension chain walked.
    pub ext: ExtChain,
    /// Offset of the upper-layer header in the frame.
    pub l4_offset: u16,
    /// End of the IPv6 packet in the frame (padding excluded).
    pub l4_end: u16,
    /// The upper-layer header.
    pub l4: L4View,
}

/// The network layer of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L3View {
    /// An Ethernet/IPv4 ARP packet.
    Arp(ArpRepr),
    /// IPv4.
    Ipv4(Ipv4View),
    /// IPv6.
    Ipv6(Ipv6View),
    /// An EtherType this layer does not parse.
    Other,
    /// ARP/IPv4/IPv6 that failed to parse: receivers drop it and count the reason.
    Malformed(WireError),
}

/// A whole frame decoded once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameView<'a> {
    /// The frame bytes.
    pub bytes: &'a [u8],
    /// Destination MAC.
    pub dst: MacAddr,
    /// Source MAC.
    pub src: MacAddr,
    /// 802.1Q tag.
    pub vlan: Option<VlanTag>,
    /// EtherType of the payload.
    pub ethertype: EtherType,
    /// Offset of the network header.
    pub l3_offset: u16,
    /// The network layer.
    pub l3: L3View,
}

fn l4_view(proto: IpProtocol, bytes: &[u8], addrs: IpPair, verify: bool) -> L4View {
    let malformed = L4View::Malformed;
    let is_v6 = matches!(addrs, IpPair::V6 { .. });
    match proto {
        IpProtocol::ICMP if !is_v6 => match Icmpv4Packet::new_checked(bytes) {
            Err(e) => malformed(e),
            Ok(p) if verify && !p.verify_checksum() => malformed(WireError::BadChecksum),
            Ok(p) => L4View::Icmpv4 {
                msg_type: p.msg_type(),
                code: p.code(),
            },
        },
        IpProtocol::ICMPV6 if is_v6 => match (Icmpv6Packet::new_checked(bytes), addrs) {
            (Err(e), _) => malformed(e),
            (Ok(p), IpPair::V6 { src, dst }) if verify && !p.verify_checksum(src, dst) => {
                malformed(WireError::BadChecksum)
            }
            (Ok(p), _) => L4View::Icmpv6 {
                msg_type: p.msg_type(),
                code: p.code(),
            },
        },
        // A first fragment's UDP length field covers the whole datagram: only the ports are read.
        IpProtocol::UDP if !verify => match bytes.get(..4) {
            None => malformed(WireError::Truncated),
            Some(p) => L4View::Udp {
                src_port: u16::from_be_bytes([p[0], p[1]]),
                dst_port: u16::from_be_bytes([p[2], p[3]]),
            },
        },
        IpProtocol::UDP => match UdpPacket::new_checked(bytes) {
            Err(e) => malformed(e),
            Ok(p) if verify && !p.verify_checksum(addrs) => malformed(WireError::BadChecksum),
            Ok(p) => L4View::Udp {
                src_port: p.src_port(),
                dst_port: p.dst_port(),
            },
        },
        IpProtocol::TCP => match TcpPacket::new_checked(bytes) {
            Err(e) => malformed(e),
            Ok(p) if verify && !p.verify_checksum(addrs) => malformed(WireError::BadChecksum),
            Ok(p) => L4View::Tcp {
                src_port: p.src_port(),
                dst_port: p.dst_port(),
                flags: p.flags(),
            },
        },
        IpProtocol::NO_NEXT_HEADER => L4View::None,
        other => L4View::Other(other),
    }
}

fn parse_ipv4(bytes: &[u8], l3_offset: usize, verify_l4: bool) -> Result<Ipv4View, WireError> {
    let packet = Ipv4Packet::new_checked(bytes)?;
    let repr = Ipv4Repr::parse(&packet)?;
    let addrs = IpPair::V4 {
        src: repr.src,
        dst: repr.dst,
    };
    let l4 = if repr.frag_offset != 0 {
        L4View::None
    } else {
        l4_view(repr.protocol, packet.payload(), addrs, verify_l4 && !repr.more_frags)
    };
    Ok(Ipv4View {
        repr,
        l4_offset: (l3_offset + packet.header_len()) as u16,
        l4_end: (l3_offset + usize::from(packet.total_len())) as u16,
        l4,
    })
}

fn parse_ipv6(bytes: &[u8], l3_offset: usize, verify_l4: bool) -> Result<Ipv6View, WireError> {
    let packet = Ipv6Packet::new_checked(bytes)?;
    let repr = Ipv6Repr::parse(&packet);
    let payload = packet.payload();
    let ext = walk_ext_chain(repr.next_header, payload)?;
    let addrs = IpPair::V6 {
        src: repr.src,
        dst: repr.dst,
    };
    let upper = payload.get(usize::from(ext.upper_offset)..).unwrap_or_default();
    let l4 = if ext.has_upper_header() {
        l4_view(
            ext.upper,
            upper,
            addrs,
            verify_l4 && ext.fragment.is_none_or(|f| f.is_atomic()),
        )
    } else {
        L4View::None
    };
    let start = l3_offset + super::ipv6::HEADER_LEN;
    Ok(Ipv6View {
        repr,
        ext,
        l4_offset: (start + usize::from(ext.upper_offset)) as u16,
        l4_end: (start + payload.len()) as u16,
        l4,
    })
}

/// Decodes a frame once. Frames longer than 65535 bytes are `BadLength`; a frame shorter than its Ethernet
/// header is `Truncated`; everything else yields a view (see the module docs).
pub fn parse_frame(bytes: &[u8]) -> Result<FrameView<'_>, WireError> {
    parse_frame_with(bytes, true)
}

/// [`parse_frame`], optionally without verifying the transport checksum (ICMP, UDP, TCP) — for frames whose
/// checksum the simulator's own stack computed, as a veth marks them CHECKSUM_UNNECESSARY. The IPv4 header
/// checksum is always verified (`ip_rcv_core` does, offload or not).
pub fn parse_frame_with(bytes: &[u8], verify_l4: bool) -> Result<FrameView<'_>, WireError> {
    if bytes.len() > usize::from(u16::MAX) {
        return Err(WireError::BadLength);
    }
    let frame = EthernetFrame::new_checked(bytes)?;
    let l3_offset = frame.header_len();
    let payload = frame.payload();
    let ethertype = frame.ethertype();
    let l3 = match ethertype {
        EtherType::ARP => match ArpPacket::new_checked(payload).and_then(|p| ArpRepr::parse(&p)) {
            Ok(arp) => L3View::Arp(arp),
            Err(e) => L3View::Malformed(e),
        },
        EtherType::IPV4 => parse_ipv4(payload, l3_offset, verify_l4).map_or_else(L3View::Malformed, L3View::Ipv4),
        EtherType::IPV6 => parse_ipv6(payload, l3_offset, verify_l4).map_or_else(L3View::Malformed, L3View::Ipv6),
        _ => L3View::Other,
    };
    Ok(FrameView {
        bytes,
        dst: frame.dst(),
        src: frame.src(),
        vlan: frame.vlan(),
        ethertype,
        l3_offset: l3_offset as u16,
        l3,
    })
}

impl<'a> FrameView<'a> {
    /// The network packet without Ethernet padding (what an ICMP error quotes), or empty for ARP/other.
    pub fn l3_bytes(&self) -> &'a [u8] {
        match self.l3 {
            L3View::Ipv4(v) => self.bytes.get(usize::from(self.l3_offset)..usize::from(v.l4_end)),
            L3View::Ipv6(v) => self.bytes.get(usize::from(self.l3_offset)..usize::from(v.l4_end)),
            _ => None,
        }
        .unwrap_or_default()
    }

    /// The transport message (header and data, padding excluded), or empty.
    pub fn l4_bytes(&self) -> &'a [u8] {
        let range = match self.l3 {
            L3View::Ipv4(v) => usize::from(v.l4_offset)..usize::from(v.l4_end),
            L3View::Ipv6(v) => usize::from(v.l4_offset)..usize::from(v.l4_end),
            _ => 0..0,
        };
        self.bytes.get(range).unwrap_or_default()
    }

    /// The transport view, if the frame is IP.
    pub fn l4(&self) -> Option<L4View> {
        match self.l3 {
            L3View::Ipv4(v) => Some(v.l4),
            L3View::Ipv6(v) => Some(v.l4),
            _ => None,
        }
    }

    /// IPv6 source and destination.
    pub fn ipv6_addrs(&self) -> Option<(Ipv6Addr, Ipv6Addr)> {
        match self.l3 {
            L3View::Ipv6(v) => Some((v.repr.src, v.repr.dst)),
            _ => None,
        }
    }

    /// IPv4 source and destination.
    pub fn ipv4_addrs(&self) -> Option<(Ipv4Addr, Ipv4Addr)> {
        match self.l3 {
            L3View::Ipv4(v) => Some((v.repr.src, v.repr.dst)),
            _ => None,
        }
    }

    /// Whether the transport message is whole in this frame (not a fragment; an atomic IPv6 fragment counts as
    /// whole) and parsed without error, so the decoders below may run.
    pub fn l4_is_whole(&self) -> bool {
        match self.l3 {
            L3View::Ipv4(v) => !v.repr.is_fragment() && !matches!(v.l4, L4View::Malformed(_)),
            L3View::Ipv6(v) => v.ext.fragment.is_none_or(|f| f.is_atomic()) && !matches!(v.l4, L4View::Malformed(_)),
            _ => false,
        }
    }

    /// Whether this is an ND message (ICMPv6 133..=137), fragmented or not.
    pub fn is_ndisc(&self) -> bool {
        matches!(
            self.l4(),
            Some(L4View::Icmpv6 {
                msg_type: icmpv6_type::ROUTER_SOLICIT..=icmpv6_type::REDIRECT,
                ..
            })
        )
    }

    /// The ICMPv6 message decoded (checksum already verified here), if the frame carries a whole one
    /// ([`FrameView::l4_is_whole`]). An atomic fragment counts as whole: a receiver applying RFC 6980
    /// (linux-ipv6.md B2, B47) checks [`Ipv6View::ext`]`.fragment` before accepting ND.
    pub fn icmpv6(&self) -> Option<Result<Icmpv6Repr<'a>, WireError>> {
        match self.l3 {
            L3View::Ipv6(Ipv6View {
                l4: L4View::Icmpv6 { .. },
                ..
            }) if self.l4_is_whole() => Some(Icmpv6Repr::decode(&Icmpv6Packet::new_unchecked(self.l4_bytes()))),
            _ => None,
        }
    }

    /// The ICMPv4 message decoded, if the frame carries a whole one.
    pub fn icmpv4(&self) -> Option<Result<Icmpv4Repr<'a>, WireError>> {
        match self.l3 {
            L3View::Ipv4(Ipv4View {
                l4: L4View::Icmpv4 { .. },
                ..
            }) if self.l4_is_whole() => Some(Icmpv4Repr::decode(&Icmpv4Packet::new_unchecked(self.l4_bytes()))),
            _ => None,
        }
    }

    /// The UDP datagram decoded, if any.
    pub fn udp(&self) -> Option<UdpRepr<'a>> {
        (matches!(self.l4(), Some(L4View::Udp { .. })) && self.l4_is_whole())
            .then(|| UdpRepr::decode(&UdpPacket::new_unchecked(self.l4_bytes())))
    }

    /// The TCP segment decoded, if any (options can still be malformed).
    pub fn tcp(&self) -> Option<Result<TcpRepr<'a>, WireError>> {
        (matches!(self.l4(), Some(L4View::Tcp { .. })) && self.l4_is_whole())
            .then(|| TcpRepr::decode(&TcpPacket::new_unchecked(self.l4_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1];
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn only_a_short_or_huge_frame_is_an_error() {
        assert_eq!(parse_frame(&[0; 13]).err(), Some(WireError::Truncated));
        assert_eq!(parse_frame(&vec![0; 70_000]).err(), Some(WireError::BadLength));
        let frame = eth(0x88cc, &[0; 46]); // LLDP: switched, not parsed
        let view = parse_frame(&frame).unwrap();
        assert_eq!((view.ethertype, view.l3), (EtherType(0x88cc), L3View::Other));
        assert!(view.dst.is_broadcast());
        assert_eq!((view.l3_bytes(), view.l4_bytes(), view.l4()), (&[][..], &[][..], None));
    }

    #[test]
    fn malformed_network_layers_are_recorded() {
        let frame = eth(0x0806, &[0; 20]);
        let view = parse_frame(&frame).unwrap();
        assert_eq!(view.l3, L3View::Malformed(WireError::Truncated));
        let frame = eth(0x86dd, &[0x60; 46]);
        let view = parse_frame(&frame).unwrap();
        assert_eq!(view.l3, L3View::Malformed(WireError::Truncated)); // payload length 0x6060
        let frame = eth(0x0800, &[0x45; 46]);
        let view = parse_frame(&frame).unwrap();
        assert!(matches!(view.l3, L3View::Malformed(_)));
        assert!(!view.is_ndisc() && !view.l4_is_whole() && view.icmpv6().is_none() && view.udp().is_none());
    }

    #[test]
    fn ipv6_with_no_next_header_has_no_upper_layer() {
        let mut ip = vec![0x60, 0, 0, 0, 0, 0, 59, 64];
        ip.extend_from_slice(&[0; 32]);
        let frame = eth(0x86dd, &ip);
        let view = parse_frame(&frame).unwrap();
        assert_eq!(view.l4(), Some(L4View::None));
        assert_eq!(view.ipv6_addrs(), Some((Ipv6Addr::UNSPECIFIED, Ipv6Addr::UNSPECIFIED)));
        assert_eq!(view.l3_bytes().len(), 40);
        assert!(view.l4_bytes().is_empty());
    }
}
