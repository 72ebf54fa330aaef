//! One-line, tcpdump-like summaries of frames for traces, `explain` output and test failure messages:
//! `fe80::1 > ff02::1: ICMPv6 router advertisement, hlim 255, length 56`. Formatting is off the per-packet
//! path: nothing here runs unless a summary is printed.

use core::fmt;

use super::arp::ArpOperation;
use super::frame::{FrameView, L3View, L4View};
use super::icmpv4::msg_type as v4_type;
use super::icmpv6::{msg_type as v6_type, Icmpv6Repr};
use super::ndisc::NdiscRepr;
use super::tcp::TcpFlags;

/// Display adapter: `format!("{}", FrameSummary(&view))`.
#[derive(Debug, Clone, Copy)]
pub struct FrameSummary<'v, 'a>(pub &'v FrameView<'a>);

fn icmpv6_name(msg_type: u8) -> Option<&'static str> {
    Some(match msg_type {
        v6_type::DST_UNREACHABLE => "destination unreachable",
        v6_type::PACKET_TOO_BIG => "packet too big",
        v6_type::TIME_EXCEEDED => "time exceeded",
        v6_type::PARAM_PROBLEM => "parameter problem",
        v6_type::ECHO_REQUEST => "echo request",
        v6_type::ECHO_REPLY => "echo reply",
        v6_type::ROUTER_SOLICIT => "router solicitation",
        v6_type::ROUTER_ADVERT => "router advertisement",
        v6_type::NEIGHBOR_SOLICIT => "neighbor solicitation",
        v6_type::NEIGHBOR_ADVERT => "neighbor advertisement",
        v6_type::REDIRECT => "redirect",
        _ => return None,
    })
}

fn icmpv4_name(msg_type: u8) -> Option<&'static str> {
    Some(match msg_type {
        v4_type::ECHO_REPLY => "echo reply",
        v4_type::DST_UNREACHABLE => "destination unreachable",
        v4_type::ECHO_REQUEST => "echo request",
        v4_type::TIME_EXCEEDED => "time exceeded",
        _ => return None,
    })
}

fn tcp_flags(f: &mut fmt::Formatter<'_>, flags: TcpFlags) -> fmt::Result {
    // tcpdump's letters: S F R P . (ACK) U E W.
    f.write_str("[")?;
    for (flag, letter) in [
        (TcpFlags::SYN, "S"),
        (TcpFlags::FIN, "F"),
        (TcpFlags::RST, "R"),
        (TcpFlags::PSH, "P"),
        (TcpFlags::ACK, "."),
        (TcpFlags::URG, "U"),
        (TcpFlags::ECE, "E"),
        (TcpFlags::CWR, "W"),
    ] {
        if flags.contains(flag) {
            f.write_str(letter)?;
        }
    }
    f.write_str("]")
}

impl FrameSummary<'_, '_> {
    fn l4(&self, f: &mut fmt::Formatter<'_>, l4: L4View) -> fmt::Result {
        match l4 {
            L4View::None => f.write_str("fragment"),
            L4View::Icmpv4 { msg_type, code } => {
                match icmpv4_name(msg_type) {
                    Some(name) => write!(f, "ICMP {name}")?,
                    None => write!(f, "ICMP type {msg_type}")?,
                }
                if code != 0 {
                    write!(f, " code {code}")?;
                }
                Ok(())
            }
            L4View::Icmpv6 { msg_type, code } => {
                match icmpv6_name(msg_type) {
                    Some(name) => write!(f, "ICMPv6 {name}")?,
                    None => write!(f, "ICMPv6 type {msg_type}")?,
                }
                if code != 0 {
                    write!(f, " code {code}")?;
                }
                self.ndisc_detail(f)
            }
            L4View::Udp { src_port, dst_port } => write!(f, "UDP {src_port} > {dst_port}"),
            L4View::Tcp {
                src_port,
                dst_port,
                flags,
            } => {
                write!(f, "TCP {src_port} > {dst_port} ")?;
                tcp_flags(f, flags)
            }
            L4View::Other(proto) => write!(f, "protocol {}", proto.0),
            L4View::Malformed(e) => write!(f, "malformed transport ({e})"),
        }
    }

    fn ndisc_detail(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(Ok(Icmpv6Repr::Ndisc(nd))) = self.0.icmpv6() else {
            return Ok(());
        };
        match nd {
            NdiscRepr::NeighborSolicit { target, .. } => write!(f, ", who has {target}"),
            NdiscRepr::NeighborAdvert { flags, target, options } => {
                write!(f, ", tgt is {target}")?;
                if let Some(mac) = options.target_lladdr() {
                    write!(f, " at {mac}")?;
                }
                let bits = [(flags.router, "R"), (flags.solicited, "S"), (flags.override_, "O")];
                f.write_str(" [")?;
                for (set, letter) in bits {
                    if set {
                        f.write_str(letter)?;
                    }
                }
                f.write_str("]")
            }
            NdiscRepr::RouterAdvert {
                router_lifetime, flags, ..
            } => {
                write!(f, ", lifetime {router_lifetime}s, pref {:?}", flags.preference)
            }
            NdiscRepr::Redirect { target, dest, .. } => write!(f, ", {dest} to {target}"),
            NdiscRepr::RouterSolicit { .. } => Ok(()),
        }
    }
}

impl fmt::Display for FrameSummary<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let view = self.0;
        if let Some(tag) = view.vlan {
            write!(f, "vlan {}, ", tag.vid)?;
        }
        match view.l3 {
            L3View::Arp(arp) => match arp.operation {
                ArpOperation::Request => write!(f, "ARP who has {} tell {}", arp.target_ip, arp.sender_ip),
                ArpOperation::Reply => write!(f, "ARP {} is at {}", arp.sender_ip, arp.sender_mac),
                ArpOperation::Unknown(op) => write!(f, "ARP operation {op}"),
            },
            L3View::Ipv4(ip) => {
                write!(f, "{} > {}: ", ip.repr.src, ip.repr.dst)?;
                self.l4(f, ip.l4)?;
                write!(f, ", ttl {}, length {}", ip.repr.ttl, ip.repr.payload_len)
            }
            L3View::Ipv6(ip) => {
                write!(f, "{} > {}: ", ip.repr.src, ip.repr.dst)?;
                self.l4(f, ip.l4)?;
                write!(f, ", hlim {}, length {}", ip.repr.hop_limit, ip.repr.payload_len)?;
                if let Some(frag) = ip.ext.fragment {
                    write!(
                        f,
                        ", frag id {:#x} offset {}{}",
                        frag.ident,
                        frag.offset * 8,
                        if frag.more { "+" } else { "" }
                    )?;
                }
                Ok(())
            }
            L3View::Other => write!(f, "{} > {}, ethertype {:#06x}", view.src, view.dst, view.ethertype.0),
            L3View::Malformed(e) => write!(
                f,
                "{} > {}, malformed ethertype {:#06x} ({e})",
                view.src, view.dst, view.ethertype.0
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::build::{arp_frame, ipv6_frame, Ipv6Params, Upper, L2};
    use crate::wire::frame::parse_frame;
    use crate::wire::ipv6::ALL_NODES;
    use crate::wire::mac::MacAddr;
    use crate::wire::ndisc::NaFlags;
    use crate::wire::ndisc_option::{NdOptionRepr, NdOptions};
    use crate::wire::ArpRepr;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);

    fn summary(frame: &[u8]) -> String {
        FrameSummary(&parse_frame(frame).unwrap()).to_string()
    }

    #[test]
    fn arp_lines() {
        let req = ArpRepr::request(MAC, Ipv4Addr::new(10, 0, 9, 165), Ipv4Addr::new(10, 0, 9, 151));
        let l2 = L2 {
            src: MAC,
            dst: MacAddr::BROADCAST,
            vlan: None,
        };
        assert_eq!(
            summary(&arp_frame(l2, &req).unwrap()),
            "ARP who has 10.0.9.151 tell 10.0.9.165"
        );
        let reply = req.reply_from(MacAddr([2, 0, 0, 0, 0, 0x51]));
        assert_eq!(
            summary(&arp_frame(l2, &reply).unwrap()),
            "ARP 10.0.9.151 is at 02:00:00:00:00:51"
        );
    }

    #[test]
    fn nd_lines() {
        let tlla = [NdOptionRepr::TargetLinkLayerAddr(MAC)];
        let na = NdiscRepr::NeighborAdvert {
            flags: NaFlags {
                router: true,
                solicited: false,
                override_: true,
            },
            target: "fe80::1".parse().unwrap(),
            options: NdOptions::Reprs(&tlla),
        };
        let l2 = L2 {
            src: MAC,
            dst: MacAddr::from_ipv6_multicast(ALL_NODES),
            vlan: None,
        };
        let ip = Ipv6Params::new("fe80::1".parse().unwrap(), ALL_NODES, 255);
        let frame = ipv6_frame(l2, &ip, &Upper::Icmpv6(Icmpv6Repr::Ndisc(na))).unwrap();
        assert_eq!(
            summary(&frame),
            "fe80::1 > ff02::1: ICMPv6 neighbor advertisement, tgt is fe80::1 at 02:00:00:00:00:01 [RO], hlim 255, \
             length 32"
        );
        let mut bad = frame.clone();
        bad[60] ^= 1;
        assert!(summary(&bad).contains("malformed transport (bad checksum)"));
    }

    #[test]
    fn echo_and_other_lines() {
        let l2 = L2 {
            src: MAC,
            dst: MAC,
            vlan: Some(crate::wire::VlanTag {
                pcp: 0,
                dei: false,
                vid: 7,
            }),
        };
        let ip = Ipv6Params::new(Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST, 64);
        let echo = Upper::Icmpv6(Icmpv6Repr::EchoRequest {
            ident: 1,
            seq_no: 2,
            data: &[0; 8],
        });
        let frame = ipv6_frame(l2, &ip, &echo).unwrap();
        assert_eq!(
            summary(&frame),
            "vlan 7, ::1 > ::1: ICMPv6 echo request, hlim 64, length 16"
        );
        let mut lldp = vec![0u8; 60];
        lldp[12..14].copy_from_slice(&[0x88, 0xcc]);
        assert_eq!(
            summary(&lldp),
            "00:00:00:00:00:00 > 00:00:00:00:00:00, ethertype 0x88cc"
        );
    }
}
