//! ICMPv6 (RFC 4443): echo, the four error messages, and the ND messages of [`super::ndisc`], with the
//! pseudo-header checksum of RFC 8200 §8.1 verified on parse and computed on emit.

use std::net::Ipv6Addr;

use super::ip::{self, IpProtocol};
use super::ipv6::{HEADER_LEN as IPV6_HEADER_LEN, MIN_MTU};
use super::ndisc::NdiscRepr;
use super::WireError;

/// Length of the ICMPv6 header proper (type, code, checksum).
pub const HEADER_LEN: usize = 4;

/// The most of the invoking packet an error may quote so that the error fits in the minimum MTU
/// (RFC 4443 §2.4 c): 1280 − 40 (IPv6) − 8 (ICMPv6 error header) = 1232 bytes.
pub const MAX_INVOKING_LEN: usize = MIN_MTU - IPV6_HEADER_LEN - 8;

/// ICMPv6 type numbers (RFC 4443 §2.1, RFC 4861 §4).
pub mod msg_type {
    /// Destination Unreachable (RFC 4443 §3.1).
    pub const DST_UNREACHABLE: u8 = 1;
    /// Packet Too Big (RFC 4443 §3.2).
    pub const PACKET_TOO_BIG: u8 = 2;
    /// Time Exceeded (RFC 4443 §3.3).
    pub const TIME_EXCEEDED: u8 = 3;
    /// Parameter Problem (RFC 4443 §3.4).
    pub const PARAM_PROBLEM: u8 = 4;
    /// Echo Request (RFC 4443 §4.1).
    pub const ECHO_REQUEST: u8 = 128;
    /// Echo Reply (RFC 4443 §4.2).
    pub const ECHO_REPLY: u8 = 129;
    pub use crate::wire::ndisc::msg_type::*;
}

wire_enum! {
    /// Destination Unreachable codes (RFC 4443 §3.1).
    pub enum Icmpv6Unreachable(u8) {
        /// No route to destination.
        NoRoute = 0,
        /// Communication administratively prohibited.
        AdminProhibited = 1,
        /// Beyond scope of source address.
        BeyondScope = 2,
        /// Address unreachable (neighbour resolution failed).
        AddressUnreachable = 3,
        /// Port unreachable.
        PortUnreachable = 4,
        /// Source address failed ingress/egress policy.
        FailedPolicy = 5,
        /// Reject route to destination.
        RejectRoute = 6,
    }
}

wire_enum! {
    /// Time Exceeded codes (RFC 4443 §3.3).
    pub enum Icmpv6TimeExceeded(u8) {
        /// Hop limit exceeded in transit.
        HopLimitExceeded = 0,
        /// Fragment reassembly time exceeded.
        FragReassemblyExceeded = 1,
    }
}

wire_enum! {
    /// Parameter Problem codes (RFC 4443 §3.4, RFC 7112 §6).
    pub enum Icmpv6ParamProblem(u8) {
        /// Erroneous header field encountered.
        ErroneousHeaderField = 0,
        /// Unrecognized Next Header type.
        UnrecognizedNextHeader = 1,
        /// Unrecognized IPv6 option.
        UnrecognizedOption = 2,
        /// IPv6 first fragment has incomplete header chain.
        IncompleteHeaderChain = 3,
    }
}

/// A zero-copy view of an ICMPv6 message (header and body).
#[derive(Debug, Clone, Copy)]
pub struct Icmpv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Wraps a buffer without checks.
    pub const fn new_unchecked(buffer: T) -> Icmpv6Packet<T> {
        Icmpv6Packet { buffer }
    }

    /// Wraps untrusted bytes (exactly the ICMPv6 message): at least the 4-byte header.
    pub fn new_checked(buffer: T) -> Result<Icmpv6Packet<T>, WireError> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        Ok(Icmpv6Packet { buffer })
    }

    /// Message type.
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[0]
    }

    /// Code.
    pub fn code(&self) -> u8 {
        self.buffer.as_ref()[1]
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[2], b[3]])
    }

    /// Everything after the checksum.
    pub fn body(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }

    /// Whether the checksum verifies for this source and destination (RFC 4443 §2.3).
    pub fn verify_checksum(&self, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
        let b = self.buffer.as_ref();
        let len = u32::try_from(b.len()).unwrap_or(u32::MAX);
        ip::verifies(&[ip::pseudo_header_v6(src, dst, IpProtocol::ICMPV6, len), ip::sum(b)])
    }
}

/// A validated ICMPv6 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmpv6Repr<'a> {
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
        code: Icmpv6Unreachable,
        /// The start of the invoking packet (truncated to [`MAX_INVOKING_LEN`] on emit).
        invoking: &'a [u8],
    },
    /// Packet Too Big.
    PacketTooBig {
        /// MTU of the next-hop link.
        mtu: u32,
        /// The start of the invoking packet.
        invoking: &'a [u8],
    },
    /// Time Exceeded.
    TimeExceeded {
        /// Code.
        code: Icmpv6TimeExceeded,
        /// The start of the invoking packet.
        invoking: &'a [u8],
    },
    /// Parameter Problem.
    ParamProblem {
        /// Code.
        code: Icmpv6ParamProblem,
        /// Offset of the error in the invoking packet.
        pointer: u32,
        /// The start of the invoking packet.
        invoking: &'a [u8],
    },
    /// A Neighbour Discovery message.
    Ndisc(NdiscRepr<'a>),
}

fn quoted(invoking: &[u8]) -> &[u8] {
    &invoking[..invoking.len().min(MAX_INVOKING_LEN)]
}

impl<'a> Icmpv6Repr<'a> {
    /// Decodes a message after verifying its checksum (`BadChecksum`). Unknown types (MLD, RPL, …) are
    /// `Unsupported`; ND messages are checked by [`NdiscRepr::parse`].
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Icmpv6Packet<&'a T>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
    ) -> Result<Icmpv6Repr<'a>, WireError> {
        if !packet.verify_checksum(src, dst) {
            return Err(WireError::BadChecksum);
        }
        Self::decode(packet)
    }

    /// Decodes a message whose checksum was already verified (by [`super::parse_frame`]), without summing again.
    pub fn decode<T: AsRef<[u8]> + ?Sized>(packet: &Icmpv6Packet<&'a T>) -> Result<Icmpv6Repr<'a>, WireError> {
        let body: &'a [u8] = &packet.buffer.as_ref()[HEADER_LEN..];
        let (msg, code) = (packet.msg_type(), packet.code());
        if !matches!(msg, 1..=4 | 128 | 129) {
            return NdiscRepr::parse(msg, code, body).map(Icmpv6Repr::Ndisc);
        }
        if body.len() < 4 {
            return Err(WireError::Truncated);
        }
        let word = u32::from_be_bytes([body[0], body[1], body[2], body[3]]);
        let rest = &body[4..];
        let (hi, lo) = ((word >> 16) as u16, word as u16);
        Ok(match msg {
            msg_type::ECHO_REQUEST => Icmpv6Repr::EchoRequest {
                ident: hi,
                seq_no: lo,
                data: rest,
            },
            msg_type::ECHO_REPLY => Icmpv6Repr::EchoReply {
                ident: hi,
                seq_no: lo,
                data: rest,
            },
            msg_type::DST_UNREACHABLE => Icmpv6Repr::DstUnreachable {
                code: code.into(),
                invoking: rest,
            },
            msg_type::PACKET_TOO_BIG => Icmpv6Repr::PacketTooBig {
                mtu: word,
                invoking: rest,
            },
            msg_type::TIME_EXCEEDED => Icmpv6Repr::TimeExceeded {
                code: code.into(),
                invoking: rest,
            },
            _ => Icmpv6Repr::ParamProblem {
                code: code.into(),
                pointer: word,
                invoking: rest,
            },
        })
    }

    /// The message type.
    pub const fn msg_type(&self) -> u8 {
        match self {
            Icmpv6Repr::EchoRequest { .. } => msg_type::ECHO_REQUEST,
            Icmpv6Repr::EchoReply { .. } => msg_type::ECHO_REPLY,
            Icmpv6Repr::DstUnreachable { .. } => msg_type::DST_UNREACHABLE,
            Icmpv6Repr::PacketTooBig { .. } => msg_type::PACKET_TOO_BIG,
            Icmpv6Repr::TimeExceeded { .. } => msg_type::TIME_EXCEEDED,
            Icmpv6Repr::ParamProblem { .. } => msg_type::PARAM_PROBLEM,
            Icmpv6Repr::Ndisc(nd) => nd.msg_type(),
        }
    }

    /// Whether this is an error message (type < 128, RFC 4443 §2.1): never sent in answer to another error.
    pub const fn is_error(&self) -> bool {
        self.msg_type() < 128
    }

    fn code(&self) -> u8 {
        match *self {
            Icmpv6Repr::DstUnreachable { code, .. } => code.into(),
            Icmpv6Repr::TimeExceeded { code, .. } => code.into(),
            Icmpv6Repr::ParamProblem { code, .. } => code.into(),
            _ => 0,
        }
    }

    /// Emitted length: errors quote at most [`MAX_INVOKING_LEN`] bytes.
    pub fn buffer_len(&self) -> usize {
        match self {
            Icmpv6Repr::EchoRequest { data, .. } | Icmpv6Repr::EchoReply { data, .. } => 8 + data.len(),
            Icmpv6Repr::DstUnreachable { invoking, .. }
            | Icmpv6Repr::PacketTooBig { invoking, .. }
            | Icmpv6Repr::TimeExceeded { invoking, .. }
            | Icmpv6Repr::ParamProblem { invoking, .. } => 8 + quoted(invoking).len(),
            Icmpv6Repr::Ndisc(nd) => HEADER_LEN + nd.body_len(),
        }
    }

    /// Writes the message with its checksum for `src` → `dst` into the start of `buf`.
    pub fn emit(&self, src: Ipv6Addr, dst: Ipv6Addr, buf: &mut [u8]) -> Result<(), WireError> {
        let len = self.buffer_len();
        let buf = buf.get_mut(..len).ok_or(WireError::BufferTooSmall)?;
        buf[0] = self.msg_type();
        buf[1] = self.code();
        buf[2..4].fill(0);
        let (word, rest): (u32, &[u8]) = match *self {
            Icmpv6Repr::EchoRequest { ident, seq_no, data } | Icmpv6Repr::EchoReply { ident, seq_no, data } => {
                ((u32::from(ident) << 16) | u32::from(seq_no), data)
            }
            Icmpv6Repr::DstUnreachable { invoking, .. } | Icmpv6Repr::TimeExceeded { invoking, .. } => {
                (0, quoted(invoking))
            }
            Icmpv6Repr::PacketTooBig { mtu, invoking } => (mtu, quoted(invoking)),
            Icmpv6Repr::ParamProblem { pointer, invoking, .. } => (pointer, quoted(invoking)),
            Icmpv6Repr::Ndisc(nd) => {
                nd.emit_body(&mut buf[HEADER_LEN..])?;
                (0, &[])
            }
        };
        if !matches!(self, Icmpv6Repr::Ndisc(_)) {
            buf[4..8].copy_from_slice(&word.to_be_bytes());
            buf[8..].copy_from_slice(rest);
        }
        let len32 = u32::try_from(len).map_err(|_| WireError::BadLength)?;
        let checksum = ip::finish(&[ip::pseudo_header_v6(src, dst, IpProtocol::ICMPV6, len32), ip::sum(buf)]);
        buf[2..4].copy_from_slice(&checksum.to_be_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    // Golden: fe80::1 → fe80::2 echo request, ident 0x1234, seq 1, data "abcd"; checksum computed independently.
    const ECHO: [u8; 12] = [128, 0, 0xab, 0xb8, 0x12, 0x34, 0x00, 0x01, b'a', b'b', b'c', b'd'];
    // Golden: 2001:db8::ffff → 2001:db8::1 Packet Too Big, MTU 1400, quoting 8 bytes of an IPv6 header.
    const PTB: [u8; 16] = [2, 0, 0x02, 0x8a, 0, 0, 0x05, 0x78, 0x60, 0, 0, 0, 0, 0, 0x3a, 0x40];

    #[test]
    fn echo_golden() {
        let repr = Icmpv6Repr::EchoRequest {
            ident: 0x1234,
            seq_no: 1,
            data: b"abcd",
        };
        let mut buf = [0u8; 12];
        repr.emit(a("fe80::1"), a("fe80::2"), &mut buf).unwrap();
        assert_eq!(buf, ECHO);
        let packet = Icmpv6Packet::new_checked(&ECHO[..]).unwrap();
        assert_eq!(Icmpv6Repr::parse(&packet, a("fe80::1"), a("fe80::2")).unwrap(), repr);
        // The pseudo-header matters: another destination fails the checksum.
        assert_eq!(
            Icmpv6Repr::parse(&packet, a("fe80::1"), a("fe80::3")),
            Err(WireError::BadChecksum)
        );
    }

    #[test]
    fn packet_too_big_golden() {
        let repr = Icmpv6Repr::PacketTooBig {
            mtu: 1400,
            invoking: &PTB[8..],
        };
        let mut buf = [0u8; 16];
        repr.emit(a("2001:db8::ffff"), a("2001:db8::1"), &mut buf).unwrap();
        assert_eq!(buf, PTB);
        let packet = Icmpv6Packet::new_checked(&PTB[..]).unwrap();
        assert_eq!(
            Icmpv6Repr::parse(&packet, a("2001:db8::ffff"), a("2001:db8::1")).unwrap(),
            repr
        );
        assert!(repr.is_error());
    }

    #[test]
    fn errors_quote_at_most_1232_bytes() {
        let big = [0x60u8; 1500];
        let repr = Icmpv6Repr::DstUnreachable {
            code: Icmpv6Unreachable::AddressUnreachable,
            invoking: &big,
        };
        assert_eq!(repr.buffer_len(), 1240);
        let mut buf = [0u8; 1240];
        repr.emit(a("2001:db8::1"), a("2001:db8::2"), &mut buf).unwrap();
        assert_eq!(buf[1], 3);
        let parsed = Icmpv6Repr::parse(
            &Icmpv6Packet::new_checked(&buf[..]).unwrap(),
            a("2001:db8::1"),
            a("2001:db8::2"),
        );
        assert_eq!(
            parsed.unwrap(),
            Icmpv6Repr::DstUnreachable {
                code: Icmpv6Unreachable::AddressUnreachable,
                invoking: &big[..1232]
            }
        );
    }

    #[test]
    fn param_problem_and_time_exceeded_round_trip() {
        for repr in [
            Icmpv6Repr::ParamProblem {
                code: Icmpv6ParamProblem::IncompleteHeaderChain,
                pointer: 40,
                invoking: &[1; 48],
            },
            Icmpv6Repr::TimeExceeded {
                code: Icmpv6TimeExceeded::HopLimitExceeded,
                invoking: &[2; 48],
            },
            Icmpv6Repr::DstUnreachable {
                code: Icmpv6Unreachable::Unknown(9),
                invoking: &[],
            },
        ] {
            let mut buf = [0u8; 56];
            repr.emit(a("::1"), a("::1"), &mut buf).unwrap();
            let packet = Icmpv6Packet::new_checked(&buf[..repr.buffer_len()]).unwrap();
            assert_eq!(Icmpv6Repr::parse(&packet, a("::1"), a("::1")).unwrap(), repr);
        }
    }

    #[test]
    fn short_and_unknown_messages() {
        assert_eq!(
            Icmpv6Packet::new_checked(&[128u8, 0, 0][..]).err(),
            Some(WireError::Truncated)
        );
        // An MLD query (130) with a valid checksum is well-formed but not represented.
        let mut mld = [130u8, 0, 0, 0, 0, 0, 0, 0];
        let sum = ip::finish(&[
            ip::pseudo_header_v6(a("::1"), a("::1"), IpProtocol::ICMPV6, 8),
            ip::sum(&mld),
        ]);
        mld[2..4].copy_from_slice(&sum.to_be_bytes());
        let packet = Icmpv6Packet::new_checked(&mld[..]).unwrap();
        assert_eq!(
            Icmpv6Repr::parse(&packet, a("::1"), a("::1")),
            Err(WireError::Unsupported)
        );
    }
}
