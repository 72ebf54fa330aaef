//! Redeploys with a previous state (bosh-networking.md §4.3, §4.4) and `--lint` findings with positions.

mod support;

use dualhome_ipam::{lint, parse_cloud_config, parse_manifest, Addr, Era};
use support::{group, one_subnet, try_plan};

const NET: &str = "{range: 10.0.0.0/24, gateway: 10.0.0.1, reserved: [10.0.0.2 - 10.0.0.9]}";

fn ips_with_state(cc: &str, manifest: &str, state: Option<&str>) -> Vec<String> {
    match try_plan(cc, manifest, &[], state) {
        Ok(p) => p
            .instances
            .iter()
            .filter_map(|i| i.networks[0].address.ip())
            .map(|a| a.to_string())
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

fn state_of(cc: &str, manifest: &str, era: Era) -> String {
    match try_plan(cc, manifest, &[], None) {
        Ok(p) => p.settings(era).to_json(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn redeploy_keeps_addresses_and_new_instances_skip_them() {
    let cc = one_subnet(NET);
    let first = ips_with_state(&cc, &group(3, ""), None);
    assert_eq!(first, vec!["10.0.0.10", "10.0.0.11", "10.0.0.12"]);
    // The state written in the 2018 form still matches: addresses are compared as numbers.
    let state = state_of(&cc, &group(3, ""), Era::Y2018);
    assert_eq!(
        ips_with_state(&cc, &group(4, ""), Some(&state)),
        vec!["10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.13"]
    );
}

#[test]
fn an_address_that_became_reserved_is_replaced() {
    let cc = one_subnet(NET);
    let state = state_of(&cc, &group(3, ""), Era::Current);
    let now_reserved =
        one_subnet("{range: 10.0.0.0/24, gateway: 10.0.0.1, reserved: [10.0.0.2 - 10.0.0.9, 10.0.0.11]}");
    // web/1 loses 10.0.0.11 (no longer reservable) and gets the lowest address free of state and reserved.
    assert_eq!(
        ips_with_state(&now_reserved, &group(3, ""), Some(&state)),
        vec!["10.0.0.10", "10.0.0.13", "10.0.0.12"]
    );
}

#[test]
fn other_deployments_addresses_are_in_use() {
    let cc = one_subnet(NET);
    let other = state_of(&cc, &group(2, "").replace("name: dep", "name: other"), Era::Current);
    assert_eq!(
        ips_with_state(&cc, &group(2, ""), Some(&other)),
        vec!["10.0.0.12", "10.0.0.13"]
    );
    let both = format!("[{other}, {}]", state_of(&cc, &group(1, ""), Era::Current));
    // dep/web/0 had 10.0.0.10 too in its own earlier state; the other deployment holds it, so it moves on.
    let got = try_plan(&cc, &group(1, ""), &[], Some(&both)).map(|p| p.instances[0].networks[0].address.ip());
    assert_eq!(got.ok().flatten(), Addr::parse("10.0.0.12"));
}

#[test]
fn lint_reports_each_code_with_position() {
    let cc = "networks:\n- name: v6\n  subnets:\n  - range: 2001:db8::/64\n    gateway: 2001:0db8:0000:0000:0000:0000:0000:0001\n    dns: ['::1']\n    reserved: ['2001:0db8:0000:0000:0000:0000:0000:0100 - 2001:0db8:0000:0000:0000:0000:0000:0500']\n    static: [2001:0db8:0000:0000:0000:0000:0001:0000/112]\n";
    let m = "name: d\ninstance_groups:\n- name: w\n  instances: 1\n  networks:\n  - name: v6\n    static_ips: [2001:db8::1:0]\n";
    let (Ok(cc), Ok(m)) = (parse_cloud_config("cc.yml", cc), parse_manifest("m.yml", m)) else {
        panic!("parse")
    };
    let director: Vec<Addr> = Addr::parse("10.0.0.6").into_iter().collect();
    let got: Vec<(String, u64, u64, &str)> = lint(&cc, Some(&m), &director)
        .into_iter()
        .map(|f| (f.at.file.to_string(), f.at.line, f.at.column, f.code))
        .collect();
    let want = vec![
        ("cc.yml".to_string(), 4, 12, "IPAM-ABBREVIATED-IPV6"),
        ("cc.yml".to_string(), 4, 12, "IPAM-DIRECTOR-IP-FAMILY-MISMATCH"),
        ("cc.yml".to_string(), 6, 11, "IPAM-ABBREVIATED-IPV6"),
        ("cc.yml".to_string(), 6, 11, "IPAM-AMBIGUOUS-LOW-IPV6"),
        ("cc.yml".to_string(), 7, 16, "IPAM-LARGE-RESERVED-RANGE"),
        ("cc.yml".to_string(), 8, 14, "IPAM-LARGE-STATIC-RANGE"),
        ("m.yml".to_string(), 7, 18, "IPAM-ABBREVIATED-IPV6"),
    ];
    assert_eq!(got, want);
}

#[test]
fn huge_reserved_and_static_ranges_cost_nothing() {
    // A /64 with its upper half reserved and a /65 worth of static: plans instantly, no expansion.
    let cc = one_subnet(
        "{range: '2001:db8::/64', gateway: '2001:db8::1', reserved: ['2001:db8::8000:0:0:0 - 2001:db8::ffff:ffff:ffff:ffff'], static: ['2001:db8::1:0:0:0/80']}",
    );
    let got = ips_with_state(&cc, &group(3, ""), None);
    assert_eq!(got, vec!["2001:db8::2", "2001:db8::3", "2001:db8::4"]);
}
