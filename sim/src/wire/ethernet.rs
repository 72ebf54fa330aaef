//! Ethernet II frames (IEEE 802.3 clause 3.2.6 type interpretation) with at most one IEEE 802.1Q tag.
//!
//! The frame check sequence is not carried: the simulator moves frames as a NIC hands them to the host.

use super::mac::MacAddr;
use super::WireError;

/// An EtherType value (IEEE 802 numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EtherType(pub u16);

impl EtherType {
    /// IPv4 (RFC 894).
    pub const IPV4: EtherType = EtherType(0x0800);
    /// ARP (RFC 826).
    pub const ARP: EtherType = EtherType(0x0806);
    /// IEEE 802.1Q customer VLAN tag.
    pub const VLAN: EtherType = EtherType(0x8100);
    /// IPv6 (RFC 2464).
    pub const IPV6: EtherType = EtherType(0x86dd);
}

/// An IEEE 802.1Q tag: priority code point, drop eligible indicator, VLAN id (12 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct VlanTag {
    /// Priority code point, 0..=7.
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN identifier, 0..=4095.
    pub vid: u16,
}

impl VlanTag {
    /// The tag control information as it is on the wire.
    pub const fn tci(&self) -> u16 {
        ((self.pcp as u16 & 0x7) << 13) | ((self.dei as u16) << 12) | (self.vid & 0x0fff)
    }

    /// Splits a tag control information field.
    pub const fn from_tci(tci: u16) -> VlanTag {
        VlanTag {
            pcp: (tci >> 13) as u8,
            dei: tci & 0x1000 != 0,
            vid: tci & 0x0fff,
        }
    }
}

mod field {
    use core::ops::Range;
    pub const DST: Range<usize> = 0..6;
    pub const SRC: Range<usize> = 6..12;
    pub const TYPE: Range<usize> = 12..14;
    pub const TCI: Range<usize> = 14..16;
    pub const INNER_TYPE: Range<usize> = 16..18;
}

/// Length of an untagged Ethernet II header.
pub const HEADER_LEN: usize = 14;
/// Length of an 802.1Q-tagged Ethernet II header.
pub const TAGGED_HEADER_LEN: usize = 18;

/// A zero-copy view of an Ethernet II frame.
#[derive(Debug, Clone, Copy)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

fn be16(b: &[u8], r: core::ops::Range<usize>) -> u16 {
    u16::from_be_bytes([b[r.start], b[r.start + 1]])
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps a buffer without checking it; accessors may panic on a short buffer. Use for buffers this crate built.
    pub const fn new_unchecked(buffer: T) -> EthernetFrame<T> {
        EthernetFrame { buffer }
    }

    /// Wraps untrusted bytes: the header (and the tag, when the outer type is 802.1Q) must be present.
    pub fn new_checked(buffer: T) -> Result<EthernetFrame<T>, WireError> {
        let frame = EthernetFrame { buffer };
        let len = frame.buffer.as_ref().len();
        if len < HEADER_LEN || (frame.outer_ethertype() == EtherType::VLAN && len < TAGGED_HEADER_LEN) {
            return Err(WireError::Truncated);
        }
        Ok(frame)
    }

    /// Destination MAC.
    #[inline]
    pub fn dst(&self) -> MacAddr {
        let b = self.buffer.as_ref();
        MacAddr([b[0], b[1], b[2], b[3], b[4], b[5]])
    }

    /// Source MAC.
    #[inline]
    pub fn src(&self) -> MacAddr {
        let b = &self.buffer.as_ref()[field::SRC];
        MacAddr([b[0], b[1], b[2], b[3], b[4], b[5]])
    }

    /// The type field right after the addresses (0x8100 on a tagged frame).
    #[inline]
    pub fn outer_ethertype(&self) -> EtherType {
        EtherType(be16(self.buffer.as_ref(), field::TYPE))
    }

    /// The 802.1Q tag, if the frame carries one.
    #[inline]
    pub fn vlan(&self) -> Option<VlanTag> {
        (self.outer_ethertype() == EtherType::VLAN).then(|| VlanTag::from_tci(be16(self.buffer.as_ref(), field::TCI)))
    }

    /// The EtherType of the payload (after the tag, if any).
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        match self.vlan() {
            Some(_) => EtherType(be16(self.buffer.as_ref(), field::INNER_TYPE)),
            None => self.outer_ethertype(),
        }
    }

    /// 14, or 18 with a tag.
    #[inline]
    pub fn header_len(&self) -> usize {
        if self.vlan().is_some() {
            TAGGED_HEADER_LEN
        } else {
            HEADER_LEN
        }
    }

    /// The payload, including any padding to the 60-byte minimum.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    /// The payload, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        &mut self.buffer.as_mut()[start..]
    }
}

/// A validated Ethernet II header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthernetRepr {
    /// Destination MAC.
    pub dst: MacAddr,
    /// Source MAC.
    pub src: MacAddr,
    /// The 802.1Q tag, if any.
    pub vlan: Option<VlanTag>,
    /// The payload's EtherType (never 0x8100: the tag is `vlan`).
    pub ethertype: EtherType,
}

impl EthernetRepr {
    /// Reads the header of a checked frame. A doubly tagged frame (inner type 0x8100) is `Unsupported`.
    pub fn parse<T: AsRef<[u8]>>(frame: &EthernetFrame<T>) -> Result<EthernetRepr, WireError> {
        let ethertype = frame.ethertype();
        if ethertype == EtherType::VLAN {
            return Err(WireError::Unsupported);
        }
        Ok(EthernetRepr {
            dst: frame.dst(),
            src: frame.src(),
            vlan: frame.vlan(),
            ethertype,
        })
    }

    /// Header length: 14, or 18 with a tag.
    pub const fn buffer_len(&self) -> usize {
        if self.vlan.is_some() {
            TAGGED_HEADER_LEN
        } else {
            HEADER_LEN
        }
    }

    /// Writes the header into the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let buf = buf.get_mut(..self.buffer_len()).ok_or(WireError::BufferTooSmall)?;
        buf[field::DST].copy_from_slice(&self.dst.0);
        buf[field::SRC].copy_from_slice(&self.src.0);
        match self.vlan {
            Some(tag) => {
                buf[field::TYPE].copy_from_slice(&EtherType::VLAN.0.to_be_bytes());
                buf[field::TCI].copy_from_slice(&tag.tci().to_be_bytes());
                buf[field::INNER_TYPE].copy_from_slice(&self.ethertype.0.to_be_bytes());
            }
            None => buf[field::TYPE].copy_from_slice(&self.ethertype.0.to_be_bytes()),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Golden: the header of an IPv6 frame from 52:54:00:12:34:56 to the all-nodes MAC.
    const UNTAGGED: [u8; 14] = [0x33, 0x33, 0, 0, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x86, 0xdd];
    // Golden: the same with an 802.1Q tag, PCP 5, VID 100 (TCI 0xa064).
    const TAGGED: [u8; 18] = [
        0x33, 0x33, 0, 0, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x81, 0x00, 0xa0, 0x64, 0x86, 0xdd,
    ];

    fn repr(vlan: Option<VlanTag>) -> EthernetRepr {
        EthernetRepr {
            dst: MacAddr([0x33, 0x33, 0, 0, 0, 1]),
            src: MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56]),
            vlan,
            ethertype: EtherType::IPV6,
        }
    }

    #[test]
    fn parse_and_emit_untagged() {
        let frame = EthernetFrame::new_checked(&UNTAGGED[..]).unwrap();
        assert_eq!(EthernetRepr::parse(&frame).unwrap(), repr(None));
        assert_eq!(frame.header_len(), 14);
        let mut buf = [0u8; 14];
        repr(None).emit(&mut buf).unwrap();
        assert_eq!(buf, UNTAGGED);
    }

    #[test]
    fn parse_and_emit_tagged() {
        let tag = VlanTag {
            pcp: 5,
            dei: false,
            vid: 100,
        };
        let frame = EthernetFrame::new_checked(&TAGGED[..]).unwrap();
        assert_eq!(EthernetRepr::parse(&frame).unwrap(), repr(Some(tag)));
        assert_eq!(frame.payload(), &[] as &[u8]);
        let mut buf = [0u8; 18];
        repr(Some(tag)).emit(&mut buf).unwrap();
        assert_eq!(buf, TAGGED);
        assert_eq!(repr(Some(tag)).emit(&mut [0u8; 17]), Err(WireError::BufferTooSmall));
    }

    #[test]
    fn short_frames_are_truncated() {
        assert_eq!(
            EthernetFrame::new_checked(&UNTAGGED[..13]).err(),
            Some(WireError::Truncated)
        );
        assert_eq!(
            EthernetFrame::new_checked(&TAGGED[..17]).err(),
            Some(WireError::Truncated)
        );
    }
}
