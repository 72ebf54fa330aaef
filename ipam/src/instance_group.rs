//! Validated instance groups of a manifest: AZs, networks, static IPs and default networks.
//!
//! Rules and texts from bosh-networking.md §4.6 (`instance_group_networks_parser.rb`,
//! `instance_group_spec_parser.rb`, `networks_to_static_ips.rb`) and §2.1 (defaults): static IPs must be unique
//! (150009), one per instance (150002), listed in some subnet's `static` (150002) of one of the group's AZs (150007);
//! with one network it is the default for dns and gateway, with several exactly one network must be the default for
//! each (150005, 150004). Static entries are intervals, so duplicates and counts are found without expanding them.

use crate::addr::Addr;
use crate::cloud_config::{NetworkKind, Networks};
use crate::error::{At, ErrorKind, IpamError};
use crate::interval::IntervalSet;
use crate::range_form::RangeForm;
use crate::source::{at_of, GroupNetworkDoc, InstanceGroupDoc};
use std::sync::Arc;

/// Most instances one group may ask for; keeps a typo (`instances: 10000000000`) from exhausting memory.
pub const MAX_INSTANCES: u64 = 100_000;

/// Default properties the director knows (`VALID_DEFAULTS`).
pub const VALID_DEFAULTS: [&str; 3] = ["addressable", "dns", "gateway"];

/// A validated instance group.
#[derive(Clone, Debug)]
pub struct InstanceGroup {
    /// Its name.
    pub name: String,
    /// Where the name was written.
    pub name_at: At,
    /// Number of instances.
    pub instances: u64,
    /// AZs in manifest order (empty: no AZs).
    pub azs: Vec<String>,
    /// Networks in manifest order.
    pub networks: Vec<GroupNetwork>,
}

/// One network of an instance group.
#[derive(Clone, Debug)]
pub struct GroupNetwork {
    /// Network name.
    pub name: String,
    /// Where the name was written.
    pub at: At,
    /// Static IPs in manifest order (one per instance, or empty).
    pub static_ips: Vec<Addr>,
    /// Where `static_ips` was written.
    pub static_at: Option<At>,
    /// Resolved, sorted default properties (`dns`, `gateway` added for a single-network group).
    pub defaults: Vec<String>,
    /// NIC group, passed through.
    pub nic_group: Option<String>,
}

/// Validates one instance group against the cloud config.
pub fn validate_group(file: &Arc<str>, doc: &InstanceGroupDoc, nets: &Networks) -> Result<InstanceGroup, IpamError> {
    let group = doc.name.value.clone();
    let instances = doc.instances.value;
    if instances > MAX_INSTANCES {
        let kind = ErrorKind::TooManyInstances {
            group,
            instances,
            limit: MAX_INSTANCES,
        };
        return Err(IpamError::new(at_of(file, &doc.instances), kind));
    }
    for az in &doc.azs {
        if !nets.azs.contains(&az.value) {
            let kind = ErrorKind::UnknownGroupAz {
                group,
                az: az.value.clone(),
            };
            return Err(IpamError::new(at_of(file, az), kind));
        }
    }
    let azs: Vec<String> = doc.azs.iter().map(|a| a.value.clone()).collect();
    let mut networks = Vec::with_capacity(doc.networks.len());
    for net in &doc.networks {
        networks.push(validate_network(file, &group, instances, &azs, net, nets)?);
    }
    resolve_defaults(file, &group, &doc.networks, &mut networks, nets)?;
    Ok(InstanceGroup {
        name: group,
        name_at: at_of(file, &doc.name),
        instances,
        azs,
        networks,
    })
}

fn validate_network(
    file: &Arc<str>,
    group: &str,
    instances: u64,
    group_azs: &[String],
    doc: &GroupNetworkDoc,
    nets: &Networks,
) -> Result<GroupNetwork, IpamError> {
    let name = doc.name.value.clone();
    let at = at_of(file, &doc.name);
    let Some(network) = nets.get(&name) else {
        let kind = ErrorKind::UnknownNetwork {
            group: group.to_string(),
            network: name,
        };
        return Err(IpamError::new(at, kind));
    };
    let mut static_ips = Vec::new();
    if let Some(list) = &doc.static_ips {
        // One set per family: IPv4 and IPv6 values share the u128 space.
        let mut seen = [IntervalSet::new(), IntervalSet::new()];
        let mut count: u128 = 0;
        let mut entries = Vec::with_capacity(list.value.len());
        for entry in &list.value {
            let form = RangeForm::parse(&entry.value).map_err(|e| IpamError::new(at_of(file, entry), e.into()))?;
            let (a, b) = form.bounds();
            let seen = &mut seen[usize::from(form.family() == crate::addr::Family::V6)];
            if let Some(dup) = seen.first_in(a, b) {
                let ip = Addr::new(form.family(), dup).map_or_else(|| dup.to_string(), |d| d.to_string());
                let kind = ErrorKind::StaticIpTwice {
                    group: group.to_string(),
                    ip,
                };
                return Err(IpamError::new(at_of(file, entry), kind));
            }
            seen.insert(a, b);
            count = count.saturating_add(form.size());
            entries.push((form, at_of(file, entry)));
        }
        if count != u128::from(instances) {
            let kind = ErrorKind::StaticIpCount {
                group: group.to_string(),
                instances,
                count,
                network: name,
            };
            return Err(IpamError::new(at_of(file, list), kind));
        }
        for (form, entry_at) in entries {
            let (a, b) = form.bounds();
            for value in a..=b {
                let Some(ip) = Addr::new(form.family(), value) else {
                    continue;
                };
                check_static_membership(group, &name, group_azs, ip, &network.kind)
                    .map_err(|k| IpamError::new(entry_at.clone(), k))?;
                static_ips.push(ip);
            }
        }
    }
    Ok(GroupNetwork {
        name,
        at,
        static_ips,
        static_at: doc.static_ips.as_ref().map(|l| at_of(file, l)),
        defaults: Vec::new(),
        nic_group: doc.nic_group.as_ref().map(|n| n.value.clone()),
    })
}

/// A static IP of a manual network must be listed in a subnet's `static`, and that subnet must serve one of the
/// group's AZs (§4.6). VIP addresses are the IaaS's and need no subnet.
fn check_static_membership(
    group: &str,
    network: &str,
    group_azs: &[String],
    ip: Addr,
    kind: &NetworkKind,
) -> Result<(), ErrorKind> {
    let NetworkKind::Manual(subnets) = kind else {
        return Ok(());
    };
    let Some(subnet) = subnets.iter().find(|s| s.is_static(ip)) else {
        return Err(ErrorKind::StaticIpNoSubnet {
            group: group.to_string(),
            network: network.to_string(),
            ip: ip.to_string(),
        });
    };
    if !group_azs.is_empty() && !subnet.azs.iter().any(|az| group_azs.contains(az)) {
        return Err(ErrorKind::StaticIpWrongAz {
            group: group.to_string(),
            ip: ip.to_string(),
        });
    }
    Ok(())
}

/// Default-network rules (`validate_default_networks`, §1.6 and §4.6).
fn resolve_defaults(
    file: &Arc<str>,
    group: &str,
    docs: &[GroupNetworkDoc],
    networks: &mut [GroupNetwork],
    nets: &Networks,
) -> Result<(), IpamError> {
    for (doc, net) in docs.iter().zip(networks.iter_mut()) {
        let Some(list) = &doc.default else { continue };
        let is_vip = matches!(nets.get(&net.name).map(|n| &n.kind), Some(NetworkKind::Vip { .. }));
        if is_vip && !list.value.is_empty() {
            return Err(IpamError::new(at_of(file, list), ErrorKind::VipDefault));
        }
        for property in &list.value {
            if !VALID_DEFAULTS.contains(&property.value.as_str()) {
                let kind = ErrorKind::InvalidDefault {
                    group: group.to_string(),
                    property: property.value.clone(),
                };
                return Err(IpamError::new(at_of(file, property), kind));
            }
            if !net.defaults.contains(&property.value) {
                net.defaults.push(property.value.clone());
            }
        }
    }
    if let [only] = networks {
        for property in ["dns", "gateway"] {
            if !only.defaults.iter().any(|d| d == property) {
                only.defaults.push(property.to_string());
            }
        }
    } else if !networks.is_empty() {
        let mut missing = Vec::new();
        for property in VALID_DEFAULTS {
            let holders: Vec<&GroupNetwork> = networks
                .iter()
                .filter(|n| n.defaults.iter().any(|d| d == property))
                .collect();
            if holders.len() > 1 {
                let names: Vec<String> = holders.iter().map(|n| format!("'{}'", n.name)).collect();
                let kind = ErrorKind::DefaultTwice {
                    group: group.to_string(),
                    property: property.to_string(),
                    networks: names.join(", "),
                };
                return Err(IpamError::new(holders[1].at.clone(), kind));
            }
            if holders.is_empty() && property != "addressable" {
                missing.push(property);
            }
        }
        if !missing.is_empty() {
            let kind = ErrorKind::DefaultMissing {
                group: group.to_string(),
                missing: missing.join(", "),
            };
            return Err(IpamError::new(networks[0].at.clone(), kind));
        }
    }
    for net in networks.iter_mut() {
        net.defaults.sort();
    }
    Ok(())
}
