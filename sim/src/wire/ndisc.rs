//! Neighbour Discovery messages (RFC 4861 §4): the message bodies after the 4-byte ICMPv6 header.
//!
//! [`NdiscRepr::parse`] applies the checks RFC 4861 puts on every message before its semantics (§6.1.1, §6.1.2,
//! §7.1.1, §7.1.2, §8.1): ICMP code 0 and the minimum body length, then the option validation walk
//! ([`NdOptions::parse`], linux-ipv6.md B6). The IP-level checks (hop limit 255, link-local source, no Fragment
//! header, B2/B3/B5) need the IPv6 header and are the host's.

use std::net::Ipv6Addr;

use super::ndisc_option::{NdOptions, RouterPreference};
use super::WireError;

/// ICMPv6 type numbers of the ND messages (RFC 4861 §4).
pub mod msg_type {
    /// Router Solicitation.
    pub const ROUTER_SOLICIT: u8 = 133;
    /// Router Advertisement.
    pub const ROUTER_ADVERT: u8 = 134;
    /// Neighbour Solicitation.
    pub const NEIGHBOR_SOLICIT: u8 = 135;
    /// Neighbour Advertisement.
    pub const NEIGHBOR_ADVERT: u8 = 136;
    /// Redirect.
    pub const REDIRECT: u8 = 137;
}

/// The flag octet of a Router Advertisement (RFC 4861 §4.2, RFC 4191 §2.2, RFC 3775 H, RFC 4389 P).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RaFlags {
    /// M: addresses are available via DHCPv6.
    pub managed: bool,
    /// O: other configuration is available via DHCPv6.
    pub other: bool,
    /// Default Router Preference (RFC 4191 §2.2).
    pub preference: RouterPreference,
    /// The remaining bits (H, P, reserved), kept for round trips.
    pub other_bits: u8,
}

impl RaFlags {
    const MANAGED: u8 = 0x80;
    const OTHER: u8 = 0x40;
    const PRF_SHIFT: u8 = 3;
    const REST: u8 = 0x27;

    /// Decodes the flag octet.
    pub const fn from_octet(b: u8) -> RaFlags {
        RaFlags {
            managed: b & Self::MANAGED != 0,
            other: b & Self::OTHER != 0,
            preference: RouterPreference::from_bits(b >> Self::PRF_SHIFT),
            other_bits: b & Self::REST,
        }
    }

    /// The flag octet.
    pub const fn octet(&self) -> u8 {
        (if self.managed { Self::MANAGED } else { 0 })
            | (if self.other { Self::OTHER } else { 0 })
            | (self.preference.bits() << Self::PRF_SHIFT)
            | (self.other_bits & Self::REST)
    }
}

/// The R, S and O flags of a Neighbour Advertisement (RFC 4861 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NaFlags {
    /// R: the sender is a router.
    pub router: bool,
    /// S: sent in response to a solicitation.
    pub solicited: bool,
    /// O: override an existing cache entry.
    pub override_: bool,
}

/// A Neighbour Discovery message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NdiscRepr<'a> {
    /// Router Solicitation (RFC 4861 §4.1).
    RouterSolicit {
        /// Options (SLLA).
        options: NdOptions<'a>,
    },
    /// Router Advertisement (RFC 4861 §4.2).
    RouterAdvert {
        /// Cur Hop Limit; 0 = unspecified.
        hop_limit: u8,
        /// M, O, preference and the other flag bits.
        flags: RaFlags,
        /// Router Lifetime in seconds; 0 = not a default router.
        router_lifetime: u16,
        /// Reachable Time in milliseconds; 0 = unspecified.
        reachable_time: u32,
        /// Retrans Timer in milliseconds; 0 = unspecified.
        retrans_time: u32,
        /// Options (SLLA, MTU, PIOs, RIOs, RDNSS, DNSSL, …).
        options: NdOptions<'a>,
    },
    /// Neighbour Solicitation (RFC 4861 §4.3).
    NeighborSolicit {
        /// The address being resolved.
        target: Ipv6Addr,
        /// Options (SLLA, Nonce).
        options: NdOptions<'a>,
    },
    /// Neighbour Advertisement (RFC 4861 §4.4).
    NeighborAdvert {
        /// R, S, O.
        flags: NaFlags,
        /// The address advertised.
        target: Ipv6Addr,
        /// Options (TLLA).
        options: NdOptions<'a>,
    },
    /// Redirect (RFC 4861 §4.5).
    Redirect {
        /// The better first hop (or the destination itself when on-link).
        target: Ipv6Addr,
        /// The destination being redirected.
        dest: Ipv6Addr,
        /// Options (TLLA, Redirected Header).
        options: NdOptions<'a>,
    },
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn addr(b: &[u8]) -> Ipv6Addr {
    let mut o = [0u8; 16];
    o.copy_from_slice(&b[..16]);
    Ipv6Addr::from(o)
}

/// The largest Redirected Header payload that keeps a Redirect within the IPv6 minimum MTU (RFC 4861 §4.6.3):
/// 1280 − 40 (IPv6) − 40 (Redirect) − 8 (TLLA) − 8 (option header) = 1184 bytes, as Linux `ndisc_send_redirect`.
pub const MAX_REDIRECTED_PAYLOAD: usize = 1184;

impl<'a> NdiscRepr<'a> {
    /// Decodes an ND message from its ICMPv6 type and code and the body after the 4-byte ICMPv6 header.
    /// Not an ND type → `Unsupported`; code ≠ 0 → `BadField`; a short body → `Truncated`; a bad option
    /// length → `BadOptionLength`.
    pub fn parse(msg_type: u8, code: u8, body: &'a [u8]) -> Result<NdiscRepr<'a>, WireError> {
        let fixed = match msg_type {
            msg_type::ROUTER_SOLICIT => 4,
            msg_type::ROUTER_ADVERT => 12,
            msg_type::NEIGHBOR_SOLICIT | msg_type::NEIGHBOR_ADVERT => 20,
            msg_type::REDIRECT => 36,
            _ => return Err(WireError::Unsupported),
        };
        if code != 0 {
            return Err(WireError::BadField);
        }
        if body.len() < fixed {
            return Err(WireError::Truncated);
        }
        let options = NdOptions::parse(&body[fixed..])?;
        Ok(match msg_type {
            msg_type::ROUTER_SOLICIT => NdiscRepr::RouterSolicit { options },
            msg_type::ROUTER_ADVERT => NdiscRepr::RouterAdvert {
                hop_limit: body[0],
                flags: RaFlags::from_octet(body[1]),
                router_lifetime: u16::from_be_bytes([body[2], body[3]]),
                reachable_time: be32(&body[4..8]),
                retrans_time: be32(&body[8..12]),
                options,
            },
            msg_type::NEIGHBOR_SOLICIT => NdiscRepr::NeighborSolicit {
                target: addr(&body[4..20]),
                options,
            },
            msg_type::NEIGHBOR_ADVERT => NdiscRepr::NeighborAdvert {
                flags: NaFlags {
                    router: body[0] & 0x80 != 0,
                    solicited: body[0] & 0x40 != 0,
                    override_: body[0] & 0x20 != 0,
                },
                target: addr(&body[4..20]),
                options,
            },
            _ => NdiscRepr::Redirect {
                target: addr(&body[4..20]),
                dest: addr(&body[20..36]),
                options,
            },
        })
    }

    /// The ICMPv6 type.
    pub const fn msg_type(&self) -> u8 {
        match self {
            NdiscRepr::RouterSolicit { .. } => msg_type::ROUTER_SOLICIT,
            NdiscRepr::RouterAdvert { .. } => msg_type::ROUTER_ADVERT,
            NdiscRepr::NeighborSolicit { .. } => msg_type::NEIGHBOR_SOLICIT,
            NdiscRepr::NeighborAdvert { .. } => msg_type::NEIGHBOR_ADVERT,
            NdiscRepr::Redirect { .. } => msg_type::REDIRECT,
        }
    }

    /// The options.
    pub const fn options(&self) -> &NdOptions<'a> {
        match self {
            NdiscRepr::RouterSolicit { options }
            | NdiscRepr::RouterAdvert { options, .. }
            | NdiscRepr::NeighborSolicit { options, .. }
            | NdiscRepr::NeighborAdvert { options, .. }
            | NdiscRepr::Redirect { options, .. } => options,
        }
    }

    fn fixed_len(&self) -> usize {
        match self {
            NdiscRepr::RouterSolicit { .. } => 4,
            NdiscRepr::RouterAdvert { .. } => 12,
            NdiscRepr::NeighborSolicit { .. } | NdiscRepr::NeighborAdvert { .. } => 20,
            NdiscRepr::Redirect { .. } => 36,
        }
    }

    /// Length of the body (after the 4-byte ICMPv6 header).
    pub fn body_len(&self) -> usize {
        self.fixed_len() + self.options().buffer_len()
    }

    /// Writes the body into the start of `buf`; reserved fields are zero.
    pub fn emit_body(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let fixed = self.fixed_len();
        let buf = buf.get_mut(..self.body_len()).ok_or(WireError::BufferTooSmall)?;
        buf[..fixed].fill(0);
        match self {
            NdiscRepr::RouterSolicit { .. } => {}
            NdiscRepr::RouterAdvert {
                hop_limit,
                flags,
                router_lifetime,
                reachable_time,
                retrans_time,
                ..
            } => {
                buf[0] = *hop_limit;
                buf[1] = flags.octet();
                buf[2..4].copy_from_slice(&router_lifetime.to_be_bytes());
                buf[4..8].copy_from_slice(&reachable_time.to_be_bytes());
                buf[8..12].copy_from_slice(&retrans_time.to_be_bytes());
            }
            NdiscRepr::NeighborSolicit { target, .. } => buf[4..20].copy_from_slice(&target.octets()),
            NdiscRepr::NeighborAdvert { flags, target, .. } => {
                buf[0] =
                    (u8::from(flags.router) << 7) | (u8::from(flags.solicited) << 6) | (u8::from(flags.override_) << 5);
                buf[4..20].copy_from_slice(&target.octets());
            }
            NdiscRepr::Redirect { target, dest, .. } => {
                buf[4..20].copy_from_slice(&target.octets());
                buf[20..36].copy_from_slice(&dest.octets());
            }
        }
        self.options().emit(&mut buf[fixed..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::mac::MacAddr;
    use crate::wire::ndisc_option::{NdOptionRepr, PrefixInfo};

    // Golden RA body: hop limit 64, M=0 O=1, preference high, lifetime 1800, reachable 20000 ms, retrans 1500 ms,
    // then SLLA 02:00:00:00:00:01 and a PIO for 2001:db8:1::/64 (L A, 86400/14400).
    const RA_BODY: [u8; 52] = [
        64, 0x48, 0x07, 0x08, 0x00, 0x00, 0x4e, 0x20, 0x00, 0x00, 0x05, 0xdc, //
        1, 1, 0x02, 0, 0, 0, 0, 0x01, //
        3, 4, 64, 0xc0, 0x00, 0x01, 0x51, 0x80, 0x00, 0x00, 0x38, 0x40, 0, 0, 0, 0, //
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    const RA_OPTIONS: [NdOptionRepr<'static>; 2] = [
        NdOptionRepr::SourceLinkLayerAddr(MacAddr([2, 0, 0, 0, 0, 1])),
        NdOptionRepr::PrefixInformation(PrefixInfo {
            prefix_len: 64,
            on_link: true,
            autonomous: true,
            other_flags: 0,
            valid_lifetime: 86400,
            preferred_lifetime: 14400,
            prefix: Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0),
        }),
    ];

    fn ra(options: NdOptions<'static>) -> NdiscRepr<'static> {
        NdiscRepr::RouterAdvert {
            hop_limit: 64,
            flags: RaFlags {
                managed: false,
                other: true,
                preference: RouterPreference::High,
                other_bits: 0,
            },
            router_lifetime: 1800,
            reachable_time: 20000,
            retrans_time: 1500,
            options,
        }
    }

    #[test]
    fn emit_golden_ra() {
        let repr = ra(NdOptions::Reprs(&RA_OPTIONS));
        let mut buf = [0u8; 52];
        assert_eq!(repr.body_len(), 52);
        repr.emit_body(&mut buf).unwrap();
        assert_eq!(buf, RA_BODY);
    }

    #[test]
    fn parse_golden_ra() {
        let parsed = NdiscRepr::parse(134, 0, &RA_BODY).unwrap();
        assert_eq!(parsed, ra(NdOptions::Wire(&RA_BODY[12..])));
        let options: Vec<_> = parsed.options().reprs().map(Result::unwrap).collect();
        assert_eq!(options, RA_OPTIONS);
    }

    #[test]
    fn rfc4861_checks() {
        assert_eq!(NdiscRepr::parse(134, 1, &RA_BODY), Err(WireError::BadField));
        assert_eq!(NdiscRepr::parse(134, 0, &RA_BODY[..11]), Err(WireError::Truncated));
        assert_eq!(
            NdiscRepr::parse(134, 0, &RA_BODY[..50]),
            Err(WireError::BadOptionLength)
        );
        assert_eq!(NdiscRepr::parse(128, 0, &RA_BODY), Err(WireError::Unsupported));
        assert_eq!(NdiscRepr::parse(137, 0, &RA_BODY[..35]), Err(WireError::Truncated));
    }

    #[test]
    fn na_and_redirect_round_trip() {
        let na = NdiscRepr::NeighborAdvert {
            flags: NaFlags {
                router: true,
                solicited: true,
                override_: false,
            },
            target: "fe80::1".parse().unwrap(),
            options: NdOptions::NONE,
        };
        let mut buf = [0u8; 20];
        na.emit_body(&mut buf).unwrap();
        assert_eq!(buf[0], 0xc0);
        let parsed = NdiscRepr::parse(136, 0, &buf).unwrap();
        assert_eq!(parsed, na, "a parsed message equals the one it was built from");
        assert_eq!(parsed.msg_type(), 136);
        let redirect = NdiscRepr::Redirect {
            target: "fe80::99".parse().unwrap(),
            dest: "2001:db8:99::1".parse().unwrap(),
            options: NdOptions::Reprs(&[NdOptionRepr::RedirectedHeader(&[0x60, 0, 0, 0])]),
        };
        let mut buf = [0u8; 52];
        redirect.emit_body(&mut buf).unwrap();
        let NdiscRepr::Redirect { target, dest, options } = NdiscRepr::parse(137, 0, &buf).unwrap() else {
            panic!("not a redirect");
        };
        assert_eq!(
            (target, dest),
            ("fe80::99".parse().unwrap(), "2001:db8:99::1".parse().unwrap())
        );
        assert_eq!(
            options.reprs().next(),
            Some(Ok(NdOptionRepr::RedirectedHeader(&[0x60, 0, 0, 0, 0, 0, 0, 0])))
        );
    }

    #[test]
    fn ra_flag_octet_round_trips() {
        for b in 0..=255u8 {
            assert_eq!(RaFlags::from_octet(b).octet(), b, "{b:#x}");
        }
    }
}
