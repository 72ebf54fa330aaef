//! What one router interface advertises: the radvd.conf(5) interface, prefix, route, RDNSS and DNSSL settings
//! with radvd's defaults, which follow RFC 4861 §6.2.1 (AdvSendAdvert excepted: radvd defaults it to off, a
//! simulated router that runs the daemon wants it on, so [`RaIfaceConfig::new`] turns it on).

use std::net::Ipv6Addr;
use std::time::Duration;

use crate::wire::RouterPreference;

/// RFC 4861 §10: MAX_INITIAL_RTR_ADVERT_INTERVAL, the cap on the first intervals.
pub const MAX_INITIAL_RTR_ADVERT_INTERVAL: Duration = Duration::from_secs(16);
/// RFC 4861 §10: MAX_INITIAL_RTR_ADVERTISEMENTS, how many first RAs use the capped interval.
pub const MAX_INITIAL_RTR_ADVERTISEMENTS: u32 = 3;
/// RFC 4861 §10: MIN_DELAY_BETWEEN_RAS, the multicast RA rate limit (radvd `MinDelayBetweenRAs` default).
pub const MIN_DELAY_BETWEEN_RAS: Duration = Duration::from_secs(3);
/// RFC 4861 §10: MAX_RA_DELAY_TIME, the upper bound of the random delay before answering an RS.
pub const MAX_RA_DELAY_TIME: Duration = Duration::from_millis(500);
/// The infinite lifetime on the wire (RFC 4861 §4.6.2).
pub const INFINITY: u32 = u32::MAX;

/// A prefix block (`prefix 2001:db8:1::/64 { … }`): a Prefix Information option (RFC 4861 §4.6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixConfig {
    /// The prefix.
    pub prefix: Ipv6Addr,
    /// Its length.
    pub len: u8,
    /// `AdvOnLink` (L), default on.
    pub on_link: bool,
    /// `AdvAutonomous` (A), default on.
    pub autonomous: bool,
    /// `AdvRouterAddr` (R, RFC 6275 §7.2), default off.
    pub router_addr: bool,
    /// `AdvValidLifetime`, default 86400 s.
    pub valid_lifetime: u32,
    /// `AdvPreferredLifetime`, default 14400 s.
    pub preferred_lifetime: u32,
    /// `DeprecatePrefix`: the final RA on shutdown carries this prefix with lifetimes 0, default off.
    pub deprecate_on_shutdown: bool,
    /// `DecrementLifetimes`: lifetimes count down in real (virtual) time from the daemon's start (RFC 4861
    /// §6.2.1 AdvValidLifetime "decrementing in real time"), default off.
    pub decrement_lifetimes: bool,
}

impl PrefixConfig {
    /// A prefix with radvd's defaults.
    pub fn new(prefix: Ipv6Addr, len: u8) -> PrefixConfig {
        PrefixConfig {
            prefix,
            len,
            on_link: true,
            autonomous: true,
            router_addr: false,
            valid_lifetime: 86_400,
            preferred_lifetime: 14_400,
            deprecate_on_shutdown: false,
            decrement_lifetimes: false,
        }
    }
}

/// A route block (`route 2001:db8:2::/48 { … }`): a Route Information option (RFC 4191 §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteConfig {
    /// The prefix.
    pub prefix: Ipv6Addr,
    /// Its length.
    pub len: u8,
    /// `AdvRoutePreference`, default medium.
    pub preference: RouterPreference,
    /// `AdvRouteLifetime`; `None` means radvd's default of 3 × MaxRtrAdvInterval.
    pub lifetime: Option<u32>,
    /// `RemoveRoute`: the final RA carries the route with lifetime 0, default on.
    pub remove_on_shutdown: bool,
}

/// An RDNSS block (RFC 8106 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdnssConfig {
    /// The servers.
    pub servers: Vec<Ipv6Addr>,
    /// `AdvRDNSSLifetime`; `None` means radvd's default of 2 × MaxRtrAdvInterval (RFC 8106 §5.1 lower bound).
    pub lifetime: Option<u32>,
    /// `FlushRDNSS`: the final RA carries it with lifetime 0, default on.
    pub flush_on_shutdown: bool,
}

/// A DNSSL block (RFC 8106 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsslConfig {
    /// The search domains.
    pub domains: Vec<String>,
    /// `AdvDNSSLLifetime`; `None` means 2 × MaxRtrAdvInterval.
    pub lifetime: Option<u32>,
    /// `FlushDNSSL`, default on.
    pub flush_on_shutdown: bool,
}

/// One interface block of radvd.conf: everything an interface's RAs carry and when they are sent.
#[derive(Debug, Clone, PartialEq)]
pub struct RaIfaceConfig {
    /// The interface name.
    pub ifname: String,
    /// `AdvSendAdvert`: send RAs and answer RSs at all.
    pub send_advert: bool,
    /// `MaxRtrAdvInterval`, 4..=1800 s, default 600 s.
    pub max_interval: Duration,
    /// `MinRtrAdvInterval`; `None` means the default of [`RaIfaceConfig::effective_min_interval`].
    pub min_interval: Option<Duration>,
    /// `MinDelayBetweenRAs`, default [`MIN_DELAY_BETWEEN_RAS`].
    pub min_delay_between_ras: Duration,
    /// `AdvManagedFlag` (M).
    pub managed: bool,
    /// `AdvOtherConfigFlag` (O).
    pub other_config: bool,
    /// `AdvHomeAgentFlag` (H, RFC 6275 §7.1).
    pub home_agent: bool,
    /// `AdvLinkMTU`; 0 = no MTU option.
    pub link_mtu: u32,
    /// `AdvReachableTime` in ms; 0 = unspecified.
    pub reachable_time: u32,
    /// `AdvRetransTimer` in ms; 0 = unspecified.
    pub retrans_timer: u32,
    /// `AdvCurHopLimit`, default 64.
    pub cur_hop_limit: u8,
    /// `AdvDefaultLifetime` in s; `None` means 3 × MaxRtrAdvInterval (RFC 4861 §6.2.1), at most 9000.
    pub default_lifetime: Option<u16>,
    /// `AdvDefaultPreference` (RFC 4191 §2.2), default medium.
    pub default_preference: RouterPreference,
    /// `AdvSourceLLAddress`: include the SLLA option, default on.
    pub source_ll_address: bool,
    /// `UnicastOnly`: never send periodic multicast RAs, only answer RSs.
    pub unicast_only: bool,
    /// `AdvRASolicitedUnicast` (RFC 7772 §5.1): answer an RS carrying an SLLA with a unicast RA, default on.
    pub solicited_unicast: bool,
    /// Prefixes, in file order.
    pub prefixes: Vec<PrefixConfig>,
    /// Routes, in file order.
    pub routes: Vec<RouteConfig>,
    /// RDNSS blocks, in file order.
    pub rdnss: Vec<RdnssConfig>,
    /// DNSSL blocks, in file order.
    pub dnssl: Vec<DnsslConfig>,
}

impl RaIfaceConfig {
    /// An interface with radvd's defaults and `AdvSendAdvert on`.
    pub fn new(ifname: impl Into<String>) -> RaIfaceConfig {
        RaIfaceConfig {
            ifname: ifname.into(),
            send_advert: true,
            max_interval: Duration::from_secs(600),
            min_interval: None,
            min_delay_between_ras: MIN_DELAY_BETWEEN_RAS,
            managed: false,
            other_config: false,
            home_agent: false,
            link_mtu: 0,
            reachable_time: 0,
            retrans_timer: 0,
            cur_hop_limit: 64,
            default_lifetime: None,
            default_preference: RouterPreference::Medium,
            source_ll_address: true,
            unicast_only: false,
            solicited_unicast: true,
            prefixes: Vec::new(),
            routes: Vec::new(),
            rdnss: Vec::new(),
            dnssl: Vec::new(),
        }
    }

    /// The effective MinRtrAdvInterval: radvd's `DFLT_MinRtrAdvInterval` = 0.33 × Max when Max ≥ 9 s, else
    /// 0.75 × Max (RFC 4861 §6.2.1 says 0.33 × Max; radvd raises it for short Max so Min stays ≥ 3 s).
    pub fn effective_min_interval(&self) -> Duration {
        self.min_interval.unwrap_or_else(|| {
            if self.max_interval >= Duration::from_secs(9) {
                self.max_interval.mul_f64(0.33)
            } else {
                self.max_interval.mul_f64(0.75)
            }
        })
    }

    /// The effective AdvDefaultLifetime: 3 × MaxRtrAdvInterval clamped to 1..=9000 s (RFC 4861 §6.2.1).
    pub fn effective_default_lifetime(&self) -> u16 {
        self.default_lifetime.unwrap_or_else(|| {
            let s = (self.max_interval.as_secs_f64() * 3.0).ceil();
            s.clamp(1.0, 9000.0) as u16
        })
    }

    /// 3 × MaxRtrAdvInterval in seconds: radvd's default route lifetime.
    pub(crate) fn three_max(&self) -> u32 {
        (self.max_interval.as_secs_f64() * 3.0).ceil() as u32
    }

    /// 2 × MaxRtrAdvInterval in seconds: radvd's default RDNSS/DNSSL lifetime.
    pub(crate) fn two_max(&self) -> u32 {
        (self.max_interval.as_secs_f64() * 2.0).ceil() as u32
    }

    /// The checks radvd's `check_iface` makes (RFC 4861 §6.2.1 ranges), as messages; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let (min, max) = (self.effective_min_interval(), self.max_interval);
        if max < Duration::from_secs(4) || max > Duration::from_secs(1800) {
            out.push(format!(
                "MaxRtrAdvInterval must be between 4 and 1800 seconds, is {}",
                max.as_secs_f64()
            ));
        }
        if min < Duration::from_secs(3) || min > max.mul_f64(0.75) {
            out.push(format!(
                "MinRtrAdvInterval must be between 3 and {} (0.75 * MaxRtrAdvInterval) seconds, is {}",
                max.mul_f64(0.75).as_secs_f64(),
                min.as_secs_f64()
            ));
        }
        if let Some(l) = self.default_lifetime {
            if l != 0 && (Duration::from_secs(u64::from(l)) < max || l > 9000) {
                out.push(format!(
                    "AdvDefaultLifetime must be 0 or between MaxRtrAdvInterval and 9000 seconds, is {l}"
                ));
            }
        }
        if self.reachable_time > 3_600_000 {
            out.push(format!(
                "AdvReachableTime must be at most 3600000 ms, is {}",
                self.reachable_time
            ));
        }
        if self.link_mtu != 0 && self.link_mtu < 1280 {
            out.push(format!("AdvLinkMTU must be 0 or at least 1280, is {}", self.link_mtu));
        }
        for p in &self.prefixes {
            if p.preferred_lifetime > p.valid_lifetime {
                out.push(format!(
                    "AdvValidLifetime must be greater than AdvPreferredLifetime for prefix {}/{}",
                    p.prefix, p.len
                ));
            }
            if p.len > 128 {
                out.push(format!("invalid prefix length {} for {}", p.len, p.prefix));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_rfc_4861_6_2_1() {
        let c = RaIfaceConfig::new("eth0");
        assert_eq!(c.max_interval, Duration::from_secs(600));
        assert_eq!(c.effective_min_interval(), Duration::from_secs(198));
        assert_eq!(c.effective_default_lifetime(), 1800);
        assert_eq!(c.cur_hop_limit, 64);
        assert!(c.problems().is_empty());
    }

    #[test]
    fn short_max_uses_radvd_three_quarters_min() {
        let mut c = RaIfaceConfig::new("eth0");
        c.max_interval = Duration::from_secs(4);
        assert_eq!(c.effective_min_interval(), Duration::from_secs(3));
        assert!(c.problems().is_empty(), "{:?}", c.problems());
    }

    #[test]
    fn out_of_range_values_are_problems() {
        let mut c = RaIfaceConfig::new("eth0");
        c.max_interval = Duration::from_secs(2000);
        c.link_mtu = 1000;
        let mut p = PrefixConfig::new(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 64);
        p.preferred_lifetime = p.valid_lifetime + 1;
        c.prefixes.push(p);
        assert_eq!(c.problems().len(), 3, "{:?}", c.problems());
    }
}
