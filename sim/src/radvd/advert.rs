//! The bytes of a Router Advertisement built from an interface's configuration (RFC 4861 §4.2, options in
//! radvd's `send.c` order: PIOs, RIOs, RDNSS, DNSSL, MTU, SLLA), with the shutdown variants of RFC 4861 §6.2.5
//! and radvd's `DeprecatePrefix`, `RemoveRoute`, `FlushRDNSS`/`FlushDNSSL`.

use std::net::Ipv6Addr;
use std::ops::Range;

use super::config::{RaIfaceConfig, INFINITY};
use super::daemon::RaSend;
use crate::time::Instant;
use crate::wire::build::{append_ipv6, Ipv6Params, Upper, L2};
use crate::wire::ipv6::ALL_NODES;
use crate::wire::ndisc_option::{AddrList, DomainList};
use crate::wire::{Icmpv6Repr, MacAddr, NdOptionRepr, NdOptions, NdiscRepr, PrefixInfo, RaFlags, RouteInfo, WireError};

/// The H bit of the RA flag octet (RFC 6275 §7.1), kept in [`RaFlags::other_bits`].
const HOME_AGENT_BIT: u8 = 0x20;
/// The R bit of a PIO's flag octet (RFC 6275 §7.2), kept in [`PrefixInfo::other_flags`].
const ROUTER_ADDR_BIT: u8 = 0x20;
/// The valid lifetime radvd's `DeprecatePrefix` announces on shutdown: "slightly greater than 2 hours", so the
/// host keeps the address for the two-hour rule's minimum (RFC 4862 §5.5.3 e).
const DEPRECATE_VALID: u32 = 7201;

/// A lifetime counted down from `start` when `decrement` is set (RFC 4861 §6.2.1, radvd `DecrementLifetimes`);
/// infinity never decrements.
fn lifetime(configured: u32, decrement: bool, start: Instant, now: Instant) -> u32 {
    if !decrement || configured == INFINITY {
        return configured;
    }
    let elapsed = u32::try_from(now.saturating_since(start).as_secs()).unwrap_or(u32::MAX);
    configured.saturating_sub(elapsed)
}

/// Appends the RA that `kind` calls for, sent by the interface with link-local `src` and `mac`, to `buf`.
/// `started_at` is when the daemon started (for decrementing lifetimes), `now` the send time.
pub fn append_ra(
    buf: &mut Vec<u8>,
    cfg: &RaIfaceConfig,
    kind: RaSend,
    src: Ipv6Addr,
    mac: MacAddr,
    started_at: Instant,
    now: Instant,
) -> Result<Range<usize>, WireError> {
    let last = kind == RaSend::Final;
    let mut opts: Vec<NdOptionRepr<'_>> =
        Vec::with_capacity(cfg.prefixes.len() + cfg.routes.len() + cfg.rdnss.len() + cfg.dnssl.len() + 2);
    for p in &cfg.prefixes {
        let mut valid = lifetime(p.valid_lifetime, p.decrement_lifetimes, started_at, now);
        let mut preferred = lifetime(p.preferred_lifetime, p.decrement_lifetimes, started_at, now);
        if last && p.deprecate_on_shutdown {
            preferred = 0;
            valid = valid.min(DEPRECATE_VALID);
        }
        opts.push(NdOptionRepr::PrefixInformation(PrefixInfo {
            prefix_len: p.len,
            on_link: p.on_link,
            autonomous: p.autonomous,
            other_flags: if p.router_addr { ROUTER_ADDR_BIT } else { 0 },
            valid_lifetime: valid,
            preferred_lifetime: preferred,
            prefix: p.prefix,
        }));
    }
    for r in &cfg.routes {
        let lifetime = if last && r.remove_on_shutdown {
            0
        } else {
            r.lifetime.unwrap_or_else(|| cfg.three_max())
        };
        opts.push(NdOptionRepr::RouteInformation(RouteInfo {
            prefix_len: r.len,
            preference: r.preference,
            lifetime,
            prefix: r.prefix,
        }));
    }
    for d in &cfg.rdnss {
        let lifetime = if last && d.flush_on_shutdown {
            0
        } else {
            d.lifetime.unwrap_or_else(|| cfg.two_max())
        };
        opts.push(NdOptionRepr::Rdnss {
            lifetime,
            servers: AddrList::Addrs(&d.servers),
        });
    }
    let names: Vec<Vec<&str>> = cfg
        .dnssl
        .iter()
        .map(|d| d.domains.iter().map(String::as_str).collect())
        .collect();
    for (d, names) in cfg.dnssl.iter().zip(&names) {
        let lifetime = if last && d.flush_on_shutdown {
            0
        } else {
            d.lifetime.unwrap_or_else(|| cfg.two_max())
        };
        opts.push(NdOptionRepr::Dnssl {
            lifetime,
            domains: DomainList::Names(names),
        });
    }
    if cfg.link_mtu != 0 {
        opts.push(NdOptionRepr::Mtu(cfg.link_mtu));
    }
    if cfg.source_ll_address {
        opts.push(NdOptionRepr::SourceLinkLayerAddr(mac));
    }
    let ra = NdiscRepr::RouterAdvert {
        hop_limit: cfg.cur_hop_limit,
        flags: RaFlags {
            managed: cfg.managed,
            other: cfg.other_config,
            preference: cfg.default_preference,
            other_bits: if cfg.home_agent { HOME_AGENT_BIT } else { 0 },
        },
        router_lifetime: if last { 0 } else { cfg.effective_default_lifetime() },
        reachable_time: cfg.reachable_time,
        retrans_time: cfg.retrans_timer,
        options: NdOptions::Reprs(&opts),
    };
    let (dst, dst_mac) = match kind {
        RaSend::Unicast { dst, mac } => (dst, mac),
        RaSend::Multicast | RaSend::Final => (ALL_NODES, MacAddr::from_ipv6_multicast(ALL_NODES)),
    };
    let l2 = L2 {
        src: mac,
        dst: dst_mac,
        vlan: None,
    };
    append_ipv6(
        buf,
        l2,
        &Ipv6Params::new(src, dst, 255),
        &Upper::Icmpv6(Icmpv6Repr::Ndisc(ra)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radvd::config::{DnsslConfig, PrefixConfig, RdnssConfig, RouteConfig};
    use crate::wire::{parse_frame, RouterPreference};
    use std::time::Duration;

    const MAC: MacAddr = MacAddr([0x52, 0x54, 0, 0, 0, 1]);

    fn ll() -> Ipv6Addr {
        MAC.eui64_link_local()
    }

    fn cfg() -> RaIfaceConfig {
        let mut c = RaIfaceConfig::new("eth0");
        c.max_interval = Duration::from_secs(10);
        c.link_mtu = 1400;
        c.default_preference = RouterPreference::High;
        let mut p = PrefixConfig::new(Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0), 64);
        p.decrement_lifetimes = true;
        p.deprecate_on_shutdown = true;
        c.prefixes.push(p);
        c.routes.push(RouteConfig {
            prefix: Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 0),
            len: 48,
            preference: RouterPreference::Low,
            lifetime: None,
            remove_on_shutdown: true,
        });
        c.rdnss.push(RdnssConfig {
            servers: vec![Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0x53)],
            lifetime: None,
            flush_on_shutdown: true,
        });
        c.dnssl.push(DnsslConfig {
            domains: vec!["example.com".into()],
            lifetime: Some(60),
            flush_on_shutdown: false,
        });
        c
    }

    fn options(frame: &[u8]) -> (u16, Vec<String>) {
        let view = parse_frame(frame).expect("parses");
        let Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            router_lifetime,
            options,
            ..
        }))) = view.icmpv6()
        else {
            return (u16::MAX, Vec::new());
        };
        let texts = options.reprs().map(|o| format!("{o:?}")).collect();
        (router_lifetime, texts)
    }

    #[test]
    fn periodic_ra_carries_every_option_in_radvd_order() {
        let mut buf = Vec::new();
        let c = cfg();
        let r = append_ra(
            &mut buf,
            &c,
            RaSend::Multicast,
            ll(),
            MAC,
            Instant::ZERO,
            Instant::from_secs(100),
        )
        .expect("builds");
        let (lifetime, opts) = options(&buf[r]);
        assert_eq!(lifetime, 30);
        assert_eq!(opts.len(), 6, "{opts:?}");
        // DecrementLifetimes: 86400 − 100 and 14400 − 100 (RFC 4861 §6.2.1).
        assert!(opts[0].contains("valid_lifetime: 86300") && opts[0].contains("preferred_lifetime: 14300"));
        assert!(
            opts[1].contains("lifetime: 30") && opts[1].contains("Low"),
            "{}",
            opts[1]
        );
        assert!(opts[2].starts_with("Ok(Rdnss { lifetime: 20"), "{}", opts[2]);
        assert!(opts[4].contains("Mtu(1400)") && opts[5].contains("SourceLinkLayerAddr"));
    }

    #[test]
    fn final_ra_zeroes_router_lifetime_and_flushed_options_rfc4861_6_2_5() {
        let mut buf = Vec::new();
        let c = cfg();
        let r = append_ra(
            &mut buf,
            &c,
            RaSend::Final,
            ll(),
            MAC,
            Instant::ZERO,
            Instant::from_secs(1),
        )
        .expect("ok");
        let (lifetime, opts) = options(&buf[r]);
        assert_eq!(lifetime, 0);
        assert!(opts[0].contains("preferred_lifetime: 0") && opts[0].contains("valid_lifetime: 7201"));
        assert!(opts[1].contains("lifetime: 0,"));
        assert!(opts[2].starts_with("Ok(Rdnss { lifetime: 0"));
        assert!(opts[3].starts_with("Ok(Dnssl { lifetime: 60"));
    }
}
