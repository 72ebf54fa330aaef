//! Attacker actions on the seed network: a rogue RA with `mitm: forward` becomes the trusty-2018 VM's router and
//! the browser's flow (HTTP, and an ssh session that survives) crosses the attacker; RA-Guard and the hardened
//! profile stop it; a kill-router RA removes the router's default route; a DAD DoS keeps an address from ever
//! becoming usable, against the whole segment, one NIC or one address; a two-NIC attacker's attacks each stay on
//! their own VLAN.

use dualhome::run::{run_scenario, RunOptions};
use dualhome::scenario::{load_text, render_plain, LoadOptions};
use dualhome_reports::{ScenarioReport, ScenarioStatus, Verdict};
use std::path::Path;

const NET: &str = include_str!("run_cases/seed-net.yml");

fn with_attacker(net: &str) -> String {
    net.replace(
        "  hosts:\n    - name: browser",
        "  attackers:\n    - name: evil\n      interfaces:\n        - {name: eth0, segment: vlan-b, mac: \"02:66:66:66:66:66\"}\n  hosts:\n    - name: browser",
    )
}

const ROGUE: &str = r#"timeline:
  - at: 20s
    rogue-ra: {attacker: evil, prefixes: [{prefix: "2001:db8:bad::/64"}], mitm: forward, count: 5, interval: 5s}
  - at: 30s
    http: {id: web, from: browser, to: "nginx/0:eth1", port: 80}
expect:
  - at: 40s
    established: {flow: web}
"#;

fn run(text: &str) -> ScenarioReport {
    let s = match load_text("atk.yml", text, Some(Path::new(".")), &LoadOptions::default()) {
        Ok(s) => s,
        Err(e) => panic!("{}", render_plain(&e, 120)),
    };
    run_scenario(&s, "atk.yml", &RunOptions::default()).report
}

fn all_pass(r: &ScenarioReport) {
    for o in &r.expectations {
        assert_eq!(
            o.verdict,
            Verdict::Passed,
            "{} {}: {} vs {:?}",
            o.id,
            o.kind,
            o.expected,
            o.observed
        );
    }
    assert_eq!(r.status, ScenarioStatus::Passed);
}

#[test]
fn rogue_ra_makes_the_trusty_vm_route_through_the_attacker() {
    let text = format!(
        "{}{ROGUE}  - at: 29s\n    finding-present: {{code: ra-from-non-gateway, node: nginx/0}}\n  - at: 40s\n    path: {{flow: web, via: [browser, rtr, nginx/0, evil], crossed_attacker: true}}\n  - at: 29s\n    address-present: {{node: nginx/0, iface: eth1, address: \"2001:db8:bad:0:250:56ff:fe2f:9923\", flags: [dynamic]}}\n",
        with_attacker(NET)
    );
    all_pass(&run(&text));
}

#[test]
fn ra_guard_and_the_hardened_profile_are_immune() {
    let extra = format!(
        "{ROGUE}  - at: 29s\n    finding-absent: {{code: ra-from-non-gateway, node: nginx/0}}\n  - at: 40s\n    path: {{flow: web, crossed_attacker: false}}\n"
    );
    let guarded = with_attacker(NET).replace("      vlan: 11\n", "      vlan: 11\n      ra_guard: full-chain\n");
    all_pass(&run(&format!("{guarded}{extra}")));
    let hardened = with_attacker(NET).replace("profile: trusty-2018", "profile: hardened");
    all_pass(&run(&format!("{hardened}{extra}")));
    // The naive guard is evaded by a Hop-by-Hop header (RFC 7113 §2) and the VM follows the attacker again.
    let naive = with_attacker(NET).replace("      vlan: 11\n", "      vlan: 11\n      ra_guard: naive\n");
    let evading = ROGUE.replace("mitm: forward,", "mitm: forward, evasion: hbh,");
    let r = run(&format!(
        "{naive}{evading}  - at: 40s\n    path: {{flow: web, crossed_attacker: true}}\n"
    ));
    all_pass(&r);
}

#[test]
fn kill_router_removes_the_routers_default_route() {
    let text = format!(
        "{}timeline:\n  - at: 20s\n    kill-router: {{attacker: evil, router: \"rtr:eth1:ll\"}}\nexpect:\n  - at: 19s\n    default-routers: {{node: nginx/0, routers: [\"2601:646:100:69f1:20d:b9ff:fe48:9249\", \"rtr:eth1:ll\", \"rtr:eth0:ll\"]}}\n  - at: 21s\n    default-routers: {{node: nginx/0, routers: [\"2601:646:100:69f1:20d:b9ff:fe48:9249\", \"rtr:eth0:ll\"]}}\n",
        with_attacker(NET)
    );
    all_pass(&run(&text));
}

#[test]
fn dad_dos_keeps_a_new_address_from_becoming_usable() {
    let text = format!(
        "{}timeline:\n  - at: 5s\n    dad-dos: {{attacker: evil}}\n  - at: 10s\n    link-down: {{node: nginx/0, iface: eth1}}\n  - at: 11s\n    link-up: {{node: nginx/0, iface: eth1}}\nexpect:\n  - at: 20s\n    finding-present: {{code: dad-failed, node: nginx/0}}\n",
        with_attacker(NET)
    );
    all_pass(&run(&text));
}

#[test]
fn na_spoof_without_override_leaves_a_resolved_gateway_alone_and_with_it_takes_over() {
    // The VM resolves its gateway for the first flow; the NAs come after. With O = 0 Linux keeps the cached
    // MAC (RFC 4861 §7.2.5), so the second flow goes straight to rtr; with O = 1 it crosses evil.
    let text = |override_flag: bool| {
        format!(
            "{}timeline:\n  - at: 25s\n    http: {{id: first, from: browser, to: \"nginx/0:eth1\", port: 80}}\n  - at: 30s\n    na-spoof: {{attacker: evil, address: \"rtr:eth1\", victim: nginx/0, override_flag: {override_flag}, mitm: forward, count: 10, interval: 1s}}\n  - at: 35s\n    http: {{id: second, from: browser, to: \"nginx/0:eth1\", port: 80}}\nexpect:\n  - at: 45s\n    established: {{flow: second}}\n  - at: 45s\n    path: {{flow: first, crossed_attacker: false}}\n  - at: 45s\n    path: {{flow: second, crossed_attacker: {override_flag}}}\n",
            with_attacker(NET)
        )
    };
    all_pass(&run(&text(false)));
    all_pass(&run(&text(true)));
}

/// The seed network with `evil` on both VLANs: eth0 on VLAN A, eth1 on VLAN B.
fn with_two_nic_attacker(net: &str) -> String {
    net.replace(
        "  hosts:\n    - name: browser",
        "  attackers:\n    - name: evil\n      interfaces:\n        - {name: eth0, segment: vlan-a, mac: \"02:66:66:66:66:66\"}\n        - {name: eth1, segment: vlan-b, mac: \"02:66:66:66:66:67\"}\n  hosts:\n    - name: browser",
    )
}

/// Observations of the expectations that did not pass, for a failure message.
fn failures(r: &ScenarioReport) -> Vec<String> {
    r.expectations
        .iter()
        .filter(|o| o.verdict != Verdict::Passed)
        .map(|o| format!("{} {}: {} vs {:?}", o.id, o.kind, o.expected, o.observed))
        .collect()
}

#[test]
fn a_two_nic_attacker_plays_rogue_router_on_vlan_a_and_parasite6_on_vlan_b_each_only_there() {
    let text = format!(
        "{}{}",
        with_two_nic_attacker(NET),
        r#"timeline:
  - at: 20s
    rogue-ra: {attacker: evil, iface: eth0, prefixes: [{prefix: "2001:db8:bad::/64"}], mitm: forward, count: 5, interval: 5s}
  - at: 20s
    na-spoof: {attacker: evil, iface: eth1, address: "rtr:eth1", victim: nginx/0, mitm: forward, count: 20, interval: 1s}
  - at: 30s
    http: {id: web, from: browser, to: "nginx/0:eth1", port: 80}
expect:
  - at: 29s
    address-present: {node: nginx/0, iface: eth0, address: "2001:db8:bad:0:250:56ff:fe8c:86a9", flags: [dynamic]}
  - at: 29s
    address-absent: {node: nginx/0, iface: eth1, address: "2001:db8:bad:0:250:56ff:fe2f:9923"}
  - at: 40s
    established: {flow: web}
  - at: 40s
    path: {flow: web, via: [browser, rtr, nginx/0, evil], crossed_attacker: true}
  - capture: {segment: vlan-a, kind: ra, from: evil, count: 5}
  - capture: {segment: vlan-b, kind: ra, from: evil, count: 0}
  - capture: {segment: vlan-b, kind: na, from: evil, min: 20}
"#
    );
    let r = run(&text);
    assert!(failures(&r).is_empty(), "{:#?}", failures(&r));
    all_pass(&r);
    // Swapped NICs, the same attacks land on the other VLANs: the rogue prefix on eth1, the RAs on VLAN B.
    let swapped = text
        .replace("iface: eth0, prefixes", "iface: TMP, prefixes")
        .replace("iface: eth1, address", "iface: eth0, address")
        .replace("iface: TMP, prefixes", "iface: eth1, prefixes");
    let r = run(&swapped);
    let failed: Vec<&str> = r
        .expectations
        .iter()
        .filter(|o| o.verdict != Verdict::Passed)
        .map(|o| o.kind.as_str())
        .collect();
    assert!(
        failed.contains(&"address-present") && failed.contains(&"capture"),
        "{failed:?}"
    );
}

#[test]
fn ssh_through_a_rogue_ra_mitm_keeps_working_and_is_marked_crossed() {
    let text = format!(
        "{}{}",
        with_attacker(NET),
        r#"timeline:
  - at: 20s
    rogue-ra: {attacker: evil, prefixes: [{prefix: "2001:db8:bad::/64"}], mitm: forward, count: 5, interval: 5s}
  - at: 25s
    ssh: {id: shell, from: browser, to: "nginx/0:eth1", hold: 30s, keepalive: 5s}
expect:
  - at: 26s
    established: {flow: shell}
  - at: 55s
    survives: {flow: shell, for: 25s}
  - at: 55s
    path: {flow: shell, via: [browser, rtr, nginx/0, evil], crossed_attacker: true}
"#
    );
    all_pass(&run(&text));
    // With the relay off the attacker swallows the VM's replies: the session never comes up.
    let r = run(&text.replace("mitm: forward", "mitm: drop"));
    let established = r.expectations.iter().find(|o| o.kind == "established");
    assert!(
        established.is_some_and(|o| o.verdict != Verdict::Passed),
        "{:#?}",
        failures(&r)
    );
}

#[test]
fn dad_dos_against_one_address_spares_the_others_and_a_victim_off_segment_is_an_error() {
    // The victim is BOSH's static address, attacked before the VM boots: only its probe is answered (one NA),
    // the link-local address's probe is not.
    let text = format!(
        "{}timeline:\n  - at: 0s\n    dad-dos: {{attacker: evil, victim: \"2601:646:100:69f1::165\"}}\nexpect:\n  - at: 20s\n    finding-present: {{code: dad-failed, node: nginx/0}}\n  - at: 20s\n    address-present: {{node: nginx/0, iface: eth1, address: \"2601:646:100:69f1::165\", flags: [dadfailed]}}\n  - capture: {{segment: vlan-b, kind: na, from: evil, count: 1}}\n",
        with_attacker(NET)
    );
    all_pass(&run(&text));
    // Against the VM's NIC (by MAC) every probe it sends is answered: its link-local's too.
    let by_nic = text
        .replace("victim: \"2601:646:100:69f1::165\"", "victim: nginx/0")
        .replace("count: 1}", "min: 2}");
    all_pass(&run(&by_nic));
    // nginx/0's eth0 is on VLAN A, the attacker on VLAN B.
    let off = format!(
        "{}timeline:\n  - at: 5s\n    dad-dos: {{attacker: evil, victim: \"nginx/0:eth0\"}}\nexpect:\n  - finding-absent: {{code: dad-failed}}\n",
        with_attacker(NET)
    );
    match &run(&off).status {
        ScenarioStatus::Error { message } => assert!(message.contains("not on the attacker's segment"), "{message}"),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn an_attack_naming_an_interface_the_attacker_lacks_is_refused_at_load() {
    let text = format!(
        "{}timeline:\n  - at: 5s\n    dad-dos: {{attacker: evil, iface: eth7}}\nexpect:\n  - finding-absent: {{code: dad-failed}}\n",
        with_attacker(NET)
    );
    let err = load_text("atk.yml", &text, Some(Path::new(".")), &LoadOptions::default())
        .err()
        .map(|e| render_plain(&e, 120));
    assert!(err.as_deref().is_some_and(|e| e.contains("eth7")), "{err:?}");
}
