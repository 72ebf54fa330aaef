//! Malformed Router Advertisements for the RA validity tests: IPv6 Ready Core v6LC.2.2.12 "RA Processing,
//! Validity" (linux-ipv6.md G4, H1) and RFC 4861 §6.1.2, plus RFC 6980 §5 (no fragmented ND). Each variant takes a
//! valid RA frame and re-emits it with the wire builders, breaking exactly one validity check and keeping every
//! other field (and a correct checksum, except for [`Malformation::BadChecksum`]), so what a test observes is the
//! receiver's validation of that one check (linux-ipv6.md B1–B6).

use std::net::Ipv6Addr;
use std::ops::Range;

use crate::wire::build::{append_ipv6, Ipv6Params, Upper, L2, MIN_FRAME_LEN};
use crate::wire::ip::{self, IpProtocol};
use crate::wire::ipv6ext::chain_len;
use crate::wire::{parse_frame, FragmentInfo, Icmpv6Repr, Ipv6ExtRepr, L3View, NdiscRepr, WireError};

/// The IP Hop Limit of [`Malformation::HopLimit`] in the scenarios: what an RA forwarded by one router would carry
/// (linux-exp/B1.log sends `hlim=64`).
pub const FORWARDED_HOP_LIMIT: u8 = 64;

/// The ICMP Code of [`Malformation::Code`] in the scenarios (linux-exp/B1.log sends `code=1`).
pub const NONZERO_CODE: u8 = 1;

/// The ICMP length of a [`Malformation::Truncated`] RA: the 4-byte ICMP header and 10 of the 12 fixed RA bytes,
/// below the 16 octets RFC 4861 §6.1.2 requires.
pub const TRUNCATED_ICMP_LEN: usize = 14;

/// The fixed part of an RA: ICMP header (4) and RA header (12); options start here.
const RA_FIXED_LEN: usize = 16;

/// The IPv6 fixed header length.
const IPV6_HEADER_LEN: usize = 40;

/// Added to a correct checksum to break it: neither 0x0000 nor 0xffff, so the result never folds to the same
/// ones'-complement value (0x0000 ≡ 0xffff, RFC 1071 §1).
const CHECKSUM_DAMAGE: u16 = 0x00ff;

/// The one RFC 4861 §6.1.2 (or RFC 6980) check a malformed RA fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformation {
    /// "The IP Hop Limit field has a value of 255": this one instead (B3).
    HopLimit(u8),
    /// "IP Source Address is a link-local address": this (global) source instead (B5).
    Source(Ipv6Addr),
    /// "ICMP Code is 0": this code instead (B4).
    Code(u8),
    /// "ICMP Checksum is valid": it is not (B1).
    BadChecksum,
    /// "All included options have a length that is greater than zero": the first option's length is 0 (B6).
    ZeroLengthOption,
    /// "ICMP length (derived from the IP length) is 16 or more octets": [`TRUNCATED_ICMP_LEN`] (B6).
    Truncated,
    /// RFC 6980 §5: an ND message in a Fragment header (an atomic fragment, offset 0, M = 0) is dropped (B2).
    Fragment {
        /// The Fragment header's identification.
        ident: u32,
    },
}

/// Appends `valid` (an Ethernet frame carrying one RA, as the RA daemon or an attacker builds it) to `buf` with
/// `m` applied (extension headers of `valid` are not carried over), and returns the new frame's range. `Unsupported` if `valid` is not an RA; `BadField` for
/// [`Malformation::ZeroLengthOption`] on an RA without options. On error `buf` is left as it was.
pub fn append_malformed_ra(buf: &mut Vec<u8>, valid: &[u8], m: Malformation) -> Result<Range<usize>, WireError> {
    let view = parse_frame(valid)?;
    let L3View::Ipv6(ip6) = view.l3 else {
        return Err(WireError::Unsupported);
    };
    let nd = match view.icmpv6() {
        Some(Ok(Icmpv6Repr::Ndisc(nd @ NdiscRepr::RouterAdvert { .. }))) => nd,
        Some(Err(e)) => return Err(e),
        _ => return Err(WireError::Unsupported),
    };
    let upper = Upper::Icmpv6(Icmpv6Repr::Ndisc(nd));
    let icmp_len = upper.buffer_len();
    if m == Malformation::ZeroLengthOption && icmp_len <= RA_FIXED_LEN {
        return Err(WireError::BadField);
    }
    let l2 = L2 {
        src: view.src,
        dst: view.dst,
        vlan: view.vlan,
    };
    let fragment = [Ipv6ExtRepr::Fragment(FragmentInfo {
        offset: 0,
        more: false,
        ident: match m {
            Malformation::Fragment { ident } => ident,
            _ => 0,
        },
    })];
    let params = Ipv6Params {
        src: match m {
            Malformation::Source(s) => s,
            _ => ip6.repr.src,
        },
        dst: ip6.repr.dst,
        hop_limit: match m {
            Malformation::HopLimit(h) => h,
            _ => ip6.repr.hop_limit,
        },
        traffic_class: ip6.repr.traffic_class,
        flow_label: ip6.repr.flow_label,
        exts: if matches!(m, Malformation::Fragment { .. }) {
            &fragment
        } else {
            &[]
        },
    };
    let start = buf.len();
    let range = append_ipv6(buf, l2, &params, &upper)?;
    let l3 = range.start + usize::from(view.l3_offset);
    let icmp = l3 + IPV6_HEADER_LEN + chain_len(params.exts);
    let (src, dst) = (params.src, params.dst);
    let patched = match m {
        Malformation::Code(code) => {
            buf[icmp + 1] = code;
            refresh_checksum(&mut buf[icmp..icmp + icmp_len], src, dst).map(|()| range)
        }
        Malformation::ZeroLengthOption => {
            buf[icmp + RA_FIXED_LEN + 1] = 0;
            refresh_checksum(&mut buf[icmp..icmp + icmp_len], src, dst).map(|()| range)
        }
        Malformation::BadChecksum => {
            let at = icmp + 2;
            let good = u16::from_be_bytes([buf[at], buf[at + 1]]);
            buf[at..at + 2].copy_from_slice(&(good ^ CHECKSUM_DAMAGE).to_be_bytes());
            Ok(range)
        }
        Malformation::Truncated => truncate(buf, range, l3, icmp, src, dst),
        Malformation::HopLimit(_) | Malformation::Source(_) | Malformation::Fragment { .. } => Ok(range),
    };
    if patched.is_err() {
        buf.truncate(start);
    }
    patched
}

/// Shortens the ICMP message at `icmp` to [`TRUNCATED_ICMP_LEN`] bytes: the IPv6 Payload Length says so, the cut
/// bytes become Ethernet padding (zeros, down to the 60-byte minimum) and the checksum covers what is left.
fn truncate(
    buf: &mut Vec<u8>,
    range: Range<usize>,
    l3: usize,
    icmp: usize,
    src: Ipv6Addr,
    dst: Ipv6Addr,
) -> Result<Range<usize>, WireError> {
    let end = icmp + TRUNCATED_ICMP_LEN;
    let payload = u16::try_from(end - l3 - IPV6_HEADER_LEN).map_err(|_| WireError::BadLength)?;
    buf[l3 + 4..l3 + 6].copy_from_slice(&payload.to_be_bytes());
    refresh_checksum(&mut buf[icmp..end], src, dst)?;
    let frame_end = end.max(range.start + MIN_FRAME_LEN).min(range.end);
    buf[end.min(frame_end)..frame_end].fill(0);
    buf.truncate(frame_end);
    Ok(range.start..frame_end)
}

/// Recomputes the ICMPv6 checksum of `icmp` (the whole message) for `src` → `dst` (RFC 4443 §2.3).
fn refresh_checksum(icmp: &mut [u8], src: Ipv6Addr, dst: Ipv6Addr) -> Result<(), WireError> {
    let len = u32::try_from(icmp.len()).map_err(|_| WireError::BadLength)?;
    icmp[2..4].fill(0);
    let sum = ip::finish(&[ip::pseudo_header_v6(src, dst, IpProtocol::ICMPV6, len), ip::sum(icmp)]);
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::packets::{append_rogue_ra, Delivery, RogueRa, Spoof};
    use crate::wire::{FrameView, Icmpv6Packet, L4View, MacAddr};

    const ROUTER: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x01]);

    fn valid() -> Vec<u8> {
        let from = Spoof {
            mac: ROUTER,
            ip: ROUTER.eui64_link_local(),
        };
        let mut buf = Vec::new();
        let ra = RogueRa::new(Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0));
        append_rogue_ra(&mut buf, from, Delivery::all_nodes(), &ra).expect("a valid RA builds");
        buf
    }

    fn malformed(m: Malformation) -> Vec<u8> {
        let mut buf = vec![0xaa; 3];
        let range = append_malformed_ra(&mut buf, &valid(), m).expect("builds");
        assert_eq!(range.start, 3, "appended after what was there");
        assert_eq!(range.end, buf.len());
        buf.split_off(3)
    }

    fn ipv6(view: &FrameView<'_>) -> crate::wire::Ipv6View {
        match view.l3 {
            L3View::Ipv6(v) => v,
            other => panic!("not IPv6: {other:?}"),
        }
    }

    #[test]
    fn the_valid_ra_round_trips_unchanged() {
        let v = valid();
        let view = parse_frame(&v).expect("parses");
        assert!(matches!(
            view.icmpv6(),
            Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert { .. })))
        ));
        assert_eq!(ipv6(&view).repr.hop_limit, 255);
    }

    #[test]
    fn header_variants_change_one_field_and_keep_a_parseable_ra() {
        let global = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
        for (m, check) in [
            (Malformation::HopLimit(FORWARDED_HOP_LIMIT), "hop"),
            (Malformation::Source(global), "src"),
            (Malformation::Fragment { ident: 7 }, "frag"),
        ] {
            let f = malformed(m);
            let view = parse_frame(&f).expect("parses");
            let v = ipv6(&view);
            match check {
                "hop" => assert_eq!((v.repr.hop_limit, v.repr.src), (64, ROUTER.eui64_link_local())),
                "src" => assert_eq!((v.repr.hop_limit, v.repr.src), (255, global)),
                _ => assert_eq!(v.ext.fragment.map(|x| (x.offset, x.more, x.ident)), Some((0, false, 7))),
            }
            assert!(
                matches!(
                    view.icmpv6(),
                    Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert { .. })))
                ),
                "{m:?}: the RA itself is intact (checksum over the new source included)"
            );
        }
    }

    #[test]
    fn code_and_zero_length_option_fail_nd_parsing_with_a_valid_checksum() {
        for (m, want) in [
            (Malformation::Code(NONZERO_CODE), WireError::BadField),
            (Malformation::ZeroLengthOption, WireError::BadOptionLength),
        ] {
            let f = malformed(m);
            let view = parse_frame(&f).expect("parses");
            assert!(
                matches!(ipv6(&view).l4, L4View::Icmpv6 { msg_type: 134, .. }),
                "{m:?}: checksum verifies"
            );
            assert_eq!(view.icmpv6(), Some(Err(want)), "{m:?}");
        }
    }

    #[test]
    fn bad_checksum_is_reported_by_the_parser() {
        let f = malformed(Malformation::BadChecksum);
        let view = parse_frame(&f).expect("parses");
        assert_eq!(ipv6(&view).l4, L4View::Malformed(WireError::BadChecksum));
    }

    #[test]
    fn truncated_ra_is_fourteen_bytes_with_a_valid_checksum() {
        let f = malformed(Malformation::Truncated);
        assert_eq!(
            f.len(),
            14 + 40 + TRUNCATED_ICMP_LEN,
            "the options are cut off the frame"
        );
        let view = parse_frame(&f).expect("parses");
        let v = ipv6(&view);
        assert_eq!(v.repr.payload_len, 14);
        let icmp = &f[usize::from(v.l4_offset)..usize::from(v.l4_end)];
        let packet = Icmpv6Packet::new_checked(icmp).expect("icmp header");
        assert!(packet.verify_checksum(v.repr.src, v.repr.dst));
        assert_eq!(view.icmpv6(), Some(Err(WireError::Truncated)));
    }

    #[test]
    fn a_non_ra_or_an_optionless_ra_is_refused_and_buf_untouched() {
        let mut v = valid();
        let view = parse_frame(&v).expect("parses");
        let at = usize::from(ipv6(&view).l4_offset);
        v[at] = 128; // echo request: no longer an RA
        let mut buf = vec![1, 2, 3];
        assert!(append_malformed_ra(&mut buf, &v, Malformation::BadChecksum).is_err());
        assert_eq!(buf, [1, 2, 3]);
        assert_eq!(
            append_malformed_ra(&mut buf, &[0u8; 10], Malformation::Truncated),
            Err(WireError::Truncated)
        );
        assert_eq!(buf, [1, 2, 3]);
    }
}
