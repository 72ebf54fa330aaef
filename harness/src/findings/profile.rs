//! Profile analyzers for `dualhome lint`: without a simulation, each planned instance is booted on paper — the
//! agent's operations folded into a [`dualhome_agent::HostConfig`] with Linux's sysctl propagation rules — and the
//! result read for the same exposures the run analyzers see on a simulated VM (docs/findings.md):
//! `ra-mitm-exposure`, `redirects-accepted`, `single-default-route-offlink` (no route covers the director),
//! `boot-op-refused`.

use super::{about_node, BOOT_OP_REFUSED, RA_MITM_EXPOSURE, REDIRECTS_ACCEPTED, SINGLE_DEFAULT_ROUTE_OFFLINK};
use dualhome_agent::addr::Mac;
use dualhome_agent::{apply, Nic, Profile, MAIN_TABLE};
use dualhome_ipam::SettingsDocument;
use dualhome_reports::Finding;
use std::net::IpAddr;

/// The NICs a CPI would create for an instance with `n` networks (MACs only need to be distinct here).
fn paper_nics(n: usize) -> Vec<Nic> {
    (0..n)
        .map(|i| Nic {
            name: format!("eth{i}"),
            mac: Mac([0x00, 0x50, 0x56, 0x00, 0x00, u8::try_from(i).unwrap_or(u8::MAX)]),
        })
        .collect()
}

/// Findings for every planned instance booted with `profile`; `director` is checked for a covering route.
pub fn profile_findings(plan: &SettingsDocument, profile: &Profile, director: Option<IpAddr>) -> Vec<Finding> {
    let mut out = Vec::new();
    for inst in &plan.instances {
        let json = serde_json::json!({
            "deployment": plan.deployment,
            "era": plan.era,
            "instances": [inst],
        })
        .to_string();
        let name = &inst.instance;
        let Ok(mut settings) = dualhome_agent::cpi::settings_from_plan(&json, name) else {
            continue;
        };
        let nics = paper_nics(inst.networks.len());
        if dualhome_agent::cpi::assign_macs(&mut settings, &nics).is_err() {
            continue;
        }
        let boot = match dualhome_agent::plan(&settings, &nics, profile) {
            Ok(b) => b,
            Err(e) => {
                out.push(about_node(
                    BOOT_OP_REFUSED,
                    name,
                    None,
                    format!("the agent refuses the settings: {e}"),
                    vec![],
                ));
                continue;
            }
        };
        let host = apply(&boot.ops);
        for f in &host.failures {
            out.push(about_node(
                BOOT_OP_REFUSED,
                name,
                None,
                format!("boot op #{} `{}` refused: {}", f.index, f.op, f.reason),
                vec![f.op.clone()],
            ));
        }
        for i in &host.interfaces {
            if !i.ipv6.disabled && i.ipv6.accept_ra {
                out.push(about_node(
                    RA_MITM_EXPOSURE,
                    name,
                    Some(&i.name),
                    format!(
                        "{name} {} accepts router advertisements with profile {}",
                        i.name, boot.profile
                    ),
                    vec![],
                ));
            }
            if !i.ipv6.disabled && i.ipv6.accept_redirects {
                out.push(about_node(
                    REDIRECTS_ACCEPTED,
                    name,
                    Some(&i.name),
                    format!(
                        "{name} {} accepts ICMPv6 redirects with profile {}",
                        i.name, boot.profile
                    ),
                    vec![],
                ));
            }
        }
        if let Some(d) = director {
            let covered = host.routes.iter().any(|r| r.table == MAIN_TABLE && r.dst.contains(d));
            if !covered {
                let defaults: Vec<String> = host
                    .main_default_routes(d.is_ipv6())
                    .iter()
                    .chain(host.main_default_routes(!d.is_ipv6()).iter())
                    .map(|r| r.to_string())
                    .collect();
                out.push(about_node(
                    SINGLE_DEFAULT_ROUTE_OFFLINK,
                    name,
                    None,
                    format!(
                        "{name} has no route to the director {d}: its default route is of the other family or absent"
                    ),
                    defaults,
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(cc: &str, m: &str) -> Option<SettingsDocument> {
        let cc = dualhome_ipam::parse_cloud_config("cc.yml", cc).ok()?;
        let man = dualhome_ipam::parse_manifest("m.yml", m).ok()?;
        let p = dualhome_ipam::plan(&dualhome_ipam::PlanInput {
            cloud_config: &cc,
            manifest: &man,
            director_ips: &[],
            state: None,
        })
        .ok()?;
        Some(p.settings(dualhome_ipam::Era::Current))
    }

    const CC: &str = "networks:\n- name: default\n  subnets:\n  - {range: 10.0.8.0/24, gateway: 10.0.8.1}\n- name: ipv6\n  subnets:\n  - {range: '2601:646:100:69f1::/64', gateway: '2601:646:100:69f1::1'}\n";
    const M: &str = "name: d\ninstance_groups:\n- name: web\n  instances: 1\n  networks:\n  - {name: default}\n  - {name: ipv6, default: [dns, gateway]}\n";

    #[test]
    fn the_seed_profile_is_exposed_and_loses_an_offlink_director() {
        let Some(p) = plan(CC, M) else { panic!("plan") };
        let director: IpAddr = [10, 0, 9, 151].into();
        let found = profile_findings(&p, &Profile::trusty_2018(), Some(director));
        let codes: Vec<&str> = found.iter().map(|f| f.code.as_str()).collect();
        assert!(codes.contains(&RA_MITM_EXPOSURE), "{codes:?}");
        assert!(codes.contains(&REDIRECTS_ACCEPTED), "{codes:?}");
        assert!(codes.contains(&SINGLE_DEFAULT_ROUTE_OFFLINK), "{codes:?}");
        let on_link: IpAddr = [10, 0, 8, 151].into();
        let found = profile_findings(&p, &Profile::trusty_2018(), Some(on_link));
        assert!(
            found.iter().all(|f| f.code != SINGLE_DEFAULT_ROUTE_OFFLINK),
            "{found:?}"
        );
    }

    #[test]
    fn the_hardened_profile_is_not_exposed() {
        let Some(p) = plan(CC, M) else { panic!("plan") };
        let found = profile_findings(&p, &Profile::hardened(), None);
        assert!(
            found
                .iter()
                .all(|f| f.code != RA_MITM_EXPOSURE && f.code != REDIRECTS_ACCEPTED),
            "{found:?}"
        );
    }
}
