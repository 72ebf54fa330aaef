//! ARP for IPv4 over Ethernet (RFC 826): the only hardware/protocol pair the simulator speaks. Anything else is
//! `Unsupported` (Linux `arp_rcv` drops it the same way).

use std::net::Ipv4Addr;

use super::mac::MacAddr;
use super::WireError;

/// Length of an Ethernet/IPv4 ARP packet.
pub const PACKET_LEN: usize = 28;

wire_enum! {
    /// ARP opcode (RFC 826; RFC 5227 uses requests for probes and announcements).
    pub enum ArpOperation(u16) {
        /// Request.
        Request = 1,
        /// Reply.
        Reply = 2,
    }
}

mod field {
    use core::ops::Range;
    pub const HTYPE: Range<usize> = 0..2;
    pub const PTYPE: Range<usize> = 2..4;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: Range<usize> = 6..8;
    pub const SHA: Range<usize> = 8..14;
    pub const SPA: Range<usize> = 14..18;
    pub const THA: Range<usize> = 18..24;
    pub const TPA: Range<usize> = 24..28;
}

/// A zero-copy view of an ARP packet.
#[derive(Debug, Clone, Copy)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

fn v4(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

fn mac(b: &[u8]) -> MacAddr {
    MacAddr([b[0], b[1], b[2], b[3], b[4], b[5]])
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    /// Wraps a buffer without checks.
    pub const fn new_unchecked(buffer: T) -> ArpPacket<T> {
        ArpPacket { buffer }
    }

    /// Wraps untrusted bytes: at least 28 bytes (trailing Ethernet padding is allowed).
    pub fn new_checked(buffer: T) -> Result<ArpPacket<T>, WireError> {
        if buffer.as_ref().len() < PACKET_LEN {
            return Err(WireError::Truncated);
        }
        Ok(ArpPacket { buffer })
    }

    fn be16(&self, r: core::ops::Range<usize>) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[r.start], b[r.start + 1]])
    }

    /// Hardware type (1 = Ethernet).
    pub fn hardware_type(&self) -> u16 {
        self.be16(field::HTYPE)
    }

    /// Protocol type (0x0800 = IPv4).
    pub fn protocol_type(&self) -> u16 {
        self.be16(field::PTYPE)
    }

    /// Hardware and protocol address lengths.
    pub fn address_lens(&self) -> (u8, u8) {
        let b = self.buffer.as_ref();
        (b[field::HLEN], b[field::PLEN])
    }

    /// Opcode.
    pub fn operation(&self) -> ArpOperation {
        self.be16(field::OPER).into()
    }

    /// Sender hardware address.
    pub fn sender_mac(&self) -> MacAddr {
        mac(&self.buffer.as_ref()[field::SHA])
    }

    /// Sender protocol address.
    pub fn sender_ip(&self) -> Ipv4Addr {
        v4(&self.buffer.as_ref()[field::SPA])
    }

    /// Target hardware address.
    pub fn target_mac(&self) -> MacAddr {
        mac(&self.buffer.as_ref()[field::THA])
    }

    /// Target protocol address.
    pub fn target_ip(&self) -> Ipv4Addr {
        v4(&self.buffer.as_ref()[field::TPA])
    }
}

/// A validated Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArpRepr {
    /// Request, reply or another opcode.
    pub operation: ArpOperation,
    /// Sender hardware address.
    pub sender_mac: MacAddr,
    /// Sender protocol address (0.0.0.0 in an RFC 5227 probe).
    pub sender_ip: Ipv4Addr,
    /// Target hardware address (zero in a request).
    pub target_mac: MacAddr,
    /// Target protocol address.
    pub target_ip: Ipv4Addr,
}

impl ArpRepr {
    /// Decodes a checked packet: hardware type 1 with length 6 and protocol 0x0800 with length 4, else
    /// `Unsupported`.
    pub fn parse<T: AsRef<[u8]>>(packet: &ArpPacket<T>) -> Result<ArpRepr, WireError> {
        if packet.hardware_type() != 1 || packet.protocol_type() != 0x0800 || packet.address_lens() != (6, 4) {
            return Err(WireError::Unsupported);
        }
        Ok(ArpRepr {
            operation: packet.operation(),
            sender_mac: packet.sender_mac(),
            sender_ip: packet.sender_ip(),
            target_mac: packet.target_mac(),
            target_ip: packet.target_ip(),
        })
    }

    /// 28 bytes.
    pub const fn buffer_len(&self) -> usize {
        PACKET_LEN
    }

    /// A request for `target_ip` (RFC 826): target hardware address zero, sent to broadcast.
    pub const fn request(sender_mac: MacAddr, sender_ip: Ipv4Addr, target_ip: Ipv4Addr) -> ArpRepr {
        ArpRepr {
            operation: ArpOperation::Request,
            sender_mac,
            sender_ip,
            target_mac: MacAddr::UNSPECIFIED,
            target_ip,
        }
    }

    /// The reply to this request from the owner of `target_ip`.
    pub const fn reply_from(&self, owner_mac: MacAddr) -> ArpRepr {
        ArpRepr {
            operation: ArpOperation::Reply,
            sender_mac: owner_mac,
            sender_ip: self.target_ip,
            target_mac: self.sender_mac,
            target_ip: self.sender_ip,
        }
    }

    /// Writes the packet into the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let b = buf.get_mut(..PACKET_LEN).ok_or(WireError::BufferTooSmall)?;
        b[field::HTYPE].copy_from_slice(&1u16.to_be_bytes());
        b[field::PTYPE].copy_from_slice(&0x0800u16.to_be_bytes());
        b[field::HLEN] = 6;
        b[field::PLEN] = 4;
        b[field::OPER].copy_from_slice(&u16::from(self.operation).to_be_bytes());
        b[field::SHA].copy_from_slice(&self.sender_mac.0);
        b[field::SPA].copy_from_slice(&self.sender_ip.octets());
        b[field::THA].copy_from_slice(&self.target_mac.0);
        b[field::TPA].copy_from_slice(&self.target_ip.octets());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Golden: 52:54:00:12:34:56 (10.0.9.165) asks who has 10.0.9.151 (the BOSH director of the seed).
    const REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 10, 0, 9, 165, 0, 0, 0, 0, 0, 0,
        10, 0, 9, 151,
    ];

    fn request() -> ArpRepr {
        ArpRepr::request(
            MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56]),
            Ipv4Addr::new(10, 0, 9, 165),
            Ipv4Addr::new(10, 0, 9, 151),
        )
    }

    #[test]
    fn request_golden() {
        let mut buf = [0u8; 28];
        request().emit(&mut buf).unwrap();
        assert_eq!(buf, REQUEST);
        let mut padded = REQUEST.to_vec();
        padded.extend_from_slice(&[0; 18]);
        assert_eq!(
            ArpRepr::parse(&ArpPacket::new_checked(&padded[..]).unwrap()).unwrap(),
            request()
        );
    }

    #[test]
    fn reply_swaps_sender_and_target() {
        let reply = request().reply_from(MacAddr([2, 0, 0, 0, 0, 0x51]));
        assert_eq!(reply.operation, ArpOperation::Reply);
        assert_eq!(
            (reply.sender_ip, reply.target_ip),
            (Ipv4Addr::new(10, 0, 9, 151), Ipv4Addr::new(10, 0, 9, 165))
        );
        assert_eq!(reply.target_mac, MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56]));
        let mut buf = [0u8; 28];
        reply.emit(&mut buf).unwrap();
        assert_eq!(&buf[6..8], &[0, 2]);
    }

    #[test]
    fn rejects_other_hardware_and_short_packets() {
        let mut other = REQUEST;
        other[1] = 6; // IEEE 802 hardware type
        assert_eq!(
            ArpRepr::parse(&ArpPacket::new_checked(&other[..]).unwrap()),
            Err(WireError::Unsupported)
        );
        assert_eq!(ArpPacket::new_checked(&REQUEST[..27]).err(), Some(WireError::Truncated));
    }
}
