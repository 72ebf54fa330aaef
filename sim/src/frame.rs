//! A frame on the wire: immutable Ethernet II bytes shared by every receiver of a flooded or multicast frame.

use crate::wire::{parse_frame_with, EtherType, FrameView, L3View, MacAddr, VlanTag, WireError};
use std::cell::OnceCell;
use std::rc::Rc;

/// The frame parsed once: [`FrameView`] without its borrowed bytes.
///
/// A multicast RA flooded to ten thousand hosts is decoded by the first receiver and the result reused by the
/// others, so the per-receiver cost is the protocol logic, not the parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parsed {
    dst: MacAddr,
    src: MacAddr,
    vlan: Option<VlanTag>,
    ethertype: EtherType,
    l3_offset: u16,
    l3: L3View,
}

/// Frames up to this length live inside the frame's own allocation: ND, RAs, pings, ARP and TCP control segments
/// all fit, so the common frame costs one allocation (the `Rc`) instead of two.
pub const INLINE_LEN: usize = 192;

/// The bytes of a frame: inline when short, boxed otherwise.
#[derive(Debug)]
enum Bytes {
    Inline { len: u8, buf: [u8; INLINE_LEN] },
    Boxed(Box<[u8]>),
}

impl Bytes {
    fn from_slice(b: &[u8]) -> Bytes {
        match u8::try_from(b.len()) {
            Ok(len) if b.len() <= INLINE_LEN => {
                let mut buf = [0u8; INLINE_LEN];
                buf[..b.len()].copy_from_slice(b);
                Bytes::Inline { len, buf }
            }
            _ => Bytes::Boxed(b.into()),
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Inline { len, buf } => &buf[..usize::from(*len)],
            Bytes::Boxed(b) => b,
        }
    }
}

/// Ethernet II bytes as they crossed a link (no FCS), shared between receivers without copying.
///
/// A frame is built once by its sender and never modified: a switch that floods it hands every port the same
/// `Rc<Frame>`, so a multicast RA to ten thousand hosts costs one allocation.
#[derive(Debug)]
pub struct Frame {
    bytes: Bytes,
    parsed: OnceCell<Result<Parsed, WireError>>,
    /// The transport checksum was computed by the simulator's own stack (or checked by a router that forwarded
    /// it), so receivers need not verify it again: what a veth hands on as CHECKSUM_UNNECESSARY. Frames built
    /// elsewhere (attackers, raw sends, malformed builders) never carry it and are verified as on the wire.
    l4_trusted: bool,
}

impl PartialEq for Frame {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}
impl Eq for Frame {}

/// The 6-byte Ethernet addresses at the front of a frame, read without parsing anything else.
pub type MacBytes = [u8; 6];

impl Frame {
    /// Wraps bytes a node built (a short frame is copied inline and the vector freed).
    pub fn new(bytes: Vec<u8>) -> Rc<Frame> {
        let bytes = if bytes.len() <= INLINE_LEN {
            Bytes::from_slice(&bytes)
        } else {
            Bytes::Boxed(bytes.into_boxed_slice())
        };
        Rc::new(Frame {
            bytes,
            parsed: OnceCell::new(),
            l4_trusted: false,
        })
    }

    /// A frame holding a copy of `bytes`, so the sender can reuse its build buffer.
    pub fn from_slice(bytes: &[u8]) -> Rc<Frame> {
        Frame::copied(bytes, false)
    }

    /// A copy of `bytes` whose transport checksum the host stack computed itself (see `l4_trusted`): receivers
    /// skip re-verifying it. Only the host's own output and forwarding paths may call this.
    pub(crate) fn copied(bytes: &[u8], l4_trusted: bool) -> Rc<Frame> {
        Rc::new(Frame {
            bytes: Bytes::from_slice(bytes),
            parsed: OnceCell::new(),
            l4_trusted,
        })
    }

    /// Whether receivers may skip verifying the transport checksum (see the field's docs).
    pub fn l4_trusted(&self) -> bool {
        self.l4_trusted
    }

    /// The frame decoded by [`parse_frame`], parsed on first use and cached for every later receiver.
    pub fn view(&self) -> Result<FrameView<'_>, WireError> {
        let bytes = self.bytes.as_slice();
        let parsed = self.parsed.get_or_init(|| {
            parse_frame_with(bytes, !self.l4_trusted).map(|v| Parsed {
                dst: v.dst,
                src: v.src,
                vlan: v.vlan,
                ethertype: v.ethertype,
                l3_offset: v.l3_offset,
                l3: v.l3,
            })
        });
        parsed.map(|p| FrameView {
            bytes,
            dst: p.dst,
            src: p.src,
            vlan: p.vlan,
            ethertype: p.ethertype,
            l3_offset: p.l3_offset,
            l3: p.l3,
        })
    }

    /// The whole frame.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.bytes().len()
    }

    /// True for a zero-length frame (never valid on a wire; dropped by the switch).
    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    /// Destination MAC, if the frame is long enough to carry an Ethernet header.
    pub fn dst_mac(&self) -> Option<MacBytes> {
        self.bytes().get(0..6)?.try_into().ok()
    }

    /// Source MAC, if the frame is long enough to carry an Ethernet header.
    pub fn src_mac(&self) -> Option<MacBytes> {
        self.bytes().get(6..12)?.try_into().ok()
    }

    /// The 802.1Q VLAN id if the frame carries a tag (TPID 0x8100), IEEE 802.1Q §9.6.
    pub fn vlan_id(&self) -> Option<u16> {
        let tpid = self.bytes().get(12..14)?;
        if tpid != [0x81, 0x00] {
            return None;
        }
        let tci = self.bytes().get(14..16)?;
        Some(u16::from_be_bytes([tci[0], tci[1]]) & 0x0fff)
    }

    /// A copy of this frame with an 802.1Q tag for `vid` inserted after the source MAC (priority 0).
    pub fn with_vlan_tag(&self, vid: u16) -> Rc<Frame> {
        let mut out = Vec::with_capacity(self.bytes().len() + 4);
        out.extend_from_slice(&self.bytes()[..12.min(self.bytes().len())]);
        out.extend_from_slice(&[0x81, 0x00]);
        out.extend_from_slice(&(vid & 0x0fff).to_be_bytes());
        out.extend_from_slice(self.bytes().get(12..).unwrap_or(&[]));
        Frame::copied(&out, self.l4_trusted)
    }

    /// A copy of this frame with its 802.1Q tag removed (the frame must carry one: see [`Frame::vlan_id`]).
    pub fn without_vlan_tag(&self) -> Rc<Frame> {
        let mut out = Vec::with_capacity(self.bytes().len().saturating_sub(4));
        out.extend_from_slice(&self.bytes()[..12.min(self.bytes().len())]);
        out.extend_from_slice(self.bytes().get(16..).unwrap_or(&[]));
        Frame::copied(&out, self.l4_trusted)
    }
}

/// True if the MAC is a group (multicast or broadcast) address: the I/G bit, IEEE 802 §8.2.
pub fn is_group_mac(mac: &MacBytes) -> bool {
    mac[0] & 0x01 != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::build::{append_ipv6, Ipv6Params, Upper, L2};
    use crate::wire::icmpv6::Icmpv6Repr;
    use crate::wire::{parse_frame, L4View};

    fn sample() -> Rc<Frame> {
        let mut b = vec![0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
        b.extend_from_slice(&[0xaa; 8]);
        Frame::new(b)
    }

    #[test]
    fn header_fields_read_without_parsing() {
        let f = sample();
        assert_eq!(f.dst_mac(), Some([0x33, 0x33, 0, 0, 0, 1]));
        assert_eq!(f.src_mac(), Some([2, 0, 0, 0, 0, 1]));
        assert!(is_group_mac(&f.dst_mac().unwrap_or_default()));
        assert_eq!(f.vlan_id(), None);
        assert_eq!(Frame::new(vec![1, 2, 3]).dst_mac(), None);
    }

    #[test]
    fn view_is_parsed_once_and_matches_parse_frame() {
        let f = sample();
        let a = f.view();
        assert_eq!(a, parse_frame(f.bytes()));
        assert!(f.parsed.get().is_some());
        assert_eq!(f.view(), a);
        assert_eq!(Frame::new(vec![0; 5]).view(), Err(WireError::Truncated));
    }

    /// An echo request with its ICMPv6 checksum broken.
    fn bad_checksum_echo() -> Vec<u8> {
        let l2 = L2 {
            src: MacAddr([2, 0, 0, 0, 0, 1]),
            dst: MacAddr([2, 0, 0, 0, 0, 2]),
            vlan: None,
        };
        let params = Ipv6Params::new("2001:db8::1".parse().unwrap(), "2001:db8::2".parse().unwrap(), 64);
        let echo = Icmpv6Repr::EchoRequest {
            ident: 1,
            seq_no: 1,
            data: &[0; 8],
        };
        let mut b = Vec::new();
        append_ipv6(&mut b, l2, &params, &Upper::Icmpv6(echo)).unwrap();
        b[14 + 40 + 2] ^= 0xff;
        b
    }

    #[test]
    fn only_untrusted_frames_have_their_transport_checksum_verified() {
        let bytes = bad_checksum_echo();
        let malformed = |f: &Frame| matches!(f.view().map(|v| v.l4()), Ok(Some(L4View::Malformed(_))));
        assert!(
            malformed(&Frame::from_slice(&bytes)),
            "a raw frame is checked as on the wire"
        );
        let trusted = Frame::copied(&bytes, true);
        assert!(!malformed(&trusted), "the stack's own checksum is not checked again");
        assert!(trusted.with_vlan_tag(7).l4_trusted() && trusted.with_vlan_tag(7).without_vlan_tag().l4_trusted());
        assert!(!Frame::from_slice(&bytes).with_vlan_tag(7).l4_trusted());
    }

    #[test]
    fn vlan_tag_round_trip() {
        let f = sample();
        let tagged = f.with_vlan_tag(42);
        assert_eq!(tagged.len(), f.len() + 4);
        assert_eq!(tagged.vlan_id(), Some(42));
        assert_eq!(&tagged.bytes()[16..18], &[0x86, 0xdd]);
        assert_eq!(*tagged.without_vlan_tag(), *f);
    }
}
