//! The IPv6 fixed header (RFC 8200 §3). Extension headers are walked by [`super::ipv6ext`].

use std::net::Ipv6Addr;

use super::ip::IpProtocol;
use super::WireError;

/// Length of the fixed IPv6 header.
pub const HEADER_LEN: usize = 40;
/// The IPv6 minimum link MTU (RFC 8200 §5): the size ICMPv6 errors must fit in (RFC 4443 §2.4 c).
pub const MIN_MTU: usize = 1280;

mod field {
    use core::ops::Range;
    pub const VER_TC_FLOW: Range<usize> = 0..4;
    pub const LENGTH: Range<usize> = 4..6;
    pub const NXT_HDR: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: Range<usize> = 8..24;
    pub const DST: Range<usize> = 24..40;
}

/// A zero-copy view of an IPv6 packet.
#[derive(Debug, Clone, Copy)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

fn addr(b: &[u8]) -> Ipv6Addr {
    let mut o = [0u8; 16];
    o.copy_from_slice(&b[..16]);
    Ipv6Addr::from(o)
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Wraps a buffer without checks (for buffers this crate built).
    pub const fn new_unchecked(buffer: T) -> Ipv6Packet<T> {
        Ipv6Packet { buffer }
    }

    /// Wraps untrusted bytes: the fixed header must be present, the version must be 6 and the payload length must
    /// fit in the buffer. Bytes after the payload (Ethernet padding) are allowed and ignored.
    pub fn new_checked(buffer: T) -> Result<Ipv6Packet<T>, WireError> {
        let packet = Ipv6Packet { buffer };
        let len = packet.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if packet.version() != 6 {
            return Err(WireError::BadVersion);
        }
        if HEADER_LEN + usize::from(packet.payload_len()) > len {
            return Err(WireError::Truncated);
        }
        Ok(packet)
    }

    fn word0(&self) -> u32 {
        let b = &self.buffer.as_ref()[field::VER_TC_FLOW];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// The version nibble.
    pub fn version(&self) -> u8 {
        (self.word0() >> 28) as u8
    }

    /// Traffic class (DSCP and ECN).
    pub fn traffic_class(&self) -> u8 {
        (self.word0() >> 20) as u8
    }

    /// Flow label (20 bits).
    pub fn flow_label(&self) -> u32 {
        self.word0() & 0x000f_ffff
    }

    /// Payload length: everything after the fixed header, extension headers included.
    pub fn payload_len(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::LENGTH];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// The first Next Header value.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol(self.buffer.as_ref()[field::NXT_HDR])
    }

    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// Source address.
    pub fn src(&self) -> Ipv6Addr {
        addr(&self.buffer.as_ref()[field::SRC])
    }

    /// Destination address.
    pub fn dst(&self) -> Ipv6Addr {
        addr(&self.buffer.as_ref()[field::DST])
    }

    /// The payload (extension headers and upper layer), `payload_len` bytes: padding after it is cut off.
    pub fn payload(&self) -> &[u8] {
        let end = HEADER_LEN + usize::from(self.payload_len());
        &self.buffer.as_ref()[HEADER_LEN..end]
    }

    /// The header and payload without trailing padding: what an ICMPv6 error quotes (RFC 4443 §2.4 c).
    pub fn packet_bytes(&self) -> &[u8] {
        &self.buffer.as_ref()[..HEADER_LEN + usize::from(self.payload_len())]
    }
}

/// A validated IPv6 fixed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Repr {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// The first Next Header (an extension header or the upper layer).
    pub next_header: IpProtocol,
    /// Bytes after the fixed header.
    pub payload_len: u16,
    /// Hop limit.
    pub hop_limit: u8,
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label (low 20 bits used).
    pub flow_label: u32,
}

impl Ipv6Repr {
    /// Reads the fixed header of a checked packet.
    pub fn parse<T: AsRef<[u8]>>(packet: &Ipv6Packet<T>) -> Ipv6Repr {
        Ipv6Repr {
            src: packet.src(),
            dst: packet.dst(),
            next_header: packet.next_header(),
            payload_len: packet.payload_len(),
            hop_limit: packet.hop_limit(),
            traffic_class: packet.traffic_class(),
            flow_label: packet.flow_label(),
        }
    }

    /// Length of the fixed header.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the fixed header into the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let buf = buf.get_mut(..HEADER_LEN).ok_or(WireError::BufferTooSmall)?;
        let word0 = (6u32 << 28) | (u32::from(self.traffic_class) << 20) | (self.flow_label & 0x000f_ffff);
        buf[field::VER_TC_FLOW].copy_from_slice(&word0.to_be_bytes());
        buf[field::LENGTH].copy_from_slice(&self.payload_len.to_be_bytes());
        buf[field::NXT_HDR] = self.next_header.0;
        buf[field::HOP_LIMIT] = self.hop_limit;
        buf[field::SRC].copy_from_slice(&self.src.octets());
        buf[field::DST].copy_from_slice(&self.dst.octets());
        Ok(())
    }
}

/// The solicited-node multicast group `ff02::1:ffXX:XXXX` of an address (RFC 4291 §2.7.1).
pub fn solicited_node(addr: Ipv6Addr) -> Ipv6Addr {
    let o = addr.octets();
    Ipv6Addr::from([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, o[13], o[14], o[15]])
}

/// The all-nodes link-local group `ff02::1` (RFC 4291 §2.7.1).
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// The all-routers link-local group `ff02::2` (RFC 4291 §2.7.1).
pub const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

#[cfg(test)]
mod tests {
    use super::*;

    // Golden: fe80::1 → ff02::1, ICMPv6, 24 bytes of payload, hop limit 255, TC 0, flow 0.
    const HEADER: [u8; 40] = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, //
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, //
        0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
    ];

    fn repr() -> Ipv6Repr {
        Ipv6Repr {
            src: "fe80::1".parse().unwrap(),
            dst: ALL_NODES,
            next_header: IpProtocol::ICMPV6,
            payload_len: 24,
            hop_limit: 255,
            traffic_class: 0,
            flow_label: 0,
        }
    }

    #[test]
    fn parse_golden_header() {
        let mut bytes = HEADER.to_vec();
        bytes.extend_from_slice(&[0xaa; 24 + 6]); // payload, then padding that must be ignored
        let packet = Ipv6Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(Ipv6Repr::parse(&packet), repr());
        assert_eq!(packet.payload().len(), 24);
        assert_eq!(packet.packet_bytes().len(), 64);
    }

    #[test]
    fn emit_golden_header() {
        let mut buf = [0u8; 40];
        repr().emit(&mut buf).unwrap();
        assert_eq!(buf, HEADER);
        let tc = Ipv6Repr {
            traffic_class: 0xb8,
            flow_label: 0x12345,
            ..repr()
        };
        tc.emit(&mut buf).unwrap();
        assert_eq!(&buf[..4], &[0x6b, 0x81, 0x23, 0x45]);
    }

    #[test]
    fn rejects_bad_version_and_short_payload() {
        let mut bytes = HEADER.to_vec();
        assert_eq!(Ipv6Packet::new_checked(&bytes[..]).err(), Some(WireError::Truncated));
        bytes.extend_from_slice(&[0; 24]);
        bytes[0] = 0x40;
        assert_eq!(Ipv6Packet::new_checked(&bytes[..]).err(), Some(WireError::BadVersion));
        assert_eq!(Ipv6Packet::new_checked(&bytes[..39]).err(), Some(WireError::Truncated));
    }

    #[test]
    fn solicited_node_group() {
        let addr: Ipv6Addr = "2001:db8::5054:ff:fe12:3456".parse().unwrap();
        assert_eq!(solicited_node(addr), "ff02::1:ff12:3456".parse::<Ipv6Addr>().unwrap());
    }
}
