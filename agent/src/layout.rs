//! Which network goes on which NIC, and which networks provide the default route and DNS.
//!
//! Follows the agent's `CreateInterfaceConfigurations` (bosh-networking.md §1.3) and default selection
//! (§1.6), with the profile's extensions (dual-stack NIC, `ipv6_gateway`) and overrides.

use crate::addr::Mac;
use crate::error::{family_name, AgentError};
use crate::profile::Profile;
use crate::settings::{IpText, Network, Settings};
use serde::Serialize;

/// One NIC of the VM as the kernel names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Nic {
    /// Interface name (`eth0`).
    pub name: String,
    /// Hardware address.
    pub mac: Mac,
}

/// Parses `eth0=00:50:56:aa:bb:cc,eth1=…` (the CLI's `--nics`). Names and MACs must be unique.
pub fn parse_nics(spec: &str) -> Result<Vec<Nic>, AgentError> {
    let mut nics: Vec<Nic> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, mac) = item
            .split_once('=')
            .ok_or_else(|| AgentError::NicList(format!("'{item}' is not NAME=MAC")))?;
        let name = name.trim();
        if name.is_empty() || name.contains('/') || name.chars().any(char::is_whitespace) {
            return Err(AgentError::NicList(format!("'{name}' is not an interface name")));
        }
        let mac: Mac = mac.trim().parse().map_err(|e| AgentError::NicList(format!("{e}")))?;
        if let Some(dup) = nics.iter().find(|n| n.name == name || n.mac == mac) {
            return Err(AgentError::NicList(format!(
                "'{item}' repeats {}={}",
                dup.name, dup.mac
            )));
        }
        nics.push(Nic {
            name: name.to_owned(),
            mac,
        });
    }
    if nics.is_empty() {
        return Err(AgentError::NicList("no NICs given".into()));
    }
    Ok(nics)
}

/// How an interface is configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ConfigKind {
    /// Addresses from the settings.
    Static,
    /// DHCP (no network matched, or the network asks for it).
    Dhcp,
}

/// A network placed on an interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assigned {
    /// The network's settings.
    pub network: Network,
    /// Whether this network installs the default route of its family.
    pub default_route: bool,
}

impl Assigned {
    /// The address (static configs always have one).
    pub fn ip(&self) -> Option<&IpText> {
        self.network.ip.as_ref()
    }
}

/// One interface's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InterfaceConfig {
    /// Interface name.
    pub name: String,
    /// Its MAC.
    pub mac: Mac,
    /// Static or DHCP.
    pub kind: ConfigKind,
    /// Networks on it, in name order (empty for an unmatched NIC, which gets DHCP).
    pub networks: Vec<Assigned>,
}

impl InterfaceConfig {
    /// Whether any network on this interface is IPv6 (`IsVersion6` / `HasVersion6`).
    pub fn has_ipv6(&self) -> bool {
        self.networks.iter().any(|a| a.network.is_ipv6())
    }

    /// Whether some network here installs a default route.
    pub fn is_default_gateway(&self) -> bool {
        self.networks.iter().any(|a| a.default_route)
    }
}

/// The whole placement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Layout {
    /// Interfaces in name order (the agent sorts configs by name, §1.4).
    pub interfaces: Vec<InterfaceConfig>,
    /// Nameservers of the DNS-default network, as given.
    pub dns: Vec<IpText>,
    /// Network providing the default gateway, if any.
    pub gateway_network: Option<String>,
    /// Network providing the IPv6 default route under `ipv6_gateway`, if any.
    pub ipv6_gateway_network: Option<String>,
    /// Networks the agent skips: no MAC in a multi-network VM (§1.3), or VIP.
    pub ignored_networks: Vec<String>,
}

/// Places the settings' networks on the VM's NICs for `profile`.
pub fn layout(settings: &Settings, nics: &[Nic], profile: &Profile) -> Result<Layout, AgentError> {
    let nets: Vec<&Network> = settings.networks.iter().filter(|n| !n.is_vip()).collect();
    let gateway_network = gateway_network(&nets, profile)?;
    let ipv6_gateway_network = ipv6_gateway_network(&nets, profile, gateway_network.as_deref())?;
    let dns = dns_servers(&nets);

    let mut sorted: Vec<&Nic> = nics.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));

    let mut ignored: Vec<String> = settings
        .networks
        .iter()
        .filter(|n| n.is_vip())
        .map(|n| n.name.clone())
        .collect();
    // Special case: one network without a MAC and one NIC → bound to it (§1.3).
    let single = nets.len() == 1 && sorted.len() == 1 && nets[0].mac.is_none();
    if !single {
        check_macs(&nets, &sorted)?;
        ignored.extend(nets.iter().filter(|n| n.mac.is_none()).map(|n| n.name.clone()));
    }

    for name in gateway_network.iter().chain(ipv6_gateway_network.iter()) {
        if let Some(n) = nets.iter().find(|n| &n.name == name) {
            check_gateway_on_link(n)?;
        }
    }

    let mut interfaces = Vec::new();
    for nic in sorted {
        let sysfs = nic.mac.sysfs_text();
        let on_nic: Vec<&Network> = if single {
            nets.clone()
        } else {
            nets.iter()
                .copied()
                .filter(|n| n.mac.as_deref() == Some(sysfs.as_str()))
                .collect()
        };
        let assigned: Vec<Assigned> = on_nic
            .iter()
            .map(|n| Assigned {
                network: (*n).clone(),
                default_route: gateway_network.as_deref() == Some(n.name.as_str())
                    || ipv6_gateway_network.as_deref() == Some(n.name.as_str()),
            })
            .collect();
        // Static iff not DHCP and the network has a MAC (`createInterfaceConfiguration`, §1.3).
        let is_static = |a: &Assigned| !a.network.is_dhcp() && a.network.mac.is_some();
        let statics = assigned.iter().filter(|a| is_static(a)).count();
        let kind = if statics == 0 {
            ConfigKind::Dhcp
        } else {
            ConfigKind::Static
        };
        let mixed = statics > 0 && statics < assigned.len();
        if mixed || (statics > 1 && !profile.dual_stack_nic) {
            let second = &assigned[1].network.name;
            return Err(AgentError::DualStackNic {
                field: format!("{second}.mac"),
                interface: nic.name.clone(),
                networks: assigned.iter().map(|a| a.network.name.clone()).collect(),
                profile: profile.name.clone(),
            });
        }
        interfaces.push(InterfaceConfig {
            name: nic.name.clone(),
            mac: nic.mac,
            kind,
            networks: assigned,
        });
    }
    Ok(Layout {
        interfaces,
        dns,
        gateway_network,
        ipv6_gateway_network,
        ignored_networks: ignored,
    })
}

/// A static network that installs a default route needs its gateway inside its subnet: the kernel
/// refuses the route otherwise ("Nexthop has invalid gateway"), and the director rejects such a
/// gateway at cloud-config time ("must be inside the range", bosh-networking.md §4.2).
fn check_gateway_on_link(n: &Network) -> Result<(), AgentError> {
    let (Some(gw), Some(subnet)) = (n.gateway.as_ref(), n.subnet()) else {
        return Ok(());
    };
    if n.is_dhcp() || subnet.contains(gw.addr) {
        return Ok(());
    }
    Err(AgentError::GatewayOutsideSubnet {
        field: format!("{}.gateway", n.name),
        gateway: gw.addr,
        subnet,
    })
}

/// Every network with a MAC must find its NIC by exact string equality with sysfs (§1.3).
fn check_macs(nets: &[&Network], nics: &[&Nic]) -> Result<(), AgentError> {
    for n in nets {
        let Some(mac) = n.mac.as_deref() else { continue };
        if nics.iter().any(|nic| nic.mac.sysfs_text() == mac) {
            continue;
        }
        let near = mac
            .parse::<Mac>()
            .ok()
            .and_then(|m| nics.iter().find(|nic| nic.mac == m))
            .map(|nic| {
                format!(
                    " ({} has {}: the agent compares MAC strings exactly, so case and separators matter)",
                    nic.name,
                    nic.mac.sysfs_text()
                )
            })
            .unwrap_or_default();
        return Err(AgentError::MacNotFound {
            field: format!("{}.mac", n.name),
            network: n.name.clone(),
            mac: mac.to_owned(),
            hint: near,
        });
    }
    Ok(())
}

/// The gateway-default network: the override, else the one network whose `default` lists `gateway`.
fn gateway_network(nets: &[&Network], profile: &Profile) -> Result<Option<String>, AgentError> {
    if let Some(name) = &profile.overrides.default_gateway_network {
        let n = nets
            .iter()
            .find(|n| &n.name == name)
            .ok_or_else(|| AgentError::UnknownNetwork {
                field: "overrides.default_gateway_network".into(),
                name: name.clone(),
            })?;
        return Ok(Some(n.name.clone()));
    }
    unique_default(nets, "gateway")
}

fn unique_default(nets: &[&Network], what: &str) -> Result<Option<String>, AgentError> {
    let mut claimants = nets.iter().filter(|n| n.is_default_for(what));
    let first = claimants.next();
    if let (Some(a), Some(b)) = (first, claimants.next()) {
        return Err(AgentError::TwoDefaultGateways {
            field: format!("{}.default", b.name),
            first: a.name.clone(),
            second: b.name.clone(),
        });
    }
    Ok(first.map(|n| n.name.clone()))
}

/// The `ipv6_gateway` network (profiles that honour it): the override, else the network whose
/// `default` lists `ipv6_gateway`. It must be IPv6 with a gateway, and must not compete with an IPv6
/// gateway-default network.
fn ipv6_gateway_network(
    nets: &[&Network],
    profile: &Profile,
    gateway_network: Option<&str>,
) -> Result<Option<String>, AgentError> {
    if !profile.ipv6_gateway {
        // The settings' `default: [ipv6_gateway]` is ignored like any unknown default (the real
        // agent only knows dns/gateway), but an explicit override must not be dropped silently.
        if profile.overrides.ipv6_gateway_network.is_some() {
            return Err(AgentError::NotInProfile {
                field: "overrides.ipv6_gateway_network".into(),
                profile: profile.name.clone(),
                what: "ipv6_gateway",
            });
        }
        return Ok(None);
    }
    let (field, chosen) = match &profile.overrides.ipv6_gateway_network {
        Some(name) => {
            let n = nets
                .iter()
                .find(|n| &n.name == name)
                .ok_or_else(|| AgentError::UnknownNetwork {
                    field: "overrides.ipv6_gateway_network".into(),
                    name: name.clone(),
                })?;
            ("overrides.ipv6_gateway_network".to_owned(), Some(*n))
        }
        None => match unique_default(nets, "ipv6_gateway")? {
            Some(name) => (format!("{name}.default"), nets.iter().copied().find(|n| n.name == name)),
            None => (String::new(), None),
        },
    };
    let Some(n) = chosen else { return Ok(None) };
    let has_v6_gateway = n.is_ipv6() && n.gateway.as_ref().is_some_and(|g| g.addr.is_ipv6());
    if !has_v6_gateway {
        return Err(AgentError::NoGateway {
            field,
            network: n.name.clone(),
            family: family_name(true),
        });
    }
    if let Some(gw) = gateway_network.and_then(|g| nets.iter().find(|x| x.name == g)) {
        if gw.name != n.name && gw.is_ipv6() {
            return Err(AgentError::TwoDefaultGateways {
                field,
                first: gw.name.clone(),
                second: n.name.clone(),
            });
        }
    }
    Ok(Some(n.name.clone()))
}

/// `DefaultNetworkFor("dns")`: the only network, else the (first, name order) one whose `default`
/// lists `dns`, else none (§1.6).
fn dns_servers(nets: &[&Network]) -> Vec<IpText> {
    let chosen = if nets.len() == 1 {
        Some(nets[0])
    } else {
        nets.iter().copied().find(|n| n.is_default_for("dns"))
    };
    chosen.map(|n| n.dns.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nic_lists_parse_and_reject_duplicates() {
        let nics = parse_nics("eth1=00:50:56:00:00:02, eth0=00:50:56:00:00:01").unwrap();
        assert_eq!(nics.len(), 2);
        assert_eq!(nics[0].name, "eth1");
        assert!(parse_nics("eth0").is_err());
        assert!(parse_nics("eth0=00:50:56:00:00:01,eth0=00:50:56:00:00:02").is_err());
        assert!(parse_nics("eth0=00:50:56:00:00:01,eth1=00:50:56:00:00:01").is_err());
        assert!(parse_nics("").is_err());
        assert!(parse_nics("a/b=00:50:56:00:00:01").is_err());
    }

    #[test]
    fn single_network_without_mac_binds_to_the_only_nic_as_dhcp() {
        let s = Settings::from_json(
            r#"{"n": {"type": "manual", "ip": "10.0.0.5", "netmask": "255.255.255.0",
                      "gateway": "10.0.0.1", "default": ["dns", "gateway"], "dns": ["10.0.0.2"]}}"#,
        )
        .unwrap();
        let nics = parse_nics("eth0=00:50:56:00:00:01").unwrap();
        let l = layout(&s, &nics, &Profile::jammy()).unwrap();
        assert_eq!(l.interfaces.len(), 1);
        // No MAC → DHCP (`(IsDHCP() || Mac == "") && Alias == ""`).
        assert_eq!(l.interfaces[0].kind, ConfigKind::Dhcp);
        assert_eq!(l.interfaces[0].networks.len(), 1);
        assert_eq!(l.dns.len(), 1);
    }

    #[test]
    fn uppercase_mac_is_not_found_with_a_hint() {
        let s = Settings::from_json(
            r#"{"n": {"ip": "10.0.0.5", "netmask": "255.255.255.0", "mac": "00:50:56:AA:00:01"},
                "m": {"ip": "10.0.1.5", "netmask": "255.255.255.0", "mac": "00:50:56:aa:00:02"}}"#,
        )
        .unwrap();
        let nics = parse_nics("eth0=00:50:56:aa:00:01,eth1=00:50:56:aa:00:02").unwrap();
        match layout(&s, &nics, &Profile::jammy()) {
            Err(AgentError::MacNotFound { field, hint, .. }) => {
                assert_eq!(field, "n.mac");
                assert!(hint.contains("eth0"), "{hint}");
            }
            other => panic!("expected MacNotFound, got {other:?}"),
        }
    }
}
