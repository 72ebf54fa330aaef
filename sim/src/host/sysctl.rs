//! Per-interface sysctls (`net.ipv6.conf.*`, `net.ipv4.conf.*`, `net.ipv{4,6}.neigh.*`) with Linux's
//! `all` / `default` / per-interface rules (linux-ipv6.md §A).
//!
//! Values live in plain structs ([`Ipv6DevConf`], [`Ipv4DevConf`], [`NeighParams`]) so the packet path reads
//! fields, never strings. [`Sysctls::set`] and [`Sysctls::get`] take the Linux key text (`net.ipv6.conf.eth0.accept_ra`)
//! for the agent's boot operations and for tests; `set` reports what the caller must act on ([`SysctlEffect`]).
//! [`HostTables::set_sysctl`] (in this file) writes a key and applies the effect to the routes and addresses.

use std::net::{IpAddr, Ipv6Addr};

use super::addr::{Addr, AddrProto};
use super::route::{table, RouteFlags};
use super::tables::HostTables;
use crate::id::IfIndex;

use super::conf_keys::{key_eq, parse_int, parse_key, unknown, GlobalConf, Ipv4DevConf, Ipv6DevConf, Key, NeighParams};

/// Why a sysctl read or write failed (the errno `sysctl(8)` would print).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SysctlError {
    /// The key names no sysctl (ENOENT: "cannot stat /proc/sys/...").
    #[error("cannot stat /proc/sys/{0}: No such file or directory")]
    UnknownKey(String),
    /// The value does not parse or is out of the kernel's range (EINVAL).
    #[error("setting key \"{key}\": Invalid argument (value `{value}`)")]
    InvalidValue {
        /// The key written.
        key: String,
        /// The rejected value text.
        value: String,
    },
    /// EACCES: reading a write-only key (`net.ipv6.route.flush`).
    #[error("permission denied on key \"{0}\"")]
    PermissionDenied(String),
    /// The kernel answers EIO: reading an unset `stable_secret`, or writing `all.stable_secret` (linux-ipv6.md A3).
    #[error("key \"{0}\": Input/output error")]
    Io(String),
}

/// What a sysctl write means for the rest of the host; the caller (the host glue) acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SysctlEffect {
    /// Nothing beyond the stored value.
    None,
    /// IPv6 `forwarding` was written non-zero (`all` or an interface). Linux then purges RA-learned default routes on
    /// interfaces whose accept_ra ≠ 2, and the interfaces listed (whose value went 0→1) join ff02::2 and set the NA
    /// R flag (linux-ipv6.md A5; addrconf.c:addrconf_fixup_forwarding → rt6_purge_dflt_routers, dev_forward_change).
    Ipv6ForwardingEnabled(Vec<IfIndex>),
    /// IPv6 `forwarding` went 1→0 on these interfaces (leave ff02::2, NA without R flag).
    Ipv6ForwardingDisabled(Vec<IfIndex>),
    /// `disable_ipv6` went 0→1 on these interfaces: all IPv6 addresses and routes go (A26).
    Ipv6Disabled(Vec<IfIndex>),
    /// `disable_ipv6` went 1→0 on these interfaces: the link-local is regenerated and DAD redone (A26).
    Ipv6Enabled(Vec<IfIndex>),
    /// IPv4 forwarding changed on these interfaces (devinet.c:inet_forward_change).
    Ipv4ForwardingChanged(Vec<IfIndex>),
    /// `net.ipv6.route.flush` was written: cached routes (redirect/PMTU exceptions) go (route.c:ipv6_sysctl_rtcache_flush).
    Ipv6RouteFlush,
}

#[derive(Debug, Clone)]
struct IfConf {
    ifindex: IfIndex,
    name: String,
    v6: Ipv6DevConf,
    v4: Ipv4DevConf,
    neigh6: NeighParams,
    neigh4: NeighParams,
}

/// All sysctls of one host (one network namespace).
#[derive(Debug, Clone)]
pub struct Sysctls {
    /// `net.ipv6.conf.all.*`.
    pub all6: Ipv6DevConf,
    /// `net.ipv6.conf.default.*`: copied into each new interface (A1).
    pub default6: Ipv6DevConf,
    /// `net.ipv4.conf.all.*`.
    pub all4: Ipv4DevConf,
    /// `net.ipv4.conf.default.*`.
    pub default4: Ipv4DevConf,
    /// `net.ipv6.neigh.default.*`.
    pub neigh6_default: NeighParams,
    /// `net.ipv4.neigh.default.*`.
    pub neigh4_default: NeighParams,
    /// Namespace-wide keys (`net.ipv6.bindv6only`, `net.ipv4.ip_default_ttl`, …).
    pub global: GlobalConf,
    /// Per interface, indexed by position; looked up by ifindex.
    ifs: Vec<IfConf>,
    /// Change stamp for the route cache: every `&mut` method takes a fresh one. The public fields above are
    /// written only through [`Sysctls::set`] (which stamps); a direct write must call [`Sysctls::touch`].
    version: super::version::Version,
}

impl Default for Sysctls {
    fn default() -> Self {
        Sysctls::new()
    }
}

impl Sysctls {
    /// A fresh namespace's values (linux-ipv6.md A28; `all` defaults to the same as `default` except accept_dad=0, A25).
    pub fn new() -> Sysctls {
        let all6 = Ipv6DevConf {
            accept_dad: 0,
            ..Ipv6DevConf::default()
        };
        Sysctls {
            all6,
            default6: Ipv6DevConf::default(),
            all4: Ipv4DevConf::default(),
            default4: Ipv4DevConf::default(),
            neigh6_default: NeighParams::default(),
            neigh4_default: NeighParams::default(),
            global: GlobalConf::default(),
            ifs: Vec::new(),
            version: super::version::Version::fresh(),
        }
    }

    /// The change stamp: equal stamps, equal values.
    pub fn version(&self) -> super::version::Version {
        self.version
    }

    /// Takes a fresh change stamp, for code that wrote a public field directly.
    pub fn touch(&mut self) {
        self.version = super::version::Version::fresh();
    }

    /// Registers an interface: it copies `default` (A1). Loopback gets use_tempaddr=−1 and mtu 65536 (A23, A28).
    pub fn add_interface(&mut self, ifindex: IfIndex, name: &str, loopback: bool) {
        self.touch();
        let mut v6 = self.default6.clone();
        if loopback {
            v6.use_tempaddr = -1;
            v6.mtu = 65536;
        }
        let conf = IfConf {
            ifindex,
            name: name.to_string(),
            v6,
            v4: self.default4.clone(),
            neigh6: self.neigh6_default.clone(),
            neigh4: self.neigh4_default.clone(),
        };
        match self.ifs.iter_mut().find(|c| c.ifindex == ifindex) {
            Some(slot) => *slot = conf,
            None => self.ifs.push(conf),
        }
    }

    /// Forgets an interface's values (the /proc directory goes with the device).
    pub fn remove_interface(&mut self, ifindex: IfIndex) {
        self.touch();
        self.ifs.retain(|c| c.ifindex != ifindex);
    }

    /// Where `ifindex`'s values usually are: interfaces are registered in ifindex order from `lo` = 1, so the
    /// position is the index minus one unless interfaces were removed. Checking there first spares the packet
    /// path a walk over the other interfaces' (large) entries.
    fn position(&self, ifindex: IfIndex) -> Option<usize> {
        let guess = (ifindex.0 as usize).wrapping_sub(1);
        match self.ifs.get(guess) {
            Some(c) if c.ifindex == ifindex => Some(guess),
            _ => self.ifs.iter().position(|c| c.ifindex == ifindex),
        }
    }

    fn conf(&self, ifindex: IfIndex) -> Option<&IfConf> {
        self.ifs.get(self.position(ifindex)?)
    }

    fn conf_mut(&mut self, ifindex: IfIndex) -> Option<&mut IfConf> {
        self.touch();
        let pos = self.position(ifindex)?;
        self.ifs.get_mut(pos)
    }

    /// The interface's own IPv6 values (`idev->cnf`), or the `default` values for an unknown interface.
    pub fn v6(&self, ifindex: IfIndex) -> &Ipv6DevConf {
        self.conf(ifindex).map_or(&self.default6, |c| &c.v6)
    }

    /// Mutable IPv6 values of one interface (the RA engine writes hop_limit, mtu, … as Linux does, B19/A14/A15).
    pub fn v6_mut(&mut self, ifindex: IfIndex) -> Option<&mut Ipv6DevConf> {
        self.conf_mut(ifindex).map(|c| &mut c.v6)
    }

    /// The interface's own IPv4 values, or `default`'s.
    pub fn v4(&self, ifindex: IfIndex) -> &Ipv4DevConf {
        self.conf(ifindex).map_or(&self.default4, |c| &c.v4)
    }

    /// IPv6 neighbour parameters of an interface (`net.ipv6.neigh.IF.*`).
    pub fn neigh6(&self, ifindex: IfIndex) -> &NeighParams {
        self.conf(ifindex).map_or(&self.neigh6_default, |c| &c.neigh6)
    }

    /// Mutable IPv6 neighbour parameters (RA Reachable Time / Retrans Timer update them, B19).
    pub fn neigh6_mut(&mut self, ifindex: IfIndex) -> Option<&mut NeighParams> {
        self.conf_mut(ifindex).map(|c| &mut c.neigh6)
    }

    /// IPv4 (ARP) neighbour parameters of an interface (`net.ipv4.neigh.IF.*`).
    pub fn neigh4(&self, ifindex: IfIndex) -> &NeighParams {
        self.conf(ifindex).map_or(&self.neigh4_default, |c| &c.neigh4)
    }

    // ---- key text ----

    /// Reads a sysctl by its Linux key text (`net.ipv6.conf.eth0.accept_ra` or `net/ipv6/conf/eth0/accept_ra`).
    pub fn get(&self, key: &str) -> Result<String, SysctlError> {
        let k = parse_key(key)?;
        match k {
            // route/flush is write-only (mode 0200): reading it is EACCES.
            Key::Global(name) if key_eq(name, "net.ipv6.route.flush") => Err(SysctlError::PermissionDenied(key.into())),
            Key::Global(name) => self.global(name).map(|v| v.to_string()).ok_or_else(|| unknown(key)),
            Key::Conf6(scope, name) => {
                let conf = match scope {
                    "all" => &self.all6,
                    "default" => &self.default6,
                    ifname => &self.by_name(ifname).ok_or_else(|| unknown(key))?.v6,
                };
                if name == "stable_secret" {
                    return conf
                        .stable_secret
                        .map(|a| a.to_string())
                        .ok_or_else(|| SysctlError::Io(key.into()));
                }
                conf.field(name).map(|v| v.to_string()).ok_or_else(|| unknown(key))
            }
            Key::Conf4(scope, name) => {
                let conf = match scope {
                    "all" => &self.all4,
                    "default" => &self.default4,
                    ifname => &self.by_name(ifname).ok_or_else(|| unknown(key))?.v4,
                };
                conf.field(name).map(|v| v.to_string()).ok_or_else(|| unknown(key))
            }
            Key::Neigh(v6, scope, name) => {
                let p = match (scope, v6) {
                    ("default", true) => &self.neigh6_default,
                    ("default", false) => &self.neigh4_default,
                    (ifname, v6) => {
                        let c = self.by_name(ifname).ok_or_else(|| unknown(key))?;
                        if v6 {
                            &c.neigh6
                        } else {
                            &c.neigh4
                        }
                    }
                };
                p.field(name).map(|v| v.to_string()).ok_or_else(|| unknown(key))
            }
        }
    }

    fn global(&self, name: &str) -> Option<i32> {
        if key_eq(name, "net.ipv4.ip_forward") {
            return Some(self.all4.forwarding);
        }
        let mut g = self.global.clone();
        g.slot(name).map(|(v, _, _)| *v)
    }

    fn by_name(&self, name: &str) -> Option<&IfConf> {
        self.ifs.iter().find(|c| c.name == name)
    }

    /// Writes a sysctl by its Linux key text and says what the write means for the host ([`SysctlEffect`]).
    ///
    /// `all` pushes down only `forwarding`, `disable_ipv6` and `addr_gen_mode` (and IPv4 `forwarding`) to `default`
    /// and every interface (linux-ipv6.md A2; addrconf.c:addrconf_fixup_forwarding, addrconf_disable_ipv6,
    /// addrconf_sysctl_addr_gen_mode; devinet.c:inet_forward_change). Other `all` keys are stored and combined on read.
    pub fn set(&mut self, key: &str, value: &str) -> Result<SysctlEffect, SysctlError> {
        self.touch();
        let k = parse_key(key)?;
        let bad = || SysctlError::InvalidValue {
            key: key.to_string(),
            value: value.to_string(),
        };
        match k {
            Key::Global(name) => {
                let v = parse_int(value).ok_or_else(bad)?;
                if key_eq(name, "net.ipv4.ip_forward") {
                    return Ok(self.set_ipv4_forwarding_all(v));
                }
                if key_eq(name, "net.ipv6.route.flush") {
                    return Ok(SysctlEffect::Ipv6RouteFlush);
                }
                let (slot, min, max) = self.global.slot(name).ok_or_else(|| unknown(key))?;
                if !(min..=max).contains(&v) {
                    return Err(bad());
                }
                *slot = v;
                Ok(SysctlEffect::None)
            }
            Key::Conf6(scope, name) => self.set6(key, scope, name, value),
            Key::Conf4(scope, name) => {
                let v = parse_int(value).ok_or_else(bad)?;
                if !Ipv4DevConf::KEYS.contains(&name) {
                    return Err(unknown(key));
                }
                match scope {
                    "all" if name == "forwarding" => Ok(self.set_ipv4_forwarding_all(v)),
                    "all" => self.all4.set_field(name, v).ok_or_else(bad).map(|_| SysctlEffect::None),
                    "default" => self
                        .default4
                        .set_field(name, v)
                        .ok_or_else(bad)
                        .map(|_| SysctlEffect::None),
                    ifname => {
                        let c = self
                            .ifs
                            .iter_mut()
                            .find(|c| c.name == ifname)
                            .ok_or_else(|| unknown(key))?;
                        let old = c.v4.forwarding;
                        c.v4.set_field(name, v).ok_or_else(bad)?;
                        if name == "forwarding" && (old != 0) != (v != 0) {
                            return Ok(SysctlEffect::Ipv4ForwardingChanged(vec![c.ifindex]));
                        }
                        Ok(SysctlEffect::None)
                    }
                }
            }
            Key::Neigh(v6, scope, name) => {
                let v = parse_int(value).ok_or_else(bad)?;
                let p = match (scope, v6) {
                    ("default", true) => &mut self.neigh6_default,
                    ("default", false) => &mut self.neigh4_default,
                    (ifname, v6) => {
                        let c = self
                            .ifs
                            .iter_mut()
                            .find(|c| c.name == ifname)
                            .ok_or_else(|| unknown(key))?;
                        if v6 {
                            &mut c.neigh6
                        } else {
                            &mut c.neigh4
                        }
                    }
                };
                if p.field(name).is_none() {
                    return Err(unknown(key));
                }
                p.set_field(name, v).ok_or_else(bad)?;
                Ok(SysctlEffect::None)
            }
        }
    }

    fn set6(&mut self, key: &str, scope: &str, name: &str, value: &str) -> Result<SysctlEffect, SysctlError> {
        let bad = || SysctlError::InvalidValue {
            key: key.to_string(),
            value: value.to_string(),
        };
        if name == "stable_secret" {
            // Writing all.stable_secret fails with EIO (A3); the value must be an IPv6 address (addrconf_sysctl_stable_secret).
            let addr: Ipv6Addr = value.trim().parse().map_err(|_| bad())?;
            match scope {
                "all" => return Err(SysctlError::Io(key.to_string())),
                "default" => self.default6.stable_secret = Some(addr),
                ifname => {
                    let c = self
                        .ifs
                        .iter_mut()
                        .find(|c| c.name == ifname)
                        .ok_or_else(|| unknown(key))?;
                    c.v6.stable_secret = Some(addr);
                }
            }
            return Ok(SysctlEffect::None);
        }
        if !Ipv6DevConf::KEYS.contains(&name) {
            return Err(unknown(key));
        }
        let v = parse_int(value).ok_or_else(bad)?;
        if !Ipv6DevConf::in_range(name, v) {
            return Err(bad());
        }
        match scope {
            "all" => {
                self.all6.set_field(name, v);
                match name {
                    // A2: pushed to default and to every interface.
                    "forwarding" | "disable_ipv6" | "addr_gen_mode" => {
                        self.default6.set_field(name, v);
                        let changed = self.push_down6(name, v);
                        Ok(effect6(name, v, changed))
                    }
                    _ => Ok(SysctlEffect::None),
                }
            }
            "default" => {
                self.default6.set_field(name, v);
                Ok(SysctlEffect::None)
            }
            ifname => {
                let c = self
                    .ifs
                    .iter_mut()
                    .find(|c| c.name == ifname)
                    .ok_or_else(|| unknown(key))?;
                let old = c.v6.field(name).unwrap_or(0);
                c.v6.set_field(name, v);
                let changed = if (old != 0) != (v != 0) {
                    vec![c.ifindex]
                } else {
                    Vec::new()
                };
                Ok(effect6(name, v, changed))
            }
        }
    }

    /// Writes `name` on every interface; returns those whose truth value flipped.
    fn push_down6(&mut self, name: &str, v: i32) -> Vec<IfIndex> {
        let mut changed = Vec::new();
        for c in &mut self.ifs {
            let old = c.v6.field(name).unwrap_or(0);
            c.v6.set_field(name, v);
            if (old != 0) != (v != 0) {
                changed.push(c.ifindex);
            }
        }
        changed
    }

    /// `net.ipv4.conf.all.forwarding` / `net.ipv4.ip_forward`: all, default and every device (devinet.c:inet_forward_change).
    fn set_ipv4_forwarding_all(&mut self, v: i32) -> SysctlEffect {
        self.all4.forwarding = v;
        self.default4.forwarding = v;
        let mut changed = Vec::new();
        for c in &mut self.ifs {
            if (c.v4.forwarding != 0) != (v != 0) {
                changed.push(c.ifindex);
            }
            c.v4.forwarding = v;
        }
        if changed.is_empty() {
            SysctlEffect::None
        } else {
            SysctlEffect::Ipv4ForwardingChanged(changed)
        }
    }
}

impl HostTables {
    /// Writes a sysctl and applies what Linux applies to the tables: forwarding ≠ 0 purges RA default routes on
    /// interfaces with accept_ra ≠ 2 (A5; route.c:__rt6_purge_dflt_routers); disable_ipv6=1 deletes the interfaces'
    /// IPv6 addresses and routes, and 0 restores the link routes (A26). The effect is returned for the rest
    /// (joining ff02::2, NA R flag, regenerating the link-local).
    pub fn set_sysctl(&mut self, key: &str, value: &str) -> Result<SysctlEffect, SysctlError> {
        let effect = self.sysctl.set(key, value)?;
        match &effect {
            SysctlEffect::Ipv6ForwardingEnabled(ifs) => {
                let sysctl = &self.sysctl;
                self.fib6
                    .remove_where(|r| r.table == table::MAIN && r.is_ra_default() && sysctl.v6(r.dev).accept_ra != 2);
                ifs.iter().for_each(|&i| self.sync_anycast(i));
            }
            SysctlEffect::Ipv6ForwardingDisabled(ifs) => ifs.iter().for_each(|&i| self.sync_anycast(i)),
            SysctlEffect::Ipv6Disabled(ifs) => {
                for &i in ifs {
                    self.addrs.remove_where(|a| a.ifindex == i && a.is_v6());
                    self.fib6.remove_where(|r| r.dev == i);
                }
            }
            SysctlEffect::Ipv6Enabled(ifs) => {
                for &i in ifs {
                    if self.ifaces.is_up(i) {
                        self.link_up_routes(i);
                    }
                    if i == IfIndex::LOOPBACK {
                        // lo gets ::1 back (addrconf.c:init_loopback on NETDEV_UP).
                        let a = Addr::new(i, IpAddr::V6(Ipv6Addr::LOCALHOST), 128).with_proto(AddrProto::KernelLo);
                        let _ = self.insert_addr(a, false);
                    }
                }
            }
            SysctlEffect::Ipv6RouteFlush => {
                self.fib6.remove_where(|r| r.flags.has(RouteFlags::CACHE));
            }
            _ => {}
        }
        Ok(effect)
    }
}

fn effect6(name: &str, v: i32, changed: Vec<IfIndex>) -> SysctlEffect {
    match name {
        // Any non-zero write purges RA default routes, even without a 0→1 flip (addrconf_fixup_forwarding: `if (newf)`).
        "forwarding" if v != 0 => SysctlEffect::Ipv6ForwardingEnabled(changed),
        "forwarding" if !changed.is_empty() => SysctlEffect::Ipv6ForwardingDisabled(changed),
        "disable_ipv6" if !changed.is_empty() && v != 0 => SysctlEffect::Ipv6Disabled(changed),
        "disable_ipv6" if !changed.is_empty() => SysctlEffect::Ipv6Enabled(changed),
        _ => SysctlEffect::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Sysctls {
        let mut s = Sysctls::new();
        s.add_interface(IfIndex(1), "lo", true);
        s.add_interface(IfIndex(2), "eth0", false);
        s
    }

    #[test]
    fn defaults_match_a28() {
        let s = host();
        assert_eq!(s.get("net.ipv6.conf.eth0.accept_ra").unwrap(), "1");
        assert_eq!(s.get("net.ipv6.conf.eth0.hop_limit").unwrap(), "64");
        assert_eq!(s.get("net.ipv6.conf.eth0.mtu").unwrap(), "1280");
        assert_eq!(s.get("net.ipv6.conf.lo.mtu").unwrap(), "65536");
        assert_eq!(s.get("net.ipv6.conf.lo.use_tempaddr").unwrap(), "-1");
        assert_eq!(s.get("net.ipv6.conf.all.accept_dad").unwrap(), "0");
        assert_eq!(s.get("net.ipv6.conf.default.accept_dad").unwrap(), "1");
        assert_eq!(s.get("net.ipv6.conf.eth0.router_solicitations").unwrap(), "-1");
        assert_eq!(s.get("net.ipv6.conf.eth0.temp_valid_lft").unwrap(), "604800");
        assert_eq!(s.get("net.ipv6.neigh.eth0.base_reachable_time_ms").unwrap(), "30000");
        assert_eq!(s.get("net.ipv6.bindv6only").unwrap(), "0");
        assert_eq!(s.get("net/ipv4/ip_default_ttl").unwrap(), "64");
    }

    #[test]
    fn a1_new_interface_copies_default_and_all_is_not_pushed() {
        let mut s = host();
        s.set("net.ipv6.conf.default.accept_ra", "0").unwrap();
        s.add_interface(IfIndex(3), "d1", false);
        assert_eq!(s.v6(IfIndex(3)).accept_ra, 0);
        s.set("net.ipv6.conf.all.accept_ra", "2").unwrap();
        assert_eq!(s.v6(IfIndex(3)).accept_ra, 0);
    }

    #[test]
    fn a2_all_forwarding_pushes_down_and_interface_can_revert() {
        let mut s = host();
        let eff = s.set("net.ipv6.conf.all.forwarding", "1").unwrap();
        assert_eq!(eff, SysctlEffect::Ipv6ForwardingEnabled(vec![IfIndex(1), IfIndex(2)]));
        assert_eq!(s.v6(IfIndex(2)).forwarding, 1);
        assert_eq!(s.default6.forwarding, 1);
        assert_eq!(
            s.set("net.ipv6.conf.eth0.forwarding", "0").unwrap(),
            SysctlEffect::Ipv6ForwardingDisabled(vec![IfIndex(2)])
        );
        assert_eq!(s.v6(IfIndex(2)).forwarding, 0);
        assert!(s.ipv6_forwarding_all());
        let eff = s.set("net.ipv6.conf.all.disable_ipv6", "1").unwrap();
        assert_eq!(eff, SysctlEffect::Ipv6Disabled(vec![IfIndex(1), IfIndex(2)]));
        assert_eq!(s.default6.disable_ipv6, 1);
    }

    #[test]
    fn errors_for_unknown_keys_and_bad_values() {
        let mut s = host();
        assert!(matches!(
            s.set("net.ipv6.conf.eth9.accept_ra", "1"),
            Err(SysctlError::UnknownKey(_))
        ));
        assert!(matches!(
            s.set("net.ipv6.conf.eth0.no_such", "1"),
            Err(SysctlError::UnknownKey(_))
        ));
        assert!(matches!(
            s.set("net.ipv6.conf.eth0.accept_ra", "yes"),
            Err(SysctlError::InvalidValue { .. })
        ));
        assert!(matches!(
            s.set("net.ipv6.conf.eth0.addr_gen_mode", "4"),
            Err(SysctlError::InvalidValue { .. })
        ));
        assert_eq!(
            s.set("net.ipv6.conf.all.stable_secret", "2001:db8::1"),
            Err(SysctlError::Io("net.ipv6.conf.all.stable_secret".into()))
        );
        assert!(matches!(
            s.get("net.ipv6.conf.eth0.stable_secret"),
            Err(SysctlError::Io(_))
        ));
        s.set("net.ipv6.conf.eth0.stable_secret", "2001:db8:1234::1").unwrap();
        assert_eq!(s.get("net.ipv6.conf.eth0.stable_secret").unwrap(), "2001:db8:1234::1");
        assert!(matches!(s.get("net.ipv6.nope"), Err(SysctlError::UnknownKey(_))));
    }

    #[test]
    fn ipv4_forwarding_and_slash_keys() {
        let mut s = host();
        let eff = s.set("net/ipv4/ip_forward", "1").unwrap();
        assert_eq!(eff, SysctlEffect::Ipv4ForwardingChanged(vec![IfIndex(1), IfIndex(2)]));
        assert!(s.ipv4_forwarding(IfIndex(2)));
        assert_eq!(s.get("net.ipv4.conf.default.forwarding").unwrap(), "1");
        s.set("net.ipv4.conf.all.rp_filter", "2").unwrap();
        s.set("net.ipv4.conf.eth0.rp_filter", "1").unwrap();
        assert_eq!(s.rp_filter(IfIndex(2)), 2);
        assert!(s.accept_redirects4(IfIndex(2)));
        s.set("net.ipv4.conf.all.accept_redirects", "0").unwrap();
        assert!(!s.accept_redirects4(IfIndex(2)), "while forwarding: all AND IF");
        s.set("net.ipv6.neigh.eth0.retrans_time_ms", "1500").unwrap();
        assert_eq!(s.neigh6(IfIndex(2)).retrans_time_ms, 1500);
    }

    #[test]
    fn dotted_interface_names() {
        let mut s = host();
        s.add_interface(IfIndex(3), "eth0.100", false);
        s.set("net.ipv6.conf.eth0.100.accept_ra", "0").unwrap();
        assert_eq!(s.v6(IfIndex(3)).accept_ra, 0);
        assert_eq!(s.v6(IfIndex(2)).accept_ra, 1);
    }

    #[test]
    fn stemcell_sysctl_conf_applies() {
        // reference/bosh-networking.md §3: the lines of 60-bosh-sysctl.conf that touch the network stack.
        let mut s = host();
        let lines = [
            ("net.ipv6.conf.all.accept_ra", "0"),
            ("net.ipv6.conf.default.accept_ra", "0"),
            ("net.ipv6.conf.all.disable_ipv6", "1"),
            ("net.ipv6.conf.default.disable_ipv6", "1"),
            ("net.ipv6.conf.default.accept_redirects", "0"),
            ("net.ipv6.conf.all.accept_redirects", "0"),
            ("net.ipv4.conf.all.rp_filter", "1"),
            ("net.ipv4.conf.all.log_martians", "1"),
            ("net.ipv4.ip_forward", "0"),
            ("net.ipv4.tcp_syncookies", "1"),
        ];
        for (k, v) in lines {
            s.set(k, v).unwrap();
        }
        assert_eq!(s.set("net.ipv6.route.flush", "1"), Ok(SysctlEffect::Ipv6RouteFlush));
        assert!(matches!(
            s.get("net.ipv6.route.flush"),
            Err(SysctlError::PermissionDenied(_))
        ));
        assert_eq!(s.v6(IfIndex(2)).disable_ipv6, 1, "all.disable_ipv6 is pushed down (A2)");
        assert_eq!(s.v6(IfIndex(2)).accept_ra, 1, "all.accept_ra is not (A1)");
        assert!(matches!(
            s.set("net.ipv4.ip_default_ttl", "0"),
            Err(SysctlError::InvalidValue { .. })
        ));
        assert!(matches!(
            s.set("net.ipv4.no_such_key", "1"),
            Err(SysctlError::UnknownKey(_))
        ));
    }
}
