//! A minimal model of `net.ipv6.conf.{all,default,<if>}.*`: enough to replay the profiles' sysctl
//! writes and read each interface's effective value, following linux-ipv6.md §A.
//!
//! - A1: a new interface copies `default`; writing `all.X` changes only `all` for most X.
//! - A2: `all.forwarding`, `all.disable_ipv6` and `all.addr_gen_mode` are pushed to `default` and to
//!   every existing interface.
//! - A6: accept_ra is effective as `forwarding ? accept_ra == 2 : accept_ra != 0`.
//! - A11: autoconf needs RAs to be processed at all.
//! - A20: redirects are honoured only with `if.forwarding == 0` and `if.accept_redirects != 0`;
//!   `all.accept_redirects` is neither read nor pushed.
//! - A26: `disable_ipv6=1` removes the interface's IPv6 addresses and routes (done by the host fold).
//!
//! With `ipv6.disable=1` on the kernel command line there is no `net.ipv6` tree at all: writes fail
//! with ENOENT (what `sysctl -p` reports as "cannot stat").

use serde::Serialize;
use std::collections::BTreeMap;

/// Kernel defaults of the keys the profiles touch (linux-ipv6.md A6, A11, A20, A22, A26, A4).
const IPV6_CONF_DEFAULTS: &[(&str, &str)] = &[
    ("accept_ra", "1"),
    ("accept_redirects", "1"),
    ("addr_gen_mode", "0"),
    ("autoconf", "1"),
    ("disable_ipv6", "0"),
    ("forwarding", "0"),
];

/// Keys whose `all` write reaches `default` and every interface (linux-ipv6.md A2).
const PUSHED_FROM_ALL: &[&str] = &["forwarding", "disable_ipv6", "addr_gen_mode"];

const CONF_PREFIX: &str = "net.ipv6.conf.";

/// Why a sysctl write failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SysctlError {
    /// The key does not exist (no such interface, or no IPv6 in the kernel).
    #[error("cannot stat /proc/sys/{0}: No such file or directory")]
    NoSuchKey(String),
}

/// One scope's values (`all`, `default` or an interface).
pub type ConfValues = BTreeMap<String, String>;

/// The IPv6 sysctl tree of one host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SysctlTree {
    /// False when the kernel booted with `ipv6.disable=1`.
    pub kernel_ipv6: bool,
    /// `net.ipv6.conf.all.*`.
    pub all: ConfValues,
    /// `net.ipv6.conf.default.*`.
    pub default: ConfValues,
    /// `net.ipv6.conf.<if>.*`, by interface name.
    pub interfaces: BTreeMap<String, ConfValues>,
    /// Every other key written (`net.ipv6.route.flush`, `net.ipv4.*`), last value.
    pub other: BTreeMap<String, String>,
}

/// What an interface does with IPv6, computed from its values (linux-ipv6.md A6, A11, A20).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Ipv6Effective {
    /// No IPv6 on this interface (kernel without IPv6, or `disable_ipv6=1`).
    pub disabled: bool,
    /// Router Advertisements are processed.
    pub accept_ra: bool,
    /// ICMPv6 redirects are honoured.
    pub accept_redirects: bool,
    /// SLAAC addresses are formed from PIOs.
    pub autoconf: bool,
    /// The interface forwards (router behaviour).
    pub forwarding: bool,
}

fn defaults() -> ConfValues {
    IPV6_CONF_DEFAULTS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl SysctlTree {
    /// A fresh tree: kernel defaults in `all` and `default`, no interfaces.
    pub fn new(kernel_ipv6: bool) -> SysctlTree {
        SysctlTree {
            kernel_ipv6,
            all: defaults(),
            default: defaults(),
            interfaces: BTreeMap::new(),
            other: BTreeMap::new(),
        }
    }

    /// A new interface copies `default` (linux-ipv6.md A1).
    pub fn create_interface(&mut self, name: &str) {
        self.interfaces.insert(name.to_owned(), self.default.clone());
    }

    /// Writes `key=value`; returns the interfaces whose `disable_ipv6` the write touched.
    pub fn set(&mut self, key: &str, value: &str) -> Result<Vec<String>, SysctlError> {
        let no_key = || SysctlError::NoSuchKey(key.replace('.', "/"));
        if key.starts_with("net.ipv6.") && !self.kernel_ipv6 {
            return Err(no_key());
        }
        let Some(rest) = key.strip_prefix(CONF_PREFIX) else {
            self.other.insert(key.to_owned(), value.to_owned());
            return Ok(Vec::new());
        };
        let (scope, name) = rest.rsplit_once('.').ok_or_else(no_key)?;
        // sysctl(8) writes dots inside interface names as slashes (eth0.100 → eth0/100).
        let scope = scope.replace('/', ".");
        let mut touched = Vec::new();
        match scope.as_str() {
            "all" => {
                self.all.insert(name.to_owned(), value.to_owned());
                if PUSHED_FROM_ALL.contains(&name) {
                    self.default.insert(name.to_owned(), value.to_owned());
                    for (ifname, conf) in &mut self.interfaces {
                        conf.insert(name.to_owned(), value.to_owned());
                        touched.push(ifname.clone());
                    }
                }
            }
            "default" => {
                self.default.insert(name.to_owned(), value.to_owned());
            }
            ifname => {
                let conf = self.interfaces.get_mut(ifname).ok_or_else(no_key)?;
                conf.insert(name.to_owned(), value.to_owned());
                touched.push(ifname.to_owned());
            }
        }
        if name != "disable_ipv6" {
            touched.clear();
        }
        Ok(touched)
    }

    /// Reads a key as written by [`SysctlTree::set`]; `None` if it does not exist.
    pub fn get(&self, key: &str) -> Option<&str> {
        if key.starts_with("net.ipv6.") && !self.kernel_ipv6 {
            return None;
        }
        let Some(rest) = key.strip_prefix(CONF_PREFIX) else {
            return self.other.get(key).map(String::as_str);
        };
        let (scope, name) = rest.rsplit_once('.')?;
        let conf = match scope {
            "all" => &self.all,
            "default" => &self.default,
            ifname => self.interfaces.get(&ifname.replace('/', "."))?,
        };
        conf.get(name).map(String::as_str)
    }

    /// The effective IPv6 behaviour of `ifname` (`None` if there is no such interface).
    pub fn effective(&self, ifname: &str) -> Option<Ipv6Effective> {
        let conf = self.interfaces.get(ifname)?;
        let num = |k: &str| conf.get(k).and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(0);
        let disabled = !self.kernel_ipv6 || num("disable_ipv6") != 0;
        let forwarding = num("forwarding") != 0;
        let accept_ra = !disabled
            && if forwarding {
                num("accept_ra") == 2
            } else {
                num("accept_ra") != 0
            };
        Some(Ipv6Effective {
            disabled,
            accept_ra,
            accept_redirects: !disabled && !forwarding && num("accept_redirects") != 0,
            autoconf: accept_ra && num("autoconf") != 0,
            forwarding: !disabled && forwarding,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_new_interface_copies_default_and_all_does_not_reach_it() {
        let mut t = SysctlTree::new(true);
        t.set("net.ipv6.conf.default.accept_ra", "0").unwrap();
        t.create_interface("d1");
        assert_eq!(t.get("net.ipv6.conf.d1.accept_ra"), Some("0"));
        t.set("net.ipv6.conf.all.accept_ra", "2").unwrap();
        assert_eq!(t.get("net.ipv6.conf.d1.accept_ra"), Some("0"));
    }

    #[test]
    fn a2_all_pushes_disable_ipv6_and_forwarding() {
        let mut t = SysctlTree::new(true);
        t.create_interface("d1");
        let touched = t.set("net.ipv6.conf.all.disable_ipv6", "1").unwrap();
        assert_eq!(touched, vec!["d1".to_owned()]);
        assert_eq!(t.get("net.ipv6.conf.d1.disable_ipv6"), Some("1"));
        assert_eq!(t.get("net.ipv6.conf.default.disable_ipv6"), Some("1"));
        t.set("net.ipv6.conf.all.forwarding", "1").unwrap();
        assert_eq!(t.get("net.ipv6.conf.d1.forwarding"), Some("1"));
        t.set("net.ipv6.conf.d1.forwarding", "0").unwrap();
        assert_eq!(t.get("net.ipv6.conf.d1.forwarding"), Some("0"));
    }

    #[test]
    fn a6_a20_effective_values() {
        let mut t = SysctlTree::new(true);
        t.create_interface("h0");
        t.set("net.ipv6.conf.all.accept_redirects", "0").unwrap();
        let e = t.effective("h0").unwrap();
        assert!(e.accept_ra && e.accept_redirects && e.autoconf && !e.disabled);
        t.set("net.ipv6.conf.h0.forwarding", "1").unwrap();
        let e = t.effective("h0").unwrap();
        assert!(!e.accept_ra && !e.accept_redirects && e.forwarding);
        t.set("net.ipv6.conf.h0.accept_ra", "2").unwrap();
        assert!(t.effective("h0").unwrap().accept_ra);
    }

    #[test]
    fn kernel_without_ipv6_has_no_tree_and_unknown_interfaces_fail() {
        let mut t = SysctlTree::new(false);
        t.create_interface("eth0");
        assert!(t.set("net.ipv6.conf.all.accept_ra", "1").is_err());
        assert!(t.effective("eth0").unwrap().disabled);
        assert_eq!(t.get("net.ipv6.conf.eth0.accept_ra"), None);
        t.set("net.ipv4.ip_forward", "0").unwrap();
        let mut t = SysctlTree::new(true);
        assert!(t.set("net.ipv6.conf.eth9.accept_ra", "1").is_err());
        t.set("net.ipv6.route.flush", "1").unwrap();
        assert_eq!(t.get("net.ipv6.route.flush"), Some("1"));
        t.create_interface("eth0.100");
        t.set("net.ipv6.conf.eth0/100.accept_ra", "0").unwrap();
        assert_eq!(t.get("net.ipv6.conf.eth0/100.accept_ra"), Some("0"));
    }
}
