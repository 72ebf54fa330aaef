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
