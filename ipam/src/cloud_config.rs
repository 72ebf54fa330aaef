//! The validated networks of a cloud config: manual networks with their subnets, dynamic and VIP networks passed
//! through.
//!
//! Network-level rules from bosh-networking.md §4.2: subnets of one network must not overlap (160001), must agree
//! on `prefix` (16014), and must all name AZs or none. Dynamic networks (§2.1) take no prefix other than 32.

use crate::addr::Addr;
use crate::error::{At, ErrorKind, IpamError};
use crate::range_form::RangeForm;
use crate::source::{at_of, CloudConfig, NetworkDoc, Text};
use crate::subnet::{parse_subnet, ManualSubnet, SubnetContext};
use std::sync::Arc;

/// A validated cloud config.
#[derive(Clone, Debug)]
pub struct Networks {
    /// AZ names in file order.
    pub azs: Vec<String>,
    /// Networks in file order.
    pub networks: Vec<Network>,
}

impl Networks {
    /// The network called `name`.
    pub fn get(&self, name: &str) -> Option<&Network> {
        self.networks.iter().find(|n| n.name == name)
    }
}

/// One network.
#[derive(Clone, Debug)]
pub struct Network {
    /// Its name.
    pub name: String,
    /// Where the name was written.
    pub name_at: At,
    /// Type-specific content.
    pub kind: NetworkKind,
}

/// The three network types of the director.
#[derive(Clone, Debug)]
pub enum NetworkKind {
    /// Director-managed IPAM.
    Manual(Vec<ManualSubnet>),
    /// DHCP: the director allocates nothing.
    Dynamic(Vec<DynamicSubnet>),
    /// A public IP given by the IaaS; addresses come from `static_ips`.
    Vip {
        /// Network-level `cloud_properties`.
        cloud_properties: serde_json::Value,
    },
}

/// A subnet (or the network itself) of a dynamic network.
#[derive(Clone, Debug)]
pub struct DynamicSubnet {
    /// AZs served (empty: not AZ-bound).
    pub azs: Vec<String>,
    /// DNS servers.
    pub dns: Option<Vec<Addr>>,
    /// Passed through.
    pub cloud_properties: serde_json::Value,
}

/// Validates the networks of `cc`; `director_ips` join the restricted set of same-family subnets (§4.3).
pub fn validate_cloud_config(cc: &CloudConfig, director_ips: &[Addr]) -> Result<Networks, IpamError> {
    let azs: Vec<String> = cc.doc.azs.iter().map(|a| a.name.value.clone()).collect();
    let mut networks: Vec<Network> = Vec::with_capacity(cc.doc.networks.len());
    for doc in &cc.doc.networks {
        let name = doc.name.value.clone();
        let name_at = at_of(&cc.file, &doc.name);
        if networks.iter().any(|n| n.name == name) {
            return Err(IpamError::new(name_at, ErrorKind::DuplicateNetwork { network: name }));
        }
        let kind_text = doc.kind.as_ref().map_or("manual", |k| k.value.as_str());
        let kind = match kind_text {
            "manual" => NetworkKind::Manual(manual_subnets(&cc.file, doc, &azs, director_ips)?),
            "dynamic" => NetworkKind::Dynamic(dynamic_subnets(&cc.file, doc, &azs)?),
            "vip" => NetworkKind::Vip {
                cloud_properties: doc.cloud_properties.clone().unwrap_or_else(|| serde_json::json!({})),
            },
            other => {
                let at = doc
                    .kind
                    .as_ref()
                    .map_or_else(|| name_at.clone(), |k| at_of(&cc.file, k));
                let kind = ErrorKind::UnknownNetworkType {
                    network: name,
                    kind: other.to_string(),
                };
                return Err(IpamError::new(at, kind));
            }
        };
        networks.push(Network { name, name_at, kind });
    }
    Ok(Networks { azs, networks })
}

fn manual_subnets(
    file: &Arc<str>,
    doc: &NetworkDoc,
    azs: &[String],
    director_ips: &[Addr],
) -> Result<Vec<ManualSubnet>, IpamError> {
    let network = doc.name.value.as_str();
    let ctx = SubnetContext {
        file,
        network,
        known_azs: azs,
        director_ips,
    };
    let subnets = doc
        .subnets
        .iter()
        .map(|s| parse_subnet(&ctx, s))
        .collect::<Result<Vec<_>, _>>()?;
    let name_at = || at_of(file, &doc.name);

    if let Some(first) = subnets.first() {
        if let Some(odd) = subnets.iter().find(|s| s.azs.is_empty() != first.azs.is_empty()) {
            let kind = ErrorKind::MixedAzs {
                network: network.to_string(),
            };
            return Err(IpamError::new(odd.range_at.clone(), kind));
        }
    }
    // Overlap: sort by (family, start) and compare neighbours, O(n log n).
    let mut order: Vec<&ManualSubnet> = subnets.iter().collect();
    order.sort_by_key(|s| (s.family(), s.bounds().0));
    for pair in order.windows(2) {
        if pair[0].family() == pair[1].family() && pair[1].bounds().0 <= pair[0].bounds().1 {
            let kind = ErrorKind::OverlappingSubnets {
                network: network.to_string(),
            };
            return Err(IpamError::new(pair[1].range_at.clone(), kind));
        }
    }
    if let Some(first) = subnets.first() {
        if subnets.iter().any(|s| s.declared_prefix != first.declared_prefix) {
            let kind = ErrorKind::DifferentPrefixes {
                network: network.to_string(),
            };
            return Err(IpamError::new(name_at(), kind));
        }
    }
    Ok(subnets)
}

fn dynamic_subnets(file: &Arc<str>, doc: &NetworkDoc, known: &[String]) -> Result<Vec<DynamicSubnet>, IpamError> {
    let network = doc.name.value.as_str();
    let parse_dns = |list: &Option<Vec<Text>>| -> Result<Option<Vec<Addr>>, IpamError> {
        list.as_ref()
            .map(|l| {
                l.iter()
                    .map(|d| match RangeForm::parse(&d.value).ok().and_then(RangeForm::single) {
                        Some(a) => Ok(a),
                        None => Err(IpamError::new(
                            at_of(file, d),
                            ErrorKind::InvalidDns {
                                network: network.to_string(),
                            },
                        )),
                    })
                    .collect()
            })
            .transpose()
    };
    if doc.subnets.is_empty() {
        return Ok(vec![DynamicSubnet {
            azs: Vec::new(),
            dns: parse_dns(&doc.dns)?,
            cloud_properties: doc.cloud_properties.clone().unwrap_or_else(|| serde_json::json!({})),
        }]);
    }
    let mut out = Vec::with_capacity(doc.subnets.len());
    for spanned in &doc.subnets {
        let s = &spanned.value;
        if let Some(p) = &s.prefix {
            if p.value.as_text().trim() != "32" {
                return Err(IpamError::new(at_of(file, p), ErrorKind::DynamicPrefix));
            }
        }
        let names: Vec<&Text> = match (&s.az, &s.azs) {
            (Some(az), _) => vec![az],
            (None, Some(list)) => list.value.iter().collect(),
            (None, None) => Vec::new(),
        };
        let mut azs = Vec::with_capacity(names.len());
        for name in names {
            if !known.contains(&name.value) {
                let kind = ErrorKind::UnknownSubnetAz {
                    network: network.to_string(),
                    az: name.value.clone(),
                };
                return Err(IpamError::new(at_of(file, name), kind));
            }
            azs.push(name.value.clone());
        }
        out.push(DynamicSubnet {
            azs,
            dns: parse_dns(&s.dns)?,
            cloud_properties: s.cloud_properties.clone().unwrap_or_else(|| serde_json::json!({})),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::parse_cloud_config;

    fn validate(networks: &str) -> Result<Networks, String> {
        let text = format!("azs: [{{name: z1}}, {{name: z2}}]\nnetworks:\n{networks}");
        let cc = parse_cloud_config("cc.yml", &text).map_err(|e| e.to_string())?;
        validate_cloud_config(&cc, &[]).map_err(|e| e.kind.to_string())
    }

    #[test]
    fn overlapping_subnets_are_refused_even_across_spellings() {
        let err = validate(
            "- name: n\n  subnets:\n  - {range: '2001:db8::/64', gateway: '2001:db8::1'}\n  - {range: '2001:0db8:0000:0000:0000:0000:0001:0000/112', gateway: '2001:db8::1:1'}\n",
        );
        assert_eq!(err.err(), Some("Network 'n' has overlapping subnets".to_string()));
        let ok = validate(
            "- name: n\n  subnets:\n  - {range: 10.0.0.0/24, gateway: 10.0.0.1}\n  - {range: '2001:db8::/64', gateway: '2001:db8::1'}\n",
        );
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn network_level_rules() {
        let err = |n: &str| validate(n).err();
        assert_eq!(
            err("- name: n\n  subnets:\n  - {range: 10.0.0.0/24, gateway: 10.0.0.1, az: z1}\n  - {range: 10.0.1.0/24, gateway: 10.0.1.1}\n"),
            Some("Subnets on network 'n' must all either specify availability zone or not".to_string())
        );
        assert_eq!(
            err("- name: n\n  subnets:\n  - {range: 10.0.0.0/24, gateway: 10.0.0.1, prefix: 28}\n  - {range: 10.0.1.0/24, gateway: 10.0.1.1}\n"),
            Some("Network 'n' has subnets that define different prefixes".to_string())
        );
        assert_eq!(
            err("- name: d\n  type: dynamic\n  subnets: [{prefix: 28}]\n"),
            Some("Prefix property is not supported for dynamic networks.".to_string())
        );
        assert_eq!(
            err("- name: n\n  subnets: []\n- name: n\n  type: vip\n"),
            Some("Duplicate network name 'n'".to_string())
        );
    }

    #[test]
    fn passes_dynamic_and_vip_through() {
        let nets = validate(
            "- name: d\n  type: dynamic\n  dns: [8.8.8.8]\n- name: v\n  type: vip\n  cloud_properties: {x: 1}\n",
        );
        let Ok(nets) = nets else { panic!("{nets:?}") };
        assert!(matches!(&nets.get("d").map(|n| &n.kind), Some(NetworkKind::Dynamic(s)) if s.len() == 1));
        assert!(matches!(&nets.get("v").map(|n| &n.kind), Some(NetworkKind::Vip { .. })));
    }
}
