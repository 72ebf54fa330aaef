//! The planner: settings + the VM's NICs + a profile → the ordered boot-time operations.
//!
//! Order of a boot, as on a real VM:
//! 1. The kernel starts with its command line and enumerates the NICs (the NIC drivers load from
//!    the initramfs, before userspace): each NIC copies the kernel's `default` sysctls.
//! 2. `sysctl --system` applies the stemcell's `60-bosh-sysctl.conf` (bosh-networking.md §3).
//! 3. The agent reads its settings. With an IPv6 network it runs `KernelIPv6Impl.Enable` (§1.2),
//!    which may end the boot in a reboot.
//! 4. The agent writes the network files and restarts networking (§1.4 ifupdown / §1.5 networkd):
//!    each interface comes up with its addresses and routes, in name order.
//! 5. The agent writes DNS (§1.6).
//! 6. Scenario overrides (extra sysctls) run last, as a `sysctl` job would.

use crate::addr::Prefix;
use crate::error::AgentError;
use crate::layout::{layout, ConfigKind, InterfaceConfig, Layout, Nic};
use crate::ops::{BootOp, Route, RouteProto, MAIN_TABLE};
use crate::policy::{for_dev, policy_tables, user_metric, InterfacePolicy};
use crate::profile::{rewritten_sysctl_file, ConfigEra, DnsResolver, Profile};
use crate::render::{
    accept_ra_interface, networkd_path, render_interfaces, render_networkd, render_resolv_conf, render_resolved_dropin,
    render_sysctl, INTERFACES_PATH, RESOLVCONF_BASE_PATH, RESOLVED_DROPIN_PATH, SYSCTL_PATH,
};
use crate::settings::Settings;
use serde::Serialize;

/// The result of planning one boot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BootPlan {
    /// Profile name.
    pub profile: String,
    /// Where each network went.
    pub layout: Layout,
    /// The operations, in order.
    pub ops: Vec<BootOp>,
}

impl BootPlan {
    /// Whether this boot ends in a reboot (the agent enabled IPv6 in grub).
    pub fn reboots(&self) -> bool {
        self.ops.last() == Some(&BootOp::Reboot)
    }

    /// The contents of the file written at `path`, last write wins.
    pub fn file(&self, path: &str) -> Option<&str> {
        self.ops.iter().rev().find_map(|op| match op {
            BootOp::ConfigFileRendered { path: p, contents } if p == path => Some(contents.as_str()),
            _ => None,
        })
    }
}

/// Plans one boot of a VM with `nics` receiving `settings`, under `profile`.
pub fn plan(settings: &Settings, nics: &[Nic], profile: &Profile) -> Result<BootPlan, AgentError> {
    let layout = layout(settings, nics, profile)?;
    let mut ops = Vec::new();

    ops.push(BootOp::KernelCmdline {
        args: profile.kernel_cmdline.clone(),
    });
    let mut sorted: Vec<&Nic> = nics.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for nic in &sorted {
        ops.push(BootOp::NicCreated {
            name: nic.name.clone(),
            mac: nic.mac,
        });
    }

    ops.push(BootOp::ConfigFileRendered {
        path: SYSCTL_PATH.into(),
        contents: render_sysctl(&profile.stemcell_sysctls),
    });
    push_sysctls(&mut ops, &profile.stemcell_sysctls);

    if needs_ipv6(&layout, profile) && enable_ipv6(&mut ops, profile) == Enable::Rebooting {
        return Ok(BootPlan {
            profile: profile.name.clone(),
            layout,
            ops,
        });
    }
    for nic in &sorted {
        for (suffix, value) in &profile.per_interface_sysctls {
            ops.push(sysctl(
                &format!("net.ipv6.conf.{}.{suffix}", sysctl_name(&nic.name)),
                value,
            ));
        }
    }

    let tables = policy_tables(&layout, profile);
    match profile.era {
        ConfigEra::Ifupdown => ops.push(BootOp::ConfigFileRendered {
            path: INTERFACES_PATH.into(),
            contents: render_interfaces(&layout),
        }),
        ConfigEra::Networkd => {
            for iface in &layout.interfaces {
                ops.push(BootOp::ConfigFileRendered {
                    path: networkd_path(&iface.name),
                    contents: render_networkd(iface, &layout, profile, for_dev(&tables, &iface.name)),
                });
            }
        }
    }
    let ra_iface = accept_ra_interface(&layout);
    for iface in bring_up_order(&layout, profile) {
        bring_up(&mut ops, iface, profile, ra_iface, for_dev(&tables, &iface.name));
    }

    write_dns(&mut ops, &layout, profile);
    push_sysctls(&mut ops, &profile.overrides.extra_sysctls);
    Ok(BootPlan {
        profile: profile.name.clone(),
        layout,
        ops,
    })
}

/// ifupdown era: `ifup --force <ifs…>` with DHCP interfaces first, then static ones, each by name
/// (`ifaceNames`, bosh-networking.md §1.4). networkd brings links up independently: name order.
fn bring_up_order<'a>(layout: &'a Layout, profile: &Profile) -> Vec<&'a InterfaceConfig> {
    let mut order: Vec<&InterfaceConfig> = layout.interfaces.iter().collect();
    if profile.era == ConfigEra::Ifupdown {
        order.sort_by_key(|i| i.kind != ConfigKind::Dhcp);
    }
    order
}

/// The agent calls `Enable` if any static config is IPv6 or (networkd era, v2.760+) any DHCP
/// config is (bosh-networking.md §1.2 "When is Enable called?").
fn needs_ipv6(layout: &Layout, profile: &Profile) -> bool {
    layout.interfaces.iter().any(|i| match i.kind {
        ConfigKind::Static => i.has_ipv6(),
        ConfigKind::Dhcp => profile.era == ConfigEra::Networkd && i.has_ipv6(),
    })
}

#[derive(PartialEq, Eq)]
enum Enable {
    Done,
    Rebooting,
}

/// `KernelIPv6Impl.Enable` (bosh-networking.md §1.2): maybe rewrite the sysctl file, then either
/// remove `ipv6.disable=1` from grub and reboot, or run the sysctls.
fn enable_ipv6(ops: &mut Vec<BootOp>, profile: &Profile) -> Enable {
    let disabled_in_file = profile
        .stemcell_sysctls
        .iter()
        .any(|(k, v)| k == "net.ipv6.conf.all.disable_ipv6" && v == "1");
    if profile.rewrites_sysctl_file && disabled_in_file {
        ops.push(BootOp::ConfigFileRendered {
            path: SYSCTL_PATH.into(),
            contents: render_sysctl(&rewritten_sysctl_file(&profile.stemcell_sysctls)),
        });
    }
    if profile.kernel_ipv6_disabled() {
        ops.push(BootOp::GrubCmdlineRewritten {
            removed: "ipv6.disable=1".into(),
        });
        ops.push(BootOp::Reboot);
        return Enable::Rebooting;
    }
    push_sysctls(ops, &profile.enable_sysctls);
    Enable::Done
}

/// `ifup` / networkd bringing one interface up: RA setting, link, addresses, default routes, CPI
/// routes, then the policy table and rules.
fn bring_up(
    ops: &mut Vec<BootOp>,
    iface: &InterfaceConfig,
    profile: &Profile,
    ifupdown_ra_iface: Option<&str>,
    policy: Option<&InterfacePolicy>,
) {
    let dev = iface.name.clone();
    match profile.era {
        // ifupdown's inet6 `accept_ra` option writes the interface's sysctl (only the stanza the
        // trailing `accept_ra 1` lands in, see render::accept_ra_interface).
        ConfigEra::Ifupdown => {
            if ifupdown_ra_iface == Some(dev.as_str()) {
                ops.push(sysctl(&format!("net.ipv6.conf.{}.accept_ra", sysctl_name(&dev)), "1"));
            }
        }
        // networkd runs its own RA client on every link it manages unless `IPv6AcceptRA=false`
        // (unset means "accept unless forwarding", systemd `network_adjust_ipv6_accept_ra`), and
        // tells the kernel accept_ra=0. The simulator has no userspace RA client, so the op states
        // the net effect on the interface: RAs processed (1) or not (0).
        // Without IPv6 in the kernel networkd does neither (`socket_ipv6_is_supported()`).
        ConfigEra::Networkd => {
            if !profile.kernel_ipv6_disabled() {
                let v = if profile.ipv6_accept_ra { "1" } else { "0" };
                ops.push(sysctl(&format!("net.ipv6.conf.{}.accept_ra", sysctl_name(&dev)), v));
            }
        }
    }
    ops.push(BootOp::LinkUp { dev: dev.clone() });
    if iface.kind == ConfigKind::Dhcp {
        return; // The lease (address, routes) is a runtime event.
    }
    let proto = match profile.era {
        ConfigEra::Ifupdown => RouteProto::Boot,
        ConfigEra::Networkd => RouteProto::Static,
    };
    for a in &iface.networks {
        let (Some(ip), Some(mask)) = (a.ip(), a.network.netmask.as_ref()) else {
            continue;
        };
        ops.push(BootOp::AddressAdded {
            dev: dev.clone(),
            addr: ip.addr,
            prefix_len: mask.len,
        });
    }
    for a in iface.networks.iter().filter(|a| a.default_route) {
        let Some(gw) = a.network.gateway.as_ref() else { continue };
        let v6 = gw.addr.is_ipv6();
        ops.push(BootOp::RouteAdded(Route {
            dst: Prefix::default_for(v6),
            gateway: Some(gw.addr),
            dev: dev.clone(),
            metric: user_metric(v6),
            table: MAIN_TABLE,
            proto,
        }));
    }
    for a in &iface.networks {
        for r in &a.network.routes {
            let v6 = r.destination.addr.is_ipv6();
            ops.push(BootOp::RouteAdded(Route {
                dst: r.prefix(),
                gateway: Some(r.gateway.addr),
                dev: dev.clone(),
                metric: user_metric(v6),
                table: MAIN_TABLE,
                proto,
            }));
        }
    }
    if let Some(p) = policy {
        ops.extend(p.routes.iter().cloned().map(BootOp::RouteAdded));
        ops.extend(p.rules.iter().cloned().map(BootOp::RuleAdded));
    }
}

/// `SetupDNS`: the resolver file and the nameserver list; nothing when the list is empty (the
/// resolvconf flavour then keeps the image's resolv.conf, §1.6).
fn write_dns(ops: &mut Vec<BootOp>, layout: &Layout, profile: &Profile) {
    if layout.dns.is_empty() {
        return;
    }
    let (path, contents) = match profile.dns_resolver {
        DnsResolver::Resolvconf => (RESOLVCONF_BASE_PATH, render_resolv_conf(&layout.dns)),
        DnsResolver::SystemdResolved => (RESOLVED_DROPIN_PATH, render_resolved_dropin(&layout.dns)),
    };
    ops.push(BootOp::ConfigFileRendered {
        path: path.into(),
        contents,
    });
    ops.push(BootOp::DnsWritten {
        servers: layout.dns.iter().map(|d| d.addr).collect(),
    });
}

fn push_sysctls(ops: &mut Vec<BootOp>, lines: &[(String, String)]) {
    ops.extend(lines.iter().map(|(k, v)| sysctl(k, v)));
}

fn sysctl(key: &str, value: &str) -> BootOp {
    BootOp::SysctlWrite {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

/// sysctl(8) spells dots inside an interface name as slashes (`eth0.100` → `eth0/100`).
fn sysctl_name(ifname: &str) -> String {
    ifname.replace('.', "/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::parse_nics;

    const SEED: &str = r#"{
      "default": {"type": "manual", "ip": "10.0.9.165", "netmask": "255.255.255.0", "gateway": "10.0.9.1",
                  "dns": ["10.0.9.1"], "mac": "00:50:56:8c:86:a9"},
      "ipv6": {"type": "manual", "ip": "2601:0646:0100:69f1:0000:0000:0000:0165",
               "netmask": "ffff:ffff:ffff:ffff:0000:0000:0000:0000",
               "gateway": "2601:0646:0100:69f1:020d:b9ff:fe48:9249",
               "dns": ["2001:4860:4860:0000:0000:0000:0000:8888"], "default": ["dns", "gateway"],
               "mac": "00:50:56:8c:00:02"}}"#;

    fn seed() -> (Settings, Vec<Nic>) {
        (
            Settings::from_json(SEED).unwrap(),
            parse_nics("eth0=00:50:56:8c:86:a9,eth1=00:50:56:8c:00:02").unwrap(),
        )
    }

    #[test]
    fn trusty_enables_ipv6_with_the_four_sysctls_in_order() {
        let (s, n) = seed();
        let p = plan(&s, &n, &Profile::trusty_2018()).unwrap();
        let lines: Vec<String> = p.ops.iter().map(|o| o.to_string()).collect();
        let start = lines.iter().position(|l| l == "sysctl net.ipv6.route.flush=1").unwrap() + 1;
        assert_eq!(
            &lines[start..start + 4],
            &[
                "sysctl net.ipv6.conf.all.accept_ra=1",
                "sysctl net.ipv6.conf.default.accept_ra=1",
                "sysctl net.ipv6.conf.all.disable_ipv6=0",
                "sysctl net.ipv6.conf.default.disable_ipv6=0",
            ]
        );
        assert!(!p.reboots());
        assert!(lines.contains(&"sysctl net.ipv6.conf.eth1.accept_ra=1".to_owned()));
    }

    #[test]
    fn jammy_first_boot_rewrites_file_and_grub_then_reboots_without_sysctls() {
        let (s, n) = seed();
        let p = plan(&s, &n, &Profile::jammy()).unwrap();
        assert!(p.reboots());
        let n_ops = p.ops.len();
        assert_eq!(
            p.ops[n_ops - 2],
            BootOp::GrubCmdlineRewritten {
                removed: "ipv6.disable=1".into()
            }
        );
        let file = p.file(SYSCTL_PATH).unwrap();
        assert!(file.contains("net.ipv6.conf.all.disable_ipv6=0\n"));
        assert!(file.contains("net.ipv6.conf.all.accept_ra=0\n"));
        assert!(!p
            .ops
            .iter()
            .any(|o| matches!(o, BootOp::ConfigFileRendered { path, .. } if path.contains("systemd/network"))));
    }

    #[test]
    fn ipv4_only_vm_never_calls_enable() {
        let s = Settings::from_json(
            r#"{"n": {"ip": "10.0.0.5", "netmask": "255.255.255.0", "gateway": "10.0.0.1",
                      "default": ["dns", "gateway"], "mac": "00:50:56:00:00:01"}}"#,
        )
        .unwrap();
        let n = parse_nics("eth0=00:50:56:00:00:01").unwrap();
        let p = plan(&s, &n, &Profile::jammy()).unwrap();
        assert!(!p.reboots());
        assert!(p.file(&networkd_path("eth0")).is_some());
        // Stemcell file writes fail (no net.ipv6), and neither Enable nor networkd touch accept_ra.
        assert!(!p.ops.iter().any(|o| o.to_string().contains("accept_ra=1")));
        assert!(!p.ops.iter().any(|o| o.to_string().contains("eth0.accept_ra")));
    }

    #[test]
    fn overrides_run_last_and_move_the_gateway() {
        let (s, n) = seed();
        let profile = Profile::noble_poc().with_overrides(crate::profile::Overrides {
            extra_sysctls: vec![("net.ipv6.conf.eth0.accept_ra".into(), "0".into())],
            default_gateway_network: Some("default".into()),
            ipv6_gateway_network: None,
        });
        let p = plan(&s, &n, &profile).unwrap();
        assert_eq!(
            p.ops.last().unwrap().to_string(),
            "sysctl net.ipv6.conf.eth0.accept_ra=0"
        );
        let defaults: Vec<String> = p
            .ops
            .iter()
            .filter_map(|o| match o {
                BootOp::RouteAdded(r) if r.dst.is_default() => Some(r.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(defaults, vec!["default via 10.0.9.1 dev eth0 proto static metric 0"]);
    }
}
