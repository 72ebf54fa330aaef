//! Issue 4's integration test: each agent profile applied to the seed's two-NIC VM in the simulator, checked through
//! the VM's own `ip -6 route` and `ip rule` (what an operator would look at after `bosh ssh`).

use dualhome::run::explain::node_tables;
use dualhome::run::{run_keeping_world, RunOptions};
use dualhome::scenario::load_scenario;

const SCENARIO: &str = r#"
name: profile-PROFILE
description: the seed VM under one agent profile
seed: 7
duration: 40s
topology:
  segments:
    - {name: vlan-a, prefixes: [10.0.9.0/24, 2601:646:100:69f0::/64]}
    - {name: vlan-b, prefixes: [2601:646:100:69f1::/64]}
  routers:
    - name: rtr
      interfaces:
        - name: eth0
          segment: vlan-a
          mac: "00:0d:b9:48:92:48"
          addresses: [10.0.9.1/24, "2601:646:100:69f0::1/64"]
          ra:
            max_interval: 10s
            min_interval: 3s
            default_lifetime: 0s
            prefixes:
              - {prefix: "2601:646:100:69f0::/64", on_link: true, autonomous: true}
        - name: eth1
          segment: vlan-b
          mac: "00:0d:b9:48:92:49"
          addresses: ["2601:646:100:69f1:20d:b9ff:fe48:9249/64"]
          ra:
            max_interval: 10s
            min_interval: 3s
            default_lifetime: 30m
            prefixes:
              - {prefix: "2601:646:100:69f1::/64", on_link: true, autonomous: false}
bosh:
  director: {segment: vlan-a, address: 10.0.9.151/24, mac: "02:00:00:00:0b:05", gateway: 10.0.9.1}
  cloud_config: ../files/seed-cloud-config.yml
  manifest: ../files/seed-manifest.yml
  networks: {VM Network: vlan-a, IPv6: vlan-b}
  profile: PROFILE
  era: "current"
OVERRIDES
expect:
  - instances:
      - {instance: nginx/0, state: running}
"#;

fn tables(profile: &str, overrides: &str) -> String {
    let text = SCENARIO.replace("PROFILE", profile).replace("OVERRIDES", overrides);
    // The scenario refers to the seed's BOSH files by relative path: lay them out in a temporary tree.
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    std::fs::create_dir_all(dir.path().join("files")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(dir.path().join("seed")).unwrap_or_else(|e| panic!("{e}"));
    for f in ["seed-cloud-config.yml", "seed-manifest.yml"] {
        std::fs::copy(repo.join("scenarios/files").join(f), dir.path().join("files").join(f))
            .unwrap_or_else(|e| panic!("copy {f}: {e}"));
    }
    let file = dir.path().join("seed/profile-under-test.yml");
    std::fs::write(&file, &text).unwrap_or_else(|e| panic!("{e}"));
    let scenario = match load_scenario(&file) {
        Ok(s) => s,
        Err(e) => panic!("scenario does not load: {e:?}"),
    };
    let path = file.to_string_lossy().into_owned();
    let path = path.as_str();
    let (run, world) = run_keeping_world(&scenario, path, &RunOptions::default());
    let world = world.unwrap_or_else(|| panic!("{profile}: the network was never built: {:?}", run.report.status));
    node_tables(&world, "nginx/0").unwrap_or_else(|| panic!("{profile}: no nginx/0"))
}

fn section<'a>(text: &'a str, header: &str) -> &'a str {
    let start = text.find(header).map_or(text.len(), |i| i + header.len());
    let rest = &text[start..];
    &rest[..rest.find("\n$ ").map_or(rest.len(), |i| i + 1)]
}

#[test]
fn trusty_2018_vm_takes_the_ipv6_default_from_bosh_and_learns_one_from_ras() {
    let t = tables("trusty-2018", "");
    let r6 = section(&t, "$ ip -6 route show table all\n");
    assert!(
        r6.contains("default via 2601:646:100:69f1:20d:b9ff:fe48:9249 dev eth1"),
        "{r6}"
    );
    // accept_ra=1 on eth1: the router's RA adds its link-local default too (seed footnote "all is not lost").
    assert!(r6.contains("proto ra metric 1024"), "{r6}");
    let r4 = section(&t, "$ ip route show table all\n");
    assert!(
        !r4.contains("default"),
        "one default route only, on the IPv6 network:\n{r4}"
    );
    assert_eq!(
        section(&t, "$ ip -6 rule\n"),
        "0:\tfrom all lookup local\n32766:\tfrom all lookup main\n"
    );
}

fn eth0_addresses(t: &str) -> &str {
    let addrs = section(t, "$ ip addr\n");
    let start = addrs.find(": eth0:").unwrap_or(0);
    &addrs[start..addrs.find(": eth1:").unwrap_or(addrs.len())]
}

#[test]
fn trusty_2018_ipv4_nic_picks_up_a_slaac_address() {
    // Seed: "IPv6 is enabled on all the VM's interfaces ... acquired an additional IPv6 address on its IPv4 interface".
    let t = tables("trusty-2018", "");
    assert!(eth0_addresses(&t).contains("inet6 2601:646:100:69f0:"), "{t}");
}

#[test]
fn jammy_after_the_agent_reboot_is_as_exposed_as_trusty() {
    // The agent removes `ipv6.disable=1`, reboots and writes all/default accept_ra=1 and disable_ipv6=0
    // (bosh-networking.md §1.2, §3). The NICs exist before the stemcell's sysctl file runs, so its
    // `default.accept_ra=0` never reaches them (linux-ipv6.md A1): the IPv4 NIC still takes SLAAC from VLAN A's RA.
    let t = tables("jammy", "");
    let eth0 = eth0_addresses(&t);
    assert!(eth0.contains("inet6 fe80::"), "{eth0}");
    assert!(eth0.contains("inet6 2601:646:100:69f0:"), "{eth0}");
    let r6 = section(&t, "$ ip -6 route show table all\n");
    assert!(
        r6.contains("default via 2601:646:100:69f1:20d:b9ff:fe48:9249 dev eth1"),
        "{r6}"
    );
}

#[test]
fn hardened_vm_has_a_default_per_family_and_source_rules() {
    let t = tables(
        "hardened",
        "  overrides:\n    ipv6_gateway: \"2601:646:100:69f1:20d:b9ff:fe48:9249\"",
    );
    let r6 = section(&t, "$ ip -6 route show table all\n");
    assert!(!r6.contains("proto ra"), "RAs are off on every NIC:\n{r6}");
    assert!(
        r6.contains("default via 2601:646:100:69f1:20d:b9ff:fe48:9249 dev eth1"),
        "{r6}"
    );
    let rules6 = section(&t, "$ ip -6 rule\n");
    assert!(
        rules6.contains("from 2601:646:100:69f1::165 lookup"),
        "source rule per address:\n{rules6}"
    );
    assert!(!eth0_addresses(&t).contains("inet6 2601:"), "no SLAAC anywhere:\n{t}");
    let rules4 = section(&t, "$ ip rule\n");
    assert!(rules4.contains("from 10.0.9.165 lookup"), "{rules4}");
}
