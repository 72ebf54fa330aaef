//! A catalogue of valid frames of every kind the packet layer builds, shared by the tshark test and the fuzz
//! tests (which mutate them). Each is built with the public builders, so a change in an emitter shows up in both.
// Included by several test binaries; each uses a part of it.
#![allow(dead_code)]

use std::net::{Ipv4Addr, Ipv6Addr};

use dualhome_sim::wire::build::{arp_frame, ipv4_frame, ipv6_frame, Ipv4Params, Ipv6Params, Upper, L2};
use dualhome_sim::wire::fragment::append_ipv6_fragments;
use dualhome_sim::wire::ipv6::{solicited_node, ALL_NODES, ALL_ROUTERS};
use dualhome_sim::wire::ipv6ext::{FragmentInfo, Ipv6ExtRepr};
use dualhome_sim::wire::ndisc_option::{AddrList, DomainList};
use dualhome_sim::wire::*;

pub const HOST_MAC: MacAddr = MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
pub const ROUTER_MAC: MacAddr = MacAddr([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
pub const HOST_V4: Ipv4Addr = Ipv4Addr::new(10, 0, 9, 165);
pub const DIRECTOR_V4: Ipv4Addr = Ipv4Addr::new(10, 0, 9, 151);
pub const HOST_V6: Ipv6Addr = Ipv6Addr::new(0x2601, 0x646, 0x100, 0x69f1, 0, 0, 0, 0x165);
pub const ROUTER_LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
pub const PEER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x99, 0, 0, 0, 0, 1);

fn host_ll() -> Ipv6Addr {
    HOST_MAC.eui64_link_local()
}

fn l2(src: MacAddr, dst: MacAddr) -> L2 {
    L2 { src, dst, vlan: None }
}

fn pio(prefix: Ipv6Addr, valid: u32, preferred: u32) -> NdOptionRepr<'static> {
    NdOptionRepr::PrefixInformation(PrefixInfo {
        prefix_len: 64,
        on_link: true,
        autonomous: true,
        other_flags: 0,
        valid_lifetime: valid,
        preferred_lifetime: preferred,
        prefix,
    })
}

const DNS: [Ipv6Addr; 2] = [
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53),
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x54),
];

/// The full RA of the tshark test: SLLA, MTU, two PIOs, an RIO, RDNSS and DNSSL.
pub fn rich_ra_options() -> Vec<NdOptionRepr<'static>> {
    vec![
        NdOptionRepr::SourceLinkLayerAddr(ROUTER_MAC),
        NdOptionRepr::Mtu(1400),
        pio(Ipv6Addr::new(0x2601, 0x646, 0x100, 0x69f1, 0, 0, 0, 0), 86400, 14400),
        pio(Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0), 0xffff_ffff, 0xffff_ffff),
        NdOptionRepr::RouteInformation(RouteInfo {
            prefix_len: 48,
            preference: RouterPreference::High,
            lifetime: 600,
            prefix: Ipv6Addr::new(0x2001, 0xdb8, 0x99, 0, 0, 0, 0, 0),
        }),
        NdOptionRepr::Rdnss {
            lifetime: 1200,
            servers: AddrList::Addrs(&DNS),
        },
        NdOptionRepr::Dnssl {
            lifetime: 1200,
            domains: DomainList::Names(&["example.com", "corp.example.org"]),
        },
    ]
}

fn ra(options: &[NdOptionRepr<'_>], exts: &[Ipv6ExtRepr<'_>]) -> Vec<u8> {
    let ra = NdiscRepr::RouterAdvert {
        hop_limit: 64,
        flags: RaFlags {
            managed: false,
            other: true,
            preference: RouterPreference::High,
            other_bits: 0,
        },
        router_lifetime: 1800,
        reachable_time: 30000,
        retrans_time: 1000,
        options: NdOptions::Reprs(options),
    };
    let ip = Ipv6Params {
        exts,
        ..Ipv6Params::new(ROUTER_LL, ALL_NODES, 255)
    };
    ipv6_frame(
        l2(ROUTER_MAC, MacAddr::from_ipv6_multicast(ALL_NODES)),
        &ip,
        &Upper::Icmpv6(Icmpv6Repr::Ndisc(ra)),
    )
    .expect("RA builds")
}

fn icmpv6(src_mac: MacAddr, dst_mac: MacAddr, src: Ipv6Addr, dst: Ipv6Addr, hop: u8, repr: Icmpv6Repr<'_>) -> Vec<u8> {
    ipv6_frame(
        l2(src_mac, dst_mac),
        &Ipv6Params::new(src, dst, hop),
        &Upper::Icmpv6(repr),
    )
    .expect("ICMPv6 builds")
}

fn nd(src_mac: MacAddr, dst_mac: MacAddr, src: Ipv6Addr, dst: Ipv6Addr, msg: NdiscRepr<'_>) -> Vec<u8> {
    icmpv6(src_mac, dst_mac, src, dst, 255, Icmpv6Repr::Ndisc(msg))
}

/// Every sample, named.
pub fn all() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let arp = ArpRepr::request(HOST_MAC, HOST_V4, DIRECTOR_V4);
    out.push((
        "arp request",
        arp_frame(l2(HOST_MAC, MacAddr::BROADCAST), &arp).expect("arp"),
    ));
    out.push((
        "arp reply",
        arp_frame(l2(ROUTER_MAC, HOST_MAC), &arp.reply_from(ROUTER_MAC)).expect("arp"),
    ));

    let v4 = Ipv4Params::new(HOST_V4, DIRECTOR_V4, 64);
    let echo4 = Icmpv4Repr::EchoRequest {
        ident: 0x4242,
        seq_no: 1,
        data: &[0xa5; 56],
    };
    let echo4_frame = ipv4_frame(l2(HOST_MAC, ROUTER_MAC), &v4, &Upper::Icmpv4(echo4)).expect("echo");
    let reply4 = Icmpv4Repr::EchoReply {
        ident: 0x4242,
        seq_no: 1,
        data: &[0xa5; 56],
    };
    let back = Ipv4Params::new(DIRECTOR_V4, HOST_V4, 64);
    out.push((
        "icmpv4 echo reply",
        ipv4_frame(l2(ROUTER_MAC, HOST_MAC), &back, &Upper::Icmpv4(reply4)).expect("r"),
    ));
    let udp4 = UdpRepr {
        src_port: 40000,
        dst_port: 53,
        payload: b"\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    };
    let udp4_frame = ipv4_frame(l2(HOST_MAC, ROUTER_MAC), &v4, &Upper::Udp(udp4)).expect("udp");
    let quoted = &udp4_frame[14..];
    let frag_needed = Icmpv4Repr::DstUnreachable {
        code: Icmpv4Unreachable::FragNeeded,
        next_hop_mtu: 1400,
        invoking: quoted,
    };
    out.push((
        "icmpv4 frag needed",
        ipv4_frame(l2(ROUTER_MAC, HOST_MAC), &back, &Upper::Icmpv4(frag_needed)).expect("fn"),
    ));
    let ttl = Icmpv4Repr::TimeExceeded {
        code: Icmpv4TimeExceeded::TtlExceeded,
        invoking: &echo4_frame[14..],
    };
    out.push((
        "icmpv4 time exceeded",
        ipv4_frame(l2(ROUTER_MAC, HOST_MAC), &back, &Upper::Icmpv4(ttl)).expect("te"),
    ));
    out.push(("icmpv4 echo request", echo4_frame));
    out.push(("udp over ipv4", udp4_frame));
    let syn = TcpRepr {
        src_port: 40000,
        dst_port: 22,
        seq: 0x0102_0304,
        ack: 0,
        flags: TcpFlags::SYN,
        window: 64240,
        urgent: 0,
        options: TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            timestamp: Some((1, 0)),
            sack_blocks: [None; 3],
        },
        payload: &[],
    };
    out.push((
        "tcp syn over ipv4",
        ipv4_frame(l2(HOST_MAC, ROUTER_MAC), &v4, &Upper::Tcp(syn)).expect("syn"),
    ));

    let router_mac_dst = MacAddr::from_ipv6_multicast(ALL_ROUTERS);
    let echo6 = Icmpv6Repr::EchoRequest {
        ident: 7,
        seq_no: 1,
        data: &[0x5a; 56],
    };
    let echo6_frame = icmpv6(HOST_MAC, ROUTER_MAC, HOST_V6, PEER_V6, 64, echo6);
    let reply6 = Icmpv6Repr::EchoReply {
        ident: 7,
        seq_no: 1,
        data: &[0x5a; 56],
    };
    out.push((
        "icmpv6 echo reply",
        icmpv6(ROUTER_MAC, HOST_MAC, PEER_V6, HOST_V6, 64, reply6),
    ));
    let tagged = ipv6_frame(
        L2 {
            src: HOST_MAC,
            dst: ROUTER_MAC,
            vlan: Some(VlanTag {
                pcp: 0,
                dei: false,
                vid: 100,
            }),
        },
        &Ipv6Params::new(HOST_V6, PEER_V6, 64),
        &Upper::Icmpv6(echo6),
    )
    .expect("tagged");
    out.push(("icmpv6 echo request, 802.1Q", tagged));

    let nonce = [NdOptionRepr::Nonce(&[1, 2, 3, 4, 5, 6])];
    let group = solicited_node(HOST_V6);
    let dad = NdiscRepr::NeighborSolicit {
        target: HOST_V6,
        options: NdOptions::Reprs(&nonce),
    };
    out.push((
        "dad ns",
        nd(
            HOST_MAC,
            MacAddr::from_ipv6_multicast(group),
            Ipv6Addr::UNSPECIFIED,
            group,
            dad,
        ),
    ));
    let slla = [NdOptionRepr::SourceLinkLayerAddr(HOST_MAC)];
    let ns = NdiscRepr::NeighborSolicit {
        target: ROUTER_LL,
        options: NdOptions::Reprs(&slla),
    };
    let ns_group = solicited_node(ROUTER_LL);
    out.push((
        "ns",
        nd(
            HOST_MAC,
            MacAddr::from_ipv6_multicast(ns_group),
            host_ll(),
            ns_group,
            ns,
        ),
    ));
    let tlla = [NdOptionRepr::TargetLinkLayerAddr(ROUTER_MAC)];
    let na = NdiscRepr::NeighborAdvert {
        flags: NaFlags {
            router: true,
            solicited: true,
            override_: true,
        },
        target: ROUTER_LL,
        options: NdOptions::Reprs(&tlla),
    };
    out.push(("na", nd(ROUTER_MAC, HOST_MAC, ROUTER_LL, host_ll(), na)));
    let rs = NdiscRepr::RouterSolicit {
        options: NdOptions::Reprs(&slla),
    };
    out.push(("rs", nd(HOST_MAC, router_mac_dst, host_ll(), ALL_ROUTERS, rs)));
    let options = rich_ra_options();
    out.push(("ra with pios, rio, rdnss, dnssl, mtu", ra(&options, &[])));
    out.push((
        "ra behind hop-by-hop",
        ra(&options[..3], &[Ipv6ExtRepr::HopByHop { options: &[] }]),
    ));
    out.push((
        "ra behind destination options",
        ra(&options[..3], &[Ipv6ExtRepr::DestinationOptions { options: &[] }]),
    ));
    let atomic = Ipv6ExtRepr::Fragment(FragmentInfo {
        offset: 0,
        more: false,
        ident: 0x33,
    });
    out.push(("ra in an atomic fragment", ra(&options[..3], &[atomic])));

    let better = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x99);
    let redirect_opts = [
        NdOptionRepr::TargetLinkLayerAddr(MacAddr([2, 0, 0, 0, 0, 0x99])),
        NdOptionRepr::RedirectedHeader(&echo6_frame[14..]),
    ];
    let redirect = NdiscRepr::Redirect {
        target: better,
        dest: PEER_V6,
        options: NdOptions::Reprs(&redirect_opts),
    };
    out.push(("redirect", nd(ROUTER_MAC, HOST_MAC, ROUTER_LL, HOST_V6, redirect)));

    let invoking = &echo6_frame[14..];
    let errors = [
        (
            "icmpv6 address unreachable",
            Icmpv6Repr::DstUnreachable {
                code: Icmpv6Unreachable::AddressUnreachable,
                invoking,
            },
        ),
        (
            "icmpv6 no route",
            Icmpv6Repr::DstUnreachable {
                code: Icmpv6Unreachable::NoRoute,
                invoking,
            },
        ),
        (
            "icmpv6 packet too big",
            Icmpv6Repr::PacketTooBig { mtu: 1280, invoking },
        ),
        (
            "icmpv6 time exceeded",
            Icmpv6Repr::TimeExceeded {
                code: Icmpv6TimeExceeded::HopLimitExceeded,
                invoking,
            },
        ),
        (
            "icmpv6 parameter problem",
            Icmpv6Repr::ParamProblem {
                code: Icmpv6ParamProblem::UnrecognizedNextHeader,
                pointer: 6,
                invoking,
            },
        ),
    ];
    for (name, repr) in errors {
        out.push((name, icmpv6(ROUTER_MAC, HOST_MAC, ROUTER_LL, HOST_V6, 64, repr)));
    }
    out.push(("icmpv6 echo request", echo6_frame));

    let udp6 = UdpRepr {
        src_port: 546,
        dst_port: 547,
        payload: &[1, 0, 0, 1],
    };
    out.push((
        "udp over ipv6",
        ipv6_frame(
            l2(HOST_MAC, router_mac_dst),
            &Ipv6Params::new(host_ll(), ALL_ROUTERS, 1),
            &Upper::Udp(udp6),
        )
        .expect("udp6"),
    ));
    let syn_ack = TcpRepr {
        src_port: 22,
        dst_port: 40000,
        ack: 0x0102_0305,
        flags: TcpFlags::SYN | TcpFlags::ACK,
        ..syn
    };
    out.push((
        "tcp syn-ack over ipv6",
        ipv6_frame(
            l2(ROUTER_MAC, HOST_MAC),
            &Ipv6Params::new(PEER_V6, HOST_V6, 64),
            &Upper::Tcp(syn_ack),
        )
        .expect("sa"),
    ));
    let data = TcpRepr {
        seq: 0x0102_0305,
        ack: 0x0a0b_0c0e,
        flags: TcpFlags::PSH | TcpFlags::ACK,
        window: 502,
        options: TcpOptions {
            timestamp: Some((2, 1)),
            ..TcpOptions::default()
        },
        payload: b"SSH-2.0-OpenSSH_9.6\r\n",
        ..syn
    };
    out.push((
        "tcp data over ipv6",
        ipv6_frame(
            l2(HOST_MAC, ROUTER_MAC),
            &Ipv6Params::new(HOST_V6, PEER_V6, 64),
            &Upper::Tcp(data),
        )
        .expect("data"),
    ));
    out
}

/// The rich RA of [`rich_ra_options`] in three fragments of 64 bytes (RFC 6980: a receiver must drop it).
pub fn fragmented_ra() -> Vec<Vec<u8>> {
    let options = rich_ra_options();
    let ra = NdiscRepr::RouterAdvert {
        hop_limit: 64,
        flags: RaFlags::default(),
        router_lifetime: 1800,
        reachable_time: 0,
        retrans_time: 0,
        options: NdOptions::Reprs(&options),
    };
    let ip = Ipv6Params::new(ROUTER_LL, ALL_NODES, 255);
    let mut buf = Vec::new();
    let upper = Upper::Icmpv6(Icmpv6Repr::Ndisc(ra));
    let l2 = l2(ROUTER_MAC, MacAddr::from_ipv6_multicast(ALL_NODES));
    let ranges = append_ipv6_fragments(&mut buf, l2, &ip, &[], &upper, 0x5151, 64).expect("fragments");
    ranges.into_iter().map(|r| buf[r].to_vec()).collect()
}
