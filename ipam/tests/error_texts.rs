//! Every error text (bosh-networking.md §4.2, §4.4, §4.6; appendix), with the position of the offending value.

mod support;

use rstest::rstest;
use support::{error_text, group, one_subnet, try_plan};

const NET24: &str = "range: 192.168.0.0/24, gateway: 192.168.0.1";

#[rstest]
// Appendix vectors.
#[case(&format!("{{{NET24}, reserved: ['192.168.0.5 - 192.168.0.10'], static: [192.168.0.5]}}"), "Static IP '192.168.0.5/32' is in network 'net_a' reserved range")]
#[case(&format!("{{{NET24}, static: ['192.167.0.5 - 192.168.0.10']}}"), "Static IP '192.167.0.5/32' is out of network 'net_a' range")]
#[case(
    "{range: 192.168.0.0/24, gateway: 192.168.0.1, prefix: 23}",
    "Prefix size '23' is larger than range prefix '24'"
)]
// §4.2 range forms and subnet rules.
#[case(&format!("{{{NET24}, reserved: ['192.168.0.9 - 192.168.0.3']}}"), "Invalid IP range format: 192.168.0.9 - 192.168.0.3")]
#[case(&format!("{{{NET24}, reserved: [192.168.0.300]}}"), "Invalid IP or CIDR format: 192.168.0.300")]
#[case(
    "{range: 192.168.0.7, gateway: 192.168.0.7}",
    "Invalid network range '192.168.0.7', should include at least 2 IPs"
)]
#[case(
    "{range: 192.168.0.0/24, gateway: 192.168.0.0/30}",
    "Invalid gateway for network 'net_a': must be a single IP"
)]
#[case(
    "{range: 192.168.0.0/24, gateway: 192.168.1.1}",
    "Invalid gateway for network 'net_a': must be inside the range"
)]
#[case(
    "{range: '2601:0646:0100:69f2::/64', gateway: '2601:646:100:69f2:0000:0000:0000:0000'}",
    "Invalid gateway for network 'net_a': can't be the network id"
)]
#[case(
    "{range: 192.168.0.0/24, gateway: 192.168.0.255}",
    "Invalid gateway for network 'net_a': can't be the broadcast IP"
)]
#[case(&format!("{{{NET24}, dns: [8.8.8.8, 'not-an-ip']}}"), "Invalid DNS for network 'net_a': must be a single IP")]
#[case(&format!("{{{NET24}, reserved: ['192.168.0.250 - 192.168.1.3']}}"), "Reserved IP '192.168.1.0/30' is out of network 'net_a' range")]
#[case(&format!("{{{NET24}, az: z1, azs: [z1]}}"), "Network 'net_a' contains both 'az' and 'azs'. Choose one.")]
#[case(&format!("{{{NET24}, azs: []}}"), "Network 'net_a' refers to an empty 'azs' array")]
#[case(&format!("{{{NET24}, azs: [z3]}}"), "Network 'net_a' refers to an unknown availability zone 'z3'")]
#[case(
    "{gateway: 192.168.0.1}",
    "Required property 'range' was not specified in subnet of network 'net_a'"
)]
#[case(
    "{range: 192.168.0.0/24}",
    "Required property 'gateway' was not specified in subnet of network 'net_a'"
)]
fn subnet_errors(#[case] subnet: &str, #[case] text: &str) {
    assert_eq!(error_text(&one_subnet(subnet), &group(1, "")), text);
}

#[rstest]
#[case(
    "- {range: 10.0.0.0/24, gateway: 10.0.0.1}\n  - {range: 10.0.0.128/25, gateway: 10.0.0.129}",
    "Network 'net_a' has overlapping subnets"
)]
#[case(
    "- {range: 10.0.0.0/24, gateway: 10.0.0.1, prefix: 28}\n  - {range: 10.0.1.0/24, gateway: 10.0.1.1, prefix: 27}",
    "Network 'net_a' has subnets that define different prefixes"
)]
#[case(
    "- {range: 10.0.0.0/24, gateway: 10.0.0.1, az: z1}\n  - {range: 10.0.1.0/24, gateway: 10.0.1.1}",
    "Subnets on network 'net_a' must all either specify availability zone or not"
)]
fn network_errors(#[case] subnets: &str, #[case] text: &str) {
    let cc = format!("azs: [{{name: z1}}]\nnetworks:\n- name: net_a\n  subnets:\n  {subnets}\n");
    assert_eq!(error_text(&cc, &group(1, "")), text);
}

const STATIC_NET: &str = "{range: 10.0.0.0/24, gateway: 10.0.0.1, static: [10.0.0.10 - 10.0.0.20], az: z1}";

#[rstest]
#[case(
    2,
    "static_ips: [10.0.0.10, 10.0.0.9 - 10.0.0.11]",
    "Instance group 'web' specifies static IP '10.0.0.10' more than once"
)]
#[case(
    2,
    "static_ips: [10.0.0.10]",
    "Instance group 'web' has 2 instances but was allocated 1 static IPs in network 'net_a'"
)]
#[case(
    1,
    "static_ips: [10.0.0.30]",
    "Instance group 'web' with network 'net_a' declares static ip '10.0.0.30', which belongs to no subnet"
)]
#[case(1, "default: [bogus]", "Instance group 'web' specified an invalid default network property 'bogus', valid properties are: addressable, dns, gateway")]
fn instance_group_errors(#[case] n: u64, #[case] extra: &str, #[case] text: &str) {
    let m = format!("name: dep\ninstance_groups:\n- name: web\n  instances: {n}\n  azs: [z1]\n  networks:\n  - name: net_a\n    {extra}\n");
    assert_eq!(error_text(&one_subnet(STATIC_NET), &m), text);
}

#[test]
fn static_ip_from_another_az() {
    let m = "name: dep\ninstance_groups:\n- name: web\n  instances: 1\n  azs: [z2]\n  networks:\n  - {name: net_a, static_ips: [10.0.0.10]}\n";
    assert_eq!(
        error_text(&one_subnet(STATIC_NET), m),
        "Instance group 'web' declares static ip '10.0.0.10' which does not belong to any of the instance group's availability zones."
    );
}

const TWO_NETS: &str = "networks:\n- name: v4\n  subnets: [{range: 10.0.0.0/24, gateway: 10.0.0.1}]\n- name: v6\n  subnets: [{range: '2001:db8::/64', gateway: '2001:db8::1'}]\n- name: pub\n  type: vip\n";

#[rstest]
#[case("[{name: v4}, {name: v6}]", "Instance group 'haproxy' must specify which network is default for dns, gateway, since it has more than one network configured")]
#[case("[{name: v4, default: [dns]}, {name: v6}]", "Instance group 'haproxy' must specify which network is default for gateway, since it has more than one network configured")]
#[case("[{name: v4, default: [dns, gateway]}, {name: v6, default: [gateway]}]", "Instance group 'haproxy' specified more than one network to contain default. 'gateway' has default networks: 'v4', 'v6'.")]
#[case(
    "[{name: v4, default: [dns, gateway]}, {name: pub, default: [dns], static_ips: [1.2.3.4]}]",
    "Can't provide any defaults since this is a VIP network"
)]
#[case("[{name: v5}]", "Instance group 'haproxy' references an unknown network 'v5'")]
fn default_network_errors(#[case] networks: &str, #[case] text: &str) {
    let m = format!("name: dep\ninstance_groups:\n- name: haproxy\n  instances: 1\n  networks: {networks}\n");
    assert_eq!(error_text(TWO_NETS, &m), text);
}

#[test]
fn static_ip_held_by_another_deployment() {
    let state = r#"{"deployment":"other","era":"current","instances":[{"instance":"db/0","networks":{"net_a":{"type":"manual","ip":"10.0.0.10","cloud_properties":{}}}}]}"#;
    let err = try_plan(&one_subnet(STATIC_NET), "name: dep\ninstance_groups:\n- name: web\n  instances: 1\n  azs: [z1]\n  networks:\n  - {name: net_a, static_ips: [10.0.0.10]}\n", &[], Some(state));
    assert_eq!(
        err.err().map(|e| e.kind.to_string()),
        Some("Failed to reserve IP '10.0.0.10' for instance 'web/0': already reserved by instance 'db/0' from deployment 'other'".to_string())
    );
}

/// The error points at the value: file, line and column of the offending static entry.
#[test]
fn errors_carry_file_line_column() {
    let cc = "networks:\n- name: net_a\n  subnets:\n  - range: 192.168.0.0/24\n    gateway: 192.168.0.1\n    reserved: [192.168.0.5 - 192.168.0.10]\n    static:\n    - 192.168.0.5\n";
    let err = try_plan(cc, &group(1, ""), &[], None).err();
    let at = err.map(|e| (e.at.file.to_string(), e.at.line, e.at.column, e.kind.rule()));
    assert_eq!(
        at,
        Some(("cc.yml".to_string(), 8, 7, "NetworkStaticIpOutOfRange 160006"))
    );
    let err = try_plan(
        &one_subnet(STATIC_NET),
        "name: d\ninstance_groups:\n- name: web\n  instances: 2\n  networks:\n  - name: nope\n",
        &[],
        None,
    )
    .err();
    assert_eq!(
        err.map(|e| (e.at.file.to_string(), e.at.line, e.at.column)),
        Some(("manifest.yml".to_string(), 6, 11))
    );
}
