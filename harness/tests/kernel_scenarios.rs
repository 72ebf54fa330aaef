//! Every scenario in scenarios/kernel/ runs on the simulator and on the real kernel (network namespaces), and
//! the two agree at every step. Needs root or CAP_NET_ADMIN: without it each case prints `skipped: …`.

use dualhome::kernel::{check_privileges, compare, KernelOptions};
use dualhome::scenario::load_scenario;
use std::path::PathBuf;

fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/kernel")
}

/// Disagreements found and not yet resolved (docs/fidelity.md): a case fails when they change, so a fix in the
/// simulator shows up here and the entry must be removed.
const KNOWN: &[(&str, &str)] = &[];

fn run_one(file: &str, id: u32) {
    if let Err(e) = check_privileges() {
        println!("skipped: {file}: {e}");
        return;
    }
    let path = scenario_dir().join(file);
    let scenario = match load_scenario(&path) {
        Ok(s) => s,
        Err(e) => panic!("{file} does not load: {e:?}"),
    };
    let source = std::fs::read_to_string(&path).ok();
    let run_id = format!("t{}-{id}", std::process::id() % 100_000);
    let opts = KernelOptions {
        run_id: Some(run_id.clone()),
        source,
        ..KernelOptions::default()
    };
    let result = compare(&scenario, &opts);
    let left = dualhome::kernel::netns::list(&format!("dh-{run_id}-")).unwrap_or_default();
    assert!(left.is_empty(), "{file}: namespaces left behind: {left:?}");
    let cmp = match result {
        Ok(c) => c,
        Err(e) => panic!("{file}: {e}"),
    };
    if std::env::var_os("DH_KERNEL_DUMP").is_some() {
        for (s, k) in cmp.sim.iter().zip(&cmp.kernel.steps) {
            for (side, st) in [("sim", &s.state), ("kernel", &k.state)] {
                for (node, n) in &st.nodes {
                    println!("== {} {side} {node}", s.label);
                    n.addrs.iter().for_each(|a| println!("  addr {a}"));
                    n.routes
                        .iter()
                        .filter(|r| r.table != 255)
                        .for_each(|r| println!("  route {r}"));
                    n.routers.iter().for_each(|r| println!("  neigh {r}"));
                    n.pings.iter().for_each(|p| println!("  {p}"));
                    n.accepts.iter().for_each(|a| println!("  {a}"));
                    n.flows.iter().for_each(|f| println!("  {f}"));
                }
            }
        }
    }
    assert_eq!(cmp.sim.len(), cmp.kernel.steps.len(), "{file}: step counts");
    let lines: Vec<String> = cmp.differences.iter().map(ToString::to_string).collect();
    let known: Vec<String> = KNOWN
        .iter()
        .filter(|(f, _)| *f == file)
        .map(|(_, l)| (*l).to_owned())
        .collect();
    assert_eq!(
        lines,
        known,
        "{file}: backends disagree (beyond docs/fidelity.md's known list):\n{}",
        lines.join("\n")
    );
}

macro_rules! kernel_case {
    ($name:ident, $file:literal, $id:literal) => {
        #[test]
        fn $name() {
            run_one($file, $id);
        }
    };
}

kernel_case!(asymmetric_reply, "asymmetric-reply.yml", 0);
kernel_case!(attack_dad_dos, "attack-dad-dos.yml", 43);
kernel_case!(attack_dad_dos_victim, "attack-dad-dos-victim.yml", 50);
kernel_case!(attack_kill_router, "attack-kill-router.yml", 1);
kernel_case!(attack_mitm_bridge, "attack-mitm-bridge.yml", 52);
kernel_case!(attack_na_spoof, "attack-na-spoof.yml", 46);
kernel_case!(attack_na_spoof_no_override, "attack-na-spoof-no-override.yml", 51);
kernel_case!(attack_redirect, "attack-redirect.yml", 2);
kernel_case!(attack_rogue_ra_fragment, "attack-rogue-ra-fragment.yml", 3);
kernel_case!(attack_rogue_ra, "attack-rogue-ra.yml", 4);
kernel_case!(attack_rogue_ra_mitm, "attack-rogue-ra-mitm.yml", 44);
kernel_case!(attack_rogue_ra_nud, "attack-rogue-ra-nud.yml", 53);
kernel_case!(attack_two_nic, "attack-two-nic.yml", 49);
kernel_case!(bind_listen_80, "bind-listen-80.yml", 5);
kernel_case!(bind_listen_dual, "bind-listen-dual.yml", 6);
kernel_case!(bind_listen_v6only, "bind-listen-v6only.yml", 7);
kernel_case!(bind_specific, "bind-specific.yml", 8);
kernel_case!(bosh_hardened_ipv6_gateway, "bosh-hardened-ipv6-gateway.yml", 38);
kernel_case!(bosh_trusty_director_off_link, "bosh-trusty-director-off-link.yml", 45);
kernel_case!(bosh_jammy_ra_default, "bosh-jammy-ra-default.yml", 39);
kernel_case!(bosh_noble_poc_slaac_static, "bosh-noble-poc-slaac-static.yml", 47);
kernel_case!(bosh_trusty_slaac_ipv4_nic, "bosh-trusty-slaac-ipv4-nic.yml", 40);
kernel_case!(conntrack_block_icmpv6, "conntrack-block-icmpv6.yml", 9);
kernel_case!(conntrack_stateful, "conntrack-stateful.yml", 10);
kernel_case!(dad_accept_dad_0, "dad-accept-dad-0.yml", 11);
kernel_case!(dad_duplicate, "dad-duplicate.yml", 12);
kernel_case!(flow_http_families, "flow-http-families.yml", 13);
kernel_case!(ping_on_link, "ping-on-link.yml", 14);
kernel_case!(policy_rules, "policy-rules.yml", 15);
kernel_case!(ra_accept_ra_0, "ra-accept-ra-0.yml", 16);
kernel_case!(ra_autoconf_0, "ra-autoconf-0.yml", 17);
kernel_case!(ra_defrtr_0, "ra-defrtr-0.yml", 18);
kernel_case!(ra_forwarding_accept_ra_2, "ra-forwarding-accept-ra-2.yml", 19);
kernel_case!(ra_forwarding_ignored, "ra-forwarding-ignored.yml", 20);
kernel_case!(ra_high_pref, "ra-high-pref.yml", 21);
kernel_case!(ra_lifetime_0, "ra-lifetime-0.yml", 22);
kernel_case!(ra_link_down_up, "ra-link-down-up.yml", 23);
kernel_case!(ra_not_autonomous, "ra-not-autonomous.yml", 24);
kernel_case!(ra_off_link, "ra-off-link.yml", 25);
kernel_case!(ra_pio_over_static, "ra-pio-over-static.yml", 41);
kernel_case!(ra_validity, "ra-validity.yml", 48);
kernel_case!(radvd_real, "radvd-real.yml", 54);
kernel_case!(ra_pinfo_0, "ra-pinfo-0.yml", 26);
kernel_case!(ra_preferred_0, "ra-preferred-0.yml", 27);
kernel_case!(ra_rio_accepted, "ra-rio-accepted.yml", 28);
kernel_case!(ra_rio_ignored, "ra-rio-ignored.yml", 29);
kernel_case!(ra_slaac, "ra-slaac.yml", 30);
kernel_case!(ra_time_scale, "ra-time-scale.yml", 42);
kernel_case!(ra_two_prefixes, "ra-two-prefixes.yml", 31);
kernel_case!(redirect_accepted, "redirect-accepted.yml", 32);
kernel_case!(redirect_refused, "redirect-refused.yml", 33);
kernel_case!(send_ra_lifetime_0, "send-ra-lifetime-0.yml", 34);
kernel_case!(send_ra_preference, "send-ra-preference.yml", 35);
kernel_case!(sysctl_runtime_accept_ra, "sysctl-runtime-accept-ra.yml", 36);
kernel_case!(two_routers_pref, "two-routers-pref.yml", 37);

#[test]
fn every_kernel_scenario_has_a_case() {
    let listed = include_str!("kernel_scenarios.rs").matches("kernel_case!(").count() - 1;
    let files = std::fs::read_dir(scenario_dir()).map(|d| {
        d.filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "yml"))
            .count()
    });
    assert_eq!(
        files.ok(),
        Some(listed),
        "scenarios/kernel and the kernel_case! list differ"
    );
}
