//! The packet layer: zero-copy views and validated representations of every frame the simulator moves.
//!
//! Contract, in smoltcp's `wire` style:
//! - one file per protocol; each has a zero-copy `…Packet<T: AsRef<[u8]>>` whose `new_checked` validates the
//!   lengths of untrusted input, and a `…Repr` with `parse` (validates fields and checksums), `buffer_len` and `emit`;
//! - parsing never allocates and never panics, whatever the bytes: every failure is one [`WireError`], a `Copy`
//!   reason good enough for a drop counter;
//! - [`parse_frame`] decodes a whole Ethernet frame once into a `Copy` [`FrameView`] that a switch and all the
//!   receivers of a multicast frame share; the builders in [`build`] append whole frames to a reusable buffer.
//!
//! ```
//! use dualhome_sim::wire::build::{ipv6_frame, Ipv6Params, Upper, L2};
//! use dualhome_sim::wire::ipv6::{solicited_node, ALL_NODES};
//! use dualhome_sim::wire::*;
//!
//! // A DAD probe (RFC 4862 §5.4.2) as Linux sends it: from ::, to the solicited-node group, with a nonce.
//! let mac: MacAddr = "52:54:00:12:34:56".parse()?;
//! let target = mac.eui64_link_local();
//! let group = solicited_node(target);
//! let nonce = [NdOptionRepr::Nonce(&[1, 2, 3, 4, 5, 6])];
//! let ns = NdiscRepr::NeighborSolicit { target, options: NdOptions::Reprs(&nonce) };
//! let l2 = L2 { src: mac, dst: MacAddr::from_ipv6_multicast(group), vlan: None };
//! let ip = Ipv6Params::new(std::net::Ipv6Addr::UNSPECIFIED, group, 255);
//! let frame = ipv6_frame(l2, &ip, &Upper::Icmpv6(Icmpv6Repr::Ndisc(ns)))?;
//!
//! // Every receiver shares one parse; the checksum was verified there.
//! let view = parse_frame(&frame)?;
//! assert!(view.is_ndisc() && view.dst.is_ipv6_multicast());
//! let Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit { target: t, options }))) = view.icmpv6() else {
//!     panic!("not an NS");
//! };
//! assert_eq!((t, options.nonce()), (target, Some(&[1u8, 2, 3, 4, 5, 6][..])));
//! assert_ne!(group, ALL_NODES);
//! # Ok::<(), WireError>(())
//! ```
//!
//! smoltcp's `wire` supplies the Internet checksum, and its parsers cross-check every frame built here
//! (`tests/wire_interop.rs`). Its representations do not fit the simulator, so the rest is written here: its
//! `NdiscRepr` keeps one prefix option (an RA carries several PIOs, RIOs, RDNSS, DNSSL), it has no RFC 4191
//! router preference, no extension-header chain walk, ICMP errors that quote 8 bytes without the next-hop MTU,
//! an `Ipv4Repr` without DF/ident, and a `TcpRepr` with a single control flag.
//!
//! Not supported: IPv4 options on emit (parsed and skipped), IPv4 fragmentation, IPv6 reassembly (the
//! [`fragment`] builder splits, receivers only see fragments), jumbograms, MLD, SEND (RFC 3971) signatures,
//! 802.1ad double tags.

/// `wire_enum!`: a `Copy` enum of known values with an `Unknown(raw)` catch-all, convertible both ways, so that
/// parsing never fails on a value this crate does not name (smoltcp's `enum_with_unknown!` is private to it).
/// Declares `enum $name { $variant = $value, …, Unknown($ty) }` with `From<$ty>` and `From<$name> for $ty`.
macro_rules! wire_enum {
    (
        $(#[$enum_attr:meta])*
        pub enum $name:ident($ty:ty) {
            $( $(#[$variant_attr:meta])* $variant:ident = $value:expr ),+ $(,)?
        }
    ) => {
        $(#[$enum_attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$variant_attr])* $variant ),+,
            /// A value this crate does not name, kept as it was on the wire.
            Unknown($ty),
        }

        impl ::core::convert::From<$ty> for $name {
            fn from(value: $ty) -> Self {
                match value {
                    $( $value => $name::$variant ),+,
                    other => $name::Unknown(other),
                }
            }
        }

        impl ::core::convert::From<$name> for $ty {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $value ),+,
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}

pub mod arp;
pub mod build;
pub mod ethernet;
pub mod fragment;
pub mod frame;
pub mod icmpv4;
pub mod icmpv6;
pub mod ip;
pub mod ipv4;
pub mod ipv6;
pub mod ipv6ext;
pub mod mac;
pub mod ndisc;
mod ndisc_dns;
pub mod ndisc_option;
pub mod summary;
pub mod tcp;
pub mod udp;

pub use arp::{ArpOperation, ArpPacket, ArpRepr};
pub use ethernet::{EtherType, EthernetFrame, EthernetRepr, VlanTag};
pub use frame::{parse_frame, parse_frame_with, FrameView, Ipv4View, Ipv6View, L3View, L4View};
pub use icmpv4::{Icmpv4Packet, Icmpv4Repr, Icmpv4TimeExceeded, Icmpv4Unreachable};
pub use icmpv6::{Icmpv6Packet, Icmpv6ParamProblem, Icmpv6Repr, Icmpv6TimeExceeded, Icmpv6Unreachable};
pub use ip::{IpPair, IpProtocol};
pub use ipv4::{Ipv4Packet, Ipv4Repr};
pub use ipv6::{Ipv6Packet, Ipv6Repr};
pub use ipv6ext::{walk_ext_chain, ExtChain, FragmentInfo, Ipv6ExtRepr};
pub use mac::MacAddr;
pub use ndisc::{NaFlags, NdiscRepr, RaFlags};
pub use ndisc_option::{NdOption, NdOptionRepr, NdOptionType, NdOptions, PrefixInfo, RouteInfo, RouterPreference};
pub use summary::FrameSummary;
pub use tcp::{TcpFlags, TcpOptions, TcpPacket, TcpRepr};
pub use udp::{UdpPacket, UdpRepr};

/// Why bytes could not be parsed (or a `Repr` could not be emitted). `Copy` and small, so that a drop counter can be
/// an array indexed by [`WireError::index`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error)]
pub enum WireError {
    /// The buffer ends before a header or a length field says it should.
    #[error("truncated")]
    Truncated,
    /// An IPv4 header checksum or an ICMP/UDP/TCP checksum does not verify.
    #[error("bad checksum")]
    BadChecksum,
    /// The IP version nibble is not the one the ethertype announced.
    #[error("bad IP version")]
    BadVersion,
    /// A header length field is below the fixed header (IPv4 IHL < 5, TCP data offset < 5).
    #[error("bad header length")]
    BadHeaderLength,
    /// A total/payload length field disagrees with the buffer or with the header.
    #[error("bad length field")]
    BadLength,
    /// An option (ND, TCP, IPv6 TLV) has length 0 or runs past the end of its container (RFC 4861 §4.6).
    #[error("bad option length")]
    BadOptionLength,
    /// The IPv6 extension-header chain is malformed: hop-by-hop not first, or the first fragment does not hold the
    /// whole chain (RFC 8200 §4, RFC 7112).
    #[error("malformed extension header chain")]
    BadExtensionChain,
    /// A field holds a value the protocol forbids (ND code ≠ 0, ARP hardware type ≠ Ethernet, …).
    #[error("bad field value")]
    BadField,
    /// A well-formed message of a kind this layer does not represent (unknown ethertype, ICMP type, option kind).
    #[error("unsupported")]
    Unsupported,
    /// The buffer given to `emit` is shorter than `buffer_len()`.
    #[error("buffer too small")]
    BufferTooSmall,
}

impl WireError {
    /// Every reason, in [`WireError::index`] order, for drop-counter tables.
    pub const ALL: [WireError; 10] = [
        WireError::Truncated,
        WireError::BadChecksum,
        WireError::BadVersion,
        WireError::BadHeaderLength,
        WireError::BadLength,
        WireError::BadOptionLength,
        WireError::BadExtensionChain,
        WireError::BadField,
        WireError::Unsupported,
        WireError::BufferTooSmall,
    ];

    /// A dense index in `0..ALL.len()`, for counting drops in a fixed array without hashing.
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl From<smoltcp::wire::Error> for WireError {
    /// smoltcp's error carries no reason; its codecs fail on truncation or on an inconsistent header.
    fn from(_: smoltcp::wire::Error) -> Self {
        WireError::Truncated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_dense_and_matches_all() {
        for (i, reason) in WireError::ALL.iter().enumerate() {
            assert_eq!(reason.index(), i);
        }
        assert_eq!(WireError::BadChecksum.to_string(), "bad checksum");
    }
}
