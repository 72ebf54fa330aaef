//! The IPv4 header (RFC 791 §3.1): checksum verified on parse and computed on emit, fragmentation fields kept
//! (the don't-fragment bit decides between fragmenting and "fragmentation needed", RFC 1191). Options are
//! skipped on parse and never emitted.

use std::net::Ipv4Addr;

use super::ip::{self, IpProtocol};
use super::WireError;

/// Length of an IPv4 header without options.
pub const HEADER_LEN: usize = 20;

mod field {
    use core::ops::Range;
    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..6;
    pub const FLG_OFF: Range<usize> = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Range<usize> = 10..12;
    pub const SRC: Range<usize> = 12..16;
    pub const DST: Range<usize> = 16..20;
}

/// A zero-copy view of an IPv4 packet.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps a buffer without checks.
    pub const fn new_unchecked(buffer: T) -> Ipv4Packet<T> {
        Ipv4Packet { buffer }
    }

    /// Wraps untrusted bytes: version 4, IHL ≥ 5, header and total length within the buffer (trailing Ethernet
    /// padding allowed). The checksum is checked by [`Ipv4Repr::parse`].
    pub fn new_checked(buffer: T) -> Result<Ipv4Packet<T>, WireError> {
        let packet = Ipv4Packet { buffer };
        let len = packet.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if packet.version() != 4 {
            return Err(WireError::BadVersion);
        }
        let header_len = packet.header_len();
        if header_len < HEADER_LEN {
            return Err(WireError::BadHeaderLength);
        }
        let total = usize::from(packet.total_len());
        if total < header_len {
            return Err(WireError::BadLength);
        }
        if header_len > len || total > len {
            return Err(WireError::Truncated);
        }
        Ok(packet)
    }

    fn be16(&self, r: core::ops::Range<usize>) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[r.start], b[r.start + 1]])
    }

    /// Version nibble.
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }

    /// DSCP and ECN.
    pub fn dscp_ecn(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN]
    }

    /// Total length.
    pub fn total_len(&self) -> u16 {
        self.be16(field::LENGTH)
    }

    /// Identification.
    pub fn ident(&self) -> u16 {
        self.be16(field::IDENT)
    }

    /// DF flag.
    pub fn dont_frag(&self) -> bool {
        self.be16(field::FLG_OFF) & 0x4000 != 0
    }

    /// MF flag.
    pub fn more_frags(&self) -> bool {
        self.be16(field::FLG_OFF) & 0x2000 != 0
    }

    /// Fragment offset in 8-octet units.
    pub fn frag_offset(&self) -> u16 {
        self.be16(field::FLG_OFF) & 0x1fff
    }

    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// Protocol.
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol(self.buffer.as_ref()[field::PROTOCOL])
    }

    /// Header checksum field.
    pub fn checksum(&self) -> u16 {
        self.be16(field::CHECKSUM)
    }

    /// Source address.
    pub fn src(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::SRC];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }

    /// Destination address.
    pub fn dst(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::DST];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }

    /// Whether the header checksum verifies (RFC 791 §3.1).
    pub fn verify_checksum(&self) -> bool {
        ip::verifies(&[ip::sum(&self.buffer.as_ref()[..self.header_len()])])
    }

    /// The payload, `total_len − header_len` bytes (padding cut off).
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..usize::from(self.total_len())]
    }

    /// Header and payload without padding: what an ICMP error quotes.
    pub fn packet_bytes(&self) -> &[u8] {
        &self.buffer.as_ref()[..usize::from(self.total_len())]
    }
}

/// A validated IPv4 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Repr {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Upper-layer protocol.
    pub protocol: IpProtocol,
    /// Time to live.
    pub ttl: u8,
    /// Payload length (total length minus the header).
    pub payload_len: u16,
    /// DSCP and ECN.
    pub dscp_ecn: u8,
    /// Identification.
    pub ident: u16,
    /// Don't fragment.
    pub dont_frag: bool,
    /// More fragments.
    pub more_frags: bool,
    /// Fragment offset in 8-octet units.
    pub frag_offset: u16,
}

impl Ipv4Repr {
    /// Decodes a checked packet after verifying the header checksum (`BadChecksum`; Linux `ip_rcv_core`).
    pub fn parse<T: AsRef<[u8]>>(packet: &Ipv4Packet<T>) -> Result<Ipv4Repr, WireError> {
        if !packet.verify_checksum() {
            return Err(WireError::BadChecksum);
        }
        Ok(Ipv4Repr {
            src: packet.src(),
            dst: packet.dst(),
            protocol: packet.protocol(),
            ttl: packet.ttl(),
            payload_len: packet.total_len().saturating_sub(packet.header_len() as u16),
            dscp_ecn: packet.dscp_ecn(),
            ident: packet.ident(),
            dont_frag: packet.dont_frag(),
            more_frags: packet.more_frags(),
            frag_offset: packet.frag_offset(),
        })
    }

    /// Part of a fragmented datagram: MF set or offset ≠ 0 (RFC 791 §3.2).
    pub const fn is_fragment(&self) -> bool {
        self.more_frags || self.frag_offset != 0
    }

    /// 20 bytes: options are never emitted.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header with its checksum into the start of `buf`. A payload that makes the total length exceed
    /// 65535 is `BadLength`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let total = self
            .payload_len
            .checked_add(HEADER_LEN as u16)
            .ok_or(WireError::BadLength)?;
        let b = buf.get_mut(..HEADER_LEN).ok_or(WireError::BufferTooSmall)?;
        b[field::VER_IHL] = 0x45;
        b[field::DSCP_ECN] = self.dscp_ecn;
        b[field::LENGTH].copy_from_slice(&total.to_be_bytes());
        b[field::IDENT].copy_from_slice(&self.ident.to_be_bytes());
        let flg_off =
            (u16::from(self.dont_frag) << 14) | (u16::from(self.more_frags) << 13) | (self.frag_offset & 0x1fff);
        b[field::FLG_OFF].copy_from_slice(&flg_off.to_be_bytes());
        b[field::TTL] = self.ttl;
        b[field::PROTOCOL] = self.protocol.0;
        b[field::CHECKSUM].fill(0);
        b[field::SRC].copy_from_slice(&self.src.octets());
        b[field::DST].copy_from_slice(&self.dst.octets());
        let checksum = ip::finish(&[ip::sum(b)]);
        b[field::CHECKSUM].copy_from_slice(&checksum.to_be_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Golden: the well-known header 192.168.0.1 → 192.168.0.199, UDP, total length 115, DF, TTL 64,
    // checksum 0xb861.
    const HEADER: [u8; 20] = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
        0x00, 0xc7,
    ];

    fn repr() -> Ipv4Repr {
        Ipv4Repr {
            src: Ipv4Addr::new(192, 168, 0, 1),
            dst: Ipv4Addr::new(192, 168, 0, 199),
            protocol: IpProtocol::UDP,
            ttl: 64,
            payload_len: 95,
            dscp_ecn: 0,
            ident: 0,
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
        }
    }

    fn packet_with_payload() -> Vec<u8> {
        let mut bytes = HEADER.to_vec();
        bytes.resize(115, 0xab);
        bytes
    }

    #[test]
    fn parse_golden() {
        let bytes = packet_with_payload();
        let packet = Ipv4Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(Ipv4Repr::parse(&packet).unwrap(), repr());
        assert_eq!(packet.payload().len(), 95);
        assert!(!repr().is_fragment());
    }

    #[test]
    fn emit_golden() {
        let mut buf = [0u8; 20];
        repr().emit(&mut buf).unwrap();
        assert_eq!(buf, HEADER);
    }

    #[test]
    fn malformed_headers() {
        let mut bytes = packet_with_payload();
        bytes[11] ^= 1;
        assert_eq!(
            Ipv4Repr::parse(&Ipv4Packet::new_checked(&bytes[..]).unwrap()),
            Err(WireError::BadChecksum)
        );
        let bytes = packet_with_payload();
        assert_eq!(Ipv4Packet::new_checked(&bytes[..114]).err(), Some(WireError::Truncated));
        let mut bad = packet_with_payload();
        bad[0] = 0x44;
        assert_eq!(
            Ipv4Packet::new_checked(&bad[..]).err(),
            Some(WireError::BadHeaderLength)
        );
        bad[0] = 0x65;
        assert_eq!(Ipv4Packet::new_checked(&bad[..]).err(), Some(WireError::BadVersion));
        let mut short_total = packet_with_payload();
        short_total[3] = 19;
        assert_eq!(
            Ipv4Packet::new_checked(&short_total[..]).err(),
            Some(WireError::BadLength)
        );
    }

    #[test]
    fn fragment_fields_round_trip() {
        let frag = Ipv4Repr {
            dont_frag: false,
            more_frags: true,
            frag_offset: 185,
            ident: 0xbeef,
            ..repr()
        };
        let mut buf = packet_with_payload();
        frag.emit(&mut buf).unwrap();
        let parsed = Ipv4Repr::parse(&Ipv4Packet::new_checked(&buf[..]).unwrap()).unwrap();
        assert_eq!(parsed, frag);
        assert!(parsed.is_fragment());
    }
}
