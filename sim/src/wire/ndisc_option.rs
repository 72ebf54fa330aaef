//! Neighbour Discovery options (RFC 4861 §4.6; Route Information RFC 4191 §2.3; RDNSS/DNSSL RFC 8106 §5;
//! Nonce RFC 3971 §5.3.2 as used by enhanced DAD, RFC 7527).
//!
//! A message's options are validated once by [`NdOptions::parse`], the walk Linux's `ndisc_parse_options` does:
//! any option with length 0 or running past the end rejects the whole message (linux-ipv6.md B6, D4). After
//! that, each option is a zero-copy [`NdOption`] view; decoding one into an [`NdOptionRepr`] can still fail for
//! that option alone (a PIO that is too short, an RIO failing RFC 4191 §2.3 length rules), and the host skips it.
//! Unknown option types are kept as `Unknown` and skipped by the host (B8). Any number of PIOs and RIOs is kept.

use std::net::Ipv6Addr;

use super::mac::MacAddr;
pub use super::ndisc_dns::{AddrList, DomainList, DomainName};
use super::WireError;

wire_enum! {
    /// ND option type (IANA "IPv6 Neighbor Discovery Option Formats").
    pub enum NdOptionType(u8) {
        /// Source Link-Layer Address (RFC 4861 §4.6.1).
        SourceLinkLayerAddr = 1,
        /// Target Link-Layer Address (RFC 4861 §4.6.1).
        TargetLinkLayerAddr = 2,
        /// Prefix Information (RFC 4861 §4.6.2).
        PrefixInformation = 3,
        /// Redirected Header (RFC 4861 §4.6.3).
        RedirectedHeader = 4,
        /// MTU (RFC 4861 §4.6.4).
        Mtu = 5,
        /// Nonce (RFC 3971 §5.3.2).
        Nonce = 14,
        /// Route Information (RFC 4191 §2.3).
        RouteInformation = 24,
        /// Recursive DNS Server (RFC 8106 §5.1).
        Rdnss = 25,
        /// DNS Search List (RFC 8106 §5.2).
        Dnssl = 31,
    }
}

/// Default Router Preference and Route Preference (RFC 4191 §2.1): two bits, `10` reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum RouterPreference {
    /// `11`.
    Low,
    /// `00`.
    #[default]
    Medium,
    /// `01`.
    High,
    /// `10`: a receiver treats it as medium for the default router (RFC 4191 §2.2, linux-ipv6.md B14) and ignores
    /// an RIO carrying it (RFC 4191 §3.1, B34).
    Reserved,
}

impl RouterPreference {
    /// Decodes the two bits (already shifted down).
    pub const fn from_bits(bits: u8) -> RouterPreference {
        match bits & 0b11 {
            0b00 => RouterPreference::Medium,
            0b01 => RouterPreference::High,
            0b11 => RouterPreference::Low,
            _ => RouterPreference::Reserved,
        }
    }

    /// The two bits (unshifted).
    pub const fn bits(self) -> u8 {
        match self {
            RouterPreference::Medium => 0b00,
            RouterPreference::High => 0b01,
            RouterPreference::Reserved => 0b10,
            RouterPreference::Low => 0b11,
        }
    }
}

/// The fields of a Prefix Information option (RFC 4861 §4.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrefixInfo {
    /// Prefix length, 0..=128 on the wire (the host validates it).
    pub prefix_len: u8,
    /// L: the prefix is on-link.
    pub on_link: bool,
    /// A: usable for SLAAC (RFC 4862 §5.5.3).
    pub autonomous: bool,
    /// Flag bits other than L and A (R of RFC 6275, P of RFC 9762, reserved), kept for round trips.
    pub other_flags: u8,
    /// Valid lifetime in seconds; `0xffffffff` is infinity.
    pub valid_lifetime: u32,
    /// Preferred lifetime in seconds.
    pub preferred_lifetime: u32,
    /// The prefix (bits past `prefix_len` as sent).
    pub prefix: Ipv6Addr,
}

/// The fields of a Route Information option (RFC 4191 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteInfo {
    /// Prefix length, 0..=128.
    pub prefix_len: u8,
    /// Route preference.
    pub preference: RouterPreference,
    /// Route lifetime in seconds; `0xffffffff` is infinity.
    pub lifetime: u32,
    /// The prefix; octets the option did not carry are zero.
    pub prefix: Ipv6Addr,
}

impl RouteInfo {
    /// The option length in 8-octet units a sender uses: 1 for ::/0, 2 up to /64, else 3 (RFC 4191 §2.3).
    pub const fn len_units(&self) -> u8 {
        match self.prefix_len {
            0 => 1,
            1..=64 => 2,
            _ => 3,
        }
    }
}

/// A decoded ND option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NdOptionRepr<'a> {
    /// Source link-layer address.
    SourceLinkLayerAddr(MacAddr),
    /// Target link-layer address.
    TargetLinkLayerAddr(MacAddr),
    /// Prefix Information.
    PrefixInformation(PrefixInfo),
    /// Redirected Header: the start of the redirected packet (possibly followed by zero padding on the wire).
    RedirectedHeader(&'a [u8]),
    /// MTU.
    Mtu(u32),
    /// Nonce bytes (6 in enhanced DAD, RFC 7527 §4.1).
    Nonce(&'a [u8]),
    /// Route Information.
    RouteInformation(RouteInfo),
    /// Recursive DNS servers with their lifetime in seconds.
    Rdnss {
        /// Lifetime in seconds.
        lifetime: u32,
        /// Server addresses.
        servers: AddrList<'a>,
    },
    /// DNS search list with its lifetime in seconds.
    Dnssl {
        /// Lifetime in seconds.
        lifetime: u32,
        /// Domain names.
        domains: DomainList<'a>,
    },
    /// Any other option: its type and the bytes after the type and length octets.
    Unknown {
        /// Option type.
        kind: u8,
        /// Option data (length × 8 − 2 bytes).
        data: &'a [u8],
    },
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn addr_from(b: &[u8]) -> Ipv6Addr {
    let mut o = [0u8; 16];
    o[..b.len().min(16)].copy_from_slice(&b[..b.len().min(16)]);
    Ipv6Addr::from(o)
}

/// One option of a validated options area: at least 8 bytes, a multiple of 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NdOption<'a> {
    bytes: &'a [u8],
}

impl<'a> NdOption<'a> {
    /// The option type.
    pub fn kind(&self) -> NdOptionType {
        NdOptionType::from(self.bytes[0])
    }

    /// The length field, in units of 8 octets (≥ 1).
    pub fn len_units(&self) -> u8 {
        self.bytes[1]
    }

    /// The whole option, type and length octets included.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Decodes the option. Errors concern this option only: `BadOptionLength` for a length its type forbids
    /// (an LLA option that is not 8 bytes on Ethernet, a PIO under 32 bytes, RIO rules of RFC 4191 §2.3 and
    /// linux-ipv6.md B34, an RDNSS that is not 1 + 2n units), `BadField` for a bad prefix length or domain name.
    pub fn repr(&self) -> Result<NdOptionRepr<'a>, WireError> {
        let b = self.bytes;
        let units = self.len_units();
        Ok(match self.kind() {
            NdOptionType::SourceLinkLayerAddr | NdOptionType::TargetLinkLayerAddr => {
                if units != 1 {
                    return Err(WireError::BadOptionLength);
                }
                let mac = MacAddr::from_bytes(&b[2..])?;
                if self.kind() == NdOptionType::SourceLinkLayerAddr {
                    NdOptionRepr::SourceLinkLayerAddr(mac)
                } else {
                    NdOptionRepr::TargetLinkLayerAddr(mac)
                }
            }
            NdOptionType::PrefixInformation => {
                if b.len() < 32 {
                    return Err(WireError::BadOptionLength);
                }
                NdOptionRepr::PrefixInformation(PrefixInfo {
                    prefix_len: b[2],
                    on_link: b[3] & 0x80 != 0,
                    autonomous: b[3] & 0x40 != 0,
                    other_flags: b[3] & 0x3f,
                    valid_lifetime: be32(&b[4..8]),
                    preferred_lifetime: be32(&b[8..12]),
                    prefix: addr_from(&b[16..32]),
                })
            }
            NdOptionType::RedirectedHeader => NdOptionRepr::RedirectedHeader(&b[8..]),
            NdOptionType::Mtu => NdOptionRepr::Mtu(be32(&b[4..8])),
            NdOptionType::Nonce => NdOptionRepr::Nonce(&b[2..]),
            NdOptionType::RouteInformation => {
                let prefix_len = b[2];
                if units > 3 || (units < 3 && prefix_len > 64) || (units < 2 && prefix_len > 0) {
                    return Err(WireError::BadOptionLength);
                }
                if prefix_len > 128 {
                    return Err(WireError::BadField);
                }
                NdOptionRepr::RouteInformation(RouteInfo {
                    prefix_len,
                    preference: RouterPreference::from_bits(b[3] >> 3),
                    lifetime: be32(&b[4..8]),
                    prefix: addr_from(&b[8..]),
                })
            }
            NdOptionType::Rdnss => {
                if units < 3 || units % 2 == 0 {
                    return Err(WireError::BadOptionLength);
                }
                NdOptionRepr::Rdnss {
                    lifetime: be32(&b[4..8]),
                    servers: AddrList::Wire(&b[8..]),
                }
            }
            NdOptionType::Dnssl => {
                if units < 2 {
                    return Err(WireError::BadOptionLength);
                }
                NdOptionRepr::Dnssl {
                    lifetime: be32(&b[4..8]),
                    domains: DomainList::parse(&b[8..])?,
                }
            }
            NdOptionType::Unknown(kind) => NdOptionRepr::Unknown { kind, data: &b[2..] },
        })
    }
}

impl NdOptionRepr<'_> {
    /// The option type.
    pub fn kind(&self) -> NdOptionType {
        match self {
            NdOptionRepr::SourceLinkLayerAddr(_) => NdOptionType::SourceLinkLayerAddr,
            NdOptionRepr::TargetLinkLayerAddr(_) => NdOptionType::TargetLinkLayerAddr,
            NdOptionRepr::PrefixInformation(_) => NdOptionType::PrefixInformation,
            NdOptionRepr::RedirectedHeader(_) => NdOptionType::RedirectedHeader,
            NdOptionRepr::Mtu(_) => NdOptionType::Mtu,
            NdOptionRepr::Nonce(_) => NdOptionType::Nonce,
            NdOptionRepr::RouteInformation(_) => NdOptionType::RouteInformation,
            NdOptionRepr::Rdnss { .. } => NdOptionType::Rdnss,
            NdOptionRepr::Dnssl { .. } => NdOptionType::Dnssl,
            NdOptionRepr::Unknown { kind, .. } => NdOptionType::from(*kind),
        }
    }

    /// Emitted length: a multiple of 8, padded with zeros.
    pub fn buffer_len(&self) -> usize {
        let unpadded = match self {
            NdOptionRepr::SourceLinkLayerAddr(_) | NdOptionRepr::TargetLinkLayerAddr(_) | NdOptionRepr::Mtu(_) => 8,
            NdOptionRepr::PrefixInformation(_) => 32,
            NdOptionRepr::RedirectedHeader(data) => 8 + data.len(),
            NdOptionRepr::Nonce(data) | NdOptionRepr::Unknown { data, .. } => 2 + data.len(),
            NdOptionRepr::RouteInformation(info) => usize::from(info.len_units()) * 8,
            NdOptionRepr::Rdnss { servers, .. } => 8 + servers.buffer_len(),
            NdOptionRepr::Dnssl { domains, .. } => 8 + domains.encoded_len(),
        };
        unpadded.div_ceil(8) * 8
    }

    /// Writes the option into the start of `buf`. More than 255 units is `BadOptionLength`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let len = self.buffer_len();
        let units = u8::try_from(len / 8).map_err(|_| WireError::BadOptionLength)?;
        let b = buf.get_mut(..len).ok_or(WireError::BufferTooSmall)?;
        b.fill(0);
        b[0] = u8::from(self.kind());
        b[1] = units;
        match self {
            NdOptionRepr::SourceLinkLayerAddr(mac) | NdOptionRepr::TargetLinkLayerAddr(mac) => {
                b[2..8].copy_from_slice(&mac.0)
            }
            NdOptionRepr::PrefixInformation(p) => {
                b[2] = p.prefix_len;
                b[3] = (u8::from(p.on_link) << 7) | (u8::from(p.autonomous) << 6) | (p.other_flags & 0x3f);
                b[4..8].copy_from_slice(&p.valid_lifetime.to_be_bytes());
                b[8..12].copy_from_slice(&p.preferred_lifetime.to_be_bytes());
                b[16..32].copy_from_slice(&p.prefix.octets());
            }
            NdOptionRepr::RedirectedHeader(data) => b[8..8 + data.len()].copy_from_slice(data),
            NdOptionRepr::Mtu(mtu) => b[4..8].copy_from_slice(&mtu.to_be_bytes()),
            NdOptionRepr::Nonce(data) | NdOptionRepr::Unknown { data, .. } => {
                b[2..2 + data.len()].copy_from_slice(data)
            }
            NdOptionRepr::RouteInformation(r) => {
                b[2] = r.prefix_len;
                b[3] = r.preference.bits() << 3;
                b[4..8].copy_from_slice(&r.lifetime.to_be_bytes());
                let carried = len - 8;
                b[8..].copy_from_slice(&r.prefix.octets()[..carried]);
            }
            NdOptionRepr::Rdnss { lifetime, servers } => {
                b[4..8].copy_from_slice(&lifetime.to_be_bytes());
                servers.emit(&mut b[8..]);
            }
            NdOptionRepr::Dnssl { lifetime, domains } => {
                b[4..8].copy_from_slice(&lifetime.to_be_bytes());
                domains.emit(&mut b[8..])?;
            }
        }
        Ok(())
    }
}

/// The options area of an ND message. Two values are equal when they emit the same bytes, so a parsed message
/// compares equal to the one it was built from.
#[derive(Debug, Clone, Copy)]
pub enum NdOptions<'a> {
    /// Received bytes, validated by [`NdOptions::parse`] (or deliberately unvalidated, to build malformed messages).
    Wire(&'a [u8]),
    /// Options to emit, in order.
    Reprs(&'a [NdOptionRepr<'a>]),
}

impl PartialEq for NdOptions<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (NdOptions::Wire(a), NdOptions::Wire(b)) => a == b,
            (NdOptions::Reprs(a), NdOptions::Reprs(b)) => a == b,
            (NdOptions::Wire(bytes), built @ NdOptions::Reprs(_))
            | (built @ NdOptions::Reprs(_), NdOptions::Wire(bytes)) => {
                // Off the per-packet path (tests, assertions): emitting into a scratch buffer is fine.
                let mut buf = vec![0u8; built.buffer_len()];
                built.emit(&mut buf).is_ok() && buf == *bytes
            }
        }
    }
}

impl Eq for NdOptions<'_> {}

impl<'a> NdOptions<'a> {
    /// No options.
    pub const NONE: NdOptions<'static> = NdOptions::Reprs(&[]);

    /// The validation walk of RFC 4861 §4.6 / Linux `ndisc_parse_options`: every option has a non-zero length
    /// and ends inside `bytes`, otherwise the whole message is `BadOptionLength` (linux-ipv6.md B6).
    pub fn parse(bytes: &'a [u8]) -> Result<NdOptions<'a>, WireError> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let units = usize::from(*rest.get(1).ok_or(WireError::BadOptionLength)?);
            if units == 0 || units * 8 > rest.len() {
                return Err(WireError::BadOptionLength);
            }
            rest = &rest[units * 8..];
        }
        Ok(NdOptions::Wire(bytes))
    }

    /// Zero-copy views of received options, in order. Stops at the first bad length (only reachable with
    /// unvalidated bytes). Built (`Reprs`) options have no wire view: use [`NdOptions::reprs`].
    pub fn views(&self) -> impl Iterator<Item = NdOption<'a>> + 'a {
        let mut rest: &'a [u8] = match *self {
            NdOptions::Wire(b) => b,
            NdOptions::Reprs(_) => &[],
        };
        std::iter::from_fn(move || {
            let units = usize::from(*rest.get(1)?);
            if units == 0 || units * 8 > rest.len() {
                return None;
            }
            let (option, tail) = rest.split_at(units * 8);
            rest = tail;
            Some(NdOption { bytes: option })
        })
    }

    /// Every option decoded, in order; an option that fails to decode yields its error and the walk goes on.
    pub fn reprs(&self) -> impl Iterator<Item = Result<NdOptionRepr<'a>, WireError>> + 'a {
        let built: &'a [NdOptionRepr<'a>] = match *self {
            NdOptions::Wire(_) => &[],
            NdOptions::Reprs(r) => r,
        };
        self.views().map(|v| v.repr()).chain(built.iter().map(|r| Ok(*r)))
    }

    /// The options whose type `keep` accepts, decoded in order (an option that fails to decode yields its error):
    /// [`NdOptions::reprs`] without decoding the options the caller would skip anyway.
    pub fn reprs_where(
        &self,
        keep: impl Fn(NdOptionType) -> bool + Copy + 'a,
    ) -> impl Iterator<Item = Result<NdOptionRepr<'a>, WireError>> + 'a {
        let built: &'a [NdOptionRepr<'a>] = match *self {
            NdOptions::Wire(_) => &[],
            NdOptions::Reprs(r) => r,
        };
        self.views()
            .filter(move |v| keep(v.kind()))
            .map(|v| v.repr())
            .chain(built.iter().filter(move |r| keep(r.kind())).map(|r| Ok(*r)))
    }

    /// The first option of `kind` for which `pick` returns a value. Received options are matched on their type
    /// octet before decoding, so a lookup decodes only the options of that type (an RA to ten thousand hosts is
    /// read ten thousand times); the answer is the one a walk over [`NdOptions::reprs`] gives.
    fn first<T>(&self, kind: NdOptionType, pick: impl Fn(NdOptionRepr<'a>) -> Option<T>) -> Option<T> {
        match *self {
            NdOptions::Wire(_) => self
                .views()
                .filter(|v| v.kind() == kind)
                .find_map(|v| v.repr().ok().and_then(&pick)),
            NdOptions::Reprs(r) => r.iter().find_map(|o| pick(*o)),
        }
    }

    /// The first Source Link-Layer Address that decodes (duplicates: the first wins, linux-ipv6.md B8).
    pub fn source_lladdr(&self) -> Option<MacAddr> {
        self.first(NdOptionType::SourceLinkLayerAddr, |r| match r {
            NdOptionRepr::SourceLinkLayerAddr(mac) => Some(mac),
            _ => None,
        })
    }

    /// The first Target Link-Layer Address that decodes.
    pub fn target_lladdr(&self) -> Option<MacAddr> {
        self.first(NdOptionType::TargetLinkLayerAddr, |r| match r {
            NdOptionRepr::TargetLinkLayerAddr(mac) => Some(mac),
            _ => None,
        })
    }

    /// The first MTU option.
    pub fn mtu(&self) -> Option<u32> {
        self.first(NdOptionType::Mtu, |r| match r {
            NdOptionRepr::Mtu(mtu) => Some(mtu),
            _ => None,
        })
    }

    /// The first Nonce option (enhanced DAD, RFC 7527 §4.2).
    pub fn nonce(&self) -> Option<&'a [u8]> {
        self.first(NdOptionType::Nonce, |r| match r {
            NdOptionRepr::Nonce(n) => Some(n),
            _ => None,
        })
    }

    /// Whether an option of this type is present (decodable or not), e.g. an SLLA in a DAD NS (linux-ipv6.md B39).
    pub fn contains(&self, kind: NdOptionType) -> bool {
        match self {
            NdOptions::Wire(_) => self.views().any(|v| v.kind() == kind),
            NdOptions::Reprs(r) => r.iter().any(|o| o.kind() == kind),
        }
    }

    /// Emitted length.
    pub fn buffer_len(&self) -> usize {
        match self {
            NdOptions::Wire(b) => b.len(),
            NdOptions::Reprs(r) => r.iter().map(NdOptionRepr::buffer_len).sum(),
        }
    }

    /// Writes the options into the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let buf = buf.get_mut(..self.buffer_len()).ok_or(WireError::BufferTooSmall)?;
        match self {
            NdOptions::Wire(b) => buf.copy_from_slice(b),
            NdOptions::Reprs(reprs) => {
                let mut offset = 0;
                for r in reprs.iter() {
                    r.emit(&mut buf[offset..])?;
                    offset += r.buffer_len();
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Golden options, hand-encoded from RFC 4861 §4.6, RFC 4191 §2.3 and RFC 8106 §5.
    const SLLA: [u8; 8] = [1, 1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    const PIO: [u8; 32] = [
        3, 4, 64, 0xc0, 0x00, 0x01, 0x51, 0x80, 0x00, 0x00, 0x38, 0x40, 0, 0, 0, 0, // L A, 86400 s, 14400 s
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 2001:db8:1::/64
    ];
    const MTU: [u8; 8] = [5, 1, 0, 0, 0x00, 0x00, 0x05, 0x78];
    const RIO: [u8; 16] = [
        24, 2, 48, 0x08, 0, 0, 0x02, 0x58, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x99, 0, 0,
    ];
    const RDNSS: [u8; 24] = [
        25, 3, 0, 0, 0, 0, 0x04, 0xb0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
    ];
    const DNSSL: [u8; 24] = [
        31, 3, 0, 0, 0, 0, 0x04, 0xb0, 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, 0, 0, 0,
    ];

    fn all_golden() -> Vec<u8> {
        [&SLLA[..], &PIO, &MTU, &RIO, &RDNSS, &DNSSL, &PIO].concat()
    }

    fn pio(prefix: &str) -> PrefixInfo {
        PrefixInfo {
            prefix_len: 64,
            on_link: true,
            autonomous: true,
            other_flags: 0,
            valid_lifetime: 86400,
            preferred_lifetime: 14400,
            prefix: prefix.parse().unwrap(),
        }
    }

    const DNS: [Ipv6Addr; 1] = [Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53)];

    fn expected() -> [NdOptionRepr<'static>; 7] {
        [
            NdOptionRepr::SourceLinkLayerAddr(MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56])),
            NdOptionRepr::PrefixInformation(pio("2001:db8:1::")),
            NdOptionRepr::Mtu(1400),
            NdOptionRepr::RouteInformation(RouteInfo {
                prefix_len: 48,
                preference: RouterPreference::High,
                lifetime: 600,
                prefix: "2001:db8:99::".parse().unwrap(),
            }),
            NdOptionRepr::Rdnss {
                lifetime: 1200,
                servers: AddrList::Addrs(&DNS),
            },
            NdOptionRepr::Dnssl {
                lifetime: 1200,
                domains: DomainList::Names(&["example.com"]),
            },
            NdOptionRepr::PrefixInformation(pio("2001:db8:1::")),
        ]
    }

    #[test]
    fn emit_golden_options() {
        let reprs = expected();
        let options = NdOptions::Reprs(&reprs);
        let mut buf = vec![0u8; options.buffer_len()];
        options.emit(&mut buf).unwrap();
        assert_eq!(buf, all_golden());
    }

    #[test]
    fn parse_golden_options() {
        let bytes = all_golden();
        let options = NdOptions::parse(&bytes).unwrap();
        let kinds: Vec<NdOptionType> = options.views().map(|v| v.kind()).collect();
        assert_eq!(kinds.len(), 7);
        let reprs: Vec<NdOptionRepr<'_>> = options.reprs().map(Result::unwrap).collect();
        let want = expected();
        assert_eq!(reprs[..4], want[..4]);
        match reprs[4] {
            NdOptionRepr::Rdnss { lifetime, servers } => {
                assert_eq!(lifetime, 1200);
                assert!(servers.iter().eq(DNS.iter().copied()));
            }
            other => panic!("expected RDNSS, got {other:?}"),
        }
        match reprs[5] {
            NdOptionRepr::Dnssl {
                lifetime: 1200,
                domains,
            } => {
                assert_eq!(
                    domains.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                    ["example.com"]
                );
            }
            other => panic!("expected DNSSL, got {other:?}"),
        }
        assert_eq!(reprs[6], want[6], "a second PIO is kept");
        assert_eq!(options, NdOptions::Reprs(&want), "parsed options equal the built ones");
        assert_ne!(options, NdOptions::Reprs(&want[..6]));
        assert_eq!(NdOptions::parse(&[]).unwrap(), NdOptions::NONE);
        assert_eq!(
            options.source_lladdr(),
            Some(MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]))
        );
        assert_eq!(options.mtu(), Some(1400));
        assert_eq!(options.target_lladdr(), None);
        assert!(options.contains(NdOptionType::Dnssl));
    }

    #[test]
    fn zero_length_or_overrun_rejects_everything() {
        // linux-ipv6.md B6: one bad option drops the whole message.
        let mut bytes = all_golden();
        bytes[8 + 1] = 0; // the PIO's length
        assert_eq!(NdOptions::parse(&bytes), Err(WireError::BadOptionLength));
        let bytes = all_golden();
        assert_eq!(
            NdOptions::parse(&bytes[..bytes.len() - 8]),
            Err(WireError::BadOptionLength)
        );
        assert_eq!(NdOptions::parse(&[1]), Err(WireError::BadOptionLength));
        assert_eq!(NdOptions::parse(&[]), Ok(NdOptions::Wire(&[])));
        // Unvalidated bytes: the view walk stops at the bad option.
        let mut bytes = all_golden();
        bytes[8 + 1] = 0;
        assert_eq!(NdOptions::Wire(&bytes).views().count(), 1);
    }

    #[test]
    fn per_option_errors_leave_the_rest() {
        // An SLLA of 16 bytes, an RIO /96 in 2 units (RFC 4191 §2.3), an unknown type 99, an MTU.
        let mut bytes = vec![1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
        bytes.extend_from_slice(&[24, 2, 96, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        bytes.extend_from_slice(&[99, 1, 1, 2, 3, 4, 5, 6]);
        bytes.extend_from_slice(&MTU);
        let options = NdOptions::parse(&bytes).unwrap();
        let reprs: Vec<_> = options.reprs().collect();
        assert_eq!(reprs[0], Err(WireError::BadOptionLength));
        assert_eq!(reprs[1], Err(WireError::BadOptionLength));
        assert_eq!(
            reprs[2],
            Ok(NdOptionRepr::Unknown {
                kind: 99,
                data: &[1, 2, 3, 4, 5, 6]
            })
        );
        assert_eq!(reprs[3], Ok(NdOptionRepr::Mtu(1400)));
        assert_eq!(options.source_lladdr(), None);
    }

    #[test]
    fn route_information_lengths_and_preferences() {
        let default = RouteInfo {
            prefix_len: 0,
            preference: RouterPreference::Low,
            lifetime: 0xffff_ffff,
            prefix: Ipv6Addr::UNSPECIFIED,
        };
        let mut buf = [0u8; 8];
        NdOptionRepr::RouteInformation(default).emit(&mut buf).unwrap();
        assert_eq!(buf, [24, 1, 0, 0x18, 0xff, 0xff, 0xff, 0xff]);
        let host = RouteInfo {
            prefix_len: 128,
            prefix: "2001:db8::1".parse().unwrap(),
            ..default
        };
        assert_eq!(NdOptionRepr::RouteInformation(host).buffer_len(), 24);
        for bits in 0..4 {
            assert_eq!(RouterPreference::from_bits(bits).bits(), bits);
        }
        assert_eq!(RouterPreference::from_bits(0b10), RouterPreference::Reserved);
    }

    #[test]
    fn nonce_and_redirected_header_pad_to_eight() {
        let nonce = NdOptionRepr::Nonce(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(nonce.buffer_len(), 8);
        let redirected = NdOptionRepr::RedirectedHeader(&[0x60; 41]);
        let mut buf = [0xffu8; 56];
        redirected.emit(&mut buf).unwrap();
        assert_eq!(&buf[..8], &[4, 7, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&buf[49..], &[0; 7]);
    }
}
