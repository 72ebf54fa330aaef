//! One route as Linux keeps it (struct fib6_info / fib_alias+fib_info): type, prefix, next hop, metric, RFC 4191
//! preference, protocol, scope, preferred source, expiry, metrics and the RTF_* flags the kernel tracks.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::id::IfIndex;
use crate::time::Instant;

/// Well-known table ids (include/uapi/linux/rtnetlink.h: RT_TABLE_*).
pub mod table {
    /// `local` (255): local, broadcast and multicast routes.
    pub const LOCAL: u32 = 255;
    /// `main` (254).
    pub const MAIN: u32 = 254;
    /// `default` (253).
    pub const DEFAULT: u32 = 253;
}

/// Route type (rtm_type, RTN_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RouteType {
    /// A gateway or direct route.
    Unicast,
    /// A local address: delivered to this host.
    Local,
    /// IPv4 broadcast address.
    Broadcast,
    /// Multicast delivery (`multicast ff00::/8`).
    Multicast,
    /// Anycast (IPv6 subnet-router anycast on routers).
    Anycast,
    /// Fails with EHOSTUNREACH ("No route to host").
    Unreachable,
    /// Silently discards; `ip route get` answers EINVAL.
    Blackhole,
    /// Fails with EACCES ("Permission denied").
    Prohibit,
    /// Lookup continues with the next policy rule (EAGAIN inside the kernel).
    Throw,
}

impl RouteType {
    /// The keyword iproute2 prints before the prefix; `None` for unicast (rtnl_rtntype_n2a).
    pub fn keyword(self) -> Option<&'static str> {
        match self {
            RouteType::Unicast => None,
            RouteType::Local => Some("local"),
            RouteType::Broadcast => Some("broadcast"),
            RouteType::Multicast => Some("multicast"),
            RouteType::Anycast => Some("anycast"),
            RouteType::Unreachable => Some("unreachable"),
            RouteType::Blackhole => Some("blackhole"),
            RouteType::Prohibit => Some("prohibit"),
            RouteType::Throw => Some("throw"),
        }
    }

    /// Reject types have no next hop; lookups ending on them fail (fib_props[], ip6_rt_type_to_error).
    pub fn is_reject(self) -> bool {
        matches!(
            self,
            RouteType::Unreachable | RouteType::Blackhole | RouteType::Prohibit | RouteType::Throw
        )
    }
}

/// RFC 4191 §2.1 router preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Pref {
    /// 11.
    Low,
    /// 00 (and the reserved 10, B14).
    #[default]
    Medium,
    /// 01.
    High,
}

impl Pref {
    /// IPV6_DECODE_PREF: low=1, medium=2, high=3; used in the B15 score (route.c:rt6_score_route).
    pub fn decode(self) -> i32 {
        match self {
            Pref::Low => 1,
            Pref::Medium => 2,
            Pref::High => 3,
        }
    }

    /// From the two RA bits; the reserved value 10 means medium (linux-ipv6.md B14).
    pub fn from_bits(bits: u8) -> Pref {
        match bits & 0b11 {
            0b01 => Pref::High,
            0b11 => Pref::Low,
            _ => Pref::Medium,
        }
    }

    /// `low` / `medium` / `high`.
    pub fn name(self) -> &'static str {
        match self {
            Pref::Low => "low",
            Pref::Medium => "medium",
            Pref::High => "high",
        }
    }
}

/// Who installed a route (rtm_protocol, RTPROT_*; names from /etc/iproute2/rt_protos).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// 0: unspecified.
    Unspec,
    /// 1: ICMP redirect.
    Redirect,
    /// 2: the kernel (address routes, PIO on-link routes).
    Kernel,
    /// 3: `ip route add` without `proto` (iproute2 does not print it).
    Boot,
    /// 4: administrator.
    Static,
    /// 9: router advertisement.
    Ra,
    /// 16: DHCP client.
    Dhcp,
    /// Any other number.
    Other(u8),
}

impl Proto {
    /// The protocol number.
    pub fn number(self) -> u8 {
        match self {
            Proto::Unspec => 0,
            Proto::Redirect => 1,
            Proto::Kernel => 2,
            Proto::Boot => 3,
            Proto::Static => 4,
            Proto::Ra => 9,
            Proto::Dhcp => 16,
            Proto::Other(n) => n,
        }
    }

    /// Parses a name or number as `ip route add … proto X` does.
    pub fn parse(s: &str) -> Option<Proto> {
        Some(match s {
            "unspec" => Proto::Unspec,
            "redirect" => Proto::Redirect,
            "kernel" => Proto::Kernel,
            "boot" => Proto::Boot,
            "static" => Proto::Static,
            "ra" => Proto::Ra,
            "dhcp" => Proto::Dhcp,
            n => Proto::from_number(n.parse().ok()?),
        })
    }

    /// The protocol with this number.
    pub fn from_number(n: u8) -> Proto {
        match n {
            0 => Proto::Unspec,
            1 => Proto::Redirect,
            2 => Proto::Kernel,
            3 => Proto::Boot,
            4 => Proto::Static,
            9 => Proto::Ra,
            16 => Proto::Dhcp,
            n => Proto::Other(n),
        }
    }
}

impl fmt::Display for Proto {
    /// rtnl_rtprot_n2a: a name where iproute2 has one, else the number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proto::Unspec => f.write_str("unspec"),
            Proto::Redirect => f.write_str("redirect"),
            Proto::Kernel => f.write_str("kernel"),
            Proto::Boot => f.write_str("boot"),
            Proto::Static => f.write_str("static"),
            Proto::Ra => f.write_str("ra"),
            Proto::Dhcp => f.write_str("dhcp"),
            Proto::Other(n) => write!(f, "{n}"),
        }
    }
}

/// Route scope (rtm_scope, RT_SCOPE_*); larger is narrower.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RouteScope {
    /// 0: anywhere (gateway routes).
    Universe,
    /// 200.
    Site,
    /// 253: on-link (direct and broadcast routes).
    Link,
    /// 254: this host (local routes).
    Host,
    /// 255.
    Nowhere,
}

impl RouteScope {
    /// iproute2's scope name (rtnl_rtscope_n2a).
    pub fn name(self) -> &'static str {
        match self {
            RouteScope::Universe => "global",
            RouteScope::Site => "site",
            RouteScope::Link => "link",
            RouteScope::Host => "host",
            RouteScope::Nowhere => "nowhere",
        }
    }
}

/// The RTF_* flags Linux keeps on IPv6 routes (include/uapi/linux/ipv6_route.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RouteFlags(pub u32);

impl RouteFlags {
    /// RTF_DEFAULT: default router learned from an RA (B10).
    pub const DEFAULT: u32 = 0x0001_0000;
    /// RTF_ADDRCONF: installed by address autoconfiguration / RA processing.
    pub const ADDRCONF: u32 = 0x0004_0000;
    /// RTF_PREFIX_RT: on-link route from a PIO (B25).
    pub const PREFIX_RT: u32 = 0x0008_0000;
    /// RTF_ROUTEINFO: from an RA Route Information Option (B32).
    pub const ROUTEINFO: u32 = 0x0080_0000;
    /// RTF_CACHE: an exception (redirect / PMTU) clone (D-series).
    pub const CACHE: u32 = 0x0100_0000;
    /// RTF_DYNAMIC: created by an ICMP redirect.
    pub const DYNAMIC: u32 = 0x0010;
    /// RTF_GATEWAY.
    pub const GATEWAY: u32 = 0x0002;

    /// Whether all bits of `bits` are set.
    pub fn has(self, bits: u32) -> bool {
        self.0 & bits == bits
    }

    /// Whether any bit of `bits` is set.
    pub fn any(self, bits: u32) -> bool {
        self.0 & bits != 0
    }
}

/// Route metrics (RTAX_*) the simulator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RouteMetrics {
    /// RTAX_MTU.
    pub mtu: Option<u32>,
    /// RTAX_HOPLIMIT.
    pub hoplimit: Option<u8>,
}

/// One route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Table id.
    pub table: u32,
    /// Type.
    pub kind: RouteType,
    /// Destination prefix (host bits zero).
    pub dst: IpNet,
    /// Next hop; `None` is on-link.
    pub gateway: Option<IpAddr>,
    /// Output device; reject routes use `lo`.
    pub dev: IfIndex,
    /// Priority (`metric`); IPv4 routes default to 0, IPv6 to 1024.
    pub metric: u32,
    /// RFC 4191 preference (IPv6).
    pub pref: Pref,
    /// Who installed it.
    pub proto: Proto,
    /// Scope (IPv4; IPv6 derives it).
    pub scope: RouteScope,
    /// Preferred source (`src X`, fib6_prefsrc / fib_prefsrc).
    pub prefsrc: Option<IpAddr>,
    /// Expiry; `None` is permanent.
    pub expires: Option<Instant>,
    /// Metrics.
    pub metrics: RouteMetrics,
    /// RTF_* flags.
    pub flags: RouteFlags,
    /// Insertion sequence: ties are broken by list order and a re-added route goes last (B15b).
    pub(crate) seq: u64,
    /// For an exception (RTF_CACHE): the FIB route it hangs off (`rt->from`, linux-ipv6.md D9/D13).
    pub parent: Option<RouteKey>,
}

/// What identifies a FIB route as an exception's parent: prefix, next hop, device and metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteKey {
    /// Prefix.
    pub dst: IpNet,
    /// Next hop.
    pub gateway: Option<IpAddr>,
    /// Device.
    pub dev: IfIndex,
    /// Metric.
    pub metric: u32,
}

impl Route {
    /// A unicast route in `main` with the family's default metric (IPv4 0, IPv6 1024: ip6_route_add
    /// IP6_RT_PRIO_USER) and proto boot, as plain `ip route add` creates.
    pub fn new(dst: IpNet, gateway: Option<IpAddr>, dev: IfIndex) -> Route {
        let v6 = matches!(dst, IpNet::V6(_));
        Route {
            table: table::MAIN,
            kind: RouteType::Unicast,
            dst: dst.trunc(),
            gateway,
            dev,
            metric: if v6 { 1024 } else { 0 },
            pref: Pref::Medium,
            proto: Proto::Boot,
            scope: if gateway.is_some() || v6 {
                RouteScope::Universe
            } else {
                RouteScope::Link
            },
            prefsrc: None,
            expires: None,
            metrics: RouteMetrics::default(),
            flags: RouteFlags(if gateway.is_some() { RouteFlags::GATEWAY } else { 0 }),
            seq: 0,
            parent: None,
        }
    }

    /// Builder: table.
    pub fn with_table(mut self, table: u32) -> Route {
        self.table = table;
        self
    }

    /// Builder: type. Reject, local and broadcast routes get the scope the kernel gives them.
    pub fn with_kind(mut self, kind: RouteType) -> Route {
        self.kind = kind;
        self.scope = match kind {
            RouteType::Local => RouteScope::Host,
            RouteType::Broadcast | RouteType::Multicast | RouteType::Anycast => RouteScope::Link,
            // iproute2 sets scope link only for direct unicast routes; reject types stay global (iproute_modify).
            k if k.is_reject() => RouteScope::Universe,
            _ => self.scope,
        };
        self
    }

    /// Builder: metric.
    pub fn with_metric(mut self, metric: u32) -> Route {
        self.metric = metric;
        self
    }

    /// Builder: protocol.
    pub fn with_proto(mut self, proto: Proto) -> Route {
        self.proto = proto;
        self
    }

    /// Builder: preference.
    pub fn with_pref(mut self, pref: Pref) -> Route {
        self.pref = pref;
        self
    }

    /// Builder: preferred source.
    pub fn with_prefsrc(mut self, src: IpAddr) -> Route {
        self.prefsrc = Some(src);
        self
    }

    /// Builder: expiry deadline.
    pub fn with_expires(mut self, at: Instant) -> Route {
        self.expires = Some(at);
        self
    }

    /// Builder: scope.
    pub fn with_scope(mut self, scope: RouteScope) -> Route {
        self.scope = scope;
        self
    }

    /// Builder: RTF flags (ORed in).
    pub fn with_flags(mut self, bits: u32) -> Route {
        self.flags.0 |= bits;
        self
    }

    /// Whether this is an IPv6 route.
    pub fn is_v6(&self) -> bool {
        matches!(self.dst, IpNet::V6(_))
    }

    /// Whether the prefix contains `addr` (families must agree).
    pub fn matches(&self, addr: IpAddr) -> bool {
        // Compare the top `len` bits directly: `IpNet::contains` builds masks on every call and showed up as the
        // largest item in the W1 profile.
        match (self.dst, addr) {
            (IpNet::V6(n), IpAddr::V6(a)) => {
                let len = u32::from(n.prefix_len());
                len == 0 || (u128::from(a) ^ u128::from(n.addr())).checked_shr(128 - len) == Some(0)
            }
            (IpNet::V4(n), IpAddr::V4(a)) => {
                let len = u32::from(n.prefix_len());
                len == 0 || (u32::from(a) ^ u32::from(n.addr())).checked_shr(32 - len) == Some(0)
            }
            _ => false,
        }
    }

    /// This route's identity as an exception parent.
    pub fn key(&self) -> RouteKey {
        RouteKey {
            dst: self.dst,
            gateway: self.gateway,
            dev: self.dev,
            metric: self.metric,
        }
    }

    /// RA-learned default route (RTF_DEFAULT or RTF_ADDRCONF at ::/0), as __rt6_purge_dflt_routers selects (A5).
    pub fn is_ra_default(&self) -> bool {
        self.dst.prefix_len() == 0 && self.flags.any(RouteFlags::DEFAULT | RouteFlags::ADDRCONF)
    }

    /// Same route identity for EEXIST / `del` (IPv6: prefix, metric and next hop; rt6_duplicate_nexthop). An
    /// exception is only ever the same as another exception of the same parent (they live in the parent's
    /// exception table, not in the FIB node).
    pub fn same_nexthop(&self, other: &Route) -> bool {
        self.gateway == other.gateway && self.dev == other.dev && self.kind == other.kind && self.parent == other.parent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pref_bits_b14_and_decode() {
        assert_eq!(Pref::from_bits(0b01), Pref::High);
        assert_eq!(Pref::from_bits(0b00), Pref::Medium);
        assert_eq!(Pref::from_bits(0b11), Pref::Low);
        assert_eq!(Pref::from_bits(0b10), Pref::Medium, "reserved is medium");
        assert!(Pref::High.decode() > Pref::Medium.decode() && Pref::Medium.decode() > Pref::Low.decode());
    }

    #[test]
    fn defaults_per_family() {
        let r6 = Route::new("2001:db8::/64".parse().unwrap(), None, IfIndex(2));
        assert_eq!((r6.metric, r6.proto, r6.table), (1024, Proto::Boot, table::MAIN));
        let r4 = Route::new("10.0.0.7/24".parse().unwrap(), None, IfIndex(2));
        assert_eq!(r4.dst.to_string(), "10.0.0.0/24");
        assert_eq!((r4.metric, r4.scope), (0, RouteScope::Link));
        assert_eq!(Proto::parse("ra"), Some(Proto::Ra));
        assert_eq!(Proto::parse("42").map(|p| p.to_string()), Some("42".into()));
        assert!(RouteType::Throw.is_reject() && !RouteType::Local.is_reject());
    }

    #[test]
    fn ra_default_detection() {
        let r = Route::new("::/0".parse().unwrap(), Some("fe80::1".parse().unwrap()), IfIndex(2))
            .with_flags(RouteFlags::DEFAULT | RouteFlags::ADDRCONF);
        assert!(r.is_ra_default());
        let s = Route::new("::/0".parse().unwrap(), Some("fe80::1".parse().unwrap()), IfIndex(2));
        assert!(!s.is_ra_default());
    }
}
