//! The packet an ICMP error quotes, parsed once and without allocation: the invoking packet's addresses, upper
//! protocol and ports (or ICMP type, code and identifier), and the TCP sequence number.
//!
//! Conntrack finds the connection an error is RELATED to with it (`nf_ct_get_tuplepr` on the inner header,
//! `nf_conntrack_inet_error`) and the transport layer finds the socket it is for (`tcp_v6_err`, `__udp6_lib_err`).
//! RFC 792 guarantees the IP header plus 8 bytes of the invoking datagram, RFC 4443 §2.4(c) as much as fits; 8
//! bytes hold both ports and the TCP sequence number, which is all either user needs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv6 extension headers `ipv6_skip_exthdr` walks: hop-by-hop, routing, destination options.
const EXT_GENERIC: [u8; 3] = [0, 43, 60];
/// IPv6 fragment header.
const EXT_FRAGMENT: u8 = 44;

/// The invoking packet of an ICMP error (RFC 792, RFC 4443 §2.4(c)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// Source of the invoking packet (us, when the error is about a packet we sent).
    pub src: IpAddr,
    /// Its destination.
    pub dst: IpAddr,
    /// Upper-layer protocol after any extension headers.
    pub proto: u8,
    /// TCP/UDP source port; for ICMP the identifier.
    pub sport: u16,
    /// TCP/UDP destination port; for ICMP `type << 8 | code`.
    pub dport: u16,
    /// TCP sequence number (0 for other protocols).
    pub seq: u32,
}

impl Quote {
    /// Parses the quoted packet; `None` if it is shorter than the IP header plus 8 bytes of the upper header, a
    /// non-first fragment, or not IP (such an error matches no socket and no connection).
    pub fn parse(invoking: &[u8]) -> Option<Quote> {
        let (src, dst, proto, l4) = match invoking.first()? >> 4 {
            4 => {
                let ihl = usize::from(invoking[0] & 0x0f) * 4;
                if ihl < 20 {
                    return None;
                }
                let frag = u16::from_be_bytes([*invoking.get(6)?, *invoking.get(7)?]) & 0x1fff;
                if frag != 0 {
                    return None;
                }
                let a: [u8; 4] = invoking.get(12..16)?.try_into().ok()?;
                let b: [u8; 4] = invoking.get(16..20)?.try_into().ok()?;
                (
                    IpAddr::V4(Ipv4Addr::from(a)),
                    IpAddr::V4(Ipv4Addr::from(b)),
                    invoking[9],
                    invoking.get(ihl..)?,
                )
            }
            6 => {
                let a: [u8; 16] = invoking.get(8..24)?.try_into().ok()?;
                let b: [u8; 16] = invoking.get(24..40)?.try_into().ok()?;
                let (proto, off) = skip_ext_headers(invoking, invoking[6], 40)?;
                (
                    IpAddr::V6(Ipv6Addr::from(a)),
                    IpAddr::V6(Ipv6Addr::from(b)),
                    proto,
                    invoking.get(off..)?,
                )
            }
            _ => return None,
        };
        let h = l4.get(..8)?;
        let be16 = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
        let (sport, dport, seq) = match proto {
            6 => (be16(0), be16(2), u32::from_be_bytes([h[4], h[5], h[6], h[7]])),
            17 => (be16(0), be16(2), 0),
            1 | 58 => (be16(4), u16::from(h[0]) << 8 | u16::from(h[1]), 0),
            _ => (0, 0, 0),
        };
        Some(Quote {
            src,
            dst,
            proto,
            sport,
            dport,
            seq,
        })
    }

    /// The quoted ICMP type (for ICMP quotes).
    pub fn icmp_type(&self) -> u8 {
        (self.dport >> 8) as u8
    }
}

/// `ipv6_skip_exthdr`: the upper protocol and its offset; `None` for a non-first fragment or a truncated chain.
fn skip_ext_headers(p: &[u8], mut next: u8, mut off: usize) -> Option<(u8, usize)> {
    // A bounded walk: a quote holds a handful of headers at most.
    for _ in 0..8 {
        if EXT_GENERIC.contains(&next) {
            let len = (usize::from(*p.get(off + 1)?) + 1) * 8;
            next = *p.get(off)?;
            off += len;
        } else if next == EXT_FRAGMENT {
            let frag = u16::from_be_bytes([*p.get(off + 2)?, *p.get(off + 3)?]) & 0xfff8;
            if frag != 0 {
                return None;
            }
            next = *p.get(off)?;
            off += 8;
        } else {
            return Some((next, off));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6_header(next: u8, payload_len: u16) -> Vec<u8> {
        let mut h = vec![0x60, 0, 0, 0];
        h.extend_from_slice(&payload_len.to_be_bytes());
        h.extend_from_slice(&[next, 64]);
        h.extend_from_slice(&"2001:db8:a::c".parse::<Ipv6Addr>().map_or([0; 16], |a| a.octets()));
        h.extend_from_slice(&"2001:db8:b::10".parse::<Ipv6Addr>().map_or([0; 16], |a| a.octets()));
        h
    }

    #[test]
    fn tcp_over_ipv6_with_a_destination_options_header() {
        let mut p = v6_header(60, 16);
        p.extend_from_slice(&[6, 0, 1, 4, 0, 0, 0, 0]);
        p.extend_from_slice(&[0xd7, 0x2a, 0, 22, 0, 0, 0x10, 0x01]);
        let q = Quote::parse(&p);
        assert_eq!(
            q.map(|q| (q.proto, q.sport, q.dport, q.seq)),
            Some((6, 55082, 22, 0x1001))
        );
        assert_eq!(q.map(|q| q.src), "2001:db8:a::c".parse().ok());
    }

    #[test]
    fn icmpv4_echo_and_truncation_and_fragments() {
        let mut p = vec![
            0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 1, 0, 0, 192, 0, 2, 10, 198, 51, 100, 80,
        ];
        p.extend_from_slice(&[8, 0, 0, 0, 0x12, 0x34, 0, 1]);
        let q = Quote::parse(&p);
        assert_eq!(q.map(|q| (q.proto, q.sport, q.icmp_type())), Some((1, 0x1234, 8)));
        assert_eq!(Quote::parse(&p[..27]), None, "fewer than 8 upper bytes");
        p[6] = 0x20;
        p[7] = 0x01;
        assert_eq!(Quote::parse(&p), None, "a non-first fragment has no ports");
        assert_eq!(Quote::parse(&[]), None);
        assert_eq!(Quote::parse(&[0x45, 0]), None);
        assert_eq!(Quote::parse(&[0x41; 40]), None, "IHL below 5");
    }

    #[test]
    fn ipv6_non_first_fragment_and_truncated_chain() {
        let mut p = v6_header(44, 16);
        p.extend_from_slice(&[17, 0, 0, 8, 0, 0, 0, 1]);
        p.extend_from_slice(&[0, 53, 0, 53, 0, 8, 0, 0]);
        assert_eq!(Quote::parse(&p), None);
        p[42] = 0;
        p[43] = 0;
        assert_eq!(Quote::parse(&p).map(|q| (q.proto, q.dport)), Some((17, 53)));
        let hop = v6_header(0, 0);
        assert_eq!(Quote::parse(&hop), None);
    }
}
