//! What sits between the director and the agent: picking one instance's networks out of the
//! `dualhome ipam plan --format json` document, and the CPI's `mac` fields.
//!
//! The director never sends MACs; a CPI adds them (bosh-networking.md §2.2 "`mac` … added by CPIs,
//! not the director"). The vSphere CPI creates one NIC per network in the instance group's order,
//! so the i-th network gets the i-th NIC. [`assign_macs`] does exactly that for networks that have
//! no `mac` yet, writing the sysfs spelling the agent will compare against (§1.3).

use crate::error::AgentError;
use crate::layout::Nic;
use crate::settings::{parse_json, Network, Settings};
use indexmap::IndexMap;
use serde::Deserialize;

/// The part of the IPAM plan document the agent needs.
#[derive(Deserialize)]
struct PlanDocument {
    instances: Vec<PlanInstance>,
}

#[derive(Deserialize)]
struct PlanInstance {
    instance: String,
    networks: IndexMap<String, Network>,
}

/// The settings of `instance` (`group/index`) from an IPAM plan document
/// (`{deployment, era, instances: [{instance, az?, networks}]}`), networks in document order.
pub fn settings_from_plan(text: &str, instance: &str) -> Result<Settings, AgentError> {
    let doc: PlanDocument = parse_json(text)?;
    let known: Vec<String> = doc.instances.iter().map(|i| i.instance.clone()).collect();
    let found = doc
        .instances
        .into_iter()
        .find(|i| i.instance == instance)
        .ok_or_else(|| AgentError::UnknownInstance {
            name: instance.to_owned(),
            known,
        })?;
    Settings::from_networks(found.networks)
}

/// Gives each non-VIP network without a `mac` the MAC of the next NIC, in document order and in
/// the order `nics` lists them (one NIC per network, as the vSphere CPI creates them). NICs already
/// named by some network's `mac` are skipped.
pub fn assign_macs(settings: &mut Settings, nics: &[Nic]) -> Result<(), AgentError> {
    let taken: Vec<String> = settings.networks.iter().filter_map(|n| n.mac.clone()).collect();
    let mut free = nics.iter().filter(|nic| !taken.contains(&nic.mac.sysfs_text()));
    for name in &settings.document_order {
        let Some(net) = settings.networks.iter_mut().find(|n| &n.name == name) else {
            continue;
        };
        if net.mac.is_some() || net.is_vip() {
            continue;
        }
        let nic = free
            .next()
            .ok_or_else(|| AgentError::NicList(format!("no NIC left for network '{name}' (one NIC per network)")))?;
        net.mac = Some(nic.mac.sysfs_text());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::parse_nics;

    const PLAN: &str = r#"{
      "deployment": "nginx",
      "era": "current",
      "instances": [
        {"instance": "nginx/0", "az": "z1", "networks": {
          "ipv6": {"type": "manual", "ip": "2601:646:100:69f2::f", "prefix": "128",
                   "netmask": "ffff:ffff:ffff:ffff:0000:0000:0000:0000", "cloud_properties": {},
                   "default": ["dns", "gateway"], "dns": ["2001:4860:4860::8888"], "gateway": "2601:646:100:69f2::1"},
          "default": {"type": "manual", "ip": "10.9.9.15", "prefix": "32", "netmask": "255.255.255.0",
                      "cloud_properties": {}, "gateway": "10.9.9.1"},
          "floating": {"type": "vip", "ip": "203.0.113.7", "prefix": "32", "cloud_properties": {}}
        }}
      ]
    }"#;

    #[test]
    fn picks_the_instance_and_keeps_document_order() {
        let s = settings_from_plan(PLAN, "nginx/0").unwrap();
        assert_eq!(s.document_order, ["ipv6", "default", "floating"]);
        assert_eq!(s.networks[0].name, "default");
        match settings_from_plan(PLAN, "nginx/1") {
            Err(AgentError::UnknownInstance { known, .. }) => assert_eq!(known, ["nginx/0"]),
            other => panic!("expected UnknownInstance, got {other:?}"),
        }
        let bad = PLAN.replace("10.9.9.15", "10.9.9.256");
        let err = settings_from_plan(&bad, "nginx/0").unwrap_err();
        assert_eq!(err.field(), "instances[0].networks.default.ip");
    }

    #[test]
    fn macs_follow_network_order_and_skip_vips() {
        let mut s = settings_from_plan(PLAN, "nginx/0").unwrap();
        let nics = parse_nics("eth0=00:50:56:00:00:01,eth1=00:50:56:00:00:02").unwrap();
        assign_macs(&mut s, &nics).unwrap();
        assert_eq!(s.network("ipv6").unwrap().mac.as_deref(), Some("00:50:56:00:00:01"));
        assert_eq!(s.network("default").unwrap().mac.as_deref(), Some("00:50:56:00:00:02"));
        assert_eq!(s.network("floating").unwrap().mac, None);
        let one = parse_nics("eth0=00:50:56:00:00:01").unwrap();
        let mut s = settings_from_plan(PLAN, "nginx/0").unwrap();
        assert!(matches!(assign_macs(&mut s, &one), Err(AgentError::NicList(_))));
    }
}
