//! The sysctl value structs and their keys, with Linux's defaults (linux-ipv6.md A1–A28, B38).
//!
//! One table per struct lists field, key text, default and accepted range, so the key names and defaults stay in one
//! place. The packet path reads the fields; [`super::sysctl::Sysctls`] maps key text to them with the parser at the
//! end of this file.

use std::net::Ipv6Addr;

use super::sysctl::SysctlError;

/// Defines a struct of `i32` sysctl values with its key table.
macro_rules! conf_struct {
    (
        $(#[$sdoc:meta])* $name:ident { $($extra:ident : $extra_ty:ty = $extra_default:expr),* }
        $( $(#[$doc:meta])* $field:ident = $default:expr, [$min:expr, $max:expr];)*
    ) => {
        $(#[$sdoc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$doc])* pub $field: i32, )*
            $( #[doc = "Non-integer value; see the key table."] pub $extra: $extra_ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: $default, )* $( $extra: $extra_default, )* }
            }
        }

        impl $name {
            /// Every integer key of this struct, in kernel directory order.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The value of key `name`, if it is an integer key of this struct.
            pub fn field(&self, name: &str) -> Option<i32> {
                match name {
                    $( stringify!($field) => Some(self.$field), )*
                    _ => None,
                }
            }

            /// Whether `v` is accepted for `name` (the kernel's proc_dointvec_minmax bounds; EINVAL otherwise).
            pub fn in_range(name: &str, v: i32) -> bool {
                match name {
                    $( stringify!($field) => ($min..=$max).contains(&v), )*
                    _ => false,
                }
            }

            /// Stores `v` for `name`; `None` for an unknown key or an out-of-range value.
            pub fn set_field(&mut self, name: &str, v: i32) -> Option<()> {
                if !Self::in_range(name, v) {
                    return None;
                }
                match name {
                    $( stringify!($field) => self.$field = v, )*
                    _ => return None,
                }
                Some(())
            }
        }
    };
}

const ANY: i32 = i32::MIN;
const MAX: i32 = i32::MAX;

conf_struct! {
    /// `net.ipv6.conf.<scope>.*` (struct ipv6_devconf). Defaults from a fresh 6.18 netns (linux-ipv6.md A28).
    Ipv6DevConf { stable_secret: Option<Ipv6Addr> = None }
    /// Host/router behaviour (A4). Forwarding of packets is gated by `all.forwarding`.
    forwarding = 0, [ANY, MAX];
    /// Hop limit for outgoing packets; set by RA CurHopLimit (A14).
    hop_limit = 64, [1, 255];
    /// IPv6 MTU of the interface (`mtu6`); set by the RA MTU option (A15). Loopback 65536.
    mtu = 1280, [1280, MAX];
    /// Accept RAs: 0, 1 (when not forwarding), 2 (always) (A6).
    accept_ra = 1, [ANY, MAX];
    /// Learn default routers from RAs (A8).
    accept_ra_defrtr = 1, [ANY, MAX];
    /// Metric of RA default routes (A9).
    ra_defrtr_metric = 1024, [1, MAX];
    /// Process PIOs (A10).
    accept_ra_pinfo = 1, [ANY, MAX];
    /// Use the RA router preference and RIOs (A12).
    accept_ra_rtr_pref = 1, [ANY, MAX];
    /// Longest RIO prefix accepted (A13).
    accept_ra_rt_info_max_plen = 0, [ANY, MAX];
    /// Shortest RIO prefix accepted (A13).
    accept_ra_rt_info_min_plen = 0, [ANY, MAX];
    /// Minimum RA CurHopLimit applied (A14).
    accept_ra_min_hop_limit = 1, [ANY, MAX];
    /// Apply the RA MTU option (A15).
    accept_ra_mtu = 1, [ANY, MAX];
    /// Ignore RA lifetimes below this (A16).
    accept_ra_min_lft = 0, [ANY, MAX];
    /// Accept default routers/RIOs from our own addresses (A17).
    accept_ra_from_local = 0, [ANY, MAX];
    /// Disable the two-hour rule (A18).
    ra_honor_pio_life = 0, [0, 1];
    /// Honour the PIO P flag (A19).
    ra_honor_pio_pflag = 0, [0, 1];
    /// Form SLAAC addresses (A11).
    autoconf = 1, [ANY, MAX];
    /// Accept ICMPv6 redirects while not forwarding (A20).
    accept_redirects = 1, [ANY, MAX];
    /// Routing header acceptance, combined as min(all, IF) (A21).
    accept_source_route = 0, [ANY, MAX];
    /// 0 EUI-64, 1 none, 2 stable_secret, 3 random (A22).
    addr_gen_mode = 0, [0, 3];
    /// RFC 8981 temporary addresses; −1 on lo (A23).
    use_tempaddr = 0, [ANY, MAX];
    /// Temporary address valid lifetime, seconds (A23).
    temp_valid_lft = 604800, [0, MAX];
    /// Temporary address preferred lifetime, seconds (A23).
    temp_prefered_lft = 86400, [0, MAX];
    /// Temporary address desync factor, seconds (A23).
    max_desync_factor = 600, [0, MAX];
    /// Regeneration attempts for temporary addresses.
    regen_max_retry = 3, [0, MAX];
    /// DAD probes (A24).
    dad_transmits = 1, [ANY, MAX];
    /// DAD: 0 off, 1 on, 2 on and disable IPv6 on MAC-based LL failure; combined max(all, IF) (A25).
    accept_dad = 1, [ANY, MAX];
    /// 1 deletes all IPv6 addresses and routes of the interface (A26).
    disable_ipv6 = 0, [ANY, MAX];
    /// RS count; −1 unlimited (A27).
    router_solicitations = -1, [-1, MAX];
    /// Seconds between RSs (A27).
    router_solicitation_interval = 4, [0, MAX];
    /// Delay before the first RS, seconds (A27).
    router_solicitation_delay = 1, [0, MAX];
    /// RS backoff cap, seconds (A27).
    router_solicitation_max_interval = 3600, [0, MAX];
    /// Probe interval for unreachable routers, seconds (A28, B15e).
    router_probe_interval = 60, [0, MAX];
    /// Maximum number of addresses per interface (A28, B28).
    max_addresses = 16, [0, MAX];
    /// Optimistic DAD (RFC 4429), combined by OR (A3).
    optimistic_dad = 0, [ANY, MAX];
    /// Use optimistic addresses as source, combined by OR (A3).
    use_optimistic = 0, [ANY, MAX];
    /// Enhanced DAD nonce (RFC 7527) (A3).
    enhanced_dad = 1, [ANY, MAX];
    /// Drop fragmented ND (RFC 6980) (B2).
    suppress_frag_ndisc = 1, [ANY, MAX];
    /// Keep addresses on link down; `all` wins if non-zero (A3).
    keep_addr_on_down = 0, [ANY, MAX];
    /// Source candidates only from the outgoing interface (E2).
    use_oif_addrs_only = 0, [ANY, MAX];
    /// Drop unsolicited NAs (B43).
    drop_unsolicited_na = 0, [0, 1];
    /// RFC 9131 untracked NA handling (B44).
    accept_untracked_na = 0, [0, 2];
    /// Send unsolicited NAs on link/address changes (A3).
    ndisc_notify = 0, [ANY, MAX];
    /// Flush neighbours on carrier loss; combined by AND (A3).
    ndisc_evict_nocarrier = 1, [0, 1];
    /// Answer NS for proxied addresses while forwarding (A3, B40).
    proxy_ndp = 0, [ANY, MAX];
    /// Always include the TLLA in NAs (B42).
    force_tllao = 0, [ANY, MAX];
    /// 6.18 per-interface router mode (A4).
    force_forwarding = 0, [0, 1];
    /// Stable-privacy regeneration attempts (A28).
    idgen_retries = 3, [ANY, MAX];
    /// Stable-privacy regeneration delay, seconds (A28).
    idgen_delay = 1, [ANY, MAX];
    /// Multicast Listener Discovery version to force (0 = auto).
    force_mld_version = 0, [ANY, MAX];
    /// Disable policy checks (IPsec).
    disable_policy = 0, [ANY, MAX];
    /// Ignore routes whose link is down.
    ignore_routes_with_linkdown = 0, [ANY, MAX];
    /// Segment routing header processing (A21).
    seg6_enabled = 0, [ANY, MAX];
    /// RPL source routing header processing (A21).
    rpl_seg_enabled = 0, [ANY, MAX];
}

conf_struct! {
    /// `net.ipv4.conf.<scope>.*` (struct ipv4_devconf), kernel defaults (devinet.c:ipv4_devconf_dflt).
    Ipv4DevConf {}
    /// Forwarding; `all` (= net.ipv4.ip_forward) is pushed down (devinet.c:inet_forward_change).
    forwarding = 0, [ANY, MAX];
    /// Accept ICMP redirects (IN_DEV_RX_REDIRECTS).
    accept_redirects = 1, [ANY, MAX];
    /// Accept redirects only to gateways in the default list (IN_DEV_SEC_REDIRECTS).
    secure_redirects = 1, [ANY, MAX];
    /// Send ICMP redirects (IN_DEV_TX_REDIRECTS).
    send_redirects = 1, [ANY, MAX];
    /// Reverse path filter: 0 off, 1 strict, 2 loose; combined max(all, IF) (IN_DEV_RPFILTER).
    rp_filter = 0, [0, 2];
    /// ARP reply mode (IN_DEV_ARP_IGNORE), combined max.
    arp_ignore = 0, [0, 8];
    /// ARP source address choice (IN_DEV_ARP_ANNOUNCE), combined max.
    arp_announce = 0, [0, 2];
    /// Reply to ARP only on the interface that would route the reply (IN_DEV_ARPFILTER).
    arp_filter = 0, [ANY, MAX];
    /// Create neighbour entries from gratuitous ARP (IN_DEV_ARP_ACCEPT).
    arp_accept = 0, [0, 2];
    /// Send gratuitous ARP on address/link changes (IN_DEV_ARP_NOTIFY).
    arp_notify = 0, [ANY, MAX];
    /// Proxy ARP (IN_DEV_PROXY_ARP).
    proxy_arp = 0, [ANY, MAX];
    /// Accept packets with a local source address (IN_DEV_ACCEPT_LOCAL).
    accept_local = 0, [ANY, MAX];
    /// Route 127/8 on non-loopback interfaces (IN_DEV_ROUTE_LOCALNET).
    route_localnet = 0, [ANY, MAX];
    /// Accept source-routed packets (IN_DEV_SOURCE_ROUTE), combined by AND.
    accept_source_route = 1, [ANY, MAX];
    /// Log martians (IN_DEV_LOG_MARTIANS).
    log_martians = 0, [ANY, MAX];
    /// Shared media for redirects (IN_DEV_SHARED_MEDIA).
    shared_media = 1, [ANY, MAX];
}

conf_struct! {
    /// `net.ipv{4,6}.neigh.<scope>.*` neighbour parameters (struct neigh_parms; nd_tbl/arp_tbl defaults, B38).
    NeighParams {}
    /// Base reachable time, milliseconds (randomised 0.5–1.5×).
    base_reachable_time_ms = 30000, [0, MAX];
    /// Retransmit time for NS/ARP probes, milliseconds.
    retrans_time_ms = 1000, [0, MAX];
    /// DELAY state duration, seconds.
    delay_first_probe_time = 5, [0, MAX];
    /// Unicast probes before FAILED.
    ucast_solicit = 3, [0, MAX];
    /// Multicast probes before FAILED.
    mcast_solicit = 3, [0, MAX];
    /// Multicast re-probes from PROBE.
    mcast_resolicit = 0, [0, MAX];
    /// Probes via the userspace daemon.
    app_solicit = 0, [0, MAX];
    /// Stale entry garbage-collection age, seconds.
    gc_stale_time = 60, [0, MAX];
    /// Bytes queued per unresolved entry.
    unres_qlen_bytes = 212992, [0, MAX];
    /// Minimum time between lladdr overrides, centiseconds-ish (locktime).
    locktime = 0, [0, MAX];
}

/// Namespace-wide sysctls outside `conf` and `neigh`, with the kernel's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalConf {
    /// `net.ipv6.bindv6only` (0): AF_INET6 sockets also accept IPv4.
    pub bindv6only: i32,
    /// `net.ipv6.route.gc_timeout`, seconds (A28: 60).
    pub route6_gc_timeout: i32,
    /// `net.ipv6.route.gc_interval`, seconds (A28: 30).
    pub route6_gc_interval: i32,
    /// `net.ipv4.ip_default_ttl` (64): TTL of locally generated IPv4 packets.
    pub ip_default_ttl: i32,
    /// `net.ipv4.tcp_syncookies` (1).
    pub tcp_syncookies: i32,
    /// `net.ipv4.icmp_echo_ignore_all` (0).
    pub icmp_echo_ignore_all: i32,
    /// `net.ipv4.icmp_echo_ignore_broadcasts` (1).
    pub icmp_echo_ignore_broadcasts: i32,
    /// `net.ipv4.icmp_ignore_bogus_error_responses` (1).
    pub icmp_ignore_bogus_error_responses: i32,
    /// `net.ipv6.icmp.echo_ignore_all` (0).
    pub icmp6_echo_ignore_all: i32,
    /// `net.ipv6.icmp.echo_ignore_multicast` (0).
    pub icmp6_echo_ignore_multicast: i32,
}

impl Default for GlobalConf {
    fn default() -> Self {
        GlobalConf {
            bindv6only: 0,
            route6_gc_timeout: 60,
            route6_gc_interval: 30,
            ip_default_ttl: 64,
            tcp_syncookies: 1,
            icmp_echo_ignore_all: 0,
            icmp_echo_ignore_broadcasts: 1,
            icmp_ignore_bogus_error_responses: 1,
            icmp6_echo_ignore_all: 0,
            icmp6_echo_ignore_multicast: 0,
        }
    }
}

/// Whether two keys are equal when `/` and `.` are the same separator (`sysctl` accepts both forms).
pub(crate) fn key_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .all(|(x, y)| x == y || (x == b'/' && y == b'.') || (x == b'.' && y == b'/'))
}

impl GlobalConf {
    /// The value slot and accepted range of a key (dotted or slashed).
    pub(crate) fn slot(&mut self, key: &str) -> Option<(&mut i32, i32, i32)> {
        let table: [(&str, i32, i32); 10] = [
            ("net.ipv6.bindv6only", 0, 1),
            ("net.ipv6.route.gc_timeout", 0, MAX),
            ("net.ipv6.route.gc_interval", 0, MAX),
            ("net.ipv4.ip_default_ttl", 1, 255),
            ("net.ipv4.tcp_syncookies", 0, 2),
            ("net.ipv4.icmp_echo_ignore_all", 0, 1),
            ("net.ipv4.icmp_echo_ignore_broadcasts", 0, 1),
            ("net.ipv4.icmp_ignore_bogus_error_responses", 0, 1),
            ("net.ipv6.icmp.echo_ignore_all", 0, 1),
            ("net.ipv6.icmp.echo_ignore_multicast", 0, 1),
        ];
        let i = table.iter().position(|(k, _, _)| key_eq(key, k))?;
        let (_, min, max) = table[i];
        let field = match i {
            0 => &mut self.bindv6only,
            1 => &mut self.route6_gc_timeout,
            2 => &mut self.route6_gc_interval,
            3 => &mut self.ip_default_ttl,
            4 => &mut self.tcp_syncookies,
            5 => &mut self.icmp_echo_ignore_all,
            6 => &mut self.icmp_echo_ignore_broadcasts,
            7 => &mut self.icmp_ignore_bogus_error_responses,
            8 => &mut self.icmp6_echo_ignore_all,
            _ => &mut self.icmp6_echo_ignore_multicast,
        };
        Some((field, min, max))
    }
}

// ---- sysctl key text ----

pub(crate) fn unknown(key: &str) -> SysctlError {
    SysctlError::UnknownKey(key.replace('.', "/"))
}

/// proc_dointvec accepts surrounding whitespace and a sign.
pub(crate) fn parse_int(value: &str) -> Option<i32> {
    value.trim().parse().ok()
}

pub(crate) enum Key<'a> {
    Global(&'a str),
    Conf6(&'a str, &'a str),
    Conf4(&'a str, &'a str),
    Neigh(bool, &'a str, &'a str),
}

/// Splits `net.ipv6.conf.<scope>.<name>`; the scope may itself contain dots (`eth0.100`), so the name is the last part.
pub(crate) fn parse_key(key: &str) -> Result<Key<'_>, SysctlError> {
    if key.contains('/') {
        // `net/ipv6/conf/eth0.100/accept_ra`: only the slash form keeps a dotted interface name unambiguous;
        // we accept it by matching on the same prefixes.
        return parse_slash_key(key);
    }
    let split = |rest: &'static str| -> Option<(&str, &str)> {
        let tail = key.strip_prefix(rest)?;
        let dot = tail.rfind('.')?;
        Some((&tail[..dot], &tail[dot + 1..]))
    };
    if let Some((s, n)) = split("net.ipv6.conf.") {
        return Ok(Key::Conf6(s, n));
    }
    if let Some((s, n)) = split("net.ipv4.conf.") {
        return Ok(Key::Conf4(s, n));
    }
    if let Some((s, n)) = split("net.ipv6.neigh.") {
        return Ok(Key::Neigh(true, s, n));
    }
    if let Some((s, n)) = split("net.ipv4.neigh.") {
        return Ok(Key::Neigh(false, s, n));
    }
    Ok(Key::Global(key))
}

fn parse_slash_key(key: &str) -> Result<Key<'_>, SysctlError> {
    let mut parts = key.splitn(4, '/');
    let (net, family, kind, rest) = (parts.next(), parts.next(), parts.next(), parts.next());
    match (net, family, kind, rest) {
        (Some("net"), Some(fam @ ("ipv6" | "ipv4")), Some(kind @ ("conf" | "neigh")), Some(rest)) => {
            let (scope, name) = rest.rsplit_once('/').ok_or_else(|| unknown(key))?;
            Ok(match (fam, kind) {
                ("ipv6", "conf") => Key::Conf6(scope, name),
                ("ipv4", "conf") => Key::Conf4(scope, name),
                (v6, _) => Key::Neigh(v6 == "ipv6", scope, name),
            })
        }
        // Namespace-wide keys are matched with `/` and `.` as the same separator (conf_keys::key_eq).
        _ => Ok(Key::Global(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_table_round_trips() {
        let mut c = Ipv6DevConf::default();
        assert!(Ipv6DevConf::KEYS.contains(&"accept_ra_rt_info_max_plen"));
        assert_eq!(c.field("ra_defrtr_metric"), Some(1024));
        assert_eq!(c.set_field("accept_ra", 2), Some(()));
        assert_eq!(c.accept_ra, 2);
        assert_eq!(c.set_field("addr_gen_mode", 7), None);
        assert_eq!(c.set_field("nope", 1), None);
        assert_eq!(c.field("stable_secret"), None);
    }

    #[test]
    fn neighbour_defaults_b38() {
        let p = NeighParams::default();
        assert_eq!(
            (
                p.base_reachable_time_ms,
                p.retrans_time_ms,
                p.delay_first_probe_time,
                p.ucast_solicit,
                p.mcast_solicit,
                p.gc_stale_time
            ),
            (30000, 1000, 5, 3, 3, 60)
        );
        let v4 = Ipv4DevConf::default();
        assert_eq!(
            (v4.forwarding, v4.accept_redirects, v4.send_redirects, v4.rp_filter),
            (0, 1, 1, 0)
        );
    }
}
