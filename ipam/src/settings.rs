//! The network settings JSON the director sends (through the CPI) to the agent — the contract with `dualhome-agent`.
//!
//! Field set and order follow `ManualNetwork#network_settings` (bosh-networking.md §2.1): `type`, `ip`, `prefix`,
//! `netmask`, `cloud_properties`, `default`, `nic_group`, `dns`, `gateway`; keys are omitted when the director omits
//! them. Two eras:
//! - [`Era::Current`]: ip/gateway/dns compressed (`IPAddr#to_s`), netmask expanded (`IPAddr#netmask`), `prefix` present
//!   (`"32"`/`"128"`, or the subnet's delegated prefix).
//! - [`Era::Y2018`] (NetAddr, ≤ v280.1.3): every IPv6 string fully expanded, no `prefix` key (added v282.0.10).
//!
//! Dynamic networks carry `prefix: "32"` and no ip (§2.1); VIP networks carry `ip` and `prefix`.

use crate::addr::{Addr, Era, Family};
use crate::plan::{Plan, PlannedAddress};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The settings of one network of one instance, as the agent receives them under `networks.<name>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSettings {
    /// `manual`, `dynamic` or `vip`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The instance's address (manual, vip).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Prefix length as a string; current era only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Subnet mask: dotted IPv4 or fully expanded IPv6 (manual).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netmask: Option<String>,
    /// The subnet's `cloud_properties` (always present, `{}` by default).
    #[serde(default)]
    pub cloud_properties: serde_json::Value,
    /// Sorted subset of `addressable`, `dns`, `gateway`; omitted when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default: Vec<String>,
    /// NIC group of the instance-group network, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nic_group: Option<String>,
    /// DNS servers, if the subnet has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<Vec<String>>,
    /// Gateway (manual).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
}

/// One instance of the plan: its name, AZ, and the `networks` object of its agent settings (manifest order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceSettings {
    /// `group/index`, e.g. `nginx/0`.
    pub instance: String,
    /// Availability zone, if the group has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    /// Network name → settings, in the instance group's order.
    pub networks: IndexMap<String, NetworkSettings>,
}

/// The whole plan as JSON: what `dualhome ipam plan --format json` prints and what `--state` reads back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsDocument {
    /// Deployment name from the manifest.
    pub deployment: String,
    /// `"2018"` or `"current"`.
    pub era: String,
    /// Instances in manifest order.
    pub instances: Vec<InstanceSettings>,
}

/// The `era` field value.
pub fn era_name(era: Era) -> &'static str {
    match era {
        Era::Y2018 => "2018",
        Era::Current => "current",
    }
}

impl SettingsDocument {
    /// Pretty JSON with a trailing newline; field order is fixed by the struct order, so output is byte-stable.
    pub fn to_json(&self) -> String {
        // Serialising these owned string/Value trees cannot fail; fall back to an empty object to stay panic-free.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string());
        text.push('\n');
        text
    }
}

fn single_prefix(family: Family) -> String {
    family.bits().to_string()
}

impl Plan {
    /// The director's settings JSON for every instance, in the given era's form (module docs).
    pub fn settings(&self, era: Era) -> SettingsDocument {
        let with_prefix = |p: String| (era == Era::Current).then_some(p);
        let render_list = |list: &Option<Vec<Addr>>| list.as_ref().map(|l| l.iter().map(|a| a.render(era)).collect());
        let instances = self
            .instances
            .iter()
            .map(|inst| {
                let networks = inst
                    .networks
                    .iter()
                    .map(|net| {
                        let settings = match &net.address {
                            PlannedAddress::Manual {
                                ip,
                                prefix,
                                range_prefix,
                                gateway,
                                dns,
                                cloud_properties,
                                ..
                            } => NetworkSettings {
                                kind: "manual".into(),
                                ip: Some(ip.render(era)),
                                prefix: with_prefix(prefix.to_string()),
                                netmask: Some(Addr::netmask(ip.family(), *range_prefix).expanded()),
                                cloud_properties: cloud_properties.clone(),
                                default: net.defaults.clone(),
                                nic_group: net.nic_group.clone(),
                                dns: render_list(dns),
                                gateway: Some(gateway.render(era)),
                            },
                            PlannedAddress::Dynamic { dns, cloud_properties } => NetworkSettings {
                                kind: "dynamic".into(),
                                ip: None,
                                prefix: with_prefix("32".into()),
                                netmask: None,
                                cloud_properties: cloud_properties.clone(),
                                default: net.defaults.clone(),
                                nic_group: net.nic_group.clone(),
                                dns: render_list(dns),
                                gateway: None,
                            },
                            PlannedAddress::Vip { ip, cloud_properties } => NetworkSettings {
                                kind: "vip".into(),
                                ip: Some(ip.render(era)),
                                prefix: with_prefix(single_prefix(ip.family())),
                                netmask: None,
                                cloud_properties: cloud_properties.clone(),
                                default: Vec::new(),
                                nic_group: net.nic_group.clone(),
                                dns: None,
                                gateway: None,
                            },
                        };
                        (net.name.clone(), settings)
                    })
                    .collect();
                InstanceSettings {
                    instance: inst.name(),
                    az: inst.az.clone(),
                    networks,
                }
            })
            .collect();
        SettingsDocument {
            deployment: self.deployment.clone(),
            era: era_name(era).to_string(),
            instances,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_order_and_omissions_match_the_director() {
        let s = NetworkSettings {
            kind: "manual".into(),
            ip: Some("2001:db8::2".into()),
            prefix: Some("128".into()),
            netmask: Some("ffff:ffff:0000:0000:0000:0000:0000:0000".into()),
            cloud_properties: serde_json::json!({}),
            default: vec![],
            nic_group: None,
            dns: None,
            gateway: Some("2001:db8::1".into()),
        };
        let text = serde_json::to_string(&s).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"type":"manual","ip":"2001:db8::2","prefix":"128","netmask":"ffff:ffff:0000:0000:0000:0000:0000:0000","cloud_properties":{},"gateway":"2001:db8::1"}"#
        );
        let back: Result<NetworkSettings, _> = serde_json::from_str(&text);
        assert_eq!(back.ok(), Some(s));
    }
}
