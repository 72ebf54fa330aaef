//! IPv6 fragmentation at the source (RFC 8200 §4.5), for the frames attackers and tests need: ND messages in
//! fragments (RFC 6980, linux-ipv6.md B2, B47) and RA-Guard evasion (RFC 7113 §2: a long Destination Options
//! header in the fragmentable part pushes the ICMPv6 header out of the first fragment). Linux's own sender never
//! fragments ND, and the simulator's hosts send within the MTU, so this is not on the per-packet path.

use std::ops::Range;

use super::build::{append, eth, Ipv6Params, Upper, L2};
use super::ethernet::EtherType;
use super::ip::{IpPair, IpProtocol};
use super::ipv6::{Ipv6Repr, HEADER_LEN as IPV6_HEADER_LEN};
use super::ipv6ext::{chain_len, emit_chain, FragmentInfo, Ipv6ExtRepr};
use super::WireError;

/// Length of a Fragment header.
const FRAGMENT_HEADER_LEN: usize = 8;

/// Builds `upper` behind `fragmentable` extension headers, as one packet, then splits that fragmentable part
/// into chunks of `chunk_len` bytes (a multiple of 8; the last chunk may be shorter). Each fragment carries the
/// IPv6 header, `ip.exts` (the unfragmentable part: Hop-by-Hop, Routing) and a Fragment header with `ident`.
/// The upper-layer checksum covers the whole original message, as RFC 8200 §8.1 requires. Appends one frame
/// per fragment to `buf` and returns their ranges.
pub fn append_ipv6_fragments(
    buf: &mut Vec<u8>,
    l2: L2,
    ip: &Ipv6Params<'_>,
    fragmentable: &[Ipv6ExtRepr<'_>],
    upper: &Upper<'_>,
    ident: u32,
    chunk_len: usize,
) -> Result<Vec<Range<usize>>, WireError> {
    if chunk_len == 0 || chunk_len % 8 != 0 {
        return Err(WireError::BadField);
    }
    // The fragmentable part, built once: extension headers then the upper layer with its checksum.
    let exts_len = chain_len(fragmentable);
    let mut part = vec![0u8; exts_len + upper.buffer_len()];
    let first_next = emit_chain(fragmentable, upper.protocol(), &mut part[..exts_len])?;
    upper.emit(
        IpPair::V6 {
            src: ip.src,
            dst: ip.dst,
        },
        &mut part[exts_len..],
    )?;

    let eth = eth(l2, EtherType::IPV6);
    let l2_len = eth.buffer_len();
    let unfrag_len = chain_len(ip.exts);
    let start = buf.len();
    let mut ranges = Vec::with_capacity(part.len().div_ceil(chunk_len));
    for (i, chunk) in part.chunks(chunk_len).enumerate() {
        let offset = i * chunk_len;
        let info = FragmentInfo {
            offset: u16::try_from(offset / 8).map_err(|_| WireError::BadLength)?,
            more: offset + chunk.len() < part.len(),
            ident,
        };
        let payload_len =
            u16::try_from(unfrag_len + FRAGMENT_HEADER_LEN + chunk.len()).map_err(|_| WireError::BadLength)?;
        let total = l2_len + IPV6_HEADER_LEN + usize::from(payload_len);
        let result = append(buf, total, |f| {
            eth.emit(f)?;
            let exts_start = l2_len + IPV6_HEADER_LEN;
            let frag_start = exts_start + unfrag_len;
            let next_header = emit_chain(ip.exts, IpProtocol::IPV6_FRAGMENT, &mut f[exts_start..frag_start])?;
            Ipv6ExtRepr::Fragment(info).emit(first_next, &mut f[frag_start..])?;
            f[frag_start + FRAGMENT_HEADER_LEN..total].copy_from_slice(chunk);
            let repr = Ipv6Repr {
                src: ip.src,
                dst: ip.dst,
                next_header,
                payload_len,
                hop_limit: ip.hop_limit,
                traffic_class: ip.traffic_class,
                flow_label: ip.flow_label,
            };
            repr.emit(&mut f[l2_len..])
        });
        match result {
            Ok(range) => ranges.push(range),
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        }
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::frame::{parse_frame, L3View, L4View};
    use crate::wire::icmpv6::Icmpv6Repr;
    use crate::wire::ipv6::ALL_NODES;
    use crate::wire::mac::MacAddr;
    use crate::wire::ndisc::{NdiscRepr, RaFlags};
    use crate::wire::ndisc_option::NdOptions;
    use std::net::Ipv6Addr;

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

    fn setup() -> (L2, Ipv6Params<'static>) {
        let l2 = L2 {
            src: MacAddr([2, 0, 0, 0, 0, 6]),
            dst: MacAddr::from_ipv6_multicast(ALL_NODES),
            vlan: None,
        };
        (
            l2,
            Ipv6Params::new(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 6), ALL_NODES, 255),
        )
    }

    #[test]
    fn ra_guard_evasion_pushes_icmpv6_into_the_second_fragment() {
        // RFC 7113 §2: 40 bytes of destination options in the fragmentable part, 40-byte chunks.
        let (l2, ip) = setup();
        let padded = [Ipv6ExtRepr::DestinationOptions { options: &[0; 38] }];
        assert_eq!(chain_len(&padded), 40);
        let mut buf = Vec::new();
        let ranges = append_ipv6_fragments(&mut buf, l2, &ip, &padded, &ra(), 0xabc, 40).unwrap();
        assert_eq!(ranges.len(), 2); // 40 bytes of options + 16 bytes of RA = 56 bytes
                                     // The first fragment ends before the ICMPv6 header: RFC 7112 §5 says drop it.
        let first = parse_frame(&buf[ranges[0].clone()]).unwrap();
        assert_eq!(first.l3, L3View::Malformed(WireError::BadExtensionChain));
        let second = parse_frame(&buf[ranges[1].clone()]).unwrap();
        assert_eq!(second.l4(), Some(L4View::None));
        let L3View::Ipv6(v6) = second.l3 else {
            panic!("not IPv6")
        };
        assert_eq!(
            v6.ext.fragment,
            Some(FragmentInfo {
                offset: 5,
                more: false,
                ident: 0xabc
            })
        );
        assert_eq!(v6.ext.upper, IpProtocol::IPV6_DEST_OPTS);
    }

    #[test]
    fn fragments_reassemble_to_the_original_message() {
        let (l2, ip) = setup();
        let ip = Ipv6Params {
            exts: &[Ipv6ExtRepr::HopByHop { options: &[] }],
            ..ip
        };
        let echo = Upper::Icmpv6(Icmpv6Repr::EchoRequest {
            ident: 1,
            seq_no: 2,
            data: &[7; 100],
        });
        let mut buf = Vec::new();
        let ranges = append_ipv6_fragments(&mut buf, l2, &ip, &[], &echo, 5, 48).unwrap();
        assert_eq!(ranges.len(), 3);
        let mut whole = Vec::new();
        for range in &ranges {
            let view = parse_frame(&buf[range.clone()]).unwrap();
            let L3View::Ipv6(v6) = view.l3 else { panic!("not IPv6") };
            assert_eq!(usize::from(v6.ext.fragment.unwrap().offset) * 8, whole.len());
            whole
                .extend_from_slice(&buf[usize::from(v6.l4_offset) + range.start..usize::from(v6.l4_end) + range.start]);
        }
        let mut expected = vec![0u8; echo.buffer_len()];
        echo.emit(
            IpPair::V6 {
                src: ip.src,
                dst: ip.dst,
            },
            &mut expected,
        )
        .unwrap();
        assert_eq!(whole, expected);
    }

    #[test]
    fn chunk_length_must_be_a_multiple_of_8() {
        let (l2, ip) = setup();
        let mut buf = vec![1];
        assert_eq!(
            append_ipv6_fragments(&mut buf, l2, &ip, &[], &ra(), 1, 12),
            Err(WireError::BadField)
        );
        assert_eq!(buf, [1]);
    }
}
