//! Source address selection as Linux does it: RFC 6724 for IPv6 (addrconf.c:ipv6_dev_get_saddr,
//! ipv6_get_saddr_eval; linux-ipv6.md E1–E4, E12, E13) and `inet_select_addr` for IPv4 (devinet.c).
//!
//! Both walk the address lists in place and allocate nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::addr::{AddrFlags, AddrScope, Addresses};
use super::iface::Interfaces;
use super::route::RouteScope;
use super::sysctl::Sysctls;
use crate::id::IfIndex;

/// Per-socket source preferences (IPV6_ADDR_PREFERENCES, E13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TempPref {
    /// No socket preference: the outgoing candidate's `use_tempaddr >= 2` decides (rule 7).
    #[default]
    Sysctl,
    /// IPV6_PREFER_SRC_TMP.
    Temporary,
    /// IPV6_PREFER_SRC_PUBLIC.
    Public,
}

/// The default policy table (addrlabel.c:ip6addrlbl_init_table; linux-ipv6.md E3), longest prefix first.
const LABELS: [(u128, u8, u32); 10] = [
    (1, 128, 0),                                         // ::1/128
    (0x0000_0000_0000_0000_0000_ffff_0000_0000, 96, 4),  // ::ffff:0:0/96
    (0x2001_0010_0000_0000_0000_0000_0000_0000, 28, 7),  // 2001:10::/28 (ORCHID)
    (0x2001_0000_0000_0000_0000_0000_0000_0000, 32, 6),  // 2001::/32 (Teredo)
    (0x2002_0000_0000_0000_0000_0000_0000_0000, 16, 2),  // 2002::/16 (6to4)
    (0x3ffe_0000_0000_0000_0000_0000_0000_0000, 16, 12), // 3ffe::/16 (6bone)
    (0xfec0_0000_0000_0000_0000_0000_0000_0000, 10, 11), // fec0::/10
    (0xfc00_0000_0000_0000_0000_0000_0000_0000, 7, 5),   // fc00::/7 (ULA)
    (0, 96, 3),                                          // ::/96 (v4-compatible)
    (0, 0, 1),                                           // ::/0
];

fn prefix_match(addr: u128, net: u128, len: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    addr & mask == net & mask
}

/// The policy-table label of an address (addrlabel.c:ipv6_addr_label), longest match; sorted so the first hit wins
/// except that ::/96 must lose to ::1/128 and ::ffff:0:0/96, which precede it.
pub fn label(addr: Ipv6Addr) -> u32 {
    let a = u128::from(addr);
    let mut best: Option<(u8, u32)> = None;
    for (net, len, lbl) in LABELS {
        if prefix_match(a, net, len) && best.is_none_or(|(l, _)| len > l) {
            best = Some((len, lbl));
        }
    }
    best.map_or(1, |(_, l)| l)
}

fn is_orchid(a: Ipv6Addr) -> bool {
    prefix_match(u128::from(a), 0x2001_0010 << 96, 28)
}

/// Loopback, v4-mapped and v4-compatible sources are always "preferred" (ipv6_saddr_preferred, rule 3).
fn always_preferred(a: Ipv6Addr) -> bool {
    let s = a.segments();
    a.is_loopback()
        || (s[..5] == [0; 5] && s[5] == 0xffff)
        || (s[..6] == [0; 6] && !a.is_unspecified() && u128::from(a) > 1)
}

fn common_prefix(a: Ipv6Addr, b: Ipv6Addr) -> u32 {
    (u128::from(a) ^ u128::from(b)).leading_zeros()
}

/// Rule values for one candidate, in kernel order (enum IPV6_SADDR_RULE_*); compared lexicographically, the first
/// rule that differs decides and a tie keeps the earlier candidate.
type Score = [i32; 11];

/// Chooses the IPv6 source for `dst` leaving by `dst_dev` (ipv6_dev_get_saddr; linux-ipv6.md E1–E2, E12).
///
/// Candidates are the outgoing interface's addresses when the destination is multicast or link-local scope, or
/// when `use_oif_addrs_only` is set there; otherwise every interface's, in ifindex order. Tentative addresses
/// (unless optimistic) — which includes dadfailed ones — and `::`/multicast are never candidates.
pub fn select_v6(
    addrs: &Addresses,
    ifaces: &Interfaces,
    sysctl: &Sysctls,
    dst: Ipv6Addr,
    dst_dev: Option<IfIndex>,
    prefs: TempPref,
) -> Option<Ipv6Addr> {
    let dst_scope = AddrScope::v6_src_value(dst);
    let dst_label = label(dst);
    let oif_only = dst_dev.filter(|&d| dst.is_multicast() || dst_scope <= 0x2 || sysctl.use_oif_addrs_only(d));
    let mut best: Option<(Score, Ipv6Addr)> = None;
    let mut consider = |ifindex: IfIndex| {
        for a in addrs.on(ifindex, true) {
            let IpAddr::V6(cand) = a.addr else { continue };
            if !a.is_usable() || cand.is_unspecified() || cand.is_multicast() {
                continue;
            }
            let scope = i32::from(AddrScope::v6_src_value(cand));
            let conf = sysctl.v6(ifindex);
            let avoid = AddrFlags::DEPRECATED
                | if sysctl.use_optimistic(ifindex) {
                    0
                } else {
                    AddrFlags::OPTIMISTIC
                };
            let preftmp = match prefs {
                TempPref::Temporary => true,
                TempPref::Public => false,
                TempPref::Sysctl => conf.use_tempaddr >= 2,
            };
            let temporary = a.flags.has(AddrFlags::TEMPORARY);
            let score: Score = [
                1,                      // 0 candidate exists
                i32::from(cand == dst), // 1 same address
                if scope >= i32::from(dst_scope) {
                    -scope
                } else {
                    scope - 128
                }, // 2 appropriate scope
                i32::from(always_preferred(cand) || !a.flags.any(avoid)), // 3 avoid deprecated/optimistic
                0,                      // 4 home address (MIP6): all equal
                i32::from(dst_dev.is_none_or(|d| d == ifindex)), // 5 outgoing interface
                i32::from(label(cand) == dst_label), // 6 matching label
                i32::from(!temporary ^ preftmp), // 7 privacy
                i32::from(is_orchid(cand) == is_orchid(dst)), // 8- ORCHID
                common_prefix(cand, dst).min(u32::from(a.prefix_len)) as i32, // 8 longest matching prefix
                i32::from(!a.flags.has(AddrFlags::OPTIMISTIC)), // 9 not optimistic
            ];
            if best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, cand));
            }
        }
    };
    match oif_only {
        Some(dev) => consider(dev),
        None => ifaces.iter().for_each(|i| consider(i.ifindex)),
    }
    best.map(|(_, a)| a)
}

fn scope_num(s: AddrScope) -> u8 {
    match s {
        AddrScope::Global => 0,
        AddrScope::Site => 200,
        AddrScope::Link => 253,
        AddrScope::Host => 254,
    }
}

fn route_scope_num(s: RouteScope) -> u8 {
    match s {
        RouteScope::Universe => 0,
        RouteScope::Site => 200,
        RouteScope::Link => 253,
        RouteScope::Host => 254,
        RouteScope::Nowhere => 255,
    }
}

/// IPv4 source for traffic leaving `dev` towards `dst` (the gateway or destination) with at most `scope`
/// (devinet.c:inet_select_addr): the first primary of `dev` in `dst`'s subnet with suitable scope, else `dev`'s first
/// suitable primary, else the first primary of any interface (in ifindex order) that is neither link- nor wider than
/// `scope` (in_dev_select_addr). 127/8 (scope host) qualifies only for host-scope requests unless `route_localnet`.
pub fn select_v4(
    addrs: &Addresses,
    ifaces: &Interfaces,
    sysctl: &Sysctls,
    dev: IfIndex,
    dst: Option<Ipv4Addr>,
    scope: RouteScope,
) -> Option<Ipv4Addr> {
    let want = route_scope_num(scope);
    let localnet = if sysctl.v4(dev).route_localnet != 0 { 253 } else { 254 };
    let mut first = None;
    for a in addrs.on(dev, false) {
        if a.flags.has(AddrFlags::SECONDARY) || scope_num(a.scope).min(localnet) > want {
            continue;
        }
        let IpAddr::V4(local) = a.addr else { continue };
        if dst.is_none_or(|d| a.same_subnet(IpAddr::V4(d))) {
            return Some(local);
        }
        first.get_or_insert(local);
    }
    if first.is_some() {
        return first;
    }
    for i in ifaces.iter() {
        for a in addrs.on(i.ifindex, false) {
            let ok = !a.flags.has(AddrFlags::SECONDARY) && a.scope != AddrScope::Link && scope_num(a.scope) <= want;
            if let (true, IpAddr::V4(local)) = (ok, a.addr) {
                return Some(local);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::addr::Addr;

    fn v6(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    struct H {
        addrs: Addresses,
        ifaces: Interfaces,
        sysctl: Sysctls,
    }

    fn host() -> H {
        let mut ifaces = Interfaces::new();
        let mut sysctl = Sysctls::new();
        sysctl.add_interface(IfIndex(1), "lo", true);
        for n in ["sa0", "sb0"] {
            let i = ifaces.add_ether(n, [2, 0, 0, 0, 0, 1], 1500).unwrap();
            sysctl.add_interface(i, n, false);
        }
        let mut addrs = Addresses::new();
        addrs
            .insert(Addr::new(IfIndex(1), "::1".parse().unwrap(), 128))
            .unwrap();
        addrs
            .insert(Addr::new(IfIndex(2), "fe80::5a:ff:fe00:a".parse().unwrap(), 64))
            .unwrap();
        addrs
            .insert(Addr::new(IfIndex(3), "fe80::5b:ff:fe00:b".parse().unwrap(), 64))
            .unwrap();
        addrs
            .insert(Addr::new(IfIndex(3), "2001:db8:b::10".parse().unwrap(), 64))
            .unwrap();
        H { addrs, ifaces, sysctl }
    }

    #[test]
    fn labels_e3() {
        assert_eq!(label(v6("::1")), 0);
        assert_eq!(label(v6("2001:db8::1")), 1);
        assert_eq!(label(v6("2001::1")), 6);
        assert_eq!(label(v6("2001:10::1")), 7);
        assert_eq!(label(v6("2002::1")), 2);
        assert_eq!(label(v6("fd00::1")), 5);
        assert_eq!(label(v6("::ffff:10.0.0.1")), 4);
        assert_eq!(label(v6("::10.0.0.1")), 3);
    }

    #[test]
    fn e5_global_from_other_interface_then_own_after_slaac() {
        let mut h = host();
        let pick = |h: &H| {
            select_v6(
                &h.addrs,
                &h.ifaces,
                &h.sysctl,
                v6("2001:db8:cc::1"),
                Some(IfIndex(2)),
                TempPref::Sysctl,
            )
        };
        assert_eq!(pick(&h), Some(v6("2001:db8:b::10")), "rule 2 beats rule 5");
        h.addrs
            .insert(Addr::new(IfIndex(2), "2001:db8:a:0:5a:ff:fe00:a".parse().unwrap(), 64))
            .unwrap();
        assert_eq!(
            pick(&h),
            Some(v6("2001:db8:a:0:5a:ff:fe00:a")),
            "rule 5: outgoing interface"
        );
    }

    #[test]
    fn e12_link_local_destination_uses_oif_addresses_only() {
        let h = host();
        let s = select_v6(
            &h.addrs,
            &h.ifaces,
            &h.sysctl,
            v6("fe80::1"),
            Some(IfIndex(2)),
            TempPref::Sysctl,
        );
        assert_eq!(s, Some(v6("fe80::5a:ff:fe00:a")));
    }

    #[test]
    fn tentative_and_deprecated() {
        let mut h = host();
        h.addrs
            .get_mut(IfIndex(3), "2001:db8:b::10".parse().unwrap())
            .unwrap()
            .flags
            .0 |= AddrFlags::TENTATIVE;
        let s = select_v6(
            &h.addrs,
            &h.ifaces,
            &h.sysctl,
            v6("2001:db8:cc::1"),
            Some(IfIndex(3)),
            TempPref::Sysctl,
        );
        assert_eq!(
            s,
            Some(v6("fe80::5b:ff:fe00:b")),
            "only the link-local is left: rule 2 takes the largest scope"
        );
        let mut h = host();
        h.addrs
            .insert(Addr::new(IfIndex(3), "2001:db8:b::11".parse().unwrap(), 64))
            .unwrap();
        h.addrs
            .get_mut(IfIndex(3), "2001:db8:b::11".parse().unwrap())
            .unwrap()
            .flags
            .0 |= AddrFlags::DEPRECATED;
        let s = select_v6(
            &h.addrs,
            &h.ifaces,
            &h.sysctl,
            v6("2001:db8:ff::1"),
            Some(IfIndex(3)),
            TempPref::Sysctl,
        );
        assert_eq!(s, Some(v6("2001:db8:b::10")), "rule 3 avoids deprecated");
    }

    #[test]
    fn rule7_temporary_by_use_tempaddr_and_socket_pref() {
        // C2.log C9: use_tempaddr=2 picks the temporary address, 1 the public one.
        let mut h = host();
        let tmp = "2001:db8:6:0:350d:81d1:4612:cbdd";
        h.addrs
            .insert(Addr::new(
                IfIndex(2),
                "2001:db8:6:0:5054:ff:fe12:3456".parse().unwrap(),
                64,
            ))
            .unwrap();
        h.addrs
            .insert(Addr::new(IfIndex(2), tmp.parse().unwrap(), 64).with_flags(AddrFlags::TEMPORARY))
            .unwrap();
        let dst = v6("2001:db8:ffff::1");
        h.sysctl.set("net.ipv6.conf.sa0.use_tempaddr", "2").unwrap();
        assert_eq!(
            select_v6(&h.addrs, &h.ifaces, &h.sysctl, dst, Some(IfIndex(2)), TempPref::Sysctl),
            Some(v6(tmp))
        );
        assert_eq!(
            select_v6(&h.addrs, &h.ifaces, &h.sysctl, dst, Some(IfIndex(2)), TempPref::Public),
            Some(v6("2001:db8:6:0:5054:ff:fe12:3456"))
        );
        h.sysctl.set("net.ipv6.conf.sa0.use_tempaddr", "1").unwrap();
        assert_eq!(
            select_v6(&h.addrs, &h.ifaces, &h.sysctl, dst, Some(IfIndex(2)), TempPref::Sysctl),
            Some(v6("2001:db8:6:0:5054:ff:fe12:3456"))
        );
    }

    #[test]
    fn ipv4_inet_select_addr() {
        let mut h = host();
        let a = |s: &str, len| Addr::new(IfIndex(2), s.parse().unwrap(), len);
        h.addrs
            .insert(Addr::new(IfIndex(1), "127.0.0.1".parse().unwrap(), 8))
            .unwrap();
        h.addrs.insert(a("10.0.9.165", 24)).unwrap();
        h.addrs.insert(a("192.168.7.2", 24)).unwrap();
        let s = |h: &H, dev, dst: Option<&str>, scope| {
            select_v4(
                &h.addrs,
                &h.ifaces,
                &h.sysctl,
                IfIndex(dev),
                dst.map(|d| d.parse().unwrap()),
                scope,
            )
        };
        assert_eq!(
            s(&h, 2, Some("192.168.7.1"), RouteScope::Universe),
            Some("192.168.7.2".parse().unwrap())
        );
        assert_eq!(
            s(&h, 2, Some("8.8.8.8"), RouteScope::Universe),
            Some("10.0.9.165".parse().unwrap())
        );
        assert_eq!(
            s(&h, 3, None, RouteScope::Universe),
            Some("10.0.9.165".parse().unwrap()),
            "any interface's global"
        );
        assert_eq!(s(&h, 1, None, RouteScope::Host), Some("127.0.0.1".parse().unwrap()));
    }
}
