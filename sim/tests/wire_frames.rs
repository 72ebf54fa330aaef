//! Behaviour of the one-shot frame parser over whole frames: every built frame parses back to what was built,
//! and the malformed cases a Linux receiver drops (linux-ipv6.md B1, B2, B6, B47) are visible in the view.

#[path = "wire_samples/mod.rs"]
mod samples;

use dualhome_sim::wire::build::{ipv6_frame, Ipv6Params, Upper, L2};
use dualhome_sim::wire::ipv6::ALL_NODES;
use dualhome_sim::wire::ipv6ext::{ExtSeen, FragmentInfo, Ipv6ExtRepr};
use dualhome_sim::wire::*;

#[test]
fn every_sample_parses_whole_and_re_emits_identically() {
    for (name, frame) in samples::all() {
        let view = parse_frame(&frame).unwrap_or_else(|e| panic!("{name}: {e}"));
        match view.l3 {
            L3View::Arp(arp) => {
                let mut buf = [0u8; 28];
                arp.emit(&mut buf).unwrap();
                assert_eq!(&frame[14..42], &buf, "{name}");
                continue;
            }
            L3View::Ipv4(_) | L3View::Ipv6(_) => {}
            other => panic!("{name}: {other:?}"),
        }
        assert!(view.l4_is_whole(), "{name}: {view:?}");
        let l4 = view.l4_bytes();
        let mut out = vec![0u8; l4.len()];
        if let Some(repr) = view.icmpv6() {
            let repr = repr.unwrap_or_else(|e| panic!("{name}: {e}"));
            let (src, dst) = view.ipv6_addrs().unwrap();
            repr.emit(src, dst, &mut out).unwrap();
        } else if let Some(repr) = view.icmpv4() {
            repr.unwrap().emit(&mut out).unwrap();
        } else if let Some(repr) = view.udp() {
            udp_addrs(&view, |addrs| repr.emit(addrs, &mut out).unwrap());
        } else if let Some(repr) = view.tcp() {
            let repr = repr.unwrap();
            udp_addrs(&view, |addrs| repr.emit(addrs, &mut out).unwrap());
        } else {
            panic!("{name}: no transport decoded");
        }
        assert_eq!(out, l4, "{name}");
    }
}

fn udp_addrs(view: &FrameView<'_>, f: impl FnOnce(IpPair)) {
    match (view.ipv4_addrs(), view.ipv6_addrs()) {
        (Some((src, dst)), _) => f(IpPair::V4 { src, dst }),
        (_, Some((src, dst))) => f(IpPair::V6 { src, dst }),
        _ => panic!("not IP"),
    }
}

#[test]
fn rich_ra_options_re_emit_byte_for_byte() {
    let frames = samples::all();
    let (_, frame) = frames.iter().find(|(n, _)| n.starts_with("ra with")).unwrap();
    let view = parse_frame(frame).unwrap();
    let Some(Ok(Icmpv6Repr::Ndisc(ra @ NdiscRepr::RouterAdvert { .. }))) = view.icmpv6() else {
        panic!("no RA")
    };
    let mut prefixes = 0;
    for option in ra.options().views() {
        let repr = option.repr().unwrap();
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf).unwrap();
        assert_eq!(buf, option.as_bytes(), "{repr:?}");
        prefixes += usize::from(matches!(repr, NdOptionRepr::PrefixInformation(_)));
    }
    assert_eq!(prefixes, 2, "both PIOs are kept (linux-ipv6.md B8)");
    assert_eq!(ra.options().reprs().count(), samples::rich_ra_options().len());
}

fn ra_frame<'a>(options: NdOptions<'a>, exts: &'a [Ipv6ExtRepr<'a>]) -> Vec<u8> {
    let ra = NdiscRepr::RouterAdvert {
        hop_limit: 64,
        flags: RaFlags::default(),
        router_lifetime: 1800,
        reachable_time: 0,
        retrans_time: 0,
        options,
    };
    let l2 = L2 {
        src: samples::ROUTER_MAC,
        dst: MacAddr::from_ipv6_multicast(ALL_NODES),
        vlan: None,
    };
    let ip = Ipv6Params {
        exts,
        ..Ipv6Params::new(samples::ROUTER_LL, ALL_NODES, 255)
    };
    ipv6_frame(l2, &ip, &Upper::Icmpv6(Icmpv6Repr::Ndisc(ra))).unwrap()
}

#[test]
fn zero_length_option_rejects_the_whole_ra() {
    // linux-ipv6.md B6: an SLLA with length 0 followed by a valid PIO. The attacker's bytes go out unvalidated.
    let bad = [1u8, 0, 2, 0, 0, 0, 0, 1];
    let frame = ra_frame(NdOptions::Wire(&bad), &[]);
    let view = parse_frame(&frame).unwrap();
    assert!(
        view.is_ndisc(),
        "the switch and the checksum see a valid ICMPv6 message"
    );
    assert_eq!(view.icmpv6(), Some(Err(WireError::BadOptionLength)));
}

#[test]
fn bad_checksum_is_seen_once_by_every_receiver() {
    // linux-ipv6.md B1: the frame is still switched (Ethernet is fine), receivers drop it as a checksum error.
    let mut frame = ra_frame(NdOptions::NONE, &[]);
    let last = frame.len() - 1;
    frame[last] ^= 0x01;
    let view = parse_frame(&frame).unwrap();
    assert_eq!(view.dst, MacAddr::from_ipv6_multicast(ALL_NODES));
    assert_eq!(view.l4(), Some(L4View::Malformed(WireError::BadChecksum)));
    assert_eq!(view.icmpv6(), None);
}

#[test]
fn ra_behind_extension_headers_reports_the_chain() {
    // linux-ipv6.md B47: HBH and destination options are fine; any Fragment header (even atomic) is visible.
    let hbh = [Ipv6ExtRepr::HopByHop { options: &[] }];
    let view_frame = ra_frame(NdOptions::NONE, &hbh);
    let view = parse_frame(&view_frame).unwrap();
    let L3View::Ipv6(v6) = view.l3 else { panic!() };
    assert!(v6.ext.seen.contains(ExtSeen::HOP_BY_HOP));
    assert_eq!(v6.ext.fragment, None);
    assert!(matches!(
        view.icmpv6(),
        Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert { .. })))
    ));

    let atomic = [Ipv6ExtRepr::Fragment(FragmentInfo {
        offset: 0,
        more: false,
        ident: 1,
    })];
    let frame = ra_frame(NdOptions::NONE, &atomic);
    let view = parse_frame(&frame).unwrap();
    let L3View::Ipv6(v6) = view.l3 else { panic!() };
    assert!(v6.ext.fragment.is_some_and(|f| f.is_atomic()));
    assert!(view.is_ndisc() && view.icmpv6().is_some_and(|r| r.is_ok()));
}

#[test]
fn fragments_carry_no_decodable_upper_layer() {
    // A first fragment (M=1): the ICMPv6 type is visible, the checksum cannot be verified, nothing is decoded.
    let first = [Ipv6ExtRepr::Fragment(FragmentInfo {
        offset: 0,
        more: true,
        ident: 9,
    })];
    let frame = ra_frame(NdOptions::NONE, &first);
    let view = parse_frame(&frame).unwrap();
    assert!(view.is_ndisc());
    assert!(!view.l4_is_whole());
    assert_eq!(view.icmpv6(), None);
    // A later fragment: no upper-layer header at all.
    let later = [Ipv6ExtRepr::Fragment(FragmentInfo {
        offset: 2,
        more: false,
        ident: 9,
    })];
    let frame = ra_frame(NdOptions::NONE, &later);
    let view = parse_frame(&frame).unwrap();
    assert_eq!(view.l4(), Some(L4View::None));
}

#[test]
fn broken_ip_headers_are_malformed_but_switchable() {
    let frames = samples::all();
    let (_, echo4) = frames.iter().find(|(n, _)| *n == "icmpv4 echo request").unwrap();
    let mut bad = echo4.clone();
    bad[14 + 10] ^= 0xff; // IPv4 header checksum
    let view = parse_frame(&bad).unwrap();
    assert_eq!(view.l3, L3View::Malformed(WireError::BadChecksum));
    assert_eq!(view.dst, samples::ROUTER_MAC);
    let mut v6 = frames
        .iter()
        .find(|(n, _)| *n == "icmpv6 echo request")
        .unwrap()
        .1
        .clone();
    v6[14] = 0x40;
    assert_eq!(parse_frame(&v6).unwrap().l3, L3View::Malformed(WireError::BadVersion));
    assert_eq!(parse_frame(&v6[..13]).err(), Some(WireError::Truncated));
}

#[test]
fn padding_is_not_part_of_the_packet() {
    let frames = samples::all();
    let (_, reply) = frames.iter().find(|(n, _)| *n == "udp over ipv6").unwrap();
    assert_eq!(reply.len(), 14 + 40 + 12);
    let mut padded = reply.clone();
    padded.extend_from_slice(&[0; 10]);
    let view = parse_frame(&padded).unwrap();
    assert_eq!(view.l4_bytes().len(), 12);
    assert_eq!(view.udp().unwrap().payload, &[1, 0, 0, 1]);
}

#[test]
fn fragmented_ra_is_visible_as_nd_but_never_whole() {
    // RFC 6980 / linux-ipv6.md B2: the receiver must see the ND type in the first fragment to drop it, and no
    // fragment may be decoded as an RA on its own. Reassembled, the fragments are the unfragmented message.
    let fragments = samples::fragmented_ra();
    assert_eq!(fragments.len(), 3);
    let mut message = Vec::new();
    for (i, frame) in fragments.iter().enumerate() {
        let view = parse_frame(frame).unwrap();
        assert_eq!(view.is_ndisc(), i == 0, "fragment {i}");
        assert!(!view.l4_is_whole() && view.icmpv6().is_none(), "fragment {i}");
        let L3View::Ipv6(v6) = view.l3 else {
            panic!("fragment {i} is not IPv6")
        };
        let fragment = v6.ext.fragment.unwrap();
        assert_eq!(
            (usize::from(fragment.offset) * 8, fragment.more),
            (message.len(), i < 2)
        );
        message.extend_from_slice(&frame[usize::from(v6.l4_offset)..usize::from(v6.l4_end)]);
    }
    let packet = Icmpv6Packet::new_checked(&message[..]).unwrap();
    let repr = Icmpv6Repr::parse(&packet, samples::ROUTER_LL, ALL_NODES).unwrap();
    let Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert { options, .. }) = repr else {
        panic!("not an RA")
    };
    assert_eq!(options.reprs().count(), samples::rich_ra_options().len());
}
