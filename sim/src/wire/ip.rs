//! What IPv4 and IPv6 share: protocol numbers and the Internet checksum with its pseudo-headers
//! (RFC 1071; RFC 768, RFC 9293 §3.1 for IPv4; RFC 8200 §8.1 for IPv6), computed by smoltcp's `checksum`.

use std::net::{Ipv4Addr, Ipv6Addr};

use smoltcp::wire::checksum;

/// An IP protocol / IPv6 Next Header value (IANA "Assigned Internet Protocol Numbers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpProtocol(pub u8);

impl IpProtocol {
    /// IPv6 Hop-by-Hop Options (RFC 8200 §4.3).
    pub const HOP_BY_HOP: IpProtocol = IpProtocol(0);
    /// ICMP for IPv4 (RFC 792).
    pub const ICMP: IpProtocol = IpProtocol(1);
    /// TCP (RFC 9293).
    pub const TCP: IpProtocol = IpProtocol(6);
    /// UDP (RFC 768).
    pub const UDP: IpProtocol = IpProtocol(17);
    /// IPv6 Routing header (RFC 8200 §4.4).
    pub const IPV6_ROUTING: IpProtocol = IpProtocol(43);
    /// IPv6 Fragment header (RFC 8200 §4.5).
    pub const IPV6_FRAGMENT: IpProtocol = IpProtocol(44);
    /// Encapsulating Security Payload (RFC 4303): opaque, ends the walk.
    pub const ESP: IpProtocol = IpProtocol(50);
    /// Authentication Header (RFC 4302): an extension header with 4-octet length units.
    pub const AH: IpProtocol = IpProtocol(51);
    /// ICMP for IPv6 (RFC 4443).
    pub const ICMPV6: IpProtocol = IpProtocol(58);
    /// IPv6 No Next Header (RFC 8200 §4.7).
    pub const NO_NEXT_HEADER: IpProtocol = IpProtocol(59);
    /// IPv6 Destination Options (RFC 8200 §4.6).
    pub const IPV6_DEST_OPTS: IpProtocol = IpProtocol(60);
}

/// The folded ones'-complement sum of the IPv4 pseudo-header (RFC 9293 §3.1), not inverted.
pub fn pseudo_header_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol, upper_len: u32) -> u16 {
    checksum::pseudo_header_v4(&src, &dst, smoltcp::wire::IpProtocol::from(protocol.0), upper_len)
}

/// The folded ones'-complement sum of the IPv6 pseudo-header (RFC 8200 §8.1), not inverted.
pub fn pseudo_header_v6(src: Ipv6Addr, dst: Ipv6Addr, protocol: IpProtocol, upper_len: u32) -> u16 {
    checksum::pseudo_header_v6(&src, &dst, smoltcp::wire::IpProtocol::from(protocol.0), upper_len)
}

/// The source and destination of a packet, for the transport pseudo-header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpPair {
    /// IPv4 source and destination.
    V4 {
        /// Source.
        src: Ipv4Addr,
        /// Destination.
        dst: Ipv4Addr,
    },
    /// IPv6 source and destination.
    V6 {
        /// Source.
        src: Ipv6Addr,
        /// Destination.
        dst: Ipv6Addr,
    },
}

impl IpPair {
    /// The pseudo-header sum for an upper-layer message of `upper_len` bytes.
    pub fn pseudo_header(&self, protocol: IpProtocol, upper_len: u32) -> u16 {
        match *self {
            IpPair::V4 { src, dst } => pseudo_header_v4(src, dst, protocol, upper_len),
            IpPair::V6 { src, dst } => pseudo_header_v6(src, dst, protocol, upper_len),
        }
    }
}

/// The folded ones'-complement sum of `data`, not inverted.
pub fn sum(data: &[u8]) -> u16 {
    checksum::data(data)
}

/// Combines partial sums and inverts: the value to store in a checksum field, computed with that field zero.
pub fn finish(parts: &[u16]) -> u16 {
    !checksum::combine(parts)
}

/// Whether a message whose checksum field is included verifies: the full sum folds to 0xffff (RFC 1071 §1).
pub fn verifies(parts: &[u16]) -> bool {
    checksum::combine(parts) == 0xffff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example_sum() {
        // RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
        assert_eq!(sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), 0xddf2);
        assert_eq!(finish(&[0xddf2]), 0x220d);
        assert!(verifies(&[0xddf2, 0x220d]));
    }

    #[test]
    fn pseudo_headers_sum_their_fields() {
        let v4 = pseudo_header_v4(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
            IpProtocol::UDP,
            8,
        );
        // 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0011 + 0x0008
        assert_eq!(v4, 0x141c);
        let v6 = pseudo_header_v6(Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST, IpProtocol::ICMPV6, 8);
        assert_eq!(v6, 1 + 1 + 8 + 58);
        let pair = IpPair::V4 {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
        };
        assert_eq!(pair.pseudo_header(IpProtocol::UDP, 8), v4);
        let pair = IpPair::V6 {
            src: Ipv6Addr::LOCALHOST,
            dst: Ipv6Addr::LOCALHOST,
        };
        assert_eq!(pair.pseudo_header(IpProtocol::ICMPV6, 8), v6);
    }
}
