//! Attacker actions on the seed network: a rogue RA with `mitm: forward` becomes the trusty-2018 VM's router and
//! the browser's flow crosses the attacker; RA-Guard and the hardened profile stop it; a kill-router RA removes the
//! router's default route; a DAD DoS keeps an address from ever becoming usable.

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
fn unbuilt_attacker_variants_error_and_name_the_missing_part() {
    let text = format!(
        "{}timeline:\n  - at: 5s\n    na-spoof: {{attacker: evil, address: \"rtr:eth1\", override_flag: false}}\nexpect:\n  - finding-present: {{code: dad-failed}}\n",
        with_attacker(NET)
    );
    let r = run(&text);
    match &r.status {
        ScenarioStatus::Error { message } => {
            assert!(
                message.contains("na-spoof") && message.contains("sim/src/attack"),
                "{message}"
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert!(r
        .expectations
        .iter()
        .all(|o| matches!(o.verdict, Verdict::Skipped { .. })));
}
