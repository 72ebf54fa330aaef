//! UDP (RFC 768) over IPv4 and IPv6. The checksum is mandatory over IPv6 (RFC 8200 §8.1: a zero checksum is
//! dropped) and optional over IPv4 (zero = none).

use super::ip::{self, IpPair, IpProtocol};
use super::WireError;

/// Length of the UDP header.
pub const HEADER_LEN: usize = 8;

/// A zero-copy view of a UDP datagram.
#[derive(Debug, Clone, Copy)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    /// Wraps a buffer without checks.
    pub const fn new_unchecked(buffer: T) -> UdpPacket<T> {
        UdpPacket { buffer }
    }

    /// Wraps untrusted bytes (the IP payload): the header must be present and its length field must be at least
    /// 8 and at most the buffer (RFC 768; Linux `__udp4_lib_rcv` drops "short packet" otherwise).
    pub fn new_checked(buffer: T) -> Result<UdpPacket<T>, WireError> {
        let len = buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let packet = UdpPacket { buffer };
        let field = usize::from(packet.len());
        if field < HEADER_LEN {
            return Err(WireError::BadLength);
        }
        if field > len {
            return Err(WireError::Truncated);
        }
        Ok(packet)
    }

    fn be16(&self, at: usize) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[at], b[at + 1]])
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        self.be16(0)
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        self.be16(2)
    }

    /// Length field: header and data.
    pub fn len(&self) -> u16 {
        self.be16(4)
    }

    /// Whether the length field is 8 (no data).
    pub fn is_empty(&self) -> bool {
        self.len() == 8
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        self.be16(6)
    }

    /// The data, as the length field says.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..usize::from(self.len())]
    }

    /// Whether the checksum verifies for these addresses (a zero checksum over IPv4 means "none" and verifies).
    pub fn verify_checksum(&self, addrs: IpPair) -> bool {
        if self.checksum() == 0 {
            return matches!(addrs, IpPair::V4 { .. });
        }
        let datagram = &self.buffer.as_ref()[..usize::from(self.len())];
        ip::verifies(&[
            addrs.pseudo_header(IpProtocol::UDP, u32::from(self.len())),
            ip::sum(datagram),
        ])
    }
}

/// A validated UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpRepr<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Data.
    pub payload: &'a [u8],
}

impl<'a> UdpRepr<'a> {
    /// Decodes a checked datagram after verifying its checksum (`BadChecksum`).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &UdpPacket<&'a T>, addrs: IpPair) -> Result<UdpRepr<'a>, WireError> {
        if !packet.verify_checksum(addrs) {
            return Err(WireError::BadChecksum);
        }
        Ok(Self::decode(packet))
    }

    /// Decodes a datagram whose checksum was already verified (by [`super::parse_frame`]).
    pub fn decode<T: AsRef<[u8]> + ?Sized>(packet: &UdpPacket<&'a T>) -> UdpRepr<'a> {
        let end = usize::from(packet.len());
        UdpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            payload: &packet.buffer.as_ref()[HEADER_LEN..end],
        }
    }

    /// Header and data.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// Writes the datagram with its checksum (0 is sent as 0xffff, RFC 768) into the start of `buf`.
    pub fn emit(&self, addrs: IpPair, buf: &mut [u8]) -> Result<(), WireError> {
        let len = u16::try_from(self.buffer_len()).map_err(|_| WireError::BadLength)?;
        let b = buf.get_mut(..usize::from(len)).ok_or(WireError::BufferTooSmall)?;
        b[0..2].copy_from_slice(&self.src_port.to_be_bytes());
        b[2..4].copy_from_slice(&self.dst_port.to_be_bytes());
        b[4..6].copy_from_slice(&len.to_be_bytes());
        b[6..8].fill(0);
        b[8..].copy_from_slice(self.payload);
        let checksum = match ip::finish(&[addrs.pseudo_header(IpProtocol::UDP, u32::from(len)), ip::sum(b)]) {
            0 => 0xffff,
            c => c,
        };
        b[6..8].copy_from_slice(&checksum.to_be_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const V4: IpPair = IpPair::V4 {
        src: Ipv4Addr::new(10, 0, 0, 1),
        dst: Ipv4Addr::new(10, 0, 0, 2),
    };
    // Golden: 10.0.0.1:53000 → 10.0.0.2:53, "abcd"; checksum computed independently.
    const DATAGRAM: [u8; 12] = [0xcf, 0x08, 0x00, 0x35, 0x00, 0x0c, 0x57, 0xcf, b'a', b'b', b'c', b'd'];

    #[test]
    fn golden_v4() {
        let repr = UdpRepr {
            src_port: 53000,
            dst_port: 53,
            payload: b"abcd",
        };
        let mut buf = [0u8; 12];
        repr.emit(V4, &mut buf).unwrap();
        assert_eq!(buf, DATAGRAM);
        assert_eq!(
            UdpRepr::parse(&UdpPacket::new_checked(&DATAGRAM[..]).unwrap(), V4).unwrap(),
            repr
        );
    }

    #[test]
    fn zero_checksum_is_valid_only_over_ipv4() {
        let mut none = DATAGRAM;
        none[6..8].fill(0);
        let packet = UdpPacket::new_checked(&none[..]).unwrap();
        assert!(packet.verify_checksum(V4));
        let v6 = IpPair::V6 {
            src: Ipv6Addr::LOCALHOST,
            dst: Ipv6Addr::LOCALHOST,
        };
        assert_eq!(UdpRepr::parse(&packet, v6), Err(WireError::BadChecksum));
        let repr = UdpRepr {
            src_port: 1,
            dst_port: 2,
            payload: &[9; 5],
        };
        let mut buf = [0u8; 13];
        repr.emit(v6, &mut buf).unwrap();
        assert_eq!(
            UdpRepr::parse(&UdpPacket::new_checked(&buf[..]).unwrap(), v6).unwrap(),
            repr
        );
    }

    #[test]
    fn length_field_checks() {
        let mut bad = DATAGRAM;
        bad[5] = 7;
        assert_eq!(UdpPacket::new_checked(&bad[..]).err(), Some(WireError::BadLength));
        bad[5] = 13;
        assert_eq!(UdpPacket::new_checked(&bad[..]).err(), Some(WireError::Truncated));
        assert_eq!(UdpPacket::new_checked(&DATAGRAM[..7]).err(), Some(WireError::Truncated));
    }
}
