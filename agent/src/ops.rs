//! Boot-time operations: what happens to a VM, in order, from kernel start to a configured network.
//!
//! The list is the contract with the simulator and the kernel backend: each op is one thing a real
//! boot does (a NIC appears, `sysctl` writes a key, the agent writes a file, `ip` adds an address).
//! Sysctl keys use Linux's dotted names (`net.ipv6.conf.eth1.accept_ra`) so an applier with a
//! `set(key, value)` that knows the kernel's propagation rules (linux-ipv6.md A1–A2) reproduces the
//! per-interface values a real VM ends with. [`crate::host::apply`] is such an applier.

use crate::addr::{Mac, Prefix};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// Linux's main routing table (`RT_TABLE_MAIN`).
pub const MAIN_TABLE: u32 = 254;

/// Who installed a route, as `ip route` shows it (`proto …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteProto {
    /// `ip route add` without `proto` (ifupdown, the agent's `route add`): RTPROT_BOOT.
    Boot,
    /// systemd-networkd routes: RTPROT_STATIC.
    Static,
    /// Connected routes the kernel adds with an address: RTPROT_KERNEL.
    Kernel,
}

impl fmt::Display for RouteProto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RouteProto::Boot => "boot",
            RouteProto::Static => "static",
            RouteProto::Kernel => "kernel",
        })
    }
}

/// One route.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Route {
    /// Destination (`::/0` for a default route).
    pub dst: Prefix,
    /// Next hop; `None` for a connected route.
    pub gateway: Option<IpAddr>,
    /// Output interface.
    pub dev: String,
    /// Metric: 0 for IPv4 routes added without one; IPv6 user routes get 1024 (IP6_RT_PRIO_USER) and
    /// IPv6 connected routes 256 (IP6_RT_PRIO_ADDRCONF), as the kernel assigns them.
    pub metric: u32,
    /// Routing table ([`MAIN_TABLE`] or a policy table).
    pub table: u32,
    /// Installing protocol.
    pub proto: RouteProto,
}

impl Route {
    /// Whether this route is IPv6.
    pub fn is_ipv6(&self) -> bool {
        self.dst.addr.is_ipv6()
    }
}

impl fmt::Display for Route {
    /// `ip route` style: `default via 10.0.9.1 dev eth0 proto boot metric 0 table 254`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dst.is_default() {
            f.write_str("default")?;
        } else {
            write!(f, "{}", self.dst)?;
        }
        if let Some(gw) = self.gateway {
            write!(f, " via {gw}")?;
        }
        write!(f, " dev {} proto {} metric {}", self.dev, self.proto, self.metric)?;
        if self.table != MAIN_TABLE {
            write!(f, " table {}", self.table)?;
        }
        Ok(())
    }
}

/// One policy-routing rule (`ip rule add from <src> table <t> priority <p>`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Rule {
    /// Rule priority (lower first).
    pub priority: u32,
    /// Source selector.
    pub from: Prefix,
    /// Table to look up.
    pub table: u32,
}

impl fmt::Display for Rule {
    /// `ip rule` style: `100: from 10.0.9.165 lookup 100`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from = if self.from.len == crate::addr::max_len(self.from.addr) {
            self.from.addr.to_string()
        } else {
            self.from.to_string()
        };
        write!(f, "{}: from {} lookup {}", self.priority, from, self.table)
    }
}

/// One boot-time operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op")]
pub enum BootOp {
    /// The kernel command line the VM booted with; `ipv6.disable=1` removes IPv6 from the kernel
    /// altogether (no `net.ipv6` sysctls, no IPv6 addresses) (bosh-networking.md §3).
    KernelCmdline {
        /// Arguments relevant to networking (`ipv6.disable=1`), in command-line order.
        args: Vec<String>,
    },
    /// The kernel created a NIC; it copies `net.ipv6.conf.default.*` at this moment (linux-ipv6.md A1).
    NicCreated {
        /// Interface name.
        name: String,
        /// Its MAC.
        mac: Mac,
    },
    /// `sysctl key=value` (or a write to `/proc/sys/…`). Keys use Linux's dotted names, with dots
    /// inside interface names written as `/` (sysctl(8)). `net.ipv6.route.flush` (in the stemcell
    /// file) is a write-only trigger that flushes the route cache: an applier may accept and ignore it.
    SysctlWrite {
        /// e.g. `net.ipv6.conf.all.accept_ra`.
        key: String,
        /// e.g. `1`.
        value: String,
    },
    /// A configuration file written (whole contents).
    ConfigFileRendered {
        /// Absolute path on the VM.
        path: String,
        /// Exact bytes.
        contents: String,
    },
    /// `ip link set dev <dev> up`.
    LinkUp {
        /// Interface name.
        dev: String,
    },
    /// `ip addr add <addr>/<prefix_len> dev <dev>`; the kernel adds the connected route with it.
    AddressAdded {
        /// Interface name.
        dev: String,
        /// Address.
        addr: IpAddr,
        /// Prefix length.
        prefix_len: u8,
    },
    /// `ip route add …`.
    RouteAdded(Route),
    /// `ip rule add …`.
    RuleAdded(Rule),
    /// The resolver's nameserver list written (resolvconf base file or systemd-resolved drop-in).
    DnsWritten {
        /// Nameservers in order.
        servers: Vec<IpAddr>,
    },
    /// The agent removed an argument from the grub command line for the next boot
    /// (`KernelIPv6Impl.Enable` step 3, bosh-networking.md §1.2).
    GrubCmdlineRewritten {
        /// The removed argument (`ipv6.disable=1`).
        removed: String,
    },
    /// `shutdown -r now`: this boot ends here; the agent blocks until the reboot (§1.2 step 3).
    Reboot,
}

impl fmt::Display for BootOp {
    /// One line per op, shell-like, for `--format ops`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootOp::KernelCmdline { args } if args.is_empty() => {
                f.write_str("kernel cmdline: (no networking arguments)")
            }
            BootOp::KernelCmdline { args } => write!(f, "kernel cmdline: {}", args.join(" ")),
            BootOp::NicCreated { name, mac } => write!(f, "nic created: {name} {mac}"),
            BootOp::SysctlWrite { key, value } => write!(f, "sysctl {key}={value}"),
            BootOp::ConfigFileRendered { path, contents } => {
                write!(f, "write {path} ({} bytes)", contents.len())
            }
            BootOp::LinkUp { dev } => write!(f, "ip link set dev {dev} up"),
            BootOp::AddressAdded { dev, addr, prefix_len } => {
                write!(f, "ip addr add {addr}/{prefix_len} dev {dev}")
            }
            BootOp::RouteAdded(r) => write!(f, "ip route add {r}"),
            BootOp::RuleAdded(r) => {
                write!(
                    f,
                    "ip rule add from {} table {} priority {}",
                    r.from, r.table, r.priority
                )
            }
            BootOp::DnsWritten { servers } => {
                let list: Vec<String> = servers.iter().map(|s| s.to_string()).collect();
                write!(f, "dns: {}", list.join(" "))
            }
            BootOp::GrubCmdlineRewritten { removed } => write!(f, "grub cmdline: remove {removed}"),
            BootOp::Reboot => f.write_str("shutdown -r now"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_round_trip_through_json_with_textual_keys() {
        let ops = vec![
            BootOp::NicCreated {
                name: "eth0".into(),
                mac: "00:50:56:8c:86:a9".parse().unwrap(),
            },
            BootOp::SysctlWrite {
                key: "net.ipv6.conf.all.accept_ra".into(),
                value: "1".into(),
            },
            BootOp::RouteAdded(Route {
                dst: "::/0".parse().unwrap(),
                gateway: Some("2001:db8::1".parse().unwrap()),
                dev: "eth1".into(),
                metric: 1024,
                table: MAIN_TABLE,
                proto: RouteProto::Static,
            }),
            BootOp::Reboot,
        ];
        let json = serde_json::to_string(&ops).unwrap();
        assert!(json.contains(r#""op":"SysctlWrite","key":"net.ipv6.conf.all.accept_ra","value":"1""#));
        assert!(json.contains(r#""dst":"::/0""#), "{json}");
        let back: Vec<BootOp> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ops);
    }

    #[test]
    fn display_is_ip_like() {
        let r = Route {
            dst: "::/0".parse().unwrap(),
            gateway: Some("2001:db8::1".parse().unwrap()),
            dev: "eth1".into(),
            metric: 1024,
            table: 101,
            proto: RouteProto::Static,
        };
        assert_eq!(
            r.to_string(),
            "default via 2001:db8::1 dev eth1 proto static metric 1024 table 101"
        );
        let rule = Rule {
            priority: 1000,
            from: "10.0.9.165/32".parse().unwrap(),
            table: 100,
        };
        assert_eq!(rule.to_string(), "1000: from 10.0.9.165 lookup 100");
    }
}
