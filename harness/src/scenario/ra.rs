//! Inline router-advertisement configuration: what radvd would be told, per interface.
//!
//! Field names follow radvd.conf(5) in snake_case; defaults are radvd's, which follow RFC 4861 §6.2.1. Every field
//! is optional so the same block serves as a full configuration on a router interface and as overrides on a
//! timeline `send-ra` or an attacker's `rogue-ra`.

use super::located::Located;
use super::values::{Cidr, HumanDuration, IpLit, Lifetime};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default router preference / route preference (RFC 4191 §2.1: 01 high, 00 medium, 11 low).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Preference {
    /// 11.
    Low,
    /// 00 (the default).
    #[default]
    Medium,
    /// 01.
    High,
}

/// How a timeline `send-ra` breaks its RA on purpose: each value fails one RFC 4861 §6.1.2 validity check (IPv6
/// Ready v6LC.2.2.12, linux-ipv6.md B1–B6, H1) or RFC 6980 §5, so a receiver must ignore the RA entirely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Malformed {
    /// IP Hop Limit 64 instead of 255 (B3).
    HopLimit,
    /// Sent from the interface's first global address instead of its link-local one (B5).
    GlobalSource,
    /// ICMP Code 1 instead of 0 (B4).
    IcmpCode,
    /// A wrong ICMPv6 checksum (B1).
    BadChecksum,
    /// The first option's length is 0 (B6).
    ZeroLengthOption,
    /// ICMP length 14, below the 16 octets of an RA header (B6).
    Truncated,
    /// Inside an atomic Fragment header, RFC 6980 §5 (B2).
    Fragment,
}

/// A Prefix Information option (RFC 4861 §4.6.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RaPrefix {
    /// The advertised prefix (`2601:646:100:69f1::/64`).
    pub prefix: Located<Cidr>,
    /// L flag, AdvOnLink (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_link: Option<bool>,
    /// A flag, AdvAutonomous: hosts form SLAAC addresses from it (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autonomous: Option<bool>,
    /// AdvValidLifetime (default 1d).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_lifetime: Option<Located<Lifetime>>,
    /// AdvPreferredLifetime (default 4h); must not exceed the valid lifetime (RFC 4862 §5.5.3 c).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_lifetime: Option<Located<Lifetime>>,
}

/// A Route Information option (RFC 4191 §2.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RaRoute {
    /// The route's prefix.
    pub prefix: Located<Cidr>,
    /// AdvRoutePreference.
    #[serde(default)]
    pub preference: Preference,
    /// AdvRouteLifetime (default 3 × max_interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<Lifetime>,
}

/// A Recursive DNS Server option (RFC 8106 §5.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RaRdnss {
    /// DNS server addresses.
    pub servers: Vec<Located<IpLit>>,
    /// AdvRDNSSLifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<Lifetime>,
}

/// A DNS Search List option (RFC 8106 §5.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RaDnssl {
    /// Search domains.
    pub domains: Vec<String>,
    /// AdvDNSSLLifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<Lifetime>,
}

/// Router advertisement parameters of one interface.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RaConfig {
    /// MinRtrAdvInterval (default 0.33 × max; at least 3s and at most 0.75 × max, RFC 4861 §6.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_interval: Option<Located<HumanDuration>>,
    /// MaxRtrAdvInterval (default 600s; 4s–1800s, RFC 4861 §6.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_interval: Option<Located<HumanDuration>>,
    /// AdvDefaultLifetime: 0 means "not a default router" (default 3 × max; at most 9000s, RFC 4861 §6.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_lifetime: Option<Located<HumanDuration>>,
    /// AdvDefaultPreference (RFC 4191 §2.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<Preference>,
    /// AdvCurHopLimit (default 64; 0 = unspecified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cur_hop_limit: Option<u8>,
    /// AdvManagedFlag (M).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<bool>,
    /// AdvOtherConfigFlag (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_config: Option<bool>,
    /// AdvReachableTime (default 0 = unspecified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reachable_time: Option<HumanDuration>,
    /// AdvRetransTimer (default 0 = unspecified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrans_timer: Option<HumanDuration>,
    /// AdvLinkMTU (MTU option, RFC 4861 §4.6.4); absent = no option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<Located<u32>>,
    /// Prefix Information options.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<RaPrefix>,
    /// Route Information options.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RaRoute>,
    /// RDNSS options.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rdnss: Vec<RaRdnss>,
    /// DNSSL options.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dnssl: Vec<RaDnssl>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_empty_block_is_all_defaults() -> Result<(), serde_saphyr::Error> {
        let ra: RaConfig = serde_saphyr::from_str("{}")?;
        assert_eq!(ra, RaConfig::default());
        Ok(())
    }

    #[test]
    fn full_block_reads_every_option() -> Result<(), serde_saphyr::Error> {
        let text = "min_interval: 3s\nmax_interval: 10s\ndefault_lifetime: 0s\npreference: low\ncur_hop_limit: 255\nmanaged: true\nother_config: true\nreachable_time: 30s\nretrans_timer: 1s\nmtu: 1280\nprefixes:\n  - {prefix: \"2001:db8::/64\", on_link: false, autonomous: true, valid_lifetime: infinity, preferred_lifetime: 0s}\nroutes:\n  - {prefix: \"::/0\", preference: high}\nrdnss:\n  - {servers: [\"2001:db8::53\"], lifetime: 10m}\ndnssl:\n  - {domains: [example.net]}\n";
        let ra: RaConfig = serde_saphyr::from_str(text)?;
        assert_eq!(ra.default_lifetime.map(|d| d.value.0), Some(Duration::ZERO));
        assert_eq!(
            (ra.preference, ra.cur_hop_limit, ra.managed),
            (Some(Preference::Low), Some(255), Some(true))
        );
        assert_eq!(ra.prefixes[0].on_link, Some(false));
        assert_eq!(ra.routes[0].preference, Preference::High);
        assert_eq!(ra.rdnss[0].servers[0].value.to_string(), "2001:db8::53");
        assert_eq!(ra.dnssl[0].domains, ["example.net"]);
        Ok(())
    }

    #[test]
    fn unknown_options_are_rejected() {
        assert!(serde_saphyr::from_str::<RaConfig>("AdvDefaultLifetime: 0s\n").is_err());
        assert!(serde_saphyr::from_str::<RaConfig>("prefixes: [{prefix: \"2001:db8::/64\", L: true}]\n").is_err());
        assert!(serde_saphyr::from_str::<RaConfig>("preference: highest\n").is_err());
    }
}
