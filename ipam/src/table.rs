//! The plan as a `bosh instances` table: Instance, AZ, IPs (one line per IP, later IPs under the first).
//!
//! Shape taken from the seed's `bosh -e ipv4 -d nginx instances` output (seed §6): columns separated by two spaces,
//! an instance's further IPs on continuation lines, `N instances` below. IPs are rendered in the chosen era, so the
//! 2018 table shows `2601:0646:0100:69f1:0000:0000:0000:0165` exactly as the seed does.

use crate::addr::Era;
use crate::plan::Plan;

/// Renders the table, ending with a newline.
pub fn render_table(plan: &Plan, era: Era) -> String {
    let rows: Vec<(String, String, Vec<String>)> = plan
        .instances
        .iter()
        .map(|inst| {
            let ips = inst
                .networks
                .iter()
                .filter_map(|n| n.address.ip())
                .map(|ip| ip.render(era))
                .collect();
            (inst.name(), inst.az.clone().unwrap_or_default(), ips)
        })
        .collect();
    let name_width = rows
        .iter()
        .map(|r| r.0.len())
        .chain(["Instance".len()])
        .max()
        .unwrap_or(0);
    let az_width = rows.iter().map(|r| r.1.len()).chain(["AZ".len()]).max().unwrap_or(0);
    let mut out = String::new();
    push_line(&mut out, &[("Instance", name_width), ("AZ", az_width), ("IPs", 0)]);
    for (name, az, ips) in &rows {
        let first = ips.first().map_or("", String::as_str);
        push_line(&mut out, &[(name, name_width), (az, az_width), (first, 0)]);
        for ip in ips.iter().skip(1) {
            push_line(&mut out, &[("", name_width), ("", az_width), (ip, 0)]);
        }
    }
    out.push('\n');
    out.push_str(&format!("{} instances\n", rows.len()));
    out
}

fn push_line(out: &mut String, cells: &[(&str, usize)]) {
    let mut line = String::new();
    for (i, (text, width)) in cells.iter().enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        line.push_str(text);
        line.extend(std::iter::repeat_n(' ', width.saturating_sub(text.len())));
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Addr;
    use crate::plan::{PlannedAddress, PlannedInstance, PlannedNetwork};

    #[test]
    fn continuation_lines_align_under_ips() {
        let vip = |ip: &str| PlannedNetwork {
            name: "n".into(),
            defaults: vec![],
            nic_group: None,
            address: PlannedAddress::Vip {
                ip: Addr::parse(ip).unwrap_or_else(|| panic!("{ip}")),
                cloud_properties: serde_json::json!({}),
            },
        };
        let plan = Plan {
            deployment: "d".into(),
            instances: vec![PlannedInstance {
                group: "nginx".into(),
                index: 0,
                az: Some("z1".into()),
                networks: vec![vip("10.0.9.165"), vip("2601:646:100:69f1::165")],
            }],
        };
        assert_eq!(
            render_table(&plan, Era::Y2018),
            "Instance  AZ  IPs\nnginx/0   z1  10.0.9.165\n              2601:0646:0100:69f1:0000:0000:0000:0165\n\n1 instances\n"
        );
    }

    #[test]
    fn dynamic_networks_show_no_ip_and_columns_widen() {
        let dynamic = PlannedNetwork {
            name: "dhcp".into(),
            defaults: vec![],
            nic_group: None,
            address: PlannedAddress::Dynamic {
                dns: None,
                cloud_properties: serde_json::json!({}),
            },
        };
        let instance = |group: &str, index: u64, az: Option<&str>| PlannedInstance {
            group: group.into(),
            index,
            az: az.map(str::to_string),
            networks: vec![dynamic.clone()],
        };
        let plan = Plan {
            deployment: "d".into(),
            instances: vec![instance("a", 0, None), instance("postgres", 10, Some("zone-one"))],
        };
        assert_eq!(
            render_table(&plan, Era::Current),
            "Instance     AZ        IPs\na/0\npostgres/10  zone-one\n\n2 instances\n"
        );
    }
}
