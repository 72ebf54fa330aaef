//! IPv4 and IPv6 addresses of a host: prefix length, derived scope, IFA_F_* flags, lifetimes and the kernel's
//! per-interface list order (which `ip addr` shows and source selection walks).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::id::IfIndex;
use crate::time::Instant;

/// IFA_F_* flags (include/uapi/linux/if_addr.h). `TEMPORARY` and `SECONDARY` share a bit in the kernel; they are
/// separate here because each family uses only one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AddrFlags(pub u32);

impl AddrFlags {
    /// IFA_F_SECONDARY (IPv4: another address of the same subnet is primary).
    pub const SECONDARY: u32 = 0x0001;
    /// IFA_F_NODAD.
    pub const NODAD: u32 = 0x0002;
    /// IFA_F_OPTIMISTIC (RFC 4429).
    pub const OPTIMISTIC: u32 = 0x0004;
    /// IFA_F_DADFAILED.
    pub const DADFAILED: u32 = 0x0008;
    /// IFA_F_HOMEADDRESS.
    pub const HOMEADDRESS: u32 = 0x0010;
    /// IFA_F_DEPRECATED.
    pub const DEPRECATED: u32 = 0x0020;
    /// IFA_F_TENTATIVE.
    pub const TENTATIVE: u32 = 0x0040;
    /// IFA_F_PERMANENT (infinite valid lifetime at creation).
    pub const PERMANENT: u32 = 0x0080;
    /// IFA_F_MANAGETEMPADDR.
    pub const MNGTMPADDR: u32 = 0x0100;
    /// IFA_F_NOPREFIXROUTE.
    pub const NOPREFIXROUTE: u32 = 0x0200;
    /// IFA_F_MCAUTOJOIN.
    pub const AUTOJOIN: u32 = 0x0400;
    /// IFA_F_STABLE_PRIVACY.
    pub const STABLE_PRIVACY: u32 = 0x0800;
    /// IFA_F_TEMPORARY (RFC 8981), the kernel's IFA_F_SECONDARY bit for IPv6.
    pub const TEMPORARY: u32 = 0x1_0000;

    /// Whether every bit of `bits` is set.
    pub fn has(self, bits: u32) -> bool {
        self.0 & bits == bits
    }

    /// Whether any bit of `bits` is set.
    pub fn any(self, bits: u32) -> bool {
        self.0 & bits != 0
    }
}

/// Address scope (ifa_scope / ipv6_addr_scope); ordered as the kernel orders IPv6 source scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddrScope {
    /// 0x1 (`::1`, 127/8 shows `scope host`).
    Host,
    /// 0x2 (fe80::/10).
    Link,
    /// 0x5 (deprecated fec0::/10).
    Site,
    /// 0xe.
    Global,
}

impl AddrScope {
    /// The scope `ip addr` prints.
    pub fn name(self) -> &'static str {
        match self {
            AddrScope::Host => "host",
            AddrScope::Link => "link",
            AddrScope::Site => "site",
            AddrScope::Global => "global",
        }
    }

    /// Derived as the kernel does: IPv6 by address type (ipv6_addr_scope), IPv4 127/8 host, else global
    /// (`ip addr add` default; devinet.c keeps what userspace asks for).
    pub fn of(addr: IpAddr) -> AddrScope {
        match addr {
            IpAddr::V6(a) => v6_scope(a),
            IpAddr::V4(a) if a.is_loopback() => AddrScope::Host,
            IpAddr::V4(_) => AddrScope::Global,
        }
    }

    /// IPv6 source-selection scope value (__ipv6_addr_src_scope: loopback counts as link-local).
    pub fn v6_src_value(addr: Ipv6Addr) -> u8 {
        if addr.is_multicast() {
            return addr.octets()[1] & 0x0f;
        }
        match v6_scope(addr) {
            AddrScope::Host | AddrScope::Link => 0x2,
            AddrScope::Site => 0x5,
            AddrScope::Global => 0xe,
        }
    }
}

fn v6_scope(a: Ipv6Addr) -> AddrScope {
    let s = a.segments();
    if a.is_loopback() {
        AddrScope::Host
    } else if s[0] & 0xffc0 == 0xfe80 {
        AddrScope::Link
    } else if s[0] & 0xffc0 == 0xfec0 {
        AddrScope::Site
    } else {
        AddrScope::Global
    }
}

/// Who created the address (ifa_proto, IFAPROT_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AddrProto {
    /// 0: userspace / unspecified.
    #[default]
    Unspec,
    /// 1: the loopback address.
    KernelLo,
    /// 2: SLAAC from an RA.
    KernelRa,
    /// 3: the kernel's link-local.
    KernelLl,
}

/// One address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addr {
    /// Interface.
    pub ifindex: IfIndex,
    /// The address.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix_len: u8,
    /// Scope (derived at creation, see [`AddrScope::of`]).
    pub scope: AddrScope,
    /// IFA_F_* flags.
    pub flags: AddrFlags,
    /// End of the valid lifetime; `None` is forever.
    pub valid_until: Option<Instant>,
    /// End of the preferred lifetime; `None` is forever.
    pub preferred_until: Option<Instant>,
    /// Creator.
    pub proto: AddrProto,
    /// IPv4 broadcast address (`brd`).
    pub broadcast: Option<Ipv4Addr>,
    /// Route metric for the prefix route (`ip addr add … metric N`); 0 means the default (256 for IPv6).
    pub rt_metric: u32,
}

impl Addr {
    /// An address with infinite lifetimes (IFA_F_PERMANENT), scope derived; IPv4 gets the subnet broadcast as
    /// `ip addr add X/len brd +` would (iproute2 adds `brd` only when asked; bosh-agent's ifupdown/netplan do).
    pub fn new(ifindex: IfIndex, addr: IpAddr, prefix_len: u8) -> Addr {
        let broadcast = match addr {
            IpAddr::V4(a) if prefix_len < 31 => {
                let host_mask = u32::MAX.checked_shr(u32::from(prefix_len)).unwrap_or(0);
                Some(Ipv4Addr::from(u32::from(a) | host_mask))
            }
            _ => None,
        };
        Addr {
            ifindex,
            addr,
            prefix_len,
            scope: AddrScope::of(addr),
            flags: AddrFlags(AddrFlags::PERMANENT),
            valid_until: None,
            preferred_until: None,
            proto: AddrProto::Unspec,
            broadcast,
            rt_metric: 0,
        }
    }

    /// Builder: ORs in flags.
    pub fn with_flags(mut self, bits: u32) -> Addr {
        self.flags.0 |= bits;
        self
    }

    /// Builder: finite lifetimes from `now` (`valid_lft`/`preferred_lft` seconds; `u32::MAX` = forever). A finite
    /// valid lifetime clears IFA_F_PERMANENT, so `ip addr` prints `dynamic` (addrconf.c:inet6_addr_add).
    pub fn with_lifetimes(mut self, now: Instant, valid: u32, preferred: u32) -> Addr {
        let until = |s: u32| (s != u32::MAX).then(|| now + Duration::from_secs(u64::from(s)));
        self.valid_until = until(valid);
        self.preferred_until = until(preferred.min(valid));
        if self.valid_until.is_some() {
            self.flags.0 &= !AddrFlags::PERMANENT;
        } else {
            self.flags.0 |= AddrFlags::PERMANENT;
        }
        if preferred == 0 {
            self.flags.0 |= AddrFlags::DEPRECATED;
        }
        self
    }

    /// Builder: creator.
    pub fn with_proto(mut self, proto: AddrProto) -> Addr {
        self.proto = proto;
        self
    }

    /// Whether this is an IPv6 address.
    pub fn is_v6(&self) -> bool {
        self.addr.is_ipv6()
    }

    /// Usable as a source and for delivery: not tentative (unless optimistic) — dadfailed stays tentative (E2).
    pub fn is_usable(&self) -> bool {
        !self.flags.has(AddrFlags::TENTATIVE) || self.flags.has(AddrFlags::OPTIMISTIC)
    }

    /// Whether `other` is in this address's subnet (inet_ifa_match / ipv6_prefix_equal).
    pub fn same_subnet(&self, other: IpAddr) -> bool {
        match (self.addr, other) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix_len)).unwrap_or(0);
                u32::from(a) & mask == u32::from(b) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix_len)).unwrap_or(0);
                u128::from(a) & mask == u128::from(b) & mask
            }
            _ => false,
        }
    }
}

/// Why an address operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    /// EEXIST: the same address is already on the interface.
    #[error("RTNETLINK answers: File exists")]
    Exists,
    /// EADDRNOTAVAIL: no such address to delete.
    #[error("RTNETLINK answers: Cannot assign requested address")]
    NotFound,
    /// ENODEV.
    #[error("Cannot find device")]
    NoDevice,
    /// EACCES: IPv6 is disabled on the interface (A26).
    #[error("RTNETLINK answers: Permission denied")]
    Ipv6Disabled,
    /// EINVAL: prefix length out of range, or an IPv4 address of an existing subnet with another scope.
    #[error("RTNETLINK answers: Invalid argument")]
    Invalid,
}

/// What [`Addresses::expire`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddrChange {
    /// The preferred lifetime ran out: now `deprecated` (B30).
    Deprecated(Addr),
    /// The valid lifetime ran out: removed (B30).
    Removed(Addr),
}

/// All addresses of a host, each interface's entries in kernel list order.
#[derive(Debug, Clone, Default)]
pub struct Addresses {
    list: Vec<Addr>,
    /// The next lifetime deadline, cached (the host asks after every event); `None` = stale. Every `&mut`
    /// method clears it.
    deadline: std::cell::Cell<Option<Option<Instant>>>,
    /// Change stamp for the route cache; every `&mut` method takes a fresh one.
    version: super::version::Version,
}

impl PartialEq for Addresses {
    fn eq(&self, other: &Self) -> bool {
        self.list == other.list
    }
}
impl Eq for Addresses {}

impl Addresses {
    /// No addresses.
    pub fn new() -> Addresses {
        Addresses::default()
    }

    /// The change stamp: equal stamps, equal addresses.
    pub fn version(&self) -> super::version::Version {
        self.version
    }

    /// Every address, grouped by nothing; filter by interface for the per-interface order.
    pub fn iter(&self) -> impl Iterator<Item = &Addr> {
        self.list.iter()
    }

    /// The addresses of one interface and family in the kernel's list order.
    pub fn on(&self, ifindex: IfIndex, v6: bool) -> impl Iterator<Item = &Addr> {
        self.list
            .iter()
            .filter(move |a| a.ifindex == ifindex && a.is_v6() == v6)
    }

    /// The entry for `addr` on `ifindex`.
    pub fn get(&self, ifindex: IfIndex, addr: IpAddr) -> Option<&Addr> {
        self.list.iter().find(|a| a.ifindex == ifindex && a.addr == addr)
    }

    /// Mutable entry (the DAD engine sets and clears TENTATIVE/DADFAILED/OPTIMISTIC).
    pub fn get_mut(&mut self, ifindex: IfIndex, addr: IpAddr) -> Option<&mut Addr> {
        self.deadline.set(None);
        self.version = super::version::Version::fresh();
        self.list.iter_mut().find(|a| a.ifindex == ifindex && a.addr == addr)
    }

    /// The usable address equal to `addr` on any interface (weak host model, E11).
    pub fn find_local(&self, addr: IpAddr) -> Option<&Addr> {
        self.list.iter().find(|a| a.addr == addr && a.is_usable())
    }

    /// Inserts in the kernel's list position. IPv6: before the first address whose scope is not larger, so globals
    /// precede link-locals and the newest of a scope comes first (addrconf.c:ipv6_link_dev_addr). IPv4: a second
    /// address in an existing primary's subnet becomes `secondary` and goes last; primaries go after the last primary
    /// of wider-or-equal numeric scope (devinet.c:__inet_insert_ifa).
    pub fn insert(&mut self, mut a: Addr) -> Result<(), AddrError> {
        self.deadline.set(None);
        self.version = super::version::Version::fresh();
        let max_len = if a.is_v6() { 128 } else { 32 };
        if a.prefix_len > max_len {
            return Err(AddrError::Invalid);
        }
        if self.get(a.ifindex, a.addr).is_some() {
            return Err(AddrError::Exists);
        }
        let pos = if a.is_v6() {
            let scope = AddrScope::v6_src_value(v6(a.addr));
            let first_not_wider = self
                .list
                .iter()
                .position(|b| b.ifindex == a.ifindex && b.is_v6() && scope >= AddrScope::v6_src_value(v6(b.addr)));
            first_not_wider.unwrap_or(self.after_last(a.ifindex))
        } else {
            let primary_same_subnet = self
                .on(a.ifindex, false)
                .find(|b| !b.flags.has(AddrFlags::SECONDARY) && b.prefix_len == a.prefix_len && b.same_subnet(a.addr));
            if let Some(p) = primary_same_subnet {
                if p.scope != a.scope {
                    return Err(AddrError::Invalid);
                }
                a.flags.0 |= AddrFlags::SECONDARY;
                self.after_last(a.ifindex)
            } else {
                let num = |s: AddrScope| match s {
                    AddrScope::Global => 0,
                    AddrScope::Site => 200,
                    AddrScope::Link => 253,
                    AddrScope::Host => 254,
                };
                let last_primary = self
                    .list
                    .iter()
                    .rposition(|b| {
                        b.ifindex == a.ifindex
                            && !b.is_v6()
                            && !b.flags.has(AddrFlags::SECONDARY)
                            && num(a.scope) <= num(b.scope)
                    })
                    .map(|p| p + 1);
                let first_v4 = self.list.iter().position(|b| b.ifindex == a.ifindex && !b.is_v6());
                last_primary.or(first_v4).unwrap_or(self.after_last(a.ifindex))
            }
        };
        self.list.insert(pos, a);
        Ok(())
    }

    fn after_last(&self, ifindex: IfIndex) -> usize {
        self.list
            .iter()
            .rposition(|b| b.ifindex <= ifindex)
            .map_or(0, |p| p + 1)
    }

    /// Removes one address. Deleting an IPv4 primary promotes the next secondary of its subnet
    /// (devinet.c:__inet_del_ifa with promote_secondaries, the default on modern distributions).
    pub fn remove(&mut self, ifindex: IfIndex, addr: IpAddr) -> Result<Addr, AddrError> {
        self.deadline.set(None);
        self.version = super::version::Version::fresh();
        let pos = self
            .list
            .iter()
            .position(|a| a.ifindex == ifindex && a.addr == addr)
            .ok_or(AddrError::NotFound)?;
        let gone = self.list.remove(pos);
        if !gone.is_v6() && !gone.flags.has(AddrFlags::SECONDARY) {
            if let Some(next) = self.list.iter_mut().find(|b| {
                b.ifindex == ifindex && !b.is_v6() && b.flags.has(AddrFlags::SECONDARY) && gone.same_subnet(b.addr)
            }) {
                next.flags.0 &= !AddrFlags::SECONDARY;
            }
        }
        Ok(gone)
    }

    /// Removes every address matching `pred` (interface down, disable_ipv6) and returns them.
    pub fn remove_where(&mut self, mut pred: impl FnMut(&Addr) -> bool) -> Vec<Addr> {
        self.deadline.set(None);
        self.version = super::version::Version::fresh();
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.list.len() {
            if pred(&self.list[i]) {
                out.push(self.list.remove(i));
            } else {
                i += 1;
            }
        }
        out
    }

    /// Ages lifetimes: deprecates at the preferred deadline, removes at the valid deadline (addrconf.c:
    /// addrconf_verify_rtnl; B30). Returns what changed, in list order.
    pub fn expire(&mut self, now: Instant) -> Vec<AddrChange> {
        self.deadline.set(None);
        self.version = super::version::Version::fresh();
        let mut changes = Vec::new();
        for a in &mut self.list {
            if a.preferred_until.is_some_and(|t| t <= now) && !a.flags.has(AddrFlags::DEPRECATED) {
                a.flags.0 |= AddrFlags::DEPRECATED;
                if a.valid_until.is_none_or(|t| t > now) {
                    changes.push(AddrChange::Deprecated(a.clone()));
                }
            }
        }
        for gone in self.remove_where(|a| a.valid_until.is_some_and(|t| t <= now)) {
            changes.push(AddrChange::Removed(gone));
        }
        changes
    }

    /// The next lifetime deadline that [`Addresses::expire`] acts on.
    pub fn next_deadline(&self) -> Option<Instant> {
        if let Some(d) = self.deadline.get() {
            return d;
        }
        let d = self
            .list
            .iter()
            .flat_map(|a| {
                let pref = a.preferred_until.filter(|_| !a.flags.has(AddrFlags::DEPRECATED));
                [pref, a.valid_until]
            })
            .flatten()
            .min();
        self.deadline.set(Some(d));
        d
    }
}

fn v6(a: IpAddr) -> Ipv6Addr {
    match a {
        IpAddr::V6(a) => a,
        IpAddr::V4(a) => a.to_ipv6_mapped(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(ifi: u32, s: &str, len: u8) -> Addr {
        Addr::new(IfIndex(ifi), s.parse().unwrap(), len)
    }

    #[test]
    fn scopes_are_derived() {
        assert_eq!(AddrScope::of("::1".parse().unwrap()), AddrScope::Host);
        assert_eq!(AddrScope::of("fe80::1".parse().unwrap()), AddrScope::Link);
        assert_eq!(AddrScope::of("2001:db8::1".parse().unwrap()), AddrScope::Global);
        assert_eq!(AddrScope::of("127.0.0.1".parse().unwrap()), AddrScope::Host);
        assert_eq!(AddrScope::of("10.0.9.165".parse().unwrap()), AddrScope::Global);
        assert_eq!(AddrScope::v6_src_value("::1".parse().unwrap()), 2);
        assert_eq!(a(2, "10.0.9.165", 24).broadcast, Some("10.0.9.255".parse().unwrap()));
    }

    #[test]
    fn ipv6_list_order_globals_first_newest_first() {
        // C2.log: the temporary address created after the public one is listed first; E.log: global before fe80.
        let mut t = Addresses::new();
        t.insert(a(2, "fe80::5a:ff:fe00:a", 64)).unwrap();
        t.insert(a(2, "2001:db8:7:0:5054:ff:fe12:3456", 64)).unwrap();
        t.insert(a(2, "2001:db8:7:0:9ada:268:3cdc:2a28", 64)).unwrap();
        t.insert(a(3, "2001:db8:b::10", 64)).unwrap();
        let order: Vec<String> = t.on(IfIndex(2), true).map(|x| x.addr.to_string()).collect();
        assert_eq!(
            order,
            [
                "2001:db8:7:0:9ada:268:3cdc:2a28",
                "2001:db8:7:0:5054:ff:fe12:3456",
                "fe80::5a:ff:fe00:a"
            ]
        );
        assert_eq!(t.insert(a(2, "fe80::5a:ff:fe00:a", 64)), Err(AddrError::Exists));
    }

    #[test]
    fn ipv4_secondary_and_promotion() {
        let mut t = Addresses::new();
        t.insert(a(2, "10.0.9.165", 24)).unwrap();
        t.insert(a(2, "10.0.9.166", 24)).unwrap();
        t.insert(a(2, "192.168.1.1", 24)).unwrap();
        let flags: Vec<bool> = t
            .on(IfIndex(2), false)
            .map(|x| x.flags.has(AddrFlags::SECONDARY))
            .collect();
        assert_eq!(flags, [false, false, true]);
        t.remove(IfIndex(2), "10.0.9.165".parse().unwrap()).unwrap();
        assert!(!t
            .get(IfIndex(2), "10.0.9.166".parse().unwrap())
            .unwrap()
            .flags
            .has(AddrFlags::SECONDARY));
        assert_eq!(
            t.remove(IfIndex(2), "10.9.9.9".parse().unwrap()),
            Err(AddrError::NotFound)
        );
    }

    #[test]
    fn lifetimes_deprecate_then_remove_b30() {
        let mut t = Addresses::new();
        let now = Instant::from_secs(100);
        t.insert(a(2, "2001:db8:1::1", 64).with_lifetimes(now, 60, 30)).unwrap();
        t.insert(a(2, "2001:db8:1::2", 64)).unwrap();
        assert!(!t
            .get(IfIndex(2), "2001:db8:1::1".parse().unwrap())
            .unwrap()
            .flags
            .has(AddrFlags::PERMANENT));
        assert_eq!(t.next_deadline(), Some(Instant::from_secs(130)));
        assert!(t.expire(Instant::from_secs(129)).is_empty());
        let c = t.expire(Instant::from_secs(130));
        assert!(matches!(c.as_slice(), [AddrChange::Deprecated(x)] if x.flags.has(AddrFlags::DEPRECATED)));
        assert_eq!(t.next_deadline(), Some(Instant::from_secs(160)));
        let c = t.expire(Instant::from_secs(160));
        assert!(matches!(c.as_slice(), [AddrChange::Removed(_)]));
        assert_eq!(t.next_deadline(), None);
        assert_eq!(t.iter().count(), 1);
    }

    #[test]
    fn tentative_is_not_usable_unless_optimistic() {
        let x = a(2, "2001:db8::1", 64).with_flags(AddrFlags::TENTATIVE);
        assert!(!x.is_usable());
        assert!(x.clone().with_flags(AddrFlags::OPTIMISTIC).is_usable());
        assert!(!x.with_flags(AddrFlags::DADFAILED).is_usable());
    }
}
