//! Error messages for broken scenarios, as users see them: miette's report without colours at a fixed width,
//! snapshotted with insta. Each case breaks one thing in an otherwise valid scenario (`BASE`), so a snapshot shows
//! exactly one rule (or one YAML error) and where its caret lands.

use dualhome::scenario::{
    load_str, load_text, render_plain, BoshInput, BoshInputCheck, BoshInputProblem, BoshInputs, LoadOptions,
    ScenarioError,
};
use std::path::Path;

/// A valid scenario with a router, a workstation, an attacker and a BOSH deployment.
const BASE: &str = r#"name: base
duration: 2m
topology:
  segments:
    - name: lan
      vlan: 10
      prefixes: [10.0.9.0/24, 2001:db8:a::/64]
    - name: v6net
      prefixes: [2001:db8:b::/64]
  routers:
    - name: rtr
      interfaces:
        - name: eth0
          segment: lan
          mac: 00:00:5e:00:53:01
          addresses: [10.0.9.1/24, 2001:db8:a::1/64]
        - name: eth1
          segment: v6net
          mac: 00:00:5e:00:53:02
          addresses: [2001:db8:b::1/64]
          ra:
            max_interval: 10s
            min_interval: 3s
            prefixes:
              - prefix: 2001:db8:b::/64
  hosts:
    - name: ws
      interfaces:
        - name: eth0
          segment: lan
          mac: 02:00:00:00:00:01
          addresses: [10.0.9.50/24]
      services:
        - name: web
          app: http
          listen: ["listen 80;"]
  attackers:
    - name: eve
      interfaces:
        - name: eth0
          segment: lan
          mac: 02:00:00:00:00:66
bosh:
  director:
    segment: lan
    address: 10.0.9.151/24
  cloud_config:
    networks:
      - name: default
        subnets:
          - range: 10.0.9.0/24
            static: [10.0.9.160 - 10.0.9.170]
            cloud_properties: {name: VM Network}
      - name: ipv6
        subnets:
          - range: 2001:db8:b::/64
            cloud_properties: {name: IPv6}
  manifest:
    instance_groups:
      - name: nginx
        instances: 1
        networks:
          - name: default
            static_ips: [10.0.9.165]
          - name: ipv6
  networks:
    VM Network: lan
    IPv6: v6net
  profile: trusty-2018
  era: current
timeline:
  - at: 10s
    ssh: {id: s1, from: ws, to: "nginx/0:eth1"}
  - at: 20s
    rogue-ra: {attacker: eve, evasion: hbh}
expect:
  - reachable: {probe: ping, from: ws, to: "nginx/0:eth0"}
  - at: 1m
    survives: {flow: s1, for: 30s}
"#;

/// `BASE` with one substring replaced; fails the test if the substring is not there (so cases cannot rot).
fn broken(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "BASE does not contain {from:?}");
    BASE.replacen(from, to, 1)
}

fn render(text: &str) -> String {
    match load_str("broken.yml", text) {
        Ok(_) => panic!("the broken scenario loaded without error"),
        Err(e) => render_plain(&e, 100),
    }
}

fn codes(text: &str) -> Vec<&'static str> {
    match load_str("broken.yml", text) {
        Err(ScenarioError::Invalid { problems, .. }) => problems.iter().map(|p| p.rule.code()).collect(),
        other => panic!("expected validation problems, got {other:?}"),
    }
}

#[test]
fn base_is_valid() {
    if let Err(e) = load_str("base.yml", BASE) {
        panic!("BASE must load:\n{}", render_plain(&e, 100));
    }
}

#[test]
fn yaml_syntax_error() {
    insta::assert_snapshot!(render(&broken(
        "prefixes: [2001:db8:b::/64]",
        "prefixes: [2001:db8:b::/64"
    )));
}

#[test]
fn unknown_field() {
    insta::assert_snapshot!(render(&broken("          segment: v6net", "          segmnet: v6net")));
}

#[test]
fn malformed_mac() {
    insta::assert_snapshot!(render(&broken("mac: 02:00:00:00:00:01", "mac: 02:00:00:00:01")));
}

#[test]
fn malformed_cidr() {
    insta::assert_snapshot!(render(&broken("addresses: [10.0.9.50/24]", "addresses: [10.0.9.50]")));
}

#[test]
fn malformed_duration() {
    insta::assert_snapshot!(render(&broken("duration: 2m", "duration: 2 minutes")));
}

#[test]
fn malformed_listen_line() {
    insta::assert_snapshot!(render(&broken(
        r#"listen: ["listen 80;"]"#,
        r#"listen: ["listen 80 ipv6only=off;"]"#
    )));
}

#[test]
fn malformed_address_reference() {
    insta::assert_snapshot!(render(&broken(
        r#"to: "nginx/0:eth0"}"#,
        r#"to: "nginx/0:eth0:global"}"#
    )));
}

#[test]
fn unknown_enum_value() {
    insta::assert_snapshot!(render(&broken("profile: trusty-2018", "profile: xenial")));
}

#[test]
fn unknown_timeline_action() {
    insta::assert_snapshot!(render(&broken("rogue-ra: {attacker", "rouge-ra: {attacker")));
}

#[test]
fn two_actions_in_one_entry() {
    let text = broken(
        "    rogue-ra: {attacker: eve, evasion: hbh}",
        "    rogue-ra: {attacker: eve}\n    ra-flood: {attacker: eve, count: 10}",
    );
    insta::assert_snapshot!(render(&text));
}

#[test]
fn unknown_segment() {
    insta::assert_snapshot!(render(&broken("          segment: v6net", "          segment: v6-net")));
}

#[test]
fn unknown_node() {
    insta::assert_snapshot!(render(&broken("{probe: ping, from: ws,", "{probe: ping, from: ws2,")));
}

#[test]
fn unknown_interface_in_reference() {
    insta::assert_snapshot!(render(&broken(r#"to: "nginx/0:eth1"}"#, r#"to: "nginx/0:eth2"}"#)));
}

#[test]
fn instance_out_of_range() {
    insta::assert_snapshot!(render(&broken(r#"to: "nginx/0:eth0"}"#, r#"to: "nginx/3:eth0"}"#)));
}

#[test]
fn wrong_node_kind() {
    insta::assert_snapshot!(render(&broken("rogue-ra: {attacker: eve", "rogue-ra: {attacker: ws")));
}

#[test]
fn duplicate_node_name() {
    insta::assert_snapshot!(render(&broken("    - name: eve", "    - name: ws")));
}

#[test]
fn duplicate_mac() {
    insta::assert_snapshot!(render(&broken("mac: 02:00:00:00:00:66", "mac: 02:00:00:00:00:01")));
}

#[test]
fn address_outside_segment_prefix() {
    insta::assert_snapshot!(render(&broken(
        "addresses: [10.0.9.50/24]",
        "addresses: [10.0.8.50/24]"
    )));
}

#[test]
fn time_after_duration() {
    insta::assert_snapshot!(render(&broken("  - at: 1m\n", "  - at: 3m\n")));
}

#[test]
fn timeline_entry_without_at() {
    insta::assert_snapshot!(render(&broken("  - at: 20s\n    rogue-ra", "  - rogue-ra")));
}

#[test]
fn unknown_flow() {
    insta::assert_snapshot!(render(&broken("survives: {flow: s1,", "survives: {flow: s2,")));
}

#[test]
fn static_ip_outside_cloud_config() {
    insta::assert_snapshot!(render(&broken("static_ips: [10.0.9.165]", "static_ips: [10.0.9.200]")));
}

#[test]
fn unmapped_port_group() {
    insta::assert_snapshot!(render(&broken("    IPv6: v6net\n", "    IPv6 Net: v6net\n")));
}

#[test]
fn count_without_a_bound() {
    insta::assert_snapshot!(render(&broken(
        "    survives: {flow: s1, for: 30s}",
        "    count: {node: nginx/0, what: addresses, iface: eth1}"
    )));
}

#[test]
fn count_bounds_out_of_range() {
    insta::assert_snapshot!(render(&broken(
        "    survives: {flow: s1, for: 30s}",
        "    count: {node: nginx/0, what: routes, min: 5, max: 2}"
    )));
}

#[test]
fn ra_parameters() {
    insta::assert_snapshot!(render(&broken("min_interval: 3s", "min_interval: 9s")));
}

#[test]
fn missing_bosh_file() {
    let text = broken(
        "  manifest:\n    instance_groups:\n      - name: nginx\n        instances: 1\n        networks:\n          - name: default\n            static_ips: [10.0.9.165]\n          - name: ipv6\n",
        "  manifest: deployments/nginx.yml\n",
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/examples");
    let err = load_text("broken.yml", &text, Some(&dir), &LoadOptions::default());
    let rendered = match err {
        Err(e) => render_plain(&e, 100),
        Ok(_) => panic!("missing manifest accepted"),
    };
    insta::assert_snapshot!(rendered);
}

#[test]
fn several_problems_are_all_reported_in_file_order() {
    let text = broken("mac: 02:00:00:00:00:66", "mac: 02:00:00:00:00:01")
        .replacen("          segment: v6net", "          segment: v6-net", 1)
        .replacen("  - at: 1m\n", "  - at: 5m\n", 1);
    assert_eq!(
        codes(&text),
        ["unknown-segment", "duplicate-mac", "time-after-duration"]
    );
    insta::assert_snapshot!(render(&text));
}

#[test]
fn problems_name_file_line_and_column_in_their_message() {
    let text = broken("{probe: ping, from: ws,", "{probe: ping, from: ws2,");
    let Err(err) = load_str("dir/broken.yml", &text) else {
        panic!("accepted")
    };
    let messages: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
    assert_eq!(messages, ["dir/broken.yml:77:36: unknown node `ws2`"]);
}

#[test]
fn unreadable_scenario_file_is_an_io_error() {
    let err = dualhome::scenario::load_scenario("/nonexistent/scenario.yml");
    assert!(matches!(err, Err(ScenarioError::Io { .. })), "{err:?}");
}

#[test]
fn static_ip_count_differs_from_instances() {
    insta::assert_snapshot!(render(&broken("        instances: 1\n", "        instances: 2\n")));
}

/// Stands in for the IPAM planner: flags the 2018 director's reserved-range hang on any `reserved` entry.
struct ReservedRangeCheck;

impl BoshInputCheck for ReservedRangeCheck {
    fn check(&self, inputs: &BoshInputs<'_>) -> Vec<BoshInputProblem> {
        let Some(line) = inputs.cloud_config.lines().find(|l| l.contains("reserved")) else {
            return Vec::new();
        };
        let needle = line.split_once(':').map(|(_, v)| v.trim().to_owned());
        vec![BoshInputProblem {
            input: BoshInput::CloudConfig,
            message: format!(
                "reserved range {} would hang a 2018 director",
                needle.as_deref().unwrap_or("?")
            ),
            needle,
        }]
    }
}

#[test]
fn external_bosh_check_problems_point_into_inline_inputs() {
    let text = broken(
        "            static: [10.0.9.160 - 10.0.9.170]\n",
        "            static: [10.0.9.160 - 10.0.9.170]\n            reserved: 10.0.9.2 - 10.0.9.99\n",
    );
    let options = LoadOptions {
        bosh_check: Some(&ReservedRangeCheck),
        ..LoadOptions::default()
    };
    let rendered = match load_text("broken.yml", &text, None, &options) {
        Err(e) => render_plain(&e, 100),
        Ok(_) => panic!("the external problem was ignored"),
    };
    insta::assert_snapshot!(rendered);
    // Without the hook the same text is valid: the built-in rules do not judge reserved ranges.
    assert!(load_str("ok.yml", &text).is_ok());
}

/// `BASE` with rtr's inline `ra:` replaced by `radvd_conf: <file>`, loaded next to the example files.
fn with_radvd(file: &str) -> String {
    let inline = "          ra:\n            max_interval: 10s\n            min_interval: 3s\n            prefixes:\n              - prefix: 2001:db8:b::/64\n";
    let text = broken(inline, "");
    let routes_anchor = "  hosts:\n";
    text.replacen(routes_anchor, &format!("      radvd_conf: {file}\n{routes_anchor}"), 1)
}

fn render_in_examples(text: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/examples");
    match load_text("broken.yml", text, Some(&dir), &LoadOptions::default()) {
        Err(e) => render_plain(&e, 100),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn radvd_conf_with_unsupported_option() {
    insta::assert_snapshot!(render_in_examples(&with_radvd("files/radvd-unsupported.conf")));
}

#[test]
fn radvd_conf_for_a_missing_interface() {
    // files/radvd.conf configures eth0; give the router only eth1 by renaming its eth0.
    let text = with_radvd("files/radvd.conf").replacen(
        "        - name: eth0\n          segment: lan\n          mac: 00:00:5e",
        "        - name: lan0\n          segment: lan\n          mac: 00:00:5e",
        1,
    );
    insta::assert_snapshot!(render_in_examples(&text));
}

#[test]
fn valid_radvd_conf_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/examples");
    let loaded = load_text(
        "ok.yml",
        &with_radvd("files/radvd.conf"),
        Some(&dir),
        &LoadOptions::default(),
    );
    if let Err(e) = loaded {
        panic!("{}", render_plain(&e, 100));
    }
}

/// Every rule without a snapshot of its own, by code: (replace this, with this, expected problem codes).
#[test]
fn each_rule_fires_on_its_case() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("{probe: ping, from: ws,", "{probe: tcp, from: ws,", &["missing-value"]),
        (
            "      services:\n",
            "      routes:\n        - {dst: \"::/0\", via: \"fe80::1\"}\n      services:\n",
            &["missing-value"],
        ),
        (
            "    address: 10.0.9.151/24\n",
            "    address: 10.0.9.151/24\n    gateway: 10.0.8.1\n",
            &["out-of-range"],
        ),
        (
            "  era: current\n",
            "  era: current\n  overrides:\n    sysctls:\n      net.ipv6.conf.eth7.accept_ra: 0\n",
            &["unknown-interface"],
        ),
        (
            "  - at: 20s\n",
            "  - at: 15s\n    sysctl: {node: nginx/0, key: net.ipv6.conf.eth9.accept_ra, value: 0}\n  - at: 20s\n",
            &["unknown-interface"],
        ),
        (
            "      services:\n",
            "      sysctls:\n        net.ipv6.conf.eth1.accept_ra: 1\n      services:\n",
            &["unknown-interface"],
        ),
        ("      vlan: 10", "      vlan: 4095", &["out-of-range"]),
        ("      vlan: 10", "      vlan: 10\n      loss: 1.5", &["out-of-range"]),
        ("mac: 02:00:00:00:00:66", "mac: 03:00:00:00:00:66", &["multicast-mac"]),
        (
            "    rogue-ra: {attacker: eve, evasion: hbh}",
            "    ssh: {id: s1, from: ws, to: rtr}",
            &["duplicate-flow"],
        ),
        (
            "          addresses: [10.0.9.50/24]\n",
            "          addresses: [10.0.9.50/24]\n          ra: {max_interval: 10s}\n",
            &["ra-placement"],
        ),
        (
            "    survives: {flow: s1, for: 30s}",
            "    capture: {segment: lan, kind: ra, count: 2, min: 1}",
            &["out-of-range"],
        ),
        (
            "    survives: {flow: s1, for: 30s}",
            "    capture: {segment: lan, kind: ra, min: 3, max: 1}",
            &["out-of-range"],
        ),
        (
            "    survives: {flow: s1, for: 30s}",
            "    capture: {segment: wan, kind: ra}",
            &["unknown-segment"],
        ),
        (
            "    survives: {flow: s1, for: 30s}",
            "    count: {node: nginx/0, what: neighbours, count: 2, max: 3}",
            &["out-of-range"],
        ),
        (
            "    survives: {flow: s1, for: 30s}",
            "    count: {node: nginx/0, what: addresses, iface: eth7, max: 3}",
            &["unknown-interface"],
        ),
        (
            "    survives: {flow: s1, for: 30s}",
            "    count: {node: nginx/9, what: default-routers, family: ipv6, max: 3}",
            &["instance-out-of-range"],
        ),
        (
            "    survives: {flow: s1, for: 30s}",
            "    count: {node: ws, what: routes}",
            &["missing-value"],
        ),
        (
            "            max_interval: 10s\n",
            "            max_interval: 10s\n            mtu: 1000\n",
            &["ra-parameters"],
        ),
        (
            "            max_interval: 10s\n",
            "            max_interval: 1h\n",
            &["ra-parameters"],
        ),
        (
            "              - prefix: 2001:db8:b::/64\n",
            "              - {prefix: \"2001:db8:b::/64\", valid_lifetime: 1h, preferred_lifetime: 2h}\n",
            &["ra-parameters"],
        ),
        (
            "            max_interval: 10s\n",
            "            max_interval: 10s\n            default_lifetime: 5s\n",
            &["ra-parameters"],
        ),
        (r#"to: "nginx/0:eth0"}"#, r#"to: "nginx:eth0"}"#, &["wrong-node-kind"]),
        (r#"to: "nginx/0:eth0"}"#, r#"to: "rtr/0:eth0"}"#, &["wrong-node-kind"]),
        (
            "    rogue-ra: {attacker: eve, evasion: hbh}",
            "    heartbeat: {from: ws}",
            &["wrong-node-kind"],
        ),
        (
            "    rogue-ra: {attacker: eve, evasion: hbh}",
            "    send-ra: {router: ws, iface: eth0}",
            &["wrong-node-kind"],
        ),
        (
            "    rogue-ra: {attacker: eve, evasion: hbh}",
            "    link-down: {node: rtr, iface: eth5}",
            &["unknown-interface"],
        ),
        (
            "duration: 2m\n",
            "duration: 2m\nkernel: {capable: true, time_scale: 0.0}\n",
            &["out-of-range"],
        ),
        (
            "duration: 2m\n",
            "duration: 2m\nkernel: {capable: true, count_scale: 0}\n",
            &["out-of-range"],
        ),
        (
            "        - name: eth1\n",
            "        - name: eth0\n",
            &["duplicate-interface"],
        ),
        ("    - name: eve", "    - name: 1eve", &["out-of-range", "unknown-node"]),
        (
            "    - name: lan\n",
            "    - name: lan\n    - name: lan\n",
            &["duplicate-name"],
        ),
        (
            "          - name: ipv6\n",
            "          - name: ipv7\n",
            &["bad-bosh-input"],
        ),
        (
            "            static_ips: [10.0.9.165]",
            "            static_ips: [10.0.9.x]",
            &["bad-bosh-input"],
        ),
        ("    VM Network: lan", "    VM Network: lan2", &["unknown-segment"]),
        (
            "          - range: 2001:db8:b::/64",
            "          - range: 2001:db8:c::/64",
            &["address-outside-prefix"],
        ),
        ("  - at: 20s\n", "  - at: 20m\n", &["time-after-duration"]),
        ("  - at: 1m\n    survives: {flow: s1, for: 30s}", "  - at: 5s\n    survives: {flow: s1, for: 30s}", &["check-before-start"]),
        ("survives: {flow: s1, for: 30s}", "survives: {flow: s1, for: 1m55s}", &["time-after-duration"]),
        (
            "    address: 10.0.9.151/24\n",
            "    address: 10.0.9.151/24\n    mac: 02:00:00:00:00:66\n",
            &["duplicate-mac"],
        ),
        ("  era: current\n", "  era: current\n  vm_macs: [{nic: \"nginx/0:eth0\", mac: \"02:00:00:00:00:01\"}]\n", &["duplicate-mac"]),
        ("  era: current\n", "  era: current\n  vm_macs: [{nic: \"nginx/0\", mac: \"02:00:00:00:00:99\"}]\n", &["wrong-node-kind"]),
        ("  era: current\n", "  era: current\n  vm_macs: [{nic: \"nginx/0:eth3\", mac: \"02:00:00:00:00:99\"}]\n", &["unknown-interface"]),
        (
            "  era: current\n",
            "  era: current\n  vm_macs:\n    - {nic: \"nginx/0:eth0\", mac: \"02:00:00:00:00:98\"}\n    - {nic: \"nginx/0:eth0\", mac: \"02:00:00:00:00:99\"}\n",
            &["duplicate-name"],
        ),
    ];
    for (from, to, want) in cases {
        let got = codes(&broken(from, to));
        assert_eq!(&got, want, "replacing {from:?} with {to:?}");
    }
}

#[test]
fn finding_codes_are_checked_when_known() {
    let text = broken(
        "    survives: {flow: s1, for: 30s}",
        "    finding-present: {code: ra-mitm-exposure, node: nginx/0}",
    );
    let codes = ["ra-mitm-exposure", "redirects-accepted"];
    let options = LoadOptions {
        finding_codes: Some(&codes),
        ..LoadOptions::default()
    };
    assert!(load_text("ok.yml", &text, None, &options).is_ok());
    let typo = text.replace("ra-mitm-exposure", "ra-mitm-exposed");
    let Err(err) = load_text("broken.yml", &typo, None, &options) else {
        panic!("typo accepted")
    };
    let codes: Vec<&str> = err.problems().iter().map(|p| p.rule.code()).collect();
    assert_eq!(codes, ["unknown-finding"]);
    insta::assert_snapshot!(render_plain(&err, 100));
    // Without the list any code is accepted: the format does not hard-code the analyzers.
    assert!(load_str("ok.yml", &typo).is_ok());
}
