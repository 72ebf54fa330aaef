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
