//! The TCP header (RFC 9293 §3.1) with the options a Linux peer negotiates: MSS, window scale (RFC 7323 §2),
//! SACK-permitted and SACK blocks (RFC 2018), timestamps (RFC 7323 §3).
//!
//! Written here rather than taken from smoltcp because smoltcp's `TcpRepr` holds a single control flag: the
//! firewall and reset scenarios need any flag combination (SYN+FIN, RST+ACK with data, ECE/CWR). Options are
//! emitted in the order and alignment Linux `tcp_options_write` uses, so captures look like a kernel's.

use super::ip::{self, IpPair, IpProtocol};
use super::WireError;

/// Length of a TCP header without options.
pub const HEADER_LEN: usize = 20;

/// The eight flag bits of byte 13 (RFC 9293 §3.1, RFC 3168 §6.1 for ECE/CWR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// FIN.
    pub const FIN: TcpFlags = TcpFlags(0x01);
    /// SYN.
    pub const SYN: TcpFlags = TcpFlags(0x02);
    /// RST.
    pub const RST: TcpFlags = TcpFlags(0x04);
    /// PSH.
    pub const PSH: TcpFlags = TcpFlags(0x08);
    /// ACK.
    pub const ACK: TcpFlags = TcpFlags(0x10);
    /// URG.
    pub const URG: TcpFlags = TcpFlags(0x20);
    /// ECE.
    pub const ECE: TcpFlags = TcpFlags(0x40);
    /// CWR.
    pub const CWR: TcpFlags = TcpFlags(0x80);

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | rhs.0)
    }
}

/// The options this layer understands; others are skipped on parse, as Linux `tcp_parse_options` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpOptions {
    /// Maximum segment size (kind 2).
    pub mss: Option<u16>,
    /// Window scale shift (kind 3).
    pub window_scale: Option<u8>,
    /// SACK permitted (kind 4).
    pub sack_permitted: bool,
    /// Timestamps `(TSval, TSecr)` (kind 8).
    pub timestamp: Option<(u32, u32)>,
    /// SACK blocks `(left, right)` (kind 5), at most 3.
    pub sack_blocks: [Option<(u32, u32)>; 3],
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

impl TcpOptions {
    /// Parses the options area. A length octet of 0 or 1, or one running past the end, is `BadOptionLength`
    /// (Linux stops parsing there); a known option with the wrong length is ignored, as Linux ignores it.
    pub fn parse(mut b: &[u8]) -> Result<TcpOptions, WireError> {
        let mut opts = TcpOptions::default();
        while let Some(&kind) = b.first() {
            match kind {
                0 => break,
                1 => {
                    b = &b[1..];
                    continue;
                }
                _ => {}
            }
            let len = usize::from(*b.get(1).ok_or(WireError::BadOptionLength)?);
            if len < 2 || len > b.len() {
                return Err(WireError::BadOptionLength);
            }
            let data = &b[2..len];
            match (kind, len) {
                (2, 4) => opts.mss = Some(u16::from_be_bytes([data[0], data[1]])),
                (3, 3) => opts.window_scale = Some(data[0]),
                (4, 2) => opts.sack_permitted = true,
                (8, 10) => opts.timestamp = Some((be32(&data[0..4]), be32(&data[4..8]))),
                (5, _) if (len - 2) % 8 == 0 => {
                    for (slot, block) in opts.sack_blocks.iter_mut().zip(data.chunks_exact(8)) {
                        *slot = Some((be32(&block[0..4]), be32(&block[4..8])));
                    }
                }
                _ => {}
            }
            b = &b[len..];
        }
        Ok(opts)
    }

    fn sack_count(&self) -> usize {
        self.sack_blocks.iter().flatten().count()
    }

    /// Emitted length, a multiple of 4.
    pub fn buffer_len(&self) -> usize {
        let mut len = 0;
        if self.mss.is_some() {
            len += 4;
        }
        if self.timestamp.is_some() {
            len += 12;
        } else if self.sack_permitted {
            len += 4;
        }
        if self.window_scale.is_some() {
            len += 4;
        }
        if self.sack_count() > 0 {
            len += 4 + 8 * self.sack_count();
        }
        len
    }

    /// Writes the options in Linux `tcp_options_write` order: MSS; SACK-permitted+timestamps (or NOP NOP and
    /// either); NOP window scale; NOP NOP SACK blocks.
    pub fn emit(&self, b: &mut [u8]) -> Result<(), WireError> {
        let b = b.get_mut(..self.buffer_len()).ok_or(WireError::BufferTooSmall)?;
        let mut i = 0;
        let mut put = |bytes: &[u8]| {
            b[i..i + bytes.len()].copy_from_slice(bytes);
            i += bytes.len();
        };
        if let Some(mss) = self.mss {
            let m = mss.to_be_bytes();
            put(&[2, 4, m[0], m[1]]);
        }
        match (self.timestamp, self.sack_permitted) {
            (Some((val, ecr)), sack) => {
                put(if sack { &[4, 2, 8, 10] } else { &[1, 1, 8, 10] });
                put(&val.to_be_bytes());
                put(&ecr.to_be_bytes());
            }
            (None, true) => put(&[1, 1, 4, 2]),
            (None, false) => {}
        }
        if let Some(ws) = self.window_scale {
            put(&[1, 3, 3, ws]);
        }
        if self.sack_count() > 0 {
            put(&[1, 1, 5, (2 + 8 * self.sack_count()) as u8]);
            for (left, right) in self.sack_blocks.iter().flatten() {
                put(&left.to_be_bytes());
                put(&right.to_be_bytes());
            }
        }
        Ok(())
    }
}

/// A zero-copy view of a TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Wraps a buffer without checks.
    pub const fn new_unchecked(buffer: T) -> TcpPacket<T> {
        TcpPacket { buffer }
    }

    /// Wraps untrusted bytes (exactly the IP payload): data offset ≥ 5 (`BadHeaderLength`) and within the buffer.
    pub fn new_checked(buffer: T) -> Result<TcpPacket<T>, WireError> {
        let packet = TcpPacket { buffer };
        let len = packet.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if packet.header_len() < HEADER_LEN {
            return Err(WireError::BadHeaderLength);
        }
        if packet.header_len() > len {
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

    /// Sequence number.
    pub fn seq(&self) -> u32 {
        be32(&self.buffer.as_ref()[4..8])
    }

    /// Acknowledgment number.
    pub fn ack(&self) -> u32 {
        be32(&self.buffer.as_ref()[8..12])
    }

    /// Header length in bytes (data offset × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[12] >> 4) * 4
    }

    /// Flags.
    pub fn flags(&self) -> TcpFlags {
        TcpFlags(self.buffer.as_ref()[13])
    }

    /// Window.
    pub fn window(&self) -> u16 {
        self.be16(14)
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        self.be16(16)
    }

    /// Urgent pointer.
    pub fn urgent(&self) -> u16 {
        self.be16(18)
    }

    /// The options area.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.header_len()]
    }

    /// The data after the header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }

    /// Whether the checksum verifies for these addresses (RFC 9293 §3.1).
    pub fn verify_checksum(&self, addrs: IpPair) -> bool {
        let b = self.buffer.as_ref();
        let len = u32::try_from(b.len()).unwrap_or(u32::MAX);
        ip::verifies(&[addrs.pseudo_header(IpProtocol::TCP, len), ip::sum(b)])
    }
}

/// A validated TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpRepr<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful with ACK).
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Window (unscaled, as on the wire).
    pub window: u16,
    /// Urgent pointer.
    pub urgent: u16,
    /// Options.
    pub options: TcpOptions,
    /// Data.
    pub payload: &'a [u8],
}

impl<'a> TcpRepr<'a> {
    /// Decodes a checked segment after verifying its checksum.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &TcpPacket<&'a T>, addrs: IpPair) -> Result<TcpRepr<'a>, WireError> {
        if !packet.verify_checksum(addrs) {
            return Err(WireError::BadChecksum);
        }
        Self::decode(packet)
    }

    /// Decodes a segment whose checksum was already verified (by [`super::parse_frame`]).
    pub fn decode<T: AsRef<[u8]> + ?Sized>(packet: &TcpPacket<&'a T>) -> Result<TcpRepr<'a>, WireError> {
        let payload: &'a [u8] = &packet.buffer.as_ref()[packet.header_len()..];
        Ok(TcpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq: packet.seq(),
            ack: packet.ack(),
            flags: packet.flags(),
            window: packet.window(),
            urgent: packet.urgent(),
            options: TcpOptions::parse(packet.options())?,
            payload,
        })
    }

    /// Header (with options) length.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.buffer_len()
    }

    /// Header, options and data.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// Writes the segment with its checksum into the start of `buf`. Options over 40 bytes are `BadOptionLength`.
    pub fn emit(&self, addrs: IpPair, buf: &mut [u8]) -> Result<(), WireError> {
        let header_len = self.header_len();
        if header_len > 60 {
            return Err(WireError::BadOptionLength);
        }
        let len = self.buffer_len();
        let b = buf.get_mut(..len).ok_or(WireError::BufferTooSmall)?;
        b[0..2].copy_from_slice(&self.src_port.to_be_bytes());
        b[2..4].copy_from_slice(&self.dst_port.to_be_bytes());
        b[4..8].copy_from_slice(&self.seq.to_be_bytes());
        b[8..12].copy_from_slice(&self.ack.to_be_bytes());
        b[12] = ((header_len / 4) as u8) << 4;
        b[13] = self.flags.0;
        b[14..16].copy_from_slice(&self.window.to_be_bytes());
        b[16..18].fill(0);
        b[18..20].copy_from_slice(&self.urgent.to_be_bytes());
        self.options.emit(&mut b[HEADER_LEN..header_len])?;
        b[header_len..].copy_from_slice(self.payload);
        let len32 = u32::try_from(len).map_err(|_| WireError::BadLength)?;
        let checksum = ip::finish(&[addrs.pseudo_header(IpProtocol::TCP, len32), ip::sum(b)]);
        b[16..18].copy_from_slice(&checksum.to_be_bytes());
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
    // Golden: a Linux-shaped SYN 10.0.0.1:40000 → 10.0.0.2:22, seq 0x01020304, window 64240,
    // MSS 1460, SACK-permitted, TS 1/0, NOP, WS 7; checksum computed independently.
    const SYN: [u8; 40] = [
        0x9c, 0x40, 0x00, 0x16, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x98, 0xaf,
        0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x03, 0x03, 0x07,
    ];

    fn syn() -> TcpRepr<'static> {
        TcpRepr {
            src_port: 40000,
            dst_port: 22,
            seq: 0x0102_0304,
            ack: 0,
            flags: TcpFlags::SYN,
            window: 64240,
            urgent: 0,
            options: TcpOptions {
                mss: Some(1460),
                window_scale: Some(7),
                sack_permitted: true,
                timestamp: Some((1, 0)),
                sack_blocks: [None; 3],
            },
            payload: &[],
        }
    }

    #[test]
    fn linux_syn_golden() {
        let mut buf = [0u8; 40];
        syn().emit(V4, &mut buf).unwrap();
        assert_eq!(buf, SYN);
        assert_eq!(
            TcpRepr::parse(&TcpPacket::new_checked(&SYN[..]).unwrap(), V4).unwrap(),
            syn()
        );
    }

    #[test]
    fn any_flags_and_sack_blocks_round_trip() {
        let v6 = IpPair::V6 {
            src: Ipv6Addr::LOCALHOST,
            dst: "2001:db8::1".parse().unwrap(),
        };
        let repr = TcpRepr {
            flags: TcpFlags::RST | TcpFlags::ACK | TcpFlags::FIN | TcpFlags::SYN,
            ack: 77,
            options: TcpOptions {
                timestamp: Some((5, 6)),
                sack_blocks: [Some((10, 20)), Some((30, 40)), None],
                ..TcpOptions::default()
            },
            payload: b"data",
            ..syn()
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(v6, &mut buf).unwrap();
        let parsed = TcpRepr::parse(&TcpPacket::new_checked(&buf[..]).unwrap(), v6).unwrap();
        assert_eq!(parsed, repr);
        assert!(parsed.flags.contains(TcpFlags::RST | TcpFlags::ACK));
        buf[25] ^= 1;
        assert_eq!(
            TcpRepr::parse(&TcpPacket::new_checked(&buf[..]).unwrap(), v6),
            Err(WireError::BadChecksum)
        );
    }

    #[test]
    fn malformed_headers_and_options() {
        let mut bad = SYN;
        bad[12] = 0x40;
        assert_eq!(TcpPacket::new_checked(&bad[..]).err(), Some(WireError::BadHeaderLength));
        assert_eq!(TcpPacket::new_checked(&SYN[..39]).err(), Some(WireError::Truncated));
        assert_eq!(TcpOptions::parse(&[2, 0, 0, 0]), Err(WireError::BadOptionLength));
        assert_eq!(TcpOptions::parse(&[8, 10, 0, 0]), Err(WireError::BadOptionLength));
        // An MSS of the wrong length is ignored, an unknown option skipped, END stops.
        let opts = TcpOptions::parse(&[2, 3, 5, 30, 2, 1, 0, 3, 3, 9]).unwrap();
        assert_eq!(opts, TcpOptions::default());
    }
}
