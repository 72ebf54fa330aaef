//! Cross-checks with an independent implementation: every frame this layer builds is accepted by smoltcp's
//! `wire` parsers, checksums included, and smoltcp reads the same values out of the RA, the NA and the ARP.

#[path = "wire_samples/mod.rs"]
mod samples;

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire as sw;

fn check_ip_frame(name: &str, frame: &[u8]) {
    let eth = sw::EthernetFrame::new_checked(frame).unwrap_or_else(|e| panic!("{name}: {e}"));
    let payload = eth.payload();
    match eth.ethertype() {
        sw::EthernetProtocol::Arp => {
            let arp = sw::ArpPacket::new_checked(payload).unwrap();
            sw::ArpRepr::parse(&arp).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        sw::EthernetProtocol::Ipv4 => {
            let ip = sw::Ipv4Packet::new_checked(payload).unwrap();
            assert!(ip.verify_checksum(), "{name}: IPv4 header checksum");
            let (src, dst) = (sw::IpAddress::Ipv4(ip.src_addr()), sw::IpAddress::Ipv4(ip.dst_addr()));
            let body = ip.payload();
            let ok = match ip.next_header() {
                sw::IpProtocol::Icmp => sw::Icmpv4Packet::new_checked(body).unwrap().verify_checksum(),
                sw::IpProtocol::Udp => sw::UdpPacket::new_checked(body).unwrap().verify_checksum(&src, &dst),
                sw::IpProtocol::Tcp => sw::TcpPacket::new_checked(body).unwrap().verify_checksum(&src, &dst),
                other => panic!("{name}: unexpected {other}"),
            };
            assert!(ok, "{name}: transport checksum");
        }
        sw::EthernetProtocol::Ipv6 => {
            let ip = sw::Ipv6Packet::new_checked(payload).unwrap();
            let (s, d) = (ip.src_addr(), ip.dst_addr());
            let (src, dst) = (sw::IpAddress::Ipv6(s), sw::IpAddress::Ipv6(d));
            let body = ip.payload();
            let ok = match ip.next_header() {
                sw::IpProtocol::Icmpv6 => sw::Icmpv6Packet::new_checked(body).unwrap().verify_checksum(&s, &d),
                sw::IpProtocol::Udp => sw::UdpPacket::new_checked(body).unwrap().verify_checksum(&src, &dst),
                sw::IpProtocol::Tcp => sw::TcpPacket::new_checked(body).unwrap().verify_checksum(&src, &dst),
                _ => return, // behind extension headers: covered by tshark
            };
            assert!(ok, "{name}: transport checksum");
        }
        other => panic!("{name}: unexpected ethertype {other}"),
    }
}

#[test]
fn smoltcp_accepts_every_sample() {
    for (name, frame) in samples::all() {
        if name.contains("802.1Q") {
            continue; // smoltcp has no VLAN support
        }
        check_ip_frame(name, &frame);
    }
    for fragment in samples::fragmented_ra() {
        check_ip_frame("ra fragment", &fragment);
    }
}

fn ndisc_of(frame: &[u8]) -> sw::NdiscRepr<'_> {
    let eth = sw::EthernetFrame::new_checked(frame).unwrap();
    let ip = sw::Ipv6Packet::new_checked(eth.payload()).unwrap();
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    let icmp = sw::Icmpv6Packet::new_checked(&frame[54..54 + usize::from(ip.payload_len())]).unwrap();
    match sw::Icmpv6Repr::parse(&src, &dst, &icmp, &ChecksumCapabilities::default()).unwrap() {
        sw::Icmpv6Repr::Ndisc(nd) => nd,
        other => panic!("not ND: {other:?}"),
    }
}

#[test]
fn smoltcp_reads_the_same_nd_fields() {
    let frames = samples::all();
    let find = |n: &str| {
        frames
            .iter()
            .find(|(name, _)| *name == n)
            .map(|(_, f)| f.clone())
            .unwrap()
    };
    let ra = find("ra with pios, rio, rdnss, dnssl, mtu");
    match ndisc_of(&ra) {
        sw::NdiscRepr::RouterAdvert {
            hop_limit,
            router_lifetime,
            lladdr,
            mtu,
            prefix_info,
            ..
        } => {
            assert_eq!((hop_limit, router_lifetime.secs()), (64, 1800));
            assert_eq!(lladdr, Some(sw::RawHardwareAddress::from_bytes(&samples::ROUTER_MAC.0)));
            assert_eq!(mtu, Some(1400));
            // smoltcp keeps only one PIO (the reason this layer walks options itself); it is one of ours.
            let prefix = prefix_info.unwrap().prefix;
            assert!(["2601:646:100:69f1::", "2001:db8:1::"].contains(&prefix.to_string().as_str()));
        }
        other => panic!("not an RA: {other:?}"),
    }
    let na = find("na");
    match ndisc_of(&na) {
        sw::NdiscRepr::NeighborAdvert {
            flags,
            target_addr,
            lladdr,
        } => {
            assert!(flags.contains(sw::NdiscNeighborFlags::ROUTER | sw::NdiscNeighborFlags::SOLICITED));
            assert!(flags.contains(sw::NdiscNeighborFlags::OVERRIDE));
            assert_eq!(target_addr, samples::ROUTER_LL);
            assert_eq!(lladdr, Some(sw::RawHardwareAddress::from_bytes(&samples::ROUTER_MAC.0)));
        }
        other => panic!("not an NA: {other:?}"),
    }
}

/// etherparse's view of a frame, reduced to what `parse_frame` also reports.
fn etherparse_summary(frame: &[u8]) -> (Option<u16>, Option<(u8, u16, u16)>) {
    use etherparse::{LinkExtSlice, NetSlice, SlicedPacket, TransportSlice};
    let sliced = SlicedPacket::from_ethernet(frame).unwrap_or_else(|e| panic!("etherparse: {e}"));
    let vlan = sliced.link_exts.iter().find_map(|ext| match ext {
        LinkExtSlice::Vlan(v) => Some(v.vlan_identifier().value()),
        _ => None,
    });
    let transport = match (&sliced.net, &sliced.transport) {
        (Some(NetSlice::Ipv6(ip)), Some(TransportSlice::Icmpv6(icmp))) => {
            let (src, dst) = (
                ip.header().source_addr().octets(),
                ip.header().destination_addr().octets(),
            );
            // etherparse's RouterAdvertisementHeader keeps only M and O of the flag octet, so its recomputed sum
            // misses RFC 4191 preference bits; the RA checksum is checked by smoltcp above and by tshark.
            if icmp.type_u8() != 134 {
                let sum = icmp.icmp_type().calc_checksum(src, dst, icmp.payload()).unwrap();
                assert_eq!(sum, icmp.checksum(), "etherparse recomputes the ICMPv6 checksum");
            }
            Some((58, icmp.type_u8().into(), icmp.code_u8().into()))
        }
        (_, Some(TransportSlice::Icmpv4(icmp))) => Some((1, icmp.type_u8().into(), icmp.code_u8().into())),
        (_, Some(TransportSlice::Udp(udp))) => Some((17, udp.source_port(), udp.destination_port())),
        (_, Some(TransportSlice::Tcp(tcp))) => Some((6, tcp.source_port(), tcp.destination_port())),
        (_, None) => None,
        (_, Some(other)) => panic!("unexpected transport {other:?}"),
    };
    (vlan, transport)
}

#[test]
fn etherparse_agrees_with_parse_frame() {
    use dualhome_sim::wire::{parse_frame, L4View};
    let mut frames: Vec<(String, Vec<u8>)> = samples::all().into_iter().map(|(n, f)| (n.to_string(), f)).collect();
    for (i, f) in samples::fragmented_ra().into_iter().enumerate() {
        frames.push((format!("ra fragment {i}"), f));
    }
    for (name, frame) in frames {
        let view = parse_frame(&frame).unwrap();
        let (vlan, transport) = etherparse_summary(&frame);
        assert_eq!(vlan, view.vlan.map(|t| t.vid), "{name}");
        let ours = match view.l4() {
            Some(L4View::Icmpv6 { msg_type, code }) if view.l4_is_whole() => {
                Some((58, u16::from(msg_type), u16::from(code)))
            }
            Some(L4View::Icmpv4 { msg_type, code }) => Some((1, u16::from(msg_type), u16::from(code))),
            Some(L4View::Udp { src_port, dst_port }) => Some((17, src_port, dst_port)),
            Some(L4View::Tcp { src_port, dst_port, .. }) => Some((6, src_port, dst_port)),
            // ARP, and fragments (etherparse does not slice a fragment's transport)
            _ => None,
        };
        assert_eq!(transport, ours, "{name}");
    }
}
