//! `kernel.time_scale` applied consistently: the kernel runs `scale` real seconds per scenario second, so every
//! lifetime it is told is scaled up on the way out and every lifetime it reports is scaled down on the way back.
//!
//! Out: the RAs dualhome sends on the kernel side (radvd, `send-ra`, rogue and flood RAs) carry Router Lifetime,
//! PIO valid/preferred, RIO, RDNSS and DNSSL lifetimes × scale (radvd's defaults — 3 × and 2 ×
//! MaxRtrAdvInterval — made explicit first, as the interval is scenario time), and Reachable Time / Retrans
//! Timer × scale. Infinity (0xffffffff) stays infinity and 0 stays 0 (a withdrawal). Back: `valid_lft`,
//! `preferred_lft` and route `expires` are divided by scale. The simulator runs in scenario time and needs
//! neither, so with these two steps the backends' lifetimes compare in scenario seconds.
//!
//! What cannot be scaled, and so keeps `time_scale` approximate: the kernel's own constants — DAD's
//! RetransTimer default (1 s, addrconf_dad_kick), rtr_solicit_interval/delay (4 s/1 s), the RFC 4862 §5.5.3 e)
//! two-hour rule (7200 s, compared with the scaled lifetime: a PIO of 1 h at scale 2 crosses it on the kernel
//! only), the 16-bit Router Lifetime (scaled values saturate at 65535 s) and conntrack timeouts. Scenarios
//! with `time_scale` keep their checks away from those.

use super::snapshot::NodeState;
use dualhome_sim::radvd::config::RaIfaceConfig;

/// The RA lifetime value for infinity (RFC 4861 §4.6.2).
const INFINITY: u32 = u32::MAX;

/// `secs` (a lifetime in scenario seconds) in real seconds.
pub fn scale_secs(secs: u32, scale: f64) -> u32 {
    if secs == 0 || secs == INFINITY {
        return secs;
    }
    let real = (f64::from(secs) * scale).round();
    if real >= f64::from(INFINITY - 1) {
        INFINITY - 1
    } else {
        (real as u32).max(1)
    }
}

/// A Router Lifetime (16 bits on the wire) in real seconds, saturating.
fn scale_u16(secs: u16, scale: f64) -> u16 {
    u16::try_from(scale_secs(u32::from(secs), scale)).unwrap_or(u16::MAX)
}

/// `cfg` with every lifetime it puts on the wire in real seconds; intervals (the daemon's own timing, which runs
/// in scenario time) untouched.
pub fn wire_config(cfg: &RaIfaceConfig, scale: f64) -> RaIfaceConfig {
    let mut out = cfg.clone();
    if scale == 1.0 {
        return out;
    }
    let three_max = (cfg.max_interval.as_secs_f64() * 3.0).ceil() as u32;
    let two_max = (cfg.max_interval.as_secs_f64() * 2.0).ceil() as u32;
    out.default_lifetime = Some(scale_u16(cfg.effective_default_lifetime(), scale));
    out.reachable_time = scale_secs(cfg.reachable_time, scale);
    out.retrans_timer = scale_secs(cfg.retrans_timer, scale);
    for p in &mut out.prefixes {
        p.valid_lifetime = scale_secs(p.valid_lifetime, scale);
        p.preferred_lifetime = scale_secs(p.preferred_lifetime, scale);
    }
    for r in &mut out.routes {
        r.lifetime = Some(scale_secs(r.lifetime.unwrap_or(three_max), scale));
    }
    for d in &mut out.rdnss {
        d.lifetime = Some(scale_secs(d.lifetime.unwrap_or(two_max), scale));
    }
    for d in &mut out.dnssl {
        d.lifetime = Some(scale_secs(d.lifetime.unwrap_or(two_max), scale));
    }
    out
}

/// Real seconds left, as the kernel reports them, in scenario seconds.
fn back(secs: Option<u64>, scale: f64) -> Option<u64> {
    secs.map(|s| (s as f64 / scale).round() as u64)
}

/// The kernel's lifetimes in `state` (addresses' valid/preferred, routes' expiry) in scenario seconds.
pub fn to_scenario_time(state: &mut NodeState, scale: f64) {
    if scale == 1.0 {
        return;
    }
    for a in &mut state.addrs {
        a.valid = back(a.valid, scale);
        a.preferred = back(a.preferred, scale);
    }
    for r in &mut state.routes {
        r.expires = back(r.expires, scale);
    }
}

/// The lifetime tolerance of a comparison: 3 scenario seconds, or more when one real second (the kernel's
/// granularity) is longer than that in scenario time.
pub fn tolerance(scale: f64) -> u64 {
    (3.0_f64).max((1.0 / scale).ceil() + 2.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::snapshot::{AddrEntry, RouteEntry};
    use dualhome_sim::radvd::config::PrefixConfig;
    use std::time::Duration;

    #[test]
    fn lifetimes_scale_but_infinity_and_withdrawal_do_not() {
        assert_eq!(scale_secs(60, 2.0), 120);
        assert_eq!(scale_secs(0, 2.0), 0);
        assert_eq!(scale_secs(u32::MAX, 2.0), u32::MAX);
        assert_eq!(
            scale_secs(u32::MAX - 5, 2.0),
            u32::MAX - 1,
            "a finite lifetime never becomes infinity"
        );
        assert_eq!(scale_secs(1, 0.25), 1, "a finite lifetime never becomes a withdrawal");
        assert_eq!(scale_u16(40_000, 2.0), u16::MAX);
    }

    #[test]
    fn the_wire_config_scales_lifetimes_and_makes_radvd_defaults_explicit() {
        let mut cfg = RaIfaceConfig::new("eth0");
        cfg.max_interval = Duration::from_secs(4);
        let mut p = PrefixConfig::new("2001:db8:1::".parse().unwrap_or(std::net::Ipv6Addr::UNSPECIFIED), 64);
        p.valid_lifetime = 120;
        p.preferred_lifetime = u32::MAX;
        cfg.prefixes.push(p);
        let w = wire_config(&cfg, 2.0);
        assert_eq!(w.default_lifetime, Some(24), "3 × 4 s scenario time = 12 s, 24 s real");
        assert_eq!(
            (w.prefixes[0].valid_lifetime, w.prefixes[0].preferred_lifetime),
            (240, u32::MAX)
        );
        assert_eq!(
            w.max_interval, cfg.max_interval,
            "the daemon's timing stays in scenario time"
        );
        assert_eq!(wire_config(&cfg, 1.0).default_lifetime, None);
    }

    #[test]
    fn reported_lifetimes_come_back_in_scenario_seconds() {
        let mut s = NodeState::default();
        s.addrs.push(AddrEntry {
            dev: "eth0".into(),
            cidr: "2001:db8:1::5/64".into(),
            flags: vec!["dynamic".into()],
            valid: Some(237),
            preferred: None,
        });
        s.routes.push(RouteEntry {
            table: 254,
            cache: false,
            kind: None,
            dst: "default".into(),
            via: Some("fe80::1".into()),
            dev: Some("eth0".into()),
            proto: Some("ra".into()),
            metric: Some(1024),
            pref: Some("medium".into()),
            expires: Some(111),
        });
        to_scenario_time(&mut s, 2.0);
        assert_eq!((s.addrs[0].valid, s.addrs[0].preferred), (Some(119), None));
        assert_eq!(s.routes[0].expires, Some(56));
        assert_eq!((tolerance(1.0), tolerance(2.0), tolerance(0.25)), (3, 3, 6));
    }
}
