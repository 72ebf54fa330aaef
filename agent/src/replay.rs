//! Replaying a boot's operations into anything that can take them: the simulator's host, the
//! kernel backend, or [`crate::host::HostConfig`].
//!
//! Implement [`BootTarget`] (only the methods that matter to you: files, DNS and grub have no-op
//! defaults) and call [`replay`]. Each method returns the error text the real tool would print;
//! a refused op is recorded and the replay goes on, as a boot script with `|| true` would. After
//! [`BootOp::Reboot`] nothing else runs (the agent blocks until the reboot, bosh-networking.md §1.2).

use crate::addr::Mac;
use crate::ops::{BootOp, Route, Rule};
use serde::Serialize;
use std::net::IpAddr;

/// Something a boot can be applied to. Sysctl keys are Linux's dotted names; the target applies
/// them with its own propagation rules (linux-ipv6.md A1–A2).
pub trait BootTarget {
    /// The kernel starts with these networking arguments (`ipv6.disable=1`).
    fn kernel_cmdline(&mut self, args: &[String]) -> Result<(), String>;
    /// A NIC appears; it copies `net.ipv6.conf.default.*` now.
    fn nic_created(&mut self, name: &str, mac: Mac) -> Result<(), String>;
    /// `sysctl key=value`.
    fn sysctl_write(&mut self, key: &str, value: &str) -> Result<(), String>;
    /// A file is written.
    fn file_written(&mut self, path: &str, contents: &str) -> Result<(), String> {
        let _ = (path, contents);
        Ok(())
    }
    /// `ip link set dev <dev> up`.
    fn link_up(&mut self, dev: &str) -> Result<(), String>;
    /// `ip addr add <addr>/<prefix_len> dev <dev>` (the kernel adds the connected route).
    fn address_added(&mut self, dev: &str, addr: IpAddr, prefix_len: u8) -> Result<(), String>;
    /// `ip route add …`.
    fn route_added(&mut self, route: &Route) -> Result<(), String>;
    /// `ip rule add …`.
    fn rule_added(&mut self, rule: &Rule) -> Result<(), String>;
    /// The resolver's nameservers.
    fn dns_written(&mut self, servers: &[IpAddr]) -> Result<(), String> {
        let _ = servers;
        Ok(())
    }
    /// An argument removed from grub for the next boot.
    fn grub_cmdline_rewritten(&mut self, removed: &str) -> Result<(), String> {
        let _ = removed;
        Ok(())
    }
    /// `shutdown -r now`.
    fn reboot(&mut self) -> Result<(), String>;
}

/// An op the target refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpFailure {
    /// Index into the op list.
    pub index: usize,
    /// The op, as `--format ops` prints it.
    pub op: String,
    /// The error the tool would print.
    pub reason: String,
}

/// Applies `ops` in order to `target`; returns the refused ops.
pub fn replay<T: BootTarget + ?Sized>(ops: &[BootOp], target: &mut T) -> Vec<OpFailure> {
    let mut failures = Vec::new();
    let mut rebooted = false;
    for (index, op) in ops.iter().enumerate() {
        let result = if rebooted {
            Err("the host is rebooting".to_owned())
        } else {
            dispatch(op, target)
        };
        if let Err(reason) = result {
            failures.push(OpFailure {
                index,
                op: op.to_string(),
                reason,
            });
        }
        rebooted |= *op == BootOp::Reboot;
    }
    failures
}

fn dispatch<T: BootTarget + ?Sized>(op: &BootOp, t: &mut T) -> Result<(), String> {
    match op {
        BootOp::KernelCmdline { args } => t.kernel_cmdline(args),
        BootOp::NicCreated { name, mac } => t.nic_created(name, *mac),
        BootOp::SysctlWrite { key, value } => t.sysctl_write(key, value),
        BootOp::ConfigFileRendered { path, contents } => t.file_written(path, contents),
        BootOp::LinkUp { dev } => t.link_up(dev),
        BootOp::AddressAdded { dev, addr, prefix_len } => t.address_added(dev, *addr, *prefix_len),
        BootOp::RouteAdded(r) => t.route_added(r),
        BootOp::RuleAdded(r) => t.rule_added(r),
        BootOp::DnsWritten { servers } => t.dns_written(servers),
        BootOp::GrubCmdlineRewritten { removed } => t.grub_cmdline_rewritten(removed),
        BootOp::Reboot => t.reboot(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A target that only logs, to show the minimal implementation and check dispatch order.
    #[derive(Default)]
    struct Log(Vec<String>);

    impl BootTarget for Log {
        fn kernel_cmdline(&mut self, args: &[String]) -> Result<(), String> {
            self.0.push(format!("cmdline {}", args.len()));
            Ok(())
        }
        fn nic_created(&mut self, name: &str, _mac: Mac) -> Result<(), String> {
            self.0.push(format!("nic {name}"));
            Ok(())
        }
        fn sysctl_write(&mut self, key: &str, value: &str) -> Result<(), String> {
            if key.contains("eth9") {
                return Err("no such interface".into());
            }
            self.0.push(format!("{key}={value}"));
            Ok(())
        }
        fn link_up(&mut self, dev: &str) -> Result<(), String> {
            self.0.push(format!("up {dev}"));
            Ok(())
        }
        fn address_added(&mut self, dev: &str, addr: IpAddr, len: u8) -> Result<(), String> {
            self.0.push(format!("addr {dev} {addr}/{len}"));
            Ok(())
        }
        fn route_added(&mut self, route: &Route) -> Result<(), String> {
            self.0.push(format!("route {route}"));
            Ok(())
        }
        fn rule_added(&mut self, rule: &Rule) -> Result<(), String> {
            self.0.push(format!("rule {rule}"));
            Ok(())
        }
        fn reboot(&mut self) -> Result<(), String> {
            self.0.push("reboot".into());
            Ok(())
        }
    }

    #[test]
    fn replays_in_order_records_refusals_and_stops_at_reboot() {
        let ops = vec![
            BootOp::KernelCmdline { args: vec![] },
            BootOp::NicCreated {
                name: "eth0".into(),
                mac: Mac([2, 0, 0, 0, 0, 1]),
            },
            BootOp::SysctlWrite {
                key: "net.ipv6.conf.eth9.accept_ra".into(),
                value: "0".into(),
            },
            BootOp::ConfigFileRendered {
                path: "/x".into(),
                contents: String::new(),
            },
            BootOp::LinkUp { dev: "eth0".into() },
            BootOp::Reboot,
            BootOp::LinkUp { dev: "eth0".into() },
        ];
        let mut log = Log::default();
        let failures = replay(&ops, &mut log);
        assert_eq!(log.0, ["cmdline 0", "nic eth0", "up eth0", "reboot"]);
        let idx: Vec<usize> = failures.iter().map(|f| f.index).collect();
        assert_eq!(idx, [2, 6]);
        assert_eq!(failures[1].reason, "the host is rebooting");
    }
}
