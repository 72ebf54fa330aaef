//! Configuration analyzers: what the BOSH inputs say before anything runs. Shared by `dualhome run` and
//! `dualhome lint`.
//!
//! - The IPAM's lint (ipam/FINDINGS.md), collected as is. `IPAM-ABBREVIATED-IPV6` and `IPAM-LARGE-RESERVED-RANGE`
//!   are reported for the 2018 era only: the current director normalises addresses and keeps reserved ranges as
//!   intervals (seed "Don't abbreviate" and Gotchas; bosh-networking.md §4.5, §4.7).
//! - `service-family-mismatch`: nginx `listen` directives found in a job's properties against the address
//!   families the IPAM gave the group's instances (seed §6: `listen 80;` does not serve IPv6; `listen [::]:80
//!   ipv6only=off;` serves both).

use super::{about_source, SERVICE_FAMILY_MISMATCH};
use crate::scenario::listen::ListenLine;
use dualhome_ipam::{Addr, Era, SettingsDocument};
use dualhome_reports::{Finding, SourceLocation};

/// The BOSH inputs as written.
pub struct BoshTexts<'a> {
    /// Cloud config file name (for locations).
    pub cloud_config_file: &'a str,
    /// Its text.
    pub cloud_config: &'a str,
    /// Manifest file name.
    pub manifest_file: &'a str,
    /// Its text.
    pub manifest: &'a str,
}

/// The IPAM lint findings, era-filtered. Unparseable inputs give no findings (the planner reports them).
pub fn ipam_findings(texts: &BoshTexts<'_>, era: Era, director_ips: &[Addr]) -> Vec<Finding> {
    let Ok(cc) = dualhome_ipam::parse_cloud_config(texts.cloud_config_file, texts.cloud_config) else {
        return Vec::new();
    };
    let manifest = dualhome_ipam::parse_manifest(texts.manifest_file, texts.manifest).ok();
    dualhome_ipam::lint(&cc, manifest.as_ref(), director_ips)
        .into_iter()
        .filter(|f| {
            era == Era::Y2018
                || (f.code != dualhome_ipam::lint::ABBREVIATED_IPV6
                    && f.code != dualhome_ipam::lint::LARGE_RESERVED_RANGE)
        })
        .map(|f| {
            let source = (f.at.line > 0).then(|| SourceLocation {
                file: f.at.file.to_string(),
                line: u32::try_from(f.at.line).unwrap_or(u32::MAX),
                column: u32::try_from(f.at.column).unwrap_or(u32::MAX),
            });
            about_source(f.code, source, f.message)
        })
        .collect()
}

/// Every `listen …;` directive in a text (an nginx configuration embedded in a job property).
pub fn listen_directives(text: &str) -> Vec<ListenLine> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("listen") {
        let tail = &rest[start..];
        let boundary_ok = start == 0 || !rest.as_bytes()[start - 1].is_ascii_alphanumeric();
        let Some(end) = tail.find(';') else { break };
        if boundary_ok {
            if let Ok(line) = tail[..=end].parse::<ListenLine>() {
                out.push(line);
            }
        }
        rest = &tail[end + 1..];
    }
    out
}

fn strings<'v>(v: &'v serde_json::Value, out: &mut Vec<&'v str>) {
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// `service-family-mismatch` for each planned instance whose group's jobs carry listen directives.
pub fn service_findings(texts: &BoshTexts<'_>, plan: &SettingsDocument) -> Vec<Finding> {
    let Ok(doc) = serde_saphyr::from_str::<serde_json::Value>(texts.manifest) else {
        return Vec::new();
    };
    let groups = doc
        .get("instance_groups")
        .and_then(|g| g.as_array())
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    for g in &groups {
        let Some(name) = g.get("name").and_then(|n| n.as_str()) else {
            continue;
        };
        let mut texts_in = Vec::new();
        if let Some(jobs) = g.get("jobs") {
            strings(jobs, &mut texts_in);
        }
        let listens: Vec<ListenLine> = texts_in.iter().flat_map(|t| listen_directives(t)).collect();
        if listens.is_empty() {
            continue;
        }
        let written: Vec<String> = listens.iter().map(|l| l.to_string()).collect();
        for inst in plan
            .instances
            .iter()
            .filter(|i| i.instance.split('/').next() == Some(name))
        {
            let ips: Vec<std::net::IpAddr> = inst
                .networks
                .values()
                .filter_map(|n| n.ip.as_deref())
                .filter_map(|ip| ip.parse().ok())
                .collect();
            for (family, has, served) in [
                (
                    "IPv6",
                    ips.iter().any(|i| i.is_ipv6()),
                    listens.iter().any(ListenLine::accepts_ipv6),
                ),
                (
                    "IPv4",
                    ips.iter().any(|i| i.is_ipv4()),
                    listens.iter().any(ListenLine::accepts_ipv4),
                ),
            ] {
                if has && !served {
                    let mut f = about_source(
                        SERVICE_FAMILY_MISMATCH,
                        None,
                        format!(
                            "{} has an {family} address but its job listens only on `{}`: {family} clients are refused",
                            inst.instance,
                            written.join(" ")
                        ),
                    );
                    f.location.node = Some(inst.instance.clone());
                    f.evidence = written.clone();
                    out.push(f);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_directives_are_found_inside_nginx_text() {
        let found = listen_directives("server { listen 80; listen [::]:80 ipv6only=off; server_name x; }");
        assert_eq!(found.len(), 2);
        assert!(found[0].accepts_ipv4() && !found[0].accepts_ipv6());
        assert!(found[1].accepts_ipv4() && found[1].accepts_ipv6());
        assert!(listen_directives("no_listen_here 80;").is_empty());
    }

    const CC: &str = "networks:\n- name: default\n  type: manual\n  subnets:\n  - range: 10.0.9.0/24\n    gateway: 10.0.9.1\n    static: [10.0.9.165]\n- name: ipv6\n  type: manual\n  subnets:\n  - range: 2601:646:100:69f1::/64\n    gateway: 2601:646:100:69f1::1\n    reserved: [2601:646:100:69f1::2 - 2601:646:100:69f1::ffff]\n";

    fn manifest(listen: &str) -> String {
        format!("name: d\ninstance_groups:\n- name: nginx\n  instances: 1\n  jobs:\n  - name: nginx\n    properties:\n      nginx_conf: \"server {{ {listen} }}\"\n  networks:\n  - name: default\n    static_ips: [10.0.9.165]\n  - name: ipv6\n    default: [dns, gateway]\n")
    }

    fn plan_of(m: &str) -> Option<SettingsDocument> {
        let cc = dualhome_ipam::parse_cloud_config("cc.yml", CC).ok()?;
        let man = dualhome_ipam::parse_manifest("m.yml", m).ok()?;
        let p = dualhome_ipam::plan(&dualhome_ipam::PlanInput {
            cloud_config: &cc,
            manifest: &man,
            director_ips: &[],
            state: None,
        })
        .ok()?;
        Some(p.settings(Era::Current))
    }

    #[test]
    fn ipv4_only_listen_on_a_dual_stack_vm_is_a_finding() {
        let m = manifest("listen 80;");
        let texts = BoshTexts {
            cloud_config_file: "cc.yml",
            cloud_config: CC,
            manifest_file: "m.yml",
            manifest: &m,
        };
        let plan = plan_of(&m);
        assert!(plan.is_some());
        let found = plan.map(|p| service_findings(&texts, &p)).unwrap_or_default();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("IPv6"));
        let m = manifest("listen [::]:80 ipv6only=off;");
        let texts = BoshTexts { manifest: &m, ..texts };
        let found = plan_of(&m).map(|p| service_findings(&texts, &p)).unwrap_or_default();
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn large_reserved_range_is_a_2018_finding_only() {
        let m = manifest("listen 80;");
        let texts = BoshTexts {
            cloud_config_file: "cc.yml",
            cloud_config: CC,
            manifest_file: "m.yml",
            manifest: &m,
        };
        let codes = |era| -> Vec<String> { ipam_findings(&texts, era, &[]).into_iter().map(|f| f.code).collect() };
        assert!(codes(Era::Y2018)
            .iter()
            .any(|c| c == dualhome_ipam::lint::LARGE_RESERVED_RANGE));
        assert!(codes(Era::Current)
            .iter()
            .all(|c| c != dualhome_ipam::lint::LARGE_RESERVED_RANGE));
    }
}
