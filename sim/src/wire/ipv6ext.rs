//! The IPv6 extension-header chain (RFC 8200 §4): a walk that finds the upper layer without allocating, and
//! the emitters an attacker needs to put hop-by-hop, destination-options, routing and fragment headers in front of
//! an ICMPv6 message (RA-Guard evasion, RFC 7113; ND in fragments, RFC 6980).

use super::ip::IpProtocol;
use super::WireError;

/// Which extension headers a walk saw, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ExtSeen(pub u8);

impl ExtSeen {
    /// A Hop-by-Hop Options header (RFC 8200 §4.3).
    pub const HOP_BY_HOP: u8 = 1 << 0;
    /// A Destination Options header (RFC 8200 §4.6).
    pub const DEST_OPTS: u8 = 1 << 1;
    /// A Routing header (RFC 8200 §4.4).
    pub const ROUTING: u8 = 1 << 2;
    /// A Fragment header (RFC 8200 §4.5).
    pub const FRAGMENT: u8 = 1 << 3;
    /// An Authentication Header (RFC 4302).
    pub const AH: u8 = 1 << 4;

    /// Whether every bit of `bits` was seen.
    pub const fn contains(self, bits: u8) -> bool {
        self.0 & bits == bits
    }

    /// Whether no extension header was seen.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The fields of a Fragment header (RFC 8200 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragmentInfo {
    /// Fragment offset in 8-octet units.
    pub offset: u16,
    /// The M flag: more fragments follow.
    pub more: bool,
    /// Identification.
    pub ident: u32,
}

impl FragmentInfo {
    /// Offset 0 and M=0: a whole packet inside a Fragment header (RFC 6946). Linux still drops ND in it
    /// (linux-ipv6.md B47).
    pub const fn is_atomic(&self) -> bool {
        self.offset == 0 && !self.more
    }
}

/// The result of walking a chain: where the upper layer starts and what came before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtChain {
    /// The upper-layer protocol (or 59, No Next Header; or ESP, which is opaque).
    pub upper: IpProtocol,
    /// Offset of the upper-layer header from the start of the IPv6 payload.
    pub upper_offset: u16,
    /// Extension headers seen.
    pub seen: ExtSeen,
    /// The first Fragment header's fields, if any.
    pub fragment: Option<FragmentInfo>,
    /// Number of extension headers walked.
    pub count: u8,
}

impl ExtChain {
    /// Whether the upper-layer header is in this packet: false for a non-first fragment (offset ≠ 0), whose payload
    /// continues the original packet's data.
    pub fn has_upper_header(&self) -> bool {
        self.fragment.is_none_or(|f| f.offset == 0)
    }
}

/// Walks the chain that starts with `first` (the fixed header's Next Header) over `payload` (the IPv6 payload).
///
/// Rules: Hop-by-Hop only right after the fixed header (RFC 8200 §4.1, else `BadExtensionChain`); each header's
/// length must fit (`Truncated` in an unfragmented packet); in a first fragment the chain must end inside the
/// fragment, upper-layer header included (RFC 7112 §5, else `BadExtensionChain`); a non-first fragment stops the
/// walk at its Fragment header.
pub fn walk_ext_chain(first: IpProtocol, payload: &[u8]) -> Result<ExtChain, WireError> {
    let mut chain = ExtChain {
        upper: first,
        upper_offset: 0,
        seen: ExtSeen::default(),
        fragment: None,
        count: 0,
    };
    let mut next = first;
    let mut offset = 0usize;
    let short = |chain: &ExtChain| {
        if chain.fragment.is_some() {
            WireError::BadExtensionChain
        } else {
            WireError::Truncated
        }
    };
    loop {
        let header = payload.get(offset..).unwrap_or_default();
        let (bit, len) = match next {
            IpProtocol::HOP_BY_HOP | IpProtocol::IPV6_ROUTING | IpProtocol::IPV6_DEST_OPTS => {
                if next == IpProtocol::HOP_BY_HOP && chain.count != 0 {
                    return Err(WireError::BadExtensionChain);
                }
                let ext_len = *header.get(1).ok_or_else(|| short(&chain))?;
                let bit = match next {
                    IpProtocol::HOP_BY_HOP => ExtSeen::HOP_BY_HOP,
                    IpProtocol::IPV6_ROUTING => ExtSeen::ROUTING,
                    _ => ExtSeen::DEST_OPTS,
                };
                (bit, (usize::from(ext_len) + 1) * 8)
            }
            IpProtocol::AH => {
                let ext_len = *header.get(1).ok_or_else(|| short(&chain))?;
                (ExtSeen::AH, (usize::from(ext_len) + 2) * 4)
            }
            IpProtocol::IPV6_FRAGMENT => {
                let bytes = header.get(..8).ok_or_else(|| short(&chain))?;
                let off_m = u16::from_be_bytes([bytes[2], bytes[3]]);
                let info = FragmentInfo {
                    offset: off_m >> 3,
                    more: off_m & 1 != 0,
                    ident: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
                };
                if chain.fragment.is_none() {
                    chain.fragment = Some(info);
                }
                if info.offset != 0 {
                    // A non-first fragment: what follows is data, not headers.
                    chain.seen.0 |= ExtSeen::FRAGMENT;
                    chain.count = chain.count.saturating_add(1);
                    chain.upper = IpProtocol(bytes[0]);
                    chain.upper_offset = (offset + 8) as u16;
                    return Ok(chain);
                }
                (ExtSeen::FRAGMENT, 8)
            }
            upper => {
                // RFC 7112 §5, Linux `ipv6frag_thdr_truncated`: a first fragment (not atomic) must hold the
                // upper-layer header too.
                let needed = match upper {
                    IpProtocol::TCP => 20,
                    IpProtocol::UDP | IpProtocol::ICMPV6 => 8,
                    _ => 0,
                };
                if chain.fragment.is_some_and(|f| f.more) && header.len() < needed {
                    return Err(WireError::BadExtensionChain);
                }
                chain.upper = upper;
                chain.upper_offset = offset as u16;
                return Ok(chain);
            }
        };
        if header.len() < len {
            return Err(short(&chain));
        }
        chain.seen.0 |= bit;
        chain.count = chain.count.saturating_add(1);
        next = IpProtocol(header[0]);
        offset += len;
    }
}

/// An extension header to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ipv6ExtRepr<'a> {
    /// Hop-by-Hop Options with these raw option TLVs; padded with Pad1/PadN to a multiple of 8 (RFC 8200 §4.2).
    HopByHop {
        /// Option TLVs (may be empty: the header is then one PadN).
        options: &'a [u8],
    },
    /// Destination Options with these raw option TLVs, padded like Hop-by-Hop.
    DestinationOptions {
        /// Option TLVs.
        options: &'a [u8],
    },
    /// A Routing header (RFC 8200 §4.4); `data` follows the 4 fixed bytes, zero-padded to a multiple of 8.
    Routing {
        /// Routing type.
        routing_type: u8,
        /// Segments left.
        segments_left: u8,
        /// Type-specific data.
        data: &'a [u8],
    },
    /// A Fragment header (RFC 8200 §4.5).
    Fragment(FragmentInfo),
}

fn pad_to_8(len: usize) -> usize {
    len.div_ceil(8) * 8
}

impl Ipv6ExtRepr<'_> {
    /// The Next Header value that announces this header.
    pub const fn protocol(&self) -> IpProtocol {
        match self {
            Ipv6ExtRepr::HopByHop { .. } => IpProtocol::HOP_BY_HOP,
            Ipv6ExtRepr::DestinationOptions { .. } => IpProtocol::IPV6_DEST_OPTS,
            Ipv6ExtRepr::Routing { .. } => IpProtocol::IPV6_ROUTING,
            Ipv6ExtRepr::Fragment(_) => IpProtocol::IPV6_FRAGMENT,
        }
    }

    /// Emitted length, a multiple of 8 (at most 2048, so `options` and `data` above 2040 bytes are `BadLength`).
    pub fn buffer_len(&self) -> usize {
        match self {
            Ipv6ExtRepr::HopByHop { options } | Ipv6ExtRepr::DestinationOptions { options } => {
                pad_to_8(2 + options.len())
            }
            Ipv6ExtRepr::Routing { data, .. } => pad_to_8(4 + data.len()),
            Ipv6ExtRepr::Fragment(_) => 8,
        }
    }

    /// Writes this header, announcing `next` as the following header, into the start of `buf`.
    pub fn emit(&self, next: IpProtocol, buf: &mut [u8]) -> Result<(), WireError> {
        let len = self.buffer_len();
        if len > 2048 {
            return Err(WireError::BadLength);
        }
        let buf = buf.get_mut(..len).ok_or(WireError::BufferTooSmall)?;
        buf[0] = next.0;
        buf[1] = (len / 8 - 1) as u8;
        match self {
            Ipv6ExtRepr::HopByHop { options } | Ipv6ExtRepr::DestinationOptions { options } => {
                buf[2..2 + options.len()].copy_from_slice(options);
                let pad = &mut buf[2 + options.len()..];
                pad.fill(0);
                if pad.len() >= 2 {
                    // PadN (RFC 8200 §4.2); a single byte of padding is Pad1, which is already 0.
                    pad[0] = 1;
                    pad[1] = (pad.len() - 2) as u8;
                }
            }
            Ipv6ExtRepr::Routing {
                routing_type,
                segments_left,
                data,
            } => {
                buf[2] = *routing_type;
                buf[3] = *segments_left;
                buf[4..4 + data.len()].copy_from_slice(data);
                buf[4 + data.len()..].fill(0);
            }
            Ipv6ExtRepr::Fragment(info) => {
                buf[1] = 0; // reserved: the Fragment header has no length field
                let off_m = (info.offset << 3) | u16::from(info.more);
                buf[2..4].copy_from_slice(&off_m.to_be_bytes());
                buf[4..8].copy_from_slice(&info.ident.to_be_bytes());
            }
        }
        Ok(())
    }
}

/// Total emitted length of a chain.
pub fn chain_len(exts: &[Ipv6ExtRepr<'_>]) -> usize {
    exts.iter().map(Ipv6ExtRepr::buffer_len).sum()
}

/// Emits `exts` in order into `buf`, the last announcing `upper`; returns the Next Header for the fixed header.
pub fn emit_chain(exts: &[Ipv6ExtRepr<'_>], upper: IpProtocol, buf: &mut [u8]) -> Result<IpProtocol, WireError> {
    let mut offset = 0;
    for (i, ext) in exts.iter().enumerate() {
        let next = exts.get(i + 1).map_or(upper, Ipv6ExtRepr::protocol);
        ext.emit(next, buf.get_mut(offset..).ok_or(WireError::BufferTooSmall)?)?;
        offset += ext.buffer_len();
    }
    Ok(exts.first().map_or(upper, Ipv6ExtRepr::protocol))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Golden: HBH (PadN of 4) → Fragment (offset 0, M=0, id 0x12345678) → ICMPv6, then 4 bytes of ICMPv6.
    const CHAIN: [u8; 20] = [
        0x2c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, // HBH, next = 44, PadN(4)
        0x3a, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78, // Fragment, next = 58, atomic
        0x86, 0x00, 0x00, 0x00, // start of an RA
    ];

    const HBH_FRAG: [Ipv6ExtRepr<'static>; 2] = [
        Ipv6ExtRepr::HopByHop { options: &[] },
        Ipv6ExtRepr::Fragment(FragmentInfo {
            offset: 0,
            more: false,
            ident: 0x1234_5678,
        }),
    ];

    #[test]
    fn walk_golden_chain() {
        let chain = walk_ext_chain(IpProtocol::HOP_BY_HOP, &CHAIN).unwrap();
        assert_eq!(chain.upper, IpProtocol::ICMPV6);
        assert_eq!(chain.upper_offset, 16);
        assert!(chain.seen.contains(ExtSeen::HOP_BY_HOP | ExtSeen::FRAGMENT));
        assert!(chain.fragment.unwrap().is_atomic());
        assert_eq!(chain.count, 2);
        assert!(chain.has_upper_header());
    }

    #[test]
    fn emit_golden_chain() {
        let mut buf = [0u8; 16];
        let first = emit_chain(&HBH_FRAG, IpProtocol::ICMPV6, &mut buf).unwrap();
        assert_eq!(first, IpProtocol::HOP_BY_HOP);
        assert_eq!(buf, CHAIN[..16]);
        assert_eq!(chain_len(&HBH_FRAG), 16);
    }

    #[test]
    fn options_are_padded() {
        let mut buf = [0xffu8; 8];
        Ipv6ExtRepr::DestinationOptions {
            options: &[0x1e, 0x03, 1, 2, 3],
        }
        .emit(IpProtocol::UDP, &mut buf)
        .unwrap();
        assert_eq!(buf, [17, 0, 0x1e, 3, 1, 2, 3, 0]); // one byte of Pad1
    }

    #[test]
    fn no_extension_headers() {
        let chain = walk_ext_chain(IpProtocol::UDP, &[0; 8]).unwrap();
        assert_eq!((chain.upper, chain.upper_offset, chain.count), (IpProtocol::UDP, 0, 0));
        assert!(chain.seen.is_empty());
    }

    #[test]
    fn malformed_chains() {
        // HBH after another header.
        let mut bad = [0u8; 16];
        Ipv6ExtRepr::DestinationOptions { options: &[] }
            .emit(IpProtocol::HOP_BY_HOP, &mut bad)
            .unwrap();
        assert_eq!(
            walk_ext_chain(IpProtocol::IPV6_DEST_OPTS, &bad),
            Err(WireError::BadExtensionChain)
        );
        // A header longer than the packet.
        assert_eq!(
            walk_ext_chain(IpProtocol::HOP_BY_HOP, &[58, 1, 1, 4, 0, 0, 0, 0]),
            Err(WireError::Truncated)
        );
        assert_eq!(
            walk_ext_chain(IpProtocol::IPV6_FRAGMENT, &[58, 0]),
            Err(WireError::Truncated)
        );
        // A first fragment whose chain does not fit (RFC 7112).
        let mut first = CHAIN[8..16].to_vec();
        first[0] = 60; // fragment → destination options that are missing
        first[3] = 1; // M=1
        assert_eq!(
            walk_ext_chain(IpProtocol::IPV6_FRAGMENT, &first),
            Err(WireError::BadExtensionChain)
        );
    }

    #[test]
    fn non_first_fragment_stops_the_walk() {
        let frag = Ipv6ExtRepr::Fragment(FragmentInfo {
            offset: 5,
            more: true,
            ident: 7,
        });
        let mut buf = [0u8; 12];
        frag.emit(IpProtocol::ICMPV6, &mut buf).unwrap();
        let chain = walk_ext_chain(IpProtocol::IPV6_FRAGMENT, &buf).unwrap();
        assert_eq!(
            chain.fragment,
            Some(FragmentInfo {
                offset: 5,
                more: true,
                ident: 7
            })
        );
        assert_eq!((chain.upper, chain.upper_offset), (IpProtocol::ICMPV6, 8));
        assert!(!chain.has_upper_header());
    }
}
