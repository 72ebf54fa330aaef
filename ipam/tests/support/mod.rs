//! Shared helpers for the behaviour tests: plan YAML text, get settings or the director's error text.
#![allow(dead_code)] // each test binary uses a subset

use dualhome_ipam::{
    parse_cloud_config, parse_manifest, parse_state, plan, Addr, Era, IpamError, Plan, PlanInput, SettingsDocument,
};

/// Plans `cc` + `manifest` with optional director IPs and state JSON.
pub fn try_plan(cc: &str, manifest: &str, director: &[&str], state: Option<&str>) -> Result<Plan, IpamError> {
    let cc = parse_cloud_config("cc.yml", cc)?;
    let manifest = parse_manifest("manifest.yml", manifest)?;
    let state = state.map(|s| parse_state("state.json", s)).transpose()?;
    let director: Vec<Addr> = director.iter().filter_map(|d| Addr::parse(d)).collect();
    plan(&PlanInput {
        cloud_config: &cc,
        manifest: &manifest,
        director_ips: &director,
        state: state.as_ref(),
    })
}

/// The director's error text, or a description of the unexpected success.
pub fn error_text(cc: &str, manifest: &str) -> String {
    match try_plan(cc, manifest, &[], None) {
        Ok(p) => format!("unexpectedly planned {} instances", p.instances.len()),
        Err(e) => e.kind.to_string(),
    }
}

/// Settings of a successful plan (panics with the error otherwise: test code).
pub fn settings(cc: &str, manifest: &str, era: Era) -> SettingsDocument {
    match try_plan(cc, manifest, &[], None) {
        Ok(p) => p.settings(era),
        Err(e) => panic!("{e}"),
    }
}

/// The `ip` of `network` for every instance, current era.
pub fn ips(cc: &str, manifest: &str, network: &str) -> Vec<String> {
    settings(cc, manifest, Era::Current)
        .instances
        .iter()
        .filter_map(|i| i.networks.get(network).and_then(|n| n.ip.clone()))
        .collect()
}

/// A cloud config with one manual network `net_a` and one subnet given as a YAML flow mapping.
pub fn one_subnet(subnet: &str) -> String {
    format!("azs: [{{name: z1}}, {{name: z2}}]\nnetworks:\n- name: net_a\n  type: manual\n  subnets:\n  - {subnet}\n")
}

/// A manifest with one group `web` of `n` instances on `net_a`, plus extra YAML for the network entry.
pub fn group(n: u64, network_extra: &str) -> String {
    format!("name: dep\ninstance_groups:\n- name: web\n  instances: {n}\n  networks:\n  - name: net_a\n    {network_extra}\n")
}
