//! Planning: every instance `group/index` of the manifest gets, per network, an address and its settings.
//!
//! Allocation follows `IpProvider#reserve_manual` (bosh-networking.md §4.4): subnets in cloud-config order, filtered
//! by the instance's AZ; in a subnet the lowest free address (or, with a `prefix`, the lowest free aligned block)
//! wins; none anywhere → 130011. Free means outside the restricted set, the subnet's static set and every address
//! of the previous state (§4.3); an instance keeps its previous address while it stays reservable (§4.4). Each
//! subnet has one blocked [`IntervalSet`], so each allocation is O(log n) in the number of intervals and independent
//! of range sizes (§4.5).
//!
//! AZ placement is simplified: an instance with static IPs takes the first of its group's AZs that the subnet of its
//! first static IP serves; otherwise instances go round-robin over the group's AZs (`index mod len`), which is the
//! director's balanced placement for a fresh deployment.

use crate::addr::Addr;
use crate::cloud_config::{validate_cloud_config, DynamicSubnet, NetworkKind, Networks};
use crate::error::{ErrorKind, IpamError};
use crate::instance_group::{validate_group, GroupNetwork, InstanceGroup};
use crate::interval::IntervalSet;
use crate::source::{CloudConfig, Manifest};
use crate::state::State;
use crate::subnet::ManualSubnet;
use std::collections::BTreeMap;

/// Everything a plan depends on.
#[derive(Clone, Copy, Debug)]
pub struct PlanInput<'a> {
    /// The cloud config.
    pub cloud_config: &'a CloudConfig,
    /// The deployment manifest.
    pub manifest: &'a Manifest,
    /// The director's own addresses (restricted in subnets of their family).
    pub director_ips: &'a [Addr],
    /// Previous allocations, if any.
    pub state: Option<&'a State>,
}

/// The result: instances in manifest order.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Deployment name (empty if the manifest has none).
    pub deployment: String,
    /// Planned instances, `group/0`, `group/1`, … group after group.
    pub instances: Vec<PlannedInstance>,
}

/// One instance.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedInstance {
    /// Instance group name.
    pub group: String,
    /// Index in the group.
    pub index: u64,
    /// Availability zone.
    pub az: Option<String>,
    /// Networks in the group's order.
    pub networks: Vec<PlannedNetwork>,
}

impl PlannedInstance {
    /// `group/index`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.group, self.index)
    }
}

/// One network of one instance.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedNetwork {
    /// Network name.
    pub name: String,
    /// Sorted default properties.
    pub defaults: Vec<String>,
    /// NIC group.
    pub nic_group: Option<String>,
    /// Type-specific content.
    pub address: PlannedAddress,
}

/// What the director decided for one network.
#[derive(Clone, Debug, PartialEq)]
pub enum PlannedAddress {
    /// A manual-network reservation.
    Manual {
        /// The address (base of the block with a prefix).
        ip: Addr,
        /// Reservation prefix (32/128, or the subnet's delegated prefix).
        prefix: u8,
        /// Prefix of the subnet range (the netmask).
        range_prefix: u8,
        /// Subnet gateway.
        gateway: Addr,
        /// Subnet DNS.
        dns: Option<Vec<Addr>>,
        /// Subnet cloud properties.
        cloud_properties: serde_json::Value,
        /// True when it came from `static_ips`.
        is_static: bool,
    },
    /// DHCP.
    Dynamic {
        /// DNS of the matching subnet.
        dns: Option<Vec<Addr>>,
        /// Its cloud properties.
        cloud_properties: serde_json::Value,
    },
    /// A VIP from `static_ips`.
    Vip {
        /// The address.
        ip: Addr,
        /// Network cloud properties.
        cloud_properties: serde_json::Value,
    },
}

impl PlannedAddress {
    /// The instance's address on this network, if the director knows it.
    pub fn ip(&self) -> Option<Addr> {
        match self {
            PlannedAddress::Manual { ip, .. } | PlannedAddress::Vip { ip, .. } => Some(*ip),
            PlannedAddress::Dynamic { .. } => None,
        }
    }
}

/// Validates both documents and plans every instance.
pub fn plan(input: &PlanInput<'_>) -> Result<Plan, IpamError> {
    let nets = validate_cloud_config(input.cloud_config, input.director_ips)?;
    let file = &input.manifest.file;
    let groups = input
        .manifest
        .doc
        .instance_groups
        .iter()
        .map(|g| validate_group(file, g, &nets))
        .collect::<Result<Vec<_>, _>>()?;
    let deployment = input
        .manifest
        .doc
        .name
        .as_ref()
        .map(|n| n.value.clone())
        .unwrap_or_default();
    let empty = State::default();
    let mut allocator = Allocator::new(&nets, input.state.unwrap_or(&empty), deployment.clone());
    let mut instances = Vec::new();
    for group in &groups {
        for index in 0..group.instances {
            instances.push(allocator.place(group, index)?);
        }
    }
    Ok(Plan { deployment, instances })
}

/// Mutable allocation state of one plan.
struct Allocator<'a> {
    nets: &'a Networks,
    state: &'a State,
    deployment: String,
    /// network name → per subnet (cloud-config order): restricted ∪ static ∪ in use ∪ allocated so far.
    blocked: BTreeMap<String, Vec<IntervalSet>>,
    /// Addresses handed out by this plan → instance name.
    assigned: BTreeMap<Addr, String>,
}

impl<'a> Allocator<'a> {
    fn new(nets: &'a Networks, state: &'a State, deployment: String) -> Allocator<'a> {
        let mut blocked = BTreeMap::new();
        for net in &nets.networks {
            let NetworkKind::Manual(subnets) = &net.kind else {
                continue;
            };
            let sets = subnets
                .iter()
                .map(|s| {
                    let mut set = s.restricted.clone();
                    set.insert_all(&s.statics);
                    for used in state.allocations().iter().filter(|a| s.contains(a.ip)) {
                        set.insert(used.ip.value(), used.ip.value());
                    }
                    set
                })
                .collect();
            blocked.insert(net.name.clone(), sets);
        }
        Allocator {
            nets,
            state,
            deployment,
            blocked,
            assigned: BTreeMap::new(),
        }
    }

    fn place(&mut self, group: &InstanceGroup, index: u64) -> Result<PlannedInstance, IpamError> {
        let name = format!("{}/{}", group.name, index);
        let az = self.choose_az(group, index)?;
        let mut networks = Vec::with_capacity(group.networks.len());
        for net in &group.networks {
            let address = self.address(&name, group, net, index, az.as_deref())?;
            networks.push(PlannedNetwork {
                name: net.name.clone(),
                defaults: net.defaults.clone(),
                nic_group: net.nic_group.clone(),
                address,
            });
        }
        Ok(PlannedInstance {
            group: group.name.clone(),
            index,
            az,
            networks,
        })
    }

    fn choose_az(&self, group: &InstanceGroup, index: u64) -> Result<Option<String>, IpamError> {
        if group.azs.is_empty() {
            return Ok(None);
        }
        let mut chosen: Option<String> = None;
        for net in &group.networks {
            let Some(NetworkKind::Manual(subnets)) = self.nets.get(&net.name).map(|n| &n.kind) else {
                continue;
            };
            let Some(ip) = usize::try_from(index).ok().and_then(|i| net.static_ips.get(i)) else {
                continue;
            };
            let Some(subnet) = subnets.iter().find(|s| s.is_static(*ip)) else {
                continue;
            };
            match &chosen {
                None => chosen = group.azs.iter().find(|az| subnet.azs.contains(az)).cloned(),
                Some(az) if !subnet.azs.contains(az) => {
                    let at = net.static_at.clone().unwrap_or_else(|| net.at.clone());
                    let kind = ErrorKind::StaticIpUneven {
                        group: group.name.clone(),
                    };
                    return Err(IpamError::new(at, kind));
                }
                Some(_) => {}
            }
        }
        let round_robin = || {
            let i = usize::try_from(index % group.azs.len() as u64).unwrap_or(0);
            group.azs.get(i).cloned()
        };
        Ok(chosen.or_else(round_robin))
    }

    fn address(
        &mut self,
        instance: &str,
        group: &InstanceGroup,
        net: &GroupNetwork,
        index: u64,
        az: Option<&str>,
    ) -> Result<PlannedAddress, IpamError> {
        let nets = self.nets;
        let Some(network) = nets.get(&net.name) else {
            let kind = ErrorKind::UnknownNetwork {
                group: group.name.clone(),
                network: net.name.clone(),
            };
            return Err(IpamError::new(net.at.clone(), kind));
        };
        let static_ip = usize::try_from(index).ok().and_then(|i| net.static_ips.get(i)).copied();
        match &network.kind {
            NetworkKind::Dynamic(subnets) => Ok(dynamic_address(subnets, az)),
            NetworkKind::Vip { cloud_properties } => match static_ip {
                Some(ip) => {
                    self.claim(instance, ip, net)?;
                    Ok(PlannedAddress::Vip {
                        ip,
                        cloud_properties: cloud_properties.clone(),
                    })
                }
                None => Err(self.no_more(instance, net)),
            },
            NetworkKind::Manual(subnets) => {
                let (subnet_index, ip, is_static) = match static_ip {
                    Some(ip) => {
                        let found = subnets.iter().position(|s| s.is_static(ip));
                        let Some(i) = found else {
                            return Err(self.no_more(instance, net));
                        };
                        (i, ip, true)
                    }
                    None => match self.keep_previous(instance, net, subnets, az) {
                        Some(kept) => (kept.0, kept.1, false),
                        None => self.allocate(instance, net, subnets, az)?,
                    },
                };
                self.claim(instance, ip, net)?;
                let subnet = &subnets[subnet_index];
                Ok(PlannedAddress::Manual {
                    ip,
                    prefix: subnet.prefix,
                    range_prefix: subnet.range.prefix,
                    gateway: subnet.gateway,
                    dns: subnet.dns.clone(),
                    cloud_properties: subnet.cloud_properties.clone(),
                    is_static,
                })
            }
        }
    }

    /// The previous address of a dynamic reservation, if still reservable (§4.4) and not static or taken.
    fn keep_previous(
        &self,
        instance: &str,
        net: &GroupNetwork,
        subnets: &[ManualSubnet],
        az: Option<&str>,
    ) -> Option<(usize, Addr)> {
        let previous = self.state.previous(&self.deployment, instance, &net.name)?;
        let i = subnets.iter().position(|s| s.serves(az) && s.is_reservable(previous))?;
        let subnet = &subnets[i];
        let aligned = previous.value() & crate::addr::low_mask(subnet.family().bits() - subnet.prefix) == 0;
        let free = !subnet.statics.contains(previous.value())
            && !self.assigned.contains_key(&previous)
            && !self.state.held_by_other(previous, &self.deployment, instance);
        (aligned && free).then_some((i, previous))
    }

    /// Lowest free address (or block) of the first subnet, in cloud-config order, that serves the AZ.
    fn allocate(
        &mut self,
        instance: &str,
        net: &GroupNetwork,
        subnets: &[ManualSubnet],
        az: Option<&str>,
    ) -> Result<(usize, Addr, bool), IpamError> {
        let sets = self.blocked.get_mut(&net.name);
        if let Some(sets) = sets {
            for (i, (subnet, set)) in subnets.iter().zip(sets.iter_mut()).enumerate() {
                if !subnet.serves(az) {
                    continue;
                }
                let (lo, hi) = subnet.bounds();
                let host_bits = subnet.family().bits() - subnet.prefix;
                let Some(base) = set.lowest_free_block(lo, hi, host_bits) else {
                    continue;
                };
                set.insert(base, base | crate::addr::low_mask(host_bits));
                if let Some(ip) = Addr::new(subnet.family(), base) {
                    return Ok((i, ip, false));
                }
            }
        }
        Err(self.no_more(instance, net))
    }

    /// Records `ip` for `instance`; refuses an address another deployment or another instance holds (130008).
    fn claim(&mut self, instance: &str, ip: Addr, net: &GroupNetwork) -> Result<(), IpamError> {
        let other = match self.assigned.get(&ip) {
            Some(holder) if holder != instance => Some((holder.clone(), self.deployment.clone())),
            _ => self
                .state
                .owner(ip)
                .filter(|o| o.deployment != self.deployment)
                .map(|o| (o.instance.clone(), o.deployment.clone())),
        };
        if let Some((other, deployment)) = other {
            let kind = ErrorKind::AlreadyReserved {
                ip: ip.to_string(),
                instance: instance.to_string(),
                other,
                deployment,
            };
            return Err(IpamError::new(
                net.static_at.clone().unwrap_or_else(|| net.at.clone()),
                kind,
            ));
        }
        self.assigned.insert(ip, instance.to_string());
        Ok(())
    }

    fn no_more(&self, instance: &str, net: &GroupNetwork) -> IpamError {
        let kind = ErrorKind::NoMoreIps {
            instance: instance.to_string(),
            network: net.name.clone(),
        };
        IpamError::new(net.at.clone(), kind)
    }
}

fn dynamic_address(subnets: &[DynamicSubnet], az: Option<&str>) -> PlannedAddress {
    let serves = |s: &&DynamicSubnet| match az {
        None => s.azs.is_empty(),
        Some(az) => s.azs.iter().any(|a| a == az),
    };
    let chosen = subnets.iter().find(serves).or_else(|| subnets.first());
    PlannedAddress::Dynamic {
        dns: chosen.and_then(|s| s.dns.clone()),
        cloud_properties: chosen.map_or_else(|| serde_json::json!({}), |s| s.cloud_properties.clone()),
    }
}
