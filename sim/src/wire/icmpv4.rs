//! ICMP for IPv4 (RFC 792): echo, destination unreachable (with the next-hop MTU of "fragmentation needed",
//! RFC 1191 §4) and time exceeded. Errors quote the invoking datagram up to a 576-byte error datagram
//! (RFC 1812 §4.3.2.3, Linux `icmp_send`), more than smoltcp's 8 bytes.

use super::ip;
use super::ipv4::HEADER_LEN as IPV4_HEADER_LEN;
use super::WireError;

/// The largest ICMPv4 error datagram Linux sends (`icmp_send`: 576 bytes, RFC 1812 §4.3.2.3).
pub const MAX_ERROR_DATAGRAM: usize = 576;
/// The most of the invoking datagram an error quotes: 576 − 20 (IPv4) − 8 (ICMP).
pub const MAX_INVOKING_LEN: usize = MAX_ERROR_DATAGRAM - IPV4_HEADER_LEN - 8;

/// ICMPv4 type numbers (RFC 792).
pub mod msg_type {
    /// Echo Reply.
    pub const ECHO_REPLY: u8 = 0;
    /// Destination Unreachable.
    pub const DST_UNREACHABLE: u8 = 3;
    /// Echo Request.
    pub const ECHO_REQUEST: u8 = 8;
    /// Time Exceeded.
    pub const TIME_EXCEEDED: u8 = 11;
}

wire_enum! {
    /// Destination Unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1).
    pub enum Icmpv4Unreachable(u8) {
        /// Net unreachable.
        NetUnreachable = 0,
        /// Host unreachable (ARP failed, Linux `ip_neigh` / `ipv4_link_failure`).
        HostUnreachable = 1,
        /// Protocol unreachable.
        ProtoUnreachable = 2,
        /// Port unreachable.
        PortUnreachable = 3,
        /// Fragmentation needed and DF set (carries the next-hop MTU, RFC 1191 §4).
        FragNeeded = 4,
        /// Source route failed.
        SourceRouteFailed = 5,
        /// Communication administratively prohibited (RFC 1812).
        AdminProhibited = 13,
    }
}

wire_enum! {
    /// Time Exceeded codes (RFC 792).
    pub enum Icmpv4TimeExceeded(u8) {
        /// TTL exceeded in transit.
        TtlExceeded = 0,
        /// Fragment reassembly time exceeded.
        FragReassemblyExceeded = 1,
    }
}

/// A zero-copy view of an ICMPv4 message.
#[derive(Debug, Clone, Copy)]
pub struct Icmpv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    /// Wraps a buffer without checks.
    pub const fn new_unchecked(buffer: T) -> Icmpv4Packet<T> {
        Icmpv4Packet { buffer }
    }

    /// Wraps untrusted bytes (exactly the ICMP message): at least the 8-byte header.
    pub fn new_checked(buffer: T) -> Result<Icmpv4Packet<T>, WireError> {
        if buffer.as_ref().len() < 8 {
            return Err(WireError::Truncated);
        }
        Ok(Icmpv4Packet { buffer })
    }

    /// Message type.
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[0]
    }

    /// Code.
    pub fn code(&self) -> u8 {
        self.buffer.as_ref()[1]
    }

    /// The 4 bytes after the checksum (ident/seq, unused/MTU).
    pub fn rest_of_header(&self) -> [u8; 4] {
        let b = self.buffer.as_ref();
        [b[4], b[5], b[6], b[7]]
    }

    /// The data after the 8-byte header.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[8..]
    }

    /// Whether the checksum over the whole message verifies (RFC 792).
    pub fn verify_checksum(&self) -> bool {
        ip::verifies(&[ip::sum(self.buffer.as_ref())])
    }
}

/// A validated ICMPv4 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmpv4Repr<'a> {
    /// Echo Request.
    EchoRequest {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Data.
        data: &'a [u8],
    },
    /// Echo Reply.
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Data.
        data: &'a [u8],
    },
    /// Destination Unreachable.
    DstUnreachable {
        /// Code.
        code: Icmpv4Unreachable,
        /// Next-hop MTU for `FragNeeded` (RFC 1191 §4); 0 otherwise.
        next_hop_mtu: u16,
        /// The start of the invoking datagram (truncated to [`MAX_INVOKING_LEN`] on emit).
        invoking: &'a [u8],
    },
    /// Time Exceeded.
    TimeExceeded {
        /// Code.
        code: Icmpv4TimeExceeded,
        /// The start of the invoking datagram.
        invoking: &'a [u8],
    },
}

fn quoted(invoking: &[u8]) -> &[u8] {
    &invoking[..invoking.len().min(MAX_INVOKING_LEN)]
}

impl<'a> Icmpv4Repr<'a> {
    /// Decodes a message after verifying its checksum. Other types (redirect, timestamp, …) are `Unsupported`.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Icmpv4Packet<&'a T>) -> Result<Icmpv4Repr<'a>, WireError> {
        if !packet.verify_checksum() {
            return Err(WireError::BadChecksum);
        }
        Self::decode(packet)
    }

    /// Decodes a message whose checksum was already verified (by [`super::parse_frame`]).
    pub fn decode<T: AsRef<[u8]> + ?Sized>(packet: &Icmpv4Packet<&'a T>) -> Result<Icmpv4Repr<'a>, WireError> {
        let data: &'a [u8] = &packet.buffer.as_ref()[8..];
        let r = packet.rest_of_header();
        let (hi, lo) = (u16::from_be_bytes([r[0], r[1]]), u16::from_be_bytes([r[2], r[3]]));
        Ok(match packet.msg_type() {
            msg_type::ECHO_REQUEST => Icmpv4Repr::EchoRequest {
                ident: hi,
                seq_no: lo,
                data,
            },
            msg_type::ECHO_REPLY => Icmpv4Repr::EchoReply {
                ident: hi,
                seq_no: lo,
                data,
            },
            msg_type::DST_UNREACHABLE => {
                let code = Icmpv4Unreachable::from(packet.code());
                let next_hop_mtu = if code == Icmpv4Unreachable::FragNeeded { lo } else { 0 };
                Icmpv4Repr::DstUnreachable {
                    code,
                    next_hop_mtu,
                    invoking: data,
                }
            }
            msg_type::TIME_EXCEEDED => Icmpv4Repr::TimeExceeded {
                code: packet.code().into(),
                invoking: data,
            },
            _ => return Err(WireError::Unsupported),
        })
    }

    /// Whether this is an error message (never answered with another error, RFC 1122 §3.2.2).
    pub const fn is_error(&self) -> bool {
        matches!(
            self,
            Icmpv4Repr::DstUnreachable { .. } | Icmpv4Repr::TimeExceeded { .. }
        )
    }

    /// Emitted length.
    pub fn buffer_len(&self) -> usize {
        match self {
            Icmpv4Repr::EchoRequest { data, .. } | Icmpv4Repr::EchoReply { data, .. } => 8 + data.len(),
            Icmpv4Repr::DstUnreachable { invoking, .. } | Icmpv4Repr::TimeExceeded { invoking, .. } => {
                8 + quoted(invoking).len()
            }
        }
    }

    /// Writes the message with its checksum into the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let b = buf.get_mut(..self.buffer_len()).ok_or(WireError::BufferTooSmall)?;
        let (ty, code, rest, data): (u8, u8, u32, &[u8]) = match *self {
            Icmpv4Repr::EchoRequest { ident, seq_no, data } => (
                msg_type::ECHO_REQUEST,
                0,
                (u32::from(ident) << 16) | u32::from(seq_no),
                data,
            ),
            Icmpv4Repr::EchoReply { ident, seq_no, data } => (
                msg_type::ECHO_REPLY,
                0,
                (u32::from(ident) << 16) | u32::from(seq_no),
                data,
            ),
            Icmpv4Repr::DstUnreachable {
                code,
                next_hop_mtu,
                invoking,
            } => (
                msg_type::DST_UNREACHABLE,
                code.into(),
                u32::from(next_hop_mtu),
                quoted(invoking),
            ),
            Icmpv4Repr::TimeExceeded { code, invoking } => (msg_type::TIME_EXCEEDED, code.into(), 0, quoted(invoking)),
        };
        b[0] = ty;
        b[1] = code;
        b[2..4].fill(0);
        b[4..8].copy_from_slice(&rest.to_be_bytes());
        b[8..].copy_from_slice(data);
        let checksum = ip::finish(&[ip::sum(b)]);
        b[2..4].copy_from_slice(&checksum.to_be_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Golden: echo request ident 0x1234 seq 1 "abcd"; checksum computed independently.
    const ECHO: [u8; 12] = [8, 0, 0x21, 0x04, 0x12, 0x34, 0x00, 0x01, b'a', b'b', b'c', b'd'];
    // Golden: fragmentation needed, next-hop MTU 1400, quoting the first 8 bytes of an IPv4 header.
    const FRAG_NEEDED: [u8; 16] = [3, 4, 0x72, 0x10, 0, 0, 0x05, 0x78, 0x45, 0, 0, 0x73, 0, 0, 0x40, 0];

    #[test]
    fn echo_golden() {
        let repr = Icmpv4Repr::EchoRequest {
            ident: 0x1234,
            seq_no: 1,
            data: b"abcd",
        };
        let mut buf = [0u8; 12];
        repr.emit(&mut buf).unwrap();
        assert_eq!(buf, ECHO);
        assert_eq!(
            Icmpv4Repr::parse(&Icmpv4Packet::new_checked(&ECHO[..]).unwrap()).unwrap(),
            repr
        );
    }

    #[test]
    fn frag_needed_golden() {
        let repr = Icmpv4Repr::DstUnreachable {
            code: Icmpv4Unreachable::FragNeeded,
            next_hop_mtu: 1400,
            invoking: &FRAG_NEEDED[8..],
        };
        let mut buf = [0u8; 16];
        repr.emit(&mut buf).unwrap();
        assert_eq!(buf, FRAG_NEEDED);
        assert_eq!(
            Icmpv4Repr::parse(&Icmpv4Packet::new_checked(&FRAG_NEEDED[..]).unwrap()).unwrap(),
            repr
        );
        assert!(repr.is_error());
    }

    #[test]
    fn errors_quote_up_to_576_bytes_and_checksums_verify() {
        let big = [0x45u8; 1500];
        let repr = Icmpv4Repr::TimeExceeded {
            code: Icmpv4TimeExceeded::TtlExceeded,
            invoking: &big,
        };
        assert_eq!(repr.buffer_len(), 556);
        let mut buf = [0u8; 556];
        repr.emit(&mut buf).unwrap();
        let parsed = Icmpv4Repr::parse(&Icmpv4Packet::new_checked(&buf[..]).unwrap()).unwrap();
        assert_eq!(
            parsed,
            Icmpv4Repr::TimeExceeded {
                code: Icmpv4TimeExceeded::TtlExceeded,
                invoking: &big[..548]
            }
        );
        buf[20] ^= 0xff;
        assert_eq!(
            Icmpv4Repr::parse(&Icmpv4Packet::new_checked(&buf[..]).unwrap()),
            Err(WireError::BadChecksum)
        );
    }

    #[test]
    fn unknown_and_short() {
        let mut redirect = [5u8, 0, 0, 0, 10, 0, 0, 1];
        let sum = ip::finish(&[ip::sum(&redirect)]);
        redirect[2..4].copy_from_slice(&sum.to_be_bytes());
        assert_eq!(
            Icmpv4Repr::parse(&Icmpv4Packet::new_checked(&redirect[..]).unwrap()),
            Err(WireError::Unsupported)
        );
        assert_eq!(
            Icmpv4Packet::new_checked(&redirect[..7]).err(),
            Some(WireError::Truncated)
        );
    }
}
