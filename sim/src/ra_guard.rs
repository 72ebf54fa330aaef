//! RA-Guard (RFC 6105): the switch's decision whether a frame entering on a host port is a Router Advertisement
//! to drop, in two strengths, so that the evasions of RFC 7113 §2 (THC `fake_router6 -E`, SI6 `ra6 -H/-u/-y`,
//! linux-ipv6.md G10, G11, G13) can be shown to work against one and fail against the other.
//!
//! The checks read the frame's bytes in place, with no allocation: they run on every frame a guarded switch sees.

use crate::wire::{walk_ext_chain, IpProtocol};

/// Ethernet header length without a tag, and with an 802.1Q tag.
const ETH_LEN: usize = 14;
const ETH_VLAN_LEN: usize = 18;
const IPV6_LEN: usize = 40;
/// ICMPv6 type of a Router Advertisement (RFC 4861 §4.2).
const ROUTER_ADVERT: u8 = 134;

/// The RA-Guard a segment runs on its host ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RaGuard {
    /// No filtering (an unmanaged switch).
    #[default]
    Off,
    /// RFC 6105 stateless RA-Guard as early implementations did it: drops a frame whose IPv6 Next Header is
    /// ICMPv6 and whose ICMPv6 type is 134. Any extension header in front hides the RA (RFC 7113 §2).
    Naive,
    /// RFC 7113 §3: walks the whole header chain; drops an RA behind any extension headers, fragmented or not,
    /// and a first fragment whose header chain does not reach the upper-layer header (its protocol cannot be
    /// determined, so it might be an RA).
    FullChain,
}

/// Where the IPv6 header starts, if this is an IPv6 frame (untagged or 802.1Q-tagged).
fn ipv6_offset(frame: &[u8]) -> Option<usize> {
    match frame.get(12..14)? {
        [0x86, 0xdd] => Some(ETH_LEN),
        [0x81, 0x00] if frame.get(16..18)? == [0x86, 0xdd] => Some(ETH_VLAN_LEN),
        _ => None,
    }
}

impl RaGuard {
    /// Whether the guard drops `frame` arriving on a host port. Frames from router ports are never checked.
    pub fn blocks(self, frame: &[u8]) -> bool {
        match self {
            RaGuard::Off => false,
            RaGuard::Naive => naive_blocks(frame),
            RaGuard::FullChain => full_chain_blocks(frame),
        }
    }
}

/// First header only: Next Header 58 and ICMPv6 type 134.
fn naive_blocks(frame: &[u8]) -> bool {
    let Some(l3) = ipv6_offset(frame) else {
        return false;
    };
    frame.get(l3 + 6) == Some(&IpProtocol::ICMPV6.0) && frame.get(l3 + IPV6_LEN) == Some(&ROUTER_ADVERT)
}

/// RFC 7113 §3: pass what a host would never take as an RA (source not link-local or hop limit not 255), pass
/// non-first fragments (their first fragment decides), drop RAs wherever they sit in the chain, drop packets
/// whose upper layer cannot be determined.
fn full_chain_blocks(frame: &[u8]) -> bool {
    let Some(l3) = ipv6_offset(frame) else {
        return false;
    };
    let Some(header) = frame.get(l3..l3 + IPV6_LEN) else {
        return false; // not a parseable IPv6 packet: no host takes it as an RA either
    };
    let link_local_src = header[8] == 0xfe && header[9] & 0xc0 == 0x80;
    if !link_local_src || header[7] != 255 {
        return false;
    }
    let payload_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    let start = l3 + IPV6_LEN;
    let end = (start + payload_len).min(frame.len());
    let payload = frame.get(start..end).unwrap_or_default();
    let Ok(chain) = walk_ext_chain(IpProtocol(header[6]), payload) else {
        // A truncated chain or a first fragment without the upper-layer header: the protocol is unknown.
        return true;
    };
    if !chain.has_upper_header() {
        return false;
    }
    if chain.upper != IpProtocol::ICMPV6 {
        return false;
    }
    match payload.get(usize::from(chain.upper_offset)) {
        Some(&t) => t == ROUTER_ADVERT,
        None => true, // ICMPv6 announced but its type is missing: undeterminable
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::build::{ipv6_frame, Ipv6Params, Upper, L2};
    use crate::wire::fragment::append_ipv6_fragments;
    use crate::wire::ipv6::ALL_NODES;
    use crate::wire::{FragmentInfo, Icmpv6Repr, Ipv6ExtRepr, MacAddr, NdOptions, NdiscRepr, RaFlags};
    use std::net::Ipv6Addr;

    const MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x66]);

    fn ra() -> Upper<'static> {
        Upper::Icmpv6(Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            hop_limit: 64,
            flags: RaFlags::default(),
            router_lifetime: 1800,
            reachable_time: 0,
            retrans_time: 0,
            options: NdOptions::NONE,
        }))
    }

    fn l2() -> L2 {
        L2 {
            src: MAC,
            dst: MacAddr::from_ipv6_multicast(ALL_NODES),
            vlan: None,
        }
    }

    fn frame(exts: &[Ipv6ExtRepr<'_>], src: Ipv6Addr, hop: u8) -> Vec<u8> {
        let ip = Ipv6Params {
            exts,
            ..Ipv6Params::new(src, ALL_NODES, hop)
        };
        ipv6_frame(l2(), &ip, &ra()).unwrap_or_default()
    }

    fn ll() -> Ipv6Addr {
        MAC.eui64_link_local()
    }

    #[test]
    fn both_guards_drop_a_plain_ra_rfc6105() {
        let f = frame(&[], ll(), 255);
        assert!(RaGuard::Naive.blocks(&f) && RaGuard::FullChain.blocks(&f));
        assert!(!RaGuard::Off.blocks(&f));
    }

    #[test]
    fn extension_headers_evade_only_the_naive_guard_rfc7113_2() {
        let atomic = Ipv6ExtRepr::Fragment(FragmentInfo {
            offset: 0,
            more: false,
            ident: 7,
        });
        for ext in [
            Ipv6ExtRepr::HopByHop { options: &[] },
            Ipv6ExtRepr::DestinationOptions { options: &[] },
            atomic,
        ] {
            let f = frame(&[ext], ll(), 255);
            assert!(!RaGuard::Naive.blocks(&f), "{ext:?}");
            assert!(RaGuard::FullChain.blocks(&f), "{ext:?}");
        }
    }

    #[test]
    fn first_fragment_without_the_icmpv6_header_is_dropped_rfc7113_3() {
        let pad = [0u8; 200];
        // PadN TLV of 200 data bytes: a destination-options header longer than the first fragment.
        let mut opt = vec![1u8, 200];
        opt.extend_from_slice(&pad);
        let dest = [Ipv6ExtRepr::DestinationOptions { options: &opt }];
        let mut buf = Vec::new();
        let ip = Ipv6Params::new(ll(), ALL_NODES, 255);
        let ranges = append_ipv6_fragments(&mut buf, l2(), &ip, &dest, &ra(), 9, 104).unwrap_or_default();
        assert!(ranges.len() >= 2);
        let first = &buf[ranges[0].clone()];
        assert!(!RaGuard::Naive.blocks(first));
        assert!(RaGuard::FullChain.blocks(first));
        // Later fragments pass: without the first no host reassembles the RA.
        assert!(!RaGuard::FullChain.blocks(&buf[ranges[1].clone()]));
    }

    #[test]
    fn what_no_host_takes_as_an_ra_passes_the_full_guard() {
        let global = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
        assert!(!RaGuard::FullChain.blocks(&frame(&[], global, 255)));
        assert!(!RaGuard::FullChain.blocks(&frame(&[], ll(), 64)));
        assert!(!RaGuard::FullChain.blocks(&[0u8; 20]));
    }
}
