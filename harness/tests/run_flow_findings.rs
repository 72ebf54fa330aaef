//! Flow findings on the seed network with pf on the router (seed footnote [Router Advertisements]): ssh from VLAN A
//! to the VM's far (VLAN B) address arrives on eth1, the replies leave by eth0 (asymmetric), and pf's `block return`
//! resets the session; ssh to the near IPv4 address is symmetric and survives.

use dualhome::run::{run_scenario, RunOptions};
use dualhome::scenario::{load_text, render_plain, LoadOptions};
use dualhome_reports::{ScenarioStatus, Verdict};
use std::path::Path;

const NET: &str = include_str!("run_cases/seed-net.yml");

fn network() -> String {
    NET.replace("duration: 1m\n", "duration: 3m\n").replace(
        "  hosts:\n    - name: browser",
        "      firewall:\n        kind: pf\n        block: return\n        rules:\n          - {action: pass, direction: in, proto: tcp, port: 22}\n          - {action: block, direction: in, proto: tcp, keep_state: false}\n  hosts:\n    - name: ws\n      interfaces:\n        - {name: eth0, segment: vlan-a, mac: \"02:00:00:00:0a:01\", addresses: [10.0.9.50/24, \"2601:646:100:69f0::50/64\"]}\n      routes:\n        - {dst: \"::/0\", via: \"2601:646:100:69f0::1\", dev: eth0}\n      sysctls:\n        net.ipv6.conf.eth0.accept_ra: 0\n    - name: browser",
    )
}

#[test]
fn the_far_address_session_is_asymmetric_and_reset_by_pf() {
    let text = format!(
        "{}timeline:\n  - at: 20s\n    ssh: {{id: far, from: ws, to: \"nginx/0:eth1\", hold: 2m, keepalive: 15s}}\n  - at: 20s\n    ssh: {{id: near, from: ws, to: \"nginx/0:eth0:v4\", hold: 2m, keepalive: 15s}}\nexpect:\n  - at: 25s\n    established: {{flow: far}}\n  - reset-within: {{flow: far, within: 60s}}\n  - survives: {{flow: near, for: 2m}}\n  - finding-present: {{code: asymmetric-tcp-flow, node: nginx/0}}\n  - finding-present: {{code: middlebox-reset, node: ws}}\n  - path: {{flow: far, via: [ws, rtr, nginx/0]}}\n",
        network()
    );
    let s = match load_text("f.yml", &text, Some(Path::new(".")), &LoadOptions::default()) {
        Ok(s) => s,
        Err(e) => panic!("{}", render_plain(&e, 120)),
    };
    let report = run_scenario(&s, "f.yml", &RunOptions::default()).report;
    for o in &report.expectations {
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
    assert_eq!(report.status, ScenarioStatus::Passed);
    let asym = report.findings.iter().find(|f| f.code == "asymmetric-tcp-flow");
    assert!(
        asym.is_some_and(|f| f.message.contains("receives it on eth1 but sends on eth0")),
        "{asym:?}"
    );
    // The near session is symmetric: no finding names it.
    assert!(report.findings.iter().all(|f| !f.message.contains("flow `near`")));
}
