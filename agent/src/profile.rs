//! Profiles: which stemcell and agent a VM runs, as data. Each constructor documents the reference
//! sections it follows; [`Overrides`] adapts any profile to a scenario (extra sysctls, another default
//! network, an IPv6 gateway network).

use crate::error::AgentError;
use serde::Serialize;

/// How the agent writes the network configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ConfigEra {
    /// `/etc/network/interfaces` + `ifdown`/`ifup` (agent v2.40–v2.238, bosh-networking.md §1.4).
    Ifupdown,
    /// `/etc/systemd/network/10_<if>.network` + `restart_networking` (agent ≥ v2.239, §1.5).
    Networkd,
}

/// Where the agent writes the nameservers (bosh-networking.md §1.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DnsResolver {
    /// `/etc/resolvconf/resolv.conf.d/base` + `resolvconf -u`.
    Resolvconf,
    /// `/etc/systemd/resolved.conf.d/10-bosh.conf` (agent.json `DNSResolverType: systemd`, Noble).
    SystemdResolved,
}

/// Source-based policy routing: one table per interface, `ip rule from <addr> table N`, so a reply
/// leaves by the interface that owns its source address (the fix for the seed's ssh reset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyRouting {
    /// Table of the first interface (name order); the next interface gets `first_table + 1`, ….
    pub first_table: u32,
    /// Priority of the first rule; following rules count up by one.
    pub first_priority: u32,
}

/// Per-scenario changes to a profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Overrides {
    /// Sysctls written after the agent finished (as a scenario's `sysctl` job would), in order.
    pub extra_sysctls: Vec<(String, String)>,
    /// Network that provides the default gateway instead of the one whose `default` lists `gateway`.
    pub default_gateway_network: Option<String>,
    /// Network that provides the IPv6 default route (`ipv6_gateway`); only profiles with
    /// [`Profile::ipv6_gateway`] honour it.
    pub ipv6_gateway_network: Option<String>,
}

/// A stemcell + agent combination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// Profile name (`trusty-2018`, `jammy`, `noble-poc`, `hardened`).
    pub name: String,
    /// Configuration mechanism.
    pub era: ConfigEra,
    /// Networking-relevant kernel command-line arguments.
    pub kernel_cmdline: Vec<String>,
    /// `/etc/sysctl.d/60-bosh-sysctl.conf`, IPv6 lines in file order (bosh-networking.md §3). The
    /// file's IPv4 lines are left out: no profile differs in them and the agent never touches them.
    pub stemcell_sysctls: Vec<(String, String)>,
    /// The sysctls `KernelIPv6Impl.Enable` runs, in order (§1.2 step 4).
    pub enable_sysctls: Vec<(String, String)>,
    /// Whether `Enable` rewrites `disable_ipv6=1`→`0` in the stemcell file first (agent ≥ v2.727,
    /// PR #347, §1.2 step 1).
    pub rewrites_sysctl_file: bool,
    /// Sysctls the agent writes for every NIC (suffix after `net.ipv6.conf.<if>.`), before bringing
    /// interfaces up. Empty for the real eras.
    pub per_interface_sysctls: Vec<(String, String)>,
    /// Whether IPv6 networks get RAs: `accept_ra 1` in `/etc/network/interfaces` (§1.4) or
    /// `IPv6AcceptRA=true` in networkd files (§1.5); `false` writes `IPv6AcceptRA=false`.
    pub ipv6_accept_ra: bool,
    /// Whether two static networks may share one NIC (one file/stanza with both addresses).
    pub dual_stack_nic: bool,
    /// Whether an `ipv6_gateway` network gives IPv6 its own default route (the seed's proposal).
    pub ipv6_gateway: bool,
    /// Source-based policy routing, if any.
    pub policy_routing: Option<PolicyRouting>,
    /// Resolver flavour.
    pub dns_resolver: DnsResolver,
    /// Scenario overrides.
    pub overrides: Overrides,
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// The stemcell file's IPv6 lines, Trusty through Jammy (bosh-networking.md §3, unchanged since 2019).
const LOCKDOWN_SYSCTLS: &[(&str, &str)] = &[
    ("net.ipv6.conf.all.accept_ra", "0"),
    ("net.ipv6.conf.default.accept_ra", "0"),
    ("net.ipv6.conf.all.disable_ipv6", "1"),
    ("net.ipv6.conf.default.disable_ipv6", "1"),
    ("net.ipv6.conf.default.accept_redirects", "0"),
    ("net.ipv6.conf.all.accept_redirects", "0"),
    ("net.ipv6.route.flush", "1"),
];

/// `KernelIPv6Impl.Enable`'s four sysctls, in the order its test asserts (bosh-networking.md §1.2).
const ENABLE_SYSCTLS: &[(&str, &str)] = &[
    ("net.ipv6.conf.all.accept_ra", "1"),
    ("net.ipv6.conf.default.accept_ra", "1"),
    ("net.ipv6.conf.all.disable_ipv6", "0"),
    ("net.ipv6.conf.default.disable_ipv6", "0"),
];

impl Profile {
    /// The seed's world (January 2018): Trusty stemcell 3468.x with agent v2.40+.
    ///
    /// - Stemcell sysctls: RAs, redirects and IPv6 off for `all`/`default` (bosh-networking.md §3).
    ///   The NICs exist before `sysctl --system` runs, so they keep the kernel defaults
    ///   (`accept_ra=1`, `accept_redirects=1`, linux-ipv6.md A1) except `disable_ipv6`, which `all`
    ///   pushes down (A2). This is why the seed's IPv4 NIC picks up a SLAAC address.
    /// - Agent `Enable`: `all`/`default` `accept_ra=1`, `disable_ipv6=0` (§1.2; the seed's Router
    ///   Advertisements footnote links these lines). No sysctl-file rewrite (that came in v2.727).
    /// - No `ipv6.disable=1` on the command line: the reference does not say whether 3468.x had it;
    ///   if it did, the first boot ended in a reboot and the second boot is this list (\[inference\]).
    /// - `/etc/network/interfaces` with `accept_ra 1` (§1.4); exactly one default gateway (§1.6);
    ///   no dual-stack on one NIC (the seed's "why not dual stack?" footnote).
    pub fn trusty_2018() -> Profile {
        Profile {
            name: "trusty-2018".into(),
            era: ConfigEra::Ifupdown,
            kernel_cmdline: Vec::new(),
            stemcell_sysctls: kv(LOCKDOWN_SYSCTLS),
            enable_sysctls: kv(ENABLE_SYSCTLS),
            rewrites_sysctl_file: false,
            per_interface_sysctls: Vec::new(),
            ipv6_accept_ra: true,
            dual_stack_nic: false,
            ipv6_gateway: false,
            policy_routing: None,
            dns_resolver: DnsResolver::Resolvconf,
            overrides: Overrides::default(),
        }
    }

    /// The current Jammy stemcell with the current agent.
    ///
    /// - Lockdown: the same sysctl file (`disable_ipv6=1`, `accept_ra=0`, `accept_redirects=0`) and
    ///   `ipv6.disable=1` in `GRUB_CMDLINE_LINUX` (bosh-networking.md §3).
    /// - Agent `Enable` with an IPv6 network: rewrites the sysctl file (PR #347), finds
    ///   `ipv6.disable=1` in grub, removes it and reboots, running no sysctls (§1.2 step 3). The first
    ///   boot therefore ends with IPv6 absent; [`Profile::after_reboot`] gives the second boot.
    /// - systemd-networkd files with `IPv6AcceptRA=true` on IPv6 networks (§1.5).
    pub fn jammy() -> Profile {
        Profile {
            name: "jammy".into(),
            era: ConfigEra::Networkd,
            kernel_cmdline: vec!["ipv6.disable=1".into()],
            rewrites_sysctl_file: true,
            ..Profile::trusty_2018()
        }
    }

    /// The Noble proof of concept (branch `ubuntu_noble_poc`, commit 139fb680e, bosh-networking.md §3):
    /// every IPv6 lockdown removed (`accept_ra=1`, `disable_ipv6=0`, `accept_redirects=1`,
    /// `route.flush=0`, no `ipv6.disable=1`), systemd-networkd files, systemd-resolved DNS (§1.6).
    pub fn noble_poc() -> Profile {
        Profile {
            name: "noble-poc".into(),
            kernel_cmdline: Vec::new(),
            stemcell_sysctls: kv(&[
                ("net.ipv6.conf.all.accept_ra", "1"),
                ("net.ipv6.conf.default.accept_ra", "1"),
                ("net.ipv6.conf.all.disable_ipv6", "0"),
                ("net.ipv6.conf.default.disable_ipv6", "0"),
                ("net.ipv6.conf.default.accept_redirects", "1"),
                ("net.ipv6.conf.all.accept_redirects", "1"),
                ("net.ipv6.route.flush", "0"),
            ]),
            dns_resolver: DnsResolver::SystemdResolved,
            ..Profile::jammy()
        }
    }

    /// What the seed proposes and what we recommend.
    ///
    /// - RAs and redirects off on every interface: `all`/`default` in the stemcell file and, because
    ///   `all.accept_ra`/`all.accept_redirects` never reach existing NICs (linux-ipv6.md A1, A20), the
    ///   agent writes `accept_ra=0`, `accept_redirects=0`, `autoconf=0` for each NIC by name. The seed's
    ///   Router Advertisements footnote plans exactly this ("disable the acceptance of … router
    ///   advertisements", "Similarly, we plan to disable ICMPv6 Redirects").
    /// - IPv6 enabled without RAs: `Enable` writes only `disable_ipv6=0`; networkd files carry
    ///   `IPv6AcceptRA=false`.
    /// - `ipv6_gateway`: the network named by [`Overrides::ipv6_gateway_network`] (or whose `default`
    ///   lists `ipv6_gateway`) installs the IPv6 default route, so each family has its own (the seed's
    ///   Routing footnote: "Most non-BOSH-deployed machines … have two default routes").
    /// - Source-based policy routing, tables 100+, rule priorities 1000+.
    /// - Dual-stack on one NIC: static networks sharing a MAC are grouped (as agent PR #470 does).
    pub fn hardened() -> Profile {
        Profile {
            name: "hardened".into(),
            era: ConfigEra::Networkd,
            kernel_cmdline: Vec::new(),
            stemcell_sysctls: kv(&[
                ("net.ipv6.conf.all.accept_ra", "0"),
                ("net.ipv6.conf.default.accept_ra", "0"),
                ("net.ipv6.conf.all.disable_ipv6", "0"),
                ("net.ipv6.conf.default.disable_ipv6", "0"),
                ("net.ipv6.conf.default.accept_redirects", "0"),
                ("net.ipv6.conf.all.accept_redirects", "0"),
                ("net.ipv6.conf.default.autoconf", "0"),
                ("net.ipv6.route.flush", "1"),
            ]),
            enable_sysctls: kv(&[
                ("net.ipv6.conf.all.disable_ipv6", "0"),
                ("net.ipv6.conf.default.disable_ipv6", "0"),
            ]),
            rewrites_sysctl_file: false,
            per_interface_sysctls: kv(&[("accept_ra", "0"), ("accept_redirects", "0"), ("autoconf", "0")]),
            ipv6_accept_ra: false,
            dual_stack_nic: true,
            ipv6_gateway: true,
            policy_routing: Some(PolicyRouting {
                first_table: 100,
                first_priority: 1000,
            }),
            dns_resolver: DnsResolver::Resolvconf,
            overrides: Overrides::default(),
        }
    }

    /// All profile names, in a stable order.
    pub const NAMES: [&'static str; 4] = ["trusty-2018", "jammy", "noble-poc", "hardened"];

    /// The profile called `name`.
    pub fn by_name(name: &str) -> Result<Profile, AgentError> {
        match name {
            "trusty-2018" => Ok(Profile::trusty_2018()),
            "jammy" => Ok(Profile::jammy()),
            "noble-poc" => Ok(Profile::noble_poc()),
            "hardened" => Ok(Profile::hardened()),
            other => Err(AgentError::UnknownProfile(other.to_owned())),
        }
    }

    /// This profile with scenario overrides.
    pub fn with_overrides(mut self, overrides: Overrides) -> Profile {
        self.overrides = overrides;
        self
    }

    /// Whether the kernel boots without IPv6 (`ipv6.disable=1`).
    pub fn kernel_ipv6_disabled(&self) -> bool {
        self.kernel_cmdline.iter().any(|a| a == "ipv6.disable=1")
    }

    /// The profile of the next boot after the agent's IPv6 `Enable` rebooted: `ipv6.disable=1` gone
    /// from grub and, for agents with PR #347, `disable_ipv6=1`→`0` in the stemcell file
    /// (bosh-networking.md §1.2 steps 1 and 3).
    pub fn after_reboot(&self) -> Profile {
        let mut next = self.clone();
        next.kernel_cmdline.retain(|a| a != "ipv6.disable=1");
        if self.rewrites_sysctl_file {
            next.stemcell_sysctls = rewritten_sysctl_file(&self.stemcell_sysctls);
        }
        next
    }
}

/// The stemcell file after `Enable` step 1: only the `all` and `default` `disable_ipv6=1` lines become
/// `=0`; `accept_ra=0` and `accept_redirects=0` stay (bosh-networking.md §1.2).
pub(crate) fn rewritten_sysctl_file(lines: &[(String, String)]) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|(k, v)| {
            let flip = v == "1" && (k == "net.ipv6.conf.all.disable_ipv6" || k == "net.ipv6.conf.default.disable_ipv6");
            (k.clone(), if flip { "0".to_owned() } else { v.clone() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_and_unknown_is_an_error() {
        for n in Profile::NAMES {
            assert_eq!(Profile::by_name(n).unwrap().name, n);
        }
        assert_eq!(
            Profile::by_name("xenial"),
            Err(AgentError::UnknownProfile("xenial".into()))
        );
    }

    #[test]
    fn jammy_after_reboot_has_ipv6_in_kernel_and_file_but_keeps_ra_off() {
        let j = Profile::jammy();
        assert!(j.kernel_ipv6_disabled());
        let next = j.after_reboot();
        assert!(!next.kernel_ipv6_disabled());
        let get = |k: &str| {
            next.stemcell_sysctls
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("net.ipv6.conf.all.disable_ipv6"), Some("0"));
        assert_eq!(get("net.ipv6.conf.default.disable_ipv6"), Some("0"));
        assert_eq!(get("net.ipv6.conf.all.accept_ra"), Some("0"));
        // Trusty's agent predates PR #347: the file is left alone.
        assert_eq!(Profile::trusty_2018().after_reboot(), Profile::trusty_2018());
    }
}
