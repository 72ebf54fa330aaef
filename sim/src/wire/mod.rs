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
//! smoltcp's `wire` supplies the UDP and TCP codecs and the Internet checksum. What it lacks is written here: ND
//! options without limits on their number (several PIOs, RIOs, RDNSS, DNSSL), RFC 4191 router preference, the IPv6
//! extension-header chain walk, ICMP errors that quote more than 8 bytes, and IPv4 fragmentation fields.
//!
//! Not supported: IPv4 options on emit (parsed and skipped), IPv6 fragment reassembly or splitting, jumbograms,
//! MLD, SEND (RFC 3971) signatures, 802.1ad double tags.

mod macros;

pub mod arp;
pub mod build;
mod error;
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
pub mod tcp;
pub mod udp;

pub use arp::{ArpOperation, ArpPacket, ArpRepr};
pub use error::WireError;
pub use ethernet::{EtherType, EthernetFrame, EthernetRepr, VlanTag};
pub use frame::{parse_frame, FrameView, Ipv4View, Ipv6View, L3View, L4View};
pub use icmpv4::{Icmpv4Packet, Icmpv4Repr, Icmpv4TimeExceeded, Icmpv4Unreachable};
pub use icmpv6::{Icmpv6Packet, Icmpv6ParamProblem, Icmpv6Repr, Icmpv6TimeExceeded, Icmpv6Unreachable};
pub use ip::{IpPair, IpProtocol};
pub use ipv4::{Ipv4Packet, Ipv4Repr};
pub use ipv6::{Ipv6Packet, Ipv6Repr};
pub use ipv6ext::{walk_ext_chain, ExtChain, FragmentInfo, Ipv6ExtRepr};
pub use mac::MacAddr;
pub use ndisc::{NaFlags, NdiscRepr, RaFlags};
pub use ndisc_option::{NdOption, NdOptionRepr, NdOptionType, NdOptions, PrefixInfo, RouteInfo, RouterPreference};
pub use tcp::{TcpFlags, TcpOptions, TcpPacket, TcpRepr};
pub use udp::{UdpPacket, UdpRepr};
